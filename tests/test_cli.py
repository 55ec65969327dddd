"""`python -m resnet_demo explain`: documented outputs, shapes and dtypes; one-line errors."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from catalogue_words import english_words_in
from PIL import Image

from resnet_demo.batch import SUMMARY_FIELDS
from resnet_demo.cli import batch_images, main, write_json
from resnet_demo.imaging import decode_image
from resnet_demo.models import parse_model_name
from resnet_demo.models.describe import PHOTO_MODEL
from resnet_demo.models.loading import offline_copy

REPO = Path(__file__).resolve().parents[1]
PHOTO = REPO / "assets" / "examples" / "chelsea.jpg"
OUTPUTS = ("result.json", "cam.npy", "activations.npz", "overlay.png", "card.png")


def notice_files() -> list[str]:
    """The URL and path a shapes model's notice names (file names: the same in every language)."""
    return list(offline_copy(parse_model_name(PHOTO_MODEL)).values())


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
    assert "notice" not in result  # an ImageNet model knows more than the shapes
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


@pytest.mark.slow
def test_lab_cards_are_remade_from_the_same_settings(tmp_path: Path) -> None:
    from resnet_demo.lab.cards import lesion_sweep_card
    from resnet_demo.models import load_model

    shape = REPO / "assets" / "examples" / "shapes_star.png"
    numbers = _lab(tmp_path, "sweep", "sweep", str(shape))
    _, expected = lesion_sweep_card(load_model(), decode_image(shape), shape.name)
    assert numbers == json.loads(json.dumps(expected, allow_nan=False))
    curves = _lab(tmp_path, "curves", "curves", "--images", "8", "--draws", "1")
    assert curves == _lab(tmp_path, "curves2", "curves", "--images", "8", "--draws", "1")


def test_lab_robustness_compares_the_two_embedded_recipes(tmp_path: Path) -> None:
    numbers = _lab(tmp_path, "robust", "robustness", "--images", "8", "--draws", "1")
    assert numbers["panel"] == "robustness"
    assert list(numbers["results"]) == ["embedded", "embedded-no-sd"]
    settings = [(r["draws"], r["seed"]) for r in numbers["results"].values()]
    assert settings == [(1, 0), (1, 0)]


@pytest.mark.slow
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
    data = [*shapes.CLASS_NAMES, "shapes_star.png", "embedded", *notice_files()]
    assert english_words_in(texts, data) == set()
    printed = capsys.readouterr().out
    assert english_words_in(printed.splitlines(), [*data, str(tmp_path)]) == set()
    assert "已写出" in printed


SHAPE = REPO / "assets" / "examples" / "shapes_star.png"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_shapes_model_says_it_knows_only_its_shapes_and_how_to_get_a_photo_model(
    lang: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A photo on the default model keeps its prediction, and stdout, result.json
    and the card say, in the user's language, which ten shapes the model knows and how to get
    a model for photos (resnet18's download size online, the file to copy offline)."""
    from resnet_demo.render import recording_texts
    from resnet_demo.shapes import CLASS_NAMES
    from resnet_demo.text import t

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))  # resnet18 not on this computer
    with recording_texts() as texts:
        assert main(["explain", str(PHOTO), "--lang", lang, "--out", str(tmp_path / "o")]) == 0
    printed = capsys.readouterr().out.splitlines()
    result = json.loads((tmp_path / "o" / "result.json").read_text(encoding="utf-8"))
    notice = result["notice"]
    assert len(notice) == 2 and all(line in printed for line in notice)
    card = "".join(texts).replace(" ", "")  # the card's lines, wrapped to its width
    assert all(line.replace(" ", "") in card for line in notice)
    label = result["top_k"][0]["label"]
    assert label in CLASS_NAMES and any(label in line and "%" in line for line in printed)
    assert all(t(f"shape_{name}", lang) in notice[0] for name in CLASS_NAMES)
    spec = parse_model_name(PHOTO_MODEL)
    copy = offline_copy(spec)
    size = spec.weights.meta["_file_size"]
    expected = t("cli_shapes_photo_download", lang, model=spec.name, size=size, **copy)
    assert notice[1] == expected and copy["path"].startswith(str(tmp_path / "torch"))
    assert f"{size:.0f} MB" in expected and "--model resnet18:IMAGENET1K_V1" in expected


@pytest.mark.parametrize(
    ("method", "flags", "settings"),
    [
        ("saliency", [], {"abs": True}),
        ("grad-x-act", ["--cam-layer", "layer3"], {"reduction": "sum over channels"}),
        (
            "integrated-gradients",
            ["--baseline", "blurred", "--steps", "4"],
            {"steps": 4, "baseline": "blurred", "integration": "gausslegendre"},
        ),
    ],
)
def test_explain_with_a_method_writes_its_map_and_names_it(
    tmp_path: Path, method: str, flags: list[str], settings: dict
) -> None:
    from resnet_demo.analysis import attribution_map
    from resnet_demo.models import load_model
    from resnet_demo.render import overlay

    out = tmp_path / method
    assert main(["explain", str(SHAPE), "--method", method, *flags, "--out", str(out)]) == 0
    result = json.loads((out / "result.json").read_text(encoding="utf-8"))
    assert result["method"]["name"] == method and result["method"]["settings"] == settings
    cam = np.load(out / "cam.npy")
    model = load_model()
    overrides = {k: v for k, v in settings.items() if k in ("steps", "baseline")}
    layer = flags[flags.index("--cam-layer") + 1] if "--cam-layer" in flags else "layer4"
    target = result["target"]["index"]
    expected, _ = attribution_map(
        model, decode_image(SHAPE), target, method, layer, None, overrides
    )
    np.testing.assert_allclose(cam, expected, atol=1e-6)
    signed = method == "grad-x-act"
    assert result["method"]["signed"] is signed
    if signed:  # [-1, 1], both signs present, drawn with the diverging colours
        assert cam.min() < 0 < cam.max() and np.abs(cam).max() == pytest.approx(1.0)
    else:
        assert cam.min() >= 0 and cam.max() == pytest.approx(1.0)
    view = np.asarray(Image.open(out / "overlay.png").convert("RGB"))
    assert np.array_equal(view, overlay(view_of(model, SHAPE), cam, signed=signed))


def view_of(model: object, path: Path) -> np.ndarray:
    """The model's input crop of the image at `path` (what the overlay is drawn on)."""
    return model.preprocessing.model_view(decode_image(path))  # type: ignore[attr-defined]


def test_a_signed_map_is_drawn_diverging_with_zero_near_white() -> None:
    from resnet_demo.render import overlay

    image = np.zeros((4, 4, 3), np.uint8)
    heat = np.array([[-1.0, 0.0], [0.5, 1.0]], np.float32).repeat(2, 0).repeat(2, 1)
    drawn = overlay(image, heat, alpha=1.0, signed=True)
    assert drawn[0, 2].min() >= 240  # 0: RdBu_r's middle colour, near-white
    assert drawn[0, 0, 2] > drawn[0, 0, 0]  # -1 blue
    assert drawn[2, 2, 0] > drawn[2, 2, 2]  # +1 red
    assert not np.array_equal(drawn, overlay(image, heat, alpha=1.0))


def test_the_card_names_the_method_and_draws_a_signed_comparison(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from resnet_demo import shapes
    from resnet_demo.render import recording_texts
    from resnet_demo.text import t

    argv = ["explain", str(SHAPE), "--method", "gradcam-signed", "--switch", "layer4=skip-off"]
    for lang in ("en", "zh"):
        with recording_texts() as texts:
            assert main([*argv, "--lang", lang, "--out", str(tmp_path / lang)]) == 0
        result = json.loads((tmp_path / lang / "result.json").read_text(encoding="utf-8"))
        names = list(shapes.CLASS_NAMES if lang == "en" else shapes.class_names_in("zh"))
        target = names[result["target"]["index"]]
        if lang == "zh":
            target = f"{target} ({shapes.CLASS_NAMES[result['target']['index']]})"
        caption = t(
            "card_method_layer", lang, method="gradcam-signed", target=target, layer="layer4.1"
        )
        assert caption in texts
        for key in ("card_method_key", "panel_method_switched", "card_method_diff_key"):
            assert t(key, lang, method="gradcam-signed") in texts
        assert t("card_negative", lang) in texts and t("card_grad_cam", lang) not in texts
    data = [*shapes.CLASS_NAMES, "shapes_star.png", "embedded", "gradcam-signed", *notice_files()]
    assert english_words_in(texts, data) == set()
    capsys.readouterr()


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["--method", "saliency", "--steps", "8"], "saliency has no setting 'steps'"),
        (["--method", "integrated-gradients", "--steps", "0"], "steps must be between 1"),
        (["--method", "smoothgrad", "--samples", "100"], "samples must be between 1 and 64"),
    ],
)
def test_bad_method_settings_give_exit_code_2_and_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], match: str
) -> None:
    assert main(["explain", str(SHAPE), *args, "--out", str(tmp_path / "out")]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and match in lines[0]
    assert not (tmp_path / "out").exists()


def test_an_unknown_method_is_refused_by_argparse_with_the_choices(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from resnet_demo.analysis.methods import METHOD_NAMES

    for bad in (["--method", "gradcam++"], ["--method", "occlusion", "--baseline", "white"]):
        with pytest.raises(SystemExit) as exit_:
            main(["explain", str(SHAPE), *bad, "--out", str(tmp_path / "out")])
        assert exit_.value.code == 2
        err = capsys.readouterr().err
        assert "invalid choice" in err
    assert "'black'" in err and "'blurred'" in err
    with pytest.raises(SystemExit):
        main(["explain", str(SHAPE), "--method", "x", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert all(f"'{name}'" in err for name in METHOD_NAMES)
    assert not (tmp_path / "out").exists()


def _shape_files() -> list[Path]:
    return sorted((REPO / "assets" / "examples").glob("shapes_*.png"))[:3]


def test_explain_a_folder_writes_a_folder_per_image_and_a_summary(tmp_path: Path) -> None:
    """A folder (its image files by name; not its subfolders, hidden or other
    files), a broken file reported and passed over, every row equal to analysing alone."""
    from resnet_demo.analysis import analyze
    from resnet_demo.models import load_model

    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    shapes = _shape_files()
    for shape in shapes:
        (folder / shape.name).write_bytes(shape.read_bytes())
    (folder / "sub" / "inner.png").write_bytes(shapes[0].read_bytes())
    (folder / ".hidden.png").write_bytes(shapes[0].read_bytes())
    (folder / "notes.txt").write_text("not an image", encoding="utf-8")
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    out = tmp_path / "out"
    argv = ["explain", str(folder), "--switch", "layer2=skip-off", "--out", str(out)]
    assert main(argv) == 2  # one file could not be read: the others are done all the same
    with (out / "summary.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [Path(r["file"]).name for r in rows] == sorted(["broken.png", *(s.name for s in shapes)])
    assert tuple(rows[0]) == SUMMARY_FIELDS
    broken = rows[0]
    assert "damaged" in broken["error"] and broken["intact_top1"] == ""
    assert not (out / "broken.png").exists()
    model = load_model()
    for row in rows[1:]:
        assert row["error"] == ""
        name = Path(row["file"]).name
        assert sorted(p.name for p in (out / name).iterdir()) == sorted(OUTPUTS)
        image = decode_image(folder / name)
        switched = analyze(model, image, switches={"layer2": "skip-off"})
        intact = analyze(model, image)
        assert row["intact_top1"] == model.categories[int(intact.top_indices[0])]
        assert float(row["intact_probability"]) == pytest.approx(intact.top_probs[0], abs=1e-4)
        assert row["switched_top1"] == model.categories[int(switched.top_indices[0])]
        assert float(row["switched_probability"]) == pytest.approx(switched.top_probs[0], abs=1e-4)
        flipped = intact.top_indices[0] != switched.top_indices[0]
        assert row["flipped"] == str(bool(flipped)).lower()


def test_explain_several_images_names_repeats_apart_and_refuses_an_empty_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    for folder in (first, second):
        folder.mkdir()
        (folder / "same.png").write_bytes(_shape_files()[0].read_bytes())
    out = tmp_path / "out"
    assert main(["explain", str(first / "same.png"), str(second), "--out", str(out)]) == 0
    assert (out / "same.png" / "card.png").is_file() and (out / "same.png-2" / "card.png").is_file()
    with (out / "summary.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2 and rows[0]["intact_top1"] == rows[1]["intact_top1"]
    assert all(r["flipped"] == "false" and r["switched_top1"] == r["intact_top1"] for r in rows)
    empty = tmp_path / "empty"
    empty.mkdir()
    capsys.readouterr()
    assert main(["explain", str(empty), "--out", str(tmp_path / "none")]) == 2
    assert "no image files" in capsys.readouterr().err


def test_a_batch_checks_its_switches_before_the_first_image(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "one.png").write_bytes(_shape_files()[0].read_bytes())
    out = tmp_path / "out"
    assert main(["explain", str(folder), "--switch", "layer9.9=skip-off", "--out", str(out)]) == 2
    assert "unknown block" in capsys.readouterr().err
    assert not out.exists()


def test_batch_images_lists_a_folder_lazily_one_image_at_a_time(tmp_path: Path) -> None:
    """The batch reads one image at a time: listing a folder yields paths, not pictures."""
    for i in range(3):
        (tmp_path / f"{i}.JPG").write_bytes(b"x")
    images = batch_images([tmp_path])
    assert next(images) == tmp_path / "0.JPG"
    assert [p.name for p in images] == ["1.JPG", "2.JPG"]


def test_explain_with_a_colour_blind_palette_draws_its_maps_in_it(tmp_path: Path) -> None:
    from resnet_demo.render import overlay

    shape = _shape_files()[0]
    assert main(["explain", str(shape), "--palette", "cividis", "--out", str(tmp_path)]) == 0
    cam = np.load(tmp_path / "cam.npy")
    image = decode_image(tmp_path / "overlay.png")
    model_view = np.asarray(Image.open(shape).convert("RGB").resize(cam.shape[::-1]))
    drawn = overlay(model_view, cam, cmap="cividis")
    assert np.abs(image.astype(int) - drawn.astype(int)).max() <= 1
    with pytest.raises(SystemExit, match="2"):  # argparse: "invalid choice: 'jet'"
        main(["explain", str(shape), "--palette", "jet", "--out", str(tmp_path)])


def _peak_of_explain(folder: Path, out: Path) -> tuple[int, int]:
    """(exit code, Python's peak allocation in bytes) of `explain` on a folder (tracemalloc).

    Its messages go to the null device: pytest's capture would keep them in memory, which is
    the test's memory, not the command's (50,000 messages: about 18 MB)."""
    with open(os.devnull, "w", encoding="utf-8") as null, contextlib.redirect_stderr(null):
        tracemalloc.start()
        try:
            code = main(["explain", str(folder), "--out", str(out)])
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    return code, peak


def _damaged_and_two_shapes(folder: Path, n: int, real: tuple[int, int]) -> None:
    """`n` files named 00000.png …: damaged ones, but for the two indices `real` (shapes)."""
    folder.mkdir()
    for i in range(n):
        (folder / f"{i:05d}.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    for i, shape in zip(real, _shape_files()[:2], strict=True):
        (folder / f"{i:05d}.png").write_bytes(shape.read_bytes())


@pytest.mark.slow
def test_a_50000_image_folder_streams_through_in_bounded_memory(tmp_path: Path) -> None:
    """A folder of 50,000 image files goes through `explain` one file at a
    time. 49,998 are damaged (each refused by the decoder: a row with its error, the batch goes
    on), two are real shapes (analysed). Python's allocations peak no higher than for a folder
    of 4 files with the same two shapes, but for the names themselves (the sorted listing and
    the set of output folder names that keeps repeats apart: 12 MB for 50,000 when measured):
    nothing is kept per image; and the summary has every row, in name order."""
    _damaged_and_two_shapes(tmp_path / "small", 4, (1, 2))
    code, small = _peak_of_explain(tmp_path / "small", tmp_path / "out-small")
    assert code == 2
    n = 50_000
    _damaged_and_two_shapes(tmp_path / "in", n, (17, 49_321))
    out = tmp_path / "out"
    code, peak = _peak_of_explain(tmp_path / "in", out)
    assert code == 2  # some files could not be read; the others were done all the same
    assert peak < small + 20 * 2**20, f"peak {peak / 2**20:.1f} MB, 4 files {small / 2**20:.1f} MB"
    with (out / "summary.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == n
    assert [Path(r["file"]).name for r in rows[:3]] == ["00000.png", "00001.png", "00002.png"]
    done = [Path(r["file"]).name for r in rows if not r["error"]]
    assert done == ["00017.png", "49321.png"]
    assert sorted(p.name for p in (out / "00017.png").iterdir()) == sorted(OUTPUTS)
