"""Explanations of a real service's leaks, one of each kind, from its dump and its source.

tests/go/explainsvc is an order service with an abandoned send, a lock kept by an error path, a
lock held by a goroutine that is itself blocked, a response body never closed, a transport made
per call, a ticker loop, a sleep loop, a range over a channel nobody closes, a WaitGroup missing
a Done and a receive nobody sends to. Each explanation must name the Go object the goroutines
wait on and the fix, and lead to the line that causes the leak (``// CAUSE: kind``).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from goleash.analysis.explain import Explanation, explain
from goleash.analysis.ignore import load_ignore_packs
from goleash.analysis.suspects import Assessment, assess
from goleash.dumps import read_snapshots
from goleash.model import Snapshot
from gotools import have_go
from svcdump import SVC_DIR, capture, marker

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def dump() -> bytes:
    if not have_go():
        pytest.skip("needs the Go toolchain of the test extra")
    return capture()


def analysed(data: bytes) -> tuple[Snapshot, list[Assessment]]:
    (snap,) = read_snapshots(io.BytesIO(data), source="explainsvc")
    return snap, assess(snap, load_ignore_packs(None))


@pytest.fixture(scope="module")
def explained(dump: bytes) -> tuple[list[Assessment], dict[str, Explanation]]:
    snap, assessments = analysed(dump)
    return assessments, explain(assessments, source_roots=[SVC_DIR], groups=snap.groups)


def at(assessments: list[Assessment], path: Path, line: int) -> Assessment:
    """The one group blocked at path:line."""
    found = [
        a
        for a in assessments
        if a.group.blocking_site is not None
        and a.group.blocking_site.file_name == path.name
        and a.group.blocking_site.line == line
    ]
    assert len(found) == 1, [(a.group.blocking_site, a.kind) for a in assessments]
    return found[0]


def cause_lines(e: Explanation) -> set[tuple[str, int]]:
    return {(Path(c.file).name, c.line) for c in e.causes}


# kind marker → (the object named in the text, a word the fix must contain)
CHANNEL_KINDS = {
    "chan-send": ("channel `quotes`", "Buffer"),
    "range": ("channel `lines`", "Close"),
    "receive": ("channel `outcomes`", "Signal"),
    "waitgroup": ("WaitGroup `wg`", "Done"),
    "ticker": ("ticker `t`", "stop"),
}


@pytest.mark.parametrize("kind", list(CHANNEL_KINDS))
def test_channel_and_loop_leaks_name_their_object_and_fix(
    explained: tuple[list[Assessment], dict[str, Explanation]], kind: str
) -> None:
    assessments, found = explained
    path, line = marker(kind)
    a = at(assessments, path, line)
    assert a.suspect
    e = found[a.group.signature]
    obj, fix_word = CHANNEL_KINDS[kind]
    assert obj in e.text and obj in e.objects
    assert fix_word.lower() in e.fix.lower()
    assert f"{path.name}:{line}" in e.text
    # The creator is named, and that it returned.
    assert "which has returned" in e.text


@pytest.mark.parametrize("kind", ["waitgroup", "receive"])
def test_explanation_leads_to_the_return_that_leaves_them(
    explained: tuple[list[Assessment], dict[str, Explanation]], kind: str
) -> None:
    assessments, found = explained
    e = found[at(assessments, *marker(kind)).group.signature]
    cause = marker(kind, "CAUSE")
    assert (cause[0].name, cause[1]) in cause_lines(e), e.causes


def test_sleep_loop_names_its_endless_for(
    explained: tuple[list[Assessment], dict[str, Explanation]],
) -> None:
    assessments, found = explained
    path, line = marker("sleep")
    e = found[at(assessments, path, line).group.signature]
    loop_line = line - 1  # `for {` right above the sleep
    assert path.read_text().splitlines()[loop_line - 1].strip() == "for {"
    assert (path.name, loop_line) in cause_lines(e)
    assert "no return, break or stop signal" in e.text
    assert "ctx.Done()" in e.fix
    assert e.rule == ""  # no static rule covers it: the source reading does


def test_lock_waiter_leads_to_the_return_path_that_kept_the_lock(
    explained: tuple[list[Assessment], dict[str, Explanation]],
) -> None:
    assessments, found = explained
    a = at(assessments, *marker("mutex"))
    e = found[a.group.signature]
    assert "mutex `inv.mu`" in e.objects
    ret = marker("mutex", "CAUSE")
    assert (ret[0].name, ret[1]) in cause_lines(e)
    assert f"returned at line {ret[1]} without unlocking" in e.text
    assert "no goroutine in the dump holds `inv.mu`" in e.evidence
    assert "defer" in e.fix


def test_lock_held_by_a_blocked_goroutine_names_the_holder(
    explained: tuple[list[Assessment], dict[str, Explanation]],
) -> None:
    assessments, found = explained
    waiter = at(assessments, *marker("held-mutex"))
    holder_path, holder_line = marker("holder")
    e = found[waiter.group.signature]
    assert "held by 1 goroutine" in e.text and "chan send" in e.text
    assert any(
        f"(*auditLog).write ({holder_path.name}:{holder_line})" in ev for ev in e.evidence
    ), e.evidence
    assert (holder_path.name, holder_line) in cause_lines(e)
    # And the holder itself: nobody receives from the channel it sends on.
    holder = found[at(assessments, holder_path, holder_line).group.signature]
    assert "no goroutine in the dump is receiving from `a.entries`" in holder.evidence


def _conn_groups(assessments: list[Assessment], loop: str) -> list[Assessment]:
    return [a for a in assessments if any(loop in f.function for f in a.group.frames)]


def test_unclosed_body_leads_to_the_call_that_forgot_to_close(
    explained: tuple[list[Assessment], dict[str, Explanation]],
) -> None:
    assessments, found = explained
    body = marker("body", "CAUSE")
    transport = marker("transport", "CAUSE")
    readers = _conn_groups(assessments, "persistConn).readLoop")
    waiting = [a for a in readers if a.group.frames[0].function.endswith("readLoop")]
    assert waiting, "the stock check's connections wait for their bodies"
    for a in waiting:
        e = found[a.group.signature]
        assert cause_lines(e) == {(body[0].name, body[1])}
        assert "response body" in e.text and "resp.Body.Close()" in e.fix
        assert "route=/stock" in " ".join(e.evidence)
    idle = [a for a in readers if a not in waiting]
    assert idle, "the price lookup's transports keep idle connections"
    for a in idle:
        e = found[a.group.signature]
        assert cause_lines(e) == {(transport[0].name, transport[1])}
        assert "reuse" in e.fix
    for a in _conn_groups(assessments, "persistConn).writeLoop"):
        e = found[a.group.signature]
        assert cause_lines(e) == {(body[0].name, body[1]), (transport[0].name, transport[1])}


def test_healthy_groups_get_no_explanation(
    explained: tuple[list[Assessment], dict[str, Explanation]],
) -> None:
    assessments, found = explained
    for a in assessments:
        if a.group.signature not in found:
            continue
        site = a.group.blocking_site
        assert site is not None
        # Only the service's own leak sites and net/http client connections.
        own = Path(site.file).parent == SVC_DIR
        conn = any("persistConn" in f.function for f in a.group.frames)
        assert own or conn, (site, found[a.group.signature].text)
    server_conns = [
        a for a in assessments if any("(*conn).serve" in f.function for f in a.group.frames)
    ]
    assert server_conns and not any(a.group.signature in found for a in server_conns)


def _moved(data: bytes, prefix: bytes) -> bytes:
    return data.replace(str(SVC_DIR).encode() + b"/", prefix)


@pytest.mark.parametrize(
    "prefix",
    [
        b"example.com/ordersvc/",  # go build -trimpath
        b"/home/ci/go/pkg/mod/example.com/ordersvc@v1.4.2/",  # the module cache
        b"/home/ci/go/src/example.com/ordersvc/",  # GOPATH
        b"C:\\build\\ordersvc\\",  # another machine
    ],
)
def test_paths_of_other_builds_map_to_the_local_tree(
    dump: bytes, prefix: bytes, tmp_path: Path
) -> None:
    data = _moved(dump, prefix)
    snap, assessments = analysed(data)
    found = explain(assessments, source_roots=[SVC_DIR], groups=snap.groups)
    a = at(assessments, *marker("mutex"))
    assert prefix.decode() in a.group.blocking_site.file  # type: ignore[union-attr]
    ret = marker("mutex", "CAUSE")
    assert (ret[0].name, ret[1]) in cause_lines(found[a.group.signature])
    # Without the source nothing is claimed.
    assert explain(assessments, source_roots=[tmp_path], groups=snap.groups) == {}


def test_stale_source_is_not_explained(dump: bytes, tmp_path: Path) -> None:
    """A checkout where the functions moved: the dump's lines no longer hold them."""
    copy = tmp_path / "ordersvc"
    copy.mkdir()
    for f in SVC_DIR.iterdir():
        text = f.read_text()
        if f.suffix == ".go":
            text = "// moved\n// down\n// three lines\n" + text
        (copy / f.name).write_text(text)
    data = dump.replace(str(SVC_DIR).encode(), str(copy).encode())
    snap, assessments = analysed(data)
    found = explain(assessments, source_roots=[copy], groups=snap.groups)
    user = {
        sig: e
        for sig, e in found.items()
        if any(
            a.group.signature == sig
            and not any("persistConn" in f.function for f in a.group.frames)
            for a in assessments
        )
    }
    assert user == {}


def test_dump_command_prints_and_exports_explanations(dump: bytes, tmp_path: Path) -> None:
    file = tmp_path / "goroutines.txt"
    file.write_bytes(dump)
    cmd = [sys.executable, "-m", "goleash.cli", "dump", str(file), "--source", str(SVC_DIR)]
    out = subprocess.run([*cmd, "--format", "json"], capture_output=True, text=True, timeout=120)
    report = json.loads(out.stdout)
    path, line = marker("chan-send")
    quote = next(g for g in report["groups"] if g["blocking_site"]["line"] == line)
    assert "channel `quotes`" in quote["explanation"]["text"]
    assert quote["explanation"]["fix"]
    assert quote["pattern"]["rule"] == "abandoned-send"
    sleep = next(g for g in report["groups"] if g["blocking_site"]["line"] == marker("sleep")[1])
    assert sleep["explanation"] is not None and sleep["pattern"] is None
    text = subprocess.run(cmd, capture_output=True, text=True, timeout=120).stdout
    assert "explains" in text and "channel `quotes`" in text
    tree = subprocess.run([*cmd, "--tree"], capture_output=True, text=True, timeout=120).stdout
    source_line = path.read_text().splitlines()[line - 1].strip()
    assert source_line in tree


def test_scan_marks_the_findings_the_dump_confirms(dump: bytes, tmp_path: Path) -> None:
    file = tmp_path / "goroutines.txt"
    file.write_bytes(dump)
    scan = [sys.executable, "-m", "goleash.cli", "scan", "--no-cache", "--format", "json"]
    proc = subprocess.run(
        [*scan, str(SVC_DIR), "--dump", str(file)], capture_output=True, text=True, timeout=120
    )
    findings = json.loads(proc.stdout)["findings"]
    confirmed = {
        (Path(f["file"]).name, f["line"], f["rule"])
        for f in findings
        if "[confirmed by the dump: " in f["message"]
    }
    expected = {
        (marker("chan-send")[0].name, marker("chan-send")[1], "abandoned-send"),
        (marker("range")[0].name, marker("range")[1], "range-never-closed"),
        (marker("receive")[0].name, marker("receive")[1], "abandoned-receive"),
        (marker("ticker")[0].name, marker("ticker")[1], "ticker-loop-no-exit"),
        (marker("body", "CAUSE")[0].name, marker("body", "CAUSE")[1], "unclosed-body"),
    }
    assert expected <= confirmed, confirmed
    # The lock kept by refresh, and the worker that skips Done, are confirmed too.
    assert {r for _, _, r in confirmed} >= {"missing-unlock", "waitgroup-missing-done"}
    # A client without a timeout is a real finding, but nothing in this dump waits on it.
    assert not any(r == "http-client-no-timeout" for _, _, r in confirmed)
    assert f"{len(confirmed)} of {len(findings)} findings confirmed by the dump" in proc.stderr
    # The same dump confirms nothing in another program's source.
    other = subprocess.run(
        [*scan, str(SVC_DIR.parent / "leaks"), "--dump", str(file)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "[confirmed by the dump" not in other.stdout
    assert "goleash: 0 of " in other.stderr


def test_idle_connections_of_a_shared_client_are_not_blamed(dump: bytes) -> None:
    """Without a response body held open in the dump, an unclosed-body finding elsewhere in the
    module explains nothing; a couple of idle connections are what a reused client keeps."""
    snap, assessments = analysed(dump)
    waiting = {
        a.group.signature
        for a in assessments
        if a.group.frames and a.group.frames[0].function.endswith("persistConn).readLoop")
    }
    assert waiting
    rest = [a for a in assessments if a.group.signature not in waiting]
    groups = [g for g in snap.groups if g.signature not in waiting]
    found = explain(rest, source_roots=[SVC_DIR], groups=groups)
    body = marker("body", "CAUSE")
    for e in found.values():
        assert (body[0].name, body[1]) not in cause_lines(e), e.text
    # Two idle connections (one shared transport's allowance per host) are not a leak.
    idle = [
        a for a in rest if any(f.function.endswith("persistConn).readLoop") for f in a.group.frames)
    ]
    assert idle
    two = [a._replace(group=a.group._replace(count=2)) for a in idle]
    others = [a for a in rest if a not in idle]
    found = explain([*others, *two], source_roots=[SVC_DIR], groups=groups)
    assert not any(a.group.signature in found for a in two)


def test_debug1_dump_is_explained_from_the_lines() -> None:
    """?debug=1 prints no wait reason: the source line tells a send from a receive."""
    if not have_go():
        pytest.skip("needs the Go toolchain of the test extra")
    snap, assessments = analysed(capture(debug=1))
    assert snap.format == "debug1"
    found = explain(assessments, source_roots=[SVC_DIR], groups=snap.groups)
    quote = found[at(assessments, *marker("chan-send")).group.signature]
    assert "stuck sending on channel `quotes`" in quote.text
    holder = found[at(assessments, *marker("holder")).group.signature]
    assert "stuck sending on channel `a.entries`" in holder.text
    body = marker("body", "CAUSE")
    readers = [
        a
        for a in assessments
        if a.group.frames and a.group.frames[0].function.endswith("persistConn).readLoop")
    ]
    assert readers
    for a in readers:
        assert cause_lines(found[a.group.signature]) == {(body[0].name, body[1])}
