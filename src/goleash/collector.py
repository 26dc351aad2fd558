"""Python's cycle collector paused while goleash builds large structures that hold no cycles.

Reading a dump, analysing it and rendering a report make hundreds of thousands of small objects
while millions stay alive; every collection those allocations trigger walks the whole heap to
free nothing (it cost more than the work itself on big dumps). Reference counting still frees
everything on time: nothing goleash builds there needs the cycle collector.
"""

from __future__ import annotations

import gc
from functools import wraps

TYPE_CHECKING = False  # typing costs start-up time: only the type checker imports it
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    F = TypeVar("F", bound=Callable[..., Any])


def paused() -> _Paused:
    """The cycle collector off inside (a ``with`` block or, as ``@paused()``, a function), and
    as it was after."""
    return _Paused()


class _Paused:
    """What paused returns (a class, not a contextlib generator: importing contextlib costs
    every command start-up time)."""

    __slots__ = ("_collecting",)

    def __enter__(self) -> None:
        self._collecting = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc: object) -> None:
        if self._collecting:
            gc.enable()

    def __call__(self, function: F) -> F:
        @wraps(function)
        def run(*args: Any, **kwargs: Any) -> Any:
            with _Paused():
                return function(*args, **kwargs)

        return run  # type: ignore[return-value]
