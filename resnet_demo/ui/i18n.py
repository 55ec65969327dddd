"""The page's view of the text catalogue (`resnet_demo.text`), in English and 简体中文.

The catalogue serves both halves of the page. Static text (labels, headings, buttons) is sent to the
browser once through Gradio's `gr.I18n`, and the browser picks the language; text the server
writes at run time (the comparison banner, table headings, block strip, error titles) is looked
up with `tr(key, lang)` using the language the page reports with every request.
"""

from __future__ import annotations

from collections.abc import Mapping

import gradio as gr

from resnet_demo import text
from resnet_demo.text import DEFAULT_LANG, LANGS, normalize_lang

__all__ = ["DEFAULT_LANG", "I18N", "LANGS", "normalize_lang", "t", "tr", "translations"]

tr = text.t
"""The string `key` in `lang`, fields filled in (`resnet_demo.text.t`)."""


KEY_PREFIX = "rd_"
"""Prefix of our keys in the browser's tables: Gradio's own keys ("image", "common", …) are
nested objects there, and a bare "image" would shadow them."""


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
