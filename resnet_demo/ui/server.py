"""Starting the app safely: command line, queue and launch settings (styling comes from files).

Defaults suit a classroom on a local network: bound to 127.0.0.1 unless `--host` says otherwise,
no share link unless `--share`, a bounded queue whose "full" answer tells students to try again,
API calls only through that queue (`api_open=False`), uploads capped at 20 MB, no extra file
paths served, Gradio's cache cleaned (see `layout.DELETE_CACHE`), and errors shown only as the
short messages the handlers raise (`show_error=False`). With `--password CODE` the page and every
API route ask for a class code first (Gradio's own login; any name, the code as password).
"""

from __future__ import annotations

import argparse
import ctypes
import hmac
import html
import ipaddress
import json
import logging
import os
import socket
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from typing import Any

import gradio as gr
import torch

from resnet_demo.errors import DemoError
from resnet_demo.models import (
    EMBEDDED,
    LoadedModel,
    WeightsUnavailable,
    load_model_or_embedded,
)
from resnet_demo.models.device import device_flag, device_from_flag, use_device
from resnet_demo.models.own import load_flagged_model, own_model_flags
from resnet_demo.text import argv_lang, normalize_lang, t
from resnet_demo.ui._compat import INTERNAL_CSS, busy_head, quiet_queue_analytics
from resnet_demo.ui.assets import static_text
from resnet_demo.ui.i18n import LANGS, build_i18n, languages_head
from resnet_demo.ui.layout import build_demo
from resnet_demo.ui.registry import ModelRegistry
from resnet_demo.ui.session import CONCURRENCY

QUEUE_MAX_SIZE = 64
"""Events waiting at most; the 65th gets "the class is busy" instead of an ever longer wait."""

MAX_FILE_SIZE = "20mb"
"""Same cap as `imaging.ImageLimits.max_bytes`: larger uploads are refused by Gradio itself."""

STATE_SESSIONS = 400
"""Browser sessions whose state is kept; the least recently used are dropped beyond this."""

THEME = gr.themes.Default(
    primary_hue="blue",
    neutral_hue="slate",
    font=[gr.themes.LocalFont("IBM Plex Sans"), "ui-sans-serif", "system-ui", "sans-serif"],
    font_mono=[gr.themes.LocalFont("IBM Plex Mono"), "ui-monospace", "monospace"],
)
"""Gradio's default look with fonts served by the app itself (classrooms are often offline)."""


CSS_FILES = ("page.css", "lab.css", "live.css")
"""The page's own style sheets in `static/`: the page, the classroom lab, the live panel."""


def page_css() -> str:
    """The page's CSS (`CSS_FILES`) and the few rules on Gradio's internals (`_compat`)."""
    return "\n".join(static_text(name) for name in CSS_FILES) + "\n" + INTERNAL_CSS


ALT_PANELS = (
    "image",
    "overlay",
    "raw-cam",
    "cam-intact",
    "cam-switched",
    "cam-diff",
    "activations",
    "channels",
)
"""The pictures whose text alternative `static/alt.html` writes (their `elem_id`s)."""


def head_html() -> str:
    """The `<head>` scripts: the page's language for the others (`static/lang.html`), Gradio's
    "queue full" sentence worded as the app does (`_compat`), a text alternative for every
    picture (`static/alt.html`), sliders that a key releases as a pointer does
    (`static/keys.html`), and each error sentence shown once (`static/toasts.html`)."""
    top = json.dumps({lang: t("alt_top1", lang) for lang in LANGS}, ensure_ascii=False)
    alt = static_text("alt.html").replace("__PANELS__", json.dumps(ALT_PANELS))
    alt = alt.replace("__TOP__", top)
    busy = busy_head({lang: t("busy", lang) for lang in LANGS})
    return languages_head() + busy + alt + static_text("keys.html") + static_text("toasts.html")


def default_threads() -> int:
    """Torch threads per analysis: the cores shared by the `CONCURRENCY` analyses at once.

    More threads oversubscribe the CPU when requests overlap: OpenMP threads wait for a core that
    is taken (`benchmarks/bench_switch.py --threads N`, docs/performance.md).
    """
    return max(1, (os.cpu_count() or 1) // CONCURRENCY)


MALLOC_ARENAS = 2
"""glibc malloc arenas of the server process (`limit_malloc_arenas`)."""


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Cap glibc's malloc arenas, as `MALLOC_ARENA_MAX` would (unless that is set already).

    glibc gives threads their own arenas (up to eight per core), and each keeps memory that a
    request freed: under 30 clients (`benchmarks/load.py`, 150 requests) the server grew
    +146 MB with glibc's default and +105 MB with two arenas, at the same speed. Call before the
    server's threads start.

    Returns:
        True when the cap was set (glibc found and no `MALLOC_ARENA_MAX` in the environment).
    """
    if os.environ.get("MALLOC_ARENA_MAX"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc (macOS, Windows, musl): nothing to cap
        return False
    m_arena_max = -8  # glibc's <malloc.h>
    return bool(libc.mallopt(m_arena_max, arenas))


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command line of `python app.py` (docs/design.md §5)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    lang = argv_lang(argv)
    parser = argparse.ArgumentParser(prog="app.py", description=t("server_description", lang))
    parser.add_argument("--model", default=EMBEDDED, help=t("server_model_help", lang))
    parser.add_argument("--weights", default=None, help=t("server_weights_help", lang))
    own_model_flags(parser, lang)  # --labels [LANG=]FILE --input-size --mean --std
    parser.add_argument("--host", default="127.0.0.1", help=t("server_host_help", lang))
    parser.add_argument("--port", type=int, default=7860, help=t("server_port_help", lang))
    parser.add_argument("--lang", choices=LANGS, default=None, help=t("server_lang_help", lang))
    parser.add_argument("--share", action="store_true", help=t("server_share_help", lang))
    threads = default_threads()
    parser.add_argument(
        "--threads", type=int, default=threads, help=t("server_threads_help", lang, n=threads)
    )
    parser.add_argument("--offline", action="store_true", help=t("server_offline_help", lang))
    parser.add_argument(
        "--live-any-model", action="store_true", help=t("live_server_any_model_help", lang)
    )
    parser.add_argument(
        "--password", default=None, metavar="CODE", help=t("server_password_help", lang)
    )
    device_flag(parser, lang)
    args = parser.parse_args(argv)
    if args.password is not None and not args.password.strip():
        print(t("server_password_empty", lang), file=sys.stderr)
        raise SystemExit(2)  # argparse's exit status for a bad command line
    args.device = device_from_flag(args.device, lang)
    return args


def class_code_check(code: str) -> Callable[[str, str], bool]:
    """Gradio's `auth` for one shared class code: any name, the code as password.

    A class code is one secret for the whole room, so the name is not checked (students may
    type their own); the code is compared in constant time.
    """
    expected = code.encode()

    def check(username: str, password: str) -> bool:
        return hmac.compare_digest(password.encode(), expected)

    return check


def login_message(lang: str | None) -> str:
    """The login page's words (HTML): in `lang`, or in every language when the page follows
    each browser (the login page comes before the page's own language switch)."""
    langs = LANGS if lang is None else (normalize_lang(lang),)
    return "<br>".join(html.escape(t("server_login_message", code)) for code in langs)


def is_loopback(host: str) -> bool:
    """True when `host` is reachable from this machine only ("localhost", 127.x, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def open_door_warning(args: argparse.Namespace, lang: str) -> str | None:
    """The one warning line for an app that others can reach without a class code, else None."""
    if args.password or is_loopback(args.host):
        return None
    return t("server_no_password", lang, host=args.host)


def configure_queue(demo: gr.Blocks) -> gr.Blocks:
    """Bounded queue, two analyses at a time, no REST route that skips the queue."""
    return demo.queue(
        max_size=QUEUE_MAX_SIZE, default_concurrency_limit=CONCURRENCY, api_open=False
    )


def launch_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """Everything `demo.launch` needs, from parsed arguments (`parse_args`).

    Returns:
        Keyword arguments: host and port, share only when asked, the upload cap, translations,
        CSS and head script, `show_error=False`, no extra allowed paths, and the class-code
        login when `--password` is given.
    """
    password = getattr(args, "password", None)
    return {
        "server_name": args.host,
        "server_port": args.port,
        "share": bool(getattr(args, "share", False)),
        "max_file_size": MAX_FILE_SIZE,
        "show_error": False,
        "allowed_paths": None,
        "i18n": build_i18n(),
        "css": page_css(),
        "head": head_html(),
        "theme": THEME,
        "footer_links": ["gradio"],
        "state_session_capacity": STATE_SESSIONS,
        "enable_monitoring": False,
        "ssr_mode": False,
        "mcp_server": False,
        "pwa": False,
        "auth": class_code_check(password) if password else None,
        "auth_message": login_message(getattr(args, "lang", None)) if password else None,
    }


def load_default_model(args: argparse.Namespace) -> tuple[LoadedModel, WeightsUnavailable | None]:
    """The starting model: `--model`/`--weights` (with `--labels` the teacher's own model,
    `models.own`; preprocessing flags applied), falling back to the embedded model when
    ImageNet weights cannot be had and no file was named.

    Returns:
        (model, reason): the `WeightsUnavailable` that made it fall back, else None.
    """
    own = [getattr(args, k, None) for k in ("labels", "input_size", "mean", "std")]
    if args.weights is not None or any(v is not None for v in own):
        return load_flagged_model(args, allow_download=not args.offline), None
    return load_model_or_embedded(args.model, allow_download=not args.offline)


def serve(
    model: LoadedModel,
    args: argparse.Namespace | None = None,
    *,
    registry: ModelRegistry | None = None,
) -> gr.Blocks:
    """Build, queue and launch the app without blocking (tests, benchmarks and `main`).

    Args:
        model: the model sessions start on.
        args: parsed arguments (`parse_args`); port 0 or None picks a free port.
        registry: a model registry to use instead of a fresh one (tests).

    Returns:
        The running `gr.Blocks`; its URL is `demo.local_url`; stop it with `demo.close()`.
    """
    # Gradio's upload folder is shared by every process on the machine and files are named by
    # content: when one app closes it deletes uploads another app is still reading. Own one.
    os.environ.setdefault("GRADIO_TEMP_DIR", tempfile.mkdtemp(prefix="resnet-demo-gradio-"))
    args = args if args is not None else parse_args([])
    kwargs = launch_kwargs(args)
    if not kwargs["server_port"]:
        kwargs["server_port"] = free_port(args.host)
    if registry is None:
        registry = ModelRegistry(model, allow_download=not getattr(args, "offline", False))
    lang = getattr(args, "lang", None)
    demo = build_demo(
        model,
        lang or "en",
        follow_browser=lang is None,
        registry=registry,
        live_any_model=bool(getattr(args, "live_any_model", False)),
    )
    quiet_queue_analytics()
    configure_queue(demo)
    demo.launch(**kwargs, prevent_thread_lock=True, quiet=True)
    return demo


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on `host` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _words(exc: Exception, lang: str) -> str:
    """An error in `lang`: a DemoError's own words, else its English text."""
    return exc.words(lang) if isinstance(exc, DemoError) else str(exc)


def main(argv: Sequence[str] | None = None, started: float | None = None) -> None:
    """Start the app; print the URL and how long start-up took.

    Args:
        argv: command-line arguments. Default: `sys.argv[1:]`.
        started: `time.perf_counter()` at process start (app.py takes it before importing
            torch and gradio), so the printed time is the whole start-up. Default: now.
    """
    start = time.perf_counter() if started is None else started
    limit_malloc_arenas()
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    torch.set_num_threads(max(1, args.threads))
    lang = normalize_lang(args.lang)  # the console's language (the page follows each browser)
    warning = open_door_warning(args, lang)
    if warning is not None:
        print(warning, file=sys.stderr)
    use_device(args.device)
    try:
        model, reason = load_default_model(args)
    except Exception as exc:  # noqa: BLE001 - a one-line message, not a traceback
        sys.exit(t("server_error", lang, reason=_words(exc, lang)))
    if reason is not None:
        print(t("server_fallback", lang, reason=reason.words(lang)), file=sys.stderr)
    demo = serve(model, args)
    url = demo.local_url or f"http://{args.host}:{args.port}/"
    seconds = time.perf_counter() - start
    print(t("server_ready", lang, model=model.name, url=url, seconds=seconds))
    if demo.share_url:
        print(t("server_public_link", lang, url=demo.share_url))
    try:
        demo.block_thread()
    except KeyboardInterrupt:
        demo.close()
