"""What the notes say the shipped models do under lesions, checked on the shipped weights.

Every image comes from the test seed namespace of `resnet_demo.shapes` (never used in training),
drawn at each model's own input size. These are the measured claims of the claims register
(`resnet_demo/text/claims.toml`) about `embedded`, `embedded-no-sd` and `embedded-deep`.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

import numpy as np
import pytest
import torch

from resnet_demo import shapes
from resnet_demo.lab.curves import lesion_curves
from resnet_demo.models import EMBEDDED, EMBEDDED_DEEP, EMBEDDED_NO_SD, LoadedModel, load_model
from resnet_demo.models.embedded import asset_paths
from resnet_demo.models.preprocessing import normalise
from resnet_demo.switches import BRANCH_OFF, SKIP_OFF, SwitchedResNet, block_names
from resnet_demo.text import t

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_torch_thread")]

SEED = shapes.TEST_SEED_START + 3_000_000
"""Fresh shapes, away from the cards' own test seeds (10,000,000 and 40,000,000)."""


@cache
def model(name: str) -> LoadedModel:
    return load_model(name)


@cache
def card(name: str) -> dict:
    return json.loads(asset_paths(name)[1].read_text(encoding="utf-8"))


@cache
def fresh_shapes(size: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    images, labels, _, _ = shapes.generate_batch(SEED, n, size=size)
    return images, labels


def predictions(name: str, n: int, modes: dict[str, str] | None = None) -> list[int]:
    """Top-1 classes of model `name` with `modes` on `n` fresh shapes at its input size."""
    loaded = model(name)
    images, _ = fresh_shapes(loaded.preprocessing.crop_size, n)
    pre = loaded.preprocessing
    x = normalise(images, pre.mean, pre.std, channels_first=False)
    with torch.no_grad():
        return SwitchedResNet(loaded.module, modes or {})(x).argmax(1).tolist()


def accuracy(name: str, n: int, modes: dict[str, str] | None = None) -> float:
    """Top-1 of model `name` with `modes` on `n` fresh shapes at its input size."""
    _, labels = fresh_shapes(model(name).preprocessing.crop_size, n)
    return float((np.array(predictions(name, n, modes)) == labels).mean())


def one_branch_off_mean(name: str, n: int) -> float:
    """Accuracy with one block's residual branch off, averaged over every block."""
    names = block_names(model(name).module)
    return float(np.mean([accuracy(name, n, {b: BRANCH_OFF}) for b in names]))


def test_no_sd_card_is_the_same_recipe_without_stochastic_depth() -> None:
    with_sd, without = card(EMBEDDED)["config"], card(EMBEDDED_NO_SD)["config"]
    differing = {k for k in without if with_sd.get(k) != without[k]}
    assert differing == {"stochastic_depth"}
    assert with_sd["stochastic_depth"] > 0 and without["stochastic_depth"] == 0
    assert card(EMBEDDED_NO_SD)["name"] == EMBEDDED_NO_SD
    assert "--stochastic-depth 0" in card(EMBEDDED_NO_SD)["command"]
    assert accuracy(EMBEDDED_NO_SD, 500) >= 0.97


def test_stochastic_depth_made_the_8_block_model_survive_branch_lesions() -> None:
    """The robustness note: one branch off costs embedded (stochastic depth) little on average
    and embedded-no-sd a lot; measured here on 500 fresh shapes, and as on the cards."""
    with_sd = one_branch_off_mean(EMBEDDED, 500)
    without = one_branch_off_mean(EMBEDDED_NO_SD, 500)
    assert with_sd >= 0.85
    assert without <= with_sd - 0.15
    for name, measured in ((EMBEDDED, with_sd), (EMBEDDED_NO_SD, without)):
        recorded = np.mean(list(card(name)["switch_effects"]["branch_off_accuracy"].values()))
        assert measured == pytest.approx(recorded, abs=0.04)


def test_every_skip_off_takes_both_8_block_models_to_chance() -> None:
    for name in (EMBEDDED, EMBEDDED_NO_SD):
        modes = dict.fromkeys(block_names(model(name).module), SKIP_OFF)
        assert accuracy(name, 500, modes) <= 0.2


def assert_quoted(key: str, numbers: list[str]) -> None:
    """Every one of `numbers` appears in catalogue text `key`, in English and in Chinese."""
    for lang in ("en", "zh"):
        text = t(key, lang)
        for number in numbers:
            assert number in text, (lang, number)


def percent(fraction: float, digits: int = 1) -> str:
    """`fraction` as a percentage rounded half up (0.2825 -> "28.3"), as the notes write it."""
    step = Decimal(1).scaleb(-digits)
    return str((Decimal(str(fraction)) * 100).quantize(step, rounding=ROUND_HALF_UP))


def test_the_robustness_note_quotes_the_cards() -> None:
    """Every number of the robustness note is the cards' (English and Chinese)."""
    effects = {name: card(name)["switch_effects"] for name in (EMBEDDED, EMBEDDED_NO_SD)}
    quoted = []
    for name in (EMBEDDED, EMBEDDED_NO_SD):
        e = effects[name]
        branch = e["branch_off_accuracy"]
        quoted += [
            f"{100 * e['intact_accuracy']:.4g} %",
            f"{percent(float(np.mean(list(branch.values()))))} %",
            f"{percent(branch['layer2.1'])} %",
            f"{percent(e['all_skip_off_accuracy'])} %",
        ]
    assert_quoted("note_robustness_body", quoted)


# ---- embedded-deep: 27 blocks, trained plainly --------------------------------------------

N_DEEP = 300
"""Fresh 32 px shapes for the deep model's lesion checks (the card used 1,000)."""


@cache
def deep_lesions() -> dict[str, dict[str, float]]:
    """Accuracy with each block's branch off, and with each block's skip off, alone."""
    names = block_names(model(EMBEDDED_DEEP).module)
    return {
        mode: {b: accuracy(EMBEDDED_DEEP, N_DEEP, {b: mode}) for b in names}
        for mode in (BRANCH_OFF, SKIP_OFF)
    }


def test_deep_model_is_a_27_block_plainly_trained_resnet_under_5_mb() -> None:
    loaded, deep_card = model(EMBEDDED_DEEP), card(EMBEDDED_DEEP)
    assert len(block_names(loaded.module)) == 27
    assert loaded.preprocessing.crop_size == 32
    assert deep_card["stochastic_depth"].startswith("none")
    assert asset_paths(EMBEDDED_DEEP)[0].stat().st_size <= 5_000_000
    assert deep_card["train_seconds"] <= 75 * 60
    assert deep_card["n_train"] == 80_000 and "--n-train 80000" in deep_card["command"]
    assert deep_card["test_accuracy"] >= 0.95  # the project's target, on 2,000 fresh shapes
    assert accuracy(EMBEDDED_DEEP, N_DEEP) >= 0.95  # card: 97.6 % on 2,000


def test_deep_model_survives_one_branch_but_not_one_skip() -> None:
    """The lesion note on embedded-deep: one identity block's branch off costs a few points on
    average, a downsampling block's more; one identity block's skip off costs far more; every
    skip off gives chance."""
    intact = accuracy(EMBEDDED_DEEP, N_DEEP)
    down = set(card(EMBEDDED_DEEP)["lesions"]["downsampling_blocks"])
    lesions = deep_lesions()
    identity = [b for b in lesions[BRANCH_OFF] if b not in down]
    assert len(identity) == 24 and len(down) == 3

    def drop(mode: str, blocks: list[str] | set[str]) -> float:
        return 100 * float(np.mean([intact - lesions[mode][b] for b in blocks]))

    assert drop(BRANCH_OFF, identity) <= 4
    assert drop(BRANCH_OFF, down) >= drop(BRANCH_OFF, identity) + 5
    assert drop(SKIP_OFF, identity) >= drop(BRANCH_OFF, identity) + 20
    every_skip = dict.fromkeys(block_names(model(EMBEDDED_DEEP).module), SKIP_OFF)
    assert accuracy(EMBEDDED_DEEP, N_DEEP, every_skip) <= 0.2
    assert len(set(predictions(EMBEDDED_DEEP, N_DEEP, every_skip))) == 1  # one class for all


def test_deep_model_declines_with_k_and_skips_fall_faster() -> None:
    """k random branches off: high at k = 1, near chance by k = 10; k skips off: near chance by
    k = 3 (lesion curves on fresh shapes, 3 draws per k)."""
    loaded = model(EMBEDDED_DEEP)
    images, labels = fresh_shapes(32, 200)
    curves = lesion_curves(loaded, images, labels, draws=3, seed=1, max_k=10)
    branch, skip = curves.branch_mean, curves.skip_mean
    assert branch[1] >= 0.8 and branch[10] <= 0.3
    assert skip[3] <= 0.3
    assert all(skip[k] <= branch[k] + 0.05 for k in range(1, 11))


def test_the_lesion_note_quotes_the_deep_card() -> None:
    """Every figure of the embedded-deep paragraph comes from its card (English and Chinese)."""
    deep = card(EMBEDDED_DEEP)
    lesions = deep["lesions"]
    branch, skip = lesions["branch_off_drop_points"], lesions["skip_off_drop_points"]
    k_branch, k_skip = lesions["k_random_branches_off"], lesions["k_random_skips_off"]
    quoted = [
        f"{100 * lesions['intact_accuracy']:.1f} %",
        f"{100 * deep['test_accuracy']:.1f} %",
        f"{branch['identity_blocks']['mean']:.1f}",
        f"{branch['identity_blocks']['max']:.1f}",
        f"{branch['downsampling_blocks']['mean']:.1f}",
        f"{branch['downsampling_blocks']['max']:.1f}",
        f"{skip['identity_blocks']['mean']:.1f}",
        f"{skip['identity_blocks']['max']:.1f}",
        f"{skip['downsampling_blocks']['mean']:.1f}",
        f"{100 * lesions['all_skips_off_accuracy']:.1f} %",
        f"{100 * k_branch['2']['sd']:.1f}",
        f"{deep['lesion_draws']}",
        *(f"{100 * k_branch[k]['mean']:.1f} %" for k in ("1", "2", "4", "5", "7", "10")),
        *(f"{100 * k_branch[k]['sem']:.1f}" for k in ("2", "4", "5", "7", "10")),
        *(f"{100 * k_skip[k]['mean']:.1f} % ± {100 * k_skip[k]['sem']:.1f}" for k in ("1", "2")),
    ]
    assert_quoted("note_lesion_measured", quoted)
    # "whether a draw hits layer1.0 or a downsampling block": the lowest draw at k = 2 and 4 does.
    hard = {"layer1.0", *lesions["downsampling_blocks"]}
    for k in ("2", "4"):
        draws = k_branch[k]
        worst = draws["blocks"][int(np.argmin(draws["accuracies"]))]
        assert hard & set(worst), (k, worst)
