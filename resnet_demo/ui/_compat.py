"""Every use of Gradio internals, in one place, each pinned by `tests/test_gradio_compat.py`.

Tested with Gradio 6.31.0 (`TESTED_GRADIO`). Gradio offers no public API for these five needs;
each is kept as small as it can be, and the tests fail loudly when an upgrade moves one:

1. `no_stub_files()`: Gradio's component metaclass writes a `.pyi` stub next to the source file
   of every `Component` subclass the moment the class is defined (for Gradio's own development).
   For an installed app that means writing into the package directory at import time. Our three
   subclasses (`UntrustedImage`, `UntrustedSketchpad`, `CheckedSlider`, `BlockStrip`) override
   the public `preprocess`/`api_info` hooks; only their definition needs this guard.
2. `upload_folder()` / `is_inside()`: the uploads an image input may point to. Gradio checks
   only payloads it marked itself; a hand-made API payload naming a server file is refused by
   comparing against Gradio's upload folder, which only `gradio.utils` knows.
3. `busy_head(lang)`: Gradio's front end answers a full queue with a fixed English sentence
   (`BUSY_GRADIO`), with no setting to word it; a small head script rewrites that text.
4. `INTERNAL_CSS` (`static/gradio-internals.css`): a few rules that reach inside Gradio's
   components (label bars, gallery grid and captions, table cells) by their internal classes.
5. `cached_picture(data, cache_dir)`: an output picture encoded by the app (`ui.pictures`,
   PNG at a faster zlib level than Gradio's), put in Gradio's cache where Gradio would put it
   (a folder named by Gradio's content hash) and described with Gradio's `ImageData`.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping
from pathlib import Path

import gradio.component_meta as component_meta
from gradio.data_classes import ImageData
from gradio.processing_utils import hash_bytes
from gradio.utils import get_upload_folder, is_in_or_equal

from resnet_demo.ui.assets import static_text

TESTED_GRADIO = "6.31.0"
"""The Gradio version these work-arounds were written and tested against."""

BUSY_GRADIO = "This application is currently busy. Please try again."
"""What Gradio's front end says when the queue is full (fixed in Gradio's client code)."""

INTERNAL_CLASSES: tuple[str, ...] = (
    "confidence-set",
    "caption-label",
    "grid-container",
    "toast-body",
    "toast-message-item",
    "toast-separator",
    "toast-count",
    "toast-close",
    "gradio-container",
    "cell-wrap",
)
"""Gradio's internal CSS classes that `gradio-internals.css` styles (or names: the error toasts'
parts that `static/toasts.html` and `static/clear_errors.js` use)."""


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


def cached_picture(data: bytes, cache_dir: str, name: str = "image.png") -> ImageData:
    """Write an encoded picture into Gradio's cache as Gradio's own `save_pil_to_cache` does
    (`cache_dir`/<content hash>/`name`) and describe it as `gr.Image` output does."""
    folder = Path(cache_dir) / hash_bytes(data)
    folder.mkdir(parents=True, exist_ok=True)
    path = (folder / name).resolve()
    path.write_bytes(data)
    return ImageData(path=str(path), orig_name=name)


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
