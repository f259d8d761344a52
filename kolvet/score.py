"""Creator metrics + config -> a 0-100 quality score with its components.

The score rewards what predicts purchase intent on XHS, relative to what is expected of a
creator of the same size and category, never size itself:

- save quality: median save rate against the size-and-category expectation;
- engagement quality: median weighted engagement (saves 4, shares 4, comments 2.5, likes 1 by
  default) against the same expectation;
- comment depth: comments per like (评赞比) against category peers;
- consistency: how steady the creator's notes are, against the cohort.

Each component is 50 when a creator is exactly as expected and moves toward 0 or 100 with the
log of the ratio actual/expected (`steepness`: 2x expected scores 80 at the default).
Small samples are shrunk toward the expectation (empirical Bayes), so three lucky notes can't
outrank forty steady ones. The fraud module's score later takes an authenticity penalty off.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from kolvet import metrics as M
from kolvet import schema as S
from kolvet.config import Config

SAVE_QUALITY = "save_quality"
ENGAGEMENT_QUALITY = "engagement_quality"
COMMENT_DEPTH = "comment_depth"
CONSISTENCY = "consistency"
QUALITY_SCORE = "quality_score"
AUTHENTICITY_PENALTY = "authenticity_penalty"
SCORE = "score"
SAVES_VS_EXPECTED = "saves_vs_expected"
ENGAGEMENT_VS_EXPECTED = "engagement_vs_expected"
ENGAGEMENT_VS_EXPECTED_RAW = "engagement_vs_expected_unshrunk"  # for fraud checks: no pull toward typical
EXPECTED_SAVE_RATE = "expected_save_rate"
EXPECTED_WEIGHTED_RATE = "expected_weighted_rate"
COMMENT_DEPTH_VS_PEERS = "comment_like_vs_peers"
SPREAD_VS_COHORT = "note_spread_vs_cohort"  # what consistency scores: its notes' spread / the cohort's typical
PRIOR_WEIGHT = "prior_weight_posts"  # how many notes' worth of weight the size expectation got when shrinking
BENCHMARK = "benchmark"
CPE = "cpe"
COST_PER_SAVE = "cost_per_save"
COMPONENTS = (SAVE_QUALITY, ENGAGEMENT_QUALITY, COMMENT_DEPTH, CONSISTENCY)


@dataclass(frozen=True)
class SizeCurve:
    """log(rate) = intercept[category] + slope * log(followers), fit on the cohort."""

    slope: float
    intercepts: dict[str, float]
    fallback: float
    fitted_on: int  # creators used; 0 means the prior slope was used

    def expected(self, log_followers: np.ndarray, categories: np.ndarray) -> np.ndarray:
        names, inverse = np.unique(categories, return_inverse=True)  # a lookup per category, not per creator
        base = np.array([self.intercepts.get(str(c), self.fallback) for c in names], dtype=float)[inverse]
        x = np.where(np.isfinite(log_followers), log_followers, 0.0)
        slope_term = np.where(np.isfinite(log_followers), self.slope * x, 0.0)
        return base + slope_term


def _robust_sd(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    if x.size < 2:
        return float("nan")
    return float(1.4826 * np.median(np.abs(x - np.median(x))))


def fit_size_curve(y: np.ndarray, log_followers: np.ndarray, categories: np.ndarray,
                   use: np.ndarray, prior_slope: float, min_creators: int,
                   category_weight: float = 1.0) -> SizeCurve:
    """Shared slope, an intercept per category (categories with few creators lean on the
    cohort's), fit twice so the second pass ignores creators far off the first curve."""
    has_x = np.isfinite(log_followers)
    ok = use & np.isfinite(y)
    if not ok.any():
        return SizeCurve(prior_slope, {}, float("nan"), 0)
    slope = prior_slope if has_x[ok].any() else 0.0
    fitted = 0
    keep = ok & has_x
    if keep.sum() >= min_creators and np.ptp(log_followers[keep]) > 0.5:
        for _ in range(2):
            cats, idx = np.unique(categories[keep], return_inverse=True)
            design = np.zeros((keep.sum(), len(cats) + 1))
            design[:, 0] = log_followers[keep]
            design[np.arange(keep.sum()), idx + 1] = 1.0
            coef, *_ = np.linalg.lstsq(design, y[keep], rcond=None)
            slope = float(coef[0])
            resid = y - slope * np.where(has_x, log_followers, 0.0)
            lookup = np.searchsorted(cats, categories).clip(0, len(cats) - 1)
            offsets = np.where(cats[lookup] == categories, coef[1:][lookup], np.nan)
            dev = resid - offsets
            spread = _robust_sd(dev[keep])
            inliers = keep & (np.abs(dev) <= 3 * spread) if spread > 0 else keep
            if inliers.sum() < min_creators:
                break
            keep = inliers
        fitted = int(keep.sum())
    # Intercepts: per-category median of what's left after the size term, shrunk toward the
    # cohort's median when a category has few creators.
    level = y - slope * np.where(has_x, log_followers, 0.0)
    base_mask = (keep if fitted else ok)
    overall = float(np.median(level[base_mask]))
    intercepts: dict[str, float] = {}
    for cat in np.unique(categories[base_mask]):
        vals = level[base_mask & (categories == cat)]
        n = vals.size
        own = float((n * np.median(vals) + 5 * overall) / (n + 5))
        intercepts[str(cat)] = overall + category_weight * (own - overall)
    return SizeCurve(slope, intercepts, overall, fitted)


def _sigmoid_score(x: np.ndarray, steepness: float) -> np.ndarray:
    return 100.0 / (1.0 + np.exp(-steepness * x))


def _shrink(resid: np.ndarray, n: np.ndarray, within_var: float, judged: np.ndarray,
            cap: float) -> tuple[np.ndarray, float]:
    """Empirical Bayes: pull each residual toward 0 (the size expectation) by n / (n + k),
    with k = within-creator variance of a median / between-creator variance."""
    ok = judged & np.isfinite(resid)
    n_safe = np.maximum(n, 1)
    if ok.sum() >= 3 and np.isfinite(within_var):
        sampling = 1.57 * within_var / n_safe  # variance of a median of n notes
        between = max(_robust_sd(resid[ok]) ** 2 - float(np.median(sampling[ok])), 1e-3)
        k = min(1.57 * within_var / between, cap)
    else:
        k = cap / 4
    return resid * n_safe / (n_safe + k), float(k)


def quality(creators: pl.DataFrame, config: Config) -> pl.DataFrame:
    """Add the score components, the quality score (before the authenticity penalty) and the
    numbers that explain them."""
    sc = config.scoring
    n = creators.get_column(M.N_POSTS).fill_null(0).to_numpy().astype(float)
    followers = creators.get_column(S.FOLLOWERS).cast(pl.Float64).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        log_f = np.where(followers > 0, np.log(followers), np.nan)
    cats = creators.get_column(S.CATEGORY).fill_null(S.UNKNOWN).to_numpy().astype(str)
    basis = creators.get_column(M.RATE_BASIS).fill_null("none").to_numpy().astype(str)
    judged = n >= sc.min_posts
    spread = creators.get_column(M.LOG_WEIGHTED_SPREAD).cast(pl.Float64).to_numpy()
    well_observed = judged & (n >= 5) & np.isfinite(spread)
    within_var = float(np.median(spread[well_observed] ** 2)) if well_observed.any() else float("nan")

    columns: dict[str, np.ndarray] = {}
    for name, log_col, expected_col, ratio_col in (
        (SAVE_QUALITY, M.LOG_SAVE, EXPECTED_SAVE_RATE, SAVES_VS_EXPECTED),
        (ENGAGEMENT_QUALITY, M.LOG_WEIGHTED, EXPECTED_WEIGHTED_RATE, ENGAGEMENT_VS_EXPECTED),
    ):
        y = creators.get_column(log_col).cast(pl.Float64).to_numpy()
        expected = np.full(len(y), np.nan)
        for b in ("views", "followers"):
            rows = basis == b
            if not rows.any():
                continue
            prior = 0.0 if b == "views" else sc.size_slope_prior
            curve = fit_size_curve(y[rows], log_f[rows], cats[rows], judged[rows], prior, sc.min_fit_creators,
                                   sc.category_weight)
            expected[rows] = curve.expected(log_f[rows], cats[rows])
        shrunk, k = _shrink(y - expected, n, within_var, judged, sc.shrinkage_max_prior_posts)
        columns[name] = _sigmoid_score(shrunk, sc.steepness)
        columns[expected_col] = np.exp(expected)
        columns[ratio_col] = np.exp(shrunk)
        if name == ENGAGEMENT_QUALITY:
            columns[PRIOR_WEIGHT] = np.full(len(y), k)
            columns[ENGAGEMENT_VS_EXPECTED_RAW] = np.exp(y - expected)

    # Comment depth against category peers (judged creators), shrunk the same way.
    cl = creators.get_column(M.COMMENT_LIKE).cast(pl.Float64).to_numpy()
    # Without a single like, comments per like is no depth at all: the component is left out.
    cl = np.where(creators.select(M.no_likes()).to_series().to_numpy(), np.nan, cl)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_cl = np.log(np.maximum(cl, 0) + 1e-3)
    peer = np.full(len(cl), np.nanmedian(log_cl[judged]) if judged.any() else np.nan)
    for cat in np.unique(cats):
        rows = judged & (cats == cat) & np.isfinite(log_cl)
        if rows.sum() >= 5:
            peer[cats == cat] = np.median(log_cl[rows])
    cl_resid, _ = _shrink(log_cl - peer, n, within_var, judged, sc.shrinkage_max_prior_posts)
    columns[COMMENT_DEPTH] = _sigmoid_score(cl_resid, sc.steepness)
    columns[COMMENT_DEPTH_VS_PEERS] = np.exp(log_cl - peer)

    # Consistency: spread of a creator's notes against the cohort's typical spread.
    # Spreads under 0.05 (in log units) count as 0.05, the cohort's typical one too: notes can't be
    # steadier than steady, and a cohort of identical notes would otherwise divide by 0.
    typical = max(float(np.median(spread[well_observed])), 0.05) if well_observed.any() else np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.log(np.maximum(spread, 0.05) / typical)
    consistency = _sigmoid_score(-rel, sc.steepness)
    columns[CONSISTENCY] = np.where((n >= 4) & np.isfinite(consistency), consistency, 50.0)
    columns[SPREAD_VS_COHORT] = np.where((n >= 4) & np.isfinite(rel), np.exp(rel), np.nan)

    weights = {SAVE_QUALITY: sc.save_quality, ENGAGEMENT_QUALITY: sc.engagement_quality,
               COMMENT_DEPTH: sc.comment_depth, CONSISTENCY: sc.consistency}
    total = np.zeros(len(n))
    weight_sum = np.zeros(len(n))
    for comp, w in weights.items():
        vals = columns[comp]
        ok = np.isfinite(vals)
        total += np.where(ok, vals * w, 0.0)
        weight_sum += np.where(ok, w, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        columns[QUALITY_SCORE] = np.where(weight_sum > 0, total / weight_sum, np.nan)

    out = creators.with_columns(
        pl.Series(k, v, dtype=pl.Float64, nan_to_null=True) for k, v in columns.items()
    )
    return out.with_columns(
        benchmark_expr(config).alias(BENCHMARK),
        # A median note with no engagement (or no saves) has no price per one: not the whole quote.
        pl.when(pl.col(M.MEDIAN_INTERACTIONS) >= 1).then(pl.col(S.QUOTE) / pl.col(M.MEDIAN_INTERACTIONS)).alias(CPE),
        pl.when(pl.col(M.MEDIAN_SAVES) >= 1).then(pl.col(S.QUOTE) / pl.col(M.MEDIAN_SAVES)).alias(COST_PER_SAVE),
    )


def benchmark_expr(config: Config) -> pl.Expr:
    """Label a creator's engagement rate against its category's published range; categories
    without a benchmark are compared with the cohort."""
    er = pl.col(M.ENGAGEMENT_RATE) * 100
    cat = pl.col(S.CATEGORY)
    expr = pl.when(er.is_null()).then(pl.lit("no rate"))
    for name, b in config.benchmarks.items():
        expr = (
            expr.when((cat == name) & (er < b.average_low)).then(pl.lit(f"below {name} average"))
            .when((cat == name) & (er <= b.average_high)).then(pl.lit(f"{name} average"))
            .when((cat == name) & (er < b.top_low)).then(pl.lit(f"above {name} average"))
            .when(cat == name).then(pl.lit(f"{name} top"))
        )
    q33 = er.quantile(0.33)
    q90 = er.quantile(0.90)
    expr = (
        expr.when(er < q33).then(pl.lit("below cohort average"))
        .when(er < q90).then(pl.lit("cohort average"))
        .otherwise(pl.lit("cohort top"))
    )
    return expr


def authenticity(scored: pl.DataFrame, fraud_score: str, fraud_flag: str, fraud_watch: str,
                 config: Config) -> pl.DataFrame:
    """Take the authenticity penalty off: a flagged creator loses half of `max_fraud_penalty`,
    rising to all of it as its fraud score nears 1. A creator on watch (unflagged, near the
    line, with reasons shown) loses up to `watch_penalty`, in proportion to how close it is.
    Everyone else loses nothing: their fraud score has no checkable reason behind it."""
    fs = pl.col(fraud_score).fill_null(0)
    sure = ((fs - 0.5) / 0.5).clip(0.0, 1.0)
    lo = config.fraud.watch_score
    near = ((fs - lo) / (0.5 - lo)).clip(0.0, 1.0)
    penalty = (pl.when(pl.col(fraud_flag).fill_null(False))
               .then(config.scoring.max_fraud_penalty * (0.5 + 0.5 * sure))
               .when(pl.col(fraud_watch).fill_null(False)).then(config.scoring.watch_penalty * near)
               .otherwise(0.0))
    return scored.with_columns(penalty.alias(AUTHENTICITY_PENALTY)).with_columns(
        (pl.col(QUALITY_SCORE) - pl.col(AUTHENTICITY_PENALTY)).clip(0.0, 100.0).round(1).alias(SCORE)
    )
