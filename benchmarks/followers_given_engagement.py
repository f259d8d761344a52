"""Why kolvet judges bought followers by engagement against size, not followers against engagement.

    python benchmarks/followers_given_engagement.py                  # seeds 17-19, four variants
    python benchmarks/followers_given_engagement.py --seeds 11 12 13

Without views, bought followers leave one sign in the notes: engagement per follower under what
creators of that size get (kolvet's test: log engagement per follower against the cohort's size
curve, per category). The same two numbers can be read the other way: the follower count against
what creators whose notes earn as much have (log followers regressed on log engagement per note,
per category). Bought followers add followers and nothing else, so that reading separates them
better on kolvet's generator. This prints, for each world without views (notes only), both
tests' ROC-AUC for bought-followers creators against honest ones, and the share of honest
creators each puts past two robust deviations, by fifth of follower count: the second test's
edge comes from suspecting large accounts as such.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import polars as pl
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from fraud_eval import _loaded  # noqa: E402

from kolvet import synth  # noqa: E402
from kolvet.metrics import LOG_WEIGHTED, N_POSTS  # noqa: E402
from kolvet.pipeline import vet_loaded  # noqa: E402
from kolvet.schema import CATEGORY, CREATOR_ID, FOLLOWERS  # noqa: E402
from kolvet.score import ENGAGEMENT_VS_EXPECTED_RAW, fit_size_curve  # noqa: E402

MIN_NOTES = 5  # as fraud_eval judges


def robust_z(x: np.ndarray, use: np.ndarray) -> np.ndarray:
    centre = np.median(x[use])
    return (x - centre) / (1.4826 * np.median(np.abs(x[use] - centre)))


def followers_given_engagement(log_f: np.ndarray, log_e: np.ndarray, cats: np.ndarray, use: np.ndarray) -> np.ndarray:
    """log followers minus what the creator's engagement per note predicts: kolvet's own size
    curve fit turned around (a shared slope, an intercept per category, refit without creators
    far off it), as a robust z."""
    curve = fit_size_curve(log_f, log_e, cats, use, prior_slope=1.0, min_creators=30)
    return robust_z(log_f - curve.expected(log_e, cats), use)


def world(variant: str, seed: int) -> dict[str, object]:
    w = synth.vary(synth.World(creators=2000, seed=seed, fake_rate=0.08, honest_hard_rate=0.12, views=False), variant)
    posts, truth = synth.generate(w)
    c = vet_loaded(_loaded(posts)).creators.join(truth.select(CREATOR_ID, "label", "pattern"), on=CREATOR_ID)
    log_f = np.log(c.get_column(FOLLOWERS).cast(pl.Float64).to_numpy())
    per_follower = c.get_column(LOG_WEIGHTED).cast(pl.Float64).to_numpy()  # log engagement per follower
    size_test = -np.log(c.get_column(ENGAGEMENT_VS_EXPECTED_RAW).cast(pl.Float64).to_numpy())
    use = (c.get_column(N_POSTS).to_numpy() >= MIN_NOTES) & np.isfinite(per_follower) & np.isfinite(log_f) & np.isfinite(size_test)
    cats = c.get_column(CATEGORY).fill_null("").to_numpy().astype(str)
    reverse = followers_given_engagement(log_f, per_follower + log_f, cats, use)
    forward = robust_z(size_test, use)
    honest = use & (c.get_column("label").to_numpy() == "honest")
    bought = use & (c.get_column("pattern").to_numpy() == "bought_followers")
    both = honest | bought
    fifth = np.digitize(log_f, np.quantile(log_f[honest], [0.2, 0.4, 0.6, 0.8]))

    def past_two(z: np.ndarray) -> str:
        return " ".join(f"{(z[honest & (fifth == k)] > 2).mean():.1%}" for k in range(5))

    return {"variant": variant, "seed": seed, "bought followers": int(bought.sum()),
            "AUC engagement vs size": round(roc_auc_score(bought[both], forward[both]), 3),
            "AUC followers vs engagement": round(roc_auc_score(bought[both], reverse[both]), 3),
            "honest past 2, smallest to largest fifth (engagement vs size)": past_two(forward),
            "(followers vs engagement)": past_two(reverse)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[17, 18, 19])
    parser.add_argument("--variants", nargs="+", default=["base", "noisy", "subtle", "steady"])
    args = parser.parse_args()
    rows = [world(v, s) for v in args.variants for s in args.seeds]
    with pl.Config(tbl_rows=-1, tbl_cols=-1, tbl_width_chars=250, fmt_str_lengths=60, tbl_hide_dataframe_shape=True,
                   tbl_formatting="MARKDOWN", tbl_hide_column_data_types=True):
        print(pl.DataFrame(rows))


if __name__ == "__main__":
    main()
