"""Output pictures whose PNG encoding is faster than Gradio's.

Gradio saves an output array with Pillow's default zlib level (6). The maps drawn cell by cell
(raw map, difference, activation and channel grids) are a few flat colours, which zlib's fastest
level packs almost as small in much less time (docs/performance.md, "Where a flip's time goes";
`benchmarks/load.py` counts every request's pictures). `Picture`
is `gr.Image` with that one change; the file lands in Gradio's cache exactly where Gradio would
put it (a folder named by the content's hash), so serving and cleaning it are Gradio's as usual.
"""

from __future__ import annotations

import io
from typing import Any

import gradio as gr
import numpy as np
from PIL import Image

from resnet_demo.ui._compat import cached_picture, no_stub_files

PNG_LEVEL = 1
"""zlib level of the pictures' PNG files: the fastest (the files stay a few KB)."""


def png_bytes(picture: np.ndarray) -> bytes:
    """`picture` (uint8 RGB or grey) as a PNG file at `PNG_LEVEL`, with no metadata."""
    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, format="png", compress_level=PNG_LEVEL)
    return buffer.getvalue()


with no_stub_files():

    class Picture(gr.Image):
        """`gr.Image` (not editable) that writes uint8 arrays as PNG at `PNG_LEVEL`; every other
        value and format goes through `gr.Image` unchanged."""

        def get_block_name(self) -> str:
            """Use the front end of `gr.Image`."""
            return "image"

        def postprocess(self, value: Any) -> Any:
            """The picture as a file in Gradio's cache (PNG at `PNG_LEVEL` for uint8 arrays)."""
            fast = isinstance(value, np.ndarray) and value.dtype == np.uint8
            if not fast or self.format != "png":
                return super().postprocess(value)
            return cached_picture(png_bytes(value), self.GRADIO_CACHE)
