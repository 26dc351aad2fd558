"""SQLite history for long-running watches: samples, events and evidence.

The database runs in WAL mode and each poll's sample is one transaction, committed as soon as it
is written: a watch killed with SIGKILL loses at most the sample in flight, since a committed
transaction sits in the WAL file, which the kernel keeps when the process dies. (synchronous is
NORMAL: only a power cut can lose the last commits, never a killed process.)

Restarting a watch on the same file resumes it: the tracker replays each target's recent
samples, and evidence already captured is not fetched again.

Tables (all times are epoch seconds):

- ``samples(id, target, time, total, work, start_time, pid, full)``
- ``counts(sample, stack, count)``: goroutines per stack key. A ``full`` sample (the first a
  watch writes for a target, then one in every KEYFRAME_EVERY) lists every non-zero count; the
  others list only the counts that changed since the target's previous sample (0 for a stack
  that went away). Most stacks of a steady service hold still between polls, so a long watch
  of many targets stays small; readers get complete counts from ``recent_samples``.
- ``stacks(stack, frames)``: the frames of each stack key seen, as JSON
- ``events(id, target, time, kind, stack, data)``: data is the event's JSON line
- ``evidence(id, target, stack, time, profile, url, body)``: raw profiles as fetched
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from goleash.analysis.tracker import Sample
from goleash.errors import InputError
from goleash.model import Frame

SCHEMA_VERSION = "1"
KEYFRAME_EVERY = 100  # samples of a target between two that list every count

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS samples(
  id INTEGER PRIMARY KEY, target TEXT NOT NULL, time REAL NOT NULL, total INTEGER NOT NULL,
  work REAL, start_time REAL, pid INTEGER, full INTEGER NOT NULL DEFAULT 1);
CREATE INDEX IF NOT EXISTS samples_by_target ON samples(target, id);
CREATE TABLE IF NOT EXISTS counts(
  sample INTEGER NOT NULL, stack TEXT NOT NULL, count INTEGER NOT NULL,
  PRIMARY KEY(sample, stack)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS stacks(stack TEXT PRIMARY KEY, frames TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events(
  id INTEGER PRIMARY KEY, target TEXT NOT NULL, time REAL NOT NULL, kind TEXT NOT NULL,
  stack TEXT, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS evidence(
  id INTEGER PRIMARY KEY, target TEXT NOT NULL, stack TEXT, time REAL NOT NULL,
  profile TEXT NOT NULL, url TEXT NOT NULL, body BLOB NOT NULL);
"""


class Store:
    """A watch's history in one SQLite file."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            row = self._db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if row is None:
                self._db.execute("INSERT INTO meta VALUES('schema', ?)", (SCHEMA_VERSION,))
            elif row[0] != SCHEMA_VERSION:
                raise InputError(f"{self.path}: store schema {row[0]}, this goleash writes 1")
        except sqlite3.DatabaseError as e:
            raise InputError(f"{self.path}: cannot use as a goleash store ({e})") from None
        self._known_stacks: set[str] = {
            r[0] for r in self._db.execute("SELECT stack FROM stacks").fetchall()
        }
        # Per target, the counts last written and samples since the last full one.
        self._last: dict[str, dict[str, int]] = {}
        self._since_full: dict[str, int] = {}

    def close(self) -> None:
        self._db.close()

    def add_sample(
        self, target: str, sample: Sample, frames: Mapping[str, tuple[Frame, ...]]
    ) -> None:
        """Write one sample (and the frames of stack keys not seen before) in one transaction."""
        db = self._db
        now = {k: c for k, c in sample.counts.items() if c}
        last = self._last.get(target)
        full = last is None or self._since_full.get(target, 0) + 1 >= KEYFRAME_EVERY
        if full or last is None:
            rows = now
        else:
            rows = {k: c for k, c in now.items() if last.get(k) != c}
            rows.update((k, 0) for k in last if k not in now)
        db.execute("BEGIN")
        try:
            cur = db.execute(
                "INSERT INTO samples(target, time, total, work, start_time, pid, full)"
                " VALUES(?, ?, ?, ?, ?, ?, ?)",
                (
                    target,
                    sample.time,
                    sample.total,
                    sample.work,
                    sample.start_time,
                    sample.pid,
                    int(full),
                ),
            )
            sid = cur.lastrowid
            db.executemany(
                "INSERT INTO counts VALUES(?, ?, ?)", [(sid, k, c) for k, c in rows.items()]
            )
            new = [k for k in sample.counts if k not in self._known_stacks and k in frames]
            db.executemany(
                "INSERT OR IGNORE INTO stacks VALUES(?, ?)",
                [(k, _frames_json(frames[k])) for k in new],
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self._known_stacks.update(new)
        self._last[target] = now
        self._since_full[target] = 0 if full else self._since_full.get(target, 0) + 1

    def add_event(self, target: str, time: float, kind: str, stack: str | None, data: str) -> None:
        """Record one event (its JSON line as ``data``)."""
        self._db.execute(
            "INSERT INTO events(target, time, kind, stack, data) VALUES(?, ?, ?, ?, ?)",
            (target, time, kind, stack, data),
        )

    def add_evidence(
        self, target: str, stack: str | None, time: float, profile: str, url: str, body: bytes
    ) -> None:
        """Keep one raw profile fetched as evidence."""
        self._db.execute(
            "INSERT INTO evidence(target, stack, time, profile, url, body)"
            " VALUES(?, ?, ?, ?, ?, ?)",
            (target, stack, time, profile, url, body),
        )

    def recent_samples(self, target: str, limit: int) -> list[Sample]:
        """The last ``limit`` samples of ``target``, oldest first, with their stack counts."""
        rows = self._db.execute(
            "SELECT id, time, total, work, start_time, pid FROM samples WHERE target=?"
            " ORDER BY id DESC LIMIT ?",
            (target, limit),
        ).fetchall()
        rows.reverse()
        if not rows:
            return []
        # Counts are rebuilt forward from the last full sample at or before the first wanted.
        (start,) = self._db.execute(
            "SELECT max(id) FROM samples WHERE target=? AND full=1 AND id<=?",
            (target, rows[0][0]),
        ).fetchone()
        if start is None:
            start = rows[0][0]
        ids = [
            (sid, bool(full))
            for sid, full in self._db.execute(
                "SELECT id, full FROM samples WHERE target=? AND id BETWEEN ? AND ? ORDER BY id",
                (target, start, rows[-1][0]),
            )
        ]
        written: dict[int, dict[str, int]] = {sid: {} for sid, _ in ids}
        for sid, stack, count in self._db.execute(
            "SELECT counts.sample, counts.stack, counts.count FROM counts"
            " JOIN samples ON samples.id = counts.sample"
            " WHERE samples.target=? AND samples.id BETWEEN ? AND ?",
            (target, start, rows[-1][0]),
        ):
            written[sid][stack] = count
        state: dict[str, int] = {}
        counts: dict[int, dict[str, int]] = {}
        for sid, full in ids:
            merged = written[sid] if full else {**state, **written[sid]}
            state = {k: c for k, c in merged.items() if c}  # a new dict: samples keep their own
            counts[sid] = state
        return [
            Sample(t, total, counts[sid], work, start_time, pid)
            for sid, t, total, work, start_time, pid in rows
        ]

    def targets(self) -> list[str]:
        """Every target with samples, in the order first seen."""
        rows = self._db.execute("SELECT target, min(id) AS first FROM samples GROUP BY target")
        return [t for t, _ in sorted(rows, key=lambda r: r[1])]

    def frames(self, stacks: Iterable[str]) -> dict[str, tuple[Frame, ...]]:
        """The frames recorded for these stack keys."""
        out: dict[str, tuple[Frame, ...]] = {}
        for key in stacks:
            row = self._db.execute("SELECT frames FROM stacks WHERE stack=?", (key,)).fetchone()
            if row is not None:
                out[key] = tuple(Frame(f, p, ln) for f, p, ln in json.loads(row[0]))
        return out

    def evidence_taken(self) -> set[tuple[str, str]]:
        """(target, stack key) pairs whose evidence is already stored."""
        rows = self._db.execute(
            "SELECT DISTINCT target, stack FROM evidence WHERE stack IS NOT NULL"
        )
        return {(t, s) for t, s in rows}

    def count(self, table: str) -> int:
        """Rows in one of the tables (for summaries and tests)."""
        if table not in ("samples", "counts", "stacks", "events", "evidence"):
            raise ValueError(table)
        (n,) = self._db.execute(f"SELECT count(*) FROM {table}").fetchone()
        return int(n)

    def events(self) -> list[dict[str, Any]]:
        """Every event recorded, oldest first, as the JSON objects the watch printed."""
        return [json.loads(r[0]) for r in self._db.execute("SELECT data FROM events ORDER BY id")]


def _frames_json(frames: tuple[Frame, ...]) -> str:
    return json.dumps([[f.function, f.file, f.line] for f in frames])
