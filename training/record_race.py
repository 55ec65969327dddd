"""Record the degradation race: the lab's live race, over several seeds (longer with --steps).

    python -m training.record_race            # 3 seeds × 1500 steps (see README)
    python -m training.record_race --steps 40 --seeds 0 --out /tmp/race.json   # a quick try

Each seed runs `resnet_demo.lab.race.run_race` with no time budget: plain-20, plain-56,
ResNet-20 and ResNet-56 trained in alternating steps on the same batches of synthetic shapes,
with the held-out error (fresh shapes never trained on) measured every `--eval-every` steps. The
recipe is the live race's default (`RaceConfig()`) except for the number of steps, so the live
curves and the recorded ones can be drawn on one chart. Writes `assets/race_recorded.json`:
the recipe, the seeds, per-net per-seed curves (training loss and training error averaged over
windows of `--curve-every` steps, held-out error at each measurement), their mean and standard
deviation over the seeds, the final values, the machine, the command and the seconds taken.

Runs on the CPU with one torch thread (so its timings mean something on a shared machine).
"""

from __future__ import annotations

import argparse
import json
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from resnet_demo.lab.race import STOPPED, RaceConfig, RaceSnapshot, run_race

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "assets" / "race_recorded.json"
DEFAULT_STEPS = 1500
DEFAULT_SEEDS = (0, 1, 2)
TAIL = 100
"""The final training loss / error of a run is its mean over the last TAIL steps."""


def _windows(values: np.ndarray, every: int) -> list[float]:
    """Means of consecutive windows of `every` steps (a last partial window is dropped)."""
    n = len(values) // every
    return [round(float(v), 4) for v in values[: n * every].reshape(n, every).mean(axis=1)]


def _stats(per_seed: list[list[float]]) -> tuple[list[float], list[float]]:
    """Mean and sample standard deviation over seeds, point by point."""
    a = np.array(per_seed, dtype=np.float64)
    std = a.std(axis=0, ddof=1) if len(a) > 1 else np.zeros(a.shape[1])
    return [round(float(v), 4) for v in a.mean(axis=0)], [round(float(v), 4) for v in std]


def summarise(
    runs: list[RaceSnapshot], curve_every: int, tail: int = TAIL
) -> dict[str, dict[str, Any]]:
    """Per-net curves, finals and mean ± standard deviation over the runs (one per seed)."""
    nets: dict[str, dict[str, Any]] = {}
    for key in runs[0].config.keys:
        entry: dict[str, Any] = {}
        curves = {
            "train_loss": [_windows(r.losses[key], curve_every) for r in runs],
            "train_error": [_windows(r.train_errors[key], curve_every) for r in runs],
            "test_error": [[round(float(v), 4) for v in r.test_errors[key]] for r in runs],
        }
        finals = {
            "train_loss": [float(r.losses[key][-tail:].mean()) for r in runs],
            "train_error": [float(r.train_errors[key][-tail:].mean()) for r in runs],
            "test_error": [float(r.test_errors[key][-1]) for r in runs],
        }
        for name, per_seed in curves.items():
            mean, std = _stats(per_seed)
            entry[name] = {"per_seed": per_seed, "mean": mean, "std": std}
        entry["final"] = {}
        for name, values in finals.items():
            mean, std = _stats([[v] for v in values])
            entry["final"][name] = {
                "per_seed": [round(v, 4) for v in values],
                "mean": mean[0],
                "std": std[0],
            }
        nets[key] = entry
    return nets


def run_seed(config: RaceConfig, deadline_s: float | None) -> RaceSnapshot:
    """One seed's race, stopped after the step during which `deadline_s` seconds ran out."""
    started = time.monotonic()
    stop = threading.Event()
    # SIGTERM ends this seed early but cleanly: after the current step, with a last held-out
    # measurement, and its curves still written (the other seeds are then cut to match).
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    last = None
    for last in run_race(config, stop):
        if last.step and last.step % 50 == 0:
            losses = " ".join(f"{k} {last.recent_loss(k, 50):.3f}" for k in config.keys)
            print(f"seed {config.seed} step {last.step} {last.elapsed_s:.0f}s {losses}", flush=True)
        if deadline_s is not None and time.monotonic() - started >= deadline_s:
            stop.set()
    assert last is not None
    return last


def _to_raw(snapshot: RaceSnapshot) -> dict[str, Any]:
    return {
        "step": snapshot.step,
        "elapsed_s": snapshot.elapsed_s,
        "status": snapshot.status,
        "losses": {k: v.tolist() for k, v in snapshot.losses.items()},
        "train_errors": {k: v.tolist() for k, v in snapshot.train_errors.items()},
        "eval_steps": snapshot.eval_steps.tolist(),
        "test_errors": {k: v.tolist() for k, v in snapshot.test_errors.items()},
    }


def _from_raw(config: RaceConfig, raw: dict[str, Any], steps: int) -> RaceSnapshot:
    """A seed's race cut to its first `steps` steps (held-out errors measured by then)."""
    keep = [i for i, s in enumerate(raw["eval_steps"]) if s <= steps]

    def cut(values: dict[str, list[float]], index: list[int] | None = None) -> dict[str, Any]:
        return {
            k: np.array(v[:steps] if index is None else [v[i] for i in index], dtype=np.float32)
            for k, v in values.items()
        }

    return RaceSnapshot(
        config=config,
        step=steps,
        elapsed_s=raw["elapsed_s"],
        losses=cut(raw["losses"]),
        train_errors=cut(raw["train_errors"]),
        eval_steps=np.array([raw["eval_steps"][i] for i in keep], dtype=np.int64),
        test_errors=cut(raw["test_errors"], keep),
        status=raw["status"] if steps == raw["step"] else STOPPED,
    )


def record(
    base: RaceConfig, seeds: list[int], deadline_s: float | None = None
) -> tuple[list[RaceSnapshot], list[float]]:
    """Run the race once per seed, each seed in its own process (one torch thread each), and
    cut every seed to the steps all of them reached (so the curves line up point by point).

    Returns:
        (the cut last snapshot of each seed, in order; each seed's seconds).
    """
    with tempfile.TemporaryDirectory() as tmp:
        procs = []
        for seed in seeds:
            out = Path(tmp) / f"seed{seed}.json"
            command = [sys.executable, "-m", "training.record_race", "--one-seed", str(seed)]
            command += ["--steps", str(base.max_steps), "--eval-every", str(base.eval_every)]
            command += ["--n-test", str(base.n_test), "--raw-out", str(out)]
            if deadline_s is not None:
                command += ["--deadline-s", str(deadline_s)]
            procs.append((subprocess.Popen(command), out))
        raws = []
        for proc, out in procs:
            if proc.wait() != 0:
                raise SystemExit(f"a seed failed: {proc.args!r}")
            raws.append(json.loads(out.read_text(encoding="utf-8")))
    steps = min(raw["step"] for raw in raws)
    runs = [
        _from_raw(replace(base, seed=seed), raw, steps)
        for seed, raw in zip(seeds, raws, strict=True)
    ]
    return runs, [round(raw["elapsed_s"], 1) for raw in raws]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS, help="steps per network")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(DEFAULT_SEEDS))
    parser.add_argument("--eval-every", type=int, default=50, help="held-out error every N steps")
    parser.add_argument("--n-test", type=int, default=256, help="held-out images")
    parser.add_argument("--curve-every", type=int, default=10, help="curve points every N steps")
    parser.add_argument(
        "--deadline-s",
        type=float,
        default=None,
        help="stop every seed at the same step once this many seconds have passed",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--one-seed", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--raw-out", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    base = replace(
        RaceConfig(),
        max_steps=args.steps,
        time_budget_s=None,
        eval_every=args.eval_every,
        n_test=args.n_test,
        snapshot_every=args.curve_every,
    ).check()
    command = "python -m training.record_race " + " ".join(
        argv if argv is not None else sys.argv[1:]
    )
    if args.one_seed is not None:  # a worker of `record`
        last = run_seed(replace(base, seed=args.one_seed), args.deadline_s)
        args.raw_out.write_text(json.dumps(_to_raw(last)), encoding="utf-8")
        return 0
    started = time.monotonic()
    runs, seconds = record(base, args.seeds, args.deadline_s)
    print(f"{runs[0].step} steps per network and seed", flush=True)
    steps = runs[0].step
    out = {
        "about": "The lab's degradation race (resnet_demo.lab.race), recorded over several "
        "seeds by training/record_race.py. Curves: training loss (nats) and training error "
        "averaged over windows of curve_every steps (the value at step s covers steps "
        "s - curve_every + 1 .. s); held-out error at eval_steps on n_test fresh shapes. "
        "'final': training loss / error averaged over the last tail steps, held-out error at the "
        "last step. std: sample standard deviation over the seeds.",
        "command": command.strip(),
        "recipe": replace(base, max_steps=steps).recipe(),
        "seeds": list(args.seeds),
        "tail": TAIL,
        "curve_every": args.curve_every,
        "curve_steps": list(range(args.curve_every, steps + 1, args.curve_every)),
        "eval_steps": [int(s) for s in runs[0].eval_steps],
        "nets": summarise(runs, args.curve_every),
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(),
            "torch": torch.__version__,
            "torch_threads": torch.get_num_threads(),
        },
        "steps": steps,
        "stopped_by_deadline": runs[0].status == STOPPED,
        "seconds": round(time.monotonic() - started, 1),
        "seconds_per_seed": seconds,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({out['seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
