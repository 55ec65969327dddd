"""A real browser on the real page: Playwright driving Debian's Chromium at 1280×800.

The lesson a teacher gives: load the page, upload an image, see the predictions and the heat map,
switch every skip connection off, see the "top-1 changed" banner, switch the page to Chinese.
Screenshots go to $RESNET_DEMO_SCREENSHOTS (default: out/screenshots, which git ignores; the
README's pictures are made with RESNET_DEMO_SCREENSHOTS=docs/screenshots).

Chromium is a hard requirement: CI installs it with apt, and a missing browser fails these tests
instead of skipping them.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import httpx
import numpy as np
import pytest
import torch
import torchvision
from app_server import RunningApp
from gradio import networking as gradio_networking
from PIL import Image
from playwright.sync_api import Browser, Page, expect, sync_playwright

from resnet_demo import models, shapes
from resnet_demo.analysis import analyze, compare
from resnet_demo.imaging import decode_image
from resnet_demo.switches import block_names
from resnet_demo.ui import parse_args, serve
from resnet_demo.ui._compat import BUSY_GRADIO
from resnet_demo.ui.registry import ModelRegistry
from resnet_demo.ui.server import load_default_model
from resnet_demo.ui.session import Engine, Session, Settings

pytestmark = [pytest.mark.browser, pytest.mark.server]

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}
TIMEOUT_MS = 30_000
expect.set_options(timeout=TIMEOUT_MS)  # assertions too: Playwright's own 5 s is too short on a
# busy 2-core machine (two checks failed at 5 s while a training job and CI shared the cores)


@pytest.fixture(scope="module")
def model() -> models.LoadedModel:
    return models.load_model()


@pytest.fixture(scope="module")
def url(app: RunningApp) -> str:
    return app.url


def _patient_url_ok(url: str) -> bool:
    for _ in range(10):
        try:
            if httpx.head(url, timeout=30).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
    return False


@pytest.fixture(scope="module")
def deep_url() -> Iterator[str]:
    """The app on torchvision's ResNet-152 with random weights: 50 blocks (3, 8, 36, 3)."""
    model = models.load_model("resnet152", weights="random")
    # Gradio's launch gives up when one HEAD request to the new server takes over 3 s, which a
    # loaded 2-core machine can exceed for ResNet-152's first page; wait for it patiently.
    with mock.patch.object(gradio_networking, "url_ok", _patient_url_ok):
        demo = serve(
            model, parse_args(["--port", "0"]), registry=ModelRegistry(model, allow_download=False)
        )
    try:
        yield demo.local_url
    finally:
        demo.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.is_file():
        pytest.fail(f"Chromium is required at {CHROMIUM} (CI installs it with apt-get)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def shots() -> Path:
    directory = ROOT / os.environ.get("RESNET_DEMO_SCREENSHOTS", "out/screenshots")
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.fixture(scope="module")
def lesson_image(model: models.LoadedModel) -> Path:
    """An example whose top-1 class changes when every skip is off (checked with the engine)."""
    examples = ROOT / "assets" / "examples"
    candidates = [*sorted(examples.glob("shapes_*.png")), *sorted(examples.glob("*.jpg"))]
    all_off = dict.fromkeys(block_names(model.module), "skip-off")
    for path in candidates:
        image = decode_image(path)
        intact = analyze(model, image)
        if compare(intact, analyze(model, image, all_off, target=intact.target)).top1_changed:
            return path
    pytest.fail("no example changes its top-1 class with every skip off")


def open_page(browser: Browser, url: str, locale: str = "en-US") -> Page:
    page = browser.new_context(viewport=VIEWPORT, locale=locale).new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url)
    expect(page.locator("#strip .blk").first).to_be_visible()
    return page


def settle(page: Page) -> None:
    """Let Gradio's fade-outs finish before a screenshot."""
    page.wait_for_timeout(600)


def shoot_top_and_switches(page: Page, top: Path, switches: Path) -> None:
    """Screenshots of the page's top and of the switch panel."""
    page.evaluate("window.scrollTo(0, 0)")
    settle(page)
    page.screenshot(path=top)
    page.locator("#blocks").first.evaluate("e => e.scrollIntoView()")
    settle(page)
    page.screenshot(path=switches)


def upload(page: Page, path: Path) -> None:
    page.locator("#image input[type=file]").set_input_files(str(path))


def test_a_lesson_in_the_browser(
    browser: Browser, url: str, model: models.LoadedModel, lesson_image: Path, shots: Path
) -> None:
    page = open_page(browser, url)
    n_blocks = len(block_names(model.module))
    expect(page.locator("#strip .blk")).to_have_count(n_blocks)
    expect(page.locator("#title")).to_contain_text("ResNet Demo")

    upload(page, lesson_image)
    expect(page.locator("#predictions .confidence-set")).to_have_count(5)
    expect(page.locator("#overlay img")).to_be_visible()
    expect(page.locator("#raw-cam img")).to_be_visible()
    expect(page.locator("#banner .banner.none")).to_be_visible()
    settle(page)
    page.screenshot(path=shots / "1-predictions.png")

    page.locator("#preset-skip-off").click()
    expect(page.locator("#banner .banner.changed")).to_be_visible()
    expect(page.locator("#banner")).to_contain_text("Top-1 changed")
    expect(page.locator("#strip .blk.m-skip-off")).to_have_count(n_blocks)
    expect(page.locator("#cam-diff img")).to_be_visible()
    shoot_top_and_switches(page, shots / "2-all-skips-off.png", shots / "3-switch-panel.png")
    page.screenshot(path=shots / "4-full-page.png", full_page=True)

    page.locator("#lang label", has_text="简体中文").click()
    expect(page.locator("#title")).to_contain_text("ResNet 演示")
    expect(page.locator("#banner")).to_contain_text("第一名改变了")
    expect(page.locator("#preset-skip-off")).to_contain_text("断开全部跳跃连接")
    page.evaluate("window.scrollTo(0, 0)")
    settle(page)
    page.screenshot(path=shots / "5-chinese.png")


def test_one_switch_in_the_strip(browser: Browser, url: str, shots: Path) -> None:
    page = open_page(browser, url)
    upload(page, ROOT / "assets" / "examples" / "coffee.jpg")
    expect(page.locator("#predictions .confidence-set")).to_have_count(5)
    # A photo on the shapes model: the notice under the predictions names the ten shapes and,
    # on this server (downloads off), the file to copy for a photo model.
    note = page.locator("#shapes-note")
    expect(note).to_be_visible()
    expect(note).to_contain_text("hexagon")
    expect(note).to_contain_text("resnet18-f37072fd.pth")
    below = note.bounding_box()["y"] - page.locator("#predictions").bounding_box()["y"]
    assert 0 < below < 400  # right under the predictions, not a screen away
    note.scroll_into_view_if_needed()
    settle(page)
    page.screenshot(path=shots / "20-photo-notice.png")
    page.locator("#strip button[data-block='layer4.1'][data-mode='branch-off']").click()
    expect(page.locator("#strip .blk.m-branch-off")).to_have_count(1)
    expect(page.locator("#banner")).to_contain_text("layer4.1")
    expect(page.locator("#compare-table")).to_contain_text("→")


def test_the_browser_language_is_followed(browser: Browser, url: str, shots: Path) -> None:
    page = open_page(browser, url, locale="zh-CN")
    expect(page.locator("#title")).to_contain_text("ResNet 演示")
    expect(page.locator("#lang input[value=zh]")).to_be_checked()
    expect(page.locator("#preset-intact")).to_contain_text("全部完整")
    page.locator("#lab").get_by_text("课堂实验室").first.click()  # the lab speaks Chinese too
    lab = page.locator("#lab")
    expect(lab.get_by_role("button", name="运行逐块损伤")).to_be_visible()
    expect(lab.get_by_role("tab", name="损伤曲线")).to_be_visible()
    expect(lab.get_by_label("生成的形状")).to_be_visible()
    expect(lab.locator(".lab-note").first).to_contain_text("逐块损伤")
    lab.get_by_label("生成的形状").check()
    lab.get_by_role("button", name="运行逐块损伤").click()
    expect(lab.locator(".lab-summary").first).to_contain_text("条形：", timeout=90_000)
    lab.evaluate("e => e.scrollIntoView()")
    settle(page)
    page.screenshot(path=shots / "7-lab-chinese.png")


def test_the_language_choice_survives_a_reload(browser: Browser, url: str) -> None:
    page = open_page(browser, url)
    page.locator("#lang label", has_text="简体中文").click()
    expect(page.locator("#preset-intact")).to_contain_text("全部完整")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    page.reload()
    expect(page.locator("#lang input[value=zh]")).to_be_checked()
    expect(page.locator("#title")).to_contain_text("ResNet 演示")
    expect(page.locator("#preset-intact")).to_contain_text("全部完整")
    page.locator("#lang label", has_text="English").click()
    expect(page.locator("#title")).to_contain_text("ResNet Demo")
    linked = open_page(browser, f"{url}?lang=zh")  # a fresh browser: nothing saved yet
    expect(linked.locator("#lang input[value=zh]")).to_be_checked()
    expect(linked.locator("#cam-intact")).to_contain_text("图（完整）")


def test_a_bad_upload_shows_the_error_and_the_page_keeps_working(
    browser: Browser, url: str, tmp_path: Path
) -> None:
    page = open_page(browser, url)
    bad = tmp_path / "notes.png"
    bad.write_text("not an image\n" * 20, encoding="utf-8")
    upload(page, bad)
    expect(page.get_by_text("Could not read this image").first).to_be_visible()
    expect(page.get_by_text("Traceback")).to_have_count(0)
    upload(page, ROOT / "assets" / "examples" / "chelsea.jpg")
    expect(page.locator("#predictions .confidence-set")).to_have_count(5)


def test_gradios_busy_message_is_rewritten(browser: Browser, url: str) -> None:
    page = open_page(browser, url)
    page.evaluate(
        "text => { const p = document.createElement('p'); p.id = 'busy-probe';"
        " p.textContent = text; document.body.appendChild(p); }",
        BUSY_GRADIO,
    )
    expect(page.locator("#busy-probe")).to_have_text("The class is busy — try again in a moment.")


def test_the_classroom_lab_runs_a_lesion_sweep(browser: Browser, url: str, shots: Path) -> None:
    page = open_page(browser, url)
    page.locator("#lab").get_by_text("Classroom lab").first.click()
    lab = page.locator("#lab")
    expect(lab.get_by_role("button", name="Run lesion sweep")).to_be_visible()
    lab.get_by_label("Generated shape").check()
    lab.get_by_role("button", name="Run lesion sweep").click()
    expect(lab.locator(".lab-summary").first).to_contain_text("branch lesions", timeout=90_000)
    expect(lab.locator("img").first).to_be_visible()
    lab.evaluate("e => e.scrollIntoView()")
    settle(page)
    page.screenshot(path=shots / "6-lab-lesion-sweep.png")


def _page_width(page: Page) -> int:
    return int(page.evaluate("document.scrollingElement.scrollWidth"))


def test_a_50_block_model_fits_the_page_and_switches_by_keyboard(
    browser: Browser, deep_url: str, shots: Path
) -> None:
    """ResNet-152's 50 blocks: compact strip, no horizontal scrolling at 1280 px, a stage preset
    and one block's mode set from the keyboard. No image is analysed (a switch then only
    changes the switches; every analysis of ResNet-152 would take long on a busy CPU)."""
    page = browser.new_context(viewport=VIEWPORT, locale="en-US").new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(deep_url)
    cells = page.locator("#strip button[data-cell]")
    expect(cells).to_have_count(50)
    expect(page.locator("#strip .stage-row")).to_have_count(4)
    expect(page.locator("#strip .blk")).to_have_count(1)  # only the selected block's card
    assert _page_width(page) <= VIEWPORT["width"]

    preset = page.locator("#strip button[data-stage='layer3'][data-set='branch-off']")
    preset.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#strip .cell.m-branch-off")).to_have_count(36)
    expect(page.locator("#strip .cell.m-branch-off[data-cell^='layer3.']")).to_have_count(36)
    expect(preset).to_be_focused()  # the redrawn strip gives the focus back

    cell = page.locator("#strip button[data-cell='layer1.0']")
    expect(cell).to_have_attribute("aria-label", re.compile(r"^layer1\.0 ⇄: intact"))
    cell.focus()
    page.keyboard.press("Enter")  # selects the block: its card, with its three modes
    card = page.locator("#strip .strip-detail .blk[data-block='layer1.0']")
    expect(card).to_be_visible()
    expect(card.locator("button[data-mode='intact']")).to_be_focused()
    page.keyboard.press("Tab")
    expect(card.locator("button[data-mode='skip-off']")).to_be_focused()
    page.keyboard.press("Enter")
    expect(cell).to_have_attribute("aria-label", re.compile(r"^layer1\.0 ⇄: skip off"))
    expect(page.locator("#strip .cell.m-skip-off")).to_have_count(1)
    expect(card.locator("button[data-mode='skip-off']")).to_have_attribute("aria-checked", "true")
    expect(page.locator("#strip .legend")).to_contain_text("⇄ 1×1 projection shortcut")
    expect(page.locator("#strip .cell[data-cell='layer2.0'] .mk")).to_have_text("↓")
    assert _page_width(page) <= VIEWPORT["width"]
    page.locator("#blocks").first.evaluate("e => e.scrollIntoView()")
    settle(page)
    page.locator("#blocks").first.screenshot(path=shots / "8-strip-50-blocks.png")

    page.locator("#strip button[data-stage='layer3'][data-set='intact']").click()
    expect(page.locator("#strip .cell.m-branch-off")).to_have_count(0)
    expect(page.locator("#strip .cell.m-skip-off")).to_have_count(1)


def test_the_8_block_strip_keeps_its_cards(browser: Browser, url: str, shots: Path) -> None:
    page = open_page(browser, url)
    expect(page.locator("#strip .blk")).to_have_count(8)
    expect(page.locator("#strip button[data-cell]")).to_have_count(0)
    expect(page.locator("#strip .blk[data-block='layer2.0'] .proj")).to_have_text("↓")
    expect(page.locator("#strip .legend")).to_contain_text("↓ downsampling block")
    expect(page.locator("#strip .legend")).not_to_contain_text("⇄")
    assert _page_width(page) <= VIEWPORT["width"]
    page.locator("#blocks").first.evaluate("e => e.scrollIntoView()")
    settle(page)
    page.locator("#blocks").first.screenshot(path=shots / "10-strip-8-blocks.png")


def test_a_late_answer_does_not_undo_a_newer_flip(
    browser: Browser, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The strip's revision (strip.js, `Session.rev`): a second flip made while the first one's
    analysis still runs survives that first, late answer; the strip's numbers (its props) and a
    preset still arrive."""
    page = open_page(browser, url)
    upload(page, ROOT / "assets" / "examples" / "coffee.jpg")
    expect(page.locator("#predictions .confidence-set")).to_have_count(5)
    ratio = page.locator("#strip .blk[data-block='layer1.0'] .num")
    expect(ratio).not_to_have_text("–")
    run, slowed = Engine.run, threading.Event()

    def slow_first_flip(engine: Engine, session: Session, settings: Settings) -> Session:
        if settings.modes.get("layer4.1") == "branch-off" and not slowed.is_set():
            slowed.set()
            time.sleep(3)
        return run(engine, session, settings)

    monkeypatch.setattr(Engine, "run", slow_first_flip)
    page.locator("#strip button[data-block='layer4.1'][data-mode='branch-off']").click()
    page.wait_for_timeout(300)
    page.locator("#strip button[data-block='layer3.0'][data-mode='skip-off']").click()
    expect(page.locator("#banner")).to_contain_text("layer3.0", timeout=TIMEOUT_MS)
    page.wait_for_timeout(1000)  # no later answer takes the second flip back
    assert slowed.is_set()
    expect(page.locator("#strip .blk.m-branch-off")).to_have_count(1)
    expect(page.locator("#strip .blk.m-skip-off")).to_have_count(1)
    expect(page.locator("#banner")).to_contain_text("layer4.1")
    page.locator("#preset-skip-off").click()
    expect(page.locator("#strip .blk.m-skip-off")).to_have_count(8)
    expect(ratio).to_have_text("skip off")


def test_picking_a_method_shows_its_map_and_names_it(
    browser: Browser, url: str, shots: Path
) -> None:
    """The method picker beside the layer picker, Grad-CAM at every stage, and the
    zero-map warning (the star's Grad-CAM is zero with every skip off; checked with the engine in
    tests/test_ui_handlers.py) whose button shows the signed map."""
    page = open_page(browser, url)
    upload(page, ROOT / "assets" / "examples" / "shapes_star.png")
    expect(page.locator("#caption")).to_contain_text("Grad-CAM (positive evidence)")
    expect(page.locator("#stages img")).to_have_count(4)
    for stage in ("layer1", "layer2", "layer3", "layer4"):
        expect(page.locator("#stages")).to_contain_text(stage)
    expect(page.locator("#zero-note")).to_be_hidden()

    page.locator("#preset-skip-off").click()
    expect(page.locator("#zero-note")).to_contain_text("zero everywhere")
    page.locator("#overlay").evaluate("e => e.scrollIntoView()")
    settle(page)
    page.screenshot(path=shots / "11-zero-map.png")
    page.locator("#zero-signed").click()
    expect(page.locator("#caption")).to_contain_text("Grad-CAM, signed")
    expect(page.locator("#zero-note")).to_be_hidden()
    expect(page.locator("#method input")).to_have_value("Grad-CAM, signed")

    before = page.locator("#overlay img").get_attribute("src")
    page.locator("#method input").click()
    page.get_by_role("option", name="saliency (input gradient)").click()
    expect(page.locator("#caption")).to_contain_text("saliency (input gradient)")
    expect(page.locator("#caption")).to_contain_text("pixel by pixel")
    expect(page.locator("#method-note")).to_contain_text("the layer picker is not used")
    expect(page.locator("#cam-layer input")).to_be_disabled()
    expect(page.locator("#overlay img")).not_to_have_attribute("src", before or "")
    page.locator("#faithfulness").get_by_text("Faithfulness").first.click()
    page.locator("#faithful-button").click()
    expect(page.locator("#faithful-chart img")).to_be_visible()
    page.locator("#caption").evaluate("e => e.scrollIntoView()")
    settle(page)
    page.screenshot(path=shots / "12-method-picker.png")


PHONE = {"width": 390, "height": 844}


def test_a_phone_gets_the_whole_lesson_without_sideways_scrolling(
    browser: Browser, url: str, lesson_image: Path, shots: Path
) -> None:
    """At 390×844 (a phone, touch) upload, predictions, heat map, a switch tapped
    in the strip and the comparison, and no element makes the page scroll sideways."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url)
    expect(page.locator("#strip .blk").first).to_be_visible()
    assert _page_width(page) <= PHONE["width"]
    upload(page, lesson_image)
    expect(page.locator("#predictions .confidence-set")).to_have_count(5)
    expect(page.locator("#overlay img")).to_be_visible()
    button = page.locator("#strip button[data-block='layer4.1'][data-mode='skip-off']")
    button.scroll_into_view_if_needed()
    button.tap()
    expect(page.locator("#strip .blk.m-skip-off")).to_have_count(1)
    expect(page.locator("#banner")).to_contain_text("layer4.1")
    expect(page.locator("#cam-switched img")).to_be_visible()
    page.locator("#palette").scroll_into_view_if_needed()
    assert _page_width(page) <= PHONE["width"]
    shoot_top_and_switches(page, shots / "13-phone.png", shots / "13-phone-switches.png")
    context.close()


def test_every_picture_has_a_text_alternative(browser: Browser, url: str) -> None:
    """Each picture's alt names its panel, the caption (method, class, layer,
    switches) and the top-1 prediction, and follows a switch."""
    page = open_page(browser, url)
    upload(page, ROOT / "assets" / "examples" / "shapes_star.png")
    expect(page.locator("#predictions .confidence-set")).to_have_count(5)
    for panel in ("overlay", "raw-cam", "activations", "channels"):
        picture = page.locator(f"#{panel} img").first
        expect(picture).to_have_attribute("alt", re.compile(r"Grad-CAM.*star.*all blocks intact"))
        expect(picture).to_have_attribute("alt", re.compile(r"top-1: star"))
    expect(page.locator("#overlay img")).to_have_attribute("alt", re.compile(r"^Heat map — "))
    page.locator("#strip button[data-block='layer4.1'][data-mode='skip-off']").click()
    expect(page.locator("#cam-switched img")).to_have_attribute("alt", re.compile(r"switched"))
    expect(page.locator("#overlay img")).to_have_attribute("alt", re.compile(r"layer4\.1"))


FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  let box = el;
  while (box && !(box.id && !/^(component-|range_id|html-|[0-9])/.test(box.id))) {
    box = box.parentElement;
  }
  const d = el.dataset;
  return [box ? box.id : '', d.block || d.cell || d.stage || d.inspect || '', d.mode || d.set || '',
          el.getAttribute('aria-label') || el.textContent.trim().slice(0, 40)];
}"""
"""What has the keyboard focus: the nearest element id of ours, the strip's block and mode (or
stage and preset), and the accessible name."""


def test_every_control_is_reached_and_operated_from_the_keyboard(
    browser: Browser, url: str, model: models.LoadedModel
) -> None:
    """Tab alone, from the top of the page, reaches every control (model, language,
    upload and camera, every example, every picker and slider, the five presets, every block's
    three modes, the block inspector, export, the lab); then switches, presets, sliders and
    pickers are operated with Enter, Space and the arrow keys only."""
    page = open_page(browser, url)
    upload(page, ROOT / "assets" / "examples" / "shapes_heart.png")
    expect(page.locator("#predictions .confidence-set")).to_have_count(5)
    page.evaluate("window.scrollTo(0, 0)")
    page.mouse.click(2, 2)  # nothing focused: the walk starts at the top
    reached: set[tuple[str, str, str]] = set()
    names: dict[str, set[str]] = {}
    for _ in range(400):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None:
            continue
        box, block, mode, name = focused
        reached.add((box, block, mode))
        names.setdefault(box, set()).add(name)
        if box == "lab":
            break
    boxes = {box for box, _, _ in reached}
    controls = {"model", "lang", "image", "examples", "target", "method", "cam-layer", "opacity"}
    controls |= {"top-k", "palette", "faithfulness", "preset-intact", "preset-skip-off"}
    controls |= {"preset-stage", "preset-stage-skip-off", "preset-stage-branch-off", "inspect"}
    controls |= {"export-button", "lab"}
    assert controls <= boxes, sorted(controls - boxes)
    assert {"Upload file", "Capture from camera"} <= names["image"]
    assert sum(n.startswith("Thumbnail") for n in names["examples"]) == 6
    blocks = block_names(model.module)
    modes = ("intact", "skip-off", "branch-off")
    missing = [(b, m) for b in blocks for m in (*modes, "") if ("strip", b, m) not in reached]
    assert missing == [], missing  # every block's name (inspect) and its three modes

    def press(selector: str, *keys: str) -> None:
        page.locator(selector).first.focus()
        for key in keys:
            page.keyboard.press(key)

    press("#strip button[data-block='layer3.1'][data-mode='skip-off']", "Space")
    expect(page.locator("#strip .blk.m-skip-off")).to_have_count(1)
    expect(page.locator("#banner")).to_contain_text("layer3.1")
    press("#preset-skip-off", "Enter")
    expect(page.locator("#strip .blk.m-skip-off")).to_have_count(len(blocks))
    press("#preset-intact", "Enter")
    expect(page.locator("#strip .blk.m-skip-off")).to_have_count(0)
    press("#top-k input[type=range]", "ArrowLeft", "ArrowLeft")
    expect(page.locator("#predictions .confidence-set")).to_have_count(3)
    opacity = page.locator("#opacity input[type=number]")
    before = opacity.input_value()
    press("#opacity input[type=range]", "ArrowRight")
    expect(opacity).not_to_have_value(before)
    method = page.locator("#method input")
    before = method.input_value()
    press("#method input", "ArrowDown")  # opens the list; each key waits for the last one's effect
    expect(method).to_have_attribute("aria-expanded", "true")
    active = method.get_attribute("aria-activedescendant") or ""
    page.keyboard.press("ArrowDown")
    expect(method).not_to_have_attribute("aria-activedescendant", active)
    page.keyboard.press("Enter")
    expect(method).not_to_have_value(before)
    expect(page.locator("#caption")).not_to_contain_text(before)
    press("#strip button[data-inspect='layer4.0']", "Enter")
    expect(page.locator("#inspect input")).to_have_value("layer4.0")
    press("#export-button button, #export-button", "Enter")
    expect(page.locator("#download-card")).to_be_visible()


# ---- the live webcam -------------------------------------------------------------------------

CAMERA_SIZE = (320, 240)
"""(W, H) of the fake camera's video."""
CAMERA_FPS = 10
SEGMENT_FRAMES = 30
"""Frames of each shape in the fake video (3 s at 10 frames/s); Chromium loops the file."""


def camera_picture(shape: np.ndarray) -> np.ndarray:
    """A 128 px shape scaled to 240 px, centred on a 320×240 frame (grey sides): the camera's
    view of a card held up to it."""
    width, height = CAMERA_SIZE
    frame = np.full((height, width, 3), 128, np.uint8)
    big = np.asarray(Image.fromarray(shape).resize((height, height), Image.Resampling.BILINEAR))
    left = (width - height) // 2
    frame[:, left : left + height] = big
    return frame


def write_y4m(path: Path, pictures: list[np.ndarray], fps: int = CAMERA_FPS) -> Path:
    """A YUV4MPEG2 video of RGB `pictures` (4:2:0, full-range BT.601 as JPEG uses), the format
    Chromium's `--use-file-for-fake-video-capture` reads."""
    height, width = pictures[0].shape[:2]
    with path.open("wb") as f:
        f.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for picture in pictures:
            r, g, b = (picture[..., i].astype(np.float32) for i in range(3))
            y = 0.299 * r + 0.587 * g + 0.114 * b
            u = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b
            v = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b
            planes = [y] + [
                c.reshape(height // 2, 2, width // 2, 2).mean(axis=(1, 3)) for c in (u, v)
            ]
            f.write(b"FRAME\n")
            for plane in planes:
                f.write(np.clip(np.rint(plane), 0, 255).astype(np.uint8).tobytes())
    return path


def two_shapes(model: models.LoadedModel) -> list[tuple[np.ndarray, str]]:
    """Two camera pictures of different shape classes that the embedded model names correctly
    (checked with the engine on the picture the camera shows)."""
    images, labels, _, _ = shapes.generate_batch(shapes.TEST_SEED_START, 40, distractor_rate=0.0)
    chosen: dict[int, np.ndarray] = {}
    for image, label in zip(images, labels, strict=True):
        picture = camera_picture(image)
        result = analyze(model, picture)
        if int(result.top_indices[0]) == int(label) and result.top_probs[0] > 0.9:
            chosen.setdefault(int(label), picture)
        if len(chosen) == 2:
            return [(p, model.categories[c]) for c, p in chosen.items()]
    pytest.fail("no two shapes are recognised through the camera picture")


def test_the_live_webcam_follows_the_shape_in_front_of_the_camera(
    browser: Browser, url: str, model: models.LoadedModel, tmp_path: Path, shots: Path
) -> None:
    """Chromium's fake camera plays a video: one shape for 3 s, then another (looped). Started
    with the webcam's record button, the live predictions name both shapes as the video
    changes."""
    (first, first_name), (second, second_name) = two_shapes(model)
    video = write_y4m(tmp_path / "shapes.y4m", [first] * SEGMENT_FRAMES + [second] * SEGMENT_FRAMES)
    camera_args = [
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    # A second Chromium with the fake camera, from the Playwright the module's browser runs
    # in (a second `sync_playwright()` in one process fails: "Sync API inside the asyncio loop").
    camera_browser = browser.browser_type.launch(
        executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, *camera_args]
    )
    try:
        context = camera_browser.new_context(viewport=VIEWPORT, permissions=["camera"])
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(url)
        expect(page.locator("#strip .blk").first).to_be_visible()
        page.locator("#live").get_by_text("Live webcam").first.click()
        camera = page.locator("#live-camera")
        expect(camera).to_be_visible()
        # Gradio's webcam: "Click to Access Webcam", then its record button starts the stream.
        camera.get_by_text(re.compile("access webcam", re.I)).click()
        camera.locator("button.capture-button", has_text=re.compile("record", re.I)).click()
        seen: set[str] = set()
        top = page.locator("#live-predictions .confidence-set").first
        for _ in range(150):  # up to 30 s: each shape shows for 3 s in turn
            if top.count():
                text = top.inner_text()
                seen.update(name for name in (first_name, second_name) if name in text)
            if len(seen) == 2:
                break
            page.wait_for_timeout(200)
        settle(page)
        page.locator("#live").screenshot(path=shots / "15-live-webcam.png")
        assert seen == {first_name, second_name}, (seen, first_name, second_name)
        expect(page.locator("#live-overlay img")).to_be_visible()
        expect(page.locator("#live-message")).not_to_contain_text("busy")
    finally:
        camera_browser.close()


def test_a_batch_of_fresh_shapes_shows_the_gallery_and_the_tables(
    browser: Browser, url: str, model: models.LoadedModel, shots: Path
) -> None:
    """With every skip off, a batch of fresh shapes comes back as a sorted gallery,
    the accuracy and confusion tables of the switched network, and the misclassified shapes."""
    page = open_page(browser, url)
    page.locator("#preset-skip-off").click()
    n_blocks = len(block_names(model.module))
    expect(page.locator("#strip .blk.m-skip-off")).to_have_count(n_blocks)
    page.locator("#batch").get_by_text("A batch of images").first.click()
    batch = page.locator("#batch")
    expect(batch.locator("#batch-files")).to_be_visible()
    batch.get_by_role("button", name="Generate shapes and classify").click()
    expect(page.locator("#batch-summary")).to_contain_text("Images: 32", timeout=90_000)
    expect(page.locator("#batch-summary")).to_contain_text("top-1 changed by the switches")
    expect(page.locator("#batch-gallery img").first).to_be_visible()
    assert page.locator("#batch-gallery img").count() >= 8
    expect(page.locator("#batch-gallery")).to_contain_text("→ switched:")
    expect(page.locator("#batch-tables-note")).to_contain_text("of the switched network")
    expect(page.locator("#batch-accuracy")).to_contain_text("All shapes")
    expect(page.locator("#batch-confusion")).to_contain_text("true ↓ · predicted →")
    expect(page.locator("#batch-wrong img").first).to_be_visible()
    expect(page.locator("#batch-csv")).to_be_visible()
    batch.evaluate("e => e.scrollIntoView()")
    settle(page)
    page.screenshot(path=shots / "14-batch-of-shapes.png")
    page.locator("#batch-confusion").evaluate("e => e.scrollIntoView()")
    settle(page)
    page.screenshot(path=shots / "14-batch-tables.png")


# ---- the teacher's own model --------------------------------------------------------------------

FRUIT = ("apple", "banana", "cherry", "date", "elderberry")


@pytest.fixture(scope="module")
def own_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app started as a teacher would: `--model resnet18 --weights fruit.pt --labels
    fruit.json` (a seeded 5-class ResNet-18 saved as a plain state_dict)."""
    folder = tmp_path_factory.mktemp("own")
    torch.manual_seed(5)
    torch.save(torchvision.models.resnet18(num_classes=5).state_dict(), folder / "fruit.pt")
    (folder / "fruit.json").write_text(json.dumps(list(FRUIT)), encoding="utf-8")
    flags = ["--model", "resnet18", "--weights", str(folder / "fruit.pt")]
    args = parse_args([*flags, "--labels", str(folder / "fruit.json"), "--offline", "--port", "0"])
    model, reason = load_default_model(args)
    assert reason is None and model.name == "own:resnet18"
    with mock.patch.object(gradio_networking, "url_ok", _patient_url_ok):
        demo = serve(model, args, registry=ModelRegistry(model, allow_download=False))
    try:
        yield demo.local_url
    finally:
        demo.close()


def test_the_teachers_own_model_in_the_browser(browser: Browser, own_url: str) -> None:
    """The page names the teacher's model, predicts its five classes by their own
    names, and a switch gives the comparison."""
    page = open_page(browser, own_url)
    expect(page.locator("#model-status")).to_contain_text("own:resnet18")
    upload(page, ROOT / "assets" / "examples" / "chelsea.jpg")
    bars = page.locator("#predictions .confidence-set")
    expect(bars).to_have_count(5)
    labels = {text.split()[0] for text in bars.all_inner_texts()}
    assert labels == set(FRUIT)
    page.locator("#strip button[data-block='layer3.0'][data-mode='skip-off']").click()
    expect(page.locator("#banner")).to_contain_text("layer3.0")
    expect(page.locator("#compare-table")).to_contain_text("→")
