"""Resource rules: what the `// want` fixtures cannot say (docs, version ranges, severities,
messages, same-package summaries). Sources here are parsed by the real tree-sitter grammar."""

from __future__ import annotations

import pytest

from goleash.lint.package import PackageIndex
from goleash.lint.rules import rule_by_id
from goleash.lint.rules.base import FileContext, Rule
from goleash.lint.syntax import parse
from goleash.model import Finding

RESOURCE_RULES = [
    "lost-cancel",
    "ticker-not-stopped",
    "time-after-in-loop",
    "ticker-loop-no-exit",
    "missing-unlock",
    "waitgroup-add-in-goroutine",
    "waitgroup-missing-done",
    "unclosed-body",
    "http-client-no-timeout",
    "defer-in-loop",
    "signal-notify-unbuffered",
]


def rule(rule_id: str) -> Rule:
    found = rule_by_id(rule_id)
    assert found is not None, f"rule {rule_id} is not registered"
    return found


def scan(rule_id: str, source: str, *, path: str = "x.go", package: bool = False) -> list[Finding]:
    data = source.encode()
    tree = parse(data)
    index = PackageIndex([(data, tree)]) if package else None
    ctx = FileContext(path, data, tree, (1, 22), path.endswith("_test.go"), package=index)
    return list(rule(rule_id).check(ctx))


@pytest.mark.parametrize("rule_id", RESOURCE_RULES)
def test_every_rule_documents_itself(rule_id: str) -> None:
    r = rule(rule_id)
    assert r.severity in ("error", "warning", "info")
    for part in (r.title, r.doc.what, r.doc.why, r.doc.example, r.doc.fix, r.doc.known_problems):
        assert part.strip(), f"{rule_id}: empty documentation section"
    # The example is Go that parses (as a declaration, or as statements in a function).
    example = r.doc.example
    wrapped = (
        example if example.lstrip().startswith(("func", "var")) else f"func f() {{\n{example}}}"
    )
    tree = parse(f"package p\n\n{wrapped}\n".encode())
    assert not tree.root_node.has_error, f"{rule_id}: the example is not valid Go:\n{example}"
    assert any(word in r.doc.fix for word in ("defer", "select", "Timeout", "make", "Add", "func"))


@pytest.mark.parametrize("rule_id", ["ticker-not-stopped", "time-after-in-loop"])
def test_timer_rules_apply_only_before_go_1_23(rule_id: str) -> None:
    r = rule(rule_id)
    assert r.applies_to((1, 22))
    assert r.applies_to((1, 21))
    assert not r.applies_to((1, 23))
    assert not r.applies_to((1, 27))
    assert r.applies_to(None)  # unknown version: assume the old behaviour


def test_ticker_loop_without_exit_applies_in_every_version() -> None:
    r = rule("ticker-loop-no-exit")
    assert r.applies_to((1, 22)) and r.applies_to((1, 27))


LOST_ON_RETURN = """package p

import "context"

func call(parent context.Context, do func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(parent, 1)
	if err := do(ctx); err != nil {
		return err
	}
	cancel()
	return nil
}
"""


def test_lost_cancel_names_the_leaking_return() -> None:
    (finding,) = scan("lost-cancel", LOST_ON_RETURN)
    assert finding.line == 6
    assert "line 8" in finding.message and "cancel" in finding.message
    assert finding.severity == "error"


NEVER_RETURNS = """package p

import (
	"context"
	"fmt"
	"os"
)

func die(msg string) {
	fmt.Fprintln(os.Stderr, msg)
	os.Exit(1)
}

func mustRun(parent context.Context, do func(context.Context) error) error {
	ctx, cancel := context.WithCancel(parent)
	if err := do(ctx); err != nil {
		die(err.Error())
		return err
	}
	cancel()
	return nil
}
"""


def test_same_package_function_that_never_returns_ends_the_path() -> None:
    assert scan("lost-cancel", NEVER_RETURNS, package=True) == []
    # Without the package summary the call to die() looks like it can return.
    (finding,) = scan("lost-cancel", NEVER_RETURNS, package=False)
    assert "return at line 18" in finding.message


DEFER_IN_LOOP = """package p

import "os"

func readAll(paths []string) error {
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_ = f
	}
	return nil
}
"""


def test_defer_in_loop_is_info_in_tests_and_warning_elsewhere() -> None:
    (in_code,) = scan("defer-in-loop", DEFER_IN_LOOP, path="files.go")
    (in_test,) = scan("defer-in-loop", DEFER_IN_LOOP, path="files_test.go")
    assert in_code.severity == "warning" and in_code.line == 11
    assert in_test.severity == "info" and in_test.line == 11


DEFAULT_CLIENT = """package p

import "net/http"

func get(u string) (int, error) {
	resp, err := http.Get(u)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return resp.StatusCode, nil
}
"""


def test_default_client_calls_are_info_and_clients_warnings() -> None:
    (call,) = scan("http-client-no-timeout", DEFAULT_CLIENT)
    assert call.severity == "info" and call.line == 6
    literal = 'package p\n\nimport "net/http"\n\nvar c = &http.Client{}\n'
    (client,) = scan("http-client-no-timeout", literal)
    assert client.severity == "warning" and client.line == 5


UNLOCK_IN_LOOP = """package p

import "sync"

func drain(mu *sync.Mutex, items []int, skip func(int) bool) {
	for _, it := range items {
		mu.Lock()
		if skip(it) {
			continue
		}
		mu.Unlock()
	}
}
"""


def test_missing_unlock_reports_the_continue_that_keeps_the_lock() -> None:
    (finding,) = scan("missing-unlock", UNLOCK_IN_LOOP)
    assert finding.line == 7
    assert "continue on line 9" in finding.message


BROKEN = b"package p\n\nfunc f() {\n\tmu.Lock(\n\tif x { return }\n\tdefer \n"


@pytest.mark.parametrize("rule_id", RESOURCE_RULES)
def test_rules_survive_broken_syntax(rule_id: str) -> None:
    tree = parse(BROKEN)
    ctx = FileContext("broken.go", BROKEN, tree, (1, 22), False)
    list(rule(rule_id).check(ctx))  # must not raise


LOCK_WORD_IN_A_STRING = """package p

import "log"

func f(x bool) {
	log.Print("mu.Lock()")
	if x {
		return
	}
	log.Unlock()
}
"""


def test_missing_unlock_ignores_lock_calls_spelled_inside_other_calls() -> None:
    # The word is found by a byte search; only a real x.Lock() call is a lock.
    assert scan("missing-unlock", LOCK_WORD_IN_A_STRING) == []
    broken = "package p\n\nfunc f() {\n\tfoo(.Lock())\n\tUnlock()\n}\n"
    assert scan("missing-unlock", broken) == []  # used to raise ValueError on the unpack
