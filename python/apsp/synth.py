"""Synthetic force generator (work in progress).

Nobody may hand real billing records to a demo, a test or a benchmark: this writes a
synthetic force in the canonical contract, deterministic per seed, with planted
case-study scenarios whose ground truth is returned as the labels frame.
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl

from . import _apsp
from ._apsp import SettingError

__all__ = ["generate"]


def generate(
    out: str | os.PathLike[str],
    *,
    officers: int = 200,
    days: int = 90,
    seed: int = 1,
    start: str = "2026-01-05",
    format: str = "csv",
) -> pl.DataFrame:
    """Write a synthetic force into ``out`` and return its labels.

    Parameters
    ----------
    out : path
        Folder to write the dataset into (created if needed).
    officers, days : int
        Size of the force and the period covered.
    seed : int
        The same seed gives byte-identical files.
    start : str
        First day, ``YYYY-MM-DD`` (local).
    format : {"csv"}
        Only CSV so far; Parquet output is planned.

    Returns
    -------
    polars.DataFrame
        One row per planted scenario: ``officer_id``, ``scenario``, ``kind``
        (``planted``), ``subjects`` (``;``-joined person ids), ``expected_signals``.
    """
    if format != "csv":
        raise SettingError(f"format {format!r} is not supported yet; use 'csv'")
    return _apsp.synth(Path(out), officers=officers, days=days, seed=seed, start=start)
