"""The live panel's components (`layout.build_live_tab` builds them and returns them)."""

from __future__ import annotations

from typing import NamedTuple

import gradio as gr

from resnet_demo.ui.inputs import UntrustedImage
from resnet_demo.ui.live.handlers import LiveHandlers


class LiveView(NamedTuple):
    camera: UntrustedImage
    predictions: gr.Label
    overlay: gr.Image
    switched: gr.Markdown
    message: gr.Markdown
    handlers: LiveHandlers
