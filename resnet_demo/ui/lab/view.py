"""The lab's components, grouped per panel: what the builders return and the handlers update.

Plain NamedTuples (and one dataclass for the whole lab), so a handler names the component it
changes (`view.sweep.chart`) instead of counting output positions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import gradio as gr


class Header(NamedTuple):
    notes_lang: gr.Radio
    presenter: gr.Checkbox


class SweepPanel(NamedTuple):
    source: gr.Radio
    seed: gr.Number
    run: gr.Button
    chart: gr.Image
    summary: gr.Markdown
    card: gr.DownloadButton
    numbers: gr.DownloadButton


class CurvesPanel(NamedTuple):
    image_set: gr.Radio
    n_images: gr.Slider
    draws: gr.Slider
    seed: gr.Number
    run: gr.Button
    chart: gr.Image
    summary: gr.Markdown
    card: gr.DownloadButton
    numbers: gr.DownloadButton


class FlowPanel(NamedTuple):
    depths: gr.CheckboxGroup
    steps: gr.Radio
    run: gr.Button
    similarity: gr.Image
    norms: gr.Image
    summary: gr.Markdown
    card: gr.DownloadButton
    numbers: gr.DownloadButton


class RacePanel(NamedTuple):
    depth: gr.Radio
    budget: gr.Slider
    start: gr.Button
    stop: gr.Button
    chart: gr.Image
    status: gr.Markdown
    last: gr.State
    export: gr.Button
    card: gr.DownloadButton
    numbers: gr.DownloadButton


@dataclass
class LabView:
    """Every component of the lab that a handler reads or changes.

    Attributes:
        header: the notes-language switch and the presenter-mode box.
        sweep, curves, flow, race: the four experiment panels.
        tabs: the five tabs, in `handlers.TAB_KEYS` order.
        notes: note key (`lab.notes.NOTES`) -> its Markdown box.
    """

    header: Header
    sweep: SweepPanel
    curves: CurvesPanel
    flow: FlowPanel
    race: RacePanel
    tabs: list[gr.Tab] = field(default_factory=list)
    notes: dict[str, gr.Markdown] = field(default_factory=dict)
