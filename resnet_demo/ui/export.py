"""Downloads: a card (PNG, no metadata) and its numbers (JSON), for the page and the lab.

`write_files` is the one writer of downloads: every export (the page's result card, each lab
panel's card) goes to a fresh folder under `EXPORT_DIR`, and folders older than `MAX_AGE_S` are
deleted whenever a new one is written.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from resnet_demo.imaging import encode_png
from resnet_demo.models import LoadedModel
from resnet_demo.render import CardContent, report, result_card
from resnet_demo.text import t
from resnet_demo.ui.session import Session
from resnet_demo.ui.views import class_names

EXPORT_DIR = Path(tempfile.gettempdir()) / "resnet-demo-exports"
"""Where export files are written before Gradio copies them into its own cache."""

MAX_AGE_S = 3600.0
"""Export files older than this are deleted whenever a new export is written."""


def card_content(model: LoadedModel, session: Session, notice: Sequence[str] = ()) -> CardContent:
    """What the result card shows for the current view (the CLI's card, through one function),
    with the page's `notice` (a shapes model's, `Handlers.shapes_notice`) under the model line.

    Raises:
        ValueError: the session has no analysed image.
    """
    current, intact = session.current, session.intact
    if current is None or intact is None:
        raise ValueError("nothing to export yet")
    lang = session.settings.lang
    names = class_names(model, lang)
    image_name = session.image_name or t("image_word", lang)
    palette = session.settings.palette
    return report.card_content(
        current, session.comparison, names, image_name, lang, palette, notice
    )


def numbers(model: LoadedModel, session: Session, notice: Sequence[str] = ()) -> dict[str, Any]:
    """The numbers of the current view, JSON-ready (no maps), with the card's `notice`."""
    if session.current is None or session.intact is None:
        raise ValueError("nothing to export yet")
    settings = session.settings
    data: dict[str, Any] = {
        "image": {"name": session.image_name, "sha1": session.digest},
        "settings": {
            "target": settings.target,
            "cam_layer": settings.cam_layer,
            "top_k": settings.top_k,
            "switches": settings.switched,
        },
        "intact": session.intact.to_json(),
    }
    if session.comparison is not None:
        data["switched"] = session.current.to_json()
        data["comparison"] = session.comparison.to_json()
    data["model"] = model.name
    if notice:
        data["notice"] = list(notice)
    return data


def _clean_old(directory: Path, max_age_s: float) -> None:
    """Delete the export folders (and stray files) in `directory` older than `max_age_s` seconds."""
    cutoff = time.time() - max_age_s
    for path in directory.iterdir():
        with contextlib.suppress(OSError):  # another request may be deleting it too
            if path.stat().st_mtime < cutoff:
                shutil.rmtree(path) if path.is_dir() else path.unlink()


def write_files(card: np.ndarray, numbers: dict[str, Any], stem: str) -> tuple[str, str]:
    """Write a card and its numbers to `<stem>.png` and `<stem>.json` in a fresh folder.

    Args:
        card: RGB uint8 (H, W, 3) picture; written as PNG without metadata.
        numbers: JSON-ready dict (NaN and inf already turned into None by the `to_json`s).
        stem: file name without extension, e.g. "lesion-sweep".

    Returns:
        (PNG path, JSON path).

    Raises:
        ValueError: `numbers` holds NaN or inf (`json.dumps(allow_nan=False)`), or `card` is not
            an RGB uint8 picture.
    """
    text = json.dumps(numbers, indent=2, ensure_ascii=False, allow_nan=False)
    png = encode_png(card)
    EXPORT_DIR.mkdir(parents=True, exist_ok=True)
    _clean_old(EXPORT_DIR, MAX_AGE_S)
    folder = Path(tempfile.mkdtemp(prefix=f"{stem}-", dir=EXPORT_DIR))
    png_path, json_path = folder / f"{stem}.png", folder / f"{stem}.json"
    png_path.write_bytes(png)
    json_path.write_text(text, encoding="utf-8")
    return str(png_path), str(json_path)


def write_exports(
    model: LoadedModel, session: Session, notice: Sequence[str] = ()
) -> tuple[str, str]:
    """Write the current view's result card and numbers to fresh files, with `notice` (what a
    shapes model knows, `Handlers.shapes_notice`) on the card and in the numbers.

    Returns:
        (card PNG path, JSON path), named `resnet-demo-<first 10 hex digits of the image's sha1>`.

    Raises:
        ValueError: the session has no analysed image.
    """
    card = result_card(card_content(model, session, notice))
    data = numbers(model, session, notice)
    return write_files(card, data, f"resnet-demo-{session.digest[:10]}")


_FORMULA = ("=", "+", "-", "@", "\t", "\r")
"""First characters a spreadsheet would read as a formula (a file name is the reader's text)."""


def write_csv(rows: Sequence[dict[str, str]], fields: Sequence[str], stem: str) -> str:
    """Write `rows` (dicts with the keys `fields`) to `<stem>.csv` in a fresh folder.

    Text cells that a spreadsheet would run as a formula ("=cmd|...") get a leading "'".

    Returns:
        The CSV's path.
    """
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(fields), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "'" + v if v.startswith(_FORMULA) else v for k, v in row.items()})
    EXPORT_DIR.mkdir(parents=True, exist_ok=True)
    _clean_old(EXPORT_DIR, MAX_AGE_S)
    folder = Path(tempfile.mkdtemp(prefix=f"{stem}-", dir=EXPORT_DIR))
    path = folder / f"{stem}.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return str(path)
