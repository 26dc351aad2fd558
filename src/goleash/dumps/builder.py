"""Streaming aggregation: parsers feed goroutines in, one Snapshot comes out.

Memory grows with the number of distinct groups and frames, and per goroutine only by its id
and its parent's id with their group numbers (12 bytes each) in flat arrays: everything that is
done per goroutine is done by C loops over those arrays, Python sees distinct groups only.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from itertools import compress, repeat
from operator import add, attrgetter, mul

from goleash.model import Frame, Goroutine, Group, Snapshot, signature_of

TYPE_CHECKING = False  # typing costs start-up time; mypy reads this name as usual
if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime  # only an annotation here: no datetime import at run time
    from typing import Any

SAMPLE_IDS = 8
# From this many groups on, their signatures are hashed in a thread while the rest of the
# snapshot is made (where the C signatures, which release the GIL, were built).
SIGN_APART = 2000
_NO_LABELS: Mapping[str, str] = {}  # shared by every group without labels; never changed

# A Group from its fields in order, without its Python-level __new__ (ten thousand groups
# notice the keyword call).
_new_group: Callable[[tuple[Any, ...]], Group] = partial(tuple.__new__, Group)


class _Acc:
    """What a group has gathered so far (a plain class: one is made per distinct stack)."""

    __slots__ = (
        "count",
        "created_by",
        "elided",
        "frames",
        "index",
        "labels",
        "leaked",
        "locked",
        "state",
        "wait_max",
        "wait_min",
    )

    def __init__(
        self,
        state: str,
        frames: tuple[Frame, ...],
        created_by: Frame | None,
        labels: dict[str, str] | None,
        index: int,
    ) -> None:
        self.state = state
        self.frames = frames
        self.created_by = created_by
        self.count = 0
        self.wait_min: int | None = None
        self.wait_max: int | None = None
        self.leaked = 0
        self.locked = 0
        self.labels = labels  # labels common to every member
        self.index = index  # position in the builder's list of groups
        self.elided = 0


class SnapshotBuilder:
    """Collects goroutines (or pre-aggregated records) and builds a Snapshot."""

    def __init__(self, *, format: str, profile: str = "goroutine", source: str = "") -> None:
        self.format = format
        self.profile = profile
        self.source = source
        self.go_version: str | None = None
        self.taken_at: datetime | None = None
        self.reported_total: int | None = None
        self.unparsed = 0
        self.warnings: list[str] = []
        self._groups: dict[tuple[object, ...], _Acc] = {}
        self._frames: dict[Frame, Frame] = {}
        self._ids = array("Q")
        self._id_group = array("I")  # for each id in _ids, the index of its group
        self._parents = array("Q")  # the known parents' ids
        self._parent_group = array("I")  # for each of them, the index of the child's group
        self._accs: list[_Acc] = []
        self.total = 0

    def frame(self, function: str, file: str, line: int) -> Frame:
        """An interned Frame: equal frames share one object."""
        f = Frame(function, file, line)
        return self._frames.setdefault(f, f)

    def add(self, g: Goroutine, count: int = 1) -> None:
        """Add one goroutine, or ``count`` identical ones from an aggregated format."""
        index = self.group_index(g)
        self._count(index, g, count)
        if g.id is not None:
            self.members(index, [g.id], () if g.parent_id is None else (g.parent_id,))
        elif g.parent_id is not None:
            self._parents.append(g.parent_id)
            self._parent_group.append(index)

    # The three steps of ``add``, for parsers that aggregate before they add: the group of a
    # stack is looked up once (hashing its frames), then counts and members are added by index.

    def group_index(self, g: Goroutine) -> int:
        """The index of the group ``g`` belongs to (state, frames, creator), made if new."""
        return self.group_of(g.state, g.frames, g.created_by, g.labels)

    def group_of(
        self,
        state: str,
        frames: tuple[Frame, ...],
        created_by: Frame | None,
        labels: Mapping[str, str],
    ) -> int:
        """The index of the group of a state, frames and creator, made if new (``labels``:
        those of its first goroutine)."""
        key = (state, frames, created_by)
        acc = self._groups.get(key)
        if acc is None:
            acc = _Acc(state, frames, created_by, dict(labels), len(self._accs))
            self._groups[key] = acc
            self._accs.append(acc)
        return acc.index

    def count_into(
        self,
        index: int,
        count: int,
        wait_minutes: int | None = None,
        leaked: bool = False,
        locked: bool = False,
        labels: Mapping[str, str] | None = None,
        elided: int = 0,
        wait_max: int | None = None,
    ) -> None:
        """Count ``count`` goroutines with these header facts in group ``index``; their wait
        minutes range from ``wait_minutes`` to ``wait_max`` (the same when None)."""
        acc = self._accs[index]
        if acc.labels:
            _keep_common(acc.labels, labels or {})
        acc.count += count
        self.total += count
        if wait_minutes is not None:
            low, high = wait_minutes, wait_minutes if wait_max is None else wait_max
            acc.wait_min = low if acc.wait_min is None else min(acc.wait_min, low)
            acc.wait_max = high if acc.wait_max is None else max(acc.wait_max, high)
        if elided > acc.elided:
            acc.elided = elided
        if leaked:
            acc.leaked += count
        if locked:
            acc.locked += count

    def _count(self, index: int, g: Goroutine, count: int) -> None:
        self.count_into(
            index, count, g.wait_minutes, g.leaked, g.locked_to_thread, g.labels, g.elided_frames
        )

    def members(self, index: int, ids: Sequence[int], parent_ids: Iterable[int] = ()) -> None:
        """The ids of goroutines counted in group ``index`` (in dump order) and their known
        parents."""
        self._ids.extend(ids)
        self._id_group.extend(array("I", [index]) * len(ids))
        before = len(self._parents)
        self._parents.extend(parent_ids)
        self._parent_group.extend(array("I", [index]) * (len(self._parents) - before))

    def members_of_groups(
        self,
        ids: Sequence[int],
        groups: Sequence[int],
        parents: Iterable[int],
        parent_groups: Iterable[int],
    ) -> None:
        """Goroutine ids with the index of each one's group (in dump order), and the known
        parents with the index of their child's group: ``members`` for many groups at once."""
        self._ids.extend(ids)
        self._id_group.extend(groups)
        self._parents.extend(parents)
        self._parent_group.extend(parent_groups)

    def skip(self, count: int = 1, reason: str | None = None) -> None:
        """Count goroutine records that could not be read; say why once per reason."""
        self.unparsed += count
        if reason is not None:
            self.warn(reason)

    def warn(self, message: str) -> None:
        if message not in self.warnings and len(self.warnings) < 100:
            self.warnings.append(message)

    def build(self) -> Snapshot:
        accs = self._accs

        # Column by column, each by a C loop (attrgetter, map, zip): ten thousand groups
        # noticed a Python loop that made each group from its accumulator.
        def column(name: str) -> list[Any]:
            return list(map(attrgetter(name), accs))

        states, stacks, creators = column("state"), column("frames"), column("created_by")
        signing = None
        if len(accs) >= SIGN_APART and SIGNS_WITHOUT_GIL:
            from goleash.dumps.background import Background

            signing = Background(signatures, states, stacks, creators)
        with_parent, orphans, returned = parent_facts(
            self._ids,
            self._id_group,
            self._parents,
            self._parent_group,
            [None if c is None else c.function for c in creators],
            stacks,
        )
        waits = [
            None if low is None or high is None else (low, high)
            for low, high in zip(column("wait_min"), column("wait_max"), strict=True)
        ]
        labels = [found or _NO_LABELS for found in column("labels")]
        fields = zip(
            signatures(states, stacks, creators) if signing is None else signing.result(),
            states,
            stacks,
            creators,
            column("count"),
            waits,
            column("leaked"),
            column("locked"),
            labels,
            orphans,
            returned,
            with_parent,
            first_ids(self._ids, self._id_group, len(accs), SAMPLE_IDS),
            column("elided"),
            strict=True,
        )
        # Most goroutines first, then by signature: sorted by signature, then stably by count.
        groups = sorted(map(_new_group, fields), key=attrgetter("signature"))
        groups.sort(key=attrgetter("count"), reverse=True)
        ordered = tuple(groups)
        untrack(ordered)
        return Snapshot(
            groups=ordered,
            format=self.format,
            profile=self.profile,
            source=self.source,
            taken_at=self.taken_at,
            go_version=self.go_version,
            total=self.total,
            reported_total=self.reported_total,
            unparsed=self.unparsed,
            warnings=tuple(self.warnings),
        )


def _parent_facts(
    ids: array[int],
    groups: array[int],
    parents: array[int],
    parent_groups: array[int],
    creators: list[str | None],
    stacks: list[tuple[Frame, ...]],
) -> tuple[list[int], list[int], list[int]]:
    """Per group (by index): goroutines with a known parent, of those the orphans (parent gone),
    and those whose alive parent no longer runs the function that started them.

    ``ids``/``groups`` are every goroutine with its group, ``parents``/``parent_groups`` every
    known parent id with its child's group; ``creators`` and ``stacks`` are each group's
    creator function and frames. ``_scan.parent_facts`` does the same in C where it was built.
    """
    with_parent, orphans, returned = [0] * len(stacks), [0] * len(stacks), [0] * len(stacks)
    wanted = set(parents)
    if not wanted:
        return with_parent, orphans, returned
    # compress, map and zip keep the pass over every goroutine id in C; Python only sees the
    # goroutines that are somebody's parent. The last goroutine with an id wins.
    is_parent = map(wanted.__contains__, ids)
    alive = dict(compress(zip(ids, map(add, groups, repeat(1)), strict=True), is_parent))
    # (child's group, parent's group + 1 or 0 when gone) as one int, counted in C: Python sees
    # distinct pairs only.
    width = len(stacks) + 1
    codes = map(add, map(mul, parent_groups, repeat(width)), map(alive.get, parents, repeat(0)))
    functions: dict[int, frozenset[str]] = {}  # a parent's group + 1 -> its functions
    for code, n in Counter(codes).items():
        child, parent = divmod(code, width)
        with_parent[child] += n
        if not parent:
            orphans[child] += n
            continue
        creator = creators[child]
        if creator is None:
            continue
        stack = functions.get(parent)
        if stack is None:
            stack = functions[parent] = frozenset(f.function for f in stacks[parent - 1])
        if creator not in stack:
            returned[child] += n
    return with_parent, orphans, returned


def _first_ids(
    ids: array[int], groups: array[int], ngroups: int, per_group: int
) -> list[tuple[int, ...]]:
    """The first ``per_group`` ids of each group, in dump order (``groups``: each id's group).
    ``_scan.first_ids`` does the same in C where it was built."""
    firsts: list[list[int]] = [[] for _ in range(ngroups)]
    wanting = ngroups if per_group > 0 else 0
    for gid, g in zip(ids, groups, strict=True):
        if not wanting:
            break
        found = firsts[g]
        if len(found) < per_group:
            found.append(gid)
            wanting -= len(found) == per_group
    return list(map(tuple, firsts))


def _untrack(groups: tuple[Group, ...]) -> None:
    """Nothing; ``_scan.untrack`` takes ``groups``, the groups in it and their tuples off the
    cycle collector's lists.

    None of them can be part of a reference cycle (their items are strs, ints, frames and labels
    of strs), yet a snapshot kept for long, by ``watch`` or a script, would be walked by every
    full collection, and the one at exit: tens of milliseconds for ten thousand groups. The
    collector takes plain tuples like these off its lists by itself, but only once it has
    walked them, and never a NamedTuple.
    """


def _signatures(
    states: list[str], stacks: list[tuple[Frame, ...]], creators: list[Frame | None]
) -> list[str]:
    """model.signature_of of each group; ``_scan.signatures`` makes them in C where it was
    built (ten thousand groups notice)."""
    return list(map(signature_of, states, stacks, creators))


try:
    from goleash.dumps._scan import first_ids, parent_facts, signatures, untrack
except ImportError:  # built at install where a C compiler is at hand
    first_ids, parent_facts, signatures, untrack = (
        _first_ids,
        _parent_facts,
        _signatures,
        _untrack,
    )
    SIGNS_WITHOUT_GIL = False
else:
    SIGNS_WITHOUT_GIL = True


def _keep_common(common: dict[str, str], labels: Mapping[str, str]) -> None:
    for k in [k for k, v in common.items() if labels.get(k) != v]:
        del common[k]
