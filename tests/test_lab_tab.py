"""The lab tab: it builds inside a caller's Blocks, and every handler renders (called directly)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
import pytest
from test_lab_cards import tiny_model

from resnet_demo import shapes
from resnet_demo.lab.image_sets import EXAMPLES, SHAPES
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


def _chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_handlers_write_in_the_pages_language(handlers: LabHandlers) -> None:
    chart, summary, card, data = handlers.sweep(lab_tab.SHAPE_IMAGE, 3, None, Recorder(), "zh")
    assert _is_chart(chart) and summary.startswith("条形：")
    assert any(f"**{name}**" in summary for name in shapes.CLASS_NAMES_ZH)  # the class in Chinese
    caption = json.loads(_files(card, data)[1].read_text(encoding="utf-8"))["caption"]
    assert all(_chinese(line) for line in caption)
    progress = Recorder()
    _, curve_text, *_ = handlers.curves(SHAPES, 16, 1, 0, None, progress, "zh-CN")
    assert "个新生成的形状" in curve_text and progress.calls[-1][1] == "去掉 8 个跳跃连接"
    flow = handlers.gradient_flow([8], 0, Recorder(), "zh")
    assert flow[2].startswith("- 8 层：")
    stream = handlers.race(8, 15, "zh")
    *_, (_, status, snapshot) = [next(stream) for _ in range(2)]
    stream.close()
    assert "最近 20 步的平均训练损失" in status
    assert handlers.race_stopped(snapshot, "zh")[1].startswith("已停止，用时")
    assert handlers.race_stopped(None, "zh")[1] == "已停止。"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda h: h.sweep(lab_tab.SHAPE_IMAGE, -1, None, Recorder(), "zh"), "形状编号必须是"),
        (lambda h: h.gradient_flow([], 0, Recorder(), "zh"), "请至少选择一个深度"),
        (lambda h: h.race_export(None, "zh"), "请先运行赛跑"),
        (lambda h: next(h.race("x", 15, "zh")), "深度必须是数字"),
    ],
)
def test_errors_are_in_the_pages_language(handlers: LabHandlers, call: Any, message: str) -> None:
    with pytest.raises(gr.Error, match=message):
        call(handlers)


def test_main_image_missing_is_explained_in_chinese() -> None:
    h = LabHandlers(tiny_model, lambda: None)
    with pytest.raises(gr.Error, match="请先在主页面载入一张图像"):
        h.sweep(lab_tab.MAIN_IMAGE, 0, None, Recorder(), "zh")


def test_relabel_gives_tab_names_and_choices_in_the_language() -> None:
    updates = lab_tab.relabel_lab(True, "zh")
    names = ["逐块损伤", "损伤曲线", "梯度流", "退化赛跑", "关于 ResNet"]
    assert [u["label"] for u in updates[:5]] == names
    assert updates[5]["choices"] == [("主页面的图像", lab_tab.MAIN_IMAGE), ("生成的形状", "shape")]
    assert [value for _, value in updates[6]["choices"]] == [SHAPES, EXAMPLES]
    assert [value for _, value in updates[7]["choices"]] == [0, 30]
    english = lab_tab.relabel_lab(False, "en")
    assert english[0]["label"] == "Lesion sweep" and len(english[5]["choices"]) == 1


def test_the_apps_language_reaches_every_lab_event() -> None:
    model = tiny_model()
    with gr.Blocks() as demo, gr.Tab("Lab"):
        language = gr.Radio(["en", "zh"], value="en")
        build_lab_tab(lambda: model, language=language)
    by_name = {fn.api_name: fn for fn in demo.fns.values() if fn.api_name}
    for name in ("lab_sweep", "lab_curves", "lab_gradient_flow", "lab_race", "lab_race_export"):
        assert by_name[name].inputs[-1] is language, name
