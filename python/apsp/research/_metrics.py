"""The metrics of a ranking of officers against labelled outcomes, and their bootstrap.

Every metric takes ``y`` (1 = outcome substantiated, 0 = not) and ``order``: the
officers' positions from the highest score to the lowest, ties broken by officer id
(the order a reviewer working down the list meets them, and the engine's ``rank``).
Metrics that read the score itself (ROC AUC, average precision, recall at a
false-positive rate) treat equal scores as one threshold, as scikit-learn does; the
top-k metrics read the order. Definitions, to match scikit-learn to 1e-9 (tests):

- ``roc_auc``: ``sklearn.metrics.roc_auc_score`` (a tie between a positive and a
  negative counts one half).
- ``average_precision``: ``sklearn.metrics.average_precision_score``: the sum over
  distinct score thresholds, highest first, of the recall gained times the precision
  there.
- ``recall_at_fpr``: the highest true-positive rate of ``sklearn.metrics.roc_curve``
  (every threshold kept) at a false-positive rate no higher than the given one.
- ``recall_at_k`` / ``precision_at_k``: ``recall_score`` / ``precision_score`` of
  flagging the first ``k`` officers of the order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Ranked:
    """Labels and scores sorted from the highest score to the lowest (ties by id).

    ``first_of_tie[i]`` is true where row ``i`` starts a run of equal scores: the
    thresholds of the ROC and precision-recall curves are the ends of those runs.
    """

    y: npt.NDArray[np.bool_]
    score: Floats

    @property
    def ends_of_ties(self) -> npt.NDArray[np.bool_]:
        """True at the last row of each run of equal scores."""
        end = np.ones(len(self.score), dtype=bool)
        if len(self.score) > 1:
            end[:-1] = self.score[:-1] != self.score[1:]
        return end


def ranked(y: npt.ArrayLike, score: npt.ArrayLike, order: npt.ArrayLike) -> Ranked:
    """``y`` and ``score`` taken in ``order`` (positions, highest score first)."""
    idx = np.asarray(order, dtype=np.int64)
    return Ranked(
        y=np.asarray(y, dtype=bool)[idx],
        score=np.asarray(score, dtype=np.float64)[idx],
    )


def _curve(r: Ranked) -> tuple[Floats, Floats]:
    """Cumulative true and false positives at each distinct threshold."""
    tp = np.cumsum(r.y, dtype=np.float64)
    fp = np.cumsum(~r.y, dtype=np.float64)
    end = r.ends_of_ties
    return tp[end], fp[end]


def roc_auc(r: Ranked) -> float:
    """Area under the ROC curve (trapezoids between thresholds); NaN without both
    classes."""
    tp, fp = _curve(r)
    p, n = tp[-1] if len(tp) else 0.0, fp[-1] if len(fp) else 0.0
    if p == 0 or n == 0:
        return float("nan")
    tpr = np.concatenate(([0.0], tp / p))
    fpr = np.concatenate(([0.0], fp / n))
    return float(np.sum((fpr[1:] - fpr[:-1]) * (tpr[1:] + tpr[:-1]) / 2.0))


def average_precision(r: Ranked) -> float:
    """Average precision; NaN without a positive."""
    tp, fp = _curve(r)
    p = tp[-1] if len(tp) else 0.0
    if p == 0:
        return float("nan")
    precision = tp / (tp + fp)
    recall = np.concatenate(([0.0], tp / p))
    return float(np.sum((recall[1:] - recall[:-1]) * precision))


def recall_at_fpr(r: Ranked, fpr: float) -> float:
    """The highest recall at a threshold whose false-positive rate is at most ``fpr``."""
    tp, fp = _curve(r)
    p, n = tp[-1] if len(tp) else 0.0, fp[-1] if len(fp) else 0.0
    if p == 0 or n == 0:
        return float("nan")
    ok = fp / n <= fpr
    return float(tp[ok].max() / p) if ok.any() else 0.0


def recall_at_k(r: Ranked, k: int) -> float:
    """Share of the positives among the first ``k`` of the order; NaN without one."""
    p = int(r.y.sum())
    if p == 0:
        return float("nan")
    return float(r.y[:k].sum() / p)


def precision_at_k(r: Ranked, k: int) -> float:
    """Share of the first ``k`` of the order that are positives."""
    top = r.y[:k]
    return float(top.mean()) if len(top) else float("nan")


def order_by_score(score: npt.ArrayLike, ids: list[str]) -> Ints:
    """Positions from the highest score to the lowest, ties by id (the engine's rank)."""
    s = np.asarray(score, dtype=np.float64)
    by_id = np.argsort(np.asarray(ids, dtype=object), kind="stable")
    return by_id[np.argsort(-s[by_id], kind="stable")].astype(np.int64)


def stratified_resamples(
    y: npt.ArrayLike, n_boot: int, seed: int
) -> list[Ints]:
    """``n_boot`` resamples of the positions 0..n-1 with replacement, positives and
    negatives each resampled to their own count (so every resample has both classes
    when the data do), each sorted: positions in the order stay in order."""
    yy = np.asarray(y, dtype=bool)
    rng = np.random.default_rng(seed)
    pos = np.flatnonzero(yy)
    neg = np.flatnonzero(~yy)
    out = []
    for _ in range(n_boot):
        parts = [
            rng.choice(g, size=len(g), replace=True) for g in (pos, neg) if len(g)
        ]
        out.append(np.sort(np.concatenate(parts)).astype(np.int64))
    return out


def percentile_interval(values: Floats, level: float) -> tuple[float, float]:
    """The percentile bootstrap interval of ``values`` (NaNs left out)."""
    v = values[~np.isnan(values)]
    if len(v) == 0:
        return float("nan"), float("nan")
    tail = (1.0 - level) / 2.0 * 100.0
    low, high = np.percentile(v, [tail, 100.0 - tail])
    return float(low), float(high)
