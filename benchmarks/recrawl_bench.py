"""What repeated crawls cost: `kolvet vet` on the same creators crawled once and crawled twice,
as ratios against a bare Polars read of the same files, in one run.

    python benchmarks/recrawl_bench.py                  # 20k creators, about 1M notes per crawl
    python benchmarks/recrawl_bench.py --creators 2000  # quicker

The second crawl is a week after the first (kolvet.synth.recrawl): every note read again, with
counts grown (fresh notes most), part of the bought engagement purged, and 2% of the notes gone
(deleted), so kolvet must merge snapshots, find the vanished notes (kolvet.snapshots) and judge
them. Each contender runs as its own subprocess (best of --repeat wall times, as in
bench_vet.py); the table shows seconds and kolvet / read for each input.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from kolvet import synth  # noqa: E402


def crawls(creators: int, seed: int, folder: Path) -> tuple[Path, Path]:
    """crawl1.parquet, and crawl2.parquet a week later (kolvet.synth.recrawl): counts grown,
    part of the bought engagement purged, and 2% of notes deleted, so that finding deleted
    notes has work to do."""
    world = synth.World(creators=creators, posts_per_creator=50, seed=seed, fake_rate=0.08, honest_hard_rate=0.12)
    posts, _ = synth.generate(world, bought=True)
    first, second = synth.recrawl(world, posts, deleted=0.02)
    one, two = folder / "crawl1.parquet", folder / "crawl2.parquet"
    first.write_parquet(one)
    second.write_parquet(two)
    return one, two


def timed(cmd: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--creators", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    kolvet = str(Path(sys.executable).with_name("kolvet"))
    with tempfile.TemporaryDirectory() as tmp:
        one, two = crawls(args.creators, args.seed, Path(tmp))
        print(f"{args.creators:,} creators, {pl.scan_parquet(one).select(pl.len()).collect().item():,} notes in the first crawl")
        print("| input | read (s) | kolvet (s) | kolvet / read |")
        print("| --- | --- | --- | --- |")
        for label, files in (("one crawl", [one]), ("two crawls", [one, two])):
            read = timed([sys.executable, "-c", f"import polars as pl; pl.read_parquet({[str(f) for f in files]!r})"], args.repeat)
            vet = timed([kolvet, "vet", *map(str, files), "-o", str(Path(tmp) / "out.csv"), "--quiet"], args.repeat)
            print(f"| {label} | {read:.2f} | {vet:.2f} | {vet / read:.1f}x |")
        ranked = pl.read_csv(Path(tmp) / "out.csv", infer_schema=False)
        print(f"two crawls: {ranked.height:,} creators ranked, "
              f"{ranked.get_column('fraud_reasons').fill_null('').str.contains('missing from a later crawl').sum()} "
              "with vanished notes among their reasons")


if __name__ == "__main__":
    main()
