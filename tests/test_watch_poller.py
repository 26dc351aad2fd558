"""The poller's debug=1 fast path counts exactly what the parser reads, and falls back to it.

Every fixture here is a real capture (tests/fixtures/dumps/*/): debug=1 profiles of several Go
versions, with pprof labels and with goroutineleak records.
"""

from __future__ import annotations

import asyncio
import io
import time
from pathlib import Path

import pytest

from goleash.dumps import read_snapshots
from goleash.model import Frame
from goleash.sources.poller import (
    Poller,
    PollError,
    metric_sum,
    pprof_root,
    read_counts,
    target_from_spec,
)
from gotools import have_go
from watchsvc import start

FIXTURES = Path(__file__).parent / "fixtures" / "dumps"
DEBUG1 = sorted(
    p for p in FIXTURES.rglob("*.txt") if p.read_bytes().startswith(b"goroutine profile: total ")
)
OTHER = [FIXTURES / "go1.27" / n for n in ("traceback.debug2.txt", "goroutine.debug0.pb.gz")]


def parsed_counts(body: bytes) -> tuple[int, dict[str, int]]:
    (snapshot,) = read_snapshots(io.BytesIO(body))
    counts: dict[str, int] = {}
    for g in snapshot.groups:
        counts[g.stack_key] = counts.get(g.stack_key, 0) + g.count
    total = snapshot.reported_total if snapshot.reported_total is not None else snapshot.total
    return total, counts


def test_there_are_debug1_fixtures_to_check() -> None:
    assert len(DEBUG1) >= 5


@pytest.mark.parametrize("path", DEBUG1, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_the_cached_path_counts_what_the_parser_reads(path: Path) -> None:
    body = path.read_bytes()
    cache: dict[bytes, tuple[str, tuple[Frame, ...]]] = {}
    first = read_counts(body, "u", cache)
    assert cache, "the fast path should have cached the records"
    second = read_counts(body, "u", cache)  # all from the cache this time
    total, counts = parsed_counts(body)
    assert first[:2] == second[:2] == (total, counts)


def test_a_record_that_changes_count_is_recounted_from_the_cache() -> None:
    body = (FIXTURES / "go1.27" / "goroutine.debug1.txt").read_bytes()
    cache: dict[bytes, tuple[str, tuple[Frame, ...]]] = {}
    read_counts(body, "u", cache)
    header, _, rest = body.partition(b"\n")
    first_count = rest.split(b" @ ", 1)[0]
    grown = header + b"\n" + rest.replace(first_count + b" @ ", b"1000 @ ", 1)
    counts = read_counts(grown, "u", cache)[1]
    assert counts == parsed_counts(grown)[1]
    assert max(counts.values()) >= 1000


@pytest.mark.parametrize("path", OTHER, ids=lambda p: p.name)
def test_other_formats_go_through_the_parser(path: Path) -> None:
    body = path.read_bytes()
    total, counts, frames = read_counts(body, "u", {})
    assert (total, counts) == parsed_counts(body)
    assert set(frames) == set(counts)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<!DOCTYPE html><html><body>login</body></html>", "HTML"),
        (b"", "empty"),
        (b"\x00\x01\x02binary" * 64, "binary"),
    ],
    ids=["html", "empty", "binary"],
)
def test_what_is_not_a_profile_is_a_poll_error(body: bytes, message: str) -> None:
    with pytest.raises(PollError, match=message):
        read_counts(body, "http://x/debug/pprof/goroutine?debug=1", {})


def test_a_truncated_profile_counts_what_the_parser_reads() -> None:
    # The parser is forgiving (partial results); the cached path must agree with it.
    body = b"goroutine profile: total 3\n3 @ 0x1 0x2\n#\t0x1\tmain.f+0x1\t/x/main.go:3\n\n1 @ 0x9"
    assert read_counts(body, "u", {})[:2] == parsed_counts(body)


def test_metric_sum_reads_prometheus_text() -> None:
    text = (
        "# TYPE http_requests_total counter\n"
        'http_requests_total{code="200"} 10\n'
        'http_requests_total{code="500"} 2.5\n'
        "http_requests_total_created 1.7e9\n"
        "process_start_time_seconds 1.7e+09\n"
    )
    assert metric_sum(text, "http_requests_total") == 12.5
    assert metric_sum(text, "process_start_time_seconds") == 1.7e9
    assert metric_sum(text, "missing") is None


@pytest.mark.parametrize(
    ("url", "root"),
    [
        ("http://h:6060", "http://h:6060/debug/pprof"),
        ("http://h:6060/", "http://h:6060/debug/pprof"),
        ("http://h:6060/debug/pprof/", "http://h:6060/debug/pprof"),
        ("http://h/admin", "http://h/admin/debug/pprof"),
    ],
)
def test_base_urls_lead_to_the_pprof_root(url: str, root: str) -> None:
    assert pprof_root(url) == root


@pytest.mark.slow
@pytest.mark.skipif(not have_go(), reason="no Go toolchain")
def test_a_metrics_read_that_times_out_is_tried_again_next_poll() -> None:
    # A /metrics that is slow once (a process warming up) must not cost the watch the process
    # start time for good: without it a restart is only guessed from a collapse of the count.
    async def three_polls(url: str) -> list[float | None]:
        target = target_from_spec(url)
        async with Poller(timeout=1.0) as poller:
            return [(await poller.poll(target)).start_time for _ in range(3)]

    svc = start("clean", "-slowmetrics", "1", "-rate", "0")
    try:
        first, second, third = asyncio.run(three_polls(svc.url))
    finally:
        svc.stop()
    assert first is None  # the slow answer: no start time this once
    assert second is not None and second == third
    assert abs(second - time.time()) < 120
