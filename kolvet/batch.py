"""Batch roster vetting (`kolvet batch`): many agency rosters, one combined cohort.

Each roster (a file or a folder) is read on its own, so a roster that can't be read (corrupt
file, unmappable columns, bad encoding) is recorded in the summary with its reason while the
others complete. A roster of creators only (a brand's candidate sheet, no notes) is judged on
the notes the other rosters hold; its creators nobody has notes for are listed as
insufficient_data. The rosters that load are scored together, once, so peer comparisons, peer
percentiles and the fraud model are the same for every roster; the ranking is then split back
into one file per roster, ranked 1..N within the roster in the combined order.

What lands in OUT_DIR:
  <roster>.ranked.csv    the usual ranked columns (see README), with `also_in` (the other
                         rosters that list the creator) and, with --previous, `change` right
                         after `verdict`; rank is within the roster, peer_percentile and the
                         fraud columns are against the combined cohort; last, the
                         columns of the roster's own sheets (and the --creators table's)
                         that kolvet doesn't read, such as 对接人 (schema.own_columns)
  <roster>.rejected.csv  rows set aside while reading that roster, with a reason (only when any)
  creators_file.rejected.csv  rows of the --creators table set aside (only when any)
  batch.xlsx             with --xlsx: the summary, a sheet per roster, and the run's settings
  batch.meta.json        weights and settings of the run, and the files each roster read
  summary.csv            one row per roster, in the order given, written last: roster,
                         creators, shortlisted, review, rejected, insufficient_data, flagged,
                         median_score (of judged creators), top_creator (rank 1), problems
                         (why it failed, or rows set aside and files skipped); then status
                         (ok | failed), rows_set_aside, shared_creators and, with --previous,
                         the counts new, dropped, newly_flagged, score_up, score_down
                         (score moves of creators whose own notes changed, not the peers)

Roster names are the file stem or folder name; a name used twice gets "-2", "-3"...
A failed roster's stale files from an earlier run in OUT_DIR are removed, and summary.csv is
removed when the run starts: every file is written atomically, and summary.csv is written last,
so a folder with a summary.csv holds one complete batch.

A creator listed in several rosters is scored once, on the union of their notes (a note found in
two rosters counts once: the newest snapshot, matched by creator and note id), and appears in
each roster's file with the same score; `also_in` names the other rosters.

Re-vetting (--previous DIR) compares each roster with DIR/<roster>.ranked.csv by creator_id.
`change` reads "new", "unchanged", or what moved: "newly flagged", "flag cleared",
"score +4.2" / "score -3.0" (moves under MIN_SCORE_CHANGE, 1 point, count as unchanged: the
cohort itself shifts a little every month; a larger move of a creator whose own notes give the
same figures reads "score +1.7 (peers moved; own notes the same)"), "review -> shortlist",
joined with "; ".
Creators who were on the roster before and are gone now are appended at the end of the
roster's file with no rank and change "dropped (was rank 3, score 71.2, shortlist)": the account
team sees who left where it looks for the roster, and the next --previous run ignores those rows.
A roster with no file in DIR is new: every creator is "new".
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import polars as pl

from kolvet import digits as D
from kolvet import export, io
from kolvet import fraud as F
from kolvet import metrics as M
from kolvet import schema as S
from kolvet import score as SC
from kolvet import shortlist as SL
from kolvet import snapshots as SN
from kolvet.config import Config
from kolvet.errors import KolvetError
from kolvet.pipeline import Loaded, VetResult, load, vet_loaded
from kolvet.text import counted, tally

ROSTER = "roster"
ALSO_IN = "also_in"
CHANGE = "change"
SUMMARY_FILE = "summary.csv"
WORKBOOK_FILE = "batch.xlsx"
META_FILE = "batch.meta.json"
RANKED_SUFFIX = ".ranked.csv"
REJECTED_SUFFIX = ".rejected.csv"
CREATORS_REJECTED = "creators_file"  # rows of --creators set aside: creators_file.rejected.csv

# summary.csv: the columns the issue asks for, then the bookkeeping a script wants.
SUMMARY_COLUMNS = ("roster", "creators", "shortlisted", "review", "rejected", "insufficient_data",
                   "flagged", "median_score", "top_creator", "problems")
EXTRA_SUMMARY_COLUMNS = ("status", "rows_set_aside", "shared_creators")
CHANGE_COUNTS = ("new", "dropped", "newly_flagged", "score_up", "score_down")
VERDICT_COLUMN = {"shortlist": "shortlisted", "review": "review", "reject": "rejected",
                  "insufficient_data": "insufficient_data"}
# A month's new notes and a slightly different cohort move most scores by a fraction of a
# point; "score -0.3" on every row would bury the changes an account team should act on.
MIN_SCORE_CHANGE = 1.0
# What a creator's own notes give, as a ranked file writes it: the same in both runs means a
# score move came from the peers. Medians alone would miss notes boosted above the median, so
# the ratios of sums (saves/likes...) and the hit rate are compared too.
OWN_DATA = (M.N_POSTS, M.N_POSTS_TOTAL, S.FOLLOWERS, M.WEIGHTED_RATE, M.SAVE_RATE, M.ENGAGEMENT_RATE, M.MEDIAN_INTERACTIONS,
            M.SAVE_LIKE, M.COMMENT_LIKE, M.SHARE_LIKE, M.HIT_RATE)
PEERS_MOVED = "peers moved; own notes the same"


@dataclass
class Roster:
    """One agency roster: where it came from and what reading it gave."""

    name: str
    path: str
    loaded: Loaded | None = None
    error: str | None = None


@dataclass
class BatchReport:
    summary: pl.DataFrame  # one row per roster, in the order given (SUMMARY_COLUMNS first)
    written: list[Path]
    failed: int  # rosters that could not be read
    flagged: int  # distinct flagged creators over all rosters
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)  # roster -> ranked table as written
    result: VetResult | None = None  # the combined cohort, for callers that want more


# ---- naming ---------------------------------------------------------------------------------

_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f]')


def roster_names(paths: Sequence[str | os.PathLike[str]]) -> list[str]:
    """File stem or folder name, safe as a file name; repeats get -2, -3 (case-insensitively,
    for file systems that ignore case)."""
    names: list[str] = []
    used: set[str] = {CREATORS_REJECTED}  # its .rejected.csv is taken
    for raw in paths:
        p = Path(raw)
        base = (p.resolve().name if p.is_dir() else p.stem) or p.resolve().name
        base = _UNSAFE.sub("_", base).strip().lstrip(".") or "roster"
        name, n = base, 1
        while name.lower() in used:
            n += 1
            name = f"{base}-{n}"
        used.add(name.lower())
        names.append(name)
    return names


# ---- reading --------------------------------------------------------------------------------

def read_roster(roster: Roster, config: Config, encoding: str | None, sheet: str | None) -> Roster:
    """Load one roster; any failure is kept as the roster's one-line reason, never raised."""
    try:
        # A roster sheet alone still names its creators: other rosters may hold their notes,
        # and those without any are listed as insufficient_data, not lost with a failed roster.
        roster.loaded = load([roster.path], config, None, encoding, sheet, require_notes=False)
    except KolvetError as exc:
        roster.error = str(exc)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - a reader crashing on one corrupt file (some raise
        # BaseException subclasses from Rust) must not stop the other rosters
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
        roster.error = f"{roster.path}: can't read ({type(exc).__name__}{': ' + first if first else ''})"
    return roster


def read_creators(creators_file: str, config: Config,
                  encoding: str | None) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame | None]:
    """The shared creators table, read once for all rosters (pipeline.load would re-read it
    per roster), from config.input.creators_sheet. An unusable creators file stops the batch:
    every roster depends on it."""
    table = io.read_creators_file(creators_file, config.input.aliases, encoding or config.input.encoding,
                                  config.input.creators_sheet)
    bench = {k: b.aliases for k, b in config.benchmarks.items()}
    creators, rejected = S.parse_creators(table.frame, table.mapping, table.source, bench)
    creators, conflicting = SN.one_row_per_creator(creators)  # as pipeline.load does
    return creators, pl.concat([rejected, conflicting]), S.own_columns(table.frame, table.mapping)


def combine(rosters: list[Roster], creators: pl.DataFrame | None) -> tuple[Loaded, pl.DataFrame]:
    """One Loaded for the whole cohort, and who is on which roster (roster, creator_id).

    A note held by two rosters for the same creator is kept once (the newest snapshot);
    merge_snapshots keys notes by (creator_id, post_id), so rosters that number notes 1, 2, 3...
    don't erase each other. A creators row that lost to another roster's is added to its own
    roster's set-aside rows (Roster.loaded is replaced)."""
    ok = [r for r in rosters if r.loaded is not None]
    membership = pl.concat([
        r.loaded.posts.select(pl.lit(r.name).alias(ROSTER), S.CREATOR_ID).unique(S.CREATOR_ID, maintain_order=True)
        for r in ok
    ])
    posts = pl.concat([r.loaded.posts for r in ok], how="vertical")
    if membership.get_column(S.CREATOR_ID).is_duplicated().any():
        posts, _copies = S.merge_snapshots(posts)  # copies: the same notes, kept from another roster
    # A roster's creators without a usable note are still its creators: listed, with the reason,
    # unless another roster has notes for them.
    lists = [r.loaded.without_notes.with_columns(pl.lit(r.name).alias(ROSTER)) for r in ok
             if r.loaded.without_notes is not None and r.loaded.without_notes.height]
    without = pl.DataFrame(schema={S.CREATOR_ID: pl.String, S.NO_NOTES: pl.String})  # the --creators table adds no one
    if lists:
        listed = pl.concat(lists)
        membership = pl.concat([membership, listed.select(ROSTER, S.CREATOR_ID)]).unique(maintain_order=True)
        without = (listed.unique(S.CREATOR_ID, keep="first", maintain_order=True)
                   .join(posts.select(S.CREATOR_ID).unique(), on=S.CREATOR_ID, how="anti")
                   .select(S.CREATOR_ID, S.NO_NOTES).sort(S.CREATOR_ID))
    sources = [s for r in ok for s in r.loaded.sources]
    skipped = [s for r in ok for s in r.loaded.skipped]
    # Profiles and roster sheets found inside roster folders give followers; the --creators
    # table wins. Two rosters' rows for one creator that disagree are set aside as within one
    # roster: in the roster whose file lost, so its summary and rejected file say so.
    profiles = [r.loaded.creators for r in ok if r.loaded.creators is not None]
    found = pl.concat(profiles, how="vertical") if profiles else None
    if found is not None:
        found, conflicts = S.merge_creator_rows(found)
        for r in ok:
            files = {src.source for src in r.loaded.sources}
            if (mine := conflicts.filter(pl.col(S.SOURCE).is_in(list(files)))).height:
                r.loaded = replace(r.loaded, rejected=pl.concat([r.loaded.rejected, mine], how="vertical"))
    rejected = pl.concat([r.loaded.rejected for r in ok], how="vertical")
    comments = [r.loaded.comments for r in ok if r.loaded.comments is not None]
    return Loaded(posts, found, rejected, sources, skipped, roster=creators,
                  comments=pl.concat(comments, how="vertical") if comments else None,
                  digits=D.add(*(r.loaded.digits for r in ok)), without_notes=without), membership


def _theirs(own: pl.DataFrame | None, table: pl.DataFrame) -> pl.DataFrame | None:
    """A roster's own columns, less those none of its ranked creators has a value in (the
    --creators table's columns that only other rosters' creators fill)."""
    if own is None:
        return None
    own = own.join(table.select(S.CREATOR_ID), on=S.CREATOR_ID, how="semi")
    given = [c for c in own.columns if c != S.CREATOR_ID and own.get_column(c).null_count() < own.height]
    return own.select(S.CREATOR_ID, *given) if given else None


def creators_file_notice(creators: pl.DataFrame | None, membership: pl.DataFrame) -> list[str]:
    """What the --creators table gave the rosters: batch vets the creators its rosters name, and
    looks them up there. Say when it holds none of them (keyed by another id?) or holds others."""
    if creators is None or creators.height == 0 or membership.height == 0:
        return []
    listed, named = creators.get_column(S.CREATOR_ID), membership.get_column(S.CREATOR_ID).unique().sort()
    source = creators.get_column(S.SOURCE).min()
    if not named.is_in(listed.implode()).any():
        return [f"--creators: none of the rosters' {named.len():,} creators is in {source} (its ids such as "
                f"{', '.join(listed.sort().head(2))}; the rosters' such as {', '.join(named.head(2))}). "
                "Are both keyed by the same id (a user_id, not a 小红书号)?"]
    if unlisted := int((~listed.is_in(named.implode())).sum()):
        return [f"--creators: {unlisted:,} of the {creators.height:,} creators in {source} are on no roster, so not "
                "vetted (batch vets the creators its rosters name; --creators adds their followers, category and quote)"]
    return []


# ---- splitting the cohort back into rosters -------------------------------------------------

def split_by_roster(cohort: pl.DataFrame, membership: pl.DataFrame, names: list[str]) -> dict[str, pl.DataFrame]:
    """Each roster's creators from the cohort's ranked table, ranked 1..N within the roster in
    the cohort's order, with the other rosters that list the same creator."""
    order = pl.DataFrame({ROSTER: names, "_o": list(range(len(names)))}, schema={ROSTER: pl.String, "_o": pl.Int64})
    others = (
        membership.join(membership.rename({ROSTER: "_other"}), on=S.CREATOR_ID)
        .filter(pl.col("_other") != pl.col(ROSTER))
        .join(order.rename({ROSTER: "_other"}), on="_other")
        .sort("_o")
        .group_by(ROSTER, S.CREATOR_ID, maintain_order=True)
        .agg(pl.col("_other").str.join(", ").alias(ALSO_IN))
    )
    joined = (
        membership.join(cohort, on=S.CREATOR_ID, how="inner")
        .join(others, on=[ROSTER, S.CREATOR_ID], how="left")
        .sort(SL.RANK)
    )
    head = [c for c in cohort.columns if c in export.HEAD]
    cols = [*head, ALSO_IN, *[c for c in cohort.columns if c not in head]]
    parts = joined.partition_by(ROSTER, as_dict=True, maintain_order=True)
    return {
        name: part.select(cols).with_columns(pl.int_range(1, part.height + 1, dtype=pl.Int64).alias(SL.RANK))
        for name in names if (part := parts.get((name,))) is not None
    }


# ---- comparing with an earlier batch --------------------------------------------------------

def read_previous_roster(prev_dir: Path, name: str) -> pl.DataFrame | None:
    """The creators of DIR/<roster>.ranked.csv (dropped rows of that run left out), or None
    when the roster wasn't in that batch. Raises KolvetError when the file can't be read."""
    path = prev_dir / f"{name}{RANKED_SUFFIX}"
    if not path.is_file():
        return None
    frame = io.read_previous(path, typed=export.KOLVET_COLUMNS)  # unreadable: a KolvetError naming the file
    need = [S.CREATOR_ID, SL.RANK, SC.SCORE, F.FRAUD_FLAG, SL.VERDICT]
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise KolvetError(f"{path}: not a kolvet ranked file (no {', '.join(missing)})")
    return previous_creators(frame)


def previous_creators(frame: pl.DataFrame) -> pl.DataFrame:
    """An earlier ranked table as io.read_previous gives it (flags maybe as text) -> comparable
    values, without the rows that earlier run appended for dropped creators (no rank)."""
    text = [c for c in (S.CREATOR_ID, S.NICKNAME, S.CATEGORY, SL.VERDICT) if c in frame.columns]
    return (
        frame.with_columns(pl.col(c).cast(pl.String) for c in text)
        .with_columns(
            pl.col(SL.RANK).cast(pl.Int64, strict=False),
            pl.col(SC.SCORE).cast(pl.Float64, strict=False),
            (pl.col(F.FRAUD_FLAG).cast(pl.String).str.to_lowercase() == "true").fill_null(False).alias(F.FRAUD_FLAG),
        )
        .filter(pl.col(SL.RANK).is_not_null())
    )


def _same(now: pl.Expr, before: pl.Expr) -> pl.Expr:
    """Equal as written to a ranked file (CSV writes floats that read back exactly; the
    tolerance covers a file that went through a spreadsheet); two blanks are the same."""
    close = (now - before).abs() <= 1e-9 * pl.max_horizontal(now.abs(), before.abs(), pl.lit(1.0))
    return pl.when(now.is_null() & before.is_null()).then(pl.lit(True)).otherwise(close.fill_null(False))


def add_changes(table: pl.DataFrame, previous: pl.DataFrame | None,
                min_score_change: float = MIN_SCORE_CHANGE) -> pl.DataFrame:
    """Add `change` to a roster's ranked table and append the creators who left the roster."""
    if previous is None:
        return _insert_change(table, pl.lit("new"))
    # An earlier file without one of them (an older kolvet's) can't show the notes unchanged.
    own = list(OWN_DATA) if all(c in previous.columns and c in table.columns for c in OWN_DATA) else []
    prev = previous.select(
        S.CREATOR_ID,
        *[pl.col(c).alias(f"_prev_{c}") for c in (SL.RANK, SC.SCORE, F.FRAUD_FLAG, SL.VERDICT)],
        *[pl.col(c).cast(pl.Float64, strict=False).alias(f"_prev_{c}") for c in own],
    ).unique(S.CREATOR_ID, keep="first", maintain_order=True)
    delta = pl.col(SC.SCORE) - pl.col(f"_prev_{SC.SCORE}")
    # Scores are relative to peers: a creator whose own notes gave the same figures moved
    # because the cohort did, and the account team should see that it isn't the creator.
    same_own = pl.all_horizontal(_same(pl.col(c).cast(pl.Float64, strict=False), pl.col(f"_prev_{c}")) for c in own) \
        if own else pl.lit(False)
    flag_now = pl.col(F.FRAUD_FLAG).fill_null(False)
    flag_before = pl.col(f"_prev_{F.FRAUD_FLAG}")
    parts = [
        pl.when(flag_now & ~flag_before).then(pl.lit("newly flagged"))
        .when(~flag_now & flag_before).then(pl.lit("flag cleared")),
        pl.when(delta.abs() >= min_score_change - 1e-9)
        .then(pl.lit("score ") + pl.when(delta > 0).then(pl.lit("+")).otherwise(pl.lit(""))
              + delta.round(1).cast(pl.String)
              + pl.when(same_own).then(pl.lit(f" ({PEERS_MOVED})")).otherwise(pl.lit(""))),
        pl.when(pl.col(SL.VERDICT) != pl.col(f"_prev_{SL.VERDICT}"))
        .then(pl.col(f"_prev_{SL.VERDICT}") + " -> " + pl.col(SL.VERDICT)),
    ]
    moved = pl.concat_str(parts, separator="; ", ignore_nulls=True)
    change = (
        pl.when(pl.col(f"_prev_{SL.RANK}").is_null()).then(pl.lit("new"))
        .when(moved != "").then(moved)
        .otherwise(pl.lit("unchanged"))
    )
    joined = table.join(prev, on=S.CREATOR_ID, how="left", maintain_order="left")
    current = _insert_change(joined, change).drop(c for c in joined.columns if c.startswith("_prev_"))

    gone = previous.join(table.select(S.CREATOR_ID), on=S.CREATOR_ID, how="anti").sort(SL.RANK)
    if gone.height == 0:
        return current
    score_text = pl.when(pl.col(SC.SCORE).is_null()).then(pl.lit("-")).otherwise(pl.col(SC.SCORE).round(1).cast(pl.String))
    keep = [c for c in (S.CREATOR_ID, S.NICKNAME, S.CATEGORY, S.FOLLOWERS) if c in gone.columns]
    dropped = gone.select(
        *[pl.col(c).cast(current.schema[c], strict=False) for c in keep],
        pl.format("dropped (was rank {}, score {}, {})", pl.col(SL.RANK), score_text, pl.col(SL.VERDICT)).alias(CHANGE),
    )
    return pl.concat([current, dropped], how="diagonal_relaxed").select(current.columns)


def _insert_change(table: pl.DataFrame, change: pl.Expr) -> pl.DataFrame:
    """`change` goes right after `also_in`, beside the verdict where an account team looks."""
    cols = list(table.columns)
    at = cols.index(ALSO_IN) + 1 if ALSO_IN in cols else len(cols)
    return table.with_columns(change.alias(CHANGE)).select(*cols[:at], CHANGE, *cols[at:])


def change_counts(table: pl.DataFrame) -> dict[str, int]:
    change = table.get_column(CHANGE).fill_null("")
    peers = change.str.contains(PEERS_MOVED, literal=True)
    return {
        "new": int((change == "new").sum()),
        "dropped": int(change.str.starts_with("dropped").sum()),
        "newly_flagged": int(change.str.contains("newly flagged", literal=True).sum()),
        "score_up": int((change.str.contains("score +", literal=True) & ~peers).sum()),
        "score_down": int((change.str.contains(r"score -\d") & ~peers).sum()),
    }


# ---- the summary ----------------------------------------------------------------------------

def _cohort_changed(prev_dir: Path, names: list[str]) -> list[str]:
    """Scores and flags are relative to the creators vetted together: when the earlier batch
    vetted other rosters, a creator's `change` can come from its peers, not from it."""
    try:
        before = set(pl.read_csv(prev_dir / SUMMARY_FILE, columns=["roster"], infer_schema=False).get_column("roster"))
    except Exception:  # no or unreadable summary: each roster's own file still compares
        return []
    added, gone = sorted(set(names) - before), sorted(before - set(names))
    if not added and not gone:
        return []
    what = "; ".join(filter(None, [f"now also {', '.join(added)}" if added else "",
                                   f"no longer {', '.join(gone)}" if gone else ""]))
    return [f"--previous: {prev_dir} vetted other rosters ({what}), so peers differ: a creator's score and flag "
            "can move because the cohort did, not only because the creator did"]


def _problems(roster: Roster, previous_problem: str | None = None, warnings: Sequence[str] = ()) -> str | None:
    if roster.error is not None:
        return roster.error
    loaded = roster.loaded
    notes = []
    if loaded is not None and loaded.posts.height == 0:
        notes.append("no notes in its own files (creators only): its creators are judged on the notes other "
                     "rosters hold, and listed as insufficient_data where none does")
    if loaded is not None and loaded.rejected.height:
        for kept, what in ((False, "set aside"), (True, "kept with a bad cell left empty")):
            reasons = S.reasons_counted(loaded.rejected, kept)
            if reasons:
                rows = counted(sum(n for _, n in reasons), "row")
                notes.append(f"{rows} {what} ({tally(reasons, 3)}), see {roster.name}{REJECTED_SUFFIX}")
        if replaced := S.snapshots_replaced(loaded.rejected):
            notes.append(f"{counted(replaced, 'older snapshot')} (or copies) replaced by newer ones, listed in {roster.name}{REJECTED_SUFFIX}")
    if skipped := tables_skipped(loaded):
        shown = "; ".join(f"{Path(s.source).name}: {s.reason}" for s in skipped[:3])
        n = len(skipped)
        notes.append(f"{counted(n, 'file')} skipped ({shown}{'; ...' if n > 3 else ''})")
    notes += warnings
    if previous_problem:
        notes.append(previous_problem)
    return "; ".join(notes) or None


def roster_status(roster: Roster) -> str:
    """failed (unreadable), files skipped (vetted without some of its files: see problems), or ok."""
    if roster.error is not None:
        return "failed"
    return "files skipped" if tables_skipped(roster.loaded) else "ok"


def tables_skipped(loaded: Loaded | None) -> list[io.SkippedFile]:
    """The tables a roster was vetted without; its folder's images and the like are no loss."""
    return [s for s in loaded.skipped if s.table] if loaded is not None else []


def summary_row(roster: Roster, table: pl.DataFrame | None, previous_problem: str | None,
                with_changes: bool, result: VetResult | None = None) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys((*SUMMARY_COLUMNS, *EXTRA_SUMMARY_COLUMNS))
    row[ROSTER] = roster.name
    files = {s.source for s in roster.loaded.sources} if roster.loaded is not None else set()
    warnings = [w for source, w in (result.warnings_by_file() if result else []) if source in files]
    row["problems"] = _problems(roster, previous_problem, warnings)
    row["status"] = roster_status(roster)
    if with_changes:
        row.update(dict.fromkeys(CHANGE_COUNTS))
    if table is None or roster.loaded is None:
        return row
    current = table.filter(pl.col(SL.RANK).is_not_null())
    verdicts = dict(current.group_by(SL.VERDICT).len().iter_rows())
    row["creators"] = current.height
    for verdict, col in VERDICT_COLUMN.items():
        row[col] = int(verdicts.get(verdict, 0))
    row["flagged"] = int(current.get_column(F.FRAUD_FLAG).fill_null(False).sum())
    judged = current.filter(pl.col(SL.VERDICT) != "insufficient_data").get_column(SC.SCORE).drop_nulls()
    row["median_score"] = round(float(judged.median()), 1) if judged.len() else None
    if current.height and current.item(0, SL.VERDICT) != "insufficient_data":  # not an unjudged one
        top = current.row(0, named=True)
        row["top_creator"] = f"{top[S.NICKNAME]} ({top[S.CREATOR_ID]})" if top.get(S.NICKNAME) else top[S.CREATOR_ID]
    row["rows_set_aside"] = roster.loaded.rejected.filter(~S.row_kept()).height
    row["shared_creators"] = int(current.get_column(ALSO_IN).is_not_null().sum())
    if with_changes:
        row.update(change_counts(table))
    return row


SUMMARY_SCHEMA: dict[str, pl.DataType] = {
    "roster": pl.String(), "creators": pl.Int64(), "shortlisted": pl.Int64(), "review": pl.Int64(),
    "rejected": pl.Int64(), "insufficient_data": pl.Int64(), "flagged": pl.Int64(),
    "median_score": pl.Float64(), "top_creator": pl.String(), "problems": pl.String(),
    "status": pl.String(), "rows_set_aside": pl.Int64(), "shared_creators": pl.Int64(),
    **{c: pl.Int64() for c in CHANGE_COUNTS},
}


# ---- the run --------------------------------------------------------------------------------

def run_batch(rosters: Sequence[str | os.PathLike[str]], out_dir: str | os.PathLike[str],
              config: Config | None = None, *, creators_file: str | None = None,
              previous: str | os.PathLike[str] | None = None, xlsx: bool = False,
              encoding: str | None = None, sheet: str | None = None, as_of: datetime | None = None,
              fraud_model: F.FraudModel | None = None, quiet: bool = False, console=None) -> BatchReport:
    """Vet every roster against one combined cohort and write OUT_DIR (see the module doc).
    Raises KolvetError only for problems that concern the whole batch (OUT_DIR, --previous,
    --creators); a roster's own problems go to its summary row."""
    config = config or Config()
    if not rosters:
        raise KolvetError("no rosters given")
    out = Path(out_dir)
    prev_dir = Path(previous) if previous is not None else None
    if prev_dir is not None and not prev_dir.is_dir():
        raise KolvetError(f"--previous {prev_dir}: no such folder (give an earlier batch's --out-dir)")
    if prev_dir is not None and not ((prev_dir / SUMMARY_FILE).is_file() or any(prev_dir.glob(f"*{RANKED_SUFFIX}"))):
        # Else every creator would read as new, which looks like a result.
        raise KolvetError(f"--previous {prev_dir}: not an earlier batch's output (no {SUMMARY_FILE} or "
                          f"*{RANKED_SUFFIX} in it; give that batch's --out-dir)")
    if out.exists() and not out.is_dir():
        raise KolvetError(f"--out-dir {out}: is a file, not a folder")
    creators, creators_aside, creators_own = read_creators(creators_file, config, encoding) if creators_file else (None, None, None)

    seen: dict[Path, str] = {}
    for path in rosters:  # one roster twice would count its creators twice among everyone's peers
        key = Path(path).resolve()
        if key in seen:
            raise KolvetError(f"{path}: given twice as a roster (also as {seen[key]}); give each roster once")
        seen[key] = str(path)
    names = roster_names(rosters)
    batch = [Roster(name, str(path)) for name, path in zip(names, rosters, strict=True)]
    with _progress(console, quiet) as bar:
        task = bar.add_task("reading", total=len(batch))
        for roster in batch:
            bar.update(task, description=f"reading {roster.name}")
            read_roster(roster, config, encoding, sheet)
            bar.advance(task)

        # Read the earlier batch before writing anything: OUT_DIR may be the same folder.
        previous_tables: dict[str, pl.DataFrame | None] = {}
        previous_problems: dict[str, str] = {}
        if prev_dir is not None:
            for roster in batch:
                try:
                    previous_tables[roster.name] = read_previous_roster(prev_dir, roster.name)
                except KolvetError as exc:
                    previous_problems[roster.name] = f"--previous: {exc}"

        ok = [r for r in batch if r.loaded is not None]
        if not any(r.loaded.posts.height for r in ok):  # roster sheets alone: nothing to judge anyone on
            for r in ok:
                r.error, r.loaded = f"no notes found in {r.path} (it holds creators only, and no roster has notes)", None
            ok = []
        tables: dict[str, pl.DataFrame] = {}
        result = None
        if ok:
            task = bar.add_task(f"scoring {sum(r.loaded.posts.height for r in ok):,} notes", total=1)
            loaded, membership = combine(ok, creators)
            result = vet_loaded(loaded, config, fraud_model, as_of, roster_notice=False)
            result.notices += creators_file_notice(creators, membership)
            tables = split_by_roster(export.ranked_table(result), membership, [r.name for r in ok])
            if prev_dir is not None:
                result.notices += _cohort_changed(prev_dir, [r.name for r in ok])
                tables = {n: t if n in previous_problems else add_changes(t, previous_tables.get(n))
                          for n, t in tables.items()}
            # Each roster's own columns (its sheets', then the --creators table's) on its own table only.
            own = {r.name: S.merge_own_columns([r.loaded.own_columns, creators_own]) for r in ok}
            tables = {n: export.with_own_columns(t, _theirs(own[n], t)) for n, t in tables.items()}
            bar.advance(task)

        summary = pl.DataFrame(
            [summary_row(r, tables.get(r.name), previous_problems.get(r.name), prev_dir is not None, result) for r in batch],
            schema={k: v for k, v in SUMMARY_SCHEMA.items() if prev_dir is not None or k not in CHANGE_COUNTS},
            orient="row",
        )
        written = _write(out, batch, tables, summary, result, creators_file, creators_aside, xlsx, bar)

    flagged_ids = {cid for t in tables.values()
                   for cid in t.filter(pl.col(F.FRAUD_FLAG).fill_null(False)).get_column(S.CREATOR_ID).to_list()}
    return BatchReport(summary, written, sum(r.error is not None for r in batch), len(flagged_ids), tables, result)


def _write(out: Path, batch: list[Roster], tables: dict[str, pl.DataFrame], summary: pl.DataFrame,
           result: VetResult | None, creators_file: str | None, creators_aside: pl.DataFrame | None,
           xlsx: bool, bar) -> list[Path]:
    """Every file atomically; summary.csv last, so it only exists beside a complete batch."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise KolvetError(f"--out-dir {out}: can't create ({exc.strerror})") from None
    inputs = {io.source_file(s.source).resolve() for r in batch if r.loaded for s in r.loaded.sources}
    if creators_file:
        inputs.add(Path(creators_file).resolve())
    targets = [out / f"{r.name}{suffix}" for r in batch for suffix in (RANKED_SUFFIX, REJECTED_SUFFIX)]
    targets += [out / SUMMARY_FILE, out / META_FILE, out / f"{CREATORS_REJECTED}{REJECTED_SUFFIX}"]
    targets += [out / WORKBOOK_FILE] if xlsx else []
    io.check_targets({t.name: t for t in targets}, inputs)
    (out / SUMMARY_FILE).unlink(missing_ok=True)

    written: list[Path] = []
    task = bar.add_task("writing", total=len(batch) + 2 + xlsx)
    for roster in batch:
        bar.update(task, description=f"writing {roster.name}")
        ranked, rejected = out / f"{roster.name}{RANKED_SUFFIX}", out / f"{roster.name}{REJECTED_SUFFIX}"
        table = tables.get(roster.name)
        if table is None:  # failed: an old file here would pass for this run's result
            ranked.unlink(missing_ok=True)
        else:
            written.append(io.write_frame(export.guard_formulas(table), ranked))
        if roster.loaded is not None and roster.loaded.rejected.height:
            written.append(io.write_frame(export.guard_formulas(roster.loaded.rejected), rejected))
        else:
            rejected.unlink(missing_ok=True)
        bar.advance(task)

    aside_path = out / f"{CREATORS_REJECTED}{REJECTED_SUFFIX}"
    if creators_aside is not None and creators_aside.height:
        written.append(io.write_frame(export.guard_formulas(creators_aside), aside_path))
    else:
        aside_path.unlink(missing_ok=True)

    meta: dict[str, object] = {**(result.meta if result else {})}
    if creators_file:
        meta["creators_file"] = {"file": creators_file, "set_aside": 0 if creators_aside is None else creators_aside.height}
    meta["rosters"] = [
        {"roster": r.name, "input": r.path, "status": roster_status(r),
         "files": [s.source for s in r.loaded.sources] if r.loaded else [], "error": r.error}
        for r in batch
    ]
    written.append(io.write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n", out / META_FILE))
    bar.advance(task)
    if xlsx:
        bar.update(task, description="writing the workbook")
        sheets = {"summary": summary, **tables, "about": export.about_sheet(result.meta if result else {})}
        written.append(io.write_workbook(sheets, out / WORKBOOK_FILE, export.PERCENT_COLUMNS))
        bar.advance(task)
    written.append(io.write_frame(export.guard_formulas(summary), out / SUMMARY_FILE))
    bar.advance(task)
    return written


def _progress(console, quiet: bool):
    """A rich progress bar over rosters and stages on the given console (stderr); hidden when
    quiet or not a terminal, so scripts and logs stay clean."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    disable = quiet or console is None or not console.is_terminal
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, disable=disable, transient=True)
