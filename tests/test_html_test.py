"""`goleash test --format html`: the leaking tests of a real Go module, opened in Chromium.

Two packages of tests/go/testmods/leaky: one whose test leaves three senders behind (the
first answer wins), one whose subtest leaves a watcher. The page names each leaking test, shows
its goroutines with the explanation from the module's source, and searches by test name.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from browser import chromium, open_report, screenshot
from gotools import GO_DIR, go_env, have_go

pytestmark = pytest.mark.slow

LEAKY = GO_DIR / "testmods" / "leaky"
GOLEASH = [sys.executable, "-m", "goleash.cli", "test"]


def test_test_report_names_the_leaking_tests(tmp_path: Path) -> None:
    if not have_go():
        pytest.skip("needs the Go toolchain of the test extra")
    html = tmp_path / "test.html"
    proc = subprocess.run(
        [*GOLEASH, "./parallel", "./subtests", "--format", "html", "-o", str(html)],
        cwd=LEAKY,
        env=go_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 1, proc.stderr
    with chromium() as browser:
        opened = open_report(browser, html)
        page = opened.page
        assert opened.errors == []
        assert page.text_content("#leak-count") == "2"
        leaks = page.locator(".leak")
        assert leaks.count() == 2
        text = page.text_content("#groups") or ""
        assert "TestFirstOfLeaks" in text and "TestWatch/never_stopped" in text
        first = page.locator(".leak", has_text="TestFirstOfLeaks")
        assert "3 goroutines" in (first.locator(".count").text_content() or "")
        # The source of the module explains the senders nobody receives from.
        assert "channel `answers`" in (first.locator(".explain").text_content() or "")
        page.fill("#search", "testwatch")
        visible = page.eval_on_selector_all(
            ".group", "els => els.filter(e => e.offsetParent !== null).length"
        )
        assert visible == 1
        screenshot(opened, "test")


def test_test_json_and_text_carry_the_explanation() -> None:
    if not have_go():
        pytest.skip("needs the Go toolchain of the test extra")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*GOLEASH, "./parallel", *args],
            cwd=LEAKY,
            env=go_env(),
            capture_output=True,
            text=True,
            timeout=600,
        )

    proc = run("--format", "json")
    assert proc.returncode == 1, proc.stderr
    (package,) = json.loads(proc.stdout)["packages"]
    (leak,) = package["leaks"]
    assert leak["test"] == "TestFirstOfLeaks"
    assert "channel `answers`" in leak["explanation"]["text"]
    assert leak["explanation"]["fix"]
    text = run().stdout
    assert "explains" in text and "channel `answers`" in text
