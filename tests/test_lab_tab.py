"""The lab tab: it builds inside a caller's Blocks, and every handler renders (called directly)."""

from __future__ import annotations

import argparse
import json
import re
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
import pytest
from conftest import tiny_model

from resnet_demo import shapes
from resnet_demo.cli import LAB_COMMANDS, build_parser
from resnet_demo.lab.cards import race_losses
from resnet_demo.lab.image_sets import EXAMPLES, SHAPES, example_set, shapes_set
from resnet_demo.lab.notes import ABOUT, NOTES
from resnet_demo.lab.panels import ABOUT_TAB, PANELS, TAB_KEYS
from resnet_demo.lab.race import STOPPED, RaceConfig, RaceSnapshot
from resnet_demo.lab.text import image_set_name
from resnet_demo.models import load_model
from resnet_demo.text import Term, catalogue, t
from resnet_demo.ui import i18n
from resnet_demo.ui.lab import MAIN_IMAGE, SHAPE_IMAGE, LabHandlers, build_lab_tab
from resnet_demo.ui.lab.handlers import PAGE_MODEL

pytestmark = pytest.mark.usefixtures("one_torch_thread")

ROOT = Path(__file__).resolve().parent.parent


class Recorder:
    """Stands in for gr.Progress: records (fraction, desc)."""

    def __init__(self) -> None:
        self.calls: list[tuple[float, str]] = []

    def __call__(self, fraction: float, desc: str = "") -> None:
        self.calls.append((fraction, desc))


def _lab(get_image: Any = "shape", **kwargs: Any) -> LabHandlers:
    """The lab built in a throwaway Blocks around the tiny model; `get_image` "shape" gives it a
    main image (a generated shape)."""
    model = tiny_model()
    if get_image == "shape":
        image = shapes.generate_sample(shapes.TEST_SEED_START + 11).image
        get_image = lambda: image  # noqa: E731
    with gr.Blocks(), gr.Tab("Lab"):
        return build_lab_tab(lambda: model, get_image, **kwargs)


NOTE_KEYS = [*(panel.note for panel in PANELS), *ABOUT]
"""The lab's notes in page order: each panel's, then the "About ResNets" tab's."""

TINY_RACE = RaceConfig(
    depths=(8, 14), max_steps=20, n_train=16, n_test=8, image_size=8, batch_size=4, eval_every=5
)
"""The race the handler tests run: the default recipe's shape, small enough for a unit test."""


@pytest.fixture(scope="module")
def handlers() -> LabHandlers:
    lab = _lab()
    lab.race_config = TINY_RACE
    return lab


def _is_chart(value: object) -> bool:
    return isinstance(value, np.ndarray) and value.dtype == np.uint8 and value.shape[2] == 3


def _files(panel: Any, out: dict) -> list[Path]:
    updates = [out[panel.card], out[panel.numbers]]
    assert all(u["visible"] is True for u in updates)
    paths = [Path(u["value"]) for u in updates]
    assert all(p.is_file() and p.stat().st_size > 0 for p in paths)
    return paths


def _chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_tab_builds_inside_the_callers_blocks() -> None:
    model = tiny_model()
    with gr.Blocks() as demo, gr.Tab("Lab"):
        handlers = build_lab_tab(lambda: model)
    assert isinstance(handlers, LabHandlers)
    names = {fn.api_name for fn in demo.fns.values() if fn.api_name}
    assert {"lab_sweep", "lab_curves", "lab_gradient_flow", "lab_race"} <= names
    assert list(handlers.view.notes) == NOTE_KEYS


def test_tab_passes_the_session_state_when_given() -> None:
    model = tiny_model()
    seen: list[object] = []
    with gr.Blocks(), gr.Tab("Lab"):
        state = gr.State("session-1")
        handlers = build_lab_tab(lambda s: seen.append(s) or model, state=state)
    handlers.sweep(source=SHAPE_IMAGE, seed=2, state="session-1", progress=Recorder())
    assert seen == ["session-1"]


@pytest.mark.parametrize("source", [MAIN_IMAGE, SHAPE_IMAGE])
def test_sweep_handler_renders(handlers: LabHandlers, source: str) -> None:
    out = handlers.sweep(source=source, seed=3, progress=Recorder())
    panel = handlers.view.sweep
    assert set(out) == {panel.chart, panel.summary, panel.card, panel.numbers}
    assert _is_chart(out[panel.chart])
    assert "Top-1 changed in" in out[panel.summary]
    png, js = _files(panel, out)
    assert png.read_bytes().startswith(b"\x89PNG") and js.suffix == ".json"


def test_sanity_handler_renders_the_grid_the_chart_and_the_downloads(
    handlers: LabHandlers,
) -> None:
    out = handlers.sanity(
        methods=["gradcam", "saliency"],
        source=SHAPE_IMAGE,
        seed=3,
        lang="zh",
        progress=Recorder(),
        model_name=PAGE_MODEL,
    )
    panel = handlers.view.sanity
    assert set(out) == {panel.grid, panel.chart, panel.summary, panel.card, panel.numbers}
    assert _is_chart(out[panel.grid]) and _is_chart(out[panel.chart])
    assert "gradcam，随机化到 conv1+bn1" in out[panel.summary]
    _, js = _files(panel, out)
    assert json.loads(js.read_text(encoding="utf-8"))["result"]["steps"][-1] == "conv1+bn1"


@pytest.mark.parametrize(("methods", "match"), [([], "at least one method"), (["x"], "unknown")])
def test_sanity_handler_refuses_bad_methods(
    handlers: LabHandlers, methods: list[str], match: str
) -> None:
    with pytest.raises(gr.Error, match=match):
        handlers.sanity(methods=methods, source=SHAPE_IMAGE, seed=3, progress=Recorder())


def test_sweep_handler_without_a_main_image_says_what_to_do() -> None:
    h = _lab(lambda: None)
    with pytest.raises(gr.Error, match="main tab"):
        h.sweep(source=MAIN_IMAGE, seed=0, progress=Recorder())


@pytest.mark.parametrize("seed", [-1, 1.5, "x", None, 10**7])
def test_sweep_handler_refuses_bad_numbers(handlers: LabHandlers, seed: object) -> None:
    with pytest.raises(gr.Error, match="shape number"):
        handlers.sweep(source=SHAPE_IMAGE, seed=seed, progress=Recorder())


def test_curves_handler_renders(handlers: LabHandlers) -> None:
    progress = Recorder()
    out = handlers.curves(image_set="shapes", n_images=16, draws=1, seed=0, progress=progress)
    panel = handlers.view.curves
    assert _is_chart(out[panel.chart])
    assert out[panel.summary].startswith(f"Accuracy on {image_set_name(shapes_set(16, 0), 'en')}")
    _files(panel, out)
    assert progress.calls[-1][0] == pytest.approx(1.0)
    assert all(desc for _, desc in progress.calls)  # every step worded


def test_curves_handler_refuses_unknown_sets(handlers: LabHandlers) -> None:
    with pytest.raises(gr.Error, match="faces"):
        handlers.curves(image_set="faces", n_images=16, draws=1, seed=0, progress=Recorder())


def test_gradient_flow_handler_renders_and_caches(handlers: LabHandlers) -> None:
    panel = handlers.view.gradient_flow
    first = handlers.gradient_flow(depths=[8], steps=0, progress=Recorder())
    assert _is_chart(first[panel.similarity]) and _is_chart(first[panel.norms])
    assert "8 layers" in first[panel.summary]
    _files(panel, first)
    progress = Recorder()
    handlers.gradient_flow(depths=["8"], steps="0", progress=progress)
    assert progress.calls == []  # served from the cache
    with pytest.raises(gr.Error, match=re.escape(t("err_depths", "en"))):
        handlers.gradient_flow(depths=[], steps=0, progress=Recorder())


def test_race_handler_streams_and_exports(handlers: LabHandlers) -> None:
    panel = handlers.view.race
    stream = handlers.race(budget=15)
    outputs = [next(stream) for _ in range(3)]
    stream.close()  # what the Stop button's cancel does
    snapshot = outputs[-1][panel.last]
    assert _is_chart(outputs[-1][panel.chart]) and isinstance(snapshot, RaceSnapshot)
    assert snapshot.step == 10 and snapshot.config.time_budget_s == 15
    status = outputs[-1][panel.status]
    assert "plain-8" in status and "ResNet-14" in status
    assert "Fig. 1" in status and "Fig. 6" in status and "converges faster" in status
    _, numbers = _files(panel, handlers.race_export(snapshot=snapshot))
    data = json.loads(numbers.read_text(encoding="utf-8"))
    assert data["panel"] == "race" and len(data["result"]["train_losses"]["plain-14"]) == 10
    stopped = handlers.race_stopped(snapshot=snapshot)
    status = t("race_after", "en", status="Stopped", seconds=snapshot.elapsed_s)
    assert _is_chart(stopped[panel.chart]) and stopped[panel.status].startswith(status)
    assert handlers.race_stopped(snapshot=None) == {panel.status: t("race_stopped", "en")}
    with pytest.raises(gr.Error, match="Run the race first"):
        handlers.race_export(snapshot=None)
    with pytest.raises(gr.Error, match="time budget"):
        next(handlers.race(budget=5))


@pytest.mark.parametrize(("lang", "presenter"), [("en", False), ("zh", True), ("xx", False)])
def test_notes_handler_switches_language_and_presenter_mode(
    handlers: LabHandlers, lang: str, presenter: bool
) -> None:
    out = handlers.notes(lang, presenter)
    assert list(out) == [handlers.view.notes[key] for key in NOTE_KEYS]
    texts = [update.value for update in out.values()]
    assert all(text.startswith("### ") for text in texts)
    first = next(iter(out.values()))
    assert ("lab-presenter" in first.elem_classes) == presenter
    assert _chinese(texts[0]) == (lang == "zh")


def test_handlers_write_in_the_pages_language(handlers: LabHandlers) -> None:
    view = handlers.view
    out = handlers.sweep(source=SHAPE_IMAGE, seed=3, lang="zh", progress=Recorder())
    summary = out[view.sweep.summary]
    assert _is_chart(out[view.sweep.chart]) and _chinese(summary)
    assert summary.startswith(catalogue("zh")["sweep_summary"].split("{")[0])
    assert any(
        f"**{name}**" in summary for name in shapes.class_names_in("zh")
    )  # the class in Chinese
    caption = json.loads(_files(view.sweep, out)[1].read_text(encoding="utf-8"))["caption"]
    assert all(_chinese(line) for line in caption)
    progress = Recorder()
    out = handlers.curves(SHAPES, 16, 1, 0, lang="zh-CN", progress=progress)
    assert image_set_name(shapes_set(16, 0), "zh") in out[view.curves.summary]
    assert progress.calls and all(_chinese(desc) for _, desc in progress.calls)
    flow = handlers.gradient_flow(depths=[8], steps=0, lang="zh", progress=Recorder())
    assert flow[view.gradient_flow.summary].startswith("- 8 ")
    assert _chinese(flow[view.gradient_flow.summary])


def test_race_status_is_worded_in_the_pages_language(handlers: LabHandlers) -> None:
    panel = handlers.view.race
    stream = handlers.race(budget=15, lang="zh")
    *_, last = [next(stream) for _ in range(2)]
    stream.close()
    snapshot = last[panel.last]
    step = t("race_step", "zh", step=snapshot.step, losses=race_losses(snapshot, "zh"))
    assert step in last[panel.status] and "普通网络-14" in step
    assert "图 1" in last[panel.status] and "收敛更快" in last[panel.status]
    stopped = handlers.race_stopped(snapshot=snapshot, lang="zh")[panel.status]
    status = t(f"race_status_{STOPPED}", "zh")
    assert stopped.startswith(t("race_after", "zh", status=status, seconds=snapshot.elapsed_s))
    assert handlers.race_stopped(snapshot=None, lang="zh")[panel.status] == t("race_stopped", "zh")


@pytest.mark.parametrize(
    ("call", "key", "fields"),
    [
        (
            lambda h: h.sweep(source=SHAPE_IMAGE, seed=-1, lang="zh", progress=Recorder()),
            "value_out_of_range",
            {"name": Term("field_shape_number"), "low": 0, "high": 999_999, "value": -1},
        ),
        (lambda h: h.gradient_flow(depths=[], steps=0, lang="zh"), "err_depths", {}),
        (lambda h: h.race_export(snapshot=None, lang="zh"), "err_race_first", {}),
        (
            lambda h: next(h.race(budget="x", lang="zh")),
            "value_not_whole",
            {"name": Term("field_budget"), "value": "'x'"},
        ),
    ],
)
def test_errors_are_in_the_pages_language(
    handlers: LabHandlers, call: Any, key: str, fields: dict
) -> None:
    with pytest.raises(gr.Error, match=re.escape(t(key, "zh", **fields))):
        call(handlers)


def test_main_image_missing_is_explained_in_chinese() -> None:
    h = _lab(lambda: None)
    with pytest.raises(gr.Error, match=re.escape(t("err_main_image", "zh"))):
        h.sweep(source=MAIN_IMAGE, seed=0, lang="zh", progress=Recorder())


ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")


def _english_words() -> set[str]:
    """Every word of three or more letters in the catalogue's English side (lower case)."""
    return {w.lower() for text in catalogue("en").values() for w in ENGLISH_WORD.findall(text)}


@pytest.mark.parametrize(
    "call",
    [
        lambda h: h.sweep(source=SHAPE_IMAGE, seed="abc", lang="zh", progress=Recorder()),
        lambda h: h.curves(SHAPES, 7, 1, 0, lang="zh", progress=Recorder()),
        lambda h: next(h.race(budget=5, lang="zh")),
    ],
)
def test_a_chinese_lab_error_has_no_english_word(handlers: LabHandlers, call: Any) -> None:
    with pytest.raises(gr.Error) as caught:
        call(handlers)
    message = str(caught.value.message)
    assert _chinese(message)
    english = {w.lower() for w in ENGLISH_WORD.findall(message)} & _english_words()
    assert not english, (message, english)


def test_relabel_gives_tab_names_and_choices_in_the_language(handlers: LabHandlers) -> None:
    view = handlers.view
    out = handlers.relabel("zh")
    assert list(view.tabs) == list(TAB_KEYS)
    assert [out[tab]["label"] for tab in view.tabs.values()] == [t(key, "zh") for key in TAB_KEYS]
    assert out[view.sweep.source]["choices"] == [
        (t("lab_src_main", "zh"), MAIN_IMAGE),
        (t("lab_src_shape", "zh"), SHAPE_IMAGE),
    ]
    assert out[view.sanity.source]["choices"] == out[view.sweep.source]["choices"]
    assert out[view.sanity.model]["choices"] == out[view.sweep.model]["choices"]
    assert [value for _, value in out[view.curves.image_set]["choices"]] == [SHAPES, EXAMPLES]
    assert [value for _, value in out[view.gradient_flow.steps]["choices"]] == [0, 30]
    english = _lab(None).relabel("en")
    tab = next(iter(english))
    assert english[tab]["label"] == "Lesion sweep"
    assert len(next(v for v in english.values() if "choices" in v)["choices"]) == 1


def test_the_apps_language_reaches_every_lab_event() -> None:
    model = tiny_model()
    with gr.Blocks() as demo, gr.Tab("Lab"):
        language = gr.Radio(["en", "zh"], value="en")
        build_lab_tab(lambda: model, language=language)
    by_name = {fn.api_name: fn for fn in demo.fns.values() if fn.api_name}
    for name in ("lab_sweep", "lab_curves", "lab_gradient_flow", "lab_race", "lab_race_export"):
        assert by_name[name].inputs[-1] is language, name


def test_image_sets_are_named_in_the_pages_language() -> None:
    """The curves' summary names its set through `image_set_name`, from the set's numbers."""
    assert _chinese(image_set_name(example_set(), "zh"))
    assert not _chinese(image_set_name(shapes_set(8, 0, size=32), "en"))


def test_lesion_panels_default_to_embedded_deep_and_offer_every_model(
    handlers: LabHandlers,
) -> None:
    """The lesion panels run on the 27-block model unless the class picks another."""
    for panel in (handlers.view.sweep, handlers.view.curves):
        assert panel.model.value == "embedded-deep"
        values = [value for _, value in panel.model.choices]
        assert values[0] == PAGE_MODEL  # the main page's model comes first
        assert {"embedded", "embedded-deep", "embedded-no-sd", "resnet152:IMAGENET1K_V2"} <= set(
            values
        )
    zh = handlers.relabel("zh")[handlers.view.curves.model]["choices"]
    assert zh[0] == (t("lab_model_page", "zh"), PAGE_MODEL)


def test_lesion_panels_load_the_model_picked_by_name() -> None:
    asked: list[str] = []
    model = tiny_model()

    def load(name: str) -> Any:
        asked.append(name)
        return model

    h = _lab(load=load)
    out = h.sweep(source=SHAPE_IMAGE, seed=1, model_name="embedded-deep", progress=Recorder())
    assert _is_chart(out[h.view.sweep.chart])
    h.curves(
        image_set="shapes", n_images=16, draws=1, seed=0, model_name="embedded", progress=Recorder()
    )
    assert asked == ["embedded-deep", "embedded"]
    h.sweep(source=SHAPE_IMAGE, seed=1, model_name=PAGE_MODEL, progress=Recorder())
    assert asked == ["embedded-deep", "embedded"]  # the page's model is not loaded by name


def test_an_unknown_lab_model_is_refused_with_the_choices() -> None:
    h = _lab(load=lambda name: load_model(name))
    with pytest.raises(gr.Error, match="resnet7"):
        h.sweep(source=SHAPE_IMAGE, seed=1, model_name="resnet7", progress=Recorder())


def test_robustness_handler_draws_both_models_on_the_same_shapes() -> None:
    asked: list[str] = []
    model = tiny_model()
    h = _lab(load=lambda name: asked.append(name) or model)
    progress = Recorder()
    out = h.robustness(n_images=16, draws=2, seed=3, progress=progress)
    panel = h.view.robustness
    assert asked == ["embedded", "embedded-no-sd"]
    assert _is_chart(out[panel.chart])
    assert out[panel.summary].count("\n- ") == 1  # one bullet per model
    _, numbers = _files(panel, out)
    data = json.loads(numbers.read_text(encoding="utf-8"))
    assert data["panel"] == "robustness"
    assert progress.calls[-1][0] == pytest.approx(1.0)
    assert max(f for f, _ in progress.calls) <= 1.0


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def test_every_lab_panel_has_its_tab_note_handler_command_and_claims(
    handlers: LabHandlers,
) -> None:
    """One entry of `lab.panels.PANELS` is all the page, the CLI and the register need."""
    with (ROOT / "resnet_demo" / "text" / "claims.toml").open("rb") as f:
        claimed = Counter(claim["key"] for claim in tomllib.load(f)["claim"])
    commands = _subcommands(_subcommands(build_parser())["lab"])
    assert list(commands) == [panel.command for panel in PANELS]
    assert len({panel.name for panel in PANELS}) == len(PANELS)
    for panel in PANELS:
        for lang in ("en", "zh"):
            assert {panel.tab, panel.command_help} <= set(catalogue(lang)), panel
        assert panel.note in NOTES and panel.note not in ABOUT, panel
        assert callable(getattr(LabHandlers, panel.name)), panel
        components = getattr(handlers.view, panel.name)
        assert isinstance(components.card, gr.DownloadButton), panel
        assert commands[panel.command].get_default("experiment") is LAB_COMMANDS[panel.name].run
        assert f"note_{panel.note}_body" in panel.claims, panel
        assert all(claimed[key] for key in panel.claims), panel
    assert set(LAB_COMMANDS) == {panel.name for panel in PANELS}


def test_the_pages_lab_tabs_and_endpoints_follow_the_registry() -> None:
    model = tiny_model()
    with gr.Blocks() as demo, gr.Tab("Lab"):
        handlers = build_lab_tab(lambda: model)
    tabs = [b.label for b in demo.blocks.values() if isinstance(b, gr.Tab)]
    shown = [label.key for label in tabs if isinstance(label, gr.i18n.I18nData)]
    assert shown == [i18n.label(key).key for key in (*(panel.tab for panel in PANELS), ABOUT_TAB)]
    assert list(handlers.view.tabs) == list(TAB_KEYS)
    assert list(handlers.view.notes) == NOTE_KEYS
    endpoints = [fn.api_name for fn in demo.fns.values() if fn.api_name]
    run = [name for name in endpoints if name in {f"lab_{panel.name}" for panel in PANELS}]
    assert run == [f"lab_{panel.name}" for panel in PANELS]
