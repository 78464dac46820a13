"""The shipped import profiles turn their raw exports into exactly the frames the
equivalent canonical CSV gives."""

from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal

import apsp
from conftest import EXAMPLES

PROFILES = [
    EXAMPLES / "profiles" / "carrier_itemised.toml",
    EXAMPLES / "profiles" / "fleet_telematics.toml",
]


def test_raw_exports_equal_canonical():
    raw = apsp.read_dataset(EXAMPLES / "raw", profiles=PROFILES)
    canonical = apsp.read_dataset(EXAMPLES / "raw-canonical")
    assert raw.quarantine.height == 0 and canonical.quarantine.height == 0
    for table in ("billing", "stops"):
        a = raw[table].drop("source_file", "source_line")
        b = canonical[table].drop("source_file", "source_line")
        assert a.height > 20
        assert_frame_equal(a, b)
    # The raw export's lines are the ones cited: 3 preamble lines + header = line 4.
    assert raw["billing"]["source_line"][0] == 5
    assert raw["billing"]["source_file"][0] == "exports/itemised_2026-03.csv"


def test_withheld_and_service_numbers_survive_profile():
    raw = apsp.read_dataset(EXAMPLES / "raw", profiles=PROFILES)
    kinds = raw["billing"]["other_number_kind"].value_counts().sort("other_number_kind")
    assert set(kinds["other_number_kind"]) <= {"e164", "service", "withheld"}
    e164 = raw["billing"].filter(pl.col("other_number_kind") == "e164")["other_number"]
    assert e164.str.starts_with("+44").all()


def test_a_profile_can_be_a_dict():
    """Issue 17, point 7: `profiles` could not be given as dicts (and one path was
    iterated as its characters, fixed earlier)."""
    import tomllib

    import pytest

    as_dicts = [tomllib.loads(p.read_text()) for p in PROFILES]
    from_dicts = apsp.read_dataset(EXAMPLES / "raw", profiles=as_dicts)
    from_files = apsp.read_dataset(EXAMPLES / "raw", profiles=PROFILES)
    for table in ("billing", "stops"):
        assert_frame_equal(from_dicts[table], from_files[table])
    assert [p["path"] for p in from_dicts.manifest["settings"]["profiles"]] == [
        "<profile dict 1>", "<profile dict 2>"
    ]
    # One dict is one profile; a misspelt key is refused as in a file.
    one = apsp.read_dataset(EXAMPLES / "raw", profiles=[as_dicts[0], PROFILES[1]])
    assert one["billing"].height == from_files["billing"].height
    with pytest.raises(apsp.ProfileError, match="delimeter"):
        apsp.read_dataset(EXAMPLES / "raw", profiles={**as_dicts[0], "delimeter": ";"})
    assert apsp.ReadSettings(profiles=as_dicts[0]) == apsp.ReadSettings(profiles=[as_dicts[0]])
