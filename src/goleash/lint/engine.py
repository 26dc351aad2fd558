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
    # Per file with syntax errors: the functions not analysed ("func Serve", "method
    # (*Server).Stop", "top level" for errors outside any function), and the first bad line.
    unparsed: dict[str, tuple[int, tuple[str, ...]]] = field(default_factory=dict)

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
    first_error_line: int = 0
    skipped: tuple[str, ...] = ()  # functions with syntax errors, not analysed


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
    trees = []
    files = []
    for f in task.files:
        source, tree = parse_modern(parser, f.source)
        trees.append(tree)
        files.append(f if source is f.source else replace(f, source=source))
    task = replace(task, files=tuple(files))
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
        errors = count_parse_errors(tree)
        first_line, broken = broken_functions(tree) if errors else (0, [])
        if broken:
            # A function the grammar misread gives a misleading tree: its findings are dropped
            # and the function is named as not analysed instead.
            found = [f for f in found if not any(a <= f.line <= b for _, a, b in broken)]
        outcomes.append(
            _FileOutcome(
                display=file.display,
                parse_errors=errors,
                findings=_finish(found, file, settings),
                first_error_line=first_line,
                skipped=tuple(name for name, _, _ in broken),
            )
        )
    return _PackageOutcome(outcomes, warnings, dict(seconds))


def _finish(found: list[Finding], file: _FileInput, settings: _Settings) -> list[Finding]:
    """Apply severity overrides, test-file lowering and suppression comments; drop duplicates."""
    if not found:
        return []  # most files: no need to look for suppression comments
    suppressions = find_suppressions(file.source)
    kept: dict[Finding, None] = {}
    tool = is_tool_or_example(file.display, file.source)
    lowered = {r.id: r.tool_severity for r in settings.rules if r.tool_severity} if tool else {}
    for f in found:
        severity = settings.severity.get(f.rule) or _lowest(f.severity, lowered.get(f.rule))
        if file.is_test and settings.tests == "lower":
            severity = _LOWER.get(severity, severity)
        if is_ignored_by_build(file.source):
            severity = "info"  # a `go run gen.go` helper: never built into the program
        if severity != f.severity:
            f = f._replace(severity=severity)
        if not is_suppressed(f, suppressions):
            kept[f] = None
    return list(kept)


def _lowest(severity: str, other: str | None) -> str:
    if other is None or SEVERITIES.index(other) >= SEVERITIES.index(severity):
        return severity
    return other


_PACKAGE_MAIN = re.compile(rb"^package\s+main\b", re.MULTILINE)
_EXAMPLE_DIRS = frozenset({"example", "examples", "_example", "_examples", "demo", "demos"})


def is_tool_or_example(display: str, source: bytes) -> bool:
    """A command-line tool (``package main``) or an example (an ``example``/``examples`` or
    ``demo`` folder, ``example_test.go``): code whose process is short-lived or never run in
    production, where resource-hygiene findings are true but harmless."""
    path = Path(display)
    if path.name.startswith("example_") and path.name.endswith("_test.go"):
        return True
    if any(part.lower() in _EXAMPLE_DIRS for part in path.parts[:-1]):
        return True
    head = source[:65536]
    return _PACKAGE_MAIN.search(head) is not None


_BUILD_IGNORE = re.compile(rb"^//go:build ignore\s*$", re.MULTILINE)


def is_ignored_by_build(source: bytes) -> bool:
    """True for files with the constraint ``//go:build ignore``: generators and one-off tools
    that `go build` never compiles. Their findings are kept, at severity info."""
    head = source[: source.find(b"\npackage ")] if b"\npackage " in source else source[:4096]
    return _BUILD_IGNORE.search(head) is not None


_NEW_CALL = re.compile(rb"\bnew\(")
# What may follow ``new(`` when its argument is a type the grammar's special form reads and an
# ordinary call could not: slice, array, map, channel, struct, interface and function types.
_TYPE_START = re.compile(
    rb"\s*(\[|map\s*\[|chan\b|<-\s*chan\b|struct\s*\{|interface\s*\{|func\s*\()"
)


def parse_modern(parser: tree_sitter.Parser, source: bytes) -> tuple[bytes, Any]:
    """Parse Go source, reading syntax newer than the grammar where it can.

    tree-sitter-go reads ``new(T)`` as a special form whose argument must be a type, so Go 1.26's
    ``new(expr)`` (``new(42)``, ``new(f(x))``, ``new(T{…})``) is a syntax error. When a file
    has errors and such calls, each ``new(`` whose argument does not start like a type literal
    is read as an ordinary call (``neW(``: same length, so every position stays the same) and
    the file parsed again; the rewritten parse is kept only when it has fewer errors. Returns
    the source the tree was parsed from and the tree."""
    tree = parser.parse(source)
    if not tree.root_node.has_error or b"new(" not in source:
        return source, tree
    rewritten = bytearray(source)
    for m in _NEW_CALL.finditer(source):
        if not _TYPE_START.match(source, m.end()):
            rewritten[m.start() + 2] = ord("W")
    if rewritten == source:
        return source, tree
    other = parser.parse(bytes(rewritten))
    if count_parse_errors(other) < count_parse_errors(tree):
        return bytes(rewritten), other
    return source, tree


def broken_functions(tree: Any) -> tuple[int, list[tuple[str, int, int]]]:
    """Where a tree has syntax errors: the first bad line, and the top-level functions that hold
    an error as (name, first line, last line), "func F" or "method (R).M"; an error outside every
    function is "top level" (no lines: nothing there is dropped)."""
    first = 0
    broken: dict[str, tuple[int, int]] = {}
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            line = node.start_point[0] + 1
            first = line if not first else min(first, line)
            top = node
            while top.parent is not None and top.parent.type != "source_file":
                top = top.parent
            if top.type in ("function_declaration", "method_declaration"):
                broken[_declared_name(top)] = (top.start_point[0] + 1, top.end_point[0] + 1)
            else:
                broken.setdefault("top level", (0, -1))
            continue
        stack.extend(c for c in node.children if c.has_error or c.is_missing)
    ordered = sorted(broken.items(), key=lambda kv: (kv[1][0], kv[0]))
    return first, [(name, a, b) for name, (a, b) in ordered]


def _declared_name(decl: Any) -> str:
    name = decl.child_by_field_name("name")
    spelled = name.text.decode("utf-8", "replace") if name is not None else "?"
    if decl.type == "function_declaration":
        return f"func {spelled}"
    receiver = decl.child_by_field_name("receiver")
    kind = ""
    if receiver is not None:
        for param in receiver.named_children:
            type_node = param.child_by_field_name("type")
            if type_node is not None:
                kind = type_node.text.decode("utf-8", "replace")
    return f"method ({kind}).{spelled}" if kind else f"method {spelled}"


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
                "first_error_line": f.first_error_line,
                "skipped": list(f.skipped),
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
                first_error_line=int(f.get("first_error_line", 0)),
                skipped=tuple(f.get("skipped", ())),
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
    unparsed: dict[str, tuple[int, tuple[str, ...]]] = {}
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
                unparsed[f.display] = (f.first_error_line, f.skipped)
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
        unparsed=dict(sorted(unparsed.items())),
    )


def _line_count(source: bytes) -> int:
    return source.count(b"\n") + (1 if source and not source.endswith(b"\n") else 0)
