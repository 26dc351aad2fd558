"""abandoned-receive: a goroutine waits on a channel that the function can forget to signal."""

from __future__ import annotations

from collections.abc import Iterator

from goleash.lint.channel_flow import LocalChannel, Use, local_channels, once, return_between
from goleash.lint.rules.base import FileContext, Rule, RuleDoc
from goleash.lint.syntax import Node, line_of, program_lifetime
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


def _declared_here(chan: LocalChannel) -> bool:
    """``ch := make(…)`` or ``var ch = make(…)``: a name that exists only in this function."""
    holder = chan.make.parent
    while holder is not None and holder.type == "expression_list":
        holder = holder.parent
    return holder is not None and holder.type in ("short_var_declaration", "var_spec")


def _select_of_nothing(chans: list[LocalChannel]) -> Iterator[tuple[Node, list[str]]]:
    """Selects in goroutines whose every case receives from a local channel that nothing in
    the function sends on, closes or hands on, and that have no default."""
    silent: dict[int, list[str]] = {}
    selects: dict[int, Node] = {}
    for chan in chans:
        if chan.escapes or chan.of_kind("send", "close", "range") or program_lifetime(chan.func):
            continue
        if not _declared_here(chan):
            continue  # `x = make(…)` may fill a package variable others send on
        for use in chan.of_kind("receive"):
            statement = use.node.parent
            while statement is not None and statement.type == "expression_list":
                statement = statement.parent
            case = statement.parent if statement is not None else None
            if (
                use.where.kind != "go"
                or statement is None
                or statement.type != "receive_statement"
                or case is None
                or case.type != "communication_case"
                or case.parent is None
            ):
                continue
            selects[case.parent.id] = case.parent
            silent.setdefault(case.parent.id, []).append(chan.name)
    for key, select in selects.items():
        cases = [
            c for c in select.named_children if c.type in ("communication_case", "default_case")
        ]
        if len(cases) == len(silent[key]) and all(c.type == "communication_case" for c in cases):
            yield select, silent[key]


def check(ctx: FileContext) -> Iterator[Finding]:
    """Goroutines blocked in a plain receive that an early return leaves without a partner."""
    seen: set[int] = set()  # a worker started from two places is reported once
    chans = list(local_channels(ctx))
    for select, names in _select_of_nothing(chans):
        listed = ", ".join(f"`{n}`" for n in names)
        yield RULE.finding(
            ctx,
            select,
            f"goroutine's select can wait forever: nothing in this function sends on or closes "
            f"{listed}",
        )
    for chan in chans:
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
