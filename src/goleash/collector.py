"""Python's cycle collector paused while goleash builds large structures that hold no cycles.

Reading a dump, analysing it and rendering a report make hundreds of thousands of small objects
while millions stay alive; every collection those allocations trigger walks the whole heap to
free nothing (it cost more than the work itself on big dumps). Reference counting still frees
everything on time: nothing goleash builds there needs the cycle collector.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager

TYPE_CHECKING = False  # typing costs start-up time: only the type checker imports it
if TYPE_CHECKING:
    from collections.abc import Iterator


@contextmanager
def paused() -> Iterator[None]:
    """The cycle collector off inside (a ``with`` block or, as ``@paused()``, a function), and
    as it was after."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
