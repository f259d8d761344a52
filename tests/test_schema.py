"""Parsing and validation on tiny hand-built frames."""

from __future__ import annotations

from datetime import datetime

import polars as pl
import pytest

from kolvet import schema as S

COUNTS = [
    ("809", 809, S.EXACT), ("1,200", 1200, S.EXACT), ("1.2万", 12000, S.ROUNDED), ("3千", 3000, S.ROUNDED),
    ("1.5w", 15000, S.ROUNDED), ("1.1K", 1100, S.ROUNDED), ("2亿", 200_000_000, S.ROUNDED),
    ("10万+", 100_000, S.LOWER_BOUND), ("10+", 10, S.LOWER_BOUND), ("100+", 100, S.LOWER_BOUND),
    ("1千+", 1000, S.LOWER_BOUND), ("116000", 116000, S.EXACT), (" 45 ", 45, S.EXACT),
    ("12,000,000", 12_000_000, S.EXACT), ("1，200", 1200, S.EXACT), ("3,000+", 3000, S.LOWER_BOUND),
    # Typed with a Chinese input method, in traditional characters, in English exports, or "about":
    ("１２３", 123, S.EXACT), ("１．５万", 15000, S.ROUNDED), ("５ｗ", 50000, S.ROUNDED), ("1.2萬", 12000, S.ROUNDED),
    ("3億", 300_000_000, S.ROUNDED), ("1.2M", 1_200_000, S.ROUNDED), ("约1.2万", 12000, S.ROUNDED),
    ("约500", 500, S.ROUNDED), ("~800", 800, S.ROUNDED), ("约1,200", 1200, S.ROUNDED), ("１２３，４５６", 123456, S.EXACT),
]


@pytest.mark.parametrize("text,value,precision", COUNTS)
def test_count_strings_keep_their_precision(text, value, precision):
    parsed = S.parse_count(pl.col("v"), pl.String(), "likes")
    row = pl.DataFrame({"v": [text]}).select(parsed.value.alias("v"), parsed.precision.alias("p"), parsed.problem.alias("x")).row(0)
    assert row == (value, precision, None)


@pytest.mark.parametrize("text", ["", "-", "-1", None, "null", "NaN", "暂无", "无", "未知"])
def test_missing_count_markers_are_missing_not_errors(text):
    parsed = S.parse_count(pl.col("v"), pl.String(), "likes")
    row = pl.DataFrame({"v": [text]}, schema={"v": pl.String}).select(parsed.value.alias("v"), parsed.problem.alias("x")).row(0)
    assert row == (None, None)


@pytest.mark.parametrize("text,problem", [("abc", "likes: not a count"), ("-5", "likes: negative"),
                                          ("1e15", "likes: implausibly large"), ("inf", "likes: not a count"),
                                          ("1.5", "likes: not a whole number"),
                                          # a comma not between groups of three is a decimal comma
                                          ("12,00", "likes: not a count"), ("1,2", "likes: not a count")])
def test_bad_counts_name_the_problem(text, problem):
    parsed = S.parse_count(pl.col("v"), pl.String(), "likes")
    assert pl.DataFrame({"v": [text]}).select(parsed.problem.alias("x")).item() == problem


def test_numeric_counts_take_the_fast_path():
    parsed = S.parse_count(pl.col("v"), pl.Int64(), "saves")
    out = pl.DataFrame({"v": [5, -1, -3, None]}).select(parsed.value.alias("v"), parsed.problem.alias("x"))
    assert out.to_series(0).to_list() == [5, None, None, None]
    assert out.to_series(1).to_list() == [None, None, "saves: negative", None]


@pytest.mark.parametrize("text,expected", [
    ("1741739525000", datetime(2025, 3, 12, 8, 32, 5)),  # epoch ms -> China time
    ("1741739525", datetime(2025, 3, 12, 8, 32, 5)),  # epoch s
    ("2025-03-01T10:00:00Z", datetime(2025, 3, 1, 18, 0)),
    ("2025-03-01T10:00:00+08:00", datetime(2025, 3, 1, 10, 0)),
    ("2025-03-01 10:00:00", datetime(2025, 3, 1, 10, 0)),
    ("2025-03-01 10:00:00.000000", datetime(2025, 3, 1, 10, 0)),
    ("2025-03-01_10:00:00", datetime(2025, 3, 1, 10, 0)),
    ("2025-03-01", datetime(2025, 3, 1)),
    ("2025年03月01日", datetime(2025, 3, 1)),
    ("2025年3月1日 10:05", datetime(2025, 3, 1, 10, 5)),
    ("2025-03-01T10:05", datetime(2025, 3, 1, 10, 5)),  # no seconds
    ("2025-03-01 10:00:00 +0800", datetime(2025, 3, 1, 10, 0)),  # as logs write an offset
    ("2025-03-01 10:00 +00:00", datetime(2025, 3, 1, 18, 0)),
    ("2025-03-01T10:00:00.5+0000", datetime(2025, 3, 1, 18, 0, 0, 500000)),
    ("garbage", None),
])
def test_times_become_china_time(text, expected):
    assert pl.DataFrame({"t": [text]}).select(S.parse_time(pl.col("t"), pl.String())).item() == expected


@pytest.mark.parametrize("headers,expected", [
    (["note_id", "user_id", "time", "liked_count", "collected_count", "comment_count", "share_count"], "MediaCrawler notes"),
    (["note_id", "creator_hash", "time", "liked_count", "collected_count", "comment_count"], "MediaCrawler notes (anonymised)"),
    (["笔记id", "用户id", "上传时间", "点赞数量", "收藏数量", "评论数量", "分享数量"], "Spider_XHS notes"),
    (["作品ID", "作者ID", "发布时间", "点赞数量", "收藏数量", "评论数量", "分享数量"], "XHS-Downloader"),
    (["noteId", "userId", "publishTime", "readNum", "likeNum", "collectNum", "cmtNum", "shareNum"], "Pugongying note list"),
    (["小红书号", "昵称", "发布时间", "笔记ID", "获赞数", "收藏数", "评论数", "分享数"], "agency monitoring export"),
    (["博主ID", "笔记ID", "发布时间", "点赞", "收藏", "评论"], "Chinese headers"),
])
def test_every_alias_family_maps_the_required_columns(headers, expected):
    mapping = S.map_columns(headers)
    assert S.recognise_family(headers) == expected
    missing = mapping.missing(S.REQUIRED_POST_COLUMNS)
    # Exports without a note id in their headers can't be used; every family here has one.
    assert missing == []


def test_headers_match_case_and_whitespace_insensitively():
    mapping = S.map_columns([" Creator_ID ", "POST_ID", "Posted At", "Likes", "saves ", "comments"])
    assert mapping.source_of["creator_id"] == " Creator_ID "
    assert mapping.source_of["posted_at"] == "Posted At"


def test_user_aliases_come_first():
    mapping = S.map_columns(["赞", "likes"], {"likes": ["赞"]})
    assert mapping.source_of["likes"] == "赞"


def _parse(rows: dict) -> tuple[pl.DataFrame, pl.DataFrame]:
    frame = pl.DataFrame(rows, schema={k: pl.String for k in rows})
    return S.parse_posts(frame, S.map_columns(frame.columns), "t.csv", {})


def test_bad_rows_are_set_aside_with_a_reason():
    posts, rejected = _parse({
        "creator_id": ["a", "", "c", "d", "e"],
        "post_id": ["1", "2", "3", "4", "5"],
        "posted_at": ["2025-01-01", "2025-01-01", "yesterday", "2025-01-01", "2025-01-01"],
        "likes": ["10", "10", "10", "lots", "1.2万"],
        "saves": ["1", "1", "1", "1", "-3"],
        "comments": ["1", "1", "1", "1", "1"],
    })
    assert posts.get_column("creator_id").to_list() == ["a"]
    assert rejected.select("row", "reason").rows() == [
        (2, "missing creator_id"), (3, "posted_at: not a date"), (4, "likes: not a count"), (5, "saves: negative"),
    ]
    assert rejected.get_column("likes").to_list() == ["10", "10", "lots", "1.2万"]


def test_a_follower_floor_is_marked_where_it_is_read():
    """"10万+" is at least 100,000: notes and creators tables both say the count is a floor, and
    say nothing (blank) where there is no count."""
    posts, _ = _parse({
        "creator_id": ["a", "b", "c"], "post_id": ["1", "2", "3"], "posted_at": ["2025-01-01"] * 3,
        "followers": ["10万+", "12.3万", ""], "likes": ["10"] * 3, "saves": ["1"] * 3, "comments": ["1"] * 3,
    })
    assert posts.select("followers", "followers_precision").rows() == [(100_000, S.LOWER_BOUND), (123_000, S.ROUNDED), (None, None)]
    assert posts.get_column("count_precision").to_list() == [S.EXACT] * 3  # the notes' own counts are exact
    frame = pl.DataFrame({"creator_id": ["a", "b"], "粉丝数量": ["1万+", "9000"]})
    creators, _ = S.parse_creators(frame, S.map_columns(frame.columns), "roster.csv", {})
    assert creators.select("followers", "followers_precision").rows() == [(10_000, S.LOWER_BOUND), (9_000, S.EXACT)]


def test_a_nickname_broken_over_lines_is_read_on_one():
    posts, _ = _parse({"creator_id": ["a", "b"], "post_id": ["1", "2"], "posted_at": ["2025-01-01"] * 2,
                       "nickname": ["博主00000\n(新) ", "  "], "likes": ["10"] * 2, "saves": ["1"] * 2, "comments": ["1"] * 2})
    assert posts.get_column("nickname").to_list() == ["博主00000 (新)", None]
    frame = pl.DataFrame({"creator_id": ["a"], "昵称": ["小红\r\n 薯"], "粉丝数量": ["10"]})
    creators, _ = S.parse_creators(frame, S.map_columns(frame.columns), "roster.csv", {})
    assert creators.get_column("nickname").to_list() == ["小红 薯"]


def test_a_vaguer_follower_count_that_agrees_is_no_conflict():
    """Two rows of one creator: an exact count beats a rounded or floor one it agrees with,
    whichever was read last; a count that can't be the same number is a conflict, set aside."""
    frame = pl.DataFrame({"creator_id": ["a", "a", "b", "b", "c", "c"],
                          "粉丝数量": ["14518", "1.5万", "2634", "10万+", "10万+", "105680"]})
    creators, _ = S.parse_creators(frame, S.map_columns(frame.columns), "roster.csv", {})
    kept, aside = S.merge_creator_rows(creators)
    assert kept.select("creator_id", "followers", "followers_precision").rows() == [
        ("a", 14518, S.EXACT), ("b", 100_000, S.LOWER_BOUND), ("c", 105_680, S.EXACT)]
    assert aside.select("creator_id", "followers").rows() == [("b", "2634")]
    # "1.5万" is 14,500 to 15,500; "10万+" anything from 100,000.
    exact = pl.DataFrame({"v": [14_499, 14_500, 15_500, 15_501, 99_999, 3_000_000]})
    agree = exact.select(S.counts_agree(pl.lit(15_000), pl.lit(S.ROUNDED), pl.col("v"), pl.lit(S.EXACT)).alias("rounded"),
                         S.counts_agree(pl.lit(100_000), pl.lit(S.LOWER_BOUND), pl.col("v"), pl.lit(S.EXACT)).alias("floor"))
    assert agree.get_column("rounded").to_list() == [False, True, True, False, False, False]
    assert agree.get_column("floor").to_list() == [False] * 5 + [True]


def test_merge_snapshots_keeps_the_newest_and_notes_purges():
    posts, _ = _parse({
        "creator_id": ["a", "a", "a"], "post_id": ["1", "1", "2"],
        "posted_at": ["2025-01-01"] * 3, "likes": ["50", "40", "5"], "saves": ["5", "5", "1"],
        "comments": ["1", "1", "1"], "last_modify_ts": ["1741740000000", "1741840000000", "1741740000000"],
    })
    kept, older = S.merge_snapshots(posts)
    assert kept.sort("post_id").select("post_id", "likes", "counts_went_down").rows() == [("1", 40, True), ("2", 5, False)]
    assert older.get_column("reason").to_list() == ["duplicate post_id: older snapshot (kept the newest)"]


def test_a_count_that_fell_by_a_few_is_not_a_purge():
    # Readers take likes back, and XHS shows counts of 10,000+ to 0.1万: only a drop beyond both is one.
    before = ["1658", "30", "12000", "15000", "200", "50000"]
    after = ["1657", "21", "11000", "13900", "189", "47400"]
    posts, _ = _parse({
        "creator_id": ["a"] * 12, "post_id": [str(i) for i in range(6)] * 2, "posted_at": ["2025-01-01"] * 12,
        "likes": before + after, "saves": ["5"] * 12, "comments": ["1"] * 12,
        "last_modify_ts": ["1741740000000"] * 6 + ["1741840000000"] * 6,
    })
    kept, _ = S.merge_snapshots(posts)
    assert kept.sort("post_id").get_column("counts_went_down").to_list() == [False, False, False, True, True, True]


def test_categories_map_through_benchmark_aliases():
    frame = pl.DataFrame({"c": ["美妆", "Beauty", " food ", "宠物", None]})
    out = frame.select(S.normalise_category(pl.col("c"), {"beauty": ["美妆"], "food": ["美食"]})).to_series().to_list()
    assert out == ["beauty", "beauty", "food", "宠物", "unknown"]


def test_quotes_read_as_rosters_write_them():
    written = ["1.2万", "3,000-5,000", "3-5k", "5k", "¥800", "800元/篇", " 1 200 ", "面议", "N/A", "-", "0", "", None, "abc"]
    price, problem = S.parse_quote(pl.col("q"))
    got = pl.DataFrame({"q": written}).select(price.alias("p"), problem.alias("why"))
    # A range is its midpoint; negotiable, missing and 0 are no price, and only "abc" is a problem.
    assert got.get_column("p").to_list() == [12000, 4000, 4000, 5000, 800, 800, 1200, None, None, None, None, None, None, None]
    assert got.get_column("why").to_list() == [None] * 13 + ["quote: not a price (was abc; write a number, such as 800, 1.2万 or 3000-5000)"]


@pytest.mark.parametrize("text,expected", [
    ("2025.03.01", datetime(2025, 3, 1)), ("2025.3.1 12:00", datetime(2025, 3, 1, 12)),
    ("编辑于 2025-03-01", datetime(2025, 3, 1)), ("45714.5", datetime(2025, 2, 26, 12)),
])
def test_dotted_edited_and_excel_serial_dates_are_read(text, expected):
    assert S.parse_time_column(pl.Series("t", [text])).item() == expected


@pytest.mark.parametrize("text,expected", [
    ("2025年05月14日 下午3:05", datetime(2025, 5, 14, 15, 5)), ("2025年5月14日上午11:20", datetime(2025, 5, 14, 11, 20)),
    ("2025/05/14 中午12:10", datetime(2025, 5, 14, 12, 10)), ("2025/05/14 中午11:10", datetime(2025, 5, 14, 11, 10)),
    ("2025.05.14 晚上9:01:02", datetime(2025, 5, 14, 21, 1, 2)), ("2025-05-14 3:05 PM", datetime(2025, 5, 14, 15, 5)),
    ("2025-05-14 12:05 am", datetime(2025, 5, 14, 0, 5)), ("2025-05-14 3:05 p.m.", datetime(2025, 5, 14, 15, 5)),
    # 晚上12点 is the midnight that ends the day, 凌晨12点 the one that starts it; neither is noon.
    ("2025年5月14日 晚上12:00", datetime(2025, 5, 15)), ("2025年5月14日 凌晨12:30", datetime(2025, 5, 14, 0, 30)),
])
def test_twelve_hour_clocks_are_read(text, expected):
    assert S.parse_time_column(pl.Series("t", [text])).item() == expected


def test_dates_with_the_year_last_take_the_columns_day_month_order():
    us = S.parse_time_column(pl.Series("t", ["05/14/2025", "5/3/2025 15:05", "12/01/2025 3:05 PM"]))
    assert us.to_list() == [datetime(2025, 5, 14), datetime(2025, 5, 3, 15, 5), datetime(2025, 12, 1, 15, 5)]
    european = S.parse_time_column(pl.Series("t", ["14/05/2025", "3/5/2025 10:00"]))
    assert european.to_list() == [datetime(2025, 5, 14), datetime(2025, 5, 3, 10)]
    # Nothing shows the order, or both orders show: set aside, never guessed.
    for unclear in (["05/06/2025", "01/02/2025"], ["13/05/2025", "05/14/2025"]):
        assert S.parse_time_column(pl.Series("t", unclear)).to_list() == [None, None]
    assert pl.select(S.time_problem(pl.lit("05/06/2025"))).item().startswith(
        "posted_at: day and month can't be told apart")
    # A typo doesn't outvote a column, an impossible date votes for neither order, and the
    # edited-note mark is read as elsewhere.
    # Excel's US short date (two-digit years; "12/1/25" is not the year 12), and dotted or
    # dashed dates with the year last.
    short = S.parse_time_column(pl.Series("t", ["12/1/25 15:00", "5/14/25", "5/3/25 3:05 PM"]))
    assert short.to_list() == [datetime(2025, 12, 1, 15), datetime(2025, 5, 14), datetime(2025, 5, 3, 15, 5)]
    # Day-first, a two-digit year may as well be China's year-first short date: set aside.
    assert S.parse_time_column(pl.Series("t", ["25/5/14", "25/5/30"])).to_list() == [None, None]
    # ...and so is no sign of the column's order for the dates beside it.
    assert S.parse_time_column(pl.Series("t", ["5/10/2025", "10/5/2025", "25/5/10"])).to_list() == [None] * 3
    assert pl.select(S.time_problem(pl.lit("25/5/14"), True)).item().startswith("posted_at: a two-digit year is read only")
    dotted = S.parse_time_column(pl.Series("t", ["14.05.2025", "3.5.2025 10:00", "1-5-2025"]))
    assert dotted.to_list() == [datetime(2025, 5, 14), datetime(2025, 5, 3, 10), datetime(2025, 5, 1)]
    assert S.parse_time_column(pl.Series("t", ["05/14/2025 晚上12:00"])).item() == datetime(2025, 5, 15)
    assert pl.select(S.time_problem(pl.lit("5.6.2025"))).item().startswith("posted_at: day and month can't be told apart")
    typo = S.parse_time_column(pl.Series("t", ["05/14/2025"] * 20 + ["31/12/2024 10:00", "99/99/2025", "编辑于 05/15/2025"]))
    assert typo.to_list()[-4:] == [datetime(2025, 5, 14), None, None, datetime(2025, 5, 15)]


def test_a_date_that_fails_in_its_columns_order_is_not_a_date(tmp_path):
    rows = [{"creator_id": "c1", "post_id": f"n{i}", "posted_at": d, "likes": "5", "saves": "2", "comments": "1"}
            for i, d in enumerate([" 05/14/2025", " 02/30/2025 ", "05/06/2025"])]  # spaces as sheets leave them
    frame = pl.DataFrame(rows)
    posts, rejected = S.parse_posts(frame, S.map_columns(frame.columns, {}), "us.csv", {})
    assert posts.get_column("posted_at").to_list() == [datetime(2025, 5, 14), datetime(2025, 5, 6)]
    assert rejected.select("row", "reason").rows() == [(2, "posted_at: not a date")]


def test_an_excel_serial_in_a_number_column_is_a_date():
    assert pl.select(S.parse_time(pl.lit(45714.5), pl.Float64)).item() == datetime(2025, 2, 26, 12)


@pytest.mark.parametrize("text,why", [
    ("3天前", "posted_at: a relative date needs the day it was crawled; export dates in full"),
    ("昨天 12:30", "posted_at: a relative date needs the day it was crawled; export dates in full"),
    ("今天 08:00", "posted_at: a relative date needs the day it was crawled; export dates in full"),
    ("03-01", "posted_at: no year, as the app shows this year's notes; export dates in full"),
    ("soon", "posted_at: not a date"),
])
def test_unreadable_dates_say_why(text, why):
    assert pl.select(S.time_problem(pl.lit(text))).item() == why
