"""The claims register (resnet_demo/text/claims.toml): every factual sentence a student sees, with
its source; the register checked against the catalogue and the tests.

- every quote occurs in its key's English text (so the register follows the text it vouches for);
- every measured claim names a test that exists (the file, and a function of that name);
- every note with factual text has at least one entry;
- English and Chinese of every registered key contain the same numbers;
- every number a claim maps with `fields` equals its asset field, and every number of a measured
  quote is mapped (or exempted as a paper citation or as not stored, with a reason).
"""

from __future__ import annotations

import ast
import json
import re
import tomllib
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from resnet_demo.text import LANGS, catalogue

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
        assert set(claim) <= {
            "key",
            "quote",
            "source",
            "test",
            "fields",
            "paper_numbers",
            "not_stored",
        }, claim
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


@pytest.mark.parametrize("lang", [lang for lang in LANGS if lang != "en"])
def test_every_language_of_every_registered_key_holds_englishs_numbers(lang: str) -> None:
    en, other = catalogue("en"), catalogue(lang)
    for key in sorted({c["key"] for c in claims()}):
        assert numbers(en[key]) == numbers(other[key]), key


def test_numbers_are_normalised() -> None:
    assert numbers("4.62 % on 24,000 images") == numbers("4.62% 共 24000 张")
    assert numbers("ResNet-50: 76.130") == Counter({"50": 1, "76.130": 1})


CLAIM_NUMBER = re.compile(r"(?<![\w.\-])\d+(?:\.\d+)?(?![\w])")
"""A number as a quote states it: not the digits of a name (layer4.1, top-1, ResNet-50)."""


def quoted_numbers(quote: str) -> set[str]:
    return set(CLAIM_NUMBER.findall(re.sub(r"(?<=\d),(?=\d{3}\b)", "", quote)))


@cache
def _asset(file: str) -> object:
    return json.loads((ROOT / file).read_text(encoding="utf-8"))


def field_value(ref: str) -> float:
    """The number at "<asset file>:<dotted key path>" (list indices as numbers; a last step
    .len() or .mean() takes a list's or dict's length or mean)."""
    file, _, path = ref.partition(":")
    assert file.startswith("assets/") and file.endswith(".json"), ref
    value: object = _asset(file)
    for step in path.split("."):
        if step in ("len()", "mean()"):
            items = list(value.values()) if isinstance(value, dict) else list(value)  # type: ignore[union-attr]
            return float(len(items)) if step == "len()" else sum(items) / len(items)
        value = value[int(step)] if isinstance(value, list) else value[step]  # type: ignore[index]
    assert isinstance(value, int | float) and not isinstance(value, bool), (ref, value)
    return float(value)


def matches(written: str, value: float) -> bool:
    """`written` (as in the quote) is `value`, or 100 × `value` (a percent of a fraction),
    rounded to the quote's digits."""
    digits = len(written.partition(".")[2])
    return any(round(v, digits) == float(written) for v in (value, 100 * value))


def field_errors(claim: dict) -> list[str]:
    """What is wrong with a claim's numbers against the assets (empty when all is right)."""
    errors = []
    written = quoted_numbers(claim["quote"])
    for number, ref in claim.get("fields", {}).items():
        if number not in written:
            errors.append(f"{number} is not a number of the quote")
        elif not matches(number, field_value(ref)):
            errors.append(f"{number} != {ref} = {field_value(ref)}")
    if claim["source"].startswith("measured:"):
        exempt = set(claim.get("paper_numbers", ())) | set(claim.get("not_stored", {}))
        missing = written - set(claim.get("fields", {})) - exempt
        errors += [f"{number} is not mapped to an asset field" for number in sorted(missing)]
    assert all(str(r).strip() for r in claim.get("not_stored", {}).values()), claim
    return errors


@pytest.mark.parametrize(
    "claim",
    [c for c in claims() if "fields" in c or c["source"].startswith("measured:")],
    ids=lambda c: f"{c['key']}:{c['quote'][:30]}",
)
def test_every_number_of_a_measured_claim_is_its_asset_field(claim: dict) -> None:
    assert field_errors(claim) == [], claim["quote"]


def test_a_changed_number_fails_the_field_check() -> None:
    """The check can fail: change one mapped number of each claim by one unit in its last digit
    (in the quote and its fields key) and it no longer matches its asset."""
    checked = 0
    for claim in claims():
        for number, ref in claim.get("fields", {}).items():
            digits = len(number.partition(".")[2])
            bumped = f"{float(number) + 10**-digits:.{digits}f}"
            changed = {
                **claim,
                "quote": re.sub(
                    rf"(?<![\w.\-]){re.escape(number)}(?![\w])", bumped, claim["quote"]
                ),
                "fields": {**claim["fields"], bumped: ref},
            }
            del changed["fields"][number]
            assert any(bumped in e for e in field_errors(changed)), (claim["quote"], number)
            checked += 1
    assert checked >= 20
    unmapped = {"key": "k", "quote": "it fell to 12.5 %", "source": "measured: x", "test": "t"}
    assert field_errors(unmapped) == ["12.5 is not mapped to an asset field"]
    assert matches("9.3", 0.093) and matches("0.48", 0.4753) and not matches("9.4", 0.093)
