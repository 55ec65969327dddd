"""The classroom lab: the experiments of the residual-network papers, on the teacher's images.

- `lesions`: remove each block's residual branch, or its skip, one at a time (one image).
- `curves`: scores against the number of branches / skips removed (an image set; Veit et al.).
- `gradient_flow`: RMS gradient per element and shattered gradients, plain vs residual
  (Balduzzi et al.).
- `race`: plain-20, plain-56, ResNet-20 and ResNet-56 trained side by side (He et al. Fig. 1 and
  Fig. 6); `race_record` reads the longer, multi-seed recording in assets/race_recorded.json.
- `notes`: teaching notes in English and 简体中文 with their sources.
- `cards`: a PNG-ready card and the numbers for every panel (the CLI calls these).

Never imports gradio; the Gradio tab lives in `resnet_demo.ui.lab`.
"""

from resnet_demo.lab.cards import (
    gradient_flow_card,
    gradient_flow_card_from,
    lesion_curves_card,
    lesion_curves_card_from,
    lesion_sweep_card,
    lesion_sweep_card_from,
    race_card,
    race_card_from,
)
from resnet_demo.lab.cifar_nets import CifarResNet, twin_nets
from resnet_demo.lab.curves import LesionCurves, lesion_curves
from resnet_demo.lab.gradient_flow import GradientFlow, GradientFlowStudy, gradient_flow_study
from resnet_demo.lab.image_sets import IMAGE_SETS, ImageSet, load_image_set
from resnet_demo.lab.lesions import LesionSweep, lesion_sweep
from resnet_demo.lab.notes import NOTES, REFERENCES, note_markdown
from resnet_demo.lab.race import RaceConfig, RaceSnapshot, race_to_end, run_race

__all__ = [
    "IMAGE_SETS",
    "NOTES",
    "REFERENCES",
    "CifarResNet",
    "GradientFlow",
    "GradientFlowStudy",
    "ImageSet",
    "LesionCurves",
    "LesionSweep",
    "RaceConfig",
    "RaceSnapshot",
    "gradient_flow_card",
    "gradient_flow_card_from",
    "gradient_flow_study",
    "lesion_curves",
    "lesion_curves_card",
    "lesion_curves_card_from",
    "lesion_sweep",
    "lesion_sweep_card",
    "lesion_sweep_card_from",
    "load_image_set",
    "note_markdown",
    "race_card",
    "race_card_from",
    "race_to_end",
    "run_race",
    "twin_nets",
]
