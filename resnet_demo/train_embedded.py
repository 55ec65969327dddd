"""Train the embedded model on synthetic shapes and write its weights and model card.

    python -m resnet_demo.train_embedded [--seed S] [--epochs E] [--out DIR]

The run is a function of its configuration: the data set is generated from the seed
(``resnet_demo.shapes``: training images use shape seeds ``S * 1_000_000 + i``, always below
``shapes.TEST_SEED_START``), torch is seeded with ``S``, and the batch order and augmentation
come from a seeded ``torch.Generator``. With the default configuration on a 2-core CPU it
reproduces ``assets/embedded_resnet.pt``; the card records whether that held bit for bit.

After training the script measures, on images from the test namespace that training never saw:

- top-1 accuracy on ``n_test`` images;
- Grad-CAM localisation: on ``n_cam`` images with distractors, how often the peak of the true
  class's Grad-CAM at ``layer4`` (Captum ``LayerGradCam``, ``relu_attributions=True``, upsampled
  bilinearly to the input size) falls inside the labelled shape's box;
- switch effects (``resnet_demo.switches``): accuracy with every skip connection off
  (``no-skip`` everywhere), and with each single residual branch removed (``no-residual``, the
  block-deletion lesion of Veit et al. 2016), block by block.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from captum.attr import LayerAttribution, LayerGradCam
from PIL import Image
from torch import nn
from tqdm import tqdm

from resnet_demo import shapes
from resnet_demo.models.embedded import CARD_PATH, INPUT_SIZE, WEIGHTS_PATH, build_embedded_resnet
from resnet_demo.switches import (
    NO_RESIDUAL,
    NO_SKIP,
    block_names,
    forward_with_modes,
    residual_branch,
    shortcut,
)

SEEDS_PER_RUN = 1_000_000
"""Training shape seeds of run ``S`` are ``S * SEEDS_PER_RUN + i``; ``S`` must keep them
below ``shapes.TEST_SEED_START``."""
TEST_SEED = shapes.TEST_SEED_START
"""First shape seed of the accuracy and switch test set."""
CAM_SEED = shapes.TEST_SEED_START + 500_000
"""First shape seed of the Grad-CAM localisation set (distractors in every image)."""
EXAMPLE_SEED = shapes.TEST_SEED_START + 900_000
"""First shape seed searched for the example images."""
EXAMPLE_CLASSES = ("star", "heart", "arrow", "crescent", "ring", "hexagon")
"""Classes of the example images ``assets/examples/shapes_<class>.png``; every other one has
distractors."""
REPRODUCTION = (
    "Deterministic: the same command with the same config, torch version and thread count "
    "gives the same state_sha256 on the same kind of CPU (checked by running the default "
    "command twice on the machine named above). Other thread counts or CPUs may give slightly "
    "different weights (not bit-exact); their quality was not re-measured."
)


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines the shipped weights.

    Attributes:
        seed: Data and torch seed (0..9).
        n_train: Training images, generated once and kept as uint8.
        epochs: Passes over the training images.
        full_res_epochs: How many of the last epochs train at full size (128 px).
        mid_res_epochs: How many epochs before those train at ``mid_res``.
        low_res: Image side (area-downsampled) of the remaining, earliest epochs.
        mid_res: Image side of the middle epochs.
        width: Channels of the first stage of the narrow ResNet-18.
        batch_size: Images per optimizer step (the last partial batch of an epoch is dropped).
        lr: Peak learning rate of the one-cycle schedule (AdamW).
        warmup: Share of the steps spent raising the learning rate to its peak.
        weight_decay: AdamW decoupled weight decay.
        label_smoothing: Cross-entropy label smoothing.
        distractor_rate: Share of training images with distractors.
        threads: torch CPU threads. 1 for the reference run: the bits of the result depend on
            the thread count, and one thread is both portable and fastest on a shared CPU.
        n_test: Test images for accuracy and switch effects.
        n_cam: Test images with distractors for Grad-CAM localisation.
        stochastic_depth: Drop probability of the last block's residual branch during
            training (Huang et al. 2016, linear decay: block i of L drops with p * i / L);
            0 turns it off.
    """

    seed: int = 0
    n_train: int = 24_000
    epochs: int = 14
    full_res_epochs: int = 4
    mid_res_epochs: int = 3
    low_res: int = 64
    mid_res: int = 96
    width: int = 16
    batch_size: int = 64
    lr: float = 2e-3
    warmup: float = 0.2
    weight_decay: float = 5e-4
    label_smoothing: float = 0.05
    distractor_rate: float = 0.5
    threads: int = 1
    n_test: int = 2000
    n_cam: int = 500
    stochastic_depth: float = 0.5


@dataclass(frozen=True)
class Evaluation:
    """Quality of a trained model on unseen images (all rates in [0, 1]).

    Attributes:
        test_accuracy: Top-1 accuracy, intact model.
        gradcam_localisation: Share of distractor images whose true-class Grad-CAM peak lies
            in the labelled shape's box.
        all_no_skip_accuracy: Top-1 accuracy with every block ``no-skip``.
        no_residual_accuracy: Block name -> top-1 accuracy with that block ``no-residual``.
        downsampling_blocks: Blocks with a projection shortcut (stride 2, more channels).
    """

    test_accuracy: float
    gradcam_localisation: float
    all_no_skip_accuracy: float
    no_residual_accuracy: dict[str, float]
    downsampling_blocks: tuple[str, ...]


def normalise(images: np.ndarray, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    """Turn RGB uint8 images into model input.

    Args:
        images: uint8 ``(N, H, W, 3)``.
        mean: float32 ``(3,)`` per-channel mean for pixels in [0, 1].
        std: float32 ``(3,)`` per-channel standard deviation.

    Returns:
        float32 ``(N, 3, H, W)`` in channels-last memory format (a new tensor).
    """
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float().div_(255.0)
    return x.sub_(mean.view(1, 3, 1, 1)).div_(std.view(1, 3, 1, 1))


def channel_stats(images: np.ndarray, chunk: int = 2000) -> tuple[list[float], list[float]]:
    """Per-channel mean and standard deviation of uint8 ``(N, H, W, 3)`` images, in [0, 1]
    pixel units, rounded to 4 decimals (float64 sums, chunked to bound memory)."""
    total = np.zeros(3)
    total_sq = np.zeros(3)
    count = 0
    for start in range(0, len(images), chunk):
        part = images[start : start + chunk].reshape(-1, 3).astype(np.float64) / 255.0
        total += part.sum(axis=0)
        total_sq += (part * part).sum(axis=0)
        count += part.shape[0]
    mean = total / count
    std = np.sqrt(total_sq / count - mean * mean)
    return [round(float(v), 4) for v in mean], [round(float(v), 4) for v in std]


def augment(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Apply one random symmetry of the square (flips and transpose; 8 in all) to a batch.

    Every class is still itself after it, as shapes are drawn at any angle. One symmetry per
    batch rather than per image keeps it to a single copy (batches are shuffled anyway).

    Args:
        x: float32 ``(N, 3, H, W)`` with ``H == W``.
        generator: Source of the random choice.

    Returns:
        A new float32 ``(N, 3, H, W)`` tensor in channels-last memory format.
    """
    code = int(torch.randint(8, (1,), generator=generator))
    if code & 1:
        x = x.flip(3)
    if code & 2:
        x = x.flip(2)
    if code & 4:
        x = x.transpose(2, 3)
    return x.contiguous(memory_format=torch.channels_last)


def predict(
    model: nn.Module,
    images: np.ndarray,
    mean: torch.Tensor,
    std: torch.Tensor,
    modes: dict[str, str] | None = None,
    batch_size: int = 250,
) -> np.ndarray:
    """Top-1 class of each image, int64 ``(N,)``, with optional block modes."""
    out = []
    with torch.no_grad():
        for start in range(0, len(images), batch_size):
            x = normalise(images[start : start + batch_size], mean, std)
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
    """Peak of the true class's Grad-CAM at ``layer4`` for each image.

    Captum ``LayerGradCam(model, model.layer4)`` with ``relu_attributions=True``, upsampled
    bilinearly (Captum's ``LayerAttribution.interpolate``) to the image size; the peak is the
    first pixel of maximal value in row-major order.

    Returns:
        int64 ``(N, 2)`` as ``(x, y)`` pixel coordinates.
    """
    cam = LayerGradCam(model, model.layer4)
    size = images.shape[1]
    peaks = []
    for start in range(0, len(images), batch_size):
        x = normalise(images[start : start + batch_size], mean, std)
        target = torch.from_numpy(labels[start : start + batch_size])
        attr = cam.attribute(x, target=target, relu_attributions=True)
        up = LayerAttribution.interpolate(attr.detach(), (size, size), "bilinear")
        flat = up.reshape(up.shape[0], -1).argmax(1)
        peaks.append(torch.stack([flat % size, flat // size], 1))
    return torch.cat(peaks).numpy()


def evaluate(
    model: nn.Module, config: TrainConfig, mean: list[float], std: list[float]
) -> Evaluation:
    """Measure accuracy, Grad-CAM localisation and switch effects on unseen shape seeds."""
    model.eval()
    mean_t, std_t = torch.tensor(mean), torch.tensor(std)
    images, labels, _, _ = shapes.generate_batch(
        TEST_SEED, config.n_test, INPUT_SIZE, config.distractor_rate
    )
    accuracy = float((predict(model, images, mean_t, std_t) == labels).mean())

    cam_images, cam_labels, boxes, has = shapes.generate_batch(
        CAM_SEED, config.n_cam, INPUT_SIZE, distractor_rate=1.0
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
    no_skip = predict(model, images, mean_t, std_t, dict.fromkeys(names, NO_SKIP))
    no_residual = {
        name: float((predict(model, images, mean_t, std_t, {name: NO_RESIDUAL}) == labels).mean())
        for name in names
    }
    return Evaluation(
        test_accuracy=accuracy,
        gradcam_localisation=float(inside.mean()),
        all_no_skip_accuracy=float((no_skip == labels).mean()),
        no_residual_accuracy=no_residual,
        downsampling_blocks=tuple(
            name for name in names if model.get_submodule(name).downsample is not None
        ),
    )


def resize_all(images: np.ndarray, size: int, chunk: int = 1000) -> np.ndarray:
    """Area-downsample uint8 ``(N, H, W, 3)`` images to ``size`` x ``size`` (each output pixel
    the mean of the input pixels it covers, rounded); returns a new uint8 array."""
    out = np.empty((len(images), size, size, 3), dtype=np.uint8)
    for lo in range(0, len(images), chunk):
        x = torch.from_numpy(images[lo : lo + chunk]).permute(0, 3, 1, 2).float()
        small = F.adaptive_avg_pool2d(x, size).round_().clamp_(0, 255).to(torch.uint8)
        out[lo : lo + chunk] = small.permute(0, 2, 3, 1).numpy()
    return out


def resolution_schedule(config: TrainConfig) -> list[int]:
    """Image side of each epoch: ``full_res_epochs`` at the input size last, ``mid_res_epochs``
    at ``mid_res`` before them, the rest at ``low_res``."""
    full = min(config.full_res_epochs, config.epochs)
    mid = min(config.mid_res_epochs, config.epochs - full)
    low = config.epochs - full - mid
    return [config.low_res] * low + [config.mid_res] * mid + [INPUT_SIZE] * full


def stochastic_depth_forward(
    model: nn.Module, x: torch.Tensor, generator: torch.Generator, last_drop: float
) -> torch.Tensor:
    """Training forward pass with stochastic depth (Huang et al. 2016, "Deep Networks with
    Stochastic Depth").

    For each batch, block i of L (1-based) drops its residual branch, y = relu(shortcut(x)),
    with probability p_i = last_drop * i / L (their linear decay rule); a kept branch is scaled
    by 1 / (1 - p_i), so that at test time the plain torchvision forward is the expectation.
    Training this way makes the blocks behave like the ensemble of Veit et al. 2016: deleting
    one residual branch afterwards costs little, while switching a skip off still breaks the
    network, which is what the app's switches and lab teach.

    Args:
        model: the ResNet being trained (train mode).
        x: normalised batch (N, 3, H, W).
        generator: the run's seeded generator (one draw of L numbers per batch).
        last_drop: p_L, the drop probability of the last block.

    Returns:
        Logits (N, num_classes).
    """
    names = block_names(model)
    drops = torch.rand(len(names), generator=generator)
    x = model.maxpool(model.relu(model.bn1(model.conv1(x))))
    for i, name in enumerate(names):
        p = last_drop * (i + 1) / len(names)
        block = model.get_submodule(name)
        identity = shortcut(block, x)
        if drops[i] < p:
            x = torch.relu(identity)
        else:
            x = torch.relu(residual_branch(block, x) / (1.0 - p) + identity)
    return model.fc(torch.flatten(model.avgpool(x), 1))


def train(
    config: TrainConfig, images: np.ndarray, labels: np.ndarray, mean: list[float], std: list[float]
) -> nn.Module:
    """Train the narrow ResNet-18: AdamW, one-cycle learning rate, progressive resizing,
    stochastic depth (see `stochastic_depth_forward`).

    Early epochs see the images area-downsampled (64 px costs a quarter of 128 px; the
    network is fully convolutional up to its global average pool), later ones larger, the
    last ones at full size, so that the filters and batch-norm statistics end up tuned to the
    input size the app uses (progressive resizing; on the train/test resolution discrepancy
    see Touvron et al. 2019, "Fixing the train-test resolution discrepancy").

    Args:
        config: The run's configuration.
        images: uint8 ``(N, 128, 128, 3)`` training images.
        labels: int64 ``(N,)`` class indices.
        mean: Per-channel normalisation mean (pixels in [0, 1]).
        std: Per-channel normalisation standard deviation.

    Returns:
        The trained model, in eval mode, float32, contiguous memory format.
    """
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    model = build_embedded_resnet(len(shapes.CLASS_NAMES), config.width)
    model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=config.lr, weight_decay=config.weight_decay
    )
    steps_per_epoch = len(images) // config.batch_size
    total = config.epochs * steps_per_epoch
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=config.lr, total_steps=total, pct_start=config.warmup
    )
    mean_t, std_t = torch.tensor(mean), torch.tensor(std)
    labels_t = torch.from_numpy(labels)
    sizes = resolution_schedule(config)
    resized = {size: resize_all(images, size) for size in sorted(set(sizes)) if size != INPUT_SIZE}
    resized[INPUT_SIZE] = images
    model.train()
    progress = tqdm(total=total, desc="training", unit="batch")
    for epoch in range(config.epochs):
        data = resized[sizes[epoch]]
        order = torch.randperm(len(images), generator=generator).numpy()
        correct = seen = 0
        loss_sum = 0.0
        for step in range(steps_per_epoch):
            index = np.sort(order[step * config.batch_size : (step + 1) * config.batch_size])
            x = augment(normalise(data[index], mean_t, std_t), generator)
            y = labels_t[index]
            if config.stochastic_depth > 0:
                logits = stochastic_depth_forward(model, x, generator, config.stochastic_depth)
            else:
                logits = model(x)
            loss = F.cross_entropy(logits, y, label_smoothing=config.label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            correct += int((logits.argmax(1) == y).sum())
            seen += len(y)
            loss_sum += loss.item() * len(y)
            progress.update(1)
            progress.set_postfix(
                epoch=epoch + 1,
                px=data.shape[1],
                loss=f"{loss_sum / seen:.3f}",
                acc=f"{correct / seen:.3f}",
            )
    progress.close()
    model = model.to(memory_format=torch.contiguous_format)
    model.eval()
    return model


def _machine(threads: int) -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} CPU cores, torch threads {threads}, {platform.system()} "
        f"{platform.machine()}, Python {platform.python_version()}, torch {torch.__version__}"
    )


def build_card(
    config: TrainConfig,
    mean: list[float],
    std: list[float],
    train_seconds: float,
    data_seconds: float,
    evaluation: Evaluation,
    state_sha256: str,
) -> dict[str, Any]:
    """The model card: what the model is, how it was trained, and what it measures."""
    first = config.seed * SEEDS_PER_RUN
    return {
        "name": "embedded",
        "architecture": (
            f"torchvision ResNet, BasicBlock, layers [2, 2, 2, 2] (ResNet-18 layout), stage "
            f"widths {[config.width * k for k in (1, 2, 4, 8)]}"
        ),
        "classes": list(shapes.CLASS_NAMES),
        "classes_zh": list(shapes.CLASS_NAMES_ZH),
        "input_size": INPUT_SIZE,
        "width": config.width,
        "mean": mean,
        "std": std,
        "normalisation": (
            "pixels / 255, then (x - mean) / std per channel; mean and std of the training images"
        ),
        "command": (
            f"python -m resnet_demo.train_embedded --seed {config.seed} --epochs {config.epochs}"
        ),
        "data_seed": config.seed,
        "train_shape_seeds": [first, first + config.n_train],  # half-open range
        "n_train": config.n_train,
        "distractor_rate": config.distractor_rate,
        "epochs": config.epochs,
        "train_seconds": round(train_seconds, 1),
        "data_seconds": round(data_seconds, 1),
        "machine": _machine(config.threads),
        "config": asdict(config),
        "optimizer": "AdamW, one-cycle learning rate, cross-entropy with label smoothing",
        "stochastic_depth": (
            f"residual branches dropped during training with p = {config.stochastic_depth} * i / 8 "
            "for block i (Huang et al. 2016, linear decay), kept branches scaled by 1 / (1 - p)"
        ),
        "resolution_per_epoch": resolution_schedule(config),
        "augmentation": "one random symmetry of the square (flips, transpose) per batch",
        "test_shape_seeds": [TEST_SEED, TEST_SEED + config.n_test],
        "test_accuracy": round(evaluation.test_accuracy, 4),
        "gradcam_shape_seeds": [CAM_SEED, CAM_SEED + config.n_cam],
        "gradcam_localisation": round(evaluation.gradcam_localisation, 4),
        "gradcam_method": (
            "Captum LayerGradCam(model, model.layer4), relu_attributions=True, true class, "
            "bilinear upsampling to 128x128; hit if the peak pixel lies in the labelled shape's "
            "bbox; images with distractors only"
        ),
        "switch_effects": {
            "chance_accuracy": round(1.0 / len(shapes.CLASS_NAMES), 4),
            "intact_accuracy": round(evaluation.test_accuracy, 4),
            "all_no_skip_accuracy": round(evaluation.all_no_skip_accuracy, 4),
            "no_residual_accuracy": {
                k: round(v, 4) for k, v in evaluation.no_residual_accuracy.items()
            },
            "downsampling_blocks": list(evaluation.downsampling_blocks),
            "measured_with": (
                "resnet_demo.switches.forward_with_modes on the test images; no-skip: "
                "y = relu(F(x)) in every block (projections gone too); no-residual: "
                "y = relu(shortcut(x)) in one block (Veit et al. 2016)"
            ),
        },
        "state_sha256": state_sha256,
        "reproduction": REPRODUCTION,
    }


def run(config: TrainConfig, out_dir: Path | None) -> dict[str, Any]:
    """Generate the data, train, evaluate, and write ``embedded_resnet.pt`` and
    ``embedded_resnet.json`` to ``out_dir`` (default: the shipped paths in ``assets/``).

    Returns:
        The model card dict that was written.
    """
    if not 0 <= config.seed <= shapes.TEST_SEED_START // SEEDS_PER_RUN - 1:
        raise ValueError(f"seed must be in 0..{shapes.TEST_SEED_START // SEEDS_PER_RUN - 1}")
    if not 0 < config.n_train <= SEEDS_PER_RUN:
        raise ValueError(f"n_train must be in 1..{SEEDS_PER_RUN}")
    torch.set_num_threads(config.threads)
    weights_path = WEIGHTS_PATH if out_dir is None else out_dir / WEIGHTS_PATH.name
    card_path = CARD_PATH if out_dir is None else out_dir / CARD_PATH.name

    start = time.perf_counter()
    first = config.seed * SEEDS_PER_RUN
    images = np.empty((config.n_train, INPUT_SIZE, INPUT_SIZE, 3), dtype=np.uint8)
    labels = np.empty(config.n_train, dtype=np.int64)
    chunk = 1000
    for lo in tqdm(range(0, config.n_train, chunk), desc="generating shapes", unit="k images"):
        n = min(chunk, config.n_train - lo)
        images[lo : lo + n], labels[lo : lo + n], _, _ = shapes.generate_batch(
            first + lo, n, INPUT_SIZE, config.distractor_rate
        )
    mean, std = channel_stats(images)
    data_seconds = time.perf_counter() - start

    start = time.perf_counter()
    model = train(config, images, labels, mean, std)
    train_seconds = time.perf_counter() - start
    del images

    print("evaluating on unseen seeds ...", file=sys.stderr)
    evaluation = evaluate(model, config, mean, std)

    weights_path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    torch.save(state, weights_path)
    card = build_card(
        config, mean, std, train_seconds, data_seconds, evaluation, state_digest(state)
    )
    card_path.write_text(json.dumps(card, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    write_examples(model, mean, std, weights_path.parent / "examples")
    summary = ("train_seconds", "test_accuracy", "gradcam_localisation", "switch_effects")
    print(json.dumps({k: card[k] for k in summary}, indent=2))
    return card


def state_digest(state: dict[str, torch.Tensor]) -> str:
    """SHA-256 over the names, dtypes, shapes and bytes of a state_dict's tensors (independent
    of how the file was written)."""
    digest = hashlib.sha256()
    for name, tensor in state.items():
        digest.update(f"{name}:{tensor.dtype}:{tuple(tensor.shape)}".encode())
        digest.update(tensor.detach().contiguous().numpy().tobytes())
    return digest.hexdigest()


def write_examples(
    model: nn.Module, mean: list[float], std: list[float], out_dir: Path
) -> list[Path]:
    """Save one correctly classified test-namespace image per class in ``EXAMPLE_CLASSES`` as
    ``out_dir/shapes_<class>.png`` (128 px RGB); every other one has distractors.

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


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    defaults = TrainConfig()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=defaults.seed, help="data and torch seed, 0..9")
    parser.add_argument("--epochs", type=int, default=defaults.epochs)
    parser.add_argument("--n-train", type=int, default=defaults.n_train)
    parser.add_argument("--width", type=int, default=defaults.width)
    parser.add_argument("--threads", type=int, default=defaults.threads)
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: assets/)")
    args = parser.parse_args(argv)
    config = TrainConfig(
        seed=args.seed,
        epochs=args.epochs,
        n_train=args.n_train,
        width=args.width,
        threads=args.threads,
    )
    run(config, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
