"""The benchmark scripts import the installed package (`make` installs it editable), wherever
they are run from (`make bench`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from resnet_demo.analysis.methods import METHOD_NAMES

pytestmark = [pytest.mark.tooling, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "script",
    [
        "bench_analysis.py",
        "bench_switch.py",
        "bench_lab.py",
        "load.py",
        "class_load.py",
        "bench_browser.py",
        "bench_methods.py",
        "bench_live.py",
        "bench_batch.py",
    ],
)
def test_benchmark_script_imports_and_explains_itself(script: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), "--help"],
        cwd=tmp_path,  # not the repository root: the script imports the installed package
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout


def test_bench_methods_runs_on_one_shape(tmp_path: Path) -> None:
    """A tiny run prints the whole table: every method, pytorch-grad-cam's three, numbers."""
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "bench_methods.py"),
            *("--n", "1", "--steps", "2", "--repeats", "1", "--threads", "1"),
            *("--speed-models", "embedded"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ")]
    names = [row.split("|")[1].strip() for row in rows[1:]]
    assert names == [*METHOD_NAMES, "pgc GradCAM", "pgc HiResCAM", "pgc Guided Grad-CAM"]
    for row in rows[1:]:
        cells = [float(c) for c in row.split("|")[2:-1]]
        assert all(np.isfinite(cells)), row
        assert 0 <= cells[1] <= 1 and 0 <= cells[2] <= 1  # areas of probabilities


def test_bench_live_runs_a_few_frames(tmp_path: Path) -> None:
    """A tiny run prints both lines (no switches, switched) with ms/frame, frames/s, the ratio to
    the budget and the breakdown; it passes or says OVER (the figure depends on the machine)."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_live.py"), "--frames", "2"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith("live frame")]
    assert len(lines) == 2, done.stdout
    for line in lines:
        total = float(line.split("median")[1].split("ms/frame")[0])
        assert 0 < total < 10_000
        assert "frames/s" in line and "× budget" in line and "decode" in line
        assert ("[ok" in line) == (total <= 60) and ("OVER" in line) == (total > 60)
    assert done.returncode == (1 if any("OVER" in line for line in lines) else 0)


def test_class_load_runs_a_tiny_class(tmp_path: Path) -> None:
    """Two students for a few seconds per phase: Locust speaks Gradio's queue protocol, every
    request kind is answered, and every target prints with its value and HIT or MISS."""
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "class_load.py"),
            *("--students", "2", "--minutes", "0.15", "--think", "0.5"),
            *("--burst-seconds", "4", "--flip-seconds", "4"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    out = done.stdout
    for kind in ("image", "flip", "preset"):
        assert f"  {kind} " in out, out
    targets = [line for line in out.splitlines() if line.startswith(("  HIT ", "  MISS "))]
    assert len(targets) == 6, out
    for words in ("p95", "requests/s", "errors other than queue full: 0", "growth over the class"):
        assert any(words in line for line in targets), (words, out)
    assert "second half" in out and "server CPU per flip" in out
    assert done.returncode == (1 if any("MISS" in line for line in targets) else 0)


def test_bench_browser_times_one_flip_and_one_image(tmp_path: Path) -> None:
    """One flip and one new image in Chromium: both medians, the flip's four parts and the two
    targets with HIT or MISS (the figures depend on the machine)."""
    if not Path("/usr/bin/chromium").is_file():
        pytest.fail("Chromium is required at /usr/bin/chromium (CI installs it with apt-get)")
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "bench_browser.py"),
            "--flips",
            "1",
            *("--images", "1"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    out = done.stdout
    for part in ("before the request leaves", "server (join", "after, until", "pictures, until"):
        line = next(line for line in out.splitlines() if part in line)
        assert float(line.split()[-2]) >= 0, line
    targets = [line for line in out.splitlines() if line.startswith(("  HIT ", "  MISS "))]
    assert [line.split()[1] for line in targets] == ["a", "a"], out
    assert "a flip:" in targets[0] and "a new image:" in targets[1]
    assert done.returncode == (1 if any("MISS" in line for line in targets) else 0)
