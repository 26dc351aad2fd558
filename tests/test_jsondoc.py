"""jsondoc writes what the json package writes, whichever encoder a document's size picks."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from goleash.report import jsondoc

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(1 << 70), 1 << 70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()  # lone surrogates and control characters included
)
_KEYS = st.text(max_size=8) | st.integers(-5, 5) | st.booleans() | st.none() | st.floats()
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(_KEYS, inner, max_size=4)
    ),
    max_leaves=20,
)


def reference(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


@settings(max_examples=1000, deadline=None)
@given(_VALUES)
def test_small_documents_are_encoded_as_json_encodes_them(value: object) -> None:
    assert jsondoc._encode(value) == reference(value)


def laid_out(document: dict[str, object]) -> str:
    """The layout jsondoc promises, each piece written by the json package."""
    lines = []
    for key, value in document.items():
        if isinstance(value, list) and value:
            items = ",\n    ".join(map(reference, value))
            lines.append(f"  {reference(key)}: [\n    {items}\n  ]")
        else:
            lines.append(f"  {reference(key)}: {reference(value)}")
    return "{\n" + ",\n".join(lines) + "\n}\n" if lines else "{}\n"


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(max_size=6), _VALUES, max_size=5), st.integers(0, 2))
def test_documents_are_laid_out_alike_whichever_encoder_writes_them(
    document: dict[str, object], extra: int
) -> None:
    # Below and above the size where the json package's encoder takes over.
    for n in (extra, jsondoc.SMALL + 1 + extra):
        doc = {**document, "groups": [{"count": i, "state": "select"} for i in range(n)]}
        assert jsondoc.dumps(doc, end="#") == laid_out(doc) + "#"


def test_what_json_refuses_is_refused() -> None:
    with pytest.raises(TypeError):
        jsondoc._encode({"when": object()})
    with pytest.raises(TypeError):
        jsondoc._encode({(1, 2): "tuple keys"})
    assert jsondoc._encode([math.inf, -math.inf]) == "[Infinity, -Infinity]"


def test_a_small_report_does_not_import_the_json_package() -> None:
    code = (
        "import sys\n"
        "from goleash.report import jsondoc\n"
        "jsondoc.dumps({'total': 3, 'groups': [{'state': 'chan receive', 'count': 3}]})\n"
        "print('json' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
