"""Deletion / insertion curves (Petsiuk et al. 2018) and the pointing game (Zhang et al. 2018)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from resnet_demo import shapes
from resnet_demo.analysis import methods
from resnet_demo.analysis.faithfulness import (
    Faithfulness,
    FaithfulnessError,
    auc,
    box_to_view,
    deletion_insertion,
    mask_to_view,
    pointing_game,
)
from resnet_demo.models import LoadedModel
from resnet_demo.models.preprocessing import Preprocessing
from resnet_demo.switches import SwitchedResNet

SEED = shapes.TEST_SEED_START + 900_000
"""Shapes of these tests: fresh test seeds, never trained on."""


def _probability(model: LoadedModel, x: torch.Tensor, target: int, switches=None) -> float:
    with torch.inference_mode():
        logits = SwitchedResNet(model.module, switches)(x)
    return float(torch.softmax(logits, dim=1)[0, target])


# --- areas -------------------------------------------------------------------------------------


def test_auc_of_hand_made_curves() -> None:
    assert auc([0, 0.5, 1], [1, 0.5, 0]) == pytest.approx(0.5)
    assert auc([0, 1], [1, 1]) == pytest.approx(1.0)
    assert auc([0, 0.25, 1], [0, 1, 1]) == pytest.approx(0.125 + 0.75)
    assert auc([0, 0.5, 1], [0, 0, 0]) == 0.0


def test_auc_refuses_mismatched_curves() -> None:
    with pytest.raises(FaithfulnessError) as caught:
        auc([0, 1], [1, 1, 1])
    assert caught.value.key == "faith_bad_curve"


# --- pointing game -----------------------------------------------------------------------------


def test_pointing_game_on_a_synthetic_map_and_box() -> None:
    cam = np.zeros((32, 32), dtype=np.float32)
    cam[10, 20] = 1.0  # row 10, column 20: x = 20, y = 10
    assert pointing_game(cam, (18, 8, 22, 12))
    assert pointing_game(cam, (20, 10, 21, 11))  # the one-pixel box around the peak
    assert not pointing_game(cam, (21, 10, 30, 20))  # starts one column right of the peak
    assert not pointing_game(cam, (0, 0, 20, 10))  # ends just before it (exclusive)
    mask = np.zeros((32, 32), dtype=bool)
    mask[10, 20] = True
    assert pointing_game(torch.from_numpy(cam), mask)
    assert not pointing_game(cam, ~mask)
    coverage = mask.astype(np.float32) * 0.4
    assert not pointing_game(cam, coverage)  # below the 0.5 threshold
    assert pointing_game(cam, coverage, threshold=0.25)


def test_pointing_game_ties_count_any_maximum() -> None:
    cam = np.zeros((16, 16))
    cam[0, 0] = cam[15, 15] = 2.0
    assert pointing_game(cam, (14, 14, 16, 16))
    assert pointing_game(cam, (0, 0, 1, 1))
    assert not pointing_game(cam, (4, 4, 12, 12))


def test_pointing_game_signed_map_uses_its_largest_value() -> None:
    cam = np.zeros((8, 8))
    cam[1, 1] = -5.0
    cam[6, 6] = 0.5
    assert pointing_game(cam, (6, 6, 7, 7))
    assert not pointing_game(cam, (1, 1, 2, 2))


def test_boxes_and_masks_follow_the_model_view() -> None:
    resnet = Preprocessing(resize_size=256, crop_size=224, mean=(0, 0, 0), std=(1, 1, 1))
    # A 128-px image is resized to 256 (x2) and cropped by 16 px on each side.
    assert box_to_view((0, 0, 128, 128), 128, resnet) == (-16, -16, 240, 240)
    assert box_to_view((40, 30, 60, 50), 128, resnet) == (64, 44, 104, 84)
    mask = np.zeros((128, 128), dtype=np.float32)
    mask[30:50, 40:60] = 1.0
    view = mask_to_view(mask, resnet)
    assert view.shape == (224, 224)
    inside = np.argwhere(view >= 0.5)
    assert inside.min(axis=0).tolist() == [44, 64]
    assert inside.max(axis=0).tolist() == [83, 103]
    cam = np.zeros((224, 224))
    cam[60, 80] = 1.0
    assert pointing_game(cam, box_to_view((40, 30, 60, 50), 128, resnet))
    assert pointing_game(cam, view)


def test_pointing_game_refuses_bad_shapes() -> None:
    with pytest.raises(FaithfulnessError) as caught:
        pointing_game(np.zeros((8, 8)), np.zeros((4, 4), dtype=bool))
    assert caught.value.key == "faith_bad_shape"
    assert "掩码" in caught.value.words("zh")
    with pytest.raises(FaithfulnessError) as caught:
        pointing_game(np.zeros(8), (0, 0, 1, 1))
    assert caught.value.key == "faith_map_not_2d"


# --- deletion and insertion --------------------------------------------------------------------


def test_curves_start_and_end_where_petsiuk_et_al_put_them(embedded: LoadedModel) -> None:
    images, labels, _, _ = shapes.generate_batch(SEED, 1)
    image, target = images[0], int(labels[0])
    cam = np.random.default_rng(0).random((128, 128))
    result = deletion_insertion(embedded, image, target, cam, steps=4)
    assert isinstance(result, Faithfulness)
    assert result.fractions == (0.0, 0.25, 0.5, 0.75, 1.0)
    x = embedded.preprocessing.to_tensor(embedded.preprocessing.model_view(image))
    black = methods.black(x, embedded.preprocessing.mean, embedded.preprocessing.std)
    whole = _probability(embedded, x, target)
    assert result.deletion[0] == pytest.approx(whole, abs=1e-5)
    assert result.insertion[-1] == pytest.approx(whole, abs=1e-5)
    assert result.deletion[-1] == pytest.approx(_probability(embedded, black, target), abs=1e-5)
    blurred = _probability(embedded, methods.blurred(x), target)
    assert result.insertion[0] == pytest.approx(blurred, abs=1e-5)
    assert result.deletion_auc == pytest.approx(auc(result.fractions, result.deletion))
    # Pixel space: black is pixel value 0 in every channel.
    pixels = black[0] * torch.tensor(embedded.preprocessing.std)[:, None, None]
    pixels += torch.tensor(embedded.preprocessing.mean)[:, None, None]
    assert float(pixels.abs().max()) < 1e-6


def test_curves_measure_the_switched_network(embedded: LoadedModel) -> None:
    images, labels, _, _ = shapes.generate_batch(SEED, 1)
    switches = {"layer2.0": "skip-off"}
    x = embedded.preprocessing.to_tensor(images[0])
    result = deletion_insertion(
        embedded, images[0], int(labels[0]), np.zeros((128, 128)), steps=2, switches=switches
    )
    switched = _probability(embedded, x, int(labels[0]), switches)
    assert result.deletion[0] == pytest.approx(switched, abs=1e-5)
    assert abs(switched - _probability(embedded, x, int(labels[0]))) > 1e-4


def test_a_map_on_the_object_beats_its_reverse(embedded: LoadedModel) -> None:
    """Measured, not assumed: the labelled shape's own coverage, as a map, makes the class
    probability fall sooner under deletion and rise sooner under insertion than the reversed
    map, on average over fresh shapes."""
    n = 8
    images, labels, _, _ = shapes.generate_batch(SEED, n)
    towards, away = [], []
    for i in range(n):
        cover = shapes.label_coverage(SEED + i)
        # Coverage ties (0 outside the shape) are ranked by distance from the shape's centre.
        ys, xs = np.nonzero(cover > 0)
        rows, cols = np.mgrid[:128, :128]
        near = -np.hypot(rows - ys.mean(), cols - xs.mean()) / 1000
        cam = cover + near
        towards.append(deletion_insertion(embedded, images[i], int(labels[i]), cam, steps=8))
        away.append(deletion_insertion(embedded, images[i], int(labels[i]), -cam, steps=8))
    deletion = [np.mean([r.deletion_auc for r in runs]) for runs in (towards, away)]
    insertion = [np.mean([r.insertion_auc for r in runs]) for runs in (towards, away)]
    assert deletion[0] < deletion[1] - 0.05
    assert insertion[0] > insertion[1] + 0.05


def test_bad_maps_and_steps_are_refused_in_words(embedded: LoadedModel) -> None:
    image = shapes.generate_sample(SEED).image
    with pytest.raises(FaithfulnessError) as caught:
        deletion_insertion(embedded, image, 0, np.zeros((64, 64)))
    assert caught.value.key == "faith_map_shape"
    assert "128×128" in str(caught.value)
    assert "128×128" in caught.value.words("zh")
    with pytest.raises(FaithfulnessError) as caught:
        deletion_insertion(embedded, image, 0, np.full((128, 128), np.nan))
    assert caught.value.key == "faith_map_not_finite"
    for steps in (1, 0, 2.5):
        with pytest.raises(FaithfulnessError) as caught:
            deletion_insertion(embedded, image, 0, np.zeros((128, 128)), steps=steps)
        assert "steps" in str(caught.value)
