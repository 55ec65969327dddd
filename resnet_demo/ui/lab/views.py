"""The Markdown lines under the lab's charts, worded from the catalogue (`resnet_demo.text`).

Pure functions of a computed result and the page's language ("en" or "zh"): no Gradio, no torch.
"""

from __future__ import annotations

from collections.abc import Sequence

from resnet_demo import lab
from resnet_demo.lab import charts
from resnet_demo.lab.cards import (
    race_captions,
    race_losses,
    robustness_line,
    sanity_final_lines,
    summarize_gradient_flow,
)
from resnet_demo.lab.race import RaceSnapshot
from resnet_demo.lab.sanity import SanityCheck
from resnet_demo.text import t

BAR_CELLS = 20
"""Width of the race's time bar, in characters."""


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def sweep_summary(sweep: lab.LesionSweep, lang: str) -> str:
    """What the sweep chart shows: the intact top-1 class and how many lesions changed it, and
    what the marks mean (⇄ only when the model has a projection shortcut without downsampling)."""
    summary = t(
        "sweep_summary",
        lang,
        label=sweep.original_label,
        prob=sweep.original_prob * 100,
        branch=int(sweep.branch_changed.sum()),
        skip=int(sweep.skip_changed.sum()),
        n=len(sweep.block_names),
        down=charts.DOWN,
        changed=charts.CHANGED,
    )
    if sweep.projection_only.any():
        summary += " " + t("sweep_projection_mark", lang, proj=charts.PROJECTION)
    return summary


def curves_summary(curves: lab.LesionCurves, images: str, lang: str) -> str:
    """The intact score and the scores with two branches / two skips removed.

    Args:
        curves: the computed lesion curves.
        images: the image set, already worded in `lang` (`lab.text.image_set_name`).
        lang: "en" or "zh".
    """
    k = min(2, len(curves.ks) - 1)
    return t(
        "curves_summary",
        lang,
        metric=_capitalized(t(curves.metric, lang)),
        images=images,
        intact=curves.intact_score,
        k=k,
        branch=curves.branch_mean[k],
        skip=curves.skip_mean[k],
        chance=curves.chance,
    )


def robustness_summary(curves: Sequence[lab.LesionCurves], lang: str) -> str:
    """One Markdown bullet per model: intact, one branch / one skip off, and k = K."""
    return "\n".join(f"- {robustness_line(c, lang)}" for c in curves)


def flow_summary(study: lab.GradientFlowStudy, lang: str) -> str:
    """One Markdown bullet per depth: neighbour-gradient similarity and gradient-norm ratio."""
    return "\n".join(f"- {line}" for line in summarize_gradient_flow(study, lang))


def race_status(snapshot: RaceSnapshot, lang: str) -> str:
    """The race's status line (a time bar, or how it ended, then the latest mean losses), then
    the captions of the three views and what the recording measured."""
    budget = snapshot.config.time_budget_s
    if budget is not None and not snapshot.done:
        filled = min(BAR_CELLS, round(BAR_CELLS * snapshot.elapsed_s / budget))
        bar = f"`{'█' * filled}{'░' * (BAR_CELLS - filled)}` " + t(
            "race_seconds", lang, elapsed=snapshot.elapsed_s, budget=budget
        )
    else:
        status = _capitalized(t(f"race_status_{snapshot.status}", lang))
        bar = t("race_after", lang, status=status, seconds=snapshot.elapsed_s)
    if snapshot.step == 0:
        line = bar + t("race_starting", lang)
    else:
        line = bar + t("race_step", lang, step=snapshot.step, losses=race_losses(snapshot, lang))
    return "\n\n".join([line, *race_captions(snapshot, lang)])


def sanity_summary(check: SanityCheck, lang: str) -> str:
    """How to read the grid, then one Markdown bullet per method: its similarities to the
    trained map after the last step."""
    bullets = "\n".join(f"- {line}" for line in sanity_final_lines(check, lang))
    return t("sanity_summary_head", lang) + "\n\n" + bullets
