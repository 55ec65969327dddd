"""Measure the sanity checks (Adebayo et al. 2018) of the app's heat-map methods on fresh shapes.

    .venv/bin/python -m training.measure_sanity [--model embedded] [--shapes 8] [--jobs 4] \
        [--out assets/sanity_measured.json]

For each of `--shapes` fresh shapes (seeds from `SANITY_SEED`, never trained on) it runs
`resnet_demo.lab.sanity.sanity_check` with the default methods (Grad-CAM, saliency, Guided
Grad-CAM, integrated gradients, gradient × activation) on the model's top-1 class, and records
per method and step the mean and sample s.d. over the shapes of the three similarities to the
trained map (Spearman of |map|, signed Spearman, SSIM of |map|), plus how many maps were zero.
A zero map has no ranking: its Spearman is left out of the mean (the count says how many).
The teaching note `note_sanity_measured` quotes the last step of this file, and
tests/test_lab_sanity.py checks that it does.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from resnet_demo import shapes
from resnet_demo.lab.sanity import DEFAULT_METHODS, SanityCheck, sanity_check
from resnet_demo.models import EMBEDDED, load_model

SANITY_SEED = shapes.TEST_SEED_START + 8_000_000
"""First shape seed of the measurement (the test namespace; the lab's other sets use
+3,000,000 … +5,000,000)."""
OUT = Path(__file__).resolve().parents[1] / "assets" / "sanity_measured.json"
MEASURES = ("spearman_abs", "spearman", "ssim")


def _mean_sd(values: np.ndarray) -> dict[str, float | int | None]:
    """Mean and sample s.d. of the finite values (None when there are none), and their count."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return {"mean": None, "sd": None, "n": 0}
    sd = float(finite.std(ddof=1)) if finite.size > 1 else 0.0
    return {"mean": round(float(finite.mean()), 4), "sd": round(sd, 4), "n": int(finite.size)}


def one_shape(job: tuple[str, int, int]) -> SanityCheck:
    """The sanity check of shape `SANITY_SEED + index` (one worker process, one thread)."""
    model_name, index, seed = job
    torch.set_num_threads(1)
    model = load_model(model_name)
    image = shapes.generate_sample(SANITY_SEED + index, model.preprocessing.crop_size).image
    check = sanity_check(model, image, DEFAULT_METHODS, seed=seed)
    print(f"shape {index + 1} done", flush=True)
    return check


def _rounded(value: float) -> float | None:
    return round(float(value), 4) if math.isfinite(value) else None


def measure(
    model_name: str = EMBEDDED, n_shapes: int = 8, seed: int = 0, jobs: int = 1
) -> dict[str, Any]:
    """Run the sanity check on `n_shapes` fresh shapes (in `jobs` processes) and summarise it
    (see the module docstring). Returns the JSON-ready record."""
    model = load_model(model_name)
    size = model.preprocessing.crop_size
    started = time.perf_counter()
    work = [(model_name, i, seed) for i in range(n_shapes)]
    if jobs > 1:
        with multiprocessing.get_context("spawn").Pool(jobs) as pool:
            runs = pool.map(one_shape, work)
    else:
        runs = [one_shape(job) for job in work]
    steps = list(runs[0].steps)
    methods: dict[str, Any] = {}
    for m in DEFAULT_METHODS:
        entry: dict[str, Any] = {}
        for measure_ in MEASURES:
            table = np.array([getattr(r, measure_)[m] for r in runs])  # (shapes, steps)
            entry[measure_] = [_mean_sd(table[:, k]) for k in range(len(steps))]
        entry["zero_maps"] = [int(sum(r.zero[m][k] for r in runs)) for k in range(len(steps))]
        entry["last_step_per_shape"] = {
            measure_: [_rounded(getattr(r, measure_)[m][-1]) for r in runs] for measure_ in MEASURES
        }
        methods[m] = entry
    return {
        "command": f"python -m training.measure_sanity --model {model_name} --shapes {n_shapes}"
        f" --seed {seed}",
        "model": model.name,
        "weights_source": model.source,
        "shapes": {"first_seed": SANITY_SEED, "n": n_shapes, "size": size},
        "target": "the trained model's top-1 class of each shape",
        "cam_layer": runs[0].cam_layer,
        "reinit_seed": seed,
        "steps": steps,
        "methods": methods,
        "seconds": round(time.perf_counter() - started),
        "torch": torch.__version__,
    }


def final(record: dict[str, Any], method: str, measure_: str) -> float:
    """Mean `measure_` of `method` after the last step (full randomisation); NaN if none."""
    value = record["methods"][method][measure_][-1]["mean"]
    return math.nan if value is None else float(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=EMBEDDED)
    parser.add_argument("--shapes", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=1, help="worker processes")
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args(argv)
    record = measure(args.model, args.shapes, args.seed, args.jobs)
    Path(args.out).write_text(json.dumps(record, indent=1, allow_nan=False) + "\n", "utf-8")
    for m in DEFAULT_METHODS:
        words = ", ".join(f"{k} {final(record, m, k):.2f}" for k in MEASURES)
        print(f"{m}: after full randomisation {words}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
