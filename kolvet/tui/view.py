"""The browser's view of a VetResult: which creators pass the filters, in which order, and the
cohort counts for the header. Plain Polars on the pipeline's output; no Textual here, so it is
testable and fast to reason about (a filter keystroke is one `apply`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import polars as pl

from kolvet import export
from kolvet import fraud as F
from kolvet import metrics as M
from kolvet import schema as S
from kolvet import score as SC
from kolvet import shortlist as SL
from kolvet.pipeline import VetResult
from kolvet.text import counted
from kolvet.tui.columns import BY_KEY, NEEDED, Column, as_number


@dataclass(frozen=True)
class Filters:
    text: str = ""
    category: str | None = None
    tier: str | None = None
    min_score: float | None = None
    hide_flagged: bool = False

    def describe(self) -> str:
        """The active filters in words, for the status line."""
        parts = []
        if self.text:
            parts.append(f'"{self.text}"')
        if self.category:
            parts.append(f"category {self.category}")
        if self.tier:
            parts.append(f"tier {self.tier}")
        if self.min_score is not None:
            parts.append(f"score >= {self.min_score:g}")
        if self.hide_flagged:
            parts.append("flagged hidden")
        return ", ".join(parts)

    def narrows(self, wider: Filters) -> bool:
        """True when every creator passing these filters also passes `wider` (typing one more
        letter, picking a category, raising the minimum): then the rows `wider` kept are
        enough to filter, which makes each further keystroke cheaper."""
        return (
            self.text.lower().find(wider.text.lower()) >= 0
            and (wider.category is None or wider.category == self.category)
            and (wider.tier is None or wider.tier == self.tier)
            and (wider.min_score is None or (self.min_score is not None and self.min_score >= wider.min_score))
            and (self.hide_flagged or not wider.hide_flagged)
        )

    def toggled_flagged(self) -> Filters:
        return replace(self, hide_flagged=not self.hide_flagged)


@dataclass(frozen=True)
class Sort:
    column: str = SL.RANK
    descending: bool = False

    def describe(self, columns: Mapping[str, Column] = BY_KEY) -> str:
        return f"{columns[self.column].label} {'↓' if self.descending else '↑'}"

    def by(self, column: str, columns: Mapping[str, Column] = BY_KEY) -> Sort:
        """Choosing the current column again flips the direction; a new column starts with its
        natural direction (best first). `columns`: the table's, when it shows a roster's own."""
        if column == self.column:
            return Sort(column, not self.descending)
        return Sort(column, columns[column].descending_first)


def slim(creators: pl.DataFrame) -> pl.DataFrame:
    """Only the columns the table shows, so each filter copies ~14 columns, not ~65."""
    return creators.select([c for c in NEEDED if c in creators.columns])


def table_frame(result: VetResult) -> tuple[pl.DataFrame, tuple[str, ...]]:
    """What the ranking filters and sorts: the shown columns of kolvet's, then the roster's
    own under their ranked-CSV names (which it also returns)."""
    base = slim(result.creators)
    own = export.own_columns_named(result)
    if own is None:
        return base, ()
    return (base.join(own, on=S.CREATOR_ID, how="left", maintain_order="left"),
            tuple(c for c in own.columns if c != S.CREATOR_ID))


@dataclass(frozen=True)
class Shown:
    """What the table shows and how it got there."""

    filters: Filters
    sort: Sort
    frame: pl.DataFrame


def apply(frame: pl.DataFrame, filters: Filters, sort: Sort, last: Shown | None = None,
          columns: Mapping[str, Column] = BY_KEY) -> pl.DataFrame:
    """Filter with the shared shortlist filters, then sort; ties keep the pipeline's rank so
    the order is the same on every run. With `last` (the previous answer), a narrowing change
    filters only the rows already shown, which are in the right order already."""
    if last is not None and last.sort == sort and filters.narrows(last.filters):
        return _filter(last.frame, filters)
    out = _filter(frame, filters)
    if sort.column == SL.RANK:
        return out if not sort.descending else out.reverse()  # already ranked by the pipeline
    # Verdicts sort best first (shortlist, review, reject, insufficient data), not by spelling.
    key = (pl.col(SL.VERDICT).replace_strict({v: -i for i, v in enumerate(SL.VERDICTS)}, default=None, return_dtype=pl.Int64)
           if sort.column == SL.VERDICT else pl.col(sort.column))
    if (shown := columns.get(sort.column)) is not None and shown.numeric_text:
        key = as_number(key)
    if sort.column == SC.CPE:  # as `vet --sort cpe`: unjudged and flagged creators after the rest
        return out.sort([*SL.behind_on_cost(), key, SL.RANK], descending=[False, False, sort.descending, False],
                        nulls_last=True)
    return out.sort([key, SL.RANK], descending=[sort.descending, False], nulls_last=True)


def _filter(frame: pl.DataFrame, filters: Filters) -> pl.DataFrame:
    return SL.filter_creators(frame, text=filters.text, category=filters.category, tier=filters.tier,
                              min_score=filters.min_score, hide_flagged=filters.hide_flagged)


def choices(result: VetResult) -> tuple[list[str], list[str]]:
    """(categories, tiers) present in the result; tiers in the config's size order."""
    frame = result.creators
    cats = sorted(c for c in frame.get_column(S.CATEGORY).unique().to_list() if c)
    present = {t for t in frame.get_column(M.TIER).unique().to_list() if t}
    tiers = [t for t in result.config.tiers if t in present] + sorted(present - set(result.config.tiers))
    return cats, tiers


def cohort_summary(result: VetResult) -> str:
    """'300 creators: 73 shortlist, 147 review, ...; 12 flagged; 4 rows set aside'."""
    frame = result.creators
    counts = dict(frame.group_by(SL.VERDICT).len().iter_rows())
    flagged = int(frame.get_column(F.FRAUD_FLAG).fill_null(False).sum())
    verdicts = ", ".join(f"{counts.get(v, 0):,} {v.replace('_', ' ')}" for v in SL.VERDICTS)
    reasons = result.rejected_by_reason()
    aside = sum(n for _, n in reasons)
    most = f" (most: {reasons[0][0]}, {reasons[0][1]:,})" if len(reasons) > 1 else f" ({reasons[0][0]})" if reasons else ""
    aside_text = f"{counted(aside, 'row')} set aside{most}" if aside else "no rows set aside"
    emptied = sum(n for _, n in result.rejected_by_reason(kept=True))
    if emptied:  # rows kept without a bad cell: not set aside, but said
        aside_text += f"; {counted(emptied, 'bad cell')} left empty"
    if replaced := result.snapshots_replaced():  # a re-crawl's routine: said apart from the problems
        aside_text += f"; {counted(replaced, 'older snapshot')} (or copies) replaced"
    return f"{counted(frame.height, 'creator')}: {verdicts}; {flagged:,} flagged; {aside_text}"
