"""Which stacks grew between two snapshots, and whether that growth is a leak.

Snapshots are compared by *stack key* (``model.stack_key_of``), not by signature: the key is
the same for the same code read from debug=2, debug=1 or protobuf, before and after a restart,
and after a rebuild elsewhere. Groups of one snapshot that share a key (same frames, other
states or creators) are merged into one before comparing.

The verdict on a stack that grew:

- goroutines that are running or runnable are busy, never a leak;
- goroutines the ignore packs cover (accept loops, keep-alive connections, the pprof handler)
  are never a leak;
- goroutines blocked on something only another goroutine can release (channel, select, lock,
  WaitGroup, Cond), or on nothing at all (``select {}``, nil channel), or parked where the
  format does not say on what: growth is a leak;
- goroutines waiting on I/O, a timer or a syscall usually come and go with the work: growth is
  a leak only where one snapshot proves it, i.e. the runtime's goroutineleak profile marked
  them leaked. (The one-snapshot suspicion of ``analysis.suspects`` is reported beside, but
  orphaned sleepers are also what background work looks like mid-flight.)

A pool that fills between the two snapshots looks the same as a leak in two points of time;
such growth is reported as a leak. Taking the first snapshot after a warm-up, or ``goleash
verify``, tells them apart.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from goleash.analysis.ignore import IgnorePacks
from goleash.analysis.suspects import Assessment, assess_group
from goleash.analysis.waits import KINDS
from goleash.model import Group, Snapshot

ACTIVE_KINDS = frozenset({"running", "runnable"})
# Waits that usually come and go with the work: growth is a leak only where a snapshot proves it.
_COME_AND_GO_KINDS = frozenset({"io-wait", "sleep", "syscall"})
# Kinds whose growth alone is a leak: only another goroutine can release them, or nothing can
# (every kind of ``waits.KINDS`` but the busy and the come-and-go ones; ``other`` included).
BLOCKED_KINDS = frozenset(KINDS) - ACTIVE_KINDS - _COME_AND_GO_KINDS

NEW = "new"
VANISHED = "vanished"
GREW = "grew"
SHRANK = "shrank"
UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class StackChange:
    """One stack key across two snapshots.

    ``assessment`` is the one-snapshot verdict on the stack's merged group in the *after*
    snapshot (in the *before* one when the stack vanished): its state, kind, suspicion, reasons
    and sites.
    """

    stack_key: str
    before: int
    after: int
    assessment: Assessment
    leak: bool
    reasons: tuple[str, ...]  # why it is (or is not) a leak, in the user's words

    @property
    def delta(self) -> int:
        return self.after - self.before

    @property
    def group(self) -> Group:
        return self.assessment.group

    @property
    def status(self) -> str:
        """``new``, ``vanished``, ``grew``, ``shrank`` or ``unchanged``."""
        if self.before == 0 and self.after > 0:
            return NEW
        if self.after == 0 and self.before > 0:
            return VANISHED
        if self.after > self.before:
            return GREW
        if self.after < self.before:
            return SHRANK
        return UNCHANGED


@dataclass(frozen=True, slots=True)
class Comparison:
    """Two snapshots compared stack by stack: leaks first, then by growth."""

    before: Snapshot
    after: Snapshot
    changes: tuple[StackChange, ...]
    min_delta: int = 1

    @property
    def leaks(self) -> tuple[StackChange, ...]:
        return tuple(c for c in self.changes if c.leak)

    @property
    def verdict(self) -> str:
        """``leak`` when any stack leaks, else ``clean``."""
        return "leak" if self.leaks else "clean"


def merge_groups(groups: Iterable[Group]) -> Group:
    """One group standing for several with the same stack key (their counts added up).

    The largest group gives the frames, state and creator; counts, leaked marks, orphans and
    wait ranges are combined over all.
    """
    members = sorted(groups, key=lambda g: (-g.count, g.signature))
    if len(members) == 1:
        return members[0]
    first = members[0]
    waits = [g.wait_minutes for g in members if g.wait_minutes is not None]
    labels = dict(first.labels)
    for g in members[1:]:
        labels = {k: v for k, v in labels.items() if g.labels.get(k) == v}
    return first._replace(
        count=sum(g.count for g in members),
        leaked=sum(g.leaked for g in members),
        locked_to_thread=sum(g.locked_to_thread for g in members),
        orphans=sum(g.orphans for g in members),
        creator_returned=sum(g.creator_returned for g in members),
        with_parent=sum(g.with_parent for g in members),
        wait_minutes=(min(w[0] for w in waits), max(w[1] for w in waits)) if waits else None,
        labels=labels,
        sample_ids=tuple(i for g in members for i in g.sample_ids)[:10],
    )


def by_stack(snapshot: Snapshot) -> dict[str, Group]:
    """The snapshot's groups merged per stack key."""
    members: dict[str, list[Group]] = {}
    for g in snapshot.groups:
        members.setdefault(g.stack_key, []).append(g)
    return {key: merge_groups(gs) for key, gs in members.items()}


def assess_stacks(
    snapshot: Snapshot,
    ignore: IgnorePacks,
    *,
    known: dict[str, Group] | None = None,
    groups: dict[str, Group] | None = None,
) -> dict[str, Assessment]:
    """The one-snapshot verdict on each stack key's merged group.

    ``known``: groups of the same stacks from another snapshot. Where this snapshot's format
    prints no state or creator (debug=1, protobuf) and the other's does, the stack is the same
    code, so the state and creator are taken from there. ``groups``: ``by_stack(snapshot)``,
    when the caller has it already.
    """
    creators = Counter(g.created_by.function for g in snapshot.groups if g.created_by)
    result: dict[str, Assessment] = {}
    for key, g in (groups if groups is not None else by_stack(snapshot)).items():
        other = (known or {}).get(key)
        if other is not None and not g.state and other.state:
            g = g._replace(state=other.state, created_by=g.created_by or other.created_by)
        result[key] = assess_group(g, ignore, creators=creators)
    return result


def leaked_only(snapshot: Snapshot) -> bool:
    """True for a goroutineleak profile in debug=1 or protobuf: it lists only the goroutines
    the runtime marked leaked (at debug=2 it lists them all, marked)."""
    return snapshot.profile == "goroutineleak" and snapshot.format != "traceback"


def judge_growth(a: Assessment, delta: int, min_delta: int) -> tuple[bool, tuple[str, ...]]:
    """Whether ``delta`` more goroutines on this stack are a leak, and why (pure)."""
    if delta <= 0:
        return False, ()
    if a.ignored is not None:
        return False, (f"ignored ({a.ignored})",)
    if a.kind in ACTIVE_KINDS:
        return False, ("busy (running), not blocked",)
    if a.group.frames and all(f.function.startswith("runtime.") for f in a.group.frames):
        # A lone runtime.goexit and the like: a goroutine caught being created or exiting.
        return False, ("starting or exiting: no frame past the runtime",)
    if delta < min_delta:
        return False, (f"grew by {delta}, less than --min-delta {min_delta}",)
    what = a.state or "parked"
    if a.kind in BLOCKED_KINDS:
        return True, (f"grew by {delta} and still blocked ({what})",)
    if a.group.leaked:
        return True, (f"grew by {delta} ({what}), and the runtime marked {a.group.leaked} leaked",)
    # A sleep or a read is how work in flight waits too; two points in time cannot tell a
    # sleeping loop that never ends from background work that ends in a second.
    return False, (
        f"grew by {delta}, waiting on {what}: usually work in flight "
        "(if it never drains, goleash verify will say so)",
    )


def compare(
    before: Snapshot, after: Snapshot, ignore: IgnorePacks, *, min_delta: int = 1
) -> Comparison:
    """Compare two snapshots stack by stack (pure)."""
    groups_before = by_stack(before)
    groups_after = by_stack(after)
    old = assess_stacks(before, ignore, known=groups_after, groups=groups_before)
    new = assess_stacks(after, ignore, known=groups_before, groups=groups_after)
    changes: list[StackChange] = []
    for key in old.keys() | new.keys():
        a = new.get(key) or old[key]
        n_before = old[key].group.count if key in old else 0
        n_after = new[key].group.count if key in new else 0
        leak, reasons = judge_growth(a, n_after - n_before, min_delta)
        changes.append(StackChange(key, n_before, n_after, a, leak, reasons))
    changes.sort(key=lambda c: (not c.leak, -c.delta, -c.after, c.stack_key))
    return Comparison(before, after, tuple(changes), min_delta)
