"""DataFrames cross the Rust/Python boundary intact (pyo3-polars), both directions.

Run on both ends of the supported Python polars range by `make test`.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
from polars.testing import assert_frame_equal

import apsp
from apsp import _apsp
from conftest import EXAMPLES


def test_rust_to_python_to_rust():
    df = _apsp._selftest_frame()
    assert isinstance(df, pl.DataFrame)
    assert df.schema == pl.Schema(
        {
            "s": pl.String,
            "i": pl.Int64,
            "f": pl.Float64,
            "b": pl.Boolean,
            "t": pl.Datetime("us", "UTC"),
            "d": pl.Date,
        }
    )
    # Values as built in Rust.
    assert df["s"].to_list() == ["a", None, "ünïcödé +447700900123"]
    assert df["i"].to_list() == [1, -2, None]
    assert df["t"][0] == dt.datetime(2026, 3, 29, 0, 30, tzinfo=dt.UTC)
    assert df["t"][2] == dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    assert df["d"].to_list() == [dt.date(2024, 10, 4), dt.date(1969, 12, 31), None]
    # And back: Rust compares with its own copy, dtypes included.
    assert _apsp._selftest_equals(df)
    assert not _apsp._selftest_equals(df.with_columns(pl.col("i") + 1))


def test_python_to_rust_to_python():
    df = pl.DataFrame(
        {
            "x": [1, 2, None],
            "y": ["a", None, "c"],
            "t": pl.Series(
                [dt.datetime(2026, 1, 1), None, dt.datetime(2026, 7, 1)]
            ).dt.replace_time_zone("UTC"),
        }
    )
    out = _apsp._echo_frame(df)
    assert_frame_equal(out, df)


def test_dataset_frames_are_polars():
    ds = apsp.read_dataset(EXAMPLES / "demo")
    billing = ds["billing"]
    assert isinstance(billing, pl.DataFrame)
    assert billing.schema["started_at"] == pl.Datetime("us", "UTC")
    assert billing.schema["duration_s"] == pl.Int64
    assert ds["persons"].schema["date_of_birth"] == pl.Date
    assert ds.quarantine.columns == ["table", "file", "line", "reason", "column", "message", "raw"]
    # Frames are ordinary polars frames: lazy queries work on them.
    n = billing.lazy().filter(pl.col("direction") == "out").select(pl.len()).collect().item()
    assert 0 < n < billing.height


def test_version():
    assert apsp.__version__ == _apsp.version()
    assert apsp.__version__.count(".") == 2


def test_to_pandas_has_its_dependencies_declared():
    """Issue 17, point 7: `to_pandas()` needs pyarrow, which was not declared."""
    import tomllib

    from conftest import REPO

    meta = tomllib.loads((REPO / "python" / "pyproject.toml").read_text())["project"]
    extra = {d.split(">")[0].split("=")[0].strip() for d in meta["optional-dependencies"]["pandas"]}
    assert {"pandas", "pyarrow"} <= extra
