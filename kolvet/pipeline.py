"""vet(): the one place where the stages are composed.

files -> io -> schema (map, parse, validate; bad rows set aside) -> metrics -> score
      -> fraud -> score (authenticity penalty) -> shortlist (verdict, rank) -> VetResult

`cli` and `tui` are thin shells over this module; `export` writes what it returns.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl

from kolvet import __version__, io
from kolvet import comments as C
from kolvet import digits as D
from kolvet import fraud as F
from kolvet import metrics as M
from kolvet import schema as S
from kolvet import score as SC
from kolvet import shortlist as SL
from kolvet import snapshots as SN
from kolvet.config import Config
from kolvet.errors import KolvetError
from kolvet.text import counted, tally

Progress = Callable[[str], None]


@dataclass(frozen=True)
class SourceReport:
    """What kolvet made of one input file."""

    source: str
    family: str
    kind: str
    rows: int
    taken: int
    set_aside: int
    columns_passed_over: str = ""  # ColumnMapping.ambiguity(): a header left unread beside one that was
    unread_sheets: str = ""  # io.unread_sheets: a workbook's other sheets with notes or creators
    header_below: str = ""  # io.RawTable.header_below: where the header was, below a title


@dataclass(frozen=True)
class Loaded:
    posts: pl.DataFrame
    creators: pl.DataFrame | None
    rejected: pl.DataFrame
    sources: list[SourceReport]
    skipped: list[io.SkippedFile]
    roster: pl.DataFrame | None = None  # --creators: wins over crawled profiles
    comments: pl.DataFrame | None = None  # crawled comment texts, on notes in `posts`
    digits: pl.DataFrame | None = None  # last digits per notes file as read (digits.tally), before merges
    without_notes: pl.DataFrame | None = None  # creators named in the inputs with no usable note, and why
    own_columns: pl.DataFrame | None = None  # roster sheets' columns kolvet doesn't read, per creator (S.own_columns)

    @classmethod
    def from_frame(cls, posts: pl.DataFrame, roster: pl.DataFrame | None = None, source: str = "memory",
                   profiles: pl.DataFrame | None = None, comments: pl.DataFrame | None = None) -> Loaded:
        """Notes already in kolvet's column names (any subset of POST_SCHEMA) as a Loaded,
        without files: for tests, benchmarks and notebooks. `roster` and `profiles` (crawled
        profiles, which the roster wins over) are parsed creators tables; `comments` parsed
        comments (schema.parse_comments), attached here to the notes' creators."""
        frame = posts.with_columns(
            pl.lit(None, dtype).alias(c) for c, dtype in S.POST_SCHEMA.items() if c not in posts.columns
        ).select(pl.col(c).cast(t) for c, t in S.POST_SCHEMA.items())
        frame = frame.with_columns(pl.col(S.PRECISION).fill_null(S.EXACT), pl.col(S.COUNT_DROPPED).fill_null(False),
                                   pl.col(S.NOTE_VANISHED).fill_null(False),
                                   pl.col(S.SOURCE).fill_null(source))
        attached = S.attach_comments(comments, frame)[0] if comments is not None else None
        return cls(frame, profiles, S.empty_rejected(), [], [], roster, attached, D.tally(frame))


@dataclass(frozen=True)
class NotesPlan:
    """How to annotate notes (rates, window, per-note boost flags) on demand: a full vet needs
    only the per-creator aggregate, so the million-row annotated frame is built only when a
    user asks for notes (--posts-out, the browser's detail view)."""

    posts: pl.DataFrame | pl.LazyFrame
    profiles: pl.LazyFrame
    config: Config
    as_of: datetime
    bursts: pl.DataFrame | None = None  # confirmed bursts (creator_id, burst_end), known once judged
    farms: pl.DataFrame | None = None  # flagged save and comment farms (creator_id, fraud_pattern), the same

    def plan(self, creator_id: str | None = None) -> pl.LazyFrame:
        posts, profiles = self.posts.lazy(), self.profiles
        if creator_id is not None:  # every annotation is per creator, so filter first
            posts = posts.filter(pl.col(S.CREATOR_ID) == creator_id)
            profiles = profiles.filter(pl.col(S.CREATOR_ID) == creator_id)
        return F.note_flags(M.annotate_posts(posts, profiles, self.config, self.as_of), self.config, self.bursts, self.farms)


@dataclass
class VetResult:
    creators: pl.DataFrame  # one row per input creator, ranked
    notes: pl.DataFrame | NotesPlan  # every kept note with rates and boost flags, or how to make them
    rejected: pl.DataFrame  # rows set aside, with a reason
    sources: list[SourceReport] = field(default_factory=list)
    skipped: list[io.SkippedFile] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    config: Config = field(default_factory=Config)
    fraud_model: F.FraudModel | None = None
    workdir: object | None = None  # --streaming: keeps the temporary notes on disk while the result lives
    digits_off: list[D.DigitCheck] = field(default_factory=list)  # files whose counts look typed by hand
    shared_ids: pl.DataFrame | None = None  # per notes file: notes whose post_id is also another creator's
    notices: list[str] = field(default_factory=list)  # about the run as a whole: what it did other than asked
    own_columns: pl.DataFrame | None = None  # the rosters' own columns, handed back at the end of the ranking

    @property
    def warnings(self) -> list[str]:
        """What the user should check about the inputs as a whole."""
        return [w for _, w in self.warnings_by_file()]

    def warnings_by_file(self) -> list[tuple[str, str]]:
        """(notes file, warning): so `batch` can tell each roster its own."""
        out = [(d.source, d.warning) for d in self.digits_off]
        out += [(s.source, f"columns: {s.source}: read {s.columns_passed_over}, which name the same thing; "
                           "to read another, name it in [input.aliases] of a kolvet.toml")
                for s in self.sources if s.columns_passed_over]
        # Notes workbooks are read sheet by sheet (io.data_sheets); a --creators workbook is one table.
        out += [(s.source, f"sheets: {s.source}: read its first sheet only; {s.unread_sheets} hold"
                           f"{'s' if ',' not in s.unread_sheets else ''} data too: pass --creators-sheet NAME "
                           "to read one, or save each sheet as its own file")
                for s in self.sources if s.unread_sheets]
        out += [(s.source, f"header: {s.source}: {s.header_below}: check that the columns read are the right ones")
                for s in self.sources if s.header_below]
        out += [("", n) for n in self.notices]
        for source, n, post_id, creators in (self.shared_ids.iter_rows() if self.shared_ids is not None else []):
            out.append((source, f"note ids: {source}: {counted(n, 'note')} share a post_id with another "
                                f"creator's note (e.g. {post_id}: {creators}); each is kept under its own creator. "
                                "Is the creator column right?"))
        return out

    def rejected_by_reason(self, kept: bool = False) -> list[tuple[str, int]]:
        """The rows set aside by reason, older snapshots apart; with `kept`, the rows
        kept with a bad cell emptied."""
        return S.reasons_counted(self.rejected, kept)

    def snapshots_replaced(self) -> int:
        """Older snapshots of notes and profiles that newer ones replaced (in the rejected file)."""
        return S.snapshots_replaced(self.rejected)

    def creator(self, creator_id: str) -> dict | None:
        rows = self.creators.filter(pl.col(S.CREATOR_ID) == creator_id)
        return rows.row(0, named=True) if rows.height else None

    def own_of(self, creator_id: str) -> dict[str, object]:
        """The creator's row of the rosters' own columns (column -> value, given ones only)."""
        if self.own_columns is None:
            return {}
        rows = self.own_columns.filter(pl.col(S.CREATOR_ID) == creator_id)
        return {k: v for k, v in rows.row(0, named=True).items() if k != S.CREATOR_ID and v is not None} if rows.height else {}

    @property
    def posts(self) -> pl.DataFrame:
        """Every kept note with its rates and per-note boost flags (built on first use)."""
        if isinstance(self.notes, NotesPlan):
            self.notes = self.notes.plan().collect()
        return self.notes

    def notes_of(self, creator_id: str) -> pl.DataFrame:
        if isinstance(self.notes, NotesPlan):
            return self.notes.plan(creator_id).collect().sort(S.POSTED_AT)
        return self.notes.filter(pl.col(S.CREATOR_ID) == creator_id).sort(S.POSTED_AT)


def load(inputs: Sequence[str | os.PathLike[str]], config: Config, creators_file: str | None = None,
         encoding: str | None = None, sheet: str | None = None, progress: Progress | None = None,
         require_notes: bool = True) -> Loaded:
    """Read, map and validate every input; nothing is dropped without a reason. Without
    `require_notes` (a batch roster: other rosters may hold its creators' notes), inputs with
    creators and no notes file load, every creator in `without_notes`."""
    tables, skipped, roster_table = _read(inputs, config, creators_file, encoding, sheet, progress,
                                          require_notes=require_notes)
    return _assemble(tables, skipped, roster_table, config, creators_only_ok=not require_notes)


def _read(inputs: Sequence[str | os.PathLike[str]], config: Config, creators_file: str | None,
          encoding: str | None, sheet: str | None, progress: Progress | None,
          streaming: bool = False, require_notes: bool = True
          ) -> tuple[list[io.RawTable], list[io.SkippedFile], io.RawTable | None]:
    encoding = encoding or config.input.encoding
    sheet = sheet or config.input.sheet
    aliases = config.input.aliases
    tables, skipped = io.read_inputs(inputs, aliases, encoding, sheet, progress, streaming=streaming,
                                     require_notes=require_notes)
    roster_table = (io.read_creators_file(creators_file, aliases, encoding, config.input.creators_sheet)
                    if creators_file else None)
    return tables, skipped, roster_table


def _assemble(tables: list[io.RawTable], skipped: list[io.SkippedFile], roster_table: io.RawTable | None,
              config: Config, require_posts: bool = True, creators_only_ok: bool = False) -> Loaded:
    """Parse and validate read tables into one Loaded: notes, profiles, the roster, set-aside rows."""
    bench = {k: b.aliases for k, b in config.benchmarks.items()}
    posts_parts, creator_parts, comment_parts, rejected_parts, own_parts = [], [], [], [], []
    roster = None
    all_tables = [*tables, *([roster_table] if roster_table is not None else [])]
    for table in all_tables:
        if table.kind == "posts":
            posts, rejected = S.parse_posts(table.frame, table.mapping, table.source, bench)
            posts_parts.append(posts)
        elif table.kind == "comments":
            comments, rejected = S.parse_comments(table.frame, table.source)
            comment_parts.append(comments)
        else:
            creators, rejected = S.parse_creators(table.frame, table.mapping, table.source, bench)
            if table is roster_table or table.family not in S.CRAWLED_PROFILES:
                own_parts.append(S.own_columns(table.frame, table.mapping))
            if table is roster_table:
                roster = creators
            else:
                creator_parts.append(creators)
        rejected_parts.append(rejected)
    posts = pl.concat(posts_parts, how="vertical") if posts_parts else S.empty_posts()
    rejected = pl.concat(rejected_parts, how="vertical") if rejected_parts else S.empty_rejected()
    # Each file as it was read: a hand-typed file is often an older copy of notes crawled since.
    digits = D.tally(posts)

    future = pl.col(S.POSTED_AT) > pl.lit(datetime.now() + timedelta(days=2))
    if posts.select(future.any()).item():
        rejected = pl.concat([rejected, S.set_aside(posts.filter(future), "posted_at: in the future")])
        posts = posts.filter(~future)
    # Repeated crawls: notes a later crawl should have re-read, and followers day by day.
    posts, older = S.merge_snapshots(SN.mark_vanished(posts))
    rejected = pl.concat([rejected, older])
    creators = pl.concat(creator_parts) if creator_parts else None
    if creators is not None:
        creators, older = SN.one_row_per_creator(creators)
        rejected = pl.concat([rejected, older])
    if roster is not None:
        roster, older = SN.one_row_per_creator(roster)
        rejected = pl.concat([rejected, older])
    notes_files = {t.source for t in tables if t.kind == "posts"}
    on_notes = pl.col(S.SOURCE).is_in(sorted(notes_files))
    without_notes = S.creators_without_notes(posts, rejected.filter(on_notes), [creators, roster])
    comments = None
    if comment_parts:  # comments on notes that aren't here: say so
        comments, orphans = S.attach_comments(pl.concat(comment_parts), posts)
        rejected = pl.concat([rejected, orphans])

    # Creators alone may load for a batch roster; notes files with no usable row never do.
    if posts.height == 0 and require_posts and not (creators_only_ok and not notes_files):
        raise _no_usable_notes(rejected, notes_files)

    taken = dict(posts.group_by(S.SOURCE).len().iter_rows())
    aside = dict(rejected.filter(~S.row_kept()).group_by(S.SOURCE).len().iter_rows())
    sources = [
        SourceReport(t.source, t.family, t.kind, t.frame.height,
                     taken.get(t.source, 0) if t.kind == "posts" else t.frame.height - aside.get(t.source, 0),
                     aside.get(t.source, 0), t.mapping.ambiguity(), t.unread_sheets, t.header_below)
        for t in all_tables
    ]
    return Loaded(posts, creators, rejected, sources, skipped, roster, comments, digits, without_notes,
                  S.merge_own_columns(own_parts))


def _no_usable_notes(rejected: pl.DataFrame, files: set[str]) -> KolvetError:
    """No rejected file gets written when nothing is ranked: name the file, the reasons, a row."""
    # The notes files' rows: a roster's bad cell left empty, or an older profile, is no note set aside.
    notes = rejected.filter(pl.col(S.SOURCE).is_in(sorted(files)) & ~S.row_kept() & ~S.older_snapshot())
    detail = tally(S.reasons_counted(notes), 3)
    first = notes.row(0, named=True) if notes.height else None
    where = min(files) if len(files) == 1 else f"{len(files)} files"
    example = f"; e.g. {first[S.SOURCE]} row {first[S.ROW]}: {first[S.REASON]}" if first else ""
    column = first[S.REASON].split(":", 1)[0] if first else ""
    if first and column in first and first[column] is not None:  # the cell as written, so the user sees the form
        example += f" ({column} {str(first[column])[:40]!r})"
    return KolvetError(f"{where}: no usable notes, every row was set aside ({detail}){example}")


def vet_loaded(loaded: Loaded, config: Config | None = None, fraud_model: F.FraudModel | None = None,
               as_of: datetime | None = None, sort: str = "score", roster_notice: bool = True) -> VetResult:
    """The stages, in order, on already-loaded posts (held in memory: see vet_streaming).
    `roster_notice`: warn when most of the roster's creators have no notes (batch turns it off:
    there the roster is a lookup for the rosters' creators, and batch says what it matched)."""
    config = config or Config()
    as_of = as_of or loaded.posts.get_column(S.POSTED_AT).max()
    creators, notes = _per_creator(loaded, config, as_of)
    ids = loaded.posts.select(S.CREATOR_ID).unique()
    notices = _roster_notice(roster_matches(loaded.roster, ids), ids.get_column(S.CREATOR_ID)) if roster_notice else []
    result = _judge(creators, notes, loaded.rejected, loaded.sources, loaded.skipped, config, fraud_model, as_of, sort,
                    loaded.digits, notices=notices)
    result.own_columns = loaded.own_columns
    return result


def roster_matches(roster: pl.DataFrame | None, notes_ids: pl.DataFrame) -> pl.DataFrame | None:
    """The --creators roster's creators (and its file), each with whether any note is theirs."""
    if roster is None:
        return None
    return roster.select(S.CREATOR_ID, S.SOURCE, pl.col(S.CREATOR_ID).is_in(notes_ids.get_column(S.CREATOR_ID).implode()).alias("has_notes"))


def _roster_notice(matches: pl.DataFrame | None, notes_ids: pl.Series) -> list[str]:
    """A roster most of whose creators have no notes is likely keyed by another id than the
    notes (a 小红书号 against a crawler's user_id): its creators would only be listed as
    insufficient_data, which reads like a judgement, so say so."""
    if matches is None or matches.height == 0:
        return []
    n, matched = matches.height, int(matches.get_column("has_notes").sum())
    if matched * 2 >= n:
        return []
    source = matches.get_column(S.SOURCE).min()
    missing = ", ".join(matches.filter(~pl.col("has_notes")).get_column(S.CREATOR_ID).sort().head(2))
    theirs = ", ".join(notes_ids.sort().head(2))
    said = f"none of the {n:,} creators in {source} has" if matched == 0 else f"only {matched:,} of the {n:,} creators in {source} have"
    return [f"roster: {said} notes in the inputs (roster ids such as {missing}; the notes' such as {theirs}). "
            "Are both keyed by the same id (a user_id, not a 小红书号)?"]


def _per_creator(loaded: Loaded, config: Config, as_of: datetime) -> tuple[pl.DataFrame, NotesPlan]:
    """Notes -> one row of metrics per creator: the one collect over the notes, with the
    in-memory engine (faster for these group-bys; vet_streaming bounds memory by partition)."""
    without = loaded.without_notes if loaded.without_notes is not None else S.creators_without_notes(
        loaded.posts, S.empty_rejected(), [loaded.creators, loaded.roster])
    profiles = M.creator_profiles(loaded.posts.lazy(), loaded.creators, loaded.roster,
                                  also=without).collect().lazy()
    notes = NotesPlan(loaded.posts, profiles, config, as_of)
    creators = (M.creator_metrics(notes.plan(), profiles, config, as_of)
                .join(without.lazy().select(S.CREATOR_ID, S.NO_NOTES), on=S.CREATOR_ID, how="left")
                .join(S.rows_set_aside(loaded.rejected).lazy(), on=S.CREATOR_ID, how="left")
                .with_columns(pl.col(S.ROWS_SET_ASIDE).fill_null(0))
                .sort(S.CREATOR_ID).collect(engine="in-memory"))
    comments = loaded.comments  # with --streaming, every part's: keep this part's creators'
    if comments is not None:
        comments = comments.join(creators.select(S.CREATOR_ID), on=S.CREATOR_ID, how="semi")
    creators = creators.join(C.comment_signals(comments), on=S.CREATOR_ID, how="left")
    return creators, notes


def _judge(creators: pl.DataFrame, notes: NotesPlan, rejected: pl.DataFrame, sources: list[SourceReport],
           skipped: list[io.SkippedFile], config: Config, fraud_model: F.FraudModel | None,
           as_of: datetime, sort: str, digits: pl.DataFrame | None = None, parts: int = 1,
           notices: list[str] | None = None) -> VetResult:
    """Per-creator metrics -> score, fraud, verdicts and rank, over the whole cohort."""
    scored = SC.quality(creators, config)
    scored, model = F.detect(scored, config, fraud_model)
    scored = SC.authenticity(scored, F.FRAUD_SCORE, F.FRAUD_FLAG, F.FRAUD_WATCH, config)
    ranked = SL.rank(SL.verdicts(scored, config), sort=sort)
    notes = replace(notes, bursts=ranked.filter(pl.col(F.BURST_CONFIRMED)).select(S.CREATOR_ID, M.BURST_END),
                    farms=ranked.filter(pl.col(F.FRAUD_FLAG).fill_null(False) & pl.col(F.FRAUD_PATTERN).is_in(list(F.FARMED_COUNT)))
                    .select(S.CREATOR_ID, F.FRAUD_PATTERN))
    checked, digits_off = D.check(D.add(digits))
    meta = {
        "kolvet_version": __version__,
        "preset": config.preset,
        "weights": ", ".join(f"{k}={v:g}" for k, v in config.weights.model_dump().items()),
        "as_of": str(as_of.replace(microsecond=0)) if as_of is not None else "None",  # --as-of DAY ends at 23:59:59.999999
        "window": f"last {config.window.days} days, at least {config.window.min_recent_posts} notes",
        "fraud_mode": str(ranked.get_column(F.FRAUD_MODE).first()) if ranked.height else "",
        "time_zone": "China Standard Time (UTC+8)",
        "sort": sort,
        "last_digits": D.summary(checked, digits_off),
        # Everything the run was told, so two runs' metadata differ when their settings do.
        "settings": json.dumps(config.model_dump(mode="json"), sort_keys=True, ensure_ascii=False),
    }
    notices = list(notices or [])
    newest = creators.get_column(M.LAST_POST).max() if creators.height else None
    if newest is not None and as_of - newest > timedelta(days=config.window.days):
        notices.append(f"as of {meta['as_of']}, {(as_of - newest).days:,} days after the newest note ({newest}): no note "
                       f"falls in the {config.window.days}-day window, so each creator is judged on its "
                       f"{config.window.min_recent_posts} most recent notes")
    unrated = ranked.filter((pl.col(M.N_POSTS_TOTAL) > 0) & (pl.col(M.RATE_BASIS).fill_null("none") == "none")).height
    if unrated:  # a notes-only crawl: every creator would read insufficient_data with the cause off screen
        notices.append(f"followers: {counted(unrated, 'creator')} with notes {'has' if unrated == 1 else 'have'} no follower "
                       "count and no views, so no rates (insufficient_data): pass the crawl's creator profiles with the "
                       "notes (MediaCrawler's creator_creator_* files), or a roster with followers via --creators")
    if model is not None and model.reach_link is not None:  # shown next to the reach reasons it explains
        meta["reach_vs_engagement"] = model.reach_link.describe() + (" (the saved model's)" if fraud_model is not None else "")
    if fraud_model is not None:
        meta["fraud_model"] = fraud_model.describe()
        overridden = fraud_model.differs_from(config.fraud)
        if overridden:
            meta["fraud_model"] += "; the model's own settings were used: " + ", ".join(overridden)
            notices.append(f"fraud model: {meta['fraud_model']}")
        judged = ranked.filter(pl.col(F.FRAUD_SCORE).is_not_null())
        if mismatch := fraud_model.basis_differs(judged.get_column(M.RATE_BASIS).fill_null("none").to_numpy()):
            meta["fraud_model"] += f"; {mismatch}"
            notices.append(f"fraud model: {mismatch}")
    if sort == "cpe" and ranked.height and ranked.get_column(S.QUOTE).null_count() == ranked.height:
        meta["sort"] = "score (cpe asked for, but no creator has a quote)"
        notices.append("--sort cpe: no creator has a quote (pass --creators with a roster that has 图文报价 or a "
                       "quote column), so the ranking is by score")
    shared = S.shared_post_ids(notes.posts, parts)
    meta["note_ids"] = (f"warning: {shared.get_column('n').sum():,} notes share a post_id with another creator's note"
                        if shared.height else "ok: each post_id belongs to one creator")
    return VetResult(ranked, notes, rejected, sources, skipped, meta, config, model, digits_off=digits_off,
                     shared_ids=shared, notices=notices)


ROWS_PER_PART = 4_000_000  # --streaming: notes held in memory at once, roughly


def vet_streaming(inputs: Sequence[str | os.PathLike[str]], config: Config | None = None, *,
                  creators_file: str | None = None, fraud_model: F.FraudModel | None = None,
                  as_of: datetime | None = None, encoding: str | None = None, sheet: str | None = None,
                  sort: str = "score", progress: Progress | None = None,
                  rows_per_part: int = ROWS_PER_PART) -> VetResult:
    """vet() for inputs too big to hold: creators are split into partitions by a hash of their
    id (so all of a creator's notes land together, whatever file they are in), each partition
    is read, validated and reduced to one row per creator by the same stages, and only the
    per-creator table, one row per creator, is judged as a whole cohort. Parsed notes wait in
    temporary Parquet files for --posts-out and the browser; they go when the result does."""
    config = config or Config()
    tables, skipped, roster_table = _read(inputs, config, creators_file, encoding, sheet, progress, streaming=True)
    # Comment files are a sample per note, small beside the notes: read whole, once.
    comment_tables = [t for t in tables if t.kind == "comments"]
    tables = [t for t in tables if t.kind != "comments"]
    parsed = [S.parse_comments(t.frame, t.source) for t in comment_tables]
    comments = pl.concat([c for c, _ in parsed]) if parsed else None
    n_rows = sum(t.rows() for t in tables if t.kind == "posts")
    parts = max(1, -(-n_rows // rows_per_part))
    workdir = tempfile.TemporaryDirectory(prefix="kolvet-")
    loaded_parts: list[tuple[Path, Loaded]] = []
    matches, notes_ids = [], []  # the roster's creators with notes or not, and a few notes' ids, per part
    newest: datetime | None = None
    for i in range(parts):
        if progress:
            progress(f"reading part {i + 1} of {parts}")
        part = _assemble([t.part(i, parts) for t in tables], skipped,
                         roster_table.part(i, parts) if roster_table is not None else None, config, require_posts=False)
        path = Path(workdir.name) / f"notes-{i:04d}.parquet"
        part.posts.write_parquet(path)
        if part.posts.height:
            newest = max(filter(None, [newest, part.posts.get_column(S.POSTED_AT).max()]))
        ids = part.posts.select(S.CREATOR_ID).unique()
        matches.append(roster_matches(part.roster, ids))
        notes_ids.append(ids.get_column(S.CREATOR_ID).sort().head(2))
        # Keep only what judging needs; the notes themselves wait on disk.
        loaded_parts.append((path, Loaded(S.empty_posts(), part.creators, part.rejected, part.sources, [], part.roster,
                                          digits=part.digits, without_notes=part.without_notes,
                                          own_columns=part.own_columns)))
    if newest is None:
        raise _no_usable_notes(pl.concat([part.rejected for _, part in loaded_parts], how="vertical"),
                               {t.source for t in tables if t.kind == "posts"})
    as_of = as_of or newest
    if comment_tables:  # matched to their notes' creators over all parts at once
        comments, orphans = S.attach_comments(comments, pl.scan_parquet([p for p, _ in loaded_parts]))
    creators, profiles = [], []
    for i, (path, part) in enumerate(loaded_parts):
        if progress:
            progress(f"measuring part {i + 1} of {parts}")
        rows, notes = _per_creator(Loaded(pl.read_parquet(path), part.creators, part.rejected, [], [], part.roster,
                                          comments, without_notes=part.without_notes), config, as_of)
        creators.append(rows)
        profiles.append(notes.profiles.collect())
    everything = NotesPlan(pl.scan_parquet([p for p, _ in loaded_parts]), pl.concat(profiles).lazy(), config, as_of)
    sources = _sum_sources([s for _, part in loaded_parts for s in part.sources])
    rejected = pl.concat([part.rejected for _, part in loaded_parts], how="vertical")
    if comment_tables:
        aside = pl.concat([*(r for _, r in parsed), orphans], how="vertical")
        rejected = pl.concat([rejected, aside], how="vertical")
        counts = dict(aside.group_by(S.SOURCE).len().iter_rows())
        sources += [SourceReport(t.source, t.family, t.kind, t.frame.height, t.frame.height - counts.get(t.source, 0),
                                 counts.get(t.source, 0)) for t in comment_tables]
    result = _judge(pl.concat(creators).sort(S.CREATOR_ID), everything, rejected, sources, skipped, config,
                    fraud_model, as_of, sort, D.add(*(part.digits for _, part in loaded_parts)), parts,
                    _roster_notice(pl.concat(matches) if roster_table is not None else None, pl.concat(notes_ids)))
    result.own_columns = S.merge_own_columns([part.own_columns for _, part in loaded_parts])
    result.meta["streaming"] = f"{parts} part(s) of about {rows_per_part:,} notes"
    result.workdir = workdir
    return result


def _sum_sources(reports: list[SourceReport]) -> list[SourceReport]:
    """One report per file from per-partition reports, in first-seen order."""
    totals: dict[tuple[str, str, str, str, str, str], list[int]] = {}
    for r in reports:
        acc = totals.setdefault((r.source, r.family, r.kind, r.columns_passed_over, r.unread_sheets, r.header_below), [0, 0, 0])
        acc[0] += r.rows
        acc[1] += r.taken
        acc[2] += r.set_aside
    return [SourceReport(src, fam, kind, *vals, passed, unread, below)
            for (src, fam, kind, passed, unread, below), vals in totals.items()]


def vet(inputs: Sequence[str | os.PathLike[str]], config: Config | None = None, *,
        creators_file: str | None = None, fraud_model: F.FraudModel | None = None,
        as_of: datetime | None = None, encoding: str | None = None, sheet: str | None = None,
        sort: str = "score", progress: Progress | None = None, streaming: bool = False) -> VetResult:
    """Vet creators from post files, folders or globs. Raises KolvetError for unusable input."""
    config = config or Config()
    if streaming:
        return vet_streaming(inputs, config, creators_file=creators_file, fraud_model=fraud_model, as_of=as_of,
                             encoding=encoding, sheet=sheet, sort=sort, progress=progress)
    loaded = load(inputs, config, creators_file, encoding, sheet, progress)
    if progress:
        progress("scoring")
    return vet_loaded(loaded, config, fraud_model, as_of, sort)


def fit_fraud_model(inputs: Sequence[str | os.PathLike[str]], config: Config | None = None, **kwargs) -> tuple[VetResult, F.FraudModel | None]:
    """Vet a (large) reference roster and return the fraud model fit on it, for reuse."""
    result = vet(inputs, config, **kwargs)
    return result, result.fraud_model


def input_paths(inputs: Sequence[str | os.PathLike[str]], creators_file: str | None = None) -> set[Path]:
    """Every file a run reads, resolved, so writers can refuse to overwrite one."""
    found = {p.resolve() for p, _ in io.expand_inputs(inputs)}
    if creators_file:
        found.add(Path(creators_file).resolve())
    return found
