"""The blocking-bug rules (locks, conds, WaitGroups, struct channels) beyond the fixture marks.

Each rule documents itself and reports its own example; and the recall corpus, tests/go/recall,
small programs reduced from real blocking bugs, is run for real: every scenario must leave
goroutines blocked, and the scan must point at the line each one blocks on.
"""

from __future__ import annotations

import subprocess

import pytest

from goleash.lint.config import ScanConfig
from goleash.lint.engine import scan
from goleash.lint.rules import rule_by_id
from goleash.lint.rules.base import FileContext, Rule
from goleash.lint.syntax import Node, parse
from gotools import GO_DIR, build, have_go

NEW_RULES = {
    "lock-held-blocking": "error",
    "double-lock": "error",
    "lock-order": "error",
    "field-send-after-stop": "warning",
    "select-default-send": "warning",
    "cond-wait-no-loop": "warning",
    "waitgroup-wait-in-loop": "error",
    "done-closed-on-some-paths": "error",
}
RECALL = GO_DIR / "recall"


def rule(rule_id: str) -> Rule:
    found = rule_by_id(rule_id)
    assert found is not None, f"rule {rule_id} is not registered"
    return found


@pytest.mark.parametrize("rule_id", sorted(NEW_RULES))
def test_rule_documents_itself(rule_id: str) -> None:
    r = rule(rule_id)
    assert r.severity == NEW_RULES[rule_id]
    for section in ("what", "why", "example", "fix", "known_problems"):
        assert len(getattr(r.doc, section).strip()) > 40, f"{rule_id}: {section} is too thin"
    hint = r.doc.fix.strip().splitlines()[0]
    assert len(hint) > 20 and hint.endswith((".", ":")), hint


# Types the examples use, declared as a package would (the rules read declared types).
_DECLARATIONS = """
import ("context"; "sync")
type Store struct { mu sync.Mutex; items map[string]int }
type Ledger struct { accounts, journal sync.Mutex; entries int }
type Monitor struct { mu sync.Mutex; status chan string; state string }
func NewMonitor() *Monitor { return &Monitor{status: make(chan string)} }
type Event int
type Watcher struct { events chan Event; stop chan struct{} }
func NewWatcher() *Watcher { return &Watcher{events: make(chan Event), stop: make(chan struct{})} }
func (w *Watcher) handle(Event) {}
type Gate struct { mu sync.Mutex; cond *sync.Cond; open bool }
var _ = context.Background
"""


@pytest.mark.parametrize("rule_id", sorted(NEW_RULES))
def test_rule_reports_its_own_example(rule_id: str) -> None:
    example = rule(rule_id).doc.example
    if not example.lstrip().startswith("func"):
        example = (
            "func example(plugins []string, activate func(string), start func() error, "
            "stop <-chan struct{}, values []int, out chan<- int) {\n" + example + "}\n"
        )
    source = f"package example\n{_DECLARATIONS}\n{example}\n".encode()
    ctx = FileContext("x.go", source, parse(source), (1, 27), is_test=False)
    found = list(rule(rule_id).check(ctx))
    assert found, f"{rule_id} does not report the example in its own documentation"


def _blocking_lines(source: str) -> dict[int, str]:
    """Line -> scenario function, for every line marked `// BLOCKS`."""
    lines: dict[int, str] = {}
    current = ""
    for number, text in enumerate(source.splitlines(), 1):
        if text.startswith("func "):
            current = text[5:].split("(", 1)[0].strip()
        if text.rstrip().endswith("// BLOCKS"):
            lines[number] = current
    return lines


def _declaration_at(root: Node, line: int) -> str:
    """The name of the top-level function at a line, or its receiver's type for a method."""
    for node in root.named_children:
        if node.type not in ("function_declaration", "method_declaration"):
            continue
        if not node.start_point[0] < line <= node.end_point[0] + 1:
            continue
        if node.type == "method_declaration":
            receiver = node.child_by_field_name("receiver")
            return receiver.text.decode() if receiver is not None else ""
        name = node.child_by_field_name("name")
        return name.text.decode() if name is not None else ""
    return ""


def test_scan_points_at_the_blocking_line_of_the_recall_corpus() -> None:
    source = (RECALL / "main.go").read_text()
    marked = _blocking_lines(source)
    assert len(marked) == 13
    result = scan([RECALL], config=ScanConfig(use_cache=False))
    hit = {f.line for f in result.findings} & set(marked)
    share = len(hit) / len(marked)
    missed = sorted(marked[line] for line in set(marked) - hit)
    assert share >= 0.8, f"recall {share:.0%}; missed: {missed}"
    # The fixed versions of the same shapes are not reported.
    tree = parse(source.encode())
    in_fixes = [f for f in result.findings if "Fixed" in _declaration_at(tree.root_node, f.line)]
    assert not in_fixes, "\n".join(f"{f.line}: {f.rule}: {f.message}" for f in in_fixes)


@pytest.mark.slow
@pytest.mark.skipif(not have_go(), reason="needs the Go toolchain from the test extra")
def test_every_recall_scenario_really_blocks_and_every_fix_does_not() -> None:
    run = subprocess.run([str(build(RECALL))], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    leaked = {name: int(n) for name, n in (line.split() for line in run.stdout.splitlines())}
    assert len(leaked) == 26, run.stdout
    assert {name for name, n in leaked.items() if n > 0} == {
        name for name in leaked if not name.endswith("Fixed")
    }, leaked
