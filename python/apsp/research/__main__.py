"""The research toolkit on the command line (also ``apsp evaluate|fit|compare``).

    python -m apsp.research evaluate SCORED_DIR --labels FILE [--out DIR]
    python -m apsp.research fit DATASET [DATASET ...] --labels FILE [FILE ...] --out M.toml
                            [--tables DIR]
    python -m apsp.research compare MATRIX_A MATRIX_B DATASET --labels FILE [--out DIR]

Results are written as Parquet and CSV and printed as tables. The pseudonymisation key
(for fit's scores and compare's tier changes) is read from ``APSP_RESEARCH_KEY`` or
``--key-env VAR``; no officer, person or number is printed in clear.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from .._apsp import ApspError
from ..matrix import RiskMatrix
from ..scoring import score
from . import KEY_ENV, ResearchError, compare, evaluate, fit
from ._labels import write_frames


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--labels", type=Path, nargs="+", required=True,
                   help="labels (CSV or Parquet): officer_id, outcome, optional category")
    p.add_argument("--n-boot", type=int, default=1000, help="bootstrap resamples (1000)")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (0)")
    p.add_argument("--level", type=float, default=0.95, help="interval level (0.95)")
    p.add_argument("--unlabelled", choices=("negative", "drop"), default="negative",
                   help="officers without a label: not substantiated (default), or left out")
    p.add_argument("--key-env", default=KEY_ENV,
                   help=f"environment variable holding the pseudonymisation key ({KEY_ENV})")


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="apsp", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    ev = sub.add_parser("evaluate", help="metrics of a scored run against labelled outcomes")
    ev.add_argument("scored_dir", type=Path, help="an `apsp score --out` folder")
    ev.add_argument("--out", type=Path, help="write metrics, by_role, by_category, "
                    "calibration (Parquet and CSV) here")
    _common(ev)
    fi = sub.add_parser("fit", help="fit the warning signs' weights; write a risk matrix")
    fi.add_argument("datasets", type=Path, nargs="+", help="dataset folders, one per force")
    fi.add_argument("--out", type=Path, required=True, help="the fitted matrix (TOML)")
    fi.add_argument("--matrix", type=Path, help="base matrix (default: the shipped one)")
    fi.add_argument("--tables", type=Path, help="also write weights, cross_validation and "
                    "scores (pseudonymised) here, as Parquet and CSV")
    fi.add_argument("--points", action="store_true", help="round weights to whole points")
    fi.add_argument("--folds", type=int, default=5, help="cross-validation folds (5)")
    _common(fi)
    co = sub.add_parser("compare", help="two risk matrices side by side on one force")
    co.add_argument("matrix_a", type=Path, help="a risk matrix TOML, or `default`")
    co.add_argument("matrix_b", type=Path, help="a risk matrix TOML, or `default`")
    co.add_argument("dataset", type=Path)
    co.add_argument("--out", type=Path, help="write metrics and tier_changes here")
    _common(co)
    return ap


def _key(var: str) -> str:
    import os

    key = os.environ.get(var)
    if not key:
        raise ResearchError(
            f"set {var} to the researcher's pseudonymisation key (at least 16 bytes): "
            "research outputs name officers only by pseudonym"
        )
    return key


def _print(frame: pl.DataFrame) -> None:
    with pl.Config(tbl_rows=60, tbl_cols=12, tbl_hide_dataframe_shape=True,
                   float_precision=3, tbl_width_chars=120):
        print(frame)


def _one_labels_file(a: argparse.Namespace) -> Path:
    if len(a.labels) != 1:
        raise ResearchError(f"{a.command} reads one labels file, not {len(a.labels)}")
    path: Path = a.labels[0]
    return path


def _evaluate(a: argparse.Namespace) -> int:
    officers = pl.read_parquet(a.scored_dir / "officers.parquet")
    ev = evaluate(officers, _one_labels_file(a), n_boot=a.n_boot, seed=a.seed, level=a.level,
                  unlabelled=a.unlabelled)
    _print(ev.metrics.select("metric", "value", "ci_low", "ci_high"))
    if a.out:
        ev.write(a.out)
        print(f"wrote metrics, by_role, by_category and calibration to {a.out}")
    return 0


def _fit(a: argparse.Namespace) -> int:
    base = RiskMatrix.load(a.matrix) if a.matrix else RiskMatrix.default()
    if len(a.labels) not in (1, len(a.datasets)):
        raise ResearchError(f"{len(a.datasets)} datasets: give one labels file, or one each")
    labels = a.labels[0] if len(a.labels) == 1 else a.labels
    key = _key(a.key_env)
    results = [score(d, matrix=base, progress=False) for d in a.datasets]
    f = fit(results, labels, key=key, matrix=base, points=a.points,
            folds=a.folds, seed=a.seed, unlabelled=a.unlabelled)
    _print(f.weights)
    _print(f.cross_validation)
    f.save(a.out)
    print(f"wrote the fitted matrix to {a.out} (data sha256 {f.data_sha256[:16]})")
    if a.tables:
        write_frames(a.tables, {"weights": f.weights, "cross_validation": f.cross_validation,
                                "scores": f.scores})
        print(f"wrote weights, cross_validation and scores to {a.tables}")
    return 0


def _compare(a: argparse.Namespace) -> int:
    c = compare(a.matrix_a, a.matrix_b, a.dataset, _one_labels_file(a), key=_key(a.key_env),
                n_boot=a.n_boot, seed=a.seed, level=a.level, unlabelled=a.unlabelled,
                progress=False)
    _print(c.metrics.select("metric", "a", "b", "difference", "ci_low", "ci_high"))
    print(f"{c.tier_changes.height} officer(s) change tier")
    if a.out:
        c.write(a.out)
        print(f"wrote metrics and tier_changes to {a.out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; exit 0, or 2 with the reason on standard error."""
    a = _parser().parse_args(argv)
    run = {"evaluate": _evaluate, "fit": _fit, "compare": _compare}[a.command]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            return run(a)
    except ApspError as e:
        # The engine's messages can quote a file's cells; research output names no one.
        print(
            f"error: the data could not be read or scored ({type(e).__name__}); run "
            "`apsp validate` on it for the file, line and reason",
            file=sys.stderr,
        )
        return 2
    except (ResearchError, FileNotFoundError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
