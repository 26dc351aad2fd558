"""Reading what a test binary wrote after its tests: the goroutines they left, and who is who.

The file (written by ``check.go``) is a few ``key value`` lines, then two sections:

```
goleash-test 1
go go1.27.3
exit 1
settle 0.112 stable          # seconds spent settling, and how it ended
leakprofile 1                # the runtime's goroutineleak profile marked what it could
before 3                     # goroutines alive before the tests
main 1                       # the goroutine that ran TestMain
test 1 20 5465737441         # label value, goroutine id, hex of the test's full name
== traceback
goroutine 21 [chan send] {goleash.test: 1}:      (labels printed from Go 1.26 on)
...
== debug1
1 @ 0x… 0x…                  # goroutine-profile records of goroutines a test started
# labels: {"goleash.test":"1"}
...
```
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from goleash.errors import InputError
from goleash.model import Group, Snapshot

LABEL = "goleash.test"
TESTMAIN_LABEL = 0  # goroutines the package's own TestMain started outside any test
_HEADER_ID = re.compile(rb"goroutine (\d+) ")
_PARENT = re.compile(rb"^created by \S+ in goroutine (\d+)$", re.M)


@dataclass(frozen=True, slots=True)
class TestRecord:
    """One test or subtest run: its label value, the goroutine it ran in, its full name."""

    label: int
    goid: int
    name: str


@dataclass(frozen=True, slots=True)
class Leftover:
    """One goroutine still alive after the tests, with what attribution needs to know."""

    id: int
    parent: int | None
    group: Group  # the goroutine alone, as the dump parser reads it
    label: int | None  # the test label printed in its header (Go 1.26+), if any


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What one run of a package's test binary left behind."""

    go_version: str
    exit_code: int
    settle_seconds: float
    settled: str  # clean | stable | leak-profile | deadline
    leak_profile: bool
    before: int
    tests: tuple[TestRecord, ...]
    snapshot: Snapshot | None  # every goroutine left, grouped (None when none was left)
    leftovers: tuple[Leftover, ...]
    # From the goroutine profile: per test label, how many goroutines sit on each stack key.
    label_counts: Mapping[int, Mapping[str, int]] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    main_goroutine: int | None = None  # the goroutine that ran TestMain

    def test_name(self, label: int) -> str | None:
        if label == TESTMAIN_LABEL:
            return "TestMain"
        if 1 <= label <= len(self.tests):
            return self.tests[label - 1].name
        return None


def _split(text: bytes) -> list[bytes]:
    return [r.strip(b"\n") for r in text.split(b"\n\n") if r.strip(b"\n")]


def _one_group(data: bytes, source: str) -> Group | None:
    from goleash.dumps import read_snapshots  # only when something was left: start-up stays light

    try:
        snaps = read_snapshots(io.BytesIO(data), source=source)
    except InputError:
        return None
    for snap in snaps:
        if snap.groups:
            return snap.groups[0]
    return None


def _label_of(group: Group) -> int | None:
    value = group.labels.get(LABEL)
    return int(value) if value is not None and value.isdigit() else None


def parse_result(data: bytes, source: str) -> CheckResult:
    """Read one result file; raises InputError when it is not one."""
    head, sep, rest = data.partition(b"\n== traceback\n")
    if not sep or not head.startswith(b"goleash-test 1"):
        raise InputError(f"{source}: not a goleash test result")
    traceback, _, debug1 = rest.partition(b"== debug1\n")
    fields: dict[str, list[str]] = {}
    tests: list[TestRecord] = []
    for line in head.decode("utf-8", "replace").splitlines()[1:]:
        key, _, value = line.partition(" ")
        if key == "test":
            parts = value.split(" ")
            if len(parts) == 3 and parts[0].isdigit() and parts[1].isdigit():
                name = bytes.fromhex(parts[2]).decode("utf-8", "replace")
                tests.append(TestRecord(int(parts[0]), int(parts[1]), name))
        else:
            fields[key] = value.split(" ")

    def first(key: str, default: str = "") -> str:
        return fields.get(key, [default])[0]

    settle = fields.get("settle", ["0", "clean"])
    warnings: list[str] = []
    leftovers: list[Leftover] = []
    for rec in _split(traceback):
        m = _HEADER_ID.match(rec)
        group = _one_group(rec + b"\n", source)
        if m is None or group is None:
            warnings.append("a goroutine left by the tests could not be read")
            continue
        p = _PARENT.search(rec)
        leftovers.append(
            Leftover(int(m.group(1)), int(p.group(1)) if p else None, group, _label_of(group))
        )
    snapshot = None
    if leftovers:
        from goleash.dumps import read_snapshots

        snaps = read_snapshots(io.BytesIO(traceback), source=source)
        snapshot = snaps[0] if snaps else None
    counts: dict[int, dict[str, int]] = {}
    for rec in _split(debug1):
        group = _one_group(b"goroutine profile: total 1\n" + rec + b"\n", source)
        label = _label_of(group) if group is not None else None
        if group is None or label is None:
            continue
        per_key = counts.setdefault(label, {})
        per_key[group.stack_key] = per_key.get(group.stack_key, 0) + group.count
    return CheckResult(
        go_version=first("go"),
        exit_code=int(first("exit", "0")) if first("exit", "0").lstrip("-").isdigit() else 0,
        settle_seconds=_float(settle[0]),
        settled=settle[1] if len(settle) > 1 else "",
        leak_profile=first("leakprofile") == "1",
        before=int(first("before", "0")) if first("before", "0").isdigit() else 0,
        tests=tuple(tests),
        snapshot=snapshot,
        leftovers=tuple(leftovers),
        label_counts=counts,
        warnings=tuple(warnings),
        main_goroutine=int(first("main")) if first("main").isdigit() else None,
    )


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 0.0


def read_results(folder: Path, key: str) -> list[CheckResult]:
    """Every result a package's test binary wrote into ``folder`` (one per process)."""
    results = []
    for path in sorted(folder.glob(f"{key}-*.txt")):
        try:
            data = path.read_bytes()
        except OSError as e:
            raise InputError(f"cannot read goleash's result file {path}: {e}") from None
        results.append(parse_result(data, str(path)))
    return results
