"""The `kolvet` command: a thin Typer shell over kolvet.pipeline.

Exit codes: 0 ok, 1 input problem (one line on stderr, no traceback), 2 usage,
3 flagged creators (batch --fail-on-flagged)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime
from functools import wraps
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from kolvet import __version__
from kolvet.errors import KolvetError, UsageError
from kolvet.text import counted, tally, two_down

app = typer.Typer(
    name="kolvet",
    help="Vet Xiaohongshu (RedNote) creators: save-first scores, fake-engagement flags with reasons, shortlists.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class _PipeTolerant:
    """stdout (or stderr) for `kolvet vet ... | head`: once the reader has gone, what is left
    to print is dropped and the work goes on, so the files still get written and the exit code
    is the work's (a closed pipe is not an input problem). Without a stream, sys.stdout is
    looked up on each write, as tests swap it; main() wraps the real ones too, for what Typer
    prints itself (`kolvet --help | head`, `kolvet nosuch 2>&1 | head`)."""

    def __init__(self, stream: Any = None) -> None:
        self._stream = stream
        self.gone = False

    def _target(self) -> Any:
        return self._stream if self._stream is not None else sys.stdout

    def write(self, text: str) -> int:
        if not self.gone:
            try:
                self._target().write(text)
            except BrokenPipeError:
                self._leave()
        return len(text)

    def flush(self) -> None:
        if not self.gone:
            try:
                self._target().flush()
            except BrokenPipeError:
                self._leave()

    def _leave(self) -> None:
        self.gone = True
        # What is still buffered would fail again at exit, with a message: send it nowhere.
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), self._target().fileno())

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target(), name)


out = Console(file=_PipeTolerant(), highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 120)  # type: ignore[arg-type]
err = Console(stderr=True, highlight=False, soft_wrap=True)

InputsArg = Annotated[list[str], typer.Argument(help="Post files (CSV, TSV, JSON, JSONL, Parquet, XLSX), folders or globs.")]
ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="kolvet.toml with your weights, tiers and thresholds.")]
PresetOpt = Annotated[str | None, typer.Option("--preset", help="Weight preset: save-first (default) or ces.")]
CreatorsOpt = Annotated[Path | None, typer.Option("--creators", help="Creators table or roster (creator_id, nickname, followers, category, quote).")]
EncodingOpt = Annotated[str | None, typer.Option("--encoding", help="Force the text encoding (utf-8, gbk, gb18030, or utf-8-lossy to replace damaged characters); default: detect.")]
SheetOpt = Annotated[str | None, typer.Option("--sheet", help="Sheet of the notes workbooks to read (a name, or its number from 1); default: every sheet whose header holds notes or creators.")]
CreatorsSheetOpt = Annotated[str | None, typer.Option("--creators-sheet", help="Sheet of the --creators workbook to read; default: the first.")]
def _end_of_day(day: datetime | str | None) -> datetime | None:
    """--as-of 2025-06-30 includes every note of that day (China time)."""
    if day is None:
        return None
    day = day if isinstance(day, datetime) else datetime.strptime(day, "%Y-%m-%d")
    return day.replace(hour=23, minute=59, second=59, microsecond=999_999)


AsOfOpt = Annotated[datetime | None, typer.Option("--as-of", help="Judge notes up to the end of this day (YYYY-MM-DD); default: the newest note.",
                                                  formats=["%Y-%m-%d"], callback=_end_of_day)]
FraudModelOpt = Annotated[Path | None, typer.Option("--fraud-model", help="Fraud model saved by `kolvet fit-fraud` on a larger roster.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")]


def _friendly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Domain errors become one line and their exit code; nothing shows a traceback unless
    KOLVET_DEBUG is set."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except KolvetError as exc:
            # One line, whatever a file put in its headers or cells.
            line = " ".join(str(exc).split())
            err.print(f"kolvet: error: {line}", markup=False, emoji=False)
            raise typer.Exit(exc.exit_code) from None
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            err.print("kolvet: interrupted; no output was left half-written")
            raise typer.Exit(130) from None
        except Exception as exc:  # a bug: still one line, but say so
            if os.environ.get("KOLVET_DEBUG"):
                raise
            err.print(f"kolvet: internal error: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''} "
                      "(set KOLVET_DEBUG=1 for details)", markup=False)
            raise typer.Exit(1) from None

    return wrapper


def _config(config: Path | None, preset: str | None, creators_sheet: str | None = None):
    from kolvet.config import load_config

    cfg = load_config(config, preset)
    if creators_sheet is not None:
        cfg = cfg.model_copy(update={"input": cfg.input.model_copy(update={"creators_sheet": creators_sheet})})
    return cfg


def _settings(config: Path | None, preset: str | None, fraud_model: Path | None, creators_sheet: str | None = None):
    """The run's config and, when given, the saved fraud model: every vetting command's start."""
    from kolvet.fraud import FraudModel

    return _config(config, preset, creators_sheet), (FraudModel.load(fraud_model) if fraud_model else None)


def _sample_path() -> Path:
    return Path(str(resources.files("kolvet") / "data" / "sample_posts.csv"))


def _print_summary(result, written: dict[str, Path] | None = None, top: int = 10) -> None:
    from kolvet import fraud as F
    from kolvet import shortlist as SL

    creators = result.creators
    counts = dict(creators.group_by(SL.VERDICT).len().iter_rows())
    flagged = int(creators.get_column(F.FRAUD_FLAG).sum())
    if len(result.sources) <= 8:
        for s in result.sources:
            out.print(f"read {s.source}: {s.family} ({s.kind}), {s.rows:,} rows, {s.taken:,} taken, {s.set_aside:,} set aside", markup=False)
    else:  # many files (a crawl folder): one line per format; every file is listed in the .meta.json
        families: dict[tuple[str, str], list[int]] = {}
        for s in result.sources:
            acc = families.setdefault((s.family, s.kind), [0, 0, 0, 0])
            for i, v in enumerate((1, s.rows, s.taken, s.set_aside)):
                acc[i] += v
        for (family, kind), (files, rows, taken, aside) in families.items():
            out.print(f"read {counted(files, 'file')} of {family} ({kind}): {rows:,} rows, {taken:,} taken, {aside:,} set aside", markup=False)
    # File names can hold "[...]", which rich would take for markup and swallow.
    for s in result.skipped:
        out.print(f"[dim]skipped[/] {escape(f'{s.source}: {s.reason}')}")
    for w in result.warnings:
        out.print(f"[yellow]warning[/] {escape(w)}")
    out.print(
        f"[bold]{counted(creators.height, 'creator')}[/]: "
        + ", ".join(f"{counts.get(v, 0):,} {v}" for v in SL.VERDICTS)
        + f"; [bold]{flagged:,} flagged[/] for likely fake engagement"
    )
    aside, emptied = result.rejected_by_reason(), result.rejected_by_reason(kept=True)
    if aside:
        total = sum(n for _, n in aside)
        out.print(f"{counted(total, 'row')} set aside: " + tally(aside, 6), markup=False)
    else:
        out.print("no rows set aside")
    if replaced := result.snapshots_replaced():
        out.print(f"{counted(replaced, 'older snapshot')} (or copies) of notes or profiles replaced by newer ones "
                  "(listed with the rows set aside)", markup=False)
    if emptied:
        total = sum(n for _, n in emptied)
        out.print(f"{counted(total, 'row')} kept with a bad cell left empty: "
                  + tally(emptied, 6), markup=False)
    out.print(f"[dim]weights {result.meta.get('weights')}; as of {result.meta.get('as_of')}; fraud: {result.meta.get('fraud_mode')}[/]")
    table = Table(title=f"Top {min(top, creators.height)}", show_lines=False)
    by_cost = result.meta.get("sort") == "cpe"  # ranked by cost: show the cost
    for col, just in (("rank", "right"), ("nickname", "left"), ("category", "left"), ("followers", "right"),
                      ("notes", "right"), ("score", "right"), ("save rate", "right"), ("藏赞比", "right"),
                      *([("quote", "right"), ("cpe", "right")] if by_cost else []), ("fraud", "right"), ("verdict", "left")):
        table.add_column(col, justify=just)
    ranked = result.creators.head(top)  # unrounded: the CSV's rounding rounded again would differ
    for r in ranked.iter_rows(named=True):
        cost = ["-" if r[c] is None else f"{r[c]:,.{d}f}" for c, d in (("quote", 0), ("cpe", 2))] if by_cost else []
        table.add_row(
            str(r["rank"]), str(r["nickname"] or r["creator_id"]), str(r["category"]),
            "-" if r["followers"] is None else f"{r['followers']:,}", str(r["n_posts"]),
            "-" if r["score"] is None else f"{r['score']:.1f}",
            "-" if r["save_rate"] is None else f"{r['save_rate'] * 100:.2f}%",
            "-" if r["save_like_ratio"] is None else f"{r['save_like_ratio']:.2f}",
            *cost,
            "-" if r["fraud_score"] is None else two_down(r["fraud_score"]) + (" ⚑" if r["fraud_flag"] else ""),
            r["verdict"],
        )
    out.print(table)
    if written:
        for kind, path in written.items():
            out.print(f"wrote {kind}: {path}", markup=False)


@contextmanager
def _progress(quiet: bool):
    """A one-line spinner on stderr that says what is being read or done; nothing for scripts."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    with err.status("starting…") as status:
        yield lambda msg: status.update(f"[dim]{escape(msg)}[/]")


@app.command()
@_friendly
def vet(
    inputs: InputsArg,
    output: Annotated[Path, typer.Option("--output", "-o", help="Ranked output: .csv, .parquet, .json or .xlsx.")] = Path("kolvet-ranked.csv"),
    creators: CreatorsOpt = None,
    config: ConfigOpt = None,
    preset: PresetOpt = None,
    sort: Annotated[str, typer.Option("--sort", help="score (default) or cpe: cheapest cost per engagement first.")] = "score",
    posts_out: Annotated[Path | None, typer.Option("--posts-out", help="Also write every note with its per-note boost flag.")] = None,
    encoding: EncodingOpt = None,
    sheet: SheetOpt = None,
    creators_sheet: CreatorsSheetOpt = None,
    as_of: AsOfOpt = None,
    fraud_model: FraudModelOpt = None,
    streaming: Annotated[bool, typer.Option("--streaming", help="Vet part by part, for inputs too big to hold in memory (Parquet or UTF-8 CSV); same result.")] = False,
    quiet: QuietOpt = False,
) -> None:
    """Rank creators from their note histories and write one row per creator."""
    from kolvet import export, pipeline

    if sort not in ("score", "cpe"):
        raise UsageError(f"--sort {sort}: use score or cpe")
    cfg, model = _settings(config, preset, fraud_model, creators_sheet)
    inputs_read = pipeline.input_paths(inputs, str(creators) if creators else None)
    export.check_outputs(output, inputs_read, posts_out)
    with _progress(quiet) as progress:
        result = pipeline.vet(inputs, cfg, creators_file=str(creators) if creators else None, fraud_model=model,
                              as_of=as_of, encoding=encoding, sheet=sheet, sort=sort, progress=progress,
                              streaming=streaming)
    written = export.write_result(result, output, inputs_read, posts_out)
    if not quiet:
        _print_summary(result, written)


@app.command()
@_friendly
def demo(
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the ranked CSV.")] = Path("kolvet-demo-ranked.csv"),
    quiet: QuietOpt = False,
) -> None:
    """Vet the bundled sample (300 synthetic creators) and write the ranked CSV here."""
    from kolvet import export, pipeline

    sample = _sample_path()
    result = pipeline.vet([sample])
    written = export.write_result(result, output, {sample.resolve()})
    if not quiet:
        out.print(f"Vetting the bundled sample: {sample}", markup=False)
        _print_summary(result, written)
        top = result.creators.get_column("creator_id")[0]
        out.print(f"\nNext: kolvet explain {top}   (one creator in plain words)   or   kolvet browse   (the ranking in your terminal)",
                  markup=False)


@app.command()
@_friendly
def explain(
    creator_id: Annotated[str, typer.Argument(help="The creator to explain (creator_id as in the output).")],
    inputs: Annotated[list[str] | None, typer.Argument(help="Post files, folders or globs (default: the bundled sample).")] = None,
    creators: CreatorsOpt = None,
    config: ConfigOpt = None,
    preset: PresetOpt = None,
    encoding: EncodingOpt = None,
    sheet: SheetOpt = None,
    creators_sheet: CreatorsSheetOpt = None,
    as_of: AsOfOpt = None,
    fraud_model: FraudModelOpt = None,
) -> None:
    """Explain one creator's score, peer comparison and fraud reasons in plain words."""
    import polars as pl

    from kolvet import pipeline
    from kolvet import schema as S
    from kolvet.explain import explain_lines

    if not inputs and Path(creator_id).exists():
        raise UsageError(f"{creator_id} is a file, not a creator id: kolvet explain CREATOR_ID {creator_id}")
    cfg, model = _settings(config, preset, fraud_model, creators_sheet)
    result = pipeline.vet(inputs or [str(_sample_path())], cfg, creators_file=str(creators) if creators else None,
                          fraud_model=model, as_of=as_of, encoding=encoding, sheet=sheet)
    creator_id = creator_id.strip()  # ids are trimmed when inputs are read
    row = result.creator(creator_id)
    if row is None and creator_id.startswith("'"):  # copied from a CSV, where '-c9 guards against formulas
        row = result.creator(creator_id[1:])
        creator_id = creator_id[1:] if row is not None else creator_id
    if row is None:
        by_name = result.creators.filter(pl.col(S.NICKNAME) == creator_id).get_column(S.CREATOR_ID).head(3).to_list()
        hint = f"; it is the nickname of {', '.join(by_name)}: explain takes the creator_id" if by_name else ""
        if not inputs:
            raise KolvetError(f"creator {creator_id!r} is not in the bundled sample, which explain reads when given no "
                              f"inputs: name your notes after the id (kolvet explain {creator_id} notes.csv){hint}")
        raise KolvetError(f"creator {creator_id!r} is not in the inputs ({result.creators.height} creators read){hint}")
    for line in explain_lines(row, result.notes_of(creator_id), result.meta.get("weights", ""), cfg, result.own_of(creator_id)):
        out.print(line, markup=False)


@app.command()
@_friendly
def sample(
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the posts (.csv, .parquet, .json, .xlsx).")] = Path("posts.csv"),
    creators: Annotated[int, typer.Option("--creators", "-n", min=1, help="How many creators.")] = 300,
    seed: Annotated[int, typer.Option("--seed", "-s", help="Random seed: the same seed gives the same file.")] = 0,
    posts_per_creator: Annotated[float, typer.Option("--posts-per-creator", min=5.0, help="Mean notes per creator, 5 or more (each has 5 to 400, bar the few-note creators among the honest hard cases).")] = 30.0,
    fake_rate: Annotated[float, typer.Option("--fake-rate", min=0.0, max=0.9, help="Share of creators with injected fake engagement.")] = 0.08,
    hard_rate: Annotated[float, typer.Option("--hard-rate", min=0.0, max=0.9, help="Share of honest hard cases (viral, tutorial, discussion, few notes).")] = 0.12,
    views: Annotated[bool, typer.Option("--views/--no-views", help="Include views (marketplace data) or not (crawler data).")] = True,
    variant: Annotated[str, typer.Option("--variant", help="Generator variant: base, noisy, subtle or steady.")] = "base",
    truth: Annotated[Path | None, typer.Option("--truth", help="Also write each creator's label, pattern and true per-view value.")] = None,
    profiles: Annotated[Path | None, typer.Option("--profiles", help="Also write creator profiles as a crawler saves them (fans, lifetime likes and saves), to vet beside the notes.")] = None,
    comments: Annotated[Path | None, typer.Option("--comments", help="Also write the first page of each note's comments as a crawler saves them, to vet beside the notes.")] = None,
    roster: Annotated[Path | None, typer.Option("--roster", help="Also write a marketplace-style roster (followers, lifetime likes and saves, active-fan share, 30-day follower series) to pass as --creators.")] = None,
    recrawl: Annotated[Path | None, typer.Option("--recrawl", help="Also write a second crawl of the same notes a week later (counts grown, part of the bought engagement purged, a few notes deleted), to vet beside the first.")] = None,
    quiet: QuietOpt = False,
) -> None:
    """Generate realistic synthetic XHS note histories, with labelled fake-engagement patterns."""
    from kolvet import io, synth

    world = synth.World(creators=creators, seed=seed, fake_rate=fake_rate, honest_hard_rate=hard_rate,
                        views=views, posts_per_creator=posts_per_creator)
    try:
        world = synth.vary(world, variant)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    extras = {"truth": truth, "profiles": profiles, "comments": comments, "roster": roster, "recrawl": recrawl}
    targets = {"posts": output, **{k: p for k, p in extras.items() if p}}
    io.check_targets(targets, formats=dict.fromkeys(targets, io.WRITABLE))
    posts, labels = synth.generate(world, bought=recrawl is not None)
    if recrawl:
        # Two snapshots of the same notes: each file says when it was crawled (snapshot_at).
        posts, later = synth.recrawl(world, posts)
        io.write_frame(later, recrawl)
    io.write_frame(posts, output)
    if truth:
        io.write_frame(labels, truth)
    if profiles:
        io.write_frame(synth.profiles(world, posts, labels), profiles)
    if comments:
        io.write_frame(synth.comments(world, posts, labels), comments)
    if roster:
        # Flat files hold the series as JSON text in a cell; JSON and Parquet as a list.
        flat = roster.suffix.lower() in (".csv", ".tsv", ".xlsx")
        io.write_frame(synth.roster(world, posts, labels, series_as_json=flat), roster)
    if not quiet:
        n_fake = int((labels.get_column("label") == "fake").sum())
        out.print(f"wrote {posts.height:,} notes by {creators:,} creators ({n_fake} with fake engagement) to {output}", markup=False)
        if truth:
            out.print(f"wrote labels to {truth}", markup=False)
        if recrawl:
            out.print(f"wrote a second crawl, a week later, to {recrawl}", markup=False)
        beside = [str(p) for p in (recrawl, profiles, comments) if p]
        if profiles:
            out.print(f"wrote creator profiles to {profiles}", markup=False)
        if comments:
            out.print(f"wrote comments to {comments}", markup=False)
        if beside:
            out.print(f"vet them beside the notes: kolvet vet {output} {' '.join(beside)}", markup=False)
        if roster:
            out.print(f"wrote a roster to {roster}; vet with --creators {roster}", markup=False)


@app.command("init-config")
@_friendly
def init_config(
    output: Annotated[Path, typer.Argument(help="Where to write the config.")] = Path("kolvet.toml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented kolvet.toml with every weight, tier, window and threshold."""
    from kolvet import io
    from kolvet.config import default_config_toml

    if output.exists() and not force:
        raise KolvetError(f"{output}: already exists (use --force to overwrite)")
    io.write_text(default_config_toml(), output)
    out.print(f"wrote {output}; edit it and pass --config {output}", markup=False)


@app.command("fit-fraud")
@_friendly
def fit_fraud(
    inputs: InputsArg,
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to save the model.")] = Path("kolvet-fraud.model"),
    creators: CreatorsOpt = None,
    config: ConfigOpt = None,
    encoding: EncodingOpt = None,
    sheet: SheetOpt = None,
    creators_sheet: CreatorsSheetOpt = None,
) -> None:
    """Fit the fake-engagement model on a large reference roster, to reuse on small cohorts."""
    from kolvet import fraud, pipeline

    cfg = _config(config, None, creators_sheet)
    result, model = pipeline.fit_fraud_model(inputs, cfg, creators_file=str(creators) if creators else None,
                                             encoding=encoding, sheet=sheet)
    unjudged = fraud.not_judged(result.creators, cfg.fraud)
    why = f" ({', '.join(f'{reason}: {n:,}' for reason, n in unjudged)})" if unjudged else ""
    left = sum(n for _, n in unjudged)
    if model is None:
        raise KolvetError(f"only {result.creators.height - left:,} of {result.creators.height:,} creators can be judged{why}: "
                          f"too few to fit a forest (it takes {cfg.fraud.min_cohort})")
    model.save(output)
    out.print(f"fit on {model.detector.n_fit_:,} of {result.creators.height:,} creators"
              + (f"; {left:,} not judged{why}" if left else "")
              + f"; saved {output}; use it with --fraud-model {output}", markup=False)


@app.command()
@_friendly
def browse(
    inputs: Annotated[list[str] | None, typer.Argument(help="Post files, folders or globs (default: the bundled sample).")] = None,
    creators: CreatorsOpt = None,
    config: ConfigOpt = None,
    preset: PresetOpt = None,
    shortlist: Annotated[Path | None, typer.Option("--shortlist", help="Shortlist file (.csv), saved on every change; default: kolvet-shortlist.csv in this folder.")] = None,
    encoding: EncodingOpt = None,
    sheet: SheetOpt = None,
    creators_sheet: CreatorsSheetOpt = None,
    as_of: AsOfOpt = None,
    fraud_model: FraudModelOpt = None,
) -> None:
    """Browse the ranking in the terminal, inspect creators and build a shortlist."""
    from kolvet import pipeline
    from kolvet.tui.app import run_browser
    from kolvet.tui.shortlist_store import check_shortlist_file

    cfg, model = _settings(config, preset, fraud_model, creators_sheet)
    paths = inputs or [str(_sample_path())]
    inputs_read = pipeline.input_paths(paths, str(creators) if creators else None)  # fails fast on missing paths
    # In the working folder, as vet's ranking: never among the inputs, where a crawl folder
    # would read it back as a file to skip on every launch.
    shortlist = shortlist or Path("kolvet-shortlist.csv")
    check_shortlist_file(shortlist, inputs_read)

    def job():
        return pipeline.vet(paths, cfg, creators_file=str(creators) if creators else None, fraud_model=model,
                            as_of=as_of, encoding=encoding, sheet=sheet)

    # The title names the inputs, as the shortlist's scored_in column does for each row.
    title = ", ".join(Path(p).name for p in paths) + (f" + {Path(creators).name}" if creators else "")
    run_browser(job, shortlist_path=shortlist, title=title, inputs=inputs_read)


@app.command()
@_friendly
def batch(
    rosters: Annotated[list[str], typer.Argument(help="One file or folder per agency roster.")],
    out_dir: Annotated[Path, typer.Option("--out-dir", "-d", help="Folder for the ranked files and summary.csv.")] = Path("kolvet-batch"),
    creators: CreatorsOpt = None,
    config: ConfigOpt = None,
    preset: PresetOpt = None,
    previous: Annotated[Path | None, typer.Option("--previous", help="An earlier batch's --out-dir: add a change column.")] = None,
    xlsx: Annotated[bool, typer.Option("--xlsx", help="Also write one workbook: a sheet per roster plus the summary.")] = False,
    fail_on_flagged: Annotated[bool, typer.Option("--fail-on-flagged", help="Exit 3 when any creator is flagged.")] = False,
    encoding: EncodingOpt = None,
    sheet: SheetOpt = None,
    creators_sheet: CreatorsSheetOpt = None,
    as_of: AsOfOpt = None,
    fraud_model: FraudModelOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Vet many agency rosters against one combined cohort; one ranked file per roster."""
    from kolvet.batch import run_batch

    cfg, model = _settings(config, preset, fraud_model, creators_sheet)
    report = run_batch(rosters, out_dir, cfg, creators_file=str(creators) if creators else None,
                       previous=previous, xlsx=xlsx, encoding=encoding, sheet=sheet, as_of=as_of,
                       fraud_model=model, quiet=quiet, console=err)
    if not quiet:
        _print_batch(report, out_dir)
        for w in report.result.notices if report.result else []:  # about the run, not one roster
            out.print(f"[yellow]warning[/] {escape(w)}")
    if report.failed:
        # Even scripts (--quiet) need to know why the exit code is 1.
        err.print(f"kolvet: error: {report.failed} of {len(report.summary)} rosters failed (see {out_dir / 'summary.csv'})",
                  markup=False)
        raise typer.Exit(1)
    if fail_on_flagged and report.flagged:
        err.print(f"kolvet: {report.flagged} creators flagged (--fail-on-flagged)", markup=False)
        raise typer.Exit(3)


def _print_batch(report, out_dir: Path, shown: int = 20) -> None:
    """Failed rosters first, then the rest, capped so a 1,000-roster batch stays readable."""
    import polars as pl

    summary = report.summary
    failed_first = summary.sort(pl.col("status") != "failed", maintain_order=True)
    table = Table(title=f"Batch: {counted(summary.height, 'roster')}"
                  + (f" (first {shown} shown)" if summary.height > shown else ""))
    cols = [c for c in ("roster", "status", "creators", "shortlisted", "review", "rejected", "insufficient_data", "flagged",
                        "median_score", "top_creator") if c in summary.columns]
    for c in cols:
        table.add_column(c.replace("_", " "), no_wrap=c in ("roster", "status"))  # names whole: they tell rosters apart
    for r in failed_first.head(shown).iter_rows(named=True):
        table.add_row(*["" if r.get(c) is None else str(r.get(c)) for c in cols])
    out.print(table)
    # Problems below the table, one roster a line: inside it they wrapped into dozens of lines.
    for r in failed_first.head(shown).filter(pl.col("problems").is_not_null() & (pl.col("problems") != "")).iter_rows(named=True):
        out.print(f"{r['roster']} ({r['status']}): {r['problems']}", markup=False)
    if len(report.written) > 10:
        out.print(f"wrote {len(report.written)} files to {out_dir} (summary: {out_dir / 'summary.csv'})", markup=False)
    else:
        for path in report.written:
            out.print(f"wrote {path}", markup=False)


def _version(value: bool) -> None:
    if value:
        out.print(f"kolvet {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")] = False,
) -> None:
    """kolvet vets XHS creators: ranks them by saves and engagement quality for their size, flags
    likely fake engagement with reasons, and exports shortlists."""


def main() -> None:
    sys.stdout = _PipeTolerant(sys.stdout)  # type: ignore[assignment]
    sys.stderr = _PipeTolerant(sys.stderr)  # type: ignore[assignment]
    app()
