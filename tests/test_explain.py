"""explain: a real dump joined with the real source names the leak pattern and its fix.

Every scenario of tests/go/leaks is run, a ``debug=2`` dump is captured from its pprof
endpoint, parsed, assessed and explained against the scenario's source. The scenarios whose
pattern a ``goleash scan`` rule covers must get that rule on their leak group; the loops with no
way out and the net/http leaks get an explanation from reading the source; every other group
(the clean programs, the ignored runtime and server goroutines) must get nothing: a wrong
explanation is worse than none.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from capture import LEAKS_DIR
from goleash.analysis.explain import Explanation, explain
from goleash.analysis.ignore import load_ignore_packs
from goleash.analysis.suspects import Assessment, assess
from goleash.dumps import read_snapshots
from goleash.model import Frame, Group
from gotools import go_env, have_go

BLOCKS = "// LEAK: blocks here"

# Which rule names each scenario's leak, as `goleash scan tests/go/leaks` reports them: the
# finding sits on the blocking line, or above it in the same function: the `for {` of the loop
# the goroutine blocks in (select-no-exit), the `go` statement of a worker that can skip Done.
COVERED: dict[str, tuple[str, str]] = {
    "send-after-timeout": ("send_after_timeout.go", "abandoned-send"),
    "first-answer-wins": ("first_answer_wins.go", "abandoned-send"),
    "receive-no-sender": ("receive_no_sender.go", "abandoned-receive"),
    "range-unclosed": ("range_unclosed.go", "range-never-closed"),
    "select-no-exit": ("select_no_exit.go", "blocking-loop-no-exit"),
    "mutex-error-path": ("mutex_error_path.go", "missing-unlock"),
    # The finding is on the worker that returns without Done; the waiter blocks in wg.Wait.
    "waitgroup-missing-done": ("waitgroup_missing_done.go", "waitgroup-missing-done"),
}
# Leaks explained without a rule on their blocking line: a loop with no way out read from the
# source, net/http goroutines traced back to the user's code (file, words the text must hold,
# and the rule when one is named).
READ: dict[str, tuple[str, str, str]] = {
    # The rule stays quiet here (the goroutine is started from a closure made in init()), so the
    # explanation comes from reading the loop.
    "ticker-loop": ("ticker_loop.go", "ticker `t`", ""),
    "sleep-loop": ("sleep_loop.go", "no return, break or stop signal", ""),
    "http-no-timeout": ("http_no_timeout.go", "for an HTTP response", "http-client-no-timeout"),
    # The handler returns on a bad format before it broadcasts.
    "cond-never-signalled": ("cond_never_signalled.go", "before it signals `j.cond`", ""),
}
CLEAN = ("worker-pool", "first-answer-buffered", "cancel-workers")
ALL = (*COVERED, *READ, "http-body-unclosed", *CLEAN)


def marker_line(file: str) -> int:
    lines = [
        i
        for i, text in enumerate((LEAKS_DIR / file).read_text().splitlines(), start=1)
        if text.rstrip().endswith(BLOCKS)
    ]
    assert len(lines) == 1
    return lines[0]


def assessed(data: bytes) -> list[Assessment]:
    snapshots = read_snapshots(io.BytesIO(data), source="pprof-debug2")
    assert len(snapshots) == 1
    return assess(snapshots[0], load_ignore_packs(None))


def describe(assessments: list[Assessment], found: dict[str, Explanation]) -> str:
    lines = []
    for a in assessments:
        site = a.group.blocking_site
        where = f"{Path(site.file).name}:{site.line}" if site else "?"
        got = found.get(a.group.signature)
        lines.append(
            f"  {a.group.count:>3} {a.kind:<14} s={a.suspicion:.2f} {where} "
            f"ignored={a.ignored} -> {got.rule if got else None}"
        )
    return "\n".join(lines)


@pytest.fixture(scope="module")
def dumps() -> dict[str, bytes]:
    """A goroutine?debug=2 capture of every scenario, as a user would curl it."""
    if not have_go():
        pytest.skip("needs the Go toolchain of the test extra")
    import capture

    result = {}
    for name in ALL:
        with capture.scenario(name, n=4) as run:
            result[name] = capture.pprof(run, 2).data
    return result


@pytest.mark.slow
@pytest.mark.parametrize("name", list(COVERED))
def test_covered_leak_gets_its_rule(dumps: dict[str, bytes], name: str) -> None:
    file, rule = COVERED[name]
    assessments = assessed(dumps[name])
    found = explain(assessments, source_roots=[LEAKS_DIR])
    line = marker_line(file)
    leak = [
        a
        for a in assessments
        if a.group.blocking_site is not None
        and Path(a.group.blocking_site.file) == LEAKS_DIR / file
        and a.group.blocking_site.line == line
    ]
    assert leak, describe(assessments, found)
    for a in leak:
        assert a.suspect
        got = found.get(a.group.signature)
        assert got is not None, describe(assessments, found)
        assert got.rule == rule
        assert got.site == "blocking"
        assert Path(got.file) == LEAKS_DIR / file
        assert got.line <= line  # on the blocking line, or the loop it blocks in
        assert got.title and got.message and got.fix.endswith(".")
    # Nothing else in the dump is explained.
    strays = set(found) - {a.group.signature for a in leak}
    assert not strays, describe(assessments, found)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(READ))
def test_leak_explained_from_the_source(dumps: dict[str, bytes], name: str) -> None:
    file, words, rule = READ[name]
    assessments = assessed(dumps[name])
    found = explain(assessments, source_roots=[LEAKS_DIR])
    line = marker_line(file)
    (leak,) = [
        a
        for a in assessments
        if any(f.file == str(LEAKS_DIR / file) and f.line == line for f in a.group.frames)
    ]
    got = found.get(leak.group.signature)
    assert got is not None, describe(assessments, found)
    assert words in got.text and got.fix.endswith(".")
    assert got.rule == rule
    assert set(found) == {leak.group.signature}, describe(assessments, found)


@pytest.mark.slow
def test_unclosed_body_explains_the_connection_goroutines(dumps: dict[str, bytes]) -> None:
    assessments = assessed(dumps["http-body-unclosed"])
    found = explain(assessments, source_roots=[LEAKS_DIR])
    text = (LEAKS_DIR / "http_body_unclosed.go").read_text().splitlines()
    call = next(i for i, t in enumerate(text, 1) if "client.Get(" in t)
    conns = [a for a in assessments if any("persistConn" in f.function for f in a.group.frames)]
    assert conns
    for a in conns:
        got = found[a.group.signature]
        assert [(Path(c.file).name, c.line) for c in got.causes] == [
            ("http_body_unclosed.go", call)
        ]
        assert "resp.Body.Close()" in got.fix
    assert set(found) == {a.group.signature for a in conns}, describe(assessments, found)


@pytest.mark.slow
@pytest.mark.parametrize("name", CLEAN)
def test_nothing_else_is_explained(dumps: dict[str, bytes], name: str) -> None:
    assessments = assessed(dumps[name])
    found = explain(assessments, source_roots=[LEAKS_DIR])
    assert found == {}, describe(assessments, found)


@pytest.mark.slow
def test_ignored_groups_never_explained(dumps: dict[str, bytes]) -> None:
    """Except net/http's client connections, which the source can trace to a cause."""
    for name in ALL:
        assessments = assessed(dumps[name])
        found = explain(assessments, source_roots=[LEAKS_DIR])
        ignored = {
            a.group.signature
            for a in assessments
            if a.ignored is not None
            and not any("persistConn" in f.function for f in a.group.frames)
        }
        assert ignored, f"{name}: the dump should hold runtime/net-http goroutines"
        assert not ignored & set(found)


def _moved(data: bytes) -> bytes:
    # The dump as another machine would print it: the program built from a checkout in
    # /build/src/leaks instead of this one. Only the scenario's own paths move; the standard
    # library's stay as printed.
    return data.replace(str(LEAKS_DIR).encode(), b"/build/src/leaks")


@pytest.mark.slow
def test_paths_of_another_machine_resolve_through_source_roots(dumps: dict[str, bytes]) -> None:
    moved = _moved(dumps["send-after-timeout"])
    assert b"/build/src/leaks/send_after_timeout.go" in moved
    assessments = assessed(moved)
    assert explain(assessments) == {}  # /build/src does not exist here
    found = explain(assessments, source_roots=[LEAKS_DIR])
    rules = {e.rule for e in found.values()}
    assert rules == {"abandoned-send"}, describe(assessments, found)
    (got,) = found.values()
    assert Path(got.file) == LEAKS_DIR / "send_after_timeout.go"
    assert got.line == marker_line("send_after_timeout.go")


@pytest.mark.slow
def test_resolve_callback_replaces_the_roots(dumps: dict[str, bytes]) -> None:
    assessments = assessed(_moved(dumps["mutex-error-path"]))
    asked: list[str] = []

    def resolve(file: str) -> Path | None:
        asked.append(file)
        prefix = "/build/src/leaks/"
        return LEAKS_DIR / file.removeprefix(prefix) if file.startswith(prefix) else None

    found = explain(assessments, resolve=resolve)
    assert {e.rule for e in found.values()} == {"missing-unlock"}
    assert "/build/src/leaks/mutex_error_path.go" in asked


@pytest.mark.slow
def test_missing_source_root_gives_nothing(dumps: dict[str, bytes], tmp_path: Path) -> None:
    assessments = assessed(_moved(dumps["range-unclosed"]))
    assert explain(assessments, source_roots=[tmp_path / "no-such-dir"]) == {}
    assert explain(assessments, source_roots=[tmp_path]) == {}


@pytest.mark.slow
def test_demo_leak_is_an_abandoned_send(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo service's planted leak, captured the way `goleash demo` does."""
    if not have_go():
        pytest.skip("needs the Go toolchain of the test extra")
    from goleash.demo.runner import run_demo

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("GOCACHE", os.environ.get("GOCACHE") or go_env()["GOCACHE"])
    demo = run_demo(requests=6)
    assert len(demo.snapshots) == 1
    assessments = assess(demo.snapshots[0], load_ignore_packs(None))
    found = explain(assessments, source_roots=[demo.source_dir])
    leak = [
        a
        for a in assessments
        if a.group.blocking_site is not None and a.group.blocking_site.line == demo.leak_line
    ]
    assert leak and all(a.suspect for a in leak), describe(assessments, found)
    for a in leak:
        got = found[a.group.signature]
        assert got.rule == "abandoned-send"
        assert (Path(got.file), got.line) == (demo.leak_file.resolve(), demo.leak_line)
    assert set(found) == {a.group.signature for a in leak}, describe(assessments, found)


# Precision on hand-made groups: no Go toolchain needed, only the parser.

_SOURCE = """package svc

import "sync"

type cache struct {
	mu    sync.Mutex
	other sync.Mutex
	items map[string]string
}

func (c *cache) refresh(fail bool) {
	c.mu.Lock()
	if fail {
		return
	}
	c.mu.Unlock()
	c.mu.Lock()
	c.other.Lock()
	c.mu.Unlock()
	c.other.Unlock()
}

func (c *cache) get(k string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.items[k]
}
"""


def _group(function: str, file: Path, line: int, state: str) -> Assessment:
    from goleash.analysis.waits import classify

    frames = (
        Frame("sync.(*Mutex).Lock", "/usr/lib/go/src/sync/mutex.go", 46),
        Frame(function, str(file), line),
    )
    group = Group(
        signature=f"{function}:{line}",
        state=state,
        frames=frames,
        created_by=None,
        count=3,
    )
    wait = classify(group)
    return Assessment(group, wait.state, wait.kind, 0.8, ())


def test_same_lock_above_in_the_same_function(tmp_path: Path) -> None:
    go = tmp_path / "svc" / "cache.go"
    go.parent.mkdir()
    go.write_text(_SOURCE)
    (tmp_path / "svc" / "go.mod").write_text("module example.com/svc\n\ngo 1.22\n")
    lines = _SOURCE.splitlines()
    first = lines.index("\tc.mu.Lock()") + 1
    second = lines.index("\tc.mu.Lock()", first) + 1
    other = lines.index("\tc.other.Lock()") + 1
    in_get = lines.index("\tc.mu.Lock()", second) + 1
    fn = "example.com/svc.(*cache).refresh"
    at_first = _group(fn, go, first, "sync.Mutex.Lock")
    at_second = _group(fn, go, second, "sync.Mutex.Lock")
    at_other = _group(fn, go, other, "sync.Mutex.Lock")
    in_other_function = _group("example.com/svc.(*cache).get", go, in_get, "sync.Mutex.Lock")
    stale = _group("example.com/svc.(*cache).renamed", go, first, "sync.Mutex.Lock")
    found = explain([at_first, at_second, at_other, in_other_function, stale])
    assert found[at_first.group.signature].line == first
    assert found[at_second.group.signature].line == first  # same mutex, above, same function
    assert found[at_first.group.signature].rule == "missing-unlock"

    def rule(a: Assessment) -> str:
        got = found.get(a.group.signature)
        return got.rule if got is not None else ""

    assert rule(at_other) == ""  # another mutex
    # Waiting for c.mu in another function: in this dump the goroutines blocked at line 18 hold
    # it (locked at line 17, not unlocked yet), and the explanation names their stack.
    got = found[in_other_function.group.signature]
    assert got.rule == "" and f"locked it at line {second} in (*cache).refresh" in got.text
    assert got.evidence == (f"holder's stack: (*cache).refresh (cache.go:{other})",)
    assert stale.group.signature not in found  # the source no longer matches the dump


def test_unparsable_or_unreadable_source_gives_nothing(tmp_path: Path) -> None:
    go = tmp_path / "broken.go"
    go.write_bytes(b"\xff\xfe\0\0 not go")
    a = _group("main.run", go, 1, "sync.Mutex.Lock")
    missing = _group("main.run", tmp_path / "gone.go", 3, "sync.Mutex.Lock")
    assert explain([a, missing]) == {}


@pytest.mark.slow
def test_dump_command_names_the_pattern_and_fix(dumps: dict[str, bytes], tmp_path: Path) -> None:
    """Through the CLI: `goleash dump FILE --source DIR` puts the rule and its fix on the leak
    group (JSON `pattern`, text `pattern`/`fix` lines); --no-explain leaves them out."""
    import json
    import subprocess
    import sys

    dump = tmp_path / "goroutines.txt"
    dump.write_bytes(dumps["send-after-timeout"])
    command = [sys.executable, "-m", "goleash.cli", "dump", str(dump), "--source", str(LEAKS_DIR)]
    line = marker_line("send_after_timeout.go")

    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*command, *extra], capture_output=True, text=True, timeout=120)

    report = json.loads(run("--format", "json").stdout)
    leak = next(g for g in report["groups"] if g["blocking_site"]["line"] == line)
    assert leak["pattern"]["rule"] == "abandoned-send"
    assert leak["pattern"]["fix"].endswith(".")
    assert all(g["pattern"] is None for g in report["groups"] if g is not leak)

    text = run().stdout
    assert "pattern     abandoned-send: " in text and "\n    fix         " in text

    plain = json.loads(run("--format", "json", "--no-explain").stdout)
    assert all(g["pattern"] is None for g in plain["groups"])
