"""stream-recv-no-eof: a `Recv()` loop that does not leave on io.EOF or an error."""

from __future__ import annotations

import re
from collections.abc import Iterator

from goleash.lint.channel_flow import candidates
from goleash.lint.flow import enclosing_loop, exits_loop
from goleash.lint.rules.base import FileContext, Rule, RuleDoc
from goleash.lint.syntax import CASE_TYPES, Node, identifier_names, walk
from goleash.model import Finding


def _error_name(ctx: FileContext, call: Node) -> str | None:
    """The name the call's second result is bound to (`m, err := s.Recv()`), or None."""
    values = call.parent
    if values is None or values.type != "expression_list" or values.named_child_count != 1:
        return None
    statement = values.parent
    if statement is None or statement.type not in ("short_var_declaration", "assignment_statement"):
        return None
    left = statement.child_by_field_name("left")
    if left is None or left.named_child_count != 2:
        return None
    err = left.named_children[1]
    if err.type != "identifier":
        return None
    name = ctx.text(err)
    if name == "_":
        return name if _declares_stream(ctx) else None
    # reflect.Value.Recv returns (x, ok): only an error result makes it a stream.
    return name if "err" in name.lower() else None


_STREAM_SIGNATURE = re.compile(rb"Recv\(\)\s*\([^()]*\berror\)")


def _declares_stream(ctx: FileContext) -> bool:
    """Does the file show a `Recv() (T, error)` signature or use gRPC? Then `_` drops an error."""
    return b"grpc" in ctx.source or _STREAM_SIGNATURE.search(ctx.source) is not None


def _leaves_on_error(ctx: FileContext, loop: Node, err: str) -> bool:
    """Does some branch that tests ``err`` leave the loop?"""
    header = [c for c in loop.named_children if c.type not in ("block", "comment")]
    if any(err in identifier_names(part) for part in header) and any(
        c.type != "range_clause" for c in header
    ):
        return True  # for m, err := s.Recv(); err == nil; … { }
    body = loop.child_by_field_name("body")
    if body is None:
        return False
    for node in walk(body):
        if node.type == "if_statement":
            condition = node.child_by_field_name("condition")
            consequence = node.child_by_field_name("consequence")
            if (
                err in identifier_names(condition)
                and consequence is not None
                and exits_loop(consequence, loop, ctx.package)
            ):
                return True
        elif node.type in ("expression_switch_statement", "type_switch_statement"):
            tests_err = err in identifier_names(node.child_by_field_name("value"))
            for case in node.named_children:
                if case.type not in CASE_TYPES:
                    continue
                value = case.child_by_field_name("value")
                if (tests_err or err in identifier_names(value)) and exits_loop(
                    case, loop, ctx.package
                ):
                    return True
    return False


def check(ctx: FileContext) -> Iterator[Finding]:
    """Loops around `v, err := x.Recv()` that never leave on the error."""
    for call in candidates(ctx, "recv_call"):
        err = _error_name(ctx, call)
        if err is None:
            continue
        loop = enclosing_loop(call) or _header_loop(call)
        if loop is None:
            continue
        if err != "_" and _leaves_on_error(ctx, loop, err):
            continue
        what = "ignores the error" if err == "_" else f"never leaves the loop on `{err}`"
        yield RULE.finding(
            ctx,
            call,
            f"this Recv loop {what}: after io.EOF or a broken stream every Recv fails at once, "
            "so the goroutine spins or never finishes",
        )


def _header_loop(call: Node) -> Node | None:
    parent = call.parent
    while parent is not None and parent.type not in ("block", "func_literal"):
        if parent.type == "for_statement":
            return parent
        parent = parent.parent
    return None


RULE = Rule(
    id="stream-recv-no-eof",
    title="Stream receive loop that ignores io.EOF and errors",
    severity="warning",
    doc=RuleDoc(
        what=(
            "Finds a loop calling `x.Recv()` that returns a value and an error (a gRPC stream, "
            "or any similar API) where no branch testing the error returns or breaks out of "
            "the loop."
        ),
        why=(
            "When the peer finishes or the connection breaks, Recv returns io.EOF or an error "
            "forever. A loop that does not leave on it either spins at full CPU or, if it also "
            "waits elsewhere, never finishes: the stream's goroutine leaks."
        ),
        example="""\
func (c *Client) watch(stream pb.Watch_WatchClient) {
    for {
        ev, err := stream.Recv()
        if err != nil {
            log.Printf("watch: %v", err) // logs and loops again, forever
            continue
        }
        c.apply(ev)
    }
}""",
        fix="""\
Leave the loop on io.EOF and on any other error:
    for {
        ev, err := stream.Recv()
        if errors.Is(err, io.EOF) {
            return
        }
        if err != nil {
            log.Printf("watch: %v", err)
            return
        }
        c.apply(ev)
    }""",
        known_problems=(
            "Any method named Recv with two results is treated as a stream. An error handed to "
            "a helper that decides whether to stop (`if c.retry(err) { continue }`) is accepted "
            "only when the branch testing it leaves the loop."
        ),
    ),
    check=check,
)
