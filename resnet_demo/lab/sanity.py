"""Sanity checks for heat maps (Adebayo et al. 2018): do the maps depend on the weights?

The *cascading model-parameter randomisation* of Adebayo et al. 2018 (§3, Fig. 2): re-initialise
a trained network's weights from the top down, one block at a time — here `fc`, then the last
residual block, …, the first block, and last the stem (`conv1` + `bn1`) — and after each step
compute every method's map of the same image and class again. A map that hardly changes while
the learned weights are destroyed cannot be explaining what the network learned.

- **On a copy.** The run deep-copies the torchvision module into a new `LoadedModel` with its
  own lock; the shared model is only read (under its lock, while it is copied).
- **Re-initialisation.** Every module of a randomised part with a `reset_parameters` method gets
  it, under a seeded generator (seed + step): convolutions and `fc` their PyTorch default
  (Kaiming-uniform weights), BatchNorm its default too — weight 1, bias 0, running mean 0,
  running variance 1 — since Adebayo et al. re-initialise every weight of a block, and a
  BatchNorm's running statistics are weights learned from the training data.
- **Similarity to the trained map** (as Adebayo et al. measure it): Spearman rank correlation
  of the absolute values, Spearman rank correlation of the signed values (the same number for
  methods whose map is never negative), and SSIM (Wang et al. 2004, 11×11 Gaussian window,
  sigma 1.5) of the absolute values, whose range is [0, 1]. A map that is zero everywhere has no
  ranking: its correlations are NaN (None in JSON), and `zero` marks it.
- **Bounded.** One map per method and step, at the model's input resolution; a model with more
  than `MAX_BLOCK_STEPS` blocks is randomised one *stage* at a time instead (fc, layer4, …,
  layer1, stem).

This module calls `analysis.attribution_map` on the copies; it sets no hook itself.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from resnet_demo.analysis import attribution_map
from resnet_demo.analysis.methods import METHODS, check_method
from resnet_demo.cache import image_digest
from resnet_demo.errors import InvalidValue, check_int
from resnet_demo.lab.lesions import check_image
from resnet_demo.models import LoadedModel
from resnet_demo.progress import Progress, report
from resnet_demo.switches import STAGES, block_names, resolve_layer

__all__ = [
    "DEFAULT_METHODS",
    "SanityCheck",
    "cascade_steps",
    "randomise",
    "ranks",
    "sanity_check",
    "spearman",
    "ssim",
]

DEFAULT_METHODS: tuple[str, ...] = (
    "gradcam",
    "saliency",
    "guided-gradcam",
    "integrated-gradients",
    "grad-x-act",
)
"""The methods a sanity check runs unless asked for others: the two that pass and the one that
fails in Adebayo et al. 2018, and two more of the app's methods."""
TRAINED = "trained"
"""Name of step 0: nothing randomised."""
STEM = "conv1+bn1"
"""Name of the last step: the stem's convolution and BatchNorm."""
MAX_BLOCK_STEPS = 12
"""A model with more blocks than this is randomised one stage at a time."""
SSIM_WINDOW, SSIM_SIGMA = 11, 1.5
"""SSIM's Gaussian window: 11×11 pixels, standard deviation 1.5 (Wang et al. 2004, §III-C)."""


def cascade_steps(
    module: nn.Module, max_block_steps: int = MAX_BLOCK_STEPS
) -> list[tuple[str, ...]]:
    """The parts re-initialised at each step, top down (steps are cumulative).

    Args:
        module: a torchvision-style ResNet (fc, layer1…layer4, conv1, bn1).
        max_block_steps: more blocks than this: one step per stage. Default: 12.

    Returns:
        One tuple of module names per step: ("fc",), ("layer4.1",), …, ("layer1.0",),
        ("conv1", "bn1") — or ("layer4",) … ("layer1",) per stage.
    """
    blocks = block_names(module)
    if len(blocks) > max_block_steps:
        middle = [
            (stage,) for stage in reversed(STAGES) if any(b.startswith(stage + ".") for b in blocks)
        ]
    else:
        middle = [(name,) for name in reversed(blocks)]
    return [("fc",), *middle, ("conv1", "bn1")]


def step_name(parts: Sequence[str]) -> str:
    """ "fc", "layer4.1", "layer4" or "conv1+bn1"."""
    return "+".join(parts)


def randomise(module: nn.Module, parts: Sequence[str], seed: int) -> list[str]:
    """Re-initialise every parameter and buffer of `parts` of `module`, in place.

    Each submodule with a `reset_parameters` method (convolutions, Linear, BatchNorm) gets its
    PyTorch default initialisation; BatchNorm's `reset_parameters` also resets its running
    statistics (mean 0, variance 1). Seeded: the same seed gives the same weights.

    Args:
        module: the network to change (a copy: never the shared model).
        parts: names of submodules, e.g. ("layer4.1",) or ("conv1", "bn1").
        seed: seed of the generator.

    Returns:
        The names of the submodules re-initialised, e.g. ["layer4.1.conv1", "layer4.1.bn1", …].
    """
    done = []
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(seed)
        for part in parts:
            root = module.get_submodule(part)
            for name, sub in root.named_modules():
                reset = getattr(sub, "reset_parameters", None)
                if callable(reset):
                    reset()
                    done.append(f"{part}.{name}" if name else part)
    return done


def ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 0 … n-1 of a 1-D array, ties sharing their mean rank (float64)."""
    order = np.argsort(values, kind="stable")
    _, first, counts = np.unique(values[order], return_index=True, return_counts=True)
    ranked = np.empty(len(values), dtype=np.float64)
    ranked[order] = np.repeat(first + (counts - 1) / 2.0, counts)
    return ranked


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation of two maps' values (ties get their mean rank); NaN when
    either map is constant (no ranking)."""
    x, y = np.asarray(a, np.float64).ravel(), np.asarray(b, np.float64).ravel()
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return math.nan
    return float(np.corrcoef(ranks(x), ranks(y))[0, 1])


def _gaussian_window(size: int, sigma: float) -> torch.Tensor:
    g = torch.exp(
        -((torch.arange(size, dtype=torch.float64) - (size - 1) / 2) ** 2) / (2 * sigma**2)
    )
    g = g / g.sum()
    return (g[:, None] * g[None, :])[None, None]


def ssim(a: np.ndarray, b: np.ndarray, data_range: float = 1.0) -> float:
    """Structural similarity of two maps (Wang et al. 2004): the mean of the SSIM index over
    every position where the 11×11 Gaussian window (sigma 1.5) fits, C1 = (0.01 L)^2,
    C2 = (0.03 L)^2 with L = `data_range`. 1 for equal maps.

    Args:
        a, b: real (H, W) arrays of one shape, H and W >= 11.
        data_range: L, the span of possible values. Default: 1 (maps in [0, 1]).
    """
    x = torch.as_tensor(np.asarray(a, np.float64))[None, None]
    y = torch.as_tensor(np.asarray(b, np.float64))[None, None]
    w = _gaussian_window(SSIM_WINDOW, SSIM_SIGMA)
    mx, my = F.conv2d(x, w), F.conv2d(y, w)
    vx = F.conv2d(x * x, w) - mx**2
    vy = F.conv2d(y * y, w) - my**2
    cxy = F.conv2d(x * y, w) - mx * my
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    index = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx**2 + my**2 + c1) * (vx + vy + c2))
    return float(index.mean())


def _floats(values: np.ndarray) -> list[float | None]:
    return [float(v) if math.isfinite(v) else None for v in values]


@dataclass(frozen=True)
class SanityCheck:
    """Every method's map after each step of the cascading randomisation, and its similarity to
    the trained network's map.

    Attributes:
        model_name, weights_source: the trained model.
        image_digest: SHA-1 of the input image.
        view: RGB uint8 (S, S, 3), what the network saw.
        target: the class explained at every step (the trained network's top-1 unless given).
        target_label: its name.
        cam_layer: the block the layer methods explain (e.g. "layer4.1").
        seed: seed of the re-initialisation (step k uses seed + k).
        steps: "trained", then each step's name ("fc", "layer4.1", …, "conv1+bn1").
        randomised: per step, the submodules re-initialised by that step (step 0: none).
        methods: method names, in the order asked.
        maps: method -> float32 (n_steps, S, S), each map in [0, 1] ([-1, 1] if signed).
        spearman_abs: method -> float64 (n_steps,): Spearman of |map| with the trained |map|.
        spearman: method -> float64 (n_steps,): Spearman of the signed maps.
        ssim: method -> float64 (n_steps,): SSIM of |map| with the trained |map|.
        zero: method -> bool (n_steps,): the map was (almost) zero everywhere.
    """

    model_name: str
    weights_source: str
    image_digest: str
    view: np.ndarray
    target: int
    target_label: str
    cam_layer: str
    seed: int
    steps: tuple[str, ...]
    randomised: tuple[tuple[str, ...], ...]
    methods: tuple[str, ...]
    maps: dict[str, np.ndarray]
    spearman_abs: dict[str, np.ndarray]
    spearman: dict[str, np.ndarray]
    ssim: dict[str, np.ndarray]
    zero: dict[str, np.ndarray]

    def signed(self, method: str) -> bool:
        """Whether `method`'s map keeps its sign."""
        return METHODS[method].signed

    def final(self, method: str, measure: str = "spearman_abs") -> float:
        """`measure` ("spearman_abs", "spearman" or "ssim") of `method` after the last step."""
        return float(getattr(self, measure)[method][-1])

    def to_json(self) -> dict[str, Any]:
        """JSON-ready numbers (no maps; NaN as None)."""
        return {
            "model": self.model_name,
            "weights_source": self.weights_source,
            "image_sha1": self.image_digest,
            "input_size": list(self.view.shape[:2]),
            "target": {"index": self.target, "label": self.target_label},
            "cam_layer": self.cam_layer,
            "seed": self.seed,
            "steps": list(self.steps),
            "randomised": [list(r) for r in self.randomised],
            "methods": {
                m: {
                    "signed": self.signed(m),
                    "spearman_abs": _floats(self.spearman_abs[m]),
                    "spearman": _floats(self.spearman[m]),
                    "ssim": _floats(self.ssim[m]),
                    "zero_map": [bool(z) for z in self.zero[m]],
                }
                for m in self.methods
            },
        }


def check_methods(methods: object) -> tuple[str, ...]:
    """Method names, each known, without repeats, at least one.

    Raises:
        MethodError: an unknown method (key `method_unknown`).
        InvalidValue: no method (key `sanity_no_method`).
    """
    if isinstance(methods, str):
        methods = [methods]
    if not isinstance(methods, Sequence) or not methods:
        raise InvalidValue("sanity_no_method")
    return tuple(dict.fromkeys(check_method(m).name for m in methods))


def model_copy(model: LoadedModel) -> LoadedModel:
    """A `LoadedModel` around a deep copy of `model`'s network, with its own lock: what a
    sanity check may change."""
    with model.lock:
        module = copy.deepcopy(model.module)
    module.eval()
    return LoadedModel(
        spec=model.spec,
        module=module,
        categories=model.categories,
        preprocessing=model.preprocessing,
        source=model.source,
        class_names=model.class_names,
    )


def _maps(
    copy_: LoadedModel, image: np.ndarray, target: int, methods: Sequence[str], cam_layer: str
) -> list[tuple[np.ndarray, bool]]:
    return [attribution_map(copy_, image, target, m, cam_layer) for m in methods]


def sanity_check(
    model: LoadedModel,
    image: np.ndarray,
    methods: Sequence[str] = DEFAULT_METHODS,
    target: int | None = None,
    cam_layer: str = "layer4",
    seed: int = 0,
    max_steps: int | None = None,
    progress: Progress | None = None,
) -> SanityCheck:
    """Cascading randomisation of a copy of `model`, top down, with every method's map after
    each step (see the module docstring).

    Args:
        model: the trained network (only read: a copy is randomised).
        image: RGB uint8 (H, W, 3), any size. Not modified.
        methods: names from `analysis.METHOD_NAMES`. Default: `DEFAULT_METHODS`.
        target: class to explain at every step. Default: the trained network's top-1.
        cam_layer: stage or block of the layer methods. Default: "layer4" (its last block).
        seed: seed of the re-initialisation. Default: 0.
        max_steps: stop after this many randomisation steps (None: down to the stem).
        progress: optional callback: key `progress_sanity_step` (fields step, done, total),
            then `progress_done`.

    Returns:
        A frozen `SanityCheck`.

    Raises:
        MethodError: an unknown method.
        InvalidValue: no method, or an image that is not RGB uint8.
        AnalysisError / SwitchError: a bad target or layer.
    """
    image = check_image(image)
    methods = check_methods(methods)
    seed = check_int(seed, "seed", 0)
    work = model_copy(model)
    view = model.preprocessing.model_view(image)
    if target is None:
        with torch.inference_mode():
            logits = work.module(work.to_input(view))
        target = int(logits[0].argmax())
    layer = resolve_layer(work.module, cam_layer)
    plan = cascade_steps(work.module)
    if max_steps is not None:
        plan = plan[: check_int(max_steps, "max_steps", 1, len(plan))]
    total = len(plan) + 1
    report(progress, 0.0, "progress_sanity_step", step=TRAINED, done=0, total=total)
    columns = [_maps(work, image, target, methods, layer)]
    randomised: list[tuple[str, ...]] = [()]
    for k, parts in enumerate(plan, start=1):
        report(
            progress, k / total, "progress_sanity_step", step=step_name(parts), done=k, total=total
        )
        randomised.append(tuple(randomise(work.module, parts, seed + k)))
        columns.append(_maps(work, image, target, methods, layer))
    report(progress, 1.0, "progress_done")
    return _result(model, image, view, target, layer, seed, plan, randomised, methods, columns)


def _result(
    model: LoadedModel,
    image: np.ndarray,
    view: np.ndarray,
    target: int,
    layer: str,
    seed: int,
    plan: Sequence[tuple[str, ...]],
    randomised: Sequence[tuple[str, ...]],
    methods: Sequence[str],
    columns: Sequence[Sequence[tuple[np.ndarray, bool]]],
) -> SanityCheck:
    maps, zero, rho_abs, rho, sim = {}, {}, {}, {}, {}
    for i, m in enumerate(methods):
        stack = np.stack([col[i][0] for col in columns]).astype(np.float32)
        maps[m] = stack
        zero[m] = np.array([col[i][1] for col in columns], dtype=bool)
        first = stack[0]
        rho_abs[m] = np.array([spearman(np.abs(first), np.abs(s)) for s in stack])
        rho[m] = np.array([spearman(first, s) for s in stack])
        sim[m] = np.array([ssim(np.abs(first), np.abs(s)) for s in stack])
    return SanityCheck(
        model_name=model.name,
        weights_source=model.source,
        image_digest=image_digest(image),
        view=view,
        target=target,
        target_label=model.categories[target],
        cam_layer=layer,
        seed=seed,
        steps=(TRAINED, *(step_name(p) for p in plan)),
        randomised=tuple(randomised),
        methods=tuple(methods),
        maps=maps,
        spearman_abs=rho_abs,
        spearman=rho,
        ssim=sim,
        zero=zero,
    )
