"""The baseline: the per-creator aggregates and isolation forest an analyst would write with
pandas and scikit-learn, without kolvet. Straightforward, not tuned either way.

    python benchmarks/pandas_baseline.py notes.csv -o creators.csv

It computes a subset of what `kolvet vet` computes (no count-string parsing, no rows set aside
with reasons, no size curves, no peer fallbacks, no reasons for flags), so the comparison with
kolvet flatters pandas, if anything. Reads kolvet's canonical columns (creator_id, post_id,
posted_at, followers, likes, saves, comments, shares, views, category).
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from sklearn.ensemble import IsolationForest

WINDOW_DAYS = 90
MIN_RECENT = 10
MIN_POSTS = 5


def creator_table(path: str) -> pd.DataFrame:
    df = pd.read_csv(path, dtype={"creator_id": str, "post_id": str}, parse_dates=["posted_at"])

    # Re-crawled notes: keep the last row of each post_id.
    df = df.drop_duplicates("post_id", keep="last")

    # Window: the last 90 days before the newest note, or a creator's 10 most recent notes.
    as_of = df["posted_at"].max()
    df = df.sort_values(["creator_id", "posted_at"])
    recency = df.groupby("creator_id")["posted_at"].rank(method="first", ascending=False)
    df = df[(df["posted_at"] >= as_of - pd.Timedelta(days=WINDOW_DAYS)) | (recency <= MIN_RECENT)].copy()

    # Rates per view when views are present, else per follower.
    df["shares"] = df["shares"].fillna(0)
    reach = df["views"].where(df["views"] > 0, df["followers"]).astype(float)
    df["interactions"] = df["likes"] + df["saves"] + df["comments"] + df["shares"]
    df["weighted"] = df["likes"] + 4 * df["saves"] + 2.5 * df["comments"] + 4 * df["shares"]
    df["save_rate"] = df["saves"] / reach
    df["engagement_rate"] = df["interactions"] / reach
    df["log_weighted_rate"] = np.log((df["weighted"] + 0.5) / reach)
    df["log_save_like"] = np.log((df["saves"] + 0.5) / (df["likes"] + 0.5))
    df["log_comment_like"] = np.log((df["comments"] + 0.5) / (df["likes"] + 0.5))
    median_lwr = df.groupby("creator_id")["log_weighted_rate"].transform("median")
    df["abs_dev_lwr"] = (df["log_weighted_rate"] - median_lwr).abs()

    g = df.groupby("creator_id")
    out = g.agg(
        category=("category", "first"),
        followers=("followers", "last"),
        n_posts=("post_id", "size"),
        save_rate=("save_rate", "median"),
        engagement_rate=("engagement_rate", "median"),
        log_weighted_rate=("log_weighted_rate", "median"),
        likes=("likes", "sum"),
        saves=("saves", "sum"),
        comments=("comments", "sum"),
        shares=("shares", "sum"),
        median_interactions=("interactions", "median"),
        max_interactions=("interactions", "max"),
        log_save_like_sd=("log_save_like", "std"),
        log_comment_like_sd=("log_comment_like", "std"),
        log_weighted_spread=("abs_dev_lwr", "median"),
    )
    out["log_weighted_spread"] *= 1.4826
    likes = out["likes"].clip(lower=1)
    out["save_like_ratio"] = out["saves"] / likes
    out["comment_like_ratio"] = out["comments"] / likes
    out["share_like_ratio"] = out["shares"] / likes
    out["spike"] = out["max_interactions"] / out["median_interactions"].clip(lower=1)
    return out.reset_index()


def features(creators: pd.DataFrame) -> pd.DataFrame:
    with np.errstate(divide="ignore"):  # a creator whose notes all have zero engagement: log(0)
        return pd.DataFrame({
            "log_rate": creators["log_weighted_rate"],
            "save_like": np.log(creators["save_like_ratio"] + 1e-3),
            "comment_like": np.log(creators["comment_like_ratio"] + 1e-3),
            "share_like": np.log(creators["share_like_ratio"] + 1e-3),
            "save_like_sd": creators["log_save_like_sd"],
            "comment_like_sd": creators["log_comment_like_sd"],
            "spike": np.log(creators["spike"]),
        })


def add_fraud_score(creators: pd.DataFrame) -> pd.DataFrame:
    feats = features(creators)
    # Against peers: robust z-scores within each category.
    by_cat = feats.groupby(creators["category"])
    med = by_cat.transform("median")
    mad = (feats - med).abs().groupby(creators["category"]).transform("median") * 1.4826
    z = ((feats - med) / mad.clip(lower=0.1)).clip(-10, 10).fillna(0)

    judged = creators["n_posts"] >= MIN_POSTS
    forest = IsolationForest(n_estimators=200, max_samples=256, contamination=0.08, random_state=0)
    forest.fit(z[judged])
    creators["fraud_score"] = np.nan
    creators.loc[judged, "fraud_score"] = -forest.score_samples(z[judged])
    creators["fraud_flag"] = False
    creators.loc[judged, "fraud_flag"] = forest.predict(z[judged]) == -1
    return creators


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("posts")
    ap.add_argument("-o", "--output", default="pandas-creators.csv")
    args = ap.parse_args()
    creators = add_fraud_score(creator_table(args.posts))
    creators["score"] = creators["save_rate"].rank(pct=True) * 50 + creators["engagement_rate"].rank(pct=True) * 50
    creators.sort_values(["fraud_flag", "score"], ascending=[True, False]).to_csv(args.output, index=False)


if __name__ == "__main__":
    main()
