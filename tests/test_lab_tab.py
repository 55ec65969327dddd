"""The lab tab: it builds inside a caller's Blocks, and every handler renders (called directly)."""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import numpy as np
import pytest
from test_lab_cards import tiny_model

from resnet_demo import shapes
from resnet_demo.lab.race import RaceSnapshot
from resnet_demo.ui import lab_tab
from resnet_demo.ui.lab_tab import NOTE_KEYS, LabHandlers, build_lab_tab

pytestmark = pytest.mark.usefixtures("one_torch_thread")


class Recorder:
    """Stands in for gr.Progress: records (fraction, desc)."""

    def __init__(self) -> None:
        self.calls: list[tuple[float, str]] = []

    def __call__(self, fraction: float, desc: str = "") -> None:
        self.calls.append((fraction, desc))


@pytest.fixture(scope="module")
def handlers() -> LabHandlers:
    model = tiny_model()
    image = shapes.generate_sample(shapes.TEST_SEED_START + 11).image
    return LabHandlers(lambda: model, lambda: image)


def _is_chart(value: object) -> bool:
    return isinstance(value, np.ndarray) and value.dtype == np.uint8 and value.shape[2] == 3


def _files(*updates: object) -> list[Path]:
    assert all(u["visible"] is True for u in updates)  # type: ignore[index]
    paths = [Path(u["value"]) for u in updates]  # type: ignore[index]
    assert all(p.is_file() and p.stat().st_size > 0 for p in paths)
    return paths


def test_tab_builds_inside_the_callers_blocks() -> None:
    model = tiny_model()
    with gr.Blocks() as demo, gr.Tab("Lab"):
        handlers = build_lab_tab(lambda: model)
    assert isinstance(handlers, LabHandlers)
    names = {fn.api_name for fn in demo.fns.values() if fn.api_name}
    assert {"lab_sweep", "lab_curves", "lab_gradient_flow", "lab_race"} <= names


def test_tab_passes_the_session_state_when_given() -> None:
    model = tiny_model()
    seen: list[object] = []
    with gr.Blocks(), gr.Tab("Lab"):
        state = gr.State("session-1")
        handlers = build_lab_tab(lambda s: seen.append(s) or model, state=state)
    handlers.sweep(lab_tab.SHAPE_IMAGE, 2, "session-1", Recorder())
    assert seen == ["session-1"]


@pytest.mark.parametrize("source", [lab_tab.MAIN_IMAGE, lab_tab.SHAPE_IMAGE])
def test_sweep_handler_renders(handlers: LabHandlers, source: str) -> None:
    progress = Recorder()
    chart, summary, card, data = handlers.sweep(source, 3, None, progress)
    assert _is_chart(chart)
    assert "Top-1 changed in" in summary
    png, js = _files(card, data)
    assert png.read_bytes().startswith(b"\x89PNG") and js.suffix == ".json"


def test_sweep_handler_without_a_main_image_says_what_to_do() -> None:
    h = LabHandlers(tiny_model, lambda: None)
    with pytest.raises(gr.Error, match="main tab"):
        h.sweep(lab_tab.MAIN_IMAGE, 0, None, Recorder())


@pytest.mark.parametrize("seed", [-1, 1.5, "x", None, 10**7])
def test_sweep_handler_refuses_bad_numbers(handlers: LabHandlers, seed: object) -> None:
    with pytest.raises(gr.Error, match="shape number"):
        handlers.sweep(lab_tab.SHAPE_IMAGE, seed, None, Recorder())


def test_curves_handler_renders(handlers: LabHandlers) -> None:
    progress = Recorder()
    chart, summary, card, data = handlers.curves("shapes", 16, 1, 0, None, progress)
    assert _is_chart(chart) and "Accuracy on 16 fresh shapes" in summary
    _files(card, data)
    assert progress.calls[-1][0] == pytest.approx(1.0)


def test_curves_handler_refuses_unknown_sets(handlers: LabHandlers) -> None:
    with pytest.raises(gr.Error, match="unknown image set"):
        handlers.curves("faces", 16, 1, 0, None, Recorder())


def test_gradient_flow_handler_renders_and_caches(handlers: LabHandlers) -> None:
    first = handlers.gradient_flow([8], 0, Recorder())
    assert _is_chart(first[0]) and _is_chart(first[1]) and "8 layers" in first[2]
    _files(first[3], first[4])
    progress = Recorder()
    handlers.gradient_flow(["8"], "0", progress)
    assert progress.calls == []  # served from the cache
    with pytest.raises(gr.Error, match="at least one depth"):
        handlers.gradient_flow([], 0, Recorder())


def test_race_handler_streams_and_exports(handlers: LabHandlers) -> None:
    stream = handlers.race(8, 15)
    outputs = [next(stream) for _ in range(3)]
    stream.close()  # what the Stop button's cancel does
    chart, status, snapshot = outputs[-1]
    assert _is_chart(chart) and isinstance(snapshot, RaceSnapshot)
    assert snapshot.step == 10 and "plain" in status
    _files(*handlers.race_export(snapshot))
    stopped_chart, stopped_text = handlers.race_stopped(snapshot)
    assert _is_chart(stopped_chart) and stopped_text.startswith("Stopped after")
    with pytest.raises(gr.Error, match="Run the race first"):
        handlers.race_export(None)
    with pytest.raises(gr.Error, match="depth"):
        next(handlers.race(9, 15))


@pytest.mark.parametrize(("lang", "presenter"), [("en", False), ("zh", True), ("xx", False)])
def test_notes_handler_switches_language_and_presenter_mode(lang: str, presenter: bool) -> None:
    updates = LabHandlers.notes(lang, presenter)
    assert len(updates) == len(NOTE_KEYS)
    texts = [u.value for u in updates]
    assert all(t.startswith("### ") for t in texts)
    assert ("lab-presenter" in updates[0].elem_classes) == presenter
    assert any("\u4e00" <= ch <= "\u9fff" for ch in texts[0]) == (lang == "zh")
