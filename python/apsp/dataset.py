"""Reading a dataset into typed polars DataFrames."""

from __future__ import annotations

import html
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from . import _apsp
from .coverage import coverage_summary, warn_coverage
from .settings import Ambiguous, Nonexistent, PathLike, ProfilesLike, ReadSettings

__all__ = ["TABLES", "Dataset", "DatasetLike", "Frames", "read_dataset", "validate"]

#: The canonical tables, in the data contract's order (the order they are read). A dataset
#: folder holds one file (``billing.parquet``) or folder per table; a mapping of frames
#: uses the same names as keys.
TABLES: tuple[str, ...] = (
    "officers",
    "devices",
    "shifts",
    "persons",
    "person_numbers",
    "case_links",
    "billing",
    "stops",
    "vehicle_assignments",
    "deployments",
    "access_log",
    "complaints",
)

#: Columns the reader adds to every table it returns (provenance of each row).
_PROVENANCE = ("source_file", "source_line")


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

    def __repr__(self) -> str:
        """One line: the tables and rows read, then what was left out (a bare ``ds`` in a
        notebook printed every table, ~31,000 characters)."""
        rows = sum(t.height for t in self.tables.values())
        return (
            f"<apsp.Dataset: {len(self.tables)} tables, {rows} rows; "
            f"{coverage_summary(self.manifest)}>"
        )

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(repr(self))}</p>" + self.counts()._repr_html_()


Frames = Mapping[str, pl.DataFrame | pl.LazyFrame]
"""Canonical table name (one of :data:`TABLES`) → polars DataFrame or LazyFrame."""

DatasetLike = PathLike | Frames | Dataset
"""What the readers and :func:`apsp.score` take: a dataset folder, a mapping of frames or
a :class:`Dataset`."""


def _reader_columns(df: pl.DataFrame) -> list[str]:
    """The columns the reader added to a table it returned: ``source_file``,
    ``source_line`` and the ``<phone>_kind`` column next to each phone column."""
    cols = set(df.columns)
    return [
        c
        for c in df.columns
        if c in _PROVENANCE or (c.endswith("_kind") and c[: -len("_kind")] in cols)
    ]


def _frames(data: Mapping[Any, Any] | Dataset) -> dict[str, pl.DataFrame]:
    """Checks a mapping of frames (or a Dataset's tables) and returns it as DataFrames."""
    if isinstance(data, Dataset):
        if data.manifest.get("settings", {}).get("pseudonymised"):
            raise _dataset_error(
                "this Dataset was pseudonymised when it was read: its pseudonyms cannot be "
                "read again as phone numbers; read the folder it came from instead (with "
                "the same key, so the pseudonyms stay the same)"
            )
        data = data.tables
    out: dict[str, pl.DataFrame] = {}
    for name, frame in data.items():
        if not isinstance(name, str) or name not in TABLES:
            raise _dataset_error(
                f"unknown table {name!r} in the frames given; "
                f"expected table names: {', '.join(TABLES)}"
            )
        if isinstance(frame, pl.LazyFrame):
            frame = frame.collect()
        if not isinstance(frame, pl.DataFrame):
            raise TypeError(
                f"table {name!r}: expected a polars DataFrame or LazyFrame, "
                f"got {type(frame).__module__}.{type(frame).__qualname__}"
            )
        out[name] = frame.drop(_reader_columns(frame))
    return out


def _dataset_error(message: str) -> _apsp.DatasetError:
    """A ``DatasetError`` raised from Python, with the attributes a native one has."""
    err = _apsp.DatasetError(message)
    err.file, err.line, err.column = None, None, None
    return err


def _relocate(err: _apsp.ApspError, folder: Path) -> None:
    """Rewrites an error about the temporary folder to name the frame's table file
    (``billing.parquet``) and the frames (``<frames>``) instead."""

    def fix(text: str) -> str:
        return text.replace(f"{folder}{os.sep}", "").replace(str(folder), "<frames>")

    if len(err.args) == 1 and isinstance(err.args[0], str):
        err.args = (fix(err.args[0]),)
    file = getattr(err, "file", None)  # set on every error the native side raises
    if isinstance(file, str):
        err.file = fix(file)


@contextmanager
def _as_folder(data: DatasetLike) -> Iterator[Path]:
    """The folder to read ``data`` from.

    A path is used as it is. Frames (a mapping or a :class:`Dataset`) are written to a
    temporary folder as ``<table>.parquet`` (without the columns the reader adds), which
    is removed on exit; an :class:`apsp.ApspError` raised meanwhile names
    ``<table>.parquet`` rather than the temporary path.
    """
    if isinstance(data, (str, os.PathLike)):
        yield Path(data)
        return
    if not isinstance(data, (Mapping, Dataset)):
        raise TypeError(
            "expected a dataset folder (str or PathLike), a mapping of table name to "
            f"polars DataFrame, or an apsp.Dataset; got {type(data).__qualname__}"
        )
    frames = _frames(data)
    with tempfile.TemporaryDirectory(prefix="apsp-frames-") as tmp:
        folder = Path(tmp)
        for name, frame in frames.items():
            frame.write_parquet(folder / f"{name}.parquet")
        try:
            yield folder
        except _apsp.ApspError as err:
            _relocate(err, folder)
            raise


def _read(
    path: DatasetLike,
    settings: ReadSettings,
    *,
    out: PathLike | None,
    write_tables: bool,
    overwrite: bool = False,
) -> Dataset:
    """Reads (and validates) ``path`` with ``settings``: the body of the public readers."""
    with _as_folder(path) as folder:
        tables, quarantine, manifest, summary, code = _apsp.validate(
            folder,
            out=None if out is None else Path(out),
            write_tables=write_tables,
            overwrite=overwrite,
            **settings._native(),
        )
    ds = Dataset(
        tables=dict(tables),
        quarantine=quarantine,
        manifest=json.loads(manifest),
        summary=summary,
        exit_code=code,
    )
    # The user's call is three frames up: read_dataset / validate → _read → here.
    warn_coverage(ds.manifest, stacklevel=3)
    return ds


def read_dataset(
    path: DatasetLike,
    *,
    profiles: ProfilesLike = ReadSettings.profiles,
    timezone: str = ReadSettings.timezone,
    ambiguous: Ambiguous = ReadSettings.ambiguous,
    nonexistent: Nonexistent = ReadSettings.nonexistent,
    pseudonymise: bool = ReadSettings.pseudonymise,
    key_file: PathLike | None = ReadSettings.key_file,
    key_env: str | None = ReadSettings.key_env,
    ignore_extra_columns: bool = ReadSettings.ignore_extra_columns,
    encoding: str = ReadSettings.encoding,
) -> Dataset:
    """Read a dataset into typed polars DataFrames.

    Parameters
    ----------
    path : str, PathLike, mapping of str to polars.DataFrame, or Dataset
        A folder with one file (``billing.csv``, ``billing.parquet``) or folder of files
        (``billing/``) per table. Or the tables as polars frames, by canonical table
        name (one of :data:`apsp.TABLES`: ``{"officers": df, "billing": df, ...}``;
        a ``LazyFrame`` is collected), or a :class:`Dataset` (its tables), e.g. tables
        an analyst has filtered. Frames are checked exactly as files are: each is
        written as ``<table>.parquet`` to a temporary folder and read from there, so
        the quarantine and manifest name ``billing.parquet`` and a quarantined row's
        ``line`` is its 1-based row number in the frame. The columns the reader adds
        (``source_file``, ``source_line`` and ``<phone column>_kind``) are dropped
        first, so a Dataset's tables can be passed back as they are. The manifest's
        ``dataset`` names that temporary folder, which is removed on return.
    profiles, timezone, ambiguous, nonexistent
        How the files are read: import profiles (TOML) mapping raw exports onto
        canonical tables; the IANA zone of timestamps written without an offset, and
        what to do with local times the clocks repeat (``"earliest"``, ``"latest"``,
        ``"quarantine"``) or skip (``"quarantine"``, ``"shift_forward"``).
    pseudonymise, key_file, key_env, ignore_extra_columns,
    encoding
        Whether members of the public's numbers and ids are pseudonymised, and where
        the key comes from; whether columns belonging to no table are ignored (listed
        in the manifest) or a ``SchemaError``; the CSV files' character encoding
        (``"utf-8"``, ``"cp1252"``, ``"latin-1"``). These nine are the fields of
        :class:`apsp.ReadSettings`, described there, with its defaults.

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
    ParseError
        A file cannot be read as CSV or Parquet at all.
    DatasetError
        No officers table or no event table; a frame under a name that is no table;
        a Dataset that was pseudonymised when read (read its folder again instead).
    TypeError
        ``path`` is none of the above, or a frame is not a polars DataFrame/LazyFrame.
    ProfileError, PseudonymisationError, SettingError
        As named.

    Examples
    --------
    A folder (here a small synthetic force):

    >>> import tempfile, apsp, polars as pl
    >>> folder = tempfile.mkdtemp()
    >>> _ = apsp.synth.generate(folder, officers=40, days=60, seed=3)
    >>> ds = apsp.read_dataset(folder)
    >>> ds["billing"].schema["started_at"]
    Datetime(time_unit='us', time_zone='UTC')
    >>> ds.quarantine.height
    0

    The same tables as frames, billing cut down to one work phone:

    >>> phone = ds["devices"]["device_number"][0]
    >>> mine = ds["billing"].filter(pl.col("device_number") == phone)
    >>> small = apsp.read_dataset({**ds.tables, "billing": mine})
    >>> small["billing"].height == mine.height
    True
    >>> small.counts().filter(pl.col("table") == "billing")["file"].item()
    'billing.parquet'
    """
    return _read(
        path,
        ReadSettings(
            profiles=profiles,
            timezone=timezone,
            ambiguous=ambiguous,
            nonexistent=nonexistent,
            pseudonymise=pseudonymise,
            key_file=key_file,
            key_env=key_env,
            ignore_extra_columns=ignore_extra_columns,
            encoding=encoding,
        ),
        out=None,
        write_tables=False,
    )


def validate(
    path: DatasetLike,
    out: PathLike | None = None,
    *,
    write_tables: bool = False,
    overwrite: bool = False,
    profiles: ProfilesLike = ReadSettings.profiles,
    timezone: str = ReadSettings.timezone,
    ambiguous: Ambiguous = ReadSettings.ambiguous,
    nonexistent: Nonexistent = ReadSettings.nonexistent,
    pseudonymise: bool = ReadSettings.pseudonymise,
    key_file: PathLike | None = ReadSettings.key_file,
    key_env: str | None = ReadSettings.key_env,
    ignore_extra_columns: bool = ReadSettings.ignore_extra_columns,
    encoding: str = ReadSettings.encoding,
) -> Dataset:
    """Validate a dataset as ``apsp validate`` does.

    Like :func:`read_dataset` (``path`` may be a folder, a mapping of table name to
    polars DataFrame, or a :class:`Dataset`), and when ``out`` is given writes
    ``quarantine.parquet`` and ``manifest.json`` there (plus ``<table>.parquet`` for
    each table with ``write_tables=True``). A folder ``out`` that already holds files
    is written into only with ``overwrite=True``. ``Dataset.exit_code`` is the CLI's exit
    code: 0 clean, 1 rows quarantined. For frames, a quarantined row's ``file`` is
    ``<table>.parquet`` and its ``line`` the 1-based row number in the frame.

    Examples
    --------
    Two billing rows as a frame; the second has a letter O where a zero belongs:

    >>> import tempfile, apsp, polars as pl
    >>> frames = {
    ...     "officers": pl.DataFrame({"officer_id": ["PC1"], "role": ["PC"]}),
    ...     "billing": pl.DataFrame({
    ...         "device_number": ["07700 900001", "07700 900001"],
    ...         "other_number": ["07700 900123", "07700 9OO124"],
    ...         "direction": ["out", "in"],
    ...         "kind": ["call", "sms"],
    ...         "started_at": ["2026-03-01 10:00", "2026-03-01 10:05"],
    ...     }),
    ... }
    >>> out = tempfile.mkdtemp()
    >>> ds = apsp.validate(frames, out)
    >>> ds.exit_code
    1
    >>> ds.quarantine.select("file", "line", "reason", "column").row(0)
    ('billing.parquet', 2, 'bad_phone', 'other_number')
    >>> ds["billing"]["other_number"].to_list()
    ['+447700900123']
    >>> import os; sorted(os.listdir(out))
    ['manifest.json', 'quarantine.parquet']
    """
    return _read(
        path,
        ReadSettings(
            profiles=profiles,
            timezone=timezone,
            ambiguous=ambiguous,
            nonexistent=nonexistent,
            pseudonymise=pseudonymise,
            key_file=key_file,
            key_env=key_env,
            ignore_extra_columns=ignore_extra_columns,
            encoding=encoding,
        ),
        out=out,
        write_tables=write_tables,
        overwrite=overwrite,
    )
