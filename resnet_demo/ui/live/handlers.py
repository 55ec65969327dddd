"""The live view's frame handler: one webcam frame in, predictions and a Grad-CAM overlay out.

Each frame is decoded like any upload (`ui.inputs.read_image`: the browser sends a JPEG `data:`
URL), then analysed with `analysis.analyze` on the session's model: Grad-CAM only, no stage
maps, one channel per block (the live view draws no activation grids). `analyze` runs under the
model's lock on a per-request `SwitchedResNet`, so frames and ordinary requests take turns on a
model and never share hooks or modes. With switches set in the session (the strip on the main
page), the switched network is analysed too, explaining the intact network's top-1 (as the main
page does), and the panel says whether the top-1 changed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gradio as gr
import numpy as np
import torch

from resnet_demo.analysis import Analysis, AnalysisError, analyze, class_probabilities
from resnet_demo.imaging import ImageError
from resnet_demo.models import EMBEDDED_MODELS, LoadedModel
from resnet_demo.render.overlay import overlay
from resnet_demo.switches import forward_with_modes
from resnet_demo.text import normalize_lang, t
from resnet_demo.ui.errors import user_errors
from resnet_demo.ui.inputs import read_image
from resnet_demo.ui.live.slots import LiveSlots
from resnet_demo.ui.live.views import switched_line
from resnet_demo.ui.session import Session, parse_opacity
from resnet_demo.ui.views import class_names, prediction_bars

MIN_SIDE = 8
"""Smallest frame side accepted (a camera frame is hundreds of pixels; less is no picture)."""

Frame = tuple[Any, Any, str, str]
"""What a frame returns: (predictions, overlay, switched line, message) for the panel's outputs."""


def frame_image(frame: object) -> np.ndarray:
    """The RGB uint8 (H, W, 3) picture of a frame: a `data:` URL, upload path or bytes (decoded
    like any upload), or an array already decoded (tests, API).

    Raises:
        ImageError: no frame, or not a picture of at least `MIN_SIDE` pixels a side.
    """
    if isinstance(frame, np.ndarray):
        image = frame
    elif isinstance(frame, str | bytes) and frame:
        image = read_image(frame)
    else:
        raise ImageError("image_not_image_file")
    if (
        image.dtype != np.uint8
        or image.ndim != 3
        or image.shape[2] != 3
        or min(image.shape[:2]) < MIN_SIDE
    ):
        raise ImageError("image_not_image_file")
    return image


def intact_top1(model: LoadedModel, view: np.ndarray) -> tuple[int, float]:
    """(class, probability) of the intact network's top-1 for the model's `view` of a frame
    (`model.preprocessing.model_view`), as `analyze` computes them (softmax in float64), from
    one forward without a graph or hooks under the model's lock: the live view's switched frames
    need no more of the intact network."""
    x = model.to_input(view)
    with model.lock, torch.inference_mode():
        logits = forward_with_modes(model.module, x)
    probabilities = class_probabilities(logits)
    top = int(probabilities.argmax())
    return top, float(probabilities[top])


def live_allowed(model: LoadedModel, any_model: bool) -> bool:
    """Whether the live view may run `model`: the embedded models always, others with the
    server's `--live-any-model` flag."""
    return any_model or model.name in EMBEDDED_MODELS


class LiveHandlers:
    """The live panel's handlers.

    Args:
        get_model: the session's model (`Engine.model`).
        slots: the app's live slots (shared by every session).
        any_model: allow models other than the embedded ones (`--live-any-model`).
    """

    def __init__(
        self,
        get_model: Callable[[Session], LoadedModel],
        slots: LiveSlots | None = None,
        any_model: bool = False,
    ) -> None:
        self.get_model = get_model
        self.slots = slots if slots is not None else LiveSlots()
        self.any_model = any_model

    @user_errors
    def on_frame(
        self,
        frame: Any,
        session: Session,
        lang: Any,
        opacity: Any = None,
        request: gr.Request | None = None,
    ) -> Frame:
        """One frame of a stream, drawn at the page's `opacity` slider (the session's opacity
        when it is missing or not a number in [0, 1]: the slider alone stores no setting).

        Returns:
            (predictions, overlay, switched line, message): a frame that cannot be used (busy,
            model not allowed, unreadable frame) returns only the message and computes nothing.
        """
        lang = normalize_lang(lang)
        key = str(getattr(request, "session_hash", None) or id(session))
        if not self.slots.acquire(key):
            return None, None, "", t("live_busy", lang)
        model = self.get_model(session)
        if not live_allowed(model, self.any_model):
            return None, None, "", t("live_model_refused", lang, model=model.name)
        try:
            image = frame_image(frame)
        except ImageError:
            return gr.skip(), gr.skip(), gr.skip(), t("live_bad_frame", lang)
        try:
            alpha = parse_opacity(opacity)
        except AnalysisError:
            alpha = session.settings.opacity
        return self.analyse(model, image, session, lang, alpha)

    def analyse(
        self,
        model: LoadedModel,
        image: np.ndarray,
        session: Session,
        lang: str,
        opacity: float | None = None,
    ) -> Frame:
        """Predictions, overlay and the switched line of one decoded frame."""
        s = session.settings
        alpha = s.opacity if opacity is None else opacity
        names = class_names(model, lang)
        line = ""
        if not s.switched:
            current = _analyze(model, image, s.cam_layer, s.top_k)
        else:
            view = model.preprocessing.model_view(image)
            before, p_before = intact_top1(model, view)
            # A model that resizes to its crop size (the embedded ones) sees its view unchanged
            # (`model_view` is then idempotent): analyse the view and resize the frame once.
            pre = model.preprocessing
            source = view if pre.resize_size == pre.crop_size else image
            current = _analyze(model, source, s.cam_layer, s.top_k, s.switched, before)
            line = switched_line(names, before, p_before, current, lang)
        picture = overlay(current.image, current.cam, alpha=alpha, cmap=s.palette)
        return prediction_bars(current, names), picture, line, ""


def _analyze(
    model: LoadedModel,
    image: np.ndarray,
    cam_layer: str,
    top_k: int,
    switches: dict[str, str] | None = None,
    target: int | None = None,
) -> Analysis:
    """What one frame needs: predictions and Grad-CAM (one channel per block, no stage maps)."""
    return analyze(
        model,
        image,
        switches=switches,
        target=target,
        cam_layer=cam_layer,
        top_k=top_k,
        n_channels=1,
        all_stages=False,
    )
