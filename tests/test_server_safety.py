"""The running app against untrusted input: bad files, forged payloads, file-route traversal,
queue bypass and values of the wrong type in every field.

The app runs once for the whole test run (conftest's `app`) on a free loopback port with the
embedded model and the server's own settings (`tests/app_server.py`). Requests go through
`gradio_client` like any API client, or through the wire protocol by hand where the client would
rewrite the payload (it uploads any local path it is given). Every refusal must reach the
client as the short sentence the app wrote, never a traceback or a path on the server, and the
next good request must still work.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable
from pathlib import Path

import httpx
import image_fixtures as fx
import numpy as np
import pytest
from app_server import (
    UPLOAD_DIR,
    RunningApp,
    default_model,
    new_client,
    output_positions,
    raw_call,
    raw_get,
    raw_post,
    raw_upload,
)
from conftest import count_hooks
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from resnet_demo.analysis import analyze
from resnet_demo.imaging import decode_image
from resnet_demo.models import LoadedModel
from resnet_demo.ui import launch_kwargs, parse_args, server
from resnet_demo.ui.inputs import read_image
from resnet_demo.ui.layout import DELETE_CACHE
from resnet_demo.ui.server import MAX_FILE_SIZE
from resnet_demo.ui.views import class_names

pytestmark = pytest.mark.server

FIELD: dict[str, int] = {}
"""Position of each view output in a client's answer, by name (from the running app's config)."""
IMAGE_TITLE = "Could not read this image: "
SETTING_TITLE = "Invalid setting: "
NOT_SUPPORTED = "This file is not a supported image (JPEG, PNG, WebP, GIF, BMP or TIFF)"
TOLERANCE = 1e-5
"""Probabilities sent as JSON floats vs. the same analysis run in this process."""
SECRETS = (b"secret-author", b"SecretCam")
"""Metadata the fixtures carry (PNG tEXt author, EXIF camera make) that must never come back."""
PASSWD_MARKERS = ("root:x:0:0", "/bin/bash", "/usr/sbin/nologin", "daemon:")
INTERNALS = ("Traceback", 'File "', "site-packages", "/work/", "upstream Gradio app")
"""Text that would mean a traceback, a server path or Gradio's "something broke" leaked out."""

# The parameters of /analyze after the image, as the page sends them, for hand-made payloads.
ANALYZE_REST: list = [None, -1, "gradcam", "layer4", 5, 0.5, {"modes": {}}, "en"]
"""The controls after the image, in wire order: state, target, method, layer, top-k, opacity,
switches, language."""


def file_data(path: str | None = None, url: str | None = None) -> dict:
    """A Gradio FileData payload."""
    return {"path": path, "url": url, "meta": {"_type": "gradio.FileData"}}


def data_url(content: bytes, media_type: str = "image/png") -> str:
    """`content` as a base64 `data:` URL."""
    return f"data:{media_type};base64,{base64.b64encode(content).decode()}"


def assert_clear(message: str, *fragments: str) -> None:
    """A short sentence for a person: the expected words, no traceback, no server internals."""
    assert message, "an empty error message"
    assert len(message) < 1000, message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    for internal in INTERNALS:
        assert internal not in message, f"{internal!r} leaked in {message!r}"


def predictions(out: tuple | list) -> dict[str, float]:
    """Label -> probability of a full view as the client received it."""
    return {c["label"]: c["confidence"] for c in out[FIELD["predictions"]]["confidences"]}


def assert_same_predictions(got: dict[str, float], want: dict[str, float]) -> None:
    assert list(got) == list(want)
    assert np.allclose(list(got.values()), list(want.values()), rtol=0, atol=TOLERANCE)


def differs(a: dict[str, float], b: dict[str, float]) -> bool:
    return list(a) != list(b) or not np.allclose(list(a.values()), list(b.values()), atol=1e-4)


# ---- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def model() -> LoadedModel:
    return default_model()


@pytest.fixture(scope="module", autouse=True)
def _fields(app: RunningApp) -> None:
    FIELD.update(output_positions(app.url, "/analyze"))


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every fixture image written to a file, so `handle_file` uploads it like a browser."""
    folder = tmp_path_factory.mktemp("uploads")
    made = {
        "good.jpg": fx.good_jpeg_bytes(),
        "good.png": fx.good_png_bytes(),
        "bomb.png": fx.png_bomb_bytes(),
        "strip.png": fx.strip_png_bytes(),
        "thin.png": fx.strip_png_bytes(10, 5000),
        "truncated.jpg": fx.truncated_jpeg_bytes(),
        "cmyk.jpg": fx.cmyk_jpeg_bytes(),
        "deep.png": fx.png16_bytes(),
        "animated.gif": fx.animated_gif_bytes(),
        "rotated.jpg": fx.rotated_exif_jpeg_bytes(6),
        "rgba.png": fx.rgba_png_bytes(),
        "drawing.svg": fx.svg_bytes(),
        "page.html": fx.html_bytes(),
        "paper.pdf": fx.pdf_bytes(),
        "empty.png": fx.empty_bytes(),
        "notes.png": fx.text_bytes(),
    }
    for name, content in made.items():
        (folder / name).write_bytes(content)
    return folder


@pytest.fixture
def client(app: RunningApp) -> Client:
    """A fresh API client: its own session, as a new browser tab would have (output pictures
    stay on the server; `downloading_client` fetches them)."""
    return new_client(app.url, None)


@pytest.fixture
def downloading_client(app: RunningApp, tmp_path: Path) -> Client:
    """A fresh API client that downloads every output picture into `tmp_path`."""
    return new_client(app.url, tmp_path)


@pytest.fixture(scope="module")
def settings_client(app: RunningApp, files: Path) -> Client:
    """One session with an analysed image, shared by the bad-settings tests: a refused setting
    leaves the session as it was, so every later test also checks that."""
    client = new_client(app.url, None)
    analyse(client, files / "good.png")
    return client


@pytest.fixture(scope="module")
def reference(model: LoadedModel) -> Callable[[np.ndarray], dict[str, float]]:
    """The predictions the app must show for an image, computed in this process."""
    names = class_names(model, "en")

    def predict(image: np.ndarray) -> dict[str, float]:
        result = analyze(model, image, target=None, cam_layer="layer4", top_k=5)
        pairs = zip(result.top_indices, result.top_probs, strict=True)
        return {names[int(i)]: float(p) for i, p in pairs}

    return predict


def analyse(client: Client, path: Path) -> tuple:
    return client.predict(handle_file(str(path)), api_name="/analyze")


def assert_still_serving(
    client: Client, files: Path, reference: Callable[[np.ndarray], dict[str, float]]
) -> None:
    """The same client's next good request gets the right answer."""
    out = analyse(client, files / "good.jpg")
    want = reference(read_image(str(files / "good.jpg")))
    assert_same_predictions(predictions(out), want)


def output_files(out: tuple) -> list[Path]:
    """Every picture file of a view the client downloaded."""
    names = ("overlay", "raw_cam", "activations", "channels")
    return [Path(out[FIELD[n]]) for n in names if out[FIELD[n]]]


# ---- server settings ----------------------------------------------------------------------


def test_default_launch_settings_are_the_safe_ones() -> None:
    kwargs = launch_kwargs(parse_args([]))
    assert kwargs["server_name"] == "127.0.0.1"
    assert kwargs["share"] is False
    assert not kwargs["allowed_paths"]
    assert kwargs["max_file_size"] == MAX_FILE_SIZE == "20mb"
    assert kwargs["show_error"] is False


def test_the_running_app_queues_everything_and_cleans_its_cache(app: RunningApp) -> None:
    demo = app.demo
    assert app.host == "127.0.0.1"
    config = httpx.get(f"{app.url}config", timeout=10).json()
    assert config["enable_queue"] is True
    served = [d for d in config["dependencies"] if d["backend_fn"]]  # not the js-only ones
    assert served and all(dependency["queue"] is not False for dependency in served)
    # The bound (`QUEUE_MAX_SIZE`) is what `configure_queue` passes to `demo.queue`
    # (test_ui_handlers); a full queue's answer is test_server_concurrency's busy test.
    assert demo.api_open is False
    assert demo.delete_cache == DELETE_CACHE and DELETE_CACHE[0] > 0
    assert demo.max_file_size == 20 * 1024 * 1024
    assert demo.share is False and not demo.share_url
    assert not demo.allowed_paths


# ---- bad files through gradio_client --------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fragments"),
    [
        ("bomb.png", ("400 megapixels", "the limit is 40 megapixels")),
        ("strip.png", ("1 × 60000000 pixels", "the limit is 40 megapixels")),
        ("thin.png", ("10 × 5000 pixels", "times taller than wide", "the limit is 20 to 1")),
        ("truncated.jpg", ("This JPEG image is damaged or incomplete",)),
        ("drawing.svg", (NOT_SUPPORTED, "SVG drawing")),
        ("page.html", (NOT_SUPPORTED, "web page (HTML)")),
        ("paper.pdf", (NOT_SUPPORTED, "PDF document")),
        ("empty.png", ("The file is empty (0 bytes)",)),
        ("notes.png", (NOT_SUPPORTED, "text file")),
    ],
)
def test_a_bad_file_is_refused_clearly_and_the_next_request_works(
    client: Client,
    files: Path,
    reference: Callable[[np.ndarray], dict[str, float]],
    name: str,
    fragments: tuple[str, ...],
) -> None:
    with pytest.raises(AppError) as info:
        analyse(client, files / name)
    assert_clear(str(info.value), IMAGE_TITLE, *fragments)
    assert_still_serving(client, files, reference)


def careless_decode(content: bytes) -> np.ndarray:
    """What a careless decoder gives: the last frame, EXIF ignored, alpha dropped (transparent
    pixels keep their stored colour), 16-bit values clipped, CMYK channels read as RGB."""
    picture = Image.open(io.BytesIO(content))
    if getattr(picture, "n_frames", 1) > 1:
        picture.seek(picture.n_frames - 1)
    if picture.mode.startswith("I;16"):
        clipped = np.clip(np.asarray(picture).astype(np.int64), 0, 255).astype(np.uint8)
        return np.repeat(clipped[:, :, None], 3, axis=2)
    if picture.mode == "CMYK":
        return np.array(picture)[:, :, :3]
    return np.array(picture.convert("RGB"))


@pytest.mark.parametrize(
    ("name", "careless"),
    [
        ("cmyk.jpg", "CMYK channels read as RGB"),
        ("deep.png", "16-bit values clipped at 255 instead of scaled"),
        ("animated.gif", "the last frame instead of the first"),
        ("rotated.jpg", "the EXIF orientation ignored"),
        ("rgba.png", "transparent pixels left black instead of white"),
    ],
)
def test_an_unusual_but_valid_image_is_converted_and_analysed(
    client: Client,
    files: Path,
    reference: Callable[[np.ndarray], dict[str, float]],
    name: str,
    careless: str,
) -> None:
    content = (files / name).read_bytes()
    want = reference(decode_image(content))
    out = analyse(client, files / name)
    got = predictions(out)
    assert_same_predictions(got, want)
    wrong = reference(careless_decode(content))
    assert differs(want, wrong), f"the fixture cannot tell {careless}"
    assert differs(got, wrong), careless
    assert_still_serving(client, files, reference)


@pytest.mark.parametrize("name", ["rgba.png", "rotated.jpg"])
def test_the_output_pictures_carry_no_metadata_from_the_upload(
    downloading_client: Client, files: Path, name: str
) -> None:
    assert any(s in (files / name).read_bytes() for s in SECRETS)  # the fixture carries it
    out = analyse(downloading_client, files / name)
    pictures = output_files(out)
    assert len(pictures) == 4
    for picture in pictures:
        data = picture.read_bytes()
        with Image.open(io.BytesIO(data)) as image:
            # Overlays travel as JPEG, maps drawn cell by cell as PNG (`layout.PHOTO_FORMAT`).
            assert image.format in ("PNG", "JPEG")
            assert not image.info.get("exif") and "Author" not in image.info
            assert not image.getexif() and "comment" not in image.info
        assert not any(secret in data for secret in SECRETS), picture


def test_an_upload_over_the_size_cap_is_refused(app: RunningApp, tmp_path: Path) -> None:
    too_big = b"\x89PNG\r\n\x1a\n" + bytes(20 * 1024 * 1024)
    response = raw_upload(app.url, "huge.png", too_big)
    assert response.status_code == 413
    assert "maximum allowed size" in response.text
    # gradio_client refuses it before sending, with the server's own cap in the message.
    path = tmp_path / "huge.png"
    path.write_bytes(too_big)
    with pytest.raises(ValueError, match="exceeds the maximum file size of 20971520 bytes"):
        analyse(new_client(app.url, None), path)
    small = raw_upload(app.url, "small.png", fx.good_png_bytes())
    assert small.status_code == 200  # the route itself works


# ---- data: URLs and forged file payloads (wire protocol by hand) ----------------------------


def test_a_data_url_is_decoded_by_the_app(
    app: RunningApp, reference: Callable[[np.ndarray], dict[str, float]]
) -> None:
    content = fx.rotated_exif_jpeg_bytes(6)
    message = raw_call(
        app.url, "analyze", [file_data(url=data_url(content, "image/jpeg")), *ANALYZE_REST]
    )
    assert message["success"] is True
    got = predictions(message["output"]["data"][1:])
    assert_same_predictions(got, reference(decode_image(content)))


def test_a_data_url_through_gradio_client_is_decoded_by_the_app(
    client: Client, reference: Callable[[np.ndarray], dict[str, float]]
) -> None:
    content = fx.animated_gif_bytes()
    out = client.predict(file_data(url=data_url(content, "image/gif")), api_name="/analyze")
    assert_same_predictions(predictions(out), reference(decode_image(content)))


@pytest.mark.parametrize(
    ("url", "fragments"),
    [
        (data_url(fx.svg_bytes(), "image/svg+xml"), (NOT_SUPPORTED, "SVG drawing")),
        (data_url(fx.png_bomb_bytes()), ("400 megapixels",)),
        (data_url(fx.truncated_jpeg_bytes(), "image/jpeg"), ("damaged or incomplete",)),
        (data_url(fx.html_bytes(), "text/html"), ("does not contain an image",)),
        ("data:image/png;base64,!!!not-base64!!!", ("not valid base64",)),
        ("data:image/png,rawbytes", ("must be base64-encoded",)),
        ("data:image/png;base64,", ("contains no image data",)),
    ],
    ids=["svg", "bomb", "truncated", "html", "bad-base64", "not-base64", "empty"],
)
def test_a_bad_data_url_is_refused_clearly(
    app: RunningApp, url: str, fragments: tuple[str, ...]
) -> None:
    message = raw_call(app.url, "analyze", [file_data(url=url), *ANALYZE_REST])
    assert message["success"] is False
    assert_clear(message["output"]["error"], IMAGE_TITLE, *fragments)


def test_an_oversized_data_url_is_refused_before_decoding(app: RunningApp) -> None:
    url = "data:image/png;base64," + "A" * (28 * 1024 * 1024)  # about 21 MB once decoded
    message = raw_call(app.url, "analyze", [file_data(url=url), *ANALYZE_REST])
    assert message["success"] is False
    assert_clear(message["output"]["error"], IMAGE_TITLE, "the limit is 20 MB")


def bare(path: str) -> dict:
    """A file payload without Gradio's `meta` marker: Gradio's own upload-folder check only
    looks at payloads that carry it, so the app must check the path itself."""
    return {"path": path}


ORACLES = ("looks like", "could not be opened", "not a supported image", "damaged", "empty")
"""Words that would tell an attacker what a named server file is, or whether it exists."""


@pytest.mark.parametrize(
    "payload",
    [
        file_data(path="/etc/passwd"),
        file_data(path=f"{UPLOAD_DIR}/../../../../etc/passwd"),
        file_data(path="../../../../../../etc/passwd"),
        file_data(path="/proc/self/environ"),
        file_data(path="x.png", url="file:///etc/passwd"),
        file_data(path="http://127.0.0.1:9/secret.png"),
        bare("/etc/passwd"),
        bare("/etc/shadow"),
        bare(f"{UPLOAD_DIR}/../../../../etc/passwd"),
        bare("/proc/self/environ"),
        {"path": "/etc/passwd", "meta": {"_type": "something.else"}},
    ],
    ids=[
        "absolute",
        "via-cache",
        "relative",
        "proc",
        "file-url",
        "http-path",
        "no-meta",
        "no-meta-shadow",
        "no-meta-via-cache",
        "no-meta-proc",
        "other-meta",
    ],
)
def test_a_file_field_cannot_name_a_file_on_the_server(app: RunningApp, payload: dict) -> None:
    message = raw_call(app.url, "analyze", [payload, *ANALYZE_REST])
    text = json.dumps(message)
    assert message["success"] is False
    assert not any(marker in text for marker in PASSWD_MARKERS)
    assert not any(oracle in text for oracle in ORACLES), text  # the file was never opened


@pytest.mark.parametrize("form", [file_data, bare], ids=["with-meta", "no-meta"])
def test_a_server_image_outside_the_upload_cache_is_never_analysed(
    app: RunningApp, tmp_path: Path, form: Callable[[str], dict]
) -> None:
    """A valid picture elsewhere on the server (a teacher's photo) must not be readable by name:
    its pixels would come back in the overlay."""
    private = tmp_path / "private.png"
    private.write_bytes(fx.good_png_bytes())
    message = raw_call(app.url, "analyze", [form(str(private)), *ANALYZE_REST])
    assert message["success"] is False
    assert "confidences" not in json.dumps(message)
    # The same bytes, uploaded properly, are analysed: the refusal is about where, not what.
    uploaded = raw_upload(app.url, "private.png", private.read_bytes()).json()[0]
    message = raw_call(app.url, "analyze", [file_data(path=uploaded), *ANALYZE_REST])
    assert message["success"] is True


def test_the_answer_says_nothing_about_which_server_files_exist(
    app: RunningApp, tmp_path: Path
) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("private notes\n", encoding="utf-8")
    answers = {
        raw_call(app.url, "analyze", [bare(path), *ANALYZE_REST])["output"].get("error")
        for path in ("/etc/passwd", str(text), str(tmp_path / "missing.png"), "/nonexistent/x.png")
    }
    assert len(answers) == 1  # the same words whether the file exists, and whatever it is


@pytest.mark.parametrize(
    "value",
    ["/etc/passwd", data_url(fx.good_png_bytes()), 42, ["a", "b"]],
    ids=["path-string", "bare-data-url", "number", "list"],
)
def test_a_value_that_is_not_a_file_is_refused_without_internals(
    app: RunningApp, value: object
) -> None:
    message = raw_call(app.url, "analyze", [value, *ANALYZE_REST])
    assert message["success"] is False
    text = json.dumps(message)
    assert not any(marker in text for marker in PASSWD_MARKERS)
    assert not any(internal in text for internal in ("Traceback", "site-packages", "/work/"))


def test_the_server_keeps_serving_after_forged_payloads(
    app: RunningApp, client: Client, files: Path, reference: Callable
) -> None:
    for payload in (
        file_data(path="/etc/passwd"),
        bare("/etc/passwd"),
        "junk",
        file_data(url="data:,"),
    ):
        raw_call(app.url, "analyze", [payload, *ANALYZE_REST])
    assert_still_serving(client, files, reference)
    assert count_hooks(app.model.module) == 0 and not app.model.lock.locked()


# ---- the file route and the queue ----------------------------------------------------------


TRAVERSALS = [
    "/gradio_api/file=../../etc/passwd",
    "/gradio_api/file=/etc/passwd",
    "/gradio_api/file=..%2F..%2F..%2Fetc%2Fpasswd",
    "/gradio_api/file=%2Fetc%2Fpasswd",
    "/gradio_api/file=%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/gradio_api/file=%252e%252e%252f%252e%252e%252fetc%252fpasswd",
    "/gradio_api/file=....//....//....//etc/passwd",
    f"/gradio_api/file={UPLOAD_DIR}/../../../../etc/passwd",
    "/gradio_api/file/../../etc/passwd",
    "/gradio_api/file=..\\..\\..\\etc\\passwd",
    "/gradio_api/file=/proc/self/environ",
    "/file=../../etc/passwd",
    "/file=/etc/passwd",
    "/file=%2Fetc%2Fpasswd",
]


@pytest.mark.parametrize("target", TRAVERSALS)
def test_the_file_route_never_serves_etc_passwd(app: RunningApp, target: str) -> None:
    status, body = raw_get(app, target)
    assert status in (400, 403, 404), (status, body[:200])
    assert not any(marker.encode() in body for marker in PASSWD_MARKERS)


@pytest.mark.parametrize(
    "name", ["app.py", "resnet_demo/ui/server.py", "assets/embedded_resnet.pt"]
)
def test_the_file_route_never_serves_the_project(app: RunningApp, name: str) -> None:
    for target in (f"/gradio_api/file={name}", f"/gradio_api/file={Path(name).resolve()}"):
        status, body = raw_get(app, target)
        assert status in (403, 404), (target, status)
        assert b"import" not in body and len(body) < 500


def test_the_file_route_serves_an_upload_but_not_a_step_out_of_it(app: RunningApp) -> None:
    uploaded = raw_upload(app.url, "mine.png", fx.good_png_bytes()).json()[0]
    status, body = raw_get(app, f"/gradio_api/file={uploaded}")
    assert status == 200 and body == fx.good_png_bytes()  # the route works for what it should
    status, body = raw_get(app, f"/gradio_api/file={uploaded}/../../../../etc/passwd")
    assert status in (403, 404) and b"root:" not in body


@pytest.mark.parametrize(
    "target",
    [
        "/gradio_api/run/analyze",
        "/gradio_api/run/predict",
        "/gradio_api/run/switch",
        "/gradio_api/api/analyze",
        "/gradio_api/api/predict",
        "/run/predict",
        "/api/predict",
        "/run/analyze",
    ],
)
def test_the_queue_cannot_be_bypassed(app: RunningApp, target: str) -> None:
    payload = {"data": [file_data(path="/etc/passwd"), *ANALYZE_REST], "fn_index": 0}
    status, body = raw_post(app, target, payload)
    assert status in (403, 404, 405), (status, body[:200])
    assert b"confidences" not in body and b"root:" not in body


def test_the_queue_answers_the_same_event(app: RunningApp) -> None:
    """The control for the bypass test: the same endpoint works when it goes through the queue."""
    uploaded = raw_upload(app.url, "queued.png", fx.good_png_bytes()).json()[0]
    message = raw_call(app.url, "analyze", [file_data(path=uploaded), *ANALYZE_REST])
    assert message["success"] is True and "confidences" in json.dumps(message)


# ---- values of the wrong type or out of range in every field --------------------------------


BAD_SETTINGS = [
    # (endpoint, keyword arguments, words the message must contain)
    ("/switch", {"strip": {"modes": {"layer9.9": "skip-off"}}}, (SETTING_TITLE, "unknown block")),
    ("/switch", {"strip": {"modes": {"__class__": "intact"}}}, (SETTING_TITLE, "unknown block")),
    ("/switch", {"strip": {"modes": {"fc": "skip-off"}}}, (SETTING_TITLE, "unknown block")),
    ("/switch", {"strip": {"modes": {"layer1.0": "off"}}}, (SETTING_TITLE, "unknown mode")),
    ("/switch", {"strip": {"modes": {"layer1.0": 3}}}, (SETTING_TITLE, "must be strings")),
    ("/switch", {"strip": {"modes": {"layer1.0": None}}}, (SETTING_TITLE, "must be strings")),
    ("/switch", {"strip": {"modes": "all"}}, (SETTING_TITLE, "'modes' must map")),
    ("/switch", {"strip": {"modes": ["layer1.0"]}}, (SETTING_TITLE, "'modes' must map")),
    ("/switch", {"strip": "not json"}, (SETTING_TITLE, "switches must be JSON")),
    ("/switch", {"strip": [1, 2]}, (SETTING_TITLE, "switches must be an object")),
    ("/switch", {"strip": 42}, (SETTING_TITLE, "switches must be an object")),
    ("/switch", {"target": 10_000}, ("not in the list of choices",)),
    ("/switch", {"target": -5}, ("not in the list of choices",)),
    ("/switch", {"target": "cat"}, ("not in the list of choices",)),
    ("/switch", {"target": 3.5}, ("not in the list of choices",)),
    ("/switch", {"target": True}, (SETTING_TITLE, "target class must be a whole number")),
    ("/switch", {"target": [1]}, (SETTING_TITLE, "target class must be a whole number")),
    ("/switch", {"layer": "fc"}, ("not in the list of choices",)),
    ("/switch", {"layer": "layer1.0.conv1"}, ("not in the list of choices",)),
    ("/switch", {"layer": "__import__('os')"}, ("not in the list of choices",)),
    ("/switch", {"layer": 5}, ("not in the list of choices",)),
    ("/switch", {"layer": None}, (SETTING_TITLE, "layer must be a string")),
    ("/switch", {"layer": ["layer4"]}, (SETTING_TITLE, "layer must be a string")),
    ("/settings", {"top_k": 0}, ("less than minimum value 1",)),
    ("/settings", {"top_k": 11}, ("greater than maximum value 10",)),
    ("/settings", {"top_k": 2.5}, (SETTING_TITLE, "top-k must be a whole number")),
    ("/settings", {"top_k": True}, (SETTING_TITLE, "top-k must be a whole number")),
    ("/settings", {"top_k": "five"}, (SETTING_TITLE, "top-k must be a whole number")),
    ("/settings", {"top_k": None}, (SETTING_TITLE, "top-k must be a whole number")),
    ("/settings", {"top_k": [3]}, (SETTING_TITLE, "top-k must be a whole number")),
    ("/settings", {"opacity": 1.5}, ("greater than maximum value 1",)),
    ("/settings", {"opacity": -0.1}, ("less than minimum value 0",)),
    ("/settings", {"opacity": "x"}, (SETTING_TITLE, "opacity must be a number")),
    ("/settings", {"opacity": None}, (SETTING_TITLE, "opacity must be a number")),
    ("/settings", {"lang": "fr"}, ("not in the list of choices",)),
    ("/settings", {"lang": 3}, ("not in the list of choices",)),
    ("/preset_stage_skip_off", {"stage": "layer9"}, ("not in the list of choices",)),
    ("/preset_stage_skip_off", {"stage": 7}, ("not in the list of choices",)),
    ("/preset_stage_skip_off", {"stage": None}, (SETTING_TITLE, "unknown stage")),
    ("/model", {"name": "resnet9000", "lang": "en"}, ("not in the list of choices",)),
    ("/model", {"name": "../../etc/passwd", "lang": "en"}, ("not in the list of choices",)),
    ("/model", {"name": 42, "lang": "en"}, ("not in the list of choices",)),
    ("/model", {"name": None, "lang": "en"}, (SETTING_TITLE, "model name must be")),
    ("/language", {"lang": "fr"}, ("not in the list of choices",)),
    ("/export", {"lang": ["en"]}, ("not in the list of choices",)),
]


@pytest.mark.parametrize(("endpoint", "kwargs", "fragments"), BAD_SETTINGS)
def test_a_bad_setting_is_a_clear_error_and_the_session_keeps_working(
    app: RunningApp,
    settings_client: Client,
    files: Path,
    reference: Callable[[np.ndarray], dict[str, float]],
    endpoint: str,
    kwargs: dict,
    fragments: tuple[str, ...],
) -> None:
    call = dict(kwargs)
    args = [call.pop("name")] if "name" in call else []
    with pytest.raises(AppError) as info:
        settings_client.predict(*args, **call, api_name=endpoint)
    assert_clear(str(info.value), *fragments)
    out = settings_client.predict(api_name="/switch")  # same session, page defaults: still fine
    want = reference(read_image(str(files / "good.png")))
    assert_same_predictions(predictions(out), want)
    assert count_hooks(app.model.module) == 0 and not app.model.lock.locked()


def test_the_server_caps_malloc_arenas_unless_the_environment_says(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`python app.py` caps glibc's arenas (memory under load, `benchmarks/load.py`); a
    `MALLOC_ARENA_MAX` the administrator set wins, and a machine without glibc is left alone."""
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert server.limit_malloc_arenas() is True  # this project's machines run glibc
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert server.limit_malloc_arenas() is False
    monkeypatch.delenv("MALLOC_ARENA_MAX")

    def no_glibc(name: str) -> None:
        raise OSError(name)

    monkeypatch.setattr(server.ctypes, "CDLL", no_glibc)
    assert server.limit_malloc_arenas() is False
