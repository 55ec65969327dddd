"""Grad-CAM with Captum's `LayerGradCam`, run on the part of the network after the chosen layer.

Grad-CAM (Selvaraju et al. 2017) weighs each channel k of a layer's output A by the spatial mean
of d y^c / d A^k and sums: L = relu(sum_k alpha_k A^k). Only the network *after* the layer takes
part in that gradient, so we feed the layer's activation (already computed by the one forward
pass that also gives the predictions and block maps) to the network's tail, and let Captum
differentiate only the tail; the tail ends in the target class's own row of fc, the only one its
gradient involves. No parameter gradient is ever computed. The result is the same
number as Captum on the whole network (tests check this against a hand-written hook version).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from captum.attr import LayerGradCam, LayerGradientXActivation
from torch import nn

from resnet_demo.switches import SwitchedResNet


class _Tail(nn.Module):
    """The network from the output of block `name` to the logit of class `target` (N, 1), with a
    hookable entry point."""

    def __init__(self, switched: SwitchedResNet, name: str, target: int) -> None:
        super().__init__()
        self.entry = nn.Identity()
        self.switched = switched
        self.name = name
        self.target = target

    def forward(self, activation: torch.Tensor) -> torch.Tensor:
        return self.switched.forward_from(self.name, self.entry(activation), self.target)


def _tail(switched: SwitchedResNet, name: str, target: int) -> _Tail:
    if switched.record_norms:  # a view costs ~0.5 ms (ResNet-18): only when it is needed
        switched = SwitchedResNet(switched.model, switched.modes)
    return _Tail(switched, name, int(target))


def tail_grad_cam(
    switched: SwitchedResNet,
    name: str,
    activation: torch.Tensor,
    target: int,
    relu: bool = True,
) -> torch.Tensor:
    """Grad-CAM of class `target` at block `name`, from that block's output.

    Args:
        switched: the per-request network (its modes apply to the tail too; it is not changed:
            when it records branch norms, the tail runs on a fresh view with the same modes that
            records none, so the main pass's norms stay as they were).
        name: block whose output is explained, e.g. "layer4.1".
        activation: that block's output, (1, C, h, w) float32; not modified.
        target: class index.
        relu: apply Grad-CAM's ReLU (Selvaraju et al. eq. 2). Default: True.

    Returns:
        float32 tensor (h, w), unscaled: relu(sum_k alpha_k A^k) (>= 0), or without the relu.
    """
    tail = _tail(switched, name, target)
    cam = LayerGradCam(tail, tail.entry).attribute(
        activation.detach().clone(),
        target=0,  # the tail's only logit: class `target`
        relu_attributions=relu,
    )
    return cam.detach()[0, 0]


def tail_grad_cams(
    switched: SwitchedResNet,
    names: Sequence[str],
    activations: Mapping[str, torch.Tensor],
    target: int,
) -> list[torch.Tensor]:
    """Grad-CAM (with its ReLU) of class `target` at several blocks, from one tail pass.

    The tail runs once from the first block's output; Captum returns d y^c / d A at every block
    of `names` from that one backward pass (`LayerGradientXActivation` with
    `multiply_by_inputs=False` is the plain layer gradient), and each map is
    relu(sum_k alpha_k A^k) with alpha_k the spatial mean of the gradient, exactly as
    `LayerGradCam` computes it. One pass instead of one tail per block: the stage row of a
    ResNet-18 cost four tails (three of them through most of the network).

    Args:
        switched: the per-request network (see `tail_grad_cam`).
        names: block names in forward order, e.g. the last block of every stage.
        activations: block name -> that block's output (1, C, h, w) from the main forward pass
            (the tail recomputes the same values; these are not modified).
        target: class index.

    Returns:
        One float32 tensor (h, w) per name, unscaled, >= 0; equal to `tail_grad_cam` at each.
    """
    tail = _tail(switched, names[0], target)
    layers = [tail.entry, *(tail.switched.blocks[name] for name in names[1:])]
    gradients = LayerGradientXActivation(tail, layers, multiply_by_inputs=False).attribute(
        activations[names[0]].detach().clone(), target=0
    )
    cams = []
    for name, gradient in zip(names, gradients, strict=True):
        alpha = gradient.mean(dim=(2, 3), keepdim=True)
        cams.append(torch.relu((alpha * activations[name]).sum(dim=1))[0].detach())
    return cams


def tail_grad_x_act(
    switched: SwitchedResNet, name: str, activation: torch.Tensor, target: int
) -> torch.Tensor:
    """Gradient x activation at block `name`, summed over channels (HiResCAM's map before its
    ReLU, Draelos & Carin 2020): sum_k dy/dA^k * A^k, element by element, from the tail alone.

    Returns:
        float32 tensor (h, w), signed, unscaled.
    """
    tail = _tail(switched, name, target)
    attribution = LayerGradientXActivation(tail, tail.entry).attribute(
        activation.detach().clone(), target=0
    )
    return attribution.detach()[0].sum(dim=0)
