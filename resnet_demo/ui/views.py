"""Session -> what the page shows, one function per panel. Pictures come from `render`.

Each function computes the value of one component from a `Session` (and its model), so a handler
renders only what it changes: the opacity slider recolours the overlays, a click on a block name
redraws the strip and the channel grid, a new image redraws everything.
"""

from __future__ import annotations

import html
from typing import Any

import gradio as gr
import numpy as np

from resnet_demo.analysis import Analysis, methods
from resnet_demo.models import LoadedModel
from resnet_demo.models.describe import accuracy_label, model_facts
from resnet_demo.render import (
    colorize,
    colorize_diverging,
    deletion_insertion_chart,
    feature_grid,
    overlay,
    report,
    upscale_nearest,
)
from resnet_demo.switches import STAGES, block_names, shortcut_kinds
from resnet_demo.text import t
from resnet_demo.ui.registry import ModelRegistry
from resnet_demo.ui.session import CONCURRENCY, Session, Settings
from resnet_demo.ui.strip import strip_props, strip_value

AUTO_TARGET = -1
"""Dropdown value meaning "explain the intact network's top-1 class"."""


def class_names(model: LoadedModel, lang: str) -> list[str]:
    """Display name of every class of `model` (`render.report.class_names`: in `lang` first where
    the model has names in it, duplicates numbered so each maps back to one class)."""
    return report.class_names(model.class_names, lang)


def model_choices(registry: ModelRegistry, lang: str) -> list[tuple[str, str]]:
    """The picker's entries, each with its published accuracy and its weights state."""
    choices = []
    for name in registry.names():
        words = [
            name,
            accuracy_label(name, lang),
            t(f"state_{registry.status(name)}", lang),
        ]
        choices.append((" — ".join(w for w in words if w), name))
    return choices


def status_text(model: LoadedModel, lang: str) -> str:
    """The status line: which model a session uses and where its weights came from, then
    what those weights are known to achieve (`models.describe.model_facts`; not shown for
    random or user-supplied weights, which the published figures do not describe)."""
    source = t("state_embedded", lang) if model.source == "embedded" else model.source
    lines = [t("using_model", lang, model=model.name, source=source)]
    if not model.source.startswith(("file:", "random")):  # published weights only
        lines.extend(model_facts(model.name, lang))
    return "\n\n".join(lines)


def target_choices(model: LoadedModel, lang: str) -> list[tuple[str, int]]:
    """Dropdown choices: "automatic", then every class (sorted by name for searching)."""
    names = class_names(model, lang)
    ordered = sorted(range(len(names)), key=lambda i: names[i].lower())
    return [(t("auto_target", lang), AUTO_TARGET)] + [(names[i], i) for i in ordered]


def layer_choices(model: LoadedModel, lang: str) -> list[tuple[str, str]]:
    """Grad-CAM layer choices: the four stages (meaning their last block), then every block."""
    names = block_names(model.module)
    stages = [
        (
            t("stage_choice", lang, stage=s, block=[n for n in names if n.startswith(s + ".")][-1]),
            s,
        )
        for s in STAGES
    ]
    return stages + [(n, n) for n in names]


def method_choices(lang: str) -> list[tuple[str, str]]:
    """The method picker's entries, in `methods.METHOD_NAMES` order: (words, API name)."""
    return [(method_name(m, lang), m) for m in methods.METHOD_NAMES]


def method_name(method: str, lang: str) -> str:
    """A method's name as the picker shows it, e.g. "Grad-CAM (positive evidence)"."""
    return t(methods.check_method(method).words("choice"), lang)


def is_layer_method(method: str) -> bool:
    """True when the method explains a block's output (the layer picker applies)."""
    return methods.check_method(method).layer


def method_note(model: LoadedModel, method: str, lang: str) -> str:
    """What the method computes and, for the many-pass methods, what a map costs on `model`.

    Args:
        model: the session's model (its input size sets occlusion's windows).
        method: `methods.METHOD_NAMES`.
        lang: "en" or "zh".
    """
    info = methods.check_method(method)
    note = t(info.words("help"), lang)
    if info.signed:
        note += " " + t("cam_diff_signed", lang)
    if info.cost is None:
        return note
    settings = info.defaults(model.preprocessing.crop_size)
    detail = t(info.cost, lang, **settings)
    cost = t("method_cost", lang, passes=info.passes(settings), detail=detail, limit=CONCURRENCY)
    return f"{note}\n\n⏱ {cost}"


def blocky(image: np.ndarray, size: int) -> np.ndarray:
    """Scale a small RGB picture up to `size`×`size` with square cells (nearest neighbour)."""
    return upscale_nearest(image, (size, size))


def prediction_bars(analysis: Analysis, names: list[str]) -> dict[str, float]:
    """An analysis' top-k as `gr.Label` takes it: class name -> probability."""
    return {
        names[int(i)]: float(p)
        for i, p in zip(analysis.top_indices, analysis.top_probs, strict=True)
    }


def banner_html(session: Session, names: list[str], lang: str) -> str:
    """The comparison banner: "Top-1 changed: a → b" (red), "unchanged" (green), or a hint."""
    comparison = session.comparison
    if comparison is None:
        return f'<div class="banner none">{html.escape(t("banner_none", lang))}</div>'
    switched = dict(comparison.switched)
    detail = t(
        "banner_switched",
        lang,
        n=len(switched),
        blocks=report.switches_text(switched, lang, limit=6),
    )
    if comparison.top1_changed:
        head = t(
            "banner_changed",
            lang,
            before=names[comparison.top1_before],
            after=names[comparison.top1_after],
        )
        css = "changed"
    else:
        head = t("banner_same", lang, label=names[comparison.top1_before])
        css = "same"
    return (
        f'<div class="banner {css}"><div class="head">{html.escape(head)}</div>'
        f'<div class="detail">{html.escape(detail)}</div></div>'
    )


def _percent(p: float) -> str:
    return f"{100 * p:.1f}\u00a0%"  # a no-break space: "89.8 %" never splits across lines


def switch_result_html(session: Session, names: list[str], lang: str) -> str:
    """The banner's answer in one line, kept beside the switches: the intact top-1
    and its probability → the switched top-1 and its probability. Class `changed`, `same`,
    `intact` or `none` (no image yet), like the banner's."""
    intact, current, comparison = session.intact, session.current, session.comparison
    if intact is None or current is None or not names:
        line, css = t("switch_result_none", lang), "none"
    elif comparison is None:
        top = int(intact.top_indices[0])
        line = t("switch_result_intact", lang, label=names[top], p=_percent(intact.top_probs[0]))
        css = "intact"
    else:
        before, after = comparison.top1_before, comparison.top1_after
        p_before = _percent(float(intact.probabilities[before]))
        p_after = _percent(float(current.probabilities[after]))
        if comparison.top1_changed:
            key, css = "switch_result_changed", "changed"
            line = t(key, lang, before=names[before], after=names[after],
                     p_before=p_before, p_after=p_after)  # fmt: skip
        else:
            line = t("switch_result_same", lang, label=names[before], p_before=p_before,
                     p_after=_percent(float(current.probabilities[before])))  # fmt: skip
            css = "same"
    label = html.escape(t("switch_result_label", lang))
    return (
        f'<div class="switch-result {css}" role="status" aria-live="polite" '
        f'aria-label="{label}">{html.escape(line)}</div>'
    )


def table_value(session: Session, names: list[str], lang: str) -> dict[str, Any]:
    """The before/after table: class, both probabilities, the change in points, both ranks."""
    headers = [
        t("col_class", lang),
        t("col_before", lang),
        t("col_after", lang),
        t("col_change", lang),
        t("col_rank", lang),
    ]
    rows: list[list[str]] = []
    if session.comparison is not None:
        for c in session.comparison.changes:
            delta = 100 * (c.prob_after - c.prob_before)
            rows.append(
                [
                    names[c.index],
                    _percent(c.prob_before),
                    _percent(c.prob_after),
                    t("change_points", lang, delta=delta),
                    f"{c.rank_before}\u00a0→\u00a0{c.rank_after}",
                ]
            )
    elif session.current is not None:
        for i, p in zip(session.current.top_indices, session.current.top_probs, strict=True):
            rank = len(rows) + 1
            rows.append([names[int(i)], _percent(p), "–", "–", f"{rank}\u00a0→\u00a0–"])
    return {"headers": headers, "data": rows or [["", "", "", "", ""]]}


def _caption(analysis: Analysis, settings: Settings, names: list[str], lang: str) -> str:
    size = analysis.image.shape[0]
    h, w = analysis.cam_coarse.shape
    switched = settings.switched
    fields = {
        "size": size,
        "method": method_name(analysis.method, lang),
        "target": names[analysis.target],
        "switches": t("n_switched", lang, n=len(switched)) if switched else t("no_switches", lang),
    }
    if not is_layer_method(analysis.method):
        return t("view_caption_pixel", lang, **fields)
    line = t("view_caption", lang, layer=analysis.cam_layer, h=h, w=w, **fields)
    reading = gradcam_reading(analysis)
    return (
        line if reading is None else f"{line}  \n{t(reading, lang, last=analysis.blocks[-1].name)}"
    )


GRADCAM_FAMILY = (methods.GRADCAM, methods.GRADCAM_SIGNED, methods.GUIDED_GRADCAM)
"""The methods whose layer factor is Grad-CAM (channels weighted by spatially averaged
gradients)."""


def gradcam_reading(analysis: Analysis) -> str | None:
    """The catalogue key that says what a Grad-CAM map means at its layer, or None for other
    methods. At the last block (followed only by global average pooling and the linear layer)
    the signed map's cells add up to the class score less its bias, so each cell is the share
    its features added ("cam_reading_last"); at an earlier block the channel weights are
    gradients averaged over the grid, and the map can highlight places the score does not use
    (Draelos & Carin 2020; "cam_reading_early", which points to gradient × activation)."""
    if analysis.method not in GRADCAM_FAMILY or not analysis.blocks:
        return None
    if analysis.cam_layer != analysis.blocks[-1].name:
        return "cam_reading_early"
    # Guided Grad-CAM is a pixel map (guided backprop × Grad-CAM): its cells do not add up
    return None if analysis.method == methods.GUIDED_GRADCAM else "cam_reading_last"


def _activation_grid(analysis: Analysis) -> np.ndarray:
    maps = [a.mean_map for a in analysis.activations]
    cols = 4 if len(maps) <= 8 else 8 if len(maps) <= 16 else 10
    tile = 120 if len(maps) <= 8 else 92
    return feature_grid(maps, titles=[a.name for a in analysis.activations], cols=cols, tile=tile)


def _channel_grid(analysis: Analysis, block: str, lang: str) -> np.ndarray | None:
    for act in analysis.activations:
        if act.name == block:
            titles = [t("channel_title", lang, index=int(c)) for c in act.top_channels]
            return feature_grid(list(act.top_maps), titles=titles, cols=4, tile=92)
    return None


def overlays(session: Session, opacity: float) -> tuple[Any, Any, Any]:
    """The opacity-dependent pictures: main overlay, intact and switched overlays."""
    current = session.current
    if current is None:
        return None, None, None
    signed = current.signed  # signed maps: diverging colours, 0 (near-)white
    cmap = None if signed else session.settings.palette

    def drawn(cam: np.ndarray) -> np.ndarray | None:
        return overlay(current.image, cam, alpha=opacity, cmap=cmap, signed=signed)

    main = drawn(current.cam)
    comparison = session.comparison
    if comparison is None:
        return main, main, None
    return main, drawn(comparison.cam_before), drawn(comparison.cam_after)


def stage_row(session: Session, opacity: float) -> list[tuple[np.ndarray, str]] | None:
    """Grad-CAM at the last block of every stage (`Analysis.stage_cams`) over the model's view,
    each captioned with its block and grid size, or None before any image."""
    current = session.current
    if current is None or not current.stage_cams:
        return None
    grids = {b.name: b.out_shape[1:] for b in current.blocks}
    lang = session.settings.lang
    tiles = []
    for block, cam, peak in current.stage_cams:
        h, w = grids[block]
        key = "stage_tile" if peak > 0 else "stage_tile_zero"
        picture = overlay(current.image, cam, alpha=opacity, cmap=session.settings.palette)
        tiles.append((picture, t(key, lang, block=block, h=h, w=w)))
    return tiles


def zero_map(session: Session) -> tuple[str, bool]:
    """(warning, offer the signed map) when the shown map is (almost) zero everywhere
    (`Analysis.cam_zero`), else ("", False). Grad-CAM's warning says why: negative evidence,
    which the signed map shows and is offered, or a signed map that is (almost) zero too
    (`Analysis.cam_negative` False: nothing to offer). Guided Grad-CAM (whose Grad-CAM factor is
    then zero) offers the signed map under the same condition."""
    current = session.current
    if current is None or not current.cam_zero:
        return "", False
    lang = session.settings.lang
    negative = current.cam_negative  # else the signed map is blank too: nothing to offer
    if current.method == methods.GRADCAM:
        key = "zero_map_gradcam" if negative else "zero_map_gradcam_blank"
        return "⚠ " + t(key, lang), negative
    return "⚠ " + t("zero_map_other", lang), negative and current.method == methods.GUIDED_GRADCAM


def predictions(session: Session, names: list[str]) -> dict[str, float] | None:
    """The top-k bars: class name -> probability, or None before any image."""
    return None if session.current is None else prediction_bars(session.current, names)


def caption(session: Session, names: list[str]) -> str:
    """The line under the pictures: input size, explained class, layer, switches."""
    lang = session.settings.lang
    if session.current is None:
        return t("ready", lang)
    return _caption(session.current, session.settings, names, lang)


def raw_cam(session: Session) -> np.ndarray | None:
    """The map at its own resolution (a layer method's grid, cells as large as the overlay's
    pixels; a pixel method's map at the input): the session's palette, or diverging colours
    for signed methods (0 (near-)white)."""
    current = session.current
    if current is None:
        return None
    side = current.image.shape[0]
    if current.signed:
        return blocky(colorize_diverging(current.cam_coarse, limit=1.0), side)
    return blocky(colorize(current.cam_coarse, session.settings.palette, 0.0, 1.0), side)


DIFF_LIMIT_SIGNED = 2.0
"""Colour-scale end of a signed method's difference: after - before of two maps in [-1, 1]."""


def cam_diff(session: Session) -> np.ndarray | None:
    """Switched minus intact map in diverging colours, or None without switches.

    The scale is symmetric and fixed by the method's range, so a colour means the same change
    in every view: [-1, 1] for maps >= 0, and [-2, 2] for signed maps (both sides in [-1, 1],
    `analysis.compare`): a signed difference is never clipped, and equal colours are equal
    changes on the shared scale.
    """
    comparison, current = session.comparison, session.current
    if comparison is None or current is None:
        return None
    limit = DIFF_LIMIT_SIGNED if current.signed else 1.0
    return colorize_diverging(comparison.cam_diff, limit=limit)


def activation_grid(session: Session) -> np.ndarray | None:
    """Mean activation map of every block, or None before any image."""
    return None if session.current is None else _activation_grid(session.current)


def channel_grid(session: Session) -> np.ndarray | None:
    """The strongest channels of the inspected block, or None before any image."""
    if session.current is None:
        return None
    return _channel_grid(session.current, session.settings.inspect, session.settings.lang)


ANALYSIS, CHANNELS, COMPARISON, CAM_INTACT = "analysis", "channels", "comparison", "cam_intact"
"""Groups of pictures that `unchanged` can find still true: the shown analysis' (overlay, raw
map, stage row, activations, and the faithfulness chart drawn for that map), the inspected
block's channels, the comparison's (switched overlay, difference) and the comparison's intact
overlay."""


def unchanged(before: Session | None, session: Session) -> frozenset[str]:
    """The picture groups that are the same for `session` as for `before`, the session the page
    showed until now: a flip need not redraw, re-encode and resend them.

    Decided from what each group is drawn from (the same analysis object, or equal arrays, and
    equal display settings), never by drawing both. Empty when there is no `before`, no view on
    either side, or another model or language.
    """
    if before is None or not (before.has_view and session.has_view):
        return frozenset()
    b, s = before.settings, session.settings
    if before.model_name != session.model_name or b.lang != s.lang:
        return frozenset()
    drawn_with = ("opacity", "palette", "inspect", "method")
    look = all(getattr(b, name) == getattr(s, name) for name in drawn_with)
    same: set[str] = set()
    if look and before.current is session.current:
        same.update((ANALYSIS, CHANNELS))
    elif look and _same_channels(before.current, session.current, s.inspect):
        same.add(CHANNELS)  # a block switched after the inspected one: its channels held still
    was, now = before.comparison, session.comparison
    if was is now:  # both None (no switches), or the very same comparison
        same.add(COMPARISON)
        if now is None and ANALYSIS in same:  # without switches the intact overlay is the main
            same.add(CAM_INTACT)
    if (
        was is not None
        and now is not None
        and look
        and before.intact is session.intact
        and np.array_equal(was.cam_before, now.cam_before)  # the shared scale held still
    ):
        same.add(CAM_INTACT)
    return frozenset(same)


def _same_channels(before: Analysis | None, now: Analysis | None, block: str) -> bool:
    """Whether the channel grid of `block` is drawn from equal numbers in both analyses."""
    if before is None or now is None:
        return False
    was = next((a for a in before.activations if a.name == block), None)
    new = next((a for a in now.activations if a.name == block), None)
    return (
        was is not None
        and new is not None
        and np.array_equal(was.top_channels, new.top_channels)
        and np.array_equal(was.top_maps, new.top_maps)
    )


def strip(model: LoadedModel, session: Session) -> dict[str, Any]:
    """The block strip's value (switches, selected block, revision) and props (per-block
    numbers, labels, layout): keyword arguments of `BlockStrip` and of its `gr.update`."""
    settings = session.settings
    blocks = block_names(model.module)
    current = session.current
    props = strip_props(
        blocks,
        current.blocks if current else None,
        settings.lang,
        kinds=shortcut_kinds(model.module),
    )
    return {"value": strip_value(blocks, settings.modes, settings.inspect, session.rev), **props}


def target(model: LoadedModel, session: Session, with_choices: bool = False) -> Any:
    """The target dropdown's value, and with `with_choices` an update with its class list
    (after a model or language change; 1000 entries for ImageNet, so not on every flip). The
    plain value costs Gradio no new component (an update rebuilds one with every choice)."""
    settings = session.settings
    value = AUTO_TARGET if settings.target is None else settings.target
    if with_choices:
        return gr.update(choices=target_choices(model, settings.lang), value=value)
    return value


def faithfulness_chart(
    model: LoadedModel, session: Session, result: Any, lang: str
) -> np.ndarray | None:
    """The deletion and insertion curves of the shown map, AUCs in the legend (`result`: an
    `analysis.faithfulness.Faithfulness`)."""
    current = session.current
    if current is None:
        return None
    target = class_names(model, lang)[current.target]
    labels = (
        t("faithful_deletion", lang, auc=result.deletion_auc),
        t("faithful_insertion", lang, auc=result.insertion_auc),
    )
    return deletion_insertion_chart(
        result.fractions,
        result.deletion,
        result.insertion,
        labels,
        title=t("faithful_title", lang, method=method_name(current.method, lang), target=target),
        xlabel=t("faithful_x", lang),
        ylabel=t("faithful_y", lang, target=target),
    )
