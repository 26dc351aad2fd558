"""Does `goleash watch` keep up with 200 endpoints polled every second, and what does a poll cost?

Two measurements, each the median of --runs runs:

1. **goleash's side.** One Go process (tests/go/fleet) serves pprof on 200 loopback ports, with
   200 goroutines over 20 distinct stacks, like a small service. `goleash watch` polls all 200
   at --interval 1s for --duration seconds. Reported:
   - *keeps up*: the polls made as a share of those scheduled (duration / interval per target)
     and the failed polls; the CPU goleash used, as cores (CPU seconds / wall seconds);
   - *CPU per target per poll*: the marginal cost, from a long and a short run (so start-up and
     imports cancel out): (CPU_long - CPU_short) / (polls_long - polls_short);
   - the floor: the CPU an asyncio httpx loop spends only downloading the same profiles
     (one connection pool per target, as goleash), and goleash's ratio to it;
   - the CPU the Go process serving all 200 endpoints used meanwhile.
2. **The service's side.** The same program with one port and 100,000 parked goroutines: the CPU
   the Go process spends serving one debug=1 poll against one debug=2 poll (read from
   /proc/PID/stat around --polls requests of each), and the size of each answer.

    python benchmarks/watch_scale.py [--targets 200] [--duration 20] [--runs 3] [--only watch]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import ssl
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "tests"))

from gotools import build  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def start_fleet(*args: str) -> tuple[subprocess.Popen[str], list[str]]:
    proc = subprocess.Popen(
        [str(build("fleet")), *args], stdout=subprocess.PIPE, text=True, stderr=subprocess.DEVNULL
    )
    assert proc.stdout is not None
    urls = []
    for line in proc.stdout:
        if line.strip() == "ready":
            break
        urls.append(line.strip())
    return proc, urls


def cpu_of(pid: int) -> float:
    """User + system CPU seconds of a running process."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def watch_run(urls: list[str], interval: float, duration: float) -> dict[str, float]:
    """Run goleash watch; its wall time, polls made and failed."""
    cmd = [
        sys.executable, "-m", "goleash.cli", "watch", *urls,
        "--interval", f"{interval}s", "--duration", f"{duration}s",
        "--format", "json", "--metrics-path", "", "--timeout", "5s",
    ]  # fmt: skip
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate()
    wall = time.monotonic() - start
    summary = json.loads(out.strip().splitlines()[-1])
    if summary.get("event") != "summary":
        raise SystemExit(f"goleash watch failed: {err}")
    polls = sum(t["polls"] for t in summary["targets"])
    failed = sum(t["failed_polls"] for t in summary["targets"])
    return {"wall": wall, "polls": polls, "failed": failed}


def measured_watch(
    urls: list[str], interval: float, duration: float, fleet_pid: int
) -> dict[str, float]:
    """watch_run with the CPU the child used (RUSAGE_CHILDREN before and after)."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    served = cpu_of(fleet_pid)
    result = watch_run(urls, interval, duration)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result["cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result["served_cpu"] = cpu_of(fleet_pid) - served
    return result


async def _download_all(urls: list[str], rounds: int) -> int:
    """Download each debug=1 profile ``rounds`` times, as goleash does: one pool per target."""
    context = ssl.create_default_context()
    clients = {u: httpx.AsyncClient(verify=context, timeout=60) for u in urls}
    n = 0

    async def one(url: str) -> None:
        nonlocal n
        async with clients[url].stream("GET", f"{url}/debug/pprof/goroutine?debug=1") as r:
            async for _ in r.aiter_bytes():
                pass
        n += 1

    try:
        for _ in range(rounds):
            await asyncio.gather(*(one(u) for u in urls))
    finally:
        for client in clients.values():
            await client.aclose()
    return n


def floor_per_poll(urls: list[str], rounds: int) -> float:
    """CPU seconds per poll of a loop that only downloads the debug=1 profiles."""
    start = time.process_time()
    n = asyncio.run(_download_all(urls, rounds))
    return (time.process_time() - start) / n


def service_cost(polls: int) -> dict[str, dict[str, float]]:
    """CPU the 100k-goroutine service spends per debug=1 and per debug=2 poll, and body size."""
    proc, (url,) = start_fleet("-ports", "1", "-goroutines", "100000", "-stacks", "20")
    out: dict[str, dict[str, float]] = {}
    try:
        time.sleep(1)  # let the goroutines park
        with httpx.Client(timeout=120) as client:
            for debug in (1, 2):
                profile = f"{url}/debug/pprof/goroutine?debug={debug}"
                size = len(client.get(profile).content)  # warm-up
                before = cpu_of(proc.pid)
                for _ in range(polls):
                    client.get(profile).raise_for_status()
                out[f"debug={debug}"] = {
                    "cpu_ms": (cpu_of(proc.pid) - before) / polls * 1000,
                    "bytes": size,
                }
    finally:
        proc.kill()
        proc.wait()
    return out


def med(runs: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, default=200)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--short", type=float, default=5.0, help="the short run, for start-up")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--polls", type=int, default=10, help="service side: polls per format")
    parser.add_argument("--only", choices=["watch", "service"], help="run one measurement only")
    args = parser.parse_args()
    if args.only != "service":
        measure_watch(args)
    if args.only != "watch":
        measure_service(args)


def measure_watch(args: argparse.Namespace) -> None:

    fleet, urls = start_fleet("-ports", str(args.targets), "-goroutines", "200", "-stacks", "20")
    try:
        longs, shorts, floors = [], [], []
        for _ in range(args.runs):
            longs.append(measured_watch(urls, args.interval, args.duration, fleet.pid))
            shorts.append(measured_watch(urls, args.interval, args.short, fleet.pid))
            floors.append(floor_per_poll(urls, 5))
    finally:
        fleet.kill()
        fleet.wait()

    scheduled = args.targets * args.duration / args.interval
    pairs = zip(longs, shorts, strict=True)
    per_poll = statistics.median(
        (a["cpu"] - b["cpu"]) / (a["polls"] - b["polls"]) for a, b in pairs
    )
    floor = statistics.median(floors)
    polls, failed = med(longs, "polls"), med(longs, "failed")
    cpu, wall = med(longs, "cpu"), med(longs, "wall")
    print(f"goleash watch: {args.targets} endpoints every {args.interval:g} s, {args.duration:g} s")
    print(f"  polls made          {polls:.0f} of {scheduled:.0f} ({polls / scheduled:.1%})")
    print(f"  polls failed        {failed:.0f}")
    print(f"  CPU                 {cpu:.2f} s in {wall:.1f} s wall = {cpu / wall:.2f} cores (of 2)")
    print(f"  CPU per target/poll {per_poll * 1000:.2f} ms (marginal: long run minus short run)")
    need = per_poll * args.targets / args.interval
    print(f"  CPU needed to keep up: {need:.2f} cores (one event loop can use 1)")
    keeps_up = polls >= 0.95 * scheduled and failed == 0
    print(
        f"  keeps up            {'yes' if keeps_up else 'no'} (>= 95 % of polls made, none failed)"
    )
    served = med(longs, "served_cpu")
    print(f"  the Go process serving them used {served:.2f} s CPU ({served / wall:.2f} cores)")
    print(f"  load average at the end: {os.getloadavg()[0]:.1f} (the machine is shared)")
    print(f"  floor (httpx asyncio download only) {floor * 1000:.2f} ms/poll")
    print(f"  goleash / floor     {per_poll / floor:.2f}x")


def measure_service(args: argparse.Namespace) -> None:
    cost = statistics.median
    sides = [service_cost(args.polls) for _ in range(args.runs)]
    print("service with 100,000 goroutines (20 stacks), CPU per poll:")
    for fmt in ("debug=1", "debug=2"):
        ms = cost(s[fmt]["cpu_ms"] for s in sides)
        size = cost(s[fmt]["bytes"] for s in sides)
        print(f"  {fmt}  {ms:8.1f} ms CPU, {size / 1024:10.1f} KiB")
    ratio = cost(s["debug=2"]["cpu_ms"] / max(s["debug=1"]["cpu_ms"], 1e-9) for s in sides)
    print(f"  debug=2 costs the service {ratio:.1f}x the CPU of debug=1")


if __name__ == "__main__":
    main()
