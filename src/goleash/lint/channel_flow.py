"""Channel facts shared by the channel-family rules: local channels, their uses, loop exits.

Everything here is heuristic (no types): a "local channel" is a name bound to ``make(chan T)`` in
a function; its uses are the identifiers with that name after the binding in the same function,
including closures and goroutines started there. Analysis runs only on functions that make a
channel or contain a candidate loop, so the cost stays proportional to the candidates.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from goleash.lint.rules.base import FileContext
from goleash.lint.syntax import (
    Node,
    called_declarations,
    captures,
    contains,
    declarations,
    declarations_by_name,
    enclosing_function,
    parameter_names,
    unwrap_parens,
    walk,
    word_leaves,
)

# Every candidate of the whole family, for a file with syntax errors (elsewhere each kind is
# found from its words, see ``FileFacts``): a query costs about one walk of the tree in C whatever
# its number of patterns.
_CANDIDATES = """
((call_expression function: (identifier) @mk arguments: (argument_list . (channel_type))) @make
 (#eq? @mk "make"))
(go_statement) @go
((call_expression
   function: (selector_expression field: (field_identifier) @method)
   arguments: (argument_list)) @recv_call
 (#eq? @method "Recv"))
(communication_case communication: (receive_statement)) @receive_case
(function_declaration name: (identifier)) @declaration
(method_declaration name: (field_identifier)) @declaration
"""


@dataclass(frozen=True)
class Context:
    """Where a use sits relative to the function that made the channel."""

    kind: str  # "own" (the function's own body), "go", "defer" or "closure"
    node: Node | None  # the go/defer statement or the closure literal


def context_of(node: Node, func: Node) -> Context:
    """Whether ``node`` runs in ``func`` itself, in a goroutine it starts, a defer or a closure."""
    outermost: Node | None = None
    parent = node.parent
    while parent is not None and parent != func:
        if parent.type == "func_literal":
            call = parent.parent
            called = (
                call is not None
                and call.type == "call_expression"
                and call.child_by_field_name("function") == parent
            )
            holder = call.parent if called and call is not None else None
            # func(){…}() runs inline; under go/defer, or passed around, it is a new context.
            if not called or (
                holder is not None and holder.type in ("go_statement", "defer_statement")
            ):
                outermost = parent
        parent = parent.parent
    if outermost is None:
        return Context("own", None)
    call = outermost.parent
    holder = call.parent if call is not None else None
    if call is not None and call.type == "call_expression" and holder is not None:
        if holder.type == "go_statement":
            return Context("go", holder)
        if holder.type == "defer_statement":
            return Context("defer", holder)
    return Context("closure", outermost)


@dataclass
class Use:
    """One mention of a channel after it was made."""

    kind: str  # send, receive, range, close, escape, neutral
    node: Node  # the send/receive/range/close expression (or the identifier)
    where: Context


@dataclass
class LocalChannel:
    """A channel bound to a name by ``make(chan T[, n])`` inside one function."""

    name: str
    make: Node
    func: Node
    capacity: int | None  # 0 unbuffered, n for a literal, None when not a literal
    uses: list[Use] = field(default_factory=list)

    def of_kind(self, *kinds: str) -> list[Use]:
        """The uses of the given kinds, in source order."""
        return [u for u in self.uses if u.kind in kinds]

    @property
    def escapes(self) -> bool:
        """Returned, stored, passed on or aliased: someone else may send, receive or close."""
        return any(u.kind == "escape" for u in self.uses)


def _capacity(ctx: FileContext, make: Node) -> int | None:
    args = make.child_by_field_name("arguments")
    named = [] if args is None else [c for c in args.named_children if c.type != "comment"]
    if len(named) < 2:
        return 0
    size = unwrap_parens(named[1])
    if size.type == "int_literal":
        try:
            return int(ctx.text(size).replace("_", ""), 0)
        except ValueError:
            return None
    return None


def _bound_name(make: Node) -> tuple[str, Node] | None:
    """The name ``make`` is bound to (``ch := make(…)``, ``var ch = make(…)``, ``ch = make(…)``)."""
    values = make.parent
    if values is None or values.type != "expression_list":
        return None
    decl = values.parent
    if decl is None or decl.type not in (
        "short_var_declaration",
        "var_spec",
        "assignment_statement",
    ):
        return None
    operator = decl.child_by_field_name("operator")
    if decl.type == "assignment_statement" and operator is not None and operator.type != "=":
        return None
    index = [c.id for c in values.named_children].index(make.id)
    if decl.type == "var_spec":
        names = [c for c in decl.children_by_field_name("name")]
    else:
        left = decl.child_by_field_name("left")
        names = [] if left is None else list(left.named_children)
    if index >= len(names) or names[index].type != "identifier":
        return None
    return str(names[index].text.decode("utf-8", "replace")), names[index]


def _classify(ident: Node) -> tuple[str, Node]:
    parent = ident.parent
    if parent is None:
        return "escape", ident
    kind = parent.type
    if kind == "send_statement" and parent.child_by_field_name("channel") == ident:
        return "send", parent
    if kind == "unary_expression" and parent.child_by_field_name("operand") == ident:
        operator = parent.child_by_field_name("operator")
        if operator is not None and operator.type == "<-":
            return "receive", parent
        return "escape", ident
    if kind == "range_clause" and parent.child_by_field_name("right") == ident:
        loop = parent.parent
        return "range", loop if loop is not None else parent
    if kind == "argument_list" and parent.parent is not None:
        function = parent.parent.child_by_field_name("function")
        if function is not None and function.type == "identifier":
            if function.text == b"close":
                return "close", parent.parent
            if function.text in (b"len", b"cap"):
                return "neutral", ident
        return "escape", ident
    if kind == "expression_list":
        holder = parent.parent
        if holder is not None and holder.type in ("assignment_statement", "short_var_declaration"):
            left = holder.child_by_field_name("left")
            if left is not None and left == parent:
                return "neutral", ident  # ch = nil disables a select case; not an escape
    if kind == "binary_expression":
        return "neutral", ident  # ch == nil
    return "escape", ident


def _literal_params(literal: Node) -> list[str]:
    """Parameter names of a func literal or declaration, in order ([] when variadic)."""
    params = literal.child_by_field_name("parameters")
    if params is None or any(
        d.type == "variadic_parameter_declaration" for d in params.named_children
    ):
        return []  # variadic: give up on aliasing, the argument escapes
    return parameter_names(literal)


class _UseCollector:
    """Finds a channel's uses by name, following it into func literals and same-file functions
    it is handed to (``go func(c chan T){…}(ch)``, ``go worker(ch)``), one level deep."""

    def __init__(self, ctx: FileContext, declarations: list[Node]) -> None:
        self.ctx = ctx
        self.declarations = declarations_by_name(declarations)
        self.ids_by_func: dict[int, dict[str, list[Node]]] = {}

    def identifiers(self, body: Node) -> dict[str, list[Node]]:
        """Identifiers under a function body by name (one query per function, cached)."""
        ids = self.ids_by_func.get(body.id)
        if ids is None:
            ids = {}
            for ident in captures("(identifier) @id", body).get("id", []):
                ids.setdefault(ident.text.decode("utf-8", "replace"), []).append(ident)
            self.ids_by_func[body.id] = ids
        return ids

    def declaration(self, function: Node) -> Node | None:
        """The same-file function or method a call names, when exactly one matches."""
        found = called_declarations(function, self.declarations)
        return found[0] if len(found) == 1 else None

    def collect(
        self,
        chan: LocalChannel,
        name: str,
        body: Node,
        after: int,
        forced: Context | None = None,
    ) -> None:
        """Add the uses of ``name`` under ``body`` (after byte ``after``) to ``chan``."""
        for ident in self.identifiers(body).get(name, ()):
            if ident.start_byte < after:
                continue
            kind, node = _classify(ident)
            if kind == "escape" and self._follow(chan, ident, name, forced):
                continue
            chan.uses.append(Use(kind, node, forced or context_of(node, chan.func)))

    def _follow(self, chan: LocalChannel, ident: Node, name: str, forced: Context | None) -> bool:
        """Follow an argument into the function it is passed to; False when it escapes."""
        arguments = ident.parent
        call = arguments.parent if arguments is not None else None
        if arguments is None or arguments.type != "argument_list" or call is None:
            return False
        function = call.child_by_field_name("function")
        if function is None:
            return False
        position = [c.id for c in arguments.named_children].index(ident.id)
        if function.type == "func_literal":
            # go func(c chan int) { … }(ch): the literal's body is already in this function.
            params = _literal_params(function)
            body = function.child_by_field_name("body")
            if position >= len(params) or body is None:
                return False
            if params[position] != name:
                self.collect(chan, params[position], body, body.start_byte, forced)
            return True
        starter = call.parent
        if forced is not None or starter is None or starter.type != "go_statement":
            return False
        declaration = self.declaration(function)
        body = declaration.child_by_field_name("body") if declaration is not None else None
        params = _literal_params(declaration) if declaration is not None else []
        if body is None or position >= len(params):
            return False
        # go worker(ch): the worker's uses run in the goroutine this statement starts.
        self.collect(chan, params[position], body, body.start_byte, Context("go", starter))
        return True


def _channel_makes(root: Node, source: bytes) -> list[Node]:
    found = []
    for name in word_leaves(root, source, b"make", "identifier"):
        call = name.parent
        if call is None or call.type != "call_expression":
            continue
        arguments = call.child_by_field_name("arguments")
        if call.child_by_field_name("function") != name or arguments is None:
            continue
        first = arguments.named_children[0] if arguments.named_child_count else None
        if arguments.type == "argument_list" and first is not None and first.type == "channel_type":
            found.append(call)
    return found


def _receive_cases(root: Node, source: bytes) -> list[Node]:
    found = []
    for keyword in word_leaves(root, source, b"case", "case"):
        case = keyword.parent
        if case is None or case.type != "communication_case":
            continue
        communication = case.child_by_field_name("communication")
        if communication is not None and communication.type == "receive_statement":
            found.append(case)
    return found


def _recv_calls(root: Node, source: bytes) -> list[Node]:
    found = []
    for method in word_leaves(root, source, b"Recv", "field_identifier"):
        selector = method.parent
        if selector is None or selector.type != "selector_expression":
            continue
        call = selector.parent
        if selector.child_by_field_name("field") != method or call is None:
            continue
        if call.type != "call_expression" or call.child_by_field_name("function") != selector:
            continue
        arguments = call.child_by_field_name("arguments")
        if arguments is not None and arguments.type == "argument_list":
            found.append(call)
    return found


_FINDERS: dict[str, Callable[[FileContext], list[Node]]] = {
    "make": lambda ctx: _channel_makes(ctx.tree.root_node, ctx.source),
    "go": lambda ctx: ctx.go_statements(),
    "recv_call": lambda ctx: _recv_calls(ctx.tree.root_node, ctx.source),
    "receive_case": lambda ctx: _receive_cases(ctx.tree.root_node, ctx.source),
    "declaration": lambda ctx: declarations(ctx.tree.root_node),
}


@dataclass
class FileFacts:
    """The family's candidate nodes in one file, each kind found when first asked for (in source
    order), and derived facts."""

    relevant: bool  # False: the file cannot use channels, every kind is empty
    nodes: dict[str, list[Node]] = field(default_factory=dict)
    channels: list[LocalChannel] | None = None

    def of_kind(self, ctx: FileContext, name: str) -> list[Node]:
        """The candidates of one kind in the file of ``ctx`` (the file these facts are about)."""
        found = self.nodes.get(name)
        if found is None:
            root = ctx.tree.root_node
            if not self.relevant:
                found = []
            elif root.has_error:
                # Error recovery can put nodes anywhere: one query finds every kind wherever.
                everything = captures(_CANDIDATES, root)
                for kind in _FINDERS:
                    self.nodes[kind] = sorted(everything.get(kind, []), key=_in_order)
                found = self.nodes[name]
            else:
                # Each kind starts with a word of its own (`go`, `make`, `case`, `Recv`) or sits
                # at the top level: found from the words in the bytes, not by a query that walks
                # every node of the file.
                found = _FINDERS[name](ctx)
            self.nodes[name] = found
        return found


def _in_order(node: Node) -> tuple[int, int]:
    return node.start_byte, -node.end_byte


def file_facts(ctx: FileContext) -> FileFacts:
    """Candidates for the whole family, shared by its rules (cached on the file's context)."""
    return ctx.memo("channel_facts", lambda: _new_facts(ctx))


def _new_facts(ctx: FileContext) -> FileFacts:
    relevant = _may_use_channels(ctx.source)
    return FileFacts(relevant, channels=None if relevant else [])


def _may_use_channels(source: bytes) -> bool:
    """A byte-level pre-check: no `<-`, no `chan`, no `.Recv(` means nothing for this family.

    In the standard library only about 13% of the lines are in files that pass, and a substring
    search costs a fraction of a query walk.
    """
    if b"<-" in source or b".Recv(" in source:
        return True
    # `chan T` and `chan)`/`chan<-` spellings; a rare false pass only costs a few searches.
    return b"chan " in source or b"chan)" in source or b"chan<-" in source


def candidates(ctx: FileContext, name: str) -> list[Node]:
    """Candidate nodes of one kind: make, go, recv_call, receive_case, declaration."""
    return file_facts(ctx).of_kind(ctx, name)


def local_channels(ctx: FileContext) -> list[LocalChannel]:
    """Every channel made by ``make(chan …)`` and bound to a local name, with its uses."""
    facts = file_facts(ctx)
    if facts.channels is not None:
        return facts.channels
    found: list[LocalChannel] = []
    makes = facts.of_kind(ctx, "make")
    collector = _UseCollector(ctx, facts.of_kind(ctx, "declaration") if makes else [])
    for make in makes:
        bound = _bound_name(make)
        func = enclosing_function(make)
        if bound is None or func is None:
            continue
        body = func.child_by_field_name("body")
        if body is None:
            continue
        chan = LocalChannel(bound[0], make, func, _capacity(ctx, make))
        collector.collect(chan, bound[0], body, make.end_byte)
        found.append(chan)
    facts.channels = found
    return found


def return_between(func: Node, after: Node, before: Node) -> Node | None:
    """A return of ``func`` itself (not of a closure in it) that lies after ``after`` ends and
    before ``before`` starts, and does not contain ``before``: a way out that skips it."""
    body = func.child_by_field_name("body")
    if body is None:
        return None
    for ret in walk(body):
        if (
            ret.type == "return_statement"
            and after.end_byte <= ret.start_byte < before.start_byte
            and not contains(ret, before)
        ):
            return ret
    return None


_DONE_NAME = re.compile(
    r"(?i)(^|[._])(quit|done|stop|stopc|stopch|stopped|stopping|closing|closed|close|shutdown"
    r"|exit|die|dying|cancel|cancelled|canceled|term|kill|finish)\w*$|(Done|Quit|Stop|Closed|Closing"
    r"|Shutdown|Exit|Cancel)(C|Ch|Chan)?$"
)


def done_channel(ctx: FileContext, receive: Node) -> str:
    """The text of a receive's operand if it looks like a cancellation signal, else ''.

    ``ctx.Done()``, ``s.quit``, ``stopCh``, ``done``: what services wait on to stop.
    """
    operand = receive.child_by_field_name("operand")
    if operand is None:
        return ""
    operand = unwrap_parens(operand)
    if operand.type == "call_expression":
        function = operand.child_by_field_name("function")
        args = operand.child_by_field_name("arguments")
        if (
            function is not None
            and function.type == "selector_expression"
            and args is not None
            and args.named_child_count == 0
        ):
            field_node = function.child_by_field_name("field")
            if field_node is not None and ctx.text(field_node) == "Done":
                return ctx.text(operand)
        return ""
    if operand.type in ("identifier", "selector_expression"):
        value = ctx.text(operand)
        if _DONE_NAME.search(value):
            return value
    return ""


def receive_of_case(case: Node) -> Node | None:
    """The ``<-x`` of a ``case [v :=] <-x:`` communication case."""
    communication = case.child_by_field_name("communication")
    if communication is None or communication.type != "receive_statement":
        return None
    right = communication.child_by_field_name("right")
    if right is None:
        return None
    right = unwrap_parens(right)
    return right if right.type == "unary_expression" else None


def case_body(case: Node) -> list[Node]:
    """The statements of a select/switch case, after its colon."""
    seen_colon = False
    body: list[Node] = []
    for child in case.children:
        if seen_colon and child.is_named and child.type != "comment":
            if child.type == "statement_list":
                body.extend(c for c in child.named_children if c.type != "comment")
            else:
                body.append(child)
        if child.type == ":":
            seen_colon = True
    return body


def once(uses: Iterable[Use], seen: set[int]) -> Iterator[Use]:
    """The uses not reported yet: a worker started from two places is reported once."""
    for use in uses:
        if use.node.id not in seen:
            seen.add(use.node.id)
            yield use
