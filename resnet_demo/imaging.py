"""Turn untrusted bytes into an RGB `uint8` image, or a clear error a student understands.

Every image the app shows comes through `decode_image`: uploads, webcam shots, files named
on the command line, `data:` URLs sent by API clients that bypass the browser. All of them are
treated as hostile. The checks run cheapest first, and nothing is decoded until the file has
passed all of them:

1. **Byte cap** (`ImageLimits.max_bytes`): a path is `fstat`-ed before one byte is read, so a
   5 GB file costs nothing; a `data:` URL's length is checked before base64 decoding.
2. **Format allowlist** (`ALLOWED_FORMATS`): the magic bytes name the format, and Pillow is
   asked to try *only* that plugin (`Image.open(..., formats=[...])`). SVG, PDF, EPS (so
   Ghostscript never runs), PSD, HEIC, ICO, text and HTML never reach a decoder.
3. **Header caps** (pixels, longest side, shortest side, aspect ratio): read from `img.size`
   after `Image.open` has parsed the header and before `load()` allocates the pixels, so a
   50 KB PNG that claims 20000 x 20000 pixels, or a 1 x 60,000,000 strip, is refused in
   microseconds. Pillow's own `DecompressionBombWarning` is turned into an error for the
   duration of `Image.open` only (no global state changes). WebP is measured from its RIFF
   header by this module, because libwebp allocates the whole canvas when Pillow opens it.
4. **Structure caps** (`MAX_JPEG_SCANS`, `MAX_BLOCKS`, `MAX_PNG_CHUNKS`):
   before Pillow sees the file, a bounded walk over JPEG markers, PNG chunks and GIF blocks
   refuses files built to make Pillow's Python parsers or libjpeg's progressive decoding spend
   seconds to minutes of CPU.

Then the first frame is decoded and normalised: EXIF orientation applied, transparency composited
over white, palette / grey / 1-bit / CMYK / 16-bit / 32-bit / float images mapped to RGB 8-bit.
Anything that goes wrong on the way is an `ImageError`: a key of the text catalogue
(`image_*`, table `[errors_image]`) and the values the message needs, never a sentence; the
front ends word it with `error.words(lang)` (`str(error)` is the English sentence). The
original exception is kept as `__cause__` for the logs.

This module never imports torch or gradio (docs/design.md §3).
"""

from __future__ import annotations

import base64
import binascii
import io
import os
import re
import stat
import struct
import threading
import warnings
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps

from resnet_demo.errors import DemoError
from resnet_demo.text import Term

__all__ = [
    "ALLOWED_FORMATS",
    "DEFAULT_LIMITS",
    "MAX_BLOCKS",
    "MAX_JPEG_SCANS",
    "MAX_PNG_CHUNKS",
    "ImageError",
    "ImageLimits",
    "data_url_to_bytes",
    "decode_image",
    "encode_png",
]


class ImageError(DemoError):
    """An image that cannot be used: empty, too large, not an allowed format, damaged, or an
    unsupported colour mode.

    `key` is one of the catalogue's `image_*` keys (table `[errors_image]`) and `fields`
    its values (numbers, format names, the file's base name; words as `Term`).
    `str(e)` is the English sentence for the student, `e.words(lang)` the same in `lang`.
    The underlying Pillow/OS error, if any, is chained as `__cause__`.
    """


@dataclass(frozen=True)
class ImageLimits:
    """Caps checked before any pixel is decoded.

    Attributes:
        max_bytes: Largest accepted file, in bytes. Default: 20 MB (20 * 1024 * 1024).
        max_pixels: Largest accepted width * height, as read from the header. Default: 40
            million. Pillow's own bomb check (`Image.MAX_IMAGE_PIXELS`, 89 million by default)
            is also an error, so limits above that have no effect.
        max_side: Longest accepted side, in pixels. Default: 12000.
        max_aspect: Largest accepted long side / short side. Default: 20.
        min_side: Shortest accepted side, in pixels. Default: 8.
    """

    max_bytes: int = 20 * 1024 * 1024
    max_pixels: int = 40_000_000
    max_side: int = 12_000
    max_aspect: float = 20.0
    min_side: int = 8

    def __post_init__(self) -> None:
        # Limits are chosen by code, never by a request: nonsense here is a programming error,
        # a plain ValueError for the developer rather than a catalogue message for the student.
        if min(self.max_bytes, self.max_pixels, self.max_side, self.min_side) < 1:
            raise ValueError(f"all limits must be positive, got {self}")
        if self.min_side > self.max_side:
            raise ValueError(f"min_side must not exceed max_side, got {self}")
        if not self.max_aspect >= 1.0:
            raise ValueError(f"max_aspect must be at least 1, got {self}")


DEFAULT_LIMITS = ImageLimits()

# Pillow format names that may be decoded. MPO is the multi-picture JPEG many cameras write;
# Pillow opens it through the JPEG plugin and reports it as "MPO".
ALLOWED_FORMATS: frozenset[str] = frozenset({"JPEG", "MPO", "PNG", "WEBP", "GIF", "BMP", "TIFF"})

# The allowed formats in words ("JPEG, PNG, WebP, GIF, BMP or TIFF"), a field of several messages.
_FORMATS = Term("image_formats")

# Magic bytes -> the one Pillow plugin allowed to look at the file.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"II+\x00", "TIFF"),  # BigTIFF
    (b"MM\x00+", "TIFF"),  # BigTIFF
)

# Recognisable formats we refuse, to tell the student what they uploaded (catalogue keys).
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1")
_KNOWN_OTHERS: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "image_kind_pdf"),
    (b"%!PS", "image_kind_eps"),
    (b"\xc5\xd0\xd3\xc6", "image_kind_eps"),
    (b"8BPS", "image_kind_psd"),
    (b"\x00\x00\x01\x00", "image_kind_ico"),
    (b"PK\x03\x04", "image_kind_zip"),
)

# Image.open + Pillow's bomb check run under a temporary warnings filter. catch_warnings()
# swaps the process-wide filter list, so two threads doing it at once could leave the wrong
# list behind; this lock keeps our own calls from interleaving. It is held only while the
# header is parsed (microseconds), never while pixels are decoded.
_OPEN_LOCK = threading.Lock()

# Parser work caps. Pillow reads container structure (JPEG markers, PNG chunks, GIF blocks) in
# Python, one element or even one filler byte at a time, and libjpeg decodes every progressive
# scan over the whole picture; Pillow also joins GIF comment blocks quadratically. Measured on
# Pillow 12.3, a 20 MB file built of tiny elements costs 4-15 s of CPU, 1000 extra scans on a
# 4-megapixel JPEG cost 3 s, and 200,000 empty GIF comments cost 1 s (20 MB of them: minutes).
# No real image comes near these caps, so they are fixed here rather than in ImageLimits.
MAX_JPEG_SCANS = 100  # progressive passes; encoders write about 10
MAX_BLOCKS = 10_000  # JPEG segments, GIF extension sub-blocks (before the first frame)
MAX_PNG_CHUNKS = 100_000  # one IDAT per row of a 12000-row image is still fine
_MAX_FILLER = 4096  # filler/junk bytes between JPEG segments or GIF blocks before the pixels
_JPEG_MARKER = re.compile(rb"\xff[\xc0-\xcf\xd8-\xfe]")  # not stuffing (FF00), RSTn or fill

_MB = 1024 * 1024
_DATA_URL_HEADER_MAX = 256  # "data:image/png;name=...;base64," must end within this many chars
_DATA_URL_SYNTAX = "data:image/...;base64,..."  # what a data URL must look like, for messages


def decode_image(
    source: bytes | bytearray | memoryview | str | os.PathLike[str] | os.PathLike[bytes] | None,
    limits: ImageLimits = DEFAULT_LIMITS,
) -> npt.NDArray[np.uint8]:
    """Decode untrusted image bytes (or a server-side file) into an RGB image.

    Only the first frame of animated GIF / WebP / PNG and multi-page TIFF / MPO is used. EXIF
    orientation is applied, so the array is upright as the camera meant it. Transparent pixels
    are composited over white. 16-bit samples are scaled by the format's range
    (`round(v / 257)`, so 65535 -> 255 and 32896 -> 128, never clipped at 255); 32-bit integer
    images are kept if they fit 0..255, scaled by 1/257 if they fit 0..65535, else min-max
    stretched; float images are scaled by 255 if they lie in [0, 1], else min-max stretched.

    Args:
        source: The encoded file as bytes (`bytearray`/`memoryview` are copied first, never
            modified), or a path to a file on this machine. A path is trusted to be one the
            server chose (an upload's temporary file, a CLI argument); never pass a string that
            came from a request. The file is read once, at most `limits.max_bytes + 1` bytes,
            and never written.
        limits: Size caps. Default: `DEFAULT_LIMITS`.

    Returns:
        A new, writeable, C-contiguous `uint8` array of shape (H, W, 3), RGB, values 0..255.

    Raises:
        ImageError: For every problem with the input, with a message a student can act on.
    """
    data = _read_source(source, limits)
    if not data:
        raise ImageError("image_empty", formats=_FORMATS)
    fmt = _sniff_format(data)
    if fmt is None:
        raise _unsupported(data)
    try:
        if fmt == "WEBP":
            _check_size(_webp_size(data), limits)
        _check_structure(data, fmt)
        return _decode(data, fmt, limits)
    except ImageError:
        raise
    except MemoryError as error:
        raise ImageError("image_out_of_memory") from error
    except Exception as error:
        raise _damaged(fmt) from error


def data_url_to_bytes(url: str, limits: ImageLimits = DEFAULT_LIMITS) -> bytes:
    """Extract the file bytes from a `data:image/...;base64,...` URL.

    The URL's length is checked before anything is decoded, so a huge string is refused at once.
    The bytes are not checked to be an image; pass them to `decode_image` for that.

    Args:
        url: A data URL as sent by a browser's `FileReader.readAsDataURL` or an API client.
            Parameters such as `;name=photo.png` are allowed; line breaks in the base64 data
            are ignored.
        limits: `limits.max_bytes` caps the decoded size. Default: `DEFAULT_LIMITS`.

    Returns:
        The decoded bytes, 1 to `limits.max_bytes` long.

    Raises:
        ImageError: If `url` is not a base64 `data:image/...` URL, is damaged, empty, or too
            large.
    """
    if not isinstance(url, str) or url[:5].lower() != "data:":
        raise ImageError("image_not_data_url", syntax=_DATA_URL_SYNTAX)
    comma = url.find(",", 0, _DATA_URL_HEADER_MAX)
    if comma < 0:
        raise ImageError("image_not_data_url", syntax=_DATA_URL_SYNTAX)
    media_type, *params = (part.strip().lower() for part in url[5:comma].split(";"))
    if not media_type.startswith("image/"):
        raise ImageError("image_data_url_not_image", media_type="image/...")
    if "base64" not in params:
        raise ImageError("image_data_url_not_base64", syntax=_DATA_URL_SYNTAX)

    encoded_length = len(url) - comma - 1
    max_encoded = 4 * -(-limits.max_bytes // 3)
    # Allow for MIME line breaks (2 characters every 76); the exact check follows decoding.
    if encoded_length > max_encoded + max_encoded // 16 + 64:
        raise _too_big(encoded_length * 3 // 4, limits, "image_about_too_big")
    payload = url[comma + 1 :]
    if any(c in payload for c in " \t\r\n"):
        payload = "".join(payload.split())
    try:
        data = base64.b64decode(payload + "=" * (-len(payload) % 4), validate=True)
    except (binascii.Error, ValueError) as error:
        raise ImageError("image_data_url_damaged") from error
    if not data:
        raise ImageError("image_data_url_empty")
    if len(data) > limits.max_bytes:
        raise _too_big(len(data), limits)
    return data


def encode_png(image: npt.NDArray[np.uint8]) -> bytes:
    """Encode an RGB image as PNG with no metadata (no EXIF, text, ICC, time or size chunks).

    Use it for every picture the app hands back, so no user metadata (camera, GPS, software)
    leaves the server: the output holds only IHDR, IDAT and IEND chunks.

    Args:
        image: RGB `uint8` array of shape (H, W, 3). Not modified.

    Returns:
        The PNG file as bytes.

    Raises:
        ValueError: If `image` is not a `uint8` array of shape (H, W, 3) with H, W >= 1.
    """
    if not isinstance(image, np.ndarray):
        raise ValueError(f"expected a numpy array, got {type(image).__name__}")
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3 or 0 in image.shape:
        raise ValueError(f"expected a uint8 array (H, W, 3), got {image.dtype} {image.shape}")
    picture = Image.fromarray(np.ascontiguousarray(image))  # a fresh Image: empty .info
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


# --------------------------------------------------------------------------- reading the source


def _read_source(
    source: bytes | bytearray | memoryview | str | os.PathLike[str] | os.PathLike[bytes] | None,
    limits: ImageLimits,
) -> bytes:
    """Return the file's bytes, enforcing the byte cap before reading (paths) or copying."""
    if source is None:
        raise ImageError("image_missing", formats=_FORMATS)
    if isinstance(source, bytes | bytearray | memoryview):
        size = source.nbytes if isinstance(source, memoryview) else len(source)
        if size > limits.max_bytes:
            raise _too_big(size, limits)
        # A private immutable copy: the caller's buffer is never read twice or written.
        return source if isinstance(source, bytes) else bytes(source)
    if isinstance(source, str | os.PathLike):
        return _read_file(source, limits)
    raise ImageError("image_wrong_type", type=type(source).__name__, formats=_FORMATS)


def _read_file(path: str | os.PathLike[str] | os.PathLike[bytes], limits: ImageLimits) -> bytes:
    """Read a regular file, checking its size with fstat before reading any of it."""
    try:
        name = os.path.basename(os.fsdecode(path))[:80] or "?"
    except (TypeError, ValueError):
        name = "?"
    if isinstance(path, str) and path[:5].lower() == "data:":
        raise ImageError("image_data_url_as_path", scheme="data:", function="data_url_to_bytes()")
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except (OSError, ValueError) as error:  # missing, no permission, NUL byte, name too long
        raise ImageError("image_cannot_open", name=name) from error
    try:
        info = os.fstat(fd)  # the file we opened, not whatever the path points to now
        if not stat.S_ISREG(info.st_mode):
            raise ImageError("image_path_not_a_file", name=name)
        if info.st_size > limits.max_bytes:
            raise _too_big(info.st_size, limits)
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(limits.max_bytes + 1)  # the file may have grown since fstat
    except OSError as error:
        raise ImageError("image_cannot_read", name=name) from error
    finally:
        os.close(fd)
    if len(data) > limits.max_bytes:
        raise ImageError("image_over_limit", **_bytes_fields(limits.max_bytes, "limit"))
    return data


# ------------------------------------------------------------------------------------- sniffing


def _sniff_format(data: bytes) -> str | None:
    """Return the allowed Pillow format named by the magic bytes, or None."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    for magic, fmt in _SIGNATURES:
        if data.startswith(magic):
            return fmt
    return None


def _unsupported(data: bytes) -> ImageError:
    """The file is not supported and, where we can tell, what it looks like instead (a photo
    format also gets the advice to export it as JPEG or PNG)."""
    kind = _kind_of(data)
    if kind is None:
        return ImageError("image_unsupported", formats=_FORMATS)
    key = "image_unsupported_photo" if kind == "image_kind_heic" else "image_unsupported_kind"
    return ImageError(key, formats=_FORMATS, kind=Term(kind))


def _kind_of(data: bytes) -> str | None:
    """The catalogue key (`image_kind_*`) of what an unsupported file looks like, or None."""
    kind = None
    for magic, key in _KNOWN_OTHERS:
        if data.startswith(magic):
            kind = key
    if data[4:8] == b"ftyp":
        brand = data[8:12]
        if brand in _HEIF_BRANDS:
            kind = "image_kind_heic"
        elif brand in (b"avif", b"avis"):
            kind = "image_kind_avif"
        else:
            kind = "image_kind_media"
    if kind is None:
        head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
        if head.startswith((b"<!doctype html", b"<html")):
            kind = "image_kind_html"
        elif b"<svg" in head and head.startswith((b"<svg", b"<?xml", b"<!doctype svg", b"<!--")):
            kind = "image_kind_svg"
        elif _looks_like_text(data[:2048]):
            kind = "image_kind_text"
    return kind


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:  # a multi-byte character cut at the end is still text
        return error.start >= len(head) - 3
    return True


def _webp_size(data: bytes) -> tuple[int, int]:
    """Width and height from a WebP RIFF header (VP8, VP8L or VP8X canvas).

    libwebp allocates the whole canvas as soon as Pillow opens an (animated) WebP, so the size
    must be known before `Image.open`.
    """
    chunk, payload = data[12:16], data[20:30]
    if chunk == b"VP8X" and len(payload) >= 10:
        width = int.from_bytes(payload[4:7], "little") + 1
        height = int.from_bytes(payload[7:10], "little") + 1
        return width, height
    if chunk == b"VP8L" and len(payload) >= 5 and payload[0] == 0x2F:
        bits = int.from_bytes(payload[1:5], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 " and len(payload) >= 10 and payload[3:6] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", payload[6:10])
        return width & 0x3FFF, height & 0x3FFF
    raise _damaged("WEBP")


def _check_structure(data: bytes, fmt: str) -> None:
    """Refuse files whose container structure would cost Pillow/libjpeg seconds to minutes.

    Each walk is bounded by the caps above, so it costs at most milliseconds itself.
    """
    if fmt == "JPEG":
        _check_jpeg_structure(data)
    elif fmt == "PNG":
        _check_png_structure(data)
    elif fmt == "GIF":
        _check_gif_structure(data)


def _too_complex(fmt: str, count: int, parts: str) -> ImageError:
    """A file with more than `count` of `parts` (an `image_parts_*` key)."""
    return ImageError("image_too_complex", fmt=fmt, count=count, parts=Term(parts))


def _check_jpeg_structure(data: bytes) -> None:
    """Count marker segments and progressive scans of the first picture, up to its EOI."""
    position, segments, scans, filler = 2, 0, 0, 0
    while (match := _JPEG_MARKER.search(data, position)) is not None:
        if scans == 0:  # before the first scan Pillow skips filler in Python, byte by byte
            filler += match.start() - position
            if filler > _MAX_FILLER:
                raise _damaged("JPEG")
        position = match.start()
        marker = data[position + 1]
        if marker == 0xD9:  # EOI: the end of the first picture (an MPO's others follow)
            return
        segments += 1
        if segments > MAX_BLOCKS:
            raise _too_complex("JPEG", MAX_BLOCKS, "image_parts_segments")
        if marker == 0xDA:
            scans += 1
            if scans > MAX_JPEG_SCANS:
                raise _too_complex("JPEG", MAX_JPEG_SCANS, "image_parts_scans")
        if marker == 0xD8:  # a stray SOI has no length field
            position += 2
        else:  # skip the segment; after SOS the search skips the entropy-coded data in C
            position += 2 + int.from_bytes(data[position + 2 : position + 4], "big")


def _check_png_structure(data: bytes) -> None:
    """Count chunks up to IEND."""
    position = len(b"\x89PNG\r\n\x1a\n")
    for _ in range(MAX_PNG_CHUNKS):
        if position + 8 > len(data) or data[position + 4 : position + 8] == b"IEND":
            return
        position += 12 + int.from_bytes(data[position : position + 4], "big")
    raise _too_complex("PNG", MAX_PNG_CHUNKS, "image_parts_chunks")


def _check_gif_structure(data: bytes) -> None:
    """Count extension sub-blocks and filler bytes before the first image descriptor."""
    flags = data[10] if len(data) > 10 else 0
    position = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)  # after the global palette
    blocks, filler = 0, 0
    while position < len(data) and data[position] not in b",;":  # image descriptor, trailer
        if data[position] != 0x21:  # not an extension: Pillow skips it one byte at a time
            filler += 1
            if filler > _MAX_FILLER:
                raise _damaged("GIF")
            position += 1
            continue
        position += 2  # extension introducer and label
        while position < len(data):  # data sub-blocks, up to the empty terminator
            size = data[position]
            position += 1 + size
            blocks += 1
            if blocks > MAX_BLOCKS:
                raise _too_complex("GIF", MAX_BLOCKS, "image_parts_blocks")
            if size == 0:
                break


# ------------------------------------------------------------------------------------- checking


def _check_size(size: tuple[int, int], limits: ImageLimits) -> None:
    """Refuse a (width, height) over the limits, naming the size and the limit it breaks."""
    width, height = size
    pixels = width * height
    if pixels > limits.max_pixels:
        raise ImageError(
            "image_too_many_pixels",
            width=width,
            height=height,
            **_pixels_fields(pixels, "pixels"),
            **_pixels_fields(limits.max_pixels, "limit"),
        )
    long_side, short_side = max(width, height), min(width, height)
    if long_side > limits.max_side:
        raise ImageError(
            "image_side_too_long", width=width, height=height, max_side=limits.max_side
        )
    if short_side < limits.min_side:
        raise ImageError(
            "image_side_too_short", width=width, height=height, min_side=limits.min_side
        )
    if long_side > limits.max_aspect * short_side:
        raise ImageError(
            "image_too_wide" if width > height else "image_too_tall",
            width=width,
            height=height,
            ratio=long_side / short_side,
            max_aspect=limits.max_aspect,
        )


def _check_tiff_tiles(picture: Image.Image, limits: ImageLimits) -> None:
    """Refuse TIFF tiles over the pixel cap: libtiff allocates a whole tile however small the
    image is (an 80 KB file with one 9216 x 9216 tile for a 64 x 64 image costs 80-500 MB)."""
    tags = getattr(picture, "tag_v2", {})
    tile_width, tile_height = tags.get(322), tags.get(323)  # TileWidth, TileLength
    if not (isinstance(tile_width, int) and isinstance(tile_height, int)):
        return
    if tile_width * tile_height > limits.max_pixels:
        raise ImageError(
            "image_tiles_too_big",
            tile_width=tile_width,
            tile_height=tile_height,
            **_pixels_fields(tile_width * tile_height, "pixels"),
            **_pixels_fields(limits.max_pixels, "limit"),
        )


def _bomb(error: Exception, limits: ImageLimits) -> ImageError:
    """Pillow's decompression-bomb error as ours: its text carries the pixel count, not the size."""
    limit = _pixels_fields(limits.max_pixels, "limit")
    match = re.search(r"\((\d+) pixels\)", str(error))
    if match is None:
        return ImageError("image_bomb_unknown", **limit)
    return ImageError("image_bomb", **_pixels_fields(int(match.group(1)), "pixels"), **limit)


# ------------------------------------------------------------------------------------- decoding


def _decode(data: bytes, fmt: str, limits: ImageLimits) -> npt.NDArray[np.uint8]:
    """Open with one plugin, check the header size, then load and normalise the first frame."""
    try:
        with _OPEN_LOCK, warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            picture = Image.open(io.BytesIO(data), formats=[fmt])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise _bomb(error, limits) from error
    except Image.UnidentifiedImageError as error:
        raise ImageError("image_header_damaged", fmt=_display_name(fmt)) from error
    with picture:
        if picture.format not in ALLOWED_FORMATS:  # belt and braces: formats=[fmt] ensures it
            raise ImageError("image_unsupported", formats=_FORMATS)
        _check_size(picture.size, limits)
        if picture.format == "TIFF":
            _check_tiff_tiles(picture, limits)
        picture.load()
        rgb = _to_rgb(_upright(picture), picture.format or fmt)
    height, width = rgb.shape[:2]
    _check_size((width, height), limits)  # the size after decoding must still fit
    if not (rgb.flags.c_contiguous and rgb.flags.owndata and rgb.flags.writeable):
        rgb = np.array(rgb, dtype=np.uint8, order="C")  # every path above already gives one
    return rgb


def _upright(picture: Image.Image) -> Image.Image:
    """Apply the EXIF orientation tag; a damaged EXIF block leaves the image as stored."""
    try:
        return ImageOps.exif_transpose(picture)
    except Exception:  # noqa: BLE001 -- broken EXIF is common; it must not cost the photo
        return picture


def _to_rgb(picture: Image.Image, fmt: str) -> npt.NDArray[np.uint8]:
    """Map any Pillow mode to RGB uint8 (H, W, 3), compositing transparency over white."""
    mode = picture.mode
    if mode.startswith("I;16"):
        grey = _scale_16bit(np.array(picture))
    elif mode == "I":
        grey = _scale_int32(np.array(picture))
    elif mode == "F":
        grey = _scale_float(np.array(picture))
    else:
        try:
            if mode == "La":  # premultiplied grey + alpha: Pillow converts it only to LA
                picture = picture.convert("LA")
            if picture.has_transparency_data:
                return _over_white(np.array(picture.convert("RGBA")))
            return np.array(picture.convert("RGB"))
        except ValueError as error:  # a mode Pillow cannot convert to RGB
            raise ImageError("image_colour_mode", fmt=_display_name(fmt), mode=mode) from error
    return np.repeat(grey[:, :, None], 3, axis=2)


def _over_white(rgba: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """Composite straight-alpha RGBA (H, W, 4) over white -> RGB uint8 (H, W, 3), rounded."""
    colour = rgba[:, :, :3].astype(np.uint32)
    alpha = rgba[:, :, 3:].astype(np.uint32)
    blended = (colour * alpha + 255 * (255 - alpha) + 127) // 255
    return blended.astype(np.uint8)


def _scale_16bit(values: npt.NDArray[np.integer]) -> npt.NDArray[np.uint8]:
    """0..65535 -> 0..255 by the format's range, round(v / 257), so 65535 -> 255, 32896 -> 128."""
    wide = values.astype(np.uint32)
    return ((wide * 255 + 32767) // 65535).astype(np.uint8)


def _scale_int32(values: npt.NDArray[np.integer]) -> npt.NDArray[np.uint8]:
    """32-bit integers: as-is if within 0..255, as 16-bit if within 0..65535, else min-max."""
    low, high = int(values.min()), int(values.max())
    if low >= 0 and high <= 255:
        return values.astype(np.uint8)
    if low >= 0 and high <= 65535:
        return _scale_16bit(values)
    return _stretch(values.astype(np.float64), low, high)


def _scale_float(values: npt.NDArray[np.floating]) -> npt.NDArray[np.uint8]:
    """Floats: [0, 1] scaled by 255 if they lie there, else min-max; NaN/inf count as 0."""
    finite = np.where(np.isfinite(values), values, 0.0).astype(np.float64)
    low, high = float(finite.min()), float(finite.max())
    if low >= 0.0 and high <= 1.0:
        return np.rint(finite * 255.0).astype(np.uint8)
    return _stretch(finite, low, high)


def _stretch(values: npt.NDArray[np.float64], low: float, high: float) -> npt.NDArray[np.uint8]:
    """Min-max stretch to 0..255; a constant image becomes black."""
    if high <= low:
        return np.zeros(values.shape, dtype=np.uint8)
    return np.rint((values - low) * (255.0 / (high - low))).astype(np.uint8)


# ------------------------------------------------------------------------- error keys and fields


def _damaged(fmt: str) -> ImageError:
    return ImageError("image_damaged", fmt=_display_name(fmt))


def _display_name(fmt: str) -> str:
    """The format's usual name: Pillow's "WEBP" is WebP, a multi-picture "MPO" is a JPEG."""
    return {"WEBP": "WebP", "MPO": "JPEG"}.get(fmt, fmt)


def _too_big(size: int, limits: ImageLimits, key: str = "image_too_big") -> ImageError:
    """A file of `size` bytes over `limits.max_bytes` (`key`: exact or "about" size)."""
    return ImageError(
        key, **_bytes_fields(size, "size"), **_bytes_fields(limits.max_bytes, "limit")
    )


def _bytes_fields(size: int, name: str) -> dict[str, str | Term]:
    """A byte count as the fields `{name}` and `{name}_unit`: ("900", bytes), ("7", "KB"),
    ("25.3", "MB") (1 KB = 1024 bytes, 1 MB = 1024 * 1024 bytes; KB and MB are symbols, the
    same in every language, "bytes" is a word)."""
    if size < 1024:
        return {name: str(size), f"{name}_unit": Term("image_unit_bytes")}
    if size < _MB:
        return {name: f"{size / 1024:.0f}", f"{name}_unit": "KB"}
    return {name: f"{size / _MB:.1f}".removesuffix(".0"), f"{name}_unit": "MB"}


def _pixels_fields(pixels: int, name: str) -> dict[str, str | Term]:
    """A pixel count as the fields `{name}` and `{name}_unit`: ("5,000", pixels) below
    100,000, else megapixels to three digits ("1.23", "84.9") or whole ("400", "4,295")."""
    if pixels < 100_000:
        return {name: f"{pixels:,}", f"{name}_unit": Term("image_unit_pixels")}
    megapixels = pixels / 1e6
    number = f"{megapixels:,.0f}" if megapixels >= 100 else f"{megapixels:.3g}"
    return {name: number, f"{name}_unit": Term("image_unit_megapixels")}
