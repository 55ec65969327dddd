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
    block_input_grad_norms,
    gradient_flow_study,
    measure,
)
from resnet_demo.lab.training import calibrate_batchnorm, train
from resnet_demo.text import t

pytestmark = pytest.mark.usefixtures("one_torch_thread")


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


def test_gradient_norms_match_a_hand_computed_gradient() -> None:
    net = CifarResNet(8)
    data = shape_set(LAB_TEST_SEED, 64)
    calibrate_batchnorm(net, data.x)
    x, y = data.x[:2], data.y[:2]
    norms = block_input_grad_norms(net, x, y)
    # Oracle: the first block's input is the stem's output; differentiate image 0's own loss.
    stem = net.relu(net.bn1(net.conv1(x[:1]))).detach().requires_grad_(True)
    h = stem
    for block in net.blocks:
        h = net.run_block(block, h)
    loss = F.cross_entropy(net.fc(torch.flatten(F.adaptive_avg_pool2d(h, 1), 1)), y[:1])
    (g,) = torch.autograd.grad(loss, stem)
    stem1 = net.relu(net.bn1(net.conv1(x[1:2]))).detach().requires_grad_(True)
    h = stem1
    for block in net.blocks:
        h = net.run_block(block, h)
    loss1 = F.cross_entropy(net.fc(torch.flatten(F.adaptive_avg_pool2d(h, 1), 1)), y[1:2])
    (g1,) = torch.autograd.grad(loss1, stem1)
    assert norms[0] == pytest.approx((float(g.norm()) + float(g1.norm())) / 2, rel=1e-4)


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


def test_plain_gradients_do_not_vanish(deep_study: object) -> None:
    # He et al. 2016 §4.1: BatchNorm plain nets have healthy gradient norms. The notes say the
    # gradient at the first block is not smaller than at the last one; check that it holds.
    plain = deep_study.get(32, False)
    assert plain.norm_ratio >= 1.0
    assert np.isfinite(plain.grad_norms).all() and (plain.grad_norms > 0).all()


def test_study_shapes_and_json(deep_study: object) -> None:
    assert [(r.depth, r.residual) for r in deep_study.results] == [(32, False), (32, True)]
    data = deep_study.to_json()
    assert data["networks"][0]["kind"] == "plain"
    assert len(data["networks"][1]["grad_norms"]) == 15
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
        grad_norms=np.array([0.5]),
        lags=np.array([1, 2]),
        autocorrelation=np.array([np.nan, 0.25]),
    )
    data = json.loads(json.dumps(flow.to_json(), allow_nan=False))
    assert data["autocorrelation"] == [None, 0.25] and data["neighbour_correlation"] is None
