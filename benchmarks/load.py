"""A classroom at once: N API clients driving the app, with latency, throughput and memory.

    python benchmarks/load.py [--clients 30] [--requests 5] [--model embedded] [--weights W]
        [--seed 0] [--one-client 12]

Starts `python app.py` as its own process on a free loopback port (the embedded model, downloads
off), waits until its page answers, then runs `--clients` `gradio_client` clients at once, each
its own session making `--requests` requests in a seeded mix: upload an example image with some
switches set, flip switches, press the "all skips off" preset. Prints:

- first, one client alone: the median of `--one-client` switch flips and of as many new images
  (targets: 150 ms and 250 ms on the embedded model), and of the same flips sent by
  hand over HTTP with the handler's own time (what the client adds, what the server takes);
- p50 / p95 / max latency of the requests (seconds, measured by the clients) and throughput;
- errors other than Gradio's "queue full" answer, counted by kind (target: none);
- "queue full" answers (allowed: the queue is bounded on purpose);
- the server process's resident memory (RSS) when ready, after one warm-up request, at the peak,
  when half the requests are answered and at the end: the growth from ready to end (target: at
  most 150 MB) and over the second half (target: at most 20 MB);
- where the CPU went: seconds of CPU the server and these clients (same machine, same cores)
  spent per request, so a throughput figure can be read against the cores it had.

Targets (embedded model, 30 x 20): at least 15 requests/s and a p95 of at most 3 s.
Every target but "no errors" is the embedded model's; other models are measured, not judged.

Exits non-zero when a target is missed. Talks only to 127.0.0.1; every loop is bounded.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from _server import (
    HOST,
    MemoryWatch,
    cpu_seconds,
    error_kind,
    example_images,
    fresh_images,
    joins_sent,
    percentile,
    rss_mb,
    start_server,
    stop_server,
)
from gradio_client import Client, handle_file

from resnet_demo.ui.server import free_port

MAX_GROWTH_MB = 150.0
MAX_SECOND_HALF_GROWTH_MB = 20.0
MIN_THROUGHPUT = 15.0
MAX_P95_S = 3.0
FLIP_TARGET_MS = 150
IMAGE_TARGET_MS = 250
REQUEST_TIMEOUT_S = 300.0
SWITCHES: tuple[dict[str, str], ...] = (
    {},
    {"layer4.1": "branch-off"},
    {"layer1.0": "skip-off"},
    {"layer3": "skip-off"},
    {"layer2.0": "branch-off", "layer4.0": "skip-off"},
)


@dataclass
class Tally:
    """What the clients saw, shared between their threads (append under `lock`)."""

    latencies: list[float] = field(default_factory=list)
    errors: collections.Counter[str] = field(default_factory=collections.Counter)
    queue_full: int = 0
    answered: int = 0
    half: int = 0
    on_half: Callable[[], None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, seconds: float, error: Exception | None) -> None:
        with self.lock:
            self.answered += 1
            if self.answered == self.half and self.on_half is not None:
                self.on_half()
            if error is None:
                self.latencies.append(seconds)
            elif (kind := error_kind(error)) is None:
                self.queue_full += 1
            else:
                self.errors[kind] += 1


def student(
    seed: int, url: str, requests: int, images: list[Path], tally: Tally, start: threading.Event
) -> None:
    """One client: `requests` requests in a seeded mix of uploads, switch flips and a preset."""
    rng = random.Random(seed)
    try:
        client = new_client(url)
    except Exception as exc:  # noqa: BLE001 - a client that cannot connect fails every request
        start.wait(60)
        for _ in range(requests):
            tally.record(0.0, exc)
        return
    start.wait(60)  # every client connects first, then all start together
    has_image = False
    try:
        for _ in range(requests):
            op = rng.choice(["upload", "switch", "switch", "preset"]) if has_image else "upload"
            args: tuple[object, ...] = ()
            kwargs: dict[str, object] = {}
            if op == "upload":
                args = (handle_file(str(rng.choice(images))),)
                kwargs = {"strip": {"modes": rng.choice(SWITCHES)}, "api_name": "/analyze"}
            elif op == "switch":
                kwargs = {"strip": {"modes": rng.choice(SWITCHES)}, "api_name": "/switch"}
            else:
                kwargs = {"api_name": "/preset_all_skip_off"}
            began = time.perf_counter()
            error: Exception | None = None
            try:
                client.submit(*args, **kwargs).result(timeout=REQUEST_TIMEOUT_S)
                has_image = has_image or op == "upload"
            except Exception as exc:  # noqa: BLE001 - every failure is counted by kind
                error = exc
            tally.record(time.perf_counter() - began, error)
    finally:
        client.close()


def new_client(url: str) -> Client:
    """A client with its own session; like a browser, it waits up to a minute for an answer
    (httpx's default of 5 s is shorter than a busy classroom server's queue)."""
    return Client(
        url,
        verbose=False,
        download_files=False,
        analytics_enabled=False,
        httpx_kwargs={"timeout": httpx.Timeout(60.0, connect=10.0)},
    )


@dataclass
class Alone:
    """One client's medians, in seconds: through `gradio_client`, and the same flips sent by hand
    over HTTP (queue join and event stream only), with the handler time the server reports."""

    flip: float
    image: float
    flip_http: float
    flip_handler: float


def http_event(http: httpx.Client, url: str, body: dict) -> tuple[float, float]:
    """Send one queue join by hand and read the session's event stream until it completes.

    Returns:
        (seconds end to end, the handler's own duration as the server reports it).
    """
    began = time.perf_counter()
    http.post(f"{url}gradio_api/queue/join", json=body).raise_for_status()
    stream = f"{url}gradio_api/queue/data"
    with http.stream("GET", stream, params={"session_hash": body["session_hash"]}) as events:
        for line in events.iter_lines():
            message = json.loads(line[5:]) if line.startswith("data:") else {}
            if message.get("msg") == "process_completed":
                return time.perf_counter() - began, float(message["output"].get("duration", 0))
    raise RuntimeError("the event stream ended before the event completed")


def one_client(url: str, images: list[Path], rounds: int, folder: Path) -> Alone:
    """One client alone: the median switch flip (two settings in turn, on one analysed image)
    and new image (one never seen before, no switches), end to end through `gradio_client` (the
    answer with its file references, as a browser gets it before it fetches the pictures); then
    the same flips again as the client sent them, by hand over HTTP, to part the client's own
    cost from the server's."""
    client = new_client(url)
    joins: list[dict] = []
    try:
        client.predict(handle_file(str(images[0])), api_name="/analyze")
        flips = [{"layer1.0": "skip-off"}, {"layer4.1": "branch-off"}]
        flip_s, image_s = [], []
        with joins_sent(joins):
            for i in range(rounds):
                began = time.perf_counter()
                client.predict(strip={"modes": flips[i % 2]}, api_name="/switch")
                flip_s.append(time.perf_counter() - began)
        with httpx.Client(timeout=REQUEST_TIMEOUT_S) as http:
            by_hand = [http_event(http, url, joins[i % 2]) for i in range(rounds)]
        client.predict(strip={"modes": {}}, api_name="/switch")
        for path in fresh_images(images, rounds, folder):
            began = time.perf_counter()
            client.predict(handle_file(str(path)), api_name="/analyze")
            image_s.append(time.perf_counter() - began)
    finally:
        client.close()
    return Alone(
        flip=percentile(flip_s, 50),
        image=percentile(image_s, 50),
        flip_http=percentile([s for s, _ in by_hand], 50),
        flip_handler=percentile([d for _, d in by_hand], 50),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=30, help="clients at once (default 30)")
    parser.add_argument("--requests", type=int, default=5, help="requests per client (default 5)")
    parser.add_argument("--model", default="embedded", help="model the app starts on")
    parser.add_argument(
        "--weights", default=None, help="the app's --weights (e.g. 'random' for resnet50 offline)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the request mix")
    parser.add_argument(
        "--one-client", type=int, default=12, help="rounds of the one-client latencies (0: none)"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= 500 or not 1 <= args.requests <= 1000:
        parser.error("--clients must be 1..500 and --requests 1..1000")

    images = example_images()
    port = free_port(HOST)
    url = f"http://{HOST}:{port}/"
    started = time.perf_counter()
    cache_dir = tempfile.mkdtemp(prefix="resnet-demo-load-gradio-")
    server = start_server(port, args.model, cache_dir, args.weights)
    try:
        ready_s = time.perf_counter() - started
        rss_ready = rss_mb(server.pid)
        warm = new_client(url)
        warm.predict(handle_file(str(images[0])), api_name="/analyze")
        warm.close()
        rss_warm = rss_mb(server.pid)
        fresh = Path(cache_dir) / "fresh"
        fresh.mkdir()
        alone = one_client(url, images, args.one_client, fresh) if args.one_client > 0 else None

        rss_half: list[float] = []
        total = args.clients * args.requests
        tally = Tally(half=max(1, total // 2), on_half=lambda: rss_half.append(rss_mb(server.pid)))
        go = threading.Event()
        with MemoryWatch(server.pid) as memory, ThreadPoolExecutor(args.clients) as pool:
            futures = [
                pool.submit(student, args.seed * 1000 + i, url, args.requests, images, tally, go)
                for i in range(args.clients)
            ]
            time.sleep(0.5)
            began = time.perf_counter()
            cpu_began = (cpu_seconds(server.pid), cpu_seconds(os.getpid()))
            go.set()
            for future in futures:
                future.result(timeout=REQUEST_TIMEOUT_S * args.requests)
            wall = time.perf_counter() - began
            cpu_server = cpu_seconds(server.pid) - cpu_began[0]
            cpu_clients = cpu_seconds(os.getpid()) - cpu_began[1]
        time.sleep(1.0)  # let the server finish its bookkeeping before the last reading
        rss_end = rss_mb(server.pid)
    finally:
        stop_server(server)
        shutil.rmtree(cache_dir, ignore_errors=True)

    done = len(tally.latencies)
    growth = rss_end - rss_ready
    second_half = rss_end - rss_half[0] if rss_half else float("nan")
    p95 = percentile(tally.latencies, 95)
    throughput = done / wall
    print(f"app: {args.model} on {url}, ready in {ready_s:.1f} s, {os.cpu_count()} CPU cores")
    if alone is not None:
        print(
            f"one client alone (median of {args.one_client}): "
            f"switch flip {alone.flip * 1e3:.0f} ms (target <= {FLIP_TARGET_MS} ms), "
            f"new image {alone.image * 1e3:.0f} ms (target <= {IMAGE_TARGET_MS} ms)"
        )
        print(
            f"  the same flips sent by hand over HTTP (queue join + event stream): "
            f"{alone.flip_http * 1e3:.0f} ms, of which the handler (as the server reports it) "
            f"{alone.flip_handler * 1e3:.0f} ms; gradio_client's own share: "
            f"{(alone.flip - alone.flip_http) * 1e3:.0f} ms"
        )
    print(f"load: {args.clients} clients x {args.requests} requests = {total} requests")
    print(
        f"latency: p50 {percentile(tally.latencies, 50):.2f} s, "
        f"p95 {p95:.2f} s (target <= {MAX_P95_S:.0f} s), "
        f"max {max(tally.latencies, default=float('nan')):.2f} s"
    )
    print(
        f"throughput: {throughput:.2f} requests/s ({done} answered in {wall:.1f} s; "
        f"target >= {MIN_THROUGHPUT:.0f})"
    )
    print(
        f"CPU per request: server {1e3 * cpu_server / max(1, tally.answered):.0f} ms, these "
        f"clients {1e3 * cpu_clients / max(1, tally.answered):.0f} ms; the {os.cpu_count()} cores "
        f"were {100 * (cpu_server + cpu_clients) / (wall * (os.cpu_count() or 1)):.0f} % busy "
        f"with the two"
    )
    print(f"queue full: {tally.queue_full}")
    print(f"errors other than queue full: {sum(tally.errors.values())}")
    for kind, count in tally.errors.most_common():
        print(f"  {count} x {kind}")
    print(
        f"server memory (RSS): ready {rss_ready:.0f} MB, after warm-up {rss_warm:.0f} MB, "
        f"peak {memory.peak:.0f} MB, half-way {rss_half[0] if rss_half else float('nan'):.0f} MB, "
        f"end {rss_end:.0f} MB; growth {growth:+.0f} MB (target <= {MAX_GROWTH_MB:.0f} MB), "
        f"over the second half {second_half:+.0f} MB (target <= {MAX_SECOND_HALF_GROWTH_MB:.0f} MB)"
    )
    misses = []
    if tally.errors:
        misses.append("errors other than queue full")
    if args.model != "embedded":  # the speed and memory targets are the embedded model's
        print("result:", "no errors" if not misses else "MISSED: " + "; ".join(misses))
        return 1 if misses else 0
    if growth > MAX_GROWTH_MB:
        misses.append(f"memory grew {growth:.0f} MB")
    if second_half > MAX_SECOND_HALF_GROWTH_MB:
        misses.append(f"memory grew {second_half:.0f} MB over the second half")
    if throughput < MIN_THROUGHPUT:
        misses.append(f"{throughput:.1f} requests/s")
    if p95 > MAX_P95_S:
        misses.append(f"p95 {p95:.1f} s")
    if alone is not None and alone.flip * 1e3 > FLIP_TARGET_MS:
        misses.append(f"a flip took {alone.flip * 1e3:.0f} ms")
    if alone is not None and alone.image * 1e3 > IMAGE_TARGET_MS:
        misses.append(f"a new image took {alone.image * 1e3:.0f} ms")
    print("result:", "targets met" if not misses else "MISSED: " + "; ".join(misses))
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
