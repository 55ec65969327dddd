"""What one browser session holds, and the one place that turns it into analyses.

A `Session` lives in a `gr.State` (per browser tab, never shared). `Engine.run` is the only code
in the UI that calls the engine: the intact analysis comes from the shared LRU cache (computed
once per image, model, target, layer, top-k and method), the switched one is computed per
request with the intact network's target, and `compare` relates the two. Both carry Grad-CAM at
the end of every stage (`analyze(all_stages=True)`) for the page's stage row.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from resnet_demo.analysis import Analysis, AnalysisError, Comparison, analyze, compare
from resnet_demo.analysis.methods import GRADCAM, check_method
from resnet_demo.cache import LRUCache
from resnet_demo.errors import check_number, parse_whole
from resnet_demo.models import LoadedModel
from resnet_demo.render.colormaps import PALETTES
from resnet_demo.switches import INTACT, block_names, resolve_layer
from resnet_demo.text import Term
from resnet_demo.ui.registry import ModelRegistry

CONCURRENCY = 2
"""Analyses running at once on the server (`server.configure_queue`; each model runs one at a
time under its lock anyway). Every event that runs a network shares this limit, the many-pass
methods (integrated gradients, SmoothGrad, occlusion) and the faithfulness chart included."""

MAX_TOP_K = 10
"""Most classes the page lists; more would not fit a projected slide."""


@dataclass(frozen=True)
class Settings:
    """The controls of the page, checked.

    Attributes:
        target: class Grad-CAM explains, or None for the intact network's top-1.
        cam_layer: stage or block name, e.g. "layer4" or "layer3.1".
        top_k: classes listed, 1..MAX_TOP_K.
        modes: block -> mode for every block of the model.
        opacity: heat-map opacity in [0, 1].
        inspect: block whose strongest channels are shown.
        lang: "en" or "zh".
        method: attribution method of the main map (`analysis.methods.METHOD_NAMES`).
        palette: colour map of unsigned heat maps (`render.colormaps.PALETTES`).
    """

    target: int | None = None
    cam_layer: str = "layer4"
    top_k: int = 5
    modes: Mapping[str, str] = field(default_factory=dict)
    opacity: float = 0.5
    inspect: str = ""
    lang: str = "en"
    method: str = GRADCAM
    palette: str = PALETTES[0]

    @property
    def switched(self) -> dict[str, str]:
        """Only the blocks that are not intact."""
        return {k: v for k, v in self.modes.items() if v != INTACT}


@dataclass(frozen=True, eq=False)
class Session:
    """One browser tab's state.

    Attributes:
        model_name: canonical name of the model this tab uses.
        image: the decoded input, RGB uint8 (H, W, 3), or None before the first image.
        digest: content hash of `image` (cache key).
        image_name: a short name for titles and exports ("chelsea.jpg", "drawing").
        intact: the intact network's analysis of the image, or None.
        current: the analysis with the switches applied (the intact one when none are).
        comparison: intact vs current, or None when every block is intact.
        settings: the settings the analyses were made with.
        rev: the browser's strip revision the session's view answers
            (`strip.revision_from_value`): the strip keeps a newer change of its own over an
            older answer that arrives late.
    """

    model_name: str
    image: np.ndarray | None = None
    digest: str = ""
    image_name: str = ""
    intact: Analysis | None = None
    current: Analysis | None = None
    comparison: Comparison | None = None
    settings: Settings = field(default_factory=Settings)
    rev: int = 0

    @property
    def has_view(self) -> bool:
        """True once an image has been analysed."""
        return self.current is not None


def default_settings(model: LoadedModel, lang: str = "en") -> Settings:
    """The settings a fresh session (or a fresh model) starts with."""
    names = block_names(model.module)
    stage2 = [n for n in names if n.startswith("layer2.")]
    return Settings(
        modes=dict.fromkeys(names, INTACT),
        inspect=stage2[-1] if stage2 else names[0],
        lang=lang,
    )


def new_session(registry: ModelRegistry, lang: str = "en") -> Session:
    """A session on the registry's default model with no image."""
    model = registry.default
    return Session(model_name=model.name, settings=default_settings(model, lang))


def parse_target(value: object, num_classes: int) -> int | None:
    """A target from the dropdown or an API client: None, "" and -1 mean automatic.

    Raises:
        AnalysisError: not a whole number, or outside 0..num_classes-1.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    name = Term("field_target_class")
    if parse_whole(value, name, numerals=True, error=AnalysisError) == -1:
        return None
    return parse_whole(value, name, 0, num_classes - 1, numerals=True, error=AnalysisError)


def parse_top_k(value: object) -> int:
    """Top-k from the slider or an API client (2.0 is 2).

    Raises:
        AnalysisError: not a whole number in 1..MAX_TOP_K.
    """
    return parse_whole(value, Term("field_top_k"), 1, MAX_TOP_K, error=AnalysisError)


def parse_opacity(value: object) -> float:
    """Opacity from the slider or an API client.

    Raises:
        AnalysisError: not a number in [0, 1].
    """
    return check_number(value, Term("field_opacity"), 0, 1, error=AnalysisError)


def parse_palette(value: object) -> str:
    """A heat-map colour map from the picker or an API client.

    Raises:
        AnalysisError: not one of `PALETTES` (key `page_unknown_palette`).
    """
    if value not in PALETTES:
        raise AnalysisError("page_unknown_palette", value=repr(value), choices=", ".join(PALETTES))
    return str(value)


def parse_layer(model: LoadedModel, value: object) -> str:
    """A Grad-CAM layer (stage or block) checked against the model.

    Raises:
        SwitchError: unknown layer or not a string.
    """
    resolve_layer(model.module, value)
    return str(value)


def parse_method(value: object) -> str:
    """An attribution method from the picker or an API client; None means Grad-CAM.

    Raises:
        MethodError: not one of `analysis.methods.METHOD_NAMES` (an "Invalid setting").
    """
    return GRADCAM if value is None else check_method(value).name


def read_only(value: Any) -> Any:
    """Mark every numpy array inside `value` (dataclasses, tuples, lists) read-only; return it."""
    if isinstance(value, np.ndarray):
        value.flags.writeable = False
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in dataclasses.fields(value):
            read_only(getattr(value, item.name))
    elif isinstance(value, tuple | list):
        for item in value:
            read_only(item)
    return value


class Engine:
    """Runs analyses for sessions, sharing models and intact analyses between them.

    Args:
        registry: the loaded models.
        cache: intact analyses keyed by (digest, model, weights source, target, layer, top-k,
            method).
    """

    def __init__(self, registry: ModelRegistry, cache: LRUCache[Analysis] | None = None) -> None:
        self.registry = registry
        self.cache: LRUCache[Analysis] = cache if cache is not None else LRUCache(48)

    def model(self, session: Session) -> LoadedModel:
        """The session's model (reloaded from disk if it was dropped; never downloaded)."""
        return self.registry.require(session.model_name)

    def intact(
        self, model: LoadedModel, image: np.ndarray, digest: str, settings: Settings
    ) -> Analysis:
        """The intact analysis, from the cache when this image was seen with these settings.

        Cached analyses are shared by every session that shows the same image, so their arrays
        are made read-only: a bug that wrote into one could not leak into another session.
        """
        s = settings
        key = (digest, model.name, model.source, s.target, s.cam_layer, s.top_k, s.method)

        def compute() -> Analysis:
            return read_only(
                analyze(
                    model,
                    image,
                    target=settings.target,
                    cam_layer=settings.cam_layer,
                    top_k=settings.top_k,
                    method=settings.method,
                    all_stages=True,
                )
            )

        return self.cache.get_or_compute(key, compute)

    def run(self, session: Session, settings: Settings) -> Session:
        """Analyse the session's image with `settings`.

        Only the switched network is computed when the intact analysis is cached; with every
        block intact, nothing is computed twice (`current` is the intact analysis).

        Returns:
            A new Session holding the analyses and the settings (unchanged without an image).

        Raises:
            AnalysisError, SwitchError: a setting that does not fit the model.
        """
        if session.image is None:
            return replace(session, settings=settings)
        model = self.model(session)
        intact = self.intact(model, session.image, session.digest, settings)
        if not settings.switched:
            return replace(
                session, intact=intact, current=intact, comparison=None, settings=settings
            )
        current = analyze(
            model,
            session.image,
            switches=settings.switched,
            target=intact.target,
            cam_layer=settings.cam_layer,
            top_k=settings.top_k,
            method=settings.method,
            all_stages=True,
        )
        return replace(
            session,
            intact=intact,
            current=current,
            comparison=compare(intact, current),
            settings=settings,
        )
