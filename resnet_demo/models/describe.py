"""What a model is known to achieve, in words: for the picker, the status line and the CLI.

Every number is read at run time: ImageNet accuracy from torchvision's weights metadata
(`registry.torchvision_accuracy`), an embedded model's test accuracy from its model card
(`registry.card_accuracy`). Nothing here copies a figure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from resnet_demo.models.loading import offline_copy, weights_status
from resnet_demo.models.registry import (
    card_accuracy,
    parse_model_name,
    torchvision_accuracy,
    uses_bottleneck,
)
from resnet_demo.shapes import CLASS_NAMES
from resnet_demo.text import t

__all__ = [
    "CLI",
    "PAGE",
    "PHOTO_MODEL",
    "accuracy_label",
    "knows_only_shapes",
    "model_facts",
    "shapes_notice",
]

PHOTO_MODEL = "resnet18"
"""The ImageNet model the shapes notice suggests for photos: torchvision's smallest ResNet (its
default weights, 44.7 MB by `weights.meta["_file_size"]`)."""

PAGE, CLI = "page", "cli"
"""The front ends `shapes_notice` words its advice for: the page's model list, or `--model`."""


def accuracy_label(name: str, lang: str = "en") -> str:
    """A short accuracy for the picker: "ImageNet top-1 80.858 %", "99.25 % on 2000 shapes",
    or "" when nothing is known (an embedded model whose card states no accuracy, a teacher's
    own model "own:ARCH")."""
    if name.startswith("own:"):
        return ""
    spec = parse_model_name(name)
    if spec.is_embedded:
        card = card_accuracy(spec.name)
        if card is None:
            return ""
        return t("model_acc_card_short", lang, acc=100 * card.accuracy, n=card.n_images)
    for w in torchvision_accuracy(spec.arch):
        if w.version == spec.version:
            return t("model_acc_short", lang, top1=w.top1)
    return ""


def model_facts(name: str, lang: str = "en") -> list[str]:
    """Markdown lines: the accuracy of every weights version of the model's architecture (the
    one `name` picks marked), or its card's test accuracy; for Bottleneck architectures, that
    torchvision builds "ResNet V1.5". Nothing for a teacher's own model ("own:ARCH")."""
    if name.startswith("own:"):
        return []
    spec = parse_model_name(name)
    if spec.is_embedded:
        card = card_accuracy(spec.name)
        if card is None:
            return []
        return [t("model_acc_card", lang, acc=100 * card.accuracy, n=card.n_images)]
    versions = []
    for w in torchvision_accuracy(spec.arch):
        key = "model_acc_version_this" if w.version == spec.version else "model_acc_version"
        entry = t(key, lang, version=w.version, top1=w.top1, top5=w.top5)
        if w.recipe:
            entry += " " + t("model_acc_recipe", lang, url=w.recipe)
        versions.append(entry)
    lines = [t("model_acc_imagenet", lang, versions=" · ".join(versions))]
    if len(versions) > 1:
        lines.append(t("model_acc_recipes_differ", lang))
    if uses_bottleneck(spec.arch):
        lines.append(t("model_v15", lang))
    return lines


def knows_only_shapes(categories: Sequence[str]) -> bool:
    """True for a model whose classes are exactly the synthetic shapes (`shapes.CLASS_NAMES`):
    the embedded models, whose cards list those classes, with any weights (also random or a
    file), and a teacher's own model trained on them. Such a model gives every picture, a
    photo too, one of those labels."""
    return tuple(categories) == CLASS_NAMES


def shapes_notice(
    categories: Sequence[str],
    lang: str = "en",
    front: str = PAGE,
    *,
    allow_download: bool = True,
    mark: Callable[[str], str] = str,
) -> list[str]:
    """What the page, the result card and the CLI say beside a shapes model's predictions.

    Shown always for a shapes model (not by a guess at whether the picture is a shape): it
    costs two lines, and the predictions stay as they are.

    Args:
        categories: the model's classes (`LoadedModel.categories`).
        lang: "en" or "zh".
        front: `PAGE` (pick a model in the list) or `CLI` (`--model`).
        allow_download: whether this server may download weights (the page's `--offline`).
        mark: formats the file's URL and path (e.g. as Markdown code on the page).

    Returns:
        [] for a model that knows other classes; else two sentences: the shapes it knows, by
        name, and how to get a model for photos (`PHOTO_MODEL`: on this computer already, a
        download of its size with a progress bar, or the exact file to copy, as the weights
        errors say it, `loading.offline_copy`).
    """
    if not knows_only_shapes(categories):
        return []
    names = [t(f"shape_{name}", lang) for name in CLASS_NAMES]
    known = t("shapes_only", lang, n=len(names), shapes=t("shapes_list_sep", lang).join(names))
    spec = parse_model_name(PHOTO_MODEL)
    if weights_status(spec.name) == "on_disk":
        key = "shapes_photo_on_disk"
    elif allow_download or front == CLI:
        key = "shapes_photo_download"
    else:
        key = "shapes_photo_offline"
    copy = {field: mark(value) for field, value in offline_copy(spec).items()}
    size = float(spec.weights.meta["_file_size"])
    prefix = "cli_" if front == CLI else ""
    return [known, t(prefix + key, lang, model=spec.name, size=size, **copy)]
