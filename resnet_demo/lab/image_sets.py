"""Image sets for the lesion curves: fresh labelled shapes, or the shipped example photos."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from resnet_demo import shapes
from resnet_demo.errors import InvalidValue, check_int
from resnet_demo.imaging import decode_image

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
    """Images to score a network on, and what they are (worded by `lab.text.image_set_name`).

    Attributes:
        images: RGB uint8 arrays (H, W, 3), sizes may differ.
        labels: int64 (N,) true classes, or None (score agreement with the intact top-1).
        kind: "shapes" (fresh labelled shapes) or "examples" (the shipped pictures).
        n: number of images.
        first_seed: first shape seed of a "shapes" set (seeds first_seed .. first_seed + n - 1);
            None for "examples".
    """

    images: tuple[np.ndarray, ...]
    labels: np.ndarray | None
    kind: str
    n: int
    first_seed: int | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON-ready description (no pixels): {"kind", "n", "first_seed"}."""
        return {"kind": self.kind, "n": self.n, "first_seed": self.first_seed}


def shapes_set(n: int = 64, seed: int = 0, size: int = 128) -> ImageSet:
    """`n` labelled shapes never used in training (seeds CURVES_SEED + seed * n …).

    Returns:
        An ImageSet of kind "shapes": n RGB uint8 (size, size, 3) images with int64 labels.

    Raises:
        InvalidValue: n is not an int >= 1 (a ValueError).
    """
    n = check_int(n, "n", 1)
    first = CURVES_SEED + seed * n
    images, labels, _, _ = shapes.generate_batch(first, n, size=size)
    return ImageSet(tuple(images), labels, SHAPES, n, first)


def example_set(directory: Path = EXAMPLES_DIR) -> ImageSet:
    """Every example picture in `directory` (sorted by name), decoded by `imaging`.

    Raises:
        InvalidValue: the folder holds no .jpg/.jpeg/.png file (key `lab_no_examples`).
    """
    paths = sorted(p for p in directory.glob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    if not paths:
        raise InvalidValue("lab_no_examples", folder=str(directory))
    images = tuple(decode_image(p) for p in paths)
    return ImageSet(images, None, EXAMPLES, len(images))


def load_image_set(kind: str, n: int = 64, seed: int = 0) -> ImageSet:
    """`shapes_set(n, seed)` for "shapes", `example_set()` for "examples".

    Raises:
        InvalidValue: unknown kind (key `lab_unknown_image_set`, naming the choices).
    """
    if kind == SHAPES:
        return shapes_set(n, seed)
    if kind == EXAMPLES:
        return example_set()
    raise InvalidValue("lab_unknown_image_set", kind=repr(kind), choices=", ".join(IMAGE_SETS))
