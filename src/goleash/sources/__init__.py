"""Where dumps come from: files, standard input, pprof HTTP endpoints, processes."""

from __future__ import annotations

from goleash.errors import InputError
from goleash.model import Snapshot

DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_BYTES = 512 * 2**20


def load(
    spec: str, *, timeout: float = DEFAULT_TIMEOUT, max_bytes: int = DEFAULT_MAX_BYTES
) -> list[Snapshot]:
    """Read the goroutine dumps ``spec`` names: a file path, ``-`` for stdin, an http(s) URL,
    or a local process (``pid:1234``, or a bare number when no file has that name).

    For a URL, ``timeout`` (seconds, whole fetch) and ``max_bytes`` (body size) apply; a base
    URL fetches the goroutineleak profile and falls back to the goroutine profile. A process is
    read through the first of its TCP ports that serves ``/debug/pprof/``, as a base URL. Raises
    InputError with a one-line reason when nothing can be read.
    """
    # Imported here: httpx is only needed for URLs, and start-up should stay light.
    if spec.startswith(("http://", "https://")):
        from goleash.sources import pprof

        return pprof.fetch(spec, timeout=timeout, max_bytes=max_bytes)
    if spec.startswith("pid:") or (spec.isascii() and spec.isdigit()):
        from goleash.sources.process import NoSuchProcess, load_pid, parse_pid

        pid = parse_pid(spec)
        if pid is not None:
            try:
                return load_pid(pid, timeout=timeout, max_bytes=max_bytes)
            except NoSuchProcess:
                if spec.startswith("pid:"):
                    raise
                raise InputError(f"{spec}: no such file, and no process with that pid") from None
    from goleash.sources.files import load_file

    return load_file(spec)
