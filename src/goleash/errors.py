"""Errors a user can act on. The CLI prints their message on one line and exits 2."""


class InputError(Exception):
    """Input that cannot be read at all: missing file, unreachable URL, not a dump."""


class UsageError(Exception):
    """Options or arguments that do not make sense together."""
