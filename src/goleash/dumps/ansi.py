"""ANSI escape sequences that terminals and log viewers leave in dumps copied from them.

Colour codes (``ESC[1;31m``), hyperlinks (``ESC]8;;url BEL``) and other escapes are no part of
a dump; the text parsers remove them before reading lines.
"""

from __future__ import annotations

import re

# CSI (colours, cursor moves), OSC (titles, hyperlinks; ended by BEL or ESC \), and the
# two-byte escapes.
_SOURCE = r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b\n]*(?:\x07|\x1b\\)?|[@-Z\\-_])"
ANSI = re.compile(_SOURCE.encode())
ANSI_TEXT = re.compile(_SOURCE)


def strip_ansi(data: bytes) -> bytes:
    """``data`` without ANSI escape sequences."""
    return ANSI.sub(b"", data) if b"\x1b" in data else data
