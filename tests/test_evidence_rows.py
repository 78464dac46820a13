"""From a score to the rows behind it (issue 17, point 5): every evidence row names its
input file and line, and `Result.evidence_rows` joins them back to the tables.

The lines are checked against the files themselves, read here with Python's own csv
module: the line a row names holds that row's id.
"""

from __future__ import annotations

import csv
import shutil
import warnings
from pathlib import Path

import polars as pl
import pytest

import apsp
from conftest import EXAMPLES

ID_COLUMN = {
    "billing": "record_id", "stops": "stop_id", "access_log": "event_id", "persons": "person_id",
}


def lines_of(path: Path) -> dict[int, dict[str, str]]:
    """Each data row of a CSV by its line in the file (header = line 1)."""
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        rows = {}
        for row in reader:
            rows[reader.line_num] = row  # the line the row ends on (no quoted newlines)
        return rows


@pytest.fixture(scope="module")
def result():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", apsp.CoverageWarning)
        return apsp.score(EXAMPLES / "demo")


def test_every_input_evidence_row_names_its_file_and_line(result):
    ev = result.evidence.filter(pl.col("table").is_in(list(ID_COLUMN)))
    assert ev.height > 0 and ev["source_file"].null_count() == 0
    files = {name: lines_of(EXAMPLES / "demo" / name) for name in ev["source_file"].unique()}
    for table, row_id, file, line in ev.select(
        "table", "row_id", "source_file", "source_line"
    ).iter_rows():
        assert file == f"{table}.csv"
        assert files[file][line][ID_COLUMN[table]] == row_id, (file, line)
    # The person behind vulnerable_subject is her row of persons.
    person = result.evidence.filter(pl.col("signal") == "vulnerable_subject")
    assert person.height and set(person["source_file"]) == {"persons.csv"}
    # The officer's other flagged pairs (multiple_subjects) are no input rows: no line.
    others = result.evidence.filter(pl.col("table") == "pairs")
    assert others["source_line"].null_count() == others.height


def test_evidence_rows_are_the_source_rows_with_the_signs_they_support(result):
    rows = result.evidence_rows("PCSO2002", "P003")
    assert set(rows) == {"billing", "stops", "access_log", "persons"}
    assert rows["persons"]["person_id"].to_list() == ["P003"]
    billing = rows["billing"]
    assert billing.columns[:4] == ["signal", "detail", "source_file", "source_line"]
    raw = lines_of(EXAMPLES / "demo" / "billing.csv")
    for line, record_id, other in billing.select(
        "source_line", "record_id", "other_number"
    ).iter_rows():
        assert raw[line]["record_id"] == record_id
        assert raw[line]["other_number"].replace(" ", "")[-9:] == other[-9:]
    # One row per (row, sign): as many as the evidence says for this pair.
    ev = result.evidence.filter(
        (pl.col("officer_id") == "PCSO2002") & (pl.col("subject_id") == "P003")
        & (pl.col("table") == "billing")
    )
    assert billing.height == ev.height
    # Times on the force's clock, as everywhere in a result.
    assert billing.schema["started_at"] == pl.Datetime("us", "Europe/London")
    # The whole officer: the same rows here (one subject flagged).
    assert result.evidence_rows("PCSO2002")["billing"].equals(billing)


def test_frames_in_frames_out(result):
    frames = {n: apsp.read_dataset(EXAMPLES / "demo")[n] for n in
              ("officers", "devices", "persons", "person_numbers", "billing")}
    frames = {n: f.drop("source_file", "source_line") for n, f in frames.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", apsp.CoverageWarning)
        r = apsp.score(frames)
    top = r.officers["officer_id"][0]
    billing = r.evidence_rows(top)["billing"]
    # For a frame, the "line" is the 1-based row in the frame given.
    for line, record_id in billing.select("source_line", "record_id").iter_rows():
        assert frames["billing"]["record_id"][line - 1] == record_id


def test_a_dataset_changed_since_scoring_is_said(tmp_path):
    d = tmp_path / "force"
    shutil.copytree(EXAMPLES / "demo", d)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", apsp.CoverageWarning)
        r = apsp.score(d)
    with (d / "billing.csv").open("a") as f:
        f.write("CDR999999,07700900016,07911 100103,out,call,2026-03-10T20:54:00,2\n")
    with pytest.raises(apsp.DatasetError, match=r"changed since it was scored \(billing.csv\)"):
        r.evidence_rows("PCSO2002")
    with pytest.raises(KeyError, match="PCSO2002"):
        r.evidence_rows("PCSO2020")
