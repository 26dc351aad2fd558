"""The Go object a goroutine waits on, read from the source line it blocks at.

A stack says *how* a goroutine waits (``chan send``, ``sync.Mutex.Lock``); the line says *on
what*: the channel ``results``, the mutex ``c.mu``, the WaitGroup ``wg``, the ticker ``t``. The
expression is taken as written, so an explanation can name it the way the author does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from goleash.analysis.explain_source import GoSource

__all__ = ["ChannelOp", "Waited", "channel_ops", "receives_from", "sends_on", "waited_on"]

_EXPR = r"[\w.\[\]()*&]+?"
_RANGE = re.compile(r"\brange\s+([\w.\[\]()*&]+(?:\([^()]*\))?)")
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


@dataclass(frozen=True, slots=True)
class ChannelOp:
    """One channel operation written on a line: a send ``ch <- v`` or a receive ``<-ch``."""

    sending: bool
    channel: str  # as written: `results`, `s.out`, `ctx.Done()`, `chans[i]`


# Words after which `<-` starts a receive, though they end like an operand.
_KEYWORDS = frozenset({"case", "return", "go", "defer", "if", "for", "switch", "range", "else"})
_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"|`[^`]*`|\'(?:[^\'\\\n]|\\.)*\'')
_CLOSE = {")": "(", "]": "["}
_OPEN = {"(": ")", "[": "]"}


def _word_char(c: str) -> bool:
    return c.isalnum() or c == "_"


def channel_ops(text: str) -> list[ChannelOp]:
    """The sends and receives written on a line of Go, left to right.

    ``<-`` is binary (a send) when an operand ends right before it (``results <- lookup(q)``,
    ``s.out[i] <- v``) and unary (a receive) otherwise (``v := <-ch``, ``case <-ctx.Done():``,
    ``return <-done``); channel types (``chan<- int``, ``<-chan T``) are no operation. The
    channel is the whole operand, calls and indexes included, read with balanced brackets.
    """
    code = _STRING.sub(lambda m: " " * len(m.group(0)), _code(text))
    ops: list[ChannelOp] = []
    at = code.find("<-")
    while at >= 0:
        before = code[:at].rstrip()
        after = code[at + 2 :].lstrip()
        word_before = re.search(r"\w+$", before)
        if (word_before is not None and word_before.group(0) == "chan") or re.match(
            r"chan\b", after
        ):
            pass  # a channel type's direction, not an operation
        elif before and (
            before[-1] in _CLOSE
            or (word_before is not None and word_before.group(0) not in _KEYWORDS)
        ):
            channel = _operand_before(before)
            if channel:
                ops.append(ChannelOp(True, channel))
        else:
            channel = _operand_after(after)
            if channel:
                ops.append(ChannelOp(False, channel))
        at = code.find("<-", at + 2)
    return ops


def _operand_before(text: str) -> str:
    """The primary expression ending ``text``: ``s.out``, ``chans[i]``, ``pick(x).ch``."""
    i = len(text)
    while i > 0:
        c = text[i - 1]
        if _word_char(c) or c == ".":
            i -= 1
        elif c in _CLOSE:
            depth = 0
            while i > 0:
                i -= 1
                if text[i] in _CLOSE:
                    depth += 1
                elif text[i] in _OPEN:
                    depth -= 1
                    if depth == 0:
                        break
            else:
                return ""
        else:
            break
    return text[i:].strip()


def _operand_after(text: str) -> str:
    """The primary expression starting ``text``: ``ch``, ``ctx.Done()``, ``s.in[k]``."""
    i = 0
    while i < len(text):
        c = text[i]
        if _word_char(c) or c == ".":
            i += 1
        elif c in _OPEN:
            depth = 0
            while i < len(text):
                if text[i] in _OPEN:
                    depth += 1
                elif text[i] in _CLOSE:
                    depth -= 1
                    if depth == 0:
                        break
                i += 1
            else:
                return ""
            i += 1
        else:
            break
    return text[:i]


def waited_on(kind: str, src: GoSource, line: int) -> Waited | None:
    """The object behind a wait of ``kind`` (goleash.analysis.waits.KINDS) at ``src:line``."""
    text = _code(src.line_text(line))
    ops = channel_ops(text)
    sends = [op.channel for op in ops if op.sending]
    receives = [op.channel for op in ops if not op.sending]
    # debug=1 and protobuf print no state ("other"): the line tells a send from a receive. A
    # receive in a send's value (`out <- <-in`) is evaluated first, so it is the likelier wait.
    if kind == "chan-send" or (kind == "other" and sends and not receives):
        return Waited("channel", sends[0] if sends else "", sending=True)
    if kind in ("chan-receive", "other"):
        m = _RANGE.search(text)
        if m is not None and "<-" not in text:
            expr = m.group(1)
            if expr.endswith(".C") or expr.startswith("time.Tick("):
                return Waited("ticker", expr.removesuffix(".C"), True, (), _ticker_made(src, expr))
            return Waited("channel", expr, ranging=True)
        if receives:
            expr = receives[0]
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
    name = _last_name(channel)
    return any(op.sending and _last_name(op.channel) == name for op in channel_ops(text))


def receives_from(text: str, channel: str) -> bool:
    """Whether a line receives from (or ranges over) a channel of the same name."""
    code = _code(text)
    name = _last_name(channel)
    if any(not op.sending and _last_name(op.channel) == name for op in channel_ops(code)):
        return True
    r = _RANGE.search(code)
    return r is not None and _last_name(r.group(1)) == name
