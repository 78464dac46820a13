"""Shared paths for the Python test suite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
CORPUS = REPO / "tests" / "data" / "bad_input"


@pytest.fixture(scope="session")
def apsp_bin() -> Path:
    """The `apsp` CLI built by `make build` (override with APSP_BIN)."""
    p = Path(os.environ.get("APSP_BIN", REPO / "target" / "release" / "apsp"))
    if not p.exists():
        pytest.fail(f"{p} not found: run `make build` first")
    return p
