"""Who may stream: at most `limit` live streams at once, each holding a lease it renews per frame.

A stream is known by its browser session (`gr.Request.session_hash`). Every frame renews its
lease; a stream that sends no frame for `lease_s` seconds (a closed tab, a stopped camera, a
stream past its time limit) loses its slot, so a slot is never held by a stream that is gone.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

LIVE_STREAMS = 2
"""Live streams computed at once in the whole app: each costs a core's share of a frame's
analysis ten times a second, and the photos of the rest of the class must still get through."""

LEASE_S = 2.0
"""A slot is freed when its stream has sent no frame for this long (frames come every 0.1 s)."""


class LiveSlots:
    """The live view's slots, safe to use from many request threads.

    Args:
        limit: streams at once (>= 1). Default: `LIVE_STREAMS`.
        lease_s: seconds without a frame after which a stream's slot is freed. Default: `LEASE_S`.
        clock: monotonic seconds (a fake clock in tests). Default: `time.monotonic`.
    """

    def __init__(
        self,
        limit: int = LIVE_STREAMS,
        lease_s: float = LEASE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1:
            raise ValueError(f"limit must be >= 1, got {limit}")
        self.limit = limit
        self.lease_s = float(lease_s)
        self.clock = clock
        self._last: dict[str, float] = {}  # session -> time of its last frame
        self._lock = threading.Lock()

    def acquire(self, key: str) -> bool:
        """Take or renew `key`'s slot for one frame.

        Returns:
            True when `key` may compute this frame (it held a slot, or one was free); False when
            `limit` other streams hold live leases.
        """
        with self._lock:
            now = self.clock()
            self._expire(now)
            if key in self._last or len(self._last) < self.limit:
                self._last[key] = now
                return True
            return False

    def release(self, key: str) -> None:
        """Free `key`'s slot now (nothing happens when it holds none)."""
        with self._lock:
            self._last.pop(key, None)

    def holders(self) -> list[str]:
        """The sessions holding a live lease right now."""
        with self._lock:
            self._expire(self.clock())
            return list(self._last)

    def _expire(self, now: float) -> None:
        for key, last in list(self._last.items()):
            if now - last > self.lease_s:
                del self._last[key]
