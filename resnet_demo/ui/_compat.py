"""Work-arounds for Gradio behaviour the app must not inherit.

Gradio's component metaclass writes a `.pyi` stub next to the source file of every `Component`
subclass the moment the class is defined (for Gradio's own development). For an installed app
that means writing into the package directory at import time: files the repository does not
want, and a silent no-op on a read-only install. `no_stub_files()` turns that off while our
component classes are defined.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import gradio.component_meta as component_meta


@contextlib.contextmanager
def no_stub_files() -> Iterator[None]:
    """Define Gradio component subclasses inside this block to keep Gradio from writing `.pyi`."""
    saved = component_meta.create_or_modify_pyi
    component_meta.create_or_modify_pyi = lambda *args, **kwargs: None
    try:
        yield
    finally:
        component_meta.create_or_modify_pyi = saved
