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
| gradient-shap          | mean (x - b) dy/dx at 16 random points| GradientShap                  |

Each method is one `Method` entry of `METHODS`: how it attributes, whether it batches, its
passes per map, the settings a caller may change (defaults, ranges, command-line flags) and its
catalogue words. The engine, the page's picker and cost note, the card and the command line read
the entry; adding a method is adding an entry, its words and its test.

Layer methods give a map at the block's resolution; pixel methods a (1, 3, S, S) attribution
that `pixel_map` reduces to the sum over colour channels of |attribution|. Methods that evaluate
the network many times (integrated gradients, SmoothGrad, occlusion, GradientSHAP) run in
batches sized by `batch_size_for` so that the autograd graph stays within `GRAPH_BUDGET_BYTES`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

import numpy as np
import torch
from captum.attr import (
    GradientShap,
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
GRADIENT_SHAP = "gradient-shap"

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
"""Seed of SmoothGrad's noise and GradientSHAP's draws: the same image gives the same map."""
GRADIENT_SHAP_SAMPLES = 16
"""GradientSHAP's random points per map (its baselines: the black and the blurred image)."""
GRADIENT_SHAP_NOISE = 0.0
"""GradientSHAP's noise on the input, a share of its value range: none, Captum's default."""
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
class Setting:
    """One setting of a method that a caller may change: its default, its range, and the flag
    and help words of the command line (`cli.py` builds the flags from these).

    Attributes:
        name: key in the method's settings (and in result.json), e.g. "steps".
        default: the value unless changed; a callable takes the input's side in pixels.
        kind: int, float or str.
        low, high: the range of a number, inclusive; None: unbounded on that side.
        up_to_size: the input's side is the upper bound (occlusion's window and stride).
        choices: the allowed values of a str setting.
        flag: the `explain` flag that sets it, e.g. "--steps"; None: the Python API only. A flag
            may serve several methods, always for a setting of the same name, kind and choices.
        help: catalogue key of what the setting is, for the flag's help (a flag's setting
            has a plain default and, for a number, both bounds).
    """

    name: str
    default: object
    kind: type = int
    low: float | None = None
    high: float | None = None
    up_to_size: bool = False
    choices: tuple[str, ...] = ()
    flag: str | None = None
    help: str = ""

    def default_for(self, size: int) -> object:
        """The default on a `size`-pixel input."""
        return self.default(size) if callable(self.default) else self.default

    def check(self, value: object, size: int) -> object:
        """`value` checked against the kind and range (as int, float or one of the choices).

        Raises:
            MethodError: of the wrong type, out of range (keys of `errors.check_int`), or not
                one of the choices (key `method_bad_choice`).
        """
        if self.choices:
            if not isinstance(value, str) or value not in self.choices:
                raise MethodError(
                    "method_bad_choice",
                    setting=self.name,
                    value=repr(value),
                    choices=", ".join(self.choices),
                )
            return value
        high = size if self.up_to_size else self.high
        if self.kind is int:
            low, top = _whole(self.low), _whole(high)
            return check_int(value, self.name, low, top, error=MethodError)
        return check_number(value, self.name, self.low, high, error=MethodError)


def _whole(bound: float | None) -> int | None:
    return None if bound is None else int(bound)


class Maps(NamedTuple):
    """A method's maps of one image, unscaled.

    Attributes:
        shown: the map at the input (S, S): a layer map upsampled, a pixel attribution's sum
            over colour channels of |value|.
        signed: the signed map `shown` was cut from (Grad-CAM's map before its ReLU), for
            `zero_map` and `negative_evidence`.
        coarse: the map at its own resolution: the block's grid (h, w) for layer methods, the
            input's for pixel methods.
        raw: what Captum's counterpart returns: the block's map (h, w) or the pixel attribution
            (1, 3, S, S).
    """

    shown: torch.Tensor
    signed: torch.Tensor
    coarse: torch.Tensor
    raw: torch.Tensor


@dataclass(frozen=True)
class Run:
    """What a method's `attribute` is given for one map.

    Attributes:
        switched: the per-request network (not changed; methods that hook, hook its own
            modules).
        x: the normalised input (1, 3, S, S); not modified.
        target: class index.
        settings: from `resolve_settings`.
        layer: the chosen block, e.g. "layer4.1".
        outputs: block outputs already computed, by name; the chosen block's is there for
            methods with `Method.reads_block`.
        mean, std: the normalisation of `x` (the black baseline).
        batch: images per evaluation of the batched methods (`batch_size_for`).
    """

    switched: SwitchedResNet
    x: torch.Tensor
    target: int
    settings: Mapping[str, Any]
    layer: str
    outputs: Mapping[str, torch.Tensor] = field(default_factory=dict)
    mean: Sequence[float] = (0.0, 0.0, 0.0)
    std: Sequence[float] = (1.0, 1.0, 1.0)
    batch: int = 1


Attribute = Callable[[Run], Maps]


def _one_pass(_settings: Mapping[str, Any]) -> int:
    return 1


@dataclass(frozen=True)
class Method:
    """One attribution method: everything the engine, the page, the card and the command line
    know of it.

    Attributes:
        name: CLI / API name, e.g. "gradcam-signed".
        captum: the Captum classes that compute it.
        attribute: computes its maps (`Run` -> `Maps`).
        layer: True for layer methods (they explain a block's output, the layer picker
            applies), False for pixel methods.
        signed: the map keeps its sign (scaled to [-1, 1]); otherwise it is >= 0 ([0, 1]).
        gradients: the method uses gradients (it can be randomised by the sanity checks and its
            map can vanish when the target's gradient does); without them its batched
            evaluations keep no autograd graph.
        reads_block: `attribute` reads the chosen block's output from `Run.outputs` (the
            engine computes it first).
        batched: it evaluates the network many times, `Run.batch` images at a time.
        passes: network evaluations of one map, from its settings (the page's cost note).
        settings: what a caller may change (`Setting`), in the order result.json lists them.
        fixed: settings written into result.json that no caller changes.
        derive: completes and checks the settings as a whole, after each one is checked
            (occlusion's number of windows); may raise `MethodError`.
        cost: catalogue key of what makes a many-pass map slow, filled from its settings; None
            for a method that costs about one forward and backward pass.

    Its words are catalogue keys named after it (`words`): the picker's name, the page's note
    and the command line's entry in `--method`'s help.
    """

    name: str
    captum: str
    attribute: Attribute
    layer: bool
    signed: bool
    gradients: bool = True
    reads_block: bool = False
    batched: bool = False
    passes: Callable[[Mapping[str, Any]], int] = _one_pass
    settings: tuple[Setting, ...] = ()
    fixed: Mapping[str, object] = field(default_factory=dict)
    derive: Callable[[dict[str, Any], int], None] | None = None
    cost: str | None = None

    def words(self, kind: str) -> str:
        """Catalogue key of its `kind` of words: "choice" (the picker's name), "help" (the
        page's note) or "cli" (its entry in `--method`'s help)."""
        return f"method_{kind}_{self.name.replace('-', '_')}"

    def defaults(self, size: int) -> dict[str, Any]:
        """Its settings on a `size`-pixel input, nothing changed."""
        return self.resolve(size, None)

    def resolve(self, size: int, overrides: Mapping[str, object] | None) -> dict[str, Any]:
        """Its settings with `overrides` applied and checked (see `resolve_settings`)."""
        known = {s.name: s for s in self.settings}
        chosen = {s.name: s.default_for(size) for s in self.settings}
        for key, value in (overrides or {}).items():
            if key not in known:
                raise MethodError("method_bad_setting", method=self.name, setting=repr(key))
            chosen[key] = value
        settings = {name: known[name].check(value, size) for name, value in chosen.items()}
        if self.derive is not None:
            self.derive(settings, size)
        return {**settings, **self.fixed}


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
    """The all-black image (pixels 0) in `x`'s normalisation, shaped like `x`, on its device."""
    m = torch.tensor(mean, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
    s = torch.tensor(std, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
    return ((0 - m) / s).expand_as(x).contiguous()


def _baseline(run: Run, name: str) -> torch.Tensor:
    """The starting image `name` ("black" or "blurred") of `run`'s input."""
    return black(run.x, run.mean, run.std) if name == BLACK else blurred(run.x)


@contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """torch's and numpy's global random numbers seeded with `seed` inside, and restored
    afterwards (Captum's GradientShap draws its baselines and points with numpy)."""
    state = np.random.get_state()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        np.random.seed(seed)
        try:
            yield
        finally:
            np.random.set_state(state)


# --- The methods' maps ---------------------------------------------------------------------------


def _grad_cam(relu: bool) -> Attribute:
    """Grad-CAM at the chosen block, with or without its ReLU: one tail pass gives the signed
    map and, cut at zero, the ReLU'd one."""

    def attribute(run: Run) -> Maps:
        activation = run.outputs[run.layer]
        signed = tail_grad_cam(run.switched, run.layer, activation, run.target, relu=False)
        raw = signed.clamp_min(0) if relu else signed
        return Maps(upsample(raw, _side(run.x)), signed, raw, raw)

    return attribute


def _grad_x_act(run: Run) -> Maps:
    raw = tail_grad_x_act(run.switched, run.layer, run.outputs[run.layer], run.target)
    return Maps(upsample(raw, _side(run.x)), raw, raw, raw)


def _side(x: torch.Tensor) -> tuple[int, int]:
    return int(x.shape[2]), int(x.shape[3])


def _pixels(attribution: Callable[[Run], torch.Tensor]) -> Attribute:
    """A pixel method's `attribute` from its raw (1, 3, S, S) `attribution`, which runs on a
    copy of the per-request network that records no norms, with a copy of the input."""

    def attribute(run: Run) -> Maps:
        plain = SwitchedResNet(run.switched.model, run.switched.modes)
        with warnings.catch_warnings():
            # Captum warns that it sets (and afterwards removes) ReLU hooks and that the input
            # did not require gradients: both are what this module intends.
            warnings.simplefilter("ignore", UserWarning)
            raw = attribution(replace(run, switched=plain, x=run.x.detach().clone()))
        shown = pixel_map(raw)
        return Maps(shown, shown, shown, raw)

    return attribute


def _guided_gradcam(run: Run) -> torch.Tensor:
    """Guided backprop times the ReLU'd Grad-CAM at the chosen block, upsampled by nearest
    neighbour (as Captum's GuidedGradCam). The block's output comes from `run.outputs` when it
    is there, else from guided backprop's own forward pass (a hook on the per-request block,
    removed however the call ends; the same values: guided backprop changes only the backward
    pass)."""
    seen = [run.outputs[run.layer]] if run.layer in run.outputs else []
    handle = None
    if not seen:
        handle = run.switched.blocks[run.layer].register_forward_hook(
            lambda _module, _inputs, output: seen.append(output.detach().clone())
        )
    try:
        guided = GuidedBackprop(_Relus(run.switched)).attribute(run.x, target=run.target)
    finally:
        if handle is not None:
            handle.remove()
    cam = tail_grad_cam(run.switched, run.layer, seen[0], run.target, relu=False).clamp_min(0)
    up = LayerAttribution.interpolate(cam[None, None], tuple(run.x.shape[2:]), "nearest")
    return guided * up


def _saliency(run: Run) -> torch.Tensor:
    return Saliency(run.switched).attribute(run.x, target=run.target, abs=True)


def _integrated_gradients(run: Run) -> torch.Tensor:
    return IntegratedGradients(run.switched).attribute(
        run.x,
        baselines=_baseline(run, run.settings["baseline"]),
        target=run.target,
        n_steps=run.settings["steps"],
        method="gausslegendre",
        internal_batch_size=run.batch,
    )


def _smoothgrad(run: Run) -> torch.Tensor:
    spread = float(run.settings["noise"]) * float(run.x.max() - run.x.min())
    with _seeded(run.settings["seed"]):
        return NoiseTunnel(Saliency(run.switched)).attribute(
            run.x,
            nt_type="smoothgrad",
            nt_samples=run.settings["samples"],
            nt_samples_batch_size=run.batch,
            stdevs=spread,
            target=run.target,
            abs=False,
        )


def _occlusion(run: Run) -> torch.Tensor:
    window, stride = run.settings["window"], run.settings["stride"]
    with torch.no_grad():
        return Occlusion(run.switched).attribute(
            run.x,
            sliding_window_shapes=(3, window, window),
            strides=(3, stride, stride),
            baselines=0.0,  # the mean colour: 0 after normalisation
            target=run.target,
            perturbations_per_eval=run.batch,
        )


def _gradient_shap(run: Run) -> torch.Tensor:
    """Captum's GradientShap with baselines drawn from the black and the blurred image, the
    input's noise a share of its value range, `Run.batch` points per call (the calls' mean,
    weighted by their points), seeded."""
    x, samples = run.x, int(run.settings["samples"])
    starts = torch.cat([black(x, run.mean, run.std), blurred(x)])
    spread = float(run.settings["noise"]) * float(x.max() - x.min())
    total = torch.zeros_like(x)
    with _seeded(run.settings["seed"]):
        for first in range(0, samples, run.batch):
            points = min(run.batch, samples - first)
            part = GradientShap(run.switched).attribute(
                x, baselines=starts, n_samples=points, stdevs=spread, target=run.target
            )
            total += points * part.detach()
    return total / samples


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


def _occlusion_windows(settings: dict[str, Any], size: int) -> None:
    """Occlusion's number of windows, at most `MAX_WINDOWS`."""
    windows = ((size - settings["window"]) // settings["stride"] + 1) ** 2
    if windows > MAX_WINDOWS:
        raise MethodError("method_too_many_windows", windows=windows, limit=MAX_WINDOWS)
    settings["windows"] = windows


# --- The registry --------------------------------------------------------------------------------

METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        Method(
            GRADCAM,
            "LayerGradCam(relu_attributions=True)",
            _grad_cam(relu=True),
            layer=True,
            signed=False,
            reads_block=True,
            fixed={"relu": True},
        ),
        Method(
            GRADCAM_SIGNED,
            "LayerGradCam",
            _grad_cam(relu=False),
            layer=True,
            signed=True,
            reads_block=True,
            fixed={"relu": False},
        ),
        Method(
            GRAD_X_ACT,
            "LayerGradientXActivation",
            _grad_x_act,
            layer=True,
            signed=True,
            reads_block=True,
            fixed={"reduction": "sum over channels"},
        ),
        Method(
            GUIDED_GRADCAM,
            "GuidedBackprop x LayerGradCam",
            _pixels(_guided_gradcam),
            layer=True,
            signed=False,
            fixed={"relu": True, "gradcam_upsampling": "nearest"},
        ),
        Method(
            SALIENCY, "Saliency", _pixels(_saliency), layer=False, signed=False, fixed={"abs": True}
        ),
        Method(
            INTEGRATED_GRADIENTS,
            "IntegratedGradients",
            _pixels(_integrated_gradients),
            layer=False,
            signed=False,
            batched=True,
            passes=lambda s: int(s["steps"]),
            settings=(
                Setting("steps", IG_STEPS, low=1, high=256, flag="--steps", help="cli_steps_help"),
                Setting(
                    "baseline",
                    BLACK,
                    kind=str,
                    choices=IG_BASELINES,
                    flag="--baseline",
                    help="cli_baseline_help",
                ),
            ),
            fixed={"integration": "gausslegendre"},
            cost="method_cost_ig",
        ),
        Method(
            SMOOTHGRAD,
            "NoiseTunnel(Saliency)",
            _pixels(_smoothgrad),
            layer=False,
            signed=False,
            batched=True,
            passes=lambda s: int(s["samples"]),
            settings=(
                Setting(
                    "samples",
                    SMOOTHGRAD_SAMPLES,
                    low=1,
                    high=64,
                    flag="--samples",
                    help="cli_samples_help",
                ),
                Setting("noise", SMOOTHGRAD_NOISE, kind=float, low=0, high=1),
                Setting("seed", NOISE_SEED, low=0),
            ),
            cost="method_cost_smoothgrad",
        ),
        Method(
            OCCLUSION,
            "Occlusion",
            _pixels(_occlusion),
            layer=False,
            signed=False,
            gradients=False,
            batched=True,
            passes=lambda s: int(s["windows"]) + 1,  # and the image itself
            settings=(
                Setting("window", lambda size: occlusion_grid(size)[0], low=1, up_to_size=True),
                Setting("stride", lambda size: occlusion_grid(size)[1], low=1, up_to_size=True),
            ),
            fixed={"baseline": "mean colour"},
            derive=_occlusion_windows,
            cost="method_cost_occlusion",
        ),
        Method(
            GRADIENT_SHAP,
            "GradientShap",
            _pixels(_gradient_shap),
            layer=False,
            signed=False,
            batched=True,
            passes=lambda s: int(s["samples"]),
            settings=(
                Setting(
                    "samples",
                    GRADIENT_SHAP_SAMPLES,
                    low=1,
                    high=64,
                    flag="--samples",
                    help="cli_gradient_shap_samples_help",
                ),
                Setting("noise", GRADIENT_SHAP_NOISE, kind=float, low=0, high=1),
                Setting("seed", NOISE_SEED, low=0),
            ),
            fixed={"baselines": f"{BLACK}, {BLURRED}"},
            cost="method_cost_gradient_shap",
        ),
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


def default_settings(method: str, size: int) -> dict[str, Any]:
    """The settings `method` runs with on a `size`-pixel input (written into result.json).

    Raises:
        MethodError: an unknown method (key `method_unknown`).
    """
    return check_method(method).defaults(size)


def resolve_settings(
    method: str, size: int, overrides: Mapping[str, object] | None = None
) -> dict[str, Any]:
    """`default_settings` with `overrides` applied and checked: only a method's `settings` may be
    changed, each within its range or choices (integrated gradients: `steps` 1-256, `baseline`
    "black" / "blurred"; SmoothGrad and GradientSHAP: `samples` 1-64, `noise` 0-1, `seed`;
    occlusion: `window` and `stride`, at most `MAX_WINDOWS` windows).

    Raises:
        MethodError: an unknown method or setting, or a value of the wrong type or out of range.
    """
    return check_method(method).resolve(size, overrides)


def setting_flags() -> dict[str, list[tuple[Method, Setting]]]:
    """Every `explain` flag of a method setting, in registry order, with the methods and
    settings it sets (one flag may serve several methods: `Setting.flag`)."""
    flags: dict[str, list[tuple[Method, Setting]]] = {}
    for method in METHODS.values():
        for setting in method.settings:
            if setting.flag is not None:
                flags.setdefault(setting.flag, []).append((method, setting))
    return flags


def attribute(method: str, run: Run) -> Maps:
    """`method`'s maps of `run` (the engine calls it under the model's lock).

    Raises:
        MethodError: an unknown method (key `method_unknown`).
    """
    return check_method(method).attribute(run)


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
