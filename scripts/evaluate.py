"""Evaluate a risk matrix on generated forces: where do planted and decoy officers rank?

Generates (or reuses) synthetic forces with `apsp synth`, scores them with `apsp score`
and reports, per seed, each labelled officer's rank and tier, whether the planted pairs
fired their labelled warning signs, and overall recall at 1% and 5% of officers
flagged, ROC AUC and average precision (planted = positive, every other officer =
negative; case study 4, a documented blind spot, is reported but not counted).

    python scripts/evaluate.py --officers 2000 --days 365 --seeds 1 2 3 4 5
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parent.parent
APSP = Path(os.environ.get("APSP_BIN", REPO / "target" / "release" / "apsp"))


def run(cmd: list[str]) -> None:
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode > 1:
        sys.exit(f"{' '.join(cmd)} failed:\n{r.stdout}\n{r.stderr}")


def roc_auc(scores: list[float], labels: list[bool]) -> float:
    pos = [s for s, is_pos in zip(scores, labels, strict=True) if is_pos]
    neg = [s for s, is_pos in zip(scores, labels, strict=True) if not is_pos]
    if not pos or not neg:
        return float("nan")
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def average_precision(scores: list[float], labels: list[bool]) -> float:
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    hits, total, ap = 0, sum(labels), 0.0
    for k, i in enumerate(order, 1):
        if labels[i]:
            hits += 1
            ap += hits / k
    return ap / total if total else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--officers", type=int, default=2000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    ap.add_argument("--matrix", type=Path)
    ap.add_argument(
        "--format", choices=["parquet", "csv"], default="parquet",
        help="csv: naive local times and phone numbers in mixed writings, as real exports",
    )
    ap.add_argument(
        "--inject-errors", type=float, default=0.0, metavar="RATE",
        help="share of background rows written broken (or twice); "
        "they must be quarantined, not scored",
    )
    ap.add_argument("--data", type=Path, default=REPO / "target" / "eval")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    all_scores: list[float] = []
    all_labels: list[bool] = []
    failures: list[str] = []
    fired_total = fired_hit = 0
    for seed in args.seeds:
        tag = f"{args.officers}x{args.days}-s{seed}"
        if args.format != "parquet":
            tag += f"-{args.format}"
        if args.inject_errors:
            tag += f"-e{args.inject_errors:g}"
        data = args.data / f"force-{tag}"
        if not (data / "labels.parquet").exists():
            run([str(APSP), "synth", "--officers", str(args.officers), "--days", str(args.days),
                 "--seed", str(seed), "--format", args.format,
                 "--inject-errors", str(args.inject_errors), "--out", str(data)])
        out = args.data / f"scored-{tag}"
        cmd = [str(APSP), "score", str(data), "--out", str(out)]
        if args.matrix:
            cmd += ["--matrix", str(args.matrix)]
        run(cmd)
        officers = pl.read_parquet(out / "officers.parquet")
        if args.inject_errors:
            # Every row broken on purpose must be in quarantine (duplicates counted apart).
            injected = pl.read_parquet(data / "injected_errors.parquet")
            quarantined = pl.read_parquet(out / "quarantine.parquet").height
            want = injected.filter(pl.col("reason") != "duplicate").height
            if quarantined != want:
                failures.append(
                    f"seed {seed}: {quarantined} rows quarantined, {want} broken on purpose"
                )
            if not args.quiet:
                print(f"seed {seed}: {quarantined} rows quarantined ({want} broken on purpose)")
        signals = pl.read_parquet(out / "signals.parquet")
        labels = pl.read_parquet(data / "labels.parquet")
        n = officers.height
        top1 = max(1, round(n * 0.01))
        lab = labels.join(
            officers.select("officer_id", "rank", "score", "tier", "style"), on="officer_id"
        )
        if not args.quiet:
            print(f"seed {seed}: {n} officers, top 1% = rank <= {top1}")
        for row in lab.sort("rank").iter_rows(named=True):
            expected = [s for s in row["expected_signals"].split(";") if s]
            subjects = [s for s in row["subjects"].split(";") if s]
            fired = set(
                signals.filter(
                    (pl.col("officer_id") == row["officer_id"])
                    & (pl.col("status") == "fired")
                    & (pl.col("subject_id").is_in(subjects) | pl.col("subject_id").is_null())
                )["signal"].to_list()
            )
            hit = [s for s in expected if s in fired]
            if row["kind"] == "planted" and row["detectable"]:
                fired_total += len(expected)
                fired_hit += len(hit)
            ok = (row["rank"] <= top1) if row["kind"] == "planted" else (row["rank"] > top1)
            if row["kind"] == "planted" and not row["detectable"]:
                ok = True
            if not ok:
                failures.append(f"seed {seed} {row['scenario']} rank {row['rank']}")
            if not args.quiet:
                missing = [s for s in expected if s not in fired]
                print(
                    f"  {'ok ' if ok else 'BAD'} {row['scenario']:<24} {row['kind']:<8} "
                    f"rank {row['rank']:>5} score {row['score']:7.2f} {row['tier']:<6} "
                    f"style {row['style'] or '-':<12} signs {len(hit)}/{len(expected)}"
                    f"{' missing ' + ','.join(missing) if missing else ''}"
                )
        is_planted = pl.col("kind") == "planted"
        planted = set(labels.filter(is_planted & pl.col("detectable"))["officer_id"])
        undetectable = set(labels.filter(is_planted & ~pl.col("detectable"))["officer_id"])
        for row in officers.iter_rows(named=True):
            if row["officer_id"] in undetectable:
                continue
            all_scores.append(row["score"] + seed * 0.0)
            all_labels.append(row["officer_id"] in planted)
        if not args.quiet:
            top = officers.head(10).iter_rows(named=True)
            print("  top 10:", ", ".join(f"{r['officer_id']}({r['score']:.1f})" for r in top))
    # Recall at 1% / 5% per seed pooled: rank-based within each seed is what matters;
    # pooled scores are comparable because the matrix is the same.
    order = sorted(range(len(all_scores)), key=lambda i: -all_scores[i])
    pos = sum(all_labels)
    def recall_at(frac: float) -> float:
        k = max(1, round(len(order) * frac))
        return sum(all_labels[i] for i in order[:k]) / pos if pos else float("nan")
    print(f"officers {len(all_scores)}, planted (detectable) {pos}")
    print(f"recall at 1%: {recall_at(0.01):.3f}; at 5%: {recall_at(0.05):.3f}; "
          f"ROC AUC {roc_auc(all_scores, all_labels):.4f}; "
          f"average precision {average_precision(all_scores, all_labels):.3f}")
    print(f"labelled warning signs fired on planted pairs: {fired_hit}/{fired_total} "
          f"({100 * fired_hit / max(fired_total, 1):.1f}%)")
    print("failures:", "; ".join(failures) if failures else "none")


if __name__ == "__main__":
    main()
