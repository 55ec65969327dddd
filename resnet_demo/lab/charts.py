"""The lab's results as pictures: thin wrappers that feed `resnet_demo.render` charts.

Pure numpy in, RGB uint8 (H, W, 3) out; no torch. Every chart labels what was measured and on
what, so a screenshot stands on its own.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from resnet_demo.lab.curves import ACCURACY, LesionCurves
from resnet_demo.lab.gradient_flow import GradientFlowStudy
from resnet_demo.lab.lesions import LesionSweep
from resnet_demo.lab.race import RaceSnapshot
from resnet_demo.render import bar_chart, line_chart

DOWN = "↓"
"""Marks a downsampling block (projection shortcut) in labels."""
CHANGED = "✗"
"""Marks a lesion that changed the top-1 class."""


def _pad_to(image: np.ndarray, height: int) -> np.ndarray:
    """`image` with white rows added below to reach `height`."""
    missing = height - image.shape[0]
    if missing <= 0:
        return image
    return np.concatenate([image, np.full((missing, *image.shape[1:]), 255, np.uint8)])


def side_by_side(images: Sequence[np.ndarray], gap: int = 16) -> np.ndarray:
    """RGB images in a row, top-aligned on white, `gap` pixels apart (a new array)."""
    height = max(im.shape[0] for im in images)
    spacer = np.full((height, gap, 3), 255, np.uint8)
    parts: list[np.ndarray] = []
    for i, im in enumerate(images):
        if i:
            parts.append(spacer)
        parts.append(_pad_to(im, height))
    return np.concatenate(parts, axis=1)


def sweep_labels(sweep: LesionSweep, changed: np.ndarray) -> list[str]:
    """Row labels: block name, ↓ for downsampling blocks, ✗ where the top-1 changed."""
    return [
        f"{CHANGED + ' ' if changed[i] else ''}{name}{' ' + DOWN if sweep.downsampling[i] else ''}"
        for i, name in enumerate(sweep.block_names)
    ]


def sweep_chart(sweep: LesionSweep, width: int = 1000) -> np.ndarray:
    """Two bar charts side by side: P(original class) with each branch / each skip removed.

    The first bar of each chart is the intact network (highlighted), for reference.

    Args:
        sweep: result of `lesions.lesion_sweep`.
        width: total width in pixels (>= 440). Default: 1000.

    Returns:
        RGB uint8 (H, width, 3).
    """
    half = (width - 16) // 2
    intact = f"intact: {sweep.original_label}"
    left = bar_chart(
        [intact, *sweep_labels(sweep, sweep.branch_changed)],
        [sweep.original_prob, *sweep.branch_removed_prob],
        width=half,
        highlight=0,
        title="Residual branch removed",
    )
    right = bar_chart(
        [intact, *sweep_labels(sweep, sweep.skip_changed)],
        [sweep.original_prob, *sweep.skip_removed_prob],
        width=width - 16 - half,
        highlight=0,
        title="Skip removed",
    )
    return side_by_side([left, right])


def curves_chart(curves: LesionCurves, width: int = 800, height: int = 440) -> np.ndarray:
    """Score against the number of lesioned blocks, both lesions, ± spread, chance line.

    Returns:
        RGB uint8 (height, width, 3).
    """
    metric = "accuracy" if curves.metric == ACCURACY else "agreement with intact top-1"
    return line_chart(
        {
            "residual branches removed": curves.branch_mean,
            "skips removed": curves.skip_mean,
            "intact": np.full(len(curves.ks), curves.intact_score),
            "chance": np.full(len(curves.ks), curves.chance),
        },
        xs=curves.ks,
        width=width,
        height=height,
        title=f"Lesion curves — {curves.model_name}, {curves.image_set}",
        xlabel="blocks lesioned (k)",
        ylabel=metric,
        spread={
            "residual branches removed": curves.branch_std,
            "skips removed": curves.skip_std,
        },
    )


def _series_name(depth: int, residual: bool) -> str:
    return f"{'ResNet' if residual else 'plain'}-{depth}"


def gradient_norm_chart(
    study: GradientFlowStudy, width: int = 640, height: int = 400
) -> np.ndarray:
    """log10 of the gradient norm at each block's input, one line per network.

    x is the block index (0 = first block, nearest the input); shorter networks end early.

    Returns:
        RGB uint8 (height, width, 3).
    """
    longest = max(len(r.grad_norms) for r in study.results)
    series = {}
    for r in study.results:
        values = np.full(longest, np.nan)
        values[: len(r.grad_norms)] = np.log10(r.grad_norms)
        series[_series_name(r.depth, r.residual)] = values
    when = "at initialisation" if study.trained_steps == 0 else f"after {study.trained_steps} steps"
    return line_chart(
        series,
        xs=np.arange(longest),
        width=width,
        height=height,
        title=f"Gradient norm at each block's input ({when})",
        xlabel="block (0 = nearest the input)",
        ylabel="log10 ‖∂loss/∂input‖",
    )


def correlation_chart(study: GradientFlowStudy, width: int = 640, height: int = 400) -> np.ndarray:
    """Autocorrelation of input gradients along a line, against the lag, per network.

    Returns:
        RGB uint8 (height, width, 3).
    """
    first = study.results[0]
    when = "at initialisation" if study.trained_steps == 0 else f"after {study.trained_steps} steps"
    return line_chart(
        {_series_name(r.depth, r.residual): r.autocorrelation for r in study.results},
        xs=first.lags,
        width=width,
        height=height,
        title=f"Similarity of nearby input gradients ({when})",
        xlabel="distance along the line (steps)",
        ylabel="mean cosine similarity",
    )


def smooth(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing running mean over up to `window` values (float64, same length)."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return values
    sums = np.cumsum(np.insert(values, 0, 0.0))
    idx = np.arange(1, values.size + 1)
    lo = np.maximum(idx - window, 0)
    return (sums[idx] - sums[lo]) / (idx - lo)


def race_chart(snapshot: RaceSnapshot, width: int = 800, height: int = 420) -> np.ndarray:
    """Both training-loss curves so far (running mean over 10 steps).

    Returns:
        RGB uint8 (height, width, 3).
    """
    depth = snapshot.config.depth
    steps = snapshot.step
    if steps == 0:
        plain = residual = np.array([np.log(10.0)])
        xs = np.array([0])
    else:
        plain = smooth(snapshot.plain_losses, 10)
        residual = smooth(snapshot.residual_losses, 10)
        xs = np.arange(1, steps + 1)
    return line_chart(
        {f"plain-{depth}": plain, f"ResNet-{depth}": residual},
        xs=xs,
        width=width,
        height=height,
        title=f"Training loss, plain vs residual, {depth} layers ({snapshot.status})",
        xlabel="training step",
        ylabel="cross-entropy (running mean of 10)",
    )
