"""The last-digit check: each notes file's exact counts should end in every digit equally."""

from __future__ import annotations

import json

import polars as pl
from typer.testing import CliRunner

from kolvet import digits as D
from kolvet import schema as S
from kolvet import synth
from kolvet.cli import app

runner = CliRunner()


def _notes(seed: int = 3) -> pl.DataFrame:
    posts, _ = synth.generate(synth.World(creators=150, seed=seed, fake_rate=0.08, honest_hard_rate=0.12))
    return posts


def _typed_by_hand(posts: pl.DataFrame) -> pl.DataFrame:
    """What a person writes into a media kit: likes and saves to the nearest 50."""
    return posts.with_columns(*(((pl.col(c) / 50).round() * 50).cast(pl.Int64) for c in (S.LIKES, S.SAVES)))


def _as_file(posts: pl.DataFrame, name: str, precision: int = S.EXACT) -> pl.DataFrame:
    return posts.with_columns(pl.lit(name).alias(S.SOURCE), pl.lit(precision, pl.UInt8).alias(S.PRECISION))


def test_counts_from_the_generator_pass_and_hand_rounded_ones_are_named_by_file():
    tally = D.add(D.tally(_as_file(_notes(), "crawl.csv")), D.tally(_as_file(_typed_by_hand(_notes(4)), "agency.xlsx")))
    checked, failed = D.check(tally)
    assert checked == 2
    assert [f.source for f in failed] == ["agency.xlsx"]
    assert failed[0].over[0] == 0 and failed[0].shares[0] > 0.3 and failed[0].p < 1e-6
    assert "rounded or typed by hand" in failed[0].text()
    assert D.summary(checked, failed).startswith("warning: 1 of 2 notes files checked: agency.xlsx: ")


def test_uneven_digits_other_than_0_and_5_are_not_called_rounding():
    """Someone making numbers up, avoiding round endings."""
    made_up = _notes().with_columns(*(pl.when(pl.col(c) % 5 == 0).then(pl.col(c) + 1).otherwise(pl.col(c)).alias(c)
                                      for c in (S.LIKES, S.SAVES, S.COMMENTS, S.SHARES)))
    _, failed = D.check(D.tally(_as_file(made_up, "kit.csv")))
    assert failed and not {0, 5} & set(failed[0].over)
    assert "edited or made up by hand" in failed[0].text()


def test_counts_rounded_by_the_app_are_not_held_against_the_file():
    """"1.2万" is the platform's rounding, not a person's: such notes are left out."""
    assert D.check(D.tally(_as_file(_typed_by_hand(_notes()), "crawl.json", S.ROUNDED))) == (0, [])
    assert D.summary(0, []).startswith("not checked")


def test_vet_warns_about_a_hand_typed_file_and_still_ranks_it(tmp_path):
    path = tmp_path / "media_kit[bold].csv"  # brackets in a name are shown, not taken for markup
    _typed_by_hand(_notes()).write_csv(path)
    out = tmp_path / "ranked.csv"
    res = runner.invoke(app, ["vet", str(path), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "warning last digits:" in res.output and "media_kit[bold].csv" in res.output
    meta = json.loads(out.with_name("ranked.meta.json").read_text(encoding="utf-8"))
    assert "rounded or typed by hand" in meta["last_digits"]
    assert pl.read_csv(out).height == 150


def test_a_hand_typed_copy_of_notes_crawled_since_is_still_checked(tmp_path):
    """Its notes are all older snapshots of the crawl's, so none of its rows is kept: the
    check reads every file as it was read, before snapshots are merged."""
    notes = _notes()
    _typed_by_hand(notes).with_columns(pl.lit("2025-06-01 00:00:00").alias("snapshot_at")).write_csv(tmp_path / "old_kit.csv")
    notes.with_columns(pl.lit("2025-07-01 00:00:00").alias("snapshot_at")).write_csv(tmp_path / "crawl.csv")
    res = runner.invoke(app, ["vet", str(tmp_path / "old_kit.csv"), str(tmp_path / "crawl.csv"), "-o", str(tmp_path / "r.csv")])
    assert res.exit_code == 0, res.output
    assert f"{notes.height:,} rows, 0 taken" in res.output
    meta = json.loads((tmp_path / "r.meta.json").read_text(encoding="utf-8"))
    assert "old_kit.csv" in meta["last_digits"] and "crawl.csv" not in meta["last_digits"]


def test_streaming_reads_the_same_digits_as_in_memory(tmp_path):
    path = tmp_path / "media_kit.csv"
    _typed_by_hand(_notes()).write_csv(path)
    metas = []
    for extra in ([], ["--streaming"]):
        out = tmp_path / f"r{len(extra)}.csv"
        assert runner.invoke(app, ["vet", str(path), "-o", str(out), "-q", *extra]).exit_code == 0
        metas.append(json.loads(out.with_name(f"{out.stem}.meta.json").read_text(encoding="utf-8"))["last_digits"])
    assert metas[0] == metas[1] and metas[0].startswith("warning")


def test_batch_names_the_hand_typed_roster_in_its_problems(tmp_path):
    from kolvet import batch as B
    from kolvet.config import Config

    _notes(5).with_columns(pl.format("a-{}", pl.col(S.POST_ID)).alias(S.POST_ID)).write_csv(tmp_path / "crawled.csv")
    _typed_by_hand(_notes(6)).with_columns(pl.format("b-{}", pl.col(S.POST_ID)).alias(S.POST_ID)).write_csv(tmp_path / "media_kit.csv")
    report = B.run_batch([tmp_path / "crawled.csv", tmp_path / "media_kit.csv"], tmp_path / "out", Config(), quiet=True)
    problems = dict(report.summary.select("roster", "problems").iter_rows())
    assert problems["crawled"] is None
    assert "last digits: " in problems["media_kit"] and "media_kit.csv" in problems["media_kit"]
