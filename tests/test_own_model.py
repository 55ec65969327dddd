"""The teacher's own model: `--weights FILE --labels FILE` for the CLI and the app.

A test-written ResNet-18 state_dict with 5 classes loads and explains through the CLI and through
the app's start-up function; every bad file gives one message naming what it holds; the worked
example of the README (training/finetune_head.py) runs end to end on a tiny budget.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision
from app_server import new_client, output_positions, running_app
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from resnet_demo.analysis import analyze
from resnet_demo.cli import main as cli_main
from resnet_demo.errors import DemoError, InvalidValue
from resnet_demo.imaging import decode_image
from resnet_demo.models import WeightsError, load_model
from resnet_demo.models.diagnose import describe_state
from resnet_demo.models.embedded import read_card
from resnet_demo.models.errors import LabelsError
from resnet_demo.models.own import (
    IMAGENET_PREPROCESSING,
    load_from_flags,
    override_preprocessing,
    read_labels,
)
from resnet_demo.text import t
from resnet_demo.ui import server, views
from resnet_demo.ui.handlers import Handlers
from resnet_demo.ui.layout import build_page
from resnet_demo.ui.registry import ModelRegistry
from resnet_demo.ui.session import Engine, new_session

REPO = Path(__file__).resolve().parents[1]
PHOTO = REPO / "assets" / "examples" / "chelsea.jpg"
FRUIT = ("apple", "banana", "cherry", "date", "elderberry")
FRUIT_ZH = ("苹果", "香蕉", "樱桃", "枣", "接骨木莓")
CONTROLS = {"target": -1, "layer": "layer4", "top_k": 5, "opacity": 0.5, "strip": None}


@pytest.fixture(scope="module")
def own(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A seeded ResNet-18 with 5 outputs saved as a plain state_dict, with its labels."""
    folder = tmp_path_factory.mktemp("own")
    torch.manual_seed(5)
    torch.save(torchvision.models.resnet18(num_classes=5).state_dict(), folder / "fruit.pt")
    (folder / "fruit.json").write_text(json.dumps(list(FRUIT)), encoding="utf-8")
    (folder / "fruit_zh.txt").write_text("\n".join(FRUIT_ZH) + "\n\n", encoding="utf-8")
    (folder / "four.txt").write_text("\n".join(FRUIT[:4]), encoding="utf-8")
    (folder / "six_zh.txt").write_text("\n".join([*FRUIT_ZH, "梨"]), encoding="utf-8")
    return {
        "weights": folder / "fruit.pt",
        "labels": folder / "fruit.json",
        "labels_zh": folder / "fruit_zh.txt",
        "four": folder / "four.txt",
        "six_zh": folder / "six_zh.txt",
        "folder": folder,
    }


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli_main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# ---- loading and explaining ---------------------------------------------------------------


def test_resnet18_with_five_classes_explains_through_the_cli(
    own: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    argv = ["explain", str(PHOTO), "--model", "resnet18", "--weights", str(own["weights"])]
    argv += ["--labels", str(own["labels"]), "--labels", f"zh={own['labels_zh']}"]
    code, stdout, err = run_cli([*argv, "--target", "cherry", "--out", str(out)], capsys)
    assert code == 0, err
    result = json.loads((out / "result.json").read_text(encoding="utf-8"))
    assert result["model"] == "own:resnet18"
    assert result["weights_source"] == f"file:{own['weights']}"
    # the default top-5 lists all five classes, by the file's names
    assert sorted(row["label"] for row in result["top_k"]) == sorted(FRUIT)
    assert result["target"] == {"index": 2, "label": "cherry"}
    assert "own:resnet18" in stdout and (out / "card.png").is_file()
    code, stdout, _ = run_cli([*argv, "--lang", "zh", "--out", str(tmp_path / "zh")], capsys)
    pairs = zip(FRUIT_ZH, FRUIT, strict=True)
    assert code == 0 and any(f"{zh} ({en})" in stdout for zh, en in pairs)


def test_the_apps_start_up_loads_it_and_the_page_lists_its_classes(own: dict[str, Path]) -> None:
    args = server.parse_args(
        [
            *("--model", "resnet18", "--weights", str(own["weights"])),
            *("--labels", f"zh={own['labels_zh']}", "--labels", str(own["labels"]), "--offline"),
        ]
    )
    model, reason = server.load_default_model(args)
    assert reason is None and model.name == "own:resnet18"
    assert model.categories == FRUIT and model.names_in("zh") == FRUIT_ZH
    assert model.names_in("en") == FRUIT and model.names_in("fr") == FRUIT
    assert model.preprocessing == IMAGENET_PREPROCESSING
    # the target picker offers the teacher's classes, in both languages
    picker = views.target_choices(model, "en")
    assert sorted(label for label, _ in picker[1:]) == sorted(FRUIT)
    zh = [label for label, _ in views.target_choices(model, "zh")[1:]]
    assert sorted(zh) == sorted(f"{z} ({e})" for z, e in zip(FRUIT_ZH, FRUIT, strict=True))
    # the page's handlers: the picker names the model, the predictions use its class names
    _, page, _ = build_page(model)
    handlers = Handlers(Engine(ModelRegistry(model, allow_download=False)), page)
    assert views.model_choices(handlers.registry, "en")[0][1] == "own:resnet18"
    assert handlers.registry.status("own:resnet18") == "loaded"
    session = handlers.on_image(str(PHOTO), new_session(handlers.registry), **CONTROLS, lang="en")
    predictions = session[page.results.predictions]
    assert set(predictions) == set(FRUIT)
    assert "own:resnet18" in views.status_text(handlers.engine.model(session[page.state]), "en")


def test_the_app_exits_with_one_message_on_a_bad_file(
    own: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--model", "resnet18", "--weights", str(own["weights"]), "--labels", str(own["four"])]
    with pytest.raises(SystemExit) as exit_:
        server.main(argv)
    message = str(exit_.value.code)
    assert message.startswith("error: ") and "\n" not in message
    assert "has 5 outputs" in message and "names 4 classes" in message


def test_embedded_architecture_keeps_its_cards_preprocessing_unless_flags_say_otherwise(
    own: dict[str, Path], tmp_path: Path
) -> None:
    embedded = load_model("embedded")
    state = embedded.module.state_dict()
    state["fc.weight"], state["fc.bias"] = state["fc.weight"][:3], state["fc.bias"][:3]
    torch.save(state, tmp_path / "head.pt")
    (tmp_path / "labels.txt").write_text("a\nb\nc\n", encoding="utf-8")
    model = load_from_flags("embedded", str(tmp_path / "head.pt"), str(tmp_path / "labels.txt"))
    card = read_card()
    size = int(card["input_size"])
    assert model.name == "own:embedded" and model.categories == ("a", "b", "c")
    assert model.preprocessing.crop_size == size == model.preprocessing.resize_size
    assert model.preprocessing.mean == tuple(card["mean"])
    changed = load_from_flags(
        "embedded",
        str(tmp_path / "head.pt"),
        str(tmp_path / "labels.txt"),
        input_size=96,
        mean=(0.5, 0.5, 0.5),
        std=(0.2, 0.3, 0.4),
    )
    assert (changed.preprocessing.crop_size, changed.preprocessing.resize_size) == (96, 96)
    assert changed.preprocessing.std == (0.2, 0.3, 0.4)
    # a top_k above the class count lists every class (the app's and the CLI's default is 5)
    analysis = analyze(model, decode_image(PHOTO), top_k=5)
    assert len(analysis.top_indices) == 3


def test_preprocessing_flags_are_validated() -> None:
    base = IMAGENET_PREPROCESSING
    assert override_preprocessing(base, input_size=448).resize_size == 512
    assert override_preprocessing(base) == base
    for bad in (
        {"input_size": 15},
        {"input_size": 1025},
        {"std": (0.2, 0.0, 0.2)},
        {"std": (0.2, -0.1, 0.2)},
        {"std": (0.2, 0.2)},
        {"mean": (float("nan"), 0.5, 0.5)},
    ):
        with pytest.raises(InvalidValue):
            override_preprocessing(base, **bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("flags", "match"),
    [
        (["--std", "0.2", "0", "0.2"], "--std"),
        (["--input-size", "8"], "--input-size"),
        (["--input-size", "2048"], "--input-size"),
    ],
)
def test_bad_preprocessing_flags_exit_2_with_one_line(
    flags: list[str], match: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(["explain", str(PHOTO), *flags, "--out", str(tmp_path)], capsys)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: ") and match in lines[0]


# ---- bad input: one message naming what was found ------------------------------------------


def _write_bad(kind: str, folder: Path, own: dict[str, Path]) -> tuple[list[str], str]:
    """(extra CLI flags, expected words) for one bad input."""
    w, lab = str(own["weights"]), str(own["labels"])
    path = folder / f"{kind}.bin"
    if kind == "whole-model":
        torch.save(torchvision.models.resnet18(num_classes=5), path)
        return ["--weights", str(path), "--labels", lab], "whole pickled object"
    if kind == "zip":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("photo.jpg", b"x")
        return ["--weights", str(path), "--labels", lab], "zip archive of 1 other files"
    if kind == "text":
        path.write_text("these are not weights")
        return ["--weights", str(path), "--labels", lab], "text file"
    if kind == "checkpoint":
        torch.save({"state_dict": torch.load(own["weights"]), "epoch": 3}, path)
        return ["--weights", str(path), "--labels", lab], "training checkpoint"
    if kind == "architecture":  # an embedded-architecture file offered as a ResNet-18
        state = load_model("embedded").module.state_dict()
        torch.save(state, path)
        return ["--weights", str(path), "--labels", str(folder / "ten.txt")], (
            "looks like embedded (BasicBlock blocks, fc 128→10), not resnet18"
        )
    if kind == "count":
        return ["--weights", w, "--labels", str(own["four"])], "has 5 outputs"
    if kind == "zh-count":
        flags = ["--weights", w, "--labels", lab, "--labels", f"zh={own['six_zh']}"]
        return flags, "names 6 classes but the English labels name 5"
    labels = folder / f"{kind}.txt"
    if kind == "empty":
        labels.write_text("\n\n")
        words = "names 0 classes"
    elif kind == "duplicate":
        labels.write_text("a\nb\nA\nc\nd\n")
        words = "A appears twice (lines 1 and 3)"
    elif kind == "not-utf8":
        labels.write_bytes(b"pomme\nbanane\n" + "épée".encode("latin-1"))
        words = "not UTF-8"
    elif kind == "json-dict":
        labels = folder / "labels.json"
        labels.write_text('{"0": "apple"}')
        words = "JSON object, not a list"
    elif kind == "json-number":
        labels = folder / "numbers.json"
        labels.write_text('["apple", 2, "cherry"]')
        words = "entry 2 is 2"
    elif kind == "too-large":
        labels.write_text("x" * 1_000_001)
        words = "1000001 bytes"
    elif kind == "blank-line":
        labels.write_text("a\n\nb\nc\nd\ne\n")
        words = "line 2 is empty"
    elif kind == "no-weights":
        return ["--labels", lab], "give --weights FILE too"
    elif kind == "zh-alone":
        flags = ["--weights", w, "--labels", f"zh={own['labels_zh']}"]
        return flags, "--labels zh=FILE needs --labels FILE"
    elif kind == "unknown-lang":
        return ["--weights", w, "--labels", f"fr={lab}"], "fr is not a language of the app"
    elif kind == "twice":
        return ["--weights", w, "--labels", lab, "--labels", f"en={lab}"], "two files for"
    else:  # pragma: no cover
        raise AssertionError(kind)
    return ["--weights", w, "--labels", str(labels)], words


BAD = [
    "whole-model",
    "zip",
    "text",
    "checkpoint",
    "architecture",
    "count",
    "zh-count",
    "empty",
    "duplicate",
    "not-utf8",
    "json-dict",
    "json-number",
    "too-large",
    "blank-line",
    "no-weights",
    "zh-alone",
    "unknown-lang",
    "twice",
]


@pytest.mark.parametrize("kind", BAD)
def test_each_bad_input_gives_one_message_and_exit_code_2(
    kind: str, own: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "ten.txt").write_text("\n".join(f"c{i}" for i in range(10)))
    flags, words = _write_bad(kind, tmp_path, own)
    out = tmp_path / "out"
    argv = ["explain", str(PHOTO), "--model", "resnet18", *flags, "--out", str(out)]
    code, _, err = run_cli(argv, capsys)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), err
    assert words in lines[0], lines[0]
    assert not (out / "result.json").exists()
    # the same words in Chinese through the catalogue: a DemoError with a key, never a traceback
    code, _, err = run_cli([*argv, "--lang", "zh"], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1


def test_other_architectures_are_named() -> None:
    with torch.device("meta"):
        resnet50 = torchvision.models.resnet50(num_classes=10).state_dict()
        resnext = torchvision.models.resnext50_32x4d(num_classes=7).state_dict()
    assert describe_state(resnet50).words("en") == "resnet50 (Bottleneck blocks, fc 2048→10)"
    assert describe_state(resnext).words("en") == "resnext50_32x4d (Bottleneck blocks, fc 2048→7)"
    other = describe_state({"features.0.weight": torch.zeros(1)}).words("en")
    assert other.startswith("a network that is not a ResNet")


def test_the_diagnosis_is_worded_by_the_catalogue_in_both_languages() -> None:
    """`describe_state` names what it found with a catalogue key and fields, never a sentence:
    the same diagnosis reads in English and in Chinese, inside the error's message too."""
    with torch.device("meta"):
        resnet50 = torchvision.models.resnet50(num_classes=10).state_dict()
    odd = dict(resnet50)
    del odd["layer4.2.conv1.weight"]  # a ResNet, but no architecture here
    fields = {"block": "Bottleneck", "fc_in": 2048, "fc_out": 10}
    cases = [
        (resnet50, "found_architecture", {"arch": "resnet50", **fields}),
        (odd, "found_other_resnet", {"layers": "[3, 4, 6, 3]", **fields}),
        ({"features.0.weight": torch.zeros(1)}, "found_not_resnet", {"keys": "features.0.weight"}),
    ]
    for state, key, expected in cases:
        found = describe_state(state)
        assert found.key == key and dict(found.fields) == expected
        for lang in ("en", "zh"):
            assert found.words(lang) == t(key, lang, **expected)
        error = WeightsError("weights_wrong_architecture", path="x.pt", found=found, arch="a")
        assert found.words("zh") in error.words("zh") and found.words("en") in str(error)
    assert "残差块" in describe_state(resnet50).words("zh")


def test_wrong_architecture_is_a_weights_error_naming_both(
    own: dict[str, Path], tmp_path: Path
) -> None:
    with pytest.raises(WeightsError, match=r"looks like resnet18 \(BasicBlock blocks, fc 512→5\)"):
        load_from_flags("resnet34", str(own["weights"]), str(own["labels"]))
    with pytest.raises(WeightsError, match="not embedded"):
        load_from_flags("embedded", str(own["weights"]), str(own["labels"]))


def test_labels_files_read_as_documented(tmp_path: Path) -> None:
    txt = tmp_path / "l.txt"
    txt.write_bytes("\ufeffcat \n dog\n\n".encode())  # BOM, spaces and trailing blank lines
    assert read_labels(txt) == ("cat", "dog")
    js = tmp_path / "l.json"
    js.write_text(json.dumps(["猫", "狗"], ensure_ascii=False), encoding="utf-8")
    assert read_labels(js) == ("猫", "狗")
    with pytest.raises(LabelsError) as info:
        read_labels(tmp_path / "missing.txt")
    assert isinstance(info.value, DemoError) and info.value.key == "labels_not_found"


# ---- the worked example --------------------------------------------------------------------


@pytest.mark.slow
def test_the_worked_example_fine_tunes_a_head_that_beats_chance_and_explains(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from training.finetune_head import CLASSES, finetune

    out = tmp_path / "finetune"
    result = finetune(out, per_class=12, test_per_class=10, steps=150, budget_s=60, seed=0)
    assert result.n_test == 30 and result.steps > 0
    assert result.test_accuracy > 0.5  # chance is 1/3
    assert (out / "labels.txt").read_text(encoding="utf-8").split() == list(CLASSES)
    state = torch.load(out / "head3.pt", weights_only=True)
    assert tuple(state["fc.weight"].shape) == (3, 128)
    # the frozen body is the embedded model's, unchanged
    body = load_model("embedded").module.state_dict()
    assert all(torch.equal(state[k], v) for k, v in body.items() if not k.startswith("fc."))
    explain = tmp_path / "explain"
    argv = ["explain", str(out / "example_pentagon.png"), "--model", "embedded"]
    argv += ["--weights", str(out / "head3.pt"), "--labels", str(out / "labels.txt")]
    argv += ["--labels", f"zh={out / 'labels_zh.txt'}", "--out", str(explain)]
    code, _, err = run_cli(argv, capsys)
    assert code == 0, err
    explained = json.loads((explain / "result.json").read_text(encoding="utf-8"))
    assert explained["model"] == "own:embedded"
    assert {row["label"] for row in explained["top_k"]} == set(CLASSES)
    assert np.isfinite(np.load(explain / "cam.npy")).all()


@pytest.mark.server
def test_an_api_client_analyses_and_switches_the_teachers_model(own: dict[str, Path]) -> None:
    """The teacher's 5-class ResNet-18 behind the launched app, driven through `gradio_client`:
    the predictions are its classes with `analyze`'s numbers, a switch gives the switched
    network's numbers, and a bad block name is one clear error after which the app serves on."""
    args = server.parse_args(
        [
            *("--model", "resnet18", "--weights", str(own["weights"])),
            *("--labels", str(own["labels"]), "--offline"),
        ]
    )
    model, reason = server.load_default_model(args)
    assert reason is None
    image = decode_image(PHOTO.read_bytes())

    def confidences(out: tuple, field: int) -> dict[str, float]:
        return {c["label"]: c["confidence"] for c in out[field]["confidences"]}

    with running_app(model) as running:
        field = output_positions(running.url, "/analyze")["predictions"]
        client = new_client(running.url, None)
        try:
            out = client.predict(handle_file(str(PHOTO)), api_name="/analyze")
            expected = analyze(model, image)
            got = confidences(out, field)
            assert set(got) == set(FRUIT)
            for label, p in zip(expected.top_labels, expected.top_probs, strict=True):
                assert got[label] == pytest.approx(float(p), abs=1e-4)
            switches = {"layer3.0": "skip-off"}
            out = client.predict(strip={"modes": switches}, api_name="/switch")
            expected = analyze(model, image, switches=switches)
            got = confidences(out, field)
            for label, p in zip(expected.top_labels, expected.top_probs, strict=True):
                assert got[label] == pytest.approx(float(p), abs=1e-4)
            with pytest.raises(AppError, match="unknown block"):
                client.predict(strip={"modes": {"layer5.0": "skip-off"}}, api_name="/switch")
            out = client.predict(strip={"modes": {}}, api_name="/switch")
            assert set(confidences(out, field)) == set(FRUIT)
        finally:
            client.close()
