"""Every word the app shows comes from the catalogue: the pseudo-language "xx" (English with each
line wrapped in ⟦…⟧, `pseudo_language`) is added through the language table, switched on in a
real browser, and then every visible line of the page, a card's text and the CLI's messages
must carry its markers, except user data and Gradio's own words (listed below).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pseudo_language
import pytest
from playwright.sync_api import Browser, Page, expect
from pseudo_language import CODE, marked
from test_browser import browser, open_page, settle, upload  # noqa: F401  (browser: a fixture)

from resnet_demo import models
from resnet_demo.analysis import analyze, compare
from resnet_demo.imaging import decode_image
from resnet_demo.render import report
from resnet_demo.switches import block_names
from resnet_demo.text import EXTRA_CATALOGUES, forget_language, register_language
from resnet_demo.ui import parse_args, serve
from resnet_demo.ui.registry import ModelRegistry

pytestmark = [pytest.mark.browser, pytest.mark.server]

ROOT = Path(__file__).resolve().parents[1]
IMAGE = ROOT / "assets" / "examples" / "shapes_star.png"

NOT_OURS = {
    # The image input's empty state, worded by Gradio's own translations, not by this app.
    "Drop Image Here",
    "- or -",
    "Click to Upload",
    # Gradio's footer.
    "Built with Gradio",
    # The residual function F(x) in each block's diagram (static/strip.html): a symbol.
    "F",
}
"""Lines of the page that are no words of ours: an explicit, short list."""


@pytest.fixture(scope="module")
def catalogue_path(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The pseudo-language's catalogue, registered in the language table for this module."""
    path = pseudo_language.write_catalogue(tmp_path_factory.mktemp("xx") / "xx.toml")
    register_language(CODE, CODE, path)
    try:
        yield path
    finally:
        forget_language(CODE)


@pytest.fixture(scope="module")
def model() -> models.LoadedModel:
    return models.load_model()


@pytest.fixture(scope="module")
def url(catalogue_path: Path, model: models.LoadedModel) -> Iterator[str]:
    demo = serve(
        model, parse_args(["--port", "0"]), registry=ModelRegistry(model, allow_download=False)
    )
    try:
        yield demo.local_url
    finally:
        demo.close()


def _user_data(model: models.LoadedModel) -> re.Pattern[str]:
    """Lines that are data, not words: numbers, the file name, class and block names."""
    blocks = block_names(model.module)
    stages = {name.split(".")[0] for name in blocks}
    names = [*model.categories, *blocks, *stages, IMAGE.name]
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    # A class or block name, alone or with its number ("star 87.3%", "layer4.1 → …")
    return re.compile(rf"^(?:[\W\d_]*(?:{alternatives})(?: #\d+)?[\W\d_]*)+$")


def unmarked_lines(text: str, data: re.Pattern[str]) -> list[str]:
    """The lines of `text` that lack the markers and are neither data nor Gradio's words."""
    lines = (line.strip() for line in text.splitlines())
    return [
        line
        for line in lines
        if line
        and not marked(line)
        and re.search(r"[^\W\d_]", line)  # a line of digits and signs is a number
        and not data.match(line)
        and line not in NOT_OURS
        and line not in ("English", "简体中文", CODE)  # each language names itself
    ]


def visible_text(page: Page) -> str:
    return str(page.evaluate("document.body.innerText"))


def test_every_visible_string_comes_from_the_catalogue(
    browser: Browser,  # noqa: F811
    url: str,
    model: models.LoadedModel,
) -> None:
    page = open_page(browser, url)
    page.locator("#lang label", has_text=CODE).click()
    expect(page.locator("#title")).to_contain_text("⟦")
    expect(page.locator("html")).to_have_attribute("lang", CODE)
    settle(page)  # the switch's own answer still pending shows Gradio's "Loading"
    data = _user_data(model)
    unmarked = {"switched to xx": unmarked_lines(visible_text(page), data)}

    upload(page, IMAGE)  # an analysis
    expect(page.locator("#predictions .confidence-set")).to_have_count(5)
    expect(page.locator("#overlay img")).to_be_visible()
    expect(page.locator("#caption")).to_contain_text("⟦")
    unmarked["analysed"] = unmarked_lines(visible_text(page), data)

    page.locator("#preset-skip-off").click()  # a flip: every skip connection off
    n_blocks = len(block_names(model.module))
    expect(page.locator("#strip .blk.m-skip-off")).to_have_count(n_blocks)
    expect(page.locator("#cam-diff img")).to_be_visible()
    settle(page)
    unmarked["flipped"] = unmarked_lines(visible_text(page), data)
    assert unmarked == {stage: [] for stage in unmarked}


def test_a_card_is_worded_from_the_catalogue(
    catalogue_path: Path, model: models.LoadedModel
) -> None:
    image = decode_image(IMAGE)
    intact = analyze(model, image)
    all_off = dict.fromkeys(block_names(model.module), "skip-off")
    switched = analyze(model, image, all_off, target=intact.target)
    comparison = compare(intact, switched)
    names = report.class_names(model.class_names, CODE)
    content = report.card_content(switched, comparison, names, IMAGE.name, CODE)
    data = _user_data(model)
    words = [content.title, *content.caption_lines, *(p[0] for p in content.extra_panels)]
    assert unmarked_lines("\n".join(words), data) == []


def test_the_cli_speaks_the_catalogue(catalogue_path: Path, tmp_path: Path) -> None:
    env = {**os.environ, EXTRA_CATALOGUES: f"{CODE}={catalogue_path}"}
    out = tmp_path / "sweep"
    argv = [sys.executable, "-m", "resnet_demo", "lab", "sweep", str(IMAGE), "--lang", CODE]
    done = subprocess.run(
        [*argv, "--out", str(out)], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    model = models.load_model()
    data = _user_data(model)
    assert done.stdout.strip() and unmarked_lines(done.stdout, data) == []
    caption = json.loads((out / "result.json").read_text(encoding="utf-8"))["caption"]
    assert caption and unmarked_lines("\n".join(caption), data) == []
    missing = str(tmp_path / "none.png")
    bad = subprocess.run(
        [*argv[:3], "explain", missing, "--lang", CODE, "--out", str(tmp_path / "x")],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert bad.returncode != 0 and marked(bad.stderr), bad.stderr
