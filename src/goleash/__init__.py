"""goleash: find, explain and prevent goroutine leaks in Go services."""

__version__ = "0.1.0"
