"""Train the embedded model on synthetic shapes and write its weights and model card.

    .venv/bin/python -m training.train_embedded [--seed S] [--epochs E] [--out DIR]

The run is a function of its configuration: the data set is generated from the seed
(`resnet_demo.shapes`: training images use shape seeds `S * 1_000_000 + i`, always below
`shapes.TEST_SEED_START`), torch is seeded with `S`, and the batch order and augmentation
come from a seeded `torch.Generator`. Stochastic depth now comes from
`torchvision.ops.StochasticDepth` (see `training.stochastic_depth`), which draws from torch's
global generator: the run is still deterministic, but it no longer reproduces the shipped
`assets/embedded_resnet.pt` bit for bit (that file was trained by the hand-written version,
`python -m resnet_demo.train_embedded` at commit 73a09cd); the card records the digest of
whatever this run writes.

After training, `training.evaluation` measures the model on shapes training never saw
(accuracy, Grad-CAM localisation, switch effects) and writes the example pictures.
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
from torch import nn
from tqdm import tqdm

from resnet_demo import shapes
from resnet_demo.models.embedded import CARD_PATH, INPUT_SIZE, WEIGHTS_PATH, build_embedded_resnet
from resnet_demo.models.preprocessing import normalise
from training.data import augment, channel_stats, generate, resize_all
from training.evaluation import CAM_SEED, TEST_SEED, Evaluation, evaluate, write_examples
from training.stochastic_depth import StochasticDepthResNet

SEEDS_PER_RUN = 1_000_000
"""Training shape seeds of run `S` are `S * SEEDS_PER_RUN + i`; `S` must keep them
below `shapes.TEST_SEED_START`."""
NO_SD_WEIGHTS_NAME = "embedded_no_sd_resnet.pt"
NO_SD_CARD_NAME = "embedded_no_sd_resnet.json"
"""Files of `embedded-no-sd`: the same recipe with `--stochastic-depth 0`."""
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
        mid_res_epochs: How many epochs before those train at `mid_res`.
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


def resolution_schedule(config: TrainConfig) -> list[int]:
    """Image side of each epoch: `full_res_epochs` at the input size last, `mid_res_epochs`
    at `mid_res` before them, the rest at `low_res`."""
    full = min(config.full_res_epochs, config.epochs)
    mid = min(config.mid_res_epochs, config.epochs - full)
    low = config.epochs - full - mid
    return [config.low_res] * low + [config.mid_res] * mid + [INPUT_SIZE] * full


def train(
    config: TrainConfig, images: np.ndarray, labels: np.ndarray, mean: list[float], std: list[float]
) -> nn.Module:
    """Train the narrow ResNet-18: AdamW, one-cycle learning rate, progressive resizing,
    stochastic depth (see `training.stochastic_depth`).

    Early epochs see the images area-downsampled (64 px costs a quarter of 128 px; the
    network is fully convolutional up to its global average pool), later ones larger, the
    last ones at full size, so that the filters and batch-norm statistics end up tuned to the
    input size the app uses (progressive resizing; on the train/test resolution discrepancy
    see Touvron et al. 2019, "Fixing the train-test resolution discrepancy").

    Args:
        config: The run's configuration.
        images: uint8 `(N, 128, 128, 3)` training images.
        labels: int64 `(N,)` class indices.
        mean: Per-channel normalisation mean (pixels in [0, 1]).
        std: Per-channel normalisation standard deviation.

    Returns:
        The trained model, in eval mode, float32, contiguous memory format.
    """
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    model = build_embedded_resnet(len(shapes.CLASS_NAMES), config.width)
    model = model.to(memory_format=torch.channels_last)
    net = (
        StochasticDepthResNet(model, config.stochastic_depth) if config.stochastic_depth else model
    )
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=config.lr, weight_decay=config.weight_decay
    )
    steps_per_epoch = len(images) // config.batch_size
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer,
        max_lr=config.lr,
        total_steps=config.epochs * steps_per_epoch,
        pct_start=config.warmup,
    )
    sizes = resolution_schedule(config)
    resized = {size: resize_all(images, size) for size in sorted(set(sizes)) if size != INPUT_SIZE}
    resized[INPUT_SIZE] = images
    net.train()
    progress = tqdm(total=config.epochs * steps_per_epoch, desc="training", unit="batch")
    for epoch in range(config.epochs):
        order = torch.randperm(len(images), generator=generator).numpy()
        batches = [
            np.sort(order[step * config.batch_size : (step + 1) * config.batch_size])
            for step in range(steps_per_epoch)
        ]
        _epoch(
            net,
            (optimizer, schedule),
            resized[sizes[epoch]],
            labels,
            batches,
            config,
            (mean, std),
            generator,
            progress,
            epoch,
        )
    progress.close()
    model = model.to(memory_format=torch.contiguous_format)
    model.eval()
    return model


def _epoch(
    net: nn.Module,
    optimisers: tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler],
    data: np.ndarray,
    labels: np.ndarray,
    batches: list[np.ndarray],
    config: TrainConfig,
    stats: tuple[list[float], list[float]],
    generator: torch.Generator,
    progress: tqdm,
    epoch: int,
) -> None:
    """One pass over `batches` (sorted int64 index arrays into `data`, uint8 (N, s, s, 3))."""
    optimizer, schedule = optimisers
    labels_t = torch.from_numpy(labels)
    correct = seen = 0
    loss_sum = 0.0
    for index in batches:
        x = augment(normalise(data[index], *stats, channels_first=False), generator)
        y = labels_t[index]
        logits = net(x)
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
        "name": "embedded" if config.stochastic_depth else "embedded-no-sd",
        "architecture": (
            f"torchvision ResNet, BasicBlock, layers [2, 2, 2, 2] (ResNet-18 layout), stage "
            f"widths {[config.width * k for k in (1, 2, 4, 8)]}"
        ),
        "classes": list(shapes.CLASS_NAMES),
        "classes_zh": list(shapes.class_names_in("zh")),
        "input_size": INPUT_SIZE,
        "width": config.width,
        "mean": mean,
        "std": std,
        "normalisation": (
            "pixels / 255, then (x - mean) / std per channel; mean and std of the training images"
        ),
        "command": (
            f"python -m training.train_embedded --seed {config.seed} --epochs {config.epochs}"
            + ("" if config.stochastic_depth else " --stochastic-depth 0")
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
            if config.stochastic_depth
            else "none: no stochastic depth and no block dropping of any kind"
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
            "all_skip_off_accuracy": round(evaluation.all_skip_off_accuracy, 4),
            "branch_off_accuracy": {
                k: round(v, 4) for k, v in evaluation.branch_off_accuracy.items()
            },
            "downsampling_blocks": list(evaluation.downsampling_blocks),
            "measured_with": (
                "resnet_demo.switches.forward_with_modes on the test images; skip-off: "
                "y = relu(F(x)) in every block (projections gone too); branch-off: "
                "y = relu(shortcut(x)) in one block (Veit et al. 2016)"
            ),
        },
        "state_sha256": state_sha256,
        "reproduction": REPRODUCTION,
    }


def run(config: TrainConfig, out_dir: Path | None) -> dict[str, Any]:
    """Generate the data, train, evaluate, and write `embedded_resnet.pt` and
    `embedded_resnet.json` to `out_dir` (default: the shipped paths in `assets/`).

    Returns:
        The model card dict that was written.
    """
    if not 0 <= config.seed <= shapes.TEST_SEED_START // SEEDS_PER_RUN - 1:
        raise ValueError(f"seed must be in 0..{shapes.TEST_SEED_START // SEEDS_PER_RUN - 1}")
    if not 0 < config.n_train <= SEEDS_PER_RUN:
        raise ValueError(f"n_train must be in 1..{SEEDS_PER_RUN}")
    torch.set_num_threads(config.threads)
    weights_name, card_name = WEIGHTS_PATH.name, CARD_PATH.name
    if not config.stochastic_depth:  # embedded-no-sd ships beside embedded, under its own name
        weights_name, card_name = NO_SD_WEIGHTS_NAME, NO_SD_CARD_NAME
    folder = WEIGHTS_PATH.parent if out_dir is None else out_dir
    weights_path, card_path = folder / weights_name, folder / card_name

    start = time.perf_counter()
    images, labels = generate(config.seed * SEEDS_PER_RUN, config.n_train, config.distractor_rate)
    mean, std = channel_stats(images)
    data_seconds = time.perf_counter() - start

    start = time.perf_counter()
    model = train(config, images, labels, mean, std)
    train_seconds = time.perf_counter() - start
    del images

    print("evaluating on unseen seeds ...", file=sys.stderr)
    evaluation = evaluate(model, mean, std, config.n_test, config.n_cam, config.distractor_rate)

    weights_path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    torch.save(state, weights_path)
    card = build_card(
        config, mean, std, train_seconds, data_seconds, evaluation, state_digest(state)
    )
    card_path.write_text(json.dumps(card, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if config.stochastic_depth:  # the example pictures belong to the app's default model
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


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    defaults = TrainConfig()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=defaults.seed, help="data and torch seed, 0..9")
    parser.add_argument("--epochs", type=int, default=defaults.epochs)
    parser.add_argument("--n-train", type=int, default=defaults.n_train)
    parser.add_argument("--width", type=int, default=defaults.width)
    parser.add_argument("--threads", type=int, default=defaults.threads)
    parser.add_argument(
        "--stochastic-depth",
        type=float,
        default=defaults.stochastic_depth,
        help="drop probability of the last block's branch (0: none; embedded-no-sd)",
    )
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: assets/)")
    args = parser.parse_args(argv)
    config = TrainConfig(
        seed=args.seed,
        epochs=args.epochs,
        n_train=args.n_train,
        width=args.width,
        threads=args.threads,
        stochastic_depth=args.stochastic_depth,
    )
    run(config, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
