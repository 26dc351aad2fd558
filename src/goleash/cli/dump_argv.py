"""`goleash dump` without click: the argument forms people type, parsed to what click would give.

Importing click costs more than reading and analysing a small dump, so the forms a user types
most (``goleash dump FILE [--format json] [-o FILE] [--top N] [--all] …``) are parsed here, to
exactly the values the click command in ``goleash.cli.dump`` passes, and run by the same code.
Anything else goes to click, which then says and does what it always has: help, unknown or
misspelt options, missing or invalid values, ``--``, bundled short flags (``-vo``), attached
short values (``-oFILE``), numbers written as ``" 3"`` or ``1e1``. tests/test_cli_dump_argv.py
holds the two ways to the same output, error messages and exit status.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Sequence

TYPE_CHECKING = False  # typing costs start-up time: only the type checker imports it
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

# click's defaults for every parameter of the command (tests check them against the command).
DEFAULTS: dict[str, Any] = {
    "fmt": "text",
    "top": None,
    "match": None,
    "state": None,
    "min_count": 1,
    "show_all": False,
    "source_dirs": (),
    "config": None,
    "timeout": 10.0,
    "no_explain": False,
    "verbose": False,
    "tree": False,
    "output": None,
}

# Flags: option -> parameter set to True.
FLAGS: dict[str, str] = {
    "--all": "show_all",
    "--no-explain": "no_explain",
    "-v": "verbose",
    "--verbose": "verbose",
    "--tree": "tree",
}

# Options with a value: option -> parameter. A value is the next argument whatever it looks
# like (``-o --top`` writes to a file named --top, as click does), or follows ``=`` on a long
# option.
VALUES: dict[str, str] = {
    "--format": "fmt",
    "--top": "top",
    "--match": "match",
    "--state": "state",
    "--min-count": "min_count",
    "--source": "source_dirs",  # repeatable
    "--config": "config",
    "--timeout": "timeout",
    "-o": "output",
    "--output": "output",
}


def _choice(value: str) -> str | None:
    return value if value in ("text", "json", "html") else None


def _count(value: str) -> int | None:
    """click.IntRange(min=1), for plain decimal digits only."""
    if not (value.isascii() and value.isdigit()):
        return None
    n = int(value)
    return n if n >= 1 else None


def _seconds(value: str) -> float | None:
    """click.FloatRange(min=0, min_open=True), for plain decimals only (``2``, ``0.5``)."""
    digits = value.replace(".", "", 1)
    if not (digits.isascii() and digits.isdigit()):
        return None
    seconds = float(value)
    return seconds if seconds > 0 else None


def _path(value: str, *, directory: bool = False) -> Path | None:
    """What the command's click.Path gives: a file (``--config``, ``-o``: no directory, need not
    exist) or a ``directory`` (``--source``: must exist, no file). The same checks as click's,
    in its order; None wherever click would complain."""
    from pathlib import Path  # here, not at the top: it costs start-up time most runs do without

    if not value:
        return None
    try:
        st = os.stat(value)
    except OSError:
        return None if directory else Path(value)
    except ValueError:  # a NUL in the name: whatever click makes of it
        return None
    if stat.S_ISREG(st.st_mode) if directory else stat.S_ISDIR(st.st_mode):
        return None
    if not os.access(value, os.R_OK):
        return None
    return Path(value)


_CONVERT: dict[str, Callable[[str], Any]] = {
    "fmt": _choice,
    "top": _count,
    "match": str,
    "state": str,
    "min_count": _count,
    "source_dirs": lambda v: _path(v, directory=True),
    "config": _path,
    "timeout": _seconds,
    "output": _path,
}


def parse(args: Sequence[str]) -> dict[str, Any] | None:
    """The parameters the click command would run with for ``goleash dump ARGS``, or None when
    the form is one left to click (help, anything click would reject, rare spellings)."""
    if os.environ.get("_GOLEASH_COMPLETE"):  # click's shell completion
        return None
    params = dict(DEFAULTS)
    sources: list[Path] = []
    positional: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg[:1] != "-" or arg == "-":  # "-" is standard input, an argument
            positional.append(arg)
            continue
        name, eq, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        if name in FLAGS and not eq:
            params[FLAGS[name]] = True
            continue
        param = VALUES.get(name)
        if param is None:
            return None  # --help, --, unknown or bundled options, a flag given a value
        if not eq:
            if i == len(args):
                return None
            value = args[i]
            i += 1
        converted = _CONVERT[param](value)
        if converted is None:
            return None
        if param == "source_dirs":
            sources.append(converted)
        else:
            params[param] = converted  # the last one wins, as with click
    if len(positional) != 1:
        return None
    params["source"] = positional[0]
    params["source_dirs"] = tuple(sources)
    return params


def main(args: Sequence[str]) -> None:
    """Run ``goleash dump ARGS`` (it always exits) when ``parse`` understands them; return
    without doing anything otherwise, for click to take over."""
    from goleash.cli.common import fail
    from goleash.cli.echo import echo

    try:
        params = parse(args)
        if params is None:
            return
        from goleash.cli.dump_run import run

        run(**params)
    # What the click group does around a command (goleash.cli._build_cli, click's main).
    except MemoryError:
        fail("out of memory")
    except (EOFError, KeyboardInterrupt):
        echo("", err=True)  # click ends the terminal's ^C line
        fail("interrupted")
