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


def test_there_are_the_three_analyst_notebooks():
    names = [p.name for p in NOTEBOOKS]
    assert names == [
        "01_triage.ipynb",
        "02_one_officer_one_subject.ipynb",
        "03_tune_the_risk_matrix.ipynb",
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


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path: Path, force: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("APSP_NOTEBOOK_DATA", str(force))
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"
    ]
    assert not errors
    # The figures rendered (PNG in the outputs).
    if "timeline" in path.read_text():
        assert any("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))
