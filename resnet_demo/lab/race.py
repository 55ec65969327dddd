"""The degradation race: plain-20, plain-56, ResNet-20 and ResNet-56 trained side by side.

He et al. 2016 (Fig. 1, §4.1) found that a deeper *plain* network reaches a *higher training*
error than a shallower one (20 vs 56 layers on CIFAR-10), although it could in principle copy
the shallower one and set its extra layers to the identity. Since the training error rose, this
"degradation" is not overfitting; they call it an optimisation difficulty. With skip
connections the deeper network trains as well as or better than the shallower one (Fig. 6,
middle: ResNet-20 … 110).

One race trains the four networks needed for both comparisons: plain-20 vs plain-56 (Fig. 1)
and ResNet-20 vs ResNet-56 (Fig. 6). The plain net of each depth is the ResNet with every skip
off (`cifar_nets.twin_nets`: same starting weights). All four train in alternating steps on the
same batches of a fixed set of synthetic shapes; every `eval_every` steps each is measured on
fresh shapes it never trained on (held-out error). Snapshots stream out as `RaceSnapshot`s. The
race ends after `max_steps` steps, when the time budget is spent, or when the caller sets the
stop flag; all four networks always have the same number of steps.

`training/record_race.py` runs the same recipe for longer and over several seeds and writes
`assets/race_recorded.json`, which `race_record` reads.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from resnet_demo import shapes
from resnet_demo.errors import InvalidValue, check_int, check_number
from resnet_demo.lab.cifar_nets import check_depth, twin_nets
from resnet_demo.lab.data import LAB_TEST_SEED, LAB_TRAIN_SEED, ShapeSet, normalise, shape_set
from resnet_demo.lab.training import batch_indices

SHALLOW, DEEP = 20, 56
"""The depths of He et al.'s Fig. 1 (plain-20 vs plain-56)."""
PLAIN, RESIDUAL = "plain", "resnet"
"""The two kinds of network: skips off, skips on."""
OPTIMIZERS: tuple[str, ...] = ("adam", "sgd")
"""Adam or SGD with momentum 0.9 (He et al. §4.2)."""
FRESH, FIXED = "fresh", "fixed"
TRAIN_DATA: tuple[str, ...] = (FRESH, FIXED)
"""Training data: a new batch of shapes for every step (nothing can be memorised), or a fixed set
of `n_train` shapes drawn from at random."""
GENERATED_SIZE = 32
"""Shapes are drawn at this size; smaller race images are its 2×2 (4×4) block averages."""
IMAGE_SIZES: tuple[int, ...] = (8, 16)
"""Race image sides below `GENERATED_SIZE` (any side >= 32 is drawn directly)."""
MEASURE_BATCH = 128
"""Images per forward pass when measuring held-out error."""


def net_key(kind: str, depth: int) -> str:
    """ "plain-20", "resnet-56", …: the name of one network of the race."""
    return f"{kind}-{depth}"


@dataclass(frozen=True)
class RaceConfig:
    """Settings of one race (the live one and each seed of the recorded one).

    Attributes:
        depths: (shallow, deep) weighted layers, each 6n + 2. Default: (20, 56), He et al. Fig. 1.
        max_steps: training steps per network.
        time_budget_s: wall-clock limit in seconds (data generation and the last measurement
            included: no new step starts once it is spent), or None.
        train_data: "fresh" (every step trains on shapes no network has seen before, so the
            training error is also an error on new shapes) or "fixed" (`n_train` shapes).
        distractor_rate: share of images with small distractor shapes beside the labelled one
            (`shapes.generate_batch`).
        clutter: draw the shapes on cluttered backgrounds (True) or plain gradients.
        n_train: images in the fixed training set (seeds from `data.LAB_TRAIN_SEED`); unused
            with fresh data.
        n_test: held-out images (seeds from `data.LAB_TEST_SEED`, never trained on).
        image_size: image side in pixels: 32 (CIFAR-sized), or 16 / 8 (block averages of the
            32-pixel images, 4 / 16 times less computation).
        batch_size: images per step (the same batch for all four networks).
        optimizer: "adam" (lr as given) or "sgd" (momentum 0.9, weight decay 1e-4, He et al.
            §4.2, without their learning-rate schedule).
        lr: learning rate.
        warmup_steps: steps at `warmup_lr` before `lr` (He et al. §4.2 warm up their deepest
            net at 0.01 "until the training error is below 80%"). Default: 0 (none).
        warmup_lr: learning rate of the warm-up steps.
        shortcut: "A" (zero-padded identity, He et al.'s CIFAR choice) or "B" (projection).
        seed: seed of the initial weights and of the batch order.
        snapshot_every: yield a snapshot every this many steps.
        eval_every: measure held-out error every this many steps (and at the end).
    """

    depths: tuple[int, int] = (SHALLOW, DEEP)
    max_steps: int = 2000
    time_budget_s: float | None = 150.0
    train_data: str = FRESH
    distractor_rate: float = 0.0
    clutter: bool = False
    n_train: int = 1024
    n_test: int = 256
    image_size: int = 16
    batch_size: int = 32
    optimizer: str = "sgd"
    lr: float = 0.025
    warmup_steps: int = 0
    warmup_lr: float = 0.01
    shortcut: str = "A"
    seed: int = 0
    snapshot_every: int = 5
    eval_every: int = 25

    def check(self) -> RaceConfig:
        """Return self if every field is valid.

        Raises:
            InvalidValue: naming the field (a ValueError).
        """
        if len(self.depths) != 2:
            raise InvalidValue("lab_bad_depth", value=repr(self.depths))
        for depth in self.depths:
            check_depth(depth)
        for name in ("max_steps", "n_train", "n_test", "batch_size"):
            check_int(getattr(self, name), name, 1)
        for name in ("snapshot_every", "eval_every"):
            check_int(getattr(self, name), name, 1)
        check_int(self.warmup_steps, "warmup_steps", 0)
        if not 0.0 <= check_number(self.distractor_rate, "distractor_rate") <= 1.0:
            raise InvalidValue(
                "value_out_of_range",
                name="distractor_rate",
                low=0,
                high=1,
                value=self.distractor_rate,
            )
        if self.train_data not in TRAIN_DATA:
            raise InvalidValue(
                "race_bad_train_data", value=repr(self.train_data), choices=", ".join(TRAIN_DATA)
            )
        if self.train_data == FRESH:
            if self.max_steps * self.batch_size > FRESH_SEEDS_PER_RACE:
                raise InvalidValue(
                    "value_too_large",
                    name="max_steps × batch_size",
                    high=FRESH_SEEDS_PER_RACE,
                    value=self.max_steps * self.batch_size,
                )
            if not 0 <= self.seed < FRESH_RACE_SEEDS:
                raise InvalidValue(
                    "value_out_of_range",
                    name="seed",
                    low=0,
                    high=FRESH_RACE_SEEDS - 1,
                    value=self.seed,
                )
        if self.image_size not in IMAGE_SIZES and (
            isinstance(self.image_size, bool)
            or not isinstance(self.image_size, int)
            or self.image_size < GENERATED_SIZE
        ):
            raise InvalidValue("race_bad_image_size", value=repr(self.image_size))
        if self.optimizer not in OPTIMIZERS:
            raise InvalidValue(
                "race_bad_optimizer", value=repr(self.optimizer), choices=", ".join(OPTIMIZERS)
            )
        for name in ("lr", "warmup_lr"):
            if check_number(getattr(self, name), name) <= 0:
                raise InvalidValue("value_not_positive", name=name, value=getattr(self, name))
        budget = self.time_budget_s
        if budget is not None and check_number(budget, "time_budget_s") <= 0:
            raise InvalidValue("race_time_budget", value=repr(budget))
        return self

    @property
    def keys(self) -> tuple[str, ...]:
        """The four networks in drawing order: plain shallow, plain deep, ResNet shallow, deep."""
        return tuple(net_key(kind, d) for kind in (PLAIN, RESIDUAL) for d in self.depths)

    def recipe(self) -> dict[str, Any]:
        """The settings as JSON (seed and time budget left out: they vary between runs)."""
        out = asdict(self)
        out["depths"] = list(self.depths)
        for name in ("seed", "time_budget_s", "snapshot_every"):
            out.pop(name)
        return out


RUNNING = "running"
"""Status of every snapshot but the last; words: catalogue key `race_status_running`."""
FINISHED = "finished"
"""`max_steps` reached (`race_status_finished`)."""
OUT_OF_TIME = "out_of_time"
"""The time budget was spent (`race_status_out_of_time`)."""
STOPPED = "stopped"
"""The caller set the stop flag (`race_status_stopped`)."""
STATUSES: tuple[str, ...] = (RUNNING, FINISHED, OUT_OF_TIME, STOPPED)
"""Every status; front ends word one with `t(f"race_status_{status}", lang)`."""


def _finite_or_none(value: float) -> float | None:
    """`value`, or None for NaN/inf (JSON has neither)."""
    return value if math.isfinite(value) else None


def _json_list(values: np.ndarray, digits: int = 4) -> list[float | None]:
    rounded = (_finite_or_none(float(v)) for v in values)
    return [None if v is None else round(v, digits) for v in rounded]


@dataclass(frozen=True)
class RaceSnapshot:
    """The race so far.

    Attributes:
        config: the race's settings.
        step: steps each network has taken.
        elapsed_s: seconds since the race started (data generation included).
        losses: {net key: float32 (step,)} training loss (nats) of every step's batch.
        train_errors: {net key: float32 (step,)} share of every step's batch misclassified
            (training mode, before the update).
        eval_steps: int64 (m,): steps after which the held-out error was measured.
        test_errors: {net key: float32 (m,)} share of the held-out shapes misclassified.
        status: one of `STATUSES`.
    """

    config: RaceConfig
    step: int
    elapsed_s: float
    losses: dict[str, np.ndarray]
    train_errors: dict[str, np.ndarray]
    eval_steps: np.ndarray
    test_errors: dict[str, np.ndarray]
    status: str

    @property
    def done(self) -> bool:
        """Whether this is the last snapshot of the race."""
        return self.status != RUNNING

    def recent_loss(self, key: str, window: int = 20) -> float:
        """Mean training loss of `key` over the last `window` steps (NaN before the first)."""
        if self.step == 0:
            return float("nan")
        return float(self.losses[key][-window:].mean())

    def last_test_error(self, key: str) -> float:
        """The latest held-out error of `key` (NaN before the first measurement)."""
        errors = self.test_errors[key]
        return float(errors[-1]) if errors.size else float("nan")

    def to_json(self) -> dict[str, Any]:
        """JSON-ready settings and curves (no NaN reaches the JSON: None instead)."""
        return {
            "steps": self.step,
            "status": self.status,
            "elapsed_s": round(self.elapsed_s, 2),
            "settings": {
                **self.config.recipe(),
                "seed": self.config.seed,
                "time_budget_s": self.config.time_budget_s,
            },
            "final_mean_loss_last_20": {
                key: _finite_or_none(self.recent_loss(key)) for key in self.config.keys
            },
            "final_test_error": {
                key: _finite_or_none(self.last_test_error(key)) for key in self.config.keys
            },
            "eval_steps": [int(s) for s in self.eval_steps],
            "train_losses": {key: _json_list(self.losses[key]) for key in self.config.keys},
            "test_errors": {key: _json_list(self.test_errors[key]) for key in self.config.keys},
        }


def _at_size(data: ShapeSet, size: int) -> ShapeSet:
    """`data` (drawn at `GENERATED_SIZE` or larger) as its block averages at `size` pixels."""
    if size >= data.size:
        return data
    x = F.avg_pool2d(data.x, data.size // size)
    return ShapeSet(x=x, y=data.y, seed=data.seed, size=size)


def _generated(config: RaceConfig) -> int:
    return max(GENERATED_SIZE, config.image_size)


def race_data(config: RaceConfig) -> tuple[ShapeSet | None, ShapeSet]:
    """(fixed training set or None for fresh data, held-out set): synthetic shapes at
    `config.image_size` (training seeds from `LAB_TRAIN_SEED`, held-out from `LAB_TEST_SEED`)."""
    rate = config.distractor_rate
    test = shape_set(LAB_TEST_SEED, config.n_test, _generated(config), rate, config.clutter)
    test = _at_size(test, config.image_size)
    if config.train_data == FRESH:
        return None, test
    train = shape_set(LAB_TRAIN_SEED, config.n_train, _generated(config), rate, config.clutter)
    return _at_size(train, config.image_size), test


FRESH_SEED_START = LAB_TRAIN_SEED + 100_000
"""First shape seed of the fresh batches (training namespace, after the lab's fixed sets)."""
FRESH_SEEDS_PER_RACE = 200_000
"""Shape seeds set aside for the fresh batches of each race seed: `max_steps * batch_size` may
not exceed it, and race seeds 0 .. `FRESH_RACE_SEEDS - 1` keep every batch below
`shapes.TEST_SEED_START` (training never touches the test namespace)."""
FRESH_RACE_SEEDS = (shapes.TEST_SEED_START - FRESH_SEED_START) // FRESH_SEEDS_PER_RACE


def fresh_batch(config: RaceConfig, step: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The batch of step `step` (from 1) of a fresh-data race: `batch_size` shapes never drawn
    before in this race (seeds `FRESH_SEED_START + seed * FRESH_SEEDS_PER_RACE + …`), at
    `config.image_size`. Every network of the race trains on the same batch."""
    first = FRESH_SEED_START + config.seed * FRESH_SEEDS_PER_RACE + (step - 1) * config.batch_size
    images, labels, _, _ = shapes.generate_batch(
        first,
        config.batch_size,
        size=_generated(config),
        distractor_rate=config.distractor_rate,
        clutter=config.clutter,
    )
    data = ShapeSet(
        x=normalise(images), y=torch.from_numpy(labels), seed=first, size=_generated(config)
    )
    data = _at_size(data, config.image_size)
    return data.x, data.y


def race_nets(config: RaceConfig) -> dict[str, nn.Module]:
    """The four networks; the plain and residual net of one depth start from the same weights."""
    nets: dict[str, nn.Module] = {}
    for depth in config.depths:
        plain, residual = twin_nets(depth, config.shortcut, seed=config.seed + 1000 * depth)
        nets[net_key(PLAIN, depth)], nets[net_key(RESIDUAL, depth)] = plain, residual
    return {key: nets[key] for key in config.keys}


def race_optimizer(net: nn.Module, config: RaceConfig) -> torch.optim.Optimizer:
    """The optimiser `config.optimizer` over every parameter of `net`, at the first step's
    learning rate (`race_lr(config, 1)`)."""
    lr = race_lr(config, 1)
    if config.optimizer == "sgd":
        return torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    return torch.optim.Adam(net.parameters(), lr=lr)


def race_lr(config: RaceConfig, step: int) -> float:
    """The learning rate of step `step` (from 1): `warmup_lr` for the first `warmup_steps`
    steps, then `lr`."""
    return config.warmup_lr if step <= config.warmup_steps else config.lr


def race_step(
    net: nn.Module, optimizer: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor
) -> tuple[float, float]:
    """One cross-entropy step in training mode -> (loss in nats, share of the batch wrong),
    both measured before the update."""
    net.train()
    logits = net(x)
    loss = F.cross_entropy(logits, y)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    wrong = (logits.detach().argmax(1) != y).float().mean()
    return float(loss.detach()), float(wrong)


@torch.no_grad()
def held_out_error(net: nn.Module, data: ShapeSet) -> float:
    """Share of `data` that `net` (eval mode: BatchNorm running statistics) misclassifies."""
    net.eval()
    wrong = 0
    for start in range(0, len(data), MEASURE_BATCH):
        logits = net(data.x[start : start + MEASURE_BATCH])
        wrong += int((logits.argmax(1) != data.y[start : start + MEASURE_BATCH]).sum())
    net.train()
    return wrong / len(data)


def run_race(
    config: RaceConfig = RaceConfig(),
    stop: threading.Event | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[RaceSnapshot]:
    """Train the four networks in alternating steps on the same batches, yielding snapshots.

    Args:
        config: the race's settings.
        stop: set it (from another thread) to end the race after the current step.
        clock: monotonic time in seconds (tests replace it).

    Yields:
        A snapshot after data generation (step 0), every `config.snapshot_every` steps, and a
        last one with `done` True (after a last held-out measurement).
    """
    config.check()
    start = clock()
    train_set, test_set = race_data(config)
    nets = race_nets(config)
    optimizers = {key: race_optimizer(net, config) for key, net in nets.items()}
    generator = torch.Generator().manual_seed(config.seed)
    losses: dict[str, list[float]] = {key: [] for key in nets}
    wrong: dict[str, list[float]] = {key: [] for key in nets}
    tests: dict[str, list[float]] = {key: [] for key in nets}
    eval_steps: list[int] = []

    def measure(step: int) -> None:
        eval_steps.append(step)
        for key, net in nets.items():
            tests[key].append(held_out_error(net, test_set))

    def snapshot(status: str) -> RaceSnapshot:
        def arrays(values: dict[str, list[float]]) -> dict[str, np.ndarray]:
            return {key: np.array(v, dtype=np.float32) for key, v in values.items()}

        return RaceSnapshot(
            config=config,
            step=len(losses[config.keys[0]]),
            elapsed_s=clock() - start,
            losses=arrays(losses),
            train_errors=arrays(wrong),
            eval_steps=np.array(eval_steps, dtype=np.int64),
            test_errors=arrays(tests),
            status=status,
        )

    yield snapshot(RUNNING)
    status = FINISHED
    step = 0
    for step in range(1, config.max_steps + 1):
        if stop is not None and stop.is_set():
            status, step = STOPPED, step - 1
            break
        if config.time_budget_s is not None and clock() - start >= config.time_budget_s:
            status, step = OUT_OF_TIME, step - 1
            break
        if train_set is None:
            x, y = fresh_batch(config, step)
        else:
            idx = batch_indices(len(train_set), config.batch_size, generator)
            x, y = train_set.x[idx], train_set.y[idx]
        if step == config.warmup_steps + 1:
            for optimizer in optimizers.values():
                for group in optimizer.param_groups:
                    group["lr"] = config.lr
        for key, net in nets.items():
            loss, error = race_step(net, optimizers[key], x, y)
            losses[key].append(loss)
            wrong[key].append(error)
        if step % config.eval_every == 0:
            measure(step)
        if step % config.snapshot_every == 0 and step < config.max_steps:
            yield snapshot(RUNNING)
    if step > 0 and (not eval_steps or eval_steps[-1] != step):
        measure(step)
    yield snapshot(status)


def race_to_end(config: RaceConfig, stop: threading.Event | None = None) -> RaceSnapshot:
    """Run a whole race and return its last snapshot (for the CLI, the recording and tests)."""
    last = None
    for last in run_race(config, stop):  # noqa: B007 - we want the final one
        pass
    assert last is not None
    return last
