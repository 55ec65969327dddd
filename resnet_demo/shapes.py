"""Procedural synthetic shapes: the data set the embedded model is trained and tested on.

Every image shows one large *labelled* shape of one of `len(CLASS_NAMES)` classes on a
cluttered background (colour gradients, stripes, checks, soft blobs, lines, pixel noise). In a
share of the images (`distractor_rate`) one to three smaller *distractor* shapes of other
classes sit around it, so the label is "the big shape", not "any shape in the picture": a model
that classifies correctly while looking at a distractor would be caught by a Grad-CAM check.

Sizes are chosen for the embedded ResNet's `layer4` grid: at 128 px its cells are 32 px, so
the labelled shape spans 48-80 px (two to three cells; its box always contains a cell centre,
where an upsampled Grad-CAM map peaks), while distractors span 14-26 px (under one cell).

Each sample is a pure function of its seed: `np.random.default_rng([seed, _STREAM])` drives
every random choice, so `generate_sample(s)` is the same image on every machine and run, and
`generate_batch(seed, n)[i] == generate_sample(seed + i)`. Seed namespaces:

- `0 .. TEST_SEED_START - 1`: training (the shipped model uses `0 .. n_train - 1`).
- `TEST_SEED_START` (10,000,000) and above: test and example images, never trained on.

Shapes are drawn with Pillow at 2x resolution and box-downsampled, so their edges are
antialiased; about 0.3-0.5 ms per 128 px image on one CPU core. `label_coverage(seed)` gives
the labelled shape's exact antialiased mask, the ground truth behind `bbox`.

`CLASS_NAMES` are the classes' ids (the embedded model's categories); their words for a
reader live in the text catalogue as `shape_<name>` (table `[shapes]`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
from PIL import Image, ImageDraw

from resnet_demo.text import t

CLASS_NAMES: tuple[str, ...] = (
    "circle",
    "square",
    "triangle",
    "star",
    "cross",
    "ring",
    "hexagon",
    "heart",
    "arrow",
    "crescent",
)
"""Class ids (English names), index = label; the embedded model's categories."""


def class_names_in(lang: str) -> tuple[str, ...]:
    """The class names in ``lang`` (a code of ``text.LANGUAGES``), same order as
    ``CLASS_NAMES``: the catalogue's ``shape_<name>`` words; ``CLASS_NAMES`` for English. A
    model card stores the Chinese ones as ``classes_zh``."""
    if lang == "en":
        return CLASS_NAMES
    return tuple(t(f"shape_{name}", lang) for name in CLASS_NAMES)


TEST_SEED_START: int = 10_000_000
"""First seed of the test namespace; training never uses seeds at or above it."""

_STREAM = 0x5EED_5A9E  # second word of every rng seed; change it to get a new data set version

# Geometry, in pixels at the 128 px reference size (scaled with `size`). "Radius" is the
# distance from the shape's centre to its farthest vertex.
_MAIN_RADIUS = (24.0, 40.0)
_DISTRACTOR_RADIUS = (7.0, 13.0)
_MAX_DISTRACTORS = 3
_FILLED_RATE = 0.65  # the rest are outlines
_SUPERSAMPLE = 2


@dataclass(frozen=True)
class ShapeSample:
    """One labelled synthetic image.

    Attributes:
        image: RGB uint8 array `(size, size, 3)`.
        label: Index of the labelled shape's class in `CLASS_NAMES`.
        bbox: `(x0, y0, x1, y1)` pixel box of the labelled shape, `x0`/`y0` inclusive,
            `x1`/`y1` exclusive (`image[y0:y1, x0:x1]` holds it).
        has_distractors: Whether smaller shapes of other classes are in the image.
    """

    image: np.ndarray
    label: int
    bbox: tuple[int, int, int, int]
    has_distractors: bool


# ---------------------------------------------------------------------------------------------
# Shape outlines: polygons around the origin, farthest point at distance 1 (before rotation).


def _regular(n: int, phase: float = -math.pi / 2) -> np.ndarray:
    angles = phase + 2.0 * math.pi * np.arange(n) / n
    return np.stack([np.cos(angles), np.sin(angles)], axis=1)


def _star(inner: float) -> np.ndarray:
    angles = -math.pi / 2 + math.pi * np.arange(10) / 5
    radii = np.where(np.arange(10) % 2 == 0, 1.0, inner)
    return np.stack([radii * np.cos(angles), radii * np.sin(angles)], axis=1)


def _cross(arm: float) -> np.ndarray:
    a = arm
    pts = [(-a, -1), (a, -1), (a, -a), (1, -a), (1, a), (a, a), (a, 1), (-a, 1), (-a, a)]
    pts += [(-1, a), (-1, -a), (-a, -a)]
    return np.asarray(pts, dtype=np.float64) / math.hypot(1.0, a)


def _heart() -> np.ndarray:
    t = np.linspace(0.0, 2.0 * math.pi, 48, endpoint=False)
    x = 16.0 * np.sin(t) ** 3
    y = -(13.0 * np.cos(t) - 5.0 * np.cos(2 * t) - 2.0 * np.cos(3 * t) - np.cos(4 * t))
    pts = np.stack([x, y + 2.5], axis=1)  # centre the bounding box vertically
    return pts / np.hypot(pts[:, 0], pts[:, 1]).max()


def _arrow(shaft: float, head: float) -> np.ndarray:
    pts = [(-1, -shaft), (0.15, -shaft), (0.15, -head), (1, 0), (0.15, head), (0.15, shaft)]
    pts += [(-1, shaft)]
    pts_arr = np.asarray(pts, dtype=np.float64)
    return pts_arr / np.hypot(pts_arr[:, 0], pts_arr[:, 1]).max()


def _crescent(inner_radius: float, offset: float) -> np.ndarray:
    """Unit disc minus the disc of radius `inner_radius` centred at `(offset, 0)`."""
    x = (1.0 - inner_radius**2 + offset**2) / (2.0 * offset)
    y = math.sqrt(max(1.0 - x * x, 0.0))
    theta0 = math.atan2(y, x)
    phi0 = math.atan2(y, x - offset)
    outer = np.linspace(theta0, 2.0 * math.pi - theta0, 40)
    inner = np.linspace(2.0 * math.pi - phi0, phi0, 32)
    pts = np.concatenate(
        [
            np.stack([np.cos(outer), np.sin(outer)], axis=1),
            np.stack([offset + inner_radius * np.cos(inner), inner_radius * np.sin(inner)], 1),
        ]
    )
    pts[:, 0] -= (pts[:, 0].min() + pts[:, 0].max()) / 2.0  # centre the bounding box
    return pts / np.hypot(pts[:, 0], pts[:, 1]).max()


@dataclass(frozen=True)
class _Outline:
    """Unit-radius geometry of one shape class.

    `kind` is `"polygon"` (`points`: float64 `(k, 2)`, farthest point at distance 1),
    `"disc"` (the unit circle) or `"annulus"` (unit circle minus a circle of radius
    `inner`).
    """

    kind: str
    points: np.ndarray | None = None
    inner: float = 0.0


def _outline(label: int, rng: np.random.Generator) -> _Outline:
    """Geometry of class `label`, with small per-sample variations drawn from `rng`."""
    name = CLASS_NAMES[label]
    if name == "circle":
        return _Outline("disc")
    if name == "ring":
        return _Outline("annulus", inner=float(rng.uniform(0.5, 0.64)))
    if name == "square":
        points = _regular(4, math.pi / 4)
    elif name == "triangle":
        points = _regular(3)
    elif name == "star":
        points = _star(rng.uniform(0.4, 0.5))
    elif name == "cross":
        points = _cross(rng.uniform(0.26, 0.36))
    elif name == "hexagon":
        points = _regular(6)
    elif name == "heart":
        points = _heart()
    elif name == "arrow":
        points = _arrow(rng.uniform(0.2, 0.28), rng.uniform(0.55, 0.68))
    elif name == "crescent":
        points = _crescent(rng.uniform(0.78, 0.88), rng.uniform(0.4, 0.55))
    else:
        raise ValueError(f"unknown class index {label}")
    return _Outline("polygon", points=points)


@dataclass(frozen=True)
class _Style:
    """How one shape is drawn, in pixels of the output image."""

    outline: _Outline
    radius: float
    angle: float
    filled: bool
    stroke: float
    half_w: float  # half the width of the rotated shape
    half_h: float  # half its height


def _style(label: int, radius: float, size: int, rng: np.random.Generator) -> _Style:
    outline = _outline(label, rng)
    angle = float(rng.uniform(0, 2 * math.pi))
    filled = bool(rng.random() < _FILLED_RATE)
    stroke = max(radius * float(rng.uniform(0.11, 0.16)), 1.5 * size / 128)
    if outline.points is None:
        half_w = half_h = radius
    else:
        pts = outline.points @ _rotation(angle)
        half_w = float(np.abs(pts[:, 0]).max()) * radius
        half_h = float(np.abs(pts[:, 1]).max()) * radius
    return _Style(outline, radius, angle, filled, stroke, half_w, half_h)


def _rotation(angle: float) -> np.ndarray:
    cos_a, sin_a = math.cos(angle), math.sin(angle)
    return np.array([[cos_a, sin_a], [-sin_a, cos_a]])


@dataclass(frozen=True)
class _Coverage:
    """Antialiased coverage of one drawn shape: float32 `alpha` in [0, 1] on the patch
    `image[y0 : y0 + h, x0 : x0 + w]`."""

    alpha: np.ndarray
    x0: int
    y0: int


def _rasterise(style: _Style, centre: tuple[float, float], size: int) -> _Coverage:
    """Draw one shape at 2x in its own small patch and box-downsample it to coverage."""
    s = _SUPERSAMPLE
    cx, cy = centre
    r = style.radius
    x0, y0 = max(math.floor(cx - r) - 2, 0), max(math.floor(cy - r) - 2, 0)
    x1, y1 = min(math.ceil(cx + r) + 2, size), min(math.ceil(cy + r) + 2, size)
    mask = Image.new("L", ((x1 - x0) * s, (y1 - y0) * s), 0)
    draw = ImageDraw.Draw(mask)
    ox, oy, rs = (cx - x0) * s, (cy - y0) * s, r * s
    width = max(round(style.stroke * s), 1)
    fill, line = (255, None) if style.filled else (None, 255)
    kind = style.outline.kind
    if kind in ("disc", "annulus"):
        draw.ellipse((ox - rs, oy - rs, ox + rs, oy + rs), fill=fill, outline=line, width=width)
        if kind == "annulus":
            ri = rs * style.outline.inner
            box = (ox - ri, oy - ri, ox + ri, oy + ri)
            draw.ellipse(box, fill=0 if style.filled else None, outline=line, width=width)
    else:
        assert style.outline.points is not None
        pts = style.outline.points @ _rotation(style.angle) * rs + np.array([ox, oy])
        xy = [(float(px), float(py)) for px, py in pts]
        draw.polygon(xy, fill=fill, outline=line, width=width)
    alpha = np.asarray(mask.reduce(s), dtype=np.float32) * np.float32(1.0 / 255.0)
    return _Coverage(alpha=alpha, x0=x0, y0=y0)


@cache
def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates, float32 `(size,)` each, in (-0.5, 0.5)."""
    coords = (np.arange(size, dtype=np.float32) + 0.5) / size - 0.5
    return coords, coords.copy()


@cache
def _noise_bank() -> tuple[np.ndarray, np.ndarray]:
    """Fixed noise fields that backgrounds crop from (one draw at first use, same on every
    machine): fine gaussian float32 `(3, 512, 512)` and smooth unit-variance `(512, 512)`."""
    rng = np.random.default_rng([_STREAM, 1])
    fine = rng.standard_normal((3, 512, 512), dtype=np.float32)
    coarse = rng.random((16, 16), dtype=np.float32)
    smooth_img = Image.fromarray(coarse, mode="F").resize((512, 512), Image.Resampling.BICUBIC)
    smooth = np.asarray(smooth_img, dtype=np.float32)
    smooth = (smooth - smooth.mean()) / (smooth.std() + 1e-6)
    fine.setflags(write=False)
    smooth.setflags(write=False)
    return fine, smooth


def _crop(field: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """A random `size` x `size` window of the last two axes of `field` (tiled if small)."""
    side = field.shape[-1]
    if size > side:
        reps = -(-size // side)
        field = np.tile(field, (1,) * (field.ndim - 2) + (reps, reps))
        side = field.shape[-1]
    y, x = (int(v) for v in rng.integers(0, side - size + 1, size=2))
    return field[..., y : y + size, x : x + size]


def _wave(xs: np.ndarray, ys: np.ndarray, fx: float, fy: float, phase: float) -> np.ndarray:
    """`sin(2*pi*(fx*x + fy*y) + phase)` on the grid, as a sum of two outer products
    (much cheaper than a sine per pixel)."""
    ax, ay = 2 * math.pi * fx * xs, 2 * math.pi * fy * ys + phase
    return np.outer(np.cos(ay), np.sin(ax)) + np.outer(np.sin(ay), np.cos(ax))


def _gradient(rng: np.random.Generator, size: int) -> np.ndarray:
    """A linear colour gradient, planar float32 `(3, size, size)` in [0, 255]."""
    xs, ys = _grid(size)
    c0 = rng.uniform(0, 255, (3, 1, 1)).astype(np.float32)
    c1 = rng.uniform(0, 255, (3, 1, 1)).astype(np.float32)
    theta = rng.uniform(0, 2 * math.pi)
    steep = rng.uniform(0.0, 1.6)
    t = np.add.outer(ys * (math.sin(theta) * steep), xs * (math.cos(theta) * steep)) + 0.5
    return c0 + (c1 - c0) * np.clip(t, 0.0, 1.0)


def _background(rng: np.random.Generator, size: int) -> np.ndarray:
    """Cluttered background, planar float32 `(3, size, size)` in roughly [0, 255]: a linear
    colour gradient plus, for three images in four, stripes, checks or soft blobs."""
    xs, ys = _grid(size)
    img = _gradient(rng, size)
    texture = int(rng.integers(0, 4))  # 0 none, 1 stripes, 2 checks, 3 soft blobs
    if texture in (1, 2):
        freq = 1.0 / rng.uniform(0.06, 0.3)
        phi = rng.uniform(0, 2 * math.pi)
        fx, fy = freq * math.cos(phi), freq * math.sin(phi)
        pattern = _wave(xs, ys, fx, fy, rng.uniform(0, 2 * math.pi))
        if texture == 2:
            pattern = np.sign(pattern * _wave(xs, ys, -fy, fx, rng.uniform(0, 2 * math.pi)))
        tint = rng.uniform(-1.0, 1.0, (3, 1, 1)).astype(np.float32) * rng.uniform(15, 45)
        img += pattern.astype(np.float32) * tint
    elif texture == 3:
        tint = rng.uniform(-1.0, 1.0, (3, 1, 1)).astype(np.float32) * rng.uniform(20, 50)
        img += _crop(_noise_bank()[1], size, rng) * tint
    return img


def _draw_lines(img: np.ndarray, rng: np.random.Generator, size: int) -> None:
    """Draw 2-8 thin random lines of random colours into planar `img`, in place."""
    mask = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(mask)
    n = int(rng.integers(2, 9))
    colours = rng.integers(0, 256, (n, 3)).astype(np.float32)
    for i in range(n):
        x0, y0, x1, y1 = (float(v) for v in rng.uniform(-0.1, 1.1, 4) * size)
        width = int(rng.integers(1, 3)) * max(size // 128, 1)
        draw.line((x0, y0, x1, y1), fill=i + 1, width=width)
    index = np.asarray(mask)
    hit = index > 0
    img[:, hit] = colours[index[hit] - 1].T


def _colour_against(
    rng: np.random.Generator, img: np.ndarray, cover: _Coverage, min_distance: float = 110.0
) -> np.ndarray:
    """A random colour, float32 `(3,)`, at least `min_distance` (Euclidean RGB) from the
    coverage-weighted mean of the background under the shape, so every shape is visible."""
    h, w = cover.alpha.shape
    patch = img[:, cover.y0 : cover.y0 + h, cover.x0 : cover.x0 + w]
    local = (patch * cover.alpha).sum(axis=(1, 2)) / max(float(cover.alpha.sum()), 1e-6)
    for _ in range(12):
        colour = rng.uniform(0, 255, 3)
        if np.linalg.norm(colour - local) >= min_distance:
            return colour.astype(np.float32)
    return np.where(local < 128, 235.0, 20.0).astype(np.float32)


def _blend(img: np.ndarray, cover: _Coverage, colour: np.ndarray) -> None:
    """Paint `colour` over planar `img` with the shape's coverage, in place."""
    h, w = cover.alpha.shape
    region = img[:, cover.y0 : cover.y0 + h, cover.x0 : cover.x0 + w]
    region += (colour[:, None, None] - region) * cover.alpha


def _place_clear(
    rng: np.random.Generator, style: _Style, keep_out: tuple[float, float, float, float], size: int
) -> tuple[float, float] | None:
    """A centre for a distractor outside `keep_out` (the labelled shape's box grown by half
    the distractor's radius), so a distractor may touch the labelled shape but never sits on
    it; `None` if 30 tries fail. Distractors may be cut by the image border a little."""
    x0, y0, x1, y1 = keep_out
    grow = 0.5 * style.radius
    for _ in range(30):
        cx = float(rng.uniform(0.6 * style.half_w, size - 0.6 * style.half_w))
        cy = float(rng.uniform(0.6 * style.half_h, size - 0.6 * style.half_h))
        if not (x0 - grow < cx < x1 + grow and y0 - grow < cy < y1 + grow):
            return cx, cy
    return None


def _render(
    seed: int, size: int, distractor_rate: float, clutter: bool = True
) -> tuple[np.ndarray, int, _Coverage, int]:
    """Draw one sample (without `clutter`: on a plain colour gradient, with no texture, lines or
    pixel noise; the shapes and their colours are drawn as with it).

    Returns:
        `(image, label, cover, n_distractors)`: RGB uint8 `(size, size, 3)`; the label;
        the labelled shape's coverage (it is drawn last, so nothing occludes it); how many
        distractors were drawn.
    """
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    if size < 32:
        raise ValueError(f"size must be >= 32, got {size}")
    if not 0.0 <= distractor_rate <= 1.0:
        raise ValueError(f"distractor_rate must be in [0, 1], got {distractor_rate}")
    rng = np.random.default_rng([seed, _STREAM])
    scale = size / 128.0
    n_classes = len(CLASS_NAMES)
    label = int(rng.integers(n_classes))
    wants_distractors = bool(rng.random() < distractor_rate)

    img = _background(rng, size) if clutter else _gradient(rng, size)
    if clutter and rng.random() < 0.5:
        _draw_lines(img, rng, size)

    # The labelled shape lies wholly inside the image; its geometry comes first so that the
    # distractors can keep clear of it.
    main = _style(label, float(rng.uniform(*_MAIN_RADIUS)) * scale, size, rng)
    cx = float(rng.uniform(main.half_w + 1.0, size - main.half_w - 1.0))
    cy = float(rng.uniform(main.half_h + 1.0, size - main.half_h - 1.0))
    keep_out = (cx - main.half_w, cy - main.half_h, cx + main.half_w, cy + main.half_h)

    n_drawn = 0
    if wants_distractors:
        others = [c for c in range(n_classes) if c != label]
        for _ in range(int(rng.integers(1, _MAX_DISTRACTORS + 1))):
            d_label = others[int(rng.integers(len(others)))]
            d_radius = float(rng.uniform(*_DISTRACTOR_RADIUS)) * scale
            d_style = _style(d_label, d_radius, size, rng)
            d_centre = _place_clear(rng, d_style, keep_out, size)
            if d_centre is None:
                continue
            cover = _rasterise(d_style, d_centre, size)
            _blend(img, cover, _colour_against(rng, img, cover))
            n_drawn += 1

    cover = _rasterise(main, (cx, cy), size)
    _blend(img, cover, _colour_against(rng, img, cover))

    if clutter and rng.random() < 0.7:
        img += _crop(_noise_bank()[0], size, rng) * np.float32(rng.uniform(3.0, 16.0))

    planes = np.clip(img + 0.5, 0, 255).astype(np.uint8)
    image = np.empty((size, size, 3), dtype=np.uint8)
    for c in range(3):  # faster than a transposing copy
        image[:, :, c] = planes[c]
    return image, label, cover, n_drawn


def _bbox(cover: _Coverage, threshold: float = 0.25) -> tuple[int, int, int, int]:
    """Inclusive-exclusive `(x0, y0, x1, y1)` image box of the pixels with coverage >=
    `threshold`."""
    inside = cover.alpha >= threshold
    ys = np.flatnonzero(inside.any(axis=1))
    xs = np.flatnonzero(inside.any(axis=0))
    return (
        cover.x0 + int(xs[0]),
        cover.y0 + int(ys[0]),
        cover.x0 + int(xs[-1]) + 1,
        cover.y0 + int(ys[-1]) + 1,
    )


def label_coverage(seed: int, size: int = 128, distractor_rate: float = 0.5) -> np.ndarray:
    """The labelled shape's exact mask in `generate_sample(seed, size, distractor_rate)`.

    This is the ground truth a sample's `bbox` is derived from (its pixels with coverage
    >= 0.25), and a pixel-exact mask that a Grad-CAM map can be scored against (for example the
    share of the map's mass inside the shape). It renders the sample again (0.3-0.5 ms), so
    `ShapeSample` does not carry it.

    Args:
        seed, size, distractor_rate: As for `generate_sample`.

    Returns:
        float32 `(size, size)`: the antialiased coverage of the labelled shape, in [0, 1]
        (0 outside it, 1 where it covers a whole pixel); distractors are not in it.

    Raises:
        ValueError: As `generate_sample`.
    """
    _, _, cover, _ = _render(seed, size, distractor_rate)
    alpha = np.zeros((size, size), dtype=np.float32)
    h, w = cover.alpha.shape
    alpha[cover.y0 : cover.y0 + h, cover.x0 : cover.x0 + w] = cover.alpha
    return alpha


def generate_sample(seed: int, size: int = 128, distractor_rate: float = 0.5) -> ShapeSample:
    """Generate one labelled image, a pure function of its arguments.

    Args:
        seed: Non-negative integer; training uses `0 .. TEST_SEED_START - 1`, tests and
            examples use `TEST_SEED_START` and above.
        size: Side of the square image in pixels, >= 32. Default: 128. Shape sizes scale with
            it.
        distractor_rate: Probability in [0, 1] that one to three smaller shapes of other
            classes are drawn around the labelled shape. Default: 0.5.

    Returns:
        A `ShapeSample`: RGB uint8 `(size, size, 3)` image, label, bbox of the labelled
        shape (its pixels with >= 25% coverage), whether distractors are present.

    Raises:
        ValueError: If `seed < 0`, `size < 32` or `distractor_rate` is outside [0, 1].
    """
    image, label, cover, n_drawn = _render(seed, size, distractor_rate)
    return ShapeSample(image=image, label=label, bbox=_bbox(cover), has_distractors=n_drawn > 0)


def generate_batch(
    seed: int, n: int, size: int = 128, distractor_rate: float = 0.5, clutter: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Generate `n` samples from the seeds `seed, seed + 1, ..., seed + n - 1`.

    Args:
        seed: First seed, >= 0 (see `generate_sample` for the namespaces).
        n: Number of samples, >= 0.
        size: Image side in pixels, >= 32. Default: 128.
        distractor_rate: Probability of distractors per image, in [0, 1]. Default: 0.5.
        clutter: Draw the cluttered background (textures, lines, pixel noise). Default: True;
            False gives the same shapes on a plain colour gradient (the degradation race).

    Returns:
        `(images, labels, bboxes, has_distractors)`: uint8 `(n, size, size, 3)`, int64
        `(n,)`, int32 `(n, 4)` as `(x0, y0, x1, y1)`, bool `(n,)`. Row `i` equals
        `generate_sample(seed + i, size, distractor_rate)`.

    Raises:
        ValueError: If `seed < 0`, `n < 0`, `size < 32` or `distractor_rate` is outside
            [0, 1].
    """
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if size < 32:
        raise ValueError(f"size must be >= 32, got {size}")
    images = np.empty((n, size, size, 3), dtype=np.uint8)
    labels = np.empty(n, dtype=np.int64)
    bboxes = np.empty((n, 4), dtype=np.int32)
    flags = np.empty(n, dtype=bool)
    for i in range(n):
        image, label, cover, n_drawn = _render(seed + i, size, distractor_rate, clutter)
        images[i] = image
        labels[i] = label
        bboxes[i] = _bbox(cover)
        flags[i] = n_drawn > 0
    return images, labels, bboxes, flags
