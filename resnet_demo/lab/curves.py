"""Lesion curves: how a trained ResNet degrades as more blocks lose their branch, or their skip.

For k = 0 … B (B residual blocks), pick k blocks at random and switch them off together, in
two ways (`resnet_demo.switches`):

- **residual branches removed** (`no-residual`, y = relu(shortcut(x))): Veit et al. 2016 showed
  that a trained ResNet degrades *smoothly* as blocks are deleted, as if it were an ensemble of
  many paths of different lengths rather than one deep chain;
- **skips removed** (`no-skip`, y = relu(F(x))): every removed skip forces all paths through
  that block's branch, and the branch was trained as a correction to its input, not as a
  stand-alone layer, so performance collapses after very few removals.

The score is top-1 accuracy against true labels when they are known (synthetic shapes), else the
agreement with the intact network's top-1 (photos). For each k the score is averaged over
several random subsets of blocks ("draws"; every subset when there are no more than `draws`);
the spread is the standard deviation over the draws.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from resnet_demo.lab.lesions import check_image
from resnet_demo.models import LoadedModel
from resnet_demo.switches import NO_RESIDUAL, NO_SKIP, SwitchedResNet, block_names

Progress = Callable[[float, str], None]
"""progress(fraction in [0, 1], description) — called between steps of long runs."""

ACCURACY = "accuracy"
AGREEMENT = "agreement"


@dataclass(frozen=True)
class LesionCurves:
    """Scores against the number of lesioned blocks, for both kinds of lesion.

    Attributes:
        model_name: e.g. "embedded".
        weights_source: where the weights came from.
        image_set: description of the images, e.g. "shapes: 64 images, seeds 13000000…".
        n_images: number of images.
        metric: "accuracy" (vs true labels) or "agreement" (with the intact top-1).
        ks: int64 (B + 1,): 0 … B blocks lesioned.
        branch_scores: float64 (B + 1, D): score of each draw with k residual branches removed;
            NaN where fewer than D distinct subsets exist (all of them were used).
        skip_scores: float64 (B + 1, D): the same with k skips removed.
        intact_score: score of the intact network (1.0 for agreement).
        chance: score of guessing: 1 / number of classes.
        draws: D, random subsets per k.
        seed: seed of the subset choice.
    """

    model_name: str
    weights_source: str
    image_set: str
    n_images: int
    metric: str
    ks: np.ndarray
    branch_scores: np.ndarray
    skip_scores: np.ndarray
    intact_score: float
    chance: float
    draws: int
    seed: int

    @property
    def branch_mean(self) -> np.ndarray:
        """float64 (B + 1,): mean score over draws with k residual branches removed."""
        return np.nanmean(self.branch_scores, axis=1)

    @property
    def branch_std(self) -> np.ndarray:
        """float64 (B + 1,): standard deviation over draws (0 where there was one subset)."""
        return np.nanstd(self.branch_scores, axis=1)

    @property
    def skip_mean(self) -> np.ndarray:
        """float64 (B + 1,): mean score over draws with k skips removed."""
        return np.nanmean(self.skip_scores, axis=1)

    @property
    def skip_std(self) -> np.ndarray:
        """float64 (B + 1,): standard deviation over draws."""
        return np.nanstd(self.skip_scores, axis=1)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready numbers."""

        def rows(scores: np.ndarray) -> list[list[float]]:
            return [[float(v) for v in row if not math.isnan(v)] for row in scores]

        return {
            "model": self.model_name,
            "weights_source": self.weights_source,
            "image_set": self.image_set,
            "n_images": self.n_images,
            "metric": self.metric,
            "intact_score": self.intact_score,
            "chance": self.chance,
            "draws": self.draws,
            "seed": self.seed,
            "k": [int(k) for k in self.ks],
            "branches_removed": {
                "mean": [float(v) for v in self.branch_mean],
                "std": [float(v) for v in self.branch_std],
                "draws": rows(self.branch_scores),
            },
            "skips_removed": {
                "mean": [float(v) for v in self.skip_mean],
                "std": [float(v) for v in self.skip_std],
                "draws": rows(self.skip_scores),
            },
        }


def choose_subsets(n_blocks: int, k: int, draws: int, rng: np.random.Generator) -> list[tuple]:
    """Up to `draws` distinct k-subsets of range(n_blocks): all of them if there are so few.

    Returns:
        Sorted tuples of block indices.
    """
    if math.comb(n_blocks, k) <= draws:
        return list(itertools.combinations(range(n_blocks), k))
    chosen: set[tuple[int, ...]] = set()
    while len(chosen) < draws:
        chosen.add(tuple(sorted(int(i) for i in rng.choice(n_blocks, size=k, replace=False))))
    return sorted(chosen)


def _batch(model: LoadedModel, images: Sequence[np.ndarray]) -> torch.Tensor:
    """Preprocess every image and stack them: float32 (N, 3, S, S)."""
    prep = model.preprocessing
    return torch.cat([prep.to_tensor(prep.model_view(check_image(im))) for im in images])


def lesion_curves(
    model: LoadedModel,
    images: Sequence[np.ndarray] | np.ndarray,
    labels: Sequence[int] | np.ndarray | None = None,
    draws: int = 5,
    seed: int = 0,
    image_set: str = "",
    batch_size: int = 64,
    progress: Progress | None = None,
) -> LesionCurves:
    """Score the network with k = 0 … B residual branches removed, and with k skips removed.

    Args:
        model: a loaded torchvision ResNet; its lock is held while it computes.
        images: RGB uint8 images (H, W, 3) (any sizes), or one array (N, H, W, 3). Not modified.
        labels: true class of each image, or None to score agreement with the intact top-1.
        draws: random subsets of blocks per k (>= 1). Default: 5.
        seed: seed of the subset choice. Default: 0.
        image_set: description stored in the result. Default: "".
        batch_size: images per forward pass. Default: 64.
        progress: optional callback, see `Progress`.

    Returns:
        A LesionCurves; the same subsets are drawn for both kinds of lesion.

    Raises:
        ValueError: no images, labels of the wrong length or out of range, draws < 1.
    """
    if len(images) == 0:
        raise ValueError("need at least one image")
    if isinstance(draws, bool) or not isinstance(draws, int) or draws < 1:
        raise ValueError(f"draws must be an integer >= 1, got {draws!r}")
    n_classes = len(model.categories)
    if labels is not None:
        labels = np.asarray(labels, dtype=np.int64)
        if labels.shape != (len(images),):
            raise ValueError(f"need one label per image: {labels.shape} for {len(images)} images")
        if labels.min() < 0 or labels.max() >= n_classes:
            raise ValueError(f"labels must be class indices in [0, {n_classes})")
    names = block_names(model.module)
    n_blocks = len(names)
    rng = np.random.default_rng(seed)
    subsets = [choose_subsets(n_blocks, k, draws, rng) for k in range(n_blocks + 1)]
    total = 1 + 2 * sum(len(s) for s in subsets[1:])
    done = 0

    def tick(text: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done / total, text)

    with model.lock, torch.no_grad():
        x = _batch(model, images)
        intact_net = SwitchedResNet(model.module)
        for block in intact_net.blocks.values():
            block.record = False
        # Inputs of every block in the intact network: a lesion of blocks {i, j, …} runs the
        # network only from its first lesioned block on.
        inputs: list[list[torch.Tensor]] = []  # [chunk][block] -> that block's input
        intact_top1: list[torch.Tensor] = []
        for start in range(0, x.shape[0], batch_size):
            h = intact_net.stem(x[start : start + batch_size])
            chunk = []
            for block in intact_net.blocks.values():
                chunk.append(h)
                h = block(h)
            inputs.append(chunk)
            intact_top1.append(intact_net.head(h).argmax(dim=1))
        reference = labels if labels is not None else torch.cat(intact_top1).numpy()
        tick("intact network")

        def score(mode: str, subset: tuple[int, ...]) -> float:
            modes = {names[i]: mode for i in subset}
            net = SwitchedResNet(model.module, modes)
            first = subset[0]
            blocks = list(net.blocks.values())
            for block in blocks:
                block.record = False
            predictions = []
            for chunk in inputs:
                h = chunk[first]
                for block in blocks[first:]:
                    h = block(h)
                predictions.append(net.head(h).argmax(dim=1))
            return float((torch.cat(predictions).numpy() == reference).mean())

        intact_score = float((torch.cat(intact_top1).numpy() == reference).mean())
        branch = np.full((n_blocks + 1, draws), np.nan)
        skip = np.full((n_blocks + 1, draws), np.nan)
        branch[0, 0] = skip[0, 0] = intact_score
        for k in range(1, n_blocks + 1):
            for d, subset in enumerate(subsets[k]):
                branch[k, d] = score(NO_RESIDUAL, subset)
                tick(f"{k} residual branches removed")
                skip[k, d] = score(NO_SKIP, subset)
                tick(f"{k} skips removed")
    return LesionCurves(
        model_name=model.name,
        weights_source=model.source,
        image_set=image_set,
        n_images=len(images),
        metric=ACCURACY if labels is not None else AGREEMENT,
        ks=np.arange(n_blocks + 1, dtype=np.int64),
        branch_scores=branch,
        skip_scores=skip,
        intact_score=intact_score,
        chance=1.0 / n_classes,
        draws=draws,
        seed=seed,
    )
