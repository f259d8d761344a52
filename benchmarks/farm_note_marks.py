"""How well the per-note marks of flagged save and comment farms point at the notes bought for.

    python benchmarks/farm_note_marks.py        # five worlds, about 5 s

Each world: 300 creators, 10% fakes, bought engagement on 20-100% of a faker's notes
(`kolvet sample`'s generator, with each note's bought counts kept aside as truth). For the
creators kolvet flags as save farming or a comment farm, it counts the notes `--posts-out` marks
(`boosted`) and how many of them really had saves (save farms) or comments (comment farms)
bought for them, and how many bought-for notes those creators have in all.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kolvet import fraud as F  # noqa: E402
from kolvet import synth  # noqa: E402
from kolvet.pipeline import Loaded, vet_loaded  # noqa: E402

WORLDS = [(5, (0.3, 0.6)), (6, (0.3, 0.6)), (5, (0.5, 1.0)), (7, (0.2, 0.5)), (8, (0.5, 1.0))]


def main() -> None:
    rows = []
    for seed, share in WORLDS:
        posts, _ = synth.generate(synth.World(creators=300, seed=seed, fake_rate=0.1, boosted_share=share), bought=True)
        result = vet_loaded(Loaded.from_frame(posts.drop(synth.BOUGHT)))
        farms = result.creators.filter(pl.col(F.FRAUD_FLAG) & pl.col(F.FRAUD_PATTERN).is_in(list(F.FARMED_COUNT)))
        notes = pl.concat([result.notes_of(cid).with_columns(pl.lit(pattern).alias("pattern"))
                           for cid, pattern in farms.select("creator_id", F.FRAUD_PATTERN).iter_rows()])
        notes = notes.join(posts.select("post_id", *synth.BOUGHT), on="post_id")
        bought = (pl.when(pl.col("pattern") == "save farming").then(pl.col("bought_saves"))
                  .otherwise(pl.col("bought_comments")) > 0)
        marked = notes.filter(pl.col(F.BOOSTED))
        rows.append({"seed": seed, "bought on": f"{share[0]:.0%}-{share[1]:.0%} of notes", "farms flagged": farms.height,
                     "notes marked": marked.height, "of them bought for": marked.filter(bought).height,
                     "bought-for notes": notes.filter(bought).height})
    table = pl.DataFrame(rows)
    with pl.Config(tbl_rows=-1, tbl_cols=-1, tbl_width_chars=200, tbl_hide_dataframe_shape=True):
        print(table)
    marked, right, all_bought = (table.get_column(c).sum() for c in ("notes marked", "of them bought for", "bought-for notes"))
    print(f"precision {right / marked:.3f} ({right} of {marked}), recall {right / all_bought:.3f} (of {all_bought})")


if __name__ == "__main__":
    main()
