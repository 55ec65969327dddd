"""Small labelled sets of synthetic shapes for the lab's training and gradient experiments.

Images come from `resnet_demo.shapes` (a pure function of the seed), so every experiment is
reproducible. Training sets use seeds below `shapes.TEST_SEED_START` (the training namespace);
sets the lab only measures on use seeds at or above it. Sets are cached: the race and the
gradient-flow panel ask for the same few sets again and again.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch

from resnet_demo import shapes
from resnet_demo.errors import check_int
from resnet_demo.models import preprocessing

LAB_TRAIN_SEED: int = 7_000_000
"""First shape seed of the lab's training sets (training namespace, far from the embedded
model's own training seeds 0 .. 999,999)."""
LAB_TEST_SEED: int = shapes.TEST_SEED_START + 3_000_000
"""First shape seed of the lab's measurement sets (test namespace)."""

# Per-channel statistics of the shapes, in [0, 1] pixel units (measured on 4096 images at 32 px,
# rounded); fixed so that every set is normalised the same way.
MEAN: tuple[float, float, float] = (0.50, 0.50, 0.50)
STD: tuple[float, float, float] = (0.245, 0.245, 0.245)


@dataclass(frozen=True, eq=False)
class ShapeSet:
    """Normalised images and labels, ready for a network. Treat the tensors as read-only.

    Attributes:
        x: float32 (N, 3, size, size), normalised with `MEAN`/`STD`.
        y: int64 (N,) class indices into `shapes.CLASS_NAMES`.
        seed: first shape seed.
        size: image side in pixels.
    """

    x: torch.Tensor
    y: torch.Tensor
    seed: int
    size: int

    def __len__(self) -> int:
        return int(self.y.shape[0])


def normalise(images: np.ndarray) -> torch.Tensor:
    """RGB uint8 (N, H, W, 3) -> float32 (N, 3, H, W) normalised with `MEAN`/`STD` (new tensor,
    channels-first memory; `models.preprocessing.normalise`)."""
    return preprocessing.normalise(images, MEAN, STD)


@functools.lru_cache(maxsize=8)
def shape_set(
    seed: int, n: int, size: int = 32, distractor_rate: float = 0.5, clutter: bool = True
) -> ShapeSet:
    """`n` labelled shapes images from seeds `seed .. seed + n - 1` (cached).

    Args:
        seed: first shape seed, >= 0.
        n: number of images, >= 1.
        size: image side in pixels, >= 32. Default: 32 (CIFAR-sized).
        distractor_rate: share of images with small distractor shapes, in [0, 1]. Default: 0.5.
        clutter: cluttered backgrounds (True) or plain colour gradients. Default: True.

    Returns:
        A `ShapeSet`. About 1-2 ms per image to generate on one CPU core.

    Raises:
        InvalidValue: n is not an int >= 1 (a ValueError).
    """
    check_int(n, "n", 1)
    images, labels, _, _ = shapes.generate_batch(
        seed, n, size=size, distractor_rate=distractor_rate, clutter=clutter
    )
    return ShapeSet(x=normalise(images), y=torch.from_numpy(labels), seed=seed, size=size)
