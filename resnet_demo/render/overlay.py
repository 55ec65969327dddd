"""Heat-map overlays: a [0, 1] map, coloured, blended over the image the model saw.

Stays numpy + Pillow, not matplotlib: overlays are redrawn on every switch flip and opacity
change, and a LUT lookup plus one blend is all they need.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from resnet_demo.render.colormaps import _as_map, colorize, colorize_diverging

SIGNED_CMAP = "RdBu_r"
"""Colour map of signed maps (gradcam-signed, grad-x-act): negative blue, 0 the neutral near-white
middle colour, positive red; the same colours as the difference maps."""


def _check_image(image: np.ndarray, name: str = "image") -> np.ndarray:
    """Validate an RGB uint8 image (H, W, 3) and return it as an ndarray (not copied)."""
    arr = np.asarray(image)
    if arr.dtype != np.uint8:
        raise ValueError(f"{name} must be uint8, got dtype {arr.dtype}")
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise ValueError(f"{name} must be RGB with shape (H, W, 3), got shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    return arr


def resize_map(map_: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize a scalar map with bilinear interpolation (Pillow, float32 "F" mode).

    Grad-CAM maps come out at the resolution of the chosen layer (7×7 for ResNet `layer4` at
    224 px); this brings them to image resolution. When shrinking, Pillow widens the filter to
    the scale factor, so the result is an area-weighted average rather than an aliased sample.

    Args:
        map_: Real-valued array (h, w). Not modified.
        size: Target (H, W) in pixels, both >= 1.

    Returns:
        New float32 array (H, W). A constant map stays constant; values stay within the input's
        range (bilinear weights are non-negative).

    Raises:
        ValueError: If `map_` is not a non-empty 2-D real array or `size` is not two positive
            integers.
    """
    values = _as_map(map_, "map_").astype(np.float32)
    try:
        height, width = (int(s) for s in size)
    except (TypeError, ValueError):
        raise ValueError(f"size must be (H, W) with two integers, got {size!r}") from None
    if height < 1 or width < 1 or tuple(size) != (height, width):
        raise ValueError(f"size must be (H, W) with two positive integers, got {size!r}")
    if values.shape == (height, width):
        return values
    resized = Image.fromarray(np.ascontiguousarray(values)).resize(
        (width, height), Image.Resampling.BILINEAR
    )
    out = np.asarray(resized, dtype=np.float32).copy()
    # Float rounding in the filter weights can step a hair outside the input range.
    lo, hi = np.nanmin(values), np.nanmax(values)
    if np.isfinite(lo) and np.isfinite(hi):
        np.clip(out, lo, hi, out=out)
    return out


def overlay(
    image: np.ndarray,
    heat: np.ndarray,
    alpha: float = 0.5,
    cmap: str | None = None,
    signed: bool = False,
) -> np.ndarray:
    """Blend a coloured heat map over an image: (1 - alpha) * image + alpha * colour(heat).

    The heat map is coloured on the fixed scale [0, 1] (values outside are clipped), so the
    same heat looks the same in every overlay and two overlays can be compared by eye. A signed
    map (`signed=True`) is coloured on the fixed scale [-1, 1] with a diverging colour map whose
    middle colour, that of 0, is near-white (`colorize_diverging`).

    Args:
        image: RGB uint8 (H, W, 3), e.g. exactly what the model saw. Not modified.
        heat: Real-valued map (h, w) in [0, 1] (in [-1, 1] when `signed`), e.g. a Grad-CAM
            map; resized bilinearly to (H, W) when its shape differs. Not modified. NaN is
            drawn as 0.
        alpha: Opacity of the heat colour in [0, 1]: 0 returns the image, 1 the coloured heat.
            Default: 0.5.
        cmap: A matplotlib colour-map name. Default: "inferno", or `SIGNED_CMAP` ("RdBu_r")
            when `signed`.
        signed: `heat` keeps its sign: draw it diverging, 0 in the middle colour. Default: False.

    Returns:
        New RGB uint8 array (H, W, 3).

    Raises:
        ValueError: If `image` is not RGB uint8 (H, W, 3), `heat` is not a non-empty 2-D real
            array, `alpha` is not a number in [0, 1], or `cmap` is unknown.
    """
    img = _check_image(image)
    if isinstance(alpha, bool) or not isinstance(alpha, int | float | np.integer | np.floating):
        raise ValueError(f"alpha must be a number in [0, 1], got {alpha!r}")
    alpha = float(alpha)
    if not 0.0 <= alpha <= 1.0:  # also rejects NaN
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    heat_map = _as_map(heat, "heat")
    if heat_map.shape != img.shape[:2]:
        heat_map = resize_map(heat_map, img.shape[:2])
    if signed:
        coloured = colorize_diverging(heat_map, limit=1.0, cmap=cmap or SIGNED_CMAP)
    else:
        coloured = colorize(heat_map, cmap or "inferno", vmin=0.0, vmax=1.0)
    blended = (1.0 - alpha) * img.astype(np.float32) + alpha * coloured.astype(np.float32)
    return np.clip(np.rint(blended), 0, 255).astype(np.uint8)
