"""The real MediaCrawler crawl and roster in ../shared/data/real (read-only, never copied into
the repository). Skipped when ../shared is absent, as on a fresh clone."""

from __future__ import annotations

import json
from functools import cache

import polars as pl
import pytest
from typer.testing import CliRunner

from kolvet.cli import app
from tests.conftest import SHARED

REAL = SHARED / "data" / "real"
CRAWL = REAL / "mediacrawler_creator_crawl"
ROSTER = REAL / "koc_roster_quotes.csv"
pytestmark = [
    pytest.mark.skipif(not CRAWL.is_dir() or not ROSTER.is_file(), reason="../shared/data/real is not here"),
    pytest.mark.slow,
]
runner = CliRunner()


@cache  # the crawl is read-only: parse each kind of file once per test run
def _records(kind: str) -> list[dict]:
    rows: list[dict] = []
    for path in sorted(CRAWL.glob(f"*creator_{kind}*.json")):  # also "..._extension.json"
        rows += json.loads(path.read_text(encoding="utf-8"))
    return rows


@pytest.fixture(scope="module")
def crawl_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("real") / "out.csv"
    res = runner.invoke(app, ["vet", str(CRAWL), "-o", str(out), "--posts-out", str(out.with_name("notes.csv"))])
    assert res.exit_code == 0, res.output
    return res, out


def test_ranks_all_107_creators_with_followers_wherever_there_is_a_profile(crawl_run):
    _, out = crawl_run
    ranked = pl.read_csv(out, schema_overrides={"creator_id": pl.String})
    note_creators = {r["user_id"] for r in _records("contents")}
    profiled = {r["user_id"] for r in _records("creator")}
    assert len(note_creators) == 107
    assert ranked.height == 107 and set(ranked.get_column("creator_id")) == note_creators
    assert sorted(ranked.get_column("rank")) == list(range(1, 108))
    with_followers = set(ranked.filter(pl.col("followers").is_not_null()).get_column("creator_id"))
    assert with_followers == note_creators & profiled
    unknown = ranked.filter(pl.col("followers").is_null())
    assert unknown.height == len(note_creators - profiled)
    assert all("no follower count" in r for r in unknown.get_column("verdict_reason"))
    # Each profile's `interaction` (获赞与收藏) arrives as lifetime likes and saves: the newest
    # snapshot's, one of the values crawled for that creator.
    crawled: dict[str, set[int]] = {}
    for r in _records("creator"):
        crawled.setdefault(r["user_id"], set()).add(_count(r["interaction"]))
    lifetime = dict(ranked.select("creator_id", "lifetime_likes_saves").drop_nulls().iter_rows())
    assert set(lifetime) == note_creators & profiled
    assert all(lifetime[c] in crawled[c] for c in lifetime)


def test_every_set_aside_row_is_explained_and_every_row_accounted_for(crawl_run):
    res, out = crawl_run
    notes = _records("contents")
    unique = {r["note_id"] for r in notes}
    rejected = pl.read_csv(out.with_name("out.rejected.csv"), infer_schema=False)
    # Profiles crawled on several days: an older snapshot that says other things (fans, lifetime
    # likes and saves) is set aside, each said, and a day's last one is a point of the follower
    # series; an identical re-crawl is simply merged.
    profiles = rejected.filter(pl.col("source_file").str.contains("creator_creator"))
    assert set(profiles.get_column("reason")) <= {
        "duplicate creator_id: an older snapshot with other values (kept the newest)",
        "duplicate creator_id: an older snapshot with other values (kept the newest; its followers are a point of the follower series)"}
    newest: dict[str, dict] = {}
    for r in sorted(_records("creator"), key=lambda r: int(r["last_modify_ts"])):
        newest[r["user_id"]] = r
    older = [r for r in _records("creator") if r is not newest[r["user_id"]]
             and (r["fans"], r["interaction"]) != (newest[r["user_id"]]["fans"], newest[r["user_id"]]["interaction"])]
    assert profiles.height == len(older) > 0
    rejected = rejected.filter(pl.col("source_file").str.contains("creator_contents"))
    assert rejected.height == len(notes) - len(unique)  # only older snapshots are set aside
    assert rejected.get_column("reason").unique().to_list() == ["duplicate post_id: older snapshot (kept the newest)"]
    assert rejected.select("source_file", "row", "post_id").null_count().row(0) == (0, 0, 0)
    # Each set-aside row points at a real record of that file, holding that note.
    files: dict[str, list[dict]] = {}
    for source, row, note in rejected.select("source_file", "row", "post_id").iter_rows():
        if source not in files:
            with open(source, encoding="utf-8") as fh:
                files[source] = json.load(fh)
        assert files[source][int(row) - 1]["note_id"] == note
    meta = json.loads(out.with_name("out.meta.json").read_text(encoding="utf-8"))
    files = {p.name for p in CRAWL.glob("*.json")}
    assert {e["file"].rsplit("/", 1)[-1] for e in meta["inputs"]} == files
    for entry in meta["inputs"]:
        assert entry["taken"] + entry["set_aside"] == entry["rows"], entry
    assert sum(e["rows"] for e in meta["inputs"] if e["holds"] == "posts") == len(notes)
    assert "MediaCrawler notes (posts)" in res.output and "MediaCrawler creator profiles (creators)" in res.output


def test_purged_counts_between_snapshots_reach_the_notes(crawl_run):
    _, out = crawl_run
    notes = pl.read_csv(out.with_name("notes.csv"), infer_schema=False)
    by_note: dict[str, list[tuple[int, int, int, int]]] = {}
    for r in _records("contents"):
        counts = tuple(_count(r[k]) for k in ("last_modify_ts", "liked_count", "collected_count", "comment_count"))
        by_note.setdefault(r["note_id"], []).append(counts)
    def fell(before: int, after: int) -> bool:  # more than readers taking likes back (schema.purged)
        return before - after >= max(10, 0.05 * before) and (before < 10_000 or before - after > 1_000)

    went_down = {n for n, snaps in by_note.items() if len(snaps) > 1 and any(
        fell(max(s[i] for s in snaps), max(snaps)[i]) for i in (1, 2, 3))}
    any_drop = {n for n, snaps in by_note.items() if len(snaps) > 1 and any(
        max(s[i] for s in snaps) > max(snaps)[i] for i in (1, 2, 3))}
    assert any_drop  # the crawl has notes whose counts fell: the check below compares something
    flagged = set(notes.filter(pl.col("counts_went_down") == "true").get_column("post_id"))
    assert flagged == went_down


def test_a_crawl_that_only_went_on_where_it_stopped_marks_no_note_deleted(crawl_run):
    """The crawl's creators were read once each (some over two days, going on where the first
    day stopped), and its `extension` file carries posting and edit times as snapshot times:
    no later crawl re-read the notes around any note, so none is marked vanished."""
    _, out = crawl_run
    notes = pl.read_csv(out.with_name("notes.csv"), infer_schema=False)
    assert notes.get_column("vanished_later").unique().to_list() == ["false"]


def test_counts_read_off_xhs_pass_the_last_digit_check(crawl_run):
    res, out = crawl_run
    meta = json.loads(out.with_name("out.meta.json").read_text(encoding="utf-8"))
    assert meta["last_digits"].startswith("ok: ") and "last digits" not in res.output
    # The one warning: the creator the crawl has no profile for is said to be unrated.
    assert [w.split(":")[0] for w in res.output.split("warning ")[1:]] == ["followers"]


def _count(text: str | int) -> int:
    text = str(text)
    return int(float(text[:-1]) * 10_000) if text.endswith("万") else int(text)


def test_roster_loads_as_it_is_and_adds_quotes(tmp_path):
    out = tmp_path / "with_roster.csv"
    res = runner.invoke(app, ["vet", str(CRAWL), "--creators", str(ROSTER), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "roster sheet (creators): 107 rows, 106 taken, 1 set aside" in res.output
    meta = json.loads((tmp_path / "with_roster.meta.json").read_text(encoding="utf-8"))
    entry = next(e for e in meta["inputs"] if e["file"] == str(ROSTER))
    assert (entry["format"], entry["rows"], entry["taken"], entry["set_aside"]) == ("roster sheet", 107, 106, 1)
    ranked = pl.read_csv(out, schema_overrides={"creator_id": pl.String})
    # The 107 crawled creators, and the roster's one creator the crawl has no notes of, listed
    # as insufficient_data: every input creator appears exactly once.
    assert ranked.height == 108 and ranked.get_column("creator_id").n_unique() == 108
    unlisted = ranked.filter(pl.col("n_posts") == 0)
    assert unlisted.select("verdict", "verdict_reason").rows() == [("insufficient_data", "no notes of this creator in the inputs")]
    assert ranked.get_column("quote").null_count() <= 3  # one quotes 0: no price, not a free creator
    rejected = pl.read_csv(tmp_path / "with_roster.rejected.csv", infer_schema=False)
    from_roster = rejected.filter(pl.col("source_file") == str(ROSTER))
    # One row has no id: said, not dropped.
    assert from_roster.select("row", "reason").rows() == [("32", "missing creator_id")]
    # Every roster creator now has followers, the roster's count: the roster the user passes
    # wins over crawled profiles.
    roster = pl.read_csv(ROSTER, infer_schema=False).filter(pl.col("user_id").is_not_null())
    fans = dict(roster.select("user_id", pl.col("fans count").cast(pl.Int64)).iter_rows())
    got = dict(ranked.select("creator_id", "followers").iter_rows())
    assert all(got[c] == f for c, f in fans.items() if c in got)
    # The sheet's 活跃粉丝占比(仅>1K) column (58.99 = 58.99%) reaches the ranking as a share.
    active = dict(roster.filter(pl.col("活跃粉丝占比(仅>1K)") != "null")
                  .select("user_id", pl.col("活跃粉丝占比(仅>1K)").cast(pl.Float64) / 100).iter_rows())
    shares = dict(ranked.select("creator_id", "active_fan_share").drop_nulls().iter_rows())
    assert len(active) == 36 and set(shares) <= set(active)
    assert all(abs(shares[c] - active[c]) < 1e-3 for c in shares) and len(shares) >= 35  # rounded to 3 places
    # Its "liked n collected" column is lifetime likes and saves, and the roster wins over the
    # crawled profiles' `interaction`, as it does for followers.
    sheet = {c: int(float(v[:-1]) * 1000) if v.lower().endswith("k") else int(v)  # "18k" is written too
             for c, v in roster.select("user_id", "liked n collected").drop_nulls().iter_rows()}
    lifetime = dict(ranked.select("creator_id", "lifetime_likes_saves").iter_rows())
    assert sum(v is not None for v in lifetime.values()) >= 105
    assert all(lifetime[c] == v for c, v in sheet.items() if c in lifetime)
