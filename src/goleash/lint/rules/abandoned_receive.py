"""abandoned-receive: a goroutine waits on a channel that the function can forget to signal."""

from __future__ import annotations

from collections.abc import Iterator

from goleash.lint.channel_flow import LocalChannel, Use, local_channels, once, return_between
from goleash.lint.rules.base import FileContext, Rule, RuleDoc
from goleash.lint.syntax import line_of, program_lifetime
from goleash.model import Finding


def _plain(use: Use) -> bool:
    """A receive that can only end by a value or a close (not one case of a select)."""
    statement = use.node.parent
    return not (statement is not None and statement.type == "receive_statement")


def _reason(chan: LocalChannel, waiting: Use) -> str:
    partners = chan.of_kind("send", "close")
    if any(u.where.kind != "own" for u in partners):
        return ""  # deferred close, another goroutine or a callback: assume it comes
    go = waiting.where.node
    if go is None:
        return ""
    if not partners:
        return f"nothing in this function sends on or closes `{chan.name}`"
    first = min(partners, key=lambda u: u.node.start_byte)
    if first.node.start_byte < go.end_byte:
        return ""
    ret = return_between(chan.func, go, first.node)
    if ret is not None:
        return (
            f"the function can return at line {line_of(ret)} before it signals "
            f"`{chan.name}` at line {line_of(first.node)}"
        )
    return ""


def check(ctx: FileContext) -> Iterator[Finding]:
    """Goroutines blocked in a plain receive that an early return leaves without a partner."""
    seen: set[int] = set()  # a worker started from two places is reported once
    for chan in local_channels(ctx):
        if chan.escapes or chan.of_kind("range") or program_lifetime(chan.func):
            continue
        receives = chan.of_kind("receive")
        waiting = [u for u in receives if u.where.kind == "go" and _plain(u)]
        if not waiting or len(waiting) != len(receives):
            continue
        reason = _reason(chan, waiting[0])
        if not reason:
            continue
        for use in once(waiting, seen):
            yield RULE.finding(
                ctx,
                use.node,
                f"goroutine can wait forever receiving from `{chan.name}`: {reason}",
            )


RULE = Rule(
    id="abandoned-receive",
    title="Goroutine waits on a channel the function may never signal",
    severity="warning",
    doc=RuleDoc(
        what=(
            "Finds a goroutine that blocks in a receive (`<-done`) on a channel made in the "
            "enclosing function, when that function has a path that returns before sending on "
            "or closing the channel, or never signals it at all."
        ),
        why=(
            "The goroutine waits for a signal that the early-return path never gives. It stays "
            "parked in `chan receive` with everything it captured, once per call of the function."
        ),
        example="""\
func (s *Server) handle(conn net.Conn) error {
    done := make(chan struct{})
    go func() {
        <-done // waits forever when handshake fails
        conn.Close()
    }()
    if err := s.handshake(conn); err != nil {
        return err
    }
    s.serve(conn)
    close(done)
    return nil
}""",
        fix="""\
Signal the channel on every path, most simply with a deferred close:
    done := make(chan struct{})
    defer close(done)
    go func() {
        <-done
        conn.Close()
    }()""",
        known_problems=(
            "Only plain receives in goroutines started by the function are checked; a receive "
            "that is one case of a select is assumed to have another way out. Paths are "
            "approximated by source order, and a channel passed on or stored is assumed handled."
        ),
    ),
    check=check,
)
