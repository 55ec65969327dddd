"""The claims register (resnet_demo/text/claims.toml): every factual sentence a student sees, with
its source; the register checked against the catalogue and the tests.

- every quote occurs in its key's English text (so the register follows the text it vouches for);
- every measured claim names a test that exists (the file, and a function of that name);
- every note with factual text has at least one entry;
- English and Chinese of every registered key contain the same numbers.
"""

from __future__ import annotations

import ast
import re
import tomllib
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from resnet_demo.text import catalogue

ROOT = Path(__file__).resolve().parent.parent
REGISTER = ROOT / "resnet_demo" / "text" / "claims.toml"
PLACEHOLDERS = {"Measurements of embedded-deep follow."}
"""English texts that hold no claim yet (filled in later; then they need entries)."""
NUMBER = re.compile(r"\d+(?:\.\d+)?")


@cache
def claims() -> tuple[dict, ...]:
    with REGISTER.open("rb") as f:
        return tuple(tomllib.load(f)["claim"])


def numbers(text: str) -> Counter[str]:
    """The numeric tokens of `text`, normalised: "4.62 %" and "4.62%" give the same token, and so do
    "1,000" and "1000"."""
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    return Counter(NUMBER.findall(text))


def test_entries_are_well_formed() -> None:
    assert claims()
    for claim in claims():
        assert set(claim) <= {"key", "quote", "source", "test", "fields"}, claim
        assert claim["key"] and claim["quote"].strip() and claim["source"].strip(), claim
        if claim["source"].startswith("measured:"):
            assert "test" in claim, claim


@pytest.mark.parametrize("claim", claims(), ids=lambda c: f"{c['key']}:{c['quote'][:30]}")
def test_every_quote_is_in_its_keys_english_text(claim: dict) -> None:
    en = catalogue("en")
    assert claim["key"] in en, claim["key"]
    assert claim["quote"] in en[claim["key"]]


def _functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}


@pytest.mark.parametrize(
    "claim", [c for c in claims() if "test" in c], ids=lambda c: c["test"].split("::")[-1]
)
def test_every_named_test_exists(claim: dict) -> None:
    file, _, name = claim["test"].partition("::")
    path = ROOT / file
    assert file.startswith("tests/") and path.is_file(), file
    assert name in _functions(path), claim["test"]


def test_every_note_with_factual_text_has_an_entry() -> None:
    registered = {c["key"] for c in claims()}
    for key, text in catalogue("en").items():
        if not key.startswith("note_") or key.endswith("_title") or key == "note_sources":
            continue
        if text.strip() in PLACEHOLDERS:
            continue
        assert key in registered, key


def test_english_and_chinese_of_every_registered_key_hold_the_same_numbers() -> None:
    en, zh = catalogue("en"), catalogue("zh")
    for key in sorted({c["key"] for c in claims()}):
        assert numbers(en[key]) == numbers(zh[key]), key


def test_numbers_are_normalised() -> None:
    assert numbers("4.62 % on 24,000 images") == numbers("4.62% 共 24000 张")
    assert numbers("ResNet-50: 76.130") == Counter({"50": 1, "76.130": 1})
