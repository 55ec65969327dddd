"""A class on one server, measured with Locust: every target of a classroom run, HIT or MISS.

    python benchmarks/class_load.py [--students 30] [--think 3] [--minutes 10]
        [--mix image=1,flip=2,preset=1] [--model embedded] [--weights W] [--seed 0]
        [--burst-seconds 60] [--flip-seconds 30]

Starts `python app.py` as its own process on a free loopback port (the embedded model, downloads
off), records the join bodies the page sends for a new image, a flip and the "all skips off"
preset, then runs Locust headless (`benchmarks/locust_class.py`) in three phases:

1. the class: `--students` users, each with its own Gradio session and HTTP client, pausing an
   exponential `--think` seconds (mean; 0: no pause) between requests drawn from `--mix`, for
   `--minutes`; its latencies, errors and the server's memory over it;
2. no pause: the same class without thinking for `--burst-seconds` (its throughput; skipped
   when `--think 0`, where phase 1 is that already);
3. flips only, no pause, for `--flip-seconds`: the server's CPU per flip.

A request's latency is the span from its queue join to its `process_completed` event. Prints
p50 / p95 / max by kind, throughput, "queue full" answers apart from every other error (by
kind), the server's RSS (ready, after warm-up, peak, half-way, end) and its CPU seconds per
request (and Locust's own, same machine, same cores), then every target with its value:

- 30 students, 3 s think: p95 <= 500 ms;        - no pause: >= 25 requests/s;
- no errors other than "queue full";            - server CPU per flip <= 40 ms;
- memory growth over the class <= 100 MB (a 10-minute run) and <= 10 MB over its second half.

The speed and memory targets are the embedded model's; other models are measured, not judged.
Exits 1 when a target is missed. Talks only to 127.0.0.1; every phase is bounded in time.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from _server import (
    HOST,
    ROOT,
    MemoryWatch,
    cpu_seconds,
    error_kind,
    example_images,
    joins_sent,
    percentile,
    rss_mb,
    start_server,
    stop_server,
    verdict,
)
from gradio_client import Client, handle_file

from resnet_demo.ui.server import free_port

LOCUSTFILE = Path(__file__).resolve().parent / "locust_class.py"
MAX_P95_MS = 500.0
MIN_THROUGHPUT = 25.0
MAX_GROWTH_MB = 100.0
MAX_SECOND_HALF_GROWTH_MB = 10.0
MAX_FLIP_CPU_MS = 40.0
KINDS = ("image", "flip", "preset")
API_NAMES = {"image": "analyze", "flip": "switch", "preset": "preset_all_skip_off"}
SWITCHES: tuple[dict[str, str], ...] = (
    {},
    {"layer4.1": "branch-off"},
    {"layer1.0": "skip-off"},
    {"layer3": "skip-off"},
    {"layer2.0": "branch-off", "layer4.0": "skip-off"},
)
PROBE = {"layer4.1": "branch-off"}


@dataclass
class Phase:
    """What one Locust run saw, and what the server spent on it."""

    name: str
    rows: list[dict[str, Any]]
    cpu_server: float
    cpu_clients: float
    errors: collections.Counter[str] = field(default_factory=collections.Counter)
    queue_full: int = 0

    def __post_init__(self) -> None:
        for row in self.rows:
            if row["error"] is not None:
                kind = error_kind(row["error"])
                if kind is None:
                    self.queue_full += 1
                else:
                    self.errors[f"{row['kind']}: {kind}"] += 1

    def ms(self, kind: str | None = None) -> list[float]:
        """Latencies of the answered queue requests (of one kind), in ms."""
        return [
            row["ms"]
            for row in self.rows
            if row["type"] == "queue" and row["error"] is None and kind in (None, row["kind"])
        ]

    @property
    def requests(self) -> int:
        return sum(row["type"] == "queue" for row in self.rows)

    @property
    def span(self) -> tuple[float, float]:
        """Wall-clock time of the first request's start and the last one's end."""
        if not self.rows:
            return (0.0, 0.0)
        return (
            min(row["at"] - row["ms"] / 1e3 for row in self.rows),
            max(row["at"] for row in self.rows),
        )

    @property
    def throughput(self) -> float:
        began, ended = self.span
        return len(self.ms()) / (ended - began) if ended > began else float("nan")


def parse_mix(text: str) -> dict[str, int]:
    """`image=1,flip=2,preset=1` as weights; an unknown kind or a weight below 0 is an error."""
    mix = {}
    for part in text.split(","):
        kind, _, weight = part.partition("=")
        if kind.strip() not in KINDS or not weight.strip().isdigit():
            raise ValueError(f"--mix takes kind=weight with kinds {', '.join(KINDS)}: {part!r}")
        mix[kind.strip()] = int(weight)
    if sum(mix.values()) == 0:
        raise ValueError("--mix needs one weight above 0")
    return mix


def page_bodies(url: str, image: Path) -> dict[str, Any]:
    """The join bodies of a new image, a flip and the preset, as the page sends them.

    `gradio_client` makes one of each (its bodies are recorded), and `fn_index` and
    `trigger_id` are set from the app's /config by the events' api_name: the ids of the
    page's own listeners. Returns the bodies, and where in `data` the file and the strip go.
    """
    joins: list[dict[str, Any]] = []
    client = Client(url, verbose=False, download_files=False, analytics_enabled=False)
    try:
        with joins_sent(joins):
            client.predict(handle_file(str(image)), strip={"modes": PROBE}, api_name="/analyze")
            client.predict(strip={"modes": PROBE}, api_name="/switch")
            client.predict(api_name="/preset_all_skip_off")
    finally:
        client.close()
    config = httpx.get(f"{url}config", timeout=30).json()
    listeners = {dep.get("api_name"): dep for dep in config["dependencies"]}
    bodies = dict(zip(KINDS, joins[-3:], strict=True))
    for kind, body in bodies.items():
        listener = listeners[API_NAMES[kind]]
        body["fn_index"] = listener["id"]
        body["trigger_id"] = listener["targets"][0][0] if listener.get("targets") else None
        body.pop("session_hash", None)
    file_index = next(
        i
        for i, item in enumerate(bodies["image"]["data"])
        if isinstance(item, dict) and "path" in item
    )
    strip_index = {kind: bodies[kind]["data"].index({"modes": PROBE}) for kind in ("image", "flip")}
    return {"bodies": bodies, "file_index": file_index, "strip_index": strip_index}


def run_phase(
    name: str,
    url: str,
    server_pid: int,
    plan: dict[str, Any],
    folder: Path,
    students: int,
    seconds: float,
) -> Phase:
    """Run Locust headless for `seconds` on `plan`; what its users saw and the CPU it cost."""
    plan_path = folder / f"plan-{name}.json"
    results = folder / f"seen-{name}.json"
    plan_path.write_text(json.dumps({**plan, "results": str(results)}))
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless"]
    command += ["-u", str(students), "-r", str(students), "-t", f"{max(1, round(seconds))}s"]
    command += ["--host", url, "--only-summary", "--stop-timeout", "120", "--loglevel", "ERROR"]
    env = {**os.environ, "CLASS_LOAD_PLAN": str(plan_path)}
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_began = cpu_seconds(server_pid)
    done = subprocess.run(
        command,
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=seconds + 300,
        check=False,
    )
    cpu_server = cpu_seconds(server_pid) - server_began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_clients = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    if not results.exists():
        raise RuntimeError(
            f"Locust wrote no results (exit {done.returncode}):\n{done.stderr[-2000:]}"
        )
    return Phase(name, json.loads(results.read_text()), cpu_server, cpu_clients)


def flip_cpu_ms(flips: Phase, memory: MemoryWatch) -> float | None:
    """Server CPU ms per flip in the flips-only phase, from the CPU samples: counted from when
    the last student's first image (each starts with one) was answered, over the flips that
    began after it."""
    images = [row["at"] for row in flips.rows if row["kind"] == "image"]
    began = max(images, default=flips.span[0])
    ended = flips.span[1]
    after = [
        row for row in flips.rows if row["kind"] == "flip" and row["at"] - row["ms"] / 1e3 >= began
    ]
    if not after or ended <= began:
        return None
    return 1e3 * (memory.cpu_at(ended) - memory.cpu_at(began)) / len(after)


def describe(phase: Phase, students: int, think: float, seconds: float) -> None:
    """One phase's lines: latencies by kind, throughput, CPU per request, errors."""
    pause = f"an exponential {think:g} s think" if think > 0 else "no pause"
    print(f"{phase.name}: {students} students, {pause}, {seconds:.0f} s")
    for kind in (None, *KINDS):
        ms = phase.ms(kind)
        if ms:
            print(
                f"  {kind or 'all':6} {len(ms):5} answered: p50 {percentile(ms, 50):.0f} ms, "
                f"p95 {percentile(ms, 95):.0f} ms, max {max(ms):.0f} ms"
            )
    uploads = [row["ms"] for row in phase.rows if row["type"] == "upload" and not row["error"]]
    if uploads:
        print(f"  uploads (before an image's join): p50 {percentile(uploads, 50):.0f} ms")
    per = max(1, phase.requests)
    print(
        f"  throughput {phase.throughput:.1f} requests/s; CPU per request: server "
        f"{1e3 * phase.cpu_server / per:.0f} ms, Locust {1e3 * phase.cpu_clients / per:.0f} ms"
    )
    print(
        f"  queue full: {phase.queue_full}; "
        f"errors other than queue full: {sum(phase.errors.values())}"
    )
    for kind, count in phase.errors.most_common():
        print(f"    {count} x {kind}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=30, help="Locust users (default 30)")
    parser.add_argument(
        "--think", type=float, default=3.0, help="mean think time in s, exponential (0: none)"
    )
    parser.add_argument("--minutes", type=float, default=10.0, help="the class phase's length")
    parser.add_argument(
        "--mix", default="image=1,flip=2,preset=1", help="weights of the kinds of request"
    )
    parser.add_argument("--model", default="embedded", help="model the app starts on")
    parser.add_argument("--weights", default=None, help="the app's --weights")
    parser.add_argument("--seed", type=int, default=0, help="seed of the students' choices")
    parser.add_argument(
        "--burst-seconds", type=float, default=60.0, help="the no-pause phase (0: none)"
    )
    parser.add_argument(
        "--flip-seconds", type=float, default=30.0, help="the flips-only phase (0: none)"
    )
    args = parser.parse_args(argv)
    try:
        mix = parse_mix(args.mix)
    except ValueError as error:
        parser.error(str(error))
    if not 1 <= args.students <= 500 or args.think < 0 or not 0 < args.minutes <= 600:
        parser.error("--students must be 1..500, --think >= 0 and --minutes in (0, 600]")
    if args.burst_seconds < 0 or args.flip_seconds < 0:
        parser.error("--burst-seconds and --flip-seconds must be >= 0")

    images = example_images()
    port = free_port(HOST)
    url = f"http://{HOST}:{port}/"
    folder = Path(tempfile.mkdtemp(prefix="resnet-demo-class-"))
    started = time.perf_counter()
    server = start_server(port, args.model, str(folder / "gradio"), args.weights)
    burst: Phase | None = None
    flips: Phase | None = None
    try:
        ready_s = time.perf_counter() - started
        rss_ready = rss_mb(server.pid)
        plan = {
            **page_bodies(url, images[0]),
            "images": [str(path) for path in images],
            "switches": list(SWITCHES),
            "seed": args.seed,
        }
        rss_warm = rss_mb(server.pid)
        class_s = args.minutes * 60
        with MemoryWatch(server.pid, interval_s=0.5) as memory:
            lesson = run_phase(
                "class",
                url,
                server.pid,
                {**plan, "think": args.think, "mix": mix},
                folder,
                args.students,
                class_s,
            )
            rss_class_end = rss_mb(server.pid)
            if args.think > 0 and args.burst_seconds > 0:
                burst = run_phase(
                    "no pause",
                    url,
                    server.pid,
                    {**plan, "think": 0, "mix": mix},
                    folder,
                    args.students,
                    args.burst_seconds,
                )
            if args.flip_seconds > 0:
                flips = run_phase(
                    "flips only",
                    url,
                    server.pid,
                    {**plan, "think": 0, "mix": {"flip": 1}},
                    folder,
                    args.students,
                    args.flip_seconds,
                )
        time.sleep(1.0)  # let the server finish its bookkeeping before the last reading
        rss_end = rss_mb(server.pid)
    finally:
        stop_server(server)
        shutil.rmtree(folder, ignore_errors=True)

    began, ended = lesson.span
    rss_half = memory.at((began + ended) / 2)
    growth = rss_class_end - rss_ready
    second_half = rss_class_end - rss_half
    print(f"app: {args.model} on {url}, ready in {ready_s:.1f} s, {os.cpu_count()} CPU cores")
    describe(lesson, args.students, args.think, class_s)
    for phase, seconds in ((burst, args.burst_seconds), (flips, args.flip_seconds)):
        if phase is not None:
            describe(phase, args.students, 0, seconds)
    print(
        f"server memory (RSS): ready {rss_ready:.0f} MB, after warm-up {rss_warm:.0f} MB, "
        f"peak {memory.peak:.0f} MB, class half-way {rss_half:.0f} MB, class end "
        f"{rss_class_end:.0f} MB, end {rss_end:.0f} MB"
    )

    fast = burst if burst is not None else (lesson if args.think == 0 else None)
    errors = sum(sum(p.errors.values()) for p in (lesson, burst, flips) if p is not None)
    queue_full = sum(p.queue_full for p in (lesson, burst, flips) if p is not None)
    p95 = percentile(lesson.ms(), 95)
    targets: list[tuple[str, bool | None]] = []
    class_name = f"{args.students} students, {args.think:g} s think"
    targets.append(
        (f"{class_name}: p95 {p95:.0f} ms (target <= {MAX_P95_MS:.0f} ms)", p95 <= MAX_P95_MS)
    )
    if fast is not None:
        targets.append(
            (
                f"no pause: {fast.throughput:.1f} requests/s (target >= {MIN_THROUGHPUT:.0f})",
                fast.throughput >= MIN_THROUGHPUT,
            )
        )
    else:
        targets.append(("no pause: not run (--burst-seconds 0)", None))
    targets.append(
        (f"errors other than queue full: {errors} ({queue_full} queue full; target 0)", errors == 0)
    )
    length = f"a {args.minutes:g}-minute run" + (
        "" if args.minutes == 10 else ", the target's is 10"
    )
    targets.append(
        (
            f"memory growth over the class: {growth:+.0f} MB ({length}; target <= "
            f"{MAX_GROWTH_MB:.0f} MB)",
            growth <= MAX_GROWTH_MB,
        )
    )
    targets.append(
        (
            f"memory growth over its second half: {second_half:+.0f} MB (target <= "
            f"{MAX_SECOND_HALF_GROWTH_MB:.0f} MB)",
            second_half <= MAX_SECOND_HALF_GROWTH_MB,
        )
    )
    flip_cpu = flip_cpu_ms(flips, memory) if flips is not None else None
    if flip_cpu is not None:
        targets.append(
            (
                f"server CPU per flip: {flip_cpu:.0f} ms (target <= {MAX_FLIP_CPU_MS:.0f} ms)",
                flip_cpu <= MAX_FLIP_CPU_MS,
            )
        )
    else:
        overall = 1e3 * lesson.cpu_server / max(1, lesson.requests)
        targets.append(
            (f"server CPU per request, all kinds: {overall:.0f} ms (no flips-only phase)", None)
        )
    judged = args.model == "embedded"
    print("targets" + ("" if judged else " (the embedded model's; measured, not judged)") + ":")
    misses = 0
    for line, hit in targets:
        if hit is None or (not judged and not line.startswith("errors")):
            print(f"  ---  {line}")
            continue
        misses += not hit
        print(f"  {verdict(hit)}  {line}")
    print("result:", "targets met" if misses == 0 else f"{misses} target(s) MISSED")
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
