"""Precision of `goleash scan` on real code it was not tuned on: counts, and a random sample
of findings to triage by hand (each one read in its source: real problem, true but harmless
there, or false positive).

The default corpus is Go source from Debian's golang-*-dev packages, installed by hand for the
measurement (not in CI), of projects the rules were never tuned on:

    apt-get install -y golang-github-prometheus-client-golang-dev \\
      golang-github-prometheus-common-dev golang-github-docker-docker-dev \\
      golang-github-containerd-containerd-dev golang-github-gin-gonic-gin-dev \\
      golang-github-labstack-echo-dev golang-github-gorilla-websocket-dev \\
      golang-github-gorilla-mux-dev golang-github-minio-minio-go-v7-dev \\
      golang-github-segmentio-kafka-go-dev golang-github-shopify-sarama-dev \\
      golang-github-rabbitmq-amqp091-go-dev golang-github-miekg-dns-dev \\
      golang-github-lucas-clemente-quic-go-dev golang-github-pion-webrtc.v3-dev \\
      golang-github-go-kit-kit-dev golang-github-jackc-pgx-v4-dev \\
      golang-github-docker-distribution-dev golang-github-containerd-go-runc-dev
    python benchmarks/scan_precision.py [--sample 30] [--seed 2026] [PATH ...]

The scan runs as a user runs it (`goleash scan PATH…`: tests included at lower severity); the
sample is drawn from every finding it prints.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

GOCODE = Path("/usr/share/gocode/src")
# Projects the rules were never tuned on (issue 3 used grpc, etcd, hashicorp, nats, x/net).
PROJECTS = [
    "github.com/prometheus",
    "github.com/docker",
    "github.com/containerd",
    "github.com/gin-gonic",
    "github.com/labstack",
    "github.com/gorilla",
    "github.com/minio",
    "github.com/segmentio",
    "github.com/Shopify",
    "github.com/rabbitmq",
    "github.com/miekg",
    "github.com/lucas-clemente",
    "github.com/pion",
    "github.com/go-kit",
    "github.com/jackc",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--sample", type=int, default=30)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    paths = args.paths or [GOCODE / p for p in PROJECTS if (GOCODE / p).is_dir()]
    if not paths:
        raise SystemExit("no corpus: install the packages listed in this script's docstring")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "scan.json"
        cmd = [sys.executable, "-m", "goleash.cli", "scan", "--no-cache", "--format", "json"]
        proc = subprocess.run([*cmd, "-o", str(out), *map(str, paths)], capture_output=True)
        if proc.returncode not in (0, 1):
            raise SystemExit(proc.stderr.decode())
        data = json.loads(out.read_text())
    findings = data["findings"]
    lines = data["lines"]
    print(f"corpus: {len(paths)} trees, {data['files']:,} files, {lines:,} lines")
    print(f"findings: {len(findings)} = {len(findings) / lines * 100_000:.1f} per 100k lines")
    print(f"files not fully read: {len(data['parse_errors'])}")
    by_rule = Counter((f["rule"], f["severity"]) for f in findings)
    for (rule_id, severity), n in sorted(by_rule.items()):
        print(f"  {n:4d}  {rule_id} ({severity})")
    sample = random.Random(args.seed).sample(findings, min(args.sample, len(findings)))
    print(f"\nsample of {len(sample)} (random.Random({args.seed}).sample):")
    for i, f in enumerate(sample, 1):
        where = f["file"].removeprefix(str(GOCODE) + "/")
        print(f"{i:3d}. {where}:{f['line']} {f['rule']} ({f['severity']}): {f['message']}")


if __name__ == "__main__":
    main()
