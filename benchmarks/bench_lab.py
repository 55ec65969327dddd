"""How long the lab's lesion panels take on their default model, `embedded-deep` (27 blocks).

    python benchmarks/bench_lab.py [--repeats 3] [--threads N]

Times what a click on each panel computes, with its default settings (budgets: lesion curves
≤ 30 s, a lesion sweep ≤ 10 s on the project's 2-core machine):

1. Lesion sweep: a new generated shape per run (the panel's default source when there is no
   main image; the sweep caches per image), each of the 27 blocks' branch off, then each skip off
   (`lab.lesion_sweep`).
2. Lesion curves: 64 fresh shapes, `DRAWS` (20) draws per k, k = 0 … 10 (`lab.lesion_curves`,
   `MAX_K`).
3. The robustness panel: the curves of `embedded` and `embedded-no-sd` on the same 64 shapes.

Shape generation is included (the panel generates them per click). Median and max over
`--repeats` runs after one warm-up; prints one line per panel and exits non-zero if a median
misses its budget. Timings depend on the machine and its load: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch

from resnet_demo import lab, shapes
from resnet_demo.lab.curves import DRAWS, MAX_K
from resnet_demo.lab.image_sets import shapes_set
from resnet_demo.models import EMBEDDED, EMBEDDED_DEEP, EMBEDDED_NO_SD, load_model

BUDGETS_S = {"sweep": 10.0, "curves": 30.0, "robustness": 60.0}
"""Seconds per click; the robustness panel (two models) has no target of its own: twice the
curves'."""


def timed(run: Callable[[], object], repeats: int) -> tuple[float, float]:
    """(median, max) seconds of `run` over `repeats` calls after one warm-up call."""
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), max(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per panel")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    deep = load_model(EMBEDDED_DEEP)
    pair = [load_model(EMBEDDED), load_model(EMBEDDED_NO_SD)]
    seeds = iter(range(shapes.TEST_SEED_START + 5_000_000, shapes.TEST_SEED_START + 6_000_000))

    def sweep() -> object:
        # a new shape each click: the sweep caches its result per image
        return lab.lesion_sweep(deep, shapes.generate_sample(next(seeds)).image)

    def curves(model: object) -> object:
        images = shapes_set(64, 0)
        return lab.lesion_curves(
            model, images.images, images.labels, draws=DRAWS, seed=0, image_set=images, max_k=MAX_K
        )

    panels: dict[str, Callable[[], object]] = {
        "sweep": sweep,
        "curves": lambda: curves(deep),
        "robustness": lambda: [curves(m) for m in pair],
    }
    print(f"torch threads: {args.threads}; model {EMBEDDED_DEEP} (27 blocks, 32 px)")
    failed = False
    for name, run in panels.items():
        median, worst = timed(run, args.repeats)
        ok = median <= BUDGETS_S[name]
        failed |= not ok
        print(
            f"{name:<11} median {median:6.2f} s  max {worst:6.2f} s  "
            f"budget {BUDGETS_S[name]:.0f} s  {'ok' if ok else 'OVER'}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
