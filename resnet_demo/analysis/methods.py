"""Attribution methods through Captum, on the per-request `SwitchedResNet`.

Every method explains one class's logit of the *switched* network (so every switch applies) and
hooks only per-request modules: the layer methods differentiate the network's tail after the
chosen block from that block's output (`gradcam.py`), guided backprop hooks the view's own ReLU
modules (`SwitchedResNet.relus`), and the other methods hook nothing at all.

| name                   | map                                   | Captum                        |
|------------------------|---------------------------------------|-------------------------------|
| gradcam                | relu(sum_k alpha_k A^k) at a block    | LayerGradCam (relu)           |
| gradcam-signed         | sum_k alpha_k A^k, signed             | LayerGradCam                  |
| grad-x-act             | sum_k dy/dA^k * A^k, signed (HiResCAM)| LayerGradientXActivation      |
| guided-gradcam         | guided backprop x Grad-CAM (nearest)  | GuidedBackprop + LayerGradCam |
| saliency               | |dy/dx|                               | Saliency                      |
| integrated-gradients   | IG, 32 steps, black or blurred start  | IntegratedGradients           |
| smoothgrad             | mean dy/dx over 16 noisy copies       | NoiseTunnel(Saliency)         |
| occlusion              | logit drop under a grey window        | Occlusion                     |

Layer methods return a map at the block's resolution; pixel methods return (1, 3, S, S) and
`pixel_map` reduces them to the sum over colour channels of |attribution|. Methods that evaluate
the network many times (integrated gradients, SmoothGrad, occlusion) run in batches sized by
`batch_size_for` so that the autograd graph stays within `GRAPH_BUDGET_BYTES`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from captum.attr import (
    GuidedBackprop,
    IntegratedGradients,
    LayerAttribution,
    NoiseTunnel,
    Occlusion,
    Saliency,
)
from torch import nn
from torchvision.transforms.functional import gaussian_blur

from resnet_demo.analysis.gradcam import tail_grad_cam, tail_grad_x_act
from resnet_demo.errors import DemoError, check_int, check_number
from resnet_demo.switches import SwitchedResNet

GRADCAM = "gradcam"
GRADCAM_SIGNED = "gradcam-signed"
GRAD_X_ACT = "grad-x-act"
GUIDED_GRADCAM = "guided-gradcam"
SALIENCY = "saliency"
INTEGRATED_GRADIENTS = "integrated-gradients"
SMOOTHGRAD = "smoothgrad"
OCCLUSION = "occlusion"

IG_STEPS = 32
"""Integrated-gradients steps (Gauss-Legendre points along the path)."""
BLACK, BLURRED = "black", "blurred"
IG_BASELINES: tuple[str, ...] = (BLACK, BLURRED)
"""Starting images of the integrated-gradients path: all-black pixels, or the image blurred."""
SMOOTHGRAD_SAMPLES = 16
SMOOTHGRAD_NOISE = 0.15
"""SmoothGrad's noise standard deviation as a share of the input's value range (Smilkov et al.
2017 §3 found 10-20 % best)."""
NOISE_SEED = 0
"""Seed of SmoothGrad's noise: the same image gives the same map."""
MAX_WINDOWS = 200
"""Occlusion never evaluates more windows than this (plus the unoccluded image)."""
GRAPH_BUDGET_BYTES = 256 * 2**20
"""Memory the batched methods' autograd graphs may take at once (estimate: `graph_bytes`)."""
GRAPH_MAPS_PER_BLOCK = 6
"""Maps of a block's output size that its part of an autograd graph keeps (`graph_bytes`); a
forward pass without a graph holds about one such map per block at a time, so occlusion's
batches are sized for 1/6 of the graph estimate (measured: `benchmarks/bench_method_memory.py`)."""
MAX_BATCH = 32
"""Images per batched evaluation at most, whatever the memory allows."""


class MethodError(DemoError):
    """An unknown method or a method setting of the wrong type or out of range (catalogue keys
    in `[errors_engine]`)."""


@dataclass(frozen=True)
class Method:
    """One attribution method.

    Attributes:
        name: CLI / API name, e.g. "gradcam-signed".
        captum: the Captum classes that compute it.
        layer: True for layer methods (they explain a block's output), False for pixel methods.
        signed: the map keeps its sign (scaled to [-1, 1]); otherwise it is >= 0 ([0, 1]).
        gradients: the method uses gradients (it can be randomised by the sanity checks and its
            map can vanish when the target's gradient does).
    """

    name: str
    captum: str
    layer: bool
    signed: bool
    gradients: bool = True


METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        Method(GRADCAM, "LayerGradCam(relu_attributions=True)", layer=True, signed=False),
        Method(GRADCAM_SIGNED, "LayerGradCam", layer=True, signed=True),
        Method(GRAD_X_ACT, "LayerGradientXActivation", layer=True, signed=True),
        Method(GUIDED_GRADCAM, "GuidedBackprop x LayerGradCam", layer=True, signed=False),
        Method(SALIENCY, "Saliency", layer=False, signed=False),
        Method(INTEGRATED_GRADIENTS, "IntegratedGradients", layer=False, signed=False),
        Method(SMOOTHGRAD, "NoiseTunnel(Saliency)", layer=False, signed=False),
        Method(OCCLUSION, "Occlusion", layer=False, signed=False, gradients=False),
    )
}
METHOD_NAMES: tuple[str, ...] = tuple(METHODS)
"""Every method, in the order the CLI and the page list them."""


def check_method(name: object) -> Method:
    """The `Method` called `name`.

    Raises:
        MethodError: not one of `METHOD_NAMES` (key `method_unknown`).
    """
    if not isinstance(name, str) or name not in METHODS:
        raise MethodError("method_unknown", method=repr(name), choices=", ".join(METHOD_NAMES))
    return METHODS[name]


def occlusion_grid(size: int, max_windows: int = MAX_WINDOWS) -> tuple[int, int, int]:
    """(window, stride, windows) for a square input of `size` pixels: square windows of twice
    the stride (each pixel is covered by up to four), the smallest stride whose grid of windows
    stays within `max_windows`."""
    check_int(size, "size", 2, error=MethodError)
    stride = 1
    while True:
        window = min(size, 2 * stride)
        per_side = (size - window) // stride + 1
        if per_side * per_side <= max_windows:
            return window, stride, per_side * per_side
        stride += 1


def default_settings(method: str, size: int) -> dict[str, Any]:
    """The settings `method` runs with on a `size`-pixel input (written into result.json)."""
    name = check_method(method).name
    if name in (GRADCAM, GUIDED_GRADCAM):
        base: dict[str, Any] = {"relu": True}
        if name == GUIDED_GRADCAM:
            base["gradcam_upsampling"] = "nearest"
        return base
    if name == GRADCAM_SIGNED:
        return {"relu": False}
    if name == GRAD_X_ACT:
        return {"reduction": "sum over channels"}
    if name == SALIENCY:
        return {"abs": True}
    if name == INTEGRATED_GRADIENTS:
        return {"steps": IG_STEPS, "baseline": BLACK, "integration": "gausslegendre"}
    if name == SMOOTHGRAD:
        return {"samples": SMOOTHGRAD_SAMPLES, "noise": SMOOTHGRAD_NOISE, "seed": NOISE_SEED}
    window, stride, windows = occlusion_grid(size)
    return {"window": window, "stride": stride, "windows": windows, "baseline": "mean colour"}


def resolve_settings(
    method: str, size: int, overrides: Mapping[str, object] | None = None
) -> dict[str, Any]:
    """`default_settings` with `overrides` applied and checked.

    Overridable: integrated-gradients `steps` (1-256) and `baseline` ("black" / "blurred");
    smoothgrad `samples` (1-64), `noise` (0-1) and `seed`; occlusion `window` and `stride`
    (at most `MAX_WINDOWS` windows).

    Raises:
        MethodError: an unknown setting, or a value of the wrong type or out of range.
    """
    settings = default_settings(method, size)
    allowed = {
        INTEGRATED_GRADIENTS: ("steps", "baseline"),
        SMOOTHGRAD: ("samples", "noise", "seed"),
        OCCLUSION: ("window", "stride"),
    }.get(method, ())
    for key, value in (overrides or {}).items():
        if key not in allowed:
            raise MethodError("method_bad_setting", method=method, setting=repr(key))
        settings[key] = value
    if method == INTEGRATED_GRADIENTS:
        settings["steps"] = check_int(settings["steps"], "steps", 1, 256, error=MethodError)
        if settings["baseline"] not in IG_BASELINES:
            raise MethodError(
                "method_bad_baseline",
                value=repr(settings["baseline"]),
                choices=", ".join(IG_BASELINES),
            )
    elif method == SMOOTHGRAD:
        settings["samples"] = check_int(settings["samples"], "samples", 1, 64, error=MethodError)
        settings["noise"] = check_number(settings["noise"], "noise", 0, 1, error=MethodError)
        settings["seed"] = check_int(settings["seed"], "seed", 0, error=MethodError)
    elif method == OCCLUSION:
        window = check_int(settings["window"], "window", 1, size, error=MethodError)
        stride = check_int(settings["stride"], "stride", 1, size, error=MethodError)
        windows = ((size - window) // stride + 1) ** 2
        if windows > MAX_WINDOWS:
            raise MethodError("method_too_many_windows", windows=windows, limit=MAX_WINDOWS)
        settings.update(window=window, stride=stride, windows=windows)
    return settings


def graph_bytes(out_shapes: Sequence[Sequence[int]], input_size: int) -> int:
    """Estimated bytes of one image's autograd graph through the network.

    Each block keeps about six maps of its output's size for the backward pass (convolution and
    BatchNorm inputs, ReLU outputs; a bottleneck's three narrower maps average out the same),
    the stem three maps of 64 channels at half the input size, all float32.

    Args:
        out_shapes: (C, h, w) of every block's output, forward order.
        input_size: side of the input in pixels.
    """
    blocks = sum(math.prod(shape) for shape in out_shapes)
    stem = 3 * 64 * (input_size // 2) ** 2
    return 4 * (GRAPH_MAPS_PER_BLOCK * blocks + stem)


def batch_size_for(per_image_bytes: int, budget: int = GRAPH_BUDGET_BYTES) -> int:
    """Images per batched evaluation: as many as fit in `budget`, 1 to `MAX_BATCH`."""
    return max(1, min(MAX_BATCH, budget // max(1, per_image_bytes)))


class _Relus(nn.Module):
    """A module whose only submodules are a switched view's own ReLUs and whose forward is the
    view's: Captum's GuidedBackprop hooks every `nn.ReLU` it finds in its model's modules, so
    given this, it hooks nothing shared."""

    def __init__(self, switched: SwitchedResNet) -> None:
        super().__init__()
        self.relus = nn.ModuleList(switched.relus())
        self._forward = switched.forward  # a bound method: not registered as a submodule

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._forward(x)


def layer_map(
    switched: SwitchedResNet,
    method: str,
    name: str,
    activation: torch.Tensor,
    target: int,
) -> torch.Tensor:
    """A layer method's raw map at block `name` from that block's output.

    Args:
        switched: the per-request network (not changed).
        method: "gradcam", "gradcam-signed" or "grad-x-act" (guided-gradcam's Grad-CAM part is
            "gradcam").
        name: block whose output is explained, e.g. "layer4.1".
        activation: that block's output (1, C, h, w); not modified.
        target: class index.

    Returns:
        float32 (h, w), unscaled; >= 0 for "gradcam".
    """
    if method == GRAD_X_ACT:
        return tail_grad_x_act(switched, name, activation, target)
    signed = tail_grad_cam(switched, name, activation, target, relu=False)
    return signed.clamp_min(0) if method in (GRADCAM, GUIDED_GRADCAM) else signed


def blurred(x: torch.Tensor) -> torch.Tensor:
    """`x` (N, 3, S, S) blurred with a Gaussian of standard deviation S / 16 pixels (kernel
    about 6 sigma wide, reflected at the edges): the blurred-image baseline of integrated
    gradients (Sturmfels et al. 2020, "Visualizing the impact of feature attribution
    baselines")."""
    size = x.shape[-1]
    sigma = max(0.5, size / 16)
    kernel = 2 * int(3 * sigma) + 1
    kernel = min(kernel, 2 * ((size - 1) // 2) + 1)
    return gaussian_blur(x, [kernel, kernel], [sigma, sigma])


def black(x: torch.Tensor, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    """The all-black image (pixels 0) in `x`'s normalisation, shaped like `x`."""
    m = torch.tensor(mean, dtype=x.dtype).view(1, -1, 1, 1)
    s = torch.tensor(std, dtype=x.dtype).view(1, -1, 1, 1)
    return ((0 - m) / s).expand_as(x).contiguous()


def pixel_attribution(
    switched: SwitchedResNet,
    method: str,
    x: torch.Tensor,
    target: int,
    settings: Mapping[str, Any],
    *,
    mean: Sequence[float] = (0.0, 0.0, 0.0),
    std: Sequence[float] = (1.0, 1.0, 1.0),
    batch: int = 1,
    cam: torch.Tensor | None = None,
    layer: str | None = None,
) -> torch.Tensor:
    """A pixel method's raw attribution (1, 3, S, S) of class `target`.

    Args:
        switched: the per-request network (not changed; guided backprop hooks its own ReLUs).
        method: a pixel method, or "guided-gradcam" (then `cam` is its Grad-CAM part).
        x: the normalised input (1, 3, S, S); not modified.
        target: class index.
        settings: from `resolve_settings`.
        mean, std: the normalisation of `x` (integrated gradients' black baseline).
        batch: images per evaluation of the batched methods (`batch_size_for`).
        cam: guided-gradcam only: the ReLU'd Grad-CAM (h, w) at the chosen block; when None,
            it is computed from block `layer`'s output, recorded during guided backprop's own
            forward pass (the same values: guided backprop changes only the backward pass).
        layer: guided-gradcam only, when `cam` is None: the block of the Grad-CAM.
    """
    x = x.detach().clone()
    with warnings.catch_warnings():
        # Captum warns that it sets (and afterwards removes) ReLU hooks and that the input did
        # not require gradients: both are what this module intends.
        warnings.simplefilter("ignore", UserWarning)
        if method == GUIDED_GRADCAM and cam is None:
            assert layer is not None, "guided-gradcam needs its Grad-CAM's block"
            return _guided_gradcam(switched, x, target, layer)
        return _pixel_attribution(switched, method, x, target, settings, mean, std, batch, cam)


def _guided_gradcam(
    switched: SwitchedResNet, x: torch.Tensor, target: int, layer: str
) -> torch.Tensor:
    """Guided Grad-CAM with the block's output taken from guided backprop's forward pass (a
    hook on the per-request block, removed however the call ends)."""
    seen: list[torch.Tensor] = []
    handle = switched.blocks[layer].register_forward_hook(
        lambda _module, _inputs, output: seen.append(output.detach().clone())
    )
    try:
        guided = GuidedBackprop(_Relus(switched)).attribute(x, target=target)
    finally:
        handle.remove()
    cam = layer_map(switched, GRADCAM, layer, seen[0], target)
    up = LayerAttribution.interpolate(cam[None, None], tuple(x.shape[2:]), "nearest")
    return guided * up


def _pixel_attribution(
    switched: SwitchedResNet,
    method: str,
    x: torch.Tensor,
    target: int,
    settings: Mapping[str, Any],
    mean: Sequence[float],
    std: Sequence[float],
    batch: int,
    cam: torch.Tensor | None,
) -> torch.Tensor:
    if method == GUIDED_GRADCAM:
        assert cam is not None, "guided-gradcam needs its Grad-CAM part"
        guided = GuidedBackprop(_Relus(switched)).attribute(x, target=target)
        # As Captum's GuidedGradCam: the map upsampled by nearest neighbour, times each channel.
        up = LayerAttribution.interpolate(cam[None, None], tuple(x.shape[2:]), "nearest")
        return guided * up
    if method == SALIENCY:
        return Saliency(switched).attribute(x, target=target, abs=True)
    if method == INTEGRATED_GRADIENTS:
        start = black(x, mean, std) if settings["baseline"] == BLACK else blurred(x)
        return IntegratedGradients(switched).attribute(
            x,
            baselines=start,
            target=target,
            n_steps=settings["steps"],
            method="gausslegendre",
            internal_batch_size=batch,
        )
    if method == SMOOTHGRAD:
        spread = float(settings["noise"]) * float(x.max() - x.min())
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(settings["seed"])
            return NoiseTunnel(Saliency(switched)).attribute(
                x,
                nt_type="smoothgrad",
                nt_samples=settings["samples"],
                nt_samples_batch_size=batch,
                stdevs=spread,
                target=target,
                abs=False,
            )
    if method == OCCLUSION:
        window, stride = settings["window"], settings["stride"]
        with torch.no_grad():
            return Occlusion(switched).attribute(
                x,
                sliding_window_shapes=(3, window, window),
                strides=(3, stride, stride),
                baselines=0.0,  # the mean colour: 0 after normalisation
                target=target,
                perturbations_per_eval=batch,
            )
    raise MethodError("method_unknown", method=repr(method), choices=", ".join(METHOD_NAMES))


def pixel_map(attribution: torch.Tensor) -> torch.Tensor:
    """(1, 3, S, S) attribution -> (S, S): the sum over colour channels of |attribution|."""
    return attribution.detach()[0].abs().sum(dim=0)


def upsample(coarse: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """A layer map (h, w) bilinearly to `size` with Captum's `interpolate` (as Grad-CAM always
    has been shown here)."""
    return LayerAttribution.interpolate(coarse[None, None], size, "bilinear")[0, 0]


def zero_map(signed: torch.Tensor, shown: torch.Tensor, share: float = 0.01) -> bool:
    """Whether the map shown is (almost) zero everywhere: its largest |value| is 0, or at most
    `share` of the largest |value| of the signed map it was cut from (Grad-CAM's ReLU removed
    almost everything: the class's evidence at this layer is negative)."""
    peak = float(shown.abs().max()) if shown.numel() else 0.0
    reference = float(signed.abs().max()) if signed.numel() else 0.0
    return peak <= 0.0 or (reference > 0 and peak <= share * reference)


def negative_evidence(signed: torch.Tensor, shown: torch.Tensor) -> bool:
    """Whether the signed map holds negative evidence larger than anything the shown map kept:
    its most negative value is below zero and larger in size than the shown map's peak. A zero
    map (`zero_map`) is then zero because the ReLU cut the negative evidence away; when this is
    False, the signed map is (almost) zero as well, e.g. when the layer's activations are all 0,
    and it shows no evidence either way."""
    if not signed.numel():
        return False
    peak = float(shown.abs().max()) if shown.numel() else 0.0
    lowest = float(signed.min())
    return lowest < 0.0 and -lowest > peak
