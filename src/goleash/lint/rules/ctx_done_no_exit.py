"""ctx-done-no-exit: `case <-ctx.Done():` in a loop that keeps looping after cancellation."""

from __future__ import annotations

import re
from collections.abc import Iterator

from goleash.lint.channel_flow import candidates, case_body, done_channel, receive_of_case
from goleash.lint.flow import break_target, enclosing_loop, exits_loop
from goleash.lint.rules.base import FileContext, Rule, RuleDoc
from goleash.lint.syntax import Node, contains, identifier_names, walk
from goleash.model import Finding


def _loop_ends_itself(loop: Node) -> bool:
    """Range and three-clause loops end on their own, and so does `for it.Next() {}`: only
    `for {}` and `for flag {}` depend on the case to stop."""
    for clause in loop.named_children:
        if clause.type in ("range_clause", "for_clause"):
            return True
        if clause.type not in ("block", "comment") and any(
            n.type == "call_expression" for n in walk(clause)
        ):
            return True
    return False


def _assigned(statements: list[Node]) -> set[str]:
    names: set[str] = set()
    for statement in statements:
        for node in walk(statement):
            if node.type in ("assignment_statement", "short_var_declaration"):
                names |= identifier_names(node.child_by_field_name("left"))
    return names


def _checked_elsewhere(ctx: FileContext, loop: Node, select: Node, signals: set[str]) -> bool:
    """Does the loop, outside this select, test a condition and leave on it?

    After the select, the test must be about the cancellation (a flag the case sets,
    ``ctx.Err()``); at the top of the loop any test counts: the case is then a wake-up
    (``case <-s.connClosed:`` before re-checking ``if noMoreConns() { return }``).
    """
    body = loop.child_by_field_name("body")
    if body is None:
        return False
    for node in walk(body):
        if node.type != "if_statement" or contains(select, node):
            continue
        consequence = node.child_by_field_name("consequence")
        if consequence is None or exits_loop(consequence, loop, ctx.package) is None:
            continue
        if node.start_byte < select.start_byte:
            return True
        condition = node.child_by_field_name("condition")
        if condition is None:
            continue
        mentioned = identifier_names(condition) | {
            ctx.text(n) for n in walk(condition) if n.type == "field_identifier"
        }
        if mentioned & signals:
            return True
    return False


def _stopped_by_other_select(ctx: FileContext, loop: Node, select: Node) -> bool:
    """Does another select of the loop leave it on a cancellation case?

    The idiom is an inner "send or give up" / "back off or give up" select whose cancellation
    case only stops that wait (``case <-stopCh:`` with an empty body); the loop's main select,
    reached again at once, returns on cancellation (hashicorp/raft's heartbeat, etcd's raft
    node).
    """
    body = loop.child_by_field_name("body")
    if body is None:
        return False
    for node in walk(body):
        if node.type != "communication_case" or node.parent == select:
            continue
        if node.parent is not None and contains(select, node.parent):
            continue
        receive = receive_of_case(node)
        if receive is None or not done_channel(ctx, receive):
            continue
        if any(exits_loop(statement, loop, ctx.package) for statement in case_body(node)):
            return True
    return False


_LOGGING = re.compile(
    r"(?i)(^|\.)(print|printf|println|log|logf|debug|debugf|info|infof|warn|warnf|warning"
    r"|warningf|error|errorf|trace|tracef|infow|debugw|warnw|errorw)$"
)


def _changes_state(ctx: FileContext, statements: list[Node]) -> bool:
    """Does the case do more than log: assign, count, or call something that may stop things?"""
    for statement in statements:
        for node in walk(statement):
            if node.type in ("assignment_statement", "inc_statement", "dec_statement"):
                return True
            if node.type == "call_expression":
                function = node.child_by_field_name("function")
                if function is not None and not _LOGGING.search(ctx.text(function)):
                    return True
    return False


def _continues(statements: list[Node]) -> bool:
    """Does the case jump straight back to the top of the loop?"""
    for statement in statements:
        for node in walk(statement):
            if node.type == "continue_statement":
                return True
    return False


def _leaves_after_select(ctx: FileContext, loop: Node, select: Node) -> bool:
    """A statement after the select, straight in the loop body (not under a test), that leaves
    the loop: ``select { case <-done: break; case v := <-in: …; continue }; break``. The
    select's ``break`` lands on it, so the loop ends after all."""
    parent = select.parent
    if parent is None or parent.type != "statement_list":
        return False
    block = parent.parent
    if block is None or block.parent != loop:
        return False
    after = parent.named_children[parent.named_children.index(select) + 1 :]
    for stmt in after:
        if stmt.type in ("return_statement", "goto_statement"):
            return True
        if stmt.type == "break_statement" and break_target(stmt) is not None:
            return contains(break_target(stmt), loop)
        if stmt.type == "expression_statement" and exits_loop(stmt, loop, ctx.package):
            return True
        if stmt.type == "continue_statement":
            return False
    return False


def _made_in_loop(ctx: FileContext, loop: Node, signal: str) -> bool:
    """``done := make(chan …)`` inside the loop: each iteration's own result signal (a job
    finished), not a cancellation of the loop."""
    if not signal.isidentifier():
        return False
    body = loop.child_by_field_name("body")
    if body is None:
        return False
    for node in walk(body):
        if node.type in ("short_var_declaration", "var_spec", "assignment_statement"):
            left = node.child_by_field_name("left") or node.child_by_field_name("name")
            if left is not None and signal in identifier_names(left) | {ctx.text(left)}:
                return True
    return False


def check(ctx: FileContext) -> Iterator[Finding]:
    """Cancellation cases whose body neither returns nor leaves the loop."""
    for case in candidates(ctx, "receive_case"):
        receive = receive_of_case(case)
        signal = "" if receive is None else done_channel(ctx, receive)
        select = case.parent
        if not signal or select is None:
            continue
        loop = enclosing_loop(select)
        if loop is None or _loop_ends_itself(loop):
            continue
        body = case_body(case)
        if any(exits_loop(statement, loop, ctx.package) for statement in body):
            continue
        if _made_in_loop(ctx, loop, signal) or _leaves_after_select(ctx, loop, select):
            continue
        root = signal.split(".")[0].split("(")[0]
        signals = _assigned(body) | {root, "Err"}
        condition = loop.child_by_field_name("condition") or next(
            (c for c in loop.named_children if c.type not in ("block", "comment")), None
        )
        if identifier_names(condition) & signals or (
            condition is not None and "Err" in ctx.text(condition)
        ):
            continue  # `for running {…}` / `for ctx.Err() == nil {…}`
        if not _continues(body) and _checked_elsewhere(ctx, loop, select, signals):
            continue
        if _stopped_by_other_select(ctx, loop, select):
            continue  # an inner wait that gives up; the loop's main select stops it
        loop_body = loop.child_by_field_name("body")
        if (
            _changes_state(ctx, body)
            and loop_body is not None
            and exits_loop(loop_body, loop, ctx.package)
        ):
            continue  # a drain: the case records the cancellation and the loop ends later
        breaks = [
            n
            for s in body
            for n in walk(s)
            if n.type == "break_statement" and contains(select, n) and break_target(n) == select
        ]
        how = (
            "its `break` only leaves the select, not the loop"
            if breaks
            else "its body neither returns nor breaks out of the loop"
        )
        yield RULE.finding(
            ctx,
            case,
            f"`case <-{signal}:` does not stop the loop: {how}, so the goroutine keeps running "
            "after cancellation",
        )


RULE = Rule(
    id="ctx-done-no-exit",
    title="Cancellation case that does not leave the loop",
    severity="error",
    doc=RuleDoc(
        what=(
            "Finds `case <-ctx.Done():` (or `<-quit`, `<-done`, `<-stop`, `<-s.closing`) in a "
            "select inside an endless or condition loop, whose body neither returns, breaks "
            "to a label outside the loop, jumps out with goto, nor calls a function that never "
            "returns."
        ),
        why=(
            "Inside a select, `break` only leaves the select (staticcheck SA4011), so the loop "
            "comes straight back and waits again. The goroutine that should stop on "
            "cancellation keeps running, or blocks on its next receive forever."
        ),
        example="""\
func (w *Worker) run(ctx context.Context) {
    for {
        select {
        case <-ctx.Done():
            break // leaves the select only
        case job := <-w.jobs:
            w.do(job)
        }
    }
}""",
        fix="""\
Return (or break to a label on the loop):
    for {
        select {
        case <-ctx.Done():
            return
        case job := <-w.jobs:
            w.do(job)
        }
    }""",
        known_problems=(
            "Quit channels are recognised by name (done, quit, stop, closing, shutdown, ...). A "
            "case that sets a flag tested by the loop condition, or tested by an `if` after the "
            'select that leaves the loop, is accepted, and so is a case of an inner "wait or '
            'give up" select when another select of the loop leaves on cancellation. Range and '
            "three-clause loops are skipped because they end on their own. A `break` that the "
            "loop follows with an unconditional `break` or `return` after the select is "
            "accepted, and so is a `done` channel made inside the loop (a per-iteration "
            "result, not a cancellation)."
        ),
    ),
    check=check,
)
