"""Which groups of one snapshot look like leaks, how strongly, and why.

Two kinds of evidence exist. **Proof** comes from the runtime: a ``(leaked)`` mark from the
goroutineleak profile, or a ``fatal error: all goroutines are asleep - deadlock!`` dump, where
every blocked goroutine can never run again. Proof always makes a group suspect: no ignore pack
and no pool shape overrules it (the report says where a pack would have matched).

Without proof, a dump carries **signals**, each adding to (or taking from) a group's suspicion:

- the kind of wait: a goroutine blocked on a channel, lock, WaitGroup or Cond can only leave
  when someone else acts; ``select {}`` and nil channels never leave; I/O, sleep, syscalls and
  running goroutines are usually busy or idle, not stuck;
- how long it has waited (``N minutes`` in ``debug=2`` headers);
- how many goroutines wait at the same place;
- whether **the call that started them has returned**. The creation site (``created by F in
  goroutine N``) and the parent's current stack decide it: the parent has exited, or it is
  alive but ``F`` is no longer on its stack. Goroutines left behind by a returned call are a
  leak signal whatever they wait on;
- against these, the shape of a **pool**: goroutines started once (one burst of consecutive
  ids), by start-up code (``main.main``, ``init``) or by a call still running, waiting to
  receive work. A call "still running" that is itself blocked on a channel or lock does not
  count: its children are stuck with it.

``debug=1`` and protobuf profiles print no states, wait times, ids or parents: their waits are
inferred from frames, and what they cannot tell is said in the report.

``SUSPECT_THRESHOLD``: a group whose suspicion is at least 0.5 is *suspect*. Reports, the JSON
contract and the exit status of ``goleash dump`` all rely on this value.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from itertools import pairwise

from goleash.analysis.ignore import IgnorePacks
from goleash.analysis.waits import Wait, classify
from goleash.model import Frame, Group, Snapshot
from goleash.records import NamedTuple

SUSPECT_THRESHOLD = 0.5
"""Suspicion at or above which a group is reported as a suspected leak."""

# Kinds a goroutine can only leave when another goroutine acts (sends, unlocks, calls Done…).
_NEEDS_ANOTHER = frozenset(
    {"chan-send", "chan-receive", "select", "mutex", "rwmutex", "waitgroup", "cond"}
)
# Kinds that can never end at all.
_FOREVER = frozenset({"select-no-cases", "nil-chan"})
# Kinds that are busy or idle by nature; one dump cannot call them stuck.
_IDLE = frozenset({"io-wait", "sleep", "syscall"})
# Kinds an idle worker waits in: for work on a channel, or for a queue's Cond signal.
_POOL_KINDS = frozenset({"chan-receive", "select", "cond"})
_ACTIVE = frozenset({"running", "runnable"})

_BASE: dict[str, float] = {
    # A send, a lock or a WaitGroup wait is not the shape of anything idle: a healthy service
    # passes through them in microseconds, so a dump rarely catches one.
    "chan-send": 0.45,
    "mutex": 0.45,
    "rwmutex": 0.45,
    "waitgroup": 0.4,
    # Receives, selects and Cond waits are also how idle workers wait for work.
    "chan-receive": 0.3,
    "select": 0.3,
    "cond": 0.3,
    "select-no-cases": 0.6,
    "nil-chan": 0.6,
    "io-wait": 0.1,
    "sleep": 0.1,
    "syscall": 0.05,
    "running": 0.0,
    "runnable": 0.0,
    "other": 0.2,
}

# A pool larger than this is not "a fixed pool sized at start-up" in any service we know of.
_POOL_MAX = 256

# (at least, bonus) steps, largest first: goroutines on one site, and minutes waited.
_CROWD = ((100, 0.15), (10, 0.1), (3, 0.05))
_PATIENCE = ((60, 0.15), (10, 0.1), (1, 0.05))

# The weight of "the call that started them has returned", times the share of the group.
_RETURNED = 0.3


class Context(NamedTuple):
    """What the rest of the snapshot says about one group (see ``group_context``)."""

    # A WaitGroup waiter none of whose possible workers is alive: nobody will call Done.
    no_workers_left: bool = False
    # The function that started the group is on its parent's stack, but every goroutine that
    # runs it is itself blocked: "where" it is blocked, else None.
    creator_blocked_at: str | None = None
    # The function that started the group is on its parent's stack only because that parent is
    # writing this very dump (a test's leak check, a deferred profile write): its work is done.
    creator_dumping: bool = False
    # Goroutines this group started (their creator is on its stack) are themselves suspect:
    # "how many at where", else None. A goroutine waiting on stuck children is stuck too.
    children_stuck: str | None = None
    # The runtime printed "all goroutines are asleep - deadlock!".
    deadlock: bool = False
    # The dump prints no states, wait times or parents (debug=1, protobuf).
    stateless_format: bool = False
    # Where the format prints no creator: the goroutine runs a function literal whose enclosing
    # function (named here) is on no live stack and is not start-up code, so the call that
    # started it has returned; whether it started them once, like a pool, cannot be told.
    literal_left: str | None = None


class Assessment(NamedTuple):
    """One group's verdict: how suspect it is, and the reasons a user can check."""

    group: Group
    state: str  # normalised wait reason ("" when the dump does not say)
    kind: str  # one of goleash.analysis.waits.KINDS
    suspicion: float  # in [0, 1]; suspect when >= SUSPECT_THRESHOLD
    reasons: tuple[str, ...]
    ignored: str | None = None  # the ignore pack that covers the group
    # The ignore pack that would have covered the group, had the runtime not proved it leaked.
    overruled: str | None = None
    proven: bool = False  # a (leaked) mark or a deadlock dump proves the group can never run
    runtime: bool = False  # a runtime system goroutine or g0 stack, counted apart

    @property
    def suspect(self) -> bool:
        """True when the group is reported as a suspected leak."""
        return self.ignored is None and self.suspicion >= SUSPECT_THRESHOLD


def _where(frame: Frame | None) -> str:
    if frame is None:
        return "an unknown place"
    return f"{frame.file_name}:{frame.line}"


def _goroutines(n: int) -> str:
    return f"{n} goroutine" if n == 1 else f"{n} goroutines"


def _minutes(text: str, high: int) -> str:
    return f"{text} minute" if high == 1 and "–" not in text else f"{text} minutes"


def _step(value: int, steps: tuple[tuple[int, float], ...]) -> float:
    """The bonus of the first step ``value`` reaches, or 0."""
    return next((bonus for least, bonus in steps if value >= least), 0.0)


def _is_startup(creator: Frame | None) -> bool:
    return creator is not None and _startup_name(creator.function)


def _startup_name(fn: str) -> bool:
    return fn == "main.main" or fn.startswith(("main.main.", "main.init")) or ".init." in fn


def one_burst(group: Group) -> bool:
    """True when the group's goroutines look started together, by one call (a pool's shape).

    Goroutine ids are handed out in order; goroutines started by one loop get consecutive ids
    (each P hands out ids from its own cached batch: a loop whose goroutine moves to another P
    midway continues from that P's batch, anywhere in the id space, hence one gap of any size).
    Goroutines left behind by repeated calls interleave with the other goroutines those calls
    started. Only the few ids the snapshot keeps per group are looked at; a single goroutine is
    not a burst.
    """
    ids = sorted(set(group.sample_ids))
    if group.count < 2 or len(ids) < 2:
        return False
    return sum(1 for a, b in pairwise(ids) if b != a + 1) <= 1


def _blocked_phrase(state: str, kind: str) -> str:
    if kind == "other" and not state:
        return "parked"
    return f"blocked on {state}" if kind not in _ACTIVE else state


def score(
    group: Group, state: str, kind: str, *, context: Context | None = None
) -> tuple[float, tuple[str, ...]]:
    """Suspicion of one group and the reasons behind it (pure; no ignore packs involved)."""
    ctx = context or Context()
    n = group.count
    reasons: list[str] = []
    s = _BASE.get(kind, 0.2)
    site = _where(group.blocking_site)
    # debug=1 and protobuf profiles say nothing of creators or parents.
    stateless = ctx.stateless_format or (group.with_parent == 0 and group.created_by is None)
    parked_in_user_code = _parked_in_user_code(kind, state, group)
    if parked_in_user_code:
        # debug=1 hides gopark/chansend/chanrecv/selectgo: a stack that starts in the user's
        # own code is parked on a channel operation or select there.
        s = _BASE["chan-receive"]
    waiting = kind in _NEEDS_ANOTHER or kind in _FOREVER or parked_in_user_code
    blocked = kind not in _ACTIVE

    if kind in _FOREVER:
        reasons.append(f"{_goroutines(n)} {_blocked_phrase(state, kind)} at {site}: never returns")
    elif kind in _NEEDS_ANOTHER:
        reasons.append(
            f"{_goroutines(n)} {_blocked_phrase(state, kind)} at {site}: "
            "only another goroutine can release them"
        )
    elif parked_in_user_code:
        reasons.append(
            f"{_goroutines(n)} parked at {site} on a channel operation or select "
            "(this format does not say which)"
        )
    elif kind in _ACTIVE:
        reasons.append(f"{_goroutines(n)} {state} at {site}: busy, not blocked")
    else:
        reasons.append(f"{_goroutines(n)} {_blocked_phrase(state, kind)} at {site}")

    # Many goroutines on one site: leaks accumulate, healthy waits rarely do.
    if waiting or kind == "other":
        s += _step(n, _CROWD)

    if group.wait_minutes is not None and (waiting or kind == "other"):
        low, high = group.wait_minutes
        span = _minutes(f"{low}" if low == high else f"{low}–{high}", high)
        s += _step(high, _PATIENCE)
        reasons.append(f"waiting {span}")

    pool = False
    creator = creator_of(group) or "their creator"
    returned = group.orphans + group.creator_returned
    burst = one_burst(group)
    if group.with_parent and returned:
        # The call that started them has returned: the parent goroutine has exited, or it runs
        # on but has left the function with the `go` statement.
        frac = returned / group.with_parent
        once = (burst or n == 1) and group.orphans == 0 and n <= _POOL_MAX
        if kind in _POOL_KINDS and once and not group.labels:
            # Started once (one goroutine, or one burst of consecutive ids) by a constructor
            # that returned to a parent still running, such as main's start-up calling
            # startPool or newFlusher: the shape of a pool or background loop built once.
            # Request labels say a request started them instead: no pool of it is left behind.
            pool = True
            reasons.append(
                f"started once by {creator}, which has returned to a goroutine still running: "
                "the shape of a pool or background loop built once"
            )
        else:
            if waiting or kind == "other":
                s += _RETURNED * frac
            elif kind == "sleep" and returned >= 2:
                # A `for { time.Sleep }` loop per request: each looks idle, together they leak.
                s += _RETURNED * frac + 0.15
            elif kind in _IDLE:
                s += 0.1 * frac
            parts = []
            if group.orphans:
                parts.append(
                    f"their parent goroutine has exited ({group.orphans} of "
                    f"{group.with_parent} orphaned)"
                )
            if group.creator_returned:
                parts.append(
                    f"their parent still runs but has left {creator} "
                    f"({group.creator_returned} of {group.with_parent})"
                )
            reasons.append(f"the call that started them has returned: {'; '.join(parts)}")
    elif (
        ctx.creator_dumping
        and (group.with_parent or group.created_by is None)
        # (main writing a dump midway has not finished: what its start-up built to wait for
        # work is a pool, as below)
        and not (
            (kind in _POOL_KINDS or parked_in_user_code) and _startup_name(creator_of(group) or "")
        )
    ):
        # Like goleak at the end of a test: what the finished call started and is still blocked
        # has outlived the work it was started for.
        if waiting or kind == "other":
            s += _RETURNED
        reasons.append(
            f"started by {creator}, whose goroutine is now writing this dump (a test or a "
            "deferred check): they outlived the call that started them"
        )
    elif (
        (group.with_parent or group.created_by is None)
        and ctx.creator_blocked_at is not None
        and blocked
        and not (
            (kind in _POOL_KINDS or parked_in_user_code) and _startup_name(creator_of(group) or "")
        )
    ):
        # (main parked for the life of the process has finished its start-up: its pools are
        # pools, not goroutines stuck with it.)
        # Started by a call still on its parent's stack, but that parent is itself stuck.
        if waiting:
            s += 0.15
        reasons.append(
            f"started by {creator}, which is itself blocked ({ctx.creator_blocked_at}): "
            "stuck with it, not a pool"
        )
    elif kind in _POOL_KINDS and n <= _POOL_MAX:
        running_call = group.with_parent > 0
        if running_call or _is_startup(group.created_by):
            pool = True
            why = (
                "a call still running on its parent goroutine" if running_call else "start-up code"
            )
            name = group.created_by.function if group.created_by else "its creator"
            reasons.append(f"looks like a pool waiting for work: started by {name}, {why}")

    if ctx.children_stuck is not None and waiting and kind != "select":
        # (A select may also wait on a deadline, which one dump cannot see.)
        pool = False
        s += 0.25
        reasons.append(
            f"the goroutines it started are stuck ({ctx.children_stuck}): it waits for them in vain"
        )

    if kind == "waitgroup" and ctx.no_workers_left:
        s += 0.3
        reasons.append("no goroutine it could be waiting for is left: nobody will call Done")

    if ctx.literal_left is not None and not group.leaked and kind in _NEEDS_ANOTHER - _POOL_KINDS:
        # A send, lock or WaitGroup wait is no pool's shape: left behind by the call. (A
        # receive or select has the shape of a pool built by a constructor too, which this
        # format cannot tell apart: no signal there.)
        s += _RETURNED
        reasons.append(
            f"run a function literal of {ctx.literal_left}, which is on no goroutine's stack: "
            "left behind by a call that has returned"
        )

    labelled = bool(group.labels) and not pool
    if labelled and (waiting or kind == "other" or (kind == "sleep" and n >= 2)):
        # Goroutines inherit pprof labels from the request (or job) that started them.
        text = ", ".join(f"{k}={v}" for k, v in sorted(group.labels.items()))
        s += 0.45 if kind == "sleep" and stateless else 0.2
        reasons.append(f"carry the labels of the request that started them ({text})")
    if stateless and (kind in _FOREVER or kind in _NEEDS_ANOTHER - _POOL_KINDS):
        # A blocked send or lock is not the shape of an idle pool, which waits to receive.
        s += 0.1

    if kind in _ACTIVE:
        s = min(s, 0.1)

    if group.leaked:
        s = max(s, 0.95 if group.leaked >= n else 0.9)
        reasons.insert(
            0,
            f"marked leaked by the runtime's goroutineleak profile ({group.leaked} of {n})",
        )
    elif ctx.deadlock and blocked:
        s = 1.0
        reasons.insert(
            0,
            "the runtime found a deadlock (all goroutines are asleep): none of them can ever "
            "run again",
        )
    elif pool:
        s = min(s - 0.25, SUSPECT_THRESHOLD - 0.1)

    return round(min(1.0, max(0.0, s)), 2), tuple(reasons)


def _no_workers_left(group: Group, creators: Counter[str]) -> bool:
    """A WaitGroup waiter none of whose possible workers is alive.

    Workers are usually started by the function that waits (``wg.Wait()`` in the handler) or by
    the function that started the waiter (``go func(){ wg.Wait(); close(done) }()``). When the
    dump names creators and no live goroutine was started by either, the Done calls that are
    missing will never come. Workers started elsewhere (a shared pool) defeat this signal, so
    it only adds to the score.
    """
    if group.created_by is None:
        return False
    own = group.created_by.function
    site = group.blocking_site
    candidates = {own} | ({site.function} if site is not None else set())
    # The group itself counts once among the creators; only other groups can be its workers.
    return all(creators[c] - (c == own) <= 0 for c in candidates)


# The default of the mappings below: shared, so never changed.
_NOTHING: Mapping[str, tuple[tuple[str, Group, bool], ...]] = {}
_NO_WAITS: Mapping[int, Wait] = {}


class _SnapshotFacts(NamedTuple):
    """Per-snapshot lookups that several groups share."""

    creators: Counter[str]
    # function -> (kind, where, writing the dump) of the groups whose stacks hold it
    running_in: Mapping[str, tuple[tuple[str, Group, bool], ...]] = _NOTHING
    deadlock: bool = False
    stateless: bool = False
    waits: Mapping[int, Wait] = _NO_WAITS  # by id() of the group


def closure_holder(name: str) -> str | None:
    """The function whose code holds the closure or ``go`` wrapper that ``name`` names, or
    None when it names none. A closure is named after the function that holds it:
    ``main.handle.func1`` -> ``main.handle``; a literal inside a literal,
    ``main.handle.func1.2`` -> ``main.handle.func1``; a ``go f(x)`` wrapper,
    ``main.start.gowrap3`` -> ``main.start``.

    What ``re.match(r"^.+?\\.(?:func|gowrap)\\d+(?:\\.\\d+)*$", name)`` accepts (for names
    without a newline, as function names are), read by hand: ``re`` costs start-up time.
    """
    steps = name.split(".")
    last = len(steps) - 1
    while last > 0 and steps[last].isdecimal():  # the ".2" steps of literals in literals
        last -= 1
    closure = steps[last]
    for kind in ("func", "gowrap"):
        if closure.startswith(kind) and closure[len(kind) :].isdecimal():
            holder = ".".join(steps[:last])
            return name.rpartition(".")[0] if holder and "\n" not in name else None
    return None


def creator_of(group: Group) -> str | None:
    """The function that started the group: its ``created by`` frame, or, in formats that do
    not print one (debug=1, protobuf), the function that holds the closure the goroutine runs
    (for a literal inside a literal, the enclosing literal: that is the code that started it)."""
    if group.created_by is not None:
        return group.created_by.function
    for frame in reversed(group.frames):
        if frame.function.startswith(("runtime.", "internal/runtime/")):
            continue
        return closure_holder(frame.function)
    return None


def _parked_in_user_code(kind: str, state: str, group: Group) -> bool:
    """debug=1 hides gopark/chansend/chanrecv/selectgo: a stack with no state that starts in the
    user's own code is parked on a channel operation or select there."""
    return kind == "other" and not state and bool(group.frames) and not group.frames[0].is_plumbing


def _facts(snapshot: Snapshot) -> _SnapshotFacts:
    creators = Counter(g.created_by.function for g in snapshot.groups if g.created_by)
    wanted = set(creators) | {c for g in snapshot.groups if (c := creator_of(g)) is not None}
    running_in: dict[str, list[tuple[str, Group, bool]]] = {}
    waits: dict[int, Wait] = {}
    for g in snapshot.groups:
        waits[id(g)] = wait = classify(g)
        hits = wanted.intersection([f.function for f in g.frames])
        if not hits:
            continue
        kind = wait.kind
        dumping = kind in _ACTIVE and any(f.function.startswith(_DUMP_WRITERS) for f in g.frames)
        for fn in hits:
            running_in.setdefault(fn, []).append((kind, g, dumping))
    return _SnapshotFacts(
        creators=creators,
        running_in={k: tuple(v) for k, v in running_in.items()},
        deadlock=snapshot.deadlock,
        stateless=snapshot.format in ("debug1", "proto"),
        waits=waits,
    )


# Functions a goroutine runs while it writes a dump of all goroutines.
_DUMP_WRITERS: tuple[str, ...] = ("runtime/pprof.", "runtime.Stack")


def group_context(
    group: Group, kind: str, facts: _SnapshotFacts, children_stuck: str | None = None
) -> Context:
    """What the snapshot says around one group: workers left, whether its creator is stuck."""
    no_workers = kind == "waitgroup" and _no_workers_left(group, facts.creators)
    blocked_at = None
    dumping = False
    creator = creator_of(group)
    known_parent = group.created_by is not None and group.with_parent and not group.orphans
    if creator is not None and (known_parent or group.created_by is None):
        holders = facts.running_in.get(creator, ())
        # Every goroutine running the creator waits on a channel or lock: the call that
        # started this group is in progress only in name.
        if holders and all(
            k in _NEEDS_ANOTHER or k in _FOREVER or _parked_in_user_code(k, h.state, h)
            for k, h, _ in holders
        ):
            k, h, _ = holders[0]
            how = "a channel operation or select" if k == "other" else k.replace("-", " ")
            blocked_at = f"on {how} at {_where(h.blocking_site)}"
        dumping = bool(holders) and all(d for _, _, d in holders)
    literal_left = None
    if (
        facts.stateless
        and group.created_by is None
        and creator is not None
        and creator not in facts.running_in
        and not _startup_name(creator)
    ):
        literal_left = creator
    return Context(
        literal_left=literal_left,
        no_workers_left=no_workers,
        creator_blocked_at=blocked_at,
        creator_dumping=dumping,
        children_stuck=children_stuck,
        deadlock=facts.deadlock,
        stateless_format=facts.stateless,
    )


def _assess(
    group: Group,
    ignore: IgnorePacks,
    facts: _SnapshotFacts,
    children_stuck: str | None = None,
    *,
    unmatched: bool = False,
) -> Assessment:
    """``unmatched``: the caller already knows that no ignore rule covers the group."""
    wait = facts.waits.get(id(group)) or classify(group)
    ctx = group_context(group, wait.kind, facts, children_stuck)
    suspicion, reasons = score(group, wait.state, wait.kind, context=ctx)
    proven = group.leaked > 0 or (ctx.deadlock and wait.kind not in _ACTIVE)
    rule = None if unmatched else ignore.match_rule(group)
    if rule is None:
        return Assessment(group, wait.state, wait.kind, suspicion, reasons, proven=proven)
    if proven:
        # The runtime's proof wins over a heuristic: say which pack would have hidden it.
        note = (
            f"the ignore pack {rule.name!r} would hide this group ({rule.reason}), "
            "but the runtime's proof wins"
        )
        return Assessment(
            group,
            wait.state,
            wait.kind,
            suspicion,
            (*reasons, note),
            overruled=rule.name,
            proven=True,
        )
    # Ignored groups are never suspect; the score says so too, so scripts reading JSON with
    # `suspicion >= 0.5` agree with the exit status.
    reasons = (f"ignored ({rule.name}): {rule.reason}", *reasons)
    return Assessment(group, wait.state, wait.kind, 0.0, reasons, rule.name)


def assess_group(
    group: Group, ignore: IgnorePacks, *, creators: Counter[str] | None = None
) -> Assessment:
    """The verdict on one group seen alone; ``creators`` counts the snapshot's groups per
    creator function (used for WaitGroup waiters)."""
    return _assess(group, ignore, _SnapshotFacts(creators=creators or Counter()))


def assess(snapshot: Snapshot, ignore: IgnorePacks) -> list[Assessment]:
    """Every group of the snapshot, most suspect first (then largest, then by signature)."""
    facts = _facts(snapshot)
    result = [_assess(g, ignore, facts) for g in snapshot.groups]
    # A goroutine that waits while the goroutines it started are stuck is stuck with them: a
    # second pass over the waiting groups that are not suspect yet.
    stuck: dict[str, Assessment] = {}
    for a in result:
        fn = creator_of(a.group) if a.suspect else None
        if fn is not None and (fn not in stuck or a.group.count > stuck[fn].group.count):
            stuck[fn] = a
    if stuck:
        for i, a in enumerate(result):
            # (only a wait on a channel, other than a select, or a lock can be a wait for
            # stuck children; see score)
            if a.suspect or a.ignored is not None or a.kind in _ACTIVE or a.kind in _IDLE:
                continue
            if a.kind == "select":
                continue
            children = [
                stuck[f.function]
                for f in a.group.frames
                if f.function in stuck and stuck[f.function].group is not a.group
            ]
            if children:
                child = children[0]
                where = f"{_goroutines(child.group.count)} at {_where(child.group.blocking_site)}"
                result[i] = _assess(a.group, ignore, facts, where, unmatched=True)
    by_creator: dict[str, list[Assessment]] = {}
    for a in result:
        if a.suspect and a.group.created_by is not None:
            by_creator.setdefault(a.group.created_by.function, []).append(a)
    if by_creator:
        result = [_pair_of_suspect(a, by_creator) for a in result]
    result.sort(key=lambda a: (-a.suspicion, -a.group.count, a.group.signature))
    return result


def _pair_of_suspect(a: Assessment, by_creator: Mapping[str, Sequence[Assessment]]) -> Assessment:
    """An ignored group started by the same call as a suspect group, in the same numbers.

    Packs describe goroutines that are harmless alone: a pooled connection's writer is idle
    between requests. Started together with goroutines that are stuck (its reader, waiting
    for a body nobody closes: one of each per connection, both orphaned alike), it is part of
    the same leak, so the pack does not hide it.
    """
    g = a.group
    if a.ignored is None or a.runtime or g.created_by is None or not g.orphans:
        return a
    # Only goroutines parked on a channel or lock go with their siblings: idle connections and
    # accept loops in IO wait stay under their pack whatever else their creator started.
    if a.kind not in _NEEDS_ANOTHER and a.kind not in _FOREVER:
        return a
    for b in by_creator.get(g.created_by.function, ()):
        h = b.group
        # Both left behind by a parent that has exited, as many or more of them as of the
        # suspect ones (idle ones may share the group).
        if 0 < h.orphans <= g.orphans and h.count <= g.count:
            where = f"{_goroutines(h.count)} at {_where(h.blocking_site)}"
            reasons = (
                f"started by {g.created_by.function} together with {where}, which are "
                f"suspect (one of each per call): {min(g.count, h.count)} of these are part of "
                "the same leak",
                *a.reasons[1:],
                f"the ignore pack {a.ignored!r} would hide this group alone",
            )
            suspicion = round(max(SUSPECT_THRESHOLD, b.suspicion - 0.05), 2)
            return a._replace(
                suspicion=suspicion, reasons=reasons, ignored=None, overruled=a.ignored
            )
    return a


_RUNTIME_REASON = (
    "runtime system goroutine or per-thread g0 stack (GOTRACEBACK=system/crash and SIGQUIT "
    "print them; runtime.NumGoroutine does not count them)"
)


def runtime_entry(frames: Sequence[Frame]) -> Frame | None:
    """The function a runtime goroutine runs (runtime.bgsweep, runtime.runfinq, …): the
    outermost frame past goexit, mstart and `go` wrappers."""
    for frame in reversed(frames):
        fn = frame.function
        if fn in ("runtime.goexit", "runtime.mstart", "runtime.mstart0", "runtime.mstart1"):
            continue
        if ".gowrap" in fn or fn in ("runtime.mcall", "runtime.systemstack"):
            continue
        return frame
    return frames[0] if frames else None


def assess_runtime(snapshot: Snapshot) -> list[Assessment]:
    """The snapshot's runtime system goroutines and g0 stacks: listed apart, never suspects."""
    result = []
    for g in snapshot.runtime_groups:
        wait = classify(g)
        entry = runtime_entry(g.frames)
        name = entry.function if entry is not None else "an unknown function"
        reasons = (
            f"runtime: {_RUNTIME_REASON}",
            f"{_goroutines(g.count)} in {name} ({_where(entry)})",
        )
        result.append(
            Assessment(g, wait.state, wait.kind, 0.0, reasons, ignored="runtime", runtime=True)
        )
    result.sort(key=lambda a: (-a.group.count, a.group.signature))
    return result


def format_limits(snapshot: Snapshot) -> tuple[str, ...]:
    """What the snapshot's format cannot tell, and what to capture for a firmer verdict."""
    if snapshot.format not in ("debug1", "proto"):
        return ()
    what = "a ?debug=1 profile" if snapshot.format == "debug1" else "a ?debug=0 protobuf profile"
    notes = [
        f"{what} prints no goroutine states, wait times, ids or parents: waits are inferred "
        "from frames"
        + (
            " (channel operations and selects are not told apart)"
            if snapshot.format == "debug1"
            else ""
        )
        + ", and an idle pool cannot be told from goroutines left behind by returned calls",
    ]
    if snapshot.profile != "goroutineleak":
        notes.append(
            "for a firmer verdict capture ?debug=2 (Go 1.27: /debug/pprof/goroutineleak?debug=2 "
            "marks proven leaks), give goleash the service's base URL, or follow growth over "
            "time with goleash watch"
        )
    return tuple(notes)
