"""Open a report page in a real browser (headless Chromium from the system's packages,
driven by Playwright) and say what a client's browser would see: console errors, script
errors, and every request the page makes besides itself; optionally a screenshot.

Playwright (the dev extra) drives the system's `chromium`: `playwright install` downloads
a browser build and is never needed.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["CHROMIUM_FLAGS", "BrowserView", "chromium_path", "open_report"]

# Flags that keep Chromium quiet and offline on a headless CI machine run as root.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync")


def chromium_path() -> str | None:
    """The system's Chromium executable, or None when it is not installed."""
    for name in ("/usr/bin/chromium", "chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class BrowserView:
    """What the browser saw: the page's title, console errors, uncaught script errors, the
    requests to anything but the page itself (blocked), and the page's height in pixels."""

    title: str = ""
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)
    height_px: int = 0
    images_loaded: int = 0
    images_broken: int = 0
    interactive_charts: int = 0  # plotly charts the page's script drew
    first_hover: str = ""  # the tooltip shown over the first bar or point of the first one


def open_report(html: str | Path, screenshot: str | Path | None = None,
                width_px: int = 1100, shot_height_px: int | None = 1500) -> BrowserView:
    """Load `html` (a file) in headless Chromium with every request but the file itself
    blocked and recorded; `screenshot`: a PNG of the top `shot_height_px` pixels of the page
    (the whole page when None)."""
    from playwright.sync_api import sync_playwright

    exe = chromium_path()
    if exe is None:
        raise FileNotFoundError("chromium is not installed (apt-get install -y chromium)")
    url = Path(html).resolve().as_uri()
    seen = BrowserView()

    def guard(route) -> None:
        req = route.request.url
        if req == url or req.startswith("data:"):
            route.continue_()
        else:
            seen.outside_requests.append(req)
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=list(CHROMIUM_FLAGS))
        try:
            page = browser.new_page(viewport={"width": width_px, "height": 900})
            page.route("**/*", guard)
            page.on("console", lambda m: seen.console_errors.append(m.text)
                    if m.type == "error" else None)
            page.on("pageerror", lambda e: seen.page_errors.append(str(e)))
            page.goto(url, wait_until="load")
            page.wait_for_load_state("networkidle")
            seen.title = page.title()
            seen.height_px = int(page.evaluate("document.documentElement.scrollHeight"))
            loaded = page.evaluate("[...document.images].map(i => i.complete && "
                                   "i.naturalWidth > 0)")
            seen.images_loaded = sum(loaded)
            seen.images_broken = len(loaded) - sum(loaded)
            seen.interactive_charts = page.locator(".js-plotly-plot").count()
            if seen.interactive_charts:
                seen.first_hover = _hover_first_point(page)
            if screenshot is not None:
                clip = None if shot_height_px is None else {
                    "x": 0, "y": 0, "width": width_px,
                    "height": min(shot_height_px, seen.height_px)}
                page.screenshot(path=str(screenshot), full_page=True, clip=clip)
        finally:
            browser.close()
    return seen


def _hover_first_point(page) -> str:
    """Move the mouse over the first bar or marker of the first plotly chart; its tooltip."""
    point = page.locator(".js-plotly-plot .point path, .js-plotly-plot .point").first
    point.scroll_into_view_if_needed()
    box = point.bounding_box()
    if box is None:
        return ""
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    tip = page.locator(".js-plotly-plot .hoverlayer .hovertext")
    try:
        tip.first.wait_for(state="attached", timeout=3000)
    except Exception:  # no tooltip came: say so by an empty text
        return ""
    return " | ".join(tip.all_text_contents())
