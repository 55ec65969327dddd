"""The models this server has loaded, shared by every client, with a bound on how many stay.

Each model is loaded once and shared read-only (per-request switches never touch it; every
analysis holds the model's own lock). The default model is pinned; others are kept in LRU
order, at most `max_extra` of them, so a class that tries ResNet-152 does not pin 240 MB.
"""

from __future__ import annotations

import threading

from resnet_demo.cache import LRUCache
from resnet_demo.models import (
    EMBEDDED_MODELS,
    LoadedModel,
    load_model,
    model_names,
    parse_model_name,
    weights_status,
)

LOADED = "loaded"


class ModelRegistry:
    """Loaded models by canonical name.

    Args:
        default: the model the app starts on (always kept).
        max_extra: how many other models stay loaded at once (>= 1). Default: 2.
        allow_download: whether a model picked in the UI may be downloaded. Default: True.
    """

    def __init__(
        self, default: LoadedModel, max_extra: int = 2, allow_download: bool = True
    ) -> None:
        self.default = default
        self.max_extra = max(1, int(max_extra))
        self.allow_download = allow_download
        self._extra: LRUCache[LoadedModel] = LRUCache(self.max_extra)
        self._load_lock = threading.Lock()

    def names(self) -> list[str]:
        """Every model the picker offers: the default first, then `models.model_names()`."""
        names = [self.default.name]
        names.extend(n for n in model_names() if n != self.default.name)
        return names

    def canonical(self, name: object) -> str:
        """The canonical name of `name` ("resnet18" -> "resnet18:IMAGENET1K_V1").

        The default model's own name is kept as it is: a teacher's model ("own:resnet18",
        `models.own`) is in no registry.

        Raises:
            ModelNameError: unknown model or a value that is not a string.
        """
        if name == self.default.name:
            return self.default.name
        return parse_model_name(name).name

    def status(self, name: str) -> str:
        """The weights state shown in the picker (nothing is loaded to find out).

        Returns:
            "embedded", "loaded" (an ImageNet model in memory), "on_disk" or "needs_download".
        """
        name = self.canonical(name)
        if name not in EMBEDDED_MODELS and self.get(name) is not None:
            return LOADED
        return weights_status(name)

    def get(self, name: str) -> LoadedModel | None:
        """The loaded model called `name`, or None when it is not loaded."""
        if name == self.default.name:
            return self.default
        return self._extra.get(name)

    def load(self, name: str, allow_download: bool | None = None) -> LoadedModel:
        """The model called `name`, loading it (hub cache, then download) when needed.

        Loads run one at a time, so two clients picking the same model load it once.

        Args:
            name: a model name (see `models.parse_model_name`).
            allow_download: override of the registry's `allow_download` for this call.

        Raises:
            ModelNameError: unknown model.
            WeightsError: weights missing, unreadable, or not downloadable (the message says
                how to place the file by hand).
        """
        name = self.canonical(name)
        model = self.get(name)
        if model is not None:
            return model
        download = self.allow_download if allow_download is None else allow_download
        with self._load_lock:  # a second client waits here, then finds the model cached
            return self._extra.get_or_compute(
                name,
                lambda: load_model(name, allow_download=download, progress=True),
            )

    def require(self, name: str) -> LoadedModel:
        """Like `load`, but never downloads: for a model a session already used."""
        return self.load(name, allow_download=False)
