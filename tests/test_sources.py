"""Loading dumps from files, stdin and pprof endpoints, and refusing what is not a dump."""

from __future__ import annotations

import gzip
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from goleash.errors import InputError
from goleash.sources import load
from goleash.sources.pprof import profile_urls
from pprofserve import LABELLED_WORKERS, LEAKED, WORKER_LABELS, serving

FIXTURES = Path(__file__).parent / "fixtures" / "dumps" / "go1.27"
DEBUG1 = FIXTURES / "goroutine.debug1.txt"


# --- files and stdin --------------------------------------------------------------------------


def test_a_file_is_read_and_named_as_the_source() -> None:
    (plain,) = load(str(DEBUG1))
    assert plain.source == str(DEBUG1)
    assert plain.total == plain.reported_total


def test_gzipped_file_is_recognised_by_content(tmp_path: Path) -> None:
    packed = tmp_path / "dump.txt"  # no .gz: the magic bytes decide
    packed.write_bytes(gzip.compress(DEBUG1.read_bytes(), mtime=0))
    (s,) = load(str(packed))
    (plain,) = load(str(DEBUG1))
    assert (s.format, s.total, s.groups) == ("debug1", plain.total, plain.groups)


def test_stdin_is_read_as_bytes() -> None:
    code = "from goleash.sources import load; (s,) = load('-'); print(s.source, s.total)"
    with open(DEBUG1, "rb") as stdin:
        out = subprocess.run(
            [sys.executable, "-c", code], stdin=stdin, capture_output=True, check=True
        )
    (plain,) = load(str(DEBUG1))
    assert out.stdout.decode().split() == ["<stdin>", str(plain.total)]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is not a goroutine dump: it is empty"),
        (b"\n \n", "is not a goroutine dump: it is empty"),
        (bytes(range(256)) * 16, "is not a goroutine dump: it is binary data"),
        (
            gzip.compress(bytes(range(256)) * 16, mtime=0),
            "is not a goroutine dump: it is binary data",
        ),
        (
            gzip.compress(DEBUG1.read_bytes(), mtime=0)[:20],
            "is not a goroutine dump: the gzip stream",
        ),
        (b"\x1f\x8b\x08\x00garbage after a gzip magic", "is not a goroutine dump"),
        (b"<!DOCTYPE html>\n<html><body>404</body></html>\n", "it is an HTML page"),
        (b"threadcreate profile: total 7\n7 @\n", "it is a threadcreate profile"),
        (b"2026-05-01 INFO started\n" * 50, "no goroutine"),
        (gzip.compress(b"2026-05-01 INFO started\n" * 50, mtime=0), "no goroutine"),
    ],
    # gzip output carries the time: ids from content would differ between xdist workers.
    ids=[
        "empty",
        "blank",
        "binary",
        "gzip-binary",
        "gzip-cut",
        "gzip-garbage",
        "html",
        "threadcreate",
        "log-text",
        "gzip-log-text",
    ],
)
def test_not_a_dump_is_one_clear_error(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "input"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as e:
        load(str(path))
    assert str(path) in str(e.value) and "\n" not in str(e.value)


def test_directory_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a directory"):
        load(str(tmp_path))
    with pytest.raises(InputError, match="no such file"):
        load(str(tmp_path / "missing.txt"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "secret.txt"
    path.write_bytes(DEBUG1.read_bytes())
    path.chmod(0)
    with pytest.raises(InputError, match="permission denied"):
        load(str(path))


def test_truncated_gzip_gives_partial_results_and_says_so(tmp_path: Path) -> None:
    packed = gzip.compress(DEBUG1.read_bytes() * 50, compresslevel=1, mtime=0)
    path = tmp_path / "cut.gz"
    path.write_bytes(packed[: len(packed) // 2])
    snapshots = load(str(path))
    assert snapshots
    assert any("gzip stream is truncated" in w for w in snapshots[-1].warnings)


# --- URLs ---------------------------------------------------------------------------------------


def test_base_urls_ask_for_goroutineleak_then_goroutine() -> None:
    expected = [
        "http://h:6060/debug/pprof/goroutineleak?debug=2",
        "http://h:6060/debug/pprof/goroutine?debug=2",
    ]
    for base in ("http://h:6060", "http://h:6060/", "http://h:6060/debug/pprof/"):
        assert profile_urls(base) == expected
    full = "http://h:6060/debug/pprof/goroutine?debug=1"
    assert profile_urls(full) == [full]


@pytest.mark.slow
def test_full_url_is_fetched_as_given_and_records_source_and_time() -> None:
    with serving() as server:
        url = server.url + "/debug/pprof/goroutine?debug=1"
        before = datetime.now(timezone.utc)
        (s,) = load(url)
        assert s.format == "debug1" and s.source == url
        assert s.taken_at is not None
        assert before <= s.taken_at <= datetime.now(timezone.utc) + timedelta(seconds=1)
        (leak,) = load(server.url + "/debug/pprof/goroutineleak?debug=0")
        assert (leak.format, leak.profile, leak.total) == ("proto", "goroutineleak", LEAKED)


@pytest.mark.slow
def test_base_url_reads_goroutineleak_with_every_goroutine() -> None:
    with serving() as server:
        for _ in range(5):
            before = server.settled_count()
            (s,) = load(server.url)
            after = server.settled_count()
            if s.total == before == after:  # else a connection was still winding down
                break
    assert s.profile == "goroutineleak"
    assert s.source.endswith("/debug/pprof/goroutineleak?debug=2")
    assert s.total == before == after
    assert sum(g.leaked for g in s.groups) == LEAKED


@pytest.mark.slow
def test_base_url_falls_back_when_goroutineleak_is_a_404() -> None:
    with serving("-noleak") as server:
        for _ in range(5):
            before = server.settled_count()
            (s,) = load(server.url)
            after = server.settled_count()
            if s.total == before == after:  # else a connection was still winding down
                break
    assert s.source == server.url + "/debug/pprof/goroutine?debug=2"
    assert s.total == before == after
    assert sum(g.leaked for g in s.groups) == 0
    # Go 1.27 prints pprof labels in traceback headers (the module says go 1.27).
    labelled = [g for g in s.groups if dict(g.labels) == WORKER_LABELS]
    assert sum(g.count for g in labelled) == LABELLED_WORKERS


class _Handler(BaseHTTPRequestHandler):
    """Behaviour chosen per server through class attributes set by ``http_server``."""

    mode = ""
    requested: list[str]
    release: threading.Event

    def do_GET(self) -> None:
        self.requested.append(self.path)
        if self.mode == "hang":
            self.release.wait(30)  # accept, read the request, never answer
        elif self.mode == "endless":
            self.send_response(200)
            self.end_headers()
            chunk = DEBUG1.read_bytes()  # a real profile, again and again, forever
            try:
                while not self.release.is_set():
                    self.wfile.write(chunk)
            except OSError:
                pass  # the client hung up: what the size cap is for
        elif self.mode == "noleak" and "goroutineleak" in self.path:
            self.send_error(404, "Unknown profile")
        elif self.mode == "fail":
            self.send_error(500, "boom")
        elif self.mode == "loop" or (self.mode == "redirect" and self.path == "/old"):
            self.send_response(302)
            self.send_header("Location", "/old" if self.mode == "loop" else "/new")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.mode == "drip-headers":
            # A byte of the status line and headers every 0.2 s: each read is quick, the whole
            # never ends (httpx's timeouts are per read).
            try:
                for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 10_000:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    if self.release.wait(0.2):
                        break
            except OSError:
                pass
        elif self.mode == "other-host" and self.path == "/old":
            port = self.server.server_address[1]
            self.send_response(302)
            self.send_header("Location", f"http://localhost:{port}/new")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.mode == "trickle":
            self.send_response(200)
            self.end_headers()
            try:
                for line in DEBUG1.read_bytes().splitlines(keepends=True):
                    self.wfile.write(line)
                    self.wfile.flush()
                    if self.release.wait(0.2):
                        break
            except OSError:
                pass
        else:
            body = DEBUG1.read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def http_server(mode: str) -> Iterator[tuple[str, list[str]]]:
    attributes = {"mode": mode, "requested": [], "release": threading.Event()}
    handler = type("Handler", (_Handler,), attributes)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler.requested
    finally:
        handler.release.set()
        server.shutdown()
        server.server_close()


def test_404_on_goroutineleak_falls_back_to_goroutine() -> None:
    # Which URLs are asked, in which order; the real Go service's 404 is tested above.
    with http_server("noleak") as (url, requested):
        (s,) = load(url)
    assert requested == [
        "/debug/pprof/goroutineleak?debug=2",
        "/debug/pprof/goroutine?debug=2",
    ]
    assert s.source == url + "/debug/pprof/goroutine?debug=2"


def test_refused_connection() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # The port was just released and nothing listens on it.
    with pytest.raises(InputError, match=f"cannot connect to 127.0.0.1:{port}: connection refused"):
        load(f"http://127.0.0.1:{port}/debug/pprof/goroutine?debug=2")


def test_a_server_that_never_answers_times_out() -> None:
    with http_server("hang") as (url, _):
        start = time.monotonic()
        with pytest.raises(InputError, match=r"did not answer within 0\.5 s"):
            load(url, timeout=0.5)
        assert time.monotonic() - start < 3


def test_a_body_past_the_size_cap_is_refused() -> None:
    with http_server("endless") as (url, _):
        start = time.monotonic()
        with pytest.raises(InputError, match="sent more than 2 MB"):
            load(url + "/debug/pprof/goroutine?debug=1", max_bytes=2 * 2**20)
        assert time.monotonic() - start < 10


def test_http_errors_are_one_line() -> None:
    with http_server("fail") as (url, _), pytest.raises(InputError, match="answered HTTP 500"):
        load(url + "/debug/pprof/goroutine?debug=1")


@pytest.mark.parametrize(
    "url", ["http://", "http://127.0.0.1:99999/", "http://[::1", "http://:80/"]
)
def test_malformed_urls_are_named(url: str) -> None:
    with pytest.raises(InputError, match="is not a valid URL"):
        load(url)


def test_redirects_are_followed_up_to_three() -> None:
    with http_server("redirect") as (url, requested):
        (s,) = load(url + "/old")
    assert requested == ["/old", "/new"]
    assert s.source == url + "/new"
    with http_server("loop") as (url, _), pytest.raises(InputError, match="more than 3 times"):
        load(url + "/old")


def test_the_time_limit_covers_the_whole_body() -> None:
    # Every line arrives well within the limit, the whole body does not.
    with http_server("trickle") as (url, _):
        start = time.monotonic()
        with pytest.raises(InputError, match="did not finish within 1 s"):
            load(url + "/debug/pprof/goroutine?debug=1", timeout=1)
        assert time.monotonic() - start < 5


def test_the_time_limit_holds_against_headers_that_drip() -> None:
    with http_server("drip-headers") as (url, _):
        start = time.monotonic()
        with pytest.raises(InputError, match=r"did not answer within 1 s"):
            load(url + "/debug/pprof/goroutine?debug=1", timeout=1)
        assert time.monotonic() - start < 3


def test_a_redirect_to_another_host_is_followed_and_named() -> None:
    with http_server("other-host") as (url, requested):
        (s,) = load(url + "/old")
    assert requested == ["/old", "/new"]
    assert s.source.startswith("http://localhost:") and s.source.endswith("/new")
