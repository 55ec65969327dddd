"""The lab's results as charts: matplotlib figures through `resnet_demo.render`.

Each `plot_*` function draws one result into a matplotlib `Figure` or `SubFigure` (so a card can
hold it); each `*_chart` function draws it on its own and returns RGB uint8 (H, W, 3). Every chart
labels what was measured and on what, so a screenshot stands on its own, in English or 简体中文
(`lang`, "en" by default); every word comes from the text catalogue.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, MaxNLocator

from resnet_demo.lab.curves import ACCURACY, LesionCurves
from resnet_demo.lab.gradient_flow import GradientFlowStudy
from resnet_demo.lab.lesions import LesionSweep
from resnet_demo.lab.race import PLAIN, RESIDUAL, RaceConfig, RaceSnapshot, net_key
from resnet_demo.lab.race_record import RecordedRace, net_name
from resnet_demo.lab.sanity import TRAINED, SanityCheck
from resnet_demo.lab.text import image_set_name
from resnet_demo.render import plot_bars, plot_lines, render_figure
from resnet_demo.render.charts import Canvas, check_bars, check_lines
from resnet_demo.text import t

DOWN = "↓"
"""Marks a downsampling block (stride 2: the resolution halves; projection shortcut) in labels."""
PROJECTION = "⇄"
"""Marks a block whose shortcut is a stride-1 1×1 projection, without downsampling (the width
changes, the resolution does not: ResNet-50/101/152 `layer1.0`)."""
CHANGED = "✗"
"""Marks a lesion that changed the top-1 class."""


def sweep_labels(sweep: LesionSweep, changed: np.ndarray) -> list[str]:
    """Row labels: block name, ↓ for downsampling blocks, ⇄ for projection shortcuts without
    downsampling, ✗ where the top-1 changed."""
    projection = sweep.projection_only
    labels = []
    for i, name in enumerate(sweep.block_names):
        mark = DOWN if sweep.downsampling[i] else PROJECTION if projection[i] else ""
        labels.append(f"{CHANGED + ' ' if changed[i] else ''}{name}{' ' + mark if mark else ''}")
    return labels


def plot_sweep(fig: Canvas, sweep: LesionSweep, lang: str = "en") -> None:
    """Two bar charts side by side: P(original class) with each branch / each skip removed.

    The first bar of each chart is the intact network (highlighted), for reference.
    """
    intact = t("sweep_intact_bar", lang, label=sweep.original_label)
    left, right = fig.subfigures(1, 2, squeeze=False, wspace=0.04)[0]
    for sub, probs, changed, key in (
        (left, sweep.branch_removed_prob, sweep.branch_changed, "sweep_branch"),
        (right, sweep.skip_removed_prob, sweep.skip_changed, "sweep_skip"),
    ):
        labels = [intact, *sweep_labels(sweep, changed)]
        plot_bars(sub, check_bars(labels, [sweep.original_prob, *probs], 0), t(key, lang))


SCREEN_SCALE = 1.3
"""Text and line size of the charts the page shows: the page displays them at about 70 % of
their pixel width, and a projected class must still read the labels."""


def _on_screen(plot: Callable[[Figure], None], width: int, height: int) -> np.ndarray:
    """A chart for the page: `plot` drawn at `SCREEN_SCALE`, RGB uint8 (height, width, 3)."""
    return render_figure(plot, width, height, scale=SCREEN_SCALE)


def sweep_chart(sweep: LesionSweep, width: int = 1000, lang: str = "en") -> np.ndarray:
    """`plot_sweep` on its own.

    Args:
        sweep: result of `lesions.lesion_sweep`.
        width: total width in pixels (>= 440). Default: 1000.
        lang: "en" or "zh". Default: "en".

    Returns:
        RGB uint8 (H, width, 3); H follows from the number of blocks.
    """
    height = round(sweep_height(sweep) * SCREEN_SCALE)
    return _on_screen(lambda fig: plot_sweep(fig, sweep, lang), width, height)


def sweep_height(sweep: LesionSweep) -> int:
    """Pixels (at 100 dpi) that a sweep chart needs: one row per block, plus the intact bar."""
    return 60 + 32 * (len(sweep.block_names) + 1)


def plot_curves(fig: Canvas, curves: LesionCurves, lang: str = "en") -> None:
    """Score against the number of lesioned blocks: the mean of both lesions with a band of ± one
    standard error of the mean (s.d. / √n over the draws), intact and chance lines."""
    metric = t("accuracy" if curves.metric == ACCURACY else "agreement", lang)
    branches, skips = t("curves_branches", lang), t("curves_skips", lang)
    n = len(curves.ks)
    series = {
        branches: curves.branch_mean,
        skips: curves.skip_mean,
        t("intact", lang): np.full(n, curves.intact_score),
        t("chance", lang): np.full(n, curves.chance),
    }
    lines = check_lines(series, curves.ks, {branches: curves.branch_sem, skips: curves.skip_sem})
    images = image_set_name(curves.image_set, lang)
    title = t("curves_chart_title", lang, model=curves.model_name, images=images)
    plot_lines(fig, lines, title, t("curves_x", lang), metric)


def curves_chart(
    curves: LesionCurves, width: int = 1000, height: int = 560, lang: str = "en"
) -> np.ndarray:
    """`plot_curves` on its own: RGB uint8 (height, width, 3)."""
    return _on_screen(lambda fig: plot_curves(fig, curves, lang), width, height)


def plot_robustness(fig: Canvas, curves: Sequence[LesionCurves], lang: str = "en") -> None:
    """The lesion curves of several models side by side on one y scale: one panel per model
    (titled with its name), both lesions ± one standard error of the mean, intact and chance
    lines, one legend."""
    axes = fig.subplots(1, len(curves), sharey=True, squeeze=False)[0]
    names = [t(k, lang) for k in ("curves_branches", "curves_skips", "intact", "chance")]
    for ax, one in zip(axes, curves, strict=True):
        for i, (mean, spread) in enumerate(
            ((one.branch_mean, one.branch_sem), (one.skip_mean, one.skip_sem))
        ):
            ax.fill_between(one.ks, mean - spread, mean + spread, color=f"C{i}", alpha=0.22, lw=0)
            ax.plot(one.ks, mean, color=f"C{i}", lw=2.2, marker="o", ms=4.5, label=names[i])
        ax.axhline(one.intact_score, color="C2", lw=1.6, ls="--", label=names[2])
        ax.axhline(one.chance, color="C3", lw=1.6, ls=":", label=names[3])
        ax.set_title(one.model_name, loc="left", fontsize=12, weight="bold")
        ax.set_xlabel(t("curves_x", lang))
        ax.grid(True)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    axes[0].set_ylabel(t("accuracy" if curves[0].metric == ACCURACY else "agreement", lang))
    axes[0].set_ylim(-0.02, 1.02)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=4, fontsize=10)
    fig.suptitle(
        image_set_name(curves[0].image_set, lang), x=0.0, ha="left", fontsize=13, weight="bold"
    )


def robustness_chart(
    curves: Sequence[LesionCurves], width: int = 1200, height: int = 560, lang: str = "en"
) -> np.ndarray:
    """`plot_robustness` on its own: RGB uint8 (height, width, 3)."""
    return _on_screen(lambda fig: plot_robustness(fig, curves, lang), width, height)


def series_name(depth: int, residual: bool, lang: str = "en") -> str:
    """ "ResNet-20" or "plain-20" (普通网络-20)."""
    return t("resnet_net" if residual else "plain_net", lang, depth=depth)


def when(trained_steps: int, lang: str = "en") -> str:
    """ "at initialisation" or "after N steps", for titles."""
    if trained_steps == 0:
        return t("at_init", lang)
    return t("after_steps", lang, steps=trained_steps)


def plot_gradient_norms(
    fig: Canvas, study: GradientFlowStudy, lang: str = "en", batch_stats: bool = False
) -> None:
    """log10 of the RMS gradient per element at each block's input, one line per network.

    x is the block index (0 = first block, nearest the input); shorter networks end early.
    `batch_stats` picks the BatchNorm mode of the measurement: False, eval mode (running
    statistics); True, train mode (statistics of the measured batch). The mode is in the title.
    """
    longest = max(len(r.grad_rms) for r in study.results)
    series = {}
    for r in study.results:
        values = np.full(longest, np.nan)
        rms = r.grad_rms_batch if batch_stats else r.grad_rms
        values[: len(rms)] = np.log10(rms)
        series[series_name(r.depth, r.residual, lang)] = values
    mode = t("flow_bn_train" if batch_stats else "flow_bn_eval", lang)
    title = t("flow_norm_title", lang, when=when(study.trained_steps, lang), mode=mode)
    lines = check_lines(series, np.arange(longest))
    plot_lines(fig, lines, title, t("flow_norm_x", lang), t("flow_norm_y", lang))


def plot_gradient_norm_pair(fig: Canvas, study: GradientFlowStudy, lang: str = "en") -> None:
    """`plot_gradient_norms` twice, one above the other: BatchNorm eval mode, then train mode."""
    top, bottom = fig.subfigures(2, 1, squeeze=False, hspace=0.06)[:, 0]
    plot_gradient_norms(top, study, lang, batch_stats=False)
    plot_gradient_norms(bottom, study, lang, batch_stats=True)


def gradient_norm_chart(
    study: GradientFlowStudy, width: int = 800, height: int = 1000, lang: str = "en"
) -> np.ndarray:
    """`plot_gradient_norm_pair` on its own: RGB uint8 (height, width, 3)."""
    return _on_screen(lambda fig: plot_gradient_norm_pair(fig, study, lang), width, height)


def plot_correlation(fig: Canvas, study: GradientFlowStudy, lang: str = "en") -> None:
    """Autocorrelation of input gradients along a line, against the lag, per network."""
    series = {series_name(r.depth, r.residual, lang): r.autocorrelation for r in study.results}
    title = t("flow_corr_title", lang, when=when(study.trained_steps, lang))
    lines = check_lines(series, study.results[0].lags)
    plot_lines(fig, lines, title, t("flow_corr_x", lang), t("flow_corr_y", lang))


def correlation_chart(
    study: GradientFlowStudy, width: int = 800, height: int = 500, lang: str = "en"
) -> np.ndarray:
    """`plot_correlation` on its own: RGB uint8 (height, width, 3)."""
    return _on_screen(lambda fig: plot_correlation(fig, study, lang), width, height)


def smooth(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing running mean over up to `window` values (float64, same length)."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return values
    sums = np.cumsum(np.insert(values, 0, 0.0))
    idx = np.arange(1, values.size + 1)
    lo = np.maximum(idx - window, 0)
    return (sums[idx] - sums[lo]) / (idx - lo)


RACE_VIEWS: tuple[str, ...] = ("fig1", "fig6", "depth")
"""The race's three views: plain shallow vs deep (He et al. Fig. 1), ResNet shallow vs deep
(Fig. 6), plain vs ResNet at the deeper depth (Fig. 4 / Fig. 6 setting, §4.1 caveat)."""


def race_view_keys(snapshot: RaceSnapshot, view: str) -> tuple[str, str]:
    """The two networks a view compares (net keys of `race.net_key`)."""
    shallow, deep = snapshot.config.depths
    return {
        "fig1": (net_key(PLAIN, shallow), net_key(PLAIN, deep)),
        "fig6": (net_key(RESIDUAL, shallow), net_key(RESIDUAL, deep)),
        "depth": (net_key(PLAIN, deep), net_key(RESIDUAL, deep)),
    }[view]


def race_colour(snapshot: RaceSnapshot, key: str) -> str:
    """One colour per network, the same in every view: plain shallow, plain deep, ResNet
    shallow, ResNet deep are Tableau 10's first four."""
    return f"C{snapshot.config.keys.index(key)}"


def race_net_name(key: str, lang: str = "en") -> str:
    """ "plain-56" / "ResNet-56" in `lang`."""
    return net_name(key, lang)


RACE_SCALES: dict[str, float] = {"train_loss": 1.0, "test_error": 100.0}
"""Drawn value per stored value of each measure: losses in nats, errors (stored as fractions,
live and recorded alike) in percent."""


def _race_axis(
    ax: Any,
    snapshot: RaceSnapshot,
    recorded: RecordedRace | None,
    keys: tuple[str, str],
    measure: str,
) -> None:
    """One panel: the live curves (solid) and the recorded mean ± s.d. (dashed, band)."""
    scale = RACE_SCALES[measure]
    for key in keys:
        colour = race_colour(snapshot, key)
        if recorded is not None and key in recorded.data["nets"]:
            xs, mean, std = recorded.curve(key, measure)
            low, high = scale * (mean - std), scale * (mean + std)
            ax.fill_between(xs, low, high, color=colour, alpha=0.18, linewidth=0)
            ax.plot(xs, scale * mean, color=colour, linewidth=1.6, linestyle="--")
        if measure == "train_loss":
            if snapshot.step:
                xs = np.arange(1, snapshot.step + 1)
                ax.plot(xs, smooth(snapshot.losses[key], 10), color=colour, linewidth=2.2)
        elif snapshot.eval_steps.size:
            ax.plot(
                snapshot.eval_steps,
                scale * snapshot.test_errors[key],
                color=colour,
                linewidth=2.2,
                marker="o",
                markersize=4.5,
            )
    ax.grid(True)
    ax.set_axisbelow(True)
    # Steps on a log axis: a two-minute live run and a recording ten times longer both fill the
    # chart (on a linear axis the live curves would be squeezed against its left edge).
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
    ax.yaxis.set_major_locator(MaxNLocator(nbins=5))
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def plot_race_view(
    fig: Canvas,
    snapshot: RaceSnapshot,
    view: str,
    recorded: RecordedRace | None = None,
    lang: str = "en",
) -> None:
    """One view of the race: training loss (left) and held-out error (right) of two networks,
    live (solid) with the recorded mean ± s.d. over seeds (dashed, shaded) where there is one."""
    keys = race_view_keys(snapshot, view)
    loss_ax, error_ax = fig.subplots(1, 2)
    recorded_here = recorded if recorded is not None and _same_recipe(snapshot, recorded) else None
    last = max(snapshot.config.max_steps if snapshot.step == 0 else snapshot.step, 10)
    if recorded_here is not None:
        last = max(last, recorded_here.steps)
    for ax, measure in ((loss_ax, "train_loss"), (error_ax, "test_error")):
        _race_axis(ax, snapshot, recorded_here, keys, measure)
        ax.set_xlabel(t("race_x", lang))
        ax.set_xlim(1, last)
    # Chance level, grey: a uniform guess over the 10 shapes (loss ln 10, error 90 %).
    loss_ax.axhline(np.log(10.0), color="0.6", linewidth=1, linestyle=":")
    error_ax.axhline(90.0, color="0.6", linewidth=1, linestyle=":")
    error_ax.set_ylim(0, 100)
    loss_ax.set_ylabel(t("race_y", lang))
    error_ax.set_ylabel(t("race_y_error", lang))
    nets = [
        Line2D([], [], color=race_colour(snapshot, k), linewidth=2.2, label=race_net_name(k, lang))
        for k in keys
    ]
    styles = [Line2D([], [], color="0.3", linewidth=2.2, label=t("race_live", lang))]
    if recorded_here is not None:
        label = t("race_recorded", lang, seeds=len(recorded_here.seeds))
        styles.append(Line2D([], [], color="0.3", linewidth=1.6, linestyle="--", label=label))
    for ax, handles in ((loss_ax, nets), (error_ax, styles)):
        ax.legend(
            handles=handles,
            loc="lower left",
            bbox_to_anchor=(0.0, 1.01),
            ncols=len(handles),
            borderaxespad=0.0,
            handlelength=1.8,
            fontsize=10,
            frameon=False,
        )
    status = t(f"race_status_{snapshot.status}", lang)
    a, b = (race_net_name(k, lang) for k in keys)
    title = t(f"race_view_{view}", lang, a=a, b=b, status=status, step=snapshot.step)
    fig.suptitle(title, x=0.01, ha="left", fontsize=13, weight="bold")


def _same_recipe(snapshot: RaceSnapshot, recorded: RecordedRace) -> bool:
    """Whether the recording ran the live race's recipe (only then are they drawn together)."""
    return _same_recipe_config(snapshot.config, recorded)


def _same_recipe_config(config: RaceConfig, recorded: RecordedRace) -> bool:
    live = config.recipe()
    rec = recorded.recipe
    return all(live.get(k) == rec.get(k) for k in live if k not in ("max_steps", "eval_every"))


def plot_race(
    fig: Canvas, snapshot: RaceSnapshot, recorded: RecordedRace | None = None, lang: str = "en"
) -> None:
    """The three views of `RACE_VIEWS`, one above the other."""
    rows = fig.subfigures(len(RACE_VIEWS), 1, squeeze=False)[:, 0]
    for sub, view in zip(rows, RACE_VIEWS, strict=True):
        plot_race_view(sub, snapshot, view, recorded, lang)


RACE_VIEW_HEIGHT = 330
"""Pixels (at 100 dpi) of one view of the race."""


def race_chart(
    snapshot: RaceSnapshot,
    recorded: RecordedRace | None = None,
    width: int = 1000,
    lang: str = "en",
) -> np.ndarray:
    """`plot_race` on its own: RGB uint8 (H, width, 3), three views stacked."""
    height = round(RACE_VIEW_HEIGHT * len(RACE_VIEWS) * SCREEN_SCALE)
    return _on_screen(lambda fig: plot_race(fig, snapshot, recorded, lang), width, height)


SANITY_CELL = 96
"""Pixels (at 100 dpi, card width 1200) of one row of the sanity checks' grid of maps."""


def sanity_step_label(step: str, lang: str = "en") -> str:
    """A column's heading: "trained", or the block the randomisation has reached ("fc" …)."""
    return t("sanity_trained", lang) if step == TRAINED else step


def plot_sanity_grid(fig: Canvas, check: SanityCheck, lang: str = "en") -> None:
    """The maps: one row per method, one column per randomisation step (column 0: the trained
    network). Maps >= 0 in "inferno" on [0, 1]; signed maps in "RdBu_r" on [-1, 1]."""
    n_rows, n_cols = len(check.methods), len(check.steps)
    axes = fig.subplots(n_rows, n_cols, squeeze=False, gridspec_kw={"wspace": 0.04, "hspace": 0.08})
    for i, method in enumerate(check.methods):
        signed = check.signed(method)
        for k in range(n_cols):
            ax = axes[i, k]
            ax.imshow(
                check.maps[method][k],
                cmap="RdBu_r" if signed else "inferno",
                vmin=-1.0 if signed else 0.0,
                vmax=1.0,
                interpolation="nearest",
            )
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(sanity_step_label(check.steps[k], lang), fontsize=9, rotation=30)
            if k == 0:
                ax.set_ylabel(method, fontsize=9, rotation=0, ha="right", va="center")


def plot_sanity_similarity(fig: Canvas, check: SanityCheck, lang: str = "en") -> None:
    """Similarity to the trained map against the step, one line per method: Spearman rank
    correlation of |map| (left) and SSIM of |map| (right). A zero map leaves a gap."""
    left, right = fig.subplots(1, 2)
    xs = np.arange(len(check.steps))
    for ax, measure, key in (
        (left, check.spearman_abs, "sanity_y_spearman"),
        (right, check.ssim, "sanity_y_ssim"),
    ):
        for i, method in enumerate(check.methods):
            ax.plot(xs, measure[method], color=f"C{i}", lw=2.0, marker="o", ms=4, label=method)
        ax.axhline(0.0, color="0.6", lw=1)
        ax.set_xticks(
            xs, [sanity_step_label(s, lang) for s in check.steps], rotation=45, ha="right"
        )
        ax.set_ylim(-1.02 if ax is left else -0.05, 1.02)
        ax.set_ylabel(t(key, lang))
        ax.set_xlabel(t("sanity_x", lang))
        ax.grid(True)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    handles, labels = left.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside upper center", ncols=min(5, len(labels)), fontsize=10)


def sanity_grid_height(check: SanityCheck) -> int:
    """Pixels (at 100 dpi) the grid of maps needs: one row per method plus the headings."""
    return 50 + SANITY_CELL * len(check.methods) * 11 // max(11, len(check.steps))


def sanity_charts(
    check: SanityCheck, width: int = 1000, lang: str = "en"
) -> tuple[np.ndarray, np.ndarray]:
    """The grid of maps and the similarity chart on their own: two RGB uint8 (H, width, 3)."""
    grid = _on_screen(
        lambda fig: plot_sanity_grid(fig, check, lang),
        width,
        round(sanity_grid_height(check) * SCREEN_SCALE * width / 1200),
    )
    lines = _on_screen(lambda fig: plot_sanity_similarity(fig, check, lang), width, 520)
    return grid, lines
