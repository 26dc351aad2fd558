"""The ``debug=0`` protobuf (profile.proto) of the goroutine and goroutineleak profiles.

One sample per distinct (stack, labels), its value the number of goroutines. Unlike ``debug=1``
the proto keeps the runtime frames (``runtime.gopark``, ``runtime.chansend`` …); they stay in the
frames, and the blocking site skips them as plumbing. There is no state, id or wait time.

protobuf is imported only when a profile is actually parsed, so CLI start-up stays light.
"""

from __future__ import annotations

import zlib
from datetime import datetime, timezone
from typing import Any, BinaryIO

from goleash import collector
from goleash.dumps.builder import SnapshotBuilder
from goleash.dumps.countprofile import GOROUTINE_PROFILES, PHANTOM_WARNING
from goleash.errors import InputError
from goleash.model import Frame, Goroutine, Snapshot

# A goroutine profile of 200k goroutines is a few MB; a profile past this is a gzip bomb.
MAX_PROFILE_BYTES = 512 * 2**20
GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20


def parse(
    stream: BinaryIO, *, source: str = "", max_bytes: int = MAX_PROFILE_BYTES
) -> list[Snapshot]:
    """Read a goroutine or goroutineleak profile.proto, gzipped (as Go writes it) or not.

    Raises InputError when the bytes are not a profile, are a profile of another kind (heap,
    cpu…), or decompress to more than ``max_bytes``.
    """
    name = source or "input"
    data = _read_all(stream, name, max_bytes)
    if data.startswith(GZIP_MAGIC):
        data = _gunzip(data, name, max_bytes)
    problem = truncation(data)
    if problem:
        raise InputError(f"{name}: truncated protobuf ({problem}); no goroutine could be read")
    from goleash.dumps.profile_schema import Profile  # protobuf: only when needed

    profile = Profile()
    try:
        profile.ParseFromString(data)
    except Exception as e:  # protobuf raises DecodeError, or RuntimeError from upb
        raise InputError(f"{name} is not a goroutine dump: not a valid pprof profile ({e})") from e
    with collector.paused():  # many small objects, no reference cycles
        return [_snapshot(profile, source)]


def truncation(data: bytes) -> str | None:
    """Why ``data`` looks like a profile.proto cut short, or None.

    Walks the top-level fields only (a few thousand in a large goroutine profile): a cut inside
    a field, or a profile with samples but no string table (Go writes the strings last), is a
    file or download cut short, not a different format.
    """
    pos, end = 0, len(data)
    fields = 0
    has_strings = has_samples = False
    while pos < end:
        problem = None
        key, pos = _varint(data, pos)
        if key is None:
            problem = f"it ends inside a field tag after {pos} bytes"
        else:
            number, wire = key >> 3, key & 7
            if wire == 0:
                value, pos = _varint(data, pos)
                if value is None:
                    problem = f"it ends inside field {number} after {pos} bytes"
            elif wire == 2:
                size, start = _varint(data, pos)
                if size is None or start + size > end:
                    problem = f"it ends inside field {number} after {end} bytes"
                pos = start + (size or 0)
            elif wire in (1, 5):
                pos += 8 if wire == 1 else 4
                if pos > end:
                    problem = f"it ends inside field {number} after {end} bytes"
            else:
                return None  # not the protobuf wire format: the decoder says what it is
        if problem is not None:
            # Only a start that reads as a profile makes the cut the likely story.
            return problem if fields else None
        fields += 1
        has_strings = has_strings or number == 6
        has_samples = has_samples or number == 2
    if has_samples and not has_strings:
        return f"it ends after {end} bytes, before its string table"
    return None


def _varint(data: bytes, pos: int) -> tuple[int | None, int]:
    value = shift = 0
    while pos < len(data):
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            return None, pos
    return None, pos


def _read_all(stream: BinaryIO, name: str, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := stream.read(_CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise InputError(f"{name} is larger than {max_bytes} bytes: not read")
        chunks.append(chunk)
    return b"".join(chunks)


def _gunzip(data: bytes, name: str, max_bytes: int) -> bytes:
    """Decompress gzip members with a size cap, so a small bomb cannot fill memory."""
    out: list[bytes] = []
    size = 0
    while data:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            while True:
                piece = d.decompress(data, _CHUNK)
                size += len(piece)
                if size > max_bytes:
                    raise InputError(
                        f"{name} decompresses to more than {max_bytes} bytes: not read"
                    )
                out.append(piece)
                data = d.unconsumed_tail
                if d.eof or not data:
                    break
        except zlib.error as e:
            raise InputError(f"{name} is not a goroutine dump: corrupt gzip data ({e})") from e
        if not d.eof:
            raise InputError(f"{name} is not a goroutine dump: the gzip stream is truncated")
        data = d.unused_data
        if data and not data.startswith(GZIP_MAGIC):
            break  # trailing garbage after the last member, as gzip(1) ignores it
    return b"".join(out)


def _snapshot(profile: Any, source: str) -> Snapshot:
    strings = [s.decode("utf-8", errors="replace") for s in profile.string_table]

    def string(i: int) -> str:
        return strings[i] if 0 <= i < len(strings) else ""

    kind = string(profile.period_type.type)
    if not kind and len(profile.sample_type):
        kind = string(profile.sample_type[0].type)
    name = source or "input"
    if kind not in GOROUTINE_PROFILES:
        what = f"it is a {kind} profile" if kind else "binary data that is not a pprof profile"
        raise InputError(f"{name} is not a goroutine dump: {what}")

    if profile.duration_nanos > 0:
        # net/http/pprof's ?seconds=N: the difference between two profiles, counts may be < 0.
        raise InputError(
            f"{name} is a delta profile (?seconds=N): it holds changes in goroutine counts, "
            "not goroutines; fetch it without seconds="
        )
    b = SnapshotBuilder(format="proto", profile=kind, source=source)
    if profile.time_nanos > 0:
        try:
            b.taken_at = datetime.fromtimestamp(profile.time_nanos / 1e9, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            b.warn("the profile's time is out of range and was ignored")

    functions = {f.id: (string(f.name), string(f.filename)) for f in profile.function}
    locations: dict[int, tuple[Frame, ...]] = {}
    unsymbolised = 0
    for loc in profile.location:
        frames = []
        for ln in loc.line:  # innermost (inlined) first, as a traceback lists them
            function, file = functions.get(ln.function_id, ("", ""))
            if function:
                frames.append(b.frame(function, file, ln.line))
        if not frames:
            unsymbolised += 1
            frames.append(b.frame(f"{loc.address:#x}", "", 0))
        locations[loc.id] = tuple(frames)

    leak = kind == "goroutineleak"
    phantom = 0
    dangling = 0
    bad = 0  # samples with no goroutine in them: Go writes none outside delta profiles
    for sample in profile.sample:
        count = sample.value[0] if len(sample.value) else 1
        if count <= 0:
            bad += 1
            continue
        stack: list[Frame] = []
        if not sample.location_id:
            if leak:
                phantom += count
                continue
            # Go trims runtime.goexit from every stack, so in the goroutine profile an empty
            # sample is a goroutine that has only goexit left: just started or just ending.
            stack.append(b.frame("runtime.goexit", "", 0))
        for lid in sample.location_id:  # leaf first
            at = locations.get(lid)
            if at is None:
                dangling += 1
                continue
            stack.extend(at)
        labels = {string(lb.key): string(lb.str) for lb in sample.label if lb.str}
        b.add(
            Goroutine(id=None, state="", frames=tuple(stack), leaked=leak, labels=labels),
            count,
        )
    if phantom:
        b.warn(PHANTOM_WARNING.format(n=phantom))
    if unsymbolised:
        b.warn(f"{unsymbolised} stack locations had no symbol (shown as their address)")
    if bad:
        b.warn(f"{bad} samples with a count of zero or less were ignored")
    if dangling:
        b.warn(f"{dangling} stack references pointed to no location and were left out")
    return b.build()
