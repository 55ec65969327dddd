"""Every failure a user can cause becomes a short `gr.Error`; nothing else reaches the page.

Handlers (the page's and the lab's) are wrapped with `user_errors`. The engine's own exceptions
(ImageError, SwitchError, AnalysisError, WeightsError, ModelNameError, any other `DemoError`)
name what was wrong; `DemoError`s carry a catalogue key and are worded in the page's language,
under a translated title. Anything else is a bug: it is logged with its traceback on the server
and the user gets a generic "try again" (Gradio also runs with show_error=False).
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import gradio as gr

from resnet_demo.analysis import AnalysisError
from resnet_demo.errors import DemoError
from resnet_demo.imaging import ImageError
from resnet_demo.models import ModelNameError, WeightsError
from resnet_demo.switches import SwitchError
from resnet_demo.text import normalize_lang, t

LOG = logging.getLogger("resnet_demo.ui")

F = TypeVar("F", bound=Callable[..., Any])


class NoImageError(ValueError):
    """A request that needs an analysed image came before any image."""


_TITLES: tuple[tuple[type[Exception], str], ...] = (
    (NoImageError, "err_no_image"),
    (ImageError, "err_image"),
    (WeightsError, "err_model"),
    (ModelNameError, "err_setting"),
    (SwitchError, "err_setting"),
    (AnalysisError, "err_setting"),
    (DemoError, "err_setting"),  # any other value a user sent (a lab setting, an image set)
)

MAX_MESSAGE = 400
"""Longer messages are cut: a toast is not the place for an essay."""


def _with_title(title: str, message: str, lang: str) -> gr.Error:
    # Gradio 6.31's toast heads every error with the word "Error" and drops `title`, so the
    # title also leads the message (API clients see the same sentence).
    if len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE - 1] + "…"
    return gr.Error(
        t("err_titled", lang, title=title, message=message), title=title, print_exception=False
    )


def user_error(exc: Exception, lang: str) -> gr.Error:
    """The `gr.Error` to show for `exc` in `lang`.

    Known engine errors keep their message after a translated title (a `DemoError` worded in
    `lang`); unknown ones get a generic message and are logged with their traceback. Messages
    longer than `MAX_MESSAGE` characters are cut.
    """
    if isinstance(exc, gr.Error):
        return exc
    for kind, title in _TITLES:
        if isinstance(exc, kind):
            message = exc.words(lang) if isinstance(exc, DemoError) else str(exc)
            return _with_title(t(title, lang), message or t("err_failed_msg", lang), lang)
    LOG.exception("unexpected error in a handler", exc_info=exc)
    return _with_title(t("err_failed", lang), t("err_failed_msg", lang), lang)


def user_errors(fn: F) -> F:
    """Wrap a handler so that any exception leaves it as a short `gr.Error`.

    The handler's `lang` argument (if it has one) picks the language of the message. Generator
    handlers (streams) are wrapped too: an error while streaming ends the stream the same way.
    """
    signature = inspect.signature(fn)

    def fail(exc: Exception, args: tuple[Any, ...], kwargs: dict[str, Any]) -> gr.Error:
        try:
            lang = signature.bind_partial(*args, **kwargs).arguments.get("lang")
        except TypeError:
            lang = None
        return user_error(exc, normalize_lang(lang))

    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def stream(*args: Any, **kwargs: Any) -> Iterator[Any]:
            try:
                yield from fn(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - the point: nothing escapes as a traceback
                raise fail(exc, args, kwargs) from None

        return stream  # type: ignore[return-value]  # same signature, as functools.wraps says

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - the point: nothing escapes as a traceback
            raise fail(exc, args, kwargs) from None

    return wrapper  # type: ignore[return-value]  # same signature, as functools.wraps says
