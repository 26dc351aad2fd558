"""The channel-family rules beyond the fixture marks: documentation, versions, run-time truth.

The fixture harness (test_fixtures.py) checks every `// want` mark. Here: each rule explains
itself and its own example is a case it reports; the rules hold for every Go version; and the
strongest check, that what the rules report in a real Go program is exactly what leaks when that
program runs, counted with runtime.NumGoroutine.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from goleash.lint.rules import rule_by_id
from goleash.lint.rules.base import FileContext, Rule
from goleash.lint.syntax import Node, parse
from goleash.model import Finding
from gotools import GO_DIR, build, have_go

SEVERITIES = {
    "abandoned-send": "error",
    "abandoned-receive": "warning",
    "range-never-closed": "warning",
    "blocking-loop-no-exit": "warning",
    "ctx-done-no-exit": "error",
    "stream-recv-no-eof": "warning",
}
TESTDATA = Path(__file__).parent / "testdata"
PROGRAM = GO_DIR / "channelrules"


def rule(rule_id: str) -> Rule:
    found = rule_by_id(rule_id)
    assert found is not None, f"rule {rule_id} is not registered"
    return found


def run_rules(
    source: bytes, path: str = "x.go", version: tuple[int, int] = (1, 27)
) -> list[Finding]:
    ctx = FileContext(path, source, parse(source), version, is_test=False)
    return [f for rule_id in SEVERITIES for f in rule(rule_id).check(ctx)]


@pytest.mark.parametrize("rule_id", sorted(SEVERITIES))
def test_rule_documents_itself(rule_id: str) -> None:
    r = rule(rule_id)
    assert r.severity == SEVERITIES[rule_id]
    assert r.title and r.title[0].isupper()
    for section in ("what", "why", "example", "fix", "known_problems"):
        assert len(getattr(r.doc, section).strip()) > 40, f"{rule_id}: {section} is too thin"
    # The fix hint shown with every finding is the fix's first line: it must read on its own.
    hint = r.doc.fix.strip().splitlines()[0]
    assert len(hint) > 20 and hint.endswith((".", ":")), hint


@pytest.mark.parametrize("rule_id", sorted(SEVERITIES))
def test_rule_reports_its_own_example(rule_id: str) -> None:
    source = f"package example\n\n{rule(rule_id).doc.example}\n".encode()
    findings = [f for f in run_rules(source) if f.rule == rule_id]
    assert findings, f"{rule_id} does not report the example in its own documentation"


@pytest.mark.parametrize("rule_id", sorted(SEVERITIES))
def test_channel_rules_hold_in_every_go_version(rule_id: str) -> None:
    # Unlike timers (collected since 1.23) these leaks do not depend on the module's Go version.
    r = rule(rule_id)
    for version in [(1, 13), (1, 21), (1, 22), (1, 23), (1, 27), None]:
        assert r.applies_to(version)
    source = (TESTDATA / "go122" / "abandoned_send" / "legacy.go").read_bytes()
    old = {(f.line, f.rule) for f in run_rules(source, version=(1, 22))}
    new = {(f.line, f.rule) for f in run_rules(source, version=(1, 27))}
    assert old == new and old


def test_messages_say_why_the_goroutine_is_stuck() -> None:
    path = TESTDATA / "go127" / "abandoned_send" / "handlers.go"
    source = path.read_bytes()
    lines = source.decode().splitlines()
    by_line = {f.line: f for f in run_rules(source, str(path)) if f.rule == "abandoned-send"}
    timeout = by_line[next(i for i, t in enumerate(lines, 1) if "result <- body" in t)]
    assert "time.After(2 * time.Second)" in timeout.message
    assert "unbuffered channel `result`" in timeout.message
    early = by_line[next(i for i, t in enumerate(lines, 1) if "done <- body" in t)]
    return_line = next(
        i for i, t in enumerate(lines, 1) if "return nil, err" in t and i > early.line
    )
    assert f"return at line {return_line}" in early.message
    assert early.fix.startswith("Buffer the channel for every sender")


def test_broken_source_gives_partial_results_not_a_crash() -> None:
    source = (TESTDATA / "go127" / "abandoned_send" / "handlers.go").read_bytes()
    cut = source[: len(source) * 2 // 3] + b"\n\tfunc ((( {\n"
    assert parse(cut).root_node.has_error
    findings = run_rules(cut)
    # The cases before the cut are still analysed.
    assert any(f.rule == "abandoned-send" for f in findings)


def _function_at(root: Node, line: int) -> str:
    for node in root.named_children:
        if (
            node.type == "function_declaration"
            and node.start_point[0] < line <= node.end_point[0] + 1
        ):
            name = node.child_by_field_name("name")
            return name.text.decode() if name is not None else ""
    return ""


@pytest.mark.skipif(not have_go(), reason="needs the Go toolchain from the test extra")
def test_what_the_rules_report_is_what_leaks_at_run_time() -> None:
    run = subprocess.run([str(build(PROGRAM))], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    leaked = {name: int(n) for name, n in (line.split() for line in run.stdout.splitlines())}
    assert len(leaked) == 12, run.stdout
    leaking = {name for name, n in leaked.items() if n > 0}
    # Each leaking shape leaves at least one goroutine per round (20 rounds); each fix none.
    assert all(leaked[name] >= 20 for name in leaking)
    assert leaking == {name for name in leaked if not name.endswith("Fixed")}

    source = (PROGRAM / "main.go").read_bytes()
    tree = parse(source)
    findings = run_rules(source, "main.go")
    reported = {_function_at(tree.root_node, f.line) for f in findings}
    assert reported == leaking, "\n".join(f"{f.line}: {f.rule}: {f.message}" for f in findings)
    rules_seen = {f.rule for f in findings}
    assert rules_seen >= {
        "abandoned-send",
        "abandoned-receive",
        "range-never-closed",
        "blocking-loop-no-exit",
    }
