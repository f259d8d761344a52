"""The last-digit check: each input file's exact counts should end in every digit equally."""

from __future__ import annotations

import json

import polars as pl
from typer.testing import CliRunner

from kolvet import digits as D
from kolvet import schema as S
from kolvet import synth
from kolvet.cli import app


def _notes(seed: int = 3) -> pl.DataFrame:
    posts, _ = synth.generate(synth.World(creators=150, seed=seed, fake_rate=0.08, honest_hard_rate=0.12))
    return posts


def _typed_by_hand(posts: pl.DataFrame) -> pl.DataFrame:
    """What a person writes into a media kit: likes and saves to the nearest 50."""
    return posts.with_columns(*(((pl.col(c) / 50).round() * 50).cast(pl.Int64) for c in (S.LIKES, S.SAVES)))


def test_counts_from_the_generator_pass_and_hand_rounded_ones_are_named_by_file():
    honest = _notes().with_columns(pl.lit("crawl.csv").alias(S.SOURCE), pl.lit(S.EXACT, pl.UInt8).alias(S.PRECISION))
    typed = _typed_by_hand(_notes(4)).with_columns(pl.lit("agency.xlsx").alias(S.SOURCE),
                                                   pl.lit(S.EXACT, pl.UInt8).alias(S.PRECISION))
    checked, failed = D.check(pl.concat([honest, typed]).lazy())
    assert checked == 2
    assert [f.source for f in failed] == ["agency.xlsx"]
    assert failed[0].digit == 0 and failed[0].share > 0.3 and failed[0].p < 1e-6
    assert "agency.xlsx" in D.summary(checked, failed) and "rounded or edited by hand" in failed[0].text()


def test_counts_rounded_by_the_app_are_not_held_against_the_file():
    """"1.2万" is the platform's rounding, not a person's: such notes are left out."""
    rounded = _typed_by_hand(_notes()).with_columns(pl.lit("crawl.json").alias(S.SOURCE),
                                                    pl.lit(S.ROUNDED, pl.UInt8).alias(S.PRECISION))
    assert D.check(rounded.lazy()) == (0, [])
    assert D.summary(0, []).startswith("not checked")


def test_vet_warns_about_a_hand_typed_file_and_still_ranks_it(tmp_path):
    path = tmp_path / "media_kit.csv"
    _typed_by_hand(_notes()).write_csv(path)
    out = tmp_path / "ranked.csv"
    res = CliRunner().invoke(app, ["vet", str(path), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "warning last digits:" in res.output and "media_kit.csv" in res.output
    meta = json.loads(out.with_name("ranked.meta.json").read_text(encoding="utf-8"))
    assert "rounded or edited by hand" in meta["last_digits"]
    assert pl.read_csv(out).height == 150


def test_batch_names_the_hand_typed_roster_in_its_problems(tmp_path):
    from kolvet import batch as B
    from kolvet.config import Config

    _notes(5).with_columns(pl.format("a-{}", pl.col(S.POST_ID)).alias(S.POST_ID)).write_csv(tmp_path / "crawled.csv")
    _typed_by_hand(_notes(6)).with_columns(pl.format("b-{}", pl.col(S.POST_ID)).alias(S.POST_ID)).write_csv(tmp_path / "media_kit.csv")
    report = B.run_batch([tmp_path / "crawled.csv", tmp_path / "media_kit.csv"], tmp_path / "out", Config(), quiet=True)
    problems = dict(report.summary.select("roster", "problems").iter_rows())
    assert problems["crawled"] is None
    assert "last digits: " in problems["media_kit"] and "media_kit.csv" in problems["media_kit"]
