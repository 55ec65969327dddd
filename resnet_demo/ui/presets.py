"""Switch presets: the lesions a lesson usually starts from."""

from __future__ import annotations

from torch import nn

from resnet_demo.switches import INTACT, NO_RESIDUAL, NO_SKIP, STAGES, SwitchError, block_names

PRESETS: tuple[str, ...] = ("all-intact", "all-no-skip", "stage-no-skip", "stage-no-residual")
"""all-intact: the trained network · all-no-skip: every shortcut removed (a plain network with
the same weights) · stage-no-skip: one stage's shortcuts removed · stage-no-residual: one stage's
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
    if preset == "all-no-skip":
        return dict.fromkeys(names, NO_SKIP)
    if preset in ("stage-no-skip", "stage-no-residual"):
        if stage not in STAGES:
            raise SwitchError("preset_unknown_stage", stage=repr(stage), choices=", ".join(STAGES))
        mode = NO_SKIP if preset == "stage-no-skip" else NO_RESIDUAL
        return {n: mode if n.startswith(f"{stage}.") else INTACT for n in names}
    raise SwitchError("preset_unknown", preset=repr(preset), choices=", ".join(PRESETS))
