"""Lesion curves: how a trained ResNet degrades as more blocks lose their branch, or their skip.

For k = 0 … K (K = B residual blocks, or fewer: `max_k`), pick k blocks at random and switch
them off together, in two ways (`resnet_demo.switches`):

- **residual branches removed** (`branch-off`, y = relu(shortcut(x))): Veit et al. 2016 showed
  that a trained ResNet degrades *smoothly* as blocks are deleted, as if it were an ensemble of
  many paths of different lengths rather than one deep chain;
- **skips removed** (`skip-off`, y = relu(F(x))): every removed skip forces all paths through
  that block's branch, and the branch was trained as a correction to its input, not as a
  stand-alone layer, so performance collapses after very few removals.

The score is top-1 accuracy against true labels when they are known (synthetic shapes), else the
agreement with the intact network's top-1 (photos). For each k the score is averaged over
several random subsets of blocks ("draws", 20 by default; every subset when there are no more
than `draws`). The charts draw the mean ± its standard error, s.d. / √n over the n draws: the
uncertainty of the mean, which shrinks as draws are added (the s.d., the spread between single
draws, does not).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from resnet_demo.errors import InvalidValue, check_int
from resnet_demo.lab.image_sets import ImageSet
from resnet_demo.lab.lesions import check_image
from resnet_demo.models import EMBEDDED, EMBEDDED_NO_SD, LoadedModel
from resnet_demo.progress import Progress, report
from resnet_demo.switches import BRANCH_OFF, SKIP_OFF, SwitchedResNet, block_names

__all__ = [
    "ACCURACY",
    "AGREEMENT",
    "DRAWS",
    "MAX_DRAWS",
    "ROBUST_MODELS",
    "LesionCurves",
    "Progress",
    "choose_subsets",
    "lesion_curves",
    "set_curves",
]

ACCURACY = "accuracy"
AGREEMENT = "agreement"
DRAWS = 20
"""Random subsets per k by default: with 20 the standard error of the mean is about a fifth of
the spread between single draws (1 / √20 ≈ 0.22)."""
MAX_DRAWS = 40
"""Most draws per k the lab's panels accept (their slider's end)."""
MAX_K = 10
"""Largest k the lab draws by default (Veit et al. 2016 Fig. 5 goes to 20 of 54 blocks; on a
27-block model every k up to 27 would cost 27 × draws × 2 forward passes)."""
ROBUST_MODELS: tuple[str, ...] = (EMBEDDED, EMBEDDED_NO_SD)
"""The models the robustness panel compares: the same recipe with and without stochastic
depth."""


@dataclass(frozen=True)
class LesionCurves:
    """Scores against the number of lesioned blocks, for both kinds of lesion.

    Attributes:
        model_name: e.g. "embedded".
        weights_source: where the weights came from.
        image_set: the image set scored (`kind`, `n`, `first_seed`; worded by the front ends
            with `lab.text.image_set_name`), or None when the images came from elsewhere.
        n_images: number of images.
        metric: "accuracy" (vs true labels) or "agreement" (with the intact top-1).
        ks: int64 (K + 1,): 0 … K blocks lesioned.
        branch_scores: float64 (K + 1, D): score of each draw with k residual branches removed;
            NaN where fewer than D distinct subsets exist (all of them were used).
        skip_scores: float64 (K + 1, D): the same with k skips removed.
        intact_score: score of the intact network (1.0 for agreement).
        chance: score of guessing: 1 / number of classes.
        draws: D, random subsets per k.
        seed: seed of the subset choice.
    """

    model_name: str
    weights_source: str
    image_set: ImageSet | None
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
        """float64 (K + 1,): mean score over draws with k residual branches removed."""
        return np.nanmean(self.branch_scores, axis=1)

    @property
    def branch_std(self) -> np.ndarray:
        """float64 (K + 1,): standard deviation over draws (0 where there was one subset)."""
        return np.nanstd(self.branch_scores, axis=1)

    @property
    def branch_n(self) -> np.ndarray:
        """int64 (K + 1,): draws behind each mean (fewer where fewer subsets exist)."""
        return _counts(self.branch_scores)

    @property
    def branch_sem(self) -> np.ndarray:
        """float64 (K + 1,): standard error of the mean, sample s.d. (ddof = 1) / √n; 0 where
        there was one draw (nothing to estimate it from)."""
        return _sem(self.branch_scores)

    @property
    def skip_mean(self) -> np.ndarray:
        """float64 (K + 1,): mean score over draws with k skips removed."""
        return np.nanmean(self.skip_scores, axis=1)

    @property
    def skip_std(self) -> np.ndarray:
        """float64 (K + 1,): standard deviation over draws."""
        return np.nanstd(self.skip_scores, axis=1)

    @property
    def skip_n(self) -> np.ndarray:
        """int64 (K + 1,): draws behind each mean."""
        return _counts(self.skip_scores)

    @property
    def skip_sem(self) -> np.ndarray:
        """float64 (K + 1,): standard error of the mean (see `branch_sem`)."""
        return _sem(self.skip_scores)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready numbers."""

        def rows(scores: np.ndarray) -> list[list[float]]:
            return [[float(v) for v in row if not math.isnan(v)] for row in scores]

        return {
            "model": self.model_name,
            "weights_source": self.weights_source,
            "image_set": None if self.image_set is None else self.image_set.to_json(),
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
                "sem": [float(v) for v in self.branch_sem],
                "n_draws": [int(v) for v in self.branch_n],
                "draws": rows(self.branch_scores),
            },
            "skips_removed": {
                "mean": [float(v) for v in self.skip_mean],
                "std": [float(v) for v in self.skip_std],
                "sem": [float(v) for v in self.skip_sem],
                "n_draws": [int(v) for v in self.skip_n],
                "draws": rows(self.skip_scores),
            },
        }


def _counts(scores: np.ndarray) -> np.ndarray:
    return np.sum(~np.isnan(scores), axis=1).astype(np.int64)


def _sem(scores: np.ndarray) -> np.ndarray:
    n = _counts(scores)
    out = np.zeros(len(scores))
    for k in np.flatnonzero(n > 1):
        out[k] = np.nanstd(scores[k], ddof=1) / np.sqrt(n[k])
    return out


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


def _batch(model: LoadedModel, images: Sequence[np.ndarray] | np.ndarray) -> torch.Tensor:
    """Preprocess every image and stack them: float32 (N, 3, S, S) on the model's device."""
    prep = model.preprocessing
    return torch.cat([model.to_input(prep.model_view(check_image(im))) for im in images])


def _check_labels(labels: object, n_images: int, n_classes: int) -> np.ndarray | None:
    """int64 (N,) class indices, or None; raises InvalidValue for a wrong length or range."""
    if n_images == 0:
        raise InvalidValue("lab_no_images")
    if labels is None:
        return None
    labels = np.asarray(labels, dtype=np.int64)
    if labels.shape != (n_images,):
        raise InvalidValue("lab_labels_count", got=str(labels.shape), n=n_images)
    if labels.min() < 0 or labels.max() >= n_classes:
        raise InvalidValue("lab_labels_range", n_classes=n_classes)
    return labels


class _Lesioner:
    """Block inputs of the intact network on every image, kept once; lesions run from them.

    Every block before the first lesioned one computes what the intact network computes, so a
    lesion of blocks {i, j, …} runs the network only from block i's recorded input on.

    Args:
        model: the loaded model (its lock held by the caller, under `torch.no_grad`).
        x: float32 (N, 3, S, S) normalised images.
        batch_size: images per forward pass.
    """

    def __init__(self, model: LoadedModel, x: torch.Tensor, batch_size: int) -> None:
        self.module = model.module
        net = SwitchedResNet(model.module)
        self.chunks: list[dict[str, torch.Tensor]] = []  # [chunk] block -> its input
        top1 = []
        for start in range(0, x.shape[0], batch_size):
            inputs, output = net.block_inputs(x[start : start + batch_size])
            self.chunks.append(inputs)
            top1.append(net.head(output).argmax(dim=1))
        self.intact_top1: np.ndarray = torch.cat(top1).cpu().numpy()

    def predictions(self, modes: dict[str, str]) -> np.ndarray:
        """int64 (N,) top-1 of the network with `modes` (blocks named in forward order)."""
        net = SwitchedResNet(self.module, modes)
        first = next(name for name in net.blocks if name in modes)
        tops = [net.run_from(first, c[first]).argmax(dim=1) for c in self.chunks]
        return torch.cat(tops).cpu().numpy()


def lesion_curves(
    model: LoadedModel,
    images: Sequence[np.ndarray] | np.ndarray,
    labels: Sequence[int] | np.ndarray | None = None,
    draws: int = DRAWS,
    seed: int = 0,
    image_set: ImageSet | None = None,
    batch_size: int = 64,
    progress: Progress | None = None,
    max_k: int | None = None,
) -> LesionCurves:
    """Score the network with k = 0 … K residual branches removed, and with k skips removed.

    Args:
        model: a loaded torchvision ResNet; its lock is held while it computes.
        images: RGB uint8 images (H, W, 3) (any sizes), or one array (N, H, W, 3). Not modified.
        labels: true class of each image, or None to score agreement with the intact top-1.
        draws: random subsets of blocks per k (>= 1). Default: `DRAWS` (20).
        seed: seed of the subset choice. Default: 0.
        image_set: the `ImageSet` the images came from, stored in the result (its `kind`, `n`
            and `first_seed`), or None. Default: None.
        batch_size: images per forward pass. Default: 64.
        progress: optional callback (`resnet_demo.progress.Progress`): keys
            `progress_curves_intact`, `progress_curves_branches` and `progress_curves_skips`
            (field k).
        max_k: largest k (>= 1), at most the number of blocks B; None for every k up to B.
            Default: None.

    Returns:
        A LesionCurves; the same subsets are drawn for both kinds of lesion.

    Raises:
        InvalidValue: no images, labels of the wrong length or out of range, draws < 1 (a
            ValueError).
    """
    draws = check_int(draws, "draws", 1)
    labels = _check_labels(labels, len(images), len(model.categories))
    names = block_names(model.module)
    top = len(names) if max_k is None else min(len(names), check_int(max_k, "max_k", 1))
    rng = np.random.default_rng(seed)
    subsets = [choose_subsets(len(names), k, draws, rng) for k in range(top + 1)]
    total = 1 + 2 * sum(len(s) for s in subsets[1:])
    with model.lock, torch.no_grad():
        lesioner = _Lesioner(model, _batch(model, images), batch_size)
        reference = labels if labels is not None else lesioner.intact_top1
        intact_score = float((lesioner.intact_top1 == reference).mean())
        report(progress, 1 / total, "progress_curves_intact")
        branch = np.full((top + 1, draws), np.nan)
        skip = np.full((top + 1, draws), np.nan)
        branch[0, 0] = skip[0, 0] = intact_score
        done = 1
        for k in range(1, top + 1):
            for d, subset in enumerate(subsets[k]):
                for scores, mode, key in (
                    (branch, BRANCH_OFF, "progress_curves_branches"),
                    (skip, SKIP_OFF, "progress_curves_skips"),
                ):
                    predictions = lesioner.predictions({names[i]: mode for i in subset})
                    scores[k, d] = float((predictions == reference).mean())
                    done += 1
                    report(progress, done / total, key, k=k)
    return LesionCurves(
        model_name=model.name,
        weights_source=model.source,
        image_set=image_set,
        n_images=len(images),
        metric=ACCURACY if labels is not None else AGREEMENT,
        ks=np.arange(top + 1, dtype=np.int64),
        branch_scores=branch,
        skip_scores=skip,
        intact_score=intact_score,
        chance=1.0 / len(model.categories),
        draws=draws,
        seed=seed,
    )


def set_curves(
    model: LoadedModel,
    images: ImageSet,
    draws: int = DRAWS,
    seed: int = 0,
    progress: Progress | None = None,
    max_k: int | None = MAX_K,
) -> LesionCurves:
    """`lesion_curves` on an `ImageSet` (its images, labels and name), up to `max_k` blocks
    (default `MAX_K`): what the lab's panels and the CLI run."""
    return lesion_curves(
        model,
        images.images,
        images.labels,
        draws=draws,
        seed=seed,
        image_set=images,
        progress=progress,
        max_k=max_k,
    )
