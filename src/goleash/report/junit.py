"""JUnit XML for CI systems: one test suite per package, a leak fails the test that leaked.

The layout follows what Jenkins, GitLab and GitHub reporters read: ``<testsuites>`` holding a
``<testsuite>`` per package with ``<testcase classname=PACKAGE name=TEST time=S>``, and a
``<failure message=… type=…>`` for a failed test or a leak (both, in one failure, when a
failed test also leaked). Leaks no single test could be named for become a test case of their
own, ``(goroutines left by no single test)``; those the package's TestMain left, ``TestMain``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict

from goleash.analysis.attribution import Leak, PackageVerdict, TestRunVerdict
from goleash.model import Frame

NO_SINGLE_TEST = "(goroutines left by no single test)"
# Characters XML 1.0 cannot hold at all, even escaped (test output may print anything).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _site(frame: Frame | None) -> str:
    return f"{frame.function} ({frame.file}:{frame.line})" if frame else "unknown"


def _leak_text(leaks: list[Leak]) -> str:
    lines = []
    for leak in leaks:
        g = leak.group
        lines.append(f"{g.count} goroutine(s) · {leak.assessment.state or 'unknown state'}")
        lines.append(f"  blocked at  {_site(g.blocking_site)}")
        if g.creation_site is not None:
            lines.append(f"  created at  {_site(g.creation_site)}")
        if leak.note:
            lines.append(f"  note        {leak.note}")
    return "\n".join(lines)


def _suite(p: PackageVerdict) -> ET.Element:
    suite = ET.Element("testsuite", name=p.package)
    by_test: defaultdict[str, list[Leak]] = defaultdict(list)
    for leak in p.leaks.leaks:
        by_test[leak.test or NO_SINGLE_TEST].append(leak)
    cases = 0
    failures = 0
    skipped = 0
    outcomes = dict(p.events.tests) if p.events is not None else {}
    names = list(outcomes) + [t for t in by_test if t not in outcomes]
    for name in names:
        outcome = outcomes.get(name)
        case = ET.SubElement(
            suite,
            "testcase",
            classname=p.package,
            name=_clean(name),
            time=f"{outcome.elapsed:.3f}" if outcome is not None else "0",
        )
        cases += 1
        failed = outcome is not None and outcome.action == "fail"
        leaks = by_test.get(name, [])
        if failed or leaks:
            failures += 1
            parts = []
            messages = []
            if failed and outcome is not None:
                messages.append("test failed")
                parts.append("".join(outcome.output))
            if leaks:
                n = sum(x.group.count for x in leaks)
                messages.append(f"left {n} goroutine{'s' if n != 1 else ''} running")
                parts.append(_leak_text(leaks))
            failure = ET.SubElement(
                case, "failure", message="; ".join(messages), type="leak" if leaks else "fail"
            )
            failure.text = _clean("\n".join(parts))
        elif outcome is not None and outcome.action == "skip":
            skipped += 1
            ET.SubElement(case, "skipped")
    if p.status == "build-failed":
        case = ET.SubElement(suite, "testcase", classname=p.package, name="(build)", time="0")
        failure = ET.SubElement(case, "error", message="build failed", type="build")
        failure.text = _clean(p.error or "")
        cases += 1
        suite.set("errors", "1")
    else:
        suite.set("errors", "0")
    suite.set("tests", str(cases))
    suite.set("failures", str(failures))
    suite.set("skipped", str(skipped))
    elapsed = p.events.elapsed if p.events is not None else 0.0
    suite.set("time", f"{elapsed:.3f}")
    return suite


def render(run: TestRunVerdict) -> str:
    """The run as a JUnit XML document."""
    root = ET.Element("testsuites", name="goleash test")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for p in run.packages:
        if p.status == "no-tests":
            continue
        suite = _suite(p)
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
        root.append(suite)
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"
