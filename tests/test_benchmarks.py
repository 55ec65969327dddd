"""The benchmark scripts start from a checkout, wherever they are run from (`make bench`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "script", ["bench_analysis.py", "bench_switch.py", "bench_lab.py", "load.py"]
)
def test_benchmark_script_imports_and_explains_itself(script: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), "--help"],
        cwd=tmp_path,  # not the repository root: the script must find the package itself
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout
