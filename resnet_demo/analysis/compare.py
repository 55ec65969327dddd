"""`compare`: what switching blocks changed — probabilities, ranks, top-1 and Grad-CAM."""

from __future__ import annotations

import numpy as np

from resnet_demo.analysis.engine import AnalysisError
from resnet_demo.analysis.results import Analysis, ClassChange, Comparison


def _ranks(probabilities: np.ndarray) -> np.ndarray:
    """1-based rank of every class (1 = most probable; ties broken by index)."""
    order = np.argsort(-probabilities, kind="stable")
    ranks = np.empty_like(order)
    ranks[order] = np.arange(1, len(order) + 1)
    return ranks


def compare(intact: Analysis, switched: Analysis) -> Comparison:
    """Compare an intact and a switched analysis of the same image, model, target, method and
    layer.

    Args:
        intact: analysis with the reference switches (usually all intact).
        switched: analysis of the same image with other switches.

    Returns:
        The union of both top-k lists with probabilities and ranks before/after, the top-1
        change, and both maps on one shared scale (the larger of the two raw maxima maps to 1)
        with their difference `after - before`: in [-1, 1] for maps >= 0 (Grad-CAM, saliency,
        ...), in [-2, 2] for signed methods (`Analysis.signed`: both maps in [-1, 1]), which the
        page draws on a symmetric colour scale of [-2, 2].

    Raises:
        AnalysisError: the two analyses are not of the same image, model, target and layer
            (keys `compare_models`, `compare_targets` (also for different methods),
            `compare_images`; a ValueError).
    """
    if intact.model_name != switched.model_name:
        raise AnalysisError("compare_models")
    if (
        intact.target != switched.target
        or intact.cam_layer != switched.cam_layer
        or intact.method != switched.method
    ):
        raise AnalysisError("compare_targets")
    if intact.image.shape != switched.image.shape or not np.array_equal(
        intact.image, switched.image
    ):
        raise AnalysisError("compare_images")
    ranks_before = _ranks(intact.probabilities)
    ranks_after = _ranks(switched.probabilities)
    indices = list(dict.fromkeys([*intact.top_indices.tolist(), *switched.top_indices.tolist()]))
    indices.sort(key=lambda i: ranks_before[i])
    labels = dict(
        zip(
            [*intact.top_indices.tolist(), *switched.top_indices.tolist()],
            [*intact.top_labels, *switched.top_labels],
            strict=True,
        )
    )
    changes = tuple(
        ClassChange(
            index=i,
            label=labels[i],
            prob_before=float(intact.probabilities[i]),
            prob_after=float(switched.probabilities[i]),
            rank_before=int(ranks_before[i]),
            rank_after=int(ranks_after[i]),
        )
        for i in indices
    )
    shared = max(intact.cam_scale, switched.cam_scale)
    if shared > 0:
        before = (intact.cam * (intact.cam_scale / shared)).astype(np.float32)
        after = (switched.cam * (switched.cam_scale / shared)).astype(np.float32)
    else:
        before = np.zeros_like(intact.cam)
        after = np.zeros_like(switched.cam)
    top1_before = int(intact.top_indices[0])
    top1_after = int(switched.top_indices[0])
    return Comparison(
        changes=changes,
        top1_before=top1_before,
        top1_after=top1_after,
        top1_changed=top1_before != top1_after,
        switched=switched.switched,
        cam_before=before,
        cam_after=after,
        cam_diff=(after - before).astype(np.float32),
        shared_scale=shared,
    )
