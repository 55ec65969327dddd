"""The recorded degradation race: `assets/race_recorded.json`, made by `training/record_race.py`.

The recording runs the live race's recipe (`race.RaceConfig()`) for longer, over several seeds,
and keeps each network's curves (training loss and training error in windows of `curve_every`
steps; held-out error at `eval_steps`) with their mean and standard deviation over the seeds.
This module reads it (the package never imports `training/`) and says which of He et al.'s two
directions the recording shows:

- degradation (Fig. 1): the deeper plain net ends with a *higher* training loss, mean over seeds;
- the residual fix (Fig. 6): the deeper ResNet ends with a training loss lower than or equal to
  the shallower ResNet's, within the seeds' spread (mean + the larger of the two standard
  deviations).
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from resnet_demo.lab.race import DEEP, PLAIN, RESIDUAL, SHALLOW, RaceSnapshot, net_key
from resnet_demo.text import t

CHANCE_LOSS = math.log(10)
"""Cross-entropy of a uniform guess over the 10 shape classes (nats)."""
LEARNED_BELOW = 0.8 * CHANCE_LOSS
"""A net has *learned* (left chance) once its final training loss is at most this (20 % under
chance). No direction is claimed for a pair of nets until both have learned: He et al. define
degradation as what appears "when deeper networks are able to start converging" (§1)."""
RECORDED_PATH = Path(__file__).resolve().parents[2] / "assets" / "race_recorded.json"
"""The shipped recording."""
CHANCE_ERROR = 0.9
"""Error of guessing among the 10 shape classes."""
MEMORISED_GAP = 0.1
"""A net whose held-out error exceeds its training error by more than this has memorised its
training shapes rather than learned something that carries over to fresh ones."""

FIG1, FIG6 = "fig1", "fig6"
"""The two comparisons: plain-20 vs plain-56 (He et al. Fig. 1), ResNet-20 vs ResNet-56 (Fig. 6
middle)."""
SHOWN = "shown"
"""The paper's direction: for Fig. 1 the deeper plain net ends with a higher training error,
beyond the spread; for Fig. 6 the deeper ResNet ends no higher, within the spread."""
REVERSED = "reversed"
"""The opposite direction, beyond the spread."""
WITHIN_SPREAD = "within_spread"
"""Fig. 1 only: the two plain nets end within the spread of each other (no degradation shown)."""
DEEP_NOT_STARTED = "deep_not_started"
"""The shallower net learned, the deeper one never left chance: a failure to start training
(Yang et al. 2019: BatchNorm in a deep plain net makes the gradient explode at initialisation),
which is not the degradation of Fig. 1."""
NOT_LEARNED = "not_learned"
"""The shallower net (or both) never left chance: nothing is compared."""
VERDICTS: tuple[str, ...] = (SHOWN, REVERSED, WITHIN_SPREAD, DEEP_NOT_STARTED, NOT_LEARNED)
"""Every verdict; words: catalogue keys `race_verdict_<figure>_<verdict>`."""


@dataclass(frozen=True)
class Final:
    """One network's final value over the seeds: mean, sample standard deviation, per seed."""

    mean: float
    std: float
    per_seed: tuple[float, ...]


def learned(loss: Final) -> bool:
    """Whether a net whose final training loss is `loss` has left chance (`LEARNED_BELOW`)."""
    return loss.mean <= LEARNED_BELOW


def verdict(figure: str, losses: tuple[Final, Final], errors: tuple[Final, Final]) -> str:
    """What a pair of nets shows, one of `VERDICTS`.

    Args:
        figure: FIG1 (the plain pair) or FIG6 (the ResNet pair).
        losses: final training losses (shallow, deep): have they left chance?
        errors: final training errors (shallow, deep), compared only once both have learned.
            The spread is the larger of the two standard deviations (0 for a single run).
    """
    if not learned(losses[0]):
        return NOT_LEARNED
    if not learned(losses[1]):
        return DEEP_NOT_STARTED
    shallow, deep = errors
    spread = max(shallow.std, deep.std)
    if figure == FIG6:
        return SHOWN if deep.mean <= shallow.mean + spread else REVERSED
    if deep.mean > shallow.mean + spread:
        return SHOWN
    return REVERSED if deep.mean < shallow.mean - spread else WITHIN_SPREAD


FIGURE_KINDS: dict[str, str] = {FIG1: PLAIN, FIG6: RESIDUAL}
"""The kind of network each comparison races at two depths."""

Pair = tuple[Final, Final]
"""(shallow, deep) finals of one comparison."""


def pair_finals(
    figure: str, final_of: Callable[[str, str], Final], depths: tuple[int, int] = (SHALLOW, DEEP)
) -> tuple[tuple[str, str], Pair, Pair]:
    """(net keys, final training losses, final training errors) of `figure`'s two nets, each
    final read with `final_of(key, measure)`; shallow first."""
    kind = FIGURE_KINDS[figure]
    keys = (net_key(kind, depths[0]), net_key(kind, depths[1]))
    losses = (final_of(keys[0], "train_loss"), final_of(keys[1], "train_loss"))
    errors = (final_of(keys[0], "train_error"), final_of(keys[1], "train_error"))
    return keys, losses, errors


@dataclass(frozen=True)
class RecordedRace:
    """The recording, as read from JSON (see `training/record_race.py` for the fields)."""

    data: dict[str, Any]

    @property
    def seeds(self) -> list[int]:
        return list(self.data["seeds"])

    @property
    def steps(self) -> int:
        return int(self.data["steps"])

    @property
    def recipe(self) -> dict[str, Any]:
        return dict(self.data["recipe"])

    @property
    def minutes(self) -> float:
        return float(self.data["seconds"]) / 60

    def curve(self, key: str, measure: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(steps, mean, std) of `measure` ("train_loss", "train_error", "test_error") of net
        `key` ("plain-20", …), float64."""
        entry = self.data["nets"][key][measure]
        xs = self.data["eval_steps"] if measure == "test_error" else self.data["curve_steps"]
        return (
            np.asarray(xs, dtype=np.float64),
            np.asarray(entry["mean"], dtype=np.float64),
            np.asarray(entry["std"], dtype=np.float64),
        )

    def final(self, key: str, measure: str = "train_loss") -> Final:
        """The final `measure` of net `key` (training values: mean over the last `tail` steps)."""
        entry = self.data["nets"][key]["final"][measure]
        return Final(float(entry["mean"]), float(entry["std"]), tuple(entry["per_seed"]))

    def verdict(self, figure: str) -> str:
        """What the recording shows for `figure` (FIG1 or FIG6), one of `VERDICTS`: from the
        final training losses (have both nets left chance?) and training errors."""
        _, losses, errors = pair_finals(figure, self.final)
        return verdict(figure, losses, errors)

    @property
    def degradation_shown(self) -> bool:
        """Fig. 1: both plain nets learned and plain-56 ends with the higher training error,
        beyond the seeds' spread."""
        return self.verdict(FIG1) == SHOWN

    @property
    def residual_fix_shown(self) -> bool:
        """Fig. 6: both ResNets learned and ResNet-56's training error is at most ResNet-20's,
        within the seeds' spread."""
        return self.verdict(FIG6) == SHOWN

    def memorised(self) -> list[str]:
        """The nets whose final held-out error exceeds their final training error by more than
        `MEMORISED_GAP` (in the order of the recording)."""
        return [
            key
            for key in self.data["nets"]
            if self.final(key, "test_error").mean
            > self.final(key, "train_error").mean + MEMORISED_GAP
        ]

    def fields(self) -> dict[str, Any]:
        """The numbers the notes and captions quote: `{p20}`, `{p56}`, `{r20}`, `{r56}` (final
        training loss, mean ± sd as text), their training errors `{p20_err}` … and held-out
        errors `{p20_test}` … (percent; held-out at step `{eval_step}`), and `{seeds}`,
        `{steps}`, `{minutes}`, `{tail}`."""
        out: dict[str, Any] = {
            "seeds": len(self.seeds),
            "steps": self.steps,
            "minutes": self.minutes,
            "tail": min(int(self.data["tail"]), self.steps),
            "eval_step": int(self.data["eval_steps"][-1]),
            "learned": LEARNED_BELOW,
        }
        for kind, short in ((PLAIN, "p"), (RESIDUAL, "r")):
            for depth in (SHALLOW, DEEP):
                key = net_key(kind, depth)
                out[f"{short}{depth}"] = loss_text(self.final(key))
                out[f"{short}{depth}_err"] = percent_text(self.final(key, "train_error"))
                out[f"{short}{depth}_test"] = percent_text(self.final(key, "test_error"))
        return out


def loss_text(value: Final) -> str:
    """ "0.412 ± 0.031" (a single run: "0.412")."""
    return f"{value.mean:.3f}" + (f" ± {value.std:.3f}" if len(value.per_seed) > 1 else "")


def percent_text(value: Final) -> str:
    """ "31.2 ± 1.0 %" for a fraction over seeds (a single run: "31.2 %")."""
    spread = f" ± {100 * value.std:.1f}" if len(value.per_seed) > 1 else ""
    return f"{100 * value.mean:.1f}{spread} %"


def verdict_words(
    figure: str,
    found: str,
    names: tuple[str, str],
    losses: tuple[Final, Final],
    errors: tuple[Final, Final],
    lang: str,
) -> str:
    """The sentence for verdict `found` of `figure` (catalogue `race_verdict_<figure>_<found>`),
    with both nets' names (shallow, deep), final training losses and training errors."""
    return t(
        f"race_verdict_{figure}_{found}",
        lang,
        shallow=names[0],
        deep=names[1],
        shallow_loss=loss_text(losses[0]),
        deep_loss=loss_text(losses[1]),
        shallow_err=percent_text(errors[0]),
        deep_err=percent_text(errors[1]),
        learned=LEARNED_BELOW,
    )


@functools.lru_cache(maxsize=4)
def _load(path: str) -> RecordedRace | None:
    try:
        return RecordedRace(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


def recorded_race(path: Path = RECORDED_PATH) -> RecordedRace | None:
    """The recording at `path` (cached), or None if it is missing or unreadable."""
    return _load(str(path))


def recorded_verdict_words(record: RecordedRace, figure: str, lang: str) -> str:
    """The recording's verdict on `figure` (FIG1 or FIG6), worded with its numbers."""
    keys, losses, errors = pair_finals(figure, record.final)
    names = (net_name(keys[0], lang), net_name(keys[1], lang))
    return verdict_words(figure, record.verdict(figure), names, losses, errors, lang)


def net_name(key: str, lang: str) -> str:
    """ "plain-56" / "ResNet-56" (普通网络-56 …) in `lang` (the catalogue's `plain_net` and
    `resnet_net`, as `charts.series_name` words them)."""
    kind, depth = key.split("-")
    return t("resnet_net" if kind == RESIDUAL else "plain_net", lang, depth=int(depth))


def recorded_words(lang: str = "en", short: bool = False, path: Path = RECORDED_PATH) -> str:
    """What the recording measured, in `lang`: its numbers, and unless `short` its verdict on
    each of He et al.'s two comparisons and whether any net memorised (the presenter view
    carries the verdicts in its own lines: `figure_words`)."""
    record = recorded_race(path)
    if record is None:
        return t("race_recorded_missing", lang)
    fields = record.fields()
    if short:
        return t("race_recorded_short", lang, **fields)
    words = [t("race_recorded_summary", lang, **fields)]
    for figure in (FIG1, FIG6):
        words.append(recorded_verdict_words(record, figure, lang))
        if figure == FIG1 and record.verdict(FIG1) == DEEP_NOT_STARTED:
            words.append(t("race_why_not_started", lang))  # the sources, in the full note only
    memorised = record.memorised()
    if memorised:
        nets = t("race_list_sep", lang).join(net_name(key, lang) for key in memorised)
        words.append(t("race_recorded_memorised", lang, nets=nets))
    else:
        words.append(t("race_recorded_generalised", lang))
    return " ".join(words)


def figure_words(figure: str, lang: str = "en", path: Path = RECORDED_PATH) -> str:
    """The recording's verdict on `figure` for the presenter view ("" without a recording: the
    recorded line then says it is missing)."""
    record = recorded_race(path)
    return "" if record is None else recorded_verdict_words(record, figure, lang)


LIVE_TAIL = 50
"""A live run's final training loss / error: the mean over its last LIVE_TAIL steps."""


def live_final(snapshot: RaceSnapshot, key: str, measure: str = "train_loss") -> Final:
    """The final training loss ("train_loss") or error ("train_error") of net `key` in a live
    run so far: the mean of its last `LIVE_TAIL` steps (one run: no spread)."""
    values = snapshot.losses[key] if measure == "train_loss" else snapshot.train_errors[key]
    mean = float(values[-LIVE_TAIL:].mean()) if values.size else float("nan")
    return Final(mean, 0.0, (mean,))


def _live_pair(snapshot: RaceSnapshot, figure: str) -> tuple[tuple[str, str], Pair, Pair]:
    return pair_finals(figure, functools.partial(live_final, snapshot), snapshot.config.depths)


def live_verdict(snapshot: RaceSnapshot, figure: str) -> str:
    """What a live run shows so far for `figure` (one of `VERDICTS`; NOT_LEARNED before its
    first `LIVE_TAIL` steps)."""
    if snapshot.step < LIVE_TAIL:
        return NOT_LEARNED
    _, losses, errors = _live_pair(snapshot, figure)
    return verdict(figure, losses, errors)


def live_verdict_words(snapshot: RaceSnapshot, figure: str, lang: str = "en") -> str:
    """The live run's verdict on `figure`, worded with its numbers (means of the last
    `LIVE_TAIL` steps), and, where this short run does not show what the recording shows,
    a pointer to the recording (`race_live_needs_longer`)."""
    keys, losses, errors = _live_pair(snapshot, figure)
    names = (net_name(keys[0], lang), net_name(keys[1], lang))
    found = live_verdict(snapshot, figure)
    words = [t("race_live_prefix", lang, step=snapshot.step, tail=LIVE_TAIL)]
    words.append(verdict_words(figure, found, names, losses, errors, lang))
    record = recorded_race()
    if found != SHOWN and record is not None and record.verdict(figure) == SHOWN:
        words.append(t("race_live_needs_longer", lang, steps=record.steps, seeds=len(record.seeds)))
    return " ".join(words)
