"""What the trained embedded model measures on shapes it never saw, and its example pictures.

- top-1 accuracy on `n_test` images;
- Grad-CAM localisation: on `n_cam` images with distractors, how often the peak of the true
  class's Grad-CAM at `layer4` (Captum `LayerGradCam`, `relu_attributions=True`, upsampled
  bilinearly to the input size) falls inside the labelled shape's box;
- switch effects (`resnet_demo.switches`): accuracy with every skip connection off
  (`skip-off` everywhere), and with each single residual branch removed (`branch-off`, the
  block-deletion lesion of Veit et al. 2016), block by block.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from captum.attr import LayerAttribution, LayerGradCam
from PIL import Image
from torch import nn

from resnet_demo import shapes
from resnet_demo.models.embedded import INPUT_SIZE
from resnet_demo.models.preprocessing import normalise
from resnet_demo.switches import BRANCH_OFF, SKIP_OFF, block_names, forward_with_modes

TEST_SEED = shapes.TEST_SEED_START
"""First shape seed of the accuracy and switch test set."""
CAM_SEED = shapes.TEST_SEED_START + 500_000
"""First shape seed of the Grad-CAM localisation set (distractors in every image)."""
EXAMPLE_SEED = shapes.TEST_SEED_START + 900_000
"""First shape seed searched for the example images."""
EXAMPLE_CLASSES = ("star", "heart", "arrow", "crescent", "ring", "hexagon")
"""Classes of the example images `assets/examples/shapes_<class>.png`; every other one has
distractors."""


@dataclass(frozen=True)
class Evaluation:
    """Quality of a trained model on unseen images (all rates in [0, 1]).

    Attributes:
        test_accuracy: Top-1 accuracy, intact model.
        gradcam_localisation: Share of distractor images whose true-class Grad-CAM peak lies
            in the labelled shape's box.
        all_skip_off_accuracy: Top-1 accuracy with every block `skip-off`.
        branch_off_accuracy: Block name -> top-1 accuracy with that block `branch-off`.
        downsampling_blocks: Blocks with a projection shortcut (stride 2, more channels).
    """

    test_accuracy: float
    gradcam_localisation: float
    all_skip_off_accuracy: float
    branch_off_accuracy: dict[str, float]
    downsampling_blocks: tuple[str, ...]


def predict(
    model: nn.Module,
    images: np.ndarray,
    mean: torch.Tensor,
    std: torch.Tensor,
    modes: dict[str, str] | None = None,
    batch_size: int = 250,
) -> np.ndarray:
    """Top-1 class of each image, int64 `(N,)`, with optional block modes."""
    out = []
    with torch.no_grad():
        for start in range(0, len(images), batch_size):
            x = normalise(images[start : start + batch_size], mean, std, channels_first=False)
            logits = forward_with_modes(model, x, modes) if modes else model(x)
            out.append(logits.argmax(1))
    return torch.cat(out).numpy()


def cam_peaks(
    model: nn.Module,
    images: np.ndarray,
    labels: np.ndarray,
    mean: torch.Tensor,
    std: torch.Tensor,
    batch_size: int = 100,
) -> np.ndarray:
    """Peak of the true class's Grad-CAM at `layer4` for each image.

    Captum `LayerGradCam(model, model.layer4)` with `relu_attributions=True`, upsampled
    bilinearly (Captum's `LayerAttribution.interpolate`) to the image size; the peak is the
    first pixel of maximal value in row-major order.

    Returns:
        int64 `(N, 2)` as `(x, y)` pixel coordinates.
    """
    cam = LayerGradCam(model, model.layer4)
    size = images.shape[1]
    peaks = []
    for start in range(0, len(images), batch_size):
        x = normalise(images[start : start + batch_size], mean, std, channels_first=False)
        target = torch.from_numpy(labels[start : start + batch_size])
        attr = cam.attribute(x, target=target, relu_attributions=True)
        up = LayerAttribution.interpolate(attr.detach(), (size, size), "bilinear")
        flat = up.reshape(up.shape[0], -1).argmax(1)
        peaks.append(torch.stack([flat % size, flat // size], 1))
    return torch.cat(peaks).numpy()


def evaluate(
    model: nn.Module,
    mean: list[float],
    std: list[float],
    n_test: int,
    n_cam: int,
    distractor_rate: float,
) -> Evaluation:
    """Measure accuracy, Grad-CAM localisation and switch effects on unseen shape seeds.

    Args:
        model: the trained network (put in eval mode).
        mean, std: its normalisation (3 floats each, pixels in [0, 1]).
        n_test: test images for accuracy and switch effects.
        n_cam: images with distractors for Grad-CAM localisation.
        distractor_rate: share of test images with distractors.
    """
    model.eval()
    mean_t, std_t = torch.tensor(mean), torch.tensor(std)
    images, labels, _, _ = shapes.generate_batch(TEST_SEED, n_test, INPUT_SIZE, distractor_rate)
    accuracy = float((predict(model, images, mean_t, std_t) == labels).mean())

    cam_images, cam_labels, boxes, has = shapes.generate_batch(
        CAM_SEED, n_cam, INPUT_SIZE, distractor_rate=1.0
    )
    if not has.all():
        raise RuntimeError("a localisation image lacks distractors; change CAM_SEED")
    peaks = cam_peaks(model, cam_images, cam_labels, mean_t, std_t)
    inside = (
        (peaks[:, 0] >= boxes[:, 0])
        & (peaks[:, 0] < boxes[:, 2])
        & (peaks[:, 1] >= boxes[:, 1])
        & (peaks[:, 1] < boxes[:, 3])
    )

    names = block_names(model)
    skip_off = predict(model, images, mean_t, std_t, dict.fromkeys(names, SKIP_OFF))
    branch_off = {
        name: float((predict(model, images, mean_t, std_t, {name: BRANCH_OFF}) == labels).mean())
        for name in names
    }
    return Evaluation(
        test_accuracy=accuracy,
        gradcam_localisation=float(inside.mean()),
        all_skip_off_accuracy=float((skip_off == labels).mean()),
        branch_off_accuracy=branch_off,
        downsampling_blocks=tuple(
            name for name in names if model.get_submodule(name).downsample is not None
        ),
    )


def write_examples(
    model: nn.Module, mean: list[float], std: list[float], out_dir: Path
) -> list[Path]:
    """Save one correctly classified test-namespace image per class in `EXAMPLE_CLASSES` as
    `out_dir/shapes_<class>.png` (128 px RGB); every other one has distractors.

    Returns:
        The paths written.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    mean_t, std_t = torch.tensor(mean), torch.tensor(std)
    paths = []
    seed = EXAMPLE_SEED
    for k, name in enumerate(EXAMPLE_CLASSES):
        label = shapes.CLASS_NAMES.index(name)
        rate = 1.0 if k % 2 == 0 else 0.0
        while True:
            sample = shapes.generate_sample(seed, INPUT_SIZE, rate)
            seed += 1
            if sample.label != label:
                continue
            if int(predict(model, sample.image[None], mean_t, std_t)[0]) == label:
                break
        path = out_dir / f"shapes_{name}.png"
        Image.fromarray(sample.image).save(path, optimize=True)
        paths.append(path)
    return paths
