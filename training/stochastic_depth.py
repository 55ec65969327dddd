"""The training forward pass with stochastic depth (Huang et al. 2016), via torchvision's op.

Block i of L (1-based) drops its residual branch for the whole batch, y = relu(shortcut(x)), with
probability p_i = last_drop * i / L (their linear decay rule); a kept branch is scaled by
1 / (1 - p_i), so that at test time the plain torchvision forward is the expectation.
`torchvision.ops.StochasticDepth(p_i, mode="batch")` draws and scales. Training this way makes the
blocks behave like the ensemble of Veit et al. 2016: deleting one residual branch afterwards
costs little, while switching a skip off still breaks the network, which is what the app's
switches and lab teach.

Not bit-for-bit the recipe that trained the shipped `assets/embedded_resnet.pt`: that one drew
the L decisions from the run's own seeded generator (8 numbers per batch, which also shifted the
batch order and augmentation that follow), divided kept branches by 1 - p (here: multiplied by
1 / (1 - p)) and left a dropped branch out of the graph (no zero gradient reached AdamW). The
same command therefore trains a model of the same kind and quality, not the same bits; the
shipped weights were trained by `python -m resnet_demo.train_embedded` at commit 73a09cd.
"""

from __future__ import annotations

import torch
from torch import nn
from torchvision.models.resnet import ResNet
from torchvision.ops import StochasticDepth

from resnet_demo.switches import SwitchedResNet, residual_branch, shortcut


class StochasticDepthResNet(nn.Module):
    """A torchvision ResNet whose residual branches are dropped at random while training.

    Args:
        model: the ResNet being trained (shared: its parameters are this module's).
        last_drop: p_L, the drop probability of the last block, in [0, 1).

    Attributes:
        drops: one `StochasticDepth(p_i, "batch")` per block, forward order.
    """

    def __init__(self, model: ResNet, last_drop: float) -> None:
        super().__init__()
        self.view = SwitchedResNet(model)  # the model's stem, blocks and head, by name
        n = len(self.view.blocks)
        self.drops = nn.ModuleList(
            StochasticDepth(last_drop * (i + 1) / n, mode="batch") for i in range(n)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (N, num_classes) of a normalised batch float32 (N, 3, H, W)."""
        x = self.view.stem(x)
        for block, drop in zip(self.view.blocks.values(), self.drops, strict=True):
            x = torch.relu(drop(residual_branch(block.block, x)) + shortcut(block.block, x))
        return self.view.head(x)
