"""`goleash dump --format html`: the report opened in headless Chromium as a person would.

The order service of tests/go/explainsvc is dumped and its source given, so the page has
suspect groups with explanations and source snippets. Checked in the browser: no console
error, nothing fetched from the network, every suspect group shown, the search box filters
groups by function, file and label, the flame graph draws and zooms on a click, and markup in
function names and labels is shown as text, never run.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from browser import chromium, open_report, screenshot
from gotools import have_go
from svcdump import SVC_DIR, capture, marker

pytestmark = pytest.mark.slow

DUMP = [sys.executable, "-m", "goleash.cli", "dump"]


@pytest.fixture(scope="module")
def dump_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not have_go():
        pytest.skip("needs the Go toolchain of the test extra")
    path = tmp_path_factory.mktemp("dump") / "goroutines.txt"
    path.write_bytes(capture())
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def report(dump: Path, *extra: str) -> tuple[Path, dict[str, Any]]:
    out = dump.with_suffix(".html")
    args = [*DUMP, str(dump), "--source", str(SVC_DIR), *extra]
    proc = subprocess.run(
        [*args, "--format", "html", "-o", str(out)], capture_output=True, timeout=120
    )
    assert proc.returncode in (0, 1), proc.stderr
    data = json.loads(
        subprocess.run([*args, "--format", "json"], capture_output=True, timeout=120).stdout
    )
    return out, data


def visible(page: Any, selector: str) -> int:
    return int(
        page.eval_on_selector_all(
            selector, "els => els.filter(e => e.offsetParent !== null).length"
        )
    )


def test_dump_report_in_the_browser(dump_file: Path, browser: Any) -> None:
    html, data = report(dump_file)
    text = html.read_text()
    # Nothing to fetch: no external script, style sheet, font or image.
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)
    assert "<link" not in text and "@import" not in text and "url(" not in text
    opened = open_report(browser, html)
    page = opened.page
    assert opened.errors == []
    assert all(u.startswith("file://") for u in opened.requests), opened.requests

    # Every suspect group is there, with its blocking site.
    suspects = [g for g in data["groups"] if g["suspect"]]
    assert suspects and page.locator(".group.suspect").count() == len(suspects)
    shown_sites = page.eval_on_selector_all(
        ".group.suspect .site", "els => els.map(e => e.textContent)"
    )
    for g in suspects:
        site = g["blocking_site"]
        assert any(site["function"] in s for s in shown_sites), site
    # Explanations and source snippets are on the page.
    assert page.locator(".explain").count() == sum(1 for g in data["groups"] if g["explanation"])
    path, line = marker("mutex", "CAUSE")
    causes = page.eval_on_selector_all(".snippet .ln.target", "els => els.map(e => e.textContent)")
    # The return that kept the lock, highlighted in its file.
    assert any(c.startswith(str(line)) and "CAUSE: mutex" in c for c in causes), causes
    assert path.name in (page.text_content("#groups") or "")

    # Search: a function, a file, a label.
    total = page.locator(".group").count()
    page.fill("#search", "pollconfig")
    assert visible(page, ".group") == 1
    assert page.text_content("#shown-count") == f"1 of {total} groups match"
    page.fill("#search", "supplier.go")
    only = page.eval_on_selector_all(
        ".group", "els => els.filter(e => e.offsetParent !== null).map(e => e.dataset.search)"
    )
    assert only and all("supplier.go" in s for s in only)
    page.fill("#search", "route=/quote")
    assert visible(page, ".group") == sum(
        1 for g in data["groups"] if g["labels"].get("route") == "/quote"
    )
    page.fill("#search", "no-such-function-anywhere")
    assert visible(page, ".group") == 0
    page.fill("#search", "")
    assert visible(page, ".group") == total

    # Flame graph: drawn, and a click zooms into a frame.
    cells = page.locator("#flame g.cell")
    assert cells.count() > 10
    target = page.locator("#flame g.cell", has_text="main.pollConfig").first
    full = float(page.get_attribute("#flame svg", "viewBox").split()[2])  # type: ignore[union-attr]
    before = float(target.locator("rect").get_attribute("width"))  # type: ignore[arg-type]
    assert before < full / 2
    target.locator("rect").click()
    assert page.get_attribute("#flame", "data-focus") == "main.pollConfig"
    zoomed = page.locator("#flame g.cell", has_text="main.pollConfig").first
    assert float(zoomed.locator("rect").get_attribute("width")) == pytest.approx(full, rel=0.01)  # type: ignore[arg-type]
    assert "main.pollConfig" in (page.text_content("#flame-path") or "")
    page.click("#flame-reset")
    assert page.get_attribute("#flame", "data-focus") == "all goroutines"
    assert opened.errors == []
    shot = screenshot(opened, "dump")
    assert shot.stat().st_size > 10_000
    page.close()


def test_markup_in_names_and_labels_is_shown_as_text(
    dump_file: Path, browser: Any, tmp_path: Path
) -> None:
    hostile_fn = "main.<img/src=x/onerror=window.pwned=1>"
    hostile_label = '"<script>window.pwned=2</script>"'  # quoted, as Go prints it
    data = dump_file.read_bytes()
    data = data.replace(b"main.pollConfig(", hostile_fn.encode() + b"(")
    data = data.replace(b"{route: /quote}", b"{route: " + hostile_label.encode() + b"}")
    evil = tmp_path / "evil.txt"
    evil.write_bytes(data)
    html, _ = report(evil)
    opened = open_report(browser, html)
    page = opened.page
    assert opened.errors == []
    assert page.evaluate("window.pwned") is None
    assert page.locator("#groups img").count() == 0
    assert page.locator("#groups script").count() == 0
    body = page.text_content("#groups") or ""
    assert hostile_fn in body
    assert "<script>window.pwned=2</script>" in body
    page.fill("#search", "onerror")
    assert visible(page, ".group") >= 1
    flame_names = page.eval_on_selector_all(
        "#flame g.cell text", "els => els.map(e => e.textContent)"
    )
    assert any(n.startswith("main.<img") for n in flame_names)
    screenshot(opened, "dump-markup")
    page.close()


def test_thousands_of_stacks_list_every_group(browser: Any, tmp_path: Path) -> None:
    """Past the first groups rendered in full, the others come as compact rows built by the
    page: all of them are listed, searchable and open to their frames."""
    from dumpgen import generate

    dump = tmp_path / "big.txt"
    dump.write_bytes(generate(6000, 900, seed=3))
    html, data = report(dump, "--all")
    assert html.stat().st_size < 2 * 2**20
    opened = open_report(browser, html)
    page = opened.page
    page.wait_for_selector("#more-groups[data-complete]", state="attached", timeout=30_000)
    assert opened.errors == []
    groups = data["groups"]
    assert len(groups) > 300
    assert page.locator(".group").count() == len(groups)
    assert page.locator(".group.suspect").count() == sum(g["suspect"] for g in groups)
    # A group far down the list: found by its blocking function, opened to its frames.
    last = groups[-1]
    fn = last["frames"][-1]["function"]
    page.fill("#search", fn.lower())
    hits = visible(page, ".group")
    assert hits == sum(any(f["function"] == fn for f in g["frames"]) for g in groups)
    row = page.locator(".group.compact:visible").last
    row.locator(".summary").click()
    assert fn in (row.text_content() or "")
    screenshot(opened, "dump-many-stacks")
