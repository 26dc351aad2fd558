"""Built-in knowledge of net/http: which user code leaves ``persistConn`` goroutines behind.

Every client connection of an ``http.Transport`` runs two goroutines, ``persistConn.readLoop``
and ``persistConn.writeLoop``. They pile up for two reasons that are bugs in the caller:

- a response body that is never closed: the connection can be neither reused nor closed, and
  its ``readLoop`` waits in a select for the body to be read or closed (``waitForBodyRead``);
- a transport built per call (``&http.Transport{}`` or a client with its own transport in a
  function that runs per request): each keeps its idle connection forever, with ``readLoop``
  parked reading the socket (IO wait) and ``writeLoop`` waiting for the next request.

A stack cannot point at either, since the goroutines are started by the transport. So the
causes are found in the user's module: the ``unclosed-body`` findings of ``goleash scan``, and
transports made inside functions that neither return nor keep them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from goleash.analysis.explain_source import GoSource
from goleash.model import Finding, Frame, Group

__all__ = ["BodyCause", "ConnRole", "TransportCause", "conn_role", "per_call_transports"]

READ_LOOP = "net/http.(*persistConn).readLoop"
ROUND_TRIP = "net/http.(*persistConn).roundTrip"
WRITE_LOOP = "net/http.(*persistConn).writeLoop"
# Idle connections one shared transport keeps per host (net/http's DefaultMaxIdleConnsPerHost):
# up to this many idle readLoops are what a healthy, reused client leaves.
IDLE_PER_HOST = 2
# Module files read when looking for the causes; past this the search stops (a monorepo).
MAX_FILES = 4000

_CLIENT_CALL = re.compile(r"([\w.\[\]()]+?)\.(?:Do|Get|Post|PostForm|Head)\(")
_TRANSPORT = re.compile(r"\bhttp\.Transport\s*\{")
_ASSIGNED = re.compile(r"^\s*(?:var\s+)?(\w+)\s*(?::=|=)")


@dataclass(frozen=True, slots=True)
class ConnRole:
    """What a net/http connection goroutine group is doing."""

    loop: str  # "readLoop" | "writeLoop"
    waiting_for_body: bool  # readLoop blocked until the caller reads or closes the body


def conn_role(group: Group) -> ConnRole | None:
    """The role of a group of ``persistConn`` goroutines, or None for any other group."""
    for i, f in enumerate(group.frames):
        if f.function == READ_LOOP:
            # At the top of the user-visible stack, readLoop waits in its select for the body;
            # below a read (bufio Peek → netFD.Read) it is an idle connection.
            above = [g for g in group.frames[:i] if not g.is_plumbing]
            # debug=1 and protobuf print no state: readLoop on top is parked in its select.
            parked = not group.state or group.state.startswith("select")
            return ConnRole("readLoop", not above and parked)
        if f.function == WRITE_LOOP:
            return ConnRole("writeLoop", False)
    return None


def awaiting_response(group: Group) -> Frame | None:
    """For goroutines waiting for an HTTP response (in ``persistConn.roundTrip``), the user's
    frame that made the request; None for any other group."""
    frames = group.frames
    for i, f in enumerate(frames):
        if f.function == ROUND_TRIP:
            for g in frames[i + 1 :]:
                if not g.is_plumbing and user_package(g.function):
                    return g
            return None
    return None


def user_package(function: str) -> bool:
    """Not the standard library: ``main`` or a package under a domain (``example.com/x``)."""
    head = function.split("/", 1)[0]
    return function.startswith("main.") or ("." in head and "/" in function)


def client_of(call_line: str) -> str:
    """The client a request line uses: ``webhookClient`` in ``webhookClient.Post(…)``;
    ``http`` for the package functions (``http.Get``: the DefaultClient)."""
    m = _CLIENT_CALL.search(call_line.split("//", 1)[0])
    return m.group(1) if m else ""


@dataclass(frozen=True, slots=True)
class BodyCause:
    """A response whose body is never closed."""

    file: str
    line: int
    code: str
    function: str
    message: str


@dataclass(frozen=True, slots=True)
class TransportCause:
    """A transport made per call and never kept or closed."""

    file: str
    line: int
    code: str
    function: str


def body_causes(
    findings: Iterable[Finding], sources: dict[Path, GoSource | None]
) -> list[BodyCause]:
    """The ``unclosed-body`` findings, outside tests, with their code."""
    result = []
    for f in findings:
        if f.rule != "unclosed-body" or f.file.endswith("_test.go"):
            continue
        src = sources.get(Path(f.file).resolve())
        code = src.line_text(f.line).strip() if src is not None else ""
        name = src.declared_name(f.line) if src is not None else ""
        result.append(BodyCause(f.file, f.line, code, name, f.message))
    return result


def per_call_transports(files: Sequence[GoSource]) -> list[TransportCause]:
    """Transports built inside a function that neither returns them, keeps them in a field or
    a package variable, nor closes their idle connections: one new connection pool per call."""
    found = []
    for src in files:
        if src.path.name.endswith("_test.go"):
            continue
        for n in range(1, src.line_count + 1):
            text = src.line_text(n)
            if not _TRANSPORT.search(text.split("//", 1)[0]):
                continue
            span = src.function_lines(n)
            name = src.declared_name(n)
            if span is None or name in ("main", "init") or name.lower().startswith("new"):
                continue
            body = [t for _, t in src.lines_between(n, span[1])]
            m = _ASSIGNED.match(text)
            var = m.group(1) if m else ""
            if any("CloseIdleConnections" in t for _, t in src.lines_between(*span)):
                continue
            if var and _kept(var, body[1:]):
                continue
            if not var and re.match(r"^\s*return\b", text):
                continue
            found.append(TransportCause(str(src.path), n, text.strip(), name))
    return found


def _kept(var: str, later: list[str]) -> bool:
    """Whether the variable holding the transport (or its client) outlives the call."""
    word = re.compile(rf"\b{re.escape(var)}\b")
    for t in later:
        code = t.split("//", 1)[0]
        if not word.search(code):
            continue
        if re.match(r"^\s*return\b", code):
            return True
        if re.search(rf"[\w\]]\.\w+\s*=\s*{re.escape(var)}\b", code):  # s.client = client
            return True
        if re.search(rf"^\s*\w+\s*=\s*{re.escape(var)}\b", code):  # a package variable
            return True
    return False
