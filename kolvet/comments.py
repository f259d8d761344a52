"""Comment texts: how much of a creator's crawled comments look like a bought package.

domain.md's seventh fraud signal: template comments (求链接, emoji-only, identical short
texts). Bought comment packages are written from a few templates and reused across a
creator's notes; honest comment sections repeat a little too ("好看", "求链接"), so the share
is only ever judged against peers, like every other feature. Crawlers save the first page of
each note's comments, so this is a sample: too few comments or notes give no share at all.
"""

from __future__ import annotations

import polars as pl

from kolvet import schema as S

COMMENTS_READ = "comments_read"  # crawled comments on the creator's notes
TEMPLATE_SHARE = "template_comment_share"  # emoji-only, or repeated word for word under another note
TOP_REPEATED = "top_repeated_comment"  # the text repeated under the most notes
TOP_REPEATED_NOTES = "top_repeated_notes"
MIN_COMMENTS = 20  # a share of fewer is mostly chance
MIN_NOTES = 3  # "under another note" needs a few notes to mean anything
# The share is measured on at most this many comments per creator (a fixed, seeded choice):
# the more comments one reads, the more an honest section repeats itself by chance, so a
# creator with a thousand comments must not be compared with one with fifty on raw counts.
SAMPLE = 100

SIGNAL_SCHEMA: dict[str, pl.DataType] = {
    S.CREATOR_ID: pl.String(), COMMENTS_READ: pl.UInt32(), TEMPLATE_SHARE: pl.Float64(),
    TOP_REPEATED: pl.String(), TOP_REPEATED_NOTES: pl.UInt32(),
}


def normalise(text: pl.Expr) -> pl.Expr:
    """What is left of a comment once XHS emoji codes ([赞R]), emoji, punctuation, spaces and case
    are gone: "太好看了吧！！[赞R]" and "太好看了吧" are the same template."""
    return (text.str.replace_all(r"\[[^\[\]]{1,10}\]", "")
            .str.replace_all(r"[\p{P}\p{S}\s]+", "")
            .str.to_lowercase())


def quoted(text: str, limit: int = 40) -> str:
    """A comment as kolvet quotes it in a reason or an explanation: on one line, cut at `limit`
    characters, with ASCII ";" and '"' in their full-width forms, since reasons are joined by
    "; " and read back apart."""
    one_line = " ".join(text.split())
    short = one_line if len(one_line) <= limit else one_line[:limit] + "…"
    return short.replace(";", "；").replace('"', "＂")


def comment_signals(comments: pl.DataFrame | None) -> pl.DataFrame:
    """Per creator with crawled comments: how many were read, the share of a SAMPLE of them
    that is emoji-only or repeated word for word under another of its notes (null below
    MIN_COMMENTS comments or MIN_NOTES notes), and the sample's most repeated text with the
    number of notes it appears under. `comments` are attached to their creators
    (schema.attach_comments)."""
    if comments is None or comments.height == 0:
        return pl.DataFrame(schema=SIGNAL_SCHEMA)
    lazy = comments.lazy()
    counted = lazy.group_by(S.CREATOR_ID).agg(pl.len().cast(pl.UInt32).alias(COMMENTS_READ))
    pick = pl.struct(S.POST_ID, S.COMMENT_TEXT, S.ROW).hash(seed=11)
    read = (lazy.sort([S.CREATOR_ID, pick, S.SOURCE, S.ROW]).group_by(S.CREATOR_ID, maintain_order=True).head(SAMPLE)
            .with_columns(normalise(pl.col(S.COMMENT_TEXT)).alias("_norm")))
    repeats = (read.filter(pl.col("_norm") != "")
               .group_by(S.CREATOR_ID, "_norm")
               .agg(pl.col(S.POST_ID).n_unique().alias("_notes"), pl.col(S.COMMENT_TEXT).min().alias("_text")))
    template = (pl.col("_norm") == "") | (pl.col("_notes") >= 2)
    enough = (pl.len() >= MIN_COMMENTS) & (pl.col(S.POST_ID).n_unique() >= MIN_NOTES)
    shares = (read.join(repeats.select(S.CREATOR_ID, "_norm", "_notes"), on=[S.CREATOR_ID, "_norm"], how="left")
              .group_by(S.CREATOR_ID)
              .agg(pl.when(enough).then(template.mean()).alias(TEMPLATE_SHARE))
              .join(counted, on=S.CREATOR_ID))
    top = (repeats.filter(pl.col("_notes") >= 2)
           .sort([S.CREATOR_ID, "_notes", "_norm"], descending=[False, True, False])
           .unique(S.CREATOR_ID, keep="first")
           .select(S.CREATOR_ID, pl.col("_text").alias(TOP_REPEATED), pl.col("_notes").cast(pl.UInt32).alias(TOP_REPEATED_NOTES)))
    out = shares.join(top, on=S.CREATOR_ID, how="left").sort(S.CREATOR_ID).collect()
    return out.select(pl.col(c).cast(t) for c, t in SIGNAL_SCHEMA.items())
