"""Every use of Gradio internals, in one place, each pinned by `tests/test_gradio_compat.py`.

Tested with Gradio 6.31.0 (`TESTED_GRADIO`). Gradio offers no public API for these needs; each is
kept as small as it can be, and the tests fail loudly when an upgrade moves one. The same test
scans the rest of the package and its static files, and fails when Gradio's internals show up
anywhere else:

1. `no_stub_files()`: Gradio's component metaclass writes a `.pyi` stub next to the source file
   of every `Component` subclass the moment the class is defined (for Gradio's own development).
   For an installed app that means writing into the package directory at import time. The app's
   seven subclasses (`UntrustedImage`, `UntrustedSketchpad`, `CheckedSlider` and `UntrustedFiles`
   in `ui/inputs.py`, `BlockStrip` in `ui/strip.py`, `OutputImage` and `OutputGallery` in
   `ui/pictures.py`) override public hooks (`preprocess`, `get_block_name`, `api_info`); only
   their definition needs this guard.
2. `upload_folder()` / `is_inside()`: the uploads an image input may point to. Gradio checks
   only payloads it marked itself; a hand-made API payload naming a server file is refused by
   comparing against Gradio's upload folder, which only `gradio.utils` knows. The output
   pictures (`ui.pictures.png_file`) are written in that folder too, so that Gradio serves them
   as they are and deletes them on its `delete_cache` schedule.
3. `is_update(value)`: whether a handler's value is a `gr.update(...)`; Gradio marks one only by
   its `{"__type__": "update"}` shape.
4. `editor_composite(editor, payload)`: the flattened drawing a `gr.ImageEditor` received, which
   the browser may have sent ahead into the editor's `blob_storage`.
5. `busy_head(lang)`: Gradio's front end answers a full queue with a fixed English sentence
   (`BUSY_GRADIO`), with no setting to word it; a small head script rewrites that text.
6. `INTERNAL_CLASSES` and `INTERNAL_TESTIDS`: Gradio's internal class names and test ids that
   the app's CSS (`INTERNAL_CSS`, `static/gradio-internals.css`: label bars, gallery grid and
   captions, table cells, error toasts) and head scripts (`static/alt.html`, `static/toasts.html`,
   `static/clear_errors.js`) reach inside Gradio's components by.
7. `browser_session()`: the Gradio session of the request a handler is answering, read from the
   context Gradio sets around every handler call, for the few per-browser facts that must not
   ride on the session state (`Handlers` hides the downloads only where they were shown).
8. `quiet_queue_analytics()`: Gradio's queue keeps a record of every event (up to 10,000) for
   its monitoring dashboard and, after every event, rebuilds a pandas summary of all of them,
   even with the dashboard off; two environment variables it reads when it is built bound both.
9. `keep_id(component, same_as)`: Gradio rebuilds a component for every update that carries more
   than a value (and for every output an answer leaves out), under a new id, and may then file
   it under that id as well, in the session's copy of the page. The strip and the output
   pictures (`BlockStrip`, `ui.pictures.OutputImage` and `OutputGallery`) keep their ids.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Mapping
from typing import Any

import gradio as gr
import gradio.component_meta as component_meta
from gradio.utils import get_upload_folder, is_in_or_equal

from resnet_demo.ui.assets import static_text

TESTED_GRADIO = "6.31.0"
"""The Gradio version these work-arounds were written and tested against."""

BUSY_GRADIO = "This application is currently busy. Please try again."
"""What Gradio's front end says when the queue is full (fixed in Gradio's client code)."""

INTERNAL_CLASSES: tuple[str, ...] = (
    "confidence-set",
    "bar",
    "caption-label",
    "grid-container",
    "thumbnail-item",
    "toast-body",
    "toast-message-item",
    "toast-separator",
    "toast-count",
    "toast-close",
    "error",
    "gradio-container",
    "cell-wrap",
)
"""Gradio's internal CSS classes that `gradio-internals.css` styles, or that the head scripts
select: the top prediction (`static/alt.html`), the example thumbnails it leaves alone, and the
error toasts' parts that `static/toasts.html` and `static/clear_errors.js` use."""

INTERNAL_TESTIDS: tuple[str, ...] = ("block-label",)
"""Gradio's `data-testid` values the head scripts select: a picture's label (`static/alt.html`)."""


@contextlib.contextmanager
def no_stub_files() -> Iterator[None]:
    """Define Gradio component subclasses inside this block to keep Gradio from writing `.pyi`."""
    saved = component_meta.create_or_modify_pyi
    component_meta.create_or_modify_pyi = lambda *args, **kwargs: None
    try:
        yield
    finally:
        component_meta.create_or_modify_pyi = saved


def upload_folder() -> str:
    """Gradio's upload cache of this process (`GRADIO_TEMP_DIR`, or Gradio's default)."""
    return str(get_upload_folder())


def is_inside(path: str, folder: str) -> bool:
    """True when `path`, resolved (no `..` or link escapes), lies in `folder`."""
    return bool(is_in_or_equal(path, folder))


def is_update(value: object) -> bool:
    """True for what `gr.update(...)` returns: a dict of properties marked as an update."""
    return isinstance(value, dict) and value.get("__type__") == "update"


def editor_composite(editor: gr.ImageEditor, payload: Any) -> Any:
    """The flattened drawing a `gr.ImageEditor` received, undecoded.

    The browser sends a drawing's composite ahead as bytes, which Gradio keeps in the editor's
    `blob_storage` under the payload's id (taken out here, as Gradio's own `preprocess` does);
    an uploaded picture comes as a file in the upload folder.

    Args:
        editor: the editor that received `payload`.
        payload: Gradio's `EditorData` for the event.

    Returns:
        The composite's bytes or path, or None when there is none.
    """
    if payload.id is not None:
        blobs = editor.blob_storage.pop(payload.id, None)
        if blobs is not None and blobs.composite is not None:
            return blobs.composite
    composite = payload.composite
    return composite.path if composite is not None else None


def busy_head(messages: Mapping[str, str]) -> str:
    """The `<head>` script that words Gradio's "queue full" sentence as the app does.

    Args:
        messages: language code -> the app's sentence; the page's language is the one checked
            in the language switch (`#lang`).

    Returns:
        One `<script>` element (`static/busy.html`, its two placeholders filled in).
    """
    return (
        static_text("busy.html")
        .replace("__MESSAGES__", json.dumps(dict(messages), ensure_ascii=False))
        .replace("__BUSY_GRADIO__", json.dumps(BUSY_GRADIO))
    )


INTERNAL_CSS = static_text("gradio-internals.css")
"""CSS on Gradio's internal classes (`INTERNAL_CLASSES`), appended to the page's own CSS."""


I18N_STRING = "__i18n__"
"""How Gradio writes an `I18nData` that became a string (a Markdown's or a Button's value):
this prefix, then the marker as JSON."""


def i18n_key(value: object) -> str | None:
    """The key of a `gr.I18n` marker, whether `value` is the `I18nData` itself or the string
    Gradio turned it into (`"__i18n__{"key": ...}"`); None for anything else."""
    from gradio.i18n import I18nData

    if isinstance(value, I18nData):
        key = value.key
    elif isinstance(value, str) and value.startswith(I18N_STRING):
        key = json.loads(value[len(I18N_STRING) :]).get("key")
    else:
        return None
    return key if isinstance(key, str) else None


def browser_session() -> str | None:
    """The session hash of the browser whose request the calling handler answers, or None when
    no Gradio request is being handled (a direct call, a test). Gradio sets the request in a
    context variable around the handler (also in its worker thread), with no public getter
    short of a `gr.Request` parameter on every handler."""
    from gradio.context import LocalContext

    request = LocalContext.request.get(None)
    return getattr(request, "session_hash", None) if request is not None else None


QUEUE_ANALYTICS: dict[str, str] = {
    "GRADIO_ANALYTICS_MAX_EVENTS": "1",
    "GRADIO_ANALYTICS_CACHE_FREQUENCY": str(10**9),
}
"""The queue's analytics settings (`quiet_queue_analytics`): keep one event's record, and
recompute the summary once in a billion events."""


def quiet_queue_analytics() -> None:
    """Stop Gradio's queue from recording every event and summarising them after each one.

    Without this, each event adds a record (10,000 kept) and then runs a pandas group-by over
    all the records: memory that grows through a class and CPU per request that grows with it
    (`benchmarks/class_load.py`; docs/performance.md). Only the monitoring dashboard reads
    them, and the app launches with `enable_monitoring=False`. Call before `demo.queue()`, which
    builds the queue; a value already in the environment is kept.
    """
    for name, value in QUEUE_ANALYTICS.items():
        os.environ.setdefault(name, value)


def keep_id(component: gr.components.Component, same_as: int | None) -> None:
    """Keep `component`'s Gradio id through every rebuild: Gradio rebuilds a component from its
    constructor's arguments (`constructor_args`) for each update that carries more than a value
    (and for each output an answer leaves out), and gives the new one a new id. Here the id
    joins those arguments as `same_as`, so a rebuild passes it back and gets it.

    Without it, a rebuilt component that later got a plain value (a picture left out of one
    flip and drawn in the next) or was read as an input (the strip) was filed under its new id in
    the session's copy of the page: one more component and config per such event, kept for the
    session's life.

    Args:
        component: a component of the app's own classes, at the end of its `__init__`.
        same_as: the id it replaces (a rebuild), or None (the page's own component).
    """
    if same_as is not None:
        component._id = same_as
    component._constructor_args[0]["same_as"] = component._id  # the subclass's own arguments
