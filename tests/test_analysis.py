"""Analysis of one snapshot: wait normalisation, ignore packs, suspicion, on real dumps.

The dumps come from tests/go/analysisshapes, scraped from its pprof endpoint during the test:
an idle pool of 8 workers, 6 senders orphaned by returned calls, the HTTP accept loop, idle
keep-alive connections, and (with -locks) goroutines parked on each sync primitive.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from goleash.analysis.ignore import load_ignore_packs
from goleash.analysis.suspects import SUSPECT_THRESHOLD, Assessment, assess, score
from goleash.analysis.waits import KINDS, classify, kind_of, normalise_state
from goleash.dumps import read_snapshots
from goleash.errors import InputError
from goleash.model import Frame, Group, Snapshot
from shapes import SHAPES_SRC, marker_line, one_connection, running_shapes

pytestmark = pytest.mark.slow


def _parse(data: bytes, name: str) -> Snapshot:
    snapshots = read_snapshots(io.BytesIO(data), source=name)
    assert len(snapshots) == 1
    return snapshots[0]


class _Dumps(dict[str, Snapshot]):
    """Raw captures, parsed on first use."""

    def __init__(self, raw: dict[str, bytes]) -> None:
        super().__init__()
        self.raw = raw

    def __missing__(self, key: str) -> Snapshot:
        self[key] = _parse(self.raw[key], key)
        return self[key]

    def all(self) -> list[Snapshot]:
        return [self[k] for k in self.raw]


@pytest.fixture(scope="module")
def leaky() -> _Dumps:
    with running_shapes("-locks") as addr, one_connection(addr) as get:
        raw = {
            "debug2": get("/debug/pprof/goroutine?debug=2"),
            "debug1": get("/debug/pprof/goroutine?debug=1"),
            "proto": get("/debug/pprof/goroutine?debug=0"),
            "leak2": get("/debug/pprof/goroutineleak?debug=2"),
        }
    return _Dumps(raw)


@pytest.fixture(scope="module")
def healthy() -> _Dumps:
    with running_shapes("-leaks", "0") as addr, one_connection(addr) as get:
        raw = {
            "debug2": get("/debug/pprof/goroutine?debug=2"),
            "proto": get("/debug/pprof/goroutine?debug=0"),
            "leak2": get("/debug/pprof/goroutineleak?debug=2"),
        }
    return _Dumps(raw)


def _at(assessments: list[Assessment], marker: str) -> Assessment:
    """The assessment of the group blocked at the line carrying MARKER in analysisshapes."""
    line = marker_line(marker)
    found = [
        a
        for a in assessments
        if a.group.blocking_site is not None
        and a.group.blocking_site.file.endswith("analysisshapes/main.go")
        and a.group.blocking_site.line == line
    ]
    assert len(found) == 1, f"{marker}: {[a.group.blocking_site for a in assessments]}"
    return found[0]


PACKS = load_ignore_packs(None)


# --- wait normalisation -------------------------------------------------------------------


SYNC_STATES = {
    "// SYNC: mutex": ("sync.Mutex.Lock", "mutex"),
    "// SYNC: rwmutex": ("sync.RWMutex.RLock", "rwmutex"),
    "// SYNC: waitgroup": ("sync.WaitGroup.Wait", "waitgroup"),
    "// SYNC: cond": ("sync.Cond.Wait", "cond"),
    "// LEAK:": ("chan send", "chan-send"),
    "// POOL:": ("chan receive", "chan-receive"),
}


@pytest.mark.parametrize("fmt", ["debug2", "proto"])
@pytest.mark.parametrize("marker", list(SYNC_STATES))
def test_wait_reason_and_kind_agree_across_formats(leaky: _Dumps, fmt: str, marker: str) -> None:
    # debug=2 prints the wait reason; the protobuf has none and it is inferred from runtime
    # frames. Both must name the same wait.
    a = _at(assess(leaky[fmt], PACKS), marker)
    assert (a.state, a.kind) == SYNC_STATES[marker]


def test_old_semacquire_spelling_is_named_by_the_sync_frames(leaky: _Dumps) -> None:
    # Before Go 1.20 (WaitGroup: 1.25) these waits printed `semacquire`. The frames of the
    # protobuf capture are the real frames under such a wait; only the state string is the
    # old spelling.
    for marker, (state, _) in SYNC_STATES.items():
        if not marker.startswith("// SYNC"):
            continue
        group = _at(assess(leaky["proto"], PACKS), marker).group
        assert normalise_state("semacquire", group.frames) == state


def test_flags_in_states_are_dropped() -> None:
    assert normalise_state("chan send (durable)", ()) == "chan send"
    assert normalise_state("sync.WaitGroup.Wait (durable)", ()) == "sync.WaitGroup.Wait"
    assert normalise_state("select (no cases) (leaked)", ()) == "select (no cases)"
    assert kind_of("select (no cases)") == "select-no-cases"
    assert kind_of("chan receive (nil chan)") == "nil-chan"
    assert kind_of("GC worker (idle)") == "other"


def test_every_group_gets_a_known_kind(leaky: _Dumps) -> None:
    for snap in leaky.all():
        for g in snap.groups:
            assert classify(g).kind in KINDS


def test_debug1_infers_io_wait_and_sync_waits_from_first_visible_frame(
    leaky: _Dumps,
) -> None:
    states = {classify(g).state for g in leaky["debug1"].groups}
    # debug=1 hides runtime frames but keeps internal/poll and sync ones.
    assert {"IO wait", "sync.WaitGroup.Wait", "sync.Cond.Wait"} <= states


# --- ignore packs -------------------------------------------------------------------------


def _packs_of(snapshot: Snapshot) -> dict[str, int]:
    packs: dict[str, int] = {}
    for a in assess(snapshot, PACKS):
        if a.ignored is not None:
            packs[a.ignored] = packs.get(a.ignored, 0) + a.group.count
    return packs


@pytest.mark.parametrize("fmt", ["debug2", "proto", "leak2"])
def test_background_goroutines_are_covered_by_their_packs(healthy: _Dumps, fmt: str) -> None:
    packs = _packs_of(healthy[fmt])
    # accept loop, os/signal loop, the pprof handler serving the scrape, main parked on its
    # signal channel, and 2 idle keep-alive connections (server conn + client read and write
    # loops each).
    assert packs.get("accept-loop") == 1
    assert packs.get("os/signal") == 1
    assert packs.get("pprof") == 1
    assert packs.get("http-keepalive", 0) >= 6
    if fmt != "proto":  # the protobuf names main's wait by frames only; checked below
        assert packs.get("main") == 1


def test_the_worker_pool_and_the_leak_are_not_ignored(leaky: _Dumps) -> None:
    assessments = assess(leaky["debug2"], PACKS)
    assert _at(assessments, "// POOL:").ignored is None
    assert _at(assessments, "// LEAK:").ignored is None


def test_config_file_adds_a_pack(
    leaky: _Dumps, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".goleash.toml").write_text(
        "[[dump.ignore]]\n"
        'name = "slow-backend"\n'
        "function = 'main\\.lookup\\.func'\n"
        'where = "blocking"\n'
        'reason = "known, fixed in the next release"\n'
    )
    monkeypatch.chdir(tmp_path)
    packs = load_ignore_packs(None)  # found in the current directory
    a = _at(assess(leaky["debug2"], packs), "// LEAK:")
    assert a.ignored == "slow-backend"
    assert not a.suspect
    assert "known, fixed in the next release" in a.reasons[0]
    # the same file given explicitly, from elsewhere
    monkeypatch.chdir(SHAPES_SRC.parent)
    explicit = load_ignore_packs(tmp_path / ".goleash.toml")
    assert _at(assess(leaky["debug2"], explicit), "// LEAK:").ignored == "slow-backend"


def test_config_where_creator(leaky: _Dumps, tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[[dump.ignore]]\nname = "pool"\nprefix = "main.startPool"\nwhere = "creator"\n')
    a = _at(assess(leaky["debug2"], load_ignore_packs(cfg)), "// POOL:")
    assert a.ignored == "pool"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[dump.ignore]]\nname = 'x'\nfunction = 'main.(*T'\n", "invalid regular expression"),
        ("[[dump.ignore]]\nname = 'x'\nfunction = 'a'\nwhere = 'top-ish'\n", "where must be"),
        ("[[dump.ignore]]\nfunction = 'a'\n", "needs a name"),
        ("[[dump.ignore]]\nname = 'x'\n", "exactly one of function"),
        ("[[dump.ignore]]\nname = 'x'\nprefix = 'a'\ncolour = 'red'\n", "unknown keys: colour"),
        ("[dump\n", "invalid TOML"),
    ],
)
def test_bad_config_is_an_input_error(tmp_path: Path, text: str, message: str) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text(text)
    with pytest.raises(InputError, match=message) as err:
        load_ignore_packs(cfg)
    assert str(cfg) in str(err.value) and "\n" not in str(err.value)


def test_missing_config_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such config file"):
        load_ignore_packs(tmp_path / "absent.toml")


# --- suspicion ----------------------------------------------------------------------------


def test_idle_pool_ranks_below_orphaned_senders(leaky: _Dumps) -> None:
    assessments = assess(leaky["debug2"], PACKS)
    pool, senders = _at(assessments, "// POOL:"), _at(assessments, "// LEAK:")
    assert (pool.group.count, senders.group.count) == (8, 6)
    assert senders.group.orphans == 6
    assert assessments.index(senders) < assessments.index(pool)
    assert senders.suspect and not pool.suspect
    assert pool.suspicion < SUSPECT_THRESHOLD <= senders.suspicion
    assert any(
        "the call that started them has returned" in r and "6 of 6 orphaned" in r
        for r in senders.reasons
    )
    assert any("main.go:" in r and "chan send" in r for r in senders.reasons)
    assert any("pool" in r for r in pool.reasons)


def test_lock_waiters_orphaned_by_a_returned_call_are_suspect(leaky: _Dumps) -> None:
    assessments = assess(leaky["debug2"], PACKS)
    for marker in ("// SYNC: mutex", "// SYNC: rwmutex", "// SYNC: waitgroup", "// SYNC: cond"):
        assert _at(assessments, marker).suspect, marker


def test_goroutineleak_mark_makes_a_group_suspect(leaky: _Dumps) -> None:
    assessments = assess(leaky["leak2"], PACKS)
    senders = _at(assessments, "// LEAK:")
    assert senders.group.leaked == 6
    assert senders.suspicion >= 0.9
    assert "goroutineleak" in senders.reasons[0]
    # the pool's channel is reachable from a handler: the runtime does not call it leaked
    pool = _at(assessments, "// POOL:")
    assert pool.group.leaked == 0 and not pool.suspect


@pytest.mark.parametrize("fmt", ["debug2", "proto", "leak2"])
def test_healthy_service_has_no_suspect(healthy: _Dumps, fmt: str) -> None:
    suspects = [a for a in assess(healthy[fmt], PACKS) if a.suspect]
    assert suspects == []


def test_assessments_are_sorted(leaky: _Dumps) -> None:
    for snap in leaky.all():
        keys = [(-a.suspicion, -a.group.count) for a in assess(snap, PACKS)]
        assert keys == sorted(keys)
        assert all(0.0 <= a.suspicion <= 1.0 for a in assess(snap, PACKS))


# Scoring arithmetic on groups derived from a real one (only the signal under test changes).


@pytest.fixture(scope="module")
def sender_group(leaky: _Dumps) -> Group:
    return _at(assess(leaky["debug2"], PACKS), "// LEAK:").group


def _s(group: Group) -> float:
    wait = classify(group)
    return score(group, wait.state, wait.kind)[0]


def test_longer_waits_raise_suspicion(sender_group: Group) -> None:
    base = sender_group._replace(orphans=0, with_parent=0)
    values = [_s(base._replace(wait_minutes=w)) for w in (None, (1, 1), (10, 12), (60, 600))]
    assert values == sorted(values) and values[0] < values[-1]


def test_more_goroutines_raise_suspicion(sender_group: Group) -> None:
    base = sender_group._replace(orphans=0, with_parent=0)
    values = [_s(base._replace(count=n)) for n in (1, 3, 10, 100)]
    assert values == sorted(values) and values[0] < values[-1]


def test_leaked_mark_floor(sender_group: Group) -> None:
    for kind_state in ("IO wait", "running", "chan send"):
        g = sender_group._replace(state=kind_state, orphans=0, with_parent=0, leaked=1)
        assert _s(g) >= 0.9


def test_running_goroutines_are_never_suspect(sender_group: Group) -> None:
    g = sender_group._replace(state="running", count=1000, wait_minutes=(600, 600))
    assert _s(g) < SUSPECT_THRESHOLD


def test_many_orphaned_sleepers_are_suspect_a_single_one_is_not() -> None:
    frames = (
        Frame("time.Sleep", "/go/src/runtime/time.go", 363),
        Frame("example.com/svc.pollForever", "/src/svc/poll.go", 12),
    )
    creator = Frame("example.com/svc.(*Server).handle", "/src/svc/server.go", 40)
    many = Group("s", "sleep", frames, creator, count=40, orphans=40, with_parent=40)
    one = many._replace(count=1, orphans=1, with_parent=1)
    assert _s(many) >= SUSPECT_THRESHOLD > _s(one)
