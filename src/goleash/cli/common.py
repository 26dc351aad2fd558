"""What every command shares: turning user errors into one stderr line and exit status 2."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, NoReturn, TypeVar

import click

from goleash.errors import InputError, UsageError

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str) -> NoReturn:
    """One line on stderr, exit status 2."""
    click.echo(f"goleash: {message}", err=True)
    sys.exit(2)


def user_errors(fn: F) -> F:
    """Turn errors a user can act on into one stderr line and exit status 2."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (InputError, UsageError) as e:
            fail(str(e))
        except KeyboardInterrupt:
            fail("interrupted")
        except BrokenPipeError:
            sys.exit(0)

    return wrapper  # type: ignore[return-value]
