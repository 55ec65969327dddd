"""The batch panel's layout, wired beside its components.

`build_batch_tab` creates the panel inside the caller's current Blocks context (the page puts it
in an accordion): two sources side by side (image files; a number of fresh shapes) with their
buttons and a Stop button, then the summary, the sorted gallery, and for shapes the accuracy and
confusion tables and the misclassified gallery, then the CSV download. Static labels are
`i18n.label(key)` markers (re-worded by the page's language switch); what the handlers write follows
the page's language, sent with every request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gradio as gr

import resnet_demo.ui.i18n as i18n
from resnet_demo.batch import MAX_IMAGES
from resnet_demo.ui.batch.components import BatchView
from resnet_demo.ui.batch.handlers import BatchHandlers
from resnet_demo.ui.inputs import UntrustedFiles

BATCH_FORMAT = "jpeg"
"""How the gallery's pictures travel: 64 small crops encode in a fraction of PNG's time."""
DEFAULT_COUNT = 32
"""Fresh shapes per press unless the slider says otherwise."""


def _components() -> BatchView:
    gr.Markdown(i18n.label("batch_help"), elem_classes=["help"])
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=280):
            files = UntrustedFiles(
                file_count="multiple",
                file_types=["image"],
                label=i18n.label("batch_files"),
                height=150,
                elem_id="batch-files",
            )
            run_files = gr.Button(i18n.label("batch_run_files"), elem_id="batch-run-files")
        with gr.Column(scale=2, min_width=240):
            count = gr.Slider(
                1,
                MAX_IMAGES,
                value=DEFAULT_COUNT,
                step=1,
                label=i18n.label("batch_count"),
                elem_id="batch-count",
            )
            run_shapes = gr.Button(
                i18n.label("batch_run_shapes"), variant="primary", elem_id="batch-run-shapes"
            )
            stop = gr.Button(i18n.label("batch_stop"), variant="stop", elem_id="batch-stop")
    # No static words here: the language switch re-words static text, and would replace a batch's
    # summary with them.
    summary = gr.Markdown("", elem_id="batch-summary")
    gallery = gr.Gallery(
        label=i18n.label("batch_gallery"),
        columns=6,
        height=520,
        object_fit="contain",
        allow_preview=True,
        interactive=False,
        format=BATCH_FORMAT,
        elem_id="batch-gallery",
    )
    tables_note = gr.Markdown(visible=False, elem_id="batch-tables-note", elem_classes=["help"])
    with gr.Row(equal_height=False):
        accuracy = _table("batch_accuracy", "batch-accuracy", scale=2)
        confusion = _table("batch_confusion", "batch-confusion", scale=3)
    wrong = gr.Gallery(
        label=i18n.label("batch_wrong"),
        columns=6,
        height=280,
        object_fit="contain",
        interactive=False,
        format=BATCH_FORMAT,
        visible=False,
        elem_id="batch-wrong",
    )
    csv = gr.DownloadButton(
        i18n.label("batch_csv"),  # type: ignore[arg-type]  # an I18n marker, as Gradio documents
        visible=False,
        elem_id="batch-csv",
    )
    return BatchView(
        files, run_files, count, run_shapes, stop, summary, gallery, tables_note, accuracy,
        confusion, wrong, csv,
    )  # fmt: skip


def _table(key: str, elem_id: str, scale: int) -> gr.Dataframe:
    """A read-only table of the shapes' results, hidden until a batch of shapes has run."""
    return gr.Dataframe(
        label=i18n.label(key),
        interactive=False,
        wrap=True,
        visible=False,
        buttons=[],
        elem_id=elem_id,
        scale=scale,
    )


def _wire(
    view: BatchView,
    handlers: BatchHandlers,
    state: gr.components.Component,
    language: gr.components.Component,
    concurrency_id: str | None,
) -> None:
    # One group with the page's analyses (their shared limit), progress over the gallery.
    work: dict[str, Any] = {
        "concurrency_id": concurrency_id,
        "show_progress_on": [view.summary, view.gallery],
    }
    files = view.run_files.click(
        handlers.files,
        inputs_kwargs={"files": view.files, "state": state, "lang": language},
        outputs=view.outputs(),
        api_name="batch",
        **work,
    )
    shapes = view.run_shapes.click(
        handlers.shapes,
        inputs_kwargs={"count": view.n_shapes, "state": state, "lang": language},
        outputs=view.outputs(),
        api_name="batch_shapes",
        **work,
    )
    view.stop.click(
        handlers.stopped,
        inputs_kwargs={"lang": language},
        outputs=[view.summary],
        cancels=[files, shapes],
        api_visibility="private",
    )


def build_batch_tab(
    get_model: Callable[[Any], Any],
    get_switches: Callable[[Any], dict[str, str]],
    *,
    state: gr.components.Component,
    language: gr.components.Component,
    concurrency_id: str | None = None,
) -> BatchHandlers:
    """Create the batch panel's components and wiring inside the caller's current Blocks context.

    Args:
        get_model: the LoadedModel of a session, from the value of `state`.
        get_switches: the switched blocks (block -> mode) of a session, from the same value.
        state: the page's session state (`gr.State`).
        language: the page's language switch ("en"/"zh"): the handlers write in it.
        concurrency_id: the queue group of the page's analyses (their shared limit). Default:
            None (Gradio's default, one group per event).

    Returns:
        The handlers, bound to the panel's components (`handlers.view`).
    """
    view = _components()
    handlers = BatchHandlers(view, get_model, get_switches)
    _wire(view, handlers, state, language, concurrency_id)
    return handlers
