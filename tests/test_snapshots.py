"""Repeated crawls: notes that vanished from a later crawl, and follower series from profiles
crawled on several days (kolvet.snapshots)."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime, timedelta

import polars as pl
from typer.testing import CliRunner

from kolvet import schema as S
from kolvet import snapshots as SN
from kolvet.cli import app

runner = CliRunner()
DAY = timedelta(days=1)
START = datetime(2025, 3, 1, 12)


def _crawl(creator: str, notes: list[int], at: datetime, likes: int = 100) -> list[dict]:
    """One crawl of a creator's notes (numbered 0 = oldest), newest first, a minute apart."""
    return [{S.CREATOR_ID: creator, S.POST_ID: f"{creator}-{i}", S.POSTED_AT: START + i * DAY,
             S.SNAPSHOT_AT: at + timedelta(minutes=k), S.LIKES: likes + 10 * i, S.NOTE_VANISHED: False}
            for k, i in enumerate(sorted(notes, reverse=True))]


def _vanished(*crawls: list[dict]) -> set[str]:
    posts = pl.DataFrame([r for c in crawls for r in c])
    marked = SN.mark_vanished(posts)
    assert marked.height == posts.height and marked.columns == posts.columns
    return set(marked.filter(pl.col(S.NOTE_VANISHED)).get_column(S.POST_ID))


def test_notes_a_later_crawl_passed_over_have_vanished():
    first = _crawl("a", list(range(12)), datetime(2025, 4, 1))
    later = _crawl("a", [i for i in range(12) if i not in (6, 7)], datetime(2025, 4, 8))
    assert _vanished(first, later) == {"a-6", "a-7"}
    # Another creator crawled once, alongside, is untouched.
    assert _vanished(first, later, _crawl("b", list(range(5)), datetime(2025, 4, 1))) == {"a-6", "a-7"}


def test_crawls_that_stop_short_or_go_on_mark_nothing():
    first = _crawl("a", list(range(12)), datetime(2025, 4, 1))
    # A later crawl of the newest notes only, or one that starts where the first stopped.
    assert _vanished(first, _crawl("a", list(range(7, 12)), datetime(2025, 4, 8))) == set()
    assert _vanished(_crawl("a", list(range(6, 12)), datetime(2025, 4, 1)),
                     _crawl("a", list(range(0, 6)), datetime(2025, 4, 8))) == set()
    # The newest notes and two old pinned ones: the notes between were not re-read.
    assert _vanished(first, _crawl("a", [0, 1, *range(8, 12)], datetime(2025, 4, 8))) == set()
    # Many notes missing in a row is a crawl that skipped, not deletions.
    assert _vanished(first, _crawl("a", [0, 1, 2, 3, 4, 10, 11], datetime(2025, 4, 8))) == set()
    # One long crawl, with no pause between its snapshots, is one crawl.
    assert _vanished([{**r, S.SNAPSHOT_AT: datetime(2025, 4, 1) + k * timedelta(hours=1)}
                      for k, r in enumerate(first)]) == set()


def test_snapshot_times_that_are_posting_times_mark_nothing():
    """Some tools write a note's posting or edit time where a crawl time belongs: every note is
    then its own "crawl", and none re-reads another note, so none can vouch for a deletion."""
    notes = _crawl("a", list(range(12)), datetime(2025, 4, 1))
    batch = {"a-0", "a-1", "a-2", "a-3", "a-4", "a-5", "a-7"}  # edited together, a month later
    written = [{**r, S.SNAPSHOT_AT: datetime(2025, 4, 1) + timedelta(seconds=int(r[S.POST_ID][2:])) if r[S.POST_ID] in batch
                else r[S.POSTED_AT] + timedelta(seconds=1)} for r in notes]
    assert _vanished(written) == set()


def test_no_snapshot_times_no_vanished_notes():
    first = _crawl("a", list(range(12)), datetime(2025, 4, 1))
    later = _crawl("a", [i for i in range(12) if i != 6], datetime(2025, 4, 8))
    blank = [{**r, S.SNAPSHOT_AT: None} for r in first + later]
    assert _vanished(blank) == set()


def _profiles(followers: list[int], series: list | None = None) -> pl.DataFrame:
    rows = [{S.CREATOR_ID: "u1", S.FOLLOWERS: n, S.SNAPSHOT_AT: datetime(2025, 6, 1, 9) + k * DAY,
             S.FOLLOWER_SERIES: series} for k, n in enumerate(followers)]
    rows.append({S.CREATOR_ID: "u2", S.FOLLOWERS: 500, S.SNAPSHOT_AT: datetime(2025, 6, 1), S.FOLLOWER_SERIES: None})
    return pl.DataFrame(rows, schema={c: S.CREATOR_SCHEMA[c] for c in (S.CREATOR_ID, S.FOLLOWERS, S.SNAPSHOT_AT, S.FOLLOWER_SERIES)})


def test_profiles_crawled_on_several_days_make_a_follower_series():
    out = SN.series_from_snapshots(_profiles([1000, 1010, 1500]))
    series = out.filter(pl.col(S.CREATOR_ID) == "u1").get_column(S.FOLLOWER_SERIES).to_list()
    assert all(s == [{"date": date(2025, 6, 1), "followers": 1000}, {"date": date(2025, 6, 2), "followers": 1010},
                     {"date": date(2025, 6, 3), "followers": 1500}] for s in series)
    assert out.filter(pl.col(S.CREATOR_ID) == "u2").get_column(S.FOLLOWER_SERIES).item() is None  # one crawl
    # A series the rows carry keeps its own count on a shared day.
    given = [{"date": date(2025, 5, 31), "followers": 990}, {"date": date(2025, 6, 2), "followers": 1012}]
    series = SN.series_from_snapshots(_profiles([1000, 1010, 1500], given)).get_column(S.FOLLOWER_SERIES)[0].to_list()
    assert [(p["date"].day, p["followers"]) for p in series] == [(31, 990), (1, 1000), (2, 1012), (3, 1500)]


def _write(path, rows: list[dict]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def test_daily_profile_crawls_reveal_a_follower_jump(tmp_path):
    """A creator crawled daily whose followers jump 60% in three days, with no note to explain
    it: the jump is a reason, as with a marketplace's follower series."""
    notes, profiles = [], []
    for c in range(12):
        for i in range(8):
            notes.append({"creator_id": f"c{c:02d}", "post_id": f"c{c:02d}-{i}", "posted_at": f"2025-05-{i + 1:02d} 12:00:00",
                          "likes": 100 + 9 * c + 7 * i, "saves": 40 + 3 * c + i % 3, "comments": 9 + i % 4})
        for d in range(10):
            grown = 5000 + 10 * d + (3000 if c == 0 and d >= 5 else 0)
            profiles.append({"user_id": f"c{c:02d}", "nickname": f"n{c}", "fans": str(grown),
                             "last_modify_ts": str(int(datetime(2025, 6, 1 + d, 9).timestamp() * 1000))})
    _write(tmp_path / "notes.csv", notes)
    (tmp_path / "creator_creator.json").write_text(json.dumps(profiles), encoding="utf-8")
    out = tmp_path / "ranked.csv"
    res = runner.invoke(app, ["vet", str(tmp_path / "notes.csv"), str(tmp_path / "creator_creator.json"), "-o", str(out)])
    assert res.exit_code == 0, res.output
    ranked = pl.read_csv(out, schema_overrides={S.CREATOR_ID: pl.String})
    jumped = ranked.filter(pl.col(S.CREATOR_ID) == "c00").row(0, named=True)
    assert jumped["follower_jump"] > 0.5
    assert "followers grew 60% within 3 days from 2025-06-0" in jumped["fraud_reasons"]
    assert ranked.filter(pl.col(S.CREATOR_ID) != "c00").get_column("follower_jump").max() < 0.01


def test_notes_deleted_between_crawls_are_reasons_and_marked(tmp_path):
    """Two crawls a week apart; one creator's second crawl no longer has 3 of its 12 notes, its
    weakest: the notes file marks them, and the creator's reasons and `explain` say so."""
    rows = []
    for c in range(12):
        for crawl, at in enumerate((datetime(2025, 6, 1, 9), datetime(2025, 6, 8, 9))):
            for i in range(12):
                if c == 0 and crawl == 1 and i in (4, 7, 10):
                    continue
                flop = c == 0 and i in (4, 7, 10)
                rows.append({"creator_id": f"c{c:02d}", "post_id": f"c{c:02d}-{i}",
                             "posted_at": f"2025-05-{i + 1:02d} 12:00:00", "snapshot_at": (at + i * timedelta(minutes=1)).isoformat(" "),
                             "followers": 5000, "likes": 20 if flop else 100 + 9 * c + 7 * i,
                             "saves": 8 if flop else 40 + 3 * c + i % 3, "comments": 2 if flop else 9 + i % 4})
    _write(tmp_path / "notes.csv", rows)
    out = tmp_path / "ranked.csv"
    res = runner.invoke(app, ["vet", str(tmp_path / "notes.csv"), "-o", str(out), "--posts-out", str(tmp_path / "posts.csv")])
    assert res.exit_code == 0, res.output
    posts = pl.read_csv(tmp_path / "posts.csv", schema_overrides={S.POST_ID: pl.String})
    assert set(posts.filter(pl.col(S.NOTE_VANISHED)).get_column(S.POST_ID)) == {"c00-4", "c00-7", "c00-10"}
    ranked = pl.read_csv(out, schema_overrides={S.CREATOR_ID: pl.String})
    assert ranked.height == 12
    reasons = ranked.filter(pl.col(S.CREATOR_ID) == "c00").get_column("fraud_reasons").item()
    assert "3 of 12 notes were missing from a later crawl that re-read the notes around them (deleted, having earned 0.1" in reasons
    assert ranked.filter(pl.col(S.CREATOR_ID) != "c00").get_column("fraud_reasons").fill_null("").str.contains("missing").sum() == 0
    shown = runner.invoke(app, ["explain", "c00", str(tmp_path / "notes.csv")])
    assert shown.exit_code == 0, shown.output
    assert "notes missing from a later crawl that re-read the notes around them, deleted (3):" in shown.output


def test_sample_writes_a_recrawl_whose_purges_kolvet_finds(tmp_path):
    # `kolvet sample --recrawl` writes the same notes crawled a week later: counts grown, part of
    # the bought engagement purged, a few notes deleted. Vetting both crawls finds the notes whose
    # counts fell, and only on creators who bought engagement.
    first, second, truth = tmp_path / "crawl1.csv", tmp_path / "crawl2.csv", tmp_path / "truth.csv"
    res = runner.invoke(app, ["sample", "-n", "300", "-o", str(first), "--recrawl", str(second), "--truth", str(truth)])
    assert res.exit_code == 0, res.output
    assert f"kolvet vet {first} {second}" in res.output
    one, two = pl.read_csv(first), pl.read_csv(second)
    assert one.get_column("snapshot_at").n_unique() == 1 and two.get_column("snapshot_at").n_unique() == 1
    assert 0 < one.height - two.height < one.height * 0.01  # a few deleted

    ranked, notes = tmp_path / "ranked.csv", tmp_path / "notes.csv"
    res = runner.invoke(app, ["vet", str(first), str(second), "-o", str(ranked), "--posts-out", str(notes), "-q"])
    assert res.exit_code == 0, res.output
    out = pl.read_csv(ranked)
    assert out.height == out.get_column("creator_id").n_unique() == 300
    labels = pl.read_csv(truth).select("creator_id", "pattern")
    fell = pl.read_csv(notes).filter(pl.col("counts_went_down")).join(labels, on="creator_id")
    assert fell.height > 0
    assert set(fell.get_column("pattern")) <= {"bought_likes", "save_farming", "comment_farm", "boosted_burst"}
    purged = out.filter(pl.col("fraud_pattern") == "purged or deleted").join(labels, on="creator_id")
    assert purged.height > 0 and (purged.get_column("pattern") != "none").all()

    # The same seed writes the same bytes.
    again = tmp_path / "again.csv"
    runner.invoke(app, ["sample", "-n", "300", "-o", str(tmp_path / "x.csv"), "--recrawl", str(again)])
    assert again.read_bytes() == second.read_bytes()


def _exports(tmp_path, floors: bool, followers: bool) -> tuple[str, str]:
    """The same notes twice: exact counts with followers, and another tool's export of them,
    with floors ("1千+", "10+") and/or without the followers column."""
    head = [S.CREATOR_ID, S.POST_ID, S.POSTED_AT, S.FOLLOWERS, S.LIKES, S.SAVES, S.COMMENTS, S.SHARES]
    rows = [[f"c{c}", f"c{c}-{i}", f"2025-05-{i + 1:02d} 12:00:00", 5000 + 900 * c, 300 + 140 * i + 50 * c, 60 + 9 * i, 12 + i, 5]
            for c in range(6) for i in range(8)]

    def floor(n: int) -> str:
        return f"{n // 1000}千+" if n >= 1000 else f"{n // 10 * 10}+" if n >= 10 else str(n)

    other = [r[:4] + [floor(v) if floors else v for v in r[4:]] for r in rows]
    if not followers:
        other = [r[:3] + r[4:] for r in other]
    paths = []
    for name, header, body in (("exact.csv", head, rows), ("other.csv", head if followers else head[:3] + head[4:], other)):
        with open(tmp_path / name, "w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows([header, *body])
        paths.append(str(tmp_path / name))
    return paths[0], paths[1]


def test_two_exports_of_the_same_notes_rank_alike_in_either_order(tmp_path):
    """Floors are not drops, and the exact copy wins over the floored one whichever is read last;
    a copy without followers doesn't blank the creator's size."""
    for floors, followers in ((True, True), (False, False), (True, False)):
        exact, other = _exports(tmp_path, floors, followers)
        ranked = []
        for order in ((exact, other), (other, exact)):
            out = tmp_path / "ranked.csv"
            res = runner.invoke(app, ["vet", *order, "-o", str(out), "--posts-out", str(tmp_path / "notes.csv")])
            assert res.exit_code == 0, res.output
            assert "48 older snapshots (or copies) of notes or profiles replaced" in res.output
            notes = pl.read_csv(tmp_path / "notes.csv")
            assert not notes.get_column(S.COUNT_DROPPED).any(), (floors, followers, order)
            assert notes.get_column("reach").null_count() == 0  # rates per follower on every note
            if floors:  # the exact copy was kept
                assert notes.get_column(S.SOURCE).str.ends_with("exact.csv").all()
            ranked.append(out.read_bytes())
            rejected = pl.read_csv(tmp_path / "ranked.rejected.csv")
            assert set(rejected.get_column("reason")) <= {
                "duplicate post_id: another copy of the note (none newer: kept the one with exact counts)",
                "duplicate post_id: another copy of the note (none newer: kept the one read last)"}
        assert ranked[0] == ranked[1], (floors, followers)
        assert b"insufficient_data" not in ranked[0]
