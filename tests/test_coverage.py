"""Issue 17, point 1: what a run leaves out is said, never hidden.

A billing export named `Billing_Export.csv` was skipped by `apsp score` and `apsp.score`
with exit 0 and no word; four phone signs ended `not_evaluated` and a pair disappeared.
"""

from __future__ import annotations

import shutil
import subprocess
import warnings

import pytest

import apsp
from conftest import EXAMPLES


@pytest.fixture
def misnamed(tmp_path):
    """The demo dataset with its billing export under a name that is no table."""
    d = tmp_path / "force"
    shutil.copytree(EXAMPLES / "demo", d)
    (d / "billing.csv").rename(d / "Billing_Export.csv")
    return d


@pytest.fixture
def left_out(tmp_path):
    """The demo dataset without billing, and a file of notes beside the tables."""
    d = tmp_path / "left_out"
    shutil.copytree(EXAMPLES / "demo", d)
    (d / "billing.csv").unlink()
    (d / "notes.txt").write_text("exported by J. Smith on Monday\n")
    return d


def test_a_misnamed_export_of_an_absent_table_is_an_error_naming_the_fix(misnamed):
    """Reading on without it ended four phone signs `not_evaluated` and lost a pair."""
    for call in (apsp.score, apsp.read_dataset):
        with pytest.raises(apsp.DatasetError) as err:
            call(misnamed)
        msg = str(err.value)
        assert "Billing_Export.csv is not read, and could be the absent billing table" in msg
        assert "rename it billing.csv" in msg and "import profile" in msg


def test_one_table_in_two_formats_is_an_error(tmp_path):
    d = tmp_path / "force"
    shutil.copytree(EXAMPLES / "demo", d)
    apsp.read_dataset(EXAMPLES / "demo")["officers"].write_parquet(d / "officers.parquet")
    with pytest.raises(apsp.DatasetError, match=r"the officers table is given 2 times "
                       r"\(officers.csv, officers.parquet\)"):
        apsp.read_dataset(d)


def test_score_warns_of_a_file_not_read_and_the_table_absent(left_out):
    with pytest.warns(apsp.CoverageWarning) as caught:
        r = apsp.score(left_out)
    messages = [str(w.message) for w in caught if w.category is apsp.CoverageWarning]
    assert any("'notes.txt' was not read" in m for m in messages), messages
    assert any(m.startswith("table(s) absent: billing:") for m in messages), messages
    # The warnings point at the caller's line, not at apsp's insides.
    assert all(w.filename == __file__ for w in caught if w.category is apsp.CoverageWarning)
    # And the repr leads with it.
    # The signs that need billing are named, not left to look cleared.
    assert repr(r).startswith(
        "<apsp.Result: 1 file(s) not read (notes.txt); absent: billing; not evaluated: "
        "contact_volume, escalation, off_duty_contact, unanswered_persistence; 9 officers"
    ), repr(r)
    assert any(m.startswith("sign contact_volume not evaluated for anyone (no billing table)")
               for m in messages), messages


def test_read_dataset_warns_and_its_repr_is_one_line(left_out):
    with pytest.warns(apsp.CoverageWarning, match="notes.txt"):
        ds = apsp.read_dataset(left_out)
    # A bare `ds` printed every table (~31,000 characters for the demo force).
    assert repr(ds) == (
        "<apsp.Dataset: 11 tables, 480 rows; 1 file(s) not read (notes.txt); "
        "absent: billing>"
    )
    assert "<table" in ds._repr_html_()


def test_a_complete_dataset_says_only_what_its_data_cannot():
    with warnings.catch_warnings():
        warnings.simplefilter("error", apsp.CoverageWarning)
        ds = apsp.read_dataset(EXAMPLES / "demo")
    with pytest.warns(apsp.CoverageWarning) as caught:
        r = apsp.score(EXAMPLES / "demo")
    # One officer's contact lies outside every shift of his roster: off_duty_contact
    # cannot say for that pair, and says so.
    assert [str(w.message) for w in caught] == [
        "signs not evaluated for some subjects or officers, their data cannot say: "
        "off_duty_contact for 1 pairs (no roster (shifts) of the officer covering these "
        "contacts); see the signals where status == 'not_evaluated'"
    ]
    assert repr(r).startswith(
        "<apsp.Result: every table read, nothing quarantined; 1 sign(s) not evaluated for "
        "some subjects;"
    )
    assert repr(ds) == "<apsp.Dataset: 12 tables, 556 rows; every table read, nothing quarantined>"


def test_quarantined_rows_are_a_coverage_warning(tmp_path):
    d = tmp_path / "force"
    shutil.copytree(EXAMPLES / "demo", d)
    with (d / "stops.csv").open("a") as f:
        f.write("S-BAD,V1,,53.0,-1.2,not a time,2026-03-10T10:00:00\n")
    with pytest.warns(apsp.CoverageWarning, match=r"^1 row\(s\) quarantined"):
        apsp.read_dataset(d)


def test_the_cli_says_so_too(apsp_bin, left_out, misnamed, tmp_path):
    r = subprocess.run(
        [str(apsp_bin), "score", str(left_out), "--out", str(tmp_path / "out")],
        capture_output=True, text=True,
    )
    assert r.returncode == 0, r.stderr
    assert "warning: notes.txt belongs to no table and was not read" in r.stderr
    assert "warning: table(s) absent: billing:" in r.stderr


def test_the_cli_refuses_a_misnamed_export(apsp_bin, misnamed, tmp_path):
    r = subprocess.run(
        [str(apsp_bin), "score", str(misnamed), "--out", str(tmp_path / "out")],
        capture_output=True, text=True,
    )
    assert r.returncode == 2
    assert "Billing_Export.csv is not read" in r.stderr and "rename it billing.csv" in r.stderr
    assert not (tmp_path / "out").exists()


def test_writing_into_a_folder_with_files_needs_overwrite(apsp_bin, tmp_path):
    """A mistyped `--out` must not mix one run's files with another's, or with others."""
    out = tmp_path / "scored"
    run = [str(apsp_bin), "score", str(EXAMPLES / "demo"), "--out", str(out)]
    assert subprocess.run([*run, "--csv"], capture_output=True).returncode == 0
    (out / "my_notes.md").write_text("keep me")
    r = subprocess.run(run, capture_output=True, text=True)
    assert r.returncode == 2
    assert "already holds files (evidence.csv, evidence.parquet" in r.stderr
    assert "--overwrite" in r.stderr
    r = subprocess.run([*run, "--overwrite"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    # The earlier run's CSVs are gone (this run wrote none); the user's file stays.
    assert sorted(p.name for p in out.iterdir()) == [
        "evidence.parquet", "manifest.json", "my_notes.md", "officers.parquet",
        "pairs.parquet", "quarantine.parquet", "signals.parquet",
    ]
    r = apsp.score(EXAMPLES / "demo")
    with pytest.raises(apsp.DatasetError, match="overwrite=True"):
        r.write(out)
    with pytest.raises(apsp.DatasetError, match="already holds files"):
        apsp.validate(EXAMPLES / "demo", out)
    r.write(out, overwrite=True)
    assert (out / "my_notes.md").read_text() == "keep me"


def test_an_output_folder_beside_the_input_is_refused(apsp_bin, tmp_path):
    """`--out` equal to the dataset folder wrote the outputs into it, and the next run
    failed on `officers.parquet` having a `score` column."""
    d = tmp_path / "force"
    shutil.copytree(EXAMPLES / "demo", d)
    before = sorted(p.name for p in d.iterdir())
    for out, why in [(d, "is the dataset folder"), (d / "scored", "is inside the dataset"),
                     (tmp_path, "holds the dataset folder")]:
        r = subprocess.run(
            [str(apsp_bin), "score", str(d), "--out", str(out)], capture_output=True, text=True
        )
        assert r.returncode == 2 and why in r.stderr, (out, r.returncode, r.stderr)
    with pytest.raises(apsp.DatasetError, match="is the dataset folder"):
        apsp.validate(d, out=d)
    with pytest.raises(apsp.DatasetError, match="is inside the dataset folder"):
        apsp.score(d).write(d / "scored")
    assert sorted(p.name for p in d.iterdir()) == before
    # Beside it is fine.
    r = subprocess.run(
        [str(apsp_bin), "score", str(d), "--out", str(tmp_path / "scored")],
        capture_output=True, text=True,
    )
    assert r.returncode == 0, r.stderr
