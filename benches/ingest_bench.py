"""Ingestion benchmark: rows/s and peak memory of `apsp validate` on a large billing table.

Not a test: it prints figures. Generates (once, cached under target/bench-data/) a
dataset whose billing table has N rows (default 10 million) as CSV and as Parquet, with
the mixed phone-number writings and naive local timestamps real exports have, then
times `apsp validate` on each in a fresh process and reads the child's peak RSS.

    make bench                       # 10 M rows
    python benches/ingest_bench.py --rows 1000000
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parent.parent
APSP = Path(os.environ.get("APSP_BIN", REPO / "target" / "release" / "apsp"))


def generate(out: Path, rows: int, officers: int = 5000, seed: int = 7) -> None:
    """Writes officers, devices and billing (CSV and Parquet) for `rows` billing rows."""
    csv_dir, pq_dir = out / "csv", out / "parquet"
    for d in (csv_dir, pq_dir):
        d.mkdir(parents=True, exist_ok=True)
    off = pl.DataFrame(
        {
            "officer_id": [f"PC{i:05d}" for i in range(officers)],
            "role": ["PC"] * officers,
        }
    )
    dev = pl.DataFrame(
        {
            "device_number": [f"077009{i:05d}" for i in range(officers)],
            "officer_id": off["officer_id"],
        }
    )
    for d in (csv_dir, pq_dir):
        off.write_csv(d / "officers.csv")
        dev.write_csv(d / "devices.csv")
    # Vectorised generation: numbers in four writings, naive local times over a year.
    idx = pl.int_range(0, rows, eager=True, dtype=pl.Int64).alias("i")
    h = (idx * 2654435761) % 4294967296  # cheap deterministic hash
    other = h % 200_000
    writing = (h // 7) % 4
    digits = pl.format("791{}", pl.col("other").cast(pl.String).str.zfill(7))
    df = (
        pl.DataFrame({"i": idx, "h": h, "other": other, "writing": writing})
        .with_columns(
            record_id=pl.format("CDR{}", pl.col("i")),
            device_number=pl.format(
                "077009{}", (pl.col("h") % officers).cast(pl.String).str.zfill(5)
            ),
            other_number=pl.when(pl.col("writing") == 0)
            .then(pl.format("0{}", digits))
            .when(pl.col("writing") == 1)
            .then(pl.format("+44 {}", digits))
            .when(pl.col("writing") == 2)
            .then(pl.format("0044-{}", digits))
            .otherwise(pl.format("+44 (0){}", digits)),
            direction=pl.when(pl.col("h") % 3 == 0).then(pl.lit("in")).otherwise(pl.lit("out")),
            kind=pl.when(pl.col("h") % 5 == 0).then(pl.lit("sms")).otherwise(pl.lit("call")),
        )
    )
    df = df.with_columns(
        started_at=pl.datetime(2025, 1, 1) + pl.duration(seconds=pl.col("h") % (365 * 86400)),
        duration_s=pl.when(pl.col("kind") == "call").then(pl.col("h") % 900).otherwise(None),
    ).select(
        "record_id", "device_number", "other_number", "direction", "kind", "started_at",
        "duration_s",
    )
    # Naive local times in the spring-forward gap would be (rightly) quarantined; keep
    # them, as real exports have them: the benchmark then also exercises quarantine.
    naive = pl.col("started_at").dt.strftime("%Y-%m-%dT%H:%M:%S")
    df.with_columns(naive).write_csv(csv_dir / "billing.csv")
    df.write_parquet(pq_dir / "billing.parquet", compression="zstd")


def run(dataset: Path, out: Path) -> tuple[float, float, str]:
    """Runs `apsp validate` in a child; returns (seconds, peak RSS MiB, summary)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    r = subprocess.run(
        [str(APSP), "validate", str(dataset), "--out", str(out)], capture_output=True, text=True
    )
    secs = time.perf_counter() - t0
    if r.returncode > 1:
        sys.exit(f"apsp failed: {r.stderr}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the max over all children so far (KiB on Linux).
    return secs, max(peak, before) / 1024, r.stdout


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--data", type=Path, default=REPO / "target" / "bench-data")
    args = ap.parse_args()
    data = args.data / f"billing-{args.rows}"
    if not (data / "parquet" / "billing.parquet").exists():
        print(f"generating {args.rows:,} billing rows in {data} ...", flush=True)
        t0 = time.perf_counter()
        generate(data, args.rows)
        print(f"  generated in {time.perf_counter() - t0:.1f} s", flush=True)
    size_csv = (data / "csv" / "billing.csv").stat().st_size / 2**20
    size_pq = (data / "parquet" / "billing.parquet").stat().st_size / 2**20
    print(f"apsp: {APSP}")
    print(
        f"{'format':<8} {'rows':>12} {'file MiB':>9} {'seconds':>8} {'rows/s':>12} "
        f"{'peak MiB':>9}"
    )
    for fmt, size in (("csv", size_csv), ("parquet", size_pq)):
        out = args.data / f"out-{fmt}"
        shutil.rmtree(out, ignore_errors=True)
        # Each format in its own child so peak RSS is its own (RUSAGE_CHILDREN is a max).
        code = (
            f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
            "import ingest_bench as b; from pathlib import Path; "
            f"s, m, o = b.run(Path({str(data / fmt)!r}), Path({str(out)!r})); "
            "print(repr((s, m)))"
        )
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        secs, peak = eval(r.stdout.strip().splitlines()[-1])
        print(
            f"{fmt:<8} {args.rows:>12,} {size:>9.0f} {secs:>8.2f} {args.rows / secs:>12,.0f} "
            f"{peak:>9.0f}"
        )


if __name__ == "__main__":
    main()
