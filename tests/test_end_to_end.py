"""End to end: real leaky and clean Go programs, dumps captured the way users capture them,
read by ``goleash.dumps.read_snapshots`` and judged by the real ``goleash dump`` command.

For every scenario of tests/go/leaks and every capture method that makes sense, a user must see:
every goroutine the runtime had (no silent drops), the suspect groups being exactly the
scenario's leaks, each located at the marked blocking statement and the marked ``go``
statement, and exit status 1 for a leaky program, 0 for a clean one.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from capture import LEAKS_DIR, Capture, Running
from gotools import have_go

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not have_go(), reason="needs the Go toolchain of the test extra"),
]

N = 6  # requests each scenario makes at start-up
SUSPECT = 0.5  # the documented threshold: suspicion >= 0.5 means suspect
BLOCKS = "// LEAK: blocks here"
STARTS = "// LEAK: started here"


def marker_line(file: str, marker: str) -> int:
    """The line of `marker` in a scenario's Go source (exactly one, by construction)."""
    lines = [
        i
        for i, text in enumerate((LEAKS_DIR / file).read_text().splitlines(), start=1)
        if text.rstrip().endswith(marker)
    ]
    assert len(lines) == 1, f"{file} should mark one line with {marker!r}, found {lines}"
    return lines[0]


@dataclass(frozen=True)
class Leak:
    """One set of leaked goroutines a scenario leaves behind, and how a user recognises it.

    Located either by markers in ``file`` (the first frame in that file is the marked
    statement) or, for goroutines that live inside net/http, by the ``function`` they run.
    """

    per_request: int
    state: str  # the wait reason Go 1.27 prints
    kind: str
    file: str | None = None
    function: str | None = None
    # False where net/http frames sit above the user's call: the blocking site is then the
    # first net/http frame, and the marked line is the first frame in the user's file.
    blocking_site_is_marker: bool = True

    @property
    def count(self) -> int:
        return self.per_request * N


@dataclass(frozen=True)
class Scenario:
    name: str
    route: str  # the handler label the scenario's goroutines carry
    leaks: tuple[Leak, ...] = ()
    # Groups that belong to the leak but look exactly like healthy ones (an idle keep-alive
    # connection's writeLoop, a server's connection reader): they may be suspect or not.
    ambiguous: tuple[str, ...] = ()
    # Does Go's goroutineleak profile (GC-based, sound) see this leak? Only blocks on channels
    # and sync primitives that nothing reachable can touch; not sleep, I/O, shared structs.
    runtime_detects: bool = False


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "send-after-timeout",
        "/quote",
        (Leak(1, "chan send", "chan-send", file="send_after_timeout.go"),),
        runtime_detects=True,
    ),
    Scenario(
        "first-answer-wins",
        "/search",
        (Leak(2, "chan send", "chan-send", file="first_answer_wins.go"),),
        runtime_detects=True,
    ),
    Scenario(
        "receive-no-sender",
        "/upload",
        (Leak(1, "chan receive", "chan-receive", file="receive_no_sender.go"),),
        runtime_detects=True,
    ),
    Scenario(
        "range-unclosed",
        "/import",
        (Leak(1, "chan receive", "chan-receive", file="range_unclosed.go"),),
        runtime_detects=True,
    ),
    Scenario(
        "select-no-exit",
        "/subscribe",
        (Leak(1, "select", "select", file="select_no_exit.go"),),
        runtime_detects=True,
    ),
    Scenario(
        "mutex-error-path",
        "/token",
        (Leak(1, "sync.Mutex.Lock", "mutex", file="mutex_error_path.go"),),
    ),
    Scenario(
        "waitgroup-missing-done",
        "/batch",
        (Leak(1, "sync.WaitGroup.Wait", "waitgroup", file="waitgroup_missing_done.go"),),
        runtime_detects=True,
    ),
    Scenario(
        "cond-never-signalled",
        "/export",
        (Leak(1, "sync.Cond.Wait", "cond", file="cond_never_signalled.go"),),
        runtime_detects=True,
    ),
    Scenario(
        "ticker-loop",
        "/session",
        (Leak(1, "chan receive", "chan-receive", file="ticker_loop.go"),),
    ),
    Scenario("sleep-loop", "/watch", (Leak(1, "sleep", "sleep", file="sleep_loop.go"),)),
    Scenario(
        "http-body-unclosed",
        "/price",
        (Leak(1, "select", "select", function="net/http.(*persistConn).readLoop"),),
        ambiguous=("net/http.(*persistConn).writeLoop", "net/http.(*conn).serve"),
    ),
    Scenario(
        "http-no-timeout",
        "/order",
        (
            Leak(
                1,
                "select",
                "select",
                file="http_no_timeout.go",
                blocking_site_is_marker=False,
            ),
        ),
        ambiguous=("net/http.(*persistConn).readLoop", "net/http.(*persistConn).writeLoop"),
    ),
    Scenario("worker-pool", "/resize"),
    Scenario("first-answer-buffered", "/search"),
    Scenario("cancel-workers", "/crawl"),
)
BY_NAME = {s.name: s for s in SCENARIOS}

# Captured from one running process per scenario.
LIVE = (
    "pprof-debug0",
    "pprof-debug1",
    "pprof-debug2",
    "leak-debug0",
    "leak-debug1",
    "leak-debug2",
    "runtime-stack",
)
# Each needs a process of its own: the capture ends it.
DYING = ("sigquit-all", "sigquit-system", "panic")
TRACEBACK = ("pprof-debug2", "leak-debug2", "runtime-stack", *DYING)
LEAK_PROFILE_ONLY = ("leak-debug0", "leak-debug1")

_HEADER = re.compile(rb"^goroutine (\d+) ", re.MULTILINE)


class Captures:
    """Every capture of every scenario, taken on first use and kept for the module."""

    def __init__(self, tmp: Path) -> None:
        self._tmp = tmp
        self._cache: dict[tuple[str, str], Capture] = {}

    def get(self, name: str, method: str) -> Capture:
        if (name, method) not in self._cache:
            if method in LIVE:
                self._capture_live(name)
            else:
                self._cache[name, method] = _capture_dying(name, method)
        return self._cache[name, method]

    def _capture_live(self, name: str) -> None:
        import capture

        stack_file = self._tmp / f"{name}.stacks"
        with capture.scenario(name, n=N, stack_file=stack_file) as run:
            for debug in (0, 1, 2):
                self._cache[name, f"pprof-debug{debug}"] = capture.pprof(run, debug)
            for debug in (0, 1, 2):
                self._cache[name, f"leak-debug{debug}"] = capture.goroutineleak(run, debug)
            self._cache[name, "runtime-stack"] = capture.runtime_stack(run, stack_file)
            _still_running(run)


def _capture_dying(name: str, method: str) -> Capture:
    import capture

    if method == "sigquit-all":
        return capture.sigquit(name, gotraceback="all", n=N)
    if method == "sigquit-system":
        return capture.sigquit(name, gotraceback="system", n=N)
    if method == "panic":
        return capture.panic(name, n=N)
    raise AssertionError(method)


def _still_running(run: Running) -> None:
    assert run.proc.poll() is None, run.stderr().decode(errors="replace")


@pytest.fixture(scope="module")
def captures(tmp_path_factory: pytest.TempPathFactory) -> Captures:
    return Captures(tmp_path_factory.mktemp("captures"))


def read(cap: Capture) -> Any:
    """Parse with the library entry point; exactly one snapshot per capture."""
    from goleash.dumps import read_snapshots

    snapshots = read_snapshots(io.BytesIO(cap.data), source=cap.method)
    assert len(snapshots) == 1, [s.total for s in snapshots]
    return snapshots[0]


def goleash_dump(cap: Capture) -> tuple[int, dict[str, Any], str]:
    """Run `goleash dump FILE --format json --all` as a user would; return status, JSON, stderr.

    ``--all`` lists the groups the ignore packs cover too (marked ``ignored``), so a leak that
    an ignore pack hid is reported as such instead of as missing.
    """
    exe = Path(sys.executable).with_name("goleash")
    with tempfile.NamedTemporaryFile(suffix=f".{cap.method}") as f:
        f.write(cap.data)
        f.flush()
        proc = subprocess.run(
            [str(exe), "dump", f.name, "--format", "json", "--all"],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert proc.returncode in (0, 1), f"exit {proc.returncode}: {proc.stderr}"
    assert "Traceback" not in proc.stderr
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def is_suspect(group: dict[str, Any]) -> bool:
    """The documented rule: suspicion >= 0.5 and not covered by an ignore pack."""
    return bool(group["suspicion"] >= SUSPECT and group["ignored"] is None)


def first_frame_in(group: dict[str, Any], file: str) -> dict[str, Any] | None:
    for frame in group["frames"]:
        if Path(frame["file"]).name == file and Path(frame["file"]).parent == LEAKS_DIR:
            return dict(frame)
    return None


def belongs_to(group: dict[str, Any], leak: Leak) -> bool:
    if leak.file is not None:
        frame = first_frame_in(group, leak.file)
        return frame is not None and frame["line"] == marker_line(leak.file, BLOCKS)
    return any(f["function"] == leak.function for f in group["frames"])


def is_ambiguous(group: dict[str, Any], sc: Scenario) -> bool:
    return any(f["function"] in sc.ambiguous for f in group["frames"])


def describe(groups: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"  {g['count']:>3} {g['state']:<20} s={g['suspicion']:.2f} "
        f"{g['blocking_site']['function']} {Path(g['blocking_site']['file']).name}:"
        f"{g['blocking_site']['line']} ignored={g['ignored']} {g['reasons']}"
        for g in groups
    )


def check_total(cap: Capture, snapshot: Any) -> None:
    """The parser read every goroutine the runtime had when the dump was taken.

    For SIGQUIT, panic and go test the runtime's count is the one the program printed just
    before; a signal traceback also prints runtime goroutines and `goroutine 0` records, which
    NumGoroutine leaves out and so must the total.
    """
    assert snapshot.unparsed == 0, snapshot.warnings
    assert cap.goroutines is not None
    assert snapshot.total == cap.goroutines
    if snapshot.reported_total is not None:
        assert snapshot.reported_total == cap.goroutines
    if cap.method.startswith("sigquit"):
        headers = len(_HEADER.findall(cap.data))
        assert headers > cap.goroutines, "a signal dump lists runtime goroutines too"


def check_leak_groups(
    sc: Scenario, cap: Capture, groups: list[dict[str, Any]], *, leaked_profile: bool
) -> None:
    """Each leak of the scenario is found, complete, suspect, and located where it is."""
    traceback = cap.method in TRACEBACK
    for leak in sc.leaks:
        mine = [g for g in groups if belongs_to(g, leak)]
        assert sum(g["count"] for g in mine) == leak.count, (
            f"{leak} not found in full:\n{describe(groups)}"
        )
        for g in mine:
            assert is_suspect(g), f"leak not suspect:\n{describe([g])}"
            assert g["labels"] == {"handler": sc.route}
            if traceback or cap.method.endswith("debug0"):
                # debug=1 hides the runtime frames that say how a goroutine waits.
                assert g["kind"] == leak.kind, describe([g])
            if traceback:
                assert g["state"] == leak.state
            if leak.file is not None:
                line = marker_line(leak.file, BLOCKS)
                site = (
                    g["blocking_site"]
                    if leak.blocking_site_is_marker
                    else first_frame_in(g, leak.file)
                )
                assert site is not None
                assert (Path(site["file"]).name, site["line"]) == (leak.file, line)
                if not leak.blocking_site_is_marker:
                    assert g["blocking_site"]["function"].startswith("net/http.")
            if traceback:
                creation = g["creation_site"]
                assert creation is not None
                if leak.file is not None:
                    start = marker_line(leak.file, STARTS)
                    assert (Path(creation["file"]).name, creation["line"]) == (leak.file, start)
                else:
                    assert creation["function"] == "net/http.(*Transport).dialConn"
            if cap.method == "leak-debug2" and sc.runtime_detects:
                assert g["leaked"] == g["count"]
            if leaked_profile:
                assert g["count"] > 0


@pytest.mark.parametrize("method", LIVE + DYING)
@pytest.mark.parametrize("name", [s.name for s in SCENARIOS])
def test_dump_of_scenario(captures: Captures, name: str, method: str) -> None:
    sc = BY_NAME[name]
    cap = captures.get(name, method)

    if method in LEAK_PROFILE_ONLY:
        _check_leak_profile(sc, cap)
        return

    snapshot = read(cap)
    check_total(cap, snapshot)

    status, report, _ = goleash_dump(cap)
    assert report["schema"] == "goleash.dump/1"
    assert report["total"] == snapshot.total
    assert report["unparsed"] == 0
    groups = report["groups"]
    suspicions = [g["suspicion"] for g in groups]
    assert suspicions == sorted(suspicions, reverse=True), "groups must come most suspect first"
    suspects = [g for g in groups if is_suspect(g)]

    check_leak_groups(sc, cap, groups, leaked_profile=False)
    unexpected = [
        g
        for g in suspects
        if not any(belongs_to(g, leak) for leak in sc.leaks) and not is_ambiguous(g, sc)
    ]
    assert not unexpected, f"suspect groups that are not leaks:\n{describe(unexpected)}"
    assert status == (1 if sc.leaks else 0), f"exit status {status}; groups:\n{describe(groups)}"


def _check_leak_profile(sc: Scenario, cap: Capture) -> None:
    """goroutineleak debug=0/1 lists only what the runtime proved leaked."""
    snapshot = read(cap)
    assert snapshot.profile == "goroutineleak"
    assert snapshot.unparsed == 0, snapshot.warnings
    if cap.goroutines is not None:  # debug=1 prints the runtime's total
        assert snapshot.total == cap.goroutines
    expected = sum(leak.count for leak in sc.leaks) if sc.runtime_detects else 0
    assert snapshot.total == expected

    status, report, _ = goleash_dump(cap)
    groups = report["groups"]
    assert report["total"] == expected
    if expected:
        check_leak_groups(sc, cap, groups, leaked_profile=True)
        strays = [g for g in groups if not any(belongs_to(g, leak) for leak in sc.leaks)]
        assert not strays, describe(strays)
        assert status == 1
    else:
        assert groups == [] and status == 0


def test_go_test_timeout_dump() -> None:
    """`go test -timeout 3s` on a hung test: every goroutine read, the leaks suspect, the hung
    test itself located at its blocking line."""
    import capture

    cap = capture.go_test_timeout()
    snapshot = read(cap)
    check_total(cap, snapshot)
    status, report, _ = goleash_dump(cap)
    assert status == 1
    groups = report["groups"]
    suspects = [g for g in groups if is_suspect(g)]

    quote = next(g for g in groups if belongs_to(g, BY_NAME["send-after-timeout"].leaks[0]))
    assert quote["count"] == 3 and is_suspect(quote), describe(groups)
    batch_line = marker_line("waitgroup_missing_done.go", BLOCKS)
    batch = [
        g
        for g in groups
        if (first_frame_in(g, "waitgroup_missing_done.go") or {}).get("line") == batch_line
    ]
    assert sum(g["count"] for g in batch) == 1
    assert all(is_suspect(g) for g in batch), describe(batch)
    hung_line = marker_line("leaks_test.go", "// LEAK: test blocks here")
    hung = [
        g for g in groups if (first_frame_in(g, "leaks_test.go") or {}).get("line") == hung_line
    ]
    assert sum(g["count"] for g in hung) == 1, describe(groups)
    # Nothing else is suspect: not the testing framework (alarm, runner), not the batch call
    # that waits with a deadline. The hung test itself may be flagged or not: one goroutine
    # whose parent, the test runner, is alive looks like any long wait.
    others = [g for g in suspects if g not in batch and g is not quote and g not in hung]
    assert not others, describe(others)
