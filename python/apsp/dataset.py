"""Reading a dataset into typed polars DataFrames."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import polars as pl

from . import _apsp

PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class Dataset:
    """A dataset read into the canonical tables.

    Attributes
    ----------
    tables : dict[str, polars.DataFrame]
        The tables present, by name (``"billing"``, ``"officers"``, ...). Datetimes are
        UTC; every table ends with ``source_file`` and ``source_line``.
    quarantine : polars.DataFrame
        Every row not used, with ``table``, ``file``, ``line`` (header = line 1),
        ``reason`` (a stable code), ``column``, ``message`` and ``raw``.
    manifest : dict
        Provenance: library version, settings, each input file's SHA-256 and row counts
        (read = used + quarantined + duplicates).
    summary : str
        The per-table text summary printed by ``apsp validate``.
    exit_code : int
        0 if no row was quarantined, 1 otherwise (the CLI's exit code).
    """

    tables: dict[str, pl.DataFrame]
    quarantine: pl.DataFrame
    manifest: dict[str, Any] = field(repr=False)
    summary: str = field(repr=False)
    exit_code: int

    def __getitem__(self, name: str) -> pl.DataFrame:
        """The table called ``name``; ``KeyError`` if the dataset has none."""
        return self.tables[name]

    def __contains__(self, name: object) -> bool:
        return name in self.tables

    def counts(self) -> pl.DataFrame:
        """Row accounting per input file as a DataFrame."""
        rows = [
            {"table": f["table"], "file": f["file"], **f["rows"]}
            for f in self.manifest["inputs"]
        ]
        return pl.DataFrame(
            rows,
            schema={
                "table": pl.String,
                "file": pl.String,
                "read": pl.Int64,
                "used": pl.Int64,
                "quarantined": pl.Int64,
                "duplicates": pl.Int64,
            },
        )

    def __str__(self) -> str:
        return self.summary


def _call(
    path: PathLike,
    *,
    profiles: Iterable[PathLike],
    timezone: str,
    ambiguous: str,
    nonexistent: str,
    pseudonymise: bool,
    key_file: PathLike | None,
    key_env: str | None,
    out: PathLike | None,
    write_tables: bool,
    ignore_extra_columns: bool,
) -> Dataset:
    tables, quarantine, manifest, summary, code = _apsp.validate(
        Path(path),
        profiles=[Path(p) for p in profiles],
        timezone=timezone,
        ambiguous=ambiguous,
        nonexistent=nonexistent,
        pseudonymise=pseudonymise,
        key_file=None if key_file is None else Path(key_file),
        key_env=key_env,
        out=None if out is None else Path(out),
        write_tables=write_tables,
        ignore_extra_columns=ignore_extra_columns,
    )
    return Dataset(
        tables=dict(tables),
        quarantine=quarantine,
        manifest=json.loads(manifest),
        summary=summary,
        exit_code=code,
    )


def read_dataset(
    path: PathLike,
    *,
    profiles: Iterable[PathLike] = (),
    timezone: str = "Europe/London",
    ambiguous: str = "earliest",
    nonexistent: str = "quarantine",
    pseudonymise: bool = False,
    key_file: PathLike | None = None,
    key_env: str | None = None,
    ignore_extra_columns: bool = False,
) -> Dataset:
    """Read a dataset folder into typed polars DataFrames.

    Parameters
    ----------
    path : str or PathLike
        Folder with one file (``billing.csv``, ``billing.parquet``) or folder of files
        (``billing/``) per table.
    profiles : iterable of paths
        Import profiles (TOML) mapping raw exports onto canonical tables.
    timezone : str
        IANA zone of timestamps written without an offset.
    ambiguous : {"earliest", "latest", "quarantine"}
        Local times that occur twice when the clocks go back.
    nonexistent : {"quarantine", "shift_forward"}
        Local times that do not exist when the clocks go forward.
    pseudonymise : bool
        Replace members of the public's phone numbers and person ids by keyed
        HMAC-SHA256 pseudonyms. Needs a key: ``key_file``, ``key_env`` or the
        ``APSP_PSEUDONYM_KEY`` environment variable; there is no default key.
    key_file, key_env
        Where the key comes from.
    ignore_extra_columns : bool
        Read files that have columns belonging to no table column, listing those columns
        in the manifest (``inputs[].ignored_columns``) and summary. By default such a
        column is a ``SchemaError``: a misspelt column must not silently drop data.

    Returns
    -------
    Dataset

    Raises
    ------
    FileNotFoundError
        The folder or a profile does not exist.
    SchemaError
        A file is empty or has missing, unknown or mistyped columns
        (``err.file``, ``err.line``, ``err.column`` say where).
    ProfileError, PseudonymisationError, DatasetError, SettingError
        As named.
    """
    return _call(
        path,
        profiles=profiles,
        timezone=timezone,
        ambiguous=ambiguous,
        nonexistent=nonexistent,
        pseudonymise=pseudonymise,
        key_file=key_file,
        key_env=key_env,
        out=None,
        write_tables=False,
        ignore_extra_columns=ignore_extra_columns,
    )


def validate(
    path: PathLike,
    out: PathLike | None = None,
    *,
    write_tables: bool = False,
    profiles: Iterable[PathLike] = (),
    timezone: str = "Europe/London",
    ambiguous: str = "earliest",
    nonexistent: str = "quarantine",
    pseudonymise: bool = False,
    key_file: PathLike | None = None,
    key_env: str | None = None,
    ignore_extra_columns: bool = False,
) -> Dataset:
    """Validate a dataset as ``apsp validate`` does.

    Like :func:`read_dataset`, and when ``out`` is given writes
    ``quarantine.parquet`` and ``manifest.json`` there (plus ``<table>.parquet`` for
    each table with ``write_tables=True``). ``Dataset.exit_code`` is the CLI's exit
    code: 0 clean, 1 rows quarantined.
    """
    return _call(
        path,
        profiles=profiles,
        timezone=timezone,
        ambiguous=ambiguous,
        nonexistent=nonexistent,
        pseudonymise=pseudonymise,
        key_file=key_file,
        key_env=key_env,
        out=out,
        write_tables=write_tables,
        ignore_extra_columns=ignore_extra_columns,
    )
