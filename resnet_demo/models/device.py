"""Where the networks run: the CPU, or a GPU when torch sees one.

One decision per process: the front ends resolve `--device` once (`resolve_device`) before
loading anything and hand it to `use_device`; `loading.load_model` then moves every network it
loads there. Everything that feeds a network asks the network (`LoadedModel.device`,
`LoadedModel.to_input`), never this module, so a model already loaded keeps working wherever it
lives. Drawing stays on the CPU: maps come back with `.cpu()` before they are rendered.
"""

from __future__ import annotations

import argparse
import sys

import torch

from resnet_demo.errors import DemoError
from resnet_demo.text import t

__all__ = [
    "AUTO",
    "DEVICES",
    "DeviceError",
    "chosen_device",
    "device_flag",
    "device_from_flag",
    "resolve_device",
    "use_device",
]

AUTO = "auto"
DEVICES = (AUTO, "cpu", "cuda", "mps")
"""The values of `--device`: `auto` picks CUDA, else MPS, else the CPU."""

_chosen = torch.device("cpu")


class DeviceError(DemoError):
    """`--device` names a device torch does not see on this machine."""


def _available(kind: str) -> bool:
    if kind == "cuda":
        return torch.cuda.is_available()
    if kind == "mps":
        return torch.backends.mps.is_available()
    return kind == "cpu"


def resolve_device(name: str = AUTO) -> torch.device:
    """The device `name` stands for here, checked before anything is loaded.

    Args:
        name: one of `DEVICES`.

    Returns:
        `cuda` or `mps` for `auto` when torch sees one (CUDA first), else `cpu`; other names as
        themselves.

    Raises:
        DeviceError: "device_unavailable" for `cuda` or `mps` without one, "device_unknown"
            for a name outside `DEVICES`.
    """
    if name == AUTO:
        return torch.device(next((k for k in ("cuda", "mps") if _available(k)), "cpu"))
    if name not in DEVICES:
        raise DeviceError("device_unknown", device=name, choices=", ".join(DEVICES))
    if not _available(name):
        raise DeviceError("device_unavailable", device=name)
    return torch.device(name)


def use_device(device: torch.device) -> None:
    """Load every later network onto `device` (`loading.load_model`'s default)."""
    global _chosen
    _chosen = device


def chosen_device() -> torch.device:
    """The device `use_device` chose; the CPU until it is called."""
    return _chosen


def device_flag(parser: argparse.ArgumentParser, lang: str) -> None:
    """`--device auto|cpu|cuda|mps` (the app's and the CLI's), default `auto`."""
    parser.add_argument(
        "--device", default=AUTO, choices=DEVICES, help=t("server_device_help", lang)
    )


def device_from_flag(name: str, lang: str) -> torch.device:
    """`resolve_device(name)`, or the reason in one line on stderr and exit status 2 (a bad
    command line), before anything is loaded."""
    try:
        return resolve_device(name)
    except DeviceError as exc:
        print(t("cli_error", lang, message=exc.words(lang)), file=sys.stderr)
        raise SystemExit(2) from None
