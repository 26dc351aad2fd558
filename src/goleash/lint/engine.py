"""The scan: find Go files, read them, analyse package by package (in parallel), collect findings.

Work is spread by package folder, because the rules' same-package summaries need every file of
a package at once; each file is parsed exactly once. Results are cached per package (see
``cache``) and always come out in the same order: file, line, column, rule.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import time
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

import tree_sitter

from goleash.lint import syntax
from goleash.lint.cache import (
    ScanCache,
    code_fingerprint,
    content_hash,
    default_cache_dir,
    finding_from_dict,
    finding_to_dict,
    package_key,
)
from goleash.lint.config import ScanConfig
from goleash.lint.discovery import ModuleVersions, SourceFile, discover
from goleash.lint.package import PackageIndex
from goleash.lint.rules.base import FileContext, GoVersion, Rule
from goleash.lint.suppress import find_suppressions, is_suppressed
from goleash.model import SEVERITIES, Finding

# Below this many lines a pool's start-up costs more than it saves.
_IN_PROCESS_LINES = 20_000
_LOWER = {"error": "warning", "warning": "info", "info": "info"}


@dataclass
class ScanResult:
    """What a scan found and what it read."""

    findings: list[Finding]
    files_scanned: int
    lines_scanned: int
    parse_errors: list[tuple[str, int]]  # files with ERROR/MISSING nodes: (path, count)
    warnings: list[str]
    rules: tuple[Rule, ...]  # the rules that ran
    seconds: float = 0.0
    packages: int = 0
    cached_packages: int = 0
    rule_seconds: dict[str, float] = field(default_factory=dict)  # with ScanConfig.profile

    @property
    def files_with_findings(self) -> int:
        return len({f.file for f in self.findings})


@dataclass(frozen=True)
class _FileInput:
    display: str
    source: bytes
    is_test: bool
    report: bool = True  # False: a sibling read only for the package summaries


@dataclass(frozen=True)
class _PackageTask:
    folder: str
    go_version: GoVersion | None
    files: tuple[_FileInput, ...]

    @property
    def size(self) -> int:
        return sum(len(f.source) for f in self.files)


@dataclass
class _FileOutcome:
    display: str
    parse_errors: int
    findings: list[Finding]


@dataclass
class _PackageOutcome:
    files: list[_FileOutcome]
    warnings: list[str]
    rule_seconds: dict[str, float]


@dataclass(frozen=True)
class _Settings:
    rules: tuple[Rule, ...]
    severity: dict[str, str]
    tests: str
    profile: bool


def scan(paths: Sequence[Path], *, config: ScanConfig) -> ScanResult:
    """Scan Go files and folders. A path that does not exist raises InputError; anything
    unreadable inside them becomes a warning and the scan goes on."""
    started = time.perf_counter()
    warnings: list[str] = list(config.warnings)
    rules = config.selected_rules()
    files = discover(
        paths,
        exclude=config.exclude,
        exclude_base=config.exclude_base,
        include_tests=config.tests != "exclude",
        warnings=warnings,
    )
    if not files:
        # A mistyped folder or a pattern that matched nothing should not look like clean code.
        warnings.append(f"no Go files found in {', '.join(str(p) for p in paths)}")
    modules = ModuleVersions()
    tasks = _package_tasks(files, modules, warnings)
    warnings.extend(modules.warnings)
    settings = _Settings(
        rules=rules, severity=dict(config.severity), tests=config.tests, profile=config.profile
    )

    store: ScanCache | None = None
    keys: dict[int, str] = {}
    outcomes: dict[int, _PackageOutcome] = {}
    if config.use_cache and tasks:
        store = ScanCache(config.cache_dir or default_cache_dir(paths))
        fingerprint = _settings_fingerprint(settings)
        for i, task in enumerate(tasks):
            keys[i] = _task_key(task, fingerprint)
            entry = store.get(keys[i])
            if entry is not None:
                outcomes[i] = _outcome_from_entry(entry)
    cached = len(outcomes)

    pending = [i for i in range(len(tasks)) if i not in outcomes]
    for i, outcome in zip(pending, _run(tasks, pending, settings, config.jobs), strict=True):
        outcomes[i] = outcome
        if store is not None:
            store.put(keys[i], _outcome_to_entry(outcome))
    if store is not None and store.write_failed:
        warnings.append(store.write_failed)

    return _assemble(tasks, outcomes, warnings, rules, started, cached)


def _package_tasks(
    files: Sequence[SourceFile], modules: ModuleVersions, warnings: list[str]
) -> list[_PackageTask]:
    """Read every file (a warning for each unreadable, binary or non-UTF-8 one), by folder."""
    by_folder: dict[Path, list[_FileInput]] = defaultdict(list)
    for f in files:
        try:
            data = f.path.read_bytes()
        except OSError as e:
            warnings.append(f"{f.display}: cannot read ({e.strerror or e}) (skipped)")
            continue
        if b"\0" in data[:8192]:
            warnings.append(f"{f.display}: binary file, not Go source (skipped)")
            continue
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as e:
            warnings.append(f"{f.display}: not UTF-8 text at byte {e.start} (skipped)")
            continue
        by_folder[f.path.parent].append(_FileInput(f.display, data, f.is_test))
    for folder, inputs in by_folder.items():
        inputs.extend(_siblings(folder, {Path(i.display).name for i in inputs}, inputs))
    return [
        _PackageTask(str(folder), modules.version_for(folder), tuple(inputs))
        for folder, inputs in sorted(by_folder.items())
    ]


def _siblings(folder: Path, named: set[str], inputs: list[_FileInput]) -> list[_FileInput]:
    """Go files of the same package that were not asked for (one file named on the command
    line, as pre-commit does, or an excluded file): read only so the same-package summaries see
    every helper. They are not reported on, so one that cannot be read is passed over."""
    with_tests = any(i.is_test for i in inputs)
    extra = []
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    for name in names:
        if not name.endswith(".go") or name in named or name.startswith((".", "_")):
            continue
        is_test = name.endswith("_test.go")
        if is_test and not with_tests:
            continue
        try:
            data = (folder / name).read_bytes()
            data.decode("utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if b"\0" not in data[:8192]:
            extra.append(_FileInput(str(folder / name), data, is_test, report=False))
    return extra


def _settings_fingerprint(settings: _Settings) -> str:
    rule_part = ";".join(
        f"{r.id}:{r.severity}:{r.min_go}:{r.max_go}:{r.check.__module__}.{r.check.__qualname__}"
        for r in settings.rules
    )
    code = code_fingerprint({r.check.__module__ for r in settings.rules})
    severity = ",".join(f"{k}={v}" for k, v in sorted(settings.severity.items()))
    return package_key([code, rule_part, severity, settings.tests])


def _task_key(task: _PackageTask, fingerprint: str) -> str:
    parts = [fingerprint, str(task.go_version)]
    for f in task.files:
        parts.append(f"{f.display}|{int(f.is_test)}|{int(f.report)}|{content_hash(f.source)}")
    return package_key(parts)


def _run(
    tasks: Sequence[_PackageTask], pending: Sequence[int], settings: _Settings, jobs: int | None
) -> list[_PackageOutcome]:
    """Analyse the pending packages, in this process for small work, else in a process pool."""
    if not pending:
        return []
    workers = min(jobs or os.cpu_count() or 1, len(pending))
    lines = sum(f.source.count(b"\n") for i in pending for f in tasks[i].files)
    if workers <= 1 or lines < _IN_PROCESS_LINES:
        return [analyse_package(tasks[i], settings) for i in pending]
    # Biggest packages first, so no worker is left with a large one at the end.
    order = sorted(pending, key=lambda i: -tasks[i].size)
    fork = "fork" in multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if fork else None)
    results: dict[int, _PackageOutcome] = {}
    global _FORKED
    # Forked workers inherit the tasks and settings: each is then sent as its index, instead of
    # pickling every package's sources (and every rule's documentation) through a pipe.
    _FORKED = (tasks, settings) if fork else None
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            if fork:
                futures = {i: pool.submit(_analyse_inherited, i) for i in order}
            else:
                futures = {i: pool.submit(analyse_package, tasks[i], settings) for i in order}
            for i, future in futures.items():
                results[i] = future.result()
    finally:
        _FORKED = None
    return [results[i] for i in pending]


# What forked workers analyse (set in the parent while its pool runs, inherited by the fork).
_FORKED: tuple[Sequence[_PackageTask], _Settings] | None = None


def _analyse_inherited(index: int) -> _PackageOutcome:
    """``analyse_package`` of a task the worker inherited from the parent at the fork."""
    assert _FORKED is not None, "only for workers forked while _run has set _FORKED"
    tasks, settings = _FORKED
    return analyse_package(tasks[index], settings)


@cache
def _parser() -> tree_sitter.Parser:
    # One parser per process: creating one per file costs about 5% of the parse time.
    return tree_sitter.Parser(syntax.language())


def analyse_package(task: _PackageTask, settings: _Settings) -> _PackageOutcome:
    """Parse every file of one package once, then run each applicable rule on each file."""
    parser = _parser()
    trees = [parser.parse(f.source) for f in task.files]
    production = [(f.source, t) for f, t in zip(task.files, trees, strict=True) if not f.is_test]
    package_index = PackageIndex(production)
    test_index: PackageIndex | None = None
    rules = [r for r in settings.rules if r.applies_to(task.go_version)]
    warnings: list[str] = []
    seconds: dict[str, float] = defaultdict(float)
    outcomes: list[_FileOutcome] = []
    for file, tree in zip(task.files, trees, strict=True):
        if not file.report:
            continue
        if file.is_test and test_index is None:
            test_index = PackageIndex(
                [(f.source, t) for f, t in zip(task.files, trees, strict=True)]
            )
        ctx = FileContext(
            path=file.display,
            source=file.source,
            tree=tree,
            go_version=task.go_version,
            is_test=file.is_test,
            package=test_index if file.is_test else package_index,
        )
        found: list[Finding] = []
        for rule in rules:
            begin = time.perf_counter() if settings.profile else 0.0
            try:
                found.extend(rule.check(ctx))
            except Exception as e:  # a rule bug must not end the scan
                warnings.append(
                    f"{file.display}: rule {rule.id} failed ({type(e).__name__}: {e}); "
                    "its findings for this file are missing"
                )
            if settings.profile:
                seconds[rule.id] += time.perf_counter() - begin
        outcomes.append(
            _FileOutcome(
                display=file.display,
                parse_errors=count_parse_errors(tree),
                findings=_finish(found, file, settings),
            )
        )
    return _PackageOutcome(outcomes, warnings, dict(seconds))


def _finish(found: list[Finding], file: _FileInput, settings: _Settings) -> list[Finding]:
    """Apply severity overrides, test-file lowering and suppression comments; drop duplicates."""
    if not found:
        return []  # most files: no need to look for suppression comments
    suppressions = find_suppressions(file.source)
    kept: dict[Finding, None] = {}
    for f in found:
        severity = settings.severity.get(f.rule, f.severity)
        if file.is_test and settings.tests == "lower":
            severity = _LOWER.get(severity, severity)
        if is_ignored_by_build(file.source):
            severity = "info"  # a `go run gen.go` helper: never built into the program
        if severity != f.severity:
            f = replace(f, severity=severity)
        if not is_suppressed(f, suppressions):
            kept[f] = None
    return list(kept)


_BUILD_IGNORE = re.compile(rb"^//go:build ignore\s*$", re.MULTILINE)


def is_ignored_by_build(source: bytes) -> bool:
    """True for files with the constraint ``//go:build ignore``: generators and one-off tools
    that `go build` never compiles. Their findings are kept, at severity info."""
    head = source[: source.find(b"\npackage ")] if b"\npackage " in source else source[:4096]
    return _BUILD_IGNORE.search(head) is not None


def count_parse_errors(tree: Any) -> int:
    """ERROR and MISSING nodes in a tree (syntax the grammar did not understand)."""
    root = tree.root_node
    if not root.has_error:
        return 0
    count = 0
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            count += 1
            continue
        stack.extend(c for c in node.children if c.has_error or c.is_missing)
    return count


def _outcome_to_entry(outcome: _PackageOutcome) -> dict[str, Any]:
    return {
        "files": [
            {
                "display": f.display,
                "parse_errors": f.parse_errors,
                "findings": [finding_to_dict(x) for x in f.findings],
            }
            for f in outcome.files
        ],
        "warnings": outcome.warnings,
    }


def _outcome_from_entry(entry: dict[str, Any]) -> _PackageOutcome:
    return _PackageOutcome(
        files=[
            _FileOutcome(
                display=f["display"],
                parse_errors=f["parse_errors"],
                findings=[finding_from_dict(x) for x in f["findings"]],
            )
            for f in entry["files"]
        ],
        warnings=list(entry.get("warnings", [])),
        rule_seconds={},
    )


def _assemble(
    tasks: Sequence[_PackageTask],
    outcomes: dict[int, _PackageOutcome],
    warnings: list[str],
    rules: tuple[Rule, ...],
    started: float,
    cached: int,
) -> ScanResult:
    findings: list[Finding] = []
    parse_errors: list[tuple[str, int]] = []
    rule_seconds: dict[str, float] = defaultdict(float)
    for i in range(len(tasks)):
        outcome = outcomes[i]
        warnings.extend(outcome.warnings)
        for rule_id, s in outcome.rule_seconds.items():
            rule_seconds[rule_id] += s
        for f in outcome.files:
            findings.extend(f.findings)
            if f.parse_errors:
                parse_errors.append((f.display, f.parse_errors))
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    findings.sort(key=lambda f: (f.file, f.line, f.column, f.rule, -rank.get(f.severity, 0)))
    return ScanResult(
        findings=findings,
        files_scanned=sum(f.report for t in tasks for f in t.files),
        lines_scanned=sum(_line_count(f.source) for t in tasks for f in t.files if f.report),
        parse_errors=sorted(parse_errors),
        warnings=warnings,
        rules=rules,
        seconds=time.perf_counter() - started,
        packages=len(tasks),
        cached_packages=cached,
        rule_seconds=dict(rule_seconds),
    )


def _line_count(source: bytes) -> int:
    return source.count(b"\n") + (1 if source and not source.endswith(b"\n") else 0)
