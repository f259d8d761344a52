"""A corpus of bad inputs, made here, driven through the real CLI.

Each case ends one of two ways: exit 0 with every input row accounted for (taken + set aside
= read, the set-aside rows in <stem>.rejected.csv with a reason, every creator either ranked
or named in the set-aside rows), or exit 1 with exactly one line on stderr that names the
problem. Never a traceback, never a silent drop."""

from __future__ import annotations

import csv
import json
import os
import random
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from kolvet.cli import app
from tests.conftest import HEADER, cohort, rows_for, write_rows

runner = CliRunner()
@dataclass
class Case:
    name: str
    make: Callable[[Path], Path]
    outcome: str  # "ok" or "error"
    expect: tuple[str, ...] = ()  # set-aside reasons (ok) or words in the error line (error)
    args: list[str] = field(default_factory=list)


def _bytes(name: str, data: bytes) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        (tmp / name).write_bytes(data)
        return tmp / name
    return make


def _text(name: str, text: str) -> Callable[[Path], Path]:
    return _bytes(name, text.encode("utf-8"))


def _rows(name: str, extra: list[list[str]], header: list[str] = HEADER, base: int = 12, **kw) -> Callable[[Path], Path]:
    return lambda tmp: write_rows(tmp / name, cohort(base) + extra, header, **kw)


def _truncated(tmp: Path) -> Path:
    path = write_rows(tmp / "truncated.csv", cohort())
    path.write_text(path.read_text(encoding="utf-8") + "c99,c99-0,2025-05-01 12:00:00,5000,1", encoding="utf-8")
    return path


def _cut_character(tmp: Path) -> Path:
    """Chinese nicknames, one of them (on line 4) with its last character cut short, as a crawler
    trimming a title by bytes leaves it."""
    rows = [[*r[:-1], f"小红薯{r[0]}"] for r in cohort()]
    data = write_rows(tmp / "cut.csv", rows).read_bytes()
    at = data.index("小红薯c00".encode(), data.index("小红薯c00".encode()) + 1)  # the second note of c00
    return _bytes("cut.csv", data[:at + 2] + data[at + 3:])(tmp)


def _pasted_gbk(tmp: Path) -> Path:
    """A UTF-8 export with a GBK one pasted below it (from line 50)."""
    rows = [[*r[:-1], f"小红薯{r[0]}"] for r in cohort()]
    data = write_rows(tmp / "x.csv", rows).read_bytes()
    head, body = data.split(b"\n", 1)
    lines = body.split(b"\n")
    half = len(lines) // 2
    gbk = b"\n".join(lines[half:]).decode("utf-8").encode("gbk")
    return _bytes("pasted.csv", head + b"\n" + b"\n".join(lines[:half]) + b"\n" + gbk)(tmp)


def _open_quote(tmp: Path) -> Path:
    path = write_rows(tmp / "open_quote.csv", cohort())
    path.write_text(path.read_text(encoding="utf-8") + 'c99,c99-0,"2025-05-01 12:', encoding="utf-8")
    return path


def _quote_closed_rows_later(tmp: Path) -> Path:
    """A nickname whose opening quote is closed only in a row further down: every reader takes
    the rows between as part of one value, so their notes would vanish without a word."""
    path = write_rows(tmp / "late_quote.csv", cohort())
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[20] = lines[20].replace(",nick", ',"nick')
    lines[24] += '"'
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _multi_line_values(tmp: Path) -> Path:
    """Quoted values over several lines, with commas, as note texts are: read whole, not
    mistaken for swallowed rows."""
    path = write_rows(tmp / "multi_line.csv", cohort())
    lines = path.read_text(encoding="utf-8").splitlines()
    for i in (5, 30, 31):
        lines[i] = lines[i].replace(",nick", ',"nick, part one,\n\npart two, with, three commas\nnick')  + '"'
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _unquoted_comma(tmp: Path) -> Path:
    """A hand-edited export: one nickname with a comma, not quoted, in the middle of the file,
    so that row has one field more than the header."""
    path = write_rows(tmp / "unquoted.csv", cohort())
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(40, "r1,r1-0,2025-05-01 12:00:00,5000,100,40,9,1,,小红,书")
    lines += [",".join(r) for r in rows_for("r1")[1:]]  # r1's other notes are fine
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _stray_quotes(tmp: Path) -> Path:
    """Quotes inside unquoted nicknames, as scraped: Polars refuses the file, Python's csv
    module (like Excel and pandas) reads them as text. One row is also a field too long."""
    path = write_rows(tmp / "stray_quote.csv", cohort())
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[5] = lines[5].rsplit(",", 1)[0] + ',小"红'
    lines[9] = lines[9].rsplit(",", 1)[0] + ',书"店"'
    lines.insert(20, 'r1,r1-0,2025-05-01 12:00:00,5000,100,40,9,1,,小"红,书')
    lines += [",".join(r) for r in rows_for("r1")[1:]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _cr_only(tmp: Path) -> Path:
    """Excel for Mac's "CSV (Macintosh)": every line ends in a bare CR."""
    data = write_rows(tmp / "x.csv", cohort()).read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r")
    (tmp / "mac.csv").write_bytes(data)
    return tmp / "mac.csv"


def _header_missing_a_name(tmp: Path) -> Path:
    path = write_rows(tmp / "unnamed.csv", [[*r, "备注"] for r in cohort()])
    return path


def _trailing_commas(tmp: Path) -> Path:
    path = write_rows(tmp / "trailing.csv", cohort())
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(lines[:1] + [line + "," for line in lines[1:]]) + "\n", encoding="utf-8")
    return path


def _trailing_commas_and_a_long_row(tmp: Path) -> Path:
    """Trailing commas, and followers written 1,005 unquoted beside an empty nickname: two
    empty fields too many, so the trailing comma can't explain them and the cells are off."""
    path = _trailing_commas(tmp)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(30, "r1,r1-0,2025-05-01 12:00:00,1,005,100,40,9,1,,,")
    lines += [",".join(r) + "," for r in rows_for("r1")[1:]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _rows_semicolon_header_comma(tmp: Path) -> Path:
    path = tmp / "mixed_delimiters.csv"
    lines = [",".join(HEADER)] + [";".join(r) for r in cohort(3)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _not_a_list(tmp: Path) -> Path:
    (tmp / "scalar.json").write_text('"just a string"', encoding="utf-8")
    return tmp / "scalar.json"


def _truncated_json(tmp: Path) -> Path:
    recs = [dict(zip(HEADER, r, strict=True)) for r in cohort(2)]
    text = json.dumps(recs, ensure_ascii=False)
    (tmp / "cut.json").write_text(text[: len(text) // 2], encoding="utf-8")
    return tmp / "cut.json"


def _fake_xlsx(tmp: Path) -> Path:
    (tmp / "notes.xlsx").write_text("creator_id,post_id\na,1\n", encoding="utf-8")
    return tmp / "notes.xlsx"


def _workbook_named_csv(tmp: Path) -> Path:
    pl.DataFrame([dict(zip(HEADER, r, strict=True)) for r in cohort()]).write_excel(tmp / "book.xlsx")
    return _bytes("notes.csv", (tmp / "book.xlsx").read_bytes())(tmp)


def _fake_parquet(tmp: Path) -> Path:
    (tmp / "notes.parquet").write_bytes(b"PAR1" + bytes(range(200)))
    return tmp / "notes.parquet"


def _empty_folder(tmp: Path) -> Path:
    (tmp / "crawl").mkdir()
    (tmp / "crawl" / "readme.md").write_text("nothing here", encoding="utf-8")
    return tmp / "crawl"


def _folder_of_bad_files(tmp: Path) -> Path:
    folder = tmp / "bad_folder"
    folder.mkdir()
    (folder / "a.csv").write_text("", encoding="utf-8")
    (folder / "b.json").write_text("{not json", encoding="utf-8")
    (folder / "c.csv").write_text("x,y\n1,2\n", encoding="utf-8")
    return folder


def _a_ranking(tmp: Path) -> Path:
    (tmp / "ranked.csv").write_text("rank,creator_id,nickname,followers,score,verdict\n1,a,x,100,80.0,shortlist\n",
                                    encoding="utf-8")
    return tmp / "ranked.csv"


def _row_column(tmp: Path) -> Path:
    """Its own "row" and "reason" columns must not clash with kolvet's bookkeeping."""
    rows = [[*r, str(i), "mine"] for i, r in enumerate(cohort())]
    return write_rows(tmp / "own_row.csv", rows, [*HEADER, "row", "reason"])


RNG = random.Random(20250301)
GARBAGE = bytes(RNG.randrange(256) for _ in range(4000))
GARBAGE_NO_NUL = bytes(RNG.randrange(1, 256) for _ in range(4000))
LATIN1 = ",".join(HEADER).encode() + b"\n" + "\n".join(",".join(r) for r in rows_for("café")).encode("latin-1")

CASES = [
    Case("empty", _bytes("empty.csv", b""), "error", ("empty.csv", "empty")),
    Case("bom only", _bytes("bom.csv", b"\xef\xbb\xbf"), "error", ("bom.csv", "empty")),
    Case("blank lines", _text("blank.csv", "\n\n\n"), "error", ("blank.csv", "blank")),
    Case("header only", _text("header.csv", ",".join(HEADER) + "\n"), "error", ("header.csv", "header but no rows")),
    Case("an empty JSON array", _text("empty.json", "[]\n"), "error", ("empty.json", "no rows")),
    Case("binary garbage", _bytes("garbage.csv", GARBAGE), "error", ("garbage.csv", "binary")),
    Case("garbage without NUL", _bytes("garbage2.csv", GARBAGE_NO_NUL), "error", ("garbage2.csv",)),
    Case("unknown encoding", _bytes("latin1.csv", LATIN1), "error", ("latin1.csv", "encoding")),
    Case("a UTF-8 character cut short", _cut_character, "error",
         ("cut.csv", "not valid utf-8 on line 3", "a character cut short?", "--encoding utf-8-lossy")),
    Case("a UTF-8 character cut short, streamed", _cut_character, "error", ("cut.csv", "on line 3", "utf-8-lossy"),
         args=["--streaming"]),
    Case("a UTF-8 character cut short, forced UTF-8", _cut_character, "error", ("cut.csv", "on line 3", "utf-8-lossy"),
         args=["--encoding", "utf-8"]),
    Case("a UTF-8 character cut short, read lossy", _cut_character, "ok", args=["--encoding", "utf-8-lossy"]),
    # Read as GB18030, the UTF-8 half would be nonsense without a word: stop and say where it turns.
    Case("a GBK export pasted below a UTF-8 one", _pasted_gbk, "error",
         ("pasted.csv: UTF-8 up to line 50, another encoding (GBK?) from there: two exports pasted together?",)),
    Case("a GBK export pasted below a UTF-8 one, forced UTF-8", _pasted_gbk, "error",
         ("pasted.csv: not valid utf-8 on line 50", "another encoding (GBK?) from there"), args=["--encoding", "utf-8"]),
    Case("truncated csv", _truncated, "ok", ("missing saves",)),
    Case("truncated inside a quote", _open_quote, "error", ("open_quote.csv", "can't read as CSV", "on line 98 is never closed")),
    Case("truncated inside a quote, streamed", _open_quote, "error", ("open_quote.csv", "on line 98 is never closed"),
         args=["--streaming"]),
    Case("a quote closed rows later", _quote_closed_rows_later, "error",
         ("late_quote.csv", "can't read as CSV", "value of the row on line 21 runs on to line 25")),
    Case("a quote closed rows later, streamed", _quote_closed_rows_later, "error",
         ("late_quote.csv", "value of the row on line 21 runs on to line 25"), args=["--streaming"]),
    Case("quoted values over several lines", _multi_line_values, "ok"),
    Case("quoted values over several lines, streamed", _multi_line_values, "ok", args=["--streaming"]),
    Case("every row one field longer than the header", _header_missing_a_name, "error",
         ("unnamed.csv", "11 fields where the header names 10: most rows do, is a column name missing from the header?")),
    Case("a trailing comma on every row but the header", _trailing_commas, "ok"),
    Case("a trailing comma on every row but the header, streamed", _trailing_commas, "ok", args=["--streaming"]),
    Case("trailing commas and a row two fields too long", _trailing_commas_and_a_long_row, "ok",
         ("12 fields where the header names 10: a comma in an unquoted value?",)),
    Case("a row with a comma in an unquoted value", _unquoted_comma, "ok",
         ("11 fields where the header names 10: a comma in an unquoted value?",)),
    Case("a row with a comma in an unquoted value, streamed", _unquoted_comma, "ok",
         ("11 fields where the header names 10: a comma in an unquoted value?",), args=["--streaming"]),
    Case("quotes inside unquoted values", _stray_quotes, "ok",
         ("11 fields where the header names 10: a comma in an unquoted value?",)),
    Case("quotes inside unquoted values, streamed", _stray_quotes, "ok",
         ("11 fields where the header names 10: a comma in an unquoted value?",), args=["--streaming"]),
    Case("lines ending in CR alone (CSV for Macintosh)", _cr_only, "ok"),
    Case("lines ending in CR alone, streamed", _cr_only, "ok", args=["--streaming"]),
    Case("semicolons", _rows("semicolon.csv", [], sep=";"), "ok"),
    Case("tabs in a .csv", _rows("tabs.csv", [], sep="\t"), "ok"),
    Case("header commas, rows semicolons", _rows_semicolon_header_comma, "error",
         ("mixed_delimiters.csv", "no usable notes", "missing post_id")),
    Case("duplicated headers", _rows("dup.csv", [], [*HEADER[:7], "likes", *HEADER[8:]]), "error",
         ("dup.csv", "repeats a column", "likes")),
    Case("duplicated headers kolvet doesn't read", lambda tmp: write_rows(
        tmp / "dup_other.csv", [[*r, "a", "b"] for r in cohort()], [*HEADER, "备注", "备注"]), "ok"),
    Case("mixed types in a count column", _rows("mixed.csv", [
        ["m", "m-1", "2025-05-03", "5000", "abc", "1", "1", "1", "", "x"],
        ["m", "m-2", "2025-05-04", "5000", "1.2万", "1", "1", "1", "", "x"],
        ["m", "m-3", "2025-05-05", "5000", "12.5", "1", "1", "1", "", "x"]]), "ok", ("likes: not a count",)),
    Case("negative and absurd counts", _rows("absurd.csv", [
        ["a", "a-1", "2025-05-01", "5000", "-5", "1", "1", "1", "", "x"],
        ["a", "a-2", "2025-05-02", "5000", "1000", "1", "1", "1", "10", "x"],
        ["a", "a-3", "2025-05-03", "5000", "1e15", "1", "1", "1", "", "x"],
        ["a", "a-4", "2025-05-04", "-20", "10", "1", "1", "1", "", "x"],
        ["a", "a-5", "2025-05-05", "5000", "10", "999999", "1", "1", "10", "x"]]), "ok",
         # A note's bad followers cell (the creator's, on every note) costs the note only that cell.
         ("likes: negative", "likes: more than 10x views", "likes: implausibly large",
          "followers: negative (that cell left empty; the row's other fields kept)", "saves: more than 10x views")),
    # Wider than 64 bits: the column reads as 128-bit integers, and a strict cast would stop the run.
    Case("a count past 64 bits", _rows("wide.csv", [
        ["w", "w-1", "2025-05-01", "5000", "99999999999999999999", "1", "1", "1", "", "x"]]), "ok",
         ("likes: implausibly large",)),
    Case("a count past 64 bits, streamed", _rows("wide.csv", [
        ["w", "w-1", "2025-05-01", "5000", "99999999999999999999", "1", "1", "1", "", "x"]]), "ok",
         ("likes: implausibly large",), args=["--streaming"]),
    Case("NaN and inf strings", _rows("naninf.csv", [
        ["n", "n-1", "2025-05-01", "5000", "NaN", "1", "1", "1", "", "x"],
        ["n", "n-2", "2025-05-02", "5000", "inf", "1", "1", "1", "", "x"],
        ["n", "n-3", "2025-05-03", "5000", "5", "-inf", "1", "1", "", "x"],
        ["n", "n-4", "2025-05-04", "nan", "5", "2", "1", "1", "", "x"]]), "ok",
         ("missing likes", "likes: not a count", "saves: not a count")),
    Case("future dates", _rows("future.csv", [["f", "f-1", "2099-05-01", "5000", "5", "1", "1", "1", "", "x"]]), "ok",
         ("posted_at: in the future",)),
    Case("dates that aren't", _rows("dates.csv", [["d", "d-1", "yesterday", "5000", "5", "1", "1", "1", "", "x"],
                                                  ["d", "d-2", "", "5000", "5", "1", "1", "1", "", "x"]]), "ok",
         ("posted_at: not a date", "missing posted_at")),
    Case("duplicate note ids with different counts", _rows("dupids.csv", [
        ["c01", "c01-1", "2025-05-02 12:00:00", "5000", "999", "1", "1", "1", "", "nick-c01"],
        ["c02", "c02-1", "2025-05-02 12:00:00", "5000", "1", "1", "1", "1", "", "nick-c02"]]), "ok",
         ("duplicate post_id: another copy of the note (none newer: kept the one read last)",)),
    Case("missing required columns", _rows("nosaves.csv", [], [h if h != "saves" else "备注" for h in HEADER]), "error",
         ("nosaves.csv", "no column for saves", "columns found")),
    Case("0-follower creator", _rows("zero.csv", rows_for("zero", followers="0")), "ok"),
    Case("all-zero engagement", _rows("allzero.csv", rows_for("zz", likes=0, saves=0, comments=0)), "ok"),
    Case("only zero engagement", _rows("onlyzero.csv", rows_for("z1", likes=0, saves=0, comments=0)
                                       + rows_for("z2", likes=0, saves=0, comments=0), base=0), "ok"),
    Case("a single creator", _rows("single.csv", rows_for("solo"), base=0), "ok"),
    Case("a single note", _rows("one.csv", rows_for("solo", n=1), base=0), "ok"),
    Case("two creators", _rows("two.csv", rows_for("s") + rows_for("t", likes=300), base=0), "ok"),
    Case("very long nicknames", _rows("long.csv", rows_for("L", nickname="长" * 100_000)), "ok"),
    Case("emoji and right-to-left text", _rows("rtl.csv", rows_for("e", nickname="💄✨ العربية עברית ‮evil")), "ok"),
    Case("control characters", _rows("ctrl.csv", rows_for("k", nickname="a\x01b\x7fc\u200bd")), "ok"),
    Case("a column named row", _row_column, "ok"),
    Case("a totals row at the bottom", _rows("totals.csv", [["合计", "", "", "", "12,345", "999", "99", "9", "", ""]]),
         "ok", ("a totals row (合计), not a note",)),
    Case("暂无 in counts", _rows("zanwu.csv", [["w", f"w-{i}", f"2025-05-0{i} 12:00:00", "暂无", "50", "20", "3", "暂无", "", "x"]
                                           for i in range(1, 7)] + [["w", "w-7", "2025-05-07 12:00:00", "5000", "暂无", "20", "3", "1", "", "x"]]),
         "ok", ("missing likes",)),
    Case("CRLF line endings", lambda tmp: _bytes("crlf.csv", write_rows(tmp / "x.csv", cohort()).read_bytes()
                                                 .replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))(tmp), "ok"),
    Case("a ranking kolvet wrote, given as notes", _a_ranking, "error", ("ranked.csv", "a file kolvet wrote")),
    Case("json that isn't a list", _not_a_list, "error", ("scalar.json",)),
    Case("truncated json", _truncated_json, "error", ("cut.json", "not valid JSON", "cut short")),
    # A typo mid-file is not a file cut short: the line names where, and no more.
    Case("json with a typo", _text("typo.json", '[{"note_id": "a1", "user_id": "u1"},\n{"note_id": "a2" "user_id": "u1"}]'),
         "error", ("typo.json: not valid JSON at line 2, column 18 (Expecting ',' delimiter)",)),
    Case("json lines with a typo", _text("typo.jsonl", '{"note_id": "a1", "user_id": "u1"}\n{"note_id": "a2", user_id: "u1"}\n'),
         "error", ("typo.jsonl: line 2, column 19: not valid JSON (Expecting property name enclosed in double quotes)",)),
    Case("a text file named .xlsx", _fake_xlsx, "error", ("notes.xlsx", "workbook")),
    Case("a workbook named .csv", _workbook_named_csv, "error", ("notes.csv: is an Excel workbook, not text: rename it to notes.xlsx",)),
    Case("a broken parquet", _fake_parquet, "error", ("notes.parquet", "Parquet")),
    Case("a folder with nothing to read", _empty_folder, "error", ("crawl", "no CSV")),
    Case("a folder of bad files", _folder_of_bad_files, "error", ("no notes found in", "bad_folder", "a.csv: file is empty")),
]


def _data_rows(path: Path) -> int:
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        return sum(1 for _ in csv.reader(fh)) - 1


def _creators_in(path: Path) -> set[str]:
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        return {r[0] for r in list(csv.reader(fh, delimiter=";" if "semicolon" in path.name else
                                                "\t" if "tabs" in path.name else ","))[1:] if r and r[0]}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_gives_a_result_or_one_line(tmp_path, case):
    source = case.make(tmp_path)
    out = tmp_path / "out" / "ranked.csv"
    out.parent.mkdir()
    res = runner.invoke(app, ["vet", str(source), "-o", str(out), "-q", *case.args])
    assert "Traceback" not in res.output and "Traceback" not in res.stderr
    if case.outcome == "error":
        assert res.exit_code == 1, res.output
        assert res.stderr.count("\n") == 1 and res.stderr.startswith("kolvet: error: "), res.stderr
        for words in case.expect:
            assert words in res.stderr, res.stderr
        assert not out.exists()
        return

    assert res.exit_code == 0, res.stderr
    assert res.stderr == ""
    meta = json.loads(out.with_name("ranked.meta.json").read_text(encoding="utf-8"))
    read = [i for i in meta["inputs"] if i["holds"] == "posts"]
    for entry in read:
        assert entry["taken"] + entry["set_aside"] == entry["rows"], entry
    assert sum(e["rows"] for e in read) == _data_rows(source)
    ranked = pl.read_csv(out, infer_schema=False)
    rejected_path = out.with_name("ranked.rejected.csv")
    rejected = pl.read_csv(rejected_path, infer_schema=False) if rejected_path.exists() else None
    n_aside = sum(e["set_aside"] for e in read)
    kept = rejected.filter(pl.col("reason").str.ends_with("(that cell left empty; the row's other fields kept)")) \
        if rejected is not None else None
    assert (rejected.height - kept.height if rejected is not None else 0) == n_aside
    if rejected is not None:
        assert rejected.get_column("reason").null_count() == 0 and rejected.get_column("row").null_count() == 0
        for reason in case.expect:
            assert reason in set(rejected.get_column("reason")), (reason, rejected.get_column("reason").to_list())
    else:
        assert case.expect == ()
    # Every creator exactly once in the ranking, or named among the set-aside rows.
    ids = ranked.get_column("creator_id")
    assert ids.n_unique() == ids.len()
    sorted_ranks = sorted(int(r) for r in ranked.get_column("rank"))
    assert sorted_ranks == list(range(1, ranked.height + 1))
    accounted = set(ids) | (set(rejected.get_column("creator_id").drop_nulls()) if rejected is not None else set())
    assert _creators_in(source) <= accounted


def test_unsigned_64_bit_counts_too_big_to_be_real_are_set_aside(tmp_path):
    rows = pl.DataFrame([dict(zip(HEADER, r, strict=True)) for r in cohort()])
    counts = rows.with_columns(pl.col(c).cast(pl.UInt64) for c in ("likes", "saves", "comments"))
    counts = counts.with_columns(pl.when(pl.int_range(pl.len()) == 0).then(2**64 - 1).otherwise(pl.col("likes"))
                                 .cast(pl.UInt64).alias("likes"))
    counts.write_parquet(tmp_path / "u64.parquet")
    res = runner.invoke(app, ["vet", str(tmp_path / "u64.parquet"), "-o", str(tmp_path / "out.csv"), "-q"])
    assert res.exit_code == 0, res.output
    rejected = pl.read_csv(tmp_path / "out.rejected.csv", infer_schema=False)
    assert rejected.select("row", "reason").rows() == [("1", "likes: implausibly large")]


def test_a_misread_row_names_no_creator(tmp_path):
    """Nickname first, a comma in it, the last column empty: the row's cells are all one column
    off, so its creator id would be half a nickname. It is set aside with no cells shown, and
    no creator is made up from it."""
    header = ["nickname", *[h for h in HEADER if h != "nickname"]]
    rows = [[r[-1], *r[:-1]] for r in cohort()]
    path = write_rows(tmp_path / "nick_first.csv", rows, header)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(30, "小红,书,r1,r1-0,2025-05-01 12:00:00,5000,100,40,9,1,")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "o.csv"
    for flags in ([], ["--streaming"]):
        res = runner.invoke(app, ["vet", str(path), "-o", str(out), "-q", *flags])
        assert res.exit_code == 0, res.output
        rejected = pl.read_csv(out.with_name("o.rejected.csv"), infer_schema=False)
        assert rejected.select("row", "reason", "creator_id", "posted_at").rows() == [
            ("30", "11 fields where the header names 10: a comma in an unquoted value?", None, None)]
        assert set(pl.read_csv(out).get_column("creator_id")) == {f"c{k:02d}" for k in range(12)}


def test_emoji_rtl_and_long_nicknames_survive_to_csv_and_xlsx(tmp_path):
    nick = "💄✨ العربية עברית"
    long_nick = "长" * 100_000
    path = write_rows(tmp_path / "n.csv", cohort() + rows_for("e", nickname=nick) + rows_for("L", nickname=long_nick))
    for ext in ("csv", "xlsx"):
        out = tmp_path / f"o.{ext}"
        res = runner.invoke(app, ["vet", str(path), "-o", str(out), "-q"])
        assert res.exit_code == 0 and res.stderr == "", res.stderr
        table = pl.read_csv(out, infer_schema=False) if ext == "csv" else pl.read_excel(out, infer_schema_length=0)
        nicks = dict(table.select("creator_id", "nickname").iter_rows())
        assert nicks["e"] == nick
        assert nicks["L"] == long_nick if ext == "csv" else nicks["L"].startswith("长" * 1000)


def test_unwritable_output_is_one_line_exit_1_and_a_wrong_format_exit_2(tmp_path):
    path = write_rows(tmp_path / "n.csv", cohort())
    res = runner.invoke(app, ["vet", str(path), "-o", str(tmp_path / "no" / "such" / "dir" / "o.csv")])
    assert res.exit_code == 1 and res.stderr.count("\n") == 1 and "does not exist" in res.stderr
    res = runner.invoke(app, ["vet", str(path), "-o", str(tmp_path / "o.txt")])
    assert res.exit_code == 2 and res.stderr.count("\n") == 1 and "unsupported output format" in res.stderr
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o555)
        res = runner.invoke(app, ["vet", str(path), "-o", str(locked / "o.csv")])
        assert res.exit_code == 1 and res.stderr.count("\n") == 1 and "can't write" in res.stderr


def test_output_path_that_is_a_folder_is_one_line_exit_1(tmp_path):
    path = write_rows(tmp_path / "n.csv", cohort())
    (tmp_path / "taken.csv").mkdir()
    res = runner.invoke(app, ["vet", str(path), "-o", str(tmp_path / "taken.csv")])
    assert res.exit_code == 1 and res.stderr.count("\n") == 1 and "taken.csv" in res.stderr


def _kolvet(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """The installed command, in a fresh process, as a user runs it."""
    command = Path(sys.executable).with_name("kolvet")
    return subprocess.run([str(command), *args], cwd=cwd, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "KOLVET_DEBUG": ""})


def test_the_real_command_on_a_broken_file(tmp_path):
    (tmp_path / "empty.csv").write_text("", encoding="utf-8")
    proc = _kolvet("vet", "empty.csv", "-o", "out.csv", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr == "kolvet: error: empty.csv: file is empty\n"
    assert "Traceback" not in proc.stdout + proc.stderr
    (tmp_path / "dup.csv").write_text("creator_id,post_id,posted_at,likes,saves,saves,comments\na,1,2025-01-01,1,2,3,4\n",
                                      encoding="utf-8")
    proc = _kolvet("vet", "dup.csv", "-o", "out.csv", cwd=tmp_path)
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1 and "saves, saves" in proc.stderr


def test_the_real_command_on_messy_but_usable_rows(tmp_path):
    write_rows(tmp_path / "messy.csv", cohort() + [["x", "x-1", "2099-01-01", "5000", "5", "1", "1", "1", "", "x"],
                                                   ["y", "y-1", "2025-05-01", "5000", "lots", "1", "1", "1", "", "y"]])
    proc = _kolvet("vet", "messy.csv", "-o", "out.csv", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "" and "2 rows set aside" in proc.stdout
    rejected = pl.read_csv(tmp_path / "out.rejected.csv", infer_schema=False)
    assert rejected.select("row", "reason", "creator_id").rows() == [
        ("98", "likes: not a count", "y"), ("97", "posted_at: in the future", "x")]


def test_a_workbook_with_a_cover_sheet_reads_the_sheet_with_the_notes(tmp_path):
    import xlsxwriter

    path = tmp_path / "agency.xlsx"
    with xlsxwriter.Workbook(str(path)) as book:
        book.add_worksheet("封面").write(0, 0, "XX机构 达人数据 2025年3月")
        notes = book.add_worksheet("笔记")
        for i, row in enumerate([HEADER, *cohort()]):
            for j, cell in enumerate(row):
                notes.write_string(i, j, cell)
    res = runner.invoke(app, ["vet", str(path), "-o", str(tmp_path / "o.csv")])
    assert res.exit_code == 0 and f"read {path}[笔记]: " in res.stdout
    assert f"{path}[封面]: " in res.output  # the cover is reported as skipped, not silently passed over
    assert runner.invoke(app, ["vet", str(path), "--sheet", "笔记", "-q", "-o", str(tmp_path / "o.csv")]).exit_code == 0


def test_a_title_line_above_the_header_is_skipped_and_said(tmp_path):
    """Agency exports put a title above the header: kolvet finds the header a few lines down,
    reads from there, says so, and set-aside rows keep their place in the file."""
    rows = cohort()
    rows[20][4] = "abc"  # likes, on line 24 of the titled file (title, header, then rows)
    plain = write_rows(tmp_path / "plain.csv", rows)
    titled = tmp_path / "titled.csv"
    titled.write_text("达人笔记导出 2025-03\n" + plain.read_text(encoding="utf-8"), encoding="utf-8")
    runs = {}
    for path in (plain, titled):
        res = runner.invoke(app, ["vet", str(path), "-o", str(tmp_path / f"{path.stem}.ranked.csv")])
        assert res.exit_code == 0, res.output
        runs[path.stem] = res.output
    assert ("header: " + str(titled) + ": header read from line 2; the 1 line above it (a title) skipped") in \
        " ".join(runs["titled"].split())
    assert (tmp_path / "titled.ranked.csv").read_bytes() == (tmp_path / "plain.ranked.csv").read_bytes()
    aside = pl.read_csv(tmp_path / "titled.ranked.rejected.csv").row(0, named=True)
    assert (aside["row"], aside["reason"]) == (22, "likes: not a count")  # as in plain.csv (21), a title line down


def test_a_workbook_with_a_title_and_a_blank_row_above_the_header_is_read_from_its_header_row(tmp_path):
    import xlsxwriter

    path = tmp_path / "titled.xlsx"
    with xlsxwriter.Workbook(str(path)) as book:
        sheet = book.add_worksheet("笔记")
        sheet.write(0, 0, "2025年6月 达人笔记数据导出")  # row 2 is left blank, as exports do
        for i, row in enumerate([HEADER, *cohort()], start=2):
            for j, cell in enumerate(row):
                sheet.write_string(i, j, cell)
    res = runner.invoke(app, ["vet", str(path), "-o", str(tmp_path / "o.csv")])
    assert res.exit_code == 0, res.output
    # The reader skips the blank row; the header's row is still the sheet's own number.
    assert "header read from row 3; the rows above it (a title) skipped" in " ".join(res.output.split())
    assert "12 creators" in res.output


def test_a_workbook_with_blank_rows_numbers_set_aside_rows_as_the_sheet_does(tmp_path):
    import xlsxwriter

    rows = cohort()
    rows[20][4] = "abc"  # likes
    path = tmp_path / "gaps.xlsx"
    with xlsxwriter.Workbook(str(path)) as book:
        sheet = book.add_worksheet("笔记")
        excel_row = 0
        for i, row in enumerate([HEADER, *rows]):
            if i in (5, 9):  # blank rows between notes, and one holding only a space
                sheet.write_string(excel_row, 0, " ") if i == 9 else None
                excel_row += 2
            else:
                excel_row += 1
            for j, cell in enumerate(row):
                sheet.write_string(excel_row - 1, j, cell)
    res = runner.invoke(app, ["vet", str(path), "-q", "-o", str(tmp_path / "o.csv")])
    assert res.exit_code == 0, res.output
    rejected = pl.read_csv(tmp_path / "o.rejected.csv", infer_schema=False)
    # The bad row is Excel's row 24 (header, 20 notes, 2 blank rows, then it): data row 23.
    assert rejected.select("row", "reason").rows() == [("23", "likes: not a count")]


def test_a_totals_row_is_set_aside_and_is_not_a_creator(tmp_path):
    path = write_rows(tmp_path / "totals.csv", cohort() + [["合计", "", "", "", "12,345", "999", "99", "9", "", ""]])
    out = tmp_path / "ranked.csv"
    assert runner.invoke(app, ["vet", str(path), "-o", str(out), "-q"]).exit_code == 0
    ranked = pl.read_csv(out, infer_schema=False)
    assert "合计" not in set(ranked.get_column("creator_id")) and ranked.height == 12


def test_as_of_long_after_the_newest_note_is_a_warning(tmp_path, sample_csv):
    res = runner.invoke(app, ["vet", str(sample_csv), "--as-of", "2030-01-01", "-o", str(tmp_path / "r.csv")])
    assert res.exit_code == 0
    assert "as of 2030-01-01 23:59:59, 1,646 days after the newest note (2025-06-30 16:38:32): no note falls" in res.output


def test_too_few_usable_notes_says_rows_were_set_aside(tmp_path):
    rows = rows_for("few", n=12)
    rows = [[*r[:4], "abc" if i >= 4 else r[4], *r[5:]] for i, r in enumerate(rows)]  # 8 unreadable like counts
    path = write_rows(tmp_path / "few.csv", cohort() + rows)
    out = tmp_path / "ranked.csv"
    assert runner.invoke(app, ["vet", str(path), "-o", str(out), "-q"]).exit_code == 0
    row = pl.read_csv(out, infer_schema=False).filter(pl.col("creator_id") == "few").row(0, named=True)
    assert row["verdict"] == "insufficient_data" and row["rows_set_aside"] == "8"
    assert row["verdict_reason"] == ("only 4 notes in the window; 5 needed to judge "
                                     "(8 more rows naming it set aside: see the rejected file)")


def test_a_creator_nicknamed_total_is_not_a_totals_row(tmp_path):
    path = write_rows(tmp_path / "named.csv", cohort() + rows_for("real", nickname="Total"))
    out = tmp_path / "ranked.csv"
    assert runner.invoke(app, ["vet", str(path), "-o", str(out), "-q"]).exit_code == 0
    assert "real" in set(pl.read_csv(out, infer_schema=False).get_column("creator_id"))
    assert not out.with_name("ranked.rejected.csv").exists()


def test_no_usable_notes_names_the_notes_reasons_not_a_rosters_emptied_cell(tmp_path):
    rows = [r[:4] + ["lots"] + r[5:] for r in cohort()]  # every note's likes unreadable
    notes = write_rows(tmp_path / "notes.csv", rows)
    (tmp_path / "roster.csv").write_text("creator_id,followers,quote\nc0,many,300\n", encoding="utf-8")
    res = runner.invoke(app, ["vet", str(notes), "--creators", str(tmp_path / "roster.csv"), "-o", str(tmp_path / "o.csv")])
    assert res.exit_code == 1
    assert f"no usable notes, every row was set aside (likes: not a count ({len(rows)}))" in res.stderr, res.stderr
    assert "followers" not in res.stderr


def test_a_totals_row_labelled_in_the_row_number_column_is_a_totals_row(tmp_path):
    # Agency sheets number their rows (序号) and write 合计 there, leaving the creator blank.
    path = tmp_path / "agency.csv"
    path.write_text("序号,博主ID,昵称,笔记ID,发布时间,点赞,收藏,评论\n"
                    "1,a,Alice,n1,2025-06-01,10,5,1\n2,a,Alice,n2,2025-06-02,12,5,1\n"
                    "合计,,,,,22,10,2\n", encoding="utf-8")
    out = tmp_path / "ranked.csv"
    assert runner.invoke(app, ["vet", str(path), "-o", str(out), "-q"]).exit_code == 0
    rejected = pl.read_csv(tmp_path / "ranked.rejected.csv", infer_schema=False)
    assert rejected.select("row", "reason").rows() == [("3", "a totals row (合计), not a note")]


def test_an_image_saved_as_csv_is_named_as_one(tmp_path):
    """A short PNG has too few zero bytes to look binary: it would be read as a one-column
    table of noise ("columns found: 塒NG")."""
    path = tmp_path / "cover.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n0000")
    res = runner.invoke(app, ["vet", str(path), "-o", str(tmp_path / "out.csv")])
    assert res.exit_code == 1 and res.output.strip().endswith("cover.csv: is a PNG image, not a table"), res.output
