"""Image files built in code, for tests of anything that accepts untrusted images.

Every function returns the bytes of one file; the same call always returns the same bytes
(seeded, no randomness from the clock), and nothing is read from disk or the network. Good
images are small (tens of pixels) so decoding them costs microseconds; the hostile ones (bombs,
strips, forged headers) are real, small files whose headers claim enormous sizes.

Known answers live next to the fixture that needs them (`PNG16_VALUES`, `EXIF_CORNER_RGB`...)
so other test files can reuse both.
"""

from __future__ import annotations

import functools
import io
import struct
import zlib
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from PIL import Image, PngImagePlugin

RED = (255, 0, 0)
GREEN = (0, 255, 0)
BLUE = (0, 0, 255)
WHITE = (255, 255, 255)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# ---------------------------------------------------------------------------------- helpers


def _save(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def sample_rgb(width: int = 64, height: int = 48, seed: int = 0) -> npt.NDArray[np.uint8]:
    """A deterministic RGB uint8 (height, width, 3) test picture: gradients plus seeded noise."""
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:height, 0:width]
    picture = np.stack(
        [xs * 255 // max(width - 1, 1), ys * 255 // max(height - 1, 1), (xs + ys) % 256], axis=2
    )
    noise = rng.integers(-20, 21, size=picture.shape)
    return np.clip(picture + noise, 0, 255).astype(np.uint8)


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    """One PNG chunk: length, type, payload, CRC."""
    crc = zlib.crc32(kind + payload)
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def raw_png_bytes(
    width: int,
    height: int,
    bit_depth: int,
    colour_type: int,
    scanlines: bytes,
    extra_chunks: tuple[tuple[bytes, bytes], ...] = (),
) -> bytes:
    """A PNG written by hand: `scanlines` are the filtered rows (filter byte + samples)."""
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    chunks = [png_chunk(b"IHDR", ihdr)]
    chunks += [png_chunk(kind, payload) for kind, payload in extra_chunks]
    chunks += [png_chunk(b"IDAT", zlib.compress(scanlines, 9)), png_chunk(b"IEND", b"")]
    return PNG_SIGNATURE + b"".join(chunks)


def _all_zero_1bit_png(width: int, height: int) -> bytes:
    """A valid black 1-bit PNG of any size, compressed in 1 MB pieces (never held in memory)."""
    row = 1 + (width + 7) // 8  # filter byte + packed bits
    remaining = row * height
    compressor = zlib.compressobj(9)
    zeros = bytes(1 << 20)
    parts = []
    while remaining > 0:
        step = min(remaining, len(zeros))
        parts.append(compressor.compress(zeros if step == len(zeros) else zeros[:step]))
        remaining -= step
    parts.append(compressor.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        PNG_SIGNATURE
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", b"".join(parts))
        + png_chunk(b"IEND", b"")
    )


def png_chunk_types(data: bytes) -> list[bytes]:
    """The chunk types of a PNG file, in order (e.g. [b'IHDR', b'IDAT', b'IEND'])."""
    assert data.startswith(PNG_SIGNATURE), "not a PNG"
    kinds, offset = [], len(PNG_SIGNATURE)
    while offset + 8 <= len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kinds.append(data[offset + 4 : offset + 8])
        offset += 12 + length
    return kinds


# ------------------------------------------------------------------------------ good images


def good_jpeg_bytes(width: int = 64, height: int = 48) -> bytes:
    """Baseline RGB JPEG of `sample_rgb` (quality 95)."""
    return _save(Image.fromarray(sample_rgb(width, height)), "JPEG", quality=95)


def good_png_bytes(width: int = 64, height: int = 48) -> bytes:
    """Lossless RGB PNG of `sample_rgb`."""
    return _save(Image.fromarray(sample_rgb(width, height)), "PNG")


def good_gif_bytes(width: int = 64, height: int = 48) -> bytes:
    """Single-frame GIF of `sample_rgb` quantised to a 64-colour palette."""
    return _save(Image.fromarray(sample_rgb(width, height)).quantize(64), "GIF")


def good_webp_bytes(width: int = 64, height: int = 48) -> bytes:
    """Lossless WebP (VP8L) of `sample_rgb`."""
    return _save(Image.fromarray(sample_rgb(width, height)), "WEBP", lossless=True)


def lossy_webp_bytes(width: int = 64, height: int = 48) -> bytes:
    """Lossy WebP (VP8) of `sample_rgb`."""
    return _save(Image.fromarray(sample_rgb(width, height)), "WEBP", quality=90)


def good_bmp_bytes(width: int = 64, height: int = 48) -> bytes:
    """24-bit BMP of `sample_rgb`."""
    return _save(Image.fromarray(sample_rgb(width, height)), "BMP")


def good_tiff_bytes(width: int = 64, height: int = 48) -> bytes:
    """Uncompressed RGB TIFF of `sample_rgb`."""
    return _save(Image.fromarray(sample_rgb(width, height)), "TIFF")


def mpo_bytes() -> bytes:
    """A two-picture MPO (stereo camera JPEG): first picture red, second blue, 32 x 24."""
    first, second = Image.new("RGB", (32, 24), RED), Image.new("RGB", (32, 24), BLUE)
    return _save(first, "MPO", save_all=True, append_images=[second], quality=95)


# Lossless good fixtures: decoding must give back exactly `sample_rgb(64, 48)`.
LOSSLESS_FIXTURES: dict[str, Callable[[], bytes]] = {
    "png": good_png_bytes,
    "webp": good_webp_bytes,
    "bmp": good_bmp_bytes,
    "tiff": good_tiff_bytes,
}
# Every allowed format, one good file each.
GOOD_FIXTURES: dict[str, Callable[[], bytes]] = {
    **LOSSLESS_FIXTURES,
    "jpeg": good_jpeg_bytes,
    "gif": good_gif_bytes,
    "webp-lossy": lossy_webp_bytes,
    "mpo": mpo_bytes,
}


# ----------------------------------------------------------------------- colour conversions

# 16-bit grey values of `png16_bytes`' columns and their expected 8-bit values
# (round(v / 257): scaled by the format's range, not clipped at 255).
PNG16_VALUES: tuple[int, ...] = (0, 255, 257, 32896, 40000, 65280, 65534, 65535)
PNG16_EXPECTED: tuple[int, ...] = (0, 1, 1, 128, 156, 254, 255, 255)


def png16_bytes() -> bytes:
    """8 x 8 16-bit greyscale PNG (mode I;16); column j holds `PNG16_VALUES[j]`."""
    row = b"\x00" + b"".join(struct.pack(">H", v) for v in PNG16_VALUES)
    return raw_png_bytes(8, 8, 16, 0, row * 8)


def png16_rgb_bytes() -> bytes:
    """8 x 8 16-bit RGB PNG: every pixel (65535, 32896, 0), expected (255, 128, 0)."""
    row = b"\x00" + struct.pack(">HHH", 65535, 32896, 0) * 8
    return raw_png_bytes(8, 8, 16, 2, row * 8)


def tiff16_bytes() -> bytes:
    """8 x 8 16-bit greyscale TIFF (mode I;16); column j holds `PNG16_VALUES[j]`."""
    values = np.tile(np.array(PNG16_VALUES, dtype=np.uint16), (8, 1))
    return _save(Image.fromarray(values), "TIFF")


def int32_tiff_bytes(values: tuple[int, ...]) -> bytes:
    """8 x 8 32-bit signed integer TIFF (mode I); column j holds `values[j % len(values)]`."""
    row = np.resize(np.array(values, dtype=np.int32), 8)
    return _save(Image.fromarray(np.tile(row, (8, 1))), "TIFF")


def float_tiff_bytes(values: tuple[float, ...]) -> bytes:
    """8 x 8 32-bit float TIFF (mode F); column j holds `values[j % len(values)]`."""
    row = np.resize(np.array(values, dtype=np.float32), 8)
    return _save(Image.fromarray(np.tile(row, (8, 1))), "TIFF")


def cmyk_jpeg_bytes() -> bytes:
    """16 x 16 CMYK JPEG (Adobe marker), pure cyan (C=255, M=Y=K=0): expect about (0, 255, 255)."""
    return _save(Image.new("CMYK", (16, 16), (255, 0, 0, 0)), "JPEG", quality=95)


def rgba_png_bytes() -> bytes:
    """16 x 16 RGBA PNG with a tEXt chunk (`Author: secret-author`).

    Columns 0-5: black, fully transparent (expect white); columns 6-10: black at alpha 128
    (expect 127); columns 11-15: opaque red (expect red).
    """
    pixels = np.zeros((16, 16, 4), dtype=np.uint8)
    pixels[:, 6:11, 3] = 128
    pixels[:, 11:] = (255, 0, 0, 255)
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "secret-author")
    return _save(Image.fromarray(pixels), "PNG", pnginfo=info)


def la_png_bytes() -> bytes:
    """16 x 16 grey + alpha PNG: grey 0 at alpha 0 everywhere (expect white)."""
    return _save(Image.new("LA", (16, 16), (0, 0)), "PNG")


def palette_trns_png_bytes() -> bytes:
    """16 x 16 palette PNG with tRNS: index 0 (green) transparent on the left half, index 1 (red)
    opaque on the right half. Expect white left, red right."""
    picture = Image.new("P", (16, 16), 0)
    picture.putpalette([*GREEN, *RED])
    picture.paste(1, (8, 0, 16, 16))
    return _save(picture, "PNG", transparency=0)


def palette_png_bytes() -> bytes:
    """16 x 16 palette PNG, no transparency: index 0 = blue (left), index 1 = red (right)."""
    picture = Image.new("P", (16, 16), 0)
    picture.putpalette([*BLUE, *RED])
    picture.paste(1, (8, 0, 16, 16))
    return _save(picture, "PNG")


def one_bit_png_bytes() -> bytes:
    """16 x 16 1-bit PNG: black left half, white right half."""
    picture = Image.new("1", (16, 16), 0)
    picture.paste(1, (8, 0, 16, 16))
    return _save(picture, "PNG")


def grey_png_bytes() -> bytes:
    """16 x 16 8-bit greyscale PNG, every pixel 77."""
    return _save(Image.new("L", (16, 16), 77), "PNG")


# Stored 40 x 20 (wide) picture: a 10 x 10 red block in the stored top-left corner, blue
# elsewhere. For each EXIF orientation: the upright (height, width) and where the red block ends.
EXIF_CORNER_RGB = RED
EXIF_ORIENTATIONS: dict[int, tuple[tuple[int, int], str]] = {
    1: ((20, 40), "top-left"),
    3: ((20, 40), "bottom-right"),
    6: ((40, 20), "top-right"),
    8: ((40, 20), "bottom-left"),
}


def rotated_exif_jpeg_bytes(orientation: int = 6) -> bytes:
    """40 x 20 JPEG whose EXIF says `orientation`; also carries Make = 'SecretCam'."""
    pixels = np.zeros((20, 40, 3), dtype=np.uint8)
    pixels[:] = BLUE
    pixels[:10, :10] = RED
    exif = Image.Exif()
    exif[0x0112] = orientation  # Orientation
    exif[0x010F] = "SecretCam"  # Make: user metadata that must never be re-emitted
    return _save(Image.fromarray(pixels), "JPEG", quality=95, exif=exif)


def _frames() -> list[Image.Image]:
    """Frame 0: left half red, right half green. Frame 1: all blue. 16 x 16."""
    first = Image.new("RGB", (16, 16), RED)
    first.paste(GREEN, (8, 0, 16, 16))
    return [first, Image.new("RGB", (16, 16), BLUE)]


def animated_gif_bytes() -> bytes:
    """Two-frame GIF (see `_frames`); the first frame must come back as real RGB colours."""
    first, second = _frames()
    return _save(first, "GIF", save_all=True, append_images=[second], duration=100, loop=0)


def animated_webp_bytes() -> bytes:
    """Two-frame lossless animated WebP (see `_frames`)."""
    first, second = _frames()
    return _save(first, "WEBP", save_all=True, append_images=[second], lossless=True)


def animated_png_bytes() -> bytes:
    """Two-frame APNG (see `_frames`)."""
    first, second = _frames()
    return _save(first, "PNG", save_all=True, append_images=[second], duration=100)


def transparent_gif_bytes() -> bytes:
    """16 x 16 GIF: left half transparent, right half red. Expect white left, red right."""
    picture = Image.new("P", (16, 16), 0)
    picture.putpalette([*GREEN, *RED])
    picture.paste(1, (8, 0, 16, 16))
    return _save(picture, "GIF", transparency=0)


# ------------------------------------------------------------------- bombs and odd shapes


@functools.lru_cache(maxsize=1)
def png_bomb_bytes() -> bytes:
    """A real, valid 20000 x 20000 1-bit black PNG (400 megapixels) of about 50 KB.

    Decoded naively it would need 400 MB as a 1-bit Pillow image and 1.2 GB as RGB.
    """
    return _all_zero_1bit_png(20_000, 20_000)


@functools.lru_cache(maxsize=8)
def strip_png_bytes(width: int = 1, height: int = 60_000_000) -> bytes:
    """A real, valid black 1-bit PNG of `width` x `height` (default a 1 x 60,000,000 strip,
    about 120 KB; it takes about 0.3 s to build, so it is cached)."""
    return _all_zero_1bit_png(width, height)


def _minimal_tiff(width: int, height: int, pixels: bytes) -> bytes:
    """An uncompressed 8-bit greyscale little-endian TIFF with one strip, written by hand."""
    entries = [
        (256, 4, 1, width),  # ImageWidth, LONG
        (257, 4, 1, height),  # ImageLength
        (258, 3, 1, 8),  # BitsPerSample, SHORT
        (259, 3, 1, 1),  # Compression: none
        (262, 3, 1, 1),  # Photometric: black is zero
        (273, 4, 1, 0),  # StripOffsets, patched below
        (277, 3, 1, 1),  # SamplesPerPixel
        (278, 4, 1, height),  # RowsPerStrip
        (279, 4, 1, len(pixels)),  # StripByteCounts
    ]
    ifd_size = 2 + 12 * len(entries) + 4
    data_offset = 8 + ifd_size
    ifd = struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        value = data_offset if tag == 273 else value
        packed = struct.pack("<HH", value, 0) if kind == 3 else struct.pack("<I", value)
        ifd += struct.pack("<HHI", tag, kind, count) + packed
    ifd += struct.pack("<I", 0)
    return b"II*\x00" + struct.pack("<I", 8) + ifd + pixels


def tiled_tiff_bytes(width: int = 64, height: int = 64, tile: int = 64) -> bytes:
    """A black 8-bit greyscale TIFF stored as one deflate-compressed `tile` x `tile` tile
    (`tile` a multiple of 16). A tile far larger than the image makes libtiff allocate it all:
    `tiled_tiff_bytes(64, 64, 9216)` is 80 KB and would cost 85 megapixels of memory."""
    data = zlib.compress(bytes(tile * tile), 9)
    entries = [
        (256, 4, width),  # ImageWidth
        (257, 4, height),  # ImageLength
        (258, 3, 8),  # BitsPerSample
        (259, 3, 8),  # Compression: deflate
        (262, 3, 1),  # Photometric: black is zero
        (277, 3, 1),  # SamplesPerPixel
        (322, 4, tile),  # TileWidth
        (323, 4, tile),  # TileLength
        (324, 4, 0),  # TileOffsets, patched below
        (325, 4, len(data)),  # TileByteCounts
    ]
    data_offset = 8 + 2 + 12 * len(entries) + 4
    ifd = struct.pack("<H", len(entries))
    for tag, kind, value in entries:
        value = data_offset if tag == 324 else value
        packed = struct.pack("<HH", value, 0) if kind == 3 else struct.pack("<I", value)
        ifd += struct.pack("<HHI", tag, kind, 1) + packed
    return b"II*\x00" + struct.pack("<I", 8) + ifd + struct.pack("<I", 0) + data


def forged_size_bytes(fmt: str, width: int, height: int) -> bytes:
    """A small, otherwise valid file whose header claims `width` x `height` pixels.

    `fmt` is one of "png", "gif", "jpeg", "bmp", "tiff", "webp-vp8l" (sides up to 16384) or
    "webp-vp8x" (canvas sides up to 2**24).
    """
    if fmt == "png":
        data = bytearray(grey_png_bytes())
        ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
        data[8:33] = png_chunk(b"IHDR", ihdr)
        return bytes(data)
    if fmt == "gif":
        data = bytearray(good_gif_bytes(16, 16))
        data[6:10] = struct.pack("<HH", width, height)  # logical screen
        return bytes(data)
    if fmt == "jpeg":
        data = bytearray(good_jpeg_bytes(16, 16))
        offset = 2  # walk the markers after SOI up to the frame header (SOF0)
        while data[offset + 1] != 0xC0:
            offset += 2 + struct.unpack(">H", data[offset + 2 : offset + 4])[0]
        data[offset + 5 : offset + 9] = struct.pack(">HH", height, width)
        return bytes(data)
    if fmt == "bmp":
        data = bytearray(good_bmp_bytes(16, 16))
        data[18:26] = struct.pack("<ii", width, height)
        return bytes(data)
    if fmt == "tiff":
        return _minimal_tiff(width, height, bytes(64))
    if fmt == "webp-vp8l":
        data = bytearray(good_webp_bytes(16, 16))
        assert data[12:16] == b"VP8L"
        bits = int.from_bytes(data[21:25], "little") & ~((1 << 28) - 1)
        data[21:25] = (bits | (width - 1) | ((height - 1) << 14)).to_bytes(4, "little")
        return bytes(data)
    if fmt == "webp-vp8x":
        body = good_webp_bytes(16, 16)[12:]  # the VP8L chunk
        vp8x = b"\x00\x00\x00\x00" + (width - 1).to_bytes(3, "little")
        vp8x += (height - 1).to_bytes(3, "little")
        chunks = b"VP8X" + struct.pack("<I", 10) + vp8x + body
        return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WEBP" + chunks
    raise ValueError(f"unknown format {fmt!r}")


# ------------------------------------------------------------------- damaged and truncated


def truncated_jpeg_bytes() -> bytes:
    """The first half of a good JPEG: the header is intact, the scan data stops mid-way."""
    data = good_jpeg_bytes()
    return data[: len(data) // 2]


def truncated_png_bytes() -> bytes:
    """The first half of a good PNG: IHDR intact, IDAT cut off."""
    data = good_png_bytes()
    return data[: len(data) // 2]


def truncated_gif_bytes() -> bytes:
    """The first half of a good GIF."""
    data = good_gif_bytes()
    return data[: len(data) // 2]


def truncated_webp_bytes() -> bytes:
    """The first half of a good WebP."""
    data = good_webp_bytes()
    return data[: len(data) // 2]


def truncated_bmp_bytes() -> bytes:
    """The first half of a good BMP."""
    data = good_bmp_bytes()
    return data[: len(data) // 2]


def truncated_tiff_bytes() -> bytes:
    """The first half of a good TIFF (Pillow writes the IFD last, so the header is lost too)."""
    data = good_tiff_bytes()
    return data[: len(data) // 2]


def progressive_jpeg_bytes(extra_scans: int = 0) -> bytes:
    """Progressive JPEG of `sample_rgb` (about 10 scans), with its last scan repeated
    `extra_scans` times (libjpeg decodes each one over the whole picture)."""
    data = _save(Image.fromarray(sample_rgb()), "JPEG", quality=90, progressive=True)
    last_scan = data[data.rindex(b"\xff\xda") : -2]
    return data[:-2] + last_scan * extra_scans + b"\xff\xd9"


def jpeg_fill_bytes(fill: int = 100_000) -> bytes:
    """A good JPEG with `fill` 0xFF fill bytes after SOI (Pillow skips them byte by byte)."""
    data = good_jpeg_bytes()
    return data[:2] + b"\xff" * fill + data[2:]


def _gif_first_block(data: bytes) -> int:
    """Offset just after a GIF's header and global palette."""
    flags = data[10]
    return 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)


def gif_comments_bytes(comments: int = 20_000) -> bytes:
    """A good GIF with `comments` empty comment extensions before its image (Pillow joins them
    quadratically: 200,000 take a second, 20 MB of them many minutes)."""
    data = good_gif_bytes()
    at = _gif_first_block(data)
    return data[:at] + b"\x21\xfe\x00" * comments + data[at:]


def png_chunks_bytes(chunks: int = 100_001) -> bytes:
    """A good PNG with `chunks` empty private chunks before IDAT."""
    data = good_png_bytes()
    at = 8 + 25  # after the signature and IHDR
    return data[:at] + png_chunk(b"zzZz", b"") * chunks + data[at:]


def damaged_png_header_bytes() -> bytes:
    """The PNG signature followed by garbage where IHDR should be."""
    return PNG_SIGNATURE + b"this is not an IHDR chunk at all" * 4


# ------------------------------------------------------------------- not images, or refused


def empty_bytes() -> bytes:
    """Zero bytes."""
    return b""


def text_bytes() -> bytes:
    """A plain UTF-8 text file."""
    return "Residual networks learn F(x) = H(x) - x. 残差网络\n".encode() * 20


def html_bytes() -> bytes:
    """A small HTML page with a script."""
    return b"<!DOCTYPE html>\n<html><body><script>alert(1)</script><img src=x></body></html>\n"


def svg_bytes() -> bytes:
    """An SVG drawing (XML prolog first, as editors write it)."""
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">'
        b'<circle cx="50" cy="50" r="40" fill="red"/></svg>\n'
    )


def pdf_bytes() -> bytes:
    """A real one-page PDF written by Pillow."""
    return _save(Image.new("RGB", (16, 16), RED), "PDF")


def eps_bytes() -> bytes:
    """A real EPS file written by Pillow (opening it with Pillow would run Ghostscript)."""
    return _save(Image.new("RGB", (16, 16), RED), "EPS")


def psd_bytes() -> bytes:
    """The header of a Photoshop file: 8BPS, version 1, 3 channels, 16 x 16, 8-bit RGB."""
    return b"8BPS" + struct.pack(">H6xHIIHH", 1, 3, 16, 16, 8, 3) + bytes(64)


def heic_bytes() -> bytes:
    """The start of a HEIC photo (ISO BMFF `ftyp` box, brand heic), as iPhones write."""
    ftyp = b"ftypheic" + struct.pack(">I", 0) + b"mif1heic"
    return struct.pack(">I", 4 + len(ftyp)) + ftyp + bytes(64)


def avif_bytes() -> bytes:
    """A real AVIF image written by Pillow (a format Pillow reads but we refuse)."""
    return _save(Image.new("RGB", (16, 16), RED), "AVIF")


def ico_bytes() -> bytes:
    """A real Windows icon written by Pillow."""
    return _save(Image.new("RGB", (16, 16), RED), "ICO")


def random_bytes(size: int = 4096, seed: int = 0) -> bytes:
    """Seeded random noise."""
    return np.random.default_rng(seed).integers(0, 256, size, dtype=np.uint8).tobytes()


# Files that are not allowed images, each with a phrase the error should contain.
NOT_IMAGE_FIXTURES: dict[str, tuple[Callable[[], bytes], str]] = {
    "text": (text_bytes, "text file"),
    "html": (html_bytes, "web page"),
    "svg": (svg_bytes, "SVG"),
    "pdf": (pdf_bytes, "PDF"),
    "eps": (eps_bytes, "EPS"),
    "psd": (psd_bytes, "PSD"),
    "heic": (heic_bytes, "HEIC"),
    "avif": (avif_bytes, "AVIF"),
    "ico": (ico_bytes, "ICO"),
    "random": (random_bytes, "not a supported image"),
}

# Formats Pillow can read but the app refuses (Pillow must never be asked to try them).
PILLOW_ONLY_FORMATS: tuple[str, ...] = ("PCX", "TGA", "PPM", "SGI", "IM", "DDS", "QOI", "XBM")


def pillow_only_bytes(fmt: str) -> bytes:
    """A real 16 x 16 file in `fmt`, one of `PILLOW_ONLY_FORMATS`."""
    picture = Image.new("RGB", (16, 16), RED)
    return _save(picture.convert("1") if fmt == "XBM" else picture, fmt)
