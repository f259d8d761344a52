"""--streaming vets part by part and must give the same answer as the in-memory path."""

from __future__ import annotations

import polars as pl
from typer.testing import CliRunner

from kolvet import export, pipeline, synth
from kolvet.cli import app


def test_partitioned_vet_matches_the_in_memory_one(tmp_path):
    posts, _ = synth.generate(synth.World(creators=150, seed=17, fake_rate=0.1, honest_hard_rate=0.1))
    csv, parquet = tmp_path / "p.csv", tmp_path / "p.parquet"
    posts.write_csv(csv)
    posts.write_parquet(parquet)
    whole = export.ranked_table(pipeline.vet([csv]))
    for source in (csv, parquet):
        parts = pipeline.vet_streaming([source], rows_per_part=1_000)  # several parts
        assert parts.meta["streaming"].startswith(str(-(-posts.height // 1_000)))
        assert export.ranked_table(parts).equals(whole)
        one = whole.get_column("creator_id")[0]
        assert parts.notes_of(one).height == posts.filter(pl.col("creator_id") == one).height


def test_streaming_sets_aside_bad_rows_and_reports_every_file(tmp_path):
    posts, _ = synth.generate(synth.World(creators=40, seed=18))
    text = posts.with_columns(pl.col("likes").cast(pl.String))
    text = text.with_columns(pl.when(pl.int_range(pl.len()) == 3).then(pl.lit("lots")).otherwise(pl.col("likes")).alias("likes"))
    text.write_csv(tmp_path / "a.csv")
    result = pipeline.vet_streaming([tmp_path / "a.csv"], rows_per_part=300)
    assert result.rejected_by_reason() == [("likes: not a count", 1)]
    (report,) = result.sources
    assert (report.rows, report.taken, report.set_aside) == (posts.height, posts.height - 1, 1)
    assert result.creators.height == posts.get_column("creator_id").n_unique()


def test_streaming_names_set_aside_rows_by_their_place_in_the_file(tmp_path):
    """Parts are cut by creator, so a part's 4th row can be the file's 700th: the row numbers
    (and the cells shown) must be the file's, as in memory."""
    posts, _ = synth.generate(synth.World(creators=60, seed=18))
    bad = [3, 700, 1200, 1500]
    text = posts.with_columns(pl.when(pl.int_range(pl.len()).is_in(bad)).then(pl.lit("lots"))
                              .otherwise(pl.col("likes").cast(pl.String)).alias("likes"))
    roster = pl.DataFrame({"creator_id": posts.get_column("creator_id").unique().sort().to_list() + ["c-extra"],
                           "followers": ["1000"] * 60 + ["many"]})
    text.write_csv(tmp_path / "a.csv")
    text.write_parquet(tmp_path / "a.parquet")
    roster.write_csv(tmp_path / "roster.csv")
    for source in ("a.csv", "a.parquet"):
        whole = pipeline.vet([tmp_path / source], creators_file=str(tmp_path / "roster.csv")).rejected.sort("source_file", "row")
        parts = pipeline.vet_streaming([tmp_path / source], creators_file=str(tmp_path / "roster.csv"),
                                       rows_per_part=300).rejected.sort("source_file", "row")
        assert parts.equals(whole)
        notes = parts.filter(pl.col("reason") == "likes: not a count")
        assert notes.get_column("row").to_list() == [i + 1 for i in bad]
        assert notes.get_column("creator_id").to_list() == posts[bad].get_column("creator_id").to_list()
        assert parts.filter(pl.col("source_file").str.ends_with("roster.csv")).get_column("row").to_list() == [61]


def test_streaming_sets_aside_rows_longer_than_the_header_as_in_memory(tmp_path):
    posts, _ = synth.generate(synth.World(creators=60, seed=18))
    path = tmp_path / "a.csv"
    posts.write_csv(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    for i in (5, 800, 1700):  # data rows 5, 800 and 1700, in different parts
        lines[i] += ",extra"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    whole = pipeline.vet([path]).rejected.sort("row")
    parts = pipeline.vet_streaming([path], rows_per_part=300).rejected.sort("row")
    assert parts.equals(whole)
    assert whole.get_column("row").to_list() == [5, 800, 1700]
    assert set(whole.get_column("reason")) == {"14 fields where the header names 13: a comma in an unquoted value?"}


def test_long_rows_are_found_where_polars_finds_rows(tmp_path):
    """Python's csv module and Polars split rows differently at a bare CR; a header may hold a
    quoted newline. Either way the row set aside is the long one, data row 7."""
    header = "creator_id,post_id,posted_at,followers,likes,saves,comments,shares,views,nickname"
    rows = [f"c{i % 4},p{i},2025-03-0{1 + i % 9} 12:00:00,1000,{50 + i},9,5,1,900,n{i}" for i in range(20)]
    rows[6] = rows[6].replace(",n6", ",n,6")
    bare_cr = rows.copy()
    bare_cr[2] = bare_cr[2].replace(",n2", ",n\r2")
    for name, head, body in (("cr.csv", header, bare_cr), ("hdr.csv", header.replace("nickname", '"nick\nname"'), rows)):
        path = tmp_path / name
        path.write_bytes((head + "\n" + "\n".join(body) + "\n").encode("utf-8"))
        for run in (pipeline.vet, lambda p: pipeline.vet_streaming(p, rows_per_part=5)):
            assert run([path]).rejected.select("row", "reason").get_column("row").to_list() == [7], name


def test_streaming_flag_through_the_cli(tmp_path, sample_csv):
    out = tmp_path / "o.csv"
    res = CliRunner().invoke(app, ["vet", str(sample_csv), "--streaming", "-o", str(out), "--posts-out", str(tmp_path / "n.csv")])
    assert res.exit_code == 0, res.output
    assert pl.read_csv(out).height == 300
    assert pl.read_csv(tmp_path / "n.csv").height == pl.read_csv(sample_csv).height


def test_streaming_names_the_file_and_a_row_when_nothing_is_usable(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("creator_id,post_id,posted_at,likes,saves,comments\nc1,n1,not a date,1,2,3\n", encoding="utf-8")
    said = []
    for flags in ([], ["--streaming"]):
        res = CliRunner().invoke(app, ["vet", str(bad), "-o", str(tmp_path / "o.csv"), *flags])
        assert res.exit_code == 1
        said.append(res.output.strip())
    assert said[0] == said[1]
    assert f"{bad}: no usable notes" in said[1] and "row 1: posted_at: not a date (posted_at 'not a date')" in said[1]


def test_streaming_skips_an_unreadable_csv_in_a_folder_as_in_memory(tmp_path):
    """Each streamed CSV is parsed once up front; one that won't read is read whole, as
    without --streaming, so a folder's broken file is skipped with its reason, not fatal."""
    posts, _ = synth.generate(synth.World(creators=40, seed=19))
    folder = tmp_path / "crawl"
    folder.mkdir()
    posts.write_csv(folder / "a.csv")
    (folder / "b.csv").write_text(posts.head(20).write_csv() + 'c9,n9,"2025-05-01 12:', encoding="utf-8")
    whole = pipeline.vet([folder])
    parts = pipeline.vet_streaming([folder], rows_per_part=300)
    assert export.ranked_table(parts).equals(export.ranked_table(whole))
    assert [(s.source, s.reason) for s in parts.skipped] == [(s.source, s.reason) for s in whole.skipped]
    assert parts.skipped[0].reason == "can't read as CSV (the quote in the row on line 22 is never closed)"


def test_a_header_only_file_in_a_folder_is_skipped_alike_in_both_modes(tmp_path):
    posts, _ = synth.generate(synth.World(creators=40, seed=19))
    folder = tmp_path / "crawl"
    folder.mkdir()
    posts.write_csv(folder / "a.csv")
    (folder / "b.csv").write_text(",".join(posts.columns) + "\n", encoding="utf-8")
    whole, parts = pipeline.vet([folder]), pipeline.vet_streaming([folder], rows_per_part=300)
    assert [(s.source, s.reason) for s in parts.skipped] == [(s.source, s.reason) for s in whole.skipped] \
        == [(str(folder / "b.csv"), "no rows")]


def test_invalid_utf8_late_in_a_csv_is_named_alike_in_both_modes(tmp_path):
    """Past the 4 MiB the encoding is judged from: the up-front pass sends the file to be read
    whole, which names the byte, as without --streaming."""
    posts, _ = synth.generate(synth.World(creators=800, seed=19, posts_per_creator=60))
    path = tmp_path / "notes.csv"
    posts.write_csv(path)
    data = path.read_bytes()
    assert len(data) > (4 << 20) + 1000
    path.write_bytes(data[:-500] + b"\xff" + data[-499:])
    said = []
    for flags in ([], ["--streaming"]):
        res = CliRunner().invoke(app, ["vet", str(path), "-o", str(tmp_path / "o.csv"), *flags])
        assert res.exit_code == 1
        said.append(res.output.strip())
    at = len(data) - 500
    line = data.count(b"\n", 0, at) + 1
    assert said[0] == said[1] == (f"kolvet: error: {path}: not valid utf-8 on line {line:,} "
                                  f"(byte {at:,}); a character cut short? Re-save the file as UTF-8, or pass "
                                  "--encoding utf-8-lossy to read it with the damaged characters replaced by \ufffd")
