"""English words of the text catalogue, to check that a Chinese card holds none of them."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from resnet_demo.text import catalogue

_WORD = re.compile(r"[A-Za-z]{2,}")
_FIELD = re.compile(r"{[^}]*}")


def _words(lang: str) -> set[str]:
    return {w.lower() for v in catalogue(lang).values() for w in _WORD.findall(_FIELD.sub(" ", v))}


@functools.cache
def english_words() -> frozenset[str]:
    """Words of the English catalogue that its Chinese side never uses.

    Words both sides use are names (Grad-CAM, ResNet, BatchNorm, layer4, logit), not English
    left untranslated.
    """
    return frozenset(_words("en") - _words("zh"))


def english_words_in(texts: Iterable[str], data: Iterable[str] = ()) -> set[str]:
    """The catalogue's English words found in `texts`, after removing the `data` strings
    (class names, model names, file names: shown as they are in every language)."""
    names = sorted({d for d in data if d}, key=len, reverse=True)
    found: set[str] = set()
    for text in texts:
        for name in names:
            text = text.replace(name, " ")
        found |= {w.lower() for w in _WORD.findall(text)} & english_words()
    return found
