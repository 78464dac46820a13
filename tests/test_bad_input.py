"""The bad-input corpus through the Python API: the same expectations as the Rust
harness (crates/apsp-core/tests/bad_input.rs), plus the Python exception class."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

import apsp
from conftest import CORPUS

CASES = sorted(p for p in CORPUS.iterdir() if (p / "expect.toml").exists())


def test_corpus_is_large_enough():
    assert len(CASES) >= 25


def _read(case: Path, exp: dict) -> apsp.Dataset:
    kwargs = {}
    for k in ("timezone", "ambiguous", "nonexistent", "encoding"):
        if k in exp:
            kwargs[k] = exp[k]
    if "key_file" in exp:
        kwargs["pseudonymise"] = True
        kwargs["key_file"] = case / exp["key_file"]
    kwargs["profiles"] = [case / p for p in exp.get("profiles", [])]
    kwargs["ignore_extra_columns"] = exp.get("ignore_extra_columns", False)
    return apsp.read_dataset(case / "data", **kwargs)


def _cell(v):
    import datetime as dt

    if v is None:
        return "null"
    if isinstance(v, dt.datetime):
        return v.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(v)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case: Path):
    exp = tomllib.loads((case / "expect.toml").read_text())
    if "error" in exp:
        cls = getattr(apsp, exp.get("python_exception", "ApspError"))
        with pytest.raises(cls) as info:
            _read(case, exp)
        msg = str(info.value)
        for part in exp["error"]["contains"]:
            assert part in msg
        assert isinstance(info.value, apsp.ApspError)
        return
    ds = _read(case, exp)
    q = ds.quarantine
    got = [
        (r["table"], r["file"], r["line"], r["reason"], r["column"])
        for r in q.iter_rows(named=True)
    ]
    want = [
        (w["table"], w["file"], w["line"], w["reason"], w.get("column"))
        for w in exp.get("quarantine", [])
    ]
    assert got == want
    for table, c in exp.get("counts", {}).items():
        t = ds.manifest["tables"][table]["counts"]
        assert (t["read"], t["used"], t["quarantined"], t["duplicates"]) == (
            c["read"],
            c["used"],
            c["quarantined"],
            c["duplicates"],
        )
        assert ds[table].height == c["used"]
    for table, n in exp.get("fall_back_resolved", {}).items():
        assert ds.manifest["tables"][table]["fall_back_resolved"] == n
    counts = ds.counts()
    assert (counts["read"] == counts["used"] + counts["quarantined"] + counts["duplicates"]).all()
    for v in exp.get("value", []):
        assert _cell(ds[v["table"]][v["column"]][v["row"]]) == v["equals"]
    assert ds.exit_code == (1 if q.height else 0)
    ignored = [c for f in ds.manifest["inputs"] for c in f["ignored_columns"]]
    assert ignored == exp.get("ignored_columns", [])
    assert ds.manifest["ignored_files"] == exp.get("ignored_files", [])
