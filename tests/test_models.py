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


# ---- published accuracy -------------------------------------------------------------------------


def _meta_top1(arch: str) -> dict[str, tuple[float, float]]:
    """The oracle: torchvision's own weights metadata, read directly."""
    from torchvision.models import get_model_weights

    return {
        w.name: (
            w.meta["_metrics"]["ImageNet-1K"]["acc@1"],
            w.meta["_metrics"]["ImageNet-1K"]["acc@5"],
        )
        for w in get_model_weights(arch)
    }


def test_accuracy_of_every_weights_version_is_torchvision_meta() -> None:
    from resnet_demo.models.registry import architectures, torchvision_accuracy

    for arch in architectures():
        got = {w.version: (w.top1, w.top5) for w in torchvision_accuracy(arch)}
        assert got == _meta_top1(arch), arch
    # The picker's figures for ResNet-50: V1 and V2 of the same architecture.
    assert {w.version: w.top1 for w in torchvision_accuracy("resnet50")} == {
        "IMAGENET1K_V1": pytest.approx(76.13),
        "IMAGENET1K_V2": pytest.approx(80.858),
    }


def test_versions_share_the_architecture_and_differ_in_eval_resize() -> None:
    """Backs model_acc_recipes_differ: same parameter count, different evaluation resize."""
    from torchvision.models import get_model_weights

    from resnet_demo.models.registry import architectures

    for arch in architectures():
        weights = list(get_model_weights(arch))
        if len(weights) > 1:
            assert len({w.meta["num_params"] for w in weights}) == 1, arch
            assert len({tuple(w.transforms().resize_size) for w in weights}) == len(weights), arch


def test_bottleneck_architectures_are_marked_v1_5() -> None:
    from torchvision.models.resnet import Bottleneck

    from resnet_demo.models.registry import architectures, uses_bottleneck

    marked = {a for a in architectures() if uses_bottleneck(a)}
    assert marked == set(architectures()) - {"resnet18", "resnet34"}
    net = torchvision.models.resnet50()
    block = net.layer2[0]
    assert isinstance(block, Bottleneck)
    # V1.5: the stride-2 sits in the 3x3 conv, the first 1x1 keeps stride 1.
    assert block.conv1.stride == (1, 1) and block.conv2.stride == (2, 2)


def test_picker_status_and_cli_show_published_accuracy(capsys: pytest.CaptureFixture) -> None:
    import argparse

    from resnet_demo.cli import run_models
    from resnet_demo.models.describe import accuracy_label, model_facts

    facts = "\n".join(model_facts("resnet50", "en"))
    assert "76.13" in facts and "80.858" in facts and "92.862" in facts and "95.434" in facts
    assert "**IMAGENET1K_V2** (this one)" in facts  # plain resnet50 means V2
    assert "V1.5" in facts and "3×3" in facts
    assert "recipe" in facts
    assert "V1.5" not in "\n".join(model_facts("resnet18", "en"))
    assert "76.13" in accuracy_label("resnet50:IMAGENET1K_V1")
    assert "80.858" in "\n".join(model_facts("resnet50", "zh"))
    run_models(argparse.Namespace(lang="en"))
    out = capsys.readouterr().out
    assert any(
        line.startswith("resnet50:IMAGENET1K_V1") and "76.13" in line for line in out.splitlines()
    )
    assert any(
        line.startswith("resnet50:IMAGENET1K_V2") and "80.858" in line for line in out.splitlines()
    )


def test_embedded_models_show_their_own_cards_test_accuracy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from resnet_demo.models import registry
    from resnet_demo.models.describe import accuracy_label, model_facts

    card = json.loads(registry.EMBEDDED_CARDS["embedded"].read_text(encoding="utf-8"))
    first, end = card["test_shape_seeds"]
    assert end - first == 2000
    facts = model_facts("embedded", "en")
    assert facts == [t("model_acc_card", "en", acc=100 * card["test_accuracy"], n=2000)]
    assert "2,000 fresh shapes" in facts[0] and f"{100 * card['test_accuracy']:.2f} %" in facts[0]
    # Whatever card a registry entry names is the one read (more embedded models may come).
    other = dict(card, test_accuracy=0.5, test_shape_seeds=[0, 300])
    path = tmp_path / "other.json"
    path.write_text(json.dumps(other), encoding="utf-8")
    monkeypatch.setitem(registry.EMBEDDED_CARDS, "embedded", path)
    assert accuracy_label("embedded", "en") == "50.00 % on 300 test shapes"
    monkeypatch.setitem(registry.EMBEDDED_CARDS, "embedded", tmp_path / "missing.json")
    assert model_facts("embedded", "en") == [] and accuracy_label("embedded") == ""


def test_readme_accuracy_table_matches_torchvision_meta() -> None:
    import re

    from resnet_demo.models.registry import architectures, torchvision_accuracy, uses_bottleneck

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    for arch in architectures():
        (row,) = [line for line in readme.splitlines() if line.startswith(f"| {arch} |")]
        block = "Bottleneck (V1.5)" if uses_bottleneck(arch) else "BasicBlock"
        assert f"| {block} |" in row
        stated = re.findall(r"`(\w+)`( \(DEFAULT\))? ([\d.]+) / ([\d.]+)", row)
        expected = [
            (w.version, " (DEFAULT)" if w.default else "", w.top1, w.top5)
            for w in torchvision_accuracy(arch)
        ]
        assert [(v, d, float(a), float(b)) for v, d, a, b in stated] == expected, arch
