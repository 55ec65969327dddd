"""What a model is known to achieve, in words: for the picker, the status line and the CLI.

Every number is read at run time: ImageNet accuracy from torchvision's weights metadata
(`registry.torchvision_accuracy`), an embedded model's test accuracy from its model card
(`registry.card_accuracy`). Nothing here copies a figure.
"""

from __future__ import annotations

from resnet_demo.models.registry import (
    card_accuracy,
    parse_model_name,
    torchvision_accuracy,
    uses_bottleneck,
)
from resnet_demo.text import t

__all__ = ["accuracy_label", "model_facts"]


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
