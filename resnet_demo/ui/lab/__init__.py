"""The classroom lab: lesion sweep, lesion curves, robustness, gradient flow, the degradation race
and the sanity checks.

`build_lab_tab(get_model, get_image, state=..., language=...)` builds the lab inside the caller's
current Blocks/Tab context (`layout`), one tab per panel of `resnet_demo.lab.panels.PANELS`. Its
handlers (`handlers`) run the experiments of `resnet_demo.lab`, draw them with `lab.charts` and
`lab.cards`, word them in the page's language (`views`, the catalogue `resnet_demo.text`)
and write downloads through `ui.export`.
"""

from resnet_demo.ui.lab.components import LabView
from resnet_demo.ui.lab.handlers import MAIN_IMAGE, SHAPE_IMAGE, LabHandlers
from resnet_demo.ui.lab.layout import LAB_CSS, build_lab_tab

__all__ = [
    "LAB_CSS",
    "MAIN_IMAGE",
    "SHAPE_IMAGE",
    "LabHandlers",
    "LabView",
    "build_lab_tab",
]
