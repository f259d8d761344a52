"""The ranking table: a Line-API widget that renders only the rows on screen.

Textual's DataTable keeps every row as Python objects, which is seconds of work for 100k
creators and again on every filter. This table holds the filtered Polars frame and formats
just the visible lines when Textual asks for them, so showing a new filter result costs the
same for 300 creators as for 100k."""

from __future__ import annotations

from typing import Any, ClassVar

import polars as pl
from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from kolvet import fraud as F
from kolvet import schema as S
from kolvet import shortlist as SL
from kolvet.tui.columns import COLUMNS, SHORTLIST_MARK, Column, fraud_cell, narrow_order

MARK_WIDTH = 2  # the shortlist star and a space
GAP = 1
FIXED_COLUMNS = 2  # rank and nickname


def _fit(text: str, width: int, right: bool) -> str:
    """Pad or cut to exactly `width` cells (CJK nicknames are two cells a character)."""
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…"
    pad = " " * (width - cell_len(text))
    return pad + text if right else text + pad


class CreatorTable(ScrollView, can_focus=True):
    """Ranked creators, a header row that stays put, a row cursor, and shortlist marks."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "First", show=False),
        Binding("end", "jump(-1)", "Last", show=False),
        Binding("enter", "select", "Detail"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "creator-table--header", "creator-table--sorted", "creator-table--cursor",
        "creator-table--mark", "creator-table--flagged", "creator-table--watch", "creator-table--missing",
        "creator-table--shortlist", "creator-table--review", "creator-table--reject",
        "creator-table--insufficient_data",
    }

    DEFAULT_CSS = """
    CreatorTable { background: $surface; }
    CreatorTable > .creator-table--header { text-style: bold; background: $panel; color: $text; }
    CreatorTable > .creator-table--sorted { text-style: bold underline; background: $panel; color: $accent; }
    CreatorTable > .creator-table--cursor { background: $block-cursor-background; color: $block-cursor-foreground; }
    CreatorTable:blur > .creator-table--cursor { background: $block-cursor-blurred-background; }
    CreatorTable > .creator-table--mark { color: $warning; text-style: bold; }
    CreatorTable > .creator-table--flagged { color: $error; text-style: bold; }
    CreatorTable > .creator-table--watch { color: $warning; }
    CreatorTable > .creator-table--missing { color: $text-muted; }
    CreatorTable > .creator-table--shortlist { color: $success; }
    CreatorTable > .creator-table--review { color: $warning; }
    CreatorTable > .creator-table--reject { color: $error; }
    CreatorTable > .creator-table--insufficient_data { color: $text-muted; }
    """

    class Highlighted(Message):
        """The cursor moved onto a creator (None when the table is empty)."""

        def __init__(self, creator_id: str | None) -> None:
            super().__init__()
            self.creator_id = creator_id

    class Selected(Message):
        """Enter (or a double click) on a creator."""

        def __init__(self, creator_id: str) -> None:
            super().__init__()
            self.creator_id = creator_id

    class HeaderClicked(Message):
        def __init__(self, column: str) -> None:
            super().__init__()
            self.column = column

    def __init__(self, columns: tuple[Column, ...] = COLUMNS, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.frame = pl.DataFrame()
        self.cursor_row = 0
        self.sort_column: str | None = SL.RANK
        self.sort_descending = False
        self.marked: set[str] | frozenset[str] = frozenset()
        self._index: dict[str, int] = {}
        self._row_cache: dict[int, tuple[Any, ...]] = {}
        self.set_columns(columns)

    def set_columns(self, columns: tuple[Column, ...]) -> None:
        """The columns to draw (cpe joins them when the inputs carry quotes), in this order
        when they fit the table's width, else with the deciding ones first (narrow_order)."""
        self.given_columns = columns
        self._arrange()

    def on_resize(self, event: events.Resize) -> None:
        self._arrange()

    def _arrange(self) -> None:
        columns = self.given_columns
        full = MARK_WIDTH + sum(c.width + GAP for c in columns)
        width = self.scrollable_content_region.width
        if 0 < width < full:
            columns = narrow_order(columns, FIXED_COLUMNS)
        if getattr(self, "columns", None) == columns:
            return
        self.columns = columns
        self._row_width = full
        # The mark, rank and nickname stay put when the table scrolls sideways (narrow
        # terminals), so a row's fraud and verdict cells are never read without whose they are.
        self._fixed_width = MARK_WIDTH + sum(c.width + GAP for c in columns[:FIXED_COLUMNS])
        self.virtual_size = Size(self._row_width, self.frame.height + 1)
        self.refresh()

    # ---- data ------------------------------------------------------------------------------
    def show(self, frame: pl.DataFrame, keep: str | None = None) -> None:
        """Show a new (filtered, sorted) frame. The cursor stays on `keep` if it is still
        there, else goes to the first row."""
        self.frame = frame
        self._index = {name: i for i, name in enumerate(frame.columns)}
        self._row_cache.clear()
        row = 0
        if keep is not None and frame.height:
            hits = frame.get_column(S.CREATOR_ID).index_of(keep)
            row = hits if hits is not None else 0
        self.virtual_size = Size(self._row_width, frame.height + 1)
        self.cursor_row = row
        self.scroll_to(y=0, animate=False, immediate=True)
        self._scroll_cursor_into_view(centre=True)
        self.refresh()
        self.post_message(self.Highlighted(self.current_id))

    def set_marks(self, marked: set[str] | frozenset[str]) -> None:
        self.marked = frozenset(marked)
        self.refresh()

    def set_sort(self, column: str, descending: bool) -> None:
        self.sort_column, self.sort_descending = column, descending
        self.refresh()

    @property
    def row_count(self) -> int:
        return self.frame.height

    @property
    def current_id(self) -> str | None:
        if not self.frame.height:
            return None
        return self._row(self.cursor_row)[self._index[S.CREATOR_ID]]

    def _row(self, i: int) -> tuple[Any, ...]:
        row = self._row_cache.get(i)
        if row is None:
            if len(self._row_cache) > 4096:  # a long scroll; rows are cheap to fetch again
                self._row_cache.clear()
            row = self._row_cache[i] = self.frame.row(i)
        return row

    # ---- cursor ----------------------------------------------------------------------------
    @property
    def _body_height(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)  # less the header line

    def move_cursor(self, row: int) -> None:
        if not self.frame.height:
            return
        row = max(0, min(self.frame.height - 1, row))
        if row == self.cursor_row:
            return
        self.cursor_row = row
        self._scroll_cursor_into_view()
        self.refresh()
        self.post_message(self.Highlighted(self.current_id))

    def _scroll_cursor_into_view(self, centre: bool = False) -> None:
        top, body = round(self.scroll_y), self._body_height
        if centre and not (top <= self.cursor_row < top + body):
            self.scroll_to(y=max(0, self.cursor_row - body // 2), animate=False, immediate=True)
        elif self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + body:
            self.scroll_to(y=self.cursor_row - body + 1, animate=False, immediate=True)

    def action_cursor(self, step: int) -> None:
        self.move_cursor(self.cursor_row + step)

    def action_page(self, direction: int) -> None:
        self.move_cursor(self.cursor_row + direction * self._body_height)

    def action_jump(self, where: int) -> None:
        self.move_cursor(self.frame.height - 1 if where < 0 else where)

    def action_select(self) -> None:
        cid = self.current_id
        if cid is not None:
            self.post_message(self.Selected(cid))

    async def _on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:
            column = self._column_at(self._content_x(offset.x))
            if column is not None:
                self.post_message(self.HeaderClicked(column.key))
            return
        row = round(self.scroll_y) + offset.y - 1
        if row < self.frame.height:
            self.move_cursor(row)
            if event.chain >= 2:
                self.action_select()

    def _content_x(self, x: int) -> int:
        """Where on the whole row a point on screen falls: the fixed columns don't scroll."""
        return x if x < self._fixed_width else x + round(self.scroll_x)

    def _column_at(self, x: int) -> Column | None:
        pos = MARK_WIDTH
        for col in self.columns:
            if pos <= x < pos + col.width + GAP:
                return col
            pos += col.width + GAP
        return None

    # ---- drawing ---------------------------------------------------------------------------
    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"creator-table--{name}", partial=True)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            strip = self._header_strip(base)
        else:
            i = round(self.scroll_y) + y - 1
            strip = self._row_strip(i, base) if i < self.frame.height else Strip.blank(self._row_width, base)
        x = round(self.scroll_x)
        if x == 0 or width <= self._fixed_width:
            return strip.crop_extend(x, x + width, base)
        fixed = self._fixed_width
        return Strip.join([strip.crop(0, fixed), strip.crop_extend(fixed + x, x + width, base)])

    def _header_strip(self, base: Style) -> Strip:
        header = base + self._style("header")
        segments = [Segment(" " * MARK_WIDTH, header)]
        for col in self.columns:
            sorted_here = col.key == self.sort_column
            label = col.label + (("↓" if self.sort_descending else "↑") if sorted_here else "")
            style = base + self._style("sorted") if sorted_here else header
            segments.append(Segment(_fit(label, col.width, col.right), style))
            segments.append(Segment(" " * GAP, header))
        return Strip(segments, self._row_width)

    def _row_strip(self, i: int, base: Style) -> Strip:
        row = self._row(i)
        get = self._index.get
        cid = row[self._index[S.CREATOR_ID]]
        flagged = bool(row[get(F.FRAUD_FLAG)]) if get(F.FRAUD_FLAG) is not None else False
        watched = bool(row[get(F.FRAUD_WATCH)]) if get(F.FRAUD_WATCH) is not None else False
        row_style = base + self._style("cursor") if i == self.cursor_row else base
        marked = cid in self.marked
        segments = [Segment((SHORTLIST_MARK if marked else " ") + " ", row_style + self._style("mark") if marked else row_style)]
        for col in self.columns:
            value = row[self._index[col.key]] if col.key in self._index else None
            text, style = self._cell(col, value, cid, flagged, watched)
            cell_style = row_style + self._style(style) if style else row_style
            segments.append(Segment(_fit(text, col.width, col.right), cell_style))
            segments.append(Segment(" " * GAP, row_style))
        return Strip(segments, self._row_width)

    def _cell(self, col: Column, value: Any, cid: str, flagged: bool, watched: bool = False) -> tuple[str, str | None]:
        """The text of one cell and the name of its colour cue, if any."""
        if col.key == S.NICKNAME and not value:
            return cid, "missing"  # no nickname in the data: show the id, muted
        text = col.fmt(value)
        if col.key == SL.VERDICT and value:
            return text, str(value)
        if col.key == F.FRAUD_SCORE and (flagged or watched):
            return fraud_cell(text, flagged, watched)
        if value is None:
            return text, "missing"
        return text, None
