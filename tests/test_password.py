"""`--password CODE`: the page and every API route ask for the class code first.

The app runs once for this file (module fixture) on a free loopback port with the embedded model,
the server's own settings and a class code (`tests/app_server.py`). Clients log in as Gradio's
own login page does (`POST /login`, any name, the code as password) or through `gradio_client`'s
`auth=`. The start-up checks (the warning for a host others can reach, the empty code) call the
server's `main` and `parse_args` and stop before anything listens.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import image_fixtures as fx
import pytest
from app_server import CLIENT_TIMEOUT, RunningApp, default_model, running_app
from gradio_client import Client, handle_file
from gradio_client.exceptions import AuthenticationError

from resnet_demo.text import t
from resnet_demo.ui import server
from resnet_demo.ui.server import class_code_check, is_loopback, parse_args

pytestmark = pytest.mark.server

CODE = "otter-42"
"""The class code the test app asks for."""
LOCKED = (
    ("GET", "config"),
    ("GET", "gradio_api/info"),
    ("POST", "gradio_api/queue/join"),
    ("GET", "gradio_api/queue/data?session_hash=abc"),
    ("POST", "gradio_api/upload"),
    ("GET", "gradio_api/file=/etc/hostname"),
)
"""Routes a client without the code must not pass (config, the queue, uploads, files)."""


@pytest.fixture(scope="module")
def app() -> Iterator[RunningApp]:
    with running_app(default_model(), password=CODE) as running:
        yield running


@contextmanager
def login(url: str, name: str, code: str) -> Iterator[httpx.Client]:
    """A browser-like session that posted the login form; its cookie jar holds the token."""
    with httpx.Client(base_url=url, timeout=CLIENT_TIMEOUT) as http:
        assert http.post("login", data={"username": name, "password": code}).status_code == 200
        yield http


def page_config_needs_login(html: str) -> bool:
    """Whether the page Gradio served is its login page (its embedded config says so)."""
    return re.search(r'"auth_required"\s*:\s*true', html) is not None


def test_a_wrong_code_is_refused(app: RunningApp) -> None:
    with httpx.Client(base_url=app.url, timeout=CLIENT_TIMEOUT) as http:
        refused = http.post("login", data={"username": "ana", "password": "otter-43"})
        assert refused.status_code == 400
        assert not http.cookies
        assert http.get("config").status_code == 401
        assert page_config_needs_login(http.get("").text)


def test_the_right_code_lets_anyone_in(app: RunningApp) -> None:
    for name in ("ana", "李明"):
        with login(app.url, name, CODE) as http:
            assert http.cookies, "no session cookie after a good login"
            assert http.get("config").status_code == 200
            page = http.get("")
            assert page.status_code == 200 and not page_config_needs_login(page.text)


def test_an_api_client_with_the_code_analyses(app: RunningApp, tmp_path: Path) -> None:
    image = tmp_path / "shape.png"
    image.write_bytes(fx.good_png_bytes())
    client = Client(
        app.url,
        auth=("api-user", CODE),
        verbose=False,
        download_files=False,
        analytics_enabled=False,
        httpx_kwargs={"timeout": CLIENT_TIMEOUT},
    )
    out = client.predict(handle_file(str(image)), api_name="/analyze")
    labels = [o for o in out if isinstance(o, dict) and "confidences" in o]
    assert labels and labels[0]["confidences"], "no predictions came back"


def test_the_api_refuses_requests_without_the_code(app: RunningApp) -> None:
    with httpx.Client(base_url=app.url, timeout=CLIENT_TIMEOUT) as http:
        for method, route in LOCKED:
            status = http.request(method, route).status_code
            assert status in (401, 403), f"{method} /{route} answered {status} without the code"
        assert page_config_needs_login(http.get("").text)
    with pytest.raises(AuthenticationError):
        Client(app.url, verbose=False, analytics_enabled=False)
    with pytest.raises(ValueError, match="Could not login"):
        Client(app.url, auth=("ana", "otter-43"), verbose=False, analytics_enabled=False)


def test_the_code_is_compared_whole() -> None:
    check = class_code_check(CODE)
    assert check("anyone", CODE) and check("", CODE)
    assert not any(check("ana", wrong) for wrong in ("", CODE[:-1], CODE + " ", CODE.upper()))


def test_an_empty_code_is_one_clear_line(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--password", ""], ["--password", "   "], ["--password=", "--lang", "zh"]):
        with pytest.raises(SystemExit) as stopped:
            parse_args(argv)
        assert stopped.value.code == 2
        err = capsys.readouterr().err
        lang = "zh" if "zh" in argv else "en"
        assert err == t("server_password_empty", lang) + "\n"


class Stopped(BaseException):
    """Raised instead of loading the model: `main` has printed its start-up lines by then."""


def start_lines(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> str:
    """What `main` prints on stderr before it loads the model (nothing is served)."""

    def stop(_args: object) -> None:
        raise Stopped

    monkeypatch.setattr(server, "load_default_model", stop)
    with pytest.raises(Stopped):
        server.main(argv)
    return str(capsys.readouterr().err)


def test_an_open_host_without_a_code_warns_once(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    err = start_lines(["--host", "0.0.0.0"], monkeypatch, capsys)
    assert err == t("server_no_password", "en", host="0.0.0.0") + "\n"
    assert "--password" in err
    err = start_lines(["--host", "0.0.0.0", "--lang", "zh"], monkeypatch, capsys)
    assert err == t("server_no_password", "zh", host="0.0.0.0") + "\n"
    for quiet in (["--host", "0.0.0.0", "--password", CODE], ["--host", "127.0.0.1"], []):
        assert start_lines(quiet, monkeypatch, capsys) == ""


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.1.1", True),
        ("localhost", True),
        ("::1", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.20", False),
        ("school-server", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_the_login_page_speaks_the_pages_language() -> None:
    both = server.launch_kwargs(parse_args(["--password", CODE]))["auth_message"]
    assert t("server_login_message", "en") in both and t("server_login_message", "zh") in both
    zh = server.launch_kwargs(parse_args(["--password", CODE, "--lang", "zh"]))["auth_message"]
    assert zh == t("server_login_message", "zh")
    assert server.launch_kwargs(parse_args([]))["auth"] is None
