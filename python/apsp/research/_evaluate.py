"""How good a ranking of officers is against labelled outcomes, with bootstrap intervals."""

from __future__ import annotations

import html
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from ..scoring import Result
from ..settings import PathLike
from . import _metrics as m
from ._labels import LabelsLike, ResearchError, join_labels, read_labels, write_frames

ScoresLike = Result | pl.DataFrame
Bools = npt.NDArray[np.bool_]

TIER_ORDER = ("high", "medium", "low", "none")


class SmallGroupWarning(UserWarning):
    """A group (a role, a category) too small for its figures to say anything."""


@dataclass(frozen=True)
class Settings:
    """What an evaluation was asked for (recorded with its results)."""

    fprs: tuple[float, ...]
    ks: tuple[int, ...]
    top_shares: tuple[float, ...]
    n_boot: int
    seed: int
    level: float
    min_group: int


@dataclass
class Evaluation:
    """The figures of one evaluation. Every frame has ``value``, ``ci_low`` and
    ``ci_high`` (a percentile bootstrap interval at :attr:`settings` ``level``,
    officers resampled within outcome, reproducible by ``seed``).

    Attributes
    ----------
    metrics : polars.DataFrame
        ``metric``, ``value``, ``ci_low``, ``ci_high``, ``n``, ``positives``.
    by_role : polars.DataFrame
        The same per role, with ``warning`` where the group is too small.
    by_category : polars.DataFrame
        Per outcome category (the generator's scenario): the share of its substantiated
        officers ranked in the first ``top_shares`` of all officers.
    calibration : polars.DataFrame
        Per tier (or score decile, for scores without tiers): officers, substantiated,
        observed rate with its interval.
    n_unlabelled : int
        Officers without a label (taken as not substantiated, or left out).
    """

    metrics: pl.DataFrame
    by_role: pl.DataFrame
    by_category: pl.DataFrame
    calibration: pl.DataFrame
    n_unlabelled: int
    settings: Settings
    warnings: list[str] = field(default_factory=list)

    def write(self, out: PathLike) -> list[Path]:
        """Write each frame as Parquet and CSV into ``out``; return the paths."""
        return write_frames(out, {
            "metrics": self.metrics, "by_role": self.by_role,
            "by_category": self.by_category, "calibration": self.calibration,
        })

    def _repr_html_(self) -> str:
        """In a notebook: the summary line, the warnings and the metrics table."""
        head = repr(self).split("\n", 1)[0]
        with pl.Config(tbl_rows=40, float_precision=3):
            table = self.metrics.select("metric", "value", "ci_low", "ci_high")._repr_html_()
        notes = "".join(f"<p>warning: {html.escape(w)}</p>" for w in self.warnings)
        return f"<p>{html.escape(head)}</p>{table}{notes}"

    def __repr__(self) -> str:
        with pl.Config(tbl_rows=40, tbl_hide_dataframe_shape=True, float_precision=3):
            head = (
                f"Evaluation: {self.metrics['n'][0]} officers, "
                f"{self.metrics['positives'][0]} substantiated, "
                f"{self.settings.n_boot} bootstrap resamples (seed {self.settings.seed}), "
                f"{self.settings.level:.0%} intervals"
            )
            notes = "".join(f"\nwarning: {w}" for w in self.warnings)
            table = self.metrics.select("metric", "value", "ci_low", "ci_high")
            return f"{head}\n{table}{notes}"


Metric = Callable[[m.Ranked], float]


def _metric_set(s: Settings, n: int) -> dict[str, Metric]:
    """The metrics by name, for a ranking of ``n`` officers."""
    out: dict[str, Metric] = {
        "roc_auc": m.roc_auc,
        "average_precision": m.average_precision,
    }
    for f in s.fprs:
        out[f"recall_at_fpr_{f:g}"] = partial(_at_fpr, fpr=f)
    for k in s.ks:
        out[f"recall_at_k_{k}"] = partial(_recall_k, k=k)
        out[f"precision_at_k_{k}"] = partial(_precision_k, k=k)
    for q in s.top_shares:
        out[f"recall_at_top_{q:g}"] = partial(_recall_k, k=_top(q, n))
    return out


def _at_fpr(r: m.Ranked, fpr: float) -> float:
    return m.recall_at_fpr(r, fpr)


def _recall_k(r: m.Ranked, k: int) -> float:
    return m.recall_at_k(r, k)


def _precision_k(r: m.Ranked, k: int) -> float:
    return m.precision_at_k(r, k)


def _top(share: float, n: int) -> int:
    """The officers in the first ``share`` of ``n`` (at least one)."""
    return max(1, math.ceil(share * n - 1e-9))


def _with_intervals(
    r: m.Ranked, metrics: dict[str, Metric], s: Settings
) -> list[dict[str, Any]]:
    """Each metric's value on ``r`` and its bootstrap interval."""
    resamples = m.stratified_resamples(r.y, s.n_boot, s.seed)
    rows = []
    boots = {name: np.empty(len(resamples)) for name in metrics}
    for b, idx in enumerate(resamples):
        rb = m.Ranked(y=r.y[idx], score=r.score[idx])
        for name, f in metrics.items():
            boots[name][b] = f(rb)
    for name, f in metrics.items():
        low, high = m.percentile_interval(boots[name], s.level)
        rows.append(
            {
                "metric": name,
                "value": f(r),
                "ci_low": low,
                "ci_high": high,
                "n": len(r.y),
                "positives": int(r.y.sum()),
            }
        )
    return rows


def _ranked(frame: pl.DataFrame) -> m.Ranked:
    """The frame's officers from the highest score, ties by officer id."""
    order = m.order_by_score(frame["score"].to_numpy(), frame["officer_id"].to_list())
    return m.ranked(frame["outcome"].to_numpy(), frame["score"].to_numpy(), order)


def _small(r: m.Ranked, s: Settings) -> str | None:
    p = int(r.y.sum())
    n = len(r.y) - p
    if p < s.min_group or n < s.min_group:
        return (
            f"too small to say anything: {p} substantiated and {n} not "
            f"(fewer than {s.min_group})"
        )
    return None


def _by_role(frame: pl.DataFrame, s: Settings, notes: list[str]) -> pl.DataFrame:
    rows: list[dict[str, Any]] = []
    if "role" not in frame.columns:
        return _empty_by("role")
    for role in sorted(frame["role"].fill_null("").unique().to_list()):
        group = frame.filter(pl.col("role").fill_null("") == role)
        r = _ranked(group)
        warning = _small(r, s)
        if warning:
            notes.append(f"role {role!r}: {warning}")
        for row in _with_intervals(r, _metric_set(s, len(r.y)), s):
            rows.append({"role": role, **row, "warning": warning})
    return pl.DataFrame(rows, schema=_schema("role", warning=True))


def _by_category(
    frame: pl.DataFrame, r: m.Ranked, order: m.Ints, s: Settings, notes: list[str]
) -> pl.DataFrame:
    """Per category, the share of its substantiated officers among the first
    ``top_shares`` of all officers, resampling the whole force."""
    categories = frame["category"].to_numpy()[order]
    names = sorted(
        {part for c, y in zip(categories, r.y, strict=True) if y for part in str(c).split(";")}
    )
    n = len(r.y)
    resamples = m.stratified_resamples(r.y, s.n_boot, s.seed)
    rows: list[dict[str, Any]] = []
    for name in names:
        mine = np.array([name in str(c).split(";") for c in categories]) & r.y
        count = int(mine.sum())
        warning = (
            f"too small to say anything: {count} substantiated (fewer than {s.min_group})"
            if count < s.min_group
            else None
        )
        if warning:
            notes.append(f"category {name!r}: {warning}")
        for q in s.top_shares:
            k = _top(q, n)

            def share(sel: m.Ints, k: int = k, mine: Bools = mine) -> float:
                hits = mine[sel]
                total = hits.sum()
                return float(hits[:k].sum() / total) if total else float("nan")

            full = np.arange(n, dtype=np.int64)
            boots = np.array([share(idx) for idx in resamples])
            low, high = m.percentile_interval(boots, s.level)
            rows.append(
                {
                    "category": name or "(none)",
                    "metric": f"recall_at_top_{q:g}",
                    "value": share(full),
                    "ci_low": low,
                    "ci_high": high,
                    "n": n,
                    "positives": count,
                    "warning": warning,
                }
            )
    return pl.DataFrame(rows, schema=_schema("category", warning=True))


def _calibration(frame: pl.DataFrame, s: Settings) -> pl.DataFrame:
    """Observed substantiated rate per tier (or per score decile without tiers)."""
    if "tier" in frame.columns:
        groups = frame["tier"].cast(pl.String).fill_null("(none)").to_numpy()
        names = [t for t in TIER_ORDER if t in set(groups)] + sorted(
            set(groups) - set(TIER_ORDER)
        )
        by = "tier"
    else:
        position = np.empty(frame.height, dtype=np.int64)
        position[m.order_by_score(frame["score"].to_numpy(), frame["officer_id"].to_list())] = (
            np.arange(frame.height)
        )  # 0 = highest score, ties by officer id
        groups = position * 10 // max(frame.height, 1) + 1
        names = sorted(set(groups))
        by = "decile"
    y = frame["outcome"].to_numpy().astype(bool)
    rng_idx = m.stratified_resamples(y, s.n_boot, s.seed)
    rows = []
    for name in names:
        mine = groups == name
        boots = np.array(
            [
                y[idx][mine[idx]].mean() if mine[idx].any() else np.nan
                for idx in rng_idx
            ]
        )
        low, high = m.percentile_interval(boots, s.level)
        rows.append(
            {
                "group": str(name),
                "officers": int(mine.sum()),
                "substantiated": int(y[mine].sum()),
                "rate": float(y[mine].mean()),
                "ci_low": low,
                "ci_high": high,
            }
        )
    return pl.DataFrame(rows).rename({"group": by}) if rows else pl.DataFrame()


def _schema(key: str, warning: bool = False) -> dict[str, type[pl.DataType]]:
    cols: dict[str, type[pl.DataType]] = {
        key: pl.String,
        "metric": pl.String,
        "value": pl.Float64,
        "ci_low": pl.Float64,
        "ci_high": pl.Float64,
        "n": pl.Int64,
        "positives": pl.Int64,
    }
    if warning:
        cols["warning"] = pl.String
    return cols


def _empty_by(key: str) -> pl.DataFrame:
    return pl.DataFrame(schema=_schema(key, warning=True))


def checked_settings(
    fprs: Sequence[float], ks: Sequence[int], top_shares: Sequence[float], n_boot: int,
    seed: int, level: float, min_group: int,
) -> Settings:
    """An evaluation's settings, refused in words when they cannot be used."""
    if n_boot < 1:
        raise ResearchError(f"n_boot must be at least 1, not {n_boot}")
    if any(int(k) < 1 for k in ks):
        raise ResearchError(f"ks must be at least 1: {list(ks)}")
    if any(not 0.0 < q <= 1.0 for q in top_shares):
        raise ResearchError(f"top_shares must be in (0, 1]: {list(top_shares)}")
    if any(not 0.0 <= f <= 1.0 for f in fprs):
        raise ResearchError(f"fprs must be in [0, 1]: {list(fprs)}")
    if not 0.0 < level < 1.0:
        raise ResearchError(f"level must be between 0 and 1, not {level}")
    return Settings(
        fprs=tuple(float(f) for f in fprs),
        ks=tuple(int(k) for k in ks),
        top_shares=tuple(float(q) for q in top_shares),
        n_boot=n_boot,
        seed=seed,
        level=level,
        min_group=min_group,
    )


def officers_of(scores: ScoresLike) -> pl.DataFrame:
    """The officers frame of a result, or the frame given (``officer_id``, ``score``;
    ``role`` and ``tier`` when present)."""
    frame = scores.officers if isinstance(scores, Result) else scores
    missing = [c for c in ("officer_id", "score") if c not in frame.columns]
    if missing:
        raise ResearchError(
            f"scores need officer_id and score; missing: {', '.join(missing)}"
        )
    if frame["officer_id"].is_duplicated().any():
        raise ResearchError(
            f"scores: {frame['officer_id'].is_duplicated().sum()} rows repeat an "
            "officer_id: give one row per officer (level='officer')"
        )
    keep = [c for c in ("officer_id", "score", "role", "tier") if c in frame.columns]
    return frame.select(keep)


def evaluate(
    scores: ScoresLike,
    labels: LabelsLike,
    *,
    fprs: Sequence[float] = (0.01, 0.05),
    ks: Sequence[int] = (10, 50),
    top_shares: Sequence[float] = (0.01, 0.05),
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    min_group: int = 5,
    unlabelled: str = "negative",
) -> Evaluation:
    """How well the scores rank the officers whose outcome was substantiated.

    Parameters
    ----------
    scores : Result or polars.DataFrame
        A scored result, or an officers frame (``officer_id``, ``score``; ``role`` and
        ``tier`` for the per-role figures and the calibration by tier).
    labels : polars.DataFrame or path
        ``officer_id``, ``outcome`` (true = substantiated) and optional ``category``,
        as a frame or a CSV / Parquet file. :func:`synthetic_labels` turns a generated
        force's labels into these.
    fprs, ks, top_shares :
        Recall at these false-positive rates; recall and precision at these numbers of
        officers reviewed; per category, recall in these shares of the force.
    n_boot, seed, level :
        Bootstrap resamples (officers resampled within outcome), the seed that makes
        the intervals reproducible, and the intervals' level.
    min_group : int
        A role or category with fewer substantiated (or other) officers than this gets
        a warning: its figures say nothing.
    unlabelled : {"negative", "drop"}
        Officers with no label: taken as not substantiated (the default: a labelled
        history lists the officers found to have abused their position), or left out.

    Returns
    -------
    Evaluation
        ``.metrics``, ``.by_role``, ``.by_category``, ``.calibration``.
    """
    s = checked_settings(fprs, ks, top_shares, n_boot, seed, level, min_group)
    frame, n_unlabelled = join_labels(officers_of(scores), read_labels(labels), unlabelled)
    if not frame["outcome"].any():
        raise ResearchError("no officer in the scores has a substantiated outcome")
    order = m.order_by_score(frame["score"].to_numpy(), frame["officer_id"].to_list())
    r = m.ranked(frame["outcome"].to_numpy(), frame["score"].to_numpy(), order)
    notes: list[str] = []
    overall = _small(r, s)
    if overall:
        notes.append(f"all officers: {overall}")
    metrics = pl.DataFrame(
        _with_intervals(r, _metric_set(s, len(r.y)), s),
        schema=_schema("metric"),
    )
    result = Evaluation(
        metrics=metrics,
        by_role=_by_role(frame, s, notes),
        by_category=_by_category(frame, r, order, s, notes),
        calibration=_calibration(frame, s),
        n_unlabelled=n_unlabelled,
        settings=s,
        warnings=notes,
    )
    for note in notes:
        warnings.warn(note, SmallGroupWarning, stacklevel=2)
    return result
