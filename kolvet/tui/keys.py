"""Every key binding in one place: the screens take theirs from here and the `?` help screen
lists the same table, so the help can't drift from what the keys do. The footer leaves out
c, t and m: the filter bar shows those keys beside their fields."""

from __future__ import annotations

from textual.binding import Binding

# Keys and export before quit: at 80 columns the footer cuts what comes last.
APP = [
    Binding("question_mark", "help", "Keys", key_display="?", tooltip="this list of keys"),
    Binding("e", "export", "Export", tooltip="export the shortlist as a campaign brief, CSV or XLSX"),
    Binding("q", "quit", "Quit", tooltip="quit (the shortlist is already saved)"),
]

RANKING = [
    Binding("enter", "detail", "Detail", show=False, tooltip="the creator's score breakdown, fraud reasons and notes"),  # the table's own enter is in the footer
    Binding("s", "toggle_shortlist", "Shortlist ±", tooltip="add or remove the creator under the cursor"),
    Binding("slash", "search", "Search", key_display="/", tooltip="search nicknames and creator ids as you type"),
    Binding("c", "choose_category", "Category", show=False, tooltip="choose a category"),
    Binding("t", "choose_tier", "Tier", show=False, tooltip="choose a follower tier"),
    Binding("m", "min_score", "Min score", show=False, tooltip="only creators scoring at least this"),
    Binding("f", "toggle_flagged", "Flagged", tooltip="hide or show creators flagged for likely fake engagement"),
    Binding("o", "sort", "Sort", tooltip="sort by any column"),
    Binding("r", "reverse", "Reverse", show=False, tooltip="reverse the sort"),
    Binding("x", "clear_filters", "Clear filters", show=False, tooltip="clear every filter"),
    Binding("l", "show_shortlist", "Shortlist", tooltip="the shortlist view"),
]

DETAIL = [
    Binding("escape", "back", "Back", tooltip="back"),
    Binding("s", "toggle_shortlist", "Shortlist ±", tooltip="add or remove this creator"),
]

SHORTLIST = [
    Binding("escape", "back", "Back", tooltip="back to the ranking"),
    Binding("enter", "detail", "Detail", tooltip="the creator's detail"),
    Binding("s,delete", "remove", "Remove", tooltip="take the creator off the shortlist"),
    Binding("n", "note", "Note", tooltip="write the brief's note for the creator"),
]

# For the help screen: (where, bindings), plus the keys widgets handle themselves.
TABLE_KEYS = [("↑ ↓ j k", "move"), ("PgUp PgDn Home End", "page / first / last"),
              ("click header", "sort by that column (again: reverse)")]
INPUT_KEYS = [("enter", "keep the filter, back to the table"), ("escape", "back to the table (search: clear it)"),
              ("tab", "next filter")]
SECTIONS = [
    ("Everywhere", APP),
    ("Ranking", RANKING),
    ("Creator detail", DETAIL),
    ("Shortlist view", SHORTLIST),
]


def display(binding: Binding) -> str:
    keys = binding.key_display or binding.key
    return " ".join({"question_mark": "?", "slash": "/", "delete": "del"}.get(k, k) for k in keys.split(","))
