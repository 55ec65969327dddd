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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from resnet_demo.lab.race import DEEP, PLAIN, RESIDUAL, SHALLOW, net_key
from resnet_demo.text import t

CHANCE_LOSS = math.log(10)
"""Cross-entropy of a uniform guess over the 10 shape classes (nats)."""
LEARNED_BELOW = 0.9 * CHANCE_LOSS
"""A recording says nothing about either direction unless some net's final training loss fell
below this (10 % under chance): nets that have not left chance level have not been compared."""
RECORDED_PATH = Path(__file__).resolve().parents[2] / "assets" / "race_recorded.json"
"""The shipped recording."""
CHANCE_ERROR = 0.9
"""Held-out error of guessing among the 10 shape classes."""
NEAR_CHANCE_ERROR = 0.1
"""A held-out error at least CHANCE_ERROR - NEAR_CHANCE_ERROR counts as near chance."""


@dataclass(frozen=True)
class Final:
    """One network's final value over the seeds: mean, sample standard deviation, per seed."""

    mean: float
    std: float
    per_seed: tuple[float, ...]


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

    def deeper_higher(self, kind: str, measure: str = "train_loss") -> bool:
        """Whether the deeper net of `kind` ends with a higher mean `measure` than the shallower."""
        deep, shallow = (
            self.final(net_key(kind, DEEP), measure),
            self.final(net_key(kind, SHALLOW), measure),
        )
        return deep.mean > shallow.mean

    @property
    def learned(self) -> bool:
        """Whether some net's final training loss fell below `LEARNED_BELOW`."""
        return min(self.final(key).mean for key in self.data["nets"]) < LEARNED_BELOW

    @property
    def held_out_near_chance(self) -> bool:
        """Whether every net's final held-out error is within `NEAR_CHANCE_ERROR` of chance
        (the nets learned their fixed training shapes and nothing that carries over)."""
        return all(
            self.final(key, "test_error").mean >= CHANCE_ERROR - NEAR_CHANCE_ERROR
            for key in self.data["nets"]
        )

    @property
    def degradation_shown(self) -> bool:
        """Fig. 1's direction: plain-56 ends with a higher training loss than plain-20."""
        return self.deeper_higher(PLAIN)

    @property
    def residual_fix_shown(self) -> bool:
        """Fig. 6's direction: ResNet-56's final training loss is at most ResNet-20's, within
        the seeds' spread (the larger of the two standard deviations)."""
        deep = self.final(net_key(RESIDUAL, DEEP))
        shallow = self.final(net_key(RESIDUAL, SHALLOW))
        return deep.mean <= shallow.mean + max(deep.std, shallow.std)

    def fields(self) -> dict[str, Any]:
        """The numbers the notes and captions quote: `{p20}`, `{p56}`, `{r20}`, `{r56}` (final
        training loss, mean ± sd as text), their held-out errors `{p20_test}` … (percent, at
        step `{eval_step}`), and `{seeds}`, `{steps}`, `{minutes}`, `{tail}`."""
        out: dict[str, Any] = {
            "seeds": len(self.seeds),
            "steps": self.steps,
            "minutes": self.minutes,
            "tail": min(int(self.data["tail"]), self.steps),
            "eval_step": int(self.data["eval_steps"][-1]),
        }
        for kind, short in ((PLAIN, "p"), (RESIDUAL, "r")):
            for depth in (SHALLOW, DEEP):
                loss = self.final(net_key(kind, depth))
                test = self.final(net_key(kind, depth), "test_error")
                out[f"{short}{depth}"] = f"{loss.mean:.3f} ± {loss.std:.3f}"
                out[f"{short}{depth}_test"] = f"{100 * test.mean:.1f} ± {100 * test.std:.1f} %"
        return out


@functools.lru_cache(maxsize=4)
def _load(path: str) -> RecordedRace | None:
    try:
        return RecordedRace(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


def recorded_race(path: Path = RECORDED_PATH) -> RecordedRace | None:
    """The recording at `path` (cached), or None if it is missing or unreadable."""
    return _load(str(path))


def recorded_words(lang: str = "en", short: bool = False, path: Path = RECORDED_PATH) -> str:
    """What the recording measured, in `lang`: its numbers and, unless `short`, whether each of
    He et al.'s two directions was reproduced (or that there is no recording)."""
    record = recorded_race(path)
    if record is None:
        return t("race_recorded_missing", lang)
    fields = record.fields()
    if short:
        return t("race_recorded_short", lang, **fields)
    summary = t("race_recorded_summary", lang, **fields)
    if not record.learned:
        return " ".join((summary, t("race_recorded_too_short", lang, chance=CHANCE_LOSS)))
    fig1 = "race_recorded_fig1_shown" if record.degradation_shown else "race_recorded_fig1_not"
    fig6 = "race_recorded_fig6_shown" if record.residual_fix_shown else "race_recorded_fig6_not"
    words = [summary, t(fig1, lang), t(fig6, lang)]
    if record.held_out_near_chance:
        words.append(t("race_recorded_heldout_chance", lang, n_train=int(record.recipe["n_train"])))
    return " ".join(words)
