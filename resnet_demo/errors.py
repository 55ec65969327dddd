"""The one base of every error a user (or an API client) can cause, and the checks that raise it.

Engine code names what went wrong and with which values; it never words it. `DemoError(key,
**fields)` carries a key of the text catalogue (`resnet_demo/text/*.toml`, table `[errors]`) and
its fields. `str(error)` is the English sentence (logs, tracebacks, scripts that print it); the
front ends show `error.words(lang)`. Subclasses (ImageError, SwitchError, AnalysisError, …) only
say which part of the input was wrong, so the page can put the right title above the message.
"""

from __future__ import annotations

import numpy as np

from resnet_demo.text import Term, t

__all__ = ["DemoError", "InvalidValue", "Term", "check_int", "check_number", "parse_whole"]


class DemoError(ValueError):
    """A problem with the input, named by a catalogue key.

    Args:
        key: the catalogue key of the message, e.g. "image_empty".
        **fields: the message's `{fields}`; a `Term` is worded in the message's language.

    Attributes:
        key: as given.
        fields: as given.
    """

    def __init__(self, key: str, **fields: object) -> None:
        super().__init__(t(key, "en", **fields))
        self.key = key
        self.fields = fields

    def __reduce__(self) -> tuple[object, ...]:
        # Rebuild from the key and fields, not from the English sentence in `args`.
        return (_rebuild, (type(self), self.key, self.fields))

    def words(self, lang: object) -> str:
        """The message in `lang` ("en" or "zh"; anything else is English)."""
        return t(self.key, lang, **self.fields)


def _rebuild(kind: type[DemoError], key: str, fields: dict[str, object]) -> DemoError:
    return kind(key, **fields)


class InvalidValue(DemoError):
    """A number of the wrong type or out of range (a setting, a size, a count)."""


def check_int(
    value: object,
    name: str | Term,
    low: int | None = None,
    high: int | None = None,
    *,
    error: type[DemoError] = InvalidValue,
) -> int:
    """`value` as a Python int, if it is a whole number (not a bool) within [low, high].

    Args:
        value: anything a caller or client sent.
        name: what the value is, as shown in the message: a `Term` (worded per language) or a
            parameter name such as "tile".
        low: smallest allowed value, or None for no lower bound. Default: None.
        high: largest allowed value, or None for no upper bound. Default: None.
        error: the DemoError subclass to raise. Default: InvalidValue.

    Raises:
        error: not an int / numpy integer (bools are refused), or out of range.
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise error("value_not_whole", name=name, value=repr(value))
    _check_range(int(value), name, low, high, error)
    return int(value)


def parse_whole(
    value: object,
    name: str | Term,
    low: int | None = None,
    high: int | None = None,
    *,
    numerals: bool = False,
    error: type[DemoError] = InvalidValue,
) -> int:
    """A whole number from a form field or an API client, checked like `check_int`.

    Sliders and number boxes send floats (3.0), accepted when whole; with `numerals`, text such
    as "3" too (dropdowns send text). Bools, 2.5, "five", None and lists are refused.

    Raises:
        error: not a whole number, or out of range.
    """
    if numerals and isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if isinstance(value, float | np.floating) and float(value).is_integer():
        value = int(value)
    return check_int(value, name, low, high, error=error)


def check_number(
    value: object,
    name: str | Term,
    low: float | None = None,
    high: float | None = None,
    *,
    error: type[DemoError] = InvalidValue,
) -> float:
    """`value` as a Python float, if it is a real number (not a bool, not NaN) within [low, high].

    Raises:
        error: not an int/float (numpy included), NaN, or out of range.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise error("value_not_number", name=name, value=repr(value))
    number = float(value)
    if number != number:
        raise error("value_not_number", name=name, value="NaN")
    _check_range(number, name, low, high, error)
    return number


def _check_range(
    value: float, name: str | Term, low: float | None, high: float | None, error: type[DemoError]
) -> None:
    if low is not None and high is not None and not low <= value <= high:
        raise error("value_out_of_range", name=name, low=low, high=high, value=value)
    if low is not None and value < low:
        raise error("value_too_small", name=name, low=low, value=value)
    if high is not None and value > high:
        raise error("value_too_large", name=name, high=high, value=value)
