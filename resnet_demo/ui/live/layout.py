"""The live panel: a streaming webcam beside the live predictions, overlay and switched line.

`build_live_tab` builds the components inside the caller's Blocks context (`ui.layout` puts
them in the "Live webcam" accordion) and wires the webcam's `.stream` to `LiveHandlers.on_frame`
in its own concurrency group (`LIVE`), never the analyses' group, so streams cannot hold the
workers ordinary requests wait for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gradio as gr

from resnet_demo.models import LoadedModel
from resnet_demo.ui.i18n import label
from resnet_demo.ui.inputs import UntrustedImage
from resnet_demo.ui.live.components import LiveView
from resnet_demo.ui.live.handlers import LiveHandlers
from resnet_demo.ui.live.slots import LIVE_STREAMS, LiveSlots
from resnet_demo.ui.session import MAX_TOP_K, Session

LIVE = "live"
"""Concurrency group of the live streams (apart from `ui.layout.WORK`, the analyses' group)."""

LIVE_WORKERS = LIVE_STREAMS + 2
"""Streams Gradio runs at once. A stream holds its worker for its whole run, so with exactly
`LIVE_STREAMS` workers a third stream would wait silently in the queue; the spare workers answer
it "busy" (no computation: `LiveSlots` admits only `LIVE_STREAMS` streams to the network)."""

STREAM_EVERY_S = 0.1
"""How often the browser sends a frame (at most 10 frames/s a stream)."""

TIME_LIMIT_S = 120
"""A stream ends after this long; the student starts it again with the record button."""

OVERLAY_HEIGHT = 240


def build_live_tab(
    get_model: Callable[[Session], LoadedModel],
    *,
    state: gr.State,
    language: Any,
    opacity: Any = None,
    any_model: bool = False,
    slots: LiveSlots | None = None,
) -> LiveView:
    """Build the live panel in the current Blocks context and wire its stream.

    Args:
        get_model: the session's model (`Engine.model`).
        state: the page's session state (switches, layer, top-k, palette, opacity).
        language: the page's language component (its value words the messages).
        opacity: the page's opacity slider (read with every frame), or None for the session's.
        any_model: allow models other than the embedded ones (`--live-any-model`).
        slots: the live slots (tests); a fresh `LiveSlots()` if None.
    """
    handlers = LiveHandlers(get_model, slots, any_model)
    gr.Markdown(label("live_help"), elem_classes=["help"])
    with gr.Row(equal_height=True, elem_id="live-row"):
        camera = UntrustedImage(
            sources=["webcam"],
            streaming=True,
            type="filepath",
            label=label("live_camera"),
            height=OVERLAY_HEIGHT,
            elem_id="live-camera",
            scale=3,
            min_width=240,
        )
        predictions = gr.Label(
            num_top_classes=MAX_TOP_K,
            label=label("live_predictions"),
            show_heading=False,
            elem_id="live-predictions",
            scale=3,
            min_width=200,
        )
        overlay = gr.Image(
            label=label("live_overlay"),
            interactive=False,
            format="jpeg",
            height=OVERLAY_HEIGHT,
            elem_id="live-overlay",
            scale=3,
            min_width=200,
        )
    switched = gr.Markdown("", elem_id="live-switched")
    message = gr.Markdown("", elem_id="live-message")
    camera.stream(
        handlers.on_frame,
        inputs=[camera, state, language, *([opacity] if opacity is not None else [])],
        outputs=[predictions, overlay, switched, message],
        stream_every=STREAM_EVERY_S,
        time_limit=TIME_LIMIT_S,
        concurrency_limit=LIVE_WORKERS,
        concurrency_id=LIVE,
        show_progress="hidden",
        api_visibility="private",
    )
    return LiveView(camera, predictions, overlay, switched, message, handlers)
