"""One JSON document laid out for people and for speed.

Python's JSON encoder drops to pure Python whenever it indents, which costs seconds on a report
of ten thousand groups. The documents are laid out by hand instead: the top-level keys one per
line, and each item of a top-level list (a group, a finding, a package) on a line of its own,
encoded compactly by the C encoder. Still one valid document, still readable and greppable line
by line.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

TYPE_CHECKING = False  # typing costs start-up time: only the type checker imports it
if TYPE_CHECKING:
    from typing import Any

# One encoder for every item: json.dumps with options builds a new one per call, which a report
# of ten thousand groups notices.
_compact = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode


def dumps(document: Mapping[str, Any], end: str = "") -> str:
    """``document`` as JSON text, newline-terminated, then ``end``.

    The pieces are joined once: a report of ten thousand groups is tens of megabytes of text,
    and every intermediate copy of it would count in the peak memory of the command.
    """
    if not document:
        return "{}\n" + end
    parts = ["{\n"]
    for key, value in document.items():
        if len(parts) > 1:
            parts.append(",\n")
        name = _compact(key)
        if isinstance(value, list) and value:
            parts.append(f"  {name}: [\n    ")
            for i, item in enumerate(value):
                if i:
                    parts.append(",\n    ")
                parts.append(_compact(item))
            parts.append("\n  ]")
        else:
            parts.append(f"  {name}: {_compact(value)}")
    parts.append("\n}\n" + end)
    return "".join(parts)
