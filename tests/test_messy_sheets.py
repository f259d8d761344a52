"""Sheets as agencies lay them out: a two-row header, two exports stacked in one sheet, summary
rows, and quotes written with commas. Each is read as the user meant, or set aside with a
reason; none of their non-note rows becomes a creator."""

from __future__ import annotations

import polars as pl
import xlsxwriter
from typer.testing import CliRunner

from kolvet.cli import app
from kolvet.pipeline import vet
from tests.conftest import HEADER, cohort, write_rows

runner = CliRunner()
GROUPED = ["博主ID", "笔记id", "发布时间", "互动数据", "", "", "", "粉丝数", "昵称"]
NAMES_BELOW = ["", "", "", "点赞数", "收藏数", "评论数", "分享数", "", ""]


def _grouped(rows: list[list[str]]) -> list[list[str]]:
    """HEADER's rows in GROUPED's column order (no views)."""
    at = {name: i for i, name in enumerate(HEADER)}
    order = ["creator_id", "post_id", "posted_at", "likes", "saves", "comments", "shares", "followers", "nickname"]
    return [[r[at[c]] for c in order] for r in rows]


def test_a_two_row_header_with_a_merged_group_name_is_read_as_one(tmp_path):
    rows = cohort(12)
    expected = vet([write_rows(tmp_path / "plain.csv", rows)]).creators
    csv_path = write_rows(tmp_path / "grouped.csv", [NAMES_BELOW, *_grouped(rows)], header=GROUPED)
    book = tmp_path / "grouped.xlsx"
    with xlsxwriter.Workbook(book) as wb:
        ws = wb.add_worksheet()
        ws.merge_range(0, 3, 0, 6, "互动数据")
        for j, name in enumerate(GROUPED):
            if name and j not in (3, 4, 5, 6):
                ws.merge_range(0, j, 1, j, name)
        for j, name in enumerate(NAMES_BELOW):
            if name:
                ws.write(1, j, name)
        for i, row in enumerate(_grouped(rows), start=2):
            ws.write_row(i, 0, row)
    for path in (csv_path, book):
        result = vet([path])
        assert result.creators.height == 12 and result.rejected.height == 0, path
        assert result.creators.select("creator_id", "n_posts", "score").equals(expected.select("creator_id", "n_posts", "score"))
        assert any("first two rows" in w for w in result.warnings)


def test_stacked_exports_and_summary_rows_name_no_creator(tmp_path):
    rows = cohort(12)
    blank = [""] * len(HEADER)
    summaries = [["合计（18条）", *blank[1:4], "9000", "3000", "500", "100", "", ""],
                 ["平均值", *blank[1:4], "500", "300", "50", "10", "", ""],
                 ["Total:", *blank[1:4], "9000", "3000", "500", "100", "", ""]]
    stacked = [*rows[:48], ["第二批", *blank[1:]], HEADER, *rows[48:], *summaries]
    path = write_rows(tmp_path / "stacked.csv", stacked)
    res = runner.invoke(app, ["vet", str(path), "-o", str(tmp_path / "out.csv"), "-q"])
    assert res.exit_code == 0, res.output
    out = pl.read_csv(tmp_path / "out.csv", infer_schema=False)
    assert sorted(out.get_column("creator_id").to_list()) == sorted({r[0] for r in rows})  # 12, no 第二批 or creator_id
    aside = pl.read_csv(tmp_path / "out.rejected.csv", infer_schema=False)
    assert aside.select("row", "reason").rows() == [
        ("49", "a row with one cell filled (a label such as 第二批), not a note"),
        ("50", "the header again (two exports stacked), not a note"),
        *[(str(99 + i), "a totals row (合计), not a note") for i in range(3)]]


def test_a_quote_with_a_comma_reads_only_as_thousands(tmp_path):
    rows = cohort(12)
    notes = write_rows(tmp_path / "notes.csv", rows)
    ids = sorted({r[0] for r in rows})
    quotes = ["1,200", "1,2万", "1,5", "800,5", "12,00", "1.2万/条", "800/篇", "3,000-5,000", "1,234,567", "¥1,200",
              "800元/篇", "面议"]
    roster = tmp_path / "roster.csv"
    pl.DataFrame({"博主ID": ids, "图文报价": quotes}).write_csv(roster)
    out = vet([notes], creators_file=str(roster))
    got = dict(out.creators.select("creator_id", "quote").iter_rows())
    assert [got[c] for c in ids] == [1200, None, None, None, None, 12000, 800, 4000, 1234567, 1200, 800, None]
    bad = out.rejected_by_reason(kept=True)
    assert ("quote: not a price (write a number, such as 800, 1.2万 or 3000-5000)", 4) in bad


def test_a_typo_in_a_notes_followers_cell_costs_the_note_nothing_but_that_cell(tmp_path):
    rows = cohort(12)
    rows[0][3], rows[1][3] = "abc", "1.234"  # two of c00's 8 notes; the other 6 give 5000
    out = vet([write_rows(tmp_path / "notes.csv", rows)])
    c00 = out.creators.filter(pl.col("creator_id") == "c00").row(0, named=True)
    assert (c00["n_posts"], c00["followers"]) == (8, 5000)
    assert out.rejected_by_reason() == []
    assert out.rejected_by_reason(kept=True) == [("followers: not a count", 1), ("followers: not a whole number", 1)]


def test_a_rosters_lifetime_likes_and_saves_given_as_a_floor_is_said(tmp_path):
    rows = cohort(12)
    ids = sorted({r[0] for r in rows})
    roster = tmp_path / "roster.csv"
    pl.DataFrame({"博主ID": ids[:2], "粉丝数": ["5000", "5000"], "获赞与收藏": ["10万+", "12000"]}).write_csv(roster)
    out = vet([write_rows(tmp_path / "notes.csv", rows)], creators_file=str(roster))
    assert out.creators.filter(pl.col("creator_id").is_in(ids[:2])).sort("creator_id").get_column(
        "lifetime_likes_saves").to_list() == [None, 12000]
    assert out.rejected_by_reason(kept=True) == [
        ("lifetime_likes_saves: only a floor (a count is needed to compare with followers)", 1)]


def test_an_xls_that_is_really_text_is_read_and_one_that_is_a_web_page_is_named(tmp_path):
    rows = cohort(12)
    fake = write_rows(tmp_path / "export.xls", rows, sep="\t")  # what many platforms' "Excel" export is
    assert vet([fake]).creators.height == 12
    page = tmp_path / "page.xls"
    page.write_text("<html><body><table><tr><td>博主ID</td></tr></table></body></html>", encoding="utf-8")
    res = runner.invoke(app, ["vet", str(page), "-o", str(tmp_path / "o.csv")])
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert res.stderr.strip() == (f"kolvet: error: {page}: a web page (an HTML table) with an .xls name, as some "
                                  "platforms export: open it in Excel or WPS and save it as .xlsx or CSV")


def test_a_skipped_sheet_of_a_workbook_read_whole_gives_no_hint_to_read_one_sheet(tmp_path):
    rows = cohort(12)
    book = tmp_path / "months.xlsx"
    with xlsxwriter.Workbook(book) as wb:
        wb.add_worksheet("说明").write(0, 0, "本表为机构内部数据")
        for name, part in (("4月", rows[:48]), ("5月", rows[48:])):
            ws = wb.add_worksheet(name)
            for i, row in enumerate([HEADER, *part]):
                ws.write_row(i, 0, row)
    result = vet([book])
    assert result.creators.height == 12
    (skipped,) = result.skipped
    assert skipped.source.endswith("[说明]") and "--sheet" not in skipped.reason
