"""`goleash watch` against real Go services on 127.0.0.1, each with its own traffic.

One watch follows five shapes at once (a leak under bounded traffic, a pool that fills once,
traffic that comes and goes, a cache that grows to a bound, a clean service) next to endpoints
that are down, slow, answer HTML, 500 or a huge body. Only the leak may be reported, with its
blocking and creation sites, and the broken endpoints must not stop the others.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from gotools import free_port, have_go
from watchsvc import (
    bad_endpoints,
    events,
    goleash,
    line_of,
    parse_lines,
    services,
    start,
    wait_for,
)

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not have_go(), reason="no Go toolchain")]

POLL = ["--interval", "0.2s", "--window", "5", "--min-windows", "6"]
SHAPES = (
    ("leak",),
    ("pool",),
    ("bursty", "-rate", "100", "-on", "1s", "-off", "1s"),
    ("cache",),
    ("clean",),
)


@pytest.mark.parametrize("run", [1, 2])
def test_only_the_leak_is_reported_among_load_shapes_and_broken_endpoints(run: int) -> None:
    with services(*SHAPES) as svcs, bad_endpoints() as bad:
        leak, pool, bursty, cache, _ = (s.url for s in svcs)
        clean = f"pid:{svcs[4].process.pid}"  # a local process: goleash finds its pprof port
        broken = {
            f"http://127.0.0.1:{free_port()}": "connect",
            f"{bad}/html": "HTML",
            f"{bad}/error": "HTTP 500",
            f"{bad}/slow": "did not answer within 1 s",
            f"{bad}/huge": "sent more than",
        }
        proc = subprocess.Popen(
            goleash(
                "watch",
                leak,
                pool,
                bursty,
                cache,
                clean,
                *broken,
                *POLL,
                "--duration",
                "9s",
                "--timeout",
                "1s",
                "--max-bytes",
                "1000000",
                "--format",
                "json",
                "--metrics-port",
                "0",
            ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stderr is not None
        metrics_line = proc.stderr.readline()
        metrics_url = metrics_line.rsplit(" ", 1)[-1].strip()
        assert metrics_url.endswith("/metrics"), metrics_line

        def leaking_metric() -> str:
            text = httpx.get(metrics_url, timeout=5).text
            wanted = 'function="main.fetchQuote.func1"'
            return next(
                (
                    ln
                    for ln in text.splitlines()
                    if ln.startswith("goleash_stack_leaking{")
                    and wanted in ln
                    and ln.endswith(" 1.0")
                ),
                "",
            )

        metric = wait_for(leaking_metric, timeout=12, step=0.5)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1, err
    lines = parse_lines(out)

    # The leak, named by where its goroutines block and where they were started.
    (found,) = events(lines, "leak")
    assert found["target"] == leak
    assert found["state"] == "chan send"
    assert found["blocking_site"]["function"] == "main.fetchQuote.func1"
    assert found["blocking_site"]["line"] == line_of("result <- lookup(key)")
    assert found["creation_site"]["function"] == "main.fetchQuote"
    assert found["creation_site"]["line"] == line_of("go func() {", after="func fetchQuote")
    assert found["runtime_leaked"] > 0  # Go 1.27's goroutineleak profile agrees
    assert found["trend"]["slope"] > 0 and found["trend"]["p_value"] < 0.01
    assert "main.fetchQuote.func1" in found["message"]
    assert 'stack_key="' + found["stack_key"] + '"' in metric

    # Nothing else is called a leak, and no load shape reads as a restart.
    assert events(lines, "restart") == []
    for url in (pool, bursty, cache, clean):
        samples = events(lines, "sample", url)
        assert len(samples) >= 5, url  # polled all along, broken neighbours or not
        assert samples[-1]["leaking"] == []

    # Every broken endpoint is reported once, with what went wrong.
    down = {e["target"]: e["reason"] for e in events(lines, "target_down")}
    assert set(down) == set(broken)
    for url, reason in broken.items():
        assert reason in down[url], (url, down[url])

    (summary,) = events(lines, "summary")
    assert summary["verdict"] == "leak"
    by_target = {t["target"]: t for t in summary["targets"]}
    assert [k for k, t in by_target.items() if t["leaking"]] == [leak]
    assert all(by_target[url]["down"] for url in broken)
    # The cache and the pool did grow: the watch saw it and still said no leak.
    assert by_target[cache]["total"] > 100
    assert by_target[pool]["total"] > 30


def test_a_service_restarted_mid_watch_splits_its_series() -> None:
    leak_port, pool_port = free_port(), free_port()
    leak = start("leak", "-addr", f"127.0.0.1:{leak_port}")
    pool = start("pool", "-addr", f"127.0.0.1:{pool_port}")
    proc = subprocess.Popen(
        goleash(
            "watch",
            leak.url,
            pool.url,
            *POLL,
            "--cheap-format",  # protobuf polls: stacks still match the debug=2 evidence
            "proto",
            "--duration",
            "13s",
            "--timeout",
            "1s",
            "--format",
            "json",
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(3.5)
        leak.stop()
        pool.stop()
        restarted_at = time.time()
        leak = start("leak", "-addr", f"127.0.0.1:{leak_port}")
        pool = start("pool", "-addr", f"127.0.0.1:{pool_port}")
        out, err = proc.communicate(timeout=30)
    finally:
        leak.stop()
        pool.stop()
    lines = parse_lines(out)
    for url in (leak.url, pool.url):
        (restart,) = events(lines, "restart", url)
        assert restart["reason"] == "process start time changed"
    # The pool fills again after the restart: with the series split, that is no growth.
    assert events(lines, "leak", pool.url) == []
    # The leak goes on in the new process, and is found there.
    (found,) = events(lines, "leak", leak.url)
    assert found["blocking_site"]["function"] == "main.fetchQuote.func1"
    from datetime import datetime

    assert datetime.fromisoformat(found["time"]).timestamp() > restarted_at
    assert proc.returncode == 1, err


def test_the_store_survives_sigkill_and_the_watch_resumes(tmp_path: Path) -> None:
    db = tmp_path / "watch.db"
    with services(("leak2",)) as (svc,):  # two stacks leak on the same requests
        # Normalised by the service's request counter: the slope reads "per request".
        work = ("--work-metric", "watchsvc_requests_total")
        proc = subprocess.Popen(
            goleash("watch", svc.url, *POLL, *work, "--store", str(db), "--format", "json"),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert proc.stdout is not None
        printed = 0
        for line in proc.stdout:  # sample summaries: one per window of 5 polls
            if '"event": "sample"' in line:
                printed = max(printed, int(line.split('"samples": ')[1].split(",")[0]))
            if printed >= 25:
                break
        time.sleep(0.3)  # in the middle of the next polls
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)

        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            (stored,) = conn.execute("SELECT count(*) FROM samples").fetchone()
            (orphans,) = conn.execute(
                "SELECT count(*) FROM counts WHERE sample NOT IN (SELECT id FROM samples)"
            ).fetchone()
        # Every sample the killed watch had reported is there; at most the one in flight is not.
        assert stored >= printed
        assert orphans == 0

        again = subprocess.run(
            goleash(
                "watch",
                svc.url,
                *POLL,
                *work,
                "--store",
                str(db),
                "--duration",
                "3s",
                "--format",
                "json",
            ),
            capture_output=True,
            text=True,
            timeout=30,
        )
    lines = parse_lines(again.stdout)
    (summary,) = events(lines, "summary")
    (target,) = summary["targets"]
    assert target["resumed_samples"] == stored
    # Six windows are needed for a verdict: 3 s alone give three, with the resumed ones more.
    assert target["leaking"], again.stdout
    assert again.returncode == 1
    # watchsvc leaks one goroutine on each stack in every 5 requests (-leakevery 5).
    found = {e["blocking_site"]["function"]: e for e in events(lines, "leak")}
    assert set(found) == {"main.fetchQuote.func1", "main.subscribe.func1"}
    assert found["main.subscribe.func1"]["creation_site"]["function"] == "main.subscribe"
    assert found["main.subscribe.func1"]["state"] == "chan receive"
    for leak in found.values():
        assert leak["trend"]["slope_unit"] == "goroutines per unit of work"
        assert 0.1 < leak["trend"]["slope"] < 0.3
    with sqlite3.connect(db) as conn:
        kinds = [k for (k,) in conn.execute("SELECT kind FROM events")]
        profiles = [p for (p,) in conn.execute("SELECT profile FROM evidence")]
    assert kinds.count("leak") == 2
    # The two stacks started leaking together: one capture serves both.
    assert sorted(profiles) == ["goroutine", "goroutineleak"]


def test_ctrl_c_ends_the_watch_with_its_summary() -> None:
    with services(("clean",)) as (svc,):
        proc = subprocess.Popen(
            goleash("watch", svc.url, *POLL, "--format", "json"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        first = proc.stdout.readline()  # the first window's sample summary
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=20)
    lines = parse_lines(first + rest)
    assert lines[0]["event"] == "sample"
    assert lines[-1]["event"] == "summary" and lines[-1]["verdict"] == "clean"
    assert proc.returncode == 0, err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give at least one target"),
        (("http://127.0.0.1:1", "--interval", "soon"), "--interval: 'soon' is not a duration"),
        (("not a target",), "not a URL"),
        (("http://127.0.0.1:1/debug/pprof/goroutine?debug=2",), "base URL"),
        (("--prometheus", "http://127.0.0.1:1"), "cannot reach Prometheus at http://127.0.0.1:1"),
        (("http://127.0.0.1:1", "--rescreen", "1m"), "--rescreen screens a fleet again"),
    ],
)
def test_bad_usage_is_one_line_and_exit_2(args: tuple[str, ...], message: str) -> None:
    done = subprocess.run(goleash("watch", *args), capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
