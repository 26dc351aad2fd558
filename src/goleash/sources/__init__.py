"""Where dumps come from: files, standard input, pprof HTTP endpoints, processes."""

from __future__ import annotations

from goleash.model import Snapshot

DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_BYTES = 512 * 2**20


def load(
    spec: str, *, timeout: float = DEFAULT_TIMEOUT, max_bytes: int = DEFAULT_MAX_BYTES
) -> list[Snapshot]:
    """Read the goroutine dumps ``spec`` names: a file path, ``-`` for stdin, or an http(s) URL.

    For a URL, ``timeout`` (seconds, whole fetch) and ``max_bytes`` (body size) apply; a base
    URL fetches the goroutineleak profile and falls back to the goroutine profile. Raises
    InputError with a one-line reason when nothing can be read.
    """
    # Imported here: httpx is only needed for URLs, and start-up should stay light.
    if spec.startswith(("http://", "https://")):
        from goleash.sources import pprof

        return pprof.fetch(spec, timeout=timeout, max_bytes=max_bytes)
    from goleash.sources.files import load_file

    return load_file(spec)
