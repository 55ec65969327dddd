"""Result cards of the lab: pictures with captions, and JSON numbers that reproduce them."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch
from catalogue_words import english_words_in

from resnet_demo import shapes
from resnet_demo.lab import cards, charts
from resnet_demo.lab.gradient_flow import gradient_flow_study
from resnet_demo.lab.lesions import LesionSweep
from resnet_demo.lab.race import RaceConfig, race_to_end
from resnet_demo.lab.race_record import recorded_race
from resnet_demo.models import LoadedModel, ModelSpec, Preprocessing
from resnet_demo.models.embedded import build_embedded_resnet
from resnet_demo.render import Row, layout_card, picture, recording_texts

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def tiny_model() -> LoadedModel:
    """A random narrow ResNet-18 (width 8) at 64 px: every lab path, in milliseconds."""
    torch.manual_seed(0)
    module = build_embedded_resnet(10, 8).eval()
    return LoadedModel(
        spec=ModelSpec("embedded"),
        module=module,
        categories=shapes.CLASS_NAMES,
        preprocessing=Preprocessing(64, 64, (0.5, 0.5, 0.5), (0.25, 0.25, 0.25)),
        source="random(test)",
        class_names={"zh": shapes.class_names_in("zh")},
    )


def _check(card: np.ndarray, numbers: dict, panel: str) -> None:
    assert card.dtype == np.uint8 and card.ndim == 3 and card.shape[1:] == (1200, 3)
    assert card.shape[0] > 300
    assert (card == 255).mean() > 0.5  # a white card with things on it
    assert (card < 128).any()
    assert numbers["panel"] == panel
    assert all(isinstance(line, str) for line in numbers["caption"])
    json.dumps(numbers, allow_nan=False)


def test_lesion_sweep_card() -> None:
    model = tiny_model()
    image = shapes.generate_sample(shapes.TEST_SEED_START + 3).image
    card, numbers = cards.lesion_sweep_card(model, image, image_name="star.png")
    _check(card, numbers, "lesion_sweep")
    assert numbers["image"] == "star.png"
    assert "Model: embedded · weights: random(test)" in numbers["caption"][0]
    assert len(numbers["result"]["blocks"]) == 8


def test_lesion_curves_card() -> None:
    card, numbers = cards.lesion_curves_card(tiny_model(), "shapes", n_images=8, draws=2, seed=1)
    _check(card, numbers, "lesion_curves")
    assert numbers["result"]["n_images"] == 8 and numbers["result"]["metric"] == "accuracy"
    assert "8 fresh shapes" in numbers["caption"][1]


def test_gradient_flow_card() -> None:
    study = gradient_flow_study((8,), 0, n_train=32)
    card, numbers = cards.gradient_flow_card_from(study)
    _check(card, numbers, "gradient_flow")
    assert [n["kind"] for n in numbers["result"]["networks"]] == ["plain", "residual"]
    assert any(line.startswith("8 layers:") for line in numbers["caption"])


SMALL_RACE = RaceConfig(depths=(8, 14), n_train=16, n_test=8, image_size=8, batch_size=4)


def test_race_card_reproduces_from_its_settings() -> None:
    card, numbers = cards.race_card(max_steps=3, seed=2, recipe=SMALL_RACE)
    _check(card, numbers, "race")
    again = race_to_end(dataclasses.replace(SMALL_RACE, max_steps=3, time_budget_s=None, seed=2))
    for key in SMALL_RACE.keys:
        assert numbers["result"]["train_losses"][key] == [
            round(float(v), 4) for v in again.losses[key]
        ]
    assert numbers["result"]["settings"]["optimizer"] == SMALL_RACE.optimizer == "sgd"
    assert numbers["result"]["settings"]["train_data"] == "fresh"
    caption = " ".join(numbers["caption"])
    assert "Fig. 1" in caption and "Fig. 6" in caption and "converges faster" in caption
    assert "Fig. 1" not in numbers["caption"][-3]  # the one-depth caption cites Fig. 4 / 6
    assert "Fig. 4" in numbers["caption"][-3]
    if (recorded := recorded_race()) is not None:
        assert numbers["recorded"]["steps"] == recorded.steps
        assert numbers["recorded"]["degradation_shown"] == recorded.degradation_shown
        assert numbers["recorded"]["verdicts"] == {f: recorded.verdict(f) for f in ("fig1", "fig6")}


def _sweep(downsampling: list[bool], branch_top1: list[int], skip_top1: list[int]) -> LesionSweep:
    n = len(downsampling)
    return LesionSweep(
        model_name="m",
        weights_source="w",
        image_digest="0" * 40,
        view=np.zeros((8, 8, 3), np.uint8),
        block_names=tuple(f"layer1.{i}" for i in range(n)),
        downsampling=np.array(downsampling),
        original_class=3,
        original_label="star",
        original_prob=0.9,
        branch_removed_prob=np.full(n, 0.5, np.float32),
        branch_removed_top1=np.array(branch_top1),
        skip_removed_prob=np.full(n, 0.1, np.float32),
        skip_removed_top1=np.array(skip_top1),
    )


def test_sweep_labels_mark_downsampling_and_changed_top1() -> None:
    sweep = _sweep([False, True, True], [3, 3, 1], [0, 3, 3])
    assert charts.sweep_labels(sweep, sweep.branch_changed) == [
        "layer1.0",
        "layer1.1 ↓",
        "✗ layer1.2 ↓",
    ]
    assert charts.sweep_labels(sweep, sweep.skip_changed)[0] == "✗ layer1.0"
    chart = charts.sweep_chart(sweep, width=900)
    assert chart.shape[1] == 900


@pytest.mark.parametrize(("values", "window", "expected"), [([1, 3, 5], 2, [1, 2, 4]), ([], 3, [])])
def test_smooth_is_a_trailing_mean(values: list[float], window: int, expected: list) -> None:
    assert np.allclose(charts.smooth(np.array(values, float), window), expected)


def test_cards_share_one_layout_that_checks_width_and_keeps_inputs() -> None:
    view = np.zeros((50, 80, 3), np.uint8)
    row = Row(200, [picture("view", view)])
    card = layout_card("t", [row], ["a"], width=600)
    assert card.shape[1] == 600 and view.max() == 0
    with pytest.raises(ValueError, match="width"):
        layout_card("t", [row], [], width=100)


def test_chinese_lab_card_has_no_english_word() -> None:
    model = tiny_model()
    image = shapes.generate_sample(shapes.TEST_SEED_START + 3).image
    with recording_texts() as texts:
        _, numbers = cards.lesion_sweep_card(model, image, image_name="star.png", lang="zh")
    assert any("逐块损伤" in text for text in texts)  # the title, in Chinese
    data = [*shapes.CLASS_NAMES, "star.png", model.name, model.source]
    assert english_words_in(texts, data) == set()
    assert english_words_in(numbers["caption"], data) == set()
    with recording_texts() as english:
        cards.lesion_sweep_card(model, image, image_name="star.png")
    assert english_words_in(english, data)  # the check can fail
