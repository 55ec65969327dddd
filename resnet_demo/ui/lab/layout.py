"""The lab's layout: one small builder per tab, each wired beside its components.

`build_lab_tab` creates the components inside the caller's current Blocks/Tab context: a header
(notes language, presenter mode), then one tab per entry of `resnet_demo.lab.panels.PANELS`
(lesion sweep, lesion curves, "what training does to robustness", gradient flow, degradation
race, sanity checks) and "About ResNets". The lesion panels pick their model (default
`embedded-deep`, a 27-block net; or the main page's model, or any other); the sanity checks too
(default `embedded`). Each experiment tab is the same shell (controls, charts, summary and
downloads on the left, its teaching note on the right); the panel's builder fills the left
column and returns a NamedTuple of its components, and its `_wire_*` function, just below it,
connects them to `handlers.LabHandlers` (both named in `_PANEL_UI`). Static labels are marked
with `i18n.label(key)` for the app's `gr.I18n` table; what the handlers write follows the page's
language, sent with every request.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import gradio as gr
import numpy as np

import resnet_demo.ui.i18n as i18n
from resnet_demo.analysis import METHOD_NAMES
from resnet_demo.lab import notes
from resnet_demo.lab.cifar_nets import DEPTHS
from resnet_demo.lab.curves import DRAWS, MAX_DRAWS
from resnet_demo.lab.image_sets import SHAPES
from resnet_demo.lab.panels import ABOUT_TAB, PANELS, LabPanel
from resnet_demo.lab.race import RaceConfig
from resnet_demo.lab.sanity import DEFAULT_METHODS
from resnet_demo.models import EMBEDDED, EMBEDDED_DEEP, LoadedModel, load_model, model_names
from resnet_demo.text import normalize_lang
from resnet_demo.ui.assets import static_text
from resnet_demo.ui.lab.components import (
    CurvesPanel,
    FlowPanel,
    Header,
    LabView,
    RacePanel,
    RobustPanel,
    SanityPanel,
    SweepPanel,
)
from resnet_demo.ui.lab.handlers import (
    SHAPE_IMAGE,
    LabHandlers,
    flow_choices,
    image_set_choices,
    model_choices,
    source_choices,
)

LAB = "lab"
"""Concurrency group of the lab's model experiments: one at a time in the whole app."""
RACE = "lab-race"
"""Concurrency group of the race: one race at a time in the whole app (it uses the CPU fully)."""
LAB_CSS = static_text("lab.css")
"""Styles of the lab (`static/lab.css`), part of the page's CSS (`server.page_css`)."""
PRESENTING_JS = "(on) => { document.body.classList.toggle('lab-presenting', !!on); return on; }"
"""Presenter mode's mark on the page, read by `lab.css`."""
ABOUT_NOTES = notes.ABOUT
"""The notes of the "About ResNets" tab, three to a row."""


class _Build(NamedTuple):
    """What every panel's builder reads besides the catalogue."""

    with_main_image: bool  # the lab sits in an app with a main image (and a page model)
    names: list[str]  # every model by name, for the model pickers


class _Page(NamedTuple):
    """What every panel's wiring reads besides its own components."""

    state: gr.components.Component
    lang: Any  # a component with a .change event: the app's language switch or the notes' Radio


# ---- small pieces -------------------------------------------------------------------------


def _chart(key: str) -> gr.Image:
    """An output picture of the lab, labelled `key` (for screen readers; no label shown)."""
    return gr.Image(
        label=i18n.label(key),
        interactive=False,
        show_label=False,
        format="png",
        elem_classes=["lab-chart"],
    )


def _summary() -> gr.Markdown:
    return gr.Markdown(elem_classes=["lab-summary"])


def _download_buttons() -> tuple[gr.DownloadButton, gr.DownloadButton]:
    """The card (PNG) and numbers (JSON) downloads, hidden until there is something to get."""
    # Gradio 6.31 hints the label as str; the I18nData that gr.I18n makes is what it expects.
    return (
        gr.DownloadButton(i18n.label("lab_card"), visible=False),  # type: ignore[arg-type]  # an I18n marker
        gr.DownloadButton(i18n.label("lab_numbers"), visible=False),  # type: ignore[arg-type]  # an I18n marker
    )


def _set_controls() -> tuple[gr.Slider, gr.Slider, gr.Number]:
    """How many fresh shapes, random draws per k, and the seed of both (the curve panels)."""
    return (
        gr.Slider(16, 256, value=64, step=16, label=i18n.label("lab_shapes")),
        gr.Slider(1, MAX_DRAWS, value=DRAWS, step=1, label=i18n.label("lab_draws")),
        gr.Number(value=0, precision=0, label=i18n.label("lab_seed")),
    )


def _note(key: str) -> gr.Markdown:
    return gr.Markdown(notes.note_markdown(key, "en"), elem_classes=["lab-note"])


@contextlib.contextmanager
def _experiment_tab(
    panel: LabPanel, tabs: dict[str, gr.Tab], boxes: dict[str, gr.Markdown]
) -> Iterator[None]:
    """The shell of `panel`'s tab: the caller fills the wide left column; the panel's note sits
    on the right. Records the tab under its name's key and the note under its key."""
    with gr.Tab(i18n.label(panel.tab)) as tab, gr.Row():
        tabs[panel.tab] = tab
        with gr.Column(scale=3):
            yield
        with gr.Column(scale=2, elem_classes=["lab-note-column"]):
            boxes[panel.note] = _note(panel.note)


# ---- header -------------------------------------------------------------------------------


def _header() -> Header:
    with gr.Row(equal_height=True):
        gr.Markdown(i18n.label("lab_heading"))
        notes_lang = gr.Radio(
            i18n.language_choices(), value="en", label=i18n.label("lab_notes_lang")
        )
        presenter = gr.Checkbox(value=False, label=i18n.label("lab_presenter"))
    return Header(notes_lang, presenter)


def _wire_header(view: LabView, handlers: LabHandlers, page: _Page, follow_page: bool) -> None:
    header = view.header
    gr.on(
        [header.notes_lang.change, header.presenter.change],
        handlers.notes,
        inputs_kwargs={"lang": header.notes_lang, "presenter": header.presenter},
        outputs=list(view.notes.values()),
        api_visibility="private",
    )
    # Presenter mode also fits each chart to the screen beside its note (lab.css).
    header.presenter.change(
        None, header.presenter, None, js=PRESENTING_JS, api_visibility="private"
    )
    page.lang.change(
        handlers.relabel,
        inputs_kwargs={"lang": page.lang},
        outputs=[
            *view.tabs.values(),
            view.sweep.source,
            view.sanity.source,
            view.sweep.model,
            view.sanity.model,
            view.curves.model,
            view.curves.image_set,
            view.gradient_flow.steps,
        ],
        api_visibility="private",
    )
    if follow_page:  # the notes follow the page; the switch can still override them
        page.lang.change(normalize_lang, page.lang, header.notes_lang, api_visibility="private")


# ---- lesion sweep -------------------------------------------------------------------------


def _model_picker(
    names: list[str], with_page_model: bool, value: str = EMBEDDED_DEEP
) -> gr.Dropdown:
    """Which model a panel runs on: `value` (the lesion panels: `embedded-deep`) unless the
    class picks another."""
    return gr.Dropdown(
        model_choices(names, with_page_model, "en"),
        value=value,
        label=i18n.label("lab_model"),
        scale=2,
    )


def _sweep_panel(build: _Build) -> SweepPanel:
    with gr.Row():
        model = _model_picker(build.names, build.with_main_image)
        source = gr.Radio(
            source_choices(build.with_main_image, "en"),
            value=SHAPE_IMAGE,  # works on the first click; the main image is one click away
            label=i18n.label("lab_image"),
        )
        seed = gr.Number(value=0, precision=0, label=i18n.label("lab_shape_number"))
        run = gr.Button(i18n.label("lab_run_sweep"), variant="primary")
    chart, summary = _chart("lab_tab_sweep"), _summary()
    with gr.Row():
        card, numbers = _download_buttons()
    return SweepPanel(model, source, seed, run, chart, summary, card, numbers)


def _run_on_click(
    button: gr.Button,
    handler: Callable[..., Any],
    api_name: str,
    outputs: list[gr.components.Component],
    **inputs: gr.blocks.Block,
) -> None:
    """Run one experiment per click: controls in by name, the panel's pictures, summary and
    downloads out; one run of the lab's experiments at a time (concurrency group `LAB`)."""
    run = button.click(
        handler,
        inputs_kwargs=inputs,
        outputs=outputs,
        api_name=api_name,
        concurrency_id=LAB,
        concurrency_limit=1,
    )
    _clears_errors(run)


def _clears_errors(event: Any) -> None:
    """After `event` succeeds, close the error toasts of earlier failed runs."""
    event.success(None, js=static_text("clear_errors.js"), queue=False, api_visibility="private")


def _wire_sweep(panel: SweepPanel, handlers: LabHandlers, page: _Page) -> None:
    outputs = [panel.chart, panel.summary, panel.card, panel.numbers]
    _run_on_click(
        panel.run,
        handlers.sweep,
        "lab_sweep",
        outputs,
        model_name=panel.model,
        source=panel.source,
        seed=panel.seed,
        state=page.state,
        lang=page.lang,
    )


# ---- lesion curves ------------------------------------------------------------------------


def _curves_panel(build: _Build) -> CurvesPanel:
    with gr.Row():
        model = _model_picker(build.names, build.with_main_image)
        image_set = gr.Radio(
            image_set_choices("en"), value=SHAPES, label=i18n.label("lab_image_set")
        )
        n_images, draws, seed = _set_controls()
        run = gr.Button(i18n.label("lab_run_curves"), variant="primary")
    chart, summary = _chart("lab_tab_curves"), _summary()
    with gr.Row():
        card, numbers = _download_buttons()
    return CurvesPanel(model, image_set, n_images, draws, seed, run, chart, summary, card, numbers)


def _wire_curves(panel: CurvesPanel, handlers: LabHandlers, page: _Page) -> None:
    outputs = [panel.chart, panel.summary, panel.card, panel.numbers]
    _run_on_click(
        panel.run,
        handlers.curves,
        "lab_curves",
        outputs,
        model_name=panel.model,
        image_set=panel.image_set,
        n_images=panel.n_images,
        draws=panel.draws,
        seed=panel.seed,
        state=page.state,
        lang=page.lang,
    )


# ---- what training does to robustness --------------------------------------------------


def _robust_panel(build: _Build) -> RobustPanel:
    with gr.Row():
        n_images, draws, seed = _set_controls()
        run = gr.Button(i18n.label("lab_run_robust"), variant="primary")
    chart, summary = _chart("lab_tab_robust"), _summary()
    with gr.Row():
        card, numbers = _download_buttons()
    return RobustPanel(n_images, draws, seed, run, chart, summary, card, numbers)


def _wire_robust(panel: RobustPanel, handlers: LabHandlers, page: _Page) -> None:
    outputs = [panel.chart, panel.summary, panel.card, panel.numbers]
    _run_on_click(
        panel.run,
        handlers.robustness,
        "lab_robustness",
        outputs,
        n_images=panel.n_images,
        draws=panel.draws,
        seed=panel.seed,
        lang=page.lang,
    )


# ---- gradient flow ------------------------------------------------------------------------


def _flow_panel(build: _Build) -> FlowPanel:
    with gr.Row():
        depths = gr.CheckboxGroup(list(DEPTHS), value=[8, 20, 56], label=i18n.label("lab_depths"))
        steps = gr.Radio(flow_choices("en"), value=0, label=i18n.label("lab_networks"))
        run = gr.Button(i18n.label("lab_measure"), variant="primary")
    similarity, norms = _chart("lab_shattered"), _chart("lab_norms")
    summary = _summary()
    with gr.Row():
        card, numbers = _download_buttons()
    return FlowPanel(depths, steps, run, similarity, norms, summary, card, numbers)


def _wire_flow(panel: FlowPanel, handlers: LabHandlers, page: _Page) -> None:
    outputs = [panel.similarity, panel.norms, panel.summary, panel.card, panel.numbers]
    _run_on_click(
        panel.run,
        handlers.gradient_flow,
        "lab_gradient_flow",
        outputs,
        depths=panel.depths,
        steps=panel.steps,
        lang=page.lang,
    )


# ---- degradation race ---------------------------------------------------------------------


def _race_panel(build: _Build) -> RacePanel:
    with gr.Row():
        default = RaceConfig().time_budget_s  # 150 s: a classroom run (docs/race.md)
        budget = gr.Slider(20, 300, value=default, step=10, label=i18n.label("lab_seconds"))
        start = gr.Button(i18n.label("lab_start_race"), variant="primary")
        stop = gr.Button(i18n.label("lab_stop"), variant="secondary", elem_id="race-stop")
    chart, status, last = _chart("lab_loss"), _summary(), gr.State(None)
    with gr.Row():
        export = gr.Button(i18n.label("lab_export_card"))
        card, numbers = _download_buttons()
    return RacePanel(budget, start, stop, chart, status, last, export, card, numbers)


RACING_JS = "(...args) => { document.body.classList.toggle('lab-racing', %s); return args; }"
"""Marks the page while a race runs: `lab.css` shows Stop as active (red) only then."""


def _wire_race(panel: RacePanel, handlers: LabHandlers, page: _Page) -> None:
    running = panel.start.click(
        handlers.race,
        inputs_kwargs={"budget": panel.budget, "lang": page.lang},
        outputs=[panel.chart, panel.status, panel.last],
        api_name="lab_race",
        concurrency_id=RACE,
        concurrency_limit=1,
        show_progress="minimal",
        js=RACING_JS % "true",  # runs in the browser first, passing the inputs on
    )
    # Stop looks active (red) only while a race runs.
    _clears_errors(running)
    running.then(None, js=RACING_JS % "false", api_visibility="private")
    panel.stop.click(None, js=RACING_JS % "false", api_visibility="private")
    panel.stop.click(
        handlers.race_stopped,
        inputs_kwargs={"snapshot": panel.last, "lang": page.lang},
        outputs=[panel.chart, panel.status],
        cancels=[running],
        api_visibility="private",
    )
    panel.export.click(
        handlers.race_export,
        inputs_kwargs={"snapshot": panel.last, "lang": page.lang},
        outputs=[panel.card, panel.numbers],
        api_name="lab_race_export",
    )


# ---- sanity checks -----------------------------------------------------------------------


def _sanity_panel(build: _Build) -> SanityPanel:
    with gr.Row():
        model = _model_picker(build.names, build.with_main_image, EMBEDDED)
        source = gr.Radio(
            source_choices(build.with_main_image, "en"),
            value=SHAPE_IMAGE,  # works on the first click; the main image is one click away
            label=i18n.label("lab_image"),
        )
        seed = gr.Number(value=0, precision=0, label=i18n.label("lab_shape_number"))
    with gr.Row():
        methods = gr.CheckboxGroup(
            list(METHOD_NAMES), value=list(DEFAULT_METHODS), label=i18n.label("lab_methods")
        )
        run = gr.Button(i18n.label("lab_run_sanity"), variant="primary")
    grid, chart = _chart("lab_sanity_maps"), _chart("lab_sanity_similarity")
    summary = _summary()
    with gr.Row():
        card, numbers = _download_buttons()
    return SanityPanel(model, methods, source, seed, run, grid, chart, summary, card, numbers)


def _wire_sanity(panel: SanityPanel, handlers: LabHandlers, page: _Page) -> None:
    outputs = [panel.grid, panel.chart, panel.summary, panel.card, panel.numbers]
    _run_on_click(
        panel.run,
        handlers.sanity,
        "lab_sanity",
        outputs,
        model_name=panel.model,
        methods=panel.methods,
        source=panel.source,
        seed=panel.seed,
        state=page.state,
        lang=page.lang,
    )


# ---- about --------------------------------------------------------------------------------


def _about_tab(tabs: dict[str, gr.Tab], boxes: dict[str, gr.Markdown]) -> None:
    with gr.Tab(i18n.label(ABOUT_TAB)) as tab:
        tabs[ABOUT_TAB] = tab
        for start in range(0, len(ABOUT_NOTES), 3):
            with gr.Row():
                for key in ABOUT_NOTES[start : start + 3]:
                    with gr.Column():
                        boxes[key] = _note(key)


# ---- the whole lab ------------------------------------------------------------------------


class _PanelUI(NamedTuple):
    """A panel's part of the page: its builder fills the left column of its tab and returns its
    components (`view`); its wiring connects them to the panel's handler."""

    build: Callable[[_Build], Any]
    wire: Callable[[Any, LabHandlers, _Page], None]


_PANEL_UI: dict[str, _PanelUI] = {
    "sweep": _PanelUI(_sweep_panel, _wire_sweep),
    "curves": _PanelUI(_curves_panel, _wire_curves),
    "robustness": _PanelUI(_robust_panel, _wire_robust),
    "gradient_flow": _PanelUI(_flow_panel, _wire_flow),
    "race": _PanelUI(_race_panel, _wire_race),
    "sanity": _PanelUI(_sanity_panel, _wire_sanity),
}
"""Panel name (`lab.panels.PANELS`, which holds their order) -> its builder and wiring."""


def build_lab_tab(
    get_model: Callable[..., LoadedModel],
    get_image: Callable[..., np.ndarray | None] | None = None,
    *,
    state: gr.components.Component | None = None,
    language: gr.components.Component | None = None,
    load: Callable[[str], LoadedModel] | None = None,
) -> LabHandlers:
    """Create the lab's components and wiring inside the caller's current Blocks/Tab context.

    Args:
        get_model: returns the LoadedModel to experiment on (its lock is held while it runs);
            called with the value of `state` when `state` is given, else with no argument.
        get_image: returns the main tab's current RGB uint8 image (H, W, 3) or None; called
            like `get_model`. Default: None (the lesion sweep then offers generated shapes only).
        state: optional component (e.g. the app's session `gr.State`) whose value is passed to
            `get_model` and `get_image`, for apps whose model and image live in the session.
        language: optional component holding the page's language ("en" or "zh"), e.g. the
            app's language switch: the lab then writes in that language, and its notes follow
            it. Default: None (the lab's own notes-language switch sets the language).
        load: load(name) -> the LoadedModel called `name`, for the lesion panels' model picker
            (e.g. the app's shared `ModelRegistry.load`). Default: None (`models.load_model`,
            each model loaded once and kept).

    Returns:
        The handlers, bound to the lab's components (`handlers.view`).
    """
    tabs: dict[str, gr.Tab] = {}
    boxes: dict[str, gr.Markdown] = {}
    build = _Build(with_main_image=get_image is not None, names=model_names())
    header = _header()
    built: dict[str, Any] = {}
    with gr.Tabs():
        for panel in PANELS:
            with _experiment_tab(panel, tabs, boxes):
                built[panel.name] = _PANEL_UI[panel.name].build(build)
        _about_tab(tabs, boxes)
    view = LabView(header=header, tabs=tabs, notes=boxes, **built)
    page = _Page(
        state=state if state is not None else gr.State(None),
        lang=language if language is not None else header.notes_lang,
    )
    handlers = LabHandlers(
        view, *_with_state(state is not None, get_model, get_image), load=load or _loader()
    )
    _wire_header(view, handlers, page, follow_page=language is not None)
    for panel in PANELS:
        _PANEL_UI[panel.name].wire(getattr(view, panel.name), handlers, page)
    return handlers


def _loader() -> Callable[[str], LoadedModel]:
    """`models.load_model` with every model kept once loaded (a stand-alone lab's picker)."""
    loaded: dict[str, LoadedModel] = {}
    lock = threading.Lock()

    def load(name: str) -> LoadedModel:
        with lock:  # two clients picking the same model load it once
            if name not in loaded:
                loaded[name] = load_model(name)
            return loaded[name]

    return load


def _with_state(
    takes_state: bool,
    get_model: Callable[..., LoadedModel],
    get_image: Callable[..., np.ndarray | None] | None,
) -> tuple[Callable[[Any], LoadedModel], Callable[[Any], np.ndarray | None] | None]:
    """`get_model` and `get_image` as functions of the state value, whether or not they take it."""
    if takes_state:
        return get_model, get_image
    image_of = None if get_image is None else (lambda _state: get_image())
    return (lambda _state: get_model()), image_of
