"""Likely fake engagement: scale-free features against peers, an isolation forest, and
explicit peer checks that give every flag its reasons with numbers.

Why this shape (domain.md): an isolation forest on raw account counts scored worse than random
on real accounts; it works when fed ratios normalised against peers of the same size and
category. So every feature here is a robust z-score of a ratio against the creator's peers
(same category and follower tier, widening to the category and then the cohort when fewer than
`MIN_PEERS` judged creators share a group). The forest says how unusual a creator is; the
pattern checks say *what* is unusual in words a marketer can verify, and a creator is flagged
only when both agree. Cohorts too small for a forest are judged by the checks alone, against
built-in benchmarks, and say so.

Features (all compared with peers unless noted; "low"/"high" = only that side is suspect):
  engagement_vs_size   weighted engagement per reach against the size curve (both sides)
  likes_vs_size        likes per reach against the size curve (high: bought likes, which honest
                       like-heavy creators don't show because their likes are ordinary)
  reach_vs_size        views per follower against the size curve and the reach the cohort gives
                       notes that engage as well per view, views known (low: bought followers)
  save_like            log 藏赞比 (saves / likes) (both)
  comment_like         log 评赞比 (comments / likes) (both)
  share_like           log shares / likes (both)
  shares_per_save      log shares / saves: real saves come with shares, bought ones don't (low)
  shares_ignore_saves  how far shares move with the saves' swings from note to note (a slope of
                       log shares/likes on log saves/likes, counting noise taken out): honest
                       swings move shares, up or down; saves bought for some notes leave them as
                       they were. A z against the creator's own notes, not peers (high: suspect);
                       only a pattern sign beside a save/likes spread far *above* peers', not fed
                       to the forest
  saves_track_likes    correlation of log saves with log likes across the creator's notes (low;
                       compared with what peers would show at the creator's own counts, since few
                       likes a note make even honest saves correlate weakly with them; never
                       judged more precisely than its number of notes allows)
  comments_track_likes correlation of log comments with log likes across notes (low; likewise)
  saves_scale          slope of log saves on log likes across notes: 1 when saves grow in
                       proportion to a note's reach; bought ones are sold as fixed counts per note
                       and don't grow (low; never judged more precisely than the creator's own
                       notes allow, given how much its likes vary)
  comments_scale       the same for comments (low)
  save_like_spread     sd of log saves/likes across notes; bundles sold at fixed ratios are flat (low;
                       compared with what peers would show at the creator's own counts)
  comment_like_spread  sd of log comments/likes across notes (low; likewise)
  engagement_gini      Gini coefficient of a note's interactions across the creator's notes: how
                       unevenly engagement falls (low: bundles of a fixed size per note flatten what
                       heavy-tailed honest reach makes uneven; a few viral notes make it high, so
                       that side is no sign). Never judged more precisely than its number of notes
                       allows. Its reason also quotes the coefficient of variation (sd / mean),
                       which is not fed to the forest: with few notes it runs low by their number
                       alone (engagement_cv, judged against peers for the reason only)
  ratio_jumps          share of notes whose ratios jump away from the creator's own (high)
  boosted_notes        share of notes with ratios off the creator's own *and* engagement >= 2x
                       its median (high)
  burstiness           posting-time burstiness, (sd - mean) / (sd + mean) of gaps (high)
  counts_down          share of notes whose counts fell between snapshots, or that a later crawl
                       should have re-read and didn't (deleted; kolvet.snapshots) (high)
  likes_saves_per_follower  log(lifetime likes and saves (获赞与收藏) / followers), from crawled
                       profiles or a roster (low: followers are earned by engagement, so bought
                       ones have none behind them; an account famous off XHS looks the same,
                       which the reason lets a marketer check)
  template_comments    share of crawled comments that are emoji-only or repeat word for word under
                       another of the creator's notes, from comment files (high: bought comment
                       packages reuse a few templates; 20+ comments on 3+ notes, else absent)
  active_fans          share of followers XHS counts as active, from a roster (low: bought
                       followers are mostly inactive; absent when the roster doesn't give it)
  follower_jump        log(1 + largest follower growth within 3 days) of a daily follower series,
                       a roster's or one built from profiles crawled on several days (high:
                       bought followers arrive in a few deliveries; an honest viral note
                       brings a jump too, hence the second sign below)
  unexplained_jump     log(followers gained in that jump / interactions on the notes posted
                       around it): a jump with no content to explain it (high)
  burst                the busiest few days of notes that each earned 2x+ the creator's median,
                       as a z-score against the creator's own rate of such notes (high; a
                       second sign is that the burst's pooled ratios left the creator's own)
  spike                max / median note engagement: not fed to the forest (an honest viral note
                       is a spike), only used as a reason next to ratio jumps
One-sided features enter the forest as their suspicious side only, so that, say, saves that
track likes unusually *well* never make a creator look odd.
Censored counts ("10万+") are reported as a caveat, not as evidence: they say the data is
coarse, not that the creator cheated.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import polars as pl

from kolvet import comments as C
from kolvet import metrics as M
from kolvet import schema as S
from kolvet import score as SC
from kolvet.config import Config, FraudConfig
from kolvet.errors import KolvetError

FRAUD_SCORE = "fraud_score"
FRAUD_FLAG = "fraud_flag"
FRAUD_REASONS = "fraud_reasons"
FRAUD_PATTERN = "fraud_pattern"
FRAUD_WATCH = "fraud_watch"  # not flagged, but within reach of the line with checkable reasons
BURST_CONFIRMED = "burst_confirmed"  # the creator's busiest burst passes the boosted-burst check
FOREST_SCORE = "forest_score"
FRAUD_MODE = "fraud_mode"
BOOSTED = "boosted"
BOOST_REASON = "boost_reason"

MIN_PEERS = 10
# Feature -> which side is suspect ("both", "low" or "high"); spike is for reasons only.
SIDES = {
    "engagement_vs_size": "both", "likes_vs_size": "high", "reach_vs_size": "low", "save_like": "both", "comment_like": "both",
    "share_like": "both", "shares_per_save": "low", "saves_track_likes": "low", "comments_track_likes": "low",
    "save_like_spread": "low", "comment_like_spread": "low", "ratio_jumps": "high", "boosted_notes": "high",
    "burstiness": "high", "counts_down": "high", "active_fans": "low", "follower_jump": "high",
    "unexplained_jump": "high", "burst": "high", "likes_saves_per_follower": "low", "template_comments": "high",
    "saves_scale": "low", "comments_scale": "low", "engagement_gini": "low",
}
FEATURES = tuple(SIDES)
# Per follower, these read too high when the follower count is only a floor ("10万+"): the
# true count is larger, so the true rate is lower. A floor still shows too little engagement.
FLOOR_OVERSTATES = ("engagement_vs_size", "likes_vs_size")

# Built-in references for cohorts too small to have peers: (median, robust sd) of each raw
# feature. Ratios from domain.md (藏赞比 35-60%, 评赞比 8-15% on healthy notes); spreads and
# correlations are what honest note-to-note variation looks like.
REFERENCE = {
    "engagement_vs_size": (0.0, 0.7),
    "reach_vs_size": (0.0, 0.6),
    "likes_vs_size": (0.0, 0.7),
    "save_like": (float(np.log(0.45)), 0.6),
    "comment_like": (float(np.log(0.11)), 0.6),
    "share_like": (float(np.log(0.1)), 0.8),
    "shares_per_save": (float(np.log(0.15)), 0.7),
    "saves_track_likes": (0.85, 0.12),
    "comments_track_likes": (0.75, 0.15),
    # The same correlations with counting noise taken out (helpers for the two above); a real
    # crawl's small creators show 0.99 for saves (39 creators) and 0.76 for comments (51).
    "saves_track_likes_true": (0.95, 0.1),
    "comments_track_likes_true": (0.8, 0.2),
    # Slopes of log saves and comments on log likes across notes, and the variance left around
    # them: a real crawl's small creators (39 and 51 with 5+ saves or comments a note) show saves
    # growing a little faster than likes (median 1.23, robust sd 0.42, residual variance 0.15)
    # and comments a little slower (0.81, 0.27, 0.62).
    "saves_scale": (1.2, 0.4),
    "comments_scale": (0.8, 0.3),
    "saves_scale_resid": (0.15, 0.1),
    "comments_scale_resid": (0.6, 0.4),
    "save_like_spread": (float(np.log(0.45)), 0.35),
    "comment_like_spread": (float(np.log(0.6)), 0.35),
    # Note-to-note variance of log ratios beyond counting noise (helpers for the spreads).
    "save_like_excess": (0.09, 0.08),
    "comment_like_excess": (0.12, 0.1),
    "ratio_jumps": (0.0, 0.05),
    "boosted_notes": (0.0, 0.05),
    # How unevenly engagement falls across notes: a real crawl's 107 creators with 5+ notes show
    # a Gini of 0.62 (robust sd 0.18) and sd / mean of 1.30 (log robust sd 0.45).
    "engagement_gini": (0.6, 0.18),
    "engagement_cv": (float(np.log(1.32)), 0.45),
    "spike": (float(np.log(4.0)), 0.6),
    "burstiness": (0.0, 0.3),
    "counts_down": (0.0, 0.05),
    # A real agency roster (36 creators with 1k+ followers) shows 29-91%, median 50%, IQR 46-61%.
    "active_fans": (0.50, 0.11),
    # Organic growth over 3 days is a few percent at most, outside a viral note.
    "follower_jump": (float(np.log1p(0.01)), 0.03),
    # Followers gained per interaction on the notes around the jump: a few percent when content
    # brings them (domain.md: saves, comments and shares precede follower growth).
    "unexplained_jump": (float(np.log(0.03)), 1.0),
    "burst": (0.0, 1.0),  # already a z-score against the creator's own notes
    # 获赞与收藏 per follower over the account's life. A real crawl's 103 small creators (and its
    # roster sheet) show a median of ~10-11, falling a little with size, sd ~0.7-0.8 in logs.
    "likes_saves_per_follower": (float(np.log(10.0)), 0.8),
    # Honest comment sections repeat a little ("好看", "求链接", emoji): a guess, not a measurement
    # (the real crawl has no comment files); cohorts of 30+ use their own peers.
    "template_comments": (0.25, 0.12),
}
# Smallest robust sd a feature may have, so a cohort of near-identical creators doesn't turn
# tiny differences into huge z-scores.
SD_FLOOR = {"saves_track_likes": 0.08, "comments_track_likes": 0.1, "burstiness": 0.15, "active_fans": 0.05,
            # A few percent more in 3 days is ordinary growth, not a purchase.
            "follower_jump": 0.05,
            # Followers earned per like or save differ by category and style: half again is ordinary.
            "likes_saves_per_follower": 0.4,
            "template_comments": 0.05}


def _vs_size(y: np.ndarray, creators: pl.DataFrame, judged: np.ndarray, config: Config,
             groups: np.ndarray) -> np.ndarray:
    """A log quantity against what is expected for the creator's size: one cohort curve per
    group (rate basis), so per-view and per-follower figures never share a curve."""
    followers = creators.get_column(S.FOLLOWERS).cast(pl.Float64).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        log_f = np.where(followers > 0, np.log(followers), np.nan)
    out = np.full(len(y), np.nan)
    for group in np.unique(groups):
        rows = groups == group
        if (rows & judged & np.isfinite(y)).sum() < 3:
            continue
        # Per view, a note's rates barely depend on size; per follower they fall with it.
        prior = 0.0 if group == "views" else config.scoring.size_slope_prior
        one = np.full(rows.sum(), "all")
        curve = SC.fit_size_curve(y[rows], log_f[rows], one, judged[rows], prior, config.scoring.min_fit_creators, 0.0)
        out[rows] = y[rows] - curve.expected(log_f[rows], one)
    return out


def _reach_vs_size(creators: pl.DataFrame, judged: np.ndarray, config: Config,
                   link: ReachLink | None, fit: bool) -> tuple[np.ndarray, ReachLink | None]:
    """log(views per follower) against what is expected for the creator's size and for how
    well its notes engage per view: bought followers add followers but no readers. With
    `fit`, the cohort's own link is learned; else `link` (a saved model's, or none) is used."""
    vpf = creators.get_column(M.VIEWS_PER_FOLLOWER).cast(pl.Float64).to_numpy()
    followers = creators.get_column(S.FOLLOWERS).cast(pl.Float64).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.where((vpf > 0) & (followers > 0), np.log(vpf), np.nan)
    resid = _vs_size(y, creators, judged, config, np.full(len(y), "followers"))
    if fit:
        link = ReachLink.fit(resid, creators, judged, config.scoring.min_fit_creators)
    if link is None:
        return resid, None
    part = link.explained(creators)
    # The size curve above is centred on this cohort's creators, so the part engagement
    # explains is too: a saved model's link was centred on its own roster, and a cohort whose
    # notes all engage well would otherwise be expected to reach further twice over.
    use = judged & np.isfinite(resid) & (part != 0)
    return resid - (part - (np.median(part[use]) if use.any() else 0.0)), link


# What a note earns per view, as logs (ReachLink).
ENGAGEMENT_MIX = (M.LOG_LIKE, M.SAVE_LIKE, M.COMMENT_LIKE)
MIN_REACH_FIT = 30  # creators with views it takes to tell how reach follows engagement


def _engagement_mix(creators: pl.DataFrame) -> np.ndarray:
    """Log likes per view, saves/likes and comments/likes per creator (NaN without views)."""
    basis = creators.get_column(M.RATE_BASIS).fill_null("").to_numpy().astype(str)
    columns = []
    for name in ENGAGEMENT_MIX:
        v = creators.get_column(name).cast(pl.Float64).to_numpy()
        columns.append(v if name == M.LOG_LIKE else np.log(v + 1e-3))  # the like rate is already a log
    return np.where((basis == "views")[:, None], np.column_stack(columns), np.nan)


@dataclass(frozen=True)
class ReachLink:
    """How much further notes reach when they engage better per view, as a cohort shows it.

    XHS shows a note to more people when its first readers engage (domain.md), so a creator
    whose notes earn 4x the likes per view is expected to reach further: followers bought by a
    strong creator hide behind that reach, and only show once it is expected. Which engagement
    counts (likes per view, the save and comment mix) and by how much is learned from the
    cohort: a least-squares fit, refit without creators far off it, each slope shrunk by its
    standard error, so a cohort that shows no link changes nothing. Engagement is measured
    against the creator's category (`centres`, "*" for categories with few creators)."""

    slopes: tuple[float, ...]
    centres: dict[str, tuple[float, ...]]

    @classmethod
    def fit(cls, resid: np.ndarray, creators: pl.DataFrame, judged: np.ndarray, min_creators: int) -> ReachLink | None:
        """None when too few judged creators have views to tell."""
        mix = _engagement_mix(creators)
        cats = creators.get_column(S.CATEGORY).fill_null(S.UNKNOWN).to_numpy().astype(str)
        ok = judged & np.isfinite(resid) & np.isfinite(mix).all(axis=1)
        if ok.sum() < max(min_creators, MIN_REACH_FIT):
            return None
        centres = {"*": tuple(np.median(mix[ok], axis=0))}
        for cat in np.unique(cats[ok]):
            rows = ok & (cats == cat)
            if rows.sum() >= MIN_PEERS:
                centres[str(cat)] = tuple(np.median(mix[rows], axis=0))
        design = np.column_stack([mix - cls._centre_of(centres, cats), np.ones(len(resid))])
        keep = ok
        for _ in range(2):  # fit, set aside creators far off the fit
            coef, *_ = np.linalg.lstsq(design[keep], resid[keep], rcond=None)
            dev = resid - design @ coef
            spread = 1.4826 * float(np.median(np.abs(dev[ok] - np.median(dev[ok]))))
            inliers = ok & (np.abs(dev) <= 3 * spread)
            if spread <= 0 or inliers.sum() < max(min_creators, MIN_REACH_FIT):
                break
            keep = inliers
        coef, *_ = np.linalg.lstsq(design[keep], resid[keep], rcond=None)
        dev = resid[keep] - design[keep] @ coef
        var = float(dev @ dev) / max(keep.sum() - design.shape[1], 1)
        se2 = var * np.diag(np.linalg.pinv(design[keep].T @ design[keep]))[:-1]
        b = coef[:-1]
        return cls(tuple(float(v) for v in b * b ** 2 / (b ** 2 + se2 + 1e-12)), centres)

    @staticmethod
    def _centre_of(centres: dict[str, tuple[float, ...]], cats: np.ndarray) -> np.ndarray:
        """Each creator's category centre ("*" for categories without one): looked up once per
        category, not once per creator."""
        names, which = np.unique(cats, return_inverse=True)
        table = np.array([centres.get(str(c), centres["*"]) for c in names]).reshape(len(names), len(ENGAGEMENT_MIX))
        return table[which.reshape(-1)]

    def describe(self) -> str:
        """For the run's metadata: the reach expected per doubling of each part of engagement."""
        names = ("likes per view", "saves/likes", "comments/likes")
        return "views per follower expected " + ", ".join(
            f"{2 ** b:.2f}x per doubling of {name}" for b, name in zip(self.slopes, names, strict=True))

    def explained(self, creators: pl.DataFrame) -> np.ndarray:
        """The log reach each creator's engagement explains (0 without views)."""
        cats = creators.get_column(S.CATEGORY).fill_null(S.UNKNOWN).to_numpy().astype(str)
        part = (_engagement_mix(creators) - self._centre_of(self.centres, cats)) @ np.array(self.slopes)
        return np.nan_to_num(part, nan=0.0)


def _lifetime_per_follower(lifetime: np.ndarray, followers: np.ndarray, crawled: np.ndarray) -> np.ndarray:
    """log(lifetime likes and saves / followers). A lifetime total below what the crawled notes
    alone earned (a stale profile, a 0 written for unknown) is not evidence of anything."""
    usable = (followers > 0) & (lifetime >= 0.9 * np.nan_to_num(crawled))
    return np.where(usable, np.log(np.maximum(lifetime, 1) / np.where(followers > 0, followers, 1)), np.nan)


def _raw_features(creators: pl.DataFrame, judged: np.ndarray, config: Config,
                  reach: tuple[np.ndarray, ReachLink | None]) -> dict[str, np.ndarray]:
    def col(name: str) -> np.ndarray:
        return creators.get_column(name).cast(pl.Float64).to_numpy()

    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "engagement_vs_size": np.log(col(SC.ENGAGEMENT_VS_EXPECTED_RAW)),
            "reach_vs_size": reach[0],
            "likes_vs_size": _vs_size(col(M.LOG_LIKE), creators, judged, config,
                                      creators.get_column(M.RATE_BASIS).fill_null("none").to_numpy().astype(str)),
            "save_like": np.log(col(M.SAVE_LIKE) + 1e-3),
            "comment_like": np.log(col(M.COMMENT_LIKE) + 1e-3),
            "share_like": np.log(col(M.SHARE_LIKE) + 1e-3),
            "shares_per_save": np.log(col(M.SHARE_SAVE) + 1e-3),
            "saves_track_likes": col(M.CORR_LIKES_SAVES),
            "comments_track_likes": col(M.CORR_LIKES_COMMENTS),
            "saves_track_likes_true": np.clip(col(M.CORR_LIKES_SAVES) / col(M.CORR_SAVES_ATTENUATION), -1, 1),
            "comments_track_likes_true": np.clip(col(M.CORR_LIKES_COMMENTS) / col(M.CORR_COMMENTS_ATTENUATION), -1, 1),
            "saves_scale": col(M.SAVES_SCALE),
            "comments_scale": col(M.COMMENTS_SCALE),
            "saves_scale_resid": col(M.SAVES_SCALE_RESID),
            "comments_scale_resid": col(M.COMMENTS_SCALE_RESID),
            "save_like_spread": np.log(col(M.LOG_SAVE_LIKE_SD) + 0.02),
            "comment_like_spread": np.log(col(M.LOG_COMMENT_LIKE_SD) + 0.02),
            "save_like_excess": col(M.LOG_SAVE_LIKE_SD) ** 2 - col(M.LOG_SAVE_LIKE_NOISE),
            "comment_like_excess": col(M.LOG_COMMENT_LIKE_SD) ** 2 - col(M.LOG_COMMENT_LIKE_NOISE),
            "ratio_jumps": col(M.JUMP_SHARE),
            "boosted_notes": col(M.BOOSTED_SHARE),
            "burstiness": col(M.BURSTINESS),
            "counts_down": col(M.DROPPED_SHARE) + col(M.VANISHED_SHARE),
            "active_fans": col(S.ACTIVE_FANS),
            "follower_jump": np.log1p(col(M.FOLLOWER_JUMP)),
            "unexplained_jump": np.log((col(M.FOLLOWER_JUMP_GAIN) + 1)
                                       / (np.nan_to_num(col(M.JUMP_CONTENT)) + col(M.MEDIAN_INTERACTIONS) + 1)),
            "burst": burst_z(col(M.BURST_SPIKED), col(M.BURST_NOTES), col(M.SPIKED_NOTES), col(M.N_POSTS)),
            "shares_ignore_saves": np.clip((SHARES_FOLLOW_MIDPOINT - np.abs(col(M.SHARES_FOLLOW_SAVES))) / col(M.SHARES_FOLLOW_SE), -10, 10),
            "spike": np.log(col(M.SPIKE)),
            "engagement_gini": col(M.ENGAGEMENT_GINI),
            "engagement_cv": np.log(col(M.ENGAGEMENT_CV) + 0.02),  # like the spreads: finite when every note earned alike
            "template_comments": col(C.TEMPLATE_SHARE),
            "likes_saves_per_follower": _lifetime_per_follower(col(S.LIFETIME_LIKES_SAVES), col(S.FOLLOWERS),
                                                               col(M.LIKES_SAVES_CRAWLED)),
        }


def _nan(x: float | None) -> float:
    return float("nan") if x is None else float(x)


@dataclass(frozen=True)
class PeerTable:
    """Peer medians and spreads per feature, per group; the fallback chain is cat+tier ->
    category -> cohort -> built-in reference."""

    groups: dict[tuple[str, str], dict[str, tuple[float, float, int, float]]]  # median, sd, n, mean

    @classmethod
    def fit(cls, raw: dict[str, np.ndarray], cats: np.ndarray, tiers: np.ndarray, judged: np.ndarray) -> PeerTable:
        """Median, robust sd, count and mean of every feature per (category, tier), per
        category and for the cohort, in three Polars group-bys."""
        names = list(raw)
        frame = pl.DataFrame({"_cat": cats[judged], "_tier": tiers[judged],
                              **{n: raw[n][judged] for n in names}}).fill_nan(None)
        frame = frame.with_columns(pl.lit("*").alias("_all"))
        groups: dict[tuple[str, str], dict[str, tuple[float, float, int, float]]] = {}
        for keys, tier_label in ((["_cat", "_tier"], None), (["_cat"], "*"), (["_all"], "*")):
            # maintain_order: the same roster pickles to the same model bytes (its sha256 is shown)
            medians = frame.group_by(keys, maintain_order=True).agg(pl.col(n).median() for n in names)
            dev = frame.join(medians, on=keys, suffix="_med", maintain_order="left").group_by(keys, maintain_order=True).agg(
                *[(1.4826 * (pl.col(n) - pl.col(f"{n}_med")).abs().median()).alias(f"{n}_sd") for n in names],
                *[pl.col(n).count().alias(f"{n}_n") for n in names],
                *[pl.col(n).mean().alias(f"{n}_mean") for n in names],
            ).join(medians, on=keys, maintain_order="left")
            for row in dev.iter_rows(named=True):
                cat = "*" if keys == ["_all"] else row["_cat"]
                tier = row["_tier"] if tier_label is None else tier_label
                groups[(cat, tier)] = {
                    n: (_nan(row[n]), _nan(row[f"{n}_sd"]), int(row[f"{n}_n"]), row[f"{n}_mean"] or 0.0)
                    for n in names
                }
        return cls(groups)

    def mean_of(self, name: str, cat: str, tier: str) -> float:
        for key in ((cat, tier), (cat, "*"), ("*", "*")):
            stats = self.groups.get(key, {}).get(name)
            if stats and stats[2] >= MIN_PEERS:
                return stats[3]
        return 0.0

    def lookup(self, name: str, cat: str, tier: str) -> tuple[float, float, str]:
        """(median, sd, who the peers are) for one feature."""
        for key, label in (((cat, tier), M.peer_words(cat, tier)), ((cat, "*"), M.peer_words(cat)),
                           (("*", "*"), "cohort")):
            stats = self.groups.get(key, {}).get(name)
            if stats and stats[2] >= MIN_PEERS and np.isfinite(stats[1]):
                return stats[0], stats[1], label
        return _reference(name)


def _reference(name: str) -> tuple[float, float, str]:
    """(median, sd, who) of a feature from the built-in benchmarks (REFERENCE)."""
    med, sd = REFERENCE[name]
    return med, sd, "built-in benchmarks"


# Features that are counts of rare notes: judged by how unlikely that many would be at the
# peers' rate (a binomial tail), not by a spread that is zero for most peers; so 2 of 13 notes
# deleted (15%) can be chance, while 15% of 60 notes can't.
COUNT_FEATURES = frozenset({"boosted_notes", "ratio_jumps", "counts_down"})
MIN_NOTE_RATE = 0.005  # never assume peers' notes are cleaner than 1 in 200


def count_z(k: np.ndarray, n: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """z-score of seeing k or more flagged notes of n when peers flag a `rate` share."""
    from scipy.stats import binom, norm

    k = np.nan_to_num(k, nan=0.0)
    n = np.maximum(np.nan_to_num(n, nan=0.0), 1)
    tail = np.where(k > 0, binom.sf(k - 1, n, np.clip(rate, MIN_NOTE_RATE, 0.5)), 1.0)
    return np.clip(norm.isf(np.clip(tail, 1e-12, 1.0)), 0.0, 10.0)


# Features judged against the creator's own notes: their raw value is already a z-score.
SELF_JUDGED = frozenset({"burst", "shares_ignore_saves"})
# Bought saves leave a note's shares as they were, so shares ignore the saves' swings from note
# to note (a slope of 0, M.SHARES_FOLLOW_SAVES). Honest swings move them: notes saved for being
# useful are sent on too (a slope near 1), and when some notes are made to be saved and others
# to be shared, the ones saved more are shared less (below 0). "shares_ignore_saves" is the z of
# the slope's distance from 0 falling short of halfway to either (high: suspect).
SHARES_FOLLOW_MIDPOINT = 0.5
MIN_SPIKE_RATE = 0.1  # with note reach as spread as XHS's, >= 1 in 10 honest notes earns 2x the median


def burst_z(k: np.ndarray, n_window: np.ndarray, spiked: np.ndarray, n_notes: np.ndarray) -> np.ndarray:
    """z-score of a creator's busiest burst: k of the n_window notes posted within a few days
    each earned 2x+ its median, when its other notes do so at their own rate. The tail is
    multiplied by the number of windows looked at, since the busiest one was picked."""
    from scipy.stats import binom, norm

    k, n_window, spiked, n_notes = (np.nan_to_num(a, nan=0.0) for a in (k, n_window, spiked, n_notes))
    rest = n_notes - n_window
    rate = np.clip(np.where(rest > 0, (spiked - k) / np.maximum(rest, 1), 0.5), MIN_SPIKE_RATE, 0.5)
    tail = np.where(k > 0, binom.sf(k - 1, np.maximum(n_window, 1), rate), 1.0) * np.maximum(rest + 1, 1)
    return np.clip(norm.isf(np.clip(tail, 1e-12, 1.0)), 0.0, 10.0)


# Correlations across a creator's notes, and the helper holding them with counting noise taken
# out: a creator is compared with the correlation its peers' notes would show *at its own
# counts* (their noise-free one, shrunk by the creator's attenuation), and never judged more
# precisely than its number of notes allows (the standard error of a correlation,
# (1 - r^2) / sqrt(n - 1)).
CORRELATIONS = {"saves_track_likes": "saves_track_likes_true", "comments_track_likes": "comments_track_likes_true"}
# Spreads of log ratios across notes, and the helper holding their variance beyond counting
# noise: a creator is compared with the spread its peers would show *at its own counts*, since
# with few comments per note even identical true ratios look varied, and with many they don't.
SPREADS = {"save_like_spread": "save_like_excess", "comment_like_spread": "comment_like_excess"}
MIN_EXCESS_VAR = 0.005
# Slopes across notes, and the helper holding the variance left around them: a slope is never
# judged more precisely than an honest creator's would be known from the same notes (peers'
# residual variance over how much the creator's own log likes vary), so few notes, or notes that
# all did alike, can't make a flat slope look like evidence.
SCALES = {"saves_scale": "saves_scale_resid", "comments_scale": "comments_scale_resid"}
# Statistics of a creator's notes whose sampling sd is about this / sqrt(notes - 1) (the Gini of
# 5-40 lognormal notes as uneven as real ones: 0.3-0.45; log(sd / mean): 0.8-1.8): never judged
# more precisely than that.
SAMPLING_SD = {"engagement_gini": 0.35, "engagement_cv": 0.9}


def _peer_stats(peers: PeerTable | None, name: str, cat: str, tier: str) -> tuple[float, float, str]:
    """(median, sd, who the peers are) of a feature; the built-in benchmark without peers."""
    return peers.lookup(name, cat, tier) if peers is not None else _reference(name)


def peer_z(raw: dict[str, np.ndarray], cats: np.ndarray, tiers: np.ndarray,
           peers: PeerTable | None, n_notes: np.ndarray | None = None,
           noise: dict[str, np.ndarray] | None = None,
           likes_var: np.ndarray | None = None,
           attenuation: dict[str, np.ndarray] | None = None,
           ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray]:
    """Robust z of each feature against its peers, the peer medians (for spreads and
    correlations: what peers would show at the creator's counts), and who the peers were.
    `noise` holds each spread's per-creator counting-noise variance; `likes_var`, the variance
    of each creator's log likes across its notes (for the precision of its slopes);
    `attenuation`, how much counting noise shrinks each creator's correlations."""
    n = len(cats)
    notes = np.zeros(n) if n_notes is None else n_notes.astype(float)
    lv = np.full(n, np.nan) if likes_var is None else likes_var.astype(float)
    z = {k: np.zeros(n) for k in raw}
    med_out = {k: np.full(n, np.nan) for k in raw}
    who = np.empty(n, dtype=object)
    pairs = np.char.add(np.char.add(cats.astype(str), "\x1f"), tiers.astype(str)) if n else np.zeros(0, dtype=str)
    for key in np.unique(pairs):
        rows = pairs == key
        cat, tier = str(key).split("\x1f", 1)
        for name, values in raw.items():
            v = values[rows]
            if name in SELF_JUDGED:
                z[name][rows] = np.nan_to_num(v, nan=0.0)
                continue
            if name in COUNT_FEATURES:  # judged by the peers' rate, not a median and a spread
                mean_rate = peers.mean_of(name, cat, tier) if peers is not None else 0.0
                k = np.round(np.nan_to_num(v) * notes[rows])  # share of judged notes -> count
                z[name][rows] = count_z(k, notes[rows], np.full(rows.sum(), mean_rate))
                med_out[name][rows] = mean_rate
                continue
            med, sd, label = _peer_stats(peers, name, cat, tier)
            if name in CORRELATIONS and attenuation is not None:
                true_med, true_sd, _ = _peer_stats(peers, CORRELATIONS[name], cat, tier)
                shrink = np.clip(np.nan_to_num(attenuation[name][rows], nan=1.0), 0.0, 1.0)
                med, sd = np.clip(true_med, 0.0, 0.99) * shrink, true_sd * shrink
            sd = np.maximum(sd, max(SD_FLOOR.get(name, 0.1), REFERENCE[name][1] * 0.25))
            if name in CORRELATIONS:
                sd = np.maximum(sd, (1 - np.minimum(med, 0.99) ** 2) / np.sqrt(np.maximum(notes[rows] - 1, 1)))
            if name in SAMPLING_SD:
                sd = np.maximum(sd, SAMPLING_SD[name] / np.sqrt(np.maximum(notes[rows] - 1, 1)))
            if name in SCALES:
                resid = _peer_stats(peers, SCALES[name], cat, tier)[0]
                sxx = np.maximum(notes[rows] - 1, 1) * lv[rows]
                with np.errstate(divide="ignore", invalid="ignore"):
                    se = np.sqrt(max(resid, 0.0) / sxx)
                sd = np.maximum(sd, np.where(np.isfinite(se), se, np.inf))
            tau2 = np.nan
            if name in SPREADS and noise is not None:
                tau2 = _peer_stats(peers, SPREADS[name], cat, tier)[0]
            # Peers varying less than counting noise would make them vary means the counts aren't
            # Poisson-like (rounded, say): then the plain peer median is the fairer yardstick.
            if tau2 > 0:
                med = np.log(np.sqrt(max(tau2, MIN_EXCESS_VAR) + np.nan_to_num(noise[name][rows], nan=0.0)) + 0.02)
                sd = np.maximum(sd, 1 / np.sqrt(2 * np.maximum(notes[rows] - 1, 1)))
            z[name][rows] = np.where(np.isfinite(v), (v - med) / sd, 0.0)
            med_out[name][rows] = med
            if name == "save_like":
                who[rows] = label
    return z, med_out, who


class FraudDetector:
    """Isolation forest over peer-normalised features (scikit-learn conventions).

    Higher `score_samples` = more suspect, in [0, 1], 0.5 at the contamination cut."""

    def __init__(self, contamination: float = 0.08, n_estimators: int = 200, max_samples: int = 256,
                 fit_sample: int = 50_000, random_state: int = 0):
        self.contamination = contamination
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.fit_sample = fit_sample
        self.random_state = random_state

    def fit(self, X: np.ndarray) -> FraudDetector:
        from sklearn.ensemble import IsolationForest  # heavy import, only when a forest is fit

        X = np.asarray(X, dtype=float)
        rng = np.random.default_rng(self.random_state)
        sample = X if len(X) <= self.fit_sample else X[rng.choice(len(X), self.fit_sample, replace=False)]
        self.forest_ = IsolationForest(
            n_estimators=self.n_estimators, max_samples=min(self.max_samples, len(sample)),
            contamination="auto", random_state=self.random_state,
        ).fit(sample)
        raw = -self.forest_.score_samples(sample)
        self.threshold_ = float(np.quantile(raw, 1 - self.contamination))
        self.n_features_in_ = X.shape[1]
        self.n_fit_ = len(sample)
        return self

    def score_samples(self, X: np.ndarray, batch: int = 50_000) -> np.ndarray:
        if not hasattr(self, "forest_"):
            raise RuntimeError("FraudDetector is not fitted")
        X = np.asarray(X, dtype=float)
        raw = np.concatenate([-self.forest_.score_samples(X[i:i + batch]) for i in range(0, len(X), batch)]) \
            if len(X) else np.zeros(0)
        t = self.threshold_
        # Piecewise-linear: the forest's own anomaly score with the contamination cut at 0.5.
        return np.where(raw <= t, 0.5 * raw / t, 0.5 + 0.5 * (raw - t) / max(1 - t, 1e-9)).clip(0, 1)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return (self.score_samples(X) >= 0.5).astype(int)

    @classmethod
    def from_config(cls, cfg: FraudConfig) -> FraudDetector:
        return cls(contamination=cfg.contamination, n_estimators=cfg.n_estimators,
                   max_samples=cfg.max_samples, fit_sample=cfg.fit_sample, random_state=cfg.random_state)


@dataclass
class FraudModel:
    """What `kolvet fit-fraud` saves: a fitted detector and the peer table it was fit with."""

    detector: FraudDetector
    peers: PeerTable
    version: int = 1
    features: tuple[str, ...] = FEATURES[:15]  # the forest's inputs, in order (older models: the first 15)
    reach_link: ReachLink | None = None  # how the reference roster's reach follows engagement (older models: none)
    basis: str | None = None  # what the roster's rates were per: "views" or "followers" (older models: unknown)

    def save(self, path: str | Path) -> None:
        from kolvet.io import atomic_path

        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            pickle.dump(self, fh)

    @staticmethod
    def load(path: str | Path) -> FraudModel:
        # Pickle runs code from the file: load only models you (or your team) saved.
        try:
            with open(path, "rb") as fh:
                model = pickle.load(fh)
        except FileNotFoundError:
            raise KolvetError(f"{path}: no such fraud model file") from None
        except Exception as exc:
            raise KolvetError(f"{path}: not a kolvet fraud model ({type(exc).__name__})") from None
        if not isinstance(model, FraudModel):
            raise KolvetError(f"{path}: not a kolvet fraud model")
        import hashlib

        with open(path, "rb") as fh:
            model.origin = f"{path} (sha256 {hashlib.file_digest(fh, 'sha256').hexdigest()[:16]})"
        return model

    def describe(self) -> str:
        """For the run's metadata: which model, fit on how many creators, cut where."""
        d = self.detector
        fit = getattr(d, "n_fit_", None)
        return (f"{getattr(self, 'origin', 'in memory')}: fit on {f'{fit:,}' if fit is not None else 'an unknown number of'} creators, "
                f"contamination {d.contamination:g}, {d.n_estimators} trees, random_state {d.random_state}")

    def basis_differs(self, basis: np.ndarray) -> str:
        """Why this model's peers may not fit the judged creators' rates ("" when they do):
        per-view and per-follower rates differ several-fold, so peers fit on one misjudge the other."""
        mine, theirs = getattr(self, "basis", None), majority_basis(basis)
        if mine is None or theirs is None or mine == theirs:
            return ""
        return (f"fit on creators judged per {mine[:-1]}, these are judged per {theirs[:-1]}: its peers' ratios "
                "don't carry over, so flags may be off; fit one on data like this with `kolvet fit-fraud`")

    def differs_from(self, cfg: FraudConfig) -> list[str]:
        """The run's forest settings the saved model overrides: the model's own are used."""
        d = self.detector
        pairs = [("contamination", d.contamination, cfg.contamination), ("n_estimators", d.n_estimators, cfg.n_estimators),
                 ("max_samples", d.max_samples, cfg.max_samples), ("random_state", d.random_state, cfg.random_state)]
        return [f"{k} {mine:g} (this run's config: {theirs:g})" for k, mine, theirs in pairs if mine != theirs]


def majority_basis(basis: np.ndarray) -> str | None:
    """The rate basis ("views" or "followers") most of these judged creators have, or None."""
    views, followers = int(np.sum(basis == "views")), int(np.sum(basis == "followers"))
    if views == followers == 0:
        return None
    return "views" if views >= followers else "followers"


# ---- pattern checks: what a marketer can verify -------------------------------------------

def _fmt_ratio(x: float) -> str:
    return f"{x:.2f}x" if x < 10 else f"{x:.0f}x"


def _fmt_rate(x: float) -> str:
    """A rate as a percentage, to two significant places when it is small (0.056%)."""
    return f"{x:.1%}" if x >= 0.1 else f"{x:.2%}" if x >= 0.001 else f"{x:.3%}"


def _fmt_small(x: float) -> str:
    """A figure that may be well under 1 (views per follower): two significant places there."""
    return f"{x:.0f}" if x >= 10 else f"{x:.2f}" if x >= 0.1 else f"{x:.3f}"


def _pos(x: np.ndarray) -> np.ndarray:
    return np.clip(np.nan_to_num(x, nan=0.0), 0.0, None)


def _both(a: np.ndarray, b: np.ndarray, cap: float) -> np.ndarray:
    """Two independent signs must agree: their geometric mean, each capped so that one extreme
    sign can't stand in for a missing second one."""
    return np.sqrt(np.minimum(_pos(a), cap) * np.minimum(_pos(b), cap))


# A sign weaker than one robust deviation is not worth naming, nor enough to confirm a pattern.
WEAKEST_SIGN = 1.0


def _both_apart(a: np.ndarray, b: np.ndarray, cap: float, line: float) -> np.ndarray:
    """Two signs from separate sources that must both show, as a z (each capped). Only for
    signs that are independent for honest creators: a creator's notes and its account's
    lifetime totals or roster facts (rank correlation 0.20 between engagement per follower on a
    real crawl's notes and the roster sheet's lifetime likes and saves per follower, over 103
    creators; -0.02 with its active-fan share). Signs read off the same notes go through _both.

    Two tests, either of which confirms (reaches `line`, the pattern_z):
    - both show at least as strongly as the weaker one: the z of P(z > m)^2, m the weaker;
    - one shows strongly and the other at least WEAKEST_SIGN: their sum, (a + b) / sqrt(2)
      (Stouffer's z). Bought followers move both signs, but by amounts that differ from creator
      to creator, so the first test alone misses a strong sign beside a middling one. The sum
      counts for no more than `line` per WEAKEST_SIGN of the weaker sign, so it confirms only
      from there, and the score doesn't jump where it starts to.
    For one pair of independent signs, each test alone would wrongly confirm an honest creator
    with chance P(z > line), and either of them at most twice that; the audience sign here is the
    strongest of up to three facts, and counted as such (strongest_of)."""
    from scipy.stats import norm

    a, b = np.minimum(_pos(a), cap), np.minimum(_pos(b), cap)
    weaker = np.minimum(a, b)
    both = np.where(weaker > 0, norm.isf(norm.sf(weaker) ** 2), 0.0)
    summed = np.minimum((a + b) / np.sqrt(2.0), line * weaker / WEAKEST_SIGN)
    return np.maximum(both, summed)


def strongest_of(signs: list[np.ndarray], known: list[np.ndarray]) -> np.ndarray:
    """The strongest of several signs that each could show a pattern, as a z that allows for
    having looked at several (Sidak): an honest creator's strongest of k independent signs
    reaches m with chance 1 - (1 - P(z > m))^k, not P(z > m). Only the signs the data holds
    for the creator count towards k. Tests that move together make this stricter than it need
    be (a test read two ways is passed as one); tests that move apart (a low correlation comes
    with a wide spread) make it laxer, by less than P(z > m)^2 per pair of them."""
    from scipy.stats import norm

    m = np.max([_pos(s) for s in signs], axis=0)
    k = np.maximum(np.sum(known, axis=0), 1)
    p = -np.expm1(k * np.log1p(-norm.sf(m)))  # 1 - (1 - sf)^k, exact for tiny sf
    return np.where(m > 0, _pos(norm.isf(np.clip(p, 1e-300, 0.5))), 0.0)


def pattern_evidence(z: dict[str, np.ndarray], has_views: np.ndarray, line: float,
                     burst_ratio_dev: np.ndarray, known: dict[str, np.ndarray] | None = None,
                     ) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """How strongly (in z units) each known fake-engagement pattern shows, per creator; and
    the evidence that may rank a creator and put it on watch but never flag it.

    Each pattern needs its tell-tale ratio *and* a second, independent sign, because honest
    creators can have either alone: tutorials are save-heavy, discussions comment-heavy, and
    a viral note is a spike. `line` is the pattern_z that confirms a pattern; no one sign counts
    for more than half again as much, so one extreme sign can't stand in for a missing second.
    Where the second sign is the strongest of several, it counts as such (strongest_of):
    otherwise a save-heavy tutorial would be confirmed by whichever of four decoupling tests
    its honest notes happened to fail. `known` says which features the data holds per
    creator (all, if not given)."""
    cap = 1.5 * line

    def strongest(*tests: tuple[str, float] | tuple[tuple[str, ...], float]) -> np.ndarray:
        """strongest_of the tests, each (feature, side), side -1 for its low side; a tuple of
        features is one test read two ways, counted once."""
        signs, held = [], []
        for test, side in tests:
            names = (test,) if isinstance(test, str) else test
            signs.append(np.max([side * z[name] for name in names], axis=0))
            held.append(np.ones(len(z[names[0]]), bool) if known is None else np.any([known[name] for name in names], axis=0))
        return strongest_of(signs, held)

    # Bought saves don't follow likes, don't grow with a note's reach, or vary little in their
    # mix; or they come without the shares real saves bring.
    decoupled_saves = strongest(("saves_track_likes", -1), ("saves_scale", -1), ("save_like_spread", -1),
                                ("shares_per_save", -1))
    # Bought comments likewise, or read like templates.
    decoupled_comments = strongest(("comments_track_likes", -1), ("comments_scale", -1), ("comment_like_spread", -1),
                                   ("template_comments", 1))
    # Bought likes drag both saves/likes and comments/likes down: combined (Stouffer), since
    # comment counts are small and noisy on their own.
    likes_heavy = (_pos(-z["save_like"]) + _pos(-z["comment_like"])) / np.sqrt(2.0)
    few_readers = np.where(has_views, _pos(-z["reach_vs_size"]), _pos(-z["engagement_vs_size"]))
    # Views per follower measure the audience directly; engagement per follower also moves with
    # how good the notes are, so without views it alone is a reason to look, not a flag.
    readers_unseen = np.where(has_views, 0.0, few_readers)
    return {
        # Bought saves attack a save-first ranking head on. Bought on some notes only, they barely
        # lift the pooled 藏赞比 but make it swing from note to note, and shares ignore the swing,
        # which honest swings move (up or down).
        "save farming": np.maximum(_both(z["save_like"], decoupled_saves, cap),
                                   _both(z["save_like_spread"], z["shares_ignore_saves"], cap)),
        "comment farm": _both(z["comment_like"], decoupled_comments, cap),
        # Bought likes come without the saves and comments that real likes bring.
        # (Engagement is mostly likes: the two ways of being far above its size are one test.)
        "bought likes": _both(likes_heavy, strongest((("likes_vs_size", "engagement_vs_size"), 1),
                                                     ("saves_track_likes", -1), ("ratio_jumps", 1)), cap),
        # Bought followers read nothing: views per follower sag (when views are known), else
        # engagement per follower does. Profiles and rosters can add a second sign: few likes
        # and saves per follower over the account's life (followers are earned by engagement,
        # so a bought audience has none behind it), few active fans, or followers that jumped
        # in a few days.
        "bought followers": np.maximum.reduce([
            np.where(has_views, few_readers, 0.0),
            _both_apart(few_readers, strongest(("likes_saves_per_follower", -1), ("active_fans", -1), ("follower_jump", 1)),
                        cap, line),
            # "Follower jumps with no matching content" (domain.md): a jump, and no note to explain it.
            _both(z["follower_jump"], z["unexplained_jump"], cap)]),
        # Each boosted note is already two signs at once: ratios off and engagement spiked.
        "boosted notes": _pos(z["boosted_notes"]),
        # A burst of notes that all spiked within days, and whose pooled ratios left the
        # creator's own: bought engagement delivered in one go. (A trending week lifts notes
        # too, but keeps their mix.)
        "boosted burst": _both(z["burst"], burst_ratio_dev, cap),
        "purged or deleted": _pos(z["counts_down"]),
    }, readers_unseen


# Patterns whose two signs come from separate sources (_both_apart).
APART_PATTERNS = frozenset({"bought followers"})
# The signs behind each pattern (pattern_evidence), "-" for a feature's low side: a flag's
# reasons name these first.
PATTERN_SIGNS = {
    "save farming": frozenset({"save_like", "-saves_track_likes", "-saves_scale", "-save_like_spread", "-shares_per_save",
                               "save_like_spread", "shares_ignore_saves"}),
    "comment farm": frozenset({"comment_like", "-comments_track_likes", "-comments_scale", "-comment_like_spread",
                               "template_comments"}),
    "bought likes": frozenset({"-save_like", "-comment_like", "likes_vs_size", "engagement_vs_size", "-saves_track_likes",
                               "ratio_jumps"}),
    "bought followers": frozenset({"-reach_vs_size", "-engagement_vs_size", "-likes_saves_per_follower", "-active_fans",
                                   "follower_jump", "unexplained_jump"}),
    "boosted notes": frozenset({"boosted_notes"}),
    "boosted burst": frozenset({"burst"}),
    "purged or deleted": frozenset({"counts_down"}),
}


def weakest_confirming_sign(pattern_z: float, pattern: str = "") -> float:
    """How weak a pattern's weaker sign can be and still confirm it with the other: the level
    from which the pattern's own signs are named. Bought followers' signs come from separate
    sources and confirm from WEAKEST_SIGN beside a strong one (see _both_apart); for the other
    patterns, where two equally strong independent signs would, P(z > m)^2 = P(z > pattern_z).
    Never under WEAKEST_SIGN, whatever pattern_z is set to."""
    from scipy.stats import norm

    if pattern in APART_PATTERNS:
        return WEAKEST_SIGN
    return max(float(norm.isf(np.sqrt(norm.sf(pattern_z)))), WEAKEST_SIGN)


def pattern_of(key: str, strength: dict[str, float]) -> str:
    """The pattern a reason's sign points to, or "": of the patterns it is a sign of (low saves
    that don't follow likes are bought likes' as much as save farming's), the one that shows
    most strongly for this creator; "" when none shows even WEAKEST_SIGN strongly (few comments
    alone, with engagement below its size's, is no sign of bought likes)."""
    mine = [name for name, signs in PATTERN_SIGNS.items() if key in signs]
    best = max(mine, key=lambda name: strength.get(name, 0.0)) if mine else ""
    return best if best and strength.get(best, 0.0) >= WEAKEST_SIGN else ""


class Reason(NamedTuple):
    lead: bool  # a sign of the pattern the creator shows
    z: float
    text: str
    key: str  # the feature, "-" first for its low side (PATTERN_SIGNS)


class CommentFacts(NamedTuple):
    """What a template-comment reason quotes, per creator (see kolvet.comments)."""

    read: np.ndarray
    top: list  # the most repeated text, or None
    top_notes: np.ndarray


class NoteFacts(NamedTuple):
    """What ratio and reach reasons quote, per creator."""

    no_likes: np.ndarray  # no likes on the judged notes: ratios to likes counted 1
    views_per_follower: np.ndarray  # the median note's views / followers (NaN without views)
    weighted_rate: np.ndarray  # the median note's weighted engagement per view or follower
    like_rate: np.ndarray  # the median note's likes per view or follower
    per: np.ndarray  # "per view" or "per follower": what those rates are per
    shares_follow: np.ndarray  # how shares move with the saves' swings across notes (M.SHARES_FOLLOW_SAVES)


# Reasons read off each note's ratio to its likes: with no likes at all they say nothing.
PER_NOTE_LIKE_SIGNS = frozenset({"-saves_track_likes", "-comments_track_likes", "-saves_scale", "-comments_scale",
                                 "-save_like_spread", "-comment_like_spread", "save_like_spread", "shares_ignore_saves"})


class SnapshotFacts(NamedTuple):
    """What a counts_down reason quotes, per creator (see metrics.DROPPED_SHARE, VANISHED_*)."""

    notes: np.ndarray  # judged notes
    fell: np.ndarray  # share of them whose counts fell between snapshots
    vanished: np.ndarray  # share of them that vanished from a later crawl
    earned: np.ndarray  # the vanished notes' median engagement / the creator's median


class BurstFacts(NamedTuple):
    """What a burst reason quotes, per creator (see metrics.BURST_*)."""

    spiked: np.ndarray  # notes in the busiest window that earned 2x+ the median
    notes: np.ndarray  # all notes in that window
    ratio_dev: np.ndarray  # robust z of the window's pooled ratios against the creator's own
    end: list  # the window's last note
    other_rate: np.ndarray  # how often the creator's other notes earn 2x+ its median


def _reasons(i: int, z: dict[str, np.ndarray], raw: dict[str, np.ndarray], med: dict[str, np.ndarray],
             peers: str, thr: float, jump_dates: list, burst: BurstFacts, comments: CommentFacts, changed: SnapshotFacts,
             facts: NoteFacts,
             lead: frozenset[str] = frozenset(), lead_thr: float = np.inf) -> list[Reason]:
    """Plain-words reasons, with the creator's number and its peers', for every feature that is
    far enough (thr, in robust deviations) on its suspicious side. The signs of the pattern the
    creator shows (`lead`) come first, and count from lead_thr: the weakest a sign can be and
    still confirm the pattern with the other."""
    ev = np.exp
    out: list[Reason] = []
    whose = f"{peers}'" if peers.endswith("s") else f"{peers}'s"  # "beauty nano peers'", "cohort's"

    def bar(feature: str) -> float:
        return min(thr, lead_thr) if feature in lead else thr

    def add(feature: str, zval: float, text: str) -> None:
        if facts.no_likes[i] and feature in PER_NOTE_LIKE_SIGNS:
            return
        if zval >= bar(feature):
            out.append(Reason(feature in lead, float(zval), text, feature))

    def per_like(what: str, feature: str, only: str = "") -> str:
        """A ratio to likes in words; `only` for its low side, which no likes (counted as 1) never reach."""
        peers_ratio = _fmt_ratio(ev(med[feature][i]))
        if facts.no_likes[i] and not only:  # the ratio counted 1 like: it is the count itself
            return f"{ev(raw[feature][i]):,.0f} {what} and no likes ({whose} median: {what} are {peers_ratio} likes)"
        return f"{what} are {only}{_fmt_ratio(ev(raw[feature][i]))} likes ({whose} median {peers_ratio})"

    add("save_like", z["save_like"][i], per_like("saves", "save_like"))
    add("-save_like", -z["save_like"][i], per_like("saves", "save_like", only="only "))
    add("comment_like", z["comment_like"][i], per_like("comments", "comment_like"))
    add("-comment_like", -z["comment_like"][i], per_like("comments", "comment_like", only="only "))
    add("-shares_per_save", -z["shares_per_save"][i], f"saves bring few shares ({ev(raw['shares_per_save'][i]):.2f} shares per save, {whose} median {ev(med['shares_per_save'][i]):.2f})")
    add("-saves_track_likes", -z["saves_track_likes"][i], f"saves don't move with likes across notes (correlation {raw['saves_track_likes'][i]:.2f}, {peers} at its counts {med['saves_track_likes'][i]:.2f})")
    add("-comments_track_likes", -z["comments_track_likes"][i], f"comments don't move with likes across notes (correlation {raw['comments_track_likes'][i]:.2f}, {peers} at its counts {med['comments_track_likes'][i]:.2f})")
    add("-saves_scale", -z["saves_scale"][i], f"saves barely grow with a note's likes (10x the likes bring {10 ** raw['saves_scale'][i]:.1f}x the saves, "
        f"{whose} median {10 ** med['saves_scale'][i]:.1f}x), as fixed bundles do")
    add("-comments_scale", -z["comments_scale"][i], f"comments barely grow with a note's likes (10x the likes bring {10 ** raw['comments_scale'][i]:.1f}x the comments, "
        f"{whose} median {10 ** med['comments_scale'][i]:.1f}x), as fixed bundles do")
    def spread(feature: str) -> str:
        """A spread of log ratios across notes and the peers' at the creator's counts (their
        features hold log(sd + 0.02), see _raw_features)."""
        return f"spread {ev(raw[feature][i]) - 0.02:.2f}, {peers} at its counts {ev(med[feature][i]) - 0.02:.2f}"

    add("-save_like_spread", -z["save_like_spread"][i], f"saves/likes barely varies between notes ({spread('save_like_spread')}), as bundles sold at fixed ratios do")
    if "save_like_spread" in lead:  # a swing is only a sign beside the saves' other signs
        add("save_like_spread", z["save_like_spread"][i], f"saves/likes swings between notes far beyond counting noise ({spread('save_like_spread')}), "
            "as saves bought for some notes make it")
    if "shares_ignore_saves" in lead:
        add("shares_ignore_saves", z["shares_ignore_saves"][i], "notes saved more per like are shared neither more nor less "
            f"(shares move {facts.shares_follow[i]:.2f}x with saves per like across notes: honest notes near 1x, or below 0x when "
            "some are made for saving and others for sharing)")
    add("-comment_like_spread", -z["comment_like_spread"][i], f"comments/likes barely varies between notes ({spread('comment_like_spread')})")
    if z["template_comments"][i] >= bar("template_comments"):
        add("template_comments", z["template_comments"][i],
            f"{raw['template_comments'][i]:.0%} of {comments.read[i]:.0f} crawled comments are emoji-only or repeat word for word "
            f"under its other notes ({whose} median {med['template_comments'][i]:.0%})"
            + (f', e.g. "{C.quoted(comments.top[i])}" under {comments.top_notes[i]:.0f} notes' if comments.top[i] else ""))

    def against_size(what: str, rate: float, times: float) -> str:
        """The creator's rate and the one expected for its size, which `times` compares."""
        return f"{what} {_fmt_rate(rate)} {facts.per[i]} on the median note, {_fmt_rate(rate / times)} expected"

    e = ev(raw["engagement_vs_size"][i])
    add("engagement_vs_size", z["engagement_vs_size"][i],
        f"engagement is {_fmt_ratio(e)} what is expected for its size ({against_size('weighted engagement', facts.weighted_rate[i], e)})")
    add("-engagement_vs_size", -z["engagement_vs_size"][i],
        f"engagement is only {_fmt_ratio(e)} what is expected for its size ({against_size('weighted engagement', facts.weighted_rate[i], e)})")
    lk = ev(raw["likes_vs_size"][i])
    add("likes_vs_size", z["likes_vs_size"][i],
        f"likes are {_fmt_ratio(lk)} the like rate expected for its size ({against_size('likes', facts.like_rate[i], lk)})")
    vpf = facts.views_per_follower[i]
    add("-reach_vs_size", -z["reach_vs_size"][i], f"notes reach only {_fmt_ratio(ev(raw['reach_vs_size'][i]))} the views per follower expected for its size and how "
        f"well they engage ({_fmt_small(vpf)} views per follower on the median note, {_fmt_small(vpf / ev(raw['reach_vs_size'][i]))} expected: followers may be bought)")
    add("-engagement_gini", -z["engagement_gini"][i],
        f"engagement is unusually even across notes (Gini {raw['engagement_gini'][i]:.2f} and sd/mean {ev(raw['engagement_cv'][i]) - 0.02:.2f}, "
        f"{whose} median {med['engagement_gini'][i]:.2f} and {ev(med['engagement_cv'][i]) - 0.02:.2f}), as bundles of a fixed size per note make it")
    add("boosted_notes", z["boosted_notes"][i], f"{raw['boosted_notes'][i]:.0%} of notes look boosted (engagement >= 2x the creator's median, ratios far from its own, peers {med['boosted_notes'][i]:.1%})")
    add("ratio_jumps", z["ratio_jumps"][i], f"{raw['ratio_jumps'][i]:.0%} of notes have ratios far from the creator's own (peers {med['ratio_jumps'][i]:.1%})")
    if z["boosted_notes"][i] >= bar("boosted_notes"):
        add("burstiness", z["burstiness"][i], f"notes arrive in bursts (burstiness {raw['burstiness'][i]:.2f}, peers {med['burstiness'][i]:.2f})")
        add("spike", z["spike"][i], f"best note has {ev(raw['spike'][i]):.0f}x the median note's engagement, with unusual ratios")
    add("-likes_saves_per_follower", -z["likes_saves_per_follower"][i],
        f"the account earned only {np.exp(raw['likes_saves_per_follower'][i]):.1f} likes and saves per follower over its life "
        f"({whose} median {np.exp(med['likes_saves_per_follower'][i]):.1f}): followers not earned on XHS (bought, or famous elsewhere)")
    add("-active_fans", -z["active_fans"][i], f"only {raw['active_fans'][i]:.0%} of followers are active ({whose} median {med['active_fans'][i]:.0%})")
    add("follower_jump", z["follower_jump"][i], f"followers grew {np.expm1(raw['follower_jump'][i]):.0%} within {M.JUMP_DAYS} days from {jump_dates[i]} "
                               f"({whose} median {np.expm1(med['follower_jump'][i]):.1%})")
    if z["follower_jump"][i] >= bar("follower_jump"):  # only a real jump needs explaining
        add("unexplained_jump", z["unexplained_jump"][i], f"the jump brought {np.exp(raw['unexplained_jump'][i]):.1f} new followers per like, save or "
                                      f"comment on the notes around it ({whose} median {np.exp(med['unexplained_jump'][i]):.2f})")
    if z["burst"][i] >= bar("burst"):
        add("burst", min(z["burst"][i], abs(burst.ratio_dev[i])),
            f"{burst.spiked[i]:.0f} of {burst.notes[i]:.0f} notes posted within {M.JUMP_DAYS} days up to {burst.end[i]:%Y-%m-%d} "
            f"each earned 2x+ the creator's median engagement, with ratios {burst.ratio_dev[i]:.1f} deviations from its own "
            f"(its other notes do so {burst.other_rate[i]:.0%} of the time)")
    if z["counts_down"][i] >= bar("counts_down"):
        said = []
        n_i = changed.notes[i]
        if changed.fell[i] > 0:
            said.append(f"{changed.fell[i] * n_i:.0f} of {n_i:.0f} notes lost {S.PURGE_MIN_SHARE:.0%}+ of their likes, saves, comments "
                        "or shares between snapshots (purged engagement)")
        if changed.vanished[i] > 0:
            earned = (f", having earned {_fmt_ratio(changed.earned[i])} the creator's median engagement"
                      if np.isfinite(changed.earned[i]) else "")
            said.append(f"{changed.vanished[i] * n_i:.0f} of {n_i:.0f} notes were missing from a later crawl that re-read the notes "
                        f"around them (deleted{earned})")
        add("counts_down", z["counts_down"][i], ", and ".join(said) + f", where {peers} show {max(med['counts_down'][i], MIN_NOTE_RATE):.1%}")
    return sorted(out, key=lambda r: (not r.lead, -r.z))


def forest_inputs(z: dict[str, np.ndarray], features: tuple[str, ...] = FEATURES) -> np.ndarray:
    """The forest sees each feature's suspicious side only, clipped so no one feature rules."""
    cols = []
    for name in features:
        side = SIDES[name]
        v = np.nan_to_num(z[name], nan=0.0)
        v = v if side == "both" else (np.clip(-v, 0, None) if side == "low" else np.clip(v, 0, None))
        cols.append(np.clip(v, -10, 10))
    return np.column_stack(cols) if cols and len(cols[0]) else np.zeros((0, len(features)))


def known_features(raw: dict[str, np.ndarray], judged: np.ndarray) -> tuple[str, ...]:
    """Features at least one judged creator has: a roster's audience facts are often absent,
    and a column of zeros tells the forest nothing (it would only reshuffle its random splits)."""
    return tuple(f for f in FEATURES if np.isfinite(raw[f][judged]).any())


# Why detect() leaves a creator unjudged, one test each (_judged).
NO_NOTES, FEW_NOTES, NO_RATE, FEW_INTERACTIONS = "no notes", "few notes", "no rate", "few interactions"


def _tests(fc: FraudConfig) -> dict[str, pl.Expr]:
    """Each test a creator must pass to be judged, true when it fails, in the order they are told."""
    n = pl.col(M.N_POSTS).fill_null(0)
    return {NO_NOTES: pl.col(M.N_POSTS_TOTAL).fill_null(0) == 0,
            FEW_NOTES: n < fc.min_posts,
            NO_RATE: pl.col(M.RATE_BASIS).fill_null("none") == "none",
            # Ratios of a handful of likes mean nothing.
            FEW_INTERACTIONS: pl.col(M.MEDIAN_INTERACTIONS).fill_null(0) * n < fc.min_interactions}


def _judged(fc: FraudConfig) -> pl.Expr:
    """The creators detect() judges: those that fail none of the tests."""
    return ~pl.any_horizontal(_tests(fc).values())


def _unjudged_because(fc: FraudConfig) -> pl.Expr:
    """Per unjudged creator, which of the tests it failed first."""
    tests = list(_tests(fc).items())
    expr = pl.when(tests[0][1]).then(pl.lit(tests[0][0]))
    for why, failed in tests[1:-1]:
        expr = expr.when(failed).then(pl.lit(why))
    return expr.otherwise(pl.lit(tests[-1][0]))


def why_not_judged(row: dict, fc: FraudConfig) -> str:
    """Why detect() left a creator unjudged, in its own terms, with its numbers."""
    schema = {M.N_POSTS_TOTAL: pl.Int64, M.N_POSTS: pl.Int64, M.RATE_BASIS: pl.String, M.MEDIAN_INTERACTIONS: pl.Float64}
    tested = pl.DataFrame({c: [row.get(c)] for c in schema}, schema=schema)
    because = tested.select(_unjudged_because(fc)).item()
    n = row.get(M.N_POSTS) or 0
    if because == NO_NOTES:
        aside = row.get(S.ROWS_SET_ASIDE) or 0
        return f"no usable notes (all {aside} of its rows set aside)" if aside else "no notes of this creator in the inputs"
    if because == FEW_NOTES:
        return f"only {n} notes judged (it takes {fc.min_posts})"
    if because == NO_RATE:
        return "no follower count and no views, so no rate to compare"
    median = row.get(M.MEDIAN_INTERACTIONS) or 0
    # The median note times the notes, not their sum: one viral note among silent ones isn't enough.
    return (f"its median note earned {median:,.{1 if median < 10 else 0}f} likes, saves, comments and shares, about "
            f"{median * n:,.0f} over its {n} notes at that rate (it takes {fc.min_interactions}): ratios of a handful "
            "of likes mean nothing")


def not_judged(creators: pl.DataFrame, fc: FraudConfig) -> list[tuple[str, int]]:
    """How many creators the check left unjudged, by why, most first (fraud_flag is blank)."""
    label = {NO_NOTES: "no notes", FEW_NOTES: f"fewer than {fc.min_posts} notes judged",
             NO_RATE: "no follower count and no views", FEW_INTERACTIONS: f"under {fc.min_interactions} interactions (the median note's times the notes)"}
    counts = (creators.filter(pl.col(FRAUD_FLAG).is_null())
              .select(_unjudged_because(fc).replace_strict(label).alias("why")).group_by("why").len())
    return sorted(counts.iter_rows(), key=lambda kv: (-kv[1], kv[0]))


def detect(scored: pl.DataFrame, config: Config, model: FraudModel | None = None) -> tuple[pl.DataFrame, FraudModel | None]:
    """Add fraud_score (0-1, higher = more suspect), fraud_flag, fraud_reasons and the pattern."""
    fc = config.fraud
    n = scored.height
    n_posts = scored.get_column(M.N_POSTS).fill_null(0).to_numpy()
    basis = scored.get_column(M.RATE_BASIS).fill_null("none").to_numpy()
    judged = scored.select(_judged(fc)).to_series().to_numpy()  # why not: why_not_judged
    cats = scored.get_column(S.CATEGORY).fill_null(S.UNKNOWN).to_numpy().astype(str)
    tiers = scored.get_column(M.TIER).fill_null(S.UNKNOWN).to_numpy().astype(str)
    # The reach link is learned where the peers are: from the cohort when it fits its own
    # forest, from the saved model's roster (none for older models), not in peer-check mode.
    reach = _reach_vs_size(scored, judged, config, model.reach_link if model is not None else None,
                           fit=model is None and judged.sum() >= fc.min_cohort)
    raw = _raw_features(scored, judged, config, reach)

    mode = "forest"
    peers: PeerTable | None
    if model is not None:
        peers = model.peers
        mode = "forest (saved model)"
    elif judged.sum() >= fc.min_cohort:
        peers = PeerTable.fit(raw, cats, tiers, judged)
    else:
        peers = None
        mode = "peer checks against built-in benchmarks (cohort too small for a forest)"

    noise = {"save_like_spread": scored.get_column(M.LOG_SAVE_LIKE_NOISE).cast(pl.Float64).to_numpy(),
             "comment_like_spread": scored.get_column(M.LOG_COMMENT_LIKE_NOISE).cast(pl.Float64).to_numpy()}
    attenuation = {"saves_track_likes": scored.get_column(M.CORR_SAVES_ATTENUATION).cast(pl.Float64).to_numpy(),
                   "comments_track_likes": scored.get_column(M.CORR_COMMENTS_ATTENUATION).cast(pl.Float64).to_numpy()}
    z, med, who = peer_z(raw, cats, tiers, peers, n_posts, noise,
                         scored.get_column(M.LOG_LIKES_VAR).cast(pl.Float64).to_numpy(), attenuation)
    floor = scored.select(M.rates_on_follower_floor()).to_series().to_numpy()
    for name in FLOOR_OVERSTATES:
        z[name] = np.where(floor & (z[name] > 0), 0.0, z[name])
    features = model.features if model is not None else known_features(raw, judged)
    X = forest_inputs(z, features)
    burst_dev = scored.get_column(M.BURST_RATIO_DEV).cast(pl.Float64).to_numpy()
    patterns, watch_only = pattern_evidence(z, np.isfinite(raw["reach_vs_size"]), fc.pattern_z, burst_dev,
                                            {name: np.isfinite(v) for name, v in raw.items()})
    names = list(patterns)
    stacked = np.column_stack([patterns[k] for k in names]) if n else np.zeros((0, len(names)))
    strength = stacked.max(axis=1) if n else np.zeros(0)  # what may flag
    best = np.array(names, dtype=object)[stacked.argmax(axis=1)] if n else np.zeros(0, dtype=object)
    shown = np.maximum(strength, watch_only)  # what ranks and may put on watch
    leading = np.where((watch_only > strength) & (strength < fc.pattern_z), "bought followers", best)
    evidence = 1.0 / (1.0 + np.exp(-(shown - fc.pattern_z)))  # 0.5 where a pattern is confirmed

    forest = np.full(n, np.nan)
    if peers is not None and judged.any():
        if model is None:
            model = FraudModel(FraudDetector.from_config(fc).fit(X[judged]), peers, features=features, reach_link=reach[1],
                               basis=majority_basis(basis[judged]))
        forest[judged] = model.detector.score_samples(X[judged])
        combined = np.sqrt(np.nan_to_num(forest, nan=0.0) * evidence)
    else:
        combined = evidence
    jump_dates = scored.get_column(M.FOLLOWER_JUMP_DATE).to_list()
    k, n_w, spiked = (scored.get_column(c).cast(pl.Float64).fill_null(0).to_numpy()
                      for c in (M.BURST_SPIKED, M.BURST_NOTES, M.SPIKED_NOTES))
    burst = BurstFacts(k, n_w, np.nan_to_num(burst_dev), scored.get_column(M.BURST_END).to_list(),
                       (spiked - k) / np.maximum(n_posts - n_w, 1))
    changed = SnapshotFacts(n_posts.astype(float), *(scored.get_column(c).cast(pl.Float64).fill_null(0).to_numpy()
                              for c in (M.DROPPED_SHARE, M.VANISHED_SHARE)),
                            scored.get_column(M.VANISHED_EARNED).cast(pl.Float64).fill_null(np.nan).to_numpy())
    comments = CommentFacts(scored.get_column(C.COMMENTS_READ).cast(pl.Float64).fill_null(0).to_numpy(),
                            scored.get_column(C.TOP_REPEATED).to_list(),
                            scored.get_column(C.TOP_REPEATED_NOTES).cast(pl.Float64).fill_null(0).to_numpy())
    lead_thr = {name: weakest_confirming_sign(fc.pattern_z, name) for name in PATTERN_SIGNS}
    # A confirmed pattern's own signs are named from the weakest level that confirms it.
    facts = NoteFacts(scored.select(M.no_likes()).to_series().to_numpy(),
                      scored.get_column(M.VIEWS_PER_FOLLOWER).cast(pl.Float64).to_numpy(),
                      np.exp(scored.get_column(M.LOG_WEIGHTED).cast(pl.Float64).to_numpy()),
                      np.exp(scored.get_column(M.LOG_LIKE).cast(pl.Float64).to_numpy()),
                      np.where(basis == "views", "per view", "per follower"),
                      scored.get_column(M.SHARES_FOLLOW_SAVES).cast(pl.Float64).to_numpy())
    reasons = [_reasons(i, z, raw, med, str(who[i]), fc.reason_z, jump_dates, burst, comments, changed, facts, PATTERN_SIGNS[leading[i]],
                        lead_thr[leading[i]] if strength[i] >= fc.pattern_z else fc.reason_z)
               if judged[i] and combined[i] >= fc.watch_score else [] for i in range(n)]
    has_reason = np.array([bool(r) for r in reasons], dtype=bool)
    flag = judged & has_reason & (strength >= fc.pattern_z) & (combined >= 0.5)
    best = np.where(flag, best, leading)
    # A score with no checkable reason behind it stays below the flag line.
    fraud_score = np.where(judged, np.where(flag, combined, np.minimum(combined, 0.49)), np.nan)
    # Just under the flag line, with checkable reasons: not an accusation, but worth a look.
    watch = judged & ~flag & has_reason & (fraud_score >= fc.watch_score)
    reason_text = [
        "; ".join(x.text for x in r[: fc.reasons_shown]) if f else
        ("watch (not flagged): " + "; ".join(x.text for x in r[: fc.reasons_shown]) if w else "")
        for r, f, w in zip(reasons, flag, watch, strict=True)
    ]
    # The pattern shown is the one whose sign leads the reasons (its own signs come first).
    shown_pattern = np.array([lead if r and r[0].lead else
                              (pattern_of(r[0].key, {name: float(patterns[name][i]) for name in names}) if r else "")
                              for i, (r, lead) in enumerate(zip(reasons, best, strict=True))], dtype=object)
    out = scored.with_columns(
        pl.Series(FRAUD_SCORE, np.round(fraud_score, 3), dtype=pl.Float64, nan_to_null=True),
        # Blank, not false, for a creator that wasn't judged: "not flagged" would read as cleared.
        pl.Series(FRAUD_FLAG, np.where(judged, flag, None).tolist(), dtype=pl.Boolean),
        pl.Series(FRAUD_REASONS, reason_text, dtype=pl.String),
        pl.Series(FRAUD_PATTERN, np.where(flag | watch, shown_pattern, "").tolist(), dtype=pl.String),
        pl.Series(FRAUD_WATCH, np.where(judged, watch, None).tolist(), dtype=pl.Boolean),
        pl.Series(BURST_CONFIRMED, judged & (patterns["boosted burst"] >= fc.pattern_z), dtype=pl.Boolean),
        pl.Series(FOREST_SCORE, np.round(forest, 3), dtype=pl.Float64, nan_to_null=True),
        pl.lit(mode).alias(FRAUD_MODE),
    )
    return out, model


# Flagged farms whose bought share shows note by note: the count each one buys.
FARMED_COUNT = {"save farming": S.SAVES, "comment farm": S.COMMENTS}


def note_flags(posts: pl.LazyFrame, config: Config, bursts: pl.DataFrame | None = None,
               farms: pl.DataFrame | None = None) -> pl.LazyFrame:
    """Per note: does it look boosted? Ratios far from the creator's own and engagement well
    above the creator's median, or (given `bursts`, creator_id and burst_end of each confirmed
    burst) a spiked note inside a confirmed burst, or (given `farms`, creator_id and
    fraud_pattern of each creator flagged as a save or comment farm) a note whose saves or
    comments per like sit far above the creator's own: bought saves and comments need not lift a
    note's engagement, so there the spike isn't asked for. Counts that fell between snapshots
    are their own mark (schema.COUNT_DROPPED): a purge says engagement was bought, not which
    note was boosted."""
    looks_boosted = M.boosted_note(config)
    end = pl.col("_burst_end")
    if bursts is None:
        posts = posts.with_columns(pl.lit(None, pl.Datetime("us")).alias("_burst_end"))
    else:
        posts = posts.join(bursts.lazy().select(S.CREATOR_ID, pl.col(M.BURST_END).alias("_burst_end")),
                           on=S.CREATOR_ID, how="left")
    if farms is None:
        posts = posts.with_columns(pl.lit(None, pl.String).alias("_farm"))
    else:
        posts = posts.join(farms.lazy().select(S.CREATOR_ID, pl.col(FRAUD_PATTERN).alias("_farm")),
                           on=S.CREATOR_ID, how="left")
    in_burst = (M.spiked_note()
                & pl.col(S.POSTED_AT).is_between(end - pl.duration(days=M.JUMP_DAYS), end, closed="right")).fill_null(False)
    farmed, farmed_reason = pl.lit(False), pl.lit(None, pl.String)
    for pattern, count in FARMED_COUNT.items():
        z, usual = M.above_lower_notes(count)
        per_like = M.log_per_like(count).exp()
        here = ((pl.col("_farm") == pattern) & (z > config.fraud.note_z)).fill_null(False)
        farmed = farmed | here
        also = " and its shares didn't rise with them" if count == S.SAVES else ""
        farmed_reason = pl.when(here).then(pl.format(
            "{} {}x likes against about {}x on the creator's usual note (from its lower quarter){}: "
            "{} deviations above, as bought {} make it",
            pl.lit(count), per_like.round(2), usual.round(2), pl.lit(also), z.round(1), pl.lit(count))).otherwise(farmed_reason)
    boosted = looks_boosted | in_burst | farmed
    reason = (
        pl.when(looks_boosted)
        .then(pl.format("ratios {} robust deviations from the creator's own; {}x the creator's median engagement",
                        pl.col(M.NOTE_RATIO_DEV).round(1), pl.col(M.NOTE_SPIKE).round(1)))
        .when(in_burst)
        .then(pl.format("{}x the creator's median engagement, in a burst of such notes within {} days up to {}",
                        pl.col(M.NOTE_SPIKE).round(1), pl.lit(M.JUMP_DAYS), end.dt.date()))
        .when(farmed).then(farmed_reason)
        .otherwise(pl.lit(""))
    )
    return posts.with_columns(boosted.alias(BOOSTED), reason.alias(BOOST_REASON)).drop("_burst_end", "_farm")
