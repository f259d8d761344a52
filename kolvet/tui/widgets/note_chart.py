"""A creator's notes over time as two sparklines (interactions and saves), one bar per note,
with the notes the fraud stage marked as boosted drawn in red so a bought spike stands out.

Textual's Sparkline buckets values to the width and can't colour single bars, so this draws
its own: the numbers come from VetResult.notes_of(), nothing is computed here but bar heights."""

from __future__ import annotations

import polars as pl
from rich.text import Text
from textual.widget import Widget

from kolvet import fraud as F
from kolvet import metrics as M
from kolvet import schema as S

BARS = "▁▂▃▄▅▆▇█"
LABEL = 14  # width of the row labels


def bars(values: list[float | None]) -> list[str]:
    """One block character per value, scaled to the largest; missing values are a space."""
    top = max((v for v in values if v is not None), default=0) or 1
    return [" " if v is None else BARS[min(len(BARS) - 1, int(v / top * (len(BARS) - 1) + 0.5))] for v in values]


class NoteChart(Widget):
    DEFAULT_CSS = """
    NoteChart { height: 5; }
    """

    def __init__(self, notes: pl.DataFrame, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.notes = notes

    def render(self) -> Text:
        notes = self.notes
        if not notes.height:
            return Text("no notes", style="dim")
        room = max(10, self.size.width - LABEL)
        shown = notes.tail(room)  # the most recent notes when they don't all fit
        boosted = shown.get_column(F.BOOSTED).fill_null(False).to_list() if F.BOOSTED in shown.columns else [False] * shown.height
        out = Text(no_wrap=True, overflow="crop")
        for label, column in (("interactions", M.INTERACTIONS), ("saves", S.SAVES)):
            values = shown.get_column(column).to_list() if column in shown.columns else [None] * shown.height
            out.append(f"{label:<{LABEL}}", style="bold")
            for bar, hot in zip(bars(values), boosted, strict=True):
                out.append(bar, style="bold red" if hot else "cyan")
            out.append("\n")
        first, last = shown.get_column(S.POSTED_AT).min(), shown.get_column(S.POSTED_AT).max()
        span = f"{first:%Y-%m-%d}" + " " * max(1, shown.height - 20) + f"{last:%Y-%m-%d}"
        out.append(" " * LABEL + span + "\n", style="dim")
        n_boosted = sum(boosted)
        older = notes.height - shown.height
        out.append(" " * LABEL, style="dim")
        out.append(f"{shown.height} notes, oldest to newest" + (f" (the {older} older ones don't fit)" if older else ""), style="dim")
        if n_boosted:
            out.append("; ", style="dim")
            out.append(f"red = looks boosted ({n_boosted})", style="bold red")
        return out
