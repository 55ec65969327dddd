"""`python -m resnet_demo explain`: documented outputs, shapes and dtypes; one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from catalogue_words import english_words_in
from PIL import Image

from resnet_demo.cli import main, write_json
from resnet_demo.imaging import decode_image

REPO = Path(__file__).resolve().parents[1]
PHOTO = REPO / "assets" / "examples" / "chelsea.jpg"


def test_explain_writes_the_documented_outputs(resnet18_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code = main(
        [
            "explain",
            str(PHOTO),
            "--model",
            "resnet18",
            "--weights",
            str(resnet18_path),
            "--switch",
            "layer2.0=skip-off",
            "--switch",
            "layer4=branch-off",
            "--cam-layer",
            "layer3",
            "--target",
            "tabby",
            "--top-k",
            "3",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    result = json.loads((out / "result.json").read_text(encoding="utf-8"))
    assert result["model"] == "resnet18:IMAGENET1K_V1"
    assert result["weights_source"] == f"file:{resnet18_path}"
    assert result["input_size"] == [224, 224]
    assert result["switches"] == {
        "layer2.0": "skip-off",
        "layer4.0": "branch-off",
        "layer4.1": "branch-off",
    }
    assert (
        len(result["top_k"]) == 3
        and result["top_k"][0]["probability"] >= result["top_k"][1]["probability"]
    )
    assert result["target"] == {"index": 281, "label": "tabby"}
    assert result["cam_layer"] == "layer3.1"
    assert [b["name"] for b in result["blocks"]][:2] == ["layer1.0", "layer1.1"]
    assert result["comparison"]["switches"] == result["switches"]
    cam = np.load(out / "cam.npy")
    assert cam.dtype == np.float32 and cam.shape == (224, 224)
    assert cam.min() >= 0.0 and cam.max() <= 1.0
    with np.load(out / "activations.npz") as acts:
        assert sorted(acts.files) == sorted(b["name"] for b in result["blocks"])
        assert acts["layer1.0"].shape == (56, 56) and acts["layer4.1"].shape == (7, 7)
        assert acts["layer2.0"].dtype == np.float32
    with Image.open(out / "overlay.png") as overlay:
        assert overlay.size == (224, 224) and overlay.mode == "RGB"
    with Image.open(out / "card.png") as card:
        assert card.mode == "RGB" and card.width == 1200
        assert "exif" not in card.info


def test_explain_on_the_embedded_model_by_default(tmp_path: Path) -> None:
    shape = next((REPO / "assets" / "examples").glob("shapes_*.png"))
    assert main(["explain", str(shape), "--out", str(tmp_path)]) == 0
    result = json.loads((tmp_path / "result.json").read_text(encoding="utf-8"))
    assert result["model"] == "embedded" and result["weights_source"] == "embedded"
    assert result["top_k"][0]["label"] in shape.stem


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["explain", "{bad}"], "not a supported image"),
        (["explain", "{missing}"], "could not be opened"),
        (["explain", "{photo}", "--switch", "layer9.9=skip-off"], "unknown block"),
        (["explain", "{photo}", "--switch", "layer1.0"], "BLOCK=MODE"),
        (["explain", "{photo}", "--target", "unicorn"], "not a class"),
        (["explain", "{photo}", "--target", "99"], "out of range"),
        (["explain", "{photo}", "--model", "vgg16"], "unknown model"),
        (["explain", "{photo}", "--top-k", "0"], "top_k"),
        (["explain", "{photo}", "--cam-layer", "fc"], "unknown layer"),
        (["explain", "{photo}", "--weights", "{bad}"], "not a plain PyTorch state_dict"),
    ],
)
def test_bad_input_gives_exit_code_2_and_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], match: str
) -> None:
    bad = tmp_path / "notes.png"
    bad.write_text("<html>not an image</html>")
    paths = {"{bad}": str(bad), "{missing}": str(tmp_path / "nope.jpg"), "{photo}": str(PHOTO)}
    argv = [paths.get(a, a) for a in args] + ["--out", str(tmp_path / "out")]
    assert main(argv) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert match in lines[0]
    assert not (tmp_path / "out" / "result.json").exists()


def test_the_real_process_exits_non_zero_on_a_bad_image(tmp_path: Path) -> None:
    bad = tmp_path / "drawing.svg"
    bad.write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    run = subprocess.run(
        [sys.executable, "-m", "resnet_demo", "explain", str(bad), "--out", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: This file is not a supported image (JPEG, PNG, WebP")
    assert "SVG" in lines[0]


def _lab(tmp_path: Path, name: str, *args: str) -> dict:
    out = tmp_path / name
    assert main(["lab", *args, "--out", str(out)]) == 0
    with Image.open(out / "card.png") as card:
        assert card.mode == "RGB" and card.width == 1200
    return json.loads((out / "result.json").read_text(encoding="utf-8"))


def test_lab_cards_are_remade_from_the_same_settings(tmp_path: Path) -> None:
    from resnet_demo.lab.cards import lesion_sweep_card
    from resnet_demo.models import load_model

    shape = REPO / "assets" / "examples" / "shapes_star.png"
    numbers = _lab(tmp_path, "sweep", "sweep", str(shape))
    _, expected = lesion_sweep_card(load_model(), decode_image(shape), shape.name)
    assert numbers == json.loads(json.dumps(expected, allow_nan=False))
    curves = _lab(tmp_path, "curves", "curves", "--images", "8", "--draws", "1")
    assert curves == _lab(tmp_path, "curves2", "curves", "--images", "8", "--draws", "1")


def test_lab_race_is_remade_from_the_same_settings_in_either_language(tmp_path: Path) -> None:
    # The live race's recipe (plain-20/56, ResNet-20/56), two steps: the same numbers in both
    # languages, the captions worded in each.
    numbers = _lab(tmp_path, "race", "race", "--steps", "2", "--lang", "zh")
    assert numbers["caption"][0].startswith("模型：普通网络-20，普通网络-56，ResNet-20，ResNet-56")
    english = _lab(tmp_path, "race-en", "race", "--steps", "2")
    for key in ("train_losses", "test_errors", "settings"):  # elapsed time may differ
        assert english["result"][key] == numbers["result"][key]
    assert english["result"]["steps"] == 2 and set(english["result"]["train_losses"]) == {
        "plain-20",
        "plain-56",
        "resnet-20",
        "resnet-56",
    }
    assert any("He et al. 2016, Fig. 1" in line for line in english["caption"])


def test_lab_has_one_subcommand_per_experiment_with_its_own_flags(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path / "out")
    for argv in (
        ["lab", "race", "--depths", "8", "--out", out],  # gradient flow's flag
        ["lab", "race", "--depth", "8", "--out", out],  # the race has no depth any more
        ["lab", "race", "--draws", "2", "--out", out],  # lesion curves' flag
        ["lab", "sweep", "--out", out],  # the sweep needs its image
    ):
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 2
    assert "unrecognized arguments" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_race_without_steps_is_written_as_strict_json(tmp_path: Path) -> None:
    import threading

    from resnet_demo.lab.cards import race_card
    from resnet_demo.lab.race import RaceConfig

    stopped = threading.Event()
    stopped.set()  # the race stops before its first step: no losses, no mean loss yet
    small = RaceConfig(depths=(8, 14), n_train=8, n_test=8, image_size=8, batch_size=4)
    _, numbers = race_card(max_steps=3, seed=0, stop=stopped, recipe=small)
    assert numbers["result"]["steps"] == 0
    write_json(tmp_path / "result.json", numbers)
    text = (tmp_path / "result.json").read_text(encoding="utf-8")

    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} is not JSON")

    result = json.loads(text, parse_constant=refuse)
    assert result["result"]["final_mean_loss_last_20"] == dict.fromkeys(
        ("plain-8", "plain-14", "resnet-8", "resnet-14")
    )


def test_explain_in_chinese_has_no_english_word_and_one_shared_scale(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from resnet_demo import shapes
    from resnet_demo.render import recording_texts
    from resnet_demo.text import t

    shape = REPO / "assets" / "examples" / "shapes_star.png"
    argv = ["explain", str(shape), "--switch", "layer4=skip-off", "--lang", "zh"]
    with recording_texts() as texts:
        assert main([*argv, "--out", str(tmp_path)]) == 0
    for key in ("card_input", "panel_switched", "panel_diff", "card_key", "card_diff_key"):
        assert t(key, "zh") in texts  # intact, switched and their difference, one colour key
    assert texts.count(t("card_key", "zh")) == 1
    data = [*shapes.CLASS_NAMES, "shapes_star.png", "embedded"]
    assert english_words_in(texts, data) == set()
    printed = capsys.readouterr().out
    assert english_words_in(printed.splitlines(), [*data, str(tmp_path)]) == set()
    assert "已写出" in printed
