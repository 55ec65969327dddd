"""ResNeXt and Wide ResNet, offered through torchvision's registry, behave like the ResNets.

For each family member the test writes seeded random weights (nothing is downloaded), loads them
through the real loading code, and checks on a small 64-px input that the intact switched network
is torchvision's own computation bit for bit, that the lesions equal the blocks written out by
hand, and that Grad-CAM equals the textbook hook computation.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import count_hooks, write_random_weights

from resnet_demo.analysis import analyze, grad_cam
from resnet_demo.models import LoadedModel, Preprocessing, load_model, model_names
from resnet_demo.switches import SwitchedResNet, block_names, forward_with_modes

pytestmark = pytest.mark.slow

FAMILY = [
    "resnext50_32x4d",
    "resnext101_32x8d",
    "resnext101_64x4d",
    "wide_resnet50_2",
    "wide_resnet101_2",
]
SIZE = 64


@pytest.fixture(scope="module", params=FAMILY)
def member(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """The architecture with random weights, fed SIZE-px crops (its own mean and std)."""
    path = tmp_path_factory.mktemp("family") / f"{request.param}.pth"
    model = load_model(request.param, weights=write_random_weights(request.param, path, seed=9))
    path.unlink()  # up to 0.5 GB each; the loaded copy is all the tests need
    prep = model.preprocessing
    for parameter in model.module.parameters():
        parameter.requires_grad_(False)  # Grad-CAM needs activation gradients only: faster
    yield dataclasses.replace(model, preprocessing=Preprocessing(SIZE, SIZE, prep.mean, prep.std))


def _input(seed: int = 0) -> torch.Tensor:
    return torch.randn(1, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(seed))


def _hand_block(block: torch.nn.Module, x: torch.Tensor, mode: str) -> torch.Tensor:
    """A bottleneck written out from the paper: y = relu(F(x) + shortcut(x)), parts removed."""
    f = torch.relu(block.bn1(block.conv1(x)))
    f = torch.relu(block.bn2(block.conv2(f)))  # grouped (ResNeXt) or wide 3x3 convolution
    f = block.bn3(block.conv3(f))
    s = block.downsample(x) if block.downsample is not None else x
    return torch.relu({"intact": f + s, "skip-off": f, "branch-off": s}[mode])


def test_the_family_is_offered() -> None:
    names = model_names()
    for arch in FAMILY:
        assert f"{arch}:IMAGENET1K_V1" in names


def test_intact_is_bit_identical_to_torchvision(member: LoadedModel) -> None:
    x = _input()
    with torch.no_grad():
        assert torch.equal(forward_with_modes(member.module, x), member.module(x))
    assert count_hooks(member.module) == 0


def test_lesions_equal_hand_composed_blocks(member: LoadedModel) -> None:
    # A skip removed, an identity branch removed and a projection block's branch removed.
    modes = {"layer1.0": "skip-off", "layer2.0": "branch-off", "layer3.1": "branch-off"}
    m, x = member.module, _input(1)
    with torch.no_grad():
        got = forward_with_modes(m, x, modes)
        h = m.maxpool(torch.relu(m.bn1(m.conv1(x))))
        for name in block_names(m):
            h = _hand_block(m.get_submodule(name), h, modes.get(name, "intact"))
        expected = m.fc(torch.flatten(m.avgpool(h), 1))
        intact = m(x)
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4)
    assert not torch.allclose(got, intact)


def test_grad_cam_equals_hand_written_hooks(member: LoadedModel) -> None:
    image = np.random.default_rng(3).integers(0, 256, (80, 96, 3), dtype=np.uint8)
    result = analyze(member, image, cam_layer="layer3")
    layer = block_names(member.module)[-1 - len(member.module.layer4)]
    assert result.cam_layer == layer and result.cam.shape == (SIZE, SIZE)
    store: dict[str, torch.Tensor] = {}

    def hook(_m: torch.nn.Module, _i: object, out: torch.Tensor) -> None:
        out.retain_grad()
        store["a"] = out

    handle = member.module.get_submodule(layer).register_forward_hook(hook)
    try:
        x = member.preprocessing.to_tensor(member.preprocessing.model_view(image))
        member.module(x.requires_grad_(True))[0, result.target].backward()
    finally:
        handle.remove()
        member.module.zero_grad(set_to_none=True)
    a, g = store["a"], store["a"].grad
    cam = torch.relu((g.mean(dim=(2, 3), keepdim=True) * a).sum(dim=1, keepdim=True))
    up = F.interpolate(cam, size=(SIZE, SIZE), mode="bilinear", align_corners=False)[0, 0]
    expected = (up / up.max()).detach().numpy()
    np.testing.assert_allclose(result.cam, expected, atol=2e-4)
    alone = grad_cam(member, image, result.target, "layer3")
    np.testing.assert_allclose(alone, expected, atol=2e-4)
    assert count_hooks(member.module) == 0
    assert len(SwitchedResNet(member.module).blocks) == len(block_names(member.module))
