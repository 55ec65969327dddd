"""The page's view of the text catalogue (`resnet_demo.text`), in English and 简体中文.

Static text (labels, headings, buttons) is built with `t(key)`: a `gr.I18n` marker, so the first
paint is already in the browser's language. The language switch (and page load) then re-words
every such marker from the server with `relabel(...)`, a plain `gr.update` per component: public
Gradio API, live, no reload. Text the server writes at run time (the comparison banner, table
headings, block strip, error titles) is looked up with `resnet_demo.text.t(key, lang)`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import gradio as gr

from resnet_demo import text
from resnet_demo.text import DEFAULT_LANG, LANGS, normalize_lang

__all__ = [
    "DEFAULT_LANG",
    "I18N",
    "LANGS",
    "Words",
    "normalize_lang",
    "relabel",
    "t",
    "tr",
    "translations",
    "words_of",
]

tr = text.t
"""The string `key` in `lang`, fields filled in (`resnet_demo.text.t`; new code calls it)."""

KEY_PREFIX = "rd_"
"""Prefix of our keys in the browser's tables: Gradio's own keys ("image", "common", …) are
nested objects there, and a bare "image" would shadow them."""

MARKER = "__i18n__"
"""How Gradio writes an `I18nData` that became a string (a Markdown's or a Button's value)."""

WORDED_PROPS: tuple[str, ...] = ("label", "info", "placeholder", "value")
"""Component properties that may hold a static catalogue string."""

Words = list[tuple[Any, dict[str, Any]]]
"""Static text of the page: (component, {property: catalogue key, or "choices": [(key, value)]})."""


def translations(lang: str) -> dict[str, str]:
    """The whole table in one language, keys prefixed, as `gr.I18n` wants it."""
    return {KEY_PREFIX + key: words for key, words in text.catalogue(lang).items()}


def build_i18n() -> gr.I18n:
    """The `gr.I18n` for `launch()`: English, and Chinese under every tag a browser may send."""
    zh = translations("zh")
    tables: Mapping[str, dict[str, str]] = {
        "en": translations("en"),
        "zh": zh,
        "zh-CN": zh,
        "zh-Hans": zh,
    }
    return gr.I18n(**tables)


I18N = build_i18n()
"""The app's translations, passed to `launch(i18n=...)`."""


def t(key: str) -> gr.i18n.I18nData:
    """Mark the static string `key` for the browser to show in its language.

    Raises:
        KeyError: for an unknown key, at build time rather than as a blank label.
    """
    if key not in text.catalogue(DEFAULT_LANG):
        raise KeyError(key)
    return I18N(KEY_PREFIX + key)


def _key(value: object) -> str | None:
    """Our catalogue key inside an `I18nData` (or its string form), else None."""
    if isinstance(value, gr.i18n.I18nData):
        key = value.key
    elif isinstance(value, str) and value.startswith(MARKER):
        key = json.loads(value[len(MARKER) :]).get("key", "")
    else:
        return None
    return key[len(KEY_PREFIX) :] if isinstance(key, str) and key.startswith(KEY_PREFIX) else None


def words_of(blocks: Iterable[Any]) -> Words:
    """Find every static catalogue string in `blocks` (e.g. `demo.blocks.values()`).

    Returns:
        One entry per component that shows a `t(key)` marker, with the keys of its properties
        (and of its choices' labels).
    """
    found: Words = []
    for block in blocks:
        keys: dict[str, Any] = {}
        for prop in WORDED_PROPS:
            key = _key(getattr(block, prop, None))
            if key is not None:
                keys[prop] = key
        choices = getattr(block, "choices", None)
        if isinstance(choices, list) and any(_key(c[0]) for c in choices if len(c) == 2):
            keys["choices"] = [(_key(label) or label, value) for label, value in choices]
        if keys:
            found.append((block, keys))
    return found


def relabel(words: Words, lang: str) -> dict[Any, Any]:
    """Every static string of the page in `lang`: component -> `gr.update(...)`."""
    lang = normalize_lang(lang)
    updates = {}
    for block, keys in words:
        props: dict[str, Any] = {p: text.t(k, lang) for p, k in keys.items() if p != "choices"}
        if "choices" in keys:
            catalogue = text.catalogue(lang)
            props["choices"] = [(catalogue.get(k, k), v) for k, v in keys["choices"]]
        updates[block] = gr.update(**props)
    return updates
