"""Small charts drawn directly with Pillow: horizontal probability bars and line charts.

No matplotlib figures: these are a few dozen rectangles and lines, and drawing them directly
keeps rendering fast (DESIGN.md §7) and the look identical on every machine.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from PIL import Image, ImageDraw

from resnet_demo.render import _text

_SUPERSAMPLE = 2  # line charts are drawn at 2× and shrunk, which antialiases lines


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


def _percent(value: float) -> str:
    """A probability as a percentage with one decimal; tiny non-zero values read "<0.1%"."""
    if 0.0 < value < 0.0005:
        return "<0.1%"
    return f"{value * 100:.1f}%"


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    width: int = 480,
    highlight: int | None = None,
    title: str | None = None,
) -> np.ndarray:
    """Horizontal bars of probabilities, one row per label, with the value as a percentage.

    Each bar sits on a light track that stands for 100 %, so bar lengths are absolute, not
    relative to the largest value: a top-1 of 31 % looks like 31 %, not like certainty.

    Args:
        labels: One name per bar, drawn left of the bar (shortened with "…" when too long).
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
    width = _check_size("width", width, 200)
    if highlight is not None and (
        isinstance(highlight, bool)
        or not isinstance(highlight, int | np.integer)
        or not 0 <= highlight < len(names)
    ):
        raise ValueError(f"highlight must be an index in [0, {len(names)}), got {highlight!r}")
    return _draw_bars(names, np.clip(probs, 0.0, 1.0), width, highlight, title)


def _draw_bars(
    names: list[str],
    probs: np.ndarray,
    width: int,
    highlight: int | None,
    title: str | None,
    size: int | None = None,
    stacked: bool = False,
) -> np.ndarray:
    """Draw validated bars (probs already in [0, 1]).

    Args:
        names, probs, width, highlight, title: As in `bar_chart`, already validated.
        size: Font size in pixels. Default: derived from `width`.
        stacked: Put each label on its own line above its bar (for narrow columns, so long
            class names need not be cut) instead of left of it.
    """
    if size is None:
        size = max(12, min(20, round(width / 28)))
    fnt, bold = _text.font(size), _text.font(size, bold=True)
    pad, gap = size, size // 2
    title_font = _text.font(size + 2, bold=True, text=title or "")
    title_h = _text.line_height(title_font) + gap if title else 0
    pct_w = _text.text_width(bold, "100.0%")
    if stacked:
        text_h = _text.line_height(fnt)
        bar_h = round(size * 0.8)
        row_h = text_h + gap // 2 + bar_h + gap + gap // 2
        label_w = width - 2 * pad - pct_w - gap
        track_x0, track_x1 = pad, width - pad
    else:
        text_h = 0
        bar_h = round(size * 1.3)
        row_h = round(size * 2.0)
        widest = max(_text.text_width(bold, n) for n in names)
        label_w = min(widest, round(0.45 * (width - 2 * pad - pct_w)))
        track_x0 = pad + label_w + gap
        track_x1 = width - pad - pct_w - gap
    bar_top = text_h + gap // 2 if stacked else 0  # bar offset inside a row
    height = pad + title_h + (len(names) - 1) * row_h + bar_top + bar_h + pad

    canvas = Image.new("RGB", (width, height), _text.WHITE)
    draw = ImageDraw.Draw(canvas)
    if title:
        shown = _text.ellipsize(title_font, title, width - 2 * pad)
        draw.text((pad, pad), shown, font=title_font, fill=_text.TEXT)
    for i, (name, p) in enumerate(zip(names, probs, strict=True)):
        is_highlight = i == highlight
        label_font = _text.font(size, bold=is_highlight, text=name)
        label = _text.ellipsize(label_font, name, label_w)
        pct_font = bold if is_highlight else fnt
        row_y = pad + title_h + i * row_h
        if stacked:
            draw.text((pad, row_y), label, font=label_font, fill=_text.TEXT)
            draw.text(
                (width - pad, row_y),
                _percent(float(p)),
                font=pct_font,
                fill=_text.TEXT,
                anchor="ra",
            )
            y0 = row_y + bar_top
        else:
            y0 = row_y
            yc = y0 + bar_h / 2
            draw.text((track_x0 - gap, yc), label, font=label_font, fill=_text.TEXT, anchor="rm")
            draw.text(
                (width - pad, yc), _percent(float(p)), font=pct_font, fill=_text.TEXT, anchor="rm"
            )
        draw.rectangle((track_x0, y0, track_x1, y0 + bar_h - 1), fill=_text.BAR_TRACK)
        bar_end = track_x0 + round(float(p) * (track_x1 - track_x0))
        if bar_end > track_x0:
            colour = _text.BAR_HIGHLIGHT if is_highlight else _text.BAR
            draw.rectangle((track_x0, y0, bar_end - 1, y0 + bar_h - 1), fill=colour)
    return np.asarray(canvas).copy()


def _nice_step(span: float, target: int) -> float:
    """A 1-2-5 × 10^k step that divides `span` into about `target` intervals."""
    raw = span / max(1, target)
    magnitude = 10.0 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 2.5, 5.0, 10.0):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10.0 * magnitude


def _ticks(lo: float, hi: float, target: int, widen: bool) -> tuple[float, float, list[float], int]:
    """Axis bounds, tick positions and decimals for the tick labels.

    With `widen` the bounds grow to whole steps (the y axis: data never touches the frame);
    without, they stay at the data range and only the ticks inside it are kept (the x axis).
    """
    if not hi > lo:
        half = max(abs(lo) * 0.1, 0.5)
        lo, hi = lo - half, hi + half
    step = _nice_step(hi - lo, target)
    start, stop = math.floor(lo / step + 1e-9) * step, math.ceil(hi / step - 1e-9) * step
    count = round((stop - start) / step)
    ticks = [start + k * step for k in range(count + 1)]
    if widen:
        lo, hi = start, stop
    else:
        eps = 1e-9 * (hi - lo)
        ticks = [t for t in ticks if lo - eps <= t <= hi + eps]
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    if step * 10**decimals % 1 > 1e-6:  # e.g. step 0.25 needs one more decimal
        decimals += 1
    return lo, hi, ticks, decimals


def _segments(xs: np.ndarray, ys: np.ndarray) -> list[np.ndarray]:
    """Runs of consecutive finite points as (n, 2) arrays; NaN breaks a line."""
    finite = np.isfinite(ys)
    runs, current = [], []
    for x, y, ok in zip(xs, ys, finite, strict=True):
        if ok:
            current.append((x, y))
        elif current:
            runs.append(np.array(current))
            current = []
    if current:
        runs.append(np.array(current))
    return runs


def line_chart(
    series: Mapping[str, Sequence[float]],
    xs: Sequence[float] | None = None,
    width: int = 640,
    height: int = 360,
    title: str | None = None,
    xlabel: str = "",
    ylabel: str = "",
    spread: Mapping[str, Sequence[float]] | None = None,
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
    width = _check_size("width", width, 200)
    height = _check_size("height", height, 150)

    k = _SUPERSAMPLE
    big_w, big_h = width * k, height * k
    size = max(10, min(16, round(min(width, height * 1.6) / 42)))
    fnt = _text.font(size * k)  # tick labels: digits
    small = _text.font(round(size * 0.9) * k, text="".join(ys))  # legend
    label_font = _text.font(size * k, text=f"{xlabel}{ylabel}")  # axis labels
    title_font = _text.font(round(size * 1.2) * k, bold=True, text=title or "")
    pad, gap = 12 * k, 6 * k

    # y range over the data and the bands, x range over xs; both widened to whole ticks.
    lows = [y for y in ys.values()] + [ys[name] - s for name, s in spreads.items()]
    highs = [y for y in ys.values()] + [ys[name] + s for name, s in spreads.items()]
    lo_vals = np.concatenate([v[np.isfinite(v)] for v in lows])
    hi_vals = np.concatenate([v[np.isfinite(v)] for v in highs])
    y_lo = float(lo_vals.min()) if lo_vals.size else 0.0
    y_hi = float(hi_vals.max()) if hi_vals.size else 1.0
    y0, y1, yticks, ydec = _ticks(y_lo, y_hi, 5, widen=True)
    x0, x1, xticks, xdec = _ticks(float(x.min()), float(x.max()), 6, widen=False)
    if xs is None or np.all(x == np.round(x)):
        xticks = [t for t in xticks if abs(t - round(t)) < 1e-9]  # no ticks at 0.5 for indices
        xdec = 0

    canvas = Image.new("RGB", (big_w, big_h), _text.WHITE)
    draw = ImageDraw.Draw(canvas)

    # Header: title, then a legend row that wraps.
    top = pad
    if title:
        draw.text(
            (pad, top),
            _text.ellipsize(title_font, title, big_w - 2 * pad),
            font=title_font,
            fill=_text.TEXT,
        )
        top += _text.line_height(title_font) + gap
    swatch = 18 * k
    lx, line_h = pad, _text.line_height(small)
    legend_rows = 1
    for i, name in enumerate(ys):
        item_w = swatch + gap + _text.text_width(small, name) + 3 * gap
        if lx + item_w > big_w - pad and lx > pad:
            lx, legend_rows = pad, legend_rows + 1
            top += line_h + gap // 2
        colour = _text.SERIES[i % len(_text.SERIES)]
        ymid = top + line_h // 2
        draw.line((lx, ymid, lx + swatch, ymid), fill=colour, width=3 * k)
        draw.text((lx + swatch + gap, ymid), name, font=small, fill=_text.TEXT, anchor="lm")
        lx += item_w
    top += line_h + gap

    # Plot area, leaving room for tick labels and axis labels.
    ytick_labels = [f"{t:.{ydec}f}" for t in yticks]
    left = pad + max(_text.text_width(fnt, s) for s in ytick_labels) + gap
    if ylabel:
        left += _text.line_height(label_font) + gap
    bottom = big_h - pad - _text.line_height(fnt) - gap
    if xlabel:
        bottom -= _text.line_height(label_font) + gap
    right = big_w - pad - _text.text_width(fnt, f"{xticks[-1]:.{xdec}f}") // 2
    if bottom - top < 40 * k or right - left < 60 * k:
        raise ValueError(f"width={width}, height={height} leave no room for the plot")

    def px(v: float) -> float:
        return left + (v - x0) / (x1 - x0) * (right - left)

    def py(v: float) -> float:
        return bottom - (v - y0) / (y1 - y0) * (bottom - top)

    for t, label in zip(yticks, ytick_labels, strict=True):
        draw.line((left, py(t), right, py(t)), fill=_text.GRID, width=k)
        draw.text((left - gap, py(t)), label, font=fnt, fill=_text.MUTED, anchor="rm")
    for t in xticks:
        draw.line((px(t), top, px(t), bottom), fill=_text.GRID, width=k)
        draw.text((px(t), bottom + gap), f"{t:.{xdec}f}", font=fnt, fill=_text.MUTED, anchor="ma")
    draw.line((left, bottom, right, bottom), fill=_text.AXIS, width=k)
    draw.line((left, top, left, bottom), fill=_text.AXIS, width=k)
    if xlabel:
        label = _text.ellipsize(label_font, xlabel, right - left)
        draw.text(
            ((left + right) / 2, big_h - pad), label, font=label_font, fill=_text.TEXT, anchor="md"
        )
    if ylabel:
        label = _text.ellipsize(label_font, ylabel, bottom - top)
        text_img = Image.new(
            "RGB",
            (_text.text_width(label_font, label) + 2, _text.line_height(label_font)),
            _text.WHITE,
        )
        ImageDraw.Draw(text_img).text((1, 0), label, font=label_font, fill=_text.TEXT)
        rotated = text_img.rotate(90, expand=True)
        canvas.paste(rotated, (pad, round((top + bottom) / 2 - rotated.height / 2)))

    # Bands first (translucent, under every line), then lines and markers.
    if spreads:
        layer = Image.new("RGBA", (big_w, big_h), (0, 0, 0, 0))
        band_draw = ImageDraw.Draw(layer)
        for i, name in enumerate(ys):
            if name not in spreads:
                continue
            colour = _text.SERIES[i % len(_text.SERIES)]
            y_up, y_down = ys[name] + spreads[name], ys[name] - spreads[name]
            for run_up, run_down in zip(_segments(x, y_up), _segments(x, y_down), strict=True):
                if len(run_up) < 2:
                    continue
                poly = [(px(a), py(b)) for a, b in run_up]
                poly += [(px(a), py(b)) for a, b in run_down[::-1]]
                band_draw.polygon(poly, fill=(*colour, 56))
        canvas = Image.alpha_composite(canvas.convert("RGBA"), layer).convert("RGB")
        draw = ImageDraw.Draw(canvas)
    markers = len(x) <= 25
    for i, y in enumerate(ys.values()):
        colour = _text.SERIES[i % len(_text.SERIES)]
        for run in _segments(x, y):
            points = [(px(a), py(b)) for a, b in run]
            if len(points) > 1:
                draw.line(points, fill=colour, width=3 * k, joint="curve")
            if markers or len(points) == 1:
                r = 3.5 * k
                for cx, cy in points:
                    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour)

    shrunk = canvas.reduce(k)  # box filter: each output pixel averages k×k samples
    return np.asarray(shrunk).copy()
