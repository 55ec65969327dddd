"""Serve the app as N replicas behind HAProxy, with sticky sessions.

    python deploy/replicas.py [--replicas N] [--host H] [--port P] [app.py flags ...]
    python deploy/replicas.py --servers HOST:PORT,HOST:PORT --config-only DIR [--host H] [--port P]

The first form starts N `app.py` processes on 127.0.0.1, ports P+1 … P+N, each with the app
flags given here (`--password`, `--model`, `--lang`, ...) and its own upload folder, waits until
each answers, then runs `haproxy` on H:P in the foreground until Ctrl-C, which stops them all.
The second writes the balancer's files into DIR for replicas that run on other machines
(docs/deploy.md). The config comes from `deploy/haproxy.cfg.in`; the words a student sees when
a replica stops come from the text catalogue.
"""

from __future__ import annotations

import argparse
import html
import ipaddress
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from string import Template

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402 - after the path so the script runs from a checkout

from resnet_demo.text import LANGS, argv_lang, t  # noqa: E402

TEMPLATE = Path(__file__).with_name("haproxy.cfg.in")
READY_TIMEOUT_S = 300.0
"""Longest wait for one replica to answer (loading torch and the model on a busy machine)."""
REPLICA_HOST = "127.0.0.1"
"""Where local replicas listen: only the balancer reaches them."""


def parse_args(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    """This script's flags, and the rest (forwarded to every `app.py`)."""
    lang = argv_lang(argv)
    parser = argparse.ArgumentParser(
        prog="deploy/replicas.py", description=t("deploy_description", lang)
    )
    parser.add_argument(
        "--replicas", type=int, default=2, metavar="N", help=t("deploy_replicas_help", lang)
    )
    parser.add_argument("--host", default="127.0.0.1", help=t("server_host_help", lang))
    parser.add_argument("--port", type=int, default=7860, help=t("deploy_port_help", lang))
    parser.add_argument(
        "--servers", default=None, metavar="HOST:PORT,...", help=t("deploy_servers_help", lang)
    )
    parser.add_argument(
        "--config-only", default=None, metavar="DIR", help=t("deploy_out_help", lang)
    )
    args, app_flags = parser.parse_known_args(argv)
    args.lang = lang
    if args.replicas < 1:
        parser.error(t("deploy_replicas_low", lang))
    if any(flag.split("=")[0] in ("--host", "--port") for flag in app_flags):
        parser.error(t("deploy_own_flags", lang))
    return args, app_flags


def backends(args: argparse.Namespace) -> list[tuple[str, str]]:
    """(name, host:port) of every replica: the `--servers` list, or P+1 … P+N on this machine."""
    if args.servers:
        addresses = [s.strip() for s in args.servers.split(",") if s.strip()]
    else:
        addresses = [f"{REPLICA_HOST}:{args.port + i}" for i in range(1, args.replicas + 1)]
    return [(f"r{i}", address) for i, address in enumerate(addresses, 1)]


def write_config(folder: Path, bind: str, servers: Sequence[tuple[str, str]]) -> Path:
    """Write haproxy.cfg and the "replica stopped" answers (both languages) into `folder`.

    Returns:
        The path of haproxy.cfg.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for lang in LANGS:
        gone = {"detail": t("deploy_replica_gone", lang), "error": t("deploy_replica_gone", lang)}
        (folder / f"gone.{lang}.json").write_text(json.dumps(gone, ensure_ascii=False) + "\n")
    words = "".join(f"<p>{html.escape(t('deploy_replica_gone', lang))}</p>" for lang in LANGS)
    page = (
        "<!doctype html><meta charset=utf-8><title>ResNet Demo</title>"
        f"<body style='font-family:sans-serif;margin:3em'>{words}</body>\n"
    )
    head = (
        "HTTP/1.0 503 Service Unavailable\r\nCache-Control: no-store\r\nConnection: close\r\n"
        "Content-Type: text/html; charset=utf-8\r\n\r\n"
    )
    (folder / "stopped.http").write_bytes(head.encode() + page.encode())
    pinned = "\n".join(
        f"    http-request set-var(txn.gone) bool(true) if "
        f"{{ req.cook(SERVERID) -m str {name} }} !{{ srv_is_up(replicas/{name}) }}"
        for name, _ in servers
    )
    lines = "\n".join(f"    server {name} {address} cookie {name}" for name, address in servers)
    text = Template(TEMPLATE.read_text()).substitute(
        bind=bind, dir=str(folder.resolve()), pinned_down=pinned, servers=lines
    )
    config = folder / "haproxy.cfg"
    config.write_text(text)
    return config


def is_loopback(host: str) -> bool:
    """True when `host` is reachable from this machine only (as `resnet_demo.ui.server`'s,
    without importing gradio and torch into this small process)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def has_password(app_flags: Sequence[str]) -> bool:
    """Whether the forwarded flags give the replicas a class code."""
    return any(flag == "--password" or flag.startswith("--password=") for flag in app_flags)


def start_replica(address: str, app_flags: Sequence[str], uploads: Path) -> subprocess.Popen[bytes]:
    """`app.py` on `address` with the forwarded flags and its own upload folder."""
    host, port = address.rsplit(":", 1)
    command = [sys.executable, str(ROOT / "app.py"), *app_flags, "--host", host, "--port", port]
    uploads.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "GRADIO_TEMP_DIR": str(uploads)}
    return subprocess.Popen(command, cwd=ROOT, env=env)


def wait_ready(replica: subprocess.Popen[bytes], address: str) -> bool:
    """Wait until the replica answers Gradio's app-id route (open even with a password)."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline and replica.poll() is None:
        try:
            if httpx.get(f"http://{address}/gradio_api/app_id", timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    return False


def stop(processes: Sequence[subprocess.Popen[bytes]]) -> None:
    """Terminate every process (SIGTERM: a background start may ignore Ctrl-C's SIGINT), then
    kill those still running after 10 s."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def main(argv: Sequence[str] | None = None) -> int:
    args, app_flags = parse_args(list(sys.argv[1:] if argv is None else argv))
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    lang = args.lang
    servers = backends(args)
    bind = f"{args.host}:{args.port}"
    if args.config_only:
        config = write_config(Path(args.config_only), bind, servers)
        print(t("deploy_wrote", lang, path=config))
        return 0
    haproxy = shutil.which("haproxy")
    if haproxy is None:
        print(t("deploy_no_haproxy", lang), file=sys.stderr)
        return 1
    if not is_loopback(args.host) and not has_password(app_flags):
        print(t("server_no_password", lang, host=args.host), file=sys.stderr)
    work = Path(tempfile.mkdtemp(prefix="resnet-demo-replicas-"))
    processes: list[subprocess.Popen[bytes]] = []
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop the replicas on `kill` too
    try:
        config = write_config(work / "haproxy", bind, servers)
        for name, address in [] if args.servers else servers:
            replica = start_replica(address, app_flags, work / f"uploads-{name}")
            processes.append(replica)
            print(t("deploy_replica", lang, name=name, url=f"http://{address}/", pid=replica.pid))
        for (name, address), replica in zip(servers, processes, strict=False):
            if not wait_ready(replica, address):
                print(t("deploy_replica_failed", lang, name=name), file=sys.stderr)
                return 1
        balancer = subprocess.Popen([haproxy, "-db", "-f", str(config)])
        processes.append(balancer)
        print(t("deploy_ready", lang, n=len(servers), url=f"http://{bind}/"), flush=True)
        return balancer.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        stop(processes)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
