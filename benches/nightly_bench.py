"""Nightly store benchmark: one new day on a store that holds a year, against one
`apsp score` over the same year from the raw exports.

Not a test: it prints figures. Generates (or reuses) a force of N officers over D
days, splits it into the year but its last day (the store's history) and the last day
(tonight's delivery, with the reference tables again: the history's are as of the
night before, so tonight's differ as a real night's do), then times, each in a fresh
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
from typing import NamedTuple

import polars as pl

REPO = Path(__file__).resolve().parent.parent
APSP = Path(os.environ.get("APSP_BIN", REPO / "target" / "release" / "apsp"))
EVENT_TIMES = {"billing": "started_at", "stops": "arrived_at", "access_log": "at",
               "deployments": "start", "shifts": "start", "complaints": "received_at"}


class Run(NamedTuple):
    seconds: float
    peak_mib: float
    user: float
    kernel: float


def timed(args: list[str]) -> Run:
    """Runs the apsp command in a child; returns its wall seconds, peak RSS and CPU
    seconds in user space and in the kernel (on a virtual machine, first touching
    memory is slow: the kernel's share shows it). With `--timings`, prints its stage
    seconds."""
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
    return Run(secs, usage.ru_maxrss / 1024, usage.ru_utime, usage.ru_stime)


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


def as_of(tables: dict[str, pl.DataFrame], cut: str) -> dict[str, pl.DataFrame]:
    """The reference tables as a force's systems would have exported them the night
    before `cut`: no case opened, phone issued or vehicle assigned on or after it, no
    closing, hand-over or phone's return recorded yet, and no record of a person who
    first comes into a case then. Tonight's snapshot then differs from the history's,
    as a real night's does, so the night validates and keeps it again."""
    out = dict(tables)
    links = tables.get("case_links")
    if links is not None:
        later = day_of("opened_at") >= cut
        kept = links.filter(~later).with_columns(
            pl.when(day_of(c) >= cut).then(None).otherwise(pl.col(c)).alias(c)
            for c in ("closed_at", "officer_until")
        )
        out["case_links"] = kept
        newcomers = links.filter(later).select("person_id").unique().join(
            kept.select("person_id").unique(), on="person_id", how="anti")
        for t in ("persons", "person_numbers"):
            if t in tables:
                out[t] = tables[t].join(newcomers, on="person_id", how="anti")
    for t, to in (("vehicle_assignments", None), ("devices", "valid_to")):
        if t not in tables:
            continue
        df = tables[t].filter((day_of("valid_from") < cut) | pl.col("valid_from").is_null())
        if to is not None:
            df = df.with_columns(
                pl.when(day_of(to) >= cut).then(None).otherwise(pl.col(to)).alias(to))
        out[t] = df
    return out


def split(force: Path, history: Path, tonight: Path) -> tuple[int, int]:
    """Writes the force but its last day into `history`, the last day and the reference
    tables into `tonight`; returns the rows of each. The last day is billing's (a
    vehicle whose clock is years out would put the cut in the future). The history's
    reference tables are as of the night before (see `as_of`)."""
    for d in (history, tonight):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
    files = sorted(f for f in force.iterdir() if f.suffix in (".csv", ".parquet"))
    billing = next(f for f in files if f.stem == "billing")
    cut = read(billing).select(day_of("started_at").max()).item()
    rows = [0, 0]
    reference = {f.stem: f for f in files
                 if f.stem not in EVENT_TIMES and f.stem not in ("labels", "injected_errors")}
    before_cut = as_of({t: read(f) for t, f in reference.items()}, cut)
    for t, f in reference.items():
        write(before_cut[t], history / f.name)
        shutil.copy(f, tonight / f.name)
    for f in files:
        if f.stem in ("labels", "injected_errors") or f.stem in reference:
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
    print(f"{'run':<50} {'seconds':>8} {'peak MiB':>9} {'vs score':>9}"
          f" {'CPU user':>9} {'kernel':>7}")
    for name, r in runs:
        print(f"{name:<50} {r.seconds:>8.1f} {r.peak_mib:>9,.0f}"
              f" {r.seconds / full.seconds:>8.0%} {r.user:>9.1f} {r.kernel:>7.1f}")


if __name__ == "__main__":
    main()
