"""The one download writer (`ui.export.write_files`) and the one error wrapper (`ui.errors`)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import gradio as gr
import numpy as np
import pytest

from resnet_demo.errors import DemoError, InvalidValue, Term
from resnet_demo.text import t
from resnet_demo.ui import errors, export


@pytest.fixture
def export_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(export, "EXPORT_DIR", tmp_path / "exports")
    return tmp_path / "exports"


def _card() -> np.ndarray:
    return np.arange(24 * 32 * 3, dtype=np.uint8).reshape(24, 32, 3)


def test_write_files_writes_a_bare_png_and_strict_json(export_dir: Path) -> None:
    png, data = map(Path, export.write_files(_card(), {"a": 1.5, "b": None}, "lesion-sweep"))
    assert png.parent == data.parent and png.parent.parent == export_dir
    assert (png.name, data.name) == ("lesion-sweep.png", "lesion-sweep.json")
    raw = png.read_bytes()
    assert raw.startswith(b"\x89PNG") and b"tEXt" not in raw and b"eXIf" not in raw
    assert json.loads(data.read_text(encoding="utf-8")) == {"a": 1.5, "b": None}
    again, _ = export.write_files(_card(), {}, "lesion-sweep")
    assert Path(again).parent != png.parent  # every export gets its own folder


def test_write_files_refuses_nan_before_writing_anything(export_dir: Path) -> None:
    with pytest.raises(ValueError, match="JSON"):
        export.write_files(_card(), {"loss": float("nan")}, "race")
    assert not export_dir.exists() or not any(export_dir.iterdir())


def test_old_exports_are_cleaned_when_a_new_one_is_written(export_dir: Path) -> None:
    old_png, _ = export.write_files(_card(), {}, "old")
    past = time.time() - export.MAX_AGE_S - 60
    os.utime(Path(old_png).parent, (past, past))
    new_png, _ = export.write_files(_card(), {}, "new")
    assert not Path(old_png).exists() and Path(new_png).exists()


def _handler(problem: Exception | None, lang: str = "en") -> str:
    if problem is not None:
        raise problem
    return "fine"


def _stream(problem: Exception, lang: str = "en") -> Iterator[int]:
    yield 1
    raise problem


def test_a_demo_error_is_worded_in_the_pages_language() -> None:
    problem = InvalidValue("value_out_of_range", name=Term("field_depth"), low=8, high=56, value=3)
    wrapped = errors.user_errors(_handler)
    assert wrapped(None) == "fine"
    with pytest.raises(gr.Error) as caught:
        wrapped(problem, lang="zh")
    assert caught.value.message == f"{t('err_setting', 'zh')}：{problem.words('zh')}"


def test_a_stream_fails_with_the_same_short_error() -> None:
    stream = errors.user_errors(_stream)(DemoError("err_depths"), "zh")
    assert next(stream) == 1
    with pytest.raises(gr.Error, match=t("err_depths", "zh")):
        next(stream)


def test_a_bug_is_logged_and_the_user_gets_a_generic_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with pytest.raises(gr.Error) as caught:
        errors.user_errors(_handler)(KeyError("internal detail"), lang="en")
    assert "internal detail" not in caught.value.message
    assert caught.value.message.startswith(t("err_failed", "en"))
    assert "internal detail" in caplog.text


def test_long_messages_are_cut_to_max_message() -> None:
    with pytest.raises(gr.Error) as caught:
        errors.user_errors(_handler)(DemoError("image_word"), lang="en")
    assert len(caught.value.message) < errors.MAX_MESSAGE  # short ones are kept whole
    long = errors.user_error(errors.NoImageError("x" * 5000), "en")
    title = t("err_no_image", "en") + ": "
    assert len(long.message) == len(title) + errors.MAX_MESSAGE
    assert long.message.endswith("…")
