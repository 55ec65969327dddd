"""Every Gradio internal the app still relies on (`resnet_demo.ui._compat`), pinned.

Each test fails loudly, naming the work-around, when a Gradio upgrade moves what it relies on;
nothing else in the app reaches inside Gradio. Written against Gradio `_compat.TESTED_GRADIO`.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path

import gradio as gr
import gradio.component_meta as component_meta
import numpy as np
import pytest
from gradio.components.image_editor import AcceptBlobs, EditorData
from gradio.data_classes import FileData
from gradio.processing_utils import move_files_to_cache
from gradio.route_utils import delete_files_created_by_app
from PIL import Image

from resnet_demo.ui import _compat
from resnet_demo.ui.pictures import png_bytes, png_file
from resnet_demo.ui.server import head_html, page_css

ASSETS = Path(gr.__file__).parent / "templates" / "frontend" / "assets"
UI = Path(_compat.__file__).parent
PACKAGE = UI.parent
STATIC = UI / "static"


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


def static_files() -> list[Path]:
    """The page's CSS and scripts that meet Gradio's components; not the strip's own template,
    style and script (`strip.*`), which see only the strip's own HTML."""
    return [p for p in sorted(STATIC.iterdir()) if not p.name.startswith("strip.")]


def selectors(path: Path) -> list[str]:
    """The CSS selectors a static file styles, or its script looks up."""
    text = re.sub(r"/\*.*?\*/", "", path.read_text(encoding="utf-8"), flags=re.S)
    if path.suffix == ".css":
        return re.findall(r"([^{}]+)\{", re.sub(r"\{[^{}]*\}", "{}", text))
    text = re.sub(r"^\s*//.*$", "", text, flags=re.M)
    looked_up = re.findall(r"(?:querySelector(?:All)?|closest|matches)\(\s*(['\"`])(.*?)\1", text)
    tested = re.findall(r"classList\.contains\(\s*['\"]([\w-]+)", text)
    return [selector for _, selector in looked_up] + [f".{name}" for name in tested]


def classes_in(selector: str) -> set[str]:
    return set(re.findall(r"\.(-?[_a-zA-Z][\w-]*)", re.sub(r"\[[^\]]*\]", "", selector)))


def data_testids(selector: str) -> set[str]:
    return set(re.findall(r"\[data-testid\s*=\s*['\"]?([\w-]+)", selector))


def static_classes() -> set[str]:
    return {c for path in static_files() for s in selectors(path) for c in classes_in(s)}


def own_classes() -> set[str]:
    """The classes the app writes itself: in `class="..."` attributes of the HTML it makes,
    `elem_classes` and the scripts' `classList.add`/`toggle` (not the strip's, seen only inside
    the strip)."""
    names: set[str] = set()
    for path in sorted(PACKAGE.rglob("*")):
        if path.suffix not in {".py", ".html", ".js"} or path.name.startswith("strip."):
            continue
        text = path.read_text(encoding="utf-8")
        for value in re.findall(r"class=\\?[\"']([^\"'\\]*)", text):
            names |= set(re.findall(r"[\w-]+", re.sub(r"\{[^}]*\}|\$\{[^}]*\}", " ", value)))
        for value in re.findall(r"elem_classes=(\[[^\]]*\]|\"[^\"]*\")", text):
            names |= set(re.findall(r"[\"']([\w-]+)[\"']", value))
        names |= set(re.findall(r"classList\.(?:add|toggle)\(\s*['\"]([\w-]+)", text))
    return names


def gradio_classes() -> set[str]:
    """Every class Gradio's compiled stylesheets name."""
    css = "\n".join(p.read_text(errors="ignore") for p in sorted(ASSETS.glob("*.css")))
    return set(re.findall(r"\.(-?[_a-zA-Z][\w-]*)", css))


@pytest.mark.parametrize("name", _compat.INTERNAL_CLASSES)
def test_internal_classes_still_exist_and_are_still_used(name: str) -> None:
    assert re.search(rf"\b{re.escape(name)}\b", frontend_text()), (
        f"Gradio no longer uses the class {name!r}: update static/gradio-internals.css and the "
        "head scripts"
    )
    assert name in static_classes(), f"no static file names {name!r}: drop it from the list"
    assert _compat.INTERNAL_CSS in page_css()


@pytest.mark.parametrize("testid", _compat.INTERNAL_TESTIDS)
def test_internal_testids_still_exist_and_are_still_used(testid: str) -> None:
    assert re.search(rf"data-testid=\W?{re.escape(testid)}\b", frontend_text()), (
        f"Gradio no longer marks an element data-testid={testid!r}: update static/alt.html"
    )
    used = {t for path in static_files() for s in selectors(path) for t in data_testids(s)}
    assert testid in used, f"no static file looks up data-testid={testid!r}: drop it"


def test_the_alt_script_reads_only_pinned_parts_of_gradio() -> None:
    """`static/alt.html` finds the top prediction, each picture's label and the thumbnails it
    leaves alone by Gradio's own classes and test ids: each of them pinned."""
    found = selectors(STATIC / "alt.html")
    assert {c for s in found for c in classes_in(s)} == {"confidence-set", "thumbnail-item"}
    assert {t for s in found for t in data_testids(s)} == {"block-label"}
    assert {"confidence-set", "thumbnail-item"} <= set(_compat.INTERNAL_CLASSES)


def test_gr_update_is_still_a_dict_that_is_update_recognises() -> None:
    """`handlers.merge` combines updates as dicts of properties; `is_update` tells them apart
    from plain values by Gradio's mark."""
    update = gr.update(value=3, visible=False)
    assert _compat.is_update(update) and update["value"] == 3 and update["visible"] is False
    assert _compat.is_update({**gr.update(choices=[1, 2]), **gr.update(value=1)})
    assert not any(_compat.is_update(v) for v in ({"value": 3}, None, "update", [update]))


def test_a_handler_sees_the_session_of_the_request_it_answers() -> None:
    """`browser_session` reads the request Gradio sets around a handler (run in its worker
    thread, as served); outside a request it is None."""
    import asyncio

    with gr.Blocks() as demo:
        box = gr.Textbox()
        gr.Button().click(lambda: _compat.browser_session() or "", outputs=box)
    fn = next(iter(demo.fns.values()))
    for browser in ("abc", "other"):
        request = gr.Request(session_hash=browser)
        answer = asyncio.run(demo.process_api(fn, [], state=None, request=request))
        assert answer["data"] == [browser]
    assert _compat.browser_session() is None


def test_the_queue_keeps_one_analytics_record_and_never_summarises(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The queue reads its analytics settings from the environment when `queue()` builds it:
    one record kept however many events join, and the pandas summary not recomputed."""
    for name in _compat.QUEUE_ANALYTICS:
        monkeypatch.delenv(name, raising=False)
    _compat.quiet_queue_analytics()
    with gr.Blocks() as demo:
        gr.Textbox()
    queue = demo.queue()._queue
    assert queue.ANALYTICS_MAX_EVENTS == 1
    assert queue.ANAYLTICS_CACHE_FREQUENCY == 10**9  # Gradio's spelling
    records = [{"function": "f", "status": "success", "process_time": 0.1, "time": 0.0}]
    queue.events_recorded = 10**6  # far past the last summary: still not recomputed
    assert queue.compute_analytics_summary(records) is queue.cached_event_analytics_summary
    assert queue.cached_event_analytics_summary == {"functions": {}}
    monkeypatch.setenv("GRADIO_ANALYTICS_MAX_EVENTS", "7")  # the environment's own value wins
    _compat.quiet_queue_analytics()
    assert demo.queue()._queue.ANALYTICS_MAX_EVENTS == 7


def test_editor_composite_takes_the_drawing_out_of_blob_storage(tmp_path: Path) -> None:
    """A drawing's composite arrives as bytes stored ahead (`accept_blobs`) under the payload's
    id and is read once; an uploaded picture arrives as a file."""
    editor = gr.ImageEditor()
    drawing = png_bytes(np.zeros((8, 8, 3), np.uint8))
    blob = {"type": "composite", "index": None, "file": b"", "id": "abc"}
    editor.accept_blobs(AcceptBlobs(data=blob, files=[("blob", drawing)]))  # type: ignore[arg-type]
    assert _compat.editor_composite(editor, EditorData(id="abc")) == drawing
    assert _compat.editor_composite(editor, EditorData(id="abc")) is None  # taken out
    upload = str(tmp_path / "drawing.png")
    sent = EditorData(composite=FileData(path=upload), id="other")
    assert _compat.editor_composite(editor, sent) == upload
    assert _compat.editor_composite(editor, EditorData()) is None


def test_a_picture_file_is_served_as_it_is_and_cleaned_with_gradios_own_files() -> None:
    """`png_file` writes where Gradio keeps its files: `gr.Image` hands the path out unchanged
    (no copy, no second encoding) and `delete_cache` deletes it like its own files. The pixels
    read back exactly; the same picture is the same file; None stays None."""
    rng = np.random.default_rng(0)
    cells = np.kron(rng.integers(0, 255, (6, 9, 3), dtype=np.uint8), np.ones((16, 16, 1), np.uint8))
    path = png_file(cells)
    assert path is not None and png_file(cells.copy()) == path and png_file(None) is None
    assert Path(path).name == "image.png"  # as gr.Image names its own: a download's file name
    assert _compat.is_inside(path, _compat.upload_folder())
    with Image.open(path) as image:
        assert image.format == "PNG" and not image.info.get("parameters")
        np.testing.assert_array_equal(np.asarray(image), cells)
    with gr.Blocks() as demo:
        picture = gr.Image(format="png", interactive=False)
    sent = move_files_to_cache(picture.postprocess(path), picture, postprocess=True)
    assert sent["path"] == path and sent["url"].endswith(path)
    assert path in picture.temp_files
    delete_files_created_by_app(demo, age=None)
    assert not Path(path).exists()
    assert png_file(cells) == path and Path(path).is_file()  # drawn again: written again


def test_the_docstring_names_every_component_subclass() -> None:
    """`no_stub_files` guards the definition of each of the app's component subclasses; the
    module's docstring lists them all."""
    for path in sorted(UI.rglob("*.py")):
        module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        importlib.import_module(module.removesuffix(".__init__"))
    found, todo = set(), [gr.components.Component]
    while todo:
        for cls in todo.pop().__subclasses__():
            todo.append(cls)
            if cls.__module__.startswith("resnet_demo."):
                found.add(cls.__name__)
    assert len(found) == 7
    assert all(f"`{name}`" in (_compat.__doc__ or "") for name in found), found


PRIVATE_ATTRIBUTES = frozenset(
    {"blob_storage", "GRADIO_CACHE", "temp_files", "keep_in_cache", "_queue"}
)
"""Attributes of Gradio's objects that its documentation does not offer."""

PUBLIC_MODULES = frozenset({"blocks", "components", "events", "i18n", "layouts", "themes"})
"""Gradio's modules whose names the app may spell out (`gr.components.Component`, for types)."""

PRIVATE_STRINGS = ("__type__", "__i18n__")
"""Gradio's internal marks of an update and of a translated string."""


def gradio_internals(source: str) -> list[str]:
    """What in a module's source reaches into Gradio (empty when nothing does): imports of
    Gradio's submodules (but `gradio.themes`), private or undocumented attributes, and
    Gradio's internal marks in strings (docstrings aside)."""
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    public = set(dir(gr)) - (modules_of_gradio() - PUBLIC_MODULES)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if re.match(r"gradio\.(?!themes\b)", a.name)]
        elif isinstance(node, ast.ImportFrom) and re.match(r"gradio\b", node.module or ""):
            names = {a.name for a in node.names}
            if node.module != "gradio.themes" and not (node.module == "gradio" and names <= public):
                found.append(f"from {node.module} import {', '.join(sorted(names))}")
        elif isinstance(node, ast.Attribute):
            root = node.value
            while isinstance(root, ast.Attribute):
                root = root.value
            on_gradio = isinstance(root, ast.Name) and root.id in {"gr", "gradio"}
            private = node.attr.startswith("_") and not node.attr.endswith("__")
            unlisted = node.value is root and node.attr not in public  # gr.utils
            if node.attr in PRIVATE_ATTRIBUTES or (on_gradio and (private or unlisted)):
                found.append(f".{node.attr}")
        elif isinstance(node, ast.Constant) and id(node) not in docstrings:
            found += [mark for mark in PRIVATE_STRINGS if mark in str(node.value)]
    return found


def modules_of_gradio() -> set[str]:
    return {name for name in dir(gr) if inspect.ismodule(getattr(gr, name))}


NOT_YET_FENCED: dict[str, list[str]] = {}
"""Uses still outside `_compat`. Moving one into `_compat` makes the guard fail until it is
taken off this list, so the list never excuses a use that has gone."""


def test_no_other_module_reaches_into_gradio_internals() -> None:
    offenders = {
        str(path.relative_to(PACKAGE)): found
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "_compat.py"
        and (found := gradio_internals(path.read_text(encoding="utf-8")))
    }
    assert offenders == NOT_YET_FENCED, (
        "Gradio's internals outside ui/_compat.py (or NOT_YET_FENCED names one that has moved)"
    )


def test_the_guard_sees_what_it_is_for() -> None:
    """The scan above would catch each kind of reach into Gradio."""
    caught = [
        "import gradio.utils",
        "from gradio.data_classes import ImageData",
        "from gradio import processing_utils",
        "from gradio.component_meta import create_or_modify_pyi",
        "x = gr.utils.get_upload_folder()",
        "x = gr.Image._private",
        "self.blob_storage.pop(key)",
        "folder = image.GRADIO_CACHE",
        "demo._queue.close()",
        "ok = value.get('__type__') == 'update'",
        "key = text.split('__i18n__')",
    ]
    assert all(gradio_internals(line) for line in caught)
    fine = ['"""A docstring on __type__."""', "import gradio as gr", "x = gr.update(value=1)"]
    assert not any(gradio_internals(line) for line in fine)
    assert not gradio_internals("from gradio.themes import Soft\nx = gr.themes.Soft()")


def test_static_files_reach_into_gradio_only_by_pinned_names() -> None:
    """A class the page's CSS or scripts select that Gradio's stylesheets use and the app does
    not write itself is Gradio's internal: it must be pinned (`INTERNAL_CLASSES`), as must every
    `data-testid` and every class that `gradio-internals.css` styles."""
    pinned, own, theirs = set(_compat.INTERNAL_CLASSES), own_classes(), gradio_classes()
    unpinned: dict[str, set[str]] = {}
    for path in static_files():
        found = {c for s in selectors(path) for c in classes_in(s)}
        internal = (found if path.name == "gradio-internals.css" else found & theirs) - own
        testids = {t for s in selectors(path) for t in data_testids(s)}
        missing = (internal - pinned) | (testids - set(_compat.INTERNAL_TESTIDS))
        if missing:
            unpinned[path.name] = missing
    assert unpinned == {}


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
