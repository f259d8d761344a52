"""Posts -> one row of metrics per creator.

Rates are taken against views when a creator's notes carry them, otherwise against followers
(the reach proxy), and the output says which (`rate_basis`). Each creator is judged on its
notes from the last `window.days` before the as-of date, and on at least its
`window.min_recent_posts` most recent notes. Everything is a Polars expression over the posts;
no Python loop touches a row.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from kolvet import schema as S
from kolvet.config import Config, Weights

# Per-creator columns produced here (names used by score, fraud, shortlist and export).
TIER = "tier"
N_POSTS = "n_posts"
N_POSTS_TOTAL = "n_posts_total"
N_POSTS_LATER = "n_posts_after_as_of"  # notes posted after the as-of date: never judged
RATE_BASIS = "rate_basis"
SAVE_RATE = "save_rate"
LIKE_RATE = "like_rate"
COMMENT_RATE = "comment_rate"
SHARE_RATE = "share_rate"
ENGAGEMENT_RATE = "engagement_rate"
WEIGHTED_RATE = "weighted_rate"
SAVE_LIKE = "save_like_ratio"
COMMENT_LIKE = "comment_like_ratio"
LIKES_JUDGED = "likes_judged"  # likes on the judged notes: the ratios above count at least 1
SHARE_LIKE = "share_like_ratio"
SHARE_SAVE = "share_save_ratio"  # null when the input has no shares
HIT_RATE = "hit_rate"
POSTS_PER_WEEK = "posts_per_week"
MEDIAN_INTERACTIONS = "median_interactions"
MEDIAN_SAVES = "median_saves"
LOG_WEIGHTED = "log_weighted_rate"  # median over notes of log(weighted engagement / reach)
LOG_SAVE = "log_save_rate"
LOG_LIKE = "log_like_rate"
LOG_WEIGHTED_SPREAD = "log_weighted_spread"  # robust sd of log weighted rate across notes
LOG_SAVE_LIKE_SD = "log_save_like_sd"
LOG_COMMENT_LIKE_SD = "log_comment_like_sd"
# Counting noise in those: the variance a note's log ratio has from Poisson counts alone (delta
# method, 1/saves + 1/likes), so that few comments aren't mistaken for varied ratios.
LOG_SAVE_LIKE_NOISE = "log_save_like_noise"
LOG_COMMENT_LIKE_NOISE = "log_comment_like_noise"
LIKES_SAVES_CRAWLED = "likes_saves_crawled"  # over every crawled note: a floor for the lifetime total
CORR_LIKES_SAVES = "corr_likes_saves"
CORR_LIKES_COMMENTS = "corr_likes_comments"
# How far counting noise alone pulls those correlations below the notes' true one: sqrt of the
# share of each side's variance across notes that is more than Poisson noise (1 = none). With a
# few likes a note, even saves that follow reach exactly correlate weakly with likes.
CORR_SAVES_ATTENUATION = "corr_saves_attenuation"
CORR_COMMENTS_ATTENUATION = "corr_comments_attenuation"
# How saves and comments grow with likes across a creator's notes: the slope of log counts on log
# likes (1 = in proportion). Bundles are sold as fixed counts ("500 comments + 2,000 collects"),
# which stay the same whatever a note's reach, so bought ones barely grow. The residual variance
# around the slope and the variance of log likes (beyond counting noise) say how precisely the
# slope is known.
SAVES_SCALE = "saves_scale_with_likes"
COMMENTS_SCALE = "comments_scale_with_likes"
SAVES_SCALE_RESID = "saves_scale_resid_var"
COMMENTS_SCALE_RESID = "comments_scale_resid_var"
LOG_LIKES_VAR = "log_likes_var"
# How shares move with the saves' swings from note to note: the slope of log shares/likes on log
# saves/likes across notes, with counting noise taken out (1 = a note saved twice as often per
# like is shared twice as often; 0 = shares ignore the saves; below 0 = the notes saved more are
# shared less). Bought saves leave a note's shares as they were. Null unless most of the
# saves/likes swing is more than counting noise and notes have a handful of shares. With its
# standard error.
SHARES_FOLLOW_SAVES = "shares_follow_saves"
SHARES_FOLLOW_SE = "shares_follow_saves_se"
SPIKE = "max_median_ratio"
# How unevenly engagement falls across a creator's notes: the coefficient of variation (sd / mean)
# and the Gini coefficient of a note's interactions, over its judged notes (3 or more). Honest
# reach is heavy-tailed, so a few notes earn most; bundles bought for every note flatten that,
# bundles for some notes only sharpen it.
ENGAGEMENT_CV = "engagement_cv"
ENGAGEMENT_GINI = "engagement_gini"
JUMP_SHARE = "ratio_jump_share"
BOOSTED_SHARE = "boosted_share"  # share of notes that look boosted (see boosted_note)
BURSTINESS = "posting_burstiness"
CENSORED_SHARE = "censored_share"
DROPPED_SHARE = "counts_down_share"  # notes whose counts fell between snapshots (and are still there)
VANISHED_SHARE = "vanished_share"  # notes a later crawl should have re-read, and didn't (kolvet.snapshots)
VANISHED_EARNED = "vanished_earned"  # those notes' median engagement / the creator's median: deleted flops are < 1
VIEWS_PER_FOLLOWER = "views_per_follower"  # median views of a note / followers (views known only)
LAST_POST = "last_post_at"
DAYS_SINCE_LAST = "days_since_last_note"  # days from its newest note to the as-of date
# The busiest burst: the JUMP_DAYS window with the most notes earning >= 2x the creator's median.
BURST_SPIKED = "burst_spiked_notes"  # such notes in that window
BURST_NOTES = "burst_notes"  # all notes in that window
BURST_END = "burst_end"  # the window's last note
BURST_RATIO_DEV = "burst_ratio_deviation"  # robust z of the window's pooled ratios vs the creator's own
SPIKED_NOTES = "spiked_notes"  # judged notes earning >= 2x the creator's median
FOLLOWER_JUMP = "follower_jump"  # largest growth of followers within JUMP_DAYS of the series, as a fraction
FOLLOWER_JUMP_DATE = "follower_jump_date"  # when that growth started
FOLLOWER_JUMP_GAIN = "follower_jump_gain"  # followers gained in it
JUMP_CONTENT = "jump_content"  # interactions on notes posted around the jump: what could explain it
JUMP_DAYS = 3  # bought followers are delivered over a few days; organic growth is gradual
CREATOR_STRETCH_S = 200 * 365 * 86400  # seconds between creators on the shared burst time axis (> any creator's history)
MIN_SERIES_DAYS = 7  # a shorter series can't tell a jump from a trend

# Per-post columns added here.
REACH = "reach"
INTERACTIONS = "interactions"
WEIGHTED = "weighted_engagement"
IN_WINDOW = "in_window"
BY_AS_OF = "_by_as_of"  # posted on or before the as-of date
NOTE_RATIO_DEV = "note_ratio_deviation"  # robust z of the note's ratios against the creator's own
NOTE_SPIKE = "note_spike"  # note interactions / creator's median interactions
NOTE_Z_SL = "_note_z_save_like"  # robust z of the note's log saves/likes against the creator's own
NOTE_Z_CL = "_note_z_comment_like"  # the same for comments/likes

SPIKE_MULTIPLE = 2.0  # a note "spikes" when it earns at least this multiple of the creator's median
SMOOTH = 0.5  # added to counts before logs so that zero counts stay finite
MIN_COUNT_FOR_CORR = 5  # median saves/comments per note needed before their correlation with likes means anything
MIN_RELIABILITY = 0.1  # floor of that share when it only scales what a correlation is expected to be
MIN_LIKES_RELIABILITY = 0.5  # share of the variance of log likes that must be more than counting noise to fit a slope on it


def no_likes() -> pl.Expr:
    """Per creator: no likes on its judged notes, so its ratios to likes (counted against 1
    like) are its counts themselves, and mean nothing as ratios."""
    return pl.col(LIKES_JUDGED).fill_null(0) == 0


def rates_on_follower_floor() -> pl.Expr:
    """Per creator: rates per follower on a follower count written as a floor ("10万+"), so
    they only bound the true rates from above (the true count is larger)."""
    return pl.col(S.FOLLOWERS_FLOOR).fill_null(False) & (pl.col(RATE_BASIS) == "followers")


def category_words(category: str | None) -> str:
    """A category as a sentence names it: "unknown" is a group label, not a category."""
    return "uncategorised" if category in (None, S.UNKNOWN) else category


def peer_words(category: str | None, tier: str | None = None) -> str:
    """A peer group in words: "beauty nano peers", "uncategorised nano peers", "unknown-size beauty peers"."""
    if tier is None:
        return f"{category_words(category)} peers"
    if tier == S.UNKNOWN:
        return f"unknown-size {category_words(category)} peers"
    return f"{category_words(category)} {tier} peers"


def tier_expr(followers: pl.Expr, tiers: dict[str, int]) -> pl.Expr:
    names = list(tiers)
    expr = pl.when(followers.is_null()).then(pl.lit(S.UNKNOWN))
    for name in reversed(names[1:]):
        expr = expr.when(followers >= tiers[name]).then(pl.lit(name))
    return expr.otherwise(pl.lit(names[0]))


def weighted_expr(weights: Weights) -> pl.Expr:
    w = (weights.likes * pl.col(S.LIKES) + weights.saves * pl.col(S.SAVES)
         + weights.comments * pl.col(S.COMMENTS) + weights.shares * pl.col(S.SHARES).fill_null(0))
    if weights.follows:
        w = w + weights.follows * pl.col(S.NEW_FOLLOWS).fill_null(0)
    return w


def _latest_per_creator(table: pl.DataFrame, prefix: str) -> pl.LazyFrame:
    return (
        table.lazy()
        .sort([S.CREATOR_ID, S.SNAPSHOT_AT], nulls_last=False)
        .group_by(S.CREATOR_ID)
        .agg(pl.col(c).drop_nulls().last().alias(f"{prefix}{c}") for c in PROFILE_FIELDS)
    )


# Followers and how they were written (exact, "1.5万", "10万+") are blank together, so each
# field's newest value pairs a count with its own precision.
PROFILE_FIELDS = (S.NICKNAME, S.FOLLOWERS, S.FOLLOWERS_PRECISION, S.CATEGORY, S.QUOTE, S.ACTIVE_FANS, S.FOLLOWER_SERIES, S.LIFETIME_LIKES_SAVES)


def follower_jumps(profiles: pl.LazyFrame) -> pl.LazyFrame:
    """Per creator with a follower series of MIN_SERIES_DAYS+ points: the largest growth over
    any JUMP_DAYS days, as a fraction of the followers before it, and when it began."""
    points = (
        profiles.select(S.CREATOR_ID, S.FOLLOWER_SERIES)
        .filter(pl.col(S.FOLLOWER_SERIES).list.len() >= MIN_SERIES_DAYS)
        .explode(S.FOLLOWER_SERIES).unnest(S.FOLLOWER_SERIES)
        .filter(pl.col("date").is_not_null() & (pl.col("followers") > 0))
        .sort("date", S.CREATOR_ID)
    )
    ahead = points.with_columns((pl.col("date") - pl.duration(days=JUMP_DAYS)).alias("date"))
    # For each day, the count JUMP_DAYS later (or the nearest earlier day the series has).
    paired = points.join_asof(ahead.rename({"followers": "_later"}), on="date", by=S.CREATOR_ID,
                              strategy="backward", check_sortedness=False).filter(pl.col("_later").is_not_null())
    growth = (pl.col("_later") / pl.col("followers") - 1.0).alias(FOLLOWER_JUMP)
    gain = (pl.col("_later") - pl.col("followers")).alias(FOLLOWER_JUMP_GAIN)
    return (
        paired.with_columns(growth, gain)
        .sort([S.CREATOR_ID, FOLLOWER_JUMP, "date"], descending=[False, True, False])
        .group_by(S.CREATOR_ID, maintain_order=True)
        # No growth is no jump: it has no date.
        .agg(pl.col(FOLLOWER_JUMP).first(),
             pl.when(pl.col(FOLLOWER_JUMP).first() > 0).then(pl.col("date").first()).alias(FOLLOWER_JUMP_DATE),
             pl.col(FOLLOWER_JUMP_GAIN).first())
    )


def creator_profiles(posts: pl.LazyFrame, profiles: pl.DataFrame | None,
                     roster: pl.DataFrame | None = None, also: pl.DataFrame | None = None) -> pl.LazyFrame:
    """One row per creator with nickname, followers, category and quote. Each comes from the
    roster the user passed (--creators) first, then crawled profiles (the newest snapshot),
    then the creator's own newest notes (category: its most common one). `also`: creators
    without usable notes (creator_id, and the nickname and followers their set-aside rows
    give, if any), listed all the same."""
    newest = [S.SNAPSHOT_AT, S.POSTED_AT]

    def latest(col: str) -> pl.Expr:
        return pl.col(col).sort_by(newest, nulls_last=False).drop_nulls().last()

    # Most common category; ties go to the alphabetically first, so the choice is stable.
    category = (
        posts.filter(pl.col(S.CATEGORY).is_not_null())
        .group_by(S.CREATOR_ID, S.CATEGORY).len()
        .sort([S.CREATOR_ID, "len", S.CATEGORY], descending=[False, True, False])
        .unique(S.CREATOR_ID, keep="first")
        .select(S.CREATOR_ID, S.CATEGORY)
    )
    out = posts.group_by(S.CREATOR_ID).agg(latest(S.NICKNAME), latest(S.FOLLOWERS), latest(S.FOLLOWERS_PRECISION))
    if also is not None and also.height:
        given = [c for c in (S.NICKNAME, S.FOLLOWERS) if c in also.columns]
        rows = also.select(pl.col(S.CREATOR_ID).cast(pl.String), *[pl.col(c).cast(S.CREATOR_SCHEMA[c]) for c in given])
        out = pl.concat([out, rows.lazy()], how="diagonal_relaxed")
    out = (
        out
        .join(category, on=S.CREATOR_ID, how="left")
        .with_columns(pl.lit(None, S.CREATOR_SCHEMA[c]).alias(c) for c in (S.QUOTE, S.ACTIVE_FANS, S.FOLLOWER_SERIES, S.LIFETIME_LIKES_SAVES))
    )
    # Later layers win: profiles over notes, the user's roster over profiles; but a follower
    # count written less precisely ("1.5万", "10万+") that agrees with the one below it doesn't.
    count, precision = (S.FOLLOWERS, S.FOLLOWERS_PRECISION)
    for table in (profiles, roster):
        if table is None or table.height == 0:
            continue
        t_count, t_precision = pl.col(f"_t_{count}"), pl.col(f"_t_{precision}")
        vaguer = (t_precision > pl.col(precision)) & S.counts_agree(t_count, t_precision, pl.col(count), pl.col(precision))
        out = out.join(_latest_per_creator(table, "_t_"), on=S.CREATOR_ID, how="left").with_columns(
            vaguer.fill_null(False).alias("_vaguer")
        ).select(
            S.CREATOR_ID,
            *[pl.when(pl.col("_vaguer")).then(pl.col(c)).otherwise(pl.coalesce(f"_t_{c}", c)).alias(c) if c in (count, precision)
              else pl.coalesce(f"_t_{c}", c).alias(c) for c in PROFILE_FIELDS],
        )
    # The series itself stays here: only its largest jump travels on.
    return (out.join(follower_jumps(out), on=S.CREATOR_ID, how="left").drop(S.FOLLOWER_SERIES)
            .with_columns(pl.when(pl.col(count).is_not_null()).then(pl.col(precision) == S.LOWER_BOUND).alias(S.FOLLOWERS_FLOOR)))


def _robust_sd(expr: pl.Expr) -> pl.Expr:
    """Scaled median absolute deviation: a spread one lucky note can't blow up."""
    return 1.4826 * (expr - expr.median()).abs().median()


def log_per_like(count: str) -> pl.Expr:
    """A note's log count per like, finite at zero counts (SMOOTH)."""
    return ((pl.col(count) + SMOOTH) / (pl.col(S.LIKES) + SMOOTH)).log()


def _shared_along() -> pl.Expr:
    """How far a note's shares per like rose above the creator's median note's (0 if they
    didn't): saves/likes above the creator's own that shares rose with are readers finding the
    note worth keeping and passing on (a guide among vlogs); bought saves bring no shares."""
    log_shl = log_per_like(S.SHARES)
    return (log_shl - log_shl.median().over(S.CREATOR_ID)).clip(lower_bound=0.0).fill_null(0.0)


def annotate_posts(posts: pl.LazyFrame, profiles: pl.LazyFrame, config: Config, as_of: datetime) -> pl.LazyFrame:
    """Add reach, interactions, weighted engagement, the window flag and per-note deviations."""
    days = config.window.days
    recent = config.window.min_recent_posts
    by = S.CREATOR_ID
    followers = pl.col("_creator_followers")
    has_views = pl.col(S.VIEWS).is_not_null()
    log_sl, log_cl = log_per_like(S.SAVES), log_per_like(S.COMMENTS)
    save_excess = log_sl - log_sl.median().over(by)
    unexplained_sl = pl.when(save_excess > 0).then((save_excess - _shared_along()).clip(lower_bound=0.0)).otherwise(save_excess)
    return (
        posts.join(profiles.select(by, pl.col(S.FOLLOWERS).alias("_creator_followers")), on=by, how="left")
        .with_columns(
            (pl.col(S.LIKES) + pl.col(S.SAVES) + pl.col(S.COMMENTS) + pl.col(S.SHARES).fill_null(0)).alias(INTERACTIONS),
            weighted_expr(config.weights).alias(WEIGHTED),
            # Notes after the as-of date are never judged (--as-of looks back from a date).
            (pl.col(S.POSTED_AT) <= pl.lit(as_of)).fill_null(False).alias(BY_AS_OF),
            (
                (pl.col(S.POSTED_AT) <= pl.lit(as_of))
                & (
                    (pl.col(S.POSTED_AT) >= pl.lit(as_of) - pl.duration(days=days))
                    | (pl.when(pl.col(S.POSTED_AT) <= pl.lit(as_of)).then(pl.col(S.POSTED_AT))
                       .rank("ordinal", descending=True).over(by) <= recent)
                )
            ).fill_null(False).alias(IN_WINDOW),
        )
        .with_columns(
            # A creator is judged per view when most of its judged notes carry views.
            pl.when((has_views & pl.col(IN_WINDOW)).sum().over(by) * 2 >= pl.col(IN_WINDOW).sum().over(by))
            .then(pl.lit("views"))
            .when(followers > 0).then(pl.lit("followers"))
            .otherwise(pl.lit("none"))
            .alias(RATE_BASIS),
        )
        .with_columns(
            pl.when(pl.col(RATE_BASIS) == "views").then(pl.col(S.VIEWS))
            .when(pl.col(RATE_BASIS) == "followers").then(followers)
            .cast(pl.Float64).alias(REACH),
        )
        .with_columns(
            (unexplained_sl / _robust_sd(log_sl).over(by).clip(lower_bound=0.25)).alias(NOTE_Z_SL),
            ((log_cl - log_cl.median().over(by)) / _robust_sd(log_cl).over(by).clip(lower_bound=0.25)).alias(NOTE_Z_CL),
            (pl.col(INTERACTIONS) / pl.col(INTERACTIONS).median().over(by).clip(lower_bound=1.0)).alias(NOTE_SPIKE),
        )
        .with_columns(
            # How far this note's ratios sit from the creator's own, in robust deviations: either
            # ratio alone, or both together (bought likes drag saves/likes and comments/likes
            # down at once, each a little).
            pl.max_horizontal(
                pl.col(NOTE_Z_SL).abs(), pl.col(NOTE_Z_CL).abs(), (pl.col(NOTE_Z_SL) + pl.col(NOTE_Z_CL)).abs() / 2**0.5,
            ).alias(NOTE_RATIO_DEV),
        )
    )


def above_lower_notes(count: str) -> tuple[pl.Expr, pl.Expr]:
    """For a creator flagged as buying `count` (saves or comments) for some of its notes: how
    far each note's count per like sits above the creator's usual, in deviations, and that usual
    per like. A farm buys for the top of its notes, so the usual and its spread come from the
    lower quarter (a normal's 5th-25th percentile gap is 0.971 sd), not from the median and MAD
    that the bought notes pull up. Saves above it that the note's shares rose with are readers'
    (_shared_along)."""
    by = S.CREATOR_ID
    x = log_per_like(count)
    q25, q05 = x.quantile(0.25).over(by), x.quantile(0.05).over(by)
    spread = ((q25 - q05) / 0.971).clip(lower_bound=0.25)  # the floor annotate_posts' deviations use
    usual = q25 + 0.674 * spread
    excess = x - usual
    if count == S.SAVES:
        excess = excess - _shared_along()
    return excess / spread, usual.exp()


def boosted_note(config: Config) -> pl.Expr:
    """A note looks boosted when its ratios sit far from the creator's own *and* it earned well
    above the creator's median: bought engagement lands on a few notes and skews their mix,
    while an honest viral note keeps the creator's ratios."""
    return (pl.col(NOTE_RATIO_DEV) > config.fraud.note_z) & spiked_note()


def spiked_note() -> pl.Expr:
    """The note earned at least SPIKE_MULTIPLE times the creator's median engagement."""
    return pl.col(NOTE_SPIKE) >= SPIKE_MULTIPLE


def _burst() -> list[pl.Expr]:
    """The busiest burst of a creator's notes (see BURST_*), from the per-note window sums:
    how many spiked notes, in how many, and whether their pooled ratios left the creator's
    own (bought engagement delivered in one go skews the mix of every note it lands on)."""
    # The window with the most spiked notes, then the fewest notes, then the earliest.
    busiest = (pl.col("_wk") * 1_000_000 - pl.col("_wn")).arg_max()

    def best(col: str) -> pl.Expr:
        return pl.col(col).get(busiest)

    # The window's notes' deviations from the creator's own ratios, combined (Stouffer).
    z_sl = best("_wzsl") / best("_wn").sqrt()
    z_cl = best("_wzcl") / best("_wn").sqrt()
    return [
        best("_wk").alias(BURST_SPIKED),
        best("_wn").alias(BURST_NOTES),
        best(S.POSTED_AT).alias(BURST_END),
        pl.max_horizontal(z_sl.abs(), z_cl.abs(), (z_sl + z_cl).abs() / 2**0.5).alias(BURST_RATIO_DEV),
        spiked_note().sum().alias(SPIKED_NOTES),
    ]


def _scale(log_likes: pl.Expr, count: str, slope: str, resid: str) -> list[pl.Expr]:
    """Slope of log(count) on log(likes) across notes, and the variance left around it; null
    with a handful of counts per note (counting noise) or likes that vary mostly by chance.

    Few likes per note make log likes noisy, and a noisy x flattens a fitted slope (regression
    dilution): so the slope is fitted on the variance of log likes beyond what Poisson counts
    alone give it (_signal_var). Otherwise a small tutorial creator, with plenty of saves but
    few likes, would look as if its saves didn't grow."""
    y = (pl.col(count) + 1).log()
    signal = _signal_var(S.LIKES)
    usable = (pl.col(count).median() >= MIN_COUNT_FOR_CORR) & (signal >= MIN_LIKES_RELIABILITY * log_likes.var())
    b = pl.cov(log_likes, y) / signal
    return [pl.when(usable).then(b).alias(slope),
            pl.when(usable).then((y.var() - b * pl.cov(log_likes, y)).clip(lower_bound=0.0)).alias(resid)]


def _per_like_noise(count: str) -> pl.Expr:
    """The variance Poisson counts alone give log_per_like across notes (the delta method:
    1/count + 1/likes), so that few comments aren't mistaken for varied ratios."""
    return (1 / (pl.col(count) + SMOOTH) + 1 / (pl.col(S.LIKES) + SMOOTH)).mean()


def _shares_follow_saves() -> list[pl.Expr]:
    """The SHARES_FOLLOW_SAVES slope and its standard error. Both log ratios carry counting
    noise (_per_like_noise) and share the likes' (1/likes), which alone would make shares/likes
    seem to follow saves/likes; both are taken out."""
    x, y = log_per_like(S.SAVES), log_per_like(S.SHARES)
    signal = x.var() - _per_like_noise(S.SAVES)
    slope = (pl.cov(x, y) - (1 / (pl.col(S.LIKES) + SMOOTH)).mean()) / signal
    left = (y.var() - pl.cov(x, y) ** 2 / x.var()).clip(lower_bound=0.0)
    usable = (pl.col(S.SHARES).is_not_null().all() & (pl.len() >= 3) & (pl.col(S.SHARES).median() >= MIN_COUNT_FOR_CORR)
              & (signal >= MIN_LIKES_RELIABILITY * x.var()) & (signal > 0))
    return [pl.when(usable).then(slope).alias(SHARES_FOLLOW_SAVES),
            pl.when(usable).then((left / ((pl.len() - 1) * signal)).sqrt()).alias(SHARES_FOLLOW_SE)]


def _signal_var(count: str) -> pl.Expr:
    """Variance of log(count + 1) across notes beyond Poisson counting noise. A note's noise is
    (x + 0.5) / (x + 1)^2: the delta method's x / (x + 1)^2 runs low for small counts and
    1 / (x + 1) high; this one is within 3% of the exact Poisson variance from 4 a note up."""
    x = pl.col(count)
    return (x + 1).log().var() - ((x + 0.5) / (x + 1) ** 2).mean()


def _attenuation(count: str) -> pl.Expr:
    """sqrt(reliability of log likes x reliability of log count): the factor by which counting
    noise shrinks their correlation across notes (Spearman's attenuation). Each reliability is
    floored at MIN_RELIABILITY, so that a side which is nearly all noise can't excuse anything."""
    def reliability(col: str) -> pl.Expr:
        total = (pl.col(col) + 1).log().var()
        return pl.when(total > 0).then(_signal_var(col) / total).clip(MIN_RELIABILITY, 1.0)

    return (reliability(S.LIKES) * reliability(count)).sqrt()


def _unevenness() -> tuple[pl.Expr, pl.Expr]:
    """ENGAGEMENT_CV and ENGAGEMENT_GINI over a creator's notes; null under 3 notes or with no
    engagement at all. The Gini is the sample one times n / (n - 1), so that a creator with few
    notes isn't made to look even by their number alone."""
    x = pl.col(INTERACTIONS).drop_nulls().cast(pl.Float64)
    n = x.len().cast(pl.Float64)
    usable = (n >= 3) & (x.sum() > 0)
    ordered = x.sort()
    # Sum over the sorted notes of (2i - n - 1) x_i, i from 1: the Gini's numerator times n.
    lorenz = ((2 * pl.int_range(1, x.len() + 1, dtype=pl.Int64) - x.len() - 1).cast(pl.Float64) * ordered).sum()
    return (pl.when(usable).then(x.std() / x.mean()).alias(ENGAGEMENT_CV),
            pl.when(usable).then(lorenz / (n * x.sum()) * n / (n - 1)).alias(ENGAGEMENT_GINI))


def creator_metrics(posts: pl.LazyFrame, profiles: pl.LazyFrame, config: Config, as_of: datetime) -> pl.LazyFrame:
    """Per-creator rates, ratios, spreads and the raw material for fraud features, from notes
    annotated by annotate_posts (which decides, by the as-of date, which notes are judged)."""
    by = S.CREATOR_ID
    windowed = posts.filter(pl.col(IN_WINDOW)).sort([by, S.POSTED_AT]).with_columns(
        # Gaps between a creator's consecutive notes: the frame is sorted by creator and time,
        # so a plain diff, blanked at each creator's first note, avoids a per-group diff.
        pl.when(pl.col(by) == pl.col(by).shift())
        .then(pl.col(S.POSTED_AT).diff().dt.total_seconds().cast(pl.Float64)).alias("_gap")
    ).with_columns(
        # One time axis for all creators, each on its own stretch of it (the frame is sorted by
        # creator and time), so one rolling pass serves every creator without a per-group window.
        ((pl.col(by) != pl.col(by).shift()).fill_null(True).cum_sum().cast(pl.Int64) * CREATOR_STRETCH_S
         + pl.col(S.POSTED_AT).dt.epoch("s")).alias("_t")
    ).with_columns(
        # Per note, sums over the creator's notes of the JUMP_DAYS before it (inclusive).
        *[c.rolling_sum_by("_t", window_size=f"{JUMP_DAYS * 86400}i").alias(f"_w{name}")
          for name, c in (("n", pl.col(S.LIKES).is_not_null().cast(pl.Int64)), ("k", spiked_note().cast(pl.Int64)),
                          ("zsl", pl.col(NOTE_Z_SL)), ("zcl", pl.col(NOTE_Z_CL)))]
    )
    reach = pl.col(REACH)
    ok = reach > 0

    def rate(col: str | pl.Expr) -> pl.Expr:
        c = pl.col(col) if isinstance(col, str) else col
        return (c / reach).filter(ok).median()

    def log_rate(col: str) -> pl.Expr:
        return ((pl.col(col) + SMOOTH) / reach).log().filter(ok)

    log_likes = (pl.col(S.LIKES) + 1).log()
    gaps = pl.col("_gap").drop_nulls()
    hit_floor = config.scoring.hit_multiple * pl.col(INTERACTIONS).median()
    # What the creator had posted by the as-of date (a vet as of March doesn't see June's notes);
    # the floor under its lifetime totals counts every crawled note, since profiles are crawled now.
    all_counts = posts.group_by(by).agg(pl.col(BY_AS_OF).sum().cast(pl.UInt32).alias(N_POSTS_TOTAL),
                                        (~pl.col(BY_AS_OF)).sum().cast(pl.UInt32).alias(N_POSTS_LATER),
                                        pl.col(S.POSTED_AT).filter(pl.col(BY_AS_OF)).max().alias(LAST_POST),
                                        (pl.col(S.LIKES) + pl.col(S.SAVES)).sum().alias(LIKES_SAVES_CRAWLED),
                                        ).with_columns((pl.lit(as_of) - pl.col(LAST_POST)).dt.total_days().alias(DAYS_SINCE_LAST))
    # Notes from JUMP_DAYS before a follower jump to its end: a viral note explains a jump.
    jump = pl.col(FOLLOWER_JUMP_DATE).cast(pl.Datetime("us"))
    around_jump = (
        posts.join(profiles.select(by, FOLLOWER_JUMP_DATE).filter(pl.col(FOLLOWER_JUMP_DATE).is_not_null()), on=by)
        .filter(pl.col(S.POSTED_AT).is_between(jump - pl.duration(days=JUMP_DAYS), jump + pl.duration(days=JUMP_DAYS + 1),
                                               closed="left"))
        .group_by(by).agg(pl.col(INTERACTIONS).sum().alias(JUMP_CONTENT))
    )
    has_shares = pl.col(S.SHARES).is_not_null().any()  # without a shares column, share rates are unknown, not 0
    aggregated = windowed.group_by(by).agg(
        pl.len().alias(N_POSTS),
        pl.col(RATE_BASIS).first(),
        rate(S.SAVES).alias(SAVE_RATE),
        rate(S.LIKES).alias(LIKE_RATE),
        rate(S.COMMENTS).alias(COMMENT_RATE),
        pl.when(has_shares).then(rate(pl.col(S.SHARES).fill_null(0))).alias(SHARE_RATE),
        rate(INTERACTIONS).alias(ENGAGEMENT_RATE),
        rate(WEIGHTED).alias(WEIGHTED_RATE),
        (pl.col(S.SAVES).sum() / pl.col(S.LIKES).sum().clip(lower_bound=1)).alias(SAVE_LIKE),
        pl.col(S.LIKES).sum().alias(LIKES_JUDGED),
        (pl.col(S.COMMENTS).sum() / pl.col(S.LIKES).sum().clip(lower_bound=1)).alias(COMMENT_LIKE),
        pl.when(has_shares).then(pl.col(S.SHARES).fill_null(0).sum() / pl.col(S.LIKES).sum().clip(lower_bound=1)).alias(SHARE_LIKE),
        pl.when(has_shares).then(pl.col(S.SHARES).sum() / pl.col(S.SAVES).sum().clip(lower_bound=1)).alias(SHARE_SAVE),
        (pl.col(INTERACTIONS) >= hit_floor.clip(lower_bound=1)).mean().alias(HIT_RATE),
        pl.col(INTERACTIONS).median().alias(MEDIAN_INTERACTIONS),
        pl.col(S.SAVES).median().alias(MEDIAN_SAVES),
        (pl.col(S.VIEWS) / pl.col("_creator_followers")).filter(pl.col("_creator_followers") > 0).median().alias(VIEWS_PER_FOLLOWER),
        log_rate(WEIGHTED).median().alias(LOG_WEIGHTED),
        log_rate(S.SAVES).median().alias(LOG_SAVE),
        log_rate(S.LIKES).median().alias(LOG_LIKE),
        _robust_sd(log_rate(WEIGHTED)).alias(LOG_WEIGHTED_SPREAD),
        log_per_like(S.SAVES).std().alias(LOG_SAVE_LIKE_SD),
        log_per_like(S.COMMENTS).std().alias(LOG_COMMENT_LIKE_SD),
        _per_like_noise(S.SAVES).alias(LOG_SAVE_LIKE_NOISE),
        _per_like_noise(S.COMMENTS).alias(LOG_COMMENT_LIKE_NOISE),
        # With a handful of saves or comments per note, a correlation is counting noise.
        pl.when(pl.col(S.SAVES).median() >= MIN_COUNT_FOR_CORR)
        .then(pl.corr(log_likes, (pl.col(S.SAVES) + 1).log())).alias(CORR_LIKES_SAVES),
        pl.when(pl.col(S.COMMENTS).median() >= MIN_COUNT_FOR_CORR)
        .then(pl.corr(log_likes, (pl.col(S.COMMENTS) + 1).log())).alias(CORR_LIKES_COMMENTS),
        _attenuation(S.SAVES).alias(CORR_SAVES_ATTENUATION),
        _attenuation(S.COMMENTS).alias(CORR_COMMENTS_ATTENUATION),
        *_scale(log_likes, S.SAVES, SAVES_SCALE, SAVES_SCALE_RESID),
        *_scale(log_likes, S.COMMENTS, COMMENTS_SCALE, COMMENTS_SCALE_RESID),
        _signal_var(S.LIKES).alias(LOG_LIKES_VAR),
        *_shares_follow_saves(),
        (pl.col(INTERACTIONS).max() / pl.col(INTERACTIONS).median().clip(lower_bound=1.0)).alias(SPIKE),
        *_unevenness(),
        (pl.col(NOTE_RATIO_DEV) > config.fraud.note_z).mean().alias(JUMP_SHARE),
        boosted_note(config).mean().alias(BOOSTED_SHARE),
        ((gaps.std() - gaps.mean()) / (gaps.std() + gaps.mean()).clip(lower_bound=1e-9)).alias(BURSTINESS),
        (pl.col(S.PRECISION) == S.LOWER_BOUND).mean().alias(CENSORED_SHARE),
        (pl.col(S.COUNT_DROPPED) & ~pl.col(S.NOTE_VANISHED)).mean().alias(DROPPED_SHARE),
        pl.col(S.NOTE_VANISHED).mean().alias(VANISHED_SHARE),
        pl.col(NOTE_SPIKE).filter(pl.col(S.NOTE_VANISHED)).median().alias(VANISHED_EARNED),
        *_burst(),
        (pl.len() / ((pl.col(S.POSTED_AT).max() - pl.col(S.POSTED_AT).min()).dt.total_days().cast(pl.Float64)
                     .clip(lower_bound=7.0) / 7.0)).alias(POSTS_PER_WEEK),
    )
    return (
        profiles.join(all_counts, on=by, how="left")
        .join(aggregated, on=by, how="left")
        .join(around_jump, on=by, how="left")
        .with_columns(
            tier_expr(pl.col(S.FOLLOWERS), config.tiers).alias(TIER),
            pl.col(S.CATEGORY).fill_null(S.UNKNOWN),
            pl.col(N_POSTS).fill_null(0),
            pl.col(N_POSTS_TOTAL).fill_null(0),  # a roster-only creator: no notes, not an unknown number
        )
    )
