"""Which groups of one snapshot look like leaks, how strongly, and why.

A single dump carries several signals; each adds to (or takes from) a group's suspicion:

- the runtime's own verdict: a ``(leaked)`` mark from the goroutineleak profile puts the
  suspicion at 0.9 or more;
- the kind of wait: a goroutine blocked on a channel, lock, WaitGroup or Cond can only leave
  when someone else acts; ``select {}`` and nil channels never leave; I/O, sleep, syscalls and
  running goroutines are usually busy or idle, not stuck;
- how long it has waited (``N minutes`` in ``debug=2`` headers);
- how many goroutines wait at the same place;
- orphans: goroutines whose parent (``created by … in goroutine N``) has exited, i.e. they were
  started by a request or call that has returned and left them behind; likewise goroutines
  whose parent is alive but no longer inside the function that started them;
- against all of these, the shape of a fixed pool: started once at start-up (by main/init, or
  by a goroutine that is still running), modest in size, waiting to receive work.

``SUSPECT_THRESHOLD``: a group whose suspicion is at least 0.5 is *suspect*. Reports, the JSON
contract and the exit status of ``goleash dump`` all rely on this value.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from goleash.analysis.ignore import IgnorePacks
from goleash.analysis.waits import classify
from goleash.model import Frame, Group, Snapshot

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
# Kinds an idle worker pool waits in.
_POOL_KINDS = frozenset({"chan-receive", "select"})
_ACTIVE = frozenset({"running", "runnable"})

_BASE: dict[str, float] = {
    "chan-send": 0.35,
    "chan-receive": 0.3,
    "select": 0.3,
    "mutex": 0.35,
    "rwmutex": 0.35,
    "waitgroup": 0.35,
    "cond": 0.35,
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


@dataclass(frozen=True, slots=True)
class Assessment:
    """One group's verdict: how suspect it is, and the reasons a user can check."""

    group: Group
    state: str  # normalised wait reason ("" when the dump does not say)
    kind: str  # one of goleash.analysis.waits.KINDS
    suspicion: float  # in [0, 1]; suspect when >= SUSPECT_THRESHOLD
    reasons: tuple[str, ...]
    ignored: str | None = None  # the ignore pack that covers the group

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


def _step(value: int, steps: tuple[tuple[int, float], ...]) -> float:
    """The bonus of the first step ``value`` reaches, or 0."""
    return next((bonus for least, bonus in steps if value >= least), 0.0)


def _is_startup(creator: Frame | None) -> bool:
    if creator is None:
        return False
    fn = creator.function
    return fn == "main.main" or fn.startswith(("main.main.", "main.init")) or ".init." in fn


def _blocked_phrase(state: str, kind: str) -> str:
    if kind == "other" and not state:
        return "parked"
    return f"blocked on {state}" if kind not in _ACTIVE else state


def score(
    group: Group, state: str, kind: str, *, no_workers_left: bool = False
) -> tuple[float, tuple[str, ...]]:
    """Suspicion of one group and the reasons behind it (pure; no ignore packs involved).

    ``no_workers_left``: the snapshot holds no goroutine started where this WaitGroup waiter
    was, so nobody is left to call Done (see ``_no_workers_left``).
    """
    n = group.count
    reasons: list[str] = []
    s = _BASE.get(kind, 0.2)
    site = _where(group.blocking_site)
    # debug=1 and protobuf profiles say nothing of creators or parents.
    stateless = group.with_parent == 0 and group.created_by is None
    if kind == "other" and not state and group.frames and not group.frames[0].is_plumbing:
        # debug=1 hides gopark/chanrecv/selectgo: a stack that starts in the user's own code
        # is parked on a channel operation or select there.
        s = _BASE["chan-receive"]
    waiting = kind in _NEEDS_ANOTHER or kind in _FOREVER

    if kind in _FOREVER:
        reasons.append(f"{_goroutines(n)} {_blocked_phrase(state, kind)} at {site}: never returns")
    elif kind in _NEEDS_ANOTHER:
        reasons.append(
            f"{_goroutines(n)} {_blocked_phrase(state, kind)} at {site}: "
            "only another goroutine can release them"
        )
    elif kind in _ACTIVE:
        reasons.append(f"{_goroutines(n)} {state} at {site}: busy, not blocked")
    else:
        reasons.append(f"{_goroutines(n)} {_blocked_phrase(state, kind)} at {site}")

    # Many goroutines on one site: leaks accumulate, healthy waits rarely do.
    if waiting or kind == "other":
        s += _step(n, _CROWD)

    if group.wait_minutes is not None and waiting:
        low, high = group.wait_minutes
        span = f"{low} minutes" if low == high else f"{low}–{high} minutes"
        s += _step(high, _PATIENCE)
        reasons.append(f"waiting {span}")

    orphaned = group.orphans
    pool = False
    if group.with_parent and orphaned:
        frac = orphaned / group.with_parent
        if kind in _NEEDS_ANOTHER or kind in _FOREVER or kind == "other":
            s += 0.3 * frac
        elif kind == "sleep" and orphaned >= 2:
            # A `for { time.Sleep }` loop per request: each looks idle, together they leak.
            s += 0.3 * frac + 0.15
        elif kind in _IDLE:
            s += 0.1 * frac
        reasons.append(
            f"parent goroutines have exited ({orphaned} of {group.with_parent} orphaned): "
            "started by calls that have returned"
        )
    elif group.creator_returned and (kind in _NEEDS_ANOTHER - _POOL_KINDS or kind in _FOREVER):
        # The parent still runs, but no longer inside the function that started them: a call
        # (a helper, a request step) returned and left them behind. Not applied to receives and
        # selects, the shape of a pool started by a constructor that has returned.
        frac = group.creator_returned / group.with_parent
        s += 0.3 * frac
        creator = group.created_by.function if group.created_by else "their creator"
        reasons.append(
            f"{creator} has returned ({group.creator_returned} of {group.with_parent}): "
            "the call that started them left them behind"
        )
    elif kind in _POOL_KINDS and n <= _POOL_MAX:
        parent_alive = group.with_parent > 0 and orphaned == 0
        if parent_alive or _is_startup(group.created_by):
            pool = True
            s -= 0.25
            creator = group.created_by.function if group.created_by else "its creator"
            why = "whose goroutine is still running" if parent_alive else "at start-up"
            reasons.append(f"looks like a fixed pool waiting for work: started by {creator} {why}")

    if kind == "waitgroup" and no_workers_left:
        s += 0.3
        reasons.append("no goroutine it could be waiting for is left: nobody will call Done")

    labelled = bool(group.labels) and not pool
    if labelled and (waiting or kind == "other" or (kind == "sleep" and n >= 2)):
        # Goroutines inherit pprof labels from the request (or job) that started them.
        text = ", ".join(f"{k}={v}" for k, v in sorted(group.labels.items()))
        s += 0.45 if kind == "sleep" and stateless else 0.15
        reasons.append(f"carry the labels of the request that started them ({text})")
    if stateless and (kind in _FOREVER or kind in _NEEDS_ANOTHER - {"chan-receive", "select"}):
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
    elif pool:
        s = min(s, SUSPECT_THRESHOLD - 0.1)

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


def assess_group(
    group: Group, ignore: IgnorePacks, *, creators: Counter[str] | None = None
) -> Assessment:
    """The verdict on one group; ``creators`` counts the snapshot's groups per creator function
    (used for WaitGroup waiters)."""
    wait = classify(group)
    no_workers = wait.kind == "waitgroup" and _no_workers_left(group, creators or Counter())
    suspicion, reasons = score(group, wait.state, wait.kind, no_workers_left=no_workers)
    rule = ignore.match_rule(group)
    if rule is None:
        return Assessment(group, wait.state, wait.kind, suspicion, reasons, None)
    # Ignored groups are never suspect; the score says so too, so scripts reading JSON with
    # `suspicion >= 0.5` agree with the exit status.
    reasons = (f"ignored ({rule.name}): {rule.reason}", *reasons)
    return Assessment(group, wait.state, wait.kind, 0.0, reasons, rule.name)


def assess(snapshot: Snapshot, ignore: IgnorePacks) -> list[Assessment]:
    """Every group of the snapshot, most suspect first (then largest, then by signature)."""
    creators = Counter(g.created_by.function for g in snapshot.groups if g.created_by)
    result = [assess_group(g, ignore, creators=creators) for g in snapshot.groups]
    result.sort(key=lambda a: (-a.suspicion, -a.group.count, a.group.signature))
    return result
