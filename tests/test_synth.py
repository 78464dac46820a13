"""The synthetic force from Python: deterministic, valid, with its labels."""

from __future__ import annotations

import apsp


def test_generate_is_deterministic_and_valid(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    labels = apsp.synth.generate(a, officers=60, days=120, seed=5)
    apsp.synth.generate(b, officers=60, days=120, seed=5)
    for f in sorted(p.name for p in a.iterdir()):
        if f.endswith(".csv"):
            assert (a / f).read_bytes() == (b / f).read_bytes(), f
    assert labels.columns == ["officer_id", "scenario", "kind", "subjects", "expected_signals"]
    assert labels["scenario"].to_list() == ["case_study_2"]
    ds = apsp.read_dataset(a)
    assert ds.quarantine.height == 0
    assert ds.manifest["ignored_files"] == ["labels.parquet"]
    officer = labels["officer_id"][0]
    assert ds["officers"].filter(ds["officers"]["officer_id"] == officer)["role"].to_list() == ["PCSO"]


def test_unsupported_format_is_a_setting_error(tmp_path):
    import pytest

    with pytest.raises(apsp.SettingError):
        apsp.synth.generate(tmp_path, format="parquet")
