"""The README's Python examples run as a user would copy them (issue 17, point 3).

They once read Parquet the generator line above them did not write, filtered an id
format the generator does not use and left out `person_numbers`. Every ```python block
runs here, in order, in one namespace, from a fresh folder holding `examples/` (as the
repository root does); then what the comments claim is checked.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from conftest import EXAMPLES, REPO

README = REPO / "README.md"


def python_blocks(text: str) -> list[str]:
    """The ```python blocks of a Markdown text, in order."""
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


def test_the_readme_has_python_examples():
    blocks = python_blocks(README.read_text())
    assert len(blocks) >= 3
    assert all(b.strip() for b in blocks)


def test_every_python_block_of_the_readme_runs_as_written(tmp_path: Path, monkeypatch):
    pytest.importorskip("matplotlib")
    (tmp_path / "examples").symlink_to(EXAMPLES)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace: dict[str, object] = {"__name__": "__readme__"}
    for i, block in enumerate(python_blocks(README.read_text())):
        try:
            exec(compile(block, f"README.md python block {i + 1}", "exec"), namespace)
        except Exception as e:  # pragma: no cover - the message is the point
            pytest.fail(f"README python block {i + 1} failed: {e!r}\n{block}")
    ns = namespace
    import polars as pl

    import apsp

    r = ns["r"]
    assert isinstance(r, apsp.Result)
    # "r  # <apsp.Result: every table read, nothing quarantined; ...>"
    assert repr(r).startswith("<apsp.Result: every table read, nothing quarantined;")
    # The officer the example filters on is in the force, and has pairs.
    officer = ns["officer"]
    assert officer in r.officers["officer_id"].to_list()
    assert r.pairs.filter(pl.col("officer_id") == officer).height > 0
    # The planted patterns are found: someone is flagged.
    assert r.officers.filter(pl.col("tier") == "high").height > 0
    # "your own filtered frames": persons are linked (person_numbers given), so
    # subjects are persons, not bare numbers.
    mine = ns["mine"]
    assert isinstance(mine, dict) and "person_numbers" in mine
    r_mine = ns["r_mine"]
    assert isinstance(r_mine, apsp.Result)
    assert r_mine.pairs.filter(pl.col("subject_kind") == "person").height > 0
    # "r2.manifest["scoring"]["matrix"]["sha256"] == m.sha256"
    assert ns["r2"].manifest["scoring"]["matrix"]["sha256"] == ns["m"].sha256
    # "the CLI's files, byte for byte" and the figure.
    assert sorted(os.listdir("scored")) == [
        "evidence.parquet", "manifest.json", "officers.parquet", "pairs.parquet",
        "quarantine.parquet", "signals.parquet",
    ]
    assert Path("timeline.png").stat().st_size > 10_000
    # The reading example.
    ds = ns["ds"]
    assert isinstance(ds, apsp.Dataset) and ds["billing"].height > 0
    # The nightly store: "'runs/000001-<date>': outputs and morning_report.html".
    night = ns["night"]
    assert isinstance(night, dict) and night["folder"].startswith("runs/000001-")
    assert (Path("store") / night["folder"] / "morning_report.html").exists()
    # "one row per officer, and per flagged pair"; the review is in the history.
    alerts = ns["alerts"]
    assert isinstance(alerts, pl.DataFrame) and alerts.height > 0
    assert set(alerts["state"]) == {"new"} and "" in set(alerts["subject_id"])
    history = ns["store"].history(ns["first"])  # type: ignore[attr-defined]
    assert history["kind"].to_list()[-1] == "review"
    assert history["actor"].to_list()[-1] == "DS Smith"
    # The research block: "metric, value, ci_low, ci_high: roc_auc, ...", "ids as o-…",
    # and the fitted matrix that `apsp score` loads.
    ev = ns["ev"]
    assert ev.metrics.columns[:4] == ["metric", "value", "ci_low", "ci_high"]  # type: ignore[attr-defined]
    assert ev.metrics["metric"][0] == "roc_auc"  # type: ignore[attr-defined]
    assert ns["features"]["officer_id"].str.starts_with("o-").all()  # type: ignore[index]
    fitted = apsp.RiskMatrix.load("fitted.toml")
    assert fitted.name == "apsp-default-fitted"
