"""Each Python exception is raised by a real bad input and carries where it happened."""

from __future__ import annotations

import pytest

import apsp
from conftest import CORPUS, EXAMPLES


def test_missing_dataset_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        apsp.read_dataset(tmp_path / "nowhere")
    assert "nowhere" in str(info.value)


def test_missing_profile_is_file_not_found():
    with pytest.raises(FileNotFoundError):
        apsp.read_dataset(EXAMPLES / "demo", profiles=[EXAMPLES / "no-such-profile.toml"])


def test_schema_error_has_file_line_column():
    with pytest.raises(apsp.SchemaError) as info:
        apsp.read_dataset(CORPUS / "billing_missing_required_column" / "data")
    err = info.value
    assert err.file.endswith("billing.csv")
    assert err.line == 1
    assert err.column == "started_at"
    assert isinstance(err, apsp.ApspError)


def test_setting_error_for_unknown_time_zone():
    with pytest.raises(apsp.SettingError, match="Europe/Londn"):
        apsp.read_dataset(EXAMPLES / "demo", timezone="Europe/Londn")
    with pytest.raises(apsp.SettingError, match="ambiguous"):
        apsp.read_dataset(EXAMPLES / "demo", ambiguous="maybe")


def test_pseudonymisation_error_without_key(monkeypatch):
    monkeypatch.delenv("APSP_PSEUDONYM_KEY", raising=False)
    with pytest.raises(apsp.PseudonymisationError, match="no default key"):
        apsp.read_dataset(EXAMPLES / "demo", pseudonymise=True)


def test_pseudonymisation_from_env(monkeypatch):
    monkeypatch.setenv("APSP_TEST_KEY", "a-test-key-of-more-than-16-bytes")
    ds = apsp.read_dataset(EXAMPLES / "demo", pseudonymise=True, key_env="APSP_TEST_KEY")
    numbers = ds["person_numbers"]["number"]
    assert numbers.str.starts_with("n_").all()
    assert ds["persons"]["person_id"].str.starts_with("p_").all()
    # The same person has the same pseudonym in every table.
    assert set(ds["case_links"]["person_id"]) <= set(ds["persons"]["person_id"])
    # Officers' own numbers stay in clear, so colleague calls can still be recognised.
    assert ds["devices"]["device_number"].str.starts_with("+44").all()
    colleague = ds["billing"].filter(ds["billing"]["other_number"].is_in(ds["devices"]["device_number"].to_list()))
    assert colleague.height > 0
    assert ds.manifest["settings"]["pseudonymised"] is True


def test_dataset_error_without_officers(tmp_path):
    (tmp_path / "billing.csv").write_text("record_id\n")
    with pytest.raises(apsp.DatasetError, match="officers"):
        apsp.read_dataset(tmp_path)
