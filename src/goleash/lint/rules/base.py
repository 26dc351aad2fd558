"""What a static rule is: an id, a title, a severity, its documentation and a check function.

Every rule module in this package defines one ``RULE = Rule(...)``. The engine gives each rule
a ``FileContext`` per Go file and collects the findings it yields.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from goleash.lint.syntax import Node, go_statements, imported_names, text
from goleash.model import Finding

if TYPE_CHECKING:
    from goleash.lint.package import PackageIndex

GoVersion = tuple[int, int]
T = TypeVar("T")


@dataclass(frozen=True)
class RuleDoc:
    """ruff-style documentation: what, why, example, fix; known problems where they exist."""

    what: str
    why: str
    example: str
    fix: str
    known_problems: str = ""


@dataclass
class FileContext:
    """One parsed Go file and what is known around it."""

    path: str  # as shown to the user
    source: bytes
    tree: Any  # tree_sitter.Tree
    go_version: GoVersion | None  # from the nearest go.mod's `go` line
    is_test: bool
    package: PackageIndex | None = None  # same-package summaries, one level deep
    # Per-file facts several rules share, computed once on first request (see ``memo``).
    facts: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @cached_property
    def lines(self) -> list[bytes]:
        """The source split into lines (computed on first use)."""
        return self.source.splitlines()

    def memo(self, key: str, compute: Callable[[], T]) -> T:
        """``compute()``, run once per file and key: for facts several rules need.

        The value must not be None, nor hold this context: a cycle back to it keeps the file's
        tree alive until a garbage collection, which then frees trees in bulk mid-scan."""
        value: T | None = self.facts.get(key)
        if value is None:
            value = self.facts[key] = compute()
        return value

    def go_statements(self) -> list[Node]:
        """The file's ``go`` statements, in source order."""
        return self.memo("go", lambda: go_statements(self.tree.root_node, self.source))

    def text(self, node: Any) -> str:
        """The source text of a tree-sitter node."""
        return text(self.source, node)

    def imports(self, import_path: str) -> set[str]:
        """The local names under which this file imports a package (``time``, an alias…)."""
        return imported_names(self.tree.root_node, self.source, import_path)


@dataclass(frozen=True)
class Rule:
    """A leak pattern the scanner looks for."""

    id: str  # kebab-case, e.g. "abandoned-send"
    title: str
    severity: str  # "error" | "warning" | "info"
    doc: RuleDoc
    check: Callable[[FileContext], Iterable[Finding]]
    # Half-open range of module Go versions where the rule applies: min <= v < max.
    min_go: GoVersion | None = None
    max_go: GoVersion | None = None
    # Severity in command-line tools and examples (``package main``, example folders and
    # ``example_test.go``), where the pattern is true but harmless: the process ends soon and
    # takes every goroutine and resource with it. Empty: the same severity everywhere (blocking
    # bugs hang a tool as surely as a service).
    tool_severity: str = ""

    def applies_to(self, version: GoVersion | None) -> bool:
        """Whether the rule applies to a module at this Go version (unknown: assume it does)."""
        if version is None:
            return True
        if self.min_go is not None and version < self.min_go:
            return False
        return not (self.max_go is not None and version >= self.max_go)

    @property
    def hint(self) -> str:
        """The fix in one sentence: the first line of the documented fix."""
        first = self.doc.fix.strip().splitlines()[0].strip()
        return first[:-1] + "." if first.endswith(":") else first

    def finding(
        self, ctx: FileContext, node: Any, message: str, *, fix: str = "", severity: str = ""
    ) -> Finding:
        """A finding at a tree-sitter node's start, with this rule's id and severity."""
        row, col = node.start_point
        end_row, end_col = node.end_point
        return Finding(
            rule=self.id,
            severity=severity or self.severity,
            file=ctx.path,
            line=row + 1,
            column=col + 1,
            message=message,
            fix=fix or self.hint,
            end_line=end_row + 1,
            end_column=end_col + 1,
        )
