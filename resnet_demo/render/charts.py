"""Charts in matplotlib: horizontal probability bars and line charts with ± bands.

`plot_bars` and `plot_lines` draw into any matplotlib `Figure` or `SubFigure` (so a card can hold
them beside pictures); `bar_chart` and `line_chart` draw one on its own and return RGB pixels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure, SubFigure
from matplotlib.ticker import MaxNLocator

from resnet_demo.render.figure import BAR, BAR_HIGHLIGHT, BAR_TRACK, TEXT, render_figure

Canvas = Figure | SubFigure
"""Anything a chart can be drawn into."""

Floats = Sequence[float] | np.ndarray
"""Numbers of one series: a sequence of floats or a 1-D NumPy array."""

_LABEL_CHARS = 34  # longer class names are cut with "…" (ImageNet has a few very long ones)


def _check_size(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _as_floats(name: str, values: object) -> np.ndarray:
    """A 1-D float64 copy of `values`, or ValueError."""
    if isinstance(values, str | bytes):
        raise ValueError(f"{name} must be a sequence of numbers, got a string")
    try:
        arr = np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a sequence of numbers") from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    return arr


def percent(value: float) -> str:
    """A probability as a percentage with one decimal; tiny non-zero values read "<0.1%"."""
    if 0.0 < value < 0.0005:
        return "<0.1%"
    return f"{value * 100:.1f}%"


def _shorten(name: str) -> str:
    return name if len(name) <= _LABEL_CHARS else name[: _LABEL_CHARS - 1].rstrip() + "…"


@dataclass(frozen=True)
class Bars:
    """Validated bar-chart input: names, probabilities float64 (n,) in [0, 1], highlight."""

    names: list[str]
    probs: np.ndarray
    highlight: int | None


def check_bars(labels: Sequence[str], values: Floats, highlight: int | None) -> Bars:
    """Validate bar-chart input (see `bar_chart`); values are clipped to [0, 1]."""
    if isinstance(labels, str):
        raise ValueError("labels must be a sequence of strings, got a single string")
    names = [str(label) for label in labels]
    probs = _as_floats("values", values)
    if not names:
        raise ValueError("labels must hold at least one label")
    if len(names) != len(probs):
        raise ValueError(f"labels has {len(names)} entries but values has {len(probs)}")
    if np.isnan(probs).any():
        raise ValueError("values must not contain NaN")
    if highlight is not None and (
        isinstance(highlight, bool)
        or not isinstance(highlight, int | np.integer)
        or not 0 <= highlight < len(names)
    ):
        raise ValueError(f"highlight must be an index in [0, {len(names)}), got {highlight!r}")
    return Bars(names, np.clip(probs, 0.0, 1.0), None if highlight is None else int(highlight))


def plot_bars(fig: Canvas, bars: Bars, title: str | None = None, min_rows: int = 1) -> None:
    """Draw horizontal probability bars into `fig`, one row per name, top to bottom.

    Each bar sits on a light track that stands for 100 %, so bar lengths are absolute: a top-1
    of 31 % looks like 31 %, not like certainty. The percentage is printed right of the track.
    With fewer than `min_rows` names the bars keep the thickness they would have at `min_rows`.
    """
    ax = fig.add_subplot()
    y = np.arange(len(bars.names))
    colours = [BAR_HIGHLIGHT if i == bars.highlight else BAR for i in y]
    ax.barh(y, np.ones(len(y)), height=0.62, color=BAR_TRACK)
    ax.barh(y, bars.probs, height=0.62, color=colours)
    ax.set_yticks(y, labels=[_shorten(n) for n in bars.names])
    for i, p in enumerate(bars.probs):
        bold = "bold" if i == bars.highlight else "normal"
        ax.text(
            1.02,
            i,
            percent(float(p)),
            va="center",
            weight=bold,
            color=TEXT,
            transform=ax.get_yaxis_transform(),
        )
        ax.get_yticklabels()[i].set(color=TEXT, weight=bold)
    ax.set_xlim(0.0, 1.0)
    ax.set_ylim(max(len(y), min_rows) - 0.5, -0.5)  # first bar on top
    ax.set_xticks([])
    ax.tick_params(axis="y", length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    if title:
        fig.suptitle(title, x=0.0, ha="left", fontsize=13, weight="bold")


def bar_chart(
    labels: Sequence[str],
    values: Floats,
    width: int = 480,
    highlight: int | None = None,
    title: str | None = None,
) -> np.ndarray:
    """Horizontal bars of probabilities, one row per label, with the value as a percentage.

    Args:
        labels: One name per bar, drawn left of the bar (very long ones cut with "…").
        values: Probabilities in [0, 1], same length as `labels`, top to bottom. Values outside
            [0, 1] (e.g. 1.0000001 from float rounding) are clipped for drawing.
        width: Image width in pixels (>= 200). Default: 480. The height follows from the rows.
        highlight: Index of a bar to draw in the accent colour with a bold label (e.g. the
            Grad-CAM target), or None. Default: None.
        title: Heading drawn above the bars, or None. Default: None.

    Returns:
        New RGB uint8 array (H, width, 3) on a white background.

    Raises:
        ValueError: If `labels` is empty or a string, lengths differ, a value is NaN, `width`
            is too small, or `highlight` is not a valid index.
    """
    bars = check_bars(labels, values, highlight)
    width = _check_size("width", width, 200)
    height = 24 + 34 * len(bars.names) + (34 if title else 0)
    return render_figure(lambda fig: plot_bars(fig, bars, title), width, height)


@dataclass(frozen=True)
class Lines:
    """Validated line-chart input: float64 series (n,), shared xs (n,), spreads by name."""

    series: dict[str, np.ndarray]
    xs: np.ndarray
    spread: dict[str, np.ndarray]
    integer_x: bool


def check_lines(
    series: Mapping[str, Floats],
    xs: Floats | None = None,
    spread: Mapping[str, Floats] | None = None,
) -> Lines:
    """Validate line-chart input (see `line_chart`)."""
    if not isinstance(series, Mapping) or not series:
        raise ValueError("series must be a non-empty mapping of name -> values")
    ys = {str(name): _as_floats(f"series[{name!r}]", v) for name, v in series.items()}
    n = len(next(iter(ys.values())))
    x = np.arange(n, dtype=np.float64) if xs is None else _as_floats("xs", xs)
    if len(x) == 0:
        raise ValueError("series must hold at least one point")
    if not np.isfinite(x).all():
        raise ValueError("xs must be finite numbers")
    for name, y in ys.items():
        if len(y) != len(x):
            raise ValueError(f"series {name!r} has {len(y)} values for {len(x)} x positions")
    spreads: dict[str, np.ndarray] = {}
    for name, s in (spread or {}).items():
        if str(name) not in ys:
            raise ValueError(f"spread names a series that does not exist: {name!r}")
        s_arr = _as_floats(f"spread[{name!r}]", s)
        if len(s_arr) != len(x):
            raise ValueError(f"spread {name!r} has {len(s_arr)} values for {len(x)} x positions")
        if (s_arr < 0).any():
            raise ValueError(f"spread {name!r} must be >= 0")
        spreads[str(name)] = s_arr
    return Lines(ys, x, spreads, bool(np.all(x == np.round(x))))


def plot_lines(
    fig: Canvas, lines: Lines, title: str | None = None, xlabel: str = "", ylabel: str = ""
) -> None:
    """Draw a multi-line chart into `fig`: grid, legend above the plot, ± bands, NaN as gaps.

    Colours follow the Tableau 10 palette in series order; a band [y - s, y + s] is shaded in
    its series' colour. Points get markers when there are at most 25 of them.
    """
    ax = fig.add_subplot()
    markers = "o" if len(lines.xs) <= 25 else None
    for i, (name, y) in enumerate(lines.series.items()):
        colour = f"C{i % 10}"
        if name in lines.spread:
            s = lines.spread[name]
            ax.fill_between(
                lines.xs,
                np.ma.masked_invalid(y - s),
                np.ma.masked_invalid(y + s),
                color=colour,
                alpha=0.22,
                linewidth=0,
            )
        ax.plot(
            lines.xs, y, color=colour, linewidth=2.2, marker=markers, markersize=4.5, label=name
        )
    ax.grid(True)
    ax.set_axisbelow(True)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=7, integer=lines.integer_x))
    ax.yaxis.set_major_locator(MaxNLocator(nbins=6))
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(
        loc="lower left",
        bbox_to_anchor=(0.0, 1.01),
        ncols=min(len(lines.series), 4),
        borderaxespad=0.0,
        handlelength=1.6,
        fontsize=10,
    )
    if title:
        fig.suptitle(title, x=0.0, ha="left", fontsize=13, weight="bold")


def line_chart(
    series: Mapping[str, Floats],
    xs: Floats | None = None,
    width: int = 640,
    height: int = 360,
    title: str | None = None,
    xlabel: str = "",
    ylabel: str = "",
    spread: Mapping[str, Floats] | None = None,
) -> np.ndarray:
    """A multi-line chart with axes, grid, legend and optional shaded ± spread bands.

    Args:
        series: Name -> y values, all the same length as `xs`. Non-empty. NaN leaves a gap.
            Colours follow the Tableau 10 palette in insertion order.
        xs: Shared x positions (finite numbers). Default: 0, 1, ..., n - 1.
        width: Image width in pixels (>= 200). Default: 640.
        height: Image height in pixels (>= 150). Default: 360.
        title: Heading above the plot, or None. Default: None.
        xlabel: Text under the x axis. Default: "".
        ylabel: Text left of the y axis, drawn rotated. Default: "".
        spread: Name -> non-negative half-widths s for some of the series; the band
            [y - s, y + s] is shaded in the series' colour (e.g. ± one standard deviation over
            images). Default: None.

    Returns:
        New RGB uint8 array (height, width, 3) on a white background.

    Raises:
        ValueError: If `series` is empty, lengths differ, `xs` holds non-finite values, a
            `spread` name is not in `series` or a spread is negative, or a size is too small.
    """
    lines = check_lines(series, xs, spread)
    width = _check_size("width", width, 200)
    height = _check_size("height", height, 150)
    return render_figure(lambda fig: plot_lines(fig, lines, title, xlabel, ylabel), width, height)


def deletion_insertion_chart(
    fractions: Floats,
    deletion: Floats,
    insertion: Floats,
    labels: tuple[str, str],
    width: int = 640,
    height: int = 360,
    title: str | None = None,
    xlabel: str = "",
    ylabel: str = "",
) -> np.ndarray:
    """Deletion and insertion curves of one map (Petsiuk et al. 2018, RISE §4.1) on one chart.

    Args:
        fractions: share of the pixels removed (deletion) or added (insertion) at each step,
            in [0, 1], increasing.
        deletion: the class probability after each deletion step, same length.
        insertion: the class probability after each insertion step, same length.
        labels: legend entries of (deletion, insertion), e.g. with their areas under the curve.
        width, height: image size in pixels. Default: 640 × 360.
        title, xlabel, ylabel: words of the chart. Default: none.

    Returns:
        New RGB uint8 array (height, width, 3): the two curves, y from 0 to 1.

    Raises:
        ValueError: lengths differ, a value is not finite, or a size is too small.
    """
    lines = check_lines({labels[0]: deletion, labels[1]: insertion}, fractions)
    for name, ys in lines.series.items():
        if not np.isfinite(ys).all():
            raise ValueError(f"series {name!r} must be finite numbers")
    width = _check_size("width", width, 200)
    height = _check_size("height", height, 150)

    def draw(fig: Figure) -> None:
        plot_lines(fig, lines, title, xlabel, ylabel)
        ax = fig.axes[0]
        ax.set_ylim(0.0, 1.0)
        ax.set_xlim(0.0, 1.0)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6))

    return render_figure(draw, width, height)
