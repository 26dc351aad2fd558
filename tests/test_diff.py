"""`goleash diff` on real dumps of a real service, before and after real load.

loadsvc (tests/go/loadsvc) runs on 127.0.0.1; its own load tool drives it. Dumps are scraped from
its pprof endpoint in the three formats users save (debug=2, debug=1, protobuf), from the same
process, from a restarted one, and from the same code built in another directory.
"""

from __future__ import annotations

import fcntl
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest

import loadsvc
from goleash.cli import main
from goleash.dumps import read_snapshots
from goleash.model import Snapshot

FORMATS = ("debug=2", "debug=1", "debug=0")
# Before and after in every format, each format on each side at least once.
PAIRS = [
    ("debug=2", "debug=2"),
    ("debug=2", "debug=1"),
    ("debug=1", "debug=0"),
    ("debug=0", "debug=2"),
]
LEAKS_A = 12  # /leak requests sent to the first process
LEAKS_B = 20  # and to the restarted, rebuilt one
CLEAN = ("/pool", "/work", "/cache")
BUSY = 10  # background goroutines started by one /work request
CACHE_MAX = "8"  # so the warm-up (20 /cache requests) fills the cache


def _save(d: Path, name: str, data: bytes) -> Path:
    path = d / name
    path.write_bytes(data)
    return path


def _capture_all(d: Path) -> dict[str, Path]:
    """Dumps of one process at three moments, and of a restarted, rebuilt one."""
    files: dict[str, Path] = {}
    with loadsvc.serving("-cache", CACHE_MAX) as svc:
        svc.load(*CLEAN, n=60)  # warm-up: the pool starts, the cache fills
        for fmt in FORMATS:
            files[f"before {fmt}"] = _save(d, f"before-{fmt}", svc.capture(fmt))
        svc.load(*CLEAN, n=60)
        for fmt in FORMATS:
            files[f"clean {fmt}"] = _save(d, f"clean-{fmt}", svc.capture(fmt))
        svc.load("/leak", n=LEAKS_A)
        svc.load(*CLEAN, n=60)
        for fmt in (*FORMATS, "leak", "leak debug=0"):
            files[f"after {fmt}"] = _save(d, f"after-{fmt.replace(' ', '-')}", svc.capture(fmt))
    elsewhere = loadsvc.binary_elsewhere()
    with loadsvc.serving("-cache", CACHE_MAX, exe=elsewhere) as svc:
        svc.load(*CLEAN, n=60)
        svc.load("/leak", n=LEAKS_B)
        for fmt in FORMATS:
            files[f"restarted {fmt}"] = _save(d, f"restarted-{fmt}", svc.capture(fmt))
        # Work in flight: goroutines that sleep 10 s after their requests have returned.
        svc.load(f"/work?n={BUSY}&ms=10000", n=1)
        for fmt in ("debug=2", "debug=1"):
            files[f"busy {fmt}"] = _save(d, f"busy-{fmt}", svc.capture(fmt))
    return files


@pytest.fixture(scope="module")
def captures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The dumps, captured once per test run: parallel workers share them (the first one to
    take the lock captures, the others read its index)."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if run is None:  # one process: nobody to share with
        return _capture_all(tmp_path_factory.mktemp("diff"))
    shared = tmp_path_factory.getbasetemp().parent / f"diff-captures-{run}"
    shared.mkdir(exist_ok=True)
    index = shared / "index.json"
    with open(shared / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not index.exists():
            files = _capture_all(shared)
            index.write_text(json.dumps({k: str(v) for k, v in files.items()}))
    return {k: Path(v) for k, v in json.loads(index.read_text()).items()}


def snapshot(path: Path) -> Snapshot:
    return read_snapshots(io.BytesIO(path.read_bytes()))[0]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(["diff", *args])
    out, err = capsys.readouterr()
    code = exit_info.value.code
    return (code if isinstance(code, int) else 0), out, err


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code, out, err = run(capsys, *args, "--format", "json")
    assert code in (0, 1), err
    return code, json.loads(out)


def by_blocking(report: dict[str, Any], function: str) -> dict[str, Any]:
    # Generic functions are spelled main.refresh[...] or main.refresh[go.shape.string].
    found = [
        g
        for g in report["groups"]
        if g["blocking_site"]["function"].split("[")[0] == function.split("[")[0]
    ]
    assert len(found) == 1, [g["blocking_site"] for g in report["groups"]]
    return found[0]


@pytest.mark.slow
def test_stack_keys_match_across_formats_restarts_and_builds(captures: dict[str, Path]) -> None:
    user_stacks = ("handleLeak.func1", "(*service).worker", "main.refresh[")
    keys: dict[str, set[str]] = {name: set() for name in user_stacks}
    files: dict[str, set[str]] = {name: set() for name in user_stacks}
    functions: set[str] = set()
    for label in ("after debug=2", "after debug=1", "after debug=0", "after leak"):
        for label2 in (label, label.replace("after", "restarted")):
            if label2 not in captures:
                continue
            for g in snapshot(captures[label2]).groups:
                for name in user_stacks:
                    site = g.blocking_site
                    if site is not None and name in site.function:
                        keys[name].add(g.stack_key)
                        files[name].add(site.file)
                        functions.add(site.function)
    for name in user_stacks:
        assert len(keys[name]) == 1, (name, keys[name])
        # The same code built at two paths.
        assert len(files[name]) == 2, files[name]
    # The generic cache's refresher is spelled two ways; the key does not care.
    assert "main.refresh[...]" in functions
    assert "main.refresh[go.shape.string]" in functions
    assert len({k for ks in keys.values() for k in ks}) == 3


@pytest.mark.slow
@pytest.mark.parametrize(
    ("before", "after"),
    [*PAIRS, ("debug=0", "leak")],
)
def test_diff_finds_the_leak_in_any_formats(
    captures: dict[str, Path], capsys: pytest.CaptureFixture[str], before: str, after: str
) -> None:
    code, report = run_json(
        capsys, str(captures[f"before {before}"]), str(captures[f"after {after}"])
    )
    assert code == 1
    assert report["schema"] == "goleash.diff/1"
    assert report["verdict"] == "leak"
    assert report["leaks"] == 1
    leak = report["groups"][0]
    assert leak["leak"] is True
    assert leak["blocking_site"]["function"] == loadsvc.LEAK_FUNCTION
    assert leak["blocking_site"]["line"] == loadsvc.LEAK_LINE
    assert (leak["before"], leak["after"], leak["delta"]) == (0, LEAKS_A, LEAKS_A)
    assert leak["status"] == "new"
    if after != "debug=1":  # debug=1 prints no state, and the stack is new: nothing to borrow
        assert leak["state"] == "chan send"
    if after in ("debug=2", "leak"):  # the formats that print creators
        assert leak["creation_site"]["line"] == loadsvc.LEAK_CREATED_LINE
        assert leak["pattern"]["rule"] == "abandoned-send"
    # The pool and the full cache are there on both sides, unchanged: not leaks.
    everything = run_json(
        capsys, str(captures[f"before {before}"]), str(captures[f"after {after}"]), "--all"
    )[1]
    for function in (loadsvc.POOL_FUNCTION, loadsvc.CACHE_FUNCTION):
        g = by_blocking(everything, function)
        assert (g["delta"], g["leak"]) == (0, False), g
    assert by_blocking(everything, loadsvc.POOL_FUNCTION)["after"] == loadsvc.POOL_SIZE


@pytest.mark.slow
@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("debug=2", "debug=2"),
        ("debug=2", "debug=1"),
        ("debug=1", "debug=0"),
        ("debug=0", "debug=2"),
    ],
)
def test_diff_is_clean_after_load_that_leaks_nothing(
    captures: dict[str, Path], capsys: pytest.CaptureFixture[str], before: str, after: str
) -> None:
    code, report = run_json(
        capsys, str(captures[f"before {before}"]), str(captures[f"clean {after}"])
    )
    assert (code, report["verdict"], report["leaks"]) == (0, "clean", 0), report["groups"]
    assert not [g for g in report["groups"] if g["leak"]]


@pytest.mark.slow
def test_diff_text_names_where_the_leak_blocks_and_starts(
    captures: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, str(captures["before debug=1"]), str(captures["after debug=2"]))
    assert code == 1
    assert f"0 → {LEAKS_A} (+{LEAKS_A})" in out
    assert "LEAK" in out
    blocked = next(line for line in out.splitlines() if "blocked at" in line)
    created = next(line for line in out.splitlines() if "created at" in line)
    assert loadsvc.LEAK_FUNCTION in blocked and f"main.go:{loadsvc.LEAK_LINE}" in blocked
    assert f"main.go:{loadsvc.LEAK_CREATED_LINE}" in created
    # The source is at hand (the dump's paths exist): the pattern and its fix are named.
    assert "abandoned-send" in out
    assert "fix" in out
    # The unchanged pool is not listed without --all.
    assert loadsvc.POOL_FUNCTION not in out


@pytest.mark.slow
def test_diff_across_a_restart_into_another_build(
    captures: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: the first process; after: a restarted process of the same code built elsewhere.
    code, report = run_json(
        capsys, str(captures["after debug=2"]), str(captures["restarted debug=0"]), "--all"
    )
    assert code == 1
    leak = by_blocking(report, loadsvc.LEAK_FUNCTION)
    assert (leak["status"], leak["before"], leak["after"]) == ("grew", LEAKS_A, LEAKS_B)
    assert leak["leak"] is True
    pool = by_blocking(report, loadsvc.POOL_FUNCTION)
    assert (pool["status"], pool["delta"]) == ("unchanged", 0)
    # The other way round the leak shrank: a restart is not a leak.
    code, report = run_json(
        capsys, str(captures["restarted debug=1"]), str(captures["after debug=0"]), "--all"
    )
    assert (code, report["verdict"]) == (0, "clean")
    assert by_blocking(report, loadsvc.LEAK_FUNCTION)["status"] == "shrank"


@pytest.mark.slow
def test_min_delta_raises_the_bar(
    captures: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    before, after = str(captures["after debug=1"]), str(captures["restarted debug=1"])
    assert run_json(capsys, before, after, "--min-delta", str(LEAKS_B - LEAKS_A))[0] == 1
    assert run_json(capsys, before, after, "--min-delta", str(LEAKS_B - LEAKS_A + 1))[0] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing-before.txt", "missing-after.txt"], "missing-before.txt: no such file"),
        (["-", "-"], "cannot both be standard input"),
        (["{html}", "{html}"], ""),
        (["{empty}", "{html}"], ""),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    html = tmp_path / "page.html"
    html.write_text("<!DOCTYPE html><html><body>Login</body></html>\n")
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    args = [a.format(html=html, empty=empty) for a in args]
    code, out, err = run(capsys, *args)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("goleash: ")
    assert message in err


@pytest.mark.slow
def test_a_leaked_only_profile_is_flagged(
    captures: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    # goroutineleak at debug=0 lists only what the runtime proved leaked: the leak is there,
    # the pool and cache seem gone, and the report says why.
    code, report = run_json(
        capsys, str(captures["before debug=0"]), str(captures["after leak debug=0"]), "--all"
    )
    assert code == 1
    assert report["after"]["profile"] == "goroutineleak"
    assert by_blocking(report, loadsvc.LEAK_FUNCTION)["after"] == LEAKS_A
    assert by_blocking(report, loadsvc.POOL_FUNCTION)["status"] == "vanished"
    assert any("only the goroutines the runtime marked leaked" in w for w in report["warnings"])


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["debug=2", "debug=1"])
def test_work_in_flight_is_not_a_leak(
    captures: dict[str, Path], capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    code, report = run_json(
        capsys, str(captures["restarted debug=0"]), str(captures[f"busy {fmt}"])
    )
    assert (code, report["verdict"]) == (0, "clean")
    work = by_blocking(report, "main.(*service).handleWork.func1")
    assert (work["status"], work["delta"], work["leak"]) == ("new", BUSY, False)
    assert work["state"] == "sleep"


@pytest.mark.slow
def test_no_explain_leaves_the_pattern_out(
    captures: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    before, after = str(captures["before debug=2"]), str(captures["after debug=2"])
    code, report = run_json(capsys, before, after, "--no-explain")
    assert code == 1
    assert report["groups"][0]["pattern"] is None
