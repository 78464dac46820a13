//! Which files of a dataset folder belong to which table, and the folders that are too
//! ambiguous to read: one table given twice at the top level (`officers.csv` and
//! `officers.parquet`), or a data file apsp does not know while a table it could be is
//! absent (`Billing_Export.csv` with no `billing` table). Reading either would leave
//! data out, or count it twice, while looking successful.

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::profile::Profile;
use super::schema::Table;
use super::source::{is_gzip, open_text, uncompressed_name, Format};
use super::table;
use crate::error::{ApspError, Result};

/// The files of each table in a dataset folder.
pub struct Discovered {
    pub files: BTreeMap<Table, Vec<PathBuf>>,
    /// Files no table claims, relative to the folder.
    pub ignored: Vec<String>,
    /// The generator's ground truth (see [`GROUND_TRUTH_FILES`]).
    pub ground_truth: Vec<String>,
}

/// The files `apsp synth` writes beside a generated force's tables: its ground truth,
/// which evaluation reads and scoring does not. Not an omission to warn of.
pub const GROUND_TRUTH_FILES: [&str; 2] = ["labels.parquet", "injected_errors.parquet"];

/// Finds each table's files, then refuses a folder that is ambiguous.
pub fn discover(dir: &Path, profiles: &[Profile]) -> Result<Discovered> {
    let mut files: BTreeMap<Table, Vec<PathBuf>> = BTreeMap::new();
    let mut claimed: HashSet<PathBuf> = HashSet::new();
    let entries = top_level_entries(dir)?;
    for p in profiles.iter().filter(|p| !p.files.is_empty()) {
        let found = files_named_by_profile(dir, p)?;
        claimed.extend(found.iter().cloned());
        files.entry(p.table()).or_default().extend(found);
    }
    for t in Table::ALL {
        if profiles
            .iter()
            .any(|p| p.table() == t && !p.files.is_empty())
        {
            continue;
        }
        let named: Vec<&PathBuf> = entries.iter().filter(|e| names_table(e, t)).collect();
        refuse_a_table_given_twice(dir, t, &named)?;
        let mut found = Vec::new();
        for e in named {
            if e.is_dir() {
                found.extend(walk(e)?.into_iter().filter(|p| Format::of(p).is_some()));
            } else {
                found.push(e.clone());
            }
        }
        if !found.is_empty() {
            claimed.extend(found.iter().cloned());
            files.entry(t).or_default().extend(found);
        }
    }
    let (ground_truth, unclaimed): (Vec<PathBuf>, Vec<PathBuf>) = walk(dir)?
        .into_iter()
        .filter(|e| !claimed.contains(e))
        .partition(|e| GROUND_TRUTH_FILES.contains(&table::rel_path(dir, e).as_str()));
    refuse_a_file_that_could_be_an_absent_table(dir, &files, &unclaimed)?;
    let names = |v: &[PathBuf]| -> Vec<String> {
        let mut n: Vec<String> = v.iter().map(|e| table::rel_path(dir, e)).collect();
        n.sort();
        n
    };
    Ok(Discovered {
        files,
        ignored: names(&unclaimed),
        ground_truth: names(&ground_truth),
    })
}

fn top_level_entries(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| ApspError::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    Ok(entries)
}

fn files_named_by_profile(dir: &Path, p: &Profile) -> Result<Vec<PathBuf>> {
    let pats: Vec<glob::Pattern> = p
        .files
        .iter()
        .filter_map(|s| glob::Pattern::new(s).ok())
        .collect();
    let mut found: Vec<PathBuf> = walk(dir)?
        .into_iter()
        .filter(|e| pats.iter().any(|pat| pat.matches(&table::rel_path(dir, e))))
        .filter(|e| Format::of(e).is_some())
        .collect();
    found.sort();
    Ok(found)
}

/// A top-level file `<table>.<csv|parquet|…>` or folder `<table>/`; names match
/// case-insensitively (`Billing.CSV` is billing).
fn names_table(e: &Path, t: Table) -> bool {
    if e.is_dir() {
        e.file_name()
            .and_then(|s| s.to_str())
            .is_some_and(|n| n.eq_ignore_ascii_case(t.name()))
    } else {
        let stem = uncompressed_name(e)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("");
        e.is_file() && stem.eq_ignore_ascii_case(t.name()) && Format::of(e).is_some()
    }
}

/// `officers.csv` beside `officers.parquet` (or beside `officers/`) is one table given
/// twice: reading both would count every row twice, reading one would leave the other
/// out.
fn refuse_a_table_given_twice(dir: &Path, t: Table, named: &[&PathBuf]) -> Result<()> {
    if named.len() < 2 {
        return Ok(());
    }
    let names: Vec<String> = named
        .iter()
        .map(|e| {
            let rel = table::rel_path(dir, e);
            if e.is_dir() {
                format!("{rel}/")
            } else {
                rel
            }
        })
        .collect();
    Err(ApspError::Dataset {
        dir: dir.to_path_buf(),
        message: format!(
            "the {} table is given {} times ({}): keep one, or put every export of it \
             in the folder {}/",
            t.name(),
            names.len(),
            names.join(", "),
            t.name()
        ),
    })
}

/// A data file no table claims, while a table it could be is absent: almost always a
/// misnamed export (`Billing_Export.csv`), whose rows would otherwise be left out and
/// the signs needing them end `not_evaluated` with nothing else said.
fn refuse_a_file_that_could_be_an_absent_table(
    dir: &Path,
    files: &BTreeMap<Table, Vec<PathBuf>>,
    unclaimed: &[PathBuf],
) -> Result<()> {
    let absent: Vec<Table> = Table::ALL
        .into_iter()
        .filter(|t| !files.contains_key(t))
        .collect();
    if absent.is_empty() {
        return Ok(());
    }
    let mut problems = Vec::new();
    for f in unclaimed.iter().filter(|f| Format::of(f).is_some()) {
        let candidates: Vec<Table> = absent.iter().copied().filter(|t| could_be(f, *t)).collect();
        if let Some(t) = candidates.first() {
            problems.push(format!(
                "{} is not read, and could be the absent {} table: rename it {}.{} \
                 (or move it into {}/), or map it with an import profile whose `files` \
                 names it",
                table::rel_path(dir, f),
                t.name(),
                t.name(),
                extension(f),
                t.name()
            ));
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(ApspError::Dataset {
        dir: dir.to_path_buf(),
        message: problems.join("; "),
    })
}

/// The ending a file's table name takes (`csv`, `parquet`, `csv.gz`).
fn extension(f: &Path) -> String {
    let plain = uncompressed_name(f)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("csv")
        .to_ascii_lowercase();
    if is_gzip(f) {
        format!("{plain}.gz")
    } else {
        plain
    }
}

/// Words in file names that mean a table, beyond the table's own name.
fn name_clues(t: Table) -> &'static [&'static str] {
    match t {
        Table::Officers => &["officer", "staff", "personnel"],
        Table::Devices => &["device", "handset"],
        Table::Shifts => &["shift", "roster", "rota", "duty", "duties"],
        Table::Persons => &["persons", "people"],
        Table::PersonNumbers => &["person_number", "personnumber", "numbers"],
        Table::CaseLinks => &["case"],
        Table::Billing => &["billing", "bill", "call", "cdr", "itemised"],
        Table::Stops => &["stop", "telematic", "tracker", "avl"],
        Table::VehicleAssignments => &["vehicle", "assignment", "fleet"],
        Table::Deployments => &["deploy", "dispatch", "incident"],
        Table::AccessLog => &["access", "audit"],
        Table::Complaints => &["complaint"],
    }
}

/// Whether a file could be a table: its name says so, or its header holds every
/// column the table requires.
fn could_be(f: &Path, t: Table) -> bool {
    let stem = f
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
        .replace(['-', ' ', '.'], "_");
    if stem.contains(t.name()) || name_clues(t).iter().any(|c| stem.contains(c)) {
        return true;
    }
    let required: Vec<&str> = t
        .columns()
        .iter()
        .filter(|c| c.required)
        .map(|c| c.name)
        .collect();
    if required.is_empty() {
        return false;
    }
    match header_of(f) {
        Some(header) => required.iter().all(|r| header.iter().any(|h| h == r)),
        None => false,
    }
}

/// The column names of a data file, lower-cased; `None` when they cannot be read.
fn header_of(f: &Path) -> Option<Vec<String>> {
    match Format::of(f)? {
        Format::Parquet => {
            let file = std::fs::File::open(f).ok()?;
            let schema = ParquetReader::new(file).schema().ok()?;
            Some(
                schema
                    .iter_names()
                    .map(|n| n.to_ascii_lowercase())
                    .collect(),
            )
        }
        Format::Csv => {
            let text = open_text(f).ok()?;
            let mut line = String::new();
            BufReader::new(text.take(64 * 1024))
                .read_line(&mut line)
                .ok()?;
            let line = line.trim_start_matches('\u{feff}').trim_end();
            Some(
                line.split([',', ';', '\t', '|'])
                    .map(|h| h.trim().trim_matches('"').to_ascii_lowercase())
                    .collect(),
            )
        }
    }
}

/// All files below a folder (hidden ones excluded), sorted.
pub(super) fn walk(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).map_err(|e| ApspError::io(&d, e))? {
            let e = e.map_err(|e| ApspError::io(&d, e))?;
            let p = e.path();
            if p.file_name()
                .and_then(|s| s.to_str())
                .is_some_and(|s| s.starts_with('.'))
            {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let p = d.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        d
    }

    /// A header line of a table's required columns.
    fn required_header(t: Table, delimiter: &str) -> String {
        let names: Vec<&str> = t
            .columns()
            .iter()
            .filter(|c| c.required)
            .map(|c| c.name)
            .collect();
        format!("{}\n", names.join(delimiter))
    }

    fn message(d: &tempfile::TempDir) -> String {
        match discover(d.path(), &[]) {
            Err(e) => e.to_string(),
            Ok(_) => "no error".into(),
        }
    }

    #[test]
    fn one_table_in_two_formats_is_refused() {
        let d = folder(&[
            ("officers.csv", "officer_id\n1\n"),
            ("officers.parquet", "x"),
        ]);
        let m = message(&d);
        assert!(
            m.contains("the officers table is given 2 times (officers.csv, officers.parquet)"),
            "{m}"
        );
    }

    #[test]
    fn a_misnamed_export_of_an_absent_table_is_refused_with_the_rename() {
        let d = folder(&[
            ("officers.csv", "officer_id\n1\n"),
            ("Billing_Export.csv", "a\n"),
        ]);
        let m = message(&d);
        assert!(
            m.contains("Billing_Export.csv is not read, and could be the absent billing table: rename it billing.csv"),
            "{m}"
        );
    }

    #[test]
    fn a_file_whose_header_fits_an_absent_table_is_refused() {
        let text = required_header(Table::Complaints, ";");
        let d = folder(&[
            ("officers.csv", "officer_id\n1\n"),
            ("export_2024_06.csv", &text),
        ]);
        assert!(message(&d).contains("could be the absent complaints table"));
    }

    #[test]
    fn an_unrelated_file_is_only_reported() {
        let d = folder(&[
            ("officers.csv", "officer_id\n1\n"),
            ("labels.csv", "officer_id,role\n"),
            ("labels.parquet", "not read"),
            ("notes.md", "billing notes"),
        ]);
        let found = discover(d.path(), &[]).unwrap();
        assert_eq!(found.ignored, vec!["labels.csv", "notes.md"]);
        assert_eq!(found.ground_truth, vec!["labels.parquet"]);
    }

    /// A compressed export is named by the name it has decompressed: `billing.csv.gz`
    /// is the billing table; a misnamed one is refused with its compressed rename, its
    /// header read through the compression.
    #[test]
    fn a_compressed_export_is_named_by_its_text() {
        use crate::ingest::source::gzip_tests::gzip;
        let d = folder(&[("officers.csv", "officer_id\n1\n")]);
        std::fs::write(d.path().join("Billing.CSV.gz"), gzip("a\n")).unwrap();
        let found = discover(d.path(), &[]).unwrap();
        assert_eq!(
            found.files[&Table::Billing],
            vec![d.path().join("Billing.CSV.gz")]
        );
        let packed = d.path().join("export_2024_06.csv.gz");
        std::fs::write(&packed, gzip(&required_header(Table::Complaints, ","))).unwrap();
        let m = message(&d);
        assert!(
            m.contains("export_2024_06.csv.gz is not read, and could be the absent complaints table: rename it complaints.csv.gz"),
            "{m}"
        );
    }

    /// `billing.csv` beside `billing.csv.gz` is one table given twice; compressed
    /// exports in a table's folder are its files.
    #[test]
    fn a_compressed_copy_beside_the_plain_file_is_one_table_given_twice() {
        let d = folder(&[
            ("officers.csv", "officer_id\n1\n"),
            ("billing.csv", "a\n"),
            ("billing.csv.gz", "x"),
        ]);
        assert!(
            message(&d)
                .contains("the billing table is given 2 times (billing.csv, billing.csv.gz)"),
            "{}",
            message(&d)
        );
        let d = folder(&[
            ("officers.csv", "officer_id\n1\n"),
            ("billing/2026-12-05.csv.gz", "x"),
            ("billing/2026-12-06.csv", "a\n"),
            ("billing/notes.txt.zip", "x"),
        ]);
        let found = discover(d.path(), &[]).unwrap();
        let names: Vec<String> = found.files[&Table::Billing]
            .iter()
            .map(|p| table::rel_path(d.path(), p))
            .collect();
        assert_eq!(
            names,
            vec!["billing/2026-12-05.csv.gz", "billing/2026-12-06.csv"]
        );
        assert_eq!(found.ignored, vec!["billing/notes.txt.zip"]);
    }
}
