"""Event handlers: a few lines each, turning control values into a new session and a new view.

Every handler is wrapped by `user_errors` (any failure becomes a short `gr.Error`) and returns
values in the order the layout wires them (`views.VIEW_FIELDS`, after the session state). The
numbers come from `Session`/`Engine` (analysis) and the pictures from `views` (render).
"""

from dataclasses import replace
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np

from resnet_demo.analysis import AnalysisError
from resnet_demo.cache import image_digest
from resnet_demo.models import WeightsError
from resnet_demo.switches import block_names
from resnet_demo.ui import views
from resnet_demo.ui.errors import NoImageError, user_errors
from resnet_demo.ui.examples import examples_for, gallery_value
from resnet_demo.ui.export import write_exports
from resnet_demo.ui.i18n import normalize_lang, tr
from resnet_demo.ui.inputs import read_image
from resnet_demo.ui.presets import preset_modes
from resnet_demo.ui.registry import ModelRegistry
from resnet_demo.ui.session import (
    Engine,
    Session,
    Settings,
    default_settings,
    parse_layer,
    parse_opacity,
    parse_target,
    parse_top_k,
)
from resnet_demo.ui.strip import modes_from_value, selected_from_value

Outputs = tuple[Any, ...]

_STATUS_KEYS = {
    "loaded": "state_loaded",
    "embedded": "state_embedded",
    "on disk": "state_on_disk",
    "needs download": "state_needs_download",
}


def _skip(n: int) -> Outputs:
    return tuple(gr.skip() for _ in range(n))


def _is_blank(image: Any) -> bool:
    """True for a drawing with (almost) nothing on it."""
    return int(image.max()) - int(image.min()) < 16


class Handlers:
    """The app's event handlers, sharing one `Engine`.

    Args:
        engine: analyses, models and the intact-analysis cache.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def registry(self) -> ModelRegistry:
        """The shared model registry."""
        return self.engine.registry

    # ---- helpers -------------------------------------------------------------------------

    def new_session(self, lang: str = "en") -> Session:
        """A session on the default model with no image."""
        model = self.registry.default
        return Session(model_name=model.name, settings=default_settings(model, lang))

    def settings(
        self,
        session: Session,
        target: object,
        layer: object,
        top_k: object,
        opacity: object,
        strip: object,
        lang: object,
    ) -> Settings:
        """Check every control value against the session's model (raises on a bad one)."""
        model = self.engine.model(session)
        names = block_names(model.module)
        return Settings(
            target=parse_target(target, len(model.categories)),
            cam_layer=parse_layer(model, layer),
            top_k=parse_top_k(top_k),
            modes=modes_from_value(strip, model.module),
            opacity=parse_opacity(opacity),
            inspect=selected_from_value(strip, names, session.settings.inspect),
            lang=normalize_lang(lang),
        )

    def refresh(self, session: Session, settings: Settings, with_choices: bool = False) -> Outputs:
        """Run the analyses for `settings` and render the whole view."""
        session = self.engine.run(session, settings)
        model = self.engine.model(session)
        return (session, *views.render_view(model, session, with_choices=with_choices))

    def model_choices(self, lang: str) -> list[tuple[str, str]]:
        """The picker's entries, each with its weights state in words."""
        return [
            (f"{name} — {tr(_STATUS_KEYS[self.registry.status(name)], lang)}", name)
            for name in self.registry.names()
        ]

    def status_text(self, session: Session, lang: str) -> str:
        """The status line: which model this session uses and where its weights came from."""
        model = self.engine.model(session)
        source = tr("state_embedded", lang) if model.source == "embedded" else model.source
        return tr("using_model", lang, model=model.name, source=source)

    def model_outputs(self, session: Session, lang: str) -> Outputs:
        """What depends on the model besides the view: picker, status, layers, blocks, examples.

        (The target dropdown's classes travel with the view: `render_view(with_choices=True)`.)
        """
        model = self.engine.model(session)
        names = block_names(model.module)
        return (
            gr.update(choices=self.model_choices(lang), value=session.model_name),
            self.status_text(session, lang),
            gr.update(choices=views.layer_choices(model, lang), value=session.settings.cam_layer),
            gr.update(choices=names, value=session.settings.inspect),
            gallery_value(session.model_name, lang),
        )

    # ---- events --------------------------------------------------------------------------

    @user_errors
    def on_image(
        self,
        source: Any,
        session: Session,
        target: Any,
        layer: Any,
        top_k: Any,
        opacity: Any,
        strip: Any,
        lang: Any,
    ) -> Outputs:
        """A new upload, webcam shot, paste or API image: decode it and analyse it."""
        if source is None:
            return _skip(1 + len(views.VIEW_FIELDS))
        image = read_image(source)
        digest = image_digest(image)
        if digest == session.digest and session.has_view:
            return _skip(1 + len(views.VIEW_FIELDS))
        is_file = isinstance(source, str) and not source.startswith("data:")
        name = Path(source).name if is_file else tr("uploaded", normalize_lang(lang))
        controls = (layer, top_k, opacity, strip, lang)
        return self._new_image(session, image, name[:80], controls, digest)

    @user_errors
    def on_example(
        self,
        evt: gr.SelectData,
        session: Session,
        layer: Any,
        top_k: Any,
        opacity: Any,
        strip: Any,
        lang: Any,
    ) -> Outputs:
        """A click in the example gallery: show the example in the input and analyse it."""
        examples = examples_for(session.model_name)
        index = evt.index if isinstance(evt.index, int) else -1
        if not 0 <= index < len(examples):
            raise AnalysisError(f"there is no example number {evt.index!r}")
        example = examples[index]
        image = example.image.copy()  # the shared example stays read-only
        controls = (layer, top_k, opacity, strip, lang)
        return (image, *self._new_image(session, image, example.name, controls))

    @user_errors
    def on_drawing(
        self,
        source: Any,
        session: Session,
        layer: Any,
        top_k: Any,
        opacity: Any,
        strip: Any,
        lang: Any,
    ) -> Outputs:
        """The "Classify drawing" button: analyse the sketchpad's picture."""
        if source is None:
            raise NoImageError(tr("err_empty_drawing", normalize_lang(lang)))
        image = read_image(source)
        if _is_blank(image):
            raise NoImageError(tr("err_empty_drawing", normalize_lang(lang)))
        controls = (layer, top_k, opacity, strip, lang)
        return self._new_image(session, image, tr("drawing", lang), controls)

    def _new_image(
        self,
        session: Session,
        image: np.ndarray,
        name: str,
        controls: tuple[Any, ...],
        digest: str | None = None,
    ) -> Outputs:
        """Analyse a new image with the page's (layer, top-k, opacity, strip, language)
        controls; the Grad-CAM target goes back to automatic."""
        settings = self.settings(session, None, *controls)
        digest = digest or image_digest(image)
        return self.refresh(replace(session, image=image, digest=digest, image_name=name), settings)

    @user_errors
    def on_settings(
        self,
        session: Session,
        target: Any,
        layer: Any,
        top_k: Any,
        opacity: Any,
        strip: Any,
        lang: Any,
    ) -> Outputs:
        """Any control changed (target, layer, top-k, a switch): re-analyse."""
        return self.refresh(
            session, self.settings(session, target, layer, top_k, opacity, strip, lang)
        )

    @user_errors
    def on_label_select(
        self,
        evt: gr.SelectData,
        session: Session,
        layer: Any,
        top_k: Any,
        opacity: Any,
        strip: Any,
        lang: Any,
    ) -> Outputs:
        """A click on a prediction bar: explain that class."""
        if session.current is None:
            return _skip(1 + len(views.VIEW_FIELDS))
        names = views.class_names(self.engine.model(session), normalize_lang(lang))
        label = evt.value if isinstance(evt.value, str) else None
        if label not in names:
            raise AnalysisError(f"unknown class {evt.value!r}")
        target = names.index(label)
        return self.refresh(
            session, self.settings(session, target, layer, top_k, opacity, strip, lang)
        )

    @user_errors
    def on_preset(
        self,
        preset: str,
        stage: Any,
        session: Session,
        target: Any,
        layer: Any,
        top_k: Any,
        opacity: Any,
        strip: Any,
        lang: Any,
    ) -> Outputs:
        """A preset button: replace every switch with the preset's modes."""
        model = self.engine.model(session)
        modes = preset_modes(model.module, preset, stage if isinstance(stage, str) else None)
        strip = {"modes": modes, "selected": session.settings.inspect}
        return self.refresh(
            session, self.settings(session, target, layer, top_k, opacity, strip, lang)
        )

    @user_errors
    def on_opacity(self, session: Session, opacity: Any) -> Outputs:
        """The opacity slider: recolour the overlays only (no analysis)."""
        return views.overlays(session, parse_opacity(opacity))

    @user_errors
    def on_inspect(self, block: Any, session: Session, lang: Any) -> Outputs:
        """Pick the block whose strongest channels are shown (dropdown or a click in the strip)."""
        model = self.engine.model(session)
        names = block_names(model.module)
        block = selected_from_value(
            block if isinstance(block, dict) else {"selected": block}, names, ""
        )
        if not block:
            raise AnalysisError("unknown block; pick one from the list")
        settings = replace(session.settings, inspect=block, lang=normalize_lang(lang))
        session = replace(session, settings=settings)
        view = dict(zip(views.VIEW_FIELDS, views.render_view(model, session), strict=True))
        return session, block, view["strip"], view["channels"]

    @user_errors
    def on_model(
        self,
        name: Any,
        session: Session,
        lang: Any,
        progress: gr.Progress = gr.Progress(track_tqdm=True),  # noqa: B008 - Gradio's idiom
    ) -> Outputs:
        """The model picker: load the model (download with progress if needed) or stay put."""
        lang = normalize_lang(lang)
        try:
            progress(0, desc=tr("downloading", lang, model=name))
            model = self.registry.load(name)
        except WeightsError as exc:
            current = session.model_name
            gr.Warning(
                tr("download_failed", lang, model=name, current=current),
                title=tr("err_model", lang),
            )
            return (
                gr.update(choices=self.model_choices(lang), value=current),
                f"⚠ {exc}",
                *_skip(3 + 1 + len(views.VIEW_FIELDS)),
            )
        fresh = Session(model_name=model.name, settings=default_settings(model, lang))
        fresh = replace(
            fresh, image=session.image, digest=session.digest, image_name=session.image_name
        )
        return (
            *self.model_outputs(fresh, lang),
            *self.refresh(fresh, fresh.settings, with_choices=True),
        )

    @user_errors
    def on_lang(self, lang: Any, session: Session) -> Outputs:
        """The language switch (or the browser's language at page load): re-label everything."""
        lang = normalize_lang(lang)
        session = replace(session, settings=replace(session.settings, lang=lang))
        model = self.engine.model(session)
        return (
            *self.model_outputs(session, lang),
            session,
            *views.render_view(model, session, with_choices=True),
        )

    @user_errors
    def tab_labels(self, lang: Any) -> Outputs:
        """The input tabs' labels in `lang` (set from the server; see layout)."""
        lang = normalize_lang(lang)
        return gr.update(label=tr("tab_photo", lang)), gr.update(label=tr("tab_draw", lang))

    @user_errors
    def on_export(self, session: Session, lang: Any) -> Outputs:
        """The "Prepare downloads" button: write the card and the numbers of the current view."""
        if session.current is None:
            raise NoImageError(tr("err_no_image_msg", normalize_lang(lang)))
        card, numbers = write_exports(self.engine.model(session), session)
        return gr.update(value=card, visible=True), gr.update(value=numbers, visible=True)
