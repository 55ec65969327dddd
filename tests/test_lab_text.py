"""The lab speaks English and 简体中文: every string in both, cards and charts in either."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import tiny_model

from resnet_demo import shapes
from resnet_demo.lab import cards, charts
from resnet_demo.lab.image_sets import CURVES_SEED, example_set, shapes_set
from resnet_demo.lab.race import FINISHED, OUT_OF_TIME, RUNNING, STOPPED, RaceConfig, race_to_end
from resnet_demo.lab.text import image_set_name
from resnet_demo.text import t

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_race_states_are_worded_in_both_languages() -> None:
    for status in (RUNNING, FINISHED, OUT_OF_TIME, STOPPED):  # race states are catalogue keys
        assert _has_chinese(t(f"race_status_{status}", "zh"))
        assert not _has_chinese(t(f"race_status_{status}", "en"))


def test_image_set_names_are_worded_from_structure() -> None:
    shapes = shapes_set(8, 0, size=32)
    assert (shapes.kind, shapes.n, shapes.first_seed) == ("shapes", 8, CURVES_SEED)
    assert image_set_name(shapes, "en") == f"8 fresh shapes (seeds {CURVES_SEED}…)"
    assert image_set_name(shapes, "zh") == f"8 个新生成的形状（种子 {CURVES_SEED}…）"
    examples = example_set()
    assert (examples.kind, examples.first_seed) == ("examples", None)
    assert image_set_name(examples, "zh") == f"{len(examples.images)} 张示例图片"
    assert image_set_name(examples, "en") == f"{len(examples.images)} example pictures"
    assert image_set_name(None, "zh") == ""


def test_a_chinese_card_has_chinese_text_and_the_same_numbers() -> None:
    model = tiny_model()
    image = shapes.generate_sample(shapes.TEST_SEED_START + 3).image
    en_card, en = cards.lesion_sweep_card(model, image, "star.png")
    zh_card, zh = cards.lesion_sweep_card(model, image, "star.png", lang="zh")
    assert en["result"] == zh["result"]
    assert all(_has_chinese(line) for line in zh["caption"])
    assert not any(_has_chinese(line) for line in en["caption"][:1])
    assert zh["caption"][0] == "模型：embedded · 权重：random(test)"
    assert en_card.shape[1] == zh_card.shape[1] == 1200
    assert not np.array_equal(en_card[:80], zh_card[:80])  # the title is drawn differently


def test_race_and_curves_cards_in_chinese() -> None:
    small = RaceConfig(depths=(8, 14), n_train=8, n_test=8, image_size=8, batch_size=4)
    _, race = cards.race_card(max_steps=2, seed=0, lang="zh", recipe=small)
    assert race["caption"][0].startswith("模型：普通网络-8，普通网络-14，ResNet-8，ResNet-14")
    assert "已完成" in race["caption"][1]
    _, curves = cards.lesion_curves_card(tiny_model(), "shapes", 8, 1, 0, lang="zh")
    assert "个新生成的形状" in curves["caption"][1] and "准确率" in curves["caption"][1]


def test_charts_draw_in_either_language() -> None:
    snapshot = race_to_end(
        RaceConfig(
            depths=(8, 14),
            max_steps=2,
            n_train=8,
            n_test=8,
            image_size=8,
            batch_size=4,
            time_budget_s=None,
        )
    )
    en, zh = charts.race_chart(snapshot), charts.race_chart(snapshot, lang="zh")
    assert en.shape == zh.shape and not np.array_equal(en, zh)
    assert charts.series_name(20, False, "zh") == "普通网络-20"
    assert charts.when(0, "zh") == "初始化时" and charts.when(5, "en") == "after 5 steps"
