"""A roster's own columns (对接人, 小红书号, 健康等级...) come back beside its ranking, as written."""

from __future__ import annotations

import polars as pl
from typer.testing import CliRunner

from kolvet import batch as B
from kolvet import export, io
from kolvet import schema as S
from kolvet.cli import app
from kolvet.config import Config
from kolvet.tui.shortlist_store import NOTE, SCORED_IN
from tests.conftest import cohort, write_csv, write_rows

runner = CliRunner()


def _roster(path, ids: list[str]) -> None:
    write_csv(path, [{"博主ID": c, "粉丝数": "5000", "小红书号": f"0{9000 + i}", "对接人": ["王经理", "李经理"][i % 2],
                      "健康等级": "优秀" if i % 3 else "-", "score": str(i), "女粉占比": f"{80 + i}.5"}
                     for i, c in enumerate(ids)])


def test_own_columns_are_kept_as_written_one_row_per_creator():
    frame = pl.DataFrame({"博主ID": ["c1", "c1", "c2", None], "粉丝数": ["1万", "1万", "800", "5"],
                          "小红书号": ["00123", None, "456", "9"], "对接人": ["王\n经理", "李经理", "-", "x"],
                          "空列": [None, "", None, None], "件数": ["3", "4", "10", "1"]})
    own = S.own_columns(frame, S.map_columns(frame.columns, kind="creators"))
    # Mapped columns stay kolvet's; a blank column is kept (the same columns every run); "-"
    # is no value, as in counts; a creator's last value given wins; a row naming no creator
    # brings nothing.
    assert own.columns == ["creator_id", "小红书号", "对接人", "空列", "件数"]
    assert own.rows() == [("c1", "00123", "李经理", None, 4), ("c2", "456", None, None, 10)]
    assert own.schema["小红书号"] == pl.String  # "00123" would lose its zeros as a number


def test_own_columns_are_named_and_typed_as_the_sheet_shows_them():
    frame = pl.DataFrame({"博主ID": ["c1", "c2"], "备注": ["a", "b"], "备注_duplicated_0": ["x", "y"], "": ["p", "q"],
                          " 链接 ": ["https://x/1", None], "type": ["KOL", "KOC"], "点赞": ["5", "6"],
                          "标签": [["美妆", "护肤"], None], "女粉": ["80.50", "1"], "占比": ["90.91", "65.4"]})
    own = S.own_columns(frame, S.map_columns(frame.columns, kind="creators"))
    # Headers kolvet reads only in notes files (链接, type, 点赞) are the roster's own here.
    assert own.columns == ["creator_id", "备注", "备注 (2)", "column 4", "链接", "type", "点赞", "标签", "女粉", "占比"]
    assert own.row(0) == ("c1", "a", "x", "p", "https://x/1", "KOL", 5, '["美妆", "护肤"]', "80.50", 90.91)
    # Numbers only where they read back exactly as written ("80.50" and "1" would not).
    assert (own.schema["女粉"], own.schema["占比"]) == (pl.String, pl.Float64)


def test_vet_hands_the_rosters_columns_back_after_its_own(tmp_path):
    rows = cohort(12)
    write_rows(tmp_path / "notes.csv", rows)
    ids = sorted({r[0] for r in rows})
    _roster(tmp_path / "roster.csv", ids[:10] + ["c_nobody"])
    res = runner.invoke(app, ["vet", str(tmp_path / "notes.csv"), "--creators", str(tmp_path / "roster.csv"),
                              "-o", str(tmp_path / "out.csv"), "-q"])
    assert res.exit_code == 0, res.output
    out = pl.read_csv(tmp_path / "out.csv", infer_schema=False)
    # After kolvet's columns, in the roster's order; "score" is kolvet's, so the roster's is renamed.
    assert out.columns[-5:] == ["小红书号", "对接人", "健康等级", "score (roster)", "女粉占比"]
    first = out.filter(pl.col("creator_id") == ids[0]).row(0, named=True)
    assert (first["小红书号"], first["对接人"], first["健康等级"], first["score (roster)"], first["女粉占比"]) == (
        "09000", "王经理", None, "0", "80.5")
    assert out.filter(pl.col("creator_id") == ids[11]).item(0, "对接人") is None  # not on the roster
    assert out.filter(pl.col("creator_id") == "c_nobody").item(0, "verdict") == "insufficient_data"
    assert out.height == 13  # every creator once
    for added in export.ADDED_LATER:  # named like what the shortlist and batch add: renamed everywhere
        assert added in (B.ALSO_IN, B.CHANGE, B.ROSTER, NOTE, SCORED_IN)
    res = runner.invoke(app, ["explain", ids[1], str(tmp_path / "notes.csv"), "--creators", str(tmp_path / "roster.csv")])
    assert "  roster: 小红书号 09001 · 对接人 李经理 · 健康等级 优秀 · score 1 · 女粉占比 81.5" in res.output
    # In a workbook, plain numbers are numbers; an id with a leading zero stays text.
    res = runner.invoke(app, ["vet", str(tmp_path / "notes.csv"), "--creators", str(tmp_path / "roster.csv"),
                              "-o", str(tmp_path / "out.xlsx"), "-q"])
    book = pl.read_excel(tmp_path / "out.xlsx", sheet_name="ranking")
    assert book.schema["女粉占比"] == pl.Float64 and book.schema["小红书号"] == pl.String


def test_crawled_profiles_bring_no_columns_of_their_own(tmp_path):
    rows = cohort(12)
    write_rows(tmp_path / "notes.csv", rows)
    ids = sorted({r[0] for r in rows})
    write_csv(tmp_path / "creator_profiles.csv", [{"user_id": c, "nickname": c, "fans": "5000", "interaction": "90000",
                                                   "avatar": f"https://x/{c}.jpg", "ip_location": "上海"} for c in ids])
    res = runner.invoke(app, ["vet", str(tmp_path / "notes.csv"), str(tmp_path / "creator_profiles.csv"),
                              "-o", str(tmp_path / "out.csv"), "-q"])
    assert res.exit_code == 0, res.output
    assert not {"avatar", "ip_location"} & set(pl.read_csv(tmp_path / "out.csv").columns)


def test_each_batch_roster_gets_its_own_sheets_columns(tmp_path):
    rows = cohort(12)
    write_rows(tmp_path / "crawl.csv", rows)
    ids = sorted({r[0] for r in rows})
    _roster(tmp_path / "brand.csv", ids[:4])
    report = B.run_batch([tmp_path / "brand.csv", tmp_path / "crawl.csv"], tmp_path / "out", Config(), quiet=True)
    brand, crawl = report.tables["brand"], report.tables["crawl"]
    assert brand.sort("creator_id").get_column("对接人").to_list() == ["王经理", "李经理", "王经理", "李经理"]
    assert "对接人" not in crawl.columns  # the brand's sheet, not the crawl's
    assert pl.read_csv(tmp_path / "out" / "brand.ranked.csv", infer_schema=False).get_column("小红书号").sort()[0] == "09000"


def test_clashing_names_nested_cells_and_spaced_headers(tmp_path):
    rows = cohort(12)
    write_rows(tmp_path / "notes.csv", rows)
    ids = sorted({r[0] for r in rows})
    (tmp_path / "roster.csv").write_text("博主ID, 粉丝数, 小红书号, rank, rank (roster), note\n"
                                         + "".join(f"{c}, 5000, 00{i}, {i}, r{i}, n{i}\n" for i, c in enumerate(ids)),
                                         encoding="utf-8")
    pl.DataFrame({"博主ID": ids[:2], "粉丝数": [5000, 5000], "标签": [["美妆"], ["护肤", "穿搭"]]}).write_parquet(tmp_path / "tags.parquet")
    res = runner.invoke(app, ["vet", str(tmp_path / "notes.csv"), str(tmp_path / "tags.parquet"), "--creators",
                              str(tmp_path / "roster.csv"), "-o", str(tmp_path / "out.csv"), "-q"])
    assert res.exit_code == 0, res.output
    out = pl.read_csv(tmp_path / "out.csv", infer_schema=False)
    assert out.columns[-5:] == ["标签", "小红书号", "rank (roster 2)", "rank (roster)", "note (roster)"]  # all kept
    first = out.filter(pl.col("creator_id") == ids[0]).row(0, named=True)
    assert (first["小红书号"], first["标签"], first["rank (roster 2)"], first["note (roster)"]) == ("000", '["美妆"]', "0", "n0")


def test_an_earlier_ranking_reads_back_the_rosters_text_as_text(tmp_path):
    """A shortlist or --previous file: kolvet's columns as numbers, the roster's as written."""
    (tmp_path / "sl.csv").write_text("rank,creator_id,score,小红书号,note\n1,007,61.5,00123,0042\n", encoding="utf-8")
    frame = io.read_previous(tmp_path / "sl.csv", typed=export.KOLVET_COLUMNS)
    assert frame.row(0) == (1, "007", 61.5, "00123", "0042")


def test_a_titled_workbooks_repeated_and_blank_headers_are_named_as_in_a_csv(tmp_path):
    """Under a title row, a workbook's header is read a few rows down: its repeated and blank
    headers get the names a CSV's would (备注 (2), column N counted in the sheet)."""
    import xlsxwriter

    book = xlsxwriter.Workbook(tmp_path / "roster.xlsx")
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["代理商名单 2025"])
    sheet.write_row(1, 0, ["博主ID", "粉丝数", "备注", "备注", ""])
    for i in range(3):
        sheet.write_row(2 + i, 0, [f"c{i}", "5000", f"a{i}", f"b{i}", f"x{i}"])
    book.close()
    table = io.read_creators_file(tmp_path / "roster.xlsx")
    own = S.own_columns(table.frame, table.mapping)
    assert own.columns == ["creator_id", "备注", "备注 (2)", "column 5"]
    assert own.row(0) == ("c0", "a0", "b0", "x0")


def test_the_browser_shows_the_rosters_columns_after_kolvets_and_sorts_by_them(tmp_path):
    import asyncio

    from kolvet.pipeline import vet
    from kolvet.tui import view
    from kolvet.tui.app import create_app
    from kolvet.tui.widgets.creator_table import CreatorTable

    rows = cohort(12)
    write_rows(tmp_path / "notes.csv", rows)
    ids = sorted({r[0] for r in rows})
    # As in real rosters, one share carries its "%" (so the column stays text), one is "9.5".
    write_csv(tmp_path / "roster.csv", [{"博主ID": c, "小红书号": f"0{9000 + i}", "score": str(i),
                                         "女粉占比": "9.5" if i == 11 else f"{80 + i}.5" + ("%" if i == 3 else "")}
                                        for i, c in enumerate(ids)])
    result = vet([tmp_path / "notes.csv"], creators_file=str(tmp_path / "roster.csv"))
    frame, roster = view.table_frame(result)
    assert roster == ("小红书号", "score (roster)", "女粉占比")  # the ranked CSV's names
    assert frame.height == result.creators.height

    async def drive() -> None:
        app = create_app(lambda: result, tmp_path / "sl.csv", "notes.csv")
        async with app.run_test(size=(300, 30)) as pilot:
            while app.result is None:
                await pilot.pause(0.01)
            await pilot.pause()
            table = app.screen.query_one(CreatorTable)
            header = "".join(seg.text for seg in table.render_line(0))
            assert header.index("verdict") < header.index("小红书号") < header.index("女粉占比")
            # Text (kept as written), yet sorted by value, largest first: "9.5" last, not first;
            # the sort picker lists them after kolvet's columns.
            await pilot.press("o", "end", "enter")
            assert app.screen.sort == view.Sort("女粉占比", True)
            shown = table.frame.get_column("女粉占比").to_list()
            assert shown[:3] == ["90.5", "89.5", "88.5"] and shown[-2:] == ["80.5", "9.5"] and "83.5%" in shown
            assert "sort: 女粉占比 ↓" in str(app.screen.query_one("#status").render())
            # An id with a leading zero shows as written.
            assert "09000" in "".join("".join(s.text for s in table.render_line(y)) for y in range(1, 14))

    asyncio.run(drive())


def test_a_second_blank_header_is_a_column_by_its_place_too(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("博主ID,粉丝数,,,备注\n00123,12000,a,b,c\n", encoding="utf-8")
    table = io.read_creators_file(str(roster))
    own = S.own_columns(table.frame, table.mapping)
    assert own.columns == ["creator_id", "column 3", "column 4", "备注"]  # as the same sheet saved as .xlsx reads
