"""Two risk matrices side by side on the same force and labels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from ..dataset import DatasetLike
from ..matrix import RiskMatrix
from ..scoring import Result, score
from ..settings import PathLike
from . import _metrics as m
from ._evaluate import Settings, _metric_set, checked_settings
from ._features import Pseudonymiser
from ._labels import LabelsLike, join_labels, read_labels, write_frames

MatrixLike = RiskMatrix | PathLike


@dataclass
class Comparison:
    """Matrix ``a`` against matrix ``b`` on one force.

    Attributes
    ----------
    metrics : polars.DataFrame
        Per metric: ``a``, ``b`` and ``difference`` (b − a), each with ``ci_low`` /
        ``ci_high`` from the same bootstrap resamples for both (paired), so the
        difference's interval is narrower than the two side by side suggest.
    tier_changes : polars.DataFrame
        The officers whose tier differs (pseudonymised ``officer_id``), with both
        tiers, scores and ranks and the outcome.
    """

    metrics: pl.DataFrame
    tier_changes: pl.DataFrame
    a: Result
    b: Result

    def write(self, out: PathLike) -> list[Path]:
        """Write both frames as Parquet and CSV into ``out``; return the paths."""
        return write_frames(out, {"metrics": self.metrics, "tier_changes": self.tier_changes})

    def _repr_html_(self) -> str:
        """In a notebook: how many officers change tier, and the metrics side by side."""
        with pl.Config(tbl_rows=30, float_precision=3):
            table = self.metrics.select(
                "metric", "a", "b", "difference", "ci_low", "ci_high"
            )._repr_html_()
        return f"<p>Comparison: {self.tier_changes.height} officers change tier</p>{table}"

    def __repr__(self) -> str:
        with pl.Config(tbl_rows=30, tbl_hide_dataframe_shape=True, float_precision=3):
            return (
                f"Comparison: {self.tier_changes.height} officers change tier\n"
                f"{self.metrics.select('metric', 'a', 'b', 'difference', 'ci_low', 'ci_high')}"
            )


def _as_matrix(x: MatrixLike) -> RiskMatrix:
    """A matrix, a TOML file, or ``"default"`` (the shipped matrix)."""
    if isinstance(x, RiskMatrix):
        return x
    return RiskMatrix.default() if str(x) == "default" else RiskMatrix.load(x)


def compare(
    matrix_a: MatrixLike,
    matrix_b: MatrixLike,
    dataset: DatasetLike,
    labels: LabelsLike,
    *,
    key: bytes | str | None = None,
    fprs: Sequence[float] = (0.01, 0.05),
    ks: Sequence[int] = (10, 50),
    top_shares: Sequence[float] = (0.01, 0.05),
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    unlabelled: str = "negative",
    **score_options: Any,
) -> Comparison:
    """Score ``dataset`` with both matrices and set their figures side by side.

    The metrics are :func:`evaluate`'s; the bootstrap resamples the same officers for
    both matrices, so the difference (b − a) has its own interval. ``key`` pseudonymises
    the officers in :attr:`Comparison.tier_changes` (required, as for
    :func:`features`). ``score_options`` go to :func:`apsp.score` for both.
    """
    pseudo = Pseudonymiser(key)
    a = score(dataset, matrix=_as_matrix(matrix_a), **score_options)
    b = score(dataset, matrix=_as_matrix(matrix_b), **score_options)
    lab = read_labels(labels)
    s = checked_settings(fprs, ks, top_shares, n_boot, seed, level, min_group=5)
    fa, _ = join_labels(a.officers.select("officer_id", "score", "tier", "rank"), lab,
                        unlabelled)
    fb, _ = join_labels(b.officers.select("officer_id", "score", "tier", "rank"), lab,
                        unlabelled)
    fa, fb = fa.sort("officer_id"), fb.sort("officer_id")
    metrics = _paired(fa, fb, s)
    both = fa.join(fb, on="officer_id", suffix="_b").rename(
        {"score": "score_a", "tier": "tier_a", "rank": "rank_a"}
    )
    changes = (
        both.filter(pl.col("tier_a") != pl.col("tier_b"))
        .select("officer_id", "tier_a", "tier_b", "score_a", "score_b", "rank_a", "rank_b",
                "outcome")
        .sort("rank_b")
        .with_columns(pseudo.officers().alias("officer_id"))
    )
    return Comparison(metrics=metrics, tier_changes=changes, a=a, b=b)


def _paired(fa: pl.DataFrame, fb: pl.DataFrame, s: Settings) -> pl.DataFrame:
    """Each metric for both rankings and their difference, with intervals from the
    same resamples of officers (within outcome)."""
    y = fa["outcome"].to_numpy().astype(bool)
    id_rank = np.argsort(np.argsort(np.asarray(fa["officer_id"].to_list(), dtype=object),
                                    kind="stable"))
    sa, sb = fa["score"].to_numpy(), fb["score"].to_numpy()
    metrics = _metric_set(s, len(y))
    resamples = m.stratified_resamples(y, s.n_boot, s.seed)

    def on(score: m.Floats, idx: m.Ints) -> m.Ranked:
        # From the highest score, ties by officer id (the engine's rank).
        order = np.lexsort((id_rank[idx], -score[idx]))
        return m.ranked(y[idx], score[idx], order)

    full = np.arange(len(y))
    ra, rb = on(sa, full), on(sb, full)
    boots = {name: np.empty((len(resamples), 2)) for name in metrics}
    for i, idx in enumerate(resamples):
        ba, bb = on(sa, idx), on(sb, idx)
        for name, f in metrics.items():
            boots[name][i] = (f(ba), f(bb))
    rows = []
    for name, f in metrics.items():
        va, vb = f(ra), f(rb)
        a_low, a_high = m.percentile_interval(boots[name][:, 0], s.level)
        b_low, b_high = m.percentile_interval(boots[name][:, 1], s.level)
        d_low, d_high = m.percentile_interval(boots[name][:, 1] - boots[name][:, 0], s.level)
        rows.append({
            "metric": name, "a": va, "a_ci_low": a_low, "a_ci_high": a_high,
            "b": vb, "b_ci_low": b_low, "b_ci_high": b_high,
            "difference": vb - va, "ci_low": d_low, "ci_high": d_high,
        })
    return pl.DataFrame(rows)
