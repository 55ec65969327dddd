"""Teaching notes: both languages, sources cited, the claims the issue requires present."""

from __future__ import annotations

import re

import pytest

from resnet_demo.lab.notes import LANGS, NOTES, REFERENCES, note_markdown

CJK = re.compile(r"[\u4e00-\u9fff]")

SHORT_NAMES: dict[str, str] = {
    "he2016": "He et al. 2016",
    "veit2016": "Veit et al. 2016",
    "li2018": "Li et al. 2018",
    "balduzzi2017": "Balduzzi et al. 2017",
    "selvaraju2017": "Selvaraju et al. 2017",
    "yang2019": "Yang et al. 2019",
    "chollet2017": "Chollet 2017",
    "howard2017": "Howard et al. 2017",
}
"""Short names by which the notes cite `REFERENCES` in running text."""


@pytest.mark.parametrize("key", list(NOTES))
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("presenter", [False, True])
def test_every_note_renders_in_both_languages(key: str, lang: str, presenter: bool) -> None:
    text = note_markdown(key, lang, presenter)
    assert text.startswith("### ")
    assert bool(CJK.search(text)) == (lang == "zh")
    if presenter:
        assert len(text) < len(note_markdown(key, lang, False)) / 2
    else:
        for source in NOTES[key].sources:
            assert REFERENCES[source] in text


@pytest.mark.parametrize("key", list(NOTES))
def test_the_sources_a_note_lists_are_the_ones_it_names(key: str) -> None:
    note = NOTES[key]
    named = {s for s, short in SHORT_NAMES.items() if short in note.body("en")}
    assert named == set(note.sources)
    # The Chinese text names the same papers ("Veit 等人（2016）" or "Veit et al. 2016").
    for source in note.sources:
        assert SHORT_NAMES[source].split()[0] in note.body("zh"), source


@pytest.mark.parametrize(
    ("key", "phrases"),
    [
        ("gradient_flow", ["healthy", "optimisation difficulty", "Balduzzi", "white noise"]),
        ("misconceptions", ["depth-wise separable", "addition", "pool"]),
        ("lesion_curves", ["smoothly", "Veit", "plain network", "small corrections"]),
        ("lesion_sweep", ["‖F(x)‖ / ‖shortcut(x)‖", "8 blocks", "↓"]),
        ("race", ["training error", "He et al. 2016", "Adam"]),
        ("block", ["y = relu(F(x) + shortcut(x))", "projection"]),
        ("gradcam", ["does **not** show", "coarse"]),
    ],
)
def test_notes_carry_the_required_claims(key: str, phrases: list[str]) -> None:
    body = NOTES[key].body("en")
    for phrase in phrases:
        assert phrase in body, phrase


def test_unknown_note_or_language_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown note"):
        note_markdown("nothing")
    with pytest.raises(ValueError, match="unknown language"):
        note_markdown("race", "fr")
