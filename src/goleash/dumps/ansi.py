"""ANSI escape sequences that terminals and log viewers leave in dumps copied from them.

Colour codes (``ESC[1;31m``), hyperlinks (``ESC]8;;url BEL``) and other escapes are no part of
a dump; the text parsers remove them before reading lines.
"""

from __future__ import annotations

from functools import cache

TYPE_CHECKING = False  # typing costs start-up time: only the type checker imports it
if TYPE_CHECKING:
    import re

# CSI (colours, cursor moves), OSC (titles, hyperlinks; ended by BEL or ESC \), and the
# two-byte escapes.
_SOURCE = r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b\n]*(?:\x07|\x1b\\)?|[@-Z\\-_])"


# Compiled on first use: most dumps have no escape, and compiling costs start-up time.
@cache
def ansi_bytes() -> re.Pattern[bytes]:
    """An ANSI escape sequence, in bytes."""
    import re

    return re.compile(_SOURCE.encode())


@cache
def ansi_text() -> re.Pattern[str]:
    """An ANSI escape sequence, in text."""
    import re

    return re.compile(_SOURCE)


def strip_ansi(data: bytes) -> bytes:
    """``data`` without ANSI escape sequences."""
    return ansi_bytes().sub(b"", data) if b"\x1b" in data else data
