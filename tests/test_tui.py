"""The browser, driven as a user would with Textual's Pilot: load, filter, sort, detail,
shortlist, export, persistence across a restart; plus snapshots of the key screens.

The app is built by `create_app` with a job that returns a ready VetResult, so no test reads
input files inside the app. Snapshots use a small hand-built result so they change only when
the screens change, not when scoring is tuned."""

from __future__ import annotations

import asyncio
import functools
import itertools
import threading
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from rich.cells import cell_len

from kolvet import export
from kolvet import fraud as F
from kolvet import metrics as M
from kolvet import schema as S
from kolvet import score as SC
from kolvet import shortlist as SL
from kolvet.config import Config
from kolvet.errors import KolvetError
from kolvet.explain import explain_lines
from kolvet.pipeline import VetResult, vet
from kolvet.tui import view
from kolvet.tui.app import KolvetBrowser, create_app
from kolvet.tui.columns import COLUMNS
from kolvet.tui.screens.detail import DetailScreen
from kolvet.tui.screens.pickers import ExportScreen, HelpScreen
from kolvet.tui.screens.ranking import RankingScreen
from kolvet.tui.screens.shortlist import ShortlistScreen
from kolvet.tui.shortlist_store import NOTE, ShortlistError, ShortlistStore
from kolvet.tui.widgets.creator_table import GAP, MARK_WIDTH, CreatorTable
from tests.conftest import SAMPLE

SIZE = (160, 45)


def run(test):
    """Run an async Pilot test without an async pytest plugin."""

    @functools.wraps(test)
    def wrapper(*args, **kwargs):
        return asyncio.run(test(*args, **kwargs))

    return wrapper


@pytest.fixture(scope="module")
def sample_result() -> VetResult:
    return vet([SAMPLE])


def app_for(result: VetResult, shortlist: Path) -> KolvetBrowser:
    return create_app(lambda: result, shortlist, "sample_posts.csv")


async def loaded(pilot) -> None:
    """Wait for the worker to hand over the result and the table to show it."""
    for _ in range(500):
        if pilot.app.result is not None:
            break
        await pilot.pause(0.01)
    await pilot.pause()
    assert pilot.app.result is not None


def table(app) -> CreatorTable:
    return app.screen.query_one(CreatorTable)


def shown_ids(app) -> list[str]:
    return table(app).frame.get_column(S.CREATOR_ID).to_list()


# ---- loading and the first screen ---------------------------------------------------------
@run
async def test_vetting_runs_in_a_worker_while_the_ui_stays_live(sample_result, tmp_path):
    release = threading.Event()

    def slow_job() -> VetResult:
        release.wait(10)
        return sample_result

    app = create_app(slow_job, tmp_path / "sl.csv", "slow")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.1)
        assert app.screen.query_one("#loading").display
        assert not table(app).display
        assert "Vetting slow" in str(app.screen.query_one("#loading-text").render())
        await pilot.press("question_mark")  # the UI answers while the pipeline runs
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        release.set()
        await loaded(pilot)
        assert table(app).display and not app.screen.query_one("#loading").display


@run
async def test_first_screen_ranks_everyone_with_cursor_on_rank_1(sample_result, tmp_path):
    app = app_for(sample_result, tmp_path / "sl.csv")
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        t = table(app)
        creators = sample_result.creators
        assert t.row_count == creators.height
        assert t.current_id == creators.filter(pl.col(SL.RANK) == 1).get_column(S.CREATOR_ID).item()
        assert t.has_focus
        summary = str(app.screen.query_one("#summary").render())
        counts = dict(creators.group_by(SL.VERDICT).len().iter_rows())
        assert f"{creators.height:,} creators" in summary
        assert f"{counts.get('shortlist', 0):,} shortlist" in summary
        # the first row drawn is rank 1, with its verdict
        line = "".join(seg.text for seg in t.render_line(1))
        first = creators.row(0, named=True)
        assert line.split()[0] == "1" and first[SL.VERDICT] in line
        assert " view " in line  # the sample has views: its rates are per view


@run
async def test_a_narrow_table_puts_the_deciding_columns_first_and_keeps_rank_and_nickname(sample_result, tmp_path):
    """At 80 columns the row doesn't fit: score, save rate, fraud and verdict follow rank and
    nickname so they show without scrolling; scrolled sideways, rank and nickname stay put."""
    app = app_for(sample_result, tmp_path / "sl.csv")
    row = sample_result.creators.row(0, named=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        t = table(app)
        header = "".join(seg.text for seg in t.render_line(0))
        first = "".join(seg.text for seg in t.render_line(1))
        assert header.split()[:7] == ["rank↑", "nickname", "score", "save", "rate", "fraud", "verdict"]
        assert row[SL.VERDICT] in first.split()
        t.scroll_to(x=t.max_scroll_x, animate=False, immediate=True)
        await pilot.pause()
        header = "".join(seg.text for seg in t.render_line(0))
        first = "".join(seg.text for seg in t.render_line(1))
        assert header.split()[:2] == ["rank↑", "nickname"] and header.rstrip().endswith("藏赞比")
        assert first.split()[0] == "1"
        assert cell_len(header) == t.scrollable_content_region.width
        # A click on a header sorts by the column drawn there, not the one scrolled under it.
        await pilot.click(CreatorTable, offset=(cell_len(header[:header.index("藏赞比")]) + 1, 0))
        assert t.sort_column == M.SAVE_LIKE
        shown = {k.key for k in app.screen.query("FooterKey") if k.region.right <= 80}
        assert {"question_mark", "e"} <= shown  # the way to every key, and to the brief
        await pilot.resize_terminal(200, 30)  # wide enough: the order
        await pilot.pause()
        header = "".join(seg.text for seg in t.render_line(0))
        assert header.split()[:4] == ["rank", "nickname", "category", "tier"] and header.rstrip().endswith("verdict")


@run
async def test_quotes_add_a_cost_per_engagement_column_to_show_and_sort_by(tmp_path):
    from kolvet.tui.screens.pickers import SortScreen

    ids = pl.read_csv(SAMPLE, columns=["creator_id"]).get_column("creator_id").unique().sort()
    roster = tmp_path / "roster.csv"
    pl.DataFrame({"creator_id": ids, "图文报价": [500 + 37 * i for i in range(len(ids))]}).write_csv(roster)
    result = vet([SAMPLE], creators_file=str(roster))
    app = app_for(result, tmp_path / "sl.csv")
    async with app.run_test(size=(170, 45)) as pilot:
        await loaded(pilot)
        assert "¥/eng." in "".join(seg.text for seg in table(app).render_line(0))
        await pilot.press("o")
        assert isinstance(app.screen, SortScreen) and SC.CPE in [c.key for c in app.screen.columns]
    # Cheapest first, and flagged creators after the rest: bought engagement looks cheap.
    shown = view.apply(view.slim(result.creators), view.Filters(), view.Sort().by(SC.CPE))
    judged = shown.filter(pl.col(SL.VERDICT) != "insufficient_data")
    assert shown.head(judged.height).equals(judged)  # too few notes to judge: last
    flags = judged.get_column(F.FRAUD_FLAG).to_list()
    assert any(flags) and flags == sorted(flags)
    cheap = judged.filter(~pl.col(F.FRAUD_FLAG)).get_column(SC.CPE).drop_nulls().to_list()
    assert cheap == sorted(cheap)
    # Without quotes there is no such column.
    app = app_for(vet([SAMPLE]), tmp_path / "sl2.csv")
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        assert "¥/eng." not in "".join(seg.text for seg in table(app).render_line(0))


@run
async def test_a_vetting_error_ends_the_app_with_the_error(tmp_path):
    def bad_job() -> VetResult:
        raise KolvetError("posts.csv: no column for creator_id")

    app = create_app(bad_job, tmp_path / "sl.csv", "posts.csv")
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(200):
            if app.error is not None:
                break
            await pilot.pause(0.01)
        await pilot.pause(0.05)
    assert isinstance(app.error, KolvetError)
    assert app.return_code == 1


# ---- filters and sorting -------------------------------------------------------------------
@run
async def test_search_matches_nickname_and_id_as_you_type(sample_result, tmp_path):
    app = app_for(sample_result, tmp_path / "sl.csv")
    base = view.slim(sample_result.creators)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("slash", *"00204")
        expected = SL.filter_creators(base, text="00204").get_column(S.CREATOR_ID).to_list()
        assert shown_ids(app) == expected and len(expected) >= 1
        await pilot.press("escape")  # clears the search, back to the table
        assert table(app).row_count == base.height and table(app).has_focus
        some_id = base.get_column(S.CREATOR_ID)[5]
        await pilot.press("slash", *some_id.upper(), "enter")  # ids match too, case-insensitively
        assert shown_ids(app) == [some_id]
        assert table(app).has_focus


@run
async def test_category_tier_min_score_and_hide_flagged(sample_result, tmp_path):
    app = app_for(sample_result, tmp_path / "sl.csv")
    base = view.slim(sample_result.creators)
    cats, tiers = view.choices(sample_result)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("c", "down", "enter")
        assert app.screen.filters.category == cats[0]
        await pilot.press("t", "down", "down", "enter")
        assert app.screen.filters.tier == tiers[1]
        await pilot.press("m", "5", "0", "enter")
        await pilot.press("f")
        expected = SL.filter_creators(base, category=cats[0], tier=tiers[1], min_score=50.0, hide_flagged=True)
        assert shown_ids(app) == expected.get_column(S.CREATOR_ID).to_list()
        frame = table(app).frame
        assert frame.get_column(S.CATEGORY).unique().to_list() in ([cats[0]], [])
        assert (frame.get_column(SC.SCORE) >= 50).all() and not frame.get_column(F.FRAUD_FLAG).any()
        assert "flagged hidden" in str(app.screen.query_one("#status").render())
        await pilot.press("x")  # clear every filter
        assert table(app).row_count == base.height


@run
async def test_hide_flagged_removes_exactly_the_flagged(sample_result, tmp_path):
    app = app_for(sample_result, tmp_path / "sl.csv")
    flagged = int(sample_result.creators.get_column(F.FRAUD_FLAG).sum())
    assert flagged > 0, "the sample has flagged creators"
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("f")
        assert table(app).row_count == sample_result.creators.height - flagged
        await pilot.press("f")
        assert table(app).row_count == sample_result.creators.height


@run
async def test_sort_by_any_column_and_reverse(sample_result, tmp_path):
    app = app_for(sample_result, tmp_path / "sl.csv")
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("o", *["down"] * 4, "enter")  # rank, nickname, category, tier, followers
        assert app.screen.sort == view.Sort(S.FOLLOWERS, True)
        followers = table(app).frame.get_column(S.FOLLOWERS).drop_nulls().to_list()
        assert followers == sorted(followers, reverse=True)
        await pilot.press("r")
        followers = table(app).frame.get_column(S.FOLLOWERS).drop_nulls().to_list()
        assert followers == sorted(followers)
        # a click on a header sorts by that column
        before = list(itertools.takewhile(lambda c: c.key != SC.SCORE, COLUMNS))
        await pilot.click(CreatorTable, offset=(MARK_WIDTH + sum(c.width + GAP for c in before) + 1, 0))
        assert app.screen.sort == view.Sort(SC.SCORE, True)
        scores = table(app).frame.get_column(SC.SCORE).drop_nulls().to_list()
        assert scores == sorted(scores, reverse=True)


# ---- detail --------------------------------------------------------------------------------
@run
async def test_detail_shows_breakdown_reasons_and_notes_with_boosts(sample_result, tmp_path):
    creators = sample_result.creators
    boosted = sample_result.posts.filter(pl.col(F.BOOSTED)).get_column(S.CREATOR_ID)
    target = creators.filter(pl.col(S.CREATOR_ID).is_in(boosted.implode()) & pl.col(F.FRAUD_FLAG)).row(0, named=True)
    cid = target[S.CREATOR_ID]
    notes = sample_result.notes_of(cid)
    app = app_for(sample_result, tmp_path / "sl.csv")
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("slash", *cid, "enter", "enter")
        assert isinstance(app.screen, DetailScreen) and app.screen.creator_id == cid
        explain = app.screen.query_one("#explain").content.plain
        for line in explain_lines(target, notes, sample_result.meta["weights"])[:6]:
            assert line.strip() in explain
        assert "FLAGGED" in explain
        chart = str(app.screen.query_one("#chart").render())
        assert f"red = looks boosted ({int(notes.get_column(F.BOOSTED).sum())})" in chart
        rows = app.screen.query_one("#notes")
        assert rows.row_count == notes.height
        marked = [str(rows.get_row_at(i)[-1]) for i in range(rows.row_count)]
        assert sum(m.startswith("⚑") for m in marked) == int(notes.get_column(F.BOOSTED).sum())
        await pilot.press("escape")
        assert isinstance(app.screen, RankingScreen)


# ---- shortlist -----------------------------------------------------------------------------
@run
async def test_shortlist_saves_as_it_changes_and_survives_a_restart(sample_result, tmp_path):
    path = tmp_path / "kolvet-shortlist.csv"
    ids = sample_result.creators.get_column(S.CREATOR_ID).to_list()
    app = app_for(sample_result, path)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("s", "down", "down", "s")
        saved = pl.read_csv(path, schema_overrides={S.CREATOR_ID: pl.String})
        assert saved.get_column(S.CREATOR_ID).to_list() == [ids[0], ids[2]]
        assert saved.columns == [*export.ranked_table(sample_result).columns, "scored_in", NOTE]
        await pilot.press("q")
    assert app.return_code == 0

    again = app_for(sample_result, path)
    async with again.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        assert set(again.store.notes) == {ids[0], ids[2]}
        assert table(again).marked == {ids[0], ids[2]}
        assert "★" in "".join(seg.text for seg in table(again).render_line(1))
        await pilot.press("s")  # rank 1 off again
        saved = pl.read_csv(path, schema_overrides={S.CREATOR_ID: pl.String})
        assert saved.get_column(S.CREATOR_ID).to_list() == [ids[2]]


@run
async def test_shortlist_view_notes_and_remove(sample_result, tmp_path):
    path = tmp_path / "sl.csv"
    ids = sample_result.creators.get_column(S.CREATOR_ID).to_list()
    app = app_for(sample_result, path)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("s", "down", "s", "l")
        assert isinstance(app.screen, ShortlistScreen)
        listed = app.screen.query_one("#shortlist")
        assert listed.row_count == 2
        await pilot.press("end")  # the last row, as in the ranking (not a sideways scroll)
        assert listed.cursor_row == 1 and listed.scroll_x == 0
        await pilot.press("home")
        assert listed.cursor_row == 0
        await pilot.press("n", *"=2 posts, May", "enter")
        saved = pl.read_csv(path, schema_overrides={S.CREATOR_ID: pl.String})
        assert saved.get_column(NOTE).to_list()[0] == "'=2 posts, May"  # guarded in the CSV
        assert app.store.notes[ids[0]] == "=2 posts, May"
        await pilot.press("s")  # remove the one under the cursor
        assert list(app.store.notes) == [ids[1]] and listed.row_count == 1
        await pilot.press("escape")
        assert isinstance(app.screen, RankingScreen)
        assert table(app).marked == {ids[1]}
    reopened = ShortlistStore(path)
    reopened.restore(sample_result)
    assert reopened.notes == {ids[1]: ""}


@run
async def test_shortlist_view_marks_flagged_and_watched_as_the_ranking_does(sample_result, tmp_path):
    creators = sample_result.creators
    watched = creators.filter(pl.col(F.FRAUD_WATCH).fill_null(False)).get_column(S.CREATOR_ID)[0]
    flagged = creators.filter(pl.col(F.FRAUD_FLAG).fill_null(False)).get_column(S.CREATOR_ID)[0]
    app = app_for(sample_result, tmp_path / "sl.csv")
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        app.store.toggle(watched)
        app.store.toggle(flagged)
        await pilot.press("l")
        listed = app.screen.query_one("#shortlist")
        at = {str(c.label): i for i, c in enumerate(listed.ordered_columns)}
        fraud = {str(listed.get_row(cid)[at["creator id"]]): str(listed.get_row(cid)[at["fraud"]]) for cid in (watched, flagged)}
        assert fraud[watched].startswith("? ") and fraud[flagged].startswith("⚑ ")


@run
async def test_export_brief_as_csv_and_xlsx(sample_result, tmp_path):
    ids = sample_result.creators.get_column(S.CREATOR_ID).to_list()
    app = app_for(sample_result, tmp_path / "sl.csv")
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("e")
        assert not isinstance(app.screen, ExportScreen)  # nothing to export yet: a warning instead
        await pilot.press("s", "down", "s", "e")
        assert isinstance(app.screen, ExportScreen)
        field = app.screen.query_one("#export-path")
        assert field.value == str(tmp_path / "kolvet-brief.csv")
        field.value = str(tmp_path / "brief.xlsx")
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("e")
        await pilot.click("#csv")  # the CSV button swaps the extension
        await pilot.pause()
    book = pl.read_excel(tmp_path / "brief.xlsx")
    csv = pl.read_csv(tmp_path / "brief.csv", schema_overrides={S.CREATOR_ID: pl.String})
    for brief in (book, csv):
        assert brief.get_column(S.CREATOR_ID).cast(pl.String).to_list() == ids[:2]
        assert brief.columns[: len(export.HEAD)] == list(export.HEAD) and brief.columns[-1] == NOTE
    # The XLSX brief says how it was made, as a ranking's about sheet does.
    about = dict(pl.read_excel(tmp_path / "brief.xlsx", sheet_name="about").iter_rows())
    assert about["scored_in"] == "sample_posts.csv" and about["time_zone"] == "China Standard Time (UTC+8)"


@run
async def test_export_says_when_other_inputs_ride_along_and_asks_before_replacing(sample_result, tmp_path):
    """A shortlist kept from an earlier campaign's inputs holds creators who aren't in these:
    the export dialog says so and can leave them out; a file already there is replaced only
    when asked twice."""
    ids = sample_result.creators.get_column(S.CREATOR_ID).to_list()
    earlier = ShortlistStore(tmp_path / "sl.csv", scored_in="march-crawl")
    earlier.restore(sample_result)
    earlier.toggle(ids[5])
    smaller = VetResult(sample_result.creators.filter(pl.col(S.CREATOR_ID) != ids[5]), sample_result.posts,
                        sample_result.rejected, config=sample_result.config)
    (tmp_path / "kolvet-brief.csv").write_text("someone else's brief\n", encoding="utf-8")
    app = app_for(smaller, tmp_path / "sl.csv")
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("s", "e")
        assert isinstance(app.screen, ExportScreen)
        box = app.screen.query_one("#export-carried")
        assert "1 creator shortlisted from other inputs" in str(box.label) and box.value
        box.value = False
        await pilot.press("enter")  # kolvet-brief.csv is there: the first enter only warns
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        assert "already exists" in str(app.screen.query_one("#export-error").render())
        assert (tmp_path / "kolvet-brief.csv").read_text(encoding="utf-8") == "someone else's brief\n"
        app.screen.query_one("#export-path").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, ExportScreen)
        brief = pl.read_csv(tmp_path / "kolvet-brief.csv", schema_overrides={S.CREATOR_ID: pl.String})
        assert brief.get_column(S.CREATOR_ID).to_list() == [ids[0]]  # march's pick left out
        await pilot.press("e", "enter")  # its own export again: replaced without asking, carried kept
        await pilot.pause()
        assert not isinstance(app.screen, ExportScreen)
    brief = pl.read_csv(tmp_path / "kolvet-brief.csv", schema_overrides={S.CREATOR_ID: pl.String})
    assert brief.get_column(S.CREATOR_ID).to_list() == [ids[0], ids[5]]
    assert brief.get_column("scored_in").to_list() == ["sample_posts.csv", "march-crawl"]
    with pytest.raises(ShortlistError, match="is the shortlist file itself"):
        app.store.export(tmp_path / "sl.csv")


def test_shortlist_store_never_writes_over_an_input(sample_result, tmp_path):
    """A brief exported over a notes file, or a --shortlist naming an input or a roster,
    would replace the user's data with a few shortlist rows."""
    from typer.testing import CliRunner

    from kolvet.cli import app as cli
    from kolvet.tui.shortlist_store import check_shortlist_file

    notes = tmp_path / "notes.csv"
    notes.write_text("kept\n", encoding="utf-8")
    store = ShortlistStore(tmp_path / "sl.csv", {notes.resolve()})
    store.restore(sample_result)
    store.toggle(sample_result.creators.get_column(S.CREATOR_ID)[0])
    with pytest.raises(ShortlistError, match="is one of the inputs"):
        store.export(notes)
    assert notes.read_text(encoding="utf-8") == "kept\n"
    with pytest.raises(KolvetError, match="is one of the inputs"):
        check_shortlist_file(notes, {notes.resolve()})
    roster = tmp_path / "roster.csv"
    roster.write_text("creator_id,followers,quote\nu1,1000,800\n", encoding="utf-8")
    with pytest.raises(KolvetError, match="is not a kolvet shortlist"):
        check_shortlist_file(roster, set())
    check_shortlist_file(tmp_path / "sl.csv", {notes.resolve()})  # its own earlier shortlist: fine
    check_shortlist_file(tmp_path / "new.csv", set())
    res = CliRunner().invoke(cli, ["browse", str(notes), "--shortlist", str(roster)])
    assert res.exit_code == 1 and "is not a kolvet shortlist" in res.stderr
    assert roster.read_text(encoding="utf-8").startswith("creator_id,followers,quote")


@run
async def test_unreadable_shortlist_file_is_reported_and_kept(sample_result, tmp_path):
    path = tmp_path / "sl.csv"
    path.write_bytes(b"\x00\x01 not a shortlist \xff\xfe\n")
    app = app_for(sample_result, path)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        assert any(n.severity == "error" and "sl.csv" in n.message for n in app._notifications)
        assert table(app).row_count == sample_result.creators.height  # the app carries on
        await pilot.press("s")
    assert (tmp_path / "sl.csv.unreadable").read_bytes().startswith(b"\x00\x01")
    assert pl.read_csv(path).height == 1


@run
async def test_text_from_the_data_or_the_user_is_never_markup(tmp_path):
    result = tiny_result()
    odd = result.creators.with_columns(
        pl.when(pl.col(SL.RANK) == 1).then(pl.lit("[bold]Mia[/")).otherwise(pl.col(S.NICKNAME)).alias(S.NICKNAME),
        pl.when(pl.col(SL.RANK) == 1).then(pl.lit("[red]beauty")).otherwise(pl.col(S.CATEGORY)).alias(S.CATEGORY),
    )
    result = VetResult(odd, result.posts, result.rejected, meta=result.meta, config=result.config)
    app = app_for(result, tmp_path / "[x].csv")
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("s", "l", "n", *"[/]", "enter", "escape", "c", "down", "enter")
        assert app.screen.filters.category == "[red]beauty"
        await pilot.press("slash", *"[/", "enter")
        assert "[/" in str(app.screen.query_one("#status").render())
        assert app.return_code is None  # still running: nothing raised
    assert app.store.notes == {"c001": "[/]"}


def test_store_keeps_creators_missing_from_these_inputs(sample_result, tmp_path):
    path = tmp_path / "sl.csv"
    ids = sample_result.creators.get_column(S.CREATOR_ID).to_list()
    store = ShortlistStore(path)
    store.restore(sample_result)
    store.toggle(ids[0])
    store.set_note(ids[0], "first pick")
    # the same shortlist opened against a cohort without that creator
    smaller = VetResult(sample_result.creators.filter(pl.col(S.CREATOR_ID) != ids[0]), sample_result.posts,
                        sample_result.rejected, config=sample_result.config)
    other = ShortlistStore(path)
    messages = other.restore(smaller)
    assert messages and "not in these inputs" in messages[0]
    other.toggle(ids[1])
    kept = pl.read_csv(path, schema_overrides={S.CREATOR_ID: pl.String})
    assert kept.get_column(S.CREATOR_ID).to_list() == [ids[1], ids[0]]
    assert kept.get_column(NOTE).to_list() == ["", "first pick"]
    # The brief says which rows were ranked in other inputs: their rank 1 isn't this run's.
    assert kept.get_column("scored_in").to_list() == ["these inputs", "other inputs (not in these; rank and score from then)"]
    with pytest.raises(ShortlistError):
        other.export(tmp_path / "brief.txt")


def test_a_brief_names_the_inputs_each_row_was_scored_in(sample_result, tmp_path):
    path = tmp_path / "sl.csv"
    ids = sample_result.creators.get_column(S.CREATOR_ID).to_list()
    march = ShortlistStore(path, scored_in="march-crawl + roster.csv")
    march.restore(sample_result)
    march.toggle(ids[0])
    smaller = VetResult(sample_result.creators.filter(pl.col(S.CREATOR_ID) != ids[0]), sample_result.posts,
                        sample_result.rejected, config=sample_result.config)
    april = ShortlistStore(path, scored_in="april-crawl")
    april.restore(smaller)
    april.toggle(ids[1])
    kept = pl.read_csv(path, schema_overrides={S.CREATOR_ID: pl.String})
    assert dict(kept.select(S.CREATOR_ID, "scored_in").iter_rows()) == {ids[1]: "april-crawl", ids[0]: "march-crawl + roster.csv"}


def test_a_shortlist_that_cannot_be_saved_stays_as_on_disk(sample_result, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    store = ShortlistStore(blocker / "sl.csv")  # a file where its folder should be
    store.restore(sample_result)
    first = sample_result.creators.get_column(S.CREATOR_ID).item(0)
    with pytest.raises(ShortlistError):
        store.toggle(first)
    assert first not in store and len(store) == 0


def test_help_lists_every_key(tmp_path):
    from kolvet.tui import keys

    for _, bindings in keys.SECTIONS:
        for b in bindings:
            assert b.tooltip, f"{b.key} needs a tooltip for the help screen"
    ranking_actions = {b.action for b in keys.RANKING}
    for needed in ("toggle_shortlist", "search", "choose_category", "choose_tier", "min_score",
                   "toggle_flagged", "sort", "show_shortlist"):
        assert needed in ranking_actions


# ---- the view model ------------------------------------------------------------------------
def test_sort_picks_natural_direction_then_flips():
    s = view.Sort()
    assert s.by(SC.SCORE) == view.Sort(SC.SCORE, True)
    assert s.by(SC.SCORE).by(SC.SCORE) == view.Sort(SC.SCORE, False)
    assert s.by(S.NICKNAME) == view.Sort(S.NICKNAME, False)


def test_apply_breaks_ties_by_rank_and_puts_missing_last():
    frame = pl.DataFrame({
        SL.RANK: [1, 2, 3, 4], S.CREATOR_ID: ["a", "b", "c", "d"], S.NICKNAME: ["x", None, "y", "z"],
        S.CATEGORY: ["beauty"] * 4, M.TIER: ["nano"] * 4, SC.SCORE: [50.0, None, 50.0, 70.0],
        F.FRAUD_FLAG: [False, False, True, False],
    })
    out = view.apply(frame, view.Filters(), view.Sort(SC.SCORE, True))
    assert out.get_column(S.CREATOR_ID).to_list() == ["d", "a", "c", "b"]
    out = view.apply(frame, view.Filters(hide_flagged=True, min_score=40), view.Sort())
    assert out.get_column(S.CREATOR_ID).to_list() == ["a", "d"]


def test_narrowing_from_the_last_answer_gives_the_same_rows(sample_result):
    base = view.slim(sample_result.creators)
    cats, _ = view.choices(sample_result)
    steps = [view.Filters(), view.Filters(text="0"), view.Filters(text="00"), view.Filters(text="002"),
             view.Filters(text="002", category=cats[0]), view.Filters(text="002", category=cats[0], min_score=30),
             view.Filters(text="002", category=cats[0], min_score=50, hide_flagged=True),
             view.Filters(text="00"), view.Filters(min_score=50), view.Filters()]
    for sort in (view.Sort(), view.Sort(SC.SCORE, True)):
        last = None
        for f in steps:
            out = view.apply(base, f, sort, last)
            assert out.equals(view.apply(base, f, sort)), (f, sort)
            last = view.Shown(f, sort, out)
    assert view.Filters(text="ab").narrows(view.Filters(text="A"))
    assert not view.Filters(text="b").narrows(view.Filters(text="a"))
    assert not view.Filters(min_score=20).narrows(view.Filters(min_score=30))
    assert not view.Filters().narrows(view.Filters(hide_flagged=True))


# ---- snapshots -----------------------------------------------------------------------------
def tiny_result() -> VetResult:
    """Five creators with fixed numbers (one flagged with boosted notes, one without a
    nickname, one with too few notes), so snapshots don't move when scoring is tuned."""
    creators = pl.DataFrame({
        SL.RANK: [1, 2, 3, 4, 5],
        S.CREATOR_ID: ["c001", "c002", "c003", "c004", "c005"],
        S.NICKNAME: ["小鹿爱护肤", "Travel Tom", "美食日记", None, "宝妈小林"],
        S.CATEGORY: ["beauty", "travel", "food", "fashion", "mother_baby"],
        M.TIER: ["micro", "nano", "micro", "mid", "nano"],
        S.FOLLOWERS: [17593, 2262, 51709, 162546, 820],
        M.N_POSTS: [17, 23, 41, 12, 3], M.N_POSTS_TOTAL: [40, 23, 41, 30, 3],
        SC.SCORE: [86.1, 73.2, 31.8, 48.0, None],
        M.SAVE_RATE: [0.0707, 0.0407, 0.0288, 0.012, None],
        M.ENGAGEMENT_RATE: [0.1624, 0.1348, 0.0823, 0.05, None],
        M.SAVE_LIKE: [0.98, 0.5, 0.26, 0.4, None],
        F.FRAUD_SCORE: [0.28, 0.18, 0.78, 0.31, None],
        F.FRAUD_FLAG: [False, False, True, False, None],
        F.FRAUD_REASONS: ["", "", "20% of notes look boosted (peers: 1.0%); comments are only 0.03x likes", "", ""],
        F.FRAUD_PATTERN: ["", "", "boosted notes", "", ""],
        F.FRAUD_MODE: ["forest"] * 5,
        SL.VERDICT: ["shortlist", "shortlist", "reject", "review", "insufficient_data"],
        SL.VERDICT_REASON: ["score 86.1 >= 60.0", "score 73.2 >= 60.0", "likely fake engagement (boosted notes)",
                            "score 48.0 between 40.0 and 60.0", "only 3 notes in the window; 5 needed to judge"],
        M.RATE_BASIS: ["views"] * 5,
        SC.SAVE_QUALITY: [92.3, 70.0, 30.0, 45.0, None], SC.ENGAGEMENT_QUALITY: [88.7, 72.0, 40.0, 50.0, None],
        SC.QUALITY_SCORE: [86.1, 73.2, 36.0, 48.0, None], SC.AUTHENTICITY_PENALTY: [0.0, 0.0, 4.2, 0.0, None],
        SL.PEER_PERCENTILE: [100.0, 80.0, 10.0, 40.0, None],
        SL.PEER_GROUP: ["beauty peers", "travel nano peers", "food micro peers", "the whole cohort", None],
        SC.EXPECTED_SAVE_RATE: [0.0195, 0.021, 0.018, 0.015, None],
        SC.SAVES_VS_EXPECTED: [3.46, 1.94, 1.6, 0.8, None],
        M.WEIGHTED_RATE: [0.4355, 0.31, 0.21, 0.12, None],
        SC.EXPECTED_WEIGHTED_RATE: [0.1497, 0.15, 0.14, 0.13, None],
        SC.ENGAGEMENT_VS_EXPECTED: [2.91, 2.07, 1.5, 0.92, None],
        SC.COMMENT_DEPTH: [78.2, 60.0, 12.0, 50.0, None], M.COMMENT_LIKE: [0.22, 0.15, 0.03, 0.1, None],
        SC.COMMENT_DEPTH_VS_PEERS: [1.97, 1.2, 0.25, 1.0, None],
        SC.CONSISTENCY: [73.4, 65.0, 20.0, 50.0, None], M.HIT_RATE: [0.06, 0.04, 0.21, 0.08, None],
        SC.SPREAD_VS_COHORT: [0.78, 0.86, 1.9, None, None],
        M.POSTS_PER_WEEK: [1.75, 1.8, 3.2, 1.0, None],
        SC.BENCHMARK: ["beauty top", "travel top", "food typical", "fashion typical", None],
    })
    start = datetime(2025, 4, 1, 12, 0)
    n = 14
    interactions = [300, 280, 350, 320, 2900, 3100, 310, 290, 2700, 330, 300, 340, 310, 295]
    posts = pl.DataFrame({
        S.CREATOR_ID: ["c003"] * n,
        S.POST_ID: [f"n{i:03d}" for i in range(n)],
        S.POSTED_AT: [start + timedelta(days=5 * i) for i in range(n)],
        S.TITLE: ["平价好物分享", "周末探店"] * (n // 2),
        S.POST_TYPE: ["image", "video"] * (n // 2),
        S.LIKES: [int(v * 0.6) for v in interactions],
        S.SAVES: [int(v * 0.3) for v in interactions],
        S.COMMENTS: [int(v * 0.05) for v in interactions],
        S.SHARES: [int(v * 0.05) for v in interactions],
        S.VIEWS: [v * 20 for v in interactions],
        M.INTERACTIONS: interactions,
        M.IN_WINDOW: [True] * n,
        F.BOOSTED: [v > 1000 for v in interactions],
        F.BOOST_REASON: ["9.6x the creator's median engagement" if v > 1000 else None for v in interactions],
    })
    rejected = pl.DataFrame(schema={S.SOURCE: pl.String, S.ROW: pl.Int64, S.REASON: pl.String})
    return VetResult(creators, posts, rejected, meta={"weights": "likes=1, saves=4, comments=2.5, shares=4"},
                     config=Config())


@pytest.fixture
def tiny_app(tmp_path, monkeypatch) -> KolvetBrowser:
    monkeypatch.chdir(tmp_path)  # a relative shortlist path keeps the status line the same on every run
    result = tiny_result()
    return create_app(lambda: result, Path("kolvet-shortlist.csv"), "posts.csv")


def test_snapshot_ranking(snap_compare, tiny_app):
    async def ready(pilot):
        await loaded(pilot)
        await pilot.press("down", "s")  # a shortlisted, highlighted row
        pilot.app.clear_notifications()  # the "added" toast would cover the table
        await pilot.pause()

    assert snap_compare(tiny_app, terminal_size=(130, 16), run_before=ready)


def test_snapshot_detail(snap_compare, tiny_app):
    async def ready(pilot):
        await loaded(pilot)
        await pilot.press("down", "down", "enter")

    assert snap_compare(tiny_app, terminal_size=(130, 50), run_before=ready)


def test_snapshot_help(snap_compare, tiny_app):
    async def ready(pilot):
        await loaded(pilot)
        await pilot.press("question_mark")

    assert snap_compare(tiny_app, terminal_size=(100, 48), run_before=ready)
