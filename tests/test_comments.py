"""Crawled comment texts: reading comment files, the template-comment share, and what it adds
to the comment-farm check."""

from __future__ import annotations

import json

import polars as pl
import pytest
from typer.testing import CliRunner

from kolvet import comments as C
from kolvet import fraud as F
from kolvet import pipeline, synth
from kolvet import schema as S
from kolvet.cli import app
from kolvet.config import Config
from kolvet.pipeline import Loaded, vet_loaded
from tests.conftest import assert_reasons_lead_with_their_pattern, loaded_from_frame, write_csv

runner = CliRunner()


def _comment(note: str, text: str, i: int) -> dict:
    """A MediaCrawler comment item."""
    return {"comment_id": f"c{i}", "create_time": 1741618800000 + i, "ip_location": "上海", "note_id": note,
            "content": text, "user_id": f"u{i}", "nickname": "路人", "like_count": "3"}


def test_a_comment_file_is_read_and_unusable_comments_are_set_aside(tmp_path):
    notes = write_csv(tmp_path / "notes.csv", [
        {"user_id": "a", "note_id": f"n{k}", "time": "2025-03-01 10:00:00", "liked_count": "10", "collected_count": "4",
         "comment_count": "2"} for k in range(3)] + [
        {"user_id": u, "note_id": "shared", "time": "2025-03-01 10:00:00", "liked_count": "1", "collected_count": "1",
         "comment_count": "1"} for u in ("a", "b")])
    items = [_comment("n0", "好看！", 1), _comment("n1", "", 2), _comment("", "求链接", 3), _comment("gone", "在哪买的", 4),
             _comment("n2", "[赞R]", 5), _comment("shared", "是谁的", 6)]
    (tmp_path / "creator_comments_2025-03-01.json").write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    loaded = pipeline.load([notes, tmp_path / "creator_comments_2025-03-01.json"], Config())
    assert loaded.comments.select(S.CREATOR_ID, S.COMMENT_TEXT).rows() == [("a", "好看！"), ("a", "[赞R]")]
    report = next(s for s in loaded.sources if s.kind == "comments")
    assert (report.family, report.rows, report.taken, report.set_aside) == ("MediaCrawler comments", 6, 2, 4)
    aside = loaded.rejected.filter(pl.col(S.SOURCE).str.ends_with(".json")).sort(S.ROW)
    assert aside.select(S.ROW, S.REASON).rows() == [
        (2, "comment_text: empty (a picture-only comment?)"), (3, "missing post_id"),
        (4, "comment's note is not among the usable notes"),
        (6, "comment's note id belongs to several creators: can't tell whose it is")]


def _signals(notes_of: dict[str, list[str]], texts: list[tuple[str, str]]) -> dict:
    posts = pl.DataFrame([{S.CREATOR_ID: c, S.POST_ID: n} for c, ns in notes_of.items() for n in ns])
    comments = pl.DataFrame({S.POST_ID: [n for n, _ in texts], S.COMMENT_TEXT: [t for _, t in texts],
                             S.COMMENTER: [None] * len(texts), S.SOURCE: "c.json", S.ROW: list(range(1, len(texts) + 1))},
                            schema=S.COMMENT_SCHEMA)
    attached, aside = S.attach_comments(comments, posts)
    assert aside.height == 0
    return {r[S.CREATOR_ID]: r for r in C.comment_signals(attached).iter_rows(named=True)}


def test_template_share_counts_emoji_only_and_texts_repeated_under_another_note():
    notes = [f"n{k}" for k in range(4)]
    varied = [(notes[k % 4], f"第{k}条认真的评论内容") for k in range(16)]
    # "太好看了吧" under two notes (punctuation and emoji codes don't make it new); "[赞R]👍" has no
    # words; "哈哈" twice under the same note is one note's thread, not a reused template.
    texts = varied + [("n0", "太好看了吧！"), ("n1", "太好看了吧[赞R]"), ("n2", "[赞R]👍"), ("n3", "哈哈"), ("n3", "哈哈")]
    got = _signals({"a": notes}, texts)["a"]
    assert got[C.COMMENTS_READ] == 21
    assert got[C.TEMPLATE_SHARE] == pytest.approx(3 / 21)
    assert (got[C.TOP_REPEATED], got[C.TOP_REPEATED_NOTES]) == ("太好看了吧[赞R]", 2)


def test_too_few_comments_or_notes_give_no_share():
    few = _signals({"a": ["n0", "n1", "n2"]}, [(f"n{k % 3}", "好看") for k in range(19)])["a"]
    one_note = _signals({"b": ["m0"]}, [("m0", f"评论{k}") for k in range(40)])["b"]
    assert few[C.TEMPLATE_SHARE] is None and one_note[C.TEMPLATE_SHARE] is None
    assert few[C.COMMENTS_READ] == 19


def test_the_share_is_measured_on_a_fixed_sample_so_busy_sections_are_not_penalised():
    """An honest creator with thousands of comments repeats itself by chance more than one with
    fifty; the share is taken over at most SAMPLE comments of each."""
    notes = [f"n{k}" for k in range(50)]
    pool = [f"话题{k}真不错" for k in range(400)]
    texts = [(notes[k % 50], pool[(k * 7919) % 400]) for k in range(3000)]
    got = _signals({"a": notes}, texts)["a"]
    assert got[C.COMMENTS_READ] == 3000
    assert got[C.TEMPLATE_SHARE] < 0.35  # on all 3,000 nearly every text repeats somewhere


@pytest.fixture(scope="module")
def comment_world():
    world = synth.World(creators=1200, seed=43, fake_rate=0.08, honest_hard_rate=0.12, views=False)
    posts, truth = synth.generate(world)
    parsed, _ = S.parse_comments(synth.comments(world, posts, truth), "comments.json")
    label = truth.select("creator_id", "pattern")
    with_comments = vet_loaded(Loaded.from_frame(posts, comments=parsed)).creators.join(label, on="creator_id")
    without = vet_loaded(loaded_from_frame(posts)).creators.join(label, on="creator_id")
    return with_comments, without


def test_template_comments_corroborate_comment_farms_and_spare_discussions(comment_world):
    with_comments, without = comment_world

    def flagged(out: pl.DataFrame, pattern: str) -> float:
        return out.filter(pl.col("pattern") == pattern).get_column(F.FRAUD_FLAG).mean()

    # Notes alone already catch this world's farms (their bought comments don't grow with a
    # note's reach); the comment files must not lose any, and must name the templates.
    assert flagged(with_comments, "comment_farm") >= flagged(without, "comment_farm")
    assert flagged(with_comments, "comment_farm") >= 0.9
    assert flagged(with_comments, "discussion") <= 0.05
    farms = with_comments.filter(pl.col(F.FRAUD_FLAG) & (pl.col(F.FRAUD_PATTERN) == "comment farm"))
    said = farms.get_column(F.FRAUD_REASONS).str.contains(
        r'\d+% of \d+ crawled comments are emoji-only or repeat word for word under its other notes '
        r'\(.+ median \d+%\), e\.g\. ".+" under \d+ notes')
    assert said.mean() >= 0.5
    assert_reasons_lead_with_their_pattern(with_comments)


def test_sample_comments_vet_beside_the_notes_alike_in_memory_and_streaming(tmp_path):
    posts, comments = tmp_path / "p.csv", tmp_path / "comments.json"
    got = runner.invoke(app, ["sample", "-n", "60", "-s", "5", "--no-views", "-o", str(posts), "--comments", str(comments)])
    assert got.exit_code == 0, got.output
    assert f"kolvet vet {posts} {comments}" in got.output
    outs = []
    for extra in ([], ["--streaming"]):
        out = tmp_path / f"ranked{len(extra)}.csv"
        got = runner.invoke(app, ["vet", str(posts), str(comments), "-o", str(out), *extra])
        assert got.exit_code == 0, got.output
        assert "MediaCrawler comments (comments)" in got.output
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    ranked = pl.read_csv(tmp_path / "ranked0.csv")
    assert ranked.get_column(C.TEMPLATE_SHARE).drop_nulls().len() >= 50
    first = ranked.row(0, named=True)
    got = runner.invoke(app, ["explain", first[S.CREATOR_ID], str(posts), str(comments)])
    assert f"comments: {first[C.COMMENTS_READ]:,} crawled; {first[C.TEMPLATE_SHARE]:.0%} emoji-only" in got.output


def test_batch_keeps_each_rosters_comments_with_its_own_creators(tmp_path):
    """Two rosters whose notes are numbered alike (as two crawlers' own numbering can be);
    comments name only a note, so they must stay with the roster they were crawled beside."""
    a, b = tmp_path / "agency_a", tmp_path / "agency_b"
    a.mkdir()
    b.mkdir()
    for folder, seed, extra in ((a, 7, ["--comments", str(a / "creator_comments.json")]), (b, 8, [])):
        got = runner.invoke(app, ["sample", "-n", "40", "-s", str(seed), "--no-views", "-o", str(folder / "posts.csv"), *extra, "-q"])
        assert got.exit_code == 0, got.output
    alike = pl.read_csv(b / "posts.csv", infer_schema=False).with_columns(pl.col("post_id").str.replace("^n008", "n007"))
    alike.write_csv(b / "posts.csv")
    got = runner.invoke(app, ["batch", str(a), str(b), "--out-dir", str(tmp_path / "vetted"), "-q"])
    assert got.exit_code == 0, got.output
    with_comments = pl.read_csv(tmp_path / "vetted" / "agency_a.ranked.csv")
    without = pl.read_csv(tmp_path / "vetted" / "agency_b.ranked.csv")
    assert with_comments.get_column(C.COMMENTS_READ).drop_nulls().len() >= 35
    assert without.get_column(C.COMMENTS_READ).drop_nulls().len() == 0


def test_a_quoted_comment_stays_one_reason_on_one_line():
    # Reasons are joined by "; " and `kolvet explain` reads them back apart.
    quoted = C.quoted('买了; 真的"好用"\n推荐推荐推荐推荐推荐推荐推荐推荐推荐推荐推荐推荐推荐推荐推荐')
    assert "; " not in quoted and '"' not in quoted and "\n" not in quoted
    assert quoted.startswith("买了； 真的＂好用＂ 推荐") and quoted.endswith("…") and len(quoted) == 41
    assert C.quoted("好看[赞R]") == "好看[赞R]"
