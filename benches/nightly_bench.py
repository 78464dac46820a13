"""Nightly store benchmark: one new day on a store that holds a year, against one
`apsp score` over the same year from the raw exports.

Not a test: it prints figures. Generates (or reuses) a Parquet force of N officers
over D days, splits it into the year but its last day (the store's history) and the
last day (tonight's delivery, with the reference tables again), then times, each in a
fresh process: `apsp score` over the whole force; `apsp nightly` taking the history
into a new store; and `apsp nightly` taking the last day. Wall time and the process's
peak RSS (from wait4).

    python benches/nightly_bench.py --officers 5000 --days 365
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
    """Runs the apsp command in a child; returns (seconds, peak RSS MiB)."""
    t0 = time.perf_counter()
    p = subprocess.Popen([str(APSP), *args], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(p.pid, 0)
    secs = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        sys.exit(f"apsp {' '.join(args)} failed ({code}): {p.stderr.read() if p.stderr else ''}")
    return secs, usage.ru_maxrss / 1024


def split(force: Path, history: Path, tonight: Path) -> tuple[int, int]:
    """Writes the force but its last day into `history`, the last day and the reference
    tables into `tonight`; returns the rows of each."""
    for d in (history, tonight):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
    last = max(
        pl.scan_parquet(force / f"{t}.parquet").select(pl.col(c).max()).collect().item()
        for t, c in EVENT_TIMES.items() if t in ("billing", "stops", "access_log")
    )
    cut = last.replace(hour=0, minute=0, second=0, microsecond=0)
    rows = [0, 0]
    for f in sorted(force.glob("*.parquet")):
        if f.stem in ("labels", "injected_errors"):
            continue
        if f.stem not in EVENT_TIMES:
            shutil.copy(f, history / f.name)
            shutil.copy(f, tonight / f.name)
            continue
        df = pl.read_parquet(f)
        before = df.filter(pl.col(EVENT_TIMES[f.stem]) < cut)
        after = df.filter(pl.col(EVENT_TIMES[f.stem]) >= cut)
        before.write_parquet(history / f.name)
        after.write_parquet(tonight / f.name)
        rows[0] += before.height
        rows[1] += after.height
    return rows[0], rows[1]


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--officers", type=int, default=5000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--data", type=Path, default=REPO / "target" / "bench-data")
    args = ap.parse_args()
    work = args.data / f"nightly-{args.officers}x{args.days}"
    force = work / "force"
    if not (force / "billing.parquet").exists():
        shutil.rmtree(force, ignore_errors=True)
        subprocess.run(
            [str(APSP), "synth", "--realism", "clean", "--officers", str(args.officers),
             "--days", str(args.days), "--seed", "1", "--format", "parquet",
             "--out", str(force)],
            check=True, stdout=subprocess.DEVNULL,
        )
    history_rows, tonight_rows = split(force, work / "history", work / "tonight")
    print(f"apsp: {APSP}; force {args.officers} officers x {args.days} days: "
          f"{history_rows:,} event rows of history, {tonight_rows:,} tonight")
    full = timed(["score", str(force), "--out", str(work / "scored"), "--overwrite"])
    store = work / "store"
    shutil.rmtree(store, ignore_errors=True)
    first = timed(["nightly", "--store", str(store), "--incoming", str(work / "history")])
    night = timed(["nightly", "--store", str(store), "--incoming", str(work / "tonight")])
    print(f"{'run':<46} {'seconds':>8} {'peak MiB':>9} {'vs score':>9}")
    for name, (secs, peak) in [
        ("apsp score, the whole year from the exports", full),
        ("apsp nightly, the year but a day into a new store", first),
        ("apsp nightly, one new day on the store", night),
    ]:
        print(f"{name:<46} {secs:>8.1f} {peak:>9,.0f} {secs / full[0]:>8.0%}")


if __name__ == "__main__":
    main()
