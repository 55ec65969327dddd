"""What the load benchmarks share: the app as a process of its own, its memory and CPU read from
/proc while clients drive it, the examples made new, errors sorted by kind, percentiles.

`load.py` (gradio_client clients) and `class_load.py` (a Locust class) import it; it is not a
benchmark itself.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
EXAMPLES = ROOT / "assets" / "examples"
READY_TIMEOUT_S = 120.0
QUEUE_FULL = "queue is full"


def example_images() -> list[Path]:
    """The shipped examples, the shapes first."""
    return [*sorted(EXAMPLES.glob("shapes_*.png")), *sorted(EXAMPLES.glob("*.jpg"))]


def rss_mb(pid: int) -> float:
    """Resident memory of process `pid` in MB (psutil when installed, else /proc)."""
    try:
        import psutil  # type: ignore[import-not-found]

        return psutil.Process(pid).memory_info().rss / 2**20
    except ImportError:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"cannot read the memory of process {pid}")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds process `pid` has used (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds_with_children(pid: int) -> float:
    """CPU seconds of process `pid` and of its children that have ended (a subprocess's own)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / os.sysconf("SC_CLK_TCK")


class MemoryWatch:
    """Samples a process's RSS and CPU every `interval_s` seconds in a thread; keeps the peak
    RSS and every sample as (wall-clock time, MB, CPU seconds)."""

    def __init__(self, pid: int, interval_s: float = 0.2) -> None:
        self.pid = pid
        self.peak = rss_mb(pid)
        self.samples: list[tuple[float, float, float]] = [
            (time.time(), self.peak, cpu_seconds(pid))
        ]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval_s,), daemon=True)

    def _run(self, interval_s: float) -> None:
        while not self._stop.wait(interval_s):
            with contextlib.suppress(OSError):  # the process may have ended
                mb = rss_mb(self.pid)
                self.samples.append((time.time(), mb, cpu_seconds(self.pid)))
                self.peak = max(self.peak, mb)

    def at(self, when: float) -> float:
        """The RSS in MB sampled nearest to wall-clock time `when`."""
        return self._nearest(when)[1]

    def cpu_at(self, when: float) -> float:
        """The CPU seconds sampled nearest to wall-clock time `when`."""
        return self._nearest(when)[2]

    def _nearest(self, when: float) -> tuple[float, float, float]:
        return min(self.samples, key=lambda sample: abs(sample[0] - when))

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def start_server(
    port: int, model: str, cache_dir: str, weights: str | None = None
) -> subprocess.Popen[bytes]:
    """`python app.py` on `HOST:port`, its output discarded; returns once the page answers.

    The app gets its own Gradio upload cache (`cache_dir`): the default `/tmp/gradio` is shared
    with every other Gradio process on the machine, and one that closes deletes its uploads
    there, even files this app is reading at that moment.
    """
    command = [sys.executable, str(ROOT / "app.py"), "--host", HOST, "--port", str(port)]
    command += ["--model", model, "--offline", *(["--weights", weights] if weights else [])]
    env = {**os.environ, "GRADIO_TEMP_DIR": cache_dir}
    server = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the app exited with code {server.returncode} before it was ready")
        try:
            if httpx.get(f"http://{HOST}:{port}/config", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    stop_server(server)
    raise RuntimeError(f"the app was not ready after {READY_TIMEOUT_S:.0f} s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    """Interrupt the app (as Ctrl-C would), then kill it if it does not stop in 10 s."""
    if server.poll() is None:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


def fresh_images(images: list[Path], count: int, folder: Path, start: int = 0) -> list[Path]:
    """`count` images the server has never seen: the examples in turn, each with one pixel
    changed to a value of its own (a new digest, so no cached analysis answers it)."""
    paths = []
    for i in range(start, start + count):
        with Image.open(images[i % len(images)]) as opened:
            image = opened.convert("RGB")
        image.putpixel((0, 0), (i % 256, (i // 256) % 256, 7))
        path = folder / f"fresh-{i}.png"
        image.save(path)
        paths.append(path)
    return paths


def error_kind(error: BaseException | str) -> str | None:
    """How a failed request is counted: None for Gradio's "queue full" answer (allowed: the
    queue is bounded on purpose), else its kind, the exception's type and message cut short."""
    text = str(error)
    if QUEUE_FULL in text.lower():
        return None
    if isinstance(error, str):
        return text[:120]
    return f"{type(error).__name__}: {text[:120]}"


@contextlib.contextmanager
def joins_sent(into: list[dict[str, Any]]) -> Iterator[None]:
    """Record the JSON body of every queue join `gradio_client` posts (it calls `httpx.post`)."""
    post = httpx.post

    def recording(url: Any, *args: Any, **kwargs: Any) -> httpx.Response:
        body = kwargs.get("json")
        if "queue/join" in str(url) and isinstance(body, dict):
            into.append(dict(body))
        return post(url, *args, **kwargs)

    httpx.post = recording  # type: ignore[assignment]
    try:
        yield
    finally:
        httpx.post = post  # type: ignore[assignment]


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation; nan for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def verdict(hit: bool) -> str:
    """HIT or MISS, for a target line."""
    return "HIT " if hit else "MISS"
