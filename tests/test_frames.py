"""Datasets given as polars DataFrames: a mapping of table name to frame, or a Dataset.

Frames are read exactly as files are, so an analyst's filtered frames score like the
same rows written to a folder, and errors and the quarantine name ``<table>.parquet``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

import apsp
from conftest import EXAMPLES

OUTPUTS = ["officers", "pairs", "signals", "evidence", "quarantine"]


@pytest.fixture(scope="module")
def force(tmp_path_factory) -> tuple[Path, pl.DataFrame]:
    """A small typed-Parquet demo force and its labels."""
    d = tmp_path_factory.mktemp("force")
    labels = apsp.synth.generate(d, officers=40, days=60, seed=2, format="parquet")
    return d, labels


def raw_frames(folder: Path) -> dict[str, pl.DataFrame]:
    """Every table file of a folder read with polars, as an analyst would."""
    return {
        p.stem: pl.read_parquet(p)
        for p in sorted(folder.glob("*.parquet"))
        if p.stem in apsp.TABLES
    }


def assert_same_results(a: apsp.Result, b: apsp.Result) -> None:
    for name in OUTPUTS:
        assert getattr(a, name).equals(getattr(b, name)), name


def test_tables_are_the_readers_tables():
    """apsp.TABLES lists exactly the tables the reader knows (all twelve are in the demo)."""
    ds = apsp.read_dataset(EXAMPLES / "demo")
    assert sorted(ds.tables) == sorted(apsp.TABLES)
    assert len(apsp.TABLES) == len(set(apsp.TABLES)) == 12


def test_frames_give_byte_identical_results_to_their_folder(force, tmp_path):
    folder, _ = force
    frames = raw_frames(folder)
    assert set(frames) == set(apsp.TABLES)
    from_folder = apsp.score(folder)
    from_frames = apsp.score(frames)
    assert_same_results(from_folder, from_frames)
    assert from_frames.officers.height == 40 and from_frames.quarantine.height == 0
    from_folder.to_parquet(tmp_path / "folder")
    from_frames.to_parquet(tmp_path / "frames")
    for name in ["officers", "pairs", "signals", "evidence"]:
        a = (tmp_path / "folder" / f"{name}.parquet").read_bytes()
        assert (tmp_path / "frames" / f"{name}.parquet").read_bytes() == a, name
    # The manifest accounts for every row of every frame, under <table>.parquet.
    inputs = {f["table"]: f for f in from_frames.manifest["inputs"]}
    for name, df in frames.items():
        assert inputs[name]["file"] == f"{name}.parquet"
        assert inputs[name]["rows"]["read"] == df.height


def test_lazy_frames_and_a_dataset_score_like_the_folder(force):
    folder, _ = force
    from_folder = apsp.score(folder)
    lazy = {name: df.lazy() for name, df in raw_frames(folder).items()}
    assert_same_results(from_folder, apsp.score(lazy))
    # A Dataset's tables carry source_file, source_line and <phone>_kind: dropped
    # before they are read again.
    ds = apsp.read_dataset(folder)
    assert "source_line" in ds["billing"].columns and "device_number_kind" in ds["billing"].columns
    assert_same_results(from_folder, apsp.score(ds))
    again = apsp.read_dataset(ds)
    for name, df in ds.tables.items():
        provenance = ("source_file", "source_line")
        assert again[name].drop(provenance).equals(df.drop(provenance)), name
    assert again["billing"]["source_file"].unique().to_list() == ["billing.parquet"]


def test_filtered_billing_scores_like_the_same_rows_in_a_folder(force, tmp_path):
    """The billing of one officer only, as frames and as a folder: the same results."""
    folder, labels = force
    officer = labels.filter(pl.col("scenario") == "shark")["officer_id"][0]
    ds = apsp.read_dataset(folder)
    phones = ds["devices"].filter(pl.col("officer_id") == officer)["device_number"].to_list()
    mine = ds["billing"].filter(pl.col("device_number").is_in(phones))
    assert 0 < mine.height < ds["billing"].height

    # 1. The raw Parquet files read with polars, billing filtered to the same rows.
    frames = raw_frames(folder)
    mine_ids = mine["record_id"].to_list()
    frames["billing"] = frames["billing"].filter(pl.col("record_id").is_in(mine_ids))
    assert frames["billing"].height == mine.height
    from_frames = apsp.score(frames)
    # 2. The same filtered data written to a folder (the other tables copied as they are).
    other = tmp_path / "filtered"
    other.mkdir()
    for name in frames:
        if name != "billing":
            shutil.copy(folder / f"{name}.parquet", other)
    frames["billing"].write_parquet(other / "billing.parquet")
    from_folder = apsp.score(other)
    # 3. The Dataset's own typed tables, billing filtered.
    from_dataset = apsp.score({**ds.tables, "billing": mine})

    assert_same_results(from_folder, from_frames)
    assert_same_results(from_folder, from_dataset)
    # Only the officer's billing is left: no other officer has a contact.
    pairs = from_frames.pairs
    assert pairs.filter(pl.col("officer_id") == officer)["n_contacts"].sum() > 0
    assert pairs.filter(pl.col("officer_id") != officer)["n_contacts"].sum() == 0
    billing = next(f for f in from_frames.manifest["inputs"] if f["table"] == "billing")
    assert billing["rows"]["read"] == mine.height


def test_quarantine_line_is_the_frames_row_number():
    officers = pl.DataFrame({"officer_id": ["PC1"], "role": ["PC"]})
    billing = pl.DataFrame(
        {
            "device_number": ["07700 900001"] * 4,
            "other_number": ["07700 900123", "07700 900124", "07700 9OO125", "07700 900126"],
            "direction": ["out", "in", "out", "sideways"],
            "kind": ["call", "sms", "call", "call"],
            "started_at": [
                "2026-03-01 10:00", "2026-03-01 10:05", "2026-03-01 10:10", "2026-03-01 10:15"
            ],
        }
    )
    ds = apsp.validate({"officers": officers, "billing": billing})
    got = ds.quarantine.select("table", "file", "line", "column").rows()
    assert got == [
        ("billing", "billing.parquet", 3, "other_number"),
        ("billing", "billing.parquet", 4, "direction"),
    ]
    assert ds.exit_code == 1 and ds["billing"].height == 2
    assert ds["billing"]["source_line"].to_list() == [1, 2]


def test_unknown_table_name_is_a_dataset_error(force):
    folder, _ = force
    frames = raw_frames(folder)
    frames["bills"] = frames.pop("billing")
    for call in (apsp.read_dataset, apsp.validate, apsp.score):
        with pytest.raises(apsp.DatasetError) as info:
            call(frames)
        msg = str(info.value)
        assert "'bills'" in msg
        assert all(t in msg for t in apsp.TABLES), msg
    with pytest.raises(apsp.DatasetError, match="unknown table 1"):
        apsp.read_dataset({1: frames["officers"]})


@pytest.mark.parametrize("value", [{"officer_id": ["PC1"]}, [1, 2], None, "officers.csv"])
def test_a_value_that_is_no_frame_is_a_type_error(value):
    officers = pl.DataFrame({"officer_id": ["PC1"], "role": ["PC"]})
    message = "table 'billing': expected a polars DataFrame or LazyFrame"
    with pytest.raises(TypeError, match=message):
        apsp.read_dataset({"officers": officers, "billing": value})


@pytest.mark.parametrize("value", [pl.DataFrame({"officer_id": ["PC1"]}), 42, None])
def test_a_dataset_that_is_no_folder_or_mapping_is_a_type_error(value):
    with pytest.raises(TypeError, match="mapping of table name to polars DataFrame"):
        apsp.score(value)


def test_errors_about_frames_name_the_table_file():
    officers = pl.DataFrame({"officer_id": ["PC1"], "role": ["PC"]})
    billing = pl.DataFrame({
        "device_number": ["07700 900001"], "other_number": ["07700 900123"],
        "direction": ["out"], "kind": ["call"], "started_at": ["2026-03-01 10:00"],
    })
    with pytest.raises(apsp.SchemaError) as info:
        apsp.read_dataset({"officers": officers.drop("role"), "billing": billing})
    err = info.value
    assert (err.file, err.column) == ("officers.parquet", "role")
    assert str(err).startswith('officers.parquet, column "role": required column "role"')
    with pytest.raises(apsp.SchemaError) as info:
        listed = billing.with_columns(pl.Series("duration_s", [[1]]))
        apsp.score({"officers": officers, "billing": listed})
    assert (info.value.file, info.value.column) == ("billing.parquet", "duration_s")
    assert "apsp-frames-" not in str(info.value)
    with pytest.raises(apsp.DatasetError, match="no officers table") as info:
        apsp.read_dataset({"billing": billing})
    assert "apsp-frames-" not in str(info.value) and info.value.file == "<frames>"
    with pytest.raises(apsp.DatasetError, match="no event table"):
        apsp.read_dataset({"officers": officers})


def test_pseudonymised_dataset_is_refused(monkeypatch):
    monkeypatch.setenv("APSP_TEST_KEY", "a-test-key-of-more-than-16-bytes")
    ds = apsp.read_dataset(EXAMPLES / "demo", pseudonymise=True, key_env="APSP_TEST_KEY")
    with pytest.raises(apsp.DatasetError, match="pseudonymised"):
        apsp.score(ds)


def test_result_outlives_the_temporary_folder(force):
    folder, _labels = force
    r = apsp.score(raw_frames(folder))
    assert not Path(r.manifest["dataset"]).exists()
    top = r.officers["officer_id"][0]
    assert "warning signs for review" in r.explain(top)
    pairs = r.pairs.filter(pl.col("officer_id") == top)
    subject = pairs.sort("score", descending=True)["subject_id"][0]
    assert r.events(top, subject).height > 0
