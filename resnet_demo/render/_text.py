"""Fonts, colours and text layout shared by the render modules.

Text is drawn with DejaVu Sans, which matplotlib bundles in every install, so figures look the
same on every machine. If that file is missing, Pillow's own scalable default font is used.
DejaVu Sans has no CJK glyphs: text with Chinese characters is drawn with a system CJK font when
one of the well-known ones is installed, otherwise those characters show as boxes.
"""

from __future__ import annotations

import functools
import os
import re

from PIL import ImageDraw, ImageFont

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

# Palette (RGB). Dark grey text on white reads well on a projector.
WHITE = (255, 255, 255)
TEXT = (34, 34, 34)
MUTED = (110, 110, 110)
GRID = (225, 225, 225)
AXIS = (120, 120, 120)
BAR = (76, 120, 168)  # steel blue
BAR_HIGHLIGHT = (228, 107, 36)  # orange
BAR_TRACK = (238, 240, 243)
# Tableau 10: distinct line colours for charts.
SERIES = (
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
)

_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")
# (regular, bold, face index) of common CJK fonts; index 2 of Noto Sans CJK is Simplified Chinese.
_CJK_FONTS = (
    (
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
        2,
    ),
    (
        "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc",
        2,
    ),
    (
        "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Bold.ttc",
        2,
    ),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "", 0),
    ("C:/Windows/Fonts/msyh.ttc", "C:/Windows/Fonts/msyhbd.ttc", 0),
)


def _dejavu_path(bold: bool) -> str:
    """Path of matplotlib's bundled DejaVu Sans (regular or bold); may not exist."""
    import matplotlib  # only for its data path; pyplot is never imported

    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return os.path.join(matplotlib.get_data_path(), "fonts", "ttf", name)


@functools.cache
def _cjk_font() -> tuple[str, str, int] | None:
    """(regular path, bold path or "", face index) of the first installed CJK font, or None."""
    return next((entry for entry in _CJK_FONTS if os.path.isfile(entry[0])), None)


@functools.lru_cache(maxsize=64)
def _load_font(size: int, bold: bool, cjk: bool) -> Font:
    candidates: list[tuple[str, int]] = []
    cjk_font = _cjk_font() if cjk else None
    if cjk_font is not None:
        regular, bold_path, index = cjk_font
        if bold and os.path.isfile(bold_path):
            candidates.append((bold_path, index))
        candidates.append((regular, index))
    candidates.append((_dejavu_path(bold), 0))
    for path, index in candidates:
        try:
            return ImageFont.truetype(path, size, index=index)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def font(size: int, bold: bool = False, text: str = "") -> Font:
    """A cached font of `size` pixels (em height).

    Args:
        size: Font size in pixels, at least 1.
        bold: Bold face when available.
        text: The text to draw; if it holds CJK characters a CJK font is preferred.

    Returns:
        A Pillow font object.
    """
    cjk = bool(_CJK.search(text)) and _cjk_font() is not None
    return _load_font(max(1, int(size)), bold, cjk)


def text_width(fnt: Font, text: str) -> int:
    """Advance width of `text` in pixels."""
    return round(fnt.getlength(text))


def line_height(fnt: Font) -> int:
    """Height of one line of text (ascent + descent) in pixels."""
    ascent, descent = fnt.getmetrics() if hasattr(fnt, "getmetrics") else (fnt.size, 0)
    return int(ascent + descent)


def ellipsize(fnt: Font, text: str, max_width: int) -> str:
    """`text` shortened with a trailing ellipsis so it fits in `max_width` pixels."""
    if text_width(fnt, text) <= max_width:
        return text
    lo, hi = 0, len(text)
    while lo < hi:  # longest prefix that fits together with the ellipsis
        mid = (lo + hi + 1) // 2
        if text_width(fnt, text[:mid].rstrip() + "…") <= max_width:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + "…" if lo > 0 else ""


def wrap(fnt: Font, text: str, max_width: int) -> list[str]:
    """Greedy word wrap of `text` into lines no wider than `max_width` pixels.

    Words longer than a line are cut with an ellipsis rather than overflowing.
    """
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if text_width(fnt, candidate) <= max_width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = ellipsize(fnt, word, max_width)
    if current or not lines:
        lines.append(current)
    return lines


def draw_text(
    draw: ImageDraw.ImageDraw,
    xy: tuple[float, float],
    text: str,
    fnt: Font,
    fill: tuple[int, int, int] = TEXT,
    anchor: str = "la",
) -> None:
    """Draw `text` at `xy` with a Pillow anchor (default: left, ascender)."""
    draw.text(xy, text, font=fnt, fill=fill, anchor=anchor)
