"""`--format html` of the commands that compare over time, opened in headless Chromium.

`goleash diff` of two dumps of the real loadsvc (a leak between them) shows the stacks that
grew before and after side by side; `goleash verify` of a leaky loadsvc draws the timeline of
the total and of the top stacks with the leak marked. Both: no console error, nothing fetched.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import loadsvc
from browser import chromium, open_report, screenshot
from gotools import GO_DIR, free_port, have_go

pytestmark = pytest.mark.slow

GOLEASH = [sys.executable, "-m", "goleash.cli"]
CLEAN = ("/pool", "/work?n=6&ms=100", "/cache")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not have_go():
        pytest.skip("needs the Go toolchain of the test extra")
    with chromium() as b:
        yield b


def goleash(*args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([*GOLEASH, *args], capture_output=True, text=True, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr
    return proc


def visible(page: Any, selector: str) -> int:
    return int(
        page.eval_on_selector_all(
            selector, "els => els.filter(e => e.offsetParent !== null).length"
        )
    )


def test_diff_report_shows_grown_stacks_side_by_side(browser: Any, tmp_path: Path) -> None:
    with loadsvc.serving("-cache", "8") as svc:
        svc.load(*CLEAN, n=40)
        before = tmp_path / "before.txt"
        before.write_bytes(svc.capture("debug=2"))
        svc.load("/leak", n=12)
        svc.load(*CLEAN, n=40)
        after = tmp_path / "after.txt"
        after.write_bytes(svc.capture("debug=2"))
    html = tmp_path / "diff.html"
    goleash("diff", str(before), str(after), "--format", "html", "-o", str(html))
    report = json.loads(goleash("diff", str(before), str(after), "--format", "json").stdout)
    leaks = [g for g in report["groups"] if g["leak"]]
    assert leaks

    opened = open_report(browser, html)
    page = opened.page
    assert opened.errors == []
    assert all(u.startswith("file://") for u in opened.requests)
    assert page.text_content("#leak-count") == str(len(leaks))
    changes = page.locator(".change")
    assert changes.count() == len(report["groups"])
    leak = report["groups"].index(leaks[0])
    row = changes.nth(leak)
    sides = row.locator(".side")
    assert f"{leaks[0]['before']} goroutine" in (sides.nth(0).text_content() or "")
    assert f"{leaks[0]['after']} goroutines" in (sides.nth(1).text_content() or "")
    assert "LEAK" in (sides.nth(1).text_content() or "")
    # The grown side's bar is the longer one.
    widths = [float(sides.nth(i).locator(".bar").evaluate("e => e.offsetWidth")) for i in (0, 1)]
    assert widths[1] > widths[0]
    assert loadsvc.LEAK_FUNCTION in (row.text_content() or "")
    page.fill("#search", "handleleak")
    assert visible(page, ".group") == len(leaks)
    page.fill("#search", "")
    assert page.locator("#flame g.cell").count() > 5
    screenshot(opened, "diff")
    page.close()


def test_verify_report_draws_the_timeline(browser: Any, tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    html = tmp_path / "verify.html"
    common = [
        "verify",
        "--start",
        loadsvc.start_command(port, "-cache", "8"),
        "--url",
        url,
        "--load",
        loadsvc.load_command(url, "/leak", *CLEAN, n=40),
        "--settle-quiet",
        "0.2",
        "--settle-timeout",
        "20",
        "--startup-timeout",
        "60",
    ]
    proc = goleash(*common, "--format", "html", "-o", str(html))
    assert proc.returncode == 1  # the leak fails the gate
    opened = open_report(browser, html)
    page = opened.page
    assert opened.errors == []
    assert int(page.text_content("#leak-count") or "0") >= 1
    chart = page.locator("svg.chart")
    assert chart.count() == 1
    lines = int(chart.get_attribute("data-lines") or "0")
    assert lines >= 2  # the total and at least the leaking stack
    polylines = chart.locator("polyline")
    assert polylines.count() == lines
    phases = page.locator("table.grid tr").count() - 1
    assert phases >= 3
    # The total has a point per phase, drawn left to right.
    total = polylines.first.get_attribute("points") or ""
    xs = [float(p.split(",")[0]) for p in total.split()]
    assert len(xs) == phases and xs == sorted(xs) and xs[-1] > xs[0]
    assert chart.locator(".marker.alert").count() >= 1
    box = chart.bounding_box()
    assert box is not None and box["width"] > 500 and box["height"] > 100
    legend = page.text_content(".legend-lines") or ""
    assert "all goroutines" in legend and "handleLeak" in legend
    # The leaking stack is explained from loadsvc's source.
    assert "channel `results`" in (page.locator(".explain").first.text_content() or "")
    screenshot(opened, "verify")
    page.close()


def test_watch_report_from_its_store(browser: Any, tmp_path: Path) -> None:
    """A watch of a leaking and a clean watchsvc kept in a store, then drawn from it."""
    from watchsvc import services

    store = tmp_path / "watch.db"
    html = tmp_path / "watch.html"
    poll = ["--interval", "0.2s", "--window", "5", "--min-windows", "6"]
    out = ["--store", str(store), "--format", "html", "-o", str(html)]
    with services(("leak",), ("clean",)) as (leak, clean):
        proc = subprocess.run(
            [*GOLEASH, "watch", leak.url, clean.url, *poll, "--duration", "9s", *out],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert proc.returncode == 1, proc.stderr  # the leak was found
    again = tmp_path / "again.html"
    rendered = goleash("watch", "--store", str(store), "--format", "html", "-o", str(again))
    assert rendered.returncode == 1
    opened = open_report(browser, again)
    page = opened.page
    assert opened.errors == []
    assert int(page.text_content("#leak-count") or "0") >= 1
    sections = page.locator("section.target")
    assert sections.count() == 2
    leaky = page.locator(f"section.target[data-target='{leak.url}']")
    chart = leaky.locator("svg.chart")
    lines = int(chart.get_attribute("data-lines") or "0")
    assert lines >= 2 and chart.locator("polyline").count() == lines
    points = (chart.locator("polyline").first.get_attribute("points") or "").split()
    assert len(points) >= 30  # a sample every 0.2 s for 9 s
    ys = [float(p.split(",")[1]) for p in points]
    assert ys[-1] < ys[0]  # the total rose (SVG y grows downwards)
    assert chart.locator(".marker.alert").count() >= 1  # the leak alert on the timeline
    assert leaky.locator("tr.event.leak").count() >= 1
    calm = page.locator(f"section.target[data-target='{clean.url}']")
    assert calm.locator("tr.event.leak").count() == 0
    assert page.locator(".explain").count() == 0  # no --source: the alerts alone
    screenshot(opened, "watch")
    page.close()

    # With the source at hand, each leak alert says which channel and why, with the fix.
    explained = tmp_path / "explained.html"
    source = ["--source", str(GO_DIR / "watchsvc")]
    goleash("watch", "--store", str(store), "--format", "html", "-o", str(explained), *source)
    opened = open_report(browser, explained)
    assert opened.errors == []
    alerts = opened.page.locator(f"section.target[data-target='{leak.url}'] tr.event.leak")
    why = alerts.first.locator(".explain")
    assert why.count() == 1
    text = why.locator(".text").text_content() or ""
    fix = why.locator(".fix").text_content() or ""
    assert "`result`" in text and "send" in text
    assert "result" in fix or "ctx.Done()" in fix
    clean_rows = opened.page.locator(f"section.target[data-target='{clean.url}'] .explain")
    assert clean_rows.count() == 0
    opened.page.close()
