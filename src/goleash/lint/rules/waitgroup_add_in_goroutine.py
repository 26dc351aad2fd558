"""waitgroup-add-in-goroutine: ``wg.Add`` inside the goroutine it is meant to count."""

from __future__ import annotations

from collections.abc import Iterator

from goleash.lint.resources_flow import waitgroup_names, waitgroup_of
from goleash.lint.rules.base import FileContext, Rule, RuleDoc
from goleash.lint.syntax import Node, call_name, captures, enclosing_function, nodes
from goleash.model import Finding

_STARTED = """
(go_statement (call_expression function: (func_literal body: (block) @body)))
"""


def _adds(ctx: FileContext, body: Node, literal: Node, names: set[str]) -> Iterator[Node]:
    """``x.Add(…)`` statements of the literal itself (not of closures inside it)."""
    for stmt in nodes(body, "expression_statement"):
        call = stmt.named_children[0] if stmt.named_children else None
        if call is None or call.type != "call_expression":
            continue
        name = call_name(call)
        if not name.endswith(".Add") or enclosing_function(stmt) != literal:
            continue
        if waitgroup_of(name[: -len(".Add")], names):
            yield call


def _starts_through_helper(ctx: FileContext, body: Node, add: Node) -> bool:
    """After the Add, the goroutine calls a same-package function that starts one (a setup
    goroutine counting the worker that its helper launches)."""
    if ctx.package is None:
        return False
    for call in nodes(body, "call_expression"):
        if call.start_byte <= add.end_byte:
            continue
        function = call.child_by_field_name("function")
        if function is None:
            continue
        if function.type == "selector_expression":
            function = function.child_by_field_name("field")
        if (
            function is not None
            and function.type in ("identifier", "field_identifier")
            and ctx.package.starts_goroutine(ctx.text(function))
        ):
            return True
    return False


def _started_bodies(ctx: FileContext) -> list[Node]:
    """The bodies of the func literals that go statements start (``_STARTED``'s matches)."""
    root = ctx.tree.root_node
    if root.has_error:
        return list(captures(_STARTED, root).get("body", []))
    bodies = []
    for go in ctx.go_statements():
        for call in go.named_children:
            if call.type != "call_expression":
                continue
            literal = call.child_by_field_name("function")
            if literal is None or literal.type != "func_literal":
                continue
            body = literal.child_by_field_name("body")
            if body is not None and body.type == "block":
                bodies.append(body)
    return bodies


def check(ctx: FileContext) -> Iterator[Finding]:
    """Report WaitGroup.Add calls made by the goroutine being counted."""
    if b".Add(" not in ctx.source or b"go func" not in ctx.source:
        return
    bodies = _started_bodies(ctx)
    if not bodies:
        return
    names = waitgroup_names(ctx)
    for body in bodies:
        literal = body.parent
        for call in _adds(ctx, body, literal, names):
            receiver = call_name(call)[: -len(".Add")]
            later = ctx.source[call.end_byte : body.end_byte]
            # The goroutine counts goroutines of its own and waits for them: its Add is fine.
            if (
                b"go " in later
                or b".Go(" in later
                or f"{receiver}.Wait()".encode() in ctx.source[body.start_byte : body.end_byte]
                or _starts_through_helper(ctx, body, call)
            ):
                continue
            yield RULE.finding(
                ctx,
                call,
                f"{receiver}.Add is called inside the goroutine it counts: {receiver}.Wait() can "
                "run before it and return early, or the count is off; call Add before `go`",
            )


RULE = Rule(
    id="waitgroup-add-in-goroutine",
    title="WaitGroup.Add inside the goroutine it counts",
    severity="error",
    doc=RuleDoc(
        what=(
            "Finds `wg.Add(…)` called inside `go func(){ … }()` for a WaitGroup that is waited "
            "on outside it."
        ),
        why=(
            "The goroutine may not have run when the caller reaches `wg.Wait()`, so Wait sees a "
            "zero counter and returns while work is still running — the caller then closes "
            "channels or returns results early, and the workers block forever on a send nobody "
            "receives. Or Add runs after Wait started and panics with a reused WaitGroup."
        ),
        example="""\
for _, job := range jobs {
	go func() {
		wg.Add(1) // too late: Wait may already have returned
		defer wg.Done()
		results <- run(job)
	}()
}
wg.Wait()
""",
        fix="""\
Call Add before starting the goroutine (or use Go 1.25's wg.Go):
	wg.Add(1)
	go func() {
		defer wg.Done()
		results <- run(job)
	}()
""",
        known_problems=(
            "A WaitGroup is recognised by its declared type in the same file or a name like "
            "`wg`. A goroutine that starts goroutines of its own after the Add, or waits on the "
            "same WaitGroup itself, is not reported."
        ),
    ),
    check=check,
)
