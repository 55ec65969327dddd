"""The page: `build_demo` lays out the components and wires the handlers.

Reading order follows a lesson: a picture goes in (left), the prediction and Grad-CAM appear
(right) with the "top-1 changed" banner under them; below, the strip of residual blocks, which
is also the switch panel; then the comparison, the activations and the export.
"""

from __future__ import annotations

from functools import partial

import gradio as gr

from resnet_demo.analysis import Analysis
from resnet_demo.cache import LRUCache
from resnet_demo.models import LoadedModel, load_model
from resnet_demo.switches import STAGES, block_names
from resnet_demo.ui import views
from resnet_demo.ui.examples import gallery_value
from resnet_demo.ui.handlers import Handlers
from resnet_demo.ui.i18n import normalize_lang, t, tr
from resnet_demo.ui.inputs import CheckedSlider, UntrustedImage, UntrustedSketchpad
from resnet_demo.ui.lab import build_lab_tab
from resnet_demo.ui.registry import ModelRegistry
from resnet_demo.ui.session import MAX_TOP_K, Engine
from resnet_demo.ui.strip import BlockStrip

DELETE_CACHE = (600, 3600)
"""Every 10 minutes, delete uploads and outputs older than an hour from Gradio's cache."""

WORK = "analysis"
"""Concurrency group of every event that runs a network (limit set by `demo.queue`)."""

DETECT_LANG_JS = """
() => {
  const stored = window.localStorage.getItem('resnet-demo-lang');
  if (stored === 'en' || stored === 'zh') return stored;
  if (window.resnetDemoDefaultLang) return window.resnetDemoDefaultLang;
  const tag = (navigator.language || 'en').toLowerCase();
  return tag.startsWith('zh') ? 'zh' : 'en';
}
"""

APPLY_LANG_JS = """
async (lang, session) => {
  if (window.resnetDemoSetLocale) { await window.resnetDemoSetLocale(lang); }
  return [lang, session];
}
"""

REMEMBER_LANG_JS = """
(lang) => { window.localStorage.setItem('resnet-demo-lang', lang); return lang; }
"""


def build_demo(
    default_model: LoadedModel | None = None,
    lang: str = "en",
    *,
    registry: ModelRegistry | None = None,
    cache: LRUCache[Analysis] | None = None,
) -> gr.Blocks:
    """Build the app (not launched).

    Args:
        default_model: the model every session starts on. Default: the embedded model.
        lang: the language the page starts in before the browser's language is known.
        registry: the model registry to share (tests); built from `default_model` if None.
        cache: the intact-analysis cache to share (tests); a 48-entry LRU if None.

    Returns:
        The `gr.Blocks`; launch it with `server.launch_kwargs(...)` for the CSS, head script,
        translations and safety settings, after `server.configure_queue(demo)`.
    """
    if registry is None:
        registry = ModelRegistry(default_model if default_model is not None else load_model())
    handlers = Handlers(Engine(registry, cache))
    lang = normalize_lang(lang)
    session0 = handlers.new_session(lang)
    model = registry.default

    with gr.Blocks(
        title="ResNet Demo",
        analytics_enabled=False,
        fill_width=True,
        delete_cache=DELETE_CACHE,
    ) as demo:
        session = gr.State(session0, time_to_live=3 * 3600)

        # ---- header -------------------------------------------------------------------
        with gr.Row(equal_height=True, elem_id="header"):
            with gr.Column(scale=5, min_width=420):
                gr.Markdown(t("title"), elem_id="title")
                gr.Markdown(t("subtitle"), elem_id="subtitle")
            with gr.Column(scale=4, min_width=300):
                picker = gr.Dropdown(
                    choices=handlers.model_choices(lang),
                    value=session0.model_name,
                    label=t("model"),
                    elem_id="model",
                    filterable=False,
                )
                status = gr.Markdown(handlers.status_text(session0, lang), elem_id="model-status")
            language = gr.Radio(
                [("English", "en"), ("简体中文", "zh")],
                value=lang,
                label=t("language"),
                elem_id="lang",
                scale=2,
                min_width=200,
            )

        # ---- input | predictions ----------------------------------------------------------
        with gr.Row(equal_height=False):
            with gr.Column(scale=4, min_width=300):
                with gr.Tabs():
                    with gr.Tab(t("tab_photo"), id="photo") as tab_photo:
                        image = UntrustedImage(
                            type="filepath",
                            image_mode=None,
                            sources=["upload", "webcam", "clipboard"],
                            label=t("image"),
                            format="png",
                            height=240,
                            elem_id="image",
                        )
                    with gr.Tab(t("tab_draw"), id="draw") as tab_draw:
                        sketch = UntrustedSketchpad(
                            type="filepath",
                            image_mode=None,
                            sources=(),
                            brush=gr.Brush(
                                colors=["#1d4ed8", "#dc2626", "#16a34a", "#111827"],
                                default_size=14,
                                color_mode="fixed",
                            ),
                            layers=False,
                            transforms=(),
                            canvas_size=(320, 320),
                            label=t("sketch"),
                            height=300,
                            elem_id="sketch",
                        )
                        classify = gr.Button(t("classify_drawing"), variant="primary", size="sm")
                gallery = gr.Gallery(
                    gallery_value(session0.model_name, lang),
                    label=t("examples"),
                    columns=5,
                    height=220,
                    allow_preview=False,
                    object_fit="cover",
                    elem_id="examples",
                )
            with gr.Column(scale=8, min_width=600):
                with gr.Row(equal_height=True):
                    predictions = gr.Label(
                        num_top_classes=MAX_TOP_K,
                        label=t("predictions"),
                        show_heading=False,
                        elem_id="predictions",
                        scale=4,
                        min_width=240,
                    )
                    cam = gr.Image(
                        label=t("overlay"),
                        interactive=False,
                        format="png",
                        height=240,
                        elem_id="overlay",
                        scale=3,
                        min_width=200,
                        buttons=["download", "fullscreen"],
                    )
                    raw_cam = gr.Image(
                        label=t("raw_cam"),
                        interactive=False,
                        format="png",
                        height=240,
                        elem_id="raw-cam",
                        scale=3,
                        min_width=200,
                        buttons=["fullscreen"],
                    )
                caption = gr.Markdown(tr("ready", lang), elem_id="caption")
                banner = gr.HTML(views.banner_html(session0, [], lang), elem_id="banner")
                with gr.Row(equal_height=True, elem_id="controls"):
                    target = gr.Dropdown(
                        views.target_choices(model, lang),
                        value=views.AUTO_TARGET,
                        label=t("target"),
                        info=t("target_info"),
                        filterable=True,
                        elem_id="target",
                        scale=3,
                    )
                    layer = gr.Dropdown(
                        views.layer_choices(model, lang),
                        value=session0.settings.cam_layer,
                        label=t("cam_layer"),
                        elem_id="cam-layer",
                        scale=2,
                    )
                    with gr.Column(scale=3, min_width=200):
                        opacity = CheckedSlider(
                            0.0, 1.0, value=0.5, step=0.05, label=t("opacity"), elem_id="opacity"
                        )
                        top_k = CheckedSlider(
                            1, MAX_TOP_K, value=5, step=1, label=t("top_k"), elem_id="top-k"
                        )

        # ---- residual blocks / switches ------------------------------------------------------
        with gr.Group(elem_id="blocks"):
            gr.Markdown(t("blocks_heading"), elem_classes=["section-heading"])
            gr.Markdown(t("blocks_help"), elem_classes=["help"])
            with gr.Row(equal_height=True, elem_id="presets"):
                all_intact = gr.Button(t("preset_intact"), size="sm", elem_id="preset-intact")
                all_no_skip = gr.Button(
                    t("preset_no_skip"), size="sm", variant="stop", elem_id="preset-no-skip"
                )
                stage = gr.Dropdown(
                    list(STAGES),
                    value="layer3",
                    label=t("stage"),
                    show_label=False,
                    container=False,
                    elem_id="preset-stage",
                    min_width=110,
                )
                stage_no_skip = gr.Button(
                    t("preset_stage_no_skip"), size="sm", elem_id="preset-stage-no-skip"
                )
                stage_no_residual = gr.Button(
                    t("preset_stage_no_residual"), size="sm", elem_id="preset-stage-no-residual"
                )
            strip = BlockStrip(
                views.render_view(model, session0)[views.VIEW_FIELDS.index("strip")],
                elem_id="strip",
                padding=True,
            )

        # ---- comparison ------------------------------------------------------------------
        with gr.Group(elem_id="compare"):
            gr.Markdown(t("compare_heading"), elem_classes=["section-heading"])
            with gr.Row(equal_height=False):
                table = gr.Dataframe(
                    views.table_value(session0, [], lang),
                    label=t("compare_table"),
                    interactive=False,
                    wrap=True,
                    elem_id="compare-table",
                    scale=6,
                    min_width=420,
                    column_widths=["32%", "17%", "19%", "14%", "18%"],
                    buttons=[],
                    max_height=360,
                )
                with gr.Column(scale=7), gr.Row(equal_height=True):
                    cam_intact = gr.Image(
                        label=t("cam_intact"), interactive=False, format="png", height=230,
                        elem_id="cam-intact", buttons=["fullscreen"],
                    )  # fmt: skip
                    cam_switched = gr.Image(
                        label=t("cam_switched"), interactive=False, format="png", height=230,
                        elem_id="cam-switched", buttons=["fullscreen"],
                    )  # fmt: skip
                    cam_diff = gr.Image(
                        label=t("cam_diff"), interactive=False, format="png", height=230,
                        elem_id="cam-diff", buttons=["fullscreen"],
                    )  # fmt: skip

        # ---- activations -----------------------------------------------------------------
        with gr.Group(elem_id="inside"):
            gr.Markdown(t("activations_heading"), elem_classes=["section-heading"])
            with gr.Row(equal_height=False):
                activations = gr.Image(
                    label=t("activations"), interactive=False, format="png", scale=3
                )
                with gr.Column(scale=2, min_width=280):
                    inspect = gr.Dropdown(
                        block_names(model.module),
                        value=session0.settings.inspect,
                        label=t("inspect_block"),
                        elem_id="inspect",
                    )
                    channels = gr.Image(label=t("channels"), interactive=False, format="png")

        # ---- export ----------------------------------------------------------------------
        with gr.Row(elem_id="export"):
            export = gr.Button(t("export"), elem_id="export-button", scale=2)
            download_card = gr.DownloadButton(
                t("download_card"), visible=False, elem_id="download-card", scale=2
            )
            download_json = gr.DownloadButton(
                t("download_json"), visible=False, elem_id="download-json", scale=2
            )

        # ---- classroom lab ---------------------------------------------------------------
        with gr.Accordion(t("lab"), open=False, elem_id="lab"):
            build_lab_tab(
                get_model=handlers.engine.model,
                get_image=lambda s: s.image,
                state=session,
                language=language,
            )

        # ---- wiring ----------------------------------------------------------------------
        # Dropdowns use .select: in Gradio 6.31 one pick fires .input twice.
        outputs = {
            "predictions": predictions,
            "overlay": cam,
            "raw_cam": raw_cam,
            "caption": caption,
            "strip": strip,
            "banner": banner,
            "table": table,
            "cam_intact": cam_intact,
            "cam_switched": cam_switched,
            "cam_diff": cam_diff,
            "activations": activations,
            "channels": channels,
            "target": target,
            "download_card": download_card,
            "download_json": download_json,
        }
        view = [session, *(outputs[name] for name in views.VIEW_FIELDS)]
        model_parts = [picker, status, layer, inspect, gallery]
        controls = [target, layer, top_k, opacity, strip, language]
        no_target = [layer, top_k, opacity, strip, language]
        # Progress and Gradio's per-output "Error" badge only on the caption line: a failed
        # request leaves the last good view visible instead of covering it.
        work = {
            "concurrency_id": WORK,
            "trigger_mode": "always_last",
            "show_progress_on": caption,
        }

        image.change(
            handlers.on_image, [image, session, *controls], view, api_name="analyze", **work
        )
        gallery.select(
            handlers.on_example,
            [session, *no_target],
            [image, *view],
            api_visibility="private",
            **work,
        )
        classify.click(
            handlers.on_drawing,
            [sketch, session, *no_target],
            view,
            api_visibility="undocumented",
            **work,
        )
        strip.flip(handlers.on_settings, [session, *controls], view, api_name="switch", **work)
        for control in (target, layer):
            control.select(
                handlers.on_settings,
                [session, *controls],
                view,
                api_visibility="undocumented",
                **work,
            )
        top_k.release(handlers.on_settings, [session, *controls], view, api_name="settings", **work)
        predictions.select(
            handlers.on_label_select,
            [session, *no_target],
            view,
            api_visibility="undocumented",
            **work,
        )
        for button, preset in (
            (all_intact, "all-intact"),
            (all_no_skip, "all-no-skip"),
            (stage_no_skip, "stage-no-skip"),
            (stage_no_residual, "stage-no-residual"),
        ):
            button.click(
                partial(handlers.on_preset, preset),
                [stage, session, *controls],
                view,
                api_name=f"preset_{preset.replace('-', '_')}",
                **work,
            )
        opacity.release(
            handlers.on_opacity, [session, opacity], [cam, cam_intact, cam_switched],
            api_visibility="undocumented", trigger_mode="always_last",
        )  # fmt: skip
        inspect.select(
            handlers.on_inspect, [inspect, session, language], [session, inspect, strip, channels],
            api_visibility="undocumented",
        )  # fmt: skip
        strip.inspect(
            handlers.on_inspect, [strip, session, language], [session, inspect, strip, channels],
            api_visibility="undocumented",
        )  # fmt: skip
        picker.select(
            handlers.on_model,
            [picker, session, language],
            [*model_parts, *view],
            api_name="model",
            show_progress_on=status,
            concurrency_id="model",
            concurrency_limit=1,
        )
        export.click(
            handlers.on_export,
            [session, language],
            [download_card, download_json],
            api_name="export",
        )
        language.input(None, language, None, js=REMEMBER_LANG_JS, api_visibility="private")
        language.change(
            handlers.on_lang,
            [language, session],
            [*model_parts, *view],
            js=APPLY_LANG_JS,
            api_name="language",
        )
        # Gradio 6.31 does not re-translate an unselected tab's label when the locale changes.
        language.change(
            handlers.tab_labels, language, [tab_photo, tab_draw], api_visibility="private"
        )
        demo.load(None, None, language, js=DETECT_LANG_JS, api_visibility="private")
    return demo
