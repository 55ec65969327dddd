"""Event handlers: a few lines each, turning control values into a new session and a new view.

Every handler is wrapped by `user_errors` (any failure becomes a short `gr.Error`), receives the
page's controls by name (`target`, `method`, `layer`, `top_k`, `opacity`, `strip`, `lang`, wired
with Gradio's `inputs_kwargs`), and returns a dict of only the components it changes, keyed by the
components of the `Page` the layout built. The numbers come from `Session`/`Engine` (analysis)
and the pictures from `views` (render).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, replace
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple, cast

import gradio as gr
import numpy as np

import resnet_demo.ui.views as views
from resnet_demo.analysis import Analysis, AnalysisError, Comparison
from resnet_demo.analysis.faithfulness import deletion_insertion
from resnet_demo.analysis.methods import GRADCAM_SIGNED
from resnet_demo.cache import LRUCache, image_digest
from resnet_demo.errors import DemoError
from resnet_demo.models import WeightsError
from resnet_demo.models.describe import shapes_notice
from resnet_demo.switches import block_names
from resnet_demo.text import normalize_lang, t
from resnet_demo.ui._compat import browser_session, is_update
from resnet_demo.ui.components import Page
from resnet_demo.ui.errors import NoImageError, user_errors
from resnet_demo.ui.examples import examples_for, gallery_value
from resnet_demo.ui.export import write_exports
from resnet_demo.ui.i18n import relabel
from resnet_demo.ui.inputs import read_image
from resnet_demo.ui.pictures import png_file, still_there
from resnet_demo.ui.presets import preset_modes
from resnet_demo.ui.registry import ModelRegistry
from resnet_demo.ui.session import (
    Engine,
    Session,
    Settings,
    default_settings,
    parse_layer,
    parse_method,
    parse_opacity,
    parse_palette,
    parse_target,
    parse_top_k,
)
from resnet_demo.ui.strip import modes_from_value, revision_from_value, selected_from_value

Update = dict[Any, Any]
"""What a handler returns: component -> new value (or `gr.update(...)`), only what changed."""


class ChoiceError(AnalysisError, DemoError):
    """A pick that is not on the page's list (an example, a class, a block); a catalogue key.

    An `AnalysisError` (shown under "Invalid setting") worded in the page's language.
    """


def merge(*updates: Update) -> Update:
    """Several updates as one: properties of the same component are combined, later ones win.

    A plain value counts as `gr.update(value=...)`, so a relabelled dropdown keeps the choices
    another update gave it.
    """
    merged: Update = {}
    for update in updates:
        for component, new in update.items():
            if component in merged and (is_update(merged[component]) or is_update(new)):
                new = {**_as_update(merged[component]), **_as_update(new)}
            merged[component] = new
    return merged


def _as_update(value: object) -> dict[str, Any]:
    return cast(dict[str, Any], value) if is_update(value) else gr.update(value=value)


def answering(session: Session, strip: object) -> Session:
    """The session, answering the strip revision of `strip` (the strip's value as the browser
    sent it) when it carries one (`strip.revision_from_value`)."""
    return replace(session, rev=revision_from_value(strip, session.rev))


ANSWERS = 32
"""Finished answers kept (`Handlers.answers`): the analyses of an image under one setting of
every control, and the pictures drawn from them, shared by every session."""


EXPORTED = 4096
"""Browsers remembered as showing downloads (`Handlers._exported`); the oldest are forgotten
beyond this (their next view then leaves the downloads as they are)."""


class Answer(NamedTuple):
    """The analyses of one image under one `Settings` (as `Engine.run` returns them), and the
    pictures of the view drawn from them so far that are files (`png_file`: their paths), by
    component. The overlays, arrays of 200 KB each (tiles included, a MB an answer), are drawn
    again (a few ms): kept, 32 answers would hold tens of MB."""

    intact: Analysis | None
    current: Analysis | None
    comparison: Comparison | None
    pictures: dict[Any, Any]


def answer_key(session: Session, settings: Settings) -> tuple[Any, ...] | None:
    """What an answer depends on: the model, the image and every setting (the switches in
    block order); None without an image."""
    if session.image is None or not session.digest:
        return None
    plain = tuple(getattr(settings, f.name) for f in fields(settings) if f.name != "modes")
    return (session.model_name, session.digest, plain, tuple(settings.modes.items()))


def _is_blank(image: Any) -> bool:
    """True for a drawing with (almost) nothing on it."""
    return int(image.max()) - int(image.min()) < 16


class Handlers:
    """The app's event handlers, sharing one `Engine`, writing into one `Page`.

    Args:
        engine: analyses, models and the intact-analysis cache.
        page: the page's components.
        default_lang: "en"/"zh" to start every browser in that language (`--lang`), or None
            to follow each browser's own language.
    """

    def __init__(self, engine: Engine, page: Page, default_lang: str | None = None) -> None:
        self.engine = engine
        self.page = page
        self.default_lang = default_lang
        self.answers: LRUCache[Answer] = LRUCache(ANSWERS)
        """(model, image, settings) -> `Answer`: a setting already seen, by any session, is
        neither analysed nor drawn again."""
        self._exported: LRUCache[bool] = LRUCache(EXPORTED)
        """The browsers (Gradio session hashes) whose downloads are shown (`on_export`): their
        next view hides them (`_shown_props`), and no other view needs to."""

    @property
    def registry(self) -> ModelRegistry:
        """The shared model registry."""
        return self.engine.registry

    # ---- helpers -------------------------------------------------------------------------

    def settings(
        self,
        session: Session,
        *,
        target: object = None,
        method: object = None,
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
            method=parse_method(method),
            palette=session.settings.palette,  # changed only by the picker (`on_palette`)
        )

    def view(
        self, session: Session, with_choices: bool = False, before: Session | None = None
    ) -> Update:
        """The panels that show the session's analysis, and the session itself.

        Args:
            session: the analysed (or empty) session.
            with_choices: also send the target dropdown's class list (model or language change).
            before: the session the page showed until now: pictures that are the same for both
                (`views.unchanged`) are left out, neither drawn nor encoded nor sent (the same
                settings again leave every picture as it was). Words and numbers are always
                sent: they cost nothing to encode, and an API client gets them with every answer.
                None: every panel.
        """
        p = self.page
        model = self.engine.model(session)
        lang = session.settings.lang
        names = views.class_names(model, lang)
        opacity = session.settings.opacity
        shown = cache(lambda: views.overlays(session, opacity))
        pictures: dict[str, dict[Any, Callable[[], Any]]] = {
            views.ANALYSIS: {
                p.results.overlay: lambda: shown()[0],
                p.results.raw_cam: lambda: png_file(views.raw_cam(session)),
                p.results.stages: lambda: views.stage_row(session, opacity),
                p.faithfulness.chart: lambda: None,  # a new map: its curves are measured anew
                p.maps.activations: lambda: png_file(views.activation_grid(session)),
            },
            views.CHANNELS: {p.maps.channels: lambda: png_file(views.channel_grid(session))},
            views.COMPARISON: {
                p.comparison.cam_switched: lambda: shown()[2],
                p.comparison.cam_diff: lambda: png_file(views.cam_diff(session)),
            },
            views.CAM_INTACT: {p.comparison.cam_intact: lambda: shown()[1]},
        }
        update: Update = {
            p.state: session,
            p.results.predictions: views.predictions(session, names),
            p.results.caption: views.caption(session, names),
            p.results.banner: views.banner_html(session, names, lang),
            p.results.target: views.target(model, session, with_choices),
            p.results.method_note: views.method_note(model, session.settings.method, lang),
            p.switches.result: views.switch_result_html(session, names, lang),
            p.comparison.table: views.table_value(session, names, lang),
        }
        full = before is None or with_choices
        update |= self._shown_props(session, None if full else before)
        same = frozenset() if with_choices else views.unchanged(before, session)
        kept = self._answer(session)
        for group, drawn in pictures.items():
            if group not in same:
                for component, draw in drawn.items():
                    if kept is None:
                        update[component] = draw()
                    elif component in kept.pictures and still_there(kept.pictures[component]):
                        update[component] = kept.pictures[component]
                    else:
                        update[component] = picture = draw()
                        if picture is None or isinstance(picture, str):  # a file: a few bytes
                            kept.pictures[component] = picture
        return update

    def _shown_props(self, session: Session, before: Session | None) -> Update:
        """The parts of the view that can carry more than a value: the zero-map warning's
        visibility only where it differs from `before`, the session the page showed (always with
        None), else a plain value; the strip with its props (its rows are numbers). Gradio
        builds a new component and its config for every update, and for every output an answer
        leaves out (0.2–0.6 ms each); a plain value costs it nothing of the kind.

        The downloads are hidden in the browser that prepared them (`on_export`): they describe
        the view the page showed until now.
        """
        p = self.page
        model = self.engine.model(session)
        update: Update = {}
        zero = views.zero_map(session)
        warning, offer_signed = zero
        if before is None or views.zero_map(before) != zero:
            update[p.results.zero_note] = gr.update(value=warning, visible=bool(warning))
            update[p.results.zero_button] = gr.update(visible=offer_signed)
        else:  # the same words and the same visibility (the button has no value to send)
            update[p.results.zero_note] = warning
        # the strip's rows are numbers, which every answer carries (an API client reads them)
        update[p.switches.strip] = gr.update(**views.strip(model, session))
        shown = self._downloads_shown()  # asked every time: the answer forgets it
        downloads = gr.update(value=None, visible=False) if before is None or shown else None
        update[p.export.download_card] = update[p.export.download_json] = downloads  # None: hidden
        return update

    def _downloads_shown(self) -> bool:
        """Whether the browser being answered may show downloads (it prepared them, or it is
        not known: a call outside a Gradio request); forgets it, as the answer hides them."""
        browser = browser_session()
        return browser is None or self._exported.pop(browser) is not None

    def _answer(self, session: Session) -> Answer | None:
        """The cached answer whose analyses `session` shows, or None (then nothing drawn for
        it is kept: it may show analyses of other settings)."""
        key = answer_key(session, session.settings)
        answer = None if key is None else self.answers.get(key)
        if answer is None or answer.current is not session.current:
            return None
        return answer

    def analysed(self, session: Session, settings: Settings) -> Session:
        """`Engine.run`, answered from `answers` for a setting already seen (no analysis)."""
        key = answer_key(session, settings)
        if key is None:
            return self.engine.run(session, settings)
        answer = self.answers.get(key)
        if answer is None:
            ran = self.engine.run(session, settings)
            self.answers.put(key, Answer(ran.intact, ran.current, ran.comparison, {}))
            return ran
        return replace(
            session,
            intact=answer.intact,
            current=answer.current,
            comparison=answer.comparison,
            settings=settings,
        )

    def refresh(self, session: Session, settings: Settings, with_choices: bool = False) -> Update:
        """Run the analyses for `settings` and render what changed (the whole view with
        `with_choices`). Settings equal to the session's re-run nothing: the answer carries the
        session, the strip and the revision it answers (`answering`)."""
        if session.has_view and settings == session.settings:
            return self.view(session, with_choices, before=session)
        return self.view(self.analysed(session, settings), with_choices, before=session)

    def shapes_notice(self, session: Session, lang: str, mark: Any = str) -> list[str]:
        """For a model that knows only the shapes: which ten, and how to get a model for photos
        on this server (`models.describe.shapes_notice`); [] for any other model."""
        model = self.engine.model(session)
        return shapes_notice(
            model.categories, lang, allow_download=self.registry.allow_download, mark=mark
        )

    def shapes_note(self, session: Session, lang: str) -> Any:
        """The notice under the predictions: its first sentence in bold, file names as code;
        hidden for a model that knows other classes."""
        lines = self.shapes_notice(session, lang, mark=lambda s: f"`{s}`")
        text = f"**{lines[0]}** {lines[1]}" if lines else ""
        return gr.update(value=text, visible=bool(lines))

    def model_parts(self, session: Session, lang: str) -> Update:
        """What depends on the model besides the view: picker, status, layers, blocks, examples."""
        p = self.page
        model = self.engine.model(session)
        layers = views.layer_choices(model, lang)
        method = session.settings.method
        return {
            p.header.picker: gr.update(
                choices=views.model_choices(self.registry, lang), value=session.model_name
            ),
            p.header.status: views.status_text(self.engine.model(session), lang),
            p.results.method: gr.update(choices=views.method_choices(lang), value=method),
            p.results.layer: gr.update(
                choices=layers,
                value=session.settings.cam_layer,
                interactive=views.is_layer_method(method),
            ),
            p.maps.inspect: gr.update(
                choices=block_names(model.module), value=session.settings.inspect
            ),
            p.inputs.gallery: gallery_value(session.model_name, lang),
            p.results.shapes_note: self.shapes_note(session, lang),
        }

    def _new_image(
        self, session: Session, image: np.ndarray, name: str, digest: str = "", **controls: Any
    ) -> Update:
        """Analyse a new image with the page's controls; the target goes back to automatic."""
        session = answering(session, controls.get("strip"))
        settings = self.settings(session, **{**controls, "target": None})
        digest = digest or image_digest(image)
        session = replace(session, image=image, digest=digest, image_name=name)
        session = replace(session, intact=None, current=None, comparison=None)  # not this image's
        return self.refresh(session, settings)

    # ---- events --------------------------------------------------------------------------

    @user_errors
    def on_image(self, source: Any, session: Session, lang: Any, **controls: Any) -> Update:
        """A new upload, webcam shot, paste or API image: decode it and analyse it.

        The same image again (the input reporting the picture an example click put there, or an
        API client sending it with other switches) re-analyses only if the controls changed,
        from the cached analyses; a cleared input changes nothing. Either way the answer names
        the session: Gradio refuses an empty dict of updates (seen under load: 14 of 600
        requests failed with "didn't return enough output values")."""
        if source is None:
            return {self.page.state: session}
        image = read_image(source)
        digest = image_digest(image)
        if digest == session.digest and session.has_view:
            revised = answering(session, controls.get("strip"))
            settings = self.settings(session, lang=lang, **controls)
            if settings == session.settings and revised.rev == session.rev:
                return {self.page.state: session}
            return self.refresh(revised, settings)
        is_file = isinstance(source, str) and not source.startswith("data:")
        name = Path(source).name if is_file else t("uploaded", lang)
        return self._new_image(session, image, name[:80], digest, lang=lang, **controls)

    @user_errors
    def on_example(
        self, evt: gr.SelectData, session: Session, lang: Any, **controls: Any
    ) -> Update:
        """A click in the example gallery: show the example in the input and analyse it."""
        examples = examples_for(session.model_name)
        index = evt.index if isinstance(evt.index, int) else -1
        if not 0 <= index < len(examples):
            raise ChoiceError("page_no_example", index=repr(evt.index))
        example = examples[index]
        image = example.image.copy()  # the shared example stays read-only
        update = self._new_image(session, image, example.name, lang=lang, **controls)
        return {self.page.inputs.image: image, **update}

    @user_errors
    def on_drawing(self, source: Any, session: Session, lang: Any, **controls: Any) -> Update:
        """The "Classify drawing" button: analyse the sketchpad's picture."""
        if source is None:
            raise NoImageError(t("err_empty_drawing", lang))
        image = read_image(source)
        if _is_blank(image):
            raise NoImageError(t("err_empty_drawing", lang))
        return self._new_image(session, image, t("drawing", lang), lang=lang, **controls)

    @user_errors
    def on_settings(self, session: Session, lang: Any, **controls: Any) -> Update:
        """Any control changed (target, layer, top-k, a switch): re-analyse."""
        session = answering(session, controls.get("strip"))
        return self.refresh(session, self.settings(session, lang=lang, **controls))

    @user_errors
    def on_method(self, session: Session, lang: Any, **controls: Any) -> Update:
        """The method picker: re-analyse with that method; the layer picker is greyed out for
        pixel methods, which do not use it."""
        session = answering(session, controls.get("strip"))
        settings = self.settings(session, lang=lang, **controls)
        update = self.refresh(session, settings)
        layered = views.is_layer_method(settings.method)
        if not session.has_view or layered != views.is_layer_method(session.settings.method):
            update[self.page.results.layer] = gr.update(interactive=layered)
        return update

    @user_errors
    def on_signed(self, session: Session, lang: Any, **controls: Any) -> Update:
        """The zero-map warning's button: switch the method picker to signed Grad-CAM."""
        update = self.on_method(session, lang, **{**controls, "method": GRADCAM_SIGNED})
        return {**update, self.page.results.method: GRADCAM_SIGNED}

    @user_errors
    def on_label_select(
        self, evt: gr.SelectData, session: Session, lang: Any, **controls: Any
    ) -> Update:
        """A click on a prediction bar: explain that class."""
        if session.current is None:
            return {self.page.state: session}
        names = views.class_names(self.engine.model(session), normalize_lang(lang))
        label = evt.value if isinstance(evt.value, str) else None
        if label not in names:
            raise ChoiceError("page_unknown_class", value=repr(evt.value))
        controls["target"] = names.index(label)
        session = answering(session, controls.get("strip"))
        return self.refresh(session, self.settings(session, lang=lang, **controls))

    @user_errors
    def on_preset(
        self, preset: str, stage: Any, session: Session, lang: Any, **controls: Any
    ) -> Update:
        """A preset button: replace every switch with the preset's modes."""
        model = self.engine.model(session)
        modes = preset_modes(model.module, preset, stage if isinstance(stage, str) else None)
        session = answering(session, controls.get("strip"))
        controls["strip"] = {"modes": modes, "selected": session.settings.inspect}
        return self.refresh(session, self.settings(session, lang=lang, **controls))

    @user_errors
    def on_opacity(self, session: Session, opacity: Any) -> Update:
        """The opacity slider: recolour the overlays only (no analysis)."""
        opacity = parse_opacity(opacity)
        main, cam_intact, cam_switched = views.overlays(session, opacity)
        p = self.page
        return {
            p.results.overlay: main,
            p.comparison.cam_intact: cam_intact,
            p.comparison.cam_switched: cam_switched,
            p.results.stages: views.stage_row(session, opacity),
        }

    @user_errors
    def on_palette(self, session: Session, palette: Any, opacity: Any) -> Update:
        """The colour picker: recolour every heat map (no analysis); the session keeps the
        choice for the next analyses and the exported card."""
        settings = replace(session.settings, palette=parse_palette(palette))
        session = replace(session, settings=settings)
        return {
            self.page.state: session,
            **self.on_opacity(session, opacity),
            self.page.results.raw_cam: png_file(views.raw_cam(session)),
        }

    @user_errors
    def on_inspect(self, block: Any, session: Session, lang: Any, strip: Any = None) -> Update:
        """Pick the block whose strongest channels are shown (dropdown or a click in the strip).

        `strip` is the strip's value as the browser has it: the strip sent back shows its
        switches and revision, not the session's, which a flip still running may be about to
        replace (the switches themselves take effect with that flip's analysis)."""
        model = self.engine.model(session)
        names = block_names(model.module)
        block = selected_from_value(
            block if isinstance(block, dict) else {"selected": block}, names, ""
        )
        if not block:
            raise ChoiceError("page_unknown_block")
        settings = replace(session.settings, inspect=block, lang=normalize_lang(lang))
        session = replace(answering(session, strip), settings=settings)
        shown = session
        if strip is not None:
            modes = modes_from_value(strip, model.module)
            shown = replace(session, settings=replace(settings, modes=modes))
        p = self.page
        return {
            p.state: session,
            p.maps.inspect: block,
            p.switches.strip: gr.update(**views.strip(model, shown)),
            p.maps.channels: png_file(views.channel_grid(session)),
        }

    @user_errors
    def on_model(
        self,
        name: Any,
        session: Session,
        lang: Any,
        progress: gr.Progress = gr.Progress(track_tqdm=True),  # noqa: B008 - Gradio's idiom
    ) -> Update:
        """The model picker: load the model (download with progress if needed) or stay put."""
        lang = normalize_lang(lang)
        try:
            progress(0, desc=t("downloading", lang, model=name))
            model = self.registry.load(name)
        except WeightsError as exc:
            current = session.model_name
            gr.Warning(
                t("download_failed", lang, model=name, current=current), title=t("err_model", lang)
            )
            return {
                self.page.header.picker: gr.update(
                    choices=views.model_choices(self.registry, lang), value=current
                ),
                self.page.header.status: f"⚠ {exc}",
            }
        kept = session.settings
        settings = replace(default_settings(model, lang), method=kept.method, palette=kept.palette)
        fresh = Session(model_name=model.name, settings=settings, rev=session.rev)
        fresh = replace(
            fresh, image=session.image, digest=session.digest, image_name=session.image_name
        )
        return {
            **self.model_parts(fresh, lang),
            **self.refresh(fresh, fresh.settings, with_choices=True),
        }

    @user_errors
    def on_lang(self, lang: Any, session: Session) -> Update:
        """The language switch: every word on the page, static and computed, in `lang`."""
        lang = normalize_lang(lang)
        session = replace(session, settings=replace(session.settings, lang=lang))
        return merge(
            relabel(self.page.words, lang),
            self.model_parts(session, lang),
            self.view(session, with_choices=True),
            {self.page.header.saved_lang: lang},
        )

    @user_errors
    def on_load(self, saved: Any, session: Session, request: gr.Request) -> Update:
        """Page load: the language a reload should keep, then every word in it.

        The choice is, in order: the one this browser saved (`gr.BrowserState`), a `?lang=`
        query parameter, the server's `--lang`, the browser's `Accept-Language`, English.
        """
        query = request.query_params.get("lang") if request is not None else None
        browser = request.headers.get("accept-language") if request is not None else None
        choices = (saved, query, self.default_lang, browser)
        lang = next((c for c in choices if isinstance(c, str) and c.strip()), "en")
        return merge(self.on_lang(lang, session), {self.page.header.language: normalize_lang(lang)})

    @user_errors
    def on_faithfulness(self, session: Session, lang: Any) -> Update:
        """The faithfulness button: deletion and insertion curves of the shown map."""
        current = session.current
        if current is None:
            raise NoImageError(t("err_no_image_msg", normalize_lang(lang)))
        model = self.engine.model(session)
        result = deletion_insertion(
            model, current.image, current.target, current.cam, switches=current.modes
        )
        chart = views.faithfulness_chart(model, session, result, normalize_lang(lang))
        return {self.page.faithfulness.chart: png_file(chart)}

    @user_errors
    def on_export(self, session: Session, lang: Any) -> Update:
        """The "Prepare downloads" button: write the card and the numbers of the current view."""
        if session.current is None:
            raise NoImageError(t("err_no_image_msg", normalize_lang(lang)))
        notice = self.shapes_notice(session, session.settings.lang)  # the card's language
        card, numbers = write_exports(self.engine.model(session), session, notice)
        browser = browser_session()
        if browser is not None:
            self._exported.put(browser, True)
        return {
            self.page.export.download_card: gr.update(value=card, visible=True),
            self.page.export.download_json: gr.update(value=numbers, visible=True),
        }
