"""The shipped embedded model: architecture, weights file, and its quality on unseen shapes.

Every number here is measured on images from the test seed namespace of `resnet_demo.shapes`
(seeds >= TEST_SEED_START), which training never uses.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision
from captum.attr import LayerAttribution, LayerGradCam
from PIL import Image
from torchvision.models.resnet import BasicBlock, ResNet

from resnet_demo import shapes
from resnet_demo.models.embedded import (
    CARD_PATH,
    INPUT_SIZE,
    WEIGHTS_PATH,
    build_embedded_resnet,
    load_embedded,
)
from resnet_demo.switches import BRANCH_OFF, SKIP_OFF, block_names, forward_with_modes

pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).resolve().parents[1] / "assets" / "examples"
N_TEST = 2000
N_CAM = 500
TEST_SEED = shapes.TEST_SEED_START
CAM_SEED = shapes.TEST_SEED_START + 500_000


@pytest.fixture(scope="module")
def loaded() -> tuple[ResNet, dict]:
    return load_embedded()


@pytest.fixture(scope="module")
def test_set() -> tuple[np.ndarray, np.ndarray]:
    images, labels, _, _ = shapes.generate_batch(TEST_SEED, N_TEST)
    return images, labels


@pytest.fixture(scope="module")
def intact_predictions(
    loaded: tuple[ResNet, dict], test_set: tuple[np.ndarray, np.ndarray]
) -> np.ndarray:
    model, card = loaded
    return predict(model, test_set[0], card)


def to_input(images: np.ndarray, card: dict) -> torch.Tensor:
    """uint8 (N, H, W, 3) -> normalised float32 (N, 3, H, W) as the card prescribes."""
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255.0
    mean = torch.tensor(card["mean"]).view(1, 3, 1, 1)
    std = torch.tensor(card["std"]).view(1, 3, 1, 1)
    return ((x - mean) / std).contiguous()


def predict(model: ResNet, images: np.ndarray, card: dict, modes: dict | None = None) -> np.ndarray:
    out = []
    with torch.no_grad():
        for start in range(0, len(images), 500):
            x = to_input(images[start : start + 500], card)
            logits = forward_with_modes(model, x, modes) if modes else model(x)
            out.append(logits.argmax(1))
    return torch.cat(out).numpy()


def test_weights_file_is_small_and_a_plain_state_dict() -> None:
    assert WEIGHTS_PATH.stat().st_size <= 12 * 1024 * 1024
    state = torch.load(WEIGHTS_PATH, map_location="cpu", weights_only=True)
    assert isinstance(state, dict)
    assert all(isinstance(v, torch.Tensor) for v in state.values())
    assert {v.dtype for k, v in state.items() if not k.endswith("num_batches_tracked")} == {
        torch.float32
    }


def test_card_describes_the_model(loaded: tuple[ResNet, dict]) -> None:
    _, card = loaded
    assert card["classes"] == list(shapes.CLASS_NAMES)
    assert card["classes_zh"] == list(shapes.class_names_in("zh"))
    assert card["input_size"] == INPUT_SIZE == 128
    assert card["width"] in (16, 24, 32)
    assert len(card["mean"]) == 3 and len(card["std"]) == 3
    assert all(0.0 < s < 1.0 for s in card["std"])
    for key in ("data_seed", "n_train", "epochs", "train_seconds", "machine", "test_accuracy"):
        assert key in card, key
    assert card["switch_effects"]["all_skip_off_accuracy"] < card["test_accuracy"]
    assert json.loads(CARD_PATH.read_text(encoding="utf-8")) == card


def test_model_is_a_torchvision_resnet18_layout_of_basic_blocks(
    loaded: tuple[ResNet, dict],
) -> None:
    model, card = loaded
    assert isinstance(model, ResNet)
    assert type(model).forward is ResNet.forward
    assert not model.training
    reference = torchvision.models.resnet18(num_classes=len(card["classes"]))
    names = [name for name, _ in model.named_modules()]
    assert names == [name for name, _ in reference.named_modules()]
    blocks = [m for m in model.modules() if isinstance(m, BasicBlock)]
    assert len(blocks) == 8
    assert block_names(model) == [f"layer{s}.{b}" for s in range(1, 5) for b in range(2)]
    # Same tensors as resnet18's, with every stage width 64/128/256/512 scaled to w/2w/4w/8w.
    scale = 64 // card["width"]
    for (name, p), (ref_name, ref) in zip(
        model.state_dict().items(), reference.state_dict().items(), strict=True
    ):
        assert name == ref_name
        expected = [n // scale if n in (64, 128, 256, 512) else n for n in ref.shape]
        assert list(p.shape) == expected, name


def test_layer4_maps_are_4x4_at_the_input_size(loaded: tuple[ResNet, dict]) -> None:
    model, card = loaded
    seen: list[torch.Size] = []

    def record(module: torch.nn.Module, args: tuple, output: torch.Tensor) -> None:
        seen.append(output.shape)

    handle = model.layer4.register_forward_hook(record)
    try:
        with torch.no_grad():
            logits = model(torch.zeros(2, 3, INPUT_SIZE, INPUT_SIZE))
    finally:
        handle.remove()
    assert seen == [(2, 8 * card["width"], 4, 4)]
    assert logits.shape == (2, len(card["classes"]))


def test_loading_is_strict(tmp_path: Path, loaded: tuple[ResNet, dict]) -> None:
    state = torch.load(WEIGHTS_PATH, map_location="cpu", weights_only=True)
    del state["fc.bias"]
    broken = tmp_path / "broken.pt"
    torch.save(state, broken)
    with pytest.raises(RuntimeError, match=r"fc\.bias"):
        load_embedded(broken, CARD_PATH)


@pytest.mark.parametrize(
    ("num_classes", "width", "match"), [(1, 16, "num_classes"), (10, 0, "width")]
)
def test_builder_rejects_bad_arguments(num_classes: int, width: int, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        build_embedded_resnet(num_classes, width)


def test_accuracy_on_unseen_shapes(
    loaded: tuple[ResNet, dict],
    test_set: tuple[np.ndarray, np.ndarray],
    intact_predictions: np.ndarray,
) -> None:
    _, card = loaded
    labels = test_set[1]
    assert len(labels) == N_TEST
    accuracy = float((intact_predictions == labels).mean())
    assert accuracy >= 0.97
    assert accuracy == pytest.approx(card["test_accuracy"], abs=0.002)


def test_every_class_is_recognised(
    loaded: tuple[ResNet, dict],
    test_set: tuple[np.ndarray, np.ndarray],
    intact_predictions: np.ndarray,
) -> None:
    _, card = loaded
    labels = test_set[1]
    for c in range(len(card["classes"])):
        mask = labels == c
        assert mask.sum() >= 100
        assert (intact_predictions[mask] == c).mean() >= 0.95, card["classes"][c]


def test_grad_cam_peak_falls_on_the_labelled_shape(loaded: tuple[ResNet, dict]) -> None:
    """Captum Grad-CAM of the true class at layer4, upsampled bilinearly to 128x128: its peak
    lies in the labelled shape's box, not on a distractor, for >= 85% of distractor images."""
    model, card = loaded
    images, labels, boxes, has = shapes.generate_batch(CAM_SEED, N_CAM, distractor_rate=1.0)
    assert has.all()
    cam = LayerGradCam(model, model.layer4)
    hits = 0
    for start in range(0, N_CAM, 100):
        x = to_input(images[start : start + 100], card)
        target = torch.from_numpy(labels[start : start + 100])
        attr = cam.attribute(x, target=target, relu_attributions=True)
        up = LayerAttribution.interpolate(attr.detach(), (INPUT_SIZE, INPUT_SIZE), "bilinear")
        flat = up.reshape(len(x), -1).argmax(1).numpy()
        px, py = flat % INPUT_SIZE, flat // INPUT_SIZE
        x0, y0, x1, y1 = boxes[start : start + 100].T
        hits += int(((px >= x0) & (px < x1) & (py >= y0) & (py < y1)).sum())
    rate = hits / N_CAM
    assert rate >= 0.85
    assert rate == pytest.approx(card["gradcam_localisation"], abs=0.01)


def test_switching_every_skip_off_collapses_accuracy(
    loaded: tuple[ResNet, dict], test_set: tuple[np.ndarray, np.ndarray]
) -> None:
    model, card = loaded
    images, labels = test_set
    modes = dict.fromkeys(block_names(model), SKIP_OFF)
    accuracy = float((predict(model, images[:1000], card, modes) == labels[:1000]).mean())
    assert accuracy <= 3.0 / len(card["classes"])


@pytest.mark.parametrize(
    ("block", "low", "high"),
    [
        ("layer2.0", 0.5, 0.85),
        ("layer2.1", 0.9, 1.0),
        ("layer3.1", 0.93, 1.0),
        ("layer4.1", 0.95, 1.0),
    ],
)
def test_removing_one_residual_branch_matches_the_card(
    loaded: tuple[ResNet, dict],
    test_set: tuple[np.ndarray, np.ndarray],
    block: str,
    low: float,
    high: float,
) -> None:
    """Veit et al. 2016 lesion, one block at a time: deleting the residual branch of an
    ordinary block costs little, deleting that of the first projection block (layer2.0) costs
    most; the card records the same numbers (on 2,000 images; here the first 1,000)."""
    model, card = loaded
    images, labels = test_set[0][:1000], test_set[1][:1000]
    accuracy = float((predict(model, images, card, {block: BRANCH_OFF}) == labels).mean())
    assert low <= accuracy <= high
    recorded = card["switch_effects"]["branch_off_accuracy"][block]
    assert accuracy == pytest.approx(recorded, abs=0.03)


def test_example_images_are_classified_correctly(loaded: tuple[ResNet, dict]) -> None:
    model, card = loaded
    paths = sorted(EXAMPLES.glob("shapes_*.png"))
    assert len(paths) >= 6
    images = np.stack([np.asarray(Image.open(p).convert("RGB")) for p in paths])
    assert images.shape[1:] == (INPUT_SIZE, INPUT_SIZE, 3)
    predicted = predict(model, images, card)
    names = [p.stem.removeprefix("shapes_") for p in paths]
    assert [card["classes"][k] for k in predicted] == names
