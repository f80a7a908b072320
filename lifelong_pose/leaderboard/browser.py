"""Open a built page in a real headless browser (Chromium) and report what a reader would see go wrong.

Used by the tests and by ``benchmarks/publish_leaderboard.py`` (which also takes the screenshot in
``docs/``). The page's own script marks ``<body>`` when it has loaded: how many images it holds and
how many failed to load; Chromium's log gives every console message (errors, uncaught exceptions).
A ``probe`` (a JavaScript expression) reads the page's state after it loaded, for instance whether
an injected handler ran (``window.__pwned``), which the DOM alone may not show.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
_CONSOLE = re.compile(r":CONSOLE[^\]]*\]\s*(.*)")
_BODY = re.compile(r"<body([^>]*)>")
_DATA = re.compile(r'data-([a-z-]+)="([^"]*)"')
_TITLE = re.compile(r"<title>(.*?)</title>", re.S)
_PROBE = """<script>
window.addEventListener("load", function () {{
  var value;
  try {{ value = JSON.stringify((function () {{ return ({expression}); }})()); }}
  catch (error) {{ value = "probe failed: " + error; }}
  document.body.dataset.probe = String(value);
}});
</script>
"""


@dataclass(frozen=True)
class PageReport:
    """What the browser saw: console messages, whether the script finished, images and broken images."""

    console: tuple[str, ...]
    ready: bool
    images: int
    broken_images: int
    dom: str
    title: str = ""
    probe: str | None = None
    """The probe's value as JSON (``"null"`` for null), or None when no probe was given."""
    scroll_width: int | None = None
    """The document's scroll width in pixels, where the page reports it (wider than ``viewport_width``:
    the reader must scroll sideways)."""
    viewport_width: int | None = None

    @property
    def ok(self) -> bool:
        return not self.console and self.ready and self.broken_images == 0


def find_browser() -> str | None:
    """The path of an installed Chromium (Debian: ``apt-get install chromium``), or None."""
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def _flags(browser: str) -> list[str]:
    return [browser, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0"]


def open_page(
    page: Path | str,
    *,
    screenshot: Path | str | None = None,
    width: int = 1500,
    height: int = 1100,
    probe: str | None = None,
) -> PageReport:
    """Load ``page`` (a local HTML file) in headless Chromium; optionally save a PNG screenshot.

    Args:
        page: the HTML file.
        screenshot: where to save a PNG of the page, if anywhere.
        width: the window's width in pixels.
        height: the window's height in pixels.
        probe: a JavaScript expression evaluated after the page's ``load`` event; its JSON value is
            :attr:`PageReport.probe`. The page is loaded from a copy beside it with the probe's
            script appended (so relative images still load); the copy is removed afterwards.

    Raises:
        FileNotFoundError: no page, or no Chromium installed (with how to install it).
        RuntimeError: the browser failed or timed out.
    """
    page = Path(page).resolve()
    if not page.is_file():
        raise FileNotFoundError(f"{page}: no such page; build it with 'lifelong-pose leaderboard build --out DIR'")
    browser = find_browser()
    if browser is None:
        raise FileNotFoundError("no Chromium found; install it with 'apt-get install chromium' (Debian)")
    common = [*_flags(browser), "--virtual-time-budget=10000", f"--window-size={width},{height}"]
    loaded = page
    if probe is not None:
        handle, copy = tempfile.mkstemp(dir=page.parent, prefix=".probe-", suffix=".html")
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(page.read_text(encoding="utf-8") + _PROBE.format(expression=probe))
        loaded = Path(copy)
    try:
        dump = subprocess.run(
            [*common, "--dump-dom", loaded.as_uri()], capture_output=True, text=True, timeout=120, check=False
        )
        if screenshot is not None:
            shot = Path(screenshot).resolve()
            shot.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                [*common, "--hide-scrollbars", f"--screenshot={shot}", page.as_uri()],
                capture_output=True,
                timeout=120,
                check=True,
            )
    except (subprocess.TimeoutExpired, subprocess.CalledProcessError) as error:
        raise RuntimeError(f"{browser} failed on {page}: {error}") from None
    finally:
        if loaded != page:
            loaded.unlink(missing_ok=True)
    if dump.returncode != 0:
        raise RuntimeError(f"{browser} exited {dump.returncode} on {page}: {dump.stderr[-500:]}")
    body = _BODY.search(dump.stdout)
    data = {key: html.unescape(value) for key, value in _DATA.findall(body.group(1))} if body else {}
    title = _TITLE.search(dump.stdout)
    return PageReport(
        console=tuple(match.group(1) for line in dump.stderr.splitlines() if (match := _CONSOLE.search(line))),
        ready=data.get("ready") == "true",
        images=int(data.get("images", 0)),
        broken_images=int(data.get("broken-images", 0)),
        dom=dump.stdout,
        title=html.unescape(title.group(1)) if title else "",
        probe=data.get("probe") if probe is not None else None,
        scroll_width=int(data["scroll-width"]) if "scroll-width" in data else None,
        viewport_width=int(data["viewport-width"]) if "viewport-width" in data else None,
    )
