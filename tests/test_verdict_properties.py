"""Properties of the verdict on any snapshot: the runtime's proof is never overruled.

Snapshots are generated from frames the default ignore packs match (HTTP keep-alive loops, main
parked, the testing runner, os/signal, pprof) mixed with user frames, with `(leaked)` counts,
states and deadlock flags drawn at random.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from goleash.analysis.ignore import default_packs
from goleash.analysis.suspects import SUSPECT_THRESHOLD, assess
from goleash.analysis.view import DumpFilters, build_view
from goleash.model import Frame, Group, Snapshot, signature_of

PACKS = default_packs()

# Functions a pack covers, and the user's own.
PACKED = [
    ("net/http.(*persistConn).writeLoop", "/go/src/net/http/transport.go", 2601),
    ("net/http.(*persistConn).readLoop", "/go/src/net/http/transport.go", 2420),
    ("net/http.(*conn).serve", "/go/src/net/http/server.go", 2100),
    ("main.main", "/src/svc/main.go", 80),
    ("testing.(*T).Run", "/go/src/testing/testing.go", 1750),
    ("os/signal.signal_recv", "/go/src/runtime/sigqueue.go", 152),
    ("runtime/pprof.writeGoroutineStacks", "/go/src/runtime/pprof/pprof.go", 780),
]
USER = [
    ("example.com/svc.(*Server).lookup.func1", "/src/svc/lookup.go", 37),
    ("example.com/svc.worker", "/src/svc/pool.go", 12),
    ("main.handle", "/src/svc/main.go", 51),
]
PLUMBING = [
    ("sync.(*Mutex).Lock", "/go/src/sync/mutex.go", 46),
    ("sync.(*WaitGroup).Wait", "/go/src/sync/waitgroup.go", 118),
    ("internal/poll.(*FD).Read", "/go/src/internal/poll/fd_unix.go", 165),
]
STATES = [
    "chan send",
    "chan receive",
    "select",
    "IO wait",
    "sync.Mutex.Lock",
    "sync.WaitGroup.Wait",
    "sleep",
    "running",
    "select (no cases)",
    "",
]
CREATORS = [None, Frame("main.main", "/src/svc/main.go", 70)]
CREATORS += [Frame("net/http.(*Transport).dialConn", "/go/src/net/http/transport.go", 1950)]
CREATORS += [Frame("example.com/svc.(*Server).handle", "/src/svc/server.go", 40)]


@st.composite
def groups(draw: st.DrawFn) -> Group:
    frames = tuple(
        Frame(*f)
        for f in draw(st.lists(st.sampled_from(PLUMBING + PACKED + USER), min_size=1, max_size=4))
    )
    state = draw(st.sampled_from(STATES))
    creator = draw(st.sampled_from(CREATORS))
    count = draw(st.integers(1, 300))
    leaked = draw(st.sampled_from([0, 0, count, draw(st.integers(0, count))]))
    with_parent = draw(st.integers(0, count)) if creator is not None else 0
    orphans = draw(st.integers(0, with_parent))
    returned = draw(st.integers(0, with_parent - orphans))
    ids = tuple(sorted(draw(st.sets(st.integers(1, 5000), max_size=min(count, 8)))))
    return Group(
        signature=signature_of(state, frames, creator),
        state=state,
        frames=frames,
        created_by=creator,
        count=count,
        wait_minutes=draw(st.sampled_from([None, (1, 1), (3, 90)])),
        leaked=leaked,
        labels=draw(st.sampled_from([{}, {"route": "/api"}])),
        orphans=orphans,
        creator_returned=returned,
        with_parent=with_parent,
        sample_ids=ids,
    )


@st.composite
def snapshots(draw: st.DrawFn) -> Snapshot:
    gs = draw(st.lists(groups(), min_size=1, max_size=8, unique_by=lambda g: g.signature))
    return Snapshot(
        groups=tuple(gs),
        format=draw(st.sampled_from(["traceback", "debug1", "proto"])),
        total=sum(g.count for g in gs),
        deadlock=draw(st.booleans()),
    )


@settings(max_examples=120, deadline=None)
@given(snapshots())
def test_runtime_proof_is_never_overruled(snapshot: Snapshot) -> None:
    for a in assess(snapshot, PACKS):
        g = a.group
        pack = PACKS.match(g)
        if g.leaked:
            # a (leaked) mark: suspect, never hidden, and where a pack matched, said so
            assert a.suspect and a.ignored is None and a.suspicion >= 0.9, a
            assert a.proven
            assert a.overruled == pack
            if pack is not None:
                assert any(pack in r for r in a.reasons)
        elif snapshot.deadlock and a.kind not in ("running", "runnable"):
            assert a.suspect and a.ignored is None and a.suspicion == 1.0, a
            assert a.overruled == pack
        if a.ignored is not None:
            # a pack only hides what the runtime did not prove, and hides it completely
            assert not a.proven and a.ignored == pack
            assert a.suspicion == 0.0 and not a.suspect
        if a.overruled is not None:
            assert a.ignored is None and a.overruled == pack and a.suspect
        assert 0.0 <= a.suspicion <= 1.0
        assert a.suspect == (a.ignored is None and a.suspicion >= SUSPECT_THRESHOLD)


@settings(max_examples=80, deadline=None)
@given(snapshots(), st.booleans())
def test_exit_status_follows_the_proof(snapshot: Snapshot, show_all: bool) -> None:
    view = build_view([snapshot], PACKS, DumpFilters(include_ignored=show_all))
    proven = [a for a in assess(snapshot, PACKS) if a.proven]
    if proven:
        assert view.suspects >= 1  # exit status 1 whatever the packs say
    assert view.proven == sum(a.group.count for a in proven)
    # without --all no ignored group is shown, and no proven group is ever hidden
    shown = {a.group.signature for a in view.shown}
    assert {a.group.signature for a in proven} <= shown
    if not show_all:
        assert all(a.ignored is None for a in view.shown)
