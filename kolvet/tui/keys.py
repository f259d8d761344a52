"""Every key binding in one place: the screens take theirs from here and the `?` help screen
lists the same table, so the help can't drift from what the keys do."""

from __future__ import annotations

from textual.binding import Binding

APP = [
    Binding("q", "quit", "Quit"),
    Binding("question_mark", "help", "Keys", key_display="?"),
    Binding("e", "export", "Export"),
]

RANKING = [
    Binding("enter", "detail", "Detail", show=False),  # the table's own enter is in the footer
    Binding("s", "toggle_shortlist", "Shortlist ±"),
    Binding("slash", "search", "Search", key_display="/"),
    Binding("c", "choose_category", "Category"),
    Binding("t", "choose_tier", "Tier"),
    Binding("m", "min_score", "Min score"),
    Binding("f", "toggle_flagged", "Hide flagged"),
    Binding("o", "sort", "Sort"),
    Binding("r", "reverse", "Reverse", show=False),
    Binding("x", "clear_filters", "Clear filters", show=False),
    Binding("l", "show_shortlist", "Shortlist"),
]

DETAIL = [
    Binding("escape", "back", "Back"),
    Binding("s", "toggle_shortlist", "Shortlist ±"),
]

SHORTLIST = [
    Binding("escape", "back", "Back"),
    Binding("enter", "detail", "Detail"),
    Binding("s,delete", "remove", "Remove"),
    Binding("n", "note", "Note"),
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
