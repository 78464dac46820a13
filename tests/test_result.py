"""A scored Result: written with to_parquet, and one officer's account (explain) kept
as a snapshot under tests/snapshots/.

The snapshot is the reviewed text of ``explain()`` for the officer ranked first in a
small fixed synthetic force. When the wording or the engine changes on purpose, check
the diff the failing test prints, then accept the new text with::

    APSP_UPDATE_SNAPSHOTS=1 bash scripts/pytest.sh .venv/bin/python tests/test_result.py
"""

from __future__ import annotations

import difflib
import html
import json
import os

import polars as pl
import pytest

import apsp
from conftest import EXAMPLES, REPO

SNAPSHOTS = REPO / "tests" / "snapshots"
OUTPUTS = ["officers", "pairs", "signals", "evidence", "quarantine"]


def assert_snapshot(name: str, text: str) -> None:
    """Compare ``text`` with ``tests/snapshots/<name>``; rewrite it instead when
    ``APSP_UPDATE_SNAPSHOTS=1``. A mismatch fails with a unified diff."""
    path = SNAPSHOTS / name
    text = text.rstrip("\n") + "\n"
    if os.environ.get("APSP_UPDATE_SNAPSHOTS") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        return
    if not path.exists():
        pytest.fail(
            f"no snapshot {path}: run with APSP_UPDATE_SNAPSHOTS=1 to create it", pytrace=False
        )
    want = path.read_text(encoding="utf-8")
    if text != want:
        diff = "".join(
            difflib.unified_diff(
                want.splitlines(keepends=True),
                text.splitlines(keepends=True),
                fromfile=f"tests/snapshots/{name} (snapshot)",
                tofile=f"{name} (now)",
            )
        )
        pytest.fail(
            f"output differs from the snapshot tests/snapshots/{name}:\n{diff}\n"
            "If the change is intended, rerun with APSP_UPDATE_SNAPSHOTS=1 to accept it.",
            pytrace=False,
        )


@pytest.fixture(scope="module")
def scored(tmp_path_factory) -> apsp.Result:
    """A small fixed force without complaints and rosters, so that the account shows
    signs that were not evaluated as well as fired and not fired ones."""
    d = tmp_path_factory.mktemp("force")
    apsp.synth.generate(d, officers=30, days=60, seed=3)
    (d / "complaints.csv").unlink()
    (d / "shifts.csv").unlink()
    return apsp.score(d)


def test_explain_matches_the_snapshot(scored):
    top = scored.officers["officer_id"][0]
    text = scored.explain(top, max_pairs=1)
    # What the reviewed snapshot must keep showing, whatever the numbers.
    assert text.startswith(f"Officer {top} ")
    assert "warning signs for review, not a verdict" in text
    assert "rank 1 of 30" in text
    assert ": FIRED (" in text and " vs " in text and "contributes" in text  # value vs threshold
    assert ": not fired (" in text
    assert "repeat_complaints: not evaluated (no complaints table)" in text
    assert "off_duty_contact: not evaluated" in text
    assert " billing CDR" in text and "(see evidence)" in text  # evidence rows
    for word in ("offender", "offending", "guilty", "guilt", "predatory", "exploratory"):
        assert word not in text.lower(), word
    assert str(scored.manifest["dataset"]) not in text  # nothing machine-specific
    assert_snapshot("explain_top_officer.txt", text)


def test_without_a_roster_duty_is_unknown_never_off_duty(scored):
    # The force has no shifts table: nobody can be shown off duty.
    assert "off duty" not in " ".join(scored.evidence["detail"].to_list())
    # Each contact's duty is unknown, or shown by a stop, deployment or calls to his
    # cases nearby (work the roster would have missed).
    billing = scored.evidence.filter(pl.col("table") == "billing")["detail"]
    assert (
        billing.str.contains("duty unknown (no roster)", literal=True)
        | billing.str.contains("working off the roster", literal=True)
    ).all()
    top = scored.officers["officer_id"][0]
    subject = scored.pairs.filter(pl.col("officer_id") == top)["subject_id"][0]
    ev = scored.events(top, subject)
    assert ev.height > 0 and ev["on_duty"].null_count() == ev.height


def test_shifts_only_outside_the_window_are_no_roster(tmp_path):
    # A roster export that ends before the analysis window: the officers have shifts,
    # none in the window, so nobody can be shown off duty in it.
    d = tmp_path / "force"
    apsp.synth.generate(d, officers=30, days=60, seed=3)
    shifts = pl.read_csv(d / "shifts.csv", infer_schema=False)
    year = pl.duration(days=400)
    moved = shifts.with_columns(
        (pl.col(c).str.to_datetime() - year).dt.strftime("%Y-%m-%d %H:%M:%S")
        for c in ("start", "end")
    )
    moved.write_csv(d / "shifts.csv")
    r = apsp.score(d)
    assert r.manifest["tables"]["shifts"]["counts"]["used"] == shifts.height
    details = " ".join(r.evidence["detail"].to_list())
    assert "off duty" not in details and "duty unknown (no roster)" in details
    off = r.signals.filter(pl.col("signal") == "off_duty_contact")
    assert (off["status"] == "not_evaluated").all()
    top = r.officers["officer_id"][0]
    subject = r.pairs.filter(pl.col("officer_id") == top)["subject_id"][0]
    assert r.events(top, subject)["on_duty"].null_count() == r.events(top, subject).height


def test_explain_renders_escaped_html(scored):
    top = scored.officers["officer_id"][0]
    e = scored.explain(top, max_pairs=1)
    assert isinstance(e, apsp.Explanation) and isinstance(e, str)
    page = e._repr_html_()
    assert page.startswith("<pre") and page.endswith("</pre>")
    inner = page[page.index(">") + 1 : -len("</pre>")]
    assert "<" not in inner and ">" not in inner
    assert html.unescape(inner) == str(e)
    hostile = apsp.Explanation("<script>alert('x')</script> & <b>")._repr_html_()
    assert "<script>" not in hostile and "<b>" not in hostile
    assert "&lt;script&gt;" in hostile and "&amp;" in hostile


def test_to_parquet_writes_what_write_writes(scored, tmp_path):
    out = tmp_path / "new" / "results"  # created, parents too
    manifest = scored.to_parquet(out)
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted([f"{n}.parquet" for n in OUTPUTS] + ["manifest.json"])
    assert manifest == json.loads((out / "manifest.json").read_text())
    assert manifest["scoring"]["pairs"] == scored.pairs.height
    for n in OUTPUTS:
        # The files keep UTC; the frames show the same instants on the force's clock.
        local = pl.read_parquet(out / f"{n}.parquet").with_columns(
            pl.col(pl.Datetime).dt.convert_time_zone(scored.display_timezone)
        )
        assert local.equals(getattr(scored, n)), n
    # The same files as write(out), which still works, with and without CSV: the same
    # bytes, and the same manifest but for the time of writing.
    again = scored.write(tmp_path / "write")
    for name in names:
        if name.endswith(".parquet"):
            assert (out / name).read_bytes() == (tmp_path / "write" / name).read_bytes(), name
    assert {**again, "created_at": None} == {**manifest, "created_at": None}
    scored.write(tmp_path / "csv", csv=True)
    csv_names = {f"{n}.csv" for n in OUTPUTS}
    assert {p.name for p in (tmp_path / "csv").iterdir()} == set(names) | csv_names


def test_to_parquet_into_a_file_is_an_error(scored, tmp_path):
    blocker = tmp_path / "results"
    blocker.write_text("not a folder")
    with pytest.raises(OSError):
        scored.to_parquet(blocker)


def test_a_long_run_says_its_stages_when_asked(capfd):
    """Issue 17, point 7: a long run was silent in Python (the CLI has a spinner)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", apsp.CoverageWarning)
        apsp.score(EXAMPLES / "demo", progress=True)
        err = capfd.readouterr().err
        stages = [line.split(" (")[0] for line in err.splitlines() if line.startswith("apsp: ")]
        assert stages[0] == "apsp: reading" and stages[-1] == "apsp: scored"
        assert "apsp: linking" in stages and len(stages) >= 5
        # Not at a terminal or in a notebook (as here, under pytest): silent.
        apsp.score(EXAMPLES / "demo")
        assert "apsp: " not in capfd.readouterr().err


def test_displays_read_as_a_person_expects():
    """Issue 17, point 6: `explain()` at a REPL showed a quoted string of "\\n"; the
    matrix had no table view; the HTML cut `top_reasons` at 30 characters and showed
    scores as 41.583333."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", apsp.CoverageWarning)
        r = apsp.score(EXAMPLES / "demo")
    account = r.explain("PCSO2002")
    assert repr(account).startswith("Officer PCSO2002 (PCSO)") and "\\n" not in repr(account)
    assert repr(account).count("\n") > 10
    html = r._repr_html_()
    reasons = r.officers["top_reasons"][0]
    assert len(reasons) > 30 and reasons in html
    score = r.officers["score"][0]
    assert f"{score:.2f}" in html and f"{score:.6f}" not in html
    m = apsp.RiskMatrix.default()
    table = m.to_frame()
    row = table.filter(table["key"] == "signals.contact_volume.weight").row(0, named=True)
    assert row["value"] == str(m["signals.contact_volume.weight"])
    assert row["source"]  # the comment citing where the number comes from
    assert "<table" in m._repr_html_() and "signals.contact_volume.weight" in m._repr_html_()


def test_status_agrees_with_value_threshold_and_fires_when():
    """Issue 17, point 6: `value` against `threshold` read as contradicting `status`
    (access_then_contact fires *below* its threshold: 0.8 days, within 14)."""
    import warnings

    import polars as pl

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", apsp.CoverageWarning)
        s = apsp.score(EXAMPLES / "demo").signals
    assert set(s["fires_when"]) == {"value >= threshold", "value <= threshold"}
    assert set(s.filter(pl.col("fires_when") == "value <= threshold")["signal"]) == {
        "access_then_contact"
    }
    met = pl.when(pl.col("fires_when") == "value >= threshold").then(
        pl.col("value") >= pl.col("threshold")
    ).otherwise(pl.col("value") <= pl.col("threshold"))
    judged = s.filter(pl.col("status") != "not_evaluated").with_columns(met=met)
    fired = judged.filter(pl.col("status") == "fired")
    assert fired.height > 5 and fired["met"].all()
    # access_then_contact fired here, at or below its threshold.
    assert fired.filter(pl.col("signal") == "access_then_contact").height > 0
