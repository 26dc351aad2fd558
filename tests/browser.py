"""Headless Chromium for the HTML report tests: Debian's /usr/bin/chromium driven by
playwright's Python package (never a downloaded browser), and the artefact folder where each
report kind's screenshot is kept for a person to look at."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("GOLEASH_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).parent.parent / "build" / "artifacts"


@dataclass
class Opened:
    """A report open in the browser, with every console error and uncaught exception."""

    page: Any
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium, or a skip when the machine has none."""
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.skip("needs Debian's chromium (installed by .ci/run)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def open_report(browser: Any, path: Path, *, width: int = 1300, height: int = 900) -> Opened:
    """Load a report file; records console errors, page errors and every request it makes."""
    page = browser.new_page(viewport={"width": width, "height": height})
    opened = Opened(page)
    page.on("console", lambda m: opened.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: opened.errors.append(str(e)))
    page.on("request", lambda r: opened.requests.append(r.url))
    page.goto(path.resolve().as_uri())
    page.wait_for_load_state("load")
    return opened


def screenshot(opened: Opened, name: str) -> Path:
    """Keep a full-page screenshot of the report under build/artifacts/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    out = ARTIFACTS / f"{name}.png"
    opened.page.screenshot(path=str(out), full_page=True)
    return out
