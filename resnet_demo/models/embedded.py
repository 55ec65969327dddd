"""The embedded models: narrow torchvision ResNets trained by the project on its synthetic shapes.

Each is a real torchvision `ResNet` built from torchvision's `BasicBlock` (He et al. 2016,
Table 1), with the same module names (`conv1`, `bn1`, `relu`, `maxpool`, `layer1.0` ...,
`avgpool`, `fc`), so every feature of the app (Grad-CAM, block activations, switches, the lab)
works on it exactly as on the ImageNet models. Only the stage widths are narrower:
`(w, 2w, 4w, 8w)` instead of `(64, 128, 256, 512)`. Three ship in `assets/`:

- `embedded`: ResNet-18 layout `[2, 2, 2, 2]` (8 blocks), 128 px, trained with stochastic
  depth (`python -m training.train_embedded`; the shipped bits came from its version at
  commit 73a09cd).
- `embedded-no-sd`: the same recipe without stochastic depth
  (`python -m training.train_embedded --stochastic-depth 0`).
- `embedded-deep`: `[7, 7, 7, 6]` (27 blocks, a ResNet-56-like net in torchvision form) with
  a 3x3 stride-1 stem and no max-pool, 32 px, trained plainly (`python -m training.train_deep`).

The model card next to each records the architecture, data, normalisation, training run and
measured quality; `build_from_card` builds the architecture it describes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torchvision.models.resnet import BasicBlock, ResNet

from resnet_demo.errors import InvalidValue, check_int

INPUT_SIZE: int = 128
"""Side of the square RGB input in pixels; layer4 maps are `INPUT_SIZE / 32 = 4` wide."""

_ASSETS = Path(__file__).resolve().parents[2] / "assets"
WEIGHTS_PATH: Path = _ASSETS / "embedded_resnet.pt"
"""The shipped `state_dict` (float32)."""
CARD_PATH: Path = _ASSETS / "embedded_resnet.json"
"""The model card: classes, normalisation, training run and measured quality."""

EMBEDDED_FILES: dict[str, tuple[str, str]] = {
    "embedded": ("embedded_resnet.pt", "embedded_resnet.json"),
    "embedded-deep": ("embedded_deep_resnet.pt", "embedded_deep_resnet.json"),
    "embedded-no-sd": ("embedded_no_sd_resnet.pt", "embedded_no_sd_resnet.json"),
}
"""Weights and card file (in `assets/`) of each embedded model, the default first."""
SMALL_STEM = "3x3"
"""Card `stem` value of a CIFAR-style stem: 3x3 stride-1 `conv1`, `maxpool` = identity."""

_RESNET18_LAYERS = [2, 2, 2, 2]
_CARD_KEYS = ("classes", "classes_zh", "input_size", "width", "mean", "std")


def asset_paths(name: str) -> tuple[Path, Path]:
    """`(weights, card)` paths of the embedded model `name` (a key of `EMBEDDED_FILES`)."""
    weights, card = EMBEDDED_FILES[name]
    return _ASSETS / weights, _ASSETS / card


class NarrowResNet(ResNet):
    """torchvision's `ResNet` with stage widths `(w, 2w, 4w, 8w)`.

    `__init__` mirrors `torchvision.models.resnet.ResNet.__init__` line for line except for
    the widths; `forward` and `_make_layer` are inherited unchanged, so the computation is
    torchvision's own.

    Args:
        block: Residual block class. Default: `BasicBlock`.
        layers: Blocks per stage. Default: `[2, 2, 2, 2]` (ResNet-18).
        num_classes: Outputs of `fc`. Default: 10.
        width: Channels of `conv1` and `layer1`; stage `k` has `width * 2**(k-1)`.
            Default: 16.
        zero_init_residual: Zero the last BN of each residual branch (Goyal et al. 2017), so
            every block starts as the identity. Default: `False`.
        norm_layer: Normalisation layer. Default: `nn.BatchNorm2d`.
    """

    def __init__(
        self,
        block: type[BasicBlock] = BasicBlock,
        layers: list[int] | None = None,
        num_classes: int = 10,
        width: int = 16,
        zero_init_residual: bool = False,
        norm_layer: Callable[..., nn.Module] | None = None,
    ) -> None:
        # Skip ResNet.__init__ (it would build the 64..512 network first) and run the same
        # steps with other widths.
        nn.Module.__init__(self)
        if layers is None:
            layers = list(_RESNET18_LAYERS)
        width = check_int(width, "width", 1)
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        self._norm_layer = norm_layer

        self.inplanes = width
        self.dilation = 1
        self.groups = 1
        self.base_width = 64  # BasicBlock accepts only 64 (it is not a width here)
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = norm_layer(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, width, layers[0])
        self.layer2 = self._make_layer(block, 2 * width, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 4 * width, layers[2], stride=2)
        self.layer4 = self._make_layer(block, 8 * width, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(8 * width * block.expansion, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, BasicBlock) and m.bn2.weight is not None:
                    nn.init.constant_(m.bn2.weight, 0)


def build_embedded_resnet(num_classes: int, width: int) -> ResNet:
    """Build the untrained embedded architecture.

    Args:
        num_classes: Number of output classes (`fc` outputs), >= 2.
        width: Channels of the first stage (16, 24 or 32 in practice); stages are
            `(w, 2w, 4w, 8w)`.

    Returns:
        A `torchvision.models.resnet.ResNet` of `BasicBlock`s, layout `[2, 2, 2, 2]`, in
        training mode, taking float32 `(N, 3, 128, 128)` normalised input and returning
        `(N, num_classes)` logits.

    Raises:
        InvalidValue: If `num_classes < 2` or `width < 1` (a ValueError).
    """
    return build_narrow_resnet(num_classes, width)


def build_narrow_resnet(
    num_classes: int, width: int, layers: list[int] | None = None, stem: str = "7x7"
) -> ResNet:
    """A `NarrowResNet` of `BasicBlock`s with `layers` blocks per stage.

    Args:
        num_classes: Outputs of `fc`, >= 2.
        width: Channels of the first stage; stages are `(w, 2w, 4w, 8w)`.
        layers: Blocks per stage. Default: `[2, 2, 2, 2]`.
        stem: `"7x7"` (torchvision's 7x7 stride-2 `conv1` and max-pool) or `SMALL_STEM`
            (a 3x3 stride-1 `conv1`, Kaiming-initialised like torchvision's convolutions, and
            `maxpool = nn.Identity()`: He et al.'s CIFAR stem, for 32 px input).

    Raises:
        InvalidValue: If `num_classes < 2` or `width < 1` (a ValueError).
    """
    check_int(num_classes, "num_classes", 2)
    model = NarrowResNet(
        BasicBlock, list(layers or _RESNET18_LAYERS), num_classes=num_classes, width=width
    )
    if stem == SMALL_STEM:
        model.conv1 = nn.Conv2d(3, width, kernel_size=3, stride=1, padding=1, bias=False)
        nn.init.kaiming_normal_(model.conv1.weight, mode="fan_out", nonlinearity="relu")
        # NarrowResNet types maxpool as MaxPool2d; ResNet.forward calls whatever module is there
        model.maxpool = nn.Identity()  # type: ignore[assignment]  # see the line above
    return model


def build_from_card(card: dict[str, Any]) -> ResNet:
    """The untrained architecture a model card describes (`layers` and `stem` default to
    the 8-block embedded model's)."""
    return build_narrow_resnet(
        len(card["classes"]),
        int(card["width"]),
        [int(n) for n in card.get("layers", _RESNET18_LAYERS)],
        str(card.get("stem", "7x7")),
    )


def read_card(card_path: Path = CARD_PATH) -> dict[str, Any]:
    """Read and check the embedded model card.

    Args:
        card_path: JSON model card written by `training.train_embedded`.

    Returns:
        The card as a dict (keys include `classes`, `classes_zh`, `input_size`,
        `width`, `mean`, `std`).

    Raises:
        FileNotFoundError: If the card is missing.
        InvalidValue: If a required key is missing (key `model_card_incomplete`, a ValueError).
    """
    card = json.loads(Path(card_path).read_text(encoding="utf-8"))
    missing = [key for key in _CARD_KEYS if key not in card]
    if missing:
        raise InvalidValue("model_card_incomplete", path=str(card_path), keys=", ".join(missing))
    return card


def load_embedded(
    weights_path: Path = WEIGHTS_PATH, card_path: Path = CARD_PATH
) -> tuple[ResNet, dict[str, Any]]:
    """Load a shipped embedded model and its card (default: `embedded`).

    The `state_dict` is read with `torch.load(weights_only=True)` (no pickled code runs)
    and loaded strictly: every key and shape must match the architecture the card describes.
    Weights stored as float16 (to keep a file under 5 MB) are converted to float32.

    Args:
        weights_path: `state_dict` file. Default: `assets/embedded_resnet.pt`.
        card_path: Model card JSON. Default: `assets/embedded_resnet.json`.

    Returns:
        `(model, card)`: the model in eval mode on the CPU, float32; the card dict. The model
        expects `(N, 3, card["input_size"], card["input_size"])` float32 input normalised with
        `card["mean"]` and `card["std"]` (per channel, after scaling pixels to [0, 1]).

    Raises:
        FileNotFoundError: If either file is missing.
        RuntimeError: If the weights do not match the architecture (strict load).
    """
    card = read_card(card_path)
    model = build_from_card(card)
    state = torch.load(Path(weights_path), map_location="cpu", weights_only=True)
    state = {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
    model.load_state_dict(state, strict=True)
    model.eval()
    return model, card
