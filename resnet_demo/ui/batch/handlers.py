"""The batch panel's event handlers: files or a number of shapes in, the panel's outputs out.

Both batch handlers are generators: they classify one image at a time (`batch.run`), move the
progress bar after each, send the summary line ("image i of n") at most every `STEP_S` seconds,
and end with the whole result. At each of those steps the Stop button's `cancels` can end them,
so a cancelled batch costs at most `STEP_S` seconds and one image more. The model and the
switches are the main page's (`session.settings.switched` of the page's `gr.State`): the
switched top-1 is the network the page shows. Every handler is wrapped by
`ui.errors.user_errors` and words everything in the page's language.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import gradio as gr

import resnet_demo.ui.batch.views as views
from resnet_demo import batch as core
from resnet_demo.batch import SUMMARY_FIELDS
from resnet_demo.models import LoadedModel
from resnet_demo.text import normalize_lang, t
from resnet_demo.ui.batch.components import BatchView
from resnet_demo.ui.errors import NoImageError, user_errors
from resnet_demo.ui.export import write_csv
from resnet_demo.ui.views import class_names

_PROGRESS = gr.Progress()
"""Default of the handlers' `progress` argument: Gradio replaces it with the event's tracker."""

STEP_S = 0.25
"""Least time between two steps of a batch (a summary line sent, a chance to stop): a message
per image through Gradio's queue costs more than the image (`benchmarks/bench_batch.py`)."""

Updates = dict[Any, Any]
"""What a handler returns: component -> new value or `gr.update(...)`."""

ModelOf = Callable[[Any], LoadedModel]
"""get_model(state) -> the model the page's session uses."""
SwitchesOf = Callable[[Any], dict[str, str]]
"""get_switches(state) -> the page's switched blocks (block -> mode; empty: all intact)."""


def _files(value: Any) -> list[tuple[str, str]]:
    """(path, name) pairs from the files input (`UntrustedFiles`), or plain paths (tests)."""
    if value is None:
        return []
    items = value if isinstance(value, list | tuple) else [value]
    found = []
    for item in items:
        if isinstance(item, tuple | list) and len(item) == 2:
            found.append((str(item[0]), str(item[1])))
        elif isinstance(item, str | Path):
            found.append((str(item), Path(item).name))
    return found


class BatchHandlers:
    """Handlers of one batch panel.

    Args:
        view: the panel's components.
        get_model: the session's model, from the value of the page's state.
        get_switches: the page's switches, from the same value.
    """

    def __init__(self, view: BatchView, get_model: ModelOf, get_switches: SwitchesOf) -> None:
        self.view = view
        self.get_model = get_model
        self.get_switches = get_switches

    @user_errors
    def files(
        self, files: Any, state: Any, lang: str = "en", progress: Any = _PROGRESS
    ) -> Iterator[Updates]:
        """The "Classify the files" button: every uploaded file (the first 64) through both
        networks; files that are not images are skipped, each with its reason."""
        lang = normalize_lang(lang)
        uploaded = _files(files)
        if not uploaded:
            raise NoImageError(t("batch_no_files", lang))
        sources = [core.file_source(path, name) for path, name in uploaded]
        yield from self._run(state, sources, lang, progress)

    @user_errors
    def shapes(
        self, count: Any, state: Any, lang: str = "en", progress: Any = _PROGRESS
    ) -> Iterator[Updates]:
        """The "Generate shapes and classify" button: `count` fresh shapes (a new seed each
        press) through both networks, with their true classes."""
        lang = normalize_lang(lang)
        model = self.get_model(state)
        seed = core.fresh_seed()
        sources = core.shape_sources(model, count, seed)
        yield from self._run(state, sources, lang, progress, seed)

    def stopped(self, lang: str = "en") -> Updates:
        """The Stop button (its event cancels the running batch): say so."""
        return {self.view.summary: t("batch_stopped", normalize_lang(lang))}

    def _run(
        self,
        state: Any,
        sources: Sequence[core.Source],
        lang: str,
        progress: Any,
        first_seed: int | None = None,
    ) -> Iterator[Updates]:
        model = self.get_model(state)
        switches = self.get_switches(state)
        kept, left_out = core.cap(sources)
        outcomes: list[core.Row | core.Skip] = []
        n = len(kept)
        progress(0, desc=t("batch_progress", lang, i=0, n=n))
        stepped = time.monotonic()
        for i, outcome in enumerate(core.run(model, kept, switches), start=1):
            outcomes.append(outcome)
            progress(i / n, desc=t("batch_progress", lang, i=i, n=n))
            if time.monotonic() - stepped >= STEP_S:
                stepped = time.monotonic()
                yield {self.view.summary: t("batch_running", lang, i=i, n=n)}
        result = core.collect(model, outcomes, switches, left_out, first_seed)
        yield self.show(result, model, lang, given=len(sources))

    def show(
        self, result: core.Batch, model: LoadedModel, lang: str, given: int | None = None
    ) -> Updates:
        """Every output of the panel for a classified batch."""
        v = self.view
        names = class_names(model, lang)
        rows = core.summary_rows(result, names, lang)
        labelled = result.labelled
        hidden = gr.update(value=None, visible=False)
        return {
            v.summary: views.summary(result, lang, given),
            v.gallery: gr.update(value=views.gallery(result, names, lang), visible=True),
            v.tables_note: gr.update(value=views.confusion_note(result, lang), visible=True)
            if labelled
            else hidden,
            v.accuracy: gr.update(value=views.accuracy_table(result, names, lang), visible=True)
            if labelled
            else hidden,
            v.confusion: gr.update(value=views.confusion_table(result, names, lang), visible=True)
            if labelled
            else hidden,
            v.wrong: gr.update(value=views.wrong_gallery(result, names, lang), visible=True)
            if labelled
            else hidden,
            v.csv: gr.update(value=write_csv(rows, SUMMARY_FIELDS, "batch"), visible=True),
        }
