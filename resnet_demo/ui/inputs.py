"""Image inputs that hand the app the untrusted file itself, never a picture Gradio decoded.

`gr.Image` and `gr.ImageEditor` open every upload with Pillow before the app sees it, and turn
`data:` URLs into images the same way; a bomb or a damaged file would fail there with Gradio's
message, or not fail at all. These subclasses keep Gradio's front end (same Svelte component)
but replace `preprocess`: the handler receives a path, a `data:` URL or raw bytes, and every
one of them goes through `imaging.decode_image`, the one place that knows how to refuse a file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np

from resnet_demo.imaging import ImageError, data_url_to_bytes, decode_image
from resnet_demo.text import t
from resnet_demo.ui._compat import editor_composite, is_inside, no_stub_files, upload_folder

ImageSource = str | bytes
"""A path in Gradio's upload cache, a `data:` URL, or the bytes of a file."""

MAX_STORED_PIXELS = 2_000_000
"""Larger images are shrunk (area filter) before they are kept in a session: the models see at
most 256 px of the shorter side, and thirty sessions must not each hold a 40-megapixel photo."""

NOT_UPLOADED = t("page_not_uploaded", "en")
"""Why a file name was refused (English: `preprocess` does not know the page's language)."""


def uploaded_path(path: str) -> str:
    """`path` if it lies in Gradio's upload cache (resolved: no `..` or link escapes).

    Gradio checks only payloads marked `meta=gradio.FileData`; a hand-made API payload such as
    `{"path": "/home/teacher/photo.png"}` would otherwise reach the decoder. Every refused path
    gets the same words, so the answer reveals nothing about the server's files.

    Raises:
        gr.Error: for any path outside the upload cache.
    """
    if not is_inside(path, upload_folder()):
        raise gr.Error(NOT_UPLOADED, print_exception=False)
    return path


UploadedFile = tuple[str, str]
"""(path in Gradio's upload cache, the name the file had on the reader's machine)."""


def read_image(source: object) -> np.ndarray:
    """Decode what an image input delivered into the RGB image the session keeps.

    Args:
        source: a path, a `data:` URL, or bytes (anything else is refused).

    Returns:
        RGB uint8 (H, W, 3); shrunk with an area filter when larger than `MAX_STORED_PIXELS`.

    Raises:
        ImageError: the input is not a supported, sane image (the message is for the user).
    """
    if isinstance(source, str) and source[:5].lower() == "data:":
        image = decode_image(data_url_to_bytes(source))
    elif isinstance(source, bytes):
        image = decode_image(source)
    elif isinstance(source, str) and source:
        image = decode_image(Path(source))
    else:
        raise ImageError("image_not_image_file")
    return shrink(image, MAX_STORED_PIXELS)


def shrink(image: np.ndarray, max_pixels: int) -> np.ndarray:
    """`image` scaled down (aspect kept, area filter) to at most `max_pixels`; else a copy.

    Args:
        image: RGB uint8 (H, W, 3). Not modified.
        max_pixels: pixel budget (>= 1).

    Returns:
        New RGB uint8 array.
    """
    from PIL import Image

    h, w = image.shape[:2]
    if h * w <= max_pixels:
        return image.copy()
    scale = (max_pixels / (h * w)) ** 0.5
    size = (max(1, int(w * scale)), max(1, int(h * scale)))
    return np.asarray(Image.fromarray(image).resize(size, Image.Resampling.BOX)).copy()


with no_stub_files():

    class UntrustedImage(gr.Image):
        """`gr.Image` whose value reaches the handler undecoded: a file path or a `data:` URL."""

        def get_block_name(self) -> str:
            """Use the front end of `gr.Image`."""
            return "image"

        def preprocess(self, payload: Any) -> ImageSource | None:  # type: ignore[override]  # returns the undecoded source, not an image
            """Pass the upload on without opening it.

            Returns:
                The `data:` URL when the client sent one, else the path of the uploaded file, or
                None when the field is empty.
            """
            if payload is None:
                return None
            url = getattr(payload, "url", None)
            if isinstance(url, str) and url[:5].lower() == "data:":
                return url
            path = getattr(payload, "path", None)
            return uploaded_path(str(path)) if path else None

    class UntrustedSketchpad(gr.ImageEditor):
        """`gr.ImageEditor` used as a sketchpad whose composite reaches the handler undecoded."""

        def get_block_name(self) -> str:
            """Use the front end of `gr.ImageEditor`."""
            return "imageeditor"

        def preprocess(self, payload: Any) -> ImageSource | None:  # type: ignore[override]  # returns the undecoded source, not an image
            """Pass the flattened drawing on without opening it.

            The browser sends the composite (`payload`, Gradio's `EditorData`) either as an
            uploaded file or, for drawings, as bytes stored earlier under `payload.id`.

            Returns:
                The composite's path or bytes, or None when nothing was drawn.
            """
            if payload is None:
                return None
            composite = editor_composite(self, payload)
            if isinstance(composite, bytes | bytearray | memoryview):
                return bytes(composite)
            return uploaded_path(str(composite)) if composite else None

    class CheckedSlider(gr.Slider):
        """`gr.Slider` that leaves values of the wrong type to the handler.

        Gradio's own check fails on a string or None with an internal error (shown to users as
        a generic failure); numbers still get Gradio's range check ("greater than maximum
        value 10"), anything else reaches the handler, which answers "top-k must be a whole
        number".
        """

        def get_block_name(self) -> str:
            """Use the front end of `gr.Slider`."""
            return "slider"

        def preprocess(self, payload: Any) -> Any:
            """Range-check numbers as Gradio does; pass anything else on unchanged."""
            if isinstance(payload, int | float) and not isinstance(payload, bool):
                return super().preprocess(payload)
            return payload

    class UntrustedFiles(gr.File):
        """`gr.File` (several files) whose files reach the handler unchecked and unopened.

        Gradio's own `preprocess` refuses the whole upload when one file's name does not match
        `file_types` (a .zip among 20 photos would cost the 20), and trusts a hand-made path.
        This one passes every file on as (path, name), each path checked against the upload
        cache (`uploaded_path`); the handler decodes each through `imaging.decode_image`, which
        refuses what is not an image by its bytes, file by file. `file_types` still filters the
        browser's file dialog.
        """

        def get_block_name(self) -> str:
            """Use the front end of `gr.File`."""
            return "file"

        def preprocess(self, payload: Any) -> list[UploadedFile] | None:  # type: ignore[override]  # (path, name) pairs, not paths
            """The uploaded files as (path, name) pairs, in the order sent, or None for none.

            Raises:
                gr.Error: a path outside the upload cache (`uploaded_path`).
            """
            if payload is None:
                return None
            files = getattr(payload, "root", None)
            files = files if isinstance(files, list) else [payload]
            found = []
            for item in files:
                path = getattr(item, "path", None)
                if not path:
                    continue
                name = getattr(item, "orig_name", None) or Path(str(path)).name
                found.append((uploaded_path(str(path)), str(name)))
            return found
