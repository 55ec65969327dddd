"""Two app replicas behind HAProxy (`deploy/replicas.py`), driven by students over HTTP.

The module starts `deploy/replicas.py --replicas 2` once (two `app.py` processes on loopback
ports and `haproxy` in front, all in one process group). Each student is a light HTTP client with
its own cookie jar that speaks Gradio's queue protocol (open the page, log in with the class code,
read the config, upload, join the queue, read the event stream), as a browser does; the balancer
names the replica that answered in an `X-Replica` header. Students upload different generated
shapes, and their predictions are checked against the embedded model run in this process.

One browser (Chromium) joins the killed replica's students, to see the message as a student does.
Needs `haproxy` on the PATH and Chromium (`make test` installs both).
"""

from __future__ import annotations

import io
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from app_server import ROOT, default_model
from PIL import Image
from playwright.sync_api import BrowserContext, Page, expect, sync_playwright

from resnet_demo.analysis import analyze
from resnet_demo.models import LoadedModel
from resnet_demo.shapes import TEST_SEED_START, generate_sample
from resnet_demo.text import t
from resnet_demo.ui.inputs import read_image
from resnet_demo.ui.views import class_names

pytestmark = [pytest.mark.server, pytest.mark.browser]

STUDENTS = 6
CODE = "heron-7"
"""The class code every replica asks for (forwarded by the script)."""
READY_TIMEOUT_S = 420.0
"""Longest wait for both replicas and the balancer (two apps loading torch on a busy machine)."""
DOWN_TIMEOUT_S = 15.0
"""Longest wait, after a replica is killed, for its students to get the "stopped" answer."""
TIMEOUT = httpx.Timeout(60.0, connect=10.0)
TOLERANCE = 1e-4
REPLICA_LINE = re.compile(r"Replica (r\d+) .*\(pid (\d+)\)")
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
BROWSER_TIMEOUT_MS = 60_000
EXAMPLE = ROOT / "assets" / "examples" / "shapes_star.png"


class Balancer:
    """The running `deploy/replicas.py`: its URL, and each replica's name and process id."""

    def __init__(self, process: subprocess.Popen[str], url: str, pids: dict[str, int]) -> None:
        self.process = process
        self.url = url
        self.pids = pids


def free_ports(count: int) -> int:
    """A port P such that P … P+count-1 are free on loopback right now."""
    for _ in range(50):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            first = int(sock.getsockname()[1])
        if first + count > 65535:
            continue
        try:
            for port in range(first, first + count):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        return first
    raise RuntimeError("no run of free ports")


def read_lines(stream: Any, into: queue.Queue[str]) -> None:
    """Forward every line of `stream` into `into` (keeps the pipe drained)."""
    for line in stream:
        into.put(line)


@pytest.fixture(scope="module")
def balancer() -> Iterator[Balancer]:
    if shutil.which("haproxy") is None:
        pytest.fail("haproxy is missing: `make test` installs it (apt-get install -y haproxy)")
    port = free_ports(3)
    command = [sys.executable, str(ROOT / "deploy" / "replicas.py"), "--replicas", "2"]
    command += ["--port", str(port), "--offline", "--threads", "1", "--password", CODE]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its replicas and haproxy share its process group
        env={k: v for k, v in os.environ.items() if k != "GRADIO_TEMP_DIR"},
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=read_lines, args=(process.stdout, lines), daemon=True).start()
    ready = t("deploy_ready", "en", n=2, url=f"http://127.0.0.1:{port}/")
    pids: dict[str, int] = {}
    seen: list[str] = []
    deadline = time.monotonic() + READY_TIMEOUT_S
    try:
        while ready not in seen:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic())).rstrip("\n")
            seen.append(line)
            if match := REPLICA_LINE.search(line):
                pids[match.group(1)] = int(match.group(2))
            assert process.poll() is None or not lines.empty(), "\n".join(seen)
        yield Balancer(process, f"http://127.0.0.1:{port}/", pids)
    except queue.Empty:
        pytest.fail("the replicas were not ready in time:\n" + "\n".join(seen[-20:]))
    finally:
        stop_group(process)


def stop_group(process: subprocess.Popen[str]) -> None:
    """Ctrl-C for the script (it stops its replicas and haproxy); kill the group if it hangs."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


class Student:
    """One browser: its own cookie jar, the replica behind every answer it got."""

    def __init__(self, url: str, seed: int, lang: str = "en") -> None:
        self.replicas: list[str] = []
        self.http = httpx.Client(
            base_url=url,
            timeout=TIMEOUT,
            headers={"Accept-Language": "zh-CN,zh;q=0.9" if lang == "zh" else "en-US,en;q=0.9"},
            event_hooks={"response": [self._note]},
        )
        self.image = generate_sample(seed).image
        buffer = io.BytesIO()
        Image.fromarray(self.image).save(buffer, format="PNG")
        self.png = buffer.getvalue()

    def _note(self, response: httpx.Response) -> None:
        if "x-replica" in response.headers:
            self.replicas.append(response.headers["x-replica"])

    def open_page(self) -> httpx.Response:
        """Load the page and, on the login page, enter the class code (as a browser would)."""
        page = self.http.get("")
        page.raise_for_status()
        if re.search(r'"auth_required"\s*:\s*true', page.text):
            login = self.http.post("login", data={"username": "student", "password": CODE})
            login.raise_for_status()
        return page

    def analyse(self) -> dict[str, float]:
        """Upload the student's image and run /analyze through the queue.

        Returns:
            Label -> probability of the predictions the student got.
        """
        config = self.http.get("config").json()
        components = {c["id"]: c for c in config["components"]}
        (event,) = [d for d in config["dependencies"] if d.get("api_name") == "analyze"]
        upload = self.http.post(
            "gradio_api/upload", files={"files": ("shape.png", self.png, "image/png")}
        )
        upload.raise_for_status()
        image = {"path": upload.json()[0], "meta": {"_type": "gradio.FileData"}}
        rest = [components[i]["props"].get("value") for i in event["inputs"][1:]]
        session = uuid.uuid4().hex[:11]
        body = {
            "data": [image, *rest],
            "event_data": None,
            "fn_index": event["id"],
            "trigger_id": None,
            "session_hash": session,
        }
        self.http.post("gradio_api/queue/join", json=body).raise_for_status()
        with self.http.stream(
            "GET", "gradio_api/queue/data", params={"session_hash": session}
        ) as stream:
            for line in stream.iter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                if message.get("msg") == "process_completed":
                    assert message["success"], message
                    (label,) = [o for o in message["output"]["data"] if is_label(o)]
                    return {c["label"]: c["confidence"] for c in label["confidences"]}
        raise AssertionError("the event stream ended without a result")


def is_label(value: object) -> bool:
    return isinstance(value, dict) and "confidences" in value


def reference(model: LoadedModel, student: Student, tmp: Path) -> dict[str, float]:
    """The predictions the app must show for the student's image, computed here."""
    path = tmp / f"{id(student)}.png"
    path.write_bytes(student.png)
    result = analyze(model, read_image(str(path)), target=None, cam_layer="layer4", top_k=5)
    names = class_names(model, "en")
    return {
        names[int(i)]: float(p) for i, p in zip(result.top_indices, result.top_probs, strict=True)
    }


def same(got: dict[str, float], want: dict[str, float]) -> bool:
    return list(got) == list(want) and np.allclose(
        list(got.values()), list(want.values()), rtol=0, atol=TOLERANCE
    )


def stopped_answer(student: Student) -> httpx.Response | None:
    """The student's requests until the balancer says their replica stopped (bounded wait).

    Until the balancer has marked the replica down, a request gets the "stopped" page (503) or,
    on a kept-alive connection, no answer at all, which a browser sends again.
    """
    answer = None
    deadline = time.monotonic() + DOWN_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            answer = student.http.get("config")
        except httpx.RemoteProtocolError:
            continue
        if answer.status_code == 502:
            break
        assert answer.status_code == 503, answer.text
        assert t("deploy_replica_gone", "zh") in answer.text, answer.text
        time.sleep(0.2)
    return answer


def first_visit(student: Student) -> dict[str, float]:
    student.open_page()
    return student.analyse()


def test_students_stick_to_one_replica_and_see_only_their_own_results(
    balancer: Balancer, tmp_path: Path
) -> None:
    model = default_model()
    students = [Student(balancer.url, TEST_SEED_START + 7 * n) for n in range(STUDENTS)]
    with ThreadPoolExecutor(STUDENTS) as pool:
        got = list(pool.map(first_visit, students))
    got += [s.analyse() for s in students]  # a second request, after every other student's
    for student, predictions in zip(students * 2, got, strict=True):
        assert same(predictions, reference(model, student, tmp_path)), predictions
    assert len({next(iter(p)) for p in got}) > 1, "the shapes should not all look alike"
    for student in students:
        assert len(set(student.replicas)) == 1, student.replicas
        assert len(student.replicas) == 2 + 2 * 4  # page, login, then config, upload, join, stream
    assert {s.replicas[0] for s in students} == {"r1", "r2"}


def test_a_killed_replicas_students_are_told_and_a_reload_moves_them(
    balancer: Balancer, tmp_path: Path
) -> None:
    model = default_model()
    students = [
        Student(balancer.url, TEST_SEED_START + 100 + n, lang)
        for n, lang in enumerate(["en", "zh", "en", "zh"])
    ]
    for student in students:
        student.open_page()
    on = {name: [s for s in students if s.replicas[0] == name] for name in ("r1", "r2")}
    assert on["r1"] and on["r2"], [s.replicas for s in students]
    with sync_playwright() as playwright:
        if not CHROMIUM.is_file():
            pytest.fail(f"Chromium is required at {CHROMIUM} (`make test` installs it)")
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
        context.add_cookies([{"name": "SERVERID", "value": "r1", "url": balancer.url}])
        page = browser_lesson(context, balancer.url)  # a browser on r1, its image analysed
        os.kill(balancer.pids["r1"], signal.SIGKILL)
        http_students_on_a_killed_replica(on, model, tmp_path)
        page.locator("#preset-skip-off").click()  # the browser's next request: the message
        gone = page.get_by_text(t("deploy_replica_gone", "en")).first
        expect(gone).to_be_visible(timeout=BROWSER_TIMEOUT_MS)
        browser_lesson(context, balancer.url, page)  # a reload, then the lesson goes on
        assert replica_cookie(context) == "r2"
        browser.close()


def replica_cookie(context: BrowserContext) -> str:
    return next(c["value"] for c in context.cookies() if c["name"] == "SERVERID")


def browser_lesson(context: BrowserContext, url: str, page: Page | None = None) -> Page:
    """Open (or reload) the page, enter the class code, upload a picture, see predictions."""
    if page is None:
        page = context.new_page()
        page.set_default_timeout(BROWSER_TIMEOUT_MS)
        page.goto(url)
    else:
        page.reload()
    login = context.request.post(f"{url}login", form={"username": "ana", "password": CODE})
    assert login.ok, login.status
    page.reload()
    page.locator("#image input[type=file]").set_input_files(str(EXAMPLE))
    predictions = page.locator("#predictions .confidence-set")
    expect(predictions).to_have_count(5, timeout=BROWSER_TIMEOUT_MS)
    return page


def http_students_on_a_killed_replica(
    on: dict[str, list[Student]], model: LoadedModel, tmp_path: Path
) -> None:
    """The killed replica's students are told, and a reload moves them; the others go on."""
    stranded = on["r1"]
    for student in stranded:
        answer = stopped_answer(student)
        assert answer is not None and answer.status_code == 502, answer and answer.text
        lang = "zh" if "zh" in student.http.headers["accept-language"] else "en"
        assert answer.json()["detail"] == t("deploy_replica_gone", lang)
        join = student.http.post("gradio_api/queue/join", json={})
        assert join.status_code == 502 and join.json()["detail"] == t("deploy_replica_gone", lang)

    for student in stranded:  # a reload: the page (and the login) comes from the live replica
        student.replicas.clear()
        assert "SERVERID=r2" in student.open_page().headers.get("set-cookie", "")
        assert len(student.replicas) == 2, "the other replica asks for the class code again"
        assert same(student.analyse(), reference(model, student, tmp_path))
        assert set(student.replicas) == {"r2"}
    for student in on["r2"]:  # the other replica's students never noticed
        student.replicas.clear()
        assert same(student.analyse(), reference(model, student, tmp_path))
        assert set(student.replicas) == {"r2"}


def run_script(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(ROOT / "deploy" / "replicas.py"), *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_the_config_for_other_machines_is_valid(tmp_path: Path) -> None:
    done = run_script("--servers", "10.0.0.11:7860,10.0.0.12:7860", "--config-only", str(tmp_path))
    assert done.returncode == 0, done.stderr
    config = (tmp_path / "haproxy.cfg").read_text()
    assert "server r1 10.0.0.11:7860 cookie r1" in config
    assert "server r2 10.0.0.12:7860 cookie r2" in config
    assert "cookie SERVERID insert indirect nocache" in config
    for lang in ("en", "zh"):
        gone = json.loads((tmp_path / f"gone.{lang}.json").read_text())
        assert gone["detail"] == t("deploy_replica_gone", lang)
    if shutil.which("haproxy"):
        check = subprocess.run(["haproxy", "-c", "-f", str(tmp_path / "haproxy.cfg")], timeout=30)
        assert check.returncode == 0


def test_bad_flags_are_one_clear_error() -> None:
    done = run_script("--replicas", "0")
    assert done.returncode == 2 and t("deploy_replicas_low", "en") in done.stderr
    done = run_script("--replicas", "2", "--", "--host", "0.0.0.0")  # an app flag it cannot pass
    assert done.returncode == 2 and t("deploy_own_flags", "en") in done.stderr
