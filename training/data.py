"""Training data of the embedded model: generation, statistics, augmentation and resizing."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from resnet_demo import shapes
from resnet_demo.models.embedded import INPUT_SIZE


def generate(
    first_seed: int, n: int, distractor_rate: float = 0.5, size: int = INPUT_SIZE
) -> tuple[np.ndarray, np.ndarray]:
    """Shapes `first_seed .. first_seed + n - 1` drawn at `size` px, generated 1000 at a time.

    Returns:
        (uint8 (n, size, size, 3) images, int64 (n,) labels).
    """
    images = np.empty((n, size, size, 3), dtype=np.uint8)
    labels = np.empty(n, dtype=np.int64)
    chunk = 1000
    for lo in tqdm(range(0, n, chunk), desc="generating shapes", unit="k images"):
        k = min(chunk, n - lo)
        images[lo : lo + k], labels[lo : lo + k], _, _ = shapes.generate_batch(
            first_seed + lo, k, size, distractor_rate
        )
    return images, labels


def channel_stats(images: np.ndarray, chunk: int = 2000) -> tuple[list[float], list[float]]:
    """Per-channel mean and standard deviation of uint8 `(N, H, W, 3)` images, in [0, 1]
    pixel units, rounded to 4 decimals (float64 sums, chunked to bound memory)."""
    total = np.zeros(3)
    total_sq = np.zeros(3)
    count = 0
    for start in range(0, len(images), chunk):
        part = images[start : start + chunk].reshape(-1, 3).astype(np.float64) / 255.0
        total += part.sum(axis=0)
        total_sq += (part * part).sum(axis=0)
        count += part.shape[0]
    mean = total / count
    std = np.sqrt(total_sq / count - mean * mean)
    return [round(float(v), 4) for v in mean], [round(float(v), 4) for v in std]


def augment(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Apply one random symmetry of the square (flips and transpose; 8 in all) to a batch.

    Every class is still itself after it, as shapes are drawn at any angle. One symmetry per
    batch rather than per image keeps it to a single copy (batches are shuffled anyway).

    Args:
        x: float32 `(N, 3, H, W)` with `H == W`.
        generator: Source of the random choice.

    Returns:
        A new float32 `(N, 3, H, W)` tensor in channels-last memory format.
    """
    code = int(torch.randint(8, (1,), generator=generator))
    if code & 1:
        x = x.flip(3)
    if code & 2:
        x = x.flip(2)
    if code & 4:
        x = x.transpose(2, 3)
    return x.contiguous(memory_format=torch.channels_last)


def resize_all(images: np.ndarray, size: int, chunk: int = 1000) -> np.ndarray:
    """Area-downsample uint8 `(N, H, W, 3)` images to `size` x `size` (each output pixel
    the mean of the input pixels it covers, rounded); returns a new uint8 array."""
    out = np.empty((len(images), size, size, 3), dtype=np.uint8)
    for lo in range(0, len(images), chunk):
        x = torch.from_numpy(images[lo : lo + chunk]).permute(0, 3, 1, 2).float()
        small = F.adaptive_avg_pool2d(x, size).round_().clamp_(0, 255).to(torch.uint8)
        out[lo : lo + chunk] = small.permute(0, 2, 3, 1).numpy()
    return out
