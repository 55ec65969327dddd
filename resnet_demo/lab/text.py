"""The lab's view of the text catalogue (`resnet_demo.text`), in English and 简体中文.

The lab's words are catalogue keys looked up with `resnet_demo.text.t(key, lang, **fields)`
(the UI's summaries, status lines and errors do so). `say` is a thin view of `t` that still
knows a few older key names; only `lab.charts` and `lab.cards` call it, until they use `t`.
`image_set_name` words an image set from its numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from resnet_demo.text import t

if TYPE_CHECKING:
    from resnet_demo.lab.image_sets import ImageSet

# Old lab keys that the shared catalogue names differently (kept until the lab speaks in keys).
_RENAMED = {
    "image": "image_word",
    "running": "race_status_running",
    "finished": "race_status_finished",
    "out of time": "race_status_out_of_time",
    "out_of_time": "race_status_out_of_time",  # `lab.race.OUT_OF_TIME` once it has no space
    "stopped": "race_status_stopped",
}


def say(key: str, lang: object = "en", **values: Any) -> str:
    """The string `key` in `lang` ("en" or "zh"; anything else is English), fields filled in.

    Raises:
        KeyError: for an unknown key (a programming error, caught by the tests).
    """
    return t(_RENAMED.get(key, key), lang, **values)


def image_set_name(image_set: ImageSet | None, lang: object = "en") -> str:
    """Name an image set in `lang`, e.g. "64 fresh shapes (seeds 14000000…)".

    Args:
        image_set: a `lab.image_sets.ImageSet` (its `kind`, `n`, `first_seed`), or None.
        lang: language tag ("en", "zh", …). Default: "en".

    Returns:
        The catalogue's `set_shapes` or `set_examples` in `lang`; "" for None.
    """
    if image_set is None:
        return ""
    if image_set.kind == "shapes":
        return t("set_shapes", lang, n=image_set.n, first=image_set.first_seed)
    return t("set_examples", lang, n=image_set.n)
