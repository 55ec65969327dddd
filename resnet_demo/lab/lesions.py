"""Lesion sweep: take one block's residual branch away, or one block's skip, and watch the class.

For one image and every residual block in turn, two lesions (`resnet_demo.switches`):

- **branch removed** (`branch-off`, y = relu(shortcut(x))): the block-deletion experiment of
  Veit et al. 2016. In a trained ResNet the image usually survives the loss of any single
  branch, except in the downsampling blocks, whose projection shortcut cannot stand in for the
  branch as well as the identity can.
- **skip removed** (`skip-off`, y = relu(F(x))): F was learned as a *correction* to its input
  (He et al. 2016, eq. 1); without the input the correction alone is a different signal, and the
  prediction usually breaks.

Every block before the lesioned one computes exactly what the intact network computes, so the
intact pass records each block's input once and each lesion runs only from its block onwards;
the two lesions of a block share one batched pass through the (intact) rest of the network.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from resnet_demo.cache import LRUCache, image_digest
from resnet_demo.errors import InvalidValue
from resnet_demo.models import LoadedModel
from resnet_demo.progress import Progress, report
from resnet_demo.switches import (
    BRANCH_OFF,
    DOWNSAMPLING,
    PROJECTION,
    SKIP_OFF,
    SwitchedBlock,
    SwitchedResNet,
    block_names,
    shortcut_kinds,
)

__all__ = ["LesionSweep", "Progress", "check_image", "clear_cache", "lesion_sweep"]


def check_image(image: object) -> np.ndarray:
    """Return `image` if it is an RGB uint8 array (H, W, 3).

    Raises:
        InvalidValue: key `lab_image_not_rgb` (a ValueError), with the shape it got.
    """
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise InvalidValue("lab_image_not_rgb", got=type(image).__name__)
    if image.ndim != 3 or image.shape[2] != 3 or min(image.shape[:2]) < 1:
        raise InvalidValue("lab_image_not_rgb", got=str(image.shape))
    return image


@dataclass(frozen=True)
class LesionSweep:
    """The effect of removing each block's residual branch, and each block's skip, in turn.

    Attributes:
        model_name: e.g. "embedded" or "resnet50:IMAGENET1K_V2".
        weights_source: where the weights came from ("embedded", "file:…", "random(seed=0)").
        image_digest: SHA-1 of the input image (see `image_digest`).
        view: RGB uint8 (S, S, 3), what the network saw.
        block_names: "layer1.0" … in forward order, B entries.
        downsampling: bool (B,): the block's stride halves the resolution (its shortcut is a
            1×1 stride-2 projection; `switches.shortcut_kind`).
        original_class: intact top-1 class index.
        original_label: its name.
        original_prob: its intact probability.
        branch_removed_prob: float32 (B,): probability of the original class with that
            block's residual branch removed (`branch-off`).
        branch_removed_top1: int64 (B,): top-1 class with that branch removed.
        skip_removed_prob: float32 (B,): probability of the original class with that block's
            skip removed (`skip-off`).
        skip_removed_top1: int64 (B,): top-1 class with that skip removed.
        projection: bool (B,): the block's shortcut is a stride-1 1×1 projection (the width
            changes, the resolution does not: ResNet-50/101/152 `layer1.0`); None: no such
            block (see `projection_only`).
    """

    model_name: str
    weights_source: str
    image_digest: str
    view: np.ndarray
    block_names: tuple[str, ...]
    downsampling: np.ndarray
    original_class: int
    original_label: str
    original_prob: float
    branch_removed_prob: np.ndarray
    branch_removed_top1: np.ndarray
    skip_removed_prob: np.ndarray
    skip_removed_top1: np.ndarray
    projection: np.ndarray | None = field(default=None)

    @property
    def projection_only(self) -> np.ndarray:
        """bool (B,): projection shortcut without downsampling (all False when not given)."""
        if self.projection is None:
            return np.zeros(len(self.block_names), dtype=bool)
        return np.asarray(self.projection, dtype=bool)

    @property
    def branch_changed(self) -> np.ndarray:
        """bool (B,): removing that block's residual branch changed the top-1 class."""
        return self.branch_removed_top1 != self.original_class

    @property
    def skip_changed(self) -> np.ndarray:
        """bool (B,): removing that block's skip changed the top-1 class."""
        return self.skip_removed_top1 != self.original_class

    def to_json(self, categories: tuple[str, ...] | None = None) -> dict[str, Any]:
        """JSON-ready numbers; `categories` (class names) adds the names of the new top-1s."""

        def name(index: int) -> str | None:
            return categories[index] if categories is not None else None

        return {
            "model": self.model_name,
            "weights_source": self.weights_source,
            "image_sha1": self.image_digest,
            "input_size": list(self.view.shape[:2]),
            "original": {
                "index": self.original_class,
                "label": self.original_label,
                "probability": self.original_prob,
            },
            "blocks": [
                {
                    "name": block,
                    "downsampling": bool(self.downsampling[i]),
                    "projection": bool(self.projection_only[i]),
                    "branch_removed": {
                        "probability": float(self.branch_removed_prob[i]),
                        "top1": int(self.branch_removed_top1[i]),
                        "top1_label": name(int(self.branch_removed_top1[i])),
                        "top1_changed": bool(self.branch_changed[i]),
                    },
                    "skip_removed": {
                        "probability": float(self.skip_removed_prob[i]),
                        "top1": int(self.skip_removed_top1[i]),
                        "top1_label": name(int(self.skip_removed_top1[i])),
                        "top1_changed": bool(self.skip_changed[i]),
                    },
                }
                for i, block in enumerate(self.block_names)
            ],
        }


_CACHE: LRUCache[LesionSweep] = LRUCache(max_entries=32)


def _lesion_probabilities(
    model: LoadedModel, x: torch.Tensor, progress: Progress | None
) -> tuple[torch.Tensor, np.ndarray, np.ndarray]:
    """Intact probabilities (num_classes,) and, per block, the original class's probability
    and the top-1 with that block's branch / skip removed: float32 and int64 (2, B)."""
    net = SwitchedResNet(model.module)
    inputs, output = net.block_inputs(x)
    intact = torch.softmax(net.head(output), dim=1)[0]
    original = int(intact.argmax())
    probs = np.zeros((2, len(inputs)), dtype=np.float32)
    top1 = np.zeros((2, len(inputs)), dtype=np.int64)
    for i, (name, block_input) in enumerate(inputs.items()):
        report(progress, i / len(inputs), "progress_lesions", model=model.name, block=name)
        shared = model.module.get_submodule(name)
        lesioned = torch.cat(
            [SwitchedBlock(shared, mode, name)(block_input) for mode in (BRANCH_OFF, SKIP_OFF)]
        )
        p = torch.softmax(net.forward_from(name, lesioned), dim=1)
        probs[:, i] = p[:, original].cpu().numpy()
        top1[:, i] = p.argmax(dim=1).cpu().numpy()
    return intact, probs, top1


def _compute_sweep(model: LoadedModel, image: np.ndarray, progress: Progress | None) -> LesionSweep:
    view = model.preprocessing.model_view(image)
    x = model.to_input(view)
    with model.lock, torch.no_grad():
        intact, probs, top1 = _lesion_probabilities(model, x, progress)
    report(progress, 1.0, "progress_done")
    original = int(intact.argmax())
    names = tuple(block_names(model.module))
    kinds = shortcut_kinds(model.module)
    return LesionSweep(
        model_name=model.name,
        weights_source=model.source,
        image_digest=image_digest(image),
        view=view,
        block_names=names,
        downsampling=np.array([kinds[n] == DOWNSAMPLING for n in names], dtype=bool),
        original_class=original,
        original_label=model.categories[original],
        original_prob=float(intact[original]),
        branch_removed_prob=probs[0],
        branch_removed_top1=top1[0],
        skip_removed_prob=probs[1],
        skip_removed_top1=top1[1],
        projection=np.array([kinds[n] == PROJECTION for n in names], dtype=bool),
    )


def lesion_sweep(
    model: LoadedModel,
    image: np.ndarray,
    progress: Progress | None = None,
    use_cache: bool = True,
) -> LesionSweep:
    """Remove each block's residual branch, then each block's skip, one at a time.

    Args:
        model: a loaded torchvision ResNet; its lock is held while it computes.
        image: RGB uint8 (H, W, 3), any size (the model's preprocessing resizes and crops it).
            Not modified.
        progress: optional callback (`resnet_demo.progress.Progress`): keys
            `progress_lesions` (fields model, block), `progress_cached`, `progress_done`.
        use_cache: return a stored result for the same image and model when there is one.
            Default: True.

    Returns:
        A LesionSweep (2 × B lesions, one intact pass).

    Raises:
        InvalidValue: `image` is not an RGB uint8 array (a ValueError).
    """
    image = check_image(image)
    if not use_cache:
        result = _compute_sweep(model, image, progress)
        _CACHE.put(_cache_key(model, image), result)
        return result
    computed = False

    def compute() -> LesionSweep:
        nonlocal computed
        computed = True
        return _compute_sweep(model, image, progress)

    result = _CACHE.get_or_compute(_cache_key(model, image), compute)
    if not computed:
        report(progress, 1.0, "progress_cached")
    return result


def _cache_key(model: LoadedModel, image: np.ndarray) -> tuple[str, str, str, int]:
    return (image_digest(image), model.name, model.source, id(model.module))


def clear_cache() -> None:
    """Forget every stored sweep."""
    _CACHE.clear()
