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
            "reported: the deadline is the caller's to set."
        ),
    ),
    check=check,
)
