"""Headless front end: the same numbers and figures as the app, for slides and scripts.

    python -m resnet_demo explain IMAGE [--model NAME] [--weights PATH|random] [--target CLASS]
        [--cam-layer LAYER] [--switch BLOCK=MODE ...] [--top-k K] --out DIR
    python -m resnet_demo lab sweep IMAGE | curves | gradient-flow | race [options] --out DIR
    python -m resnet_demo train [--seed S] [--epochs E] [--out DIR]
    python -m resnet_demo models

Bad input ends with a one-line message on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from resnet_demo.analysis import Analysis, AnalysisError, analyze, compare
from resnet_demo.imaging import ImageError, decode_image, encode_png
from resnet_demo.models import (
    EMBEDDED,
    LoadedModel,
    ModelNameError,
    WeightsError,
    load_model,
    model_names,
    weights_status,
)
from resnet_demo.render import CardContent, colorize_diverging, overlay, result_card
from resnet_demo.switches import SwitchError, parse_switch_args


class CliError(Exception):
    """A user mistake; its message is printed as the one line of output."""


def resolve_target(model: LoadedModel, target: str | None) -> int | None:
    """A class index from an index ("281") or a class name ("tabby", case-insensitive).

    Raises:
        CliError: no such class.
    """
    if target is None:
        return None
    if target.strip().lstrip("-").isdigit():
        index = int(target)
        if not 0 <= index < len(model.categories):
            raise CliError(f"--target {index} is out of range 0..{len(model.categories) - 1}")
        return index
    lowered = [c.lower() for c in model.categories]
    if target.strip().lower() in lowered:
        return lowered.index(target.strip().lower())
    raise CliError(f"--target {target!r} is not a class of {model.name}")


def caption_lines(analysis: Analysis, image_name: str) -> list[str]:
    """The caption of a result card: model, weights, image, switches, target and layer."""
    switched = analysis.switched
    switches = ", ".join(f"{k}={v}" for k, v in switched.items()) if switched else "all intact"
    return [
        f"Model: {analysis.model_name}   Weights: {analysis.weights_source}",
        f"Image: {image_name}   Input: {analysis.image.shape[1]}×{analysis.image.shape[0]} px",
        f"Switches: {switches}",
        f"Grad-CAM: class '{analysis.target_label}' at {analysis.cam_layer}",
    ]


def explain_card(analysis: Analysis, image_name: str, intact: Analysis | None = None) -> np.ndarray:
    """The result card of one analysis; with `intact`, also the intact Grad-CAM and the change.

    Returns:
        RGB uint8 (H, 1200, 3).
    """
    panels: list[tuple[str, np.ndarray]] = []
    if intact is not None and analysis.switched:
        comparison = compare(intact, analysis)
        panels = [
            ("Intact Grad-CAM", overlay(intact.image, comparison.cam_before)),
            ("Change (red = more)", colorize_diverging(comparison.cam_diff, limit=1.0)),
        ]
    return result_card(
        CardContent(
            title=f"{analysis.model_name}: {analysis.top_labels[0]} "
            f"({analysis.top_probs[0] * 100:.1f}%)",
            image=analysis.image,
            heat=analysis.cam,
            top_labels=analysis.top_labels,
            top_probs=[float(p) for p in analysis.top_probs],
            caption_lines=caption_lines(analysis, image_name),
            extra_panels=panels,
        )
    )


def _json_default(value: object) -> object:
    if isinstance(value, float) and math.isnan(value):
        return None
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def run_explain(args: argparse.Namespace) -> int:
    """Analyse one image and write result.json, cam.npy, activations.npz, overlay.png, card.png."""
    image = decode_image(Path(args.image))
    model = load_model(args.model, args.weights)
    switches = parse_switch_args(args.switch)
    target = resolve_target(model, args.target)
    analysis = analyze(
        model, image, switches=switches, target=target, cam_layer=args.cam_layer, top_k=args.top_k
    )
    intact = None
    if analysis.switched:
        intact = analyze(
            model, image, target=analysis.target, cam_layer=args.cam_layer, top_k=args.top_k
        )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    result = analysis.to_json()
    result["image"] = Path(args.image).name
    if intact is not None:
        result["comparison"] = compare(intact, analysis).to_json()
    (out / "result.json").write_text(
        json.dumps(result, indent=2, ensure_ascii=False, default=_json_default), encoding="utf-8"
    )
    np.save(out / "cam.npy", analysis.cam.astype(np.float32))
    np.savez(out / "activations.npz", **{a.name: a.mean_map for a in analysis.activations})
    (out / "overlay.png").write_bytes(encode_png(overlay(analysis.image, analysis.cam)))
    card = explain_card(analysis, Path(args.image).name, intact)
    (out / "card.png").write_bytes(encode_png(card))
    top = ", ".join(
        f"{label} {p * 100:.1f}%"
        for label, p in zip(analysis.top_labels, analysis.top_probs, strict=True)
    )
    print(f"{analysis.model_name} ({analysis.weights_source}): {top}")
    print(f"wrote {out}/result.json, cam.npy, activations.npz, overlay.png, card.png")
    return 0


def run_lab(args: argparse.Namespace) -> int:
    """Remake a classroom-lab card (`card.png`) and its numbers (`result.json`)."""
    from resnet_demo.lab import cards

    if args.experiment == "sweep":
        if not args.image:
            raise CliError("lab sweep needs an IMAGE")
        image = decode_image(Path(args.image))
        model = load_model(args.model, args.weights)
        card, numbers = cards.lesion_sweep_card(model, image, Path(args.image).name, lang=args.lang)
    elif args.experiment == "curves":
        model = load_model(args.model, args.weights)
        card, numbers = cards.lesion_curves_card(
            model,
            args.image_set,
            n_images=args.images,
            draws=args.draws,
            seed=args.seed,
            lang=args.lang,
        )
    elif args.experiment == "gradient-flow":
        card, numbers = cards.gradient_flow_card(
            depths=args.depths, trained_steps=args.steps, seed=args.seed, lang=args.lang
        )
    else:
        steps = args.steps or 150
        card, numbers = cards.race_card(
            depth=args.depths[0], max_steps=steps, seed=args.seed, lang=args.lang
        )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "result.json").write_text(
        json.dumps(numbers, indent=2, ensure_ascii=False, default=_json_default), encoding="utf-8"
    )
    (out / "card.png").write_bytes(encode_png(card))
    print(f"wrote {out}/card.png and result.json")
    return 0


def run_models(_: argparse.Namespace) -> int:
    """List every model with how its weights would be obtained now."""
    for name in model_names():
        print(f"{name:28s} {weights_status(name)}")
    return 0


def run_train(args: argparse.Namespace) -> int:
    """Retrain the embedded model (see `resnet_demo.train_embedded`)."""
    from resnet_demo import train_embedded

    argv = ["--seed", str(args.seed), "--out", args.out]
    if args.epochs is not None:
        argv += ["--epochs", str(args.epochs)]
    return train_embedded.main(argv) or 0


def build_parser() -> argparse.ArgumentParser:
    """The argparse tree of `python -m resnet_demo`."""
    parser = argparse.ArgumentParser(
        prog="python -m resnet_demo", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)

    explain = commands.add_parser("explain", help="analyse one image and write the figures")
    explain.add_argument("image", help="JPEG, PNG, WebP, GIF, BMP or TIFF file")
    explain.add_argument(
        "--model", default=EMBEDDED, help="embedded, resnet18 … resnet152[:VERSION]"
    )
    explain.add_argument("--weights", default=None, help="state_dict file, or 'random'")
    explain.add_argument("--target", default=None, help="class index or name (default: top-1)")
    explain.add_argument(
        "--cam-layer", default="layer4", help="layer1..layer4 or a block (layer3.1)"
    )
    explain.add_argument(
        "--switch", action="append", metavar="BLOCK=MODE", help="e.g. layer3.1=no-skip (repeatable)"
    )
    explain.add_argument("--top-k", type=int, default=5)
    explain.add_argument("--out", required=True, help="folder for the outputs")
    explain.set_defaults(func=run_explain)

    lab = commands.add_parser("lab", help="remake a classroom-lab card and its numbers")
    lab.add_argument("experiment", choices=["sweep", "curves", "gradient-flow", "race"])
    lab.add_argument("image", nargs="?", help="the image of a lesion sweep")
    lab.add_argument("--model", default=EMBEDDED, help="embedded, resnet18 … (sweep, curves)")
    lab.add_argument("--weights", default=None, help="state_dict file, or 'random'")
    lab.add_argument("--image-set", default="shapes", choices=["shapes", "examples"])
    lab.add_argument("--images", type=int, default=64, help="images of the lesion curves")
    lab.add_argument("--draws", type=int, default=5, help="random draws per k (curves)")
    lab.add_argument(
        "--depths", type=int, nargs="+", default=[20], help="gradient flow: depths; race: depth"
    )
    lab.add_argument(
        "--steps", type=int, default=0, help="training steps (gradient flow: 0; race: 0 = 150)"
    )
    lab.add_argument("--seed", type=int, default=0)
    lab.add_argument(
        "--lang", default="en", choices=["en", "zh"], help="language of the card (zh: 简体中文)"
    )
    lab.add_argument("--out", required=True, help="folder for card.png and result.json")
    lab.set_defaults(func=run_lab)

    models = commands.add_parser("models", help="list models and where their weights are")
    models.set_defaults(func=run_models)

    train = commands.add_parser("train", help="retrain the embedded model from its seed")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--epochs", type=int, default=None)
    train.add_argument("--out", default="assets")
    train.set_defaults(func=run_train)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = build_parser().parse_args(argv)
    import torch

    torch.set_num_threads(max(1, min(4, torch.get_num_threads())))
    try:
        return args.func(args)
    except (
        CliError,
        ImageError,
        SwitchError,
        AnalysisError,
        WeightsError,
        ModelNameError,
    ) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return 2
