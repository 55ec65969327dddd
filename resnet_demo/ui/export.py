"""Downloads of the current view: a result card (PNG, no metadata) and its numbers (JSON)."""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from resnet_demo.imaging import encode_png
from resnet_demo.models import LoadedModel
from resnet_demo.render import CardContent, report, result_card
from resnet_demo.ui.i18n import tr
from resnet_demo.ui.session import Session
from resnet_demo.ui.views import class_names

EXPORT_DIR = Path(tempfile.gettempdir()) / "resnet-demo-exports"
"""Where export files are written before Gradio copies them into its own cache."""

MAX_AGE_S = 3600.0
"""Export files older than this are deleted whenever a new export is written."""


def card_content(model: LoadedModel, session: Session) -> CardContent:
    """What the result card shows for the current view (the CLI's card, through one function).

    Raises:
        ValueError: the session has no analysed image.
    """
    current, intact = session.current, session.intact
    if current is None or intact is None:
        raise ValueError("nothing to export yet")
    lang = session.settings.lang
    names = class_names(model, lang)
    image_name = session.image_name or tr("image_word", lang)
    return report.card_content(current, session.comparison, names, image_name, lang)


def numbers(model: LoadedModel, session: Session) -> dict[str, Any]:
    """The numbers of the current view, JSON-ready (no maps)."""
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
    return data


def _clean_old(directory: Path, max_age_s: float) -> None:
    """Delete the export folders older than `max_age_s` seconds."""
    cutoff = time.time() - max_age_s
    for path in directory.iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                shutil.rmtree(path) if path.is_dir() else path.unlink()
        except OSError:
            continue


def write_exports(model: LoadedModel, session: Session) -> tuple[str, str]:
    """Write the card and the numbers to fresh files.

    Returns:
        (card PNG path, JSON path).

    Raises:
        ValueError: the session has no analysed image.
    """
    card = result_card(card_content(model, session))
    EXPORT_DIR.mkdir(parents=True, exist_ok=True)
    _clean_old(EXPORT_DIR, MAX_AGE_S)
    stem = f"resnet-demo-{session.digest[:10]}-{time.time_ns() % 10**9}"
    directory = Path(tempfile.mkdtemp(prefix=stem, dir=EXPORT_DIR))
    card_path = directory / "result-card.png"
    json_path = directory / "result.json"
    card_path.write_bytes(encode_png(card))
    json_path.write_text(
        json.dumps(numbers(model, session), indent=2, ensure_ascii=False), encoding="utf-8"
    )
    return str(card_path), str(json_path)
