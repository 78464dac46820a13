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


def test_score_warns_of_a_file_not_read_and_the_table_absent(misnamed):
    with pytest.warns(apsp.CoverageWarning) as caught:
        r = apsp.score(misnamed)
    messages = [str(w.message) for w in caught if w.category is apsp.CoverageWarning]
    assert any("'Billing_Export.csv' was not read" in m for m in messages), messages
    assert any(m.startswith("table(s) absent: billing:") for m in messages), messages
    # The warnings point at the caller's line, not at apsp's insides.
    assert all(w.filename == __file__ for w in caught if w.category is apsp.CoverageWarning)
    # And the repr leads with it.
    assert repr(r).startswith(
        "<apsp.Result: 1 file(s) not read (Billing_Export.csv); absent: billing; 9 officers"
    ), repr(r)


def test_read_dataset_warns_and_its_repr_is_one_line(misnamed):
    with pytest.warns(apsp.CoverageWarning, match="Billing_Export.csv"):
        ds = apsp.read_dataset(misnamed)
    # A bare `ds` printed every table (~31,000 characters for the demo force).
    assert repr(ds) == (
        "<apsp.Dataset: 11 tables, 480 rows; 1 file(s) not read (Billing_Export.csv); "
        "absent: billing>"
    )
    assert "<table" in ds._repr_html_()


def test_a_complete_dataset_raises_no_coverage_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error", apsp.CoverageWarning)
        r = apsp.score(EXAMPLES / "demo")
        ds = apsp.read_dataset(EXAMPLES / "demo")
    assert repr(r).startswith("<apsp.Result: every table read, nothing quarantined;")
    assert repr(ds) == "<apsp.Dataset: 12 tables, 556 rows; every table read, nothing quarantined>"


def test_quarantined_rows_are_a_coverage_warning(tmp_path):
    d = tmp_path / "force"
    shutil.copytree(EXAMPLES / "demo", d)
    with (d / "stops.csv").open("a") as f:
        f.write("S-BAD,V1,,53.0,-1.2,not a time,2026-03-10T10:00:00\n")
    with pytest.warns(apsp.CoverageWarning, match=r"^1 row\(s\) quarantined"):
        apsp.read_dataset(d)


def test_the_cli_says_so_too(apsp_bin, misnamed, tmp_path):
    r = subprocess.run(
        [str(apsp_bin), "score", str(misnamed), "--out", str(tmp_path / "out")],
        capture_output=True, text=True,
    )
    assert r.returncode == 0, r.stderr
    assert "warning: Billing_Export.csv belongs to no table and was not read" in r.stderr
    assert "warning: table(s) absent: billing:" in r.stderr


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
