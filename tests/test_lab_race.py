"""The degradation race: plain-20/56 and ResNet-20/56 side by side (He et al. 2016, Fig. 1 and
Fig. 6), live and as recorded in assets/race_recorded.json."""

from __future__ import annotations

import dataclasses
import itertools
import json
import threading
from pathlib import Path

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from resnet_demo import shapes
from resnet_demo.lab import charts
from resnet_demo.lab.data import LAB_TRAIN_SEED
from resnet_demo.lab.notes import NOTES
from resnet_demo.lab.race import (
    FINISHED,
    FIXED,
    FRESH,
    FRESH_RACE_SEEDS,
    FRESH_SEED_START,
    FRESH_SEEDS_PER_RACE,
    OUT_OF_TIME,
    RUNNING,
    STATUSES,
    STOPPED,
    RaceConfig,
    RaceSnapshot,
    fresh_batch,
    race_lr,
    race_to_end,
    run_race,
)
from resnet_demo.lab.race_record import (
    DEEP_NOT_STARTED,
    FIG1,
    FIG6,
    LEARNED_BELOW,
    MEMORISED_GAP,
    NOT_LEARNED,
    RECORDED_PATH,
    REVERSED,
    SHOWN,
    VERDICTS,
    WITHIN_SPREAD,
    Final,
    figure_words,
    learned,
    recorded_race,
    recorded_verdict_words,
    recorded_words,
    verdict,
    verdict_words,
)
from resnet_demo.text import t

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TINY = RaceConfig(
    depths=(8, 14),
    max_steps=6,
    n_train=16,
    n_test=8,
    image_size=8,
    batch_size=4,
    time_budget_s=None,
    snapshot_every=2,
    eval_every=3,
)
"""A race small enough for a unit test (a second or two on one core)."""


def test_default_race_is_he_et_als_four_networks() -> None:
    config = RaceConfig()
    assert config.depths == (20, 56)
    assert config.keys == ("plain-20", "plain-56", "resnet-20", "resnet-56")
    assert config.time_budget_s is not None and config.time_budget_s <= 150
    assert config.check() is config


def test_snapshots_stream_and_all_nets_share_the_step_count() -> None:
    snapshots = list(run_race(TINY))
    assert [s.step for s in snapshots] == [0, 2, 4, 6]
    assert [s.status for s in snapshots] == [RUNNING, RUNNING, RUNNING, FINISHED]
    last = snapshots[-1]
    assert last.done and not snapshots[0].done
    assert set(last.losses) == set(TINY.keys) == {"plain-8", "plain-14", "resnet-8", "resnet-14"}
    for key in TINY.keys:  # every net took every step
        assert last.losses[key].shape == last.train_errors[key].shape == (6,)
        assert last.losses[key].dtype == np.float32
        assert last.test_errors[key].shape == (2,)
        assert ((last.test_errors[key] >= 0) & (last.test_errors[key] <= 1)).all()
    assert last.eval_steps.tolist() == [3, 6]
    assert np.isnan(snapshots[0].recent_loss("plain-8"))
    data = json.loads(json.dumps(last.to_json(), allow_nan=False))
    assert data["steps"] == 6 and len(data["train_losses"]["resnet-14"]) == 6
    # Before the first step the mean losses are NaN; the JSON holds null, never NaN.
    first = json.loads(json.dumps(snapshots[0].to_json(), allow_nan=False))
    assert set(first["final_mean_loss_last_20"].values()) == {None}


def test_the_four_nets_see_the_same_batches_and_twins_start_alike() -> None:
    # Plain and ResNet of one depth start from the same weights; with the same batches their
    # first losses differ only by the skips. A 1-step race is a function of its settings.
    one = dataclasses.replace(TINY, max_steps=1)
    a, b = race_to_end(one), race_to_end(one)
    for key in TINY.keys:
        assert np.array_equal(a.losses[key], b.losses[key])


def test_fresh_batches_never_repeat_and_are_a_function_of_seed_and_step() -> None:
    config = dataclasses.replace(TINY, train_data=FRESH)
    x1, y1 = fresh_batch(config, 1)
    x1b, y1b = fresh_batch(config, 1)
    x2, _ = fresh_batch(config, 2)
    other_seed, _ = fresh_batch(dataclasses.replace(config, seed=1), 1)
    assert x1.shape == (4, 3, 8, 8) and y1.dtype == torch.int64
    assert torch.equal(x1, x1b) and torch.equal(y1, y1b)
    assert not torch.equal(x1, x2) and not torch.equal(x1, other_seed)
    # Every batch of every allowed race seed stays in the training namespace.
    last_seed = FRESH_SEED_START + FRESH_RACE_SEEDS * FRESH_SEEDS_PER_RACE - 1
    assert LAB_TRAIN_SEED <= FRESH_SEED_START and last_seed < shapes.TEST_SEED_START
    with pytest.raises(ValueError, match="seed"):
        dataclasses.replace(config, seed=FRESH_RACE_SEEDS).check()
    with pytest.raises(ValueError, match="max_steps"):
        dataclasses.replace(config, max_steps=FRESH_SEEDS_PER_RACE).check()


def test_fixed_data_race_still_runs() -> None:
    last = race_to_end(dataclasses.replace(TINY, train_data=FIXED, clutter=True))
    assert last.status == FINISHED and last.step == TINY.max_steps


def test_warm_up_runs_at_its_own_learning_rate_then_switches() -> None:
    config = dataclasses.replace(TINY, warmup_steps=2, warmup_lr=0.001, lr=0.05)
    assert [race_lr(config, s) for s in (1, 2, 3)] == [0.001, 0.001, 0.05]


def test_status_constants_are_catalogue_suffixes() -> None:
    assert STATUSES == (RUNNING, FINISHED, OUT_OF_TIME, STOPPED)
    for status in STATUSES:
        assert t(f"race_status_{status}", "zh") != t(f"race_status_{status}", "en")


def test_stop_flag_ends_the_race_with_every_net_at_the_same_step() -> None:
    stop = threading.Event()
    snapshots = run_race(dataclasses.replace(TINY, max_steps=100), stop)
    assert next(snapshots).step == 0
    assert next(snapshots).step == 2
    stop.set()
    last = list(snapshots)[-1]
    assert last.status == STOPPED and last.step == 2
    assert {len(v) for v in last.losses.values()} == {2}
    assert last.eval_steps.tolist() == [2]  # a last held-out measurement at the stop


def test_time_budget_ends_the_race() -> None:
    ticks = itertools.count(0.0, 1.0)  # every clock read is one "second" later
    config = dataclasses.replace(TINY, max_steps=100, time_budget_s=6.0)
    last = list(run_race(config, clock=lambda: next(ticks)))[-1]
    assert last.status == OUT_OF_TIME
    assert 0 < last.step < 100


def test_default_live_race_stops_when_its_time_budget_is_spent() -> None:
    # The default recipe (four nets, 16 px, fresh shapes) with a short budget and no step limit
    # in reach: it ends out of time, every net at the same step, with a last held-out
    # measurement if it took a step. (Wall-clock speed is not asserted: the machine is shared.)
    steps = FRESH_SEEDS_PER_RACE // RaceConfig().batch_size  # far out of reach in 3 s
    config = dataclasses.replace(RaceConfig(), time_budget_s=3.0, max_steps=steps, n_test=32)
    last = race_to_end(config)
    assert last.status == OUT_OF_TIME and last.elapsed_s >= 3.0
    assert len({len(v) for v in last.losses.values()}) == 1
    if last.step:
        assert last.eval_steps[-1] == last.step


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("depths", (20, 21), r"6n \+ 2"),
        ("max_steps", 0, "max_steps"),
        ("batch_size", True, "batch_size"),
        ("time_budget_s", 0.0, "time_budget_s"),
        ("image_size", 12, "image_size"),
        ("optimizer", "rmsprop", "optimizer"),
        ("train_data", "cached", "train_data"),
        ("warmup_steps", -1, "warmup_steps"),
        ("warmup_lr", 0.0, "warmup_lr"),
        ("distractor_rate", 1.5, "distractor_rate"),
    ],
)
def test_bad_settings_are_refused(field: str, value: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        RaceConfig(**{field: value}).check()


def test_chart_draws_the_three_views_with_and_without_the_recording() -> None:
    last = race_to_end(TINY)
    plain = charts.race_chart(last, None, width=600)
    assert plain.dtype == np.uint8 and plain.shape[1] == 600
    assert [charts.race_view_keys(last, v) for v in charts.RACE_VIEWS] == [
        ("plain-8", "plain-14"),
        ("resnet-8", "resnet-14"),
        ("plain-14", "resnet-14"),
    ]


# ---- the recording (assets/race_recorded.json, made by training/record_race.py) ------------


@pytest.fixture(scope="module")
def recorded():
    record = recorded_race()
    assert record is not None, f"{RECORDED_PATH} is missing: run python -m training.record_race"
    return record


def _finals(record, key: str) -> np.ndarray:
    return np.array(record.data["nets"][key]["final"]["train_loss"]["per_seed"])


def test_recording_is_three_seeds_of_the_live_recipe(recorded) -> None:
    assert len(recorded.seeds) >= 3
    live = RaceConfig()
    assert recorded.recipe["depths"] == list(live.depths)
    for name in ("image_size", "batch_size", "train_data", "optimizer", "lr", "shortcut"):
        assert recorded.recipe[name] == getattr(live, name), name
    for key in live.keys:
        entry = recorded.data["nets"][key]
        for measure in ("train_loss", "train_error", "test_error"):
            assert len(entry[measure]["per_seed"]) == len(recorded.seeds)
            assert len(entry[measure]["mean"]) == len(entry[measure]["std"])
        # the stored mean is the mean of the per-seed curves
        per_seed = np.array(entry["train_loss"]["per_seed"])
        assert np.allclose(per_seed.mean(axis=0), entry["train_loss"]["mean"], atol=1e-3)
    assert recorded.data["command"].startswith("python -m training.record_race")
    assert recorded.data["seconds"] > 0 and recorded.data["machine"]["torch_threads"] == 1


# ---- verdicts: a direction is claimed only after both nets have learned ------------------


def _final(mean: float, std: float = 0.0, n: int = 3) -> Final:
    return Final(mean, std, (mean,) * n)


LEARNED, CHANCE = _final(1.0), _final(2.25)
"""Final training losses: one well below 0.8 ln 10 (1.84), one at chance level."""


@pytest.mark.parametrize(
    ("figure", "losses", "errors", "expected"),
    [
        # Neither or only the deeper net learned: nothing is compared.
        (FIG1, (CHANCE, CHANCE), (_final(0.9), _final(0.1)), NOT_LEARNED),
        (FIG1, (CHANCE, LEARNED), (_final(0.9), _final(0.1)), NOT_LEARNED),
        (FIG6, (CHANCE, CHANCE), (_final(0.9), _final(0.9)), NOT_LEARNED),
        # The shallow net learned, the deep one did not: failed to start, not degradation.
        (FIG1, (LEARNED, CHANCE), (_final(0.3), _final(0.88)), DEEP_NOT_STARTED),
        (FIG6, (LEARNED, CHANCE), (_final(0.3), _final(0.88)), DEEP_NOT_STARTED),
        # Both learned: the deeper plain net higher beyond the spread is degradation ...
        (FIG1, (LEARNED, LEARNED), (_final(0.30, 0.02), _final(0.40, 0.03)), SHOWN),
        # ... within the spread it is not, and lower is the reverse.
        (FIG1, (LEARNED, LEARNED), (_final(0.30, 0.05), _final(0.33, 0.02)), WITHIN_SPREAD),
        (FIG1, (LEARNED, LEARNED), (_final(0.40, 0.02), _final(0.30, 0.03)), REVERSED),
        # Fig. 6: the deeper ResNet no higher, within the spread, is the paper's direction.
        (FIG6, (LEARNED, LEARNED), (_final(0.30, 0.02), _final(0.25, 0.02)), SHOWN),
        (FIG6, (LEARNED, LEARNED), (_final(0.30, 0.05), _final(0.33, 0.02)), SHOWN),
        (FIG6, (LEARNED, LEARNED), (_final(0.30, 0.02), _final(0.40, 0.03)), REVERSED),
    ],
)
def test_verdict_rules(figure: str, losses, errors, expected: str) -> None:
    assert verdict(figure, losses, errors) == expected


def test_learned_means_a_loss_at_most_80_percent_of_chance() -> None:
    assert pytest.approx(0.8 * np.log(10)) == LEARNED_BELOW
    assert learned(_final(LEARNED_BELOW)) and not learned(_final(LEARNED_BELOW + 1e-6))


def test_every_verdict_a_figure_can_reach_has_words_in_both_languages() -> None:
    names, finals = ("a-20", "b-56"), (_final(0.5, 0.01), _final(0.6, 0.02))
    for figure in (FIG1, FIG6):
        for found in VERDICTS:
            if figure == FIG6 and found == WITHIN_SPREAD:
                continue  # Fig. 6 asks "no higher within the spread": never this verdict
            for lang in ("en", "zh"):
                words = verdict_words(figure, found, names, finals, finals, lang)
                named = "a-20" if found == NOT_LEARNED else "b-56"
                assert named in words and "{" not in words, (figure, found, lang)


NETS = ("plain-20", "plain-56", "resnet-20", "resnet-56")


def _recording(tmp_path: Path, recorded, finals: dict) -> str:
    """`recorded_words` of a copy of the shipped recording with the given final values:
    {net: {measure: (mean, std)}}."""
    data = json.loads(json.dumps(recorded.data))
    for key, measures in finals.items():
        for measure, (mean, std) in measures.items():
            data["nets"][key]["final"][measure].update(mean=mean, std=std)
    path = tmp_path / f"race{len(list(tmp_path.iterdir()))}.json"  # cached by path
    path.write_text(json.dumps(data), encoding="utf-8")
    return recorded_words("en", path=path)


def test_recorded_words_follow_the_verdicts(tmp_path: Path, recorded) -> None:
    def nets(p20, p56, r20, r56):
        return {
            key: {"train_loss": loss, "train_error": error, "test_error": error}
            for key, (loss, error) in zip(
                ("plain-20", "plain-56", "resnet-20", "resnet-56"),
                (p20, p56, r20, r56),
                strict=True,
            )
        }

    ok = ((1.0, 0.05), (0.30, 0.02))
    words = _recording(tmp_path, recorded, nets(ok, ((1.2, 0.05), (0.40, 0.02)), ok, ok))
    assert "Shown here (Fig. 1)" in words and "Shown here (Fig. 6)" in words
    assert t("race_recorded_generalised", "en") in words
    # plain-56 at chance: failed to start, with Yang et al. and the gradient-flow measurement
    words = _recording(tmp_path, recorded, nets(ok, ((2.29, 0.01), (0.88, 0.01)), ok, ok))
    assert "Not degradation here (Fig. 1)" in words and "Yang et al. 2019" in words
    assert "Shown here (Fig. 1)" not in words
    # nothing learned: no direction at all
    chance = ((2.3, 0.01), (0.9, 0.01))
    words = _recording(tmp_path, recorded, nets(chance, chance, chance, chance))
    assert "Shown here" not in words and "Not shown here" not in words
    assert words.count("Not compared yet") == 2
    # a held-out error 10 points above the training error is memorising, and said so
    memorised = nets(ok, ok, ok, ok)
    memorised["resnet-20"]["test_error"] = (0.6, 0.02)
    words = _recording(tmp_path, recorded, memorised)
    assert t("race_recorded_memorised", "en", nets="ResNet-20") in words


# ---- the shipped recording -----------------------------------------------------------------
# Its verdicts are recomputed here from the per-seed finals (not from the app's own means), and
# the app must say exactly those.


def _per_seed(record, key: str, measure: str) -> np.ndarray:
    return np.array(record.data["nets"][key]["final"][measure]["per_seed"], dtype=np.float64)


def _expected_verdict(record, figure: str) -> str:
    kind = "plain" if figure == FIG1 else "resnet"
    (sl, se), (dl, de) = (
        (
            _per_seed(record, f"{kind}-{d}", "train_loss"),
            _per_seed(record, f"{kind}-{d}", "train_error"),
        )
        for d in (20, 56)
    )
    if sl.mean() > 0.8 * np.log(10):
        return NOT_LEARNED
    if dl.mean() > 0.8 * np.log(10):
        return DEEP_NOT_STARTED
    spread = max(se.std(ddof=1), de.std(ddof=1))
    if figure == FIG6:
        return SHOWN if de.mean() <= se.mean() + spread + 1e-9 else REVERSED
    if de.mean() > se.mean() + spread:
        return SHOWN
    return REVERSED if de.mean() < se.mean() - spread else WITHIN_SPREAD


@pytest.mark.parametrize("figure", [FIG1, FIG6])
def test_the_app_says_what_the_shipped_recording_shows(recorded, figure: str) -> None:
    expected = _expected_verdict(recorded, figure)
    assert recorded.verdict(figure) == expected
    for lang in ("en", "zh"):
        words = recorded_words(lang)
        assert recorded_verdict_words(recorded, figure, lang) in words
        assert figure_words(figure, lang) in NOTES["race"].essentials(lang)


def test_app_quotes_the_recorded_numbers(recorded) -> None:
    for lang in ("en", "zh"):
        words = recorded_words(lang)
        for key in ("plain-20", "plain-56", "resnet-20", "resnet-56"):
            loss, error = recorded.final(key), recorded.final(key, "train_error")
            assert f"{loss.mean:.3f} ± {loss.std:.3f}" in words
            assert f"{100 * error.mean:.1f} ± {100 * error.std:.1f} %" in words
        assert str(recorded.steps) in words


def test_memorised_follows_the_held_out_gap(recorded) -> None:
    for key in recorded.data["nets"]:
        gap = (
            _per_seed(recorded, key, "test_error").mean()
            - _per_seed(recorded, key, "train_error").mean()
        )
        assert (key in recorded.memorised()) == (gap > MEMORISED_GAP + 1e-4)


# ---- the chart draws the recording on the live curves' scale -------------------------------


def test_recorded_curves_are_drawn_on_the_live_scale(recorded) -> None:
    """Held-out error is stored as a fraction, live and recorded alike; both are drawn in
    percent (the recording was once drawn as a fraction on the percent axis: flat at 0-1 %)."""
    config = dataclasses.replace(RaceConfig(), max_steps=recorded.steps)
    assert charts._same_recipe_config(config, recorded)  # else the recording is not drawn
    snapshot = RaceSnapshot(
        config=config,
        step=2,
        elapsed_s=1.0,
        losses={k: np.full(2, 2.0, np.float32) for k in config.keys},
        train_errors={k: np.full(2, 0.5, np.float32) for k in config.keys},
        eval_steps=np.array([2]),
        test_errors={k: np.full(1, 0.5, np.float32) for k in config.keys},
        status=RUNNING,
    )
    fig = Figure()
    charts.plot_race_view(fig, snapshot, "fig1", recorded)
    error_ax = fig.axes[1]
    live = [line for line in error_ax.lines if line.get_linestyle() == "-"]
    dashed = [line for line in error_ax.lines if line.get_linestyle() == "--"]
    assert live and dashed
    for line in live:
        assert np.allclose(line.get_ydata(), 50.0)  # 0.5 drawn as 50 %
    for line, key in zip(dashed, ("plain-20", "plain-56"), strict=True):
        _, mean, _ = recorded.curve(key, "test_error")
        assert np.allclose(line.get_ydata(), 100 * mean)
        assert np.max(line.get_ydata()) > 1.0  # percent, not a fraction
