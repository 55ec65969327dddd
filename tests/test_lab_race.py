"""The degradation race: plain vs residual twins trained side by side (He et al. 2016, Fig. 1)."""

from __future__ import annotations

import itertools
import json
import threading

import numpy as np
import pytest

from resnet_demo.lab.race import (
    FINISHED,
    OUT_OF_TIME,
    RUNNING,
    STATUSES,
    STOPPED,
    RaceConfig,
    race_to_end,
    run_race,
)
from resnet_demo.text import t

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_deep_plain_net_trains_worse_than_its_residual_twin() -> None:
    # 20 layers, 40 steps of 16 images from a set of 64 shapes at 32 px (~10 s on one core).
    # Measured mean loss of the last 10 steps: plain 1.83 / 1.92, ResNet 1.06 / 1.01 (seeds
    # 0 / 1). At 56 layers the gap is far wider (see the race panel).
    config = RaceConfig(
        depth=20, max_steps=40, n_train=64, batch_size=16, time_budget_s=None, seed=0
    )
    last = race_to_end(config)
    assert last.status == FINISHED and last.step == 40
    plain, residual = (float(np.mean(v[-10:])) for v in (last.plain_losses, last.residual_losses))
    assert residual < plain - 0.3
    assert residual < 1.5  # the ResNet really learns (chance is ln 10 = 2.30)


def test_snapshots_stream_and_share_the_step_count() -> None:
    config = RaceConfig(depth=8, max_steps=6, n_train=32, time_budget_s=None, snapshot_every=2)
    snapshots = list(run_race(config))
    assert [s.step for s in snapshots] == [0, 2, 4, 6]
    assert [s.status for s in snapshots] == [RUNNING, RUNNING, RUNNING, FINISHED]
    last = snapshots[-1]
    assert last.done and not snapshots[0].done
    assert last.plain_losses.shape == last.residual_losses.shape == (6,)
    assert last.plain_losses.dtype == np.float32
    assert np.isnan(snapshots[0].recent_mean()).all()
    data = last.to_json()
    assert data["steps"] == 6 and len(data["plain_losses"]) == 6
    # Before the first step the mean losses are NaN; the JSON holds null, never NaN.
    first = json.loads(json.dumps(snapshots[0].to_json(), allow_nan=False))
    assert first["final_mean_loss_last_20"] == {"plain": None, "residual": None}


def test_status_constants_are_catalogue_suffixes() -> None:
    assert STATUSES == (RUNNING, FINISHED, OUT_OF_TIME, STOPPED)
    assert OUT_OF_TIME == "out_of_time"
    for status in STATUSES:
        assert t(f"race_status_{status}", "zh") != t(f"race_status_{status}", "en")


def test_the_race_is_a_function_of_its_settings() -> None:
    config = RaceConfig(depth=8, max_steps=3, n_train=32, time_budget_s=None, seed=5)
    a, b = race_to_end(config), race_to_end(config)
    assert np.array_equal(a.plain_losses, b.plain_losses)
    assert np.array_equal(a.residual_losses, b.residual_losses)


def test_stop_flag_ends_the_race() -> None:
    stop = threading.Event()
    snapshots = run_race(RaceConfig(depth=8, max_steps=100, n_train=32), stop)
    first = next(snapshots)
    assert first.step == 0
    stop.set()
    rest = list(snapshots)
    assert rest[-1].status == STOPPED and rest[-1].step == 0


def test_time_budget_ends_the_race() -> None:
    ticks = itertools.count(0.0, 1.0)  # every clock read is one "second" later
    config = RaceConfig(depth=8, max_steps=100, n_train=32, time_budget_s=4.0)
    last = list(run_race(config, clock=lambda: next(ticks)))[-1]
    assert last.status == OUT_OF_TIME
    assert 0 < last.step < 100


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("depth", 21, r"6n \+ 2"),
        ("max_steps", 0, "max_steps"),
        ("batch_size", True, "batch_size"),
        ("time_budget_s", 0.0, "time_budget_s"),
    ],
)
def test_bad_settings_are_refused(field: str, value: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        RaceConfig(**{field: value}).check()
