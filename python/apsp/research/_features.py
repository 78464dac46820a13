"""Research exports: every warning sign of every officer (or pair), always pseudonymised."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Literal

import polars as pl

from .. import _apsp
from ..scoring import Result
from ._labels import ResearchError

KEY_ENV = "APSP_RESEARCH_KEY"
MIN_KEY_BYTES = 16

PAIR_SIGNS = (
    "contact_volume",
    "escalation",
    "off_duty_contact",
    "night_contact",
    "after_closure",
    "unanswered_persistence",
    "stop_near_home",
    "access_without_purpose",
    "access_then_contact",
    "vulnerable_subject",
)
OFFICER_SIGNS = ("multiple_subjects", "repeat_complaints")
SIGNS = PAIR_SIGNS + OFFICER_SIGNS

Level = Literal["officer", "pair"]


Kind = Literal["officer", "subject"]


class Pseudonymiser:
    """Keyed pseudonyms (HMAC-SHA-256) for officer and subject ids: the same id and key
    give the same pseudonym, so a researcher holding the key can join exports (and
    labels) without anyone reading an id in clear."""

    def __init__(self, key: bytes | str | None, key_env: str = KEY_ENV) -> None:
        raw = key if key is not None else os.environ.get(key_env)
        if raw is None:
            raise ResearchError(
                "research exports are always pseudonymised: give key= (at least "
                f"{MIN_KEY_BYTES} bytes, held by the researcher) or set {key_env}"
            )
        data = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
        if len(data) < MIN_KEY_BYTES:
            raise ResearchError(
                f"the pseudonymisation key has {len(data)} bytes; it needs at least "
                f"{MIN_KEY_BYTES}"
            )
        self._key = data

    def officers(self, column: str = "officer_id") -> pl.Expr:
        """The column's officer ids replaced by their pseudonyms."""
        return self._column(column, "officer")

    def subjects(self, column: str = "subject_id") -> pl.Expr:
        """The column's subject ids (person ids, or numbers) replaced by pseudonyms."""
        return self._column(column, "subject")

    def _column(self, column: str, kind: Kind) -> pl.Expr:
        def batch(s: pl.Series) -> pl.Series:
            return pl.Series(s.name, self.many(kind, s.to_list()), dtype=pl.String)

        return pl.col(column).cast(pl.String).map_batches(batch, return_dtype=pl.String)

    def many(self, kind: Kind, values: Sequence[str | None]) -> list[str | None]:
        """The pseudonyms of officer or subject ids (the engine's keyed HMAC-SHA256,
        ``apsp_core::pseudo``: ``o-…`` / ``s-…``); ``None`` stays ``None``."""
        return _apsp.research_pseudonyms(self._key, kind, list(values))


def pseudonymise(
    frame: pl.DataFrame,
    key: bytes | str | None = None,
    *,
    officer_columns: tuple[str, ...] = ("officer_id",),
    subject_columns: tuple[str, ...] = (),
    key_env: str = KEY_ENV,
) -> pl.DataFrame:
    """``frame`` with its officer (and subject) id columns replaced by the keyed
    pseudonyms :func:`features` uses: pseudonymise labels with the same key to join
    them to an export."""
    p = Pseudonymiser(key, key_env)
    absent = [c for c in (*officer_columns, *subject_columns) if c not in frame.columns]
    if absent:
        raise ResearchError(
            f"no column {', '.join(absent)} to pseudonymise (nothing was changed: "
            "name the id columns with officer_columns= and subject_columns=)"
        )
    return frame.with_columns(
        *(p.officers(c).alias(c) for c in officer_columns),
        *(p.subjects(c).alias(c) for c in subject_columns),
    )


def _status_rank() -> pl.Expr:
    """fired > not_fired > not_evaluated, to take an officer's strongest status."""
    return (
        pl.when(pl.col("status") == "fired")
        .then(2)
        .when(pl.col("status") == "not_fired")
        .then(1)
        .otherwise(0)
    )


def _sign_columns(signals: pl.DataFrame, keys: list[str], signs: tuple[str, ...]) -> pl.DataFrame:
    """One row per ``keys``: per sign, the value, threshold and status of the row with
    the strongest status (then the strongest value: the highest, or the lowest for
    ``access_then_contact``, which fires at or below its threshold) of the rows of that
    key, and the contribution (summed by the caller where it must be)."""
    strength = (
        pl.when(pl.col("signal") == "access_then_contact")
        .then(-pl.col("value"))
        .otherwise(pl.col("value"))
        .fill_nan(None)
    )
    picked = (
        signals.filter(pl.col("signal").is_in(signs))
        .with_columns(_status_rank().alias("_rank"), strength.alias("_strength"))
        .sort(
            [*keys, "signal", "_rank", "_strength"],
            descending=[False] * len(keys) + [False, True, True],
            nulls_last=True,
        )
        .group_by([*keys, "signal"], maintain_order=True)
        .first()
    )
    wide = picked.pivot(
        on="signal",
        index=keys,
        values=["value", "threshold", "status"],
        aggregate_function=None,
    )
    rename = {}
    for sign in signs:
        for part in ("value", "threshold", "status"):
            name = f"{part}_{sign}"
            if name in wide.columns:
                rename[name] = f"{sign}_{part}"
    wide = wide.rename(rename)
    for sign in signs:
        parts = (("value", pl.Float64), ("threshold", pl.Float64), ("status", pl.String))
        for part, dtype in parts:
            col = f"{sign}_{part}"
            if col not in wide.columns:
                wide = wide.with_columns(pl.lit(None, dtype=dtype).alias(col))
    return wide


def officer_terms(pairs: pl.DataFrame, top_pairs: int, decay: float) -> pl.DataFrame:
    """The pairs that count in each officer's score, with their factor: his pairs
    highest score first (ties by subject id), those resting on stops a higher pair
    counts left out, the first ``top_pairs`` with a score, × 1, ``decay``, ``decay``²…"""
    # The frame's own order within an officer is the engine's (exact scores, highest
    # first, ties by subject id): sorting again by the rounded scores could swap two.
    return (
        pairs.filter(pl.col("same_stops_as").is_null() & (pl.col("score") > 0))
        .with_columns(pl.int_range(pl.len()).over("officer_id").alias("_k"))
        .filter(pl.col("_k") < top_pairs)
        .with_columns((pl.lit(decay) ** pl.col("_k")).alias("factor"))
    )


def terms_of(result: Result) -> pl.DataFrame:
    """The pairs that count in each officer's score of a result, with their factor."""
    top_pairs, decay = result._h.officer_aggregation()
    return officer_terms(result.pairs, top_pairs, decay)


def _officer_features(result: Result, terms: pl.DataFrame) -> pl.DataFrame:
    officers = result.officers
    signals = result.signals
    contributions = terms.group_by("officer_id").agg(
        (pl.col(s) * pl.col("factor")).sum().alias(f"{s}_contribution") for s in PAIR_SIGNS
    )
    pair_rows = signals.filter(pl.col("subject_id").is_not_null())
    officer_rows = signals.filter(pl.col("subject_id").is_null())
    coverage = pair_rows.group_by("officer_id").agg(
        pl.col("subject_id").n_unique().alias("pairs_scored"),
        (pl.col("status") == "not_evaluated").sum().cast(pl.Int64).alias("signs_not_evaluated"),
    )
    own = officer_rows.group_by("officer_id").agg(
        pl.col(c).filter(pl.col("signal") == s).first().alias(f"{s}_{c}")
        for s in OFFICER_SIGNS
        for c in ("value", "threshold", "status", "contribution")
    )
    frame = (
        officers.select("officer_id", "role", "score", "tier", "rank")
        .join(_sign_columns(pair_rows, ["officer_id"], PAIR_SIGNS), on="officer_id", how="left")
        .join(contributions, on="officer_id", how="left")
        .join(own, on="officer_id", how="left")
        .join(coverage, on="officer_id", how="left")
        .with_columns(
            *(pl.col(f"{s}_contribution").fill_null(0.0) for s in SIGNS),
            pl.col("pairs_scored").fill_null(0).cast(pl.Int64),
            pl.col("signs_not_evaluated").fill_null(0),
        )
    )
    return frame.select(
        "officer_id", "role", "score", "tier", "rank", "pairs_scored", "signs_not_evaluated",
        *(f"{s}_{c}" for s in SIGNS for c in ("value", "threshold", "status", "contribution")),
    ).sort("rank")


def _pair_features(result: Result) -> pl.DataFrame:
    pairs = result.pairs
    pair_rows = result.signals.filter(pl.col("subject_id").is_not_null())
    wide = _sign_columns(pair_rows, ["officer_id", "subject_id"], PAIR_SIGNS)
    roles = result.officers.select("officer_id", "role")
    frame = (
        pairs.filter(pl.col("score") > 0)
        .select("officer_id", "subject_id", "subject_kind", "score", "tier",
                *(pl.col(s).alias(f"{s}_contribution") for s in PAIR_SIGNS))
        .join(roles, on="officer_id", how="left")
        .join(wide, on=["officer_id", "subject_id"], how="left")
    )
    return frame.select(
        "officer_id", "subject_id", "role", "subject_kind", "score", "tier",
        *(f"{s}_{c}" for s in PAIR_SIGNS for c in ("value", "threshold", "status", "contribution")),
    ).sort(["officer_id", "score", "subject_id"], descending=[False, True, False])


def features(
    result: Result,
    level: Level = "officer",
    *,
    key: bytes | str | None = None,
    key_env: str = KEY_ENV,
) -> pl.DataFrame:
    """Every warning sign of every officer (or pair) of a scored result, pseudonymised.

    One row per officer (``level="officer"``), or per officer × subject pair with a
    score (``level="pair"``), with ``role``, ``score``, ``tier`` and, per sign,
    ``<sign>_value``, ``<sign>_threshold``, ``<sign>_status`` (``fired``,
    ``not_fired``, ``not_evaluated``, or null where no row of his says: never
    imputed) and ``<sign>_contribution``. At the officer level a pair sign's value,
    threshold and status are those of his pair with the strongest status (then the
    highest value), and its contribution is its part of his score: summed over the
    pairs that count, each × its factor (``[officer]`` ``top_pairs`` and ``decay``), so
    the contributions add up to ``score``. ``pairs_scored`` and
    ``signs_not_evaluated`` say how much his data could say. For a result scored in
    Python, ``<sign>_units`` (each fitted sign's part of the score over its weight) and
    ``fixed_part`` let :func:`fit` work from this export alone.

    Officer and subject ids are replaced by keyed pseudonyms (HMAC-SHA-256 with
    ``key``, or the key in the environment variable ``key_env``): the export refuses to
    run without a key. Labels join after :func:`pseudonymise` with the same key.
    """
    p = Pseudonymiser(key, key_env)
    if level == "officer":
        from ._fit import units_of  # the fit's design, for fitting from this export

        terms = terms_of(result)
        frame = _officer_features(result, terms)
        if result._matrix is not None:
            units = units_of(result, result._matrix, terms).drop("score")
            frame = frame.join(units, on="officer_id", how="left")
        return frame.with_columns(p.officers().alias("officer_id"))
    if level == "pair":
        frame = _pair_features(result)
        return frame.with_columns(
            p.officers().alias("officer_id"), p.subjects().alias("subject_id")
        )
    raise ResearchError(f"level must be 'officer' or 'pair', not {level!r}")
