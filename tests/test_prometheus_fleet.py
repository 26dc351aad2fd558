"""Fleet screening through a real Prometheus server (Debian's /usr/bin/prometheus).

Prometheus scrapes two real Go services every second, one of them leaking. `goleash watch
--prometheus` must pick the leaking instance from the fleet's go_goroutines, poll only its
pprof endpoint, and name the leak site.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from gotools import free_port, have_go
from watchsvc import events, goleash, line_of, parse_lines, services

PROMETHEUS = shutil.which("prometheus")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not have_go(), reason="no Go toolchain"),
    pytest.mark.skipif(PROMETHEUS is None, reason="no prometheus (apt-get install prometheus)"),
]


@contextmanager
def prometheus(tmp: Path, targets: list[str]) -> Iterator[str]:
    """Start Prometheus on a free loopback port, scraping ``targets`` every second."""
    port = free_port()
    config = tmp / "prometheus.yml"
    hosts = ", ".join(f'"{t.removeprefix("http://")}"' for t in targets)
    config.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        "scrape_configs:\n  - job_name: svc\n    static_configs:\n"
        f"      - targets: [{hosts}]\n"
    )
    assert PROMETHEUS is not None
    proc = subprocess.Popen(
        [
            PROMETHEUS,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "prometheus did not become ready"
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(20)


def samples_in(url: str, query: str) -> int:
    r = httpx.get(f"{url}/api/v1/query", params={"query": query}, timeout=5).json()
    return min((int(float(s["value"][1])) for s in r["data"]["result"]), default=0)


def test_screening_picks_the_leaking_instance_and_names_its_leak_site(tmp_path: Path) -> None:
    with (
        services(("leak",), ("clean",)) as (leaky, clean),
        prometheus(tmp_path, [leaky.url, clean.url]) as prom,
    ):
        # Wait for 10 scrapes of both instances (Prometheus starts scraping after ~5 s).
        deadline = time.monotonic() + 40
        while samples_in(prom, 'count_over_time(go_goroutines{job="svc"}[1m])') < 10:
            assert time.monotonic() < deadline, "prometheus scraped too little"
            time.sleep(0.5)
        done = subprocess.run(
            goleash(
                "watch",
                "--prometheus",
                prom,
                "--selector",
                '{job="svc"}',
                "--screen-window",
                "12s",
                "--work-metric",  # floors fitted against requests served, not time
                "watchsvc_requests_total",
                "--rescreen",  # and screened again while polling
                "2s",
                "--interval",
                "0.2s",
                "--window",
                "3",
                "--duration",
                "6s",
                "--format",
                "json",
            ),
            capture_output=True,
            text=True,
            timeout=60,
        )
        bad = subprocess.run(
            goleash("watch", "--prometheus", prom, "--selector", '{job=~"("}'),
            capture_output=True,
            text=True,
            timeout=30,
        )
        nothing = subprocess.run(
            goleash("watch", "--prometheus", prom, "--selector", '{job="checkout"}'),
            capture_output=True,
            text=True,
            timeout=30,
        )
    lines = parse_lines(done.stdout)
    screens = events(lines, "screen")
    screened = {e["instance"]: e for e in screens[:2]}  # the first screening
    leaky_instance = leaky.url.removeprefix("http://")
    clean_instance = clean.url.removeprefix("http://")
    assert set(screened) == {leaky_instance, clean_instance}
    assert screened[leaky_instance]["suspect"] is True
    assert screened[clean_instance]["suspect"] is False
    assert screened[leaky_instance]["pprof_url"] == f"{leaky.url}/debug/pprof"
    # watchsvc leaks one goroutine in every 5 requests.
    trend = screened[leaky_instance]["trend"]
    assert trend["slope_unit"] == "goroutines per unit of work"
    assert 0.1 < trend["slope"] < 0.35, trend

    # Screened again during the watch; the suspect is still polled once, not twice.
    assert len(screens) >= 4
    assert all(e["suspect"] for e in screens if e["instance"] == leaky_instance)

    # Only the suspect is polled, and its leak is named.
    (summary,) = events(lines, "summary")
    assert [t["target"] for t in summary["targets"]] == [f"{leaky.url}/debug/pprof"]
    (found,) = events(lines, "leak")
    assert found["blocking_site"]["function"] == "main.fetchQuote.func1"
    assert found["blocking_site"]["line"] == line_of("result <- lookup(key)")
    assert found["creation_site"]["function"] == "main.fetchQuote"
    assert done.returncode == 1, done.stderr

    # A selector Prometheus cannot parse: one line, exit 2.
    assert bad.returncode == 2
    assert bad.stderr.startswith("goleash: Prometheus rejected the query")
    assert len(bad.stderr.strip().splitlines()) == 1

    # A selector that matches nothing: one line naming what is missing, exit 2.
    assert nothing.returncode == 2
    assert 'no go_goroutines{job="checkout"} samples' in nothing.stderr
    assert len(nothing.stderr.strip().splitlines()) == 1
