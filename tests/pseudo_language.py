"""The tests' pseudo-language "xx": English's catalogue with every line of every string wrapped
in markers (⟦…⟧), so that a text on the page or in a card that lacks them did not come from
the catalogue.

Markdown keeps working: a line's heading, list or quote mark stays before the marker, a
table's cells are wrapped one by one, and `{fields}` are left as they are.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from resnet_demo.text import catalogue

CODE = "xx"
OPEN, CLOSE = "⟦", "⟧"

_LEAD = re.compile(r"^(\s*(?:#{1,6}\s+|[-*+]\s+|\d+\.\s+|>\s*)*)(.*?)(\s*)$")
_RULE = re.compile(r"^\s*\|?[\s:|-]+\|?\s*$")


def wrap(text: str) -> str:
    """`text` with each non-blank line (each table cell) wrapped in the markers."""
    return "\n".join(_wrap_line(line) for line in text.split("\n"))


def _wrap_line(line: str) -> str:
    if not line.strip() or line.lstrip().startswith("```"):
        return line
    if line.lstrip().startswith("|"):
        if _RULE.match(line):
            return line
        cells = line.split("|")
        return "|".join(_wrap_line(c) if c.strip() else c for c in cells)
    lead, body, tail = _LEAD.match(line).groups()  # type: ignore[union-attr]
    return f"{lead}{OPEN}{body}{CLOSE}{tail}" if body else line


def write_catalogue(path: Path) -> Path:
    """Write the pseudo-language's catalogue (one table) to `path` and return `path`."""
    lines = ["[all]"] + [
        f"{key} = {json.dumps(wrap(text), ensure_ascii=False)}"
        for key, text in catalogue("en").items()
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def marked(line: str) -> bool:
    """Whether one line of text carries a marker (came from the pseudo-language's catalogue)."""
    return OPEN in line or CLOSE in line
