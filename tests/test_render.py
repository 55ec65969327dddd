"""Tests for resnet_demo.render: known answers, shapes/dtypes, no mutation, clear errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import matplotlib
import numpy as np
import pytest

from resnet_demo.render import (
    CardContent,
    Row,
    bar_chart,
    colorize,
    colorize_diverging,
    feature_grid,
    grids,
    layout_card,
    line_chart,
    lut,
    overlay,
    recording_texts,
    render_figure,
    resize_map,
    result_card,
    upscale_nearest,
)

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture
def image(rng: np.random.Generator) -> np.ndarray:
    return rng.integers(0, 256, size=(40, 56, 3), dtype=np.uint8)


@pytest.fixture
def heat(rng: np.random.Generator) -> np.ndarray:
    return rng.random((7, 7), dtype=np.float32)


def _rgb(arr: np.ndarray, shape: tuple[int, int] | None = None) -> None:
    assert arr.dtype == np.uint8
    assert arr.ndim == 3 and arr.shape[2] == 3
    if shape is not None:
        assert arr.shape[:2] == shape


# --- colorize ---------------------------------------------------------------------------------


@pytest.mark.parametrize("cmap", ["inferno", "viridis", "gray"])
def test_colorize_ends_are_lut_ends(cmap: str) -> None:
    table = lut(cmap)
    out = colorize(np.array([[0.0, 1.0]]), cmap)
    np.testing.assert_array_equal(out[0, 0], table[0])
    np.testing.assert_array_equal(out[0, 1], table[-1])


def test_lut_matches_matplotlib() -> None:
    expected = np.rint(matplotlib.colormaps["viridis"](np.linspace(0, 1, 256))[:, :3] * 255)
    np.testing.assert_array_equal(lut("viridis"), expected.astype(np.uint8))


def test_colorize_gray_is_linear() -> None:
    values = np.arange(256, dtype=np.float64).reshape(16, 16) / 255.0
    out = colorize(values, "gray")
    np.testing.assert_array_equal(out[..., 0], np.arange(256).reshape(16, 16))


def test_colorize_explicit_range_and_clipping() -> None:
    table = lut("inferno")
    out = colorize(np.array([[-5.0, 10.0, 20.0, 30.0, 99.0]]), vmin=10.0, vmax=30.0)
    np.testing.assert_array_equal(out[0], table[[0, 0, 128, 255, 255]])


def test_colorize_default_range_grows_beyond_unit_interval() -> None:
    table = lut("inferno")
    out = colorize(np.array([[-1.0, 0.0, 3.0]]))
    np.testing.assert_array_equal(out[0], table[[0, 64, 255]])


def test_colorize_nan_safe() -> None:
    table = lut("inferno")
    out = colorize(np.array([[np.nan, np.inf, -np.inf, 0.5]]))
    np.testing.assert_array_equal(out[0], table[[0, 255, 0, 128]])


def test_colorize_zero_width_range() -> None:
    table = lut("inferno")
    out = colorize(np.array([[0.2, 0.5, 0.9]]), vmin=0.5, vmax=0.5)
    np.testing.assert_array_equal(out[0], table[[0, 0, 255]])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"map_": np.zeros(4)}, "2-D"),
        ({"map_": np.zeros((2, 2, 3))}, "2-D"),
        ({"map_": np.zeros((0, 3))}, "empty"),
        ({"map_": np.array([["a", "b"]])}, "real numbers"),
        ({"map_": np.zeros((2, 2)), "cmap": "no-such-map"}, "unknown colour map"),
        ({"map_": np.zeros((2, 2)), "vmin": 1.0, "vmax": 0.0}, "vmax must be >= vmin"),
        ({"map_": np.zeros((2, 2)), "vmax": np.nan}, "finite"),
    ],
)
def test_colorize_rejects_bad_input(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        colorize(**kwargs)


# --- colorize_diverging ----------------------------------------------------------------------


def test_diverging_zero_is_neutral_light() -> None:
    out = colorize_diverging(np.array([[-1.0, 0.0, 1.0]]))
    middle = out[0, 1].astype(int)
    expected = np.rint(np.array(matplotlib.colormaps["RdBu_r"](0.5)[:3]) * 255)
    np.testing.assert_array_equal(middle, expected)
    assert middle.min() > 220 and middle.max() - middle.min() < 10  # light and grey


def test_diverging_sign_picks_side() -> None:
    out = colorize_diverging(np.array([[-0.5, 0.5]])).astype(int)
    negative, positive = out[0, 0], out[0, 1]
    assert negative[2] > negative[0]  # blue side
    assert positive[0] > positive[2]  # red side


def test_diverging_symmetric_default_limit() -> None:
    # limit = max |diff| = 2: -2 and 2 are the ends, -1 and 1 sit at a quarter from each end.
    out = colorize_diverging(np.array([[-2.0, -1.0, 1.0, 2.0]]))
    cmap = matplotlib.colormaps["RdBu_r"]
    expected = np.rint(cmap(np.array([0.0, 0.25, 0.75, 1.0]))[:, :3] * 255)
    np.testing.assert_array_equal(out[0], expected.astype(np.uint8))


def _lut_end(cmap: str, low: bool) -> np.ndarray:
    return np.rint(np.array(matplotlib.colormaps[cmap](0.0 if low else 1.0)[:3]) * 255)


@pytest.mark.parametrize("diff", [np.zeros((3, 4)), np.full((3, 4), np.nan)])
def test_diverging_zero_limit_is_flat(diff: np.ndarray) -> None:
    out = colorize_diverging(diff)
    assert (out == out[0, 0]).all()
    assert out[0, 0].min() > 220


def test_diverging_explicit_limit_clips() -> None:
    out = colorize_diverging(np.array([[5.0, 1.0]]), limit=1.0)
    np.testing.assert_array_equal(out[0, 0], out[0, 1])
    np.testing.assert_array_equal(out[0, 0], _lut_end("RdBu_r", low=False))


@pytest.mark.parametrize("limit", [-1.0, np.inf, np.nan])
def test_diverging_rejects_bad_limit(limit: float) -> None:
    with pytest.raises(ValueError, match="limit must be"):
        colorize_diverging(np.zeros((2, 2)), limit=limit)


# --- resize_map / overlay --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("src", "dst"), [((7, 7), (224, 224)), ((50, 30), (5, 9)), ((1, 1), (3, 4))]
)
def test_resize_map_constant_stays_constant(src: tuple[int, int], dst: tuple[int, int]) -> None:
    out = resize_map(np.full(src, 0.37), dst)
    assert out.shape == dst and out.dtype == np.float32
    np.testing.assert_allclose(out, 0.37, atol=1e-6)


def test_resize_map_stays_in_range_and_same_shape_copies(heat: np.ndarray) -> None:
    out = resize_map(heat, (33, 21))
    assert heat.min() <= out.min() and out.max() <= heat.max()
    same = resize_map(heat, heat.shape)
    np.testing.assert_array_equal(same, heat)
    assert not np.shares_memory(same, heat)


def test_resize_map_bilinear_midpoint() -> None:
    # A left-right ramp keeps its mean and its left < right order when enlarged.
    ramp = np.array([[0.0, 1.0]], dtype=np.float32)
    out = resize_map(ramp, (1, 8))
    assert np.all(np.diff(out[0]) >= 0) and out[0, 0] < 0.25 and out[0, -1] > 0.75
    np.testing.assert_allclose(out.mean(), 0.5, atol=1e-6)


@pytest.mark.parametrize("size", [(0, 5), (5, -1), (2.5, 3), (1, 2, 3), "ab"])
def test_resize_map_rejects_bad_size(size: object) -> None:
    with pytest.raises(ValueError, match="size must be"):
        resize_map(np.zeros((2, 2)), size)  # type: ignore[arg-type]


def test_overlay_alpha_zero_is_image(image: np.ndarray, heat: np.ndarray) -> None:
    np.testing.assert_array_equal(overlay(image, heat, alpha=0.0), image)


def test_overlay_alpha_one_is_colourized_heat(image: np.ndarray, heat: np.ndarray) -> None:
    full = resize_map(heat, image.shape[:2])
    expected = colorize(full, "inferno", 0.0, 1.0)
    np.testing.assert_array_equal(overlay(image, heat, alpha=1.0), expected)


def test_overlay_half_is_mean(image: np.ndarray) -> None:
    heat = np.ones(image.shape[:2], dtype=np.float32)
    top = lut("inferno")[-1].astype(np.float64)
    expected = np.rint(0.5 * image + 0.5 * top).astype(np.uint8)
    np.testing.assert_array_equal(overlay(image, heat, alpha=0.5), expected)


@pytest.mark.parametrize(
    ("image_", "heat_", "alpha", "match"),
    [
        (np.zeros((4, 4, 3), np.float32), np.zeros((2, 2)), 0.5, "uint8"),
        (np.zeros((4, 4), np.uint8), np.zeros((2, 2)), 0.5, r"\(H, W, 3\)"),
        (np.zeros((4, 4, 4), np.uint8), np.zeros((2, 2)), 0.5, r"\(H, W, 3\)"),
        (np.zeros((4, 4, 3), np.uint8), np.zeros((2, 2, 1)), 0.5, "heat must be a 2-D"),
        (np.zeros((4, 4, 3), np.uint8), np.zeros((2, 2)), 1.5, "alpha must be in"),
        (np.zeros((4, 4, 3), np.uint8), np.zeros((2, 2)), -0.1, "alpha must be in"),
        (np.zeros((4, 4, 3), np.uint8), np.zeros((2, 2)), np.nan, "alpha must be in"),
        (np.zeros((4, 4, 3), np.uint8), np.zeros((2, 2)), "0.5", "alpha must be a number"),
    ],
)
def test_overlay_rejects_bad_input(
    image_: np.ndarray, heat_: np.ndarray, alpha: object, match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        overlay(image_, heat_, alpha=alpha)  # type: ignore[arg-type]


# --- feature_grid ----------------------------------------------------------------------------


def test_feature_grid_small_map_shows_as_blocks() -> None:
    block = np.arange(16, dtype=np.float32).reshape(4, 4)
    out = feature_grid([block], tile=32, normalize="each")
    _rgb(out)
    pad = max(4, 32 // 12)
    tile = out[pad : pad + 32, pad : pad + 32]
    table = lut("viridis")
    # Each 8×8 block is one flat colour: the map's value at that cell.
    for r in range(4):
        for c in range(4):
            cell = tile[r * 8 : (r + 1) * 8, c * 8 : (c + 1) * 8]
            np.testing.assert_array_equal(
                cell, np.broadcast_to(table[round(block[r, c] / 15 * 255)], cell.shape)
            )


def test_feature_grid_layout_and_background(rng: np.random.Generator) -> None:
    maps = [rng.random((s, s)) for s in (4, 7, 14, 56, 112)]
    out = feature_grid(maps, titles=[f"m{i}" for i in range(5)], cols=3, tile=40)
    _rgb(out)
    no_titles = feature_grid(maps, cols=3, tile=40)
    pad = max(4, 40 // 12)
    assert no_titles.shape == (2 * (40 + pad) + pad, 3 * (40 + pad) + pad, 3)
    assert out.shape[1] == no_titles.shape[1] and out.shape[0] > no_titles.shape[0]
    assert (out[0] == 255).all() and (out[:, -1] == 255).all()  # white padding


def test_feature_grid_normalize_modes() -> None:
    low, high = np.zeros((2, 2)), np.ones((2, 2))
    table = lut("viridis")
    each = feature_grid([np.full((2, 2), 5.0), np.array([[0.0, 1.0], [2.0, 3.0]])], tile=8, cols=2)
    pad = 4
    np.testing.assert_array_equal(each[pad, pad], table[0])  # constant map -> low colour
    glob = feature_grid([low, high], tile=8, cols=2, normalize="global")
    np.testing.assert_array_equal(glob[pad, pad], table[0])
    np.testing.assert_array_equal(glob[pad, pad + 8 + pad], table[-1])
    none = feature_grid([np.full((2, 2), 0.5)], tile=8, normalize="none")
    np.testing.assert_array_equal(none[pad, pad], table[128])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"maps": []}, "at least one"),
        ({"maps": np.zeros((4, 4))}, "single 2-D array"),
        ({"maps": [np.zeros(3)]}, r"maps\[0\] must be a 2-D"),
        ({"maps": [np.zeros((2, 2))], "titles": ["a", "b"]}, "titles has 2 entries"),
        ({"maps": [np.zeros((2, 2))], "normalize": "max"}, "normalize must be one of"),
        ({"maps": [np.zeros((2, 2))], "tile": 2}, "tile must be"),
        ({"maps": [np.zeros((2, 2))], "cols": 0}, "cols must be"),
    ],
)
def test_feature_grid_rejects_bad_input(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        feature_grid(**kwargs)


# --- charts ----------------------------------------------------------------------------------


def test_bar_chart_bar_lengths_are_absolute() -> None:
    out = bar_chart(["a", "b"], [1.0, 0.25], width=400)
    _rgb(out)
    assert out.shape[1] == 400
    bar = np.array([76, 120, 168])
    rows = [y for y in range(out.shape[0]) if (out[y] == bar).all(axis=1).any()]
    first = (out[rows[0]] == bar).all(axis=1).sum()
    last = (out[rows[-1]] == bar).all(axis=1).sum()
    assert last == pytest.approx(first / 4, abs=2)


def test_bar_chart_highlight_colour() -> None:
    out = bar_chart(["a", "b", "c"], [0.5, 0.3, 0.2], highlight=1, title="Top-3")
    assert (out == np.array([228, 107, 36])).all(axis=2).any()
    plain = bar_chart(["a", "b", "c"], [0.5, 0.3, 0.2])
    assert not (plain == np.array([228, 107, 36])).all(axis=2).any()


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (([], []), {}, "at least one"),
        ((["a"], [0.1, 0.2]), {}, "labels has 1 entries but values has 2"),
        (("ab", [0.1, 0.2]), {}, "single string"),
        ((["a"], [np.nan]), {}, "NaN"),
        ((["a"], [0.5]), {"highlight": 3}, "highlight must be"),
        ((["a"], [0.5]), {"width": 50}, "width must be"),
    ],
)
def test_bar_chart_rejects_bad_input(args: tuple, kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        bar_chart(*args, **kwargs)


def test_line_chart_shape_and_series_colours() -> None:
    out = line_chart(
        {"residual": [0.9, 0.8, np.nan, 0.6], "plain": [0.9, 0.5, 0.3, 0.1]},
        xs=[0, 1, 2, 3],
        width=500,
        height=300,
        title="t",
        xlabel="x",
        ylabel="y",
        spread={"residual": [0.05, 0.05, 0.05, 0.05]},
    )
    _rgb(out, (300, 500))
    # Both series colours (Tableau blue, orange) appear, approximately (lines are antialiased).
    for colour in ([31, 119, 180], [255, 127, 14]):
        assert (np.abs(out.astype(int) - colour).sum(axis=2) < 30).sum() > 50


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"series": {}}, "non-empty mapping"),
        ({"series": {"a": []}}, "at least one point"),
        ({"series": {"a": [1, 2]}, "xs": [0, 1, 2]}, "has 2 values for 3"),
        ({"series": {"a": [1, 2]}, "xs": [0, np.inf]}, "xs must be finite"),
        ({"series": {"a": [1, 2]}, "spread": {"b": [0, 0]}}, "does not exist"),
        ({"series": {"a": [1, 2]}, "spread": {"a": [0, -1]}}, ">= 0"),
        ({"series": {"a": [1, 2]}, "height": 10}, "height must be"),
    ],
)
def test_line_chart_rejects_bad_input(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        line_chart(**kwargs)


# --- cards ---------------------------------------------------------------------------------


def _content(image_: np.ndarray, heat_: np.ndarray | None, **changes: object) -> CardContent:
    fields: dict = {
        "title": "ResNet-18 · cat.jpg",
        "image": image_,
        "heat": heat_,
        "top_labels": ["tabby", "tiger cat", "Egyptian cat"],
        "top_probs": [0.6, 0.3, 0.05],
        "caption_lines": ["model: resnet18", "switches: layer3.1=skip-off"],
    }
    fields.update(changes)
    return CardContent(**fields)


def _has_colour(card: np.ndarray, colour: tuple[int, int, int] | np.ndarray, n: int) -> bool:
    """Whether at least `n` pixels of `card` are (nearly) `colour`."""
    return int((np.abs(card.astype(int) - np.asarray(colour)).sum(axis=2) < 6).sum()) >= n


@pytest.mark.parametrize("width", [480, 800, 1200])
@pytest.mark.parametrize("n_extra", [0, 2])
def test_result_card_is_rgb_of_width(
    image: np.ndarray, heat: np.ndarray, width: int, n_extra: int
) -> None:
    extra = [(f"panel {i}", image) for i in range(n_extra)]
    out = result_card(_content(image, heat, extra_panels=extra), width=width)
    _rgb(out)
    assert out.shape[1] == width and out.shape[0] > width // 4
    assert (out[0] == 255).all() and (out[-1] == 255).all()  # white margins


def test_result_card_shows_the_picture_the_heat_map_and_the_bars() -> None:
    flat = np.zeros((64, 64, 3), np.uint8)
    flat[...] = (10, 200, 30)  # a colour nothing else on the card uses
    hot = np.ones((7, 7), np.float32)
    card = result_card(_content(flat, hot))
    assert _has_colour(card, (10, 200, 30), 150 * 150)  # the input, drawn large
    blended = (0.5 * flat[0, 0] + 0.5 * lut("inferno")[-1]).round()
    assert _has_colour(card, blended, 150 * 150)  # the overlay at full heat
    assert _has_colour(card, (76, 120, 168), 2000)  # the top-k bars
    without = result_card(_content(flat, None))
    assert not _has_colour(without, blended, 100)


def test_result_card_text_comes_from_the_catalogue(image: np.ndarray, heat: np.ndarray) -> None:
    from resnet_demo.text import t

    for lang in ("en", "zh"):
        with recording_texts() as texts:
            result_card(_content(image, heat, lang=lang))
        for key, fields in (("card_input", {}), ("card_top_k", {"k": 3}), ("card_key", {})):
            assert t(key, lang, **fields) in texts
        assert "ResNet-18 · cat.jpg" in texts and "tabby" in texts
    assert not np.array_equal(
        result_card(_content(image, heat, lang="zh")), result_card(_content(image, heat))
    )


def test_result_card_minimal_content(image: np.ndarray) -> None:
    out = result_card(_content(image, None, top_labels=[], top_probs=[], caption_lines=[]))
    _rgb(out)
    assert out.shape[1] == 1200


@pytest.mark.parametrize(
    ("changes", "kwargs", "match"),
    [
        ({"image": np.zeros((8, 8), np.uint8)}, {}, r"content.image must be RGB"),
        ({"heat": np.zeros(3)}, {}, "content.heat must be a 2-D"),
        ({"top_probs": [0.5]}, {}, "top_labels has 3 entries but top_probs has 1"),
        ({"top_probs": [0.5, np.nan, 0.1]}, {}, "must not contain NaN"),
        ({"extra_panels": [("x",)]}, {}, "must be a \\(title, image\\) pair"),
        ({"caption_lines": "one line"}, {}, "caption_lines must be a sequence"),
        ({}, {"width": 100}, "width must be an integer >= 480"),
    ],
)
def test_result_card_rejects_bad_input(
    image: np.ndarray, heat: np.ndarray, changes: dict, kwargs: dict, match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        result_card(_content(image, heat, **changes), **kwargs)


def test_layout_card_wraps_long_captions_and_grows() -> None:
    def chart(fig: object) -> None:
        fig.add_subplot().plot([0, 1], [1, 0])  # type: ignore[attr-defined]

    short = layout_card("t", [Row(200, [chart])], ["one line"])
    with recording_texts() as texts:
        long = layout_card("t", [Row(200, [chart])], ["无残差（移除分支）或无跳跃。" * 20])
    assert long.shape[0] > short.shape[0] and long.shape[1] == short.shape[1] == 1200
    caption = [x for x in texts if "无残差" in x]
    assert len(caption) > 1 and "".join(caption) == "无残差（移除分支）或无跳跃。" * 20


# --- no mutation, no heavy imports ------------------------------------------------------------


def test_inputs_never_mutated(
    image: np.ndarray, heat: np.ndarray, rng: np.random.Generator
) -> None:
    diff = rng.normal(size=(6, 6))
    maps = [rng.random((4, 4)), rng.random((9, 5))]
    probs = np.array([0.6, 0.3, 0.1])
    series = {"a": np.array([0.1, np.nan, 0.3])}
    spread = {"a": np.array([0.01, 0.02, 0.03])}
    originals = [a.copy() for a in (image, heat, diff, *maps, probs, series["a"], spread["a"])]

    colorize(heat)
    colorize_diverging(diff)
    resize_map(heat, (20, 20))
    overlay(image, heat, alpha=0.7)
    feature_grid(maps, normalize="global")
    bar_chart(["x", "y", "z"], probs)
    line_chart(series, spread=spread)
    result_card(_content(image, heat, top_probs=probs, extra_panels=[("d", image)]))

    after = (image, heat, diff, *maps, probs, series["a"], spread["a"])
    for before, now in zip(originals, after, strict=True):
        np.testing.assert_array_equal(before, now)


def test_outputs_do_not_alias_inputs(image: np.ndarray) -> None:
    out = overlay(image, np.zeros(image.shape[:2]), alpha=0.0)
    assert not np.shares_memory(out, image)
    out[...] = 0  # writable, and writing it leaves the input alone
    assert image.any()


def test_render_does_not_import_torch_or_gradio() -> None:
    # The real package: its top-level API is imported lazily, so render alone stays torch-free.
    code = (
        "import sys, numpy as np;"
        "import resnet_demo.render as r;"
        "import resnet_demo.render.report;"
        "r.result_card(r.CardContent('t', np.zeros((8, 8, 3), np.uint8), np.zeros((2, 2)),"
        " ['a'], [1.0], ['c']));"
        "r.line_chart({'a': [0, 1]}); r.feature_grid([np.zeros((2, 2))]);"
        "print(sorted(m for m in ('torch', 'gradio', 'captum', 'matplotlib.pyplot')"
        " if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_wrap_text_breaks_chinese_between_characters_and_latin_at_spaces() -> None:
    from resnet_demo.render.figure import wrap_text

    chinese = (
        "开关：每次只改一个块——无残差（移除分支）或无跳跃（移除跳跃连接）；其余块保持完整。" * 3
    )
    lines = wrap_text(chinese, lambda line: len(line) <= 12)
    assert len(lines) > 3 and "".join(lines) == chinese  # nothing lost, nothing added
    assert all(len(line) <= 13 for line in lines)  # closing punctuation may hang over
    assert not any(line[0] in "，。；：）" for line in lines)
    assert not any(line[-1] in "（" for line in lines)
    assert wrap_text("one  two three", lambda line: True) == ["one two three"]
    assert wrap_text("one two three", lambda line: len(line) <= 8) == ["one two", "three"]


def test_chinese_is_drawn_with_a_cjk_font() -> None:
    from resnet_demo.render import fonts

    assert fonts.cjk_family() is not None  # Noto Sans CJK is installed for the tests

    def drawn(text: str) -> np.ndarray:
        return render_figure(lambda fig: fig.text(0.1, 0.3, text, fontsize=30), 200, 80)

    with pytest.warns(UserWarning, match="missing from font"):  # private use: boxes
        missing = drawn("\U000f0000\U000f0001")
    chinese = drawn("中文")
    assert (chinese < 128).any()
    assert not np.array_equal(chinese, missing)


def test_without_a_cjk_font_one_log_line_and_latin_still_renders(
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    recwarn: pytest.WarningsRecorder,
) -> None:
    from resnet_demo.render import fonts

    monkeypatch.setattr(fonts, "installed_families", lambda: {"DejaVu Sans"})
    fonts.cjk_family.cache_clear()
    try:
        with caplog.at_level("WARNING", logger=fonts.__name__):
            latin = bar_chart(["tabby", "tiger cat"], [0.6, 0.3], title="Top-2")
            line_chart({"a": [0, 1]}, title="猫")
        assert fonts.font_families() == ["DejaVu Sans"]
    finally:
        fonts.cjk_family.cache_clear()
    lines = [r for r in caplog.records if r.name == fonts.__name__]
    assert len(lines) == 1 and "No CJK font" in lines[0].getMessage()
    assert not [w for w in recwarn if "missing from font" in str(w.message)]  # no more lines
    _rgb(latin)
    assert (latin < 100).all(axis=2).sum() > 200  # the labels are drawn


def test_charts_and_cards_do_not_import_pyplot() -> None:
    code = (
        "import sys, numpy as np;"
        "import resnet_demo.render as r;"
        "r.bar_chart(['a'], [0.5]); r.line_chart({'a': [0, 1]});"
        "r.result_card(r.CardContent('t', np.zeros((8, 8, 3), np.uint8), None, ['a'], [1.0], []));"
        "print('matplotlib.pyplot' in sys.modules, 'matplotlib.figure' in sys.modules)"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["False", "True"]


def test_charts_from_two_threads_equal_sequential_ones() -> None:
    from concurrent.futures import ThreadPoolExecutor

    jobs = [
        lambda: line_chart({"残差": [0.9, 0.5, 0.2], "plain": [1, 2, 3]}, title="损伤曲线"),
        lambda: bar_chart(["tabby", "tiger cat", "lynx"], [0.6, 0.3, 0.1], title="Top-3"),
    ]
    expected = [job() for job in jobs]
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda i: jobs[i % 2](), range(8)))
    for i, out in enumerate(results):
        np.testing.assert_array_equal(out, expected[i % 2])


def test_upscale_nearest_repeats_cells() -> None:
    from PIL import Image

    small = np.arange(12, dtype=np.uint8).reshape(3, 4)
    twice = upscale_nearest(small, 2)
    assert (
        twice.shape == (6, 8)
        and (twice[::2, ::2] == small).all()
        and (twice[1::2] == twice[::2]).all()
    )
    rgb = np.random.default_rng(0).integers(0, 256, (7, 5, 3), dtype=np.uint8)
    for size in [(7, 5), (23, 11), (224, 224), (3, 2)]:
        pil = np.asarray(Image.fromarray(rgb).resize(size[::-1], Image.Resampling.NEAREST))
        np.testing.assert_array_equal(upscale_nearest(rgb, size), pil)
    assert not np.shares_memory(upscale_nearest(small, 1), small)


@pytest.mark.parametrize("arg", [0, True, (0, 3), (2.5, 3), (1, 2, 3), "ab"])
def test_upscale_nearest_rejects_bad_factor_or_size(arg: object) -> None:
    with pytest.raises(ValueError, match=r"factor|size"):
        upscale_nearest(np.zeros((2, 2)), arg)  # type: ignore[arg-type]


def _analysis(image: np.ndarray, cam: np.ndarray, switched: dict[str, str]) -> object:
    from types import SimpleNamespace

    return SimpleNamespace(
        model_name="resnet18",
        weights_source="file:w.pth",
        image=image,
        top_indices=np.array([2, 0, 1]),
        top_probs=np.array([0.7, 0.2, 0.1], np.float32),
        target=2,
        cam_layer="layer4.1",
        cam=cam,
        method="gradcam",
        signed=False,
        pixels=False,
        switched=switched,
    )


def test_one_card_content_shows_both_grad_cams_on_the_shared_scale(image: np.ndarray) -> None:
    from types import SimpleNamespace

    from catalogue_words import english_words_in

    from resnet_demo.render import report

    h, w = image.shape[:2]
    own_scale = np.ones((h, w), np.float32)  # the switched map on its own scale: all hot
    shared = SimpleNamespace(
        top1_before=0,
        top1_after=2,
        cam_before=np.full((h, w), 0.2, np.float32),
        cam_after=np.full((h, w), 0.5, np.float32),
        cam_diff=np.full((h, w), 0.3, np.float32),
    )
    current = _analysis(image, own_scale, {"layer4.0": "skip-off"})
    cats = {"en": ["tabby", "tiger cat", "lynx"], "zh": ["虎斑猫", "虎猫", "猞猁"]}
    names = report.class_names(cats, "zh")
    content = report.card_content(current, shared, names, "猫.jpg", "zh")
    assert content.heat is shared.cam_before  # the intact map, on the shared scale
    switched = overlay(image, shared.cam_after)
    np.testing.assert_array_equal(content.extra_panels[0][1], switched)
    np.testing.assert_array_equal(
        content.extra_panels[1][1], colorize_diverging(shared.cam_diff, limit=1.0)
    )
    assert content.top_labels[0] == "猞猁 (lynx)" and content.lang == "zh"
    with recording_texts() as texts:
        result_card(content)
    data = ["tabby", "tiger cat", "lynx", "resnet18", "file:w.pth", "layer4.1", "layer4.0"]
    assert english_words_in(texts, data) == set()
    intact = report.card_content(_analysis(image, own_scale, {}), None, names, "cat.jpg")
    assert intact.heat is not None and intact.extra_panels == []
    assert english_words_in(intact.caption_lines, data)  # English words are found in English


CAPTIONS = [
    "layer4.1",
    "a_very_long_title_that_must_be_cut",
    "a_very_long_title_that_must_be_cut_too",
    "odd",
    "ode",
    "中文",
    "汉字",
]
"""Two long titles with a long common start, two short Latin and two CJK titles that differ."""


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[first, last] of each run of True in a 1-D mask."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    starts, stops = edges[::2], edges[1::2]
    return [(int(a), int(b) - 1) for a, b in zip(starts, stops, strict=True)]


@pytest.mark.parametrize("tile", [120, 92, 97])
def test_grid_captions_sit_under_their_tiles_fit_and_are_cut_with_an_ellipsis(tile: int) -> None:
    """What a reader sees of the captions, measured on the picture: each one under its own
    tile and inside its cell, long ones cut to the same width, CJK drawn with real glyphs."""
    maps = [np.add.outer(np.arange(8.0), np.arange(8.0)) for _ in CAPTIONS]  # squares fill tiles
    got = grids.feature_grid(maps, titles=CAPTIONS, tile=tile, cols=len(CAPTIONS))
    plain = grids.feature_grid(maps, titles=[""] * len(CAPTIONS), tile=tile, cols=len(CAPTIONS))
    assert got.shape == plain.shape
    painted = (plain < 255).any(axis=-1)
    tiles = _runs(painted.any(axis=0))
    assert len(tiles) == len(CAPTIONS) and all(b - a + 1 == tile for a, b in tiles)
    below = max(r for _, r in _runs(painted.any(axis=1))) + 1
    np.testing.assert_array_equal(got[:below], plain[:below])  # no caption covers a tile
    gap = tiles[1][0] - tiles[0][1] - 1
    band = (got[below:] < 255).any(axis=-1)
    crops, inked = [], np.zeros(band.shape[1], bool)
    for left, right in tiles:
        lo, hi = left - gap // 2, right + 1 + gap // 2
        ink = band[:, lo:hi]
        columns = np.flatnonzero(ink.any(axis=0))
        assert columns.size, (tile, left)
        middle = (columns[0] + columns[-1]) / 2 + lo
        assert abs(middle - (left + right) / 2) <= 3, (tile, left, middle)
        inked[lo + columns[0] : lo + columns[-1] + 1] = True
        crops.append(got[below:, lo:hi])
    assert not (band.any(axis=0) & ~inked).any()  # every caption stays inside its own cell
    long_a, long_b = crops[1], crops[2]
    np.testing.assert_array_equal(long_a, long_b)  # both cut before they differ: "…"
    widths = [np.flatnonzero((c < 255).any(axis=(0, 2))) for c in crops]
    assert widths[1][-1] - widths[1][0] > 0.8 * tile  # cut to the room, not dropped
    assert widths[3][-1] - widths[3][0] < 0.5 * tile
    assert not np.array_equal(crops[3], crops[4])  # "odd" and "ode" read differently
    assert not np.array_equal(crops[5], crops[6])  # real CJK glyphs, not one missing-glyph box
    again = grids.feature_grid(maps, titles=CAPTIONS, tile=tile, cols=len(CAPTIONS))
    np.testing.assert_array_equal(again, got)  # cached captions draw the same pixels again
