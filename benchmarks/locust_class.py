"""A class as a Locust scenario: each student is a Locust user with a Gradio session of its own.

Not run alone: `benchmarks/class_load.py` starts the app, writes the plan this file reads (the
path in the environment variable `CLASS_LOAD_PLAN`) and runs Locust on it headless. The plan
holds the join bodies the page sends for a new image, a flip and a preset (fn_index,
trigger_id, data), the think time, the task mix and where to write what the users saw.

A student speaks Gradio's queue protocol itself: POST /gradio_api/queue/join, then reads the
session's event stream (/gradio_api/queue/data, server-sent events) until `process_completed`.
A request's latency is that span, join to completion; a new image's upload (through Gradio's
upload route, an example with one pixel changed so that no cache answers it) is timed apart.
"""

from __future__ import annotations

import copy
import io
import itertools
import json
import os
import random
import time
import uuid
from pathlib import Path
from typing import Any

import requests
from locust import User, events, task
from PIL import Image

PLAN: dict[str, Any] = json.loads(Path(os.environ["CLASS_LOAD_PLAN"]).read_text())
STREAM_TIMEOUT_S = 300.0
SEEN: list[dict[str, Any]] = []  # one row per request: kind, milliseconds, error or None
_numbers = itertools.count()


def _weights() -> dict[str, int]:
    return {kind: int(PLAN["mix"].get(kind, 0)) for kind in ("image", "flip", "preset")}


@events.request.add_listener
def _record(request_type: str, name: str, response_time: float, exception: Any, **_: Any) -> None:
    SEEN.append(
        {
            "type": request_type,
            "kind": name,
            "ms": response_time,
            "error": None if exception is None else f"{type(exception).__name__}: {exception}",
            "at": time.time(),
        }
    )


@events.quitting.add_listener
def _write(**_: Any) -> None:
    Path(PLAN["results"]).write_text(json.dumps(SEEN))


class QueueError(Exception):
    """The queue refused the join, or the event completed with an error."""


class Student(User):
    """One student: their own HTTP client and session; an image first, then the mix."""

    def wait_time(self) -> float:
        think = float(PLAN["think"])
        return self.rng.expovariate(1 / think) if think > 0 else 0.0

    def on_start(self) -> None:
        self.number = next(_numbers)
        self.rng = random.Random(int(PLAN["seed"]) * 1000 + self.number)
        self.http = requests.Session()
        self.session_hash = uuid.uuid4().hex[:11]
        self.images_sent = 0
        kinds = _weights()
        self.choices = [kind for kind, weight in kinds.items() for _ in range(weight)]
        self.new_image()

    def on_stop(self) -> None:
        self.http.close()

    @task
    def one_request(self) -> None:
        kind = self.rng.choice(self.choices)
        if kind == "image":
            self.new_image()
        elif kind == "flip":
            self.flip()
        else:
            self.event("preset", copy.deepcopy(PLAN["bodies"]["preset"]))

    def new_image(self) -> None:
        """Upload an example the server has never seen, then analyse it with some switches."""
        examples = PLAN["images"]
        with Image.open(examples[self.images_sent % len(examples)]) as opened:
            image = opened.convert("RGB")
        unique = self.number * 10_000 + self.images_sent
        image.putpixel((0, 0), (unique % 256, (unique // 256) % 256, (unique // 65536) % 256))
        self.images_sent += 1
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        name = f"student-{unique}.png"
        began = time.perf_counter()
        error: Exception | None = None
        path = ""
        try:
            answer = self.http.post(
                f"{self.host}gradio_api/upload",
                params={"upload_id": uuid.uuid4().hex[:11]},
                files=[("files", (name, buffer.getvalue(), "image/png"))],
                timeout=60,
            )
            answer.raise_for_status()
            path = answer.json()[0]
        except Exception as exc:  # noqa: BLE001 - every failure is counted by kind
            error = exc
        self._fire("upload", "upload", began, error)
        if error is not None:
            return
        body = copy.deepcopy(PLAN["bodies"]["image"])
        body["data"][PLAN["file_index"]] = {
            "path": path,
            "orig_name": name,
            "size": buffer.tell(),
            "mime_type": "image/png",
            "meta": {"_type": "gradio.FileData"},
        }
        self._set_switches("image", body)
        self.event("image", body)

    def flip(self) -> None:
        body = copy.deepcopy(PLAN["bodies"]["flip"])
        self._set_switches("flip", body)
        self.event("flip", body)

    def _set_switches(self, kind: str, body: dict[str, Any]) -> None:
        """Set the strip's switches to one of the plan's settings, at random."""
        body["data"][PLAN["strip_index"][kind]] = {"modes": self.rng.choice(PLAN["switches"])}

    def event(self, kind: str, body: dict[str, Any]) -> None:
        """Join the queue with `body` under this student's session; wait for its completion."""
        body["session_hash"] = self.session_hash
        began = time.perf_counter()
        error: Exception | None = None
        try:
            joined = self.http.post(f"{self.host}gradio_api/queue/join", json=body, timeout=60)
            if joined.status_code != 200:
                raise QueueError(f"join {joined.status_code}: {joined.text[:200]}")
            event_id = joined.json().get("event_id")
            self._completion(event_id)
        except Exception as exc:  # noqa: BLE001 - every failure is counted by kind
            error = exc
        self._fire("queue", kind, began, error)

    def _completion(self, event_id: str | None) -> None:
        with self.http.get(
            f"{self.host}gradio_api/queue/data",
            params={"session_hash": self.session_hash},
            stream=True,
            timeout=STREAM_TIMEOUT_S,
        ) as stream:
            stream.raise_for_status()
            for line in stream.iter_lines(decode_unicode=True):
                if not line or not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                if event_id and message.get("event_id") not in (None, event_id):
                    continue
                if message.get("msg") == "process_completed":
                    if not message.get("success", True):
                        output = message.get("output") or {}
                        raise QueueError(str(output.get("error") or output)[:200])
                    return
                if message.get("msg") == "unexpected_error":
                    raise QueueError(str(message.get("message"))[:200])
        raise QueueError("the event stream ended before the event completed")

    def _fire(self, request_type: str, name: str, began: float, error: Exception | None) -> None:
        self.environment.events.request.fire(
            request_type=request_type,
            name=name,
            response_time=(time.perf_counter() - began) * 1e3,
            response_length=0,
            exception=error,
            context={},
        )
