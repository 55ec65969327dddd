"""Image sets for the lesion curves: fresh labelled shapes, or the shipped example photos."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from resnet_demo import shapes
from resnet_demo.imaging import decode_image
from resnet_demo.lab.text import say

SHAPES = "shapes"
"""Freshly generated synthetic shapes with their labels (test seed namespace)."""
EXAMPLES = "examples"
"""The photos (and shape pictures) shipped in assets/examples; no labels."""
IMAGE_SETS: tuple[str, ...] = (SHAPES, EXAMPLES)

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "assets" / "examples"
CURVES_SEED: int = shapes.TEST_SEED_START + 4_000_000
"""First shape seed of the lesion-curve sets (test namespace: never trained on)."""


@dataclass(frozen=True, eq=False)
class ImageSet:
    """Images to score a network on.

    Attributes:
        images: RGB uint8 arrays (H, W, 3), sizes may differ.
        labels: int64 (N,) true classes, or None (score agreement with the intact top-1).
        description: e.g. "64 fresh shapes (seeds 14000000…)".
    """

    images: tuple[np.ndarray, ...]
    labels: np.ndarray | None
    description: str


def shapes_set(n: int = 64, seed: int = 0, size: int = 128) -> ImageSet:
    """`n` labelled shapes never used in training (seeds CURVES_SEED + seed * n …)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    first = CURVES_SEED + seed * n
    images, labels, _, _ = shapes.generate_batch(first, n, size=size)
    return ImageSet(tuple(images), labels, say("set_shapes", "en", n=n, first=first))


def example_set(directory: Path = EXAMPLES_DIR) -> ImageSet:
    """Every example picture in `directory` (sorted by name), decoded by `imaging`."""
    paths = sorted(p for p in directory.glob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    if not paths:
        raise ValueError(f"no example images in {directory}")
    images = tuple(decode_image(p) for p in paths)
    return ImageSet(images, None, say("set_examples", "en", n=len(paths)))


def load_image_set(kind: str, n: int = 64, seed: int = 0) -> ImageSet:
    """`shapes_set(n, seed)` for "shapes", `example_set()` for "examples".

    Raises:
        ValueError: unknown kind.
    """
    if kind == SHAPES:
        return shapes_set(n, seed)
    if kind == EXAMPLES:
        return example_set()
    raise ValueError(f"unknown image set {kind!r}; choose one of: {', '.join(IMAGE_SETS)}")
