"""The debug=1 text of the goroutine and goroutineleak profiles, captured from real Go."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from goleash.dumps import countprofile, read_snapshots
from goleash.model import Group, Snapshot
from pprofserve import (
    LABELLED_WORKERS,
    LEAKED,
    LEAKY_RECEIVERS,
    LEAKY_SENDERS,
    POOL_WORKERS,
    RECEIVER_LABELS,
    WORKER_LABELS,
    line_of,
    serving,
)

FIXTURES = Path(__file__).parent / "fixtures" / "dumps" / "go1.27"
# Every line of both captures except the profile headers, to shuffle into damaged profiles.
FIXTURE_LINES = [
    line
    for name in ("goroutine.debug1.txt", "goroutineleak.debug1.txt")
    for line in (FIXTURES / name).read_bytes().splitlines()
    if b"profile: total" not in line
]


def parse_fixture(name: str) -> Snapshot:
    with open(FIXTURES / name, "rb") as f:
        (snapshot,) = countprofile.parse(f, source=name)
    return snapshot


def group_at(snapshot: Snapshot, fn: str) -> Group:
    (group,) = [g for g in snapshot.groups if g.blocking_site and g.blocking_site.function == fn]
    return group


def test_goroutine_profile_counts_every_goroutine_the_header_states() -> None:
    s = parse_fixture("goroutine.debug1.txt")
    assert s.format == "debug1" and s.profile == "goroutine"
    assert s.reported_total is not None
    assert s.total == s.reported_total
    assert s.unparsed == 0 and s.warnings == ()
    assert sum(g.count for g in s.groups) == s.total


def test_user_goroutines_are_located_at_their_blocking_line() -> None:
    s = parse_fixture("goroutine.debug1.txt")
    send = group_at(s, "main.leakySend.func1")
    assert send.count == LEAKY_SENDERS
    assert send.blocking_site is not None
    assert send.blocking_site.file.endswith("tests/go/pprofserve/main.go")
    assert send.blocking_site.line == line_of("ch <- strconv.Itoa(v)")
    pool = group_at(s, "main.poolWorker")
    assert pool.count == POOL_WORKERS
    assert pool.blocking_site is not None
    assert pool.blocking_site.line == line_of("for range jobs")
    # debug=1 has no state, no ids and no leak marks in the plain goroutine profile.
    assert all(g.state == "" and g.leaked == 0 and g.sample_ids == () for g in s.groups)


def test_labels_are_read_with_go_quoting() -> None:
    s = parse_fixture("goroutine.debug1.txt")
    assert dict(group_at(s, "main.labelledWorker").labels) == WORKER_LABELS
    assert group_at(s, "main.labelledWorker").count == LABELLED_WORKERS
    assert dict(group_at(s, "main.leakyReceive.func1").labels) == RECEIVER_LABELS
    assert dict(group_at(s, "main.poolWorker").labels) == {}


def test_inlined_frames_each_get_their_own_frame_innermost_first() -> None:
    s = parse_fixture("goroutine.debug1.txt")
    (accept,) = [g for g in s.groups if any(f.function == "net/http.Serve" for f in g.frames)]
    names = [f.function for f in accept.frames]
    # http.Serve is inlined into the closure main starts: it is listed first, then its caller.
    assert names.index("net/http.Serve") + 1 == names.index("main.main.func5")
    assert accept.frames[-1].line == line_of("http.Serve(ln, mux)")


def test_goroutineleak_marks_every_goroutine_leaked_except_the_phantom_main() -> None:
    s = parse_fixture("goroutineleak.debug1.txt")
    assert s.profile == "goroutineleak"
    # Go counts main parked in select {} in the header but prints it as an empty record.
    assert s.reported_total == LEAKED + 1
    assert s.total == LEAKED
    assert sum(g.leaked for g in s.groups) == LEAKED
    assert s.unparsed == 0
    assert any("main parked in select {}" in w for w in s.warnings)
    assert {g.blocking_site.function for g in s.groups if g.blocking_site} == {
        "main.leakySend.func1",
        "main.leakyReceive.func1",
    }
    assert group_at(s, "main.leakyReceive.func1").count == LEAKY_RECEIVERS


def test_concatenated_profiles_give_one_snapshot_each() -> None:
    both = (FIXTURES / "goroutine.debug1.txt").read_bytes() + (
        FIXTURES / "goroutineleak.debug1.txt"
    ).read_bytes()
    first, second = countprofile.parse(io.BytesIO(both))
    assert (first.profile, second.profile) == ("goroutine", "goroutineleak")
    assert first.total == first.reported_total
    assert second.total == LEAKED


def test_truncated_profile_keeps_what_was_read_and_counts_the_rest() -> None:
    text = (FIXTURES / "goroutine.debug1.txt").read_bytes()
    cut = text[: text.index(b"main.poolWorker")]  # ends inside the pool workers' record
    (s,) = countprofile.parse(io.BytesIO(cut))
    assert group_at(s, "main.leakySend.func1").count == LEAKY_SENDERS
    assert s.reported_total is not None
    assert s.total + s.unparsed == s.reported_total
    assert s.unparsed >= POOL_WORKERS
    assert any("could not be read" in w for w in s.warnings)


def test_crlf_and_a_log_prefix_line_are_tolerated() -> None:
    text = (FIXTURES / "goroutine.debug1.txt").read_bytes()
    mangled = b"$ curl localhost:6060/debug/pprof/goroutine?debug=1\r\n" + text.replace(
        b"\n", b"\r\n"
    )
    (s,) = read_snapshots(io.BytesIO(mangled))
    assert s.format == "debug1"
    assert s.total == s.reported_total
    assert dict(group_at(s, "main.labelledWorker").labels) == WORKER_LABELS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"k":"v"}', {"k": "v"}),
        ('{"a":"1", "b":"x y"}', {"a": "1", "b": "x y"}),
        (r'{"q":"\"\\\t\u00e9\x41"}', {"q": '"\\\té' + "A"}),
        ("{}", {}),
        ('{"k":"v"', None),
        ('{"k" "v"}', None),
    ],
)
def test_label_syntax(text: str, expected: dict[str, str] | None) -> None:
    assert countprofile.parse_labels(text) == expected


@pytest.mark.slow
def test_live_scrapes_match_the_runtime_count() -> None:
    with serving() as server:
        for _ in range(5):
            before = server.settled_count()
            (s,) = read_snapshots(
                io.BytesIO(server.get("/debug/pprof/goroutine?debug=1")), source="live"
            )
            after = server.settled_count()
            if s.total == before == after:  # else a connection was still winding down
                break
        # /count and the profile are both read while one request is being served, over a
        # fresh connection each: the serving goroutine and its background reader are in both.
        assert s.total == s.reported_total == before == after
        (leak,) = read_snapshots(io.BytesIO(server.get("/debug/pprof/goroutineleak?debug=1")))
        assert leak.total == sum(g.leaked for g in leak.groups) == LEAKED
        assert leak.reported_total == LEAKED + 1


@given(st.binary(max_size=2000))
@settings(max_examples=300, deadline=None)
def test_any_bytes_after_a_header_give_a_snapshot_not_an_exception(junk: bytes) -> None:
    snapshots = countprofile.parse(io.BytesIO(b"goroutine profile: total 3\n" + junk))
    # Junk that is itself a profile header starts a second profile.
    assert 1 <= len(snapshots) <= 1 + junk.count(b"profile: total")
    assert snapshots[0].reported_total == 3
    assert all(s.total + s.unparsed >= 0 for s in snapshots)


@given(st.lists(st.sampled_from(FIXTURE_LINES), max_size=60))
@settings(max_examples=200, deadline=None)
def test_real_lines_in_any_order_never_lose_the_header_count(lines: list[bytes]) -> None:
    text = b"goroutineleak profile: total 8\n" + b"\n".join(lines)
    (s,) = countprofile.parse(io.BytesIO(text))
    assert s.reported_total == 8
    assert all(g.leaked == g.count for g in s.groups)


OLD_VERSIONS = sorted(
    p.parent.name for p in (FIXTURES.parent).glob("*/debug1.txt") if p.parent.name != "go1.27"
)


@pytest.mark.parametrize("version", OLD_VERSIONS)
def test_debug1_of_older_go_versions(version: str) -> None:
    folder = FIXTURES.parent / version
    expected = json.loads((folder / "expected.json").read_text())
    with open(folder / "debug1.txt", "rb") as f:
        (s,) = countprofile.parse(f)
    assert s.total == s.reported_total == expected["captures"]["debug1.txt"]["goroutines"]
    assert s.unparsed == 0 and s.warnings == ()
    for want in expected["groups"]:
        group = group_at(s, want["function"])
        assert group.count == want["count"]
        assert group.blocking_site is not None
        assert group.blocking_site.file.endswith(want["file"])
        assert group.blocking_site.line == want["line"]
