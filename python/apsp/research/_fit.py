"""Fitting a risk matrix's weights on labelled outcomes.

An officer's score is linear in the weights of the additive warning signs once the
pairs that count in it are fixed: with ``A_s`` his part of sign ``s`` (each counted
pair's contribution × its decay factor × (1 + the pair's vulnerable-subject
aggravator)) and ``b`` the repeat-complaints boost as a share of his pairs' part,

    score = Σ_s w_s · (1 + b) · A_s / w⁰_s  +  w_ms · c_ms / w⁰_ms  (+ c_rc below min_base)

where ``w⁰`` are the weights he was scored with. :func:`fit` fits non-negative
weights to these features by a logistic regression (a warning sign never lowers a
score), chooses the L2 penalty by cross-validation over officers, writes the matrix,
scores the data again with it (new weights can change which pairs count) and fits
again, ``passes`` times. The scores it reports are the decomposition of the last
scoring, which is the engine's own: ``apsp score`` with the fitted matrix reproduces
them (a test checks it).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl

from ..matrix import RiskMatrix
from ..scoring import Result, score
from ..settings import PathLike
from . import _metrics as m
from ._features import PAIR_SIGNS, Pseudonymiser, officer_terms
from ._labels import LabelsLike, ResearchError, join_labels, read_labels

ADDITIVE_PAIR_SIGNS = tuple(s for s in PAIR_SIGNS if s != "vulnerable_subject")
FITTED_SIGNS = (*ADDITIVE_PAIR_SIGNS, "multiple_subjects")
"""Signs whose weight is fitted. ``vulnerable_subject`` (an aggravator: a share of the
others) and ``repeat_complaints`` (a boost: a share of the pairs' part) multiply the
others and keep their weights."""

L2_GRID = (0.001, 0.01, 0.1, 1.0, 10.0)


@dataclass(frozen=True)
class Design:
    """The fit's features for a set of officers: ``x`` (officers × fitted signs, weight
    free), ``fixed`` (the part of each score no fitted weight moves), ``outcome``,
    ``group`` (force and officer: the unit of the folds) and the engine's scores."""

    x: npt.NDArray[np.float64]
    fixed: npt.NDArray[np.float64]
    outcome: npt.NDArray[np.bool_]
    group: list[str]
    engine_score: npt.NDArray[np.float64]
    officer_id: list[str]
    force: list[str]

    def scores(self, weights: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """The officers' scores under ``weights`` (same pairs counted)."""
        return self.x @ weights + self.fixed


def _weights_of(matrix: RiskMatrix) -> npt.NDArray[np.float64]:
    return np.array([float(matrix[f"signals.{s}.weight"]) for s in FITTED_SIGNS])


def design_of(result: Result, matrix: RiskMatrix, labels: pl.DataFrame, force: str,
              unlabelled: str = "negative") -> Design:
    """The fit's features of one scored force (scored with ``matrix``)."""
    if result.manifest["scoring"]["matrix"]["sha256"] != matrix.sha256:
        raise ResearchError(
            f"force {force!r} was scored with another matrix than the one given "
            "(its manifest's matrix SHA-256 differs): score it with the base matrix"
        )
    top_pairs, decay = result._h.officer_aggregation()
    w0 = _weights_of(matrix)
    terms = officer_terms(result.pairs, top_pairs, decay)
    others = sum(pl.col(s) for s in ADDITIVE_PAIR_SIGNS)
    aggravated = terms.with_columns(
        pl.when(others > 0).then(pl.col("vulnerable_subject") / others).otherwise(0.0)
        .alias("_v")
    )
    parts = aggravated.group_by("officer_id").agg(
        (pl.col(s) * pl.col("factor") * (1.0 + pl.col("_v"))).sum().alias(s)
        for s in ADDITIVE_PAIR_SIGNS
    )
    own = result.signals.filter(pl.col("subject_id").is_null()).group_by("officer_id").agg(
        pl.col("contribution").filter(pl.col("signal") == s).sum().alias(s)
        for s in ("multiple_subjects", "repeat_complaints")
    )
    min_base = float(matrix["signals.repeat_complaints.min_base"])
    officers, _ = join_labels(
        result.officers.select("officer_id", "score"), labels, unlabelled
    )
    frame = (
        officers.join(parts, on="officer_id", how="left")
        .join(own, on="officer_id", how="left")
        .fill_null(0.0)
        .sort("officer_id")
    )
    pairs_part = frame.select(sum(pl.col(s) for s in ADDITIVE_PAIR_SIGNS)).to_series()
    pairs_part_np = pairs_part.to_numpy()
    rc = frame["repeat_complaints"].to_numpy()
    linear = (rc > 0) & (pairs_part_np >= min_base)
    boost = np.where(linear & (pairs_part_np > 0), rc / np.where(pairs_part_np > 0,
                                                                  pairs_part_np, 1.0), 0.0)
    # Weight-free features: a sign at weight 0 contributes nothing and its column is 0
    # (it cannot come back in a later pass: the first pass decides which signs count).
    raw = [frame[s].to_numpy() * (1.0 + boost) for s in ADDITIVE_PAIR_SIGNS]
    raw.append(frame["multiple_subjects"].to_numpy())
    cols = [c / w if w > 0 else np.zeros_like(c) for c, w in zip(raw, w0, strict=True)]
    ids = frame["officer_id"].to_list()
    return Design(
        x=np.column_stack(cols),
        fixed=np.where(linear, 0.0, rc),
        outcome=frame["outcome"].to_numpy().astype(bool),
        group=[f"{force}\0{o}" for o in ids],
        engine_score=frame["score"].to_numpy(),
        officer_id=ids,
        force=[force] * len(ids),
    )


def _stack(designs: Sequence[Design]) -> Design:
    return Design(
        x=np.vstack([d.x for d in designs]),
        fixed=np.concatenate([d.fixed for d in designs]),
        outcome=np.concatenate([d.outcome for d in designs]),
        group=[g for d in designs for g in d.group],
        engine_score=np.concatenate([d.engine_score for d in designs]),
        officer_id=[o for d in designs for o in d.officer_id],
        force=[f for d in designs for f in d.force],
    )


def _logistic(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.bool_], l2: float
) -> tuple[float, npt.NDArray[np.float64]]:
    """Intercept and non-negative coefficients of an L2-penalised logistic regression
    (mean log-loss + l2/2 · |β|², columns scaled to unit spread), by L-BFGS-B."""
    from scipy.optimize import minimize

    spread = x.std(axis=0)
    spread[spread == 0] = 1.0
    z = x / spread
    t = y.astype(np.float64)
    n = len(t)

    def loss(theta: npt.NDArray[np.float64]) -> tuple[float, npt.NDArray[np.float64]]:
        a, b = theta[0], theta[1:]
        eta = a + z @ b
        # log(1 + e^eta) - t·eta, stably.
        value = np.mean(np.logaddexp(0.0, eta) - t * eta) + 0.5 * l2 * float(b @ b)
        p = 0.5 * (1.0 + np.tanh(0.5 * eta))
        grad_eta = (p - t) / n
        grad = np.concatenate(([grad_eta.sum()], z.T @ grad_eta + l2 * b))
        return float(value), grad

    start = np.zeros(x.shape[1] + 1)
    start[0] = math.log(max(t.mean(), 1e-6) / max(1 - t.mean(), 1e-6))
    bounds = [(None, None)] + [(0.0, None)] * x.shape[1]
    res = minimize(loss, start, jac=True, method="L-BFGS-B", bounds=bounds,
                   options={"maxiter": 2000, "gtol": 1e-10, "ftol": 1e-14})
    return float(res.x[0]), np.maximum(res.x[1:], 0.0) / spread


def _folds(groups: list[str], k: int, seed: int) -> npt.NDArray[np.int64]:
    """A fold per row: whole groups (officers) go to one fold, at random by ``seed``."""
    unique = sorted(set(groups))
    perm = np.random.default_rng(seed).permutation(len(unique))
    fold_of = {g: int(perm[i] % k) for i, g in enumerate(unique)}
    return np.array([fold_of[g] for g in groups], dtype=np.int64)


@dataclass(frozen=True)
class CrossValidation:
    l2: float
    folds: int
    table: pl.DataFrame


def _cross_validate(d: Design, folds: int, seed: int) -> CrossValidation:
    """Out-of-fold figures per L2 penalty (officers grouped: none in two folds); the
    penalty with the lowest out-of-fold log-loss wins."""
    fold = _folds(d.group, folds, seed)
    rows = []
    for l2 in L2_GRID:
        eta = np.empty(len(d.outcome))
        for f in range(folds):
            test = fold == f
            train = ~test
            if d.outcome[train].all() or not d.outcome[train].any():
                raise ResearchError(
                    f"fold {f + 1} of {folds} has a training part with one outcome only: "
                    "too few substantiated officers to cross-validate; use fewer folds"
                )
            a, b = _logistic(d.x[train], d.outcome[train], l2)
            eta[test] = a + d.x[test] @ b
        p = 1.0 / (1.0 + np.exp(-eta))
        t = d.outcome.astype(np.float64)
        eps = 1e-15
        log_loss = float(-np.mean(t * np.log(p + eps) + (1 - t) * np.log(1 - p + eps)))
        order = m.order_by_score(eta, d.group)
        r = m.ranked(d.outcome, eta, order)
        rows.append({"l2": l2, "log_loss": log_loss, "roc_auc": m.roc_auc(r),
                     "average_precision": m.average_precision(r)})
    table = pl.DataFrame(rows)
    best = float(table.sort(["log_loss", "l2"])["l2"][0])
    return CrossValidation(l2=best, folds=folds, table=table)


def _scaled(
    beta: npt.NDArray[np.float64], base: npt.NDArray[np.float64], points: bool
) -> npt.NDArray[np.float64]:
    """Matrix weights from coefficients, scaled so they add up to the base weights: the
    matrix's thresholds in score units (the tiers, `multiple_subjects.min_pair_score`,
    `repeat_complaints.min_base`) keep their meaning — scaled freely, a fit's weights
    come out tens of times the base's and every pair passes those thresholds. Rounded to
    whole points if asked."""
    total = float(beta.sum())
    scale = float(base.sum()) / total if total > 0 else 1.0
    w: npt.NDArray[np.float64] = beta * scale
    return np.round(w).astype(np.float64) if points else w


def _data_hash(results: Sequence[Result], labels: Sequence[pl.DataFrame]) -> str:
    """SHA-256 over the forces' input hashes (from their manifests) and the labels."""
    h = hashlib.sha256()
    for r in results:
        inputs = r.manifest.get("inputs", [])
        h.update(json.dumps(inputs, sort_keys=True, default=str).encode())
    for lab in labels:
        h.update(lab.sort("officer_id").write_csv().encode())
    return h.hexdigest()


def _fitted_matrix(
    base: RiskMatrix, weights: npt.NDArray[np.float64], how: str, version: str
) -> RiskMatrix:
    """The base matrix's text with each fitted weight's line replaced, its comment
    saying how it was fitted, and the name and version changed."""
    text = base.to_toml()
    for sign, w in zip(FITTED_SIGNS, weights, strict=True):
        old = float(base[f"signals.{sign}.weight"])
        text = _set_weight(text, sign, float(w), f"fitted: {how} (was {old:g})")
    text = re.sub(r'(?m)^name = ".*"$', f'name = "{base.name}-fitted"', text, count=1)
    text = re.sub(r'(?m)^version = ".*"$', f'version = "{version}"', text, count=1)
    return RiskMatrix(text, "fitted")


def _set_weight(text: str, sign: str, value: float, comment: str) -> str:
    header = f"[signals.{sign}]"
    start = text.index(header)
    line = re.compile(r"(?m)^weight\s*=.*$")
    found = line.search(text, start)
    nxt = re.compile(r"(?m)^\[").search(text, start + len(header))
    if found is None or (nxt is not None and found.start() > nxt.start()):
        raise ResearchError(f"the base matrix has no weight line in {header}")
    return text[: found.start()] + f"weight = {value!r}  # {comment}" + text[found.end():]


@dataclass
class Fit:
    """A fitted risk matrix and how it was fitted.

    Attributes
    ----------
    matrix : RiskMatrix
        The fitted matrix: ``apsp score --matrix`` loads it unchanged.
    weights : polars.DataFrame
        ``sign``, ``base_weight``, ``fitted_weight`` (signs not fitted keep theirs).
    cross_validation : polars.DataFrame
        Out-of-fold ``log_loss``, ``roc_auc`` and ``average_precision`` of the
        logistic model per L2 penalty (``l2``), officers grouped by fold.
    scores : polars.DataFrame
        The training officers' fitted scores (``force``, pseudonymised ``officer_id``,
        ``score``, ``outcome``): the engine's scores under :attr:`matrix`.
    data_sha256 : str
        Hash of the forces' inputs and the labels the fit read.
    """

    matrix: RiskMatrix
    weights: pl.DataFrame
    cross_validation: pl.DataFrame
    scores: pl.DataFrame
    data_sha256: str
    results: list[Result]

    def save(self, path: PathLike) -> Path:
        """Write the fitted matrix's TOML to ``path``."""
        return self.matrix.save(path)

    def __repr__(self) -> str:
        with pl.Config(tbl_rows=20, tbl_hide_dataframe_shape=True, float_precision=3):
            return (
                f"Fit: {self.scores.height} officers, "
                f"{int(self.scores['outcome'].sum())} substantiated; data "
                f"{self.data_sha256[:12]}\n{self.weights}"
            )


def rescore(result: Result, matrix: RiskMatrix) -> Result:
    """The result's dataset scored again with ``matrix``, at the same reference time
    and window."""
    if result._source is None:
        raise ResearchError("this result does not keep its dataset; score it with apsp.score")
    data, settings = result._source
    scoring = result.manifest["scoring"]
    return score(
        data,
        matrix=matrix,
        reference_time=scoring["reference_time"],
        window_days=int(scoring["window_days"]),
        profiles=settings.profiles,
        timezone=settings.timezone,
        ambiguous=settings.ambiguous,
        nonexistent=settings.nonexistent,
        pseudonymise=settings.pseudonymise,
        key_file=settings.key_file,
        key_env=settings.key_env,
        ignore_extra_columns=settings.ignore_extra_columns,
        encoding=settings.encoding,
        progress=False,
    )


def fit(
    results: Result | Sequence[Result],
    labels: LabelsLike | Sequence[LabelsLike],
    *,
    key: bytes | str | None = None,
    matrix: RiskMatrix | None = None,
    points: bool = False,
    folds: int = 5,
    passes: int = 2,
    seed: int = 0,
    unlabelled: str = "negative",
    version: str | None = None,
) -> Fit:
    """Fit the weights of the additive warning signs to labelled outcomes.

    Parameters
    ----------
    results : Result or list of Result
        Scored forces (one per force), each scored with ``matrix``; they keep their
        datasets, which the fit scores again with each fitted matrix.
    labels : frame or path, or one per result
        ``officer_id``, ``outcome`` (true = substantiated), as for :func:`evaluate`.
    key : bytes or str
        The researcher's pseudonymisation key: the returned scores name officers only
        by pseudonym (required, as for :func:`features`).
    matrix : RiskMatrix, optional
        The base matrix (default: the shipped one): the fit changes only its weights.
    points : bool
        Round the fitted weights to whole points (a points table a reviewer can add up).
    folds, seed :
        Cross-validation folds (officers grouped: none in two folds) and their seed.
    passes : int
        Fit, score again with the fitted matrix, fit again: new weights can change
        which of an officer's pairs count.

    Returns
    -------
    Fit
        ``.matrix`` (save it with ``.save(path)``), ``.weights``,
        ``.cross_validation``, ``.scores``.
    """
    pseudo = Pseudonymiser(key)
    forces = [results] if isinstance(results, Result) else list(results)
    label_list = (
        list(labels) if isinstance(labels, list | tuple) else [labels] * len(forces)
    )
    if len(label_list) != len(forces):
        raise ResearchError(
            f"{len(forces)} scored forces but {len(label_list)} label sets: give one per force"
        )
    read = [read_labels(lab) for lab in label_list]  # type: ignore[arg-type]
    base = matrix or RiskMatrix.default()
    data_hash = _data_hash(forces, read)
    version = version or datetime.now(UTC).strftime("%Y.%m.%d-fitted")
    current, scored = base, forces
    cv: CrossValidation | None = None
    for _ in range(max(1, passes)):
        d = _stack([design_of(r, current, lab, f"force {i + 1}", unlabelled)
                    for i, (r, lab) in enumerate(zip(scored, read, strict=True))])
        cv = _cross_validate(d, folds, seed)
        _, beta = _logistic(d.x, d.outcome, cv.l2)
        w = _scaled(beta, _weights_of(base), points)
        how = (
            f"non-negative logistic regression, L2 {cv.l2:g} chosen by {folds}-fold "
            f"cross-validation over officers, {len(d.outcome)} officers of "
            f"{len(forces)} force(s), {int(d.outcome.sum())} substantiated; scaled to "
            f"the base weights' sum{', rounded to points' if points else ''}; "
            f"data sha256 {data_hash[:16]}"
        )
        current = _fitted_matrix(base, w, how, version)
        scored = [rescore(r, current) for r in forces]
    assert cv is not None
    final = _stack([design_of(r, current, lab, f"force {i + 1}", unlabelled)
                    for i, (r, lab) in enumerate(zip(scored, read, strict=True))])
    # The fitted scores are the engine's under the fitted matrix; the model (weights ×
    # features) must add up to them, to the 1e-9 the frames round each number to.
    fitted_scores = final.engine_score
    if not np.allclose(final.scores(_weights_of(current)), fitted_scores, rtol=1e-9,
                       atol=1e-8):
        raise ResearchError(
            "internal: the fitted model does not add up to the engine's scores; please "
            "report"
        )
    base_w = _weights_of(base)
    weights = pl.DataFrame({
        "sign": list(FITTED_SIGNS),
        "base_weight": base_w,
        "fitted_weight": _weights_of(current),
    })
    scores_frame = pl.DataFrame({
        "force": final.force,
        "officer_id": [pseudo.one(b"officer", "o-", o) for o in final.officer_id],
        "score": fitted_scores,
        "outcome": final.outcome,
    })
    return Fit(
        matrix=current,
        weights=weights,
        cross_validation=cv.table,
        scores=scores_frame,
        data_sha256=data_hash,
        results=scored,
    )
