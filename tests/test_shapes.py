"""The synthetic shapes generator: determinism, labels, boxes, distractors, speed-relevant API."""

from __future__ import annotations

import numpy as np
import pytest

from resnet_demo import shapes
from resnet_demo.shapes import (
    CLASS_NAMES,
    TEST_SEED_START,
    ShapeSample,
    class_names_in,
    generate_batch,
    generate_sample,
    label_coverage,
)
from resnet_demo.text import t

N_CLASSES = len(CLASS_NAMES)


@pytest.fixture(scope="module")
def batch() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    return generate_batch(TEST_SEED_START, 300)


def test_class_names_cover_the_required_shapes_in_both_languages() -> None:
    required = {"circle", "square", "triangle", "star", "cross", "ring", "hexagon", "heart"}
    required |= {"arrow", "crescent"}
    assert required <= set(CLASS_NAMES)
    assert len(CLASS_NAMES) >= 10
    assert len(set(CLASS_NAMES)) == len(CLASS_NAMES)
    zh = class_names_in("zh")
    assert len(zh) == len(CLASS_NAMES)
    assert len(set(zh)) == len(zh)
    assert zh[CLASS_NAMES.index("circle")] == "圆形"
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in name) for name in zh)
    # The words come from the catalogue; in English a class's word is its id.
    assert [t(f"shape_{name}", "en") for name in CLASS_NAMES] == list(CLASS_NAMES)
    assert class_names_in("en") == CLASS_NAMES
    assert [t(f"shape_{name}", "zh") for name in CLASS_NAMES] == list(zh)


@pytest.mark.parametrize("size", [64, 128])
def test_sample_types_and_shapes(size: int) -> None:
    sample = generate_sample(7, size=size)
    assert isinstance(sample, ShapeSample)
    assert sample.image.dtype == np.uint8
    assert sample.image.shape == (size, size, 3)
    assert sample.image.flags.c_contiguous
    assert isinstance(sample.label, int)
    assert 0 <= sample.label < N_CLASSES
    assert isinstance(sample.has_distractors, bool)
    assert len(sample.bbox) == 4
    assert all(isinstance(v, int) for v in sample.bbox)


@pytest.mark.parametrize("seed", [0, 1, 12345, TEST_SEED_START])
def test_same_seed_same_sample_other_seed_other_image(seed: int) -> None:
    a, b = generate_sample(seed), generate_sample(seed)
    np.testing.assert_array_equal(a.image, b.image)
    assert (a.label, a.bbox, a.has_distractors) == (b.label, b.bbox, b.has_distractors)
    assert not np.array_equal(a.image, generate_sample(seed + 1).image)


def test_sample_is_frozen() -> None:
    sample = generate_sample(3)
    with pytest.raises(AttributeError):
        sample.label = 0  # type: ignore[misc]


def test_batch_rows_equal_single_samples_of_consecutive_seeds() -> None:
    images, labels, bboxes, flags = generate_batch(500, 6, size=96, distractor_rate=0.7)
    assert images.dtype == np.uint8 and images.shape == (6, 96, 96, 3)
    assert labels.dtype == np.int64 and labels.shape == (6,)
    assert bboxes.dtype == np.int32 and bboxes.shape == (6, 4)
    assert flags.dtype == np.bool_ and flags.shape == (6,)
    for i in range(6):
        sample = generate_sample(500 + i, size=96, distractor_rate=0.7)
        np.testing.assert_array_equal(images[i], sample.image)
        assert labels[i] == sample.label
        assert tuple(bboxes[i]) == sample.bbox
        assert flags[i] == sample.has_distractors


def test_empty_batch() -> None:
    images, labels, bboxes, flags = generate_batch(0, 0)
    assert images.shape == (0, 128, 128, 3) and labels.shape == (0,)
    assert bboxes.shape == (0, 4) and flags.shape == (0,)


def test_every_class_appears_roughly_uniformly(batch: tuple[np.ndarray, ...]) -> None:
    counts = np.bincount(batch[1], minlength=N_CLASSES)
    assert counts.min() >= 300 / N_CLASSES * 0.5


def test_images_vary_in_colour_and_are_not_blank(batch: tuple[np.ndarray, ...]) -> None:
    images = batch[0]
    assert images.reshape(len(images), -1).std(axis=1).min() > 5.0
    means = images.reshape(len(images), -1, 3).mean(axis=1)
    assert means.std(axis=0).min() > 15.0  # colours differ from image to image


def test_bbox_lies_inside_the_image_and_is_large(batch: tuple[np.ndarray, ...]) -> None:
    bboxes = batch[2]
    x0, y0, x1, y1 = bboxes.T
    assert (x0 >= 0).all() and (y0 >= 0).all()
    assert (x1 <= 128).all() and (y1 <= 128).all()
    assert (x1 > x0).all() and (y1 > y0).all()
    # Large enough to cover a 32-px layer4 cell centre most of the time: >= 28 px per side.
    assert np.minimum(x1 - x0, y1 - y0).min() >= 28
    assert np.maximum(x1 - x0, y1 - y0).max() <= 82


@pytest.mark.parametrize("seed", [TEST_SEED_START + k for k in range(8)])
def test_bbox_is_the_tight_box_of_the_labelled_shape(seed: int) -> None:
    sample = generate_sample(seed)
    coverage = label_coverage(seed)
    assert coverage.dtype == np.float32 and coverage.shape == (128, 128)
    ys, xs = np.nonzero(coverage >= 0.25)
    assert sample.bbox == (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
    x0, y0, x1, y1 = sample.bbox
    outside = coverage.copy()
    outside[y0:y1, x0:x1] = 0.0
    assert outside.max() < 0.25


@pytest.mark.parametrize("seed", [TEST_SEED_START + k for k in range(8)])
def test_labelled_shape_is_visible_against_its_background(seed: int) -> None:
    """Pixels fully covered by the labelled shape differ from the pixels just around it."""
    sample = generate_sample(seed, distractor_rate=0.0)
    coverage = label_coverage(seed, distractor_rate=0.0)
    image = sample.image.astype(np.float64)
    inside = image[coverage > 0.99].mean(axis=0)
    x0, y0, x1, y1 = sample.bbox
    ring = np.zeros((128, 128), dtype=bool)
    ring[max(y0 - 4, 0) : y1 + 4, max(x0 - 4, 0) : x1 + 4] = True
    ring &= coverage == 0.0
    around = image[ring].mean(axis=0)
    assert np.linalg.norm(inside - around) > 40.0


@pytest.mark.parametrize("rate", [0.0, 0.5, 1.0])
def test_distractors_appear_at_the_configured_rate(rate: float) -> None:
    *_, flags = generate_batch(TEST_SEED_START + 1000, 200, distractor_rate=rate)
    assert abs(flags.mean() - rate) <= 0.1


@pytest.mark.parametrize("seed", [TEST_SEED_START + k for k in range(6)])
def test_distractors_leave_the_labelled_shape_where_it_was(seed: int) -> None:
    """The labelled shape is placed before any distractor: same label and box with or without
    distractors, while the pictures differ."""
    with_d = generate_sample(seed, distractor_rate=1.0)
    without = generate_sample(seed, distractor_rate=0.0)
    assert with_d.has_distractors and not without.has_distractors
    assert (with_d.label, with_d.bbox) == (without.label, without.bbox)
    assert not np.array_equal(with_d.image, without.image)


def test_distractors_are_smaller_than_the_labelled_shape() -> None:
    """A distractor lives in at most a 26 px box; the labelled shape's box is >= 28 px."""
    assert shapes._DISTRACTOR_RADIUS[1] * 2 < shapes._MAIN_RADIUS[0] * 2
    assert shapes._MAIN_RADIUS[0] / shapes._DISTRACTOR_RADIUS[1] >= 1.8


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"seed": -1}, "seed must be >= 0"),
        ({"seed": 0, "size": 16}, "size must be >= 32"),
        ({"seed": 0, "distractor_rate": 1.5}, r"distractor_rate must be in \[0, 1\]"),
    ],
)
def test_bad_arguments_are_rejected(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        generate_sample(**kwargs)


def test_bad_batch_count_is_rejected() -> None:
    with pytest.raises(ValueError, match="n must be >= 0"):
        generate_batch(0, -1)
