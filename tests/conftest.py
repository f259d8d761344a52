from __future__ import annotations

import csv
import re
from pathlib import Path

import polars as pl
import pytest

from kolvet import synth
from kolvet.pipeline import Loaded, VetResult, vet_loaded

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
SAMPLE = FIXTURES / "sample_posts.csv"
SHARED = ROOT.parent / "shared"


# A small CSV of ordinary notes, for tests that inject one bad or hostile thing into it.
HEADER = ["creator_id", "post_id", "posted_at", "followers", "likes", "saves", "comments", "shares", "views", "nickname"]


def rows_for(creator: str, n: int = 8, likes: int = 120, saves: int = 50, comments: int = 12,
             followers: str = "5000", views: str = "", nickname: str | None = None) -> list[list[str]]:
    """n ordinary notes of one creator, with a little variation between notes."""
    return [[creator, f"{creator}-{i}", f"2025-05-{i + 1:02d} 12:00:00", followers, str(likes + 7 * i),
             str(saves + 3 * (i % 3)), str(comments + i % 4), str(1 + i % 2), views, nickname or f"nick-{creator}"]
            for i in range(n)]


def cohort(n: int = 12) -> list[list[str]]:
    rows: list[list[str]] = []
    for k in range(n):
        rows += rows_for(f"c{k:02d}", likes=60 + 17 * k, saves=20 + 5 * k, comments=5 + k)
    return rows


def write_rows(path: Path, rows: list[list[str]], header: list[str] = HEADER, sep: str = ",",
               encoding: str = "utf-8") -> Path:
    with open(path, "w", newline="", encoding=encoding) as fh:
        writer = csv.writer(fh, delimiter=sep)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_csv(path: Path, rows: list[dict], encoding: str = "utf-8") -> Path:
    """Write rows (dicts) as CSV with the keys of the first row as header."""
    with open(path, "w", newline="", encoding=encoding) as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def post(creator: str, i: int, likes: int, saves: int, comments: int, shares: int = 0,
         followers: int | None = 10_000, views: int | None = None, day: int = 1, category: str = "beauty",
         nickname: str | None = None) -> dict:
    """One canonical post row (strings, as a CSV would hold them)."""
    return {
        "creator_id": creator, "post_id": f"{creator}-{i}", "posted_at": f"2025-05-{day:02d} 12:00:00",
        "followers": "" if followers is None else str(followers), "likes": str(likes), "saves": str(saves),
        "comments": str(comments), "shares": str(shares), "views": "" if views is None else str(views),
        "category": category, "nickname": nickname or f"nick-{creator}",
    }


# How the first reason of each pattern reads: a flag or watch must lead with one of its own
# pattern's signs, on the suspicious side (e.g. bought followers never lead with "engagement is 3x").
PATTERN_LEADS = {
    "save farming": r"^saves are (?!only)|^saves don't move|^saves/likes barely|^saves barely grow|^saves bring few shares|"
                    r"^saves/likes swings|^notes saved more per like are shared neither",
    "comment farm": r"^comments are (?!only)|^comments don't move|^comments/likes barely|^comments barely grow|crawled comments are",
    "bought likes": r"^saves are only|^comments are only|^likes are|^engagement is (?!only)|^saves don't move|have ratios far",
    "bought followers": r"^notes reach only|^engagement is only|likes and saves per follower|of followers are active|"
                        r"^followers grew|^the jump brought",
    "boosted notes": r"look boosted",
    "boosted burst": r"notes posted within",
    "purged or deleted": r"of their likes, saves, comments or shares between snapshots|missing from a later crawl",
}


def assert_reasons_lead_with_their_pattern(out: pl.DataFrame) -> None:
    shown = out.filter(pl.col("fraud_flag") | pl.col("fraud_watch"))
    for row in shown.iter_rows(named=True):
        first = row["fraud_reasons"].removeprefix("watch (not flagged): ").split("; ")[0]
        if row["fraud_watch"] and row["fraud_pattern"] == "":  # a sign no pattern shows beside: named, not labelled
            assert first, row
            continue
        assert row["fraud_pattern"] in PATTERN_LEADS, row
        assert re.search(PATTERN_LEADS[row["fraud_pattern"]], first), (row["creator_id"], row["fraud_pattern"], first)


def loaded_from_frame(posts: pl.DataFrame) -> Loaded:
    """Posts in canonical column names (any subset) as a Loaded bundle, skipping file I/O."""
    return Loaded.from_frame(posts)


@pytest.fixture(scope="session")
def world_300() -> tuple[pl.DataFrame, pl.DataFrame]:
    return synth.generate(synth.sample_world(300, seed=3))


@pytest.fixture(scope="session")
def vetted_300(world_300) -> VetResult:
    posts, _ = world_300
    return vet_loaded(loaded_from_frame(posts))


@pytest.fixture(scope="session")
def sample_csv() -> Path:
    return SAMPLE
