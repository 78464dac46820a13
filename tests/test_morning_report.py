"""The nightly store's morning report (issue 18, acceptance 3): one self-contained
HTML file per run, opened in headless Chromium with its network switched off: no
request, no console error, one section per new or escalated alert, and every link
inside the page leading somewhere.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import polars as pl
import pytest

import apsp
from test_case_report import CHROMIUM, open_in_chromium

EVENT_TIMES = {"billing": "started_at", "stops": "arrived_at", "access_log": "at",
               "deployments": "start", "shifts": "start", "complaints": "received_at"}

# In the page: the alert sections, and the links inside the page whose target is
# missing.
CHECK = """JSON.parse(JSON.stringify({
  sections: document.querySelectorAll('section.alert').length,
  listed: document.querySelectorAll('#for-review ~ table.toc a').length,
  links: document.querySelectorAll('a[href^="#"]').length,
  broken: [...document.querySelectorAll('a[href^="#"]')]
    .map(a => a.getAttribute('href').slice(1))
    .filter(id => !document.getElementById(id)),
}))"""


def nightly(apsp_bin: Path, store: Path, incoming: Path) -> dict:
    out = subprocess.run(
        [apsp_bin, "nightly", "--store", store, "--incoming", incoming, "--json"],
        capture_output=True, text=True, check=False,
    )
    assert out.returncode in (0, 1), out.stderr
    summary: dict = json.loads(out.stdout)
    return summary


@pytest.fixture(scope="module")
def store(tmp_path_factory, apsp_bin):
    """The demo force delivered in two nights: its first 150 days, then the rest."""
    root = tmp_path_factory.mktemp("morning")
    force = root / "force"
    apsp.synth.generate(force, officers=300, days=180, seed=1, format="parquet")
    start = pl.datetime(2026, 1, 5, time_zone="UTC")
    store = root / "store"
    for night, (lo, hi) in enumerate([(-10_000, 150), (150, 10_000)], start=1):
        incoming = root / f"night-{night}"
        incoming.mkdir()
        for f in force.glob("*.parquet"):
            if f.name in ("labels.parquet", "injected_errors.parquet"):
                continue
            df = pl.read_parquet(f)
            if f.stem in EVENT_TIMES:
                day = (pl.col(EVENT_TIMES[f.stem]) - start).dt.total_days()
                df = df.filter((day >= lo) & (day < hi))
            df.write_parquet(incoming / f.name)
        summary = nightly(apsp_bin, store, incoming)
    return store, summary, apsp_bin


def test_the_morning_report_lists_what_moved_tonight(store):
    path, summary, apsp_bin = store
    report = path / summary["folder"] / "morning_report.html"
    text = report.read_text()
    assert report.stat().st_size < 5 * 2**20
    # The second night took the new rows and not the unchanged snapshots again.
    taken = [f["file"] for f in summary["files"] if "not_taken" not in f]
    assert "billing.parquet" in taken and "officers.parquet" not in taken
    alerts = json.loads(subprocess.run(
        [apsp_bin, "alerts", "list", "--store", path, "--json"],
        capture_output=True, text=True, check=True,
    ).stdout)
    moved = {a["officer_id"] for a in alerts if a["state"] in ("new", "escalated")}
    assert f"New and escalated alerts ({len(moved)})" in text
    for officer in moved:
        assert f">{officer}</a>" in text
    assert "Data quality" in text and "Rows quarantined tonight" in text


def test_the_morning_report_opens_offline_in_chromium(store, tmp_path):
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: `make chromium` installs it")
        pytest.skip("chromium not installed (make chromium)")
    pytest.importorskip("websockets")
    path, summary, apsp_bin = store
    report = path / summary["folder"] / "morning_report.html"
    alerts = json.loads(subprocess.run(
        [apsp_bin, "alerts", "list", "--store", path, "--json"],
        capture_output=True, text=True, check=True,
    ).stdout)
    moved = {a["officer_id"] for a in alerts if a["state"] in ("new", "escalated")}
    seen = open_in_chromium(report, tmp_path / "morning.png", offline=True, script=CHECK)
    assert seen.get("loaded"), "the page never finished loading"
    assert seen["requests"] == []
    assert seen["errors"] == []
    page = json.loads(seen["script"][0])
    assert page["listed"] == len(moved) > 0
    assert page["sections"] == min(len(moved), 40)
    assert page["links"] > page["sections"] and page["broken"] == []
    assert (tmp_path / "morning.png").stat().st_size > 20_000
    if os.environ.get("APSP_SCREENSHOTS"):
        (Path(os.environ["APSP_SCREENSHOTS"]) / "morning_report.png").write_bytes(
            (tmp_path / "morning.png").read_bytes()
        )
