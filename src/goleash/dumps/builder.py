"""Streaming aggregation: parsers feed goroutines in, one Snapshot comes out.

Memory grows with the number of distinct groups and frames, not with the number of goroutines:
frames are interned, and per goroutine only its id and parent id are kept (8 bytes each).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import compress

from goleash.model import Frame, Goroutine, Group, Snapshot, signature_of

SAMPLE_IDS = 8


@dataclass
class _Acc:
    state: str
    frames: tuple[Frame, ...]
    created_by: Frame | None
    count: int = 0
    wait_min: int | None = None
    wait_max: int | None = None
    leaked: int = 0
    locked: int = 0
    labels: dict[str, str] | None = None  # labels common to every member
    parents: array[int] = field(default_factory=lambda: array("Q"))
    sample_ids: list[int] = field(default_factory=list)
    index: int = 0  # position in the builder's list of groups
    elided: int = 0


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
            self._accs[index].parents.append(g.parent_id)

    def add_many(self, g: Goroutine, ids: Sequence[int], parent_ids: Iterable[int] = ()) -> None:
        """Add ``len(ids)`` goroutines that share everything in ``g`` but their ids and parents.

        ``g.id`` and ``g.parent_id`` are ignored; ``parent_ids`` lists the known parents of the
        goroutines (those whose parent the dump does not say are left out).
        """
        if not ids:
            return
        index = self.group_index(g)
        self._count(index, g, len(ids))
        self.members(index, ids, parent_ids)

    # The three steps of ``add``, for parsers that aggregate before they add: the group of a
    # stack is looked up once (hashing its frames), then counts and members are added by index.

    def group_index(self, g: Goroutine) -> int:
        """The index of the group ``g`` belongs to (state, frames, creator), made if new."""
        key = (g.state, g.frames, g.created_by)
        acc = self._groups.get(key)
        if acc is None:
            acc = _Acc(g.state, g.frames, g.created_by, labels=dict(g.labels))
            acc.index = len(self._accs)
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
    ) -> None:
        """Count ``count`` goroutines with these header facts in group ``index``."""
        acc = self._accs[index]
        if acc.labels:
            _keep_common(acc.labels, labels or {})
        acc.count += count
        self.total += count
        if wait_minutes is not None:
            w = wait_minutes
            acc.wait_min = w if acc.wait_min is None else min(acc.wait_min, w)
            acc.wait_max = w if acc.wait_max is None else max(acc.wait_max, w)
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
        acc = self._accs[index]
        self._ids.extend(ids)
        self._id_group.extend(array("I", [index]) * len(ids))
        room = SAMPLE_IDS - len(acc.sample_ids)
        if room > 0:
            acc.sample_ids.extend(ids[:room])
        acc.parents.extend(parent_ids)

    def skip(self, count: int = 1, reason: str | None = None) -> None:
        """Count goroutine records that could not be read; say why once per reason."""
        self.unparsed += count
        if reason is not None:
            self.warn(reason)

    def warn(self, message: str) -> None:
        if message not in self.warnings and len(self.warnings) < 100:
            self.warnings.append(message)

    def _alive_parents(self) -> dict[int, int]:
        """Parents present in the snapshot, each with the index of its group."""
        parents: set[int] = set()
        for acc in self._accs:
            parents.update(acc.parents)
        if not parents:
            return {}
        # compress, map and zip keep the pass over every goroutine id in C; Python only sees
        # the goroutines that are somebody's parent.
        is_parent = map(parents.__contains__, self._ids)
        return dict(compress(zip(self._ids, self._id_group, strict=True), is_parent))

    def build(self) -> Snapshot:
        parent_group = self._alive_parents()
        functions: dict[int, frozenset[str]] = {}
        groups = []
        for acc in self._accs:
            orphans = returned = 0
            if acc.parents:
                # Each parent's group (None: gone), mapped in C; Python sees distinct groups.
                found = list(map(parent_group.get, acc.parents))
                orphans = found.count(None)
                if acc.created_by is not None and orphans < len(found):
                    creator = acc.created_by.function
                    returned_to = set()  # parent groups whose stack no longer has the creator
                    for index in set(found):
                        if index is None:
                            continue
                        if index not in functions:
                            stack = self._accs[index].frames
                            functions[index] = frozenset(f.function for f in stack)
                        if creator not in functions[index]:
                            returned_to.add(index)
                    if returned_to:
                        returned = sum(map(returned_to.__contains__, found))
            wait = None
            if acc.wait_min is not None and acc.wait_max is not None:
                wait = (acc.wait_min, acc.wait_max)
            groups.append(
                Group(
                    signature=signature_of(acc.state, acc.frames, acc.created_by),
                    state=acc.state,
                    frames=acc.frames,
                    created_by=acc.created_by,
                    count=acc.count,
                    wait_minutes=wait,
                    leaked=acc.leaked,
                    locked_to_thread=acc.locked,
                    labels=acc.labels or {},
                    orphans=orphans,
                    creator_returned=returned,
                    with_parent=len(acc.parents),
                    sample_ids=tuple(acc.sample_ids),
                    elided_frames=acc.elided,
                )
            )
        groups.sort(key=lambda g: (-g.count, g.signature))
        return Snapshot(
            groups=tuple(groups),
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


def _keep_common(common: dict[str, str], labels: Mapping[str, str]) -> None:
    for k in [k for k, v in common.items() if labels.get(k) != v]:
        del common[k]
