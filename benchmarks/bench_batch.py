"""How long a batch of images takes: 64 fresh shapes with every skip off.

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
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

# This process's own Gradio upload cache: the default, /tmp/gradio, is shared by every Gradio
# process on the machine, and an app that closes deletes its uploads there.
os.environ.setdefault("GRADIO_TEMP_DIR", tempfile.mkdtemp(prefix="bench-batch-gradio-"))

import torch
from gradio_client import Client

from resnet_demo import batch as core
from resnet_demo.models import LoadedModel, load_model
from resnet_demo.switches import block_names
from resnet_demo.ui import build_demo, configure_queue, launch_kwargs, parse_args
from resnet_demo.ui.server import default_threads, free_port

HOST = "127.0.0.1"


@contextmanager
def running_app(model: LoadedModel) -> Iterator[str]:
    """The app with the server's queue and launch settings, in this process, on a free loopback
    port; yields its URL and closes it after."""
    kwargs = launch_kwargs(parse_args(["--host", HOST, "--port", "0"]))
    kwargs["server_port"] = free_port(HOST)
    demo = configure_queue(build_demo(model, "en"))
    demo.launch(**kwargs, prevent_thread_lock=True, quiet=True)
    try:
        yield str(demo.local_url)
    finally:
        demo.close()


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
    with running_app(model) as url:
        client = Client(
            url,
            verbose=False,
            download_files=False,
            analytics_enabled=False,
            httpx_kwargs={"timeout": 60.0},  # httpx's 5 s is too short on a busy machine
        )
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
