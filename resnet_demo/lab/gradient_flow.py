"""Gradient flow with and without skip connections: RMS gradients and shattered gradients.

Two measurements on a CIFAR-style network (`cifar_nets.CifarResNet`) and its plain twin:

1. **RMS gradient per element at each block's input.** For each image, the gradient of the
   cross-entropy loss with respect to the tensor entering each block, as a root mean square
   over its elements (‖g‖ / sqrt(numel), numel = C·H·W of one image's block input), averaged
   over images. Per element, because the block inputs differ in size (16×32×32 at the first
   block of a 32-px CIFAR net, 64×8×8 at the last: a total norm would favour the bigger
   tensor by sqrt(4) = 2 for the same per-element size). He et al. 2016 (§4.1) checked this
   kind of quantity for their plain networks and found "healthy norms" with BatchNorm: the
   degradation of deep plain networks is, in their words, an optimisation difficulty
   "unlikely to be caused by vanishing gradients".
2. **Shattered gradients** (Balduzzi et al. 2017). Walk along a straight line from one image to
   another in `line_points` steps and take, at every point, the gradient of one output (the
   logit of the first image's class) with respect to the input pixels. In a network whose
   gradients keep their structure, neighbouring points have similar gradients; Balduzzi et al.
   show that in plain feed-forward networks the correlation between gradients decays
   exponentially with depth (they look like white noise), while with skip connections it decays
   sublinearly. We report the mean cosine similarity of the gradients at points `lag` steps
   apart (an autocorrelation along the line), averaged over several lines.

BatchNorm runs in eval mode (running statistics) so that each point's gradient depends on that
point alone; an untrained network's BatchNorm statistics are first set from real images
(`training.calibrate_batchnorm`), so it normalises as it would during training. The RMS
gradients are measured a second time with BatchNorm in train mode (statistics of the batch of
`n_images` images, as during a training step, and as Yang et al. 2019 analyse): there each
image's gradient is that of the summed batch loss, which also flows through the batch
statistics. The running statistics are left untouched (the train-mode pass runs on a copy).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from resnet_demo.errors import InvalidValue, check_int
from resnet_demo.lab.cifar_nets import CifarResNet, check_depth, twin_nets
from resnet_demo.lab.data import LAB_TEST_SEED, LAB_TRAIN_SEED, ShapeSet, shape_set
from resnet_demo.lab.training import calibrate_batchnorm, train
from resnet_demo.progress import Progress, report

__all__ = [
    "GradientFlow",
    "GradientFlowStudy",
    "Progress",
    "autocorrelation",
    "block_input_grad_rms",
    "gradient_flow_study",
    "line_gradients",
    "measure",
]


def _floats(values: np.ndarray) -> list[float | None]:
    """JSON-ready floats: NaN/inf (e.g. the correlation of an all-zero gradient) become None."""
    return [float(v) if math.isfinite(v) else None for v in values]


@dataclass(frozen=True)
class GradientFlow:
    """Gradient measurements of one network.

    Attributes:
        depth: weighted layers (6n + 2).
        residual: True for the ResNet, False for the plain twin.
        trained_steps: training steps before measuring (0: at initialisation).
        block_names: "layer1.0" … in forward order.
        grad_rms: float64 (n_blocks,): mean over images of the RMS per element of
            ∂loss/∂(block input), BatchNorm in eval mode (running statistics).
        grad_rms_batch: the same with BatchNorm in train mode (batch statistics).
        lags: int64 (L,): 1 … max_lag, distances along the line in steps.
        autocorrelation: float64 (L,) in [-1, 1]: mean cosine similarity of the input gradients
            at points `lag` steps apart.
    """

    depth: int
    residual: bool
    trained_steps: int
    block_names: tuple[str, ...]
    grad_rms: np.ndarray
    grad_rms_batch: np.ndarray
    lags: np.ndarray
    autocorrelation: np.ndarray

    @property
    def kind(self) -> str:
        """ "residual" or "plain"."""
        return "residual" if self.residual else "plain"

    @property
    def neighbour_correlation(self) -> float:
        """Mean cosine similarity of the input gradients at neighbouring points (lag 1)."""
        return float(self.autocorrelation[0])

    @property
    def rms_ratio(self) -> float:
        """RMS gradient per element at the first block's input / at the last block's input
        (BatchNorm in eval mode)."""
        return float(self.grad_rms[0] / self.grad_rms[-1])

    @property
    def rms_ratio_batch(self) -> float:
        """The same ratio with BatchNorm in train mode (batch statistics)."""
        return float(self.grad_rms_batch[0] / self.grad_rms_batch[-1])

    def to_json(self) -> dict[str, Any]:
        """JSON-ready numbers (NaN as None)."""
        return {
            "depth": self.depth,
            "kind": self.kind,
            "trained_steps": self.trained_steps,
            "blocks": list(self.block_names),
            "grad_rms": _floats(self.grad_rms),
            "grad_rms_batch": _floats(self.grad_rms_batch),
            "lags": [int(v) for v in self.lags],
            "autocorrelation": _floats(self.autocorrelation),
            "neighbour_correlation": _floats(self.autocorrelation[:1])[0],
        }


def block_input_grad_rms(
    net: CifarResNet, x: torch.Tensor, y: torch.Tensor, batch_stats: bool = False
) -> np.ndarray:
    """Mean over images of the RMS per element of ∂loss/∂(input of each block).

    For image i and block b with input tensor h (C_b, H_b, W_b): ‖g‖ / sqrt(C_b·H_b·W_b), where
    g = ∂(summed loss)/∂h_i; then the mean over the images.

    Args:
        net: network with BatchNorm statistics set; left unchanged, in eval mode.
        x: normalised images, float32 (N, 3, H, W).
        y: class indices, int64 (N,).
        batch_stats: False: BatchNorm in eval mode (running statistics; each image's gradient is
            that of its own loss). True: train mode on a copy of `net` (the statistics of this
            batch; the gradient also flows through them). Default: False.

    Returns:
        float64 (n_blocks,), forward order.
    """
    if batch_stats:
        net = copy.deepcopy(net).train()
    else:
        net.eval()
    logits, inputs = net.forward_with_inputs(x)
    # Summed, not averaged, loss: in eval mode each image's gradient is that of its own loss.
    grads = torch.autograd.grad(F.cross_entropy(logits, y, reduction="sum"), inputs)
    return np.array(
        [float((g.flatten(1).norm(dim=1) / math.sqrt(g[0].numel())).mean()) for g in grads],
        dtype=np.float64,
    )


def line_gradients(
    net: CifarResNet, start: torch.Tensor, end: torch.Tensor, target: int, points: int
) -> torch.Tensor:
    """Input gradients of one logit at evenly spaced points on the segment start → end.

    Args:
        net: network in eval mode.
        start: one normalised image (3, H, W).
        end: another (3, H, W).
        target: the class whose logit is differentiated.
        points: number of points (>= 2), ends included.

    Returns:
        float32 (points, 3 * H * W): the gradient at each point, flattened.
    """
    t = torch.linspace(0.0, 1.0, points).view(-1, 1, 1, 1)
    line = (start + t * (end - start)).detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(net(line)[:, target].sum(), line)
    return grad.flatten(1)


def autocorrelation(grads: torch.Tensor, max_lag: int) -> np.ndarray:
    """Mean cosine similarity of rows `lag` apart, for lag = 1 … max_lag.

    Args:
        grads: float (P, D), one gradient per point along a line, P > max_lag.
        max_lag: largest lag (>= 1).

    Returns:
        float64 (max_lag,) in [-1, 1].
    """
    unit = F.normalize(grads.double(), dim=1)
    return np.array(
        [float((unit[lag:] * unit[:-lag]).sum(dim=1).mean()) for lag in range(1, max_lag + 1)]
    )


def measure(
    net: CifarResNet,
    data: ShapeSet,
    trained_steps: int = 0,
    n_images: int = 32,
    lines: int = 4,
    line_points: int = 32,
    max_lag: int = 8,
) -> GradientFlow:
    """Both measurements on one network (see the module docstring).

    Args:
        net: a CifarResNet in eval mode with BatchNorm statistics set (trained, or calibrated).
        data: images to measure on; needs at least max(n_images, 2 * lines) images.
        trained_steps: recorded in the result. Default: 0.
        n_images: images for the RMS gradients (and the batch of the train-mode pass).
            Default: 32.
        lines: lines (pairs of images) for the autocorrelation. Default: 4.
        line_points: points per line. Default: 32.
        max_lag: largest lag. Default: 8.

    Returns:
        A GradientFlow.

    Raises:
        InvalidValue: too few images, or max_lag outside [1, line_points) (a ValueError).
    """
    if len(data) < max(n_images, 2 * lines):
        raise InvalidValue("flow_too_few_images", need=max(n_images, 2 * lines), got=len(data))
    check_int(max_lag, "max_lag", 1, line_points - 1)
    net.eval()
    x, y = data.x[:n_images], data.y[:n_images]
    rms = block_input_grad_rms(net, x, y)
    rms_batch = block_input_grad_rms(net, x, y, batch_stats=True)
    curves = []
    for i in range(lines):
        start, end = data.x[2 * i], data.x[2 * i + 1]
        grads = line_gradients(net, start, end, int(data.y[2 * i]), line_points)
        curves.append(autocorrelation(grads, max_lag))
    return GradientFlow(
        depth=net.depth,
        residual=net.residual,
        trained_steps=trained_steps,
        block_names=net.block_names,
        grad_rms=rms,
        grad_rms_batch=rms_batch,
        lags=np.arange(1, max_lag + 1, dtype=np.int64),
        autocorrelation=np.mean(curves, axis=0),
    )


@dataclass(frozen=True)
class GradientFlowStudy:
    """Plain and residual twins at several depths, measured the same way.

    Attributes:
        results: one GradientFlow per (depth, kind), depths ascending, plain before residual.
        trained_steps: training steps of every network before measuring (0: at init).
        seed: seed of the initialisation and the batch order.
        image_size: side of the shapes images in pixels.
        n_train: shapes images used for training (or, at initialisation, for the BatchNorm
            statistics).
    """

    results: tuple[GradientFlow, ...]
    trained_steps: int
    seed: int
    image_size: int
    n_train: int

    def get(self, depth: int, residual: bool) -> GradientFlow:
        """The result of one network; KeyError if it was not measured."""
        for r in self.results:
            if r.depth == depth and r.residual == residual:
                return r
        raise KeyError(f"no result for depth {depth}, residual={residual}")

    def to_json(self) -> dict[str, Any]:
        """JSON-ready numbers of every network."""
        return {
            "trained_steps": self.trained_steps,
            "seed": self.seed,
            "image_size": self.image_size,
            "n_train": self.n_train,
            "networks": [r.to_json() for r in self.results],
        }


def gradient_flow_study(
    depths: Sequence[int] = (8, 20, 56),
    trained_steps: int = 0,
    seed: int = 0,
    shortcut: str = "A",
    image_size: int = 32,
    n_train: int = 256,
    progress: Progress | None = None,
) -> GradientFlowStudy:
    """Measure plain and residual twins at each depth, at initialisation or after training.

    Args:
        depths: 6n + 2 depths. Default: (8, 20, 56).
        trained_steps: Adam steps on `n_train` shapes images before measuring; 0 measures at
            initialisation (BatchNorm calibrated on the training images). Default: 0.
        seed: initialisation and batch-order seed. Default: 0.
        shortcut: "A" or "B". Default: "A".
        image_size: image side in pixels. Default: 32.
        n_train: training images. Default: 256.
        progress: optional callback (`resnet_demo.progress.Progress`): keys
            `progress_flow_training_plain`, `progress_flow_training_residual`,
            `progress_flow_measuring_plain`, `progress_flow_measuring_residual` (field depth)
            and `progress_done`.

    Returns:
        A GradientFlowStudy.

    Raises:
        InvalidValue: a depth that is not 6n + 2 >= 8, or trained_steps < 0 (a ValueError).
    """
    depths = sorted({check_depth(d) for d in depths})
    trained_steps = check_int(trained_steps, "trained_steps", 0)
    train_set = shape_set(LAB_TRAIN_SEED, n_train, image_size)
    test_set = shape_set(LAB_TEST_SEED, 64, image_size)
    results = []
    jobs = [(d, kind) for d in depths for kind in (False, True)]
    for i, (depth, residual) in enumerate(jobs):
        step = "training" if trained_steps else "measuring"
        kind = "residual" if residual else "plain"
        report(progress, i / len(jobs), f"progress_flow_{step}_{kind}", depth=depth)
        net = twin_nets(depth, shortcut, seed=seed)[1 if residual else 0]
        if trained_steps:
            train(net, train_set, trained_steps, seed=seed)
        else:
            calibrate_batchnorm(net, train_set.x)
        results.append(measure(net, test_set, trained_steps))
    report(progress, 1.0, "progress_done")
    return GradientFlowStudy(tuple(results), trained_steps, seed, image_size, n_train)
