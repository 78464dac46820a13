"""Type stub of the native module (Rust, pyo3). Checked by ``mypy.stubtest``."""

from pathlib import Path
from typing import final

import polars as pl

__all__ = [
    "validate",
    "version",
    "synth",
    "score",
    "matrix_default",
    "matrix_check",
    "matrix_set",
    "Scoring",
    "_selftest_frame",
    "_selftest_equals",
    "_echo_frame",
    "ApspError",
    "SchemaError",
    "ParseError",
    "ProfileError",
    "MatrixError",
    "PseudonymisationError",
    "DatasetError",
    "SettingError",
    "InternalError",
]

class ApspError(Exception): ...
class SchemaError(ApspError): ...
class ParseError(ApspError): ...
class ProfileError(ApspError): ...
class MatrixError(ApspError): ...
class PseudonymisationError(ApspError): ...
class DatasetError(ApspError): ...
class SettingError(ApspError): ...
class InternalError(ApspError): ...

def version() -> str: ...
def validate(
    path: Path,
    *,
    profiles: list[Path] = ...,
    timezone: str = "Europe/London",
    ambiguous: str = "earliest",
    nonexistent: str = "quarantine",
    pseudonymise: bool = False,
    key_file: Path | None = None,
    key_env: str | None = None,
    out: Path | None = None,
    write_tables: bool = False,
    ignore_extra_columns: bool = False,
) -> tuple[dict[str, pl.DataFrame], pl.DataFrame, str, str, int]: ...
def synth(
    out: Path,
    *,
    officers: int = 200,
    days: int = 90,
    seed: int = 1,
    start: str = "2026-01-05",
    format: str = "csv",
    inject_errors: float = 0.0,
    plant_rate: float | None = None,
) -> pl.DataFrame: ...
def matrix_default() -> str: ...
def matrix_check(text: str, source: str = "edited") -> tuple[str, str, str]: ...
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
    timezone: str = "Europe/London",
    ambiguous: str = "earliest",
    nonexistent: str = "quarantine",
    pseudonymise: bool = False,
    key_file: Path | None = None,
    key_env: str | None = None,
    ignore_extra_columns: bool = False,
) -> Scoring: ...

@final
class Scoring:
    """A scored run held for explanations and writing."""

    def explain(self, officer_id: str, max_pairs: int = 3) -> str: ...
    def frames(self) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]: ...
    def quarantine(self) -> pl.DataFrame: ...
    def write(self, out: Path, csv: bool = False) -> str: ...
    def manifest(self) -> str: ...
    def timings(self) -> list[tuple[str, float]]: ...
    def pair_events(self, officer_id: str, subject_id: str) -> pl.DataFrame: ...
    def pair_involvements(self, officer_id: str, subject_id: str) -> pl.DataFrame: ...
    def officer_shifts(self, officer_id: str) -> pl.DataFrame: ...
    def subject_home(self, subject_id: str) -> tuple[float, float] | None: ...
    def radius_m(self) -> float: ...

def _selftest_frame() -> pl.DataFrame: ...
def _selftest_equals(df: pl.DataFrame) -> bool: ...
def _echo_frame(df: pl.DataFrame) -> pl.DataFrame: ...
