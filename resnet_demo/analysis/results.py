"""Frozen results of the analyses: numpy arrays and plain values, no tensors."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class BlockStats:
    """One residual block in one forward pass.

    Attributes:
        name: torchvision block name, e.g. "layer3.1".
        stage: "layer1" … "layer4".
        mode: "intact", "skip-off" or "branch-off".
        downsampling: True when the block's stride halves the resolution (its shortcut is a
            1×1 stride-2 projection); False for ResNet-50's stride-1 projection `layer1.0`.
        out_shape: (C, H, W) of the block output.
        residual_norm: ‖F(x)‖, Frobenius norm over (C, H, W); 0 when the branch is removed.
        shortcut_norm: ‖shortcut(x)‖; 0 when the skip is off.
        ratio: residual_norm / shortcut_norm; NaN when the shortcut is off (undefined).
    """

    name: str
    stage: str
    mode: str
    downsampling: bool
    out_shape: tuple[int, int, int]
    residual_norm: float
    shortcut_norm: float
    ratio: float


@dataclass(frozen=True)
class BlockActivation:
    """What one block computed for the image.

    Attributes:
        name: block name, e.g. "layer2.0".
        mean_map: float32 (h, w) in [0, 1]: channel-mean of the block output divided by its max.
        mean_max: the max of the raw channel-mean map (to undo the scaling).
        top_channels: int64 (n,) indices of the channels with the largest mean activation.
        top_strengths: float32 (n,) their mean activations, descending.
        top_maps: float32 (n, h, w) in [0, 1]: those channels, each divided by its own max.
    """

    name: str
    mean_map: np.ndarray
    mean_max: float
    top_channels: np.ndarray
    top_strengths: np.ndarray
    top_maps: np.ndarray


@dataclass(frozen=True)
class Analysis:
    """Everything the app shows for one image, one model and one switch setting.

    Attributes:
        model_name: e.g. "resnet18:IMAGENET1K_V1" or "embedded".
        weights_source: where the weights came from ("embedded", "file:…", "random(seed=0)"…).
        modes: block -> mode for every block, forward order.
        image: RGB uint8 (S, S, 3): exactly what the network saw (resized, centre-cropped).
        probabilities: float32 (num_classes,) softmax of the logits, sums to 1.
        top_indices: int64 (k,) classes by descending probability.
        top_labels: their names.
        top_probs: float32 (k,) their probabilities.
        target: class index the Grad-CAM explains.
        target_label: its name.
        cam_layer: the block whose output Grad-CAM uses, e.g. "layer4.1".
        cam: float32 (S, S): the method's map at the input, in [0, 1] (in [-1, 1] when
            `signed`); for Grad-CAM: upsampled bilinearly to the input, divided by
            its max (all zeros when nothing is positive).
        cam_scale: the max that `cam` was divided by (to compare two maps on one scale).
        cam_coarse: float32 (h, w) in [0, 1]: the map at the layer's own resolution.
        blocks: per-block statistics, forward order.
        activations: per-block activation maps, forward order.
        method: the attribution method of `cam` (`analysis.methods.METHOD_NAMES`).
        method_settings: its settings (steps, baseline, window, …; `methods.resolve_settings`).
        signed: `cam` keeps its sign (scaled by its largest |value| to [-1, 1]).
        cam_zero: the map is (almost) zero everywhere (`methods.zero_map`).
        cam_negative: the signed map it was cut from holds negative evidence
            (`methods.negative_evidence`): for a zero Grad-CAM, the class's evidence at that
            layer is negative, which the signed map shows; when False, the signed map is (almost)
            zero too.
        stage_cams: Grad-CAM (ReLU) at the last block of every stage, forward order, each
            (block name, float32 (S, S) in [0, 1] divided by its own max, that max); empty unless
            asked for.
        pixels: the method explains the input's pixels, not a block's output
            (`methods.Method.layer` is False).
    """

    model_name: str
    weights_source: str
    modes: Mapping[str, str]
    image: np.ndarray
    probabilities: np.ndarray
    top_indices: np.ndarray
    top_labels: tuple[str, ...]
    top_probs: np.ndarray
    target: int
    target_label: str
    cam_layer: str
    cam: np.ndarray
    cam_scale: float
    cam_coarse: np.ndarray
    blocks: tuple[BlockStats, ...]
    activations: tuple[BlockActivation, ...]
    method: str = "gradcam"
    method_settings: Mapping[str, Any] = field(default_factory=dict)
    signed: bool = False
    cam_zero: bool = False
    cam_negative: bool = False
    stage_cams: tuple[tuple[str, np.ndarray, float], ...] = ()
    pixels: bool = False

    @property
    def switched(self) -> dict[str, str]:
        """Only the blocks that are not intact."""
        return {k: v for k, v in self.modes.items() if v != "intact"}

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready summary (no maps): model, switches, top-k, target, block stats."""
        return {
            "model": self.model_name,
            "weights_source": self.weights_source,
            "input_size": list(self.image.shape[:2]),
            "switches": self.switched,
            "top_k": [
                {"index": int(i), "label": label, "probability": float(p)}
                for i, label, p in zip(
                    self.top_indices, self.top_labels, self.top_probs, strict=True
                )
            ],
            "target": {"index": self.target, "label": self.target_label},
            "cam_layer": self.cam_layer,
            "method": {
                "name": self.method,
                "settings": dict(self.method_settings),
                "signed": self.signed,
                "map_is_zero": self.cam_zero,
            },
            "blocks": [
                {
                    "name": b.name,
                    "stage": b.stage,
                    "mode": b.mode,
                    "downsampling": b.downsampling,
                    "out_shape": list(b.out_shape),
                    "residual_norm": b.residual_norm,
                    "shortcut_norm": b.shortcut_norm,
                    "ratio": None if math.isnan(b.ratio) else b.ratio,
                }
                for b in self.blocks
            ],
        }


@dataclass(frozen=True)
class ClassChange:
    """One class before and after switching.

    Attributes:
        index: class index.
        label: class name.
        prob_before: probability in the intact network.
        prob_after: probability in the switched network.
        rank_before: 1-based rank in the intact network.
        rank_after: 1-based rank in the switched network.
    """

    index: int
    label: str
    prob_before: float
    prob_after: float
    rank_before: int
    rank_after: int


@dataclass(frozen=True)
class Comparison:
    """Intact vs switched network on the same image, model and target class.

    Attributes:
        changes: the union of both top-k lists, ordered by intact probability.
        top1_before: intact top-1 class index.
        top1_after: switched top-1 class index.
        top1_changed: whether they differ.
        switched: block -> mode of the blocks that are not intact.
        cam_before: float32 (S, S) in [0, 1] ([-1, 1] for signed methods), the intact map on
            the shared scale.
        cam_after: float32 (S, S), the switched map on the shared scale (same range).
        cam_diff: float32 (S, S): cam_after - cam_before, in [-1, 1] ([-2, 2] for signed
            methods).
        shared_scale: the raw map value (largest |value|) that maps to 1 in both maps.
    """

    changes: tuple[ClassChange, ...]
    top1_before: int
    top1_after: int
    top1_changed: bool
    switched: Mapping[str, str]
    cam_before: np.ndarray
    cam_after: np.ndarray
    cam_diff: np.ndarray
    shared_scale: float

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready summary of the probability and rank changes."""
        return {
            "switches": dict(self.switched),
            "top1_before": self.top1_before,
            "top1_after": self.top1_after,
            "top1_changed": self.top1_changed,
            "changes": [
                {
                    "index": c.index,
                    "label": c.label,
                    "prob_before": c.prob_before,
                    "prob_after": c.prob_after,
                    "rank_before": c.rank_before,
                    "rank_after": c.rank_after,
                }
                for c in self.changes
            ],
        }
