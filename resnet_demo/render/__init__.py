"""Numbers to pictures: colour maps, overlays, feature-map grids, charts and cards.

Charts and cards are matplotlib figures (object-oriented API on an Agg canvas, never pyplot);
overlays, colour maps and feature grids are numpy + Pillow because they run on every switch
flip. Never imports torch or gradio. Every function returns a new RGB uint8 array (H, W, 3) and
leaves its inputs unchanged.
"""

from resnet_demo.render.cards import CardContent, ColourKey, Row, layout_card, picture, result_card
from resnet_demo.render.charts import (
    bar_chart,
    deletion_insertion_chart,
    line_chart,
    plot_bars,
    plot_lines,
)
from resnet_demo.render.colormaps import colorize, colorize_diverging, lut
from resnet_demo.render.figure import recording_texts, render_figure
from resnet_demo.render.grids import feature_grid, upscale_nearest
from resnet_demo.render.overlay import overlay, resize_map

__all__ = [
    "CardContent",
    "ColourKey",
    "Row",
    "bar_chart",
    "colorize",
    "colorize_diverging",
    "deletion_insertion_chart",
    "feature_grid",
    "layout_card",
    "line_chart",
    "lut",
    "overlay",
    "picture",
    "plot_bars",
    "plot_lines",
    "recording_texts",
    "render_figure",
    "resize_map",
    "result_card",
    "upscale_nearest",
]
