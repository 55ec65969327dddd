"""Memory of the attribution methods above idle, ResNet-50 at 224 px (budget: ≤ 500 MB).

Each method runs in a fresh process: the process loads the model (random weights: memory does not
depend on their values), runs one bare forward pass and one `analyze` with Grad-CAM (its "idle"
state: what the app holds after serving one ordinary request), records its resident memory, then
runs the method once through `attribution_map` and reads the peak resident memory of the whole
process (`ru_maxrss`). Printed per method: idle MB, peak MB, peak above idle, the batch size the
method ran with (`methods.batch_size_for`), and PASS/MISS against the budget.

    python benchmarks/bench_method_memory.py [--model resnet50] [--methods smoothgrad ...]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BUDGET_MB = 500
DEFAULT_METHODS = ("integrated-gradients", "smoothgrad", "occlusion", "guided-gradcam", "saliency")


def _rss_mb() -> float:
    """Resident memory of this process now, in MB (Linux /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def measure_one(model_name: str, method: str, threads: int) -> dict[str, float | int | str]:
    """Run in the child process: idle resident memory, then one map, then the peak."""
    import numpy as np
    import torch

    from resnet_demo.analysis import analyze, attribution_map, methods
    from resnet_demo.models import load_model

    torch.set_num_threads(threads)
    model = load_model(model_name, "random", allow_download=False, progress=False)
    image = np.random.default_rng(0).integers(0, 256, (256, 256, 3), dtype=np.uint8)
    analysis = analyze(model, image)
    idle = _rss_mb()
    attribution_map(model, image, analysis.target, method)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    shapes = [b.out_shape for b in analysis.blocks]
    per_image = methods.graph_bytes(shapes, analysis.image.shape[0])
    if method == methods.OCCLUSION:  # as engine._method_map: forward only, no graph
        per_image //= methods.GRAPH_MAPS_PER_BLOCK
    return {
        "method": method,
        "idle_mb": round(idle, 1),
        "peak_mb": round(peak, 1),
        "above_idle_mb": round(peak - idle, 1),
        "batch": methods.batch_size_for(per_image),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="resnet50")
    parser.add_argument("--methods", nargs="+", default=list(DEFAULT_METHODS))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure_one(args.model, args.child, args.threads)))
        return 0
    print(f"memory above idle, {args.model} (random weights) at 224 px, budget {BUDGET_MB} MB")
    print("| method | idle MB | peak MB | above idle MB | batch | budget |")
    print("|---|---|---|---|---|---|")
    worst = 0.0
    for method in args.methods:
        command = [sys.executable, __file__, "--model", args.model, "--child", method]
        command += ["--threads", str(args.threads)]
        out = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
        row = json.loads(out.stdout.strip().splitlines()[-1])
        verdict = "PASS" if row["above_idle_mb"] <= BUDGET_MB else "MISS"
        worst = max(worst, float(row["above_idle_mb"]))
        print(
            f"| {method} | {row['idle_mb']} | {row['peak_mb']} | {row['above_idle_mb']} | "
            f"{row['batch']} | {verdict} |",
            flush=True,
        )
    print(f"largest: {worst:.1f} MB above idle ({'PASS' if worst <= BUDGET_MB else 'MISS'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
