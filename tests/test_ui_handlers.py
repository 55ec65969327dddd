"""Fast tests of the Gradio app's pieces, without a server: handlers, cache, strip, i18n, settings.

The model is the embedded architecture with seeded random weights (128 px, narrow), built here so
these tests neither need the trained weights nor touch the network. The analysis engine itself is
the oracle: a switched view must equal `analyze(...)` called directly with the intact target.
"""

from __future__ import annotations

import base64
import io
import json
import re
import threading
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
import pytest
import torch
import torchvision
from PIL import Image, ImageDraw

from resnet_demo.analysis import analyze
from resnet_demo.cache import LRUCache, image_digest
from resnet_demo.imaging import decode_image
from resnet_demo.models import (
    LoadedModel,
    ModelSpec,
    Preprocessing,
    WeightsUnavailable,
    parse_model_name,
)
from resnet_demo.models.describe import PHOTO_MODEL
from resnet_demo.models.embedded import build_embedded_resnet
from resnet_demo.models.loading import offline_copy
from resnet_demo.render import recording_texts
from resnet_demo.shapes import CLASS_NAMES, class_names_in
from resnet_demo.switches import MODES, SwitchError, block_names
from resnet_demo.text import t
from resnet_demo.ui import export, views
from resnet_demo.ui._compat import BUSY_GRADIO, is_update
from resnet_demo.ui.components import Page
from resnet_demo.ui.examples import EXAMPLES_DIR, MARKS, gallery_value
from resnet_demo.ui.handlers import Handlers, merge
from resnet_demo.ui.i18n import normalize_lang, relabel, translations
from resnet_demo.ui.inputs import (
    MAX_STORED_PIXELS,
    CheckedSlider,
    UntrustedImage,
    read_image,
    shrink,
)
from resnet_demo.ui.layout import build_page
from resnet_demo.ui.presets import PRESETS, preset_modes
from resnet_demo.ui.registry import ModelRegistry
from resnet_demo.ui.server import (
    head_html,
    launch_kwargs,
    parse_args,
)
from resnet_demo.ui.session import Engine, Session, new_session
from resnet_demo.ui.strip import (
    modes_from_value,
    selected_from_value,
    strip_props,
    strip_value,
)

ROOT = Path(__file__).resolve().parents[1]
CAT = ROOT / "assets" / "examples" / "chelsea.jpg"
COFFEE = ROOT / "assets" / "examples" / "coffee.jpg"
CONTROLS = {
    "target": -1,
    "layer": "layer4",
    "top_k": 5,
    "opacity": 0.5,
    "strip": None,
    "lang": "en",
}
NO_TARGET = {k: v for k, v in CONTROLS.items() if k != "target"}


def tiny_model(seed: int = 0, categories: tuple[str, ...] = CLASS_NAMES) -> LoadedModel:
    """The embedded architecture (ResNet-18 layout, width 16, 128 px) with seeded random weights."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        module = build_embedded_resnet(len(categories), 16).eval()
    return LoadedModel(
        spec=ModelSpec("embedded"),
        module=module,
        categories=categories,
        preprocessing=Preprocessing(128, 128, (0.5, 0.5, 0.5), (0.25, 0.25, 0.25)),
        source=f"random(seed={seed})",
        class_names={"zh": class_names_in("zh")} if categories == CLASS_NAMES else {},
    )


@pytest.fixture(scope="module")
def tiny() -> LoadedModel:
    return tiny_model()


@pytest.fixture(scope="module")
def page(tiny: LoadedModel) -> Page:
    """The page's components, built once: handlers key their answers by them."""
    return build_page(tiny)[1]


@pytest.fixture
def handlers(tiny: LoadedModel, page: Page) -> Handlers:
    return Handlers(Engine(ModelRegistry(tiny)), page)


@pytest.fixture
def analysed(handlers: Handlers, page: Page) -> Session:
    return handlers.on_image(str(CAT), new_session(handlers.registry), **CONTROLS)[page.state]


@pytest.fixture(scope="module")
def shared(tiny: LoadedModel, page: Page) -> tuple[Handlers, Session]:
    """One analysed session for tests that only read it (saves an analysis per case)."""
    handlers = Handlers(Engine(ModelRegistry(tiny)), page)
    session = handlers.on_image(str(CAT), new_session(handlers.registry), **CONTROLS)[page.state]
    return handlers, session


def view_of(page: Page, outputs: dict) -> dict:
    """A refresh's answer as {name: value}: view components only, always the session and the
    strip (the panels that did not change are left out: `views.unchanged`)."""
    names = {
        page.state: "session",
        **{c: n for n, c in page.results._asdict().items()},
        page.switches.strip: "strip",
        page.switches.result: "switch_result",
        **{c: n for n, c in page.comparison._asdict().items()},
        page.maps.activations: "activations",
        page.maps.channels: "channels",
        page.export.download_card: "download_card",
        page.export.download_json: "download_json",
        page.faithfulness.chart: "faithful_chart",
    }
    assert set(outputs) <= set(names) and set(outputs) <= set(page.view())
    assert page.state in outputs and page.switches.strip in outputs
    return {names[c]: picture(v) if names[c] in PNG_PICTURES else v for c, v in outputs.items()}


PNG_PICTURES = frozenset({"raw_cam", "cam_diff", "activations", "channels", "faithful_chart"})
"""The pictures a handler sends as PNG files it wrote (`pictures.png_file`)."""


def picture(value: object) -> np.ndarray | None:
    """A picture a handler sent as a PNG file, read back (None stays None)."""
    if value is None:
        return None
    assert isinstance(value, str) and value.endswith(".png"), value
    with Image.open(value) as image:
        return np.asarray(image)


def png_bytes(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


def png_chunks(data: bytes) -> list[bytes]:
    """Chunk types of a PNG file, in order."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, pos = [], 8
    while pos < len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        chunks.append(data[pos + 4 : pos + 8])
        pos += 12 + length
    return chunks


# ---- handlers: the happy paths --------------------------------------------------------------


def test_image_fills_every_output(handlers: Handlers, page: Page) -> None:
    view = view_of(page, handlers.on_image(str(CAT), new_session(handlers.registry), **CONTROLS))
    session = view["session"]
    assert session.image_name == "chelsea.jpg" and session.comparison is None
    assert len(view["predictions"]) == 5
    assert set(view["predictions"]) <= set(CLASS_NAMES)
    assert 0.0 < sum(view["predictions"].values()) <= 1.0 + 1e-6
    for name in ("overlay", "raw_cam", "cam_intact"):  # the model's view size (128 px)
        assert view[name].shape == (128, 128, 3) and view[name].dtype == np.uint8
    assert view["cam_switched"] is None and view["cam_diff"] is None
    assert 'class="banner none"' in view["banner"]
    rows = view["strip"]["rows"]
    assert [row["name"] for row in rows] == block_names(handlers.registry.default.module)
    assert [row["name"] for row in rows if row["projection"]] == [
        "layer2.0",
        "layer3.0",
        "layer4.0",
    ]
    assert all(mode == "intact" for mode in view["strip"]["value"]["modes"].values())
    assert view["activations"].ndim == 3 and view["channels"].ndim == 3
    assert "layer4.1" in view["caption"] and "128×128" in view["caption"]
    assert view["download_card"]["visible"] is False and view["target"] == -1


def test_same_image_again_changes_nothing(
    handlers: Handlers, analysed: Session, page: Page
) -> None:
    # Never an empty dict: Gradio refuses one ("didn't return enough output values").
    assert handlers.on_image(str(CAT), analysed, **CONTROLS) == {page.state: analysed}
    assert handlers.on_image(None, analysed, **CONTROLS) == {page.state: analysed}
    # The same image with other switches (an API client) is analysed with them.
    strip = {"modes": {"layer4.1": "branch-off"}}
    again = handlers.on_image(str(CAT), analysed, **{**CONTROLS, "strip": strip})
    assert again[page.state].current.switched == {"layer4.1": "branch-off"}
    assert page.results.overlay in again


def test_flip_reuses_the_cached_intact_analysis(
    handlers: Handlers, analysed: Session, page: Page
) -> None:
    cache = handlers.engine.cache
    hits, misses = cache.hits, cache.misses
    strip = {"modes": {"layer3.1": "skip-off"}}
    view = view_of(page, handlers.on_settings(analysed, **{**CONTROLS, "strip": strip}))
    session = view["session"]
    assert (cache.hits, cache.misses) == (hits + 1, misses)
    assert session.intact is analysed.intact
    assert not session.intact.cam.flags.writeable  # shared between sessions: read-only
    assert not session.intact.activations[0].top_maps.flags.writeable
    assert session.comparison is not None and session.comparison.switched == {
        "layer3.1": "skip-off"
    }
    assert view["strip"]["value"]["modes"]["layer3.1"] == "skip-off"
    assert view["cam_switched"].shape == view["cam_diff"].shape == (128, 128, 3)
    assert "layer3.1" in view["banner"] and (
        "changed" in view["banner"] or "same" in view["banner"]
    )


@pytest.mark.parametrize("preset", ["all-skip-off", "stage-branch-off"])
def test_switched_view_equals_direct_analysis_with_intact_target(
    handlers: Handlers, analysed: Session, tiny: LoadedModel, page: Page, preset: str
) -> None:
    view = view_of(page, handlers.on_preset(preset, "layer2", analysed, **CONTROLS))
    session = view["session"]
    modes = preset_modes(tiny.module, preset, "layer2")
    switched = {k: v for k, v in modes.items() if v != "intact"}
    oracle = analyze(tiny, session.image, switches=switched, target=analysed.intact.target)
    assert session.current.target == analysed.intact.target
    np.testing.assert_array_equal(session.current.probabilities, oracle.probabilities)
    np.testing.assert_array_equal(session.current.cam, oracle.cam)
    rows = view["table"]["data"]
    assert {r[0] for r in rows} >= {CLASS_NAMES[i] for i in oracle.top_indices}


def test_all_intact_preset_removes_the_comparison(
    handlers: Handlers, analysed: Session, page: Page
) -> None:
    switched = handlers.on_preset("all-skip-off", None, analysed, **CONTROLS)[page.state]
    back = handlers.on_preset("all-intact", None, switched, **CONTROLS)[page.state]
    assert back.comparison is None and back.current is back.intact


def test_target_and_layer_change_the_explanation(
    handlers: Handlers, analysed: Session, page: Page
) -> None:
    target = int(analysed.intact.top_indices[-1])
    controls = {**CONTROLS, "target": str(target), "layer": "layer3.0", "top_k": 3}
    session = handlers.on_settings(analysed, **controls)[page.state]
    assert session.intact.target == target and session.current.cam_layer == "layer3.0"
    assert len(session.current.top_indices) == 3
    assert session.current.cam_coarse.shape == (8, 8)  # layer3 at 128 px: stride 16


def test_clicking_a_bar_explains_that_class(
    handlers: Handlers, analysed: Session, page: Page
) -> None:
    label = CLASS_NAMES[int(analysed.current.top_indices[2])]
    evt = gr.SelectData(None, {"index": 2, "value": label, "selected": True})
    out = handlers.on_label_select(evt, analysed, **NO_TARGET)
    assert out[page.state].current.target == CLASS_NAMES.index(label)
    assert out[page.results.target] == CLASS_NAMES.index(label)
    with pytest.raises(gr.Error, match="unknown class"):
        bad = gr.SelectData(None, {"index": 0, "value": "dragon", "selected": True})
        handlers.on_label_select(bad, analysed, **NO_TARGET)


def test_opacity_recolours_only_the_overlays_without_analysis(
    handlers: Handlers, analysed: Session, page: Page
) -> None:
    misses = handlers.engine.cache.misses
    faint = handlers.on_opacity(analysed, 0.0)
    strong = handlers.on_opacity(analysed, 1.0)
    overlays = {page.results.overlay, page.comparison.cam_intact, page.comparison.cam_switched}
    assert set(faint) == set(strong) == overlays | {page.results.stages}
    main = page.results.overlay
    np.testing.assert_array_equal(faint[main], analysed.current.image)  # the model's view
    assert not np.array_equal(strong[main], faint[main])
    stage_faint = faint[page.results.stages][0][0]
    np.testing.assert_array_equal(stage_faint, analysed.current.image)
    assert handlers.engine.cache.misses == misses


def test_the_colour_picker_recolours_every_heat_map_and_is_kept(
    handlers: Handlers, analysed: Session, page: Page
) -> None:
    """A colour-blind-safe choice besides the default, without an analysis; the
    session keeps it for later analyses and the exported card."""
    from resnet_demo.render import overlay
    from resnet_demo.render.colormaps import colorize
    from resnet_demo.ui.export import card_content

    misses = handlers.engine.cache.misses
    out = handlers.on_palette(analysed, "cividis", 1.0)
    session = out[page.state]
    assert session.settings.palette == "cividis" and handlers.engine.cache.misses == misses
    current = session.current
    expected = overlay(current.image, current.cam, alpha=1.0, cmap="cividis")
    np.testing.assert_array_equal(out[page.results.overlay], expected)
    inferno = overlay(current.image, current.cam, alpha=1.0, cmap="inferno")
    assert not np.array_equal(expected, inferno)
    raw = picture(out[page.results.raw_cam])
    assert raw is not None
    assert set(map(tuple, raw.reshape(-1, 3))) <= set(
        map(tuple, colorize(np.linspace(0, 1, 256)[None], "cividis", 0.0, 1.0)[0])
    )
    tile = out[page.results.stages][0][0]
    cam = current.stage_cams[0][1]
    assert np.array_equal(tile, overlay(current.image, cam, alpha=1.0, cmap="cividis"))
    flipped = handlers.on_settings(
        session, **{**CONTROLS, "strip": {"modes": {"layer1.0": "skip-off"}}}
    )
    assert flipped[page.state].settings.palette == "cividis"
    assert card_content(handlers.engine.model(session), flipped[page.state]).heat_cmap == "cividis"
    with pytest.raises(gr.Error, match="unknown colour map 'jet'"):
        handlers.on_palette(analysed, "jet", 0.5)
    assert handlers.on_settings(analysed, **CONTROLS)[page.state].settings.palette == "inferno"


def test_inspect_picks_a_block_and_redraws_only_the_strip_and_channels(
    handlers: Handlers, analysed: Session, page: Page
) -> None:
    out = handlers.on_inspect("layer3.0", analysed, "en")
    assert set(out) == {page.state, page.maps.inspect, page.switches.strip, page.maps.channels}
    assert out[page.maps.inspect] == "layer3.0"
    assert out[page.switches.strip]["value"]["selected"] == "layer3.0"
    channels = picture(out[page.maps.channels])
    assert out[page.state].settings.inspect == "layer3.0"
    assert channels is not None and channels.ndim == 3
    again = handlers.on_inspect({"selected": "layer1.1"}, analysed, "en")
    assert again[page.maps.inspect] == "layer1.1"
    with pytest.raises(gr.Error, match="unknown block"):
        handlers.on_inspect("layer9.9", analysed, "en")
    with pytest.raises(gr.Error, match="无效的设置：未知的残差块"):
        handlers.on_inspect("layer9.9", analysed, "zh")


def test_every_strip_answer_carries_the_browser_revision_it_answers(
    handlers: Handlers, analysed: Session, page: Page
) -> None:
    """The strip keeps a newer change of its own over a late answer (strip.js) only if every
    answer names the revision it answers: a flip, a preset, a selection, a model change."""
    mine = {"modes": {"layer1.0": "skip-off"}, "selected": "layer1.0", "rev": 7}
    flipped = handlers.on_settings(analysed, **{**CONTROLS, "strip": mine})
    assert flipped[page.switches.strip]["value"]["rev"] == 7
    assert flipped[page.switches.strip]["value"]["modes"]["layer1.0"] == "skip-off"
    session = flipped[page.state]
    later = {"modes": {"layer2.0": "branch-off"}, "rev": 9}
    preset = handlers.on_preset("all-intact", None, session, **{**CONTROLS, "strip": later})
    assert preset[page.switches.strip]["value"]["rev"] == 9
    assert set(preset[page.switches.strip]["value"]["modes"].values()) == {"intact"}
    # A selection answers with the browser's switches (here newer than the session's: a flip
    # may still be running), not the session's.
    picked = handlers.on_inspect("layer3.0", session, "en", strip={**later, "rev": 10})
    assert picked[page.switches.strip]["value"]["rev"] == 10
    assert picked[page.switches.strip]["value"]["modes"]["layer2.0"] == "branch-off"
    assert picked[page.state].settings.modes == session.settings.modes
    # API clients may leave it out, or send nonsense: the session's revision stays.
    for value in (None, {"modes": {}}, {"modes": {}, "rev": -1}, {"modes": {}, "rev": "8"}):
        plain = handlers.on_settings(picked[page.state], **{**CONTROLS, "strip": value})
        assert plain[page.switches.strip]["value"]["rev"] == 10


def test_example_click_shows_and_analyses_the_example(handlers: Handlers, page: Page) -> None:
    evt = gr.SelectData(None, {"index": 0, "value": None, "selected": True})
    out = handlers.on_example(evt, new_session(handlers.registry), **NO_TARGET)
    shown, session = out[page.inputs.image], out[page.state]
    np.testing.assert_array_equal(shown, decode_image(EXAMPLES_DIR / session.image_name))
    assert session.image is shown and session.current is not None and shown.flags.writeable
    # The input then reports the shown picture (saved losslessly): same digest, nothing recomputed.
    assert handlers.on_image(png_bytes(shown), session, **NO_TARGET) == {page.state: session}
    with pytest.raises(gr.Error, match="no example number"):
        bad = gr.SelectData(None, {"index": 99, "value": None, "selected": True})
        handlers.on_example(bad, new_session(handlers.registry), **NO_TARGET)


def test_drawing_is_classified_and_a_blank_one_refused(handlers: Handlers, page: Page) -> None:
    canvas = Image.new("RGBA", (256, 256), (0, 0, 0, 0))
    ImageDraw.Draw(canvas).ellipse((60, 60, 196, 196), fill=(29, 78, 216, 255))
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG")
    out = handlers.on_drawing(buffer.getvalue(), new_session(handlers.registry), **NO_TARGET)
    session = out[page.state]
    assert session.image_name == "drawing" and session.current is not None
    assert tuple(session.image[0, 0]) == (255, 255, 255)  # transparency composited over white
    blank = png_bytes(np.full((256, 256, 3), 255, np.uint8))
    for source in (blank, None):
        with pytest.raises(gr.Error, match="Draw a shape first"):
            handlers.on_drawing(source, new_session(handlers.registry), **NO_TARGET)


def test_language_switch_rewords_the_whole_page(
    handlers: Handlers, analysed: Session, page: Page
) -> None:
    switched = handlers.on_preset("all-skip-off", None, analysed, **CONTROLS)[page.state]
    out = handlers.on_lang("zh-CN", switched)
    assert out[page.state].settings.lang == "zh"
    picker, status = out[page.header.picker], out[page.header.status]
    assert "内置" in picker["choices"][0][0] and "正在使用" in status
    assert picker["label"] == "模型"  # static label re-worded, choices kept (merged updates)
    banner, table = out[page.results.banner], out[page.comparison.table]
    assert "第一名" in banner and table["value"]["headers"][0] == "类别"
    assert table["label"] == t("compare_table", "zh")
    # The mode labels were renamed in 796b117 (skip off / branch off); read them from the catalogue.
    assert out[page.switches.strip]["labels"]["skip-off"] == t("mode_skip_off", "zh")
    assert out[page.switches.presets["all-skip-off"]]["value"] == "断开全部跳跃连接"
    assert out[page.header.saved_lang] == "zh"  # kept by the browser for the next visit
    gallery = out[page.inputs.gallery]
    shape_captions = {c.split()[-1] for _, c in gallery["value"]} & set(class_names_in("zh"))
    assert shape_captions or not (EXAMPLES_DIR / "shapes_star.png").exists()
    predictions = out[page.results.predictions]["value"]
    assert predictions and all("(" in name for name in predictions)  # 圆形 (circle)
    assert set(page.everything()) >= set(out)


def test_every_static_word_is_reworded(page: Page) -> None:
    updates = relabel(page.words, "zh")
    target = gr.update(label=t("target", "zh"), info=t("target_info", "zh"))
    assert updates[page.results.target] == target and "类别" in target["label"]
    assert updates[page.export.button] == gr.update(value=t("export", "zh"))
    keys = {k for _, props in page.words for p, k in props.items() if p != "choices"}
    assert {"title", "blocks_heading", "tab_photo", "tab_draw", "lab", "download_card"} <= keys
    assert merge({page.header.picker: gr.update(label="x")}, {page.header.picker: ["a"]}) == {
        page.header.picker: gr.update(label="x", value=["a"])
    }


class FakeRequest:
    """What `on_load` reads of a `gr.Request`: the query parameters and the headers."""

    def __init__(self, query: dict[str, str], headers: dict[str, str]) -> None:
        self.query_params, self.headers = query, headers


@pytest.mark.parametrize(
    ("saved", "query", "default", "browser", "lang"),
    [
        ("zh", "en", "en", "en-US", "zh"),
        ("", "zh", "en", "en-US", "zh"),
        ("", "", "zh", "en-US", "zh"),
        ("", "", None, "zh-CN,zh;q=0.9", "zh"),
        ("", "", None, "", "en"),
        ("", "", "en", "zh-CN", "en"),
    ],
)
def test_page_load_keeps_the_saved_language_then_query_then_server_then_browser(
    handlers: Handlers,
    page: Page,
    saved: str,
    query: str,
    default: str | None,
    browser: str,
    lang: str,
) -> None:
    handlers.default_lang = default
    request = FakeRequest({"lang": query} if query else {}, {"accept-language": browser})
    out = handlers.on_load(saved, new_session(handlers.registry), request)
    assert out[page.header.language]["value"] == lang and out[page.state].settings.lang == lang
    assert out[page.header.saved_lang] == lang


def _photo_advice(lang: str, key: str) -> str:
    """The page's advice for photos (catalogue `key`), with the file's URL and path as code."""
    spec = parse_model_name(PHOTO_MODEL)
    copy = {k: f"`{v}`" for k, v in offline_copy(spec).items()}
    return t(key, lang, model=spec.name, size=spec.weights.meta["_file_size"], **copy)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_shapes_model_says_beside_its_predictions_which_ten_shapes_it_knows(
    handlers: Handlers,
    analysed: Session,
    page: Page,
    lang: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A photo on a shapes model keeps its predictions, and the notice under them
    names the ten shapes and says how to get a model for photos: resnet18's download (its size,
    the progress bar) and, without internet, the exact file to copy where."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))  # resnet18 is not on this computer
    out = handlers.on_lang(lang, analysed)
    note = out[page.results.shapes_note]
    assert note["visible"] is True and note["value"].startswith("**")  # not small print
    assert all(t(f"shape_{name}", lang) in note["value"] for name in CLASS_NAMES)
    advice = _photo_advice(lang, "shapes_photo_download")
    assert advice in note["value"] and str(tmp_path) in advice
    assert out[page.results.predictions]["value"]  # never hidden
    assert page.results.shapes_note in page.model_parts()  # follows the model and the language

    # The weights on this computer: no download to speak of.
    checkpoints = tmp_path / "hub" / "checkpoints"
    checkpoints.mkdir(parents=True)
    (checkpoints / Path(offline_copy(parse_model_name(PHOTO_MODEL))["path"]).name).touch()
    note = handlers.model_parts(analysed, lang)[page.results.shapes_note]
    assert _photo_advice(lang, "shapes_photo_on_disk") in note["value"]
    assert "MB" not in note["value"]


def test_an_offline_server_says_only_which_file_to_copy(
    tiny: LoadedModel,
    analysed: Session,
    page: Page,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    offline = Handlers(Engine(ModelRegistry(tiny, allow_download=False)), page)
    note = offline.model_parts(analysed, "zh")[page.results.shapes_note]
    assert _photo_advice("zh", "shapes_photo_offline") in note["value"]
    assert "MB" not in note["value"] and str(tmp_path) in note["value"]


def test_no_shapes_notice_for_a_model_with_other_classes(page: Page) -> None:
    other = tiny_model(categories=tuple(f"class {i}" for i in range(10)))
    handlers = Handlers(Engine(ModelRegistry(other)), page)
    session = new_session(handlers.registry)
    assert handlers.shapes_notice(session, "en") == []
    assert handlers.model_parts(session, "en")[page.results.shapes_note]["visible"] is False


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_exported_card_and_numbers_carry_the_shapes_notice(
    handlers: Handlers, analysed: Session, page: Page, lang: str
) -> None:
    session = handlers.on_lang(lang, analysed)[page.state]
    notice = handlers.shapes_notice(session, lang)
    assert len(notice) == 2 and all(t(f"shape_{n}", lang) in notice[0] for n in CLASS_NAMES)
    with recording_texts() as texts:
        out = handlers.on_export(session, lang)
    card = "".join(texts).replace(" ", "")  # the card's caption, wrapped to its width
    assert all(line.replace(" ", "") in card for line in notice)
    assert export.card_content(handlers.engine.model(session), session, notice).top_labels
    payload = json.loads(Path(out[page.export.download_json]["value"]).read_text("utf-8"))
    assert payload["notice"] == notice


def test_export_writes_a_clean_png_and_the_numbers(
    handlers: Handlers, analysed: Session, page: Page
) -> None:
    switched = handlers.on_preset("all-skip-off", None, analysed, **CONTROLS)[page.state]
    out = handlers.on_export(switched, "en")
    card, numbers = out[page.export.download_card], out[page.export.download_json]
    assert card["visible"] and numbers["visible"]
    data = Path(card["value"]).read_bytes()
    assert png_chunks(data) == [b"IHDR", b"IDAT", b"IEND"] or set(png_chunks(data)) == {
        b"IHDR",
        b"IDAT",
        b"IEND",
    }
    assert Image.open(io.BytesIO(data)).size[0] == 1200
    payload = json.loads(Path(numbers["value"]).read_text(encoding="utf-8"))
    assert payload["image"]["name"] == "chelsea.jpg" and payload["model"] == "embedded"
    assert len(payload["settings"]["switches"]) == 8
    assert payload["comparison"]["top1_before"] == int(switched.intact.top_indices[0])
    with pytest.raises(gr.Error, match="Upload a photo"):
        handlers.on_export(new_session(handlers.registry), "en")


# ---- handlers: every bad input is a short gr.Error ------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("target", 99, "between 0 and 9"),
        ("target", "cat", "whole number"),
        ("target", [1], "whole number"),
        ("layer", "layer9", "unknown layer"),
        ("layer", 4, "layer must be a string"),
        ("top_k", 0, "between 1 and 10"),
        ("top_k", "5", "whole number"),
        ("opacity", 1.5, "between 0 and 1"),
        ("opacity", None, "must be a number"),
        ("strip", {"modes": {"layer9.0": "skip-off"}}, "unknown block"),
        ("strip", {"modes": {"layer1.0": "off"}}, "unknown mode"),
        ("strip", {"modes": ["layer1.0"]}, "must map block names"),
        ("strip", "{not json", "must be JSON"),
        ("strip", 42, "must be an object"),
    ],
)
def test_bad_control_values_give_a_short_error(
    shared: tuple[Handlers, Session], field: str, value: object, message: str
) -> None:
    handlers, analysed = shared
    controls = {**CONTROLS, field: value}
    with pytest.raises(gr.Error, match=message) as info:
        handlers.on_settings(analysed, **controls)
    assert info.value.title == "Invalid setting"
    assert "Traceback" not in info.value.message


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"hello, this is text\n" * 20, "not a supported image"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "not a supported image"),
        (png_bytes(np.zeros((64, 64, 3), np.uint8))[:60], "damaged"),
    ],
)
def test_bad_files_give_the_image_error_and_the_next_request_works(
    handlers: Handlers, page: Page, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "upload.png"
    path.write_bytes(content)
    session = new_session(handlers.registry)
    with pytest.raises(gr.Error, match=message) as info:
        handlers.on_image(str(path), session, **CONTROLS)
    assert info.value.title == "Could not read this image"
    assert handlers.on_image(str(COFFEE), session, **CONTROLS)[page.state].current is not None


def test_error_titles_follow_the_language(shared: tuple[Handlers, Session]) -> None:
    handlers, analysed = shared
    with pytest.raises(gr.Error) as info:
        handlers.on_settings(analysed, **{**CONTROLS, "top_k": 0, "lang": "zh"})
    assert info.value.title == "无效的设置"


def _same_value(a: object, b: object) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and np.array_equal(a, b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_value(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same_value(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_value(a[k], b[k]) for k in a)
    return a == b


def shown_on_page(shown: dict[Any, Any], answer: dict[Any, Any]) -> dict[Any, Any]:
    """`shown` (component -> its properties) after the page applies `answer`: an update sets
    the properties it names, a plain value the value alone; what the answer omits stays."""
    page_now = dict(shown)
    for component, value in answer.items():
        new = {k: v for k, v in value.items() if k != "__type__"} if is_update(value) else None
        page_now[component] = {**shown.get(component, {}), **(new or {"value": value})}
    return page_now


def test_answers_that_leave_panels_out_still_add_up_to_the_whole_view(
    handlers: Handlers, analysed: Session, page: Page
) -> None:
    """A page that applies every answer (leaving what an answer omits as it was, and a plain
    value leaving a component's other properties as they were) shows, after any sequence of
    flips, presets and repeats, exactly the full view of the final session."""
    shown = shown_on_page({}, handlers.view(analysed))
    session = analysed
    steps = [
        {"layer3.1": "skip-off"},
        {"layer3.1": "skip-off"},  # the same again: nothing re-run
        {"layer3.1": "skip-off", "layer1.0": "branch-off"},
        {},
        {},
        {"layer4.0": "branch-off"},
        {"layer4.0": "branch-off", "top_k": 3},
        {"layer2.1": "skip-off", "opacity": 0.8},
    ]
    for step in steps:
        controls = {**CONTROLS, **{k: v for k, v in step.items() if "." not in k}}
        modes = {k: v for k, v in step.items() if "." in k}
        answer = handlers.on_settings(session, **{**controls, "strip": {"modes": modes}})
        shown = shown_on_page(shown, answer)
        session = answer[page.state]
        full = shown_on_page({}, handlers.view(session))
        assert shown.keys() == full.keys()
        for component, value in full.items():
            if component is not page.state:
                assert _same_value(shown[component], value), (step, component.elem_id)


def test_a_flip_sends_only_what_it_changes_and_a_repeat_runs_nothing(
    handlers: Handlers, analysed: Session, page: Page, monkeypatch: pytest.MonkeyPatch
) -> None:
    strip = {"modes": {"layer3.1": "skip-off"}}
    flipped = handlers.on_settings(analysed, **{**CONTROLS, "strip": strip})
    assert page.results.overlay in flipped and page.comparison.cam_switched in flipped
    assert page.results.predictions in flipped and page.results.method_note in flipped
    session = flipped[page.state]

    def no_run(*args: object) -> None:
        raise AssertionError("the same settings ran the network again")

    monkeypatch.setattr(handlers.engine, "run", no_run)
    again = handlers.on_settings(session, **{**CONTROLS, "strip": {**strip, "rev": 7}})
    pictures = {
        page.results.overlay,
        page.results.raw_cam,
        page.results.stages,
        page.faithfulness.chart,
        page.maps.activations,
        page.maps.channels,
        page.comparison.cam_intact,
        page.comparison.cam_switched,
        page.comparison.cam_diff,
    }
    # words and numbers: always; a visibility only where it changes (here it does not)
    assert set(again) == set(page.view()) - pictures - {page.results.zero_button}
    assert again[page.results.predictions] == flipped[page.results.predictions]
    assert again[page.state].current is session.current
    # the browser's revision is still answered
    assert again[page.switches.strip]["value"]["rev"] == 7


def test_a_new_image_with_the_same_settings_is_analysed_and_shown_whole(
    handlers: Handlers, analysed: Session, page: Page
) -> None:
    other = handlers.on_image(str(COFFEE), analysed, **NO_TARGET)
    left_out = set(page.view()) - set(other)
    assert left_out <= {page.results.zero_note, page.results.zero_button}  # as they were:
    assert not left_out or views.zero_map(other[page.state]) == views.zero_map(analysed)
    assert other[page.state].current is not analysed.current
    assert other[page.state].digest != analysed.digest


def test_an_unexpected_failure_is_generic(
    handlers: Handlers, analysed: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: object) -> None:
        raise RuntimeError("/secret/path/model.py line 3")

    monkeypatch.setattr(handlers.engine, "run", explode)
    with pytest.raises(gr.Error) as info:
        handlers.on_settings(analysed, **{**CONTROLS, "top_k": 3})  # new settings: a new run
    assert "secret" not in info.value.message and info.value.title == "Something went wrong"


# ---- model picker ---------------------------------------------------------------------------


def test_model_that_cannot_be_downloaded_keeps_the_working_one(
    handlers: Handlers, analysed: Session, page: Page, monkeypatch: pytest.MonkeyPatch
) -> None:
    def offline(name: str, allow_download: bool | None = None) -> LoadedModel:
        raise WeightsUnavailable("weights_downloads_off", model="resnet18", url="U", path="X")

    monkeypatch.setattr(handlers.registry, "load", offline)
    with pytest.warns(UserWarning, match="still using embedded"):
        outputs = handlers.on_model("resnet18", analysed, "en")
    assert set(outputs) == {page.header.picker, page.header.status}  # the view stays
    assert outputs[page.header.picker]["value"] == "embedded"
    status = outputs[page.header.status]
    assert status.startswith("⚠") and "copy it to X" in status


def test_model_from_the_hub_cache_replaces_the_view(
    handlers: Handlers,
    analysed: Session,
    page: Page,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    checkpoints = tmp_path / "hub" / "checkpoints"
    checkpoints.mkdir(parents=True)
    torch.manual_seed(3)
    torch.save(torchvision.models.resnet18().state_dict(), checkpoints / "resnet18-f37072fd.pth")
    labels = dict((v, k) for k, v in views.model_choices(handlers.registry, "en"))
    assert "on disk" in labels["resnet18:IMAGENET1K_V1"]
    # Each entry shows its published accuracy (torchvision's weights metadata).
    assert "69.758" in labels["resnet18:IMAGENET1K_V1"]
    assert "76.13" in labels["resnet50:IMAGENET1K_V1"]
    assert "80.858" in labels["resnet50:IMAGENET1K_V2"]

    outputs = handlers.on_model("resnet18", analysed, "en")
    picker, status = outputs[page.header.picker], outputs[page.header.status]
    gallery, session = outputs[page.inputs.gallery], outputs[page.state]
    targets = outputs[page.results.target]
    assert set(outputs) == set(page.model_parts()) | set(page.view())
    assert picker["value"] == "resnet18:IMAGENET1K_V1" and "hub-cache" in status
    assert "69.758" in status and "89.078" in status and "V1.5" not in status
    assert session.current.image.shape == (224, 224, 3)
    assert session.digest == analysed.digest and len(targets["choices"]) == 1001
    assert [caption for _, caption in gallery] == ["chelsea", "coffee", "astronaut", "rocket"]
    assert handlers.registry.status("resnet18") == "loaded"
    # An ImageNet model knows more than the shapes: no notice on the page, the card, the numbers.
    assert outputs[page.results.shapes_note]["visible"] is False
    assert handlers.shapes_notice(session, "en") == handlers.shapes_notice(session, "zh") == []
    numbers = handlers.on_export(session, "en")[page.export.download_json]["value"]
    assert "notice" not in json.loads(Path(numbers).read_text(encoding="utf-8"))


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("model", ["embedded", "resnet18"])
def test_example_captions_stay_apart_when_a_phone_cuts_them_short(model: str, lang: str) -> None:
    """A phone's gallery shows about three characters of a caption ("he…" for heart and
    hexagon): those stay different, and every shape's caption starts with its glyph."""
    captions = [caption for _, caption in gallery_value(model, lang)]
    assert captions and len({c[:3] for c in captions}) == len(captions)
    shapes = [c for c in captions if c[0] in MARKS.values()]
    assert len(shapes) == (len(captions) if model == "embedded" else 0)


# ---- building blocks ------------------------------------------------------------------------


def test_lru_cache_evicts_least_recently_used_and_never_stores_failures() -> None:
    cache: LRUCache[int] = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "b" is now the least recently used
    cache.put("c", 3)
    assert "b" not in cache and cache.get("a") == 1 and len(cache) == 2
    with pytest.raises(ZeroDivisionError):
        cache.get_or_compute("d", lambda: 1 // 0)
    assert "d" not in cache
    assert cache.get_or_compute("c", lambda: 99) == 3 and cache.hits == 1
    with pytest.raises(ValueError, match="max_entries"):
        LRUCache(0)


def test_lru_cache_is_safe_under_threads() -> None:
    cache: LRUCache[int] = LRUCache(16)
    errors: list[BaseException] = []

    def work(seed: int) -> None:
        rng = np.random.default_rng(seed)
        try:
            for _ in range(500):
                key = int(rng.integers(64))
                assert cache.get_or_compute(key, lambda k=key: k * 2) == key * 2
        except BaseException as exc:  # noqa: BLE001 - collected and re-raised below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and len(cache) == 16 and cache.hits + cache.misses == 4000


def test_image_digest_depends_on_pixels_and_shape_only() -> None:
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)
    other = image.copy()
    assert image_digest(image) == image_digest(other)
    other[5, 5, 1] ^= 1
    assert image_digest(image) != image_digest(other)
    assert image_digest(image) != image_digest(image.reshape(30, 20, 3))
    assert image_digest(np.asfortranarray(image)) == image_digest(image)


def test_untrusted_image_hands_over_the_file_unopened(tmp_path: Path) -> None:
    from gradio.utils import get_upload_folder

    component = UntrustedImage(type="filepath", image_mode=None, render=False)
    missing = Path(get_upload_folder()) / "0123abcd" / "never-opened.png"
    payload = component.data_model(path=str(missing))
    assert component.preprocess(payload) == str(missing)
    for outside in (tmp_path / "photo.png", "/etc/passwd", f"{missing.parent}/../../../etc/passwd"):
        with pytest.raises(gr.Error, match="names of files on the server are not accepted"):
            component.preprocess(component.data_model(path=str(outside)))
    url = (
        "data:image/png;base64,"
        + base64.b64encode(png_bytes(np.zeros((9, 9, 3), np.uint8))).decode()
    )
    assert component.preprocess(component.data_model(path="x", url=url)) == url
    assert component.preprocess(None) is None
    assert component.get_block_name() == "image"


def test_checked_slider_range_checks_numbers_and_passes_other_types_on() -> None:
    slider = CheckedSlider(1, 10, value=5, step=1, render=False)
    assert slider.preprocess(3) == 3 and slider.get_block_name() == "slider"
    with pytest.raises(gr.Error, match="greater than maximum value 10"):
        slider.preprocess(11)
    for value in ("five", None, [3], True):
        assert slider.preprocess(value) == value  # the handler answers with its own message


def test_read_image_accepts_paths_bytes_and_data_urls_and_shrinks_big_ones() -> None:
    image = np.zeros((40, 50, 3), np.uint8)
    image[10:30, 10:40] = (200, 30, 30)
    data = png_bytes(image)
    url = "data:image/png;base64," + base64.b64encode(data).decode()
    for source in (data, url):
        np.testing.assert_array_equal(read_image(source), image)
    assert read_image(str(CAT)).shape == (300, 451, 3)
    big = np.zeros((2000, 1500, 3), np.uint8)
    small = shrink(big, MAX_STORED_PIXELS)
    assert small.shape[0] * small.shape[1] <= MAX_STORED_PIXELS and small.shape[0] > small.shape[1]
    with pytest.raises(Exception, match="not an image file"):
        read_image(42)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, {}),
        ({"modes": {"layer2.0": "branch-off"}}, {"layer2.0": "branch-off"}),
        ('{"modes": {"layer1.1": "skip-off"}}', {"layer1.1": "skip-off"}),
        ({"layer4.1": "skip-off"}, {"layer4.1": "skip-off"}),
        ({"modes": {"layer3": "skip-off"}}, {"layer3.0": "skip-off", "layer3.1": "skip-off"}),
        ({"selected": "layer1.0", "rev": 3}, {}),
    ],
)
def test_modes_from_value_accepts_every_client_form(
    tiny: LoadedModel, value: object, expected: dict[str, str]
) -> None:
    modes = modes_from_value(value, tiny.module)
    assert list(modes) == block_names(tiny.module)
    assert {k: v for k, v in modes.items() if v != "intact"} == expected


def test_strip_value_describes_every_block(analysed: Session, tiny: LoadedModel) -> None:
    names = block_names(tiny.module)
    stats = analyze(tiny, analysed.image, switches={"layer2.0": "skip-off"}).blocks
    # `kinds` (what each shortcut does) replaced the set of projection blocks: a projection
    # without stride (ResNet-50's layer1.0) is no downsampling block.
    kinds = dict.fromkeys(("layer2.0", "layer3.0", "layer4.0"), "downsampling")
    value = strip_value(names, {"layer2.0": "skip-off"}, "layer2.0", rev=3)
    assert value == {"modes": {**dict.fromkeys(names, "intact"), "layer2.0": "skip-off"},
                     "selected": "layer2.0", "rev": 3}  # fmt: skip
    props = strip_props(names, stats, "en", kinds)
    rows = {r["name"]: r for r in props["rows"]}
    assert list(rows) == names
    assert rows["layer2.0"]["ratio"] == "skip off" and rows["layer2.0"]["bar"] == 0.0
    assert re.fullmatch(r"\d+\.\d\d", rows["layer2.1"]["ratio"])
    assert rows["layer1.0"]["shape"] == "16×32×32" and rows["layer2.0"]["projection"]
    assert not rows["layer1.0"]["projection"]
    assert rows["layer2.0"]["mark"] == "↓" and rows["layer1.0"]["mark"] == ""
    assert props["compact"] is False and set(props["labels"]) >= set(MODES)
    empty = strip_props(names, None, "zh")
    assert empty["rows"][0]["ratio"] == "–" and empty["labels"]["intact"] == "完整"
    assert selected_from_value({"selected": "layer3"}, names, "x") == "layer3.1"
    assert selected_from_value({"selected": "<img>"}, names, "layer1.0") == "layer1.0"


@pytest.mark.parametrize("preset", PRESETS)
def test_presets_switch_the_right_blocks(tiny: LoadedModel, preset: str) -> None:
    modes = preset_modes(tiny.module, preset, "layer3")
    assert list(modes) == block_names(tiny.module)
    off = {k for k, v in modes.items() if v != "intact"}
    expected = {
        "all-intact": set(),
        "all-skip-off": set(modes),
        "stage-skip-off": {"layer3.0", "layer3.1"},
        "stage-branch-off": {"layer3.0", "layer3.1"},
    }[preset]
    assert off == expected
    if preset == "stage-branch-off":
        assert modes["layer3.0"] == "branch-off"


@pytest.mark.parametrize(("preset", "stage"), [("all-off", None), ("stage-skip-off", "layer7")])
def test_unknown_presets_and_stages_are_refused(tiny: LoadedModel, preset: str, stage: str) -> None:
    with pytest.raises(SwitchError, match="unknown"):
        preset_modes(tiny.module, preset, stage)


def test_duplicate_class_names_are_numbered() -> None:
    model = tiny_model(categories=("crane", "kite", "crane", *CLASS_NAMES[3:]))
    names = views.class_names(model, "en")
    assert names[:3] == ["crane #0", "kite", "crane #2"] and len(set(names)) == len(names)
    choices = views.target_choices(model, "zh")
    assert choices[0] == ("自动：第一名类别", views.AUTO_TARGET) and len(choices) == 11


def test_the_page_reads_the_catalogue_in_both_languages() -> None:
    assert translations("zh")["rd_title"] == "ResNet 演示"
    assert t("banner_changed", "zh", before="a", after="b") == "第一名改变了：a → b"
    with pytest.raises(KeyError):
        t("no-such-key")


@pytest.mark.parametrize(
    ("tag", "lang"),
    [
        ("zh-CN", "zh"),
        ("ZH", "zh"),
        ("zh-Hant-TW", "zh"),
        ("en-GB", "en"),
        ("fr", "en"),
        (None, "en"),
        (7, "en"),
    ],
)
def test_normalize_lang(tag: object, lang: str) -> None:
    assert normalize_lang(tag) == lang


# ---- server settings --------------------------------------------------------------------------


def test_launch_defaults_are_safe_for_a_classroom() -> None:
    args = parse_args([])
    kwargs = launch_kwargs(args)
    assert args.model == "embedded" and args.lang is None
    assert kwargs["server_name"] == "127.0.0.1" and kwargs["share"] is False
    assert kwargs["show_error"] is False and kwargs["allowed_paths"] is None
    assert "api" not in kwargs["footer_links"]
    assert launch_kwargs(parse_args(["--share", "--host", "0.0.0.0"]))["share"] is True


def test_head_script_rewrites_the_busy_message_in_both_languages() -> None:
    head = head_html()
    assert json.dumps(BUSY_GRADIO) in head and "The class is busy" in head and "同学们" in head
    assert head.startswith("<script>") and "#lang input:checked" in head


# ---- Grad-CAM wording --------------------------------------------------------------------------

ANTHROPOMORPHIC = (
    "where it looked",
    "where the network looked",
    "where it looks",
    "关注图像的哪里",
)


def test_no_student_visible_text_says_where_the_network_looks() -> None:
    from resnet_demo.text import catalogue

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    docs = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "docs").glob("*.md"))
    for name, words in [
        ("en", "\n".join(catalogue("en").values())),
        ("zh", "\n".join(catalogue("zh").values())),
        ("README", readme),
        ("docs", docs),
    ]:
        for phrase in ANTHROPOMORPHIC:
            assert phrase not in words.lower(), (name, phrase)
    assert "which regions' features raised the class score" in t("subtitle", "en")
    assert "哪些区域的特征提高了该类别的分数" in t("subtitle", "zh")
    # the meaning is claimed for the last block only
    assert "last block" in t("subtitle", "en") and "最后一个块" in t("subtitle", "zh")


def _page_order(demo: gr.Blocks) -> list[str | None]:
    """The elem_ids of the page's components in the order the page shows them (its layout)."""
    config = demo.get_config_file()
    elem_ids = {c["id"]: c.get("props", {}).get("elem_id") for c in config["components"]}
    order: list[str | None] = []

    def walk(node: dict) -> None:
        order.append(elem_ids.get(node["id"]))
        for child in node.get("children", ()):
            walk(child)

    walk(config["layout"])
    return order


def test_grad_cam_caveat_sits_under_the_main_grad_cam_panel(tiny: LoadedModel) -> None:
    demo, page, _ = build_page(tiny)
    ids = _page_order(demo)
    caveat = next(b for b in demo.blocks.values() if getattr(b, "elem_id", None) == "cam-caveat")
    # Next on the page after the two Grad-CAM pictures, before the caption line.
    assert (
        ids.index("overlay") < ids.index("raw-cam") < ids.index("cam-caveat") < ids.index("caption")
    )
    assert any(b is caveat and props.get("value") == "cam_caveat" for b, props in page.words)
    for lang in ("en", "zh"):
        words = relabel(page.words, lang)[caveat]["value"]
        assert words == t("cam_caveat", lang)
        for needle in ("Selvaraju", "Adebayo", "4×4", "7×7", "layer4"):
            assert needle in words, (lang, needle)


# ---- attribution methods, the stage row, the zero-map warning ---------------------------------


@pytest.mark.parametrize("method", ["saliency", "gradcam-signed"])
def test_the_picked_method_flows_into_both_analyses_and_the_caption(
    handlers: Handlers, analysed: Session, tiny: LoadedModel, page: Page, method: str
) -> None:
    strip = {"modes": {"layer3.1": "skip-off"}}
    out = handlers.on_method(analysed, **{**CONTROLS, "method": method, "strip": strip})
    view = view_of(page, {k: v for k, v in out.items() if k is not page.results.layer})
    session = view["session"]
    assert session.settings.method == method
    assert session.intact.method == session.current.method == method
    target = session.intact.target
    oracle = analyze(tiny, session.image, {"layer3.1": "skip-off"}, target=target, method=method)
    np.testing.assert_array_equal(session.current.cam, oracle.cam)
    assert session.comparison is not None
    np.testing.assert_array_equal(
        session.comparison.cam_diff, session.comparison.cam_after - session.comparison.cam_before
    )
    assert t(f"method_choice_{method.replace('-', '_')}", "en") in view["caption"]
    # the layer picker is sent only when its state changes (from Grad-CAM's, where it is on)
    layer = out.get(page.results.layer, {"interactive": True})
    assert layer["interactive"] is (method != "saliency")
    assert ("layer4.1" in view["caption"]) is (method != "saliency")  # pixel methods: no layer
    assert view["cam_diff"].shape == (128, 128, 3)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_grad_cam_s_caption_says_what_the_map_means_at_its_layer(
    handlers: Handlers, analysed: Session, page: Page, lang: str
) -> None:
    """Grad-CAM's stated meaning (the regions whose features raised the score) only at the last
    block; at an earlier block the caption says what the map is and points to gradient ×
    activation; other methods get neither."""
    last = analysed.current.blocks[-1].name

    def caption(layer: str, method: str) -> str:
        out = handlers.on_method(
            analysed, **{**CONTROLS, "layer": layer, "method": method, "lang": lang}
        )
        return view_of(page, {k: v for k, v in out.items() if k is not page.results.layer})[
            "caption"
        ]

    early = t("cam_reading_early", lang, last=last)
    final = t("cam_reading_last", lang)
    for method in ("gradcam", "gradcam-signed"):
        at_end = caption("layer4", method)
        assert final in at_end and early not in at_end
    guided = caption("layer4", "guided-gradcam")  # a pixel product: its cells do not add up
    assert final not in guided and early not in guided
    for method in ("gradcam", "gradcam-signed", "guided-gradcam"):
        earlier = caption("layer2", method)
        assert "layer2." in earlier and early in earlier and final not in earlier
    for method in ("grad-x-act", "saliency"):
        other = caption("layer2", method)
        assert early not in other and final not in other


def test_a_signed_difference_is_drawn_on_a_symmetric_scale_of_two(
    handlers: Handlers, analysed: Session, page: Page
) -> None:
    from resnet_demo.render import colorize_diverging

    strip = {"modes": {"layer4.0": "branch-off"}}
    session = handlers.on_method(
        analysed, **{**CONTROLS, "method": "gradcam-signed", "strip": strip}
    )[page.state]
    assert session.current.signed and session.current.cam.min() < 0 < session.current.cam.max()
    diff = session.comparison.cam_diff
    assert np.abs(diff).max() <= 2.0 + 1e-6
    expected = colorize_diverging(diff, limit=views.DIFF_LIMIT_SIGNED)
    np.testing.assert_array_equal(views.cam_diff(session), expected)
    # 0 is the diverging map's middle colour (near-white) in the signed overlay at full opacity
    zero = views.overlays(session, 1.0)[0][session.current.cam == 0]
    assert zero.size == 0 or (zero.min() >= 240)


def test_an_unknown_method_is_a_clear_error(analysed: Session, handlers: Handlers) -> None:
    with pytest.raises(gr.Error, match="unknown attribution method 'magic'"):
        handlers.on_method(analysed, **{**CONTROLS, "method": "magic"})


def test_the_stage_row_shows_grad_cam_at_the_end_of_every_stage(
    shared: tuple[Handlers, Session], tiny: LoadedModel
) -> None:
    _, session = shared
    tiles = views.stage_row(session, 0.5)
    assert [caption.split(" · ")[0] for _, caption in tiles] == [
        "layer1.1",
        "layer2.1",
        "layer3.1",
        "layer4.1",
    ]
    grids = [caption.split(" · ")[1] for _, caption in tiles]
    assert grids == ["32×32", "16×16", "8×8", "4×4"]  # 128 px: strides 4, 8, 16, 32
    oracle = analyze(tiny, session.image, target=session.intact.target, cam_layer="layer2")
    name, cam, _ = session.current.stage_cams[1]
    assert name == "layer2.1"
    np.testing.assert_allclose(cam, oracle.cam, atol=1e-6)
    assert all(picture.shape == (128, 128, 3) for picture, _ in tiles)
    assert views.stage_row(Session(model_name="embedded"), 0.5) is None


def test_the_zero_map_warning_appears_only_for_a_zero_map(
    shared: tuple[Handlers, Session], page: Page
) -> None:
    from dataclasses import replace

    handlers, session = shared
    quiet = handlers.view(session)
    assert quiet[page.results.zero_note]["visible"] is False
    assert quiet[page.results.zero_button]["visible"] is False
    for lang in ("en", "zh"):
        zero = replace(session.current, cam_zero=True, cam_negative=True)
        settings = replace(session.settings, lang=lang)
        loud = handlers.view(replace(session, current=zero, settings=settings))
        assert loud[page.results.zero_note]["visible"] is True
        assert t("zero_map_gradcam", lang) in loud[page.results.zero_note]["value"]
        assert loud[page.results.zero_button]["visible"] is True
        # a signed map that is blank too: no claim of negative evidence, nothing to offer
        blank = handlers.view(
            replace(session, current=replace(zero, cam_negative=False), settings=settings)
        )
        assert t("zero_map_gradcam_blank", lang) in blank[page.results.zero_note]["value"]
        assert t("zero_map_gradcam", lang) not in blank[page.results.zero_note]["value"]
        assert blank[page.results.zero_button]["visible"] is False
        other = replace(zero, method="saliency")
        words = handlers.view(replace(session, current=other, settings=settings))
        assert t("zero_map_other", lang) in words[page.results.zero_note]["value"]
        assert words[page.results.zero_button]["visible"] is False


def test_all_skips_off_zeroes_the_star_s_grad_cam_and_the_button_shows_the_signed_map() -> None:
    """The warning's claim, measured on the shipped model: with every skip off, the star's
    Grad-CAM at layer4 is (almost) zero because the signed map is negative there, and the
    button switches the picker to the signed map, which shows that negative evidence."""
    from resnet_demo.models import load_model

    model = load_model()
    demo_page, page_handlers = build_page(model)[1:]
    session = page_handlers.on_image(
        str(EXAMPLES_DIR / "shapes_star.png"), new_session(page_handlers.registry), **CONTROLS
    )[demo_page.state]
    out = page_handlers.on_preset("all-skip-off", None, session, **CONTROLS)
    switched = out[demo_page.state]
    assert switched.current.cam_zero and switched.current.method == "gradcam"
    assert out[demo_page.results.zero_note]["visible"] is True
    assert out[demo_page.results.zero_button]["visible"] is True
    strip = out[demo_page.switches.strip]["value"]
    signed = page_handlers.on_signed(switched, **{**CONTROLS, "strip": strip})
    assert signed[demo_page.results.method] == "gradcam-signed"
    current = signed[demo_page.state].current
    assert current.method == "gradcam-signed" and current.signed
    assert current.cam.min() == -1.0  # the largest |value| is negative evidence
    assert current.cam.max() <= 0.02  # and the positive part is (almost) nothing
    assert signed[demo_page.results.zero_note]["visible"] is False
    assert signed[demo_page.state].comparison is not None  # the switches stayed on


def test_deletion_and_insertion_are_measured_on_request_for_the_shown_map(
    handlers: Handlers, analysed: Session, tiny: LoadedModel, page: Page
) -> None:
    from resnet_demo.analysis.faithfulness import STEPS, deletion_insertion

    assert handlers.view(analysed)[page.faithfulness.chart] is None  # never computed unasked
    strip = {"modes": {"layer2.1": "branch-off"}}
    session = handlers.on_method(analysed, **{**CONTROLS, "method": "saliency", "strip": strip})[
        page.state
    ]
    chart = picture(handlers.on_faithfulness(session, "en")[page.faithfulness.chart])
    assert chart is not None and chart.shape == (360, 640, 3) and chart.dtype == np.uint8
    current = session.current
    oracle = deletion_insertion(
        tiny, current.image, current.target, current.cam, switches={"layer2.1": "branch-off"}
    )
    assert len(oracle.fractions) == STEPS + 1 == 33  # the help's "32 steps", 2 × 33 = 66 images
    expected = views.faithfulness_chart(tiny, session, oracle, "en")
    np.testing.assert_array_equal(chart, expected)
    with pytest.raises(gr.Error, match="Add an image first"):
        handlers.on_faithfulness(new_session(handlers.registry), "en")
