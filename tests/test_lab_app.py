"""Every classroom-lab panel through gradio_client against the running app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from app_server import RunningApp, new_client
from gradio_client import Client
from PIL import Image

pytestmark = [pytest.mark.server, pytest.mark.usefixtures("one_torch_thread")]


@pytest.fixture(scope="module")
def client(app: RunningApp, tmp_path_factory: pytest.TempPathFactory) -> Client:
    return new_client(app.url, tmp_path_factory.mktemp("downloads"))


def _image_ok(value: object) -> None:
    path = value if isinstance(value, str) else value["value"] if isinstance(value, dict) else None
    assert path is not None, value
    with Image.open(path) as image:
        assert image.width > 200 and image.height > 100


def _numbers(value: object) -> dict:
    path = value["value"] if isinstance(value, dict) else value
    return json.loads(Path(path).read_text(encoding="utf-8"))


def test_lesion_sweep_panel(client: Client) -> None:
    chart, text, card, numbers = client.predict("embedded", "shape", 3, api_name="/lab_sweep")
    _image_ok(chart)
    _image_ok(card)
    assert "branch lesions" in text
    assert _numbers(numbers)["result"]["blocks"][0]["name"] == "layer1.0"


def test_lesion_sweep_panel_in_chinese(client: Client) -> None:
    """The page's language is the last input of every lab endpoint."""
    _, text, _, numbers = client.predict("embedded", "shape", 3, "zh", api_name="/lab_sweep")
    assert text.startswith("条形：")
    assert _numbers(numbers)["caption"][0].startswith("模型：")
    assert _numbers(numbers)["result"]["blocks"][0]["name"] == "layer1.0"


def test_lesion_curves_panel(client: Client) -> None:
    chart, text, card, numbers = client.predict(
        "embedded", "shapes", 16, 1, 0, api_name="/lab_curves"
    )
    _image_ok(chart)
    _image_ok(card)
    assert "intact" in text
    assert len(_numbers(numbers)["result"]["k"]) == 9


def test_gradient_flow_panel(client: Client) -> None:
    corr, norm, text, card, numbers = client.predict([8], 0, api_name="/lab_gradient_flow")
    _image_ok(corr)
    _image_ok(norm)
    _image_ok(card)
    assert text
    assert _numbers(numbers)


def test_race_panel_and_its_export(client: Client) -> None:
    # The live race's recipe with the shortest budget the page allows (10 s).
    chart, text = client.predict(20, api_name="/lab_race")
    _image_ok(chart)
    assert "plain-56" in text and "Fig. 1" in text
    card, numbers = client.predict(api_name="/lab_race_export")
    _image_ok(card)
    result = _numbers(numbers)["result"]
    assert result["settings"]["depths"] == [20, 56] and result["settings"]["time_budget_s"] == 20


def test_robustness_panel(client: Client) -> None:
    """The two 8-block models (with and without stochastic depth) on the same shapes."""
    chart, text, card, numbers = client.predict(16, 1, 0, api_name="/lab_robustness")
    _image_ok(chart)
    _image_ok(card)
    assert "embedded:" in text and "embedded-no-sd:" in text
    result = _numbers(numbers)
    assert result["panel"] == "robustness"
    assert set(result["results"]) == {"embedded", "embedded-no-sd"}


def test_sanity_panel(client: Client) -> None:
    """Model, methods, image source, shape number (the page's language last, optional)."""
    grid, chart, text, card, numbers = client.predict(
        "embedded", ["gradcam", "saliency"], "shape", 3, api_name="/lab_sanity"
    )
    for picture in (grid, chart, card):
        _image_ok(picture)
    assert "randomised down to conv1+bn1" in text
    result = _numbers(numbers)
    assert result["panel"] == "sanity" and result["result"]["model"] == "embedded"
    assert list(result["result"]["methods"]) == ["gradcam", "saliency"]
