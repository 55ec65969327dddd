"""Every Gradio internal the app still relies on (`resnet_demo.ui._compat`), pinned.

Each test fails loudly, naming the work-around, when a Gradio upgrade moves what it relies on;
nothing else in the app reaches inside Gradio. Written against Gradio `_compat.TESTED_GRADIO`.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import gradio as gr
import gradio.component_meta as component_meta
import numpy as np
import pytest
from gradio.processing_utils import hash_bytes
from PIL import Image

from resnet_demo.ui import _compat
from resnet_demo.ui.pictures import Picture, png_bytes
from resnet_demo.ui.server import head_html, page_css

ASSETS = Path(gr.__file__).parent / "templates" / "frontend" / "assets"
UI = Path(_compat.__file__).parent


def frontend_text() -> str:
    """All of Gradio's compiled front end, as text."""
    return "\n".join(p.read_text(errors="ignore") for p in sorted(ASSETS.glob("*.js")))


def test_the_tested_gradio_is_installed() -> None:
    assert gr.__version__ == _compat.TESTED_GRADIO, (
        f"Gradio {gr.__version__} is installed; ui/_compat.py was tested with "
        f"{_compat.TESTED_GRADIO}: re-run these tests and update TESTED_GRADIO"
    )


def test_stub_writer_is_still_where_no_stub_files_patches_it() -> None:
    writer = component_meta.create_or_modify_pyi
    assert list(inspect.signature(writer).parameters) == ["component_class", "class_name", "events"]
    with _compat.no_stub_files():
        assert component_meta.create_or_modify_pyi is not writer
    assert component_meta.create_or_modify_pyi is writer


def test_defining_our_components_writes_no_stub_files() -> None:
    with _compat.no_stub_files():

        class Probe(gr.Slider):
            pass

    assert Probe.__name__ == "Probe"
    assert not list(UI.glob("*.pyi")), "Gradio wrote .pyi stubs into resnet_demo/ui"


def test_upload_folder_helpers_keep_their_meaning(tmp_path: Path) -> None:
    folder = _compat.upload_folder()
    assert Path(folder).is_absolute()
    assert _compat.is_inside(str(Path(folder) / "abc" / "x.png"), folder)
    assert not _compat.is_inside(f"{folder}/abc/../../etc/passwd", folder)
    assert not _compat.is_inside(str(tmp_path / "x.png"), folder)


def test_gradio_still_says_what_the_busy_rewrite_expects() -> None:
    """The head script rewrites Gradio's fixed "queue full" text: fail loudly if that changes."""
    assert _compat.BUSY_GRADIO in frontend_text()
    head = head_html()
    # Five scripts: the page's language, the busy rewrite, the pictures' text alternatives
    # (placeholders filled), the sliders' keyboard release and the error messages said once.
    assert head.count("<script>") == 5
    assert not any(
        key in head
        for key in ("__TAGS__", "__MESSAGES__", "__BUSY_GRADIO__", "__PANELS__", "__TOP__")
    )


def test_gradio_sliders_and_dropdowns_still_work_as_the_keyboard_script_expects() -> None:
    """`static/keys.html` releases a slider moved by a key with a synthetic `pointerup` (on which
    Gradio's slider dispatches `release`), and picks a dropdown's highlighted option (named by
    the combobox's `aria-activedescendant`) with a synthetic `mousedown`, as a mouse pick does.
    The keyboard browser test checks both for real."""
    text = frontend_text()
    assert "range slider for" in text and "dispatch(`release`" in text
    assert re.search(r"`pointerup`,\w+,\w+\)", text)
    assert "aria-activedescendant" in text and "combobox" in text
    assert "dropdown-option" in text and "`mousedown`" in text


@pytest.mark.parametrize("name", _compat.INTERNAL_CLASSES)
def test_internal_classes_the_css_styles_still_exist(name: str) -> None:
    assert re.search(rf"\b{re.escape(name)}\b", frontend_text()), (
        f"Gradio no longer uses the class {name!r}: update static/gradio-internals.css"
    )
    assert name in _compat.INTERNAL_CSS and _compat.INTERNAL_CSS in page_css()


def test_a_picture_lands_where_gradio_puts_its_own_and_reads_back_the_same(
    tmp_path: Path,
) -> None:
    """`Picture` writes its PNG (faster zlib level) where `gr.Image` would: the cache folder named
    by Gradio's content hash; the pixels read back exactly; non-arrays go through `gr.Image`."""
    rng = np.random.default_rng(0)
    cells = np.kron(rng.integers(0, 255, (6, 9, 3), dtype=np.uint8), np.ones((16, 16, 1), np.uint8))
    picture = Picture(format="png")
    picture.GRADIO_CACHE = str(tmp_path)
    data = picture.postprocess(cells)
    path = Path(data.path)
    assert path.parent == tmp_path / hash_bytes(png_bytes(cells)) and path.name == "image.png"
    with Image.open(path) as image:
        assert image.format == "PNG" and not image.info.get("parameters")
        np.testing.assert_array_equal(np.asarray(image), cells)
    reference = gr.Image(format="png")
    reference.GRADIO_CACHE = str(tmp_path / "gradio")
    assert Path(reference.postprocess(cells).path).parent.parent == tmp_path / "gradio"
    assert picture.postprocess(None) is None
    jpeg = Picture(format="jpeg")
    jpeg.GRADIO_CACHE = str(tmp_path)
    assert Path(jpeg.postprocess(cells).path).suffix in {".jpeg", ".jpg"}


def test_no_other_module_reaches_into_gradio_internals() -> None:
    private = re.compile(
        r"from gradio\.(?!themes\b)[\w.]+ import|import gradio\.\w|gradio\.utils|\._queue\b"
    )
    offenders = [
        path.name
        for path in sorted(UI.rglob("*.py"))
        if path.name != "_compat.py" and private.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_an_i18n_marker_keeps_its_key_as_gradio_writes_it_into_a_string() -> None:
    """`i18n_key` reads the key of a `gr.I18n` marker, and of the string Gradio makes of one
    when it becomes a Markdown's or a Button's value (the page's relabelling finds it there)."""
    marker = gr.I18n(en={"rd_x": "X"})("rd_x")
    assert _compat.i18n_key(marker) == "rd_x"
    assert _compat.i18n_key(gr.Markdown(marker).value) == "rd_x"
    assert _compat.i18n_key(gr.Button(marker).value) == "rd_x"
    assert str(gr.Button(marker).value).startswith(_compat.I18N_STRING)
    assert _compat.i18n_key("plain words") is None
    assert _compat.i18n_key(None) is None
