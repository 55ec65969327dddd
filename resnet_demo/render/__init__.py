"""Numbers to pictures: colour maps, overlays, feature-map grids, charts and result cards.

Pure numpy + Pillow (matplotlib only for its colour-map tables and bundled DejaVu fonts); never
imports torch or gradio. Every function returns a new RGB uint8 array (H, W, 3) and leaves its
inputs unchanged.
"""

from resnet_demo.render.cards import CardContent, compose_card, result_card
from resnet_demo.render.charts import bar_chart, line_chart
from resnet_demo.render.colormaps import colorize, colorize_diverging, lut
from resnet_demo.render.grids import feature_grid
from resnet_demo.render.overlay import overlay, resize_map

__all__ = [
    "CardContent",
    "bar_chart",
    "colorize",
    "colorize_diverging",
    "compose_card",
    "feature_grid",
    "line_chart",
    "lut",
    "overlay",
    "resize_map",
    "result_card",
]
