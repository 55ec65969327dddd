"""The one progress callback of long engine runs: a fraction and a catalogue key, never prose.

Engine code (the lab's experiments) calls `progress(fraction, key, **fields)` between steps, with
`key` from the catalogue's `[progress]` table (`resnet_demo/text/*.toml`) and the values of its
`{fields}`; the front ends word it with `resnet_demo.text.t(key, lang, **fields)`. No torch, no
Gradio here.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["Progress", "report"]


class Progress(Protocol):
    """A callback told how far a long run has got.

    Args:
        fraction: share of the work done, float in [0, 1].
        key: catalogue key of the step, e.g. "progress_lesions" (table `[progress]`).
        **fields: the values of the key's `{fields}`, e.g. block="layer3.1".
    """

    def __call__(self, fraction: float, key: str, /, **fields: object) -> None: ...


def report(progress: Progress | None, fraction: float, key: str, /, **fields: object) -> None:
    """Call `progress(fraction, key, **fields)` unless `progress` is None.

    Args:
        progress: the caller's callback, or None for none.
        fraction: float in [0, 1]; clamped into it.
        key: catalogue key of the step.
        **fields: its values.
    """
    if progress is not None:
        progress(min(1.0, max(0.0, float(fraction))), key, **fields)
