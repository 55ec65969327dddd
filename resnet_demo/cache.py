"""A small thread-safe LRU cache and the image digest that keys it (numpy only, no Gradio).

The app keeps intact analyses in it, so flipping a switch costs one analysis: the intact
network's analysis of an image depends only on (image, model, target, layer, top-k), not on the
switches, and is reused for every switch setting, every client and every repeated example
click. The classroom lab keeps its lesion sweeps and gradient-flow studies in it.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

import numpy as np

from resnet_demo.errors import check_int

V = TypeVar("V")


def image_digest(image: np.ndarray) -> str:
    """A content hash of an image: equal pixels give equal digests, whatever file they came from.

    Args:
        image: RGB uint8 array (H, W, 3). Not modified.

    Returns:
        40 hex characters (SHA-1 of the shape and the pixels; not used for security).
    """
    h = hashlib.sha1(usedforsecurity=False)
    h.update(repr((image.shape, image.dtype.str)).encode())
    h.update(np.ascontiguousarray(image).data)
    return h.hexdigest()


class LRUCache(Generic[V]):
    """A bounded least-recently-used map, safe to share between request threads.

    The computation of a missing value runs outside the cache lock (it can take a second), so
    two threads missing the same key at once may both compute it; the second result simply
    replaces the first. That is cheaper than serialising every miss behind one lock.

    Args:
        max_entries: most values kept (>= 1); the least recently used is dropped beyond it.

    Raises:
        InvalidValue: max_entries is not an int >= 1 (a ValueError).
    """

    def __init__(self, max_entries: int = 32) -> None:
        self.max_entries = check_int(max_entries, "max_entries", 1)
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._items

    def get(self, key: Hashable) -> V | None:
        """The value for `key` (now the most recently used), or None."""
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key: Hashable, value: V) -> None:
        """Store `value`, dropping the least recently used entries beyond `max_entries`."""
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)

    def pop(self, key: Hashable) -> V | None:
        """Remove `key` and return its value, or None when it is not stored."""
        with self._lock:
            return self._items.pop(key, None)

    def get_or_compute(self, key: Hashable, compute: Callable[[], V]) -> V:
        """The cached value for `key`, or `compute()` stored under it.

        An exception from `compute` propagates and nothing is stored.
        """
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                return self._items[key]
            self.misses += 1
        value = compute()
        self.put(key, value)
        return value

    def clear(self) -> None:
        """Drop every entry (the counters stay)."""
        with self._lock:
            self._items.clear()
