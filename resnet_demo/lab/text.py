"""The lab's view of the text catalogue (`resnet_demo.text`), in English and 简体中文.

The lab's words are catalogue keys looked up with `resnet_demo.text.t(key, lang, **fields)`
(the UI's summaries, status lines and errors do so). `say` is a thin view of `t` that still
knows a few older key names; only `lab.charts` and `lab.cards` call it, until they use `t`.
`image_set_name` words an image set from its numbers.
"""

from __future__ import annotations

import re
from typing import Any

from resnet_demo.text import t

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


_SET_PATTERNS = (
    ("set_shapes", re.compile(r"^(?P<n>\d+) fresh shapes \(seeds (?P<first>\d+)…\)$")),
    ("set_examples", re.compile(r"^(?P<n>\d+) example pictures$")),
)


def image_set_name(description: str, lang: object = "en") -> str:
    """An image set's description (as `image_sets` writes it, in English) in `lang`.

    Unknown descriptions come back unchanged.
    """
    for key, pattern in _SET_PATTERNS:
        match = pattern.match(description)
        if match:
            return say(key, lang, **match.groupdict())
    return description
