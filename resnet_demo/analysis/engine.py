"""`analyze`: predictions, Grad-CAM, block activations and block statistics from one forward pass.

One Captum `LayerActivation` pass over every block (plus the head, for the logits) yields the
predictions, every block's output and every block's ‖F(x)‖ and ‖shortcut(x)‖. Grad-CAM then only
differentiates the tail after the chosen layer (see `gradcam.py`). Everything runs under the
model instance's lock, on a per-request `SwitchedResNet`, so the shared model never carries a hook
or a mode.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from captum.attr import LayerActivation, LayerAttribution

import resnet_demo.analysis.methods as methods
from resnet_demo.analysis.gradcam import tail_grad_cam, tail_grad_cams
from resnet_demo.analysis.results import Analysis, BlockActivation, BlockStats
from resnet_demo.errors import DemoError, Term, check_int
from resnet_demo.models import LoadedModel
from resnet_demo.switches import (
    DOWNSAMPLING,
    STAGES,
    SwitchedResNet,
    resolve_layer,
    shortcut_kind,
)


class AnalysisError(DemoError):
    """A request value of the wrong type or out of range (target class, top-k, layer), or two
    analyses that cannot be compared. Raised with a catalogue key (`[errors]`,
    `[errors_engine]`)."""


def _target(model: LoadedModel, target: object) -> int:
    """`target` as a class index of `model`, 0 .. num_classes - 1."""
    return check_int(
        target, Term("field_target_class"), 0, len(model.categories) - 1, error=AnalysisError
    )


def _model_input(model: LoadedModel, image: np.ndarray) -> tuple[np.ndarray, torch.Tensor]:
    """(view, x): the uint8 (S, S, 3) crop the network sees and its normalised float32
    (1, 3, S, S) tensor on the model's device. The prologue of `analyze` and `grad_cam`."""
    view = model.preprocessing.model_view(image)
    return view, model.to_input(view)


def _cam_at_input(coarse: torch.Tensor, size: tuple[int, int]) -> tuple[np.ndarray, float]:
    """Upsample a coarse (h, w) Grad-CAM bilinearly to `size` with Captum's `interpolate`, then
    divide by its max: (float32 (H, W) in [0, 1], the max)."""
    return _unit(LayerAttribution.interpolate(coarse[None, None], size, "bilinear")[0, 0])


def _unit(t: torch.Tensor) -> tuple[np.ndarray, float]:
    """Divide a map by its largest |value| (a non-negative map by its max); (zeros, 0.0) when
    it has none."""
    peak = float(t.abs().max()) if t.numel() else 0.0
    scaled = t / peak if peak > 0 else torch.zeros_like(t)
    return scaled.cpu().numpy().astype(np.float32, copy=True), peak


def _activation(name: str, out: torch.Tensor, n_channels: int) -> BlockActivation:
    out = out[0].detach().cpu()  # (C, h, w), >= 0 after the block's relu
    mean_map, mean_max = _unit(out.mean(dim=0))
    strengths, channels = out.mean(dim=(1, 2)).topk(min(n_channels, out.shape[0]))
    peaks = out[channels].flatten(1).amax(dim=1).clamp_min(1e-12)[:, None, None]
    return BlockActivation(
        name=name,
        mean_map=mean_map,
        mean_max=mean_max,
        top_channels=channels.numpy().astype(np.int64),
        top_strengths=strengths.numpy().astype(np.float32),
        top_maps=(out[channels] / peaks).numpy().astype(np.float32),
    )


def _block_stats(switched: SwitchedResNet, outputs: list[torch.Tensor]) -> tuple[BlockStats, ...]:
    stats = []
    for (name, block), out in zip(switched.blocks.items(), outputs, strict=True):
        norms = block.norms
        assert norms is not None, "analyze records the norms of every block"
        residual, identity = norms.residual[0], norms.shortcut[0]
        stats.append(
            BlockStats(
                name=name,
                stage=name.split(".")[0],
                mode=block.mode,
                downsampling=shortcut_kind(block.block) == DOWNSAMPLING,
                out_shape=(int(out.shape[1]), int(out.shape[2]), int(out.shape[3])),
                residual_norm=residual,
                shortcut_norm=identity,
                ratio=residual / identity if identity > 0 else math.nan,
            )
        )
    return tuple(stats)


def analyze(
    model: LoadedModel,
    image: np.ndarray,
    switches: Mapping[str, str] | None = None,
    target: int | None = None,
    cam_layer: str = "layer4",
    top_k: int = 5,
    n_channels: int = 8,
    method: str = methods.GRADCAM,
    method_settings: Mapping[str, object] | None = None,
    all_stages: bool = False,
) -> Analysis:
    """Run the whole analysis of one image.

    Args:
        model: a loaded model (its lock is held for the duration).
        image: RGB uint8 (H, W, 3), any size; resized and centre-cropped as the weights expect.
            Not modified.
        switches: block -> mode ("intact", "skip-off", "branch-off"); a stage name sets all its
            blocks. Default: all intact.
        target: class index to explain. Default: the top-1 class of this (switched) network.
        cam_layer: stage ("layer1".."layer4", meaning its last block) or block ("layer3.1").
            Default: "layer4".
        top_k: how many classes to list, >= 1; more than the model has classes (a teacher's
            3-class model and the default 5) lists every class. Default: 5.
        n_channels: strongest channels kept per block. Default: 8.
        method: attribution method of the map (`methods.METHOD_NAMES`). Default: "gradcam".
        method_settings: overrides of its settings (`methods.resolve_settings`). Default: none.
        all_stages: also compute Grad-CAM at the last block of every stage (`stage_cams`).
            Default: False.

    Returns:
        A frozen `Analysis` (numpy arrays only).

    Raises:
        AnalysisError: target/top_k out of range or of the wrong type.
        MethodError: unknown method or a bad setting.
        SwitchError: unknown block, mode or layer.
    """
    top_k = min(check_int(top_k, "top_k", 1, error=AnalysisError), len(model.categories))
    n_channels = check_int(n_channels, "n_channels", 1, 4096, error=AnalysisError)
    target = None if target is None else _target(model, target)
    view, x = _model_input(model, image)
    info = methods.check_method(method)
    settings = methods.resolve_settings(info.name, view.shape[0], method_settings)
    with model.lock:
        switched = SwitchedResNet(model.module, switches, record_norms=True)
        layer = resolve_layer(model.module, cam_layer)
        layers = [*switched.blocks.values(), switched.head]
        *block_outputs, logits = LayerActivation(switched, layers).attribute(x)
        probabilities = class_probabilities(logits)
        if target is None:
            target = int(probabilities.argmax())
        stats = _block_stats(switched, block_outputs)
        outputs = dict(zip(switched.blocks, block_outputs, strict=True))
        shown, signed, coarse, _ = _method_map(
            model, switched, info, settings, x, layer, outputs, target
        )
        stage_cams = _stage_cams(switched, outputs, target, view.shape[:2]) if all_stages else ()
    cam, cam_scale = _unit(shown)
    cam_coarse, _ = _unit(coarse)
    return Analysis(
        **_source(model, switched, view),
        **_predictions(model, probabilities, top_k),
        target=target,
        target_label=model.categories[target],
        cam_layer=layer,
        cam=cam,
        cam_scale=cam_scale,
        cam_coarse=cam_coarse,
        blocks=stats,
        activations=tuple(_activation(name, out, n_channels) for name, out in outputs.items()),
        method=info.name,
        method_settings=settings,
        signed=info.signed,
        pixels=not info.layer,
        cam_zero=methods.zero_map(signed, shown),
        cam_negative=methods.negative_evidence(signed, shown),
        stage_cams=stage_cams,
    )


def class_probabilities(logits: torch.Tensor) -> torch.Tensor:
    """Every class's probability for the first image of `logits` (N, classes): the softmax in
    float64 on the CPU (MPS has no float64), returned as float32 (classes,) on the CPU. Every
    top-1 the app shows is computed this way (`analyze`, the batch panel, the live view's intact
    top-1), so they agree to the bit."""
    return torch.softmax(logits[0].cpu().double(), dim=0).float()


def _source(model: LoadedModel, switched: SwitchedResNet, view: np.ndarray) -> dict[str, Any]:
    """`Analysis`'s fields that say what was analysed: model, weights, switches, image."""
    return {
        "model_name": model.name,
        "weights_source": model.source,
        "modes": dict(switched.modes),
        "image": view,
    }


def _predictions(model: LoadedModel, probabilities: torch.Tensor, top_k: int) -> dict[str, Any]:
    """`Analysis`'s prediction fields: every class's probability and the top `top_k`."""
    top_probs, top_indices = probabilities.topk(top_k)
    return {
        "probabilities": probabilities.numpy().copy(),
        "top_indices": top_indices.numpy().astype(np.int64),
        "top_labels": tuple(model.categories[i] for i in top_indices.tolist()),
        "top_probs": top_probs.numpy().astype(np.float32),
    }


_SHAPES: weakref.WeakKeyDictionary[torch.nn.Module, dict[tuple[int, ...], list[tuple[int, ...]]]]
_SHAPES = weakref.WeakKeyDictionary()


def _block_shapes(switched: SwitchedResNet, x: torch.Tensor) -> list[tuple[int, ...]]:
    """(C, h, w) of every block's output for an input shaped like `x`: measured by one forward
    without a graph the first time a network sees that input size, then remembered per network
    (no block's mode changes its output's shape). Runs under the model's lock."""
    known = _SHAPES.setdefault(switched.model, {})
    key = tuple(x.shape[1:])
    if key not in known:
        shapes = []
        with torch.inference_mode():
            h = switched.stem(x)
            for block in switched.blocks.values():
                h = block(h)
                shapes.append(tuple(h.shape[1:]))
        known[key] = shapes
    return known[key]


def _method_map(
    model: LoadedModel,
    switched: SwitchedResNet,
    info: methods.Method,
    settings: Mapping[str, object],
    x: torch.Tensor,
    layer: str,
    outputs: Mapping[str, torch.Tensor],
    target: int,
    out_shapes: Sequence[tuple[int, ...]] | None = None,
) -> methods.Maps:
    """The method's maps (`methods.Maps`). `out_shapes`: every block's output shape (for the
    batch size of batched methods), when `outputs` does not hold every block. Runs under the
    model's lock."""
    batch = 1
    if info.batched:
        shapes = out_shapes or [tuple(out.shape[1:]) for out in outputs.values()]
        per_image = methods.graph_bytes(shapes, int(x.shape[2]))
        if not info.gradients:  # forward only: no graph is kept
            per_image //= methods.GRAPH_MAPS_PER_BLOCK
        batch = methods.batch_size_for(per_image)
    run = methods.Run(
        switched,
        x,
        target,
        settings,
        layer,
        outputs,
        mean=model.preprocessing.mean,
        std=model.preprocessing.std,
        batch=batch,
    )
    return info.attribute(run)


def _stage_cams(
    switched: SwitchedResNet,
    outputs: Mapping[str, torch.Tensor],
    target: int,
    size: tuple[int, int],
) -> tuple[tuple[str, np.ndarray, float], ...]:
    """Grad-CAM (ReLU) of `target` at the last block of every stage, each at the input size and
    divided by its own max; all four from one tail pass (`tail_grad_cams`). Runs under the
    model's lock."""
    names = [last for stage in STAGES if (last := _last_block(outputs, stage))]
    cams = []
    for name, coarse in zip(names, tail_grad_cams(switched, names, outputs, target), strict=True):
        cam, peak = _cam_at_input(coarse, size)
        cams.append((name, cam, peak))
    return tuple(cams)


def _last_block(outputs: Mapping[str, torch.Tensor], stage: str) -> str:
    """The last block of `stage` among `outputs`' names ("" when the stage has none)."""
    names = [n for n in outputs if n.startswith(stage + ".")]
    return names[-1] if names else ""


def grad_cam(
    model: LoadedModel,
    image: np.ndarray,
    target: int,
    cam_layer: str = "layer4",
    switches: Mapping[str, str] | None = None,
) -> np.ndarray:
    """Grad-CAM alone: forward to the layer without gradients, then Captum on the tail.

    The same map as `analyze(...).cam` without the predictions, block maps and statistics (the
    benchmarks time it against Captum on the whole network).

    Args:
        model: a loaded model.
        image: RGB uint8 (H, W, 3).
        target: class index to explain.
        cam_layer: stage or block name. Default: "layer4".
        switches: block modes. Default: all intact.

    Returns:
        float32 (S, S) in [0, 1] at the model's input resolution.

    Raises:
        AnalysisError: target out of range or of the wrong type.
        SwitchError: unknown block, mode or layer.
    """
    target = _target(model, target)
    view, x = _model_input(model, image)
    with model.lock:
        switched = SwitchedResNet(model.module, switches)
        layer = resolve_layer(model.module, cam_layer)
        with torch.inference_mode():  # the prefix needs no graph; the tail gets its own
            _, activation = switched.block_inputs(x, through=layer)
        coarse = tail_grad_cam(switched, layer, activation, target)
    return _cam_at_input(coarse, view.shape[:2])[0]


def attribution_map(
    model: LoadedModel,
    image: np.ndarray,
    target: int,
    method: str = methods.GRADCAM,
    cam_layer: str = "layer4",
    switches: Mapping[str, str] | None = None,
    method_settings: Mapping[str, object] | None = None,
) -> tuple[np.ndarray, bool]:
    """One method's map alone, without the predictions, block maps and statistics (the
    faithfulness metrics, the sanity checks and the benchmarks call it many times).

    Args:
        model: a loaded model.
        image: RGB uint8 (H, W, 3).
        target: class index to explain.
        method: `methods.METHOD_NAMES`. Default: "gradcam".
        cam_layer: stage or block name (layer methods). Default: "layer4".
        switches: block modes. Default: all intact.
        method_settings: overrides of the method's settings. Default: none.

    Returns:
        (float32 (S, S) at the model's input resolution, in [0, 1] or, for signed methods, in
        [-1, 1]; whether it is (almost) zero everywhere).

    Raises:
        AnalysisError: target out of range or of the wrong type.
        MethodError: unknown method or a bad setting.
        SwitchError: unknown block, mode or layer.
    """
    target = _target(model, target)
    view, x = _model_input(model, image)
    info = methods.check_method(method)
    settings = methods.resolve_settings(info.name, view.shape[0], method_settings)
    with model.lock:
        switched = SwitchedResNet(model.module, switches)
        layer = resolve_layer(model.module, cam_layer)
        # Methods that read the chosen block's output need the blocks up to it; the others run
        # their own passes (the batched ones need only the blocks' output shapes, remembered
        # per network; guided Grad-CAM takes the block's output from its own forward).
        outputs: dict[str, torch.Tensor] = {}
        if info.reads_block:
            with torch.inference_mode():  # no graph: each method builds its own
                h = switched.stem(x)
                for name, block in switched.blocks.items():
                    h = outputs[name] = block(h)
                    if name == layer:
                        break
            outputs = {name: out.clone() for name, out in outputs.items()}  # leave inference
        shapes = _block_shapes(switched, x) if info.batched else None
        shown, signed, *_ = _method_map(
            model, switched, info, settings, x, layer, outputs, target, shapes
        )
    cam, _ = _unit(shown)
    return cam, methods.zero_map(signed, shown)
