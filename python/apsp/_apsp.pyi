"""Type stub of the native module (Rust, pyo3). Checked by ``mypy.stubtest``."""

from pathlib import Path
from typing import Literal, final

import polars as pl

from apsp.settings import Ambiguous, Nonexistent, SynthFormat

_RealismPreset = Literal["clean", "real-town", "rural"]
_StopGeography = Literal["hotspots", "town-wide", "rural"]

__all__ = [
    "ApspError",
    "DatasetError",
    "InternalError",
    "MatrixError",
    "ParseError",
    "ProfileError",
    "PseudonymisationError",
    "SchemaError",
    "Scoring",
    "SettingError",
    "StoreError",
    "_echo_frame",
    "_selftest_equals",
    "_selftest_frame",
    "matrix_check",
    "matrix_default",
    "matrix_set",
    "nightly",
    "research_pseudonyms",
    "score",
    "store_alert",
    "store_alerts",
    "store_history",
    "store_prune",
    "store_replay",
    "store_review",
    "store_runs",
    "store_watch",
    "store_watchlist",
    "synth",
    "validate",
    "version",
]

class ApspError(Exception):
    """Base class of every apsp error."""

    # Set by the native side on every error it raises; None where that does not apply.
    file: str | None
    """The file (dataset file, profile, risk matrix or folder) the error is about."""
    line: int | None
    """The 1-based line in that file (in a data file the header is line 1)."""
    column: str | None
    """The column at fault."""

class SchemaError(ApspError): ...
class ParseError(ApspError): ...
class ProfileError(ApspError): ...
class MatrixError(ApspError): ...
class PseudonymisationError(ApspError): ...
class DatasetError(ApspError): ...
class SettingError(ApspError): ...
class InternalError(ApspError): ...
class StoreError(ApspError): ...

def version() -> str: ...
def validate(
    path: Path,
    *,
    profiles: list[Path] = ...,
    profile_dicts: list[str] = ...,
    timezone: str = "Europe/London",
    ambiguous: Ambiguous = "earliest",
    nonexistent: Nonexistent = "quarantine",
    pseudonymise: bool = False,
    key_file: Path | None = None,
    key_env: str | None = None,
    out: Path | None = None,
    write_tables: bool = False,
    ignore_extra_columns: bool = False,
    encoding: str = "utf-8",
    overwrite: bool = False,
) -> tuple[dict[str, pl.DataFrame], pl.DataFrame, str, str, int]: ...
def synth(
    out: Path,
    *,
    officers: int = 200,
    days: int = 90,
    seed: int = 1,
    start: str = "2026-01-05",
    format: SynthFormat = "csv",
    inject_errors: float = 0.0,
    plant_rate: float | None = None,
    realism: _RealismPreset = "clean",
    stops: _StopGeography | None = None,
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
) -> pl.DataFrame: ...
def matrix_default() -> str: ...
def nightly(
    store: Path,
    incoming: Path,
    *,
    matrix: Path | None = None,
    csv: bool = False,
    replace_snapshots: list[str] = ...,
    keep_outputs: int | None = None,
    profiles: list[Path] = ...,
    profile_dicts: list[str] = ...,
    timezone: str = "Europe/London",
    ambiguous: str = "earliest",
    nonexistent: str = "quarantine",
    pseudonymise: bool = False,
    key_file: Path | None = None,
    key_env: str | None = None,
    ignore_extra_columns: bool = False,
    encoding: str = "utf-8",
) -> str: ...
def store_alerts(store: Path, state: str | None = None) -> str: ...
def store_alert(
    store: Path, alert: int | None = None, officer: str | None = None, subject: str | None = None
) -> str: ...
def store_history(store: Path, alert: int | None = None) -> str: ...
def store_runs(store: Path) -> str: ...
def store_prune(store: Path, keep: int) -> str: ...
def store_replay(store: Path, run: int, out: Path, overwrite: bool = False) -> str: ...
def store_review(
    store: Path, alert: int, reviewer: str, outcome: str, note: str, seen_run: int | None = None
) -> str: ...
def store_watchlist(store: Path, history: bool = False) -> str: ...
def store_watch(store: Path, officer: str, by: str, reason: str, add: bool) -> None: ...
def matrix_check(text: str, source: str = "edited") -> tuple[str, str, str]: ...
def research_pseudonyms(key: bytes, kind: str, values: list[str | None]) -> list[str | None]: ...
def matrix_set(
    text: str, key: str, value: bool | int | float | str | list[str], source: str = "edited"
) -> str: ...
def score(
    path: Path,
    *,
    matrix: Path | None = None,
    matrix_text: tuple[str, str] | None = None,
    reference_time: str | None = None,
    window_days: int | None = None,
    keep_all_findings: bool = False,
    keep_events: bool = True,
    profiles: list[Path] = ...,
    profile_dicts: list[str] = ...,
    timezone: str = "Europe/London",
    ambiguous: Ambiguous = "earliest",
    nonexistent: Nonexistent = "quarantine",
    pseudonymise: bool = False,
    key_file: Path | None = None,
    key_env: str | None = None,
    ignore_extra_columns: bool = False,
    encoding: str = "utf-8",
    progress: bool = False,
) -> Scoring: ...

@final
class Scoring:
    """A scored run held for explanations and writing."""

    def explain(self, officer_id: str, max_pairs: int = 3) -> str: ...
    def case_report(self, officer_id: str) -> str: ...
    def frames(self) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]: ...
    def quarantine(self) -> pl.DataFrame: ...
    def write(self, out: Path, csv: bool = False, overwrite: bool = False) -> str: ...
    def manifest(self) -> str: ...
    def timings(self) -> list[tuple[str, float]]: ...
    def pair_events(self, officer_id: str, subject_id: str) -> pl.DataFrame: ...
    def pair_involvements(self, officer_id: str, subject_id: str) -> pl.DataFrame: ...
    def officer_shifts(self, officer_id: str) -> pl.DataFrame: ...
    def subject_home(self, subject_id: str) -> tuple[float, float] | None: ...
    def radius_m(self) -> float: ...
    def officer_aggregation(self) -> tuple[int, float]: ...

def _selftest_frame() -> pl.DataFrame: ...
def _selftest_equals(df: pl.DataFrame) -> bool: ...
def _echo_frame(df: pl.DataFrame) -> pl.DataFrame: ...
