"""The live webcam view: a stream of frames, each analysed on the session's model.

`build_live_tab(get_model, state=..., language=...)` builds the panel inside the caller's
Blocks context (`layout`); `handlers.LiveHandlers` analyses each frame; `slots.LiveSlots` admits
at most `LIVE_STREAMS` streams at once, each on a lease renewed by its frames.
"""

from resnet_demo.ui.live.components import LiveView
from resnet_demo.ui.live.handlers import LiveHandlers, frame_image, live_allowed
from resnet_demo.ui.live.layout import LIVE, LIVE_WORKERS, build_live_tab
from resnet_demo.ui.live.slots import LEASE_S, LIVE_STREAMS, LiveSlots

__all__ = [
    "LEASE_S",
    "LIVE",
    "LIVE_STREAMS",
    "LIVE_WORKERS",
    "LiveHandlers",
    "LiveSlots",
    "LiveView",
    "build_live_tab",
    "frame_image",
    "live_allowed",
]
