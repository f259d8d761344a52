"""One creator's vetting in plain words, for `kolvet explain` and the browser's detail view."""

from __future__ import annotations

from typing import Any

import polars as pl

from kolvet import comments as C
from kolvet import fraud as F
from kolvet import metrics as M
from kolvet import schema as S
from kolvet import score as SC
from kolvet import shortlist as SL
from kolvet.config import Config
from kolvet.text import counted

SHOWN_NOTES = 5  # marked notes listed per kind; the rest are counted


def _pct(x: Any, digits: int = 2) -> str:
    return "n/a" if x is None else f"{x * 100:.{digits}f}%"


def _num(x: Any, fmt: str = "{:,.0f}") -> str:
    return "unknown" if x is None else fmt.format(x)


def _vs(x: Any) -> str:
    return "n/a" if x is None else f"{x:.2f}x"


def _short(value: Any, width: int = 60) -> str:
    """A roster cell on the roster: line, cut to `width` characters (the file has it whole)."""
    text = str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def _no_likes(row: dict[str, Any]) -> bool:
    """metrics.no_likes() for one output row: its ratios to likes are blank."""
    return row.get(M.LIKES_JUDGED) == 0


def _per_like(row: dict[str, Any], column: str) -> str:
    return "n/a (no likes)" if _no_likes(row) else _num(row.get(column), "{:.2f}")


def _save_like_line(row: dict[str, Any]) -> str:
    """藏赞比 against domain.md's healthy range (35-60%), saying which side it falls on."""
    ratio = row.get(M.SAVE_LIKE)
    if _no_likes(row) or ratio is None:
        return f"  藏赞比 saves/likes {_per_like(row, M.SAVE_LIKE)}"
    side = ", above that" if ratio > 0.6 else ", below that" if ratio < 0.35 else ""
    return f"  藏赞比 saves/likes {ratio:.2f}; healthy notes: 0.35-0.60{side}"


def explain_lines(row: dict[str, Any], notes: pl.DataFrame | None = None, weights: str = "",
                  config: Config | None = None, own: dict[str, Any] | None = None) -> list[str]:
    """Each component with its number, the peer comparison, and the fraud reasons; `own`:
    what the roster itself says of the creator (VetResult.own_of)."""
    basis = row.get(M.RATE_BASIS)
    per = {"views": "per view", "followers": "per follower"}.get(basis, "(no reach known)")
    name = row.get(S.NICKNAME) or row[S.CREATOR_ID]
    at_least = "at least " if row.get(S.FOLLOWERS_FLOOR) else ""  # written as "10万+"
    aside = row.get(S.ROWS_SET_ASIDE) or 0
    lines = [
        f"{name} ({row[S.CREATOR_ID]}): rank {row[SL.RANK]}, "
        + (f"score {row[SC.SCORE]:.1f}/100" if row.get(SC.SCORE) is not None else "not scored")
        + f", verdict {row[SL.VERDICT]}",
        f"  why: {row.get(SL.VERDICT_REASON) or ''}",
        f"  {M.category_words(row.get(S.CATEGORY))} creator, {at_least}{_num(row.get(S.FOLLOWERS))} followers ({row.get(M.TIER)} tier), "
        + (f"{row.get(M.N_POSTS)} notes judged of {total}" if (total := row.get(M.N_POSTS_TOTAL))
           else f"no usable notes (all {counted(aside, 'row')} set aside)" if aside
           else "no notes in the inputs")
        + (f" ({counted(aside, 'more row')} set aside)" if total and aside else "")
        + (f"; rates are {per}" if basis in ("views", "followers") else "; no followers or views known, so no rates" if total else ""),
        *([f"  newest note {row[M.LAST_POST]:%Y-%m-%d}, {counted(row[M.DAYS_SINCE_LAST], 'day')} before the as-of date"]
          if row.get(M.LAST_POST) is not None and row.get(M.DAYS_SINCE_LAST) is not None else []),
        *([f"  roster: {' · '.join(f'{k} {_short(v)}' for k, v in own.items())}"] if own else []),
        "",
    ]
    judged = row.get(SL.VERDICT) != "insufficient_data"
    if not judged and not row.get(M.N_POSTS_TOTAL):
        lines.append("Not scored: no usable notes (see why).")
    elif not judged:
        lines += [
            ("Not scored: too little data to judge (see why). What its usable notes show:" if basis in ("views", "followers")
             else "Not scored: no follower count and no views, so no rates to judge by (see why). What its usable notes show:"),
            f"  median save rate {_pct(row.get(M.SAVE_RATE))} {per}; weighted engagement {_pct(row.get(M.WEIGHTED_RATE))} {per}; "
            f"评赞比 comments/likes {_per_like(row, M.COMMENT_LIKE)}",
            "",
            (f"Peers: not compared on so little; engagement {_pct(row.get(M.ENGAGEMENT_RATE))} {per}"
             if basis in ("views", "followers") else "Peers: not compared (no rates)"),
            _save_like_line(row),
        ]
    else:
        lines += _score_lines(row, per, weights)
    return lines + _context_lines(row, notes, config or Config())


def _score_lines(row: dict[str, Any], per: str, weights: str) -> list[str]:
    return [
        "Score components (50 = as expected for a creator of its size):",
        f"  save quality        {_num(row.get(SC.SAVE_QUALITY), '{:5.1f}')}  median save rate {_pct(row.get(M.SAVE_RATE))} {per}; "
        f"{_vs(row.get(SC.SAVES_VS_EXPECTED))} the {_pct(row.get(SC.EXPECTED_SAVE_RATE))} expected",
        f"  engagement quality  {_num(row.get(SC.ENGAGEMENT_QUALITY), '{:5.1f}')}  weighted engagement {_pct(row.get(M.WEIGHTED_RATE))} {per}; "
        f"{_vs(row.get(SC.ENGAGEMENT_VS_EXPECTED))} the {_pct(row.get(SC.EXPECTED_WEIGHTED_RATE))} expected"
        + (f" ({weights})" if weights else ""),
        ("  comment depth         n/a  no likes to count comments against: left out of the score"
         if _no_likes(row) else
         f"  comment depth       {_num(row.get(SC.COMMENT_DEPTH), '{:5.1f}')}  评赞比 comments/likes {_per_like(row, M.COMMENT_LIKE)}; "
         f"{_vs(row.get(SC.COMMENT_DEPTH_VS_PEERS))} the category median"),
        f"  consistency         {_num(row.get(SC.CONSISTENCY), '{:5.1f}')}  "
        + (f"its notes' engagement varies {row[SC.SPREAD_VS_COHORT]:.2f}x as much as the cohort's typical creator's; "
           if row.get(SC.SPREAD_VS_COHORT) is not None else "too few notes to judge, so it scores a neutral 50; ")
        + f"hit rate {_pct(row.get(M.HIT_RATE), 0)} of notes >= 3x own median; {_num(row.get(M.POSTS_PER_WEEK), '{:.1f}')} notes a week",
        f"  quality score {_num(row.get(SC.QUALITY_SCORE), '{:.1f}')} - authenticity penalty "
        f"{_num(row.get(SC.AUTHENTICITY_PENALTY), '{:.1f}')} = {_num(row.get(SC.SCORE), '{:.1f}')}"
        + (" (a score stops at 0)" if (row.get(SC.QUALITY_SCORE) or 0) < (row.get(SC.AUTHENTICITY_PENALTY) or 0) else ""),
        *([f"  (rates are pulled toward what is expected for its size, which counts as {row[SC.PRIOR_WEIGHT]:.1f} notes "
            f"beside its {row.get(M.N_POSTS)} judged ones: the fewer its notes, the stronger the pull)"]
          if row.get(SC.PRIOR_WEIGHT) is not None else []),
        "",
        (f"Peers: ahead of {row[SL.PEER_PERCENTILE]:,.0f}% of {row.get(SL.PEER_GROUP)}; "
         if row.get(SL.PEER_PERCENTILE) is not None else "Peers: no other judged creator to compare with; ")
        + f"engagement {_pct(row.get(M.ENGAGEMENT_RATE))} {per} is {row.get(SC.BENCHMARK)}",
        _save_like_line(row),
    ]


def _context_lines(row: dict[str, Any], notes: pl.DataFrame | None, config: Config) -> list[str]:
    """Value, audience, comments and the fake-engagement verdict."""
    lines: list[str] = []
    if row.get(S.QUOTE) is not None:
        def per(cost: str, median: str, what: str) -> str:
            if row.get(cost) is None and row.get(SL.VERDICT) == "insufficient_data":
                return "none (not judged)"
            if row.get(cost) is None and row.get(median) is not None:  # a median note without any
                return f"none (its median note has no {what})"
            return _num(row.get(cost), "¥{:,.2f}")

        lines.append(f"  value: quote ¥{row[S.QUOTE]:,.0f} a note, cost per engagement {per(SC.CPE, M.MEDIAN_INTERACTIONS, 'engagement')}, "
                     f"per save {per(SC.COST_PER_SAVE, M.MEDIAN_SAVES, 'saves')} (on its median note)")
    audience = []
    lifetime, followers = row.get(S.LIFETIME_LIKES_SAVES), row.get(S.FOLLOWERS)
    if lifetime is not None:
        per = f" ({max(lifetime, 1) / followers:,.1f} per follower)" if followers else ""
        audience.append(f"{lifetime:,} likes and saves over the account's life{per}")
    if row.get(S.ACTIVE_FANS) is not None:
        audience.append(f"{row[S.ACTIVE_FANS]:.0%} of followers active")
    if row.get(M.FOLLOWER_JUMP_DATE) is not None:
        audience.append(f"largest {M.JUMP_DAYS}-day follower growth {row[M.FOLLOWER_JUMP]:+.1%} from {row[M.FOLLOWER_JUMP_DATE]}")
    elif row.get(M.FOLLOWER_JUMP) is not None:
        audience.append(f"followers didn't grow over any {M.JUMP_DAYS} days of the series")
    if audience:
        lines.append(f"  audience (from profiles or the roster): {'; '.join(audience)}")
    if row.get(C.COMMENTS_READ):
        share = row.get(C.TEMPLATE_SHARE)
        said = [f"{row[C.COMMENTS_READ]:,} crawled",
                f"{share:.0%} emoji-only or repeated under its other notes" if share is not None else "too few to judge"]
        if row.get(C.TOP_REPEATED):
            said.append(f'most repeated "{C.quoted(row[C.TOP_REPEATED])}" under {row[C.TOP_REPEATED_NOTES]} notes')
        lines.append(f"  comments: {'; '.join(said)}")
    lines.append("")
    fs = row.get(F.FRAUD_SCORE)
    if fs is None:
        lines.append(f"Fake engagement: not judged: {F.why_not_judged(row, config.fraud)}")
    elif row.get(F.FRAUD_FLAG):
        lines.append(f"Fake engagement: FLAGGED, fraud score {fs:.3f} ({row.get(F.FRAUD_PATTERN)})")
        for reason in (row.get(F.FRAUD_REASONS) or "").split("; "):
            lines.append(f"  - {reason}")
    elif row.get(F.FRAUD_WATCH):
        pattern = f"{row[F.FRAUD_PATTERN]}, " if row.get(F.FRAUD_PATTERN) else ""
        lines.append(f"Fake engagement: not flagged but on watch, fraud score {fs:.3f} ({pattern}"
                     f"-{row.get(SC.AUTHENTICITY_PENALTY) or 0:.1f} points)")
        for reason in (row.get(F.FRAUD_REASONS) or "").removeprefix("watch (not flagged): ").split("; "):
            lines.append(f"  - {reason}")
    else:
        lines.append(f"Fake engagement: not flagged, fraud score {fs:.3f} (flags need >= 0.50 and a reason a peer check confirms)")
        if fs >= config.fraud.watch_score:  # the forest finds it unusual, but no check says how
            lines.append(f"  not on watch either: that needs >= {config.fraud.watch_score:.2f} and a reason, and none of its "
                         "checks gives one (the score says the isolation forest finds it unusual, not a pattern a check confirms)")
    lines.append(f"  method: {row.get(F.FRAUD_MODE)}")
    marked = (
        (F.BOOSTED, "notes that look boosted", lambda r: r[F.BOOST_REASON]),
        (S.COUNT_DROPPED, "notes whose likes, saves or comments fell between snapshots, purged",
         lambda r: f"{r[M.INTERACTIONS]:,} interactions at the newest snapshot"),
        (S.NOTE_VANISHED, "notes missing from a later crawl that re-read the notes around them, deleted",
         lambda r: f"{r[M.INTERACTIONS]:,} interactions"),
    )
    for column, heading, detail in marked:
        picked = notes.filter(pl.col(column)) if notes is not None and column in notes.columns else None
        if picked is not None and column == F.BOOSTED and M.IN_WINDOW in picked.columns:
            # Older notes stand out the same way, but the fraud check judged the window only: said apart.
            older = picked.filter(~pl.col(M.IN_WINDOW)).height
            picked = picked.filter(pl.col(M.IN_WINDOW))
            if older:
                lines.append(f"  {counted(older, 'older note')} before the judged window stand out as boosted notes do "
                             "(not judged; `kolvet vet --posts-out FILE` marks them in its boosted column)")
        if picked is not None and picked.height:
            lines.append(f"  {heading} ({picked.height}):")
            lines += [f"    {r[S.POSTED_AT]:%Y-%m-%d} {r[S.POST_ID]}: {detail(r)}" for r in picked.head(SHOWN_NOTES).iter_rows(named=True)]
            if picked.height > SHOWN_NOTES:
                lines.append(f"    ... and {picked.height - SHOWN_NOTES} more (`kolvet vet --posts-out FILE` marks each in its {column} column)")
        elif (column == F.BOOSTED and picked is not None and (row.get(F.FRAUD_FLAG) or row.get(F.FRAUD_WATCH))
              and row.get(F.FRAUD_PATTERN) != "bought followers"):  # followers are bought for no note
            # A note is marked against the creator's own others: a pattern on every note marks none.
            lines.append(f"  {heading}: none stands out from its others (a note is judged against the creator's "
                         "other notes, so engagement bought for every note marks none)")
    return lines
