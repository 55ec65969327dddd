"""The page's components: one NamedTuple per section and the `Page` that holds them all.

`layout` builds them (each section's builder returns its NamedTuple) and `Handlers` writes into
them by component (`{page.results.banner: ...}`), never by position.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

import gradio as gr

from resnet_demo.ui.i18n import Words
from resnet_demo.ui.inputs import CheckedSlider, UntrustedImage, UntrustedSketchpad
from resnet_demo.ui.strip import BlockStrip


class Header(NamedTuple):
    picker: gr.Dropdown
    status: gr.Markdown
    language: gr.Radio
    saved_lang: gr.BrowserState
    reset: gr.Button


class Inputs(NamedTuple):
    image: UntrustedImage
    sketch: UntrustedSketchpad
    classify: gr.Button
    gallery: gr.Gallery


class Results(NamedTuple):
    predictions: gr.Label
    overlay: gr.Image
    raw_cam: gr.Image
    caption: gr.Markdown
    zero_note: gr.Markdown
    zero_button: gr.Button
    banner: gr.HTML
    target: gr.Dropdown
    method: gr.Dropdown
    layer: gr.Dropdown
    opacity: CheckedSlider
    top_k: CheckedSlider
    method_note: gr.Markdown
    stages: gr.Gallery
    palette: gr.Dropdown
    shapes_note: gr.Markdown


class Switches(NamedTuple):
    strip: BlockStrip
    result: gr.HTML
    stage: gr.Dropdown
    presets: dict[str, gr.Button]


class Comparison(NamedTuple):
    table: gr.Dataframe
    cam_intact: gr.Image
    cam_switched: gr.Image
    cam_diff: gr.Image


class BlockMaps(NamedTuple):
    activations: gr.Image
    inspect: gr.Dropdown
    channels: gr.Image


class Faithfulness(NamedTuple):
    button: gr.Button
    chart: gr.Image


class Export(NamedTuple):
    button: gr.Button
    download_card: gr.DownloadButton
    download_json: gr.DownloadButton


@dataclass(eq=False)
class Page:
    """Every section's components, the session state, and the page's static words."""

    state: gr.State
    header: Header
    inputs: Inputs
    results: Results
    switches: Switches
    comparison: Comparison
    maps: BlockMaps
    export: Export
    faithfulness: Faithfulness
    words: Words = field(default_factory=list)

    def controls(self) -> dict[str, Any]:
        """The controls every analysis reads, by the handlers' parameter names."""
        r = self.results
        return {
            "target": r.target,
            "method": r.method,
            "layer": r.layer,
            "top_k": r.top_k,
            "opacity": r.opacity,
            "strip": self.switches.strip,
            "lang": self.header.language,
        }

    def view(self) -> list[Any]:
        """The outputs of a full refresh (`Handlers.view`), session state first."""
        r, c = self.results, self.comparison
        return [
            self.state,
            r.predictions, r.overlay, r.raw_cam, r.caption, r.zero_note, r.zero_button,
            r.banner, r.target, r.method_note, r.stages, self.faithfulness.chart,
            self.switches.strip, self.switches.result,
            c.table, c.cam_intact, c.cam_switched, c.cam_diff,
            self.maps.activations, self.maps.channels,
            self.export.download_card, self.export.download_json,
        ]  # fmt: skip

    def model_parts(self) -> list[Any]:
        """What a model change updates besides the view (`Handlers.model_parts`)."""
        h, r = self.header, self.results
        return [
            h.picker, h.status, r.method, r.layer, self.maps.inspect, self.inputs.gallery,
            r.shapes_note,
        ]  # fmt: skip

    def everything(self) -> list[Any]:
        """The outputs of a language change: every worded component, the model parts, the view."""
        parts = [*self.model_parts(), *self.view(), self.header.saved_lang]
        extra = [block for block, _ in self.words if block not in parts]
        return [*parts, *extra]
