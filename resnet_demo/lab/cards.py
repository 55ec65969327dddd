"""Result cards of the lab: one PNG-ready picture plus the numbers, for every panel.

Each `*_card` function runs its experiment from plain settings and returns
`(card, numbers)`: an RGB uint8 card (title, charts, caption naming model, weights, switches and
images) and a JSON-ready dict with the same settings and every number shown. The UI and the CLI
call the same functions, so a card made in the browser can be remade from the command line.
The `*_card_from` variants lay out a result that was already computed (the UI computes with a
progress bar first). Every function takes `lang` ("en", the default, or "zh" for 简体中文): the
card's text and its caption lines in the JSON are in that language; the numbers are not.
"""

from __future__ import annotations

import dataclasses
import math
import threading
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

import numpy as np

import resnet_demo.lab.charts as charts
from resnet_demo.lab.curves import DRAWS, MAX_K, LesionCurves, set_curves
from resnet_demo.lab.gradient_flow import GradientFlowStudy, Progress, gradient_flow_study
from resnet_demo.lab.image_sets import load_image_set
from resnet_demo.lab.lesions import LesionSweep, lesion_sweep
from resnet_demo.lab.race import RaceConfig, RaceSnapshot, race_to_end
from resnet_demo.lab.race_record import (
    FIG1,
    FIG6,
    live_verdict_words,
    recorded_race,
    recorded_words,
)
from resnet_demo.lab.sanity import DEFAULT_METHODS, SanityCheck, sanity_check
from resnet_demo.lab.text import image_set_name
from resnet_demo.models import LoadedModel
from resnet_demo.render import Row, layout_card, picture
from resnet_demo.text import t

CARD_WIDTH = 1200


def _model_line(model_name: str, weights_source: str, lang: str) -> str:
    return t("model_line", lang, model=model_name, weights=weights_source)


def shown_sweep(
    sweep: LesionSweep, class_names: Mapping[str, Sequence[str]] | None, lang: str = "en"
) -> LesionSweep:
    """`sweep` with its class named in `lang` ("星形" in Chinese) when the model has class names
    in it (`LoadedModel.class_names`; the embedded model has Chinese); unchanged otherwise."""
    if lang == "en" or not class_names or lang not in class_names:
        return sweep
    return dataclasses.replace(sweep, original_label=class_names[lang][sweep.original_class])


def lesion_sweep_card_from(
    sweep: LesionSweep,
    categories: tuple[str, ...] | None = None,
    image_name: str | None = None,
    lang: str = "en",
    class_names: Mapping[str, Sequence[str]] | None = None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Card and numbers of a computed lesion sweep (see `lesion_sweep_card`).

    The numbers are the same in every language (class names in English); the card names the
    class in `lang` when `class_names` (language -> names) has it.
    """
    image_name = image_name or t("image_word", lang)
    result = sweep.to_json(categories)
    sweep = shown_sweep(sweep, class_names, lang)
    changed_b = [n for n, c in zip(sweep.block_names, sweep.branch_changed, strict=True) if c]
    changed_s = [n for n, c in zip(sweep.block_names, sweep.skip_changed, strict=True) if c]
    lines = [
        _model_line(sweep.model_name, sweep.weights_source, lang),
        t(
            "sweep_image_line",
            lang,
            image=image_name,
            digest=sweep.image_digest[:12],
            label=sweep.original_label,
            prob=sweep.original_prob * 100,
        ),
        t("sweep_switch_line", lang),
        t(
            "sweep_changed_line",
            lang,
            changed=charts.CHANGED,
            branch=", ".join(changed_b) or t("none", lang),
            skip=", ".join(changed_s) or t("none", lang),
            down=charts.DOWN,
        ),
    ]
    if sweep.projection_only.any():
        lines[-1] += " " + t("sweep_projection_mark", lang, proj=charts.PROJECTION)
    chart = Row(
        charts.sweep_height(sweep),
        [
            picture(t("card_input", lang), sweep.view),
            partial(charts.plot_sweep, sweep=sweep, lang=lang),
        ],
        [1.0, 4.0],
    )
    card = layout_card(
        t("sweep_title", lang, model=sweep.model_name, image=image_name), [chart], lines
    )
    numbers = {
        "panel": "lesion_sweep",
        "image": image_name,
        "caption": lines,
        "result": result,
    }
    return card, numbers


def lesion_sweep_card(
    model: LoadedModel,
    image: np.ndarray,
    image_name: str | None = None,
    progress: Progress | None = None,
    lang: str = "en",
) -> tuple[np.ndarray, dict[str, Any]]:
    """Run (or fetch from the cache) a lesion sweep of one image and lay out its card.

    Args:
        model: the loaded network.
        image: RGB uint8 (H, W, 3).
        image_name: shown in the caption. Default: "image" in `lang`.
        progress: optional callback, see `Progress`.
        lang: "en" or "zh". Default: "en".

    Returns:
        (card RGB uint8 (H, 1200, 3), JSON-ready numbers).
    """
    sweep = lesion_sweep(model, image, progress)
    return lesion_sweep_card_from(sweep, model.categories, image_name, lang, model.class_names)


def lesion_curves_card_from(
    curves: LesionCurves, lang: str = "en"
) -> tuple[np.ndarray, dict[str, Any]]:
    """Card and numbers of computed lesion curves (see `lesion_curves_card`)."""
    k1 = min(1, len(curves.ks) - 1)
    k2 = min(2, len(curves.ks) - 1)
    lines = [
        _model_line(curves.model_name, curves.weights_source, lang),
        t(
            "curves_images_line",
            lang,
            images=image_set_name(curves.image_set, lang),
            metric=t(curves.metric, lang),
            intact=curves.intact_score,
            chance=curves.chance,
        ),
        t("curves_switch_line", lang, draws=curves.draws, seed=curves.seed),
        t(
            "curves_k_line",
            lang,
            k1=k1,
            b1=curves.branch_mean[k1],
            s1=curves.skip_mean[k1],
            k2=k2,
            b2=curves.branch_mean[k2],
            s2=curves.skip_mean[k2],
        ),
    ]
    chart = Row(520, [partial(charts.plot_curves, curves=curves, lang=lang)])
    card = layout_card(t("curves_title", lang, model=curves.model_name), [chart], lines)
    return card, {"panel": "lesion_curves", "caption": lines, "result": curves.to_json()}


def lesion_curves_card(
    model: LoadedModel,
    image_set: str = "shapes",
    n_images: int = 64,
    draws: int = DRAWS,
    seed: int = 0,
    progress: Progress | None = None,
    lang: str = "en",
    max_k: int | None = MAX_K,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Compute lesion curves on an image set and lay out their card.

    Args:
        model: the loaded network.
        image_set: "shapes" (fresh labelled shapes; accuracy) or "examples" (shipped pictures;
            agreement with the intact top-1). Default: "shapes".
        n_images: shapes to generate. Default: 64.
        draws: random block subsets per k. Default: `curves.DRAWS` (20).
        seed: seed of the shapes and of the subsets. Default: 0.
        progress: optional callback, see `Progress`.
        lang: "en" or "zh". Default: "en".
        max_k: largest number of blocks lesioned at once (None: every block). Default: 10.

    Returns:
        (card RGB uint8 (H, 1200, 3), JSON-ready numbers).
    """
    images = load_image_set(image_set, n_images, seed)
    curves = set_curves(model, images, draws, seed, progress, max_k)
    return lesion_curves_card_from(curves, lang)


def robustness_card_from(
    curves: Sequence[LesionCurves], lang: str = "en"
) -> tuple[np.ndarray, dict[str, Any]]:
    """Card and numbers of the "what training does to robustness" panel: the lesion curves of
    several models (e.g. `embedded` and `embedded-no-sd`) on the same images, side by side."""
    lines = [
        *(_model_line(c.model_name, c.weights_source, lang) for c in curves),
        t(
            "curves_images_line",
            lang,
            images=image_set_name(curves[0].image_set, lang),
            metric=t(curves[0].metric, lang),
            intact=curves[0].intact_score,
            chance=curves[0].chance,
        ),
        t("curves_switch_line", lang, draws=curves[0].draws, seed=curves[0].seed),
        *(robustness_line(c, lang) for c in curves),
    ]
    chart = Row(520, [partial(charts.plot_robustness, curves=curves, lang=lang)])
    card = layout_card(t("robust_title", lang), [chart], lines)
    numbers = {
        "panel": "robustness",
        "caption": lines,
        "results": {c.model_name: c.to_json() for c in curves},
    }
    return card, numbers


def robustness_line(curves: LesionCurves, lang: str = "en") -> str:
    """One model's curves in words: intact, one branch off, one skip off, at k = 1 and k = K."""
    last = len(curves.ks) - 1
    return t(
        "robust_model_line",
        lang,
        model=curves.model_name,
        intact=curves.intact_score,
        b1=curves.branch_mean[min(1, last)],
        s1=curves.skip_mean[min(1, last)],
        k=int(curves.ks[last]),
        bk=curves.branch_mean[last],
        sk=curves.skip_mean[last],
    )


def robustness_card(
    models: Sequence[LoadedModel],
    n_images: int = 64,
    draws: int = DRAWS,
    seed: int = 0,
    progress: Progress | None = None,
    lang: str = "en",
    max_k: int | None = MAX_K,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Lesion curves of each model on the same fresh shapes, laid out side by side (see
    `robustness_card_from`)."""
    images = load_image_set("shapes", n_images, seed)
    curves = [set_curves(model, images, draws, seed, progress, max_k) for model in models]
    return robustness_card_from(curves, lang)


def summarize_gradient_flow(study: GradientFlowStudy, lang: str = "en") -> list[str]:
    """One sentence per depth: what the measurements show (for captions and the UI)."""
    lines = []
    for depth in sorted({r.depth for r in study.results}):
        plain, residual = study.get(depth, False), study.get(depth, True)
        lines.append(
            t(
                "flow_line",
                lang,
                depth=depth,
                plain=plain.neighbour_correlation,
                residual=residual.neighbour_correlation,
                plain_ratio=plain.rms_ratio,
                residual_ratio=residual.rms_ratio,
                plain_ratio_batch=plain.rms_ratio_batch,
                residual_ratio_batch=residual.rms_ratio_batch,
            )
        )
    return lines


def gradient_flow_card_from(
    study: GradientFlowStudy, lang: str = "en"
) -> tuple[np.ndarray, dict[str, Any]]:
    """Card and numbers of a computed gradient-flow study (see `gradient_flow_card`)."""
    depths = ", ".join(str(d) for d in sorted({r.depth for r in study.results}))
    if study.trained_steps == 0:
        how = t("flow_how_init", lang, seed=study.seed, n=study.n_train)
    else:
        how = t(
            "flow_how_trained", lang, steps=study.trained_steps, seed=study.seed, n=study.n_train
        )
    lines = [
        t("flow_models_line", lang, depths=depths, how=how, size=study.image_size),
        t("flow_method_line", lang),
        *summarize_gradient_flow(study, lang),
    ]
    rows = [
        Row(440, [partial(charts.plot_correlation, study=study, lang=lang)]),
        Row(440, [partial(charts.plot_gradient_norms, study=study, lang=lang, batch_stats=False)]),
        Row(440, [partial(charts.plot_gradient_norms, study=study, lang=lang, batch_stats=True)]),
    ]
    card = layout_card(
        t("flow_title", lang, when=charts.when(study.trained_steps, lang)), rows, lines
    )
    return card, {"panel": "gradient_flow", "caption": lines, "result": study.to_json()}


def gradient_flow_card(
    depths: Sequence[int] = (8, 20, 56),
    trained_steps: int = 0,
    seed: int = 0,
    progress: Progress | None = None,
    lang: str = "en",
) -> tuple[np.ndarray, dict[str, Any]]:
    """Measure gradient flow of plain and residual twins and lay out the card.

    Returns:
        (card RGB uint8 (H, 1200, 3), JSON-ready numbers).
    """
    study = gradient_flow_study(depths, trained_steps, seed, progress=progress)
    return gradient_flow_card_from(study, lang)


def race_losses(snapshot: RaceSnapshot, lang: str = "en", bold: bool = True) -> str:
    """ "plain-20 **2.101**, plain-56 **2.254**, …": each net's mean loss of the last 20 steps."""
    mark = "**" if bold else ""
    return t("race_list_sep", lang).join(
        f"{charts.race_net_name(key, lang)} {mark}{snapshot.recent_loss(key):.3f}{mark}"
        for key in snapshot.config.keys
    )


def race_test_errors(snapshot: RaceSnapshot, lang: str = "en") -> str:
    """ "plain-20 41.4 %, …": each net's latest held-out error."""
    return t("race_list_sep", lang).join(
        f"{charts.race_net_name(key, lang)} {100 * snapshot.last_test_error(key):.1f} %"
        for key in snapshot.config.keys
    )


def race_captions(snapshot: RaceSnapshot, lang: str = "en") -> list[str]:
    """The captions of the three views (figures cited, the §4.1 caveat beside the one-depth
    view), each comparison's verdict on this run so far (once it has steps), what the lines
    mean, and what the recording measured (Markdown)."""
    names = {
        view: [charts.race_net_name(k, lang) for k in charts.race_view_keys(snapshot, view)]
        for view in charts.RACE_VIEWS
    }
    captions = []
    for figure in (FIG1, FIG6):
        a, b = names[figure]
        captions.append(t(f"race_caption_{figure}", lang, a=a, b=b))
        if snapshot.step:
            captions.append(live_verdict_words(snapshot, figure, lang))
    return [
        *captions,
        t("race_caption_depth", lang, depth=snapshot.config.depths[1]),
        t("race_caption_lines", lang),
        recorded_words(lang),
    ]


def race_data_words(config: RaceConfig, lang: str = "en") -> str:
    """What the race trains on, e.g. "fresh synthetic shapes for every step … at 16 px, one
    shape per image on a plain colour gradient"."""
    data = t(f"race_data_{config.train_data}", lang, n=config.n_train)
    clutter = ""
    if not config.clutter:
        clutter = t(
            "race_data_plain" if config.distractor_rate == 0 else "race_data_plain_bg", lang
        )
    return t("race_data_line", lang, data=data, size=config.image_size, clutter=clutter)


def race_card_from(snapshot: RaceSnapshot, lang: str = "en") -> tuple[np.ndarray, dict[str, Any]]:
    """Card and numbers of a race snapshot (see `race_card`): the three views, live and
    recorded, with the captions."""
    config = snapshot.config
    nets = t("race_list_sep", lang).join(charts.race_net_name(k, lang) for k in config.keys)
    optimizer = t(f"race_optimizer_{config.optimizer}", lang, lr=config.lr)
    lines = [
        t("race_models_line", lang, nets=nets, shortcut=config.shortcut, seed=config.seed),
        t(
            "race_training_line",
            lang,
            steps=snapshot.step,
            status=t(f"race_status_{snapshot.status}", lang),
            seconds=snapshot.elapsed_s,
            optimizer=optimizer,
            batch=config.batch_size,
            data=race_data_words(config, lang),
            n_test=config.n_test,
        ),
        t("race_loss_line", lang, losses=race_losses(snapshot, lang, bold=False)),
    ]
    if snapshot.eval_steps.size:
        step = int(snapshot.eval_steps[-1])
        lines.append(t("race_test_line", lang, step=step, errors=race_test_errors(snapshot, lang)))
    lines += [_plain(line) for line in race_captions(snapshot, lang)]
    recorded = recorded_race()
    rows = [
        Row(
            charts.RACE_VIEW_HEIGHT,
            [
                partial(
                    charts.plot_race_view,
                    snapshot=snapshot,
                    view=view,
                    recorded=recorded,
                    lang=lang,
                )
            ],
        )
        for view in charts.RACE_VIEWS
    ]
    shallow, deep = config.depths
    card = layout_card(t("race_title", lang, shallow=shallow, deep=deep), rows, lines)
    numbers = {"panel": "race", "caption": lines, "result": snapshot.to_json()}
    if recorded is not None:
        numbers["recorded"] = {
            "file": "assets/race_recorded.json",
            "command": recorded.data["command"],
            "seeds": recorded.seeds,
            "steps": recorded.steps,
            "verdicts": {figure: recorded.verdict(figure) for figure in (FIG1, FIG6)},
            "degradation_shown": recorded.degradation_shown,
            "residual_fix_shown": recorded.residual_fix_shown,
            "final_train_loss": {
                key: dataclasses.asdict(recorded.final(key)) for key in recorded.data["nets"]
            },
        }
    return card, numbers


def _plain(markdown: str) -> str:
    """Markdown emphasis and code marks dropped (cards print plain text)."""
    return markdown.replace("**", "").replace("`", "").replace("*", "")


def race_card(
    max_steps: int = 150,
    time_budget_s: float | None = None,
    seed: int = 0,
    stop: threading.Event | None = None,
    lang: str = "en",
    recipe: RaceConfig | None = None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Run a whole race and lay out its card.

    With no time budget (the default here) the race is a function of its settings, so the card
    can be remade exactly (up to floating-point differences between machines).

    Args:
        max_steps, time_budget_s, seed: the race's length, time limit and seed.
        stop: set it to end the race early.
        lang: "en" or "zh".
        recipe: the other settings. Default: the live race's (`RaceConfig()`).

    Returns:
        (card RGB uint8 (H, 1200, 3), JSON-ready numbers).
    """
    config = dataclasses.replace(
        recipe or RaceConfig(), max_steps=max_steps, time_budget_s=time_budget_s, seed=seed
    )
    return race_card_from(race_to_end(config, stop), lang)


def _similarity(value: float) -> str:
    """A similarity with two decimals; "—" where it is undefined (a zero map)."""
    return f"{value:.2f}" if math.isfinite(value) else "—"


def sanity_final_lines(check: SanityCheck, lang: str = "en") -> list[str]:
    """One line per method: its similarities to the trained map after the last step."""
    return [
        t(
            "sanity_final_line",
            lang,
            method=method,
            step=charts.sanity_step_label(check.steps[-1], lang),
            rho_abs=_similarity(check.final(method, "spearman_abs")),
            rho=_similarity(check.final(method, "spearman")),
            ssim=_similarity(check.final(method, "ssim")),
        )
        for method in check.methods
    ]


def sanity_card_from(
    check: SanityCheck,
    image_name: str | None = None,
    lang: str = "en",
    class_names: Mapping[str, Sequence[str]] | None = None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Card and numbers of a computed sanity check (see `sanity_card`): the input, the grid of
    maps (methods × steps), the similarity chart, and the settings in the caption; the class
    named in `lang` when `class_names` (language -> names) has it."""
    image_name = image_name or t("image_word", lang)
    label = check.target_label
    if lang != "en" and class_names and lang in class_names:
        label = class_names[lang][check.target]
    lines = [
        _model_line(check.model_name, check.weights_source, lang),
        t(
            "sanity_image_line",
            lang,
            image=image_name,
            digest=check.image_digest[:12],
            label=label,
            layer=check.cam_layer,
        ),
        t("sanity_method_line", lang, seed=check.seed),
        t("sanity_measure_line", lang),
        *sanity_final_lines(check, lang),
    ]
    rows = [
        Row(
            charts.sanity_grid_height(check),
            [
                picture(t("card_input", lang), check.view),
                partial(charts.plot_sanity_grid, check=check, lang=lang),
            ],
            [1.0, 7.0],
        ),
        Row(440, [partial(charts.plot_sanity_similarity, check=check, lang=lang)]),
    ]
    card = layout_card(
        t("sanity_title", lang, model=check.model_name, image=image_name), rows, lines
    )
    numbers = {"panel": "sanity", "image": image_name, "caption": lines, "result": check.to_json()}
    return card, numbers


def sanity_card(
    model: LoadedModel,
    image: np.ndarray,
    methods: Sequence[str] = DEFAULT_METHODS,
    image_name: str | None = None,
    progress: Progress | None = None,
    lang: str = "en",
    seed: int = 0,
    cam_layer: str = "layer4",
) -> tuple[np.ndarray, dict[str, Any]]:
    """Run the cascading-randomisation sanity check of one image and lay out its card.

    Args:
        model: the trained network (only read; a copy is randomised).
        image: RGB uint8 (H, W, 3).
        methods: attribution methods. Default: `sanity.DEFAULT_METHODS`.
        image_name: shown in the caption. Default: "image" in `lang`.
        progress: optional callback, see `Progress`.
        lang: "en" or "zh". Default: "en".
        seed: seed of the re-initialisation. Default: 0.
        cam_layer: block of the layer methods. Default: "layer4".

    Returns:
        (card RGB uint8 (H, 1200, 3), JSON-ready numbers).
    """
    check = sanity_check(model, image, methods, cam_layer=cam_layer, seed=seed, progress=progress)
    return sanity_card_from(check, image_name, lang, model.class_names)
