"""The errors kolvet turns into one-line messages and exit codes (see README, "Exit codes")."""


class KolvetError(Exception):
    """A problem with the user's input or config: one line, exit code 1."""

    exit_code = 1


class UsageError(KolvetError):
    """The command was called wrongly: exit code 2."""

    exit_code = 2
