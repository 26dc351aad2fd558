"""One JSON document laid out for people and for speed.

Python's JSON encoder drops to pure Python whenever it indents, which costs seconds on a report
of ten thousand groups. The documents are laid out by hand instead: the top-level keys one per
line, and each item of a top-level list (a group, a finding, a package) on a line of its own,
encoded compactly by the C encoder. Still one valid document, still readable and greppable line
by line.

Small documents (a tiny dump's report) are encoded here, without importing the json package:
it imports ``re`` and costs a command more start-up time than encoding them. The output is the
json package's, byte for byte (tests compare both on any document).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

TYPE_CHECKING = False  # typing costs start-up time: only the type checker imports it
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

try:  # the C function the json package quotes strings with when ensure_ascii=False
    from _json import encode_basestring as _quote
except ImportError:  # pragma: no cover - CPython and PyPy have it
    from json.encoder import py_encode_basestring as _quote

# Past this many items in its top-level lists, a document is encoded by the json package's C
# encoder, which then pays for its import.
SMALL = 64


@cache
def _c_encoder() -> Callable[[Any], str]:
    """One encoder for every item: json.dumps with options builds a new one per call, which a
    report of ten thousand groups notices."""
    import json

    return json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode


def _float(value: float) -> str:
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    return float.__repr__(value)


def _key(key: object) -> str:
    if isinstance(key, str):
        return _quote(key)
    if key is True or key is False or key is None:
        return f'"{_encode(key)}"'
    if isinstance(key, int):
        return f'"{int.__repr__(key)}"'
    if isinstance(key, float):
        return f'"{_float(key)}"'
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


def _encode(value: Any) -> str:
    """What the json package's compact encoder writes for ``value`` (checks in its order)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _quote(value)
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(map(_encode, value)) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)}: {_encode(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def dumps(document: Mapping[str, Any], end: str = "") -> str:
    """``document`` as JSON text, newline-terminated, then ``end``.

    The pieces are joined once: a report of ten thousand groups is tens of megabytes of text,
    and every intermediate copy of it would count in the peak memory of the command.
    """
    if not document:
        return "{}\n" + end
    items = sum(len(v) for v in document.values() if isinstance(v, list))
    encode = _encode if items <= SMALL else _c_encoder()
    parts = ["{\n"]
    for key, value in document.items():
        if len(parts) > 1:
            parts.append(",\n")
        name = encode(key)
        if isinstance(value, list) and value:
            parts.append(f"  {name}: [\n    ")
            for i, item in enumerate(value):
                if i:
                    parts.append(",\n    ")
                parts.append(encode(item))
            parts.append("\n  ]")
        else:
            parts.append(f"  {name}: {encode(value)}")
    parts.append("\n}\n" + end)
    return "".join(parts)
