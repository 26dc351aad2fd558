"""The one model of "the call that started them has returned" against "a pool", rule by rule.

Each snapshot is the shape a real dump has (frames, creation sites, parent liveness, ids as the
traceback parser reports them); one signal changes between the positive and negative case.
"""

from __future__ import annotations

from goleash.analysis.ignore import default_packs
from goleash.analysis.suspects import assess, creator_of, one_burst
from goleash.model import Frame, Group, Snapshot, signature_of

PACKS = default_packs()
SRC = "/src/svc/main.go"


def group(
    fn: str,
    line: int,
    state: str,
    creator: str | None,
    *,
    count: int = 4,
    ids: tuple[int, ...] = (),
    with_parent: int | None = None,
    orphans: int = 0,
    returned: int = 0,
    labels: dict[str, str] | None = None,
    extra: tuple[Frame, ...] = (),
) -> Group:
    frames = (Frame(fn, SRC, line), *extra)
    created = Frame(creator, SRC, line - 2) if creator else None
    parents = count if with_parent is None and creator else (with_parent or 0)
    return Group(
        signature=signature_of(state, frames, created),
        state=state,
        frames=frames,
        created_by=created,
        count=count,
        orphans=orphans,
        creator_returned=returned,
        with_parent=parents,
        sample_ids=ids or tuple(range(40, 40 + min(count, 8))),
        labels=labels or {},
    )


MAIN = group("main.main", 90, "chan receive", None, count=1, ids=(1,))


def verdict(*groups: Group, fmt: str = "traceback") -> dict[str, tuple[bool, str]]:
    snap = Snapshot(groups=(MAIN, *groups), format=fmt, total=sum(g.count for g in groups) + 1)
    return {
        a.group.frames[0].function: (a.suspect, " ".join(a.reasons)) for a in assess(snap, PACKS)
    }


def test_receivers_left_by_repeated_calls_are_not_a_pool_of_the_returned_function() -> None:
    # main called leakyRecv in a loop with other helpers: ids interleave, main left leakyRecv
    left = group(
        "main.leakyRecv.func1",
        20,
        "chan receive",
        "main.leakyRecv",
        ids=(20, 23, 26, 29),
        returned=4,
    )
    suspect, why = verdict(left)["main.leakyRecv.func1"]
    assert suspect and "has left main.leakyRecv" in why and "pool" not in why


def test_a_pool_built_once_by_a_returned_constructor_is_not_suspect() -> None:
    pool = group(
        "main.(*resizer).work",
        30,
        "chan receive",
        "main.newResizer",
        count=8,
        ids=tuple(range(18, 26)),
        returned=8,
    )
    assert one_burst(pool)
    suspect, why = verdict(pool)["main.(*resizer).work"]
    assert not suspect and "built once" in why and "still running" not in why.split(",")[0]
    # the same goroutines carrying a request's labels were left behind by that request
    labelled = pool._replace(labels={"route": "/resize"})
    assert verdict(labelled)["main.(*resizer).work"][0]


def test_goroutines_of_the_function_writing_the_dump_outlived_it() -> None:
    # a test (or a deferred profile write) dumps goroutines it started and that still wait
    writer = group(
        "runtime/pprof.writeGoroutineStacks",
        700,
        "running",
        None,
        count=1,
        ids=(1,),
        extra=(Frame("main.TestFetch", SRC, 120),),
    )
    child = group(
        "main.TestFetch.func1", 110, "chan receive", "main.TestFetch", ids=(30, 31, 32, 33)
    )
    got = verdict(writer, child)
    assert got["main.TestFetch.func1"][0]
    assert "writing this dump" in got["main.TestFetch.func1"][1]
    # the same children while the test function is still at work (in IO) form a pool
    busy = writer._replace(
        state="IO wait", frames=(Frame("internal/poll.(*FD).Read", SRC, 1), *writer.frames)
    )
    assert not verdict(busy, child)["main.TestFetch.func1"][0]


def test_a_goroutine_waiting_for_stuck_children_is_stuck() -> None:
    # G1s, started in one burst by a returned call (a pool's shape), each wait on `done`; the
    # G3 that would close it is stuck on a lock nobody releases.
    g1 = group("main.run.func1", 50, "chan receive", "main.run", ids=(40, 41, 42, 43), returned=4)
    g3 = group(
        "main.(*stopper).stop",
        60,
        "sync.Mutex.Lock",
        "main.run.func1",
        ids=(44, 46, 48, 50),
        extra=(Frame("main.run.func1.2", SRC, 58),),
    )
    alone = verdict(g1)["main.run.func1"]
    assert not alone[0] and "built once" in alone[1]
    got = verdict(g1, g3)
    assert got["main.(*stopper).stop"][0]
    assert got["main.run.func1"][0] and "it waits for them in vain" in got["main.run.func1"][1]


def test_closures_name_their_creator_where_the_format_prints_none() -> None:
    g = group("main.lookup.func1", 37, "", None)
    assert creator_of(g) == "main.lookup"
    assert creator_of(group("main.worker", 12, "", None)) is None
    assert creator_of(group("main.start.gowrap3", 12, "", None)) == "main.start"


def test_a_loop_that_moved_to_another_p_midway_is_still_one_burst() -> None:
    # Subscribers started one by one by a helper that blocks between starts (registering each
    # with the broker): the starter moved to another P, whose id batch lies elsewhere.
    subs = group(
        "main.(*broker).subscribe.func1",
        172,
        "chan receive",
        "main.(*broker).subscribe",
        count=3,
        ids=(5, 44, 45),
        returned=3,
    )
    assert one_burst(subs)
    assert not verdict(subs)["main.(*broker).subscribe.func1"][0]
    # ids scattered over three runs: repeated calls interleaved with other goroutines
    assert not one_burst(subs._replace(sample_ids=(5, 20, 44)))


def test_stateless_send_in_a_literal_of_a_returned_function_is_left_behind() -> None:
    # debug=0: no creator, no parent; the literal's enclosing function is on no stack
    send = group("main.lookup.func1", 28, "chan send", None, with_parent=0)
    suspect, why = verdict(send, fmt="proto")["main.lookup.func1"]
    assert suspect and "function literal of main.lookup" in why
    # the enclosing function still runs (a goroutine waits inside it): no such signal
    caller = group("main.lookup", 31, "select", None, count=1, with_parent=0)
    assert "function literal" not in verdict(send, caller, fmt="proto")["main.lookup.func1"][1]
    # a receive in the same place is also the shape of a constructor's pool: never suspect alone
    recv = group("main.newPool.func1", 40, "chan receive", None, with_parent=0)
    assert not verdict(recv, fmt="proto")["main.newPool.func1"][0]


def test_nested_literals_of_a_blocked_literal_are_stuck_with_it() -> None:
    # debug=0: a request literal waits for its stopper; the stopper's task, a literal inside
    # that literal, waits for a signal only the blocked literal's code would give
    outer = group("main.serve.func1", 56, "chan receive", None, count=4, with_parent=0)
    inner = group("main.serve.func1.1", 48, "chan receive", None, count=4, with_parent=0)
    assert creator_of(inner) == "main.serve.func1"
    suspect, why = verdict(outer, inner, fmt="proto")["main.serve.func1.1"]
    assert suspect and "itself blocked" in why


def test_a_literal_pool_of_main_stays_a_pool_while_main_waits() -> None:
    # main.main parks on its stop channel after start-up; the log shipper it started is idle
    main = group("main.main", 122, "chan receive", None, count=1, with_parent=0)
    shipper = group("main.main.func1", 82, "chan receive", None, count=4, with_parent=0)
    for fmt in ("proto", "debug1"):
        state = "" if fmt == "debug1" else "chan receive"
        g = shipper._replace(state=state)
        m = main._replace(state=state)
        snap = Snapshot(groups=(m, g), format=fmt, total=5)
        (a,) = [a for a in assess(snap, PACKS) if a.group is g]
        assert not a.suspect and "stuck with it" not in " ".join(a.reasons), fmt


def test_signatures_never_change_between_releases() -> None:
    # Baselines, watch stores and ignore files keep signatures: a new release must read them.
    # This digest is the one goleash has always given this stack (blake2b, 8 bytes).
    created = Frame("main.start", "/src/app/s.go", 7)
    frames = (Frame("main.worker", "/src/app/w.go", 42),)
    assert signature_of("chan send", frames, created) == "5f86c88f9b9db0ed"
    assert signature_of("chan send", frames, None) != signature_of("chan send", frames, created)
