"""analyze/compare against trusted oracles: torchvision's forward and hand-written hooks."""

from __future__ import annotations

import copy
import dataclasses
import threading

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import count_hooks

from resnet_demo.analysis import AnalysisError, analyze, compare, grad_cam
from resnet_demo.analysis.gradcam import tail_grad_cam, tail_grad_cams
from resnet_demo.models import LoadedModel
from resnet_demo.switches import SwitchedResNet, SwitchError


def _input(model: LoadedModel, image: np.ndarray) -> torch.Tensor:
    return model.preprocessing.to_tensor(model.preprocessing.model_view(image))


def hand_grad_cam(model: LoadedModel, image: np.ndarray, layer: str, target: int) -> np.ndarray:
    """Grad-CAM the textbook way: hook the layer of the full network, backprop the class score."""
    module = model.module.get_submodule(layer)
    store: dict[str, torch.Tensor] = {}

    def hook(_m: torch.nn.Module, _i: object, out: torch.Tensor) -> None:
        out.retain_grad()
        store["a"] = out

    handle = module.register_forward_hook(hook)
    try:
        with torch.enable_grad():
            logits = model.module(_input(model, image))
            logits[0, target].backward()
    finally:
        handle.remove()
        model.module.zero_grad(set_to_none=True)
    a, g = store["a"], store["a"].grad
    cam = torch.relu((g.mean(dim=(2, 3), keepdim=True) * a).sum(dim=1, keepdim=True))
    size = model.preprocessing.crop_size
    up = F.interpolate(cam, size=(size, size), mode="bilinear", align_corners=False)[0, 0]
    return (up / up.max()).detach().numpy()


@pytest.mark.slow
def test_stage_row_equals_hand_written_hooks_at_every_stage(
    resnet18: LoadedModel, photo: np.ndarray
) -> None:
    """The stage row's four maps come from one tail pass; each is still textbook Grad-CAM."""
    result = analyze(resnet18, photo, all_stages=True)
    blocks = [name for name, _, _ in result.stage_cams]
    assert blocks == ["layer1.1", "layer2.1", "layer3.1", "layer4.1"]
    for name, cam, peak in result.stage_cams:
        assert peak > 0
        expected = hand_grad_cam(resnet18, photo, name, result.target)
        np.testing.assert_allclose(cam, expected, atol=2e-4, err_msg=name)


def test_one_tail_pass_equals_one_tail_per_block_with_switches(
    resnet18: LoadedModel, photo: np.ndarray
) -> None:
    modes = {"layer2.0": "skip-off", "layer3.1": "branch-off"}
    switched = SwitchedResNet(resnet18.module, modes, record_norms=True)
    outputs: dict[str, torch.Tensor] = {}
    with torch.no_grad():
        h = switched.stem(_input(resnet18, photo))
        for name, block in switched.blocks.items():
            h = outputs[name] = block(h)
    names = ["layer1.0", "layer2.1", "layer3.1", "layer4.1"]
    together = tail_grad_cams(switched, names, outputs, 7)
    for name, cam in zip(names, together, strict=True):
        alone = tail_grad_cam(switched, name, outputs[name], 7)
        assert cam.shape == alone.shape and float(alone.max()) > 0
        torch.testing.assert_close(cam, alone, rtol=1e-5, atol=1e-7, msg=name)


@pytest.mark.parametrize(("layer", "block"), [("layer3", "layer3.1"), ("layer2.0", "layer2.0")])
def test_grad_cam_equals_hand_written_hooks(
    resnet18: LoadedModel, photo: np.ndarray, layer: str, block: str
) -> None:
    result = analyze(resnet18, photo, cam_layer=layer)
    expected = hand_grad_cam(resnet18, photo, block, result.target)
    assert result.cam_layer == block
    assert result.cam.shape == (224, 224) and result.cam.dtype == np.float32
    assert result.cam.max() == pytest.approx(1.0)
    np.testing.assert_allclose(result.cam, expected, atol=2e-4)
    np.testing.assert_allclose(grad_cam(resnet18, photo, result.target, layer), expected, atol=2e-4)


def test_grad_cam_for_another_class_on_resnet50(resnet50: LoadedModel, photo: np.ndarray) -> None:
    result = analyze(resnet50, photo, target=417, cam_layer="layer4")
    assert result.target == 417 and result.target_label == resnet50.categories[417]
    expected = hand_grad_cam(resnet50, photo, "layer4.2", 417)
    np.testing.assert_allclose(result.cam, expected, atol=2e-4)


def test_grad_cam_at_layer4_is_proportional_to_cam(
    resnet18: LoadedModel, photo: np.ndarray
) -> None:
    """With global average pooling and one fc layer, alpha_k = w_ck / (h w): Grad-CAM = CAM."""
    result = analyze(resnet18, photo, cam_layer="layer4")
    with torch.no_grad():
        m = resnet18.module
        x = m.maxpool(m.relu(m.bn1(m.conv1(_input(resnet18, photo)))))
        a = m.layer4(m.layer3(m.layer2(m.layer1(x))))[0]
        cam = torch.relu(torch.einsum("k,khw->hw", m.fc.weight[result.target], a))
    np.testing.assert_allclose(result.cam_coarse, (cam / cam.max()).numpy(), atol=1e-5)


def test_predictions_follow_torchvision(resnet18: LoadedModel, photo: np.ndarray) -> None:
    from torchvision.models import ResNet18_Weights

    x_ours = _input(resnet18, photo)
    x_theirs = ResNet18_Weights.IMAGENET1K_V1.transforms()(torch.from_numpy(photo).permute(2, 0, 1))
    torch.testing.assert_close(x_ours[0], x_theirs, rtol=0, atol=0)
    result = analyze(resnet18, photo, top_k=7)
    with torch.no_grad():
        probs = torch.softmax(resnet18.module(x_ours)[0].double(), 0).float().numpy()
    np.testing.assert_allclose(result.probabilities, probs, atol=1e-6)
    assert result.top_indices.tolist() == np.argsort(-probs, kind="stable")[:7].tolist()
    assert result.top_labels[0] == resnet18.categories[result.top_indices[0]]
    assert np.all(np.diff(result.top_probs) <= 0)
    assert result.probabilities.sum() == pytest.approx(1.0, abs=1e-5)


def test_activations_and_stats_match_hooks(resnet18: LoadedModel, photo: np.ndarray) -> None:
    result = analyze(resnet18, photo, n_channels=4)
    outputs: dict[str, torch.Tensor] = {}
    handles = [
        resnet18.module.get_submodule(name).register_forward_hook(
            lambda _m, _i, o, name=name: outputs.__setitem__(name, o.detach().clone())
        )
        for name in [b.name for b in result.blocks]
    ]
    try:
        with torch.no_grad():
            resnet18.module(_input(resnet18, photo))
    finally:
        for h in handles:
            h.remove()
    assert [a.name for a in result.activations] == list(outputs)
    for act, block in zip(result.activations, result.blocks, strict=True):
        out = outputs[act.name][0]
        assert block.out_shape == tuple(out.shape)
        np.testing.assert_allclose(act.mean_map * act.mean_max, out.mean(0).numpy(), rtol=1e-5)
        assert act.mean_map.max() == pytest.approx(1.0) and act.mean_map.min() >= 0
        expected = out.mean(dim=(1, 2)).topk(4).indices.numpy()
        assert act.top_channels.tolist() == expected.tolist()
        assert act.top_maps.shape == (4, *out.shape[1:]) and act.top_maps.max() <= 1.0 + 1e-6
        assert block.ratio == pytest.approx(block.residual_norm / block.shortcut_norm)
    assert [b.downsampling for b in result.blocks] == [
        False,
        False,
        True,
        False,
        True,
        False,
        True,
        False,
    ]


def test_switched_stats_and_json(resnet18: LoadedModel, photo: np.ndarray) -> None:
    result = analyze(resnet18, photo, switches={"layer2.0": "skip-off", "layer3.1": "branch-off"})
    stats = {b.name: b for b in result.blocks}
    assert stats["layer2.0"].shortcut_norm == 0.0 and np.isnan(stats["layer2.0"].ratio)
    assert stats["layer3.1"].residual_norm == 0.0 and stats["layer3.1"].ratio == 0.0
    summary = result.to_json()
    assert summary["switches"] == {"layer2.0": "skip-off", "layer3.1": "branch-off"}
    assert summary["blocks"][2]["ratio"] is None


def test_compare_puts_both_cams_on_one_scale(resnet18: LoadedModel, photo: np.ndarray) -> None:
    intact = analyze(resnet18, photo)
    off = analyze(
        resnet18, photo, switches={"layer1": "skip-off", "layer2": "skip-off"}, target=intact.target
    )
    result = compare(intact, off)
    indices = [c.index for c in result.changes]
    assert set(intact.top_indices.tolist()) | set(off.top_indices.tolist()) == set(indices)
    assert [c.rank_before for c in result.changes] == sorted(c.rank_before for c in result.changes)
    for c in result.changes:
        assert c.prob_before == pytest.approx(float(intact.probabilities[c.index]))
        assert c.prob_after == pytest.approx(float(off.probabilities[c.index]))
        assert c.rank_after == 1 + int((off.probabilities > off.probabilities[c.index]).sum())
    assert result.top1_changed == (intact.top_indices[0] != off.top_indices[0])
    assert result.shared_scale == max(intact.cam_scale, off.cam_scale)
    np.testing.assert_allclose(
        result.cam_before * result.shared_scale, intact.cam * intact.cam_scale, rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(result.cam_diff, result.cam_after - result.cam_before)
    assert max(result.cam_before.max(), result.cam_after.max()) == pytest.approx(1.0)
    assert result.cam_diff.min() >= -1.0 and result.cam_diff.max() <= 1.0


def test_compare_refuses_mismatched_targets(resnet18: LoadedModel, photo: np.ndarray) -> None:
    a = analyze(resnet18, photo, target=1)
    b = analyze(resnet18, photo, target=2)
    with pytest.raises(ValueError, match="same target"):
        compare(a, b)


def test_inputs_are_not_mutated(resnet18: LoadedModel, photo: np.ndarray) -> None:
    original = photo.copy()
    modes = {"layer1.0": "skip-off"}
    analyze(resnet18, photo, switches=modes)
    assert np.array_equal(photo, original)
    assert modes == {"layer1.0": "skip-off"}


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"target": 1000}, AnalysisError, "between 0 and 999"),
        ({"target": "cat"}, AnalysisError, "whole number"),
        ({"target": True}, AnalysisError, "whole number"),
        ({"top_k": 0}, AnalysisError, "top_k"),
        ({"cam_layer": "layer5"}, SwitchError, "unknown layer"),
        ({"switches": {"layer1.0": "sideways"}}, SwitchError, "unknown mode"),
    ],
)
def test_bad_request_values(
    resnet18: LoadedModel, photo: np.ndarray, kwargs: dict, error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        analyze(resnet18, photo, **kwargs)
    assert not resnet18.lock.locked()


MODE_MAPS = [
    {},
    {"layer1": "skip-off"},
    {"layer2.0": "branch-off", "layer4.1": "skip-off"},
    {"layer1": "skip-off", "layer2": "skip-off", "layer3": "skip-off", "layer4": "skip-off"},
    {"layer3.0": "branch-off"},
    {"layer4": "branch-off"},
]


@pytest.mark.slow
def test_concurrent_requests_equal_their_sequential_twins(
    resnet18: LoadedModel, photo: np.ndarray
) -> None:
    twins = [analyze(resnet18, photo, switches=m, target=3) for m in MODE_MAPS]
    results: dict[tuple[int, int], object] = {}
    errors: list[BaseException] = []

    def worker(thread: int) -> None:
        try:
            for round_ in range(4):
                index = (thread + round_) % len(MODE_MAPS)
                results[(thread, round_)] = (
                    index,
                    analyze(resnet18, photo, switches=MODE_MAPS[index], target=3),
                )
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(results) == 24
    for index, result in results.values():
        twin = twins[index]
        assert np.array_equal(result.probabilities, twin.probabilities)
        assert np.array_equal(result.cam, twin.cam)
        assert [b.residual_norm for b in result.blocks] == [b.residual_norm for b in twin.blocks]
    assert count_hooks(resnet18.module) == 0


class _FailingPool(torch.nn.AdaptiveAvgPool2d):
    """Global average pooling that fails: always, or only when gradients are on (Grad-CAM)."""

    def __init__(self, when: str) -> None:
        super().__init__((1, 1))
        self.when = when

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.when == "forward" or torch.is_grad_enabled():
            raise RuntimeError("injected failure")
        return super().forward(x)


@pytest.mark.parametrize("where", ["forward", "grad-cam"])
def test_no_hook_survives_a_failure(resnet18: LoadedModel, photo: np.ndarray, where: str) -> None:
    """A network that fails in the forward pass, or only in Grad-CAM's backward-enabled tail,
    leaves no hook on the model and releases its lock; the next analysis works."""
    module = copy.deepcopy(resnet18.module)
    module.avgpool = _FailingPool(where)
    broken = dataclasses.replace(resnet18, module=module, lock=threading.Lock())
    with pytest.raises(RuntimeError, match="injected failure"):
        analyze(broken, photo)
    assert count_hooks(broken.module) == 0
    assert not broken.lock.locked()
    broken.module.avgpool = torch.nn.AdaptiveAvgPool2d((1, 1))
    result = analyze(broken, photo)
    assert result.cam.max() == pytest.approx(1.0)
    assert np.array_equal(result.probabilities, analyze(resnet18, photo).probabilities)


@pytest.mark.parametrize(
    ("method", "settings"),
    [
        ("gradcam", None),
        ("guided-gradcam", None),
        ("saliency", None),
        ("integrated-gradients", {"steps": 4}),
        ("occlusion", {"window": 64, "stride": 32}),
    ],
)
def test_attribution_map_equals_the_map_of_analyze(method: str, settings: dict | None) -> None:
    """`attribution_map` skips the forward pass that the pixel methods do not need (and for
    layer methods stops at the layer): the map is still exactly `analyze`'s, switches included."""
    from resnet_demo import shapes
    from resnet_demo.analysis.engine import attribution_map
    from resnet_demo.models import load_model

    model = load_model("embedded")
    image = shapes.generate_sample(shapes.TEST_SEED_START + 900_001).image
    switches = {"layer3.0": "skip-off"}
    full = analyze(model, image, switches, target=2, method=method, method_settings=settings)
    alone, zero = attribution_map(model, image, 2, method, "layer4", switches, settings)
    np.testing.assert_array_equal(alone, full.cam)
    assert zero == full.cam_zero
