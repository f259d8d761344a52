"""The last-digit check: are a notes file's counts read from XHS, or typed by hand?

Counts read off the platform end in every digit about equally often (a real crawl's 20 note
files, as read: 2,819 exact counts of 100-9,999, chi-square p = 0.33 against equal digits).
Numbers typed or rounded by a person (an agency's own export, a doctored media kit) end in 0
and 5 far too often. Like Benford tests, this only works over many values (domain.md:
roster-wide, 50-1,000+), so it judges each file as a whole, never one creator.

Only exact counts of 100-9,999 are used: below 100 the last digit leans small (Benford's law
reaches into it), and from 10,000 the app shows "1.2万", so crawled values there are rounded
by the platform, not by a person. Files are tallied as read, before snapshots are merged: a
hand-typed copy of notes crawled since loses all its rows to the crawl, and still gets checked."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from kolvet import schema as S
from kolvet.text import counted

COUNTS = (S.LIKES, S.SAVES, S.COMMENTS, S.SHARES)
LOW, HIGH = 100, 9_999
MIN_COUNTS = 50
ALPHA = 0.001  # per run, shared between the files checked (Bonferroni)
# Honest last digits of 100-9,999 lean small a little, and more for files of very small
# creators, whose counts thin out fast above 100: a smooth lean, where rounding is a spike on
# 0 (and 5). So digits are judged against the straight line that best fits their shares, and
# a file must be off it by a small effect at least: Cohen's w = sqrt(chi-square / n) >= 0.1,
# about 4% of its counts rounded to a 0. (Simulated honest files: w <= 0.05 from a thousand
# counts up; the real crawl's files, pooled, 0.05.)
MIN_EFFECT = 0.1


@dataclass(frozen=True)
class DigitCheck:
    """One file's last digits, when they are not what counts read from XHS look like."""

    source: str
    counts: int
    shares: tuple[float, ...]  # of its counts ending in 0, 1, ..., 9
    p: float  # chi-square test of the last digits against their smooth lean

    @property
    def over(self) -> list[int]:
        """The digits that end too many counts (13%+), most first; at least the top one."""
        ranked = sorted(range(10), key=lambda d: -self.shares[d])
        return [d for d in ranked[:3] if self.shares[d] >= 0.13] or ranked[:1]

    @property
    def warning(self) -> str:
        return f"last digits: {self.text()}"

    def text(self) -> str:
        over = ", ".join(f"{self.shares[d]:.0%} end in {d}" for d in self.over)
        p = "< 1e-300" if self.p < 1e-300 else f"= {self.p:.0e}"
        # Rounding shows as too many 0s and 5s; other unevenness as numbers edited or made up.
        how = "rounded or typed by hand" if {0, 5} & set(self.over) else "edited or made up by hand"
        return (f"{self.source}: of its {self.counts:,} exact counts of {LOW}-{HIGH:,}, {over} (about 10% "
                f"each expected, chi-square p {p}): {how}, not read from XHS?")


def tally(posts: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """(source_file, digit, n): last digits of each file's exact counts of 100-9,999, one count
    column at a time (stacking the four would hold four copies of the notes)."""
    exact = posts.lazy().filter(pl.col(S.PRECISION).fill_null(S.EXACT) == S.EXACT)
    per_column = [exact.filter(pl.col(c).is_between(LOW, HIGH))
                  .group_by(S.SOURCE, (pl.col(c).cast(pl.Int64) % 10).alias("digit")).len("n")
                  for c in COUNTS]
    return add(pl.concat(per_column, how="vertical").collect(engine="in-memory"))


def add(*tallies: pl.DataFrame | None) -> pl.DataFrame:
    """Tallies of several parts or rosters as one."""
    frames = [t for t in tallies if t is not None]
    if not frames:
        return pl.DataFrame(schema={S.SOURCE: pl.String, "digit": pl.Int64, "n": pl.UInt32})
    return (pl.concat(frames, how="vertical").group_by(S.SOURCE, "digit").agg(pl.col("n").sum())
            .sort(S.SOURCE, "digit"))


def check(counts: pl.DataFrame) -> tuple[int, list[DigitCheck]]:
    """From a tally: how many files had enough counts to check, and those whose last digits fail."""
    from scipy.stats import chisquare

    per_file: dict[str, np.ndarray] = {}
    for source, digit, n in counts.iter_rows():
        per_file.setdefault(source, np.zeros(10))[digit] += n
    checked = {s: c for s, c in sorted(per_file.items()) if c.sum() >= MIN_COUNTS}
    failed = []
    for source, c in checked.items():
        n = c.sum()
        test = chisquare(c, _lean(c / n) * n, ddof=1)  # the line's slope is fit from the digits
        p = float(test.pvalue)
        if p < ALPHA / len(checked) and np.sqrt(test.statistic / n) >= MIN_EFFECT:
            failed.append(DigitCheck(source, int(n), tuple(float(x) for x in c / n), p))
    return len(checked), failed


def _lean(shares: np.ndarray) -> np.ndarray:
    """The straight line through the ten digits' shares (least squares), as shares."""
    digits = np.arange(10)
    line = np.polyval(np.polyfit(digits, shares, 1), digits).clip(1e-3)
    return line / line.sum()


def summary(checked: int, failed: list[DigitCheck]) -> str:
    """One line for the run's metadata."""
    if not checked:
        return f"not checked: no notes file has {MIN_COUNTS} exact counts of {LOW}-{HIGH:,}"
    files = counted(checked, 'notes file')
    if not failed:
        return f"ok: {files} checked, last digits as counts read from XHS"
    return f"warning: {len(failed)} of {files} checked: " + " | ".join(f.text() for f in failed)
