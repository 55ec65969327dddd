"""Where weights come from, in order: a file the user names, the torch hub cache, a download.

Only plain state_dicts are ever loaded, with `torch.load(weights_only=True)` and a strict check of
every key and shape, so a file can neither run code nor half-load. When ImageNet weights cannot be
had (no network, as in many classrooms), `load_model_or_embedded` falls back to the embedded
model and says how to place the file by hand.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import torch
from torch import nn

from resnet_demo.models.device import chosen_device
from resnet_demo.models.diagnose import describe_checkpoint, describe_file, describe_state
from resnet_demo.models.embedded import asset_paths, build_from_card, load_embedded
from resnet_demo.models.errors import WeightsError, WeightsUnavailable
from resnet_demo.models.preprocessing import Preprocessing
from resnet_demo.models.registry import EMBEDDED, ModelSpec, parse_model_name
from resnet_demo.text import LANGUAGES

RANDOM = "random"


@dataclass(frozen=True, eq=False)
class LoadedModel:
    """A ready network with everything needed to feed and read it.

    Attributes:
        spec: which architecture and weights version.
        module: the torchvision `ResNet` in eval mode. Shared by every request: never mutate it
            while serving; per-request changes go through `resnet_demo.switches`.
        categories: class names in output order (`weights.meta["categories"]`), in English.
        preprocessing: resize/crop/normalisation the weights were trained with.
        source: where the weights came from, e.g. "embedded", "file:/x.pth", "hub-cache:/y.pth",
            "download", "random(seed=0)".
        label: the name of a teacher's own model ("own:resnet18", `models.own`); "" for the
            registry's models, whose name is the spec's.
        class_names: class names by language code, same order as `categories`; English
            (`categories`) is always there, others where known (the embedded models: Chinese).
        lock: held by every analysis of this instance (Captum hooks are per module).
    """

    spec: ModelSpec
    module: nn.Module
    categories: tuple[str, ...]
    preprocessing: Preprocessing
    source: str
    label: str = ""
    class_names: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        names = MappingProxyType({**self.class_names, "en": self.categories})
        object.__setattr__(self, "class_names", names)

    def names_in(self, lang: str) -> tuple[str, ...]:
        """The class names in `lang` (a code of `text.LANGUAGES`), else in English."""
        return self.class_names.get(lang, self.categories)

    @property
    def device(self) -> torch.device:
        """Where the network runs (its parameters' device, set by `load_model`): every input
        goes there (`to_input`), every map comes back to the CPU before it is drawn."""
        first = next(self.module.parameters(), None)
        return first.device if first is not None else torch.device("cpu")

    def to_input(self, view: np.ndarray) -> torch.Tensor:
        """The normalised (1, 3, S, S) input of a model view (`Preprocessing.to_tensor`), on
        the network's device: the one way the engine, the batch panel, the live view and the
        lab build an input."""
        return self.preprocessing.to_tensor(view).to(self.device)

    @property
    def name(self) -> str:
        """Canonical model name, e.g. "resnet18:IMAGENET1K_V1", "embedded" or "own:resnet18"."""
        return self.label or self.spec.name


def hub_cache_path(spec: ModelSpec) -> Path:
    """Where torchvision keeps downloaded weights: `$TORCH_HOME/hub/checkpoints/<file>`."""
    filename = os.path.basename(spec.weights.url)
    return Path(torch.hub.get_dir()) / "checkpoints" / filename


def weights_status(name: str) -> str:
    """How a model's weights would be obtained now, without loading anything.

    Returns:
        "embedded" (ships with the app), "on_disk" (in the hub cache) or "needs_download"
        (identifiers; the front ends word them with the catalogue's `state_<status>`).
    """
    spec = parse_model_name(name)
    if spec.is_embedded:
        return "embedded"
    return "on_disk" if hub_cache_path(spec).is_file() else "needs_download"


def read_state_dict(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """Read a plain state_dict safely.

    Args:
        path: a `.pth`/`.pt` file written by `torch.save(model.state_dict(), path)`.

    Returns:
        Mapping of parameter/buffer names to tensors.

    Raises:
        WeightsError: missing file, not loadable with `weights_only=True`, or not a mapping of
            names to tensors; the message names what the file holds instead (a whole pickled
            model, another zip archive, text, a training checkpoint: `diagnose.describe_file`).
    """
    path = Path(path)
    if not path.is_file():
        raise WeightsError("weights_not_found", path=str(path))
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise describe_file(path, exc) from exc
    if not isinstance(state, Mapping):
        raise WeightsError("weights_not_mapping", path=str(path))
    if not all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()):
        raise describe_checkpoint(path, state)
    return dict(state)


def load_state_dict_strict(
    module: nn.Module, state: Mapping[str, torch.Tensor], origin: str
) -> None:
    """Copy weights into `module` after checking every key and shape.

    Raises:
        WeightsError: naming the architecture the file looks like (`diagnose.describe_state`) and
            the first missing, unexpected and mis-shaped keys.
    """
    expected = module.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    mis_shaped = [
        f"{k} {tuple(state[k].shape)} != {tuple(v.shape)}"
        for k, v in expected.items()
        if k in state and state[k].shape != v.shape
    ]
    if missing or unexpected or mis_shaped:
        raise WeightsError(
            "weights_do_not_fit",
            origin=origin,
            found=describe_state(state),
            missing=len(missing),
            missing_examples=", ".join(missing[:3]) or "-",
            unexpected=len(unexpected),
            unexpected_examples=", ".join(unexpected[:3]) or "-",
            mis_shaped=len(mis_shaped),
            mis_shaped_examples="; ".join(mis_shaped[:3]) or "-",
        )
    module.load_state_dict(state, strict=True)


def _download(url: str, progress: bool) -> dict[str, torch.Tensor]:
    """Download through torchvision into the hub cache (tests replace this function)."""
    return torch.hub.load_state_dict_from_url(
        url, map_location="cpu", progress=progress, check_hash=True, weights_only=True
    )


def _imagenet_model(
    spec: ModelSpec,
    weights: str | os.PathLike | None,
    allow_download: bool,
    progress: bool,
    seed: int,
) -> LoadedModel:
    module = spec.build()
    enum_weights = spec.weights
    if weights is not None and str(weights) == RANDOM:
        # Seeded He initialisation from torchvision's own builder: same init, every run.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            module = spec.build()
        source = f"random(seed={seed})"
    elif weights is not None:
        load_state_dict_strict(module, read_state_dict(weights), str(weights))
        source = f"file:{weights}"
    elif hub_cache_path(spec).is_file():
        path = hub_cache_path(spec)
        load_state_dict_strict(module, read_state_dict(path), str(path))
        source = f"hub-cache:{path}"
    elif allow_download:
        try:
            state = _download(enum_weights.url, progress)
        except Exception as exc:
            raise _unavailable(spec, "weights_download_failed", error=str(exc)) from exc
        load_state_dict_strict(module, state, enum_weights.url)
        source = "download"
    else:
        raise _unavailable(spec, "weights_downloads_off")
    module.eval()
    return LoadedModel(
        spec=spec,
        module=module,
        categories=tuple(enum_weights.meta["categories"]),
        preprocessing=Preprocessing.from_transforms(enum_weights.transforms()),
        source=source,
    )


def offline_copy(spec: ModelSpec) -> dict[str, str]:
    """Where an ImageNet model's weights come from and where to copy them by hand, as the
    fields `url` and `path` of the catalogue's "download {url} … copy it to {path}" sentences
    (the errors below, and the shapes models' photo notice, `describe.shapes_notice`)."""
    return {"url": spec.weights.url, "path": str(hub_cache_path(spec))}


def _unavailable(spec: ModelSpec, key: str, **fields: object) -> WeightsUnavailable:
    """The error for weights that cannot be had; its message says where to place the file."""
    return WeightsUnavailable(key, model=spec.name, **offline_copy(spec), **fields)


def _embedded_model(spec: ModelSpec, weights: str | os.PathLike | None, seed: int) -> LoadedModel:
    module, card = load_embedded(*asset_paths(spec.arch))
    source = "embedded"
    if weights is not None and str(weights) == RANDOM:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            module = build_from_card(card)
        module.eval()
        source = f"random(seed={seed})"
    elif weights is not None:
        load_state_dict_strict(module, read_state_dict(weights), str(weights))
        source = f"file:{weights}"
    size = int(card["input_size"])
    return LoadedModel(
        spec=spec,
        module=module,
        categories=tuple(card["classes"]),
        preprocessing=Preprocessing(size, size, tuple(card["mean"]), tuple(card["std"])),
        source=source,
        class_names=card_class_names(card),
    )


def card_class_names(card: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """The class names a model card holds besides English's `classes`: `classes_<code>` for
    each language of `text.LANGUAGES` (the shipped cards have `classes_zh`)."""
    return {code: tuple(card[f"classes_{code}"]) for code in LANGUAGES if f"classes_{code}" in card}


def load_model(
    name: str = EMBEDDED,
    weights: str | os.PathLike | None = None,
    *,
    allow_download: bool = True,
    progress: bool = True,
    seed: int = 0,
    device: torch.device | None = None,
) -> LoadedModel:
    """Load a network ready for analysis.

    Args:
        name: "embedded", "embedded-deep", "embedded-no-sd", "resnet18" … "resnet152" (and the
            other torchvision residual nets), optionally with ":VERSION" (e.g.
            "resnet50:IMAGENET1K_V1"). Default: "embedded".
        weights: None (embedded weights, or hub cache then download for ImageNet models), a
            path to a state_dict file, or "random" for a seeded untrained network.
        allow_download: whether a missing ImageNet file may be downloaded. Default: True.
        progress: show a console progress bar while downloading. Default: True.
        seed: seed of the "random" initialisation. Default: 0.
        device: where the network runs. Default: the process's choice (`device.use_device`,
            the CPU unless `--device` chose otherwise).

    Returns:
        A LoadedModel in eval mode, its module on `device`.

    Raises:
        ModelNameError: unknown model or version.
        WeightsError: a named file that is missing, not a state_dict, or does not fit.
        WeightsUnavailable: ImageNet weights neither on disk nor downloadable.
    """
    spec = parse_model_name(name)
    if spec.is_embedded:
        model = _embedded_model(spec, weights, seed)
    else:
        model = _imagenet_model(spec, weights, allow_download, progress, seed)
    model.module.to(device if device is not None else chosen_device())
    return model


def load_model_or_embedded(
    name: str = EMBEDDED,
    weights: str | os.PathLike | None = None,
    *,
    allow_download: bool = True,
    progress: bool = True,
) -> tuple[LoadedModel, WeightsUnavailable | None]:
    """Like `load_model`, but fall back to the embedded model when ImageNet weights are missing.

    Returns:
        (model, reason): reason is None on success, else the `WeightsUnavailable` that caused
        the fallback (its words say how to place the weights by hand; the front end adds that
        the embedded model is used instead).
    """
    try:
        return load_model(name, weights, allow_download=allow_download, progress=progress), None
    except WeightsUnavailable as exc:
        return load_model(EMBEDDED), exc
