"""Evaluate a risk matrix on generated forces: where do planted and decoy officers rank?

Generates (or reuses) synthetic forces with `apsp synth`, scores them with `apsp score`
and reports, per seed, each labelled officer's rank and tier, whether the planted pairs
fired their labelled warning signs, and overall recall at 1% and 5% of officers
flagged, ROC AUC and average precision (planted = positive, every other officer =
negative; case study 4, a documented blind spot, is reported but not counted).

A failure is a planted officer below the top 1 %, a decoy in it, or a planted pattern
that rests on stops (`STOP_PATTERNS`) without `stop_near_home`. A
decoy in the top 1 % whose highest pair is not one of its decoy subjects is a remark,
not a failure: its background (e.g. a chance street check of a past victim of his, then
a call) ranks it, not the innocent pattern the decoy stands for; the remark names the
pair.

    python scripts/evaluate.py --officers 2000 --days 365 --seeds 1 2 3 4 5

`--synth-arg` settings apply to the clean force (stops at hotspots, every other setting
off), one shape at a time; `--synth-arg=--realism --synth-arg=real-town` evaluates the
generator's default force, with every shape at once.

With --grid it runs the same evaluation on forces generated under a grid of realism
settings (`apsp synth --stops`, `--households`, ... see docs/synthetic-force.md) and
prints one markdown table of the metrics per setting and one of every labelled officer's
ranks per setting:

    python scripts/evaluate.py --grid --officers 2000 --days 365 --seeds 1 2
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from apsp.research import _metrics as metrics

REPO = Path(__file__).resolve().parent.parent
APSP = Path(os.environ.get("APSP_BIN", REPO / "target" / "release" / "apsp"))


def run(cmd: list[str]) -> None:
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode > 1:
        sys.exit(f"{' '.join(cmd)} failed:\n{r.stdout}\n{r.stderr}")


def _ranked(scores: list[float], labels: list[bool]) -> metrics.Ranked:
    """Pooled officers from the highest score (ties in pooled order, as ids)."""
    ids = [f"{i:09d}" for i in range(len(scores))]
    return metrics.ranked(labels, scores, metrics.order_by_score(scores, ids))


def roc_auc(scores: list[float], labels: list[bool]) -> float:
    """As `apsp.research.evaluate` (equal to scikit-learn's roc_auc_score)."""
    return metrics.roc_auc(_ranked(scores, labels))


def average_precision(scores: list[float], labels: list[bool]) -> float:
    """As `apsp.research.evaluate` (equal to scikit-learn's average_precision_score)."""
    return metrics.average_precision(_ranked(scores, labels))


# The realism grid: (name, extra `apsp synth` arguments). The first is the historical
# default; each other row turns one realistic shape on (or a few that belong together).
# The planted patterns that rest on vehicle stops: visits near the subject's home are
# their main evidence (IOPC s.9: "stopped on four occasions"; s.11: visits two or three
# times a week; s.23: parked near the girl's home week after week; s.27: near the
# victim's home several times after the hand-over; the shark's visits after hand-over).
# Case study 8's two or three evening visits after closure are a side of a contact
# pattern (s.21): reported with its other labelled signs, not a failure when the place
# cannot tell them from patrol (docs/synthetic-force.md).
STOP_PATTERNS = {"case_study_2", "case_study_3", "case_study_9", "case_study_10", "shark"}

GRID: list[tuple[str, list[str]]] = [
    ("clean (hotspots)", []),
    ("town-wide", ["--stops", "town-wide"]),
    ("sparse-rural", ["--stops", "rural"]),
    ("town-wide+households+duplicates", [
        "--stops", "town-wide", "--households", "0.3", "--duplicate-persons", "0.03",
        "--shared-numbers", "0.02",
    ]),
    ("pooled-phones", ["--pooled-phones", "0.05"]),
    ("no-durations", ["--no-durations", "0.15"]),
    ("partial-rosters+overtime", ["--partial-rosters", "0.2", "--overtime", "0.1"]),
    ("stale-open-cases", ["--stale-cases", "0.05"]),
    ("clock-skew", ["--clock-skew", "0.01"]),
    ("latitude 58N", ["--latitude", "58"]),
    ("real-town (all; the default)", ["--realism", "real-town"]),
]


@dataclass
class Result:
    """One setting's evaluation over the seeds."""

    scores: list[float] = field(default_factory=list)
    labels: list[bool] = field(default_factory=list)
    # scenario -> kind and its rank per seed
    ranks: dict[str, list[int]] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    # Decoys in the top 1 % by a pair that is not their decoy pattern (background).
    remarks: list[str] = field(default_factory=list)
    fired_total: int = 0
    fired_hit: int = 0
    officers: int = 0

    def recall_at(self, frac: float) -> float:
        order = sorted(range(len(self.scores)), key=lambda i: -self.scores[i])
        pos = sum(self.labels)
        k = max(1, round(len(order) * frac))
        return sum(self.labels[i] for i in order[:k]) / pos if pos else float("nan")

    def roc_auc(self) -> float:
        return roc_auc(self.scores, self.labels)

    def average_precision(self) -> float:
        return average_precision(self.scores, self.labels)


def slug(synth_args: list[str]) -> str:
    """A folder-name tag for a list of synth arguments."""
    parts = [a.lstrip("-").replace(".", "p") for a in synth_args]
    return ("-" + "-".join(parts)) if parts else ""


def evaluate(args: argparse.Namespace, synth_args: list[str], quiet: bool) -> Result:
    res = Result()
    for seed in args.seeds:
        tag = f"{args.officers}x{args.days}-s{seed}"
        if args.format != "parquet":
            tag += f"-{args.format}"
        if args.inject_errors:
            tag += f"-e{args.inject_errors:g}"
        tag += slug(synth_args)
        data = args.data / f"force-{tag}"
        # Settings are relative to the clean force (one shape at a time), whatever the
        # generator's default (`real-town`): pass `--realism real-town` for that.
        base = [] if "--realism" in synth_args else ["--realism", "clean"]
        if not (data / "labels.parquet").exists():
            shutil.rmtree(data, ignore_errors=True)  # a generation cut short
            run([str(APSP), "synth", *base, "--officers", str(args.officers),
                 "--days", str(args.days), "--seed", str(seed), "--format", args.format,
                 "--inject-errors", str(args.inject_errors), "--out", str(data), *synth_args])
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
                res.failures.append(
                    f"seed {seed}: {quarantined} rows quarantined, {want} broken on purpose"
                )
            if not quiet:
                print(f"seed {seed}: {quarantined} rows quarantined ({want} broken on purpose)")
        signals = pl.read_parquet(out / "signals.parquet")
        best_pair = best_pairs(out)
        labels = pl.read_parquet(data / "labels.parquet")
        n = officers.height
        res.officers += n
        top1 = max(1, round(n * 0.01))
        lab = labels.join(
            officers.select("officer_id", "rank", "score", "tier", "style"), on="officer_id"
        )
        if not quiet:
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
                res.fired_total += len(expected)
                res.fired_hit += len(hit)
            res.ranks.setdefault(row["scenario"], []).append(row["rank"])
            res.kinds[row["scenario"]] = (
                row["kind"] if row["detectable"] or row["kind"] == "decoy" else "blind spot"
            )
            ok = (row["rank"] <= top1) if row["kind"] == "planted" else (row["rank"] > top1)
            if row["kind"] == "planted" and not row["detectable"]:
                ok = True
            remark = ""
            by = best_pair.get(row["officer_id"])
            if not ok and row["kind"] == "decoy" and subjects and by not in subjects:
                # The decoy's own pattern is not what ranks it: its background does (a
                # chance look-up of a past victim, then a call). Shown, not a decoy miss.
                ok = True
                remark = f" (ranked by background pair {by}, not its decoy pattern)"
                res.remarks.append(f"seed {seed} {row['scenario']} rank {row['rank']}{remark}")
            if not ok:
                res.failures.append(f"seed {seed} {row['scenario']} rank {row['rank']}")
            if (row["scenario"] in STOP_PATTERNS and "stop_near_home" in expected
                    and "stop_near_home" not in fired):
                # A planted pattern that rests on stops must fire the stop sign.
                ok = False
                res.failures.append(f"seed {seed} {row['scenario']} stop_near_home not fired")
            if not quiet:
                missing = [s for s in expected if s not in fired]
                print(
                    f"  {'ok ' if ok else 'BAD'} {row['scenario']:<24} {row['kind']:<8} "
                    f"rank {row['rank']:>5} score {row['score']:7.2f} {row['tier']:<6} "
                    f"style {row['style'] or '-':<12} signs {len(hit)}/{len(expected)}"
                    f"{' missing ' + ','.join(missing) if missing else ''}{remark}"
                )
        is_planted = pl.col("kind") == "planted"
        planted = set(labels.filter(is_planted & pl.col("detectable"))["officer_id"])
        undetectable = set(labels.filter(is_planted & ~pl.col("detectable"))["officer_id"])
        for row in officers.iter_rows(named=True):
            if row["officer_id"] in undetectable:
                continue
            res.scores.append(row["score"] + seed * 0.0)
            res.labels.append(row["officer_id"] in planted)
        if not quiet:
            top = officers.head(10).iter_rows(named=True)
            print("  top 10:", ", ".join(f"{r['officer_id']}({r['score']:.1f})" for r in top))
    return res


def best_pairs(out: Path) -> dict[str, str | None]:
    """Each officer's highest-scoring pair's subject (ties: the lowest subject id)."""
    pairs = pl.read_parquet(out / "pairs.parquet", columns=["officer_id", "subject_id", "score"])
    best = (pairs.sort(["officer_id", "score", "subject_id"], descending=[False, True, False])
            .group_by("officer_id", maintain_order=True).first())
    return dict(zip(best["officer_id"].to_list(), best["subject_id"].to_list(), strict=True))


def grid_tables(results: list[tuple[str, Result]], args: argparse.Namespace) -> str:
    """The grid as markdown: metrics per setting, then ranks per labelled officer."""
    seeds = " ".join(str(s) for s in args.seeds)
    top1 = max(1, round(args.officers * 0.01))
    lines = [
        f"Forces of {args.officers} officers x {args.days} days, seeds {seeds} "
        f"(top 1 % = rank <= {top1}); recall, ROC AUC and average precision pooled over "
        "the seeds (planted, detectable = positive).",
        "",
        "| setting | recall@1% | recall@5% | ROC AUC | avg precision | signs fired "
        "| failures | remarks |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results:
        lines.append(
            f"| {name} | {r.recall_at(0.01):.3f} | {r.recall_at(0.05):.3f} "
            f"| {r.roc_auc():.4f} | {r.average_precision():.3f} "
            f"| {r.fired_hit}/{r.fired_total} | {len(r.failures)} | {len(r.remarks)} |"
        )
    scenarios: dict[str, str] = {}
    for _, r in results:
        for sc, kind in r.kinds.items():
            scenarios.setdefault(sc, kind)
    order = sorted(scenarios, key=lambda s: (scenarios[s] == "decoy", scenarios[s], s))
    lines += [
        "",
        f"Rank of each labelled officer per setting (one per seed, `/`-separated; planted "
        f"should be <= {top1}, decoys above it; `*` marks a miss).",
        "",
        "| scenario | kind | " + " | ".join(name for name, _ in results) + " |",
        "|---|---|" + "---|" * len(results),
    ]
    for sc in order:
        kind = scenarios[sc]
        cells = []
        for _, r in results:
            ranks = r.ranks.get(sc)
            if not ranks:
                cells.append("-")
                continue
            def mark(k: int, kind: str = kind) -> str:
                bad = (k > top1) if kind == "planted" else (k <= top1 and kind == "decoy")
                return f"{k}{'*' if bad else ''}"
            cells.append("/".join(mark(k) for k in ranks))
        lines.append(f"| {sc} | {kind} | " + " | ".join(cells) + " |")
    notes = [f"- {name}: {f}" for name, r in results for f in r.failures]
    notes += [f"- {name}: {m}" for name, r in results for m in r.remarks]
    if notes:
        lines += ["", "Failures and remarks:", "", *notes]
    return "\n".join(lines)


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
    ap.add_argument(
        "--grid", action="store_true",
        help="evaluate every realism setting of the grid; print markdown tables",
    )
    ap.add_argument(
        "--synth-arg", action="append", default=[], metavar="ARG",
        help="extra argument for `apsp synth` (repeat; e.g. --synth-arg=--stops "
        "--synth-arg=town-wide)",
    )
    ap.add_argument("--data", type=Path, default=REPO / "target" / "eval")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    if args.grid:
        results = []
        for name, synth_args in GRID:
            print(f"== {name}", file=sys.stderr)
            results.append((name, evaluate(args, synth_args, quiet=True)))
        print(grid_tables(results, args))
        return
    res = evaluate(args, args.synth_arg, args.quiet)
    print(f"officers {len(res.scores)}, planted (detectable) {sum(res.labels)}")
    print(f"recall at 1%: {res.recall_at(0.01):.3f}; at 5%: {res.recall_at(0.05):.3f}; "
          f"ROC AUC {res.roc_auc():.4f}; "
          f"average precision {res.average_precision():.3f}")
    print(f"labelled warning signs fired on planted pairs: {res.fired_hit}/{res.fired_total} "
          f"({100 * res.fired_hit / max(res.fired_total, 1):.1f}%)")
    print("failures:", "; ".join(res.failures) if res.failures else "none")
    if res.remarks:
        print("remarks:", "; ".join(res.remarks))


if __name__ == "__main__":
    main()
