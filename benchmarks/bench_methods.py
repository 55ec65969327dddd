"""Attribution methods: faithfulness on the embedded model and speed on ResNet-18.

Faithfulness, on the embedded model over N fresh labelled shapes (test seeds, never trained on),
explaining each shape's labelled class:
    pointing  share of maps whose maximum lies inside the shape's box (Zhang et al. 2018 §5.1),
    del AUC   mean area under the deletion curve (Petsiuk et al. 2018 §4.1; lower is better),
    ins AUC   mean area under the insertion curve (higher is better),
for every method of `methods.METHOD_NAMES` and for pytorch-grad-cam's GradCAM, HiResCAM and
Guided Grad-CAM (its GuidedBackpropReLUModel times its GradCAM, as its README combines them),
run on a copy of the same network.

Speed, on ResNet-18 with random weights at 224×224 (and on the embedded model at 128×128),
batch 1, on the CPU: each method's time for one map (`engine.attribution_map`, from the uint8
image) divided by one bare `torch.inference_mode()` forward of the ready tensor, timed
round-robin (bare, method, bare, method, ...) so machine load hits both alike; each ratio uses
the mean of the bare forwards just before and just after it; medians over the rounds. The
budgets of docs/design.md §7 are checked on the ResNet-18 ratios (PASS / MISS).

    python benchmarks/bench_methods.py [--n 500] [--steps 32] [--repeats 5] [--threads 2]
        [--speed-models resnet18 embedded] [--methods NAME ...]

`--methods` measures only the rows named (default: all); each row's figures do not depend on
the others, so a row measured alone is comparable with a full run's.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np
import torch

from resnet_demo import shapes
from resnet_demo.analysis import methods
from resnet_demo.analysis.engine import attribution_map
from resnet_demo.analysis.faithfulness import (
    box_to_view,
    deletion_insertion,
    pointing_game,
)
from resnet_demo.models import LoadedModel, load_model
from resnet_demo.switches import STAGES

SEED_OFFSET = 7_000_000
"""Shapes of this benchmark: seeds TEST_SEED_START + SEED_OFFSET onwards."""
BUDGETS = {
    methods.GRADCAM: 1.3,
    methods.GRAD_X_ACT: 1.3,
    methods.SALIENCY: 2.5,
    methods.GUIDED_GRADCAM: 3.0,
    methods.INTEGRATED_GRADIENTS: 25.0,
    methods.SMOOTHGRAD: 25.0,
    methods.OCCLUSION: 60.0,
}
"""Budgets (docs/design.md §7): time per map, multiples of one bare forward (ResNet-18, 224 px)."""
THEIRS = ("pgc GradCAM", "pgc HiResCAM", "pgc Guided Grad-CAM")
ROWS = (*methods.METHOD_NAMES, *THEIRS)
"""The table's rows, in order."""


def _time(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _theirs(model: LoadedModel) -> dict[str, Callable[[torch.Tensor, int], np.ndarray]]:
    """pytorch-grad-cam's maps (S, S) of a copy of the model (its hooks and ReLU swaps never
    touch the model that ours run on)."""
    from pytorch_grad_cam import GradCAM, GuidedBackpropReLUModel, HiResCAM
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    net = copy.deepcopy(model.module).eval()
    layer = net.layer4[-1]
    grad_cam = GradCAM(model=net, target_layers=[layer])
    hires = HiResCAM(model=net, target_layers=[layer])
    guided = GuidedBackpropReLUModel(model=net, device="cpu")

    def gc(x: torch.Tensor, target: int) -> np.ndarray:
        return grad_cam(input_tensor=x, targets=[ClassifierOutputTarget(target)])[0]

    def hr(x: torch.Tensor, target: int) -> np.ndarray:
        return hires(input_tensor=x, targets=[ClassifierOutputTarget(target)])[0]

    def ggc(x: torch.Tensor, target: int) -> np.ndarray:
        gb = guided(x, target_category=target)  # (S, S, 3)
        return np.abs(gb * gc(x, target)[..., None]).sum(axis=2)

    return dict(zip(THEIRS, (gc, hr, ggc), strict=True))


def faithfulness(
    n: int, steps: int, rows: tuple[str, ...] = ROWS
) -> dict[str, tuple[float, float, float]]:
    """(pointing-game rate, mean deletion AUC, mean insertion AUC) per method of `rows`."""
    model = load_model("embedded")
    prep = model.preprocessing
    first = shapes.TEST_SEED_START + SEED_OFFSET
    images, labels, boxes, _ = shapes.generate_batch(first, n)
    theirs = {name: fn for name, fn in _theirs(model).items() if name in rows}
    ours = [m for m in methods.METHOD_NAMES if m in rows]
    scores: dict[str, list[tuple[bool, float, float]]] = {name: [] for name in rows}
    start = time.perf_counter()
    for i in range(n):
        image, target = images[i], int(labels[i])
        box = box_to_view(boxes[i], image.shape[0], prep)
        maps = {m: attribution_map(model, image, target, m)[0] for m in ours}
        x = prep.to_tensor(prep.model_view(image))
        maps.update({name: fn(x, target) for name, fn in theirs.items()})
        for name, cam in maps.items():
            curves = deletion_insertion(model, image, target, cam, steps=steps)
            scores[name].append(
                (pointing_game(cam, box), curves.deletion_auc, curves.insertion_auc)
            )
        if (i + 1) % 10 == 0 or i + 1 == n:
            print(f"  {i + 1}/{n} shapes, {time.perf_counter() - start:.0f} s", file=sys.stderr)
    return {
        name: tuple(float(np.mean([row[k] for row in rows])) for k in range(3))
        for name, rows in scores.items()
    }


def speed(arch: str, repeats: int, rows: tuple[str, ...] = ROWS) -> dict[str, float]:
    """Median ratio of each method's time per map to the bare forwards around it."""
    model = load_model(arch, weights="random", seed=0) if arch != "embedded" else load_model()
    prep = model.preprocessing
    size = prep.crop_size  # ResNet-18: 224, the embedded model: 128
    image = np.random.default_rng(0).integers(0, 256, size=(size, size, 3), dtype=np.uint8)
    x = prep.to_tensor(prep.model_view(image))
    with torch.inference_mode():
        target = int(model.module(x).argmax())

    def bare() -> None:
        with torch.inference_mode():
            model.module(x)

    contenders: dict[str, Callable[[], object]] = {
        m: (lambda m=m: attribution_map(model, image, target, m))
        for m in methods.METHOD_NAMES
        if m in rows
    }
    contenders.update(
        {
            name: (lambda fn=fn: fn(prep.to_tensor(prep.model_view(image)), target))
            for name, fn in _theirs(model).items()
            if name in rows
        }
    )
    bare()
    for fn in contenders.values():  # warm-up
        fn()
    ratios: dict[str, list[float]] = {k: [] for k in contenders}
    for _ in range(repeats):
        before = _time(bare)
        for name, fn in contenders.items():
            took = _time(fn)
            after = _time(bare)
            ratios[name].append(took / ((before + after) / 2))
            before = after
    medians = {k: statistics.median(v) for k, v in ratios.items()}
    medians["bare ms"] = 1e3 * statistics.median(_time(bare) for _ in range(5))
    medians.update(_evaluation_costs(model, x, target, bare, repeats))
    return medians


def _evaluation_costs(
    model: LoadedModel, x: torch.Tensor, target: int, bare: Callable[[], None], repeats: int
) -> dict[str, float]:
    """What one evaluation of a many-pass method costs per image, in bare forwards, at the
    batch sizes the engine uses: a batched forward (occlusion's windows) and a batched forward
    with the backward pass to the input (integrated gradients' steps, smoothgrad's samples).
    A method of n evaluations cannot take less than n times that."""
    shapes = []
    hooks = [
        block.register_forward_hook(lambda _m, _i, out: shapes.append(tuple(out.shape[1:])))
        for block in (b for stage in STAGES for b in getattr(model.module, stage))
    ]
    with torch.inference_mode():
        model.module(x)
    for hook in hooks:
        hook.remove()
    per_image = methods.graph_bytes(shapes, x.shape[-1])
    grad_batch = methods.batch_size_for(per_image)
    forward_batch = methods.batch_size_for(per_image // methods.GRAPH_MAPS_PER_BLOCK)

    def forward() -> None:
        with torch.no_grad():
            model.module(x.expand(forward_batch, -1, -1, -1))

    def backward() -> None:
        xs = x.expand(grad_batch, -1, -1, -1).clone().requires_grad_(True)
        torch.autograd.grad(model.module(xs)[:, target].sum(), xs)

    costs: dict[str, float] = {"forward batch": forward_batch, "gradient batch": grad_batch}
    passes = (("forward", forward, forward_batch), ("gradient", backward, grad_batch))
    for name, fn, batch in passes:
        fn()
        ratios = []
        for _ in range(repeats):
            before = _time(bare)
            took = _time(fn)
            ratios.append(took / batch / ((before + _time(bare)) / 2))
        costs[f"{name} per image"] = statistics.median(ratios)
    return costs


def _floors(timed: dict[str, float]) -> dict[str, float]:
    """The least each many-pass method timed can cost at the measured per-evaluation cost: its
    passes (`Method.passes`) times a gradient's or, for a method without gradients, a
    forward's cost per image."""
    floors = {}
    for name, info in methods.METHODS.items():
        if info.batched and name in timed:
            passes = info.passes(methods.default_settings(name, 224))
            each = timed["gradient per image" if info.gradients else "forward per image"]
            floors[name] = passes * each
    return floors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=500, help="shapes for faithfulness (0: none)")
    parser.add_argument("--steps", type=int, default=32, help="deletion/insertion steps")
    parser.add_argument("--repeats", type=int, default=5, help="timing rounds")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--speed-models",
        nargs="*",
        default=["resnet18", "embedded"],
        choices=["resnet18", "embedded"],
        help="models to time (the budgets are checked on resnet18)",
    )
    parser.add_argument(
        "--methods", nargs="+", default=list(ROWS), choices=ROWS, help="rows to measure"
    )
    args = parser.parse_args()
    rows = tuple(name for name in ROWS if name in args.methods)
    torch.set_num_threads(args.threads)
    print(
        f"torch {torch.__version__}, {args.threads} threads; faithfulness: embedded model, "
        f"{args.n} shapes (seeds from {shapes.TEST_SEED_START + SEED_OFFSET}), {args.steps} "
        f"steps; speed: batch 1, {args.repeats} rounds, medians\n"
    )
    faith = faithfulness(args.n, args.steps, rows) if args.n > 0 else {}
    timed = {arch: speed(arch, args.repeats, rows) for arch in args.speed_models}
    columns = {"resnet18": "ResNet-18 224 px", "embedded": "embedded 128 px"}
    head = "".join(f" time / forward, {columns[arch]} |" for arch in timed)
    print(f"| method | pointing game | deletion AUC ↓ | insertion AUC ↑ |{head}")
    print("|---|---:|---:|---:|" + "---:|" * len(timed))
    nan = float("nan")
    for name in rows:
        point, dele, ins = faith.get(name, (nan, nan, nan))
        cells = "".join(f" {ratios[name]:.2f} |" for ratios in timed.values())
        print(f"| {name} | {point:.3f} | {dele:.3f} | {ins:.3f} |{cells}")
    bare = ", ".join(f"{columns[arch]} {r['bare ms']:.1f} ms" for arch, r in timed.items())
    print(f"\nbare forward (median): {bare}")
    if "resnet18" in timed:
        fast = timed["resnet18"]
        print("\nspeed budgets (design §7, ResNet-18 at 224 px, multiples of a bare forward):")
        for name, budget in BUDGETS.items():
            if name not in fast:
                continue
            verdict = "PASS" if fast[name] <= budget else "MISS"
            print(f"  {name:22s} {fast[name]:6.2f} <= {budget:5.1f}  {verdict}")
        print(
            f"\none evaluation per image, ResNet-18, in bare forwards: a forward at batch "
            f"{fast['forward batch']:.0f} {fast['forward per image']:.2f}, a forward and backward "
            f"to the input at batch {fast['gradient batch']:.0f} {fast['gradient per image']:.2f}"
        )
        for name, floor in _floors(fast).items():
            print(f"  {name:22s} needs at least {floor:6.1f} (measured {fast[name]:.1f})")


if __name__ == "__main__":
    main()
