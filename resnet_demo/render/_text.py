"""Fonts, colours and text layout shared by the render modules.

Text is drawn with DejaVu Sans, which matplotlib bundles in every install, so figures look the
same on every machine. If that file is missing, Pillow's own scalable default font is used.
DejaVu Sans has no CJK glyphs: text with Chinese characters is drawn with a system CJK font when
one of the well-known ones is installed, otherwise those characters show as boxes. `draw_line`
draws any symbol the CJK font lacks (✗, for one) with DejaVu Sans, and `wrap` breaks Chinese
text between characters, since it has no spaces.
"""

from __future__ import annotations

import functools
import os
import re

from PIL import Image, ImageDraw, ImageFont

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


_CJK_CLASS = _CJK.pattern[1:-1]  # the character ranges, without the brackets
_TOKENS = re.compile(rf"\s+|[{_CJK_CLASS}]|[^\s{_CJK_CLASS}]+")
_NO_LINE_START = set("，。、；：！？）」』》〉】…·,.;:!?)")
"""Punctuation that stays at the end of a line rather than starting the next one."""


def wrap(fnt: Font, text: str, max_width: int) -> list[str]:
    """Greedy wrap of `text` into lines no wider than `max_width` pixels.

    Latin text breaks at spaces (runs of spaces become one); Chinese text, which has none,
    breaks between any two characters, except before closing punctuation. Words longer than a
    line are cut with an ellipsis rather than overflowing.
    """
    lines: list[str] = []
    current = ""
    for token in _TOKENS.findall(text):
        if token.isspace():
            current += " " if current else ""
            continue
        candidate = current + token
        if text_width(fnt, candidate) <= max_width or (current and token in _NO_LINE_START):
            current = candidate
            continue
        if current.strip():
            lines.append(current.rstrip())
        current = ellipsize(fnt, token, max_width)
    if current.strip() or not lines:
        lines.append(current.rstrip())
    return lines


@functools.lru_cache(maxsize=4096)
def _has_glyph(fnt: Font, char: str) -> bool:
    """Whether `fnt` draws `char` as itself rather than as its "missing glyph" box."""

    def pixels(c: str) -> bytes:
        im = Image.new("L", (2 * fnt.size, 2 * fnt.size))
        ImageDraw.Draw(im).text((fnt.size // 2, fnt.size // 2), c, font=fnt, fill=255)
        return im.tobytes()

    return char.isspace() or pixels(char) != pixels("\U000f0000")  # a private-use code point


def draw_line(
    draw: ImageDraw.ImageDraw,
    xy: tuple[float, float],
    text: str,
    fnt: Font,
    fill: tuple[int, int, int] = TEXT,
) -> None:
    """Draw one line at `xy` (left, top), with DejaVu Sans for any character `fnt` lacks.

    Only a CJK font can lack a character here (DejaVu Sans is the fallback of everything
    else), so Latin text is drawn in one piece, as `draw.text` would.
    """
    size = getattr(fnt, "size", 0)
    if not size or not _CJK.search(text):
        draw.text(xy, text, font=fnt, fill=fill)
        return
    fallback = _load_font(size, "Bold" in (fnt.getname()[1] or ""), False)
    x, baseline = xy[0], xy[1] + fnt.getmetrics()[0]
    runs: list[tuple[str, Font]] = []
    for char in text:
        use = fnt if _has_glyph(fnt, char) else fallback
        if runs and runs[-1][1] is use:
            runs[-1] = (runs[-1][0] + char, use)
        else:
            runs.append((char, use))
    for run, use in runs:
        draw.text((x, baseline), run, font=use, fill=fill, anchor="ls")
        x += use.getlength(run)


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
