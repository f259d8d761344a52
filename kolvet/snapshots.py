"""What repeated crawls of the same creators tell, beyond each note's newest counts
(domain.md, fake-engagement signals 5 and 6). Crawlers such as MediaCrawler write one file a day,
and agencies re-crawl the creators they watch, so the inputs often hold several snapshots:

- profiles crawled on several days give each creator's followers day by day: a follower series,
  as a marketplace export gives one, so followers delivered in a few days show as a jump;
- a note that a later crawl should have re-read, and didn't, was deleted (flops a creator hides,
  or notes the platform took down): schema.NOTE_VANISHED.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from kolvet import schema as S

# A pause this long between a creator's snapshots starts a new crawl of it; a crawl that walks a
# creator's notes, newest first, takes minutes to hours.
CRAWL_GAP = timedelta(hours=6)
# More notes missing in a row than this is a crawl that stopped short or skipped, not deletions.
MAX_MISSING_RUN = 3
# XHS lets a creator pin up to 3 notes, shown first whatever their age: a later crawl counts as
# reaching past a note only when it re-read more older notes than pinned ones can explain.
MIN_OLDER_SEEN = 4


def series_from_snapshots(creators: pl.DataFrame) -> pl.DataFrame:
    """Creators rows (every snapshot, before schema.merge_creator_rows) with each creator crawled
    on two or more days given a follower series: its followers on each crawl day (the day's last
    snapshot), joined with any series the rows carry (whose points win a shared day, being the
    platform's own count). Other creators' rows are returned as they are."""
    crawled = (
        creators.filter(pl.col(S.SNAPSHOT_AT).is_not_null() & pl.col(S.FOLLOWERS).is_not_null())
        .select(S.CREATOR_ID, S.SNAPSHOT_AT, S.FOLLOWERS, pl.col(S.SNAPSHOT_AT).dt.date().alias("date"))
    )
    several = crawled.group_by(S.CREATOR_ID).agg(pl.col("date").n_unique().alias("_days")).filter(pl.col("_days") >= 2)
    if several.height == 0:
        return creators
    ids = several.select(S.CREATOR_ID)
    daily = (
        crawled.join(ids, on=S.CREATOR_ID).sort(S.CREATOR_ID, S.SNAPSHOT_AT, maintain_order=True)
        .group_by(S.CREATOR_ID, "date", maintain_order=True).agg(pl.col(S.FOLLOWERS).last().alias("followers"))
        .with_columns(pl.lit(1, pl.UInt8).alias("_from"))
    )
    given = (
        creators.join(ids, on=S.CREATOR_ID).select(S.CREATOR_ID, S.FOLLOWER_SERIES)
        .explode(S.FOLLOWER_SERIES).drop_nulls(S.FOLLOWER_SERIES).unnest(S.FOLLOWER_SERIES)
        .with_columns(pl.lit(0, pl.UInt8).alias("_from"))
    )
    points = (
        pl.concat([given.select(daily.columns), daily])
        .sort(S.CREATOR_ID, "date", "_from", maintain_order=True)
        .unique([S.CREATOR_ID, "date"], keep="first", maintain_order=True)
    )
    series = points.group_by(S.CREATOR_ID, maintain_order=True).agg(
        pl.struct("date", "followers").alias("_series")).with_columns(pl.col("_series").cast(S.CREATOR_SCHEMA[S.FOLLOWER_SERIES]))
    return (creators.join(series, on=S.CREATOR_ID, how="left", maintain_order="left")
            .with_columns(pl.coalesce("_series", S.FOLLOWER_SERIES).alias(S.FOLLOWER_SERIES)).drop("_series"))


def one_row_per_creator(creators: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A creators table (profiles or a roster, every snapshot) as one row per creator, with a
    follower series from its crawl days, and the rows set aside (schema.merge_creator_rows)."""
    return S.merge_creator_rows(series_from_snapshots(creators))


def mark_vanished(posts: pl.DataFrame) -> pl.DataFrame:
    """Notes rows (every snapshot, before schema.merge_snapshots) with NOTE_VANISHED set on each row
    of a note that a later crawl of its creator should have re-read and didn't.

    A crawl is a creator's run of snapshots without a CRAWL_GAP pause. A note last seen in one
    crawl has vanished when a later crawl re-read (read again, after an earlier crawl) notes
    posted before it (MIN_OLDER_SEEN or more) and after it, with at most MAX_MISSING_RUN notes
    not re-read in a row around it. So a later crawl that stopped short, went on where an earlier
    one stopped, or only read the newest notes (and the pinned ones) marks nothing; nor do files
    whose snapshot times are missing."""
    known = pl.col(S.SNAPSHOT_AT).is_not_null() & pl.col(S.POSTED_AT).is_not_null()
    looks = posts.filter(known).select(S.CREATOR_ID, S.POST_ID, S.POSTED_AT, S.SNAPSHOT_AT)
    # Only creators whose snapshots span more than one crawl can show anything.
    spans = looks.group_by(S.CREATOR_ID).agg((pl.col(S.SNAPSHOT_AT).max() - pl.col(S.SNAPSHOT_AT).min()).alias("_span"))
    several = spans.filter(pl.col("_span") > CRAWL_GAP).select(S.CREATOR_ID)
    if several.height == 0:
        return posts
    looks = (
        looks.join(several, on=S.CREATOR_ID).sort(S.CREATOR_ID, S.SNAPSHOT_AT, S.POST_ID)
        .with_columns((pl.col(S.SNAPSHOT_AT).diff().over(S.CREATOR_ID) > CRAWL_GAP).fill_null(False)
                      .cum_sum().over(S.CREATOR_ID).cast(pl.Int64).alias("_crawl"))
    )
    # Each note's place in its creator's timeline (0 = oldest), and the first and last crawls that read it.
    notes = (
        looks.group_by(S.CREATOR_ID, S.POST_ID).agg(pl.col(S.POSTED_AT).last(), pl.col("_crawl").min().alias("_first"),
                                                    pl.col("_crawl").max().alias("_last"))
        .sort(S.CREATOR_ID, S.POSTED_AT, S.POST_ID)
        .with_columns(pl.int_range(pl.len()).over(S.CREATOR_ID).alias("_pos"),
                      pl.col("_last").max().over(S.CREATOR_ID).alias("_crawls"))
    )
    # A note not read by a creator's last crawl is checked against each later crawl of it.
    missed = (notes.filter(pl.col("_last") < pl.col("_crawls"))
              .with_columns(pl.int_ranges(pl.col("_last") + 1, pl.col("_crawls") + 1).alias("_crawl"))
              .explode("_crawl").select(S.CREATOR_ID, S.POST_ID, "_crawl", "_pos").sort("_pos"))
    if missed.height == 0:
        return posts
    # What each crawl re-read: notes an earlier crawl had read too. (Snapshot times that are
    # really posting or edit times, as some tools write, make "crawls" that re-read nothing.)
    read = (
        looks.join(notes.select(S.CREATOR_ID, S.POST_ID, "_pos", "_first"), on=[S.CREATOR_ID, S.POST_ID])
        .filter(pl.col("_first") < pl.col("_crawl"))
        .select(S.CREATOR_ID, "_crawl", "_pos").unique().sort(S.CREATOR_ID, "_crawl", "_pos")
        .with_columns(pl.int_range(1, pl.len() + 1).over(S.CREATOR_ID, "_crawl").alias("_older_read"))
        .sort("_pos")
    )
    by = [S.CREATOR_ID, "_crawl"]
    older = missed.join_asof(read.rename({"_pos": "_below"}), left_on="_pos", right_on="_below", by=by,
                             strategy="backward", check_sortedness=False)
    around = older.join_asof(read.select(*by, pl.col("_pos").alias("_above")), left_on="_pos", right_on="_above",
                             by=by, strategy="forward", check_sortedness=False)
    gone = around.filter((pl.col("_older_read") >= MIN_OLDER_SEEN) & pl.col("_above").is_not_null()
                         & (pl.col("_above") - pl.col("_below") - 1 <= MAX_MISSING_RUN))
    marks = gone.select(S.CREATOR_ID, S.POST_ID).unique().with_columns(pl.lit(True).alias("_gone"))
    return (posts.join(marks, on=[S.CREATOR_ID, S.POST_ID], how="left", maintain_order="left")
            .with_columns((pl.col(S.NOTE_VANISHED) | pl.col("_gone").fill_null(False)).alias(S.NOTE_VANISHED)).drop("_gone"))
