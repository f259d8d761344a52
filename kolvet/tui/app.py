"""The `kolvet browse` app: vet in a worker thread, then browse, filter, sort and shortlist.

The app owns the two things every screen shares: the VetResult (set once the worker is done)
and the ShortlistStore. Screens ask the app to change the shortlist so that the file, the
ranking's marks and the status line stay in step."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from pathlib import Path

from textual.app import App
from textual.screen import Screen
from textual.worker import Worker, WorkerState, get_current_worker

from kolvet import schema as S
from kolvet.pipeline import VetResult
from kolvet.text import counted
from kolvet.tui import keys
from kolvet.tui.screens.detail import DetailScreen
from kolvet.tui.screens.pickers import ExportChoice, ExportScreen, HelpScreen
from kolvet.tui.screens.ranking import RankingScreen
from kolvet.tui.screens.shortlist import ShortlistScreen
from kolvet.tui.shortlist_store import ShortlistError, ShortlistStore

Job = Callable[[], VetResult]


class KolvetBrowser(App[None]):
    CSS_PATH = "kolvet.tcss"
    TITLE = "kolvet browse"
    ENABLE_COMMAND_PALETTE = False  # every action has a key; `?` lists them
    BINDINGS = keys.APP
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]  # kolvet.tcss fits the filters to 80 columns

    def __init__(self, job: Job, shortlist_path: Path, title: str = "", inputs: set[Path] | None = None) -> None:
        super().__init__()
        self.job = job
        self.store = ShortlistStore(shortlist_path, inputs or set(), title)
        self.result: VetResult | None = None
        self.error: BaseException | None = None  # why vetting failed; run_browser re-raises it
        self.sub_title = title
        self.ranking = RankingScreen()
        self.last_export: Path | None = None

    def get_default_screen(self) -> Screen:
        return self.ranking

    def on_mount(self) -> None:
        # Start after the first paint, so the loading state is up (and the screen fully
        # mounted) before a fast failure can end the app.
        self.call_after_refresh(self._start_vetting)

    def _start_vetting(self) -> None:
        # A thread: the pipeline is Polars and scikit-learn, which release the GIL, so the
        # screen keeps drawing the loading state while it runs.
        self.run_worker(self._vet, name="vet", group="vet", thread=True, exit_on_error=False)

    def _vet(self) -> VetResult | None:
        """In the worker thread. The job itself runs in a daemon thread, so quitting while it
        runs ends the process at once instead of waiting for the pipeline to finish."""
        outcome: dict[str, object] = {}

        def run() -> None:
            try:
                outcome["result"] = self.job()
            except BaseException as exc:  # handed to the worker below, which reports it
                outcome["error"] = exc

        thread = threading.Thread(target=run, name="kolvet-vet", daemon=True)
        thread.start()
        worker = get_current_worker()
        while thread.is_alive():
            thread.join(0.05)
            if worker.is_cancelled:
                return None
        if "error" in outcome:
            raise outcome["error"]  # type: ignore[misc]
        return outcome["result"]  # type: ignore[return-value]

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.name != "vet":
            return
        if event.state == WorkerState.SUCCESS:
            self.show_result(event.worker.result)
        elif event.state == WorkerState.ERROR:
            self.error = event.worker.error
            self.call_after_refresh(self.exit, None, 1)

    def show_result(self, result: VetResult) -> None:
        self.result = result
        # What `kolvet vet` prints about the inputs, so nothing is dropped unseen here either.
        said = [f"skipped {s.source}: {s.reason}" for s in result.skipped] + result.warnings
        for message in said[:4]:
            self.notify(message, title="Inputs", severity="warning", timeout=15, markup=False)
        if len(said) > 4:
            self.notify(f"and {len(said) - 4} more: run kolvet vet on the same inputs to see them all",
                        title="Inputs", severity="warning", timeout=15, markup=False)
        try:
            for message in self.store.restore(result):
                self.notify(message, severity="warning", timeout=8, markup=False)
        except ShortlistError as exc:
            self.notify(str(exc), title="Shortlist file", severity="error", timeout=12, markup=False)
        self.ranking.show_result(result)

    # ---- the shortlist, for every screen -----------------------------------------------
    def _saved(self, change: Callable[[], object]) -> bool:
        """Make a change to the shortlist; False (and the reason shown) when it couldn't be
        saved, in which case the store kept the shortlist as it was."""
        try:
            change()
        except ShortlistError as exc:
            self.notify(f"{exc}; the shortlist is unchanged (--shortlist FILE saves it elsewhere)",
                        severity="error", timeout=12, markup=False)
            return False
        finally:
            self.ranking.refresh_marks()
        return True

    def toggle_shortlist(self, creator_id: str) -> None:
        if not self._saved(lambda: self.store.toggle(creator_id)):
            return
        added = creator_id in self.store
        self.notify(f"{'added' if added else 'removed'} {self.creator_name(creator_id)} "
                    f"({len(self.store)} shortlisted)", timeout=2, markup=False)

    def set_note(self, creator_id: str, note: str) -> None:
        self._saved(lambda: self.store.set_note(creator_id, note))

    def drop_carried(self, creator_id: str) -> None:
        self._saved(lambda: self.store.drop_carried(creator_id))

    def creator_name(self, creator_id: str) -> str:
        row = self.result.creator(creator_id) if self.result is not None else None
        return (row or {}).get(S.NICKNAME) or creator_id

    # ---- navigation --------------------------------------------------------------------
    def open_detail(self, creator_id: str) -> None:
        if self.result is not None:
            self.push_screen(DetailScreen(creator_id))

    def open_shortlist(self) -> None:
        if self.result is not None and not isinstance(self.screen, ShortlistScreen):
            self.push_screen(ShortlistScreen())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "export":
            return True if self.result is not None else None
        return True

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_export(self) -> None:
        if self.result is None:
            return
        if not len(self.store):
            self.notify("The shortlist is empty: press s on a creator first", severity="warning")
            return

        def export(choice: ExportChoice | None) -> None:
            if choice is None:
                return
            try:
                written = self.store.export(choice.path, choice.carried)
            except ShortlistError as exc:
                self.notify(str(exc), severity="error", timeout=10, markup=False)
                return
            self.last_export = written
            count = len(self.store) if choice.carried else len(self.store.notes)
            self.notify(f"exported {counted(count, 'creator')} to {written}", timeout=6, markup=False)

        self.push_screen(ExportScreen(self.default_export_path(), len(self.store), self.store.carried.height,
                                      self.last_export), export)

    def default_export_path(self) -> Path:
        """The last export's path, else kolvet-brief.csv beside the shortlist file."""
        return self.last_export or self.store.path.with_name("kolvet-brief.csv")


def create_app(job: Job, shortlist_path: Path, title: str = "", inputs: set[Path] | None = None) -> KolvetBrowser:
    """The app without running it: tests inject a job that returns a ready VetResult.
    `inputs`: the files the job reads, which no export may write over."""
    return KolvetBrowser(job, Path(shortlist_path), title, inputs)


def run_browser(job: Job, shortlist_path: Path, title: str = "", inputs: set[Path] | None = None) -> None:
    """Run the browser in this terminal. If vetting fails, the error is raised here, after
    the terminal is restored, so the CLI reports it in one line with its exit code."""
    app = create_app(job, shortlist_path, title, inputs)
    app.run()
    if app.error is not None:
        raise app.error
    if app.return_code:  # Textual already printed what went wrong; keep its exit code
        sys.exit(app.return_code)
