"""Cards: one exportable picture (title, rows of pictures and charts, caption) for slides.

One layout, `layout_card`, serves every card: the result card of the page and the CLI
(`result_card`) and the lab's cards. Rows hold panels, each a function that draws into its own
matplotlib `SubFigure`; the height of the card follows from its rows and its wrapped text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import matplotlib
import numpy as np
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure, SubFigure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.lines import Line2D

from resnet_demo.render.charts import _as_floats, check_bars, plot_bars
from resnet_demo.render.colormaps import _as_map
from resnet_demo.render.figure import GRID, MUTED, TEXT, render_figure, wrap_lines
from resnet_demo.render.overlay import _check_image, overlay
from resnet_demo.text import t

Panel = Callable[[SubFigure], None]
"""Draws one part of a card into the `SubFigure` it is given."""

_HEAT_CMAP = "inferno"
_HEAT_ALPHA = 0.5
_MARGIN, _GAP = 36, 20  # pixels at a card width of 1200
_TITLE_PT, _CAPTION_PT = 22.0, 12.5
_TITLE_LINE, _CAPTION_LINE = 36, 24  # line heights in pixels at 1200


@dataclass(frozen=True)
class Row:
    """One row of a card.

    Attributes:
        height: Height in pixels at a card width of 1200 (scaled with the width).
        panels: Drawn left to right, each in its own `SubFigure`.
        widths: Relative widths of the panels. Default: equal.
    """

    height: int
    panels: Sequence[Panel]
    widths: Sequence[float] | None = None


def _draw_rows(fig: Figure, rows: Sequence[Row], heights: list[float], margin: float) -> None:
    """Place the rows in a grid whose slots 0 and -1 are the title and the caption."""
    grid = fig.add_gridspec(
        len(heights), 3, height_ratios=heights, width_ratios=[margin, 1.0 - 2 * margin, margin]
    )
    for i, row in enumerate(rows, start=1):
        slot = fig.add_subfigure(grid[i, 1])
        widths = list(row.widths) if row.widths is not None else [1.0] * len(row.panels)
        cells = slot.subfigures(1, len(row.panels), width_ratios=widths, squeeze=False)[0]
        for cell, panel in zip(cells, row.panels, strict=True):
            panel(cell)


def layout_card(
    title: str, rows: Sequence[Row], caption_lines: Sequence[str], width: int = 1200
) -> np.ndarray:
    """Lay out a card: the title, the rows, a rule, the caption (all text wrapped to fit).

    Args:
        title: Heading (wrapped; Chinese breaks between characters).
        rows: Pictures and charts, top to bottom.
        caption_lines: Facts printed under a rule, each starting a new line.
        width: Card width in pixels (>= 480). Every size scales with it. Default: 1200.

    Returns:
        New RGB uint8 array (H, width, 3) on white; H follows from the content.

    Raises:
        ValueError: If `width` is not an integer >= 480.
    """
    if isinstance(width, bool) or not isinstance(width, int | np.integer) or width < 480:
        raise ValueError(f"width must be an integer >= 480, got {width!r}")
    width, s = int(width), width / 1200
    inner = round((1200 - 2 * _MARGIN) * s)
    titles = wrap_lines([title], _TITLE_PT, inner, bold=True, scale=s) if title else []
    captions = wrap_lines([str(x) for x in caption_lines], _CAPTION_PT, inner, scale=s)
    top = _MARGIN + len(titles) * _TITLE_LINE + (_GAP // 2 if titles else 0)
    bottom = _GAP + len(captions) * _CAPTION_LINE + _MARGIN
    heights = [float(top)] + [float(r.height + _GAP) for r in rows] + [float(bottom)]
    total = sum(heights)

    def draw(fig: Figure) -> None:
        engine = fig.get_layout_engine()
        assert isinstance(engine, ConstrainedLayoutEngine), "render_figure lays out by constraints"
        engine.set(w_pad=0.06, h_pad=0.04, wspace=0.02, hspace=0.0)
        _draw_rows(fig, rows, heights, _MARGIN / 1200)
        for i, line in enumerate(titles):
            y = 1.0 - (_MARGIN + i * _TITLE_LINE) / total
            fig.text(_MARGIN / 1200, y, line, fontsize=_TITLE_PT, weight="bold", va="top")
        rule = (bottom - _GAP / 2) / total
        fig.add_artist(
            Line2D([_MARGIN / 1200, 1 - _MARGIN / 1200], [rule, rule], color=GRID, linewidth=1.0)
        )
        for i, line in enumerate(captions):
            y = (bottom - _GAP - i * _CAPTION_LINE) / total
            fig.text(_MARGIN / 1200, y, line, fontsize=_CAPTION_PT, color=MUTED, va="top")

    return render_figure(draw, width, round(total * s), scale=s)


@dataclass(frozen=True)
class ColourKey:
    """A colour bar under a picture: what its colours mean.

    Attributes:
        low: Word at the left end (value 0, or -1 for a diverging map).
        label: What the colours measure, printed under the bar.
        high: Word at the right end (value 1).
        cmap: The matplotlib colour map of the picture. Default: "inferno" (Grad-CAM).
        diverging: The bar runs from -1 to 1 instead of 0 to 1. Default: False.
    """

    low: str
    label: str
    high: str
    cmap: str = _HEAT_CMAP
    diverging: bool = False


def picture(
    heading: str,
    image: np.ndarray,
    key: ColourKey | None = None,
    room_for_key: ColourKey | None = None,
) -> Panel:
    """A panel showing an RGB uint8 image (H, W, 3) under a heading.

    Args:
        heading: Text above the picture.
        image: What to show; small pictures (< 64 px) stay blocky, cell for cell.
        key: The colour key drawn under the picture, or None.
        room_for_key: The key of a neighbouring picture: leave its room blank, so pictures in
            one row keep one size. Default: None.
    """
    small = max(image.shape[:2]) < 64

    def draw(fig: SubFigure) -> None:
        ax = fig.add_subplot()
        ax.imshow(image, interpolation="nearest" if small else "antialiased")
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_color(GRID)
        ax.set_title(heading, fontsize=13, color=TEXT)
        ax.set_anchor("N")  # pictures of one row hang from one line, under their headings
        words = key or room_for_key
        if words is not None:
            lo = -1.0 if words.diverging else 0.0
            mappable = ScalarMappable(Normalize(lo, 1.0), matplotlib.colormaps[words.cmap])
            bar = fig.colorbar(
                mappable,
                ax=ax,
                orientation="horizontal",
                fraction=0.07,
                pad=0.03,
                aspect=18,
                ticks=[lo, 1.0],
            )
            bar.ax.set_xticklabels([words.low, words.high], fontsize=10)
            bar.set_label(words.label, fontsize=10, color=MUTED)
            bar.outline.set_visible(False)
            if key is None:  # keep the room, draw nothing
                bar.ax.set_in_layout(True)
                for artist in (bar.solids, *bar.ax.get_xticklabels(), bar.ax.xaxis.label):
                    if artist is not None:
                        artist.set_alpha(0.0)
                bar.ax.tick_params(length=0)

    return draw


@dataclass(frozen=True, eq=False)
class CardContent:
    """What a result card shows. Arrays are read, never modified.

    Attributes:
        title: Heading of the card, e.g. "ResNet-18 · chelsea.jpg".
        image: RGB uint8 (H, W, 3): what the model saw (after resize and crop).
        heat: float32 (h, w) in [0, 1], the Grad-CAM map (resized to the image), or None to
            leave the overlay panel out.
        top_labels: Class names of the top-k predictions, most probable first.
        top_probs: Their probabilities in [0, 1], same length as `top_labels`.
        caption_lines: Facts to print under the figure: model, weights, switches, image name,
            Grad-CAM target and layer, ...
        extra_panels: (title, RGB uint8 image) pairs, or (title, image, ColourKey) triples,
            shown after the overlay, e.g. the Grad-CAM with a switch applied and the difference
            map with its diverging key. Default: none.
        lang: Language of the card's own words (panel headings, colour key): "en" or "zh".
        heat_title: Heading of the heat-map panel. Default: None, "Grad-CAM" in `lang`.
        heat_key: Colour key of the heat-map panel. Default: None, Grad-CAM's key.
        heat_signed: `heat` is a signed map in [-1, 1], drawn with a diverging colour map (0 in
            its near-white middle colour; give a diverging `heat_key` with it). Default: False.
        heat_cmap: Colour map of an unsigned `heat` and of the default key
            (`colormaps.PALETTES`). Default: "inferno".
    """

    title: str
    image: np.ndarray
    heat: np.ndarray | None
    top_labels: Sequence[str]
    top_probs: Sequence[float]
    caption_lines: Sequence[str]
    extra_panels: Sequence[tuple[str, np.ndarray] | tuple[str, np.ndarray, ColourKey]] = ()
    lang: str = "en"
    heat_title: str | None = None
    heat_key: ColourKey | None = None
    heat_signed: bool = False
    heat_cmap: str = _HEAT_CMAP


def _pictures(content: CardContent) -> list[Panel]:
    """Validated picture panels: the input, the Grad-CAM overlay with its key, the extras."""
    if not isinstance(content, CardContent):
        raise ValueError(f"content must be a CardContent, got {type(content).__name__}")
    lang = content.lang
    image = _check_image(content.image, "content.image")
    key = content.heat_key or ColourKey(
        t("card_low", lang), t("card_key", lang), t("card_high", lang), content.heat_cmap
    )
    room = key if content.heat is not None else None
    panels = [picture(t("card_input", lang), image, room_for_key=room)]
    if content.heat is not None:
        heat = _as_map(content.heat, "content.heat")
        signed = bool(content.heat_signed)
        shown = overlay(
            image,
            heat,
            alpha=_HEAT_ALPHA,
            cmap=key.cmap if signed else content.heat_cmap,
            signed=signed,
        )
        title = content.heat_title or t("card_grad_cam", lang)
        panels.append(picture(title, shown, key))
    for i, item in enumerate(content.extra_panels):
        if not (isinstance(item, tuple | list) and len(item) in (2, 3)):
            raise ValueError(f"extra_panels[{i}] must be a (title, image) pair")
        extra = _check_image(item[1], f"extra_panels[{i}] image")
        own = item[2] if len(item) == 3 else None
        panels.append(picture(str(item[0]), extra, own, room_for_key=room))
    if isinstance(content.caption_lines, str):
        raise ValueError("content.caption_lines must be a sequence of strings, got a string")
    return panels


def _picture_row(cell: float) -> int:
    """Height (px at 1200) of a row of pictures in cells `cell` px wide: picture, heading, key."""
    return round(cell - 16 + 95)


def result_card(content: CardContent, width: int = 1200) -> np.ndarray:
    """Lay out one analysis: title, pictures (input, Grad-CAM, extras), top-k bars, caption.

    With up to three pictures the top-k bars stand beside them; with more, in a row below.

    Args:
        content: What to show. Not modified.
        width: Card width in pixels (>= 480). Default: 1200, a slide-sized figure.

    Returns:
        New RGB uint8 array (H, width, 3) on a white background; H follows from the content.

    Raises:
        ValueError: If a field of `content` has the wrong shape, dtype or length, or `width`
            is not an integer >= 480.
    """
    panels = _pictures(content)
    if isinstance(content.top_labels, str):
        raise ValueError("content.top_labels must be a sequence of strings, got a string")
    labels = [str(label) for label in content.top_labels]
    probs = _as_floats("content.top_probs", content.top_probs)
    if len(labels) != len(probs):
        raise ValueError(f"top_labels has {len(labels)} entries but top_probs has {len(probs)}")
    if np.isnan(probs).any():
        raise ValueError("content.top_probs must not contain NaN")
    rows: list[Row] = []
    if labels:
        bars = check_bars(labels, probs, None)
        heading = t("card_top_k", content.lang, k=len(labels))

        def top_k(fig: SubFigure) -> None:
            plot_bars(fig, bars, heading, min_rows=5)

        n = len(panels)
        if n <= 3:
            side = (1128 - 420) / n
            rows.append(Row(_picture_row(side), [*panels, top_k], [1.0] * n + [420 / side]))
        else:
            rows.append(Row(_picture_row(1128 / n), panels))
            rows.append(Row(60 + 36 * len(labels), [top_k], None))
    else:
        rows.append(Row(_picture_row(min(380, 1128 / len(panels))), panels))
    return layout_card(content.title, rows, content.caption_lines, width)
