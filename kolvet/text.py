"""How kolvet counts things in the sentences people read."""

from __future__ import annotations


def counted(n: int, noun: str) -> str:
    """'1 row', '2 rows', '1,204 creators': a count with its noun, plural unless one."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
