"""The lab's event handlers: named arguments in, a dict of the components they change out.

Each handler runs one experiment of `resnet_demo.lab`, draws it (`lab.charts`, `lab.cards`),
words it in the page's language (`views`, `resnet_demo.text.t`) and writes the downloads
(`ui.export.write_files`). Every handler is wrapped by `ui.errors.user_errors`, so a bad setting
becomes a short `gr.Error` in the page's language and anything else a logged, generic one.
Tests call the handlers directly, without a browser.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Protocol

import gradio as gr
import numpy as np

import resnet_demo.ui.lab.views as views
from resnet_demo import lab, shapes
from resnet_demo.cache import LRUCache
from resnet_demo.errors import parse_whole
from resnet_demo.lab import charts, notes
from resnet_demo.lab.cards import (
    gradient_flow_card_from,
    lesion_curves_card_from,
    lesion_sweep_card_from,
    race_card_from,
    robustness_card_from,
    sanity_card_from,
    shown_sweep,
)
from resnet_demo.lab.curves import MAX_DRAWS, ROBUST_MODELS, set_curves
from resnet_demo.lab.image_sets import EXAMPLES, SHAPES, ImageSet, load_image_set
from resnet_demo.lab.race import STOPPED, RaceConfig, RaceSnapshot, run_race
from resnet_demo.lab.race_record import recorded_race
from resnet_demo.lab.sanity import sanity_check
from resnet_demo.lab.text import image_set_name
from resnet_demo.models import EMBEDDED, LoadedModel
from resnet_demo.text import Term, normalize_lang, t
from resnet_demo.ui.errors import user_errors
from resnet_demo.ui.export import write_files
from resnet_demo.ui.lab.components import LabView

if TYPE_CHECKING:
    from resnet_demo.progress import Progress

MAIN_IMAGE = "main"
"""Sweep image source: the main tab's current image."""
SHAPE_IMAGE = "shape"
"""Sweep image source: a generated shape, picked by its number."""
PAGE_MODEL = "page"
"""Lesion panels' model choice: the model the main page has loaded."""

_PROGRESS = gr.Progress()
"""Default of the handlers' `progress` argument: Gradio replaces it with the event's tracker."""

Updates = dict[gr.blocks.Block, Any]
"""What a handler returns: the components it changes, each with its new value or update."""


class Downloads(Protocol):
    """An experiment panel's components (`view`): each has the two downloads."""

    @property
    def card(self) -> gr.DownloadButton: ...

    @property
    def numbers(self) -> gr.DownloadButton: ...


ModelOf = Callable[[Any], LoadedModel]
"""get_model(state) -> the model to experiment on."""
ImageOf = Callable[[Any], np.ndarray | None]
"""get_image(state) -> the main tab's RGB uint8 (H, W, 3) image, or None."""


def _share(progress: Progress, index: int, parts: int) -> Progress:
    """`progress` for part `index` of `parts` equal parts of one run (fractions rescaled)."""

    def report(fraction: float, key: str, /, **fields: object) -> None:
        progress((index + fraction) / parts, key, **fields)

    return report


def whole_number(value: Any, field: str, low: int, high: int) -> int:
    """A whole number from a lab control, e.g. 3.0 or "8"; `field` is the catalogue key naming it.

    Raises:
        InvalidValue: not a whole number, or outside low..high.
    """
    return parse_whole(value, Term(field), low, high, numerals=True)


def _curve_settings(
    image_set: str, n_images: Any, seed: Any, draws: Any
) -> tuple[ImageSet, int, int]:
    """The controls of the panels that draw lesion curves, read: (image set, draws per k, seed).

    Raises:
        InvalidValue: a seed, set size or number of draws out of range.
        ValueError: an unknown image set.
    """
    seed = whole_number(seed, "field_seed", 0, 9999)
    images = load_image_set(image_set, whole_number(n_images, "field_images", 8, 256), seed)
    return images, whole_number(draws, "field_draws", 1, MAX_DRAWS), seed


def worded_progress(progress: Callable[..., Any], lang: str) -> Progress:
    """Adapt a `gr.Progress` to the engine's `progress(fraction, key, **fields)`: the step is
    worded from the catalogue in the page's language."""

    def report(fraction: float, key: str, /, **fields: object) -> None:
        progress(fraction, desc=t(key, lang, **fields))

    return report


def source_choices(with_main_image: bool, lang: str) -> list[tuple[str, str]]:
    """Entries of the sweep's image switch: the main tab's image (when there is one), a shape."""
    choices = [(t("lab_src_shape", lang), SHAPE_IMAGE)]
    if with_main_image:
        choices.insert(0, (t("lab_src_main", lang), MAIN_IMAGE))
    return choices


def image_set_choices(lang: str) -> list[tuple[str, str]]:
    """Entries of the lesion curves' image-set switch."""
    return [(t("lab_set_shapes", lang), SHAPES), (t("lab_set_examples", lang), EXAMPLES)]


def model_choices(names: list[str], with_page_model: bool, lang: str) -> list[tuple[str, str]]:
    """Entries of the lesion panels' model picker: the main page's model (when the lab sits in
    the app), then every model by name."""
    choices = [(name, name) for name in names]
    if with_page_model:
        choices.insert(0, (t("lab_model_page", lang), PAGE_MODEL))
    return choices


def flow_choices(lang: str) -> list[tuple[str, int]]:
    """Entries of the gradient-flow switch: at initialisation, or after 30 training steps."""
    return [(t("lab_at_init", lang), 0), (t("lab_after_30", lang), 30)]


class LabHandlers:
    """The lab's handlers, bound to the components they update.

    Args:
        view: the lab's components (`view.LabView`); handlers return dicts keyed by them.
        get_model: get_model(state) -> the model to experiment on.
        get_image: get_image(state) -> the main tab's image, or None for "no image yet"; None
            when the lab has no main tab (the sweep then offers generated shapes only).
        load: load(name) -> the LoadedModel called `name` (the lesion panels' model picker).
    """

    def __init__(
        self,
        view: LabView,
        get_model: ModelOf,
        get_image: ImageOf | None,
        load: Callable[[str], LoadedModel],
    ) -> None:
        self.view = view
        self.get_model = get_model
        self.get_image = get_image
        self.load = load
        self.studies: LRUCache[lab.GradientFlowStudy] = LRUCache(max_entries=8)
        self.race_config = RaceConfig()
        """The live race's recipe (its time budget comes from the page); tests shrink it."""

    def _downloads(
        self, panel: Downloads, card: np.ndarray, numbers: dict[str, Any], stem: str
    ) -> Updates:
        png, data = write_files(card, numbers, stem)
        return {
            panel.card: gr.update(value=png, visible=True),
            panel.numbers: gr.update(value=data, visible=True),
        }

    def _model(self, name: Any, state: Any) -> LoadedModel:
        """The model a lesion panel picked: the page's, or one loaded by name (an unknown name
        raises the registry's `ModelNameError`, worded for the page)."""
        if name == PAGE_MODEL:
            return self.get_model(state)
        return self.load(name)

    def _image(self, source: str, seed: Any, state: Any, lang: str) -> tuple[np.ndarray, str]:
        if source == MAIN_IMAGE:
            image = self.get_image(state) if self.get_image is not None else None
            if image is None:
                raise gr.Error(t("err_main_image", lang), print_exception=False)
            return image, t("main_image", lang)
        n = whole_number(seed, "field_shape_number", 0, 999_999)
        image = shapes.generate_sample(shapes.TEST_SEED_START + 5_000_000 + n).image
        return image, t("shape_image", lang, n=n)

    @user_errors
    def sweep(
        self,
        source: str,
        seed: Any,
        state: Any = None,
        lang: str = "en",
        progress: Any = _PROGRESS,
        model_name: Any = PAGE_MODEL,
    ) -> Updates:
        """Lesion sweep of one image -> chart, summary and the two downloads."""
        lang = normalize_lang(lang)
        model = self._model(model_name, state)
        image, name = self._image(source, seed, state, lang)
        sweep = lab.lesion_sweep(model, image, worded_progress(progress, lang))
        card, numbers = lesion_sweep_card_from(
            sweep, model.categories, name, lang, model.class_names
        )
        shown = shown_sweep(sweep, model.class_names, lang)
        panel = self.view.sweep
        return {
            panel.chart: charts.sweep_chart(shown, lang=lang),
            panel.summary: views.sweep_summary(shown, lang),
            **self._downloads(panel, card, numbers, "lesion-sweep"),
        }

    @user_errors
    def curves(
        self,
        image_set: str,
        n_images: Any,
        draws: Any,
        seed: Any,
        state: Any = None,
        lang: str = "en",
        progress: Any = _PROGRESS,
        model_name: Any = PAGE_MODEL,
    ) -> Updates:
        """Lesion curves over an image set (k = 0 … 10 blocks at most) -> chart, summary and the
        two downloads."""
        lang = normalize_lang(lang)
        model = self._model(model_name, state)
        images, draws, seed = _curve_settings(image_set, n_images, seed, draws)
        curves = set_curves(model, images, draws, seed, worded_progress(progress, lang))
        card, numbers = lesion_curves_card_from(curves, lang)
        panel = self.view.curves
        return {
            panel.chart: charts.curves_chart(curves, lang=lang),
            panel.summary: views.curves_summary(curves, image_set_name(images, lang), lang),
            **self._downloads(panel, card, numbers, "lesion-curves"),
        }

    @user_errors
    def robustness(
        self, n_images: Any, draws: Any, seed: Any, lang: str = "en", progress: Any = _PROGRESS
    ) -> Updates:
        """Lesion curves of `embedded` and `embedded-no-sd` on the same shapes, side by side
        -> chart, summary and the two downloads."""
        lang = normalize_lang(lang)
        images, draws, seed = _curve_settings(SHAPES, n_images, seed, draws)
        models = [self.load(name) for name in ROBUST_MODELS]
        worded = worded_progress(progress, lang)
        curves = [
            set_curves(model, images, draws, seed, _share(worded, i, len(models)))
            for i, model in enumerate(models)
        ]
        card, numbers = robustness_card_from(curves, lang)
        panel = self.view.robustness
        return {
            panel.chart: charts.robustness_chart(curves, lang=lang),
            panel.summary: views.robustness_summary(curves, lang),
            **self._downloads(panel, card, numbers, "robustness"),
        }

    @user_errors
    def gradient_flow(
        self, depths: Any, steps: Any, lang: str = "en", progress: Any = _PROGRESS
    ) -> Updates:
        """Gradient flow study (cached per settings) -> two charts, summary, two downloads."""
        lang = normalize_lang(lang)
        if not isinstance(depths, list | tuple) or not depths:
            raise gr.Error(t("err_depths", lang), print_exception=False)
        chosen = tuple(sorted({whole_number(d, "field_depth", 8, 56) for d in depths}))
        trained = whole_number(steps, "field_steps", 0, 100)
        study = self.studies.get_or_compute(
            (chosen, trained),
            lambda: lab.gradient_flow_study(
                chosen, trained, progress=worded_progress(progress, lang)
            ),
        )
        card, numbers = gradient_flow_card_from(study, lang)
        panel = self.view.gradient_flow
        return {
            panel.similarity: charts.correlation_chart(study, lang=lang),
            panel.norms: charts.gradient_norm_chart(study, lang=lang),
            panel.summary: views.flow_summary(study, lang),
            **self._downloads(panel, card, numbers, "gradient-flow"),
        }

    @user_errors
    def race(self, budget: Any, lang: str = "en") -> Iterator[Updates]:
        """Stream the race (plain-20, plain-56, ResNet-20, ResNet-56): chart, status line and
        captions, and the last snapshot, after every few steps."""
        lang = normalize_lang(lang)
        seconds = float(whole_number(budget, "field_budget", 10, 300))
        config = dataclasses.replace(self.race_config, time_budget_s=seconds).check()
        panel = self.view.race
        recorded = recorded_race()
        for snapshot in run_race(config):
            yield {
                panel.chart: charts.race_chart(snapshot, recorded, lang=lang),
                panel.status: views.race_status(snapshot, lang),
                panel.last: snapshot,
            }

    @user_errors
    def race_stopped(self, snapshot: RaceSnapshot | None, lang: str = "en") -> Updates:
        """After Stop: the last snapshot, marked stopped -> chart and status line."""
        lang = normalize_lang(lang)
        panel = self.view.race
        if not isinstance(snapshot, RaceSnapshot):
            return {panel.status: t("race_stopped", lang)}
        if not snapshot.done:
            snapshot = dataclasses.replace(snapshot, status=STOPPED)
        return {
            panel.chart: charts.race_chart(snapshot, recorded_race(), lang=lang),
            panel.status: views.race_status(snapshot, lang),
        }

    @user_errors
    def race_export(self, snapshot: RaceSnapshot | None, lang: str = "en") -> Updates:
        """Card and numbers of the last race snapshot -> the two downloads."""
        lang = normalize_lang(lang)
        if not isinstance(snapshot, RaceSnapshot) or snapshot.step == 0:
            raise gr.Error(t("err_race_first", lang), print_exception=False)
        card, numbers = race_card_from(snapshot, lang)
        return self._downloads(self.view.race, card, numbers, "degradation-race")

    @user_errors
    def sanity(
        self,
        methods: Any,
        source: str,
        seed: Any,
        state: Any = None,
        lang: str = "en",
        progress: Any = _PROGRESS,
        model_name: Any = EMBEDDED,
    ) -> Updates:
        """Sanity check of one image (cascading randomisation of a copy of the model) -> grid of
        maps, similarity chart, summary and the two downloads."""
        lang = normalize_lang(lang)
        if not isinstance(methods, list | tuple) or not methods:
            raise gr.Error(t("err_sanity_methods", lang), print_exception=False)
        model = self._model(model_name, state)
        image, name = self._image(source, seed, state, lang)
        check = sanity_check(model, image, methods, progress=worded_progress(progress, lang))
        card, numbers = sanity_card_from(check, name, lang, model.class_names)
        grid, chart = charts.sanity_charts(check, lang=lang)
        panel = self.view.sanity
        return {
            panel.grid: grid,
            panel.chart: chart,
            panel.summary: views.sanity_summary(check, lang),
            **self._downloads(panel, card, numbers, "sanity-checks"),
        }

    def notes(self, lang: Any, presenter: Any) -> Updates:
        """Every note in `lang`, full or presenter-mode (large type, essentials only)."""
        lang = normalize_lang(lang)
        classes = ["lab-note", "lab-presenter"] if presenter else ["lab-note"]
        return {
            box: gr.Markdown(notes.note_markdown(key, lang, bool(presenter)), elem_classes=classes)
            for key, box in self.view.notes.items()
        }

    def _model_choices(self, lang: str) -> list[tuple[str, str]]:
        choices = self.view.sweep.model.choices
        names = [str(value) for _, value in choices if value != PAGE_MODEL]
        return model_choices(names, self.get_image is not None, lang)

    def relabel(self, lang: Any) -> Updates:
        """Tab names and switch entries in `lang` (Gradio translates neither by itself)."""
        lang = normalize_lang(lang)
        view = self.view
        return {
            **{tab: gr.update(label=t(key, lang)) for key, tab in view.tabs.items()},
            view.sweep.source: gr.update(choices=source_choices(self.get_image is not None, lang)),
            view.sanity.source: gr.update(choices=source_choices(self.get_image is not None, lang)),
            view.sweep.model: gr.update(choices=self._model_choices(lang)),
            view.sanity.model: gr.update(choices=self._model_choices(lang)),
            view.curves.model: gr.update(choices=self._model_choices(lang)),
            view.curves.image_set: gr.update(choices=image_set_choices(lang)),
            view.gradient_flow.steps: gr.update(choices=flow_choices(lang)),
        }
