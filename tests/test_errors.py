"""Each Python exception is raised by a real bad input and carries where it happened."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import polars as pl
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
    work_phones = ds["devices"]["device_number"].to_list()
    colleague = ds["billing"].filter(ds["billing"]["other_number"].is_in(work_phones))
    assert colleague.height > 0
    assert ds.manifest["settings"]["pseudonymised"] is True


def test_dataset_error_without_officers(tmp_path):
    (tmp_path / "billing.csv").write_text("record_id\n")
    with pytest.raises(apsp.DatasetError, match="officers"):
        apsp.read_dataset(tmp_path)


# --- One real bad input per exception class, each caught by the ApspError base. -------


def _corrupt_parquet(tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    shutil.copy(EXAMPLES / "demo" / "officers.csv", d)
    (d / "billing.parquet").write_bytes(b"PAR1" + b"\0" * 20 + b"PAR1")
    return d


def _bad_profile(tmp_path):
    p = tmp_path / "profile.toml"
    p.write_text('table = "billing"\ndelimeter = ";"\n')
    return p


def _bad_matrix(tmp_path):
    m = tmp_path / "matrix.toml"
    m.write_text(apsp.RiskMatrix.default().to_toml().replace("[tiers]", "[tiers]\nbogus = 1", 1))
    return m


def _edit_matrix():
    m = apsp.RiskMatrix.default()
    m["signals.contact_volume.weight"] = -1.0


TRIGGERS = {
    "SchemaError": lambda tmp: apsp.read_dataset(
        CORPUS / "billing_missing_required_column" / "data"
    ),
    "ParseError": lambda tmp: apsp.read_dataset(_corrupt_parquet(tmp)),
    "ProfileError": lambda tmp: apsp.read_dataset(EXAMPLES / "demo", profiles=[_bad_profile(tmp)]),
    "MatrixError": lambda tmp: apsp.score(EXAMPLES / "demo", matrix=_bad_matrix(tmp)),
    "PseudonymisationError": lambda tmp: apsp.read_dataset(
        EXAMPLES / "demo", pseudonymise=True, key_file=tmp / "no-such-key"
    ),
    "DatasetError": lambda tmp: apsp.score(
        {"officers": pl.DataFrame({"officer_id": ["PC1"], "role": ["PC"]})}
    ),
    "SettingError": lambda tmp: apsp.score(EXAMPLES / "demo", timezone="Mars/Olympus"),
}
CLASSES = [
    "SchemaError", "ParseError", "ProfileError", "MatrixError", "PseudonymisationError",
    "DatasetError", "SettingError", "InternalError",
]


def test_every_error_class_derives_from_apsp_error():
    for name in CLASSES:
        assert issubclass(getattr(apsp, name), apsp.ApspError), name
        assert name in apsp.__all__
    assert issubclass(apsp.ApspError, Exception)
    # A missing path is the standard FileNotFoundError, not an ApspError.
    assert not issubclass(FileNotFoundError, apsp.ApspError)


@pytest.mark.parametrize("name", sorted(TRIGGERS))
def test_apsp_error_catches_each_real_error(name, tmp_path):
    with pytest.raises(apsp.ApspError) as info:
        TRIGGERS[name](tmp_path)
    assert type(info.value) is getattr(apsp, name)
    # Every native error carries where it happened (None where that does not apply).
    for attr in ("file", "line", "column"):
        assert hasattr(info.value, attr), attr


def test_parse_error_for_a_corrupt_parquet_file(tmp_path):
    d = _corrupt_parquet(tmp_path)
    with pytest.raises(apsp.ParseError) as info:
        apsp.read_dataset(d)
    err = info.value
    assert err.file == str(d / "billing.parquet")
    assert str(err).startswith(f"{d / 'billing.parquet'}: cannot read Parquet")
    assert err.line is None and err.column is None


def test_profile_error_names_the_profile_key_and_line(tmp_path):
    p = _bad_profile(tmp_path)
    for call in (apsp.read_dataset, apsp.score):
        with pytest.raises(apsp.ProfileError) as info:
            call(EXAMPLES / "demo", profiles=[p])
        err = info.value
        assert err.file == str(p)
        msg = str(err)
        assert msg.startswith(f"profile {p}:")
        assert "line 2" in msg and "delimeter" in msg and "delimiter" in msg  # the fix offered
        assert err.line == 2


def test_matrix_error_names_the_file_key_and_line(tmp_path):
    m = _bad_matrix(tmp_path)
    with pytest.raises(apsp.MatrixError) as info:
        apsp.score(EXAMPLES / "demo", matrix=m)
    err = info.value
    assert err.file == str(m)
    msg = str(err)
    assert msg.startswith(f"risk matrix {m}:") and "bogus" in msg
    line = next(i for i, text in enumerate(m.read_text().splitlines(), 1) if text == "bogus = 1")
    assert f"line {line}, column 1" in msg
    assert err.line == line


def test_matrix_error_for_a_bad_edit_names_the_key_and_changes_nothing():
    m = apsp.RiskMatrix.default()
    with pytest.raises(apsp.MatrixError) as info:
        m["signals.contact_volume.weight"] = -1.0
    assert info.value.file == "edited"
    assert "signals.contact_volume.weight" in str(info.value) and ">= 0" in str(info.value)
    with pytest.raises(apsp.MatrixError, match='invalid type: string "lots"'):
        m["tiers.high"] = "lots"
    assert m == apsp.RiskMatrix.default() and m.source == "default"


def test_complaint_category_weights_are_matrix_keys_checked_on_edit():
    m = apsp.RiskMatrix.default()
    assert m["signals.repeat_complaints.category_weights.sexual"] == 1.0
    assert m["signals.repeat_complaints.category_weights.incivility"] == 0.2
    m["signals.repeat_complaints.category_weights.intelligence"] = 0.6
    assert m["signals.repeat_complaints.category_weights.intelligence"] == 0.6
    with pytest.raises(apsp.MatrixError, match="a complaint weighs between 0 and 1"):
        m["signals.repeat_complaints.category_weights.sexual"] = 2.0
    assert m["signals.repeat_complaints.category_weights.sexual"] == 1.0


def test_pseudonymisation_error_for_a_missing_key_file(tmp_path):
    key = tmp_path / "no-such-key"
    with pytest.raises(apsp.PseudonymisationError, match="cannot read key file") as info:
        apsp.score(EXAMPLES / "demo", pseudonymise=True, key_file=key)
    assert str(key) in str(info.value)


def test_setting_errors_for_score_name_the_setting_and_value():
    with pytest.raises(apsp.SettingError) as info:
        apsp.score(EXAMPLES / "demo", timezone="Mars/Olympus")
    assert str(info.value).startswith('invalid setting timezone = "Mars/Olympus"')
    with pytest.raises(apsp.SettingError, match='nonexistent = "later"'):
        apsp.score(EXAMPLES / "demo", nonexistent="later")
    with pytest.raises(apsp.SettingError, match='reference_time = "yesterday"'):
        apsp.score(EXAMPLES / "demo", reference_time="yesterday")


def test_dataset_error_for_a_file_instead_of_a_folder(tmp_path):
    f = tmp_path / "billing.csv"
    f.write_text("record_id\n")
    with pytest.raises(apsp.DatasetError, match="is a file; expected a folder") as info:
        apsp.score(f)
    assert info.value.file == str(f)


def test_missing_paths_for_score_are_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        apsp.score(tmp_path / "nowhere")
    assert info.value.filename == str(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="risk matrix not found") as info:
        apsp.score(EXAMPLES / "demo", matrix=tmp_path / "no-matrix.toml")
    assert info.value.filename == str(tmp_path / "no-matrix.toml")


# Issue 17, point 7: the paper cuts of the Python API.


def test_reference_time_takes_a_datetime_or_a_date():
    """An aware datetime is that instant, a naive one or a date local time: each the
    same as its text, which was the only form taken."""
    from datetime import UTC, date, datetime

    def ref(at):
        return apsp.score(EXAMPLES / "demo", reference_time=at).manifest["scoring"][
            "reference_time"
        ]

    assert ref(datetime(2026, 1, 31, 12, 0, tzinfo=UTC)) == ref("2026-01-31T12:00:00Z")
    assert ref(datetime(2026, 7, 1)) == ref("2026-07-01T00:00:00")
    # Local midnight in summer is 23:00 UTC the day before.
    assert ref(date(2026, 7, 1)) == ref("2026-07-01") == "2026-06-30T23:00:00Z"


@pytest.mark.parametrize("days", [-5, 0, 2.5, True])
def test_window_days_must_be_a_whole_number_of_days(days):
    # -5 raised OverflowError from the native side; 2.5 a TypeError.
    with pytest.raises(apsp.SettingError, match=f"window_days = {days!r}"):
        apsp.score(EXAMPLES / "demo", window_days=days)


def test_one_profile_path_is_one_profile():
    # A bare path was iterated character by character ("s", "e", "m", ...).
    assert apsp.ReadSettings(profiles="semi.toml").profiles == (Path("semi.toml"),)
    assert apsp.ReadSettings(profiles=Path("a.toml")).profiles == (Path("a.toml"),)


def test_an_unknown_officer_is_a_key_error_naming_close_ids():
    r = apsp.score(EXAMPLES / "demo")
    known = r.officers["officer_id"][0]
    typo = known[:-1] + ("X" if known[-1] != "X" else "Y")
    with pytest.raises(KeyError, match=f"did you mean .*{known}"):
        r.explain(typo)


def test_the_result_frames_say_what_they_hold():
    # They had no docstrings: help(r.officers) said nothing of the columns.
    for name in ["officers", "pairs", "signals", "evidence", "quarantine"]:
        doc = getattr(apsp.Result, name).__doc__ or ""
        assert "``" in doc, name


def test_rank_differences_can_be_negative():
    # rank was unsigned: notebook 3's rank_default - rank_tuned gave 4294967295 for an
    # officer who moved down one place.
    r = apsp.score(EXAMPLES / "demo")
    assert r.officers["rank"].dtype == pl.Int64
    moved = r.officers.select(d=pl.col("rank").head(1) - pl.col("rank").slice(1, 1))
    assert moved["d"][0] == -1


def test_matrix_type_errors_are_in_words_not_rust_types():
    # "invalid type: string "heavy", expected f64" quoted a Rust type name.
    m = apsp.RiskMatrix.default()
    with pytest.raises(apsp.MatrixError) as info:
        m["signals.contact_volume.weight"] = "heavy"
    assert "expected a number" in str(info.value) and "f64" not in str(info.value)
    with pytest.raises(apsp.MatrixError) as info:
        m["signals.contact_volume.min_contacts"] = 2.5
    assert "expected a whole number" in str(info.value) and "u32" not in str(info.value)


def test_a_windows_byte_in_a_unit_keeps_the_officer(tmp_path):
    """Issue 17, point 8: a Latin-1 `É` in `unit` quarantined the officer row; the
    officer disappeared from scoring and his work phone became a "subject"."""
    d = tmp_path / "force"
    shutil.copytree(EXAMPLES / "demo", d)
    officers = (d / "officers.csv").read_bytes()
    (d / "officers.csv").write_bytes(
        officers.replace(b"PC1002,PC,North Response", b"PC1002,PC,\xc9quipe North")
    )
    not_utf8 = (r"'officers.csv': 1 row\(s\) have text that is not UTF-8 "
                r"\(first at line 3, column 'unit'\)")
    with pytest.warns(apsp.CoverageWarning, match=not_utf8):
        r = apsp.score(d)
    assert "PC1002" in r.officers["officer_id"].to_list()
    kept = {f["file"]: f["not_utf8_kept"] for f in r.manifest["inputs"]}
    assert kept["officers.csv"] == 1 and sum(kept.values()) == 1
    assert r.quarantine.height == 0
    # His work phone is his, not a member of the public's.
    assert not r.pairs.filter(pl.col("subject_id").str.contains("07700900011")).height
    # Read as cp1252 on purpose: no warning, same value.
    with warnings.catch_warnings():
        warnings.simplefilter("error", apsp.CoverageWarning)
        ds = apsp.read_dataset(d, encoding="cp1252")
    assert ds["officers"]["unit"][1] == "Équipe North"
    with pytest.raises(apsp.SettingError, match="encoding"):
        apsp.read_dataset(d, encoding="ebcdic")
