"""Coverage-guided fuzzing of `resnet_demo.imaging.decode_image` with atheris (libFuzzer).

The property: for *any* bytes, `decode_image` either returns a fresh, C-contiguous RGB
`uint8` array of shape (H, W, 3) within the limits, or raises `ImageError`. Any other
exception, a hang (`-timeout`) or a memory blow-up (`-rss_limit_mb`) is a finding.

atheris is not a project dependency; run it from a throwaway environment:

    python3.11 -m venv /tmp/fuzzvenv
    /tmp/fuzzvenv/bin/pip install atheris pillow numpy
    /tmp/fuzzvenv/bin/python benchmarks/fuzz_imaging.py /tmp/fuzz-corpus \\
        -max_total_time=180 -timeout=10 -rss_limit_mb=3072

The corpus folder is seeded with small valid files of every allowed format (from
`tests/image_fixtures.py`) when it is empty. To replay one crashing input without fuzzing, pass
its file instead of a folder (libFuzzer's usual behaviour).

`imaging.py` is imported as a top-level module rather than as `resnet_demo.imaging` so the
harness never runs the package `__init__` (which may pull in torch); the module itself imports
only numpy and Pillow, which is all the throwaway environment needs.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import atheris

ROOT = Path(__file__).resolve().parents[1]

sys.path.insert(0, str(ROOT / "resnet_demo"))  # imaging.py as a top-level module, see above
with atheris.instrument_imports(include=["PIL", "imaging"]):
    # Pillow imports its plugins lazily; import the allowed ones here so they are instrumented.
    import imaging
    from PIL import (  # noqa: F401
        BmpImagePlugin,
        GifImagePlugin,
        ImageOps,
        JpegImagePlugin,
        MpoImagePlugin,
        PngImagePlugin,
        TiffImagePlugin,
        WebPImagePlugin,
    )

# Smaller than the app's 40 megapixels so each execution stays fast; the caps themselves are
# tested exactly in tests/test_imaging.py.
LIMITS = imaging.ImageLimits(max_pixels=4_000_000, max_side=12_000)


def check_one_input(data: bytes) -> None:
    """libFuzzer entry point: any outcome other than a valid image or ImageError is a bug."""
    try:
        image = imaging.decode_image(data, LIMITS)
    except imaging.ImageError as error:
        if not str(error):
            raise AssertionError("ImageError without a message") from error
        return
    if not (
        image.dtype.name == "uint8"
        and image.ndim == 3
        and image.shape[2] == 3
        and image.flags.c_contiguous
        and image.flags.writeable
        and image.shape[0] * image.shape[1] <= LIMITS.max_pixels
        and min(image.shape[:2]) >= LIMITS.min_side
    ):
        raise AssertionError(f"bad output: {image.dtype} {image.shape} {image.flags}")


def seed_corpus(folder: Path) -> None:
    """Write one small valid file per allowed format (and per tricky mode) into `folder`."""
    sys.path.insert(0, str(ROOT / "tests"))
    import image_fixtures as fx

    makers = {
        **{f"good-{name}": make for name, make in fx.GOOD_FIXTURES.items()},
        "animated-gif": fx.animated_gif_bytes,
        "animated-webp": fx.animated_webp_bytes,
        "animated-png": fx.animated_png_bytes,
        "rgba-png": fx.rgba_png_bytes,
        "png16": fx.png16_bytes,
        "tiff16": fx.tiff16_bytes,
        "cmyk-jpeg": fx.cmyk_jpeg_bytes,
        "exif-jpeg": fx.rotated_exif_jpeg_bytes,
        "progressive-jpeg": fx.progressive_jpeg_bytes,
        "tiled-tiff": fx.tiled_tiff_bytes,
        "transparent-gif": fx.transparent_gif_bytes,
        "palette-png": fx.palette_trns_png_bytes,
        "float-tiff": lambda: fx.float_tiff_bytes((0.0, 0.5, 2.0)),
    }
    folder.mkdir(parents=True, exist_ok=True)
    for name, make in makers.items():
        (folder / name).write_bytes(make())


def main() -> None:
    """Seed an empty corpus folder (first non-flag argument), then hand over to libFuzzer."""
    warnings.simplefilter("ignore", UserWarning)  # Pillow's "Corrupt EXIF data" chatter
    folders = [Path(arg) for arg in sys.argv[1:] if not arg.startswith("-")]
    if folders and (not folders[0].exists() or not any(folders[0].iterdir())):
        seed_corpus(folders[0])
    atheris.Setup(sys.argv, check_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
