"""unclosed-body: an HTTP response whose Body is never closed, or not closed on some path."""

from __future__ import annotations

from collections.abc import Iterator

from goleash.lint.resources_flow import Exit, HeldPaths
from goleash.lint.rules.base import FileContext, Rule, RuleDoc
from goleash.lint.syntax import (
    Node,
    call_name,
    captures,
    contains,
    enclosing_function,
    enclosing_statement,
    identifiers,
    nodes,
    parameter_names,
    statements,
)
from goleash.model import Finding

_CALLS = """
((call_expression
   function: (selector_expression operand: (_) @recv field: (field_identifier) @method)) @call
 (#any-of? @method "Do" "Get" "Head" "Post" "PostForm"))
"""

# How many arguments each request method takes: tells `client.Get(url)` from `cache.Get(ctx, k)`.
_ARITY = {"Do": 1, "Get": 1, "Head": 1, "Post": 3, "PostForm": 2}

# Packages whose functions read or wrap a body without closing it (io.ReadAll, json.NewDecoder…).
_READERS = {
    "io",
    "ioutil",
    "json",
    "xml",
    "bufio",
    "gzip",
    "zlib",
    "flate",
    "csv",
    "base64",
    "hex",
    "binary",
    "fmt",
    "httputil",
    "bytes",
    "strings",
    "multipart",
    "textproto",
    "tar",
    "zip",
    "log",
    "slog",
    "html",
    "template",
}
_READER_METHODS = {"ReadFrom", "Decode", "NewDecoder", "NewReader", "NewScanner", "Unmarshal"}


def _is_http_call(ctx: FileContext, recv: Node, method: str, http_names: set[str]) -> bool:
    receiver = ctx.text(recv)
    if receiver in http_names:
        return method != "Do"
    last = receiver.rsplit(".", 1)[-1].lower()
    return "client" in last or receiver.endswith(".DefaultClient")


def _passed_to(arg: Node, ctx: FileContext) -> str:
    """For a node that is a call argument: "reader" (reads, does not close), else "handoff"."""
    call = arg.parent.parent if arg.parent is not None else None
    if call is None or call.type != "call_expression":
        return "handoff"
    func = call.child_by_field_name("function")
    if func is not None and func.type == "selector_expression":
        operand = func.child_by_field_name("operand")
        field = func.child_by_field_name("field")
        if operand is not None and ctx.text(operand) in _READERS:
            return "reader"
        if field is not None and ctx.text(field) in _READER_METHODS:
            return "reader"
    return "handoff"


def _classify(ident: Node, ctx: FileContext) -> str:
    """One later use of the response variable: "close", "escape" or "neutral"."""
    node = ident
    parent = node.parent
    if (
        parent is not None
        and parent.type == "selector_expression"
        and parent.child_by_field_name("operand") == node
    ):
        field = parent.child_by_field_name("field")
        if field is None or ctx.text(field) != "Body":
            return "neutral"  # resp.StatusCode, resp.Header…
        node = parent  # resp.Body
        parent = node.parent
        if parent is not None and parent.type == "selector_expression":
            field = parent.child_by_field_name("field")
            grand = parent.parent
            if (
                field is not None
                and ctx.text(field) == "Close"
                and grand is not None
                and grand.type == "call_expression"
            ):
                return "close"
            return "neutral"  # resp.Body.Read(...)
    if parent is None:
        return "neutral"
    if parent.type == "argument_list":
        return "escape" if _passed_to(node, ctx) == "handoff" else "neutral"
    if parent.type == "expression_list":
        holder = parent.parent
        if holder is not None and holder.type in ("assignment_statement", "short_var_declaration"):
            return "neutral" if holder.child_by_field_name("left") == parent else "escape"
        return "escape"  # returned, or one of several values sent on
    if parent.type in (
        "literal_element",
        "keyed_element",
        "send_statement",
        "return_statement",
        "var_spec",
        "unary_expression",
        "index_expression",
    ):
        return "escape"
    return "neutral"


def _error_check_first(stmt: Node, ctx: FileContext, err: str) -> Node | None:
    """The `if err != nil { … }` right after the call: the response is nil inside it."""
    if not err or stmt.parent is None:
        return None
    siblings = statements(stmt.parent)
    index = siblings.index(stmt) if stmt in siblings else -1
    if index < 0 or index + 1 >= len(siblings):
        return None
    nxt = siblings[index + 1]
    if nxt.type != "if_statement":
        return None
    condition = nxt.child_by_field_name("condition")
    if condition is None or f"{err} != nil" not in ctx.text(condition):
        return None
    return nxt.child_by_field_name("consequence")


def _words(exit_: Exit) -> str:
    if exit_.kind == "end":
        return f"when the function ends (line {exit_.line})"
    if exit_.kind == "loop":
        return f"before the next loop iteration (line {exit_.line})"
    return f"at the {exit_.kind} on line {exit_.line}"


def _closed_when_no_error(
    ctx: FileContext, condition: Node, err: str, closer: str, call_stmt: Node
) -> bool:
    """``resp, err = get(); if err == nil { resp.Body.Close() }``: closed on the one path that
    has a body (when the call failed there is no response to close). The test must follow the
    call itself: after a later call rebinds the names, it is about that call's response."""
    statement = condition.parent
    if not err or statement is None or statement.type != "if_statement":
        return False
    previous = statement.prev_named_sibling
    while previous is not None and previous.type == "comment":
        previous = previous.prev_named_sibling
    if previous != call_stmt:
        return False
    if statement.child_by_field_name("condition") != condition:
        return False
    if "".join(ctx.text(condition).split()) != f"{err}==nil":
        return False
    consequence = statement.child_by_field_name("consequence")
    return consequence is not None and any(
        call_name(c) == closer for c in nodes(consequence, "call_expression")
    )


def _captured(ctx: FileContext, func: Node, name: str) -> bool:
    """Whether ``name`` belongs to a function around the func literal ``func`` (declared there,
    not in the literal): a closure that fills its caller's variable."""
    if func.type != "func_literal":
        return False
    if name in parameter_names(func):
        return False
    body = func.child_by_field_name("body")
    if body is None:
        return False
    for decl in nodes(body, "short_var_declaration", "var_spec"):
        left = decl.child_by_field_name("left") or decl.child_by_field_name("name")
        if left is not None and name in ctx.text(left).replace(" ", "").split(","):
            return False
    return True


def _check_call(ctx: FileContext, call: Node, method: str) -> Finding | None:
    values = call.parent
    if values is None or values.type != "expression_list":
        return None
    holder = values.parent
    if holder is None or holder.type not in ("short_var_declaration", "assignment_statement"):
        return None
    left = holder.child_by_field_name("left")
    if left is None or len(left.named_children) != 2 or len(values.named_children) != 1:
        return None
    target, err_node = left.named_children
    if target.type != "identifier":
        return None  # stored in a field or element: its owner closes it
    name = ctx.text(target)
    err = ctx.text(err_node) if err_node.type == "identifier" else ""
    if name == "_":
        return RULE.finding(
            ctx,
            call,
            f"the response of {call_name(call)} is discarded, so its Body is never "
            "closed: the connection and its reader goroutine are kept",
        )
    func = enclosing_function(call)
    if func is None:
        return None
    if holder.type == "assignment_statement" and _captured(ctx, func, name):
        return None  # `res, err = client.Do(req)` in a retry closure: the outer function owns it
    closed = False
    for ident in identifiers(func, name):
        if ident.start_byte <= holder.end_byte:
            continue
        use = _classify(ident, ctx)
        if use == "escape":
            return None
        closed = closed or use == "close"
    if not closed:
        return RULE.finding(
            ctx,
            call,
            f"`{name}.Body` is never closed: the connection cannot be reused and its "
            "goroutines stay blocked (add `defer " + name + ".Body.Close()` after the error check)",
        )
    stmt = enclosing_statement(call)
    if stmt is None or stmt != holder:
        return None  # bound in an if/switch header: scoped to that statement, judged by use
    closer = f"{name}.Body.Close"

    nil_branch = _error_check_first(stmt, ctx, err)

    def releases(node: Node) -> bool:
        if nil_branch is not None and contains(nil_branch, node):
            return True  # the error branch holds no response (`if err != nil {…} else {…}`)
        if _closed_when_no_error(ctx, node, err, closer, stmt):
            return True
        return any(call_name(c) == closer for c in nodes(node, "call_expression"))

    exits = HeldPaths(ctx, releases).leaks_after(stmt)
    if nil_branch is not None:
        exits = [e for e in exits if not contains(nil_branch, e.node)]
    if not exits:
        return None
    return RULE.finding(
        ctx,
        call,
        f"`{name}.Body` is not closed {_words(exits[0])}: that path leaks the connection "
        f"(use `defer {name}.Body.Close()` after the error check)",
    )


def check(ctx: FileContext) -> Iterator[Finding]:
    """Report HTTP responses whose Body is not closed on every path."""
    if b"net/http" not in ctx.source:
        return
    http_names = ctx.imports("net/http")
    if not http_names:
        return
    for call in captures(_CALLS, ctx.tree.root_node).get("call", []):
        selector = call.child_by_field_name("function")
        recv = selector.child_by_field_name("operand")
        method = ctx.text(selector.child_by_field_name("field"))
        arguments = call.child_by_field_name("arguments")
        if recv is None or arguments is None:
            continue
        if len(arguments.named_children) != _ARITY[method]:
            continue
        if not _is_http_call(ctx, recv, method, http_names):
            continue
        finding = _check_call(ctx, call, method)
        if finding is not None:
            yield finding


RULE = Rule(
    id="unclosed-body",
    title="HTTP response body not closed",
    severity="error",
    tool_severity="info",
    doc=RuleDoc(
        what=(
            "Finds `resp, err := client.Do(req)` (and `Get`, `Head`, `Post`, `PostForm`, "
            "`http.Get`…) whose `resp.Body` is never closed or not closed on some path."
        ),
        why=(
            "Until the body is closed the transport cannot reuse or free the connection: its "
            "read and write goroutines (`net/http.(*persistConn).readLoop`/`writeLoop`) and its "
            "file descriptor stay alive. Under load this is one of the most common goroutine "
            "leaks in Go services."
        ),
        example="""\
func status(client *http.Client, url string) (int, error) {
	resp, err := client.Get(url)
	if err != nil {
		return 0, err
	}
	return resp.StatusCode, nil // resp.Body is never closed
}
""",
        fix="""\
Close the body right after the error check:
	resp, err := client.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
""",
        known_problems=(
            "Lenient by design: a response (or its Body) that is returned, stored, sent or "
            "passed to any function other than well-known readers (io.ReadAll, json.NewDecoder…) "
            "is taken as handed over, so a helper that forgets to close is not reported. "
            "Without types, a client is recognised by the `http` package name or a receiver "
            "whose name contains 'client'; responses from other constructors (websocket Dial, "
            "httptest recorders) are not checked."
        ),
    ),
    check=check,
)
