"""The block strip: every residual block with its numbers, and its switch, in one component.

A `gr.HTML` component whose value is a plain dict. The server fills `rows` (stage, block, output
shape, ‖F(x)‖/‖shortcut(x)‖) and the translated `labels`; the browser only ever changes `modes`
(a click on a block's three-state control) or `selected` (a click on a block's name) and fires
the custom events "flip" or "inspect". The server treats the value that comes back as untrusted:
`modes_from_value` validates it against the model before anything runs.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import gradio as gr

from resnet_demo.analysis import BlockStats
from resnet_demo.switches import MODES, STAGES, SwitchError, validate_modes
from resnet_demo.ui._compat import no_stub_files
from resnet_demo.ui.i18n import tr

_MODE_KEYS = {"intact": "mode_intact", "no-skip": "mode_no_skip", "no-residual": "mode_no_residual"}

_HTML = """
<div class="strip" data-n="${value.rows.length}">
${value.rows.map((r, i) => `
  ${i === 0 || value.rows[i - 1].stage !== r.stage
    ? `<div class="stage-tag s-${r.stage}">${r.stage}</div>` : ``}
  <div class="blk s-${r.stage} m-${value.modes[r.name] || 'intact'}
              ${value.selected === r.name ? 'sel' : ''}" data-block="${r.name}">
    <button class="name" data-inspect="${r.name}" title="${value.labels.inspect}">
      ${r.name}${r.projection
        ? ` <span class="proj" title="${value.labels.projection}">⇣</span>` : ``}
    </button>
    <svg class="diagram" viewBox="0 0 120 34" aria-hidden="true">
      <path class="skip" d="M6 26 C 20 2, 92 2, 100 22" />
      <line class="wire" x1="2" y1="26" x2="38" y2="26" />
      <rect class="f" x="38" y="17" width="30" height="18" rx="3" />
      <text class="f-label" x="53" y="30">F</text>
      <line class="wire out-f" x1="68" y1="26" x2="94" y2="26" />
      <circle class="plus" cx="100" cy="26" r="6" />
      <text class="plus-label" x="100" y="29.5">+</text>
      <line class="wire" x1="106" y1="26" x2="118" y2="26" />
    </svg>
    <div class="shape">${r.shape}</div>
    <div class="ratio" title="${value.labels.ratio}">
      <span class="bar"><span style="width:${Math.round(100 * r.bar)}%"></span></span>
      <span class="num">${r.ratio}</span>
    </div>
    <div class="modes" role="radiogroup" aria-label="${r.name}">
      ${['intact', 'no-skip', 'no-residual'].map(m => `
        <button class="mode ${(value.modes[r.name] || 'intact') === m ? 'on' : ''}"
                role="radio" aria-checked="${(value.modes[r.name] || 'intact') === m}"
                data-block="${r.name}" data-mode="${m}">${value.labels[m]}</button>`).join('')}
    </div>
  </div>`).join('')}
</div>
"""

_CSS = """
.strip { display: flex; flex-wrap: wrap; gap: 6px; align-items: stretch; }
.stage-tag { writing-mode: vertical-rl; transform: rotate(180deg); font-weight: 700;
  font-size: 13px; padding: 4px 2px; border-radius: 6px; color: white; text-align: center; }
.blk { flex: 1 1 128px; max-width: 190px; min-width: 124px;
  border: 2px solid var(--border-color-primary);
  border-radius: 8px; padding: 4px 6px 6px; background: var(--background-fill-primary); }
.blk.sel { box-shadow: 0 0 0 3px var(--color-accent-soft, #fde68a); }
.blk.m-no-skip { border-color: #f59e0b; }
.blk.m-no-residual { border-color: #dc2626; }
.s-layer1.stage-tag { background: #2563eb; } .s-layer2.stage-tag { background: #0d9488; }
.s-layer3.stage-tag { background: #9333ea; } .s-layer4.stage-tag { background: #c2410c; }
.blk.s-layer1 .name { color: #2563eb; } .blk.s-layer2 .name { color: #0d9488; }
.blk.s-layer3 .name { color: #9333ea; } .blk.s-layer4 .name { color: #c2410c; }
.name { font-weight: 700; font-size: 15px; background: none; border: none; padding: 0;
  cursor: pointer; font-family: var(--font-mono); }
.proj { font-size: 13px; color: var(--body-text-color-subdued); }
.diagram { display: block; width: 100%; height: 30px; margin: 2px 0; }
.diagram .wire, .diagram .skip { stroke: var(--body-text-color); stroke-width: 2; fill: none; }
.diagram .f { fill: #dbeafe; stroke: #1d4ed8; stroke-width: 1.5; }
.diagram .f-label, .diagram .plus-label { font-size: 11px; text-anchor: middle;
  fill: var(--body-text-color); font-weight: 700; }
.diagram .plus { fill: var(--background-fill-primary); stroke: var(--body-text-color);
  stroke-width: 1.5; }
.m-no-skip .diagram .skip { stroke: #f59e0b; stroke-dasharray: 3 3; opacity: .55; }
.m-no-residual .diagram .f, .m-no-residual .diagram .out-f { stroke: #dc2626;
  stroke-dasharray: 3 3; fill: none; opacity: .55; }
.m-no-residual .diagram .f-label { fill: #dc2626; opacity: .55; }
.shape { font-family: var(--font-mono); font-size: 12px; color: var(--body-text-color-subdued); }
.ratio { display: flex; align-items: center; gap: 4px; font-size: 12px; margin: 2px 0 4px; }
.ratio .bar { flex: 1; height: 7px; background: var(--neutral-200, #e5e7eb); border-radius: 4px;
  overflow: hidden; }
.ratio .bar > span { display: block; height: 100%; background: #2563eb; }
.ratio .num { font-family: var(--font-mono); min-width: 3.2em; text-align: right; }
.modes { display: flex; gap: 2px; }
.mode { flex: 1; font-size: 11px; padding: 3px 1px; border: 1px solid var(--border-color-primary);
  background: var(--background-fill-secondary); border-radius: 4px; cursor: pointer;
  color: var(--body-text-color); line-height: 1.15; }
.mode.on[data-mode="intact"] { background: #16a34a; color: white; border-color: #16a34a; }
.mode.on[data-mode="no-skip"] { background: #f59e0b; color: black; border-color: #f59e0b; }
.mode.on[data-mode="no-residual"] { background: #dc2626; color: white; border-color: #dc2626; }
"""

_JS = """
element.addEventListener('click', (event) => {
  const mode = event.target.closest('button[data-mode]');
  if (mode) {
    const modes = Object.assign({}, props.value.modes);
    modes[mode.dataset.block] = mode.dataset.mode;
    props.value = Object.assign({}, props.value, { modes: modes });
    trigger('flip');
    return;
  }
  const name = event.target.closest('button[data-inspect]');
  if (name) {
    props.value = Object.assign({}, props.value, { selected: name.dataset.inspect });
    trigger('inspect');
  }
});
"""


with no_stub_files():

    class BlockStrip(gr.HTML):
        """The residual-block strip and switch panel (a `gr.HTML` custom component).

        Value: `{"modes": {block: mode}, "rows": [...], "labels": {...}, "selected": block}`; only
        `modes` and `selected` are read back. Events: `flip` (a switch changed) and `inspect` (a
        block name was clicked).
        """

        def __init__(self, value: dict[str, Any] | None = None, **kwargs: Any) -> None:
            super().__init__(
                value=value if value is not None else empty_value(),
                html_template=_HTML,
                css_template=_CSS,
                js_on_load=_JS,
                **kwargs,
            )

        def api_info(self) -> dict[str, Any]:
            """JSON schema for API clients: only `modes` (and `selected`) matter."""
            return {
                "type": "object",
                "title": "Block switches",
                "properties": {
                    "modes": {
                        "type": "object",
                        "additionalProperties": {"type": "string", "enum": list(MODES)},
                    },
                    "selected": {"type": "string"},
                },
            }

        def example_payload(self) -> Any:
            return {"modes": {"layer1.0": "no-skip"}}

        def example_value(self) -> Any:
            return {"modes": {"layer1.0": "no-skip"}}


def empty_value() -> dict[str, Any]:
    """A strip with no blocks (before the app knows its model)."""
    return {"modes": {}, "rows": [], "labels": {}, "selected": ""}


def _format_ratio(stats: BlockStats | None, lang: str) -> tuple[str, float]:
    if stats is None:
        return "–", 0.0
    if math.isnan(stats.ratio):
        return tr("strip_skip_off", lang), 0.0
    return f"{stats.ratio:.2f}", min(1.0, stats.ratio)


def strip_value(
    block_names: Sequence[str],
    modes: Mapping[str, str],
    stats: Sequence[BlockStats] | None,
    selected: str,
    lang: str,
    projections: Collection[str] = (),
) -> dict[str, Any]:
    """Build the strip's value for the browser.

    Args:
        block_names: every block of the model, forward order.
        modes: block -> mode (validated; missing blocks count as intact).
        stats: the current network's per-block statistics (same order), or None before any
            image was analysed.
        selected: the block whose strongest channels are shown.
        lang: "en" or "zh".
        projections: the blocks whose shortcut is a 1×1 projection (marked ⇣).

    Returns:
        A JSON-ready dict (see `BlockStrip`).
    """
    by_name = {s.name: s for s in stats} if stats else {}
    rows = []
    for name in block_names:
        block = by_name.get(name)
        ratio, bar = _format_ratio(block, lang)
        shape = "×".join(str(d) for d in block.out_shape) if block else tr("strip_empty", lang)
        rows.append(
            {
                "name": name,
                "stage": name.split(".")[0],
                "shape": shape if block else "",
                "ratio": ratio,
                "bar": bar,
                "projection": name in projections,
            }
        )
    labels = {mode: tr(key, lang) for mode, key in _MODE_KEYS.items()}
    labels.update(
        ratio=tr("strip_ratio", lang),
        projection=tr("strip_projection", lang),
        inspect=tr("channels", lang),
    )
    return {
        "modes": {name: modes.get(name, "intact") for name in block_names},
        "rows": rows,
        "labels": labels,
        "selected": selected,
    }


def modes_from_value(value: object, model_module: Any) -> dict[str, str]:
    """Read and validate the switches a client sent.

    Args:
        value: the strip's value as received: a dict with a "modes" mapping, a JSON string of
            one, a bare block -> mode mapping, or None (all intact).
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
            raise SwitchError(
                'switches must be JSON like {"modes": {"layer1.0": "no-skip"}}'
            ) from exc
    if value is None:
        return validate_modes(model_module, None)
    if not isinstance(value, Mapping):
        raise SwitchError(f"switches must be an object, got {type(value).__name__}")
    modes = value.get("modes", value if "rows" not in value else None)
    if modes is None:
        return validate_modes(model_module, None)
    if not isinstance(modes, Mapping):
        raise SwitchError(f"'modes' must map block names to modes, got {type(modes).__name__}")
    return validate_modes(model_module, {k: v for k, v in modes.items() if k not in ("selected",)})


def selected_from_value(value: object, block_names: Sequence[str], default: str) -> str:
    """The block named in the value's "selected" field when the model has it, else `default`."""
    if isinstance(value, Mapping):
        selected = value.get("selected")
        if isinstance(selected, str) and selected in block_names:
            return selected
        if isinstance(selected, str) and selected in STAGES:
            return [n for n in block_names if n.startswith(selected + ".")][-1]
    return default
