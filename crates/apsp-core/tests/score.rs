//! Scoring a generated force: the explanation invariants (contributions sum to the pair
//! score; every fired sign has evidence rows that exist in the inputs) and
//! determinism (the same bytes for 1 and 2 threads, twice).

use std::collections::HashSet;

use apsp_core::ingest::IngestOptions;
use apsp_core::score::{score, RiskMatrix, ScoreOptions};
use apsp_core::sign::Sign;
use apsp_core::Table;
use apsp_synth::{generate, SynthConfig};
use polars::prelude::*;

fn force() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let cfg = SynthConfig {
        officers: 150,
        days: 120,
        seed: 7,
        ..SynthConfig::default()
    };
    generate(dir.path(), &cfg).unwrap();
    dir
}

fn ids(df: &DataFrame, col: &str) -> HashSet<String> {
    df.column(col)
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .flatten()
        .map(String::from)
        .collect()
}

#[test]
fn contributions_sum_to_scores_and_evidence_exists() {
    let dir = force();
    let ds = apsp_core::read_dataset(dir.path(), &IngestOptions::default()).unwrap();
    let s = score(&ds, &RiskMatrix::default_matrix(), &ScoreOptions::default()).unwrap();
    let mut fired = 0;
    for p in &s.pairs {
        let sum: f64 = p.contributions.iter().sum();
        assert_eq!(sum, p.score, "contributions must sum exactly");
        assert_eq!(p.contributions.len(), Sign::PAIR.len());
        for (f, c) in p.findings.iter().zip(&p.contributions) {
            assert_eq!(
                f.fired(),
                *c > 0.0 || f.signal == "vulnerable_subject" && f.fired(),
                "{}",
                f.signal
            );
            if f.fired() {
                fired += 1;
                assert!(
                    !f.evidence.is_empty(),
                    "{} fired without evidence",
                    f.signal
                );
            }
        }
    }
    assert!(fired > 100, "only {fired} fired signs on a generated force");
    // Every evidence row exists in the inputs (or, for multiple_subjects, in pairs).
    let t = |x: Table| ds.table(x).unwrap();
    let billing = ids(t(Table::Billing), "record_id");
    let stops = ids(t(Table::Stops), "stop_id");
    let access = ids(t(Table::AccessLog), "event_id");
    let persons = ids(t(Table::Persons), "person_id");
    let subjects: HashSet<&str> = s.linked.subjects.iter().map(|x| x.id.as_str()).collect();
    let f = apsp_core::output::frames(&s).unwrap();
    let (table, row) = (
        f.evidence.column("table").unwrap().str().unwrap(),
        f.evidence.column("row_id").unwrap().str().unwrap(),
    );
    assert!(f.evidence.height() > 100);
    for i in 0..f.evidence.height() {
        let (tb, r) = (table.get(i).unwrap(), row.get(i).unwrap());
        let ok = match tb {
            "billing" => billing.contains(r),
            "stops" => stops.contains(r),
            "access_log" => access.contains(r),
            "persons" => persons.contains(r),
            "pairs" => subjects.contains(r),
            "complaints" => r.starts_with("complaints.csv:"),
            other => panic!("unknown evidence table {other}"),
        };
        assert!(ok, "evidence {tb} {r} is not in the inputs");
    }
    // The pairs frame: contribution columns sum to the score column (to the output's
    // rounding of 1e-9).
    let pf = &f.pairs;
    let score_col = pf.column("score").unwrap().f64().unwrap();
    let cols: Vec<&Float64Chunked> = Sign::PAIR
        .iter()
        .map(|c| pf.column(c.id()).unwrap().f64().unwrap())
        .collect();
    for i in 0..pf.height() {
        let sum: f64 = cols.iter().map(|c| c.get(i).unwrap()).sum();
        assert!((sum - score_col.get(i).unwrap()).abs() < 1e-8, "row {i}");
    }
}

fn outputs(dir: &std::path::Path, threads: usize, out: &std::path::Path) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let mut ds = apsp_core::read_dataset(dir, &IngestOptions::default()).unwrap();
        let s = score(&ds, &RiskMatrix::default_matrix(), &ScoreOptions::default()).unwrap();
        apsp_core::output::write_outputs(
            &s,
            &mut ds,
            out,
            apsp_core::output::WriteOptions {
                csv: true,
                overwrite: false,
            },
        )
        .unwrap();
    });
}

#[test]
fn same_bytes_for_one_and_two_threads_twice() {
    let dir = force();
    let runs: Vec<tempfile::TempDir> = (0..4).map(|_| tempfile::tempdir().unwrap()).collect();
    for (k, r) in runs.iter().enumerate() {
        outputs(dir.path(), 1 + k % 2, r.path());
    }
    for name in [
        "officers.parquet",
        "pairs.parquet",
        "signals.parquet",
        "evidence.parquet",
        "quarantine.parquet",
        "officers.csv",
        "evidence.csv",
    ] {
        let first = std::fs::read(runs[0].path().join(name)).unwrap();
        for r in &runs[1..] {
            assert_eq!(first, std::fs::read(r.path().join(name)).unwrap(), "{name}");
        }
    }
    // The manifests differ only in created_at.
    let strip = |p: &std::path::Path| -> String {
        std::fs::read_to_string(p.join("manifest.json"))
            .unwrap()
            .lines()
            .filter(|l| !l.contains("created_at"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let m0 = strip(runs[0].path());
    assert!(m0.contains("\"sha256\"") && m0.contains("apsp-default"));
    for r in &runs[1..] {
        assert_eq!(m0, strip(r.path()));
    }
}
