"""What kolvet writes is safe to open: formulas arrive as inert text in CSV and XLSX, every
output is written atomically, kolvet never writes over its own inputs, and the exit codes are
the documented ones."""

from __future__ import annotations

import os
import re
import stat
import zipfile
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from kolvet import export, io
from kolvet.cli import app
from kolvet.errors import KolvetError
from tests.conftest import cohort, rows_for, write_rows

runner = CliRunner()

HOSTILE = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]
HARMLESS = ["-5", "+3.5", "-1e5", "a=b", "小红书 @ 达拉斯", "2025-01-01", "user@example.com", "(=^ω^=)", "—破折号"]


def _roster(tmp: Path) -> Path:
    rows = cohort()
    for i, nick in enumerate(HOSTILE + HARMLESS):
        rows += rows_for(f"n{i:02d}", nickname=nick)
    return write_rows(tmp / "notes.csv", rows)


def _nicknames() -> dict[str, str]:
    """As kolvet reads them: surrounding whitespace is trimmed, "\t=1+1" is still "=1+1"."""
    return {f"n{i:02d}": nick.strip() for i, nick in enumerate(HOSTILE + HARMLESS)}


def test_formula_cells_are_inert_in_csv_and_legit_text_untouched(tmp_path):
    out = tmp_path / "ranked.csv"
    res = runner.invoke(app, ["vet", str(_roster(tmp_path)), "-o", str(out), "-q"])
    assert res.exit_code == 0, res.stderr
    got = dict(pl.read_csv(out, infer_schema=False).select("creator_id", "nickname").iter_rows())
    hostile = {n.strip() for n in HOSTILE}
    for cid, nick in _nicknames().items():
        if nick in hostile:
            assert got[cid] == "'" + nick, nick
        else:
            assert got[cid] == nick, nick


def test_formula_cells_are_text_with_a_quote_prefix_in_xlsx(tmp_path):
    out = tmp_path / "ranked.xlsx"
    res = runner.invoke(app, ["vet", str(_roster(tmp_path)), "-o", str(out), "-q"])
    assert res.exit_code == 0, res.stderr
    with zipfile.ZipFile(out) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode("utf-8")
        styles = book.read("xl/styles.xml").decode("utf-8")
    assert "<f>" not in sheet  # no cell is a formula
    assert 'quotePrefix="1"' in styles
    # Read back, every nickname is exactly what the input held: nothing prefixed, nothing lost.
    got = dict(pl.read_excel(out, infer_schema_length=0).select("creator_id", "nickname").iter_rows())
    assert got == {**got, **_nicknames()}
    # The hostile ones carry the quote-prefix style; the harmless ones don't.
    assert _quoted_texts(out) >= {n.strip() for n in HOSTILE}
    # Plain numbers may carry the mark too (it keeps "-5" text when edited); other text never does.
    assert not _quoted_texts(out) & {h for h in HARMLESS if not h.startswith(("-", "+"))}


def test_xlsx_writer_quotes_tab_and_cr_led_text(tmp_path):
    frame = pl.DataFrame({"text": ["\t=1+1", "\r=1+1", "plain", "-5"]})
    path = io.write_workbook({"t": frame}, tmp_path / "t.xlsx")
    assert _quoted_texts(path) == {"\t=1+1", "\r=1+1", "-5"}  # "-5" stays text either way


def _quoted_texts(book_path: Path) -> set[str]:
    """The strings of cells whose style has Excel's quote prefix."""
    with zipfile.ZipFile(book_path) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode("utf-8")
        styles = book.read("xl/styles.xml").decode("utf-8")
    quoted = _quote_prefix_style(styles)
    shared = _shared_strings(book_path)
    cells = re.findall(r'<c r="[A-Z]+\d+" s="(\d+)" t="s"><v>(\d+)</v>', sheet)
    return {shared[int(v)] for style, v in cells if style == quoted}


def _quote_prefix_style(styles: str) -> str:
    xfs = re.search(r"<cellXfs[^>]*>(.*?)</cellXfs>", styles, re.S).group(1)
    entries = re.findall(r"<xf [^>]*?(?:/>|>.*?</xf>)", xfs, re.S)
    return str(next(i for i, xf in enumerate(entries) if 'quotePrefix="1"' in xf))


def _shared_strings(book_path: Path) -> list[str]:
    import html

    with zipfile.ZipFile(book_path) as book:
        xml = book.read("xl/sharedStrings.xml").decode("utf-8")
    texts = [html.unescape(re.sub(r"<[^>]+>", "", si)) for si in re.findall(r"<si>(.*?)</si>", xml, re.S)]
    return [re.sub(r"_x([0-9A-F]{4})_", lambda m: chr(int(m.group(1), 16)), t) for t in texts]


def test_rejected_rows_and_posts_out_are_guarded_too(tmp_path):
    rows = cohort() + [["=evil()", "x-1", "2025-05-01", "5000", "lots", "1", "1", "1", "", "@x"]]
    rows += rows_for("=kept")  # a usable creator whose id a spreadsheet would run
    path = write_rows(tmp_path / "notes.csv", rows)
    out = tmp_path / "ranked.csv"
    res = runner.invoke(app, ["vet", str(path), "-o", str(out), "--posts-out", str(tmp_path / "notes_out.csv"), "-q"])
    assert res.exit_code == 0, res.stderr
    rejected = pl.read_csv(tmp_path / "ranked.rejected.csv", infer_schema=False)
    assert rejected.get_column("creator_id").to_list() == ["'=evil()"]
    notes = pl.read_csv(tmp_path / "notes_out.csv", infer_schema=False).filter(pl.col("creator_id").str.contains("kept"))
    assert notes.height == 8
    assert set(notes.get_column("creator_id")) == {"'=kept"}
    assert all(p.startswith("'=kept-") for p in notes.get_column("post_id"))


def test_guard_formulas_leaves_non_text_and_nulls_alone():
    frame = pl.DataFrame({"t": ["=1", None, "ok"], "n": [-1, 2, 3], "f": [-1.5, None, 2.0]})
    guarded = export.guard_formulas(frame)
    assert guarded.get_column("t").to_list() == ["'=1", None, "ok"]
    assert guarded.select("n", "f").equals(frame.select("n", "f"))


# ---- atomic writes -----------------------------------------------------------------------

def test_a_failed_write_leaves_the_old_file_and_no_debris(tmp_path, monkeypatch):
    target = tmp_path / "ranked.csv"
    target.write_text("the old ranking\n", encoding="utf-8")

    def half_then_fail(self, file, *args, **kwargs):
        Path(file).write_text("rank,creator_id\n1,a", encoding="utf-8")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pl.DataFrame, "write_csv", half_then_fail)
    with pytest.raises(KolvetError, match="No space left on device"):
        io.write_frame(pl.DataFrame({"a": [1]}), target)
    assert target.read_text(encoding="utf-8") == "the old ranking\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ranked.csv"]


def test_outputs_have_ordinary_permissions(tmp_path):
    out = tmp_path / "ranked.csv"
    res = runner.invoke(app, ["vet", str(write_rows(tmp_path / "n.csv", cohort())), "-o", str(out), "-q"])
    assert res.exit_code == 0
    umask = os.umask(0o022)
    os.umask(umask)
    for name in ("ranked.csv", "ranked.meta.json"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o666 & ~umask


def test_no_temporary_files_are_left_after_a_run(tmp_path):
    out = tmp_path / "ranked.xlsx"
    rows = cohort() + [["bad", "bad-1", "2025-05-01", "5000", "lots", "1", "1", "1", "", "x"]]
    res = runner.invoke(app, ["vet", str(write_rows(tmp_path / "n.csv", rows)), "-o", str(out), "-q"])
    assert res.exit_code == 0, res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["n.csv", "ranked.rejected.csv", "ranked.xlsx"]


# ---- never over an input -----------------------------------------------------------------

def test_vet_x_onto_x_leaves_x_untouched(tmp_path):
    path = write_rows(tmp_path / "x.csv", cohort())
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    res = runner.invoke(app, ["vet", str(path), "-o", str(path)])
    assert res.exit_code == 2 and res.stderr.count("\n") == 1 and "won't write over its own input" in res.stderr
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.csv"]


@pytest.mark.parametrize("args", [
    lambda d: ["vet", str(d / "notes.csv"), "-o", str(d / "o.csv"), "--posts-out", str(d / "notes.csv")],
    lambda d: ["vet", str(d / "notes.csv"), "--creators", str(d / "roster.csv"), "-o", str(d / "roster.csv")],
    lambda d: ["vet", str(d / "o.rejected.csv"), "-o", str(d / "o.csv")],  # its rejected file would be the input
    lambda d: ["vet", str(d), "-o", str(d / "notes.csv")],  # a file inside an input folder
])
def test_refuses_every_output_that_is_an_input(tmp_path, args):
    write_rows(tmp_path / "notes.csv", cohort())
    (tmp_path / "roster.csv").write_text("creator_id,followers\nc00,100\n", encoding="utf-8")
    write_rows(tmp_path / "o.rejected.csv", cohort(2))
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    res = runner.invoke(app, args(tmp_path))
    assert res.exit_code == 2 and "won't write over its own input" in res.stderr, res.stderr
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_outputs_inside_an_input_folder_are_not_read_back(tmp_path):
    crawl = tmp_path / "crawl"
    crawl.mkdir()
    write_rows(crawl / "notes.csv", cohort() + [["bad", "bad-1", "2025-05-01", "5000", "lots", "1", "1", "1", "", "x"]])
    first = runner.invoke(app, ["vet", str(crawl), "-o", str(crawl / "ranking.csv"), "--posts-out", str(crawl / "flags.csv")])
    assert first.exit_code == 0, first.stderr
    ranking = (crawl / "ranking.csv").read_bytes()
    second = runner.invoke(app, ["vet", str(crawl), "-o", str(crawl / "ranking.csv"), "--posts-out", str(crawl / "flags.csv")])
    assert second.exit_code == 0, second.stderr
    assert (crawl / "ranking.csv").read_bytes() == ranking
    for name in ("ranking.csv", "ranking.rejected.csv", "ranking.meta.json", "flags.csv"):
        assert re.search(rf"skipped \S*{re.escape(name)}: written by kolvet", second.output), (name, second.output)


def test_a_users_notes_named_like_an_output_are_read(tmp_path):
    """Outputs are told by their header; a name like south.posts.csv alone doesn't skip a file."""
    crawl = tmp_path / "agency"
    crawl.mkdir()
    rows = cohort()
    write_rows(crawl / "north.csv", rows[: len(rows) // 2])
    write_rows(crawl / "south.posts.csv", rows[len(rows) // 2:])
    res = runner.invoke(app, ["vet", str(crawl), "-o", str(tmp_path / "o.csv")])
    assert res.exit_code == 0, res.stderr
    assert "skipped" not in res.output and "south.posts.csv: kolvet canonical (posts)" in res.output


# ---- exit codes (README, "Exit codes") ---------------------------------------------------

def test_exit_codes(tmp_path, sample_csv):
    good = write_rows(tmp_path / "n.csv", cohort())
    assert runner.invoke(app, ["vet", str(good), "-o", str(tmp_path / "o.csv"), "-q"]).exit_code == 0
    assert runner.invoke(app, ["vet", str(tmp_path / "missing.csv")]).exit_code == 1
    assert runner.invoke(app, ["vet", str(good), "--no-such-option"]).exit_code == 2
    assert runner.invoke(app, ["vet", str(good), "--encoding", "klingon"]).exit_code == 2
    flagged = runner.invoke(app, ["batch", str(sample_csv), "--out-dir", str(tmp_path / "b"), "--fail-on-flagged", "-q"])
    assert flagged.exit_code == 3
