"""The lab's lesion experiments on the shipped embedded model (Veit et al.'s smooth
decline when residual branches go, and the collapse when skips go, must show on it)."""

from __future__ import annotations

import numpy as np
import pytest

from resnet_demo.lab.curves import lesion_curves
from resnet_demo.lab.image_sets import shapes_set
from resnet_demo.lab.lesions import lesion_sweep
from resnet_demo.models import LoadedModel

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_torch_thread")]


@pytest.fixture(scope="module")
def curves(embedded: LoadedModel) -> object:
    images = shapes_set(128, seed=0)
    return lesion_curves(embedded, images.images, images.labels, draws=5, seed=0)


def test_branch_curve_declines_smoothly_and_skip_curve_collapses(curves: object) -> None:
    assert curves.intact_score > 0.9
    branch, skip = curves.branch_mean, curves.skip_mean
    # Removing k residual branches costs less than removing k skips, for every k up to half
    # the network (Veit et al. 2016: the paths that remain still form a working ensemble).
    for k in range(1, 5):
        assert branch[k] > skip[k], k
    assert np.mean(branch[1:5] - skip[1:5]) > 0.08
    # The branch curve declines smoothly: still well above chance with 2 branches gone ...
    assert branch[2] > 0.6
    assert all(branch[k] - branch[k + 1] < 0.4 for k in range(len(branch) - 1))
    # ... while the skip curve is at chance once half the skips are gone.
    assert skip[4] < curves.chance + 0.05
    # With everything removed, both are near chance.
    assert abs(branch[-1] - curves.chance) < 0.15 and abs(skip[-1] - curves.chance) < 0.15


def test_sweep_on_embedded_shapes_mostly_keeps_the_class_when_one_branch_goes(
    embedded: LoadedModel,
) -> None:
    images = shapes_set(16, seed=0)
    correct = [
        (im, y)
        for im, y in zip(images.images, images.labels, strict=True)
        if lesion_sweep(embedded, im).original_class == y
    ]
    assert len(correct) >= 14
    changed = np.mean([lesion_sweep(embedded, im).branch_changed.mean() for im, _ in correct])
    assert changed < 0.5
