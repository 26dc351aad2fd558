"""`python -m goleash.cli`: the same as the `goleash` command."""

from goleash.cli import console

console()
