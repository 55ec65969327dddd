"""Colour maps: float maps to RGB images through cached 8-bit lookup tables.

A lookup table (LUT) is sampled once per colour-map name from matplotlib's registry
(`matplotlib.colormaps[name]`) and cached, so colourising a map is one integer index into a small
(N, 3) uint8 array: no matplotlib figure machinery, no per-call matplotlib work. It stays
numpy because every switch flip colours several maps, on the page's hot path.
"""

from __future__ import annotations

import functools

import numpy as np

PALETTES: tuple[str, ...] = ("inferno", "viridis", "cividis")
"""The heat maps' colour maps a user can pick, the default first. All three are perceptually
uniform and keep their order in grey; cividis was made for colour-vision deficiency (Nuñez,
Anderton & Renslow 2018, PLOS ONE 13(7): e0199239). Signed maps keep their diverging map."""

_LUT_SIZE = 256
# Odd size for diverging maps so that 0 lands exactly on the colour map's midpoint (cmap(0.5)).
_DIVERGING_LUT_SIZE = 257


@functools.lru_cache(maxsize=32)
def _lut(cmap: str, n: int = _LUT_SIZE) -> np.ndarray:
    """Sample matplotlib's colour map `cmap` at `n` evenly spaced points.

    Args:
        cmap: A matplotlib colour-map name, e.g. "inferno", "viridis", "RdBu_r".
        n: Number of entries, at least 2.

    Returns:
        Read-only uint8 array (n, 3): entry 0 is cmap(0.0), entry n-1 is cmap(1.0).

    Raises:
        ValueError: If `cmap` is not a registered matplotlib colour map.
    """
    import matplotlib  # imported lazily: only the colour registry is used, never pyplot

    try:
        colormap = matplotlib.colormaps[cmap]
    except (KeyError, TypeError):
        raise ValueError(f"unknown colour map {cmap!r}") from None
    rgba = colormap(np.linspace(0.0, 1.0, n))
    table = np.rint(rgba[:, :3] * 255.0).astype(np.uint8)
    table.flags.writeable = False
    return table


def lut(cmap: str = "inferno") -> np.ndarray:
    """The 256-entry lookup table `colorize` uses for `cmap`.

    Args:
        cmap: A matplotlib colour-map name.

    Returns:
        New uint8 array (256, 3); row 0 is the colour of the low end, row 255 of the high end.
    """
    return _lut(cmap).copy()


def _as_map(map_: np.ndarray, name: str) -> np.ndarray:
    """Validate a 2-D real-valued map and return it as float64 (a new array)."""
    arr = np.asarray(map_)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (H, W), got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_) or np.iscomplexobj(arr):
        raise ValueError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    return arr.astype(np.float64)


def colorize(
    map_: np.ndarray,
    cmap: str = "inferno",
    vmin: float | None = None,
    vmax: float | None = None,
) -> np.ndarray:
    """Colour a scalar map with a matplotlib colour map.

    Values are scaled linearly from [vmin, vmax] to [0, 1] and clipped, so `vmin` gets the
    colour map's first colour and `vmax` its last. NaN gets the first colour; +inf and -inf are
    clipped like any value outside the range.

    Args:
        map_: Real-valued array (H, W), any numeric dtype. Not modified.
        cmap: A matplotlib colour-map name. Default: "inferno".
        vmin: Value drawn with the lowest colour. Default: 0.0, or the smallest finite value of
            `map_` if that is below 0 (maps already in [0, 1] keep their absolute scale).
        vmax: Value drawn with the highest colour. Default: 1.0, or the largest finite value of
            `map_` if that is above 1. If vmax == vmin every value maps to the lowest colour,
            except values above vmax, which map to the highest.

    Returns:
        New RGB uint8 array (H, W, 3).

    Raises:
        ValueError: If `map_` is not a non-empty 2-D real array, `cmap` is unknown, a bound is
            not finite, or vmax < vmin.
    """
    values = _as_map(map_, "map_")
    finite = values[np.isfinite(values)]
    if vmin is None:
        vmin = min(0.0, float(finite.min())) if finite.size else 0.0
    if vmax is None:
        vmax = max(1.0, float(finite.max())) if finite.size else 1.0
    vmin, vmax = float(vmin), float(vmax)
    if not (np.isfinite(vmin) and np.isfinite(vmax)):
        raise ValueError(f"vmin and vmax must be finite, got vmin={vmin}, vmax={vmax}")
    if vmax < vmin:
        raise ValueError(f"vmax must be >= vmin, got vmin={vmin}, vmax={vmax}")
    table = _lut(cmap)
    # A zero-width range draws values at or below it low and values above it high.
    span = vmax - vmin
    scaled = (values - vmin) / span if span > 0 else np.where(values > vmax, 1.0, 0.0)
    scaled = np.nan_to_num(scaled, nan=0.0, posinf=1.0, neginf=0.0)
    index = np.rint(np.clip(scaled, 0.0, 1.0) * (len(table) - 1)).astype(np.intp)
    return table[index]


def colorize_diverging(
    diff: np.ndarray,
    limit: float | None = None,
    cmap: str = "RdBu_r",
) -> np.ndarray:
    """Colour a signed map so that 0 is the neutral middle colour and the sign picks the side.

    Used for differences such as Grad-CAM(switched) - Grad-CAM(intact): with the default
    "RdBu_r", positive values are red, negative values blue, zero a light neutral grey. The
    scale is symmetric, [-limit, limit], so equal magnitudes get equally strong colours.

    Args:
        diff: Real-valued array (H, W). Not modified. NaN is drawn as 0 (neutral).
        limit: Magnitude drawn with the strongest colours; larger magnitudes are clipped.
            Default: the largest finite |diff|. A limit of 0 (e.g. an all-zero diff) draws the
            whole map in the neutral colour.
        cmap: A matplotlib diverging colour-map name. Default: "RdBu_r".

    Returns:
        New RGB uint8 array (H, W, 3).

    Raises:
        ValueError: If `diff` is not a non-empty 2-D real array, `cmap` is unknown, or `limit`
            is negative or not finite.
    """
    values = _as_map(diff, "diff")
    if limit is None:
        finite = np.abs(values[np.isfinite(values)])
        limit = float(finite.max()) if finite.size else 0.0
    limit = float(limit)
    if not np.isfinite(limit) or limit < 0:
        raise ValueError(f"limit must be a finite number >= 0, got {limit}")
    table = _lut(cmap, _DIVERGING_LUT_SIZE)
    if limit > 0:
        scaled = 0.5 + 0.5 * np.clip(values / limit, -1.0, 1.0)
    else:
        scaled = np.full_like(values, 0.5)
    scaled = np.nan_to_num(scaled, nan=0.5, posinf=1.0, neginf=0.0)
    index = np.rint(np.clip(scaled, 0.0, 1.0) * (len(table) - 1)).astype(np.intp)
    return table[index]
