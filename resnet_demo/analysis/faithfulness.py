"""Faithfulness of a heat map: deletion and insertion curves, and the pointing game.

Deletion and insertion (Petsiuk, Das & Saenko 2018, "RISE: Randomized Input Sampling for
Explanation of Black-box Models", §4.1): the pixels of the network's input are removed (or
added) in order of decreasing attribution, and the target class's softmax probability is read
after each step. Removed pixels become black (pixel value 0); insertion starts from a blurred
copy of the image and puts the original pixels back. A map that finds the evidence the network
uses makes the deletion curve fall fast (small area) and the insertion curve rise fast (large
area). The probability is that of the *switched* network, the same one the map explains.

Pointing game (Zhang et al. 2016/2018, "Top-down Neural Attention by Excitation Backprop",
§5.1): a hit when the map's maximum lies inside the labelled object (here: the generated
shape's box or mask, see `resnet_demo.shapes`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torchvision.transforms.v2.functional as F
from torchvision.transforms import InterpolationMode

import resnet_demo.analysis.methods as methods
from resnet_demo.errors import DemoError, check_int
from resnet_demo.models import LoadedModel
from resnet_demo.models.preprocessing import Preprocessing
from resnet_demo.switches import SwitchedResNet

STEPS = 32
"""Equal steps from no pixel to every pixel: the curves have `STEPS + 1` points."""
MAX_STEPS = 1024
FORWARD_BATCH = methods.MAX_BATCH
"""Images per forward pass of the curves (no autograd graph is kept: memory stays at a few
feature maps per image)."""


class FaithfulnessError(DemoError):
    """A map of the wrong shape, bad step count or a shape of the wrong form (catalogue keys in
    `[errors_engine]`)."""


@dataclass(frozen=True)
class Faithfulness:
    """Deletion and insertion curves of one map.

    Attributes:
        target: the class whose probability is read.
        fractions: share of the input's pixels removed (deletion) or inserted (insertion), 0..1.
        deletion: target probability with the top `fractions` pixels set to black.
        insertion: target probability of the blurred image with the top `fractions` pixels put
            back to their original values.
        deletion_auc: trapezoid area under `deletion` over `fractions` (lower: more faithful).
        insertion_auc: trapezoid area under `insertion` over `fractions` (higher: more faithful).
    """

    target: int
    fractions: tuple[float, ...]
    deletion: tuple[float, ...]
    insertion: tuple[float, ...]
    deletion_auc: float
    insertion_auc: float


def auc(fractions: Sequence[float], values: Sequence[float]) -> float:
    """Trapezoid area under `values` over `fractions` (both the same length >= 2)."""
    x = np.asarray(fractions, dtype=np.float64)
    y = np.asarray(values, dtype=np.float64)
    if x.ndim != 1 or x.shape != y.shape or x.size < 2:
        raise FaithfulnessError("faith_bad_curve", got=f"{x.shape} / {y.shape}")
    return float(np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2))


def _as_map(cam: object, size: int) -> torch.Tensor:
    array = np.asarray(cam.detach().cpu() if isinstance(cam, torch.Tensor) else cam)
    if array.shape != (size, size) or not np.issubdtype(array.dtype, np.number):
        raise FaithfulnessError("faith_map_shape", got=f"{array.dtype} {array.shape}", size=size)
    t = torch.from_numpy(np.array(array, dtype=np.float64))
    if not bool(torch.isfinite(t).all()):
        raise FaithfulnessError("faith_map_not_finite")
    return t


def _probabilities(
    switched: SwitchedResNet, images: torch.Tensor, target: int, batch: int
) -> list[float]:
    out: list[float] = []
    with torch.inference_mode():
        for start in range(0, images.shape[0], batch):
            logits = switched(images[start : start + batch])
            out.extend(torch.softmax(logits.float(), dim=1)[:, target].tolist())
    return out


def deletion_insertion(
    model: LoadedModel,
    image: np.ndarray,
    target: int,
    cam: object,
    steps: int = STEPS,
    switches: Mapping[str, str] | None = None,
    *,
    batch: int = FORWARD_BATCH,
) -> Faithfulness:
    """Deletion and insertion curves of `cam` for class `target` (Petsiuk et al. 2018 §4.1).

    Pixels are ranked by the map's value, largest first (a signed map by its signed value, so
    negative evidence comes last); equal values keep row-major order. After `k` of `steps`
    steps the first round(k / steps * S * S) pixels are removed (set to black, pixel value 0)
    or inserted (into the image blurred as `methods.blurred` blurs it, a Gaussian of standard
    deviation S / 16; blurring the normalised tensor equals blurring the pixels, the
    normalisation being per-channel affine).

    Args:
        model: a loaded model.
        image: RGB uint8 (H, W, 3); the network's view of it (`model_view`) is used, so an
            image already at the input size is used as it is.
        target: class index.
        cam: the map, (S, S) at the model's input resolution (numpy or torch).
        steps: equal steps from 0 to all pixels, 2..1024. Default: 32.
        switches: block modes of the network measured. Default: all intact.
        batch: images per forward pass. Default: 32.

    Raises:
        FaithfulnessError: a map that is not (S, S) numbers, or a bad step count.
        AnalysisError / SwitchError: target out of range, unknown block or mode.
    """
    from resnet_demo.analysis.engine import _model_input, _target  # engine imports this module

    target = _target(model, target)
    steps = check_int(steps, "steps", 2, MAX_STEPS, error=FaithfulnessError)
    batch = check_int(batch, "batch", 1, 1024, error=FaithfulnessError)
    _, x = _model_input(model, image)
    size = x.shape[-1]
    order = torch.argsort(-_as_map(cam, size).flatten(), stable=True)
    n = order.numel()
    counts = [round(k * n / steps) for k in range(steps + 1)]
    rank = torch.empty(n, dtype=torch.long)
    rank[order] = torch.arange(n)
    # masks[k]: the pixels among the first counts[k] of the order, (steps + 1, 1, S, S).
    masks = (rank[None, :] < torch.tensor(counts)[:, None]).view(steps + 1, 1, size, size)
    masks = masks.to(x.device)
    dark = methods.black(x, model.preprocessing.mean, model.preprocessing.std)
    soft = methods.blurred(x)
    deleted = torch.where(masks, dark, x)
    inserted = torch.where(masks, x, soft)
    with model.lock:
        switched = SwitchedResNet(model.module, switches)
        probs = _probabilities(switched, torch.cat([deleted, inserted]), target, batch)
    fractions = tuple(c / n for c in counts)
    deletion, insertion = tuple(probs[: steps + 1]), tuple(probs[steps + 1 :])
    return Faithfulness(
        target=target,
        fractions=fractions,
        deletion=deletion,
        insertion=insertion,
        deletion_auc=auc(fractions, deletion),
        insertion_auc=auc(fractions, insertion),
    )


def box_to_view(
    box: Sequence[int], image_size: int, preprocessing: Preprocessing
) -> tuple[float, float, float, float]:
    """A box (x0, y0, x1, y1) (inclusive-exclusive, pixels of a square image of side
    `image_size`, as `shapes.generate_batch` gives) in the coordinates of the network's input:
    scaled as `model_view` resizes the image (shorter side to `resize_size`), shifted by its
    centre crop."""
    scale = preprocessing.resize_size / image_size
    offset = round((preprocessing.resize_size - preprocessing.crop_size) / 2.0)
    x0, y0, x1, y1 = (float(v) for v in box)
    return (x0 * scale - offset, y0 * scale - offset, x1 * scale - offset, y1 * scale - offset)


def mask_to_view(mask: np.ndarray, preprocessing: Preprocessing) -> np.ndarray:
    """A mask or coverage (H, W) of a square image resized and centre-cropped as `model_view`
    treats the image: float32 (crop, crop)."""
    t = torch.from_numpy(np.asarray(mask, dtype=np.float32))[None]
    t = F.resize(
        t,
        [preprocessing.resize_size],
        interpolation=InterpolationMode(preprocessing.interpolation),
        antialias=True,
    )
    return F.center_crop(t, [preprocessing.crop_size])[0].numpy()


def pointing_game(cam: object, shape: object, threshold: float = 0.5) -> bool:
    """Whether the map's maximum lies inside the labelled shape (Zhang et al. 2018 §5.1; no
    tolerance margin). With ties, a hit when any maximum is inside.

    Args:
        cam: the map (S, S) (a signed map's maximum is its largest positive value).
        shape: a box (x0, y0, x1, y1) in the map's pixel coordinates, inclusive-exclusive (a
            pixel (i, j) is inside when x0 <= j + 0.5 <= x1 and y0 <= i + 0.5 <= y1, so
            fractional boxes from `box_to_view` work), or a mask (S, S): bool, or coverage
            counted inside where >= `threshold`.

    Raises:
        FaithfulnessError: a map that is not 2-D numbers, or a shape that is neither.
    """
    array = np.asarray(cam.detach().cpu() if isinstance(cam, torch.Tensor) else cam)
    if array.ndim != 2 or array.size == 0 or not np.issubdtype(array.dtype, np.number):
        raise FaithfulnessError("faith_map_not_2d", got=f"{array.dtype} {array.shape}")
    peaks = array == array.max()
    region = np.asarray(shape)
    if region.shape == (4,):
        x0, y0, x1, y1 = (float(v) for v in region)
        rows = np.arange(array.shape[0]) + 0.5
        cols = np.arange(array.shape[1]) + 0.5
        inside = ((rows >= y0) & (rows <= y1))[:, None] & ((cols >= x0) & (cols <= x1))[None]
    elif region.shape == array.shape:
        inside = region if region.dtype == bool else region >= threshold
    else:
        raise FaithfulnessError(
            "faith_bad_shape", got=str(region.shape), size=f"{array.shape[0]}×{array.shape[1]}"
        )
    return bool((peaks & inside).any())
