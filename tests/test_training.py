"""The training recipe lives outside the runtime package and uses torchvision's StochasticDepth."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import torch
from torchvision.ops import StochasticDepth

from resnet_demo.models.embedded import build_embedded_resnet
from training.stochastic_depth import StochasticDepthResNet
from training.train_embedded import TrainConfig, resolution_schedule

PACKAGE = Path(__file__).resolve().parents[1] / "resnet_demo"


def test_the_package_never_imports_the_training_recipes() -> None:
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                assert name.split(".")[0] != "training", f"{path} imports {name}"
                assert "train_embedded" not in name, f"{path} imports {name}"


def test_stochastic_depth_decays_linearly_and_vanishes_at_test_time() -> None:
    torch.manual_seed(0)
    model = build_embedded_resnet(10, 8).eval()
    net = StochasticDepthResNet(model, 0.5)
    assert all(isinstance(d, StochasticDepth) and d.mode == "batch" for d in net.drops)
    assert [d.p for d in net.drops] == pytest.approx([0.5 * i / 8 for i in range(1, 9)])
    x = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    net.eval()
    with torch.no_grad():
        torch.testing.assert_close(net(x), model(x), rtol=1e-5, atol=1e-5)


def test_training_mode_drops_whole_branches() -> None:
    """With p = 1 for every block no branch survives: y = relu(shortcut(x)) in every block."""
    torch.manual_seed(0)
    model = build_embedded_resnet(10, 8)
    net = StochasticDepthResNet(model, 1.0)
    for drop in net.drops:
        drop.p = 1.0
    net.train()
    x = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(2))
    out = net(x)
    out.sum().backward()
    assert model.layer1[0].conv1.weight.grad is not None
    assert torch.count_nonzero(model.layer1[0].conv1.weight.grad) == 0
    assert torch.count_nonzero(model.conv1.weight.grad) > 0


def test_resolution_schedule_ends_at_full_size() -> None:
    assert resolution_schedule(TrainConfig()) == [64] * 7 + [96] * 3 + [128] * 4
