"""A batch of images (the app): the core (`resnet_demo.batch`), the panel's handlers
(`resnet_demo.ui.batch`) and both endpoints through `gradio_client` against the running app.

Every number is checked against `analysis.analyze` run on the same image in this process, and
every count against a direct count of the rows; nothing is hard-coded.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import gradio as gr
import numpy as np
import pytest
from app_server import (
    EXAMPLES,
    RunningApp,
    default_model,
    new_client,
    raw_call,
    raw_upload,
)
from conftest import count_hooks, tiny_model
from gradio_client import handle_file

from resnet_demo import batch as core
from resnet_demo import shapes
from resnet_demo.analysis import analyze
from resnet_demo.batch import SUMMARY_FIELDS
from resnet_demo.imaging import decode_image
from resnet_demo.models import LoadedModel
from resnet_demo.text import t
from resnet_demo.ui.batch import BatchHandlers, build_batch_tab
from resnet_demo.ui.batch import handlers as batch_handlers
from resnet_demo.ui.batch import views as batch_views
from resnet_demo.ui.layout import WORK
from resnet_demo.ui.views import class_names

SWITCHES = {"layer3": "skip-off"}
"""Flips the top-1 of about half the shapes of the embedded model: both kinds of row occur."""
SEED = core.BATCH_SEED_START
TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def model() -> LoadedModel:
    return default_model()


@pytest.fixture(scope="module")
def sources(model: LoadedModel) -> list[core.Source]:
    return core.shape_sources(model, 16, SEED)


@pytest.fixture(scope="module")
def switched_batch(model: LoadedModel, sources: list[core.Source]) -> core.Batch:
    return core.classify_batch(model, sources, SWITCHES, SEED)


def _by_name(rows: tuple[core.Row, ...]) -> dict[str, core.Row]:
    return {r.name: r for r in rows}


# ---- the core -----------------------------------------------------------------------------


def test_rows_match_analyze_per_image(
    model: LoadedModel, sources: list[core.Source], switched_batch: core.Batch
) -> None:
    hooks = count_hooks(model.module)
    rows = _by_name(switched_batch.rows)
    assert len(rows) == len(sources) and not switched_batch.skipped
    for source in sources:
        image, row = source.load(), rows[source.name]
        intact = analyze(model, image)
        switched = analyze(model, image, switches=SWITCHES, target=intact.target)
        assert row.intact == int(intact.top_indices[0])
        assert row.switched == int(switched.top_indices[0])
        assert row.intact_p == pytest.approx(float(intact.top_probs[0]), abs=TOLERANCE)
        assert row.switched_p == pytest.approx(float(switched.top_probs[0]), abs=TOLERANCE)
        assert row.kept_p == pytest.approx(float(switched.probabilities[row.intact]), abs=TOLERANCE)
        assert row.flipped == (row.intact != row.switched)
        assert row.label == source.label
        assert np.array_equal(row.view, intact.image)  # the crop the network saw
    assert count_hooks(model.module) == hooks
    assert not model.lock.locked()


def test_the_flipped_flag_is_the_switched_networks_own_answer(
    model: LoadedModel, sources: list[core.Source], switched_batch: core.Batch
) -> None:
    flips = {
        s.name: int(analyze(model, s.load()).top_indices[0])
        != int(analyze(model, s.load(), switches=SWITCHES).top_indices[0])
        for s in sources
    }
    assert {r.name: r.flipped for r in switched_batch.rows} == flips
    assert 0 < switched_batch.n_flipped < len(sources), "the batch must hold both kinds of row"
    assert switched_batch.n_flipped == sum(flips.values())
    drops = [r.intact_p - r.kept_p for r in switched_batch.rows]
    assert switched_batch.mean_drop == pytest.approx(float(np.mean(drops)))


def test_no_switches_means_one_network(model: LoadedModel, sources: list[core.Source]) -> None:
    result = core.classify_batch(model, sources[:4], None)
    assert result.switches == {} and result.n_flipped == 0 and result.mean_drop == 0.0
    for row in result.rows:
        assert row.switched == row.intact
        assert row.switched_p == row.kept_p == row.intact_p
    # "intact" modes are no switches either
    same = core.classify_batch(model, sources[:4], {"layer1.0": "intact"})
    assert same.switches == {}


def _row(name: str, intact: int, switched: int, intact_p: float, kept_p: float) -> core.Row:
    return core.Row(name, np.zeros((2, 2, 3), np.uint8), intact, intact_p, switched, 0.5, kept_p)


def test_rows_are_sorted_flipped_first_then_by_drop(switched_batch: core.Batch) -> None:
    rows = [
        _row("small drop", 0, 0, 0.9, 0.8),
        _row("flip, small drop", 0, 1, 0.6, 0.5),
        _row("gain", 0, 0, 0.5, 0.7),
        _row("big drop", 0, 0, 0.9, 0.1),
        _row("flip, big drop", 0, 2, 0.9, 0.05),
    ]
    order = [r.name for r in core.sort_rows(rows)]
    assert order == ["flip, big drop", "flip, small drop", "big drop", "small drop", "gain"]
    got = switched_batch.rows
    keys = [(not r.flipped, -r.drop) for r in got]
    assert keys == sorted(keys)
    assert got[0].flipped and not got[-1].flipped


def test_accuracy_and_confusion_equal_a_direct_count(switched_batch: core.Batch) -> None:
    rows, n = switched_batch.rows, switched_batch.n_classes
    labels = np.array([r.label for r in rows])
    intact = np.array([r.intact for r in rows])
    switched = np.array([r.switched for r in rows])
    table = np.zeros((n, n), np.int64)
    np.add.at(table, (labels, switched), 1)
    assert np.array_equal(core.confusion(rows, n), table)
    table_intact = np.zeros((n, n), np.int64)
    np.add.at(table_intact, (labels, intact), 1)
    assert np.array_equal(core.confusion(rows, n, switched=False), table_intact)
    for score in core.class_accuracy(rows, n):
        mine = labels == score.label
        assert score.n == int(mine.sum())
        assert score.intact == int((mine & (intact == labels)).sum())
        assert score.switched == int((mine & (switched == labels)).sum())
    wrong = core.misclassified(rows)
    assert [r.name for r in wrong] == [r.name for r in rows if r.switched != r.label]
    # The tables as shown: the "All shapes" row and the diagonal.
    names = list(shapes.CLASS_NAMES)
    shown = batch_views.accuracy_table(switched_batch, names, "en")
    total = shown["data"][-1]
    right = int((switched == labels).sum())
    assert total[1] == str(len(rows))
    assert total[3].startswith(f"{right}/{len(rows)} ")
    confusion = batch_views.confusion_table(switched_batch, names, "en")
    assert [int(c) for r in confusion["data"] for c in r[1:]] == table.ravel().tolist()


@pytest.mark.slow
def test_65_images_are_capped_at_64_and_the_rest_never_opened(
    model: LoadedModel, sources: list[core.Source]
) -> None:
    opened: list[str] = []
    image = sources[0].load()

    def source(i: int) -> core.Source:
        def load() -> np.ndarray:
            opened.append(f"f{i}")
            return image

        return core.Source(f"f{i}", load)

    many = [source(i) for i in range(core.MAX_IMAGES + 1)]
    result = core.classify_batch(model, many)
    assert core.MAX_IMAGES == 64
    assert len(result.rows) == 64 and result.left_out == 1
    assert f"f{core.MAX_IMAGES}" not in opened and len(opened) == 64
    text = batch_views.summary(result, "en", given=65)
    assert "65 files were given and a batch takes at most 64" in text
    assert "the other 1 were not opened" in text
    with pytest.raises(core.BatchError, match="from 1 to 64"):
        core.shape_sources(model, 65)


def test_stopping_the_iteration_stops_the_batch(
    model: LoadedModel, sources: list[core.Source]
) -> None:
    """What the Stop button relies on: `run` reads and classifies one image per step, so a
    cancelled batch (Gradio stops advancing the handler) reads no further image."""
    opened: list[int] = []

    def counted(i: int, source: core.Source) -> core.Source:
        def load() -> np.ndarray:
            opened.append(i)
            return source.load()

        return core.Source(source.name, load, source.label)

    steps = core.run(model, [counted(i, s) for i, s in enumerate(sources)], SWITCHES)
    assert isinstance(next(steps), core.Row) and isinstance(next(steps), core.Row)
    steps.close()
    assert opened == [0, 1]


def _bad_files(folder: Path) -> dict[str, Path]:
    """A good shape, a zip holding an image, a text file, a text file named .jpg, a good photo."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.write(EXAMPLES / "shapes_star.png", "star.png")
    made = {
        "shapes_ring.png": (EXAMPLES / "shapes_ring.png").read_bytes(),
        "pictures.zip": archive.getvalue(),
        "notes.txt": b"not a picture\n" * 20,
        "renamed.jpg": b"plain text pretending to be a JPEG\n" * 10,
        "chelsea.jpg": (EXAMPLES / "chelsea.jpg").read_bytes(),
    }
    paths = {}
    for name, content in made.items():
        paths[name] = folder / name
        paths[name].write_bytes(content)
    return paths


def test_a_zip_a_text_file_and_a_renamed_file_are_skipped_and_the_rest_runs(
    model: LoadedModel, tmp_path: Path
) -> None:
    paths = _bad_files(tmp_path)
    result = core.classify_batch(model, [core.file_source(p) for p in paths.values()], SWITCHES)
    assert sorted(r.name for r in result.rows) == ["chelsea.jpg", "shapes_ring.png"]
    assert [s.name for s in result.skipped] == ["pictures.zip", "notes.txt", "renamed.jpg"]
    words = {s.name: str(s.error) for s in result.skipped}
    assert "ZIP archive" in words["pictures.zip"]
    assert "text file" in words["notes.txt"] and "text file" in words["renamed.jpg"]
    assert all("not a supported image" in w for w in words.values())
    assert not list(tmp_path.glob("star.png")), "nothing was unpacked"
    text = batch_views.summary(result, "en")
    for name in ("pictures.zip", "notes.txt", "renamed.jpg"):
        assert f"{batch_views.plain(name)} was skipped: This file is not a supported" in text
    ring = decode_image(paths["shapes_ring.png"])
    row = _by_name(result.rows)["shapes_ring.png"]
    assert row.intact == int(analyze(model, ring).top_indices[0])


def test_shapes_need_a_shapes_model_and_a_count_from_1_to_64(model: LoadedModel) -> None:
    letters = tiny_model(categories=("a", "b", "c"))
    with pytest.raises(core.BatchError) as refused:
        core.shape_sources(letters, 8)
    assert refused.value.key == "batch_not_shapes"
    assert "embedded, embedded-deep, embedded-no-sd" in str(refused.value)
    assert "3 other classes" in str(refused.value)
    assert core.is_shapes_model(model) and not core.is_shapes_model(letters)
    for bad in (0, 65, -1, 2.5, "many", None, True):
        with pytest.raises(core.BatchError, match="from 1 to 64"):
            core.check_count(bad)
    assert core.check_count(64.0) == 64 and core.check_count("1") == 1
    assert len(core.shape_sources(model, 64, SEED)) == 64


def test_fresh_shapes_come_from_the_test_seeds(model: LoadedModel) -> None:
    seeds = {core.fresh_seed() for _ in range(5)}
    assert len(seeds) > 1, "each press gets a fresh seed"
    assert all(s >= core.BATCH_SEED_START > shapes.TEST_SEED_START for s in seeds)
    made = core.shape_sources(model, 3, SEED + 64)
    for i, source in enumerate(made):
        sample = shapes.generate_sample(SEED + 64 + i, size=model.preprocessing.crop_size)
        assert source.label == sample.label
        assert np.array_equal(source.load(), sample.image)
    with pytest.raises(ValueError):
        core.shape_sources(model, 3, shapes.TEST_SEED_START - 1)


# ---- the handlers -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def panel(model: LoadedModel) -> BatchHandlers:
    """The panel in a Blocks of its own; the "state" is the switches themselves."""
    with gr.Blocks():
        state = gr.State({})
        language = gr.Radio(["en", "zh"], value="en")
        handlers = build_batch_tab(
            get_model=lambda _state: model,
            get_switches=lambda switches: dict(switches),
            state=state,
            language=language,
        )
    return handlers


def _last(updates: Iterator[dict]) -> tuple[list[dict], dict]:
    steps = list(updates)
    return steps[:-1], steps[-1]


def _value(update: Any) -> Any:
    return update.get("value") if isinstance(update, dict) and "__type__" in update else update


def _csv_rows(update: Any) -> list[dict[str, str]]:
    with open(_value(update), encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == SUMMARY_FIELDS
        return list(reader)


def test_the_upload_handler_classifies_the_files_and_names_the_skipped(
    panel: BatchHandlers, model: LoadedModel, tmp_path: Path
) -> None:
    v = panel.view
    paths = _bad_files(tmp_path)
    files = [(str(p), name) for name, p in paths.items()]
    with mock.patch.object(batch_handlers, "STEP_S", 0.0):
        steps, last = _last(panel.files(files, SWITCHES, "en"))
    assert len(steps) == len(files)  # at most one step per file
    assert steps[0][v.summary] == t("batch_running", "en", i=1, n=5)
    summary = last[v.summary]
    assert "Images: **2**" in summary and "layer3.0 skip off" in summary
    assert "notes.txt was skipped" in summary and "ZIP archive" in summary
    gallery = _value(last[v.gallery])
    assert len(gallery) == 2
    names = class_names(model, "en")
    ring = decode_image(paths["shapes_ring.png"])
    intact = analyze(model, ring)
    after = analyze(model, ring, switches=SWITCHES)
    expected = batch_views.caption(
        core.classify(model, ring, SWITCHES), names, switched=True, lang="en"
    )
    assert expected in [caption for _, caption in gallery]
    assert names[int(intact.top_indices[0])] in expected
    assert names[int(after.top_indices[0])] in expected
    for hidden in (v.accuracy, v.confusion, v.wrong, v.tables_note):
        assert last[hidden]["visible"] is False  # no true classes for uploads
    rows = _csv_rows(last[v.csv])
    assert [r["file"] for r in rows[-3:]] == ["pictures.zip", "notes.txt", "renamed.jpg"]
    assert all(r["error"] for r in rows[-3:]) and not any(r["error"] for r in rows[:2])
    with pytest.raises(gr.Error, match="Choose some image files first"):
        list(panel.files([], {}, "en"))


def test_the_shapes_handler_writes_in_the_pages_language(
    panel: BatchHandlers, model: LoadedModel
) -> None:
    v = panel.view
    _, last = _last(panel.shapes(12, SWITCHES, "zh"))
    summary = last[v.summary]
    assert "图片：**12** 张" in summary and "测试种子中的形状" in summary
    gallery = _value(last[v.gallery])
    assert len(gallery) == 12
    zh = class_names(model, "zh")
    assert all(caption.startswith("完整：") for _, caption in gallery)
    assert any(name in gallery[0][1] for name in zh)
    accuracy = _value(last[v.accuracy])
    assert accuracy["headers"][0] == "形状" and accuracy["data"][-1][0] == "全部形状"
    assert accuracy["data"][-1][1] == "12"
    confusion = _value(last[v.confusion])
    assert confusion["headers"][1:] == zh
    assert sum(int(c) for r in confusion["data"] for c in r[1:]) == 12
    assert "开关后网络" in _value(last[v.tables_note])
    wrong = _value(last[v.wrong])
    diagonal = sum(int(confusion["data"][i][i + 1]) for i in range(len(zh)))
    assert len(wrong) == 12 - diagonal
    assert all(caption.startswith("真实：") for _, caption in wrong)
    rows = _csv_rows(last[v.csv])
    assert len(rows) == 12 and all(r["intact_top1"] in zh for r in rows)
    # Intact: the confusion table says it counts the intact network.
    _, plain = _last(panel.shapes(4, {}, "en"))
    assert "Confusion table of the intact network" in _value(plain[v.tables_note])
    assert "every block is intact" in plain[v.summary]


def test_the_shapes_handler_refuses_a_model_not_trained_on_shapes() -> None:
    letters = tiny_model(categories=("a", "b", "c"))
    with gr.Blocks():
        handlers = build_batch_tab(
            get_model=lambda _state: letters,
            get_switches=lambda _state: {},
            state=gr.State(None),
            language=gr.Radio(["en", "zh"], value="en"),
        )
    with pytest.raises(gr.Error, match="Fresh shapes need a model trained on the shapes"):
        list(handlers.shapes(8, None, "en"))
    with pytest.raises(gr.Error, match="用形状训练的模型"):
        list(handlers.shapes(8, None, "zh"))
    assert handlers.stopped("zh")[handlers.view.summary] == t("batch_stopped", "zh")


# ---- through the running app ------------------------------------------------------------


@pytest.mark.server
def test_the_batch_events_share_the_analysis_group_and_stop_cancels_them(
    app: RunningApp,
) -> None:
    group = {f.api_name: f.concurrency_id for f in app.demo.fns.values()}
    assert group["batch"] == group["batch_shapes"] == group["analyze"] == WORK
    config = app.demo.get_config_file()
    ids = {d["api_name"]: d["id"] for d in config["dependencies"]}
    wanted = {ids["batch"], ids["batch_shapes"]}
    stops = [d for d in config["dependencies"] if set(d.get("cancels") or ()) == wanted]
    assert len(stops) == 1 and stops[0]["api_visibility"] == "private"


@pytest.mark.server
def test_a_batch_upload_and_a_shapes_batch_through_gradio_client(
    app: RunningApp, model: LoadedModel, tmp_path: Path
) -> None:
    client = new_client(app.url, tmp_path)
    client.predict(strip={"modes": SWITCHES}, api_name="/switch")  # the page's switches
    uploads = [EXAMPLES / "shapes_star.png", EXAMPLES / "coffee.jpg", tmp_path / "notes.txt"]
    uploads[-1].write_text("not an image\n" * 20, encoding="utf-8")
    out = client.predict(files=[handle_file(str(p)) for p in uploads], api_name="/batch")
    summary, gallery, _, _, _, _, csv_path = (_value(x) for x in out)
    assert "Images: **2**" in summary and "notes.txt was skipped" in summary
    names = class_names(model, "en")
    want = {
        batch_views.caption(
            core.classify(model, decode_image(p), SWITCHES), names, switched=True, lang="en"
        )
        for p in uploads[:2]
    }
    assert {item["caption"] for item in gallery} == want
    assert len(_csv_rows(csv_path)) == 3

    out = client.predict(count=10, api_name="/batch_shapes")
    summary, gallery, note, accuracy, confusion, wrong, csv_path = (_value(x) for x in out)
    assert "Images: **10**" in summary and "layer3.0 skip off" in summary
    assert len(gallery) == 10 and "switched network" in note
    assert accuracy["data"][-1][:2] == ["All shapes", "10"]
    diagonal = sum(int(confusion["data"][i][i + 1]) for i in range(len(names)))
    assert len(wrong or []) == 10 - diagonal
    rows = _csv_rows(csv_path)
    assert len(rows) == 10
    flipped = sum(r["flipped"] == "true" for r in rows)
    assert f"top-1 changed by the switches: **{flipped}**" in summary
    assert app.wait_idle() and count_hooks(app.model.module) == 0


@pytest.mark.server
@pytest.mark.parametrize("meta", [True, False], ids=["with-meta", "no-meta"])
def test_a_batch_cannot_name_a_file_on_the_server(
    app: RunningApp, tmp_path: Path, meta: bool
) -> None:
    """A forged file entry naming a picture elsewhere on the server is refused, with the same
    words as the main image's input; the same bytes uploaded properly are classified."""
    private = tmp_path / "private.png"
    private.write_bytes((EXAMPLES / "shapes_star.png").read_bytes())
    forged = {"path": str(private), **({"meta": {"_type": "gradio.FileData"}} if meta else {})}
    message = raw_call(app.url, "batch", [[forged], None, "en"])
    assert message["success"] is False
    assert "shapes_star" not in json.dumps(message) and "caption" not in json.dumps(message)
    uploaded = raw_upload(app.url, "private.png", private.read_bytes()).json()[0]
    entry = {"path": uploaded, "orig_name": "private.png", "meta": {"_type": "gradio.FileData"}}
    message = raw_call(app.url, "batch", [[entry], None, "en"])
    assert message["success"] is True
    assert "Images: **1**" in json.dumps(message["output"])


def test_the_csv_keeps_a_file_name_from_running_as_a_spreadsheet_formula() -> None:
    from resnet_demo.ui.export import write_csv

    row = dict.fromkeys(SUMMARY_FIELDS, "") | {"file": '=HYPERLINK("x").png', "flipped": "true"}
    path = write_csv([row], SUMMARY_FIELDS, "batch")
    (got,) = _csv_rows(path)
    assert got["file"] == '\'=HYPERLINK("x").png' and got["flipped"] == "true"
