"""The shortlist an account manager builds in the browser, and its file.

The file is a campaign brief: the `kolvet vet` columns plus `scored_in` (the inputs the row
was ranked in) and a `note` column, one row per shortlisted creator in rank order. It is
rewritten (atomically, by kolvet.export) on every change and read back on the next launch.
Creators in the file that the current inputs don't contain are carried over unchanged, so
browsing other data never silently drops someone."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl

from kolvet import export, io
from kolvet import schema as S
from kolvet import shortlist as SL
from kolvet.errors import KolvetError
from kolvet.pipeline import VetResult
from kolvet.text import counted

NOTE = "note"
SCORED_IN = "scored_in"  # the inputs each row's rank and score come from: a brief can hold
# creators shortlisted while browsing other inputs
THIS_RUN = "these inputs"  # when the browser isn't told their names
EARLIER_RUN = "other inputs (not in these; rank and score from then)"  # a file from before scored_in named them


class ShortlistError(Exception):
    """The shortlist file could not be read or written; the message says why in one line."""


def check_shortlist_file(path: Path, inputs: set[Path]) -> None:
    """Before the browser opens: the shortlist file is not an input, and a file already there
    is a shortlist (or a ranking) kolvet wrote. A roster has a creator_id column too, and the
    first change would replace it with the brief. Raises KolvetError (one line, exit 1)."""
    io.check_targets({"shortlist": path}, inputs, {"shortlist": (".csv",)})
    if not path.exists():
        return
    try:
        header = io.read_previous(path).columns
    except KolvetError:
        return  # unreadable: restore() says so, and save() keeps it as .unreadable
    if S.recognise_family(header) != S.KOLVET_OUTPUT:
        raise KolvetError(f"{path}: is not a kolvet shortlist (no rank, score and verdict columns), and the first "
                          "change would replace it: name a new file, or a shortlist kolvet wrote, with --shortlist")


class ShortlistStore:
    def __init__(self, path: Path, inputs: set[Path] | frozenset[Path] = frozenset(), scored_in: str = "") -> None:
        self.path = Path(path)
        self.inputs = set(inputs)  # files this run reads: an export never writes over one
        self.scored_in = scored_in or THIS_RUN  # the inputs as the user named them ("crawl, roster.csv")
        self.notes: dict[str, str] = {}  # creator_id -> note, in the order they were added
        self.carried = pl.DataFrame()  # rows from the file for creators not in these inputs
        self._ranked: pl.DataFrame | None = None
        self._about: dict[str, str] = {}  # the run's metadata, for an XLSX brief's about sheet
        self._unreadable = False  # the file on disk couldn't be read: move it aside before writing

    # ---- reading ---------------------------------------------------------------------------
    def restore(self, result: VetResult) -> list[str]:
        """Read the file (if any) against this result. Returns messages for the user; raises
        ShortlistError if the file exists but can't be read (the store then starts empty)."""
        self._ranked = export.ranked_table(result)
        self._about = {"scored_in": self.scored_in, **export.metadata(result)}
        self.notes, self.carried = {}, pl.DataFrame()
        if not self.path.exists():
            return []
        try:
            frame = io.read_previous(self.path, typed=export.KOLVET_COLUMNS)
        except Exception as exc:  # polars parse errors, encoding errors, OSError: all "unreadable"
            self._unreadable = True
            reason = _first_line(exc)  # kolvet's own read errors already name the file
            where = "" if str(self.path) in reason else f"{self.path.name}: can't be read: "
            raise ShortlistError(f"{where}{reason}; it will be kept as .unreadable when the shortlist changes") from None
        if S.CREATOR_ID not in frame.columns:
            self._unreadable = True
            raise ShortlistError(f"{self.path.name}: has no {S.CREATOR_ID} column, so it isn't a kolvet shortlist; "
                                 "it will be kept as .unreadable when the shortlist changes")
        ids = [v or "" for v in frame.get_column(S.CREATOR_ID).cast(pl.String).to_list()]  # unguarded by read_previous
        notes = (frame.get_column(NOTE).cast(pl.String).to_list() if NOTE in frame.columns else [None] * len(ids))
        known = set(self._ranked.get_column(S.CREATOR_ID).to_list())
        for cid, note in zip(ids, notes, strict=True):
            if cid and cid in known:
                self.notes[cid] = note or ""
        absent = [cid for cid in ids if cid and cid not in known]
        messages = []
        if absent:
            self.carried = frame.filter(pl.Series([bool(c) and c not in known for c in ids]))
            messages.append(f"not in these inputs: {counted(len(absent), 'shortlisted creator')}, kept in {self.path.name}")
        return messages

    # ---- changing --------------------------------------------------------------------------
    def __contains__(self, creator_id: str) -> bool:
        return creator_id in self.notes

    def __len__(self) -> int:
        return len(self.notes) + self.carried.height

    def toggle(self, creator_id: str) -> bool:
        """Add or remove; True when the creator is now shortlisted. Saves."""
        notes = dict(self.notes)
        if creator_id in notes:
            del notes[creator_id]
        else:
            notes[creator_id] = ""
        self._change(notes, self.carried)
        return creator_id in self.notes

    def set_note(self, creator_id: str, note: str) -> None:
        self._change({**self.notes, creator_id: note}, self.carried)

    def drop_carried(self, creator_id: str) -> None:
        """Remove a creator who is only in the file (not in these inputs)."""
        if self.carried.height:
            self._change(self.notes, self.carried.filter(pl.col(S.CREATOR_ID).cast(pl.String) != creator_id))

    def _change(self, notes: dict[str, str], carried: pl.DataFrame) -> None:
        """Save the changed shortlist; if it can't be saved, keep the one on disk, so what the
        browser shows is always what the file holds (and quitting loses nothing)."""
        before = self.notes, self.carried
        self.notes, self.carried = notes, carried
        try:
            self.save()
        except ShortlistError:
            self.notes, self.carried = before
            raise

    # ---- writing ---------------------------------------------------------------------------
    def table(self, carried: bool = True) -> pl.DataFrame:
        """The brief: vet columns plus note and scored_in (these inputs' names), rank order,
        then (unless `carried` is False) the carried-over rows, whose rank and score come from
        the run they were shortlisted in: their scored_in names those inputs."""
        assert self._ranked is not None, "restore() first"
        ids = list(self.notes)
        fresh = (self._ranked.filter(pl.col(S.CREATOR_ID).is_in(ids)).sort(SL.RANK)
                 .with_columns(pl.lit(self.scored_in).alias(SCORED_IN),  # the user's note stays last
                               pl.col(S.CREATOR_ID).replace_strict(self.notes, return_dtype=pl.String).alias(NOTE)))
        if not carried or not self.carried.height:
            return fresh
        then = pl.col(SCORED_IN).cast(pl.String) if SCORED_IN in self.carried.columns else pl.lit(None, pl.String)
        carried = self.carried.with_columns(
            pl.col(NOTE).cast(pl.String) if NOTE in self.carried.columns  # read_previous unguarded it
            else pl.lit("").alias(NOTE),
            # Named when shortlisted; else (an older file, or unnamed inputs) only "other inputs".
            pl.when(then.is_null() | then.is_in([THIS_RUN, EARLIER_RUN, ""]))
            .then(pl.lit(EARLIER_RUN)).otherwise(then).alias(SCORED_IN),
        )
        try:
            return pl.concat([fresh, carried], how="diagonal_relaxed")
        except pl.exceptions.PolarsError:  # a column changed type between versions: keep the text
            as_text = [f.select(pl.all().cast(pl.String)) for f in (fresh, carried)]
            return pl.concat(as_text, how="diagonal_relaxed")

    def save(self) -> Path:
        """Rewrite the shortlist file. Raises ShortlistError with a one-line reason."""
        try:
            if self._unreadable and self.path.exists():
                os.replace(self.path, self.path.with_name(self.path.name + ".unreadable"))
            self._unreadable = False
            return export.write_shortlist(self.table(), self.path)
        except Exception as exc:  # permissions, full disk, a folder in the way
            raise ShortlistError(f"{self.path}: couldn't save the shortlist ({_first_line(exc)})") from None

    def export(self, path: Path, carried: bool = True) -> Path:
        """A campaign-brief copy as CSV or XLSX (by extension); `carried=False` leaves out the
        creators shortlisted while browsing other inputs (an earlier campaign's picks)."""
        try:
            io.check_targets({"brief": path}, self.inputs, {"brief": (".csv", ".xlsx")})
        except KolvetError as exc:
            raise ShortlistError(str(exc)) from None
        if path.resolve() == self.path.resolve():  # the brief would replace the shortlist it is cut from
            raise ShortlistError(f"{path}: is the shortlist file itself (already saved there); name another file")
        try:
            return export.write_shortlist(self.table(carried), path, self._about)
        except Exception as exc:
            raise ShortlistError(f"{path}: couldn't export ({_first_line(exc)})") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
