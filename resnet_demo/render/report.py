"""The result card of one analysis, for every front end: the page's export and the CLI.

`card_content` turns the intact analysis, the current (possibly switched) one and their
comparison into a `CardContent`, worded from the text catalogue. Grad-CAM maps always come from
the comparison when there is one, so the intact map, the switched map and their difference share
one scale. No torch here: the analyses are read through their numpy fields only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Protocol

import numpy as np

from resnet_demo.render.cards import CardContent, ColourKey
from resnet_demo.render.colormaps import colorize_diverging
from resnet_demo.render.overlay import SIGNED_CMAP, overlay
from resnet_demo.text import t

GRADCAM = "gradcam"
"""The default method (`analysis.methods.GRADCAM`; render imports no torch, so not from there)."""

MODE_KEYS = {"intact": "mode_intact", "skip-off": "mode_skip_off", "branch-off": "mode_branch_off"}
"""Block mode -> catalogue key of its name."""


class AnalysisView(Protocol):
    """What a card reads of an `analysis.Analysis`."""

    @property
    def model_name(self) -> str: ...
    @property
    def weights_source(self) -> str: ...
    @property
    def image(self) -> np.ndarray: ...  # RGB uint8 (S, S, 3), what the model saw
    @property
    def top_indices(self) -> np.ndarray: ...  # int (k,), most probable first
    @property
    def top_probs(self) -> np.ndarray: ...  # float32 (k,) in [0, 1]
    @property
    def target(self) -> int: ...
    @property
    def cam_layer(self) -> str: ...
    @property
    def cam(self) -> np.ndarray: ...  # float32 (S, S) in [0, 1] ([-1, 1] signed), own scale
    @property
    def method(self) -> str: ...  # the attribution method of `cam`
    @property
    def signed(self) -> bool: ...  # `cam` keeps its sign, in [-1, 1]
    @property
    def pixels(self) -> bool: ...  # `cam` is the method's map on the input pixels, not a layer

    @property
    def switched(self) -> Mapping[str, str]: ...


class ComparisonView(Protocol):
    """What a card reads of an `analysis.Comparison`."""

    @property
    def top1_before(self) -> int: ...
    @property
    def top1_after(self) -> int: ...
    @property
    def cam_before(self) -> np.ndarray: ...  # float32 (S, S) in [0, 1], intact, shared scale
    @property
    def cam_after(self) -> np.ndarray: ...  # float32 (S, S) in [0, 1], switched, shared scale
    @property
    def cam_diff(self) -> np.ndarray: ...  # float32 (S, S) in [-1, 1]


def class_names(names_by_lang: Mapping[str, Sequence[str]], lang: str) -> list[str]:
    """Display name of every class: in `lang` first, English after it, where the model has
    names in `lang` (`LoadedModel.class_names`, English under "en"); duplicates numbered.

    ImageNet has a few repeated names ("crane" the bird and the machine); they get " #index" so
    every name maps back to one class.
    """
    names = list(names_by_lang["en"])
    if lang != "en" and lang in names_by_lang:
        names = [f"{x} ({en})" for x, en in zip(names_by_lang[lang], names, strict=True)]
    counts = Counter(names)
    return [f"{n} #{i}" if counts[n] > 1 else n for i, n in enumerate(names)]


def mode_text(mode: str, lang: str) -> str:
    """A block mode ("intact", "skip-off", "branch-off") in words."""
    return t(MODE_KEYS[mode], lang)


def switches_text(switched: Mapping[str, str], lang: str, limit: int = 12) -> str:
    """The switched blocks in words ("layer1.0 skip off, …", at most `limit` named), or the
    catalogue's "all blocks intact"."""
    if not switched:
        return t("no_switches", lang)
    items = [f"{name} {mode_text(mode, lang)}" for name, mode in switched.items()]
    if len(items) > limit:
        items = [*items[:limit], f"… (+{len(items) - limit})"]
    return ", ".join(items)


def card_content(
    current: AnalysisView,
    comparison: ComparisonView | None,
    names: Sequence[str],
    image_name: str,
    lang: str = "en",
    palette: str = "inferno",
    notice: Sequence[str] = (),
) -> CardContent:
    """What the result card shows for one analysis, in `lang`.

    Args:
        current: The analysis on screen (switched or not).
        comparison: `compare(intact, current)` when blocks are switched, else None. With it the
            card shows the intact map, the switched one and their difference, all on the
            comparison's shared scale; without it, the one map on its own scale. A method other
            than Grad-CAM (`current.method`) is named in the panel heading, the colour key and
            the caption; a signed map (`current.signed`) is drawn diverging, 0 near-white; a
            pixel method's caption (`current.pixels`) names no layer.
        names: Display name of every class, in `lang` (see `class_names`).
        image_name: Shown in the title and the caption.
        lang: "en" or "zh". Default: "en".
        palette: colour map of unsigned maps (`colormaps.PALETTES`). Default: "inferno".
        notice: lines printed right under the model's line, in `lang`: for a model that knows
            only the shapes, which ten and how to get a model for photos
            (`models.describe.shapes_notice`). Default: none.

    Returns:
        The card's content; draw it with `render.result_card`.
    """
    size = current.image.shape
    method, signed, pixels = current.method, current.signed, current.pixels
    what, heat_title, heat_key, diff_words, switched_title = _method_words(
        method, signed, pixels, names[current.target], current.cam_layer, lang, palette
    )
    lines = [
        t("card_model", lang, model=current.model_name, source=current.weights_source),
        *notice,
        t("card_image", lang, image=image_name, width=size[1], height=size[0]),
        what,
        t("card_switches", lang, switches=switches_text(current.switched, lang)),
    ]
    heat = current.cam
    extra: list[tuple[str, np.ndarray] | tuple[str, np.ndarray, ColourKey]] = []
    if comparison is not None:
        before, after = names[comparison.top1_before], names[comparison.top1_after]
        lines.append(t("card_top1", lang, before=before, after=after))
        heat = comparison.cam_before
        extra = _comparison_panels(
            current.image, comparison, signed, palette, diff_words, switched_title, lang
        )
    return CardContent(
        title=t("card_title", lang, model=current.model_name, image=image_name),
        image=current.image,
        heat=heat,
        top_labels=[names[int(i)] for i in current.top_indices],
        top_probs=[float(p) for p in current.top_probs],
        caption_lines=lines,
        extra_panels=extra,
        lang=lang,
        heat_title=heat_title,
        heat_key=heat_key,
        heat_signed=signed,
        heat_cmap=palette,
    )


def _comparison_panels(
    image: np.ndarray,
    comparison: ComparisonView,
    signed: bool,
    palette: str,
    diff_words: str,
    switched_title: str,
    lang: str,
) -> list[tuple[str, np.ndarray] | tuple[str, np.ndarray, ColourKey]]:
    """The card's switched map and the difference map (with its diverging colour key)."""
    diff_key = ColourKey(t("card_less", lang), diff_words, t("card_more", lang), SIGNED_CMAP, True)
    # Two signed maps in [-1, 1] differ by up to 2: that is the diverging scale's end.
    limit = 2.0 if signed else 1.0
    switched = overlay(image, comparison.cam_after, cmap=None if signed else palette, signed=signed)
    return [
        (switched_title, switched),
        (t("panel_diff", lang), colorize_diverging(comparison.cam_diff, limit=limit), diff_key),
    ]


def _method_words(
    method: str, signed: bool, pixels: bool, target: str, layer: str, lang: str, palette: str
) -> tuple[str, str | None, ColourKey | None, str, str]:
    """The card's words for its method: the caption's "what" line, the map panel's heading and
    colour key (None: Grad-CAM's defaults), the difference's key words and the switched
    panel's heading."""
    if method == GRADCAM:
        what = t("card_target", lang, target=target, layer=layer)
        heat_title, heat_key = None, None
        diff_words, switched_title = t("card_diff_key", lang), t("panel_switched", lang)
    else:
        what = (
            t("card_method_pixel", lang, method=method, target=target)
            if pixels
            else t("card_method_layer", lang, method=method, target=target, layer=layer)
        )
        heat_title = method
        ends = ("card_negative", "card_positive") if signed else ("card_low", "card_high")
        heat_key = ColourKey(
            t(ends[0], lang),
            t("card_method_key", lang, method=method),
            t(ends[1], lang),
            SIGNED_CMAP if signed else palette,
            signed,
        )
        diff_words = t("card_method_diff_key", lang, method=method)
        switched_title = t("panel_method_switched", lang, method=method)
    return what, heat_title, heat_key, diff_words, switched_title
