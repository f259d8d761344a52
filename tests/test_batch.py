"""`kolvet batch`: many rosters, one cohort, a ranked file per roster, the summary, fault
isolation, exit codes, --previous changes, --xlsx, progress and atomic writes (issue 7)."""

from __future__ import annotations

import io as _io
import re
from pathlib import Path

import polars as pl
import pytest
from rich.console import Console
from typer.testing import CliRunner

from kolvet import batch as B
from kolvet import export, io, pipeline, synth
from kolvet.cli import app
from kolvet.config import Config
from tests.conftest import post, write_csv

runner = CliRunner()


def roster_posts(creators: int, seed: int, fake_rate: float = 0.08) -> pl.DataFrame:
    posts, _ = synth.generate(synth.sample_world(creators, seed=seed, fake_rate=fake_rate))
    return posts


def ids_of(frame: pl.DataFrame) -> set[str]:
    return set(frame.get_column("creator_id").to_list())


def read_ranked(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, schema_overrides={"creator_id": pl.String, "also_in": pl.String, "change": pl.String})


@pytest.fixture(scope="module")
def rosters(tmp_path_factory) -> dict[str, Path]:
    """Three agencies in three formats (a CSV, a folder of two CSVs, a workbook) and a corrupt file."""
    base = tmp_path_factory.mktemp("rosters")
    north = roster_posts(30, seed=11)
    north.write_csv(base / "agency_north.csv")
    south = roster_posts(30, seed=12)
    (base / "agency_south").mkdir()
    first = set(sorted(ids_of(south))[:15])
    south.filter(pl.col("creator_id").is_in(first)).write_csv(base / "agency_south" / "part1.csv")
    south.filter(~pl.col("creator_id").is_in(first)).write_csv(base / "agency_south" / "part2.csv")
    io.write_frame(roster_posts(30, seed=13), base / "agency_east.xlsx")
    (base / "broken.csv").write_bytes(b"creator_id,post_id\n\x00\x01\x02 not a table")
    return {"agency_north": base / "agency_north.csv", "agency_south": base / "agency_south",
            "agency_east": base / "agency_east.xlsx", "broken": base / "broken.csv"}


@pytest.fixture(scope="module")
def first_run(rosters, tmp_path_factory):
    out = tmp_path_factory.mktemp("batch") / "out"
    res = runner.invoke(app, ["batch", *map(str, rosters.values()), "--out-dir", str(out), "--xlsx"])
    return res, out


# ---- 1. a ranked file per roster, one summary ----------------------------------------------

def test_each_roster_gets_its_own_ranked_file_named_after_it(first_run, rosters):
    res, out = first_run
    for name in ("agency_north", "agency_south", "agency_east"):
        table = read_ranked(out / f"{name}.ranked.csv")
        assert table.get_column("rank").to_list() == list(range(1, table.height + 1))
        assert table.columns[:2] == ["rank", "creator_id"]
        assert table.get_column("creator_id").n_unique() == table.height  # each creator exactly once
    north = read_ranked(out / "agency_north.ranked.csv")
    assert ids_of(north) == ids_of(pl.read_csv(rosters["agency_north"], schema_overrides={"creator_id": pl.String}))
    south_ids = set().union(*(ids_of(pl.read_csv(p, schema_overrides={"creator_id": pl.String}))
                              for p in rosters["agency_south"].glob("*.csv")))
    assert ids_of(read_ranked(out / "agency_south.ranked.csv")) == south_ids  # a folder is one roster
    assert not (out / "broken.ranked.csv").exists()
    assert f"wrote {out / 'summary.csv'}" in res.output


def test_summary_has_a_row_per_roster_that_matches_its_ranked_file(first_run):
    _, out = first_run
    summary = pl.read_csv(out / "summary.csv")
    assert summary.columns[:len(B.SUMMARY_COLUMNS)] == list(B.SUMMARY_COLUMNS)
    assert summary.get_column("roster").to_list() == ["agency_north", "agency_south", "agency_east", "broken"]
    for row in summary.filter(pl.col("status") == "ok").iter_rows(named=True):
        table = read_ranked(out / f"{row['roster']}.ranked.csv")
        verdicts = dict(table.group_by("verdict").len().iter_rows())
        assert row["creators"] == table.height
        assert (row["shortlisted"], row["review"], row["rejected"], row["insufficient_data"]) == tuple(
            verdicts.get(v, 0) for v in ("shortlist", "review", "reject", "insufficient_data"))
        assert row["flagged"] == table.get_column("fraud_flag").sum()
        judged = table.filter(pl.col("verdict") != "insufficient_data").get_column("score")
        assert row["median_score"] == pytest.approx(round(judged.median(), 1))
        top = table.row(0, named=True)
        assert row["top_creator"] == f"{top['nickname']} ({top['creator_id']})"


def test_rosters_are_scored_as_one_combined_cohort(first_run, rosters):
    """The same scores, fraud scores and peer percentiles as vetting every roster together."""
    _, out = first_run
    together = pipeline.vet([rosters[n] for n in ("agency_north", "agency_south", "agency_east")])
    expected = together.creators.select("creator_id", "score", "fraud_score", "peer_percentile", "verdict")
    for name in ("agency_north", "agency_south", "agency_east"):
        table = read_ranked(out / f"{name}.ranked.csv")
        got = table.select("creator_id", "score", "fraud_score", "peer_percentile", "verdict")
        joined = got.join(expected, on="creator_id", suffix="_together")
        assert joined.height == table.height
        assert (joined["score"] - joined["score_together"]).abs().max() < 1e-9
        assert (joined["fraud_score"] - joined["fraud_score_together"].round(3)).abs().max() < 1e-9
        assert joined["peer_percentile"].to_list() == joined["peer_percentile_together"].to_list()
        assert joined["verdict"].to_list() == joined["verdict_together"].to_list()
        # ranked within the roster in the cohort's order
        cohort_rank = dict(together.creators.select("creator_id", "rank").iter_rows())
        order = [cohort_rank[c] for c in table.get_column("creator_id")]
        assert order == sorted(order)


def test_roster_names_are_stems_or_folder_names_made_unique(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    names = B.roster_names([tmp_path / "north.csv", tmp_path / "a" / "North.xlsx", tmp_path / "a",
                            tmp_path / "b" / "north.csv", str(tmp_path / "b") + "/", tmp_path / "creators_file.csv"])
    assert names == ["north", "North-2", "a", "north-3", "b", "creators_file-2"]  # creators_file.rejected.csv is taken


# ---- 3. fault isolation and exit codes ------------------------------------------------------

def test_an_unreadable_roster_is_reported_while_the_others_complete(first_run):
    res, out = first_run
    assert res.exit_code == 1
    assert "Traceback" not in res.output
    broken = pl.read_csv(out / "summary.csv").filter(pl.col("roster") == "broken").row(0, named=True)
    assert broken["status"] == "failed"
    path, _, reason = broken["problems"].partition(": ")  # one line: the file, then why
    assert path.endswith("broken.csv") and reason and "\n" not in reason
    assert broken["creators"] is None
    assert pl.read_csv(out / "summary.csv").filter(pl.col("status") == "ok").height == 3


@pytest.mark.parametrize("content, reason", [
    (b"creator_id,post_id,posted_at,likes,comments\na,1,2025-01-01,5,1\n", "no column for saves"),
    (b"creator_id,post_id,posted_at,likes,saves,comments\n\xff\xfe\xfa,1,2025-01-01,5,1,1\n", "encoding"),
    (b"PK\x03\x04 this is not really a workbook", "can't read as a workbook"),
])
def test_each_kind_of_unreadable_roster_is_isolated(tmp_path, content, reason):
    roster_posts(30, seed=21).write_csv(tmp_path / "good.csv")
    bad = tmp_path / ("bad.xlsx" if content.startswith(b"PK") else "bad.csv")
    bad.write_bytes(content)
    report = B.run_batch([tmp_path / "good.csv", bad], tmp_path / "out", Config(), quiet=True)
    assert report.failed == 1
    rows = {r["roster"]: r for r in report.summary.iter_rows(named=True)}
    assert rows["good"]["status"] == "ok" and rows["good"]["creators"] == 30
    assert rows["bad"]["status"] == "failed" and reason in rows["bad"]["problems"] and str(bad) in rows["bad"]["problems"]


def test_exit_code_is_0_when_all_went_well_and_3_for_flagged_with_fail_on_flagged(tmp_path):
    for seed in (31, 32):
        roster_posts(40, seed=seed, fake_rate=0.2).write_csv(tmp_path / f"r{seed}.csv")
    args = ["batch", str(tmp_path / "r31.csv"), str(tmp_path / "r32.csv"), "--out-dir", str(tmp_path / "out"), "-q"]
    ok = runner.invoke(app, args)
    assert ok.exit_code == 0, ok.output
    summary = pl.read_csv(tmp_path / "out" / "summary.csv")
    assert summary.get_column("flagged").sum() > 0  # a fifth of these creators bought engagement
    flagged = runner.invoke(app, [*args, "--fail-on-flagged"])
    assert flagged.exit_code == 3
    (tmp_path / "r33.csv").write_text("")  # a failed roster outranks flagged creators: exit 1
    assert runner.invoke(app, [*args, str(tmp_path / "r33.csv"), "--fail-on-flagged"]).exit_code == 1


def test_fail_on_flagged_passes_when_nobody_is_flagged(tmp_path):
    rows = [post(f"c{c}", i, likes=100 + c, saves=50, comments=10, day=i + 1) for c in range(3) for i in range(8)]
    write_csv(tmp_path / "tiny.csv", rows)
    report = B.run_batch([tmp_path / "tiny.csv"], tmp_path / "out", Config(), quiet=True)
    assert report.flagged == 0 and report.summary.get_column("flagged").to_list() == [0]
    res = runner.invoke(app, ["batch", str(tmp_path / "tiny.csv"), "--out-dir", str(tmp_path / "out"), "--fail-on-flagged", "-q"])
    assert res.exit_code == 0, res.output


def test_a_failed_rosters_old_ranked_file_is_removed(tmp_path):
    roster_posts(30, seed=41).write_csv(tmp_path / "north.csv")
    out = tmp_path / "out"
    B.run_batch([tmp_path / "north.csv"], out, Config(), quiet=True)
    assert (out / "north.ranked.csv").exists()
    (tmp_path / "north.csv").write_text("not,a,roster\n1,2,3\n")
    report = B.run_batch([tmp_path / "north.csv"], out, Config(), quiet=True)
    assert report.failed == 1
    assert not (out / "north.ranked.csv").exists()  # last month's file would pass for this month's


# ---- shared creators and set-aside rows -----------------------------------------------------

def test_a_creator_on_two_rosters_is_scored_once_and_listed_in_both(tmp_path):
    north, south = roster_posts(30, seed=51), roster_posts(30, seed=52)
    shared = sorted(ids_of(north))[0]
    north.write_csv(tmp_path / "north.csv")
    pl.concat([south, north.filter(pl.col("creator_id") == shared)]).write_csv(tmp_path / "south.csv")
    report = B.run_batch([tmp_path / "north.csv", tmp_path / "south.csv"], tmp_path / "out", Config(), quiet=True)
    a = report.tables["north"].filter(pl.col("creator_id") == shared).row(0, named=True)
    b = report.tables["south"].filter(pl.col("creator_id") == shared).row(0, named=True)
    assert a["score"] == b["score"] and a["fraud_score"] == b["fraud_score"]
    assert a["n_posts_total"] == north.filter(pl.col("creator_id") == shared).height  # the notes count once
    assert (a["also_in"], b["also_in"]) == ("south", "north")
    assert report.tables["north"].filter(pl.col("creator_id") != shared).get_column("also_in").null_count() == 29
    assert report.summary.get_column("shared_creators").to_list() == [1, 1]
    assert report.result.creators.height == 60 and report.tables["south"].height == 31


def test_rosters_that_number_their_notes_alike_keep_every_note(tmp_path):
    """Agencies number notes 1, 2, 3...: only a note of the same creator is the same note."""
    for name in ("x", "y"):
        rows = [post(f"{name}{c}", i, 100 + 7 * c + i, 40 + c, 9, day=i + 1) for c in range(4) for i in range(6)]
        for r in rows:
            r["post_id"] = str(int(r["post_id"].rsplit("-", 1)[1]) + 1)
        write_csv(tmp_path / f"{name}.csv", rows)
    report = B.run_batch([tmp_path / "x.csv", tmp_path / "y.csv"], tmp_path / "out", Config(), quiet=True)
    for table in report.tables.values():
        assert table.get_column("n_posts_total").to_list() == [6, 6, 6, 6]


def test_rows_set_aside_are_written_per_roster_and_counted_in_problems(tmp_path):
    rows = [post(f"c{c}", i, 100, 40, 9, day=i + 1) for c in range(3) for i in range(6)]
    rows[0]["saves"] = "lots"
    rows[1]["posted_at"] = "yesterday"
    write_csv(tmp_path / "messy.csv", rows)
    roster_posts(30, seed=61).write_csv(tmp_path / "clean.csv")
    out = tmp_path / "out"
    report = B.run_batch([tmp_path / "messy.csv", tmp_path / "clean.csv"], out, Config(), quiet=True)
    rejected = pl.read_csv(out / "messy.rejected.csv")
    assert sorted(rejected.get_column("reason").to_list()) == ["posted_at: not a date", "saves: not a count"]
    messy = report.summary.row(0, named=True)
    assert messy["status"] == "ok" and messy["rows_set_aside"] == 2
    assert "2 rows set aside" in messy["problems"] and "messy.rejected.csv" in messy["problems"]
    assert not (out / "clean.rejected.csv").exists()
    write_csv(tmp_path / "messy.csv", [post(f"c{c}", i, 100, 40, 9, day=i + 1) for c in range(3) for i in range(6)])
    B.run_batch([tmp_path / "messy.csv", tmp_path / "clean.csv"], out, Config(), quiet=True)
    assert not (out / "messy.rejected.csv").exists()  # fixed since: no stale file


def test_files_skipped_inside_a_roster_folder_are_named_in_problems(tmp_path):
    folder = tmp_path / "agency_west"
    folder.mkdir()
    roster_posts(30, seed=62).write_csv(folder / "notes.csv")
    (folder / "prices.csv").write_text("name,price\nx,1\n")
    res = runner.invoke(app, ["batch", str(folder), "--out-dir", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    row = pl.read_csv(tmp_path / "out" / "summary.csv").row(0, named=True)
    # Vetted without one of its files: said in status, not only in problems.
    assert row["status"] == "files skipped" and row["creators"] == 30
    assert row["problems"].startswith("1 file skipped (prices.csv: no column for creator_id")
    # On screen, each roster's problems get a line of their own below the table.
    assert "\nagency_west (files skipped): 1 file skipped (prices.csv: no column for creator_id" in res.output


def test_a_roster_folders_images_are_no_skipped_table(tmp_path):
    """A crawl folder's note images are not tables the roster was vetted without."""
    folder = tmp_path / "agency_east"
    (folder / "images").mkdir(parents=True)
    roster_posts(30, seed=63).write_csv(folder / "notes.csv")
    for name in ("a.jpg", "b.jpg", "cover.png"):
        (folder / "images" / name).write_bytes(b"\xff\xd8")
    res = runner.invoke(app, ["batch", str(folder), "--out-dir", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    row = pl.read_csv(tmp_path / "out" / "summary.csv").row(0, named=True)
    assert row["status"] == "ok" and row["creators"] == 30 and row["problems"] is None


def test_a_roster_given_twice_is_refused(tmp_path):
    """Its creators would sit twice among everyone's peers."""
    roster_posts(30, seed=63).write_csv(tmp_path / "south.csv")
    res = runner.invoke(app, ["batch", str(tmp_path / "south.csv"), str(tmp_path / "." / "south.csv"),
                              "--out-dir", str(tmp_path / "out")])
    assert res.exit_code == 1 and "given twice as a roster" in res.stderr
    assert not (tmp_path / "out").exists()


def test_a_shared_creators_table_is_read_once_for_every_roster(tmp_path):
    north, south = roster_posts(30, seed=71), roster_posts(30, seed=72)
    north.write_csv(tmp_path / "north.csv")
    south.write_csv(tmp_path / "south.csv")
    quotes = pl.DataFrame({"creator_id": sorted(ids_of(north) | ids_of(south))}).with_columns(pl.lit(2000.0).alias("quote"))
    quotes.write_csv(tmp_path / "quotes.csv")
    res = runner.invoke(app, ["batch", str(tmp_path / "north.csv"), str(tmp_path / "south.csv"),
                              "--creators", str(tmp_path / "quotes.csv"), "--out-dir", str(tmp_path / "out"), "-q"])
    assert res.exit_code == 0, res.output
    for name in ("north", "south"):
        table = read_ranked(tmp_path / "out" / f"{name}.ranked.csv")
        assert table.get_column("quote").to_list() == [2000.0] * 30
        assert table.get_column("cpe").null_count() < 30
    assert not (tmp_path / "out" / "creators_file.rejected.csv").exists()
    # a row of the creators table that can't be used is set aside and shown, never dropped
    pl.concat([quotes.with_columns(pl.lit("2000").alias("followers")),
               pl.DataFrame({"creator_id": ["c071000000"], "quote": [2000.0], "followers": ["lots"]})]).write_csv(tmp_path / "quotes.csv")
    res = runner.invoke(app, ["batch", str(tmp_path / "north.csv"), "--creators", str(tmp_path / "quotes.csv"),
                              "--out-dir", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    assert f"wrote {tmp_path / 'out' / 'creators_file.rejected.csv'}" in res.output
    aside = pl.read_csv(tmp_path / "out" / "creators_file.rejected.csv")
    assert aside.height == 1 and "followers" in aside.get_column("reason")[0]
    # south's creators are in the table but on no roster given: looked up by none, and said so
    assert "--creators: 30 of the 60 creators in" in res.output and "are on no roster, so not vetted" in res.output
    assert "Are both keyed by the same id" not in res.output


def test_two_rosters_that_disagree_on_a_creator_say_so_where_they_lost(tmp_path):
    """Roster sheets inside two roster folders give one creator followers that can't both be
    right: the one read last is used, and the other roster sets its row aside and says why.
    Counts that agree ("1.5万" beside 14,518) are no conflict: the exact one is used."""
    notes = roster_posts(30, seed=81)
    ids = sorted(ids_of(notes))
    for name, fans in (("north", ["2634", "14518"]), ("south", ["10万+", "1.5万"])):
        (tmp_path / name).mkdir()
        notes.write_csv(tmp_path / name / "notes.csv")
        write_csv(tmp_path / name / "roster.csv", [{"creator_id": c, "粉丝数量": f} for c, f in zip(ids[:2], fans, strict=True)])
    report = B.run_batch([tmp_path / "north", tmp_path / "south"], tmp_path / "out", Config(), quiet=True)
    north = report.summary.row(0, named=True)
    assert north["rows_set_aside"] == 1 and report.summary.get_column("rows_set_aside").to_list()[1] == 0
    # The summary tallies reasons (which row was kept is each row's own); the file names it.
    assert "1 row set aside (duplicate creator_id: an earlier row with other values (kept the last) (1))" in north["problems"]
    aside = pl.read_csv(tmp_path / "out" / "north.rejected.csv", infer_schema=False)
    assert aside.select("creator_id", "followers").rows() == [(ids[0], "2634")]
    assert "(kept the last: " in aside.item(0, "reason")
    for table in report.tables.values():
        got = table.filter(pl.col("creator_id").is_in(ids[:2])).sort("creator_id")
        assert got.select("followers", "followers_floor").rows() == [(100_000, True), (14_518, False)]


def test_a_roster_sheet_alone_is_judged_on_the_notes_other_rosters_hold(tmp_path):
    """A brand's candidate list (creators, no notes) beside the agencies' crawls: its creators
    are judged on those notes, and the ones nobody has notes for are listed, not lost."""
    notes = roster_posts(30, seed=82)
    ids = sorted(ids_of(notes))
    notes.write_csv(tmp_path / "crawl.csv")
    write_csv(tmp_path / "candidates.csv", [{"博主ID": c, "图文报价": "800"} for c in [*ids[:3], "c_nobody"]])
    report = B.run_batch([tmp_path / "candidates.csv", tmp_path / "crawl.csv"], tmp_path / "out", Config(), quiet=True)
    row = report.summary.row(0, named=True)
    assert row["status"] == "ok" and row["creators"] == 4 and row["insufficient_data"] == 1
    assert row["problems"].startswith("no notes in its own files (creators only)")
    table = report.tables["candidates"].sort("creator_id")
    assert table.get_column("creator_id").to_list() == [*ids[:3], "c_nobody"]
    assert table.filter(pl.col("creator_id") == "c_nobody").item(0, "verdict_reason") == "no notes of this creator in the inputs"
    # Nobody's notes at all: nothing to judge on, so the rosters fail, saying why.
    res = runner.invoke(app, ["batch", str(tmp_path / "candidates.csv"), "--out-dir", str(tmp_path / "o2")])
    assert res.exit_code == 1 and "holds creators only" in pl.read_csv(tmp_path / "o2" / "summary.csv").item(0, "problems")


def test_a_roster_whose_notes_are_all_unusable_still_fails(tmp_path):
    notes = roster_posts(30, seed=83)
    notes.write_csv(tmp_path / "good.csv")
    notes.with_columns(pl.lit("abc").alias("likes")).write_csv(tmp_path / "bad.csv")
    report = B.run_batch([tmp_path / "bad.csv", tmp_path / "good.csv"], tmp_path / "out", Config(), quiet=True)
    assert report.summary.get_column("status").to_list() == ["failed", "ok"]
    assert "no usable notes, every row was set aside" in report.summary.item(0, "problems")


# ---- 4. re-vetting with --previous ---------------------------------------------------------

def _frame(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"rank": pl.Int64, "creator_id": pl.String, "score": pl.Float64,
                                      "fraud_flag": pl.Boolean, "verdict": pl.String, "also_in": pl.String},
                        orient="row")


def test_changes_name_what_moved(tmp_path):
    previous = _frame([(1, "a", 70.0, False, "shortlist", None), (2, "b", 55.0, False, "review", None),
                       (3, "c", 50.0, False, "review", None), (4, "d", 40.0, True, "review", None),
                       (5, "gone", 45.0, False, "review", None), (6, "=evil", 30.0, False, "reject", None)])
    current = _frame([(1, "b", 64.2, False, "shortlist", None), (2, "a", 69.5, False, "shortlist", None),
                      (3, "c", 20.0, True, "reject", None), (4, "d", 43.0, False, "review", None),
                      (5, "new", 35.0, False, "review", None), (6, "=evil", 30.0, False, "reject", None)])
    path = tmp_path / "roster.ranked.csv"  # written guarded ('=evil), read back as the batch does
    io.write_frame(export.guard_formulas(previous), path)
    table = B.add_changes(current, B.previous_creators(io.read_previous(path)))
    change = dict(table.select("creator_id", "change").iter_rows())
    assert change["b"] == "score +9.2; review -> shortlist"
    assert change["a"] == "unchanged"  # -0.5: the cohort moving a little is not news
    assert change["c"] == "newly flagged; score -30.0; review -> reject"
    assert change["d"] == "flag cleared; score +3.0"
    assert change["new"] == "new"
    assert change["=evil"] == "unchanged"
    dropped = table.filter(pl.col("rank").is_null())
    assert dropped.get_column("creator_id").to_list() == ["gone"]
    assert dropped.get_column("change").to_list() == ["dropped (was rank 5, score 45.0, review)"]
    assert table.columns == [*current.columns[:-1], "also_in", "change"]
    assert B.change_counts(table) == {"new": 1, "dropped": 1, "newly_flagged": 1, "score_up": 2, "score_down": 1}


def test_a_score_that_moved_with_its_peers_says_so():
    """Scores are relative to peers: when a creator's own notes give the same figures as last
    time, a move came from the cohort, and the change says so and isn't counted as a move.
    Notes boosted above the median leave the medians as they were, not the saves/likes."""
    def with_figures(frame: pl.DataFrame, save_like: list[float]) -> pl.DataFrame:
        figures = {c: pl.Series(c, [0.25, 0.5, 0.75], pl.Float64) for c in B.OWN_DATA}
        figures["save_like_ratio"] = pl.Series("save_like_ratio", save_like, pl.Float64)
        figures["followers"] = pl.Series("followers", [5000, None, 800], pl.Int64)
        return frame.with_columns(*figures.values())

    rows = [(1, "a", 70.0, False, "shortlist", None), (2, "b", 60.0, False, "review", None),
            (3, "c", 50.0, False, "review", None)]
    before = with_figures(_frame(rows), [0.4, 0.5, 0.6])
    moved = [(1, "a", 72.5, False, "shortlist", None), (2, "b", 30.0, True, "reject", None),
             (3, "c", 52.0, False, "review", None)]
    now = with_figures(_frame(moved), [0.4, 2.46, 0.6])
    change = dict(B.add_changes(now, before).select("creator_id", "change").iter_rows())
    assert change == {"a": "score +2.5 (peers moved; own notes the same)",
                      "b": "newly flagged; score -30.0; review -> reject",
                      "c": "score +2.0 (peers moved; own notes the same)"}
    counts = B.change_counts(B.add_changes(now, before))
    assert counts["score_up"] == 0 and counts["score_down"] == 1
    # An earlier file without one of the figures (an older kolvet's) can't show them unchanged.
    older = dict(B.add_changes(now, before.drop("weighted_rate")).select("creator_id", "change").iter_rows())
    assert older["a"] == "score +2.5"


def test_a_roster_new_to_the_batch_is_all_new():
    table = B.add_changes(_frame([(1, "a", 70.0, False, "shortlist", None)]), None)
    assert table.get_column("change").to_list() == ["new"]


def test_rerun_with_previous_adds_a_change_column(first_run, rosters, tmp_path):
    _, before = first_run
    north = pl.read_csv(rosters["agency_north"], schema_overrides={"creator_id": pl.String})
    ids = sorted(ids_of(north))
    newcomer = roster_posts(1, seed=81).with_columns(pl.col("posted_at").dt.to_string("%Y-%m-%dT%H:%M:%S"))
    pl.concat([north.filter(~pl.col("creator_id").is_in(ids[:2])), newcomer.select(pl.col(c).cast(north.schema[c]) for c in north.columns)]).write_csv(tmp_path / "agency_north.csv")
    after = tmp_path / "after"
    res = runner.invoke(app, ["batch", str(tmp_path / "agency_north.csv"), str(rosters["agency_south"]),
                              str(rosters["agency_east"]), "--out-dir", str(after), "--previous", str(before), "-q"])
    assert res.exit_code == 0, res.output
    old, new = read_ranked(before / "agency_north.ranked.csv"), read_ranked(after / "agency_north.ranked.csv")
    change = dict(new.select("creator_id", "change").iter_rows())
    assert change[ids_of(newcomer).pop()] == "new"
    for gone in ids[:2]:
        was = old.filter(pl.col("creator_id") == gone).row(0, named=True)
        assert change[gone] == f"dropped (was rank {was['rank']}, score {was['score']}, {was['verdict']})"
    # everyone else: the change says exactly what moved between the two files
    both = new.filter(pl.col("rank").is_not_null()).join(old, on="creator_id", suffix="_old")
    assert both.height == 28
    for r in both.iter_rows(named=True):
        unjudged = r["score"] is None or r["score_old"] is None  # insufficient_data has no score
        delta = 0.0 if unjudged else round(r["score"] - r["score_old"], 1)
        assert (f"score {delta:+.1f}" in r["change"]) == (abs(delta) >= 1.0), r
        assert ("newly flagged" in r["change"]) == (bool(r["fraud_flag"]) and not r["fraud_flag_old"])
        assert (r["change"] == "unchanged") == (abs(delta) < 1.0 and r["fraud_flag"] == r["fraud_flag_old"]
                                                and r["verdict"] == r["verdict_old"])
    summary = pl.read_csv(after / "summary.csv").row(0, named=True)
    assert (summary["creators"], summary["new"], summary["dropped"]) == (29, 1, 2)
    # the dropped rows are this run's report, not creators: the next re-vet ignores them
    again = tmp_path / "again"
    runner.invoke(app, ["batch", str(tmp_path / "agency_north.csv"), "--out-dir", str(again), "--previous", str(after), "-q"])
    assert "dropped" not in " ".join(read_ranked(again / "agency_north.ranked.csv").get_column("change").to_list())


def test_previous_can_be_the_same_folder(tmp_path):
    roster_posts(30, seed=91).write_csv(tmp_path / "north.csv")
    out = tmp_path / "out"
    B.run_batch([tmp_path / "north.csv"], out, Config(), quiet=True)
    report = B.run_batch([tmp_path / "north.csv"], out, Config(), previous=out, quiet=True)
    assert set(report.tables["north"].get_column("change")) == {"unchanged"}
    assert set(read_ranked(out / "north.ranked.csv").get_column("change")) == {"unchanged"}


def test_previous_with_other_rosters_says_the_cohort_moved(tmp_path):
    for name, seed in (("north", 93), ("south", 94)):
        roster_posts(30, seed=seed).write_csv(tmp_path / f"{name}.csv")
    out = tmp_path / "out"
    B.run_batch([tmp_path / "north.csv", tmp_path / "south.csv"], out, Config(), quiet=True)
    report = B.run_batch([tmp_path / "north.csv"], tmp_path / "again", Config(), previous=out, quiet=True)
    assert report.result.notices == [f"--previous: {out} vetted other rosters (no longer south), so peers differ: a "
                                     "creator's score and flag can move because the cohort did, not only because the creator did"]
    same = B.run_batch([tmp_path / "north.csv", tmp_path / "south.csv"], tmp_path / "same", Config(), previous=out, quiet=True)
    assert same.result.notices == []


def test_previous_folder_must_exist(tmp_path):
    roster_posts(30, seed=92).write_csv(tmp_path / "north.csv")
    res = runner.invoke(app, ["batch", str(tmp_path / "north.csv"), "--out-dir", str(tmp_path / "out"),
                              "--previous", str(tmp_path / "nope")])
    assert res.exit_code == 1 and "--previous" in res.output and res.output.strip().count("\n") == 0
    # A folder that isn't a batch's output (here the rosters' own) would make everyone "new".
    res = runner.invoke(app, ["batch", str(tmp_path / "north.csv"), "--out-dir", str(tmp_path / "out"),
                              "--previous", str(tmp_path)])
    assert res.exit_code == 1 and "not an earlier batch's output" in res.output


# ---- 5. one workbook ---------------------------------------------------------------------

def test_xlsx_has_the_summary_then_a_sheet_per_roster(first_run):
    _, out = first_run
    sheets = pl.read_excel(out / "batch.xlsx", sheet_id=0, infer_schema_length=0)
    assert list(sheets) == ["summary", "agency_north", "agency_south", "agency_east", "about"]
    assert sheets["summary"].height == 4
    for name in ("agency_north", "agency_south", "agency_east"):
        ranked = read_ranked(out / f"{name}.ranked.csv")
        assert sheets[name].columns == ranked.columns
        assert sheets[name].get_column("creator_id").to_list() == ranked.get_column("creator_id").to_list()


# ---- 2. progress ---------------------------------------------------------------------------

def test_progress_shows_on_a_terminal_and_never_when_quiet(tmp_path):
    roster_posts(30, seed=93).write_csv(tmp_path / "north.csv")
    shown = _io.StringIO()
    B.run_batch([tmp_path / "north.csv"], tmp_path / "a", Config(),
                console=Console(file=shown, force_terminal=True, width=100))
    assert "reading" in shown.getvalue() or "writing" in shown.getvalue()
    hidden = _io.StringIO()
    B.run_batch([tmp_path / "north.csv"], tmp_path / "b", Config(), quiet=True,
                console=Console(file=hidden, force_terminal=True, width=100))
    assert hidden.getvalue() == ""
    piped = _io.StringIO()  # not a terminal (a cron job's log): no bar either
    B.run_batch([tmp_path / "north.csv"], tmp_path / "c", Config(), console=Console(file=piped))
    assert piped.getvalue() == ""
    res = runner.invoke(app, ["batch", str(tmp_path / "north.csv"), "--out-dir", str(tmp_path / "d"), "--quiet"])
    assert res.exit_code == 0 and res.output == ""


# ---- 6. atomic writes --------------------------------------------------------------------

def test_an_interrupted_batch_leaves_no_summary_and_no_half_written_file(tmp_path, monkeypatch):
    for seed in (94, 95, 96):
        roster_posts(30, seed=seed).write_csv(tmp_path / f"r{seed}.csv")
    paths = [tmp_path / f"r{s}.csv" for s in (94, 95, 96)]
    out = tmp_path / "out"
    B.run_batch(paths, out, Config(), quiet=True)
    assert (out / "summary.csv").exists()
    before = (out / "r95.ranked.csv").read_bytes()

    real = pl.DataFrame.write_csv
    calls = {"n": 0}

    def dies_on_second_file(self, file=None, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:  # Ctrl-C halfway through writing the second roster's file
            Path(file).write_text("rank,creator_id\n1,half")
            raise KeyboardInterrupt
        return real(self, file, *args, **kwargs)

    monkeypatch.setattr(pl.DataFrame, "write_csv", dies_on_second_file)
    with pytest.raises(KeyboardInterrupt):
        B.run_batch(paths, out, Config(), quiet=True)
    monkeypatch.undo()
    assert not (out / "summary.csv").exists()  # no summary: this batch didn't complete
    assert (out / "r95.ranked.csv").read_bytes() == before  # the half-written file never replaced it
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]


def test_same_rosters_give_the_same_bytes(tmp_path):
    for seed in (97, 98):
        roster_posts(30, seed=seed).write_csv(tmp_path / f"r{seed}.csv")
    paths = [tmp_path / "r97.csv", tmp_path / "r98.csv"]
    B.run_batch(paths, tmp_path / "a", Config(), quiet=True)
    B.run_batch(paths, tmp_path / "b", Config(), quiet=True)
    for name in ("r97.ranked.csv", "r98.ranked.csv", "summary.csv", "batch.meta.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_out_dir_never_overwrites_an_input(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    roster_posts(30, seed=99).write_csv(out / "summary.csv")  # a roster that happens to live there
    before = (out / "summary.csv").read_bytes()
    res = runner.invoke(app, ["batch", str(out / "summary.csv"), "--out-dir", str(out)])
    assert res.exit_code == 2 and "input" in res.output
    assert (out / "summary.csv").read_bytes() == before
    assert re.search(r"summary\.csv", res.output)


def test_a_roster_creator_whose_every_note_was_set_aside_is_still_on_its_roster(tmp_path):
    north = roster_posts(30, seed=61)
    lost = north.get_column("creator_id").unique().sort()[0]
    north.with_columns(pl.when(pl.col("creator_id") == lost).then(pl.lit("bad")).otherwise(pl.col("likes").cast(pl.String))
                       .alias("likes")).write_csv(tmp_path / "north.csv")
    roster_posts(30, seed=62).write_csv(tmp_path / "south.csv")
    B.run_batch([tmp_path / "north.csv", tmp_path / "south.csv"], tmp_path / "out", Config(), quiet=True)
    table = read_ranked(tmp_path / "out" / "north.ranked.csv")
    assert table.height == 30 and ids_of(table) == set(north.get_column("creator_id").to_list())
    row = table.filter(pl.col("creator_id") == lost).row(0, named=True)
    assert row["verdict"] == "insufficient_data" and row["verdict_reason"].startswith("no usable notes: all ")
