"""The live webcam view: per-frame output, the slots and their lease, refused models and frames,
and queue fairness while real streams run.

Frames are generated shapes (`resnet_demo.shapes`) scaled to a camera's 640×480 and sent as the
browser sends them (a JPEG `data:` URL), or as arrays to the handler directly.
"""

from __future__ import annotations

import base64
import io
import json
import threading
import time
import uuid
from dataclasses import replace
from typing import Any

import gradio as gr
import httpx
import numpy as np
import pytest
from app_server import fn_index_of_stream, new_client
from gradio_client import handle_file
from PIL import Image

from resnet_demo import shapes
from resnet_demo.analysis import analyze
from resnet_demo.models import LoadedModel, load_model
from resnet_demo.text import t
from resnet_demo.ui.layout import WORK, build_page
from resnet_demo.ui.live import (
    LIVE,
    LIVE_STREAMS,
    LIVE_WORKERS,
    LiveHandlers,
    LiveSlots,
    frame_image,
)
from resnet_demo.ui.live import handlers as live_handlers
from resnet_demo.ui.live.handlers import intact_top1
from resnet_demo.ui.live.layout import STREAM_EVERY_S, TIME_LIMIT_S
from resnet_demo.ui.server import parse_args
from resnet_demo.ui.session import Session, default_settings
from resnet_demo.ui.views import class_names

SWITCH_SETS: tuple[dict[str, str], ...] = (
    {"layer4": "branch-off"},
    {"layer3": "branch-off"},
    {"layer2": "skip-off"},
    {"layer3": "skip-off"},
    {"layer1": "skip-off"},
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Request:
    """What the handler reads of a `gr.Request`: the browser session."""

    def __init__(self, session_hash: str) -> None:
        self.session_hash = session_hash


@pytest.fixture(scope="module")
def model() -> LoadedModel:
    return load_model("embedded")


def camera_frame(image: np.ndarray, size: tuple[int, int] = (640, 480)) -> np.ndarray:
    """`image` scaled to a camera frame (W, H), as a webcam would show a shape held up to it."""
    return np.asarray(Image.fromarray(image).resize(size, Image.Resampling.BILINEAR))


def data_url(image: np.ndarray) -> str:
    """The frame as the browser streams it: `canvas.toDataURL("image/jpeg")`."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=92)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def session_for(model: LoadedModel, switches: dict[str, str] | None = None) -> Session:
    settings = default_settings(model)
    if switches:
        modes = dict(settings.modes)
        for block in modes:
            for name, mode in switches.items():
                if block == name or block.startswith(name + "."):
                    modes[block] = mode
        settings = replace(settings, modes=modes)
    return Session(model_name=model.name, settings=settings)


def counting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the analyses the live handler runs."""
    calls: list[int] = []
    real = live_handlers.analyze

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(live_handlers, "analyze", counted)
    return calls


# ---- slots ----------------------------------------------------------------------------------


def test_slots_refuse_a_third_stream_and_a_lease_expires_without_frames() -> None:
    clock = FakeClock()
    slots = LiveSlots(limit=2, lease_s=2.0, clock=clock)
    assert slots.acquire("a") and slots.acquire("b")
    assert not slots.acquire("c")
    for _ in range(50):  # a and b keep streaming at 10 frames/s: c stays refused
        clock.now += 0.1
        assert slots.acquire("a") and slots.acquire("b")
        assert not slots.acquire("c")
    clock.now += 1.9  # b's tab closes; a keeps streaming
    assert slots.acquire("a")
    assert not slots.acquire("c")  # b's lease (2 s) has not run out yet
    clock.now += 0.2  # 2.1 s since b's last frame
    assert slots.acquire("c")
    assert sorted(slots.holders()) == ["a", "c"]
    assert not slots.acquire("b")  # b came back: both slots are taken now
    slots.release("a")
    assert slots.acquire("b")


def test_a_lease_is_exactly_two_seconds_and_the_app_allows_two_streams() -> None:
    assert LIVE_STREAMS == 2
    clock = FakeClock()
    slots = LiveSlots(limit=1, lease_s=2.0, clock=clock)
    assert slots.acquire("a")
    clock.now += 2.0
    assert not slots.acquire("b")
    clock.now += 0.01
    assert slots.acquire("b")
    with pytest.raises(ValueError):
        LiveSlots(limit=0)


def test_a_third_stream_is_told_the_view_is_busy_and_computes_nothing(
    model: LoadedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = counting(monkeypatch)
    clock = FakeClock()
    live = LiveHandlers(lambda s: model, LiveSlots(clock=clock))
    session = session_for(model)
    frame = camera_frame(shapes.generate_batch(shapes.TEST_SEED_START, 1)[0][0])
    for name in ("a", "b"):
        out = live.on_frame(frame, session, "en", request=Request(name))
        assert out[0] is not None and out[3] == ""
    n = len(calls)
    for lang in ("en", "zh"):
        answer = live.on_frame(frame, session, lang, request=Request("c"))
        predictions, picture, line, message = answer
        assert (predictions, picture, line) == (None, None, "")
        assert message == t("live_busy", lang)
    assert len(calls) == n
    clock.now += 2.5  # a and b stopped sending frames
    assert live.on_frame(frame, session, "en", request=Request("c"))[0] is not None


# ---- per-frame output -------------------------------------------------------------------------


def test_each_frame_gives_the_predictions_of_analyze_and_a_small_overlay(
    model: LoadedModel,
) -> None:
    images, labels, _, _ = shapes.generate_batch(shapes.TEST_SEED_START, 4)
    live = LiveHandlers(lambda s: model)
    session = session_for(model)
    names = class_names(model, "en")
    for image in images:
        frame = camera_frame(image)
        decoded = frame_image(data_url(frame))  # what the browser sends, decoded as the app does
        expected = analyze(model, decoded, top_k=session.settings.top_k)
        predictions, picture, line, message = live.on_frame(
            data_url(frame), session, "en", request=Request("x")
        )
        assert message == "" and line == ""
        assert list(predictions) == [names[int(i)] for i in expected.top_indices]
        np.testing.assert_allclose(list(predictions.values()), expected.top_probs, atol=1e-6)
        assert isinstance(picture, np.ndarray) and picture.dtype == np.uint8
        assert picture.shape == (*expected.image.shape[:2], 3)
        assert max(picture.shape) <= 256  # small: sent ten times a second
    # The network recognises most shapes through the camera path (scaled, JPEG).
    top1 = []
    for image in images:
        predictions = live.on_frame(camera_frame(image), session, "en", request=Request("x"))[0]
        top1.append(names.index(next(iter(predictions))))
    assert sum(int(a == b) for a, b in zip(top1, labels, strict=True)) >= 3


def test_zh_frames_name_classes_in_chinese(model: LoadedModel) -> None:
    live = LiveHandlers(lambda s: model)
    frame = camera_frame(shapes.generate_batch(shapes.TEST_SEED_START, 1)[0][0])
    predictions = live.on_frame(frame, session_for(model), "zh", request=Request("x"))[0]
    assert set(predictions) <= set(class_names(model, "zh"))


@pytest.mark.slow
def test_the_switched_top1_and_its_flag_compare_the_intact_and_switched_networks(
    model: LoadedModel,
) -> None:
    images = shapes.generate_batch(shapes.TEST_SEED_START, 12)[0]
    live = LiveHandlers(lambda s: model)
    names = class_names(model, "en")
    seen = set()
    for switches in SWITCH_SETS:
        session = session_for(model, switches)
        assert session.settings.switched
        for image in images:
            frame = camera_frame(image)
            intact = analyze(model, frame)
            switched = analyze(model, frame, switches=session.settings.switched)
            before, after = int(intact.top_indices[0]), int(switched.top_indices[0])
            answer = live.on_frame(frame, session, "en", request=Request("x"))
            predictions, _, line, message = answer
            assert message == ""
            assert next(iter(predictions)) == names[after]  # the switched network's ranking
            fields = {
                "before": names[before],
                "p_before": float(intact.top_probs[0]),
                "after": names[after],
                "p_after": float(switched.top_probs[0]),
            }
            changed = before != after
            assert line == t("live_changed" if changed else "live_unchanged", "en", **fields)
            assert ("changed" in line.lower().split("top-1")[1][:9]) == changed
            seen.add(changed)
    assert seen == {True, False}  # both answers were checked


def test_the_intact_top1_of_a_switched_frame_is_analyzes_top1(model: LoadedModel) -> None:
    """Switched frames take the intact network's top-1 from one plain forward: the same class
    and probability as `analyze` (which records its activations with Captum)."""
    for image in shapes.generate_batch(shapes.TEST_SEED_START, 6)[0]:
        frame = camera_frame(image)
        expected = analyze(model, frame)
        view = model.preprocessing.model_view(frame)
        assert np.array_equal(model.preprocessing.model_view(view), view)  # what analyse relies on
        top, probability = intact_top1(model, view)
        assert top == int(expected.top_indices[0]) == expected.target
        assert probability == pytest.approx(float(expected.top_probs[0]), abs=1e-6)


def test_the_overlay_follows_the_opacity_slider(model: LoadedModel) -> None:
    live = LiveHandlers(lambda s: model)
    frame = camera_frame(shapes.generate_batch(shapes.TEST_SEED_START, 1)[0][0])
    session = session_for(model)
    view = analyze(model, frame).image
    bare = live.on_frame(frame, session, "en", 0.0, request=Request("x"))[1]
    np.testing.assert_array_equal(bare, view)  # opacity 0: the picture the model saw
    heat = live.on_frame(frame, session, "en", 1.0, request=Request("x"))[1]
    assert np.abs(heat.astype(int) - view.astype(int)).mean() > 10
    for bad in (None, "x", 2.0):  # the session's opacity (0.5) instead
        half = live.on_frame(frame, session, "en", bad, request=Request("x"))[1]
        np.testing.assert_array_equal(half, live.on_frame(frame, session, "en", 0.5)[1])


def test_without_switches_there_is_no_switched_line(model: LoadedModel) -> None:
    live = LiveHandlers(lambda s: model)
    frame = camera_frame(shapes.generate_batch(shapes.TEST_SEED_START, 1)[0][0])
    assert live.on_frame(frame, session_for(model), "en", request=Request("x"))[2] == ""


# ---- refused models and frames --------------------------------------------------------------


def test_a_model_that_is_not_embedded_needs_the_server_flag(
    model: LoadedModel, resnet18: LoadedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = counting(monkeypatch)
    session = Session(model_name=resnet18.name, settings=default_settings(resnet18))
    frame = camera_frame(shapes.generate_batch(shapes.TEST_SEED_START, 1)[0][0])
    refused = LiveHandlers(lambda s: resnet18)
    for lang in ("en", "zh"):
        out = refused.on_frame(frame, session, lang, request=Request("x"))
        assert out == (None, None, "", t("live_model_refused", lang, model=resnet18.name))
    assert calls == []
    allowed = LiveHandlers(lambda s: resnet18, any_model=True)
    predictions, picture, _, message = allowed.on_frame(frame, session, "en", request=Request("x"))
    assert message == "" and len(predictions) == 5 and picture.dtype == np.uint8
    assert calls
    for name in ("embedded", "embedded-deep", "embedded-no-sd"):
        other = load_model(name)
        session = Session(model_name=other.name, settings=default_settings(other))
        assert LiveHandlers(lambda s, m=other: m).on_frame(frame, session, "en")[3] == ""


BAD_FRAMES: dict[str, Any] = {
    "none": None,
    "empty string": "",
    "grey 2-D": np.zeros((480, 640), np.uint8),
    "RGBA": np.zeros((480, 640, 4), np.uint8),
    "tiny": np.zeros((4, 4, 3), np.uint8),
    "float": np.zeros((480, 640, 3), np.float32),
    "not an image": "data:image/jpeg;base64," + base64.b64encode(b"hello").decode(),
    "bad base64": "data:image/jpeg;base64,@@@",
    "a number": 7,
}


@pytest.mark.parametrize("name", list(BAD_FRAMES))
def test_a_bad_frame_gets_the_message_and_keeps_the_last_view(
    name: str, model: LoadedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = counting(monkeypatch)
    live = LiveHandlers(lambda s: model)
    out = live.on_frame(BAD_FRAMES[name], session_for(model), "zh", request=Request("x"))
    skip = gr.skip()
    assert out == (skip, skip, skip, t("live_bad_frame", "zh"))
    assert calls == []


# ---- the page and the queue ---------------------------------------------------------------------


def test_the_stream_runs_in_its_own_concurrency_group(model: LoadedModel) -> None:
    demo, page, _ = build_page(model)
    streams = [fn for fn in demo.fns.values() if fn.connection == "stream"]
    assert len(streams) == 1
    stream = streams[0]
    assert stream.concurrency_id == LIVE != WORK
    assert stream.concurrency_limit == LIVE_WORKERS > LIVE_STREAMS
    assert stream.stream_every == STREAM_EVERY_S and stream.time_limit == TIME_LIMIT_S
    assert page.state in stream.inputs and page.header.language in stream.inputs
    assert page.results.opacity in stream.inputs
    for fn in demo.fns.values():  # no other event shares the live group
        if fn is not stream:
            assert fn.concurrency_id != LIVE


class Stream:
    """One live stream through Gradio's wire protocol, as the browser runs it: join with the
    first frame, then post a frame every `STREAM_EVERY_S` to /stream/{event_id}."""

    def __init__(self, url: str, frame: str) -> None:
        self.url, self.frame = url, frame
        self.session_hash = uuid.uuid4().hex[:11]
        self.index = fn_index_of_stream(url)
        self.messages: list[dict] = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._read, daemon=True)]

    def body(self) -> dict[str, Any]:
        return {
            "data": [{"url": self.frame, "meta": {"_type": "gradio.FileData"}}, None, "en", 0.5],
            "event_data": None,
            "fn_index": self.index,
            "trigger_id": None,
            "session_hash": self.session_hash,
        }

    def start(self) -> None:
        joined = httpx.post(f"{self.url}gradio_api/queue/join", json=self.body(), timeout=10)
        joined.raise_for_status()
        self.event_id = joined.json()["event_id"]
        self.threads.append(threading.Thread(target=self._feed, daemon=True))
        for thread in self.threads:
            thread.start()

    def _read(self) -> None:
        params = {"session_hash": self.session_hash}
        timeout = httpx.Timeout(120, connect=10)
        with httpx.stream(
            "GET", f"{self.url}gradio_api/queue/data", params=params, timeout=timeout
        ) as response:
            for line in response.iter_lines():
                if line.startswith("data:"):
                    message = json.loads(line[5:])
                    self.messages.append(message)
                    if message.get("msg") in ("process_completed", "close_stream"):
                        return

    def _feed(self) -> None:
        while not self.stop.wait(STREAM_EVERY_S):
            httpx.post(f"{self.url}gradio_api/stream/{self.event_id}", json=self.body(), timeout=10)

    def outputs(self) -> list[list[Any]]:
        return [
            m["output"]["data"]
            for m in list(self.messages)
            if m.get("msg") == "process_streaming" and m.get("output")
        ]

    def close(self) -> None:
        self.stop.set()
        httpx.post(f"{self.url}gradio_api/stream/{self.event_id}/close", timeout=10)
        for thread in self.threads:
            thread.join(timeout=30)


@pytest.mark.server
def test_two_streams_run_a_third_is_busy_and_photos_still_get_through(app: Any, tmp_path) -> None:
    images = shapes.generate_batch(shapes.TEST_SEED_START, 3)[0]
    frames = [data_url(camera_frame(image)) for image in images]
    streams = [Stream(app.url, frame) for frame in frames]
    client = new_client(app.url, None)
    photo = tmp_path / "photo.png"
    Image.fromarray(images[0]).save(photo)
    try:
        for stream in streams[:2]:
            stream.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not all(s.outputs() for s in streams[:2]):
            time.sleep(0.1)
        assert all(s.outputs() for s in streams[:2]), [s.messages for s in streams[:2]]
        streams[2].start()
        started = time.monotonic()
        out = client.predict(handle_file(str(photo)), api_name="/analyze")
        elapsed = time.monotonic() - started
        assert elapsed < 30, elapsed  # generous: one analysis takes well under a second
        assert out[0]["label"]  # the photo's predictions came back
        time.sleep(1.0)
        for stream in streams[:2]:  # the two streams kept computing frames meanwhile
            answers = stream.outputs()
            assert len(answers) >= 3
            assert all(a[3] == "" and a[0] and a[0]["label"] for a in answers[-2:])
        busy = streams[2].outputs()
        assert busy and all(a[3] == t("live_busy", "en") for a in busy)
        assert all(not a[0] or not a[0].get("label") for a in busy), busy[-1][0]
    finally:
        client.close()
        for stream in streams:
            if hasattr(stream, "event_id"):
                stream.close()


def test_the_server_flag_reaches_the_live_view(model: LoadedModel) -> None:
    assert parse_args([]).live_any_model is False
    assert parse_args(["--live-any-model"]).live_any_model is True
    for flag in (False, True):
        demo, _, _ = build_page(model, live_any_model=flag)
        (stream,) = [fn for fn in demo.fns.values() if fn.connection == "stream"]
        assert stream.fn.__self__.any_model is flag


def test_the_live_panel_is_worded_in_both_languages(model: LoadedModel) -> None:
    """Every static word of the panel is a catalogue marker the language switch re-words."""
    from resnet_demo.ui.i18n import relabel

    demo, page, _ = build_page(model)
    by_id = {getattr(b, "elem_id", None): b for b in demo.blocks.values()}
    for elem_id, key in (
        ("live", "live"),
        ("live-camera", "live_camera"),
        ("live-predictions", "live_predictions"),
        ("live-overlay", "live_overlay"),
    ):
        block = by_id[elem_id]
        for lang in ("en", "zh"):
            assert relabel(page.words, lang)[block]["label"] == t(key, lang)
    helps = [b for b, props in page.words if props.get("value") == "live_help"]
    assert len(helps) == 1
    assert relabel(page.words, "zh")[helps[0]]["value"] == t("live_help", "zh")
