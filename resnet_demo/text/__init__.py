"""The one text catalogue: every string a user sees, in each language of `LANGUAGES`, by key.

The words live in `<code>.toml` beside this file (`en.toml`, `zh.toml`), one catalogue per
language with the same keys and the same `{fields}`; `LANGUAGES` names them, so a new language
is its catalogue file and its row in that table. The files' tables (`[ui]`, `[lab]`, `[card]`,
`[notes]`, …) only group keys for the reader; a key is unique across the whole catalogue. Engine
code (`analysis`, `lab`, `models`, `imaging`, `switches`) never words anything: it returns values
and error kinds (`resnet_demo.errors.DemoError.key`), and the front ends (`ui`, `cli`, the cards)
look the words up here with `t(key, lang, **fields)`.

No Gradio and no torch here, so every layer may import it.
"""

from __future__ import annotations

import os
import re
import string
import tomllib
from collections.abc import KeysView, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

__all__ = [
    "DEFAULT_LANG",
    "LANGS",
    "LANGUAGES",
    "Language",
    "Term",
    "argv_lang",
    "catalogue",
    "fields_of",
    "forget_language",
    "normalize_lang",
    "register_language",
    "t",
]


@dataclass(frozen=True)
class Language:
    """One language of the app.

    Attributes:
        name: its name in itself, shown on the language switch ("简体中文").
        tag: its BCP 47 tag for `<html lang>` ("zh-CN": Chinese glyphs, not Japanese ones).
        aliases: more tags a browser may send for it, besides the code and `tag` ("zh-Hans").
        path: its catalogue; None for `<code>.toml` beside this file.
    """

    name: str
    tag: str
    aliases: tuple[str, ...] = ()
    path: Path | None = None

    def tags(self, code: str) -> tuple[str, ...]:
        """Every tag that names this language (`code` first), for the browser's tables."""
        return tuple(dict.fromkeys((code, self.tag, *self.aliases)))


LANGUAGES: dict[str, Language] = {
    "en": Language("English", "en"),
    "zh": Language("简体中文", "zh-CN", ("zh-Hans",)),
}
"""The supported languages by code, in the order of the language switch. Every one has a
catalogue with the same keys as English's."""

LANGS: KeysView[str] = LANGUAGES.keys()
"""The codes of `LANGUAGES` ("en", "zh"), a live view of the table."""

DEFAULT_LANG = "en"

EXTRA_CATALOGUES = "RESNET_DEMO_EXTRA_CATALOGUES"
"""Environment variable naming catalogues outside the package, `code=path[,code=path]`; read at
import (the tests' pseudo-language reaches the CLI and the app this way)."""


def register_language(code: str, name: str, path: str | os.PathLike[str]) -> None:
    """Add a language whose catalogue is the file `path` (e.g. the tests' pseudo-language).

    The language switch, the browser's tables and the text functions read `LANGUAGES` when they
    are built or called, so a page built afterwards offers it.
    """
    LANGUAGES[code] = Language(name, code, path=Path(path))
    catalogue.cache_clear()


def forget_language(code: str) -> None:
    """Remove a language `register_language` added."""
    LANGUAGES.pop(code, None)
    catalogue.cache_clear()


def _register_extra(value: str) -> None:
    for item in filter(None, (part.strip() for part in value.split(","))):
        code, _, path = item.partition("=")
        register_language(code.strip(), code.strip(), path.strip())


def normalize_lang(lang: object) -> str:
    """Map anything a client sends ("zh-CN", "zh", None, 42) to a supported language code.

    A tag names a language when it is its code, its tag or an alias, or starts with its code
    ("zh-TW" is "zh").

    Returns:
        The code of `LANGUAGES` it names, else "en".
    """
    if not isinstance(lang, str):
        return DEFAULT_LANG
    tag = lang.strip().lower().replace("_", "-")
    for code, language in LANGUAGES.items():
        if tag in (name.lower() for name in language.tags(code)):
            return code
    primary = re.split(r"[-,;]", tag, maxsplit=1)[0]
    return primary if primary in LANGUAGES else DEFAULT_LANG


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
        lang: a code of `LANGUAGES` exactly (use `normalize_lang` for anything a client sends).

    Raises:
        ValueError: an unknown language, or a key that appears in two tables of one file.
    """
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; choose one of: {', '.join(LANGS)}")
    path = LANGUAGES[lang].path
    file = path or resources.files(__name__).joinpath(f"{lang}.toml")
    raw = tomllib.loads(file.read_text("utf-8"))
    flat: dict[str, str] = {}
    for table in raw.values():
        for key, text in table.items():
            if key in flat:
                raise ValueError(f"{lang}.toml: key {key!r} appears in two tables")
            flat[key] = text
    return MappingProxyType(flat)


def t(key: str, lang: object = DEFAULT_LANG, **fields: Any) -> str:
    """The string `key` in `lang` (an unknown language is English), `{fields}` filled in.

    Args:
        key: a key of the catalogue, e.g. "title" or "sweep_summary".
        lang: a language tag; `normalize_lang` maps it to a code of `LANGUAGES`. Default: "en".
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


_register_extra(os.environ.get(EXTRA_CATALOGUES, ""))
