//! `validate`: read a dataset, report what was read and what was quarantined, and write
//! `quarantine.parquet` and `manifest.json` (and optionally the canonical tables).

use std::fmt::Write as _;
use std::path::Path;

use crate::error::Result;
use crate::ingest::manifest::Manifest;
use crate::ingest::{read_dataset, Dataset, IngestOptions, Table};
use crate::output::write_parquet;

/// What `validate` concluded, mapped to the command's exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every row was used (duplicates aside): exit 0.
    Clean,
    /// Some rows were quarantined: exit 1.
    Quarantined,
}

impl Outcome {
    pub fn exit_code(self) -> i32 {
        match self {
            Outcome::Clean => 0,
            Outcome::Quarantined => 1,
        }
    }
}

/// Output options for [`validate`].
#[derive(Debug, Clone, Default)]
pub struct ValidateOutput<'a> {
    /// Folder for `quarantine.parquet` and `manifest.json`; nothing written if `None`.
    pub out_dir: Option<&'a Path>,
    /// Also write each canonical table as `<table>.parquet`.
    pub write_tables: bool,
    /// Write into a folder that already holds files.
    pub overwrite: bool,
}

/// Reads and checks a dataset; writes outputs when asked.
pub fn validate(
    dir: &Path,
    opts: &IngestOptions,
    out: &ValidateOutput<'_>,
) -> Result<(Dataset, Outcome)> {
    let mut ds = read_dataset(dir, opts)?;
    ds.manifest.stamp_now();
    if let Some(o) = out.out_dir {
        crate::output::refuse_out_beside_input(dir, o)?;
        crate::output::prepare_out_folder(o, out.overwrite)?;
        let q = o.join("quarantine.parquet");
        let rows = ds.quarantine.height() as u64;
        write_parquet(&mut ds.quarantine, &q)?;
        ds.manifest.record_output("quarantine.parquet", &q, rows)?;
        if out.write_tables {
            let names: Vec<_> = ds.tables.keys().copied().collect();
            for t in names {
                let p = o.join(format!("{}.parquet", t.name()));
                let df = ds.tables.get_mut(&t).expect("present");
                let rows = df.height() as u64;
                write_parquet(df, &p)?;
                ds.manifest
                    .record_output(&format!("{}.parquet", t.name()), &p, rows)?;
            }
        }
        ds.manifest.write(&o.join("manifest.json"))?;
    }
    let outcome = if ds.quarantine.height() > 0 {
        Outcome::Quarantined
    } else {
        Outcome::Clean
    };
    Ok((ds, outcome))
}

/// A per-table text summary: rows, quarantined by reason, date range.
pub fn summary(ds: &Dataset) -> String {
    let mut s = String::new();
    let m = &ds.manifest;
    let _ = writeln!(
        s,
        "dataset {}  (time zone {}, pseudonymised: {})",
        m.dataset,
        m.settings.timezone,
        if m.settings.pseudonymised {
            "yes"
        } else {
            "no"
        }
    );
    let _ = writeln!(
        s,
        "{:<20} {:>5} {:>10} {:>10} {:>11} {:>10}  date range (UTC)",
        "table", "files", "read", "used", "quarantined", "duplicates"
    );
    for (name, t) in &m.tables {
        let range = t
            .time_range
            .as_ref()
            .map(|(a, b)| format!("{a} .. {b}"))
            .unwrap_or_else(|| "-".into());
        let _ = writeln!(
            s,
            "{:<20} {:>5} {:>10} {:>10} {:>11} {:>10}  {}",
            name,
            t.files,
            t.counts.read,
            t.counts.used,
            t.counts.quarantined,
            t.counts.duplicates,
            range
        );
        for (r, n) in &t.quarantined_by_reason {
            let _ = writeln!(s, "{:<20}   quarantined {r}: {n}", "");
        }
        if t.fall_back_resolved > 0 {
            let n = t.fall_back_resolved;
            let _ = writeln!(
                s,
                "{:<20}   fall_back_resolved: {n} (read across the clocks going back; kept)",
                ""
            );
        }
    }
    for f in &m.inputs {
        if !f.ignored_columns.is_empty() {
            let _ = writeln!(
                s,
                "warning: {} has columns that belong to no table column and were not read: {}",
                f.file,
                f.ignored_columns.join(", ")
            );
        }
        if let Some(w) = not_utf8_warning(f) {
            let _ = writeln!(s, "{w}");
        }
    }
    for f in &m.ignored_files {
        let _ = writeln!(s, "{}", ignored_file_warning(f));
    }
    let _ = writeln!(
        s,
        "{} row(s) quarantined{}",
        m.quarantined,
        if m.quarantined > 0 {
            " — see quarantine.parquet for file, line and reason"
        } else {
            ""
        }
    );
    s
}

/// The warning for a file of the dataset folder that belongs to no table: a billing
/// export named `Billing_Export.csv` is otherwise left out without a word.
pub fn ignored_file_warning(file: &str) -> String {
    format!(
        "warning: {file} belongs to no table and was not read: rename it (e.g. billing.csv) or map it with an import profile"
    )
}

/// The warning naming the canonical tables a dataset lacks, if any: the signs that need
/// them are not evaluated.
pub fn absent_tables_warning(m: &Manifest) -> Option<String> {
    let absent: Vec<&str> = Table::ALL
        .iter()
        .map(|t| t.name())
        .filter(|t| !m.tables.contains_key(*t))
        .collect();
    (!absent.is_empty()).then(|| {
        format!(
            "warning: table(s) absent: {}: the warning signs that need them are not evaluated (docs/signals.md lists each sign's data)",
            absent.join(", ")
        )
    })
}

/// The warnings for the signs not evaluated in a run: one per sign its data cannot
/// say anywhere, and one line for all the signs not evaluated for some pairs or
/// officers (a subject without a known home, an officer without a roster), which real
/// data always has.
pub fn sign_gap_warnings(gaps: &[crate::score::SignGap]) -> Vec<String> {
    let mut out: Vec<String> = gaps
        .iter()
        .filter(|g| g.whole)
        .map(|g| {
            format!(
                "warning: sign {} not evaluated for anyone ({}): not looked at, not cleared",
                g.sign.id(),
                g.reasons.first().map(|r| r.as_ref()).unwrap_or("no data")
            )
        })
        .collect();
    let partial: Vec<String> = gaps
        .iter()
        .filter(|g| !g.whole)
        .map(|g| {
            let whom = if g.pairs > 0 {
                format!("{} pairs", g.pairs)
            } else {
                format!("{} officers", g.officers)
            };
            let why = g.reasons.first().map(|r| r.as_ref()).unwrap_or("no data");
            format!("{} for {whom} ({why})", g.sign.id())
        })
        .collect();
    if !partial.is_empty() {
        out.push(format!(
            "warning: signs not evaluated for some subjects or officers, their data cannot say: {}; see signals with status not_evaluated",
            partial.join("; ")
        ));
    }
    out
}

/// The warning for a file with free text that is not UTF-8 (kept, read as cp1252).
pub fn not_utf8_warning(f: &crate::ingest::manifest::InputFile) -> Option<String> {
    let (line, column) = f.first_not_utf8.as_ref()?;
    Some(format!(
        "warning: {}: {} row(s) have text that is not UTF-8 (first at line {line}, column {column:?}), read as cp1252: if the file is cp1252 or Latin-1, say so with --encoding cp1252 (or an import profile's encoding)",
        f.file, f.not_utf8_kept
    ))
}
