"""Nightly store benchmark: one new day on a store that holds a year, against one
`apsp score` over the same year from the raw exports.

Not a test: it prints figures. Generates (or reuses) a force of N officers over D
days, splits it into the year but its last day (the store's history) and the last day
(tonight's delivery, with the reference tables again), then times, each in a fresh
process: `apsp score` over the whole force; `apsp nightly` taking the history into a
new store; and `apsp nightly` taking the last day. Wall time and the process's peak
RSS (from wait4).

The default force is what a force's systems export: the generator's `real-town`
preset as CSV (naive local times, numbers written several ways, stops in every
street). `--realism clean --format parquet` is the convenient force earlier figures
used: typed Parquet needs less validation, so the store saves less on it.

    python benches/nightly_bench.py --officers 5000 --days 365
    python benches/nightly_bench.py --realism clean --format parquet

`--reuse-store` keeps the store as it was before the last night (a copy beside it) and
times only the score and that night again: for measuring a change to the night.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parent.parent
APSP = Path(os.environ.get("APSP_BIN", REPO / "target" / "release" / "apsp"))
EVENT_TIMES = {"billing": "started_at", "stops": "arrived_at", "access_log": "at",
               "deployments": "start", "shifts": "start", "complaints": "received_at"}


def timed(args: list[str]) -> tuple[float, float]:
    """Runs the apsp command in a child; returns (seconds, peak RSS MiB). With
    `--timings`, prints its stage seconds."""
    t0 = time.perf_counter()
    p = subprocess.Popen([str(APSP), *args], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(p.pid, 0)
    secs = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    err = p.stderr.read() if p.stderr else ""
    if code not in (0, 1):
        sys.exit(f"apsp {' '.join(args)} failed ({code}): {err}")
    if "--timings" in args:
        print(f"apsp {args[0]} stages:")
        print("".join(line + "\n" for line in err.splitlines() if line.startswith("  ")))
    return secs, usage.ru_maxrss / 1024


def day_of(column: str) -> pl.Expr:
    """The local day (YYYY-MM-DD) of a time column, typed or written as text (the
    generator's CSV writes `2026-01-08T09:39:00` or `2026-01-08 09:39:00`)."""
    return pl.col(column).cast(pl.String).str.slice(0, 10)


def read(f: Path) -> pl.DataFrame:
    if f.suffix == ".csv":
        return pl.read_csv(f, infer_schema=False)
    return pl.read_parquet(f)


def write(df: pl.DataFrame, f: Path) -> None:
    if f.suffix == ".csv":
        df.write_csv(f)
    else:
        df.write_parquet(f)


def split(force: Path, history: Path, tonight: Path) -> tuple[int, int]:
    """Writes the force but its last day into `history`, the last day and the reference
    tables into `tonight`; returns the rows of each. The last day is billing's (a
    vehicle whose clock is years out would put the cut in the future)."""
    for d in (history, tonight):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
    files = sorted(f for f in force.iterdir() if f.suffix in (".csv", ".parquet"))
    billing = next(f for f in files if f.stem == "billing")
    cut = read(billing).select(day_of("started_at").max()).item()
    rows = [0, 0]
    for f in files:
        if f.stem in ("labels", "injected_errors"):
            continue
        if f.stem not in EVENT_TIMES:
            shutil.copy(f, history / f.name)
            shutil.copy(f, tonight / f.name)
            continue
        df = read(f)
        day = day_of(EVENT_TIMES[f.stem])
        before = df.filter(day < cut)
        after = df.filter(day >= cut)
        write(before, history / f.name)
        write(after, tonight / f.name)
        rows[0] += before.height
        rows[1] += after.height
    return rows[0], rows[1]


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--officers", type=int, default=5000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--realism", default="real-town", choices=["real-town", "rural", "clean"])
    ap.add_argument("--format", default="csv", choices=["csv", "parquet"])
    ap.add_argument("--data", type=Path, default=REPO / "target" / "bench-data")
    ap.add_argument("--reuse-store", action="store_true",
                    help="start the last night from the store kept by an earlier run")
    args = ap.parse_args()
    work = args.data / f"nightly-{args.officers}x{args.days}-{args.realism}-{args.format}"
    force = work / "force"
    if not (force / f"billing.{args.format}").exists():
        shutil.rmtree(force, ignore_errors=True)
        subprocess.run(
            [str(APSP), "synth", "--realism", args.realism, "--officers", str(args.officers),
             "--days", str(args.days), "--seed", "1", "--format", args.format,
             "--out", str(force)],
            check=True, stdout=subprocess.DEVNULL,
        )
    store, kept = work / "store", work / "store-before-last-night"
    reuse = args.reuse_store and kept.is_dir()
    if not reuse:
        history_rows, tonight_rows = split(force, work / "history", work / "tonight")
        print(f"apsp: {APSP}; {args.realism} force as {args.format}, {args.officers} officers"
              f" x {args.days} days: {history_rows:,} event rows of history,"
              f" {tonight_rows:,} tonight")
    full = timed(["score", str(force), "--out", str(work / "scored"), "--overwrite"])
    runs = [("apsp score, the whole year from the exports", full)]
    shutil.rmtree(store, ignore_errors=True)
    if reuse:
        shutil.copytree(kept, store)
    else:
        first = timed(["nightly", "--store", str(store), "--incoming", str(work / "history")])
        runs.append(("apsp nightly, the year but a day into a new store", first))
        shutil.rmtree(kept, ignore_errors=True)
        shutil.copytree(store, kept)
    os.sync()  # the copy's writes, not the night's, would be timed otherwise
    night = timed(["nightly", "--store", str(store), "--incoming", str(work / "tonight"),
                   "--timings"])
    runs.append(("apsp nightly, one new day on the store", night))
    print(f"{'run':<50} {'seconds':>8} {'peak MiB':>9} {'vs score':>9}")
    for name, (secs, peak) in runs:
        print(f"{name:<50} {secs:>8.1f} {peak:>9,.0f} {secs / full[0]:>8.0%}")


if __name__ == "__main__":
    main()
