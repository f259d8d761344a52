from __future__ import annotations

import csv
from pathlib import Path

import polars as pl
import pytest

from kolvet import synth
from kolvet.pipeline import Loaded, VetResult, vet_loaded
from kolvet.schema import POST_SCHEMA

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
SAMPLE = FIXTURES / "sample_posts.csv"
SHARED = ROOT.parent / "shared"


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


def loaded_from_frame(posts: pl.DataFrame) -> Loaded:
    """Posts in canonical column names (any subset) as a Loaded bundle, skipping file I/O."""
    frame = posts.with_columns(
        *[pl.lit(None, dtype).alias(c) for c, dtype in POST_SCHEMA.items() if c not in posts.columns]
    ).select([pl.col(c).cast(t) for c, t in POST_SCHEMA.items()])
    frame = frame.with_columns(pl.col("count_precision").fill_null(0), pl.col("counts_went_down").fill_null(False),
                               pl.col("source_file").fill_null("memory"))
    empty = pl.DataFrame(schema={"source_file": pl.String, "row": pl.Int64, "reason": pl.String})
    return Loaded(frame, None, empty, [], [])


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
