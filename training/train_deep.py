"""Train `embedded-deep`: a 27-block narrow torchvision ResNet, plainly, for a wall-clock budget.

    .venv/bin/python -m training.train_deep [--minutes 60] [--out DIR]

The model is `NarrowResNet(BasicBlock, [7, 7, 7, 6], width=16)` (stage widths 16/32/64/128)
with `conv1` replaced by a 3x3 stride-1 convolution and `maxpool` by `nn.Identity()`: a
ResNet-56-like network (27 residual blocks) in torchvision form, so every switch, Grad-CAM and
strip of the app works on it unchanged. Input: 32 px shapes (`resnet_demo.shapes`, seeds
`0 .. n_train - 1`, all below `shapes.TEST_SEED_START`; 80,000 by default: a run on 16,000
overfitted them, 98 % on its training batches but 93.5 % on fresh shapes), normalised with the
training images' own channel mean and std, random horizontal flips. AdamW (lr 2e-3, weight decay
5e-4), batch 64, cross-entropy; the learning rate rises linearly from 0 over the first 10 % of the
wall-clock budget, then decays along a cosine to 0 (without the warm-up, two runs stayed at
chance for their first 200-750 steps). No stochastic depth and no block dropping of any kind.

A progress line goes to stdout about every 30 s; a checkpoint is written every 5 minutes to
`<work>/embedded_deep_resnet.ckpt.pt` (removed when the run ends). The final weights go to
`<out>/embedded_deep_resnet.pt` (float16 when float32 would exceed 5 MB; loading converts
to float32) and the training half of the model card to `<out>/embedded_deep_resnet.json`;
`python -m training.measure_deep` adds the measurements afterwards.

Threads: 1 by default. On the shared 2-core machine (other jobs using the cores), one training
step took 0.75-8 s with 2 threads (OpenMP threads waiting on a busy core; 1.2-4.6 s with
`OMP_WAIT_POLICY=PASSIVE`) against a steady 1.0-1.3 s with 1 thread, so 1 thread does more
steps in the same budget there. `--threads 2` is faster on an idle machine.

Because the budget is wall-clock time, the number of steps (and so the bits of the weights)
depends on the machine and its load; the card records the steps done.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models.resnet import ResNet

from resnet_demo import shapes
from resnet_demo.models.embedded import SMALL_STEM, build_narrow_resnet
from resnet_demo.models.preprocessing import normalise
from training.data import channel_stats, generate
from training.train_embedded import _machine, state_digest

NAME = "embedded-deep"
LAYERS: tuple[int, ...] = (7, 7, 7, 6)
"""Blocks per stage: 27 residual blocks."""
WIDTH = 16
"""Channels of the stem and layer1; stages are (16, 32, 64, 128)."""
INPUT_SIZE = 32
"""Side of the square RGB input in pixels; layer4 maps are 4x4."""
ASSETS = Path(__file__).resolve().parents[1] / "assets"
WEIGHTS_NAME = "embedded_deep_resnet.pt"
CARD_NAME = "embedded_deep_resnet.json"
CHECKPOINT_NAME = "embedded_deep_resnet.ckpt.pt"
DEFAULT_WORK = Path(__file__).resolve().parents[1] / "out" / "deep"
MAX_FLOAT32_BYTES = 5_000_000
"""Above this many bytes of float32 tensors the weights are stored as float16."""
LOG_SECONDS = 30.0
CHECKPOINT_SECONDS = 300.0


@dataclass(frozen=True)
class DeepConfig:
    """Everything that determines the run (besides the machine's speed).

    Attributes:
        minutes: Wall-clock training budget; the cosine schedule spans it.
        seed: torch seed and seed of the batch order and flips.
        n_train: Training images, shape seeds `0 .. n_train - 1`.
        batch_size: Images per AdamW step.
        lr: Peak learning rate (reached after the warm-up, then cosine decay to 0).
        warmup: Share of the budget spent raising the learning rate linearly from 0.
        weight_decay: AdamW decoupled weight decay.
        distractor_rate: Share of training images with distractors.
        threads: torch CPU threads (1: see the module docstring).
    """

    minutes: float = 60.0
    seed: int = 0
    n_train: int = 80_000
    batch_size: int = 64
    lr: float = 2e-3
    warmup: float = 0.1
    weight_decay: float = 5e-4
    distractor_rate: float = 0.5
    threads: int = 1


def build_deep_resnet(num_classes: int = len(shapes.CLASS_NAMES), width: int = WIDTH) -> ResNet:
    """The untrained `embedded-deep` architecture (`models.embedded.build_narrow_resnet`).

    Returns:
        A torchvision `ResNet` of 27 `BasicBlock`s, stage widths `(w, 2w, 4w, 8w)`, a 3x3
        stride-1 `conv1` and no max-pool, taking float32 `(N, 3, 32, 32)` normalised input.
    """
    return build_narrow_resnet(num_classes, width, list(LAYERS), SMALL_STEM)


def generate_shapes(
    first_seed: int, n: int, distractor_rate: float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    """Shapes `first_seed .. first_seed + n - 1` drawn directly at 32 px (`training.data`).

    Returns:
        (uint8 `(n, 32, 32, 3)` images, int64 `(n,)` labels).
    """
    return generate(first_seed, n, distractor_rate, size=INPUT_SIZE)


def flip_batch(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Flip each image of `(N, 3, H, W)` left-right with probability 1/2 (channels-last out)."""
    flip = torch.rand(x.shape[0], generator=generator) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(3), x)
    return x.contiguous(memory_format=torch.channels_last)


def cosine_lr(lr: float, elapsed: float, budget: float, warmup: float = 0.0) -> float:
    """The learning rate at `elapsed` seconds of `budget`: linear from 0 to `lr` over the
    first `warmup` share of the budget, then `lr * (1 + cos(pi * t)) / 2` with `t` the
    fraction of the rest of the budget spent (clipped to 1)."""
    ramp = warmup * budget
    if elapsed < ramp:
        return lr * elapsed / ramp
    return 0.5 * lr * (1.0 + math.cos(math.pi * min(1.0, (elapsed - ramp) / (budget - ramp))))


def save_weights(model: nn.Module, path: Path) -> dict[str, Any]:
    """Save the `state_dict`, as float16 if its float32 tensors exceed 5 MB.

    Returns:
        `{"dtype", "bytes", "state_sha256"}` of what was written (digest of the stored tensors).
    """
    state = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    float_bytes = sum(v.numel() * 4 for v in state.values() if v.is_floating_point())
    half = float_bytes > MAX_FLOAT32_BYTES
    if half:
        state = {k: v.half() if v.is_floating_point() else v for k, v in state.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(state, path)
    return {
        "dtype": "float16" if half else "float32",
        "bytes": path.stat().st_size,
        "state_sha256": state_digest(state),
    }


def load_deep(weights_path: Path, num_classes: int = len(shapes.CLASS_NAMES)) -> ResNet:
    """Build `embedded-deep` and load weights saved by `save_weights` (float16 or float32),
    converting them to float32; strict load, `weights_only=True`. Returns it in eval mode."""
    model = build_deep_resnet(num_classes)
    state = torch.load(Path(weights_path), map_location="cpu", weights_only=True)
    state = {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
    model.load_state_dict(state, strict=True)
    return model.eval()


class _Clock:
    """Wall-clock budget, progress lines and periodic checkpoints of one run."""

    def __init__(self, config: DeepConfig, checkpoint: Path) -> None:
        self.config = config
        self.budget = config.minutes * 60.0
        self.checkpoint = checkpoint
        self.start = time.perf_counter()
        self.last_log = self.last_ckpt = self.start
        self.loss_sum = 0.0
        self.correct = self.seen = self.steps_at_log = 0

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def record(self, loss: float, correct: int, n: int) -> None:
        self.loss_sum += loss * n
        self.correct += correct
        self.seen += n

    def tick(
        self, step: int, lr: float, model: nn.Module, optimizer: torch.optim.Optimizer
    ) -> None:
        """Print a progress line every ~30 s and checkpoint every 5 min."""
        now = time.perf_counter()
        if now - self.last_log >= LOG_SECONDS:
            rate = (step - self.steps_at_log) / (now - self.last_log)
            print(
                f"step {step} elapsed {now - self.start:.0f}s loss "
                f"{self.loss_sum / max(1, self.seen):.4f} "
                f"acc {self.correct / max(1, self.seen):.3f} "
                f"lr {lr:.2e} steps/s {rate:.2f}",
                flush=True,
            )
            self.loss_sum, self.correct, self.seen = 0.0, 0, 0
            self.last_log, self.steps_at_log = now, step
        if now - self.last_ckpt >= CHECKPOINT_SECONDS:
            self.checkpoint.parent.mkdir(parents=True, exist_ok=True)
            torch.save(
                {
                    "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "step": step,
                    "elapsed": now - self.start,
                    "config": asdict(self.config),
                },
                self.checkpoint,
            )
            self.last_ckpt = now
            print(f"checkpoint at step {step} -> {self.checkpoint}", flush=True)


def train(
    config: DeepConfig,
    images: np.ndarray,
    labels: np.ndarray,
    stats: tuple[list, list],
    work: Path,
    resume: Path | None = None,
) -> tuple[ResNet, int, float]:
    """Train until the wall-clock budget is spent.

    With `resume` (a checkpoint of this run), the weights, optimizer state, step count and
    elapsed time are restored and the run goes on from there on the same schedule; the batch
    order after the restart is a fresh permutation (seeded by `seed + step`).

    Returns:
        (model in eval mode, contiguous float32; optimizer steps done; training seconds).
    """
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    model = build_deep_resnet().to(memory_format=torch.channels_last)
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=config.lr, weight_decay=config.weight_decay
    )
    labels_t = torch.from_numpy(labels)
    clock = _Clock(config, work / CHECKPOINT_NAME)
    step, n = 0, len(images)
    if resume is not None:
        saved = torch.load(resume, map_location="cpu", weights_only=True)
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        step = int(saved["step"])
        clock.start = time.perf_counter() - float(saved["elapsed"])
        generator.manual_seed(config.seed + step)
        print(f"resumed at step {step}, {saved['elapsed']:.0f}s into the budget", flush=True)
    model.train()
    order = torch.randperm(n, generator=generator).numpy()
    cursor = 0
    while clock.elapsed() < clock.budget:
        if cursor + config.batch_size > n:
            order, cursor = torch.randperm(n, generator=generator).numpy(), 0
        index = np.sort(order[cursor : cursor + config.batch_size])
        cursor += config.batch_size
        lr = cosine_lr(config.lr, clock.elapsed(), clock.budget, config.warmup)
        for group in optimizer.param_groups:
            group["lr"] = lr
        x = flip_batch(normalise(images[index], *stats, channels_first=False), generator)
        y = labels_t[index]
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        step += 1
        clock.record(loss.item(), int((logits.argmax(1) == y).sum()), len(y))
        clock.tick(step, lr, model, optimizer)
    seconds = clock.elapsed()
    model = model.to(memory_format=torch.contiguous_format).eval()
    return model, step, seconds


def build_card(config: DeepConfig, stats: tuple[list, list], run: dict[str, Any]) -> dict[str, Any]:
    """The training half of the model card (`measure_deep` adds the measurements)."""
    mean, std = stats
    return {
        "name": NAME,
        "architecture": (
            "torchvision ResNet, BasicBlock, layers [7, 7, 7, 6] (27 residual blocks), stage "
            f"widths {[WIDTH * k for k in (1, 2, 4, 8)]}; conv1 3x3 stride 1 (no max-pool: "
            "maxpool = nn.Identity()); layer4 maps 4x4 at 32 px"
        ),
        "builder": "resnet_demo.models.embedded.build_from_card (layers and stem of this card)",
        "layers": list(LAYERS),
        "stem": SMALL_STEM,
        "classes": list(shapes.CLASS_NAMES),
        "classes_zh": list(shapes.class_names_in("zh")),
        "input_size": INPUT_SIZE,
        "width": WIDTH,
        "mean": mean,
        "std": std,
        "normalisation": (
            "pixels / 255, then (x - mean) / std per channel; mean and std of the training images"
        ),
        "command": (
            f"python -m training.train_deep --minutes {config.minutes:g} --seed {config.seed} "
            f"--n-train {config.n_train} --threads {config.threads}"
        ),
        "train_shape_seeds": [0, config.n_train],  # half-open range
        "n_train": config.n_train,
        "distractor_rate": config.distractor_rate,
        "config": asdict(config),
        "optimizer": (
            f"AdamW lr {config.lr:g}, weight decay {config.weight_decay:g}, batch "
            f"{config.batch_size}, cross-entropy (no label smoothing); learning rate linear from 0 "
            f"over the first {config.warmup:.0%} of the wall-clock budget, then cosine decay to 0"
        ),
        "augmentation": "random horizontal flip of each image (p = 0.5)",
        "stochastic_depth": "none: no stochastic depth and no block dropping of any kind",
        "budget_minutes": config.minutes,
        **run,
        "machine": _machine(config.threads),
        "threads": config.threads,
        "reproduction": (
            "Not bit-reproducible: the budget is wall-clock time, so the number of steps depends "
            "on the machine and its load; steps, train_seconds and state_sha256 record this run."
        ),
    }


def run(
    config: DeepConfig, out_dir: Path, work: Path, resume: Path | None = None
) -> dict[str, Any]:
    """Generate the data, train, and write the weights and the training card.

    Returns:
        The card dict written to `out_dir / CARD_NAME`.
    """
    if not 0 < config.n_train <= shapes.TEST_SEED_START:
        raise ValueError("n_train must keep the training seeds below shapes.TEST_SEED_START")
    torch.set_num_threads(config.threads)
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    images, labels = generate_shapes(0, config.n_train, config.distractor_rate)
    stats = channel_stats(images)
    data_seconds = time.perf_counter() - t0
    print(
        f"data: {config.n_train} shapes in {data_seconds:.1f}s, mean {stats[0]} std {stats[1]}",
        flush=True,
    )
    model, steps, train_seconds = train(config, images, labels, stats, work, resume)
    saved = save_weights(model, out_dir / WEIGHTS_NAME)
    record = {
        "steps": steps,
        "epochs_done": round(steps * config.batch_size / config.n_train, 2),
        "train_seconds": round(train_seconds, 1),
        "data_seconds": round(data_seconds, 1),
        "started_utc": started.isoformat(timespec="seconds"),
        "finished_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "weights_dtype": saved["dtype"],
        "weights_bytes": saved["bytes"],
        "weights_storage": (
            "float16 state_dict (float32 would exceed 5 MB); loading converts to float32"
            if saved["dtype"] == "float16"
            else "float32 state_dict"
        ),
        "state_sha256": saved["state_sha256"],
    }
    if resume is not None:
        record["resumed"] = (
            f"restarted from a checkpoint of the same run (same schedule and budget) with "
            f"{config.threads} thread(s); the steps before it ran with the thread count of the "
            "first start"
        )
    card = build_card(config, stats, record)
    (out_dir / CARD_NAME).write_text(
        json.dumps(card, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    (work / CHECKPOINT_NAME).unlink(missing_ok=True)
    print(f"done: {steps} steps in {train_seconds:.0f}s -> {out_dir / WEIGHTS_NAME}", flush=True)
    return card


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    defaults = DeepConfig()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=defaults.minutes, help="wall-clock budget")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--n-train", type=int, default=defaults.n_train)
    parser.add_argument("--threads", type=int, default=defaults.threads)
    parser.add_argument("--out", type=Path, default=ASSETS, help="weights and card folder")
    parser.add_argument(
        "--resume", type=Path, default=None, help="checkpoint of this run to continue from"
    )
    parser.add_argument(
        "--work", type=Path, default=None, help="checkpoint folder (default: out/deep, or --out)"
    )
    args = parser.parse_args(argv)
    if args.minutes <= 0:
        parser.error("--minutes must be > 0")
    config = DeepConfig(
        minutes=args.minutes, seed=args.seed, n_train=args.n_train, threads=args.threads
    )
    work = args.work or (DEFAULT_WORK if args.out == ASSETS else args.out)
    run(config, args.out, work, args.resume)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
