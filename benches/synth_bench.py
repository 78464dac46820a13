"""Generation benchmark: rows/s and peak memory of `apsp synth`.

Not a test: it prints figures. Runs `apsp synth` for a force of N officers over D days
(default 5,000 x 365) as CSV and as Parquet, each in a fresh process, and reports wall
time, rows written (all tables), rows/s, bytes written and the child's peak RSS.
Memory is bounded by design (officers are written one after another; Parquet in row
groups of 256 Ki rows), so peak RSS should not grow with the number of days.

    make bench
    python benches/synth_bench.py --officers 5000 --days 365
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
APSP = Path(os.environ.get("APSP_BIN", REPO / "target" / "release" / "apsp"))


def run(officers: int, days: int, fmt: str, out: Path) -> tuple[float, float, int]:
    """Runs `apsp synth` in a child; returns (seconds, peak RSS MiB, rows written)."""
    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    r = subprocess.run(
        # The clean force, as the figures in benches/README.md were measured.
        [str(APSP), "synth", "--realism", "clean", "--officers", str(officers),
         "--days", str(days), "--seed", "1", "--format", fmt, "--out", str(out)],
        capture_output=True, text=True,
    )
    secs = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit(f"apsp synth failed: {r.stderr}")
    rows = int(re.search(r": (\d+) rows", r.stdout).group(1))
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return secs, peak, rows


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--officers", type=int, default=5000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--data", type=Path, default=REPO / "target" / "bench-data")
    args = ap.parse_args()
    print(f"apsp: {APSP}")
    print(
        f"{'format':<8} {'officers':>8} {'days':>5} {'rows':>12} {'MiB':>7} {'seconds':>8} "
        f"{'rows/s':>12} {'peak MiB':>9}"
    )
    for fmt in ("csv", "parquet"):
        out = args.data / f"synth-{args.officers}x{args.days}-{fmt}"
        # Each format in its own child so peak RSS is its own (RUSAGE_CHILDREN is a max).
        code = (
            f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
            "import synth_bench as b; from pathlib import Path; "
            f"print(repr(b.run({args.officers}, {args.days}, {fmt!r}, Path({str(out)!r}))))"
        )
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        secs, peak, rows = eval(r.stdout.strip().splitlines()[-1])
        size = sum(f.stat().st_size for f in out.iterdir()) / 2**20
        print(
            f"{fmt:<8} {args.officers:>8,} {args.days:>5} {rows:>12,} {size:>7.0f} "
            f"{secs:>8.2f} {rows / secs:>12,.0f} {peak:>9.0f}"
        )


if __name__ == "__main__":
    main()
