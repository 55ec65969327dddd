"""The one text catalogue: every language holds English's keys and fields, and code uses only keys
that exist."""

from __future__ import annotations

import ast
import pickle
from pathlib import Path

import numpy as np
import pseudo_language
import pytest

from resnet_demo.errors import DemoError, InvalidValue, check_int, check_number, parse_whole
from resnet_demo.text import (
    LANGS,
    LANGUAGES,
    Term,
    catalogue,
    fields_of,
    forget_language,
    normalize_lang,
    register_language,
    t,
)

PACKAGE = Path(__file__).resolve().parent.parent / "resnet_demo"
LOOKUPS = {"t", "label", "say"}
"""Names of the functions that take a catalogue key as their first argument."""


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.mark.parametrize("lang", [lang for lang in LANGS if lang != "en"])
def test_every_language_has_the_keys_and_fields_of_english(lang: str) -> None:
    en, other = catalogue("en"), catalogue(lang)
    assert set(other) == set(en)
    for key in en:
        assert en[key].strip() and other[key].strip(), key
        assert fields_of(en[key]) == fields_of(other[key]), key


SAME_IN_BOTH = {
    "stage_choice",
    "strip_ratio",
    "col_change",
    "card_title",
    "resnet_net",
    "card_grad_cam",
    "race_list_sep",
    "shapes_list_sep",
    "cli_batch_image",
    "err_titled",
    "cli_method_entry",
    "cli_method_sep",
    "cli_setting_sep",
}
"""Keys whose text is a formula, a symbol or a name: no Chinese word (punctuation may differ)."""


def test_chinese_strings_are_chinese() -> None:
    en, zh = catalogue("en"), catalogue("zh")
    assert {key for key in en if en[key] == zh[key]} <= SAME_IN_BOTH
    assert all(_has_chinese(zh[key]) for key in en if key not in SAME_IN_BOTH)


def _literal_keys() -> list[tuple[str, str]]:
    """(file:line, key) of every `t("key", ...)`, `label("key")`, `say("key", ...)` call."""
    found = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            first = node.args[0]
            if name in LOOKUPS and isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.append((f"{path.relative_to(PACKAGE)}:{node.lineno}", first.value))
    return found


def test_every_key_the_code_names_is_in_the_catalogue() -> None:
    keys = _literal_keys()
    assert len(keys) > 100  # the scan really finds the lookups
    missing = [(where, key) for where, key in keys if key not in catalogue("en")]
    assert not missing


def test_lookup_fills_fields_and_falls_back_to_english() -> None:
    assert t("after_steps", "zh", steps=30) == "训练 30 步后"
    assert t("after_steps", "zh-CN", steps=30) == "训练 30 步后"
    assert t("after_steps", "fr", steps=30) == "after 30 steps"
    assert normalize_lang(None) == "en" and normalize_lang("ZH-hans") == "zh"
    assert normalize_lang("zh-TW") == "zh" and normalize_lang("zh_CN") == "zh"
    assert normalize_lang("zh-CN,zh;q=0.9") == "zh" and normalize_lang("english") == "en"
    with pytest.raises(KeyError):
        t("no-such-key")
    with pytest.raises(ValueError, match="unknown language"):
        catalogue("fr")
    assert set(LANGS) == {"en", "zh"}


def test_a_language_registered_from_a_file_is_a_language_of_the_app(tmp_path: Path) -> None:
    path = pseudo_language.write_catalogue(tmp_path / "xx.toml")
    register_language("xx", "Pseudo", path)
    try:
        assert "xx" in LANGS and LANGUAGES["xx"].name == "Pseudo"
        assert normalize_lang("xx-YY") == "xx"
        assert t("after_steps", "xx", steps=30) == "⟦after 30 steps⟧"
        assert set(catalogue("xx")) == set(catalogue("en"))
    finally:
        forget_language("xx")
    assert "xx" not in LANGS and normalize_lang("xx") == "en"


def test_a_term_is_worded_in_the_language_of_its_message() -> None:
    assert t("value_too_small", "zh", name=Term("field_depth"), low=8, value=3).startswith("深度")
    assert t("value_too_small", "en", name=Term("field_depth"), low=8, value=3).startswith("depth")


@pytest.mark.parametrize(
    ("value", "key"),
    [
        (True, "value_not_whole"),
        (2.5, "value_not_whole"),
        ("3", "value_not_whole"),
        (0, "value_out_of_range"),
        (11, "value_out_of_range"),
    ],
)
def test_check_int_names_what_is_wrong(value: object, key: str) -> None:
    with pytest.raises(InvalidValue) as raised:
        check_int(value, Term("field_depth"), 1, 10)
    assert raised.value.key == key
    assert str(raised.value).startswith("depth ")  # English for logs and scripts
    assert raised.value.words("zh").startswith("深度")
    assert "depth" not in raised.value.words("zh")


def test_checks_accept_what_is_valid_and_bound_one_side() -> None:
    assert check_int(7, "n", 1) == 7 and type(check_int(7, "n", 1)) is int
    assert check_number(0.25, "opacity", 0.0, 1.0) == 0.25
    with pytest.raises(DemoError, match="at most 3"):
        check_int(4, "n", high=3)
    with pytest.raises(DemoError, match="must be a number, got NaN"):
        check_number(float("nan"), "opacity", 0.0, 1.0)


def test_an_error_survives_pickling_with_its_key() -> None:
    error = InvalidValue("value_too_small", name=Term("field_depth"), low=8, value=3)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is InvalidValue and copy.key == error.key and str(copy) == str(error)
    assert copy.words("zh") == error.words("zh")


@pytest.mark.parametrize(
    ("value", "numerals", "expected"),
    [(3, False, 3), (3.0, False, 3), (np.float32(4.0), False, 4), ("5", True, 5), ("-1", True, -1)],
)
def test_parse_whole_takes_whole_numbers_as_forms_send_them(
    value: object, numerals: bool, expected: int
) -> None:
    assert parse_whole(value, "n", numerals=numerals) == expected


@pytest.mark.parametrize("value", [2.5, "5", "five", None, [3], True, float("nan")])
def test_parse_whole_refuses_what_is_not_a_whole_number(value: object) -> None:
    with pytest.raises(InvalidValue, match="must be a whole number"):
        parse_whole(value, "n")
