"""The only module that opens files: finding inputs, reading them as raw tables, and writing
outputs atomically (temporary file, then rename), so an interrupted run never leaves a
half-written file that looks complete."""

from __future__ import annotations

import codecs
import csv
import glob
import io as _io
import json
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path

import polars as pl

from kolvet import schema as S
from kolvet.errors import KolvetError, UsageError
from kolvet.text import counted

READABLE = {".csv", ".tsv", ".txt", ".json", ".jsonl", ".ndjson", ".parquet", ".pq", ".xlsx", ".xls"}
# Files kolvet writes itself; they live beside inputs and must not be read back as posts.
OWN_OUTPUT_MARKERS = (".rejected.", ".posts.", ".meta.", "kolvet-shortlist", ".ranked.")


@dataclass(frozen=True)
class RawTable:
    """One input file as read: raw headers, before any mapping."""

    source: str  # the path as the user will recognise it
    frame: pl.DataFrame
    family: str  # which export family its headers look like
    kind: str  # "posts", "creators" or "comments"
    mapping: S.ColumnMapping
    scan: pl.LazyFrame | None = None  # --streaming: the rows, read part by part; frame holds the header
    found: dict = field(default_factory=dict, compare=False)  # what parts learnt about the whole file
    unread_sheets: str = ""  # a workbook's other sheets that hold notes or creators too (not read)
    header_below: str = ""  # where the header was found when rows (a title) sat above it

    def part(self, index: int, parts: int) -> RawTable:
        """The rows whose creator falls in partition `index` of `parts` (by a hash of the
        creator id as parsing will read it, so a creator's rows always land together, whichever
        file)."""
        key = self.mapping.source_of[S.CREATOR_ID]
        mine = S.id_text(pl.col(key), self.frame.schema[key]).hash(seed=7) % parts == index
        # Rows are numbered before the cut, so set-aside rows keep their place in the file.
        if self.scan is None:
            frame = S.numbered(self.frame).filter(mine)
        elif "ragged" in self.found:  # an earlier part found rows longer than the header
            frame = self._part_of_ragged_csv(mine)
        else:
            try:
                frame = self.scan.with_row_index(S.ROW_INDEX, offset=1).filter(mine).collect(engine="streaming")
            except pl.exceptions.ComputeError as exc:
                if RAGGED not in str(exc):  # scan_table parsed the whole file: it changed since?
                    path = Path(self.source)
                    raise _cant_read(path, path, _csv_separator(path), exc) from None
                frame = self._part_of_ragged_csv(mine)
        return RawTable(self.source, frame, self.family, self.kind, self.mapping, unread_sheets=self.unread_sheets,
                        header_below=self.header_below)

    def _part_of_ragged_csv(self, mine: pl.Expr) -> pl.DataFrame:
        """A part of a scanned CSV with rows longer than the header: they are read cut to it
        and marked to be set aside, as read_csv does."""
        path = Path(self.source)
        sep = _csv_separator(path)
        cut = pl.scan_csv(path, separator=sep, infer_schema=False, truncate_ragged_lines=True, glob=False)
        try:
            if "ragged" not in self.found:  # the file is read once for them, whatever the parts
                self.found["ragged"] = ragged_rows(path, sep, len(self.frame.columns),
                                                   cut.select(pl.len()).collect(engine="streaming").item())
            frame = cut.with_row_index(S.ROW_INDEX, offset=1).filter(mine).collect(engine="streaming")
        except pl.exceptions.PolarsError as again:
            raise _cant_read(path, path, sep, again) from None
        return _marked(frame, self.found["ragged"])

    def rows(self) -> int:
        return self.scan.select(pl.len()).collect(engine="streaming").item() if self.scan is not None else self.frame.height


@dataclass(frozen=True)
class SkippedFile:
    source: str
    reason: str
    # False for a folder's files that aren't tables at all (a crawl's images): reported, but
    # no table the run went without.
    table: bool = True


# ---- finding files ------------------------------------------------------------------------

def find_inputs(paths: Iterable[str | os.PathLike[str]]) -> list[tuple[Path, bool]]:
    """Files named directly (True) and files found inside folders or globs (False), sorted."""
    found: list[tuple[Path, bool]] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            inner = sorted(q for q in p.rglob("*") if q.is_file() and q.suffix.lower() in READABLE
                           and not q.name.startswith("."))
            if not inner:
                raise KolvetError(f"{p}: folder holds no CSV, TSV, JSON, JSONL, Parquet or XLSX files")
            found += [(q, False) for q in inner]
        elif p.is_file():
            found.append((p, True))
        elif any(ch in str(raw) for ch in "*?["):
            matches = sorted(Path(m) for m in glob.glob(str(raw), recursive=True) if Path(m).is_file())
            if not matches:
                raise KolvetError(f"{raw}: no files match this pattern")
            found += [(m, False) for m in matches]
        else:
            raise KolvetError(f"{p}: no such file or folder")
    seen: set[Path] = set()
    unique = []
    for path, explicit in found:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append((path, explicit))
    return unique


def not_tables(paths: Iterable[str | os.PathLike[str]]) -> list[SkippedFile]:
    """Per folder named, its files that aren't tables kolvet reads (a crawl's images, a
    README), as one line with a count per kind, so a table saved in an unexpected format
    doesn't vanish unnoticed. Hidden files (.DS_Store) are left out."""
    out = []
    for raw in paths:
        p = Path(raw)
        if not p.is_dir():
            continue
        kinds: dict[str, int] = {}
        for q in p.rglob("*"):
            if q.is_file() and q.suffix.lower() not in READABLE and not q.name.startswith("."):
                kind = q.suffix.lower() or "no extension"
                kinds[kind] = kinds.get(kind, 0) + 1
        if kinds:
            shown = ", ".join(f"{kind} {n:,}" for kind, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])))
            out.append(SkippedFile(str(p), f"{counted(sum(kinds.values()), 'file')} that aren't tables ({shown})",
                                   table=False))
    return out


def expand_inputs(paths: Iterable[str | os.PathLike[str]]) -> list[tuple[Path, bool]]:
    """The files a run reads: find_inputs without kolvet's own outputs found in folders, so
    writing the ranking into the crawl folder and running again reads the same notes (and
    may write over that ranking)."""
    return [(p, explicit) for p, explicit in find_inputs(paths) if explicit or not is_kolvet_output(p)]


def is_kolvet_output(path: Path) -> bool:
    """A file kolvet wrote: by its header (a ranking, set-aside rows, per-note flags, a run's
    metadata); by its name (x.rejected.csv, x.meta.json...) only when the header can't tell,
    since a user's own notes may well be called south.posts.csv."""
    header = _peek_header(path)
    if header is None:
        return any(m in path.name.lower() for m in OWN_OUTPUT_MARKERS)
    return S.recognise_family(header) == S.KOLVET_OUTPUT or header[:1] == ["kolvet_version"]


def _peek_header(path: Path) -> list[str] | None:
    """The column names of a file, reading as little of it as possible; None when unclear."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".tsv", ".txt"):
            with open(path, "rb") as fh:
                first = fh.readline(1 << 16).split(b"\r", 1)[0].decode("utf-8", errors="replace").lstrip("\ufeff")
            sep = _sniff_separator(first, suffix)
            return [h.strip().strip('"') for h in first.rstrip("\r\n").split(sep)]
        if suffix in (".parquet", ".pq"):
            return list(pl.read_parquet_schema(path))
        if suffix == ".json":
            with open(path, "rb") as fh:
                head = fh.read(4096)
            if b'"kolvet_version"' in head:
                return ["kolvet_version", *S.KOLVET_OUTPUT_JSON]
            # The keys of the first record(s): enough to tell kolvet's per-note rows from notes.
            keys = [k.decode("utf-8", errors="replace") for k in re.findall(rb'"((?:[^"\\]|\\.)*)"\s*:', head)]
            return keys or None
        if suffix in (".xlsx", ".xls"):
            import fastexcel

            sheet = fastexcel.read_excel(path).load_sheet(0, n_rows=0)
            return [c.name for c in sheet.available_columns()]
    except Exception:
        return None
    return None


# ---- encodings ----------------------------------------------------------------------------
_PROBE_BYTES = 4 << 20


LOSSY = "utf-8-lossy"  # --encoding utf-8-lossy: UTF-8, damaged characters replaced by U+FFFD


# What a crawl folder's other files begin with: a short file of these has too few zero bytes
# to look binary, and would be read as a one-column table of noise.
_NOT_TABLES = ((b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
               (b"%PDF", "a PDF"), (b"RIFF", "an image or video (RIFF)"))


def detect_encoding(path: Path, forced: str | None = None) -> str:
    """UTF-8 (with or without BOM) or GB18030 (a superset of GBK, what Excel on Chinese Windows
    writes), judged from the first 4 MiB."""
    if forced:
        if forced.lower().replace("_", "-") in (LOSSY, "utf8-lossy"):
            return LOSSY
        try:
            name = codecs.lookup(forced).name  # "UTF8", "utf_8" -> "utf-8"; "GBK" -> "gbk"
        except LookupError:
            raise UsageError(f"--encoding {forced}: unknown encoding (try utf-8, gbk or gb18030)") from None
        return name
    with open(path, "rb") as fh:
        head = fh.read(_PROBE_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if head.startswith(b"PK\x03\x04") and b"xl/" in head[:1 << 16]:  # a zip holding a workbook
        raise KolvetError(f"{path}: is an Excel workbook, not text: rename it to {path.stem}.xlsx")
    if head.startswith(b"PAR1"):
        raise KolvetError(f"{path}: is a Parquet file, not text: rename it to {path.stem}.parquet")
    kind = next((name for magic, name in _NOT_TABLES if head.startswith(magic)), None)
    if kind:
        raise KolvetError(f"{path}: is {kind}, not a table")
    # Binary files are full of zero bytes (1 in 256 for random data, far more for zip or
    # images); a text table has none, bar the odd stray one in a pasted cell.
    if head.count(b"\x00") > max(4, len(head) // 1000):
        raise KolvetError(f"{path}: looks binary, not a text table (try --encoding if it is text)")
    final = len(head) < _PROBE_BYTES
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=final)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    # Both checks below say where, before GB18030, which reads almost any bytes, turns UTF-8
    # into nonsense without a word. Whole lines only: the probe may end mid-character.
    whole_lines = head if final else head[: head.rfind(b"\n") + 1]
    # UTF-8 that turns into something else: two exports pasted into one file.
    switched = _utf8_then_not(whole_lines)
    if switched is not None:
        line = head.count(b"\n", 0, switched) + 1
        raise KolvetError(f"{path}: UTF-8 up to line {line:,}, another encoding (GBK?) from there: two exports pasted "
                          "together? Re-save the file in one encoding")
    # UTF-8 with a few bad bytes, as a crawler cutting a title mid-character leaves.
    damaged = _damaged_utf8(whole_lines)
    if damaged is not None:
        raise _not_valid(path, "utf-8", damaged, None, head)
    try:
        codecs.getincrementaldecoder("gb18030")().decode(head, final=final)
        return "gb18030"
    except UnicodeDecodeError:
        pass
    raise KolvetError(f"{path}: unknown text encoding (not UTF-8 or GBK); pass --encoding")


def _damaged_utf8(data: bytes) -> int | None:
    """Where UTF-8 text with a few damaged characters first goes wrong. None when it is valid,
    or not UTF-8: over 20 damaged places, or fewer than 20 well-formed non-ASCII characters for
    each (text in another encoding forms them only by chance)."""
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd") - data.count("\ufffd".encode())
    if bad == 0 or bad > 20:
        return None
    well_formed = _non_ascii(text) - text.count("\ufffd")
    if well_formed < 20 * bad:
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start
    return None


def _non_ascii(text: str) -> int:
    return len(text) - len(text.encode("ascii", errors="ignore"))


def _utf8_then_not(data: bytes) -> int | None:
    """Where text that starts as UTF-8 stops being it for good: None when it is valid, when
    fewer than 10 well-formed non-ASCII characters come first (text in another encoding forms
    a run of them only by chance), or when after it come fewer than 3 damaged characters or
    more well-formed than damaged ones (characters cut short in UTF-8 text: _damaged_utf8)."""
    try:
        data.decode("utf-8")
        return None
    except UnicodeDecodeError as exc:
        at = exc.start
    if _non_ascii(data[:at].decode("utf-8")) < 10:
        return None
    tail = data[at:].decode("utf-8", errors="replace")
    damaged = tail.count("\ufffd")
    return at if damaged >= 3 and _non_ascii(tail) - damaged < damaged else None  # one cut character is damage


def _not_valid(path: Path, encoding: str, at: int, forced: str | None, data: bytes | None = None) -> KolvetError:
    """A decode failure, with the line it is on; the hint depends on whether the user chose
    the encoding and on what else would read the file."""
    if data is None:
        data = path.read_bytes()
    line = data.count(b"\n", 0, at) + 1
    if encoding.startswith("utf-8") and _utf8_then_not(data) is not None:
        hint = "another encoding (GBK?) from there: two exports pasted together? Re-save the file in one encoding"
    elif encoding.startswith("utf-8") and _damaged_utf8(data) is not None:
        hint = ("a character cut short? Re-save the file as UTF-8, or pass --encoding utf-8-lossy to read it "
                "with the damaged characters replaced by \ufffd")
    elif forced:
        hint = "leave out --encoding to detect it, or try utf-8, gb18030 or utf-16"
    else:
        hint = "pass --encoding (e.g. gbk)"
    return KolvetError(f"{path}: not valid {encoding} on line {line:,} (byte {at:,}); {hint}")


def _text(path: Path, encoding: str, forced: str | None = None) -> str:
    data = path.read_bytes()
    if encoding == LOSSY:
        return data.decode("utf-8", errors="replace").removeprefix("\ufeff")
    if not encoding.lower().replace("_", "-").startswith("utf") and data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]  # a UTF-8 mark before a GBK body (--encoding gbk): not text
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise _not_valid(path, encoding, exc.start, forced, data) from None


# ---- readers ------------------------------------------------------------------------------

def _sniff_separator(first_line: str, suffix: str) -> str:
    if suffix == ".tsv":
        return "\t"
    counts = {sep: first_line.count(sep) for sep in (",", "\t", ";", "|")}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] > 0 else ","


def _string_overrides(header: list[str], aliases: dict[str, list[str]] | None = None) -> dict[str, pl.DataType]:
    """Everything but kolvet's counts and times is read as text: ids like "00123" must keep
    their zeros, and a roster's own columns go back to it as written (schema.own_columns)."""
    # `header` as Polars names the columns (" 小红书号" keeps its space); mapped as kolvet reads it.
    readable = [h.strip().strip('"') for h in header]
    mapping = S.map_columns(readable, aliases)
    counted = {h for c, h in mapping.source_of.items() if c not in S.TEXT_COLUMNS}
    return {raw: pl.String() for raw, h in zip(header, readable, strict=True) if h not in counted}


def _looks_binary(line: str) -> bool:
    """A first line that is mostly control characters or undecodable bytes is not a header."""
    sample = line[:2000]
    odd = sum(1 for ch in sample if ch == "\ufffd" or (not ch.isprintable() and ch not in "\t\r\n"))
    return odd > max(2, len(sample) // 10)


RAGGED = "more fields than defined"  # Polars' words for a row longer than the header
_SEPARATOR_NAMES = {",": "comma", "\t": "tab", ";": "semicolon", "|": "bar"}
_OVERFLOW = 8  # fields past the header that the fallback check looks at


def _records(source: Path | _io.BytesIO, sep: str, strict: bool = False) -> Iterator[tuple[int, list[str]]]:
    """(first line, fields) of each CSV record, header included, as Python's csv module reads
    them: slower than Polars, so only to say where a file Polars refused went wrong."""
    if isinstance(source, _io.BytesIO):
        source.seek(0)
        fh = _io.TextIOWrapper(source, encoding="utf-8", newline="")
    else:
        fh = open(source, encoding="utf-8-sig", errors="replace", newline="")
    limit = csv.field_size_limit()
    csv.field_size_limit(2**31 - 1)  # a long note text is not an error (a C long may be 32 bits)
    reader = csv.reader(fh, delimiter=sep, strict=strict)
    start = 1  # reader.line_num counts the lines read so far
    try:
        for fields in reader:
            yield start, fields
            start = reader.line_num + 1
    except csv.Error as exc:
        raise _BrokenRecord(start, str(exc)) from exc
    finally:
        csv.field_size_limit(limit)
        if isinstance(source, _io.BytesIO):
            fh.detach()
        else:
            fh.close()


class _BrokenRecord(Exception):
    def __init__(self, line: int, why: str) -> None:
        super().__init__(line, why)
        self.line, self.why = line, why


def _quote_problem(source: Path | _io.BytesIO, sep: str) -> str | None:
    """Which row's quotes broke the file, if that is what did."""
    try:
        for _ in _records(source, sep, strict=True):
            pass
    except _BrokenRecord as broken:
        return _quote_words(broken)
    return None


def _quote_words(broken: _BrokenRecord) -> str:
    if "unexpected end of data" in broken.why:
        return f"the quote in the row on line {broken.line} is never closed"
    return f"the quotes in the row on line {broken.line} don't pair up ({broken.why}; write \"\" for a quote inside a value)"


def _cant_read(path: Path, source: Path | _io.BytesIO, sep: str, exc: BaseException) -> KolvetError:
    """A CSV Polars refused: which row's quotes broke it, if that is what did, else Polars' words."""
    return KolvetError(f"{path}: can't read as CSV ({_quote_problem(source, sep) or _first_line(exc)})")


def _widths(source: Path | _io.BytesIO, sep: str, width: int) -> tuple[list[int], list[bool]] | None:
    """Per data row: its number of fields, and whether any field past `width` holds text;
    None where Python's csv module can't read the rows."""
    counts: list[int] = []
    texts: list[bool] = []
    try:
        records = _records(source, sep)
        next(records, None)  # the header
        for _, fields in records:
            counts.append(len(fields))
            texts.append(len(fields) > width and any(f.strip() for f in fields[width:]))
    except _BrokenRecord:
        return None
    return counts, texts


def _trailing_style(counts: list[int], texts: list[bool], width: int) -> bool:
    """Most rows end in one empty field more than the header: a trailing separator, a style
    that loses nothing. Only that one empty field is allowed; a row longer still is misread."""
    return sum(c == width + 1 and not t for c, t in zip(counts, texts, strict=True)) > len(counts) / 2


def _overflowing(source: Path | _io.BytesIO, sep: str, width: int) -> pl.Series:
    """Per data row, as Polars splits rows: whether a field past `width` holds text."""
    if isinstance(source, _io.BytesIO):
        source.seek(0)
    names = [f"c{i}" for i in range(width + _OVERFLOW)]
    cells = pl.read_csv(source, has_header=False, schema=dict.fromkeys(names, pl.String()), separator=sep,
                        truncate_ragged_lines=True, missing_columns="insert", glob=False)
    extra = cells.select(names[width:]).slice(1)  # the header is row 0 here
    return extra.select(pl.any_horizontal(pl.all().str.strip_chars().fill_null("") != "")).to_series()


def ragged_rows(source: Path | _io.BytesIO, sep: str, width: int, height: int) -> pl.DataFrame:
    """Data rows longer than the header (row 1 = first after the header), with why they can't
    be used: their cells would be read under the wrong columns, so even the creator id is in
    doubt. A trailing separator on most rows is a style, not an error: rows with just that
    one empty field more are read as they are."""
    name = _SEPARATOR_NAMES.get(sep, repr(sep))
    found = _widths(source, sep, width)
    if found is not None and len(found[0]) == height:
        counts, texts = found
        trailing = _trailing_style(counts, texts, width)
        long = [(i, c) for i, (c, t) in enumerate(zip(counts, texts, strict=True), start=1)
                if c > width and not (trailing and c == width + 1 and not t)]
    else:  # rows split otherwise than Polars splits them (a bare CR): trust Polars, and text
        flags = _overflowing(source, sep, width)
        long = [(i + 1, None) for i in flags.arg_true().to_list()]
    most = len(long) > height / 2
    why = []
    for _, c in long:
        fields = f"{c} fields where the header names {width}" if c is not None else f"more fields than the {width} the header names"
        why.append(f"{fields}: " + (
            "most rows do, is a column name missing from the header?" if most else f"a {name} in an unquoted value?"))
    return pl.DataFrame({S.ROW_INDEX: pl.Series([i for i, _ in long], dtype=pl.UInt32),
                         S.ROW_PROBLEM: pl.Series(why, dtype=pl.String)})


def _marked(frame: pl.DataFrame, problems: pl.DataFrame) -> pl.DataFrame:
    """Mark rows the parsers must set aside whatever their cells say (S.ROW_PROBLEM); rows
    are numbered (S.ROW_INDEX) if they aren't yet."""
    frame = S.numbered(frame)
    index = problems.with_columns(pl.col(S.ROW_INDEX).cast(frame.schema[S.ROW_INDEX]))
    return frame.join(index, on=S.ROW_INDEX, how="left", maintain_order="left")


def _csv_separator(path: Path) -> str:
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        return _sniff_separator(fh.readline(), path.suffix.lower())


def _swallow_pattern(width: int, sep: str) -> str:
    """A line break followed by a line with a separator for every one of `width` columns."""
    s = re.escape(sep)
    return rf"\n(?:[^\n{s}]*{s}){{{width - 1}}}"


def _swallows_rows(columns: Mapping[str, pl.DataType], sep: str) -> pl.Expr:
    """Per row: does a value hold whole lines that read as rows of their own? That is a quote
    opened in one row and closed only rows later: any CSV reader reads the rows between as one
    value, and their notes would vanish unreported."""
    width, text = _file_columns(columns)
    if width < 2 or not text:
        return pl.lit(False)
    pattern = _swallow_pattern(width, sep)
    return pl.any_horizontal(pl.col(c).str.contains(pattern).fill_null(False) for c in text)


def _file_columns(columns: Mapping[str, pl.DataType]) -> tuple[int, list[str]]:
    """How many columns the file has (not the row marks kolvet adds), and its text ones."""
    own = [c for c in columns if c not in (S.ROW_INDEX, S.ROW_PROBLEM)]
    return len(own), [c for c in own if columns[c] == pl.String]


def _swallowed(path: Path, rows: pl.LazyFrame, sep: str) -> KolvetError:
    """Where a value swallowed rows (_swallows_rows): the line its row starts on, and where it ends."""
    columns = rows.collect_schema()
    width, text = _file_columns(columns)
    breaks = pl.sum_horizontal(pl.col(c).str.count_matches("\n", literal=True).fill_null(0) for c in text)
    first = (rows.with_row_index("\0i").with_columns(breaks.alias("\0n"))
             .with_columns((2 + pl.col("\0i") + pl.col("\0n").cum_sum() - pl.col("\0n")).alias("\0line"))
             .filter(_swallows_rows(columns, sep)).head(1).collect().row(0, named=True))
    pattern = _swallow_pattern(width, sep)
    column = next(c for c in text if first[c] is not None and re.search(pattern, first[c]))
    start = first["\0line"]
    end = start + first[column].count("\n")
    return KolvetError(f"{path}: can't read as CSV (the {_shown(column)} value of the row on line {start} runs on to line "
                       f"{end}, over lines that read as rows of their own: a quote opened there and not closed?)")


def _cr_only(head: bytes | str) -> bool:
    """The header line ends in a bare CR, as in Excel for Mac's "CSV (Macintosh)"; Polars
    splits rows at LF only, so such a file is handed to it with LF endings. Judged by the first
    line break alone: a later cell may hold an LF of its own."""
    cr, lf = ("\r", "\n") if isinstance(head, str) else (b"\r", b"\n")
    at = head.find(cr)
    return at >= 0 and head[at + 1:at + 2] != lf and not 0 <= head.find(lf) < at


def _head(path: Path) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(1 << 16)


def read_csv(path: Path, encoding: str | None = None,
             aliases: dict[str, list[str]] | None = None, skip_lines: int = 0) -> pl.DataFrame:
    """A CSV/TSV as a frame; with `skip_lines`, the header is that many lines down (a title
    above it), and rows keep the numbers they have in the file."""
    enc = detect_encoding(path, encoding)
    if enc in ("utf-8", "utf-8-sig") and not _cr_only(_head(path)) and not skip_lines:
        source: Path | _io.BytesIO = path
        with open(path, "rb") as fh:
            raw_first = fh.readline()
        try:
            first = raw_first.decode(enc)
        except UnicodeDecodeError as exc:
            raise _not_valid(path, enc, exc.start, encoding) from None
    else:  # Polars reads UTF-8 only: decode once, hand it the UTF-8 bytes.
        text = _text(path, enc, encoding)
        if _cr_only(text[: 1 << 16]):
            text = re.sub("\r\n?", "\n", text)
        if skip_lines:
            text = text.split("\n", skip_lines)[-1]
        first = text.split("\n", 1)[0]
        source = _io.BytesIO(text.encode("utf-8"))
    first = first.lstrip("\ufeff")
    if not first.strip():
        with open(path, "rb") as fh:
            if not fh.read(1 << 16).lstrip(codecs.BOM_UTF8).strip():
                raise KolvetError(f"{path}: file is empty")
        raise KolvetError(f"{path}: the first line is blank; kolvet expects the header there")
    if _looks_binary(first):
        raise KolvetError(f"{path}: doesn't look like a text table (binary or unknown encoding; try --encoding)")
    sep = _sniff_separator(first, path.suffix.lower())
    # As Polars names them: a field quoted whole loses its quotes, spaces around stay.
    header = [h[1:-1] if len(h) > 1 and h[0] == h[-1] == '"' else h for h in first.rstrip("\r\n").split(sep)]
    frame = _csv_frame(path, source, enc, encoding, sep, header, aliases)
    if frame.select(_swallows_rows(frame.schema, sep).any()).item():
        raise _swallowed(path, frame.lazy(), sep)
    if skip_lines:
        frame = S.numbered(frame).with_columns(pl.col(S.ROW_INDEX) + skip_lines)
    return frame


def _csv_frame(path: Path, source: Path | _io.BytesIO, enc: str, encoding: str | None, sep: str, header: list[str],
               aliases: dict[str, list[str]] | None) -> pl.DataFrame:
    try:
        return _polars_csv(source, sep, header, aliases)
    except pl.exceptions.NoDataError:
        raise KolvetError(f"{path}: file is empty") from None
    except Exception as exc:
        if isinstance(source, Path):
            _text(path, enc, encoding)  # invalid UTF-8 later in the file: say where, suggest --encoding
        try:
            # Quotes that don't open a value (ni"ck) trip Polars, while Python's csv module
            # keeps them as text, as Excel and pandas do: read it that way, losing nothing.
            requoted = _requoted(source, sep)
        except _BrokenRecord as broken:
            raise KolvetError(f"{path}: can't read as CSV ({_quote_words(broken)})") from None
        try:
            return _polars_csv(requoted, sep, header, aliases)
        except Exception:
            raise KolvetError(f"{path}: can't read as CSV ({_first_line(exc)})") from None


def _polars_csv(source: Path | _io.BytesIO, sep: str, header: list[str],
                aliases: dict[str, list[str]] | None) -> pl.DataFrame:
    """Polars' read; rows longer than the header are read cut to it and marked to be set aside."""
    try:
        return _read_csv(source, sep, header, aliases, ragged=False)
    except pl.exceptions.NoDataError:
        raise
    except Exception as exc:
        if RAGGED not in str(exc):
            raise
    frame = _read_csv(source, sep, header, aliases, ragged=True)
    return _marked(frame, ragged_rows(source, sep, frame.width, frame.height))


_BARE_CR = "\ufdd0"  # a noncharacter: stands in for a bare CR while Python's csv module reads


def _requoted(source: Path | _io.BytesIO, sep: str) -> _io.BytesIO:
    """The CSV rewritten as Python's csv module reads it, for Polars to read: a value with a
    quote inside (ni"ck) comes out quoted, rows end in LF. A bare CR stays inside its value, as
    Polars has it (it splits rows at LF only). Raises _BrokenRecord where quotes don't pair up.
    Held in memory, a few times the file's size: only for files Polars refused."""
    raw = source.getvalue() if isinstance(source, _io.BytesIO) else source.read_bytes()
    text = re.sub("\r(?!\n)", _BARE_CR, raw.decode("utf-8-sig", errors="replace"))
    del raw
    out = _io.StringIO()
    writer = csv.writer(out, delimiter=sep, lineterminator="\n")
    for _, fields in _records(_io.BytesIO(text.encode("utf-8")), sep, strict=True):
        writer.writerow(fields)
    return _io.BytesIO(out.getvalue().replace(_BARE_CR, "\r").encode("utf-8"))


def _read_csv(source: Path | _io.BytesIO, sep: str, header: list[str], aliases: dict[str, list[str]] | None,
              ragged: bool) -> pl.DataFrame:
    # glob=False: a file named "kit[1].csv" is that file, not a pattern matching "kit1.csv".
    common = dict(separator=sep, truncate_ragged_lines=ragged, try_parse_dates=False, glob=False)
    try:
        if isinstance(source, _io.BytesIO):
            source.seek(0)
        return pl.read_csv(source, infer_schema_length=10_000,
                           schema_overrides=_string_overrides(header, aliases), **common)
    except pl.exceptions.NoDataError:
        raise
    except Exception:
        # A count column that looks numeric early but holds "1.2万" later: read all as text.
        if isinstance(source, _io.BytesIO):
            source.seek(0)
        return pl.read_csv(source, infer_schema=False, **common)


def _cell(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _records_frame(records: list[object], path: Path) -> pl.DataFrame:
    """JSON records as an all-text frame: crawlers mix "5" and 5 in the same field."""
    rows = [r for r in records if isinstance(r, dict)]
    if len(rows) != len(records):
        raise KolvetError(f"{path}: expected a list of objects (one per note or creator)")
    columns: dict[str, None] = {}
    for r in rows:
        for k in r:
            columns.setdefault(str(k), None)
    data = {c: [_cell(r.get(c)) for r in rows] for c in columns}
    return pl.DataFrame(data, schema={c: pl.String for c in columns})


_JSON_LINES = object()


def read_json(path: Path, encoding: str | None = None) -> pl.DataFrame:
    enc = detect_encoding(path, encoding)
    text = _text(path, enc, encoding).lstrip("\ufeff")
    if not text.strip():
        raise KolvetError(f"{path}: file is empty")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        if text.lstrip().startswith("["):  # an array that breaks off: say where
            # Broken off at the end: likely a crawl stopped mid-write; anywhere else, a typo.
            cut = "; is the file cut short?" if exc.pos >= len(text.rstrip()) else ""
            raise KolvetError(f"{path}: not valid JSON at line {exc.lineno}, column {exc.colno} ({exc.msg}){cut}") from None
        data = _JSON_LINES
    if data is _JSON_LINES:  # one object per line
        records = []
        for lineno, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise KolvetError(f"{path}: line {lineno}, column {exc.colno}: not valid JSON ({exc.msg})") from None
        return _records_frame(records, path)
    if isinstance(data, dict):
        lists = [v for v in data.values() if isinstance(v, list)]
        if len(lists) == 1:  # API envelopes such as {"data": [...]}
            data = lists[0]
        else:
            data = [data]
    if not isinstance(data, list):
        raise KolvetError(f"{path}: expected a JSON array of objects")
    if not data:
        raise KolvetError(f"{path}: no rows (an empty JSON array)")
    return _records_frame(data, path)


def read_excel(path: Path, sheet: str | None = None) -> pl.DataFrame:
    """The first sheet, or the one named (--sheet: a name, or its number counting from 1).
    Every cell is read as text, as Spider_XHS writes them; parsing comes later. Rows are
    numbered before blank ones are dropped, so a set-aside row's number is the sheet's."""
    text = {"infer_schema_length": 0, "drop_empty_rows": False}
    try:
        if sheet is None:
            return _without_blank_rows(pl.read_excel(path, sheet_id=1, **text))
        try:
            return _without_blank_rows(pl.read_excel(path, sheet_name=sheet, **text))
        except Exception:
            if not sheet.strip().isdigit() or int(sheet) < 1:
                raise
            return _without_blank_rows(pl.read_excel(path, sheet_id=int(sheet), **text))
    except Exception as exc:
        names = _sheet_names(path)
        if sheet is not None and names is not None and sheet not in names:
            raise KolvetError(f"{path}: no sheet named {sheet!r} (sheets: {', '.join(names)})") from None
        raise KolvetError(f"{path}: can't read as a workbook ({_first_line(exc)})") from None


def _without_blank_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """Number the rows (S.ROW_INDEX), then drop those with nothing but blanks in them."""
    frame = S.numbered(frame)
    cells = [c for c in frame.columns if c != S.ROW_INDEX]
    if not cells:
        return frame
    return frame.filter(pl.any_horizontal(pl.col(c).str.strip_chars().fill_null("") != "" for c in cells))


def other_sheets(path: Path, aliases: dict[str, list[str]]) -> list[tuple[str, str]]:
    """A workbook's sheets after the first whose headers hold notes or creators: (name, what).
    Headers only; a sheet that can't be looked at is left out (this only ever adds a hint)."""
    if path.suffix.lower() not in (".xlsx", ".xls") or not path.is_file():
        return []
    try:
        import fastexcel

        book = fastexcel.read_excel(path)
        found = []
        for name in list(book.sheet_names)[1:]:
            header = [c.name for c in book.load_sheet(name, n_rows=0).available_columns()]
            what = next((kind for kind in ("notes", "creators") if _header_holds(header, aliases, kind)), None)
            if what is not None:
                found.append((name, what))
        return found
    except Exception:
        return []


def _header_holds(names: list[str], aliases: dict[str, list[str]], kind: str) -> bool:
    """The header names the columns notes need, or (kind "creators") a creator id, as classify
    reads a roster."""
    if kind == "creators":
        return not S.map_columns(names, aliases, kind="creators").missing([S.CREATOR_ID])
    return not S.map_columns(names, aliases).missing(S.REQUIRED_POST_COLUMNS)


def data_sheets(path: Path, sheet: str | None, aliases: dict[str, list[str]]) -> list[str]:
    """A workbook read without --sheet whose sheets after the first hold notes or creators too
    (a roster sheet beside the notes, a sheet per month): every such sheet, the first included,
    to be read as a table of its own. Empty for anything else, read as one table."""
    if sheet is not None:
        return []
    others = [name for name, _ in other_sheets(path, aliases)]
    names = _sheet_names(path) if others else None
    return [names[0], *others] if names else []


def sheet_source(path: Path, sheet: str) -> str:
    """How a sheet read as a table of its own is named in reports: Excel's "[book.xlsx]Sheet"
    turned round, so the file comes first."""
    return f"{path}[{sheet}]"


def source_file(source: str) -> Path:
    """The file an input's name (sheet_source or a path) was read from."""
    path = Path(source)
    if source.endswith("]") and "[" in source and not path.exists():
        return Path(source[:source.rindex("[")])
    return path


def read_sheets(path: Path, sheets: list[str], aliases: dict[str, list[str]],
                encoding: str | None = None) -> tuple[list[RawTable], list[SkippedFile]]:
    """Each named sheet as its own table (rows numbered as in the sheet); a sheet that holds
    neither notes nor creators is skipped with its reason, as a folder's files are."""
    tables: list[RawTable] = []
    skipped: list[SkippedFile] = []
    for name in sheets:
        source = sheet_source(path, name)
        try:
            frame = read_excel(path, name)
            if frame.height == 0:
                skipped.append(SkippedFile(source, "no rows"))
                continue
            tables.append(replace(classify_file(path, frame, aliases, encoding), source=source))
        except UsageError:
            raise
        except KolvetError as exc:
            # Without the hint to pass --sheet for another sheet: those sheets are being read already.
            reason = re.sub(r"\. Sheet '.*' has the (?:notes|creators): pass --(?:creators-)?sheet .*$", "",
                            str(exc).removeprefix(f"{path}: "))
            skipped.append(SkippedFile(source, reason))
    return tables, skipped


def unread_sheets(path: Path, sheet: str | None, aliases: dict[str, list[str]]) -> str:
    """A workbook read without --sheet is read from its first sheet: name the other sheets
    whose headers hold notes or creators too, so none is left out unsaid."""
    return "" if sheet is not None else ", ".join(f"{name!r} ({what})" for name, what in other_sheets(path, aliases))


def _sheet_names(path: Path) -> list[str] | None:
    try:
        import fastexcel

        return list(fastexcel.read_excel(path).sheet_names)
    except Exception:
        return None


def read_parquet(path: Path) -> pl.DataFrame:
    try:
        return pl.read_parquet(path, glob=False)
    except Exception as exc:
        raise KolvetError(f"{path}: can't read as Parquet ({_first_line(exc)})") from None


def read_table(path: Path, encoding: str | None = None, sheet: str | None = None,
               aliases: dict[str, list[str]] | None = None) -> pl.DataFrame:
    """Any supported file as a frame with its own headers (strings where types are unclear)."""
    suffix = path.suffix.lower()
    if path.stat().st_size == 0:
        raise KolvetError(f"{path}: file is empty")
    if suffix in (".parquet", ".pq"):
        return read_parquet(path)
    if suffix in (".xlsx", ".xls"):
        kind = _workbook_kind(path)
        if kind == "html":
            raise KolvetError(f"{path}: a web page (an HTML table) with an {suffix} name, as some platforms export: "
                              "open it in Excel or WPS and save it as .xlsx or CSV")
        if kind == "text" and suffix == ".xls":  # tab-separated text with an .xls name, another common export
            return read_csv(path, encoding, aliases)
        return read_excel(path, sheet)
    if suffix in (".json", ".jsonl", ".ndjson"):
        return read_json(path, encoding)
    return read_csv(path, encoding, aliases)


def _workbook_kind(path: Path) -> str:
    """"workbook" (an .xlsx zip or an old .xls), or what an export named .xls really holds:
    "html" (a web page's table) or "text" (tab-separated)."""
    with open(path, "rb") as fh:
        head = fh.read(512)
    if head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        return "workbook"
    text = head.removeprefix(b"\xef\xbb\xbf").removeprefix(b"\xff\xfe").removeprefix(b"\xfe\xff").replace(b"\x00", b"")
    return "html" if text.lstrip().startswith(b"<") else "text"


def scan_table(path: Path, encoding: str | None = None) -> pl.LazyFrame | None:
    """A lazy scan for inputs too big to hold (--streaming): Parquet, and UTF-8 CSV read as
    text (a count column may turn into "1.2万" a million rows down). Other formats are read
    whole (None)."""
    suffix = path.suffix.lower()
    if path.stat().st_size == 0:
        raise KolvetError(f"{path}: file is empty")
    if suffix in (".parquet", ".pq"):
        return pl.scan_parquet(path, glob=False)
    if (suffix in (".csv", ".tsv", ".txt") and detect_encoding(path, encoding) in ("utf-8", "utf-8-sig")
            and not _cr_only(_head(path))):
        # Strict: a row longer than the header fails the part, which then marks it (RawTable.part).
        sep = _csv_separator(path)
        scan = pl.scan_csv(path, separator=sep, infer_schema=False, glob=False)
        return scan if _scans_cleanly(path, sep, scan) else None
    return None


def _scans_cleanly(path: Path, sep: str, scan: pl.LazyFrame) -> bool:
    """Whether every part of a scanned CSV will read (rows longer than the header are marked
    there), and it has rows. One pass now, so a file that won't read, or holds only a header,
    is read whole instead, as without --streaming: its problem is named, or worked round,
    before any part is cut."""
    cut = pl.scan_csv(path, separator=sep, infer_schema=False, truncate_ragged_lines=True, glob=False)
    for attempt in (scan, cut):
        try:
            # Null counts of every column make the scan parse every field, not only the row count.
            counts = attempt.select(pl.len().alias("\0rows"), _swallows_rows(attempt.collect_schema(), sep).any().alias("\0swallowed"),
                                    pl.all().null_count()).collect(engine="streaming")
        except pl.exceptions.PolarsError as exc:
            if attempt is cut or RAGGED not in str(exc):
                return False
            continue
        if counts.item(0, 1):
            raise _swallowed(path, attempt, sep)
        return counts.item(0, 0) > 0
    return False


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


# ---- recognising what a file holds --------------------------------------------------------

def _shown(name: str) -> str:
    """A header as it can safely go into a one-line message."""
    text = "".join(ch if ch.isprintable() else " " for ch in str(name)).strip()
    return text if len(text) <= 40 else text[:39] + "…"


def _describe_missing(missing: list[str], columns: list[str]) -> str:
    looked = "; ".join(f"{m} (e.g. {', '.join(S.ALIASES[m][:4])})" for m in missing)
    columns = [c for c in columns if c not in (S.ROW_PROBLEM, S.ROW_INDEX)]
    found = ", ".join(_shown(c) for c in columns[:30]) + (" ..." if len(columns) > 30 else "")
    return f"no column for {looked}; columns found: {found or '(none)'}"


_KNOWN_HEADERS = {S.normalise_header(a) for names in S.ALIASES.values() for a in names}


def _check_duplicates(columns: list[str], source: str, aliases: dict[str, list[str]]) -> None:
    """Two columns with one name ("likes" twice, or "Likes" and "likes"): kolvet can't know
    which holds the counts, so it asks rather than guessing."""
    names = [re.sub(r"_duplicated_\d+$", "", c) for c in columns]  # how Polars renames repeats
    known = _KNOWN_HEADERS | {S.normalise_header(a) for v in aliases.values() for a in v}
    clashes = [d for d in S.duplicated_headers(names) if d in known]
    if clashes:
        shown = ", ".join(_shown(c) for c in names if S.normalise_header(c) in clashes)
        raise KolvetError(f"{source}: the header repeats a column kolvet reads ({shown}); "
                          "rename or remove one so it's clear which holds the data")


def classify(frame: pl.DataFrame, source: str, aliases: dict[str, list[str]], want: str | None = None,
             scan: pl.LazyFrame | None = None) -> RawTable:
    """Decide whether a table holds notes or creators and map its columns, or say why not.
    With a scan (streaming), `frame` is the header only and rows are counted later."""
    if scan is not None:
        table = classify(pl.DataFrame([{c: None for c in frame.columns}], schema=frame.schema), source, aliases, want)
        return RawTable(source, frame, table.family, table.kind, table.mapping, scan)
    _check_duplicates(frame.columns, source, aliases)
    family = S.recognise_family(frame.columns)
    if family == S.KOLVET_OUTPUT and want != "creators":
        raise KolvetError(f"{source}: a file kolvet wrote (a ranking or set-aside rows), not notes")
    mapping = S.map_columns(frame.columns, aliases)
    if want is None and S.is_comment_table(frame.columns, mapping):
        if frame.height == 0 and scan is None:
            raise KolvetError(f"{source}: has a header but no rows")
        return RawTable(source, frame, family, "comments", S.map_comment_columns(frame.columns), scan)
    has_counts = sum(c in mapping.source_of for c in S.REQUIRED_COUNTS)
    as_creators = S.map_columns(frame.columns, aliases, kind="creators")
    if want == "creators" and S.POST_ID in mapping.source_of and has_counts >= 2:
        raise KolvetError(f"{source}: holds notes (note ids and counts), not creators: pass it as an input, "
                          "and give --creators a roster or profile file")
    if want == "creators" or (want is None and has_counts == 0 and S.CREATOR_ID in as_creators.source_of
                              and (S.FOLLOWERS in as_creators.source_of or S.QUOTE in as_creators.source_of)):
        missing = as_creators.missing([S.CREATOR_ID])
        if missing:
            hint = _header_hint(frame, source, aliases, "creators") if want == "creators" else ""
            raise KolvetError(f"{source}: {_describe_missing(missing, frame.columns)}{hint}")
        if frame.height == 0:
            raise KolvetError(f"{source}: has a header but no rows")
        return RawTable(source, frame, family, "creators", as_creators)
    missing = mapping.missing(S.REQUIRED_POST_COLUMNS)
    if missing:
        raise KolvetError(f"{source}: {_describe_missing(missing, frame.columns)}{_header_hint(frame, source, aliases)}")
    if frame.height == 0:
        raise KolvetError(f"{source}: has a header but no rows")
    return RawTable(source, frame, family, "posts", mapping)


def _header_row(frame: pl.DataFrame, path: Path, aliases: dict[str, list[str]], kind: str) -> tuple[int, list[str]] | None:
    """(i, cells) of the row that holds the header, when it isn't the first: agency exports
    often put a title above it. In a text file, i counts the lines after the first (a title
    line has no separators, so the table parsed as one column: the lines are read); in a
    workbook, the rows of the frame, whose cells are given in place (None where blank)."""
    if path.suffix.lower() in (".csv", ".tsv", ".txt") and path.is_file():
        try:
            with open(path, encoding=detect_encoding(path), errors="replace") as fh:
                lines = [fh.readline() for _ in range(11)][1:]
        except (OSError, KolvetError):
            lines = []
        rows: list[list[str | None]] = [[v.strip().strip('"') for v in line.split(_sniff_separator(line, path.suffix.lower()))]
                                        for line in lines]
    else:
        rows = [[None if v is None else str(v) for v in row]
                for row in frame.drop(S.ROW_INDEX, S.ROW_PROBLEM, strict=False).head(10).iter_rows()]
    for i, row in enumerate(rows):
        names = [v.strip() for v in row if v is not None and v.strip()]
        if names and _header_holds(names, aliases, kind):
            return i, [v.strip() if v is not None else "" for v in row]
    return None


def _header_hint(frame: pl.DataFrame, source: str, aliases: dict[str, list[str]], kind: str = "notes") -> str:
    """Where the header of the notes (or of the creators) really is when it isn't the first row
    and the file couldn't be read from there; or the sheet that holds them."""
    path = Path(source)
    found = _header_row(frame, path, aliases, kind)
    if found is not None:
        names = [v for v in found[1] if v]
        return f". The header looks like the row starting {', '.join(names[:3])}: remove the rows above it"
    option = "--creators-sheet" if kind == "creators" else "--sheet"
    sheets = [name for name, what in other_sheets(path, aliases) if what == kind]
    return f". Sheet {sheets[0]!r} has the {kind}: pass {option} {sheets[0]}" if sheets else ""


def classify_file(path: Path, frame: pl.DataFrame, aliases: dict[str, list[str]], encoding: str | None = None,
                  want: str | None = None) -> RawTable:
    """classify, and when the header isn't on the first row (an agency export's title or a
    merged group header above it) but a few rows down, read the table from there and say so."""
    two_rows = _two_row_header(frame, path, aliases, want)
    if two_rows is not None:
        return two_rows
    try:
        return classify(frame, str(path), aliases, want)
    except KolvetError as first:
        text_file = path.suffix.lower() in (".csv", ".tsv", ".txt")
        if not (text_file or path.suffix.lower() in (".xlsx", ".xls")) or not str(first).startswith(f"{path}: no column for"):
            raise
        found = _header_row(frame, path, aliases, "creators" if want == "creators" else "notes")
        if found is None:
            raise
        i, cells = found
        if text_file:
            below = read_csv(path, encoding, aliases, skip_lines=i + 1)
            said = f"header read from line {i + 2}; the {counted(i + 1, 'line')} above it (a title) skipped"
        else:
            body = frame.slice(i + 1)
            at = frame.get_column(S.ROW_INDEX)[i] + 1  # the sheet's row (its row 1 is the first frame's header)
            cells_in = [c for c in body.columns if c not in (S.ROW_INDEX, S.ROW_PROBLEM)]
            below = body.rename(dict(zip(cells_in, _as_polars_names(cells), strict=True)))
            said = f"header read from row {at}; the rows above it (a title) skipped"
        try:
            table = classify(below, str(path), aliases, want)
        except KolvetError:
            raise first from None
        return replace(table, header_below=said)


def _as_polars_names(cells: list[str]) -> list[str]:
    """Header cells read from a sheet's rows, named as a header row would be: a blank one as
    fastexcel names it (__UNNAMED__3), a repeat as Polars does in a CSV (the second "备注" is
    备注_duplicated_0), so a roster's own columns come back named alike (schema._own_names)."""
    names = [c or f"__UNNAMED__{j}" for j, c in enumerate(cells)]
    return [n if names.index(n) == j else f"{n}_duplicated_{names[:j].count(n) - 1}" for j, n in enumerate(names)]


_NO_HEADER = re.compile(r"^(?:_duplicated_\d+|__UNNAMED__\d+)?$")  # how Polars and fastexcel name a blank header cell


def _two_row_header(frame: pl.DataFrame, path: Path, aliases: dict[str, list[str]], want: str | None) -> RawTable | None:
    """A header on two rows, as agencies lay out sheets: a group name merged over several columns
    (互动数据 over 点赞数, 收藏数, 评论数), the columns' own names on the row below, and names
    such as 博主ID merged down both rows. Read as one header, the lower row's name where it has
    one, else the upper's; None unless every name on the lower row is one kolvet knows."""
    cells = [c for c in frame.columns if c not in (S.ROW_INDEX, S.ROW_PROBLEM)]
    if frame.height < 2:
        return None
    lower = [str(v).strip() if v is not None else "" for v in frame.select(cells).row(0)]
    named = [n for n in lower if n]
    if len(named) < 2 or not all(S.map_columns([n], aliases).source_of
                                 or S.map_columns([n], aliases, kind="creators").source_of for n in named):
        return None
    upper = ["" if _NO_HEADER.match(c) else c for c in cells]
    if not any(up and not lo for lo, up in zip(lower, upper, strict=True)):
        return None  # the upper row names no column of its own: a title above the header (classify_file)
    names = _as_polars_names([lo or up for lo, up in zip(lower, upper, strict=True)])
    try:
        table = classify(frame.slice(1).rename(dict(zip(cells, names, strict=True))), str(path), aliases, want)
    except KolvetError:
        return None
    return replace(table, header_below="header read from its first two rows (a group name above the columns' own)")


def read_inputs(paths: Iterable[str | os.PathLike[str]], aliases: dict[str, list[str]] | None = None,
                encoding: str | None = None, sheet: str | None = None,
                progress: Callable[[str], None] | None = None,
                streaming: bool = False, require_notes: bool = True) -> tuple[list[RawTable], list[SkippedFile]]:
    """Read every input. A file named directly must be usable (else a one-line error); files
    found in a folder that hold neither notes nor creators are skipped and reported. With
    `streaming`, Parquet and UTF-8 CSV are only scanned; their rows are read part by part.
    Without `require_notes` (a batch roster), creators alone will do."""
    paths = list(paths)
    tables: list[RawTable] = []
    skipped: list[SkippedFile] = []
    for path, explicit in find_inputs(paths):
        name = path.name.lower()
        if not explicit and is_kolvet_output(path):
            skipped.append(SkippedFile(str(path), "written by kolvet"))
            continue
        if not explicit and name.startswith("~$"):
            skipped.append(SkippedFile(str(path), "an Excel lock file, not a workbook"))
            continue
        if progress:
            progress(str(path))
        sheets = data_sheets(path, sheet, aliases or {})
        if sheets:
            found, passed = read_sheets(path, sheets, aliases or {}, encoding)
            if explicit and not found:
                raise KolvetError(f"{path}: no sheet holds notes or creators ({passed[0].reason})")
            tables += found
            skipped += passed
            continue
        try:
            scan = scan_table(path, encoding) if streaming else None
            if scan is not None:
                try:
                    table: RawTable | None = classify(scan.head(0).collect(), str(path), aliases or {}, scan=scan)
                except KolvetError:  # read whole below: it finds a header under a title, or says what's wrong
                    table = None
                if table is not None and table.kind != "comments":
                    tables.append(table)
                    continue
            frame = read_table(path, encoding, sheet, aliases)
            if frame.height == 0 and not explicit:
                skipped.append(SkippedFile(str(path), "no rows"))
                continue
            tables.append(classify_file(path, frame, aliases or {}, encoding))
        except UsageError:
            raise
        except KolvetError as exc:
            if explicit:
                raise
            reason = str(exc).removeprefix(f"{path}: ")
            if reason.startswith("a file kolvet wrote"):
                reason = "written by kolvet"
            skipped.append(SkippedFile(str(path), reason))
    if not any(t.kind == "posts" or (t.kind == "creators" and not require_notes) for t in tables):
        detail = "; ".join(f"{s.source}: {s.reason}" for s in skipped[:3])
        named = ", ".join(str(p) for p in paths)
        if any(t.kind == "creators" for t in tables):  # a roster sheet on its own
            detail = "; ".join(filter(None, [detail, "it holds creators only: pass it as --creators beside their notes"]))
        raise KolvetError(f"no notes found in {named}" + (f" ({detail})" if detail else ""))
    return tables, skipped + not_tables(paths)


def read_creators_file(path: str | os.PathLike[str], aliases: dict[str, list[str]] | None = None,
                       encoding: str | None = None, sheet: str | None = None) -> RawTable:
    p = Path(path)
    if p.is_dir():
        raise KolvetError(f"{p}: is a folder; --creators takes one roster or profile file")
    if not p.is_file():
        raise KolvetError(f"{p}: no such file")
    return replace(classify_file(p, read_table(p, encoding, sheet, aliases), aliases or {}, encoding, want="creators"),
                   unread_sheets=unread_sheets(p, sheet, aliases or {}))


# ---- writing ------------------------------------------------------------------------------

WRITABLE = (".csv", ".parquet", ".json", ".xlsx")


def check_targets(targets: dict[str, Path], inputs: set[Path] | None = None,
                  formats: dict[str, tuple[str, ...]] | None = None) -> None:
    """Before any work is done: each output (what -> path) can be written where asked, in a
    format kolvet writes (`formats`: what -> extensions), is not an input, and no two outputs
    are the same file (the second would silently replace the first). A name the command line
    got wrong is a usage error (exit 2); a place that can't be written is an input problem (1)."""
    written: dict[Path, str] = {}
    for what, target in targets.items():
        target = Path(target)
        check_file_name(target, what)
        allowed = (formats or {}).get(what)
        if allowed and target.suffix.lower() not in allowed:
            raise UsageError(f"{target}: unsupported output format {target.suffix or '(none)'}; use {', '.join(allowed)}")
        try:
            resolved = target.resolve()
        except OSError as exc:
            raise KolvetError(f"{target}: can't write here ({exc.strerror})") from None
        if resolved in (inputs or set()):
            raise UsageError(f"{target}: is one of the inputs; kolvet won't write over its own input")
        if resolved in written:
            raise UsageError(f"{target}: named for both the {written[resolved]} and the {what}; give each its own file")
        written[resolved] = what


def check_file_name(target: Path, what: str = "ranked") -> None:
    """A file kolvet can create: not a folder, in a folder that exists, with a name the
    file system takes."""
    try:
        if target.name in ("", ".", "..") or target.is_dir():
            raise KolvetError(f"{target}: is a folder; name a file in it, e.g. {target / ('kolvet-' + what + '.csv')}")
        _check_folder(target)
        if len(os.fsencode(target.name)) > 255:  # the common limit for one name (ext4, APFS, NTFS)
            raise KolvetError(f"{target}: file name too long ({len(os.fsencode(target.name))} bytes; at most 255)")
    except OSError as exc:
        raise KolvetError(f"{target}: can't write here ({exc.strerror})") from None


def _check_folder(target: Path) -> Path:
    parent = target.parent if str(target.parent) else Path(".")
    if parent.exists() and not parent.is_dir():
        raise KolvetError(f"{target}: {parent} is a file, not a folder")
    if not parent.is_dir():
        raise KolvetError(f"{target}: folder {parent} does not exist")
    return parent


@contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside `target`; on success it replaces `target` in one rename."""
    target = Path(target)
    parent = _check_folder(target)
    try:
        # A short fixed prefix: the target's own name may already be as long as the system allows.
        fd, tmp = tempfile.mkstemp(prefix=".kolvet-", suffix=".part", dir=parent)
    except OSError as exc:
        raise KolvetError(f"{target}: can't write here ({exc.strerror})") from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp makes the file private (0600); outputs are ordinary files (0644 under the
        # usual umask), like anything else the user writes.
        os.chmod(tmp_path, 0o666 & ~_UMASK)
        os.replace(tmp_path, target)
    except OSError as exc:
        raise KolvetError(f"{target}: can't write ({exc.strerror})") from None
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def _read_umask() -> int:
    """The process umask, read without changing it where the OS allows (threads may be writing)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()

# A text cell starting with one of these is run as a formula by spreadsheets (OWASP, "CSV
# injection"); export.guard_formulas neutralises them in CSV, the XLSX writer below in XLSX.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# The same as a regex character class, for the CSV guard and for reading guarded cells back.
FORMULA_CLASS = "[" + "".join("\\" + c if c in "-]\\^" else c for c in FORMULA_STARTS) + "]"
XLSX_MAX_TEXT = 32_767  # Excel's limit for one cell
# Times go out as "2025-06-25 23:55:02", China Standard Time like every time kolvet holds
# (schema): the form Excel and WPS read as a date, where ISO's "T" and microseconds stay text.
CSV_DATETIME = "%Y-%m-%d %H:%M:%S"
XLSX_DATETIME = "yyyy-mm-dd hh:mm:ss"


XLSX_WIDTHS = (6, 60)  # narrowest and widest column, in characters; longer text wraps off-screen
_WIDTH_SAMPLE = 500  # rows looked at to size a column


def _display_width(text: str) -> int:
    """Columns a spreadsheet gives the text: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _column_width(name: str, values: pl.Series) -> int:
    shown = values.head(_WIDTH_SAMPLE).drop_nulls()
    widest = max((_display_width(str(v)) for v in shown.to_list()), default=0)
    if shown.dtype.is_float():  # written rounded to the shown precision by Excel, not Python's repr
        widest = min(widest, 10)
    return max(XLSX_WIDTHS[0], min(XLSX_WIDTHS[1], max(_display_width(name), widest) + 2))


def _write_xlsx_sheets(sheets: dict[str, pl.DataFrame], path: Path, percent: Collection[str] = ()) -> None:
    """Text stays text: no string is ever turned into a formula, link or number. Text that a
    spreadsheet would run as a formula (=, +, -, @, tab, CR first) is written with Excel's
    quote prefix, the same mark Excel sets when a user types '=...: it shows unchanged and
    stays text even when the cell is edited. Each sheet opens ready to sort and filter: the
    header frozen with filter buttons, columns sized to their content, and the `percent`
    columns (fractions, as the CSV holds them) shown as 12.34%."""
    import xlsxwriter

    options = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    with xlsxwriter.Workbook(str(path), options) as workbook:
        # A fixed creation time: else the file's properties hold the clock, and the same run
        # would not give the same bytes.
        workbook.set_properties({"created": datetime(2000, 1, 1)})
        bold = workbook.add_format({"bold": True})
        as_text = workbook.add_format({"quote_prefix": True})
        as_time = workbook.add_format({"num_format": XLSX_DATETIME})
        as_date = workbook.add_format({"num_format": "yyyy-mm-dd"})
        as_percent = workbook.add_format({"num_format": "0.00%"})
        used: set[str] = set()
        for name, frame in sheets.items():
            title = _sheet_title(name, used)
            sheet = workbook.add_worksheet(title)
            for j, col in enumerate(frame.columns):
                sheet.write_string(0, j, col, bold)
                number = as_percent if col in percent else None
                sheet.set_column(j, j, _column_width(col, frame.get_column(col)))
                for i, value in enumerate(frame.get_column(col).to_list(), start=1):
                    if value is None:
                        continue
                    if isinstance(value, str):
                        if len(value) > XLSX_MAX_TEXT:
                            value = value[: XLSX_MAX_TEXT - 1] + "…"
                        if value.startswith(FORMULA_STARTS):
                            sheet.write_string(i, j, value, as_text)
                        else:
                            sheet.write_string(i, j, value)
                    elif isinstance(value, bool):
                        sheet.write_boolean(i, j, value)
                    elif isinstance(value, (int, float)):
                        if value == value and value not in (float("inf"), float("-inf")):
                            sheet.write_number(i, j, value, number)
                    elif isinstance(value, date):  # datetimes too: a datetime is a date
                        sheet.write_datetime(i, j, value, as_time if isinstance(value, datetime) else as_date)
                    else:
                        sheet.write_string(i, j, str(value)[:XLSX_MAX_TEXT])
            sheet.freeze_panes(1, 0)
            if frame.width and frame.height:
                sheet.autofilter(0, 0, frame.height, frame.width - 1)


def _sheet_title(name: str, used: set[str]) -> str:
    base = "".join("_" if ch in "[]:*?/\\" else ch for ch in name)[:31] or "sheet"
    title, n = base, 1
    while title.lower() in used:
        n += 1
        title = f"{base[:28]}~{n}"
    used.add(title.lower())
    return title


def write_frame(frame: pl.DataFrame, path: str | os.PathLike[str], metadata: Mapping[str, object] | None = None) -> Path:
    """Write by extension: .csv (UTF-8 with a BOM, so Excel on Chinese Windows reads its
    Chinese as UTF-8, not GBK), .parquet, .json, .xlsx. Atomic."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in WRITABLE:
        raise UsageError(f"{target}: unsupported output format {suffix or '(none)'}; use {', '.join(WRITABLE)}")
    with atomic_path(target) as tmp:
        if suffix == ".csv":
            frame.write_csv(tmp, include_bom=True, datetime_format=CSV_DATETIME)
        elif suffix == ".parquet":
            frame.write_parquet(tmp, metadata={k: str(v) for k, v in metadata.items()} if metadata else None)
        elif suffix == ".json":
            rows = frame.to_dicts()
            payload = {"metadata": metadata or {}, "creators": rows} if metadata else rows
            tmp.write_text(json.dumps(payload, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
        else:
            _write_xlsx_sheets({"ranking": frame}, tmp)
    return target


def write_workbook(sheets: dict[str, pl.DataFrame], path: str | os.PathLike[str], percent: Collection[str] = ()) -> Path:
    """Sheets in one workbook, atomically; `percent` names the fraction columns to show as %."""
    target = Path(path)
    with atomic_path(target) as tmp:
        _write_xlsx_sheets(sheets, tmp, percent)
    return target


def write_text(text: str, path: str | os.PathLike[str]) -> Path:
    target = Path(path)
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return target


def read_previous(path: str | os.PathLike[str], typed: Iterable[str] = ()) -> pl.DataFrame:
    """A ranked file kolvet wrote earlier (for batch --previous and shortlist restore). Only
    the `typed` columns (kolvet's own) are read as numbers where they are; the rest (a roster's
    own columns, the user's notes) as the text they are, so "00123" keeps its zeros."""
    p = Path(path)
    try:
        if p.suffix.lower() == ".parquet":
            return pl.read_parquet(p, glob=False)
        header = pl.read_csv(p, n_rows=0, glob=False).columns
        typed = set(typed) - {S.CREATOR_ID}
        frame = pl.read_csv(p, infer_schema_length=10_000, glob=False,
                            schema_overrides={c: pl.String for c in header if c not in typed})
    except FileNotFoundError:
        raise KolvetError(f"{p}: no such file") from None
    except Exception as exc:
        raise KolvetError(f"{p}: can't read an earlier kolvet output ({_first_line(exc)})") from None
    # Undo export.guard_formulas ('=... back to =...), so ids join with a new run and text
    # (nicknames, notes) reads as the user wrote it.
    return frame.with_columns(pl.col(c).str.replace(f"^'({FORMULA_CLASS})", "$1")
                              for c, dtype in frame.schema.items() if dtype == pl.String)
