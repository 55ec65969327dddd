"""The "A batch of images" panel: many pictures through the intact and the switched network.

`build_batch_tab(get_model, get_switches, state=..., language=...)` builds the panel inside the
caller's current Blocks context (`layout`); its handlers (`handlers`) classify the batch with
`resnet_demo.batch` (no Gradio there) and word it with `views` in the page's language.
"""

from resnet_demo.ui.batch.components import BatchView
from resnet_demo.ui.batch.handlers import BatchHandlers
from resnet_demo.ui.batch.layout import build_batch_tab

__all__ = ["BatchHandlers", "BatchView", "build_batch_tab"]
