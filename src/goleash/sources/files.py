"""Dumps from a file or standard input (``-``), plain or gzipped.

gzip is recognised by its magic bytes, not the file name, so ``dump.txt.gz``, a gzipped file
named ``dump.txt`` and ``curl … | gzip | goleash dump -`` all work.
"""

from __future__ import annotations

import os
import sys

from goleash.dumps import read_snapshots
from goleash.errors import InputError
from goleash.model import Snapshot

TYPE_CHECKING = False  # typing costs start-up time: only the type checker imports it
if TYPE_CHECKING:
    from typing import BinaryIO

STDIN = "-"


def open_dump(path: str) -> BinaryIO:
    """Open ``path`` (or standard input for ``-``) for binary reading; the caller closes a file.

    Raises InputError with one line for a directory, a missing or an unreadable file.
    """
    if path == STDIN:
        return sys.stdin.buffer
    if os.path.isdir(path):
        raise InputError(f"{path} is a directory, not a dump file")
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except PermissionError:
        raise InputError(f"{path}: permission denied") from None
    except OSError as e:
        raise InputError(f"{path}: cannot open ({e.strerror or e})") from None


def load_file(path: str) -> list[Snapshot]:
    """Read every dump in a file, or in standard input for ``-``."""
    source = "<stdin>" if path == STDIN else path
    stream = open_dump(path)
    try:
        return read_snapshots(stream, source=source)
    except OSError as e:  # a read that fails half-way: disk error, file removed over NFS
        raise InputError(f"{source}: read failed ({e.strerror or e})") from None
    finally:
        if path != STDIN:
            stream.close()
