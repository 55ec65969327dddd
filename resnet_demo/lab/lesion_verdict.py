"""What embedded-deep's measured k-curve shows, next to Veit et al.'s ResNet-110.

The lab's lesion panels open on embedded-deep (27 blocks). Its card
(`assets/embedded_deep_resnet.json`, `lesions.k_random_branches_off`, made by
`training/measure_deep.py`) holds, for k = 1 … 10 random residual branches off, the mean
accuracy over `n_draws` draws and its standard error `sem`. Two rules turn the curve into
verdicts that the notes word (the presenter essentials through `notes._fields`):

- `STEADY` ("falls steadily"): no step from k to k + 1 raises the mean accuracy by more than
  `RISE_SE` (2) standard errors of the difference, √(sem_k² + sem_{k+1}²): about a 95 % normal
  interval, so a rise smaller than that is within the noise of the draws. A curve that passes
  is monotone within its noise, the property Veit et al. 2016 (§4.2, Fig. 5(a)) call smooth.
- `versus_veit`: Veit et al.'s ResNet-110 has 54 blocks; its error rises to about 0.2 after 10
  of them are deleted (§4.2, Fig. 5(a), read from the plot: `VEIT_ACCURACY` = 0.8, read to
  ± `VEIT_READING` = 0.05). The same *fraction* of embedded-deep's 27 blocks is k = 5
  (10 / 54 = 5 / 27). The model declines `FASTER` when its mean accuracy at that k, plus two
  standard errors, is below Veit's reading minus its reading error; `SLOWER` when its mean minus
  two standard errors is above Veit's plus the reading error; else `ALIKE`. The notes show this
  equal-fraction comparison and, beside it, the accuracy at equal k (10).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from resnet_demo.models import EMBEDDED_DEEP
from resnet_demo.models.embedded import asset_paths
from resnet_demo.text import t

VEIT_BLOCKS = 54
"""Residual blocks of Veit et al.'s ResNet-110 (§4.1)."""
VEIT_K = 10
"""Blocks deleted at Veit et al.'s reference point (§4.2, Fig. 5(a))."""
VEIT_ACCURACY = 0.8
"""Accuracy of ResNet-110 with 10 random blocks deleted: error about 0.2 (Fig. 5(a))."""
VEIT_READING = 0.05
"""How precisely a value can be read off Fig. 5(a)'s plot (± 0.05 of error)."""
RISE_SE = 2.0
"""A rise of the mean by more than this many standard errors of the difference is a real rise
(about a 95 % normal interval)."""

STEADY = "steady"
UNEVEN = "uneven"
FASTER = "faster"
ALIKE = "alike"
SLOWER = "slower"


@dataclass(frozen=True)
class LesionVerdict:
    """The two verdicts and the numbers behind them.

    Attributes:
        decline: `STEADY` or `UNEVEN`.
        rises: k values where the mean rose by more than `RISE_SE` standard errors (from k - 1).
        versus_veit: `FASTER`, `ALIKE` or `SLOWER` (equal fraction of blocks deleted).
        blocks: residual blocks of the model (27).
        k_same_fraction: k whose fraction of blocks equals Veit's 10 of 54 (5 of 27).
        accuracy_same_fraction, sem_same_fraction: mean accuracy and standard error there.
        accuracy_same_k, sem_same_k: the same at k = `VEIT_K`.
        n_draws: draws per k.
        intact: accuracy of the intact model on the same shapes.
    """

    decline: str
    rises: tuple[int, ...]
    versus_veit: str
    blocks: int
    k_same_fraction: int
    accuracy_same_fraction: float
    sem_same_fraction: float
    accuracy_same_k: float
    sem_same_k: float
    n_draws: int
    intact: float


def decline_rule(means: list[float], sems: list[float]) -> tuple[str, tuple[int, ...]]:
    """`STEADY` or `UNEVEN` for a curve given for k = 1, 2, …, and the k where it rose."""
    rises = tuple(
        k + 2
        for k, (a, b, sa, sb) in enumerate(zip(means, means[1:], sems, sems[1:], strict=False))
        if b - a > RISE_SE * math.hypot(sa, sb)
    )
    return (UNEVEN if rises else STEADY), rises


def veit_rule(accuracy: float, sem: float) -> str:
    """`FASTER`, `ALIKE` or `SLOWER` than ResNet-110 at the same fraction of blocks deleted."""
    if accuracy + RISE_SE * sem < VEIT_ACCURACY - VEIT_READING:
        return FASTER
    if accuracy - RISE_SE * sem > VEIT_ACCURACY + VEIT_READING:
        return SLOWER
    return ALIKE


def verdict_of(card: dict[str, Any]) -> LesionVerdict:
    """Both verdicts from a model card with `lesions.k_random_branches_off` (k = 1 … ≥ 10)."""
    curve = card["lesions"]["k_random_branches_off"]
    ks = sorted(int(k) for k in curve)
    means = [float(curve[str(k)]["mean"]) for k in ks]
    sems = [float(curve[str(k)]["sem"]) for k in ks]
    decline, rises = decline_rule(means, sems)
    blocks = sum(int(n) for n in card["layers"])
    k_frac = round(blocks * VEIT_K / VEIT_BLOCKS)
    same_fraction, same_k = curve[str(k_frac)], curve[str(VEIT_K)]
    return LesionVerdict(
        decline=decline,
        rises=rises,
        versus_veit=veit_rule(float(same_fraction["mean"]), float(same_fraction["sem"])),
        blocks=blocks,
        k_same_fraction=k_frac,
        accuracy_same_fraction=float(same_fraction["mean"]),
        sem_same_fraction=float(same_fraction["sem"]),
        accuracy_same_k=float(same_k["mean"]),
        sem_same_k=float(same_k["sem"]),
        n_draws=int(same_fraction["n_draws"]),
        intact=float(card["lesions"]["intact_accuracy"]),
    )


@cache
def _shipped_card(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def shipped_verdict() -> LesionVerdict:
    """The verdict of the shipped embedded-deep card."""
    return verdict_of(_shipped_card(asset_paths(EMBEDDED_DEEP)[1]))


def verdict_words(lang: str, verdict: LesionVerdict | None = None) -> str:
    """The measured verdict in words (`lesion_verdict_*` keys), for the presenter essentials."""
    v = shipped_verdict() if verdict is None else verdict
    decline = t(f"lesion_verdict_{v.decline}", lang, ks=", ".join(str(k) for k in v.rises))
    return t(
        f"lesion_verdict_{v.versus_veit}",
        lang,
        decline=decline,
        n=v.n_draws,
        k=v.k_same_fraction,
        blocks=v.blocks,
        acc=100 * v.accuracy_same_fraction,
        sem=100 * v.sem_same_fraction,
        veit=100 * VEIT_ACCURACY,
        gap=100 * (VEIT_ACCURACY - v.accuracy_same_fraction),
        veit_k=VEIT_K,
        veit_blocks=VEIT_BLOCKS,
        acc_k=100 * v.accuracy_same_k,
        sem_k=100 * v.sem_same_k,
    )


LESION_NOTES = ("lesion_sweep", "lesion_curves", "paths")
"""Notes whose presenter essentials carry embedded-deep's measured figures (`{measured}`)."""


def single_block_words(lang: str, card: dict[str, Any] | None = None) -> str:
    """One block at a time on embedded-deep (`lesion_single_line`): the identity blocks' mean
    branch-off cost, the first block's, the downsampling blocks' mean, one skip off."""
    c = _shipped_card(asset_paths(EMBEDDED_DEEP)[1]) if card is None else card
    lesions = c["lesions"]
    branch, skip = lesions["branch_off_drop_points"], lesions["skip_off_drop_points"]
    first = next(iter(lesions["branch_off_accuracy"]))
    return t(
        "lesion_single_line",
        lang,
        identity=branch["identity_blocks"]["mean"],
        first=first,
        first_cost=100 * (lesions["intact_accuracy"] - lesions["branch_off_accuracy"][first]),
        down=branch["downsampling_blocks"]["mean"],
        skip=skip["identity_blocks"]["mean"],
    )


def lesion_words(key: str, lang: str) -> str:
    """The `{measured}` field of note `key`'s essentials: the single-block figures for the
    lesion sweep, the k-curve verdict for the lesion curves and the paths note."""
    if key == "lesion_sweep":
        return single_block_words(lang)
    return verdict_words(lang)
