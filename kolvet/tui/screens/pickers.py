"""Small modal screens: choose a sort column, write a shortlist note, choose an export file,
and the key help."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from kolvet.text import counted
from kolvet.tui import keys
from kolvet.tui.columns import COLUMNS, Column
from kolvet.tui.screens import Dialog
from kolvet.tui.view import Sort


class SortScreen(Dialog[str | None]):
    """Pick the column to sort by; picking the current one reverses it."""

    def __init__(self, current: Sort, columns: tuple[Column, ...] = COLUMNS) -> None:
        super().__init__()
        self.current = current
        self.columns = columns

    def compose(self) -> ComposeResult:
        options = []
        for col in self.columns:
            now = f"  (now {'↓' if self.current.descending else '↑'}; pick again to reverse)" if col.key == self.current.column else ""
            options.append(Option(f"{col.label}{now}", id=col.key))
        with Vertical(classes="dialog narrow"):
            yield Label("Sort by", classes="dialog-title")
            yield OptionList(*options, id="sort-options")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = options.get_option_index(self.current.column)

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)


class NoteScreen(Dialog[str | None]):
    """A note for the campaign brief, e.g. "2 posts in May, quote 3,000"."""

    def __init__(self, who: str, note: str) -> None:
        super().__init__()
        self.who, self.note = who, note

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"Note for {self.who} (goes in the brief's note column)", classes="dialog-title", markup=False)
            yield Input(self.note, placeholder="e.g. 2 posts in May; ask for the video rate", id="note")
            yield Static("enter saves · escape cancels", classes="dialog-hint")

    @on(Input.Submitted)
    def _save(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip())


@dataclass(frozen=True)
class ExportChoice:
    path: Path
    carried: bool  # also the creators shortlisted while browsing other inputs


class ExportScreen(Dialog[ExportChoice | None]):
    """Where to write the campaign brief; the extension picks CSV or XLSX. Says when the
    shortlist holds creators from other inputs (an earlier campaign's picks ride along in the
    shortlist file), and asks once before replacing a file this session didn't write."""

    def __init__(self, default: Path, count: int, carried: int = 0, written: Path | None = None) -> None:
        super().__init__()
        self.default, self.count, self.carried = default, count, carried
        self.written = written  # this session's last export: replacing it needs no asking
        self._replace: Path | None = None  # the existing file the user was warned about

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"Export the shortlist ({counted(self.count, 'creator')}) as a campaign brief", classes="dialog-title")
            yield Input(str(self.default), id="export-path")
            if self.carried:
                # Their rank and score are from then: the brief's scored_in column names those inputs.
                yield Checkbox(f"also the {counted(self.carried, 'creator')} shortlisted from other inputs",
                               True, id="export-carried")
            yield Static("", id="export-error", classes="dialog-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("CSV", id="csv", variant="primary")
                yield Button("XLSX", id="xlsx")
                yield Button("Cancel", id="cancel")
            yield Static("the vet columns plus your notes · enter exports to the path above", classes="dialog-hint")

    def _finish(self, path_text: str, suffix: str | None = None) -> None:
        path = Path(path_text.strip()).expanduser()
        if suffix is not None:
            path = path.with_suffix(suffix)
        error = self.query_one("#export-error", Static)
        if path.suffix.lower() not in (".csv", ".xlsx"):
            error.update(f"{path.name}: the file must end in .csv or .xlsx")
            return
        if path.exists() and path.resolve() not in (_resolved(self.written), _resolved(self._replace)):
            self._replace = path
            error.update(f"{path.name} already exists: export again to replace it, or change the name")
            return
        carried = self.query_one("#export-carried", Checkbox).value if self.carried else False
        self.dismiss(ExportChoice(path, carried))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self._finish(event.value)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "cancel":
            self.dismiss(None)
        else:
            self._finish(self.query_one("#export-path", Input).value, f".{event.button.id}")


def _resolved(path: Path | None) -> Path | None:
    return path.resolve() if path is not None else None


class HelpScreen(ModalScreen[None]):
    BINDINGS = [("escape,question_mark", "close", "Close")]

    def compose(self) -> ComposeResult:
        text = Text()
        for title, bindings in keys.SECTIONS:
            text.append(f"{title}\n", style="bold underline")
            for b in bindings:
                text.append(f"  {keys.display(b):<20}", style="bold")
                text.append(f"{b.tooltip or b.description}\n")
            if title == "Ranking":
                for key, what in keys.TABLE_KEYS:
                    text.append(f"  {key:<20}", style="bold")
                    text.append(f"{what}\n")
                text.append("  In the filter bar\n", style="italic")
                for key, what in keys.INPUT_KEYS:
                    text.append(f"  {key:<20}", style="bold")
                    text.append(f"{what}\n")
            text.append("\n")
        text.append("escape or ? closes this", style="dim")
        with Vertical(classes="dialog help"):
            yield Label("Keys", classes="dialog-title")
            with VerticalScroll():
                yield Static(text, id="help-text")

    def action_close(self) -> None:
        self.dismiss(None)
