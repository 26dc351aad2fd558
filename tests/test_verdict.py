"""The verdict a CI relies on, from any one dump of real leaky and healthy Go programs.

The dumps come from tests/go/verdict (leak shapes reduced from real bug reports, and a healthy
service), captured as users capture them, with the Go 1.27 `(leaked)` marks removed where the
test is about the verdict without the runtime's help. `goleash dump` runs as a subprocess.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from goleash.analysis.ignore import load_ignore_packs
from goleash.analysis.suspects import SUSPECT_THRESHOLD, assess
from verdict_capture import (
    Capture,
    at_marker,
    capture_deadlock,
    capture_inline,
    capture_served,
    parse,
    sigquit,
)

pytestmark = pytest.mark.slow

GOLEASH = [sys.executable, "-m", "goleash.cli", "dump", "--no-explain"]


def run(
    *args: str, env: dict[str, str] | None = None, stdin: bytes | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*GOLEASH, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        input=stdin.decode() if stdin is not None else None,
    )


def run_json(*args: str) -> tuple[int, dict[str, Any]]:
    proc = run(*args, "--format", "json")
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("verdict")
    out: dict[str, Path] = {}
    captures: dict[str, Capture] = {
        "service": capture_served("service", 2),
        "healthy": capture_served("healthy", 2),
        "http": capture_inline("http-body-unclosed", 3),
        "deadlock": capture_deadlock(),
    }
    for name, cap in captures.items():
        for fmt, data in cap.dumps.items():
            suffix = ".pb.gz" if fmt == "debug0" else ".txt"
            out[f"{name}-{fmt}"] = d / f"{name}-{fmt}{suffix}"
            out[f"{name}-{fmt}"].write_bytes(data)
    return out


def _leak_lines(doc: dict[str, Any]) -> list[dict[str, Any]]:
    from verdict_capture import _marked_lines

    marked = _marked_lines("// LEAK")
    return [
        g
        for g in doc["groups"]
        if (Path(g["blocking_site"]["file"]).name, g["blocking_site"]["line"]) in marked
    ]


# --- deadlock -------------------------------------------------------------------------------


def test_deadlock_dump_makes_every_blocked_goroutine_suspect(files: dict[str, Path]) -> None:
    path = str(files["deadlock-fatal"])
    assert b"all goroutines are asleep" in files["deadlock-fatal"].read_bytes()
    status, doc = run_json(path, "--all")
    assert status == 1
    assert doc["deadlock"] is True
    # main waits in WaitGroup.Wait: the "main" pack would hide it in a live service, but the
    # runtime has proved it can never return.
    main = [g for g in doc["groups"] if g["blocking_site"]["function"] == "main.main"]
    assert main and main[0]["ignored"] is None and main[0]["overruled_ignore"] == "main"
    for g in doc["groups"]:
        assert g["suspect"] and g["suspicion"] == 1.0 and g["proven"], g
        assert "deadlock" in g["reasons"][0]
    assert sum(g["count"] for g in doc["groups"]) == doc["total"] == 5
    text = run(path)
    assert text.returncode == 1
    assert "deadlock" in text.stdout.splitlines()[0]


# --- without the runtime's marks --------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["debug2", "sigquit"])
def test_leaks_started_by_requests_are_suspect_without_marks(
    files: dict[str, Path], fmt: str
) -> None:
    data = files[f"service-{fmt}"].read_bytes()
    assert b"(leaked)" not in data
    status, doc = run_json(str(files[f"service-{fmt}"]))
    assert status == 1
    leaks = _leak_lines(doc)
    # every shape of the corpus blocks at a // LEAK line: all of them are listed and suspect
    assert len({(g["blocking_site"]["line"]) for g in leaks}) >= 10
    assert all(g["suspect"] for g in leaks), [
        (g["blocking_site"], g["suspicion"]) for g in leaks if not g["suspect"]
    ]
    # the idle pools of the same service are listed below every leak
    pools = [g for g in doc["groups"] if any(at_marker_site(g, line) for line in ("// POOL",))]
    assert pools and max(p["suspicion"] for p in pools) < min(g["suspicion"] for g in leaks)


def at_marker_site(g: dict[str, Any], marker: str) -> bool:
    from verdict_capture import _marked_lines

    site = (Path(g["blocking_site"]["file"]).name, g["blocking_site"]["line"])
    return site in _marked_lines(marker)


@pytest.mark.parametrize("fmt", ["debug2", "sigquit", "debug1", "debug0"])
def test_healthy_service_is_clean_in_every_format(files: dict[str, Path], fmt: str) -> None:
    proc = run(str(files[f"healthy-{fmt}"]))
    assert proc.returncode == 0, proc.stdout
    assert " 0 suspects" in proc.stdout.splitlines()[0]


def test_receive_left_by_a_returned_call_is_not_called_a_pool_of_it(
    files: dict[str, Path],
) -> None:
    # The nested stopper: each call's goroutine waits for `done` from a helper that is stuck;
    # its helpers were started by it and are stuck too.
    snap = parse(files["service-debug2"].read_bytes(), "service")
    for a in assess(snap, load_ignore_packs(None)):
        if not at_marker(a.group, "// LEAK"):
            continue
        text = " ".join(a.reasons)
        assert not ("pool" in text and "has returned" in text and a.suspect), a.reasons


@pytest.mark.parametrize("fmt", ["debug1", "debug0"])
def test_formats_without_states_infer_waits_and_say_what_they_cannot_tell(
    files: dict[str, Path], fmt: str
) -> None:
    status, doc = run_json(str(files[f"service-{fmt}"]))
    assert status == 1  # the request labels still single out the leaks
    assert any("no goroutine states" in n for n in doc["notes"])
    assert any("debug=2" in n and "goleash watch" in n for n in doc["notes"])
    kinds = {g["kind"] for g in _leak_lines(doc)}
    assert {"mutex", "waitgroup", "cond"} <= kinds
    if fmt == "debug0":  # the protobuf keeps runtime frames: chansend/chanrecv/selectgo
        assert {"chan-send", "chan-receive", "select"} <= kinds
    text = run(str(files[f"service-{fmt}"])).stdout
    assert "unknown state (other)" not in text
    assert "note:" in text and "goleash watch" in text


# --- the runtime's mark wins ----------------------------------------------------------------


def test_leaked_http_connections_are_not_hidden_by_the_keepalive_pack(
    files: dict[str, Path],
) -> None:
    path = str(files["http-leak2"])
    status, doc = run_json(path)
    assert status == 1
    loops = {g["blocking_site"]["function"]: g for g in doc["groups"] if "persistConn" in str(g)}
    write = loops["net/http.(*persistConn).writeLoop"]
    assert write["leaked"] == write["count"] == 3
    assert write["ignored"] is None and write["suspect"] and write["suspicion"] >= 0.9
    assert write["overruled_ignore"] == "http-keepalive"
    assert any("http-keepalive" in r and "proof wins" in r for r in write["reasons"])
    text = run(path).stdout
    assert "http-keepalive would have hidden it" in text
    # Without the marks each writer alone looks like an idle pooled connection; its reader,
    # waiting for a body nobody closes, is suspect, and the writer started by the same call
    # goes with it instead of hiding under the pack.
    _, stripped = run_json(str(files["http-debug2"]))
    loops = {
        g["blocking_site"]["function"]: g
        for g in stripped["groups"]
        if "persistConn" in g["blocking_site"]["function"]
    }
    read = loops["net/http.(*persistConn).readLoop"]
    assert read["suspect"] and read["leaked"] == 0
    write = loops["net/http.(*persistConn).writeLoop"]
    assert write["suspect"] and write["overruled_ignore"] == "http-keepalive"
    assert "part of the same leak" in write["reasons"][0]


# --- accounting -----------------------------------------------------------------------------


def test_runtime_goroutines_are_counted_apart_and_listed_with_all(tmp_path: Path) -> None:
    data, count = sigquit("healthy", "system")
    path = tmp_path / "sigquit.txt"
    path.write_bytes(data)
    headers = data.count(b"\ngoroutine ")
    status, doc = run_json(str(path), "--all")
    assert status == 0
    assert doc["total"] == count  # what runtime.NumGoroutine said
    assert doc["runtime_total"] == headers - count > 0
    assert sum(g["count"] for g in doc["runtime_groups"]) == doc["runtime_total"]
    assert all(g["ignored"] == "runtime" and not g["suspect"] for g in doc["runtime_groups"])
    first = run(str(path)).stdout.splitlines()[0]
    assert first.startswith(f"{count} goroutines (+{headers - count} runtime)")
    listed = run(str(path), "--all").stdout
    assert "gcBgMarkWorker" in listed or "bgsweep" in listed
    _, plain = run_json(str(path))
    assert plain["runtime_groups"] == []


# --- damaged input --------------------------------------------------------------------------


def test_truncated_gzip_is_an_input_error_naming_the_cut(
    files: dict[str, Path], tmp_path: Path
) -> None:
    whole = files["service-debug0"].read_bytes()
    cut = tmp_path / "cut.pb.gz"
    cut.write_bytes(whole[:400])
    proc = run(str(cut))
    assert proc.returncode == 2 and proc.stdout == ""
    assert "Traceback" not in proc.stderr
    assert "truncated" in proc.stderr and "64 MB" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    # the same profile, intact, still reads
    assert gzip.decompress(whole)


def test_truncated_text_warns_on_stderr_and_keeps_the_verdict(
    files: dict[str, Path], tmp_path: Path
) -> None:
    whole = files["service-debug2"].read_bytes()
    cut = tmp_path / "cut.txt"
    # cut inside the first frame of a goroutine two thirds in, as a size limit would
    head = whole.index(b"\ngoroutine ", len(whole) * 2 // 3)
    at = whole.index(b"(", whole.index(b"\n", head + 1)) + 1
    cut.write_bytes(whole[:at] + b"\n")
    proc = run(str(cut))
    assert proc.returncode == 1  # the leaks before the cut are still found
    assert "warning:" not in proc.stdout and "1 warning on stderr" in proc.stdout
    assert "goleash: warning:" in proc.stderr
    assert "partial input: 1 goroutine record could not be read" in proc.stderr
    assert "Traceback" not in proc.stderr


# --- robust output and options ----------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_any_stdout_encoding(files: dict[str, Path], encoding: str) -> None:
    env = dict(os.environ, PYTHONIOENCODING=encoding)
    for name, status in (("service-debug1", 1), ("healthy-debug2", 0)):
        proc = run(str(files[name]), env=env)
        assert proc.returncode == status, proc.stderr
        assert "Traceback" not in proc.stderr
        assert "suspect" in proc.stdout


def test_bad_options_are_usage_errors(files: dict[str, Path], tmp_path: Path) -> None:
    path = str(files["healthy-debug2"])
    for args, word in (
        (("--state", "bogus"), "--state"),
        (("--source", str(tmp_path / "nonexistent")), "nonexistent"),
    ):
        proc = run(path, *args)
        assert proc.returncode == 2, (args, proc.stdout)
        assert word in proc.stderr and "Traceback" not in proc.stderr
        assert proc.stdout == ""
    # a real state or kind is accepted
    assert run(path, "--state", "chan-receive").returncode == 0
    assert run(path, "--state", "IO WAIT").returncode == 0


def test_help_lists_exit_statuses() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "goleash.cli", "dump", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0
    assert "Exit status:" in proc.stdout
    for line in ("0  no suspect group", "1  at least one suspect group", "2  usage error"):
        assert line in proc.stdout


def test_singular_wording() -> None:
    minutes = Path(__file__).parent / "fixtures" / "dumps" / "go1.27" / "traceback.minutes.txt"
    out = run(str(minutes), "--all", "-v").stdout
    assert "1 minutes" not in out and "waiting     1 minute" in out
    deep = Path(__file__).parent / "fixtures" / "dumps" / "go1.27" / "traceback.debug2.txt"
    out = run(str(deep), "--all").stdout
    assert " 1 more frames" not in out


assert SUSPECT_THRESHOLD == 0.5
