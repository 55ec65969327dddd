"""The teacher's own model: a torchvision ResNet state_dict with any number of classes.

    load_own_model("resnet18", "mine.pt", "labels.txt")             # fc must have len(labels)
    load_own_model("embedded", "out/finetune/head3.pt", "labels.txt")

The contract (docs/design.md, "Model loading"):

- weights are a plain state_dict read with `torch.load(weights_only=True)` (no code runs, no
  network); anything else (a whole pickled model, another zip, a text file, a training checkpoint)
  is refused with one message that names what the file holds (`diagnose.describe_file`);
- the file must be the architecture named by `--model` with `fc` outputs = number of labels; a
  file of another architecture is named ("this file looks like a resnet50 (Bottleneck blocks,
  fc 2048→10), not resnet18": `diagnose.describe_state`);
- labels: a UTF-8 .txt file (one name a line) or a JSON list of strings (`read_labels`); Chinese
  names optional, same count;
- preprocessing: ImageNet's (resize 256, crop 224, ImageNet mean/std) for torchvision
  architectures, the card's for an embedded one, each overridable (`override_preprocessing`).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import torch
from torch import nn
from torchvision.models import get_model

from resnet_demo.errors import InvalidValue, check_int, check_number
from resnet_demo.models.device import chosen_device
from resnet_demo.models.diagnose import describe_state, fits, same_shapes
from resnet_demo.models.embedded import asset_paths, build_from_card, read_card
from resnet_demo.models.errors import LabelsError, WeightsError
from resnet_demo.models.loading import RANDOM, LoadedModel, load_model, read_state_dict
from resnet_demo.models.preprocessing import Preprocessing
from resnet_demo.models.registry import ModelSpec, parse_model_name
from resnet_demo.text import LANGUAGES, t

OWN_PREFIX = "own:"
"""Name of a teacher's model: `own:<arch>`, e.g. "own:resnet18" (never a registry name)."""

MAX_LABELS_BYTES = 1_000_000
"""A labels file larger than this is refused (ImageNet-21k's names fit in 400 kB)."""
MAX_LABELS = 100_000
"""At most this many classes."""
MAX_LABEL_CHARS = 200
"""At most this many characters in one class name."""
INPUT_SIZE_RANGE = (16, 1024)
"""Allowed `--input-size` (side of the square crop, pixels)."""

IMAGENET_PREPROCESSING = Preprocessing(256, 224, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
"""torchvision's ImageNet preprocessing (resize 256, centre crop 224, ImageNet mean/std)."""


def is_own_name(name: object) -> bool:
    """True for the name of a teacher's model ("own:resnet18")."""
    return isinstance(name, str) and name.startswith(OWN_PREFIX)


# ---- labels ------------------------------------------------------------------------------


def read_labels(path: str | os.PathLike) -> tuple[str, ...]:
    """Class names from a .txt file (one a line) or a JSON list of strings.

    Blank lines at the end of a .txt file are ignored. A blank line elsewhere, an empty file
    or one name, a duplicate name (ignoring case, as `--target NAME` does: it would be
    ambiguous), a file that is not UTF-8, JSON that is not a list of strings, a name over
    `MAX_LABEL_CHARS` characters and a file over `MAX_LABELS_BYTES` each give one message.

    Raises:
        LabelsError: with the key that names the problem.
    """
    path = Path(path)
    if not path.is_file():
        raise LabelsError("labels_not_found", path=str(path))
    size = path.stat().st_size
    if size > MAX_LABELS_BYTES:
        raise LabelsError("labels_too_large", path=str(path), size=size, limit=MAX_LABELS_BYTES)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LabelsError("labels_not_utf8", path=str(path), offset=exc.start) from exc
    if path.suffix.lower() == ".json" or text.lstrip().startswith("["):
        names = _json_labels(path, text)
    else:
        lines = text.splitlines()
        while lines and not lines[-1].strip():
            lines.pop()
        for number, line in enumerate(lines, 1):
            if not line.strip():
                raise LabelsError("labels_blank_line", path=str(path), line=number)
        names = [line.strip() for line in lines]
    if len(names) < 2:
        raise LabelsError("labels_too_few", path=str(path), n=len(names))
    if len(names) > MAX_LABELS:
        raise LabelsError("labels_too_many", path=str(path), n=len(names), limit=MAX_LABELS)
    seen: dict[str, int] = {}  # case-folded: `--target NAME` ignores case
    for number, name in enumerate(names, 1):
        if len(name) > MAX_LABEL_CHARS:
            raise LabelsError(
                "labels_name_too_long", path=str(path), line=number, limit=MAX_LABEL_CHARS
            )
        key = name.casefold()
        if key in seen:
            raise LabelsError(
                "labels_duplicate", path=str(path), name=name, first=seen[key], line=number
            )
        seen[key] = number
    return tuple(names)


_JSON_KINDS = {dict: "object", str: "string", int: "number", float: "number", bool: "boolean"}
_JSON_KINDS[type(None)] = "null"


def _json_labels(path: Path, text: str) -> list[str]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LabelsError("labels_json_bad", path=str(path), line=exc.lineno) from exc
    if not isinstance(data, list):
        kind = _JSON_KINDS.get(type(data), type(data).__name__)
        raise LabelsError("labels_json_not_list", path=str(path), kind=kind)
    for number, item in enumerate(data, 1):
        if not isinstance(item, str) or not item.strip():
            raise LabelsError(
                "labels_json_not_string", path=str(path), line=number, value=repr(item)[:40]
            )
    return [item.strip() for item in data]


# ---- preprocessing -----------------------------------------------------------------------


def override_preprocessing(
    base: Preprocessing,
    input_size: int | None = None,
    mean: Sequence[float] | None = None,
    std: Sequence[float] | None = None,
) -> Preprocessing:
    """`base` with the given values replaced.

    `input_size` is the side of the centre crop; the resize keeps `base`'s ratio (ImageNet:
    256/224, so 448 → resize 512), rounded.

    Raises:
        InvalidValue: input size outside 16..1024, not three means/stds, a std <= 0.
    """
    out = base
    if input_size is not None:
        size = check_int(input_size, "--input-size", *INPUT_SIZE_RANGE)
        resize = round(size * base.resize_size / base.crop_size)
        out = replace(out, crop_size=size, resize_size=max(size, resize))
    if mean is not None:
        out = replace(out, mean=_three(mean, "--mean", None))
    if std is not None:
        out = replace(out, std=_three(std, "--std", 1e-6))
    return out


def _three(values: Sequence[float], name: str, low: float | None) -> tuple[float, float, float]:
    if len(values) != 3:
        raise InvalidValue("own_need_three", name=name, n=len(values))
    r, g, b = (check_number(v, name, low, 1e6 if low else None) for v in values)
    if low is None:
        r, g, b = (check_number(v, name, -10.0, 10.0) for v in (r, g, b))
    return r, g, b


# ---- loading ------------------------------------------------------------------------------


def load_own_model(
    name: str,
    weights: str | os.PathLike,
    labels: str | os.PathLike,
    other_labels: Mapping[str, str | os.PathLike] | None = None,
) -> LoadedModel:
    """A teacher's model: architecture `name`, weights `weights`, class names from `labels`.

    Args:
        name: a registry architecture ("resnet18", "resnext50_32x4d", ...) or an embedded
            model ("embedded"), whose body (and card preprocessing) is used.
        weights: a state_dict file whose fc has one output per label.
        labels: .txt (one name a line) or JSON list of class names, in English.
        other_labels: optional names in other languages, language code -> file; same count.

    Returns:
        A LoadedModel named "own:<arch>", source "file:<weights>", ImageNet preprocessing (the
        card's for an embedded architecture).

    Raises:
        WeightsError / LabelsError: one message naming what was found.
    """
    spec = parse_model_name(name)
    names = read_labels(labels)
    translated = {}
    for lang, path in (other_labels or {}).items():
        translated[lang] = read_labels(path)
        if len(translated[lang]) != len(names):
            raise LabelsError(
                "labels_lang_count",
                path=str(path),
                language=LANGUAGES[lang].name,
                n_lang=len(translated[lang]),
                n=len(names),
            )
    state = read_state_dict(weights)
    module, preprocessing = _build(spec, len(names))
    _check_fits(spec, module, state, Path(weights), len(names), str(labels))
    module.load_state_dict(state, strict=True)
    module.eval().to(chosen_device())
    return LoadedModel(
        spec=spec,
        module=module,
        categories=names,
        preprocessing=preprocessing,
        source=f"file:{weights}",
        label=f"{OWN_PREFIX}{spec.arch}",
        class_names=translated,
    )


def labels_by_language(values: str | Sequence[str] | None) -> dict[str, str]:
    """The files of the repeatable `--labels [LANG=]FILE` flag, by language code: a plain FILE
    holds the English names, `zh=FILE` the Chinese ones (any code of `text.LANGUAGES`).

    Raises:
        InvalidValue: an unknown language, or two files for one language.
    """
    from resnet_demo.errors import InvalidValue

    files: dict[str, str] = {}
    for value in [values] if isinstance(values, str) else values or ():
        code, sep, path = value.partition("=")
        if not (sep and _LANG_CODE.fullmatch(code)):
            code, path = "en", value
        elif code not in LANGUAGES:
            raise InvalidValue("own_labels_unknown_lang", code=code, langs=", ".join(LANGUAGES))
        if code in files:
            raise InvalidValue("own_labels_twice", code=code)
        files[code] = path
    return files


_LANG_CODE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]+)*")
"""What the LANG of `--labels LANG=FILE` looks like (a file name may hold "=" too)."""


def _build(spec: ModelSpec, classes: int) -> tuple[nn.Module, Preprocessing]:
    if spec.is_embedded:
        card = read_card(asset_paths(spec.arch)[1])
        module = build_from_card({**card, "classes": ["?"] * classes})
        size = int(card["input_size"])
        return module, Preprocessing(size, size, tuple(card["mean"]), tuple(card["std"]))
    return get_model(spec.arch, weights=None, num_classes=classes), IMAGENET_PREPROCESSING


def _check_fits(
    spec: ModelSpec,
    module: nn.Module,
    state: Mapping[str, torch.Tensor],
    path: Path,
    n_labels: int,
    labels: str,
) -> None:
    if fits(module, state):
        return
    body = {k: v for k, v in module.state_dict().items() if not k.startswith("fc.")}
    state_body = {k: v for k, v in state.items() if not k.startswith("fc.")}
    fc = state.get("fc.weight")
    head = module.fc
    assert isinstance(head, nn.Linear), "every registry architecture ends in an nn.Linear fc"
    if (
        same_shapes(body, state_body)
        and fc is not None
        and fc.ndim == 2
        and int(fc.shape[1]) == head.in_features
        and "fc.bias" in state
    ):
        raise LabelsError(
            "labels_count_mismatch",
            path=str(path),
            n_fc=int(fc.shape[0]),
            labels=labels,
            n=n_labels,
        )
    raise WeightsError(
        "weights_wrong_architecture", path=str(path), found=describe_state(state), arch=spec.arch
    )


def load_from_flags(
    model: str,
    weights: str | None = None,
    labels: str | Sequence[str] | None = None,
    input_size: int | None = None,
    mean: Sequence[float] | None = None,
    std: Sequence[float] | None = None,
    *,
    allow_download: bool = True,
) -> LoadedModel:
    """The model the command-line flags name (`--model --weights --labels [LANG=]FILE
    --input-size --mean --std`, shared by the CLI and the app).

    With `--labels` (one value, or the repeated flag's values: `labels_by_language`), the
    teacher's own model (`load_own_model`); without, the registry's
    (`loading.load_model`). Preprocessing flags replace the model's own values.

    Raises:
        DemoError: a flag without the one it needs, bad values, or any loading error.
    """
    files = labels_by_language(labels)
    english = files.pop("en", None)
    if files and english is None:
        raise InvalidValue("own_lang_need_labels", code=next(iter(files)))
    if english is not None and (weights is None or str(weights) == RANDOM):
        raise InvalidValue("own_labels_need_weights")
    # Check the preprocessing values before loading anything (a typo fails fast).
    override_preprocessing(IMAGENET_PREPROCESSING, input_size, mean, std)
    if english is not None:
        assert weights is not None, "checked above: --labels needs --weights"
        loaded = load_own_model(model, weights, english, files)
    else:
        loaded = load_model(model, weights, allow_download=allow_download)
    if input_size is None and mean is None and std is None:
        return loaded
    preprocessing = override_preprocessing(loaded.preprocessing, input_size, mean, std)
    return replace(loaded, preprocessing=preprocessing, lock=threading.Lock())


# ---- the flags ----------------------------------------------------------------------------


def own_model_flags(parser: argparse.ArgumentParser, lang: str) -> None:
    """`--labels [LANG=]FILE --input-size --mean --std` (the CLI's and the app's start flags)."""
    parser.add_argument(
        "--labels", action="append", metavar="[LANG=]FILE", help=t("cli_labels_help", lang)
    )
    parser.add_argument(
        "--input-size", type=int, default=None, metavar="PX", help=t("cli_input_size_help", lang)
    )
    for flag, key in (("--mean", "cli_mean_help"), ("--std", "cli_std_help")):
        parser.add_argument(
            flag, type=float, nargs=3, default=None, metavar=("R", "G", "B"), help=t(key, lang)
        )


def load_flagged_model(args: argparse.Namespace, *, allow_download: bool = True) -> LoadedModel:
    """The model `--model --weights` and `own_model_flags` name (see `load_from_flags`)."""
    own = {k: getattr(args, k, None) for k in ("labels", "input_size", "mean", "std")}
    return load_from_flags(args.model, args.weights, **own, allow_download=allow_download)
