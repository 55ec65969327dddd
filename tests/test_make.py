"""The README's two commands on a fresh machine, checked without apt or a network.

`make test` must install Chromium and a CJK font itself when they are missing (apt-get as root,
otherwise one line with the command to run); `make run` must need nothing beyond Python; CI is
`make lint` then `make test`; the README links nothing outside the repository. The `browser`
recipe runs here for real against a fake PATH whose `id`, `fc-list`, `chromium` and `apt-get`
are small scripts, so every branch is exercised and nothing is installed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.tooling

ROOT = Path(__file__).resolve().parent.parent
MAKE = shutil.which("make")
PACKAGES = "chromium fonts-noto-cjk fontconfig haproxy"
FONT_LINE = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc: Noto Sans CJK SC:style=Regular"


def _make(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Runs make in the repository root with MAKEFLAGS cleared; never raises on failure."""
    if MAKE is None:
        pytest.fail("make is required (the README's two commands are make targets)")
    base = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}}
    return subprocess.run(
        [MAKE, "--no-print-directory", "-C", str(ROOT), *args],
        env=base if env is None else env,
        capture_output=True,
        text=True,
        timeout=30,
    )


def _script(path: Path, body: str) -> None:
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


def _fake_machine(
    tmp_path: Path,
    *,
    uid: int,
    chromium: bool,
    font: bool,
    apt_status: int = 0,
    apt_installs: bool = True,
) -> tuple[dict[str, str], Path]:
    """A PATH with only grep and fakes; the fake apt-get logs its arguments and environment.

    Args:
        tmp_path: folder for the fake PATH and the log.
        uid: what `id -u` prints (0: root).
        chromium: whether `chromium` (and `haproxy`) is on PATH at first.
        font: whether `fc-list` lists Noto Sans CJK at first.
        apt_status: exit status of every apt-get call.
        apt_installs: whether `apt-get install` makes Chromium and the font appear.

    Returns:
        (environment for make, path of the apt-get log).
    """
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "apt.log"
    grep, chmod = shutil.which("grep"), shutil.which("chmod")
    assert grep is not None and chmod is not None
    (bin_dir / "grep").symlink_to(grep)
    _script(bin_dir / "id", f"echo {uid}")
    _script(bin_dir / "fc-list", f"echo '{FONT_LINE}'" if font else "echo 'DejaVu Sans'")
    if chromium:
        _script(bin_dir / "chromium", "exit 0")
        _script(bin_dir / "haproxy", "exit 0")
    install = (
        f"printf '#!/bin/sh\\n' > {bin_dir}/chromium; {chmod} +x {bin_dir}/chromium; "
        f"printf '#!/bin/sh\\n' > {bin_dir}/haproxy; {chmod} +x {bin_dir}/haproxy; "
        f"printf '#!/bin/sh\\necho \"{FONT_LINE}\"\\n' > {bin_dir}/fc-list"
    )
    on_install = f'[ "$1" = install ] && {{ {install}; }}' if apt_installs else ":"
    _script(
        bin_dir / "apt-get",
        f'echo "DEBIAN_FRONTEND=$DEBIAN_FRONTEND apt-get $*" >> {log}\n'
        f"{on_install}\nexit {apt_status}",
    )
    return {"PATH": str(bin_dir), "HOME": str(tmp_path)}, log


def test_browser_check_does_nothing_when_chromium_and_font_are_there(tmp_path: Path) -> None:
    env, log = _fake_machine(tmp_path, uid=1000, chromium=True, font=True)
    result = _make("-s", "browser", env=env)
    assert result.returncode == 0, result.stderr
    assert not log.exists()
    assert result.stdout == ""


@pytest.mark.parametrize(("chromium", "font"), [(False, True), (True, False), (False, False)])
def test_browser_check_installs_with_apt_as_root(
    tmp_path: Path, chromium: bool, font: bool
) -> None:
    env, log = _fake_machine(tmp_path, uid=0, chromium=chromium, font=font)
    result = _make("-s", "browser", env=env)
    assert result.returncode == 0, result.stderr
    calls = log.read_text().splitlines()
    assert calls == [
        "DEBIAN_FRONTEND=noninteractive apt-get update -qq",
        f"DEBIAN_FRONTEND=noninteractive apt-get install -y -qq {PACKAGES}",
    ]


def test_browser_check_fails_when_apt_fails(tmp_path: Path) -> None:
    env, log = _fake_machine(tmp_path, uid=0, chromium=False, font=True, apt_status=100)
    result = _make("-s", "browser", env=env)
    assert result.returncode != 0
    assert "still missing" not in result.stderr  # apt-get's own error is the message
    assert len(log.read_text().splitlines()) == 1  # no install after a failed update


def test_browser_check_fails_when_apt_installs_nothing_useful(tmp_path: Path) -> None:
    env, _ = _fake_machine(tmp_path, uid=0, chromium=False, font=False, apt_installs=False)
    result = _make("-s", "browser", env=env)
    assert result.returncode != 0
    assert "still missing" in result.stderr


def test_browser_check_stops_with_the_command_when_not_root(tmp_path: Path) -> None:
    env, log = _fake_machine(tmp_path, uid=1000, chromium=False, font=True)
    result = _make("-s", "browser", env=env)
    assert result.returncode != 0
    assert not log.exists()
    ours = [line for line in result.stderr.splitlines() if not re.match(r"make(\[\d+\])?: ", line)]
    assert len(ours) == 1
    assert f"sudo apt-get install -y {PACKAGES}" in ours[0]


def test_make_test_checks_the_browser_before_pytest() -> None:
    result = _make("-n", "test")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "command -v chromium" in out and "Noto Sans CJK" in out
    assert f"apt-get install -y -qq {PACKAGES}" in out
    assert "-m pytest" in out
    assert out.index("command -v chromium") < out.index("-m pytest")


def test_make_run_needs_no_browser_and_lint_runs_mypy() -> None:
    run = _make("-n", "run")
    assert run.returncode == 0, run.stderr
    assert "app.py" in run.stdout
    assert "chromium" not in run.stdout and "apt-get" not in run.stdout
    lint = _make("-n", "lint")
    assert lint.returncode == 0, lint.stderr
    assert "ruff check" in lint.stdout and "mypy" in lint.stdout


def test_make_test_fast_leaves_out_the_slow_tiers() -> None:
    fast = _make("-n", "test-fast")
    assert fast.returncode == 0, fast.stderr
    assert '-m pytest -m "not browser and not server and not slow and not tooling"' in fast.stdout
    assert "apt-get" not in fast.stdout


def test_ci_runs_make_lint_then_make_test() -> None:
    script = ROOT / ".ci" / "run"
    assert os.access(script, os.X_OK)
    lines = [line.strip() for line in script.read_text().splitlines()]
    commands = [line for line in lines if line and not line.startswith("#")]
    assert commands[0] == "set -euo pipefail"
    assert commands[-2:] == ["make lint", "make test"]
    assert not any("apt-get" in command for command in commands)


def test_readme_links_nothing_outside_the_repository() -> None:
    text = (ROOT / "README.md").read_text()
    assert "../" not in text
    targets = re.findall(r"\]\(([^)\s]+)\)", text)
    local = [t for t in targets if not re.match(r"[a-z]+:", t) and not t.startswith("#")]
    assert "docs/design.md" in local
    missing = [t for t in local if not (ROOT / t.split("#")[0]).exists()]
    assert missing == []
