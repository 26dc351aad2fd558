"""`goleash dump` as a user runs it: a subprocess on real dumps scraped from a real program."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from shapes import SHAPES_SRC, marker_line, one_connection, running_shapes

pytestmark = pytest.mark.slow

GOLEASH = [sys.executable, "-m", "goleash.cli", "dump"]


def run(
    *args: str, stdin: bytes | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*GOLEASH, *args],
        input=stdin.decode() if stdin is not None else None,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
    )


def run_json(*args: str) -> tuple[int, dict[str, Any]]:
    proc = run(*args, "--format", "json")
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


@pytest.fixture(scope="module")
def dumps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("dumps")
    files: dict[str, Path] = {}
    # One keep-alive connection per program (see one_connection): the healthy dump must show
    # the accept loop parked, as the accept-loop pack describes it.
    with running_shapes() as addr, one_connection(addr) as get:
        for name, path in {
            "leaky.txt": "/debug/pprof/goroutine?debug=2",
            "leaky-leak.txt": "/debug/pprof/goroutineleak?debug=2",
            "leaky.pb.gz": "/debug/pprof/goroutine?debug=0",
            "leaky-debug1.txt": "/debug/pprof/goroutine?debug=1",
        }.items():
            files[name] = d / name
            files[name].write_bytes(get(path))
    with running_shapes("-leaks", "0") as addr, one_connection(addr) as get:
        files["healthy.txt"] = d / "healthy.txt"
        files["healthy.txt"].write_bytes(get("/debug/pprof/goroutine?debug=2"))
        files["healthy-debug1.txt"] = d / "healthy-debug1.txt"
        files["healthy-debug1.txt"].write_bytes(get("/debug/pprof/goroutine?debug=1"))
    return files


SITE = {"function": str, "file": str, "line": int}


def _check_site(site: Any) -> None:
    assert isinstance(site, dict)
    for key, typ in SITE.items():
        assert isinstance(site[key], typ), (key, site)


def _check_contract(doc: dict[str, Any]) -> None:
    assert doc["schema"] == "goleash.dump/1"
    assert isinstance(doc["format"], str)
    assert doc["go_version"] is None or isinstance(doc["go_version"], str)
    assert isinstance(doc["total"], int) and isinstance(doc["unparsed"], int)
    assert isinstance(doc["warnings"], list) and all(isinstance(w, str) for w in doc["warnings"])
    for g in doc["groups"]:
        assert isinstance(g["signature"], str) and g["signature"]
        assert isinstance(g["count"], int) and g["count"] >= 1
        assert isinstance(g["state"], str) and isinstance(g["kind"], str)
        wm = g["wait_minutes"]
        assert wm is None or (len(wm) == 2 and all(isinstance(x, int) for x in wm))
        assert isinstance(g["leaked"], int)
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in g["labels"].items())
        _check_site(g["blocking_site"])
        if g["creation_site"] is not None:
            _check_site(g["creation_site"])
        for f in g["frames"]:
            _check_site(f)
        assert isinstance(g["suspicion"], float) and 0.0 <= g["suspicion"] <= 1.0
        assert all(isinstance(r, str) and r for r in g["reasons"])
        assert g["ignored"] is None or isinstance(g["ignored"], str)
    suspicion = [g["suspicion"] for g in doc["groups"]]
    assert suspicion == sorted(suspicion, reverse=True)


@pytest.mark.parametrize("name", ["leaky.txt", "leaky-leak.txt", "leaky.pb.gz", "healthy.txt"])
def test_json_contract(dumps: dict[str, Path], name: str) -> None:
    _, doc = run_json(str(dumps[name]), "--all")
    _check_contract(doc)
    assert doc["total"] == sum(g["count"] for g in doc["groups"])


def test_leaky_dump_names_the_blocked_send_and_exits_1(dumps: dict[str, Path]) -> None:
    status, doc = run_json(str(dumps["leaky.txt"]))
    assert status == 1
    suspects = [g for g in doc["groups"] if g["suspicion"] >= 0.5]
    assert len(suspects) == 1
    top = suspects[0]
    assert top is doc["groups"][0] or top == doc["groups"][0]
    assert top["count"] == 6 and top["state"] == "chan send" and top["kind"] == "chan-send"
    assert top["blocking_site"]["line"] == marker_line("// LEAK:")
    assert top["blocking_site"]["file"].endswith("analysisshapes/main.go")
    assert top["creation_site"]["function"] == "main.lookup"
    assert top["orphans"] == 6
    # no group is hidden by an ignore pack unless --all is given
    assert all(g["ignored"] is None for g in doc["groups"])


def test_goroutineleak_dump_reports_the_leaked_count(dumps: dict[str, Path]) -> None:
    status, doc = run_json(str(dumps["leaky-leak.txt"]))
    assert status == 1
    top = doc["groups"][0]
    assert top["leaked"] == 6 and top["suspicion"] >= 0.9
    assert any("goroutineleak" in r for r in top["reasons"])


def test_healthy_dump_exits_0_with_no_suspect(dumps: dict[str, Path]) -> None:
    status, doc = run_json(str(dumps["healthy.txt"]), "--all")
    assert status == 0
    assert all(g["suspicion"] < 0.5 for g in doc["groups"])
    packs = {g["ignored"] for g in doc["groups"]}
    assert {"accept-loop", "http-keepalive", "os/signal", "pprof", "main"} <= packs


def test_all_shows_ignored_groups(dumps: dict[str, Path]) -> None:
    _, some = run_json(str(dumps["leaky.txt"]))
    _, every = run_json(str(dumps["leaky.txt"]), "--all")
    assert len(every["groups"]) > len(some["groups"])
    assert any(g["ignored"] for g in every["groups"])


def test_filters(dumps: dict[str, Path]) -> None:
    path = str(dumps["leaky.txt"])
    _, doc = run_json(path, "--match", r"main\.startPool")
    assert [g["count"] for g in doc["groups"]] == [8]
    _, doc = run_json(path, "--state", "chan-send", "--all")
    assert [g["kind"] for g in doc["groups"]] == ["chan-send"]
    _, doc = run_json(path, "--state", "IO wait", "--all")
    assert doc["groups"] and all(g["state"] == "IO wait" for g in doc["groups"])
    _, doc = run_json(path, "--min-count", "7", "--all")
    assert [g["count"] for g in doc["groups"]] == [8]
    status, doc = run_json(path, "--top", "1", "--all")
    assert len(doc["groups"]) == 1 and doc["groups"][0]["count"] == 6
    assert status == 1
    # A filter that leaves out the suspect group leaves nothing to report: exit 0.
    status, doc = run_json(path, "--match", "startPool")
    assert status == 0


def test_text_report_when_piped(dumps: dict[str, Path]) -> None:
    proc = run(str(dumps["leaky.txt"]))
    assert proc.returncode == 1
    out = proc.stdout
    assert "\x1b[" not in out  # no colour when piped
    first = out.splitlines()[0]
    assert re.search(r"\d+ goroutines in \d+ groups · 1 suspect\b", first), first
    line = marker_line("// LEAK:")
    assert f"main.lookup.func1 (main.go:{line})" in out
    assert 'answer <- "value"' in out  # the dump's file exists here: the code line is shown
    assert "their parent goroutine has exited (6 of 6 orphaned)" in out
    assert "SUSPECT" in out


def test_source_dir_finds_moved_files(dumps: dict[str, Path], tmp_path: Path) -> None:
    # The dump names /work/.../analysisshapes/main.go; a checkout elsewhere is found by tail.
    text = dumps["leaky.txt"].read_text()
    moved = text.replace(str(SHAPES_SRC.parent), "/build/svc")
    (tmp_path / "dump.txt").write_text(moved)
    checkout = tmp_path / "checkout" / "svc"
    checkout.mkdir(parents=True)
    (checkout / "main.go").write_text(SHAPES_SRC.read_text())
    proc = run(str(tmp_path / "dump.txt"), "--source", str(tmp_path / "checkout"), cwd=tmp_path)
    assert "/build/svc/main.go" in proc.stdout
    assert 'answer <- "value"' in proc.stdout


def test_stdin(dumps: dict[str, Path]) -> None:
    proc = run("-", "--format", "json", stdin=dumps["leaky.txt"].read_bytes())
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["groups"][0]["count"] == 6


def test_several_dumps_analyse_the_last(dumps: dict[str, Path], tmp_path: Path) -> None:
    both = tmp_path / "both.txt"
    both.write_bytes(
        dumps["leaky-debug1.txt"].read_bytes() + b"\n" + dumps["healthy-debug1.txt"].read_bytes()
    )
    status, doc = run_json(str(both))
    assert any("2 dumps" in w and "last" in w for w in doc["warnings"])
    healthy = json.loads(run(str(dumps["healthy-debug1.txt"]), "--format", "json").stdout)
    assert doc["total"] == healthy["total"]
    assert status == 0


def test_live_service_url() -> None:
    with running_shapes() as addr:
        status, doc = run_json(f"http://{addr}")
    assert status == 1
    top = doc["groups"][0]
    assert top["blocking_site"]["line"] == marker_line("// LEAK:")
    assert top["leaked"] == 6  # the base URL fetched the goroutineleak profile


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _assert_one_line_error(proc: subprocess.CompletedProcess[str], *words: str) -> None:
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    for w in words:
        assert w in lines[0], lines[0]
    assert proc.stdout == ""


def test_bad_input(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    _assert_one_line_error(run(str(empty)), "empty")
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(range(256)) * 64)
    _assert_one_line_error(run(str(junk)), "not a goroutine dump")
    _assert_one_line_error(run(str(tmp_path)), str(tmp_path))
    _assert_one_line_error(run(str(tmp_path / "missing.txt")), "missing.txt")
    _assert_one_line_error(run(f"http://127.0.0.1:{_closed_port()}/", "--timeout", "3"))


def test_bad_options(dumps: dict[str, Path], tmp_path: Path) -> None:
    path = str(dumps["leaky.txt"])
    _assert_one_line_error(run(path, "--match", "main.(*T"), "--match")
    _assert_one_line_error(run(path, "--config", str(tmp_path / "nope.toml")), "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[[dump.ignore]]\nname = 'x'\nfunction = '('\n")
    _assert_one_line_error(run(path, "--config", str(bad)), "invalid regular expression")
