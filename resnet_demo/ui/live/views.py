"""The live panel's words: what the handlers show beside a frame's predictions and overlay."""

from __future__ import annotations

from collections.abc import Sequence

from resnet_demo.analysis import Analysis
from resnet_demo.text import t


def switched_line(
    names: Sequence[str], before: int, p_before: float, current: Analysis, lang: str
) -> str:
    """The line under a switched frame: the intact network's top-1 (`before`, with probability
    `p_before`) and the switched network's (`current`), saying whether the top-1 changed."""
    after = int(current.top_indices[0])
    fields = {
        "before": names[before],
        "p_before": p_before,
        "after": names[after],
        "p_after": float(current.top_probs[0]),
    }
    key = "live_changed" if before != after else "live_unchanged"
    return t(key, lang, **fields)
