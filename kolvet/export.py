"""What users receive: the ranked table in a fixed column order, set-aside rows, per-note
flags, and the metadata of the run. Every text cell is guarded against spreadsheet formula
injection before it leaves kolvet."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from kolvet import comments as C
from kolvet import fraud as F
from kolvet import io
from kolvet import metrics as M
from kolvet import schema as S
from kolvet import score as SC
from kolvet import shortlist as SL
from kolvet.errors import KolvetError
from kolvet.pipeline import VetResult

# The fixed head of every ranked output (README, "Output columns").
HEAD = (
    SL.RANK, S.CREATOR_ID, S.NICKNAME, S.CATEGORY, S.FOLLOWERS, M.N_POSTS, SC.SCORE, M.SAVE_RATE,
    M.ENGAGEMENT_RATE, M.SAVE_LIKE, F.FRAUD_SCORE, F.FRAUD_FLAG, F.FRAUD_REASONS, SL.VERDICT,
)
DETAIL = (
    SL.VERDICT_REASON, M.TIER, S.FOLLOWERS_FLOOR, M.RATE_BASIS, SL.PEER_PERCENTILE, SL.PEER_GROUP, SC.BENCHMARK,
    SC.QUALITY_SCORE, SC.SAVE_QUALITY, SC.ENGAGEMENT_QUALITY, SC.COMMENT_DEPTH, SC.CONSISTENCY,
    SC.AUTHENTICITY_PENALTY, SC.SAVES_VS_EXPECTED, SC.ENGAGEMENT_VS_EXPECTED, SC.COMMENT_DEPTH_VS_PEERS, SC.SPREAD_VS_COHORT,
    M.LIKE_RATE, M.COMMENT_RATE, M.SHARE_RATE, M.WEIGHTED_RATE, M.COMMENT_LIKE, M.SHARE_LIKE,
    M.HIT_RATE, M.POSTS_PER_WEEK, M.MEDIAN_INTERACTIONS, M.MEDIAN_SAVES, S.QUOTE, SC.CPE,
    SC.COST_PER_SAVE, F.FRAUD_PATTERN, F.FRAUD_WATCH, F.FOREST_SCORE, M.CENSORED_SHARE, M.N_POSTS_TOTAL, S.ROWS_SET_ASIDE, M.LAST_POST, M.DAYS_SINCE_LAST,
    S.LIFETIME_LIKES_SAVES, S.ACTIVE_FANS, M.FOLLOWER_JUMP, M.FOLLOWER_JUMP_DATE,
    C.COMMENTS_READ, C.TEMPLATE_SHARE, C.TOP_REPEATED,
)
KOLVET_COLUMNS = (*HEAD, *DETAIL)  # every column kolvet writes of its own, in order

ROUNDING = {
    M.SAVE_RATE: 5, M.ENGAGEMENT_RATE: 5, M.LIKE_RATE: 5, M.COMMENT_RATE: 5, M.SHARE_RATE: 5,
    M.WEIGHTED_RATE: 5, M.SAVE_LIKE: 3, M.COMMENT_LIKE: 3, M.SHARE_LIKE: 3, M.HIT_RATE: 3,
    M.POSTS_PER_WEEK: 2, SC.QUALITY_SCORE: 1, SC.SAVE_QUALITY: 1, SC.ENGAGEMENT_QUALITY: 1,
    SC.COMMENT_DEPTH: 1, SC.CONSISTENCY: 1, SC.AUTHENTICITY_PENALTY: 1, SC.SAVES_VS_EXPECTED: 2,
    SC.ENGAGEMENT_VS_EXPECTED: 2, SC.COMMENT_DEPTH_VS_PEERS: 2, SC.SPREAD_VS_COHORT: 2, SC.CPE: 2, SC.COST_PER_SAVE: 2,
    M.CENSORED_SHARE: 3, M.MEDIAN_INTERACTIONS: 1, M.MEDIAN_SAVES: 1, S.ACTIVE_FANS: 3, M.FOLLOWER_JUMP: 3, C.TEMPLATE_SHARE: 3,
}
POST_COLUMNS = (
    S.CREATOR_ID, S.POST_ID, S.POSTED_AT, S.TITLE, S.POST_TYPE, S.LIKES, S.SAVES, S.COMMENTS,
    S.SHARES, S.VIEWS, M.REACH, M.INTERACTIONS, M.IN_WINDOW, M.NOTE_SPIKE, M.NOTE_RATIO_DEV,
    F.BOOSTED, F.BOOST_REASON, S.COUNT_DROPPED, S.NOTE_VANISHED, S.SOURCE,
)

# A text cell starting with =, +, -, @, tab or CR is run as a formula by spreadsheets.
_FORMULA_START = "^" + io.FORMULA_CLASS
_PLAIN_NUMBER = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"


def guard_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """Prefix text cells that a spreadsheet would run as a formula with an apostrophe
    (OWASP's advice for CSV), so =HYPERLINK("http://x","y") arrives as text. Plain numbers
    such as "-5" are left alone: they're not formulas. Every other cell is untouched. XLSX
    needs no prefix: io writes such cells as text with Excel's own quote-prefix mark."""
    return frame.with_columns(
        pl.when(pl.col(c).str.contains(_FORMULA_START) & ~pl.col(c).str.contains(_PLAIN_NUMBER))
        .then(pl.lit("'") + pl.col(c)).otherwise(pl.col(c)).alias(c)
        for c, dt in frame.schema.items() if dt == pl.String
    )


def ranked_table(result: VetResult, extra: dict[str, pl.Expr] | None = None) -> pl.DataFrame:
    """The ranked table users get: HEAD columns in order, then the explanation columns, then
    the rosters' own."""
    frame = result.creators
    cols = [c for c in KOLVET_COLUMNS if c in frame.columns]
    out = frame.select(cols).with_columns(
        pl.col(c).round(d) for c, d in ROUNDING.items() if c in cols
    )
    if S.QUOTE in cols and _whole(out.get_column(S.QUOTE)):
        out = out.with_columns(pl.col(S.QUOTE).cast(pl.Int64))  # prices in whole 元 read as 300, not 300.0
    if extra:
        out = out.with_columns(**extra)
    return with_own_columns(out, result.own_columns)


def own_columns_named(result: VetResult) -> pl.DataFrame | None:
    """The rosters' own columns under the names the ranked table gives them (the browser shows
    them so): creator_id, then one column each."""
    own = result.own_columns
    if own is None:
        return None
    kolvets = [c for c in KOLVET_COLUMNS if c in result.creators.columns]
    return own.rename(own_names(kolvets, own.columns))


# Columns other commands add after the ranked ones (the shortlist's note and scored_in, batch's
# also_in and change): a roster's column of such a name is renamed in every output alike.
ADDED_LATER = ("note", "scored_in", "also_in", "change", "roster")


def with_own_columns(table: pl.DataFrame, own: pl.DataFrame | None) -> pl.DataFrame:
    """The roster's own columns (schema.own_columns) after kolvet's, as the roster wrote them;
    one named like a column of kolvet's (any case) is handed back as "name (roster)"."""
    if own is None:
        return table
    named = own_names(table.columns, own.columns)
    return table.join(own.rename(named), on=S.CREATOR_ID, how="left", maintain_order="left")


def own_names(kolvet_columns: list[str], own_columns: list[str]) -> dict[str, str]:
    """What each of the roster's own columns is called beside kolvet's: its own name, or
    "name (roster)" (then "name (roster 2)") where that is taken, in any case."""
    kolvets = {c.lower() for c in (*kolvet_columns, *ADDED_LATER)}
    columns = [c for c in own_columns if c != S.CREATOR_ID]
    taken = kolvets | {c.lower() for c in columns}
    named = {}
    for column in columns:
        name, n = column, 0
        while name.lower() in kolvets or (n and name.lower() in taken):  # "rank (roster)", or "rank (roster 2)"
            n += 1
            name = f"{column} (roster{f' {n}' if n > 1 else ''})"
        taken.add(name.lower())
        named[column] = name
    return named


def _whole(values: pl.Series) -> bool:
    given = values.drop_nulls()
    return bool((given == given.round(0)).all())


def metadata(result: VetResult) -> dict[str, str]:
    return dict(result.meta)


def readable(meta: dict[str, str]) -> dict[str, object]:
    """The metadata with `settings` as the object it is, for JSON files (Parquet's metadata
    holds text only)."""
    return {**meta, "settings": json.loads(meta["settings"])} if "settings" in meta else dict(meta)


def about_sheet(meta: dict[str, str]) -> pl.DataFrame:
    """An XLSX `about` sheet: one row per metadata key, and one per setting
    (`settings.fraud.contamination`), rather than the settings as one cell of JSON."""
    def rows(prefix: str, value: object):
        if isinstance(value, dict):
            for k, v in value.items():
                yield from rows(f"{prefix}.{k}", v)
        else:
            yield prefix, value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)

    pairs = [pair for key, value in readable(meta).items()
             for pair in (rows(key, value) if key == "settings" else [(key, value)])]
    return pl.DataFrame({"key": [k for k, _ in pairs], "value": [v for _, v in pairs]},
                        schema={"key": pl.String, "value": pl.String})


def sources_report(result: VetResult) -> list[dict[str, object]]:
    """Per input file: the format recognised and the rows taken or set aside."""
    rows: list[dict[str, object]] = [
        {"file": s.source, "format": s.family, "holds": s.kind, "rows": s.rows, "taken": s.taken, "set_aside": s.set_aside}
        for s in result.sources
    ]
    rows += [{"file": s.source, "format": "skipped", "holds": "", "rows": 0, "taken": 0, "set_aside": 0, "reason": s.reason}
             for s in result.skipped]
    return rows


def output_paths(out: Path) -> dict[str, Path]:
    return {
        "ranked": out,
        "rejected": out.with_name(f"{out.stem}.rejected.csv"),
        "meta": out.with_name(f"{out.stem}.meta.json"),
    }


# Fractions in every table kolvet writes; a workbook shows them as percentages (the CSV keeps
# the fraction, which other tools read as a number).
PERCENT_COLUMNS = frozenset({M.SAVE_RATE, M.LIKE_RATE, M.COMMENT_RATE, M.SHARE_RATE, M.ENGAGEMENT_RATE, M.WEIGHTED_RATE,
                             M.HIT_RATE,
                             M.CENSORED_SHARE, S.ACTIVE_FANS, C.TEMPLATE_SHARE})


def check_outputs(out: str | Path, inputs: set[Path], posts_out: str | Path | None = None) -> dict[str, Path]:
    """Every file a vet run writes, by what it holds, checked before the work rather than after
    it (io.check_targets)."""
    io.check_file_name(Path(out))  # before the other names are made from it
    paths = output_paths(Path(out))
    if posts_out is not None:
        paths["posts"] = Path(posts_out)
    io.check_targets(paths, inputs, {"ranked": io.WRITABLE, "posts": io.WRITABLE})
    return paths


def write_result(result: VetResult, out: str | Path, inputs: set[Path] | None = None,
                 posts_out: str | Path | None = None) -> dict[str, Path]:
    """Write the ranking (format from the extension), the set-aside rows beside it as
    <stem>.rejected.csv, the run's metadata, and optionally per-note flags. All atomic."""
    out = Path(out)
    paths = check_outputs(out, inputs or set(), posts_out)
    table = ranked_table(result)
    meta = metadata(result)
    suffix = out.suffix.lower()
    inputs_read = sources_report(result)  # per input file: format, rows taken and set aside
    if suffix == ".xlsx":
        sheets = {"ranking": table, "about": about_sheet(meta)}
        if inputs_read:
            sheets["inputs"] = pl.from_dicts(inputs_read, infer_schema_length=None)
        io.write_workbook(sheets, out, PERCENT_COLUMNS)
    else:
        as_text = {**meta, "inputs": json.dumps(inputs_read, ensure_ascii=False)}  # Parquet holds text only
        io.write_frame(guard_formulas(table) if suffix == ".csv" else table, out,
                       metadata={".parquet": as_text, ".json": {**readable(meta), "inputs": inputs_read}}.get(suffix))
    written = {"ranked": out}
    if result.rejected.height:
        io.write_frame(guard_formulas(result.rejected), paths["rejected"])
        written["rejected"] = paths["rejected"]
    elif paths["rejected"].exists():
        try:
            paths["rejected"].unlink()  # a stale file from an earlier run would mislead
        except OSError as exc:
            raise KolvetError(f"{paths['rejected']}: can't remove the earlier run's set-aside rows ({exc.strerror})") from None
    if suffix == ".csv":
        io.write_text(json.dumps({**readable(meta), "inputs": inputs_read}, ensure_ascii=False, indent=1) + "\n", paths["meta"])
        written["meta"] = paths["meta"]
    if posts_out is not None:
        write_posts(result, paths["posts"])
        written["posts"] = paths["posts"]
    return written


def write_posts(result: VetResult, path: str | Path) -> Path:
    cols = [c for c in POST_COLUMNS if c in result.posts.columns]
    frame = result.posts.select(cols).sort([S.CREATOR_ID, S.POSTED_AT, S.POST_ID]).with_columns(
        pl.col(M.NOTE_SPIKE).round(2), pl.col(M.NOTE_RATIO_DEV).round(2)
    )
    target = Path(path)
    if target.suffix.lower() == ".xlsx":
        return io.write_workbook({"notes": frame}, target)
    return io.write_frame(guard_formulas(frame) if target.suffix.lower() == ".csv" else frame, target)


def write_shortlist(table: pl.DataFrame, path: str | Path, about: dict[str, str] | None = None) -> Path:
    """A campaign-brief export: the vet columns plus whatever note column the caller added.
    An XLSX brief carries the run's metadata on an `about` sheet, as a ranking does."""
    target = Path(path)
    if target.suffix.lower() == ".xlsx":
        sheets = {"shortlist": table}
        if about:
            sheets["about"] = about_sheet(about)
        return io.write_workbook(sheets, target, PERCENT_COLUMNS)
    return io.write_frame(guard_formulas(table), target)
