"""Which models exist: torchvision's ResNets with every published weights version, plus ours.

A model is named `ARCH` (its default weights) or `ARCH:VERSION`, e.g. `resnet50:IMAGENET1K_V1`;
`embedded` is the small ResNet this project trains on its own synthetic shapes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from torch import nn
from torchvision.models import (
    ResNet18_Weights,
    ResNet34_Weights,
    ResNet50_Weights,
    ResNet101_Weights,
    ResNet152_Weights,
    WeightsEnum,
    resnet18,
    resnet34,
    resnet50,
    resnet101,
    resnet152,
)

EMBEDDED = "embedded"

ARCHITECTURES: dict[str, tuple[Callable[..., nn.Module], type[WeightsEnum]]] = {
    "resnet18": (resnet18, ResNet18_Weights),
    "resnet34": (resnet34, ResNet34_Weights),
    "resnet50": (resnet50, ResNet50_Weights),
    "resnet101": (resnet101, ResNet101_Weights),
    "resnet152": (resnet152, ResNet152_Weights),
}


class ModelNameError(ValueError):
    """An unknown architecture or weights version; the message lists what exists."""


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
        return self.arch if self.arch == EMBEDDED else f"{self.arch}:{self.version}"

    @property
    def is_embedded(self) -> bool:
        """True for the project's own model, which always ships with the app."""
        return self.arch == EMBEDDED

    @property
    def weights(self) -> WeightsEnum:
        """The torchvision weights enum member (ImageNet models only)."""
        if self.is_embedded:
            raise ModelNameError("the embedded model has no torchvision weights")
        return ARCHITECTURES[self.arch][1][self.version]

    def build(self) -> nn.Module:
        """An untrained torchvision network of this architecture (random init, 1000 classes)."""
        if self.is_embedded:
            raise ModelNameError("build the embedded model with models.embedded")
        return ARCHITECTURES[self.arch][0](weights=None)


def parse_model_name(name: str) -> ModelSpec:
    """Turn `resnet50`, `resnet50:IMAGENET1K_V1` or `embedded` into a ModelSpec.

    Args:
        name: model name, case-insensitive; without a version the weights' DEFAULT is used.

    Returns:
        The spec with the version resolved.

    Raises:
        ModelNameError: unknown architecture or version, with the valid choices in the message.
    """
    if not isinstance(name, str) or not name.strip():
        raise ModelNameError(f"model name must be a non-empty string, got {name!r}")
    arch, _, version = name.strip().partition(":")
    arch = arch.lower()
    if arch == EMBEDDED:
        if version:
            raise ModelNameError("the embedded model has a single version; use 'embedded'")
        return ModelSpec(EMBEDDED)
    if arch not in ARCHITECTURES:
        raise ModelNameError(f"unknown model {arch!r}; choose one of: {', '.join(model_names())}")
    enum = ARCHITECTURES[arch][1]
    if not version:
        return ModelSpec(arch, enum.DEFAULT.name)
    versions = [w.name for w in enum]
    if version.upper() not in versions:
        raise ModelNameError(
            f"unknown weights {version!r} for {arch}; choose one of: {', '.join(versions)}"
        )
    return ModelSpec(arch, version.upper())


def model_names() -> list[str]:
    """Every model the app offers: `embedded`, then each architecture with each weights version."""
    names = [EMBEDDED]
    for arch, (_, enum) in ARCHITECTURES.items():
        names.extend(f"{arch}:{w.name}" for w in enum)
    return names
