"""http-client-no-timeout: an http.Client without Timeout, or calls through the default client."""

from __future__ import annotations

import re
from collections.abc import Iterator

from goleash.lint.rules.base import FileContext, Rule, RuleDoc
from goleash.lint.syntax import Node, captures, enclosing_function, parameter_names
from goleash.model import Finding

_QUERY = """
(composite_literal
  type: (qualified_type package: (package_identifier) @pkg name: (type_identifier) @type)
  body: (literal_value) @body
  (#eq? @type "Client")) @literal
((call_expression
   function: (selector_expression operand: (_) @recv field: (field_identifier) @fn)) @call
 (#any-of? @fn "Get" "Head" "Post" "PostForm" "Do"))
"""

_DEADLINES = (b"WithTimeout", b"WithDeadline", b"Timeout", b"SetDeadline")

# The context a request is given: `http.NewRequestWithContext(ctx, …)`, `req.WithContext(ctx)`,
# `req.Clone(r.Context())`.
_ATTACHED_CONTEXT = re.compile(
    rb"(?:NewRequestWithContext|\.WithContext|\.Clone)\(\s*([A-Za-z_][\w.]*(?:\(\))?)"
)


def _callers_context(func: Node) -> bool:
    """Whether the function sends its request with a context it was given.

    `func post(ctx context.Context, …) { … http.DefaultClient.Do(req.WithContext(ctx)) }`: the
    request ends when the caller's context does (x/tools' playground gives it a 60 s deadline).
    A parameter, or the `Context()` of an inbound request, counts; `context.Background()`
    or `TODO()` does not.
    """
    params = set(parameter_names(func))
    for match in _ATTACHED_CONTEXT.finditer(func.text or b""):
        arg = match.group(1).decode("utf-8", "replace")
        if arg in params or (arg.endswith(".Context()") and arg.split(".")[0] in params):
            return True
    return False


def _keys(ctx: FileContext, body: Node) -> dict[str, Node]:
    keys: dict[str, Node] = {}
    for element in body.named_children:
        if element.type != "keyed_element":
            continue
        key = element.child_by_field_name("key")
        value = element.child_by_field_name("value")
        if key is not None and value is not None:
            keys[ctx.text(key)] = value
    return keys


def _element(node: Node) -> Node:
    """The expression inside a ``literal_element`` wrapper (a key's value)."""
    while node.type == "literal_element" and node.named_child_count == 1:
        node = node.named_children[0]
    return node


def _wraps_client(ctx: FileContext, transport: Node) -> bool:
    """`Transport: &retryablehttp.RoundTripper{Client: c}`: a round tripper that sends through
    another client, whose own Timeout (set where that client was built) bounds each request."""
    literal = _element(transport)
    if literal.type == "unary_expression":
        literal = literal.child_by_field_name("operand") or literal
    body = literal.child_by_field_name("body") if literal.type == "composite_literal" else None
    if body is None:
        return False
    return any(
        key.endswith("Client") and "{" not in ctx.text(value)
        for key, value in _keys(ctx, body).items()
    )


_REQUEST_CONTEXT = re.compile(rb"NewRequestWithContext\(|\.WithContext\(|\w+WithContext\(")
_DEADLINE_SET = re.compile(rb"context\.With(?:Timeout|Deadline)\(")


def _bound_name(literal: Node, ctx: FileContext) -> str:
    """The variable or field a client literal is stored in (``apiClient``, ``s.client``)."""
    node = literal.parent
    if node is not None and node.type == "unary_expression":
        node = node.parent
    if node is not None and node.type == "expression_list":
        holder = node.parent
        if holder is not None and holder.type in (
            "var_spec",
            "short_var_declaration",
            "assignment_statement",
        ):
            left = holder.child_by_field_name("left") or holder.child_by_field_name("name")
            if left is not None:
                names = left.named_children if left.type == "expression_list" else [left]
                return ctx.text(names[0]) if len(names) == 1 else ""
    return ""


def _requests_carry_contexts(ctx: FileContext, literal: Node) -> bool:
    """Every use of the client in the file is ``c.Do(req)`` in a function that builds the
    request with a context and sets a deadline on a context (``WithTimeout`` per request): the
    deadline travels with each request, not on the client."""
    name = _bound_name(literal, ctx)
    if not name:
        return False
    last = name.rsplit(".", 1)[-1]
    uses = [
        m
        for m in re.finditer(rb"\b" + re.escape(last.encode()) + rb"\.(\w+)\(", ctx.source)
        if m.group(1) in (b"Do", b"Get", b"Head", b"Post", b"PostForm")
    ]
    if not uses:
        return False
    for use in uses:
        if use.group(1) != b"Do":
            return False
        node = ctx.tree.root_node.descendant_for_byte_range(use.start(), use.end())
        func = enclosing_function(node) if node is not None else None
        body = ctx.source[func.start_byte : func.end_byte] if func is not None else b""
        if not (_REQUEST_CONTEXT.search(body) and _DEADLINE_SET.search(body)):
            return False
    return True


def _handed_to_sdk(ctx: FileContext, literal: Node) -> bool:
    """``cfg.WithHTTPClient(&http.Client{…})`` or ``sdk.Config{HTTPClient: &http.Client{…}}``:
    the client is given to a library whose calls take per-call contexts (``…WithContext(ctx,
    …)`` in this file), which bound each request."""
    node = literal.parent
    if node is not None and node.type == "unary_expression":
        node = node.parent
    if node is None:
        return False
    handed = node.type == "argument_list" and _other_package_call(ctx, node.parent)
    if node.type == "literal_element" and node.parent is not None:
        outer = node.parent.parent  # keyed_element -> literal_value
        composite = outer.parent if outer is not None else None
        type_node = composite.child_by_field_name("type") if composite is not None else None
        handed = type_node is not None and type_node.type == "qualified_type"
    return handed and re.search(rb"WithContext\(\s*ctx\b", ctx.source) is not None


def _other_package_call(ctx: FileContext, call: Node | None) -> bool:
    """A call into another package or onto a value of one (``cfg.WithHTTPClient(…)``), not a
    constructor of this package (``NewGateway(…)``) nor net/http itself."""
    function = call.child_by_field_name("function") if call is not None else None
    if function is None or function.type != "selector_expression":
        return False
    operand = function.child_by_field_name("operand")
    return operand is not None and ctx.text(operand) not in ctx.imports("net/http")


def _local_round_tripper(ctx: FileContext, transport: Node) -> bool:
    """``Transport: &fakeTransport{…}`` / ``roundTripFunc(f)``: a round tripper of this
    package's own type, which answers without the network (a test double, a file or memory
    transport) or wraps one whose timeouts are set where it is built."""
    value = _element(transport)
    if value.type == "unary_expression":
        value = value.child_by_field_name("operand") or value
    if value.type == "composite_literal":
        type_node = value.child_by_field_name("type")
        return type_node is not None and type_node.type == "type_identifier"
    if value.type == "call_expression":
        function = value.child_by_field_name("function")
        return (
            function is not None
            and function.type == "identifier"
            and (ctx.text(function)[:1].islower())
        )
    return False


def _literal_finding(ctx: FileContext, literal: Node, body: Node) -> Finding | None:
    keys = _keys(ctx, body)
    if "Timeout" in keys:
        return None
    transport = keys.get("Transport")
    if transport is not None:
        text = ctx.text(transport)
        # A transport built elsewhere may carry its own timeouts: be lenient.
        if "Timeout" in text or "{" not in text or _wraps_client(ctx, transport):
            return None
        if _local_round_tripper(ctx, transport):
            return None
    if _requests_carry_contexts(ctx, literal) or _handed_to_sdk(ctx, literal):
        return None
    func = enclosing_function(literal)
    scope = func if func is not None else literal
    if b".Timeout =" in ctx.source[scope.start_byte : scope.end_byte]:
        return None  # set right after construction
    return RULE.finding(
        ctx,
        literal,
        "http.Client without a Timeout: a server that stops answering keeps the request, its "
        "connection and the calling goroutine forever (set `Timeout:`)",
    )


def _default_client_finding(ctx: FileContext, call: Node, name: str) -> Finding | None:
    if ctx.is_test:
        return None
    func = enclosing_function(call)
    if func is None:
        return None
    text = ctx.source[func.start_byte : func.end_byte]
    if any(d in text for d in _DEADLINES):
        return None
    if name.endswith(".Do") and _callers_context(func):
        return None
    return RULE.finding(
        ctx,
        call,
        f"{name} uses http.DefaultClient, which has no timeout, and no context deadline is "
        "visible here: a stalled server blocks this goroutine forever",
        severity="info",
    )


def check(ctx: FileContext) -> Iterator[Finding]:
    """Report clients without timeouts and timeout-less calls through the default client."""
    if b"net/http" not in ctx.source:
        return
    http_names = ctx.imports("net/http")
    if not http_names:
        return
    found = captures(_QUERY, ctx.tree.root_node)
    for literal in found.get("literal", []):
        type_node = literal.child_by_field_name("type")
        pkg = type_node.child_by_field_name("package") if type_node is not None else None
        body = literal.child_by_field_name("body")
        if pkg is None or body is None or ctx.text(pkg) not in http_names:
            continue
        finding = _literal_finding(ctx, literal, body)
        if finding is not None:
            yield finding
    for call in found.get("call", []):
        selector = call.child_by_field_name("function")
        recv = selector.child_by_field_name("operand")
        fn = ctx.text(selector.child_by_field_name("field"))
        receiver = ctx.text(recv) if recv is not None else ""
        if fn == "Do":
            if receiver not in {f"{n}.DefaultClient" for n in http_names}:
                continue
        elif receiver not in http_names:
            continue
        finding = _default_client_finding(ctx, call, f"{receiver}.{fn}")
        if finding is not None:
            yield finding


RULE = Rule(
    id="http-client-no-timeout",
    title="HTTP client without a timeout",
    severity="warning",
    tool_severity="info",
    doc=RuleDoc(
        what=(
            "Finds `http.Client{…}` literals without `Timeout` (and without a Transport whose "
            "timeouts are set), and — at info level — `http.Get`/`Head`/`Post`/`PostForm` and "
            "`http.DefaultClient.Do` in functions with no visible context deadline."
        ),
        why=(
            "Go's HTTP client waits forever by default. A peer that accepts the connection and "
            "never answers pins the calling goroutine, the connection's read and write "
            "goroutines and a file descriptor; in a service each stuck call usually also holds "
            "an inbound request."
        ),
        example="""\
var client = &http.Client{} // no Timeout

func quote(symbol string) (*http.Response, error) {
	return client.Get("https://quotes.example.com/" + symbol)
}
""",
        fix="""\
Give the client a Timeout (or give each request a context with a deadline):
	var client = &http.Client{Timeout: 10 * time.Second}
""",
        known_problems=(
            "A Transport set to something built elsewhere (or a round tripper literal that sends "
            "through another client, `&RoundTripper{Client: c}`), a `.Timeout =` assignment in "
            "the same "
            "function, or any mention of WithTimeout/WithDeadline/Timeout in the calling "
            "function is taken as a deadline, without checking that it applies to this request. "
            "`http.DefaultClient.Do` of a request given the function's own context parameter "
            "(`req.WithContext(ctx)`, `NewRequestWithContext(ctx, …)`, `r.Context()`) is not "
            "reported: the deadline is the caller's to set. Nor is a client whose every use in "
            "the file is `Do` in a function that builds the request with a context and sets "
            "`context.WithTimeout`/`WithDeadline` (the deadline travels with each request), a "
            "client handed to an SDK whose calls take "
            "per-call contexts (`WithHTTPClient(&http.Client{})` with `…WithContext(ctx, …)` "
            "calls in the file), or one whose Transport is a round tripper of the package's own "
            "type (a test double or an in-memory transport). In `package main` tools and "
            "examples the finding is info."
        ),
    ),
    check=check,
)
