"""The command line. Thin: parse options, call the library, pick a report.

Exit status everywhere: 0 clean, 1 leaks or findings, 2 usage or input error (one line on
stderr, never a traceback). Heavy modules are imported inside commands to keep start-up light.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import click

from goleash import __version__
from goleash.errors import InputError, UsageError

F = TypeVar("F", bound=Callable[..., Any])


def _fail(message: str) -> None:
    click.echo(f"goleash: {message}", err=True)
    sys.exit(2)


def user_errors(fn: F) -> F:
    """Turn errors a user can act on into one stderr line and exit status 2."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (InputError, UsageError) as e:
            _fail(str(e))
        except KeyboardInterrupt:
            _fail("interrupted")
        except BrokenPipeError:
            sys.exit(0)

    return wrapper  # type: ignore[return-value]


class _Group(click.Group):
    def main(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().main(*args, **kwargs)
        except click.exceptions.Exit:
            raise
        except MemoryError:
            _fail("out of memory")


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="goleash")
def cli() -> None:
    """Find, explain and prevent goroutine leaks in Go services."""


# --- dump analysis: dump, demo -------------------------------------------------------------


# --- static analysis: scan, rules --------------------------------------------------------


def main() -> None:
    """Console-script entry point."""
    cli(standalone_mode=True)


if __name__ == "__main__":
    main()
