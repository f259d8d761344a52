"""The scoring core's promises, each checked inside a realistic generated cohort."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import polars as pl
import pytest

from kolvet import synth
from kolvet.config import Config, load_config
from kolvet.pipeline import vet_loaded
from tests.conftest import loaded_from_frame

END = datetime(2025, 6, 28, 12)


def creator_notes(cid: str, followers: int, likes: int, saves: int, comments: int, shares: int,
                  n: int, category: str = "beauty", hit_at: int | None = None, seed: int = 0) -> pl.DataFrame:
    """n notes, two days apart, with +-20% honest variation; note `hit_at` gets 10x engagement."""
    rng = np.random.default_rng(seed)
    wobble = rng.uniform(0.8, 1.2, n)
    boost = np.ones(n)
    if hit_at is not None:
        boost[hit_at] = 10.0
    f = wobble * boost
    return pl.DataFrame({
        "creator_id": [cid] * n,
        "post_id": [f"{cid}-{i}" for i in range(n)],
        "posted_at": [END - timedelta(days=2 * i) for i in range(n)],
        "followers": [followers] * n,
        "likes": np.round(likes * f).astype(int), "saves": np.round(saves * f).astype(int),
        "comments": np.round(comments * f).astype(int), "shares": np.round(shares * f).astype(int),
        "category": [category] * n, "nickname": [cid] * n,
    })


@pytest.fixture(scope="module")
def cohort() -> pl.DataFrame:
    """300 generated creators without views (crawler-like data), honest only."""
    posts, _ = synth.generate(synth.World(creators=300, seed=21, views=False))
    return posts


def vet_with(cohort: pl.DataFrame, *extra: pl.DataFrame, config: Config | None = None) -> pl.DataFrame:
    frame = pl.concat([cohort, *[e.select(c for c in cohort.columns if c in e.columns) for e in extra]], how="diagonal")
    return vet_loaded(loaded_from_frame(frame), config).creators


def rank_of(result: pl.DataFrame, cid: str) -> int:
    return result.filter(pl.col("creator_id") == cid).get_column("rank").item()


def test_small_engaged_creator_outranks_large_disengaged_one(cohort):
    # "A 5,000-follower account with 12% engagement outperforms a 50,000-follower account with 2%."
    small = creator_notes("small12", 5_000, 330, 180, 60, 30, n=20)  # 600 per note = 12%
    large = creator_notes("large2", 50_000, 550, 300, 100, 50, n=20, seed=1)  # 1,000 per note = 2%
    result = vet_with(cohort, small, large)
    assert rank_of(result, "small12") < rank_of(result, "large2")


def test_saves_beat_likes_at_any_size(cohort):
    # A 15k creator whose notes earn saves of 3-5% of followers beats a 200k creator whose
    # engagement is mostly likes.
    saver = creator_notes("saver15k", 15_000, 900, 600, 90, 60, n=20)  # saves 4% of followers
    liker = creator_notes("liker200k", 200_000, 6_000, 200, 100, 20, n=20, seed=1)
    result = vet_with(cohort, saver, liker)
    assert rank_of(result, "saver15k") < rank_of(result, "liker200k")
    row = result.filter(pl.col("creator_id") == "saver15k").row(0, named=True)
    assert row["save_quality"] > 50  # better than expected for its size


def test_three_lucky_notes_do_not_outrank_forty_steady_ones(cohort):
    typical = dict(followers=15_000, likes=700, saves=350, comments=70, shares=40)
    lucky = creator_notes("lucky3", **typical, n=3, hit_at=1)
    steady = creator_notes("steady40", **typical, n=40, seed=2)
    result = vet_with(cohort, lucky, steady)
    assert rank_of(result, "steady40") < rank_of(result, "lucky3")
    assert result.filter(pl.col("creator_id") == "lucky3").get_column("verdict").item() == "insufficient_data"


def test_shrinkage_holds_back_a_short_lucky_record_even_when_judged(cohort):
    # Six notes (enough to be judged), one of them a 10x hit, against forty steady notes of the
    # same typical performance: the short record is pulled toward its category and scores lower.
    typical = dict(followers=15_000, likes=700, saves=350, comments=70, shares=40)
    lucky = creator_notes("lucky6", **typical, n=6, hit_at=2)
    steady = creator_notes("steady40", **typical, n=40, seed=2)
    result = vet_with(cohort, lucky, steady)
    scores = dict(result.filter(pl.col("creator_id").is_in(["lucky6", "steady40"])).select("creator_id", "score").iter_rows())
    assert scores["steady40"] > scores["lucky6"]
    assert rank_of(result, "steady40") < rank_of(result, "lucky6")


def test_score_has_components_that_explain_it(cohort):
    result = vet_with(cohort)
    row = result.filter(pl.col("verdict") != "insufficient_data").row(0, named=True)
    cfg = Config().scoring
    weights = {"save_quality": cfg.save_quality, "engagement_quality": cfg.engagement_quality,
               "comment_depth": cfg.comment_depth, "consistency": cfg.consistency}
    blended = sum(row[k] * w for k, w in weights.items()) / sum(weights.values())
    assert row["quality_score"] == pytest.approx(blended, abs=0.01)
    assert row["score"] == pytest.approx(max(0.0, row["quality_score"] - row["authenticity_penalty"]), abs=0.06)


def test_flagged_never_shortlisted_and_penalised(vetted_300):
    flagged = vetted_300.creators.filter(pl.col("fraud_flag"))
    assert flagged.height > 0
    assert (flagged.get_column("verdict") != "shortlist").all()
    assert (flagged.get_column("authenticity_penalty") > 0).all()


def test_tiers_and_benchmarks_label_every_creator(vetted_300):
    c = vetted_300.creators
    assert set(c.get_column("tier").unique()) <= {"nano", "micro", "mid", "macro", "mega", "unknown"}
    judged = c.filter(pl.col("verdict") != "insufficient_data")
    assert judged.get_column("benchmark").null_count() == 0
    assert c.filter(pl.col("verdict") == "insufficient_data").get_column("benchmark").null_count() == c.height - judged.height
    pct = judged.get_column("peer_percentile")
    assert pct.min() >= 0 and pct.max() <= 100
    # peer_group names whom each percentile compares with: the category and tier when 5+ judged
    # creators share them, else the category, else the whole cohort.
    sizes = dict(judged.group_by("category", "tier").len().select(pl.concat_str("category", "tier", separator=" "), "len").iter_rows())
    by_cat = dict(judged.group_by("category").len().iter_rows())
    for row in judged.iter_rows(named=True):
        expected = (f"{row['category']} {row['tier']} peers" if sizes[f"{row['category']} {row['tier']}"] >= 5
                    else f"{row['category']} peers" if by_cat[row["category"]] >= 5 else "the whole cohort")
        assert row["peer_group"] == expected
    assert {"the whole cohort"} != set(judged.get_column("peer_group")) != {None}


def test_ces_preset_weights_comments_and_shares(cohort):
    chatty = creator_notes("chatty", 15_000, 400, 100, 300, 100, n=20)
    save_first = vet_with(cohort, chatty)
    ces = vet_with(cohort, chatty, config=load_config(None, "ces"))
    assert rank_of(ces, "chatty") < rank_of(save_first, "chatty")


def test_cpe_uses_quotes_and_sorts_by_value(tmp_path):
    from kolvet import pipeline

    posts, _ = synth.generate(synth.World(creators=60, seed=4))
    # One creator whose every note got a fixed bundle of 400 comments: a comment farm, flagged.
    ids = posts.get_column("creator_id").unique().sort()
    farm = posts.group_by("creator_id").agg(pl.len().alias("n"), pl.col("likes").median().alias("m")) \
        .filter((pl.col("n") >= 15) & (pl.col("m") > 300)).sort("creator_id").get_column("creator_id")[0]
    posts = posts.with_columns(pl.when(pl.col("creator_id") == farm).then(pl.col("comments") + 400)
                               .otherwise(pl.col("comments")).alias("comments"))
    posts.write_csv(tmp_path / "p.csv")
    quotes = pl.DataFrame({"creator_id": ids, "图文报价": np.linspace(100, 5000, len(ids)).round()})
    quotes.write_csv(tmp_path / "roster.csv")
    result = pipeline.vet([tmp_path / "p.csv"], creators_file=str(tmp_path / "roster.csv"), sort="cpe")
    judged = result.creators.filter(pl.col("verdict") != "insufficient_data")
    assert judged.get_column("cpe").null_count() == 0
    # Cheapest first, but flagged creators after the rest: bought engagement looks cheap.
    flags = judged.get_column("fraud_flag").to_list()
    assert any(flags) and flags == sorted(flags)
    for part in judged.partition_by("fraud_flag", maintain_order=True):
        cpe = part.get_column("cpe").to_list()
        assert cpe == sorted(cpe)


def test_a_flag_never_improves_a_verdict():
    from kolvet.config import Config

    posts, _ = synth.generate(synth.World(creators=300, seed=1))
    creators = vet_loaded(loaded_from_frame(posts)).creators
    line = Config().verdict.review_min_score
    low = creators.filter(pl.col("score") < line)
    assert low.filter(pl.col("fraud_flag")).height > 0  # the case this guards
    assert set(low.get_column("verdict")) == {"reject"}
    flagged_low = low.filter(pl.col("fraud_flag")).row(0, named=True)
    assert flagged_low["verdict_reason"].startswith(f"score {flagged_low['score']} < {line}, and likely fake engagement (")


def test_a_strong_creator_who_stopped_posting_goes_to_review_not_the_shortlist(cohort):
    # The same strong record twice: one posting now, one whose notes all stopped 200 days ago.
    active = creator_notes("active", 5_000, 800, 400, 80, 40, n=20)
    quiet = creator_notes("quiet", 5_000, 800, 400, 80, 40, n=20).with_columns(pl.col("posted_at") - pl.duration(days=200))
    result = vet_with(cohort, active, quiet)
    rows = {r["creator_id"]: r for r in result.filter(pl.col("creator_id").is_in(["active", "quiet"])).iter_rows(named=True)}
    assert rows["active"]["verdict"] == "shortlist" and rows["active"]["days_since_last_note"] <= 90
    assert rows["quiet"]["score"] >= Config().verdict.shortlist_min_score  # as strong: only its silence differs
    assert rows["quiet"]["verdict"] == "review"
    newest = (END - timedelta(days=200)).date()
    assert rows["quiet"]["days_since_last_note"] > 90
    assert f"no note in the 90 days before the as-of date (newest {newest}, " in rows["quiet"]["verdict_reason"]


def test_a_creator_with_no_likes_gets_no_ratio_to_likes_nor_comment_depth(cohort):
    no_likes = creator_notes("nolikes", 5_000, 0, 300, 50, 20, n=20)
    row = vet_with(cohort, no_likes).filter(pl.col("creator_id") == "nolikes").row(0, named=True)
    assert row["save_like_ratio"] is None and row["comment_like_ratio"] is None and row["share_like_ratio"] is None
    assert row["comment_depth"] is None and row["comment_like_vs_peers"] is None  # not 100 for 50 comments per 0 likes
    assert row["score"] is not None and row["save_quality"] is not None


def test_a_flagged_verdict_says_its_fraud_score_and_why_review_or_reject(vetted_300):
    line = Config().verdict.reject_fraud_score
    for row in vetted_300.creators.filter(pl.col("fraud_flag")).iter_rows(named=True):
        assert f"fraud score {row['fraud_score']}" in row["verdict_reason"]
        if row["verdict"] == "review":
            assert f"< {line}), score {row['score']} >= " in row["verdict_reason"]
        elif row["fraud_score"] >= line:
            assert f">= {line})" in row["verdict_reason"]


def test_window_uses_last_90_days_but_at_least_10_notes():
    old = creator_notes("old", 10_000, 100, 50, 10, 5, n=30)
    shifted = old.with_columns(pl.col("posted_at") - pl.duration(days=400))  # all long ago
    recent = creator_notes("recent", 10_000, 100, 50, 10, 5, n=30, seed=3)  # every 2 days: 45 in 90 days
    result = vet_loaded(loaded_from_frame(pl.concat([shifted, recent]))).creators
    counts = dict(result.select("creator_id", "n_posts").iter_rows())
    assert counts["old"] == 10  # nothing in the window: its 10 most recent notes
    assert counts["recent"] == 30  # all within 90 days of the as-of date


def test_as_of_judges_only_notes_up_to_that_date():
    steady = creator_notes("steady", 10_000, 100, 50, 10, 5, n=30)  # one note every 2 days up to END
    cut = END - timedelta(days=20)
    result = vet_loaded(loaded_from_frame(steady), as_of=cut).creators.row(0, named=True)
    later = steady.filter(pl.col("posted_at") > cut).height
    assert result["n_posts"] == steady.height - later
    # Vetting as of a date sees the creator as it was then: June's notes don't exist in March.
    assert result["n_posts_total"] == steady.height - later
    assert result["last_post_at"] == steady.filter(pl.col("posted_at") <= cut).get_column("posted_at").max()


def test_a_creator_whose_notes_all_come_after_the_as_of_date_is_told_so():
    steady = creator_notes("steady", 10_000, 100, 50, 10, 5, n=30)
    newcomer = creator_notes("newcomer", 10_000, 100, 50, 10, 5, n=6).with_columns(pl.col("posted_at").clip(END - timedelta(days=5)))
    result = vet_loaded(loaded_from_frame(pl.concat([steady, newcomer])), as_of=END - timedelta(days=20)).creators
    row = result.filter(pl.col("creator_id") == "newcomer").row(0, named=True)
    assert row["verdict"] == "insufficient_data"
    assert row["verdict_reason"] == "no notes by the as-of date (its 6 notes are all later)"
    assert row["n_posts_total"] == 0 and row["last_post_at"] is None


def test_consistency_is_explained_by_the_spread_it_scores(vetted_300):
    """The column behind consistency: steadier notes than the cohort's typical (< 1) score above 50."""
    judged = vetted_300.creators.filter(pl.col("note_spread_vs_cohort").is_not_null())
    assert judged.height > 200
    pairs = judged.select("note_spread_vs_cohort", "consistency").sort("note_spread_vs_cohort").rows()
    scores = [c for _, c in pairs]
    assert scores == sorted(scores, reverse=True)  # more spread, less consistency: one to one
    assert all((c > 50) == (s < 1) for s, c in pairs if abs(s - 1) > 0.01)
