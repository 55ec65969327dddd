"""The embedded model: a narrow ResNet-18 trained by the project on its synthetic shapes.

It is a real torchvision ``ResNet`` built from torchvision's ``BasicBlock`` in the ResNet-18
layout ``[2, 2, 2, 2]`` (He et al. 2016, Table 1), with the same module names (``conv1``,
``bn1``, ``relu``, ``maxpool``, ``layer1.0`` ... ``layer4.1``, ``avgpool``, ``fc``), so every
feature of the app (Grad-CAM, block activations, switches) works on it exactly as on the
ImageNet models. Only the stage widths are narrower: ``(w, 2w, 4w, 8w)`` instead of
``(64, 128, 256, 512)``. The weights ship in ``assets/``; ``python -m training.train_embedded``
retrains the same recipe from a seed (the shipped bits came from its version at commit 73a09cd).
The model card next to them records the data, normalisation, training run and measured quality.
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
"""Side of the square RGB input in pixels; layer4 maps are ``INPUT_SIZE / 32 = 4`` wide."""

_ASSETS = Path(__file__).resolve().parents[2] / "assets"
WEIGHTS_PATH: Path = _ASSETS / "embedded_resnet.pt"
"""The shipped ``state_dict`` (float32)."""
CARD_PATH: Path = _ASSETS / "embedded_resnet.json"
"""The model card: classes, normalisation, training run and measured quality."""

_RESNET18_LAYERS = [2, 2, 2, 2]
_CARD_KEYS = ("classes", "classes_zh", "input_size", "width", "mean", "std")


class NarrowResNet(ResNet):
    """torchvision's ``ResNet`` with stage widths ``(w, 2w, 4w, 8w)``.

    ``__init__`` mirrors ``torchvision.models.resnet.ResNet.__init__`` line for line except for
    the widths; ``forward`` and ``_make_layer`` are inherited unchanged, so the computation is
    torchvision's own.

    Args:
        block: Residual block class. Default: ``BasicBlock``.
        layers: Blocks per stage. Default: ``[2, 2, 2, 2]`` (ResNet-18).
        num_classes: Outputs of ``fc``. Default: 10.
        width: Channels of ``conv1`` and ``layer1``; stage ``k`` has ``width * 2**(k-1)``.
            Default: 16.
        zero_init_residual: Zero the last BN of each residual branch (Goyal et al. 2017), so
            every block starts as the identity. Default: ``False``.
        norm_layer: Normalisation layer. Default: ``nn.BatchNorm2d``.
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
        num_classes: Number of output classes (``fc`` outputs), >= 2.
        width: Channels of the first stage (16, 24 or 32 in practice); stages are
            ``(w, 2w, 4w, 8w)``.

    Returns:
        A ``torchvision.models.resnet.ResNet`` of ``BasicBlock``s, layout ``[2, 2, 2, 2]``, in
        training mode, taking float32 ``(N, 3, 128, 128)`` normalised input and returning
        ``(N, num_classes)`` logits.

    Raises:
        InvalidValue: If ``num_classes < 2`` or ``width < 1`` (a ValueError).
    """
    check_int(num_classes, "num_classes", 2)
    return NarrowResNet(BasicBlock, list(_RESNET18_LAYERS), num_classes=num_classes, width=width)


def read_card(card_path: Path = CARD_PATH) -> dict[str, Any]:
    """Read and check the embedded model card.

    Args:
        card_path: JSON model card written by ``training.train_embedded``.

    Returns:
        The card as a dict (keys include ``classes``, ``classes_zh``, ``input_size``,
        ``width``, ``mean``, ``std``).

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
    """Load the shipped embedded model and its card.

    The ``state_dict`` is read with ``torch.load(weights_only=True)`` (no pickled code runs)
    and loaded strictly: every key and shape must match the architecture the card describes.

    Args:
        weights_path: ``state_dict`` file. Default: ``assets/embedded_resnet.pt``.
        card_path: Model card JSON. Default: ``assets/embedded_resnet.json``.

    Returns:
        ``(model, card)``: the model in eval mode on the CPU, float32; the card dict. The model
        expects ``(N, 3, card["input_size"], card["input_size"])`` float32 input normalised with
        ``card["mean"]`` and ``card["std"]`` (per channel, after scaling pixels to [0, 1]).

    Raises:
        FileNotFoundError: If either file is missing.
        RuntimeError: If the weights do not match the architecture (strict load).
    """
    card = read_card(card_path)
    model = build_embedded_resnet(len(card["classes"]), int(card["width"]))
    state = torch.load(Path(weights_path), map_location="cpu", weights_only=True)
    model.load_state_dict(state, strict=True)
    model.eval()
    return model, card
