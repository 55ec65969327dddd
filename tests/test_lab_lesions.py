"""Lesion sweep and lesion curves against `forward_with_modes` as the oracle."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
import torch

from resnet_demo import shapes
from resnet_demo.lab import lesions
from resnet_demo.lab.curves import ACCURACY, AGREEMENT, choose_subsets, lesion_curves
from resnet_demo.lab.image_sets import EXAMPLES, SHAPES, load_image_set, shapes_set
from resnet_demo.lab.lesions import lesion_sweep
from resnet_demo.models import LoadedModel, load_model
from resnet_demo.switches import BRANCH_OFF, SKIP_OFF, forward_with_modes
from resnet_demo.text import t

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def resnet18() -> LoadedModel:
    return load_model("resnet18", weights="random", seed=1)


@pytest.fixture(scope="module")
def image() -> np.ndarray:
    return shapes.generate_sample(shapes.TEST_SEED_START + 7).image


def _probs(model: LoadedModel, image: np.ndarray, modes: dict[str, str]) -> torch.Tensor:
    x = model.preprocessing.to_tensor(model.preprocessing.model_view(image))
    with torch.no_grad():
        return torch.softmax(forward_with_modes(model.module, x, modes), dim=1)[0]


def test_sweep_matches_one_forward_per_lesion(resnet18: LoadedModel, image: np.ndarray) -> None:
    before = image.copy()
    calls: list[tuple[float, str, dict]] = []
    sweep = lesion_sweep(
        resnet18, image, lambda f, key, **fields: calls.append((f, key, fields)), use_cache=False
    )
    assert np.array_equal(image, before)
    intact = _probs(resnet18, image, {})
    assert sweep.original_class == int(intact.argmax())
    assert sweep.original_prob == pytest.approx(float(intact.max()), abs=1e-6)
    for i, name in enumerate(sweep.block_names):
        for mode, probs, top1 in (
            (BRANCH_OFF, sweep.branch_removed_prob, sweep.branch_removed_top1),
            (SKIP_OFF, sweep.skip_removed_prob, sweep.skip_removed_top1),
        ):
            oracle = _probs(resnet18, image, {name: mode})
            assert probs[i] == pytest.approx(float(oracle[sweep.original_class]), abs=1e-6)
            assert top1[i] == int(oracle.argmax())
    fractions = [f for f, _, _ in calls]
    assert fractions[-1] == 1.0 and fractions == sorted(fractions)
    assert calls[-1][1:] == ("progress_done", {})
    assert [fields["block"] for _, key, fields in calls[:-1]] == list(sweep.block_names)
    for _, key, fields in calls:  # catalogue keys with their fields, worded in both languages
        assert t(key, "zh", **fields) != t(key, "en", **fields)


def test_sweep_marks_downsampling_blocks(resnet18: LoadedModel, image: np.ndarray) -> None:
    sweep = lesion_sweep(resnet18, image)
    expected = [name in ("layer2.0", "layer3.0", "layer4.0") for name in sweep.block_names]
    assert sweep.downsampling.tolist() == expected
    assert sweep.branch_removed_prob.dtype == np.float32
    assert sweep.view.shape == (224, 224, 3)
    data = sweep.to_json(resnet18.categories)
    assert len(data["blocks"]) == 8
    assert data["blocks"][2]["downsampling"] is True
    assert data["blocks"][0]["skip_removed"]["top1_label"] in resnet18.categories


def test_sweep_is_cached_per_image_and_model(resnet18: LoadedModel, image: np.ndarray) -> None:
    lesions.clear_cache()
    first = lesion_sweep(resnet18, image)
    calls: list[str] = []
    progress = lambda _, key, **fields: calls.append(key)  # noqa: E731
    assert lesion_sweep(resnet18, image.copy(), progress) is first
    assert calls == ["progress_cached"]
    other = image.copy()
    other[0, 0] ^= 1
    assert lesion_sweep(resnet18, other) is not first


@pytest.mark.parametrize(
    "bad", [np.zeros((8, 8), np.uint8), np.zeros((8, 8, 3), np.float32), "x", None]
)
def test_sweep_refuses_what_is_not_an_rgb_image(resnet18: LoadedModel, bad: object) -> None:
    with pytest.raises(ValueError, match="RGB uint8"):
        lesion_sweep(resnet18, bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("n", "k", "draws"), [(8, 1, 5), (8, 2, 5), (8, 7, 8), (4, 2, 6), (3, 3, 5)]
)
def test_choose_subsets(n: int, k: int, draws: int) -> None:
    subsets = choose_subsets(n, k, draws, np.random.default_rng(0))
    assert len(subsets) == min(draws, math.comb(n, k))
    assert len(set(subsets)) == len(subsets)
    assert all(len(s) == k and list(s) == sorted(s) for s in subsets)
    if math.comb(n, k) <= draws:
        assert subsets == list(itertools.combinations(range(n), k))
    assert subsets == choose_subsets(n, k, draws, np.random.default_rng(0))


def test_curves_match_the_oracle(resnet18: LoadedModel) -> None:
    images, labels, _, _ = shapes.generate_batch(shapes.TEST_SEED_START + 20, 3, size=64)
    calls: list[tuple[float, str, dict]] = []
    curves = lesion_curves(
        resnet18,
        images,
        labels,
        draws=2,
        seed=4,
        batch_size=2,
        progress=lambda f, key, **fields: calls.append((f, key, fields)),
    )
    assert calls[0][1] == "progress_curves_intact" and calls[-1][0] == 1.0
    assert [f for f, _, _ in calls] == sorted(f for f, _, _ in calls)
    assert {key for _, key, _ in calls[1:]} == {"progress_curves_branches", "progress_curves_skips"}
    assert calls[-1][2] == {"k": 8} and t(calls[-1][1], "zh", **calls[-1][2]).startswith("去掉 8")
    assert curves.metric == ACCURACY and curves.n_images == 3
    assert curves.ks.tolist() == list(range(9))
    assert curves.branch_scores.shape == curves.skip_scores.shape == (9, 2)
    # Recompute one draw at k = 2 with full forwards.
    rng = np.random.default_rng(4)
    subsets = [choose_subsets(8, k, 2, rng) for k in range(9)]
    names = [f"layer{s}.{i}" for s in range(1, 5) for i in range(2)]
    x = torch.cat(
        [resnet18.preprocessing.to_tensor(resnet18.preprocessing.model_view(im)) for im in images]
    )
    for mode, scores in ((BRANCH_OFF, curves.branch_scores), (SKIP_OFF, curves.skip_scores)):
        modes = {names[i]: mode for i in subsets[2][1]}
        with torch.no_grad():
            top1 = forward_with_modes(resnet18.module, x, modes).argmax(1).numpy()
        assert scores[2, 1] == pytest.approx(float((top1 == labels).mean()))
    assert curves.branch_std[0] == 0.0 and np.isnan(curves.branch_scores[0, 1])
    data = curves.to_json()
    assert len(data["branches_removed"]["draws"][0]) == 1


def test_curves_carry_the_standard_error_of_each_mean_and_chart_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """sem = sample s.d. (ddof = 1) / √n over the draws that exist; 0 with one draw; the chart's
    band is the standard error, not the s.d."""
    from resnet_demo.lab import charts
    from resnet_demo.lab.curves import LesionCurves

    nan = float("nan")
    branch = np.array([[0.9, nan, nan], [0.8, 0.6, 0.7], [0.5, 0.1, nan]])
    curves = LesionCurves(
        "m", "w", None, 4, ACCURACY, np.arange(3), branch, branch[::-1].copy(), 0.9, 0.1, 3, 0
    )
    assert curves.branch_n.tolist() == [1, 3, 2]
    expected = [
        0.0,
        float(np.std([0.8, 0.6, 0.7], ddof=1)) / math.sqrt(3),
        float(np.std([0.5, 0.1], ddof=1)) / math.sqrt(2),
    ]
    assert curves.branch_sem == pytest.approx(expected)
    assert curves.skip_sem == pytest.approx(expected[::-1])
    data = curves.to_json()["branches_removed"]
    assert data["sem"] == pytest.approx(expected) and data["n_draws"] == [1, 3, 2]
    seen: dict = {}
    real = charts.check_lines

    def spy(series, x, spread=None):  # type: ignore[no-untyped-def]
        seen.update(spread or {})
        return real(series, x, spread)

    monkeypatch.setattr(charts, "check_lines", spy)
    charts.curves_chart(curves)
    assert seen[t("curves_branches", "en")] == pytest.approx(expected)


def test_curves_without_labels_score_agreement(resnet18: LoadedModel) -> None:
    images = [shapes.generate_sample(shapes.TEST_SEED_START + i, size=48).image for i in range(2)]
    curves = lesion_curves(resnet18, images, None, draws=1)
    assert curves.metric == AGREEMENT
    assert curves.intact_score == 1.0 and curves.branch_mean[0] == 1.0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"images": []}, "at least one image"),
        ({"labels": [1]}, "one label per image"),
        ({"labels": [1, 5000]}, "class indices"),
        ({"draws": 0}, "draws"),
    ],
)
def test_curves_refuse_bad_arguments(resnet18: LoadedModel, kwargs: dict, match: str) -> None:
    args = {"images": [np.zeros((32, 32, 3), np.uint8)] * 2, "labels": None, **kwargs}
    with pytest.raises(ValueError, match=match):
        lesion_curves(resnet18, **args)


def test_curves_keep_the_image_set_and_write_it_as_json(resnet18: LoadedModel) -> None:
    images = shapes_set(2, seed=3, size=48)
    curves = lesion_curves(resnet18, images.images, images.labels, draws=1, image_set=images)
    assert curves.image_set is images
    data = json.loads(json.dumps(curves.to_json(), allow_nan=False))
    assert data["image_set"] == {"kind": SHAPES, "n": 2, "first_seed": images.first_seed}
    assert lesion_curves(resnet18, images.images, None, draws=1).to_json()["image_set"] is None


def test_image_sets() -> None:
    shapes_a = load_image_set(SHAPES, 4, seed=1)
    assert len(shapes_a.images) == 4 and shapes_a.labels is not None
    assert np.array_equal(shapes_a.images[0], shapes_set(4, seed=1).images[0])
    assert shapes_a.images[0].shape == (128, 128, 3)
    examples = load_image_set(EXAMPLES)
    assert examples.labels is None and len(examples.images) >= 4
    assert all(im.dtype == np.uint8 and im.shape[2] == 3 for im in examples.images)
    with pytest.raises(ValueError, match="unknown image set"):
        load_image_set("faces")
