"""Measure an embedded model's lesions on fresh shapes and complete its model card.

    .venv/bin/python -m training.measure_deep [--model embedded-deep] [--weights W] [--card C]

Runs after `training.train_deep` (or `train_embedded`, for `--model embedded-no-sd` and
`embedded`: the same figures for the 8-block models, on shapes drawn at their input size).
All test shapes use seeds from `TEST_SEED` (40,000,000;
never used in training, which takes seeds below `shapes.TEST_SEED_START`). It measures:

- top-1 accuracy of the intact model on `n_top1` (2,000) shapes;
- on the first `n_lesion` (1,000) of them: intact accuracy; each block's residual branch off
  alone (`branch-off`: y = relu(shortcut(x)), the lesion of Veit et al. 2016) and skip off
  alone (`skip-off`: y = relu(F(x))); k random branches off and k random skips off for
  k = 1..10 (mean, sample s.d. and standard error s.d./sqrt(n) over `draws` (20) seeded
  draws of k distinct blocks); all skips off.

`--curves-only` re-measures only the two k-curves (with `--draws`) on the card's own
weights and lesion shapes, and replaces those two entries of the card; every other figure
stays as it was measured. Draw d of a given k is the same set of blocks whatever `--draws`
is, so a larger `--draws` extends the earlier draws.

Every lesioned forward pass is `resnet_demo.switches.SwitchedResNet(model, modes)`. To save
time, the intact prefix is computed once per batch (`block_inputs`) and each mode map runs
from its first switched block onwards (`run_from`): the same operations on the same inputs
as the full switched forward pass.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from resnet_demo.models import EMBEDDED_DEEP, EMBEDDED_MODELS
from resnet_demo.models.embedded import asset_paths, load_embedded
from resnet_demo.models.preprocessing import normalise
from resnet_demo.switches import BRANCH_OFF, INTACT, SKIP_OFF, SwitchedResNet, block_names
from training.data import generate

TEST_SEED = 40_000_000
"""First shape seed of the measurement set (fresh: training uses seeds below 10,000,000)."""
DRAW_SEED = 20_161_204
"""Root seed of the random block draws (numpy `default_rng([DRAW_SEED, kind, k, draw])`)."""
KINDS = {BRANCH_OFF: 0, SKIP_OFF: 1}
LESION_SD = (
    "sd: sample standard deviation (ddof = 1) over the draws; sem: its standard error of the "
    "mean, sd / sqrt(n_draws)"
)


def lesion_accuracies(
    model: nn.Module,
    images: np.ndarray,
    labels: np.ndarray,
    stats: tuple[list[float], list[float]],
    mode_maps: list[Mapping[str, str]],
    batch_size: int = 250,
) -> list[float]:
    """Top-1 accuracy of the model under each mode map (block -> mode; missing = intact).

    Per batch the intact block inputs are computed once; a map runs
    `SwitchedResNet(model, modes).run_from(first, inputs[first])` from its first non-intact
    block (a map with none is the intact forward pass).

    Returns:
        One accuracy in [0, 1] per mode map, in order.
    """
    names = block_names(model)
    firsts = [next((n for n in names if m.get(n, INTACT) != INTACT), None) for m in mode_maps]
    views = [SwitchedResNet(model, m) for m in mode_maps]
    intact = SwitchedResNet(model)
    correct = np.zeros(len(mode_maps), dtype=np.int64)
    labels_t = torch.from_numpy(labels)
    with torch.no_grad():
        for lo in range(0, len(images), batch_size):
            x = normalise(images[lo : lo + batch_size], *stats, channels_first=False)
            x = x.contiguous(memory_format=torch.channels_last)
            y = labels_t[lo : lo + batch_size]
            inputs, out = intact.block_inputs(x)
            intact_pred = intact.head(out).argmax(1)
            for i, (view, first) in enumerate(zip(views, firsts, strict=True)):
                pred = (
                    intact_pred if first is None else view.run_from(first, inputs[first]).argmax(1)
                )
                correct[i] += int((pred == y).sum())
    return [float(c) / len(images) for c in correct]


def random_draws(names: list[str], mode: str, k: int, draws: int) -> list[list[str]]:
    """`draws` seeded sets of `k` distinct blocks (forward order within each set)."""
    out = []
    for draw in range(draws):
        rng = np.random.default_rng([DRAW_SEED, KINDS[mode], k, draw])
        chosen = set(rng.choice(len(names), size=k, replace=False).tolist())
        out.append([n for i, n in enumerate(names) if i in chosen])
    return out


def lesion_plan(names: list[str], max_k: int, draws: int) -> list[tuple[tuple, dict[str, str]]]:
    """Every measurement as `(key, mode map)`: intact, single branch/skip off per block,
    k random branches/skips off (k = 1..max_k, `draws` each), all skips off."""
    plan: list[tuple[tuple, dict[str, str]]] = [(("intact",), {})]
    for mode in (BRANCH_OFF, SKIP_OFF):
        plan += [(("single", mode, n), {n: mode}) for n in names]
    for mode in (BRANCH_OFF, SKIP_OFF):
        for k in range(1, max_k + 1):
            for d, blocks in enumerate(random_draws(names, mode, k, draws)):
                plan.append((("random", mode, k, d), dict.fromkeys(blocks, mode)))
    plan.append((("all_skips_off",), dict.fromkeys(names, SKIP_OFF)))
    return plan


def _curve(
    results: dict[tuple, float], names: list[str], mode: str, max_k: int, draws: int
) -> dict[str, dict[str, Any]]:
    """k -> {mean, sd, sem, n_draws, accuracies, blocks} for one kind of random lesion
    (sd: sample standard deviation, ddof = 1; sem: sd / sqrt(n_draws))."""
    curve = {}
    for k in range(1, max_k + 1):
        accs = [results[("random", mode, k, d)] for d in range(draws)]
        sd = float(np.std(accs, ddof=1)) if draws > 1 else 0.0
        curve[str(k)] = {
            "mean": round(float(np.mean(accs)), 4),
            "sd": round(sd, 4),
            "sem": round(sd / float(np.sqrt(draws)), 4),
            "n_draws": draws,
            "accuracies": [round(a, 4) for a in accs],
            "blocks": random_draws(names, mode, k, draws),
        }
    return curve


def summarise(
    results: dict[tuple, float], model: nn.Module, max_k: int, draws: int
) -> dict[str, Any]:
    """The lesion figures of the card, from the accuracy of each planned measurement."""
    names = block_names(model)
    down = [n for n in names if model.get_submodule(n).downsample is not None]
    intact = results[("intact",)]
    branch = {n: round(results[("single", BRANCH_OFF, n)], 4) for n in names}
    skip = {n: round(results[("single", SKIP_OFF, n)], 4) for n in names}
    identity = [n for n in names if n not in down]

    def drops(accs: dict[str, float], group: list[str]) -> dict[str, float]:
        points = [100.0 * (intact - accs[n]) for n in group]
        return {"mean": round(float(np.mean(points)), 2), "max": round(float(max(points)), 2)}

    return {
        "intact_accuracy": round(intact, 4),
        "chance_accuracy": 0.1,
        "downsampling_blocks": down,
        "branch_off_accuracy": branch,
        "skip_off_accuracy": skip,
        "branch_off_drop_points": {
            "identity_blocks": drops(branch, identity),
            "downsampling_blocks": drops(branch, down),
            "all_blocks": drops(branch, names),
        },
        "skip_off_drop_points": {
            "identity_blocks": drops(skip, identity),
            "downsampling_blocks": drops(skip, down),
            "all_blocks": drops(skip, names),
        },
        **_k_curves(results, names, max_k, draws),
        "all_skips_off_accuracy": round(results[("all_skips_off",)], 4),
    }


def _k_curves(results: dict, names: list[str], max_k: int, draws: int) -> dict[str, Any]:
    """The card's two k-curves (random branches off, random skips off) from measured results."""
    return {
        "k_random_branches_off": _curve(results, names, BRANCH_OFF, max_k, draws),
        "k_random_skips_off": _curve(results, names, SKIP_OFF, max_k, draws),
    }


def curve_plan(names: list[str], max_k: int, draws: int) -> list[tuple[tuple, dict[str, str]]]:
    """Only the k-random measurements of `lesion_plan` (same keys, same draws)."""
    return [item for item in lesion_plan(names, max_k, draws) if item[0][0] == "random"]


def measure_curves(
    model: nn.Module,
    stats: tuple[list[float], list[float]],
    n_lesion: int = 1000,
    max_k: int = 10,
    draws: int = 20,
    batch_size: int = 250,
    size: int = 32,
) -> dict[str, Any]:
    """The two k-curves of the card on the first `n_lesion` lesion shapes, `draws` per k."""
    names = block_names(model)
    images, labels = generate(TEST_SEED, n_lesion, size=size)
    plan = curve_plan(names, max_k, draws)
    accs = lesion_accuracies(model, images, labels, stats, [m for _, m in plan], batch_size)
    results = dict(zip([key for key, _ in plan], accs, strict=True))
    return _k_curves(results, names, max_k, draws)


def measure(
    model: nn.Module,
    stats: tuple[list[float], list[float]],
    n_top1: int = 2000,
    n_lesion: int = 1000,
    max_k: int = 10,
    draws: int = 20,
    batch_size: int = 250,
    size: int = 32,
) -> dict[str, Any]:
    """Top-1 on `n_top1` fresh shapes (drawn at `size` px) and the lesion figures on the
    first `n_lesion`."""
    images, labels = generate(TEST_SEED, max(n_top1, n_lesion), size=size)
    (top1,) = lesion_accuracies(model, images[:n_top1], labels[:n_top1], stats, [{}], batch_size)
    plan = lesion_plan(block_names(model), max_k, draws)
    accs = lesion_accuracies(
        model, images[:n_lesion], labels[:n_lesion], stats, [m for _, m in plan], batch_size
    )
    lesions = summarise(dict(zip([key for key, _ in plan], accs, strict=True)), model, max_k, draws)
    return {
        "test_shape_seeds": [TEST_SEED, TEST_SEED + n_top1],
        "test_accuracy": round(top1, 4),
        "lesion_shape_seeds": [TEST_SEED, TEST_SEED + n_lesion],
        "lesions": lesions,
        "lesion_draws": draws,
        "lesion_draw_seed": DRAW_SEED,
        "lesion_sd": LESION_SD,
        "measured_with": (
            "resnet_demo.switches.SwitchedResNet(model, modes), eval mode, float32; skip-off: "
            "y = relu(F(x)) (projection gone too); branch-off (branch off): "
            "y = relu(shortcut(x)) (Veit et al. 2016)"
        ),
    }


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: measure and write the completed card; returns the status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=EMBEDDED_MODELS, default=EMBEDDED_DEEP)
    parser.add_argument("--weights", type=Path, default=None, help="default: the model's asset")
    parser.add_argument("--card", type=Path, default=None, help="read and updated")
    parser.add_argument("--n-top1", type=int, default=2000)
    parser.add_argument("--n-lesion", type=int, default=1000)
    parser.add_argument("--max-k", type=int, default=10)
    parser.add_argument("--draws", type=int, default=20)
    parser.add_argument(
        "--curves-only",
        action="store_true",
        help="re-measure only the k-curves (--draws per k) and replace them in the card",
    )
    parser.add_argument("--threads", type=int, default=1, help="1: see train_deep")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    weights, card_path = asset_paths(args.model)
    weights, card_path = args.weights or weights, args.card or card_path
    model, card = load_embedded(weights, card_path)
    model = model.to(memory_format=torch.channels_last)
    start = time.perf_counter()
    if args.curves_only:
        return _update_curves(args, model, card, card_path, weights, start)
    figures = measure(
        model,
        (card["mean"], card["std"]),
        args.n_top1,
        args.n_lesion,
        args.max_k,
        args.draws,
        size=int(card["input_size"]),
    )
    figures["measure_seconds"] = round(time.perf_counter() - start, 1)
    figures["measure_threads"] = args.threads
    figures["weights_file_sha256"] = hashlib.sha256(weights.read_bytes()).hexdigest()
    if args.model != EMBEDDED_DEEP:  # keep train_embedded's own test accuracy (seed 10,000,000)
        figures["lesion_top1_accuracy"] = figures.pop("test_accuracy")
        figures["lesion_top1_shape_seeds"] = figures.pop("test_shape_seeds")
    card.update(figures)
    card_path.write_text(json.dumps(card, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    lesions = figures["lesions"]
    print(
        json.dumps(
            {
                "test_accuracy": card["test_accuracy"],
                "intact": lesions["intact_accuracy"],
                "branch_off_drop_points": lesions["branch_off_drop_points"],
                "skip_off_drop_points": lesions["skip_off_drop_points"],
                "all_skips_off": lesions["all_skips_off_accuracy"],
                "k_branches_mean": {
                    k: v["mean"] for k, v in lesions["k_random_branches_off"].items()
                },
                "k_skips_mean": {k: v["mean"] for k, v in lesions["k_random_skips_off"].items()},
                "measure_seconds": figures["measure_seconds"],
            },
            indent=2,
        )
    )
    return 0


def _update_curves(
    args: argparse.Namespace,
    model: nn.Module,
    card: dict[str, Any],
    card_path: Path,
    weights: Path,
    start: float,
) -> int:
    """`--curves-only`: replace the card's two k-curves, keep every other figure."""
    sha = hashlib.sha256(weights.read_bytes()).hexdigest()
    if card.get("weights_file_sha256") not in (None, sha):
        raise SystemExit(f"{weights} is not the file the card was measured on")
    curves = measure_curves(
        model,
        (card["mean"], card["std"]),
        args.n_lesion,
        args.max_k,
        args.draws,
        size=int(card["input_size"]),
    )
    card["lesions"].update(curves)
    card["lesion_draws"] = args.draws
    card["lesion_sd"] = LESION_SD
    card["lesion_curves_command"] = (
        f"python -m training.measure_deep --model {args.model} --curves-only "
        f"--draws {args.draws} --n-lesion {args.n_lesion} --threads {args.threads}"
    )
    card["lesion_curves_seconds"] = round(time.perf_counter() - start, 1)
    card["lesion_curves_threads"] = args.threads
    card_path.write_text(json.dumps(card, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(
        json.dumps(
            {name: {k: (v["mean"], v["sem"]) for k, v in curves[name].items()} for name in curves}
            | {"seconds": card["lesion_curves_seconds"]},
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
