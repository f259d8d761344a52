"""The canonical post and creator contract, and how raw tables are mapped onto it.

Everything after this module sees only canonical column names and types. Raw tables come from
io.py with their own headers; `map_columns` renames them through the alias table, and
`parse_posts` / `parse_creators` turn XHS count strings ("1.2万", "10万+") and times into typed
columns, setting aside every row that can't be used with a reason instead of failing.

Time convention: XHS shows China time, so every `posted_at` is a naive datetime in China
Standard Time (UTC+8, no daylight saving). Epoch numbers (seconds, milliseconds, microseconds)
and ISO strings with an offset are converted to it; strings without a zone ("2025-03-01 10:00:00",
"2025-03-01_10:00:00", "2025-03-01") are taken as China time already, which is how every
exporter in data-formats.md writes them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TypeVar

import polars as pl

TextT = TypeVar("TextT", pl.Expr, pl.Series)  # a text column, lazy or at hand

# ---- canonical columns --------------------------------------------------------------------
CREATOR_ID = "creator_id"
POST_ID = "post_id"
POSTED_AT = "posted_at"
FOLLOWERS = "followers"
LIKES = "likes"
SAVES = "saves"
COMMENTS = "comments"
SHARES = "shares"
VIEWS = "views"
NEW_FOLLOWS = "new_follows"
CATEGORY = "category"
NICKNAME = "nickname"
TITLE = "title"
POST_TYPE = "post_type"
QUOTE = "quote"
SNAPSHOT_AT = "snapshot_at"
NOTE_URL = "note_url"  # only read, to derive post_id when an export has links but no ids
# Audience facts a marketplace or agency roster gives per creator (data-formats.md).
ACTIVE_FANS = "active_fan_share"  # 活跃粉丝占比 / activeFansRate, as a fraction 0-1
FOLLOWER_SERIES = "follower_series"  # daily follower counts: list of {date, followers}
LIFETIME_LIKES_SAVES = "lifetime_likes_saves"  # 获赞与收藏: likes + saves the account ever received
# A comment file (MediaCrawler saves the first page of each note's comments).
COMMENT_TEXT = "comment_text"
COMMENTER = "commenter_id"  # who wrote it (a comment file's user_id is the commenter, not the creator)

# Bookkeeping columns added by kolvet.
SOURCE = "source_file"
ROW = "row"
REASON = "reason"
PRECISION = "count_precision"  # worst precision over the post's counts (see below)
FOLLOWERS_PRECISION = "followers_precision"  # how the follower count was written: EXACT, ROUNDED ("1.2万") or LOWER_BOUND ("10万+")
FOLLOWERS_FLOOR = "followers_floor"  # per creator: followers written as a floor ("10万+"), the true count is higher
COUNT_DROPPED = "counts_went_down"  # a newer snapshot showed a lower count than an older one
NOTE_VANISHED = "vanished_later"  # a later crawl re-read the notes around it, but not it (kolvet.snapshots)

# Count precision codes, ordered so that max() over a post's counts gives the weakest.
EXACT, ROUNDED, LOWER_BOUND = 0, 1, 2
PRECISION_NAMES = {EXACT: "exact", ROUNDED: "rounded", LOWER_BOUND: "lower_bound"}

REQUIRED_POST_COLUMNS = (CREATOR_ID, POST_ID, POSTED_AT, LIKES, SAVES, COMMENTS)
COUNT_COLUMNS = (LIKES, SAVES, COMMENTS, SHARES, VIEWS, NEW_FOLLOWS, FOLLOWERS)
REQUIRED_COUNTS = (LIKES, SAVES, COMMENTS)
TEXT_COLUMNS = (CREATOR_ID, POST_ID, CATEGORY, NICKNAME, TITLE, POST_TYPE)

POST_SCHEMA: dict[str, pl.DataType] = {
    CREATOR_ID: pl.String(),
    POST_ID: pl.String(),
    POSTED_AT: pl.Datetime("us"),
    FOLLOWERS: pl.Int64(),
    FOLLOWERS_PRECISION: pl.UInt8(),
    LIKES: pl.Int64(),
    SAVES: pl.Int64(),
    COMMENTS: pl.Int64(),
    SHARES: pl.Int64(),
    VIEWS: pl.Int64(),
    NEW_FOLLOWS: pl.Int64(),
    CATEGORY: pl.String(),
    NICKNAME: pl.String(),
    TITLE: pl.String(),
    POST_TYPE: pl.String(),
    SNAPSHOT_AT: pl.Datetime("us"),
    PRECISION: pl.UInt8(),
    COUNT_DROPPED: pl.Boolean(),
    NOTE_VANISHED: pl.Boolean(),
    SOURCE: pl.String(),
    ROW: pl.Int64(),  # data row in its source file (1 = first row after the header)
}

CREATOR_SCHEMA: dict[str, pl.DataType] = {
    CREATOR_ID: pl.String(),
    NICKNAME: pl.String(),
    FOLLOWERS: pl.Int64(),
    FOLLOWERS_PRECISION: pl.UInt8(),
    CATEGORY: pl.String(),
    QUOTE: pl.Float64(),
    ACTIVE_FANS: pl.Float64(),
    FOLLOWER_SERIES: pl.List(pl.Struct({"date": pl.Date(), "followers": pl.Int64()})),
    LIFETIME_LIKES_SAVES: pl.Int64(),
    SNAPSHOT_AT: pl.Datetime("us"),
    SOURCE: pl.String(),
    ROW: pl.Int64(),
}

# ---- aliases ------------------------------------------------------------------------------
# Per canonical column, the headers seen in real exports (data-formats.md), most specific
# first: when a file has several, the first one listed wins and the rest stay unmapped.
# Matching ignores case, whitespace, "_" and "-" (normalise_header), so "likeNum", "like_num"
# and "LIKE NUM" are one alias.
#
# Deliberately not mapped:
# - impNum (曝光, impressions) is not `views`: an impression is a card shown in a feed, a read
#   (readNum, 阅读) is a note opened. Rates per impression are several times lower than per
#   read, so treating one as the other would misjudge every creator from marketplace data.
# - tag_list / 标签 / 作品标签 are topics ("#美食 #达拉斯"), not a category; guessing a category
#   from them would put creators among the wrong peers, so crawler data stays "unknown".
# - follows / 关注数量 is how many accounts the creator follows, not followers.
ALIASES: dict[str, tuple[str, ...]] = {
    CREATOR_ID: ("creator_id", "user_id", "creator_hash", "userid", "用户id", "作者id", "博主id",
                 "达人id", "小红书号", "redid", "author_id", "uid"),
    POST_ID: ("post_id", "note_id", "noteid", "笔记id", "作品id", "id"),
    POSTED_AT: ("posted_at", "time", "publish_time", "publishtime", "发布时间", "上传时间",
                "create_time", "createtime", "date", "时间戳"),
    FOLLOWERS: ("followers", "fans", "fanscount", "fansnum", "fans_count", "follower_count",
                "粉丝数", "粉丝数量", "粉丝量", "粉丝"),
    LIKES: ("likes", "liked_count", "likenum", "like_count", "likes_count", "点赞", "点赞数",
            "点赞数量", "获赞数", "点赞量"),
    SAVES: ("saves", "collected_count", "collectnum", "favnum", "collect_count", "collects",
            "收藏", "收藏数", "收藏数量", "收藏量"),
    COMMENTS: ("comments", "comment_count", "cmtnum", "comments_count", "评论", "评论数",
               "评论数量", "评论量"),
    SHARES: ("shares", "share_count", "sharenum", "shared_count", "分享", "分享数", "分享数量",
             "分享量", "转发数"),
    VIEWS: ("views", "readnum", "view_count", "reads", "阅读量", "阅读", "阅读数", "浏览量"),
    NEW_FOLLOWS: ("new_follows", "followcnt", "新增关注", "涨粉数"),
    CATEGORY: ("category", "类目", "分类", "领域", "垂类", "行业", "industry"),
    NICKNAME: ("nickname", "昵称", "博主昵称", "作者昵称", "用户名", "达人昵称", "name"),
    TITLE: ("title", "标题", "作品标题", "笔记标题"),
    POST_TYPE: ("post_type", "type", "笔记类型", "作品类型", "isvideo"),
    QUOTE: ("quote", "图文报价", "图文报价(rmb)", "图文报价（rmb）", "picture_price",
            "pictureprice", "图文笔记一口价", "报价", "price"),
    ACTIVE_FANS: ("active_fan_share", "activefansrate", "active_fans_rate", "活跃粉丝占比",
                  "活跃粉丝占比(仅>1k)", "活跃粉丝占比（仅>1k）", "活跃粉丝率"),
    FOLLOWER_SERIES: ("follower_series", "fans_series", "fanstrend", "fans_trend", "fanslist",
                      "粉丝趋势", "粉丝增长趋势"),
    # Lifetime totals of the account (profiles and rosters), never a note's own counts.
    LIFETIME_LIKES_SAVES: ("lifetime_likes_saves", "interaction", "获赞与收藏", "获赞与收藏数", "获赞和收藏",
                           "作品被赞和收藏数量", "likecollectcountinfo", "liked n collected", "likes_and_saves"),
    SNAPSHOT_AT: ("snapshot_at", "last_modify_ts", "crawled_at", "抓取时间"),
    NOTE_URL: ("note_url", "笔记url", "笔记链接", "作品链接", "作品原链接", "链接", "url"),
}
# A comment file's own headers: its user_id is the commenter, so it is mapped on its own.
COMMENT_ALIASES: dict[str, tuple[str, ...]] = {
    POST_ID: ALIASES[POST_ID],
    COMMENT_TEXT: ("comment_text", "content", "comment_content", "评论内容", "评论正文"),
    COMMENTER: ("commenter_id", "user_id", "userid", "评论者id", "评论用户id"),
}
COMMENT_SCHEMA: dict[str, pl.DataType] = {POST_ID: pl.String(), COMMENT_TEXT: pl.String(), COMMENTER: pl.String(),
                                          SOURCE: pl.String(), ROW: pl.Int64()}
# Once matched to the notes in the same inputs (attach_comments), a comment knows its creator.
ATTACHED_COMMENT_SCHEMA: dict[str, pl.DataType] = {CREATOR_ID: pl.String(), **COMMENT_SCHEMA}
# A creators table (roster) often calls its creator id just "id".
CREATOR_TABLE_ALIASES: dict[str, tuple[str, ...]] = {CREATOR_ID: ("id",)}
# A required column another column can stand in for.
FALLBACKS: dict[str, str] = {POST_ID: NOTE_URL}

# Recognised export families, by the headers that give them away (normalised).
KOLVET_OUTPUT = "kolvet output"
KOLVET_OUTPUT_JSON = ("metadata", "creators")  # how a ranked .json output starts
FAMILIES: tuple[tuple[str, frozenset[str]], ...] = (
    (KOLVET_OUTPUT, frozenset({"rank", "creatorid", "score", "verdict"})),  # a ranking
    (KOLVET_OUTPUT, frozenset({"sourcefile", "row", "reason"})),  # set-aside rows
    (KOLVET_OUTPUT, frozenset({"postid", "countswentdown", "sourcefile"})),  # --posts-out
    (KOLVET_OUTPUT, frozenset({"roster", "shortlisted", "insufficientdata", "flagged"})),  # batch summary
    (KOLVET_OUTPUT, frozenset({"kolvetversion"})),  # run metadata
    ("kolvet canonical", frozenset({"creatorid", "postid", "likes", "saves"})),
    ("MediaCrawler notes (anonymised)", frozenset({"creatorhash", "likedcount", "collectedcount"})),
    ("MediaCrawler notes", frozenset({"noteid", "likedcount", "collectedcount"})),
    ("MediaCrawler creator profiles", frozenset({"fans", "interaction"})),
    ("MediaCrawler comments", frozenset({"commentid", "noteid", "content"})),
    ("Spider_XHS notes", frozenset({"笔记id", "点赞数量", "收藏数量"})),
    ("Spider_XHS users", frozenset({"用户id", "粉丝数量"})),
    ("XHS-Downloader", frozenset({"作品id", "作者id"})),
    ("Pugongying note list", frozenset({"noteid", "likenum"})),
    ("Pugongying creators", frozenset({"userid", "redid", "fanscount"})),
    ("Pugongying creators", frozenset({"userid", "pictureprice"})),
    ("roster sheet", frozenset({"图文报价(rmb)"})),
    ("roster sheet", frozenset({"图文报价（rmb）"})),
    ("roster sheet", frozenset({"图文报价"})),
    ("Pugongying creators", frozenset({"fanscount"})),
    ("Pugongying creators", frozenset({"fansnum"})),
    ("agency monitoring export", frozenset({"小红书号", "获赞数", "收藏数"})),
    ("app-API dump", frozenset({"collectedcount", "commentscount"})),
    ("Chinese headers", frozenset({"博主id", "点赞", "收藏"})),
)


def normalise_header(name: str) -> str:
    """Headers match ignoring case, whitespace, underscores and hyphens ("fans count",
    "fansCount" and "fans_count" are one header), and a stray BOM."""
    return re.sub(r"[\s_\-]+", "", str(name).replace("\ufeff", "")).lower()


def recognise_family(columns: Iterable[str]) -> str:
    seen = {normalise_header(c) for c in columns}
    for family, signature in FAMILIES:
        if signature <= seen:
            return family
    return "custom headers"


@dataclass(frozen=True)
class ColumnMapping:
    """Which raw header feeds which canonical column."""

    source_of: dict[str, str]  # canonical -> raw header
    # canonical -> other headers that also name it and were left unread ("likes" beside "点赞数")
    passed_over: dict[str, list[str]] = field(default_factory=dict)

    def ambiguity(self) -> str:
        """The columns read where another header names the same thing, for a warning."""
        return "; ".join(f"{c} from {self.source_of[c]!r}, not {', '.join(map(repr, others))}"
                         for c, others in self.passed_over.items())

    def missing(self, required: Iterable[str]) -> list[str]:
        return [c for c in required
                if c not in self.source_of and FALLBACKS.get(c) not in self.source_of]


def check_user_aliases(extra: Mapping[str, Iterable[str]] | None) -> None:
    """A typo in [input] aliases would silently do nothing; say so instead."""
    from kolvet.errors import KolvetError

    for key, names in (extra or {}).items():
        if key not in ALIASES:
            raise KolvetError(f"[input] aliases: {key!r} is not a kolvet column "
                              f"(one of {', '.join(ALIASES)})")
        if isinstance(names, str) or not all(isinstance(n, str) for n in names):
            raise KolvetError(f"[input] aliases: {key} must be a list of column names, e.g. {key} = [\"{names}\"]")


def map_columns(columns: Iterable[str], extra: Mapping[str, Iterable[str]] | None = None,
                kind: str = "posts") -> ColumnMapping:
    """Match raw headers to canonical columns. User aliases from config are matched first,
    over every column, so they override the built-in ones; `kind="creators"` also accepts a
    bare "id" as the creator id."""
    check_user_aliases(extra)
    builtin = dict(ALIASES)
    if kind == "creators":
        builtin = {k: (*v, *CREATOR_TABLE_ALIASES.get(k, ())) for k, v in builtin.items()}
    return _match_headers(columns, ((extra or {}), builtin), ALIASES)


def map_comment_columns(columns: Iterable[str]) -> ColumnMapping:
    """Headers of a comment file: the note, the text and who wrote it (COMMENT_ALIASES)."""
    return _match_headers(columns, (COMMENT_ALIASES,), COMMENT_ALIASES)


def _match_headers(columns: Iterable[str], tables: Iterable[Mapping[str, Iterable[str]]],
                   canonicals: Iterable[str]) -> ColumnMapping:
    """Each canonical column -> the first raw header matching one of its aliases, table by
    table (earlier tables win); a raw header serves one canonical column only."""
    by_norm: dict[str, str] = {}
    for col in columns:
        by_norm.setdefault(normalise_header(col), col)
    canonicals = list(canonicals)
    taken: set[str] = set()
    source_of: dict[str, str] = {}
    tables = list(tables)
    chosen: set[str] = set()  # matched by a user's alias (an earlier table): a choice, not a guess
    for i, table in enumerate(tables):
        for canonical in canonicals:
            if canonical in source_of:
                continue
            for alias in table.get(canonical, ()):
                raw = by_norm.get(normalise_header(alias))
                if raw is not None and raw not in taken:
                    source_of[canonical] = raw
                    taken.add(raw)
                    if i < len(tables) - 1:
                        chosen.add(canonical)
                    break
    # Two count columns for one metric may disagree, and only one is read: say which. Ids and
    # times come in pairs by design (userId and redId, 发布时间 and 时间戳), ordered by alias.
    passed_over: dict[str, list[str]] = {}
    for canonical in [c for c in source_of if c not in chosen and c in COUNT_COLUMNS]:
        names = {normalise_header(a) for table in tables for a in table.get(canonical, ())}
        others = [col for norm, col in by_norm.items() if norm in names and col not in taken]
        if others:
            passed_over[canonical] = others
    return ColumnMapping(source_of, passed_over)


def is_comment_table(columns: Iterable[str], mapping: ColumnMapping) -> bool:
    """Comment texts keyed by note, and no note counts (a comment's own like_count is not one)."""
    found = map_comment_columns(columns).source_of
    return COMMENT_TEXT in found and POST_ID in found and SAVES not in mapping.source_of


def duplicated_headers(columns: Iterable[str]) -> list[str]:
    """Headers that appear twice once normalised ("likes" and "Likes "): which one is meant?"""
    seen: dict[str, int] = {}
    for col in columns:
        key = normalise_header(col)
        seen[key] = seen.get(key, 0) + 1
    return [k for k, n in seen.items() if n > 1]


# ---- count strings ------------------------------------------------------------------------
# "暂无" (none yet), "无" (none) and "未知" (unknown) are how Chinese exports leave a cell empty.
_MISSING_TOKENS = ["", "-", "-1", "—", "--", "null", "none", "nan", "n/a", "na", "/", "暂无", "无", "未知"]
# Agency sheets end in a row of sums, labelled where a creator would be named, naming no note.
TOTALS_ROW = "a totals row (合计), not a note"
# Reasons for an older copy of a row that was kept: nothing of the creator is lost.
DUPLICATE = "duplicate "
# Older snapshots a newer one replaced (merge_snapshots, merge_creator_rows): routine, see older_snapshot.
OLDER_NOTE = f"{DUPLICATE}post_id: older snapshot"
NOTE_COPY = f"{DUPLICATE}post_id: another copy of the note"  # two exports of one note, neither newer
OLDER_PROFILE = f"{DUPLICATE}creator_id: an older snapshot with other values"
# A label alone ("合计", "Total:") or with a note in brackets ("合计（18条）"); averages too.
_TOTALS_LABEL = (r"(?i)^\s*(?:合计|总计|汇总|小计|平均值|平均|均值|total|totals|sum|grand total|average|avg|mean)"
                 r"\s*[:：]?\s*(?:[(（][^)）]*[)）])?\s*[:：]?\s*$")
# Two exports stacked in one sheet: the second one's header, and a label row between them ("第二批").
HEADER_AGAIN = "the header again (two exports stacked), not a note"
LABEL_ROW = "a row with one cell filled (a label such as 第二批), not a note"
NOT_NOTES = (TOTALS_ROW, HEADER_AGAIN, LABEL_ROW)  # rows that name no creator, whatever their first cell says


def is_totals_label(cell: pl.Expr) -> pl.Expr:
    return cell.cast(pl.String).str.contains(_TOTALS_LABEL).fill_null(False)


# An optional "about" ("约1.2万", "~500": rounded), the number, its unit and the "+" of a floor ("10万+").
_ABOUT = r"^(?:约|大约|~|≈)"
_COUNT_RE = _ABOUT + r"?\s*(\d+(?:\.\d+)?)\s*([万wW千kK亿mM]?)\s*(\+?)$"
_MULTIPLIER = {"万": 1e4, "w": 1e4, "W": 1e4, "千": 1e3, "k": 1e3, "K": 1e3, "亿": 1e8,
               "m": 1e6, "M": 1e6}  # English exports write millions "1.2M"
# Full-width characters (typed with a Chinese input method) and traditional units, as ASCII
# and simplified: "１２３" is 123, "1.2萬" is 1.2万.
_WIDE = {**{chr(0xFF10 + i): str(i) for i in range(10)}, "．": ".", "＋": "+", "～": "~", "　": " ",
         "ｗ": "w", "Ｗ": "W", "ｋ": "k", "Ｋ": "K", "ｍ": "m", "Ｍ": "M", "萬": "万", "億": "亿"}


def narrow_text(text: pl.Expr) -> pl.Expr:
    """Full-width digits and signs as ASCII, traditional 萬 and 億 as 万 and 亿."""
    return text.str.replace_many(list(_WIDE), list(_WIDE.values()))


MAX_PLAUSIBLE_COUNT = 10**10  # above every XHS note and account that exists


@dataclass(frozen=True)
class ParsedCount:
    """Three expressions for one count column: its value, its precision and what's wrong with it."""

    value: pl.Expr  # Int64, null when missing or unusable
    precision: pl.Expr  # UInt8: EXACT, ROUNDED or LOWER_BOUND
    problem: pl.Expr  # String: why the value can't be used, null when fine or merely missing


def parse_count(raw: pl.Expr, dtype: pl.DataType, name: str) -> ParsedCount:
    """Parse an XHS count column: "809", "1,200", "1.2万", "3千", "1.5w", "1.1K", "2亿", "10万+",
    "10+", "1千+"; "", "-", "-1" and null are missing. Numeric columns take the fast path."""
    return count_result(count_parts(raw, dtype), name, integer=dtype.is_integer())


def count_parts(raw: pl.Expr, dtype: pl.DataType) -> dict[str, pl.Expr]:
    """The first pass over a count column: the number with its unit applied (num), whether the
    cell is a missing marker, the unit and the "+" of a lower bound. parse_posts materialises
    these once per column, so the checks in count_result don't re-run the regex."""
    if dtype.is_integer():  # typed exports (Parquet, clean CSV): no float round trip
        num = raw
        if dtype in (pl.UInt64, pl.Int128, pl.UInt128):  # may not fit Int64: past the plausible is all one
            num = raw.clip(-2 if dtype.is_signed_integer() else 0, MAX_PLAUSIBLE_COUNT + 1)
        return {"num": num.cast(pl.Int64), "missing": raw.is_null() | (raw == -1),
                "unit": pl.lit(None, pl.String), "bound": pl.lit(False)}
    if dtype.is_numeric():
        num = raw.cast(pl.Float64)
        return {"num": num, "missing": num.is_null() | num.is_nan() | (num == -1),
                "unit": pl.lit(None, pl.String), "bound": pl.lit(False)}
    # Thousands separators (ASCII and full-width commas, spaces) carry no meaning, but only
    # between groups of three digits: "12,00" or "1,2" is a decimal comma, not 1200 or 12.
    written = narrow_text(raw.cast(pl.String)).str.strip_chars()
    misgrouped = ((written.str.contains(",", literal=True) | written.str.contains("，", literal=True))
                  & ~written.str.contains(_ABOUT + r"?\s*[+-]?\d{1,3}(?:[,，]\d{3})+(?:\.\d+)?[^\d,，]*$"))
    text = pl.when(misgrouped.fill_null(False)).then(pl.lit("not a count")).otherwise(
        written.str.replace_all(r"[,，\s]", ""))
    about = text.str.contains(_ABOUT)
    groups = text.str.extract_groups(_COUNT_RE)
    number = groups.struct.field("1").cast(pl.Float64, strict=False)
    unit = groups.struct.field("2")
    multiplier = unit.replace_strict(_MULTIPLIER, default=1.0, return_dtype=pl.Float64)
    # Plain numbers such as "1e3" or "12.0" that the XHS pattern doesn't cover.
    plain = text.cast(pl.Float64, strict=False)
    return {
        "num": pl.when(number.is_not_null()).then(number * multiplier).otherwise(plain),
        "missing": text.is_null() | text.str.to_lowercase().is_in(_MISSING_TOKENS),
        # "约500" has no unit but is rounded all the same: its "about" stands in (multiplier 1).
        "unit": pl.when(unit != "").then(unit).when(about).then(pl.lit("约")),
        "bound": (groups.struct.field("3") == "+").fill_null(False),
    }


def count_result(parts: Mapping[str, pl.Expr], name: str, integer: bool = False) -> ParsedCount:
    """Value, precision and problem from count_parts (as expressions or materialised columns).
    `integer`: the column was typed as integers, so there is nothing to round or to be NaN."""
    num, missing = parts["num"], parts["missing"]
    not_a_number = num.is_null() if integer else (num.is_null() | num.is_nan() | num.is_infinite())
    problem = (
        pl.when(missing).then(None)
        .when(not_a_number).then(pl.lit(f"{name}: not a count"))
        .when(num < 0).then(pl.lit(f"{name}: negative"))
        .when(num > MAX_PLAUSIBLE_COUNT).then(pl.lit(f"{name}: implausibly large"))
    )
    if not integer:  # "1.5" is a typo (for 1.5万?) or an average, not a count; "1.5万" is 15,000
        problem = problem.when(parts["unit"].is_null() & ((num - num.round(0)).abs() > 1e-6)).then(
            pl.lit(f"{name}: not a whole number"))
    usable = pl.when(missing | problem.is_not_null()).then(None)
    value = usable.otherwise(num) if integer else usable.otherwise(num.round(0)).cast(pl.Int64)
    precision = (
        pl.when(parts["bound"]).then(pl.lit(LOWER_BOUND))
        .when(parts["unit"].is_not_null()).then(pl.lit(ROUNDED))
        .otherwise(pl.lit(EXACT))
        .cast(pl.UInt8)
    )
    return ParsedCount(value, precision, problem)


# ---- times --------------------------------------------------------------------------------
CHINA_OFFSET = pl.duration(hours=8)
_TIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S%.f",  # database exports and Polars write fractional seconds
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d_%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",  # HTML datetime-local fields and some exports drop the seconds
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y%m%d",
    "%Y年%m月%d日 %H:%M:%S",  # Chinese exports and hand-made sheets
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日",
    "%Y.%m.%d %H:%M:%S",  # dotted dates, as Chinese sheets often write them
    "%Y.%m.%d %H:%M",
    "%Y.%m.%d",
)
# A 12-hour clock, as Chinese-locale Excel and WPS write it ("2025年05月14日 下午3:05") or
# English ones do ("2025-05-14 3:05 PM"). The Chinese marker is moved behind the time as AM/PM.
_TWELVE_HOUR_DATES = ("%Y年%m月%d日", "%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d")
_TWELVE_HOUR_FORMATS = tuple(f"{d} {t}" for d in _TWELVE_HOUR_DATES for t in ("%I:%M %p", "%I:%M:%S %p"))
_CLOCK = r"(\d{1,2}:\d{2}(?::\d{2})?)"
_HALF_DAY = (  # 中午 is noon: 中午11:30 is still morning, 中午1:00 afternoon
    (rf"\s*(?:上午|早上|清晨|凌晨)\s*{_CLOCK}$", " ${1} AM"),
    (r"\s*中午\s*(1[01]:\d{2}(?::\d{2})?)$", " ${1} AM"),
    (r"\s*晚上\s*(12:\d{2}(?::\d{2})?)$", " ${1} AM"),  # the midnight that ends the day: see _settled
    (rf"\s*(?:中午|下午|傍晚|晚上)\s*{_CLOCK}$", " ${1} PM"),
    (r"(?i)\s*a\.\s*m\.?$", " AM"),  # "3:05 p.m."
    (r"(?i)\s*p\.\s*m\.?$", " PM"),
)
# Dates with the year last ("05/14/2025" in US exports, "14/05/2025" in European ones) read
# either way; the column's order is taken from its days above 12 (parse_time_column).
# Also dotted or dashed with a four-digit year ("14.05.2025"), and Excel's US short date with
# two ("5/14/25": XHS is younger than 2000, so 20xx).
_YEAR_LAST = r"^\d{1,2}(?:/\d{1,2}/(?:\d{4}|\d{2})|\.\d{1,2}\.\d{4}|-\d{1,2}-\d{4})(?:\s|$)"
_DAY_MONTH = r"^(\d{1,2})[/.-](\d{1,2})[/.-]"
_TWO_DIGIT_YEAR = r"^\d{1,2}/\d{1,2}/\d{2}(?:\s|$)"
_YEAR_LAST_TIMES = ("", " %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p")
_EXCEL_SERIALS = (20_000, 80_000)  # Excel's day numbers for 1954-2119: no epoch or yyyymmdd is this small
EARLIEST_POST = datetime(2013, 6, 1)  # Xiaohongshu launched in June 2013


def _from_epoch(num: pl.Expr) -> pl.Expr:
    """Epoch seconds, milliseconds or microseconds (told apart by size) to China time.
    Anything below 1e11 is seconds: 1e11 ms is 1973, 1e11 s is year 5138, so no real XHS time
    is ambiguous."""
    micros = (
        pl.when(num.abs() >= 1e14).then(num)
        .when(num.abs() >= 1e11).then(num * 1e3)
        .otherwise(num * 1e6)
    )
    # Beyond year 9999 the number is garbage, not a time; null rather than overflow.
    micros = pl.when(micros.abs() < 2.5e17).then(micros).round(0).cast(pl.Int64)
    return pl.from_epoch(micros, time_unit="us") + CHINA_OFFSET


def _from_excel(days: pl.Expr) -> pl.Expr:
    """An Excel serial date (days since 1899-12-30, the time as a fraction): a sheet's date
    cells read as numbers. Excel writes wall-clock time, taken as China time."""
    return pl.lit(datetime(1899, 12, 30)) + pl.duration(microseconds=(days * 86_400e6).round(0).cast(pl.Int64))


def parse_time(raw: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """Epoch ms or s, ISO 8601 (with or without offset), "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d_%H:%M:%S" or "%Y-%m-%d", to a naive China-time datetime; null when unparsable."""
    if dtype.is_numeric():
        num = raw.cast(pl.Float64)
        yyyymmdd = raw.cast(pl.Int64, strict=False).cast(pl.String).str.to_datetime("%Y%m%d", strict=False, time_unit="us")
        return (pl.when((num >= 19_000_101) & (num <= 29_991_231)).then(yyyymmdd)
                .when((num >= _EXCEL_SERIALS[0]) & (num < _EXCEL_SERIALS[1])).then(_from_excel(num))
                .otherwise(_from_epoch(num)))
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is not None:
            return raw.dt.convert_time_zone("UTC").dt.replace_time_zone(None).cast(pl.Datetime("us")) + CHINA_OFFSET
        return raw.cast(pl.Datetime("us"))
    if isinstance(dtype, pl.Date):
        return raw.cast(pl.Datetime("us"))
    text = raw.cast(pl.String).str.strip_chars()
    return _settled(pl.coalesce(_time_attempts(text)), text)


def _time_attempts(text: pl.Expr) -> list[pl.Expr]:
    """One parse per accepted form. The forms don't overlap (each format must match the whole
    string; epoch numbers are > 1e8, yyyymmdd below), so at most one succeeds per value, or
    several agree, and the order doesn't change the result."""
    text = _unmarked(text)
    epoch = text.cast(pl.Float64, strict=False)
    # With an offset, as ISO 8601 writes it or as logs do: "2025-05-01 08:00:00 +0800".
    iso = text.str.replace(r"Z$", "+00:00").str.replace(
        r"^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2})(:\d{2}(?:\.\d+)?)?\s*([+-]\d{2}):?(\d{2})$", "${1}T${2}${3}${4}:${5}")
    iso = pl.when(iso.str.contains(r"T\d{2}:\d{2}[+-]")).then(iso.str.replace(r"(T\d{2}:\d{2})", "${1}:00")).otherwise(iso)
    with_offset = (
        iso.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%:z", strict=False, time_unit="us")
        .dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        + CHINA_OFFSET
    )
    excel = pl.when((epoch >= _EXCEL_SERIALS[0]) & (epoch < _EXCEL_SERIALS[1])).then(_from_excel(epoch))
    attempts = [pl.when(epoch > 1e8).then(_from_epoch(epoch)), excel, with_offset]
    twelve_hour = _twelve_hour(text)
    # cache=False: posting times are nearly all distinct, so a cache only costs.
    return (attempts + [text.str.to_datetime(fmt, strict=False, time_unit="us", cache=False) for fmt in _TIME_FORMATS]
            + [twelve_hour.str.to_datetime(fmt, strict=False, time_unit="us", cache=False) for fmt in _TWELVE_HOUR_FORMATS])


# %Y takes any number of digits, so "12/1/25" reads as the year 12 in "%Y/%m/%d": such years
# are no reading, and the forms with the year last get the value.
_NO_YEAR_BELOW = datetime(1000, 1, 1)
# "晚上12:00" is the midnight that ends that day (read as 12:00 AM), so it falls on the next.
_LATE_MIDNIGHT = r"晚上\s*12:\d{2}(?::\d{2})?\s*$"


def _some_year(parsed: pl.Expr) -> pl.Expr:
    return pl.when(parsed >= _NO_YEAR_BELOW).then(parsed)


def _settled(parsed: pl.Expr, text: pl.Expr) -> pl.Expr:
    """The attempts' reading of `text`, with the two corrections above."""
    parsed = _some_year(parsed)
    return pl.when(text.str.contains(_LATE_MIDNIGHT)).then(parsed + pl.duration(days=1)).otherwise(parsed)


def _unmarked(text: TextT) -> TextT:
    """A date without the mark XHS puts on an edited note's ("编辑于 2025-03-01"); the text
    stripped of spaces already. (An expression or a Series alike.)"""
    return text.str.strip_prefix("编辑于").str.strip_chars()


def _twelve_hour(text: pl.Expr) -> pl.Expr:
    """下午3:05 -> 3:05 PM, so one format reads both languages' 12-hour clocks."""
    for pattern, into in _HALF_DAY:
        text = text.str.replace(pattern, into)
    return text


def year_last_order(text: pl.Series) -> str | None:
    """"%m/%d/%Y" or "%d/%m/%Y" for a column of dates written with the year last: the order its
    days above 12 show (a date with one part above 12 is a vote; "99/99" votes for neither).
    A stray typo doesn't outvote a column: the order needs ten times the other's votes. None
    when nothing shows it, and those dates are set aside rather than guessed."""
    unmarked = _unmarked(text)
    parts = unmarked.str.extract_groups(_DAY_MONTH).struct.unnest().cast(pl.Int32, strict=False)
    # "25/5/10" is no vote for day-first: with two year digits it may be year/month/day, and is set aside.
    first = (parts.get_column("1") > 12) & ~unmarked.str.contains(_TWO_DIGIT_YEAR)
    second = parts.get_column("2") > 12
    day_first, month_first = int((first & ~second).sum()), int((second & ~first).sum())
    if day_first >= max(1, 10 * month_first):
        return "%d/%m/%Y"
    if month_first >= max(1, 10 * day_first):
        return "%m/%d/%Y"
    return None


def _parse_year_last(text: pl.Series, order: str | None) -> pl.Series:
    """Dates written with the year last (stripped, _unmarked), in the column's day/month order;
    null where the order can't be told or the date is not one."""
    if order is None:
        return pl.Series(text.name, [None] * text.len(), pl.Datetime("us"))
    if not text.str.contains("/", literal=True).all():  # "14.05.2025" -> "14/05/2025"
        text = text.str.replace(_DAY_MONTH, "${1}/${2}/")
    if text.str.contains(r"[^\d/:.\s-]").any():  # a 12-hour clock; each rewrite costs a pass
        text = pl.select(_twelve_hour(pl.lit(text))).to_series()
    forms = [order + fmt for fmt in _YEAR_LAST_TIMES]
    read = _first_reading(text, forms)
    # "5/14/25", Excel's US short date, reads as the year 25 here. Only month-first: day-first,
    # "25/5/14" is as likely China's year-first short date, and kolvet never guesses.
    short = (read < _NO_YEAR_BELOW).fill_null(False)
    if short.any():
        again = (_first_reading(text.filter(short), [f.replace("%Y", "%y") for f in forms]) if order == "%m/%d/%Y"
                 else pl.Series([None] * int(short.sum()), dtype=pl.Datetime("us")))
        read = read.scatter(short.arg_true(), again)
    return read.alias(text.name)


def _first_reading(text: pl.Series, forms: list[str]) -> pl.Series:
    return pl.DataFrame({"t": text}).select(pl.coalesce(
        pl.col("t").str.to_datetime(fmt, strict=False, time_unit="us", cache=False) for fmt in forms)).to_series()


def time_problem(text: pl.Expr, year_last_known: bool = False) -> pl.Expr:
    """Why a posting time didn't parse, with what to do when the form is a known one. (The
    value itself is in the set-aside row: in the reason, a thousand dates would tally as a
    thousand reasons.) `year_last_known`: the column showed its day/month order
    (year_last_order), so a year-last date that failed is no date in that order."""
    return (
        pl.when(text.str.contains(r"(秒|分钟|小时|天|周|月)前$|^(刚刚|今天|昨天|前天)"))
        .then(pl.lit(f"{POSTED_AT}: a relative date needs the day it was crawled; export dates in full"))
        .when(text.str.contains(r"^\d{1,2}-\d{1,2}( \d{1,2}:\d{2})?$"))
        .then(pl.lit(f"{POSTED_AT}: no year, as the app shows this year's notes; export dates in full"))
        .when(_unmarked(text).str.contains(_TWO_DIGIT_YEAR))
        .then(pl.lit(f"{POSTED_AT}: a two-digit year is read only as month/day/year (5/14/25), and the column's "
                     "dates don't show that order (25/5/14 may be year/month/day); export dates as YYYY-MM-DD"))
        .when(pl.lit(not year_last_known) & _unmarked(text).str.contains(_YEAR_LAST))
        .then(pl.lit(f"{POSTED_AT}: day and month can't be told apart (no day above 12 in the column shows their order, "
                     "or both orders do); export dates as YYYY-MM-DD"))
        .otherwise(pl.lit(f"{POSTED_AT}: not a date"))
    )


def parse_time_column(values: pl.Series) -> pl.Series:
    """parse_time for a whole text column, fast: real files write one form throughout, so
    the form that parses a sample is tried on every row, and all forms only on the rows it
    missed (a dozen full parses of a million strings take seconds; one takes a tenth)."""
    if values.dtype != pl.String:
        return pl.select(parse_time(pl.lit(values), values.dtype)).to_series()
    text = values  # stripped below, only for the rows the common form misses
    attempts = _time_attempts(pl.col("t"))
    sample = pl.DataFrame({"t": text.drop_nulls().head(500).str.strip_chars()})
    if sample.height == 0:
        return pl.Series(values.name, [None] * values.len(), pl.Datetime("us"))
    hits = sample.select(a.is_not_null().sum().alias(str(i)) for i, a in enumerate(attempts)).row(0)
    best = attempts[max(range(len(hits)), key=lambda i: (hits[i], -i))]
    frame = pl.DataFrame({"t": text})
    parsed = _read_once(frame, best)
    missed = parsed.is_null() & text.is_not_null()
    if not missed.any():
        return _after_late_midnights(values, parsed)
    # Dates with the year last take the column's order, read from all of them at once; no
    # other form reads them, so they skip the dozen attempts below.
    rest = _unmarked(text.filter(missed).str.strip_chars())
    year_last = rest.str.contains(_YEAR_LAST)
    filled = pl.Series(values.name, [None] * rest.len(), pl.Datetime("us"))
    if year_last.any():
        dated = rest.filter(year_last)
        filled = filled.scatter(year_last.arg_true(), _parse_year_last(dated, year_last_order(dated)))
    if not year_last.all():
        others = _read_once(pl.DataFrame({"t": rest.filter(~year_last)}), pl.coalesce(attempts))
        filled = filled.scatter((~year_last).arg_true(), others)
    return _after_late_midnights(values, parsed.scatter(missed.arg_true(), filled))


def _read_once(frame: pl.DataFrame, parsed: pl.Expr) -> pl.Series:
    """`parsed` over the frame's text, evaluated once (_some_year names it twice), then _some_year."""
    return frame.select(parsed.alias("p")).select(_some_year(pl.col("p"))).to_series()


def _after_late_midnights(values: pl.Series, parsed: pl.Series) -> pl.Series:
    """_settled's move of "晚上12:00" to the next day, for a whole column; most have none."""
    if not values.str.contains("晚上", literal=True).any():
        return parsed.alias(values.name)
    late = values.str.contains(_LATE_MIDNIGHT).fill_null(False)
    return pl.select(pl.when(late).then(parsed + pl.duration(days=1)).otherwise(parsed)).to_series().alias(values.name)


# ---- text normalisation -------------------------------------------------------------------

UNKNOWN = "unknown"  # the category (and tier) of a creator whose category (or followers) isn't given


def normalise_category(expr: pl.Expr, benchmarks: Mapping[str, Iterable[str]]) -> pl.Expr:
    """Map category names and their aliases (美妆, skincare...) onto the benchmark keys."""
    lookup: dict[str, str] = {}
    for key, aliases in benchmarks.items():
        for name in (key, key.replace("_", " "), key.replace("_", "-"), *aliases):
            lookup[name.strip().lower()] = key
    text = expr.cast(pl.String).str.strip_chars()
    lowered = text.str.to_lowercase()
    return (
        pl.when(text.is_null() | (text == "")).then(pl.lit(UNKNOWN))
        .otherwise(lowered.replace_strict(lookup, default=text, return_dtype=pl.String))
    )


def normalise_post_type(expr: pl.Expr, raw_header: str | None) -> pl.Expr:
    text = expr.cast(pl.String).str.strip_chars().str.to_lowercase()
    if raw_header is not None and normalise_header(raw_header) == "isvideo":
        is_video = text.is_in(["1", "true", "yes", "是"])
    else:
        is_video = text.str.contains("video|视频")
    return pl.when(text.is_null()).then(None).when(is_video).then(pl.lit("video")).otherwise(pl.lit("image"))


_BLANKS = ["", "null", "none", "nan", "NULL", "Null", "None", "NONE", "NaN", "NAN"]


def blank_to_null(expr: pl.Expr) -> pl.Expr:
    """Empty cells and spelled-out nulls become null. (An exact set, not lowercasing: that
    would copy every nickname and title of a million-row file.)"""
    text = expr.cast(pl.String).str.strip_chars()
    return pl.when(text.is_in(_BLANKS)).then(None).otherwise(text)


def one_line(text: pl.Expr) -> pl.Expr:
    """A name on one line: agency sheets break cells ("博主\n(新)"), which would break every
    line kolvet prints the name in."""
    return text.str.replace_all(r"\s*[\r\n]+\s*", " ")


def map_by_value(frame: pl.DataFrame, column: str | None, make: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """Apply `make` (an expression over pl.col("v")) to each distinct value of a column once,
    then look the result up per row: categories and note types repeat across millions of rows."""
    if column is None:
        return pl.lit(None, dtype)
    distinct = frame.select(pl.col(column).unique().alias("v")).with_columns(make.alias("out"))
    lookup = dict(zip(distinct.get_column("v").to_list(), distinct.get_column("out").to_list(), strict=True))
    lookup.pop(None, None)
    return pl.col(column).replace_strict(lookup, default=None, return_dtype=dtype)


# ---- rows: parse, validate, set aside -----------------------------------------------------
REJECTED_COLUMNS = (SOURCE, ROW, REASON, CREATOR_ID, POST_ID, POSTED_AT, LIKES, SAVES, COMMENTS,
                    SHARES, VIEWS, FOLLOWERS, NICKNAME)


ROW_INDEX = "_kolvet_row"  # a raw file may well have its own "row" column


def numbered(frame: pl.DataFrame) -> pl.DataFrame:
    """The rows with their data-row number in the source file (1 = first row after the
    header). A part of a file (--streaming) is numbered before it is cut out, so its set-aside
    rows name the same rows an in-memory run does."""
    return frame if ROW_INDEX in frame.columns else frame.with_row_index(ROW_INDEX, offset=1)


# A reason the reader found to set a row aside before any cell is parsed (a CSV row with more
# fields than its header); parsers put it first among a row's problems.
ROW_PROBLEM = "_kolvet_row_problem"


def row_problem(frame: pl.DataFrame) -> pl.Expr:
    return pl.col(ROW_PROBLEM) if ROW_PROBLEM in frame.columns else pl.lit(None, pl.String)


def _unless_misread(frame: pl.DataFrame, value: pl.Expr) -> pl.Expr:
    """A cell to show on a set-aside row, or null when the row's cells are one column off."""
    return pl.when(row_problem(frame).is_null()).then(value)


_POSITION = "_kolvet_position"  # where a row sits in the frame at hand, to read its cells back
_MISREAD = "_kolvet_misread"  # the row's cells are under the wrong columns (ROW_PROBLEM)


def _raw(frame: pl.DataFrame, mapping: ColumnMapping, canonical: str) -> tuple[pl.Expr, pl.DataType]:
    src = mapping.source_of.get(canonical)
    if src is None:
        return pl.lit(None, pl.String), pl.String()
    return pl.col(src), frame.schema[src]


def _as_written(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """A raw cell as text for the set-aside file: 1e15 read as a float shows as
    1000000000000000, not 1000000000000000.0."""
    if dtype.is_float():
        whole = expr.is_finite() & (expr == expr.round(0)) & (expr.abs() < 9e18)
        return pl.when(whole).then(expr.cast(pl.Int64, strict=False).cast(pl.String)).otherwise(expr.cast(pl.String))
    return expr.cast(pl.String)


# Zero-width spaces and joiners, and byte-order marks, that ids copied from web pages carry.
_INVISIBLE = "[\u200b\u200c\u200d\u2060\ufeff]"


def id_text(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """An id cell as text, so one creator's rows meet whatever wrote them: a whole-number
    float without its ".0" (pandas writes an id column with a gap in it as floats), no
    invisible characters, surrounding spaces gone, blanks null."""
    text = _as_written(expr, dtype)
    if dtype == pl.String:
        text = text.str.replace_all(_INVISIBLE, "")
    return blank_to_null(text)


def id_from_url(expr: pl.Expr) -> pl.Expr:
    """The note id inside an XHS link (/explore/<id>, /discovery/item/<id>); for links
    without one (xhslink.com short links) the link itself, without its query string."""
    url = blank_to_null(expr)
    note = url.str.extract(r"/(?:explore|discovery/item|item|note)/([0-9A-Za-z]+)", 1)
    return pl.coalesce(note, url.str.replace(r"[?#].*$", ""))


def counts_agree(a: pl.Expr, a_precision: pl.Expr, b: pl.Expr, b_precision: pl.Expr) -> pl.Expr:
    """Whether two counts, as written, can be the same number: 14,518 and "1.5万" (14,500 to
    15,500) can, as can 105,680 and "10万+"; 2,634 and "10万+" can't. A rounded count stands
    for half a step either side of it, the step being its trailing zeros (15,000: 1,000)."""
    def bounds(value: pl.Expr, precision: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
        written = value.cast(pl.String)
        half = pl.lit(10.0).pow(written.str.len_chars() - written.str.strip_chars_end("0").str.len_chars()) / 2
        low = pl.when(precision == ROUNDED).then(value - half).otherwise(value)
        high = (pl.when(precision == LOWER_BOUND).then(pl.lit(float("inf")))
                .when(precision == ROUNDED).then(value + half).otherwise(value))
        return low, high
    (a_low, a_high), (b_low, b_high) = bounds(a, a_precision), bounds(b, b_precision)
    return (a_low <= b_high) & (b_low <= a_high)


def parse_posts(frame: pl.DataFrame, mapping: ColumnMapping, source: str,
                benchmarks: Mapping[str, Iterable[str]]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Raw rows -> (posts in POST_SCHEMA, rejected rows with a reason). Never raises on bad rows.

    Two passes: the costly parts (count regexes, times, ids) are computed once into
    temporary columns, then every check and value reads those, so the validation rules can
    be as many as they need without re-parsing a column per rule."""
    first: dict[str, pl.Expr] = {}  # temporary column -> expression over the raw columns
    parts_of: dict[str, dict[str, pl.Expr]] = {}
    for col in (LIKES, SAVES, COMMENTS, SHARES, VIEWS, NEW_FOLLOWS, FOLLOWERS):
        if col in mapping.source_of:
            parts = count_parts(*_raw(frame, mapping, col))
            first.update({f"_{k}_{col}": e for k, e in parts.items()})
            parts_of[col] = {k: pl.col(f"_{k}_{col}") for k in parts}
    raw, dtype = _raw(frame, mapping, POSTED_AT)
    first["_has_time"] = raw.cast(pl.String).str.strip_chars().fill_null("") != ""
    times = {"_time": POSTED_AT, "_snapshot": SNAPSHOT_AT}
    parsed_times = [parse_time_column(frame.get_column(mapping.source_of[c])).alias(f"_kolvet{k}")
                    for k, c in times.items() if c in mapping.source_of]
    year_last_known = False  # the column showed its day/month order, so a failed d/m/y date is no date
    if POSTED_AT in mapping.source_of and dtype == pl.String:
        written = frame.get_column(mapping.source_of[POSTED_AT])
        if parsed_times[0].null_count() > written.null_count():
            stripped = _unmarked(written.str.strip_chars())
            year_last_known = year_last_order(stripped.filter(stripped.str.contains(_YEAR_LAST).fill_null(False))) is not None
    for k, c in times.items():
        first[k] = pl.col(f"_kolvet{k}") if c in mapping.source_of else pl.lit(None, pl.Datetime("us"))
    post_id = id_text(*_raw(frame, mapping, POST_ID))
    if NOTE_URL in mapping.source_of:  # agency exports link to the note instead of naming it
        post_id = pl.coalesce(post_id, id_from_url(_raw(frame, mapping, NOTE_URL)[0]))
    first["_creator"] = id_text(*_raw(frame, mapping, CREATOR_ID))
    first["_post"] = post_id

    exprs: dict[str, pl.Expr] = {CREATOR_ID: pl.col("_creator"), POST_ID: pl.col("_post")}
    problems: list[pl.Expr] = [row_problem(frame)]
    totals = [blank_to_null(_raw(frame, mapping, c)[0]) for c in (CREATOR_ID, NICKNAME) if c in mapping.source_of]
    if frame.width:  # or the sheet's first column, an unmapped 序号 (row number) that says 合计
        totals.append(blank_to_null(pl.col(frame.columns[0]).cast(pl.String)))
    # A creator may well be called "Sum": only a labelled row that names no note is a totals row.
    problems += [pl.when(pl.any_horizontal(is_totals_label(t) for t in totals) & pl.col("_post").is_null())
                 .then(pl.lit(TOTALS_ROW))]
    problems += [pl.when(exprs[c].is_null()).then(pl.lit(f"missing {c}")) for c in (CREATOR_ID, POST_ID)]
    precisions: list[pl.Expr] = []
    cell_problem = pl.lit(None, pl.String)  # a bad cell the note is kept without (CELL_EMPTIED)

    posted = pl.col("_time")
    exprs[POSTED_AT] = posted
    problems.append(
        pl.when(~pl.col("_has_time")).then(pl.lit(f"missing {POSTED_AT}"))
        .when(posted.is_null()).then(time_problem(raw.cast(pl.String).str.strip_chars(), year_last_known))
        .when(posted < pl.lit(EARLIEST_POST))
        .then(pl.lit(f"{POSTED_AT}: before {EARLIEST_POST:%Y-%m}, when Xiaohongshu launched"))
    )

    for col in (LIKES, SAVES, COMMENTS, SHARES, VIEWS, NEW_FOLLOWS, FOLLOWERS):
        if col not in parts_of:
            exprs[col] = pl.lit(None, pl.Int64)
            if col == FOLLOWERS:
                exprs[FOLLOWERS_PRECISION] = pl.lit(None, pl.UInt8)
            if col in REQUIRED_COUNTS:
                problems.append(pl.lit(f"missing {col}"))
            continue
        parsed = count_result(parts_of[col], col, integer=frame.schema[mapping.source_of[col]].is_integer())
        value = parsed.value
        if col == VIEWS:  # app-API dumps write 0 when views are hidden
            value = pl.when(value > 0).then(value)
        exprs[col] = value
        if col == FOLLOWERS:
            exprs[FOLLOWERS_PRECISION] = pl.when(value.is_not_null()).then(parsed.precision)
            # The creator's, repeated on every note: a typo in one costs the note nothing but that cell.
            cell_problem = parsed.problem
            continue
        problems.append(parsed.problem)
        if col in REQUIRED_COUNTS:
            problems.append(pl.when(value.is_null()).then(pl.lit(f"missing {col}")))
        if col in (LIKES, SAVES, COMMENTS, SHARES):
            precisions.append(pl.when(value.is_not_null()).then(parsed.precision).otherwise(pl.lit(EXACT, pl.UInt8)))

    # Engagement far beyond reads can't be counting (a like, save, comment or share needs a
    # read): a data error, not fraud to report, so the row is unusable as it stands.
    for col in (LIKES, SAVES, COMMENTS, SHARES):
        problems.append(
            pl.when(exprs[VIEWS].is_not_null() & (exprs[col] > 10 * exprs[VIEWS]))
            .then(pl.lit(f"{col}: more than 10x views"))
        )

    exprs[TITLE] = blank_to_null(_raw(frame, mapping, TITLE)[0])
    exprs[NICKNAME] = map_by_value(frame, mapping.source_of.get(NICKNAME), one_line(blank_to_null(pl.col("v"))), pl.String())
    v = pl.col("v")
    exprs[CATEGORY] = map_by_value(frame, mapping.source_of.get(CATEGORY),
                                   pl.when(blank_to_null(v).is_null()).then(None).otherwise(normalise_category(v, benchmarks)),
                                   pl.String())
    exprs[POST_TYPE] = map_by_value(frame, mapping.source_of.get(POST_TYPE),
                                    normalise_post_type(v, mapping.source_of.get(POST_TYPE)), pl.String())
    exprs[SNAPSHOT_AT] = pl.col("_snapshot")
    exprs[PRECISION] = pl.max_horizontal(precisions) if precisions else pl.lit(EXACT, pl.UInt8)
    exprs[COUNT_DROPPED] = pl.lit(False)
    exprs[NOTE_VANISHED] = pl.lit(False)
    exprs[SOURCE] = pl.lit(source)
    exprs[ROW] = pl.col(ROW_INDEX)

    reason = pl.coalesce(problems)
    staged = (
        numbered(frame).with_columns(parsed_times).lazy().with_row_index(_POSITION)
        .with_columns(e.alias(k) for k, e in first.items())
        .select(*[e.alias(f"_parsed_{k}") for k, e in exprs.items()], pl.col(_POSITION), reason.alias(REASON),
                row_problem(frame).is_not_null().alias(_MISREAD), cell_problem.alias("_cell_problem"))
        .collect()
    )
    posts = staged.filter(pl.col(REASON).is_null()).select(
        pl.col(f"_parsed_{k}").cast(dtype).alias(k) for k, dtype in POST_SCHEMA.items()
    )
    # The set-aside rows show their cells as written; only those few rows are turned to text.
    # Beside them, notes kept without a bad cell are reported, as a roster's are.
    bad = staged.filter(pl.col(REASON).is_not_null() | pl.col("_cell_problem").is_not_null()).select(
        pl.col(f"_parsed_{ROW}").cast(pl.Int64).alias(ROW),
        pl.coalesce(REASON, pl.col("_cell_problem") + pl.lit(CELL_EMPTIED)).alias(REASON),
        pl.col(REASON).is_not_null().alias("_aside"), pl.col(f"_parsed_{CREATOR_ID}").alias("_id"), _POSITION, _MISREAD)
    if bad.height:  # checked on these few rows only: it reads every cell of the row
        bad = bad.with_columns(pl.when(pl.col("_aside") & ~pl.col(_MISREAD)).then(
            _not_a_note(frame[bad.get_column(_POSITION).to_list()], mapping)).otherwise(None).fill_null(pl.col(REASON))
            .alias(REASON))
    bad = bad.drop("_aside")
    as_written = {c: _as_written(*_raw(frame, mapping, c)) for c in REJECTED_COLUMNS[3:] if c in mapping.source_of}
    if POST_ID not in as_written and NOTE_URL in mapping.source_of:
        as_written[POST_ID] = _raw(frame, mapping, NOTE_URL)[0].cast(pl.String)
    cells = frame[bad.get_column(_POSITION).to_list()].select(
        *[e.alias(c) for c, e in as_written.items()]) if bad.height else pl.DataFrame()
    # The id as kept notes spell it (a float column's 1000.0, not 1000), so set-aside rows name
    # the same creator the ranking does.
    written = {c: pl.col(c) for c in as_written}
    written[CREATOR_ID] = pl.coalesce("_id", CREATOR_ID) if CREATOR_ID in as_written else pl.col("_id")
    # A row read under the wrong columns shows no cells: they, and its creator, are in doubt.
    rejected = pl.concat([bad.drop(_POSITION), cells], how="horizontal").select(
        pl.lit(source).alias(SOURCE), pl.col(ROW), pl.col(REASON),
        *[pl.when(~pl.col(_MISREAD)).then(written[c] if c in written else pl.lit(None, pl.String)).alias(c)
          for c in REJECTED_COLUMNS[3:]],
    ) if bad.height else empty_rejected()
    return posts, rejected


def _not_a_note(rows: pl.DataFrame, mapping: ColumnMapping) -> pl.Series:
    """HEADER_AGAIN for a row whose cells repeat their columns' names (2 or more), LABEL_ROW for
    one with a single cell filled; null for the rest."""
    given = [c for c in rows.columns if not c.startswith("_kolvet")]
    again = [(pl.col(src).cast(pl.String).str.strip_chars() == src.strip()).fill_null(False)
             for src in mapping.source_of.values()]
    filled = pl.sum_horizontal(blank_to_null(pl.col(c)).is_not_null() for c in given) if given else pl.lit(0)
    return rows.select(
        pl.when(pl.sum_horizontal(again) >= 2 if len(again) >= 2 else pl.lit(False)).then(pl.lit(HEADER_AGAIN))
        # (A row that is one cell because its separators differ from the header's is not a label.)
        .when((filled == 1) & ~pl.concat_str(given, ignore_nulls=True).str.contains(r"[;,\t|]")).then(pl.lit(LABEL_ROW))
        .otherwise(pl.lit(None, pl.String))
    ).to_series()


def parse_creators(frame: pl.DataFrame, mapping: ColumnMapping, source: str,
                   benchmarks: Mapping[str, Iterable[str]]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A creators table or crawler profile file -> (creators in CREATOR_SCHEMA, rejected rows)."""
    cid = id_text(*_raw(frame, mapping, CREATOR_ID))
    raw, dtype = _raw(frame, mapping, FOLLOWERS)
    followers = parse_count(raw, dtype, FOLLOWERS)
    lifetime = parse_count(*_raw(frame, mapping, LIFETIME_LIKES_SAVES), LIFETIME_LIKES_SAVES)
    quote, quote_problem = parse_quote(_raw(frame, mapping, QUOTE)[0])
    raw_cat, _ = _raw(frame, mapping, CATEGORY)
    raw_snap, snap_dtype = _raw(frame, mapping, SNAPSHOT_AT)
    active, active_problem = parse_share(_raw(frame, mapping, ACTIVE_FANS)[0])
    series_src = mapping.source_of.get(FOLLOWER_SERIES)
    series, series_problem = parse_follower_series(frame.get_column(series_src).to_list() if series_src
                                                   else [None] * frame.height)
    frame = frame.with_columns(series.alias("_kolvet_series"), series_problem.alias("_kolvet_series_problem"))
    # A row read wrong, or naming no creator, is set aside whole. A bad cell is not: the row
    # holds other facts (a good quote beside a mistyped active-fan share), so only that cell is
    # left empty, and reported with the set-aside rows.
    reason = pl.coalesce(
        row_problem(frame),
        pl.when(cid.is_null()).then(pl.lit(f"missing {CREATOR_ID}")),
    )
    # "10万+" is only a floor, and a floor can't show too few likes and saves per follower.
    lifetime_floor = pl.when(lifetime.precision == LOWER_BOUND).then(
        pl.format(f"{LIFETIME_LIKES_SAVES}: only a floor ({WAS}{{}}; a count is needed to compare with followers)",
                  _raw(frame, mapping, LIFETIME_LIKES_SAVES)[0].cast(pl.String).str.strip_chars()))
    cell_reason = pl.concat_str([followers.problem, lifetime.problem, lifetime_floor, quote_problem, active_problem,
                                 pl.col("_kolvet_series_problem")], separator="; ", ignore_nulls=True)
    staged = numbered(frame).select(
        _unless_misread(frame, cid).alias(CREATOR_ID),
        one_line(blank_to_null(_raw(frame, mapping, NICKNAME)[0])).alias(NICKNAME),
        followers.value.alias(FOLLOWERS),
        pl.when(followers.value.is_not_null()).then(followers.precision).alias(FOLLOWERS_PRECISION),
        pl.when(blank_to_null(raw_cat).is_null()).then(None).otherwise(normalise_category(raw_cat, benchmarks)).alias(CATEGORY),
        quote.alias(QUOTE),
        active.alias(ACTIVE_FANS),
        pl.col("_kolvet_series").alias(FOLLOWER_SERIES),
        pl.when(lifetime.precision != LOWER_BOUND).then(lifetime.value).alias(LIFETIME_LIKES_SAVES),
        parse_time(raw_snap, snap_dtype).alias(SNAPSHOT_AT),
        pl.lit(source).alias(SOURCE),
        reason.alias(REASON),
        pl.when(cell_reason != "").then(cell_reason + CELL_EMPTIED).alias("_cell_reason"),
        pl.col(ROW_INDEX).cast(pl.Int64).alias(ROW),
        _unless_misread(frame, _as_written(*_raw(frame, mapping, FOLLOWERS)) if FOLLOWERS in mapping.source_of
                        else pl.lit(None, pl.String)).alias("_raw_followers"),
    )
    creators = staged.filter(pl.col(REASON).is_null()).select(
        pl.col(k).cast(t) for k, t in CREATOR_SCHEMA.items()
    )
    rejected = pl.concat([
        _creator_rejects(staged.filter(pl.col(REASON).is_not_null()), pl.col(REASON), pl.col("_raw_followers")),
        _creator_rejects(staged.filter(pl.col(REASON).is_null() & pl.col("_cell_reason").is_not_null()),
                         pl.col("_cell_reason"), pl.col("_raw_followers")),
    ]).sort(ROW, maintain_order=True)
    return creators, rejected


# Profile files a crawler saves: their other fields are crawl detail (avatars, tags, IP
# locations), not what a user wrote down, so they aren't handed back (own_columns).
CRAWLED_PROFILES = frozenset({"MediaCrawler creator profiles", "Spider_XHS users"})


# What parse_creators reads of a creators table; every other column is the roster's own.
CREATOR_READS = (CREATOR_ID, NICKNAME, FOLLOWERS, LIFETIME_LIKES_SAVES, QUOTE, CATEGORY, SNAPSHOT_AT, ACTIVE_FANS,
                 FOLLOWER_SERIES)
_DASHES = ["-", "--", "—", "/"]  # how agency exports write "no value" (as in their counts)


def own_columns(frame: pl.DataFrame, mapping: ColumnMapping) -> pl.DataFrame | None:
    """A roster's columns kolvet doesn't read (对接人, 小红书号, 健康等级...), one row per creator
    (its last value given), keyed by CREATOR_ID: agencies brief from their own sheet, so the
    ranking hands them back. None when there are none. Rows parse_creators sets aside
    (misread, or naming no creator) bring nothing."""
    if CREATOR_ID not in mapping.source_of:
        return None
    read = {mapping.source_of[c] for c in CREATOR_READS if c in mapping.source_of}
    read |= {h for c, heads in mapping.passed_over.items() if c in CREATOR_READS for h in heads}
    keep = [c for c in frame.columns if c not in read and not c.startswith("_kolvet")]
    if not keep:
        return None
    named = _own_names([c for c in frame.columns if not c.startswith("_kolvet")], keep)
    cid = id_text(*_raw(frame, mapping, CREATOR_ID))
    rows = frame.filter(row_problem(frame).is_null() & cid.is_not_null())
    cells = [_own_cells(rows.get_column(c)).alias(named[c]) for c in keep]
    own = (rows.select(cid.alias("_kolvet_id")).with_columns(cells)
           .group_by("_kolvet_id", maintain_order=True).agg(pl.col(n).drop_nulls().last() for n in named.values()))
    return own.select(pl.col("_kolvet_id").alias(CREATOR_ID), *(_as_numbers(own.get_column(n)) for n in named.values()))


def _own_names(columns: list[str], keep: list[str]) -> dict[str, str]:
    """Each kept column's name as the sheet shows it: spaces around dropped, a repeated header
    ("备注" twice, which Polars calls 备注_duplicated_0) as "备注 (2)", one without a header as
    "column 3" (its place in the sheet)."""
    names: dict[str, str] = {}
    for c in keep:
        repeat = re.fullmatch(r"(.*)_duplicated_(\d+)", c)
        name = (f"{repeat.group(1).strip()} ({int(repeat.group(2)) + 2})" if repeat and repeat.group(1).strip()
                else "" if repeat else c.strip())  # a second blank header is blank, not "(2)"
        if not name or re.fullmatch(r"__UNNAMED__\d+", name):
            name = f"column {columns.index(c) + 1}"
        if name in names.values():  # " 链接" beside "链接": both kept, told apart by place
            name = f"{name} (column {columns.index(c) + 1})"
        names[c] = name
    return names


def _own_cells(values: pl.Series) -> pl.Series:
    """A column's cells as the roster gave them: text on one line, "-" or blank as no value,
    lists and records (JSON, Parquet rosters) as JSON text."""
    if values.dtype.is_nested():
        return pl.Series(values.name, [None if v is None else json.dumps(v, ensure_ascii=False, default=str)
                                       for v in values.to_list()], pl.String)
    if values.dtype != pl.String:
        return values
    text = blank_to_null(pl.lit(values))
    return pl.select(pl.when(text.is_in(_DASHES)).then(None).otherwise(one_line(text))).to_series()


def _as_numbers(values: pl.Series) -> pl.Series:
    """A text column of plain numbers as numbers, so a workbook can sum and sort it; only
    when each reads back exactly as written, so "00123" (an id), "80.50", "1.2万" and a 20-digit
    id stay text, and a CSV gets the same characters either way."""
    if values.dtype != pl.String or values.null_count() == values.len():
        return values
    given = values.drop_nulls()
    for dtype in (pl.Int64, pl.Float64):
        number = given.cast(dtype, strict=False)
        if number.null_count() == 0 and (number.cast(pl.String) == given).all():
            return values.cast(dtype)
    return values


def merge_own_columns(parts: Iterable[pl.DataFrame | None]) -> pl.DataFrame | None:
    """Several sheets' own_columns as one: per creator and column, the last sheet's value given."""
    given = [p for p in parts if p is not None]
    if len(given) <= 1:
        return given[0] if given else None
    try:
        both = pl.concat(given, how="diagonal_relaxed")
    except pl.exceptions.PolarsError:  # one sheet's dates beside another's text: keep the text
        both = pl.concat([g.select(pl.all().cast(pl.String)) for g in given], how="diagonal_relaxed")
    return both.group_by(CREATOR_ID, maintain_order=True).agg(pl.all().drop_nulls().last())


def _creator_rejects(rows: pl.DataFrame, reason: pl.Expr, followers: pl.Expr) -> pl.DataFrame:
    """Creators-table rows as set-aside rows: their file, row, reason, id and followers."""
    return rows.select(
        pl.col(SOURCE), pl.col(ROW), reason.alias(REASON), pl.col(CREATOR_ID),
        *[pl.lit(None, pl.String).alias(c) for c in REJECTED_COLUMNS[4:11]], followers.cast(pl.String).alias(FOLLOWERS),
        (pl.col(NICKNAME).cast(pl.String) if NICKNAME in rows.columns else pl.lit(None, pl.String)).alias(NICKNAME),
    )


# Quotes a roster writes instead of a price: negotiable, ask, to be set, DM, none.
_NO_PRICE = [*_MISSING_TOKENS, "面议", "询价", "待定", "私聊", "私信"]
_PRICE = r"(\d+(?:\.\d+)?)([万wW千kK]?)"


def parse_quote(raw: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(price, problem) of a quote as rosters write it: "1,200", "¥1.2万", "5k", "800元"; a range
    "3000-5000" or "3-5k" is its midpoint; "面议" (negotiable), "-" and 0 are no price."""
    # "800元/篇", "1.2万/条": per note; "800起": from 800, the price asked. A comma only groups
    # thousands ("1,200"): "1,5" or "1,2万" is a decimal comma or a typo, not a price to guess.
    written = narrow_text(raw.cast(pl.String))
    text = written.str.replace_all(r"(?i)[,，¥￥元\s]|rmb|cny|[/每](?:篇|条|个|次)(?:笔记)?|起$", "")
    text = pl.when(written.str.contains(r"[,，](?:\d{0,2}(?:\D|$)|\d{4})")).then(pl.lit("?")).otherwise(text)
    one = text.str.extract_groups(rf"^{_PRICE}$")
    span = text.str.extract_groups(rf"^{_PRICE}[-~～—至到]{_PRICE}$")

    def amount(number: pl.Expr, unit: pl.Expr) -> pl.Expr:
        return number.cast(pl.Float64) * unit.replace_strict(_MULTIPLIER, default=1.0, return_dtype=pl.Float64)

    high_unit = span.struct.field("4")
    low_unit = pl.when(span.struct.field("2") != "").then(span.struct.field("2")).otherwise(high_unit)  # "3-5k": 3k to 5k
    price = pl.coalesce(amount(one.struct.field("1"), one.struct.field("2")),
                        (amount(span.struct.field("1"), low_unit) + amount(span.struct.field("3"), high_unit)) / 2)
    no_price = text.is_null() | text.str.to_lowercase().is_in(_NO_PRICE)
    # The value as written goes in the set-aside row's reason (no column holds it); tallies
    # leave it out (reasons_counted), or a thousand typos would count as a thousand reasons.
    problem = pl.when(~no_price & price.is_null()).then(
        pl.format(f"{QUOTE}: not a price ({WAS}{{}}; write a number, such as 800, 1.2万 or 3000-5000)",
                  one_line(raw.cast(pl.String).str.strip_chars())))
    return pl.when(no_price | (price == 0)).then(None).otherwise(price), problem


def parse_share(raw: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(fraction 0-1, problem) for a share written as "21.9%", 21.9 or 0.219. A column whose
    bare numbers go above 1 is in percent (roster sheets write 58.99 for 58.99%)."""
    text = raw.cast(pl.String).str.strip_chars()
    text = pl.when(text.str.to_lowercase().is_in(_MISSING_TOKENS)).then(None).otherwise(text)  # "-", 暂无: no share given
    pct = text.str.ends_with("%")
    num = text.str.strip_suffix("%").str.strip_chars().cast(pl.Float64, strict=False)
    percent_column = (num.filter(~pct) > 1).any()
    value = pl.when(pct | percent_column).then(num / 100).otherwise(num)
    # 0.219 among 58.99s: a workbook's percent-formatted cell (21.9%) or 0.219%? Not guessed.
    unclear = ~pct & percent_column & (num > 0) & (num < 1)
    bad = text.is_not_null() & (num.is_null() | (value < 0) | (value > 1) | unclear)
    problem = (pl.when(unclear).then(pl.format(f"{ACTIVE_FANS}: a fraction or a percent? ({WAS}{{}}; the column writes "
                                               "58.99 for 58.99%: give this one its % sign)", text))
               .when(bad).then(pl.lit(f"{ACTIVE_FANS}: not a share between 0% and 100%")))
    return pl.when(bad).then(None).otherwise(value), problem


SERIES_TYPE = CREATOR_SCHEMA[FOLLOWER_SERIES]


def parse_follower_series(cells: list) -> tuple[pl.Series, pl.Series]:
    """(series, problem) from Pugongying's follower trend, `[{"dateKey": "2025-06-01",
    "num": 1234}, ...]`, given as JSON text (CSV, XLSX) or as a list already (JSON, Parquet).
    Dates may be "2025-06-01", "20250601" or epoch milliseconds; counts may be count strings."""
    out: list[list[dict] | None] = []
    problems: list[str | None] = []
    for cell in cells:
        if cell is None or (isinstance(cell, str) and cell.strip() in ("", *_BLANKS)):
            out.append(None)
            problems.append(None)
            continue
        try:
            points = json.loads(cell) if isinstance(cell, str) else cell
            parsed = sorted((_series_date(p["dateKey"]), _series_count(p["num"])) for p in points)
        except (ValueError, TypeError, KeyError):
            out.append(None)
            problems.append(f"{FOLLOWER_SERIES}: not a list of {{dateKey, num}} points")
            continue
        out.append([{"date": d, "followers": n} for d, n in parsed if n is not None])
        problems.append(None)
    return pl.Series(out, dtype=SERIES_TYPE), pl.Series(problems, dtype=pl.String)


def _series_date(value: object) -> date:
    if isinstance(value, int | float) and not isinstance(value, bool):
        if value > 10**11:  # epoch milliseconds, in China time
            return (datetime(1970, 1, 1) + timedelta(milliseconds=value, hours=8)).date()
        value = str(int(value))
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%Y%m%d", "%Y/%m/%d"):
        try:
            return datetime.strptime(text[:10], fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def _series_count(value: object) -> int | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    if str(value).strip().isdigit():
        return int(str(value).strip())
    got = pl.select(count_result(count_parts(pl.lit(str(value)), pl.String()), "n").value).item()
    if got is None and str(value).strip() not in ("", *_MISSING_TOKENS):
        raise ValueError(value)
    return got


def empty_posts() -> pl.DataFrame:
    return pl.DataFrame(schema=POST_SCHEMA)


def parse_comments(frame: pl.DataFrame, source: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A comment file -> (comments in COMMENT_SCHEMA, rejected rows). A comment needs its note
    and some text; a picture-only comment has none, so it is set aside with that reason."""
    mapping = map_comment_columns(frame.columns)
    post = id_text(*_raw(frame, mapping, POST_ID))
    text = _raw(frame, mapping, COMMENT_TEXT)[0].cast(pl.String).str.strip_chars()
    staged = numbered(frame).select(
        _unless_misread(frame, post).alias(POST_ID), text.alias(COMMENT_TEXT),
        blank_to_null(_raw(frame, mapping, COMMENTER)[0]).alias(COMMENTER),
        pl.lit(source).alias(SOURCE), pl.col(ROW_INDEX).cast(pl.Int64).alias(ROW),
        pl.coalesce(row_problem(frame), pl.when(post.is_null()).then(pl.lit(f"missing {POST_ID}")),
                    pl.when(text.fill_null("") == "").then(pl.lit(f"{COMMENT_TEXT}: empty (a picture-only comment?)"))).alias(REASON),
    )
    comments = staged.filter(pl.col(REASON).is_null()).select(pl.col(k).cast(t) for k, t in COMMENT_SCHEMA.items())
    return comments, _comment_rejects(staged.filter(pl.col(REASON).is_not_null()))


def attach_comments(comments: pl.DataFrame, posts: pl.DataFrame | pl.LazyFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(comments with the creator of their note, the rest set aside with the reason). A comment
    names only its note, so a note id that several creators use (exports that number notes
    1, 2, 3) can't say whose comment it is."""
    owners = posts.lazy().select(CREATOR_ID, POST_ID).unique().collect()
    shared = owners.filter(pl.col(POST_ID).is_duplicated()).select(POST_ID).unique()
    orphans = comments.join(owners.select(POST_ID), on=POST_ID, how="anti").with_columns(
        pl.lit("comment's note is not among the usable notes").alias(REASON))
    unclear = comments.join(shared, on=POST_ID, how="semi").with_columns(
        pl.lit("comment's note id belongs to several creators: can't tell whose it is").alias(REASON))
    attached = comments.join(shared, on=POST_ID, how="anti").join(owners, on=POST_ID)
    rejects = pl.concat([orphans, unclear]).sort(SOURCE, ROW)
    return attached.select(pl.col(k).cast(t) for k, t in ATTACHED_COMMENT_SCHEMA.items()), _comment_rejects(rejects)


def _comment_rejects(rows: pl.DataFrame) -> pl.DataFrame:
    return rows.select(
        pl.col(SOURCE), pl.col(ROW), pl.col(REASON), pl.lit(None, pl.String).alias(CREATOR_ID), pl.col(POST_ID),
        *[pl.lit(None, pl.String).alias(c) for c in REJECTED_COLUMNS[5:]],
    )


NO_NOTES = "no_notes"  # why a creator named in the inputs has no usable note
# Ends the reason of a row (a roster's, or a note's followers) kept without one bad cell: reported beside the set-aside
# rows, but not one of them.
CELL_EMPTIED = " (that cell left empty; the row's other fields kept)"


def row_kept() -> pl.Expr:
    """A rejected-file entry for a row that was kept, without a bad cell (CELL_EMPTIED)."""
    return pl.col(REASON).str.ends_with(CELL_EMPTIED)


def older_snapshot() -> pl.Expr:
    """A rejected-file entry for an older snapshot of a note or a profile that a newer one
    replaced: routine when a crawl is re-run, so counted apart from rows that couldn't be used."""
    return pl.any_horizontal(pl.col(REASON).str.starts_with(r) for r in (OLDER_NOTE, NOTE_COPY, OLDER_PROFILE))


def snapshots_replaced(rejected: pl.DataFrame) -> int:
    """How many older snapshots (or copies of the same time) others replaced (older_snapshot)."""
    return rejected.filter(older_snapshot()).height


def reasons_counted(rejected: pl.DataFrame, kept: bool = False) -> list[tuple[str, int]]:
    """(reason, rows), most common first: of the rows set aside (older snapshots apart) or,
    with `kept`, of the rows kept with a bad cell left empty (reasons without CELL_EMPTIED)."""
    entries = rejected.filter(row_kept() if kept else ~row_kept() & ~older_snapshot())
    counts = entries.group_by(tally_key(pl.col(REASON))).len().sort(["len", REASON], descending=[True, False])
    return [(r.removesuffix(CELL_EMPTIED), n) for r, n in counts.iter_rows()]


WAS = "was "  # "quote: not a price (was abc; write a number...)": the row's own value, left out of tallies


def tally_key(reason: pl.Expr) -> pl.Expr:
    """A reason without what is the row's own (the value as written, the row kept instead),
    so that rows set aside for the same reason count together."""
    return (reason.str.replace(rf"\({WAS}.*?; ", "(")
            .str.replace(r" \(kept the last: [^)]*\)", " (kept the last)")
            .alias(REASON))


ROWS_SET_ASIDE = "rows_set_aside"  # rows naming the creator that couldn't be used (duplicates aside)


def _naming_a_creator(rejected: pl.DataFrame) -> pl.DataFrame:
    """(creator_id, reason, nickname, followers) of the set-aside rows that name a creator: the
    id as the parser would read it (set-aside rows show cells as written, followers too),
    totals rows left out."""
    return (rejected.filter(~pl.col(REASON).is_in(NOT_NOTES))
            .select(blank_to_null(pl.col(CREATOR_ID)).alias(CREATOR_ID), REASON,
                    blank_to_null(pl.col(NICKNAME)).alias(NICKNAME), FOLLOWERS)
            .drop_nulls(CREATOR_ID))


def rows_set_aside(rejected: pl.DataFrame) -> pl.DataFrame:
    """Per creator, the set-aside rows that name it, other than older copies of a row kept
    (duplicates): what a creator with too few notes lost."""
    lost = _naming_a_creator(rejected).filter(~pl.col(REASON).str.starts_with(DUPLICATE) & ~row_kept())
    return lost.group_by(CREATOR_ID).len(name=ROWS_SET_ASIDE).with_columns(pl.col(ROWS_SET_ASIDE).cast(pl.Int64))


def creators_without_notes(posts: pl.DataFrame, rejected: pl.DataFrame,
                           creators: Iterable[pl.DataFrame | None]) -> pl.DataFrame:
    """Creators named in the inputs (on set-aside notes, in profiles or in the roster) who have
    no usable note, with the reason: they can't be judged, but every input creator appears in
    the output exactly once, so they are listed as insufficient_data rather than dropped. (A
    creators row is never set aside with its id: one naming no creator, or read under the wrong
    columns, names none; a bad cell only empties that cell.)"""
    have = posts.select(CREATOR_ID).unique()
    lost = _naming_a_creator(rejected).join(have, on=CREATOR_ID, how="anti")
    by_reason = lost.group_by(CREATOR_ID, REASON).len().sort([CREATOR_ID, "len", REASON], descending=[False, True, False])
    from_notes = by_reason.group_by(CREATOR_ID, maintain_order=True).agg(
        pl.col("len").sum().alias("_n"), pl.format("{} {}", REASON, "len").head(3).str.join(", ").alias("_why"),
    ).select(CREATOR_ID, pl.format("no usable notes: all {} set aside ({})", "_n", "_why").alias(NO_NOTES))
    # What the set-aside rows say of the creator (the last row that says it), so a creator whose
    # every note was unusable still shows its name and size.
    # (Followers parsed here, on these creators' rows only: the rejected file can hold millions
    # of older snapshots.)
    followers = count_result(count_parts(pl.col(FOLLOWERS), pl.String()), FOLLOWERS).value
    said = lost.group_by(CREATOR_ID).agg(pl.col(NICKNAME).drop_nulls().last(), followers.drop_nulls().last().alias(FOLLOWERS))
    from_notes = from_notes.join(said, on=CREATOR_ID, how="left")
    listed = [t.select(CREATOR_ID) for t in creators if t is not None]
    kept = pl.concat(listed).unique() if listed else pl.DataFrame(schema={CREATOR_ID: pl.String})
    found = (kept.with_columns(pl.lit("no notes of this creator in the inputs").alias(NO_NOTES))
             .join(have, on=CREATOR_ID, how="anti").join(from_notes, on=CREATOR_ID, how="anti"))
    return pl.concat([from_notes, found], how="diagonal").sort(CREATOR_ID)


def empty_rejected() -> pl.DataFrame:
    return pl.DataFrame(schema={SOURCE: pl.String, ROW: pl.Int64, REASON: pl.String,
                                **{c: pl.String for c in REJECTED_COLUMNS[3:]}})


# A count that fell by less than this is readers taking a like or save back, not a purge.
PURGE_MIN_DROP = 10
PURGE_MIN_SHARE = 0.05
# XHS shows counts of 10,000+ to 0.1万: one step down can be a single lost like.
SHOWN_IN_WAN = 10_000
WAN_STEP = 1_000


def purged(before: pl.Expr, after: pl.Expr) -> pl.Expr:
    """Did a count fall by more than readers taking likes back, or a rounded display, explain?
    At least PURGE_MIN_DROP and PURGE_MIN_SHARE of what it was, and more than one 0.1万 step
    for counts XHS shows in 万."""
    drop = before - after
    return ((drop >= PURGE_MIN_DROP) & (drop >= PURGE_MIN_SHARE * before)
            & ((before < SHOWN_IN_WAN) | (drop > WAN_STEP)))


def merge_snapshots(posts: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Keep one row per note (creator_id, post_id): the newest snapshot, by snapshot_at
    (MediaCrawler's last_modify_ts); among copies of the same moment (two tools' exports of
    the same notes, neither timed), the one with exact counts over one with floors ("1千+"),
    then the last row read. A field the kept copy leaves blank (an export without followers
    or views) is taken from the newest copy that gives it.

    Older snapshots are returned as set-aside rows, with their file and row. When an older
    snapshot had a count higher than the kept one by more than noise (`purged`), the kept row
    gets counts_went_down = true: platforms purge bought engagement after the fact, which is a
    fraud signal. A kept row with floors can't show a drop: its true counts may be higher.
    Notes are keyed by creator too, so files that number notes per creator (1, 2, 3...) don't
    collide."""
    if posts.height == 0:
        return posts, empty_rejected()
    key = [CREATOR_ID, POST_ID]
    # Fast exit for the usual case, on 64-bit hashes: a collision only sends us down the exact path.
    if posts.select(pl.struct(key).hash().n_unique()).item() == posts.height:
        return posts, empty_rejected()
    order = "_order"
    ranked = posts.with_row_index(order).sort([*key, SNAPSHOT_AT, PRECISION, order], descending=[False, False, False, True, False],
                                              nulls_last=False)
    counts = (LIKES, SAVES, COMMENTS, SHARES)
    went_down = pl.any_horizontal(purged(pl.col(c).max().over(key), pl.col(c)) for c in counts) & (pl.col(PRECISION) != LOWER_BOUND)
    ranked = ranked.with_columns(
        (pl.col(COUNT_DROPPED) | went_down.fill_null(False)).alias(COUNT_DROPPED),
        (pl.int_range(pl.len()).over(key) == pl.len().over(key) - 1).alias("_keep"),
    )
    filled = [c for c in SNAPSHOT_FILLED if c in posts.columns and posts.get_column(c).has_nulls()]
    kept = (ranked.with_columns(pl.col(filled).forward_fill().over(key)).filter("_keep")
            .sort(order).drop(order, "_keep"))
    # Older copies are said to be so; one of the same moment lost to exact counts, or to read order.
    as_kept = pl.col(SNAPSHOT_AT).last().over(key)
    reason = (pl.when(~pl.col(SNAPSHOT_AT).eq_missing(as_kept)).then(pl.lit(f"{OLDER_NOTE} (kept the newest)"))
              .when(pl.col(PRECISION) > pl.col(PRECISION).last().over(key)).then(pl.lit(f"{NOTE_COPY} (none newer: kept the one with exact counts)"))
              .otherwise(pl.lit(f"{NOTE_COPY} (none newer: kept the one read last)")))
    older = ranked.with_columns(reason.alias("_why")).filter(~pl.col("_keep")).sort(order)
    return kept, set_aside(older, pl.col("_why"))


# A note's fields an older copy may fill in when the kept one leaves them blank. (Likes, saves
# and comments are never blank on a kept row; shares may be, in exports that lack them.)
SNAPSHOT_FILLED = (FOLLOWERS, FOLLOWERS_PRECISION, VIEWS, SHARES, NEW_FOLLOWS, CATEGORY, NICKNAME, TITLE, POST_TYPE)


# What a creators row says about the creator: two rows for one creator that disagree on one of
# these can't both be right. (Nicknames change and series are read whole: not compared.)
CREATOR_FACTS = (FOLLOWERS, CATEGORY, QUOTE, ACTIVE_FANS, LIFETIME_LIKES_SAVES)


def merge_creator_rows(creators: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One row per creator of a creators table (profiles from several crawls or files, or a
    roster with a creator twice): each field's newest value, by snapshot when rows carry one,
    else the row read last. Rows that only add fields are merged in; a row whose values differ
    from the kept ones is set aside with that reason, so a conflicting row never wins unseen."""
    if creators.height == 0 or creators.get_column(CREATOR_ID).n_unique() == creators.height:
        return creators, empty_rejected()
    order = "_order"
    ranked = creators.with_row_index(order).sort([CREATOR_ID, SNAPSHOT_AT, order], nulls_last=False)
    values = [c for c in creators.columns if c not in (CREATOR_ID, SOURCE, ROW)]
    kept = _exact_followers_that_agree(ranked, ranked.group_by(CREATOR_ID, maintain_order=True)
                                       .agg(*[pl.col(c).drop_nulls().last() for c in values], pl.col(SOURCE, ROW, order).last()),
                                       order)
    facts = (*CREATOR_FACTS, FOLLOWERS_PRECISION, SNAPSHOT_AT)
    compared = ranked.join(kept.select(CREATOR_ID, order, *[pl.col(c).alias(f"_k_{c}") for c in (*facts, SOURCE, ROW)]),
                           on=CREATOR_ID, suffix="_kept")
    agree = {FOLLOWERS: counts_agree(pl.col(FOLLOWERS), pl.col(FOLLOWERS_PRECISION),
                                     pl.col(f"_k_{FOLLOWERS}"), pl.col(f"_k_{FOLLOWERS_PRECISION}"))}
    differs = pl.any_horizontal(pl.col(c).is_not_null() & ~agree.get(c, pl.col(c) == pl.col(f"_k_{c}")).fill_null(False)
                                for c in CREATOR_FACTS)
    aside = compared.filter((pl.col(order) != pl.col(f"{order}_kept")) & differs).sort(order)
    # Its followers that day may live on as a point of the follower series (kolvet.snapshots).
    points = (kept.select(CREATOR_ID, FOLLOWER_SERIES).explode(FOLLOWER_SERIES).drop_nulls(FOLLOWER_SERIES)
              .unnest(FOLLOWER_SERIES).rename({"date": "_day", "followers": FOLLOWERS}).with_columns(pl.lit(True).alias("_point")))
    aside = aside.with_columns(pl.col(SNAPSHOT_AT).dt.date().alias("_day")).join(
        points, on=[CREATOR_ID, "_day", FOLLOWERS], how="left", maintain_order="left")
    reason = (pl.when(pl.col(f"_k_{SNAPSHOT_AT}").is_not_null() & pl.col("_point").is_not_null())
              .then(pl.lit(f"{OLDER_PROFILE} (kept the newest; "
                           "its followers are a point of the follower series)"))
              .when(pl.col(f"_k_{SNAPSHOT_AT}").is_not_null())
              .then(pl.lit(f"{OLDER_PROFILE} (kept the newest)"))
              .otherwise(pl.format(f"{DUPLICATE}creator_id: an earlier row with other values (kept the last: {{}}row {{}})",
                                   pl.when(pl.col(f"_k_{SOURCE}") != pl.col(SOURCE)).then(pl.col(f"_k_{SOURCE}") + " ")
                                   .otherwise(pl.lit("")), pl.col(f"_k_{ROW}"))))
    return kept.sort(order).select(creators.columns), _creator_rejects(aside, reason, pl.col(FOLLOWERS))


def _exact_followers_that_agree(rows: pl.DataFrame, kept: pl.DataFrame, order: str) -> pl.DataFrame:
    """The kept follower count, or one written more precisely that agrees with it in a row as
    new: an exact 14,518 over a later "1.5万", 105,680 over "10万+" (a count that doesn't
    agree stays set aside as a conflict). `order`: the rows' read order, the last read winning
    a tie."""
    k = {c: f"_k_{c}" for c in (FOLLOWERS, FOLLOWERS_PRECISION, SNAPSHOT_AT)}
    better = (
        rows.join(kept.select(CREATOR_ID, *[pl.col(c).alias(a) for c, a in k.items()]), on=CREATOR_ID)
        .filter(pl.col(FOLLOWERS).is_not_null()
                & (pl.col(FOLLOWERS_PRECISION) < pl.col(k[FOLLOWERS_PRECISION]))
                & pl.col(SNAPSHOT_AT).eq_missing(pl.col(k[SNAPSHOT_AT]))
                & counts_agree(pl.col(FOLLOWERS), pl.col(FOLLOWERS_PRECISION), pl.col(k[FOLLOWERS]), pl.col(k[FOLLOWERS_PRECISION])))
        .sort(CREATOR_ID, FOLLOWERS_PRECISION, order, descending=[False, True, False])
        .group_by(CREATOR_ID, maintain_order=True).agg(pl.col(FOLLOWERS, FOLLOWERS_PRECISION).last().name.prefix("_b_"))
    )
    if better.height == 0:
        return kept
    return kept.join(better, on=CREATOR_ID, how="left").with_columns(
        pl.coalesce(f"_b_{c}", c).alias(c) for c in (FOLLOWERS, FOLLOWERS_PRECISION)).drop("_b_" + FOLLOWERS, "_b_" + FOLLOWERS_PRECISION)


def shared_post_ids(posts: pl.DataFrame | pl.LazyFrame, parts: int = 1) -> pl.DataFrame:
    """Per notes file: its notes whose post_id also appears under another creator, with one
    example (post_id, creators). A note has one author, so this is usually a mis-mapped creator
    column; kolvet keeps each under its creator (ids like 1, 2, 3 numbered per creator are
    expected to repeat, and skipped) and says so. `parts`: check the notes in that many slices
    by post_id (--streaming), so memory stays bounded however many notes there are."""
    empty = pl.DataFrame(schema={SOURCE: pl.String, "n": pl.UInt32, POST_ID: pl.String, "creators": pl.String})
    # The usual case, without a group-by over every note: 64-bit hashes (a collision only sends
    # us down the exact path).
    if isinstance(posts, pl.DataFrame) and posts.select(pl.col(POST_ID).hash().n_unique()).item() == posts.height:
        return empty
    ids = pl.col(POST_ID)
    notes = posts.lazy().filter(~ids.str.contains(r"^\d{1,6}$")).select(SOURCE, CREATOR_ID, POST_ID)
    found = []
    for k in range(parts):
        part = notes.filter(ids.hash(seed=11) % parts == k) if parts > 1 else notes
        if parts > 1:
            u, n = part.select(ids.hash().n_unique(), pl.len()).collect(engine="streaming").row(0)
            if u == n:
                continue
        shared = (part.group_by(POST_ID).agg(pl.col(CREATOR_ID).unique().sort().alias("_creators"))
                  .filter(pl.col("_creators").list.len() > 1))
        found.append(part.join(shared, on=POST_ID).select(SOURCE, POST_ID, pl.col("_creators").list.join(", ").alias("creators"))
                     .collect(engine="streaming"))
    if not found:
        return empty
    return (pl.concat(found).sort(SOURCE, POST_ID, "creators").group_by(SOURCE, maintain_order=True)
            .agg(pl.len().alias("n"), pl.col(POST_ID).first(), pl.col("creators").first()).cast(empty.schema))


def set_aside(posts: pl.DataFrame, reason: str | pl.Expr) -> pl.DataFrame:
    """Parsed posts turned back into set-aside rows, with their file, row and a reason."""
    return posts.select(
        pl.col(SOURCE), pl.col(ROW), (pl.lit(reason) if isinstance(reason, str) else reason).alias(REASON),
        *[(pl.col(c).dt.strftime("%Y-%m-%d %H:%M:%S") if c == POSTED_AT else pl.col(c).cast(pl.String)).alias(c)
          for c in REJECTED_COLUMNS[3:]],
    )
