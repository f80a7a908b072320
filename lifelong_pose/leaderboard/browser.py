"""Open a built page in a real headless browser (Chromium) and report what a reader would see go wrong.

Used by the tests and by ``benchmarks/publish_leaderboard.py`` (which also takes the screenshot in
``docs/``). The page's own script marks ``<body>`` when it has loaded: how many images it holds and
how many failed to load; Chromium's log gives every console message (errors, uncaught exceptions).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
_CONSOLE = re.compile(r":CONSOLE[^\]]*\]\s*(.*)")
_BODY = re.compile(r"<body([^>]*)>")
_DATA = re.compile(r'data-([a-z-]+)="([^"]*)"')


@dataclass(frozen=True)
class PageReport:
    """What the browser saw: console messages, whether the script finished, images and broken images."""

    console: tuple[str, ...]
    ready: bool
    images: int
    broken_images: int
    dom: str

    @property
    def ok(self) -> bool:
        return not self.console and self.ready and self.broken_images == 0


def find_browser() -> str | None:
    """The path of an installed Chromium (Debian: ``apt-get install chromium``), or None."""
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def _flags(browser: str) -> list[str]:
    return [browser, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0"]


def open_page(
    page: Path | str, *, screenshot: Path | str | None = None, width: int = 1500, height: int = 1100
) -> PageReport:
    """Load ``page`` (a local HTML file) in headless Chromium; optionally save a PNG screenshot.

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
    try:
        dump = subprocess.run(
            [*common, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120, check=False
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
    if dump.returncode != 0:
        raise RuntimeError(f"{browser} exited {dump.returncode} on {page}: {dump.stderr[-500:]}")
    body = _BODY.search(dump.stdout)
    data = dict(_DATA.findall(body.group(1))) if body else {}
    return PageReport(
        console=tuple(match.group(1) for line in dump.stderr.splitlines() if (match := _CONSOLE.search(line))),
        ready=data.get("ready") == "true",
        images=int(data.get("images", 0)),
        broken_images=int(data.get("broken-images", 0)),
        dom=dump.stdout,
    )
