"""Words for the lab's structured values: `image_set_name` names an image set from its numbers.

Every other lab word is a catalogue key looked up with `resnet_demo.text.t(key, lang, **fields)`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from resnet_demo.text import t

if TYPE_CHECKING:
    from resnet_demo.lab.image_sets import ImageSet


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
