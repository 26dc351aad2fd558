"""The traceback-text parser against real Go 1.27.3 output and what the runtime said about it.

Fixtures under tests/fixtures/dumps/go1.27/traceback.* were captured from tests/go/tracebackshapes
by traceback_capture.py (see README.traceback.md there); traceback.counts.json holds
runtime.NumGoroutine() at capture time. Variants (CRLF, log prefixes, cuts, several dumps in one
stream) are derived from those captures by the tests themselves.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from goleash.dumps import read_snapshots, traceback
from goleash.dumps.traceback import TRUNCATED, parse
from goleash.errors import InputError
from goleash.model import Group, Snapshot

DUMPS = Path(__file__).parent / "fixtures" / "dumps"
FIX = DUMPS / "go1.27"
COUNTS: dict[str, int] = json.loads((FIX / "traceback.counts.json").read_text())
HEADER = re.compile(rb"^goroutine \d+ .*:$", re.M)


def read(name: str) -> bytes:
    return (FIX / f"traceback.{name}.txt").read_bytes()


def parse_bytes(data: bytes) -> list[Snapshot]:
    return parse(io.BytesIO(data), source="test")


def one(data: bytes) -> Snapshot:
    snapshots = parse_bytes(data)
    assert len(snapshots) == 1, [s.total for s in snapshots]
    return snapshots[0]


def group_with(s: Snapshot, function: str) -> Group:
    """The one group that has a frame in ``function``."""
    found = [g for g in s.groups if any(f.function == function for f in g.frames)]
    assert len(found) == 1, [g.frames[:2] for g in found]
    return found[0]


def shape(s: Snapshot) -> set[tuple[str, int, str]]:
    """What a user reads off a snapshot: each group's signature, size and state."""
    return {(g.signature, g.count, g.state) for g in s.groups}


# --- counts equal what the runtime said -----------------------------------------------------


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_count_equals_runtime_numgoroutine(name: str) -> None:
    s = one((FIX / name).read_bytes())
    assert s.total == COUNTS[name]
    assert s.unparsed == 0
    assert s.warnings == ()
    assert s.format == "traceback"
    assert sum(g.count for g in s.groups) == s.total


@pytest.mark.parametrize(
    "path",
    sorted(
        # debug1.txt files (goroutine and goroutineleak) are count profiles, not tracebacks
        p
        for p in DUMPS.glob("go1.*/*.txt")
        if not p.name.endswith("debug1.txt") and "go1.27" not in str(p)
    ),
)
def test_older_go_versions_count_like_their_runtime(path: Path) -> None:
    expected = json.loads((path.parent / "expected.json").read_text())["captures"][path.name]
    s = one(path.read_bytes())
    assert (s.total, s.unparsed) == (expected["goroutines"], 0)


def test_sigquit_system_keeps_goroutine_0_and_runtime_goroutines_apart() -> None:
    data = read("sigquit_system")
    assert b"goroutine 0 gp=" in data and b"runtime.forcegchelper" in data
    s = one(data)
    assert s.total == COUNTS["traceback.sigquit_system.txt"]
    assert s.total + s.runtime_total == len(HEADER.findall(data))
    functions = {f.function for g in s.groups for f in g.frames}
    assert "runtime.forcegchelper" not in functions
    assert "runtime.bgsweep" not in functions
    assert "runtime.main" in functions  # goroutine 1 is a user goroutine at every level
    runtime = {f.function for g in s.runtime_groups for f in g.frames}
    assert {"runtime.forcegchelper", "runtime.bgsweep", "runtime.mcall"} <= runtime
    assert sum(g.count for g in s.runtime_groups) == s.runtime_total
    assert s.go_version == "go1.26+"  # labels in headers; gp= alone would say go1.22+


@pytest.mark.parametrize(
    "path", sorted(DUMPS.glob("go1.*/*sigquit*.txt")), ids=lambda p: p.parent.name
)
def test_every_sigquit_header_is_counted_once(path: Path) -> None:
    data = path.read_bytes()
    s = one(data)
    assert s.runtime_total > 0
    assert s.total + s.runtime_total == len(HEADER.findall(data))
    assert not {g.signature for g in s.groups} & {g.signature for g in s.runtime_groups}


def test_dumps_without_system_goroutines_have_no_runtime_groups() -> None:
    s = one(read("debug2"))
    assert (s.runtime_total, s.runtime_groups, s.deadlock) == (0, (), False)


def test_deadlock_is_marked_on_the_dump_that_follows_the_fatal_error() -> None:
    data = read("deadlock")
    assert data.startswith(traceback.DEADLOCK)
    assert one(data).deadlock
    stack, deadlock, panic = parse_bytes(read("stack") + b"\n" + data + b"\n" + read("panic_all"))
    assert (stack.deadlock, deadlock.deadlock, panic.deadlock) == (False, True, False)
    assert deadlock.total == COUNTS["traceback.deadlock.txt"]


# --- header fields ---------------------------------------------------------------------------


def test_labels_locked_and_states_from_headers() -> None:
    s = one(read("debug2"))
    labelled = [g for g in s.groups if g.labels]
    assert len(labelled) == 1
    assert labelled[0].labels == {"handler": "/api/v1", "quote": 'say "hi"', "tenant": "acme corp"}
    locked = [g for g in s.groups if g.locked_to_thread]
    assert [(g.state, g.count) for g in locked] == [("select (no cases)", 1)]
    states = {g.state for g in s.groups}
    assert {
        "running",
        "chan send",
        "chan receive",
        "chan receive (nil chan)",
        "select (no cases)",
        "sync.Mutex.Lock",
        "sync.WaitGroup.Wait",
        "sync.Cond.Wait",
        "sleep",
    } <= states
    assert s.profile == "goroutine"
    assert all(g.leaked == 0 for g in s.groups)


def test_wait_minutes() -> None:
    data = read("minutes")
    assert b", 1 minutes]" in data
    s = one(data)
    assert s.total == COUNTS["traceback.minutes.txt"]
    flush = group_with(s, "main.(*store).flush")
    assert flush.wait_minutes == (1, 1)
    running = [g for g in s.groups if g.state == "running"]
    assert [g.wait_minutes for g in running] == [None]
    assert {g.state for g in s.groups} >= {"chan send", "sleep", "select (no cases)"}


def test_goroutineleak_debug2_marks_leaked_without_the_flag_in_state() -> None:
    s = one(read("leak2"))
    assert s.profile == "goroutineleak"
    flush = group_with(s, "main.(*store).flush")
    assert (flush.state, flush.count, flush.leaked) == ("chan send", 3, 3)
    assert not any("(leaked)" in g.state for g in s.groups)
    sleeping = [g for g in s.groups if g.state == "sleep"]
    assert sleeping and sleeping[0].leaked == 0  # sleeps are outside leak detection


def test_synctest_bubble_keeps_durable_in_state() -> None:
    s = one(read("synctest"))
    states = {g.state for g in s.groups}
    assert "chan receive (durable)" in states
    assert "synctest.Run (durable)" in states
    assert s.go_version == "go1.25+"


# --- frames, creators, parents --------------------------------------------------------------


def test_frames_carry_no_arguments_and_inlined_frames_count() -> None:
    s = one(read("stack"))
    flush = group_with(s, "main.(*store).flush")
    assert [f.function for f in flush.frames] == [
        "main.(*store).flush",
        "main.start.func2",
        "main.start.func1.1",
    ]
    assert flush.frames[0].file.endswith("tests/go/tracebackshapes/main.go")
    recv = group_with(s, "main.inlinedRecv")  # inlined: printed as inlinedRecv(...)
    assert recv.frames[0].function == "main.inlinedRecv"
    generic = group_with(s, "main.pair[...]")
    assert generic.state == "chan receive"


def test_created_by_parent_and_orphans() -> None:
    s = one(read("debug2"))
    flush = group_with(s, "main.(*store).flush")
    assert flush.created_by is not None and flush.created_by.function == "main.start.func1"
    assert (flush.with_parent, flush.orphans) == (3, 0)  # goroutine 1 is alive
    grandchild = group_with(s, "main.grandchild")
    assert grandchild.created_by is not None and grandchild.created_by.function == "main.child"
    assert (grandchild.with_parent, grandchild.orphans) == (1, 1)  # child returned


def test_long_stacks_keep_the_printed_frames_of_elided_ones() -> None:
    data = read("stack")
    assert b"...53 frames elided..." in data
    deep = group_with(one(data), "main.recurse")
    assert len(deep.frames) == 100  # Go prints the innermost 50 and the outermost 50
    assert deep.frames[-1].function == "main.start.func1.1"
    assert deep.elided_frames == 53


def test_ancestor_sections_are_not_goroutines_or_frames() -> None:
    data = read("ancestors")
    assert b"[originating from goroutine 1]:" in data
    s = one(data)
    assert s.total == COUNTS["traceback.ancestors.txt"]
    plain = one(read("stack"))
    assert {g.signature for g in s.groups} == {g.signature for g in plain.groups}


def test_goroutine_running_on_other_thread_counts_without_frames() -> None:
    data = read("panic_spin")
    assert b"\tgoroutine running on other thread; stack unavailable\n" in data
    s = one(data)
    assert s.total == COUNTS["traceback.panic_spin.txt"]
    (elsewhere,) = [g for g in s.groups if not g.frames]
    assert elsewhere.state == "running"
    assert elsewhere.created_by is not None and elsewhere.created_by.function == "main.main"


def test_go_test_timeout_panic() -> None:
    s = one(read("test_timeout"))
    assert s.total == 3
    assert s.warnings == ()
    hang = group_with(s, "example.com/tracebackshapes.TestHang")
    assert hang.state == "chan receive"


# --- text around and inside dumps ------------------------------------------------------------


def prefixed(data: bytes, prefix: bytes) -> bytes:
    lines = data.split(b"\n")
    out = []
    for i, line in enumerate(lines):
        p = prefix.replace(b"SS", b"%02d" % (i % 60))
        out.append(p + line if line else p.rstrip())
    return b"\n".join(out)


@pytest.mark.parametrize(
    "variant",
    [
        lambda d: d.replace(b"\n", b"\r\n"),
        lambda d: d.replace(b"\n\t", b"\n        "),
        lambda d: prefixed(d, b"2026/11/22 04:00:SS "),
        lambda d: prefixed(d, b"app-1  | "),
        lambda d: prefixed(d, b"app-1  | ").replace(b"\n", b"\r\n"),
        lambda d: b"starting\nlistening on :8080\n" + d + b"\nexit status 2\n",
    ],
    ids=["crlf", "spaces", "log-prefix", "docker-prefix", "docker-crlf", "around"],
)
def test_variants_read_like_the_original(variant) -> None:  # type: ignore[no-untyped-def]
    data = read("debug2")
    original = one(data)
    s = one(variant(data))
    assert shape(s) == shape(original)
    assert s.total == COUNTS["traceback.debug2.txt"]
    assert s.warnings == ()


def test_junk_between_goroutines_is_counted_once() -> None:
    data = read("debug2")
    records = data.split(b"\n\n")
    noisy = b"\n\n".join([records[0], b"GET /healthz 200", b"more noise\nand more", *records[1:]])
    s = one(noisy)
    assert s.total == COUNTS["traceback.debug2.txt"]
    assert s.unparsed == 0
    assert s.warnings == (traceback.JUNK.format(n=3),)


def test_unreadable_body_is_counted_not_dropped() -> None:
    data = read("debug2")
    at = data.index(b"main.(*store).flush(")
    at = data.index(b"\n\t", at)
    broken = data[:at] + b"\n" + data[at + 2 :]  # one file line loses its tab
    s = one(broken)
    assert (s.total, s.unparsed) == (COUNTS["traceback.debug2.txt"] - 1, 1)
    assert group_with(s, "main.(*store).flush").count == 2
    assert s.warnings == (traceback.UNREADABLE.format(n=1),)


def test_several_dumps_in_one_stream() -> None:
    names = ["stack", "debug2", "panic_all", "sigquit_system", "deadlock"]
    stream = b"\n".join(read(n) for n in names)
    snapshots = parse_bytes(stream)
    assert [s.total for s in snapshots] == [COUNTS[f"traceback.{n}.txt"] for n in names]
    assert all(s.unparsed == 0 and s.warnings == () for s in snapshots)


def test_two_debug2_dumps_back_to_back_split_at_the_repeated_id() -> None:
    data = read("debug2")
    snapshots = parse_bytes(data + data)
    assert [s.total for s in snapshots] == [COUNTS["traceback.debug2.txt"]] * 2


def test_dumps_with_different_prefixes_in_one_stream() -> None:
    data = read("stack")
    snapshots = parse_bytes(data + b"\n" + prefixed(data, b"app-1  | "))
    assert [s.total for s in snapshots] == [COUNTS["traceback.stack.txt"]] * 2
    assert shape(snapshots[0]) == shape(snapshots[1])


def test_no_goroutine_at_all_is_an_input_error() -> None:
    for data in (b"", b"hello\nworld\n", b"\x00\xff" * 1000):
        with pytest.raises(InputError, match="no goroutine traceback"):
            parse_bytes(data)


# --- truncation ------------------------------------------------------------------------------


def goroutine_ends(data: bytes) -> list[tuple[int, int]]:
    """(start, end) of each goroutine record; end is just past its last newline."""
    spans = []
    for m in HEADER.finditer(data):
        end = data.find(b"\n\n", m.start())
        spans.append((m.start(), len(data) if end < 0 else end + 1))
    return spans


@pytest.mark.parametrize(("name", "step"), [("test_timeout", 1), ("panic_all", 7)])
def test_cut_at_every_offset_gives_the_goroutines_before_the_cut(name: str, step: int) -> None:
    data = read(name)
    spans = goroutine_ends(data)
    for cut in range(0, len(data) + 1, step):
        head = data[:cut]
        complete = sum(1 for _, end in spans if end <= cut)
        partial = [s for s, end in spans if s < cut < end]
        if not re.search(rb"goroutine \d+ \[", head):
            with pytest.raises(InputError):
                parse_bytes(head)
            continue
        (s,) = parse_bytes(head)
        assert complete <= s.total <= complete + len(partial), cut
        assert s.total + s.unparsed <= complete + len(partial), cut
        if partial and not head.endswith(b"\n") and b"\n" in data[partial[0] : cut]:
            # cut in the middle of a line of a goroutine's stack
            assert (s.total, s.unparsed) == (complete, 1), cut
            assert TRUNCATED in s.warnings, cut


def test_a_small_cut_file_is_not_blamed_on_pprof() -> None:
    data = read("debug2")
    (s,) = parse_bytes(data[: data.index(b"main.(*store).flush(") + 10])
    assert s.unparsed == 1
    assert TRUNCATED in s.warnings
    assert not any("64 MB" in w for w in s.warnings)


def test_truncated_gzip_names_the_gzip_stream_and_keeps_what_was_read() -> None:
    data = read("debug2")
    packed = gzip.compress(data, mtime=0)
    partial = read_snapshots(io.BytesIO(packed[: len(packed) * 2 // 3]), source="cut.gz")
    (s,) = partial
    assert 0 < s.total < COUNTS["traceback.debug2.txt"]
    assert "input cut short: the gzip stream is truncated" in s.warnings
    assert not any(w.startswith(traceback.CUT_WARNING) or "64 MB" in w for w in s.warnings)
    # Cut before the first goroutine's stack is complete: nothing read is an input error.
    first = data.index(b"\n\n", data.index(b"goroutine 1 ")) - 20
    tried = 0
    for n in range(10, len(packed)):
        unpacked = zlib.decompressobj(31).decompress(packed[:n])
        if len(unpacked) > first:
            break
        if b"goroutine 1 " not in unpacked:
            continue
        tried += 1
        with pytest.raises(InputError, match="the gzip stream is truncated; "):
            read_snapshots(io.BytesIO(packed[:n]), source="cut.gz")
    assert tried > 0


# --- any input -------------------------------------------------------------------------------

_LINES = [line for n in ("debug2", "sigquit_system", "ancestors") for line in read(n).split(b"\n")]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(st.sampled_from(_LINES), st.binary(max_size=40), st.just(b"")),
        max_size=60,
    )
)
def test_any_lines_no_exception_and_consistent_counts(lines: list[bytes]) -> None:
    data = b"\n".join(lines)
    try:
        snapshots = parse_bytes(data)
    except InputError:
        return
    headers = data.count(b"goroutine ")
    assert sum(s.total + s.unparsed for s in snapshots) <= headers
    for s in snapshots:
        assert sum(g.count for g in s.groups) == s.total
        assert s.total + s.unparsed > 0


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_no_exception(data: bytes) -> None:
    try:
        snapshots = parse_bytes(data)
    except InputError:
        return
    assert all(s.total >= 0 and s.unparsed >= 0 for s in snapshots)


# The file line of a frame is read with bytes methods in the common forms and with a regex
# otherwise; both must read every line as the one documented pattern does (path: everything
# before the last colon; then a line number, an optional +0x offset and optional registers).
_FILE_LINE = re.compile(
    rb"\t(.*):(\d+)(?: \+0x[0-9a-f]+)?(?: fp=0x[0-9a-f]+ sp=0x[0-9a-f]+ pc=0x[0-9a-f]+)?"
)
_FILE_PARTS = [
    b"\t", b"/src/a b/x.go", b"C:\\w\\y.go", b":", b"12", b"0", b" ", b"+0x", b"1d", b"fg",
    b" fp=0x1 sp=0x2 pc=0x3", b"\r", b"+0x1d", b"::", b"9", b"\xff", b"-",
]  # fmt: skip


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(_FILE_PARTS), max_size=8), st.booleans())
def test_file_lines_read_as_the_documented_pattern(parts: list[bytes], tab: bool) -> None:
    line = (b"\t" if tab else b"") + b"".join(parts)
    m = _FILE_LINE.fullmatch(line)
    expected = None if m is None else (m.group(1).decode("utf-8", "replace"), int(m.group(2)))
    assert traceback._file_line(line, {}) == expected


@pytest.mark.parametrize(
    ("line", "creator", "parent"),
    [
        (b"created by main.main", "main.main", None),
        (b"created by main.(*T).run.func1 in goroutine 7", "main.(*T).run.func1", 7),
        (b"created by net/http.(*Server).Serve in goroutine 1", "net/http.(*Server).Serve", 1),
        (b"created by main.main in goroutine", None, None),  # no id: not a creator line
        (b"created by  main.main", None, None),
    ],
)
def test_creator_lines(line: bytes, creator: str | None, parent: int | None) -> None:
    body = b"main.f()\n\t/src/x.go:3 +0x1\n" + line + b"\n\t/src/x.go:9 +0x2"
    parsed = traceback._parse_body(body)
    shape = parsed.shape
    if creator is None:
        assert shape is None or shape.created_by is None or parsed.junk
        return
    assert shape is not None and shape.created_by is not None
    assert shape.created_by.function == creator
    assert traceback._parent_of(body) == parent
