"""Times for people are on the force's clock (issue 17, point 4), across both changes
of the clocks: explanations, the frames' display, the plots and the CSV exports show
the dataset's zone with its offset; Parquet keeps UTC.

Eight night calls, worked out by hand (Europe/London: BST = UTC+1 from 01:00 UTC on
29 March 2026 to 01:00 UTC on 25 October 2026):

    written (naive = local)       UTC                  local, with offset
    2026-03-28T23:30              2026-03-28 23:30Z    23:30 +00:00
    2026-03-29T00:30              2026-03-29 00:30Z    00:30 +00:00
    2026-03-29T02:30              2026-03-29 01:30Z    02:30 +01:00  (01:00-02:00 skipped)
    2026-03-29T03:30              2026-03-29 02:30Z    03:30 +01:00
    2026-10-25T00:30              2026-10-24 23:30Z    00:30 +01:00
    2026-10-25T01:30:00+01:00     2026-10-25 00:30Z    01:30 +01:00  (the hour twice:
    2026-10-25T01:30:00+00:00     2026-10-25 01:30Z    01:30 +00:00   told apart)
    2026-10-25T02:30              2026-10-25 02:30Z    02:30 +00:00
"""

from __future__ import annotations

import csv
import subprocess
import warnings
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

import apsp

WRITTEN = [
    "2026-03-28T23:30:00", "2026-03-29T00:30:00", "2026-03-29T02:30:00",
    "2026-03-29T03:30:00", "2026-10-25T00:30:00", "2026-10-25T01:30:00+01:00",
    "2026-10-25T01:30:00+00:00", "2026-10-25T02:30:00",
]
UTC_TIMES = [
    datetime(2026, 3, 28, 23, 30, tzinfo=UTC), datetime(2026, 3, 29, 0, 30, tzinfo=UTC),
    datetime(2026, 3, 29, 1, 30, tzinfo=UTC), datetime(2026, 3, 29, 2, 30, tzinfo=UTC),
    datetime(2026, 10, 24, 23, 30, tzinfo=UTC), datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
    datetime(2026, 10, 25, 1, 30, tzinfo=UTC), datetime(2026, 10, 25, 2, 30, tzinfo=UTC),
]
LOCAL = [
    "2026-03-28T23:30:00+00:00", "2026-03-29T00:30:00+00:00", "2026-03-29T02:30:00+01:00",
    "2026-03-29T03:30:00+01:00", "2026-10-25T00:30:00+01:00", "2026-10-25T01:30:00+01:00",
    "2026-10-25T01:30:00+00:00", "2026-10-25T02:30:00+00:00",
]


@pytest.fixture(scope="module")
def force(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("dst") / "force"
    d.mkdir()
    (d / "officers.csv").write_text("officer_id,role\nPC1,PC\n")
    (d / "devices.csv").write_text("device_number,officer_id\n07700900001,PC1\n")
    rows = "".join(f"07700900001,07911100001,out,call,{t},60\n" for t in WRITTEN)
    (d / "billing.csv").write_text(
        "device_number,other_number,direction,kind,started_at,duration_s\n" + rows
    )
    return d


@pytest.fixture(scope="module")
def result(force):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", apsp.CoverageWarning)
        return apsp.score(force)


def iso(values) -> list[str]:
    return [v.isoformat() for v in values]


def test_frames_show_the_force_s_clock_with_the_same_instants(result):
    subject = result.pairs["subject_id"][0]
    events = result.events("PC1", subject)
    assert result.display_timezone == "Europe/London"
    assert events.schema["at"] == pl.Datetime("us", "Europe/London")
    assert iso(events["at"]) == LOCAL
    assert [t.astimezone(UTC) for t in events["at"]] == UTC_TIMES
    night = result.evidence.filter(pl.col("signal") == "night_contact").sort("at")
    assert iso(night["at"]) == LOCAL
    assert night["local_time"].to_list() == [t.replace("T", " ")[:19] + " " + t[19:]
                                             for t in LOCAL]


def test_the_display_zone_is_an_option(force):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", apsp.CoverageWarning)
        r = apsp.score(force, display_timezone="UTC")
    events = r.events("PC1", r.pairs["subject_id"][0])
    assert events.schema["at"] == pl.Datetime("us", "UTC")
    assert list(events["at"]) == UTC_TIMES


def test_the_explanation_tells_the_repeated_hour_apart(result):
    text = result.explain("PC1")
    assert "2026-10-25 01:30:00 +01:00" in text and "2026-10-25 01:30:00 +00:00" in text
    assert "2026-03-29 02:30:00 +01:00" in text
    assert "Z " not in text


def test_csv_exports_are_local_with_offsets_and_parquet_stays_utc(result, tmp_path):
    result.write(tmp_path / "out", csv=True)
    with (tmp_path / "out" / "evidence.csv").open() as f:
        rows = [r for r in csv.DictReader(f) if r["signal"] == "night_contact"]
    assert sorted(r["at"] for r in rows) == sorted(LOCAL)
    parquet = pl.read_parquet(tmp_path / "out" / "evidence.parquet")
    assert parquet.schema["at"] == pl.Datetime("us", "UTC")
    assert sorted(parquet.filter(pl.col("signal") == "night_contact")["at"]) == UTC_TIMES


def test_the_cli_csv_is_local_too(apsp_bin, force, tmp_path):
    r = subprocess.run([str(apsp_bin), "score", str(force), "--out", str(tmp_path / "o"),
                        "--csv"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    with (tmp_path / "o" / "signals.csv").open() as f:
        night = next(r for r in csv.DictReader(f) if r["signal"] == "night_contact")
    # The window ends at the last event: 02:30 GMT on 25 October.
    assert night["window_end"] == "2026-10-25T02:30:00+00:00"


def test_the_heat_map_counts_the_repeated_hour_twice(result):
    pytest.importorskip("matplotlib")
    from apsp import plot

    fig = plot.hour_heatmap(result, "PC1", result.pairs["subject_id"][0])
    img = next(im for ax in fig.axes for im in ax.images if im.get_gid() == "heatmap")
    grid = img.get_array()
    sunday = 6
    assert grid[sunday][1] == 2  # 01:30 BST and 01:30 GMT on 25 October
    assert grid[sunday][2] == 2  # 02:30 BST on 29 March, 02:30 GMT on 25 October
    assert grid[5][23] == 1  # Saturday 28 March, 23:30 GMT
