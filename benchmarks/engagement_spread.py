"""How widely engagement per follower spreads among creators of one size: real crawls against
kolvet's generator.

    python benchmarks/engagement_spread.py                      # the generator's four variants
    python benchmarks/engagement_spread.py ranked.csv [...]     # plus kolvet vet outputs of real data

Without views, bought followers show only as engagement per follower below what the size
predicts, so how well they can be told from honest creators with weak notes depends on how
widely honest creators spread around that prediction. This fits log10(median interactions per
note / followers) on log10(followers), by least squares, for creators with 5+ notes, and prints
the residuals' spread (standard deviation and the IQR's normal equivalent). For a generated
world it uses the honest creators without a hard-case pattern; for a real file, every creator
(some may have bought followers: its spread is an upper bound).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from fraud_eval import _loaded  # noqa: E402

from kolvet import synth  # noqa: E402
from kolvet.metrics import MEDIAN_INTERACTIONS, N_POSTS  # noqa: E402
from kolvet.pipeline import vet_loaded  # noqa: E402
from kolvet.schema import CREATOR_ID, FOLLOWERS  # noqa: E402

MIN_NOTES = 5  # as fraud_eval judges


def spread(creators: pl.DataFrame) -> tuple[int, float, float, float]:
    """(creators, slope, sd, robust sd) of log engagement per follower around the size line."""
    c = creators.select(pl.col(FOLLOWERS, MEDIAN_INTERACTIONS, N_POSTS).cast(pl.Float64, strict=False)).filter(
        (pl.col(FOLLOWERS) > 0) & (pl.col(MEDIAN_INTERACTIONS) > 0) & (pl.col(N_POSTS) >= MIN_NOTES))
    x = np.log10(c.get_column(FOLLOWERS).to_numpy())
    y = np.log10(c.get_column(MEDIAN_INTERACTIONS).to_numpy()) - x
    line = np.polyfit(x, y, 1)
    r = y - np.polyval(line, x)
    q75, q25 = np.percentile(r, [75, 25])
    return c.height, float(line[0]), float(r.std()), float((q75 - q25) / 1.349)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("ranked", nargs="*", help="kolvet vet outputs (CSV) of real data")
    ap.add_argument("--seed", type=int, default=11)
    a = ap.parse_args()
    print(f"{'data':<34} {'creators':>8} {'slope':>6} {'sd':>5} {'robust sd':>9}")
    for path in a.ranked:
        n, slope, sd, robust = spread(pl.read_csv(path, infer_schema=False))
        print(f"{Path(path).name:<34} {n:>8} {slope:>6.2f} {sd:>5.2f} {robust:>9.2f}")
    for variant in ("base", "noisy", "subtle", "steady"):
        world = synth.vary(synth.World(creators=2000, seed=a.seed, fake_rate=0.08, honest_hard_rate=0.12,
                                       views=False), variant)
        posts, truth = synth.generate(world)
        creators = vet_loaded(_loaded(posts)).creators.join(truth.select(CREATOR_ID, "pattern"), on=CREATOR_ID)
        n, slope, sd, robust = spread(creators.filter(pl.col("pattern") == "none"))
        print(f"{'generator, ' + variant + ', honest':<34} {n:>8} {slope:>6.2f} {sd:>5.2f} {robust:>9.2f}")


if __name__ == "__main__":
    main()
