"""`go test -json` events, gathered per package: which tests ran, how they ended, their output.

The stream is test2json's (``Action`` run/pause/cont/pass/fail/skip/output, Go 1.24+ also
build-output/build-fail). Lines that are not JSON (build errors printed by older toolchains)
are kept as package-less output.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

_DONE = frozenset({"pass", "fail", "skip"})


@dataclass
class TestOutcome:
    """One test or subtest as go test reported it."""

    name: str
    action: str = "run"  # pass | fail | skip, or run while (or if never) finished
    elapsed: float = 0.0
    output: list[str] = field(default_factory=list)
    order: int = 0  # when it started, among the package's tests


@dataclass
class PackageEvents:
    """Everything go test said about one package."""

    import_path: str
    action: str = ""  # pass | fail | skip ("no test files"), "" when never reported
    elapsed: float = 0.0
    tests: dict[str, TestOutcome] = field(default_factory=dict)
    output: list[str] = field(default_factory=list)  # package-level lines (ok/FAIL/panics)
    build_output: list[str] = field(default_factory=list)
    build_failed: bool = False

    @property
    def failed_tests(self) -> list[str]:
        return [t.name for t in self.tests.values() if t.action == "fail"]

    @property
    def top_level_tests(self) -> list[str]:
        """Tests that ran at the top level, in the order they started."""
        ran = [t for t in self.tests.values() if "/" not in t.name]
        return [t.name for t in sorted(ran, key=lambda t: t.order)]

    def subtests_of(self, test: str) -> list[str]:
        """Direct subtests of ``test`` that ran, in the order they started."""
        prefix = test + "/"
        subs = [
            t
            for t in self.tests.values()
            if t.name.startswith(prefix) and "/" not in t.name[len(prefix) :]
        ]
        return [t.name for t in sorted(subs, key=lambda t: t.order)]


@dataclass
class EventLog:
    """All packages of one `go test -json` run, in the order they were reported."""

    packages: dict[str, PackageEvents] = field(default_factory=dict)
    stray: list[str] = field(default_factory=list)  # lines that were not test2json events

    def package(self, import_path: str) -> PackageEvents:
        pkg = self.packages.get(import_path)
        if pkg is None:
            pkg = self.packages[import_path] = PackageEvents(import_path)
        return pkg

    def feed(self, line: str) -> dict[str, Any] | None:
        """Take one line of go test's standard output; return the event it held, if any."""
        try:
            event = json.loads(line) if line.startswith("{") else None
        except ValueError:
            event = None
        if not isinstance(event, dict):
            self.stray.append(line)
            return None
        action = event.get("Action")
        output = event.get("Output")
        text = output if isinstance(output, str) else ""
        if action in ("build-output", "build-fail"):
            # ImportPath reads "pkg [pkg.test]" for the test variant; the package is its head.
            pkg = self.package(str(event.get("ImportPath", "")).split(" ", 1)[0])
            if action == "build-fail":
                pkg.build_failed = True
            elif text:
                pkg.build_output.append(text)
            return event
        package = event.get("Package")
        if not isinstance(package, str) or not package:
            if text:
                self.stray.append(text)
            return event
        pkg = self.package(package)
        name = event.get("Test")
        if isinstance(name, str) and name:
            test = pkg.tests.get(name)
            if test is None:
                test = pkg.tests[name] = TestOutcome(name, order=len(pkg.tests))
            if action == "output" and text:
                test.output.append(text)
            elif action in _DONE:
                test.action = str(action)
                test.elapsed = _seconds(event.get("Elapsed"))
            return event
        if action == "output" and text:
            pkg.output.append(text)
            if "[build failed]" in text or "[setup failed]" in text:
                pkg.build_failed = True
        elif action in _DONE:
            pkg.action = str(action)
            pkg.elapsed = _seconds(event.get("Elapsed"))
            if event.get("FailedBuild"):
                pkg.build_failed = True
        return event


def _seconds(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) else 0.0
