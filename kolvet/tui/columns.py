"""What the ranking table shows: one Column per cell, with its label, width and format.

Formatting happens only for the rows on screen, so a column's `fmt` is plain Python on one
value; everything per-cohort (filter, sort) stays in Polars."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import polars as pl
from rich.cells import cell_len

from kolvet import fraud as F
from kolvet import metrics as M
from kolvet import schema as S
from kolvet import score as SC
from kolvet import shortlist as SL
from kolvet.text import two_down

MISSING = "-"


def _int(v: Any) -> str:
    return MISSING if v is None else f"{v:,}"


def _one(v: Any) -> str:
    return MISSING if v is None else f"{v:.1f}"


def _two(v: Any) -> str:
    return MISSING if v is None else f"{v:.2f}"


def _fraud(v: Any) -> str:
    return MISSING if v is None else two_down(v)


def _pct(v: Any) -> str:
    return MISSING if v is None else f"{v * 100:.2f}%"


def _text(v: Any) -> str:
    return MISSING if v is None or v == "" else str(v)


def _per(v: Any) -> str:
    return {"views": "view", "followers": "fol."}.get(v, MISSING)


@dataclass(frozen=True)
class Column:
    key: str  # the VetResult.creators column
    label: str
    width: int  # in terminal cells (CJK characters take two)
    right: bool  # numbers right-aligned
    fmt: Callable[[Any], str]
    descending_first: bool  # the natural first direction when sorting by it: best first
    numeric_text: bool = False  # a roster's text column of numbers ("85.90"): sorted by value


# The column list, in its order, and what the rates are per. `fraud` carries the flag mark; `verdict` its colour.
COLUMNS: tuple[Column, ...] = (
    Column(SL.RANK, "rank", 7, True, _int, False),
    Column(S.NICKNAME, "nickname", 16, False, _text, False),
    Column(S.CATEGORY, "category", 12, False, _text, False),
    Column(M.TIER, "tier", 6, False, _text, False),
    Column(S.FOLLOWERS, "followers", 10, True, _int, True),
    Column(M.N_POSTS, "notes", 6, True, _int, True),
    Column(SC.SCORE, "score", 6, True, _one, True),
    Column(M.SAVE_RATE, "save rate", 10, True, _pct, True),
    Column(M.ENGAGEMENT_RATE, "eng. rate", 10, True, _pct, True),
    # What the two rates divide by: a cohort can mix marketplace exports (views) and crawls (no views).
    Column(M.RATE_BASIS, "per", 4, False, _per, False),
    Column(M.SAVE_LIKE, "藏赞比", 7, True, _two, True),
    Column(F.FRAUD_SCORE, "fraud", 7, True, _fraud, True),
    Column(SL.VERDICT, "verdict", 17, False, _text, False),
)
# Cost per engagement (a quote / the median note's interactions): shown, and offered as a sort,
# only when the inputs carry quotes. Cheapest first.
CPE_COLUMN = Column(SC.CPE, "¥/eng.", 8, True, _two, False)
BY_KEY = {c.key: c for c in (*COLUMNS, CPE_COLUMN)}


def columns_for(creators: pl.DataFrame, roster: tuple[str, ...] = ()) -> tuple[Column, ...]:
    """The table's columns for a result: cpe before fraud when any creator has a quote, and
    the roster's own columns (named as in the ranked CSV) after kolvet's."""
    own = tuple(roster_column(name, creators.get_column(name)) for name in roster)
    if SC.CPE not in creators.columns or creators.get_column(SC.CPE).null_count() == creators.height:
        return (*COLUMNS, *own)
    at = next(i for i, c in enumerate(COLUMNS) if c.key == F.FRAUD_SCORE)
    return (*COLUMNS[:at], CPE_COLUMN, *COLUMNS[at:], *own)


def as_number(text: pl.Expr) -> pl.Expr:
    """A roster's number written as text ("85.90", "78.45%", "1,200") as its value, else null."""
    return text.str.strip_chars().str.strip_suffix("%").str.replace_all(",", "").cast(pl.Float64, strict=False)


ROSTER_WIDTH = (4, 18)  # a roster column is as wide as its header or widest value, within these


def roster_column(name: str, values: pl.Series) -> Column:
    """A column of the roster's own (对接人, 小红书号, 红人健康等级...), shown as the roster wrote
    it; numbers right-aligned and sorted largest first, text A to Z."""
    given = values.drop_nulls()
    # Kept as text when a cell wouldn't read back as written ("85.90", "78.45%"), yet numbers all the same.
    numeric_text = values.dtype == pl.String and given.len() > 0 and \
        given.to_frame().select(as_number(pl.col(name))).to_series().null_count() == 0
    number = values.dtype.is_numeric() or numeric_text
    texts = given.cast(pl.String).unique().sort().head(5000)  # enough to size the column
    widest = max((cell_len(t) for t in texts), default=0)
    width = max(ROSTER_WIDTH[0], min(ROSTER_WIDTH[1], max(cell_len(name) + 1, widest)))  # + the sort's arrow
    return Column(name, name, width, number, _text, number, numeric_text)

# What a marketer decides on. When the table is narrower than a row (an 80-column terminal),
# these follow rank and nickname, so a row's verdict and fraud mark show without scrolling.
DECIDING = (SC.SCORE, M.SAVE_RATE, F.FRAUD_SCORE, SL.VERDICT)


def narrow_order(columns: tuple[Column, ...], fixed: int) -> tuple[Column, ...]:
    """The columns for a narrow table: the first `fixed` (they never scroll), the deciding
    ones, then the rest in their usual order."""
    head, rest = columns[:fixed], columns[fixed:]
    deciding = tuple(c for key in DECIDING for c in rest if c.key == key)
    return (*head, *deciding, *(c for c in rest if c not in deciding))


# Besides the shown columns, the table needs these to mark and colour a row.
EXTRA = (S.CREATOR_ID, F.FRAUD_FLAG, F.FRAUD_WATCH)
NEEDED = tuple(dict.fromkeys([*BY_KEY, *EXTRA]))

FLAG_MARK = "⚑"
WATCH_MARK = "?"  # on fraud watch: near the flag line, with reasons in the detail
SHORTLIST_MARK = "★"


def fraud_cell(text: str, flagged: bool, watched: bool) -> tuple[str, str | None]:
    """A fraud score as the tables show it: marked when flagged, or else when on watch, with the
    name of its colour cue ("flagged", "watch"), for the ranking and the shortlist alike."""
    if flagged:
        return f"{FLAG_MARK} {text}", "flagged"
    if watched:
        return f"{WATCH_MARK} {text}", "watch"
    return text, None
