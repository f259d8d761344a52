"""How long `kolvet batch` takes on many rosters, as ratios against vetting the same notes once.

    python benchmarks/batch_bench.py                        # 1,000 rosters of 50 creators
    python benchmarks/batch_bench.py --rosters 200 --repeat 3
    python benchmarks/batch_bench.py --previous             # also a re-vet against the first run

Writes the rosters (kolvet.synth, one seed per roster, ~30 notes per creator, note ids unique
across rosters as real XHS ids are) as CSV files into a temporary folder, then runs, each as its
own subprocess so each pays interpreter start-up:

  one file   `kolvet vet ALL.csv`: the same notes concatenated into one file, the floor
  folder     `kolvet vet ROSTERS/`: the same files read one by one into one ranking
  batch      `kolvet batch ROSTERS/*.csv --out-dir OUT --quiet`: a ranked file per roster

batch / one file is what vetting in rosters costs over vetting one big file; (batch - one file)
/ rosters is the per-roster overhead; batch / folder shows how much of it is reading many small
files (the same in `vet`) rather than batch's own splitting and writing. Wall time is the best
of --repeat runs; CPU time (user + sys, from os.wait4) is steadier on a shared machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kolvet import synth  # noqa: E402

KOLVET = [sys.executable, "-c", "from kolvet.cli import main; main()"]


def make_rosters(folder: Path, rosters: int, creators: int) -> tuple[list[Path], Path, int]:
    """`rosters` CSVs of `creators` creators each, plus all of them in one file."""
    folder.mkdir(parents=True, exist_ok=True)
    paths, parts = [], []
    for i in range(rosters):
        posts, _ = synth.generate(synth.sample_world(creators, seed=i))
        # synth numbers notes from n000000000 in every world; real note ids are unique
        posts = posts.with_columns(pl.format("r{}-{}", pl.lit(i), pl.col("post_id")).alias("post_id"))
        path = folder / f"agency_{i:04d}.csv"
        posts.write_csv(path)
        paths.append(path)
        parts.append(posts)
    everything = folder.parent / "all_rosters.csv"
    combined = pl.concat(parts)
    combined.write_csv(everything)
    return paths, everything, combined.height


def timed(cmd: list[str]) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of the child, exit code)."""
    with tempfile.TemporaryFile() as err:  # a file, not a pipe: a chatty child can't block on it
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 3):
        print(f"  {' '.join(cmd[3:])[:120]} exited {code}: {stderr.strip()[:300]}")
    return wall, usage.ru_utime + usage.ru_stime, code


def best(cmd: list[str], repeat: int) -> tuple[float, float]:
    runs = [timed(cmd) for _ in range(repeat)]
    return min(r[0] for r in runs), min(r[1] for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rosters", type=int, default=1000)
    parser.add_argument("--creators", type=int, default=50, help="creators per roster")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--previous", action="store_true", help="also time a re-vet with --previous")
    parser.add_argument("--no-baselines", action="store_true", help="time `kolvet batch` only")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="kolvet-batch-bench-") as tmp:
        tmp_path = Path(tmp)
        t0 = time.perf_counter()
        paths, everything, notes = make_rosters(tmp_path / "rosters", args.rosters, args.creators)
        print(f"{args.rosters:,} rosters x {args.creators} creators = {args.rosters * args.creators:,} creators, "
              f"{notes:,} notes (generated in {time.perf_counter() - t0:.1f}s)")

        rows: list[tuple[str, float, float]] = []
        if not args.no_baselines:
            rows.append(("one file (vet ALL.csv)", *best([*KOLVET, "vet", str(everything), "-o", str(tmp_path / "one.csv"), "--quiet"], args.repeat)))
            rows.append(("folder (vet ROSTERS/)", *best([*KOLVET, "vet", str(tmp_path / "rosters"), "-o", str(tmp_path / "folder.csv"), "--quiet"], args.repeat)))
        batch_cmd = [*KOLVET, "batch", *map(str, paths), "--quiet"]
        rows.append(("batch", *best([*batch_cmd, "--out-dir", str(tmp_path / "out")], args.repeat)))
        written = sorted((tmp_path / "out").glob("*.ranked.csv"))
        summary = pl.read_csv(tmp_path / "out" / "summary.csv")
        if args.previous:
            rows.append(("batch --previous", *best([*batch_cmd, "--out-dir", str(tmp_path / "out2"),
                                                    "--previous", str(tmp_path / "out")], args.repeat)))

        print(f"{'run':<24}{'wall s':>9}{'cpu s':>9}")
        for name, wall, cpu in rows:
            print(f"{name:<24}{wall:>9.2f}{cpu:>9.2f}")
        by = {name: (wall, cpu) for name, wall, cpu in rows}
        batch_wall, batch_cpu = by["batch"]
        print(f"batch: {len(written):,} ranked files, summary of {summary.height:,} rosters, "
              f"{int((summary.get_column('status') == 'failed').sum())} failed; "
              f"{batch_wall / args.rosters * 1000:.1f} ms wall per roster")
        if not args.no_baselines:
            one_wall, one_cpu = by["one file (vet ALL.csv)"]
            folder_wall, _ = by["folder (vet ROSTERS/)"]
            print(f"batch / one file: {batch_wall / one_wall:.2f}x wall, {batch_cpu / one_cpu:.2f}x cpu; "
                  f"overhead per roster {(batch_wall - one_wall) / args.rosters * 1000:.1f} ms")
            print(f"batch / folder:   {batch_wall / folder_wall:.2f}x wall "
                  "(the rest of the overhead is reading many small files, which `vet` pays too)")


if __name__ == "__main__":
    main()
