"""Result cards: one exportable image that sums up an analysis, for slides and reports."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from resnet_demo.render import _text
from resnet_demo.render.charts import _as_floats, _draw_bars
from resnet_demo.render.colormaps import _as_map, colorize
from resnet_demo.render.overlay import _check_image, overlay

_HEAT_CMAP = "inferno"
_HEAT_ALPHA = 0.5
# The card's own words; `result_card(strings=...)` replaces any of them (e.g. for the zh UI).
DEFAULT_STRINGS: Mapping[str, str] = {
    "input": "Input",
    "grad_cam": "Grad-CAM",
    "top_k": "Top-{k} predictions",
    "key": "Grad-CAM relevance",
    "low": "low",
    "high": "high",
}


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
        extra_panels: (title, RGB uint8 image) pairs shown after the overlay, e.g. the Grad-CAM
            with a switch applied and the difference map. Default: none.
    """

    title: str
    image: np.ndarray
    heat: np.ndarray | None
    top_labels: Sequence[str]
    top_probs: Sequence[float]
    caption_lines: Sequence[str]
    extra_panels: Sequence[tuple[str, np.ndarray]] = ()


def _fit_image(image: np.ndarray, box: int) -> Image.Image:
    """`image` scaled to fit a box×box square, aspect kept; tiny images stay blocky."""
    h, w = image.shape[:2]
    scale = box / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    if max(h, w) < 64 and scale > 1:
        resample = Image.Resampling.NEAREST  # a 7×7 map should look like 7×7 cells
    elif scale > 1:
        resample = Image.Resampling.BICUBIC
    else:
        resample = Image.Resampling.LANCZOS
    return Image.fromarray(image).resize(size, resample)


def _colour_bar(width: int, height: int) -> np.ndarray:
    """A horizontal strip of the heat colour map, low (left) to high (right): RGB uint8."""
    ramp = np.tile(np.linspace(0.0, 1.0, width, dtype=np.float32), (height, 1))
    return colorize(ramp, _HEAT_CMAP, 0.0, 1.0)


def _validate(
    content: CardContent, words: Mapping[str, str]
) -> tuple[list[tuple[str, np.ndarray]], list[str], np.ndarray]:
    """Check every field; return the panels, the top-k labels and their probabilities."""
    if not isinstance(content, CardContent):
        raise ValueError(f"content must be a CardContent, got {type(content).__name__}")
    image = _check_image(content.image, "content.image")
    panels = [(words["input"], image)]
    if content.heat is not None:
        heat = _as_map(content.heat, "content.heat")
        panels.append((words["grad_cam"], overlay(image, heat, alpha=_HEAT_ALPHA, cmap=_HEAT_CMAP)))
    for i, item in enumerate(content.extra_panels):
        if not (isinstance(item, tuple | list) and len(item) == 2):
            raise ValueError(f"extra_panels[{i}] must be a (title, image) pair")
        panels.append((str(item[0]), _check_image(item[1], f"extra_panels[{i}] image")))
    if isinstance(content.top_labels, str):
        raise ValueError("content.top_labels must be a sequence of strings, got a string")
    labels = [str(label) for label in content.top_labels]
    probs = _as_floats("content.top_probs", content.top_probs)
    if len(labels) != len(probs):
        raise ValueError(f"top_labels has {len(labels)} entries but top_probs has {len(probs)}")
    if np.isnan(probs).any():
        raise ValueError("content.top_probs must not contain NaN")
    if isinstance(content.caption_lines, str):
        raise ValueError("content.caption_lines must be a sequence of strings, got a string")
    return panels, labels, np.clip(probs, 0.0, 1.0)


def result_card(
    content: CardContent, width: int = 1200, *, strings: Mapping[str, str] | None = None
) -> np.ndarray:
    """Lay out one analysis as a single image: title, panels, top-k bars and caption.

    Layout: the title across the top; a row of square panels (the input, the Grad-CAM overlay
    with a low-to-high colour key, then `extra_panels`), each with a heading; the top-k bars
    beside the panels when there is room (otherwise under them); the caption lines last. All
    sizes scale with `width`, so the card reads the same at any export size.

    Args:
        content: What to show. Not modified.
        width: Card width in pixels (>= 480). Default: 1200, a slide-sized figure.
        strings: Replacements for the card's own words, by key of `DEFAULT_STRINGS` ("input",
            "grad_cam", "top_k" with a "{k}" placeholder, "key", "low", "high"). Default: English.

    Returns:
        New RGB uint8 array (H, width, 3) on a white background; H follows from the content.

    Raises:
        ValueError: If a field of `content` has the wrong shape, dtype or length, or `width`
            is not an integer >= 480, or `strings` has an unknown key.
    """
    if isinstance(width, bool) or not isinstance(width, int | np.integer) or width < 480:
        raise ValueError(f"width must be an integer >= 480, got {width!r}")
    width = int(width)
    words = dict(DEFAULT_STRINGS)
    for key, value in (strings or {}).items():
        if key not in DEFAULT_STRINGS:
            raise ValueError(f"unknown key in strings: {key!r}; known: {sorted(DEFAULT_STRINGS)}")
        words[key] = str(value)
    panels, labels, probs = _validate(content, words)
    captions = [str(line) for line in content.caption_lines]

    s = width / 1200  # every size below is designed at 1200 px and scaled
    margin, gap = round(36 * s), round(24 * s)
    title_font = _text.font(round(32 * s), bold=True, text=content.title)
    head_font = _text.font(round(20 * s), bold=True)
    body_size = round(18 * s)
    small_font = _text.font(round(15 * s))
    caption_font = _text.font(body_size)
    inner = width - 2 * margin

    # Panels are squares of at most 360 px (at 1200). With few panels the top-k bars go in a
    # column beside them; with many, the panels take the full width and the bars go below.
    n = len(panels)
    side = min(round(360 * s), (inner - (n - 1) * gap) // n)
    bars_min = round(380 * s)
    side_beside = min(side, (inner - n * gap - gap - bars_min) // n)
    beside = bool(labels) and side_beside >= round(260 * s)
    if beside:
        side = side_beside
    panels_w = n * side + (n - 1) * gap
    bars_pad = body_size  # _draw_bars pads by its font size; bleed it into our margins
    bars = None
    if labels:
        title = words["top_k"].replace("{k}", str(len(labels)))
        if beside:
            bars_w = min(inner - panels_w - 2 * gap, round(560 * s)) + 2 * bars_pad
            bars = _draw_bars(labels, probs, bars_w, 0, title, body_size, stacked=True)
        else:
            bars_w = min(inner, round(640 * s)) + 2 * bars_pad
            bars = _draw_bars(labels, probs, bars_w, 0, title, body_size)

    # Measure every block first, then draw on a canvas of the right height.
    title_lines = _text.wrap(title_font, content.title, inner) if content.title else []
    title_h = len(title_lines) * _text.line_height(title_font)
    head_h = _text.line_height(head_font) + round(8 * s)
    key_h = round(14 * s) + round(6 * s) + _text.line_height(small_font)
    has_key = content.heat is not None
    panels_h = head_h + side + (key_h + round(6 * s) if has_key else 0)
    caption_lines: list[tuple[str, _text.Font]] = []
    for line in captions:
        fnt = _text.font(body_size, text=line)
        caption_lines.extend((part, fnt) for part in _text.wrap(fnt, line, inner))
    caption_line_h = round(_text.line_height(caption_font) * 1.25)
    caption_h = len(caption_lines) * caption_line_h

    y = margin
    y_title = y
    y += title_h + (gap if title_lines else 0)
    y_panels = y
    if beside and bars is not None:
        y += max(panels_h, bars.shape[0] - 2 * bars_pad)
    else:
        y += panels_h
        y_bars = y + gap
        y += gap + bars.shape[0] - 2 * bars_pad if bars is not None else 0
    y_rule = y + gap
    y_caption = y_rule + round(14 * s)
    height = (y_caption + caption_h if caption_lines else y) + margin

    canvas = Image.new("RGB", (width, height), _text.WHITE)
    draw = ImageDraw.Draw(canvas)
    for i, line in enumerate(title_lines):
        draw.text(
            (margin, y_title + i * _text.line_height(title_font)),
            line,
            font=title_font,
            fill=_text.TEXT,
        )

    for i, (name, image) in enumerate(panels):
        x0 = margin + i * (side + gap)
        head = _text.font(head_font.size, bold=True, text=name)
        draw.text((x0, y_panels), _text.ellipsize(head, name, side), font=head, fill=_text.TEXT)
        fitted = _fit_image(image, side)
        ix = x0 + (side - fitted.width) // 2
        iy = y_panels + head_h + (side - fitted.height) // 2
        canvas.paste(fitted, (ix, iy))
        draw.rectangle((ix - 1, iy - 1, ix + fitted.width, iy + fitted.height), outline=_text.GRID)
        if has_key and i == 1:  # the overlay panel gets the colour key
            ky = y_panels + head_h + side + round(10 * s)
            kh = round(14 * s)
            canvas.paste(Image.fromarray(_colour_bar(side, kh)), (x0, ky))
            ty = ky + kh + round(4 * s)
            for tx, word, anchor in (
                (x0, words["low"], "la"),
                (x0 + side / 2, words["key"], "ma"),
                (x0 + side, words["high"], "ra"),
            ):
                key_font = _text.font(small_font.size, text=word)
                draw.text((tx, ty), word, font=key_font, fill=_text.MUTED, anchor=anchor)

    if bars is not None:
        if beside:
            bars_xy = (margin + panels_w + 2 * gap - bars_pad, y_panels - bars_pad)
        else:
            bars_xy = (margin - bars_pad, y_bars - bars_pad)
        canvas.paste(Image.fromarray(bars), bars_xy)

    if caption_lines:
        draw.line((margin, y_rule, width - margin, y_rule), fill=_text.GRID, width=max(1, round(s)))
        for i, (line, fnt) in enumerate(caption_lines):
            draw.text((margin, y_caption + i * caption_line_h), line, font=fnt, fill=_text.MUTED)
    return np.asarray(canvas).copy()


def compose_card(
    title: str,
    panels: Sequence[np.ndarray],
    caption_lines: Sequence[str],
    width: int = 1200,
    thumbnail: np.ndarray | None = None,
) -> np.ndarray:
    """Lay out a card: title, an optional thumbnail beside the first panel, panels, caption.

    Args:
        title: heading.
        panels: RGB uint8 charts, stacked top to bottom; wider ones are scaled down to fit.
        caption_lines: facts printed under a rule (wrapped to the width).
        width: card width in pixels (>= 480). Default: 1200.
        thumbnail: RGB uint8 image shown left of the first panel (e.g. what the model saw).

    Returns:
        New RGB uint8 (H, width, 3) on white.
    """
    if width < 480:
        raise ValueError(f"width must be >= 480, got {width}")
    margin, gap = 36, 20
    inner = width - 2 * margin
    title_font = _text.font(30, bold=True, text=title)
    title_lines = _text.wrap(title_font, title, inner)
    title_h = len(title_lines) * _text.line_height(title_font)
    thumb = None
    if thumbnail is not None:
        side = 220
        thumb = Image.fromarray(thumbnail).resize((side, side), Image.Resampling.LANCZOS)
    fitted = []
    for i, panel in enumerate(panels):
        room = inner - (thumb.width + gap if i == 0 and thumb is not None else 0)
        im = Image.fromarray(panel)
        if im.width > room:
            im = im.resize((room, round(im.height * room / im.width)), Image.Resampling.LANCZOS)
        fitted.append(im)
    caption: list[tuple[str, _text.Font]] = []
    for line in caption_lines:
        fnt = _text.font(17, text=line)
        caption.extend((part, fnt) for part in _text.wrap(fnt, line, inner))
    line_h = round(_text.line_height(_text.font(17)) * 1.3)
    rows_h = [
        max(im.height, thumb.height if i == 0 and thumb is not None else 0)
        for i, im in enumerate(fitted)
    ]
    height = margin + title_h + gap + sum(h + gap for h in rows_h) + 14 + len(caption) * line_h
    height += margin

    canvas = Image.new("RGB", (width, height), _text.WHITE)
    draw = ImageDraw.Draw(canvas)
    y = margin
    for line in title_lines:
        _text.draw_line(draw, (margin, y), line, title_font)
        y += _text.line_height(title_font)
    y += gap
    for i, im in enumerate(fitted):
        x = margin
        if i == 0 and thumb is not None:
            canvas.paste(thumb, (x, y))
            draw.rectangle((x - 1, y - 1, x + thumb.width, y + thumb.height), outline=_text.GRID)
            x += thumb.width + gap
        canvas.paste(im, (x, y))
        y += rows_h[i] + gap
    draw.line((margin, y, width - margin, y), fill=_text.GRID, width=1)
    y += 14
    for line, fnt in caption:
        _text.draw_line(draw, (margin, y), line, fnt, _text.MUTED)
        y += line_h
    return np.asarray(canvas).copy()
