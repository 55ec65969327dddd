"""`--device`: resolving it, refusing a device torch does not see, and the engine following the
model's device.

These tests run on the CPU. Without a GPU they cannot show that an analysis on CUDA or MPS
gives the CPU's answer, nor that Captum's or torchvision's own tensors land on the GPU. What they
do show: the flag resolves and fails as documented, a model loads onto the device chosen once,
every input the engine, the batch panel, the live view and the lab build goes through
`LoadedModel.to_input` (which reads `LoadedModel.device`), every module sees its inputs on its
parameters' device, and the methods' baselines follow their input onto another device (`meta`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import tiny_model

import resnet_demo
from resnet_demo import cli
from resnet_demo.analysis import analyze, attribution_map
from resnet_demo.analysis import methods as attribution
from resnet_demo.analysis.faithfulness import deletion_insertion
from resnet_demo.batch import classify
from resnet_demo.lab.curves import lesion_curves
from resnet_demo.lab.lesions import clear_cache, lesion_sweep
from resnet_demo.lab.sanity import sanity_check
from resnet_demo.models import EMBEDDED, LoadedModel, load_model
from resnet_demo.models import device as devices
from resnet_demo.models.device import DeviceError, resolve_device, use_device
from resnet_demo.ui import server
from resnet_demo.ui.live.handlers import intact_top1


@pytest.fixture
def no_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    """This machine as a CPU-only one, whatever it has."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)


@pytest.fixture
def chosen() -> Iterator[None]:
    """Restore the process's device choice after a test that sets it."""
    before = devices.chosen_device()
    yield
    use_device(before)


# --- resolving the flag ----------------------------------------------------------------------


@pytest.mark.usefixtures("no_gpu")
def test_auto_is_the_cpu_without_a_gpu() -> None:
    assert resolve_device("auto") == torch.device("cpu")
    assert resolve_device("cpu") == torch.device("cpu")


def test_auto_prefers_cuda_then_mps(monkeypatch: pytest.MonkeyPatch) -> None:
    # Only the decision: no tensor is moved to the (absent) device.
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert resolve_device("auto") == torch.device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == torch.device("mps")
    assert resolve_device("mps") == torch.device("mps")


@pytest.mark.usefixtures("no_gpu")
@pytest.mark.parametrize("name", ["cuda", "mps"])
def test_a_missing_gpu_is_refused(name: str) -> None:
    with pytest.raises(DeviceError) as caught:
        resolve_device(name)
    assert caught.value.key == "device_unavailable"
    assert f"--device {name}" in str(caught.value)
    assert "设备" in caught.value.words("zh")


def test_an_unknown_device_is_refused() -> None:
    with pytest.raises(DeviceError) as caught:
        resolve_device("gpu")
    assert caught.value.key == "device_unknown"


@pytest.mark.usefixtures("no_gpu")
def test_app_refuses_a_missing_gpu_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        server.parse_args(["--device", "cuda"])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--device cuda" in err
    with pytest.raises(SystemExit):
        server.parse_args(["--device", "mps", "--lang", "zh"])
    assert capsys.readouterr().err.startswith("错误：--device mps")


@pytest.mark.usefixtures("no_gpu")
def test_app_resolves_auto_to_the_cpu() -> None:
    assert server.parse_args([]).device == torch.device("cpu")
    assert server.parse_args(["--device", "cpu"]).device == torch.device("cpu")


@pytest.mark.usefixtures("no_gpu", "chosen")
@pytest.mark.parametrize(
    "argv",
    [
        ["explain", "nowhere.png", "--out", "OUT", "--device", "cuda"],
        ["lab", "sweep", "nowhere.png", "--out", "OUT", "--device", "mps"],
    ],
)
def test_cli_refuses_before_loading_anything(
    argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    def no_loading(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a model was loaded")

    monkeypatch.setattr(cli, "load_flagged_model", no_loading)
    argv = [str(tmp_path) if a == "OUT" else a for a in argv]
    with pytest.raises(SystemExit) as caught:
        cli.main(argv)
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: --device")


@pytest.mark.usefixtures("no_gpu")
def test_cli_rejects_a_device_that_is_not_one(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main(["explain", "x.png", "--out", "o", "--device", "gpu"])
    assert caught.value.code == 2
    assert "--device" in capsys.readouterr().err


# --- the model carries the device ------------------------------------------------------------


@pytest.mark.usefixtures("chosen")
def test_models_load_onto_the_chosen_device() -> None:
    # `meta` stands in for a GPU: a device other than the CPU that exists on every machine.
    meta = torch.device("meta")
    assert load_model(EMBEDDED).device == torch.device("cpu")
    model = load_model(EMBEDDED, device=meta)
    assert model.device == meta
    assert all(p.device == meta for p in model.module.parameters())
    view = np.zeros((model.preprocessing.crop_size,) * 2 + (3,), np.uint8)
    assert model.to_input(view).device == meta
    use_device(meta)
    assert load_model(EMBEDDED).device == meta


def test_an_explicit_cpu_analysis_equals_the_default(photo: np.ndarray) -> None:
    default = analyze(load_model(EMBEDDED), photo)
    explicit = analyze(load_model(EMBEDDED, device=torch.device("cpu")), photo)
    np.testing.assert_array_equal(default.probabilities, explicit.probabilities)
    np.testing.assert_array_equal(default.cam, explicit.cam)
    assert default.top_indices.tolist() == explicit.top_indices.tolist()


@pytest.mark.parametrize("baseline", ["black", "blurred"])
def test_baselines_follow_their_input_onto_its_device(baseline: str) -> None:
    x = torch.empty(1, 3, 32, 32, device="meta")
    made = (
        attribution.black(x, (0.5, 0.5, 0.5), (0.25, 0.25, 0.25))
        if baseline == "black"
        else attribution.blurred(x)
    )
    assert made.device == x.device and made.shape == x.shape


def test_inputs_are_built_only_through_the_model() -> None:
    """`Preprocessing.to_tensor` is called in one place, `LoadedModel.to_input`: no input of
    the package can miss the model's device."""
    package = Path(resnet_demo.__file__).parent
    callers = sorted(
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if re.search(r"\.to_tensor\(", path.read_text(encoding="utf-8"))
    )
    assert callers == ["models/loading.py"]


# --- every path feeds the model on its device ------------------------------------------------


class DeviceWatch:
    """Counts reads of `LoadedModel.device` and checks, before every module's forward, that
    each tensor input lies on that module's parameters' device."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, model: LoadedModel) -> None:
        self.reads = 0
        self.calls = 0
        self.mismatches: list[str] = []
        read = LoadedModel.device.fget
        assert read is not None

        def counted(loaded: LoadedModel) -> torch.device:
            self.reads += 1
            return read(loaded)

        monkeypatch.setattr(LoadedModel, "device", property(counted))
        for name, module in model.module.named_modules():
            params = list(module.parameters(recurse=False))
            if params:
                module.register_forward_pre_hook(self._hook(name, params[0].device))

    def _hook(self, name: str, device: torch.device):  # type: ignore[no-untyped-def]
        def check(_module: torch.nn.Module, inputs: tuple[object, ...]) -> None:
            self.calls += 1
            for x in inputs:
                if isinstance(x, torch.Tensor) and x.device != device:
                    self.mismatches.append(f"{name}: {x.device} != {device}")

        return check

    def settle(self) -> None:
        """Assert the last paths read the model's device and fed every module on it."""
        assert self.reads > 0, "the input was built without reading LoadedModel.device"
        assert self.calls > 0 and not self.mismatches
        self.reads = self.calls = 0


def test_every_path_builds_its_inputs_on_the_models_device(
    monkeypatch: pytest.MonkeyPatch, photo: np.ndarray
) -> None:
    model = tiny_model(width=4, size=32)
    watch = DeviceWatch(monkeypatch, model)
    analyze(model, photo)
    watch.settle()
    for name in attribution.METHOD_NAMES:
        attribution_map(model, photo, 0, name, method_settings=_cheap(name))
        watch.settle()
    cam, _ = attribution_map(model, photo, 0)
    deletion_insertion(model, photo, 0, cam, steps=4)
    watch.settle()
    classify(model, photo, {"layer1.0": "skip-off"})
    watch.settle()
    intact_top1(model, model.preprocessing.model_view(photo))
    watch.settle()
    clear_cache()
    lesion_sweep(model, photo)
    watch.settle()
    lesion_curves(model, [photo, photo], draws=1, max_k=1)
    watch.settle()
    sanity_check(model, photo, methods=("gradcam",), max_steps=1)
    watch.settle()


def _cheap(name: str) -> dict[str, object]:
    """The fewest passes a method allows, so every method runs in the test's time."""
    schema = {s.name for s in attribution.METHODS[name].settings}
    cheap = {"steps": 2, "samples": 2}
    return {k: v for k, v in cheap.items() if k in schema}
