"""What a flip costs the server: a setting already seen is answered from the finished-answer
cache (`Handlers.answers`: no analysis, no drawing, no encoding) with the very answer a fresh
analysis gives, and a flip's answer rebuilds no Gradio component it need not (plain values for
what keeps its visibility). The model is the embedded architecture with seeded random weights."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from test_ui_handlers import CAT, CONTROLS, tiny_model

from resnet_demo.ui import handlers as handlers_module
from resnet_demo.ui import views
from resnet_demo.ui._compat import is_update
from resnet_demo.ui.components import Page
from resnet_demo.ui.handlers import Handlers, answer_key
from resnet_demo.ui.layout import build_page
from resnet_demo.ui.registry import ModelRegistry
from resnet_demo.ui.session import Engine, Session, new_session

SKIP = {"modes": {"layer3.0": "skip-off"}}
BRANCH = {"modes": {"layer2.1": "branch-off"}}


@pytest.fixture(scope="module")
def page() -> Page:
    return build_page(tiny_model())[1]


def fresh(page: Page) -> Handlers:
    """Handlers with their own engine (own caches) on the same page."""
    return Handlers(Engine(ModelRegistry(tiny_model())), page)


def start(handlers: Handlers, page: Page) -> Session:
    return handlers.on_image(str(CAT), new_session(handlers.registry), **CONTROLS)[page.state]


def flip(handlers: Handlers, page: Page, session: Session, strip: Any) -> dict[Any, Any]:
    return handlers.on_settings(session, **{**CONTROLS, "strip": strip})


def comparable(value: Any) -> Any:
    """A picture as its pixels (a PNG file read back), anything else as it is."""
    if isinstance(value, str) and value.endswith(".png") and Path(value).is_file():
        return np.asarray(Image.open(value))
    if isinstance(value, list):
        return [comparable(v) for v in value]
    if isinstance(value, tuple):
        return tuple(comparable(v) for v in value)
    return value


def assert_same_answer(a: dict[Any, Any], b: dict[Any, Any], page: Page) -> None:
    assert set(a) == set(b)
    for component in a:
        if component is page.state:
            continue
        x, y = comparable(a[component]), comparable(b[component])
        np.testing.assert_equal(x, y, err_msg=str(component))


def test_flipping_back_is_answered_from_the_cache_and_equals_a_fresh_answer(
    page: Page, monkeypatch: pytest.MonkeyPatch
) -> None:
    handlers = fresh(page)
    session = start(handlers, page)
    first = flip(handlers, page, session, SKIP)
    other = flip(handlers, page, first[page.state], BRANCH)[page.state]
    runs: list[Any] = []
    drawn: list[Any] = []
    run = handlers.engine.run
    monkeypatch.setattr(handlers.engine, "run", lambda *a: runs.append(a) or run(*a))
    png_file = handlers_module.png_file
    monkeypatch.setattr(handlers_module, "png_file", lambda p: drawn.append(p) or png_file(p))
    back = flip(handlers, page, other, SKIP)
    assert runs == []  # not analysed again
    # nor drawn again, but for the channels: the first answer left them out (a switch after the
    # inspected block leaves them as they were), so it never drew them
    assert [d.shape for d in drawn] == [views.channel_grid(back[page.state]).shape]
    assert back[page.state].current is first[page.state].current
    # the same flip on a server that never saw the setting gives the same answer
    elsewhere = fresh(page)
    before = flip(elsewhere, page, start(elsewhere, page), BRANCH)[page.state]
    assert_same_answer(back, flip(elsewhere, page, before, SKIP), page)


def test_a_kept_picture_whose_file_is_gone_is_drawn_again(page: Page) -> None:
    """Gradio's cache cleaning deletes files an hour old: a cached answer whose picture file is
    gone draws it again instead of sending a path the page cannot load."""
    handlers = fresh(page)
    session = start(handlers, page)
    first = flip(handlers, page, session, SKIP)
    other = flip(handlers, page, first[page.state], BRANCH)[page.state]
    gone = first[page.comparison.cam_diff]
    Path(gone).unlink()
    back = flip(handlers, page, other, SKIP)
    assert Path(back[page.comparison.cam_diff]).is_file()
    np.testing.assert_array_equal(
        comparable(back[page.comparison.cam_diff]), views.cam_diff(back[page.state])
    )


def test_the_cache_is_shared_by_sessions_and_keyed_by_every_setting(page: Page) -> None:
    handlers = fresh(page)
    one, two = start(handlers, page), start(handlers, page)
    a = flip(handlers, page, one, SKIP)[page.state]
    b = flip(handlers, page, two, SKIP)[page.state]
    assert b.current is a.current and b.comparison is a.comparison  # one analysis for both
    strong = flip(handlers, page, one, SKIP)[page.results.overlay]
    faint = handlers.on_settings(two, **{**CONTROLS, "strip": SKIP, "opacity": 0.2})
    assert not np.array_equal(faint[page.results.overlay], strong)  # drawn for its opacity
    assert answer_key(a, a.settings) != answer_key(faint[page.state], faint[page.state].settings)
    assert answer_key(Session(model_name="embedded"), a.settings) is None  # no image: no key


def test_a_flip_sends_the_target_as_a_plain_value(page: Page) -> None:
    handlers = fresh(page)
    out = flip(handlers, page, start(handlers, page), SKIP)
    assert out[page.results.target] == views.AUTO_TARGET  # no update: Gradio builds no Dropdown
    # a new model or language still sends the class list
    again = handlers.view(out[page.state], with_choices=True)
    assert is_update(again[page.results.target]) and "choices" in again[page.results.target]


def test_a_view_rebuilds_a_component_only_where_more_than_its_value_changes(page: Page) -> None:
    """The strip's rows (numbers) travel with every answer; the zero-map note's visibility and
    its button only when the warning changes (`views.zero_map`), else the note's words alone;
    the layer picker's state only when the method's kind changes."""
    handlers = fresh(page)
    session = start(handlers, page)
    flipped = flip(handlers, page, session, SKIP)
    strip = flipped[page.switches.strip]
    assert is_update(strip) and strip["rows"] != views.strip(tiny_model(), session)["rows"]
    fewer = handlers.on_settings(flipped[page.state], **{**CONTROLS, "strip": SKIP, "top_k": 2})
    assert fewer[page.switches.strip]["rows"] == strip["rows"]  # numbers: in every answer
    method = handlers.on_method(
        fewer[page.state], **{**CONTROLS, "strip": SKIP, "method": "saliency"}
    )
    assert page.results.layer in method  # greyed out: a pixel method has no layer
    assert page.results.layer not in handlers.on_method(
        method[page.state], **{**CONTROLS, "strip": SKIP, "method": "integrated-gradients"}
    )
    for answer, before in ((flipped, session), (fewer, flipped[page.state])):
        changed = views.zero_map(answer[page.state]) != views.zero_map(before)
        assert is_update(answer[page.results.zero_note]) is changed  # else the words alone
        assert (page.results.zero_button in answer) is changed


def test_a_flip_after_the_inspected_block_leaves_its_channels_as_they_were(page: Page) -> None:
    """The channel grid shows the inspected block (layer2.1): a switch after it cannot change
    it (the same computation up to there), so it is neither drawn nor sent; a switch of that
    block itself is."""
    handlers = fresh(page)
    session = start(handlers, page)
    assert session.settings.inspect == "layer2.1"
    after = flip(handlers, page, session, SKIP)  # layer3.0
    assert page.maps.channels not in after and page.maps.activations in after
    views_now = views.channel_grid(after[page.state]), views.channel_grid(session)
    np.testing.assert_array_equal(*views_now)  # what the page keeps is still true
    itself = flip(handlers, page, after[page.state], BRANCH)  # layer2.1
    assert page.maps.channels in itself
    assert not np.array_equal(comparable(itself[page.maps.channels]), views_now[0])


def test_downloads_are_hidden_by_the_next_view_of_the_browser_that_showed_them(
    page: Page, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Gradio rebuilds a download button for every `visible` it is sent: a view hides them only
    in the browser that prepared them (once), or when it cannot tell (no request: every view)."""
    handlers = fresh(page)
    session = start(handlers, page)
    browser = ["one"]
    monkeypatch.setattr(handlers_module, "browser_session", lambda: browser[0])
    downloads = (page.export.download_card, page.export.download_json)

    def hides(answer: dict[Any, Any]) -> bool:
        sent = [answer[d] for d in downloads]
        if all(value is None for value in sent):  # a plain value: no file, no new component
            return False
        assert all(v["visible"] is False and v["value"] is None for v in sent)
        return True

    assert not hides(flip(handlers, page, session, SKIP))  # never shown
    handlers.on_export(session, "en")
    browser[0] = "two"  # another browser's view: its own downloads were never shown
    assert not hides(flip(handlers, page, session, BRANCH))
    browser[0] = "one"
    hiding = flip(handlers, page, session, BRANCH)
    assert hides(hiding)
    assert not hides(flip(handlers, page, hiding[page.state], SKIP))  # hidden already
    browser[0] = None  # type: ignore[call-overload]  # outside a request: always hidden
    assert hides(flip(handlers, page, session, SKIP))


@pytest.mark.tooling
def test_the_flip_benchmark_prints_the_split() -> None:
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root), "GRADIO_ANALYTICS_ENABLED": "False"}
    done = subprocess.run(
        [sys.executable, str(root / "benchmarks" / "bench_flip_cpu.py"), "--flips", "2"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr[-2000:]  # 1: over the target on this machine
    for words in ("a new setting", "a setting seen", "analysis", "drawing", "encoding", "Gradio"):
        assert words in done.stdout


def test_flips_leave_the_session_s_copy_of_the_page_as_large_as_it_was() -> None:
    """Gradio rebuilds a component, under a new id, for every update that carries more than a
    value (the strip's rows) and for every output an answer leaves out (an unchanged picture),
    and filed a rebuilt one under that new id as well once it was read as an input (the strip,
    by the next flip) or given a plain value (a picture drawn again): one more component and
    config in the session per flip, for the session's life. They keep their ids now."""
    import asyncio

    from gradio.state_holder import SessionState

    demo, page, handlers = build_page(tiny_model())
    switch = next(f for f in demo.fns.values() if f.api_name == "switch")
    state = SessionState(demo)
    state[page.state._id] = start(handlers, page)
    inputs = {c._id: c.value for c in switch.inputs}
    inputs.update({page.controls()[k]._id: v for k, v in CONTROLS.items() if k != "strip"})
    page_ids = set(demo.blocks)
    blocks = ["layer1.0", "layer2.0", "layer3.0", "layer4.0", "layer2.1"] * 3
    for rev, block in enumerate(blocks, start=1):
        modes = {block: "skip-off" if rev % 2 else "branch-off"}
        inputs[page.switches.strip._id] = {"modes": modes, "selected": "", "rev": rev}
        sent = [inputs[c._id] for c in switch.inputs]
        assert "data" in asyncio.run(demo.process_api(switch, sent, state=state))
        filed = {i: type(b).__name__ for i, b in state.blocks_config.blocks.items()}
        assert set(filed) <= page_ids, {i: n for i, n in filed.items() if i not in page_ids}
    for component in (page.switches.strip, page.maps.channels, page.comparison.cam_intact):
        rebuilt = state[component._id]
        assert rebuilt is not component and rebuilt._id == component._id  # rebuilt, same id
