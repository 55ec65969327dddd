"""embedded-deep's k-curve: the shipped measurement, its two verdict rules, and the presenter
essentials that word them (resnet_demo/lab/lesion_verdict.py)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from resnet_demo.lab import lesion_verdict as lv
from resnet_demo.lab.notes import NOTES
from resnet_demo.models import EMBEDDED_DEEP
from resnet_demo.models.embedded import asset_paths
from resnet_demo.text import LANGS, t

ROOT = Path(__file__).resolve().parent.parent


def deep_card() -> dict:
    return json.loads(asset_paths(EMBEDDED_DEEP)[1].read_text(encoding="utf-8"))


def test_decline_rule_allows_rises_only_within_two_standard_errors() -> None:
    assert lv.decline_rule([0.9, 0.8, 0.6, 0.3], [0.01] * 4) == (lv.STEADY, ())
    # k = 3 rises by 0.02 against 2·√2·0.01 = 0.028: noise
    assert lv.decline_rule([0.9, 0.8, 0.82, 0.3], [0.01] * 4) == (lv.STEADY, ())
    # k = 3 rises by 0.05 > 0.028, and k = 6 too
    assert lv.decline_rule([0.9, 0.8, 0.85, 0.3, 0.2, 0.3], [0.01] * 6) == (lv.UNEVEN, (3, 6))
    # the same rise with wide standard errors is noise
    assert lv.decline_rule([0.9, 0.8, 0.85], [0.05] * 3) == (lv.STEADY, ())


def test_veit_rule_compares_at_the_same_fraction_with_reading_and_draw_errors() -> None:
    assert lv.veit_rule(0.50, 0.02) == lv.FASTER
    assert lv.veit_rule(0.72, 0.01) == lv.FASTER  # 0.74 < 0.75
    assert lv.veit_rule(0.72, 0.02) == lv.ALIKE  # 0.76 reaches Veit's 0.8 - 0.05
    assert lv.veit_rule(0.80, 0.01) == lv.ALIKE
    assert lv.veit_rule(0.95, 0.02) == lv.SLOWER
    assert (lv.VEIT_ACCURACY, lv.VEIT_K, lv.VEIT_BLOCKS) == (0.8, 10, 54)


def test_the_shipped_curves_use_at_least_20_draws_with_standard_errors() -> None:
    card = deep_card()
    assert card["lesion_draws"] >= 20
    for name in ("k_random_branches_off", "k_random_skips_off"):
        curve = card["lesions"][name]
        assert sorted(int(k) for k in curve) == list(range(1, 11))
        for k, entry in curve.items():
            accs = entry["accuracies"]
            n = entry["n_draws"]
            assert n >= 20 and len(accs) == len(entry["blocks"]) == n, (name, k)
            assert all(len(b) == int(k) == len(set(b)) for b in entry["blocks"])
            mean = sum(accs) / n
            sd = math.sqrt(sum((a - mean) ** 2 for a in accs) / (n - 1))
            assert entry["mean"] == pytest.approx(mean, abs=6e-5), (name, k)
            assert entry["sd"] == pytest.approx(sd, abs=6e-5), (name, k)
            assert entry["sem"] == pytest.approx(sd / math.sqrt(n), abs=6e-5), (name, k)


def test_the_same_fraction_of_blocks_is_5_of_27() -> None:
    verdict = lv.verdict_of(deep_card())
    assert verdict.blocks == 27 and verdict.k_same_fraction == 5
    assert verdict.k_same_fraction / verdict.blocks == lv.VEIT_K / lv.VEIT_BLOCKS


# What each verdict would say, in words that only that verdict uses.
_ONLY = {
    lv.FASTER: {"en": "much faster than ResNet-110", "zh": "比 ResNet-110 下降得快得多"},
    lv.ALIKE: {"en": "about as fast as ResNet-110", "zh": "下降速度与 ResNet-110 相近"},
    lv.SLOWER: {"en": "more slowly than ResNet-110", "zh": "比 ResNet-110 下降得慢"},
    lv.STEADY: {"en": "falls steadily with k", "zh": "随 k 稳定下降"},
    lv.UNEVEN: {"en": "does not fall steadily", "zh": "并不稳定下降"},
}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("key", ["lesion_curves", "paths"])
def test_essentials_state_the_measured_verdict_of_the_shipped_curve(key: str, lang: str) -> None:
    """The presenter essentials word the verdict that the rules give on the shipped card, with
    its numbers, and none of the other verdicts' words."""
    card = deep_card()
    curve = card["lesions"]["k_random_branches_off"]
    means = [curve[str(k)]["mean"] for k in range(1, 11)]
    sems = [curve[str(k)]["sem"] for k in range(1, 11)]
    decline, _ = lv.decline_rule(means, sems)
    versus = lv.veit_rule(curve["5"]["mean"], curve["5"]["sem"])
    text = NOTES[key].essentials(lang)
    assert "{" not in text
    assert lv.verdict_words(lang) in text
    for verdict, words in _ONLY.items():
        assert (words[lang] in text) == (verdict in (decline, versus)), (verdict, lang)
    for number in (
        f"{100 * curve['5']['mean']:.1f} % ± {100 * curve['5']['sem']:.1f}",
        f"{100 * curve['10']['mean']:.1f} % ± {100 * curve['10']['sem']:.1f}",
    ):
        assert number in text, number


@pytest.mark.parametrize("lang", LANGS)
def test_sweep_essentials_quote_the_single_block_figures(lang: str) -> None:
    lesions = deep_card()["lesions"]
    text = NOTES["lesion_sweep"].essentials(lang)
    assert "{" not in text
    branch = lesions["branch_off_drop_points"]
    first_cost = 100 * (lesions["intact_accuracy"] - lesions["branch_off_accuracy"]["layer1.0"])
    for number in (
        f"{branch['identity_blocks']['mean']:.1f}",
        f"layer1.0 {'costs ' if lang == 'en' else '损失 '}{first_cost:.1f}",
        f"{branch['downsampling_blocks']['mean']:.1f}",
        f"{lesions['skip_off_drop_points']['identity_blocks']['mean']:.1f}",
    ):
        assert number in text, number


@pytest.mark.parametrize("lang", LANGS)
def test_no_lesion_note_calls_the_default_model_smooth_or_its_training_plain(lang: str) -> None:
    """truth-2 #4/#23/Z4: the model on screen is not said to decline smoothly unqualified, and
    "plain"/普通 means only "without skip connections"."""
    keys = [f"note_{n}_{part}" for n in lv.LESION_NOTES for part in ("body", "essentials")]
    for key in [*keys, "note_lesion_measured"]:
        text = t(key, lang)
        for phrase in ("trained plainly", "plainly trained", "plain deep ResNet", "smooth decline"):
            assert phrase not in text, (key, phrase)
        for phrase in ("普通训练", "普通方式训练", "笔记本", "远更多"):
            assert phrase not in text, (key, phrase)
    assert "stochastic depth (Huang" not in NOTES["lesion_sweep"].essentials("en")


def _resolve(spec: str) -> float:
    file, _, path = spec.partition(":")
    value = json.loads((ROOT / file).read_text(encoding="utf-8"))
    for part in path.split("."):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return float(value)


def test_the_static_words_agree_with_the_shipped_verdict() -> None:
    """The full notes say in fixed words that embedded-deep declines faster than ResNet-110 and
    unevenly or steadily as measured: true only while the shipped card's verdict says so."""
    verdict = lv.shipped_verdict()
    assert verdict.versus_veit == lv.FASTER
    assert "declines faster" in t("note_paths_body", "en")
    assert "much faster than ResNet-110" in t("note_lesion_measured", "en")
    steady_words = "falls steadily with k" in t("note_lesion_measured", "en")
    assert steady_words == (verdict.decline == lv.STEADY)
