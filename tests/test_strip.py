"""The block strip's layout choice and the shortcut marks (↓ downsampling, ⇄ projection only).

torchvision's `_make_layer` gives a block a 1×1 projection shortcut when `stride != 1 or
inplanes != planes * expansion`: ResNet-50/101/152 `layer1.0` projects 64 → 256 channels with
stride 1, so it must not be called a downsampling block. Big torchvision models are built on the
meta device here (no memory, no weights): only their structure is read.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision
from conftest import tiny_model
from torch import nn
from torchvision.models.resnet import Bottleneck, ResNet

from resnet_demo.lab import charts, lesions
from resnet_demo.lab.cards import lesion_sweep_card_from
from resnet_demo.lab.cifar_nets import CifarResNet
from resnet_demo.models import LoadedModel, ModelSpec, Preprocessing
from resnet_demo.shapes import CLASS_NAMES
from resnet_demo.switches import (
    DOWNSAMPLING,
    IDENTITY,
    PROJECTION,
    block_names,
    shortcut_kind,
    shortcut_kinds,
)
from resnet_demo.text import t
from resnet_demo.ui.lab.views import sweep_summary
from resnet_demo.ui.strip import MAX_CARDS, is_compact, mark_legend, strip_props


def _meta(arch: str) -> nn.Module:
    with torch.device("meta"):
        return getattr(torchvision.models, arch)(weights=None)


def _marked(kinds: dict[str, str]) -> dict[str, str]:
    return {name: kind for name, kind in kinds.items() if kind != IDENTITY}


@pytest.mark.parametrize("arch", ["resnet50", "resnet101", "resnet152"])
def test_bottleneck_layer1_0_is_a_projection_not_a_downsampling_block(arch: str) -> None:
    kinds = shortcut_kinds(_meta(arch))
    assert _marked(kinds) == {
        "layer1.0": PROJECTION,  # 64 -> 256 channels, stride 1: same resolution
        "layer2.0": DOWNSAMPLING,
        "layer3.0": DOWNSAMPLING,
        "layer4.0": DOWNSAMPLING,
    }


@pytest.mark.parametrize("arch", ["resnet18", "resnet34"])
def test_basic_block_nets_mark_only_the_stride_2_blocks(arch: str) -> None:
    kinds = shortcut_kinds(_meta(arch))
    assert _marked(kinds) == dict.fromkeys(("layer2.0", "layer3.0", "layer4.0"), DOWNSAMPLING)
    assert shortcut_kinds(tiny_model().module) == {
        n: DOWNSAMPLING if n in ("layer2.0", "layer3.0", "layer4.0") else IDENTITY
        for n in block_names(tiny_model().module)
    }


@pytest.mark.parametrize("shortcut", ["A", "B"])
def test_cifar_nets_downsample_where_the_stride_is_2(shortcut: str) -> None:
    net = CifarResNet(20, residual=True, shortcut=shortcut)
    kinds = [shortcut_kind(block) for block in net.blocks]
    assert kinds == [DOWNSAMPLING if i in (3, 6) else IDENTITY for i in range(9)]


def test_a_stride_1_block_with_a_strided_shortcut_module_still_downsamples() -> None:
    block = Bottleneck(64, 16, stride=1, downsample=nn.Conv2d(64, 64, 1, stride=2))
    assert shortcut_kind(block) == DOWNSAMPLING


@pytest.mark.parametrize(
    ("arch", "n", "compact"),
    [("resnet18", 8, False), ("resnet34", 16, False), ("resnet50", 16, False),
     ("resnet101", 33, True), ("resnet152", 50, True)],
)  # fmt: skip
def test_the_compact_strip_starts_above_16_blocks(arch: str, n: int, compact: bool) -> None:
    module = _meta(arch)
    names = block_names(module)
    assert len(names) == n and is_compact(n) is compact
    props = strip_props(names, None, "en", shortcut_kinds(module))
    assert props["compact"] is compact and len(props["rows"]) == n
    assert is_compact(MAX_CARDS + 1) and not is_compact(MAX_CARDS)
    assert is_compact(27)  # the ResNet-56-like embedded-deep (7, 7, 7, 6 blocks)


def test_strip_rows_carry_kind_mark_and_index_and_the_legend_only_what_is_present() -> None:
    module = _meta("resnet152")
    names = block_names(module)
    value = strip_props(names, None, "zh", shortcut_kinds(module))
    rows = {r["name"]: r for r in value["rows"]}
    assert (rows["layer1.0"]["kind"], rows["layer1.0"]["mark"]) == (PROJECTION, "⇄")
    assert (rows["layer2.0"]["kind"], rows["layer2.0"]["mark"]) == (DOWNSAMPLING, "↓")
    assert rows["layer1.0"]["projection"] and rows["layer2.0"]["projection"]
    assert (rows["layer3.35"]["mark"], rows["layer3.35"]["index"]) == ("", "35")
    labels = value["labels"]
    assert labels["legend"] == (
        f"↓ {t('strip_downsampling', 'zh')} · ⇄ {t('strip_projection', 'zh')}"
    )
    for key in ("stage_skip_off", "stage_branch_off", "stage_reset", "cell_help"):
        assert labels[key] == t(f"strip_{key}", "zh") and labels[key]
    small = tiny_model().module
    legend = strip_props(block_names(small), None, "en", shortcut_kinds(small))
    assert legend["labels"]["legend"] == f"↓ {t('strip_downsampling', 'en')}"
    assert mark_legend([IDENTITY], "en") == ""


def _bottleneck_model() -> LoadedModel:
    """A small torchvision Bottleneck ResNet (one block per stage), like ResNet-50's layout."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        module = ResNet(Bottleneck, [1, 1, 1, 1], num_classes=len(CLASS_NAMES)).eval()
    return LoadedModel(
        spec=ModelSpec("embedded"),
        module=module,
        categories=CLASS_NAMES,
        preprocessing=Preprocessing(32, 32, (0.5, 0.5, 0.5), (0.25, 0.25, 0.25)),
        source="random(test)",
    )


def test_the_lesion_sweep_marks_projection_blocks_apart_from_downsampling_ones() -> None:
    model = _bottleneck_model()
    image = np.random.default_rng(0).integers(0, 255, (40, 40, 3), dtype=np.uint8)
    sweep = lesions.lesion_sweep(model, image, use_cache=False)
    assert sweep.downsampling.tolist() == [False, True, True, True]
    assert sweep.projection_only.tolist() == [True, False, False, False]
    blocks = sweep.to_json(model.categories)["blocks"]
    assert [(b["downsampling"], b["projection"]) for b in blocks] == [
        (False, True), (True, False), (True, False), (True, False)
    ]  # fmt: skip
    labels = charts.sweep_labels(sweep, np.zeros(4, bool))
    assert labels == ["layer1.0 ⇄", "layer2.0 ↓", "layer3.0 ↓", "layer4.0 ↓"]
    for lang in ("en", "zh"):
        mark = t("sweep_projection_mark", lang, proj="⇄")
        assert sweep_summary(sweep, lang).endswith(mark)
        _, numbers = lesion_sweep_card_from(sweep, model.categories, "x", lang)
        assert numbers["caption"][-1].endswith(mark)


def test_sweep_captions_leave_out_the_projection_mark_without_such_blocks() -> None:
    model = tiny_model()
    image = np.random.default_rng(1).integers(0, 255, (40, 40, 3), dtype=np.uint8)
    sweep = lesions.lesion_sweep(model, image, use_cache=False)
    assert not sweep.projection_only.any()
    assert "⇄" not in sweep_summary(sweep, "en") and "↓" in sweep_summary(sweep, "en")
    assert "⇄" not in " ".join(charts.sweep_labels(sweep, sweep.branch_changed))
