"""The pieces of `goleash test` that need no Go build: rewriting a package's TestMain line for
line, the tRunner hook on the real toolchain's testing package, go test flags, -run patterns,
and the events `go test -json` prints."""

from __future__ import annotations

import subprocess
from pathlib import Path

from goleash.sources.gotest.events import EventLog
from goleash.sources.gotest.overlay import check_file, patch_trunner, route_exit, wrap_testmain
from goleash.sources.gotest.runner import GoFlags, run_pattern
from goleash.toolchain import find_go

MAIN_WITH_EXIT = """\
package store

import (
	"flag"
	stdos "os"
	"testing"
)

func TestMain(m *testing.M) {
	flag.Parse()
	setup()
	code := m.Run()
	teardown()
	stdos.Exit(code)
}

func fatal() { stdos.Exit(3) }
"""

MAIN_RETURNING = """\
package store_test

import "testing"

func TestMain(m *testing.M) {
	m.Run()
}
"""


def test_testmain_is_renamed_and_exit_routed_line_for_line() -> None:
    out = wrap_testmain(MAIN_WITH_EXIT.encode())
    assert out is not None
    text = out.decode()
    before, after = MAIN_WITH_EXIT.splitlines(), text.splitlines()
    # Every original line keeps its number (go's positions in stacks stay true).
    for i, line in enumerate(before):
        if "TestMain" in line or "stdos.Exit" in line:
            continue
        assert after[i] == line
    assert after[8] == "func goleashUserTestMain(m *testing.M) {"
    assert after[13] == "\tgoleashExit(code)"
    assert after[16] == "func fatal() { goleashExit(3) }"
    # The aliased import stays used.
    assert after[-1] == "var _ = stdos.Exit"
    assert "func TestMain" not in text


def test_testmain_that_returns_and_files_without_one() -> None:
    out = wrap_testmain(MAIN_RETURNING.encode())
    assert out is not None
    assert b"func goleashUserTestMain(m *testing.M) {" in out
    assert b"goleashExit" not in out  # no os import, nothing to route
    assert wrap_testmain(b"package x\n\nfunc TestMainly(t *testing.T) {}\n") is None


def test_exit_in_a_helper_file_is_routed_too() -> None:
    helper = b'package store\n\nimport "os"\n\nfunc exit(code int) { os.Exit(code) }\n'
    routed = route_exit(helper)
    assert routed is not None
    assert routed.splitlines()[4] == b"func exit(code int) { goleashExit(code) }"
    assert route_exit(b'package store\n\nimport "os"\n\nvar dir = os.TempDir()\n') is None


def test_check_file_takes_the_package_clause_and_the_users_main() -> None:
    own = check_file("store_test", "abc123", wraps_user_main=True).decode()
    assert own.count("package store_test\n") == 1
    assert "var goleashUserMain = goleashUserTestMain" in own
    assert 'const goleashKey = "abc123"' in own
    plain = check_file("store", "abc123", wraps_user_main=False).decode()
    assert "goleashUserTestMain" not in plain


def test_trunner_hook_on_the_toolchains_testing_package() -> None:
    goroot = subprocess.run(
        [str(find_go()), "env", "GOROOT"], capture_output=True, text=True, check=True
    ).stdout.strip()
    source = (Path(goroot) / "src/testing/testing.go").read_bytes()
    patched = patch_trunner(source)
    assert patched is not None
    assert patched.count(b"\n") == source.count(b"\n")
    assert b"func tRunner(t *T, fn func(t *T)) { goleashEnter(t);\n" in patched
    assert patch_trunner(b"package testing\n") is None


def test_go_flags_are_sorted_out() -> None:
    f = GoFlags.parse(["-race", "-tags", "integration", "-run", "TestX", "-json", "-v"])
    assert f.test == ("-race", "-tags", "integration", "-run", "TestX", "-v")
    assert f.listing == ("-race", "-tags", "integration")
    assert f.has_run and not f.has_count
    assert f.without_run() == ("-race", "-tags", "integration", "-v")
    g = GoFlags.parse(["-count=3", "-overlay=/tmp/mine.json", "-run=^TestY$"])
    assert g.overlay == Path("/tmp/mine.json") and g.has_count
    assert g.test == ("-count=3", "-run=^TestY$")
    assert g.without_run() == ()


def test_flags_for_a_test_binary_run_directly() -> None:
    go_flags = ["-race", "-tags", "x", "-run", "T", "-short", "-timeout", "30s", "-count=2"]
    flags = GoFlags.parse([*go_flags, "-cpu", "1,2", "-coverprofile", "c.out", "-v", "-update"])
    build, binary = flags.for_binary()
    assert build == ("-race", "-tags", "x")
    # Go's own flags prefixed (profiles and -v left to the main run); the tests' own as given.
    assert binary == ("-test.short", "-test.timeout", "30s", "-test.cpu", "1,2", "-update")


def test_run_patterns_select_one_test_or_subtest() -> None:
    assert run_pattern("TestWatch") == "^TestWatch$"
    assert run_pattern("TestWatch/never_stopped") == "^TestWatch$/^never_stopped$"
    assert run_pattern("TestA/x+y_(1)") == r"^TestA$/^x\+y_\(1\)$"


def test_events_of_a_failing_package() -> None:
    # The lines `go test -json` printed for tests/go/testmods/leaky/failing (Go 1.27).
    lines = [
        '{"Action":"start","Package":"example.com/leaky/failing"}',
        '{"Action":"run","Package":"example.com/leaky/failing","Test":"TestA"}',
        '{"Action":"output","Package":"example.com/leaky/failing","Test":"TestA",'
        '"Output":"    failing_test.go:9: this test fails on purpose\\n"}',
        '{"Action":"fail","Package":"example.com/leaky/failing","Test":"TestA","Elapsed":0.01}',
        '{"Action":"run","Package":"example.com/leaky/failing","Test":"TestA/sub"}',
        '{"Action":"pass","Package":"example.com/leaky/failing","Test":"TestA/sub"}',
        '{"Action":"run","Package":"example.com/leaky/failing","Test":"TestB"}',
        '{"Action":"pass","Package":"example.com/leaky/failing","Test":"TestB"}',
        '{"Action":"fail","Package":"example.com/leaky/failing","Elapsed":0.2}',
        '{"ImportPath":"example.com/broken/bad [example.com/broken/bad.test]",'
        '"Action":"build-output","Output":"bad/bad.go:5:25: undefined: one\\n"}',
        '{"ImportPath":"example.com/broken/bad [example.com/broken/bad.test]",'
        '"Action":"build-fail"}',
        "# a line that is not an event",
    ]
    log = EventLog()
    for line in lines:
        log.feed(line)
    pkg = log.packages["example.com/leaky/failing"]
    assert pkg.action == "fail" and pkg.failed_tests == ["TestA"]
    assert pkg.top_level_tests == ["TestA", "TestB"]
    assert pkg.subtests_of("TestA") == ["TestA/sub"]
    assert "fails on purpose" in "".join(pkg.tests["TestA"].output)
    bad = log.packages["example.com/broken/bad"]
    assert bad.build_failed and bad.build_output == ["bad/bad.go:5:25: undefined: one\n"]
    assert log.stray == ["# a line that is not an event"]
