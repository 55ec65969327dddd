"""Shared helpers for tests and benchmarks that drive the launched app like any outside client.

- `default_model()`: the model the app starts on (the embedded model).
- `running_app(model, ...)`: the real app (`build_demo` + the server's queue and launch settings)
  on a free loopback port, in this process, so tests can look at the model, its lock and the
  analysis cache while clients talk to it over HTTP. conftest's session fixture `app` is
  `running_app(default_model())`, shared by every module; call `running_app` directly only for
  other settings (a smaller cache or queue, another model).
- `raw_call` / `raw_join` / `raw_upload` / `raw_get`: the Gradio wire protocol by hand, for
  payloads `gradio_client` would rewrite before sending (it uploads any local path it is given,
  so `{"path": "/etc/passwd"}` through the client tests the client, not the server).

Nothing here listens on or talks to anything but 127.0.0.1.

Importing this module gives the test process its own Gradio upload cache (`GRADIO_TEMP_DIR`,
unless one is set already): Gradio's default, `/tmp/gradio`, is shared by every process on the
machine and content-addressed, and an app that closes deletes its uploads there, including
files another app on the same machine is reading at that moment (two test runs at once made
"could not be opened" errors that way).
"""

from __future__ import annotations

import atexit
import http.client
import json
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import gradio as gr
import httpx
from gradio_client import Client

from resnet_demo.analysis import Analysis
from resnet_demo.cache import LRUCache
from resnet_demo.models import LoadedModel, load_model
from resnet_demo.ui import build_demo, configure_queue, launch_kwargs, parse_args
from resnet_demo.ui.registry import ModelRegistry
from resnet_demo.ui.server import CONCURRENCY, free_port

if "GRADIO_TEMP_DIR" not in os.environ:
    os.environ["GRADIO_TEMP_DIR"] = tempfile.mkdtemp(prefix="resnet-demo-tests-gradio-")
    atexit.register(shutil.rmtree, os.environ["GRADIO_TEMP_DIR"], ignore_errors=True)

UPLOAD_DIR = os.environ["GRADIO_TEMP_DIR"]
"""Where Gradio keeps this process's uploads (the only place a file field may point to)."""
ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "assets" / "examples"
LOOPBACK = "127.0.0.1"
CLIENT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
"""HTTP timeouts of test clients: httpx's 5 s default is too short on a busy 2-core machine."""
SSE_TIMEOUT_S = 60.0
"""Longest a raw request waits for its answer before the helper gives up (never forever)."""


def default_model() -> LoadedModel:
    """The app's default model: the embedded network shipped in `assets/` (no download)."""
    return load_model()


@dataclass(frozen=True, eq=False)
class RunningApp:
    """A launched app and the server-side objects a test may inspect.

    Attributes:
        demo: the running `gr.Blocks`.
        url: its base URL, "http://127.0.0.1:PORT/".
        model: the default model (shared by every session).
        cache: the intact-analysis cache the handlers use.
        registry: the model registry the handlers use.
    """

    demo: gr.Blocks
    url: str
    model: LoadedModel
    cache: LRUCache[Analysis]
    registry: ModelRegistry

    @property
    def host(self) -> str:
        """The host part of `url`."""
        return str(urlsplit(self.url).hostname)

    @property
    def port(self) -> int:
        """The port part of `url`."""
        return int(urlsplit(self.url).port or 80)

    def idle(self) -> bool:
        """True when no analysis holds the model's lock and no event is queued or running."""
        queue = self.demo._queue
        running = any(job is not None for job in queue.active_jobs)
        return not self.model.lock.locked() and len(queue) == 0 and not running

    def wait_idle(self, timeout_s: float = 30.0) -> bool:
        """Wait (bounded) until `idle()`; return whether it became idle."""
        return wait_for(self.idle, timeout_s)


@contextmanager
def running_app(
    model: LoadedModel,
    *,
    cache_entries: int = 48,
    queue_max_size: int | None = None,
    concurrency: int | None = None,
    password: str | None = None,
) -> Iterator[RunningApp]:
    """Launch the app on a free loopback port with the server's own settings; close it after.

    Args:
        model: the default model.
        cache_entries: size of the intact-analysis LRU cache. Default: 48 (the app's).
        queue_max_size: a smaller queue than the server's (tests of the "queue full" answer);
            None keeps `server.configure_queue` exactly. Default: None.
        concurrency: analyses at once when `queue_max_size` is given. Default: the server's.
        password: the class code (`--password`); None serves without one. Default: None.

    Yields:
        The `RunningApp`.
    """
    code = [] if password is None else ["--password", password]
    args = parse_args(["--host", LOOPBACK, "--port", "0", *code])
    kwargs = launch_kwargs(args)
    kwargs["server_port"] = free_port(LOOPBACK)
    registry = ModelRegistry(model, allow_download=False)
    cache: LRUCache[Analysis] = LRUCache(cache_entries)
    demo = build_demo(model, "en", registry=registry, cache=cache)
    if queue_max_size is None:
        configure_queue(demo)
    else:
        demo.queue(
            max_size=queue_max_size,
            default_concurrency_limit=concurrency or CONCURRENCY,
            api_open=False,
        )
    demo.launch(**kwargs, prevent_thread_lock=True, quiet=True)
    try:
        yield RunningApp(demo, str(demo.local_url), model, cache, registry)
    finally:
        demo.close()


def new_client(url: str, download_dir: Path | None) -> Client:
    """A `gradio_client.Client` with its own session.

    Args:
        url: the app's URL.
        download_dir: where output files are saved; None leaves them on the server (the
            client then returns their descriptions, which is faster).
    """
    download: str | bool = str(download_dir) if download_dir is not None else False
    return Client(
        url,
        verbose=False,
        download_files=download,
        analytics_enabled=False,
        httpx_kwargs={"timeout": CLIENT_TIMEOUT},
    )


def wait_for(predicate: Callable[[], bool], timeout_s: float, step_s: float = 0.02) -> bool:
    """Poll `predicate` until it is true or `timeout_s` has passed; return its last value."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step_s)
    return predicate()


# ---- the wire protocol by hand ------------------------------------------------------------


def fn_index(url: str, api_name: str) -> int:
    """The event id Gradio's queue knows the endpoint `api_name` by (e.g. "analyze")."""
    config = httpx.get(f"{url}config", timeout=10).json()
    for dependency in config["dependencies"]:
        if dependency.get("api_name") == api_name.lstrip("/"):
            return int(dependency["id"])
    raise KeyError(f"no endpoint named {api_name!r}")


def output_positions(url: str, api_name: str) -> dict[str, int]:
    """Where each output of endpoint `api_name` sits in a client's answer, by component.

    Read from Gradio's public `/config`: the outputs a client never sees (session state) are
    left out, as `gradio_client` does. Keys are the components' elem_ids with "-" as "_"
    ("predictions", "raw_cam", "compare_table", ...).
    """
    config = httpx.get(f"{url}config", timeout=10).json()
    components = {c["id"]: c for c in config["components"]}
    for dependency in config["dependencies"]:
        if dependency.get("api_name") == api_name.lstrip("/"):
            shown = [components[i] for i in dependency["outputs"]]
            shown = [c for c in shown if not c.get("skip_api", c["type"] == "state")]
            return {
                (c["props"].get("elem_id") or str(c["id"])).replace("-", "_"): n
                for n, c in enumerate(shown)
            }
    raise KeyError(f"no endpoint named {api_name!r}")


def raw_join(url: str, api_name: str, data: list[Any], session_hash: str) -> httpx.Response:
    """Put one event on the queue exactly as `data` says (no client-side file handling)."""
    payload = {
        "data": data,
        "event_data": None,
        "fn_index": fn_index(url, api_name),
        "trigger_id": None,
        "session_hash": session_hash,
    }
    return httpx.post(f"{url}gradio_api/queue/join", json=payload, timeout=10)


def read_messages(url: str, session_hash: str, until: str = "process_completed") -> list[dict]:
    """Read the session's server-sent events until a message `until` (or the stream ends).

    Returns:
        Every JSON message received, in order.
    """
    messages: list[dict] = []
    stream_url = f"{url}gradio_api/queue/data"
    timeout = httpx.Timeout(SSE_TIMEOUT_S, connect=10)
    with httpx.stream(
        "GET", stream_url, params={"session_hash": session_hash}, timeout=timeout
    ) as response:
        for line in response.iter_lines():
            if not line.startswith("data:"):
                continue
            message = json.loads(line[5:])
            messages.append(message)
            if message.get("msg") in (until, "close_stream"):
                break
    return messages


def raw_call(url: str, api_name: str, data: list[Any]) -> dict:
    """Run one event through the queue with a hand-made payload.

    Returns:
        The final message: `{"msg": "process_completed", "success": bool, "output": {...}}`
        (for a refused join: `{"msg": "join_refused", "status": code, "detail": text}`).
    """
    session_hash = uuid.uuid4().hex[:11]
    joined = raw_join(url, api_name, data, session_hash)
    if joined.status_code != 200:
        return {"msg": "join_refused", "status": joined.status_code, "detail": joined.text}
    messages = read_messages(url, session_hash)
    completed = [m for m in messages if m.get("msg") == "process_completed"]
    if not completed:
        raise AssertionError(f"no process_completed message in {messages!r}")
    return completed[-1]


def raw_upload(url: str, name: str, content: bytes) -> httpx.Response:
    """Upload one file to Gradio's upload route, as the browser does before an event."""
    files = {"files": (name, content, "application/octet-stream")}
    return httpx.post(f"{url}gradio_api/upload", files=files, timeout=60)


def raw_get(app: RunningApp, target: str) -> tuple[int, bytes]:
    """GET `target` sent byte for byte (no client normalises `..` or %-escapes away).

    Returns:
        (status code, body).
    """
    conn = http.client.HTTPConnection(app.host, app.port, timeout=10)
    try:
        conn.request("GET", target)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def raw_post(app: RunningApp, target: str, body: dict) -> tuple[int, bytes]:
    """POST a JSON `body` to `target` sent byte for byte.

    Returns:
        (status code, body).
    """
    conn = http.client.HTTPConnection(app.host, app.port, timeout=10)
    try:
        conn.request(
            "POST", target, body=json.dumps(body), headers={"Content-Type": "application/json"}
        )
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def fn_index_of_stream(url: str) -> int:
    """The event id of the page's one `.stream` event (the live webcam; it has no API name)."""
    config = httpx.get(f"{url}config", timeout=10).json()
    for dependency in config["dependencies"]:
        if any(event == "stream" for _, event in dependency["targets"]):
            return int(dependency["id"])
    raise KeyError("no stream event")
