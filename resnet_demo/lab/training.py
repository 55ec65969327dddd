"""A few steps of plain supervised training, shared by the degradation race and gradient flow.

Adam (Kingma & Ba 2015) at a fixed learning rate rather than He et al.'s SGD schedule: the lab
has seconds, not hours, and Adam makes visible progress in a few dozen steps while keeping the
comparison fair (both networks get the same optimiser, batches and starting weights).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from resnet_demo.errors import InvalidValue, check_int, check_number
from resnet_demo.lab.data import ShapeSet

DEFAULT_LR: float = 1e-3
"""Adam learning rate of every lab training run."""


def make_optimizer(net: nn.Module, lr: float = DEFAULT_LR) -> torch.optim.Optimizer:
    """Adam over every parameter of `net` at learning rate `lr` (> 0).

    Raises:
        InvalidValue: lr is not a number > 0 (a ValueError).
    """
    if check_number(lr, "lr") <= 0:
        raise InvalidValue("value_not_positive", name="lr", value=lr)
    return torch.optim.Adam(net.parameters(), lr=lr)


def batch_indices(n: int, batch_size: int, generator: torch.Generator) -> torch.Tensor:
    """`batch_size` random indices into a set of `n` items (with replacement), int64."""
    return torch.randint(n, (batch_size,), generator=generator)


def train_step(
    net: nn.Module, optimizer: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor
) -> float:
    """One step of cross-entropy training in training mode (BatchNorm uses batch statistics).

    Args:
        net: the network; its parameters and BatchNorm statistics change.
        optimizer: the optimiser of `net`.
        x: normalised images, float32 (B, 3, H, W).
        y: class indices, int64 (B,).

    Returns:
        The batch's mean cross-entropy before the update (nats).
    """
    net.train()
    loss = F.cross_entropy(net(x), y)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return float(loss.detach())


def train(
    net: nn.Module,
    data: ShapeSet,
    steps: int,
    batch_size: int = 32,
    lr: float = DEFAULT_LR,
    seed: int = 0,
) -> list[float]:
    """Train `net` in place for `steps` steps on random batches of `data`.

    Returns:
        The loss of every step (nats), in order.

    Raises:
        InvalidValue: steps is not an int >= 0 (a ValueError).
    """
    steps = check_int(steps, "steps", 0)
    optimizer = make_optimizer(net, lr)
    generator = torch.Generator().manual_seed(seed)
    losses = []
    for _ in range(steps):
        idx = batch_indices(len(data), batch_size, generator)
        losses.append(train_step(net, optimizer, data.x[idx], data.y[idx]))
    net.eval()
    return losses


@torch.no_grad()
def calibrate_batchnorm(net: nn.Module, x: torch.Tensor, batch_size: int = 64) -> None:
    """Set every BatchNorm's running statistics to the exact mean/variance over `x`, in place.

    An untrained network's running statistics are the defaults (mean 0, variance 1), so in eval
    mode its BatchNorm layers would not normalise at all. Calibrating them on real images makes
    the eval-mode network behave like the training-mode one, image by image (each image's
    gradient then depends on that image alone, which the gradient measurements need).

    Args:
        net: network with BatchNorm layers; left in eval mode.
        x: normalised images, float32 (N, 3, H, W).
        batch_size: images per forward pass. Default: 64.
    """
    norms = [m for m in net.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    saved = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the passes below
    net.train()
    try:
        for start in range(0, x.shape[0], batch_size):
            net(x[start : start + batch_size])
    finally:
        for m, momentum in zip(norms, saved, strict=True):
            m.momentum = momentum
        net.eval()
