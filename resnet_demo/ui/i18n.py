"""The page's view of the text catalogue (`resnet_demo.text`), in each of its `LANGUAGES`.

Static text (labels, headings, buttons) is built with `label(key)`: a `gr.I18n` marker, so the first
paint is already in the browser's language. The language switch (and page load) then re-words
every such marker from the server with `relabel(...)`, a plain `gr.update` per component: public
Gradio API, live, no reload. Text the server writes at run time (the comparison banner, table
headings, block strip, error titles) is looked up with `resnet_demo.text.t(key, lang)`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import gradio as gr

from resnet_demo import text
from resnet_demo.text import DEFAULT_LANG, LANGS, LANGUAGES, normalize_lang
from resnet_demo.ui._compat import i18n_key
from resnet_demo.ui.assets import static_text

__all__ = [
    "DEFAULT_LANG",
    "I18N",
    "LANGS",
    "Words",
    "build_i18n",
    "label",
    "language_choices",
    "languages_head",
    "normalize_lang",
    "relabel",
    "translations",
    "words_of",
]

KEY_PREFIX = "rd_"
"""Prefix of our keys in the browser's tables: Gradio's own keys ("image", "common", …) are
nested objects there, and a bare "image" would shadow them."""

WORDED_PROPS: tuple[str, ...] = ("label", "info", "placeholder", "value")
"""Component properties that may hold a static catalogue string."""

Words = list[tuple[Any, dict[str, Any]]]
"""Static text of the page: (component, {property: catalogue key, or "choices": [(key, value)]})."""


def translations(lang: str) -> dict[str, str]:
    """The whole table in one language, keys prefixed, as `gr.I18n` wants it."""
    return {KEY_PREFIX + key: words for key, words in text.catalogue(lang).items()}


def build_i18n() -> gr.I18n:
    """The `gr.I18n` for `launch()`: each language of `LANGUAGES` under every tag a browser may
    send for it."""
    tables: dict[str, dict[str, str]] = {}
    for code, language in LANGUAGES.items():
        words = translations(code)
        tables.update(dict.fromkeys(language.tags(code), words))
    return gr.I18n(**tables)


I18N = build_i18n()
"""The translations of the languages known at import, for markers (`label`); `launch()` takes a
fresh `build_i18n()`, which also holds any language registered since."""


def language_choices() -> list[tuple[str, str]]:
    """The language switch's choices: (its name in itself, code) for each of `LANGUAGES`."""
    return [(language.name, code) for code, language in LANGUAGES.items()]


def languages_head() -> str:
    """The `<head>` script that tells the other head scripts the page's language: it defines
    `window.resnetDemo.lang()` (the code checked in the switch) and `.tags` (code -> the tag
    for `<html lang>`), from `LANGUAGES` (`static/lang.html`)."""
    tags = {code: language.tag for code, language in LANGUAGES.items()}
    return static_text("lang.html").replace("__TAGS__", json.dumps(tags, ensure_ascii=False))


def label(key: str) -> gr.i18n.I18nData:
    """Mark the static string `key` for the browser to show in its language.

    Raises:
        KeyError: for an unknown key, at build time rather than as a blank label.
    """
    if key not in text.catalogue(DEFAULT_LANG):
        raise KeyError(key)
    return I18N(KEY_PREFIX + key)


def _key(value: object) -> str | None:
    """Our catalogue key inside an `I18nData` (or its string form), else None."""
    key = i18n_key(value)
    return key[len(KEY_PREFIX) :] if key is not None and key.startswith(KEY_PREFIX) else None


def words_of(blocks: Iterable[Any]) -> Words:
    """Find every static catalogue string in `blocks` (e.g. `demo.blocks.values()`).

    Returns:
        One entry per component that shows a `label(key)` marker, with the keys of its properties
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
