"""`goleash prometheus rules`: the rules pass promtool, and promtool's unit tests show the alert
firing on a slow leak and not on a spike, load that comes and goes, or a restart."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from watchsvc import goleash

HERE = Path(__file__).parent / "prometheus"
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None, reason="no promtool (apt-get install prometheus)"
)


def rules(*args: str) -> str:
    done = subprocess.run(goleash("prometheus", "rules", *args), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_unit_tested_rules_are_what_goleash_prints() -> None:
    # tests/prometheus/goleash-rules.yml is the default output; regenerate it with
    # `goleash prometheus rules > tests/prometheus/goleash-rules.yml` when the rules change.
    assert rules() == (HERE / "goleash-rules.yml").read_text()


@needs_promtool
def test_promtool_unit_tests_pass() -> None:
    assert PROMTOOL is not None
    done = subprocess.run(
        [PROMTOOL, "test", "rules", "goleash-rules.test.yml"],
        cwd=HERE,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


@needs_promtool
@pytest.mark.parametrize(
    "args",
    [
        (),
        ("--selector", '{job="api", env=~"prod|staging"}', "--window", "6h", "--for", "1h"),
        ("--trough", "15m", "--window", "1d", "--min-growth", "2.5", "--severity", "page"),
        ("--selector", """{path="/a #b: c", team="it's"}"""),
    ],
    ids=["defaults", "selector", "slow-fleet", "awkward-selector"],
)
def test_promtool_accepts_the_rules(args: tuple[str, ...], tmp_path: Path) -> None:
    assert PROMTOOL is not None
    path = tmp_path / "rules.yml"
    path.write_text(rules(*args))
    done = subprocess.run([PROMTOOL, "check", "rules", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 4 rules found" in done.stdout


def test_each_rule_has_a_comment() -> None:
    lines = rules().splitlines()
    starts = [
        i for i, line in enumerate(lines) if line.lstrip().startswith(("- record:", "- alert:"))
    ]
    assert len(starts) == 4
    assert all(lines[i - 1].lstrip().startswith("#") for i in starts)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--window", "an hour"), "--window 'an hour': not a Prometheus duration"),
        (("--selector", 'job="api"'), "expected a label selector"),
        (("--selector", '{job="api"}\n  - alert: Evil'), "expected a label selector"),
        (("--severity", "a b"), "--severity 'a b'"),
    ],
)
def test_bad_options_are_one_line_and_exit_2(args: tuple[str, ...], message: str) -> None:
    done = subprocess.run(goleash("prometheus", "rules", *args), capture_output=True, text=True)
    assert done.returncode == 2
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
