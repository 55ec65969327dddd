"""The two languages of the product, and the lookup both string tables use (no Gradio).

The app's table (`resnet_demo.ui.i18n`) and the lab's (`resnet_demo.lab.text`) map a key to an
(English, 简体中文) pair; `lookup` picks one and fills in its fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LANGS: tuple[str, ...] = ("en", "zh")
"""Supported languages: English and Simplified Chinese."""

DEFAULT_LANG = "en"


def normalize_lang(lang: object) -> str:
    """Map anything a client sends ("zh-CN", "zh", None, 42) to a supported language code.

    Returns:
        "zh" for any Chinese tag, else "en".
    """
    if isinstance(lang, str) and lang.strip().lower().startswith("zh"):
        return "zh"
    return DEFAULT_LANG


def lookup(table: Mapping[str, tuple[str, str]], key: str, lang: object, **values: Any) -> str:
    """The string `key` of `table` in `lang` (anything not Chinese is English), fields filled.

    Raises:
        KeyError: for an unknown key (a programming error, caught by the tests).
    """
    text = table[key][1 if normalize_lang(lang) == "zh" else 0]
    return text.format(**values) if values else text
