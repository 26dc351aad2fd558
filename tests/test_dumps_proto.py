"""The debug=0 profile.proto of the goroutine and goroutineleak profiles, captured from real Go."""

from __future__ import annotations

import contextlib
import gzip
import io
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from goleash.dumps import countprofile, proto, read_snapshots
from goleash.errors import InputError
from goleash.model import Group, Snapshot
from pprofserve import (
    LABELLED_WORKERS,
    LEAKED,
    LEAKY_SENDERS,
    RECEIVER_LABELS,
    WORKER_LABELS,
    line_of,
    serving,
)

FIXTURES = Path(__file__).parent / "fixtures" / "dumps" / "go1.27"


def parse_fixture(name: str) -> Snapshot:
    with open(FIXTURES / name, "rb") as f:
        (snapshot,) = proto.parse(f, source=name)
    return snapshot


def group_at(snapshot: Snapshot, fn: str) -> Group:
    (group,) = [g for g in snapshot.groups if g.blocking_site and g.blocking_site.function == fn]
    return group


def test_goroutine_profile_matches_the_debug1_capture_taken_with_it() -> None:
    s = parse_fixture("goroutine.debug0.pb.gz")
    assert s.format == "proto" and s.profile == "goroutine"
    assert s.taken_at is not None
    with open(FIXTURES / "goroutine.debug1.txt", "rb") as f:
        (text,) = countprofile.parse(f)
    assert s.total == text.reported_total
    assert s.unparsed == 0 and s.warnings == ()
    # The same user stacks, with the same counts, whatever the format.
    for function in ("main.leakySend.func1", "main.poolWorker", "main.labelledWorker"):
        assert group_at(s, function).count == group_at(text, function).count
        assert group_at(s, function).blocking_site == group_at(text, function).blocking_site


def test_runtime_frames_are_kept_and_the_blocking_site_skips_them() -> None:
    send = group_at(parse_fixture("goroutine.debug0.pb.gz"), "main.leakySend.func1")
    names = [f.function for f in send.frames]
    assert names[0] == "runtime.gopark"
    assert "runtime.chansend" in names
    assert send.blocking_site is not None
    assert send.blocking_site.file.endswith("tests/go/pprofserve/main.go")
    assert send.blocking_site.line == line_of("ch <- strconv.Itoa(v)")


def test_labels() -> None:
    s = parse_fixture("goroutine.debug0.pb.gz")
    worker = group_at(s, "main.labelledWorker")
    assert (worker.count, dict(worker.labels)) == (LABELLED_WORKERS, WORKER_LABELS)
    assert dict(group_at(s, "main.leakyReceive.func1").labels) == RECEIVER_LABELS


def test_inlined_frames_are_listed_innermost_first() -> None:
    s = parse_fixture("goroutine.debug0.pb.gz")
    (accept,) = [g for g in s.groups if any(f.function == "net/http.Serve" for f in g.frames)]
    names = [f.function for f in accept.frames]
    # One Location holds both: http.Serve inlined into the closure main starts.
    assert names.index("net/http.Serve") + 1 == names.index("main.main.func5")
    with open(FIXTURES / "goroutine.debug1.txt", "rb") as f:
        (text,) = countprofile.parse(f)
    (same,) = [g for g in text.groups if any(f.function == "net/http.Serve" for f in g.frames)]
    user = [f for f in accept.frames if not f.function.startswith("runtime.")]
    assert user == list(same.frames)


def test_goroutineleak_sample_without_locations_is_not_a_leak() -> None:
    s = parse_fixture("goroutineleak.debug0.pb.gz")
    assert s.profile == "goroutineleak"
    assert s.total == sum(g.leaked for g in s.groups) == LEAKED
    assert group_at(s, "main.leakySend.func1").count == LEAKY_SENDERS
    assert any("main parked in select {}" in w for w in s.warnings)
    assert all(g.frames for g in s.groups)


def test_sniffing_finds_the_proto_gzipped_or_not() -> None:
    packed = (FIXTURES / "goroutine.debug0.pb.gz").read_bytes()
    for data in (packed, gzip.decompress(packed)):
        (s,) = read_snapshots(io.BytesIO(data), source="x")
        expected = parse_fixture("goroutine.debug0.pb.gz").total
        assert (s.format, s.total, s.source) == ("proto", expected, "x")


def test_decompressed_size_is_capped() -> None:
    bomb = gzip.compress(b"\0" * (4 * 2**20), mtime=0)
    with pytest.raises(InputError, match="decompresses to more than"):
        proto.parse(io.BytesIO(bomb), source="bomb", max_bytes=2**20)


def test_other_profiles_and_junk_are_refused() -> None:
    with pytest.raises(InputError, match="not a goroutine dump"):
        proto.parse(io.BytesIO(gzip.compress(b"\x0a\xff\xff\xff junk", mtime=0)), source="junk")


@pytest.mark.slow
def test_heap_profile_is_named_as_such() -> None:
    with serving() as server:
        heap = server.get("/debug/pprof/heap")
    with pytest.raises(InputError, match="it is a space profile"):
        read_snapshots(io.BytesIO(heap), source="heap")


@pytest.mark.slow
def test_live_scrapes_match_the_runtime_count() -> None:
    with serving() as server:
        for _ in range(5):
            before = server.settled_count()
            (s,) = read_snapshots(io.BytesIO(server.get("/debug/pprof/goroutine?debug=0")))
            after = server.settled_count()
            if s.total == before == after:  # else a connection was still winding down
                break
        assert s.format == "proto"
        assert s.total == before == after
        (leak,) = read_snapshots(io.BytesIO(server.get("/debug/pprof/goroutineleak?debug=0")))
        assert leak.total == sum(g.leaked for g in leak.groups) == LEAKED


def test_protobuf_is_imported_only_when_a_proto_is_parsed() -> None:
    code = (
        "import sys, io, goleash.dumps, goleash.sources;"
        "from goleash.dumps import read_snapshots;"
        f"read_snapshots(open({str(FIXTURES / 'goroutine.debug1.txt')!r}, 'rb'));"
        "assert 'google.protobuf' not in sys.modules, 'protobuf imported';"
        "assert 'httpx' not in sys.modules, 'httpx imported';"
        f"read_snapshots(open({str(FIXTURES / 'goroutine.debug0.pb.gz')!r}, 'rb'));"
        "assert 'google.protobuf' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@given(st.binary(max_size=3000))
@settings(max_examples=300, deadline=None)
def test_any_bytes_give_snapshots_or_one_input_error(data: bytes) -> None:
    try:
        snapshots = proto.parse(io.BytesIO(data))
    except InputError as e:
        assert "\n" not in str(e)
    else:
        assert all(s.total >= 0 for s in snapshots)


@given(st.integers(min_value=1, max_value=2000), st.binary(max_size=50))
@settings(max_examples=200, deadline=None)
def test_a_damaged_real_profile_never_raises_anything_else(at: int, noise: bytes) -> None:
    raw = bytearray(gzip.decompress((FIXTURES / "goroutine.debug0.pb.gz").read_bytes()))
    at = at % len(raw)
    raw[at : at + len(noise)] = noise
    with contextlib.suppress(InputError):
        proto.parse(io.BytesIO(bytes(raw)))


@pytest.mark.slow
def test_a_delta_profile_is_refused_with_the_reason() -> None:
    with serving() as server:
        delta = server.get("/debug/pprof/goroutine?seconds=1")
    with pytest.raises(InputError, match=r"delta profile \(\?seconds=N\)"):
        read_snapshots(io.BytesIO(delta), source="delta")


@pytest.mark.parametrize("gzipped", [False, True], ids=["raw", "gzip"])
def test_a_truncated_profile_says_so(gzipped: bool) -> None:
    raw = gzip.decompress((FIXTURES / "goroutine.debug0.pb.gz").read_bytes())
    for cut in (len(raw) // 3, len(raw) // 2, len(raw) - 5):
        data = gzip.compress(raw, mtime=0)[: cut // 2] if gzipped else raw[:cut]
        with pytest.raises(InputError) as e:
            read_snapshots(io.BytesIO(data), source="cut")
        message = str(e.value)
        assert ("gzip stream is truncated" if gzipped else "truncated protobuf") in message
        assert "could be read" in message and "64 MB" not in message
