"""Scoring a dataset against the twelve warning signs.

A score is a warning sign for review, never a verdict: every number in a
:class:`Result` is explained down to the source rows behind it.
"""

from __future__ import annotations

import difflib
import html
import json
import os
import sys
import warnings
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import polars as pl

from . import _apsp
from .coverage import CoverageWarning, coverage_summary, warn_coverage
from .dataset import DatasetLike, _as_folder, _dataset_error, _read
from .matrix import RiskMatrix
from .settings import Ambiguous, Nonexistent, PathLike, ProfilesLike, ReadSettings

__all__ = ["Explanation", "Result", "score"]


class Explanation(str):
    """The account of one officer: plain text, shown preformatted in a notebook."""

    def _repr_html_(self) -> str:
        return f"<pre style='white-space: pre-wrap'>{html.escape(str(self))}</pre>"

    def __repr__(self) -> str:
        # At a REPL the account reads as text, not as a quoted string of "\n".
        return str(self)


class Result:
    """A scored dataset: the frames of ``apsp score`` and an account of each officer.

    Attributes
    ----------
    officers : polars.DataFrame
        One row per officer by rank: ``officer_id``, ``role``, ``score``, ``tier``,
        ``rank``, ``style``, ``style_reason``, ``n_subjects_flagged``, ``top_reasons``.
    pairs : polars.DataFrame
        One row per officer × subject: ``score``, ``tier``, counts, first and last
        event, and one contribution column per warning sign (they sum to ``score``).
    signals : polars.DataFrame
        Every sign of every pair with a score (and the officer-level signs of every
        officer): ``value``, ``threshold``, ``fires_when`` (``value >= threshold``, or
        ``value <= threshold`` for ``access_then_contact``), window, ``status`` (``fired``,
        ``not_fired``, ``not_evaluated``), ``contribution``, ``note``.
    evidence : polars.DataFrame
        The source rows behind every fired sign: ``table``, ``row_id``, ``at`` (a UTC
        instant), ``local_time`` (the same time on the force's clock with its offset,
        ``2026-07-01 22:30:00 +01:00``, in the zone the dataset was read in), ``detail``.
    quarantine : polars.DataFrame
        Every input row not used, with file, line and reason.
    manifest : dict
        Provenance: versions, settings, input hashes and counts, the risk matrix's name,
        version and SHA-256, the reference time (``reference_time_from``: ``given`` or
        ``data``), the events after it (``events_after_reference``: not scored) and the
        window.

    The frames are built on first use. Pairs without any warning sign keep their
    score (0) in ``pairs`` but no rows in ``signals``. Their datetimes are shown on the
    force's clock (:attr:`display_timezone`, the dataset's zone by default: a stop at
    22:33 BST reads 22:33, not 21:33); the Parquet files :meth:`write` makes keep UTC,
    the CSV files the local time with its offset.
    """

    def __init__(
        self,
        handle: _apsp.Scoring,
        display_timezone: str | None = None,
        source: tuple[DatasetLike, ReadSettings] | None = None,
        matrix: RiskMatrix | None = None,
    ) -> None:
        self._h = handle
        self._source = source
        self._matrix = matrix
        zone = display_timezone or self.manifest["settings"]["timezone"]
        self.display_timezone: str = zone
        """The zone the frames' datetimes are shown in (the same instants): the
        dataset's (``timezone``) unless :func:`score` was given ``display_timezone``."""

    def _local(self, df: pl.DataFrame) -> pl.DataFrame:
        """``df`` with its datetime columns in :attr:`display_timezone`."""
        zone = self.display_timezone
        return df.with_columns(
            pl.col(name).dt.convert_time_zone(zone)
            for name, dtype in df.schema.items()
            if isinstance(dtype, pl.Datetime)
        )

    @cached_property
    def _frames(self) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
        officers, pairs, signals, evidence = self._h.frames()
        return (
            self._local(officers),
            self._local(pairs),
            self._local(signals),
            self._local(evidence),
        )

    @property
    def officers(self) -> pl.DataFrame:
        """One row per officer, best first: ``officer_id``, ``role``, ``score``,
        ``tier`` (high / medium / low / none), ``rank``, ``style`` (``focused``,
        ``wide-net`` or null) and ``style_reason``, ``n_subjects_flagged`` and
        ``top_reasons``. Warning signs for review, never a verdict."""
        return self._frames[0]

    @property
    def pairs(self) -> pl.DataFrame:
        """One row per officer × subject pair with a score (all pairs with
        ``keep_all_findings``): ``officer_id``, ``subject_id``, ``subject_kind``,
        ``score`` (the exact sum of the sign columns), ``tier``, event counts, first and
        last event, ``same_stops_as`` (a higher pair resting on the same stops) and one
        contribution column per warning sign."""
        return self._frames[1]

    @property
    def signals(self) -> pl.DataFrame:
        """One row per warning sign evaluated for a pair (and the officer-level signs,
        ``subject_id`` null): ``signal``, ``value`` against ``threshold`` and which way
        (``fires_when``: most signs fire at or above their threshold,
        ``access_then_contact``, days from a look-up to contact, at or below it), the
        window,
        ``status`` (``fired``, ``not_fired`` or ``not_evaluated``: the data cannot
        say), ``contribution`` to the score and a ``note`` on how it was measured."""
        return self._frames[2]

    @property
    def evidence(self) -> pl.DataFrame:
        """The source rows behind every fired sign: ``officer_id``, ``subject_id``,
        ``signal``, ``table`` and ``row_id`` of the input row, ``at`` (shown in
        :attr:`display_timezone`), ``local_time`` (on the force's clock, with its offset,
        as text) and ``detail`` (what the
        row shows: duty, involvement, distance from the home, ...)."""
        return self._frames[3]

    @cached_property
    def quarantine(self) -> pl.DataFrame:
        """The input rows set aside, each with its ``table``, ``file``, ``line``,
        ``reason``, ``column``, a ``message`` and the ``raw`` text: rows read = used +
        quarantined + duplicates (counts in :attr:`manifest`)."""
        return self._h.quarantine()

    @property
    def manifest(self) -> dict[str, Any]:
        manifest: dict[str, Any] = json.loads(self._h.manifest())
        return manifest

    @property
    def timings(self) -> dict[str, float]:
        """Seconds per stage of the scoring (link, stops near homes, pairs, officers)."""
        return dict(self._h.timings())

    def explain(self, officer_id: str, max_pairs: int = 3) -> Explanation:
        """A readable account of one officer, for review.

        Score, tier and rank; the style of the warning signs (``focused`` or
        ``wide-net``, the two patterns of IOPC s.8: see ``docs/signals.md``) and why;
        the officer-level signs; for each of the officer's ``max_pairs`` highest pairs
        every warning sign with its value against its threshold (or why it was not
        evaluated) and the source rows behind the fired ones, their times on the force's
        clock; every sign not evaluated for lack of input, with why and for how many of
        the officer's subjects (also for subjects whose pairs scored 0, whose signs are
        not in ``signals``). Shown preformatted in a notebook (:class:`Explanation`,
        HTML-escaped).

        Raises
        ------
        KeyError
            No officer has that id; the message names the closest ids.
        """
        self._check_officer(officer_id)
        return Explanation(self._h.explain(officer_id, max_pairs))

    def case_report(self, officer_id: str, path: PathLike | None = None) -> Path:
        """Write the case report of one officer: one self-contained HTML file.

        The score and what it rests on (a bar per subject, split by warning sign), a
        timeline of the evidence rows, the evidence rows themselves (time on the force's
        clock, table, id, ``file:line``, what the row shows) and the full account. No
        script, font or image is fetched: it opens offline and prints as shown. The same
        as ``apsp score --report OFFICER``.

        Parameters
        ----------
        officer_id : str
            The officer.
        path : str or PathLike, optional
            The file to write; a folder (one that exists, or a path ending in ``/``,
            created) gets ``case_report_<officer_id>.html`` inside it. Default: that
            name in the current folder.

        Returns
        -------
        Path
            The file written.

        Raises
        ------
        KeyError
            No officer has that id; the message names the closest ids.
        """
        self._check_officer(officer_id)
        safe = "".join(c if c.isascii() and (c.isalnum() or c in "-.") else "_"
                       for c in officer_id)
        name = f"case_report_{safe}.html"
        target = Path(name) if path is None else Path(path)
        if path is not None and str(path).endswith(("/", os.sep)):
            target.mkdir(parents=True, exist_ok=True)
        if target.is_dir():
            target = target / name
        target.write_text(self._h.case_report(officer_id), encoding="utf-8")
        return target

    def _check_officer(self, officer_id: str) -> None:
        """Raises ``KeyError`` naming the closest ids when no officer has this id."""
        ids = self.officers["officer_id"].to_list()
        if officer_id in ids:
            return
        close = difflib.get_close_matches(str(officer_id), ids, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"no officer {officer_id!r} in this result{hint}")

    def events(self, officer_id: str, subject_id: str) -> pl.DataFrame:
        """Every event of one officer × subject pair, in time order.

        Columns: ``at`` (in :attr:`display_timezone`), ``kind`` (``call``,
        ``message``, ``stop``, ``access``),
        ``direction`` (``in`` / ``out``, null for stops and accesses), ``duration_s``,
        ``on_duty`` (null when the officer has no roster: unknown, not off duty),
        ``involved``, ``lat``, ``lon`` and ``metres`` from the subject's
        home (stops within the matrix's radius of it), ``table`` and ``row_id`` (the
        source row) and ``in_window`` (inside the analysis window). Needs
        ``keep_events=True`` (the default of :func:`score`).
        """
        return self._local(self._h.pair_events(officer_id, subject_id))

    def evidence_rows(
        self, officer_id: str, subject_id: str | None = None
    ) -> dict[str, pl.DataFrame]:
        """The input rows behind an officer's fired warning signs, as they were read.

        Every row of :attr:`evidence` names its input file and line (``source_file``,
        ``source_line``: the line in a CSV, header = 1, or the 1-based row of a Parquet
        file or frame). This joins them back to the dataset's tables: one frame per
        table (``billing``, ``stops``, ``access_log``, ``complaints``, and ``persons``
        for ``vulnerable_subject``), each row the table's canonical columns with the
        ``signal`` it supports and the evidence's ``detail``, in file order. A row behind
        several signs appears once per sign. ``multiple_subjects``' evidence (the
        officer's other flagged pairs) is no input row: it is in :attr:`evidence` only.

        The dataset is read again (once per result) with the settings it was scored
        with; a file changed since raises :class:`apsp.DatasetError`.

        Raises
        ------
        KeyError
            No officer has that id; the message names the closest ids.
        """
        self._check_officer(officer_id)
        ev = self.evidence.filter(
            (pl.col("officer_id") == officer_id) & pl.col("source_file").is_not_null()
        )
        if subject_id is not None:
            ev = ev.filter(pl.col("subject_id") == subject_id)
        keys = ["source_file", "source_line"]
        out: dict[str, pl.DataFrame] = {}
        for table in ev["table"].unique(maintain_order=True).to_list():
            support = ev.filter(pl.col("table") == table).select(*keys, "signal", "detail")
            rows = self._source_tables[table].join(support, on=keys, how="inner")
            first = ["signal", "detail", *keys]
            out[table] = self._local(
                rows.select(*first, *(c for c in rows.columns if c not in first)).sort(
                    *keys, "signal"
                )
            )
        return out

    @cached_property
    def _source_tables(self) -> dict[str, pl.DataFrame]:
        """The scored dataset's tables, read again as they were scored."""
        if self._source is None:
            raise _dataset_error("this result does not know the dataset it was scored from")
        data, settings = self._source
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CoverageWarning)  # said when it was scored
            ds = _read(data, settings, out=None, write_tables=False)
        then = {f["file"]: f["sha256"] for f in self.manifest["inputs"]}
        now = {f["file"]: f["sha256"] for f in ds.manifest["inputs"]}
        if then != now:
            changed = sorted(f for f in then.keys() | now.keys() if then.get(f) != now.get(f))
            raise _dataset_error(
                f"the dataset changed since it was scored ({', '.join(changed)}): score "
                "it again to see its rows"
            )
        return dict(ds.tables)

    def involvements(self, officer_id: str, subject_id: str) -> pl.DataFrame:
        """The officer's case involvements with the subject: ``case_id``, ``opened``,
        ``closed``, ``officer_until``, ``end`` (the earlier; null = still open)."""
        return self._local(self._h.pair_involvements(officer_id, subject_id))

    def shifts(self, officer_id: str) -> pl.DataFrame:
        """The officer's rostered shifts in the analysis window: ``start``, ``end``."""
        return self._local(self._h.officer_shifts(officer_id))

    def home(self, subject_id: str) -> tuple[float, float] | None:
        """The subject's home (lat, lon), if recorded."""
        return self._h.subject_home(subject_id)

    @property
    def radius_m(self) -> float:
        """The stop-near-home radius of the run's matrix, in metres."""
        return self._h.radius_m()

    def write(
        self, out: PathLike, *, csv: bool = False, overwrite: bool = False
    ) -> dict[str, Any]:
        """Write the outputs of ``apsp score`` into ``out``; return the manifest.

        ``officers``, ``pairs``, ``signals``, ``evidence`` and ``quarantine`` as Parquet
        (and CSV with ``csv=True``) and ``manifest.json``, byte-identical to the CLI's.
        A folder that already holds files is written into only with ``overwrite=True``
        (then apsp's outputs of an earlier run there are replaced, other files left
        alone). See also :meth:`to_parquet`.
        """
        manifest: dict[str, Any] = json.loads(self._h.write(Path(out), csv, overwrite))
        return manifest

    def to_parquet(self, out: PathLike, *, overwrite: bool = False) -> dict[str, Any]:
        """Write the results as Parquet into the folder ``out``; return the manifest.

        The same files as ``apsp score --out`` and :meth:`write` (without CSV):
        ``officers.parquet``, ``pairs.parquet``, ``signals.parquet``,
        ``evidence.parquet``, ``quarantine.parquet`` and ``manifest.json``, byte-identical
        to the CLI's (but for ``created_at`` in the manifest). ``out`` is created if
        needed.

        Parameters
        ----------
        out : str or PathLike
            Folder to write into: new or empty, unless ``overwrite``.
        overwrite : bool
            Write into a folder that already holds files: apsp's outputs of an earlier
            run there are replaced, other files left alone.

        Returns
        -------
        dict
            The manifest written to ``manifest.json``.

        Examples
        --------
        >>> import tempfile, pathlib, apsp, polars as pl
        >>> folder = tempfile.mkdtemp()
        >>> _ = apsp.synth.generate(folder, officers=40, days=60, seed=3)
        >>> r = apsp.score(folder)
        >>> out = pathlib.Path(tempfile.mkdtemp()) / "results"
        >>> manifest = r.to_parquet(out)
        >>> sorted(p.name for p in out.iterdir())  # doctest: +NORMALIZE_WHITESPACE
        ['evidence.parquet', 'manifest.json', 'officers.parquet', 'pairs.parquet',
         'quarantine.parquet', 'signals.parquet']
        >>> pl.read_parquet(out / "officers.parquet").equals(r.officers)
        True
        >>> manifest["scoring"]["matrix"]["name"]
        'apsp-default'
        """
        return self.write(out, csv=False, overwrite=overwrite)

    def _repr_html_(self) -> str:
        """In a notebook: the summary line and the ten officers ranked first."""
        top = self.officers.head(10).select(
            "rank", "officer_id", "role", pl.col("score").round(2), "tier", "style",
            "top_reasons",
        )
        # The reasons whole: they are the point of the table.
        with pl.Config(fmt_str_lengths=300, tbl_width_chars=400):
            table = top._repr_html_()
        return f"<p>{html.escape(repr(self))}</p>{table}"

    def __repr__(self) -> str:
        counts = self.officers.group_by("tier").len()
        tiers = dict(zip(counts["tier"].to_list(), counts["len"].to_list(), strict=True))
        m = self.manifest.get("scoring", {})
        return (
            f"<apsp.Result: {coverage_summary(self.manifest)}; "
            f"{self.officers.height} officers, {self.pairs.height} pairs; "
            f"tiers high {tiers.get('high', 0)}, medium {tiers.get('medium', 0)}, "
            f"low {tiers.get('low', 0)} (warning signs for review); "
            f"matrix {m.get('matrix', {}).get('name')} {m.get('matrix', {}).get('version')}>"
        )


def score(
    dataset: DatasetLike,
    *,
    matrix: PathLike | RiskMatrix | None = None,
    reference_time: str | datetime | date | None = None,
    window_days: int | None = None,
    keep_all_findings: bool = False,
    keep_events: bool = True,
    profiles: ProfilesLike = ReadSettings.profiles,
    timezone: str = ReadSettings.timezone,
    ambiguous: Ambiguous = ReadSettings.ambiguous,
    nonexistent: Nonexistent = ReadSettings.nonexistent,
    pseudonymise: bool = ReadSettings.pseudonymise,
    key_file: PathLike | None = ReadSettings.key_file,
    key_env: str | None = ReadSettings.key_env,
    ignore_extra_columns: bool = ReadSettings.ignore_extra_columns,
    encoding: str = ReadSettings.encoding,
    display_timezone: str | None = None,
    progress: bool | None = None,
) -> Result:
    """Score every officer and officer × subject pair against the warning signs.

    Parameters
    ----------
    dataset : str, PathLike, mapping of str to polars.DataFrame, or Dataset
        Dataset folder, or the tables as polars frames by canonical table name
        (``{"officers": df, "billing": df, ...}``), or a :class:`apsp.Dataset`, as for
        :func:`apsp.read_dataset`: frames are checked and read exactly as files are,
        so scoring an analyst's filtered frames gives what scoring the same rows
        written to a folder gives; the quarantine names ``<table>.parquet`` with the
        1-based row number in the frame as ``line``.
    matrix : path or RiskMatrix, optional
        Risk matrix (a TOML file or a :class:`RiskMatrix`, e.g. an edited default);
        default: the matrix shipped with the library.
    reference_time : str, datetime or date, optional
        End of the analysis window: ``2026-11-21T23:59:59Z`` (or another offset), or
        without an offset local time in ``timezone``, as the data's own times are read
        (``2026-07-01`` is local midnight: 23:00 UTC in summer). A ``datetime`` with a
        ``tzinfo`` is that instant; a naive one, or a ``date``, is local time, as the
        same text would be. Default: the latest
        event in the data, setting aside a few events out of line with the rest (a
        device clock years out, by the matrix's ``analysis.reference_*`` rule): they
        are counted in ``manifest["scoring"]["events_after_reference"]`` and warned
        about (``UserWarning``).
    window_days : int, optional
        Length of the analysis window in days (at least 1); default: the matrix's (365).
    keep_all_findings : bool
        Keep the signs of pairs scoring 0 too (small datasets, one officer).
    keep_events : bool
        Keep the linked events for :meth:`Result.events` and the plots (the default;
        ``False`` frees them, as the CLI does, for a large force).
    profiles, timezone, ambiguous, nonexistent
        How the files are read, as for :func:`apsp.read_dataset`: import profiles, the
        time zone and the local times the clocks repeat or skip.
    pseudonymise, key_file, key_env, ignore_extra_columns,
    encoding
        As for :func:`apsp.read_dataset`: pseudonymisation and its key, extra columns,
        CSV encoding. These nine are the fields of :class:`apsp.ReadSettings`.
    display_timezone : str, optional
        IANA zone the result's frames show their datetimes in (the same instants);
        default: ``timezone``, the force's clock. ``"UTC"`` shows UTC.
    progress : bool, optional
        Print a line per stage (reading, linking, stops near homes, pairs, officers)
        with the seconds so far to stderr. Default: on in a notebook or at a terminal,
        off in a batch job.

    Returns
    -------
    Result

    Raises
    ------
    MatrixError
        The risk matrix is malformed (file, key and reason in the message).
    SchemaError, ParseError, DatasetError, SettingError, TypeError
        As for :func:`apsp.read_dataset`; ``SettingError`` also for a bad
        ``reference_time`` or a ``window_days`` that is not a whole number of days of
        at least 1.

    Examples
    --------
    >>> import tempfile, apsp
    >>> d = tempfile.mkdtemp()
    >>> _ = apsp.synth.generate(d, officers=60, days=60, seed=3)
    >>> r = apsp.score(d)
    >>> r.officers.columns[:4]
    ['officer_id', 'role', 'score', 'tier']
    >>> bool((r.officers["rank"] == range(1, 61)).all())
    True

    Frames score like files: here the billing of one work phone only.

    >>> import polars as pl
    >>> ds = apsp.read_dataset(d)
    >>> phone = ds["devices"]["device_number"][0]
    >>> mine = ds["billing"].filter(pl.col("device_number") == phone)
    >>> one = apsp.score({**ds.tables, "billing": mine})
    >>> one.officers.height
    60
    """
    reference = _reference_text(reference_time)
    _check_window_days(window_days)
    settings = ReadSettings(
        profiles=profiles,
        timezone=timezone,
        ambiguous=ambiguous,
        nonexistent=nonexistent,
        pseudonymise=pseudonymise,
        key_file=key_file,
        key_env=key_env,
        ignore_extra_columns=ignore_extra_columns,
        encoding=encoding,
    )
    matrix_file, matrix_text = None, None
    if isinstance(matrix, RiskMatrix):
        matrix_text = (matrix.to_toml(), matrix.source)
    elif matrix is not None:
        matrix_file = Path(matrix)
    with _as_folder(dataset) as folder:
        handle = _apsp.score(
            folder,
            matrix=matrix_file,
            matrix_text=matrix_text,
            reference_time=reference,
            window_days=window_days,
            keep_all_findings=keep_all_findings,
            keep_events=keep_events,
            progress=_progress_wanted() if progress is None else progress,
            **settings._native(),
        )
    used = matrix if isinstance(matrix, RiskMatrix) else (
        RiskMatrix.load(matrix) if matrix is not None else RiskMatrix.default()
    )
    result = Result(handle, display_timezone, source=(dataset, settings), matrix=used)
    warn_coverage(result.manifest, stacklevel=2)
    if reference_time is None:
        _warn_set_aside(result.manifest.get("scoring", {}))
    return result


def _progress_wanted() -> bool:
    """Stage lines by default where someone watches: a running Jupyter kernel (not
    merely ipykernel imported) or a terminal."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    in_kernel = getattr(shell, "kernel", None) is not None
    return in_kernel or sys.stderr.isatty()


def _reference_text(at: str | datetime | date | None) -> str | None:
    """The reference time as the native side reads it: an aware ``datetime`` with its
    offset, a naive one or a ``date`` as local time (no offset), text as given."""
    if at is None or isinstance(at, str):
        return at
    if isinstance(at, datetime):
        return at.isoformat()
    if isinstance(at, date):
        return at.isoformat()
    raise TypeError(
        f"reference_time = {at!r}: expected text, a datetime or a date"
    )


def _check_window_days(days: object) -> None:
    """A window is a whole number of days, at least one."""
    if days is None:
        return
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise _apsp.SettingError(
            f"invalid setting window_days = {days!r}: expected a whole number of days, "
            "at least 1"
        )


def _warn_set_aside(scoring: dict[str, Any]) -> None:
    """Warns of events the default reference time set aside as out of line."""
    n = scoring.get("events_after_reference", 0)
    if n:
        warnings.warn(
            f"{n} event(s) after {scoring['reference_time']} (the first at "
            f"{scoring['first_event_after_reference']}) set aside as out of line with "
            "the rest of the data (a device clock wrong?): not scored; check them, or "
            "give reference_time",
            UserWarning,
            stacklevel=3,
        )
