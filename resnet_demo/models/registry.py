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
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import torchvision
from torch import nn
from torchvision.models import WeightsEnum, get_model, get_model_weights, list_models

from resnet_demo.errors import DemoError

EMBEDDED = "embedded"
EMBEDDED_DEEP = "embedded-deep"
EMBEDDED_NO_SD = "embedded-no-sd"
EMBEDDED_MODELS: tuple[str, ...] = (EMBEDDED, EMBEDDED_DEEP, EMBEDDED_NO_SD)
"""The project's own models, which ship with the app (no version, no download)."""

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
