"""The type check is part of the suite: mypy passes, and every `# type: ignore` says why.

mypy runs as `make lint` runs it, from the repository root with the `[tool.mypy]` settings of
pyproject.toml (the package and the training recipes), so `make test` and `.ci/run` fail on a type
error too. A cold run takes about two minutes here; later runs reuse `.mypy_cache`.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECKED = ("resnet_demo", "training")

IGNORE = re.compile(r"#\s*type:\s*ignore\b")
EXPLAINED = re.compile(r"#\s*type:\s*ignore\[[a-z][a-z-]*(?:\s*,\s*[a-z][a-z-]*)*\]\s+#\s*\S")
"""`# type: ignore[code]` or `[code, code]`, then a comment with the reason."""


def unexplained_ignores(source: str) -> list[int]:
    """Line numbers of `# type: ignore` comments without an error code and a `#` reason."""
    lines = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        found = IGNORE.search(token.string) if token.type == tokenize.COMMENT else None
        if found and not EXPLAINED.match(token.string, found.start()):
            lines.append(token.start[0])
    return lines


@pytest.mark.parametrize(
    ("line", "explained"),
    [
        ("x = f()  # type: ignore[arg-type]  # the stub omits None\n", True),
        ("x = f()  # type: ignore[arg-type, union-attr]  # two stub gaps\n", True),
        ("x = f()  # type: ignore[arg-type]\n", False),
        ("x = f()  # type: ignore  # no code\n", False),
        ("x = f()  # type: ignore[arg-type]  #\n", False),
        ("x = f()  # type:ignore[arg-type] - a dash is not a comment\n", False),
        ('x = "# type: ignore"  # in a string, not a comment\n', True),
    ],
)
def test_unexplained_ignores_finds_what_it_should(line: str, explained: bool) -> None:
    assert unexplained_ignores(line) == ([] if explained else [1])


def test_every_type_ignore_names_its_code_and_reason() -> None:
    sources = sorted(p for folder in CHECKED for p in (ROOT / folder).rglob("*.py"))
    assert sources, "no sources found to scan"
    bad = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in sources
        for line in unexplained_ignores(path.read_text(encoding="utf-8"))
    ]
    assert bad == [], "write `# type: ignore[code]  # reason` at: " + ", ".join(bad)


@pytest.mark.timeout(900)
def test_mypy_passes() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=870,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"mypy failed (exit {result.returncode}):\n{output}"
    assert "Success: no issues found" in output, output
