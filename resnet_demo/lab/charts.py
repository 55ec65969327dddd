"""The lab's results as pictures: thin wrappers that feed `resnet_demo.render` charts.

Pure numpy in, RGB uint8 (H, W, 3) out; no torch. Every chart labels what was measured and on
what, so a screenshot stands on its own, in English or 简体中文 (`lang`, "en" by default).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from resnet_demo.lab.curves import ACCURACY, LesionCurves
from resnet_demo.lab.gradient_flow import GradientFlowStudy
from resnet_demo.lab.lesions import LesionSweep
from resnet_demo.lab.race import RaceSnapshot
from resnet_demo.lab.text import image_set_name, say
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


def sweep_chart(sweep: LesionSweep, width: int = 1000, lang: str = "en") -> np.ndarray:
    """Two bar charts side by side: P(original class) with each branch / each skip removed.

    The first bar of each chart is the intact network (highlighted), for reference.

    Args:
        sweep: result of `lesions.lesion_sweep`.
        width: total width in pixels (>= 440). Default: 1000.
        lang: "en" or "zh". Default: "en".

    Returns:
        RGB uint8 (H, width, 3).
    """
    half = (width - 16) // 2
    intact = say("sweep_intact_bar", lang, label=sweep.original_label)
    left = bar_chart(
        [intact, *sweep_labels(sweep, sweep.branch_changed)],
        [sweep.original_prob, *sweep.branch_removed_prob],
        width=half,
        highlight=0,
        title=say("sweep_branch", lang),
    )
    right = bar_chart(
        [intact, *sweep_labels(sweep, sweep.skip_changed)],
        [sweep.original_prob, *sweep.skip_removed_prob],
        width=width - 16 - half,
        highlight=0,
        title=say("sweep_skip", lang),
    )
    return side_by_side([left, right])


def curves_chart(
    curves: LesionCurves, width: int = 800, height: int = 440, lang: str = "en"
) -> np.ndarray:
    """Score against the number of lesioned blocks, both lesions, ± spread, chance line.

    Returns:
        RGB uint8 (height, width, 3).
    """
    metric = say("accuracy" if curves.metric == ACCURACY else "agreement", lang)
    branches, skips = say("curves_branches", lang), say("curves_skips", lang)
    return line_chart(
        {
            branches: curves.branch_mean,
            skips: curves.skip_mean,
            say("intact", lang): np.full(len(curves.ks), curves.intact_score),
            say("chance", lang): np.full(len(curves.ks), curves.chance),
        },
        xs=curves.ks,
        width=width,
        height=height,
        title=say(
            "curves_chart_title",
            lang,
            model=curves.model_name,
            images=image_set_name(curves.image_set, lang),
        ),
        xlabel=say("curves_x", lang),
        ylabel=metric,
        spread={branches: curves.branch_std, skips: curves.skip_std},
    )


def series_name(depth: int, residual: bool, lang: str = "en") -> str:
    """ "ResNet-20" or "plain-20" (普通网络-20)."""
    return say("resnet_net" if residual else "plain_net", lang, depth=depth)


def when(trained_steps: int, lang: str = "en") -> str:
    """ "at initialisation" or "after N steps", for titles."""
    if trained_steps == 0:
        return say("at_init", lang)
    return say("after_steps", lang, steps=trained_steps)


def gradient_norm_chart(
    study: GradientFlowStudy, width: int = 640, height: int = 400, lang: str = "en"
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
        series[series_name(r.depth, r.residual, lang)] = values
    return line_chart(
        series,
        xs=np.arange(longest),
        width=width,
        height=height,
        title=say("flow_norm_title", lang, when=when(study.trained_steps, lang)),
        xlabel=say("flow_norm_x", lang),
        ylabel="log10 ‖∂loss/∂input‖",
    )


def correlation_chart(
    study: GradientFlowStudy, width: int = 640, height: int = 400, lang: str = "en"
) -> np.ndarray:
    """Autocorrelation of input gradients along a line, against the lag, per network.

    Returns:
        RGB uint8 (height, width, 3).
    """
    first = study.results[0]
    return line_chart(
        {series_name(r.depth, r.residual, lang): r.autocorrelation for r in study.results},
        xs=first.lags,
        width=width,
        height=height,
        title=say("flow_corr_title", lang, when=when(study.trained_steps, lang)),
        xlabel=say("flow_corr_x", lang),
        ylabel=say("flow_corr_y", lang),
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


def race_chart(
    snapshot: RaceSnapshot, width: int = 800, height: int = 420, lang: str = "en"
) -> np.ndarray:
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
        {series_name(depth, False, lang): plain, series_name(depth, True, lang): residual},
        xs=xs,
        width=width,
        height=height,
        title=say("race_chart_title", lang, depth=depth, status=say(snapshot.status, lang)),
        xlabel=say("race_x", lang),
        ylabel=say("race_y", lang),
    )
