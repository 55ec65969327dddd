"""CIFAR-style residual networks and their plain twins (He et al. 2016, §4.2).

The CIFAR networks of He et al. have 6n + 2 weighted layers: a 3×3 convolution with 16 filters,
three stages of n residual blocks with 16, 32 and 64 filters (each block two 3×3 convolutions;
the first block of stages 2 and 3 halves the resolution with stride 2), global average pooling
and a fully connected layer. Depth 20 is n = 3, depth 56 is n = 9.

Blocks are torchvision's own `BasicBlock`, so y = relu(F(x) + shortcut(x)) is computed exactly
as in the ImageNet models. The shortcut where the width doubles is either

- option A (He et al.'s choice on CIFAR): the identity on every second pixel, with the new
  channels filled with zeros, so the shortcut has no parameters; or
- option B: a 1×1 convolution with stride 2 and BatchNorm (torchvision's `downsample`).

The *plain twin* is the same network with every skip connection off: each block computes
y = relu(F(x)) (He et al.'s "plain" baseline; a projection shortcut is dropped with its skip,
like the app's `skip-off` switch). `twin_nets` builds both from one seed, so they start from the
same weights and differ only in the skips.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models.resnet import BasicBlock

from resnet_demo.errors import InvalidValue, check_int
from resnet_demo.switches import residual_branch

SHORTCUTS: tuple[str, ...] = ("A", "B")
"""Shortcut options where the width doubles: "A" zero-padded identity, "B" 1×1 projection."""
STAGE_WIDTHS: tuple[int, int, int] = (16, 32, 64)
"""Filters of the three stages (He et al. 2016, §4.2)."""
DEPTHS: tuple[int, ...] = (8, 20, 32, 44, 56)
"""Depths the lab offers; any 6n + 2 >= 8 works."""


class PadShortcut(nn.Module):
    """Option-A shortcut: subsample by `stride` and append zero channels (no parameters).

    Args:
        in_channels: channels of the block input.
        out_channels: channels of the block output (>= in_channels).
        stride: spatial subsampling step (the block's stride).
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__()
        if out_channels < in_channels:
            raise InvalidValue(
                "value_too_small", name="out_channels", low=in_channels, value=out_channels
            )
        self.extra = out_channels - in_channels
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) -> (N, C + extra, ceil(H / stride), ceil(W / stride))."""
        x = x[:, :, :: self.stride, :: self.stride]
        return F.pad(x, (0, 0, 0, 0, 0, self.extra))


def check_depth(depth: object) -> int:
    """Return `depth` as an int if it is 6n + 2 with n >= 1.

    Raises:
        InvalidValue: key `lab_bad_depth` (a ValueError) for anything else, bools included.
    """
    try:
        value = check_int(depth, "depth", 8)
    except InvalidValue:
        value = 0
    if value < 8 or (value - 2) % 6:
        raise InvalidValue("lab_bad_depth", value=repr(depth))
    return value


class CifarResNet(nn.Module):
    """A 6n + 2-layer CIFAR-style network, residual or plain.

    Args:
        depth: weighted layers, 6n + 2 (8, 20, 32, 44, 56, 110 ...).
        residual: True for the ResNet, False for its plain twin (every skip off).
        shortcut: "A" (zero-padded identity) or "B" (1×1 projection) where the width doubles.
            Default: "A", as in He et al.'s CIFAR experiments.
        num_classes: outputs of the final layer. Default: 10.
        in_channels: input channels. Default: 3.

    Attributes:
        blocks: the 3n `BasicBlock`s in forward order (named `layer{s}.{i}` in `block_names`).
        residual: whether skips are on.
    """

    def __init__(
        self,
        depth: int = 20,
        residual: bool = True,
        shortcut: str = "A",
        num_classes: int = 10,
        in_channels: int = 3,
    ) -> None:
        super().__init__()
        n = (check_depth(depth) - 2) // 6
        if shortcut not in SHORTCUTS:
            raise InvalidValue(
                "lab_bad_shortcut", value=repr(shortcut), choices=", ".join(SHORTCUTS)
            )
        self.depth, self.residual, self.shortcut = depth, bool(residual), shortcut
        first = STAGE_WIDTHS[0]
        self.conv1 = nn.Conv2d(in_channels, first, kernel_size=3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(first)
        self.relu = nn.ReLU(inplace=True)
        blocks: list[nn.Module] = []
        names: list[str] = []
        width = first
        for stage, planes in enumerate(STAGE_WIDTHS):
            for index in range(n):
                stride = 2 if stage > 0 and index == 0 else 1
                downsample = None
                if stride != 1 or width != planes:
                    downsample = (
                        PadShortcut(width, planes, stride)
                        if shortcut == "A"
                        else nn.Sequential(
                            nn.Conv2d(width, planes, kernel_size=1, stride=stride, bias=False),
                            nn.BatchNorm2d(planes),
                        )
                    )
                blocks.append(BasicBlock(width, planes, stride, downsample))
                names.append(f"layer{stage + 1}.{index}")
                width = planes
        self.blocks = nn.ModuleList(blocks)
        self.block_names: tuple[str, ...] = tuple(names)
        self.fc = nn.Linear(width, num_classes)
        for m in self.modules():  # torchvision's ResNet initialisation (He et al. 2015)
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def run_block(self, block: nn.Module, x: torch.Tensor) -> torch.Tensor:
        """One block: torchvision's forward when residual, relu(F(x)) when plain."""
        if self.residual:
            return block(x)
        return torch.relu(residual_branch(block, x))

    def forward_with_inputs(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Logits and the input tensor of every block (for gradients at each block's input).

        Args:
            x: normalised images, float32 (N, C, H, W).

        Returns:
            (logits (N, num_classes), [input of block i, (N, C_i, H_i, W_i)] in forward order).
        """
        x = self.relu(self.bn1(self.conv1(x)))
        inputs = []
        for block in self.blocks:
            inputs.append(x)
            x = self.run_block(block, x)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)), inputs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (N, num_classes) of normalised images (N, C, H, W)."""
        return self.forward_with_inputs(x)[0]


def twin_nets(
    depth: int, shortcut: str = "A", num_classes: int = 10, seed: int = 0
) -> tuple[CifarResNet, CifarResNet]:
    """A plain network and a ResNet of the same depth that start from identical weights.

    Args:
        depth: 6n + 2 weighted layers.
        shortcut: "A" or "B" (see `CifarResNet`).
        num_classes: outputs. Default: 10 (the synthetic shapes).
        seed: seed of the initialisation; the global torch RNG is left untouched.

    Returns:
        (plain, residual), both in training mode.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        residual = CifarResNet(depth, True, shortcut, num_classes)
        plain = CifarResNet(depth, False, shortcut, num_classes)  # weights replaced below
    plain.load_state_dict(residual.state_dict())
    return plain, residual
