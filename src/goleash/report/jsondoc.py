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


def dumps(document: Mapping[str, Any]) -> str:
    """``document`` as JSON text, newline-terminated."""
    lines = []
    for key, value in document.items():
        name = _compact(key)
        if isinstance(value, list) and value:
            items = ",\n".join(f"    {_compact(item)}" for item in value)
            lines.append(f"  {name}: [\n{items}\n  ]")
        else:
            lines.append(f"  {name}: {_compact(value)}")
    if not lines:
        return "{}\n"
    return "{\n" + ",\n".join(lines) + "\n}\n"
