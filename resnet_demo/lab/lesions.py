"""Lesion sweep: take one block's residual branch away, or one block's skip, and watch the class.

For one image and every residual block in turn, two lesions (`resnet_demo.switches`):

- **branch removed** (`no-residual`, y = relu(shortcut(x))): the block-deletion experiment of
  Veit et al. 2016. In a trained ResNet the image usually survives the loss of any single
  branch, except in the downsampling blocks, whose projection shortcut cannot stand in for the
  branch as well as the identity can.
- **skip removed** (`no-skip`, y = relu(F(x))): F was learned as a *correction* to its input
  (He et al. 2016, eq. 1); without the input the correction alone is a different signal, and the
  prediction usually breaks.

Every block before the lesioned one computes exactly what the intact network computes, so the
intact pass records each block's input once and each lesion runs only from its block onwards;
the two lesions of a block share one batched pass through the (intact) rest of the network.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from resnet_demo.cache import LRUCache, image_digest
from resnet_demo.models import LoadedModel
from resnet_demo.switches import NO_RESIDUAL, NO_SKIP, SwitchedBlock, SwitchedResNet

Progress = Callable[[float, str], None]
"""progress(fraction in [0, 1], description) — called between steps of long runs."""


def check_image(image: object) -> np.ndarray:
    """Return `image` if it is an RGB uint8 array (H, W, 3), else raise ValueError."""
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise ValueError("the image must be an RGB uint8 array (H, W, 3)")
    if image.ndim != 3 or image.shape[2] != 3 or min(image.shape[:2]) < 1:
        raise ValueError(f"the image must be an RGB uint8 array (H, W, 3), got {image.shape}")
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
        downsampling: bool (B,): the block changes resolution and width (projection shortcut).
        original_class: intact top-1 class index.
        original_label: its name.
        original_prob: its intact probability.
        branch_removed_prob: float32 (B,): probability of the original class with that
            block's residual branch removed (`no-residual`).
        branch_removed_top1: int64 (B,): top-1 class with that branch removed.
        skip_removed_prob: float32 (B,): probability of the original class with that block's
            skip removed (`no-skip`).
        skip_removed_top1: int64 (B,): top-1 class with that skip removed.
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


def _compute_sweep(model: LoadedModel, image: np.ndarray, progress: Progress | None) -> LesionSweep:
    view = model.preprocessing.model_view(image)
    x = model.preprocessing.to_tensor(view)
    module = model.module
    with model.lock, torch.no_grad():
        net = SwitchedResNet(module)
        for block in net.blocks.values():
            block.record = False  # the sweep needs logits only
        inputs: dict[str, torch.Tensor] = {}
        h = net.stem(x)
        for name, block in net.blocks.items():
            inputs[name] = h
            h = block(h)
        intact = torch.softmax(net.head(h), dim=1)[0]
        original = int(intact.argmax())
        names = tuple(net.blocks)
        probs = np.zeros((2, len(names)), dtype=np.float32)
        top1 = np.zeros((2, len(names)), dtype=np.int64)
        for i, name in enumerate(names):
            if progress is not None:
                progress(i / len(names), f"lesions of {name}")
            shared = module.get_submodule(name)
            lesioned = torch.cat(
                [SwitchedBlock(shared, mode, name)(inputs[name]) for mode in (NO_RESIDUAL, NO_SKIP)]
            )
            p = torch.softmax(net.forward_from(name, lesioned), dim=1)
            probs[:, i] = p[:, original].numpy()
            top1[:, i] = p.argmax(dim=1).numpy()
    if progress is not None:
        progress(1.0, "done")
    return LesionSweep(
        model_name=model.name,
        weights_source=model.source,
        image_digest=image_digest(image),
        view=view,
        block_names=names,
        downsampling=np.array(
            [module.get_submodule(n).downsample is not None for n in names], dtype=bool
        ),
        original_class=original,
        original_label=model.categories[original],
        original_prob=float(intact[original]),
        branch_removed_prob=probs[0],
        branch_removed_top1=top1[0],
        skip_removed_prob=probs[1],
        skip_removed_top1=top1[1],
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
        progress: optional callback, see `Progress`.
        use_cache: return a stored result for the same image and model when there is one.
            Default: True.

    Returns:
        A LesionSweep (2 × B lesions, one intact pass).

    Raises:
        ValueError: `image` is not an RGB uint8 array.
    """
    image = check_image(image)
    key = (image_digest(image), model.name, model.source, id(model.module))
    if use_cache:
        cached = _CACHE.get(key)
        if cached is not None:
            if progress is not None:
                progress(1.0, "cached")
            return cached
    result = _compute_sweep(model, image, progress)
    _CACHE.put(key, result)
    return result


def clear_cache() -> None:
    """Forget every stored sweep."""
    _CACHE.clear()
