"""signal-notify-unbuffered: ``signal.Notify`` on a channel made without a buffer."""

from __future__ import annotations

from collections.abc import Iterator

from goleash.lint.rules.base import FileContext, Rule, RuleDoc
from goleash.lint.syntax import Node, captures, enclosing_function
from goleash.model import Finding

_QUERY = """
((call_expression
   function: (selector_expression operand: (identifier) @pkg field: (field_identifier) @fn)
   arguments: (argument_list . (_) @channel)) @notify
 (#eq? @fn "Notify"))
((call_expression function: (identifier) @mk arguments: (argument_list . (channel_type) .)) @make
 (#eq? @mk "make"))
"""


def _bound_name(ctx: FileContext, make: Node) -> str:
    """The name an unbuffered make(chan …) is bound to (``ch := make(…)``, ``var ch = …``)."""
    values = make.parent
    holder = values.parent if values is not None else None
    if values is None or holder is None or values.type != "expression_list":
        return ""
    if len(values.named_children) != 1:
        return ""
    targets = holder.child_by_field_name("left")
    if holder.type == "var_spec":
        names = holder.children_by_field_name("name")
        return ctx.text(names[0]) if len(names) == 1 else ""
    if targets is None or len(targets.named_children) != 1:
        return ""
    return ctx.text(targets.named_children[0])


def check(ctx: FileContext) -> Iterator[Finding]:
    """Report signal.Notify calls whose channel was made unbuffered."""
    if b"os/signal" not in ctx.source:
        return
    signal_names = ctx.imports("os/signal")
    if not signal_names:
        return
    found = captures(_QUERY, ctx.tree.root_node)
    unbuffered: list[tuple[str, Node]] = []
    for make in found.get("make", []):
        name = _bound_name(ctx, make)
        if name:
            unbuffered.append((name, make))
    for notify in found.get("notify", []):
        selector = notify.child_by_field_name("function")
        pkg = selector.child_by_field_name("operand")
        if pkg is None or ctx.text(pkg) not in signal_names:
            continue
        arguments = notify.child_by_field_name("arguments")
        channel = arguments.named_children[0] if arguments is not None else None
        if channel is None:
            continue
        if channel.type == "call_expression" and channel in found.get("make", []):
            target = "make(…)"
        else:
            wanted = ctx.text(channel)
            func = enclosing_function(notify)
            local = [m for n, m in unbuffered if n == wanted and enclosing_function(m) == func]
            anywhere = [m for n, m in unbuffered if n == wanted]
            # The nearest binding wins: same function first, then anywhere in the file.
            if not (local or (anywhere and func is not None and not _rebound(ctx, func, wanted))):
                continue
            target = wanted
        yield RULE.finding(
            ctx,
            notify,
            f"signal.Notify on unbuffered channel `{target}`: a signal that arrives while no one "
            "is receiving is dropped (make the channel with a buffer of 1)",
        )


def _rebound(ctx: FileContext, func: Node, name: str) -> bool:
    """Whether ``func`` binds ``name`` itself (then the file-level make is another variable)."""
    text = ctx.source[func.start_byte : func.end_byte]
    return f"{name} :=".encode() in text or f"{name} = make".encode() in text


RULE = Rule(
    id="signal-notify-unbuffered",
    title="signal.Notify on an unbuffered channel",
    severity="warning",
    doc=RuleDoc(
        what="Finds `signal.Notify(ch, …)` where `ch` is made with `make(chan os.Signal)`.",
        why=(
            "The signal package never blocks when delivering: if nobody is receiving at that "
            "moment, the signal is dropped. A shutdown signal lost this way leaves the process "
            "and every goroutine waiting for the shutdown running until it is killed."
        ),
        example="""\
sigs := make(chan os.Signal)
signal.Notify(sigs, syscall.SIGTERM)
<-sigs
""",
        fix="""\
Give the channel room for one signal:
	sigs := make(chan os.Signal, 1)
""",
        known_problems=(
            "The channel must be made in the same function, or at file level under the same "
            "name; a channel passed in from elsewhere is not checked."
        ),
    ),
    check=check,
)
