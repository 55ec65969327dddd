"""The one text catalogue: every string a user sees, in English and 简体中文, keyed by id.

The words live in `en.toml` and `zh.toml` beside this file, one catalogue per language with the
same keys and the same `{fields}`. Their tables (`[ui]`, `[lab]`, `[card]`, `[notes]`, …) only
group keys for the reader; a key is unique across the whole catalogue. Engine code (`analysis`,
`lab`, `models`, `imaging`, `switches`) never words anything: it returns values and error kinds
(`resnet_demo.errors.DemoError.key`), and the front ends (`ui`, `cli`, the cards) look the words
up here with `t(key, lang, **fields)`.

No Gradio and no torch here, so every layer may import it.
"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

__all__ = [
    "DEFAULT_LANG",
    "LANGS",
    "Term",
    "argv_lang",
    "catalogue",
    "fields_of",
    "normalize_lang",
    "t",
]

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


def argv_lang(argv: Sequence[str]) -> str:
    """The language a command line asks for with `--lang X` / `--lang=X`, read before parsing
    (so that `--help` itself is worded in it); "en" when it asks for none."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return normalize_lang(argv[i + 1])
        if arg.startswith("--lang="):
            return normalize_lang(arg.split("=", 1)[1])
    return DEFAULT_LANG


@dataclass(frozen=True, init=False)
class Term:
    """A catalogue word used as the field of another string, worded in that string's language.

    `t("value_too_small", "zh", name=Term("field_depth"), low=8, value=3)` fills in the Chinese
    word for "depth", so engine code can name what was wrong without writing a word itself. A
    term may have `{fields}` of its own (`Term("found_architecture", arch="resnet50", ...)`),
    filled in the same way, Terms included.
    """

    key: str
    fields: tuple[tuple[str, Any], ...]

    def __init__(self, key: str, /, **fields: Any) -> None:
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "fields", tuple(fields.items()))

    def words(self, lang: object = DEFAULT_LANG) -> str:
        """The term in `lang`, its fields filled in."""
        return t(self.key, lang, **dict(self.fields))


@cache
def catalogue(lang: str) -> Mapping[str, str]:
    """The whole catalogue of one language, flattened to {key: text} (read-only).

    Args:
        lang: "en" or "zh" exactly (use `normalize_lang` for anything a client sends).

    Raises:
        ValueError: an unknown language, or a key that appears in two tables of one file.
    """
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; choose one of: {', '.join(LANGS)}")
    raw = tomllib.loads(resources.files(__name__).joinpath(f"{lang}.toml").read_text("utf-8"))
    flat: dict[str, str] = {}
    for table in raw.values():
        for key, text in table.items():
            if key in flat:
                raise ValueError(f"{lang}.toml: key {key!r} appears in two tables")
            flat[key] = text
    return MappingProxyType(flat)


def t(key: str, lang: object = DEFAULT_LANG, **fields: Any) -> str:
    """The string `key` in `lang` (anything not Chinese is English), `{fields}` filled in.

    Args:
        key: a key of the catalogue, e.g. "title" or "sweep_summary".
        lang: a language tag; `normalize_lang` maps it to "en" or "zh". Default: "en".
        **fields: values for the string's `{name}` fields (with their format specs); a `Term`
            is looked up in the same language first.

    Raises:
        KeyError: an unknown key or a missing field (programming errors the tests catch).
    """
    words = catalogue(normalize_lang(lang))
    text = words[key]
    if not fields:
        return text
    return text.format(
        **{k: v.words(lang) if isinstance(v, Term) else v for k, v in fields.items()}
    )


def fields_of(text: str) -> set[str]:
    """The names of the `{fields}` in one catalogue string, e.g. {"k", "label"}."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}
