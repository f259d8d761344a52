"""How fast `kolvet browse` answers with a large cohort, measured with Textual's Pilot.

    python benchmarks/tui_bench.py                      # 100k creators (10 notes each) against 300
    python benchmarks/tui_bench.py --creators 20000 --repeat 1
    python benchmarks/tui_bench.py --datatable          # also time Textual's DataTable holding every row

Targets (issue 6): with 100k creators, the first paint after vetting under 1 s, and a filter
keystroke answered in under 100 ms. Vetting itself is not part of either: the app gets the
VetResult from a job that returns it ready, exactly as the worker hands it over.

  first paint  from the job returning the result to the ranking table's first data row being
               drawn by the compositor (headless, 160x45), shortlist restore and header counts
               included
  keystroke    from a key press in the search box (or f, or a digit of the minimum score) to the
               table drawing its new first row, per key; median, 95th percentile and worst
  filter only  kolvet.tui.view.apply for the same filters, no UI: the Polars share of a keystroke

Every figure is also shown as a ratio against the same measurement on a 300-creator cohort in
the same run (the baseline: flat ratios mean the cost doesn't grow with the cohort) and against
the target budget (below 1.0 meets it). Headless rendering skips the terminal write, which for
one screen of text is well under a millisecond.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kolvet import synth  # noqa: E402
from kolvet.pipeline import Loaded, VetResult, vet_loaded  # noqa: E402
from kolvet.tui import view  # noqa: E402
from kolvet.tui.app import create_app  # noqa: E402
from kolvet.tui.widgets.creator_table import CreatorTable  # noqa: E402

SIZE = (160, 45)
FIRST_PAINT_BUDGET = 1.0  # seconds
KEYSTROKE_BUDGET = 0.100
# Search keys typed one by one (narrowing, then widening again with backspaces), then the
# hide-flagged toggle twice and a minimum score typed digit by digit.
SEARCH = ["slash", *"00123", "backspace", "backspace", "backspace", "escape"]
OTHERS = ["f", "f", "m", "6", "0", "escape"]
FOCUS_ONLY = ("slash", "m", "escape")  # these move focus; they don't filter, so aren't timed


def vetted(creators: int, posts_per_creator: float, seed: int) -> tuple[VetResult, float]:
    """A synthetic cohort through the real pipeline, in memory."""
    posts, _ = synth.generate(synth.World(creators=creators, posts_per_creator=posts_per_creator, seed=seed))
    loaded = Loaded.from_frame(posts)
    start = time.perf_counter()
    result = vet_loaded(loaded)
    return result, time.perf_counter() - start


class PaintClock:
    """Notes when the table draws its first data row: the moment a change is on screen."""

    def __init__(self) -> None:
        self.last: float | None = None

    def watch(self, table: CreatorTable) -> None:
        original = table.render_line

        def render_line(y: int):
            strip = original(y)
            if y == 1:
                self.last = time.perf_counter()
            return strip

        table.render_line = render_line  # type: ignore[method-assign]


async def measure(result: VetResult, shortlist: Path) -> dict[str, object]:
    handed_over: dict[str, float] = {}

    def job() -> VetResult:
        handed_over["at"] = time.perf_counter()
        return result

    app = create_app(job, shortlist, "bench")
    clock = PaintClock()
    async with app.run_test(size=SIZE) as pilot:
        table = app.ranking.query_one(CreatorTable)
        clock.watch(table)
        while app.result is None or clock.last is None or clock.last < handed_over.get("at", 0):
            await asyncio.sleep(0.001)
        first_paint = clock.last - handed_over["at"]
        keystrokes: list[float] = []
        for key in SEARCH + OTHERS:
            clock.last = None
            start = time.perf_counter()
            await pilot.press(key)
            if key in FOCUS_ONLY:
                continue
            while clock.last is None and time.perf_counter() - start < 2:
                await asyncio.sleep(0.0005)
            keystrokes.append((clock.last or time.perf_counter()) - start)
        assert table.row_count > 0
    return {"first_paint": first_paint, "keystrokes": keystrokes}


def filter_only(result: VetResult, repeat: int = 5) -> float:
    """The Polars part of the slowest kind of keystroke: a text search over every creator."""
    base = view.slim(result.creators)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        view.apply(base, view.Filters(text="00123", hide_flagged=True, min_score=60), view.Sort())
        times.append(time.perf_counter() - start)
    return min(times)


async def datatable_load(result: VetResult) -> float:
    """The alternative this app avoids: Textual's DataTable holding every row."""
    from textual.app import App
    from textual.widgets import DataTable

    class Plain(App[None]):
        def compose(self):
            yield DataTable()

    base = view.slim(result.creators)
    async with Plain().run_test(size=SIZE) as pilot:
        start = time.perf_counter()
        dt = pilot.app.query_one(DataTable)
        dt.add_columns(*base.columns)
        dt.add_rows([tuple("" if v is None else str(v) for v in row) for row in base.iter_rows()])
        await pilot.pause()
        return time.perf_counter() - start


def summarise(label: str, creators: int, vet_s: float, runs: list[dict[str, object]], filt: float) -> dict[str, float]:
    paints = [float(r["first_paint"]) for r in runs]
    keys = sorted(k for r in runs for k in r["keystrokes"])  # type: ignore[union-attr]
    p95 = keys[min(len(keys) - 1, int(round(0.95 * (len(keys) - 1))))]
    row = {"creators": creators, "vet_s": vet_s, "first_paint": min(paints), "key_median": statistics.median(keys),
           "key_p95": p95, "key_max": keys[-1], "filter_only": filt}
    print(f"{label:>9}  {creators:>9,}  {vet_s:7.1f} s  {row['first_paint'] * 1000:9.1f}  {row['key_median'] * 1000:9.1f}"
          f"  {p95 * 1000:7.1f}  {keys[-1] * 1000:7.1f}  {filt * 1000:8.1f}")
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--creators", type=int, default=100_000)
    parser.add_argument("--posts-per-creator", type=float, default=10.0)
    parser.add_argument("--baseline", type=int, default=300, help="creators in the baseline cohort")
    parser.add_argument("--repeat", type=int, default=2, help="app runs per cohort (best first paint, all keys)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--datatable", action="store_true", help="also time a DataTable holding every row")
    args = parser.parse_args()

    print(f"terminal {SIZE[0]}x{SIZE[1]} (headless); {args.repeat} app runs per cohort; "
          f"{sum(k not in FOCUS_ONLY for k in SEARCH + OTHERS)} filter keystrokes per run")
    print(f"{'cohort':>9}  {'creators':>9}  {'vet':>9}  {'paint ms':>9}  {'key p50':>9}  {'key p95':>7}  {'key max':>7}  {'polars ms':>8}")
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, n in (("baseline", args.baseline), ("large", args.creators)):
            result, vet_s = vetted(n, args.posts_per_creator, args.seed)
            runs = [asyncio.run(measure(result, Path(tmp) / f"{label}-{i}.csv")) for i in range(args.repeat)]
            rows[label] = summarise(label, n, vet_s, runs, filter_only(result))
            if args.datatable and label == "large":
                dt = asyncio.run(datatable_load(result))
                print(f"{'':>9}  DataTable holding all {n:,} rows: {dt:.2f} s to load and paint "
                      f"({dt / rows[label]['first_paint']:.0f}x kolvet's first paint)")
    big, small = rows["large"], rows["baseline"]
    print()
    print(f"first paint: {big['first_paint'] * 1000:.0f} ms = {big['first_paint'] / FIRST_PAINT_BUDGET:.2f} of the 1 s budget; "
          f"{big['first_paint'] / small['first_paint']:.2f}x the {small['creators']:,}-creator baseline")
    print(f"keystroke:   p95 {big['key_p95'] * 1000:.0f} ms = {big['key_p95'] / KEYSTROKE_BUDGET:.2f} of the 100 ms budget "
          f"(worst {big['key_max'] * 1000:.0f} ms = {big['key_max'] / KEYSTROKE_BUDGET:.2f}); "
          f"median {big['key_median'] / small['key_median']:.2f}x the baseline")
    ok = big["first_paint"] < FIRST_PAINT_BUDGET and big["key_p95"] < KEYSTROKE_BUDGET
    print("targets met" if ok else "TARGETS MISSED")


if __name__ == "__main__":
    main()
