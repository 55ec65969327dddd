"""Feature-map grids: many small scalar maps (activations, channels) tiled into one image.

Stays numpy + Pillow, not matplotlib: the page redraws these grids on every switch flip, where
pasting coloured tiles into one array beats building a figure with an axes per tile.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence

import numpy as np
from matplotlib import font_manager
from PIL import Image, ImageDraw, ImageFont

from resnet_demo.render.colormaps import _as_map, colorize
from resnet_demo.render.figure import TEXT
from resnet_demo.render.fonts import LATIN_FAMILY, cjk_family

_NORMALIZE_MODES = ("each", "global", "none")


def _normalized(maps: list[np.ndarray], normalize: str) -> list[np.ndarray]:
    """Scale float64 maps to [0, 1] (NaN stays NaN) according to `normalize`."""
    if normalize == "none":
        return [np.clip(m, 0.0, 1.0) for m in maps]
    if normalize == "global":
        finite = [m[np.isfinite(m)] for m in maps]
        finite = [f for f in finite if f.size]
        lo = min((float(f.min()) for f in finite), default=0.0)
        hi = max((float(f.max()) for f in finite), default=0.0)
        bounds = [(lo, hi)] * len(maps)
    else:
        bounds = []
        for m in maps:
            f = m[np.isfinite(m)]
            bounds.append((float(f.min()), float(f.max())) if f.size else (0.0, 0.0))
    out = []
    for m, (lo, hi) in zip(maps, bounds, strict=True):
        # A constant map carries no contrast: draw it with the low colour.
        scaled = (m - lo) / (hi - lo) if hi > lo else np.where(np.isnan(m), np.nan, 0.0)
        out.append(np.clip(scaled, 0.0, 1.0))
    return out


def upscale_nearest(map_: np.ndarray, factor_or_size: int | tuple[int, int]) -> np.ndarray:
    """Enlarge a map or picture by repeating its cells (nearest neighbour), no smoothing.

    A 7×7 Grad-CAM or a 32-px shape shown large should look like 7×7 cells, honestly.

    Args:
        map_: Array (h, w) or (h, w, C) of any dtype. Not modified.
        factor_or_size: A whole factor >= 1 (each cell becomes factor×factor), or the target
            (H, W) in pixels, each >= 1 (cell edges land where Pillow's NEAREST puts them).

    Returns:
        New array (H, W) or (H, W, C), same dtype.

    Raises:
        ValueError: If `map_` has no pixels or fewer than 2 dimensions, or the factor or size
            is not positive whole numbers.
    """
    arr = np.asarray(map_)
    if arr.ndim not in (2, 3) or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"map must be a non-empty (h, w) or (h, w, C) array, got {arr.shape}")
    if isinstance(factor_or_size, int | np.integer) and not isinstance(factor_or_size, bool):
        if factor_or_size < 1:
            raise ValueError(f"factor must be >= 1, got {factor_or_size}")
        return np.repeat(np.repeat(arr, factor_or_size, axis=0), factor_or_size, axis=1)
    size = tuple(factor_or_size) if isinstance(factor_or_size, tuple | list) else ()
    if len(size) != 2 or not all(
        isinstance(v, int | np.integer) and not isinstance(v, bool) and v >= 1 for v in size
    ):
        raise ValueError(f"size must be two positive integers (H, W), got {factor_or_size!r}")
    h, w = arr.shape[:2]
    rows = ((np.arange(size[0]) + 0.5) * h / size[0]).astype(np.intp)
    cols = ((np.arange(size[1]) + 0.5) * w / size[1]).astype(np.intp)
    return arr[np.minimum(rows, h - 1)][:, np.minimum(cols, w - 1)]


_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")


@functools.lru_cache(maxsize=16)
def _font(size: int, cjk: bool) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow font of the tile captions: the chart fonts, found by matplotlib's font manager."""
    family = (cjk_family() if cjk else None) or LATIN_FAMILY
    path = font_manager.findfont(font_manager.FontProperties(family=family))
    try:
        return ImageFont.truetype(path, size)
    except OSError:
        return ImageFont.load_default(size=size)


def _ellipsize(fnt: ImageFont.FreeTypeFont | ImageFont.ImageFont, text: str, room: int) -> str:
    """`text` cut with "…" so that it fits in `room` pixels."""
    if fnt.getlength(text) <= room:
        return text
    while text and fnt.getlength(text + "…") > room:
        text = text[:-1]
    return text.rstrip() + "…" if text else ""


def _fit(shape: tuple[int, int], box: int) -> tuple[int, int]:
    """(H, W) of a `shape` scaled to fit a box×box square, keeping the aspect ratio."""
    h, w = shape
    scale = box / max(h, w)
    return max(1, round(h * scale)), max(1, round(w * scale))


def _tile_image(map01: np.ndarray, tile: int, cmap: str) -> np.ndarray:
    """A map in [0, 1] resized to fit tile×tile and coloured: RGB uint8 (th, tw, 3).

    Maps smaller than the tile are enlarged with nearest-neighbour, so each activation shows as a
    sharp block (a 7×7 map is honestly 7×7); larger maps are shrunk bilinearly (area-averaged).
    """
    th, tw = _fit(map01.shape, tile)
    if (th, tw) == map01.shape:
        return colorize(map01, cmap, 0.0, 1.0)
    if th >= map01.shape[0] and tw >= map01.shape[1]:
        return upscale_nearest(colorize(map01, cmap, 0.0, 1.0), (th, tw))
    filled = np.nan_to_num(map01, nan=0.0).astype(np.float32)
    small = Image.fromarray(filled).resize((tw, th), Image.Resampling.BILINEAR)
    return colorize(np.asarray(small), cmap, 0.0, 1.0)


def feature_grid(
    maps: Sequence[np.ndarray],
    titles: Sequence[str] | None = None,
    cols: int | None = None,
    tile: int = 96,
    cmap: str = "viridis",
    normalize: str = "each",
) -> np.ndarray:
    """Tile scalar maps of any sizes into one labelled grid image.

    Args:
        maps: Non-empty sequence of real-valued arrays (h_i, w_i); sizes may differ. Not
            modified. NaN is drawn with the lowest colour.
        titles: One caption per map, drawn centred under its tile (shortened with "…" when too
            wide), or None for no captions. Default: None.
        cols: Tiles per row. Default: ceil(sqrt(len(maps))), a near-square grid.
        tile: Side of each tile's square box in pixels (>= 8). Each map is scaled to fit the box
            with its aspect ratio kept: square maps fill it. Default: 96.
        cmap: A matplotlib colour-map name. Default: "viridis".
        normalize: How values become colours. "each": every map stretched to its own min..max
            (shows the pattern inside each map; magnitudes are not comparable between tiles).
            "global": one min..max over all maps (magnitudes comparable). "none": maps are
            taken as already in [0, 1] and clipped. Default: "each".

    Returns:
        New RGB uint8 array (H, W, 3) on a white background with padding between tiles.

    Raises:
        ValueError: If `maps` is empty or holds a non-2-D, empty or non-real array, `titles`
            has the wrong length, `cols` or `tile` is out of range, `normalize` is not one of
            "each", "global", "none", or `cmap` is unknown.
    """
    if isinstance(maps, np.ndarray) and maps.ndim == 2:
        raise ValueError("maps must be a sequence of 2-D arrays, got a single 2-D array")
    arrays = [_as_map(m, f"maps[{i}]") for i, m in enumerate(maps)]
    if not arrays:
        raise ValueError("maps must hold at least one map")
    if titles is not None:
        if isinstance(titles, str):
            raise ValueError("titles must be a sequence of strings, got a single string")
        titles = [str(t) for t in titles]
        if len(titles) != len(arrays):
            raise ValueError(f"titles has {len(titles)} entries for {len(arrays)} maps")
    if normalize not in _NORMALIZE_MODES:
        raise ValueError(f"normalize must be one of {_NORMALIZE_MODES}, got {normalize!r}")
    if isinstance(tile, bool) or not isinstance(tile, int | np.integer) or tile < 8:
        raise ValueError(f"tile must be an integer >= 8, got {tile!r}")
    n = len(arrays)
    if cols is None:
        cols = math.ceil(math.sqrt(n))
    if isinstance(cols, bool) or not isinstance(cols, int | np.integer) or cols < 1:
        raise ValueError(f"cols must be a positive integer, got {cols!r}")
    tile, cols = int(tile), min(int(cols), n)
    rows = math.ceil(n / cols)

    pad = max(4, tile // 12)
    size = max(10, min(16, tile // 7))
    title_h = round(size * 1.2) + pad // 2 if titles is not None else 0
    cell_w, cell_h = tile + pad, tile + title_h + pad
    canvas = Image.new("RGB", (cols * cell_w + pad, rows * cell_h + pad), "white")

    for i, map01 in enumerate(_normalized(arrays, normalize)):
        row, col = divmod(i, cols)
        x0, y0 = pad + col * cell_w, pad + row * cell_h
        rgb = _tile_image(map01, tile, cmap)
        th, tw = rgb.shape[:2]
        canvas.paste(Image.fromarray(rgb), (x0 + (tile - tw) // 2, y0 + (tile - th) // 2))
        if titles is not None:
            caption = _caption(titles[i], size, tile, pad, title_h + pad - pad // 3)
            canvas.paste(caption, (x0 - pad // 2, y0 + tile + pad // 3))
    return np.asarray(canvas).copy()


@functools.lru_cache(maxsize=1024)
def _caption(title: str, size: int, tile: int, pad: int, height: int) -> Image.Image:
    """A tile's caption on white, (tile + pad) wide, the text centred under the tile and cut
    with "…" to fit. Cached: every view draws the same block names again, and Pillow's text
    rendering was a third of a grid's cost."""
    fnt = _font(size, bool(_CJK.search(title)))
    label = _ellipsize(fnt, title, tile + pad - 2)
    box = Image.new("RGB", (tile + pad, height), "white")
    ImageDraw.Draw(box).text((tile / 2 + pad // 2, 0), label, font=fnt, fill=TEXT, anchor="ma")
    return box
