"""`goleash verify` against a real service it starts itself, under a real load tool.

loadsvc (tests/go/loadsvc) is started by `--start`, loaded by its own `load` subcommand through
`--load` (both run without a shell), and verified with a fast settle (counts still for 0.2 s).
The clean and the leaky runs are repeated: a gate that passes a leak once in a while, or fails
a clean service once in a while, is worse than none.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

import loadsvc
from goleash.cli import main
from gotools import free_port

FAST = ("--settle-quiet", "0.2", "--settle-timeout", "20", "--startup-timeout", "60")
CLEAN = ("/pool", "/work?n=6&ms=100", "/cache")
REPEATS = 5


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(["verify", *args])
    out, err = capsys.readouterr()
    code = exit_info.value.code
    return (code if isinstance(code, int) else 0), out, err


def verify_service(
    capsys: pytest.CaptureFixture[str],
    paths: tuple[str, ...],
    *service_flags: str,
    fmt: str = "json",
    n: int = 40,
) -> tuple[int, Any]:
    """verify --start loadsvc --load 'loadsvc load …' and the parsed JSON (or text)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    code, out, err = run(
        capsys,
        "--start",
        loadsvc.start_command(port, *service_flags),
        "--url",
        url,
        "--load",
        loadsvc.load_command(url, *paths, n=n),
        "--format",
        fmt,
        *FAST,
    )
    assert code in (0, 1), err
    # The service verify started is stopped: nothing answers on its port any more.
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/count", timeout=5)
    return code, (json.loads(out) if fmt == "json" else out)


def by_blocking(report: dict[str, Any], function: str) -> dict[str, Any]:
    found = [
        g
        for g in report["groups"]
        if g["blocking_site"]["function"].split("[")[0] == function.split("[")[0]
    ]
    assert len(found) == 1, [(g["blocking_site"], g["series"]) for g in report["groups"]]
    return found[0]


@pytest.mark.slow
@pytest.mark.parametrize("attempt", range(REPEATS))
def test_a_clean_service_passes_every_time(
    capsys: pytest.CaptureFixture[str], attempt: int
) -> None:
    # The cache holds 8 entries: the warm-up's 10 /cache requests fill it.
    code, report = verify_service(capsys, CLEAN, "-cache", "8")
    leaks = [(g["blocking_site"], g["series"]) for g in report["groups"] if g["leak"]]
    assert (code, report["verdict"], leaks) == (0, "clean", [])
    assert report["schema"] == "goleash.verify/1"
    assert [p["phase"] for p in report["points"]] == [
        "start",
        "warm-up",
        "cycle 1/3",
        "cycle 2/3",
        "cycle 3/3",
    ]
    assert all(p["settled"] for p in report["points"]), report["points"]
    pool = by_blocking(report, loadsvc.POOL_FUNCTION)
    assert pool["verdict"] == "plateau"
    assert pool["series"] == {"start": 0, "baseline": 8, "cycles": [8, 8, 8]}
    assert by_blocking(report, loadsvc.CACHE_FUNCTION)["series"]["cycles"] == [8, 8, 8]


@pytest.mark.slow
@pytest.mark.parametrize("attempt", range(REPEATS))
def test_a_leaky_service_fails_every_time(capsys: pytest.CaptureFixture[str], attempt: int) -> None:
    # 40 requests spread over four endpoints: 10 leak per cycle.
    code, report = verify_service(capsys, ("/leak", *CLEAN), "-cache", "8")
    assert (code, report["verdict"], report["leaks"]) == (1, "leak", 1)
    leak = report["groups"][0]
    assert leak["leak"] is True
    assert leak["series"] == {"start": 0, "baseline": 10, "cycles": [20, 30, 40]}
    assert leak["blocking_site"]["function"] == loadsvc.LEAK_FUNCTION
    assert leak["blocking_site"]["line"] == loadsvc.LEAK_LINE
    assert leak["creation_site"]["line"] == loadsvc.LEAK_CREATED_LINE
    assert leak["state"] == "chan send"
    assert leak["pattern"]["rule"] == "abandoned-send"
    # The pool and the cache beside it are not called leaks.
    assert by_blocking(report, loadsvc.POOL_FUNCTION)["verdict"] == "plateau"
    assert by_blocking(report, loadsvc.CACHE_FUNCTION)["verdict"] == "plateau"


@pytest.mark.slow
def test_text_report_names_the_blocking_and_creation_sites(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out = verify_service(capsys, ("/leak", "/pool"), fmt="text", n=10)
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("LEAK: 1 stack grew with the load")
    assert "after warm-up 5 · after each cycle 10 15 20" in out
    blocked = next(line for line in lines if "blocked at" in line)
    created = next(line for line in lines if "created at" in line)
    assert loadsvc.LEAK_FUNCTION in blocked and f"main.go:{loadsvc.LEAK_LINE}" in blocked
    assert f"main.go:{loadsvc.LEAK_CREATED_LINE}" in created
    assert "PLATEAU" in out  # the pool, listed as such
    assert "abandoned-send" in out  # the source is at hand: the pattern and fix are named


@pytest.mark.slow
def test_a_cache_that_fills_during_the_first_cycle_is_not_a_leak(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # 10 /cache requests per cycle against a bound of 16: 10 after the warm-up, then 16.
    code, report = verify_service(capsys, ("/cache", "/pool", "/work", "/pool"), "-cache", "16")
    assert (code, report["verdict"]) == (0, "clean")
    cache = by_blocking(report, loadsvc.CACHE_FUNCTION)
    assert cache["series"] == {"start": 0, "baseline": 10, "cycles": [16, 16, 16]}
    assert cache["verdict"] == "plateau"


@pytest.mark.slow
def test_background_work_outliving_the_settle_period_is_not_a_leak(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Each request leaves 10 goroutines sleeping 0.6 s: longer than the 0.2 s settle period, so
    # some settled points catch them and some do not. Work that comes and goes never adds up.
    code, report = verify_service(capsys, ("/work?n=10&ms=600", "/pool"), n=4)
    assert (code, report["verdict"]) == (0, "clean"), [
        (g["blocking_site"]["function"], g["series"]) for g in report["groups"]
    ]


@pytest.mark.slow
def test_an_already_running_service_by_url(capsys: pytest.CaptureFixture[str]) -> None:
    with loadsvc.serving() as svc:
        load = loadsvc.load_command(svc.url, "/leak", n=3)
        code, out, err = run(
            capsys, "--url", svc.url, "--load", load, "--cycles", "2", "--format", "json", *FAST
        )
        assert code == 1, err
        report = json.loads(out)
        assert report["groups"][0]["series"] == {"start": 0, "baseline": 3, "cycles": [6, 9]}
        assert svc.proc.poll() is None  # verify leaves a service it did not start running


# A load command that, on its third run (the second load cycle), restarts the service the way a
# supervisor would: kill -9, start it again on the same address, wait until it listens.
RESTARTING_LOAD = """
import os, signal, subprocess, sys, time, urllib.request
from pathlib import Path
exe, addr, state = sys.argv[1], sys.argv[2], Path(sys.argv[3])
runs = int(state.read_text()) if state.exists() else 0
state.write_text(str(runs + 1))
pidfile = state.with_name("pid")
if runs == 2:
    os.kill(int(pidfile.read_text()), signal.SIGKILL)
    time.sleep(0.2)
    proc = subprocess.Popen([exe, "-addr", addr], stdout=subprocess.DEVNULL)
    pidfile.write_text(str(proc.pid))
    for _ in range(400):
        try:
            urllib.request.urlopen(f"http://{addr}/count")
            break
        except OSError:
            time.sleep(0.05)
subprocess.run([exe, "load", "-n", "5", f"http://{addr}/leak"], check=True)
"""


@pytest.mark.slow
def test_a_service_restarted_during_the_run_voids_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    port = free_port()
    addr = f"127.0.0.1:{port}"
    with loadsvc.serving(port=port) as svc:
        (tmp_path / "pid").write_text(str(svc.proc.pid))
        script = tmp_path / "load.py"
        script.write_text(RESTARTING_LOAD)
        argv = [sys.executable, str(script), str(svc.binary), addr, str(tmp_path / "runs")]
        try:
            code, out, err = run(capsys, "--url", svc.url, "--load", shlex.join(argv), *FAST)
        finally:
            restarted = int((tmp_path / "pid").read_text())
            if restarted != svc.proc.pid:  # started by the load script, which has exited
                os.kill(restarted, signal.SIGKILL)
    # Without the check the leak would look drained (5, 10, then 5 again in a new process).
    assert (code, out) == (2, "")
    assert "the service restarted during cycle 2" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.slow
@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("service exits", "exited with status 1 before"),
        ("load fails", "--load: false failed with exit status 1"),
        ("load not found", "--load: no-such-load-tool: command not found"),
    ],
)
def test_failures_of_the_service_or_the_load_are_input_errors(
    capsys: pytest.CaptureFixture[str], case: str, message: str
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    start = loadsvc.start_command(port)
    load = loadsvc.load_command(url, "/pool", n=2)
    if case == "service exits":
        start = shlex.join([str(loadsvc.binary()), "-addr", "not-an-address"])
    elif case == "load fails":
        load = "false"
    else:
        load = "no-such-load-tool -n 3"
    code, out, err = run(capsys, "--start", start, "--url", url, "--load", load, *FAST)
    assert (code, out) == (2, "")
    assert len(err.strip().splitlines()) == 1, err
    assert message in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--url", "http://127.0.0.1:{port}", "--load", "true"], "cannot connect to 127.0.0.1"),
        (["--url", "http://127.0.0.1:{port}/?x=1", "--load", "true"], "without a query"),
        (["--url", "ftp://example.com", "--load", "true"], "not an http(s) base URL"),
        (
            ["--url", "http://127.0.0.1:{port}", "--load", "echo 'unbalanced"],
            "--load: cannot split",
        ),
        (
            ["--url", "http://127.0.0.1:{port}", "--load", "true", "--start", "no-such-svc"],
            "not found",
        ),
        (["--url", "http://127.0.0.1:{port}", "--load", "true", "--cycles", "0"], "--cycles"),
        (["--load", "true"], "--url"),
        (
            ["--url", "http://127.0.0.1:{port}", "--load", "true", "--start", "sleep 30"],
            "did not answer within 0.5 s of starting sleep",  # --startup-timeout 0.5 below
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    port = free_port()  # nothing listens there
    quick = (*FAST, "--startup-timeout", "0.5")
    code, out, err = run(capsys, *quick, *(a.format(port=port) for a in args))
    assert (code, out) == (2, "")
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("goleash: ")
    assert message in err
