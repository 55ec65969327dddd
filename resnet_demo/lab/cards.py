"""Result cards of the lab: one PNG-ready picture plus the numbers, for every panel.

Each `*_card` function runs its experiment from plain settings and returns
`(card, numbers)`: an RGB uint8 card (title, charts, caption naming model, weights, switches and
images) and a JSON-ready dict with the same settings and every number shown. The UI and the CLI
call the same functions, so a card made in the browser can be remade from the command line.
The `*_card_from` variants lay out a result that was already computed (the UI computes with a
progress bar first).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from resnet_demo.lab import charts
from resnet_demo.lab.curves import LesionCurves, lesion_curves
from resnet_demo.lab.gradient_flow import GradientFlowStudy, Progress, gradient_flow_study
from resnet_demo.lab.image_sets import load_image_set
from resnet_demo.lab.lesions import LesionSweep, lesion_sweep
from resnet_demo.lab.race import RaceConfig, RaceSnapshot, race_to_end
from resnet_demo.models import LoadedModel
from resnet_demo.render import compose_card

CARD_WIDTH = 1200


def _model_line(model_name: str, weights_source: str) -> str:
    return f"Model: {model_name} · weights: {weights_source}"


# ---- lesion sweep -------------------------------------------------------------------------


def lesion_sweep_card_from(
    sweep: LesionSweep, categories: tuple[str, ...] | None = None, image_name: str = "image"
) -> tuple[np.ndarray, dict[str, Any]]:
    """Card and numbers of a computed lesion sweep (see `lesion_sweep_card`)."""
    changed_b = [n for n, c in zip(sweep.block_names, sweep.branch_changed, strict=True) if c]
    changed_s = [n for n, c in zip(sweep.block_names, sweep.skip_changed, strict=True) if c]
    lines = [
        _model_line(sweep.model_name, sweep.weights_source),
        f"Image: {image_name} (sha1 {sweep.image_digest[:12]}) · bars: probability of the "
        f"intact top-1 class, {sweep.original_label} ({sweep.original_prob * 100:.1f}% intact)",
        "Switches: one block at a time — no-residual (branch removed) or no-skip (skip "
        "removed); every other block intact.",
        f"Top-1 changed ({charts.CHANGED}) with branch removed: {', '.join(changed_b) or 'none'}"
        f" · with skip removed: {', '.join(changed_s) or 'none'} · {charts.DOWN} downsampling "
        "block (projection shortcut).",
    ]
    card = compose_card(
        f"Lesion sweep — {sweep.model_name} · {image_name}",
        [charts.sweep_chart(sweep, width=CARD_WIDTH - 72 - 240)],
        lines,
        thumbnail=sweep.view,
    )
    numbers = {
        "panel": "lesion_sweep",
        "image": image_name,
        "caption": lines,
        "result": sweep.to_json(categories),
    }
    return card, numbers


def lesion_sweep_card(
    model: LoadedModel,
    image: np.ndarray,
    image_name: str = "image",
    progress: Progress | None = None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Run (or fetch from the cache) a lesion sweep of one image and lay out its card.

    Args:
        model: the loaded network.
        image: RGB uint8 (H, W, 3).
        image_name: shown in the caption. Default: "image".
        progress: optional callback, see `Progress`.

    Returns:
        (card RGB uint8 (H, 1200, 3), JSON-ready numbers).
    """
    sweep = lesion_sweep(model, image, progress)
    return lesion_sweep_card_from(sweep, model.categories, image_name)


# ---- lesion curves ------------------------------------------------------------------------


def lesion_curves_card_from(curves: LesionCurves) -> tuple[np.ndarray, dict[str, Any]]:
    """Card and numbers of computed lesion curves (see `lesion_curves_card`)."""
    k1 = min(1, len(curves.ks) - 1)
    k2 = min(2, len(curves.ks) - 1)
    lines = [
        _model_line(curves.model_name, curves.weights_source),
        f"Images: {curves.image_set} · score: {curves.metric} · intact: "
        f"{curves.intact_score:.3f} · chance: {curves.chance:.3f}",
        f"Switches: k random blocks no-residual (branches removed) or no-skip (skips removed), "
        f"{curves.draws} random draws per k (seed {curves.seed}); band = ± 1 s.d. over draws.",
        f"k={k1}: branches {curves.branch_mean[k1]:.3f} vs skips {curves.skip_mean[k1]:.3f} · "
        f"k={k2}: branches {curves.branch_mean[k2]:.3f} vs skips {curves.skip_mean[k2]:.3f}",
    ]
    card = compose_card(
        f"Lesion curves — {curves.model_name}",
        [charts.curves_chart(curves, width=CARD_WIDTH - 72, height=520)],
        lines,
    )
    return card, {"panel": "lesion_curves", "caption": lines, "result": curves.to_json()}


def lesion_curves_card(
    model: LoadedModel,
    image_set: str = "shapes",
    n_images: int = 64,
    draws: int = 5,
    seed: int = 0,
    progress: Progress | None = None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Compute lesion curves on an image set and lay out their card.

    Args:
        model: the loaded network.
        image_set: "shapes" (fresh labelled shapes; accuracy) or "examples" (shipped pictures;
            agreement with the intact top-1). Default: "shapes".
        n_images: shapes to generate. Default: 64.
        draws: random block subsets per k. Default: 5.
        seed: seed of the shapes and of the subsets. Default: 0.
        progress: optional callback, see `Progress`.

    Returns:
        (card RGB uint8 (H, 1200, 3), JSON-ready numbers).
    """
    images = load_image_set(image_set, n_images, seed)
    curves = lesion_curves(
        model,
        images.images,
        images.labels,
        draws=draws,
        seed=seed,
        image_set=images.description,
        progress=progress,
    )
    return lesion_curves_card_from(curves)


# ---- gradient flow ------------------------------------------------------------------------


def summarize_gradient_flow(study: GradientFlowStudy) -> list[str]:
    """One sentence per depth: what the measurements show (for captions and the UI)."""
    lines = []
    for depth in sorted({r.depth for r in study.results}):
        plain, residual = study.get(depth, False), study.get(depth, True)
        lines.append(
            f"{depth} layers: neighbour-gradient similarity plain {plain.neighbour_correlation:.2f}"
            f" vs ResNet {residual.neighbour_correlation:.2f}; gradient norm first/last block "
            f"plain ×{plain.norm_ratio:.3g}, ResNet ×{residual.norm_ratio:.3g}."
        )
    return lines


def gradient_flow_card_from(study: GradientFlowStudy) -> tuple[np.ndarray, dict[str, Any]]:
    """Card and numbers of a computed gradient-flow study (see `gradient_flow_card`)."""
    depths = ", ".join(str(d) for d in sorted({r.depth for r in study.results}))
    if study.trained_steps == 0:
        when = "at initialisation"
        how = f"seed {study.seed}, BatchNorm statistics set from {study.n_train} shapes"
    else:
        when = f"after {study.trained_steps} steps"
        how = f"{study.trained_steps} Adam steps (seed {study.seed}) on {study.n_train} shapes"
    lines = [
        f"Models: CIFAR-style ResNets (He et al. 2016 §4.2, option-A shortcuts) and plain twins "
        f"(skips off), depths {depths}, {how}, {study.image_size} px.",
        "Gradient norm: mean over 32 images of ‖∂loss/∂(block input)‖. Similarity: cosine of "
        "the input gradients of the class logit at points 1…8 steps apart on lines between "
        "two images (32 points per line, 4 lines).",
        *summarize_gradient_flow(study),
    ]
    card = compose_card(
        f"Gradient flow — plain vs residual ({when})",
        [
            charts.correlation_chart(study, width=CARD_WIDTH - 72, height=440),
            charts.gradient_norm_chart(study, width=CARD_WIDTH - 72, height=440),
        ],
        lines,
    )
    return card, {"panel": "gradient_flow", "caption": lines, "result": study.to_json()}


def gradient_flow_card(
    depths: Sequence[int] = (8, 20, 56),
    trained_steps: int = 0,
    seed: int = 0,
    progress: Progress | None = None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Measure gradient flow of plain and residual twins and lay out the card.

    Returns:
        (card RGB uint8 (H, 1200, 3), JSON-ready numbers).
    """
    study = gradient_flow_study(depths, trained_steps, seed, progress=progress)
    return gradient_flow_card_from(study)


# ---- degradation race ---------------------------------------------------------------------


def race_card_from(snapshot: RaceSnapshot) -> tuple[np.ndarray, dict[str, Any]]:
    """Card and numbers of a race snapshot (see `race_card`)."""
    config = snapshot.config
    plain, residual = snapshot.recent_mean()
    lines = [
        f"Models: plain-{config.depth} and ResNet-{config.depth} (CIFAR-style, option-"
        f"{config.shortcut} shortcuts), identical starting weights (seed {config.seed}).",
        f"Training: {snapshot.step} steps each ({snapshot.status}, {snapshot.elapsed_s:.0f} s), "
        f"Adam lr {config.lr}, batch {config.batch_size}, fixed set of {config.n_train} "
        f"synthetic shapes at {config.image_size} px, same batches for both.",
        f"Mean training loss over the last 20 steps: plain {plain:.3f}, ResNet {residual:.3f} "
        f"(chance level ln 10 = 2.303).",
    ]
    card = compose_card(
        f"Degradation race — {config.depth} layers",
        [charts.race_chart(snapshot, width=CARD_WIDTH - 72, height=480)],
        lines,
    )
    return card, {"panel": "race", "caption": lines, "result": snapshot.to_json()}


def race_card(
    depth: int = 20,
    max_steps: int = 150,
    time_budget_s: float | None = None,
    seed: int = 0,
    stop: threading.Event | None = None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Run a whole race and lay out its card.

    With no time budget (the default here) the race is a function of its settings, so the card
    can be remade exactly (up to floating-point differences between machines).

    Returns:
        (card RGB uint8 (H, 1200, 3), JSON-ready numbers).
    """
    config = RaceConfig(depth=depth, max_steps=max_steps, time_budget_s=time_budget_s, seed=seed)
    return race_card_from(race_to_end(config, stop))
