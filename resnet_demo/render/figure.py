"""matplotlib figures to RGB arrays, without pyplot, one at a time.

Every chart and card is a `matplotlib.figure.Figure` drawn on its own Agg canvas: no pyplot and
no global figure state. Two things in matplotlib are still process-wide: the rc settings, which
`render_figure` sets for the duration of one figure with `rc_context`, and the cached FreeType
font objects, which are not safe to lay text out with from two threads at once. So each figure is
built and drawn under one lock; charts are small, and this keeps two requests from garbling each
other's text.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.rcsetup import cycler
from matplotlib.text import Text
from matplotlib.typing import RcKeyType

from resnet_demo.render.fonts import font_families

DPI_AT_1200 = 100.0
"""Dots per inch of a 1200-px-wide figure; figures scale their dpi with their width, so text and
lines keep their proportions at every export size."""

TEXT = "#222222"
MUTED = "#6e6e6e"
GRID = "#e1e1e1"
BAR = "#4c78a8"  # steel blue, (76, 120, 168)
BAR_HIGHLIGHT = "#e46b24"  # orange, (228, 107, 36)
BAR_TRACK = "#eef0f3"

_LOCK = threading.Lock()
_RECORDING = threading.local()


@contextmanager
def recording_texts() -> Iterator[list[str]]:
    """Collect the text of every figure this thread renders inside the block.

    The words a chart or card shows, e.g. for alt text, or for a test that a Chinese card holds
    no English word.

    Yields:
        A list that fills with the non-empty strings of every text artist, in drawing order.
    """
    texts: list[str] = []
    previous = getattr(_RECORDING, "texts", None)
    _RECORDING.texts = texts
    try:
        yield texts
    finally:
        _RECORDING.texts = previous


def _rc() -> dict[RcKeyType, Any]:
    """rc settings shared by every chart and card."""
    return {
        "font.family": font_families(),
        "font.size": 11.0,
        "text.color": TEXT,
        "axes.edgecolor": "#787878",
        "axes.labelcolor": TEXT,
        "axes.titlesize": 13.0,
        "axes.titleweight": "bold",
        "axes.titlelocation": "left",
        "axes.prop_cycle": cycler(color=matplotlib.color_sequences["tab10"]),
        "xtick.color": MUTED,
        "ytick.color": MUTED,
        "grid.color": GRID,
        "legend.frameon": False,
        "figure.facecolor": "white",
        "savefig.facecolor": "white",
        "axes.unicode_minus": True,
        "text.parse_math": False,  # a "$" in a class name or caption is just a dollar sign
    }


def render_figure(
    draw: Callable[[Figure], None], width: int, height: int, *, scale: float = 1.0
) -> np.ndarray:
    """Build a figure of `width`×`height` pixels with `draw(fig)` and rasterise it.

    Args:
        draw: Adds everything to the figure (axes, subfigures, text). Runs under the render
            lock, with the chart fonts set.
        width: Pixels, >= 1.
        height: Pixels, >= 1.
        scale: Text and line size relative to a figure at 100 dpi. Default: 1.

    Returns:
        New RGB uint8 array (height, width, 3).
    """
    dpi = DPI_AT_1200 * scale
    with _LOCK, matplotlib.rc_context(_rc()):
        fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi, layout="constrained")
        canvas = FigureCanvasAgg(fig)
        draw(fig)
        canvas.draw()
        texts = getattr(_RECORDING, "texts", None)
        if texts is not None:
            shown = (x for x in fig.findobj(Text) if x.get_visible() and x.get_alpha() != 0.0)
            texts.extend(x.get_text() for x in shown if x.get_text())
        rgb = np.asarray(canvas.buffer_rgba())[:height, :width, :3]
    out = np.full((height, width, 3), 255, np.uint8)  # Agg may round a size down by a pixel
    out[: rgb.shape[0], : rgb.shape[1]] = rgb
    return out


_CJK = r"\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef"
_TOKENS = re.compile(rf"\s+|[{_CJK}]|[^\s{_CJK}]+")
_NO_LINE_START = set("，。、；：！？）」』》〉】…·,.;:!?)")
_NO_LINE_END = set("（「『《〈【(")


def wrap_text(text: str, fits: Callable[[str], bool]) -> list[str]:
    """Greedy line breaking of `text`: at spaces in Latin text, between characters in Chinese.

    matplotlib's own `wrap=True` breaks only at spaces, so Chinese would run off the figure.

    Args:
        text: One paragraph.
        fits: Whether a candidate line fits the width (measured by matplotlib's renderer).

    Returns:
        The lines, at least one; closing punctuation never starts a line, opening punctuation
        never ends one.
    """
    lines: list[str] = []
    current = ""
    for token in _TOKENS.findall(text):
        if token.isspace():
            current += " " if current else ""
            continue
        keep = token in _NO_LINE_START or current[-1:] in _NO_LINE_END
        if not current or keep or fits(current + token):
            current += token
            continue
        lines.append(current.rstrip())
        current = token
    lines.append(current.rstrip())
    return lines


def wrap_lines(
    paragraphs: list[str], size: float, width: int, *, bold: bool = False, scale: float = 1.0
) -> list[str]:
    """`paragraphs` broken into lines no wider than `width` pixels in the chart fonts.

    Args:
        paragraphs: Texts to wrap, each starting a new line.
        size: Font size in points.
        width: Available width in pixels at `scale`.
        bold: Bold face.
        scale: As in `render_figure`.

    Returns:
        The lines, in order.
    """
    dpi = DPI_AT_1200 * scale
    with _LOCK, matplotlib.rc_context(_rc()):
        renderer = RendererAgg(1, 1, dpi)
        prop = FontProperties(size=size, weight="bold" if bold else "normal")

        def fits(line: str) -> bool:
            w, _, _ = renderer.get_text_width_height_descent(line, prop, ismath=False)
            return w <= width

        return [line for text in paragraphs for line in wrap_text(text, fits)]
