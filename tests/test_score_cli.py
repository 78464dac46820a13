"""The `apsp score` command on a generated force: outputs, provenance, explanation,
the planted case-study pattern on top, and clear errors for a broken risk matrix."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import warnings
from pathlib import Path

import polars as pl
import pytest

import apsp
from conftest import EXAMPLES, REPO

MATRIX = REPO / "crates" / "apsp-core" / "matrices" / "default.toml"


def run(apsp_bin: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(apsp_bin), *args], capture_output=True, text=True, env=dict(os.environ)
    )


@pytest.fixture(scope="module")
def force(tmp_path_factory) -> tuple[Path, pl.DataFrame]:
    d = tmp_path_factory.mktemp("force")
    labels = apsp.synth.generate(d, officers=300, days=180, seed=1)
    return d, labels


def test_score_writes_every_output_with_provenance(apsp_bin, force, tmp_path):
    data, labels = force
    r = run(apsp_bin, "score", str(data), "--out", str(tmp_path), "--csv")
    assert r.returncode == 0, r.stderr
    assert "warning signs for review" in r.stdout
    for name in ["officers", "pairs", "signals", "evidence", "quarantine"]:
        assert (tmp_path / f"{name}.parquet").exists() and (tmp_path / f"{name}.csv").exists()
    officers = pl.read_parquet(tmp_path / "officers.parquet")
    assert officers.columns == [
        "officer_id", "role", "score", "tier", "rank", "style", "style_reason",
        "n_subjects_flagged", "top_reasons",
    ]
    assert officers.height == 300 and officers["rank"].to_list() == list(range(1, 301))
    # Styles name what the signs describe; the source's words are never output.
    assert set(officers["style"].drop_nulls()) <= {"focused", "wide-net"}
    assert {"focused", "wide-net"} <= set(officers["style"].drop_nulls())
    reasons = " ".join(officers["style_reason"].to_list()).lower()
    for word in ("predatory", "exploratory", "shark", "fisherman", "offender"):
        assert word not in reasons, word
    pairs = pl.read_parquet(tmp_path / "pairs.parquet")
    signs = [
        "contact_volume", "escalation", "off_duty_contact", "night_contact", "after_closure",
        "unanswered_persistence", "stop_near_home", "access_without_purpose",
        "access_then_contact", "vulnerable_subject",
    ]
    assert pairs.columns[-10:] == signs
    assert (pairs.select(pl.sum_horizontal(signs) - pl.col("score")).to_series().abs() < 1e-8).all()
    signals = pl.read_parquet(tmp_path / "signals.parquet")
    assert set(signals["status"]) == {"fired", "not_fired", "not_evaluated"}
    m = json.loads((tmp_path / "manifest.json").read_text())
    assert m["scoring"]["matrix"]["sha256"] == hashlib.sha256(MATRIX.read_bytes()).hexdigest()
    assert m["outputs"]["officers.parquet"]["rows"] == 300
    # The planted case-study patterns are at the top; no decoy is.
    planted = set(labels.filter((pl.col("kind") == "planted") & pl.col("detectable"))["officer_id"])
    top = officers.head(len(planted) + 2)
    assert len(planted & set(top["officer_id"])) >= len(planted) - 1, top
    decoys = set(labels.filter(pl.col("kind") == "decoy")["officer_id"])
    assert not decoys & set(officers.head(3)["officer_id"])


def test_explain_tells_the_case_study_2_story(apsp_bin, force, tmp_path):
    data, labels = force
    cs2 = labels.filter(pl.col("scenario") == "case_study_2")["officer_id"][0]
    w1 = labels.filter(pl.col("scenario") == "case_study_2")["subjects"][0].split(";")[0]
    r = run(apsp_bin, "score", str(data), "--out", str(tmp_path), "--explain", cs2)
    assert r.returncode == 0, r.stderr
    text = r.stdout
    assert f"Officer {cs2} (PCSO)" in text and "not a verdict" in text
    assert f"Subject {w1} (person)" in text
    # 30 short calls (the scenario's), none made while he was working on her burglary
    # case in this force (on shift, or beside other work of his cases: the job; three
    # were off duty while she was his case): all 30 count. In the clean force 6 were
    # on shift while involved, and 24 counted.
    assert "unanswered_persistence: FIRED (30 vs 10" in text
    assert "stop_near_home: FIRED" in text
    assert "billing CDR" in text  # evidence rows named by their ids
    # The same through the evidence frame: the 30 short calls that count are listed.
    ev = pl.read_parquet(tmp_path / "evidence.parquet")
    short = ev.filter(
        (pl.col("officer_id") == cs2) & (pl.col("subject_id") == w1)
        & (pl.col("signal") == "unanswered_persistence")
    )
    assert short.height == 30 and set(short["table"]) == {"billing"}


def test_outputs_are_byte_identical_across_thread_counts(apsp_bin, force, tmp_path):
    data, _ = force
    outs = []
    for k, threads in enumerate(["1", "2"]):
        out = tmp_path / f"run{k}"
        r = subprocess.run(
            [str(apsp_bin), "score", str(data), "--out", str(out)],
            capture_output=True, text=True, env={**os.environ, "RAYON_NUM_THREADS": threads},
        )
        assert r.returncode == 0, r.stderr
        outs.append(out)
    for name in ["officers.parquet", "pairs.parquet", "signals.parquet", "evidence.parquet"]:
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name


@pytest.mark.parametrize(
    "edit, message",
    [
        (("radius_m = 150.0", "radius_metres = 150.0"), "radius_metres"),
        (("peer_quantile = 0.99", "peer_quantile = 99"), "peer_quantile"),
        (("high = 14.0", "high = 1.0"), "tiers"),
    ],
)
def test_a_broken_matrix_is_a_clear_error(apsp_bin, force, tmp_path, edit, message):
    data, _ = force
    bad = tmp_path / "matrix.toml"
    bad.write_text(MATRIX.read_text().replace(*edit))
    r = run(apsp_bin, "score", str(data), "--out", str(tmp_path / "out"), "--matrix", str(bad))
    assert r.returncode == 2
    assert "risk matrix" in r.stderr and str(bad) in r.stderr and message in r.stderr


def test_missing_matrix_and_bad_reference_time(apsp_bin, force, tmp_path):
    data, _ = force
    missing = tmp_path / "none.toml"
    r = run(apsp_bin, "score", str(data), "--out", str(tmp_path), "--matrix", str(missing))
    assert r.returncode == 2 and "not found" in r.stderr
    r = run(apsp_bin, "score", str(data), "--out", str(tmp_path), "--reference-time", "yesterday")
    assert r.returncode == 2 and "reference_time" in r.stderr


def test_python_score_matches_the_cli(apsp_bin, force, tmp_path):
    """apsp.score gives the CLI's frames and files, and explains any officer."""
    data, _labels = force
    r = run(apsp_bin, "score", str(data), "--out", str(tmp_path / "cli"))
    assert r.returncode == 0, r.stderr
    res = apsp.score(data)
    for name in ["officers", "pairs", "signals", "evidence", "quarantine"]:
        cli = pl.read_parquet(tmp_path / "cli" / f"{name}.parquet").with_columns(
            pl.col(pl.Datetime).dt.convert_time_zone(res.display_timezone)
        )
        assert getattr(res, name).equals(cli), name
    m = res.write(tmp_path / "py")
    for name in ["officers", "pairs", "signals", "evidence", "quarantine"]:
        a = (tmp_path / "cli" / f"{name}.parquet").read_bytes()
        assert (tmp_path / "py" / f"{name}.parquet").read_bytes() == a, name
    assert m["scoring"]["pairs"] == res.pairs.height
    assert res.manifest["scoring"]["matrix"]["name"] == "apsp-default"
    top = res.officers["officer_id"][0]
    text = res.explain(top)
    assert top in text and "warning signs for review" in text
    assert "rank 1" in text
    assert "300 officers" in repr(res)
    assert set(res.timings) >= {"link", "score pairs"}
    with pytest.raises(KeyError, match="NO-SUCH"):
        res.explain("NO-SUCH")


def test_python_score_errors(force, tmp_path):
    data, _ = force
    bad = tmp_path / "m.toml"
    bad.write_text(MATRIX.read_text().replace("weight = 1.0", "weight = -1.0", 1))
    with pytest.raises(apsp.MatrixError, match="weight"):
        apsp.score(data, matrix=bad)
    with pytest.raises(apsp.SettingError, match="reference_time"):
        apsp.score(data, reference_time="yesterday")
    with pytest.raises(apsp.SettingError, match="window"):
        apsp.score(data, window_days=0)
    # A window ending before the data: nothing in it, every officer scores 0.
    r = apsp.score(data, reference_time="2020-01-01")
    assert r.officers["score"].sum() == 0 and r.officers.height == 300


def test_result_renders_in_notebooks(force):
    data, _ = force
    r = apsp.score(data)
    page = r._repr_html_()
    assert "warning signs for review" in page and "<table" in page
    assert page.count("<tr>") >= 11  # header + ten officers
    e = r.explain(r.officers["officer_id"][0])
    assert isinstance(e, str) and e._repr_html_().startswith("<pre")
    assert "&lt;b&gt;" in apsp.scoring.Explanation("a <b>")._repr_html_()


def test_risk_matrix_load_edit_save_hash(force, tmp_path):
    """A RiskMatrix edited in Python scores like the same matrix saved to a file, keeps
    the comments citing sources, and its hash is the one in the manifest."""
    data, _ = force
    m = apsp.RiskMatrix.default()
    assert m.sha256 == hashlib.sha256(MATRIX.read_bytes()).hexdigest()
    assert m == apsp.RiskMatrix.load(MATRIX) and m.source == "default"
    base = apsp.score(data, matrix=m)
    edited = m.copy()
    edited["signals.contact_volume.weight"] = 0.0  # contact volume no longer counts
    edited["tiers.high"] = 20.0
    assert m["signals.contact_volume.weight"] == 3.0  # the copy is independent
    assert edited.sha256 != m.sha256 and edited.source == "edited"
    text = edited.to_toml()
    comments = [line for line in MATRIX.read_text().splitlines() if line.lstrip().startswith("#")]
    assert all(c in text for c in comments)
    saved = edited.save(tmp_path / "m.toml")
    assert apsp.RiskMatrix.load(saved).sha256 == hashlib.sha256(saved.read_bytes()).hexdigest()
    r1 = apsp.score(data, matrix=edited)
    r2 = apsp.score(data, matrix=saved)
    assert r1.officers.drop("top_reasons", "style_reason").equals(
        r2.officers.drop("top_reasons", "style_reason")
    )
    assert r1.manifest["scoring"]["matrix"]["sha256"] == edited.sha256
    assert (r1.pairs["contact_volume"] == 0).all()
    assert (base.pairs["contact_volume"] > 0).any()
    # Every pair's score drops by exactly its contact-volume contribution (and the
    # aggravator's share of it).
    both = base.pairs.join(r1.pairs, on=["officer_id", "subject_id"], suffix="_new")
    diff = both["score"] - both["score_new"]
    assert (diff >= -1e-9).all() and (diff > 0).sum() == (both["contact_volume"] > 0).sum()
    with pytest.raises(apsp.MatrixError, match="no key"):
        edited["signals.contact_volume.wieght"] = 1.0
    with pytest.raises(apsp.MatrixError):
        edited["signals.contact_volume.weight"] = -1.0
    assert edited["signals.contact_volume.weight"] == 0.0  # a refused edit changes nothing
    with pytest.raises(FileNotFoundError):
        apsp.RiskMatrix.load(tmp_path / "missing.toml")


def test_a_naive_reference_time_is_local_time_like_the_data(apsp_bin, force, tmp_path):
    """Without an offset a reference time is read as the data is: local time in the
    dataset's zone (Europe/London). 1 July is in BST: local midnight is 23:00 UTC the
    day before; 15 January is in GMT (= UTC). With an offset it is that instant."""
    data, _ = force
    cases = {
        "2026-07-01T00:00:00": "2026-06-30T23:00:00Z",
        "2026-07-01": "2026-06-30T23:00:00Z",
        "2026-01-15T00:00:00": "2026-01-15T00:00:00Z",
        "2026-07-01T00:00:00Z": "2026-07-01T00:00:00Z",
        "2026-07-01T00:00:00+02:00": "2026-06-30T22:00:00Z",
    }
    for given, utc in cases.items():
        out = tmp_path / given.replace(":", "")
        r = run(apsp_bin, "score", str(data), "--out", str(out), "--reference-time", given)
        assert r.returncode == 0, r.stderr
        m = json.loads((out / "manifest.json").read_text())["scoring"]
        assert (m["reference_time"], m["reference_time_from"]) == (utc, "given"), given
    r = apsp.score(data, reference_time="2026-07-01T00:00:00", keep_events=False)
    assert r.manifest["scoring"]["reference_time"] == "2026-06-30T23:00:00Z"
    # 01:30 on 29 March 2026 does not exist in London (clocks go forward): an error,
    # as for the data, unless the data's rule moves it forward.
    r = run(apsp_bin, "score", str(data), "--out", str(tmp_path / "gap"),
            "--reference-time", "2026-03-29T01:30:00")
    assert r.returncode == 2 and "does not exist" in r.stderr, r.stderr
    r = apsp.score(data, reference_time="2026-03-29T01:30:00", nonexistent="shift_forward",
                   keep_events=False)
    assert r.manifest["scoring"]["reference_time"] == "2026-03-29T01:30:00Z"


def test_events_out_of_line_with_the_data_are_set_aside_and_reported(apsp_bin, tmp_path):
    """One stop of a vehicle whose clock says 2038 does not move the default reference
    time past the data; the manifest counts it and the command line warns."""
    data = tmp_path / "demo"
    shutil.copytree(EXAMPLES / "demo", data)
    clean = run(apsp_bin, "score", str(data), "--out", str(tmp_path / "clean"))
    assert clean.returncode == 0, clean.stderr
    # The demo's one contact outside any roster is said; nothing is set aside.
    assert [w for w in clean.stderr.splitlines() if w.startswith("warning")] == [
        "warning: signs not evaluated for some subjects or officers, their data cannot say: "
        "off_duty_contact for 1 pairs (no roster (shifts) of the officer covering these "
        "contacts); see signals with status not_evaluated"
    ]
    before = json.loads((tmp_path / "clean" / "manifest.json").read_text())["scoring"]
    assert before["events_after_reference"] == 0
    with (data / "stops.csv").open("a") as f:
        f.write("S99999,V11,PC1001,51.5066,-0.14511,2038-01-19T03:00:00,2038-01-19T03:10:00\n")
    r = run(apsp_bin, "score", str(data), "--out", str(tmp_path / "skewed"))
    assert r.returncode == 0, r.stderr
    m = json.loads((tmp_path / "skewed" / "manifest.json").read_text())["scoring"]
    assert m["reference_time"] == before["reference_time"]
    assert (m["reference_time_from"], m["events_after_reference"]) == ("data", 1)
    assert m["first_event_after_reference"] == "2038-01-19T03:00:00Z"
    warning = [line for line in r.stderr.splitlines() if "warning" in line and "set aside" in line]
    assert len(warning) == 1 and "1 event(s)" in warning[0] and "2038-01-19" in warning[0]
    assert "--reference-time" in warning[0]
    for name in ["officers", "pairs", "signals"]:
        a = pl.read_parquet(tmp_path / "clean" / f"{name}.parquet")
        assert pl.read_parquet(tmp_path / "skewed" / f"{name}.parquet").equals(a), name
    # Python warns too, unless the reference time is given.
    with pytest.warns(UserWarning, match=r"1 event\(s\) after .* set aside"):
        res = apsp.score(data)
    assert res.manifest["scoring"]["events_after_reference"] == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", apsp.CoverageWarning)  # the roster gap, above
        res = apsp.score(data, reference_time=before["reference_time"])
    assert res.manifest["scoring"]["events_after_reference"] == 1
