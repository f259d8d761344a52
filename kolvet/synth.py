"""The synthetic world behind `kolvet sample`: XHS-like note histories per category, with
honest hard cases and labelled fake-engagement patterns.

For demos, tests and benchmarks only; it is not the world, and nothing in scoring or fraud
detection is fitted to it. Rates follow domain.md: per-view like rates of 2-5%, saves 35-60% of
likes, comments 8-15% of likes, shares rarer; engagement per follower falls with size because
reach per follower does; reach is heavy-tailed and better notes are pushed further.

Honest patterns that must not be flagged: one viral note with normal ratios (viral), save-heavy
tutorials (tutorial), comment-heavy discussions (discussion), creators with 1-4 notes
(few_notes). Fake patterns: bought_likes, bought_followers, save_farming, comment_farm,
boosted_burst. Every creator's label and true per-view value go to the truth file; `profiles`
adds what a crawler saves beside the notes (followers, lifetime likes and saves), `comments`
the first page of each note's comments, `roster` what a marketplace roster would (followers,
lifetime likes and saves, the active-fan share and a 30-day follower series).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import numpy as np
import polars as pl

from kolvet.config import DEFAULT_PRESETS

# Per-view like rate, saves per like, comments per like, shares per save, share of creators.
CATEGORIES: dict[str, tuple[float, float, float, float, float]] = {
    "beauty": (0.040, 0.55, 0.10, 0.12, 0.22),
    "fashion": (0.035, 0.45, 0.09, 0.15, 0.18),
    "food": (0.030, 0.50, 0.12, 0.18, 0.20),
    "mother_baby": (0.045, 0.60, 0.14, 0.10, 0.12),
    "travel": (0.028, 0.55, 0.08, 0.18, 0.16),
    "luxury": (0.022, 0.40, 0.12, 0.08, 0.12),
}
FAKE_PATTERNS = ("bought_likes", "bought_followers", "save_farming", "comment_farm", "boosted_burst")
HONEST_PATTERNS = ("viral", "tutorial", "discussion", "few_notes")
BOUGHT = ("bought_likes", "bought_saves", "bought_comments")  # generate(bought=True): per note
TITLES = ("平价好物分享", "周末探店", "新手入门教程", "一周穿搭", "宝宝辅食记录", "旅行攻略",
          "开箱测评", "护肤心得", "通勤妆容", "私藏清单", "避雷指南", "真实测评")
END = datetime(2025, 6, 30, 22, 0, 0)


@dataclass(frozen=True)
class World:
    """Knobs of the generator; evaluation varies them so nothing is tuned to one world."""

    creators: int = 300
    posts_per_creator: float = 30.0
    seed: int = 0
    fake_rate: float = 0.0
    honest_hard_rate: float = 0.0
    views: bool = True
    quality_sigma: float = 0.45  # spread of true per-view quality between creators
    note_sigma: float = 0.8  # spread of reach between a creator's notes
    reach_noise: float = 0.25  # creator-level reach luck beyond quality
    bundle_low: float = 3.0  # bought engagement per note, as a multiple of organic
    bundle_high: float = 10.0
    boosted_share: tuple[float, float] = (0.5, 1.0)  # share of a faker's notes that get bundles


def generate(world: World, bought: bool = False) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(posts, truth). Deterministic for a given World. With `bought`, posts also carry each
    note's bought likes, saves and comments (BOUGHT), for recrawl() to purge."""
    rng = np.random.default_rng(world.seed)
    n = world.creators
    cat_names = list(CATEGORIES)
    cat_p = np.array([CATEGORIES[c][4] for c in cat_names])
    cat_idx = rng.choice(len(cat_names), size=n, p=cat_p / cat_p.sum())
    base = np.array([CATEGORIES[c][:4] for c in cat_names])[cat_idx]  # like, save/like, cmt/like, share/save

    followers_true = np.round(10 ** np.clip(rng.normal(3.9, 0.75, n), 2.3, 7.0)).astype(np.int64)
    quality = np.exp(rng.normal(0, world.quality_sigma, n))
    save_style = np.exp(rng.normal(0, 0.25, n))
    comment_style = np.exp(rng.normal(0, 0.3, n))
    share_style = np.exp(rng.normal(0, 0.3, n))
    # Reach per follower falls with size, and better creators get pushed further.
    reach = 0.9 * (followers_true / 1000.0) ** -0.25 * quality ** 0.5 * np.exp(rng.normal(0, world.reach_noise, n))
    n_posts = np.clip(np.round(np.exp(rng.normal(np.log(world.posts_per_creator) - 0.18, 0.6, n))), 5, 400).astype(np.int64)

    # Labels: honest hard cases and fakes, disjoint.
    pattern = np.full(n, "none", dtype=object)
    order = rng.permutation(n)
    n_fake = int(round(world.fake_rate * n))
    n_hard = int(round(world.honest_hard_rate * n))
    for i, idx in enumerate(order[:n_fake]):
        pattern[idx] = FAKE_PATTERNS[i % len(FAKE_PATTERNS)]
    for i, idx in enumerate(order[n_fake:n_fake + n_hard]):
        pattern[idx] = HONEST_PATTERNS[i % len(HONEST_PATTERNS)]
    n_posts = np.where(pattern == "few_notes", rng.integers(1, 5, n), n_posts)
    save_style = np.where(pattern == "tutorial", save_style * rng.uniform(2.3, 4.0, n), save_style)
    comment_style = np.where(pattern == "discussion", comment_style * rng.uniform(3.5, 7.0, n), comment_style)

    like_rate = base[:, 0] * quality
    save_like = base[:, 1] * save_style
    comment_like = base[:, 2] * comment_style
    share_save = base[:, 3] * share_style
    w = DEFAULT_PRESETS["save-first"]
    true_value = like_rate * (w.likes + w.saves * save_like + w.comments * comment_like
                              + w.shares * save_like * share_save)

    # ---- notes ----
    owner = np.repeat(np.arange(n), n_posts)
    m = owner.size
    first = np.concatenate([[0], np.cumsum(n_posts)[:-1]])
    pos = np.arange(m) - first[owner]
    views = followers_true[owner] * reach[owner] * np.exp(rng.normal(0, world.note_sigma, m))
    viral_note = (pattern[owner] == "viral") & (pos == (n_posts[owner] // 2))
    views = np.where(viral_note, views * rng.uniform(30, 100, m), views)
    views = np.maximum(np.round(views), 20)
    lr = like_rate[owner] * np.exp(rng.normal(0, 0.25, m))
    likes = rng.poisson(views * lr)
    saves = rng.poisson(views * lr * save_like[owner] * np.exp(rng.normal(0, 0.25, m)))
    comments = rng.poisson(views * lr * comment_like[owner] * np.exp(rng.normal(0, 0.35, m)))
    shares = rng.poisson(views * lr * save_like[owner] * share_save[owner] * np.exp(rng.normal(0, 0.35, m)))

    # Posting times: each creator posts over a span that fits its cadence, ending near END.
    per_week = np.exp(rng.normal(np.log(2.0), 0.5, n))
    span_days = np.clip(n_posts / per_week * 7, 3, 720)
    age = rng.uniform(0, 1, m) * span_days[owner] + rng.uniform(0, 5, n)[owner]
    burst = pattern[owner] == "boosted_burst"

    # ---- fakes ----
    fake_p = pattern[owner]
    lo, hi = world.bundle_low, world.bundle_high
    exp_likes = followers_true[owner] * reach[owner] * like_rate[owner]
    share_lo, share_hi = world.boosted_share
    boosted_share = rng.uniform(share_lo, share_hi, n)[owner]
    hit = rng.uniform(0, 1, m) < boosted_share
    mult = rng.uniform(lo, hi, n)[owner] * np.exp(rng.normal(0, 0.15, m))
    exp_saves = exp_likes * save_like[owner]
    exp_comments = exp_likes * comment_like[owner]
    bought_likes = np.where((fake_p == "bought_likes") & hit, np.round(exp_likes * mult), 0.0)
    bought_saves = np.where((fake_p == "save_farming") & hit, np.round(np.maximum(exp_saves, 5) * mult), 0.0)
    bought_comments = np.where((fake_p == "comment_farm") & hit, np.round(np.maximum(exp_comments, 3) * mult * 1.5), 0.0)
    # Boosted bursts: a handful of notes in a few days, each pumped with likes and saves.
    burst_k = np.clip(np.round(n_posts * 0.2), 3, 8)[owner]
    in_burst = burst & (pos < burst_k)
    age = np.where(in_burst, rng.uniform(0, 3, m) + rng.uniform(5, 40, n)[owner], age)
    bought_likes = np.where(in_burst, np.round(exp_likes * mult * 1.5), bought_likes)
    bought_saves = np.where(in_burst, np.round(exp_saves * mult * 0.3), bought_saves)
    likes, saves, comments = likes + bought_likes, saves + bought_saves, comments + bought_comments
    followers = np.where(pattern == "bought_followers", followers_true * rng.uniform(4, 12, n), followers_true).astype(np.int64)

    posted = np.datetime64(END) - (age * 86400).astype("timedelta64[s]")
    post_type = np.where(rng.uniform(0, 1, m) < 0.3, "video", "image")
    titles = np.array(TITLES)[rng.integers(0, len(TITLES), m)]
    creator_ids = pl.Series("creator_id", [f"c{world.seed % 1000:03d}{i:06d}" for i in range(n)]) if n < 200_000 \
        else pl.Series("creator_id", np.arange(n)).cast(pl.String).str.zfill(7)
    nick = pl.Series([f"博主{i:05d}" for i in range(n)]) if n < 200_000 else pl.Series(np.arange(n)).cast(pl.String)
    cats = np.array(cat_names)[cat_idx]

    posts = pl.DataFrame({
        "creator_id": creator_ids.gather(owner),
        # The seed in the id, as in creator ids: two samples vetted together share no note.
        "post_id": pl.Series(np.arange(m)).cast(pl.String).str.zfill(9).str.replace(r"^", f"n{world.seed % 1000:03d}"),
        "posted_at": pl.Series(posted).cast(pl.Datetime("us")).dt.truncate("1s"),
        "followers": followers[owner],
        "likes": likes.astype(np.int64),
        "saves": saves.astype(np.int64),
        "comments": comments.astype(np.int64),
        "shares": shares.astype(np.int64),
        "views": views.astype(np.int64),
        "category": cats[owner],
        "nickname": nick.gather(owner),
        "title": titles,
        "post_type": post_type,
    })
    if not world.views:
        posts = posts.drop("views")
    if bought:
        posts = posts.with_columns(pl.Series(name, values.astype(np.int64))
                                   for name, values in zip(BOUGHT, (bought_likes, bought_saves, bought_comments), strict=True))
    posts = posts.sort(["creator_id", "posted_at", "post_id"])
    truth = pl.DataFrame({
        "creator_id": creator_ids,
        "category": cats,
        "followers": followers,
        "followers_true": followers_true,
        "n_posts": n_posts,
        "quality": np.round(quality, 4),
        "true_value": np.round(true_value, 6),
        "label": np.where(np.isin(pattern, FAKE_PATTERNS), "fake", "honest"),
        "pattern": pattern.astype(str),
    })
    return posts, truth


def lifetime_likes_saves(world: World, posts: pl.DataFrame, truth: pl.DataFrame) -> np.ndarray:
    """获赞与收藏 per creator (in truth's order): the likes and saves the account earned over its
    whole life, older notes included. Followers are earned by engagement, so honest accounts
    hold a typical number per follower; the real roster sheet's 104 creators with 100+
    followers give log10(likes and saves per follower) = 1.49 - 0.15 log10(followers), sd 0.35,
    weakly tied (rank correlation 0.20) to their crawled notes' engagement per follower. Bought
    followers add followers and nothing else. It is never below what the crawled notes
    themselves earned."""
    rng = np.random.default_rng([world.seed, 2])
    f_true = truth.get_column("followers_true").to_numpy().astype(float)
    per_follower = 10 ** (1.49 - 0.15 * np.log10(f_true) + rng.normal(0, 0.35, truth.height))
    crawled = (truth.select("creator_id")
               .join(posts.group_by("creator_id").agg((pl.col("likes") + pl.col("saves")).sum().alias("_ls")),
                     on="creator_id", how="left", maintain_order="left")
               .get_column("_ls").fill_null(0).to_numpy())
    return np.maximum(crawled, np.round(f_true * per_follower)).astype(np.int64)


def _xhs_count(x: int) -> str:
    """As an XHS profile shows a count: 9,999 and under exactly, then "1.2万"."""
    return str(x) if x < 10_000 else f"{x / 10_000:.1f}".removesuffix(".0") + "万"


def profiles(world: World, posts: pl.DataFrame, truth: pl.DataFrame) -> pl.DataFrame:
    """Creator profiles as MediaCrawler saves them beside the notes: fans and interaction
    (获赞与收藏) as the strings the app shows."""
    lifetime = lifetime_likes_saves(world, posts, truth)
    return pl.DataFrame({
        "user_id": truth.get_column("creator_id"),
        "nickname": truth.select("creator_id").join(posts.unique("creator_id").select("creator_id", "nickname"),
                                                    on="creator_id", how="left", maintain_order="left").get_column("nickname"),
        "fans": [_xhs_count(f) for f in truth.get_column("followers").to_list()],
        "interaction": [_xhs_count(int(x)) for x in lifetime],
    })


# Comment texts. Honest comments are varied (opener x topic x reaction, thousands of texts) with
# some short generic ones ("好看", "求链接", emoji) that any comment section repeats; bought ones come
# from a vendor's templates (domain.md: 求链接, emoji-only, identical short texts).
_OPENERS = ("这个", "博主的", "姐妹这个", "请问这个", "终于等到", "刚好需要", "上次买的", "看完", "收藏了这个", "同款")
_TOPICS = ("色号", "链接", "配方", "攻略", "教程", "穿搭", "妆容", "店", "地址", "价格", "尺码", "味道", "效果", "步骤", "路线")
_REACTIONS = ("太实用了", "在哪里买的", "求分享", "好喜欢", "有点心动", "已经学会了", "明天就去试试", "能再详细说说吗",
              "绝了", "蹲一个后续", "好想要", "真的有用吗", "看起来不错", "好有氛围感")
_GENERIC = ("好看", "求链接", "哈哈哈哈", "爱了", "[赞R]", "👍", "太美了", "想要", "收藏了", "学到了")
_VENDOR = tuple(f"{a}{b}{c}" for a in ("真的", "太", "超级", "好") for b in ("好看", "好用", "实用", "喜欢", "心动", "绝了")
                for c in ("！", "啊", "～", "[赞R]"))
COMMENTS_PER_NOTE = 10  # the first page a crawler saves


def comments(world: World, posts: pl.DataFrame, truth: pl.DataFrame) -> pl.DataFrame:
    """The first page of comments per note, as MediaCrawler saves them (comment_id, note_id,
    content, user_id, create_time in ms). On a comment farm's notes the bought share of the
    comments is the count above what its likes explain, and those come from vendor templates."""
    rng = np.random.default_rng([world.seed, 3])
    cat_cl = {c: v[2] for c, v in CATEGORIES.items()}
    notes = posts.join(truth.select("creator_id", "pattern"), on="creator_id").select(
        "post_id", "posted_at", "comments",
        (pl.col("pattern") == "comment_farm").alias("_farm"),
        (pl.col("likes") * pl.col("category").replace_strict(cat_cl, return_dtype=pl.Float64) * 1.5).alias("_organic"),
    )
    k = np.minimum(notes.get_column("comments").to_numpy(), COMMENTS_PER_NOTE)
    bought_share = np.where(notes.get_column("_farm").to_numpy(),
                            np.clip(1 - notes.get_column("_organic").to_numpy() / np.maximum(notes.get_column("comments").to_numpy(), 1), 0, 1), 0.0)
    owner = np.repeat(np.arange(notes.height), k)
    m = owner.size
    bought = rng.uniform(0, 1, m) < bought_share[owner]
    generic = rng.uniform(0, 1, m) < 0.25
    varied = (np.array(_OPENERS)[rng.integers(0, len(_OPENERS), m)].astype(object)
              + np.array(_TOPICS)[rng.integers(0, len(_TOPICS), m)].astype(object)
              + np.array(_REACTIONS)[rng.integers(0, len(_REACTIONS), m)].astype(object)
              + np.array(("", "！", "？", "[哭惹R]", "～"))[rng.integers(0, 5, m)].astype(object))
    text = np.where(bought, np.array(_VENDOR)[rng.integers(0, len(_VENDOR), m)],
                    np.where(generic, np.array(_GENERIC)[rng.integers(0, len(_GENERIC), m)], varied))
    user = np.where(bought, rng.integers(0, 300, m), rng.integers(1_000, 10_000_000, m))
    posted_ms = notes.get_column("posted_at").dt.epoch("ms").to_numpy()[owner] + rng.integers(60_000, 3 * 86_400_000, m)
    return pl.DataFrame({
        "comment_id": pl.Series(np.arange(m)).cast(pl.String).str.zfill(8).str.replace(r"^", f"m{world.seed % 1000:03d}"),
        "note_id": notes.get_column("post_id").gather(owner),
        "content": text.astype(str),
        "user_id": pl.Series(user).cast(pl.String).str.zfill(8).str.replace(r"^", "u"),
        "create_time": posted_ms,
    })


SERIES_DAYS = 30  # Pugongying shows a 30-day daily follower series


def recrawl(world: World, posts: pl.DataFrame, days: int = 7, deleted: float = 0.003) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Two crawls of the same creators, `days` apart, as an agency that re-crawls its watch list
    holds them: (first, second), each with its snapshot_at. `posts` come from
    generate(bought=True). Between the crawls:
    - notes keep earning, fresh ones most: a note earns 70% of its engagement at once and the
      rest over about ten days;
    - the platform finds part of the bought engagement and removes it (domain.md: XHS purged
      hundreds of millions of fake interactions in 2025): each note's bought likes, saves and
      comments are purged, half to all of them, with even odds, so their counts fall;
    - creators delete a `deleted` share of notes (3 in 1,000), whatever they hold (a guess: XHS
      shows no deletions)."""
    rng = np.random.default_rng([world.seed, 5])
    first_at = END + timedelta(hours=2)
    second_at = first_at + timedelta(days=days)
    m = posts.height
    age = (np.datetime64(first_at) - posts.get_column("posted_at").to_numpy()) / np.timedelta64(1, "D")

    def earned(a: np.ndarray) -> np.ndarray:
        return 1 - 0.3 * np.exp(-a / 10.0)

    growth = earned(age + days) / earned(age) - 1
    purged = np.where(rng.uniform(0, 1, m) < 0.5, rng.uniform(0.5, 1.0, m), 0.0)

    def later(count: str, bought: str | None) -> pl.Series:
        total = posts.get_column(count).to_numpy()
        paid = posts.get_column(bought).to_numpy() if bought else np.zeros(m, dtype=np.int64)
        organic = total - paid
        return pl.Series(count, organic + rng.poisson(organic * growth) + np.round(paid * (1 - purged)).astype(np.int64))

    kept = rng.uniform(0, 1, m) >= deleted
    counts = [later("likes", "bought_likes"), later("saves", "bought_saves"), later("comments", "bought_comments"),
              later("shares", None)] + ([later("views", None)] if "views" in posts.columns else [])
    first = posts.drop(BOUGHT).with_columns(pl.lit(first_at).cast(pl.Datetime("us")).alias("snapshot_at"))
    second = first.with_columns(*counts, pl.lit(second_at).cast(pl.Datetime("us")).alias("snapshot_at")).filter(kept)
    return first, second


def roster(world: World, posts: pl.DataFrame, truth: pl.DataFrame, series_as_json: bool = False) -> pl.DataFrame:
    """What a marketplace roster adds per creator: lifetime likes and saves (获赞与收藏), the
    active-fan share (only for 1,000+ followers, as XHS shows it), a 30-day daily follower
    series, `[{dateKey, num}]`, and a price per image note (图文报价).

    Honest followers grow with content (a small share of a note's likes and saves follow in
    the days after it, so a viral note brings a jump) and share activity that falls with size.
    Bought followers are mostly inactive (vendors sell some "active" ones too); half of them
    were bought within the 30 days and arrive in a few days of deliveries, sometimes partly
    purged by the platform later."""
    rng = np.random.default_rng([world.seed, 1])
    n = truth.height
    f_now = truth.get_column("followers").to_numpy().astype(float)
    f_true = truth.get_column("followers_true").to_numpy().astype(float)
    bought = truth.get_column("pattern").to_numpy() == "bought_followers"

    active = np.clip(rng.normal(0.55 - 0.06 * np.log10(np.maximum(f_true, 100) / 1000), 0.1, n), 0.05, 0.95)
    # Vendors also sell "active" followers (bots that log in), so some bought ones count as active.
    seems_active = f_true + rng.uniform(0, 0.6, n) * (f_now - f_true)
    active = np.where(bought, np.clip(active * seems_active / f_now + rng.normal(0, 0.02, n), 0.01, 0.95), active)

    # Daily gains over the last SERIES_DAYS days, then counts back from today's followers.
    end = np.datetime64(END.date())
    index = {cid: i for i, cid in enumerate(truth.get_column("creator_id").to_list())}
    recent = posts.with_columns(
        (pl.lit(END) - pl.col("posted_at")).dt.total_days().alias("_age"),
        (pl.col("likes") + pl.col("saves")).alias("_eng"),
    ).filter(pl.col("_age") < SERIES_DAYS + 3)
    gains = f_true[:, None] * np.exp(rng.normal(np.log(0.002), 0.6, n))[:, None] * rng.uniform(0.5, 1.5, (n, SERIES_DAYS))
    convert = np.exp(rng.normal(np.log(0.015), 0.5, n))  # follows per like+save, spread over 3 days
    who = recent.get_column("creator_id").replace_strict(index, return_dtype=pl.Int64).to_numpy()
    day = SERIES_DAYS - 1 - recent.get_column("_age").to_numpy().astype(np.int64)
    eng = recent.get_column("_eng").to_numpy().astype(float)
    for lag, share in ((0, 0.5), (1, 0.3), (2, 0.2)):
        ok = (day + lag >= 0) & (day + lag < SERIES_DAYS)
        np.add.at(gains, (who[ok], day[ok] + lag), convert[who[ok]] * eng[ok] * share)
    in_window = bought & (rng.uniform(0, 1, n) < 0.5)
    start = rng.integers(0, SERIES_DAYS - 6, n)
    spread = rng.integers(1, 5, n)
    purge = rng.uniform(0, 1, n) < 0.5
    for i in np.flatnonzero(in_window):
        extra = f_now[i] - f_true[i]
        gains[i, start[i]:start[i] + spread[i]] += extra / spread[i]
        if purge[i]:
            gains[i, min(start[i] + spread[i] + 3, SERIES_DAYS - 1)] -= extra * rng.uniform(0.05, 0.2)
    series_counts = f_now[:, None] - np.cumsum(gains[:, ::-1], axis=1)[:, ::-1] + gains
    dates = [str(end - np.timedelta64(SERIES_DAYS - 1 - d, "D")) for d in range(SERIES_DAYS)]
    series = [[{"dateKey": dates[d], "num": int(max(round(series_counts[i, d]), 0))} for d in range(SERIES_DAYS)]
              for i in range(n)]
    if series_as_json:
        series = [json.dumps(points, separators=(",", ":")) for points in series]
    # 图文报价 (price of an image note): a few fen to a few jiao per follower, as rate cards run,
    # rounded to 50 yuan; its own seeded stream, so the rest of the roster is as before.
    price_rng = np.random.default_rng([world.seed, 5])
    quote = np.maximum(np.round(f_now * np.exp(price_rng.normal(np.log(0.08), 0.5, n)) / 50) * 50, 100).astype(np.int64)
    return pl.DataFrame({
        "creator_id": truth.get_column("creator_id"),
        "fans": truth.get_column("followers"),
        "图文报价": quote,
        "获赞与收藏": lifetime_likes_saves(world, posts, truth),
        "active_fan_share": [f"{a:.1%}" if f >= 1000 else None for a, f in zip(active, f_now, strict=True)],
        "follower_series": series,
    })


def sample_world(creators: int, seed: int = 0, fake_rate: float = 0.08, hard_rate: float = 0.12,
                 views: bool = True, posts_per_creator: float = 30.0) -> World:
    return World(creators=creators, seed=seed, fake_rate=fake_rate, honest_hard_rate=hard_rate,
                 views=views, posts_per_creator=posts_per_creator)


def vary(world: World, variant: str) -> World:
    """Named variations of the generator used by the evaluation, beyond the seed."""
    if variant == "base":
        return world
    if variant == "noisy":
        return replace(world, note_sigma=1.1, reach_noise=0.4, quality_sigma=0.6)
    if variant == "subtle":
        return replace(world, bundle_low=2.0, bundle_high=5.0, boosted_share=(0.4, 0.8))
    if variant == "steady":
        return replace(world, note_sigma=0.5, reach_noise=0.15, quality_sigma=0.35, posts_per_creator=50)
    raise ValueError(f"unknown variant {variant!r}")
