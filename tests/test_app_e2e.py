"""End to end: the launched app, driven through `gradio_client` like any API client would.

The server runs in this process on a free port with the embedded model and downloads switched off
(so no test can fetch weights even where a network exists). Every test opens its own client, i.e.
its own browser-like session with its own state.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import numpy as np
import pytest
from app_server import RunningApp, output_positions
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from resnet_demo import models
from resnet_demo.switches import block_names

pytestmark = pytest.mark.server

ROOT = Path(__file__).resolve().parents[1]
PHOTO = ROOT / "assets" / "examples" / "chelsea.jpg"
FIELD: dict[str, int] = {}
"""Position of each view output in a client's answer, by name (from the running app's config)."""


@pytest.fixture(scope="module")
def model() -> models.LoadedModel:
    return models.load_model()


@pytest.fixture(scope="module")
def server(app: RunningApp) -> str:
    FIELD.update(output_positions(app.url, "/analyze"))
    return app.url


@pytest.fixture
def client(server: str, tmp_path: Path) -> Client:
    return Client(server, verbose=False, download_files=str(tmp_path), analytics_enabled=False)


def example_image() -> Path:
    """A shape example when the embedded model's examples exist, else a photo."""
    shapes = sorted((ROOT / "assets" / "examples").glob("shapes_*.png"))
    return shapes[0] if shapes else PHOTO


def analyse(client: Client, path: Path) -> tuple:
    return client.predict(handle_file(str(path)), api_name="/analyze")


def test_an_example_image_gives_top_k_and_a_heatmap(
    client: Client, model: models.LoadedModel
) -> None:
    out = analyse(client, example_image())
    labels = [c["label"] for c in out[FIELD["predictions"]]["confidences"]]
    assert len(labels) == 5 and set(labels) <= set(model.categories)
    probs = [c["confidence"] for c in out[FIELD["predictions"]]["confidences"]]
    assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1 + 1e-6
    size = model.preprocessing.crop_size
    overlay = np.asarray(Image.open(out[FIELD["overlay"]]))
    assert overlay.shape[:2] == (size, size) and overlay.std() > 1  # the page enlarges it
    assert Path(out[FIELD["raw_cam"]]).is_file() and Path(out[FIELD["activations"]]).is_file()
    strip = out[FIELD["strip"]]  # an update: the value and the props the page draws
    assert list(strip["value"]["modes"]) == block_names(model.module)
    assert [r["name"] for r in strip["props"]["rows"]] == block_names(model.module)
    assert all("×" in r["shape"] for r in strip["props"]["rows"])


def test_switching_a_block_changes_the_comparison(client: Client) -> None:
    intact = analyse(client, example_image())
    assert "banner none" in intact[FIELD["banner"]]
    out = client.predict(strip={"modes": {"layer4.1": "branch-off"}}, api_name="/switch")
    assert "banner none" not in out[FIELD["banner"]] and "layer4.1" in out[FIELD["banner"]]
    assert out[FIELD["strip"]]["value"]["modes"]["layer4.1"] == "branch-off"
    rows = out[FIELD["compare_table"]]["data"]
    before = [float(r[1].rstrip(" %")) for r in rows]
    after = [float(r[2].rstrip(" %")) for r in rows]
    assert before != after
    assert all(Path(out[FIELD[name]]).is_file() for name in ("cam_switched", "cam_diff"))
    preds_before = intact[FIELD["predictions"]]["confidences"]
    preds_after = out[FIELD["predictions"]]["confidences"]
    assert preds_before != preds_after


def test_a_preset_switches_every_skip_off(client: Client, model: models.LoadedModel) -> None:
    analyse(client, example_image())
    out = client.predict(api_name="/preset_all_skip_off")
    modes = out[FIELD["strip"]]["value"]["modes"]
    assert set(modes) == set(block_names(model.module)) and set(modes.values()) == {"skip-off"}
    assert all(r["ratio"] == "skip off" for r in out[FIELD["strip"]]["props"]["rows"])


def test_a_bad_file_gives_the_error_and_the_next_request_works(
    client: Client, tmp_path: Path
) -> None:
    bad = tmp_path / "homework.png"
    bad.write_text("this is not a picture\n" * 10, encoding="utf-8")
    with pytest.raises(AppError, match="not a supported image") as info:
        analyse(client, bad)
    assert "Traceback" not in str(info.value) and "File " not in str(info.value)
    out = analyse(client, PHOTO)
    assert len(out[FIELD["predictions"]]["confidences"]) == 5


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"strip": {"modes": {"layer9.9": "skip-off"}}}, "unknown block"),
        ({"strip": {"modes": {"layer1.0": "unplugged"}}}, "unknown mode"),
        ({"layer": "fc"}, "not in the list of choices"),
        ({"top_k": 500}, "greater than maximum value 10"),
        ({"top_k": "five"}, "top-k must be a whole number"),
        ({"opacity": None}, "opacity must be a number"),
    ],
)
def test_bad_settings_are_clear_errors(client: Client, kwargs: dict, message: str) -> None:
    analyse(client, PHOTO)
    with pytest.raises(AppError, match=message):
        client.predict(**kwargs, api_name="/switch")
    assert len(client.predict(api_name="/switch")[FIELD["predictions"]]["confidences"]) == 5


def test_language_switch_translates_server_text(client: Client, server: str) -> None:
    analyse(client, PHOTO)
    out = client.predict("zh", api_name="/language")
    field = output_positions(server, "/language")
    banner, status = out[field["banner"]], out[field["model_status"]]
    assert "所有残差块都完整" in banner and "正在使用" in status
    assert out[field["title"]]["value"] == "ResNet 演示"  # static words too


def test_a_model_without_weights_keeps_the_working_model(client: Client) -> None:
    out = client.predict("resnet18:IMAGENET1K_V1", "en", api_name="/model")
    assert out[0]["value"] == "embedded"
    assert "resnet18" in out[1] and "--weights" in out[1]


def test_export_gives_a_card_and_numbers(client: Client) -> None:
    analyse(client, PHOTO)
    client.predict(strip={"modes": {"layer3.0": "skip-off"}}, api_name="/switch")
    card, numbers = client.predict("en", api_name="/export")
    assert card["visible"] and numbers["visible"]
    assert Image.open(card["value"]).format == "PNG"
    assert '"layer3.0": "skip-off"' in Path(numbers["value"]).read_text(encoding="utf-8")


def test_routes_that_skip_the_queue_are_closed(server: str) -> None:
    response = httpx.post(f"{server}gradio_api/run/analyze", json={"data": [None]}, timeout=10)
    assert response.status_code in (401, 403, 404, 405)


def test_the_method_picker_reaches_the_analysis(client: Client) -> None:
    analyse(client, example_image())
    out = client.predict(method="saliency", api_name="/method")
    assert "saliency (input gradient)" in out[FIELD["caption"]]
    assert "pixel by pixel" in out[FIELD["caption"]]
    captions = [tile["caption"] for tile in out[FIELD["stages"]]]
    assert [c.split(" · ")[0] for c in captions] == ["layer1.1", "layer2.1", "layer3.1", "layer4.1"]
    # An API call names its controls (a browser sends the picker's value with every event).
    strip = {"modes": {"layer4.1": "skip-off"}}
    switched = client.predict(method="saliency", strip=strip, api_name="/switch")
    assert "saliency (input gradient)" in switched[FIELD["caption"]]
    assert Path(switched[FIELD["cam_diff"]]).is_file()
    with pytest.raises(AppError, match="not in the list of choices"):
        client.predict(method="magic", api_name="/method")
