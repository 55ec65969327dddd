"""Per-request block modes: switch skip connections or residual branches off, block by block.

A torchvision residual block computes y = relu(F(x) + shortcut(x)), where F is the residual
branch (conv-bn-relu-conv-bn, or the three-conv bottleneck) and shortcut is the identity or, in
the first block of a stage, a 1x1 projection ("downsample"). He et al. 2016, eq. (1)-(2).

Modes of one block:
    intact       y = relu(F(x) + shortcut(x))   torchvision's own computation, bit for bit
    skip-off     y = relu(F(x))                 the shortcut (projection included) is gone
    branch-off   y = relu(shortcut(x))          the block-deletion lesion of Veit et al. 2016

The old names `no-skip` and `no-residual` are still accepted (`MODE_ALIASES`): "no residual"
read as "no residual connection", i.e. the skip, the opposite of what it did.

`SwitchedResNet` is a thin per-request view of a shared torchvision `ResNet`: it reuses the
model's modules (no parameter is copied or changed) and wraps each block in a `SwitchedBlock`
that carries the mode. Hooks (Captum's included) are registered on these per-request wrappers,
never on the shared model, so concurrent requests with different switches cannot see each other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models.resnet import BasicBlock, Bottleneck, ResNet

from resnet_demo.errors import DemoError

INTACT = "intact"
SKIP_OFF = "skip-off"
BRANCH_OFF = "branch-off"
MODES: tuple[str, ...] = (INTACT, SKIP_OFF, BRANCH_OFF)
MODE_ALIASES: dict[str, str] = {"no-skip": SKIP_OFF, "no-residual": BRANCH_OFF}
"""Names of the first release, accepted everywhere a mode is read (CLI, API, JSON)."""
STAGES: tuple[str, ...] = ("layer1", "layer2", "layer3", "layer4")


class SwitchError(DemoError):
    """An unknown block, an unknown mode, or a value of the wrong type in a mode map.

    Raised with a key of the catalogue's `[errors_engine]` table (`switch_*`); `str(e)` is the
    English message, which names the valid choices.
    """


def block_names(model: nn.Module) -> list[str]:
    """Names of every residual block in forward order, e.g. ["layer1.0", ..., "layer4.1"].

    Args:
        model: a torchvision ResNet (BasicBlock or Bottleneck).
    """
    return [f"{stage}.{index}" for stage in STAGES for index in range(len(getattr(model, stage)))]


def validate_modes(model: nn.Module, modes: Mapping[str, str] | None) -> dict[str, str]:
    """Check a mode map and complete it with `intact` for every block not named.

    Args:
        model: the torchvision ResNet the modes are for.
        modes: block name -> mode; None or empty means every block intact. A stage name
            ("layer3") sets every block of that stage.

    Returns:
        A new dict with one entry per block, in forward order.

    Raises:
        SwitchError: with a message that names the bad key or value and the valid choices.
    """
    names = block_names(model)
    full = dict.fromkeys(names, INTACT)
    if modes is None:
        return full
    if not isinstance(modes, Mapping):
        raise SwitchError("switch_not_mapping", kind=type(modes).__name__)
    for key, mode in modes.items():
        if not isinstance(key, str) or not isinstance(mode, str):
            raise SwitchError("switch_not_strings", block=repr(key), mode=repr(mode))
        mode = MODE_ALIASES.get(mode, mode)
        if mode not in MODES:
            raise SwitchError(
                "switch_unknown_mode", mode=repr(mode), block=key, choices=", ".join(MODES)
            )
        if key in STAGES:
            for name in names:
                if name.startswith(key + "."):
                    full[name] = mode
        elif key in full:
            full[key] = mode
        else:
            raise SwitchError(
                "switch_unknown_block", block=repr(key), first=names[0], last=names[-1]
            )
    return full


def parse_switch_args(items: Sequence[str] | None) -> dict[str, str]:
    """Parse CLI arguments of the form `BLOCK=MODE` ("layer3.1=skip-off").

    Raises:
        SwitchError: for an item without exactly one "=".
    """
    modes: dict[str, str] = {}
    for item in items or []:
        block, sep, mode = item.partition("=")
        if not sep or not block or not mode or "=" in mode:
            raise SwitchError("switch_bad_argument", item=repr(item))
        modes[block.strip()] = mode.strip()
    return modes


@dataclass(frozen=True)
class BranchNorms:
    """Sizes of the two paths of one block for each image of a batch.

    Attributes:
        residual: ‖F(x)‖ (Frobenius norm over C, H, W), float per image; 0 when removed.
        shortcut: ‖shortcut(x)‖, float per image; 0 when the skip is off.
    """

    residual: tuple[float, ...]
    shortcut: tuple[float, ...]


def residual_branch(
    block: BasicBlock | Bottleneck, x: torch.Tensor, relu: nn.Module | None = None
) -> torch.Tensor:
    """F(x): the block's convolutions up to, not including, the addition.

    Same operations in the same order as torchvision's `BasicBlock.forward` /
    `Bottleneck.forward`, so the sum below is bit-identical to theirs. `relu` replaces the
    block's own (shared) `nn.ReLU` module: `SwitchedBlock` passes its per-request one, so that
    methods which hook ReLU modules (guided backprop) never hook the shared model.
    """
    relu = block.relu if relu is None else relu
    out = relu(block.bn1(block.conv1(x)))
    if isinstance(block, Bottleneck):
        out = relu(block.bn2(block.conv2(out)))
        return block.bn3(block.conv3(out))
    return block.bn2(block.conv2(out))


def shortcut(block: BasicBlock | Bottleneck, x: torch.Tensor) -> torch.Tensor:
    """shortcut(x): the identity, or the 1x1 projection + BN of a downsampling block."""
    return x if block.downsample is None else block.downsample(x)


def _per_image_norm(t: torch.Tensor) -> tuple[float, ...]:
    return tuple(float(v) for v in t.detach().flatten(1).norm(dim=1))


class SwitchedBlock(nn.Module):
    """One residual block of a shared model, run in a given mode.

    Args:
        block: torchvision `BasicBlock` or `Bottleneck` (shared; never changed).
        mode: "intact", "skip-off" or "branch-off".
        name: the block's torchvision name, e.g. "layer3.1".
        record_norms: measure ‖F(x)‖ and ‖shortcut(x)‖ of every forward pass into `norms`
            (one `float` per image; costs two reductions). Default: False.

    Attributes:
        block, mode, name, record_norms: as given.
        relu: this view's own in-place `nn.ReLU`, used wherever torchvision uses `block.relu`
            (and for the block's output in every mode), so per-request ReLU hooks (guided
            backprop) stay off the shared block.
        norms: the sizes measured in the last forward pass, or None (none yet, or not recorded).
    """

    def __init__(self, block: nn.Module, mode: str, name: str, record_norms: bool = False) -> None:
        super().__init__()
        if not isinstance(block, BasicBlock | Bottleneck):
            raise SwitchError("switch_not_block", name=name, kind=type(block).__name__)
        self.block: BasicBlock | Bottleneck = block
        self.mode = mode
        self.name = name
        self.record_norms = bool(record_norms)
        self.relu = nn.ReLU(inplace=True)
        self.norms: BranchNorms | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """y = relu(F(x) + shortcut(x)) with the parts the mode removes left out."""
        if self.mode == INTACT:
            residual = residual_branch(self.block, x, self.relu)
            identity = shortcut(self.block, x)
            self._record(residual, identity)
            residual += identity  # in place, as torchvision does: no new map to allocate
            return self.relu(residual)
        if self.mode == SKIP_OFF:
            residual = residual_branch(self.block, x, self.relu)
            self._record(residual, None)
            return self.relu(residual)
        identity = shortcut(self.block, x)
        self._record(None, identity)
        # An identity shortcut returns x itself: never ReLU the block's input in place.
        return self.relu(identity if self.block.downsample is not None else identity.clone())

    def _record(self, residual: torch.Tensor | None, identity: torch.Tensor | None) -> None:
        if not self.record_norms:
            return
        present = residual if residual is not None else identity
        assert present is not None, "every mode keeps one of the two paths"
        zeros = (0.0,) * present.shape[0]
        self.norms = BranchNorms(
            residual=_per_image_norm(residual) if residual is not None else zeros,
            shortcut=_per_image_norm(identity) if identity is not None else zeros,
        )


def max_pool(pool: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """`pool(x)`, computed in channels-last memory when `x` is a plain channels-first tensor.

    The same numbers bit for bit (a maximum involves no rounding), in the same memory format as
    `pool(x)` would give, but about five times faster on the CPU: PyTorch's channels-first
    `max_pool2d` is a slow path (3.7 ms against 0.7 ms with the two copies for the stem's
    64x112x112 map at 2 threads), and it was a tenth of a ResNet-18 forward pass.
    """
    if x.dim() != 4 or not x.is_contiguous() or x.is_contiguous(memory_format=torch.channels_last):
        return pool(x)
    return pool(x.contiguous(memory_format=torch.channels_last)).contiguous()


class _Stem(nn.Module):
    """conv1 -> bn1 -> relu -> maxpool of the shared model (with this view's own `relu`)."""

    def __init__(self, model: ResNet) -> None:
        super().__init__()
        self.model = model
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        m = self.model
        return max_pool(m.maxpool, self.relu(m.bn1(m.conv1(x))))


class _Head(nn.Module):
    """avgpool -> flatten -> fc of the shared model: the logits (of every class, or of one)."""

    def __init__(self, model: ResNet) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor, target: int | None = None) -> torch.Tensor:
        features = torch.flatten(self.model.avgpool(x), 1)
        fc = self.model.fc
        if target is None:
            return fc(features)
        rows = slice(target, target + 1)
        return F.linear(features, fc.weight[rows], None if fc.bias is None else fc.bias[rows])


class SwitchedResNet(nn.Module):
    """A per-request view of a torchvision ResNet whose blocks run in the given modes.

    Build one per request (cheap: no parameter is copied) and drop it afterwards. Do not call
    `.train()`/`.eval()` on it: that would recurse into the shared model.

    Args:
        model: a torchvision `ResNet` in eval mode.
        modes: block -> mode map (see `validate_modes`). Default: every block intact.
        record_norms: every block records ‖F(x)‖ and ‖shortcut(x)‖ of each forward pass (its
            `norms`); only the analysis needs them. Default: False.

    Attributes:
        stem: per-request wrapper of conv1..maxpool.
        blocks: block name -> `SwitchedBlock`, forward order.
        head: per-request wrapper of avgpool..fc.
        modes: the complete, validated mode map.
        record_norms: as given.
    """

    def __init__(
        self,
        model: nn.Module,
        modes: Mapping[str, str] | None = None,
        record_norms: bool = False,
    ) -> None:
        super().__init__()
        if not isinstance(model, ResNet):
            raise SwitchError("switch_not_resnet", kind=type(model).__name__)
        self.modes = validate_modes(model, modes)
        self.record_norms = bool(record_norms)
        self.stem = _Stem(model)
        switched = [
            SwitchedBlock(model.get_submodule(name), mode, name, record_norms)
            for name, mode in self.modes.items()
        ]
        self._blocks = nn.ModuleList(switched)
        self.blocks: dict[str, SwitchedBlock] = {b.name: b for b in switched}
        self.head = _Head(model)

    @property
    def model(self) -> ResNet:
        """The shared torchvision ResNet this view runs (never changed by it)."""
        return self.stem.model

    def relus(self) -> list[nn.ReLU]:
        """This view's own ReLU modules (stem, then every block): every ReLU of its forward pass.

        Methods that replace ReLU gradients (guided backprop) hook these, never the shared ones.
        """
        return [self.stem.relu, *(block.relu for block in self.blocks.values())]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (N, num_classes) for a normalised batch (N, 3, H, W)."""
        x = self.stem(x)
        for block in self._blocks:
            x = block(x)
        return self.head(x)

    def block_inputs(
        self, x: torch.Tensor, through: str | None = None
    ) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        """Run the stem, then the blocks up to `through`, keeping each block's input.

        Args:
            x: normalised batch, float32 (N, 3, H, W).
            through: the last block to run, e.g. "layer3.1". Default: every block.

        Returns:
            (inputs, output): block name -> its input (N, C_b, h_b, w_b), forward order, for
            every block run; and the output of the last block run (N, C, h, w). The head is not
            run: `self.head(output)` gives the logits.

        Raises:
            SwitchError: `through` is not a block of the model.
        """
        if through is not None:
            self._index(through)
        inputs: dict[str, torch.Tensor] = {}
        h = self.stem(x)
        for name, block in self.blocks.items():
            inputs[name] = h
            h = block(h)
            if name == through:
                break
        return inputs, h

    def forward_from(
        self, name: str, activation: torch.Tensor, target: int | None = None
    ) -> torch.Tensor:
        """Logits computed from the output of block `name` onwards (the network's "tail").

        Args:
            name: a block name, e.g. "layer3.1".
            activation: that block's output (N, C, h, w).
            target: a class index to compute only that class's logit, (N, 1). Grad-CAM needs no
                more: the other rows of fc take no part in its gradient (for a ResNet-50 they are
                8 MB that the forward and backward pass would each read). Default: every class.

        Raises:
            SwitchError: `name` is not a block of the model.
        """
        return self._run(self._index(name) + 1, activation, target)

    def run_from(self, name: str, block_input: torch.Tensor) -> torch.Tensor:
        """Logits (N, num_classes) computed from the input of block `name` (that block included).

        Args:
            name: a block name, e.g. "layer2.0".
            block_input: that block's input (N, C, h, w), e.g. from `block_inputs`.

        Raises:
            SwitchError: `name` is not a block of the model.
        """
        return self._run(self._index(name), block_input, None)

    def _index(self, name: str) -> int:
        names = list(self.blocks)
        if name not in self.blocks:
            raise SwitchError(
                "switch_unknown_block", block=repr(name), first=names[0], last=names[-1]
            )
        return names.index(name)

    def _run(self, start: int, x: torch.Tensor, target: int | None) -> torch.Tensor:
        for block in self._blocks[start:]:
            x = block(x)
        return self.head(x, target)


def forward_with_modes(
    model: nn.Module, x: torch.Tensor, modes: Mapping[str, str] | None = None
) -> torch.Tensor:
    """Logits of `model` on `x` with the given block modes, touching nothing shared.

    Args:
        model: torchvision ResNet in eval mode.
        x: normalised input (N, 3, H, W) float32.
        modes: block -> mode map. Default: all intact (bit-identical to `model(x)`).

    Returns:
        Logits (N, num_classes).
    """
    return SwitchedResNet(model, modes)(x)


def resolve_layer(model: nn.Module, layer: object) -> str:
    """Map a stage ("layer3") to its last block ("layer3.1"); check a block name.

    Raises:
        SwitchError: for anything that is neither a stage nor a block of the model.
    """
    if not isinstance(layer, str):
        raise SwitchError("switch_layer_not_string", value=repr(layer))
    names = block_names(model)
    if layer in STAGES:
        return [n for n in names if n.startswith(layer + ".")][-1]
    if layer in names:
        return layer
    raise SwitchError("switch_unknown_layer", layer=repr(layer), example=names[-1])


IDENTITY = "identity"
PROJECTION = "projection"
DOWNSAMPLING = "downsampling"
SHORTCUT_KINDS: tuple[str, ...] = (IDENTITY, PROJECTION, DOWNSAMPLING)
"""What a block's shortcut does: the identity; a stride-1 1×1 projection (the width changes,
the resolution does not: ResNet-50/101/152 `layer1.0`, 64→256 channels); or a stride-2 block
that halves the resolution (its shortcut is a 1×1 stride-2 projection, He et al.'s option B, or
the zero-padded subsampling of option A in the lab's CIFAR nets)."""


def _strided(stride: object) -> bool:
    if isinstance(stride, tuple | list):
        return any(int(s) != 1 for s in stride)
    return isinstance(stride, int) and stride != 1


def shortcut_kind(block: nn.Module) -> str:
    """`DOWNSAMPLING`, `PROJECTION` or `IDENTITY` (see `SHORTCUT_KINDS`).

    A block downsamples when its stride is not 1 (torchvision's `BasicBlock` and `Bottleneck`
    keep it as `block.stride`; torchvision builds `downsample` when `stride != 1 or inplanes !=
    planes * expansion`, resnet.py `_make_layer`), so `downsample is not None` alone does not
    mean downsampling.

    Args:
        block: a residual block (torchvision `BasicBlock` / `Bottleneck`).
    """
    downsample = getattr(block, "downsample", None)
    strided = _strided(getattr(block, "stride", 1))
    if downsample is not None and not strided:
        # A shortcut module of its own with a stride (e.g. a 1×1 stride-2 conv) still downsamples.
        strided = any(_strided(getattr(m, "stride", 1)) for m in downsample.modules())
    if strided:
        return DOWNSAMPLING
    return IDENTITY if downsample is None else PROJECTION


def shortcut_kinds(model: nn.Module) -> dict[str, str]:
    """block name -> `shortcut_kind`, every block in forward order."""
    return {name: shortcut_kind(model.get_submodule(name)) for name in block_names(model)}
