"""Server CPU of one switch flip on the embedded model, split by where it goes.

    python benchmarks/bench_flip_cpu.py [--flips 30] [--no-profile]

The app is built in this process (`layout.build_page`), an example image is analysed once, then
`--flips` flips go through Gradio's own `Blocks.process_api` with the strip's event ("/switch"):
the inputs as the browser sends them, Gradio's preprocessing, the handler, Gradio's
postprocessing (the pictures' files, the JSON answer). Each flip switches one block and leaves
the others as they were: a different block each time, so no flip is a setting already seen, then
(second figure) the same flips again, every one a setting already seen.

Cost is process CPU time (`time.process_time`, every thread), so a busy machine slows the
figures less than it slows wall time; medians over the flips, after one warm-up flip. Gradio's
worker-thread calls run inline (one thread, as cProfile needs). A third pass times these parts of
each flip with a CPU timer around the functions of `TIMED`:

- analysis: `Engine.run` (the switched network, the comparison);
- drawing: the view's pictures and words (`Handlers.view`, less its PNG encoding);
- encoding: the PNG files (`pictures.png_bytes`) and the pictures Gradio encodes itself (JPEG
  overlays, stage tiles: `processing_utils.encode_pil_to_bytes`);
- Gradio: the rest of `process_api` (pre/postprocessing, the files' checks, state, updates).

`--profile N` adds cProfile's top N functions (timed by CPU) over further flips. The HTTP and
event-stream work of a served request (routes, the queue, the SSE message) is not included.
Prints the figures and the total per flip against the target (40 ms); run it from the
repository root with the package importable (`PYTHONPATH=.` outside an editable install).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import functools
import importlib
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio.to_thread
import torch

from resnet_demo.models import load_model
from resnet_demo.switches import MODES, block_names
from resnet_demo.ui.layout import build_page
from resnet_demo.ui.registry import ModelRegistry
from resnet_demo.ui.server import default_threads
from resnet_demo.ui.session import new_session

ROOT = Path(__file__).resolve().parents[1]
TARGET_MS = 40.0

TIMED: dict[str, tuple[str, str]] = {
    "analysis": ("resnet_demo.ui.session", "Engine.run"),
    "view": ("resnet_demo.ui.handlers", "Handlers.view"),
    "png": ("resnet_demo.ui.pictures", "png_bytes"),
    "gradio_save": ("gradio.processing_utils", "encode_pil_to_bytes"),
    "handler": ("resnet_demo.ui.handlers", "Handlers.refresh"),
    "settings": ("resnet_demo.ui.handlers", "Handlers.settings"),
}
"""(module, attribute) of each function whose CPU time the split adds up; a module-level
function is also replaced where another module imported it by name."""


async def _inline(fn: Callable[..., Any], *args: Any, **_: Any) -> Any:
    return fn(*args)


def example() -> Path:
    found = sorted((ROOT / "assets" / "examples").glob("shapes_*.png"))
    return found[0] if found else ROOT / "assets" / "examples" / "chelsea.jpg"


def gray_modes(i: int, n: int) -> list[str]:
    """The `n` modes of setting `i` in the reflected ternary Gray code (one digit changes from
    each setting to the next)."""
    digits, modes, flip = [], [], 0
    for _ in range(n):
        digits.append(i % 3)
        i //= 3
    for digit in reversed(digits):  # most significant first; odd prefixes reflect the rest
        d = 2 - digit if flip % 2 else digit
        modes.append(MODES[d])
        flip += digit
    return modes[::-1]


class Bench:
    """The app, one session with an analysed example, and its "/switch" event."""

    def __init__(self) -> None:
        from gradio.state_holder import SessionState

        model = load_model("embedded")
        self.demo, self.page, self.handlers = build_page(
            model, registry=ModelRegistry(model, allow_download=False)
        )
        self.blocks = block_names(model.module)
        fns = self.demo.fns.values()
        self.fn = next(f for f in fns if f.api_name == "switch")
        self.state = SessionState(self.demo)
        controls = {"target": -1, "layer": "layer4", "top_k": 5, "opacity": 0.5, "lang": "en"}
        session = new_session(self.handlers.registry)
        session = self.handlers.on_image(str(example()), session, strip=None, **controls)[
            self.page.state
        ]
        self.state[self.page.state._id] = session
        self.rev = session.rev
        self.inputs = {c._id: c.value for c in self.fn.inputs}
        for component, value in controls.items():
            self.inputs[self.page.controls()[component]._id] = value

    def flip(self, i: int) -> dict[str, Any]:
        """Setting number `i` of a ternary Gray code over the blocks: setting i and i + 1 differ
        in one block's mode, so going from one to the next is one flip."""
        modes = dict(zip(self.blocks, gray_modes(i, len(self.blocks)), strict=True))
        self.rev += 1
        strip = {"modes": modes, "selected": "", "rev": self.rev}
        self.inputs[self.page.switches.strip._id] = strip
        inputs = [self.inputs[c._id] for c in self.fn.inputs]
        return asyncio.run(self.demo.process_api(self.fn, inputs, state=self.state))

    def timed(self, flips: range) -> list[float]:
        """CPU seconds of each flip."""
        times = []
        for i in flips:
            start = time.process_time()
            answer = self.flip(i)
            times.append(time.process_time() - start)
            assert "data" in answer, answer
        return times


def split(bench: Bench, flips: range) -> dict[str, float]:
    """CPU milliseconds per flip of each part (median): the functions of `TIMED` wrapped with a
    CPU timer for these flips."""
    spent: dict[str, float] = {}

    def timer(part: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[part] = spent.get(part, 0.0) + time.process_time() - start

        return timed

    undo = []
    for part, (module_name, attribute) in TIMED.items():
        owner: Any = importlib.import_module(module_name)
        *path, name = attribute.split(".")
        for step in path:
            owner = getattr(owner, step)
        original = getattr(owner, name)
        wrapped = timer(part, original)
        for holder in [owner, *(m for m in list(sys.modules.values()) if not path and m)]:
            if getattr(holder, name, None) is original:
                setattr(holder, name, wrapped)
                undo.append((holder, name, original))
    rows: dict[str, list[float]] = {}
    try:
        for i in flips:
            spent.clear()
            start = time.process_time()
            bench.flip(i)
            total = time.process_time() - start
            parts = {
                "analysis": spent.get("analysis", 0.0),
                "drawing": spent.get("view", 0.0) - spent.get("png", 0.0),
                "encoding": spent.get("png", 0.0) + spent.get("gradio_save", 0.0),
                "Gradio": total
                - spent.get("handler", 0.0)
                - spent.get("settings", 0.0)
                - spent.get("gradio_save", 0.0),
                "total": total,
            }
            parts["handler, rest"] = total - sum(v for k, v in parts.items() if k != "total")
            for part, seconds in parts.items():
                rows.setdefault(part, []).append(1000 * seconds)
    finally:
        for holder, name, original in undo:
            setattr(holder, name, original)
    return {part: statistics.median(ms) for part, ms in rows.items()}


def profile(bench: Bench, flips: range, lines: int) -> None:
    """cProfile (timed by process CPU) of the flips: the functions by cumulative time."""
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    bench.timed(flips)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flips", type=int, default=30, help="timed flips per pass")
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="also print cProfile's top N"
    )
    parser.add_argument(
        "--threads", type=int, default=default_threads(), help="torch threads (as the app)"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    anyio.to_thread.run_sync = _inline  # type: ignore[assignment]  # one thread: cProfile sees all
    bench = Bench()
    bench.timed(range(1))  # warm-up
    new = bench.timed(range(1, args.flips + 1))
    seen = bench.timed(range(1, args.flips + 1))
    median_new, median_seen = 1000 * statistics.median(new), 1000 * statistics.median(seen)
    print(f"torch threads: {torch.get_num_threads()}; {len(bench.blocks)} blocks")
    print(
        f"flip, a new setting:     median {median_new:5.1f} ms CPU (max {1000 * max(new):5.1f})"
        f" over {len(new)} flips = {median_new / TARGET_MS:.2f} x the {TARGET_MS:.0f} ms target"
        f" [{'ok' if median_new <= TARGET_MS else 'OVER'}]"
    )
    print(
        f"flip, a setting seen:    median {median_seen:5.1f} ms CPU (max {1000 * max(seen):5.1f})"
        f" = {median_seen / TARGET_MS:.2f} x target"
        f" [{'ok' if median_seen <= TARGET_MS else 'OVER'}]"
    )
    seen_parts = split(bench, range(1, args.flips + 1))  # before new ones push them out
    new_parts = split(bench, range(args.flips + 1, 2 * args.flips + 1))
    print("split of a flip (median ms CPU of each part):  new setting   setting seen")
    for part, ms in new_parts.items():
        print(f"  {part:14s} {ms:30.1f} {seen_parts[part]:14.1f}")
    if args.profile:
        profile(bench, range(2 * args.flips + 1, 3 * args.flips + 1), args.profile)
    return 0 if median_new <= TARGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
