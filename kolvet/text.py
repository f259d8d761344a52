"""How kolvet counts things in the sentences people read."""

from __future__ import annotations

import math


def counted(n: int, noun: str) -> str:
    """'1 row', '2 rows', '1,204 creators': a count with its noun, plural unless one."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def tally(pairs: list[tuple[str, int]], limit: int) -> str:
    """'bad likes (12); no date (3); 2 more reasons': the commonest reasons with their counts,
    and how many more there are, so a shortened list never hides that it is short."""
    shown = "; ".join(f"{reason} ({n:,})" for reason, n in pairs[:limit])
    extra = len(pairs) - limit
    return shown + (f"; {counted(extra, 'more reason')}" if extra > 0 else "")


def two_down(x: float) -> str:
    """A fraud score to two decimals, rounded down: a score just under a line (watch at 0.40,
    flag at 0.50) must not read as on it, as 0.397 would rounded to "0.40"."""
    return f"{math.floor(round(x * 1000) / 10) / 100:.2f}"
