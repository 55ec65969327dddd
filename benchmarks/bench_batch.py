"""How long a batch of images takes (issue 13 §2): 64 fresh shapes with every skip off.

    python benchmarks/bench_batch.py [--images 64] [--runs 3]

1. Core: `resnet_demo.batch.classify_batch` in this process (two forward passes per image), with
   the server's torch threads (`server.default_threads`).
2. End to end: the running app (the server's own queue and launch settings, on loopback) through
   `gradio_client`, `/batch_shapes` after `/preset_all_skip_off`: the core, the per-image
   progress messages, the two galleries' pictures, the tables and the CSV.

Prints the median and every run of each, and the load average (other jobs on the machine's
cores slow both). The first run of each is a warm-up and not counted in the median.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import torch  # noqa: E402 - after the path so the script runs from a checkout
from app_server import new_client, running_app  # type: ignore[import-not-found]  # noqa: E402 - tests/ is on the path above

from resnet_demo import batch as core  # noqa: E402
from resnet_demo.models import load_model  # noqa: E402
from resnet_demo.switches import block_names  # noqa: E402
from resnet_demo.ui.server import default_threads  # noqa: E402


def _line(name: str, times: list[float]) -> str:
    median = statistics.median(times[1:] or times)
    runs = ", ".join(f"{t:.2f}" for t in times)
    return f"{name}: median {median:.2f} s (runs: {runs} s; first = warm-up)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=core.MAX_IMAGES, help="shapes per batch")
    parser.add_argument("--runs", type=int, default=3, help="runs of each (first: warm-up)")
    args = parser.parse_args()
    torch.set_num_threads(default_threads())  # as the server runs (`app.py --threads`)
    model = load_model()
    all_off = dict.fromkeys(block_names(model.module), "skip-off")
    core_times, app_times = [], []
    for _ in range(args.runs):
        sources = core.shape_sources(model, args.images)
        start = time.perf_counter()
        core.classify_batch(model, sources, all_off)
        core_times.append(time.perf_counter() - start)
    with running_app(model) as app:
        client = new_client(app.url, None)
        client.predict(api_name="/preset_all_skip_off")
        for _ in range(args.runs):
            start = time.perf_counter()
            client.predict(count=args.images, api_name="/batch_shapes")
            app_times.append(time.perf_counter() - start)
    print(f"{args.images} fresh shapes, every skip off, embedded model")
    print(_line("core (in process)", core_times))
    print(_line("end to end (gradio_client)", app_times))
    print(f"load average (1 min): {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
