"""Speed of the analysis, as ratios measured in one run (docs/design.md §7).

For ResNet-18 and ResNet-50 at 224×224, batch 1, on the CPU, prints medians of repeated runs of
    bare    one `torch.inference_mode()` forward of the torchvision model,
    full    `analyze` (top-k + Grad-CAM + every block's activations + block stats),
    ours    `grad_cam` alone (Captum LayerGradCam on the tail after the layer),
    theirs  pytorch-grad-cam's `GradCAM` on the same layer and target, handed the ready tensor,
    theirs+ the same, starting like ours from the uint8 image (the same preprocessing call),
and the ratios full/bare (target <= 2.0) and theirs/ours (target >= 3.0). theirs/ours is the
strict figure: ours pays for its preprocessing, theirs does not; theirs+/ours compares equal work.
All are timed round-robin so machine noise hits them alike. Needs `pip install grad-cam`
(benchmark only; `make bench` installs it).

    python benchmarks/bench_analysis.py [--repeats 30] [--threads 2]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch

from resnet_demo.analysis import analyze, grad_cam
from resnet_demo.models import load_model


def _time(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench(arch: str, repeats: int) -> dict[str, float]:
    """Median seconds of each contender for one architecture."""
    from pytorch_grad_cam import GradCAM
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    model = load_model(arch, weights="random", seed=0)
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, size=(224, 224, 3), dtype=np.uint8)
    x = model.preprocessing.to_tensor(model.preprocessing.model_view(image))
    target = int(analyze(model, image).target)
    layer = model.module.layer4[-1]

    def bare() -> None:
        with torch.inference_mode():
            model.module(x)

    def full() -> None:
        analyze(model, image)

    def ours() -> None:
        grad_cam(model, image, target, "layer4")

    their_cam = GradCAM(model=model.module, target_layers=[layer])

    def theirs() -> None:
        their_cam(input_tensor=x, targets=[ClassifierOutputTarget(target)])

    def theirs_from_image() -> None:
        tensor = model.preprocessing.to_tensor(model.preprocessing.model_view(image))
        their_cam(input_tensor=tensor, targets=[ClassifierOutputTarget(target)])

    contenders = {
        "bare": bare,
        "full": full,
        "ours": ours,
        "theirs": theirs,
        "theirs+": theirs_from_image,
    }
    for fn in contenders.values():  # warm-up
        fn()
        fn()
    # Sanity: both Grad-CAMs explain the same thing.
    mine = grad_cam(model, image, target, "layer4")
    other = their_cam(input_tensor=x, targets=[ClassifierOutputTarget(target)])[0]
    correlation = float(np.corrcoef(mine.ravel(), other.ravel())[0, 1])
    times: dict[str, list[float]] = {k: [] for k in contenders}
    for _ in range(repeats):
        for name, fn in contenders.items():
            times[name].append(_time(fn))
    their_cam.__exit__(None, None, None)
    medians = {k: statistics.median(v) for k, v in times.items()}
    medians["correlation"] = correlation
    return medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--archs", nargs="+", default=["resnet18", "resnet50"])
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(
        f"torch {torch.__version__}, {args.threads} threads, {args.repeats} repeats, "
        "batch 1, 224x224"
    )
    print(
        f"{'model':10s} {'bare ms':>8s} {'full ms':>8s} {'ours ms':>8s} {'theirs ms':>9s} "
        f"{'theirs+ ms':>10s} {'full/bare':>9s} {'theirs/ours':>11s} {'theirs+/ours':>12s} "
        f"{'cam corr':>8s}"
    )
    for arch in args.archs:
        m = bench(arch, args.repeats)
        print(
            f"{arch:10s} {m['bare'] * 1e3:8.1f} {m['full'] * 1e3:8.1f} {m['ours'] * 1e3:8.1f} "
            f"{m['theirs'] * 1e3:9.1f} {m['theirs+'] * 1e3:10.1f} {m['full'] / m['bare']:9.2f} "
            f"{m['theirs'] / m['ours']:11.2f} {m['theirs+'] / m['ours']:12.2f} "
            f"{m['correlation']:8.3f}"
        )
    print("targets: full/bare <= 2.0, theirs/ours >= 3.0 (theirs+/ours: the same, equal work)")


if __name__ == "__main__":
    main()
