"""The last-digit check: are an input file's counts read from XHS, or typed by hand?

Counts read off the platform end in every digit equally often (a real crawl's 2,699 exact
counts of 100-9,999: chi-square p = 0.39). Numbers typed or rounded by a person (an agency's
own export, a doctored media kit) end in 0 and 5 far too often. Like Benford tests, this only
works over many values (domain.md: roster-wide, 50-1,000+), so it judges each input file as a
whole, never one creator.

Only exact counts of 100-9,999 are used: below 100 the last digit leans small (Benford's law
reaches into it), and from 10,000 the app shows "1.2万", so crawled values there are rounded
by the platform, not by a person.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from kolvet import schema as S

COUNTS = (S.LIKES, S.SAVES, S.COMMENTS, S.SHARES)
LOW, HIGH = 100, 9_999
MIN_COUNTS = 50
ALPHA = 0.001  # per run, shared between the files checked (Bonferroni)
# Over millions of counts, a real but tiny lean (the last digit of 100-999 leans small by a
# fraction of a point) becomes "significant": a file must also be off by a small effect at least
# (Cohen's w = sqrt(chi-square / n) >= 0.1, about 3% of its counts rounded to a 0).
MIN_EFFECT = 0.1


@dataclass(frozen=True)
class DigitCheck:
    """One file's last digits, when they are not what counts read from XHS look like."""

    source: str
    counts: int
    digit: int  # the most over-represented last digit
    share: float  # of counts ending in it
    p: float  # chi-square test of equal last digits

    @property
    def warning(self) -> str:
        return f"last digits: {self.text()}"

    def text(self) -> str:
        p = "< 1e-300" if self.p < 1e-300 else f"= {self.p:.0e}"
        return (f"{self.source}: {self.share:.0%} of its {self.counts:,} exact counts of {LOW}-{HIGH:,} end in "
                f"{self.digit} (10% expected, chi-square p {p}): typed, rounded or edited "
                f"by hand, not read from XHS?")


def tally(posts: pl.LazyFrame) -> pl.DataFrame:
    """(source_file, digit, n): last digits of each file's exact counts of 100-9,999."""
    exact = posts.filter(pl.col(S.PRECISION).fill_null(S.EXACT) == S.EXACT)
    digits = pl.concat([exact.select(S.SOURCE, pl.col(c).cast(pl.Int64).alias("_v")) for c in COUNTS], how="vertical")
    return (digits.filter(pl.col("_v").is_between(LOW, HIGH))
            .group_by(S.SOURCE, (pl.col("_v") % 10).alias("digit")).len("n")
            .collect(engine="in-memory"))


def check(posts: pl.LazyFrame) -> tuple[int, list[DigitCheck]]:
    """How many files had enough counts to check, and those whose last digits fail."""
    from scipy.stats import chisquare

    counts = tally(posts)
    per_file: dict[str, np.ndarray] = {}
    for source, digit, n in counts.iter_rows():
        per_file.setdefault(source, np.zeros(10))[digit] += n
    checked = {s: c for s, c in sorted(per_file.items()) if c.sum() >= MIN_COUNTS}
    failed = []
    for source, c in checked.items():
        test = chisquare(c)
        p = float(test.pvalue)
        if p < ALPHA / len(checked) and np.sqrt(test.statistic / c.sum()) >= MIN_EFFECT:
            share = c / c.sum()
            digit = int(np.argmax(share))
            failed.append(DigitCheck(source, int(c.sum()), digit, float(share[digit]), p))
    return len(checked), failed


def summary(checked: int, failed: list[DigitCheck]) -> str:
    """One line for the run's metadata."""
    if not checked:
        return f"not checked: no file has {MIN_COUNTS} exact counts of {LOW}-{HIGH:,}"
    if not failed:
        return f"ok: {checked} file{'s' if checked != 1 else ''} checked, last digits as counts read from XHS"
    return " | ".join(f.text() for f in failed)
