"""Headless front end: the same numbers and figures as the app, for slides and scripts.

    python -m resnet_demo explain IMAGE|FOLDER ... [--model NAME] [--weights PATH|random]
        [--labels [LANG=]FILE ...] [--input-size PX] [--mean R G B] [--std R G B]
        [--target CLASS] [--cam-layer LAYER] [--switch BLOCK=MODE ...] [--top-k K] [--method NAME]
        [--baseline black|blurred] [--steps N] [--samples N] [--lang en|zh] --out DIR
    python -m resnet_demo lab sweep IMAGE [--model NAME] [--weights W] --out DIR
    python -m resnet_demo lab curves [--image-set shapes|examples] [--images N] [--draws D] ...
    python -m resnet_demo lab robustness [--images N] [--draws D] [--seed S] --out DIR
    python -m resnet_demo lab gradient-flow [--depths D ...] [--steps S] [--seed S] --out DIR
    python -m resnet_demo lab race [--steps S] [--seed S] --out DIR
    python -m resnet_demo lab sanity IMAGE [--model NAME] [--methods M ...] [--seed S] --out DIR
    python -m resnet_demo models

Every line a user reads comes from the text catalogue (`--lang zh` for 简体中文). Bad input ends
with a one-line message on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from resnet_demo.analysis.methods import (
    GRADCAM,
    METHOD_NAMES,
    METHODS,
    Method,
    Setting,
    setting_flags,
)
from resnet_demo.batch import SUMMARY_FIELDS, error_row, summary_row
from resnet_demo.errors import DemoError
from resnet_demo.imaging import decode_image, encode_png
from resnet_demo.lab.curves import DRAWS, ROBUST_MODELS
from resnet_demo.lab.panels import PANELS
from resnet_demo.models import (
    EMBEDDED,
    LoadedModel,
    model_names,
    parse_model_name,
    weights_status,
)
from resnet_demo.models.describe import CLI, accuracy_label, shapes_notice
from resnet_demo.models.device import device_flag, device_from_flag, use_device
from resnet_demo.models.own import load_flagged_model, own_model_flags
from resnet_demo.models.registry import uses_bottleneck
from resnet_demo.render import overlay, result_card
from resnet_demo.render.colormaps import PALETTES
from resnet_demo.render.report import card_content, class_names
from resnet_demo.text import LANGS, argv_lang, catalogue, t


class CliError(DemoError):
    """A user mistake on the command line, named by a catalogue key (table `[cli]`)."""


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
            raise CliError("cli_target_range", index=index, last=len(model.categories) - 1)
        return index
    lowered = [c.lower() for c in model.categories]
    if target.strip().lower() in lowered:
        return lowered.index(target.strip().lower())
    raise CliError("cli_target_unknown", target=repr(target), model=model.name)


def write_json(path: Path, data: Any) -> None:
    """Write strict JSON (no NaN: every `to_json` turns NaN into null itself)."""
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False), "utf-8")


def method_settings(args: argparse.Namespace) -> dict[str, object]:
    """The method settings given on the command line (`analysis.methods.setting_flags`), for
    `analysis.methods.resolve_settings`: a setting the method lacks is refused there."""
    names = [uses[0][1].name for uses in setting_flags().values()]
    given = {name: getattr(args, name, None) for name in names}
    return {key: value for key, value in given.items() if value is not None}


IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff")
"""What `explain` takes from a folder (case-insensitive); other files are passed over."""


def run_explain(args: argparse.Namespace) -> int:
    """Analyse one image and write result.json, cam.npy, activations.npz, overlay.png, card.png
    into --out; several images, or a folder, each into a folder of its own plus summary.csv."""
    model = load_flagged_model(args)
    switches = parse_switches(args.switch)
    target = resolve_target(model, args.target)
    settings = {
        "cam_layer": args.cam_layer,
        "top_k": args.top_k,
        "method": args.method,
        "method_settings": method_settings(args),
    }
    job = Job(args.lang, switches, target, settings, args.palette)
    out = Path(args.out)
    paths = [Path(image) for image in args.image]
    if len(paths) == 1 and not paths[0].is_dir():
        explain_one(model, paths[0], out, job)
        print_notice(model, args.lang)
        print(t("cli_wrote_explain", args.lang, out=out))
        return 0
    return explain_batch(model, paths, out, job)


def print_notice(model: LoadedModel, lang: str) -> None:
    """For a model that knows only the shapes, say so under its predictions, and how to get a
    model for photos (`models.describe.shapes_notice`); nothing for any other model."""
    for line in shapes_notice(model.categories, lang, CLI):
        print(line)


class Job(NamedTuple):
    """What `explain` does to every image: words' language, switches, target (None: top-1),
    `analyze` settings and the heat maps' colour map."""

    lang: str
    switches: dict[str, str]
    target: int | None
    settings: dict[str, Any]
    palette: str


def explain_one(model: LoadedModel, path: Path, out: Path, job: Job) -> dict[str, Any]:
    """Analyse `path` (with the intact network too when blocks are switched), write its five
    outputs into `out` and print its top classes; returns its summary row (`SUMMARY_FIELDS`)."""
    from resnet_demo.analysis import analyze, compare

    lang = job.lang
    image = decode_image(path)
    analysis = analyze(model, image, switches=job.switches, target=job.target, **job.settings)
    intact, comparison = analysis, None
    if analysis.switched:
        intact = analyze(model, image, target=analysis.target, **job.settings)
        comparison = compare(intact, analysis)
    out.mkdir(parents=True, exist_ok=True)
    result = analysis.to_json()
    result["image"] = path.name
    if comparison is not None:
        result["comparison"] = comparison.to_json()
    notice = shapes_notice(model.categories, lang, CLI)
    if notice:
        result["notice"] = notice
    write_json(out / "result.json", result)
    np.save(out / "cam.npy", analysis.cam.astype(np.float32))
    maps = {a.name: a.mean_map for a in analysis.activations}  # float32 only: nothing to pickle
    np.savez(out / "activations.npz", allow_pickle=False, **maps)
    palette = job.palette
    cmap = None if analysis.signed else palette
    picture = overlay(analysis.image, analysis.cam, cmap=cmap, signed=analysis.signed)
    (out / "overlay.png").write_bytes(encode_png(picture))
    names = class_names(model.class_names, lang)
    content = card_content(analysis, comparison, names, path.name, lang, palette, notice)
    (out / "card.png").write_bytes(encode_png(result_card(content)))
    top = ", ".join(
        f"{names[int(i)]} {p * 100:.1f}%"
        for i, p in zip(analysis.top_indices, analysis.top_probs, strict=True)
    )
    print(t("cli_top", lang, model=analysis.model_name, source=analysis.weights_source, top=top))
    before, after = int(intact.top_indices[0]), int(analysis.top_indices[0])
    p_before, p_after = float(intact.top_probs[0]), float(analysis.probabilities[after])
    return summary_row(str(path), names[before], p_before, names[after], p_after)


def batch_images(paths: Sequence[Path]) -> Iterator[Path]:
    """The images of `paths`, in order: a file as given, a folder's image files (`IMAGE_SUFFIXES`,
    not its subfolders or hidden files) by name. Lazy: a folder of any size is listed by name
    only, and its images are read one at a time."""
    for path in paths:
        if not path.is_dir():
            yield path
            continue
        names = sorted(
            entry.name
            for entry in os.scandir(path)
            if entry.is_file()
            and not entry.name.startswith(".")
            and entry.name.lower().endswith(IMAGE_SUFFIXES)
        )
        for name in names:
            yield path / name


def explain_batch(model: LoadedModel, paths: Sequence[Path], out: Path, job: Job) -> int:
    """Every image of `paths` into a folder of its own under `out` (named after the file; a
    repeated name gets "-2", "-3" …), one row each in `out`/summary.csv, written as it goes.
    A file that cannot be read or analysed gets its message on stderr and in the row's `error`
    column, and the batch goes on; the exit code is then 2. The switches, layer and method
    settings are checked once, before the first image."""
    from resnet_demo.analysis.methods import resolve_settings
    from resnet_demo.switches import resolve_layer, validate_modes

    lang, settings = job.lang, job.settings
    validate_modes(model.module, job.switches)
    resolve_layer(model.module, settings["cam_layer"])
    size = model.preprocessing.crop_size
    resolve_settings(settings["method"], size, settings["method_settings"])
    out.mkdir(parents=True, exist_ok=True)
    print_notice(model, lang)  # once, before the images: it is the same for every one
    used: set[str] = set()
    failed = done = 0
    with (out / "summary.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=SUMMARY_FIELDS)
        writer.writeheader()
        for path in batch_images(paths):
            folder = _unused(path.name, used)
            print(t("cli_batch_image", lang, index=done + failed + 1, image=path))
            try:
                row = explain_one(model, path, out / folder, job)
            except (DemoError, OSError) as exc:
                message = exc.words(lang) if isinstance(exc, DemoError) else _os_words(exc)
                print(t("cli_error", lang, message=f"{path}: {message}"), file=sys.stderr)
                row = error_row(str(path), message)
                failed += 1
            else:
                done += 1
            writer.writerow(row)
            handle.flush()
    if done + failed == 0:
        raise CliError("cli_batch_empty", paths=", ".join(str(p) for p in paths))
    print(t("cli_wrote_batch", lang, out=out, done=done, failed=failed))
    return 2 if failed else 0


def _unused(name: str, used: set[str]) -> str:
    """`name`, or `name`-2, -3 … if an earlier image of the batch took it."""
    folder, n = name, 1
    while folder in used:
        n += 1
        folder = f"{name}-{n}"
    used.add(folder)
    return folder


def _os_words(exc: OSError) -> str:
    return f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")


def parse_switches(items: Sequence[str] | None) -> dict[str, str]:
    """`--switch BLOCK=MODE` arguments as {block: mode} (see `switches.parse_switch_args`)."""
    from resnet_demo.switches import parse_switch_args

    return parse_switch_args(items)


def progress_printer(lang: str) -> Callable[..., None]:
    """A `resnet_demo.progress.Progress` that prints each step on stderr, worded in `lang`."""

    def report(fraction: float, key: str, /, **fields: object) -> None:
        # A step that is not a catalogue key is printed as it is.
        step = t(key, lang, **fields) if key in catalogue(lang) else key
        print(t("cli_progress", lang, percent=fraction * 100, step=step), file=sys.stderr)

    return report


def run_sweep(args: argparse.Namespace) -> tuple[np.ndarray, dict[str, Any]]:
    """`lab sweep`: the lesion-sweep card of one image."""
    from resnet_demo.lab import cards

    image = decode_image(Path(args.image))
    model = load_flagged_model(args)
    progress = progress_printer(args.lang)
    return cards.lesion_sweep_card(model, image, Path(args.image).name, progress, args.lang)


def run_curves(args: argparse.Namespace) -> tuple[np.ndarray, dict[str, Any]]:
    """`lab curves`: the lesion-curves card of an image set."""
    from resnet_demo.lab import cards

    model = load_flagged_model(args)
    return cards.lesion_curves_card(
        model,
        args.image_set,
        n_images=args.images,
        draws=args.draws,
        seed=args.seed,
        progress=progress_printer(args.lang),
        lang=args.lang,
    )


def run_robustness(args: argparse.Namespace) -> tuple[np.ndarray, dict[str, Any]]:
    """`lab robustness`: the lesion curves of `embedded` (stochastic depth) and `embedded-no-sd`
    on the same shapes, side by side."""
    from resnet_demo.lab import cards
    from resnet_demo.models import load_model

    return cards.robustness_card(
        [load_model(name) for name in ROBUST_MODELS],
        n_images=args.images,
        draws=args.draws,
        seed=args.seed,
        progress=progress_printer(args.lang),
        lang=args.lang,
    )


def run_gradient_flow(args: argparse.Namespace) -> tuple[np.ndarray, dict[str, Any]]:
    """`lab gradient-flow`: the gradient-flow card of plain and residual twins."""
    from resnet_demo.lab import cards

    return cards.gradient_flow_card(
        depths=args.depths,
        trained_steps=args.steps,
        seed=args.seed,
        progress=progress_printer(args.lang),
        lang=args.lang,
    )


def run_race(args: argparse.Namespace) -> tuple[np.ndarray, dict[str, Any]]:
    """`lab race`: the degradation-race card, plain-20/56 and ResNet-20/56 (no time budget, so
    it can be remade exactly)."""
    from resnet_demo.lab import cards

    return cards.race_card(max_steps=args.steps, seed=args.seed, lang=args.lang)


def run_sanity(args: argparse.Namespace) -> tuple[np.ndarray, dict[str, Any]]:
    """`lab sanity`: the sanity-check card of one image (cascading randomisation of a copy of
    the model, Adebayo et al. 2018)."""
    from resnet_demo.lab import cards
    from resnet_demo.lab.sanity import DEFAULT_METHODS

    image = decode_image(Path(args.image))
    model = load_flagged_model(args)
    return cards.sanity_card(
        model,
        image,
        args.methods or DEFAULT_METHODS,
        Path(args.image).name,
        progress_printer(args.lang),
        args.lang,
        seed=args.seed,
    )


def run_lab(args: argparse.Namespace) -> int:
    """Remake a classroom-lab card (`card.png`) and its numbers (`result.json`)."""
    card, numbers = args.experiment(args)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "result.json", numbers)
    (out / "card.png").write_bytes(encode_png(card))
    print(t("cli_wrote_lab", args.lang, out=out))
    return 0


def run_models(args: argparse.Namespace) -> int:
    """List every model with how its weights would be obtained now, its published accuracy
    (torchvision's weights metadata, or the embedded model's card) and, for Bottleneck
    architectures, that torchvision builds ResNet V1.5."""
    for name in model_names():
        state = t(f"state_{weights_status(name)}", args.lang)
        notes = [accuracy_label(name, args.lang)]
        spec = parse_model_name(name)
        if not spec.is_embedded and uses_bottleneck(spec.arch):
            notes.append(t("model_v15_short", args.lang))
        print(f"{name:31s} {state:16s} {' · '.join(n for n in notes if n)}".rstrip())
    return 0


def _command(
    group: argparse._SubParsersAction, name: str, key: str, lang: str
) -> argparse.ArgumentParser:
    """A subcommand whose flags are spelt out in full (`--depth` is not short for `--depths`)."""
    return group.add_parser(name, help=t(key, lang), allow_abbrev=False)


def _outputs(parser: argparse.ArgumentParser, lang: str, out_required: bool = True) -> None:
    """The flags every writing command shares: --lang and --out."""
    parser.add_argument("--lang", default="en", choices=LANGS, help=t("cli_lang_help", lang))
    if out_required:
        parser.add_argument("--out", required=True, help=t("cli_out_help", lang))


def _model_flags(parser: argparse.ArgumentParser, lang: str) -> None:
    """`--model --weights` and the teacher's-own-model flags (`models.own.own_model_flags`)."""
    parser.add_argument("--model", default=EMBEDDED, help=t("cli_model_help", lang))
    parser.add_argument("--weights", default=None, help=t("cli_weights_help", lang))
    own_model_flags(parser, lang)


def _add_explain(commands: argparse._SubParsersAction, lang: str) -> None:
    explain = _command(commands, "explain", "cli_explain_help", lang)
    explain.add_argument("image", nargs="+", help=t("cli_image_help", lang))
    _model_flags(explain, lang)
    explain.add_argument("--target", default=None, help=t("cli_target_help", lang))
    explain.add_argument("--cam-layer", default="layer4", help=t("cli_cam_layer_help", lang))
    explain.add_argument(
        "--switch", action="append", metavar="BLOCK=MODE", help=t("cli_switch_help", lang)
    )
    explain.add_argument("--top-k", type=int, default=5, help=t("cli_top_k_help", lang))
    _method_flags(explain, lang)
    explain.add_argument(
        "--palette", default=PALETTES[0], choices=PALETTES, help=t("cli_palette_help", lang)
    )
    _outputs(explain, lang)
    device_flag(explain, lang)
    explain.set_defaults(func=run_explain)


def _method_flags(parser: argparse.ArgumentParser, lang: str) -> None:
    """`--method` and the flags of the methods' settings, worded from the method registry."""
    entries = [
        t("cli_method_entry", lang, name=m.name, words=t(m.words("cli"), lang))
        for m in METHODS.values()
    ]
    listed = t("cli_method_sep", lang).join(entries)
    parser.add_argument(
        "--method",
        default=GRADCAM,
        choices=METHOD_NAMES,
        help=t("cli_method_help", lang, methods=listed),
    )
    for flag, uses in setting_flags().items():
        setting = uses[0][1]
        parser.add_argument(
            flag,
            dest=setting.name,
            type=setting.kind,
            choices=setting.choices or None,
            default=None,
            help=t("cli_setting_sep", lang).join(_setting_help(m, s, lang) for m, s in uses),
        )


def _setting_help(method: Method, setting: Setting, lang: str) -> str:
    """One method's part of a setting flag's help: what it is, its range or choices, default."""
    words = {"method": method.name, "what": t(setting.help, lang), "default": setting.default}
    if setting.choices:
        return t("cli_setting_choice", lang, **words)
    return t("cli_setting_range", lang, low=setting.low, high=setting.high, **words)


def _seed_flag(parser: argparse.ArgumentParser, lang: str) -> None:
    parser.add_argument("--seed", type=int, default=0, help=t("cli_seed_help", lang))


def _set_flags(parser: argparse.ArgumentParser, lang: str) -> None:
    """`--images --draws`: the set size and draws per k of the panels that draw lesion curves."""
    parser.add_argument("--images", type=int, default=64, help=t("cli_images_help", lang))
    parser.add_argument("--draws", type=int, default=DRAWS, help=t("cli_draws_help", lang))


def _sweep_flags(parser: argparse.ArgumentParser, lang: str) -> None:
    parser.add_argument("image", help=t("cli_sweep_image_help", lang))
    _model_flags(parser, lang)


def _curves_flags(parser: argparse.ArgumentParser, lang: str) -> None:
    _model_flags(parser, lang)
    parser.add_argument(
        "--image-set",
        default="shapes",
        choices=["shapes", "examples"],
        help=t("cli_image_set_help", lang),
    )
    _set_flags(parser, lang)
    _seed_flag(parser, lang)


def _robustness_flags(parser: argparse.ArgumentParser, lang: str) -> None:
    _set_flags(parser, lang)
    _seed_flag(parser, lang)


def _flow_flags(parser: argparse.ArgumentParser, lang: str) -> None:
    parser.add_argument(
        "--depths", type=int, nargs="+", default=[20], help=t("cli_depths_help", lang)
    )
    parser.add_argument("--steps", type=int, default=0, help=t("cli_flow_steps_help", lang))
    _seed_flag(parser, lang)


def _race_flags(parser: argparse.ArgumentParser, lang: str) -> None:
    parser.add_argument("--steps", type=int, default=150, help=t("cli_race_steps_help", lang))
    _seed_flag(parser, lang)


def _sanity_flags(parser: argparse.ArgumentParser, lang: str) -> None:
    parser.add_argument("image", help=t("cli_sanity_image_help", lang))
    _model_flags(parser, lang)
    parser.add_argument("--methods", nargs="+", default=None, help=t("cli_methods_help", lang))
    _seed_flag(parser, lang)


class LabCommand(NamedTuple):
    """A lab panel's subcommand: its own flags, and the runner that makes its card from them."""

    flags: Callable[[argparse.ArgumentParser, str], None]
    run: Callable[[argparse.Namespace], tuple[np.ndarray, dict[str, Any]]]


LAB_COMMANDS: dict[str, LabCommand] = {
    "sweep": LabCommand(_sweep_flags, run_sweep),
    "curves": LabCommand(_curves_flags, run_curves),
    "robustness": LabCommand(_robustness_flags, run_robustness),
    "gradient_flow": LabCommand(_flow_flags, run_gradient_flow),
    "race": LabCommand(_race_flags, run_race),
    "sanity": LabCommand(_sanity_flags, run_sanity),
}
"""Lab panel name (`lab.panels.PANELS`, which holds the subcommands' names and order) -> its
subcommand's flags and runner."""


def _add_lab(commands: argparse._SubParsersAction, lang: str) -> None:
    """`lab` with one subcommand per panel of `lab.panels.PANELS`, each with only its own
    flags."""
    lab = _command(commands, "lab", "cli_lab_help", lang)
    experiments = lab.add_subparsers(dest="experiment_name", required=True)
    for panel in PANELS:
        command = LAB_COMMANDS[panel.name]
        parser = _command(experiments, panel.command, panel.command_help, lang)
        command.flags(parser, lang)
        _outputs(parser, lang)
        device_flag(parser, lang)
        parser.set_defaults(func=run_lab, experiment=command.run)


def build_parser(lang: str = "en") -> argparse.ArgumentParser:
    """The argparse tree of `python -m resnet_demo`, its help in `lang`."""
    parser = argparse.ArgumentParser(
        prog="python -m resnet_demo", allow_abbrev=False, description=t("cli_description", lang)
    )
    commands = parser.add_subparsers(dest="command", required=True)
    _add_explain(commands, lang)
    _add_lab(commands, lang)
    models = _command(commands, "models", "cli_models_help", lang)
    _outputs(models, lang, out_required=False)
    models.set_defaults(func=run_models)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(argv_lang(argv)).parse_args(argv)
    if hasattr(args, "device"):  # before anything is loaded
        use_device(device_from_flag(args.device, args.lang))
    import torch

    torch.set_num_threads(max(1, min(4, torch.get_num_threads())))
    try:
        return args.func(args)
    except DemoError as exc:
        message = exc.words(args.lang)
    except ValueError as exc:  # an error without a catalogue key: its own message
        message = str(exc)
    except OSError as exc:
        message = _os_words(exc)
    print(t("cli_error", args.lang, message=message), file=sys.stderr)
    return 2
