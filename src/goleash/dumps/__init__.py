"""Bytes to Snapshot: one module per dump format, plus format sniffing.

``read_snapshots(stream)`` is the one entry point: it sniffs the format (gzip, protobuf,
``debug=1`` text, traceback text) and streams the input through the matching parser.
Every parser follows gostackparse's goals: safe on any input, forgiving (partial results plus a
count of what could not be read), and fast.
"""

from goleash.dumps.sniff import read_snapshots

__all__ = ["read_snapshots"]
