"""Fit a risk matrix on generated forces and evaluate it on held-out forces.

Generates forces with `apsp.synth.generate` (seeds 1–5 with the real-town realism, and
seeds 4–5 again with another realism setting), fits the weights on seeds 1–3 with
`apsp.research.fit`, and evaluates the fitted matrix and the default matrix side by
side (`apsp.research.compare`, paired bootstrap) on seeds 4–5 of each setting. Prints
markdown tables. Synthetic labels are not real outcomes: the figures say how the fit
behaves, not how the matrix would do on a real force.

    python scripts/research_holdout.py --officers 2000 --days 365 --plant-rate 0.01
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from pathlib import Path

import polars as pl

import apsp
import apsp.research as research

REPO = Path(__file__).resolve().parent.parent


def force(root: Path, seed: int, realism: str, a: argparse.Namespace) -> tuple[Path, Path]:
    """The force's folder and its labels file (generated once, then reused)."""
    folder = root / f"{realism}-{a.officers}x{a.days}-rate{a.plant_rate:g}-seed{seed}"
    labels = folder.parent / f"{folder.name}.labels.parquet"
    if not labels.exists():
        frame = apsp.synth.generate(
            folder, officers=a.officers, days=a.days, seed=seed, realism=realism,
            plant_rate=a.plant_rate, format="parquet",
        )
        (folder / "labels.parquet").unlink(missing_ok=True)
        research.synthetic_labels(frame).write_parquet(labels)
    return folder, labels


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--officers", type=int, default=2000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--plant-rate", type=float, default=0.01)
    ap.add_argument("--train", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--test", type=int, nargs="+", default=[4, 5])
    ap.add_argument("--other-realism", default="rural")
    ap.add_argument("--n-boot", type=int, default=1000)
    ap.add_argument("--data", type=Path, default=REPO / "target" / "research-data")
    ap.add_argument("--out", type=Path, help="write the fitted matrix here")
    a = ap.parse_args()
    key = os.environ.get(research.KEY_ENV) or "holdout script key, not a secret"
    warnings.simplefilter("ignore", apsp.CoverageWarning)
    t0 = time.perf_counter()
    train = [force(a.data, s, "real-town", a) for s in a.train]
    results = [apsp.score(f, progress=False) for f, _ in train]
    fitted = research.fit(results, [lab for _, lab in train], key=key)
    print(f"fitted on seeds {a.train} in {time.perf_counter() - t0:.0f} s; "
          f"data sha256 {fitted.data_sha256[:16]}\n")
    print(_markdown(fitted.weights))
    print()
    print(_markdown(fitted.cross_validation))
    if a.out:
        fitted.save(a.out)
    for realism in ("real-town", a.other_realism):
        for seed in a.test:
            folder, labels = force(a.data, seed, realism, a)
            c = research.compare("default", fitted.matrix, folder, labels, key=key,
                                 n_boot=a.n_boot, progress=False)
            n_pos = int(pl.read_parquet(labels)["outcome"].sum())
            alerting = pl.col("tier_a").is_in(["high", "medium"]), pl.col("tier_b").is_in(
                ["high", "medium"])
            up = c.tier_changes.filter(~alerting[0] & alerting[1]).height
            down = c.tier_changes.filter(alerting[0] & ~alerting[1]).height
            print(f"\n### held out: seed {seed}, {realism} ({a.officers} officers, "
                  f"{n_pos} substantiated; {c.tier_changes.height} change tier, of whom "
                  f"{up} rise to medium or high and {down} fall below it)\n")
            print(_markdown(c.metrics.select(
                "metric",
                pl.format("{} ({}–{})", *(pl.col(x).round(3) for x in
                                          ("a", "a_ci_low", "a_ci_high"))).alias("default"),
                pl.format("{} ({}–{})", *(pl.col(x).round(3) for x in
                                          ("b", "b_ci_low", "b_ci_high"))).alias("fitted"),
                pl.format("{} ({}–{})", *(pl.col(x).round(3) for x in
                                          ("difference", "ci_low", "ci_high")))
                .alias("fitted − default"),
            )))
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")


def _markdown(frame: pl.DataFrame) -> str:
    def cell(v: object) -> str:
        return f"{v:.3f}" if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(frame.columns) + " |",
             "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.iter_rows()]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
