"""The Classroom lab tab: lesion sweep, lesion curves, gradient flow, the degradation race.

`build_lab_tab` creates the components inside the caller's current Blocks/Tab context. Every
handler is a method of `LabHandlers` of a few lines: the experiments live in `resnet_demo.lab`,
the pictures in `resnet_demo.lab.charts` and `.cards`. Labels are plain English; the teaching
notes beside each panel switch between English and 简体中文, and a presenter mode shows only
their essentials in large type.

Run `python -m resnet_demo.ui.lab_tab [--port P]` for the tab alone (for screenshots).
"""

from __future__ import annotations

import contextlib
import dataclasses
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
from resnet_demo.imaging import ImageError, encode_png
from resnet_demo.lab import charts, notes
from resnet_demo.lab.cards import (
    gradient_flow_card_from,
    lesion_curves_card_from,
    lesion_sweep_card_from,
    race_card_from,
    summarize_gradient_flow,
)
from resnet_demo.lab.cifar_nets import DEPTHS
from resnet_demo.lab.image_sets import EXAMPLES, SHAPES, load_image_set
from resnet_demo.lab.lesions import ResultCache
from resnet_demo.lab.race import STOPPED, RaceConfig, RaceSnapshot, run_race
from resnet_demo.models import LoadedModel, ModelNameError, WeightsError
from resnet_demo.switches import SwitchError

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
def user_errors() -> Iterator[None]:
    """Turn the user's mistakes into a short `gr.Error`; log anything else with a generic one."""
    try:
        yield
    except gr.Error:
        raise
    except _USER_ERRORS as exc:
        raise gr.Error(str(exc)[:400], print_exception=False) from None
    except Exception as exc:  # nothing reaches the page as a traceback
        LOG.exception("lab handler failed", exc_info=exc)
        raise gr.Error("The experiment failed; please try again.", print_exception=False) from None


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


def _progress_callback(progress: Any) -> Callable[[float, str], None]:
    """Adapt a `gr.Progress` (or any callable(fraction, desc=...)) to the lab's callbacks."""

    def report(fraction: float, text: str) -> None:
        progress(fraction, desc=text)

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
        self.studies = ResultCache(max_entries=8)

    def _call(self, fn: Callable[..., Any], state: Any) -> Any:
        return fn(state) if self.pass_state else fn()

    def _image(self, source: str, seed: Any, state: Any) -> tuple[np.ndarray, str]:
        if source == MAIN_IMAGE:
            image = self._call(self.get_image, state) if self.get_image is not None else None
            if image is None:
                raise gr.Error("Load an image in the main tab first, or choose a generated shape.")
            return image, "main-tab image"
        n = _int(seed, "shape number", 0, 999_999)
        return shapes.generate_sample(shapes.TEST_SEED_START + 5_000_000 + n).image, f"shape #{n}"

    # ---- lesion sweep ---------------------------------------------------------------------

    def sweep(
        self, source: str, seed: Any, state: Any = None, progress: Any = _PROGRESS
    ) -> tuple[Any, ...]:
        """Lesion sweep of one image -> (chart, summary, card download, JSON download)."""
        with user_errors():
            model = self._call(self.get_model, state)
            image, name = self._image(source, seed, state)
            sweep = lab.lesion_sweep(model, image, _progress_callback(progress))
            card, numbers = lesion_sweep_card_from(sweep, model.categories, name)
            return (
                charts.sweep_chart(sweep),
                _sweep_summary(sweep),
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
    ) -> tuple[Any, ...]:
        """Lesion curves over an image set -> (chart, summary, card, JSON)."""
        with user_errors():
            model = self._call(self.get_model, state)
            images = load_image_set(
                image_set, _int(n_images, "images", 8, 256), _int(seed, "seed", 0, 9999)
            )
            curves = lab.lesion_curves(
                model,
                images.images,
                images.labels,
                draws=_int(draws, "draws", 1, 10),
                seed=_int(seed, "seed", 0, 9999),
                image_set=images.description,
                progress=_progress_callback(progress),
            )
            card, numbers = lesion_curves_card_from(curves)
            return (
                charts.curves_chart(curves),
                _curves_summary(curves),
                *_downloads(card, numbers, "lesion-curves"),
            )

    # ---- gradient flow --------------------------------------------------------------------

    def gradient_flow(self, depths: Any, steps: Any, progress: Any = _PROGRESS) -> tuple[Any, ...]:
        """Gradient flow study -> (similarity chart, norm chart, summary, card, JSON)."""
        with user_errors():
            if not isinstance(depths, list | tuple) or not depths:
                raise gr.Error("Choose at least one depth.")
            chosen = tuple(sorted({_int(d, "depth", 8, 56) for d in depths}))
            trained = _int(steps, "training steps", 0, 100)
            key = (chosen, trained)
            study = self.studies.get(key)
            if study is None:
                study = lab.gradient_flow_study(
                    chosen, trained, progress=_progress_callback(progress)
                )
                self.studies.put(key, study)
            card, numbers = gradient_flow_card_from(study)
            summary = "\n".join(f"- {line}" for line in summarize_gradient_flow(study))
            return (
                charts.correlation_chart(study),
                charts.gradient_norm_chart(study),
                summary,
                *_downloads(card, numbers, "gradient-flow"),
            )

    # ---- race -----------------------------------------------------------------------------

    def race(self, depth: Any, budget: Any) -> Iterator[tuple[Any, str, RaceSnapshot | None]]:
        """Stream the race -> (chart, status line, last snapshot) after every few steps."""
        with user_errors():
            config = RaceConfig(
                depth=_int(depth, "depth", 8, 56),
                time_budget_s=float(_int(budget, "time budget", 10, 300)),
                max_steps=2000,
            ).check()
        snapshots = run_race(config)
        while True:
            with user_errors():
                snapshot = next(snapshots, None)
                if snapshot is None:
                    return
                chart = charts.race_chart(snapshot)
            yield chart, _race_status(snapshot), snapshot

    @staticmethod
    def race_stopped(snapshot: RaceSnapshot | None) -> tuple[Any, str]:
        """After Stop: the last snapshot, marked stopped -> (chart, status line)."""
        if not isinstance(snapshot, RaceSnapshot):
            return gr.skip(), "Stopped."
        if not snapshot.done:
            snapshot = dataclasses.replace(snapshot, status=STOPPED)
        return charts.race_chart(snapshot), _race_status(snapshot)

    def race_export(self, snapshot: RaceSnapshot | None) -> tuple[Any, Any]:
        """Card and numbers of the last race snapshot -> (card, JSON) downloads."""
        with user_errors():
            if not isinstance(snapshot, RaceSnapshot) or snapshot.step == 0:
                raise gr.Error("Run the race first (a few steps at least).")
            card, numbers = race_card_from(snapshot)
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


def _int(value: Any, name: str, lo: int, hi: int) -> int:
    """`value` as an int in [lo, hi], or a gr.Error naming the field."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise gr.Error(f"{name} must be a number") from None
    if not number.is_integer() or not lo <= number <= hi:
        raise gr.Error(f"{name} must be a whole number from {lo} to {hi}")
    return int(number)


def _sweep_summary(sweep: lab.LesionSweep) -> str:
    n = len(sweep.block_names)
    return (
        f"Bars: probability of the intact top-1 class, **{sweep.original_label}** "
        f"({sweep.original_prob * 100:.1f}% intact). "
        f"Top-1 changed in **{int(sweep.branch_changed.sum())} of {n}** branch lesions and "
        f"**{int(sweep.skip_changed.sum())} of {n}** skip lesions. "
        f"{charts.DOWN} downsampling block · {charts.CHANGED} top-1 changed."
    )


def _curves_summary(curves: lab.LesionCurves) -> str:
    k = min(2, len(curves.ks) - 1)
    return (
        f"{curves.metric.capitalize()} on {curves.image_set}: intact "
        f"**{curves.intact_score:.2f}**; with {k} residual branches removed "
        f"**{curves.branch_mean[k]:.2f}**, with {k} skips removed **{curves.skip_mean[k]:.2f}** "
        f"(chance {curves.chance:.2f})."
    )


def _race_status(snapshot: RaceSnapshot) -> str:
    plain, residual = snapshot.recent_mean()
    budget = snapshot.config.time_budget_s
    if budget is not None and not snapshot.done:
        filled = min(20, round(20 * snapshot.elapsed_s / budget))
        bar = f"`{'█' * filled}{'░' * (20 - filled)}` {snapshot.elapsed_s:.0f} / {budget:.0f} s · "
    else:
        bar = f"{snapshot.status.capitalize()} after {snapshot.elapsed_s:.0f} s · "
    if snapshot.step == 0:
        return bar + "generating the training shapes and building both networks…"
    return (
        f"{bar}step **{snapshot.step}** — mean training loss of the last 20 steps: "
        f"plain **{plain:.3f}**, ResNet **{residual:.3f}**."
    )


def _note(key: str) -> gr.Markdown:
    return gr.Markdown(notes.note_markdown(key, "en"), elem_classes=["lab-note"])


def build_lab_tab(
    get_model: Callable[..., LoadedModel],
    get_image: Callable[..., np.ndarray | None] | None = None,
    *,
    state: gr.components.Component | None = None,
) -> LabHandlers:
    """Create the lab's components and wiring inside the caller's current Blocks/Tab context.

    Args:
        get_model: returns the LoadedModel to experiment on (its lock is held while it runs).
        get_image: returns the main tab's current RGB uint8 image (H, W, 3) or None. Default:
            None (the lesion sweep then offers generated shapes only).
        state: optional component (e.g. the app's session `gr.State`) whose value is passed to
            `get_model` and `get_image`, for apps whose model and image live in the session.

    Returns:
        The handlers (for tests and for the app to reuse).
    """
    handlers = LabHandlers(get_model, get_image, pass_state=state is not None)
    state_input = state if state is not None else gr.State(None)
    gr.HTML(f"<style>{LAB_CSS}</style>", visible=True, padding=False)
    with gr.Row(equal_height=True):
        gr.Markdown(
            "### Classroom lab\nThe experiments of the residual-network papers, live. "
            "Every run exports a card (PNG) and its numbers (JSON)."
        )
        note_lang = gr.Radio(
            [("English", "en"), ("简体中文", "zh")], value="en", label="Notes language"
        )
        presenter = gr.Checkbox(value=False, label="Presenter mode (large notes, essentials)")
    note_boxes: dict[str, gr.Markdown] = {}

    with gr.Tabs():
        with gr.Tab("Lesion sweep"), gr.Row():
            with gr.Column(scale=3):
                with gr.Row():
                    sources = [("Generated shape", SHAPE_IMAGE)]
                    if get_image is not None:
                        sources.insert(0, ("Main tab's image", MAIN_IMAGE))
                    sweep_source = gr.Radio(sources, value=sources[0][1], label="Image")
                    sweep_seed = gr.Number(value=0, precision=0, label="Shape number")
                    sweep_run = gr.Button("Run lesion sweep", variant="primary")
                sweep_chart = gr.Image(
                    label="Lesion sweep", interactive=False, show_label=False, format="png"
                )
                sweep_text = gr.Markdown(elem_classes=["lab-summary"])
                with gr.Row():
                    sweep_card = gr.DownloadButton("Card (PNG)", visible=False)
                    sweep_json = gr.DownloadButton("Numbers (JSON)", visible=False)
            with gr.Column(scale=2):
                note_boxes["lesion_sweep"] = _note("lesion_sweep")

        with gr.Tab("Lesion curves"), gr.Row():
            with gr.Column(scale=3):
                with gr.Row():
                    curve_set = gr.Radio(
                        [("Fresh shapes (accuracy)", SHAPES), ("Example pictures", EXAMPLES)],
                        value=SHAPES,
                        label="Image set",
                    )
                    curve_n = gr.Slider(16, 256, value=64, step=16, label="Shapes")
                    curve_draws = gr.Slider(1, 10, value=5, step=1, label="Draws per k")
                    curve_seed = gr.Number(value=0, precision=0, label="Seed")
                    curve_run = gr.Button("Run lesion curves", variant="primary")
                curve_chart = gr.Image(
                    label="Lesion curves", interactive=False, show_label=False, format="png"
                )
                curve_text = gr.Markdown(elem_classes=["lab-summary"])
                with gr.Row():
                    curve_card = gr.DownloadButton("Card (PNG)", visible=False)
                    curve_json = gr.DownloadButton("Numbers (JSON)", visible=False)
            with gr.Column(scale=2):
                note_boxes["lesion_curves"] = _note("lesion_curves")

        with gr.Tab("Gradient flow"), gr.Row():
            with gr.Column(scale=3):
                with gr.Row():
                    flow_depths = gr.CheckboxGroup(
                        list(DEPTHS), value=[8, 20, 56], label="Depths (layers)"
                    )
                    flow_steps = gr.Radio(
                        [
                            ("At initialisation (seconds)", 0),
                            ("After 30 training steps (1-2 min)", 30),
                        ],
                        value=0,
                        label="Networks",
                    )
                    flow_run = gr.Button("Measure gradients", variant="primary")
                flow_corr = gr.Image(
                    label="Shattered gradients", interactive=False, format="png", show_label=False
                )
                flow_norm = gr.Image(
                    label="Gradient norms", interactive=False, format="png", show_label=False
                )
                flow_text = gr.Markdown(elem_classes=["lab-summary"])
                with gr.Row():
                    flow_card = gr.DownloadButton("Card (PNG)", visible=False)
                    flow_json = gr.DownloadButton("Numbers (JSON)", visible=False)
            with gr.Column(scale=2):
                note_boxes["gradient_flow"] = _note("gradient_flow")

        with gr.Tab("Degradation race"), gr.Row():
            with gr.Column(scale=3):
                with gr.Row():
                    race_depth = gr.Radio(list(DEPTHS), value=20, label="Depth (layers)")
                    race_budget = gr.Slider(15, 180, value=90, step=15, label="Seconds")
                    race_start = gr.Button("Start race", variant="primary")
                    race_stop = gr.Button("Stop", variant="stop")
                race_chart = gr.Image(
                    label="Training loss", interactive=False, show_label=False, format="png"
                )
                race_text = gr.Markdown(elem_classes=["lab-summary"])
                race_last = gr.State(None)
                with gr.Row():
                    race_export = gr.Button("Export card")
                    race_card = gr.DownloadButton("Card (PNG)", visible=False)
                    race_json = gr.DownloadButton("Numbers (JSON)", visible=False)
            with gr.Column(scale=2):
                note_boxes["race"] = _note("race")

        with gr.Tab("About ResNets"), gr.Row():
            for key in ("block", "gradcam", "misconceptions"):
                with gr.Column():
                    note_boxes[key] = _note(key)

    lab_work = {"concurrency_id": LAB, "concurrency_limit": 1}
    sweep_run.click(
        handlers.sweep,
        [sweep_source, sweep_seed, state_input],
        [sweep_chart, sweep_text, sweep_card, sweep_json],
        api_name="lab_sweep",
        **lab_work,
    )
    curve_run.click(
        handlers.curves,
        [curve_set, curve_n, curve_draws, curve_seed, state_input],
        [curve_chart, curve_text, curve_card, curve_json],
        api_name="lab_curves",
        **lab_work,
    )
    flow_run.click(
        handlers.gradient_flow,
        [flow_depths, flow_steps],
        [flow_corr, flow_norm, flow_text, flow_card, flow_json],
        api_name="lab_gradient_flow",
        **lab_work,
    )
    race_event = race_start.click(
        handlers.race,
        [race_depth, race_budget],
        [race_chart, race_text, race_last],
        api_name="lab_race",
        concurrency_id=RACE,
        concurrency_limit=1,
        show_progress="minimal",
    )
    race_stop.click(
        handlers.race_stopped,
        [race_last],
        [race_chart, race_text],
        cancels=[race_event],
        api_name=False,
    )
    race_export.click(
        handlers.race_export, [race_last], [race_card, race_json], api_name="lab_race_export"
    )
    boxes = [note_boxes[key] for key in NOTE_KEYS]
    for control in (note_lang, presenter):
        control.change(handlers.notes, [note_lang, presenter], boxes, api_name=False)
    return handlers


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
        server_name="127.0.0.1", server_port=port, show_error=False
    )


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=_standalone.__doc__)
    parser.add_argument("--port", type=int, default=7870)
    _standalone(parser.parse_args().port)
