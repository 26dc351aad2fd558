"""THE rule harness: every Go file under testdata/ is scanned, and findings must match its marks.

A line that must produce findings carries ``// want "rule-id"`` (several: ``// want "a" "b"``);
a line without a mark must produce none. Every folder with a go.mod is a module that must pass
``go build`` and ``go vet`` (vet analyzers that overlap our own positive cases switched off), so
the cases are real Go.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from goleash.lint.config import ScanConfig
from goleash.lint.engine import ScanResult, scan
from goleash.lint.rules.base import Rule, RuleDoc
from goleash.lint.syntax import captures
from goleash.model import Finding
from gotools import go, have_go

TESTDATA = Path(__file__).parent / "testdata"
FIXTURES = sorted(TESTDATA.rglob("*.go"))
# A module folder without Go files yet has nothing to prove.
MODULES = sorted(p.parent for p in TESTDATA.rglob("go.mod") if any(p.parent.rglob("*.go")))

# vet analyzers whose diagnostics are the very leaks our positive cases show.
VET_OFF = ("-lostcancel=false", "-sigchanyzer=false", "-waitgroup=false", "-unusedresult=false")

_WANT = re.compile(r"//\s*want((?:\s+\"[^\"]+\")+)")
_QUOTED = re.compile(r"\"([^\"]+)\"")

Marks = Counter[tuple[int, str]]  # (line, rule id) -> how many findings


def expected_marks(source: str) -> Marks:
    """The (line, rule) pairs a file's ``// want`` comments ask for."""
    marks: Marks = Counter()
    for number, line in enumerate(source.splitlines(), 1):
        m = _WANT.search(line)
        if m:
            for rule_id in _QUOTED.findall(m.group(1)):
                marks[(number, rule_id)] += 1
    return marks


def mismatches(display: str, want: Marks, findings: list[Finding]) -> list[str]:
    """Readable differences: missing findings and findings where no mark asks for one.

    A mark asks for at least one finding of that rule on that line; several findings of the
    same rule on one marked line are accepted (a rule may report two sends on one line).
    """
    got: Marks = Counter((f.line, f.rule) for f in findings)
    problems = []
    for (line, rule_id), _n in sorted(want.items()):
        if not got[(line, rule_id)]:
            problems.append(f"{display}:{line}: expected {rule_id}, got none")
    for (line, rule_id), n in sorted(got.items()):
        if not want[(line, rule_id)]:
            messages = [f.message for f in findings if f.line == line and f.rule == rule_id]
            problems.append(
                f"{display}:{line}: unexpected {rule_id} ({n}x): {messages[0]}"
                if messages
                else f"{display}:{line}: unexpected {rule_id}"
            )
    return problems


@cache
def _scan_testdata() -> ScanResult:
    # Fixture test files count like any other (no lower severity matters here, ids do).
    config = ScanConfig(tests="same", use_cache=False)
    return scan([TESTDATA], config=config)


def _findings_for(path: Path) -> list[Finding]:
    result = _scan_testdata()
    resolved = path.resolve()
    return [f for f in result.findings if Path(f.file).resolve() == resolved]


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: str(p.relative_to(TESTDATA)))
def test_findings_match_want_marks(fixture: Path) -> None:
    want = expected_marks(fixture.read_text(encoding="utf-8"))
    problems = mismatches(str(fixture.relative_to(TESTDATA)), want, _findings_for(fixture))
    assert not problems, "\n" + "\n".join(problems)


def test_testdata_scans_without_warnings_or_parse_errors() -> None:
    result = _scan_testdata()
    assert result.files_scanned == len(FIXTURES)
    assert result.warnings == []
    assert result.parse_errors == []


@pytest.mark.slow
@pytest.mark.skipif(not have_go(), reason="no Go toolchain")
@pytest.mark.parametrize("module", MODULES, ids=lambda p: str(p.relative_to(TESTDATA)))
def test_fixture_module_is_real_go(module: Path) -> None:
    go("build", "./...", cwd=module)
    go("vet", *VET_OFF, "./...", cwd=module)


# --- the harness itself must be able to fail ------------------------------------------------


def _flag_go_statements(ctx):  # type: ignore[no-untyped-def]
    for node in captures("(go_statement) @g", ctx.tree.root_node).get("g", []):
        yield GO_RULE.finding(ctx, node, "a go statement")


GO_RULE = Rule(
    id="go-statement",
    title="go statement",
    severity="warning",
    doc=RuleDoc(what="w", why="y", example="e", fix="f"),
    check=_flag_go_statements,
)


def test_marks_parse_one_or_several_rules() -> None:
    source = 'a := 1 // want "x"\nb\nc <- d // want "y" "z"\n// want: not a mark\n'
    assert expected_marks(source) == Counter({(1, "x"): 1, (3, "y"): 1, (3, "z"): 1})


def test_harness_reports_missing_and_unexpected_findings(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("module example.com/h\n\ngo 1.22\n")
    src = (
        "package h\n\n"
        "func f() {\n"
        '\tgo func() {}() // want "go-statement"\n'
        "\tgo func() {}()\n"
        '\tprintln() // want "go-statement"\n'
        "}\n"
    )
    file = tmp_path / "h.go"
    file.write_text(src)
    result = scan([tmp_path], config=ScanConfig(rules=(GO_RULE,), use_cache=False))
    problems = mismatches("h.go", expected_marks(src), result.findings)
    assert problems == [
        "h.go:6: expected go-statement, got none",
        "h.go:5: unexpected go-statement (1x): a go statement",
    ]
