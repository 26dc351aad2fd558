"""The Go object a goroutine waits on, read from the source line it blocks at.

A stack says *how* a goroutine waits (``chan send``, ``sync.Mutex.Lock``); the line says *on
what*: the channel ``results``, the mutex ``c.mu``, the WaitGroup ``wg``, the ticker ``t``. The
expression is taken as written, so an explanation can name it the way the author does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from goleash.analysis.explain_source import GoSource

__all__ = ["Waited", "receives_from", "sends_on", "waited_on"]

_EXPR = r"[\w.\[\]()*&]+?"
_SEND = re.compile(rf"^\s*(?:case\s+)?({_EXPR})\s*<-(?!-)")
_RANGE = re.compile(r"\brange\s+([\w.\[\]()*&]+(?:\([^()]*\))?)")
_RECEIVE = re.compile(rf"<-\s*({_EXPR})(?=\s*(?:$|[:;,)}}\s]|//))")
_LOCK = re.compile(rf"({_EXPR})\.(R?Lock)\(\)")
_WAIT = re.compile(rf"({_EXPR})\.Wait\(\)")
_SLEEP = re.compile(r"\btime\.Sleep\(")
_TICKER = re.compile(r"(\w+)\s*:?=\s*time\.NewTicker\(")


@dataclass(frozen=True, slots=True)
class Waited:
    """What a goroutine waits on at its blocking line."""

    what: str  # "channel", "ticker", "mutex", "RWMutex", "WaitGroup", "Cond", "select", "sleep"
    expr: str  # as written: `results`, `c.mu`, `t.C`; "" when the line does not say
    ranging: bool = False  # a `for … range ch` loop
    cases: tuple[str, ...] = ()  # a select's channel operations
    ticker_line: int = 0  # where the ticker ranged over was made, when found
    sending: bool = False  # a send on the channel (else a receive or a range)

    @property
    def noun(self) -> str:
        """``channel `results```, ``mutex `c.mu```, …"""
        if self.what == "select":
            return "a select" + (f" on {', '.join(f'`{c}`' for c in self.cases)}" if self else "")
        if self.what == "sleep":
            return "time.Sleep"
        return f"{self.what} `{self.expr}`" if self.expr else f"a {self.what}"

    def __bool__(self) -> bool:
        return bool(self.expr or self.cases)


def waited_on(kind: str, src: GoSource, line: int) -> Waited | None:
    """The object behind a wait of ``kind`` (goleash.analysis.waits.KINDS) at ``src:line``."""
    text = _code(src.line_text(line))
    if kind == "chan-send" or (kind == "other" and _SEND.match(text)):
        # debug=1 and protobuf print no state ("other"): the line tells a send.
        m = _SEND.match(text)
        return Waited("channel", m.group(1) if m else "", sending=True)
    if kind in ("chan-receive", "other"):
        m = _RANGE.search(text)
        if m is not None and "<-" not in text:
            expr = m.group(1)
            if expr.endswith(".C") or expr.startswith("time.Tick("):
                return Waited("ticker", expr.removesuffix(".C"), True, (), _ticker_made(src, expr))
            return Waited("channel", expr, ranging=True)
        m = _RECEIVE.search(text)
        if m is not None:
            expr = m.group(1)
            if expr.endswith(".C"):
                return Waited("ticker", expr.removesuffix(".C"), False, (), _ticker_made(src, expr))
            return Waited("channel", expr)
        if kind == "chan-receive":
            return Waited("channel", "")
    if kind == "select" or (kind == "other" and text.strip().startswith("select")):
        return Waited("select", "", cases=tuple(src.select_cases(line)))
    if kind in ("mutex", "rwmutex"):
        m = _LOCK.search(text)
        what = "mutex" if kind == "mutex" else "RWMutex"
        return Waited(what, m.group(1) if m else "")
    if kind in ("waitgroup", "cond"):
        m = _WAIT.search(text)
        return Waited("WaitGroup" if kind == "waitgroup" else "Cond", m.group(1) if m else "")
    if kind == "sleep" and _SLEEP.search(text):
        return Waited("sleep", "")
    return None


def _code(text: str) -> str:
    """A line without its trailing ``//`` comment (a comment inside a string is rare enough)."""
    cut = text.find("//")
    return text if cut < 0 else text[:cut]


def _ticker_made(src: GoSource, expr: str) -> int:
    """The line of ``t := time.NewTicker(…)`` for a ticker ``t.C``, in the file."""
    name = expr.removesuffix(".C").rsplit(".", 1)[-1]
    for n in range(1, src.line_count + 1):
        m = _TICKER.search(src.line_text(n))
        if m is not None and m.group(1) == name:
            return n
    return 0


def _last_name(expr: str) -> str:
    return expr.rsplit(".", 1)[-1].strip("()*&")


def sends_on(text: str, channel: str) -> bool:
    """Whether a line sends on a channel of the same name (``results <- x``, ``case s.out <-``)."""
    m = _SEND.match(_code(text))
    return m is not None and _last_name(m.group(1)) == _last_name(channel)


def receives_from(text: str, channel: str) -> bool:
    """Whether a line receives from (or ranges over) a channel of the same name."""
    code = _code(text)
    name = _last_name(channel)
    for m in _RECEIVE.finditer(code):
        if _last_name(m.group(1)) == name:
            return True
    r = _RANGE.search(code)
    return r is not None and _last_name(r.group(1)) == name
