"""Shared fixtures: random-weight torchvision ResNets written to files, loaded like real weights.

No test downloads anything: ImageNet weights are replaced by seeded random weights of the same
architecture, saved as plain state_dicts and loaded through the real loading code. `tiny_model`
(a plain function, `from conftest import tiny_model`) builds the embedded architecture small.
`embedded` is the shipped model, loaded once per run; `app` is the app as `make run` starts it,
launched once per run on loopback (`tests/app_server.py`).

Tiers. Every test module says which tiers it belongs to with a marker (pyproject.toml registers
them; `--strict-markers` refuses others), `pytestmark = pytest.mark.X` at its top, or on single
tests when a module mixes tiers. `make test` runs every tier; `make test-fast` runs the tests
with none of these markers, in about three minutes on two cores:

- `browser`: drives Chromium through Playwright (needs Chromium and the CJK font).
- `server`: starts the app or another server process, or uses the `app` fixture.
- `slow`: heavy compute: trains networks, analyses thousands of images or every shipped lesion;
  as a rule of thumb, a module whose tests take over 20 s together on a quiet two-core machine.
- `tooling`: checks the Makefile, CI, benchmarks, type-checking rules or repository hygiene
  rather than the product.

A new module takes every marker that fits (`[pytest.mark.server, pytest.mark.slow]`); an
unmarked module must stay fast. Check with `pytest --durations=0 tests/test_new.py`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
import torch
import torchvision

from resnet_demo.models import LoadedModel, ModelSpec, Preprocessing, load_model
from resnet_demo.models.embedded import build_embedded_resnet
from resnet_demo.shapes import CLASS_NAMES, class_names_in

if TYPE_CHECKING:
    from app_server import RunningApp

torch.set_num_threads(2)


def count_hooks(module: torch.nn.Module) -> int:
    """Every forward/backward (pre-)hook registered anywhere in `module`."""
    return sum(
        len(m._forward_hooks)
        + len(m._forward_pre_hooks)
        + len(m._backward_hooks)
        + len(m._backward_pre_hooks)
        for m in module.modules()
    )


def tiny_model(
    seed: int = 0,
    categories: tuple[str, ...] = CLASS_NAMES,
    *,
    width: int = 8,
    size: int = 64,
    source: str = "random(test)",
) -> LoadedModel:
    """The embedded architecture (ResNet-18 layout) with seeded random weights, small and fast.

    Args:
        seed: torch seed of the weights (the global torch RNG is left as it was). Default: 0.
        categories: class names; the shapes' Chinese names come along when they are the shapes'.
        width: channels of the first stage. Default: 8 (every lab path in milliseconds).
        size: input size in pixels. Default: 64.
        source: the weights' source as cards and captions name it. Default: "random(test)".
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        module = build_embedded_resnet(len(categories), width).eval()
    return LoadedModel(
        spec=ModelSpec("embedded"),
        module=module,
        categories=categories,
        preprocessing=Preprocessing(size, size, (0.5, 0.5, 0.5), (0.25, 0.25, 0.25)),
        source=source,
        class_names={"zh": class_names_in("zh")} if categories == CLASS_NAMES else {},
    )


def write_random_weights(arch: str, path: Path, seed: int) -> Path:
    """Save a seeded random torchvision `arch` state_dict (BN statistics perturbed too)."""
    torch.manual_seed(seed)
    model = getattr(torchvision.models, arch)(weights=None)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                # Non-trivial BN statistics and affine terms so that tests see real arithmetic.
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.1, 0.1)
    torch.save(model.state_dict(), path)
    return path


@pytest.fixture(scope="session")
def weights_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("weights")


@pytest.fixture(scope="session")
def resnet18_path(weights_dir: Path) -> Path:
    return write_random_weights("resnet18", weights_dir / "resnet18.pth", seed=18)


@pytest.fixture(scope="session")
def resnet50_path(weights_dir: Path) -> Path:
    return write_random_weights("resnet50", weights_dir / "resnet50.pth", seed=50)


@pytest.fixture(scope="session")
def resnet18(resnet18_path: Path) -> LoadedModel:
    return load_model("resnet18", weights=resnet18_path)


@pytest.fixture(scope="session")
def resnet50(resnet50_path: Path) -> LoadedModel:
    return load_model("resnet50", weights=resnet50_path)


@pytest.fixture(scope="session")
def embedded() -> LoadedModel:
    """The shipped embedded model (`assets/`), shared by every test that only reads it."""
    return load_model("embedded")


@pytest.fixture(scope="session")
def app() -> Iterator[RunningApp]:
    """The app as `make run` starts it (embedded model, the server's queue, cache and launch
    settings) on a free loopback port, shared by every module that needs no other settings.

    Its model is its own, not `embedded`: the server's threads take its lock and hook it.
    Modules that need other settings (a smaller cache or queue, another model) start their own
    with `app_server.running_app`.
    """
    from app_server import default_model, running_app  # Gradio only for the tests that serve

    with running_app(default_model()) as running:
        yield running


@pytest.fixture
def photo() -> np.ndarray:
    """A seeded smooth-ish RGB uint8 image (180, 240, 3) with structure for the network to see."""
    rng = np.random.default_rng(7)
    yy, xx = np.mgrid[0:180, 0:240]
    base = np.stack([np.sin(xx / 17.0), np.cos(yy / 11.0), np.sin((xx + yy) / 23.0)], axis=-1)
    noise = rng.normal(0, 0.15, size=base.shape)
    return ((base + noise + 1.2) / 2.4 * 255).clip(0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def one_torch_thread() -> Iterator[None]:
    """One torch thread: on a busy 2-core machine the lab's small networks train several times
    faster with one thread than with two (no OpenMP contention); the setting is restored."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
