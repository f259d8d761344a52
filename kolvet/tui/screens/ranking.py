"""The main screen: cohort counts, the filter bar, the ranked table and a status line.

Filters and sorting run in Polars (kolvet.tui.view) on every change; the table then draws the
rows on screen. While the pipeline runs in its worker the screen shows a loading state."""

from __future__ import annotations

from dataclasses import replace
from time import monotonic

import polars as pl
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Header, Input, LoadingIndicator, Select, Static

from kolvet.pipeline import VetResult
from kolvet.tui import keys, view
from kolvet.tui.columns import BY_KEY, COLUMNS, columns_for
from kolvet.tui.screens import BrowserScreen
from kolvet.tui.screens.pickers import SortScreen
from kolvet.tui.widgets.creator_table import CreatorTable


class RankingScreen(BrowserScreen):
    BINDINGS = [*keys.RANKING, ("escape", "leave_filter", "")]
    AUTO_FOCUS = ""  # while vetting, keys go to the bindings (? and q), not into the search box

    def __init__(self) -> None:
        super().__init__()
        self.base = pl.DataFrame()  # the result's creators, only the shown columns
        self.shown = pl.DataFrame()
        self.filters = view.Filters()
        self.sort = view.Sort()
        self.by_key = dict(BY_KEY)  # the table's columns by key: kolvet's, then the roster's own
        self._last: view.Shown | None = None  # the previous answer, to narrow from
        self._started = monotonic()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("vetting…", id="summary", markup=False)
        with Horizontal(id="filters"):
            yield Input(placeholder="/ search nickname or id", id="search", compact=True)
            yield Select[str]([], prompt="c  all categories", id="category", compact=True)
            yield Select[str]([], prompt="t  all tiers", id="tier", compact=True)
            yield Input(placeholder="m  min score", id="min-score", type="number", compact=True)
            yield Static("f  flagged: shown", id="flagged")
        with Vertical(id="loading"):
            yield LoadingIndicator()
            yield Static("", id="loading-text", markup=False)
        yield CreatorTable(COLUMNS, id="table")
        yield Static("", id="status", markup=False)  # shows typed search text: never markup
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#table").display = False
        self._tick = self.set_interval(0.5, self._show_progress)
        self._show_progress()

    def _show_progress(self) -> None:
        waited = monotonic() - self._started
        self.query_one("#loading-text", Static).update(
            f"Vetting {self.app.sub_title or 'the inputs'}: reading notes, scoring, checking for fake "
            f"engagement… {waited:.0f} s")

    # ---- the result arrives ------------------------------------------------------------
    def show_result(self, result: VetResult) -> None:
        self._tick.stop()
        self.base, roster = view.table_frame(result)
        self._last = None
        self.query_one("#summary", Static).update(view.cohort_summary(result))
        categories, tiers = view.choices(result)
        # Text labels: names from the data are never read as markup
        self.query_one("#category", Select).set_options((Text(c), c) for c in categories)
        self.query_one("#tier", Select).set_options((Text(t), t) for t in tiers)
        self.query_one("#loading").display = False
        table = self.query_one("#table", CreatorTable)
        table.set_columns(columns_for(self.base, roster))
        self.by_key = {c.key: c for c in table.given_columns}
        table.display = True
        table.set_marks(set(self.browser.store.notes))
        self.refilter()
        table.focus()

    @property
    def table(self) -> CreatorTable:
        return self.query_one("#table", CreatorTable)

    def refilter(self, keep_cursor: bool = True) -> None:
        """Apply the filters and sort (Polars) and hand the result to the table. After a
        filter the cursor stays on its creator if still shown; after a sort it starts at the
        top, where the new order's best are."""
        table = self.table
        keep = table.current_id if keep_cursor else None
        self.shown = view.apply(self.base, self.filters, self.sort, self._last, self.by_key)
        self._last = view.Shown(self.filters, self.sort, self.shown)
        table.set_sort(self.sort.column, self.sort.descending)
        table.show(self.shown, keep=keep)
        self.update_status()

    def refresh_marks(self) -> None:
        self.table.set_marks(set(self.browser.store.notes))
        self.update_status()

    def update_status(self) -> None:
        store = self.browser.store
        described = self.filters.describe()
        parts = [f"showing {self.shown.height:,} of {self.base.height:,}"
                 + (f" ({described})" if described else ""),
                 f"sort: {self.sort.describe(self.by_key)}",
                 f"★ {len(store)} shortlisted → {store.path}"]
        self.query_one("#status", Static).update(" · ".join(parts))
        self.query_one("#flagged", Static).update(
            "f  flagged: hidden" if self.filters.hide_flagged else "f  flagged: shown")

    def _set_filters(self, filters: view.Filters) -> None:
        if filters != self.filters:
            self.filters = filters
            if self.browser.result is not None:  # typed while vetting: applied when the result comes
                self.refilter()

    # ---- actions -----------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("quit", "help", "leave_filter"):
            return True
        return True if self.browser.result is not None else None

    def action_detail(self) -> None:
        cid = self.table.current_id
        if cid is not None:
            self.browser.open_detail(cid)

    def action_toggle_shortlist(self) -> None:
        cid = self.table.current_id
        if cid is not None:
            self.browser.toggle_shortlist(cid)

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_choose_category(self) -> None:
        select = self.query_one("#category", Select)
        select.focus()
        select.action_show_overlay()

    def action_choose_tier(self) -> None:
        select = self.query_one("#tier", Select)
        select.focus()
        select.action_show_overlay()

    def action_min_score(self) -> None:
        self.query_one("#min-score", Input).focus()

    def action_toggle_flagged(self) -> None:
        self._set_filters(self.filters.toggled_flagged())

    def action_reverse(self) -> None:
        self.sort = view.Sort(self.sort.column, not self.sort.descending)
        self.refilter(keep_cursor=False)

    def action_sort(self) -> None:
        def chosen(column: str | None) -> None:
            if column is not None:
                self.sort_by(column)

        self.app.push_screen(SortScreen(self.sort, self.table.columns), chosen)

    def sort_by(self, column: str) -> None:
        self.sort = self.sort.by(column, self.by_key)
        self.refilter(keep_cursor=False)

    def action_clear_filters(self) -> None:
        self.query_one("#search", Input).value = ""
        self.query_one("#min-score", Input).value = ""
        self.query_one("#category", Select).clear()
        self.query_one("#tier", Select).clear()
        self._set_filters(view.Filters())
        self.table.focus()

    def action_show_shortlist(self) -> None:
        self.browser.open_shortlist()

    def action_leave_filter(self) -> None:
        """Escape in the filter bar: back to the table (and in search, clear the text)."""
        focused = self.focused
        if isinstance(focused, Input) and focused.id == "search":
            focused.value = ""
        self.table.focus()

    # ---- widget events -----------------------------------------------------------------
    @on(CreatorTable.Selected)
    def _selected(self, event: CreatorTable.Selected) -> None:
        self.browser.open_detail(event.creator_id)

    @on(CreatorTable.HeaderClicked)
    def _header(self, event: CreatorTable.HeaderClicked) -> None:
        self.sort_by(event.column)

    @on(Input.Changed, "#search")
    def _search(self, event: Input.Changed) -> None:
        self._set_filters(replace(self.filters, text=event.value.strip()))

    @on(Input.Changed, "#min-score")
    def _min_score(self, event: Input.Changed) -> None:
        try:
            value: float | None = float(event.value) if event.value.strip() else None
        except ValueError:
            return  # "-" or "." on the way to a number: keep the last good filter
        self._set_filters(replace(self.filters, min_score=value))

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.table.focus()

    @on(Select.Changed, "#category")
    def _category(self, event: Select.Changed) -> None:
        value = None if event.value is Select.NULL else str(event.value)
        self._set_filters(replace(self.filters, category=value))
        self.table.focus()  # a choice made: back to the table

    @on(Select.Changed, "#tier")
    def _tier(self, event: Select.Changed) -> None:
        value = None if event.value is Select.NULL else str(event.value)
        self._set_filters(replace(self.filters, tier=value))
        self.table.focus()  # a choice made: back to the table

