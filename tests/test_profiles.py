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
