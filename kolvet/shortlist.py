"""Ranking, verdicts, peer percentiles, and the filters the browser and batch share."""

from __future__ import annotations

import polars as pl

from kolvet import fraud as F
from kolvet import metrics as M
from kolvet import schema as S
from kolvet import score as SC
from kolvet.config import Config

RANK = "rank"
VERDICT = "verdict"
VERDICT_REASON = "verdict_reason"
PEER_PERCENTILE = "peer_percentile"
PEER_GROUP = "peer_group"  # whom peer_percentile compares with: the category and tier, else the category, else all
VERDICTS = ("shortlist", "review", "reject", "insufficient_data")
MIN_PEER_GROUP = 5


def _percentile_within(keys: list[str]) -> tuple[pl.Expr, pl.Expr]:
    judged = pl.col(VERDICT) != "insufficient_data"
    score = pl.when(judged).then(pl.col(SC.SCORE))
    count = score.count().over(keys)
    below = (score.rank("min").over(keys) - 1) / (count - 1).clip(lower_bound=1) * 100
    return pl.when(count >= 2).then(below), count  # alone, a creator is ahead of no one and behind no one


def verdicts(scored: pl.DataFrame, config: Config) -> pl.DataFrame:
    v = config.verdict
    min_posts = config.scoring.min_posts
    too_few = pl.col(M.N_POSTS) < min_posts
    no_reach = pl.col(M.RATE_BASIS) == "none"
    flagged = pl.col(F.FRAUD_FLAG).fill_null(False)
    # No note in the window: judged on older notes, and may have stopped posting. A campaign
    # needs a creator who posts now, so such a creator goes to a human rather than the shortlist.
    days = config.window.days
    inactive = pl.col(M.DAYS_SINCE_LAST).fill_null(0) > days
    silent = pl.format("no note in the {} days before the as-of date (newest {}, {} days before)",
                       pl.lit(days), pl.col(M.LAST_POST).dt.date(), pl.col(M.DAYS_SINCE_LAST))
    # Rates per follower on a follower floor are only upper bounds: such a creator goes to a
    # human rather than the shortlist.
    on_floor = M.rates_on_follower_floor()
    verdict = (
        pl.when(too_few | no_reach).then(pl.lit("insufficient_data"))
        .when(flagged & (pl.col(F.FRAUD_SCORE) >= v.reject_fraud_score)).then(pl.lit("reject"))
        # A flag sends a creator to a human, never up: one that scores under the review line
        # is rejected, flagged or not.
        .when(flagged & (pl.col(SC.SCORE) >= v.review_min_score)).then(pl.lit("review"))
        .when((pl.col(SC.SCORE) >= v.shortlist_min_score) & ~inactive & ~on_floor).then(pl.lit("shortlist"))
        .when(pl.col(SC.SCORE) >= v.review_min_score).then(pl.lit("review"))
        .otherwise(pl.lit("reject"))
    )
    # Too few notes may be too few *usable* notes: say so, or it reads as a creator who rarely posts.
    aside = pl.col(S.ROWS_SET_ASIDE).fill_null(0)
    set_aside = (pl.when(aside > 0)
                 .then(pl.format(" ({} more row{} naming it set aside: see the rejected file)", aside,
                                 pl.when(aside == 1).then(pl.lit("")).otherwise(pl.lit("s"))))
                 .otherwise(pl.lit("")))
    reason = (
        pl.when(pl.col(S.NO_NOTES).is_not_null()).then(pl.col(S.NO_NOTES))
        .when(no_reach & pl.col(S.FOLLOWERS).is_null()).then(pl.lit(
            "no follower count and no views: rates can't be computed (no input gave its followers: a roster or "
            "profiles file that has them, given with --creators, adds them)"))
        .when(no_reach).then(pl.lit("0 followers and no views: rates can't be computed"))
        .when(too_few & (pl.col(M.N_POSTS_TOTAL).fill_null(0) == 0) & (pl.col(M.N_POSTS_LATER).fill_null(0) > 0))
        .then(pl.format("no notes by the as-of date (its {} notes are all later)", pl.col(M.N_POSTS_LATER)))
        .when(too_few).then(pl.format("only {} note{} in the window; {} needed to judge{}", pl.col(M.N_POSTS),
                                      pl.when(pl.col(M.N_POSTS) == 1).then(pl.lit("")).otherwise(pl.lit("s")),
                                      pl.lit(min_posts), set_aside))
        .when(flagged & (pl.col(F.FRAUD_SCORE) >= v.reject_fraud_score))
        .then(pl.format("likely fake engagement ({}, fraud score {} >= {})", pl.col(F.FRAUD_PATTERN),
                        pl.col(F.FRAUD_SCORE), pl.lit(v.reject_fraud_score)))
        .when(flagged & (pl.col(SC.SCORE) < v.review_min_score))
        .then(pl.format("score {} < {}, and likely fake engagement ({}, fraud score {})", pl.col(SC.SCORE),
                        pl.lit(v.review_min_score), pl.col(F.FRAUD_PATTERN), pl.col(F.FRAUD_SCORE)))
        .when(flagged).then(pl.format("likely fake engagement ({}, fraud score {} < {}), score {} >= {}: for a person to check",
                                      pl.col(F.FRAUD_PATTERN), pl.col(F.FRAUD_SCORE), pl.lit(v.reject_fraud_score),
                                      pl.col(SC.SCORE), pl.lit(v.review_min_score)))
        .when((pl.col(SC.SCORE) >= v.shortlist_min_score) & inactive)
        .then(pl.format("score {} >= {}, but {}: check it still posts", pl.col(SC.SCORE), pl.lit(v.shortlist_min_score),
                        silent))
        .when((pl.col(SC.SCORE) >= v.shortlist_min_score) & on_floor)
        .then(pl.format("score {} >= {}, not shortlisted on a follower floor",
                        pl.col(SC.SCORE), pl.lit(v.shortlist_min_score)))
        .when(pl.col(SC.SCORE) >= v.shortlist_min_score).then(pl.format("score {} >= {}", pl.col(SC.SCORE), pl.lit(v.shortlist_min_score)))
        .when(pl.col(SC.SCORE) >= v.review_min_score).then(pl.format("score {} between {} and {}", pl.col(SC.SCORE), pl.lit(v.review_min_score), pl.lit(v.shortlist_min_score)))
        .otherwise(pl.format("score {} < {}", pl.col(SC.SCORE), pl.lit(v.review_min_score)))
    )
    watch = (
        pl.when(pl.col(F.FRAUD_WATCH).fill_null(False))
        .then(pl.format("; on fraud watch ({}fraud score {})",
                        pl.when(pl.col(F.FRAUD_PATTERN) != "").then(pl.col(F.FRAUD_PATTERN) + ", ").otherwise(pl.lit("")),
                        pl.col(F.FRAUD_SCORE)))
        .otherwise(pl.lit(""))
    )
    stale = (
        pl.when(inactive & ~too_few & ~no_reach & ((pl.col(SC.SCORE) < v.shortlist_min_score) | flagged))
        .then(pl.lit("; ") + silent)
        .otherwise(pl.lit(""))
    )
    caveat = (
        pl.when(pl.col(M.CENSORED_SHARE) > 0.5)
        .then(pl.format("; {}% of its notes have counts that are only floors (written as \"1千+\", \"10万+\"), so rates are understated",
                        (pl.col(M.CENSORED_SHARE) * 100).round(0).cast(pl.Int64)))
        .otherwise(pl.lit(""))
    )
    followers_floor = (
        pl.when(pl.col(S.FOLLOWERS_FLOOR).fill_null(False))
        .then(pl.format("; followers written as a floor (at least {}){}", _with_commas(pl.col(S.FOLLOWERS)),
                        pl.when(on_floor)
                        .then(pl.lit(": rates per follower read high and the size tier may be low, check the real count"))
                        .otherwise(pl.lit(""))))
        .otherwise(pl.lit(""))
    )
    followers_unknown = (
        pl.when(pl.col(S.FOLLOWERS).is_null() & (pl.col(M.RATE_BASIS) == "views"))
        .then(pl.lit("; followers unknown")).otherwise(pl.lit(""))
    )
    # A creator we can't judge gets no score, nor score parts, nor comparisons with what its
    # peers and size lead one to expect: a number would look like a judgement.
    unjudged = pl.col(VERDICT) == "insufficient_data"
    # Ratios to likes count at least one like (the fraud checks read a creator with saves and no
    # likes that way); shown to people, a ratio to no likes is blank.
    no_likes = M.no_likes()
    return scored.with_columns(verdict.alias(VERDICT)).with_columns(
        *[pl.when(no_likes).then(None).otherwise(pl.col(c)).alias(c) for c in (M.SAVE_LIKE, M.COMMENT_LIKE, M.SHARE_LIKE)],
    ).with_columns(
        pl.concat_str([reason, watch, stale, caveat, followers_floor, followers_unknown]).alias(VERDICT_REASON),
        *[pl.when(unjudged).then(None).otherwise(pl.col(c)).alias(c)
          for c in (SC.SCORE, SC.QUALITY_SCORE, SC.AUTHENTICITY_PENALTY, *SC.COMPONENTS, SC.SAVES_VS_EXPECTED,
                    SC.ENGAGEMENT_VS_EXPECTED, SC.ENGAGEMENT_VS_EXPECTED_RAW, SC.COMMENT_DEPTH_VS_PEERS, SC.SPREAD_VS_COHORT,
                    # Nor a price per engagement: sorted by cost in a spreadsheet, two notes' would read as a deal.
                    SC.BENCHMARK, SC.CPE, SC.COST_PER_SAVE)],
    )


def behind_on_cost() -> list[pl.Expr]:
    """Sort keys that, in an order by cost, put after the rest creators with too little data
    (a few notes say little about cost) and flagged ones (bought engagement makes engagement
    look cheap): `vet --sort cpe` and the browser's cost sort alike."""
    return [pl.col(VERDICT) == "insufficient_data", pl.col(F.FRAUD_FLAG).fill_null(False)]


def rank(scored: pl.DataFrame, sort: str = "score") -> pl.DataFrame:
    """rank 1 = best. Judged creators first (by score, or by cost per engagement with
    sort="cpe"), creators with too little data last; ties broken by creator_id so the order
    is the same on every run. By cost, flagged creators come after the unflagged: bought
    engagement makes engagement look cheap. With no cost known at all, by score."""
    if sort == "cpe" and scored.get_column(SC.CPE).null_count() < scored.height:
        keys = [*behind_on_cost(), pl.col(SC.CPE).is_null(), SC.CPE, pl.col(SC.SCORE).is_null(), SC.SCORE, S.CREATOR_ID]
        desc = [False, False, False, False, False, True, False]
    else:
        keys = [pl.col(VERDICT) == "insufficient_data", pl.col(SC.SCORE).is_null(), SC.SCORE, S.CREATOR_ID]
        desc = [False, False, True, False]
    ordered = scored.sort(keys, descending=desc)
    group, group_n = _percentile_within([S.CATEGORY, M.TIER])
    cat, cat_n = _percentile_within([S.CATEGORY])
    cohort, _ = _percentile_within(["_all"])
    # The peers in words ("beauty nano peers"), for the few category-and-tier pairs there are.
    pairs = ordered.select(S.CATEGORY, M.TIER).unique(maintain_order=True)
    words = pairs.with_columns(
        pl.Series("_group_words", [M.peer_words(c, t) for c, t in pairs.rows()], dtype=pl.String),
        pl.Series("_cat_words", [M.peer_words(c) for c, _ in pairs.rows()], dtype=pl.String))
    return (
        ordered.with_columns(pl.lit(1).alias("_all"))
        .join(words, on=[S.CATEGORY, M.TIER], how="left", nulls_equal=True, maintain_order="left")
        .with_columns(
            pl.when(group_n >= MIN_PEER_GROUP).then(group)
            .when(cat_n >= MIN_PEER_GROUP).then(cat)
            .otherwise(cohort).round(0).alias(PEER_PERCENTILE),
            pl.when(cohort.is_null()).then(None)
            .when(group_n >= MIN_PEER_GROUP).then(pl.col("_group_words"))
            .when(cat_n >= MIN_PEER_GROUP).then(pl.col("_cat_words"))
            .otherwise(pl.lit("the whole cohort")).alias(PEER_GROUP),
        )
        .drop("_all", "_group_words", "_cat_words")
        .with_row_index(RANK, offset=1)
        .with_columns(pl.col(RANK).cast(pl.Int64))
    )


def filter_creators(frame: pl.DataFrame, *, text: str = "", category: str | None = None,
                    tier: str | None = None, min_score: float | None = None,
                    hide_flagged: bool = False) -> pl.DataFrame:
    """The browser's filters, in Polars: search nickname and id, category, tier, minimum
    score, and hiding flagged creators."""
    expr = pl.lit(True)
    if text:
        needle = text.lower()
        expr &= (pl.col(S.NICKNAME).fill_null("").str.to_lowercase().str.contains(needle, literal=True)
                 | pl.col(S.CREATOR_ID).str.to_lowercase().str.contains(needle, literal=True))
    if category:
        expr &= pl.col(S.CATEGORY) == category
    if tier:
        expr &= pl.col(M.TIER) == tier
    if min_score is not None:
        expr &= pl.col(SC.SCORE).fill_null(0) >= min_score
    if hide_flagged:
        expr &= ~pl.col(F.FRAUD_FLAG).fill_null(False)
    return frame.filter(expr)


def _with_commas(count: pl.Expr) -> pl.Expr:
    """100000 -> "100,000", as the rest of kolvet's text writes counts (Polars has no
    number formatting: the digits are grouped in threes from the right)."""
    return count.cast(pl.String).str.reverse().str.replace_all(r"(\d{3})", "${1},").str.strip_chars_end(",").str.reverse()
