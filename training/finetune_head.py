"""Fine-tune the embedded model's head on three shapes it has never seen, in under a minute.

    .venv/bin/python -m training.finetune_head [--out out/finetune] [--per-class 100]
        [--budget-s 50] [--seed 0] [--threads 2]

The worked example of "Your own model" (README): a teacher's model is any torchvision ResNet
state_dict plus a labels file. Here the embedded model's body (every layer up to the average
pool) is frozen, its 10-way `fc` is replaced by a 3-way one, and only that head is trained, on
pentagons, diamonds and ellipses drawn by this file (`draw_shape`; the package's
`resnet_demo.shapes` is not touched, so every shipped image stays the same). Because the body
is frozen, its features are computed once and the head is trained on them: seconds on 1-2 CPU
threads.

Writes `OUT/head3.pt` (the whole state_dict: frozen body + new head, float32),
`OUT/labels.txt`, `OUT/labels_zh.txt` and one example picture per class
(`OUT/example_<class>.png`, from the fresh test seeds), and prints the accuracy on fresh
images (seeds never used in training). Then:

    python -m resnet_demo explain out/finetune/example_pentagon.png --model embedded \\
        --weights out/finetune/head3.pt --labels out/finetune/labels.txt --out out/explain3
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw
from torch import nn

from resnet_demo.models import load_model
from resnet_demo.models.preprocessing import normalise

CLASSES: tuple[str, ...] = ("pentagon", "diamond", "ellipse")
CLASSES_ZH: tuple[str, ...] = ("五边形", "菱形", "椭圆")
SIZE = 128
"""Image side in pixels: the embedded model's input size (its card's `input_size`)."""
TEST_SEED_START = 1_000_000
"""Test images use seeds from here on; training seeds stay below it."""
_SUPERSAMPLE = 2


@dataclass(frozen=True)
class Result:
    """What one run measured.

    Attributes:
        train_accuracy: accuracy of the trained head on its training images.
        test_accuracy: accuracy on `n_test` fresh images (seeds >= TEST_SEED_START).
        n_train: training images (all three classes).
        n_test: test images.
        steps: head training steps done (fewer than asked when the budget ran out).
        seconds: wall time of the whole run (drawing, features, training, testing).
    """

    train_accuracy: float
    test_accuracy: float
    n_train: int
    n_test: int
    steps: int
    seconds: float


def _outline(label: int, radius: float, aspect: float, angle: float) -> list[tuple[float, float]]:
    """Polygon points (unit: pixels, centred on 0) of class `label`, rotated by `angle`."""
    if label == 0:  # pentagon: regular, 5 vertices
        t = np.linspace(0, 2 * math.pi, 5, endpoint=False) - math.pi / 2
        xs, ys = radius * np.cos(t), radius * np.sin(t)
    elif label == 1:  # diamond: a rhombus, taller than wide
        xs = np.array([0.0, radius * aspect, 0.0, -radius * aspect])
        ys = np.array([-radius, 0.0, radius, 0.0])
    else:  # ellipse: 64-gon, axes radius and radius * aspect
        t = np.linspace(0, 2 * math.pi, 64, endpoint=False)
        xs, ys = radius * np.cos(t), radius * aspect * np.sin(t)
    c, s = math.cos(angle), math.sin(angle)
    return [(float(c * x - s * y), float(s * x + c * y)) for x, y in zip(xs, ys, strict=True)]


def draw_shape(seed: int, label: int, size: int = SIZE) -> np.ndarray:
    """One RGB uint8 (size, size, 3) image of class `label`, a pure function of its arguments:
    a random pale or dark background with a gentle gradient, the shape filled (65 %) or
    outlined, in a colour far from the background, at a random size, place and angle."""
    rng = np.random.default_rng([seed, label, 0x0A1E])
    big = size * _SUPERSAMPLE
    background = rng.integers(0, 256, 3)
    ramp = np.linspace(-1, 1, big)[None, :, None] * rng.uniform(-30, 30, 3)
    canvas = np.clip(background + ramp + np.zeros((big, big, 3)), 0, 255).astype(np.uint8)
    image = Image.fromarray(canvas)
    colour = np.where(background > 127, rng.integers(0, 90, 3), rng.integers(165, 256, 3))
    radius = rng.uniform(24, 40) * size / 128 * _SUPERSAMPLE
    aspect = rng.uniform(0.45, 0.7)
    angle = rng.uniform(0, 2 * math.pi)
    margin = radius + 2 * _SUPERSAMPLE
    cx, cy = rng.uniform(margin, big - margin, 2)
    points = [(cx + x, cy + y) for x, y in _outline(label, radius, aspect, angle)]
    fill = tuple(int(v) for v in colour)
    draw = ImageDraw.Draw(image)
    if rng.random() < 0.65:
        draw.polygon(points, fill=fill)
    else:
        draw.line([*points, points[0]], fill=fill, width=int(3 * _SUPERSAMPLE), joint="curve")
    return np.asarray(image.resize((size, size), Image.Resampling.LANCZOS), dtype=np.uint8)


def draw_set(first_seed: int, per_class: int) -> tuple[np.ndarray, torch.Tensor]:
    """`per_class` images of each class, seeds `first_seed ..`: (images, labels)."""
    images, labels = [], []
    for i in range(per_class):
        for label in range(len(CLASSES)):
            images.append(draw_shape(first_seed + i, label))
            labels.append(label)
    return np.stack(images), torch.as_tensor(labels, dtype=torch.int64)


@torch.no_grad()
def features(
    body: nn.Module,
    images: np.ndarray,
    mean: Sequence[float],
    std: Sequence[float],
    batch: int = 64,
) -> torch.Tensor:
    """The frozen body's pooled features (N, C): everything before `fc`, in eval mode."""
    out = []
    for lo in range(0, len(images), batch):
        x = normalise(images[lo : lo + batch], mean, std)
        out.append(body(x))
    return torch.cat(out)


def finetune(
    out: Path,
    per_class: int = 100,
    test_per_class: int = 100,
    steps: int = 300,
    budget_s: float = 50.0,
    seed: int = 0,
) -> Result:
    """Train the 3-way head and write head3.pt, labels.txt, labels_zh.txt, examples.

    Args:
        out: output folder (created).
        per_class: training images per class. Default: 100.
        test_per_class: fresh test images per class. Default: 100.
        steps: full-batch Adam steps on the head at most. Default: 300.
        budget_s: stop training once the run has taken this long (drawing and features
            included); the test still runs. Default: 50.
        seed: torch seed of the head's initialisation and first training image seed. Default: 0.

    Returns:
        The measured `Result`.
    """
    start = time.perf_counter()
    torch.manual_seed(seed)
    model = load_model("embedded")
    mean, std = model.preprocessing.mean, model.preprocessing.std
    net = model.module
    net.eval()
    for p in net.parameters():
        p.requires_grad_(False)
    head = net.fc
    assert isinstance(head, nn.Linear), "the embedded model ends in an nn.Linear fc"
    fc_in = head.in_features
    body = nn.Sequential(*(m for name, m in net.named_children() if name != "fc"), nn.Flatten())
    train_x, train_y = draw_set(seed * per_class, per_class)
    test_x, test_y = draw_set(TEST_SEED_START, test_per_class)
    f_train = features(body, train_x, mean, std)
    head = nn.Linear(fc_in, len(CLASSES))
    optimiser = torch.optim.Adam(head.parameters(), lr=0.01, weight_decay=1e-4)
    done = 0
    for _ in range(steps):
        if time.perf_counter() - start > budget_s:
            break
        optimiser.zero_grad()
        F.cross_entropy(head(f_train), train_y).backward()
        optimiser.step()
        done += 1
    with torch.no_grad():
        train_acc = (head(f_train).argmax(1) == train_y).float().mean().item()
        test_acc = (head(features(body, test_x, mean, std)).argmax(1) == test_y).float().mean()
    net.fc = head
    out.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().float().contiguous() for k, v in net.state_dict().items()}
    torch.save(state, out / "head3.pt")
    (out / "labels.txt").write_text("\n".join(CLASSES) + "\n", encoding="utf-8")
    (out / "labels_zh.txt").write_text("\n".join(CLASSES_ZH) + "\n", encoding="utf-8")
    for label, name in enumerate(CLASSES):
        Image.fromarray(test_x[label]).save(out / f"example_{name}.png")
    result = Result(
        train_accuracy=float(train_acc),
        test_accuracy=float(test_acc),
        n_train=len(train_y),
        n_test=len(test_y),
        steps=done,
        seconds=time.perf_counter() - start,
    )
    (out / "result.json").write_text(json.dumps(result.__dict__, indent=2), encoding="utf-8")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.finetune_head")
    parser.add_argument("--out", default="out/finetune")
    parser.add_argument("--per-class", type=int, default=100)
    parser.add_argument("--test-per-class", type=int, default=100)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--budget-s", type=float, default=50.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(max(1, args.threads))
    r = finetune(
        Path(args.out), args.per_class, args.test_per_class, args.steps, args.budget_s, args.seed
    )
    print(
        f"head trained in {r.seconds:.1f} s ({r.steps} steps, {r.n_train} images): "
        f"{100 * r.test_accuracy:.1f} % on {r.n_test} fresh images "
        f"(train {100 * r.train_accuracy:.1f} %, chance 33.3 %); wrote {args.out}/head3.pt, "
        "labels.txt, labels_zh.txt"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
