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
from ._features import PAIR_SIGNS, Pseudonymiser, terms_of
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


UNITS = tuple(f"{s}_units" for s in FITTED_SIGNS)
"""The weight-free feature columns: a sign's part of the score over its weight."""


def units_of(
    result: Result, matrix: RiskMatrix, terms: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Per officer of a result scored with ``matrix``: ``score``, each fitted sign's
    ``<sign>_units`` (his part of sign ``s``, aggravator and complaints boost included,
    over the sign's weight: the score is Σ weight × units + ``fixed_part`` while the
    pairs that count stay the same) and ``fixed_part`` (a complaints boost below
    ``min_base``, which no fitted weight moves). ``terms``: the result's counted pairs
    (:func:`terms_of`), when the caller has them already."""
    if result.manifest["scoring"]["matrix"]["sha256"] != matrix.sha256:
        raise ResearchError(
            "a result was scored with another matrix than the one given (its manifest's "
            "matrix SHA-256 differs): score it with the base matrix"
        )
    terms = terms_of(result) if terms is None else terms
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
    frame = (
        result.officers.select("officer_id", "score")
        .join(parts, on="officer_id", how="left")
        .join(own, on="officer_id", how="left")
        .fill_null(0.0)
        .sort("officer_id")
    )
    pairs_part = frame.select(sum(pl.col(s) for s in ADDITIVE_PAIR_SIGNS)).to_series().to_numpy()
    rc = frame["repeat_complaints"].to_numpy()
    linear = (rc > 0) & (pairs_part >= float(matrix["signals.repeat_complaints.min_base"]))
    boost = np.where(linear, rc / np.where(pairs_part > 0, pairs_part, 1.0), 0.0)
    # A sign at weight 0 contributes nothing and its units are 0 (it cannot come back in
    # a later pass: the first pass decides which signs count).
    raw = [frame[s].to_numpy() * (1.0 + boost) for s in ADDITIVE_PAIR_SIGNS]
    raw.append(frame["multiple_subjects"].to_numpy())
    units = {
        name: c / w if w > 0 else np.zeros_like(c)
        for name, c, w in zip(UNITS, raw, _weights_of(matrix), strict=True)
    }
    return pl.DataFrame(
        {"officer_id": frame["officer_id"], "score": frame["score"], **units,
         "fixed_part": np.where(linear, 0.0, rc)}
    )


def _design(frame: pl.DataFrame, force: str) -> Design:
    """The fit's design from officers with units, ``fixed_part``, ``score`` and
    ``outcome``."""
    ids = frame["officer_id"].to_list()
    return Design(
        x=np.column_stack([frame[u].to_numpy() for u in UNITS]),
        fixed=frame["fixed_part"].to_numpy(),
        outcome=frame["outcome"].to_numpy().astype(bool),
        group=[f"{force}\0{o}" for o in ids],
        engine_score=frame["score"].to_numpy(),
        officer_id=ids,
        force=[force] * len(ids),
    )


def design_of(result: Result, matrix: RiskMatrix, labels: pl.DataFrame, force: str,
              unlabelled: str = "negative") -> Design:
    """The fit's features of one scored force (scored with ``matrix``)."""
    frame, _ = join_labels(units_of(result, matrix), labels, unlabelled)
    return _design(frame.sort("officer_id"), force)


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


def _cross_validate(
    d: Design, folds: int, seed: int, chosen: float | None = None
) -> CrossValidation:
    """Out-of-fold figures per L2 penalty (officers grouped: none in two folds); the
    penalty with the lowest out-of-fold log-loss wins, unless one is ``chosen``."""
    if folds < 2:
        raise ResearchError(f"folds must be at least 2, not {folds}")
    fold = _folds(d.group, folds, seed)
    rows = []
    for l2 in sorted({*L2_GRID, *([chosen] if chosen is not None else [])}):
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
    best = chosen if chosen is not None else float(table.sort(["log_loss", "l2"])["l2"][0])
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
    if total <= 0:
        raise ResearchError(
            "every fitted weight is 0: no warning sign separates the substantiated "
            "officers from the others in these data (nothing to write)"
        )
    scale = float(base.sum()) / total
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
    fitted = RiskMatrix(text, "fitted")
    for sign, w in zip(FITTED_SIGNS, weights, strict=True):
        if float(fitted[f"signals.{sign}.weight"]) != float(w):
            raise ResearchError(f"internal: the fitted weight of {sign} did not take")
    return fitted


def _set_weight(text: str, sign: str, value: float, comment: str) -> str:
    """The text with the ``weight`` line of ``[signals.<sign>]`` replaced (the table
    header on a line of its own; the result is checked by the caller)."""
    header = re.compile(rf"(?m)^\[signals\.{re.escape(sign)}\][ \t]*(#.*)?$")
    start = header.search(text)
    found = None
    if start is not None:
        nxt = re.compile(r"(?m)^[ \t]*\[").search(text, start.end())
        end = nxt.start() if nxt else len(text)
        found = re.compile(r"(?m)^weight[ \t]*=.*$").search(text, start.end(), end)
    if found is None:
        raise ResearchError(
            f"the base matrix has no line 'weight = ...' under a [signals.{sign}] header "
            "of its own: write its signs as tables, as the shipped matrix does"
        )
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
    exact: bool = True
    """True when :attr:`scores` are the engine's under :attr:`matrix` (a fit from
    results); False for a fit from a features export, whose scores are the model's (the
    same while the pairs that count in each score stay the same)."""

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


def _fit_export(
    frame: pl.DataFrame,
    labels: LabelsLike | None,
    base: RiskMatrix,
    options: FitOptions,
) -> Fit:
    """One pass of the fit on a features export (no data to score again)."""
    needed = ["officer_id", "score", *UNITS, "fixed_part"]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ResearchError(
            f"the features lack {', '.join(missing[:3])}{' ...' if len(missing) > 3 else ''}: "
            "export them with research.features(result, level='officer', key=...) from a "
            "result scored in Python"
        )
    extra = ["force"] if "force" in frame.columns else []
    if labels is None:
        if "outcome" not in frame.columns:
            raise ResearchError("give labels, or features with an outcome column")
        joined, label_text = frame, ""
    else:
        read = read_labels(labels)
        joined, _ = join_labels(frame.select(*needed, *extra), read, options.unlabelled)
        label_text = read.write_csv()
    joined = joined.sort([*extra, "officer_id"])
    forces = joined["force"].cast(pl.String).to_list() if extra else ["export"] * joined.height
    d = _design(joined, "export")
    d = Design(x=d.x, fixed=d.fixed, outcome=d.outcome,
               group=[f"{f}\0{o}" for f, o in zip(forces, d.officer_id, strict=True)],
               engine_score=d.engine_score, officer_id=d.officer_id, force=forces)
    digest = hashlib.sha256(
        joined.select(*needed, *extra).write_csv().encode() + label_text.encode()
    ).hexdigest()
    cv = _cross_validate(d, options.folds, options.seed, options.l2)
    _, beta = _logistic(d.x, d.outcome, cv.l2)
    w = _scaled(beta, _weights_of(base), options.points)
    how = (
        f"non-negative logistic regression, L2 {cv.l2:g}{_how_chosen(options.l2, options.folds)}"
        f" over officers, {len(d.outcome)} officers of a features export, "
        f"{int(d.outcome.sum())} substantiated; scaled to the base weights' sum"
        f"{', rounded to points' if options.points else ''}; not scored again; "
        f"data sha256 {digest[:16]}"
    )
    matrix = _fitted_matrix(base, w, how, options.version)
    return Fit(
        matrix=matrix,
        weights=pl.DataFrame({"sign": list(FITTED_SIGNS), "base_weight": _weights_of(base),
                              "fitted_weight": _weights_of(matrix)}),
        cross_validation=cv.table,
        scores=pl.DataFrame({"force": d.force, "officer_id": d.officer_id,
                             "score": d.scores(_weights_of(matrix)), "outcome": d.outcome}),
        data_sha256=digest,
        results=[],
        exact=False,
    )


def _labels_per_force(
    forces: list[Result], labels: LabelsLike | Sequence[LabelsLike]
) -> list[pl.DataFrame]:
    """One label set per force: given one each, or one for all (checked against all the
    forces together, then split by each force's officers)."""
    if isinstance(labels, list | tuple):
        if len(labels) != len(forces):
            raise ResearchError(
                f"{len(forces)} scored forces but {len(labels)} label sets: give one per "
                "force, or one for all"
            )
        return [read_labels(lab) for lab in labels]
    shared = read_labels(labels)  # type: ignore[arg-type]
    ids = [r.officers["officer_id"] for r in forces]
    known = pl.concat(ids).unique() if ids else pl.Series("officer_id", [], pl.String)
    unknown = shared.filter(~pl.col("officer_id").is_in(known.implode())).height
    if unknown:
        raise ResearchError(
            f"{unknown} labelled officer(s) are in none of the scored forces (ids not "
            "shown: they may be officers')"
        )
    return [shared.filter(pl.col("officer_id").is_in(i.implode())) for i in ids]


def _how_chosen(l2: float | None, folds: int) -> str:
    if l2 is None:
        return f" chosen by {folds}-fold cross-validation"
    return f" (given; {folds}-fold cross-validation reported)"


@dataclass(frozen=True)
class FitOptions:
    l2: float | None
    points: bool
    folds: int
    seed: int
    unlabelled: str
    version: str


def fit(
    results: Result | Sequence[Result] | pl.DataFrame,
    labels: LabelsLike | Sequence[LabelsLike] | None = None,
    *,
    key: bytes | str | None = None,
    matrix: RiskMatrix | None = None,
    points: bool = False,
    folds: int = 5,
    l2: float | None = None,
    passes: int = 2,
    seed: int = 0,
    unlabelled: str = "negative",
    version: str | None = None,
) -> Fit:
    """Fit the weights of the additive warning signs to labelled outcomes.

    Parameters
    ----------
    results : Result, list of Result, or polars.DataFrame
        Scored forces (one per force), each scored with ``matrix``; they keep their
        datasets, which the fit scores again with each fitted matrix. Or a features
        export (:func:`features` at the officer level, several forces concatenated
        with a ``force`` column): one pass, no data to score again, so the fit's
        scores are the model's (``Fit.exact`` is False).
    labels : frame or path, or one per result
        ``officer_id``, ``outcome`` (true = substantiated), as for :func:`evaluate`
        (for an export: pseudonymised with the same key, :func:`pseudonymise`; or
        none, when the export has an ``outcome`` column).
    key : bytes or str
        The researcher's pseudonymisation key: the returned scores name officers only
        by pseudonym (required for results, as for :func:`features`).
    matrix : RiskMatrix, optional
        The base matrix (default: the shipped one): the fit changes only its weights.
    points : bool
        Round the fitted weights to whole points (a points table a reviewer can add up).
    folds, seed :
        Cross-validation folds (officers grouped: none in two folds) and their seed.
    l2 : float, optional
        The L2 penalty; default: the one of 0.001–10 with the lowest out-of-fold
        log-loss.
    passes : int
        Fit, score again with the fitted matrix, fit again: new weights can change
        which of an officer's pairs count.

    Returns
    -------
    Fit
        ``.matrix`` (save it with ``.save(path)``), ``.weights``,
        ``.cross_validation``, ``.scores``.
    """
    base = matrix or RiskMatrix.default()
    version = version or datetime.now(UTC).strftime("%Y.%m.%d-fitted")
    if isinstance(results, pl.DataFrame):
        options = FitOptions(l2=l2, points=points, folds=folds, seed=seed,
                             unlabelled=unlabelled, version=version)
        return _fit_export(results, labels, base, options)  # type: ignore[arg-type]
    if labels is None:
        raise ResearchError("give the labels of the scored forces")
    pseudo = Pseudonymiser(key)
    forces = [results] if isinstance(results, Result) else list(results)
    read = _labels_per_force(forces, labels)
    data_hash = _data_hash(forces, read)
    current, scored = base, forces
    cv: CrossValidation | None = None
    for _ in range(max(1, passes)):
        d = _stack([design_of(r, current, lab, f"force {i + 1}", unlabelled)
                    for i, (r, lab) in enumerate(zip(scored, read, strict=True))])
        cv = _cross_validate(d, folds, seed, l2)
        _, beta = _logistic(d.x, d.outcome, cv.l2)
        w = _scaled(beta, _weights_of(base), points)
        how = (
            f"non-negative logistic regression, L2 {cv.l2:g}{_how_chosen(l2, folds)}"
            f" over officers, {len(d.outcome)} officers of "
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
        "officer_id": pseudo.many("officer", final.officer_id),
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
