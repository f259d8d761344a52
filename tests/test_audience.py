"""Audience facts from crawled profiles and rosters (lifetime likes and saves, active-fan
share, follower series), bursts of boosted notes, and ratio spreads judged at the creator's own
counts."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from kolvet import fraud as F
from kolvet import metrics as M
from kolvet import schema as S
from kolvet import synth
from kolvet.cli import app
from kolvet.pipeline import vet_loaded
from tests.conftest import assert_reasons_lead_with_their_pattern, loaded_from_frame


def _creators(frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    return S.parse_creators(frame, S.map_columns(frame.columns, kind="creators"), "roster.csv", {})


# ---- reading ------------------------------------------------------------------------------

def test_active_fan_share_reads_percent_strings_percent_numbers_and_fractions():
    as_text = _creators(pl.DataFrame({"id": ["a", "b", "c"], "fans": ["2000"] * 3,
                                      "activeFansRate": ["21.9%", "null", "0.5%"]}))[0]
    assert as_text.get_column(S.ACTIVE_FANS).to_list() == [pytest.approx(0.219), None, pytest.approx(0.005)]
    # A roster sheet writes 58.99 for 58.99%: bare numbers above 1 make the column percent.
    sheet, unclear = _creators(pl.DataFrame({"id": ["a", "b", "c"], "fans count": ["2000", "3000", "4000"],
                                             "活跃粉丝占比(仅>1K)": ["58.99", "0.8", "0.8%"]}))
    # A bare 0.8 among them is a workbook's percent-formatted 80% or 0.8%: not guessed.
    assert sheet.get_column(S.ACTIVE_FANS).to_list() == [pytest.approx(0.5899), None, pytest.approx(0.008)]
    assert unclear.get_column("reason").to_list() == [
        "active_fan_share: a fraction or a percent? (was 0.8; the column writes 58.99 for 58.99%: give this one its "
        "% sign)" + S.CELL_EMPTIED]
    # Sheets leave a share out as they leave out a count: no share, and nothing to report.
    blanks = _creators(pl.DataFrame({"id": list("abcdefg"), "fans": ["2000"] * 7,
                                     "活跃粉丝占比": ["-", "暂无", "—", "N/A", "--", "/", "30%"]}))
    assert blanks[0].get_column(S.ACTIVE_FANS).to_list() == [None] * 6 + [pytest.approx(0.3)]
    assert blanks[1].height == 0
    fractions = _creators(pl.DataFrame({"id": ["a"], "fans": [2000], "active_fan_share": [0.42]}))[0]
    assert fractions.get_column(S.ACTIVE_FANS).to_list() == [pytest.approx(0.42)]


def test_a_bad_active_share_or_series_empties_that_cell_keeps_the_row_and_says_why():
    creators, rejected = _creators(pl.DataFrame({
        "id": ["a", "b", "c"], "fans": ["100", "200", "300"], "图文报价": ["800元/篇", "¥ 2,000", "3000~5000"],
        "active_fan_share": ["50%", "lots", "150%"],
        "follower_series": [None, None, "not json"],
    }))
    # The rows' other facts survive: a mistyped share must not cost a creator its quote.
    assert creators.select(S.CREATOR_ID, S.FOLLOWERS, S.QUOTE, S.ACTIVE_FANS).rows() == [
        ("a", 100, 800.0, 0.5), ("b", 200, 2000.0, None), ("c", 300, 4000.0, None)]
    assert rejected.get_column("row").to_list() == [2, 3]
    share = "active_fan_share: not a share between 0% and 100%"
    assert rejected.get_column("reason").to_list() == [
        share + S.CELL_EMPTIED, f"{share}; follower_series: not a list of {{dateKey, num}} points{S.CELL_EMPTIED}"]
    kept, bad_series = _creators(pl.DataFrame({"id": ["a"], "fans": ["1"], "fans_trend": ['[{"day": 1}]']}))
    assert kept.get_column(S.FOLLOWER_SERIES).to_list() == [None]
    assert bad_series.get_column("reason").to_list() == [f"follower_series: not a list of {{dateKey, num}} points{S.CELL_EMPTIED}"]


def test_follower_series_reads_from_json_text_and_from_lists():
    points = [{"dateKey": "20250601", "num": "1.2万"}, {"dateKey": "2025-06-02", "num": 12100}]
    text = _creators(pl.DataFrame({"id": ["a"], "fans": ["1.2万"], "粉丝趋势": [json.dumps(points)]}))[0]
    listed = [{"dateKey": "2025-06-02", "num": 12100}, {"dateKey": "2025-06-01", "num": 12000}]  # order doesn't matter
    as_list = _creators(pl.DataFrame({"id": ["a"], "fans": [12000], "follower_series": [listed]}))[0]
    for frame in (text, as_list):
        assert frame.get_column(S.FOLLOWER_SERIES).to_list() == [[
            {"date": date(2025, 6, 1), "followers": 12000}, {"date": date(2025, 6, 2), "followers": 12100}]]


def test_lifetime_likes_and_saves_read_from_every_shape_that_holds_them():
    """MediaCrawler's `interaction`, Spider_XHS's 作品被赞和收藏数量, a roster's 获赞与收藏 or
    "liked n collected": the account's lifetime likes and saves, with XHS count strings."""
    for header, cells, want in (("interaction", ["11636", "1.2万"], [11636, 12000]),
                                ("作品被赞和收藏数量", ["3千", "10万+"], [3000, None]),  # a floor can't show too few
                                ("获赞与收藏", [727000, 1940], [727000, 1940]),
                                ("liked n collected", ["77000", "-"], [77000, None])):
        got = _creators(pl.DataFrame({"user_id": ["a", "b"], "fans": ["900", "1000"], header: cells}))[0]
        assert got.get_column(S.LIFETIME_LIKES_SAVES).to_list() == want, header
    creators, rejected = _creators(pl.DataFrame({"id": ["a", "b"], "fans": ["1", "2"], "interaction": ["5", "lots"]}))
    assert creators.select(S.CREATOR_ID, S.LIFETIME_LIKES_SAVES).rows() == [("a", 5), ("b", None)]
    assert rejected.select("row", "reason").rows() == [(2, "lifetime_likes_saves: not a count" + S.CELL_EMPTIED)]


def _series(days: int, start: int, jump_on: int | None = None, jump: int = 0) -> list[dict]:
    return [{"date": date(2025, 6, 1) + timedelta(days=d),
             "followers": start + 10 * d + (jump if jump_on is not None and d >= jump_on else 0)} for d in range(days)]


def test_follower_jump_is_the_largest_growth_within_three_days():
    profiles = pl.DataFrame(
        {S.CREATOR_ID: ["smooth", "jumped", "short", "flat"],
         S.FOLLOWER_SERIES: [_series(30, 1000), _series(30, 1000, jump_on=12, jump=3000), _series(5, 1000, 2, 3000),
                             [{"date": date(2025, 6, 1) + timedelta(days=d), "followers": 800} for d in range(10)]]},
        schema={S.CREATOR_ID: pl.String, S.FOLLOWER_SERIES: S.CREATOR_SCHEMA[S.FOLLOWER_SERIES]},
    )
    jumps = {r[S.CREATOR_ID]: r for r in M.follower_jumps(profiles.lazy()).collect().iter_rows(named=True)}
    assert "short" not in jumps  # under a week of points can't tell a jump from a trend
    assert jumps["smooth"][M.FOLLOWER_JUMP] == pytest.approx(30 / 1000)
    assert jumps["jumped"][M.FOLLOWER_JUMP] == pytest.approx((1000 + 120 + 3000) / (1000 + 90) - 1)
    assert jumps["jumped"][M.FOLLOWER_JUMP_DATE] == date(2025, 6, 10)
    assert jumps["jumped"][M.FOLLOWER_JUMP_GAIN] == 3030
    # Followers that never grew made no jump, so it has no date.
    assert jumps["flat"][M.FOLLOWER_JUMP] == 0 and jumps["flat"][M.FOLLOWER_JUMP_DATE] is None


# ---- detection ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def roster_world():
    world = synth.World(creators=1200, seed=41, fake_rate=0.08, honest_hard_rate=0.12, views=False)
    posts, truth = synth.generate(world)
    roster, _ = _creators(synth.roster(world, posts, truth, series_as_json=True))
    profiles, _ = _creators(synth.profiles(world, posts, truth))
    loaded = replace(loaded_from_frame(posts), roster=roster)
    with_roster = vet_loaded(loaded).creators.join(truth.select("creator_id", "pattern"), on="creator_id")
    notes_only = vet_loaded(loaded_from_frame(posts)).creators.join(truth.select("creator_id", "pattern"), on="creator_id")
    with_profiles = vet_loaded(replace(loaded_from_frame(posts), creators=profiles)).creators.join(
        truth.select("creator_id", "pattern"), on="creator_id")
    return with_roster, notes_only, with_profiles


def _caught(out: pl.DataFrame) -> float:
    return out.filter(pl.col("pattern") == "bought_followers").get_column(F.FRAUD_FLAG).mean()


def test_without_views_engagement_per_follower_alone_puts_on_watch_but_never_flags(roster_world):
    """Low engagement per follower is also what weak notes look like: without views or an
    audience fact it is a reason to look, not an accusation."""
    _, notes_only, _ = roster_world
    assert _caught(notes_only) == 0
    watched = notes_only.filter(pl.col(F.FRAUD_WATCH) & (pl.col(F.FRAUD_PATTERN) == "bought followers"))
    assert watched.filter(pl.col("pattern") == "bought_followers").height >= 5
    assert watched.get_column(F.FRAUD_REASONS).str.contains("engagement is only").all()


def test_no_creator_is_flagged_bought_followers_from_notes_alone_without_views(roster_world):
    _, notes_only, _ = roster_world
    assert not notes_only.filter(pl.col(F.FRAUD_FLAG) & (pl.col(F.FRAUD_PATTERN) == "bought followers")).height


def test_every_flag_and_watch_leads_with_a_sign_of_its_own_pattern(roster_world):
    for out in roster_world:
        assert_reasons_lead_with_their_pattern(out)


def test_crawled_profiles_catch_bought_followers_by_their_lifetime_likes_and_saves(roster_world):
    _, notes_only, with_profiles = roster_world
    assert _caught(with_profiles) >= _caught(notes_only) + 0.3, _caught(with_profiles)
    flagged = with_profiles.filter(pl.col(F.FRAUD_FLAG) & (pl.col(F.FRAUD_PATTERN) == "bought followers"))
    # Both signs are named, each with its number and the peers' one.
    assert flagged.get_column(F.FRAUD_REASONS).str.contains(
        r"earned only [\d.]+ likes and saves per follower over its life \(.+ median [\d.]+\)").all()
    assert flagged.get_column(F.FRAUD_REASONS).str.contains("engagement is only").mean() >= 0.8
    assert with_profiles.filter(pl.col("pattern") == "none").get_column(F.FRAUD_FLAG).mean() <= 0.01


def test_a_roster_catches_bought_followers_that_notes_alone_cannot(roster_world):
    with_roster, notes_only, _ = roster_world
    assert _caught(with_roster) >= _caught(notes_only) + 0.3, (_caught(with_roster), _caught(notes_only))
    reasons = with_roster.filter(pl.col(F.FRAUD_FLAG) & (pl.col(F.FRAUD_PATTERN) == "bought followers"))
    text = " ".join(reasons.get_column(F.FRAUD_REASONS).to_list())
    assert "of followers are active" in text or "followers grew" in text
    honest_flagged = with_roster.filter(pl.col("pattern") == "none").get_column(F.FRAUD_FLAG).mean()
    assert honest_flagged <= 0.01


def test_a_follower_jump_explained_by_a_viral_note_is_not_flagged():
    """Same jump, two creators: one posted a hit note the day before, the other posted nothing."""
    day0 = datetime(2025, 6, 1, 12)
    rng = np.random.default_rng(3)
    rows, roster = [], []
    for c in range(40):
        cid = f"c{c:02d}"
        for k in range(20):
            likes = int(rng.integers(80, 120))
            if c == 0 and k == 19:
                likes = 60_000  # the hit, posted the day before its jump
            rows.append({"creator_id": cid, "post_id": f"{cid}-{k}", "followers": 20_000,
                         "posted_at": day0 + timedelta(days=k * 1.5 - 10), "likes": likes,
                         "saves": rng.poisson(likes / 2), "comments": rng.poisson(likes / 10), "shares": rng.poisson(likes / 20),
                         "category": "food"})
        jump = 3000 if c in (0, 1) else 0
        series = [{"dateKey": str(date(2025, 6, 1) + timedelta(days=d)), "num": 17_000 + 20 * d + (jump if d >= 19 else 0)}
                  for d in range(30)]
        roster.append({"creator_id": cid, "fans": 20_000, "follower_series": json.dumps(series)})
    loaded = replace(loaded_from_frame(pl.DataFrame(rows)), roster=_creators(pl.DataFrame(roster))[0])
    out = {r[S.CREATOR_ID]: r for r in vet_loaded(loaded).creators.iter_rows(named=True)}
    assert out["c00"][M.FOLLOWER_JUMP] == pytest.approx(out["c01"][M.FOLLOWER_JUMP], rel=0.01)
    assert out["c00"][M.JUMP_CONTENT] > 100 * out["c01"][M.JUMP_CONTENT]
    assert not out["c00"][F.FRAUD_FLAG] and "new followers per like" not in out["c00"][F.FRAUD_REASONS]  # the hit explains it
    assert out["c01"][F.FRAUD_FLAG] and out["c01"][F.FRAUD_PATTERN] == "bought followers"
    assert "new followers per like, save or comment on the notes around it" in out["c01"][F.FRAUD_REASONS]


def test_signs_from_separate_sources_confirm_when_both_show_or_one_is_strong():
    """Bought followers: the notes' engagement per follower and the account's lifetime totals.
    Both moderately apart confirms; so does one far apart beside a middling one; one alone, or
    beside a sign under one deviation, does not."""
    a, b = np.array([2.0, 3.5, 1.2, 4.0, 4.0]), np.array([2.0, 1.2, 3.5, 0.9, 0.0])
    z = F._both_apart(a, b, cap=4.125, line=2.75)
    assert z[0] == pytest.approx(3.28, abs=0.01)  # P(z > 2)^2
    assert z[1] == z[2] == pytest.approx(min((3.5 + 1.2) / np.sqrt(2), 2.75 * 1.2))
    assert z[1] >= 2.75 > z[3] and z[4] == 0.0
    # No jump where the sum starts to count: just under one deviation, just under the line.
    edge = F._both_apart(np.array([4.0, 4.0]), np.array([0.999, 1.0]), cap=4.125, line=2.75)
    assert edge[0] < 2.75 <= edge[1] and edge[1] - edge[0] < 0.01
    assert F.weakest_confirming_sign(2.75, "bought followers") == F.WEAKEST_SIGN
    assert F.weakest_confirming_sign(2.75, "save farming") == pytest.approx(1.6, abs=0.05)


def test_burst_z_is_high_only_for_many_spiked_notes_in_a_few_days():
    # 6 of 6 notes in three days spiked, when 2 of the other 23 did; vs 3 of 4, with 6 of 26.
    z = F.burst_z(np.array([6.0, 3.0]), np.array([6.0, 4.0]), np.array([8.0, 9.0]), np.array([29.0, 30.0]))
    assert z[0] >= 3.5 and z[1] < 1.0


def test_boosted_bursts_are_caught_with_a_dated_reason():
    posts, truth = synth.generate(synth.World(creators=800, seed=43, fake_rate=0.1, views=False))
    result = vet_loaded(loaded_from_frame(posts))
    out = result.creators.join(truth.select("creator_id", "pattern"), on="creator_id")
    bursts = out.filter(pl.col("pattern") == "boosted_burst")
    assert bursts.get_column(F.FRAUD_FLAG).mean() >= 0.7
    reasons = " ".join(bursts.filter(pl.col(F.FRAUD_FLAG)).get_column(F.FRAUD_REASONS).to_list())
    assert "notes posted within 3 days up to 2025-" in reasons
    # Per note: every spiked note of a confirmed burst is marked, with the burst's dates.
    confirmed = out.filter(pl.col(F.BURST_CONFIRMED)).row(0, named=True)
    notes = result.notes_of(confirmed[S.CREATOR_ID])
    window = notes.filter(pl.col(S.POSTED_AT).is_between(confirmed[M.BURST_END] - timedelta(days=3), confirmed[M.BURST_END],
                                                         closed="right") & (pl.col(M.NOTE_SPIKE) >= 2))
    assert window.height == confirmed[M.BURST_SPIKED] and window.get_column(F.BOOSTED).all()
    marked = result.posts.filter(pl.col(F.BOOST_REASON).str.contains("in a burst of such notes"))
    assert marked.height and set(marked.get_column(S.CREATOR_ID)) <= set(out.filter(pl.col(F.BURST_CONFIRMED)).get_column(S.CREATOR_ID))


def test_many_comments_per_note_are_not_mistaken_for_fixed_ratio_bundles():
    """Two honest creators with identical true ratio variation; one gets 20x the comments.
    Fewer counting noise must not make its ratios look suspiciously constant."""
    rng = np.random.default_rng(5)
    rows = []
    for c in range(60):
        chatty = c == 0
        for k in range(25):
            likes = int(rng.lognormal(np.log(400), 0.6))
            ratio = 0.1 * (20 if chatty else 1) * np.exp(rng.normal(0, 0.3))
            rows.append({"creator_id": f"c{c:02d}", "post_id": f"{c}-{k}", "followers": 30_000,
                         "posted_at": datetime(2025, 1, 1) + timedelta(days=k * 3 + c % 3),
                         "likes": likes, "saves": rng.poisson(likes * 0.5), "comments": rng.poisson(likes * ratio),
                         "shares": rng.poisson(likes * 0.05), "category": "food"})
    out = vet_loaded(loaded_from_frame(pl.DataFrame(rows))).creators
    chatty = out.filter(pl.col(S.CREATOR_ID) == "c00").row(0, named=True)
    assert "barely varies" not in chatty[F.FRAUD_REASONS]
    assert not chatty[F.FRAUD_FLAG]


def test_sample_writes_a_roster_that_vet_reads(tmp_path):
    runner = CliRunner()
    posts, roster, ranked = tmp_path / "p.csv", tmp_path / "roster.csv", tmp_path / "ranked.csv"
    got = runner.invoke(app, ["sample", "-n", "80", "-s", "2", "--no-views", "-o", str(posts), "--roster", str(roster), "-q"])
    assert got.exit_code == 0, got.output
    got = runner.invoke(app, ["vet", str(posts), "--creators", str(roster), "-o", str(ranked), "-q"])
    assert got.exit_code == 0, got.output
    out = pl.read_csv(ranked)
    assert out.height == 80
    assert out.get_column(S.ACTIVE_FANS).drop_nulls().len() > 0
    assert out.get_column(M.FOLLOWER_JUMP).drop_nulls().len() == 80
    assert out.get_column(S.LIFETIME_LIKES_SAVES).drop_nulls().len() == 80


def test_sample_writes_crawler_profiles_that_vet_reads_beside_the_notes(tmp_path):
    runner = CliRunner()
    posts, profiles, ranked = tmp_path / "p.csv", tmp_path / "profiles.json", tmp_path / "ranked.csv"
    got = runner.invoke(app, ["sample", "-n", "60", "-s", "2", "--no-views", "-o", str(posts), "--profiles", str(profiles)])
    assert got.exit_code == 0, got.output
    assert f"vet them beside the notes: kolvet vet {posts} {profiles}" in got.output
    written = pl.read_json(profiles)
    assert written.columns == ["user_id", "nickname", "fans", "interaction"]  # MediaCrawler's names and strings
    got = runner.invoke(app, ["vet", str(posts), str(profiles), "-o", str(ranked), "-q"])
    assert got.exit_code == 0, got.output
    out = pl.read_csv(ranked)
    assert out.height == 60 and out.get_column(S.LIFETIME_LIKES_SAVES).null_count() == 0
    first = out.row(0, named=True)
    got = runner.invoke(app, ["explain", first[S.CREATOR_ID], str(posts), str(profiles)])
    assert got.exit_code == 0, got.output
    per = first[S.LIFETIME_LIKES_SAVES] / first[S.FOLLOWERS]
    assert f"{first[S.LIFETIME_LIKES_SAVES]:,} likes and saves over the account's life ({per:,.1f} per follower)" in got.output
