"""Screens of the kolvet browser, and the two shapes they share."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from textual.screen import ModalScreen, Screen

if TYPE_CHECKING:
    from kolvet.tui.app import KolvetBrowser

ResultT = TypeVar("ResultT")


class BrowserScreen(Screen[None]):
    """A full screen of the browser, with typed access to the app's result and shortlist."""

    @property
    def browser(self) -> KolvetBrowser:
        return self.app  # type: ignore[return-value]


class Dialog(ModalScreen[ResultT]):
    """A modal dialog that escape cancels (it dismisses with None)."""

    BINDINGS = [("escape", "dismiss_none", "Cancel")]

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
