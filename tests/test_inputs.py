"""Real-world inputs: every export family in data-formats.md, every count form, times,
encodings, XLSX, crawl folders and rosters; and the same posts written in every format give
the same creators and the same ranking."""

from __future__ import annotations

import csv
import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from kolvet import io, pipeline, synth
from kolvet import schema as S
from kolvet.cli import app
from kolvet.config import Config
from tests.conftest import FIXTURES, write_csv

FORMATS = FIXTURES / "formats"
CRAWL = FIXTURES / "crawl"
runner = CliRunner()

U1, U2 = "5f1e2d3c4b5a697800112233", "600a1b2c3d4e5f6071829304"
N1, N2, N3, N4 = (f"64f0a1b2c3d4e5f60123456{c}" for c in "789a")

# The four notes every fixture in fixtures/formats holds, as kolvet must read them.
EXPECTED = {
    S.CREATOR_ID: [U1, U1, U2, U2],
    S.POST_ID: [N1, N2, N3, N4],
    S.POSTED_AT: [datetime(2025, 3, 1, 10), datetime(2025, 3, 5, 20, 30), datetime(2025, 2, 14, 8, 15),
                  datetime(2025, 2, 20, 12)],
    S.LIKES: [12000, 809, 100000, 3000],
    S.SAVES: [3500, 1200, 23000, 1100],
    S.COMMENTS: [210, 31, 1000, 10],
    S.SHARES: [45, 6, 300, 0],
    S.VIEWS: [None, None, None, None],
    S.FOLLOWERS: [None, None, None, None],
    S.PRECISION: [S.EXACT] * 4,
}
VIEWS = [150000, 20000, 900000, 40000]
FOLLOWERS = [15000, 15000, 2000, 2000]
WAN = [S.ROUNDED, S.EXACT, S.ROUNDED, S.EXACT]  # notes 1 and 3 carry 1.2万 / 10万-style counts

# file, family kolvet should name, what differs from EXPECTED in that family
NOTE_FAMILIES = [
    ("mediacrawler_notes.csv", "MediaCrawler notes", {S.PRECISION: WAN}),
    ("mediacrawler_notes_anonymised.jsonl", "MediaCrawler notes (anonymised)", {S.PRECISION: WAN}),
    ("spider_xhs_notes.csv", "Spider_XHS notes", {S.PRECISION: WAN}),
    ("xhs_downloader.csv", "XHS-Downloader", {  # no login: counts are lower bounds ("1万+", "10+")
        S.LIKES: [10000, 800, 100000, 3000], S.SAVES: [3000, 1000, 20000, 1000],
        S.COMMENTS: [200, 30, 1000, 10], S.SHARES: [40, 6, 300, 0], S.PRECISION: [S.LOWER_BOUND] * 4}),
    ("pugongying_notes.json", "Pugongying note list", {S.VIEWS: VIEWS, S.FOLLOWERS: FOLLOWERS}),
    ("pugongying_notes_fav.csv", "Pugongying note list", {  # favNum, fansCount, a date without time
        S.VIEWS: VIEWS, S.FOLLOWERS: FOLLOWERS,
        S.POSTED_AT: [datetime(2025, 3, 1), datetime(2025, 3, 5), datetime(2025, 2, 14), datetime(2025, 2, 20)]}),
    ("agency_export.csv", "agency monitoring export", {S.SHARES: [45, 6, 300, None]}),  # "-" is missing
    ("chinese_headers.csv", "Chinese headers", {S.VIEWS: VIEWS, S.FOLLOWERS: FOLLOWERS, S.PRECISION: WAN}),
    ("app_api.json", "app-API dump", {}),  # view_count 0 means hidden, not zero reads
]


def _expected(overrides: dict) -> pl.DataFrame:
    data = {**EXPECTED, **overrides}
    return pl.DataFrame(data, schema={c: S.POST_SCHEMA[c] for c in data})


def _posts(loaded: pipeline.Loaded) -> pl.DataFrame:
    return loaded.posts.sort(S.POST_ID).select(list(EXPECTED))


@pytest.mark.parametrize("name,family,overrides", NOTE_FAMILIES, ids=[f[0] for f in NOTE_FAMILIES])
def test_every_note_family_reads_into_the_canonical_schema(name, family, overrides):
    loaded = pipeline.load([FORMATS / name], Config())
    assert [(s.family, s.kind, s.rows, s.taken, s.set_aside) for s in loaded.sources] == [(family, "posts", 4, 4, 0)]
    assert_frame_equal(_posts(loaded), _expected(overrides))


@pytest.mark.parametrize("name", ["spider_xhs_notes.csv", "agency_export.csv"])
def test_xlsx_native_families_read_the_same_from_a_workbook(tmp_path, name):
    """Spider_XHS and agency tools write XLSX with every cell as text."""
    frame = pl.read_csv(FORMATS / name, infer_schema=False)
    book = tmp_path / name.replace(".csv", ".xlsx")
    frame.write_excel(book, worksheet="notes")
    from_csv = pipeline.load([FORMATS / name], Config())
    from_xlsx = pipeline.load([book], Config())
    assert from_xlsx.sources[0].family == from_csv.sources[0].family
    assert_frame_equal(_posts(from_xlsx), _posts(from_csv))


def test_extra_columns_of_each_family_are_read_too():
    chinese = pipeline.load([FORMATS / "chinese_headers.csv"], Config()).posts.sort(S.POST_ID)
    assert chinese.get_column(S.CATEGORY).to_list() == ["beauty", "beauty", "food", "food"]  # 美妆, 美食
    assert chinese.get_column(S.NICKNAME).to_list() == ["小美的日常", "小美的日常", "Dallas吃货", "Dallas吃货"]
    spider = pipeline.load([FORMATS / "spider_xhs_notes.csv"], Config()).posts.sort(S.POST_ID)
    assert spider.get_column(S.POST_TYPE).to_list() == ["image", "video", "image", "image"]  # 图集 / 视频
    assert spider.get_column(S.TITLE).to_list()[0] == "春季护肤心得"
    pgy = pipeline.load([FORMATS / "pugongying_notes.json"], Config()).posts.sort(S.POST_ID)
    assert pgy.get_column(S.NEW_FOLLOWS).to_list() == [2, 2, 2, 2]  # followCnt
    assert pgy.get_column(S.POST_TYPE).to_list() == ["image", "video", "image", "image"]  # isVideo
    mc = pipeline.load([FORMATS / "mediacrawler_notes.csv"], Config()).posts
    assert mc.get_column(S.SNAPSHOT_AT).unique().to_list() == [datetime(2025, 3, 11, 21, 33, 20)]  # last_modify_ts


def test_impressions_are_not_reads(tmp_path):
    """impNum counts cards shown in feeds; readNum counts notes opened. Only reads are views."""
    records = json.loads((FORMATS / "pugongying_notes.json").read_text(encoding="utf-8"))["data"]
    for r in records:
        del r["readNum"]
    path = tmp_path / "imp_only.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    posts = pipeline.load([path], Config()).posts
    assert posts.height == 4
    assert posts.get_column(S.VIEWS).null_count() == posts.height


CREATOR_FAMILIES = [
    ("mediacrawler_creators.json", "MediaCrawler creator profiles", {U1: (15000, None), U2: (2000, None)}),
    ("spider_xhs_users.csv", "Spider_XHS users", {U1: (15000, None), U2: (2000, None)}),
    ("pugongying_creators.csv", "Pugongying creators", {U1: (15000, 800.0), U2: (2000, 120.0)}),
    ("roster_quotes.csv", "roster sheet", {U1: (15000, 800.0), U2: (2000, 120.0), "7a7a7a7a7a7a7a7a7a7a7a7a": (500, 30.0)}),
]


@pytest.mark.parametrize("name,family,expected", CREATOR_FAMILIES, ids=[f[0] for f in CREATOR_FAMILIES])
def test_every_creator_family_joins_followers_and_quotes(name, family, expected):
    loaded = pipeline.load([FORMATS / "mediacrawler_notes.csv"], Config(), creators_file=str(FORMATS / name))
    report = loaded.sources[-1]
    assert (report.family, report.kind) == (family, "creators")
    got = {r[S.CREATOR_ID]: (r[S.FOLLOWERS], r[S.QUOTE]) for r in loaded.roster.iter_rows(named=True)}
    assert got == expected
    result = pipeline.vet_loaded(loaded, Config())
    followers = dict(result.creators.select(S.CREATOR_ID, S.FOLLOWERS).iter_rows())
    assert followers == {U1: 15000, U2: 2000, **({"7a7a7a7a7a7a7a7a7a7a7a7a": 500} if len(expected) == 3 else {})}


def test_roster_creator_without_notes_is_listed_not_dropped():
    loaded = pipeline.load([FORMATS / "mediacrawler_notes.csv"], Config(), creators_file=str(FORMATS / "roster_quotes.csv"))
    assert loaded.rejected.filter(pl.col(S.SOURCE).str.ends_with("roster_quotes.csv")).height == 0
    roster = loaded.sources[-1]
    assert (roster.rows, roster.taken, roster.set_aside) == (3, 3, 0)
    row = pipeline.vet_loaded(loaded, Config()).creator("7a7a7a7a7a7a7a7a7a7a7a7a")
    assert (row["verdict"], row["verdict_reason"], row[S.FOLLOWERS], row[S.QUOTE], row["score"]) == (
        "insufficient_data", "no notes of this creator in the inputs", 500, 30.0, None)
    # Not judged is blank, not "not flagged"; no notes is 0, not an unknown number.
    assert (row["fraud_flag"], row["fraud_watch"], row["n_posts"], row["n_posts_total"]) == (None, None, 0, 0)
    # Explained in the same words: no "0 notes judged of 0", no "unknown creator".
    from kolvet.explain import explain_lines
    lines = explain_lines(row)
    assert lines[2] == "  uncategorised creator, 500 followers (nano tier), no notes in the inputs"
    assert "Fake engagement: not judged: no notes of this creator in the inputs" in lines


def test_roster_row_with_a_bad_cell_is_kept_without_it_and_reported(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("user_id,fans,图文报价\n9f9f9f9f,many,800\n", encoding="utf-8")
    for run in (pipeline.vet, lambda *a, **k: pipeline.vet_streaming(*a, rows_per_part=2, **k)):
        result = run([FORMATS / "mediacrawler_notes.csv"], Config(), creators_file=str(roster))
        assert result.rejected.filter(pl.col(S.CREATOR_ID) == "9f9f9f9f").get_column(S.REASON).to_list() == [
            "followers: not a count" + S.CELL_EMPTIED]
        row = result.creator("9f9f9f9f")
        assert (row["verdict"], row["verdict_reason"], row["followers"], row["quote"]) == (
            "insufficient_data", "no notes of this creator in the inputs", None, 800.0)
        roster_file = next(s for s in result.sources if s.source.endswith("roster.csv"))
        assert (roster_file.taken, roster_file.set_aside) == (1, 0)
        # Counted as a cell left empty, not a row set aside, wherever the run is summed up.
        assert ("followers: not a count", 1) in result.rejected_by_reason(kept=True)
        assert ("followers: not a count", 1) not in result.rejected_by_reason()
        from kolvet.tui.view import cohort_summary
        assert cohort_summary(result).endswith("; 1 bad cell left empty")


def test_creator_whose_every_note_is_set_aside_is_listed_with_the_reasons(tmp_path):
    """Every input creator appears in the output exactly once, even with no usable note."""
    from kolvet import synth
    posts, _ = synth.generate(synth.World(creators=40, seed=3))
    lost = posts.get_column("creator_id").unique().sort()[0]
    n = posts.filter(pl.col("creator_id") == lost).height
    posts = posts.with_columns(
        pl.when(pl.col("creator_id") == lost).then(pl.lit("-1")).otherwise(pl.col("likes").cast(pl.String)).alias("likes"),
        pl.when((pl.col("creator_id") == lost) & (pl.int_range(pl.len()) % 2 == 0)).then(pl.lit("many"))
        .otherwise(pl.col("saves").cast(pl.String)).alias("saves"))
    path = tmp_path / "notes.csv"
    posts.write_csv(path)
    streamed = pipeline.vet_streaming([path], Config(), rows_per_part=300)
    assert not streamed.meta["streaming"].startswith("1 ")  # creators spread over several parts
    for result in (pipeline.vet([path], Config()), streamed):
        assert result.creators.height == 40
        row = result.creator(lost)
        assert row["verdict"] == "insufficient_data" and row["score"] is None and row["n_posts"] == 0
        assert row["verdict_reason"].startswith(f"no usable notes: all {n} set aside (")
        assert "missing likes" in row["verdict_reason"]


def test_roster_cells_with_newlines_and_trailing_spaces():
    loaded = pipeline.load([FORMATS / "mediacrawler_notes.csv"], Config(), creators_file=str(FORMATS / "roster_quotes.csv"))
    nick = dict(loaded.roster.select(S.CREATOR_ID, S.NICKNAME).iter_rows())
    assert nick[U1] == "小美的日常"  # "小美的日常 " in the sheet


# ---- count strings -------------------------------------------------------------------------

def _count_cases() -> list[tuple[str, int | None, str]]:
    with open(FIXTURES / "count_strings.csv", encoding="utf-8", newline="") as fh:
        return [(r["raw"], int(r["value"]) if r["value"] else None, r["precision"]) for r in csv.DictReader(fh)]


COUNT_CASES = _count_cases()
PRECISION = {"exact": S.EXACT, "rounded": S.ROUNDED, "lower_bound": S.LOWER_BOUND}


def test_fixture_covers_every_count_form_in_the_brief():
    forms = {raw for raw, _, _ in COUNT_CASES}
    assert forms >= {"809", "1,200", "1.2万", "3千", "1.5w", "1.1K", "2亿", "10万+", "10+", "100+", "1千+",
                     "", "-", "-1", "null"}


def test_every_count_form_read_from_a_file(tmp_path):
    """Each form as the likes of one note, read from a real CSV through the whole loader."""
    rows = [{"creator_id": "c", "post_id": f"p{i}", "posted_at": "2025-03-01 10:00:00", "likes": raw,
             "saves": "1", "comments": "1"} for i, (raw, _, _) in enumerate(COUNT_CASES)]
    path = write_csv(tmp_path / "counts.csv", rows)
    loaded = pipeline.load([path], Config())
    posts = dict((r[S.POST_ID], (r[S.LIKES], r[S.PRECISION])) for r in loaded.posts.iter_rows(named=True))
    aside = dict(loaded.rejected.select(S.POST_ID, S.REASON).iter_rows())
    for i, (raw, value, precision) in enumerate(COUNT_CASES):
        if precision == "missing":
            assert aside[f"p{i}"] == "missing likes", raw
        else:
            assert posts[f"p{i}"] == (value, PRECISION[precision]), raw


def test_count_precision_is_the_weakest_of_the_note():
    frame = pl.DataFrame({"creator_id": ["c"] * 3, "post_id": ["a", "b", "c"], "posted_at": ["2025-01-01"] * 3,
                          "likes": ["10万+", "1.2万", "5"], "saves": ["3", "3", "3"], "comments": ["1", "1", "1"],
                          "shares": ["1", "1", "10+"]})
    posts, _ = S.parse_posts(frame, S.map_columns(frame.columns), "t", {})
    assert posts.get_column(S.PRECISION).to_list() == [S.LOWER_BOUND, S.ROUNDED, S.LOWER_BOUND]


def test_a_creator_whose_counts_are_mostly_bounds_says_so(tmp_path):
    rows = [{"creator_id": "bounded", "post_id": f"b{i}", "posted_at": f"2025-03-{i + 1:02d} 10:00:00",
             "followers": "20000", "likes": "10万+" if i < 8 else "900", "saves": "300", "comments": "20"}
            for i in range(10)]
    rows += [{"creator_id": "exact", "post_id": f"e{i}", "posted_at": f"2025-03-{i + 1:02d} 10:00:00",
              "followers": "20000", "likes": str(800 + i), "saves": "300", "comments": "20"} for i in range(10)]
    path = write_csv(tmp_path / "bounded.csv", rows)
    result = pipeline.vet([path])
    reasons = dict(result.creators.select(S.CREATOR_ID, "verdict_reason").iter_rows())
    assert "80% of its notes have counts that are only floors" in reasons["bounded"]
    assert "only floors" not in reasons["exact"]


# ---- times ---------------------------------------------------------------------------------

TIME_FORMS = [
    ("1740794400000", "epoch ms"), ("1740794400", "epoch s"), ("1740794400.0", "float seconds (时间戳)"),
    ("2025-03-01T02:00:00Z", "ISO 8601 UTC"), ("2025-03-01T10:00:00+08:00", "ISO 8601 China"),
    ("2025-03-01 10:00:00", "%Y-%m-%d %H:%M:%S"), ("2025-03-01_10:00:00", "XHS-Downloader"),
]


def test_every_time_form_is_china_time(tmp_path):
    rows = [{"creator_id": "c", "post_id": f"p{i}", "posted_at": t, "likes": "1", "saves": "1", "comments": "1"}
            for i, (t, _) in enumerate(TIME_FORMS)]
    rows.append({"creator_id": "c", "post_id": "day", "posted_at": "2025-03-01", "likes": "1", "saves": "1", "comments": "1"})
    path = write_csv(tmp_path / "times.csv", rows)
    loaded = pipeline.load([path], Config())
    got = dict(loaded.posts.select(S.POST_ID, S.POSTED_AT).iter_rows())
    for i, (_, label) in enumerate(TIME_FORMS):
        assert got[f"p{i}"] == datetime(2025, 3, 1, 10), label
    assert got["day"] == datetime(2025, 3, 1)


def test_times_before_xhs_existed_are_set_aside(tmp_path):
    reason = "posted_at: before 2013-06, when Xiaohongshu launched"
    text = tmp_path / "old.csv"
    text.write_text("creator_id,post_id,posted_at,likes,saves,comments\n"
                    "c,1,0,1,1,1\nc,2,1999-01-01,1,1,1\nc,3,2025-01-01,1,1,1\n", encoding="utf-8")
    loaded = pipeline.load([text], Config())
    assert loaded.posts.get_column(S.POST_ID).to_list() == ["3"]
    assert loaded.rejected.select(S.ROW, S.REASON).rows() == [(1, "posted_at: not a date"), (2, reason)]
    epoch = tmp_path / "epoch.csv"  # a numeric column: 0 is 1970, a plausible-looking but wrong time
    epoch.write_text("creator_id,post_id,posted_at,likes,saves,comments\n"
                     "c,1,0,1,1,1\nc,2,915148800,1,1,1\nc,3,1740794400000,1,1,1\n", encoding="utf-8")
    loaded = pipeline.load([epoch], Config())
    assert loaded.posts.get_column(S.POST_ID).to_list() == ["3"]
    assert loaded.rejected.select(S.ROW, S.REASON).rows() == [(1, reason), (2, reason)]


# ---- headers -------------------------------------------------------------------------------

def test_headers_match_ignoring_case_spaces_and_underscores(tmp_path):
    path = tmp_path / "messy.csv"
    path.write_text(" Creator ID ,POST_ID,Posted At,LIKES,Saves ,comments\nc,1,2025-01-01,5,2,1\n", encoding="utf-8")
    posts = pipeline.load([path], Config()).posts
    assert posts.select(S.CREATOR_ID, S.LIKES, S.SAVES).rows() == [("c", 5, 2)]


def test_user_aliases_in_config_add_and_override(tmp_path):
    notes = tmp_path / "notes.csv"
    notes.write_text("达人,作品,日期,赞,藏,评,likes\nc,1,2025-01-01,5,2,1,999\n", encoding="utf-8")
    cfg = tmp_path / "kolvet.toml"
    cfg.write_text('[input.aliases]\ncreator_id = ["达人"]\npost_id = ["作品"]\nposted_at = ["日期"]\n'
                   'likes = ["赞"]\nsaves = ["藏"]\ncomments = ["评"]\n', encoding="utf-8")
    from kolvet.config import load_config

    posts = pipeline.load([notes], load_config(cfg)).posts
    assert posts.select(S.CREATOR_ID, S.POST_ID, S.LIKES, S.SAVES, S.COMMENTS).rows() == [("c", "1", 5, 2, 1)]


def test_a_typo_in_config_aliases_is_a_one_line_error(tmp_path):
    cfg = tmp_path / "kolvet.toml"
    cfg.write_text('[input.aliases]\nlike = ["赞"]\n', encoding="utf-8")
    res = runner.invoke(app, ["vet", str(FORMATS / "chinese_headers.csv"), "-c", str(cfg), "-o", str(tmp_path / "o.csv")])
    assert res.exit_code == 1
    assert res.stderr.count("\n") == 1 and "'like' is not a kolvet column" in res.stderr


def test_unmappable_file_lists_columns_found_and_missing(tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text("作者,点赞,标题\na,5,x\n", encoding="utf-8")
    res = runner.invoke(app, ["vet", str(path), "-o", str(tmp_path / "o.csv")])
    assert res.exit_code == 1 and res.stderr.count("\n") == 1
    line = res.stderr
    assert "no column for creator_id (" in line
    for missing in ("post_id", "posted_at", "saves", "comments"):
        assert f"; {missing} (e.g." in line
    assert "likes (e.g." not in line  # 点赞 was recognised
    assert "columns found: 作者, 点赞, 标题" in line and str(path) in line


# ---- encodings -----------------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_encodings_are_detected(tmp_path, encoding):
    text = (FORMATS / "chinese_headers.csv").read_text(encoding="utf-8")
    path = tmp_path / f"notes-{encoding}.csv"
    path.write_bytes(text.encode(encoding))
    assert_frame_equal(_posts(pipeline.load([path], Config())),
                       _posts(pipeline.load([FORMATS / "chinese_headers.csv"], Config())))


def test_encoding_option_overrides_detection(tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes((FORMATS / "chinese_headers.csv").read_text(encoding="utf-8").encode("gbk"))
    ok = runner.invoke(app, ["vet", str(path), "--encoding", "GBK", "-o", str(tmp_path / "a.csv"), "-q"])
    assert ok.exit_code == 0, ok.output
    wrong = runner.invoke(app, ["vet", str(path), "--encoding", "utf-8", "-o", str(tmp_path / "b.csv"), "-q"])
    assert wrong.exit_code == 1 and "not valid utf-8" in wrong.stderr and wrong.stderr.count("\n") == 1
    unknown = runner.invoke(app, ["vet", str(path), "--encoding", "klingon", "-o", str(tmp_path / "c.csv")])
    assert unknown.exit_code == 2 and "klingon" in unknown.stderr
    # A UTF-8 mark before a GBK body: the error's advice (--encoding gbk) must then work.
    marked = tmp_path / "bom-gbk.csv"
    marked.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    advice = runner.invoke(app, ["vet", str(marked), "-o", str(tmp_path / "d.csv"), "-q"])
    assert advice.exit_code == 1 and "--encoding (e.g. gbk)" in advice.stderr
    assert_frame_equal(_posts(pipeline.load([marked], Config(), encoding="gbk")), _posts(pipeline.load([path], Config())))


# ---- XLSX ----------------------------------------------------------------------------------

def test_xlsx_reads_every_sheet_with_data_and_sheet_picks_one(tmp_path):
    """A workbook split into sheets (a month each, or notes beside a roster) is read whole,
    each sheet named in reports as book.xlsx[sheet]; --sheet reads one."""
    import xlsxwriter

    notes = pl.read_csv(FORMATS / "chinese_headers.csv", infer_schema=False)
    book = tmp_path / "book.xlsx"
    with xlsxwriter.Workbook(book) as wb:
        notes.head(2).write_excel(wb, worksheet="first")
        notes.write_excel(wb, worksheet="全部笔记")
    loaded = pipeline.load([book], Config())
    assert loaded.posts.height == 4  # the first sheet's two notes are copies of the second's
    assert loaded.rejected.select("source_file", "row").rows() == [(f"{book}[first]", 1), (f"{book}[first]", 2)]
    assert not [w for _, w in pipeline.vet_loaded(loaded, Config()).warnings_by_file() if w.startswith("sheets:")]
    assert pipeline.load([book], Config(), sheet="first").posts.height == 2
    assert pipeline.load([book], Config(), sheet="全部笔记").posts.height == 4
    assert pipeline.load([book], Config(), sheet="2").posts.height == 4
    res = runner.invoke(app, ["vet", str(book), "--sheet", "nope", "-o", str(tmp_path / "o.csv")])
    assert res.exit_code == 1 and "no sheet named 'nope'" in res.stderr


def test_a_workbook_with_a_roster_sheet_first_reads_both_sheets(tmp_path):
    import xlsxwriter

    notes = pl.read_csv(FORMATS / "mediacrawler_notes.csv", infer_schema=False)
    roster = pl.read_csv(FORMATS / "roster_quotes.csv", infer_schema=False)
    book = tmp_path / "agency.xlsx"
    with xlsxwriter.Workbook(book) as wb:
        roster.write_excel(wb, worksheet="达人名单")
        notes.write_excel(wb, worksheet="笔记")
    res = runner.invoke(app, ["vet", str(book), "-o", str(tmp_path / "o.csv")])
    assert res.exit_code == 0, res.output
    assert f"read {book}[达人名单]: " in res.stdout and f"read {book}[笔记]: " in res.stdout


def test_notes_and_creators_workbooks_can_need_different_sheets(tmp_path):
    """An agency's notes export and its roster rarely keep their data on same-named sheets."""
    import xlsxwriter

    notes = pl.read_csv(FORMATS / "mediacrawler_notes.csv", infer_schema=False)
    roster = pl.read_csv(FORMATS / "roster_quotes.csv", infer_schema=False)
    notes_book, roster_book = tmp_path / "notes.xlsx", tmp_path / "roster.xlsx"
    with xlsxwriter.Workbook(notes_book) as wb:
        pl.DataFrame({"说明": ["二月导出"]}).write_excel(wb, worksheet="封面")
        notes.write_excel(wb, worksheet="笔记")
    with xlsxwriter.Workbook(roster_book) as wb:
        pl.DataFrame({"说明": ["报价单"]}).write_excel(wb, worksheet="封面")
        roster.write_excel(wb, worksheet="达人")
    out = tmp_path / "o.csv"
    res = runner.invoke(app, ["vet", str(notes_book), "--sheet", "笔记", "--creators", str(roster_book),
                              "--creators-sheet", "达人", "-o", str(out)])
    assert res.exit_code == 0, res.output
    ranked = pl.read_csv(out, schema_overrides={S.CREATOR_ID: pl.String})
    assert dict(ranked.select(S.CREATOR_ID, S.QUOTE).iter_rows()) == {U1: 800.0, U2: 120.0, "7a7a7a7a7a7a7a7a7a7a7a7a": 30.0}
    res = runner.invoke(app, ["vet", str(notes_book), "--sheet", "笔记", "--creators", str(roster_book),
                              "--creators-sheet", "名单", "-o", str(out)])
    assert res.exit_code == 1 and f"{roster_book}: no sheet named '名单' (sheets: 封面, 达人)" in res.stderr
    # Without it, the cover sheet is read, and the error says which sheet holds the creators.
    res = runner.invoke(app, ["vet", str(notes_book), "--sheet", "笔记", "--creators", str(roster_book), "-o", str(out)])
    assert res.exit_code == 1 and "Sheet '达人' has the creators: pass --creators-sheet 达人" in res.stderr
    # Read from its first sheet, a creators workbook points at its own option.
    two = tmp_path / "two.xlsx"
    with xlsxwriter.Workbook(two) as wb:
        roster.write_excel(wb, worksheet="一月")
        roster.write_excel(wb, worksheet="二月")
    loaded = pipeline.load([notes_book], Config(), creators_file=str(two), sheet="笔记")
    assert [w for _, w in pipeline.vet_loaded(loaded, Config()).warnings_by_file() if w.startswith("sheets:")] == [
        f"sheets: {two}: read its first sheet only; '二月' (creators) holds data too: pass --creators-sheet NAME "
        "to read one, or save each sheet as its own file"]


def test_a_roster_with_a_title_above_its_header_is_read_from_its_header(tmp_path):
    titled = tmp_path / "roster.csv"
    titled.write_text("2025年3月 KOC 投放名单,,\n,,\n" + (FORMATS / "roster_quotes.csv").read_text(encoding="utf-8-sig"),
                      encoding="utf-8")
    runs = []
    for roster in (FORMATS / "roster_quotes.csv", titled):
        out = tmp_path / f"o{len(runs)}.csv"
        res = runner.invoke(app, ["vet", str(FORMATS / "mediacrawler_notes.csv"), "--creators", str(roster), "-o", str(out)])
        assert res.exit_code == 0, res.output
        runs.append(out.read_bytes())
    assert "header read from line 3; the 2 lines above it (a title) skipped" in " ".join(res.output.split())
    assert runs[0] == runs[1]


# ---- crawl folders -------------------------------------------------------------------------

def test_crawl_folder_joins_profiles_and_merges_snapshots(tmp_path):
    out = tmp_path / "ranked.csv"
    res = runner.invoke(app, ["vet", str(CRAWL), "-o", str(out), "--posts-out", str(tmp_path / "notes.csv")])
    assert res.exit_code == 0, res.output
    ranked = pl.read_csv(out, schema_overrides={S.CREATOR_ID: pl.String})
    followers = dict(ranked.select(S.CREATOR_ID, S.FOLLOWERS).iter_rows())
    # U1's newest profile (2025-03-11) says 1.5万, the older one 1.4万; the third creator has none.
    assert followers == {U1: 15000, U2: 2000, "611b2c3d4e5f607182930415": None}
    assert "no follower count" in ranked.filter(pl.col(S.FOLLOWERS).is_null()).get_column("verdict_reason").item()
    notes = pl.read_csv(tmp_path / "notes.csv", schema_overrides={S.POST_ID: pl.String})
    kept = {r[S.POST_ID]: (r[S.LIKES], r[S.SAVES], r[S.COUNT_DROPPED]) for r in notes.iter_rows(named=True)}
    assert kept[N1] == (12000, 3500, False)  # 1.1万 then 1.2万: growth
    assert kept[N2] == (809, 1200, True)  # saves 1300 then 1200: a purge, kept for the fraud module
    assert len(kept) == 5
    rejected = pl.read_csv(tmp_path / "ranked.rejected.csv", infer_schema=False)
    assert rejected.get_column(S.REASON).value_counts(sort=True).rows() == [
        ("duplicate post_id: older snapshot (kept the newest)", 4),
        # U1's 1.4万 profile, a day before its 1.5万 one: a point of U1's follower series.
        ("duplicate creator_id: an older snapshot with other values (kept the newest; "
         "its followers are a point of the follower series)", 1)]
    assert rejected.get_column(S.ROW).null_count() == 0
    assert "MediaCrawler comments (comments), 1 rows, 1 taken, 0 set aside" in res.output
    assert "MediaCrawler creator profiles (creators)" in res.output
    # A re-crawl's older snapshots are routine: counted apart from rows that couldn't be used.
    assert "no rows set aside\n5 older snapshots (or copies) of notes or profiles replaced by newer ones" in res.output


def test_crawl_folder_accounts_for_every_row(tmp_path):
    loaded = pipeline.load([CRAWL], Config())
    for s in loaded.sources:
        assert s.taken + s.set_aside == s.rows, s
    assert sum(s.rows for s in loaded.sources if s.kind == "posts") == 9
    notes_files = {s.source for s in loaded.sources if s.kind == "posts"}
    assert loaded.posts.height + loaded.rejected.filter(pl.col(S.SOURCE).is_in(sorted(notes_files))).height == 9


def test_per_file_report_names_the_format_and_counts(tmp_path):
    res = runner.invoke(app, ["vet", str(FORMATS / "xhs_downloader.csv"), "-o", str(tmp_path / "o.csv")])
    assert res.exit_code == 0, res.output
    assert f"read {FORMATS / 'xhs_downloader.csv'}: XHS-Downloader (posts), 4 rows, 4 taken, 0 set aside" in res.output
    meta = json.loads((tmp_path / "o.meta.json").read_text(encoding="utf-8"))
    assert meta["inputs"] == [{"file": str(FORMATS / "xhs_downloader.csv"), "format": "XHS-Downloader",
                               "holds": "posts", "rows": 4, "taken": 4, "set_aside": 0}]


# ---- the same posts in every format give the same ranking ----------------------------------

CATEGORY_CN = {"beauty": "美妆", "fashion": "穿搭", "food": "美食", "mother_baby": "母婴", "travel": "旅行", "luxury": "奢侈品"}
COUNTS = (S.FOLLOWERS, S.LIKES, S.SAVES, S.COMMENTS, S.SHARES, S.VIEWS)
CHINA = timedelta(hours=8)


@pytest.fixture(scope="module")
def world() -> pl.DataFrame:
    posts, _ = synth.generate(synth.sample_world(60, seed=11, fake_rate=0.1, hard_rate=0.1))
    return posts


def _round_wan(expr: pl.Expr) -> pl.Expr:
    """What a count becomes once XHS writes it in 万 with one decimal (12,345 -> 1.2万)."""
    return pl.when(expr >= 10_000).then(((expr / 1000).round(0) * 1000).cast(pl.Int64)).otherwise(expr)


def _wan_text(expr: pl.Expr) -> pl.Expr:
    rounded = _round_wan(expr)
    return (pl.when(expr >= 10_000).then((rounded / 10_000).round(1).cast(pl.String) + pl.lit("万"))
            .otherwise(expr.cast(pl.String)))


def _chinese(posts: pl.DataFrame, wan: bool) -> pl.DataFrame:
    """The posts under plain Chinese headers, every cell text, counts optionally in 万."""
    count = _wan_text if wan else (lambda e: e.cast(pl.String))
    return posts.select(
        pl.col(S.CREATOR_ID).alias("博主ID"), pl.col(S.NICKNAME).alias("博主昵称"), pl.col(S.POST_ID).alias("笔记ID"),
        count(pl.col(S.FOLLOWERS)).alias("粉丝数"), count(pl.col(S.LIKES)).alias("点赞"),
        count(pl.col(S.SAVES)).alias("收藏"), count(pl.col(S.COMMENTS)).alias("评论"),
        count(pl.col(S.SHARES)).alias("分享"), count(pl.col(S.VIEWS)).alias("阅读量"),
        pl.col(S.POSTED_AT).dt.strftime("%Y-%m-%d %H:%M:%S").alias("发布时间"),
        pl.col(S.CATEGORY).replace_strict(CATEGORY_CN).alias("类目"), pl.col(S.TITLE).alias("标题"),
        pl.col(S.POST_TYPE).replace_strict({"image": "图文", "video": "视频"}).alias("笔记类型"),
    )


def _write(frame: pl.DataFrame, path: Path, encoding: str = "utf-8") -> Path:
    if path.suffix == ".xlsx":
        frame.write_excel(path)
    else:
        path.write_bytes(frame.write_csv().encode(encoding))
    return path


def _ranking(paths: list[Path]) -> pl.DataFrame:
    result = pipeline.vet(paths, Config())
    return result.creators.select("rank", S.CREATOR_ID, "score", "fraud_score", "verdict").sort("rank")


def _same(a: pl.DataFrame, b: pl.DataFrame) -> None:
    assert_frame_equal(a, b, check_exact=False, rel_tol=1e-9, abs_tol=1e-9)


def _spearman(a: pl.DataFrame, b: pl.DataFrame) -> float:
    joined = a.join(b, on=S.CREATOR_ID, suffix="_b").filter(pl.col("verdict") != "insufficient_data")
    return joined.select(pl.corr("rank", "rank_b", method="spearman")).item()


def test_chinese_headers_in_every_container_rank_like_the_canonical_csv(tmp_path, world):
    """Exact counts under Chinese headers: UTF-8 CSV, GBK CSV and XLSX rank exactly as the
    canonical CSV does."""
    canonical = _ranking([_write(world, tmp_path / "canonical.csv")])
    chinese = _chinese(world, wan=False)
    for path, encoding in ((tmp_path / "cn.csv", "utf-8"), (tmp_path / "cn_gbk.csv", "gbk"), (tmp_path / "cn.xlsx", "")):
        _same(_ranking([_write(chinese, path, encoding or "utf-8")]), canonical)


def test_parquet_and_json_inputs_rank_like_the_canonical_csv(tmp_path, world):
    """Typed columns (integers, datetimes) take the fast paths and must agree with text."""
    canonical = _ranking([_write(world, tmp_path / "canonical.csv")])
    world.write_parquet(tmp_path / "world.parquet")
    _same(_ranking([tmp_path / "world.parquet"]), canonical)
    (tmp_path / "world.jsonl").write_text(world.with_columns(pl.col(S.POSTED_AT).dt.strftime("%Y-%m-%d %H:%M:%S"))
                                          .write_ndjson(), encoding="utf-8")
    _same(_ranking([tmp_path / "world.jsonl"]), canonical)


def test_wan_counts_rank_like_the_canonical_csv_up_to_rounding(tmp_path, world):
    """With 万 counts the only difference is the rounding: the files rank exactly as the
    canonical CSV of the rounded counts, and close to the unrounded one."""
    rounded = world.with_columns(_round_wan(pl.col(c)).alias(c) for c in COUNTS)
    assert (rounded.select(COUNTS) != world.select(COUNTS)).to_numpy().any(), "the world must exercise 万"
    canonical_rounded = _ranking([_write(rounded, tmp_path / "rounded.csv")])
    canonical = _ranking([_write(world, tmp_path / "canonical.csv")])
    chinese = _chinese(world, wan=True)
    for path, encoding in ((tmp_path / "wan.csv", "utf-8"), (tmp_path / "wan_gbk.csv", "gbk"), (tmp_path / "wan.xlsx", "")):
        ranking = _ranking([_write(chinese, path, encoding or "utf-8")])
        _same(ranking, canonical_rounded)
        assert set(ranking.get_column(S.CREATOR_ID)) == set(canonical.get_column(S.CREATOR_ID))
        assert _spearman(ranking, canonical) > 0.97


def _crawl_folder(posts: pl.DataFrame, folder: Path) -> Path:
    """The posts as a MediaCrawler creator-mode crawl: notes split over three days in JSON,
    JSON Lines and CSV with a BOM, counts as strings with 万, times in ms, a creator profile
    per creator, and a fifth of the notes crawled twice (the older snapshot with fewer likes)."""
    folder.mkdir()
    epoch_ms = ((pl.col(S.POSTED_AT) - CHINA).dt.epoch("ms")).cast(pl.String)
    day = {0: "2025-07-01", 1: "2025-07-02", 2: "2025-07-03"}
    crawl_ms = {d: str(int((datetime.fromisoformat(v) - CHINA).timestamp() * 1000) + 3_600_000) for d, v in day.items()}
    ids = posts.get_column(S.CREATOR_ID).unique().sort().to_list()
    group = pl.col(S.CREATOR_ID).replace_strict({c: i % 3 for i, c in enumerate(ids)}, return_dtype=pl.Int64)
    notes = posts.with_columns(group.alias("_day")).select(
        "_day", pl.col(S.POST_ID).alias("note_id"), pl.col(S.POST_TYPE).replace_strict({"image": "normal", "video": "video"}).alias("type"),
        pl.col(S.TITLE).alias("title"), epoch_ms.alias("time"), pl.col(S.CREATOR_ID).alias("user_id"),
        pl.col(S.NICKNAME).alias("nickname"), _wan_text(pl.col(S.LIKES)).alias("liked_count"),
        _wan_text(pl.col(S.SAVES)).alias("collected_count"), _wan_text(pl.col(S.COMMENTS)).alias("comment_count"),
        _wan_text(pl.col(S.SHARES)).alias("share_count"), pl.lit("美食,探店").alias("tag_list"),
        pl.col("_day").replace_strict(crawl_ms, return_dtype=pl.String).alias("last_modify_ts"),
    )
    older = posts.filter(pl.col(S.POST_ID).str.contains("[05]$")).select(
        pl.col(S.POST_ID).alias("note_id"), pl.lit("normal").alias("type"), pl.col(S.TITLE).alias("title"),
        epoch_ms.alias("time"), pl.col(S.CREATOR_ID).alias("user_id"), pl.col(S.NICKNAME).alias("nickname"),
        _wan_text((pl.col(S.LIKES) * 0.8).floor().cast(pl.Int64)).alias("liked_count"),
        _wan_text(pl.col(S.SAVES)).alias("collected_count"), _wan_text(pl.col(S.COMMENTS)).alias("comment_count"),
        _wan_text(pl.col(S.SHARES)).alias("share_count"), pl.lit("").alias("tag_list"),
        pl.lit(str(int(crawl_ms[0]) - 86_400_000)).alias("last_modify_ts"),
    )
    (folder / "creator_contents_2025-06-30.json").write_text(
        json.dumps(older.to_dicts(), ensure_ascii=False), encoding="utf-8")
    (folder / "creator_contents_2025-07-01.json").write_text(
        json.dumps(notes.filter(pl.col("_day") == 0).drop("_day").to_dicts(), ensure_ascii=False), encoding="utf-8")
    with open(folder / "creator_contents_2025-07-02.jsonl", "w", encoding="utf-8") as fh:
        for rec in notes.filter(pl.col("_day") == 1).drop("_day").iter_rows(named=True):
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    (folder / "creator_contents_2025-07-03.csv").write_bytes(
        notes.filter(pl.col("_day") == 2).drop("_day").write_csv().encode("utf-8-sig"))
    profiles = posts.group_by(S.CREATOR_ID).agg(pl.col(S.NICKNAME).first(), pl.col(S.FOLLOWERS).first()).sort(S.CREATOR_ID)
    profiles = profiles.select(pl.col(S.CREATOR_ID).alias("user_id"), pl.col(S.NICKNAME).alias("nickname"),
                               pl.lit("100").alias("follows"), _wan_text(pl.col(S.FOLLOWERS)).alias("fans"),
                               _wan_text(pl.col(S.FOLLOWERS) * 10).alias("interaction"), pl.lit(crawl_ms[2]).alias("last_modify_ts"))
    (folder / "creator_creator_2025-07-03.json").write_text(json.dumps(profiles.to_dicts(), ensure_ascii=False), encoding="utf-8")
    return folder


def test_a_mediacrawler_crawl_folder_ranks_like_the_canonical_csv(tmp_path, world):
    """Crawler data has no views and no category: compare with the canonical CSV of the same
    notes without them. Exact against the rounded counts, close to the unrounded ones."""
    crawler_world = world.drop(S.VIEWS, S.CATEGORY)
    folder = _crawl_folder(crawler_world, tmp_path / "crawl")
    loaded = pipeline.load([folder], Config())
    duplicates = loaded.rejected.filter(pl.col(S.REASON).str.starts_with("duplicate"))
    assert duplicates.height > 0 and loaded.posts.get_column(S.COUNT_DROPPED).sum() == 0
    assert loaded.posts.height == crawler_world.height
    ranking = _ranking([folder])
    rounded = crawler_world.with_columns(_round_wan(pl.col(c)).alias(c) for c in COUNTS if c in crawler_world.columns)
    # The profiles' lifetime likes and saves (获赞与收藏) go along as a creators table.
    profiles = crawler_world.group_by(S.CREATOR_ID).agg(pl.col(S.FOLLOWERS).first()).with_columns(
        _round_wan(pl.col(S.FOLLOWERS) * 10).alias(S.LIFETIME_LIKES_SAVES))
    rounded_profiles = _write(profiles.with_columns(_round_wan(pl.col(S.FOLLOWERS))), tmp_path / "rounded_profiles.csv")
    _same(ranking, _ranking([_write(rounded, tmp_path / "rounded.csv"), rounded_profiles]))
    canonical = _ranking([_write(crawler_world, tmp_path / "canonical.csv"), _write(profiles, tmp_path / "profiles.csv")])
    assert set(ranking.get_column(S.CREATOR_ID)) == set(canonical.get_column(S.CREATOR_ID))
    assert _spearman(ranking, canonical) > 0.97


def test_a_folders_files_that_arent_tables_are_counted_by_kind(tmp_path, world):
    """A crawl folder's images and notes-to-self are not read, and the run says how many of
    each kind it passed over, so a table saved in a format kolvet doesn't read is noticed."""
    folder = tmp_path / "crawl"
    (folder / "images").mkdir(parents=True)
    world.write_csv(folder / "posts.csv")
    for name in ("images/1.jpg", "images/2.jpg", "images/3.png", "README.md", ".DS_Store"):
        (folder / name).write_bytes(b"x")
    res = runner.invoke(app, ["vet", str(folder), "-o", str(tmp_path / "out.csv")])
    assert res.exit_code == 0, res.output
    assert f"skipped {folder}: 4 files that aren't tables (.jpg 2, .md 1, .png 1)" in res.output
    inputs = json.loads((tmp_path / "out.meta.json").read_text(encoding="utf-8"))["inputs"]
    assert [x["reason"] for x in inputs if x["format"] == "skipped"] == ["4 files that aren't tables (.jpg 2, .md 1, .png 1)"]


def test_a_folder_of_mixed_families_reads_together(tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    for name in ("mediacrawler_notes.csv", "mediacrawler_creators.json", "xhs_downloader.csv"):
        shutil.copy(FORMATS / name, folder / name)
    loaded = pipeline.load([folder], Config())
    kinds = sorted((Path(s.source).name, s.kind) for s in loaded.sources)
    assert kinds == [("mediacrawler_creators.json", "creators"), ("mediacrawler_notes.csv", "posts"),
                     ("xhs_downloader.csv", "posts")]
    # The same four notes in two files: one kept per note, the other set aside with its row.
    assert loaded.posts.height == 4 and loaded.rejected.height == 4
    assert loaded.rejected.get_column(S.ROW).to_list() == [1, 2, 3, 4]
    assert io.read_inputs([folder])[1] == []


def test_per_file_report_travels_with_every_output_format(tmp_path):
    for ext in ("xlsx", "parquet", "json"):
        out = tmp_path / f"ranked.{ext}"
        res = runner.invoke(app, ["vet", str(CRAWL), "-o", str(out), "-q"])
        assert res.exit_code == 0, res.stderr
        if ext == "xlsx":
            report = pl.read_excel(out, sheet_name="inputs").to_dicts()
            about = dict(pl.read_excel(out, sheet_name="about").iter_rows())
            assert about["settings.fraud.contamination"] == "0.08"  # a row per setting, not a cell of JSON
        elif ext == "parquet":
            report = json.loads(pl.read_parquet_metadata(out)["inputs"])
        else:
            metadata = json.loads(out.read_text(encoding="utf-8"))["metadata"]
            report = metadata["inputs"]  # objects, not JSON text inside JSON
            assert metadata["settings"]["fraud"]["contamination"] == 0.08
        files = {Path(r["file"]).name: r for r in report}
        assert files["creator_contents_2025-03-11.jsonl"]["format"] == "MediaCrawler notes"
        assert files["creator_comments_2025-03-10.json"]["format"] == "MediaCrawler comments"
        assert all(r["taken"] + r["set_aside"] == r["rows"] for r in report if r["format"] != "skipped")


def test_the_users_roster_wins_over_crawled_profiles(tmp_path):
    # A crawl folder carries profiles with follower counts; the roster the user passes with
    # --creators is what they vouch for, so its numbers win.
    crawl = pipeline.load([CRAWL], Config())
    some_id = crawl.creators.get_column(S.CREATOR_ID)[0]
    roster = tmp_path / "roster.csv"
    roster.write_text(f"user_id,fans count,图文报价(RMB)\n{some_id},123456,800\n", encoding="utf-8")
    loaded = pipeline.load([CRAWL], Config(), creators_file=str(roster))
    row = pipeline.vet_loaded(loaded, Config()).creator(some_id)
    assert (row[S.FOLLOWERS], row[S.QUOTE]) == (123456, 800.0)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
@pytest.mark.parametrize("streaming", [False, True])
def test_a_file_name_with_brackets_is_that_file_not_a_glob_pattern(tmp_path, suffix, streaming):
    posts, _ = synth.generate(synth.World(creators=20, seed=2))
    path = tmp_path / f"kit[1]{suffix}"
    posts.write_csv(path) if suffix == ".csv" else posts.write_parquet(path)
    out = tmp_path / "ranked.csv"
    res = runner.invoke(app, ["vet", str(path), "-o", str(out), "-q", *(["--streaming"] if streaming else [])])
    assert res.exit_code == 0, res.output
    assert pl.read_csv(out).height == 20


def test_a_post_id_under_two_creators_is_kept_for_each_and_said(tmp_path):
    from kolvet import synth
    posts, _ = synth.generate(synth.World(creators=40, seed=4))
    first, second = posts.get_column("creator_id").unique().sort()[:2]
    borrowed = posts.filter(pl.col("creator_id") == first).head(2).with_columns(pl.lit(second).alias("creator_id"))
    path = tmp_path / "notes.csv"
    pl.concat([posts, borrowed]).write_csv(path)
    streamed = pipeline.vet_streaming([path], Config(), rows_per_part=300)
    assert not streamed.meta["streaming"].startswith("1 ")  # several parts, so several slices of post ids
    for result in (pipeline.vet([path], Config()), streamed):
        assert result.rejected.height == 0  # nothing dropped: each creator keeps its rows
        (warning,) = result.warnings
        assert warning.startswith(f"note ids: {path}: 4 notes share a post_id with another creator's note (e.g. ")
        assert f"{first}, {second}" in warning
        assert result.meta["note_ids"] == "warning: 4 notes share a post_id with another creator's note"
    posts.write_csv(path)
    clean = pipeline.vet([path], Config())
    assert clean.warnings == [] and clean.meta["note_ids"] == "ok: each post_id belongs to one creator"


def test_a_creator_twice_in_the_roster_keeps_the_last_row_and_sets_the_other_aside(tmp_path):
    roster = tmp_path / "roster.csv"
    # U1 twice with other values; U2's second row only adds nothing (blank cells): merged.
    roster.write_text("user_id,fans count,图文报价\n"
                      f"{U1},15000,800\n{U2},2000,120\n{U1},999,100\n{U2},,\n", encoding="utf-8")
    loaded = pipeline.load([FORMATS / "mediacrawler_notes.csv"], Config(), creators_file=str(roster))
    assert loaded.rejected.select(S.ROW, S.REASON, S.CREATOR_ID, S.FOLLOWERS).rows() == [
        (1, "duplicate creator_id: an earlier row with other values (kept the last: row 3)", U1, "15000")]
    assert loaded.roster.select(S.CREATOR_ID, S.FOLLOWERS, S.QUOTE).sort(S.CREATOR_ID).rows() == [
        (U1, 999, 100.0), (U2, 2000, 120.0)]
    assert (loaded.sources[-1].taken, loaded.sources[-1].set_aside) == (3, 1)


def test_profile_files_that_complement_each_other_are_merged_not_set_aside(tmp_path):
    (tmp_path / "fans.csv").write_text(f"user_id,fans,获赞与收藏\n{U1},15000,90000\n", encoding="utf-8")
    (tmp_path / "active.csv").write_text(f"user_id,fans,活跃粉丝占比\n{U1},,40%\n", encoding="utf-8")
    loaded = pipeline.load([FORMATS / "mediacrawler_notes.csv", tmp_path / "fans.csv", tmp_path / "active.csv"], Config())
    assert loaded.rejected.filter(pl.col(S.REASON).str.starts_with("duplicate creator_id")).height == 0
    row = pipeline.vet_loaded(loaded, Config()).creator(U1)
    assert (row[S.FOLLOWERS], row[S.LIFETIME_LIKES_SAVES], row[S.ACTIVE_FANS]) == (15000, 90000, 0.4)


def test_a_notes_file_given_as_the_roster_is_a_clear_error(tmp_path):
    res = runner.invoke(app, ["vet", str(FORMATS / "mediacrawler_notes.csv"), "--creators",
                              str(FORMATS / "mediacrawler_notes.csv"), "-o", str(tmp_path / "o.csv")])
    assert res.exit_code == 1
    assert "mediacrawler_notes.csv: holds notes (note ids and counts), not creators" in res.output


def test_quotes_inside_unquoted_values_are_kept_as_text(tmp_path):
    """Polars refuses a file with ni"ck in an unquoted cell; Python's csv module, like Excel
    and pandas, reads the quote as text. kolvet reads it so rather than refuse the file, and
    hands Polars the rewritten rows, so the frame is what a clean file gives."""
    path = tmp_path / "notes.csv"
    path.write_text('creator_id,post_id,nickname,likes\nc1,n1,ni"ck,5\nc1,n2,,6\nc2,n3,"a, ""b""",7\n',
                    encoding="utf-8")
    with pytest.raises(pl.exceptions.ComputeError):
        pl.read_csv(path, infer_schema=False)
    frame = io.read_csv(path)
    assert frame.get_column("nickname").to_list() == ['ni"ck', None, 'a, "b"']
    assert frame.get_column("likes").to_list() == [5, 6, 7]


def test_lines_ending_in_cr_alone_read_as_lines(tmp_path):
    path = tmp_path / "mac.csv"
    path.write_bytes(b"creator_id,post_id,likes\rc1,n1,5\rc1,n2,6\r")
    assert io.read_csv(path).rows() == [("c1", "n1", 5), ("c1", "n2", 6)]
    assert io._peek_header(path) == ["creator_id", "post_id", "likes"]


def test_a_bare_cr_in_a_value_stays_in_it_when_a_stray_quote_sends_the_file_to_python(tmp_path):
    """Polars splits rows at LF only; Python's csv module also at a bare CR. The rewrite must
    split as Polars does, or half a title becomes a row of its own (and a creator)."""
    path = tmp_path / "notes.csv"
    path.write_bytes(b"creator_id,post_id,likes,title\nc1,n1,10,a\rb\nc1,n2,11,x\"y\n")
    frame = io.read_csv(path)
    assert frame.select("creator_id", "title").rows() == [("c1", "a\rb"), ("c1", 'x"y')]


def test_a_header_polars_cant_name_is_one_line_in_both_modes(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("creator_id,post_id,posted_at,likes,saves,comments,nick,nick,nick_duplicated_0\n"
                    "c1,n1,2025-05-01,10,5,1,a,b,c\n", encoding="utf-8")
    for flags in ([], ["--streaming"]):
        res = CliRunner().invoke(app, ["vet", str(path), "-o", str(tmp_path / "o.csv"), *flags])
        assert res.exit_code == 1
        assert res.output.startswith(f"kolvet: error: {path}: can't read as CSV (de-duplication") and res.output.count("\n") == 1


def test_cr_endings_are_judged_by_the_header_line(tmp_path):
    """A CR-only file with an LF inside a quoted cell is still CR-only; a CRLF file is not."""
    path = tmp_path / "mac.csv"
    path.write_bytes(b'creator_id,post_id,likes,title\rc1,n1,5,"two\nlines"\rc1,n2,6,x\r')
    assert io.read_csv(path).select("post_id", "title").rows() == [("n1", "two\nlines"), ("n2", "x")]
    assert not io._cr_only(b"a,b\r\n1,2\r\n") and not io._cr_only(b'a,b\n1,"x\ry"\n') and io._cr_only(b"a,b\r1,2")


@pytest.mark.parametrize("streaming", [False, True])
def test_ids_written_as_floats_or_with_invisible_characters_meet_the_same_creator(tmp_path, streaming):
    # pandas writes an id column with a gap in it as floats (95001234.0); ids copied from a web
    # page carry zero-width spaces. Either way it is one creator, with its notes and its quote.
    posts, _ = synth.generate(synth.World(creators=40, seed=5))
    ids = sorted(set(posts.get_column("creator_id")))
    number = {cid: 95_000_000 + i for i, cid in enumerate(ids)}
    posts = posts.with_columns(pl.col("creator_id").replace_strict(number, return_dtype=pl.Int64))
    half = posts.get_column("creator_id") % 2 == 0
    posts.filter(half).with_columns(pl.col("creator_id").cast(pl.Float64)).write_parquet(tmp_path / "a.parquet")
    posts.filter(~half).write_csv(tmp_path / "b.csv")
    roster = pl.DataFrame({"creator_id": [f"{v}\u200b" if v % 3 else f"\ufeff{v}" for v in number.values()],
                           "quote": [1000] * len(number)})
    roster.write_csv(tmp_path / "roster.csv")
    out = tmp_path / "ranked.csv"
    args = ["vet", str(tmp_path / "a.parquet"), str(tmp_path / "b.csv"), "--creators", str(tmp_path / "roster.csv"),
            "-o", str(out), "-q", *(["--streaming"] if streaming else [])]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    ranked = pl.read_csv(out, infer_schema=False)
    assert sorted(ranked.get_column("creator_id")) == sorted(str(v) for v in number.values())
    assert ranked.get_column("quote").null_count() == 0
    assert ranked.filter(pl.col("verdict_reason").str.contains("no notes")).height == 0


def test_notes_without_followers_or_views_say_what_would_rate_them(tmp_path):
    """A notes-only crawl has no follower counts: every creator is insufficient_data, and the
    run says why and what to add on screen, not only in each row's verdict_reason."""
    rows = [["creator_id", "post_id", "posted_at", "likes", "saves", "comments"]]
    rows += [[f"u{c}", f"u{c}-{i}", f"2025-05-{i + 1:02d}", 100 + i, 30, 5] for c in range(3) for i in range(6)]
    with open(tmp_path / "notes.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    res = runner.invoke(app, ["vet", str(tmp_path / "notes.csv"), "-o", str(tmp_path / "out.csv")])
    assert res.exit_code == 0, res.output
    assert ("followers: 3 creators with notes have no follower count and no views, so no rates (insufficient_data): "
            "pass the crawl's creator profiles with the notes") in " ".join(res.output.split())
    assert "3 insufficient_data" in res.output
