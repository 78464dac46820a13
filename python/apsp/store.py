"""The nightly store: a folder that grows night by night, keeping every export file
once, each night's outputs and morning report, and the alerts with their history.

>>> import apsp
>>> summary = apsp.nightly("store", "incoming/2026-12-05")  # doctest: +SKIP
>>> store = apsp.Store("store")  # doctest: +SKIP
>>> store.alerts(state="new")  # doctest: +SKIP
>>> store.review(12, reviewer="DS Smith", outcome="explained", note="...")  # doctest: +SKIP

An alert is an officer (``subject_id`` empty) or one of their flagged pairs at or
above the matrix's alert tier (``[alerts]``): ``new``, ``persisting``, ``escalated``,
``resolved_by_system`` or ``reviewed``. Reviews and state changes are appended, never
edited. A score is a warning sign for review, never a verdict.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import polars as pl

from . import _apsp
from .settings import Ambiguous, Nonexistent, PathLike, ProfilesLike, ReadSettings

AlertState = Literal["new", "persisting", "escalated", "resolved_by_system", "reviewed"]
Outcome = Literal["no_concern", "explained", "referred", "duplicate"]

_ALERT_SCHEMA = {
    "id": pl.Int64, "officer_id": pl.String, "subject_id": pl.String, "state": pl.String,
    "score": pl.Float64, "tier": pl.String, "reasons": pl.String, "first_run": pl.Int64,
    "last_run": pl.Int64, "review_score": pl.Float64, "review_tier": pl.String,
}
_EVENT_SCHEMA = {
    "alert_id": pl.Int64, "run_id": pl.Int64, "at": pl.String, "actor": pl.String,
    "kind": pl.String, "from_state": pl.String, "to_state": pl.String,
    "outcome": pl.String, "note": pl.String, "score": pl.Float64,
}
_SCORE_SCHEMA = {
    "alert_id": pl.Int64, "run_id": pl.Int64, "score": pl.Float64, "tier": pl.String,
    "state": pl.String,
}
_WATCH_SCHEMA = {
    "officer_id": pl.String, "added_at": pl.String, "added_by": pl.String, "reason": pl.String,
}
_WATCH_EVENT_SCHEMA = {
    "officer_id": pl.String, "at": pl.String, "actor": pl.String, "kind": pl.String,
    "reason": pl.String,
}
_RUN_SCHEMA = {
    "id": pl.Int64, "status": pl.String, "folder": pl.String, "incoming": pl.String,
    "started_at": pl.String, "finished_at": pl.String, "reference_time": pl.String,
    "matrix_sha256": pl.String, "outputs_pruned_at": pl.String,
}


def _frame(rows: list[dict[str, Any]], schema: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=schema, orient="row")


def nightly(
    store: PathLike,
    incoming: PathLike,
    *,
    matrix: PathLike | None = None,
    csv: bool = False,
    replace_snapshots: Sequence[str] = (),
    keep_outputs: int | None = None,
    profiles: ProfilesLike = ReadSettings.profiles,
    timezone: str = ReadSettings.timezone,
    ambiguous: Ambiguous = ReadSettings.ambiguous,
    nonexistent: Nonexistent = ReadSettings.nonexistent,
    pseudonymise: bool = ReadSettings.pseudonymise,
    key_file: PathLike | None = ReadSettings.key_file,
    key_env: str | None = ReadSettings.key_env,
    ignore_extra_columns: bool = ReadSettings.ignore_extra_columns,
    encoding: str = ReadSettings.encoding,
) -> dict[str, Any]:
    """Runs one night, as ``apsp nightly``: takes the new files of ``incoming`` into
    ``store`` (each file once, by content; an empty or absent folder makes a new
    store), scores the rolling window from the store, writes the run's outputs and
    morning report under ``store/runs/`` and moves the alerts.

    The read settings are those of :class:`apsp.ReadSettings`; the store records them
    on its first night and refuses a night with others (:class:`apsp.StoreError`).
    A snapshot table (officers, devices, persons, person numbers, case links, vehicle
    assignments) delivered with fewer than half the rows of the current one is refused
    unless named in ``replace_snapshots``: a partial export would drop the rest.
    ``keep_outputs``: after the night, prune the bulky outputs of all but this many
    newest runs (see :meth:`Store.prune_outputs`).
    Returns the night's summary: ``run``, ``folder`` (relative to the store),
    ``files`` (each with ``not_taken`` when it was not read again), ``ignored_files``
    (belonging to no table: not read), ``notices`` (what the morning report opens
    with: nothing new taken, a risk matrix other than the last night's, files not
    read, a snapshot that shrank, an export that stopped), ``rows_added``,
    ``quarantined``, ``alerts`` (``identified`` and ``merged`` count number alerts
    that followed, or went to, a person's) and ``exit_code`` (1 when rows were
    quarantined).
    """
    settings = ReadSettings(
        profiles=profiles, timezone=timezone, ambiguous=ambiguous, nonexistent=nonexistent,
        pseudonymise=pseudonymise, key_file=key_file, key_env=key_env,
        ignore_extra_columns=ignore_extra_columns, encoding=encoding,
    )
    text = _apsp.nightly(
        Path(store), Path(incoming), matrix=None if matrix is None else Path(matrix),
        csv=csv, replace_snapshots=list(replace_snapshots), keep_outputs=keep_outputs,
        **settings._native(),
    )
    summary: dict[str, Any] = json.loads(text)
    return summary


class Store:
    """An existing store (made by :func:`apsp.nightly` or ``apsp nightly``).

    Raises :class:`apsp.StoreError` when ``path`` is not a store.
    """

    def __init__(self, path: PathLike) -> None:
        self.path = Path(path)
        self.runs()  # a folder that is not a store is refused now, not later

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    def alerts(self, state: AlertState | None = None) -> pl.DataFrame:
        """The alerts, open ones first (escalated, new, persisting), then reviewed and
        resolved, each by score: one row per alert; ``subject_id`` is empty for the
        officer's own alert."""
        return _frame(json.loads(_apsp.store_alerts(self.path, state)), _ALERT_SCHEMA)

    def alert(
        self, alert: int | None = None, *, officer: str | None = None, subject: str | None = None
    ) -> dict[str, Any]:
        """One alert, by number or by officer (and subject): its row, its score in every
        run (``scores``, a DataFrame) and its history (``history``, a DataFrame)."""
        got = json.loads(_apsp.store_alert(self.path, alert, officer, subject))
        return {
            "alert": got["alert"],
            "scores": _frame(got["scores"], _SCORE_SCHEMA),
            "history": _frame(got["history"], _EVENT_SCHEMA),
        }

    def history(self, alert: int | None = None) -> pl.DataFrame:
        """Every state change and review (of one alert), oldest first: who, when, from
        what to what, the outcome and the note."""
        return _frame(json.loads(_apsp.store_history(self.path, alert)), _EVENT_SCHEMA)

    def runs(self) -> pl.DataFrame:
        """The runs, oldest first, with their output folders (relative to the store)
        and when their outputs were pruned (``outputs_pruned_at``, null if kept)."""
        return _frame(json.loads(_apsp.store_runs(self.path)), _RUN_SCHEMA)

    def prune_outputs(self, keep: int) -> dict[str, Any]:
        """Removes the officers, pairs, signals and evidence of every finished run but
        the newest ``keep`` (about 50 MB a night at 5,000 officers). Each run's
        manifest, quarantine and morning report stay, its alerts' scores stay in the
        store, and :meth:`replay` gives the outputs back. Returns ``kept`` (run
        numbers), ``pruned`` (each run's folder and files removed) and ``bytes``
        freed."""
        got: dict[str, Any] = json.loads(_apsp.store_prune(self.path, keep))
        return got

    def replay(self, run: int, out: PathLike, *, overwrite: bool = False) -> dict[str, Any]:
        """Scores the store as it stood after run ``run`` (its data, snapshots, matrix
        and settings then) and writes the run's outputs to ``out`` (outside the store);
        returns each output's hash against the one the run recorded (``outputs``) and
        ``identical``: every output the run wrote came back byte for byte."""
        got: dict[str, Any] = json.loads(
            _apsp.store_replay(self.path, run, Path(out), overwrite)
        )
        return got

    def review(
        self,
        alert: int,
        *,
        reviewer: str,
        outcome: Outcome,
        note: str,
        seen_run: int | None = None,
    ) -> dict[str, Any]:
        """Records a review of an alert: who, the outcome and a note (appended, never
        edited). An open alert becomes ``reviewed`` and stays quiet until its score
        passes its score now by the matrix's ``escalation_margin``, or its tier rises.
        ``seen_run``: the run whose report was looked at; the review is refused if the
        alert moved after it (an escalation is never reviewed away unseen). Returns the
        alert after the review."""
        got: dict[str, Any] = json.loads(
            _apsp.store_review(self.path, alert, reviewer, outcome, note, seen_run)
        )
        return got

    def watchlist(self, *, history: bool = False) -> pl.DataFrame:
        """The officers under review, whose pairs every morning report shows whatever
        their score; with ``history``, every change to the list (who, when, why)."""
        rows = json.loads(_apsp.store_watchlist(self.path, history))
        return _frame(rows, _WATCH_EVENT_SCHEMA if history else _WATCH_SCHEMA)

    def watch(self, officer: str, *, by: str, reason: str) -> None:
        """Puts an officer on the watchlist (who and why are kept)."""
        _apsp.store_watch(self.path, officer, by, reason, True)

    def unwatch(self, officer: str, *, by: str, reason: str) -> None:
        """Takes an officer off the watchlist (who and why are kept)."""
        _apsp.store_watch(self.path, officer, by, reason, False)
