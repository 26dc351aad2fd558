"""Calls run in another thread while the caller goes on with other work: one call
(``Background``), or a stream of them on one thread (``Helper``).

Worth it for the C functions of ``_scan`` that release the GIL for most of their work (scanning
a block, hashing signatures): the second core runs them beside Python. Import it only where a
thread will run: ``threading`` costs start-up time that a small dump notices.
"""

from __future__ import annotations

from threading import Lock, Thread

TYPE_CHECKING = False  # typing costs start-up time; mypy reads this name as usual
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


class Background:
    """``call(*args)`` started in a thread of its own; ``result()`` waits for it and returns its
    value, or raises what it raised."""

    def __init__(self, call: Callable[..., Any], *args: object) -> None:
        self._job = Job(call, args)
        Thread(target=self._job.run, daemon=True).start()

    def result(self) -> Any:
        return self._job.result()


class Helper:
    """One thread that runs calls in order, submitted one after another, until ``close()``.

    For a stream of calls (the scans of a dump's blocks): threads started one per call each get
    a malloc arena of their own when the one before has not quite exited, and the memory of
    every block scanned there is then new to the process (a page fault per 4 KiB); one thread
    keeps using one arena.
    """

    def __init__(self) -> None:
        from queue import SimpleQueue

        self._calls: SimpleQueue[Job | None] = SimpleQueue()
        self._thread = Thread(target=self._work, daemon=True)
        self._thread.start()

    def submit(self, call: Callable[..., Any], *args: object) -> Job:
        """``call(*args)``, run once the calls submitted before it returned."""
        job = Job(call, args)
        self._calls.put(job)
        return job

    def close(self) -> None:
        """Wait for the calls submitted, then stop the thread."""
        self._calls.put(None)
        self._thread.join()

    def _work(self) -> None:
        while (job := self._calls.get()) is not None:
            job.run()


class Job:
    """A call run on another thread (a Helper's, or a Background's); ``result()`` waits for it
    and returns its value, or raises what it raised."""

    __slots__ = ("_args", "_call", "_done", "_error", "_value")

    def __init__(self, call: Callable[..., Any], args: tuple[object, ...]) -> None:
        self._call = call
        self._args = args
        self._value: Any = None
        self._error: BaseException | None = None
        self._done = Lock()
        self._done.acquire()  # released once the call returned

    def run(self) -> None:
        try:
            self._value = self._call(*self._args)
        except BaseException as e:  # raised again in the caller's thread
            self._error = e
        finally:
            self._done.release()

    def result(self) -> Any:
        with self._done:
            pass
        if self._error is not None:
            raise self._error
        return self._value
