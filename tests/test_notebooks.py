"""Every notebook in notebooks/ runs top to bottom (no network: the demo force is
generated inside), and is kept in git with its outputs stripped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import REPO

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


def test_there_are_the_analyst_and_research_notebooks():
    names = [p.name for p in NOTEBOOKS]
    assert names == [
        "01_triage.ipynb",
        "02_one_officer_one_subject.ipynb",
        "03_tune_the_risk_matrix.ipynb",
        "04_build_a_risk_matrix.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_outputs_are_stripped(path: Path):
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, path.name


@pytest.fixture(scope="module")
def force(tmp_path_factory) -> Path:
    """One demo force for all notebooks (each would otherwise generate its own)."""
    import apsp

    d = tmp_path_factory.mktemp("nbdata")
    apsp.synth.generate(d / "force", officers=300, days=180, seed=1)
    return d


# What each notebook claims to show, checked in its own kernel after its last cell.
CLAIMS = {
    "01_triage": """
assert labels is not None and r.officers["rank"].dtype == pl.Int64
# "drill into the officer ranked first": a planted pattern of the demo force
assert top in labels.filter(pl.col("kind") == "planted")["officer_id"].to_list()
# every detectable planted pattern ranks above every decoy
assert planted.filter(pl.col("kind") == "decoy")["rank"].min() > \
    planted.filter((pl.col("kind") == "planted") & pl.col("detectable"))["rank"].max()
""",
    "02_one_officer_one_subject": """
assert officer == labels.filter(pl.col("scenario") == "case_study_2")["officer_id"][0]
assert stops_map is not None  # case study 2 rests on stops near her home
counted = sum(len(c.get_offsets()) for c in stops_map.axes[0].collections if c.get_gid() == "stops")
fired = r.evidence.filter((pl.col("officer_id") == officer) & (pl.col("subject_id") == subject)
                          & (pl.col("signal") == "stop_near_home"))
assert counted == fired.height > 0
""",
    "03_tune_the_risk_matrix": """
assert ranks["moved"].dtype == pl.Int64
n = a.officers.height
for moved, before, after in ranks.select("moved", "rank_default", "rank_tuned").iter_rows():
    assert moved == int(before) - int(after) and abs(moved) < n
assert sorted(ranks["rank_tuned"].to_list()) == list(range(1, n + 1))
""",
    "04_build_a_risk_matrix": """
assert (fitted.weights["fitted_weight"] >= 0).all()
assert apsp.RiskMatrix(fitted.matrix.to_toml()).sha256 == fitted.matrix.sha256
assert features["officer_id"].str.starts_with("o-").all()
assert summary["force"].n_unique() == 4 and summary.height == 12
assert (summary["ci_low"] <= summary["difference"]).all()
assert (summary["difference"] <= summary["ci_high"]).all()
assert "synthetic labels are not real outcomes" in nb_text.lower()
""",
}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path: Path, force: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("APSP_NOTEBOOK_DATA", str(force))
    nb = nbformat.read(path, as_version=4)
    shown = len(nb.cells)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    nb.cells.append(nbformat.v4.new_code_cell(f"nb_text = {text!r}\n" + CLAIMS[path.stem]))
    client = nbclient.NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"
    ]
    assert not errors
    # The figures rendered (PNG in the outputs), each where it is drawn.
    for cell in nb.cells[:shown]:
        draws = cell.cell_type == "code" and "apsp.plot." in cell.source
        if draws:
            pngs = [o for o in cell.outputs if "image/png" in o.get("data", {})]
            assert len(pngs) == 1, cell.source


def test_a_notebook_pointed_at_real_data_reads_it_and_writes_nothing(tmp_path, monkeypatch):
    """Issue 17, point 2: notebook 1 checked for `officers.csv`, so a Parquet dataset
    looked absent and 300 generated officers were written beside the real ones. Here
    the "real" force is the hand-made demo as Parquet, without ground truth."""
    import apsp
    from apsp.dataset import _frames  # the tables without the columns the reader adds

    force = tmp_path / "force"
    force.mkdir()
    for name, frame in _frames(apsp.read_dataset(REPO / "examples" / "demo")).items():
        frame.write_parquet(force / f"{name}.parquet")
    before = sorted(p.name for p in force.iterdir())
    monkeypatch.setenv("APSP_NOTEBOOK_DATA", str(tmp_path))
    nb = nbformat.read(REPO / "notebooks" / "01_triage.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(
        "assert labels is None and r.officers.height == 9, (labels, r.officers.height)"
    ))
    nbclient.NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    assert sorted(p.name for p in force.iterdir()) == before
