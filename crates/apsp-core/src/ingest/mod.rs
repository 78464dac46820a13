//! Ingestion: a dataset folder in the canonical contract (or raw exports through import
//! profiles) -> typed polars frames, a quarantine frame and a manifest.
//!
//! Bad rows never stop a run and are never dropped silently: each goes to the
//! quarantine output with its table, file, line, a stable reason code, a message and
//! the row as read. Exact duplicates (the same record in two overlapping exports) are
//! counted and kept once. For every file: read = used + quarantined + duplicates.
//! Problems that make a whole file untrustworthy (missing or unknown columns, a column
//! no row could be read from, an empty file) are errors naming file, line and column.

mod chunk;
mod columnar;
mod columns;
mod dedup;
mod discover;
pub mod manifest;
mod mapping;
pub mod phone;
pub mod profile;
mod rows;
mod salvage;
pub mod schema;
pub mod source;
pub mod table;
pub mod time;
mod values;

use std::cell::RefCell;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde::{Deserialize, Serialize};

pub use discover::Discovered;
pub use profile::Profile;
pub use schema::Table;
pub use table::{QuarantineRow, RowCounts};
pub use time::{Ambiguous, Nonexistent};

use crate::error::{ApspError, Result};
use crate::pseudo::{KeySource, Pseudonymiser};
use manifest::{InputFile, Manifest, Settings, TableSummary};
pub use source::TextEncoding;
use source::{CsvSettings, Format};
use table::{FileSettings, Shared, TableBuilder};

/// Why a row was quarantined. The codes are stable: tests and analysts rely on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// A required value is blank.
    MissingValue,
    /// A datetime that matches no accepted format.
    BadTimestamp,
    /// A naive local time inside the spring-forward gap.
    NonexistentLocalTime,
    /// A naive local time inside the fall-back hour, with `ambiguous = quarantine`.
    AmbiguousLocalTime,
    /// A date that is not a date.
    BadDate,
    /// A number that is not a (non-negative, whole) number.
    BadNumber,
    /// Latitude/longitude out of range, half given, or 0,0.
    BadCoordinates,
    /// A phone number that cannot be normalised (letters, impossible length).
    BadPhone,
    /// A coded value outside its vocabulary (direction, kind, role, flag).
    UnknownValue,
    /// An end time before its start time.
    EndBeforeStart,
    /// The same id as an earlier row, with different values.
    DuplicateKey,
    /// More or fewer fields than the header.
    BadFieldCount,
    /// An unbalanced quote made a field run over line ends.
    BadQuoting,
    /// Not valid UTF-8.
    BadEncoding,
}

impl Reason {
    /// Every reason, in code order.
    pub const ALL: [Reason; 14] = [
        Reason::MissingValue,
        Reason::BadTimestamp,
        Reason::NonexistentLocalTime,
        Reason::AmbiguousLocalTime,
        Reason::BadDate,
        Reason::BadNumber,
        Reason::BadCoordinates,
        Reason::BadPhone,
        Reason::UnknownValue,
        Reason::EndBeforeStart,
        Reason::DuplicateKey,
        Reason::BadFieldCount,
        Reason::BadQuoting,
        Reason::BadEncoding,
    ];

    /// The stable code written to the `reason` column.
    pub fn code(self) -> &'static str {
        match self {
            Reason::MissingValue => "missing_value",
            Reason::BadTimestamp => "bad_timestamp",
            Reason::NonexistentLocalTime => "nonexistent_local_time",
            Reason::AmbiguousLocalTime => "ambiguous_local_time",
            Reason::BadDate => "bad_date",
            Reason::BadNumber => "bad_number",
            Reason::BadCoordinates => "bad_coordinates",
            Reason::BadPhone => "bad_phone",
            Reason::UnknownValue => "unknown_value",
            Reason::EndBeforeStart => "end_before_start",
            Reason::DuplicateKey => "duplicate_key",
            Reason::BadFieldCount => "bad_field_count",
            Reason::BadQuoting => "bad_quoting",
            Reason::BadEncoding => "bad_encoding",
        }
    }
}

/// How to read a dataset.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// IANA zone of naive timestamps.
    pub timezone: String,
    pub ambiguous: Ambiguous,
    pub nonexistent: Nonexistent,
    /// Import profiles, at most one per table.
    pub profiles: Vec<Profile>,
    /// Pseudonymise members of the public with the key from this source.
    pub pseudonymise: Option<KeySource>,
    /// Columns that belong to no canonical column: an error (default) or ignored and
    /// listed in the manifest and summary.
    pub ignore_extra_columns: bool,
    /// Character encoding of CSV files (an import profile may say otherwise for its
    /// table).
    pub encoding: TextEncoding,
    /// Reads typed (Parquet) files row by row too, as CSV is read, instead of column
    /// by column. The results are the same; tests compare the two paths.
    #[doc(hidden)]
    pub row_path_only: bool,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            timezone: "Europe/London".to_string(),
            ambiguous: Ambiguous::default(),
            nonexistent: Nonexistent::default(),
            profiles: Vec::new(),
            pseudonymise: None,
            ignore_extra_columns: false,
            encoding: TextEncoding::Utf8,
            row_path_only: false,
        }
    }
}

/// A dataset read into canonical frames.
pub struct Dataset {
    /// The tables present, typed. Datetimes are UTC microseconds.
    pub tables: BTreeMap<Table, DataFrame>,
    /// Every row not used: table, file, line, reason, column, message, raw.
    pub quarantine: DataFrame,
    /// Provenance and row accounting.
    pub manifest: Manifest,
    /// The quarantined rows that can still tell something (a [`table::Hint`]), by
    /// file and line: scoring uses them only to withhold warning signs their absence
    /// would raise.
    pub hinted: Vec<QuarantineRow>,
}

impl Dataset {
    /// A table, if present.
    pub fn table(&self, t: Table) -> Option<&DataFrame> {
        self.tables.get(&t)
    }

    /// Total quarantined rows.
    pub fn quarantined(&self) -> u64 {
        self.quarantine.height() as u64
    }
}

/// Reads a dataset folder. See the module docs.
pub fn read_dataset(dir: &Path, opts: &IngestOptions) -> Result<Dataset> {
    if !dir.exists() {
        return Err(ApspError::NotFound {
            what: "dataset folder",
            path: dir.to_path_buf(),
        });
    }
    if !dir.is_dir() {
        return Err(ApspError::Dataset {
            dir: dir.to_path_buf(),
            message: "is a file; expected a folder with one file (or folder) per table".into(),
        });
    }
    // Settings are checked before the folder is looked at.
    time_rules(opts)?;
    profiles_by_table(&opts.profiles)?;
    let found = discover::discover(dir, &opts.profiles)?;
    if !found.files.contains_key(&Table::Officers) {
        return Err(ApspError::Dataset {
            dir: dir.to_path_buf(),
            message:
                "no officers table (officers.csv, officers.parquet or officers/) — it is required"
                    .into(),
        });
    }
    if !found.files.keys().any(|t| t.is_event_table()) {
        return Err(ApspError::Dataset {
            dir: dir.to_path_buf(),
            message: "no event table: at least one of billing, stops or access_log is required"
                .into(),
        });
    }
    let read = read_files(dir, &found.files, opts, &Prior::default())?;
    let mut ds = read.dataset;
    ds.manifest.ignored_files = found.ignored;
    ds.manifest.ground_truth_files = found.ground_truth;
    Ok(ds)
}

/// The files of each table in a dataset folder (import profiles naming files first),
/// after refusing a folder too ambiguous to read (see [`discover::discover`]).
pub fn discover_files(dir: &Path, profiles: &[Profile]) -> Result<Discovered> {
    discover::discover(dir, profiles)
}

/// The de-duplication hashes of a kept row: its content, and its key value's when the
/// table has a key. A store keeps them so that a later delivery de-duplicates against
/// the rows it already holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowHash {
    pub content: u128,
    pub key: Option<u128>,
}

/// A row an earlier read kept: its hashes, and where it was read (an index into
/// [`EarlierRows::files`] and a line), for the message of a conflicting key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EarlierRow {
    pub hash: RowHash,
    pub file: u32,
    pub line: u64,
}

/// The rows of one table an earlier read kept.
#[derive(Debug, Clone, Default)]
pub struct EarlierRows {
    pub files: Vec<String>,
    pub rows: Vec<EarlierRow>,
}

/// What earlier reads of the same data left for this one (a store's earlier nights):
/// the rows already kept, per table, and the officers' own numbers when the `devices`
/// table is not read this time (they are never pseudonymised).
#[derive(Debug, Clone, Default)]
pub struct Prior {
    pub tables: BTreeMap<Table, EarlierRows>,
    pub officer_numbers: Option<HashSet<String>>,
}

/// Files read with [`read_files`]: the dataset they make, and for each table the
/// hashes of its kept rows (in row order) and every quarantined row with its hint.
pub struct Delivery {
    pub dataset: Dataset,
    pub hashes: BTreeMap<Table, Vec<RowHash>>,
    pub quarantine_rows: Vec<QuarantineRow>,
}

/// Reads the given files of each table (paths under `dir`, named relative to it),
/// de-duplicating against the rows `prior` says were kept before. No table is
/// required: a night's delivery may hold a few tables only.
pub fn read_files(
    dir: &Path,
    files: &BTreeMap<Table, Vec<PathBuf>>,
    opts: &IngestOptions,
    prior: &Prior,
) -> Result<Delivery> {
    let base_time = time_rules(opts)?;
    let by_table = profiles_by_table(&opts.profiles)?;
    let pseudo = match &opts.pseudonymise {
        Some(src) => Some(Pseudonymiser::load(src)?),
        None => None,
    };
    let reader = TableReader {
        dir,
        opts,
        files,
        by_table: &by_table,
        base_time: &base_time,
        pseudo: pseudo.as_ref(),
        prior,
    };
    let mut tables = BTreeMap::new();
    let mut hashes = BTreeMap::new();
    let mut quarantine: Vec<QuarantineRow> = Vec::new();
    let mut inputs: Vec<InputFile> = Vec::new();
    let mut summaries: BTreeMap<String, TableSummary> = BTreeMap::new();
    for r in reader.read_tables()? {
        quarantine.extend(r.quarantine);
        inputs.extend(r.inputs);
        summaries.insert(r.table.name().to_string(), r.summary);
        hashes.insert(r.table, r.hashes);
        tables.insert(r.table, r.df);
    }
    let quarantine_df = quarantine_frame(&quarantine)?;
    let manifest = Manifest {
        apsp_version: crate::VERSION.to_string(),
        created_at: String::new(),
        dataset: dir.display().to_string(),
        settings: read_settings(opts, pseudo.as_ref()),
        inputs,
        tables: summaries,
        ignored_files: Vec::new(),
        ground_truth_files: Vec::new(),
        quarantined: quarantine.len() as u64,
        outputs: BTreeMap::new(),
        scoring: None,
        store: None,
    };
    let mut hinted: Vec<QuarantineRow> = quarantine
        .iter()
        .filter(|q| q.hint.is_some())
        .cloned()
        .collect();
    hinted.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    Ok(Delivery {
        dataset: Dataset {
            tables,
            quarantine: quarantine_df,
            manifest,
            hinted,
        },
        hashes,
        quarantine_rows: quarantine,
    })
}

/// How naive times are read.
fn time_rules(opts: &IngestOptions) -> Result<time::TimeRules> {
    let tz = time::parse_tz(&opts.timezone)?;
    let mut rules = time::TimeRules::new(tz);
    rules.ambiguous = opts.ambiguous;
    rules.nonexistent = opts.nonexistent;
    Ok(rules)
}

/// The import profiles by table; a second profile for a table is an error.
fn profiles_by_table(profiles: &[Profile]) -> Result<BTreeMap<Table, &Profile>> {
    let mut by_table: BTreeMap<Table, &Profile> = BTreeMap::new();
    for p in profiles {
        if by_table.insert(p.table(), p).is_some() {
            return Err(ApspError::profile(
                &p.path,
                format!(
                    "a second profile for table {}; give one per table",
                    p.table()
                ),
            ));
        }
    }
    Ok(by_table)
}

/// The settings a dataset was read with, for its manifest.
pub fn read_settings(opts: &IngestOptions, pseudo: Option<&Pseudonymiser>) -> Settings {
    Settings {
        timezone: opts.timezone.clone(),
        ambiguous: opts.ambiguous,
        nonexistent: opts.nonexistent,
        pseudonymised: pseudo.is_some(),
        ignore_extra_columns: opts.ignore_extra_columns,
        encoding: opts.encoding,
        key_id: pseudo.map(|p| p.key_id().to_string()),
        profiles: opts
            .profiles
            .iter()
            .map(|p| manifest::ProfileRef {
                table: p.table().name().to_string(),
                path: p.path.display().to_string(),
                sha256: p.sha256.clone(),
            })
            .collect(),
    }
}

/// What reading the tables of a dataset needs.
struct TableReader<'a> {
    dir: &'a Path,
    opts: &'a IngestOptions,
    files: &'a BTreeMap<Table, Vec<PathBuf>>,
    by_table: &'a BTreeMap<Table, &'a Profile>,
    base_time: &'a time::TimeRules,
    pseudo: Option<&'a Pseudonymiser>,
    prior: &'a Prior,
}

impl TableReader<'_> {
    /// Reads every table found, in table order. Officers and devices first (the
    /// officers' own numbers are never pseudonymised), then the other tables side by
    /// side; results are taken in table order, so the outputs do not depend on which
    /// finished first.
    fn read_tables(&self) -> Result<Vec<ReadTable>> {
        let mut officer_numbers: HashSet<String> =
            self.prior.officer_numbers.clone().unwrap_or_default();
        let mut read = Vec::new();
        for t in &Table::ALL[..2] {
            let r = self.read_table(*t, &officer_numbers)?;
            if let Some(r) = &r {
                if r.table == Table::Devices {
                    officer_numbers.clear();
                    if let Ok(ca) = r.df.column("device_number").and_then(|c| c.str().cloned()) {
                        officer_numbers.extend(ca.iter().flatten().map(str::to_string));
                    }
                }
            }
            read.push(Ok(r));
        }
        // Two lanes, each reading its tables one after another: two tables in flight at
        // most, so the peak memory stays that of the two largest. Tables go largest
        // first to the lane with fewer bytes so far, so both lanes finish near together.
        let bytes = |t: &Table| -> u64 {
            self.files.get(t).map_or(0, |ps| {
                ps.iter()
                    .filter_map(|p| source::text_bytes_estimate(p))
                    .sum()
            })
        };
        let mut by_size: Vec<(u64, Table)> =
            Table::ALL[2..].iter().map(|t| (bytes(t), *t)).collect();
        by_size.sort_by_key(|(b, t)| (std::cmp::Reverse(*b), *t));
        let mut lanes: [(u64, Vec<Table>); 2] = Default::default();
        for (b, t) in by_size {
            let lane = if lanes[1].0 < lanes[0].0 { 1 } else { 0 };
            lanes[lane].0 += b;
            lanes[lane].1.push(t);
        }
        let read_lane = |lane: &[Table]| {
            lane.iter()
                .map(|t| (*t, self.read_table(*t, &officer_numbers)))
                .collect::<Vec<_>>()
        };
        let (mut others, second) =
            rayon::join(|| read_lane(&lanes[0].1), || read_lane(&lanes[1].1));
        others.extend(second);
        others.sort_by_key(|(t, _)| Table::ALL.iter().position(|x| x == t));
        read.extend(others.into_iter().map(|(_, r)| r));
        let mut tables = Vec::new();
        for r in read {
            tables.extend(r?);
        }
        Ok(tables)
    }

    /// Reads the files of one table, if it has any.
    fn read_table(&self, t: Table, officer_numbers: &HashSet<String>) -> Result<Option<ReadTable>> {
        let Some(paths) = self.files.get(&t) else {
            return Ok(None);
        };
        let profile = self.by_table.get(&t).copied();
        let settings = FileSettings {
            profile,
            time: self.base_time,
            ignore_extra_columns: self.opts.ignore_extra_columns,
            encoding: self.opts.encoding,
            row_path_only: self.opts.row_path_only,
        };
        let mut builder = TableBuilder::new(t);
        builder.record_hashes();
        if let Some(earlier) = self.prior.tables.get(&t) {
            builder.prime(earlier);
        }
        let mut summary = TableSummary::default();
        let mut inputs = Vec::new();
        for path in paths {
            let rel = table::rel_path(self.dir, path);
            let shared = Shared {
                pseudo: self.pseudo,
                officer_numbers,
            };
            let (ctx, info, format) = read_file(&mut builder, path, &rel, &settings, &shared)?;
            builder.finish_file(path, &ctx)?;
            summary.counts.add(&ctx.counts);
            summary.fall_back_resolved += ctx.fall_back_resolved;
            for (r, n) in &ctx.reasons {
                *summary
                    .quarantined_by_reason
                    .entry(r.to_string())
                    .or_default() += n;
            }
            summary.files += 1;
            inputs.push(InputFile {
                table: t.name().to_string(),
                file: rel,
                format,
                sha256: info.sha256,
                bytes: info.bytes,
                rows: ctx.counts,
                ignored_columns: ctx.ignored_columns.clone(),
                not_utf8_kept: ctx.not_utf8_kept,
                first_not_utf8: ctx.first_not_utf8.clone(),
            });
        }
        let hashes = builder.take_hashes();
        let (df, q) = builder.finish()?;
        summary.time_range = time_range(&df, t);
        summary.rows = df.height() as u64;
        Ok(Some(ReadTable {
            table: t,
            df,
            quarantine: q,
            summary,
            inputs,
            hashes,
        }))
    }
}

/// One table read: its frame, quarantined rows, summary and input files.
struct ReadTable {
    table: Table,
    df: DataFrame,
    quarantine: Vec<QuarantineRow>,
    summary: TableSummary,
    inputs: Vec<InputFile>,
    hashes: Vec<RowHash>,
}

fn read_file(
    builder: &mut TableBuilder,
    path: &Path,
    rel: &str,
    settings: &FileSettings<'_>,
    shared: &Shared<'_>,
) -> Result<(table::FileContext, source::FileInfo, Format)> {
    let profile = settings.profile;
    let format = Format::of(path).expect("discovered files have a known format");
    let ctx: RefCell<Option<table::FileContext>> = RefCell::new(None);
    let b = RefCell::new(builder);
    let mut on_header = |header: &[String], line: u64| -> Result<()> {
        *ctx.borrow_mut() = Some(
            b.borrow_mut()
                .start_file(path, rel, header, line, settings)?,
        );
        Ok(())
    };
    let mut on_batch = |batch: &dyn source::RowBatch| -> Result<()> {
        let mut guard = ctx.borrow_mut();
        let c = guard.as_mut().expect("header first");
        b.borrow_mut().push_batch(c, batch, shared);
        Ok(())
    };
    let info = match format {
        Format::Csv => {
            let settings = CsvSettings {
                delimiter: profile.map(|p| p.delimiter_byte()).unwrap_or(b','),
                encoding: profile
                    .and_then(|p| p.text_encoding())
                    .unwrap_or(settings.encoding),
                skip_rows: profile.map(|p| p.skip_rows).unwrap_or(0),
            };
            source::read_csv(path, &settings, &mut on_header, &mut on_batch)?
        }
        Format::Parquet => source::read_parquet(
            path,
            &mut on_header,
            &mut |name, dtype| b.borrow().check_parquet_type(path, profile, name, dtype),
            &mut on_batch,
        )?,
    };
    let ctx = ctx.into_inner();
    let ctx = ctx.expect("a read file has a header");
    Ok((ctx, info, format))
}

/// (min, max) of the table's time column, as ISO strings.
pub fn time_range(df: &DataFrame, t: Table) -> Option<(String, String)> {
    let col = t.time_column()?;
    let s = df.column(col).ok()?;
    let phys = s.as_materialized_series().to_physical_repr();
    let ca = phys.i64().ok()?;
    let (lo, hi) = (ca.min()?, ca.max()?);
    Some((time::fmt_utc(lo), time::fmt_utc(hi)))
}

/// The quarantine rows as a frame, sorted by table order, file, line.
pub fn quarantine_frame(rows: &[QuarantineRow]) -> Result<DataFrame> {
    let mut rows: Vec<&QuarantineRow> = rows.iter().collect();
    rows.sort_by(|a, b| (a.table, &a.file, a.line).cmp(&(b.table, &b.file, b.line)));
    let table: StringChunked = rows.iter().map(|r| Some(r.table.name())).collect();
    let file: StringChunked = rows.iter().map(|r| Some(r.file.as_str())).collect();
    let line: Int64Chunked = rows.iter().map(|r| Some(r.line as i64)).collect();
    let reason: StringChunked = rows.iter().map(|r| Some(r.reason.code())).collect();
    let column: StringChunked = rows.iter().map(|r| r.column.as_deref()).collect();
    let message: StringChunked = rows.iter().map(|r| Some(r.message.as_str())).collect();
    let raw: StringChunked = rows.iter().map(|r| Some(r.raw.as_str())).collect();
    Ok(DataFrame::new_infer_height(vec![
        table.with_name("table".into()).into_column(),
        file.with_name("file".into()).into_column(),
        line.with_name("line".into()).into_column(),
        reason.with_name("reason".into()).into_column(),
        column.with_name("column".into()).into_column(),
        message.with_name("message".into()).into_column(),
        raw.with_name("raw".into()).into_column(),
    ])?)
}
