"""A call run in a thread while the caller goes on with other work.

Worth it for the C functions of ``_scan`` that release the GIL for most of their work (scanning
a block, hashing signatures): the second core runs them beside Python. Import it only where a
thread will run: ``threading`` costs start-up time that a small dump notices.
"""

from __future__ import annotations

from threading import Thread

TYPE_CHECKING = False  # typing costs start-up time; mypy reads this name as usual
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


class Background:
    """``call(*args)`` started in a thread; ``result()`` waits for it and returns its value, or
    raises what it raised."""

    def __init__(self, call: Callable[..., Any], *args: object) -> None:
        self._call = call
        self._args = args
        self._value: Any = None
        self._error: BaseException | None = None
        self._thread = Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._call(*self._args)
        except BaseException as e:  # raised again in the caller's thread
            self._error = e

    def result(self) -> Any:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value
