"""A flip and a new image in a real browser, timed in the page: click (or file chosen) until the
new overlay is painted, with where a flip's time goes.

    python benchmarks/bench_browser.py [--flips 10] [--images 5] [--model embedded]
        [--weights W] [--trace trace.json]

Starts `python app.py` as its own process on a free loopback port, opens the page in Chromium
(Playwright, headless, Debian's /usr/bin/chromium) and times with `performance.now()` in the
page:

- a flip: a switch in the strip clicked (from the intact network, each flip a setting not seen
  before; the "all intact" preset, untimed, in between) until the overlay
  <img> has a new `src`, is decoded (`img.decode()`) and the next frame is drawn
  (`requestAnimationFrame`); median of `--flips` (target <= 200 ms);
- a new image: an example with one pixel changed, set on the upload input as a file the user
  chose, until its overlay is painted; median of `--images` (target <= 600 ms).

A flip's median breakdown: before the request leaves (click until the queue join's fetch
starts, from the page's resource timing), server (join until `process_completed` arrives on the
event stream, read from the stream the page opens), after (until the first picture is
requested), pictures (first picture requested until the overlay is painted).

`--trace PATH` also writes a Chrome trace of one more flip (before the timed ones) and prints the
main thread's top costs between the click and the join (what the page does before the request
leaves), then times one more under V8's sampling profiler and prints where its JavaScript
spent that time, by script and function. A switch whose flip leaves the overlay's picture as it
was is passed over: its flip has no new picture to wait for.

Exits 1 when a target is missed. Talks only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import base64
import collections
import io
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from _server import HOST, example_images, start_server, stop_server, verdict
from PIL import Image
from playwright.sync_api import Error, Page, sync_playwright

from resnet_demo.ui.server import free_port

CHROMIUM = "/usr/bin/chromium"
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
FLIP_TARGET_MS = 200.0
IMAGE_TARGET_MS = 600.0
WAIT_MS = 60_000
MODES = ("branch-off", "skip-off")
INTACT = "#preset-intact"

# Before the page's own scripts: count the queue joins and see each `process_completed` as it
# arrives on the event stream (Gradio's client reads it with fetch), and keep every resource
# timing entry.
INSTRUMENT = """
(() => {
  performance.setResourceTimingBufferSize(100000);
  const bench = (window.__bench = { joins: [], completed: [] });
  const original = window.fetch.bind(window);
  window.fetch = async function (input, init) {
    const url = typeof input === "string" ? input : (input && input.url) || String(input);
    if (url.includes("queue/join")) bench.joins.push(performance.now());
    const response = await original(input, init);
    if (!url.includes("queue/data") || !response.body) return response;
    const [page, mine] = response.body.tee();
    (async () => {
      const reader = mine.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end;
        while ((end = buffer.indexOf("\\n\\n")) >= 0) {
          if (buffer.slice(0, end).includes('"process_completed"'))
            bench.completed.push(performance.now());
          buffer = buffer.slice(end + 2);
        }
      }
    })();
    return new Response(page, {
      status: response.status, statusText: response.statusText, headers: response.headers,
    });
  };
})();
"""

# Start an action (`act`: "click" on a selector, or "file" with a base64 PNG for the upload
# input) and resolve when the overlay's new picture is painted; the times of its stages.
MEASURE = """
async ([act, target, name, waitMs]) => {
  const bench = window.__bench;
  const overlay = document.querySelector("#overlay");
  const before = overlay.querySelector("img")?.src ?? null;
  const joins = bench.joins.length, completed = bench.completed.length;
  let settled = false;
  const painted = new Promise((resolve, reject) => {
    const look = async () => {
      const img = overlay.querySelector("img");
      if (settled || !img || !img.src || img.src === before) return;
      settled = true;
      observer.disconnect();
      try { await img.decode(); } catch (e) {}
      requestAnimationFrame(() => resolve({ at: performance.now(), src: img.src }));
    };
    const observer = new MutationObserver(look);
    observer.observe(overlay, { subtree: true, childList: true, attributes: true,
                                attributeFilter: ["src"] });
    const give_up = () => { if (!settled) { settled = true; observer.disconnect();
      reject(new Error("the overlay did not change")); } };
    setTimeout(give_up, waitMs);
    const poll = setInterval(() => {  // answered, but no new overlay 3 s later: unchanged
      if (settled) clearInterval(poll);
      else if (bench.completed.length > completed) {
        clearInterval(poll);
        setTimeout(give_up, 3000);
      }
    }, 50);
  });
  let began;
  if (act === "click") {
    const button = document.querySelector(target);
    if (!button) throw new Error("no " + target);
    began = performance.now();
    button.click();
  } else {
    const bytes = Uint8Array.from(atob(target), (c) => c.charCodeAt(0));
    const input = document.querySelector("#image input[type=file]");
    const files = new DataTransfer();
    files.items.add(new File([bytes], name, { type: "image/png" }));
    began = performance.now();
    input.files = files.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }
  const done = await painted;
  const join = bench.joins[joins] ?? NaN;
  const complete = bench.completed[completed] ?? NaN;
  const pictures = performance.getEntriesByType("resource")
    .filter((e) => e.startTime >= complete && e.initiatorType !== "fetch"
                   && !e.name.includes("queue/"))
    .map((e) => e.startTime);
  const first = pictures.length ? Math.min(...pictures) : done.at;
  return { began, join, complete, first, painted: done.at, total: done.at - began };
}
"""


def png_base64(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def new_image(examples: list[Path], number: int) -> str:
    """An example the server has never seen (one pixel changed), as base64 PNG."""
    with Image.open(examples[number % len(examples)]) as opened:
        image = opened.convert("RGB")
    image.putpixel((0, 0), (number % 256, 91, 17))
    return png_base64(image)


def measure(page: Page, act: str, target: str, name: str = "") -> dict[str, float]:
    timing: dict[str, float] = page.evaluate(MEASURE, [act, target, name, WAIT_MS])
    return timing


def flip_targets(page: Page) -> list[str]:
    """Switch buttons to click in turn, each flip leading to a setting not seen before: the
    blocks in order with one mode, then the other."""
    blocks = page.eval_on_selector_all(
        "#strip button[data-block][data-mode]",
        "els => [...new Set(els.map(e => e.dataset.block))]",
    )
    if not blocks:
        raise RuntimeError("no switches in the strip")
    return [
        f"#strip button[data-block='{block}'][data-mode='{mode}']"
        for mode in MODES
        for block in blocks
    ]


def timed_flips(page: Page, selectors: list[str], count: int) -> list[dict[str, float]]:
    """`count` flips from the intact network, each the next switch in `selectors`, with the
    "all intact" preset (untimed) after each; a switch whose flip leaves the overlay's picture
    as it was is passed over."""
    flips: list[dict[str, float]] = []
    for selector in selectors * 3:
        if len(flips) == count:
            break
        try:
            flips.append(measure(page, "click", selector))
        except Error as error:
            if "did not change" not in str(error):
                raise
            print(f"(overlay unchanged by {selector}; passed over)")
            continue
        measure(page, "click", INTACT)
    if len(flips) < count:
        raise RuntimeError(f"only {len(flips)} of {count} flips changed the overlay")
    return flips


def trace_costs(path: Path, began_us: float, joined_us: float) -> list[tuple[str, float]]:
    """The page's main thread between two trace timestamps: self time (ms) of its trace events
    by name (with the function or script where the trace names one), largest first."""
    events = json.loads(path.read_text())
    events = events["traceEvents"] if isinstance(events, dict) else events
    main = {
        (e["pid"], e["tid"])
        for e in events
        if e.get("name") == "thread_name" and e.get("args", {}).get("name") == "CrRendererMain"
    }
    spans = sorted(
        (
            e
            for e in events
            if e.get("ph") == "X"
            and (e.get("pid"), e.get("tid")) in main
            and began_us <= e["ts"] <= joined_us
        ),
        key=lambda e: (e["ts"], -e.get("dur", 0)),
    )
    costs: collections.Counter[str] = collections.Counter()
    stack: list[tuple[float, str]] = []  # (end, label) of the events that enclose this one
    for event in spans:
        while stack and stack[-1][0] <= event["ts"]:
            stack.pop()
        data = event.get("args", {}).get("data", {})
        where = data.get("functionName") or str(data.get("url", "")).rsplit("/", 1)[-1]
        label = f"{event['name']}{f' ({where})' if where else ''}"
        ms = event.get("dur", 0) / 1e3
        costs[label] += ms
        if stack:
            costs[stack[-1][1]] -= ms  # a parent's self time leaves out its children
        stack.append((event["ts"] + event.get("dur", 0), label))
    return [(name, ms) for name, ms in costs.most_common(12) if ms > 0.05]


def traced_flip(page: Page, browser: Any, selector: str, path: Path) -> None:
    """One flip under Chrome's tracing; prints the main thread's costs before the join."""
    browser.start_tracing(
        page=page,
        path=str(path),
        categories=[
            "devtools.timeline",
            "disabled-by-default-devtools.timeline",
            "v8.execute",
            "blink.user_timing",
        ],
    )
    try:
        page.evaluate("performance.mark('bench-click')")
        timing = measure(page, "click", selector)
    finally:
        browser.stop_tracing()
    events = json.loads(path.read_text())
    events = events["traceEvents"] if isinstance(events, dict) else events
    marks = {e["name"]: e["ts"] for e in events if e.get("name", "").startswith("bench-")}
    began_us = marks.get("bench-click", 0.0)
    joined_us = began_us + (timing["join"] - timing["began"]) * 1e3 + 2e3  # the join, plus slack
    print(
        f"traced flip: {timing['total']:.0f} ms, {timing['join'] - timing['began']:.0f} ms before "
        f"the request left; the main thread then (self time by trace event, ms):"
    )
    for name, ms in trace_costs(path, began_us, joined_us):
        print(f"  {ms:7.1f}  {name}")
    print(f"  (trace written to {path}; open it in chrome://tracing or Perfetto)")


def profiled_flip(page: Page, selector: str, path: Path) -> None:
    """One flip under V8's sampling profiler: where the page's JavaScript spends the time before
    the request leaves (samples from the profiler's start until the join, so a few ms before the
    click are in), by script and by function (minified names, with their line)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Profiler.enable")
    cdp.send("Profiler.setSamplingInterval", {"interval": 250})
    cdp.send("Profiler.start")
    try:
        timing = measure(page, "click", selector)
    finally:
        profile = cdp.send("Profiler.stop")["profile"]
        cdp.detach()
    path.write_text(json.dumps(profile))
    frames = {node["id"]: node["callFrame"] for node in profile["nodes"]}
    parents = {child: node["id"] for node in profile["nodes"] for child in node.get("children", [])}
    # The window, counted back from when the profiler stopped (just after the paint): the
    # profile's own start is not the click's time.
    end = profile["endTime"]
    window = (end - (timing["painted"] - timing["began"] + 10) * 1e3,)
    window += (end - (timing["painted"] - timing["join"]) * 1e3,)
    by_script: collections.Counter[str] = collections.Counter()
    within: collections.Counter[str] = collections.Counter()  # inclusive: itself and callees
    now = profile["startTime"]
    for node, delta in zip(profile["samples"], profile["timeDeltas"], strict=False):
        now += delta
        if not window[0] <= now <= window[1]:
            continue
        by_script[frames[node]["url"].rsplit("/", 1)[-1] or frames[node]["functionName"]] += (
            delta / 1e3
        )
        seen: set[str] = set()
        while node in frames:
            frame = frames[node]
            name = f"{frame['functionName'] or '(anonymous)'} {frame['url'].rsplit('/', 1)[-1]}"
            if name not in seen and frame["functionName"] != "(root)":
                seen.add(name)
                within[name] += delta / 1e3
            node = parents.get(node)
    print(
        f"profiled flip: {timing['total']:.0f} ms, {timing['join'] - timing['began']:.0f} ms "
        f"before the request left; V8 samples then, self ms by script:"
    )
    for name, ms in by_script.most_common(6):
        print(f"  {ms:7.1f}  {name}")
    print("  and ms within each function and what it called (minified names):")
    for name, ms in within.most_common(12):
        print(f"  {ms:7.1f}  {name}")
    print(f"  (profile written to {path}; open it in Chromium's DevTools, Performance)")


def median_of(timings: list[dict[str, float]], start: str, end: str) -> float:
    return statistics.median(t[end] - t[start] for t in timings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flips", type=int, default=10, help="flips to time (default 10)")
    parser.add_argument("--images", type=int, default=5, help="new images to time (default 5)")
    parser.add_argument("--model", default="embedded", help="model the app starts on")
    parser.add_argument("--weights", default=None, help="the app's --weights")
    parser.add_argument("--trace", type=Path, default=None, help="write a trace of one flip")
    args = parser.parse_args(argv)
    if not 1 <= args.flips <= 200 or not 1 <= args.images <= 100:
        parser.error("--flips must be 1..200 and --images 1..100")

    examples = example_images()
    port = free_port(HOST)
    url = f"http://{HOST}:{port}/"
    cache = tempfile.mkdtemp(prefix="resnet-demo-browser-gradio-")
    server = start_server(port, args.model, cache, args.weights)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_context(viewport=VIEWPORT, locale="en-US").new_page()
            page.set_default_timeout(WAIT_MS)
            page.add_init_script(INSTRUMENT)
            page.goto(url)
            page.locator("#strip .blk").first.wait_for()
            # A first image, untimed: the page, the model and the browser's caches warm up.
            measure(page, "file", new_image(examples, 10_000), "warm-up.png")
            images = [
                measure(page, "file", new_image(examples, i), f"image-{i}.png")
                for i in range(args.images)
            ]
            selectors = flip_targets(page)
            if args.trace is not None:  # first, so that the timed flips come after it
                traced_flip(page, browser, selectors.pop(0), args.trace)
                measure(page, "click", INTACT)
                profile = args.trace.with_suffix(".cpuprofile")
                profiled_flip(page, selectors.pop(0), profile)
                measure(page, "click", INTACT)
            flips = timed_flips(page, selectors, args.flips)
            browser.close()
    finally:
        stop_server(server)

    flip = statistics.median(t["total"] for t in flips)
    image = statistics.median(t["total"] for t in images)
    low, high = min(t["total"] for t in flips), max(t["total"] for t in flips)
    print(
        f"app: {args.model} on {url}; Chromium headless, {VIEWPORT['width']}x{VIEWPORT['height']}"
    )
    print(f"a flip, click until the overlay is painted: median of {len(flips)}")
    print(f"  {flip:.0f} ms ({low:.0f}-{high:.0f})")
    print(f"    before the request leaves  {median_of(flips, 'began', 'join'):6.0f} ms")
    print(f"    server (join to completed) {median_of(flips, 'join', 'complete'):6.0f} ms")
    print(f"    after, until pictures asked{median_of(flips, 'complete', 'first'):6.0f} ms")
    print(f"    pictures, until painted    {median_of(flips, 'first', 'painted'):6.0f} ms")
    print(f"a new image, file chosen until its overlay is painted: median of {len(images)}")
    print(
        f"  {image:.0f} ms; of which the server (join to completed) "
        f"{median_of(images, 'join', 'complete'):.0f} ms"
    )
    print("targets:")
    hits = [flip <= FLIP_TARGET_MS, image <= IMAGE_TARGET_MS]
    print(f"  {verdict(hits[0])}  a flip: {flip:.0f} ms (target <= {FLIP_TARGET_MS:.0f} ms)")
    print(f"  {verdict(hits[1])}  a new image: {image:.0f} ms (target <= {IMAGE_TARGET_MS:.0f} ms)")
    print("result:", "targets met" if all(hits) else f"{hits.count(False)} target(s) MISSED")
    return 0 if all(hits) else 1


if __name__ == "__main__":
    sys.exit(main())
