//! Taking a night's delivery: which files are new (by content hash), reading them
//! once against what the store already holds, and writing their rows as parts.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use apsp_core::ingest::{
    discover_files, read_files, Delivery, EarlierRow, EarlierRows, IngestOptions, Prior,
    QuarantineRow, RowHash,
};
use apsp_core::Table;
use polars::prelude::*;
use rayon::prelude::*;
use rusqlite::params;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::layout;
use crate::{Result, Store, StoreError};

/// The hash columns kept beside an event row (content, then key: high and low 64 bits).
pub(crate) const HASH_COLUMNS: [&str; 4] = ["_hash_hi", "_hash_lo", "_key_hi", "_key_lo"];

/// Whether a table arrives as a full snapshot each time (officers, devices, persons,
/// person numbers, case links, vehicle assignments: the latest delivery replaces the
/// one before) or as new rows to append (billing, stops, access log, deployments,
/// shifts, complaints).
pub(crate) fn is_snapshot_table(t: Table) -> bool {
    matches!(
        t,
        Table::Officers
            | Table::Devices
            | Table::Persons
            | Table::PersonNumbers
            | Table::CaseLinks
            | Table::VehicleAssignments
    )
}

/// A file of the delivery, with what the store made of it.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveredFile {
    pub table: String,
    /// Relative to the incoming folder.
    pub file: String,
    pub sha256: String,
    /// For a file not taken: why (taken before under a name, in a run; or the same
    /// bytes as another file tonight).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_taken: Option<String>,
    /// The latest event among its rows kept (UTC), for a file taken.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_event: Option<String>,
}

/// A data file written for the night, to record when it commits.
pub(crate) struct Part {
    pub path: String,
    pub table: Table,
    pub kind: &'static str,
    pub rows: u64,
}

/// What taking a delivery produced.
pub(crate) struct Taken {
    pub files: Vec<DeliveredFile>,
    /// The files read (None when nothing was new).
    pub delivery: Option<Delivery>,
    pub parts: Vec<Part>,
    /// Files in the incoming folder that belong to no table: not read, and recorded
    /// among the night's deliveries (table `""`) so that the morning report and the
    /// run's manifest name them.
    pub ignored: Vec<DeliveredFile>,
}

/// Why a file of the delivery that belongs to no table was not read.
pub(crate) const NOT_READ: &str = "not read: it belongs to no table (rename it, e.g. \
                                   billing.csv, or map it with an import profile)";

/// The delivery's files that belong to no table. Not hashed: nothing is read of them
/// (a stray archive would be read every night, a file still being written would
/// fail the night).
fn not_read(names: &[String]) -> Vec<DeliveredFile> {
    names
        .iter()
        .map(|name| DeliveredFile {
            table: String::new(),
            file: name.clone(),
            sha256: String::new(),
            not_taken: Some(NOT_READ.to_string()),
            latest_event: None,
        })
        .collect()
}

/// Reads the new files of `incoming` and writes their rows as parts of run `run`
/// (not yet recorded: see [`crate::nightly`]).
pub(crate) fn take(
    store: &Store,
    incoming: &Path,
    opts: &IngestOptions,
    run: i64,
    replace_snapshots: &[String],
    timings: &mut crate::nightly::Timings,
) -> Result<Taken> {
    let found = discover_files(incoming, &opts.profiles)?;
    let ignored = not_read(&found.ignored);
    let mut files = Vec::new();
    let mut to_read: BTreeMap<Table, Vec<PathBuf>> = BTreeMap::new();
    for (table, paths) in &found.files {
        let (new, notes) = new_files(store, incoming, *table, paths)?;
        files.extend(notes);
        if !new.is_empty() {
            to_read.insert(*table, new);
        }
    }
    if to_read.is_empty() {
        return Ok(Taken {
            files,
            delivery: None,
            parts: Vec::new(),
            ignored,
        });
    }
    timings.lap("hash the delivery");
    let prior = prior_for(store, incoming, &to_read, opts, timings)?;
    timings.lap("load the stored rows' hashes");
    let delivery = read_files(incoming, &to_read, opts, &prior)?;
    drop(prior);
    timings.lap("read the new files");
    refuse_a_shrunken_snapshot(store, &delivery, replace_snapshots)?;
    let parts = write_parts(store, &delivery, run)?;
    timings.lap("write the parts");
    let latest = latest_event_by_file(&delivery)?;
    for f in files.iter_mut().filter(|f| f.not_taken.is_none()) {
        f.latest_event = latest
            .get(&(f.table.clone(), f.file.clone()))
            .map(|t| apsp_core::ingest::time::fmt_utc(*t));
    }
    Ok(Taken {
        files,
        delivery: Some(delivery),
        parts,
        ignored,
    })
}

/// The files of a table to read tonight, and a note for every file delivered.
/// An appended table's file is new unless the store took the same bytes before; a
/// snapshot table's delivery is new unless it is exactly the current snapshot's files.
fn new_files(
    store: &Store,
    incoming: &Path,
    table: Table,
    paths: &[PathBuf],
) -> Result<(Vec<PathBuf>, Vec<DeliveredFile>)> {
    let mut notes = Vec::new();
    let mut new = Vec::new();
    let mut tonight: BTreeMap<String, String> = BTreeMap::new();
    let current = if is_snapshot_table(table) {
        current_snapshot_hashes(store, table)?
    } else {
        BTreeMap::new()
    };
    for p in paths {
        let sha = sha256_file(p)?;
        let name = apsp_core::ingest::table::rel_path(incoming, p);
        let not_taken = if let Some(first) = tonight.get(&sha) {
            Some(format!("the same bytes as {first}, delivered tonight too"))
        } else if is_snapshot_table(table) {
            None
        } else {
            taken_before(store, table, &sha)?
        };
        tonight.entry(sha.clone()).or_insert_with(|| name.clone());
        if not_taken.is_none() {
            new.push(p.clone());
        }
        notes.push(DeliveredFile {
            table: table.name().to_string(),
            file: name,
            sha256: sha,
            not_taken,
            latest_event: None,
        });
    }
    if is_snapshot_table(table) {
        let delivered: HashSet<&String> = tonight.keys().collect();
        let unchanged = !current.is_empty()
            && delivered.len() == current.len()
            && delivered.iter().all(|s| current.contains_key(*s));
        if unchanged {
            for n in notes.iter_mut().filter(|n| n.not_taken.is_none()) {
                let (run, name) = &current[&n.sha256];
                n.not_taken = Some(format!(
                    "the current snapshot already (taken as {name} in run {run})"
                ));
            }
            new.clear();
        }
    }
    Ok((new, notes))
}

/// The latest event of each file read (table, file), by its table's time column.
fn latest_event_by_file(d: &Delivery) -> Result<BTreeMap<(String, String), i64>> {
    let mut out: BTreeMap<(String, String), i64> = BTreeMap::new();
    for (t, df) in &d.dataset.tables {
        let Some(col) = t.time_column() else {
            continue;
        };
        let phys = df.column(col)?.as_materialized_series().to_physical_repr();
        let times = phys.i64()?;
        let files = df.column("source_file")?.str()?;
        for (f, at) in files.iter().zip(times.iter()) {
            if let (Some(f), Some(at)) = (f, at) {
                let e = out
                    .entry((t.name().to_string(), f.to_string()))
                    .or_insert(at);
                *e = (*e).max(at);
            }
        }
    }
    Ok(out)
}

/// A snapshot that keeps fewer than half the rows of the current one is refused (a
/// partial export, or one whose rows were all quarantined, would drop every officer or
/// person missing from it), unless the night is told to replace it anyway.
fn refuse_a_shrunken_snapshot(store: &Store, d: &Delivery, replace: &[String]) -> Result<()> {
    for (t, df) in &d.dataset.tables {
        if !is_snapshot_table(*t) || replace.iter().any(|r| r == t.name()) {
            continue;
        }
        let Some(run) = crate::scope::snapshot_run(store, *t, i64::MAX)? else {
            continue;
        };
        let current: i64 = store
            .conn
            .query_row(
                "SELECT rows FROM parts WHERE kind = 'snapshot' AND tbl = ?1 AND run_id = ?2",
                params![t.name(), run],
                |r| r.get(0),
            )
            .map_err(|e| store.sql(e))?;
        let tonight = df.height() as i64;
        if tonight * 2 < current {
            return Err(StoreError::store(
                &store.path,
                format!(
                    "tonight's {t} keeps {tonight} row(s), the current snapshot (run {run}) {current}: \
                     a partial export, or one whose rows were quarantined, would drop the rest; \
                     deliver the whole table, or replace it anyway with --replace-snapshot {t}"
                ),
            ));
        }
    }
    Ok(())
}

/// Where the store took these bytes for this table before, if it did.
fn taken_before(store: &Store, table: Table, sha: &str) -> Result<Option<String>> {
    use rusqlite::OptionalExtension;
    let earlier: Option<(String, i64)> = store
        .conn
        .query_row(
            "SELECT name, run_id FROM files WHERE sha256 = ?1 AND tbl = ?2 ORDER BY run_id LIMIT 1",
            params![sha, table.name()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(|e| store.sql(e))?;
    Ok(earlier.map(|(name, run)| format!("taken before as {name} in run {run}")))
}

/// The current snapshot's files of a table: hash -> (run, name).
fn current_snapshot_hashes(store: &Store, table: Table) -> Result<BTreeMap<String, (i64, String)>> {
    let Some(run) = crate::scope::snapshot_run(store, table, i64::MAX)? else {
        return Ok(BTreeMap::new());
    };
    let mut stmt = store
        .conn
        .prepare("SELECT sha256, name FROM files WHERE tbl = ?1 AND run_id = ?2")
        .map_err(|e| store.sql(e))?;
    let rows = stmt
        .query_map(params![table.name(), run], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })
        .map_err(|e| store.sql(e))?;
    let mut out = BTreeMap::new();
    for r in rows {
        let (sha, name) = r.map_err(|e| store.sql(e))?;
        out.insert(sha, (run, name));
    }
    Ok(out)
}

pub(crate) fn sha256_file(path: &Path) -> Result<String> {
    let mut f = File::open(path).map_err(|e| StoreError::io(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(|e| StoreError::io(path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// What the store already holds, for reading tonight's files as if with it: the
/// kept rows of each appended table read tonight that share a key or content with a
/// row read tonight (see [`Wanted`]), and the officers' own numbers from the current
/// devices snapshot when no devices are delivered.
fn prior_for(
    store: &Store,
    incoming: &Path,
    to_read: &BTreeMap<Table, Vec<PathBuf>>,
    opts: &IngestOptions,
    timings: &mut crate::nightly::Timings,
) -> Result<Prior> {
    let mut prior = Prior::default();
    if !to_read.contains_key(&Table::Devices) {
        if let Some(run) = crate::scope::snapshot_run(store, Table::Devices, i64::MAX)? {
            let path = store.path.join(layout::snapshot_part(Table::Devices, run));
            let df = read_parquet(&path, Some(&["device_number"]))?;
            let numbers: HashSet<String> = df
                .column("device_number")?
                .str()?
                .iter()
                .flatten()
                .map(str::to_string)
                .collect();
            prior.officer_numbers = Some(numbers);
        }
    }
    let appended: Vec<Table> = to_read
        .keys()
        .copied()
        .filter(|t| !is_snapshot_table(*t))
        .collect();
    let wanted = wanted_rows(store, incoming, to_read, opts, &prior, &appended)?;
    if wanted.is_some() {
        timings.lap(FIRST_READ_STAGE);
    }
    for t in appended {
        prior
            .tables
            .insert(t, earlier_rows(store, t, wanted.as_ref().map(|w| &w[&t]))?);
    }
    Ok(prior)
}

/// The keys and contents of one table's rows read tonight: only the stored rows with
/// one of them can make a row read tonight a duplicate or a conflict. A row with a key
/// meets the stored rows with that key; a row without one, those with its content
/// and no key (as [`apsp_core::ingest`]'s de-duplication decides).
#[derive(Debug, Default)]
pub(crate) struct Wanted {
    keys: FxHashSet<u128>,
    contents: FxHashSet<u128>,
}

impl Wanted {
    fn of(hashes: &[RowHash]) -> Wanted {
        let mut w = Wanted::default();
        for h in hashes {
            match h.key {
                Some(k) => w.keys.insert(k),
                None => w.contents.insert(h.content),
            };
        }
        w
    }

    fn wants(&self, content: u128, key: Option<u128>) -> bool {
        match key {
            Some(k) => self.keys.contains(&k),
            None => self.contents.contains(&content),
        }
    }
}

/// A night's appended files are usually a day against a store of a year: then they
/// are read once without the store's rows, for their keys and contents, so that only
/// the stored rows sharing one are loaded (reading a day twice costs less than loading
/// a year's hashes). `None` (load every stored row) when the store holds no more than
/// [`FIRST_READ_BELOW`] times the rows the files could hold.
fn wanted_rows(
    store: &Store,
    incoming: &Path,
    to_read: &BTreeMap<Table, Vec<PathBuf>>,
    opts: &IngestOptions,
    prior: &Prior,
    appended: &[Table],
) -> Result<Option<BTreeMap<Table, Wanted>>> {
    let mut files: BTreeMap<Table, Vec<PathBuf>> =
        appended.iter().map(|t| (*t, to_read[t].clone())).collect();
    let bytes: u64 = files
        .values()
        .flatten()
        .map(|p| apsp_core::ingest::source::text_bytes_estimate(p).unwrap_or(u64::MAX))
        .fold(0, u64::saturating_add);
    let stored = stored_rows(store, appended)?;
    // A row of an export takes at least ~16 bytes, typed or not.
    if appended.is_empty() || stored <= FIRST_READ_BELOW * (bytes / 16) {
        return Ok(None);
    }
    // The officers' own numbers come from tonight's devices when delivered.
    if let Some(devices) = to_read.get(&Table::Devices) {
        files.insert(Table::Devices, devices.clone());
    }
    let first = read_files(incoming, &files, opts, prior)?;
    Ok(Some(
        appended
            .iter()
            .map(|t| (*t, Wanted::of(first.hashes.get(t).map_or(&[][..], |h| h))))
            .collect(),
    ))
}

/// The stage of a night's timings that reads its appended files for their keys.
pub const FIRST_READ_STAGE: &str = "read tonight's appended files for their keys";

/// How many times more stored rows than tonight's files could hold make a first read of
/// the files for their keys worth it (see [`wanted_rows`]).
const FIRST_READ_BELOW: u64 = 8;

/// The rows the store holds of these appended tables.
fn stored_rows(store: &Store, tables: &[Table]) -> Result<u64> {
    let mut n = 0u64;
    for t in tables {
        let rows: i64 = store
            .conn
            .query_row(
                "SELECT COALESCE(SUM(rows), 0) FROM parts WHERE kind = 'event' AND tbl = ?1",
                params![t.name()],
                |r| r.get(0),
            )
            .map_err(|e| store.sql(e))?;
        n += rows.max(0) as u64;
    }
    Ok(n)
}

/// The de-duplication hashes and origins of the rows the store holds of a table: every
/// row, or those `wanted` (in the same order).
fn earlier_rows(store: &Store, table: Table, wanted: Option<&Wanted>) -> Result<EarlierRows> {
    let root = store.path.as_path();
    let frames = crate::scope::event_parts(store, table, i64::MAX)?
        .par_iter()
        .map(|path| earlier_rows_of_part(&root.join(path), wanted))
        .collect::<Result<Vec<Option<DataFrame>>>>()?;
    let mut out = EarlierRows::default();
    let mut file_ix: FxHashMap<String, u32> = FxHashMap::default();
    for df in frames.into_iter().flatten() {
        let hi = df.column("_hash_hi")?.u64()?;
        let lo = df.column("_hash_lo")?.u64()?;
        let khi = df.column("_key_hi")?.u64()?;
        let klo = df.column("_key_lo")?.u64()?;
        let files = df.column("source_file")?.str()?;
        let lines = df.column("source_line")?.i64()?;
        out.rows.reserve(df.height());
        for i in 0..df.height() {
            let content = join(hi.get(i), lo.get(i)).unwrap_or_default();
            let key = join(khi.get(i), klo.get(i));
            let name = files.get(i).unwrap_or_default();
            let file = match file_ix.get(name) {
                Some(f) => *f,
                None => {
                    let f = out.files.len() as u32;
                    out.files.push(name.to_string());
                    file_ix.insert(name.to_string(), f);
                    f
                }
            };
            out.rows.push(EarlierRow {
                hash: RowHash { content, key },
                file,
                line: lines.get(i).unwrap_or_default() as u64,
            });
        }
    }
    Ok(out)
}

/// One part's rows for [`earlier_rows`]: every row, or those `wanted` (their hashes
/// read first; the rest of the columns only when some are); `None` when none is.
fn earlier_rows_of_part(path: &Path, wanted: Option<&Wanted>) -> Result<Option<DataFrame>> {
    let Some(wanted) = wanted else {
        let mut cols: Vec<&str> = HASH_COLUMNS.to_vec();
        cols.extend(["source_file", "source_line"]);
        return read_parquet(path, Some(&cols)).map(Some);
    };
    let df = read_parquet(path, Some(&HASH_COLUMNS))?;
    let hi = df.column("_hash_hi")?.u64()?;
    let lo = df.column("_hash_lo")?.u64()?;
    let khi = df.column("_key_hi")?.u64()?;
    let klo = df.column("_key_lo")?.u64()?;
    let rows: Vec<IdxSize> = (0..df.height())
        .filter(|&i| {
            let content = join(hi.get(i), lo.get(i)).unwrap_or_default();
            wanted.wants(content, join(khi.get(i), klo.get(i)))
        })
        .map(|i| i as IdxSize)
        .collect();
    if rows.is_empty() {
        return Ok(None);
    }
    let rows = IdxCa::from_vec("rows".into(), rows);
    let origins = read_parquet(path, Some(&["source_file", "source_line"]))?.take(&rows)?;
    Ok(Some(df.take(&rows)?.hstack(origins.columns())?))
}

fn join(hi: Option<u64>, lo: Option<u64>) -> Option<u128> {
    Some((u128::from(hi?) << 64) | u128::from(lo?))
}

/// Reads a store's Parquet file (some columns, or all).
pub(crate) fn read_parquet(path: &Path, columns: Option<&[&str]>) -> Result<DataFrame> {
    let f = File::open(path).map_err(|e| StoreError::io(path, e))?;
    let reader = ParquetReader::new(f)
        .with_columns(columns.map(|c| c.iter().map(|s| s.to_string()).collect()));
    Ok(reader.finish()?)
}

/// A part to write: its table, frame, rows (None: all), path and kind.
type PartJob<'a> = (
    Table,
    &'a DataFrame,
    Option<Vec<IdxSize>>,
    String,
    &'static str,
);

/// Writes the night's rows: each appended table split by month (UTC) of its time
/// column, each snapshot table whole, and the quarantined rows as JSON lines. The
/// parts are written side by side (compressing one leaves a core idle).
fn write_parts(store: &Store, delivery: &Delivery, run: i64) -> Result<Vec<Part>> {
    let mut frames = Vec::new();
    for (table, df) in &delivery.dataset.tables {
        let hashes = delivery.hashes.get(table).map(Vec::as_slice).unwrap_or(&[]);
        frames.push((*table, with_hash_columns(df, hashes)?));
    }
    // One job per part: its frame, its rows (None: all) and its path.
    let mut jobs: Vec<PartJob<'_>> = Vec::new();
    for (table, df) in &frames {
        if is_snapshot_table(*table) {
            jobs.push((
                *table,
                df,
                None,
                layout::snapshot_part(*table, run),
                "snapshot",
            ));
            continue;
        }
        for (month, rows) in rows_by_month(df, *table)? {
            jobs.push((
                *table,
                df,
                Some(rows),
                layout::event_part(*table, &month, run),
                "event",
            ));
        }
    }
    let root = store.path.as_path();
    let mut parts = jobs
        .into_par_iter()
        .map(|(table, df, rows, path, kind)| {
            let mut part = match rows {
                Some(rows) => df.take(&IdxCa::from_vec("idx".into(), rows))?,
                None => df.clone(),
            };
            write_parquet(&root.join(&path), &mut part)?;
            Ok(Part {
                path,
                table,
                kind,
                rows: part.height() as u64,
            })
        })
        .collect::<Result<Vec<Part>>>()?;
    let path = layout::quarantine_part(run);
    write_quarantine(&store.path.join(&path), &delivery.quarantine_rows)?;
    parts.push(Part {
        path,
        table: Table::Officers,
        kind: "quarantine",
        rows: delivery.quarantine_rows.len() as u64,
    });
    Ok(parts)
}

/// The frame with its rows' hashes as four UInt64 columns.
fn with_hash_columns(df: &DataFrame, hashes: &[RowHash]) -> Result<DataFrame> {
    if hashes.len() != df.height() {
        return Err(StoreError::Apsp(apsp_core::ApspError::Dataset {
            dir: PathBuf::new(),
            message: format!(
                "internal: {} row hashes for {} rows",
                hashes.len(),
                df.height()
            ),
        }));
    }
    let hi: UInt64Chunked = hashes
        .iter()
        .map(|h| Some((h.content >> 64) as u64))
        .collect();
    let lo: UInt64Chunked = hashes.iter().map(|h| Some(h.content as u64)).collect();
    let khi: UInt64Chunked = hashes
        .iter()
        .map(|h| h.key.map(|k| (k >> 64) as u64))
        .collect();
    let klo: UInt64Chunked = hashes.iter().map(|h| h.key.map(|k| k as u64)).collect();
    let mut out = df.clone();
    for (name, ca) in HASH_COLUMNS.iter().zip([hi, lo, khi, klo]) {
        out.with_column(ca.with_name((*name).into()).into_column())?;
    }
    Ok(out)
}

/// Row indices by month (`YYYY-MM`, UTC) of the table's time column, in row order.
fn rows_by_month(df: &DataFrame, table: Table) -> Result<BTreeMap<String, Vec<IdxSize>>> {
    let mut out: BTreeMap<String, Vec<IdxSize>> = BTreeMap::new();
    let Some(col) = table.time_column() else {
        out.insert("none".into(), (0..df.height() as IdxSize).collect());
        return Ok(out);
    };
    let phys = df.column(col)?.as_materialized_series().to_physical_repr();
    let ca = phys.i64()?;
    for (i, v) in ca.iter().enumerate() {
        let month = v
            .and_then(chrono::DateTime::from_timestamp_micros)
            .map(|t| t.format("%Y-%m").to_string())
            .unwrap_or_else(|| "none".to_string());
        out.entry(month).or_default().push(i as IdxSize);
    }
    Ok(out)
}

/// Writes a part. LZ4, not the zstd of the run outputs: every night reads every part
/// of the window back, and LZ4 decodes three times as fast (a year of 5,000 officers:
/// 0.5 s against 1.4–1.8 s) for a fifth more disk (667 MiB against 560).
fn write_parquet(path: &Path, df: &mut DataFrame) -> Result<()> {
    layout::write_whole(path, |f| {
        ParquetWriter::new(f)
            .with_compression(ParquetCompression::Lz4Raw)
            .finish(df)?;
        Ok(())
    })
}

fn write_quarantine(path: &Path, rows: &[QuarantineRow]) -> Result<()> {
    layout::write_whole(path, |f| {
        use std::io::Write;
        let mut w = std::io::BufWriter::new(f);
        for r in rows {
            serde_json::to_writer(&mut w, r).map_err(apsp_core::ApspError::from)?;
            w.write_all(b"\n").map_err(|e| StoreError::io(path, e))?;
        }
        w.flush().map_err(|e| StoreError::io(path, e))?;
        Ok(())
    })
}

/// Records the night's files and parts (inside the caller's transaction).
pub(crate) fn record(
    tx: &rusqlite::Transaction<'_>,
    store: &Store,
    taken: &Taken,
    run: i64,
) -> Result<()> {
    if let Some(d) = &taken.delivery {
        for input in &d.dataset.manifest.inputs {
            tx.execute(
                "INSERT INTO files(sha256, tbl, name, run_id, input) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    input.sha256,
                    input.table,
                    input.file,
                    run,
                    serde_json::to_string(input).map_err(apsp_core::ApspError::from)?
                ],
            )
            .map_err(|e| store.sql(e))?;
        }
    }
    for f in taken.files.iter().chain(&taken.ignored) {
        tx.execute(
            "INSERT INTO deliveries(run_id, tbl, name, sha256, not_taken, latest_event) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![run, f.table, f.file, f.sha256, f.not_taken, f.latest_event],
        )
        .map_err(|e| store.sql(e))?;
    }
    for p in &taken.parts {
        tx.execute(
            "INSERT INTO parts(path, run_id, tbl, kind, rows) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![p.path, run, p.table.name(), p.kind, p.rows as i64],
        )
        .map_err(|e| store.sql(e))?;
    }
    Ok(())
}
