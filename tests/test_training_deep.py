"""The pieces of the embedded-deep recipe (`training.train_deep`, `training.measure_deep`), cheaply:
architecture, intact switched forward, float16 storage, and the lesion measurement's shortcut."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn
from torchvision.models.resnet import BasicBlock, ResNet

from resnet_demo.models.embedded import NarrowResNet
from resnet_demo.models.preprocessing import normalise
from resnet_demo.switches import BRANCH_OFF, SKIP_OFF, SwitchedResNet, block_names
from training import measure_deep, train_deep


@pytest.fixture(scope="module")
def deep() -> ResNet:
    torch.manual_seed(0)
    return train_deep.build_deep_resnet().eval()


def test_architecture_is_27_basic_blocks_with_a_3x3_stride1_stem(deep: ResNet) -> None:
    blocks = [m for m in deep.modules() if isinstance(m, BasicBlock)]
    assert len(blocks) == 27 and len(block_names(deep)) == 27
    assert [len(getattr(deep, s)) for s in ("layer1", "layer2", "layer3", "layer4")] == [7, 7, 7, 6]
    widths = [
        getattr(deep, s)[0].conv2.out_channels for s in ("layer1", "layer2", "layer3", "layer4")
    ]
    assert widths == [16, 32, 64, 128]
    assert deep.conv1.kernel_size == (3, 3) and deep.conv1.stride == (1, 1)
    assert deep.conv1.out_channels == 16 and isinstance(deep.maxpool, nn.Identity)
    assert [n for n in block_names(deep) if deep.get_submodule(n).downsample is not None] == [
        "layer2.0",
        "layer3.0",
        "layer4.0",
    ]
    assert deep(torch.zeros(2, 3, 32, 32)).shape == (2, 10)


def test_switched_intact_forward_equals_torchvision_forward(deep: ResNet) -> None:
    x = torch.randn(3, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        assert torch.equal(SwitchedResNet(deep)(x), deep(x))


def test_float16_weights_round_trip(deep: ResNet, tmp_path) -> None:
    path = tmp_path / train_deep.WEIGHTS_NAME
    saved = train_deep.save_weights(deep, path)
    assert saved["dtype"] == "float16" and saved["bytes"] <= 5_000_000
    loaded = train_deep.load_deep(path)
    assert not loaded.training
    for name, value in loaded.state_dict().items():
        original = deep.state_dict()[name]
        assert value.dtype == original.dtype
        if value.is_floating_point():
            torch.testing.assert_close(value, original, rtol=1e-3, atol=1e-4)
    x = torch.randn(4, 3, 32, 32, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        want, got = deep(x), loaded(x)
    # float16 keeps ~3 significant digits per weight; through 27 blocks of an untrained net
    # (large logits) that stays within 1 % of the logits' size
    assert float((got - want).norm() / want.norm()) < 1e-2
    assert torch.equal(got.argmax(1), want.argmax(1))


def _tiny() -> ResNet:
    torch.manual_seed(3)
    model = NarrowResNet(BasicBlock, [2, 2, 2, 2], width=4)
    for m in model.modules():  # non-trivial BN statistics so lesions change the outputs
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
    return model.eval().to(memory_format=torch.channels_last)


def test_lesion_accuracies_match_independent_switched_forward() -> None:
    model = _tiny()
    rng = np.random.default_rng(4)
    images = rng.integers(0, 256, size=(20, 32, 32, 3), dtype=np.uint8)
    labels = rng.integers(0, 10, size=20).astype(np.int64)
    stats = ([0.5, 0.5, 0.5], [0.25, 0.25, 0.25])
    maps = [
        {},
        {"layer2.1": BRANCH_OFF},
        {"layer3.0": SKIP_OFF},
        {"layer1.1": BRANCH_OFF, "layer4.0": SKIP_OFF},
    ]
    got = measure_deep.lesion_accuracies(model, images, labels, stats, maps, batch_size=8)
    x = normalise(images, *stats, channels_first=False).contiguous(
        memory_format=torch.channels_last
    )
    with torch.no_grad():
        for modes, acc in zip(maps, got, strict=True):
            pred = SwitchedResNet(model, modes)(x).argmax(1).numpy()
            assert acc == pytest.approx(float((pred == labels).mean()))
        # the lesion must actually change the logits (the check is not vacuous)
        assert not torch.equal(SwitchedResNet(model, maps[1])(x), model(x))


def test_lesion_plan_is_complete_and_draws_are_seeded(deep: ResNet) -> None:
    names = block_names(deep)
    plan = measure_deep.lesion_plan(names, max_k=10, draws=5)
    assert len(plan) == 1 + 2 * 27 + 2 * 10 * 5 + 1
    for key, modes in plan:
        if key[0] == "random":
            assert len(modes) == key[2] and set(modes.values()) == {key[1]}
    first = measure_deep.random_draws(names, BRANCH_OFF, 3, 5)
    assert first == measure_deep.random_draws(names, BRANCH_OFF, 3, 5)
    assert len({tuple(d) for d in first}) > 1


def test_cosine_schedule_and_flips() -> None:
    assert train_deep.cosine_lr(2e-3, 0.0, 60.0) == pytest.approx(2e-3)
    assert train_deep.cosine_lr(2e-3, 30.0, 60.0) == pytest.approx(1e-3)
    assert train_deep.cosine_lr(2e-3, 90.0, 60.0) == pytest.approx(0.0)
    # warm-up: linear from 0 over the first 10 %, the cosine over the other 90 %
    assert train_deep.cosine_lr(2e-3, 0.0, 100.0, 0.1) == 0.0
    assert train_deep.cosine_lr(2e-3, 5.0, 100.0, 0.1) == pytest.approx(1e-3)
    assert train_deep.cosine_lr(2e-3, 10.0, 100.0, 0.1) == pytest.approx(2e-3)
    assert train_deep.cosine_lr(2e-3, 55.0, 100.0, 0.1) == pytest.approx(1e-3)
    x = torch.arange(2 * 3 * 2 * 2, dtype=torch.float32).reshape(2, 3, 2, 2)
    y = train_deep.flip_batch(x, torch.Generator().manual_seed(0))
    for a, b in zip(x, y, strict=True):
        assert torch.equal(a, b) or torch.equal(a.flip(2), b)


def test_a_run_resumes_from_its_checkpoint(tmp_path, monkeypatch) -> None:
    """`--resume`: weights, optimizer, step and elapsed time come back; training goes on."""
    monkeypatch.setattr(train_deep, "CHECKPOINT_SECONDS", 0.0)  # a checkpoint after every step
    images, labels = train_deep.generate_shapes(0, 8)
    stats = ([0.5] * 3, [0.25] * 3)
    config = train_deep.DeepConfig(minutes=0.02, n_train=8, batch_size=4)
    _, steps, _ = train_deep.train(config, images, labels, stats, tmp_path)
    checkpoint = tmp_path / train_deep.CHECKPOINT_NAME
    saved = torch.load(checkpoint, weights_only=True)
    assert 1 <= saved["step"] <= steps
    # a budget just past the saved time: the loop takes at least one more step
    more = train_deep.DeepConfig(minutes=saved["elapsed"] / 60 + 0.005, n_train=8, batch_size=4)
    _, resumed_steps, seconds = train_deep.train(more, images, labels, stats, tmp_path, checkpoint)
    assert resumed_steps > saved["step"]
    assert seconds >= saved["elapsed"]
