"""Synthetic force generator.

Nobody may hand real billing records to a demo, a test or a benchmark: this writes a
synthetic force in the canonical contract, deterministic per seed, with planted
case-study scenarios and decoys whose ground truth is returned as the labels frame.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from . import _apsp
from .settings import PathLike, SynthFormat

__all__ = ["generate"]


def generate(
    out: PathLike,
    *,
    officers: int = 200,
    days: int = 90,
    seed: int = 1,
    start: str = "2026-01-05",
    format: SynthFormat = "csv",
    inject_errors: float = 0.0,
    plant_rate: float | None = None,
) -> pl.DataFrame:
    """Write a synthetic force into ``out`` and return its labels.

    Parameters
    ----------
    out : path
        Folder to write the dataset into (created if needed).
    officers, days : int
        Size of the force and the period covered. Scenarios need at least 60 days.
    seed : int
        The same seed gives byte-identical files.
    start : str
        First day, ``YYYY-MM-DD`` (local).
    format : {"csv", "parquet"}
        CSV with naive local times and mixed phone writings, or typed Parquet.
    inject_errors : float
        Share of background rows written broken in known ways (or twice); the
        expected quarantine is written to ``injected_errors.parquet``.
    plant_rate : float, optional
        Scenarios per officer-year (decoys at ten times the rate). ``None`` plants
        one of each scenario and decoy.

    Returns
    -------
    polars.DataFrame
        One row per planted scenario or decoy: ``officer_id``, ``role``, ``scenario``,
        ``kind`` (``planted`` or ``decoy``), ``detectable``, ``subjects`` (``;``-joined
        person ids, or E.164 numbers for subjects in no record), ``expected_signals``
        and ``description``.

    Examples
    --------
    >>> import tempfile, apsp
    >>> labels = apsp.synth.generate(tempfile.mkdtemp(), officers=120, days=90, seed=3)
    >>> sorted(labels["kind"].unique().to_list())
    ['decoy', 'planted']
    """
    return _apsp.synth(
        Path(out),
        officers=officers,
        days=days,
        seed=seed,
        start=start,
        format=format,
        inject_errors=inject_errors,
        plant_rate=plant_rate,
    )
