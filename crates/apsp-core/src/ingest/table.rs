//! Turning raw rows into one typed canonical table, with quarantine and de-duplication.
//!
//! Owns the [`TableBuilder`], which orchestrates a table's files: it maps each file's
//! header (`mapping`), has each batch parsed in parallel chunks (`chunk`: typed batches
//! column-wise in `columnar`, the rest row by row in `rows`, both under the same row
//! rules), decides duplicates in input order (`dedup`), counts and quarantines rows
//! (keeping what a quarantined row can still tell, `salvage`) and appends the kept
//! rows to the output columns (`columns`). Every row read ends in exactly one of used
//! / quarantined / duplicates, and that is checked per file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use polars::prelude::*;
use rayon::prelude::*;
use serde::Serialize;

use super::chunk::{parse_chunk, ChunkOut, Kept, RowOut, CHUNK_ROWS};
use super::columns::ColumnBuilder;
use super::dedup::{pack_origin, unpack_origin, Fate, Seen};
use super::mapping::{CellSource, ColumnMapping, Header};
use super::profile::{ColumnSource, Profile};
use super::rows::RowRejection;
use super::salvage::Salvager;
use super::schema::{ColType, ColumnSpec, Sensitivity, Table};
use super::source::{Cell, RawRow, RowBatch, RowProblem};
use super::time::TimeRules;
use super::values::{with_phone_cache, CellFormats, ValueRef};
use super::Reason;
use super::{EarlierRows, RowHash};
use crate::error::{ApspError, Result};
use crate::pseudo::Domain;

pub use super::rows::Shared;
pub use super::salvage::{ContactHint, Hint, LinkHint, Salvage};

/// Row counts for one file or table. Invariant: read = used + quarantined + duplicates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct RowCounts {
    pub read: u64,
    pub used: u64,
    pub quarantined: u64,
    pub duplicates: u64,
}

impl RowCounts {
    pub fn add(&mut self, o: &RowCounts) {
        self.read += o.read;
        self.used += o.used;
        self.quarantined += o.quarantined;
        self.duplicates += o.duplicates;
    }

    pub fn balanced(&self) -> bool {
        self.read == self.used + self.quarantined + self.duplicates
    }
}

/// One quarantined row.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct QuarantineRow {
    pub table: Table,
    pub file: String,
    pub line: u64,
    pub reason: Reason,
    pub column: Option<String>,
    pub message: String,
    pub raw: String,
    /// What the row can still tell, for the tables whose rows explain events: used
    /// only to withhold a warning sign the row's absence would raise.
    pub hint: Option<Hint>,
}

impl QuarantineRow {
    /// "FILE line N: REASON in COLUMN", for notes that name the row to correct.
    pub fn describe(&self) -> String {
        match &self.column {
            Some(c) => format!(
                "{} line {}: {} in {c}",
                self.file,
                self.line,
                self.reason.code()
            ),
            None => format!("{} line {}: {}", self.file, self.line, self.reason.code()),
        }
    }
}

/// Per-file parsing context (header mapping and formats) and the file's row counts.
pub struct FileContext {
    pub rel_path: String,
    /// Where each canonical column comes from.
    pub(super) mapping: ColumnMapping,
    /// How the file writes its values.
    pub(super) formats: CellFormats,
    pub counts: RowCounts,
    /// Rows used with an interval read across the repeated hour of the clocks going
    /// back (an end before its start only because of it).
    pub fall_back_resolved: u64,
    /// Source columns present but not read (with `ignore_extra_columns`).
    pub ignored_columns: Vec<String>,
    /// Rows used although a free-text value was not UTF-8 (read as Windows-1252), and
    /// the first one's line and column.
    pub not_utf8_kept: u64,
    pub first_not_utf8: Option<(u64, String)>,
    /// The header's column names, as read.
    source_names: Vec<String>,
    pub reasons: BTreeMap<&'static str, u64>,
    /// Rows whose first failure was a parse failure of column i, to detect a wrong type.
    fail_by_col: Vec<u64>,
    first_bad: Vec<Option<(u64, String)>>,
    row_path_only: bool,
}

/// Accumulates one table across its files.
pub struct TableBuilder {
    pub table: Table,
    cols: &'static [ColumnSpec],
    data: Vec<ColumnBuilder>,
    source_file: Vec<u32>,
    source_line: Vec<i64>,
    pub files: Vec<String>,
    /// The rows kept so far, for telling duplicates.
    seen: Seen,
    pub quarantine: Vec<QuarantineRow>,
    /// Parsed-chunk buffers kept for the next batch.
    pool: Vec<ChunkOut<'static>>,
    /// The de-duplication hashes of the kept rows, in row order, when asked for
    /// ([`TableBuilder::record_hashes`]).
    kept_hashes: Option<Vec<RowHash>>,
}

/// How the files of one table are read.
pub struct FileSettings<'a> {
    pub profile: Option<&'a Profile>,
    pub time: &'a TimeRules,
    pub ignore_extra_columns: bool,
    /// CSV encoding, unless the profile says.
    pub encoding: super::source::TextEncoding,
    /// Typed files row by row (see [`super::IngestOptions::row_path_only`]).
    pub row_path_only: bool,
}

const PARSE_REASONS: &[Reason] = &[
    Reason::BadTimestamp,
    Reason::BadDate,
    Reason::BadNumber,
    Reason::BadPhone,
    Reason::UnknownValue,
    Reason::MissingValue,
];

impl TableBuilder {
    pub fn new(table: Table) -> Self {
        let cols = table.columns();
        TableBuilder {
            table,
            cols,
            data: cols.iter().map(|c| ColumnBuilder::new(c, 0)).collect(),
            source_file: Vec::new(),
            source_line: Vec::new(),
            files: Vec::new(),
            seen: Seen::new(),
            quarantine: Vec::new(),
            pool: Vec::new(),
            kept_hashes: None,
        }
    }

    /// Keeps the de-duplication hashes of every row kept from now on, so that a later
    /// read can be told them ([`TableBuilder::prime`]).
    pub fn record_hashes(&mut self) {
        self.kept_hashes = Some(Vec::new());
    }

    /// The hashes recorded by [`TableBuilder::record_hashes`], in row order.
    pub fn take_hashes(&mut self) -> Vec<RowHash> {
        self.kept_hashes.take().unwrap_or_default()
    }

    /// Tells the builder the rows an earlier read kept (a store's earlier nights): a
    /// row read now that repeats one is a duplicate, and one with its key and other
    /// values a conflict naming the earlier file and line, as if read together.
    pub fn prime(&mut self, earlier: &EarlierRows) {
        let base = self.files.len() as u64;
        self.files.extend(earlier.files.iter().cloned());
        self.seen
            .reserve(earlier.rows.len(), self.table.key().is_some());
        for r in &earlier.rows {
            let origin = pack_origin(base + u64::from(r.file), r.line);
            self.seen.prime(r.hash.content, r.hash.key, origin);
        }
    }

    /// Makes room for `rows` more rows.
    fn reserve(&mut self, rows: usize) {
        self.source_file.reserve(rows);
        self.source_line.reserve(rows);
        self.seen.reserve(rows, self.table.key().is_some());
        // The column builders take a capacity only when made: made again while empty.
        if self.is_empty() {
            self.data = self
                .cols
                .iter()
                .map(|c| ColumnBuilder::new(c, rows))
                .collect();
        }
    }

    /// Rows kept so far.
    pub fn len(&self) -> usize {
        self.source_line.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Maps a file's header onto the canonical columns; errors on missing, unknown or
    /// repeated columns.
    pub fn start_file(
        &mut self,
        path: &Path,
        rel_path: &str,
        header: &[String],
        header_line: u64,
        settings: &FileSettings<'_>,
    ) -> Result<FileContext> {
        let names = header;
        let header = Header::new(path, names, header_line, self.table, settings.profile);
        let (mapping, ignored_columns) = header.map(settings.ignore_extra_columns)?;
        let formats = CellFormats::for_file(settings.time, settings.profile)?;
        self.files.push(rel_path.to_string());
        Ok(FileContext {
            rel_path: rel_path.to_string(),
            mapping,
            formats,
            counts: RowCounts::default(),
            fall_back_resolved: 0,
            ignored_columns,
            not_utf8_kept: 0,
            first_not_utf8: None,
            source_names: names.to_vec(),
            reasons: BTreeMap::new(),
            fail_by_col: vec![0; self.cols.len()],
            first_bad: vec![None; self.cols.len()],
            row_path_only: settings.row_path_only,
        })
    }

    /// Checks a Parquet column's type against the canonical column it feeds.
    pub fn check_parquet_type(
        &self,
        path: &Path,
        profile: Option<&Profile>,
        name: &str,
        dtype: &DataType,
    ) -> Result<()> {
        let canonical =
            self.cols
                .iter()
                .find(|c| match profile.and_then(|p| p.columns.get(c.name)) {
                    Some(ColumnSource::Name(n)) => n.eq_ignore_ascii_case(name),
                    Some(_) => false,
                    None => c.name.eq_ignore_ascii_case(name),
                });
        let Some(c) = canonical else { return Ok(()) };
        let textual = !matches!(
            dtype,
            DataType::List(_) | DataType::Binary | DataType::BinaryOffset
        ) && !dtype.is_nested();
        let ok = match c.ty {
            ColType::Str | ColType::Enum(_) | ColType::Flags(_) | ColType::Phone => textual,
            ColType::Count => dtype.is_primitive_numeric() || dtype.is_string() || dtype.is_null(),
            ColType::Lat | ColType::Lon => {
                dtype.is_primitive_numeric() || dtype.is_string() || dtype.is_null()
            }
            ColType::Date | ColType::Datetime => matches!(
                dtype,
                DataType::Date | DataType::Datetime(_, _) | DataType::String | DataType::Null
            ),
        };
        if ok {
            Ok(())
        } else {
            Err(ApspError::schema(
                path,
                None,
                Some(name),
                format!(
                    "column {name:?} has type {dtype}; expected {} ({})",
                    c.ty.describe(),
                    parquet_expectation(c.ty)
                ),
            ))
        }
    }

    /// Processes a batch of raw rows: parsed in parallel (rayon), committed in order,
    /// so the result does not depend on the number of threads.
    pub fn push_batch(&mut self, ctx: &mut FileContext, batch: &dyn RowBatch, shared: &Shared<'_>) {
        let n = batch.len();
        if let Some(rest) = batch.remaining_rows() {
            self.reserve(rest);
        }
        let table = self.table;
        let spec: &FileContext = ctx;
        // Chunk buffers are reused from batch to batch (fresh ones cost page faults).
        let pool = Mutex::new(std::mem::take(&mut self.pool));
        let columnar = batch.columnar() && !ctx.row_path_only;
        let outs: Vec<ChunkOut<'_>> = (0..n.div_ceil(CHUNK_ROWS))
            .into_par_iter()
            .map(|c| {
                let out: ChunkOut<'_> = pool
                    .lock()
                    .map(|mut p| p.pop().unwrap_or_default())
                    .unwrap_or_default()
                    .recycle();
                let rows = c * CHUNK_ROWS..((c + 1) * CHUNK_ROWS).min(n);
                parse_chunk(out, spec, batch, rows, table, columnar, shared)
            })
            .collect();
        // Duplicates and conflicting keys are told in input order.
        let file_idx = (self.files.len() - 1) as u64;
        let fates = self.seen.decide(
            outs.iter().flat_map(|o| o.rows.iter().map(RowOut::hashes)),
            |i| pack_origin(file_idx, batch.line(i)),
        );
        // Counts and quarantine in input order; the kept rows' values are then appended
        // column by column in parallel.
        let kept = self.commit_rows(ctx, batch, &outs, &fates, shared);
        self.append_kept(ctx, batch, &outs, &kept);
        let mut pool = pool.into_inner().unwrap_or_default();
        pool.extend(outs.into_iter().map(ChunkOut::recycle));
        self.pool = pool;
    }

    /// Decides the fate of every row of a batch, in input order; returns the kept
    /// rows (chunk and place in it).
    fn commit_rows(
        &mut self,
        ctx: &mut FileContext,
        batch: &dyn RowBatch,
        outs: &[ChunkOut<'_>],
        fates: &[Fate],
        shared: &Shared<'_>,
    ) -> Vec<(u32, Kept)> {
        let mut cells = Vec::with_capacity(self.cols.len());
        let mut kept: Vec<(u32, Kept)> = Vec::with_capacity(batch.len());
        let mut i = 0usize;
        for (o, out) in outs.iter().enumerate() {
            for row in &out.rows {
                cells.clear();
                if let Some(k) = self.commit(ctx, batch, i, row, fates[i], out, &mut cells, shared)
                {
                    if out.not_utf8.binary_search(&i).is_ok() {
                        note_not_utf8_kept(ctx, batch, i, &mut cells);
                    }
                    kept.push((o as u32, k));
                }
                i += 1;
            }
        }
        kept
    }

    /// Appends the kept rows' values to the output columns, column by column in
    /// parallel.
    fn append_kept(
        &mut self,
        ctx: &FileContext,
        batch: &dyn RowBatch,
        outs: &[ChunkOut<'_>],
        kept: &[(u32, Kept)],
    ) {
        // A batch kept whole, decoded column-wise: a text column that is its source
        // exactly is taken as the source array (no copy of its text).
        let whole =
            kept.len() == batch.len() && kept.iter().all(|(_, k)| matches!(k, Kept::Decoded(_)));
        let (cols, sources) = (self.cols, &ctx.mapping.sources);
        self.data.par_iter_mut().enumerate().for_each(|(ci, col)| {
            if whole && outs.iter().all(|o| o.decoded.is_verbatim(ci)) {
                if let CellSource::Column(j) = sources[ci] {
                    if let Some(arr) = batch.text_array(j) {
                        col.append_text(cols[ci].name, arr);
                        return;
                    }
                }
            }
            for &(o, k) in kept {
                col.push(outs[o as usize].value(k, ci));
            }
        });
    }

    /// Decides the fate of row `i` of a batch, in input order; returns where its
    /// values are when it is kept.
    #[allow(clippy::too_many_arguments)]
    fn commit<'b>(
        &mut self,
        ctx: &mut FileContext,
        batch: &'b dyn RowBatch,
        i: usize,
        row: &RowOut,
        fate: Fate,
        out: &ChunkOut<'_>,
        cells: &mut Vec<Cell<'b>>,
        shared: &Shared<'_>,
    ) -> Option<Kept> {
        ctx.counts.read += 1;
        let kept = match row {
            RowOut::Problem => {
                let (line, problem) = batch.row(i, cells);
                let (reason, column, message) =
                    problem_reason(ctx, self.cols, problem.as_ref().expect("a problem row"));
                let raw = RawRow {
                    line,
                    cells,
                    problem,
                };
                self.reject(ctx, &raw, reason, column, message, shared);
                return None;
            }
            RowOut::Rejected(rejection) => {
                self.reject_row(ctx, batch, i, rejection, cells, shared);
                return None;
            }
            RowOut::Parsed { start, .. } => Kept::Parsed(*start as u32),
            RowOut::Decoded { r, .. } => Kept::Decoded(*r),
        };
        match fate {
            Fate::Keep => {
                ctx.counts.used += 1;
                if let Some(h) = &mut self.kept_hashes {
                    let (content, key) = row.hashes().expect("a kept row was parsed");
                    h.push(RowHash { content, key });
                }
                ctx.fall_back_resolved += u64::from(row.fall_back_resolved());
                self.source_file.push((self.files.len() - 1) as u32);
                self.source_line.push(batch.line(i) as i64);
                Some(kept)
            }
            Fate::Duplicate => {
                ctx.counts.duplicates += 1;
                None
            }
            Fate::Conflict(origin) => {
                let k = self.table.key().expect("keyed table");
                let ki = self.table.column_index(k).expect("key column");
                let message = self.conflict_message(out.value(kept, ki), origin);
                let (line, problem) = batch.row(i, cells);
                let raw = RawRow {
                    line,
                    cells,
                    problem,
                };
                let column = Some(k.to_string());
                self.reject(ctx, &raw, Reason::DuplicateKey, column, message, shared);
                None
            }
        }
    }

    /// Quarantines row `i`, which a cell or row rule rejected.
    fn reject_row<'b>(
        &mut self,
        ctx: &mut FileContext,
        batch: &'b dyn RowBatch,
        i: usize,
        rejection: &RowRejection,
        cells: &mut Vec<Cell<'b>>,
        shared: &Shared<'_>,
    ) {
        let (line, problem) = batch.row(i, cells);
        let raw = RawRow {
            line,
            cells,
            problem,
        };
        if let Some(ci) = rejection.column {
            if PARSE_REASONS.contains(&rejection.reason) {
                ctx.fail_by_col[ci] += 1;
                if ctx.first_bad[ci].is_none() {
                    let shown = self.shown_value(ctx, &raw, ci, shared);
                    ctx.first_bad[ci] = Some((raw.line, shown));
                }
            }
        }
        let column = rejection.column.map(|c| self.cols[c].name.to_string());
        let message = rejection.message.clone();
        self.reject(ctx, &raw, rejection.reason, column, message, shared);
    }

    /// The message for a row whose key (`key`) was first read at `origin` with other
    /// values.
    fn conflict_message(&self, key: ValueRef<'_>, origin: u64) -> String {
        let (f, l) = unpack_origin(origin);
        let first = format!("{}:{l}", self.files[f]);
        let k = self.table.key().expect("keyed table");
        let ki = self.table.column_index(k).expect("key column");
        let shown = match key {
            ValueRef::Str(t) if self.cols[ki].sensitivity == Sensitivity::Clear => {
                format!("{t:?}")
            }
            _ => "(pseudonymised)".to_string(),
        };
        format!(
            "{k} {shown} was already read with different values at {first}; the first row is kept"
        )
    }

    /// The value of canonical column `ci` in this row, as safe to show.
    fn shown_value(
        &self,
        ctx: &FileContext,
        raw: &RawRow<'_>,
        ci: usize,
        shared: &Shared<'_>,
    ) -> String {
        let text = ctx.mapping.source_text(ci, raw.cells);
        if self.cols[ci].sensitivity != Sensitivity::Clear {
            match shared.pseudo {
                Some(p) => p.pseudonym(Domain::Raw, &text),
                None => text,
            }
        } else {
            text
        }
    }

    /// Quarantines a row: counts it by reason and keeps it with its raw text
    /// (personal data pseudonymised) and what it can still tell.
    fn reject(
        &mut self,
        ctx: &mut FileContext,
        raw: &RawRow<'_>,
        reason: Reason,
        column: Option<String>,
        message: String,
        shared: &Shared<'_>,
    ) {
        ctx.counts.quarantined += 1;
        *ctx.reasons.entry(reason.code()).or_default() += 1;
        // With an unknown field layout (wrong count) nothing can be told apart as
        // personal data.
        let layout_unknown = raw.problem.is_some();
        let hint = match self.table {
            Table::CaseLinks | Table::Billing if reason == Reason::DuplicateKey => None,
            Table::CaseLinks | Table::Billing => {
                self.salvager(ctx, raw, |r| r.hint(layout_unknown, shared))
            }
            Table::Shifts | Table::Deployments | Table::VehicleAssignments if !layout_unknown => {
                self.salvager(ctx, raw, |r| Some(Hint::Salvage(r.salvage())))
            }
            _ => None,
        };
        self.quarantine.push(QuarantineRow {
            table: self.table,
            file: ctx.rel_path.clone(),
            line: raw.line,
            reason,
            column,
            message,
            raw: raw_text(ctx, raw, shared),
            hint,
        });
    }

    /// Reads a quarantined row's cells with `f` (see [`Salvager`]).
    fn salvager<R>(
        &self,
        ctx: &FileContext,
        raw: &RawRow<'_>,
        f: impl FnOnce(&mut Salvager<'_, '_, '_>) -> R,
    ) -> R {
        with_phone_cache(|phones| f(&mut Salvager::new(self.table, phones, ctx, raw.cells)))
    }

    /// Ends a file: checks for a column that failed on every row (a wrong type or
    /// profile, which must be an error, not a quiet mass quarantine) and the row
    /// accounting.
    pub fn finish_file(&mut self, path: &Path, ctx: &FileContext) -> Result<()> {
        let c = &ctx.counts;
        if !c.balanced() {
            return Err(ApspError::Accounting {
                file: path.to_path_buf(),
                read: c.read,
                used: c.used,
                quarantined: c.quarantined,
                duplicates: c.duplicates,
            });
        }
        if c.read >= 3 {
            for (ci, n) in ctx.fail_by_col.iter().enumerate() {
                if *n == c.read {
                    let col = &self.cols[ci];
                    let (line, value) = ctx.first_bad[ci].clone().unwrap_or_default();
                    return Err(ApspError::schema(
                        path,
                        Some(line),
                        Some(col.name),
                        format!(
                            "none of the {n} rows has a usable {} in column {:?} (expected {}; first value {:?}); \
                             the column is mistyped or an import profile is needed",
                            col.name,
                            col.name,
                            col.ty.describe(),
                            value
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Builds the typed DataFrame: canonical columns (phones followed by their
    /// `_kind`), then `source_file` and `source_line`.
    pub fn finish(self) -> Result<(DataFrame, Vec<QuarantineRow>)> {
        let mut columns: Vec<Column> = Vec::new();
        for column in self.data {
            column.finish(&mut columns)?;
        }
        // Rows of one file are contiguous: each run is one repeated value (stored once).
        let mut sf = StringChunked::full_null("source_file".into(), 0);
        for run in self.source_file.chunk_by(|a, b| a == b) {
            let name = self.files[run[0] as usize].as_str();
            sf.append_owned(StringChunked::full("source_file".into(), name, run.len()))?;
        }
        // One chunk, like every other column.
        columns.push(sf.rechunk().into_owned().into_column());
        let sl = Int64Chunked::from_vec("source_line".into(), self.source_line);
        columns.push(sl.into_column());
        let df = DataFrame::new_infer_height(columns)?;
        Ok((df, self.quarantine))
    }
}

/// A quarantined row as CSV text for the `raw` column (cut at 4 KiB). When
/// pseudonymising, the cells of personal-data columns are pseudonymised, and a row
/// with an unknown field layout is hidden whole.
fn raw_text(ctx: &FileContext, raw: &RawRow<'_>, shared: &Shared<'_>) -> String {
    let fields: Vec<String> = raw
        .cells
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let t = c.to_text();
            match shared.pseudo {
                Some(p)
                    if ctx.mapping.sensitive.get(i).copied().unwrap_or(false)
                        && !t.trim().is_empty() =>
                {
                    p.pseudonym(Domain::Raw, t.trim())
                }
                _ => t,
            }
        })
        .collect();
    if raw.problem.is_some() && shared.pseudo.is_some() {
        return format!(
            "(row hidden: {} fields, pseudonymisation is on)",
            fields.len()
        );
    }
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let _ = w.write_record(&fields);
    let mut s = String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default();
    if s.ends_with('\n') {
        s.pop();
    }
    if s.len() > 4096 {
        let mut cut = 4096;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push_str("…(truncated)");
    }
    s
}

/// Counts a row used although a free-text value was not UTF-8.
fn note_not_utf8_kept<'b>(
    ctx: &mut FileContext,
    batch: &'b dyn RowBatch,
    i: usize,
    cells: &mut Vec<Cell<'b>>,
) {
    ctx.not_utf8_kept += 1;
    if ctx.first_not_utf8.is_none() {
        cells.clear();
        if let (line, Some(RowProblem::Encoding { fields })) = batch.row(i, cells) {
            let j = fields[0];
            let name = ctx.source_names.get(j).cloned().unwrap_or_default();
            ctx.first_not_utf8 = Some((line, name));
        }
    }
}

/// The reason, column and message for a row with a tokenising problem.
fn problem_reason(
    ctx: &FileContext,
    cols: &[ColumnSpec],
    problem: &RowProblem,
) -> (Reason, Option<String>, String) {
    match problem {
        RowProblem::Encoding { fields } => {
            let source = |j: &usize| ctx.source_names.get(*j).cloned().unwrap_or_default();
            let column = fields
                .iter()
                .flat_map(|j| ctx.mapping.fed_by(*j))
                .next()
                .map(|ci| cols[ci].name.to_string());
            let names: Vec<String> = fields.iter().map(source).collect();
            (
                Reason::BadEncoding,
                column,
                format!(
                    "{} not valid UTF-8: if the export is from a Windows system, read it \
                     with encoding = \"cp1252\" (an import profile's setting, or \
                     --encoding cp1252); or save it as UTF-8",
                    if names.len() == 1 {
                        format!("column {:?} is", names[0])
                    } else {
                        format!("columns {} are", names.join(", "))
                    }
                ),
            )
        }
        RowProblem::FieldCount { found, expected } => (
            Reason::BadFieldCount,
            None,
            format!("row has {found} fields, the header has {expected}"),
        ),
        RowProblem::Quoting { found, expected } => (
            Reason::BadQuoting,
            None,
            format!(
                "unbalanced quote: a quoted field runs over line ends ({found} fields, header has {expected})"
            ),
        ),
    }
}

fn parquet_expectation(t: ColType) -> &'static str {
    match t {
        ColType::Datetime | ColType::Date => "Datetime, Date or String",
        ColType::Count => "a numeric type or String",
        ColType::Lat | ColType::Lon => "a numeric type or String",
        _ => "String",
    }
}

/// The relative path of a dataset file, with `/` separators, for messages and outputs.
pub fn rel_path(dir: &Path, path: &Path) -> String {
    let rel: PathBuf = path.strip_prefix(dir).unwrap_or(path).to_path_buf();
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}
