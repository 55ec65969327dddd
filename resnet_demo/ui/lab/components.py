"""The lab's components, grouped per panel: what the builders return and the handlers update.

Plain NamedTuples (and one dataclass for the whole lab), so a handler names the component it
changes (`view.sweep.chart`) instead of counting output positions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import gradio as gr


class Header(NamedTuple):
    """Above the tabs: the notes' language and presenter mode (large notes, essentials)."""

    notes_lang: gr.Radio
    presenter: gr.Checkbox


class SweepPanel(NamedTuple):
    """Lesion sweep: model, image source and shape number in; chart, summary, downloads out."""

    model: gr.Dropdown
    source: gr.Radio
    seed: gr.Number
    run: gr.Button
    chart: gr.Image
    summary: gr.Markdown
    card: gr.DownloadButton
    numbers: gr.DownloadButton


class CurvesPanel(NamedTuple):
    """Lesion curves: model, image set, set size, draws per k and seed in; chart, summary,
    downloads."""

    model: gr.Dropdown
    image_set: gr.Radio
    n_images: gr.Slider
    draws: gr.Slider
    seed: gr.Number
    run: gr.Button
    chart: gr.Image
    summary: gr.Markdown
    card: gr.DownloadButton
    numbers: gr.DownloadButton


class RobustPanel(NamedTuple):
    """What training does to robustness: shapes, draws per k and seed in; the lesion curves of
    `embedded` (stochastic depth) and `embedded-no-sd` side by side, summary, downloads out."""

    n_images: gr.Slider
    draws: gr.Slider
    seed: gr.Number
    run: gr.Button
    chart: gr.Image
    summary: gr.Markdown
    card: gr.DownloadButton
    numbers: gr.DownloadButton


class FlowPanel(NamedTuple):
    """Gradient flow: depths and training steps in; two charts, summary, downloads out."""

    depths: gr.CheckboxGroup
    steps: gr.Radio
    run: gr.Button
    similarity: gr.Image
    norms: gr.Image
    summary: gr.Markdown
    card: gr.DownloadButton
    numbers: gr.DownloadButton


class RacePanel(NamedTuple):
    """Degradation race: time budget in; the streamed chart (three views) and status with the
    captions, the last snapshot (`last`, a `gr.State`), and the export button with its
    downloads."""

    budget: gr.Slider
    start: gr.Button
    stop: gr.Button
    chart: gr.Image
    status: gr.Markdown
    last: gr.State
    export: gr.Button
    card: gr.DownloadButton
    numbers: gr.DownloadButton


class SanityPanel(NamedTuple):
    """Sanity checks (Adebayo et al. 2018): model, methods, image source and shape number in;
    the grid of maps, the similarity chart, summary and downloads out."""

    model: gr.Dropdown
    methods: gr.CheckboxGroup
    source: gr.Radio
    seed: gr.Number
    run: gr.Button
    grid: gr.Image
    chart: gr.Image
    summary: gr.Markdown
    card: gr.DownloadButton
    numbers: gr.DownloadButton


@dataclass
class LabView:
    """Every component of the lab that a handler reads or changes.

    Attributes:
        header: the notes-language switch and the presenter-mode box.
        sweep, curves, robustness, gradient_flow, race, sanity: the experiment panels, one
            field per entry of `resnet_demo.lab.panels.PANELS` (named by its `name`).
        tabs: catalogue key of a tab's name -> the tab, in tab order (`lab.panels.TAB_KEYS`).
        notes: note key (`lab.notes.NOTES`) -> its Markdown box.
    """

    header: Header
    sweep: SweepPanel
    curves: CurvesPanel
    robustness: RobustPanel
    gradient_flow: FlowPanel
    race: RacePanel
    sanity: SanityPanel
    tabs: dict[str, gr.Tab] = field(default_factory=dict)
    notes: dict[str, gr.Markdown] = field(default_factory=dict)
