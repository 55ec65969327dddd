"""The page: one small builder per section, each with its event wiring beside it.

Reading order follows a lesson: a picture goes in (left), the prediction and Grad-CAM appear
(right) with the "top-1 changed" banner under them; below, the strip of residual blocks, which
is also the switch panel; then the comparison, the activations and the export; the classroom lab
last. Each builder returns a NamedTuple of its components (`ui.components`); `build_page` collects
them in a `Page`, then builds the `Handlers` on it, which write into it by component
(`{page.results.banner: ...}`), never by position.
"""

from __future__ import annotations

from functools import partial
from typing import Any, NamedTuple

import gradio as gr

import resnet_demo.ui.views as views
from resnet_demo import text
from resnet_demo.analysis import Analysis
from resnet_demo.cache import LRUCache
from resnet_demo.models import LoadedModel, load_model
from resnet_demo.render.colormaps import PALETTES
from resnet_demo.switches import STAGES, block_names
from resnet_demo.ui.assets import static_text
from resnet_demo.ui.batch import build_batch_tab
from resnet_demo.ui.components import (
    BlockMaps,
    Comparison,
    Export,
    Faithfulness,
    Header,
    Inputs,
    Page,
    Results,
    Switches,
)
from resnet_demo.ui.examples import gallery_value
from resnet_demo.ui.handlers import Handlers
from resnet_demo.ui.i18n import label, language_choices, normalize_lang, words_of
from resnet_demo.ui.inputs import CheckedSlider, UntrustedImage, UntrustedSketchpad
from resnet_demo.ui.lab import build_lab_tab
from resnet_demo.ui.live import build_live_tab
from resnet_demo.ui.pictures import OutputGallery, OutputImage
from resnet_demo.ui.registry import ModelRegistry
from resnet_demo.ui.session import MAX_TOP_K, Engine, Session, new_session
from resnet_demo.ui.strip import BlockStrip

DELETE_CACHE = (600, 3600)
"""Every 10 minutes, delete uploads and outputs older than an hour from Gradio's cache."""

WORK = "analysis"
"""Concurrency group of every event that runs a network (limit set by `demo.queue`)."""

LANG_KEY = "resnet-demo-lang"
"""Where the browser keeps the reader's language choice (`gr.BrowserState`), across reloads."""

PRESETS = ("all-intact", "all-skip-off", "stage-skip-off", "stage-branch-off")
"""The preset buttons, in page order (see `ui.presets`)."""


PHOTO_FORMAT = "jpeg"
"""How the overlays (a heat map blended over the photo) travel: JPEG encodes much faster than
PNG (docs/performance.md, "Where a flip's time goes"), and a blend over a photo shows no JPEG
edges. Maps drawn cell by cell (the raw map, the difference, the activation grids) stay PNG,
whose edges stay sharp."""


def _picture(
    key: str, elem_id: str, height: int | None, image_format: str = "png", **kwargs: Any
) -> gr.Image:
    """An output picture (not editable) labelled with the catalogue's `key`."""
    return OutputImage(
        label=label(key),
        interactive=False,
        format=image_format,
        height=height,
        elem_id=elem_id,
        **kwargs,
    )


def _work(page: Page) -> dict[str, Any]:
    """Event settings of every analysis: one queue group, the newest request wins, and progress
    (and Gradio's per-output "Error" badge) only on the caption line, so a failed request
    leaves the last good view visible instead of covering it."""
    return {
        "concurrency_id": WORK,
        "trigger_mode": "always_last",
        "show_progress_on": page.results.caption,
    }


def _clears_errors(event: Any) -> None:
    """After `event` succeeds, close the error toasts of earlier failed runs."""
    event.success(None, js=static_text("clear_errors.js"), queue=False, api_visibility="private")


# ---- header ------------------------------------------------------------------------------


def _header(registry: ModelRegistry, session: Session, lang: str) -> Header:
    with gr.Row(equal_height=True, elem_id="header"):
        with gr.Column(scale=5, min_width=420):
            gr.Markdown(label("title"), elem_id="title")
            gr.Markdown(label("subtitle"), elem_id="subtitle")
        with gr.Column(scale=4, min_width=300):
            picker = gr.Dropdown(
                choices=views.model_choices(registry, lang),
                value=session.model_name,
                label=label("model"),
                info=label("model_info"),
                elem_id="model",
                filterable=False,
            )
            status = gr.Markdown(
                views.status_text(registry.require(session.model_name), lang),
                elem_id="model-status",
            )
        language = gr.Radio(
            language_choices(),
            value=lang,
            label=label("language"),
            elem_id="lang",
            scale=2,
            min_width=200,
        )
        reset = gr.Button(
            label("new_group"), size="sm", elem_id="new-group", scale=1, min_width=120
        )
    # A fixed secret: the choice (a language code) is no secret, and it should outlive a restart.
    saved_lang = gr.BrowserState("", storage_key=LANG_KEY, secret=LANG_KEY)
    return Header(picker, status, language, saved_lang, reset)


def _wire_header(demo: gr.Blocks, page: Page, handlers: Handlers) -> None:
    h = page.header
    # Dropdowns use .select (see _wire_results).
    h.picker.select(
        handlers.on_model,
        inputs=[h.picker, page.state, h.language],
        outputs=[*page.model_parts(), *page.view()],
        api_name="model",
        show_progress_on=h.status,
        concurrency_id="model",
        concurrency_limit=1,
    )
    # .input, not .change: the load event below sets the switch without re-wording twice.
    h.language.input(
        handlers.on_lang, [h.language, page.state], page.everything(), api_name="language"
    )
    h.language.change(
        None, h.language, None, js=static_text("html_lang.js"), api_visibility="private"
    )
    # A new group starts from the page's first state: a fresh session (no image, every block
    # intact, default settings) and an empty lab; only the language choice, kept in the
    # browser, stays.
    h.reset.click(None, js=static_text("new_group.js"), api_visibility="private")
    demo.load(
        handlers.on_load,
        [h.saved_lang, page.state],
        [h.language, *page.everything()],
        api_visibility="private",
    )


# ---- input | predictions ---------------------------------------------------------------------


def _inputs(session: Session, lang: str) -> Inputs:
    with gr.Tabs():
        with gr.Tab(label("tab_photo"), id="photo"):
            image = UntrustedImage(
                type="filepath",
                image_mode=None,
                sources=["upload", "webcam", "clipboard"],
                label=label("image"),
                format="png",
                height=240,
                elem_id="image",
            )
        with gr.Tab(label("tab_draw"), id="draw"):
            sketch = UntrustedSketchpad(
                type="filepath",
                image_mode=None,  # type: ignore[arg-type]  # None keeps the file's mode; the hint omits it
                sources=(),
                brush=gr.Brush(
                    colors=["#1d4ed8", "#dc2626", "#16a34a", "#111827"],
                    default_size=14,
                    color_mode="fixed",
                ),
                layers=False,
                transforms=(),
                canvas_size=(320, 320),
                label=label("sketch"),
                height=300,
                elem_id="sketch",
            )
            classify = gr.Button(label("classify_drawing"), variant="primary", size="sm")
    gallery = gr.Gallery(
        gallery_value(session.model_name, lang),
        label=label("examples"),
        columns=5,
        height=220,
        allow_preview=False,
        object_fit="cover",
        elem_id="examples",
    )
    return Inputs(image, sketch, classify, gallery)


def _wire_inputs(page: Page, handlers: Handlers) -> None:
    i, controls, view = page.inputs, page.controls(), page.view()
    no_target = {k: v for k, v in controls.items() if k != "target"}
    _clears_errors(
        i.image.change(
            handlers.on_image,
            inputs=[i.image, page.state],
            inputs_kwargs=controls,
            outputs=view,
            api_name="analyze",
            **_work(page),
        )
    )
    _clears_errors(
        i.gallery.select(
            handlers.on_example,
            inputs=[page.state],
            inputs_kwargs=no_target,
            outputs=[i.image, *view],
            api_visibility="private",
            **_work(page),
        )
    )
    _clears_errors(
        i.classify.click(
            handlers.on_drawing,
            inputs=[i.sketch, page.state],
            inputs_kwargs=no_target,
            outputs=view,
            api_visibility="undocumented",
            **_work(page),
        )
    )


def _prediction_row() -> tuple[gr.Label, gr.Image, gr.Image]:
    """The predictions beside the Grad-CAM overlay and its raw map."""
    with gr.Row(equal_height=True):
        predictions = gr.Label(
            num_top_classes=MAX_TOP_K,
            label=label("predictions"),
            show_heading=False,
            elem_id="predictions",
            scale=4,
            min_width=240,
        )
        overlay = _picture(
            "overlay",
            "overlay",
            240,
            PHOTO_FORMAT,
            scale=3,
            min_width=200,
            buttons=["download", "fullscreen"],
        )
        raw_cam = _picture(
            "raw_cam", "raw-cam", 240, scale=3, min_width=200, buttons=["fullscreen"]
        )
    return predictions, overlay, raw_cam


def _settings_rows(
    model: LoadedModel, session: Session, lang: str
) -> tuple[gr.Dropdown, gr.Dropdown, gr.Dropdown, CheckedSlider, CheckedSlider, gr.Dropdown]:
    """(target, method, layer, opacity, top_k, palette): what is explained and how it is drawn."""
    with gr.Row(equal_height=True, elem_id="controls"):
        target = gr.Dropdown(
            views.target_choices(model, lang),
            value=views.AUTO_TARGET,
            label=label("target"),
            info=label("target_info"),
            filterable=True,
            elem_id="target",
            scale=3,
        )
        method = gr.Dropdown(
            views.method_choices(lang),
            value=session.settings.method,
            label=label("method"),
            elem_id="method",
            filterable=False,
            scale=3,
        )
        layer = gr.Dropdown(
            views.layer_choices(model, lang),
            value=session.settings.cam_layer,
            label=label("cam_layer"),
            elem_id="cam-layer",
            scale=2,
        )
    with gr.Row(equal_height=True, elem_id="sliders"):
        opacity = CheckedSlider(
            0.0, 1.0, value=0.5, step=0.05, label=label("opacity"), elem_id="opacity"
        )
        top_k = CheckedSlider(1, MAX_TOP_K, value=5, step=1, label=label("top_k"), elem_id="top-k")
        palette = gr.Dropdown(
            choices=[(label(f"palette_{name}"), name) for name in PALETTES],
            value=session.settings.palette,
            label=label("palette"),
            info=label("palette_info"),
            elem_id="palette",
            min_width=160,
        )
    return target, method, layer, opacity, top_k, palette


def _results(model: LoadedModel, session: Session, lang: str) -> Results:
    predictions, overlay, raw_cam = _prediction_row()
    # Directly under the predictions, for a model that knows only the shapes (filled in by
    # `Handlers.model_parts`): which ten, and how to get a model for photos.
    shapes_note = gr.Markdown("", visible=False, elem_id="shapes-note")
    # Directly under the Grad-CAM pictures: what the map is, and what it is not.
    gr.Markdown(label("cam_caveat"), elem_id="cam-caveat", elem_classes=["help"])
    caption = gr.Markdown(text.t("ready", lang), elem_id="caption")
    with gr.Row(equal_height=True, elem_id="zero-map"):
        zero_note = gr.Markdown("", visible=False, elem_id="zero-note")
        zero_button = gr.Button(
            label("zero_map_button"), size="sm", visible=False, elem_id="zero-signed", scale=0
        )
    banner = gr.HTML(views.banner_html(session, [], lang), elem_id="banner")
    target, method, layer, opacity, top_k, palette = _settings_rows(model, session, lang)
    method_note = gr.Markdown(
        views.method_note(model, session.settings.method, lang),
        elem_id="method-note",
        elem_classes=["help"],
    )
    stages = _stage_row()
    return Results(
        predictions, overlay, raw_cam, caption, zero_note, zero_button, banner,
        target, method, layer, opacity, top_k, method_note, stages, palette, shapes_note,
    )  # fmt: skip


def _stage_row() -> gr.Gallery:
    """Grad-CAM at the end of every stage, under the main map, with what changes with depth."""
    with gr.Column(elem_id="stage-row"):
        stages = OutputGallery(
            label=label("stage_row"),
            columns=4,
            rows=1,
            height=230,
            object_fit="contain",
            allow_preview=True,
            interactive=False,
            format=PHOTO_FORMAT,
            elem_id="stages",
        )
        gr.Markdown(label("stage_row_help"), elem_id="stage-row-help", elem_classes=["help"])
    return stages


def _wire_results(page: Page, handlers: Handlers) -> None:
    r, controls = page.results, page.controls()
    no_target = {k: v for k, v in controls.items() if k != "target"}
    # Dropdowns use .select: in Gradio 6.31 one pick fires .input twice.
    _clears_errors(
        gr.on(
            triggers=[r.top_k.release, r.target.select, r.layer.select],
            fn=handlers.on_settings,
            inputs=[page.state],
            inputs_kwargs=controls,
            outputs=page.view(),
            api_name="settings",
            **_work(page),
        )
    )
    _clears_errors(
        r.predictions.select(
            handlers.on_label_select,
            inputs=[page.state],
            inputs_kwargs=no_target,
            outputs=page.view(),
            api_visibility="undocumented",
            **_work(page),
        )
    )
    _clears_errors(
        r.method.select(
            handlers.on_method,
            inputs=[page.state],
            inputs_kwargs=controls,
            outputs=[*page.view(), r.layer],
            api_name="method",
            **_work(page),
        )
    )
    _clears_errors(
        r.zero_button.click(
            handlers.on_signed,
            inputs=[page.state],
            inputs_kwargs=controls,
            outputs=[*page.view(), r.method, r.layer],
            api_name="signed_map",
            **_work(page),
        )
    )
    r.palette.select(
        handlers.on_palette,
        inputs=[page.state, r.palette, r.opacity],
        outputs=[
            page.state, r.overlay, r.raw_cam, page.comparison.cam_intact,
            page.comparison.cam_switched, r.stages,
        ],
        api_name="palette",
        trigger_mode="always_last",
    )  # fmt: skip
    r.opacity.release(
        handlers.on_opacity,
        inputs=[page.state, r.opacity],
        outputs=[r.overlay, page.comparison.cam_intact, page.comparison.cam_switched, r.stages],
        api_visibility="undocumented",
        trigger_mode="always_last",
    )


def _faithfulness() -> Faithfulness:
    """Deletion and insertion of the current map, on demand (66 images through the network)."""
    with gr.Accordion(label("faithful_heading"), open=False, elem_id="faithfulness"):
        gr.Markdown(label("faithful_help"), elem_classes=["help"])
        button = gr.Button(label("faithful_button"), size="sm", elem_id="faithful-button")
        chart = _picture(
            "faithful_chart", "faithful-chart", 340, buttons=["download"], show_label=False
        )
    return Faithfulness(button, chart)


def _wire_faithfulness(page: Page, handlers: Handlers) -> None:
    f = page.faithfulness
    f.button.click(
        handlers.on_faithfulness,
        inputs=[page.state, page.header.language],
        outputs=[f.chart],
        api_name="faithfulness",
        concurrency_id=WORK,
        show_progress_on=f.chart,
    )


# ---- residual blocks / switches ------------------------------------------------------------


def _switch_panel(model: LoadedModel, session: Session, lang: str) -> Switches:
    with gr.Group(elem_id="blocks"):
        gr.Markdown(label("blocks_heading"), elem_classes=["section-heading"])
        gr.Markdown(label("blocks_help"), elem_classes=["help"])
        # The answer stays beside the switches (sticky while the panel is on screen), so a
        # laptop's teacher sees it without scrolling back up to the banner.
        with gr.Column(elem_id="switch-bar"):
            result = gr.HTML(
                views.switch_result_html(session, [], lang), elem_id="switch-result", padding=False
            )
            presets = _presets()
        strip = BlockStrip(**views.strip(model, session), elem_id="strip", padding=True)
    return Switches(strip, result, presets.stage, presets.buttons)


class _Presets(NamedTuple):
    stage: gr.Dropdown
    buttons: dict[str, gr.Button]


def _presets() -> _Presets:
    """The preset buttons and the stage they apply to."""
    with gr.Row(equal_height=True, elem_id="presets"):
        intact = gr.Button(
            label("preset_intact"), size="sm", elem_id="preset-intact", elem_classes="preset-plain"
        )
        skip_off = gr.Button(  # red only while every skip is off (page.css)
            label("preset_skip_off"), size="sm", elem_id="preset-skip-off",
            elem_classes="preset-plain",
        )  # fmt: skip
        stage = gr.Dropdown(
            list(STAGES),
            value="layer3",
            label=label("stage"),
            show_label=False,
            container=False,
            elem_id="preset-stage",
            min_width=110,
        )
        stage_buttons = [
            gr.Button(label(f"preset_{key}"), size="sm", elem_id=f"preset-{key.replace('_', '-')}",
                      elem_classes="preset-plain")
            for key in ("stage_skip_off", "stage_branch_off")
        ]  # fmt: skip
    return _Presets(stage, dict(zip(PRESETS, [intact, skip_off, *stage_buttons], strict=True)))


def _wire_switch_panel(page: Page, handlers: Handlers) -> None:
    s, controls = page.switches, page.controls()
    # The strip's own events are plain methods of the custom `gr.HTML` (not `gr.on` triggers).
    _clears_errors(
        s.strip.flip(
            handlers.on_settings,
            inputs=[page.state],
            inputs_kwargs=controls,
            outputs=page.view(),
            api_name="switch",
            **_work(page),
        )
    )
    for preset, button in s.presets.items():
        _clears_errors(
            button.click(
                partial(handlers.on_preset, preset),
                inputs=[s.stage, page.state],
                inputs_kwargs=controls,
                outputs=page.view(),
                api_name=f"preset_{preset.replace('-', '_')}",
                **_work(page),
            )
        )
    s.strip.inspect(
        handlers.on_inspect,
        inputs=[s.strip, page.state, page.header.language],
        inputs_kwargs={"strip": s.strip},
        outputs=[page.state, page.maps.inspect, s.strip, page.maps.channels],
        api_visibility="undocumented",
    )


# ---- comparison, activations, export ---------------------------------------------------------


def _comparison(session: Session, lang: str) -> Comparison:
    with gr.Group(elem_id="compare"):
        gr.Markdown(label("compare_heading"), elem_classes=["section-heading"])
        with gr.Row(equal_height=False):
            table = gr.Dataframe(
                views.table_value(session, [], lang),
                label=label("compare_table"),
                interactive=False,
                wrap=True,
                elem_id="compare-table",
                scale=6,
                min_width=420,
                column_widths=["24%", "18%", "21%", "19%", "18%"],  # a phone's numbers fit unbroken
                buttons=[],
                max_height=360,
            )
            with gr.Column(scale=7), gr.Row(equal_height=True):
                pictures = [
                    _picture(key, key.replace("_", "-"), 230, kind, buttons=["fullscreen"])
                    for key, kind in (
                        ("cam_intact", PHOTO_FORMAT),
                        ("cam_switched", PHOTO_FORMAT),
                        ("cam_diff", "png"),
                    )
                ]
    return Comparison(table, *pictures)


def _block_maps(model: LoadedModel, session: Session) -> BlockMaps:
    with gr.Group(elem_id="inside"):
        gr.Markdown(label("activations_heading"), elem_classes=["section-heading"])
        with gr.Row(equal_height=False):
            activations = _picture("activations", "activations", None, scale=3)
            with gr.Column(scale=2, min_width=280):
                inspect = gr.Dropdown(
                    block_names(model.module),
                    value=session.settings.inspect,
                    label=label("inspect_block"),
                    elem_id="inspect",
                )
                channels = _picture("channels", "channels", None)
    return BlockMaps(activations, inspect, channels)


def _wire_block_maps(page: Page, handlers: Handlers) -> None:
    m = page.maps
    m.inspect.select(
        handlers.on_inspect,
        inputs=[m.inspect, page.state, page.header.language],
        inputs_kwargs={"strip": page.switches.strip},
        outputs=[page.state, m.inspect, page.switches.strip, m.channels],
        api_visibility="undocumented",
    )


def _export() -> Export:
    with gr.Row(elem_id="export"):
        button = gr.Button(label("export"), elem_id="export-button", scale=2)
        card = gr.DownloadButton(
            label("download_card"),  # type: ignore[arg-type]  # an I18n marker, as Gradio documents
            visible=False,
            elem_id="download-card",
            scale=2,
        )
        numbers = gr.DownloadButton(
            label("download_json"),  # type: ignore[arg-type]  # an I18n marker, as Gradio documents
            visible=False,
            elem_id="download-json",
            scale=2,
        )
    return Export(button, card, numbers)


def _wire_export(page: Page, handlers: Handlers) -> None:
    e = page.export
    e.button.click(
        handlers.on_export,
        inputs=[page.state, page.header.language],
        outputs=[e.download_card, e.download_json],
        api_name="export",
    )


# ---- the page ------------------------------------------------------------------------------


def _batch(engine: Engine, page: Page) -> None:
    """Many images at once through the session's model, intact and with the page's switches."""
    with gr.Accordion(label("batch"), open=False, elem_id="batch"):
        build_batch_tab(
            get_model=engine.model,
            get_switches=lambda s: s.settings.switched,
            state=page.state,
            language=page.header.language,
            concurrency_id=WORK,
        )


def _lab(engine: Engine, page: Page) -> None:
    with gr.Accordion(label("lab"), open=False, elem_id="lab"):
        build_lab_tab(
            get_model=engine.model,
            get_image=lambda s: s.image,
            state=page.state,
            language=page.header.language,
            load=engine.registry.load,
        )


def _live(engine: Engine, page: Page, any_model: bool) -> None:
    with gr.Accordion(label("live"), open=False, elem_id="live"):
        build_live_tab(
            engine.model,
            state=page.state,
            language=page.header.language,
            opacity=page.results.opacity,
            any_model=any_model,
        )


def _sections(engine: Engine, lang: str) -> Page:
    """Lay out every section (inside the caller's Blocks) and return their components."""
    session = new_session(engine.registry, lang)
    model = engine.registry.default
    state = gr.State(session, time_to_live=3 * 3600)
    header = _header(engine.registry, session, lang)
    with gr.Row(equal_height=False):
        with gr.Column(scale=4, min_width=300):
            inputs = _inputs(session, lang)
        with gr.Column(scale=8, min_width=600):
            results = _results(model, session, lang)
            faithfulness = _faithfulness()
    switches = _switch_panel(model, session, lang)
    comparison = _comparison(session, lang)
    maps = _block_maps(model, session)
    export = _export()
    return Page(state, header, inputs, results, switches, comparison, maps, export, faithfulness)


def build_page(
    default_model: LoadedModel | None = None,
    lang: str = "en",
    *,
    follow_browser: bool = True,
    registry: ModelRegistry | None = None,
    cache: LRUCache[Analysis] | None = None,
    live_any_model: bool = False,
) -> tuple[gr.Blocks, Page, Handlers]:
    """Build the app (not launched) and return its parts (see `build_demo` for the arguments).

    Returns:
        (demo, page, handlers): the `gr.Blocks`, its components, and the handlers wired to them.
    """
    if registry is None:
        registry = ModelRegistry(default_model if default_model is not None else load_model())
    lang = normalize_lang(lang)
    engine = Engine(registry, cache)
    with gr.Blocks(
        title="ResNet Demo", analytics_enabled=False, fill_width=True, delete_cache=DELETE_CACHE
    ) as demo:
        page = _sections(engine, lang)
        _live(engine, page, live_any_model)
        _batch(engine, page)
        _lab(engine, page)
        page.words = words_of(demo.blocks.values())
        handlers = Handlers(engine, page, default_lang=None if follow_browser else lang)
        _wire_header(demo, page, handlers)
        _wire_inputs(page, handlers)
        _wire_results(page, handlers)
        _wire_switch_panel(page, handlers)
        _wire_block_maps(page, handlers)
        _wire_export(page, handlers)
        _wire_faithfulness(page, handlers)
    return demo, page, handlers


def build_demo(
    default_model: LoadedModel | None = None,
    lang: str = "en",
    *,
    follow_browser: bool = True,
    registry: ModelRegistry | None = None,
    cache: LRUCache[Analysis] | None = None,
    live_any_model: bool = False,
) -> gr.Blocks:
    """Build the app (not launched).

    Args:
        default_model: the model every session starts on. Default: the embedded model.
        lang: the language the page starts in before the browser's language is known.
        follow_browser: each browser's language (or the reader's saved choice) wins over `lang`
            on load; False starts every browser in `lang` (`--lang`).
        registry: the model registry to share (tests); built from `default_model` if None.
        cache: the intact-analysis cache to share (tests); a 48-entry LRU if None.
        live_any_model: let the live webcam view run any model, not only the embedded ones
            (`--live-any-model`).

    Returns:
        The `gr.Blocks`; launch it with `server.launch_kwargs(...)` for the CSS, head script,
        translations and safety settings, after `server.configure_queue(demo)`.
    """
    demo, _, _ = build_page(
        default_model,
        lang,
        follow_browser=follow_browser,
        registry=registry,
        cache=cache,
        live_any_model=live_any_model,
    )
    return demo
