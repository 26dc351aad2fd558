"""The watch store: counts written as changes, read back whole; a second watch resumes from it."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

from goleash.analysis.tracker import Sample
from goleash.model import Frame
from goleash.store import KEYFRAME_EVERY, Store

FRAMES = {f"s{i}": (Frame(f"main.f{i}", "/x/main.go", i),) for i in range(30)}


def steady_service(rng: random.Random, n: int) -> list[Sample]:
    """30 stacks; most hold still between polls, a few move, one appears and goes away."""
    counts = {f"s{i}": rng.randint(1, 50) for i in range(25)}
    out = []
    for i in range(n):
        for key in rng.sample(sorted(counts), 3):
            counts[key] = max(0, counts[key] + rng.randint(-3, 3))
        if i % 40 == 10:
            counts["s29"] = 7
        if i % 40 == 30:
            counts.pop("s29", None)
        out.append(Sample(1000.0 + i, sum(counts.values()), dict(counts), float(i), 5.0, None))
    return out


def written(samples: list[Sample]) -> list[dict[str, int]]:
    return [{k: c for k, c in s.counts.items() if c} for s in samples]


def test_counts_are_read_back_whole_from_any_point(tmp_path: Path) -> None:
    samples = steady_service(random.Random(4), 2 * KEYFRAME_EVERY + 57)
    store = Store(tmp_path / "w.db")
    for s in samples:
        store.add_sample("svc", s, FRAMES)
        store.add_sample("other", Sample(s.time, 1, {"s0": 1}), FRAMES)  # interleaved target
    for limit in (1, 5, KEYFRAME_EVERY - 1, KEYFRAME_EVERY + 3, len(samples), 10 * len(samples)):
        back = store.recent_samples("svc", limit)
        assert written(back) == written(samples[-limit:])
        assert [b.time for b in back] == [s.time for s in samples[-limit:]]
    assert store.recent_samples("other", 3)[-1].counts == {"s0": 1}
    # Only what changed is stored: far fewer rows than one per stack and sample.
    every = sum(len(c) for c in written(samples))
    assert store.count("counts") < every / 3
    store.close()


def test_a_second_writer_starts_with_a_full_sample(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    samples = steady_service(random.Random(9), 30)
    first = Store(path)
    for s in samples[:20]:
        first.add_sample("svc", s, FRAMES)
    first.close()
    second = Store(path)  # a resumed watch: it does not know what the first one wrote last
    for s in samples[20:]:
        second.add_sample("svc", s, FRAMES)
    assert written(second.recent_samples("svc", 30)) == written(samples)
    second.close()
    with sqlite3.connect(path) as db:
        fulls = [sid for (sid,) in db.execute("SELECT id FROM samples WHERE full=1")]
    assert len(fulls) == 2


def test_a_file_that_is_not_a_store_is_an_input_error(tmp_path: Path) -> None:
    import pytest

    from goleash.errors import InputError

    bad = tmp_path / "notes.txt"
    bad.write_text("not a database " * 100)
    with pytest.raises(InputError, match="cannot use as a goleash store"):
        Store(bad)
