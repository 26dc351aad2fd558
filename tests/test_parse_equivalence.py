"""The fast path and the careful path of the traceback parser read every dump the same.

The fast path (whole-chunk blanking, records counted in a dict) must give exactly the snapshots
the careful path (every record read on its own) gives: same groups, counts, ids, parents,
warnings, on real captures, on variants of them, and on generated dumps of every stack
diversity. Small chunks make the chunk boundaries, the carry between chunks and the halving of
refused chunks happen inside these small inputs too.
"""

from __future__ import annotations

import io
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dumpgen import generate, records
from goleash.dumps import traceback
from goleash.model import Snapshot

DUMPS = Path(__file__).parent / "fixtures" / "dumps"
TEXT_FIXTURES = sorted(p for p in DUMPS.glob("go1.*/*.txt") if "debug1" not in p.name)


def both(data: bytes) -> tuple[list[Snapshot], list[Snapshot]]:
    fast = traceback.parse(io.BytesIO(data), source="x")
    careful = traceback.parse(io.BytesIO(data), source="x", fast=False)
    return fast, careful


@pytest.fixture(params=[None, 4096], ids=["chunks", "tiny-chunks"])
def chunking(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.param is not None:
        monkeypatch.setattr(traceback, "CHUNK", request.param)
        monkeypatch.setattr(traceback, "FIRST_CHUNK", request.param)
        monkeypatch.setattr(traceback, "MIN_SPLIT", 512)


@pytest.mark.parametrize("path", TEXT_FIXTURES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_fixture_reads_the_same(path: Path, chunking: None) -> None:
    fast, careful = both(path.read_bytes())
    assert fast == careful
    assert sum(s.total for s in fast) > 0


def test_fixtures_in_one_stream_with_noise_read_the_same(chunking: None) -> None:
    rng = random.Random(7)
    parts = [p.read_bytes() for p in TEXT_FIXTURES]
    rng.shuffle(parts)
    noise = [b"GET /healthz 200\n", b"\n", b"exit status 2\n", b"2026/11/22 04:00:00 retrying\n"]
    stream = b"".join(part + rng.choice(noise) for part in parts)
    fast, careful = both(stream)
    assert fast == careful
    assert len(fast) > 10


@pytest.mark.parametrize(
    "variant",
    [
        lambda d: d.replace(b"\n", b"\r\n"),
        lambda d: d.replace(b"\n\t", b"\n    "),
        lambda d: b"".join(b"app-1  | " + line + b"\n" for line in d.split(b"\n")),
        lambda d: d.replace(b"\n\ngoroutine ", b"\ngoroutine "),  # no blank lines
        lambda d: d.replace(b"\n\ngoroutine 2", b"\n\nlog line in goroutine 5\n\ngoroutine 2"),
        lambda d: d[: len(d) * 2 // 3],  # cut
    ],
    ids=["crlf", "spaces", "prefix", "no-blank-lines", "junk", "cut"],
)
def test_variants_of_a_generated_dump_read_the_same(variant, chunking: None) -> None:  # type: ignore[no-untyped-def]
    fast, careful = both(variant(generate(400, 60, seed=3)))
    assert fast == careful


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    goroutines=st.integers(min_value=1, max_value=600),
    stacks=st.sampled_from([1, 3, 27, 100, 1000]),
    seed=st.integers(min_value=0, max_value=10_000),
    minutes=st.sampled_from([0.0, 0.3, 1.0]),
    chunk=st.sampled_from([1 << 12, 1 << 14, 4 << 20]),
    extra=st.lists(st.integers(min_value=0, max_value=10**6), max_size=4),
)
def test_generated_dumps_of_any_diversity_read_the_same(
    goroutines: int, stacks: int, seed: int, minutes: float, chunk: int, extra: list[int]
) -> None:
    recs = list(records(goroutines, stacks, seed=seed, minutes=minutes))
    # Real captures mixed in: SIGQUIT records (g0, system goroutines, fp= registers), panics,
    # a repeated id (a second dump), junk between records.
    real = [r for p in TEXT_FIXTURES[:: max(1, len(TEXT_FIXTURES) // 6)] for r in _records(p)]
    rng = random.Random(seed)
    for at in extra:
        recs.insert(at % (len(recs) + 1), rng.choice([*real, b"unrelated log line\n\n"]))
    old = traceback.CHUNK, traceback.FIRST_CHUNK, traceback.MIN_SPLIT
    traceback.CHUNK = traceback.FIRST_CHUNK = chunk
    traceback.MIN_SPLIT = 1024
    try:
        fast, careful = both(b"".join(recs))
    finally:
        traceback.CHUNK, traceback.FIRST_CHUNK, traceback.MIN_SPLIT = old
    assert fast == careful
    assert sum(s.total + s.runtime_total + s.unparsed for s in fast) >= goroutines


def _records(path: Path) -> list[bytes]:
    return [r + b"\n\n" for r in path.read_bytes().split(b"\n\n") if r.strip()]


def test_many_distinct_stacks_read_the_same_across_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(traceback, "CHUNK", 64 << 10)
    taken = []
    real_fast = traceback._Parser._fast

    def counting(self: traceback._Parser, text: bytes) -> bool:
        ok = real_fast(self, text)
        taken.append(ok)
        return ok

    monkeypatch.setattr(traceback._Parser, "_fast", counting)
    fast, careful = both(generate(4000, 1500, seed=11))
    assert fast == careful
    assert sum(taken) > 10  # the fast path read the chunks, not the careful one
    (s,) = fast
    assert (s.total, len(s.groups)) == (4000, 1500)


@pytest.mark.slow
def test_a_real_program_dump_reads_the_same(tmp_path: Path) -> None:
    from gotools import build

    binary = build(Path(__file__).parents[1] / "benchmarks" / "go" / "manygoroutines")
    out = tmp_path / "dump.txt"
    proc = subprocess.run(
        [str(binary), "-n", "6000", "-o", str(out)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    fast, careful = both(out.read_bytes())
    assert fast == careful
    assert fast[0].total == int(proc.stdout.strip())


ODD_BODIES = [
    b"main.f(0x1)\n\t/a:b/c.go:12 +0x1d\ncreated by main.g in goroutine 1\n\t/x.go:3 +0x2\n",
    b"main.f(0x1)\n\t/x.go:12\ncreated by main.g\n\t/x.go:3 +0x2\ncreated by main.h\n\t/x.go:4\n",
    b"created by main.g in goroutine 1\n\t/x.go:3 +0x2\n",
    b"pkg.(*T).M(...)\n\t/x.go:7\nmain.f(()\n\t/x.go:12 +0x1d\n",
    b"main.f(0x1)\n\t/x.go:12abc\n",
    b"main.f(0x1)\n\t/x.go:12 +0x1d\nPASS\n",
    b"main.f(0x1)\n\t/x 1.go:12 +0x1d\ncreated by main.g\x0b in goroutine 1\n\t/x.go:3\n",
    b"main.f(0x1)\n\t/x.go:12 +0x1d\n...5 frames elided...\nmain.g()\n\t/x.go:13\n",
]


@pytest.mark.parametrize("body", ODD_BODIES, ids=range(len(ODD_BODIES)))
def test_odd_stacks_read_the_same(body: bytes) -> None:
    # Several goroutines with the body, so the fast path sees it as one repeated record.
    data = b"".join(b"goroutine %d [chan send]:\n" % (i + 2) + body + b"\n" for i in range(5))
    data = b"goroutine 1 [running]:\nmain.main()\n\t/x.go:1 +0x1\n\n" + data
    fast, careful = both(data)
    assert fast == careful


_STACK_PARTS = [
    b"main.f()\n", b"runtime.goexit()\n", b"runtime.gopark()\n", b"runtime.bgsweep()\n",
    b"net/http.(*conn).serve()\n", b"main.h(...)\n", b"\t/src/a.go:12 +0x1d\n",
    b"\t/usr/local/go/src/runtime/asm_amd64.s:1700 +0x1\n", b"\t/x.go:3\n",
    b"created by main.g in goroutine 1\n", b"created by main.g\n", b" in goroutine 1\n",
    b"created by runtime.gcenable in goroutine 1\n", b"\n", b"main.f(", b")\n", b"x",
]  # fmt: skip


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(_STACK_PARTS), max_size=12).map(b"".join))
def test_the_c_stacks_are_the_python_ones(body: bytes) -> None:
    # _scan.read_stack reads plain stacks all the way to their _Stack; _stack's Python lines
    # (the path where _scan was not built) must make the same one, or refuse it alike.
    pytest.importorskip("goleash.dumps._scan")
    with_c, without_c = traceback._Parser("x"), traceback._Parser("x")
    without_c.names = None
    assert with_c._stack(body) == without_c._stack(body)


def test_plain_stacks_are_read_in_c() -> None:
    scan = pytest.importorskip("goleash.dumps._scan")
    parser = traceback._Parser("x")
    system = b"runtime.gopark()\n\t/r.go:1 +0x1\nruntime.goexit()\n\t/a.s:2 +0x1\n"
    types = traceback._TYPES
    stack = scan.read_stack(system, 0, parser.names, types, {}, lambda f: 1)
    assert stack is not False and stack.shape.system == 1 and stack.group == 0
    cut = b"main.f()\n\t/a.go:1\nmain.g()\n"  # no file line after a call: not plain
    assert scan.read_stack(cut, 0, parser.names, types, {}, None) is False


# The whole-chunk pass and the records kept across chunks exist twice: in C
# (goleash.dumps._scan.Records, built at install) and in Python (traceback._Records on
# count_chunk, the fallback where no compiler was at hand). Both must cut, number and count
# every text alike, whether each chunk is kept (commit) or refused (the next count forgets it).
_SCAN_PARTS = [
    b"goroutine ", b"1", b"23", b"12345678901234567890", b" ", b"[running]:\n",
    b"[chan send, 5 minutes]:\n", b"[select] {\"k\": \"v\"}:\n", b"[x] {:\n", b"main.f(",
    b"0x1, {0x2, 0x3}", b")\n", b"(", b")", b"\t/src/a.go:3 +0x1d\n", b"created by main.g",
    b" in goroutine ", b"7\n", b"\n", b"\n\n", b"gp=0xc000001 m=nil ", b"gp=nil m=3 mp=0xc1 ",
    b"gp=0x m=", b" fp=0x1 sp=0x2 pc=0x3\n", b"junk line\n", b"\xff", b"\r", b"\t",
    b"[select, 3 minutes, locked to thread]:\n", b"[IO wait, 1 minute]:\n", b", ", b"[x",
    b"19 minutes", b" minute", b"s", b"]", b"]:\n", b"12345678901234567890 minutes",
]  # fmt: skip


def _read_alike(chunks: list[tuple[bytes, bool]]) -> None:
    """Feed the chunks to both kinds of records (each kept or not) and compare all they say."""
    scan = pytest.importorskip("goleash.dumps._scan")
    c_records, py_records = scan.Records(seed=7), traceback._Records()
    for text, keep in chunks:
        assert c_records.count(text) == py_records.count(text)
        counted = c_records.count(memoryview(text))
        assert counted == py_records.count(text)
        if keep:
            c_records.commit()
            py_records.commit()
        assert len(c_records) == len(py_records)
        for gid in [] if counted is None else counted[1]:  # committed ids are seen, others not
            assert c_records.saw(gid) == py_records.saw(gid) == (keep or py_records.saw(gid))
    assert c_records.take() == py_records.take()
    assert c_records.take() == py_records.take() == []


def _chunks(min_size: int, max_size: int) -> st.SearchStrategy[list[tuple[bytes, bool]]]:
    """Chunks of text made of the scan's fragments, each to be kept (committed) or refused."""
    text = st.lists(st.sampled_from(_SCAN_PARTS), max_size=40).map(b"".join)
    return st.lists(st.tuples(text, st.booleans()), min_size=min_size, max_size=max_size)


@settings(max_examples=1500, deadline=None)
@given(_chunks(1, 4))
def test_the_c_records_read_like_the_python_ones(chunks: list[tuple[bytes, bool]]) -> None:
    _read_alike(chunks)


@settings(max_examples=500, deadline=None)
@given(_chunks(2, 5))
def test_chunks_scanned_ahead_count_like_the_python_ones(chunks: list[tuple[bytes, bool]]) -> None:
    # As the reader does: each chunk scanned (and matched to the records kept) while the one
    # before is counted, then kept or refused; a refusal removes records a scan matched.
    scan = pytest.importorskip("goleash.dumps._scan")
    c_records, py_records = scan.Records(seed=7), traceback._Records()
    ahead = c_records.scan(chunks[0][0])
    for i, (text, keep) in enumerate(chunks):
        scanned, ahead = ahead, c_records.scan(chunks[i + 1][0]) if i + 1 < len(chunks) else None
        assert c_records.count(scanned) == py_records.count(text)
        if keep:
            c_records.commit()
            py_records.commit()
    assert c_records.take() == py_records.take()


@pytest.mark.parametrize("path", TEXT_FIXTURES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_c_records_read_every_fixture_like_the_python_ones(path: Path) -> None:
    data = path.read_bytes()
    half = data.find(b"\n\n", len(data) // 2) + 2
    _read_alike([(data[:half], True), (data[half:], False), (data[half:], True), (data, True)])


def test_the_c_records_read_generated_dumps_like_the_python_ones() -> None:
    data = generate(4000, 400, seed=3)
    cuts = [0] + [data.find(b"\n\n", i) + 2 for i in range(1 << 16, len(data), 1 << 16)]
    chunks = [data[a:b] for a, b in zip(cuts, [*cuts[1:], len(data)], strict=True)]
    _read_alike([(chunk, i % 3 != 1) for i, chunk in enumerate(chunks)])


def test_the_python_records_read_like_the_careful_path(monkeypatch: pytest.MonkeyPatch) -> None:
    # Where the C pass could not be built, the Python one runs: the same snapshots.
    monkeypatch.setattr(traceback, "Records", traceback._Records)
    monkeypatch.setattr(traceback, "CHUNK", 16 << 10)
    data = b"".join(p.read_bytes() for p in TEXT_FIXTURES) + generate(3000, 300, seed=5)
    fast, careful = both(data)
    assert fast == careful


def test_without_any_c_the_same_snapshots_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every C function replaced by its Python twin at once: what an install without a
    # compiler runs.
    from goleash.dumps import builder

    data = b"".join(p.read_bytes() for p in TEXT_FIXTURES) + generate(3000, 300, seed=8)
    with_c = traceback.parse(io.BytesIO(data))
    monkeypatch.setattr(traceback, "Records", traceback._Records)
    monkeypatch.setattr(traceback, "read_stack", None)
    monkeypatch.setattr(traceback, "SCANS_WITHOUT_GIL", False)
    monkeypatch.setattr(traceback, "split_members", traceback._split_members)
    monkeypatch.setattr(builder, "parent_facts", builder._parent_facts)
    monkeypatch.setattr(builder, "first_ids", builder._first_ids)
    monkeypatch.setattr(builder, "signatures", builder._signatures)
    monkeypatch.setattr(builder, "untrack", builder._untrack)
    assert traceback.parse(io.BytesIO(data)) == with_c


def test_signatures_hashed_in_a_thread_are_those_of_the_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # From SIGN_APART groups on, the C signatures run in a thread beside the rest of build().
    from goleash.dumps import builder

    data = generate(3 * builder.SIGN_APART, builder.SIGN_APART + 500, seed=11)
    with_c = traceback.parse(io.BytesIO(data))[0]
    assert len(with_c.groups) >= builder.SIGN_APART
    monkeypatch.setattr(builder, "signatures", builder._signatures)
    assert traceback.parse(io.BytesIO(data))[0] == with_c


def test_a_kept_snapshot_costs_the_cycle_collector_nothing() -> None:
    # A snapshot kept by watch or a script holds no reference cycle: full collections must
    # not walk its groups (tens of milliseconds for ten thousand of them, at every one).
    import gc

    pytest.importorskip("goleash.dumps._scan")
    snapshot = traceback.parse(io.BytesIO(generate(5000, 500, seed=3)))[0]
    assert len(snapshot.groups) > 100
    kept = [snapshot.groups, *snapshot.groups]
    kept += [g.frames for g in snapshot.groups] + [g.sample_ids for g in snapshot.groups]
    assert not any(map(gc.is_tracked, kept))


def test_untrack_leaves_what_may_hold_a_cycle_tracked() -> None:
    scan = pytest.importorskip("goleash.dumps._scan")
    import gc

    from goleash.model import Frame

    frame = Frame("main.f", "/x.go", 1)
    with_list, atomic = (frame, []), (frame, (1, "a"))
    pair = (with_list, atomic)
    scan.untrack(pair)
    assert gc.is_tracked(with_list) and gc.is_tracked(pair)
    assert not gc.is_tracked(atomic)


def test_the_c_pass_is_built_where_a_compiler_is() -> None:
    # It is optional (pip installs goleash without a compiler), so a failed build would only
    # show as slowness: where a compiler is at hand, it must have been built.
    if shutil.which("cc") is None and shutil.which("gcc") is None:
        pytest.skip("no C compiler here: the Python pass runs instead")
    from goleash.dumps import _scan

    assert traceback.Records is _scan.Records


@settings(max_examples=1000, deadline=None)
@given(st.binary(max_size=600), st.binary(max_size=600))
def test_the_c_records_read_any_bytes_like_the_python_ones(first: bytes, second: bytes) -> None:
    _read_alike([(first, True), (second, False), (second + first, True)])


# The parent facts exist twice too (builder._parent_facts in Python, _scan.parent_facts in C):
# the same counts for any ids, repeated ids, lost parents, creators and parents' stacks.
_FUNCTIONS = ["main.a", "main.b", "main.c"]
# Ids close together (a table indexed by id), and far apart (a hash map of the parents).
_FAR = 1 << 40
_IDS = st.integers(1, 60) | st.integers(_FAR, _FAR + 60)
_PARENT_IDS = st.integers(1, 80) | st.integers(_FAR, _FAR + 80)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.tuples(_IDS, st.integers(0, 5)), max_size=200),
    st.lists(st.tuples(_PARENT_IDS, st.integers(0, 5)), max_size=200),
    st.lists(st.one_of(st.none(), st.sampled_from(_FUNCTIONS)), min_size=6, max_size=6),
    st.lists(st.lists(st.sampled_from(_FUNCTIONS), max_size=3), min_size=6, max_size=6),
)
def test_the_c_parent_facts_count_like_the_python_ones(
    members: list[tuple[int, int]],
    known_parents: list[tuple[int, int]],
    creators: list[str | None],
    runs: list[list[str]],
) -> None:
    scan = pytest.importorskip("goleash.dumps._scan")
    from array import array

    from goleash.dumps import builder
    from goleash.model import Frame

    args = (
        array("Q", [i for i, _ in members]),
        array("I", [g for _, g in members]),
        array("Q", [p for p, _ in known_parents]),
        array("I", [g for _, g in known_parents]),
        creators,
        [tuple(Frame(f, "/src/x.go", 1) for f in functions) for functions in runs],
    )
    expected = builder._parent_facts(*args)
    assert scan.parent_facts(*args) == expected
    with_parent, orphans, returned = expected
    assert sum(with_parent) == len(known_parents)
    assert all(o + r <= w for w, o, r in zip(with_parent, orphans, returned, strict=True))


def test_the_c_parent_facts_take_the_largest_ids() -> None:
    scan = pytest.importorskip("goleash.dumps._scan")
    from array import array

    from goleash.model import Frame

    top = 9_999_999_999_999_999_999  # the largest 19-digit id
    starter = (Frame("main.start", "/src/x.go", 3),)
    facts = scan.parent_facts(
        array("Q", [top, 5]),  # goroutines: top in group 0, 5 in group 1
        array("I", [0, 1]),
        array("Q", [top, 6, 5]),  # group 2's parents: top (alive), 6 (gone), 5 (alive)
        array("I", [2, 2, 2]),
        [None, None, "main.start"],
        [starter, (), ()],
    )
    # top still runs main.start, 5 does not: one orphan, one whose creator returned
    assert facts == ([0, 0, 3], [0, 0, 1], [0, 0, 1])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 1 << 63), st.integers(0, 4)), max_size=100))
def test_the_c_sample_ids_are_the_python_ones(members: list[tuple[int, int]]) -> None:
    scan = pytest.importorskip("goleash.dumps._scan")
    from array import array

    from goleash.dumps import builder

    ids = array("Q", [i for i, _ in members])
    groups = array("I", [g for _, g in members])
    for per_group in (0, 1, 3):
        expected = builder._first_ids(ids, groups, 5, per_group)
        assert scan.first_ids(ids, groups, 5, per_group) == expected
        assert all(len(found) <= per_group for found in expected)


_NAMES = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)


@settings(max_examples=500, deadline=None)
@given(
    _NAMES,
    st.lists(st.tuples(_NAMES, _NAMES, st.integers(-5, 1 << 70)), max_size=5),
    st.one_of(st.none(), st.tuples(_NAMES, _NAMES, st.integers(0, 99))),
)
def test_signatures_made_in_c_are_the_python_ones(
    state: str, frames: list[tuple[str, str, int]], creator: tuple[str, str, int] | None
) -> None:
    scan = pytest.importorskip("goleash.dumps._scan")
    from goleash.model import Frame, signature_of

    stack = tuple(Frame(*f) for f in frames)
    created_by = None if creator is None else Frame(*creator)
    expected = signature_of(state, stack, created_by)
    assert scan.signatures([state, "x"], [stack, ()], [created_by, None]) == [
        expected,
        signature_of("x", (), None),
    ]


@pytest.mark.parametrize("size", [0, 1, 127, 128, 129, 255, 256, 257, 1000])
def test_the_c_blake2b_agrees_with_hashlib_across_block_boundaries(size: int) -> None:
    # A state alone is hashed as it is: texts of exactly 0, 1 and 2 blocks and around them.
    scan = pytest.importorskip("goleash.dumps._scan")
    from hashlib import blake2b

    text = "".join(chr(0x61 + i % 26) for i in range(size))
    (digest,) = scan.signatures([text], [()], [None])
    assert digest == blake2b(text.encode(), digest_size=8).hexdigest()


def test_frames_read_in_c_share_names_and_are_left_out_of_cycle_collections() -> None:
    # Tens of thousands of frames that can hold no cycle: a collection must not walk them
    # (it took ~50 ms after a 10,000-stack read), and they are the frames Python would read.
    scan = pytest.importorskip("goleash.dumps._scan")
    import gc

    from goleash.model import Frame

    body = b"main.f()\n\t/src/a.go:12 +0x1d\ncreated by main.g in goroutine 1\n\t/src/a.go:3\n"
    names = scan.TextCache(seed=1, limit=100)
    frames, created_by, version = scan.plain_stack(body, names, Frame)
    assert frames == (Frame("main.f", "/src/a.go", 12),)
    assert created_by == Frame("main.g", "/src/a.go", 3) and version == 21
    assert not gc.is_tracked(frames) and not any(map(gc.is_tracked, frames))
    assert not gc.is_tracked(created_by)
    assert frames[0].file is created_by.file  # one str per name, shared by every frame


def test_the_name_cache_stays_within_its_limit() -> None:
    scan = pytest.importorskip("goleash.dumps._scan")
    from goleash.model import Frame

    names = scan.TextCache(seed=3, limit=50)
    for i in range(500):
        body = b"main.f%d()\n\t/src/a%d.go:%d +0x1d\n" % (i, i, i)
        (frame,), _, _ = scan.plain_stack(body, names, Frame)
        assert frame == Frame(f"main.f{i}", f"/src/a{i}.go", i)
        assert len(names) <= 50
    again = scan.plain_stack(b"main.f499()\n\t/src/a499.go:499 +0x1d\n", names, Frame)
    assert again is not None and again[0][0].function is frame.function  # the name kept


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.tuples(st.integers(-5, 40), st.booleans()), min_size=1, max_size=12),
    st.lists(st.tuples(st.integers(0, 11), st.integers(1, 1 << 63)), max_size=60),
    st.integers(0, 1 << 63),
)
def test_the_c_split_of_members_is_the_python_one(
    records: list[tuple[int, bool]], goroutines: list[tuple[int, int]], parent_seed: int
) -> None:
    # Goroutines of user and runtime records (slot < 0), some naming a parent: the same
    # arrays from C as from Python, in the same order.
    scan = pytest.importorskip("goleash.dumps._scan")
    from array import array

    slots = array("i", [s for s, _ in records])
    parented = array("B", [p for _, p in records])
    members = [(r % len(records), gid) for r, gid in goroutines]
    index = array("I", [r for r, _ in members])
    ids = array("Q", [gid for _, gid in members])
    rng = random.Random(parent_seed)
    parents = array("Q", [rng.randrange(1 << 63) for r, _ in members if parented[r]])
    expected = traceback._split_members(index, slots, parented, ids, parents)
    assert scan.split_members(index, slots, parented, ids, parents) == expected
    user_ids, _, user_parents, _, runtime_ids, runtime_slots, runtime_parents, _ = expected
    assert len(user_ids) + len(runtime_ids) == len(ids)
    assert len(user_parents) + len(runtime_parents) == len(parents)
    assert all(s >= 0 for s in runtime_slots)


def test_the_c_split_of_members_refuses_what_does_not_add_up() -> None:
    scan = pytest.importorskip("goleash.dumps._scan")
    from array import array

    index, slots, parented = array("I", [0, 1]), array("i", [0, -1]), array("B", [1, 0])
    ids = array("Q", [5, 6])
    with pytest.raises(ValueError):
        scan.split_members(index, slots, parented, ids, array("Q"))  # a parent missing
    with pytest.raises(ValueError):
        scan.split_members(index, slots, parented, ids, array("Q", [1, 2]))  # one too many
    with pytest.raises(ValueError):
        scan.split_members(array("I", [0, 2]), slots, parented, ids, array("Q", [1]))
    with pytest.raises(TypeError):
        scan.split_members(index, slots, parented, [5, 6], array("Q", [1]))
