# ruff: noqa: F811  # the fixtures of test_browser.py, imported by name, are parameters here
"""The lesson fits the screen it is taught on: a laptop, a projector, a phone.

Playwright drives Debian's Chromium on the real page, as in tests/test_browser.py (whose app,
browser and screenshot fixtures this module shares):

- 1366×768 laptop: after a flip the one-line answer sits beside the switches, in view;
  "All skips off" looks pressed only while every skip is off.
- 1280×720 projector, presenter mode: a lab note and its chart are on screen together; the race's
  Stop looks active only while a race runs.
- "New group" returns the page to its first state.
- 390×844 phone: the comparison table breaks no word and no number across lines.
- Errors: each sentence once, and gone when the next run succeeds; the lesion sweep runs on its
  first click.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from test_browser import (  # noqa: F401  # fixtures, by name
    ROOT,
    TIMEOUT_MS,
    browser,
    lesson_image,
    model,
    settle,
    shots,
    upload,
    url,
)

from resnet_demo import models
from resnet_demo.switches import block_names

pytestmark = [pytest.mark.browser, pytest.mark.server]

LAPTOP = {"width": 1366, "height": 768}
PROJECTOR = {"width": 1280, "height": 720}
PHONE = {"width": 390, "height": 844}
RED = "rgb(220, 38, 38)"
"""The background of a control that is in effect (#dc2626)."""


def open_at(browser: Browser, url: str, viewport: dict[str, int], **options: object) -> Page:
    page = browser.new_context(viewport=viewport, locale="en-US", **options).new_page()  # type: ignore[arg-type]
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url)
    expect(page.locator("#strip .blk").first).to_be_visible()
    return page


def in_view(page: Page, locator: Locator) -> bool:
    """Whether the element's whole box lies inside the viewport."""
    box = locator.bounding_box()
    size = page.viewport_size
    assert box is not None and size is not None
    return (
        box["y"] >= -1
        and box["y"] + box["height"] <= size["height"] + 1
        and box["x"] >= -1
        and box["x"] + box["width"] <= size["width"] + 1
    )


def background(locator: Locator) -> str:
    return str(locator.evaluate("e => getComputedStyle(e).backgroundColor"))


def test_after_a_flip_the_answer_is_in_view_beside_the_switches(
    browser: Browser, url: str, model: models.LoadedModel, lesson_image: Path, shots: Path
) -> None:
    page = open_at(browser, url, LAPTOP)
    result = page.locator("#switch-result .switch-result")
    expect(result).to_have_class(re.compile(r"\bnone\b"))
    skip_off = page.locator("#preset-skip-off")
    assert background(skip_off) != RED  # nothing is switched: not pressed
    upload(page, lesson_image)
    expect(page.locator("#predictions .confidence-set")).to_have_count(5)
    expect(result).to_have_class(re.compile(r"\bintact\b"))
    expect(result).to_have_text(re.compile(r"^Top-1: .+ \d+\.\d\s%$"))

    page.locator("#blocks").first.evaluate("e => e.scrollIntoView()")
    skip_off.click()
    expect(page.locator("#banner .banner.changed")).to_be_visible()
    expect(result).to_have_class(re.compile(r"\bchanged\b"))
    banner = page.locator("#banner .head").inner_text()
    before, after = re.fullmatch(r"Top-1 changed: (.+) → (.+)", banner.strip()).groups()  # type: ignore[union-attr]
    expect(result).to_have_text(
        re.compile(rf"Top-1 changed: {re.escape(before)} \d+\.\d\s%"
                   rf" → {re.escape(after)} \d+\.\d\s%")
    )  # fmt: skip
    assert in_view(page, result) and in_view(page, page.locator("#strip .blk").first)
    assert page.evaluate("window.scrollY") > 500  # the big banner is off screen, far above
    assert not in_view(page, page.locator("#banner"))
    expect(skip_off).to_have_css("background-color", RED)  # every skip off: pressed
    settle(page)
    page.screenshot(path=shots / "16-laptop-after-flip.png")

    # The last block's switch, scrolled to: the answer is still on screen and follows it.
    last = block_names(model.module)[-1]
    button = page.locator(f"#strip button[data-block='{last}'][data-mode='intact']")
    button.scroll_into_view_if_needed()
    button.click()
    expect(page.locator("#strip .blk.m-intact")).to_have_count(1)
    expect(skip_off).not_to_have_css("background-color", RED)  # no longer every skip
    expect(page.locator("#banner .detail")).to_contain_text(f"{len(block_names(model.module)) - 1}")
    assert in_view(page, result) and in_view(page, button)
    head = page.locator("#banner .head").inner_text()
    kind = "changed" if head.startswith("Top-1 changed") else "same"
    expect(result).to_have_class(re.compile(rf"\b{kind}\b"))


def test_presenter_mode_puts_a_note_and_its_chart_on_one_screen(
    browser: Browser, url: str, shots: Path
) -> None:
    """No image on the main page: the sweep's default source (a generated shape) runs on the
    first click. Then the race: Stop is red only while it runs."""
    page = open_at(browser, url, PROJECTOR)
    page.locator("#lab").get_by_text("Classroom lab").first.click()
    lab = page.locator("#lab")
    expect(lab.get_by_label("Generated shape")).to_be_checked()
    lab.get_by_label("Presenter mode").check()
    expect(lab.locator(".lab-note.lab-presenter").first).to_be_visible()
    lab.get_by_role("button", name="Run lesion sweep").click()
    expect(lab.locator(".lab-summary").first).to_contain_text("branch lesions", timeout=90_000)
    expect(page.locator(".toast-body")).to_have_count(0)
    chart = lab.locator(".lab-chart img").first
    expect(chart).to_be_visible()
    chart.evaluate("e => e.scrollIntoView({block: 'end'})")
    settle(page)
    note = lab.locator(".lab-note.lab-presenter").first
    assert in_view(page, chart), chart.bounding_box()
    assert in_view(page, note), note.bounding_box()
    page.screenshot(path=shots / "17-presenter-sweep.png")

    lab.get_by_role("tab", name="Degradation race").click()
    stop = page.locator("#race-stop")
    idle = background(stop)
    assert idle != RED
    lab.get_by_role("button", name="Start race").click()
    expect(stop).to_have_css("background-color", RED)
    race_chart = lab.locator(".lab-chart img").locator("visible=true").first
    expect(race_chart).to_be_visible(timeout=90_000)
    status = lab.locator(".lab-summary").locator("visible=true").first
    expect(status).to_contain_text("This run at step", timeout=90_000)  # live verdicts shown
    page.wait_for_timeout(5_000)  # a few seconds of live curves for the screenshot
    stop.click()
    page.mouse.move(1, 1)  # off the button: its hover colour is not its state
    expect(stop).to_have_css("background-color", idle)
    expect(status).to_contain_text("Stopped", timeout=60_000)
    expect(status).to_contain_text("Not compared yet")  # a few steps: no verdict claimed
    expect(race_chart).to_be_visible()
    race_chart.evaluate("e => e.scrollIntoView({block: 'end'})")
    settle(page)
    race_note = lab.locator(".lab-note.lab-presenter").locator("visible=true").first
    assert in_view(page, race_chart), race_chart.bounding_box()
    assert in_view(page, race_note), race_note.bounding_box()
    page.screenshot(path=shots / "18-presenter-race.png")


def test_new_group_returns_the_page_to_its_first_state(
    browser: Browser, url: str, model: models.LoadedModel, lesson_image: Path
) -> None:
    page = open_at(browser, url, LAPTOP)
    upload(page, lesson_image)
    expect(page.locator("#predictions .confidence-set")).to_have_count(5)
    page.locator("#preset-skip-off").click()
    expect(page.locator("#strip .blk.m-skip-off")).to_have_count(len(block_names(model.module)))
    page.locator("#top-k input[type=range]").focus()
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#predictions .confidence-set")).to_have_count(3)
    page.locator("#lab").get_by_text("Classroom lab").first.click()
    lab = page.locator("#lab")
    lab.get_by_role("button", name="Run lesion sweep").click()
    expect(lab.locator(".lab-summary").first).to_contain_text("branch lesions", timeout=90_000)

    page.locator("#new-group").click()
    expect(page.locator("#strip .blk.m-skip-off")).to_have_count(0)
    expect(page.locator("#strip .blk.m-intact")).to_have_count(len(block_names(model.module)))
    expect(page.locator("#predictions .confidence-set")).to_have_count(0)
    expect(page.locator("#image img")).to_have_count(0)
    expect(page.locator("#top-k input[type=number]")).to_have_value("5")
    expect(page.locator("#switch-result .switch-result")).to_have_class(re.compile(r"\bnone\b"))
    expect(page.locator("#banner .banner.none")).to_be_visible()
    assert page.evaluate("window.scrollY") == 0
    page.locator("#lab").get_by_text("Classroom lab").first.click()
    expect(page.locator("#lab .lab-summary").first).to_have_text("")
    expect(page.locator("#lab .lab-chart img")).to_have_count(0)


WORDS_SPLIT = """(root) => {
  // Every word (a run of non-spaces) of the cells, and every whole number cell, that the browser
  // laid out on more than one line.
  const lines = (range) => new Set([...range.getClientRects()].filter((r) => r.width > 0)
    .map((r) => Math.round(r.top))).size;
  const split = [];
  for (const cell of root.querySelectorAll('[role=columnheader], [role=gridcell]')) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const node = walker.currentNode;
      const text = node.textContent;
      for (const m of text.matchAll(/\\S+/g)) {
        const r = document.createRange();
        r.setStart(node, m.index);
        r.setEnd(node, m.index + m[0].length);
        if (lines(r) > 1) split.push(m[0]);
      }
      if (cell.getAttribute('role') === 'gridcell' && /\\d/.test(text) && text.trim()) {
        const r = document.createRange();
        r.selectNodeContents(node);
        if (lines(r) > 1) split.push(text.trim());
      }
    }
  }
  return split;
}"""


def test_a_phone_shows_the_comparison_without_words_broken(
    browser: Browser, url: str, lesson_image: Path, shots: Path
) -> None:
    page = open_at(browser, url, PHONE, is_mobile=True, has_touch=True)
    upload(page, lesson_image)
    expect(page.locator("#predictions .confidence-set")).to_have_count(5)
    page.locator("#preset-skip-off").tap()
    table = page.locator("#compare-table")
    expect(table).to_contain_text("→")
    cells = table.locator("[role=gridcell]")  # Gradio's table: a grid of cells
    expect(cells.nth(9)).to_be_attached()  # two rows at least, filled in
    expect(cells.first).not_to_have_text("")
    table.scroll_into_view_if_needed()
    settle(page)
    assert table.locator("[role=columnheader]").count() == 5
    assert table.evaluate(WORDS_SPLIT) == []
    assert int(page.evaluate("document.scrollingElement.scrollWidth")) <= PHONE["width"]
    page.screenshot(path=shots / "19-phone-comparison.png")


def test_each_error_is_said_once_and_goes_when_a_run_succeeds(
    browser: Browser, url: str, tmp_path: Path
) -> None:
    from PIL import Image

    tiny = tmp_path / "tiny.png"
    Image.new("RGB", (1, 1), (0, 0, 255)).save(tiny)
    page = open_at(browser, url, LAPTOP)
    sentence = page.get_by_text("each side must be at least 8 pixels")
    upload(page, tiny)
    expect(sentence.locator("visible=true")).to_have_count(1)
    upload(page, tiny)  # the same failure again (Gradio counted it: "Error (2)")
    page.wait_for_timeout(2000)
    expect(sentence.locator("visible=true")).to_have_count(1)
    assert sentence.count() >= 2  # Gradio did gather the copies; only one is shown
    expect(page.locator(".toast-count").locator("visible=true")).to_have_count(0)
    upload(page, ROOT / "assets" / "examples" / "shapes_star.png")
    expect(page.locator("#predictions .confidence-set")).to_have_count(5)
    expect(sentence).to_have_count(0, timeout=3000)  # before Gradio's own 10 s timer
