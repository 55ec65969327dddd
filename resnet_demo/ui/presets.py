"""Switch presets: the lesions a lesson usually starts from."""

from __future__ import annotations

from torch import nn

from resnet_demo.switches import BRANCH_OFF, INTACT, SKIP_OFF, STAGES, SwitchError, block_names

PRESETS: tuple[str, ...] = ("all-intact", "all-skip-off", "stage-skip-off", "stage-branch-off")
"""all-intact: the trained network · all-skip-off: every shortcut removed (a plain network with
the same weights) · stage-skip-off: one stage's shortcuts removed · stage-branch-off: one stage's
residual branches removed, i.e. its blocks deleted (Veit et al. 2016)."""


def preset_modes(model: nn.Module, preset: str, stage: str | None = None) -> dict[str, str]:
    """The complete block -> mode map of a preset.

    Args:
        model: the torchvision ResNet.
        preset: one of `PRESETS`.
        stage: "layer1".."layer4", required by the two stage presets.

    Returns:
        block -> mode for every block, forward order.

    Raises:
        SwitchError: unknown preset or stage.
    """
    names = block_names(model)
    if preset == "all-intact":
        return dict.fromkeys(names, INTACT)
    if preset == "all-skip-off":
        return dict.fromkeys(names, SKIP_OFF)
    if preset in ("stage-skip-off", "stage-branch-off"):
        if stage not in STAGES:
            raise SwitchError("preset_unknown_stage", stage=repr(stage), choices=", ".join(STAGES))
        mode = SKIP_OFF if preset == "stage-skip-off" else BRANCH_OFF
        return {n: mode if n.startswith(f"{stage}.") else INTACT for n in names}
    raise SwitchError("preset_unknown", preset=repr(preset), choices=", ".join(PRESETS))
