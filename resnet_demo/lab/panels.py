"""The lab's panels, one record each, in tab order: what the page, the CLI and the tests know
about a panel.

A panel is an experiment of this package with its chart (`charts`), its card (`cards`) and its
teaching note (`notes`). The Gradio tab (`resnet_demo.ui.lab`) builds its tabs, relabels them and
lists its notes from `PANELS`; the command line (`resnet_demo.cli`) makes one `lab` subcommand
per entry; the tests check every entry against the catalogue, the claims register, the handlers
and the CLI. Plain strings only: any front end and any test may read this module.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LabPanel:
    """One experiment panel of the lab.

    Attributes:
        name: the panel in code: its handler `LabHandlers.<name>`, its components
            `LabView.<name>` and its API endpoint `lab_<name>`.
        tab: catalogue key of its tab's name.
        note: its teaching note (key of `notes.NOTES`), shown beside it.
        command: its CLI subcommand, `python -m resnet_demo lab <command>`.
        command_help: catalogue key of that subcommand's help.
        claims: catalogue keys of its factual sentences (its note's and its card's), each with
            entries in the claims register `resnet_demo/text/claims.toml`.
    """

    name: str
    tab: str
    note: str
    command: str
    command_help: str
    claims: tuple[str, ...]


PANELS: tuple[LabPanel, ...] = (
    LabPanel(
        name="sweep",
        tab="lab_tab_sweep",
        note="lesion_sweep",
        command="sweep",
        command_help="cli_sweep_help",
        claims=(
            "note_lesion_sweep_body",
            "note_lesion_sweep_essentials",
            "note_lesion_measured",
            "lesion_single_line",
        ),
    ),
    LabPanel(
        name="curves",
        tab="lab_tab_curves",
        note="lesion_curves",
        command="curves",
        command_help="cli_curves_help",
        claims=(
            "note_lesion_curves_body",
            "note_lesion_curves_essentials",
            "note_lesion_measured",
            "curves_switch_line",
        ),
    ),
    LabPanel(
        name="robustness",
        tab="lab_tab_robust",
        note="robustness",
        command="robustness",
        command_help="cli_robust_help",
        claims=("note_robustness_body", "note_robustness_essentials", "curves_switch_line"),
    ),
    LabPanel(
        name="gradient_flow",
        tab="lab_tab_flow",
        note="gradient_flow",
        command="gradient-flow",
        command_help="cli_flow_help",
        claims=("note_gradient_flow_body", "note_gradient_flow_essentials", "flow_models_line"),
    ),
    LabPanel(
        name="race",
        tab="lab_tab_race",
        note="race",
        command="race",
        command_help="cli_race_help",
        claims=(
            "note_race_body",
            "note_race_essentials",
            "race_models_line",
            "race_loss_line",
            "race_recorded_summary",
        ),
    ),
    LabPanel(
        name="sanity",
        tab="lab_tab_sanity",
        note="sanity",
        command="sanity",
        command_help="cli_sanity_help",
        claims=(
            "note_sanity_body",
            "note_sanity_essentials",
            "note_sanity_measured",
            "sanity_method_line",
        ),
    ),
)
"""Every experiment panel of the lab, in tab order."""

ABOUT_TAB = "lab_tab_about"
"""Catalogue key of the last tab's name, "About ResNets": notes only (`notes.ABOUT`)."""

TAB_KEYS: tuple[str, ...] = (*(panel.tab for panel in PANELS), ABOUT_TAB)
"""Catalogue keys of the lab's tab names, in tab order."""
