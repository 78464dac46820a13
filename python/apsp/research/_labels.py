"""Labelled outcomes: reading them, checking them, and joining them to scores."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ..settings import PathLike

LabelsLike = pl.DataFrame | PathLike


class ResearchError(ValueError):
    """Labels, scores or a key the research toolkit cannot use. The message never
    names an officer, a person or a number: it counts them."""


def read_labels(labels: LabelsLike) -> pl.DataFrame:
    """Labels as a frame of ``officer_id`` (str), ``outcome`` (bool) and ``category``
    (str, ``""`` where none), one row per officer: an officer with several rows is
    substantiated if any row is, his categories joined by ``;`` in sorted order."""
    frame = labels if isinstance(labels, pl.DataFrame) else _read_file(Path(labels))
    missing = [c for c in ("officer_id", "outcome") if c not in frame.columns]
    if missing:
        raise ResearchError(
            f"labels need the columns officer_id and outcome (true = substantiated); "
            f"missing: {', '.join(missing)} ({len(frame.columns)} columns found, not "
            "listed: a file without a header row would show its first row)"
        )
    if frame["outcome"].dtype != pl.Boolean:
        raise ResearchError(
            f"labels: outcome must be true or false, not {frame['outcome'].dtype}"
        )
    nulls = frame.select(
        pl.col("officer_id").is_null().sum().alias("id"),
        pl.col("outcome").is_null().sum().alias("outcome"),
    ).row(0)
    if any(nulls):
        raise ResearchError(
            f"labels: {nulls[0]} row(s) without officer_id and {nulls[1]} without "
            "an outcome; every row needs both"
        )
    category = (
        pl.col("category").cast(pl.String).fill_null("")
        if "category" in frame.columns
        else pl.lit("")
    )
    return (
        frame.select(
            pl.col("officer_id").cast(pl.String), pl.col("outcome"), category.alias("category")
        )
        .group_by("officer_id")
        .agg(
            pl.col("outcome").any(),
            pl.col("category").filter(pl.col("category") != "").unique().sort().str.join(";"),
        )
        .sort("officer_id")
    )


def _read_file(path: Path) -> pl.DataFrame:
    if not path.exists():
        raise FileNotFoundError(f"labels file not found: {path}")
    if path.suffix.lower() not in (".csv", ".parquet"):
        raise ResearchError(f"labels file {path}: expected .csv or .parquet")
    try:
        if path.suffix.lower() == ".parquet":
            return pl.read_parquet(path)
        return pl.read_csv(path, schema_overrides={"officer_id": pl.String})
    except pl.exceptions.PolarsError as e:
        # The reader's message can quote the file's rows: name the file and the kind only.
        raise ResearchError(
            f"labels file {path} could not be read ({type(e).__name__}): CSV with a header "
            "row (officer_id, outcome, category) or Parquet"
        ) from None


def synthetic_labels(labels: pl.DataFrame) -> pl.DataFrame:
    """The labels of a generated force (:func:`apsp.synth.generate`) as outcomes:
    planted scenarios substantiated (category: the scenario), decoys not.

    Synthetic labels are not real outcomes: they say what the generator planted, and
    an engine tuned on them learns the generator.
    """
    return labels.select(
        "officer_id",
        (pl.col("kind") == "planted").alias("outcome"),
        pl.col("scenario").alias("category"),
    )


def join_labels(
    officers: pl.DataFrame, labels: pl.DataFrame, unlabelled: str
) -> tuple[pl.DataFrame, int]:
    """``officers`` with ``outcome`` and ``category``; returns it and how many officers
    had no label (taken as not substantiated, or left out, by ``unlabelled``)."""
    if unlabelled not in ("negative", "drop"):
        raise ResearchError(f"unlabelled must be 'negative' or 'drop', not {unlabelled!r}")
    unknown = labels.join(officers.select("officer_id"), on="officer_id", how="anti").height
    if unknown:
        raise ResearchError(
            f"{unknown} labelled officer(s) are not in the scores (ids not shown: "
            "they may be officers'); are the labels for this force, and pseudonymised "
            "with the same key as the scores?"
        )
    joined = officers.join(labels, on="officer_id", how="left")
    n_unlabelled = int(joined["outcome"].is_null().sum())
    if unlabelled == "drop":
        joined = joined.filter(pl.col("outcome").is_not_null())
    joined = joined.with_columns(
        pl.col("outcome").fill_null(False), pl.col("category").fill_null("")
    )
    return joined, n_unlabelled


def write_frames(out: PathLike, frames: dict[str, pl.DataFrame]) -> list[Path]:
    """Write each frame as ``<name>.parquet`` and ``<name>.csv`` into ``out`` (created
    if needed); return the paths."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in frames.items():
        frame.write_parquet(folder / f"{name}.parquet")
        frame.write_csv(folder / f"{name}.csv")
        written += [folder / f"{name}.parquet", folder / f"{name}.csv"]
    return written

