"""Attribution methods (`analysis/methods.py`) against Captum applied directly.

Oracles: with every block intact, each method equals Captum on the whole torchvision model (the
model's own modules as Captum's layers); with switches, Captum on a switched forward composed
here by hand from the torchvision modules. Both on ResNet-18 (random weights, conftest's
`resnet18`) and on the shipped embedded model, for two targets and two layers. Small inputs
(64 px tensors for the raw maps; the embedded model's own 128 px for the scaled maps) keep each
test fast.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from captum.attr import (
    GradientShap,
    GuidedGradCam,
    IntegratedGradients,
    LayerAttribution,
    LayerGradCam,
    LayerGradientXActivation,
    NoiseTunnel,
    Occlusion,
    Saliency,
)
from conftest import count_hooks
from torch import nn

from resnet_demo import shapes, switches
from resnet_demo.analysis import analyze, methods
from resnet_demo.analysis.engine import attribution_map
from resnet_demo.analysis.methods import MethodError
from resnet_demo.models import LoadedModel
from resnet_demo.switches import BRANCH_OFF, INTACT, SKIP_OFF, SwitchedResNet, block_names
from resnet_demo.text import catalogue, t

pytestmark = pytest.mark.usefixtures("one_torch_thread")

LAYERS = ("layer4.1", "layer3.0")
"""Two layers of the layer methods: the last block (Grad-CAM's own setting) and a stride-2
block inside the network."""
PIXEL = tuple(m for m in methods.METHOD_NAMES if not methods.METHODS[m].layer)
LAYER_METHODS = (methods.GRADCAM, methods.GRADCAM_SIGNED, methods.GRAD_X_ACT)
SWITCHES = {"layer3.0": SKIP_OFF, "layer2.1": BRANCH_OFF}
RAW_SIZE = 64
RAW_OVERRIDES: dict[str, dict[str, object]] = {methods.OCCLUSION: {"window": 16, "stride": 16}}
"""Occlusion on the 64 px tensors: 16 windows (the default grid's 121 is tested on the embedded
model's own input size)."""


def _rtol(method: str) -> float:
    """Occlusion's map is a difference of two logits: its float32 rounding is relative to the
    logits, which can be larger than the largest difference, so it gets 1e-4 of the peak."""
    return 1e-4 if method == methods.OCCLUSION else 1e-5


@pytest.fixture(params=["resnet18", "embedded"])
def net(request: pytest.FixtureRequest) -> LoadedModel:
    """Each model of the oracles: ResNet-18 with seeded random weights, and the embedded one."""
    if request.param == "resnet18":
        return request.getfixturevalue("resnet18")
    return request.getfixturevalue("embedded")


def _input(model: LoadedModel, size: int = RAW_SIZE, seed: int = 3) -> torch.Tensor:
    """A seeded normalised input (1, 3, size, size) built from a smooth random picture."""
    g = torch.Generator().manual_seed(seed)
    coarse = torch.rand(1, 3, 8, 8, generator=g)
    pixels = F.interpolate(coarse, size=(size, size), mode="bilinear", align_corners=False)
    mean = torch.tensor(model.preprocessing.mean).view(1, 3, 1, 1)
    std = torch.tensor(model.preprocessing.std).view(1, 3, 1, 1)
    return ((pixels - mean) / std).contiguous()


def _targets(model: LoadedModel, x: torch.Tensor) -> tuple[int, int]:
    """The top-1 class and the least probable one (often a negative Grad-CAM)."""
    with torch.no_grad():
        logits = model.module(x)[0]
    return int(logits.argmax()), int(logits.argmin())


def _close(
    ours: torch.Tensor | np.ndarray,
    oracle: torch.Tensor | np.ndarray,
    allow_zero: bool = False,
    rtol: float = 1e-5,
) -> float:
    """Equal to within `rtol` of the oracle's largest |value| (and a tiny absolute floor); that
    largest |value|. An all-zero oracle (Grad-CAM's ReLU of a negative map) only if allowed."""
    a, b = (
        (v.detach() if isinstance(v, torch.Tensor) else torch.as_tensor(v)).double()
        for v in (ours, oracle)
    )
    assert a.shape == b.shape
    peak = float(b.abs().max())
    assert allow_zero or peak > 0, "a vanishing oracle would compare nothing"
    err = float((a - b).abs().max())
    assert err <= rtol * peak + 1e-9, f"max error {err:.3g} against peak {peak:.3g}"
    return peak


def _module(model: nn.Module, name: str) -> nn.Module:
    return model.get_submodule(name)


def _block_output(switched: SwitchedResNet, x: torch.Tensor, name: str) -> torch.Tensor:
    with torch.no_grad():
        return switched.block_inputs(x, through=name)[1].clone()


# --- Oracles: Captum on a model whose layers are real modules -----------------------------------


def oracle_layer(
    model: nn.Module, layer: nn.Module, method: str, x: torch.Tensor, target: int
) -> torch.Tensor:
    """Captum's layer method on `model` at `layer`: the (h, w) map."""
    if method == methods.GRAD_X_ACT:
        return LayerGradientXActivation(model, layer).attribute(x, target=target)[0].sum(0)
    relu = method == methods.GRADCAM
    return LayerGradCam(model, layer).attribute(x, target=target, relu_attributions=relu)[0, 0]


def oracle_pixel(
    model: nn.Module,
    layer: nn.Module,
    method: str,
    x: torch.Tensor,
    target: int,
    settings: Mapping[str, Any],
    mean: tuple[float, ...],
    std: tuple[float, ...],
    batch: int,
) -> torch.Tensor:
    """Captum's pixel method (or GuidedGradCam at `layer`) on `model`: (1, 3, S, S)."""
    x = x.clone()
    if method == methods.GUIDED_GRADCAM:
        return GuidedGradCam(model, layer).attribute(x, target=target)
    if method == methods.SALIENCY:
        return Saliency(model).attribute(x, target=target, abs=True)
    if method == methods.INTEGRATED_GRADIENTS:
        if settings["baseline"] == methods.BLACK:  # pixel value 0, normalised
            m = torch.tensor(mean).view(1, 3, 1, 1)
            s = torch.tensor(std).view(1, 3, 1, 1)
            start = ((torch.zeros_like(x) - m) / s).contiguous()
        else:
            start = methods.blurred(x)
        return IntegratedGradients(model).attribute(
            x, baselines=start, target=target, n_steps=settings["steps"], method="gausslegendre"
        )
    if method == methods.SMOOTHGRAD:
        # The same noise needs the same seed and the same batches of noisy copies.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(settings["seed"])
            return NoiseTunnel(Saliency(model)).attribute(
                x,
                nt_type="smoothgrad",
                nt_samples=settings["samples"],
                nt_samples_batch_size=batch,
                stdevs=settings["noise"] * float(x.max() - x.min()),
                target=target,
                abs=False,
            )
    if method == methods.GRADIENT_SHAP:
        # Captum's GradientShap, baselines black and blurred, the same seed (torch's noise,
        # numpy's baselines and points) and the same calls of `batch` points, averaged.
        centre = torch.tensor(mean).view(1, 3, 1, 1)
        spread = torch.tensor(std).view(1, 3, 1, 1)
        black = ((torch.zeros_like(x) - centre) / spread).contiguous()  # pixel value 0
        starts = torch.cat([black, methods.blurred(x)])
        samples, total = settings["samples"], torch.zeros_like(x)
        state = np.random.get_state()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(settings["seed"])
            np.random.seed(settings["seed"])
            for first in range(0, samples, batch):
                points = min(batch, samples - first)
                total += points * GradientShap(model).attribute(
                    x,
                    baselines=starts,
                    n_samples=points,
                    stdevs=settings["noise"] * float(x.max() - x.min()),
                    target=target,
                )
        np.random.set_state(state)
        return total / samples
    assert method == methods.OCCLUSION
    w, s = settings["window"], settings["stride"]
    with torch.no_grad():
        return Occlusion(model).attribute(
            x, sliding_window_shapes=(3, w, w), strides=(3, s, s), baselines=0.0, target=target
        )


def ours_pixel(
    switched: SwitchedResNet,
    method: str,
    layer: str,
    x: torch.Tensor,
    target: int,
    settings: Mapping[str, Any],
    mean: tuple[float, ...],
    std: tuple[float, ...],
    batch: int,
) -> torch.Tensor:
    """Our raw (1, 3, S, S) attribution; guided Grad-CAM with the block's output given, as
    `analyze` gives it (`attribution_map` takes it from guided backprop's own forward)."""
    outputs = {layer: _block_output(switched, x, layer)} if method == methods.GUIDED_GRADCAM else {}
    run = methods.Run(switched, x, target, settings, layer, outputs, mean, std, batch)
    return methods.attribute(method, run).raw


def ours_layer(
    switched: SwitchedResNet, method: str, layer: str, x: torch.Tensor, target: int
) -> torch.Tensor:
    """Our layer method's raw (h, w) map at `layer`, from that block's output."""
    run = methods.Run(switched, x, target, {}, layer, {layer: _block_output(switched, x, layer)})
    return methods.attribute(method, run).raw


class HandSwitched(nn.Module):
    """A switched ResNet forward written out by hand from the torchvision modules.

    Each block computes relu(F(x) + shortcut(x)) (intact), relu(F(x)) (skip-off) or
    relu(shortcut(x)) (branch-off), F and shortcut spelt out from the block's own convolutions
    and BatchNorms. Every ReLU application has a fresh, not-in-place `nn.ReLU` of its own, so
    Captum's guided backprop hooks only these; an `nn.Identity` marks each block's output as a
    layer for Captum's layer methods. The torchvision model is held outside the module tree:
    Captum never sees (or hooks) its modules.
    """

    def __init__(self, model: nn.Module, modes: Mapping[str, str]) -> None:
        super().__init__()
        self._model = (model,)
        self.modes = dict(modes)
        names = block_names(model)
        self.stem_relu = nn.ReLU()
        self.inner = nn.ModuleDict({n.replace(".", "_"): nn.ReLU() for n in names})
        self.inner2 = nn.ModuleDict({n.replace(".", "_"): nn.ReLU() for n in names})
        self.final = nn.ModuleDict({n.replace(".", "_"): nn.ReLU() for n in names})
        self.outs = nn.ModuleDict({n.replace(".", "_"): nn.Identity() for n in names})

    def out(self, name: str) -> nn.Module:
        return self.outs[name.replace(".", "_")]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        m = self._model[0]
        h = m.maxpool(self.stem_relu(m.bn1(m.conv1(x))))
        for name in block_names(m):
            key = name.replace(".", "_")
            b = _module(m, name)
            mode = self.modes.get(name, INTACT)
            if mode == BRANCH_OFF:
                y = b.downsample(h) if b.downsample is not None else h
            else:
                y = b.bn2(b.conv2(self.inner[key](b.bn1(b.conv1(h)))))
                if hasattr(b, "conv3"):  # Bottleneck
                    y = b.bn3(b.conv3(self.inner2[key](y)))
                if mode == INTACT:
                    y = y + (b.downsample(h) if b.downsample is not None else h)
            h = self.outs[key](self.final[key](y))
        return m.fc(torch.flatten(m.avgpool(h), 1))


# --- Intact: each method equals Captum on the whole torchvision model --------------------------


@pytest.mark.parametrize("method", LAYER_METHODS)
def test_layer_methods_equal_captum_on_the_whole_model(net: LoadedModel, method: str) -> None:
    model = net.module
    x = _input(net)
    switched = SwitchedResNet(model)
    peaks = []
    for target in _targets(net, x):
        for name in LAYERS:
            ours = ours_layer(switched, method, name, x, target)
            oracle = oracle_layer(model, _module(model, name), method, x, target)
            peaks.append(_close(ours, oracle, allow_zero=True))
    assert sum(p > 0 for p in peaks) >= 2  # at most the least likely class's maps are zero
    assert count_hooks(model) == 0


@pytest.mark.parametrize("method", (*PIXEL, methods.GUIDED_GRADCAM))
def test_pixel_methods_equal_captum_on_the_whole_model(net: LoadedModel, method: str) -> None:
    # Guided backprop: Captum hooks every nn.ReLU of the torchvision model, including each
    # block's in-place ReLU that torchvision applies twice; its hooks clone the ReLU's input and
    # replace the input gradient by its positive part, so the oracle is exact and the
    # comparison is of the raw (1, 3, S, S) attributions.
    model = net.module
    x = _input(net)
    mean, std = net.preprocessing.mean, net.preprocessing.std
    baselines = methods.IG_BASELINES if method == methods.INTEGRATED_GRADIENTS else (None,)
    layers = LAYERS if method == methods.GUIDED_GRADCAM else LAYERS[:1]
    targets = _targets(net, x)
    if methods.METHODS[method].batched:  # the many-pass methods: fewer maps on ResNet-18
        targets = targets[:1] if net.module.fc.out_features > 100 else targets
    peaks = []
    for target in targets:
        for baseline in baselines:
            overrides = {"baseline": baseline} if baseline else RAW_OVERRIDES.get(method)
            settings = methods.resolve_settings(method, RAW_SIZE, overrides)
            for name in layers:
                batch = 5  # neither a divisor of the steps nor of the samples
                args = (x, target, settings, mean, std, batch)
                ours = ours_pixel(SwitchedResNet(model), method, name, *args)
                oracle = oracle_pixel(model, _module(model, name), method, *args)
                zero_ok, rtol = method == methods.GUIDED_GRADCAM, _rtol(method)
                peaks.append(_close(ours, oracle, allow_zero=zero_ok, rtol=rtol))
                _close(methods.pixel_map(ours), oracle[0].abs().sum(0), True, rtol)
    assert sum(p > 0 for p in peaks) >= len(peaks) // 2
    assert count_hooks(model) == 0


def test_resnet18_covers_both_targets_of_the_many_pass_methods(resnet18: LoadedModel) -> None:
    """The second ResNet-18 target for the slower methods, at a smaller input."""
    model = resnet18.module
    x = _input(resnet18, size=32)
    target = _targets(resnet18, x)[1]
    mean, std = resnet18.preprocessing.mean, resnet18.preprocessing.std
    for method, overrides in (
        (methods.INTEGRATED_GRADIENTS, {"baseline": methods.BLURRED, "steps": 8}),
        (methods.SMOOTHGRAD, {"samples": 4}),
        (methods.OCCLUSION, {"window": 8, "stride": 8}),
        (methods.GRADIENT_SHAP, {"samples": 4, "noise": 0.1}),
    ):
        settings = methods.resolve_settings(method, 32, overrides)
        args = (x, target, settings, mean, std, 3)
        ours = ours_pixel(SwitchedResNet(model), method, "layer4.1", *args)
        _close(ours, oracle_pixel(model, model.layer4[-1], method, *args), rtol=_rtol(method))


# --- Scaled maps: the engine's map equals the oracle's, scaled ---------------------------------


def _shape_image(index: int = 0) -> np.ndarray:
    images, *_ = shapes.generate_batch(shapes.TEST_SEED_START + index, 1, 128)
    return images[0]


def _shape_label(index: int = 0) -> int:
    _, labels, *_ = shapes.generate_batch(shapes.TEST_SEED_START + index, 1, 128)
    return int(labels[0])


def _scaled_oracle(model: LoadedModel, image: np.ndarray, method: str, layer: str, target: int):
    """The oracle's map at the input, divided by its largest |value|, as the engine scales."""
    view = model.preprocessing.model_view(image)
    x = model.preprocessing.to_tensor(view)
    size = tuple(x.shape[2:])
    module = model.module
    if methods.METHODS[method].layer and method != methods.GUIDED_GRADCAM:
        raw = oracle_layer(module, _module(module, layer), method, x, target).detach()
        shown = LayerAttribution.interpolate(raw[None, None], size, "bilinear")[0, 0]
    else:
        switched = SwitchedResNet(module)
        with torch.no_grad():
            h = switched.stem(x)
            shapes_ = []
            for block in switched.blocks.values():
                h = block(h)
                shapes_.append(tuple(h.shape[1:]))
        batch = methods.batch_size_for(methods.graph_bytes(shapes_, size[0]))
        settings = methods.resolve_settings(method, size[0])
        mean, std = model.preprocessing.mean, model.preprocessing.std
        raw = oracle_pixel(
            module, _module(module, layer), method, x, target, settings, mean, std, batch
        )
        shown = raw.detach()[0].abs().sum(0)
    return (shown / shown.abs().max()).numpy()


@pytest.mark.parametrize("method", methods.METHOD_NAMES)
def test_the_engine_map_is_the_oracle_map_scaled(embedded: LoadedModel, method: str) -> None:
    image, target = _shape_image(), _shape_label()
    cam, zero = attribution_map(embedded, image, target, method, cam_layer="layer3")
    assert not zero
    _close(cam, _scaled_oracle(embedded, image, method, "layer3.1", target), rtol=_rtol(method))
    assert cam.dtype == np.float32 and cam.shape == (128, 128)
    if methods.METHODS[method].signed:
        assert cam.min() >= -1 and cam.max() <= 1 and np.abs(cam).max() == pytest.approx(1)
    else:
        assert cam.min() >= 0 and cam.max() == pytest.approx(1)


@pytest.mark.parametrize("method", [methods.GRADCAM_SIGNED, methods.OCCLUSION])
def test_analyze_gives_the_same_map_and_names_its_settings(
    embedded: LoadedModel, method: str
) -> None:
    image = _shape_image(1)
    analysis = analyze(embedded, image, target=2, cam_layer="layer4", method=method)
    cam, _ = attribution_map(embedded, image, 2, method, cam_layer="layer4")
    np.testing.assert_allclose(analysis.cam, cam, atol=1e-5)
    oracle = _scaled_oracle(embedded, image, method, "layer4.1", 2)
    _close(analysis.cam, oracle, rtol=_rtol(method))
    block = analysis.to_json()["method"]
    assert block["name"] == method and block["signed"] == methods.METHODS[method].signed
    assert block["settings"] == methods.resolve_settings(method, 128)


# --- Switched: each method equals Captum on a hand-composed switched forward -------------------


def test_the_hand_composed_forward_is_the_switched_network(net: LoadedModel) -> None:
    x = _input(net)
    with torch.no_grad():
        ours = SwitchedResNet(net.module, SWITCHES)(x)
        hand = HandSwitched(net.module, SWITCHES)(x)
        intact = HandSwitched(net.module, {})(x)
    torch.testing.assert_close(ours, hand, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(intact, net.module(x), rtol=1e-5, atol=1e-5)
    assert not torch.allclose(ours, intact, atol=1e-3)  # the switches change the logits


@pytest.mark.parametrize("method", methods.METHOD_NAMES)
def test_switched_methods_equal_captum_on_a_hand_composed_forward(
    net: LoadedModel, method: str
) -> None:
    model = net.module
    x = _input(net, seed=5)
    mean, std = net.preprocessing.mean, net.preprocessing.std
    hand = HandSwitched(model, SWITCHES)
    switched = SwitchedResNet(model, SWITCHES)
    with torch.no_grad():
        logits = switched(x)[0]
    targets = (int(logits.argmax()), int(logits.argmin()))
    info = methods.METHODS[method]
    if not info.layer and method != methods.SALIENCY:
        targets = targets[:1]  # the many-pass methods: one target each here
    layers = LAYERS if info.layer else LAYERS[:1]
    overrides: dict[str, object] | None = {
        methods.INTEGRATED_GRADIENTS: {"steps": 8, "baseline": methods.BLURRED},
        methods.SMOOTHGRAD: {"samples": 8},
        **RAW_OVERRIDES,
    }.get(method)
    settings = methods.resolve_settings(method, RAW_SIZE, overrides)
    peaks = []
    for target in targets:
        for name in layers:
            if method in LAYER_METHODS:
                ours = ours_layer(switched, method, name, x, target)
                oracle = oracle_layer(hand, hand.out(name), method, x, target)
            else:
                args = (x, target, settings, mean, std, 4)
                ours = ours_pixel(switched, method, name, *args)
                oracle = oracle_pixel(hand, hand.out(name), method, *args)
            zero_ok = method in (methods.GRADCAM, methods.GUIDED_GRADCAM)
            peaks.append(_close(ours, oracle, allow_zero=zero_ok, rtol=_rtol(method)))
    assert sum(p > 0 for p in peaks) >= len(peaks) // 2
    assert count_hooks(model) == 0


# --- No hook on the shared model, even after a failure -----------------------------------------


class _Boom(RuntimeError):
    pass


def _counting_branch(
    monkeypatch: pytest.MonkeyPatch, model: nn.Module, fail_at: int | None
) -> list[int]:
    """Wrap `switches.residual_branch` (every block's F(x), in every method's every forward):
    count its calls, check at each that the shared model carries no hook, raise at call
    `fail_at`."""
    record = [0]  # [calls, hooks on the shared model at call 1, at call 2, ...]
    real = switches.residual_branch

    def spy(block: nn.Module, x: torch.Tensor, relu: nn.Module | None = None) -> torch.Tensor:
        record[0] += 1
        record.append(count_hooks(model))
        if fail_at is not None and record[0] == fail_at:
            raise _Boom("a failure inside the method")
        return real(block, x, relu)

    monkeypatch.setattr(switches, "residual_branch", spy)
    return record


@pytest.mark.parametrize("method", methods.METHOD_NAMES)
def test_no_hook_is_left_after_a_failure_inside_a_method(
    embedded: LoadedModel, method: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    image = _shape_image(2)
    settings = {
        methods.INTEGRATED_GRADIENTS: {"steps": 4},
        methods.SMOOTHGRAD: {"samples": 2},
        methods.OCCLUSION: {"window": 64, "stride": 16},
    }.get(method)
    kwargs: dict[str, Any] = {
        "method": method,
        "cam_layer": "layer3",
        "switches": {"layer2.0": SKIP_OFF},
        "method_settings": settings,
    }
    before, _ = attribution_map(embedded, image, 1, **kwargs)
    with monkeypatch.context() as patch:
        record = _counting_branch(patch, embedded.module, None)
        attribution_map(embedded, image, 1, **kwargs)
    total = record[0]  # layer methods: 6 blocks to layer3.1, then the tail's 2 under Captum
    assert total >= len(block_names(embedded.module)) and set(record[1:]) == {0}
    with monkeypatch.context() as patch:
        # The last forward pass, inside the method (its hooks, if any, registered).
        record = _counting_branch(patch, embedded.module, total)
        with pytest.raises(_Boom):
            attribution_map(embedded, image, 1, **kwargs)
        assert record[0] == total and set(record[1:]) == {0}
    assert count_hooks(embedded.module) == 0
    after, _ = attribution_map(embedded, image, 1, **kwargs)
    np.testing.assert_array_equal(after, before)


def test_no_method_registers_a_hook_on_a_shared_module(
    embedded: LoadedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = set(embedded.module.modules())
    touched: list[tuple[str, str]] = []
    registrations = (
        "register_forward_hook",
        "register_forward_pre_hook",
        "register_full_backward_hook",
        "register_full_backward_pre_hook",
        "register_backward_hook",
    )
    for attr in registrations:
        real: Callable[..., Any] = getattr(nn.Module, attr)

        def spy(self: nn.Module, *args: Any, _real: Any = real, _attr: str = attr, **kw: Any):
            if self in shared:
                touched.append((_attr, type(self).__name__))
            return _real(self, *args, **kw)

        monkeypatch.setattr(nn.Module, attr, spy)
    image = _shape_image(3)
    for method in methods.METHOD_NAMES:
        fast = {methods.INTEGRATED_GRADIENTS: {"steps": 2}, methods.SMOOTHGRAD: {"samples": 2}}
        switches_ = {"layer3.1": BRANCH_OFF}
        attribution_map(embedded, image, 0, method, "layer2", switches_, fast.get(method))
    analyze(embedded, image, method=methods.GUIDED_GRADCAM, all_stages=True)
    assert touched == []
    # The spy sees registrations: Captum's guided backprop did hook the per-request ReLUs.
    seen: list[nn.Module] = []
    real_pre = nn.Module.register_forward_pre_hook
    monkeypatch.setattr(
        nn.Module,
        "register_forward_pre_hook",
        lambda self, *a, **k: (seen.append(self), real_pre(self, *a, **k))[1],
    )
    attribution_map(embedded, image, 0, methods.GUIDED_GRADCAM)
    assert seen and all(isinstance(m, nn.ReLU) and m not in shared for m in seen)


# --- The zero map ------------------------------------------------------------------------------


def test_an_all_negative_grad_cam_is_flagged_and_its_signed_map_is_not_zero(
    embedded: LoadedModel,
) -> None:
    images, *_ = shapes.generate_batch(shapes.TEST_SEED_START, 8, 128)
    switched = SwitchedResNet(embedded.module)
    found = None
    for image in images:
        x = embedded.preprocessing.to_tensor(embedded.preprocessing.model_view(image))
        for target in range(len(embedded.categories)):
            signed = ours_layer(switched, methods.GRADCAM_SIGNED, "layer4.1", x, target)
            if float(signed.max()) < 0:
                found = (image, target)
                break
        if found:
            break
    assert found is not None, "no class with an all-negative layer4 Grad-CAM in 8 shapes"
    image, target = found
    zero = analyze(embedded, image, target=target)
    assert zero.cam_zero and not zero.cam.any() and zero.to_json()["method"]["map_is_zero"]
    assert zero.cam_negative  # the warning may say "negative evidence": the signed map has it
    signed = analyze(embedded, image, target=target, method=methods.GRADCAM_SIGNED)
    assert not signed.cam_zero and signed.cam.min() == pytest.approx(-1.0)
    top = analyze(embedded, image)
    assert not top.cam_zero and top.cam.max() == pytest.approx(1.0)
    assert not top.to_json()["method"]["map_is_zero"]


def test_a_zero_grad_cam_says_negative_evidence_only_when_the_signed_map_has_it() -> None:
    """`zero_map` flags a blank shown map either way; `negative_evidence` tells the two cases
    apart: a signed map below zero (the ReLU cut it) or one that is blank too (e.g. a layer whose
    activations are all 0), where "the signed map shows the negative evidence" would be false."""
    negative = -torch.rand(4, 4) - 0.1
    cut = negative.clamp_min(0)
    assert methods.zero_map(negative, cut) and methods.negative_evidence(negative, cut)
    blank = torch.zeros(4, 4)
    assert methods.zero_map(blank, blank) and not methods.negative_evidence(blank, blank)
    mixed = torch.tensor([[1.0, -0.5], [0.2, 0.0]])
    assert not methods.zero_map(mixed, mixed.clamp_min(0))
    assert not methods.negative_evidence(mixed, mixed.clamp_min(0))  # positive peak is larger
    assert not methods.negative_evidence(torch.zeros(0), torch.zeros(0))


# --- Bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "settings", "key", "words"),
    [
        ("gradcam++", None, "method_unknown", "unknown attribution method 'gradcam++'"),
        (None, None, "method_unknown", "choose one of: gradcam, gradcam-signed"),
        ("integrated-gradients", {"steps": 0}, "value_out_of_range", "steps must be between 1"),
        ("integrated-gradients", {"steps": 2.5}, "value_not_whole", "steps must be a whole"),
        ("integrated-gradients", {"baseline": "white"}, "method_bad_choice", "black, blurred"),
        ("occlusion", {"window": 2, "stride": 1}, "method_too_many_windows", "at most 200"),
        ("smoothgrad", {"noise": 2}, "value_out_of_range", "noise must be between 0 and 1"),
        ("saliency", {"steps": 8}, "method_bad_setting", "saliency has no setting 'steps'"),
        ("gradcam", {"relu": False}, "method_bad_setting", "gradcam has no setting 'relu'"),
    ],
)
def test_bad_methods_and_settings_are_refused_with_a_clear_message(
    embedded: LoadedModel, method: Any, settings: Any, key: str, words: str
) -> None:
    image = _shape_image()
    with pytest.raises(MethodError) as error:
        analyze(embedded, image, method=method, method_settings=settings)
    assert error.value.key == key and words in str(error.value)
    with pytest.raises(MethodError):
        attribution_map(embedded, image, 0, method, method_settings=settings)
    assert error.value.words("zh") != str(error.value)  # worded in Chinese too


def test_the_occlusion_grid_stays_within_its_window_budget() -> None:
    for size in (32, 64, 128, 224):
        window, stride, windows = methods.occlusion_grid(size)
        assert windows <= methods.MAX_WINDOWS and window == min(size, 2 * stride)
        assert ((size - window) // stride + 1) ** 2 == windows
        if stride > 1:  # the next smaller stride would exceed the budget
            w = min(size, 2 * (stride - 1))
            assert ((size - w) // (stride - 1) + 1) ** 2 > methods.MAX_WINDOWS


def test_the_card_names_no_layer_for_a_pixel_method(embedded: LoadedModel) -> None:
    from resnet_demo.render.report import GRADCAM, card_content

    assert GRADCAM == methods.GRADCAM == methods.METHOD_NAMES[0]
    image = _shape_image()
    for method, key in ((methods.SALIENCY, "card_method_pixel"), (methods.GRAD_X_ACT, None)):
        analysis = analyze(embedded, image, method=method)
        assert analysis.pixels == (not methods.METHODS[method].layer)
        content = card_content(analysis, None, embedded.categories, "shape.png")
        target = embedded.categories[analysis.target]
        words = {"method": method, "target": target}
        line = (
            t(key, "en", **words)
            if key
            else t("card_method_layer", "en", layer=analysis.cam_layer, **words)
        )
        assert line in content.caption_lines


# --- The registry --------------------------------------------------------------------------------


def test_an_unknown_method_is_an_error_never_another_methods_settings() -> None:
    for bad in ("gradcam++", "Occlusion", None, 3):
        for call, args in (
            (methods.default_settings, (bad, 128)),
            (methods.resolve_settings, (bad, 128, {"window": 8})),
            (methods.check_method, (bad,)),
        ):
            with pytest.raises(MethodError) as error:
                call(*args)  # type: ignore[operator]
            assert error.value.key == "method_unknown"
            assert error.value.fields["method"] == repr(bad)


def test_every_method_has_its_words_in_both_languages() -> None:
    for lang in ("en", "zh"):
        words = catalogue(lang)
        for info in methods.METHODS.values():
            for kind in ("choice", "help", "cli"):
                assert info.words(kind) in words, (lang, info.name, kind)
            for setting in info.settings:
                assert not setting.flag or setting.help in words, (info.name, setting.name)
            assert info.cost is None or info.cost in words


def test_a_flag_means_one_setting_with_plain_bounds_whichever_method_it_serves() -> None:
    flags = methods.setting_flags()
    assert {"--steps", "--baseline", "--samples"} <= set(flags)
    for flag, uses in flags.items():
        first = uses[0][1]
        for _, setting in uses:
            assert (setting.name, setting.kind, setting.choices) == (
                first.name,
                first.kind,
                first.choices,
            ), flag
            assert not callable(setting.default) and setting.help
            assert setting.choices or (setting.low is not None and setting.high is not None)


def test_the_settings_are_checked_by_their_schema() -> None:
    for info in methods.METHODS.values():
        defaults = methods.default_settings(info.name, 128)
        assert methods.resolve_settings(info.name, 128, {}) == defaults
        assert info.passes(defaults) >= 1
        assert (info.cost is None) == (not info.batched)  # the many-pass methods say their cost
        for setting in info.settings:
            assert setting.name in defaults
            if setting.choices:
                bad: object = "no such choice"
                key = "method_bad_choice"
            else:
                bad = -1 if setting.low is not None else "x"
                key = "value_out_of_range" if setting.low is not None else "value_not_number"
            with pytest.raises(MethodError) as error:
                methods.resolve_settings(info.name, 128, {setting.name: bad})
            assert error.value.key.startswith("value_") or error.value.key == key
    assert methods.default_settings(methods.INTEGRATED_GRADIENTS, 224) == {
        "steps": methods.IG_STEPS,
        "baseline": methods.BLACK,
        "integration": "gausslegendre",
    }
    occlusion = methods.default_settings(methods.OCCLUSION, 224)
    assert occlusion["windows"] == methods.occlusion_grid(224)[2]
    assert methods.METHODS[methods.OCCLUSION].passes(occlusion) == occlusion["windows"] + 1


def test_the_command_line_lists_every_method_and_flag_from_the_registry(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from resnet_demo.cli import main

    for lang in ("en", "zh"):
        with pytest.raises(SystemExit):
            main(["explain", "--help", "--lang", lang])
        text = "".join(capsys.readouterr().out.split())  # argparse wraps Chinese anywhere
        for info in methods.METHODS.values():
            entry = t("cli_method_entry", lang, name=info.name, words=t(info.words("cli"), lang))
            assert "".join(entry.split()) in text, (lang, info.name)
        for flag, uses in methods.setting_flags().items():
            for method, setting in uses:
                words = "".join(t(setting.help, lang).split())
                assert flag in text and method.name in text and words in text, flag


def test_the_page_notes_what_each_method_costs(embedded: LoadedModel) -> None:
    from resnet_demo.ui.views import method_note

    settings_at = embedded.preprocessing.crop_size
    for info in methods.METHODS.values():
        settings = methods.default_settings(info.name, settings_at)
        for lang in ("en", "zh"):
            note = method_note(embedded, info.name, lang)
            assert note.startswith(t(info.words("help"), lang))
            if info.cost is None:
                assert "⏱" not in note
            else:
                cost = note.split("⏱ ")[1]
                assert str(info.passes(settings)) in cost
                assert t(info.cost, lang, **settings) in cost
