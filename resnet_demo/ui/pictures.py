"""Output pictures as PNG files at zlib's fastest level, handed to `gr.Image` by path.

Gradio saves an output array with Pillow's default zlib level (6). The maps drawn cell by cell
(raw map, difference, activation and channel grids, the faithfulness chart) are a few flat
colours, which zlib's fastest level packs almost as small in much less time (docs/performance.md,
"Where a flip's time goes"; `benchmarks/load.py` counts every request's pictures). A handler gives
such a picture to its `gr.Image` as the path `png_file` returns, which is public Gradio API. The
file lies in this process's folder inside Gradio's cache (`GRADIO_TEMP_DIR`, set by
`server.serve`): Gradio serves it as it is, without a copy, and deletes it as its own files, on the
`delete_cache` schedule (`layout.DELETE_CACHE`) and when the server closes; the folder goes when
the process ends.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import inspect
import io
import os
import secrets
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
from PIL import Image

from resnet_demo.ui._compat import keep_id, no_stub_files, upload_folder

PNG_LEVEL = 1
"""zlib level of the pictures' PNG files: the fastest (the files stay a few KB)."""

NAME = "image.png"
"""Every picture's file name (a download saves it under this name); its folder is named by the
picture's content."""

_SALT = secrets.token_bytes(16)
"""Mixed into the content's hash, so that nobody can tell from a folder's name whether a given
picture was drawn."""


def png_bytes(picture: np.ndarray) -> bytes:
    """`picture` (uint8 RGB or grey) as a PNG file at `PNG_LEVEL`, with no metadata."""
    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, format="png", compress_level=PNG_LEVEL)
    return buffer.getvalue()


def png_file(picture: np.ndarray | None) -> str | None:
    """`picture` written as a PNG file (`png_bytes`) for a `gr.Image` to show.

    The file's folder is named by its content, so the same picture drawn again (another session
    on the same example) is the same file: it is touched instead of written, and Gradio's cache
    cleaning counts its age from then.

    Args:
        picture: uint8 RGB or grey; None for an empty picture.

    Returns:
        The file's path in this process's picture folder, or None for None.
    """
    if picture is None:
        return None
    data = png_bytes(picture)
    path = _folder(upload_folder()) / hashlib.sha256(_SALT + data).hexdigest()[:40] / NAME
    if not still_there(str(path)):
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = path.with_name(f".{NAME}.{os.getpid()}.{threading.get_ident()}")
        staging.write_bytes(data)
        os.replace(staging, path)  # whole or absent, also for a request reading it now
    return str(path)


def still_there(picture: str | None) -> bool:
    """Whether a picture `png_file` wrote can be sent again: None, or its file still on disk
    (touched, so Gradio's cache cleaning, which deletes files an hour old, counts from now)."""
    if picture is None:
        return True
    try:
        os.utime(picture)
    except OSError:
        return False
    return True


@functools.cache
def _folder(cache: str) -> Path:
    """This process's picture folder in Gradio's cache `cache`, removed when the process ends."""
    Path(cache).mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="pictures-", dir=cache))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def _init_with_same_as(base: type[gr.components.Component]) -> Any:
    """An `__init__` for a subclass of `base` that takes `same_as` (`_compat.keep_id`) and shows
    `base`'s parameters to Gradio, which reads a component's config from its signature."""

    def __init__(self: Any, *args: Any, same_as: int | None = None, **kwargs: Any) -> None:
        base.__init__(self, *args, **kwargs)
        keep_id(self, same_as)

    signature = inspect.signature(base.__init__)
    same_as = inspect.Parameter("same_as", inspect.Parameter.KEYWORD_ONLY, default=None)
    kinds = list(signature.parameters.values())
    if kinds and kinds[-1].kind is inspect.Parameter.VAR_KEYWORD:
        kinds.insert(len(kinds) - 1, same_as)
    else:
        kinds.append(same_as)
    __init__.__signature__ = signature.replace(parameters=kinds)  # type: ignore[attr-defined]  # read by inspect.signature
    return __init__


with no_stub_files():

    class OutputImage(gr.Image):
        """An output picture: `gr.Image` that keeps its Gradio id when Gradio rebuilds it
        (`_compat.keep_id`; a flip leaves an unchanged picture out of its answer)."""

        __init__ = _init_with_same_as(gr.Image)

        def get_block_name(self) -> str:
            return "image"

    class OutputGallery(gr.Gallery):
        """A row of output pictures: `gr.Gallery` that keeps its Gradio id when Gradio
        rebuilds it (`_compat.keep_id`)."""

        __init__ = _init_with_same_as(gr.Gallery)

        def get_block_name(self) -> str:
            return "gallery"
