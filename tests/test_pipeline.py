"""End to end through the pipeline: generated data to a ranked table."""

from __future__ import annotations

import csv
import re
from dataclasses import replace

import polars as pl
import pytest

from kolvet import export, pipeline
from kolvet.config import Config
from tests.conftest import loaded_from_frame, post, write_csv


def test_every_creator_appears_exactly_once(vetted_300, world_300):
    posts, truth = world_300
    ids = vetted_300.creators.get_column("creator_id")
    assert ids.n_unique() == ids.len() == truth.height
    assert set(ids) == set(posts.get_column("creator_id"))


def test_rank_is_a_permutation_and_scores_are_in_range(vetted_300):
    c = vetted_300.creators
    assert sorted(c.get_column("rank").to_list()) == list(range(1, c.height + 1))
    scores = c.get_column("score").drop_nulls()
    assert scores.min() >= 0 and scores.max() <= 100
    fraud = c.get_column("fraud_score").drop_nulls()
    assert fraud.min() >= 0 and fraud.max() <= 1


def test_head_columns_are_fixed(vetted_300):
    table = export.ranked_table(vetted_300)
    assert tuple(table.columns[:14]) == export.HEAD


def test_too_few_notes_is_insufficient_data_never_dropped(tmp_path):
    rows = [post("steady", i, 100, 40, 10, day=i + 1) for i in range(12)] + [post("newbie", 0, 50, 20, 5)]
    result = pipeline.vet([write_csv(tmp_path / "p.csv", rows)])
    verdicts = dict(result.creators.select("creator_id", "verdict").iter_rows())
    assert verdicts["newbie"] == "insufficient_data"
    assert result.creators.filter(pl.col("creator_id") == "newbie").get_column("rank").item() == 2
    # Its one note's rates are shown; what would read as a judgement of it (a price per
    # engagement, a benchmark) is not.
    roster = tmp_path / "quotes.csv"
    roster.write_text("creator_id,quote\nsteady,800\nnewbie,800\n", encoding="utf-8")
    quoted = pipeline.vet([tmp_path / "p.csv"], creators_file=str(roster)).creators.sort("creator_id")
    assert quoted.select("creator_id", "cpe", "cost_per_save", "benchmark").rows()[0] == ("newbie", None, None, None)
    assert quoted.get_column("save_rate").null_count() == 0 and quoted.get_column("cpe").null_count() == 1


def test_flagged_creators_never_get_shortlist(vetted_300):
    flagged = vetted_300.creators.filter(pl.col("fraud_flag"))
    assert "shortlist" not in flagged.get_column("verdict").to_list()


def test_every_flag_has_reasons_with_numbers(vetted_300):
    flagged = vetted_300.creators.filter(pl.col("fraud_flag"))
    assert flagged.height > 0
    for reasons in flagged.get_column("fraud_reasons"):
        assert reasons and any(ch.isdigit() for ch in reasons)


def test_two_runs_give_identical_bytes(tmp_path, sample_csv):
    import zipfile

    first, second = pipeline.vet([sample_csv]), pipeline.vet([sample_csv])
    for ext in ("csv", "parquet", "json", "xlsx"):
        a, b = tmp_path / f"a.{ext}", tmp_path / f"b.{ext}"
        export.write_result(first, a)
        export.write_result(second, b)
        assert a.read_bytes() == b.read_bytes(), ext
    # A workbook's properties hold a creation time: a fixed one, not the clock.
    with zipfile.ZipFile(tmp_path / "a.xlsx") as book:
        assert "2000-01-01T00:00:00Z" in book.read("docProps/core.xml").decode()


def test_outputs_are_checked_before_any_work(tmp_path, sample_csv):
    """Two outputs on one file, a folder for a file, a missing folder: refused up front."""
    from kolvet.errors import KolvetError

    cases = [
        ({"out": tmp_path / "r.csv", "posts_out": tmp_path / "r.csv"}, "named for both the ranked and the posts"),
        ({"out": tmp_path / "r.csv", "posts_out": tmp_path / "r.meta.json"}, "named for both the meta and the posts"),
        ({"out": tmp_path / "r.csv", "posts_out": tmp_path / "r.rejected.csv"}, "named for both the rejected and the posts"),
        ({"out": tmp_path}, "is a folder; name a file in it"),
        ({"out": tmp_path / "r.csv", "posts_out": tmp_path / "nodir" / "p.csv"}, "folder"),
        ({"out": tmp_path / "r.csv", "posts_out": tmp_path / "p.txt"}, "unsupported output format .txt"),
        ({"out": sample_csv / "r.csv"}, "is a file, not a folder"),
        ({"out": tmp_path / ("a" * 250 + ".csv")}, "too long"),
    ]
    for kwargs, message in cases:
        with pytest.raises(KolvetError, match=re.escape(message)):
            export.check_outputs(inputs={sample_csv.resolve()}, **kwargs)
    assert not list(tmp_path.iterdir())


def test_rejected_rows_are_written_beside_the_output(tmp_path):
    rows = [post("a", i, 10, 5, 1, day=i + 1) for i in range(6)]
    rows[2]["likes"] = "many"
    result = pipeline.vet([write_csv(tmp_path / "p.csv", rows)])
    written = export.write_result(result, tmp_path / "out.csv")
    rejected = pl.read_csv(written["rejected"])
    assert rejected.select("row", "reason").rows() == [(3, "likes: not a count")]
    assert result.rejected_by_reason() == [("likes: not a count", 1)]


def test_outputs_by_extension(tmp_path, vetted_300):
    for ext in ("csv", "parquet", "json", "xlsx"):
        path = export.write_result(vetted_300, tmp_path / f"r.{ext}")["ranked"]
        assert path.exists() and path.stat().st_size > 0
    back = pl.read_parquet(tmp_path / "r.parquet")
    assert back.height == vetted_300.creators.height
    assert pl.read_excel(tmp_path / "r.xlsx").height == vetted_300.creators.height


def test_followers_missing_and_no_views_is_insufficient_not_dropped():
    frame = pl.DataFrame({
        "creator_id": ["x"] * 6, "post_id": [f"p{i}" for i in range(6)],
        "posted_at": pl.datetime_range(pl.datetime(2025, 1, 1), pl.datetime(2025, 1, 6), "1d", eager=True),
        "likes": [10] * 6, "saves": [5] * 6, "comments": [1] * 6,
    })
    result = pipeline.vet_loaded(loaded_from_frame(frame), Config())
    row = result.creators.row(0, named=True)
    assert row["verdict"] == "insufficient_data"
    assert "no follower count" in row["verdict_reason"] and "--creators" in row["verdict_reason"]  # what to do about it


def test_times_and_whole_prices_read_as_such_in_a_spreadsheet(tmp_path, vetted_300):
    # Excel and WPS read "2025-06-25 23:55:02" as a date; ISO's "T" and microseconds stay text.
    # A price of 300 元 is 300, not 300.0.
    quoted = replace(vetted_300, creators=vetted_300.creators.with_columns(
        pl.when(pl.col("rank") == 1).then(300.0).otherwise(None).alias("quote")))
    export.write_result(quoted, tmp_path / "r.csv")
    row = next(csv.DictReader((tmp_path / "r.csv").open(encoding="utf-8-sig")))
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", row["last_post_at"]), row["last_post_at"]
    assert row["quote"] == "300"
    export.write_result(quoted, tmp_path / "r.xlsx")
    back = pl.read_excel(tmp_path / "r.xlsx", sheet_name="ranking")
    assert back.schema["last_post_at"].is_temporal()
    assert back.get_column("last_post_at").drop_nulls().len() == vetted_300.creators.get_column("last_post_at").drop_nulls().len()


def test_an_xlsx_ranking_opens_ready_to_sort_and_filter(tmp_path, vetted_300):
    """Filter buttons on the header, columns sized to their content, rates shown as % (the
    values stay the fractions the CSV holds)."""
    import zipfile

    out = export.write_result(vetted_300, tmp_path / "r.xlsx")["ranked"]
    with zipfile.ZipFile(out) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode("utf-8")
        styles = book.read("xl/styles.xml").decode("utf-8")
    width = export.ranked_table(vetted_300).width
    assert re.search(rf'<autoFilter ref="A1:[A-Z]+{vetted_300.creators.height + 1}"/>', sheet)
    widths = [float(w) for w in re.findall(r'<col min="\d+" max="\d+" width="([\d.]+)"', sheet)]
    assert widths and all(6 <= w <= 61 for w in widths) and len(set(widths)) > 3
    assert 'formatCode="0.00%"' in styles
    back = pl.read_excel(out, sheet_name="ranking")
    assert back.width == width
    assert back.get_column("save_rate").to_list() == export.ranked_table(vetted_300).get_column("save_rate").to_list()


def test_a_creator_whose_every_note_was_set_aside_keeps_its_name_and_size(tmp_path):
    """Listed as insufficient_data, but still recognisable in the ranking: the nickname and
    followers its set-aside rows carried, as the rejected file shows them."""
    path = tmp_path / "notes.csv"
    path.write_text("creator_id,nickname,followers,post_id,posted_at,likes,saves,comments\n"
                    "a,Alice,1200,p1,2025-06-01,10,5,1\n"
                    "b,Bob,1.2万,q1,2025-06-01,lots,5,1\n"
                    "b,Bob,1.2万,q2,2025-06-02,many,5,1\n", encoding="utf-8")
    result = pipeline.vet([path])
    bob = result.creators.filter(pl.col("creator_id") == "b").row(0, named=True)
    assert (bob["nickname"], bob["followers"], bob["verdict"]) == ("Bob", 12000, "insufficient_data")
    assert result.rejected.get_column("nickname").to_list() == ["Bob", "Bob"]


def test_a_follower_floor_is_read_as_a_floor(tmp_path, world_300):
    """A creator whose followers are written "1万+" has at least 10,000: per follower its
    engagement can't be shown too high for its size (the same notes on an exact 10,000 read as
    bought likes), nor can it be shortlisted on rates per follower that only bound the truth."""
    posts, _ = world_300
    sizes = posts.group_by("creator_id").agg(pl.col("followers").max(), pl.len()).filter(pl.col("len") >= 10)
    biggest = sizes.sort("followers", "creator_id", descending=[True, False]).item(0, "creator_id")
    assert sizes.get_column("followers").max() >= 500_000  # written as 1万+, 50x and more too small
    notes = posts.drop("views").with_columns(pl.col("followers").cast(pl.String))
    got = {}
    for written in ("10000", "1万+"):
        path = tmp_path / f"{written}.csv"
        notes.with_columns(pl.when(pl.col("creator_id") == biggest).then(pl.lit(written))
                           .otherwise(pl.col("followers")).alias("followers")).write_csv(path)
        got[written] = pipeline.vet([path]).creators.filter(pl.col("creator_id") == biggest).row(0, named=True)
    exact, floor = got["10000"], got["1万+"]
    assert exact["followers_floor"] is False and floor["followers_floor"] is True
    assert exact["fraud_flag"] and re.search(r"is \d+x .*expected for its size", exact["fraud_reasons"])
    assert not floor["fraud_flag"] and "expected for its size" not in floor["fraud_reasons"]
    assert floor["verdict"] != "shortlist" and floor["score"] >= 60  # its score alone would shortlist it
    assert "followers written as a floor (at least 10,000)" in floor["verdict_reason"]


def test_an_exact_follower_count_beats_a_roster_floor_that_agrees(tmp_path):
    """The notes say 105,680 followers, the roster "10万+": both are right, and the exact one is
    used. A roster count that can't be the notes' still wins (the user's roster is the word)."""
    notes = write_csv(tmp_path / "notes.csv", [post(c, i, 120 + 9 * i, 40, 8, followers=105_680)
                                               for c in ("a", "b") for i in range(6)])
    roster = tmp_path / "roster.csv"
    roster.write_text("creator_id,粉丝数量\na,10万+\nb,9.8万\n", encoding="utf-8")
    got = pipeline.vet([notes], creators_file=str(roster)).creators.sort("creator_id")
    assert got.select("creator_id", "followers", "followers_floor").rows() == [("a", 105_680, False), ("b", 98_000, False)]
