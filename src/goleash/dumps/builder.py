"""Streaming aggregation: parsers feed goroutines in, one Snapshot comes out.

Memory grows with the number of distinct groups and frames, not with the number of goroutines:
frames are interned, and per goroutine only its id and parent id are kept (8 bytes each).
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
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
        key = (g.state, g.frames, g.created_by)
        acc = self._groups.get(key)
        if acc is None:
            acc = _Acc(g.state, g.frames, g.created_by, labels=dict(g.labels))
            acc.index = len(self._accs)
            self._groups[key] = acc
            self._accs.append(acc)
        elif acc.labels:
            _keep_common(acc.labels, g.labels)
        acc.count += count
        self.total += count
        if g.wait_minutes is not None:
            w = g.wait_minutes
            acc.wait_min = w if acc.wait_min is None else min(acc.wait_min, w)
            acc.wait_max = w if acc.wait_max is None else max(acc.wait_max, w)
        if g.elided_frames > acc.elided:
            acc.elided = g.elided_frames
        if g.leaked:
            acc.leaked += count
        if g.locked_to_thread:
            acc.locked += count
        if g.id is not None:
            self._ids.append(g.id)
            self._id_group.append(acc.index)
            if len(acc.sample_ids) < SAMPLE_IDS:
                acc.sample_ids.append(g.id)
        if g.parent_id is not None:
            acc.parents.append(g.parent_id)

    def add_many(self, g: Goroutine, ids: Sequence[int], parent_ids: Iterable[int] = ()) -> None:
        """Add ``len(ids)`` goroutines that share everything in ``g`` but their ids and parents.

        The fast path for streaming parsers: one call per group and chunk of input instead of one
        per goroutine. ``g.id`` and ``g.parent_id`` are ignored; ``parent_ids`` lists the known
        parents of the goroutines (those whose parent the dump does not say are left out).
        """
        if not ids:
            return
        self.add(replace(g, id=None, parent_id=None), count=len(ids))
        acc = self._groups[(g.state, g.frames, g.created_by)]
        self._ids.extend(ids)
        self._id_group.extend(array("I", [acc.index]) * len(ids))
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

    def _alive_parents(self) -> dict[int, frozenset[str]]:
        """Parents present in the snapshot, each with the functions on its stack."""
        parents: set[int] = set()
        for acc in self._accs:
            parents.update(acc.parents)
        if not parents:
            return {}
        # compress, map and zip keep the pass over every goroutine id in C; Python only sees
        # the goroutines that are somebody's parent.
        is_parent = map(parents.__contains__, self._ids)
        functions: dict[int, frozenset[str]] = {}
        stacks: dict[int, frozenset[str]] = {}
        for gid, index in compress(zip(self._ids, self._id_group, strict=True), is_parent):
            if index not in functions:
                functions[index] = frozenset(f.function for f in self._accs[index].frames)
            stacks[gid] = functions[index]
        return stacks

    def build(self) -> Snapshot:
        stacks = self._alive_parents()
        groups = []
        for acc in self._accs:
            alive = sum(map(stacks.__contains__, acc.parents))
            orphans = len(acc.parents) - alive
            returned = 0
            if acc.created_by is not None and alive:
                creator = acc.created_by.function
                returned = sum(
                    n
                    for p, n in Counter(acc.parents).items()
                    if p in stacks and creator not in stacks[p]
                )
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
