"""The block strip: every residual block with its numbers, and its switch, in one component.

A `gr.HTML` component. Its value is what the browser changes and sends back, `{"modes": {block:
mode}, "selected": block, "rev": n}`: a click on a block's three-state control changes `modes`, a
click on a block's name `selected`, and the custom events "flip" or "inspect" fire. What only
the server knows travels one way, as the component's props (`strip_props`): the `rows` (stage,
block, output shape, ‖F(x)‖/‖shortcut(x)‖), the translated `labels` and the `compact` layout.
The server treats the value that comes back as untrusted: `modes_from_value` validates it
against the model before anything runs.

Up to `MAX_CARDS` blocks each get a card (diagram, ratio bar, three mode buttons). Deeper models
(ResNet-56-like nets with 27 blocks, ResNet-152 with 50) get the compact strip: one row per stage,
with that stage's presets (skips off / branches off / reset) and one small cell per block that
shows its mode by colour and its ratio as a tiny bar; a click on a cell (or Enter) selects the
block, whose full card is shown under the rows. Either way no element is wider than the page at
1280 px, and every mode is a keyboard-reachable button with an aria label.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import gradio as gr

from resnet_demo.analysis import BlockStats
from resnet_demo.render.report import MODE_KEYS, mode_text
from resnet_demo.switches import (
    DOWNSAMPLING,
    IDENTITY,
    MODES,
    PROJECTION,
    STAGES,
    SwitchError,
    validate_modes,
)
from resnet_demo.text import t
from resnet_demo.ui._compat import keep_id, no_stub_files
from resnet_demo.ui.assets import static_text

with no_stub_files():

    class BlockStrip(gr.HTML):
        """The residual-block strip and switch panel (a `gr.HTML` custom component).

        Value: `{"modes": {block: mode}, "selected": block, "rev": n}` (`strip_value`). Props:
        `rows`, `labels` and `compact` (`strip_props`), drawn by the template, never sent back.
        Events: `flip` (a switch changed) and `inspect` (a block name was clicked).
        """

        def __init__(
            self,
            value: dict[str, Any] | None = None,
            *,
            rows: list[dict[str, Any]] | None = None,
            labels: dict[str, str] | None = None,
            compact: bool = False,
            same_as: int | None = None,
            **kwargs: Any,
        ) -> None:
            super().__init__(
                value=value if value is not None else empty_value(),
                html_template=static_text("strip.html"),
                css_template=static_text("strip.css"),
                js_on_load=static_text("strip.js"),
                rows=rows if rows is not None else [],
                labels=labels if labels is not None else {},
                compact=compact,
                **kwargs,
            )
            keep_id(self, same_as)  # the same id when Gradio rebuilds it for an update

        def api_info(self) -> dict[str, Any]:
            """JSON schema of the value (`gr.HTML` would announce a string)."""
            return {
                "type": "object",
                "title": "Block switches",
                "properties": {
                    "modes": {
                        "type": "object",
                        "additionalProperties": {"type": "string", "enum": list(MODES)},
                    },
                    "selected": {"type": "string"},
                    "rev": {"type": "integer", "minimum": 0},
                },
            }

        def example_payload(self) -> Any:
            return {"modes": {"layer1.0": "skip-off"}}

        def example_value(self) -> Any:
            return {"modes": {"layer1.0": "skip-off"}}


MAX_CARDS = 16
"""Most blocks shown as full cards; more make the compact strip (ResNet-18/34/50 have 8, 16, 16;
ResNet-101 33, ResNet-152 50)."""

MARKS: dict[str, str] = {DOWNSAMPLING: "↓", PROJECTION: "⇄", IDENTITY: ""}
"""The mark after a block's name: ↓ a downsampling block (stride 2), ⇄ a 1×1 projection shortcut
without downsampling (ResNet-50/101/152 `layer1.0`), nothing for an identity shortcut. The lab's
lesion charts use the same marks (`lab.charts.DOWN`, `lab.charts.PROJECTION`)."""

_MARK_KEYS = {DOWNSAMPLING: "strip_downsampling", PROJECTION: "strip_projection"}


def is_compact(n_blocks: int) -> bool:
    """Whether a model with `n_blocks` residual blocks gets the compact strip."""
    return n_blocks > MAX_CARDS


def mark_legend(kinds: Collection[str], lang: str) -> str:
    """ "↓ downsampling block (…) · ⇄ …" for the shortcut kinds present; "" when none is."""
    present = set(kinds)
    return " · ".join(
        f"{MARKS[kind]} {t(key, lang)}" for kind, key in _MARK_KEYS.items() if kind in present
    )


def empty_value() -> dict[str, Any]:
    """A strip with no blocks (before the app knows its model)."""
    return {"modes": {}, "selected": "", "rev": 0}


def _format_ratio(stats: BlockStats | None, lang: str) -> tuple[str, float]:
    if stats is None:
        return "–", 0.0
    if math.isnan(stats.ratio):
        return t("strip_skip_off", lang), 0.0
    return f"{stats.ratio:.2f}", min(1.0, stats.ratio)


def strip_value(
    block_names: Sequence[str], modes: Mapping[str, str], selected: str, rev: int = 0
) -> dict[str, Any]:
    """The strip's value: what the browser shows switched and selected, and changes.

    Args:
        block_names: every block of the model, forward order.
        modes: block -> mode (validated; missing blocks count as intact).
        selected: the block whose strongest channels are shown.
        rev: the browser's revision this value answers (`revision_from_value`).

    Returns:
        `{"modes": {block: mode} for every block, "selected": block, "rev": rev}`.
    """
    return {
        "modes": {name: modes.get(name, "intact") for name in block_names},
        "selected": selected,
        "rev": rev,
    }


def strip_props(
    block_names: Sequence[str],
    stats: Sequence[BlockStats] | None,
    lang: str,
    kinds: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """What the strip draws besides its value, sent to the browser as the component's props.

    Args:
        block_names: every block of the model, forward order.
        stats: the current network's per-block statistics (same order), or None before any
            image was analysed.
        lang: "en" or "zh".
        kinds: block -> `switches.shortcut_kind` ("identity", "projection", "downsampling");
            blocks not named have an identity shortcut. Default: None (all identity).

    Returns:
        `{"rows": [...], "labels": {...}, "compact": bool}`, JSON-ready. Each row's `kind` and
        `mark` (↓, ⇄ or "") say what its shortcut does, `projection` whether it is a 1×1
        projection (either kind); `compact` says which layout the browser draws (`is_compact`).
    """
    kinds = kinds or {}
    by_name = {s.name: s for s in stats} if stats else {}
    rows = []
    for name in block_names:
        block = by_name.get(name)
        ratio, bar = _format_ratio(block, lang)
        shape = "×".join(str(d) for d in block.out_shape) if block else t("strip_empty", lang)
        kind = kinds.get(name, IDENTITY)
        rows.append(
            {
                "name": name,
                "stage": name.split(".")[0],
                "index": name.split(".")[-1],
                "shape": shape if block else "",
                "ratio": ratio,
                "bar": bar,
                "projection": kind != IDENTITY,
                "kind": kind,
                "mark": MARKS[kind],
            }
        )
    labels = {mode: mode_text(mode, lang) for mode in MODE_KEYS}
    labels.update(
        ratio=t("strip_ratio", lang),
        projection=t("strip_projection", lang),
        downsampling=t("strip_downsampling", lang),
        inspect=t("channels", lang),
        legend=mark_legend([kinds.get(n, IDENTITY) for n in block_names], lang),
        compact_help=t("strip_compact_help", lang),
        cell_help=t("strip_cell_help", lang),
    )
    for key in ("skip_off", "branch_off", "reset"):
        labels[f"stage_{key}"] = t(f"strip_stage_{key}", lang)
        labels[f"stage_{key}_help"] = t(f"strip_stage_{key}_help", lang)
    return {"rows": rows, "labels": labels, "compact": is_compact(len(block_names))}


_JSON_EXAMPLE = '{"modes": {"layer1.0": "skip-off"}}'

_NOT_MODES = ("selected", "rev")
"""The value's other fields, left out when a client sends a bare block -> mode mapping."""


def modes_from_value(value: object, model_module: Any) -> dict[str, str]:
    """Read and validate the switches a client sent.

    Args:
        value: the strip's value as received: a dict with a "modes" mapping, a JSON string of
            one, a bare block -> mode mapping (its "selected" and "rev" aside), or None (all
            intact).
        model_module: the torchvision ResNet the modes are for.

    Returns:
        A complete block -> mode dict in forward order.

    Raises:
        SwitchError: malformed value, unknown block or unknown mode.
    """
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else None
        except json.JSONDecodeError as exc:
            raise SwitchError("switch_json_bad", example=_JSON_EXAMPLE) from exc
    if value is None:
        return validate_modes(model_module, None)
    if not isinstance(value, Mapping):
        raise SwitchError("switch_not_object", kind=type(value).__name__)
    modes = value.get("modes", value)
    if modes is None:
        return validate_modes(model_module, None)
    if not isinstance(modes, Mapping):
        raise SwitchError("switch_modes_not_mapping", kind=type(modes).__name__)
    return validate_modes(model_module, {k: v for k, v in modes.items() if k not in _NOT_MODES})


def revision_from_value(value: object, default: int) -> int:
    """The value's "rev": the browser counts its own changes (a flip, a preset, a selection) and
    keeps a newer one of its own over an answer to an older request that arrives late (after a
    slow request, or one Gradio held back while another ran). API clients need not send it:
    anything but a whole number ≥ 0 leaves `default`."""
    if isinstance(value, Mapping):
        rev = value.get("rev")
        if isinstance(rev, int) and not isinstance(rev, bool) and rev >= 0:
            return rev
    return default


def selected_from_value(value: object, block_names: Sequence[str], default: str) -> str:
    """The block named in the value's "selected" field when the model has it, else `default`."""
    if isinstance(value, Mapping):
        selected = value.get("selected")
        if isinstance(selected, str) and selected in block_names:
            return selected
        if isinstance(selected, str) and selected in STAGES:
            return [n for n in block_names if n.startswith(selected + ".")][-1]
    return default
