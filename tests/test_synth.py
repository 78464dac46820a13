"""The synthetic force from Python: deterministic, valid, with its labels."""

from __future__ import annotations

import subprocess

import polars as pl
import pytest

import apsp

SCENARIOS = {
    "case_study_1", "case_study_2", "case_study_3", "case_study_4", "case_study_8",
    "case_study_9", "case_study_10", "fisherman", "shark",
}
DECOYS = {
    "decoy_da_specialist", "decoy_repeat_address", "decoy_court_result",
    "decoy_complaints_only", "decoy_partner_number",
}


def test_generate_is_deterministic_and_valid(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    labels = apsp.synth.generate(a, officers=200, days=120, seed=5)
    apsp.synth.generate(b, officers=200, days=120, seed=5)
    for f in sorted(p.name for p in a.iterdir()):
        assert (a / f).read_bytes() == (b / f).read_bytes(), f
    assert labels.columns == [
        "officer_id", "role", "scenario", "kind", "detectable", "subjects",
        "expected_signals", "description",
    ]
    assert set(labels.filter(pl.col("kind") == "planted")["scenario"]) == SCENARIOS
    # The default force is `real-town`, with the hospital decoy.
    decoys = DECOYS | {"decoy_beside_hospital"}
    assert set(labels.filter(pl.col("kind") == "decoy")["scenario"]) == decoys
    # One officer per scenario; case study 4 is the documented blind spot.
    assert labels["officer_id"].n_unique() == labels.height
    assert set(labels.filter(~pl.col("detectable"))["scenario"]) == {"case_study_4"} | decoys
    ds = apsp.read_dataset(a)
    assert ds.quarantine.height == 0
    assert ds.manifest["ignored_files"] == []
    assert ds.manifest["ground_truth_files"] == ["labels.parquet"]
    officers = ds["officers"]
    cs2 = labels.filter(pl.col("scenario") == "case_study_2")["officer_id"][0]
    assert officers.filter(pl.col("officer_id") == cs2)["role"].to_list() == ["PCSO"]
    # Every subject is a person in the data, or a number (E.164) in no record.
    persons = set(ds["persons"]["person_id"])
    for subjects in labels["subjects"]:
        for s in filter(None, subjects.split(";")):
            assert s in persons or s.startswith("+44"), s
    w1 = labels.filter(pl.col("scenario") == "case_study_2")["subjects"][0].split(";")[0]
    flags = ds["persons"].filter(pl.col("person_id") == w1)["vulnerabilities"][0]
    assert "learning_disability" in flags


def test_parquet_output_is_typed_and_valid(tmp_path):
    apsp.synth.generate(tmp_path, officers=40, days=60, seed=2, format="parquet")
    billing = pl.read_parquet(tmp_path / "billing.parquet")
    assert billing.schema["started_at"] == pl.Datetime("us", "UTC")
    assert billing.schema["duration_s"] == pl.Int64
    assert apsp.read_dataset(tmp_path).quarantine.height == 0


def test_injected_errors_are_exactly_the_quarantine(tmp_path):
    apsp.synth.generate(tmp_path, officers=40, days=60, seed=9, inject_errors=0.01)
    injected = pl.read_parquet(tmp_path / "injected_errors.parquet")
    ds = apsp.read_dataset(tmp_path)
    key = ["table", "file", "line", "reason", "column"]
    want = injected.filter(pl.col("reason") != "duplicate").select(key).sort(key)
    got = ds.quarantine.select(key).sort(key)
    assert want.height > 20
    assert got.equals(want)
    counts = ds.counts()
    assert counts["duplicates"].sum() == injected.filter(pl.col("reason") == "duplicate").height


@pytest.mark.parametrize(
    "kwargs",
    [{"format": "xml"}, {"inject_errors": 0.9}, {"plant_rate": -1.0}, {"officers": 0},
     {"start": "2026-02-30"}],
)
def test_bad_settings_are_setting_errors(tmp_path, kwargs):
    with pytest.raises(apsp.SettingError):
        apsp.synth.generate(tmp_path, **kwargs)


def test_plant_rate_scales_with_the_force(tmp_path):
    labels = apsp.synth.generate(tmp_path, officers=400, days=365, seed=1, plant_rate=0.005)
    # 0.005 x 400 officer-years = 2 scenarios; decoys at ten times the rate.
    assert (labels["kind"] == "planted").sum() == 2
    assert (labels["kind"] == "decoy").sum() == 20


def test_realism_preset_and_overrides(tmp_path):
    """`real-town` adds the hospital decoy, `clean` has none; a single setting overrides
    the preset."""
    a, b = tmp_path / "a", tmp_path / "b"
    labels = apsp.synth.generate(
        a, officers=120, days=90, seed=3, realism="real-town", no_durations=1.0
    )
    apsp.synth.generate(b, officers=120, days=90, seed=3, realism="real-town", no_durations=1.0)
    for f in sorted(p.name for p in a.iterdir()):
        assert (a / f).read_bytes() == (b / f).read_bytes(), f
    assert set(labels.filter(pl.col("kind") == "decoy")["scenario"]) == DECOYS | {
        "decoy_beside_hospital"
    }
    billing = pl.read_csv(a / "billing.csv", infer_schema=False)
    devices = pl.read_csv(a / "devices.csv", infer_schema=False)
    # Every unlabelled officer's calls lack durations; labelled officers keep theirs.
    assert billing.filter(pl.col("kind") == "call")["duration_s"].null_count() > 0
    assert devices.height >= 120  # pooled team phones add rows
    clean = apsp.synth.generate(tmp_path / "d", officers=120, days=90, seed=3, realism="clean")
    assert set(clean.filter(pl.col("kind") == "decoy")["scenario"]) == DECOYS
    with pytest.raises(apsp.SettingError):
        apsp.synth.generate(tmp_path / "c", officers=10, days=10, stops="everywhere")  # type: ignore[arg-type]


def test_the_generator_refuses_a_folder_that_holds_files(tmp_path, apsp_bin):
    """Issue 17, point 2: pointed at a real dataset (here one Parquet table), the
    generator wrote 300 generated officers beside the real ones."""
    real = tmp_path / "real"
    real.mkdir()
    (real / "officers.parquet").write_bytes(b"the force's own export")
    with pytest.raises(apsp.DatasetError, match="not empty"):
        apsp.synth.generate(real, officers=10, days=10, seed=1)
    assert [p.name for p in real.iterdir()] == ["officers.parquet"]
    r = subprocess.run(
        [str(apsp_bin), "synth", "--officers", "10", "--days", "10", "--out", str(real)],
        capture_output=True, text=True,
    )
    assert r.returncode != 0 and "not empty" in r.stderr, r.stderr
    assert [p.name for p in real.iterdir()] == ["officers.parquet"]
    # A new or empty folder is fine.
    (tmp_path / "empty").mkdir()
    apsp.synth.generate(tmp_path / "empty", officers=10, days=10, seed=1)
