"""Many clients at once on the running app: each gets the answer for its own image and switches,
no hook, lock or cache entry is left behind, and clients that leave mid-request cost nothing.

The app runs in this process (module fixture, `tests/app_server.py`) on the embedded model, so
the tests can look at the shared model, its lock and the analysis cache while `gradio_client`
clients talk to it over loopback HTTP. Every answer is checked against the same analysis run
sequentially in this process before the load starts.
"""

from __future__ import annotations

import itertools
import random
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import pytest
from app_server import (
    EXAMPLES,
    RunningApp,
    default_model,
    new_client,
    output_positions,
    raw_join,
    raw_upload,
    running_app,
    wait_for,
)
from conftest import count_hooks
from gradio_client import handle_file
from gradio_client.utils import QueueError
from PIL import Image
from playwright.sync_api import expect, sync_playwright

from resnet_demo.analysis import Analysis, analyze, methods
from resnet_demo.models import LoadedModel
from resnet_demo.switches import block_names
from resnet_demo.text import t
from resnet_demo.ui.inputs import read_image
from resnet_demo.ui.strip import strip_props
from resnet_demo.ui.views import class_names

pytestmark = pytest.mark.server

FIELD: dict[str, int] = {}
"""Position of each view output in a client's answer, by name (from the running app's config)."""
CLIENTS = 8
REQUESTS_PER_CLIENT = 25  # 8 x 25 = 200 requests
CACHE_ENTRIES = 4
"""Fewer intact analyses kept than images in play, so the cache must evict while loaded."""
TOLERANCE = 1e-6
PAUSE_LIMIT_S = 20.0
"""Longest a paused analysis waits to be released: a broken test never hangs the suite."""
CHROMIUM = Path("/usr/bin/chromium")

SWITCHES: dict[str, dict[str, str]] = {
    "intact": {},
    "layer4.1 branch-off": {"layer4.1": "branch-off"},
    "layer1.0 skip-off": {"layer1.0": "skip-off"},
    "layer3 skip-off": {"layer3": "skip-off"},
    "mixed": {"layer2.0": "branch-off", "layer4.0": "skip-off"},
}
ALL_SKIP_OFF = "all skip-off"  # what the /preset_all_skip_off button sets


@dataclass(frozen=True)
class Expected:
    """What the page must show for one (image, switches) pair."""

    predictions: dict[str, float]
    ratios: tuple[str, ...]
    modes: dict[str, str]


def view_summary(out: tuple | list) -> tuple[dict[str, float], tuple[str, ...], dict[str, str]]:
    """(label -> probability, per-block ratio texts, block -> mode) of a view the client got."""
    preds = {c["label"]: c["confidence"] for c in out[FIELD["predictions"]]["confidences"]}
    strip = out[FIELD["strip"]]  # an update: the value and the props the page draws
    return (
        preds,
        tuple(row["ratio"] for row in strip["props"]["rows"]),
        dict(strip["value"]["modes"]),
    )


def matches(out: tuple | list, want: Expected) -> bool:
    preds, ratios, modes = view_summary(out)
    return (
        list(preds) == list(want.predictions)
        and np.allclose(list(preds.values()), list(want.predictions.values()), atol=TOLERANCE)
        and ratios == want.ratios
        and modes == want.modes
    )


# ---- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def model() -> LoadedModel:
    return default_model()


@pytest.fixture(scope="module")
def app(model: LoadedModel) -> Iterator[RunningApp]:
    with running_app(model, cache_entries=CACHE_ENTRIES) as running:
        FIELD.update(output_positions(running.url, "/analyze"))
        yield running


@pytest.fixture(scope="module")
def images() -> list[Path]:
    """The embedded model's shape examples and two photos: more images than cache entries."""
    paths = [
        *sorted(EXAMPLES.glob("shapes_*.png")),
        EXAMPLES / "chelsea.jpg",
        EXAMPLES / "coffee.jpg",
    ]
    assert len(paths) > CACHE_ENTRIES and all(p.is_file() for p in paths)
    return paths


@pytest.fixture(scope="module")
def switch_sets(model: LoadedModel) -> dict[str, dict[str, str]]:
    return {**SWITCHES, ALL_SKIP_OFF: dict.fromkeys(block_names(model.module), "skip-off")}


@pytest.fixture(scope="module")
def expected(
    model: LoadedModel, images: list[Path], switch_sets: dict[str, dict[str, str]]
) -> dict[tuple[Path, str], Expected]:
    """The answer for every (image, switches) pair, computed sequentially in this process the
    way the app computes it: intact analysis first, switched one explaining the intact top-1."""
    names = class_names(model, "en")
    blocks = block_names(model.module)
    table: dict[tuple[Path, str], Expected] = {}
    for path in images:
        image = read_image(str(path))
        intact = analyze(model, image)
        for key, switches in switch_sets.items():
            current: Analysis = intact
            if switches:
                current = analyze(model, image, switches=switches, target=intact.target)
            modes = dict(current.modes)
            strip = strip_props(blocks, current.blocks, "en")
            table[path, key] = Expected(
                predictions={
                    names[int(i)]: float(p)
                    for i, p in zip(current.top_indices, current.top_probs, strict=True)
                },
                ratios=tuple(row["ratio"] for row in strip["rows"]),
                modes=modes,
            )
    # Every pair must be told apart, or a swapped answer would go unnoticed.
    values = [np.array(list(e.predictions.values())) for e in table.values()]
    labels = [list(e.predictions) for e in table.values()]
    for i in range(len(values)):
        for j in range(i + 1, len(values)):
            same = labels[i] == labels[j] and np.allclose(values[i], values[j], atol=1e-4)
            assert not same, "two (image, switches) pairs give the same answer"
    return table


class Pause:
    """Holds every analysis inside Grad-CAM (model lock held) until released.

    Patches the Grad-CAM tail that the method registry's Grad-CAM entry calls
    (`analysis.methods.tail_grad_cam`), which runs under the model's lock in the middle of
    `analyze`: a paused request is truly mid-analysis.
    """

    def __init__(self, model: LoadedModel, monkeypatch: pytest.MonkeyPatch) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.lock_held: list[bool] = []
        original = methods.tail_grad_cam

        def paused(*args: object, **kwargs: object) -> object:
            self.lock_held.append(model.lock.locked())
            self.entered.set()
            self.release.wait(PAUSE_LIMIT_S)
            return original(*args, **kwargs)

        monkeypatch.setattr(methods, "tail_grad_cam", paused)


# ---- many clients at once -----------------------------------------------------------------


def run_client(
    seed: int, url: str, images: list[Path], expected: dict[tuple[Path, str], Expected]
) -> list[str]:
    """One student: REQUESTS_PER_CLIENT requests (uploads, switches, a preset) in a seeded order.

    Returns:
        A description of every wrong answer (empty when all were right).
    """
    rng = random.Random(seed)
    client = new_client(url, None)
    wrong: list[str] = []
    image: Path | None = None
    try:
        for step in range(REQUESTS_PER_CLIENT):
            op = "upload" if image is None else rng.choice(["upload", "switch", "switch", "preset"])
            if op == "upload":
                image = rng.choice([p for p in images if p != image])
                key = rng.choice(list(SWITCHES))
                out = client.predict(
                    handle_file(str(image)), strip={"modes": SWITCHES[key]}, api_name="/analyze"
                )
            elif op == "switch":
                key = rng.choice(list(SWITCHES))
                out = client.predict(strip={"modes": SWITCHES[key]}, api_name="/switch")
            else:
                key = ALL_SKIP_OFF
                out = client.predict(api_name="/preset_all_skip_off")
            if not matches(out, expected[image, key]):
                wrong.append(f"client {seed} step {step}: {op} {image.name} {key}")
    finally:
        client.close()
    return wrong


def test_many_clients_with_different_switches_each_get_their_own_answer(
    app: RunningApp, images: list[Path], expected: dict[tuple[Path, str], Expected]
) -> None:
    with ThreadPoolExecutor(CLIENTS) as pool:
        futures = [
            pool.submit(run_client, seed, app.url, images, expected) for seed in range(CLIENTS)
        ]
        wrong = [w for f in futures for w in f.result(timeout=300)]
    assert wrong == []
    assert app.wait_idle(30)
    assert count_hooks(app.model.module) == 0
    assert not app.model.lock.locked()
    assert len(app.cache) <= CACHE_ENTRIES
    assert app.cache.misses > CACHE_ENTRIES  # it evicted and recomputed: the bound was used


# ---- clients that leave mid-request ---------------------------------------------------------


def assert_nothing_left(app: RunningApp) -> None:
    """No event queued or running, the model's lock free, no hook on it, the cache in bounds."""
    assert app.wait_idle(PAUSE_LIMIT_S + 10), "an event or the model lock is still busy"
    assert count_hooks(app.model.module) == 0
    assert not app.model.lock.locked()
    assert len(app.cache) <= CACHE_ENTRIES


def assert_next_request_is_right(
    app: RunningApp, images: list[Path], expected: dict[tuple[Path, str], Expected]
) -> None:
    client = new_client(app.url, None)
    try:
        image = images[0]
        out = client.predict(
            handle_file(str(image)),
            strip={"modes": SWITCHES["mixed"]},
            api_name="/analyze",
        )
        assert matches(out, expected[image, "mixed"])
    finally:
        client.close()


_UNSEEN = itertools.count(1)


def unseen(image: Path, folder: Path) -> Path:
    """A copy of `image` with one pixel changed, never requested before: the app's answer cache
    (a setting already seen is not analysed again) cannot answer it, so an analysis runs."""
    n = next(_UNSEEN)
    pixels = np.array(Image.open(image).convert("RGB"))
    pixels[0, 0] = (n % 256, (n // 256) % 256, 7)
    path = folder / f"unseen{n}-{image.stem}.png"
    Image.fromarray(pixels).save(path)
    return path


@contextmanager
def paused_mid_analysis(
    app: RunningApp,
    images: list[Path],
    expected: dict[tuple[Path, str], Expected],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Pause]:
    """Hold every analysis inside Grad-CAM while the body runs; then release them, and check
    that nothing is left behind and that the next request gets the right answer."""
    assert app.wait_idle(30)
    pause = Pause(app.model, monkeypatch)
    try:
        yield pause
    finally:
        pause.release.set()
    assert_nothing_left(app)
    monkeypatch.undo()
    assert_next_request_is_right(app, images, expected)


def test_a_client_that_cancels_and_closes_mid_analysis_leaves_nothing_behind(
    app: RunningApp,
    images: list[Path],
    expected: dict[tuple[Path, str], Expected],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    with paused_mid_analysis(app, images, expected, monkeypatch) as pause:
        client = new_client(app.url, None)
        job = client.submit(
            handle_file(str(unseen(images[1], tmp_path))),
            strip={"modes": SWITCHES["layer3 skip-off"]},
            api_name="/analyze",
        )
        assert pause.entered.wait(PAUSE_LIMIT_S), "the analysis never started"
        assert pause.lock_held == [True]  # truly mid-analysis, holding the model's lock
        job.cancel()
        client.close()


def test_a_dropped_connection_mid_analysis_leaves_nothing_behind(
    app: RunningApp,
    images: list[Path],
    expected: dict[tuple[Path, str], Expected],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """The wire protocol by hand: join the queue, read until the work starts, hang up."""
    with paused_mid_analysis(app, images, expected, monkeypatch) as pause:
        fresh = unseen(images[2], tmp_path)
        uploaded = raw_upload(app.url, "drop.png", fresh.read_bytes()).json()[0]
        payload = {"path": uploaded, "meta": {"_type": "gradio.FileData"}}
        modes = {"modes": {"layer1.0": "skip-off"}}
        data = [payload, None, -1, "gradcam", "layer4", 5, 0.5, modes, "en"]
        session_hash = "dropped0001"
        assert raw_join(app.url, "analyze", data, session_hash).status_code == 200
        with httpx.stream(
            "GET",
            f"{app.url}gradio_api/queue/data",
            params={"session_hash": session_hash},
            timeout=httpx.Timeout(PAUSE_LIMIT_S, connect=10),
        ) as stream:
            for line in stream.iter_lines():
                if '"process_starts"' in line:
                    break
            assert pause.entered.wait(PAUSE_LIMIT_S), "the analysis never started"
        # The connection is closed here, while the analysis holds the model's lock.
        assert pause.lock_held == [True]


def test_queued_jobs_that_are_cancelled_or_abandoned_leave_nothing_behind(
    app: RunningApp,
    images: list[Path],
    expected: dict[tuple[Path, str], Expected],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """Two analyses paused (both slots busy), six more queued behind them; every client leaves."""
    with paused_mid_analysis(app, images, expected, monkeypatch) as pause:
        clients = [new_client(app.url, None) for _ in range(8)]
        fresh = [unseen(images[i % len(images)], tmp_path) for i in range(len(clients))]
        jobs = [
            c.submit(handle_file(str(fresh[i])), api_name="/analyze") for i, c in enumerate(clients)
        ]
        assert pause.entered.wait(PAUSE_LIMIT_S)

        def leave(i: int) -> None:
            if i % 2 == 0:
                jobs[i].cancel()
            clients[i].close()  # stops the client's heartbeat (up to 1 s each: in parallel)

        with ThreadPoolExecutor(len(clients)) as pool:
            list(pool.map(leave, range(len(clients))))


# ---- a full queue -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def busy_app(model: LoadedModel) -> Iterator[RunningApp]:
    """A second app whose queue holds one waiting event and runs one at a time."""
    with running_app(model, queue_max_size=1, concurrency=1) as running:
        FIELD.update(output_positions(running.url, "/analyze"))
        yield running


@pytest.mark.browser
def test_a_full_queue_is_refused_and_the_page_says_the_class_is_busy(
    busy_app: RunningApp,
    images: list[Path],
    expected: dict[tuple[Path, str], Expected],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if not CHROMIUM.is_file():
        pytest.fail(f"Chromium is required at {CHROMIUM} (CI installs it with apt-get)")
    pause = Pause(busy_app.model, monkeypatch)
    running, waiting, refused = (new_client(busy_app.url, None) for _ in range(3))
    try:
        first = running.submit(handle_file(str(images[0])), api_name="/analyze")
        assert pause.entered.wait(PAUSE_LIMIT_S)
        second = waiting.submit(handle_file(str(images[1])), api_name="/analyze")
        assert wait_until_queued(busy_app, 1)
        with pytest.raises(QueueError, match="Queue is full"):
            refused.predict(handle_file(str(images[2])), api_name="/analyze")
        busy_text = t("busy", "en")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox"]
            )
            try:
                page = browser.new_page()
                page.set_default_timeout(30_000)
                page.goto(busy_app.url)
                expect(page.locator("#strip .blk").first).to_be_visible()
                page.locator("#image input[type=file]").set_input_files(str(images[3]))
                expect(page.get_by_text(busy_text).first).to_be_visible()
            finally:
                browser.close()
    finally:
        pause.release.set()
    # The two accepted requests finish with the right answers; the server serves again.
    assert matches(first.result(timeout=60), expected[images[0], "intact"])
    assert matches(second.result(timeout=60), expected[images[1], "intact"])
    out = refused.predict(handle_file(str(images[2])), api_name="/analyze")
    assert matches(out, expected[images[2], "intact"])
    for c in (running, waiting, refused):
        c.close()
    assert busy_app.wait_idle(30)
    assert count_hooks(busy_app.model.module) == 0 and not busy_app.model.lock.locked()


def wait_until_queued(app: RunningApp, n: int) -> bool:
    """Wait (bounded) until at least `n` events wait in the app's queue."""
    return wait_for(lambda: len(app.demo._queue) >= n, 10)
