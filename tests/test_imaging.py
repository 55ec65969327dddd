"""Tests for resnet_demo.imaging: untrusted bytes in, RGB uint8 or a clear ImageError out."""

from __future__ import annotations

import ast
import base64
import contextlib
import io
import os
import re
import struct
import subprocess
import threading
import time
import tomllib
import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path

import image_fixtures as fx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFile

from resnet_demo import imaging, text
from resnet_demo.errors import DemoError
from resnet_demo.imaging import (
    ALLOWED_FORMATS,
    ImageError,
    ImageLimits,
    data_url_to_bytes,
    decode_image,
    encode_png,
)
from resnet_demo.text import Term, t


def assert_valid_rgb(image: np.ndarray, limits: ImageLimits = imaging.DEFAULT_LIMITS) -> None:
    """The output contract: a fresh, writeable, C-contiguous uint8 (H, W, 3) within limits."""
    assert isinstance(image, np.ndarray)
    assert image.dtype == np.uint8
    assert image.ndim == 3 and image.shape[2] == 3
    assert image.flags.c_contiguous and image.flags.writeable and image.flags.owndata
    height, width = image.shape[:2]
    assert min(height, width) >= limits.min_side
    assert height * width <= limits.max_pixels


@pytest.fixture
def pillow_open_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[object, ...]]:
    """Replace `Image.open` with a recorder; the test asserts it stayed empty. (Raising would
    not do: decode_image turns any exception into an ImageError.)"""
    calls: list[tuple[object, ...]] = []

    def record(*args: object, **kwargs: object) -> None:
        calls.append(args)
        raise OSError("Image.open is switched off in this test")

    monkeypatch.setattr(Image, "open", record)
    return calls


def pillow_allocations() -> int:
    """How many images Pillow's C core has allocated so far (pixel memory, invisible to
    tracemalloc)."""
    return Image.core.get_stats()["new_count"]


def corner(image: np.ndarray, where: str) -> tuple[int, ...]:
    """The colour 3 pixels in from the named corner."""
    row = 2 if where.startswith("top") else image.shape[0] - 3
    col = 2 if where.endswith("left") else image.shape[1] - 3
    return tuple(int(v) for v in image[row, col])


# ------------------------------------------------------------------------------ good images


def test_allowed_formats_are_the_common_raster_formats() -> None:
    assert {"JPEG", "MPO", "PNG", "WEBP", "GIF", "BMP", "TIFF"} == ALLOWED_FORMATS


@pytest.mark.parametrize("name", sorted(fx.GOOD_FIXTURES))
def test_every_allowed_format_decodes(name: str) -> None:
    image = decode_image(fx.GOOD_FIXTURES[name]())
    assert_valid_rgb(image)
    assert image.shape == ((24, 32, 3) if name == "mpo" else (48, 64, 3))


@pytest.mark.parametrize("name", sorted(fx.LOSSLESS_FIXTURES))
def test_lossless_formats_decode_exactly(name: str) -> None:
    np.testing.assert_array_equal(decode_image(fx.LOSSLESS_FIXTURES[name]()), fx.sample_rgb())


def test_jpeg_matches_pillows_own_decoder() -> None:
    data = fx.good_jpeg_bytes()
    oracle = np.array(Image.open(io.BytesIO(data)).convert("RGB"))
    np.testing.assert_array_equal(decode_image(data), oracle)


def test_mpo_uses_the_first_picture() -> None:
    image = decode_image(fx.mpo_bytes())
    assert np.abs(image.astype(int) - fx.RED).max() <= 3


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("png", "PNG"),
        ("jpeg", "JPEG"),
        ("mpo", "JPEG"),
        ("gif", "GIF"),
        ("webp", "WEBP"),
        ("bmp", "BMP"),
        ("tiff", "TIFF"),
    ],
)
def test_pillow_tries_only_the_format_the_magic_bytes_name(
    name: str, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = Image.open
    asked: list[object] = []

    def spy(fp: object, mode: str = "r", formats: object = None) -> Image.Image:
        asked.append(formats)
        return original(fp, mode, formats)  # type: ignore[arg-type]

    monkeypatch.setattr(Image, "open", spy)
    assert_valid_rgb(decode_image(fx.GOOD_FIXTURES[name]()))
    assert asked == [[fmt]]


@pytest.mark.parametrize("kind", ["bytes", "bytearray", "memoryview", "str", "path"])
def test_all_source_types_give_the_same_image(kind: str, tmp_path: Path) -> None:
    data = fx.good_png_bytes()
    path = tmp_path / "photo.png"
    path.write_bytes(data)
    source = {
        "bytes": data,
        "bytearray": bytearray(data),
        "memoryview": memoryview(bytearray(data)),
        "str": str(path),
        "path": path,
    }[kind]
    np.testing.assert_array_equal(decode_image(source), fx.sample_rgb())


# ----------------------------------------------------------------- bombs, strips, huge headers


def test_png_bomb_is_refused_quickly_without_allocating() -> None:
    bomb = fx.png_bomb_bytes()
    assert len(bomb) < 100_000  # a real small file...
    assert struct.unpack(">II", bomb[16:24]) == (20_000, 20_000)
    allocations = pillow_allocations()
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(ImageError, match=r"400 megapixels; the limit is 40 megapixels") as info:
        decode_image(bomb)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert elapsed < 1.0
    assert peak < 5 * 1024 * 1024  # ...that claims 400 megapixels (1.2 GB as RGB)
    assert pillow_allocations() == allocations  # no pixel buffer was ever allocated
    assert isinstance(info.value.__cause__, Image.DecompressionBombError)


@pytest.mark.parametrize(
    ("width", "height", "message"),
    [
        (1, 60_000_000, r"1 × 60000000 pixels \(60 megapixels\); the limit is 40 megapixels"),
        (1, 20_000, r"longest side may be at most 12000 pixels"),
        (20_000, 1, r"longest side may be at most 12000 pixels"),
        (300, 10, r"30 times wider than tall; the limit is 20 to 1"),
        (10, 300, r"30 times taller than wide; the limit is 20 to 1"),
        (4, 100, r"each side must be at least 8 pixels"),
    ],
    ids=["1x60M-pixels", "1x20000-side", "20000x1-side", "300x10-aspect", "10x300-aspect", "4x100"],
)
def test_strips_and_tiny_images_are_refused_from_the_header(
    width: int, height: int, message: str
) -> None:
    data = fx.strip_png_bytes(width, height)
    allocations = pillow_allocations()
    started = time.perf_counter()
    with pytest.raises(ImageError, match=message):
        decode_image(data)
    assert time.perf_counter() - started < 1.0
    assert pillow_allocations() == allocations


@pytest.mark.parametrize(
    ("fmt", "width", "height", "message"),
    [
        ("png", 10_000, 10_000, r"100 megapixels"),  # Pillow's DecompressionBombWarning
        ("png", 7_000, 7_000, r"7000 × 7000 pixels \(49 megapixels\)"),  # our own cap
        ("gif", 65_535, 65_535, r"4,295 megapixels"),
        ("jpeg", 65_500, 65_500, r"4,290 megapixels"),
        ("bmp", 30_000, 30_000, r"900 megapixels"),
        ("tiff", 7_000, 7_000, r"49 megapixels"),
        ("tiff", 15_000, 100, r"longest side"),
        ("webp-vp8l", 16_384, 16_384, r"268 megapixels"),
        ("webp-vp8x", 1 << 24, 1 << 24, r"281,474,977 megapixels"),
        ("webp-vp8x", 7_000, 7_000, r"49 megapixels"),
    ],
)
def test_forged_headers_are_refused_before_decoding(
    fmt: str, width: int, height: int, message: str
) -> None:
    data = fx.forged_size_bytes(fmt, width, height)
    assert len(data) < 2_000
    allocations = pillow_allocations()
    started = time.perf_counter()
    with pytest.raises(ImageError, match=message):
        decode_image(data)
    assert time.perf_counter() - started < 1.0
    assert pillow_allocations() == allocations


def test_tiff_tiles_larger_than_the_pixel_cap_are_refused() -> None:
    data = fx.tiled_tiff_bytes(64, 64, 9216)
    assert len(data) < 100_000
    allocations = pillow_allocations()
    with pytest.raises(ImageError, match=r"tiles of 9216 × 9216 pixels \(84.9 megapixels\)"):
        decode_image(data)
    assert pillow_allocations() == allocations


def test_ordinary_tiled_tiff_decodes() -> None:
    image = decode_image(fx.tiled_tiff_bytes(64, 48, 64))
    assert image.shape == (48, 64, 3)
    assert not image.any()


def test_pillows_bomb_warning_is_an_error_even_above_our_limits() -> None:
    generous = ImageLimits(max_pixels=150_000_000, max_side=20_000)  # above Pillow's 89.5 M
    data = fx.forged_size_bytes("png", 10_000, 10_000)
    allocations = pillow_allocations()
    with pytest.raises(ImageError, match=r"100 megapixels; the limit is 150 megapixels") as info:
        decode_image(data, generous)
    assert isinstance(info.value.__cause__, Image.DecompressionBombWarning)
    assert pillow_allocations() == allocations


def test_webp_canvas_is_measured_before_pillow_sees_it(
    pillow_open_calls: list[tuple[object, ...]],
) -> None:
    # libwebp allocates the whole canvas when Pillow opens a WebP, so Pillow must not open it.
    with pytest.raises(ImageError, match="megapixels"):
        decode_image(fx.forged_size_bytes("webp-vp8x", 20_000, 20_000))
    assert pillow_open_calls == []


def test_custom_limits_are_named_in_the_message() -> None:
    with pytest.raises(ImageError, match=r"3,072 pixels\); the limit is 1,000 pixels"):
        decode_image(fx.good_png_bytes(), ImageLimits(max_pixels=1_000))
    with pytest.raises(ImageError, match=r"at most 50 pixels"):
        decode_image(fx.good_png_bytes(), ImageLimits(max_side=50))
    with pytest.raises(ImageError, match=r"at least 60 pixels"):
        decode_image(fx.good_png_bytes(), ImageLimits(min_side=60))
    with pytest.raises(ImageError, match=r"2 times wider than tall; the limit is 1.2 to 1"):
        decode_image(fx.good_png_bytes(64, 32), ImageLimits(max_aspect=1.2))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_bytes": 0},
        {"max_pixels": -1},
        {"min_side": 0},
        {"max_aspect": 0.5},
        {"min_side": 9, "max_side": 8},
    ],
)
def test_nonsense_limits_are_rejected(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must"):
        ImageLimits(**kwargs)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------- byte caps


def test_byte_cap_on_bytes() -> None:
    data = fx.good_png_bytes()
    with pytest.raises(ImageError, match=r"The file is 7 KB; the limit is 1000 bytes"):
        decode_image(data, ImageLimits(max_bytes=1_000))
    with pytest.raises(ImageError, match=r"The file is 21 MB; the limit is 20 MB"):
        decode_image(bytes(21 * 1024 * 1024))


def test_byte_cap_on_a_path_is_checked_before_reading(tmp_path: Path) -> None:
    huge = tmp_path / "huge.jpg"
    with huge.open("wb") as handle:
        handle.write(fx.good_jpeg_bytes())
        handle.truncate(5 * 1024**3)  # a sparse 5 GB file: costs no disk, would cost 5 GB of RAM
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(ImageError, match=r"The file is 5120 MB; the limit is 20 MB"):
        decode_image(huge)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert elapsed < 0.5
    assert peak < 1024 * 1024


@pytest.mark.parametrize("kind", ["directory", "fifo", "missing", "nul"])
def test_paths_that_are_not_files(kind: str, tmp_path: Path) -> None:
    path: str | Path = tmp_path / "thing.png"
    if kind == "directory":
        Path(path).mkdir()
    elif kind == "fifo":
        os.mkfifo(path)  # opening it for reading must not block
    elif kind == "nul":
        path = str(path) + "\x00.png"
    message = "is not an image file" if kind in ("directory", "fifo") else "could not be opened"
    with pytest.raises(ImageError, match=message):
        decode_image(path)


def test_error_messages_name_the_file_but_not_the_server_path(tmp_path: Path) -> None:
    with pytest.raises(ImageError) as info:
        decode_image(tmp_path / "missing-cat.png")
    assert "missing-cat.png" in str(info.value)
    assert str(tmp_path) not in str(info.value)


# ------------------------------------------------------------------------ not images at all


@pytest.mark.parametrize("name", sorted(fx.NOT_IMAGE_FIXTURES))
def test_non_images_are_refused_without_pillow(
    name: str, monkeypatch: pytest.MonkeyPatch, pillow_open_calls: list[tuple[object, ...]]
) -> None:
    make, phrase = fx.NOT_IMAGE_FIXTURES[name]
    data = make()
    started_programs: list[object] = []
    monkeypatch.setattr(subprocess, "Popen", lambda *args, **kwargs: started_programs.append(args))
    supported = r"not a supported image \(JPEG, PNG, WebP, GIF, BMP or TIFF\)"
    with pytest.raises(ImageError, match=supported) as info:
        decode_image(data)
    assert phrase in str(info.value)
    assert pillow_open_calls == []
    assert started_programs == []  # Ghostscript never runs


def test_heic_message_says_what_to_do() -> None:
    with pytest.raises(ImageError, match="export it as JPEG or PNG"):
        decode_image(fx.heic_bytes())


@pytest.mark.parametrize("fmt", fx.PILLOW_ONLY_FORMATS)
def test_formats_pillow_reads_but_we_refuse(fmt: str) -> None:
    data = fx.pillow_only_bytes(fmt)
    assert Image.open(io.BytesIO(data)).format == fmt  # Pillow alone would decode it
    with pytest.raises(ImageError, match="not a supported image"):
        decode_image(data)


def test_empty_file() -> None:
    with pytest.raises(ImageError, match=r"The file is empty \(0 bytes\)"):
        decode_image(fx.empty_bytes())


def test_empty_file_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    with pytest.raises(ImageError, match=r"empty"):
        decode_image(path)


@pytest.mark.parametrize(("value", "message"), [(None, "No image was given"), (42, "got int")])
def test_wrong_source_types(value: object, message: str) -> None:
    with pytest.raises(ImageError, match=message):
        decode_image(value)  # type: ignore[arg-type]


def test_data_url_given_as_a_path_is_explained() -> None:
    url = "data:image/png;base64," + base64.b64encode(fx.good_png_bytes()).decode()
    with pytest.raises(ImageError, match="data_url_to_bytes"):
        decode_image(url)


# ------------------------------------------------------------- files that cost too much CPU


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: fx.progressive_jpeg_bytes(200), r"more than 100 progressive scans"),
        (lambda: fx.jpeg_fill_bytes(100_000), r"JPEG image is damaged"),
        (lambda: fx.gif_comments_bytes(20_000), r"more than 10,000 metadata blocks"),
        (lambda: fx.png_chunks_bytes(100_001), r"more than 100,000 chunks"),
    ],
    ids=["jpeg-scans", "jpeg-fill", "gif-comments", "png-chunks"],
)
def test_files_that_would_cost_seconds_of_cpu_are_refused_at_once(
    make: Callable[[], bytes], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = make()
    opened: list[object] = []
    monkeypatch.setattr(Image, "open", lambda *args, **kwargs: opened.append(args))
    started = time.perf_counter()
    with pytest.raises(ImageError, match=message):
        decode_image(data)
    assert time.perf_counter() - started < 0.5
    assert opened == []  # refused before Pillow parsed anything


@pytest.mark.parametrize(
    "make",
    [
        lambda: fx.progressive_jpeg_bytes(0),
        lambda: fx.progressive_jpeg_bytes(50),
        lambda: fx.jpeg_fill_bytes(16),
        lambda: fx.gif_comments_bytes(100),
        lambda: fx.png_chunks_bytes(1_000),
        fx.mpo_bytes,
        fx.rotated_exif_jpeg_bytes,
    ],
    ids=["progressive", "50-scans", "16-fill", "100-comments", "1000-chunks", "mpo", "exif"],
)
def test_ordinary_structure_is_not_refused(make: Callable[[], bytes]) -> None:
    assert_valid_rgb(decode_image(make()))


def test_progressive_jpeg_is_decoded_like_pillow_does() -> None:
    data = fx.progressive_jpeg_bytes()
    assert data.count(b"\xff\xda") >= 5
    oracle = np.array(Image.open(io.BytesIO(data)).convert("RGB"))
    np.testing.assert_array_equal(decode_image(data), oracle)


# ------------------------------------------------------------------- damaged and truncated


@pytest.mark.parametrize("fmt", ["jpeg", "png", "gif", "webp", "bmp", "tiff"])
def test_truncated_files_are_refused(fmt: str) -> None:
    data = getattr(fx, f"truncated_{fmt}_bytes")()
    with pytest.raises(ImageError, match=r"damaged or incomplete") as info:
        decode_image(data)
    assert info.value.__cause__ is not None  # the original error is kept for the logs
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_damaged_header_is_refused() -> None:
    with pytest.raises(ImageError, match=r"starts like a PNG image, but its header is damaged"):
        decode_image(fx.damaged_png_header_bytes())


def test_unsupported_colour_mode_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every mode our formats produce converts today; a future one that does not must still be
    # an ImageError naming the mode, not a raw ValueError.
    def cannot_convert(self: Image.Image, *args: object, **kwargs: object) -> Image.Image:
        raise ValueError(f"conversion from {self.mode} not supported")

    monkeypatch.setattr(Image.Image, "convert", cannot_convert)
    with pytest.raises(ImageError, match=r"This TIFF image uses a colour mode \(RGB\)") as info:
        decode_image(fx.good_tiff_bytes())
    assert isinstance(info.value.__cause__, ValueError)


# ----------------------------------------------------------------------- colour conversions


def test_png16_is_scaled_by_its_range_not_clipped() -> None:
    image = decode_image(fx.png16_bytes())
    assert image[0, :, 0].tolist() == list(fx.PNG16_EXPECTED)
    assert (image == image[:, :, :1]).all()  # grey stays grey


def test_tiff16_is_scaled_by_its_range_not_clipped() -> None:
    assert decode_image(fx.tiff16_bytes())[0, :, 1].tolist() == list(fx.PNG16_EXPECTED)


def test_png16_rgb() -> None:
    assert tuple(decode_image(fx.png16_rgb_bytes())[3, 3]) == (255, 128, 0)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ((0, 100, 255), (0, 100, 255)),  # fits 8 bits: kept
        ((0, 32896, 65535), (0, 128, 255)),  # fits 16 bits: / 257
        ((-1000, 0, 1000), (0, 128, 255)),  # anything else: min-max
        ((7, 7, 7), (7, 7, 7)),
    ],
)
def test_int32_images(values: tuple[int, ...], expected: tuple[int, ...]) -> None:
    image = decode_image(fx.int32_tiff_bytes(values))
    assert image[0, :3, 0].tolist() == list(expected)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ((0.0, 0.5, 1.0), (0, 128, 255)),  # [0, 1]: times 255
        ((0.0, 2.0, 4.0), (0, 128, 255)),  # larger: min-max
        ((-1.0, 0.0, 1.0), (0, 128, 255)),  # negative: min-max
        ((float("nan"), 0.25, float("inf")), (0, 64, 0)),  # not finite: 0
        ((3.0, 3.0, 3.0), (0, 0, 0)),  # constant outside [0, 1]: black
    ],
)
def test_float_images(values: tuple[float, ...], expected: tuple[int, ...]) -> None:
    image = decode_image(fx.float_tiff_bytes(values))
    assert image[0, :3, 2].tolist() == list(expected)


def test_cmyk_cyan_becomes_rgb_cyan() -> None:
    image = decode_image(fx.cmyk_jpeg_bytes())
    np.testing.assert_allclose(image[8, 8], (0, 255, 255), atol=4)


def test_rgba_is_composited_over_white() -> None:
    image = decode_image(fx.rgba_png_bytes())
    assert tuple(image[5, 2]) == fx.WHITE  # fully transparent black
    assert tuple(image[5, 8]) == (127, 127, 127)  # black at alpha 128: 255 * 127 / 255
    assert tuple(image[5, 13]) == fx.RED  # opaque


@pytest.mark.parametrize(
    ("make", "left", "right"),
    [
        (fx.la_png_bytes, fx.WHITE, fx.WHITE),
        (fx.palette_trns_png_bytes, fx.WHITE, fx.RED),
        (fx.transparent_gif_bytes, fx.WHITE, fx.RED),
        (fx.palette_png_bytes, fx.BLUE, fx.RED),
        (fx.one_bit_png_bytes, (0, 0, 0), fx.WHITE),
        (fx.grey_png_bytes, (77, 77, 77), (77, 77, 77)),
    ],
)
def test_palette_grey_and_transparent_modes(
    make: Callable[[], bytes], left: tuple[int, ...], right: tuple[int, ...]
) -> None:
    image = decode_image(make())
    assert tuple(image[8, 2]) == left
    assert tuple(image[8, 13]) == right


@pytest.mark.parametrize("orientation", sorted(fx.EXIF_ORIENTATIONS))
def test_exif_orientation_is_applied(orientation: int) -> None:
    shape, red_corner = fx.EXIF_ORIENTATIONS[orientation]
    image = decode_image(fx.rotated_exif_jpeg_bytes(orientation))
    assert image.shape[:2] == shape
    for where in ("top-left", "top-right", "bottom-left", "bottom-right"):
        expected = fx.EXIF_CORNER_RGB if where == red_corner else fx.BLUE
        np.testing.assert_allclose(corner(image, where), expected, atol=40, err_msg=where)


def test_broken_exif_does_not_lose_the_photo() -> None:
    data = fx.rotated_exif_jpeg_bytes(6)
    start = data.index(b"Exif\x00\x00") + 6
    broken = data[:start] + b"XX" + data[start + 2 :]  # byte-order mark destroyed
    image = decode_image(broken)
    assert_valid_rgb(image)
    assert image.shape[:2] in ((20, 40), (40, 20))


@pytest.mark.parametrize(
    "make", [fx.animated_gif_bytes, fx.animated_webp_bytes, fx.animated_png_bytes]
)
def test_animations_use_the_first_frame_in_real_colours(make: Callable[[], bytes]) -> None:
    image = decode_image(make())
    assert image.shape == (16, 16, 3)
    assert tuple(image[8, 2]) == fx.RED  # not a palette index such as (0, 0, 0) or (1, 1, 1)
    assert tuple(image[8, 13]) == fx.GREEN


# ------------------------------------------------------------- inputs untouched, outputs new


def test_callers_buffer_is_not_modified() -> None:
    original = fx.rgba_png_bytes()
    buffer = bytearray(original)
    view = memoryview(buffer)
    decode_image(buffer)
    decode_image(view)
    assert bytes(buffer) == original


def test_callers_file_is_not_modified(tmp_path: Path) -> None:
    path = tmp_path / "rotated.jpg"
    original = fx.rotated_exif_jpeg_bytes(6)
    path.write_bytes(original)
    os.utime(path, (1_000_000_000, 1_000_000_000))
    before = path.stat()
    decode_image(path)
    after = path.stat()
    assert path.read_bytes() == original
    assert (after.st_mtime_ns, after.st_size) == (before.st_mtime_ns, before.st_size)


def test_every_call_returns_a_new_array() -> None:
    data = fx.good_png_bytes()
    first, second = decode_image(data), decode_image(data)
    assert_valid_rgb(first)
    assert not np.shares_memory(first, second)
    first[:] = 0
    np.testing.assert_array_equal(second, fx.sample_rgb())


def test_global_pillow_and_warning_state_is_untouched() -> None:
    filters = list(warnings.filters)
    pillow_bomb_limit = Image.MAX_IMAGE_PIXELS
    for make in (fx.png_bomb_bytes, fx.truncated_png_bytes, fx.good_jpeg_bytes):
        with contextlib.suppress(ImageError):
            decode_image(make())
    assert warnings.filters == filters
    assert pillow_bomb_limit == Image.MAX_IMAGE_PIXELS
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_concurrent_decoding_is_safe() -> None:
    filters = list(warnings.filters)
    inputs = [fx.good_png_bytes(), fx.png_bomb_bytes(), fx.forged_size_bytes("png", 10_000, 10_000)]
    failures: list[str] = []

    def work(index: int) -> None:
        for round_ in range(15):
            data = inputs[(index + round_) % len(inputs)]
            try:
                image = decode_image(data)
                if not np.array_equal(image, fx.sample_rgb()):
                    failures.append("wrong pixels")
            except ImageError as error:
                if "megapixels" not in str(error):
                    failures.append(str(error))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert warnings.filters == filters


def test_module_never_imports_torch_or_gradio() -> None:
    tree = ast.parse(Path(imaging.__file__).read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert imported >= {"numpy", "PIL"}
    assert not imported & {"torch", "torchvision", "gradio", "captum"}


# ---------------------------------------------------------------------------------- encode_png


def test_encode_png_round_trips() -> None:
    image = fx.sample_rgb()
    encoded = encode_png(image)
    np.testing.assert_array_equal(decode_image(encoded), image)
    assert set(fx.png_chunk_types(encoded)) == {b"IHDR", b"IDAT", b"IEND"}


@pytest.mark.parametrize(
    ("make", "secret"),
    [(lambda: fx.rotated_exif_jpeg_bytes(6), b"SecretCam"), (fx.rgba_png_bytes, b"secret-author")],
)
def test_encode_png_carries_no_metadata(make: Callable[[], bytes], secret: bytes) -> None:
    source = make()
    assert secret in source  # the upload did carry user metadata
    encoded = encode_png(decode_image(source))
    assert set(fx.png_chunk_types(encoded)) == {b"IHDR", b"IDAT", b"IEND"}
    assert secret not in encoded
    reopened = Image.open(io.BytesIO(encoded))
    assert not reopened.getexif() and not reopened.info.get("exif")
    assert not getattr(reopened, "text", {})


def test_encode_png_does_not_modify_its_input() -> None:
    image = np.asfortranarray(fx.sample_rgb())
    copy = image.copy()
    encode_png(image)
    np.testing.assert_array_equal(image, copy)


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((8, 8), np.uint8),
        np.zeros((8, 8, 4), np.uint8),
        np.zeros((8, 8, 3), np.float32),
        np.zeros((0, 8, 3), np.uint8),
        [[[0, 0, 0]]],
    ],
)
def test_encode_png_rejects_non_rgb(bad: object) -> None:
    with pytest.raises(ValueError, match="expected"):
        encode_png(bad)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------ data URLs


def _data_url(data: bytes, header: str = "data:image/png;base64") -> str:
    return f"{header},{base64.b64encode(data).decode()}"


@pytest.mark.parametrize(
    "header",
    ["data:image/png;base64", "DATA:IMAGE/JPEG;BASE64", "data:image/png;name=cat.png;base64"],
)
def test_data_url_round_trips(header: str) -> None:
    data = fx.good_png_bytes()
    assert data_url_to_bytes(_data_url(data, header)) == data


def test_data_url_with_line_breaks_and_no_padding() -> None:
    data = fx.good_png_bytes()[:1000]  # 1000 bytes: base64 ends in "=="
    encoded = base64.encodebytes(data).decode().rstrip("=\n")
    assert data_url_to_bytes("data:image/png;base64," + encoded) == data


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://example.com/cat.png", "not an image data URL"),
        ("data:image/png;base64" + "A" * 1000, "not an image data URL"),
        ("data:text/html;base64,PGh0bWw+", "does not contain an image"),
        ("data:image/svg+xml,<svg></svg>", "must be base64"),
        ("data:image/png;base64,not*base64!", "not valid base64"),
        ("data:image/png;base64,ÄÖÜ=", "not valid base64"),
        ("data:image/png;base64,", "no image data"),
        (b"data:image/png;base64,AAAA", "not an image data URL"),
    ],
)
def test_bad_data_urls(url: str, message: str) -> None:
    with pytest.raises(ImageError, match=message):
        data_url_to_bytes(url)


def test_huge_data_url_is_refused_before_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("base64 must not be decoded")

    monkeypatch.setattr(base64, "b64decode", refuse)
    url = "data:image/png;base64," + "A" * 30_000_000
    with pytest.raises(ImageError, match=r"about 21\.5 MB; the limit is 20 MB"):
        data_url_to_bytes(url)
    with pytest.raises(ImageError, match=r"the limit is 1000 bytes"):
        data_url_to_bytes(_data_url(fx.good_png_bytes()), ImageLimits(max_bytes=1_000))


def test_data_url_exact_byte_cap_after_decoding() -> None:
    limits = ImageLimits(max_bytes=1_000)
    assert len(data_url_to_bytes(_data_url(bytes(1_000)), limits)) == 1_000
    with pytest.raises(ImageError, match=r"The file is 1001 bytes; the limit is 1000 bytes"):
        data_url_to_bytes(_data_url(bytes(1_001)), limits)


# ------------------------------------------------------------------------------ fuzzing

_SEEDS = (fx.good_png_bytes(32, 24), fx.good_jpeg_bytes(32, 24), fx.animated_gif_bytes())
_FUZZ_LIMITS = ImageLimits(max_pixels=250_000, max_side=2_000)  # keeps each example cheap


@st.composite
def mutated_images(draw: st.DrawFn) -> bytes:
    """A valid PNG/JPEG/GIF with a few byte flips, insertions, deletions or a truncation."""
    data = bytearray(draw(st.sampled_from(_SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate"]))
        at = draw(st.integers(0, len(data) - 1)) if data else 0
        if kind == "flip" and data:
            data[at] ^= draw(st.integers(1, 255))
        elif kind == "set" and data:
            data[at] = draw(st.sampled_from([0x00, 0xFF, 0x7F, 0x80]))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        else:
            del data[at:]
    return bytes(data)


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow warns about corrupt EXIF; fine
@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(mutated_images())
def test_mutated_images_decode_or_raise_image_error(data: bytes) -> None:
    try:
        image = decode_image(data, _FUZZ_LIMITS)
    except ImageError as error:
        assert str(error)
    else:
        assert_valid_rgb(image, _FUZZ_LIMITS)


# ---------------------------------------------------------------- messages in every language

_Make = Callable[[pytest.MonkeyPatch, Path], object]
_TINY = ImageLimits(max_bytes=1_000)
_PNG_URL = "data:image/png;base64,"


def _plain(call: Callable[[], object]) -> _Make:
    return lambda monkeypatch, tmp_path: call()


def _directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> object:
    (tmp_path / "folder.png").mkdir()
    return decode_image(tmp_path / "folder.png")


def _read_fails(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> object:
    path = tmp_path / "unreadable.png"
    path.write_bytes(fx.good_png_bytes())

    def fail(*args: object, **kwargs: object) -> None:
        raise OSError("read error")

    monkeypatch.setattr(os, "fdopen", fail)
    return decode_image(path)


def _grew_after_fstat(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> object:
    """A file that fstat says is 10 bytes but holds 2000 (it grew between fstat and read)."""
    path = tmp_path / "growing.png"
    path.write_bytes(bytes(2_000))
    real = os.fstat
    monkeypatch.setattr(os, "fstat", lambda fd: os.stat_result((*real(fd)[:6], 10, *real(fd)[7:])))
    return decode_image(path, _TINY)


def _out_of_memory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> object:
    def fail(*args: object, **kwargs: object) -> None:
        raise MemoryError

    monkeypatch.setattr(imaging, "_decode", fail)
    return decode_image(fx.good_png_bytes())


def _bomb_without_count(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> object:
    def fail(*args: object, **kwargs: object) -> None:
        raise Image.DecompressionBombError("a future Pillow's wording, without the count")

    monkeypatch.setattr(Image, "open", fail)
    return decode_image(fx.good_png_bytes())


def _colour_mode(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> object:
    def fail(self: Image.Image, *args: object, **kwargs: object) -> Image.Image:
        raise ValueError(f"conversion from {self.mode} not supported")

    monkeypatch.setattr(Image.Image, "convert", fail)
    return decode_image(fx.good_tiff_bytes())


def _raised_by_the_page(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> object:
    raise ImageError("image_not_image_file")  # ui.inputs.read_image, for a non-file input


#: One bad input per message: (key, how to cause it, the fields the message is filled with).
ERROR_CASES = [
    pytest.param(
        "image_missing",
        _plain(lambda: decode_image(None)),
        {"formats": Term("image_formats")},
        id="missing",
    ),
    pytest.param(
        "image_wrong_type",
        _plain(lambda: decode_image(42)),
        {"type": "int", "formats": Term("image_formats")},
        id="wrong-type",
    ),
    pytest.param(
        "image_empty",
        _plain(lambda: decode_image(b"")),
        {"formats": Term("image_formats")},
        id="empty",
    ),
    pytest.param(
        "image_data_url_as_path",
        _plain(lambda: decode_image(_PNG_URL + "AAAA")),
        {"scheme": "data:", "function": "data_url_to_bytes()"},
        id="data-url-as-path",
    ),
    pytest.param(
        "image_cannot_open",
        lambda mp, tmp: decode_image(tmp / "missing-cat.png"),
        {"name": "missing-cat.png"},
        id="cannot-open",
    ),
    pytest.param(
        "image_path_not_a_file",
        _directory,
        {"name": "folder.png"},
        id="not-a-file",
    ),
    pytest.param(
        "image_cannot_read",
        _read_fails,
        {"name": "unreadable.png"},
        id="cannot-read",
    ),
    pytest.param(
        "image_too_big",
        _plain(lambda: decode_image(fx.good_png_bytes(), _TINY)),
        {"size": "7", "size_unit": "KB", "limit": "1000", "limit_unit": Term("image_unit_bytes")},
        id="too-big-bytes",
    ),
    pytest.param(
        "image_too_big",
        _plain(lambda: decode_image(bytes(21 * 1024 * 1024))),
        {"size": "21", "size_unit": "MB", "limit": "20", "limit_unit": "MB"},
        id="too-big-mb",
    ),
    pytest.param(
        "image_about_too_big",
        _plain(lambda: data_url_to_bytes(_PNG_URL + "A" * 20_000, _TINY)),
        {"size": "15", "size_unit": "KB", "limit": "1000", "limit_unit": Term("image_unit_bytes")},
        id="about-too-big",
    ),
    pytest.param(
        "image_over_limit",
        _grew_after_fstat,
        {"limit": "1000", "limit_unit": Term("image_unit_bytes")},
        id="over-limit",
    ),
    pytest.param(
        "image_unsupported",
        _plain(lambda: decode_image(fx.random_bytes())),
        {"formats": Term("image_formats")},
        id="unsupported",
    ),
    pytest.param(
        "image_unsupported_kind",
        _plain(lambda: decode_image(fx.pdf_bytes())),
        {"formats": Term("image_formats"), "kind": Term("image_kind_pdf")},
        id="pdf",
    ),
    pytest.param(
        "image_unsupported_kind",
        _plain(lambda: decode_image(fx.eps_bytes())),
        {"formats": Term("image_formats"), "kind": Term("image_kind_eps")},
        id="eps",
    ),
    pytest.param(
        "image_unsupported_kind",
        _plain(lambda: decode_image(fx.psd_bytes())),
        {"formats": Term("image_formats"), "kind": Term("image_kind_psd")},
        id="psd",
    ),
    pytest.param(
        "image_unsupported_kind",
        _plain(lambda: decode_image(fx.ico_bytes())),
        {"formats": Term("image_formats"), "kind": Term("image_kind_ico")},
        id="ico",
    ),
    pytest.param(
        "image_unsupported_kind",
        _plain(lambda: decode_image(b"PK\x03\x04" + bytes(60))),
        {"formats": Term("image_formats"), "kind": Term("image_kind_zip")},
        id="zip",
    ),
    pytest.param(
        "image_unsupported_kind",
        _plain(lambda: decode_image(fx.avif_bytes())),
        {"formats": Term("image_formats"), "kind": Term("image_kind_avif")},
        id="avif",
    ),
    pytest.param(
        "image_unsupported_kind",
        _plain(lambda: decode_image(b"\0\0\0\x18ftypmp42" + bytes(60))),
        {"formats": Term("image_formats"), "kind": Term("image_kind_media")},
        id="video",
    ),
    pytest.param(
        "image_unsupported_kind",
        _plain(lambda: decode_image(fx.html_bytes())),
        {"formats": Term("image_formats"), "kind": Term("image_kind_html")},
        id="html",
    ),
    pytest.param(
        "image_unsupported_kind",
        _plain(lambda: decode_image(fx.svg_bytes())),
        {"formats": Term("image_formats"), "kind": Term("image_kind_svg")},
        id="svg",
    ),
    pytest.param(
        "image_unsupported_kind",
        _plain(lambda: decode_image(fx.text_bytes())),
        {"formats": Term("image_formats"), "kind": Term("image_kind_text")},
        id="text",
    ),
    pytest.param(
        "image_unsupported_photo",
        _plain(lambda: decode_image(fx.heic_bytes())),
        {"formats": Term("image_formats"), "kind": Term("image_kind_heic")},
        id="heic",
    ),
    pytest.param(
        "image_too_complex",
        _plain(lambda: decode_image(b"\xff\xd8" + b"\xff\xfe\0\x02" * 10_001)),
        {"fmt": "JPEG", "count": 10000, "parts": Term("image_parts_segments")},
        id="jpeg-segments",
    ),
    pytest.param(
        "image_too_complex",
        _plain(lambda: decode_image(fx.progressive_jpeg_bytes(200))),
        {"fmt": "JPEG", "count": 100, "parts": Term("image_parts_scans")},
        id="jpeg-scans",
    ),
    pytest.param(
        "image_too_complex",
        _plain(lambda: decode_image(fx.gif_comments_bytes(20_000))),
        {"fmt": "GIF", "count": 10000, "parts": Term("image_parts_blocks")},
        id="gif-blocks",
    ),
    pytest.param(
        "image_too_complex",
        _plain(lambda: decode_image(fx.png_chunks_bytes(100_001))),
        {"fmt": "PNG", "count": 100000, "parts": Term("image_parts_chunks")},
        id="png-chunks",
    ),
    pytest.param(
        "image_out_of_memory",
        _out_of_memory,
        {},
        id="out-of-memory",
    ),
    pytest.param(
        "image_damaged",
        _plain(lambda: decode_image(fx.truncated_png_bytes())),
        {"fmt": "PNG"},
        id="damaged",
    ),
    pytest.param(
        "image_damaged",
        _plain(lambda: decode_image(b"RIFF\0\0\0\0WEBPVP8Z" + bytes(20))),
        {"fmt": "WebP"},
        id="damaged-webp",
    ),
    pytest.param(
        "image_header_damaged",
        _plain(lambda: decode_image(fx.damaged_png_header_bytes())),
        {"fmt": "PNG"},
        id="header-damaged",
    ),
    pytest.param(
        "image_colour_mode",
        _colour_mode,
        {"fmt": "TIFF", "mode": "RGB"},
        id="colour-mode",
    ),
    pytest.param(
        "image_too_many_pixels",
        _plain(lambda: decode_image(fx.good_png_bytes(), ImageLimits(max_pixels=1_000))),
        {
            "width": 64,
            "height": 48,
            "pixels": "3,072",
            "pixels_unit": Term("image_unit_pixels"),
            "limit": "1,000",
            "limit_unit": Term("image_unit_pixels"),
        },
        id="too-many-pixels",
    ),
    pytest.param(
        "image_side_too_long",
        _plain(lambda: decode_image(fx.strip_png_bytes(1, 20_000))),
        {"width": 1, "height": 20000, "max_side": 12000},
        id="side-too-long",
    ),
    pytest.param(
        "image_side_too_short",
        _plain(lambda: decode_image(fx.strip_png_bytes(4, 100))),
        {"width": 4, "height": 100, "min_side": 8},
        id="side-too-short",
    ),
    pytest.param(
        "image_too_wide",
        _plain(lambda: decode_image(fx.strip_png_bytes(300, 10))),
        {"width": 300, "height": 10, "ratio": 30.0, "max_aspect": 20.0},
        id="too-wide",
    ),
    pytest.param(
        "image_too_tall",
        _plain(lambda: decode_image(fx.strip_png_bytes(10, 300))),
        {"width": 10, "height": 300, "ratio": 30.0, "max_aspect": 20.0},
        id="too-tall",
    ),
    pytest.param(
        "image_tiles_too_big",
        _plain(lambda: decode_image(fx.tiled_tiff_bytes(64, 64, 9216))),
        {
            "tile_width": 9216,
            "tile_height": 9216,
            "pixels": "84.9",
            "pixels_unit": Term("image_unit_megapixels"),
            "limit": "40",
            "limit_unit": Term("image_unit_megapixels"),
        },
        id="tiles",
    ),
    pytest.param(
        "image_bomb",
        _plain(lambda: decode_image(fx.png_bomb_bytes())),
        {
            "pixels": "400",
            "pixels_unit": Term("image_unit_megapixels"),
            "limit": "40",
            "limit_unit": Term("image_unit_megapixels"),
        },
        id="bomb",
    ),
    pytest.param(
        "image_bomb_unknown",
        _bomb_without_count,
        {"limit": "40", "limit_unit": Term("image_unit_megapixels")},
        id="bomb-unknown",
    ),
    pytest.param(
        "image_not_data_url",
        _plain(lambda: data_url_to_bytes("https://example.com/cat.png")),
        {"syntax": "data:image/...;base64,..."},
        id="not-data-url",
    ),
    pytest.param(
        "image_data_url_not_image",
        _plain(lambda: data_url_to_bytes("data:text/html;base64,PGh0bWw+")),
        {"media_type": "image/..."},
        id="data-url-not-image",
    ),
    pytest.param(
        "image_data_url_not_base64",
        _plain(lambda: data_url_to_bytes("data:image/svg+xml,<svg></svg>")),
        {"syntax": "data:image/...;base64,..."},
        id="data-url-not-base64",
    ),
    pytest.param(
        "image_data_url_damaged",
        _plain(lambda: data_url_to_bytes(_PNG_URL + "not*base64!")),
        {},
        id="data-url-damaged",
    ),
    pytest.param(
        "image_data_url_empty",
        _plain(lambda: data_url_to_bytes(_PNG_URL)),
        {},
        id="data-url-empty",
    ),
    pytest.param(
        "image_not_image_file",
        _raised_by_the_page,
        {},
        id="not-an-image-file",
    ),
]

#: Latin words a Chinese message may contain: format and product names, and technical terms
#: without a Chinese word (units such as MB, KB and px have under three letters).
NAMES_IN_ANY_LANGUAGE = {
    *("JPEG", "PNG", "WebP", "GIF", "BMP", "TIFF", "PDF", "EPS", "PSD", "ICO", "ZIP"),
    *("HEIC", "HEIF", "AVIF", "HTML", "SVG", "PostScript", "Photoshop", "iPhone"),
    *("URL", "base64"),
}


def _raise(make: _Make, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> ImageError:
    with pytest.raises(ImageError) as info:
        make(monkeypatch, tmp_path)
    monkeypatch.undo()
    return info.value


@pytest.mark.parametrize(("key", "make", "fields"), ERROR_CASES)
def test_every_error_is_a_key_with_its_fields(
    key: str,
    make: _Make,
    fields: dict[str, object],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    error = _raise(make, monkeypatch, tmp_path)
    assert isinstance(error, DemoError)
    assert (error.key, error.fields) == (key, fields)
    assert str(error) == error.words("en")


@pytest.mark.parametrize(("key", "make", "fields"), ERROR_CASES)
def test_every_error_renders_in_every_language_with_its_fields(
    key: str,
    make: _Make,
    fields: dict[str, object],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    error = _raise(make, monkeypatch, tmp_path)
    for lang in text.LANGS:
        words = error.words(lang)
        assert words.strip() and "{" not in words and "}" not in words, (lang, words)
        for value in fields.values():
            shown = t(value.key, lang) if isinstance(value, Term) else value
            if isinstance(shown, str):
                assert shown in words, (lang, words, shown)


@pytest.mark.parametrize(("key", "make", "fields"), ERROR_CASES)
def test_every_error_reads_in_chinese_without_english_words(
    key: str,
    make: _Make,
    fields: dict[str, object],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    error = _raise(make, monkeypatch, tmp_path)
    chinese = error.words("zh")
    assert chinese != error.words("en")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in chinese), chinese
    assert chinese.endswith("。")
    # Values are not words: the file name, the type or mode name, the code a message quotes.
    for value in error.fields.values():
        if not isinstance(value, Term):
            chinese = chinese.replace(str(value), " ")
    latin = set(re.findall(r"[A-Za-z][A-Za-z0-9]{2,}", chinese))
    assert latin <= NAMES_IN_ANY_LANGUAGE, (chinese, latin - NAMES_IN_ANY_LANGUAGE)


def test_the_cases_cover_every_key_of_the_image_errors_table(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    table = tomllib.loads(Path(text.__file__).with_name("en.toml").read_text("utf-8"))
    keys = set(table["errors_image"])
    used = set()
    for case in ERROR_CASES:
        error = _raise(case.values[1], monkeypatch, tmp_path)
        used |= {error.key} | {v.key for v in error.fields.values() if isinstance(v, Term)}
    assert used == keys
