"""Text to standard output or standard error exactly as ``click.echo`` writes it, without
importing click where the result is the same.

click costs tens of milliseconds to import; ``goleash dump`` answers without it. Two things make
``click.echo`` differ from a plain write, and both are left to click itself: ANSI escape
sequences (stripped when the stream is not a terminal) and a stream that is not a text stream
with a usable encoding (click rewraps an ASCII stream as UTF-8).
"""

from __future__ import annotations

import codecs
import io
import sys


def echo(message: str, *, err: bool = False, nl: bool = True) -> None:
    """``click.echo(message, err=err, nl=nl)``."""
    stream = sys.stderr if err else sys.stdout
    if "\x1b" in message or not _plain(stream):
        import click

        click.echo(message, err=err, nl=nl)
        return
    if nl:
        message += "\n"
    if message:
        stream.write(message)
    stream.flush()


def _plain(stream: object) -> bool:
    """A text stream click would write to as it is."""
    if not isinstance(stream, io.TextIOWrapper):
        return False
    try:
        return codecs.lookup(stream.encoding).name != "ascii"
    except LookupError:
        return False
