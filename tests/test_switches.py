"""Block modes: intact is torchvision bit for bit; the lesions equal hand-composed blocks."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from conftest import count_hooks

from resnet_demo.models import LoadedModel
from resnet_demo.switches import (
    SwitchedResNet,
    SwitchError,
    block_names,
    forward_with_modes,
    max_pool,
    parse_switch_args,
    resolve_layer,
    validate_modes,
)


@pytest.fixture(params=["resnet18", "resnet50"])
def model(request: pytest.FixtureRequest) -> LoadedModel:
    return request.getfixturevalue(request.param)


def _input(seed: int = 0) -> torch.Tensor:
    return torch.randn(2, 3, 96, 96, generator=torch.Generator().manual_seed(seed))


def test_intact_is_bit_identical_to_torchvision(model: LoadedModel) -> None:
    x = _input()
    with torch.no_grad():
        expected = model.module(x)
        got = forward_with_modes(model.module, x)
    assert torch.equal(got, expected)
    with torch.inference_mode():
        assert torch.equal(forward_with_modes(model.module, x), expected)


def test_intact_gradients_are_bit_identical_to_torchvision(model: LoadedModel) -> None:
    """The in-place addition and the channels-last max pooling change no gradient either."""
    grads = []
    for net in (model.module, SwitchedResNet(model.module)):
        x = _input(4).requires_grad_(True)
        (grad,) = torch.autograd.grad(net(x)[:, :7].sum(), x)
        grads.append(grad)
    assert torch.equal(grads[0], grads[1])


def test_max_pool_is_torchvision_pooling_bit_for_bit() -> None:
    pool = torch.nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
    x = torch.randn(2, 64, 40, 40, generator=torch.Generator().manual_seed(5)).relu()
    x = (x * 4).round() / 4  # many ties: the gradient must still reach the same inputs
    x[0, 0, 5, 5], x[1, 3, 0, 0] = float("nan"), float("-inf")
    outputs, grads = [], []
    for fn in (pool, lambda t: max_pool(pool, t)):
        leaf = x.clone().requires_grad_(True)
        out = fn(leaf)
        (grad,) = torch.autograd.grad(out, leaf, torch.ones_like(out))
        outputs.append(out)
        grads.append(grad)
    assert outputs[1].is_contiguous()
    assert outputs[1].isnan().any()  # NaN != NaN, hence equal_nan below
    assert torch.allclose(outputs[0], outputs[1], rtol=0, atol=0, equal_nan=True)
    assert torch.equal(grads[0], grads[1])
    channels_last = x.contiguous(memory_format=torch.channels_last)
    out = max_pool(pool, channels_last)
    assert out.is_contiguous(memory_format=torch.channels_last)
    assert torch.allclose(out, outputs[0], rtol=0, atol=0, equal_nan=True)


def test_tail_to_one_class_has_the_full_tail_gradient(model: LoadedModel) -> None:
    """forward_from(target=c) is logit c alone; its gradient is exactly that of the full logits."""
    switched = SwitchedResNet(model.module, {"layer4.0": "skip-off"})
    name = block_names(model.module)[-3]
    with torch.no_grad():
        h = switched.stem(_input(6))
        for block_name, block in switched.blocks.items():
            h = block(h)
            if block_name == name:
                break
    grads = []
    for target in (None, 11):
        leaf = h.clone().requires_grad_(True)
        logits = switched.forward_from(name, leaf, target)
        assert logits.shape == ((2, 1) if target == 11 else (2, len(model.categories)))
        one = logits[:, 0] if target == 11 else logits[:, 11]
        (grad,) = torch.autograd.grad(one.sum(), leaf)
        grads.append((one.detach(), grad))
    # The logit: one row of fc against the whole matrix can round differently in float32
    # (another GEMM kernel sums the 2048 products of a ResNet-50 in another order: seen 2e-5
    # relative); the gradient, which is what Grad-CAM uses, must be identical.
    torch.testing.assert_close(grads[1][0], grads[0][0], rtol=1e-4, atol=1e-4)
    assert torch.equal(grads[1][1], grads[0][1])


def _hand_block(block: torch.nn.Module, x: torch.Tensor, mode: str) -> torch.Tensor:
    """The block written out from the paper's y = relu(F(x) + shortcut(x))."""
    f = torch.relu(block.bn1(block.conv1(x)))
    if hasattr(block, "conv3"):
        f = torch.relu(block.bn2(block.conv2(f)))
        f = block.bn3(block.conv3(f))
    else:
        f = block.bn2(block.conv2(f))
    s = block.downsample(x) if block.downsample is not None else x
    return torch.relu({"intact": f + s, "skip-off": f, "branch-off": s}[mode])


def _hand_network(module: torch.nn.Module, x: torch.Tensor, modes: dict[str, str]) -> torch.Tensor:
    x = module.maxpool(torch.relu(module.bn1(module.conv1(x))))
    for name in block_names(module):
        x = _hand_block(module.get_submodule(name), x, modes.get(name, "intact"))
    return module.fc(torch.flatten(module.avgpool(x), 1))


@pytest.mark.parametrize(
    "modes",
    [
        {"layer1.0": "skip-off"},
        {"layer2.0": "skip-off"},  # a projection block: the 1x1 downsample goes too
        {"layer2.0": "branch-off"},
        {"layer3.1": "branch-off", "layer4.0": "skip-off"},
        {"layer1": "skip-off", "layer2": "skip-off", "layer3": "skip-off", "layer4": "skip-off"},
    ],
)
def test_lesions_equal_hand_composed_blocks(model: LoadedModel, modes: dict[str, str]) -> None:
    x = _input(1)
    full = validate_modes(model.module, modes)
    with torch.no_grad():
        got = forward_with_modes(model.module, x, modes)
        expected = _hand_network(model.module, x, full)
        intact = model.module(x)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)
    assert not torch.allclose(got, intact)


def test_switching_changes_nothing_shared(resnet18: LoadedModel) -> None:
    before = {k: v.clone() for k, v in resnet18.module.state_dict().items()}
    x = _input(2)
    with torch.no_grad():
        reference = resnet18.module(x)
        forward_with_modes(resnet18.module, x, {"layer1": "skip-off", "layer4.1": "branch-off"})
        after = resnet18.module(x)
    assert torch.equal(reference, after)
    for key, value in resnet18.module.state_dict().items():
        assert torch.equal(value, before[key]), key
    assert count_hooks(resnet18.module) == 0
    assert not resnet18.module.training


def test_branch_norms_are_recorded_only_when_asked(resnet18: LoadedModel) -> None:
    modes = {"layer2.1": "branch-off", "layer3.0": "skip-off"}
    x = _input(3)[:1]
    quiet = SwitchedResNet(resnet18.module, modes)
    switched = SwitchedResNet(resnet18.module, modes, record_norms=True)
    with torch.no_grad():
        assert torch.equal(quiet(x), switched(x))
    assert all(block.norms is None for block in quiet.blocks.values())
    norms = {name: block.norms for name, block in switched.blocks.items()}
    assert list(norms) == block_names(resnet18.module)
    assert norms["layer2.1"].residual == (0.0,) and norms["layer2.1"].shortcut[0] > 0
    assert norms["layer3.0"].shortcut == (0.0,) and norms["layer3.0"].residual[0] > 0
    # Hand check for an intact projection block.
    with torch.no_grad():
        h = resnet18.module.maxpool(
            resnet18.module.relu(resnet18.module.bn1(resnet18.module.conv1(x)))
        )
        h = resnet18.module.layer1(h)
        block = resnet18.module.layer2[0]
        f = block.bn2(block.conv2(torch.relu(block.bn1(block.conv1(h)))))
        s = block.downsample(h)
    assert norms["layer2.0"].residual[0] == pytest.approx(float(f.norm()), rel=1e-5)
    assert norms["layer2.0"].shortcut[0] == pytest.approx(float(s.norm()), rel=1e-5)


def test_block_names_follow_torchvision(resnet18: LoadedModel, resnet50: LoadedModel) -> None:
    assert block_names(resnet18.module)[:3] == ["layer1.0", "layer1.1", "layer2.0"]
    assert len(block_names(resnet18.module)) == 8
    assert len(block_names(resnet50.module)) == 16
    named = {n for n, _ in resnet50.module.named_modules()}
    assert set(block_names(resnet50.module)) <= named


@pytest.mark.parametrize(
    ("modes", "match"),
    [
        ({"layer9.0": "skip-off"}, "unknown block"),
        ({"layer1.0": "off"}, "unknown mode"),
        ({"layer1.0": 3}, "must be strings"),
        ({("layer1.0",): "skip-off"}, "must be strings"),
        (["layer1.0"], "must be a mapping"),
    ],
)
def test_bad_mode_maps_are_refused(resnet18: LoadedModel, modes: object, match: str) -> None:
    with pytest.raises(SwitchError, match=match):
        validate_modes(resnet18.module, modes)


def test_stage_keys_set_every_block_of_the_stage(resnet18: LoadedModel) -> None:
    modes = validate_modes(resnet18.module, {"layer3": "skip-off", "layer3.1": "branch-off"})
    assert modes["layer3.0"] == "skip-off" and modes["layer3.1"] == "branch-off"
    assert modes["layer2.1"] == "intact"


def test_parse_switch_args() -> None:
    assert parse_switch_args(["layer3.1=skip-off", " layer1 = branch-off "]) == {
        "layer3.1": "skip-off",
        "layer1": "branch-off",
    }
    with pytest.raises(SwitchError, match="BLOCK=MODE"):
        parse_switch_args(["layer3.1"])


def test_resolve_layer(resnet50: LoadedModel) -> None:
    assert resolve_layer(resnet50.module, "layer3") == "layer3.5"
    assert resolve_layer(resnet50.module, "layer2.1") == "layer2.1"
    with pytest.raises(SwitchError, match="unknown layer"):
        resolve_layer(resnet50.module, "fc")
    with pytest.raises(SwitchError, match="must be a string"):
        resolve_layer(resnet50.module, 4)


@pytest.mark.parametrize("through", [None, "layer2.0", "layer4.1"])
def test_block_inputs_are_the_inputs_torchvision_feeds_each_block(
    resnet18: LoadedModel, through: str | None
) -> None:
    m = resnet18.module
    x = _input(6)
    expected: dict[str, torch.Tensor] = {}

    def keep(name: str) -> Callable[[torch.nn.Module, tuple[torch.Tensor, ...]], None]:
        def hook(_module: torch.nn.Module, args: tuple[torch.Tensor, ...]) -> None:
            expected[name] = args[0].clone()

        return hook

    handles = [m.get_submodule(n).register_forward_pre_hook(keep(n)) for n in block_names(m)]
    try:
        with torch.no_grad():
            m(x)
            inputs, output = SwitchedResNet(m).block_inputs(x, through=through)
    finally:
        for handle in handles:
            handle.remove()
    names = block_names(m)
    last = names.index(through) if through is not None else len(names) - 1
    assert list(inputs) == names[: last + 1]
    for name, value in inputs.items():
        assert torch.equal(value, expected[name]), name
    if last + 1 < len(names):
        assert torch.equal(output, expected[names[last + 1]])
    with torch.no_grad():
        lesioned = SwitchedResNet(m, {"layer4.1": "skip-off"})  # at or after every `last`
        assert torch.equal(lesioned.run_from(names[last], inputs[names[last]]), lesioned(x))
        assert torch.equal(SwitchedResNet(m).forward_from(names[last], output), m(x))
    with pytest.raises(SwitchError, match="unknown block"):
        SwitchedResNet(m).block_inputs(x, through="layer9.0")


def test_old_mode_names_are_aliases_of_the_new_ones() -> None:
    """`no-skip` / `no-residual` (first release) still parse, to `skip-off` / `branch-off`."""
    from torchvision.models import resnet18

    from resnet_demo.switches import BRANCH_OFF, SKIP_OFF, validate_modes

    model = resnet18(num_classes=3)
    modes = validate_modes(model, {"layer1.0": "no-skip", "layer2": "no-residual"})
    assert modes["layer1.0"] == SKIP_OFF
    assert modes["layer2.0"] == modes["layer2.1"] == BRANCH_OFF
    assert modes["layer3.0"] == "intact"
