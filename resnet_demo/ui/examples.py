"""Example images: shapes for the models that know only the shapes, photos for the others.

A shapes model is never offered a photo (it would give it a shape's label; the page's notice
under the predictions says so when a photo is uploaded anyway); the gallery changes with the
model (`Handlers.model_parts`).

They are decoded once (through `imaging.decode_image`, like every image) and kept in memory:
the gallery and the input show these arrays, so Gradio never has to serve a file from the
project folder (no extra `allowed_paths`), and a click costs no decoding.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from resnet_demo.imaging import decode_image
from resnet_demo.models import EMBEDDED_MODELS
from resnet_demo.shapes import CLASS_NAMES, class_names_in

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "assets" / "examples"
"""Shipped example images (see assets/ATTRIBUTION.md)."""

PHOTOS = ("chelsea.jpg", "coffee.jpg", "astronaut.jpg", "rocket.jpg")

MARKS = {
    "circle": "●",
    "square": "■",
    "triangle": "▲",
    "star": "★",
    "cross": "✚",
    "ring": "◎",
    "hexagon": "⬢",
    "heart": "♥",
    "arrow": "➜",
    "crescent": "☾",
}
"""A glyph before each shape's caption: a phone's gallery cuts captions to about three
characters ("he…" for both heart and hexagon); the glyph stays, in either language."""


@dataclass(frozen=True, eq=False)
class Example:
    """One example image.

    Attributes:
        name: file name, e.g. "chelsea.jpg".
        caption: what the gallery writes under it.
        image: RGB uint8 (H, W, 3), read-only (shared by every session).
    """

    name: str
    caption: str
    image: np.ndarray


def _load(paths: list[Path], caption_of: dict[str, str] | None = None) -> tuple[Example, ...]:
    examples = []
    for path in paths:
        image = decode_image(path)
        image.flags.writeable = False
        caption = (caption_of or {}).get(path.name, path.stem)
        examples.append(Example(path.name, caption, image))
    return tuple(examples)


@cache
def photos() -> tuple[Example, ...]:
    """The ImageNet photos that are present."""
    return _load([EXAMPLES_DIR / n for n in PHOTOS if (EXAMPLES_DIR / n).is_file()])


@cache
def shapes() -> tuple[Example, ...]:
    """The shape examples of the embedded model (`shapes_*.png`), if present."""
    paths = sorted(EXAMPLES_DIR.glob("shapes_*.png"))
    captions = {p.name: p.stem.removeprefix("shapes_").replace("_", " ") for p in paths}
    return _load(paths, captions)


def examples_for(model_name: str) -> tuple[Example, ...]:
    """The examples that suit a model: shapes for the embedded ones (photos when there are no
    shape files), photos for every ImageNet model, which can classify them."""
    if model_name in EMBEDDED_MODELS:
        return shapes() or photos()
    return photos()


def gallery_value(model_name: str, lang: str = "en") -> list[tuple[np.ndarray, str]]:
    """The gallery's value: (image, caption) pairs; a shape's caption is its glyph (`MARKS`)
    and its name in `lang`."""
    names = dict(zip(CLASS_NAMES, class_names_in(lang), strict=True))
    return [(e.image, _caption(e.caption, names)) for e in examples_for(model_name)]


def _caption(caption: str, names: dict[str, str]) -> str:
    """A shape's glyph and name ("♥ heart", "♥ 心形"); any other caption as it is."""
    name = names.get(caption, caption)
    return f"{MARKS[caption]} {name}" if caption in MARKS else name
