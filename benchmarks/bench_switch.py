"""How fast the app answers a switch flip, and how fast it starts.

    python benchmarks/bench_switch.py [--flips 15] [--threads N] [--skip-startup]

1. Flip time (budget: within 1 s of server time): after an image is analysed, the server-side
   handler of one switch flip (`Handlers.on_settings`: the switched analysis, the comparison and
   every picture of the view) is timed, flipping a different single block each time, for the
   embedded model and for ResNet-18 (seeded random weights: same architecture and cost as the
   ImageNet weights). Median and max over `--flips` flips; the first flip is a warm-up.
2. Start-to-ready: `python app.py` is started as a fresh process on a free port and timed until
   its page answers HTTP 200 (the budget is 15 s).

Prints one line per figure; exits non-zero if a figure misses its budget.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import torch

from resnet_demo.models import LoadedModel, load_model
from resnet_demo.switches import block_names
from resnet_demo.ui.layout import build_page
from resnet_demo.ui.registry import ModelRegistry
from resnet_demo.ui.server import default_threads, free_port
from resnet_demo.ui.session import new_session

ROOT = Path(__file__).resolve().parents[1]

FLIP_BUDGET_S = 1.0
START_BUDGET_S = 15.0
IMAGES = {"embedded": "shapes_*.png", "resnet18": "chelsea.jpg"}


def example_for(model_name: str) -> Path:
    examples = ROOT / "assets" / "examples"
    found = sorted(examples.glob(IMAGES.get(model_name, "chelsea.jpg")))
    return found[0] if found else examples / "chelsea.jpg"


def flip_times(model: LoadedModel, flips: int) -> tuple[float, list[float]]:
    """(first analysis time, flip handler times) in seconds."""
    _, page, handlers = build_page(model, registry=ModelRegistry(model, allow_download=False))
    session = new_session(handlers.registry)
    controls = {"layer": "layer4", "top_k": 5, "opacity": 0.5, "lang": "en"}
    start = time.perf_counter()
    session = handlers.on_image(
        str(example_for(model.spec.arch)), session, target=-1, strip=None, **controls
    )[page.state]
    first = time.perf_counter() - start
    blocks = block_names(model.module)
    times = []
    for i in range(flips + 1):
        block = blocks[i % len(blocks)]
        mode = ("skip-off", "branch-off")[(i // len(blocks)) % 2]
        strip = {"modes": {block: mode}}
        start = time.perf_counter()
        outputs = handlers.on_settings(session, target=-1, strip=strip, **controls)
        times.append(time.perf_counter() - start)
        assert outputs[page.state].comparison is not None, "a flip must produce a comparison"
    return first, times[1:]


def start_to_ready(timeout_s: float = 60.0) -> float:
    """Seconds from spawning `python app.py` to its page answering 200."""
    port = free_port()
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"}
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "app.py"), "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        while time.perf_counter() - start < timeout_s:
            if process.poll() is not None:
                raise RuntimeError(f"app.py exited: {process.stderr.read().decode()[-500:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as reply:
                    if reply.status == 200:
                        return time.perf_counter() - start
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"app.py not ready after {timeout_s:.0f} s")
    finally:
        process.terminate()
        process.wait(timeout=10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flips", type=int, default=15, help="timed flips per model")
    parser.add_argument(
        "--threads", type=int, default=default_threads(), help="torch threads (as the app)"
    )
    parser.add_argument("--skip-startup", action="store_true", help="do not time app start-up")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch threads: {torch.get_num_threads()}, CPU cores: {os.cpu_count()}")
    ok = True
    for name, weights in (("embedded", None), ("resnet18", "random")):
        model = load_model(name, weights)
        first, times = flip_times(model, args.flips)
        median = statistics.median(times)
        ok &= median <= FLIP_BUDGET_S
        print(
            f"flip {name:9s} ({model.preprocessing.crop_size} px, {len(block_names(model.module))}"
            f" blocks): median {1000 * median:6.0f} ms, max {1000 * max(times):6.0f} ms over"
            f" {len(times)} flips; first analysis {1000 * first:6.0f} ms"
            f" [{'ok' if median <= FLIP_BUDGET_S else 'OVER'} budget {FLIP_BUDGET_S:.0f} s]"
        )
    if not args.skip_startup:
        ready = start_to_ready()
        ok &= ready <= START_BUDGET_S
        print(
            f"start-to-ready (python app.py, embedded): {ready:.1f} s"
            f" [{'ok' if ready <= START_BUDGET_S else 'OVER'} budget {START_BUDGET_S:.0f} s]"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
