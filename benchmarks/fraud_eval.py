"""Fake-engagement detection and ranking quality on synthetic worlds with known truth.

    python benchmarks/fraud_eval.py            # full table (several seeds x variants x views)
    python benchmarks/fraud_eval.py --quick    # one seed per variant
    python benchmarks/fraud_eval.py --seeds 17 18 19   # worlds no one looked at while building (14-16 were looked at once)

For each world: kolvet's ROC-AUC, flag precision and recall, fake creators in the top 50 of
the ranking, the false-flag rate on honest hard cases, and the ranking's Spearman correlation
with the true per-view value among honest creators with >= 10 notes, for notes alone and with
the creator profiles a crawler saves beside them (followers, lifetime likes and saves), with
those and the comment pages it saves, and with the roster a marketplace export adds (followers,
lifetime likes and saves, active-fan share, follower series); side by side with a naive
baseline (an IsolationForest on raw per-creator ratios, ranking by engagement per follower).
Worlds vary the generator's parameters (variant), not only its seed; nothing in kolvet is fit
to them.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kolvet import synth  # noqa: E402
from kolvet.config import Config, load_config  # noqa: E402
from kolvet.pipeline import Loaded, vet_loaded  # noqa: E402
from kolvet.schema import map_columns, parse_comments, parse_creators  # noqa: E402

HARD = ("viral", "tutorial", "discussion")


def _parsed(table: pl.DataFrame | None, source: str) -> pl.DataFrame | None:
    """Through the real creators parser, as `--creators roster.json` or a profile file would be."""
    if table is None:
        return None
    return parse_creators(table, map_columns(table.columns, kind="creators"), source, {})[0]


def _loaded(posts: pl.DataFrame, roster: pl.DataFrame | None = None, profiles: pl.DataFrame | None = None,
            comments: pl.DataFrame | None = None) -> Loaded:
    parsed = parse_comments(comments, "comments")[0] if comments is not None else None
    return Loaded.from_frame(posts, _parsed(roster, "roster"), source="synthetic", profiles=_parsed(profiles, "profiles"),
                             comments=parsed)


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    ra = pl.Series(a).rank().to_numpy()
    rb = pl.Series(b).rank().to_numpy()
    return float(np.corrcoef(ra, rb)[0, 1])


def naive(posts: pl.DataFrame, truth: pl.DataFrame, fake_rate: float) -> dict[str, float]:
    agg = posts.group_by("creator_id").agg(
        pl.col("followers").last(), pl.len().alias("n"),
        (pl.col("likes").mean() / pl.col("followers").last()).alias("like_f"),
        (pl.col("saves").sum() / pl.col("likes").sum().clip(lower_bound=1)).alias("sl"),
        (pl.col("comments").sum() / pl.col("likes").sum().clip(lower_bound=1)).alias("cl"),
        (pl.col("shares").sum() / pl.col("likes").sum().clip(lower_bound=1)).alias("shl"),
        ((pl.col("likes") + pl.col("saves") + pl.col("comments") + pl.col("shares")).mean() / pl.col("followers").last()).alias("er"),
    ).join(truth.select("creator_id", "label", "pattern"), on="creator_id").filter(pl.col("n") >= 5).sort("creator_id")
    X = agg.select("like_f", "sl", "cl", "shl", "er").to_numpy()
    forest = IsolationForest(random_state=0, contamination=max(fake_rate, 0.01)).fit(X)
    s = -forest.score_samples(X)
    flag = forest.predict(X) == -1
    fake = (agg.get_column("label") == "fake").to_numpy()
    hard = agg.get_column("pattern").is_in(HARD).to_numpy()
    top = agg.sort("er", descending=True).head(50)  # the naive ranking: engagement per follower
    return {
        "auc": roc_auc_score(fake, s) if fake.any() else float("nan"),
        "precision": (flag & fake).sum() / max(flag.sum(), 1),
        "recall": (flag & fake).sum() / max(fake.sum(), 1),
        "fakes_top50": int((top.get_column("label") == "fake").sum()),
        "hard_flagged": (flag & hard).sum() / max(hard.sum(), 1),
    }


def kolvet_metrics(posts: pl.DataFrame, truth: pl.DataFrame, config: Config | None = None,
                   roster: pl.DataFrame | None = None, profiles: pl.DataFrame | None = None,
                   comments: pl.DataFrame | None = None) -> dict[str, float]:
    result = vet_loaded(_loaded(posts, roster, profiles, comments), config)
    out = result.creators.join(truth.select("creator_id", "label", "pattern", "true_value"), on="creator_id")
    judged = out.filter(pl.col("fraud_score").is_not_null())
    fake = (judged.get_column("label") == "fake").to_numpy()
    flag = judged.get_column("fraud_flag").to_numpy()
    hard = judged.get_column("pattern").is_in(HARD).to_numpy()
    few = out.filter(pl.col("pattern") == "few_notes")
    honest = out.filter((pl.col("label") == "honest") & (pl.col("n_posts") >= 10))
    top = out.sort("rank").head(50)
    return {
        "auc": roc_auc_score(fake, judged.get_column("fraud_score").to_numpy()) if fake.any() else float("nan"),
        "precision": (flag & fake).sum() / max(flag.sum(), 1),
        "recall": (flag & fake).sum() / max(fake.sum(), 1),
        "fakes_top50": int((top.get_column("label") == "fake").sum()),
        "hard_flagged": (flag & hard).sum() / max(hard.sum(), 1),
        # Watch costs a creator up to fraud.watch_penalty points without an accusation.
        "honest_watch": float(judged.filter(pl.col("label") == "honest").get_column("fraud_watch").mean()),
        "few_ok": float((few.get_column("verdict") == "insufficient_data").mean()) if few.height else 1.0,
        "spearman": spearman(honest.get_column("score").to_numpy(), honest.get_column("true_value").to_numpy()),
        "recall_but_followers": float(judged.filter((pl.col("label") == "fake") & (pl.col("pattern") != "bought_followers"))
                                      .get_column("fraud_flag").mean()),
        **follower_line(judged),
    }


def follower_line(judged: pl.DataFrame) -> dict[str, float]:
    """What any detector would pay to flag bought followers from engagement per follower alone
    (their only sign without views, profiles or a roster): the line on it that catches 70% of
    them, and the honest creators that line catches too."""
    x = -np.log(judged.get_column("engagement_vs_expected_unshrunk").to_numpy())
    bought = (judged.get_column("pattern") == "bought_followers").to_numpy()
    honest = (judged.get_column("label") == "honest").to_numpy()
    if not bought.any():
        return {"line_honest": float("nan"), "line_precision": float("nan")}
    over = x >= np.quantile(x[bought], 0.3)
    return {"line_honest": float((over & honest).sum()), "line_precision": float((over & bought).sum() / over.sum())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="one seed per variant")
    ap.add_argument("--creators", type=int, default=2000)
    ap.add_argument("--config", help="a kolvet.toml to evaluate instead of the defaults")
    ap.add_argument("--seeds", type=int, nargs="+", help="the worlds' seeds (default 11 12 13; "
                    "others are worlds no one looked at while building the detector)")
    args = ap.parse_args()
    seeds = args.seeds or ([11] if args.quick else [11, 12, 13])
    config = load_config(args.config)
    variants = ("base", "noisy", "subtle", "steady")
    rows = []
    t0 = time.time()
    for variant in variants:
        for views in (True, False):
            for seed in seeds:
                world = synth.vary(synth.World(creators=args.creators, seed=seed, fake_rate=0.08,
                                               honest_hard_rate=0.12, views=views), variant)
                posts, truth = synth.generate(world)
                b = naive(posts, truth, 0.08)
                # Notes alone; with the creator profiles a crawler saves beside them (followers,
                # lifetime likes and saves), then also its comment pages; with the roster a
                # marketplace export adds.
                profiles = synth.profiles(world, posts, truth)
                extras = {"notes only": {}, "profiles": {"profiles": profiles},
                          "profiles+comments": {"profiles": profiles, "comments": synth.comments(world, posts, truth)},
                          "roster": {"roster": synth.roster(world, posts, truth)}}
                for extra, tables in extras.items():
                    k = kolvet_metrics(posts, truth, config, **tables)
                    rows.append({"variant": variant, "views": views, "with": extra, "seed": seed,
                                 **{f"k_{m}": v for m, v in k.items()}, **{f"naive_{m}": v for m, v in b.items()}})
    table = pl.DataFrame(rows).sort(pl.col("with").replace_strict({e: i for i, e in enumerate(extras)}), maintain_order=True)
    summary = table.group_by("with", "variant", "views", maintain_order=True).agg(
        pl.col("k_auc").mean().round(3).alias("AUC"),
        pl.col("naive_auc").mean().round(3).alias("naive AUC"),
        pl.col("k_precision").mean().round(2).alias("precision"),
        pl.col("naive_precision").mean().round(2).alias("naive prec."),
        pl.col("k_recall").mean().round(2).alias("recall"),
        pl.col("naive_recall").mean().round(2).alias("naive recall"),
        pl.col("k_fakes_top50").max().alias("fakes in top 50 (max)"),
        pl.col("naive_fakes_top50").max().alias("naive top 50"),
        pl.col("k_hard_flagged").max().round(3).alias("hard cases flagged (max)"),
        pl.col("naive_hard_flagged").max().round(3).alias("naive hard"),
        pl.col("k_honest_watch").max().round(3).alias("honest on watch (max)"),
        pl.col("k_spearman").min().round(3).alias("Spearman (min)"),
    )
    with pl.Config(tbl_rows=50, tbl_cols=20, tbl_width_chars=250, tbl_formatting="MARKDOWN", tbl_hide_dataframe_shape=True,
                   tbl_hide_column_data_types=True):
        print(summary)
    print("\nworst world per kind of data (done-when: AUC >= 0.95, precision >= 0.80 at recall >= 0.70,"
          " fakes in top 50 <= 1, hard cases flagged <= 5%):")
    for extra in extras:
        for views in (True, False):
            worst = worst_of(table.filter((pl.col("with") == extra) & (pl.col("views") == views)))
            met = (worst["min AUC"] >= 0.95 and worst["min precision"] >= 0.80 and worst["min recall"] >= 0.70
                   and worst["max fakes top 50"] <= 1 and worst["max hard flagged"] <= 0.05)
            kind = f"{'views' if views else 'no views'}, {extra}"
            print(f"  {kind:<22} {'met' if met else 'NOT met'}: {worst}")
    blind = table.filter(pl.col("with") == "notes only", ~pl.col("views"))
    if blind.height:
        print(f"  no views, notes only: bought followers' only sign is engagement per follower, which weak honest creators\n"
              f"    share; a line on it catching 70% of them also catches {blind['k_line_honest'].min():.0f}-"
              f"{blind['k_line_honest'].max():.0f} honest creators (precision {blind['k_line_precision'].min():.2f}-"
              f"{blind['k_line_precision'].max():.2f}), so kolvet puts them on watch, not flags them. Recall on the other "
              f"four patterns: {blind['k_recall_but_followers'].min():.2f}-{blind['k_recall_but_followers'].max():.2f}")
    print(f"{len(rows)} worlds of {args.creators} creators in {time.time() - t0:.0f}s")


def worst_of(table: pl.DataFrame) -> dict[str, float]:
    worst = table.select(
        pl.col("k_auc").min().alias("min AUC"), pl.col("k_precision").min().alias("min precision"),
        pl.col("k_recall").min().alias("min recall"), pl.col("k_fakes_top50").max().alias("max fakes top 50"),
        pl.col("k_hard_flagged").max().alias("max hard flagged"), pl.col("k_spearman").min().alias("min Spearman"),
        pl.col("k_few_ok").min().alias("few-note creators insufficient_data"),
    )
    return {k: round(v, 3) for k, v in worst.row(0, named=True).items()}


if __name__ == "__main__":
    main()
