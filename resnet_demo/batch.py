"""A batch of images through the intact and the switched network: top-1 each, nothing drawn.

The app's "A batch of images" panel (`ui.batch`) and scripts use it; no Gradio here. A batch is a
list of `Source`s (an uploaded file, decoded lazily through `imaging.decode_image`; or a freshly
generated shape with its true class), at most `MAX_IMAGES`. `run` classifies them one at a time,
yielding a `Row` per image (or a `Skip` naming a file that is not an image), so a caller can show
progress and stop between images; `collect` sorts the rows by what the switches do (top-1
flipped first, then by how much the intact top-1 class lost) into a `Batch`. For labelled shapes,
`class_accuracy` and `confusion` count what each network got right.

Each image costs one forward pass per network (no maps): the same per-request `SwitchedResNet`
view and the same softmax as `analysis.analyze`, under the model's lock, so the switched top-1
is the switched network's own prediction, equal to what `analyze` reports for that image.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from resnet_demo import shapes
from resnet_demo.analysis import class_probabilities
from resnet_demo.errors import DemoError, parse_whole
from resnet_demo.imaging import decode_image
from resnet_demo.models import LoadedModel
from resnet_demo.switches import INTACT, SwitchedResNet, validate_modes

MAX_IMAGES = 64
"""Most images in one batch of the app; more files are not opened (`cap`)."""
BATCH_SEED_START = shapes.TEST_SEED_START + 8_000_000
"""First seed of the batches' fresh shapes (test namespace, never trained on; the lab's lesion
curves start at +4,000,000)."""
SEED_BLOCKS = 1_000_000
"""Fresh batches start at BATCH_SEED_START + k * MAX_IMAGES for a random k below this."""
MAX_NAME = 80
"""Longest file name kept (a caption, a CSV cell)."""


class BatchError(DemoError):
    """A batch that cannot run (too many shapes, a model not trained on shapes); a catalogue key
    of the `[batch]` table."""


@dataclass(frozen=True)
class Source:
    """One image of a batch, not yet read.

    Attributes:
        name: what the image is called (the uploaded file's name, "shape 10000123").
        load: returns the image, RGB uint8 (H, W, 3); raises `DemoError` (an `ImageError`) for
            a file that is not a usable image.
        label: true class index (generated shapes), or None.
    """

    name: str
    load: Callable[[], np.ndarray]
    label: int | None = None


@dataclass(frozen=True)
class Row:
    """What both networks say about one image.

    Attributes:
        name: the source's name.
        view: the crop the network saw, RGB uint8 (S, S, 3).
        intact: the intact network's top-1 class index.
        intact_p: its probability under the intact network, in [0, 1].
        switched: the switched network's top-1 class index (= intact with no switches).
        switched_p: its probability under the switched network.
        kept_p: the switched network's probability of the intact top-1 class.
        label: true class index, or None.
    """

    name: str
    view: np.ndarray
    intact: int
    intact_p: float
    switched: int
    switched_p: float
    kept_p: float
    label: int | None = None

    @property
    def flipped(self) -> bool:
        """True when the switches changed the top-1 class."""
        return self.intact != self.switched

    @property
    def drop(self) -> float:
        """How much probability the intact top-1 class lost to the switches (negative: gained)."""
        return self.intact_p - self.kept_p


@dataclass(frozen=True)
class Skip:
    """A file left out of the batch, and why (`error.words(lang)`)."""

    name: str
    error: DemoError


@dataclass(frozen=True)
class Batch:
    """A classified batch.

    Attributes:
        model_name: the model that classified it.
        switches: the blocks that were not intact (block -> mode); empty for none.
        rows: one per image, in `sort_rows` order.
        skipped: the files that were not images, in the order given.
        left_out: files beyond `MAX_IMAGES`, never opened.
        first_seed: first seed of a batch of generated shapes (seeds first_seed ..
            first_seed + n - 1), else None.
        n_classes: number of classes of the model.
    """

    model_name: str
    switches: Mapping[str, str]
    rows: tuple[Row, ...]
    skipped: tuple[Skip, ...] = ()
    left_out: int = 0
    first_seed: int | None = None
    n_classes: int = 0

    @property
    def labelled(self) -> bool:
        """True when every image has a true class (generated shapes)."""
        return bool(self.rows) and all(r.label is not None for r in self.rows)

    @property
    def n_flipped(self) -> int:
        """Images whose top-1 class the switches changed."""
        return sum(r.flipped for r in self.rows)

    @property
    def mean_drop(self) -> float:
        """Mean of `Row.drop` over the images (0.0 for none)."""
        return float(np.mean([r.drop for r in self.rows])) if self.rows else 0.0


# ---- sources ------------------------------------------------------------------------------


def file_source(path: str | Path, name: str | None = None) -> Source:
    """An image file, decoded only when the batch reaches it (`imaging.decode_image`: the size,
    format and structure checks of every upload; an archive is never unpacked)."""
    shown = (name or Path(path).name)[:MAX_NAME]
    return Source(shown, lambda: decode_image(Path(path)))


def check_count(n: object) -> int:
    """How many shapes a batch asks for: a whole number in 1..MAX_IMAGES.

    Raises:
        BatchError: anything else (key `batch_bad_count`).
    """
    try:
        return parse_whole(n, "n", 1, MAX_IMAGES, numerals=True)
    except DemoError:
        raise BatchError("batch_bad_count", value=repr(n), most=MAX_IMAGES) from None


def fresh_seed() -> int:
    """The first seed of a new batch of shapes: a random block of `MAX_IMAGES` seeds at or
    above `BATCH_SEED_START`."""
    return BATCH_SEED_START + secrets.randbelow(SEED_BLOCKS) * MAX_IMAGES


def is_shapes_model(model: LoadedModel) -> bool:
    """True when the model's classes are the generated shapes' (the embedded models)."""
    return tuple(model.categories) == shapes.CLASS_NAMES


def shape_sources(model: LoadedModel, n: object, first_seed: int | None = None) -> list[Source]:
    """`n` generated shapes with their true classes (seeds first_seed .. first_seed + n - 1).

    Args:
        model: the model that will classify them: its classes must be the shapes'.
        n: how many, 1..MAX_IMAGES.
        first_seed: default `fresh_seed()`; at least `shapes.TEST_SEED_START` (never trained
            on).

    Raises:
        BatchError: a bad count, or a model not trained on the shapes (`batch_not_shapes`).
    """
    n = check_count(n)
    if not is_shapes_model(model):
        raise BatchError("batch_not_shapes", model=model.name, n_classes=len(model.categories))
    first = fresh_seed() if first_seed is None else int(first_seed)
    if first < shapes.TEST_SEED_START:
        raise ValueError(f"shape seeds must be >= {shapes.TEST_SEED_START}, got {first}")
    size = model.preprocessing.crop_size
    images, labels, _, _ = shapes.generate_batch(first, n, size=size)
    return [Source(f"shape {first + i}", _constant(images[i]), int(labels[i])) for i in range(n)]


def _constant(image: np.ndarray) -> Callable[[], np.ndarray]:
    return lambda: image


def cap(sources: Sequence[Source], most: int = MAX_IMAGES) -> tuple[list[Source], int]:
    """(the first `most` sources, how many were left out)."""
    return list(sources[:most]), max(0, len(sources) - most)


# ---- classifying --------------------------------------------------------------------------


def _switched_only(model: LoadedModel, switches: Mapping[str, str] | None) -> dict[str, str]:
    return {k: v for k, v in validate_modes(model.module, switches).items() if v != INTACT}


def _probabilities(model: LoadedModel, modes: Mapping[str, str], x: torch.Tensor) -> torch.Tensor:
    """Every class's probability for one image, as `analyze` computes it."""
    return class_probabilities(SwitchedResNet(model.module, modes)(x))


def classify(
    model: LoadedModel,
    image: np.ndarray,
    switches: Mapping[str, str] | None = None,
    name: str = "",
    label: int | None = None,
) -> Row:
    """One image through the intact network and, when blocks are switched, the switched one.

    Args:
        model: a loaded model (its lock is held for the two forward passes).
        image: RGB uint8 (H, W, 3), any size (resized and cropped as the weights expect).
        switches: block -> mode; default every block intact.
        name: the row's name.
        label: true class index, or None.

    Raises:
        SwitchError: an unknown block or mode.
    """
    modes = _switched_only(model, switches)
    view = model.preprocessing.model_view(image)
    x = model.to_input(view)
    with model.lock, torch.inference_mode():
        intact = _probabilities(model, {}, x)
        switched = _probabilities(model, modes, x) if modes else intact
    top, top_switched = int(intact.argmax()), int(switched.argmax())
    return Row(
        name=name,
        view=np.ascontiguousarray(view),
        intact=top,
        intact_p=float(intact[top]),
        switched=top_switched,
        switched_p=float(switched[top_switched]),
        kept_p=float(switched[top]),
        label=label,
    )


def run(
    model: LoadedModel, sources: Iterable[Source], switches: Mapping[str, str] | None = None
) -> Iterator[Row | Skip]:
    """Classify `sources` one at a time: a `Row` per image, a `Skip` per file that is not one.

    Each image is read, cropped and dropped before the next is read (a batch holds only the
    crops). Stopping the iteration stops the batch.

    Raises:
        SwitchError: an unknown block or mode (before the first image).
    """
    modes = _switched_only(model, switches)
    for source in sources:
        try:
            image = source.load()
        except DemoError as exc:
            yield Skip(source.name, exc)
            continue
        yield classify(model, image, modes, source.name, source.label)


def sort_rows(rows: Iterable[Row]) -> tuple[Row, ...]:
    """Rows whose top-1 flipped first, then by `Row.drop`, largest first (stable otherwise)."""
    return tuple(sorted(rows, key=lambda r: (not r.flipped, -r.drop)))


def collect(
    model: LoadedModel,
    outcomes: Iterable[Row | Skip],
    switches: Mapping[str, str] | None = None,
    left_out: int = 0,
    first_seed: int | None = None,
) -> Batch:
    """The `Batch` of `run`'s outcomes, rows sorted by `sort_rows`."""
    items = list(outcomes)
    return Batch(
        model_name=model.name,
        switches=_switched_only(model, switches),
        rows=sort_rows(r for r in items if isinstance(r, Row)),
        skipped=tuple(s for s in items if isinstance(s, Skip)),
        left_out=left_out,
        first_seed=first_seed,
        n_classes=len(model.categories),
    )


def classify_batch(
    model: LoadedModel,
    sources: Sequence[Source],
    switches: Mapping[str, str] | None = None,
    first_seed: int | None = None,
) -> Batch:
    """`run` and `collect` in one call, the first `MAX_IMAGES` sources only."""
    kept, left_out = cap(sources)
    return collect(model, run(model, kept, switches), switches, left_out, first_seed)


# ---- labelled batches ---------------------------------------------------------------------


@dataclass(frozen=True)
class ClassScore:
    """How often each network got one class right.

    Attributes:
        label: class index.
        n: images of that class.
        intact: of those, classified right by the intact network.
        switched: of those, classified right by the switched network.
    """

    label: int
    n: int
    intact: int
    switched: int


def class_accuracy(rows: Iterable[Row], n_classes: int) -> list[ClassScore]:
    """One `ClassScore` per class, in class order (rows without a label are not counted)."""
    rows = [r for r in rows if r.label is not None]
    return [
        ClassScore(
            label=c,
            n=sum(r.label == c for r in rows),
            intact=sum(r.label == c and r.intact == c for r in rows),
            switched=sum(r.label == c and r.switched == c for r in rows),
        )
        for c in range(n_classes)
    ]


def confusion(rows: Iterable[Row], n_classes: int, switched: bool = True) -> np.ndarray:
    """Counts int64 (n_classes, n_classes): [true class, predicted class], predictions of the
    switched network (`switched`) or of the intact one; rows without a label are not counted."""
    table = np.zeros((n_classes, n_classes), dtype=np.int64)
    for r in rows:
        if r.label is not None:
            table[r.label, r.switched if switched else r.intact] += 1
    return table


def misclassified(rows: Iterable[Row]) -> list[Row]:
    """The labelled rows the switched network got wrong, in the given order."""
    return [r for r in rows if r.label is not None and r.switched != r.label]


SUMMARY_FIELDS = (
    "file",
    "intact_top1",
    "intact_probability",
    "switched_top1",
    "switched_probability",
    "flipped",
    "error",
)
"""The columns of a batch's summary.csv (probabilities in [0, 1]; with no switches the switched
columns repeat the intact ones)."""


def summary_row(
    file: str, intact: str, intact_p: float, switched: str, switched_p: float
) -> dict[str, str]:
    """One analysed image's summary.csv row (`SUMMARY_FIELDS`): top-1 class names and their
    probabilities, intact and switched ("flipped" when the names differ)."""
    return {
        "file": file,
        "intact_top1": intact,
        "intact_probability": f"{intact_p:.4f}",
        "switched_top1": switched,
        "switched_probability": f"{switched_p:.4f}",
        "flipped": str(intact != switched).lower(),
        "error": "",
    }


def error_row(file: str, message: str) -> dict[str, str]:
    """The summary.csv row of a file that could not be read or analysed: its message."""
    return dict.fromkeys(SUMMARY_FIELDS, "") | {"file": file, "error": message}


def summary_rows(batch: Batch, names: Sequence[str], lang: str = "en") -> list[dict[str, str]]:
    """The batch as summary.csv rows (`SUMMARY_FIELDS`, as the CLI writes them), class names
    from `names`: the images in `batch.rows` order, then the skipped files with their message in
    `lang`."""
    rows = [
        summary_row(r.name, names[r.intact], r.intact_p, names[r.switched], r.switched_p)
        for r in batch.rows
    ]
    return rows + [error_row(s.name, s.error.words(lang)) for s in batch.skipped]
