"""Synthetic force generator.

Nobody may hand real billing records to a demo, a test or a benchmark: this writes a
synthetic force in the canonical contract, deterministic per seed, with planted
case-study scenarios and decoys whose ground truth is returned as the labels frame.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import polars as pl

from . import _apsp
from .settings import PathLike, SynthFormat

__all__ = ["RealismPreset", "StopGeography", "generate"]

RealismPreset = Literal["clean", "real-town", "rural"]
"""``clean`` (default: hotspots only, every other setting off), ``real-town``, ``rural``."""
StopGeography = Literal["hotspots", "town-wide", "rural"]
"""Where undeployed background patrol stops happen."""


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
    realism: RealismPreset = "real-town",
    stops: StopGeography | None = None,
    households: float | None = None,
    duplicate_persons: float | None = None,
    shared_numbers: float | None = None,
    pooled_phones: float | None = None,
    no_durations: float | None = None,
    partial_rosters: float | None = None,
    overtime: float | None = None,
    stale_cases: float | None = None,
    clock_skew: float | None = None,
    latitude: float | None = None,
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
    realism : {"clean", "real-town", "rural"}
        A preset of the shapes of real force data (docs/synthetic-force.md, "Realism").
        ``real-town`` (the default) turns every setting below on; ``rural`` is
        ``real-town`` with sparse rural stops; ``clean`` is the historical force
        (stops at hotspots only, every other setting off), which flatters an engine.
    stops : {"hotspots", "town-wide", "rural"}, optional
        Where undeployed patrol stops happen (overrides the preset). ``town-wide``:
        in every street, so a home sees dozens of different officers stop nearby.
    households, duplicate_persons, shared_numbers, pooled_phones, no_durations, \
partial_rosters, overtime, stale_cases, clock_skew : float, optional
        Shares (0 to 1) overriding the preset: persons living at another person's
        address, duplicate person records, numbers recorded for two persons, officers
        on a pooled team phone, devices whose carrier sends no durations, officers
        whose roster covers part of the window, case contacts in unrostered overtime
        (0.1 in real-town, the default; 0.03 clean), cases never closed (and cases
        open for years), vehicles whose clock is wrong by years.
    latitude : float, optional
        Latitude of the force's main town (degrees north, default 52.95).

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
        realism=realism,
        stops=stops,
        households=households,
        duplicate_persons=duplicate_persons,
        shared_numbers=shared_numbers,
        pooled_phones=pooled_phones,
        no_durations=no_durations,
        partial_rosters=partial_rosters,
        overtime=overtime,
        stale_cases=stale_cases,
        clock_skew=clock_skew,
        latitude=latitude,
    )
