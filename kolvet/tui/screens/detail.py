"""One creator: the score breakdown and fraud reasons (kolvet.explain, the same words as
`kolvet explain`), their notes over time with boosted notes marked, and every note listed."""

from __future__ import annotations

import re

from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Static

from kolvet import fraud as F
from kolvet import metrics as M
from kolvet import schema as S
from kolvet import shortlist as SL
from kolvet.explain import explain_lines
from kolvet.tui import keys
from kolvet.tui.columns import FLAG_MARK, SHORTLIST_MARK
from kolvet.tui.screens import BrowserScreen
from kolvet.tui.widgets.note_chart import NoteChart
from kolvet.tui.widgets.row_table import RowTable

VERDICT_STYLE = {"shortlist": "bold green", "review": "bold yellow", "reject": "bold red", "insufficient_data": "dim"}


# Where a line's wrapped part lines up: after a component's name and number, after a
# reason's dash, or two past the line's own indent.
_HANG = re.compile(r"^( +[a-z][a-z ]*? +-?[\d.]+ {2}| *- | *)")


class HangingLines:
    """Lines that wrap under their own text, not at the screen's edge: a long score or reason
    line stays readable in a narrow terminal."""

    def __init__(self, lines: list[tuple[str, str]]) -> None:
        self.lines = lines  # (line, style)

    @property
    def plain(self) -> str:
        return "\n".join(line for line, _ in self.lines)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        for line, style in self.lines:
            head = _HANG.match(line).group(1)
            hang = len(head) if head.strip() else len(head) + 2
            if hang > width // 2:
                hang = 2
            body = Text(line[len(head):], style=style)
            for i, part in enumerate(body.wrap(console, max(width - hang, 10))):
                yield Text(head if i == 0 else " " * hang, style=style) + part if i or head else part


def _count(v: object) -> str:
    return "-" if v is None else f"{v:,}"


class DetailScreen(BrowserScreen):
    BINDINGS = keys.DETAIL

    def __init__(self, creator_id: str) -> None:
        super().__init__()
        self.creator_id = creator_id

    def compose(self) -> ComposeResult:
        result = self.browser.result
        assert result is not None
        row = result.creator(self.creator_id)
        assert row is not None
        notes = result.notes_of(self.creator_id)
        self.row = row
        yield Header()
        with VerticalScroll(id="detail"):
            yield Static(self._who(), id="who")
            yield Static(self._explain(row, notes, result.meta.get("weights", ""), result.own_of(self.creator_id)), id="explain")
            yield Static(Text("Notes over time", style="bold"), classes="section")
            yield NoteChart(notes, id="chart")
            yield Static(Text("Every note, newest first", style="bold"), classes="section")
            yield self._notes_table(notes)
        yield Footer(compact=True)

    def _who(self) -> Text:
        row = self.row
        text = Text()
        marked = self.creator_id in self.browser.store
        text.append(f"{SHORTLIST_MARK} shortlisted  " if marked else "not shortlisted (s adds)  ",
                    style="bold yellow" if marked else "dim")
        text.append(f"#{row[SL.RANK]} {row.get(S.NICKNAME) or self.creator_id}", style="bold")
        text.append(f"  {self.creator_id}  ")
        text.append(str(row[SL.VERDICT]), style=VERDICT_STYLE.get(row[SL.VERDICT], ""))
        if row.get(F.FRAUD_FLAG):
            text.append(f"  {FLAG_MARK} flagged", style="bold red")
        return text

    @staticmethod
    def _explain(row: dict, notes, weights: str, own: dict) -> HangingLines:
        styled = []
        for line in explain_lines(row, notes, weights, own=own):
            style = ""
            if line.startswith("Fake engagement: FLAGGED") or line.startswith("  - "):
                style = "red"
            elif line.endswith(":") and not line.startswith(" "):
                style = "bold"
            styled.append((line, style))
        return HangingLines(styled)

    @staticmethod
    def _notes_table(notes) -> RowTable:
        table = RowTable(id="notes")
        table.add_columns("posted", "type", "title", "likes", "saves", "comments", "shares", "views",
                          "interactions", "judged", "note flag")
        for r in notes.reverse().iter_rows(named=True):
            hot = bool(r.get(F.BOOSTED))
            style = "bold red" if hot else ""
            cells = [
                f"{r[S.POSTED_AT]:%Y-%m-%d %H:%M}", r.get(S.POST_TYPE) or "-", (r.get(S.TITLE) or "-")[:28],
                _count(r.get(S.LIKES)), _count(r.get(S.SAVES)), _count(r.get(S.COMMENTS)),
                _count(r.get(S.SHARES)), _count(r.get(S.VIEWS)), _count(r.get(M.INTERACTIONS)),
                "yes" if r.get(M.IN_WINDOW) else "no",
                f"{FLAG_MARK} {r.get(F.BOOST_REASON) or 'boosted'}" if hot
                else "counts fell between snapshots (purged)" if r.get(S.COUNT_DROPPED)
                else "missing from a later crawl (deleted)" if r.get(S.NOTE_VANISHED) else "",
            ]
            table.add_row(*(Text(str(c), style=style, justify="right" if 3 <= i <= 8 else "left")
                            for i, c in enumerate(cells)))
        return table

    def refresh_who(self) -> None:
        self.query_one("#who", Static).update(self._who())

    def action_back(self) -> None:
        self.dismiss(None)

    def action_toggle_shortlist(self) -> None:
        self.browser.toggle_shortlist(self.creator_id)
        self.refresh_who()
