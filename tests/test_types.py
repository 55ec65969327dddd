"""Every `# type: ignore` in the package and the training recipes names its code and reason.

mypy itself runs in `make lint` (and so in `.ci/run`), not here: a cold run takes minutes.
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import pytest

pytestmark = pytest.mark.tooling

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
