"""What an unusable weights file holds, named for the user: the loaders' one message per file.

    describe_file(path, error)      # torch.load refused it: a pickled model, a zip, text...
    describe_checkpoint(path, state)  # a mapping, but not names → tensors (a checkpoint...)
    describe_state(state)           # a state_dict: which architecture it is
    matching_architecture(state)    # "resnet50", "embedded" or ""

Nothing here words anything: the errors carry catalogue keys (`weights_*`) and `describe_state`
returns a `Term` (`found_*`) that the message is worded with, in the reader's language.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn
from torchvision.models import get_model

from resnet_demo.models.embedded import EMBEDDED_FILES, asset_paths, build_from_card, read_card
from resnet_demo.models.errors import WeightsError
from resnet_demo.models.registry import architectures
from resnet_demo.text import Term

__all__ = [
    "describe_checkpoint",
    "describe_file",
    "describe_state",
    "fits",
    "matching_architecture",
    "same_shapes",
]


def describe_file(path: Path, error: Exception) -> WeightsError:
    """The one error for a file `torch.load(weights_only=True)` refused: what it holds."""
    with path.open("rb") as file:
        head = file.read(4096)
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
        if any(n.endswith("data.pkl") for n in names):
            found = _pickled_class(str(error))
            if found:
                return WeightsError("weights_pickled_model", path=str(path), found=found)
            return WeightsError("weights_not_plain", path=str(path), error=type(error).__name__)
        return WeightsError(
            "weights_zip", path=str(path), n=len(names), names=", ".join(names[:3]) or "-"
        )
    if head[:1] == b"\x80":  # a pickle stream (legacy torch.save or pickle.dump)
        found = _pickled_class(str(error))
        if found:
            return WeightsError("weights_pickled_model", path=str(path), found=found)
        return WeightsError("weights_not_plain", path=str(path), error=type(error).__name__)
    try:
        sample = head.decode("utf-8")
    except UnicodeDecodeError:
        sample = ""
    if sample.strip() and all(c.isprintable() or c in "\r\n\t" for c in sample):
        start = sample.strip().splitlines()[0][:40]
        return WeightsError("weights_text", path=str(path), start=repr(start))
    return WeightsError("weights_not_plain", path=str(path), error=type(error).__name__)


def _pickled_class(message: str) -> str:
    """The class a refused pickle wanted to build ("torchvision.models.resnet.ResNet"), from
    torch's "Unsupported global: GLOBAL x.y.Z" message; "" when it names none."""
    match = re.search(r"GLOBAL ([\w.]+)", message)
    return match.group(1) if match else ""


def describe_checkpoint(path: Path, state: Mapping[object, object]) -> WeightsError:
    """The error for a mapping that is not names → tensors (a training checkpoint...)."""
    keys = [str(k) for k in list(state)[:4]]
    inner = [k for k, v in state.items() if isinstance(v, Mapping)]
    if inner:
        return WeightsError(
            "weights_checkpoint", path=str(path), keys=", ".join(keys), inner=str(inner[0])
        )
    return WeightsError("weights_not_mapping", path=str(path))


def describe_state(state: Mapping[str, torch.Tensor]) -> Term:
    """What architecture a state_dict holds, as the `{found}` of a `weights_*` error.

    Returns:
        `Term("found_architecture")` with `arch`, `block`, `fc_in`, `fc_out` ("resnet50
        (Bottleneck blocks, fc 2048→10)"); `Term("found_other_resnet")` with `layers` too, for
        a ResNet that matches no architecture here; `Term("found_not_resnet")` with its first
        `keys` for anything else.
    """
    if not {"fc.weight", "conv1.weight", "layer1.0.conv1.weight"} <= set(state):
        return Term("found_not_resnet", keys=", ".join(list(state)[:3]) or "-")
    block = "Bottleneck" if "layer1.0.conv3.weight" in state else "BasicBlock"
    fc_out, fc_in = (int(n) for n in state["fc.weight"].shape)
    arch = matching_architecture(state)
    if arch:
        return Term("found_architecture", arch=arch, block=block, fc_in=fc_in, fc_out=fc_out)
    layers = [
        len({k.split(".")[1] for k in state if k.startswith(f"layer{i}.")}) for i in range(1, 5)
    ]
    return Term("found_other_resnet", layers=str(layers), block=block, fc_in=fc_in, fc_out=fc_out)


def matching_architecture(state: Mapping[str, torch.Tensor]) -> str:
    """The architecture (torchvision's or an embedded one) whose keys and shapes equal the
    state's for its number of classes, or ""."""
    if "fc.weight" not in state or state["fc.weight"].ndim != 2:
        return ""
    classes = int(state["fc.weight"].shape[0])
    for arch in architectures():
        with torch.device("meta"):
            net = get_model(arch, weights=None, num_classes=classes)
        if fits(net, state):
            return arch
    if classes >= 2:
        for arch in EMBEDDED_FILES:
            card = read_card(asset_paths(arch)[1])
            with torch.device("meta"):
                net = build_from_card({**card, "classes": ["?"] * classes})
            if fits(net, state):
                return arch
    return ""


def fits(module: nn.Module, state: Mapping[str, torch.Tensor]) -> bool:
    """Whether `state` has exactly `module`'s keys, each of its shape."""
    return same_shapes(module.state_dict(), state)


def same_shapes(expected: Mapping[str, torch.Tensor], state: Mapping[str, torch.Tensor]) -> bool:
    """Whether `state` has exactly the keys of `expected`, each of the same shape."""
    return set(expected) == set(state) and all(
        tuple(state[k].shape) == tuple(v.shape) for k, v in expected.items()
    )
