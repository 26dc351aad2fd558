"""The literal text a regular expression's matches must start with, read without compiling it.

Compiling a pattern is pure Python (``re._parser``) and costs a fraction of a millisecond each,
at every start of the process: dozens of ignore-pack patterns cost more than the rest of a small
``goleash dump``. Most of those patterns are plain names and alternations of plain names
(``runtime\\.(bgsweep|runfinq)``): for them ``str.startswith`` gives the same answer as the
compiled pattern, and for the others a ``str.startswith`` test still rules most names out before
anything is compiled.

Only a small, certain subset of the syntax is read: literal characters, escaped punctuation,
``|``, and groups ``(...)`` / ``(?:...)``. Anything else (classes, ``.``, anchors, quantifiers,
flags, look-arounds) ends the literal part; syntax outside the subset anywhere makes the answer
"no known prefix" (``("",)``), which is always true.
"""

from __future__ import annotations

from goleash.records import NamedTuple

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TypeAlias

    # One step of an alternative: a character, a group (its alternatives), or None for
    # anything that is not literal (which ends the literal part).
    _Atom: TypeAlias = "str | list[list[_Atom]] | None"

# Characters with a meaning outside a class; everything else stands for itself.
_SPECIAL = frozenset(".^$*+?{}[]\\|()")
_QUANTIFIERS = frozenset("*+?{")
# Every special character turned into NUL: str.find then finds the end of a run of plain
# characters at C speed (a pattern is mostly plain names).
_MARKS = str.maketrans(dict.fromkeys(_SPECIAL, "\0"))
# An escape of one of these is the character itself (what re.escape writes).
_ESCAPABLE = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ ")


class Literal(NamedTuple):
    """What a pattern's matches (``re.match``, at the start of a text) begin with."""

    # Every match starts with one of these; ("",) when nothing is known.
    prefixes: tuple[str, ...]
    # The pattern is nothing but these alternatives: a text matches (``re.match``) exactly when
    # it starts with one of them, and fully matches (``re.fullmatch``) exactly when it is one.
    exact: bool


_UNKNOWN = Literal(("",), False)


class _Unsupported(Exception):
    """Syntax outside the subset this module reads."""


def literal(pattern: str) -> Literal:
    """The prefixes every match of ``pattern`` (as ``re.compile(pattern)``, no flags) starts
    with, and whether the pattern is exactly the alternation of them."""
    try:
        alternatives, end = _parse_alternation(pattern, pattern.translate(_MARKS), 0)
    except _Unsupported:
        return _UNKNOWN
    if end != len(pattern):  # a ")" with no "(": not a pattern this module reads
        return _UNKNOWN
    found = _prefixes(alternatives)
    return Literal(tuple(dict.fromkeys(p for p, _ in found)), all(whole for _, whole in found))


def _parse_alternation(pattern: str, marked: str, i: int) -> tuple[list[list[_Atom]], int]:
    """Alternatives from ``i`` up to an unmatched ")" or the end; returns where it stopped.
    ``marked`` is the pattern with its special characters as NUL."""
    alternatives: list[list[_Atom]] = [[]]
    while i < len(pattern):
        c = pattern[i]
        if c == ")":
            return alternatives, i
        if c == "|":
            alternatives.append([])
            i += 1
            continue
        atom: _Atom
        if c == "(":
            start = i + 3 if pattern.startswith("(?:", i) else i + 1
            if pattern.startswith("(?", i) and start == i + 1:
                raise _Unsupported  # flags, named groups, look-arounds, comments
            atom, i = _parse_alternation(pattern, marked, start)
            if i >= len(pattern):
                raise _Unsupported  # "(" never closed
            i += 1
        elif c == "\\":
            if i + 1 >= len(pattern) or pattern[i + 1] not in _ESCAPABLE:
                raise _Unsupported  # \d, \b, \1, \n …: classes, anchors, references
            atom = pattern[i + 1]
            i += 2
        elif c in _SPECIAL:
            if c in "[{":
                raise _Unsupported  # a class or a repeat count: their end is not read here
            atom = None  # ".", "^", "$" or a quantifier
            i += 1
        else:
            # A run of plain characters, as one atom; a repeated last one goes on its own.
            end = marked.find("\0", i + 1)
            if end < 0:
                end = len(pattern)
            if end - i > 1 and end < len(pattern) and pattern[end] in _QUANTIFIERS:
                end -= 1
            atom = pattern[i:end]
            i = end
        if i < len(pattern) and pattern[i] in _QUANTIFIERS:
            if pattern[i] == "{":
                raise _Unsupported
            atom = None  # a repeated or optional atom: the literal part ends before it
            i += 1
        alternatives[-1].append(atom)
    return alternatives, i


def _prefixes(alternatives: list[list[_Atom]]) -> list[tuple[str, bool]]:
    """(prefix, whole) for each way through the alternatives: ``whole`` when the prefix is the
    entire alternative, so what follows the group may be appended to it."""
    found: list[tuple[str, bool]] = []
    for atoms in alternatives:
        paths: list[tuple[str, bool]] = [("", True)]
        for atom in atoms:
            if atom is None:
                paths = [(p, False) for p, _ in paths]
            elif isinstance(atom, str):
                paths = [(p + atom, True) if whole else (p, False) for p, whole in paths]
            else:
                inner = _prefixes(atom)
                paths = [
                    (p + q, inner_whole) if whole else (p, False)
                    for p, whole in paths
                    for q, inner_whole in (inner if whole else [("", False)])
                ]
            if not any(whole for _, whole in paths):
                break
        found.extend(paths)
    return found
