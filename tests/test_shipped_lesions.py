"""What the notes say the shipped models do under lesions, checked on the shipped weights.

Every image comes from the test seed namespace of `resnet_demo.shapes` (never used in training),
drawn at each model's own input size. These are the measured claims of the claims register
(`resnet_demo/text/claims.toml`) about `embedded`, `embedded-no-sd` and `embedded-deep`.
"""

from __future__ import annotations

import json
from functools import cache

import numpy as np
import pytest
import torch

from resnet_demo import shapes
from resnet_demo.models import EMBEDDED, EMBEDDED_NO_SD, LoadedModel, load_model
from resnet_demo.models.embedded import asset_paths
from resnet_demo.models.preprocessing import normalise
from resnet_demo.switches import BRANCH_OFF, SKIP_OFF, SwitchedResNet, block_names
from resnet_demo.text import t

pytestmark = pytest.mark.usefixtures("one_torch_thread")

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


def accuracy(name: str, n: int, modes: dict[str, str] | None = None) -> float:
    """Top-1 of model `name` with `modes` on `n` fresh shapes at its input size."""
    loaded = model(name)
    size = loaded.preprocessing.crop_size
    images, labels = fresh_shapes(size, n)
    pre = loaded.preprocessing
    x = normalise(images, pre.mean, pre.std, channels_first=False)
    with torch.no_grad():
        logits = SwitchedResNet(loaded.module, modes or {})(x)
    return float((logits.argmax(1).numpy() == labels).mean())


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


def test_the_robustness_note_quotes_the_cards() -> None:
    """Every number of the robustness note is the cards' (English and Chinese)."""
    effects = {name: card(name)["switch_effects"] for name in (EMBEDDED, EMBEDDED_NO_SD)}
    quoted = []
    for name in (EMBEDDED, EMBEDDED_NO_SD):
        e = effects[name]
        branch = e["branch_off_accuracy"]
        quoted += [
            f"{100 * e['intact_accuracy']:.4g} %",
            f"{100 * np.mean(list(branch.values())):.1f} %",
            f"{100 * branch['layer2.1']:.1f} %",
            f"{100 * e['all_skip_off_accuracy']:.1f} %",
        ]
    for lang in ("en", "zh"):
        body = t("note_robustness_body", lang)
        for number in quoted:
            assert number in body, (lang, number)
