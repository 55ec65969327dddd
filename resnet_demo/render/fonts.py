"""Fonts of charts and cards: DejaVu Sans for Latin, then the first installed CJK family.

matplotlib's font manager finds the fonts and falls back glyph by glyph along `font.family`
(matplotlib >= 3.6), so Latin letters and symbols (✗, ↓, ‖) come from DejaVu Sans, which
matplotlib bundles, and Chinese characters from the CJK family. When no CJK family is installed
one log line says so, once per process, and Latin text still renders.
"""

from __future__ import annotations

import functools
import logging
import warnings

from matplotlib import font_manager

LATIN_FAMILY = "DejaVu Sans"
"""Bundled with matplotlib, so Latin text looks the same on every machine."""

CJK_FAMILIES: tuple[str, ...] = (
    # Linux
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Droid Sans Fallback",
    # macOS
    "PingFang SC",
    "Hiragino Sans GB",
    "STHeiti",
    "Heiti SC",
    "Songti SC",
    "Arial Unicode MS",
    # Windows
    "Microsoft YaHei",
    "SimHei",
    "DengXian",
    "SimSun",
)
"""Families that draw Simplified Chinese, in order of preference."""

log = logging.getLogger(__name__)


def installed_families() -> set[str]:
    """Names of every font family matplotlib's font manager knows on this machine."""
    return {entry.name for entry in font_manager.fontManager.ttflist}


@functools.cache
def cjk_family() -> str | None:
    """The first installed family of `CJK_FAMILIES`, or None (logged once per process)."""
    installed = installed_families()
    found = next((name for name in CJK_FAMILIES if name in installed), None)
    if found is None:
        log.warning(
            "No CJK font found (tried %s); Chinese text on charts and cards will show as boxes. "
            "Install one, e.g. `apt-get install fonts-noto-cjk`.",
            ", ".join(CJK_FAMILIES[:3]) + ", …",
        )
        # That line says it all: no further warning per missing glyph from every figure.
        warnings.filterwarnings("ignore", r"Glyph \d+ .* missing from font", UserWarning)
    return found


def font_families() -> list[str]:
    """The `font.family` list for charts and cards: DejaVu Sans, then the CJK family if any."""
    cjk = cjk_family()
    return [LATIN_FAMILY] if cjk is None else [LATIN_FAMILY, cjk]
