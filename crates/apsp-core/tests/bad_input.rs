//! The bad-input corpus: `tests/data/bad_input/<case>/` holds a small dataset and an
//! `expect.toml` saying exactly what must happen: a fatal error (kind and the words
//! its message must contain: file, line, column, value) or the exact quarantine rows,
//! the row counts per table, and chosen canonical values. The Python suite reads the
//! same corpus, so both interfaces are held to one expectation.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use apsp_core::ingest::{time::fmt_utc, IngestOptions, Profile};
use apsp_core::pseudo::KeySource;
use apsp_core::{read_dataset, Table};
use polars::prelude::*;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    description: String,
    #[serde(default)]
    timezone: Option<String>,
    #[serde(default)]
    ambiguous: Option<String>,
    #[serde(default)]
    nonexistent: Option<String>,
    #[serde(default)]
    profiles: Vec<String>,
    /// CSV encoding (`IngestOptions::encoding`).
    #[serde(default)]
    encoding: Option<String>,
    #[serde(default)]
    key_file: Option<String>,
    #[serde(default)]
    error: Option<ExpectError>,
    #[serde(default)]
    quarantine: Vec<ExpectQuarantine>,
    #[serde(default)]
    counts: BTreeMap<String, ExpectCounts>,
    /// Per table: rows used whose interval was read across the clocks going back.
    #[serde(default)]
    fall_back_resolved: BTreeMap<String, u64>,
    #[serde(default)]
    value: Vec<ExpectValue>,
    #[serde(default)]
    ignored_files: Vec<String>,
    #[serde(default)]
    ignore_extra_columns: bool,
    /// Columns listed as not read, over all input files, in order.
    #[serde(default)]
    ignored_columns: Vec<String>,
    /// Python exception class expected (read by the pytest side only).
    #[serde(default)]
    #[allow(dead_code)]
    python_exception: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectError {
    kind: String,
    contains: Vec<String>,
}

#[derive(Deserialize, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
struct ExpectQuarantine {
    table: String,
    file: String,
    line: u64,
    reason: String,
    #[serde(default)]
    column: Option<String>,
    #[serde(default)]
    message_contains: Option<String>,
    /// Strings that must not appear in `raw` or `message` (pseudonymised personal data).
    #[serde(default)]
    hides: Vec<String>,
}

#[derive(Deserialize, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct ExpectCounts {
    read: u64,
    used: u64,
    quarantined: u64,
    duplicates: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectValue {
    table: String,
    row: usize,
    column: String,
    equals: String,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/bad_input")
}

/// A cell as text: datetimes as ISO UTC, dates as YYYY-MM-DD, null as "null".
fn cell(df: &DataFrame, col: &str, row: usize) -> String {
    let c = df.column(col).unwrap_or_else(|_| panic!("no column {col}"));
    match c.get(row).unwrap_or_else(|_| panic!("no row {row}")) {
        AnyValue::Null => "null".into(),
        AnyValue::String(s) => s.to_string(),
        AnyValue::StringOwned(s) => s.to_string(),
        AnyValue::Datetime(v, _, _) | AnyValue::DatetimeOwned(v, _, _) => fmt_utc(v),
        AnyValue::Date(d) => (chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()
            + chrono::Duration::days(d as i64))
        .to_string(),
        other => other.to_string(),
    }
}

fn run_case(dir: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(dir.join("expect.toml")).map_err(|e| e.to_string())?;
    let exp: Expect = toml::from_str(&text).map_err(|e| format!("expect.toml: {e}"))?;
    assert!(!exp.description.is_empty());
    let mut opts = IngestOptions::default();
    if let Some(tz) = &exp.timezone {
        opts.timezone = tz.clone();
    }
    if let Some(a) = &exp.ambiguous {
        opts.ambiguous = a.parse().map_err(|e| format!("{e}"))?;
    }
    if let Some(n) = &exp.nonexistent {
        opts.nonexistent = n.parse().map_err(|e| format!("{e}"))?;
    }
    opts.ignore_extra_columns = exp.ignore_extra_columns;
    if let Some(e) = &exp.encoding {
        opts.encoding = apsp_core::ingest::TextEncoding::parse(e).ok_or("unknown encoding")?;
    }
    if let Some(k) = &exp.key_file {
        opts.pseudonymise = Some(KeySource::File(dir.join(k)));
    }
    let data = dir.join("data");
    let result = exp
        .profiles
        .iter()
        .map(|p| Profile::load(&dir.join(p)))
        .collect::<apsp_core::Result<Vec<_>>>()
        .and_then(|profiles| {
            opts.profiles = profiles;
            read_dataset(&data, &opts)
        });
    if let Some(err) = &exp.error {
        let e = match result {
            Ok(_) => return Err("expected an error, the dataset was read".into()),
            Err(e) => e,
        };
        let msg = e.to_string();
        if e.kind() != err.kind {
            return Err(format!("error kind {} != {}: {msg}", e.kind(), err.kind));
        }
        for want in &err.contains {
            if !msg.contains(want.as_str()) {
                return Err(format!("error message lacks {want:?}: {msg}"));
            }
        }
        return Ok(());
    }
    let ds = result.map_err(|e| format!("unexpected error: {e}"))?;
    // Quarantine rows, exactly and in order.
    let q = &ds.quarantine;
    let mut got = Vec::new();
    for i in 0..q.height() {
        got.push(ExpectQuarantine {
            table: cell(q, "table", i),
            file: cell(q, "file", i),
            line: cell(q, "line", i).parse().unwrap(),
            reason: cell(q, "reason", i),
            column: Some(cell(q, "column", i)).filter(|c| c != "null"),
            message_contains: None,
            hides: Vec::new(),
        });
    }
    let want: Vec<ExpectQuarantine> = exp
        .quarantine
        .iter()
        .map(|w| ExpectQuarantine {
            message_contains: None,
            hides: Vec::new(),
            column: w.column.clone(),
            table: w.table.clone(),
            file: w.file.clone(),
            line: w.line,
            reason: w.reason.clone(),
        })
        .collect();
    if got != want {
        let msgs: Vec<String> = (0..q.height()).map(|i| cell(q, "message", i)).collect();
        return Err(format!(
            "quarantine differs\n got: {got:#?}\nwant: {want:#?}\nmessages: {msgs:#?}"
        ));
    }
    for (i, w) in exp.quarantine.iter().enumerate() {
        if let Some(part) = &w.message_contains {
            let m = cell(q, "message", i);
            if !m.contains(part.as_str()) {
                return Err(format!("quarantine row {i} message {m:?} lacks {part:?}"));
            }
        }
        for secret in &w.hides {
            for col in ["raw", "message"] {
                let text = cell(q, col, i);
                if text.contains(secret.as_str()) {
                    return Err(format!(
                        "quarantine row {i} {col} shows {secret:?}: {text:?}"
                    ));
                }
            }
        }
    }
    // Row accounting: per input file and per table.
    for f in &ds.manifest.inputs {
        let r = f.rows;
        if r.read != r.used + r.quarantined + r.duplicates {
            return Err(format!("accounting broken for {}: {r:?}", f.file));
        }
    }
    for (t, c) in &exp.counts {
        let s = ds
            .manifest
            .tables
            .get(t)
            .ok_or_else(|| format!("no table {t} in manifest"))?;
        let got = ExpectCounts {
            read: s.counts.read,
            used: s.counts.used,
            quarantined: s.counts.quarantined,
            duplicates: s.counts.duplicates,
        };
        if &got != c {
            return Err(format!("counts for {t}: got {got:?}, want {c:?}"));
        }
        let table = Table::from_name(t).unwrap();
        let height = ds.table(table).map(|d| d.height() as u64).unwrap_or(0);
        if height != c.used {
            return Err(format!("{t} frame has {height} rows, used = {}", c.used));
        }
    }
    for (t, want) in &exp.fall_back_resolved {
        let got = ds.manifest.tables.get(t).map(|s| s.fall_back_resolved);
        if got != Some(*want) {
            return Err(format!(
                "fall_back_resolved for {t}: got {got:?}, want {want}"
            ));
        }
    }
    for v in &exp.value {
        let df = ds
            .table(Table::from_name(&v.table).unwrap())
            .ok_or_else(|| format!("no table {}", v.table))?;
        let got = cell(df, &v.column, v.row);
        if got != v.equals {
            return Err(format!(
                "{}[{}].{} = {got:?}, want {:?}",
                v.table, v.row, v.column, v.equals
            ));
        }
    }
    let ignored: Vec<String> = ds
        .manifest
        .inputs
        .iter()
        .flat_map(|f| f.ignored_columns.clone())
        .collect();
    if ignored != exp.ignored_columns {
        return Err(format!(
            "ignored columns {ignored:?} != {:?}",
            exp.ignored_columns
        ));
    }
    if ds.manifest.ignored_files != exp.ignored_files {
        return Err(format!(
            "ignored files {:?} != {:?}",
            ds.manifest.ignored_files, exp.ignored_files
        ));
    }
    Ok(())
}

#[test]
fn bad_input_corpus() {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("corpus folder")
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("expect.toml").exists())
        .collect();
    cases.sort();
    assert!(cases.len() >= 25, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for c in &cases {
        if let Err(e) = run_case(c) {
            failures.push(format!("{}: {e}", c.file_name().unwrap().to_string_lossy()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
    println!("{} bad-input cases passed", cases.len());
}
