"""The `apsp validate` command: outputs, exit codes, determinism, privacy."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import polars as pl

from conftest import CORPUS, EXAMPLES


def run(apsp_bin: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(apsp_bin), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )


def test_validate_demo_clean(apsp_bin, tmp_path):
    r = run(apsp_bin, "validate", str(EXAMPLES / "demo"), "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert "billing" in r.stdout and "0 row(s) quarantined" in r.stdout
    q = pl.read_parquet(tmp_path / "quarantine.parquet")
    assert q.height == 0
    assert q.columns == ["table", "file", "line", "reason", "column", "message", "raw"]
    m = json.loads((tmp_path / "manifest.json").read_text())
    assert m["settings"]["timezone"] == "Europe/London"
    billing = next(f for f in m["inputs"] if f["table"] == "billing")
    assert len(billing["sha256"]) == 64
    assert billing["rows"]["read"] == billing["rows"]["used"] == 76
    assert m["outputs"]["quarantine.parquet"]["rows"] == 0


def test_exit_code_1_when_rows_quarantined(apsp_bin, tmp_path):
    data = CORPUS / "stops_bad_coordinates" / "data"
    r = run(apsp_bin, "validate", str(data), "--out", str(tmp_path))
    assert r.returncode == 1, r.stderr
    assert "quarantined bad_coordinates: 4" in r.stdout
    q = pl.read_parquet(tmp_path / "quarantine.parquet")
    assert q.height == 5
    assert q["line"].to_list() == [3, 4, 5, 6, 7]


def test_exit_code_2_on_fatal_error(apsp_bin, tmp_path):
    r = run(apsp_bin, "validate", str(CORPUS / "billing_missing_required_column" / "data"))
    assert r.returncode == 2
    assert "billing.csv, line 1, column \"started_at\"" in r.stderr
    r = run(apsp_bin, "validate", str(tmp_path / "nowhere"))
    assert r.returncode == 2 and "not found" in r.stderr


def test_same_input_twice_gives_identical_outputs(apsp_bin, tmp_path):
    """Byte-identical outputs and manifest except the run timestamp, whatever the
    thread count."""
    data = CORPUS / "persons_rules" / "data"
    outs = []
    for i, threads in enumerate(["1", "2", "1"]):
        out = tmp_path / f"run{i}"
        r = run(apsp_bin, "validate", str(data), "--out", str(out), "--tables",
                env={"POLARS_MAX_THREADS": threads, "RAYON_NUM_THREADS": threads})
        assert r.returncode == 1, r.stderr
        outs.append(out)
    names = sorted(p.name for p in outs[0].iterdir())
    assert "quarantine.parquet" in names and "billing.parquet" in names
    for out in outs[1:]:
        assert sorted(p.name for p in out.iterdir()) == names
        for n in names:
            a, b = (outs[0] / n).read_bytes(), (out / n).read_bytes()
            if n == "manifest.json":
                ma, mb = json.loads(a), json.loads(b)
                assert ma.pop("created_at") and mb.pop("created_at")
                assert ma == mb
                # Only created_at differs, also byte-wise.
                la = [ln for ln in a.decode().splitlines() if "created_at" not in ln]
                lb = [ln for ln in b.decode().splitlines() if "created_at" not in ln]
                assert la == lb
            else:
                assert a == b, n


def test_pseudonymised_run_prints_no_clear_numbers(apsp_bin, tmp_path):
    case = CORPUS / "pseudonymised"
    r = run(apsp_bin, "validate", str(case / "data"), "--out", str(tmp_path), "--tables",
            "--pseudonymise", "--key-file", str(case / "key.txt"))
    assert r.returncode == 1, r.stderr
    for text in (r.stdout, r.stderr, (tmp_path / "manifest.json").read_text()):
        assert "07911" not in text and "7911100001" not in text
    q = pl.read_parquet(tmp_path / "quarantine.parquet")
    assert not q["raw"].str.contains("7911").any()
    billing = pl.read_parquet(tmp_path / "billing.parquet")
    assert not billing["other_number"].str.contains("7911").fill_null(False).any()
    m = json.loads((tmp_path / "manifest.json").read_text())
    assert m["settings"]["pseudonymised"] is True and len(m["settings"]["key_id"]) == 8


def test_pseudonymise_without_key_is_fatal(apsp_bin):
    env = {k: v for k, v in os.environ.items() if k != "APSP_PSEUDONYM_KEY"}
    r = subprocess.run([str(apsp_bin), "validate", str(EXAMPLES / "demo"), "--pseudonymise"],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 2
    assert "APSP_PSEUDONYM_KEY" in r.stderr and "no default key" in r.stderr


def test_profiles_via_cli(apsp_bin, tmp_path):
    r = run(apsp_bin, "validate", str(EXAMPLES / "raw"),
            "--profile", str(EXAMPLES / "profiles" / "carrier_itemised.toml"),
            "--profile", str(EXAMPLES / "profiles" / "fleet_telematics.toml"),
            "--out", str(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    m = json.loads((tmp_path / "manifest.json").read_text())
    files = {f["file"] for f in m["inputs"]}
    assert "exports/itemised_2026-03.csv" in files and "exports/fleet_stops_2026-03.csv" in files
    assert {p["table"] for p in m["settings"]["profiles"]} == {"billing", "stops"}
