"""CIFAR-style twins and the gradient-flow measurements (He et al. 2016; Balduzzi et al. 2017)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from resnet_demo.lab.cifar_nets import CifarResNet, PadShortcut, check_depth, twin_nets
from resnet_demo.lab.data import LAB_TEST_SEED, LAB_TRAIN_SEED, MEAN, STD, normalise, shape_set
from resnet_demo.lab.gradient_flow import (
    GradientFlow,
    autocorrelation,
    block_input_grad_rms,
    gradient_flow_study,
    measure,
)
from resnet_demo.lab.training import calibrate_batchnorm, train
from resnet_demo.text import t

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_torch_thread")]


@pytest.mark.parametrize(
    ("depth", "millions"), [(20, 0.27), (32, 0.46), (44, 0.66), (56, 0.85), (110, 1.7)]
)
def test_parameter_counts_match_he_et_al_table_6(depth: int, millions: float) -> None:
    net = CifarResNet(depth, residual=True, shortcut="A")
    count = sum(p.numel() for p in net.parameters())
    assert round(count / 1e6, 2 if depth < 100 else 1) == millions
    assert len(net.blocks) == (depth - 2) // 2


@pytest.mark.parametrize("depth", [7, 9, 0, 21, True, 20.0])
def test_bad_depths_are_refused(depth: object) -> None:
    with pytest.raises(ValueError, match=r"6n \+ 2"):
        check_depth(depth)  # type: ignore[arg-type]


def test_shortcut_option_is_checked() -> None:
    with pytest.raises(ValueError, match="shortcut"):
        CifarResNet(8, shortcut="C")


def test_pad_shortcut_subsamples_and_appends_zero_channels() -> None:
    x = torch.arange(2 * 3 * 4 * 4, dtype=torch.float32).reshape(2, 3, 4, 4)
    y = PadShortcut(3, 5, 2)(x)
    assert y.shape == (2, 5, 2, 2)
    assert torch.equal(y[:, :3], x[:, :, ::2, ::2])
    assert torch.count_nonzero(y[:, 3:]) == 0


@pytest.mark.parametrize("shortcut", ["A", "B"])
def test_twins_share_weights_and_differ_only_in_skips(shortcut: str) -> None:
    plain, residual = twin_nets(8, shortcut, seed=3)
    for (name, a), (_, b) in zip(
        plain.state_dict().items(), residual.state_dict().items(), strict=True
    ):
        assert torch.equal(a, b), name
    assert not plain.residual and residual.residual
    x = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    plain.eval()
    residual.eval()
    with torch.no_grad():
        # The residual twin runs torchvision's BasicBlock.forward; the plain one drops the skip.
        h = residual.relu(residual.bn1(residual.conv1(x)))
        for block in residual.blocks:
            h = block(h)
        expected = residual.fc(torch.flatten(F.adaptive_avg_pool2d(h, 1), 1))
        assert torch.allclose(residual(x), expected)
        assert not torch.allclose(plain(x), expected)


def test_twin_nets_leave_the_global_rng_alone() -> None:
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    twin_nets(8, seed=0)
    assert torch.equal(torch.rand(3), expected)


def test_normalise_uses_the_fixed_statistics_and_keeps_the_input() -> None:
    images = np.full((1, 32, 32, 3), 255, np.uint8)
    x = normalise(images)
    assert x.shape == (1, 3, 32, 32)
    assert torch.allclose(x[0, :, 0, 0], (1 - torch.tensor(MEAN)) / torch.tensor(STD))
    assert (images == 255).all()
    with pytest.raises(ValueError, match="uint8"):
        normalise(images.astype(np.float32))


def test_calibrate_batchnorm_sets_the_exact_statistics_of_the_images() -> None:
    net = CifarResNet(8)
    x = shape_set(LAB_TRAIN_SEED, 32).x
    calibrate_batchnorm(net, x, batch_size=32)
    assert not net.training
    with torch.no_grad():
        pre = net.conv1(x)
    assert torch.allclose(net.bn1.running_mean, pre.mean(dim=(0, 2, 3)), atol=1e-5)
    assert net.bn1.momentum == 0.1  # restored


def test_autocorrelation_known_answers() -> None:
    same = torch.ones(5, 4)
    assert np.allclose(autocorrelation(same, 3), 1.0)
    alternating = torch.tensor([[1.0, 0.0], [-1.0, 0.0]] * 3)
    assert np.allclose(autocorrelation(alternating, 2), [-1.0, 1.0])


def _stem_grad(net: CifarResNet, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Oracle: ∂(summed loss)/∂(first block's input), differentiated by hand (eval mode)."""
    stem = net.relu(net.bn1(net.conv1(x))).detach().requires_grad_(True)
    h = stem
    for block in net.blocks:
        h = net.run_block(block, h)
    logits = net.fc(torch.flatten(F.adaptive_avg_pool2d(h, 1), 1))
    (g,) = torch.autograd.grad(F.cross_entropy(logits, y, reduction="sum"), stem)
    return g


def test_rms_gradients_match_a_hand_computed_gradient() -> None:
    net = CifarResNet(8)
    data = shape_set(LAB_TEST_SEED, 64)
    calibrate_batchnorm(net, data.x)
    x, y = data.x[:2], data.y[:2]
    rms = block_input_grad_rms(net, x, y)
    # Eval mode: each image's gradient is that of its own loss; RMS over its 16×32×32 elements.
    g0, g1 = _stem_grad(net, x[:1], y[:1]), _stem_grad(net, x[1:2], y[1:2])
    numel = 16 * 32 * 32
    expected = (float(g0.norm()) + float(g1.norm())) / 2 / numel**0.5
    assert rms[0] == pytest.approx(expected, rel=1e-4)
    # The last block's input (32×16×16 at depth 8) is divided by its own element count.
    logits, inputs = net.forward_with_inputs(x)
    assert inputs[-1].shape[1:] == (32, 16, 16)
    (g,) = torch.autograd.grad(F.cross_entropy(logits, y, reduction="sum"), inputs[-1])
    total = float(g.flatten(1).norm(dim=1).mean())
    assert rms[-1] == pytest.approx(total / (32 * 16 * 16) ** 0.5, rel=1e-4)


def test_train_mode_rms_uses_batch_statistics_and_leaves_the_net_alone() -> None:
    net = CifarResNet(8)
    data = shape_set(LAB_TEST_SEED, 64)
    calibrate_batchnorm(net, data.x)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    x, y = data.x[:8], data.y[:8]
    batch = block_input_grad_rms(net, x, y, batch_stats=True)
    for k, v in net.state_dict().items():
        assert torch.equal(v, before[k]), k  # running statistics untouched
    assert not net.training
    # Oracle: the same batch through a train-mode copy; the batch's summed loss.
    twin = CifarResNet(8)
    twin.load_state_dict(before)
    twin.train()
    g = _stem_grad(twin, x, y)
    expected = float((g.flatten(1).norm(dim=1) / (16 * 32 * 32) ** 0.5).mean())
    assert batch[0] == pytest.approx(expected, rel=1e-4)
    assert batch[0] != pytest.approx(block_input_grad_rms(net, x, y)[0], rel=1e-6)


PROGRESS: list[tuple[float, str, dict]] = []


@pytest.fixture(scope="module")
def deep_study() -> object:
    # Depth 32 at initialisation: enough depth for shattering to show, cheap enough for a test.
    return gradient_flow_study(
        (32,),
        trained_steps=0,
        seed=0,
        n_train=64,
        progress=lambda f, key, **fields: PROGRESS.append((f, key, fields)),
    )


def test_study_reports_progress_as_catalogue_keys(deep_study: object) -> None:
    assert [key for _, key, _ in PROGRESS] == [
        "progress_flow_measuring_plain",
        "progress_flow_measuring_residual",
        "progress_done",
    ]
    assert [f for f, _, _ in PROGRESS] == [0.0, 0.5, 1.0]
    assert t(PROGRESS[1][1], "en", **PROGRESS[1][2]) == "ResNet-32: measuring"


def test_plain_gradients_decorrelate_more_than_residual_ones(deep_study: object) -> None:
    # Balduzzi et al. 2017: gradients of plain nets shatter with depth, those of ResNets far less.
    # Measured (seeds 0, 1, 2): neighbour similarity plain-32 -0.004 / 0.000 / 0.002,
    # ResNet-32 0.50 / 0.50 / 0.51.
    plain, residual = deep_study.get(32, False), deep_study.get(32, True)
    assert residual.neighbour_correlation > 0.3
    assert plain.neighbour_correlation < 0.15
    assert residual.neighbour_correlation > plain.neighbour_correlation + 0.25
    assert np.all(residual.autocorrelation[:4] > plain.autocorrelation[:4] + 0.05)


@pytest.fixture(scope="module")
def default_study() -> object:
    # What the lab shows by default: depths 8/20/56 at initialisation, seed 0, BatchNorm
    # statistics from 256 shapes.
    return gradient_flow_study()


def test_plain_rms_gradient_grows_towards_the_input(default_study: object) -> None:
    # RMS per element at each block's input, so blocks of different sizes compare fairly.
    # Measured first/last-block RMS ratio at initialisation, BatchNorm eval / train mode, seed 0
    # (seed 1): plain-20 ×9.0 / ×9.7 (×11.4 / ×11.0), plain-56 ×4.6e3 / ×5.2e3 (×5.6e3 /
    # ×6.3e3); ResNet-20 ×4.0 / ×3.9 (×4.9 / ×4.8), ResNet-56 ×22 / ×20 (×23 / ×22).
    # Seed 2: plain-20 ×9.7 / ×9.7, plain-56 ×1.8e3 / ×1.9e3, ResNet-20 ×4.4 / ×4.3,
    # ResNet-56 ×22 / ×19. Per block, train mode is within 15 % of eval mode.
    # Nothing vanishes: the gradient reaching the first blocks is larger, not smaller, and in
    # the deep plain net it grows by orders of magnitude (the explosion Yang et al. 2019
    # analyse); the skips keep that growth far smaller.
    for depth in (20, 56):
        plain, residual = default_study.get(depth, False), default_study.get(depth, True)
        for ratio, residual_ratio in (
            (plain.rms_ratio, residual.rms_ratio),
            (plain.rms_ratio_batch, residual.rms_ratio_batch),
        ):
            assert ratio > 2.0 and ratio > 1.5 * residual_ratio, depth
    plain56 = default_study.get(56, False)
    assert plain56.rms_ratio > 1000 and plain56.rms_ratio_batch > 1000
    # At init the BatchNorm mode barely matters (statistics calibrated on the same shapes).
    for r in default_study.results:
        assert np.allclose(r.grad_rms_batch, r.grad_rms, rtol=0.35), r.kind
        assert np.isfinite(r.grad_rms).all() and (r.grad_rms > 0).all()


def test_study_shapes_and_json(deep_study: object) -> None:
    assert [(r.depth, r.residual) for r in deep_study.results] == [(32, False), (32, True)]
    data = deep_study.to_json()
    assert data["networks"][0]["kind"] == "plain"
    assert len(data["networks"][1]["grad_rms"]) == 15
    assert len(data["networks"][1]["grad_rms_batch"]) == 15
    assert len(data["networks"][1]["autocorrelation"]) == 8
    json.dumps(data, allow_nan=False)  # no NaN reaches the JSON


def test_measure_checks_its_settings() -> None:
    net = CifarResNet(8)
    data = shape_set(LAB_TEST_SEED, 64)
    with pytest.raises(ValueError, match="max_lag"):
        measure(net, data, max_lag=40, line_points=32)


def test_training_lowers_the_loss_and_records_every_step() -> None:
    net = CifarResNet(8)
    data = shape_set(LAB_TRAIN_SEED, 64)
    losses = train(net, data, steps=10, batch_size=16, seed=1)
    assert len(losses) == 10
    assert not net.training
    assert np.mean(losses[-3:]) < np.mean(losses[:3])


def test_json_of_a_result_with_nan_holds_null() -> None:
    """An all-zero gradient has no direction: its correlation is NaN, written as null."""
    flow = GradientFlow(
        depth=8,
        residual=False,
        trained_steps=0,
        block_names=("layer1.0",),
        grad_rms=np.array([0.5]),
        grad_rms_batch=np.array([0.5]),
        lags=np.array([1, 2]),
        autocorrelation=np.array([np.nan, 0.25]),
    )
    data = json.loads(json.dumps(flow.to_json(), allow_nan=False))
    assert data["autocorrelation"] == [None, 0.25] and data["neighbour_correlation"] is None
