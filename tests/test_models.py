"""Registry and weight sources: files, hub cache, download failure, refusal of bad files."""

from __future__ import annotations

import pickle
import urllib.error
from pathlib import Path

import pytest
import torch
import torchvision
from conftest import write_random_weights

from resnet_demo.models import (
    EMBEDDED,
    ModelNameError,
    WeightsError,
    WeightsUnavailable,
    hub_cache_path,
    load_model,
    load_model_or_embedded,
    model_names,
    parse_model_name,
    read_state_dict,
    weights_status,
)
from resnet_demo.models import loading as loading_module
from resnet_demo.text import t
from resnet_demo.ui.server import parse_args


def test_registry_lists_every_published_weights_version() -> None:
    names = model_names()
    assert names[0] == EMBEDDED
    for arch in ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152"]:
        assert f"{arch}:IMAGENET1K_V1" in names
    for arch in ["resnet50", "resnet101", "resnet152"]:
        assert f"{arch}:IMAGENET1K_V2" in names
    assert "resnet18:IMAGENET1K_V2" not in names  # torchvision publishes only V1 for it


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("resnet50", "resnet50:IMAGENET1K_V2"),  # DEFAULT
        ("ResNet18", "resnet18:IMAGENET1K_V1"),
        ("resnet101:imagenet1k_v1", "resnet101:IMAGENET1K_V1"),
        ("embedded", "embedded"),
    ],
)
def test_parse_model_name(name: str, expected: str) -> None:
    assert parse_model_name(name).name == expected


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("vgg16", "unknown model"),
        ("resnet18:IMAGENET1K_V2", "unknown weights"),
        ("", "non-empty"),
        (None, "non-empty"),
    ],
)
def test_bad_model_names(name: object, match: str) -> None:
    with pytest.raises(ModelNameError, match=match):
        parse_model_name(name)


def test_state_dict_round_trip(resnet18_path: Path) -> None:
    model = load_model("resnet18", weights=resnet18_path)
    saved = torch.load(resnet18_path, weights_only=True)
    for key, value in model.module.state_dict().items():
        assert torch.equal(value, saved[key]), key
    assert model.source == f"file:{resnet18_path}"
    assert not model.module.training
    assert len(model.categories) == 1000 and model.categories[281] == "tabby"
    assert model.preprocessing.crop_size == 224 and model.preprocessing.resize_size == 256


def test_wrong_shapes_are_refused_with_the_keys_named(tmp_path: Path) -> None:
    path = write_random_weights("resnet34", tmp_path / "r34.pth", seed=1)
    with pytest.raises(WeightsError, match=r"do not fit.*unexpected keys") as info:
        load_model("resnet18", weights=path)
    assert "layer1.2" in str(info.value)
    state = torchvision.models.resnet18().state_dict()
    state["fc.weight"] = torch.zeros(10, 512)
    torch.save(state, tmp_path / "fc10.pth")
    with pytest.raises(
        WeightsError, match=r"wrong shapes.*fc\.weight \(10, 512\) != \(1000, 512\)"
    ):
        load_model("resnet18", weights=tmp_path / "fc10.pth")


class _Payload:
    def __reduce__(self) -> tuple:
        return (print, ("this must never run",))


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (lambda p: torch.save(torchvision.models.resnet18(), p), "not a plain PyTorch state_dict"),
        (lambda p: p.write_bytes(pickle.dumps(_Payload())), "not a plain PyTorch state_dict"),
        (lambda p: p.write_text("hello"), "not a plain PyTorch state_dict"),
        (lambda p: torch.save([torch.zeros(1)], p), "does not hold a state_dict"),
        (lambda p: torch.save({"a": 1}, p), "does not hold a state_dict"),
    ],
)
def test_non_state_dict_files_are_refused(
    tmp_path: Path, content, match: str, capsys: pytest.CaptureFixture
) -> None:
    path = tmp_path / "weights.pth"
    content(path)
    with pytest.raises(WeightsError, match=match):
        read_state_dict(path)
    assert "must never run" not in capsys.readouterr().out


def test_missing_file() -> None:
    with pytest.raises(WeightsError, match="not found"):
        load_model("resnet18", weights="/nonexistent/weights.pth")


def test_hub_cache_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    spec = parse_model_name("resnet18")
    assert hub_cache_path(spec) == tmp_path / "hub" / "checkpoints" / "resnet18-f37072fd.pth"
    assert weights_status("resnet18") == "needs_download"
    hub_cache_path(spec).parent.mkdir(parents=True)
    write_random_weights("resnet18", hub_cache_path(spec), seed=3)
    assert weights_status("resnet18") == "on_disk"
    model = load_model("resnet18", allow_download=False)
    assert model.source.startswith("hub-cache:")


def test_failed_download_says_how_to_place_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    calls: list[str] = []

    def offline(url: str, progress: bool) -> dict:
        calls.append(url)
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(loading_module, "_download", offline)
    with pytest.raises(WeightsUnavailable) as info:
        load_model("resnet50:IMAGENET1K_V1")
    message = str(info.value)
    assert calls == ["https://download.pytorch.org/models/resnet50-0676ba61.pth"]
    assert "no network" in message
    assert str(tmp_path / "hub" / "checkpoints" / "resnet50-0676ba61.pth") in message
    assert "--weights PATH" in message
    with pytest.raises(WeightsUnavailable, match="downloads are off"):
        load_model("resnet50", allow_download=False)


def test_offline_start_falls_back_to_the_embedded_model_and_says_why_in_either_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    model, reason = load_model_or_embedded("resnet18", allow_download=False)
    assert model.name == EMBEDDED and isinstance(reason, WeightsUnavailable)
    assert load_model_or_embedded(EMBEDDED)[1] is None
    zh = t("server_fallback", "zh", reason=reason.words("zh"))
    assert "resnet18" in zh and "内置模型" in zh and "downloads" not in zh
    with pytest.raises(SystemExit):
        parse_args(["--lang", "zh", "--help"])
    assert "从不尝试下载" in capsys.readouterr().out


def test_random_weights_are_seeded() -> None:
    a = load_model("resnet18", weights="random", seed=5)
    b = load_model("resnet18", weights="random", seed=5)
    c = load_model("resnet18", weights="random", seed=6)
    assert a.source == "random(seed=5)"
    assert torch.equal(a.module.conv1.weight, b.module.conv1.weight)
    assert not torch.equal(a.module.conv1.weight, c.module.conv1.weight)
