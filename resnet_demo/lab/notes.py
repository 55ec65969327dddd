"""Teaching notes for the lab's panels, in English and 简体中文, with their sources.

Every claim here is either a finding of a cited paper or a plain description of what this app
computes; each note lists its sources. Each note comes in two lengths: the full note beside a
panel, and the essentials for presenter mode (large type on a projector).

Where a note states something this app measures, it says so, and a test checks it: the claims
register `resnet_demo/text/claims.toml` lists every factual sentence with its source (paper and
section, or the test that measures it), and tests/test_claims.py keeps it honest.
"""

from __future__ import annotations

from dataclasses import dataclass

from resnet_demo.lab.lesion_verdict import LESION_NOTES, lesion_words
from resnet_demo.lab.race_record import FIG1, FIG6, figure_words, recorded_words
from resnet_demo.text import LANGS, t

REFERENCES: dict[str, str] = {
    "he2016": (
        "K. He, X. Zhang, S. Ren, J. Sun. Deep Residual Learning for Image Recognition. "
        "CVPR 2016. arXiv:1512.03385"
    ),
    "veit2016": (
        "A. Veit, M. Wilber, S. Belongie. Residual Networks Behave Like Ensembles of Relatively "
        "Shallow Networks. NeurIPS 2016. arXiv:1605.06431"
    ),
    "li2018": (
        "H. Li, Z. Xu, G. Taylor, C. Studer, T. Goldstein. Visualizing the Loss Landscape of "
        "Neural Nets. NeurIPS 2018. arXiv:1712.09913"
    ),
    "balduzzi2017": (
        "D. Balduzzi, M. Frean, L. Leary, J.P. Lewis, K. W.-D. Ma, B. McWilliams. The Shattered "
        "Gradients Problem: If resnets are the answer, then what is the question? ICML 2017. "
        "arXiv:1702.08591"
    ),
    "selvaraju2017": (
        "R. R. Selvaraju, M. Cogswell, A. Das, R. Vedantam, D. Parikh, D. Batra. Grad-CAM: "
        "Visual Explanations from Deep Networks via Gradient-based Localization. ICCV 2017. "
        "arXiv:1610.02391"
    ),
    "yang2019": (
        "G. Yang, J. Pennington, V. Rao, J. Sohl-Dickstein, S. S. Schoenholz. A Mean Field "
        "Theory of Batch Normalization. ICLR 2019. arXiv:1902.08129"
    ),
    "chollet2017": (
        "F. Chollet. Xception: Deep Learning with Depthwise Separable Convolutions. CVPR 2017. "
        "arXiv:1610.02357"
    ),
    "howard2017": (
        "A. G. Howard et al. MobileNets: Efficient Convolutional Neural Networks for Mobile "
        "Vision Applications. arXiv:1704.04861, 2017"
    ),
    "he2016b": (
        "K. He, X. Zhang, S. Ren, J. Sun. Identity Mappings in Deep Residual Networks. ECCV 2016. "
        "arXiv:1603.05027"
    ),
    "huang2016": (
        "G. Huang, Y. Sun, Z. Liu, D. Sedra, K. Q. Weinberger. Deep Networks with Stochastic "
        "Depth. ECCV 2016. arXiv:1603.09382"
    ),
    "adebayo2018": (
        "J. Adebayo, J. Gilmer, M. Muelly, I. Goodfellow, M. Hardt, B. Kim. Sanity Checks for "
        "Saliency Maps. NeurIPS 2018. arXiv:1810.03292"
    ),
    "goyal2017": (
        "P. Goyal, P. Dollár, R. Girshick, P. Noordhuis, L. Wesolowski, A. Kyrola, A. Tulloch, "
        "Y. Jia, K. He. Accurate, Large Minibatch SGD: Training ImageNet in 1 Hour. "
        "arXiv:1706.02677, 2017"
    ),
    "torchvision": (
        "TorchVision maintainers and contributors. TorchVision: PyTorch's Computer Vision "
        "library, models.resnet and its weights' metadata (ResNet*_Weights). "
        "https://github.com/pytorch/vision, 2016-"
    ),
}
"""Key -> full citation."""


@dataclass(frozen=True)
class Note:
    """One panel's note; its words are in the text catalogue (`note_<key>_title`, `_body`,
    `_essentials`), its sources here.

    Attributes:
        key: note key, e.g. "lesion_sweep".
        sources: keys of `REFERENCES` the note relies on.
        appended: keys of paragraphs (`note_<key>`) added to the end of the full note, e.g. the
            measured figures of a built-in model, shared by two notes. Default: none.
    """

    key: str
    sources: tuple[str, ...]
    appended: tuple[str, ...] = ()

    def title(self, lang: str) -> str:
        """The note's heading in `lang`."""
        return t(f"note_{self.key}_title", lang)

    def body(self, lang: str) -> str:
        """The full note in `lang` (Markdown)."""
        parts = [t(f"note_{self.key}_body", lang, **_fields(self.key, lang, short=False))]
        parts += [t(f"note_{key}", lang) for key in self.appended]
        return "\n\n".join(part.strip("\n") for part in parts)

    def essentials(self, lang: str) -> str:
        """The presenter-mode note in `lang` (Markdown, a few short lines)."""
        return t(f"note_{self.key}_essentials", lang, **_fields(self.key, lang, short=True))


def _fields(key: str, lang: str, short: bool) -> dict[str, str]:
    """Measured numbers a note quotes: the race note ends with what the recorded race measured
    (`race_record.recorded_words`), and its presenter lines carry the recording's verdict on
    each figure (`{fig1}`, `{fig6}`); the essentials of the lesion and paths notes carry what
    embedded-deep's card measured (`lesion_verdict.lesion_words`); other notes have no fields."""
    if key == "race":
        return {
            "recorded": recorded_words(lang, short=short),
            "fig1": figure_words(FIG1, lang),
            "fig6": figure_words(FIG6, lang),
        }
    if key in LESION_NOTES and short:  # the lab's embedded-deep, measured (lesion_verdict)
        return {"measured": lesion_words(key, lang)}
    return {}


def verdicts(key: str, lang: str) -> tuple[str, ...]:
    """The measured verdicts on the shipped models that note `key` states beside an effect the
    papers report, in `lang`: the race's verdict on each figure (stated in its full note too) and
    embedded-deep's measured lesion figures. Its presenter lines carry every one of them, so the
    projected view is never weaker than the note (tests/test_lab_notes.py)."""
    if key == "race":
        return (figure_words(FIG1, lang), figure_words(FIG6, lang))
    if key in LESION_NOTES:
        return (lesion_words(key, lang),)
    return ()


NOTES: dict[str, Note] = {
    "block": Note("block", ("he2016", "torchvision")),
    "lesion_sweep": Note("lesion_sweep", ("veit2016", "huang2016", "he2016"), ("lesion_measured",)),
    "lesion_curves": Note(
        "lesion_curves", ("veit2016", "huang2016", "he2016"), ("lesion_measured",)
    ),
    "robustness": Note("robustness", ("huang2016", "veit2016")),
    "gradient_flow": Note(
        "gradient_flow",
        ("he2016", "he2016b", "veit2016", "yang2019", "balduzzi2017", "li2018"),
    ),
    "race": Note("race", ("he2016", "yang2019", "goyal2017")),
    "sanity": Note("sanity", ("adebayo2018", "selvaraju2017"), ("sanity_measured",)),
    "preact": Note("preact", ("he2016b", "he2016", "torchvision", "veit2016")),
    "batchnorm": Note("batchnorm", ("he2016", "yang2019", "goyal2017", "torchvision")),
    "projection": Note("projection", ("he2016", "torchvision")),
    "paths": Note("paths", ("veit2016", "huang2016")),
    "torchvision": Note("torchvision", ("torchvision", "he2016")),
    "gradcam": Note("gradcam", ("selvaraju2017", "adebayo2018")),
    "misconceptions": Note(
        "misconceptions",
        (
            "he2016",
            "chollet2017",
            "howard2017",
            "torchvision",
            "he2016b",
            "veit2016",
            "yang2019",
            "balduzzi2017",
            "li2018",
            "selvaraju2017",
        ),
    ),
}
"""Note key -> note: the experiment panels' notes first, then those of the "About ResNets" tab."""

ABOUT: tuple[str, ...] = (
    "block",
    "preact",
    "batchnorm",
    "projection",
    "paths",
    "torchvision",
    "gradcam",
    "misconceptions",
)
"""The notes of the "About ResNets" tab, in reading order (the others sit beside their panels)."""


def check_lang(lang: str) -> str:
    """Return `lang` if it is "en" or "zh", else raise ValueError."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; choose one of: {', '.join(LANGS)}")
    return lang


def note_markdown(key: str, lang: str = "en", presenter: bool = False) -> str:
    """The note of one panel as Markdown: heading, text and its sources.

    Args:
        key: one of `NOTES` ("block", "lesion_sweep", "lesion_curves", "gradient_flow",
            "race", "sanity", "preact", "batchnorm", "projection", "paths", "torchvision",
            "gradcam", "misconceptions").
        lang: "en" or "zh". Default: "en".
        presenter: the essentials only, for a projector. Default: False.

    Returns:
        Markdown text. The full note ends with the full citations; the presenter note names
        its sources briefly.

    Raises:
        ValueError: unknown key or language.
    """
    if key not in NOTES:
        raise ValueError(f"unknown note {key!r}; choose one of: {', '.join(NOTES)}")
    note = NOTES[key]
    check_lang(lang)
    if presenter:
        return f"### {note.title(lang)}\n\n{note.essentials(lang)}"
    sources = "\n".join(f"- {REFERENCES[s]}" for s in note.sources)
    heading = t("note_sources", lang)
    return f"### {note.title(lang)}\n\n{note.body(lang)}\n\n**{heading}**\n\n{sources}"
