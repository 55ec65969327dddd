"""What the batch panel shows for a classified `batch.Batch`, worded in the page's language.

Pure functions of the batch, the class names and the language: captions, the summary, the
per-class accuracy and confusion tables (as `gr.Dataframe` values) and the CSV rows. No network.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from resnet_demo import batch as core
from resnet_demo.render.report import switches_text
from resnet_demo.text import t

_MARKDOWN = re.compile(r"([\\`*_\[\]<>|~])")


def plain(name: str) -> str:
    """A file name as Markdown that shows it literally (no emphasis, links or HTML)."""
    return _MARKDOWN.sub(r"\\\1", name)


def percent(p: float) -> str:
    """A probability as a percentage, one decimal: 0.9812 -> "98.1%"."""
    return f"{p * 100:.1f}%"


def caption(row: core.Row, names: Sequence[str], switched: bool, lang: str) -> str:
    """A gallery tile's caption: intact top-1 (p) → switched top-1 (p); only the intact one
    when no block is switched (the two networks are then the same)."""
    if not switched:
        return f"{names[row.intact]} {percent(row.intact_p)}"
    return t(
        "batch_caption",
        lang,
        intact=names[row.intact],
        p=percent(row.intact_p),
        switched=names[row.switched],
        q=percent(row.switched_p),
    )


def wrong_caption(row: core.Row, names: Sequence[str], lang: str) -> str:
    """A misclassified tile's caption: true class · the switched network's prediction (p)."""
    assert row.label is not None, "only labelled rows are misclassified"
    return t(
        "batch_caption_wrong",
        lang,
        true=names[row.label],
        predicted=names[row.switched],
        p=percent(row.switched_p),
    )


def gallery(result: core.Batch, names: Sequence[str], lang: str) -> list[tuple[Any, str]]:
    """(image, caption) of every row, in the batch's order."""
    switched = bool(result.switches)
    return [(row.view, caption(row, names, switched, lang)) for row in result.rows]


def wrong_gallery(result: core.Batch, names: Sequence[str], lang: str) -> list[tuple[Any, str]]:
    """(image, caption) of every row the switched network got wrong."""
    return [(row.view, wrong_caption(row, names, lang)) for row in core.misclassified(result.rows)]


def summary(result: core.Batch, lang: str, given: int | None = None) -> str:
    """The summary (Markdown): n images, n flipped, mean drop; the switches; the shapes' seeds;
    files left out beyond the cap; every skipped file with its reason."""
    n = len(result.rows)
    if not n:
        lines = [t("batch_none_read", lang)]
    elif result.switches:
        drop = f"{result.mean_drop * 100:.1f}"
        lines = [t("batch_summary", lang, n=n, flipped=result.n_flipped, drop=drop)]
        lines.append(t("batch_switches", lang, switches=switches_text(result.switches, lang)))
    else:
        lines = [t("batch_summary_intact", lang, n=n)]
    if result.first_seed is not None and n:
        last = result.first_seed + n - 1
        lines.append(t("batch_seeds", lang, first=result.first_seed, last=last))
    if result.left_out:
        total = given if given is not None else core.MAX_IMAGES + result.left_out
        lines.append(
            t("batch_too_many", lang, given=total, most=core.MAX_IMAGES, left=result.left_out)
        )
    for skip in result.skipped:
        lines.append(
            "- " + t("batch_skipped", lang, file=plain(skip.name), reason=skip.error.words(lang))
        )
    return "\n\n".join(lines)


def _cell(right: int, n: int) -> str:
    return f"{right}/{n} ({right / n * 100:.0f}%)" if n else "—"


def accuracy_table(result: core.Batch, names: Sequence[str], lang: str) -> dict[str, Any]:
    """Per-class accuracy, intact vs switched, then all classes together (a Dataframe value)."""
    scores = core.class_accuracy(result.rows, result.n_classes)
    headers = [t(k, lang) for k in ("batch_col_class", "batch_col_images")]
    headers += [t("batch_col_intact", lang), t("batch_col_switched", lang)]
    data = [
        [names[s.label], str(s.n), _cell(s.intact, s.n), _cell(s.switched, s.n)]
        for s in scores
        if s.n
    ]
    n = sum(s.n for s in scores)
    intact, switched = sum(s.intact for s in scores), sum(s.switched for s in scores)
    data.append([t("batch_all", lang), str(n), _cell(intact, n), _cell(switched, n)])
    return {"headers": headers, "data": data}


def confusion_table(result: core.Batch, names: Sequence[str], lang: str) -> dict[str, Any]:
    """True (rows) × predicted (columns) counts of the switched network (the intact one when
    no block is switched: they are then the same network), a Dataframe value."""
    counts = core.confusion(result.rows, result.n_classes, switched=True)
    headers = [t("batch_corner", lang), *names]
    data = [[names[i], *(str(int(c)) for c in counts[i])] for i in range(len(names))]
    return {"headers": headers, "data": data}


def confusion_note(result: core.Batch, lang: str) -> str:
    """Which network the confusion table counts."""
    return t("batch_confusion_switched" if result.switches else "batch_confusion_intact", lang)
