"""Server cost of one live webcam frame on the embedded model, against the 60 ms budget.

    python benchmarks/bench_live.py [--frames 50] [--warmup 5] [--threads N]

A frame is what the browser streams (a 640×480 JPEG `data:` URL of a generated shape, encoded
before timing, as the browser does it). Timed per frame, as the server runs it: the decode
(`ui.inputs.read_image`), the live handler (`LiveHandlers.on_frame`: slot, analysis, overlay),
and Gradio's output step for the overlay (`gr.Image(format="jpeg").postprocess`: JPEG encoding
and the file Gradio serves) and the label. Once without switches, once with layer3 skip-off
(the switched network is analysed too). Prints the median ms/frame over `--frames` frames after
`--warmup`, frames/s for one stream, the ratio to the budget, and where the time goes; exits
non-zero if a median misses the budget (60 ms, i.e. at least 15 frames/s for one stream).
"""

from __future__ import annotations

import argparse
import base64
import io
import os
import statistics
import tempfile
import time
from dataclasses import replace

os.environ.setdefault("GRADIO_TEMP_DIR", tempfile.mkdtemp(prefix="bench-live-gradio-"))

import gradio as gr
import torch
from PIL import Image

from resnet_demo import shapes
from resnet_demo.models import load_model
from resnet_demo.ui.live import LiveHandlers
from resnet_demo.ui.live.handlers import frame_image
from resnet_demo.ui.server import default_threads
from resnet_demo.ui.session import Session, default_settings

BUDGET_MS = 60.0
FRAME_SIZE = (640, 480)
SWITCHES = {"layer3": "skip-off"}


def frames(n: int) -> list[str]:
    """`n` camera frames as JPEG `data:` URLs (shapes scaled to 640×480, as a webcam shows them)."""
    images = shapes.generate_batch(shapes.TEST_SEED_START, n)[0]
    urls = []
    for image in images:
        big = Image.fromarray(image).resize(FRAME_SIZE, Image.Resampling.BILINEAR)
        buffer = io.BytesIO()
        big.save(buffer, format="JPEG", quality=92)
        urls.append("data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode())
    return urls


def session_with(model, switches: dict[str, str]) -> Session:
    settings = default_settings(model)
    modes = {
        block: next((m for s, m in switches.items() if block.startswith(s + ".")), mode)
        for block, mode in settings.modes.items()
    }
    return Session(model_name=model.name, settings=replace(settings, modes=modes))


def time_frames(model, session: Session, urls: list[str], warmup: int) -> dict[str, list[float]]:
    """Per-frame seconds: decode, handler (analysis + overlay), output step, and the total."""
    live = LiveHandlers(lambda s: model)
    image_out = gr.Image(format="jpeg", interactive=False)
    label_out = gr.Label()
    parts: dict[str, list[float]] = {
        key: [] for key in ("decode", "analysis+overlay", "output", "total")
    }
    for i, url in enumerate(urls):
        t0 = time.perf_counter()
        image = frame_image(url)
        t1 = time.perf_counter()
        predictions, picture, _, message = live.on_frame(image, session, "en")
        t2 = time.perf_counter()
        image_out.postprocess(picture)
        label_out.postprocess(predictions)
        t3 = time.perf_counter()
        assert message == "", message
        if i >= warmup:
            for key, seconds in zip(parts, (t1 - t0, t2 - t1, t3 - t2, t3 - t0), strict=True):
                parts[key].append(seconds)
    return parts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=50, help="timed frames per run")
    parser.add_argument("--warmup", type=int, default=5, help="untimed frames first")
    parser.add_argument(
        "--threads", type=int, default=default_threads(), help="torch threads (as the app)"
    )
    args = parser.parse_args()
    torch.set_num_threads(max(1, args.threads))
    print(f"torch threads: {torch.get_num_threads()}, CPU cores: {os.cpu_count()}")
    model = load_model("embedded")
    urls = frames(args.frames + args.warmup)
    ok = True
    for name, switches in (("no switches", {}), ("layer3 skip-off", SWITCHES)):
        parts = time_frames(model, session_with(model, switches), urls, args.warmup)
        median = {k: 1000 * statistics.median(v) for k, v in parts.items()}
        total = median["total"]
        ok &= total <= BUDGET_MS
        breakdown = ", ".join(f"{k} {v:.1f}" for k, v in median.items() if k != "total")
        print(
            f"live frame, embedded, {name:16s}: median {total:5.1f} ms/frame"
            f" ({1000 / total:5.1f} frames/s), {total / BUDGET_MS:.2f} × budget"
            f" [{'ok' if total <= BUDGET_MS else 'OVER'} budget {BUDGET_MS:.0f} ms]"
            f" over {len(parts['total'])} frames; ms: {breakdown}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
