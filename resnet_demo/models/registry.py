"""Which models exist: torchvision's residual networks with every published weights version,
plus ours.

The list comes from torchvision's own registry (`torchvision.models.list_models`,
`get_model_weights`, `get_model`): every ResNet, ResNeXt and Wide ResNet it ships. They are all
the same `torchvision.models.resnet.ResNet` class with `BasicBlock`s or `Bottleneck`s (ResNeXt:
grouped 3x3 convolutions, Xie et al. 2017; Wide ResNet: twice the bottleneck width, Zagoruyko &
Komodakis 2016), so the switches, Grad-CAM and the lab work on each of them unchanged.

A model is named `ARCH` (its default weights) or `ARCH:VERSION`, e.g. `resnet50:IMAGENET1K_V1`;
`embedded`, `embedded-deep` and `embedded-no-sd` are the small ResNets this project trains on its
own synthetic shapes (`models.embedded`).

What each model is known to achieve is read at run time, never copied: torchvision's ImageNet
accuracy from each weights version's `meta["_metrics"]` (`torchvision_accuracy`), and an embedded
model's test accuracy from its own model card (`EMBEDDED_CARDS`, `card_accuracy`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import torch
import torchvision
from torch import nn
from torchvision.models import WeightsEnum, get_model, get_model_weights, list_models
from torchvision.models.resnet import Bottleneck

from resnet_demo.errors import DemoError
from resnet_demo.models.embedded import asset_paths

EMBEDDED = "embedded"
EMBEDDED_DEEP = "embedded-deep"
EMBEDDED_NO_SD = "embedded-no-sd"
EMBEDDED_MODELS: tuple[str, ...] = (EMBEDDED, EMBEDDED_DEEP, EMBEDDED_NO_SD)
"""The project's own models, which ship with the app (no version, no download)."""

EMBEDDED_CARDS: dict[str, Path] = {name: asset_paths(name)[1] for name in EMBEDDED_MODELS}
"""Model card of every embedded model, by registry name (`card_accuracy` reads its numbers)."""

IMAGENET = "ImageNet-1K"
"""The `meta["_metrics"]` entry of torchvision's ImageNet classification weights."""

FAMILIES: tuple[str, ...] = ("resnet*", "resnext*", "wide_resnet*")
"""`list_models` patterns of the residual networks offered, in the order the picker lists them."""


class ModelNameError(DemoError):
    """An unknown architecture or weights version; the message lists what exists (keys
    `model_*` of the catalogue's `[errors_engine]` table)."""


def _natural(name: str) -> list[object]:
    """Sort key that puts resnet18 before resnet101 (numbers compared as numbers)."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


@cache
def architectures() -> tuple[str, ...]:
    """torchvision's residual-network builders, e.g. ("resnet18", …, "wide_resnet101_2").

    Family by family (`FAMILIES`), shallow to deep; only the float models of
    `torchvision.models` (not the quantized ones).
    """
    names: list[str] = []
    for pattern in FAMILIES:
        names.extend(sorted(list_models(torchvision.models, include=pattern), key=_natural))
    return tuple(names)


@dataclass(frozen=True)
class ModelSpec:
    """One architecture with one weights version.

    Attributes:
        arch: torchvision builder name, e.g. "resnet50", or "embedded".
        version: weights enum member name, e.g. "IMAGENET1K_V2"; "" for the embedded model.
    """

    arch: str
    version: str = ""

    @property
    def name(self) -> str:
        """Canonical `ARCH:VERSION` name (just `embedded` for ours)."""
        return self.arch if self.is_embedded else f"{self.arch}:{self.version}"

    @property
    def is_embedded(self) -> bool:
        """True for the project's own models, which always ship with the app."""
        return self.arch in EMBEDDED_MODELS

    @property
    def weights(self) -> WeightsEnum:
        """The torchvision weights enum member (ImageNet models only)."""
        if self.is_embedded:
            raise ModelNameError("model_embedded_no_weights")
        return get_model_weights(self.arch)[self.version]

    def build(self) -> nn.Module:
        """An untrained torchvision network of this architecture (random init, 1000 classes)."""
        if self.is_embedded:
            raise ModelNameError("model_embedded_build")
        return get_model(self.arch, weights=None)


def parse_model_name(name: object) -> ModelSpec:
    """Turn `resnet50`, `resnet50:IMAGENET1K_V1` or `embedded` into a ModelSpec.

    Args:
        name: model name, case-insensitive; without a version the weights' DEFAULT is used.

    Returns:
        The spec with the version resolved.

    Raises:
        ModelNameError: unknown architecture or version, with the valid choices in the message.
    """
    if not isinstance(name, str) or not name.strip():
        raise ModelNameError("model_name_empty", value=repr(name))
    arch, _, version = name.strip().partition(":")
    arch = arch.lower()
    if arch in EMBEDDED_MODELS:
        if version:
            raise ModelNameError("model_embedded_version")
        return ModelSpec(arch)
    if arch not in architectures():
        raise ModelNameError("model_unknown", arch=repr(arch), choices=", ".join(model_names()))
    enum = get_model_weights(arch)
    if not version:
        return ModelSpec(arch, enum.DEFAULT.name)
    versions = [w.name for w in enum]
    if version.upper() not in versions:
        raise ModelNameError(
            "model_unknown_weights", version=repr(version), arch=arch, choices=", ".join(versions)
        )
    return ModelSpec(arch, version.upper())


def model_names() -> list[str]:
    """Every model the app offers: the embedded ones, then each architecture with each weights
    version."""
    names = list(EMBEDDED_MODELS)
    for arch in architectures():
        names.extend(f"{arch}:{w.name}" for w in get_model_weights(arch))
    return names


@dataclass(frozen=True)
class WeightsAccuracy:
    """What torchvision publishes for one weights version (`weights.meta`).

    Attributes:
        version: weights enum member name, e.g. "IMAGENET1K_V2".
        top1: `meta["_metrics"]["ImageNet-1K"]["acc@1"]`, in percent.
        top5: `meta["_metrics"]["ImageNet-1K"]["acc@5"]`, in percent.
        recipe: `meta["recipe"]`: link to the training recipe, or "".
        default: True for the version the bare architecture name loads (`Weights.DEFAULT`).
    """

    version: str
    top1: float
    top5: float
    recipe: str
    default: bool


def torchvision_accuracy(arch: str) -> tuple[WeightsAccuracy, ...]:
    """ImageNet-1K validation accuracy of every weights version of `arch` (an architecture or
    any model name of it), as torchvision's weights metadata states it (single crop at the
    weights' own preprocessing).

    Raises:
        ModelNameError: unknown architecture (also for embedded models, which have a card).
    """
    spec = parse_model_name(arch)
    if spec.is_embedded:
        raise ModelNameError("model_unknown", arch=repr(arch), choices=", ".join(architectures()))
    enum = get_model_weights(spec.arch)
    out = []
    for w in enum:
        metrics = w.meta["_metrics"][IMAGENET]
        out.append(
            WeightsAccuracy(
                version=w.name,
                top1=float(metrics["acc@1"]),
                top5=float(metrics["acc@5"]),
                recipe=str(w.meta.get("recipe", "")),
                default=w is enum.DEFAULT,
            )
        )
    return tuple(out)


@cache
def uses_bottleneck(arch: str) -> bool:
    """True when torchvision's `arch` is built from `Bottleneck` blocks (ResNet-50/101/152,
    ResNeXt, Wide ResNet): torchvision's "ResNet V1.5", whose stride-2 sits in the 3×3 conv
    rather than the first 1×1 (torchvision's ResNet-50 docs). Builds the architecture on the
    "meta" device (no memory, no weights) to look at its blocks."""
    with torch.device("meta"):
        net = get_model(parse_model_name(arch).arch, weights=None)
    return isinstance(net.layer1[0], Bottleneck)


@dataclass(frozen=True)
class CardAccuracy:
    """An embedded model's test accuracy, from its model card.

    Attributes:
        accuracy: card["test_accuracy"], a fraction in [0, 1].
        n_images: how many fresh shapes it was measured on (the card's `test_shape_seeds`
            range [first, end)).
    """

    accuracy: float
    n_images: int


def card_accuracy(name: str) -> CardAccuracy | None:
    """The test accuracy an embedded model's card states, or None when the model has no card
    (ImageNet models) or the card states none."""
    path = EMBEDDED_CARDS.get(name)
    if path is None or not path.is_file():
        return None
    card = json.loads(path.read_text(encoding="utf-8"))
    seeds = card.get("test_shape_seeds")
    if "test_accuracy" not in card or not isinstance(seeds, list) or len(seeds) != 2:
        return None
    return CardAccuracy(float(card["test_accuracy"]), int(seeds[1]) - int(seeds[0]))
