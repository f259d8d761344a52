"""The shortlist view: who is on it, their notes for the brief, and where it is saved.

It lists the same table the file holds (ShortlistStore.table), so what you see is what the
campaign brief will contain."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable, Footer, Header, Static

from kolvet import fraud as F
from kolvet import metrics as M
from kolvet import schema as S
from kolvet import score as SC
from kolvet import shortlist as SL
from kolvet.text import counted
from kolvet.tui import keys
from kolvet.tui.columns import BY_KEY, fraud_cell
from kolvet.tui.screens import BrowserScreen
from kolvet.tui.screens.detail import VERDICT_STYLE
from kolvet.tui.screens.pickers import NoteScreen
from kolvet.tui.shortlist_store import NOTE
from kolvet.tui.widgets.row_table import RowTable

NOT_HERE = "not in these inputs"
FRAUD_STYLE = {"flagged": "bold red", "watch": "yellow"}  # as the ranking colours fraud_cell's cues


class ShortlistScreen(BrowserScreen):
    BINDINGS = keys.SHORTLIST

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="shortlist-title", markup=False)
        table = RowTable(id="shortlist")
        # What the pick rests on (and the note) first: an 80-column terminal shows up to the verdict.
        table.add_columns("rank", "nickname", "score", "save rate", "fraud", "verdict", "note", "creator id",
                          "category", "tier", "followers")
        yield table
        yield Static("Nothing shortlisted yet: press s on a creator in the ranking.", id="shortlist-empty")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.reload()

    def on_screen_resume(self) -> None:
        self.reload(keep=self._current())  # the detail screen may have changed the shortlist

    def reload(self, keep: str | None = None) -> None:
        store = self.browser.store
        table = self.query_one("#shortlist", DataTable)
        table.clear()
        rows = store.table()
        known = set(store.notes)
        for r in rows.iter_rows(named=True):
            cid = str(r[S.CREATOR_ID])
            here = cid in known
            verdict = str(r.get(SL.VERDICT) or "")
            flagged = str(r.get(F.FRAUD_FLAG)).lower() == "true"
            watched = str(r.get(F.FRAUD_WATCH)).lower() == "true"  # as the ranking marks it
            fraud, cue = fraud_cell(BY_KEY[F.FRAUD_SCORE].fmt(_number(r.get(F.FRAUD_SCORE))), flagged, watched)
            table.add_row(
                Text(str(r.get(SL.RANK)) if here else "-", justify="right"),
                Text(str(r.get(S.NICKNAME) or "-")),
                Text(BY_KEY[SC.SCORE].fmt(_number(r.get(SC.SCORE))), justify="right"),
                Text(BY_KEY[M.SAVE_RATE].fmt(_number(r.get(M.SAVE_RATE))), justify="right"),
                Text(fraud, style=FRAUD_STYLE.get(cue, ""), justify="right"),
                Text(verdict if here else f"{verdict} ({NOT_HERE})", style=VERDICT_STYLE.get(verdict, "") if here else "dim"),
                Text(str(r.get(NOTE) or "")),
                Text(cid), Text(str(r.get(S.CATEGORY) or "-")), Text(str(r.get(M.TIER) or "-")),
                Text(BY_KEY[S.FOLLOWERS].fmt(_number(r.get(S.FOLLOWERS), int)), justify="right"),
                key=cid,
            )
        self.query_one("#shortlist-empty").display = rows.height == 0
        self.query_one("#shortlist-title", Static).update(
            f"Shortlist: {counted(len(store), 'creator')}, saved to {store.path} as you change it · "
            "e exports a campaign brief (CSV or XLSX)")
        if keep is not None and keep in known:
            table.move_cursor(row=table.get_row_index(keep))

    def _current(self) -> str | None:
        table = self.query_one("#shortlist", DataTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def action_back(self) -> None:
        self.dismiss(None)

    def action_detail(self) -> None:
        cid = self._current()
        if cid is None:
            return
        if cid in self.browser.store.notes:
            self.browser.open_detail(cid)
        else:
            self.notify(f"{cid} is {NOT_HERE}: no notes to show", severity="warning", markup=False)

    def action_remove(self) -> None:
        cid = self._current()
        if cid is None:
            return
        row = self.query_one("#shortlist", DataTable).cursor_row
        if cid in self.browser.store.notes:
            self.browser.toggle_shortlist(cid)
        else:
            self.browser.drop_carried(cid)
        self.reload()
        table = self.query_one("#shortlist", DataTable)
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1))

    def action_note(self) -> None:
        cid = self._current()
        if cid is None or cid not in self.browser.store.notes:
            return

        def save(note: str | None) -> None:
            if note is not None:
                self.browser.set_note(cid, note)
                self.reload(keep=cid)

        self.app.push_screen(NoteScreen(cid, self.browser.store.notes[cid]), save)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_detail()


def _number(v: object, kind: type = float) -> float | int | None:
    """Carried-over rows come from the file and may hold text; show what parses."""
    if v is None or v == "":
        return None
    try:
        return kind(v)  # type: ignore[call-arg]
    except (TypeError, ValueError):
        return None
