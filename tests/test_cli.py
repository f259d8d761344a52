"""The CLI through Typer's runner: commands, summaries and one-line errors."""

from __future__ import annotations

import polars as pl
import pytest
from typer.testing import CliRunner

from kolvet.cli import app
from tests.conftest import post, write_csv

runner = CliRunner()


def test_vet_writes_ranked_csv_and_summary(tmp_path, sample_csv):
    out = tmp_path / "ranked.csv"
    res = runner.invoke(app, ["vet", str(sample_csv), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "300 creators" in res.output and "Top 10" in res.output
    table = pl.read_csv(out)
    assert table.height == 300 and table.columns[0] == "rank"


def test_demo_writes_into_current_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(app, ["demo"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "kolvet-demo-ranked.csv").exists()


def test_sample_is_deterministic(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    for p in (a, b):
        assert runner.invoke(app, ["sample", "--creators", "40", "--seed", "5", "-o", str(p), "--truth", str(p) + ".truth.csv"]).exit_code == 0
    assert a.read_bytes() == b.read_bytes()
    assert pl.read_csv(str(a) + ".truth.csv").height == 40


def test_sample_refuses_two_outputs_on_one_file(tmp_path):
    out = tmp_path / "s.csv"
    res = runner.invoke(app, ["sample", "--creators", "40", "-o", str(out), "--truth", str(out)])
    assert res.exit_code == 2 and "named for both the posts and the truth" in res.output
    assert not out.exists()


def test_bundled_sample_is_what_kolvet_sample_makes(tmp_path, sample_csv):
    out = tmp_path / "s.csv"
    assert runner.invoke(app, ["sample", "--creators", "300", "--seed", "7", "-o", str(out)]).exit_code == 0
    assert out.read_bytes() == sample_csv.read_bytes()


def test_a_reader_that_leaves_early_is_no_error(tmp_path, sample_csv):
    """`kolvet vet ... | head -1`: the pipe closes after a line; the ranking is still written and
    the exit code is the work's, not 1 (an input problem)."""
    import subprocess
    import sys
    proc = subprocess.Popen([sys.executable, "-c", "from kolvet.cli import main; main()", "vet", str(sample_csv),
                             "-o", str(tmp_path / "r.csv")], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.readline()
    proc.stdout.close()  # as head does after its line
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0, stderr
    assert stderr == "" and pl.read_csv(tmp_path / "r.csv").height == 300


def test_help_into_a_closed_pipe_is_no_error():
    """`kolvet --help | head -2`: Typer prints the help itself; a reader gone before it is
    written is no error either."""
    import subprocess
    import sys
    proc = subprocess.Popen([sys.executable, "-c", "from kolvet.cli import main; main()", "--help"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader has left before a line is written
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0 and stderr == "", stderr


def test_an_error_into_a_closed_pipe_keeps_its_exit_code():
    """`kolvet nosuch 2>&1 | head`: the usage error still exits 2 when its reader has gone."""
    import subprocess
    import sys
    proc = subprocess.Popen([sys.executable, "-c", "from kolvet.cli import main; main()", "nosuch"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    proc.stderr.close()
    assert proc.wait(timeout=60) == 2


def test_missing_file_is_one_line_exit_1(tmp_path):
    res = runner.invoke(app, ["vet", str(tmp_path / "nope.csv")])
    assert res.exit_code == 1
    assert res.output.strip().count("\n") == 0 and "no such file" in res.output
    assert "Traceback" not in res.output


def test_missing_required_column_names_it(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("creator_id,post_id,posted_at,likes,comments\na,1,2025-01-01,5,1\n")
    res = runner.invoke(app, ["vet", str(path), "-o", str(tmp_path / "o.csv")])
    assert res.exit_code == 1
    assert "saves" in res.output and "columns found" in res.output and str(path) in res.output


def test_empty_file_is_one_line_exit_1(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    res = runner.invoke(app, ["vet", str(path)])
    assert res.exit_code == 1 and "empty" in res.output


def test_refuses_to_write_over_its_input(tmp_path):
    path = write_csv(tmp_path / "x.csv", [post("a", i, 10, 5, 1, day=i + 1) for i in range(6)])
    before = path.read_bytes()
    res = runner.invoke(app, ["vet", str(path), "-o", str(path)])
    assert res.exit_code == 2 and "input" in res.output
    assert path.read_bytes() == before


def test_bad_option_is_usage_error_exit_2(sample_csv):
    assert runner.invoke(app, ["vet", str(sample_csv), "--sort", "followers"]).exit_code == 2
    assert runner.invoke(app, ["vet", str(sample_csv), "--no-such-option"]).exit_code == 2


def test_explain_prints_components_and_reasons(sample_csv):
    res = runner.invoke(app, ["explain", "c007000000", str(sample_csv)])
    assert res.exit_code == 0, res.output
    for words in ("save quality", "engagement quality", "comment depth", "consistency", "Fake engagement", "Peers"):
        assert words in res.output


def test_explain_unknown_creator_is_exit_1(sample_csv):
    res = runner.invoke(app, ["explain", "nobody", str(sample_csv)])
    assert res.exit_code == 1 and "nobody" in res.output


def test_init_config_round_trips(tmp_path, sample_csv):
    cfg = tmp_path / "kolvet.toml"
    assert runner.invoke(app, ["init-config", str(cfg)]).exit_code == 0
    assert "[scoring]" in cfg.read_text()
    res = runner.invoke(app, ["vet", str(sample_csv), "-c", str(cfg), "-o", str(tmp_path / "o.csv")])
    assert res.exit_code == 0, res.output
    # Its commented example of column aliases is valid TOML once uncommented.
    from kolvet.config import load_config

    text = cfg.read_text(encoding="utf-8").replace("# [input.aliases]", "[input.aliases]").replace("# likes = [", "likes = [")
    cfg.write_text(text, encoding="utf-8")
    assert load_config(cfg).input.aliases == {"likes": ["赞", "like_total"]}


def test_bad_config_is_a_clear_error(tmp_path, sample_csv):
    cfg = tmp_path / "kolvet.toml"
    cfg.write_text("[scoring]\nsave_qualty = 0.5\n")
    res = runner.invoke(app, ["vet", str(sample_csv), "-c", str(cfg)])
    assert res.exit_code == 1 and "save_qualty" in res.output
    cfg.write_text("[window]\ndays = -3\n")
    res = runner.invoke(app, ["vet", str(sample_csv), "-c", str(cfg)])
    assert res.exit_code == 1 and "window.days" in res.output


def test_preset_ces_changes_the_weights(tmp_path, sample_csv):
    out = tmp_path / "o.csv"
    res = runner.invoke(app, ["vet", str(sample_csv), "--preset", "ces", "-o", str(out)])
    assert res.exit_code == 0
    assert "comments=4" in res.output
    assert '"preset": "ces"' in (tmp_path / "o.meta.json").read_text()


def test_as_of_includes_the_whole_day(tmp_path):
    rows = [post("a", i, 10, 5, 1, day=i + 1) for i in range(8)]  # one note a day, May 1-8, at noon
    path = write_csv(tmp_path / "p.csv", rows)
    out = tmp_path / "o.csv"
    assert runner.invoke(app, ["vet", str(path), "--as-of", "2025-05-06", "-o", str(out)]).exit_code == 0
    assert pl.read_csv(out).get_column("n_posts").item() == 6  # May 6 at noon counts


def test_unknown_preset_is_a_usage_error_and_zero_weights_are_refused(tmp_path, sample_csv):
    res = runner.invoke(app, ["vet", str(sample_csv), "--preset", "foo", "-q"])
    assert res.exit_code == 2 and "--preset foo: use one of ces, save-first" in res.output
    zero = tmp_path / "zero.toml"
    zero.write_text("[presets.save-first]\nlikes = 0\nsaves = 0\ncomments = 0\nshares = 0\n", encoding="utf-8")
    res = runner.invoke(app, ["vet", str(sample_csv), "-c", str(zero), "-q"])
    assert res.exit_code == 1 and "all weigh 0" in res.output


def test_sort_by_cpe_without_quotes_says_it_ranks_by_score(tmp_path, sample_csv):
    out = tmp_path / "r.csv"
    res = runner.invoke(app, ["vet", str(sample_csv), "--sort", "cpe", "-o", str(out)])
    assert res.exit_code == 0 and "--sort cpe: no creator has a quote" in res.output
    by_score = tmp_path / "s.csv"
    assert runner.invoke(app, ["vet", str(sample_csv), "-o", str(by_score), "-q"]).exit_code == 0
    assert out.read_bytes() == by_score.read_bytes()


def test_preset_can_correct_a_mistyped_preset_in_the_config(tmp_path, sample_csv):
    typo = tmp_path / "typo.toml"
    typo.write_text('preset = "sav-first"\n', encoding="utf-8")
    assert runner.invoke(app, ["vet", str(sample_csv), "-c", str(typo), "-q", "-o", str(tmp_path / "a.csv")]).exit_code == 1
    assert runner.invoke(app, ["vet", str(sample_csv), "-c", str(typo), "--preset", "ces", "-q",
                               "-o", str(tmp_path / "b.csv")]).exit_code == 0


@pytest.mark.parametrize("streaming", [False, True])
def test_a_roster_keyed_by_other_ids_than_the_notes_is_a_warning(tmp_path, sample_csv, streaming):
    roster = tmp_path / "roster.csv"
    roster.write_text("小红书号,粉丝数,图文报价\nx1,1.2万,500\nx2,3000,面议\n", encoding="utf-8")
    res = runner.invoke(app, ["vet", str(sample_csv), "--creators", str(roster), "-o", str(tmp_path / "r.csv"),
                              *(["--streaming"] if streaming else [])])
    assert res.exit_code == 0, res.output
    assert f"roster: none of the 2 creators in {roster} has notes in the inputs (roster ids such as x1, x2" in " ".join(res.output.split())


def test_cost_per_save_is_empty_when_the_median_note_has_no_saves(tmp_path):
    notes = tmp_path / "notes.csv"
    rows = ["creator_id,post_id,posted_at,followers,likes,saves,comments,shares"]
    rows += [f"c1,n{i},2025-05-{i + 1:02d} 12:00:00,5000,{40 + i},0,{i % 3},0" for i in range(12)]
    notes.write_text("\n".join(rows) + "\n", encoding="utf-8")
    roster = tmp_path / "roster.csv"
    roster.write_text("creator_id,quote\nc1,500\n", encoding="utf-8")
    out = tmp_path / "r.csv"
    assert runner.invoke(app, ["vet", str(notes), "--creators", str(roster), "-o", str(out), "-q"]).exit_code == 0
    row = pl.read_csv(out).row(0, named=True)
    assert row["quote"] == 500 and row["cost_per_save"] is None and row["cpe"] == pytest.approx(500 / row["median_interactions"], abs=0.01)
    res = runner.invoke(app, ["explain", "c1", str(notes), "--creators", str(roster)])
    assert "per save none (its median note has no saves)" in res.output


def test_explain_says_why_fraud_was_not_judged_and_takes_a_nickname_as_a_hint(tmp_path):
    notes = tmp_path / "notes.csv"
    rows = ["creator_id,post_id,posted_at,followers,likes,saves,comments,shares,nickname"]
    rows += [f"c1,n{i},2025-05-0{i + 1} 12:00:00,5000,{40 + i},9,2,1,小红" for i in range(3)]
    rows += [f"c2,m{i},2025-05-{i + 1:02d} 12:00:00,5000,{i % 2},0,0,0,小蓝" for i in range(8)]
    notes.write_text("\n".join(rows) + "\n", encoding="utf-8")
    res = runner.invoke(app, ["explain", "c1", str(notes)])
    assert "Fake engagement: not judged: only 3 notes judged (it takes 5)" in res.output
    res = runner.invoke(app, ["explain", "c2", str(notes)])
    said = " ".join(res.output.split())  # the console wraps long lines
    assert ("Fake engagement: not judged: its median note earned 0.5 likes, saves, comments and shares, about 4 over "
            "its 8 notes at that rate (it takes 20)") in said
    res = runner.invoke(app, ["explain", "小红", str(notes)])
    assert res.exit_code == 1 and "it is the nickname of c1: explain takes the creator_id" in " ".join(res.output.split())


def test_two_columns_for_one_count_are_a_warning_unless_an_alias_picks_one(tmp_path):
    notes = tmp_path / "notes.csv"
    rows = ["creator_id,post_id,posted_at,followers,likes,saves,comments,点赞数"]
    rows += [f"c1,n{i},2025-05-{i + 1:02d} 12:00:00,5000,{40 + i},9,2,{120 + 3 * i}" for i in range(6)]
    notes.write_text("\n".join(rows) + "\n", encoding="utf-8")
    res = runner.invoke(app, ["vet", str(notes), "-o", str(tmp_path / "r.csv")])
    assert res.exit_code == 0
    assert f"columns: {notes}: read likes from 'likes', not '点赞数', which name the same thing" in " ".join(res.output.split())
    config = tmp_path / "kolvet.toml"
    config.write_text('[input.aliases]\nlikes = ["点赞数"]\n', encoding="utf-8")
    res = runner.invoke(app, ["vet", str(notes), "-c", str(config), "-o", str(tmp_path / "r2.csv")])
    assert res.exit_code == 0 and "columns:" not in res.output
    assert pl.read_csv(tmp_path / "r2.csv").get_column("median_interactions").item() > 120


def test_explain_takes_an_id_copied_from_a_guarded_csv_cell(tmp_path):
    rows = [{"creator_id": "-c9", "post_id": f"p{i}", "posted_at": f"2025-05-0{i} 12:00", "followers": 5000,
             "likes": 100 + i, "saves": 40, "comments": 5} for i in range(1, 7)]
    path = write_csv(tmp_path / "inj.csv", rows)
    out = tmp_path / "o.csv"
    assert runner.invoke(app, ["vet", str(path), "-o", str(out), "-q"]).exit_code == 0
    guarded = pl.read_csv(out, infer_schema=False).get_column("creator_id").item()
    assert guarded == "'-c9"  # a spreadsheet would run -c9 as a formula
    res = runner.invoke(app, ["explain", guarded, str(path)])
    assert res.exit_code == 0 and res.output.startswith("-c9 (-c9): rank 1")


def test_explain_with_the_creator_id_forgotten_says_so(sample_csv):
    res = runner.invoke(app, ["explain", str(sample_csv)])
    assert res.exit_code == 2 and "is a file, not a creator id: kolvet explain CREATOR_ID" in res.output


def test_a_long_list_of_set_aside_reasons_says_how_many_more_there_are(tmp_path):
    # The summary shows the commonest six reasons; the rest are counted, not silently dropped.
    rows = [post(f"c{c}", i, 100, 40, 9, day=i + 1) for c in range(4) for i in range(8)]
    for i, (column, bad) in enumerate((("likes", "lots"), ("saves", "lots"), ("comments", "lots"), ("shares", "lots"),
                                       ("posted_at", "yesterday"), ("views", "lots"), ("post_id", ""), ("creator_id", ""))):
        rows[i][column] = bad
    write_csv(tmp_path / "posts.csv", rows)
    result = CliRunner().invoke(app, ["vet", str(tmp_path / "posts.csv"), "-o", str(tmp_path / "out.csv")])
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if "set aside:" in x)
    assert line.startswith("8 rows set aside: ") and line.endswith("; 2 more reasons"), line
    assert line.count(" (1)") == 6


def test_fraud_scores_are_shown_rounded_down_so_none_reads_as_over_a_line():
    """Watch starts at 0.40 and flags at 0.50: 0.397 rounded would read "0.40", on the line."""
    from kolvet.text import two_down

    assert [two_down(x) for x in (0.397, 0.4, 0.499, 0.5, 0.289, 1.0)] == ["0.39", "0.40", "0.49", "0.50", "0.28", "1.00"]


def test_explain_without_inputs_says_it_read_the_bundled_sample():
    res = runner.invoke(app, ["explain", "u_not_there"])
    assert res.exit_code == 1
    assert "'u_not_there' is not in the bundled sample, which explain reads when given no inputs" in " ".join(res.output.split())


def test_explain_a_creator_whose_rows_were_all_set_aside_says_so_in_one_voice(tmp_path):
    notes = tmp_path / "notes.csv"
    rows = ["creator_id,post_id,posted_at,followers,likes,saves,comments,shares"]
    rows += [f"c{k},n{k}-{i},2025-05-{i + 1:02d} 12:00:00,5000,{40 + i},9,2,1" for k in range(3) for i in range(6)]
    rows += [f"bad,b{i},2025-05-{i + 1:02d} 12:00:00,5000,lots,9,2,1" for i in range(4)]
    notes.write_text("\n".join(rows) + "\n", encoding="utf-8")
    said = " ".join(runner.invoke(app, ["explain", "bad", str(notes)]).output.split())
    assert "no usable notes: all 4 set aside" in said  # the verdict's reason
    assert "no usable notes (all 4 rows set aside)" in said and "no notes in the inputs" not in said
    assert "Fake engagement: not judged: no usable notes (all 4 of its rows set aside)" in said
