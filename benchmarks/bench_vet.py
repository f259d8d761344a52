"""How much `kolvet vet` costs, as ratios against its floor and its baseline, in one run.

    python benchmarks/bench_vet.py                          # 100k, 1M and 5M notes from CSV
    python benchmarks/bench_vet.py --sizes 100k,1M --repeat 3
    python benchmarks/bench_vet.py --sizes 20M --format parquet --streaming --no-pandas
    python benchmarks/bench_vet.py --huge                   # also 50M notes from Parquet, --streaming (long)
    python benchmarks/bench_vet.py --stages --sizes 1M      # where kolvet's time and memory go, by stage

For each size, every contender runs as its own subprocess, so each pays interpreter start-up
and its peak memory is its own (os.wait4's per-child rusage, "maximum resident set size"):

  read     the floor: `python -c "import polars as pl; pl.read_csv(f)"` (or read_parquet)
  kolvet   `kolvet vet FILE -o OUT.csv --quiet` end to end, start-up and export included
  pandas   benchmarks/pandas_baseline.py: what an analyst would write with pandas + scikit-learn

and the table gives kolvet / read (target <= 2), pandas / kolvet (target >= 3) and kolvet's peak
RSS / file size (target <= 2.5). Wall time is the best of --repeat runs; CPU time (user + sys)
is shown too because the machine may be shared and CPU time is the steadier of the two.

Data comes from kolvet's own generator (kolvet.synth, 50 notes per creator on average, 8% fakes,
12% honest hard cases) and is cached in benchmarks/data/ (git-ignored), keyed by creators and
seed; sizes above 100k creators are generated in chunks of 100k creators with distinct seeds and
ids. A watchdog samples each child's RSS and stops it past --mem-budget GiB, so a run that can't
fit says so instead of pushing a shared machine into swap or the OOM killer.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
RESULTS = HERE / "results"
PYTHON = sys.executable
KOLVET = str(Path(PYTHON).with_name("kolvet"))
NOTES_PER_CREATOR = 50
CHUNK_CREATORS = 100_000  # one kolvet.synth world per chunk: 5M notes, a few GiB while generating
GIB = 1 << 30


# ---- sizes and data -----------------------------------------------------------------------

def parse_size(text: str) -> int:
    """'100k' -> 100_000 notes, '5M' -> 5_000_000."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*", text)
    if not m:
        raise argparse.ArgumentTypeError(f"size {text!r}: use e.g. 100k, 1M, 5M")
    scale = {"": 1, "k": 1_000, "m": 1_000_000}[m.group(2).lower()]
    return int(float(m.group(1)) * scale)


def size_label(notes: int) -> str:
    if notes >= 1_000_000 and notes % 1_000_000 == 0:
        return f"{notes // 1_000_000}M"
    if notes >= 1_000 and notes % 1_000 == 0:
        return f"{notes // 1_000}k"
    return str(notes)


def data_path(notes: int, seed: int, fmt: str) -> Path:
    creators = max(1, notes // NOTES_PER_CREATOR)
    return DATA / f"notes-{size_label(notes)}-{creators}creators-seed{seed}.{fmt}"


def _generate_chunk(creators: int, seed: int, chunk: int | None):
    from kolvet import synth

    world = synth.World(creators=creators, posts_per_creator=NOTES_PER_CREATOR, seed=seed,
                        fake_rate=0.08, honest_hard_rate=0.12)
    posts, _truth = synth.generate(world)
    if chunk is not None:  # ids unique across chunks (each chunk numbers its notes from 0)
        import polars as pl

        posts = posts.with_columns(
            (pl.lit(f"k{chunk:03d}") + pl.col("creator_id")).alias("creator_id"),
            (pl.lit(f"k{chunk:03d}") + pl.col("post_id")).alias("post_id"),
        )
    return posts


def generate(notes: int, seed: int, formats: tuple[str, ...]) -> None:
    """Write the CSV and/or Parquet for `notes` (child process: `_generate`)."""
    import polars as pl

    creators = max(1, notes // NOTES_PER_CREATOR)
    DATA.mkdir(parents=True, exist_ok=True)
    targets = {fmt: data_path(notes, seed, fmt) for fmt in formats}
    if creators <= CHUNK_CREATORS:
        posts = _generate_chunk(creators, seed, None)
        for fmt, path in targets.items():
            tmp = path.with_suffix(path.suffix + ".part")
            posts.write_csv(tmp) if fmt == "csv" else posts.write_parquet(tmp)
            os.replace(tmp, path)
        _count_path(notes, seed).write_text(str(posts.height))
        return
    # Large worlds: one synth world per chunk, written to Parquet parts, then streamed into one file.
    parts_dir = Path(tempfile.mkdtemp(prefix="parts-", dir=DATA))
    try:
        n_chunks = -(-creators // CHUNK_CREATORS)
        for k in range(n_chunks):
            size = min(CHUNK_CREATORS, creators - k * CHUNK_CREATORS)
            _generate_chunk(size, seed * 1000 + k, k).write_parquet(parts_dir / f"{k:04d}.parquet")
            print(f"  generated chunk {k + 1}/{n_chunks}", file=sys.stderr, flush=True)
        scan = pl.scan_parquet(sorted(parts_dir.glob("*.parquet")))
        for fmt, path in targets.items():
            tmp = path.with_suffix(path.suffix + ".part")
            scan.sink_csv(tmp) if fmt == "csv" else scan.sink_parquet(tmp, row_group_size=1_000_000)
            os.replace(tmp, path)
        _count_path(notes, seed).write_text(str(scan.select(pl.len()).collect().item()))
    finally:
        shutil.rmtree(parts_dir, ignore_errors=True)


def _count_path(notes: int, seed: int) -> Path:
    return data_path(notes, seed, "rows")


def note_count(notes: int, seed: int) -> int:
    """Notes actually generated (the generator draws each creator's count around the mean)."""
    path = _count_path(notes, seed)
    if not path.exists():
        import polars as pl

        data = data_path(notes, seed, "parquet")
        scan = pl.scan_parquet(data) if data.exists() else pl.scan_csv(data_path(notes, seed, "csv"))
        path.write_text(str(scan.select(pl.len()).collect().item()))
    return int(path.read_text())


def ensure_data(notes: int, seed: int, fmt: str) -> Path:
    path = data_path(notes, seed, fmt)
    if not path.exists():
        print(f"generating {path.name} ...", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        subprocess.run([PYTHON, __file__, "_generate", str(notes), str(seed), fmt], check=True)
        print(f"  done in {time.perf_counter() - t0:.0f}s", file=sys.stderr, flush=True)
    return path


# ---- running one contender ----------------------------------------------------------------

@dataclass
class Run:
    wall: float
    cpu: float  # user + sys seconds of the child
    peak_rss: int  # bytes, from the kernel's rusage for this child
    code: int
    note: str = ""


def _rss_of(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def run(cmd: list[str], mem_budget: float, env: dict[str, str] | None = None) -> Run:
    """Run `cmd`, return its wall time, CPU time and peak RSS; stop it past `mem_budget` bytes."""
    with tempfile.TemporaryFile() as errf:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=errf, env=env)
        over: list[int] = []
        done = threading.Event()

        def watchdog() -> None:
            while not done.wait(0.2):
                rss = _rss_of(proc.pid)
                if rss > mem_budget:
                    over.append(rss)
                    proc.kill()
                    return

        threading.Thread(target=watchdog, daemon=True).start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        done.set()
        proc.returncode = os.waitstatus_to_exitcode(status)
        errf.seek(0)
        tail = errf.read().decode("utf-8", "replace").strip().splitlines()[-1:]
    note = ""
    if over:
        note = f"stopped: RSS passed the {mem_budget / GIB:.1f} GiB budget after {wall:.0f}s"
    elif proc.returncode != 0:
        note = f"exit {proc.returncode}: {tail[0][:160] if tail else ''}"
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, proc.returncode, note)


def read_cmd(path: Path) -> list[str]:
    reader = "read_parquet" if path.suffix == ".parquet" else "read_csv"
    return [PYTHON, "-c", f"import polars as pl, sys; pl.{reader}(sys.argv[1])", str(path)]


def kolvet_cmd(path: Path, out: Path, streaming: bool) -> list[str]:
    return [KOLVET, "vet", str(path), "-o", str(out), "--quiet", *(["--streaming"] if streaming else [])]


def pandas_cmd(path: Path, out: Path) -> list[str]:
    return [PYTHON, str(HERE / "pandas_baseline.py"), str(path), "-o", str(out)]


# ---- the comparison -----------------------------------------------------------------------

@dataclass
class Row:
    size: str
    notes: int
    file: str
    file_bytes: int
    read: list[Run] = field(default_factory=list)
    kolvet: list[Run] = field(default_factory=list)
    pandas: list[Run] = field(default_factory=list)


def best(runs: list[Run]) -> Run | None:
    ok = [r for r in runs if r.code == 0]
    return min(ok, key=lambda r: r.wall) if ok else (runs[0] if runs else None)


def _s(r: Run | None) -> str:
    if r is None:
        return "-"
    return f"{r.wall:.2f}" if r.code == 0 else "FAIL"


def _ratio(a: Run | None, b: Run | None, cpu: bool = False) -> str:
    if a is None or b is None or a.code or b.code:
        return "-"
    return f"{a.cpu / b.cpu:.2f}x" if cpu else f"{a.wall / b.wall:.2f}x"


def _peak(r: Run | None) -> str:
    if r is None:
        return "-"
    return (">" if r.note.startswith("stopped") else "") + _size(r.peak_rss)


def _size(n: int) -> str:
    return f"{n / GIB:.2f}G" if n >= GIB else f"{n / (1 << 20):.0f}M"


def print_table(rows: list[Row]) -> None:
    head = ("size", "notes", "file", "read s", "kolvet s", "pandas s", "kolvet/read", "pandas/kolvet",
            "cpu: kolvet/read", "cpu: pandas/kolvet", "kolvet peak", "file size", "peak/file", "read peak",
            "pandas peak")
    lines = []
    for row in rows:
        r, k, p = best(row.read), best(row.kolvet), best(row.pandas)
        lines.append((
            row.size, f"{row.notes:,}", Path(row.file).suffix.lstrip("."), _s(r), _s(k), _s(p),
            _ratio(k, r), _ratio(p, k), _ratio(k, r, cpu=True), _ratio(p, k, cpu=True),
            _peak(k), _size(row.file_bytes),
            (">" if k.note.startswith("stopped") else "") + f"{k.peak_rss / row.file_bytes:.2f}x" if k else "-",
            _peak(r), _peak(p),
        ))
    widths = [max(len(h), *(len(x[i]) for x in lines)) for i, h in enumerate(head)]
    print("  ".join(h.rjust(w) for h, w in zip(head, widths, strict=True)))
    for x in lines:
        print("  ".join(v.rjust(w) for v, w in zip(x, widths, strict=True)))
    for row in rows:
        for name in ("read", "kolvet", "pandas"):
            for i, r in enumerate(getattr(row, name)):
                if r.note:
                    print(f"  {row.size} {name} run {i + 1}: {r.note}")
    print("targets (5M CSV): kolvet/read <= 2.00x, pandas/kolvet >= 3.00x, peak/file <= 2.50x "
          "(wall: best of --repeat; cpu: user + sys of the same run)")


def compare(sizes: list[int], args: argparse.Namespace) -> list[Row]:
    rows = []
    out_dir = Path(tempfile.mkdtemp(prefix="kolvet-bench-"))
    try:
        for notes in sizes:
            path = ensure_data(notes, args.seed, args.format)
            row = Row(size_label(notes), note_count(notes, args.seed), str(path), path.stat().st_size)
            with_pandas = not args.no_pandas and args.format == "csv"
            for i in range(args.repeat):
                print(f"{row.size}: run {i + 1}/{args.repeat}", file=sys.stderr, flush=True)
                # Same order every time, one contender at a time: they share the machine's 2 cores.
                row.read.append(run(read_cmd(path), args.mem_budget * GIB))
                row.kolvet.append(run(kolvet_cmd(path, out_dir / f"kolvet-{row.size}.csv", args.streaming),
                                      args.mem_budget * GIB))
                if with_pandas:
                    row.pandas.append(run(pandas_cmd(path, out_dir / f"pandas-{row.size}.csv"), args.mem_budget * GIB))
                for name in ("read", "kolvet", "pandas"):
                    runs = getattr(row, name)
                    if runs:
                        r = runs[-1]
                        print(f"  {name:6s} {r.wall:7.2f}s wall {r.cpu:7.2f}s cpu {_size(r.peak_rss)} peak {r.note}",
                              file=sys.stderr, flush=True)
            rows.append(row)
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)
    return rows


def which_kolvet() -> str:
    """The kolvet the subprocesses import (PYTHONPATH may point at a snapshot), and its commit."""
    probe = "import kolvet, pathlib; print(pathlib.Path(kolvet.__file__).parent.parent)"
    # From a neutral folder: `python -c` puts the current folder first on sys.path.
    root = subprocess.run([PYTHON, "-c", probe], capture_output=True, text=True, cwd=tempfile.gettempdir()).stdout.strip()
    commit = subprocess.run(["git", "-C", root, "describe", "--always", "--dirty"], capture_output=True,
                            text=True).stdout.strip()
    return f"{root} ({'commit ' + commit if commit else 'not a git checkout'})"


def startup(args: argparse.Namespace) -> dict[str, float]:
    """Interpreter + imports: `kolvet --help` against a bare `python -c pass` and `import polars`."""
    result = {}
    for name, cmd in (("python", [PYTHON, "-c", "pass"]),
                      ("import polars", [PYTHON, "-c", "import polars"]),
                      ("kolvet --help", [KOLVET, "--help"])):
        result[name] = min(run(cmd, args.mem_budget * GIB).wall for _ in range(3))
    probe = ("import sys, kolvet.cli; heavy = ('sklearn', 'textual', 'pandas', 'pyarrow', 'scipy', 'numpy');"
             "print(','.join(m for m in heavy if m in sys.modules))")
    loaded = subprocess.run([PYTHON, "-c", probe], capture_output=True, text=True).stdout.strip()
    print("start-up (best of 3): " + ", ".join(f"{k} {v:.2f}s" for k, v in result.items())
          + f"; heavy modules loaded by `import kolvet.cli`: {loaded or 'none'}")
    return result


# ---- stage profile (in one child process) -------------------------------------------------

class _Sampler(threading.Thread):
    """Samples this process's RSS every 5 ms; `peak_since(mark)` gives the peak in a window."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples: list[tuple[float, int]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.005):
            self.samples.append((time.perf_counter(), _rss_of(os.getpid())))

    def peak(self, t0: float, t1: float) -> int:
        return max((r for t, r in self.samples if t0 <= t <= t1), default=_rss_of(os.getpid()))


def stage_profile(path: Path, streaming: bool) -> None:
    """Run `kolvet vet` in this process through the CLI, timing the real stage functions."""
    sampler = _Sampler()
    sampler.start()
    records: list[tuple[int, str, float, float, int, int]] = []  # depth, label, wall, cpu, peak, rss after
    depth = [0]

    def timed(owner: object, attr: str, label: str) -> None:
        fn = getattr(owner, attr, None)
        if fn is None:  # the stages move as kolvet changes; time what exists
            print(f"(stage profile: {getattr(owner, '__name__', owner)}.{attr} not found, not timed)")
            return

        def wrapper(*a, **kw):
            name = label
            if "{caller}" in label:  # a collect: say which line of kolvet ran it
                caller = sys._getframe(1).f_code
                name = label.format(caller=f"{Path(caller.co_filename).name}:{sys._getframe(1).f_lineno} {caller.co_name}")
            depth[0] += 1
            t0, c0 = time.perf_counter(), time.process_time()
            try:
                return fn(*a, **kw)
            finally:
                t1, c1 = time.perf_counter(), time.process_time()
                depth[0] -= 1
                records.append((depth[0], name, t1 - t0, c1 - c0, sampler.peak(t0, t1), _rss_of(os.getpid())))

        setattr(owner, attr, wrapper)

    t0, c0 = time.perf_counter(), time.process_time()
    import polars as pl

    from kolvet import cli, export, pipeline
    from kolvet import fraud as F
    from kolvet import io as kio
    from kolvet import schema as S
    from kolvet import score as SC
    from kolvet import shortlist as SL
    records.append((0, "import kolvet.cli", time.perf_counter() - t0, time.process_time() - c0,
                    sampler.peak(t0, time.perf_counter()), _rss_of(os.getpid())))
    timed(pipeline, "load", "pipeline.load")
    timed(pipeline, "vet_streaming", "pipeline.vet_streaming (--streaming: creator partitions)")
    timed(pipeline, "_per_creator", "pipeline._per_creator (one partition's metrics)")
    timed(kio, "read_inputs", "io.read_inputs (read the file)")
    timed(S, "parse_posts", "schema.parse_posts (parse, validate)")
    timed(S, "merge_snapshots", "schema.merge_snapshots")
    timed(pipeline, "vet_loaded", "pipeline.vet_loaded")
    # Lazy plans run where they are collected: each collect is a line, named by its caller.
    timed(pl, "collect_all", "collect_all ({caller})")
    timed(pl.LazyFrame, "collect", "collect ({caller})")
    timed(SC, "quality", "score.quality")
    timed(F, "detect", "fraud.detect")
    timed(F.PeerTable, "fit", "PeerTable.fit")
    timed(F, "_raw_features", "_raw_features (features, size curves)")
    timed(F, "peer_z", "peer_z")
    timed(F, "pattern_evidence", "pattern_evidence")
    timed(F, "_reasons", "_reasons (per flagged creator)")
    timed(F.FraudDetector, "fit", "FraudDetector.fit (IsolationForest)")
    timed(F.FraudDetector, "score_samples", "FraudDetector.score_samples")
    timed(SC, "authenticity", "score.authenticity")
    timed(SL, "verdicts", "shortlist.verdicts")
    timed(SL, "rank", "shortlist.rank")
    timed(export, "write_result", "export.write_result")

    with tempfile.TemporaryDirectory() as tmp:
        argv = ["vet", str(path), "-o", str(Path(tmp) / "out.csv"), "--quiet", *(["--streaming"] if streaming else [])]
        t1, c1 = time.perf_counter(), time.process_time()
        cli.app(argv, standalone_mode=False)
        total, total_cpu = time.perf_counter() - t1, time.process_time() - c1
    sampler.stop.set()
    size = path.stat().st_size
    peak = max(r for _, r in sampler.samples)
    print(f"stage profile: {path.name} ({_size(size)}), kolvet vet in-process {total:.2f}s wall, "
          f"{total_cpu:.2f}s cpu (+{records[0][2]:.2f}s imports); peak RSS {_size(peak)} = {peak / size:.2f}x the file; "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"{'stage':66s} {'wall s':>7s} {'cpu s':>7s} {'cpu %':>6s} {'peak RSS':>9s} {'RSS after':>9s}")
    for d, label, secs, cpu, peak, after in [records[0], *_merge_repeats(_nest(records[1:]))]:
        print(f"{'  ' * d + label:66s} {secs:7.2f} {cpu:7.2f} {cpu / total_cpu:6.0%} {_size(peak):>9s} {_size(after):>9s}")


def _nest(records: list[tuple]) -> list[tuple]:
    """Records come in finish order (children before parents); put each parent before them."""
    out: list[tuple] = []
    pending: list[list[tuple]] = [[]]
    for rec in records:
        d = rec[0]
        while len(pending) <= d + 1:
            pending.append([])
        children = pending[d + 1]
        pending[d + 1] = []
        pending[d].extend([rec, *children])
    for level in pending:
        out.extend(level)
    return out


def _merge_repeats(records: list[tuple]) -> list[tuple]:
    """A stage called once per creator (or per file) becomes one line: summed, with its count."""
    out: list[list] = []
    calls: list[int] = []
    for rec in records:
        if out and out[-1][:2] == list(rec[:2]):
            last = out[-1]
            last[2] += rec[2]
            last[3] += rec[3]
            last[4] = max(last[4], rec[4])
            last[5] = rec[5]
            calls[-1] += 1
        else:
            out.append(list(rec))
            calls.append(1)
    return [(d, f"{label} x{n:,}" if n > 1 else label, *rest) for (d, label, *rest), n in zip(out, calls, strict=True)]


# ---- main ---------------------------------------------------------------------------------

def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_generate":
        generate(parse_size(sys.argv[2]), int(sys.argv[3]), tuple(sys.argv[4].split(",")))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "_stages":
        stage_profile(Path(sys.argv[2]), sys.argv[3] == "streaming")
        return

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100k,1M,5M", help="notes per dataset, comma-separated (default 100k,1M,5M)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per contender; the best wall time is reported")
    ap.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    ap.add_argument("--format", choices=("csv", "parquet"), default="csv", help="input format (default csv)")
    ap.add_argument("--streaming", action="store_true", help="run kolvet vet with --streaming")
    ap.add_argument("--no-pandas", action="store_true", help="skip the pandas baseline")
    ap.add_argument("--huge", action="store_true",
                    help="also vet 50M notes from Parquet with --streaming (long; no pandas)")
    ap.add_argument("--huge-size", default="50M", help="notes for --huge (default 50M)")
    ap.add_argument("--stages", action="store_true",
                    help="instead of the comparison: time and measure kolvet's stages in-process")
    ap.add_argument("--mem-budget", type=float, default=22.0,
                    help="GiB: a child whose RSS passes this is stopped and reported (default 22)")
    args = ap.parse_args()
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]

    if args.stages:
        for notes in sizes:
            path = ensure_data(notes, args.seed, args.format)
            subprocess.run([PYTHON, __file__, "_stages", str(path), "streaming" if args.streaming else "eager"],
                           check=False)
        return

    print(f"kolvet benchmark: {os.cpu_count()} cores, python {sys.version.split()[0]}, "
          f"{time.strftime('%Y-%m-%d %H:%M')}; load average {os.getloadavg()[0]:.2f} at start")
    print(f"kolvet under test: {which_kolvet()}")
    started = startup(args)
    rows = compare(sizes, args)
    if args.huge:
        huge_args = argparse.Namespace(**{**vars(args), "format": "parquet", "streaming": True, "no_pandas": True,
                                          "repeat": 1})
        rows += compare([parse_size(args.huge_size)], huge_args)
    print()
    print_table(rows)
    print(f"load average {os.getloadavg()[0]:.2f} at end (2 cores; above ~1 means other work shared them)")
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (RESULTS / f"bench-{stamp}.json").write_text(json.dumps(
        {"argv": sys.argv, "startup": started, "rows": [asdict(r) for r in rows]}, indent=1))


if __name__ == "__main__":
    main()
