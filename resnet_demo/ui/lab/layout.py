"""The Classroom lab tab: lesion sweep, lesion curves, gradient flow, the degradation race.

`build_lab_tab` creates the components inside the caller's current Blocks/Tab context. Every
handler is a method of `LabHandlers` of a few lines: the experiments live in `resnet_demo.lab`,
the pictures in `resnet_demo.lab.charts` and `.cards`. Everything is in English and 简体中文:
static labels through the app's `gr.I18n` table, and what the handlers write (summaries, charts,
cards, errors) in the language the page sends with each request. The teaching notes beside each
panel follow the page's language and can be switched on their own; a presenter mode shows only
their essentials in large type.

Run `python -m resnet_demo.ui.lab_tab [--port P]` for the tab alone (for screenshots).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import logging
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np

from resnet_demo import lab, shapes
from resnet_demo.cache import LRUCache
from resnet_demo.imaging import ImageError, encode_png
from resnet_demo.lab import charts, notes
from resnet_demo.lab.cards import (
    gradient_flow_card_from,
    lesion_curves_card_from,
    lesion_sweep_card_from,
    race_card_from,
    shown_sweep,
    summarize_gradient_flow,
)
from resnet_demo.lab.cifar_nets import DEPTHS
from resnet_demo.lab.image_sets import EXAMPLES, SHAPES, load_image_set
from resnet_demo.lab.race import STOPPED, RaceConfig, RaceSnapshot, run_race
from resnet_demo.lab.text import image_set_name, say
from resnet_demo.models import LoadedModel, ModelNameError, WeightsError
from resnet_demo.switches import SwitchError
from resnet_demo.ui.i18n import I18N, normalize_lang, t, tr

LOG = logging.getLogger("resnet_demo.ui.lab")

MAIN_IMAGE = "main"
SHAPE_IMAGE = "shape"
EXPORT_DIR = Path(tempfile.gettempdir()) / "resnet-demo-lab-exports"
MAX_EXPORT_AGE_S = 3600.0
LAB = "lab"
"""Concurrency group of the lab's model experiments: one at a time in the whole app."""
RACE = "lab-race"
"""Concurrency group of the race: one race at a time in the whole app (it uses the CPU fully)."""

LAB_CSS = """
.lab-note { font-size: 15px; line-height: 1.5; }
.lab-note.lab-presenter p, .lab-note.lab-presenter li {
  font-size: 30px !important; line-height: 1.35 !important; }
.lab-note.lab-presenter h3 { font-size: 38px !important; }
.lab-summary p { font-size: 15px; }
"""
"""Styles of the lab (also injected by `build_lab_tab`, so the tab works on its own)."""

_USER_ERRORS = (ValueError, ImageError, WeightsError, ModelNameError, SwitchError)
_PROGRESS = gr.Progress()
"""Default of the handlers' `progress` argument: Gradio replaces it with the event's tracker."""


@contextlib.contextmanager
def user_errors(lang: str = "en") -> Iterator[None]:
    """Turn the user's mistakes into a short `gr.Error`; log anything else with a generic one."""
    try:
        yield
    except gr.Error:
        raise
    except _USER_ERRORS as exc:
        raise gr.Error(str(exc)[:400], print_exception=False) from None
    except Exception as exc:  # nothing reaches the page as a traceback
        LOG.exception("lab handler failed", exc_info=exc)
        raise gr.Error(say("err_failed", lang), print_exception=False) from None


def _clean_old_exports() -> None:
    cutoff = time.time() - MAX_EXPORT_AGE_S
    for path in EXPORT_DIR.iterdir():
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < cutoff:
                shutil.rmtree(path) if path.is_dir() else path.unlink()


def write_card(card: np.ndarray, numbers: dict[str, Any], stem: str) -> tuple[str, str]:
    """Write a card (PNG without metadata) and its numbers (JSON) to a fresh folder.

    Returns:
        (PNG path, JSON path).
    """
    EXPORT_DIR.mkdir(parents=True, exist_ok=True)
    _clean_old_exports()
    folder = Path(tempfile.mkdtemp(prefix=f"{stem}-", dir=EXPORT_DIR))
    png, data = folder / f"{stem}.png", folder / f"{stem}.json"
    png.write_bytes(encode_png(card))
    data.write_text(json.dumps(numbers, indent=2, ensure_ascii=False), encoding="utf-8")
    return str(png), str(data)


def _progress_callback(progress: Any, lang: str = "en") -> Callable[[float, str], None]:
    """Adapt a `gr.Progress` (or any callable(fraction, desc=...)) to the lab's callbacks.

    The lab describes its steps in English ("lesions of layer2.0"); in Chinese the bar says
    "计算中…" and its fraction shows the progress.
    """

    def report(fraction: float, text: str) -> None:
        progress(fraction, desc=text if lang == "en" else say("working", lang))

    return report


def _downloads(card: np.ndarray, numbers: dict[str, Any], stem: str) -> tuple[Any, Any]:
    png, data = write_card(card, numbers, stem)
    return gr.update(value=png, visible=True), gr.update(value=data, visible=True)


class LabHandlers:
    """The lab's event handlers, callable without a browser (tests call them directly).

    Args:
        get_model: returns the model to experiment on; called with the handler's `state`
            argument when `pass_state` is True, else with no argument.
        get_image: returns the main tab's current image (RGB uint8 (H, W, 3)) or None; same
            calling convention. None: only generated shapes are offered.
        pass_state: whether `get_model` and `get_image` take the state value. Default: False.
    """

    def __init__(
        self,
        get_model: Callable[..., LoadedModel],
        get_image: Callable[..., np.ndarray | None] | None = None,
        pass_state: bool = False,
    ) -> None:
        self.get_model = get_model
        self.get_image = get_image
        self.pass_state = pass_state
        self.studies: LRUCache[lab.GradientFlowStudy] = LRUCache(max_entries=8)

    def _call(self, fn: Callable[..., Any], state: Any) -> Any:
        return fn(state) if self.pass_state else fn()

    def _image(self, source: str, seed: Any, state: Any, lang: str) -> tuple[np.ndarray, str]:
        if source == MAIN_IMAGE:
            image = self._call(self.get_image, state) if self.get_image is not None else None
            if image is None:
                raise gr.Error(say("err_main_image", lang))
            return image, say("main_image", lang)
        n = _int(seed, "field_shape_number", 0, 999_999, lang)
        image = shapes.generate_sample(shapes.TEST_SEED_START + 5_000_000 + n).image
        return image, say("shape_image", lang, n=n)

    # Every handler takes the page's language last ("en" or "zh"; anything else is English),
    # after Gradio's progress tracker, so that older positional calls keep their meaning.

    # ---- lesion sweep ---------------------------------------------------------------------

    def sweep(
        self,
        source: str,
        seed: Any,
        state: Any = None,
        progress: Any = _PROGRESS,
        lang: Any = "en",
    ) -> tuple[Any, ...]:
        """Lesion sweep of one image -> (chart, summary, card download, JSON download)."""
        lang = normalize_lang(lang)
        with user_errors(lang):
            model = self._call(self.get_model, state)
            image, name = self._image(source, seed, state, lang)
            sweep = lab.lesion_sweep(model, image, _progress_callback(progress, lang))
            card, numbers = lesion_sweep_card_from(
                sweep, model.categories, name, lang, model.categories_zh
            )
            shown = shown_sweep(sweep, model.categories_zh, lang)
            return (
                charts.sweep_chart(shown, lang=lang),
                _sweep_summary(shown, lang),
                *_downloads(card, numbers, "lesion-sweep"),
            )

    # ---- lesion curves --------------------------------------------------------------------

    def curves(
        self,
        image_set: str,
        n_images: Any,
        draws: Any,
        seed: Any,
        state: Any = None,
        progress: Any = _PROGRESS,
        lang: Any = "en",
    ) -> tuple[Any, ...]:
        """Lesion curves over an image set -> (chart, summary, card, JSON)."""
        lang = normalize_lang(lang)
        with user_errors(lang):
            model = self._call(self.get_model, state)
            seed = _int(seed, "field_seed", 0, 9999, lang)
            images = load_image_set(image_set, _int(n_images, "field_images", 8, 256, lang), seed)
            curves = lab.lesion_curves(
                model,
                images.images,
                images.labels,
                draws=_int(draws, "field_draws", 1, 10, lang),
                seed=seed,
                image_set=images.description,
                progress=_progress_callback(progress, lang),
            )
            card, numbers = lesion_curves_card_from(curves, lang)
            return (
                charts.curves_chart(curves, lang=lang),
                _curves_summary(curves, lang),
                *_downloads(card, numbers, "lesion-curves"),
            )

    # ---- gradient flow --------------------------------------------------------------------

    def gradient_flow(
        self, depths: Any, steps: Any, progress: Any = _PROGRESS, lang: Any = "en"
    ) -> tuple[Any, ...]:
        """Gradient flow study -> (similarity chart, norm chart, summary, card, JSON)."""
        lang = normalize_lang(lang)
        with user_errors(lang):
            if not isinstance(depths, list | tuple) or not depths:
                raise gr.Error(say("err_depths", lang))
            chosen = tuple(sorted({_int(d, "field_depth", 8, 56, lang) for d in depths}))
            trained = _int(steps, "field_steps", 0, 100, lang)
            key = (chosen, trained)
            study = self.studies.get(key)
            if study is None:
                study = lab.gradient_flow_study(
                    chosen, trained, progress=_progress_callback(progress, lang)
                )
                self.studies.put(key, study)
            card, numbers = gradient_flow_card_from(study, lang)
            summary = "\n".join(f"- {line}" for line in summarize_gradient_flow(study, lang))
            return (
                charts.correlation_chart(study, lang=lang),
                charts.gradient_norm_chart(study, lang=lang),
                summary,
                *_downloads(card, numbers, "gradient-flow"),
            )

    # ---- race -----------------------------------------------------------------------------

    def race(
        self, depth: Any, budget: Any, lang: Any = "en"
    ) -> Iterator[tuple[Any, str, RaceSnapshot | None]]:
        """Stream the race -> (chart, status line, last snapshot) after every few steps."""
        lang = normalize_lang(lang)
        with user_errors(lang):
            config = RaceConfig(
                depth=_int(depth, "field_depth", 8, 56, lang),
                time_budget_s=float(_int(budget, "field_budget", 10, 300, lang)),
                max_steps=2000,
            ).check()
        snapshots = run_race(config)
        while True:
            with user_errors(lang):
                snapshot = next(snapshots, None)
                if snapshot is None:
                    return
                chart = charts.race_chart(snapshot, lang=lang)
            yield chart, _race_status(snapshot, lang), snapshot

    @staticmethod
    def race_stopped(snapshot: RaceSnapshot | None, lang: Any = "en") -> tuple[Any, str]:
        """After Stop: the last snapshot, marked stopped -> (chart, status line)."""
        lang = normalize_lang(lang)
        if not isinstance(snapshot, RaceSnapshot):
            return gr.skip(), say("race_stopped", lang)
        if not snapshot.done:
            snapshot = dataclasses.replace(snapshot, status=STOPPED)
        return charts.race_chart(snapshot, lang=lang), _race_status(snapshot, lang)

    def race_export(self, snapshot: RaceSnapshot | None, lang: Any = "en") -> tuple[Any, Any]:
        """Card and numbers of the last race snapshot -> (card, JSON) downloads."""
        lang = normalize_lang(lang)
        with user_errors(lang):
            if not isinstance(snapshot, RaceSnapshot) or snapshot.step == 0:
                raise gr.Error(say("err_race_first", lang))
            card, numbers = race_card_from(snapshot, lang)
            return _downloads(card, numbers, "degradation-race")

    # ---- notes ----------------------------------------------------------------------------

    @staticmethod
    def notes(lang: Any, presenter: Any) -> list[Any]:
        """Every note in `lang`, full or presenter-mode, as Markdown updates (NOTE_KEYS order)."""
        lang = lang if lang in notes.LANGS else "en"
        classes = ["lab-note", "lab-presenter"] if presenter else ["lab-note"]
        return [
            gr.Markdown(notes.note_markdown(key, lang, bool(presenter)), elem_classes=classes)
            for key in NOTE_KEYS
        ]


NOTE_KEYS: tuple[str, ...] = (
    "lesion_sweep",
    "lesion_curves",
    "gradient_flow",
    "race",
    "block",
    "gradcam",
    "misconceptions",
)
"""Notes shown in the tab, in the order `LabHandlers.notes` returns them."""


def _int(value: Any, field: str, lo: int, hi: int, lang: str = "en") -> int:
    """`value` as an int in [lo, hi], or a gr.Error naming the field (a `text` key)."""
    name = say(field, lang)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise gr.Error(say("err_number", lang, name=name)) from None
    if not number.is_integer() or not lo <= number <= hi:
        raise gr.Error(say("err_range", lang, name=name, lo=lo, hi=hi))
    return int(number)


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def _sweep_summary(sweep: lab.LesionSweep, lang: str = "en") -> str:
    return say(
        "sweep_summary",
        lang,
        label=sweep.original_label,
        prob=sweep.original_prob * 100,
        branch=int(sweep.branch_changed.sum()),
        skip=int(sweep.skip_changed.sum()),
        n=len(sweep.block_names),
        down=charts.DOWN,
        changed=charts.CHANGED,
    )


def _curves_summary(curves: lab.LesionCurves, lang: str = "en") -> str:
    k = min(2, len(curves.ks) - 1)
    return say(
        "curves_summary",
        lang,
        metric=_capitalized(say(curves.metric, lang)),
        images=image_set_name(curves.image_set, lang),
        intact=curves.intact_score,
        k=k,
        branch=curves.branch_mean[k],
        skip=curves.skip_mean[k],
        chance=curves.chance,
    )


def _race_status(snapshot: RaceSnapshot, lang: str = "en") -> str:
    plain, residual = snapshot.recent_mean()
    budget = snapshot.config.time_budget_s
    if budget is not None and not snapshot.done:
        filled = min(20, round(20 * snapshot.elapsed_s / budget))
        bar = f"`{'█' * filled}{'░' * (20 - filled)}` " + say(
            "race_seconds", lang, elapsed=snapshot.elapsed_s, budget=budget
        )
    else:
        status = _capitalized(say(snapshot.status, lang))
        bar = say("race_after", lang, status=status, seconds=snapshot.elapsed_s)
    if snapshot.step == 0:
        return bar + say("race_starting", lang)
    return bar + say("race_step", lang, step=snapshot.step, plain=plain, residual=residual)


def _chart(key: str) -> gr.Image:
    """An output picture of the lab, labelled `key` (for screen readers; no label shown)."""
    return gr.Image(label=t(key), interactive=False, show_label=False, format="png")


def _note(key: str) -> gr.Markdown:
    return gr.Markdown(notes.note_markdown(key, "en"), elem_classes=["lab-note"])


def build_lab_tab(
    get_model: Callable[..., LoadedModel],
    get_image: Callable[..., np.ndarray | None] | None = None,
    *,
    state: gr.components.Component | None = None,
    language: gr.components.Component | None = None,
) -> LabHandlers:
    """Create the lab's components and wiring inside the caller's current Blocks/Tab context.

    Args:
        get_model: returns the LoadedModel to experiment on (its lock is held while it runs).
        get_image: returns the main tab's current RGB uint8 image (H, W, 3) or None. Default:
            None (the lesion sweep then offers generated shapes only).
        state: optional component (e.g. the app's session `gr.State`) whose value is passed to
            `get_model` and `get_image`, for apps whose model and image live in the session.
        language: optional component holding the page's language ("en" or "zh"), e.g. the
            app's language switch: the lab then writes in that language, and its notes follow
            it. Default: None (the lab's own notes-language switch sets the language).

    Returns:
        The handlers (for tests and for the app to reuse).
    """
    handlers = LabHandlers(get_model, get_image, pass_state=state is not None)
    state_input = state if state is not None else gr.State(None)
    gr.HTML(f"<style>{LAB_CSS}</style>", visible=True, padding=False)
    with gr.Row(equal_height=True):
        gr.Markdown(t("lab_heading"))
        note_lang = gr.Radio(
            [("English", "en"), ("简体中文", "zh")], value="en", label=t("lab_notes_lang")
        )
        presenter = gr.Checkbox(value=False, label=t("lab_presenter"))
    lang_input = language if language is not None else note_lang
    note_boxes: dict[str, gr.Markdown] = {}
    tabs: list[gr.Tab] = []

    def card_buttons() -> tuple[gr.DownloadButton, gr.DownloadButton]:
        with gr.Row():
            return (
                gr.DownloadButton(t("lab_card"), visible=False),
                gr.DownloadButton(t("lab_numbers"), visible=False),
            )

    with gr.Tabs():
        with gr.Tab(t("lab_tab_sweep")) as tab, gr.Row():
            tabs.append(tab)
            with gr.Column(scale=3):
                with gr.Row():
                    sweep_source = gr.Radio(
                        source_choices(get_image is not None, "en"),
                        value=MAIN_IMAGE if get_image is not None else SHAPE_IMAGE,
                        label=t("lab_image"),
                    )
                    sweep_seed = gr.Number(value=0, precision=0, label=t("lab_shape_number"))
                    sweep_run = gr.Button(t("lab_run_sweep"), variant="primary")
                sweep_chart = _chart("lab_tab_sweep")
                sweep_text = gr.Markdown(elem_classes=["lab-summary"])
                sweep_card, sweep_json = card_buttons()
            with gr.Column(scale=2):
                note_boxes["lesion_sweep"] = _note("lesion_sweep")

        with gr.Tab(t("lab_tab_curves")) as tab, gr.Row():
            tabs.append(tab)
            with gr.Column(scale=3):
                with gr.Row():
                    curve_set = gr.Radio(
                        image_set_choices("en"), value=SHAPES, label=t("lab_image_set")
                    )
                    curve_n = gr.Slider(16, 256, value=64, step=16, label=t("lab_shapes"))
                    curve_draws = gr.Slider(1, 10, value=5, step=1, label=t("lab_draws"))
                    curve_seed = gr.Number(value=0, precision=0, label=t("lab_seed"))
                    curve_run = gr.Button(t("lab_run_curves"), variant="primary")
                curve_chart = _chart("lab_tab_curves")
                curve_text = gr.Markdown(elem_classes=["lab-summary"])
                curve_card, curve_json = card_buttons()
            with gr.Column(scale=2):
                note_boxes["lesion_curves"] = _note("lesion_curves")

        with gr.Tab(t("lab_tab_flow")) as tab, gr.Row():
            tabs.append(tab)
            with gr.Column(scale=3):
                with gr.Row():
                    flow_depths = gr.CheckboxGroup(
                        list(DEPTHS), value=[8, 20, 56], label=t("lab_depths")
                    )
                    flow_steps = gr.Radio(flow_choices("en"), value=0, label=t("lab_networks"))
                    flow_run = gr.Button(t("lab_measure"), variant="primary")
                flow_corr = _chart("lab_shattered")
                flow_norm = _chart("lab_norms")
                flow_text = gr.Markdown(elem_classes=["lab-summary"])
                flow_card, flow_json = card_buttons()
            with gr.Column(scale=2):
                note_boxes["gradient_flow"] = _note("gradient_flow")

        with gr.Tab(t("lab_tab_race")) as tab, gr.Row():
            tabs.append(tab)
            with gr.Column(scale=3):
                with gr.Row():
                    race_depth = gr.Radio(list(DEPTHS), value=20, label=t("lab_depth"))
                    race_budget = gr.Slider(15, 180, value=90, step=15, label=t("lab_seconds"))
                    race_start = gr.Button(t("lab_start_race"), variant="primary")
                    race_stop = gr.Button(t("lab_stop"), variant="stop")
                race_chart = _chart("lab_loss")
                race_text = gr.Markdown(elem_classes=["lab-summary"])
                race_last = gr.State(None)
                with gr.Row():
                    race_export = gr.Button(t("lab_export_card"))
                    race_card = gr.DownloadButton(t("lab_card"), visible=False)
                    race_json = gr.DownloadButton(t("lab_numbers"), visible=False)
            with gr.Column(scale=2):
                note_boxes["race"] = _note("race")

        with gr.Tab(t("lab_tab_about")) as tab, gr.Row():
            tabs.append(tab)
            for key in ("block", "gradcam", "misconceptions"):
                with gr.Column():
                    note_boxes[key] = _note(key)

    lab_work = {"concurrency_id": LAB, "concurrency_limit": 1}
    sweep_run.click(
        handlers.sweep,
        [sweep_source, sweep_seed, state_input, lang_input],
        [sweep_chart, sweep_text, sweep_card, sweep_json],
        api_name="lab_sweep",
        **lab_work,
    )
    curve_run.click(
        handlers.curves,
        [curve_set, curve_n, curve_draws, curve_seed, state_input, lang_input],
        [curve_chart, curve_text, curve_card, curve_json],
        api_name="lab_curves",
        **lab_work,
    )
    flow_run.click(
        handlers.gradient_flow,
        [flow_depths, flow_steps, lang_input],
        [flow_corr, flow_norm, flow_text, flow_card, flow_json],
        api_name="lab_gradient_flow",
        **lab_work,
    )
    race_event = race_start.click(
        handlers.race,
        [race_depth, race_budget, lang_input],
        [race_chart, race_text, race_last],
        api_name="lab_race",
        concurrency_id=RACE,
        concurrency_limit=1,
        show_progress="minimal",
    )
    race_stop.click(
        handlers.race_stopped,
        [race_last, lang_input],
        [race_chart, race_text],
        cancels=[race_event],
        api_name=False,
    )
    race_export.click(
        handlers.race_export,
        [race_last, lang_input],
        [race_card, race_json],
        api_name="lab_race_export",
    )
    boxes = [note_boxes[key] for key in NOTE_KEYS]
    for control in (note_lang, presenter):
        control.change(handlers.notes, [note_lang, presenter], boxes, api_name=False)
    relabel = functools.partial(relabel_lab, get_image is not None)
    lang_input.change(
        relabel,
        lang_input,
        [*tabs, sweep_source, curve_set, flow_steps],
        api_visibility="private",
    )
    if language is not None:  # the notes follow the page; the switch can still override them
        language.change(normalize_lang, language, note_lang, api_visibility="private")
    return handlers


def source_choices(with_main_image: bool, lang: str) -> list[tuple[str, str]]:
    """Entries of the sweep's image switch: the main tab's image (when there is one), a shape."""
    choices = [(tr("lab_src_shape", lang), SHAPE_IMAGE)]
    if with_main_image:
        choices.insert(0, (tr("lab_src_main", lang), MAIN_IMAGE))
    return choices


def image_set_choices(lang: str) -> list[tuple[str, str]]:
    """Entries of the lesion curves' image-set switch."""
    return [(tr("lab_set_shapes", lang), SHAPES), (tr("lab_set_examples", lang), EXAMPLES)]


def flow_choices(lang: str) -> list[tuple[str, int]]:
    """Entries of the gradient-flow switch: at initialisation, or after 30 training steps."""
    return [(tr("lab_at_init", lang), 0), (tr("lab_after_30", lang), 30)]


TAB_KEYS: tuple[str, ...] = (
    "lab_tab_sweep",
    "lab_tab_curves",
    "lab_tab_flow",
    "lab_tab_race",
    "lab_tab_about",
)


def relabel_lab(with_main_image: bool, lang: Any) -> tuple[Any, ...]:
    """Tab names and switch entries in `lang` (Gradio translates neither by itself)."""
    lang = normalize_lang(lang)
    return (
        *(gr.update(label=tr(key, lang)) for key in TAB_KEYS),
        gr.update(choices=source_choices(with_main_image, lang)),
        gr.update(choices=image_set_choices(lang)),
        gr.update(choices=flow_choices(lang)),
    )


def _standalone(port: int) -> None:
    """Serve the lab tab alone on 127.0.0.1:`port`, with the embedded model (or a random
    ResNet-18 when the embedded weights are missing) and a generated shape as "main image"."""
    from resnet_demo.models import load_model

    try:
        model = load_model("embedded")
    except (FileNotFoundError, WeightsError):
        model = load_model("resnet18", weights="random")
    image = shapes.generate_sample(shapes.TEST_SEED_START).image
    with gr.Blocks(title="ResNet Demo — lab", analytics_enabled=False) as demo, gr.Tab("Lab"):
        build_lab_tab(lambda: model, lambda: image)
    demo.queue(max_size=16, api_open=False).launch(
        server_name="127.0.0.1", server_port=port, show_error=False, i18n=I18N
    )


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=_standalone.__doc__)
    parser.add_argument("--port", type=int, default=7870)
    _standalone(parser.parse_args().port)
