"""The page's CSS, JavaScript and HTML templates, kept as files in `static/` beside this module."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def static_text(name: str) -> str:
    """The text of `static/<name>` (e.g. "page.css"), read once through `importlib.resources`.

    Raises:
        FileNotFoundError: no such file in the package.
    """
    return resources.files("resnet_demo.ui").joinpath("static", name).read_text(encoding="utf-8")
