"""The degradation race: a plain network and a ResNet of the same depth, trained side by side.

He et al. 2016 (Fig. 1 and §4.1) found that a deeper *plain* network reaches a *higher training*
error than a shallower one, although it could in principle copy the shallower one and set its
extra layers to the identity. Since training error rose, this "degradation" is not overfitting;
they call it an optimisation difficulty. The same network with skip connections, whose blocks
only have to learn a correction to the identity, does not degrade.

Here both twins (`cifar_nets.twin_nets`: same depth, same starting weights) train in alternating
steps on the same batches of a fixed set of synthetic shapes, and the training losses stream out
as `RaceSnapshot`s. The race ends after `max_steps` steps, when the time budget is spent, or when
the caller sets the stop flag; both networks always have the same number of steps.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from resnet_demo.errors import InvalidValue, check_int, check_number
from resnet_demo.lab.cifar_nets import check_depth, twin_nets
from resnet_demo.lab.data import LAB_TRAIN_SEED, shape_set
from resnet_demo.lab.training import DEFAULT_LR, batch_indices, make_optimizer, train_step


@dataclass(frozen=True)
class RaceConfig:
    """Settings of one race.

    Attributes:
        depth: weighted layers of both networks, 6n + 2 (20 and 56 in He et al. Fig. 1).
        max_steps: training steps per network.
        time_budget_s: wall-clock limit in seconds (data generation included), or None.
        n_train: images in the fixed training set (seeds from `data.LAB_TRAIN_SEED`).
        image_size: image side in pixels (CIFAR-sized by default).
        batch_size: images per step.
        lr: Adam learning rate.
        shortcut: "A" (zero-padded identity, He et al.'s CIFAR choice) or "B" (projection).
        seed: seed of the initial weights and of the batch order.
        snapshot_every: yield a snapshot every this many steps.
    """

    depth: int = 20
    max_steps: int = 400
    time_budget_s: float | None = 90.0
    n_train: int = 256
    image_size: int = 32
    batch_size: int = 32
    lr: float = DEFAULT_LR
    shortcut: str = "A"
    seed: int = 0
    snapshot_every: int = 5

    def check(self) -> RaceConfig:
        """Return self if every field is valid.

        Raises:
            InvalidValue: naming the field (a ValueError).
        """
        check_depth(self.depth)
        for name in ("max_steps", "n_train", "batch_size", "snapshot_every"):
            check_int(getattr(self, name), name, 1)
        budget = self.time_budget_s
        if budget is not None and check_number(budget, "time_budget_s") <= 0:
            raise InvalidValue("race_time_budget", value=repr(budget))
        return self


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


@dataclass(frozen=True)
class RaceSnapshot:
    """The race so far.

    Attributes:
        config: the race's settings.
        step: steps each network has taken.
        elapsed_s: seconds since the race started (data generation included).
        plain_losses: float32 (step,): training loss of the plain network at every step.
        residual_losses: float32 (step,): the same for the ResNet.
        status: one of `STATUSES`: "running", "finished" (max_steps reached), "out_of_time" or
            "stopped".
    """

    config: RaceConfig
    step: int
    elapsed_s: float
    plain_losses: np.ndarray
    residual_losses: np.ndarray
    status: str

    @property
    def done(self) -> bool:
        """Whether this is the last snapshot of the race."""
        return self.status != RUNNING

    def recent_mean(self, window: int = 20) -> tuple[float, float]:
        """(plain, residual) mean loss over the last `window` steps (NaN before the first)."""
        if self.step == 0:
            return float("nan"), float("nan")
        return (
            float(self.plain_losses[-window:].mean()),
            float(self.residual_losses[-window:].mean()),
        )

    def to_json(self) -> dict[str, Any]:
        """JSON-ready settings and curves; the mean losses are None before the first step (no
        NaN reaches the JSON)."""
        plain, residual = self.recent_mean()
        return {
            "depth": self.config.depth,
            "steps": self.step,
            "status": self.status,
            "elapsed_s": round(self.elapsed_s, 2),
            "settings": {
                "n_train": self.config.n_train,
                "image_size": self.config.image_size,
                "batch_size": self.config.batch_size,
                "optimizer": f"Adam(lr={self.config.lr})",
                "shortcut": self.config.shortcut,
                "seed": self.config.seed,
                "max_steps": self.config.max_steps,
                "time_budget_s": self.config.time_budget_s,
            },
            "final_mean_loss_last_20": {
                "plain": _finite_or_none(plain),
                "residual": _finite_or_none(residual),
            },
            "plain_losses": [_finite_or_none(float(v)) for v in self.plain_losses],
            "residual_losses": [_finite_or_none(float(v)) for v in self.residual_losses],
        }


def run_race(
    config: RaceConfig = RaceConfig(),
    stop: threading.Event | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[RaceSnapshot]:
    """Train the plain twin and the ResNet in alternating steps, yielding snapshots.

    Args:
        config: the race's settings.
        stop: set it (from another thread) to end the race after the current step.
        clock: monotonic time in seconds (tests replace it).

    Yields:
        A snapshot after data generation (step 0), every `config.snapshot_every` steps, and a
        last one with `done` True.
    """
    config.check()
    start = clock()
    data = shape_set(LAB_TRAIN_SEED, config.n_train, config.image_size)
    plain, residual = twin_nets(config.depth, config.shortcut, seed=config.seed)
    optimizers = [make_optimizer(plain, config.lr), make_optimizer(residual, config.lr)]
    generator = torch.Generator().manual_seed(config.seed)
    losses: tuple[list[float], list[float]] = ([], [])

    def snapshot(status: str) -> RaceSnapshot:
        return RaceSnapshot(
            config=config,
            step=len(losses[0]),
            elapsed_s=clock() - start,
            plain_losses=np.array(losses[0], dtype=np.float32),
            residual_losses=np.array(losses[1], dtype=np.float32),
            status=status,
        )

    yield snapshot(RUNNING)
    status = FINISHED
    for step in range(1, config.max_steps + 1):
        if stop is not None and stop.is_set():
            status = STOPPED
            break
        if config.time_budget_s is not None and clock() - start >= config.time_budget_s:
            status = OUT_OF_TIME
            break
        idx = batch_indices(len(data), config.batch_size, generator)
        x, y = data.x[idx], data.y[idx]
        for net, optimizer, record in zip((plain, residual), optimizers, losses, strict=True):
            record.append(train_step(net, optimizer, x, y))
        if step % config.snapshot_every == 0 and step < config.max_steps:
            yield snapshot(RUNNING)
    yield snapshot(status)


def race_to_end(config: RaceConfig, stop: threading.Event | None = None) -> RaceSnapshot:
    """Run a whole race and return its last snapshot (for the CLI and tests)."""
    last = None
    for last in run_race(config, stop):  # noqa: B007 - we want the final one
        pass
    assert last is not None
    return last
