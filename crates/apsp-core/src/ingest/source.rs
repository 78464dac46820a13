//! Reading raw rows out of CSV and Parquet files.
//!
//! Both formats are turned into the same thing: a header (source column names) and
//! rows of [`Cell`]s with their 1-based line number, handed one at a time to a callback.
//! CSV is read with the `csv` crate so each row keeps the line it started on (quoted
//! fields may span lines) and broken rows can be quarantined one by one; Parquet with
//! polars, keeping its column types (a typed datetime needs no parsing).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::rc::Rc;

use chrono::NaiveDateTime;
use polars::prelude::*;
use sha2::{Digest, Sha256};

use crate::error::{ApspError, Result};

/// One cell of a raw row.
#[derive(Debug, Clone, Copy)]
pub enum Cell<'a> {
    Null,
    Str(&'a str),
    Int(i64),
    Float(f64),
    /// Days since 1970-01-01.
    Date(i32),
    /// A datetime without a zone (local time).
    Naive(NaiveDateTime),
    /// An absolute instant, UTC microseconds.
    Utc(i64),
    Bool(bool),
}

impl Cell<'_> {
    /// The cell as text, for messages and the quarantine `raw` column.
    pub fn to_text(&self) -> String {
        match self {
            Cell::Null => String::new(),
            Cell::Str(s) => (*s).to_string(),
            Cell::Int(i) => i.to_string(),
            Cell::Float(f) => f.to_string(),
            Cell::Date(d) => (chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")
                + chrono::Duration::days(*d as i64))
            .to_string(),
            Cell::Naive(n) => n.format("%Y-%m-%dT%H:%M:%S%.f").to_string(),
            Cell::Utc(m) => super::time::fmt_utc(*m),
            Cell::Bool(b) => b.to_string(),
        }
    }

    /// Blank, or a token exports write for "no value" (`NULL`, `N/A`, `NaN`, `-`, ...).
    pub fn is_blank(&self) -> bool {
        match self {
            Cell::Null => true,
            Cell::Str(s) => {
                let t = s.trim();
                // The longest token has 4 bytes: a longer text is never one.
                t.len() <= 4
                    && (t.is_empty() || NULL_TOKENS.iter().any(|n| n.eq_ignore_ascii_case(t)))
            }
            Cell::Float(f) => f.is_nan(),
            _ => false,
        }
    }
}

/// Cell texts that mean "no value" in real exports (SQL dumps, spreadsheets, pandas).
pub const NULL_TOKENS: &[&str] = &["null", "none", "nan", "n/a", "#n/a", "nil", "-"];

/// A row-level problem found while tokenising (before any column is parsed).
#[derive(Debug, Clone)]
pub enum RowProblem {
    /// These fields (source column indices) are not valid UTF-8; their cells hold the
    /// text read as Windows-1252, the usual encoding of exports that are not UTF-8.
    Encoding { fields: Vec<usize> },
    /// More or fewer fields than the header.
    FieldCount { found: usize, expected: usize },
    /// Field count wrong and a quoted field ran over line ends: an unbalanced quote.
    Quoting { found: usize, expected: usize },
}

/// A row handed to the consumer.
pub struct RawRow<'a> {
    /// 1-based line in the file (header = line 1 + skipped lines) for CSV;
    /// 1-based row number for Parquet.
    pub line: u64,
    pub cells: &'a [Cell<'a>],
    pub problem: Option<RowProblem>,
}

/// A batch of raw rows that worker threads can read concurrently.
pub trait RowBatch: Sync {
    /// Rows in the batch.
    fn len(&self) -> usize;
    /// Whether the batch has no rows.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The 1-based line (CSV) or row number (Parquet) of row `i`.
    fn line(&self, i: usize) -> u64;
    /// Appends row `i`'s cells to `cells`; returns its line and any tokenising problem.
    fn row<'a>(&'a self, i: usize, cells: &mut Vec<Cell<'a>>) -> (u64, Option<RowProblem>);
    /// Rows of the file from this batch on, when known (Parquet), so the table can
    /// reserve room once instead of growing.
    fn remaining_rows(&self) -> Option<usize> {
        None
    }
    /// Whether [`RowBatch::column`] gives the cells (a typed, column-wise source whose
    /// rows have no tokenising problems).
    fn columnar(&self) -> bool {
        false
    }
    /// Appends the cells of source column `j` for rows `rows` to `cells` (only when
    /// [`RowBatch::columnar`]).
    fn column<'a>(&'a self, _j: usize, _rows: std::ops::Range<usize>, _cells: &mut Vec<Cell<'a>>) {
        unreachable!("column() on a row-wise batch")
    }
    /// Source column `j` of the whole batch as one text array, when it is text (only
    /// when [`RowBatch::columnar`]).
    fn text_array(&self, _j: usize) -> Option<TextArray> {
        None
    }
}

/// A text column's array.
pub type TextArray = <StringType as PolarsDataType>::Array;

/// Rows per batch handed to the parser.
const BATCH_ROWS: usize = 32_768;

/// CSV records read sequentially, parsed in parallel.
struct CsvBatch {
    records: Vec<csv::ByteRecord>,
    lines: Vec<u64>,
    /// The text of rows that are not plain UTF-8 (decoded in the file's encoding).
    decoded: Vec<Option<DecodedRecord>>,
    len: usize,
    expected: usize,
}

impl RowBatch for CsvBatch {
    fn len(&self) -> usize {
        self.len
    }

    fn line(&self, i: usize) -> u64 {
        self.lines[i]
    }

    fn row<'a>(&'a self, i: usize, cells: &mut Vec<Cell<'a>>) -> (u64, Option<RowProblem>) {
        let line = self.lines[i];
        let rec = &self.records[i];
        let start = cells.len();
        let mut encoding_problem = None;
        match &self.decoded[i] {
            Some(d) => {
                cells.extend(d.fields.iter().map(|s| Cell::Str(s)));
                if !d.not_utf8.is_empty() {
                    encoding_problem = Some(RowProblem::Encoding {
                        fields: d.not_utf8.clone(),
                    });
                }
            }
            // Every field is valid UTF-8: the record was checked as a whole when read
            // and fields split on ASCII delimiters.
            None => cells.extend(
                rec.iter()
                    .map(|f| Cell::Str(std::str::from_utf8(f).unwrap_or_default())),
            ),
        }
        let mut n = cells.len() - start;
        // A trailing delimiter on every row (one extra empty field) is a common export
        // quirk, not a broken row.
        while n > self.expected && cells[start + n - 1].is_blank() {
            n -= 1;
        }
        cells.truncate(start + n);
        let expected = self.expected;
        let problem = (n != expected).then(|| {
            if rec.iter().any(|f| f.contains(&b'\n')) {
                RowProblem::Quoting { found: n, expected }
            } else {
                RowProblem::FieldCount { found: n, expected }
            }
        });
        (line, problem.or(encoding_problem))
    }
}

/// A slice of a Parquet frame.
struct ParquetBatch<'a> {
    cols: Vec<ColView<'a>>,
    offset: usize,
    len: usize,
    height: usize,
}

impl RowBatch for ParquetBatch<'_> {
    fn len(&self) -> usize {
        self.len
    }

    fn line(&self, i: usize) -> u64 {
        (self.offset + i + 1) as u64
    }

    fn row<'b>(&'b self, i: usize, cells: &mut Vec<Cell<'b>>) -> (u64, Option<RowProblem>) {
        cells.extend(self.cols.iter().map(|c| c.get(i)));
        (self.line(i), None)
    }

    fn remaining_rows(&self) -> Option<usize> {
        Some(self.height - self.offset)
    }

    fn columnar(&self) -> bool {
        true
    }

    fn column<'b>(&'b self, j: usize, rows: std::ops::Range<usize>, cells: &mut Vec<Cell<'b>>) {
        let c = &self.cols[j];
        cells.extend(rows.map(|i| c.get(i)));
    }

    fn text_array(&self, j: usize) -> Option<TextArray> {
        match &self.cols[j] {
            ColView::Str(a) => Some((*a).clone()),
            ColView::Owned(ca) => match ca.downcast_iter().collect::<Vec<_>>().as_slice() {
                [one] => Some((*one).clone()),
                _ => None,
            },
            _ => None,
        }
    }
}

/// Input file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Parquet,
}

impl Format {
    /// The format of a file by its name; a gzip-compressed text file
    /// (`billing.csv.gz`) is CSV. (Parquet compresses itself: `.parquet.gz` is not read.)
    pub fn of(path: &Path) -> Option<Format> {
        let format = match uncompressed_name(path)
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
            .as_deref()
        {
            Some("csv") | Some("txt") | Some("tsv") => Some(Format::Csv),
            Some("parquet") | Some("pq") => Some(Format::Parquet),
            _ => None,
        };
        format.filter(|f| *f == Format::Csv || !is_gzip(path))
    }
}

/// What reading a file told us besides its rows.
pub struct FileInfo {
    pub sha256: String,
    pub bytes: u64,
}

/// CSV reading settings.
pub struct CsvSettings {
    pub delimiter: u8,
    pub skip_rows: usize,
    pub encoding: TextEncoding,
}

/// The character encoding of a CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum TextEncoding {
    /// UTF-8 (the default). A field that is not valid UTF-8 is read as Windows-1252
    /// and reported: quarantined when it feeds an identifier, a number, a time or a
    /// coded value, kept (and counted) when it feeds free text.
    #[default]
    #[serde(rename = "utf-8")]
    Utf8,
    /// Windows-1252, the encoding of most exports from Windows systems in England and
    /// Wales (`É`, `£`, `’` as single bytes).
    #[serde(rename = "cp1252")]
    Cp1252,
    /// ISO-8859-1: every byte is the character of the same number.
    #[serde(rename = "latin-1")]
    Latin1,
}

impl TextEncoding {
    /// The names accepted in settings and profiles (any case).
    pub const NAMES: &'static str = "utf-8, cp1252 (windows-1252) or latin-1 (iso-8859-1)";

    /// Parses a setting's value: `utf-8`, `cp1252`/`windows-1252`, `latin-1`/`iso-8859-1`.
    pub fn parse(s: &str) -> Option<TextEncoding> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "utf-8" | "utf8" => Some(TextEncoding::Utf8),
            "cp1252" | "windows-1252" => Some(TextEncoding::Cp1252),
            "latin-1" | "latin1" | "iso-8859-1" => Some(TextEncoding::Latin1),
            _ => None,
        }
    }

    /// The setting's canonical name.
    pub fn name(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "utf-8",
            TextEncoding::Cp1252 => "cp1252",
            TextEncoding::Latin1 => "latin-1",
        }
    }

    /// One field's text: in this encoding; for UTF-8, `None` when it is not valid.
    fn decode(self, bytes: &[u8]) -> Option<String> {
        match self {
            TextEncoding::Utf8 => std::str::from_utf8(bytes).ok().map(str::to_string),
            TextEncoding::Cp1252 => Some(cp1252(bytes)),
            TextEncoding::Latin1 => Some(bytes.iter().map(|&b| b as char).collect()),
        }
    }
}

/// Bytes read as Windows-1252.
fn cp1252(bytes: &[u8]) -> String {
    encoding_rs::WINDOWS_1252
        .decode_without_bom_handling(bytes)
        .0
        .into_owned()
}

/// A record's fields as text, when the record is not plain UTF-8 or the file has
/// another encoding.
struct DecodedRecord {
    fields: Vec<String>,
    /// The fields that were not valid UTF-8 (UTF-8 files only), read as Windows-1252.
    not_utf8: Vec<usize>,
}

/// Decodes a record that needs it: any non-ASCII byte in a file of another encoding,
/// or bytes that are not UTF-8 in a UTF-8 file. `None`: the record is plain UTF-8.
fn decode_record(rec: &csv::ByteRecord, encoding: TextEncoding) -> Option<DecodedRecord> {
    let bytes = rec.as_slice();
    let plain = match encoding {
        TextEncoding::Utf8 => std::str::from_utf8(bytes).is_ok(),
        _ => bytes.is_ascii(),
    };
    if plain {
        return None;
    }
    let mut not_utf8 = Vec::new();
    let fields = rec
        .iter()
        .enumerate()
        .map(|(j, f)| {
            encoding.decode(f).unwrap_or_else(|| {
                not_utf8.push(j);
                cp1252(f)
            })
        })
        .collect();
    Some(DecodedRecord { fields, not_utf8 })
}

/// A reader that hashes the file's bytes as they are read: the hash names the file as
/// delivered (compressed or not), as the store's record of files taken does.
struct HashingReader<R> {
    inner: R,
    hash: Rc<RefCell<FileHash>>,
}

/// The SHA-256 and length of a file's bytes read so far.
struct FileHash {
    hasher: Sha256,
    bytes: u64,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut h = self.hash.borrow_mut();
        h.hasher.update(&buf[..n]);
        h.bytes += n as u64;
        Ok(n)
    }
}

/// A reader that notes where line ends are in the text read through it (after any
/// decompression).
///
/// The `csv` crate's own line numbers drift on CRLF files and after blank lines, so
/// lines are counted here from the bytes themselves: every `\r` and `\n` offset is
/// queued, and [`LineTracker::line_at`] consumes the queue as records advance.
struct LineBreaks<R> {
    inner: R,
    bytes: u64,
    breaks: Rc<RefCell<VecDeque<(u64, u8)>>>,
}

impl<R: Read> Read for LineBreaks<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut q = self.breaks.borrow_mut();
        for i in memchr::memchr2_iter(b'\n', b'\r', &buf[..n]) {
            q.push_back((self.bytes + i as u64, buf[i]));
        }
        self.bytes += n as u64;
        Ok(n)
    }
}

/// Whether a file is gzip-compressed, by its name (`billing.csv.gz`): carriers and
/// records systems often deliver their exports so.
pub fn is_gzip(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"))
}

/// A file's name without a `.gz` ending: the name its format and table are read from
/// (`billing.csv.gz` is read as `billing.csv`).
pub fn uncompressed_name(path: &Path) -> &Path {
    if is_gzip(path) {
        path.file_stem().map(Path::new).unwrap_or(path)
    } else {
        path
    }
}

/// About how many bytes of text a file holds, for planning a read (never for a
/// result): its size, times 8 when gzip-compressed (exports of digits and commas
/// compress 5 to 10 times). `None` when its size cannot be read.
pub fn text_bytes_estimate(path: &Path) -> Option<u64> {
    let size = std::fs::metadata(path).ok()?.len();
    Some(if is_gzip(path) {
        size.saturating_mul(8)
    } else {
        size
    })
}

/// A file's text: its bytes, decompressed when it is gzip-compressed.
pub fn open_text(path: &Path) -> std::io::Result<Box<dyn Read>> {
    Ok(text_of(File::open(path)?, is_gzip(path)))
}

fn text_of<R: Read + 'static>(raw: R, gzip: bool) -> Box<dyn Read> {
    if gzip {
        // Several members one after another (files joined with `cat`) are one text.
        Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(raw)))
    } else {
        Box::new(raw)
    }
}

/// Turns record start offsets into 1-based line numbers.
struct LineTracker {
    breaks: Rc<RefCell<VecDeque<(u64, u8)>>>,
    /// Line ends (`\n`) consumed so far.
    newlines: u64,
}

impl LineTracker {
    /// The line of the first content byte at or after `offset`: line ends before
    /// `offset`, plus the run of line-end bytes starting at `offset` (the csv reader
    /// reports a record as starting at the terminator or blank lines before it).
    fn line_at(&mut self, offset: u64) -> u64 {
        let mut q = self.breaks.borrow_mut();
        while let Some(&(o, b)) = q.front() {
            if o >= offset {
                break;
            }
            if b == b'\n' {
                self.newlines += 1;
            }
            q.pop_front();
        }
        let mut expect = offset;
        while let Some(&(o, b)) = q.front() {
            if o != expect {
                break;
            }
            if b == b'\n' {
                self.newlines += 1;
            }
            q.pop_front();
            expect += 1;
        }
        self.newlines + 1
    }
}

/// Header callback: receives the source column names, returns an error to stop.
pub type HeaderFn<'h> = dyn FnMut(&[String], u64) -> Result<()> + 'h;

/// Reads a CSV file, calling `on_header` once and `on_row` for each record.
pub fn read_csv(
    path: &Path,
    settings: &CsvSettings,
    on_header: &mut HeaderFn<'_>,
    on_batch: &mut dyn FnMut(&dyn RowBatch) -> Result<()>,
) -> Result<FileInfo> {
    let file = File::open(path).map_err(|e| ApspError::io(path, e))?;
    let breaks = Rc::new(RefCell::new(VecDeque::new()));
    let mut lines = LineTracker {
        breaks: breaks.clone(),
        newlines: 0,
    };
    let hash = Rc::new(RefCell::new(FileHash {
        hasher: Sha256::new(),
        bytes: 0,
    }));
    let raw = HashingReader {
        inner: file,
        hash: hash.clone(),
    };
    let mut reader = BufReader::with_capacity(
        1 << 20,
        LineBreaks {
            inner: text_of(raw, is_gzip(path)),
            bytes: 0,
            breaks,
        },
    );
    // Preamble lines (report titles etc.) before the header.
    let mut skipped = 0u64;
    let mut preamble_bytes = 0u64;
    let mut line_buf = Vec::new();
    for _ in 0..settings.skip_rows {
        line_buf.clear();
        let n = reader
            .read_until(b'\n', &mut line_buf)
            .map_err(|e| read_error(path, e))?;
        if n == 0 {
            break;
        }
        skipped += 1;
        preamble_bytes += n as u64;
    }
    let mut csv = csv::ReaderBuilder::new()
        .delimiter(settings.delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(&mut reader);
    let mut record = csv::ByteRecord::new();
    let ok = csv
        .read_byte_record(&mut record)
        .map_err(|e| csv_error(path, e, skipped))?;
    if !ok {
        return Err(ApspError::schema(
            path,
            None,
            None,
            if skipped > 0 {
                format!("no header row after the {skipped} skipped line(s): the file is empty")
            } else {
                "the file is empty: expected a header row".to_string()
            },
        ));
    }
    let header_line =
        lines.line_at(preamble_bytes + record.position().map(|p| p.byte()).unwrap_or(0));
    let header: Vec<String> = record
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let s = settings.encoding.decode(f).unwrap_or_else(|| cp1252(f));
            let s = if i == 0 {
                s.trim_start_matches('\u{feff}').to_string()
            } else {
                s.to_string()
            };
            s.trim().to_string()
        })
        .collect();
    on_header(&header, header_line)?;
    let mut batch = CsvBatch {
        records: Vec::new(),
        lines: Vec::new(),
        decoded: Vec::new(),
        len: 0,
        expected: header.len(),
    };
    loop {
        batch.len = 0;
        while batch.len < BATCH_ROWS {
            if batch.records.len() == batch.len {
                batch.records.push(csv::ByteRecord::new());
                batch.lines.push(0);
                batch.decoded.push(None);
            }
            let rec = &mut batch.records[batch.len];
            let ok = csv
                .read_byte_record(rec)
                .map_err(|e| csv_error(path, e, skipped))?;
            if !ok {
                break;
            }
            batch.lines[batch.len] =
                lines.line_at(preamble_bytes + rec.position().map(|p| p.byte()).unwrap_or(0));
            batch.decoded[batch.len] = decode_record(rec, settings.encoding);
            batch.len += 1;
        }
        if batch.len == 0 {
            break;
        }
        on_batch(&batch)?;
        if batch.len < BATCH_ROWS {
            break;
        }
    }
    drop(csv);
    // Hash whatever the CSV reader did not need to read (nothing, normally).
    std::io::copy(&mut reader, &mut std::io::sink()).map_err(|e| read_error(path, e))?;
    drop(reader);
    let FileHash { hasher, bytes } = Rc::try_unwrap(hash)
        .map_err(|_| ApspError::io(path, std::io::Error::other("file hash still shared")))?
        .into_inner();
    Ok(FileInfo {
        sha256: hex::encode(hasher.finalize()),
        bytes,
    })
}

/// A file that could not be read; for a gzip-compressed one, says it could not be
/// decompressed (a damaged or partly copied file says only "unexpected end of file").
fn read_error(path: &Path, e: std::io::Error) -> ApspError {
    if is_gzip(path) {
        let said = format!("could not decompress it (a damaged or partly copied .gz file?): {e}");
        ApspError::io(path, std::io::Error::new(e.kind(), said))
    } else {
        ApspError::io(path, e)
    }
}

fn csv_error(path: &Path, e: csv::Error, skipped: u64) -> ApspError {
    let line = e.position().map(|p| p.line() + skipped);
    match e.into_kind() {
        csv::ErrorKind::Io(io) => read_error(path, io),
        other => ApspError::Csv {
            file: path.to_path_buf(),
            line,
            message: format!("{other:?}"),
        },
    }
}

/// Rows per slice when walking a Parquet frame.
const PARQUET_SLICE: usize = BATCH_ROWS;

/// Rows of a Parquet file decoded at once (whole row groups; one larger group alone).
const PARQUET_DECODE_ROWS: usize = 256 * 1024;

/// Reads a Parquet file, calling `on_header` once and `on_row` for each row.
/// `check_type` is called per source column with its polars dtype and may reject it.
pub fn read_parquet(
    path: &Path,
    on_header: &mut HeaderFn<'_>,
    check_type: &mut dyn FnMut(&str, &DataType) -> Result<()>,
    on_batch: &mut dyn FnMut(&dyn RowBatch) -> Result<()>,
) -> Result<FileInfo> {
    let bytes = std::fs::read(path).map_err(|e| ApspError::io(path, e))?;
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let size = bytes.len() as u64;
    if bytes.is_empty() {
        return Err(ApspError::schema(
            path,
            None,
            None,
            "the file is empty: expected a Parquet file",
        ));
    }
    let parquet_err = |e: PolarsError| ApspError::Parquet {
        file: path.to_path_buf(),
        message: e.to_string(),
    };
    let reader = || ParquetReader::new(std::io::Cursor::new(&bytes[..]));
    // The row groups, decoded a few at a time: a large file is never whole in memory
    // (its decoded columns are several times its size), and each slice's memory is
    // reused by the next.
    let groups: Vec<usize> = reader()
        .get_metadata()
        .map_err(parquet_err)?
        .row_groups
        .iter()
        .map(|g| g.num_rows())
        .collect();
    let head = reader()
        .with_slice(Some((0, 0)))
        .finish()
        .map_err(parquet_err)?;
    let header: Vec<String> = head
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    on_header(&header, 0)?;
    for c in head.columns() {
        check_type(c.name().as_str(), c.dtype())?;
    }
    let height: usize = groups.iter().sum();
    let mut start = 0usize;
    let mut g = 0usize;
    while start < height {
        let mut len = 0usize;
        while g < groups.len() && (len == 0 || len + groups[g] <= PARQUET_DECODE_ROWS) {
            len += groups[g];
            g += 1;
        }
        let df = reader()
            .with_slice(Some((start, len)))
            .finish()
            .map_err(parquet_err)?;
        if df.height() != len {
            return Err(ApspError::Parquet {
                file: path.to_path_buf(),
                message: format!(
                    "rows {}..{} decoded as {} rows (the row-group metadata is inconsistent)",
                    start + 1,
                    start + len,
                    df.height()
                ),
            });
        }
        let mut offset = 0usize;
        while offset < len {
            let n = PARQUET_SLICE.min(len - offset);
            // One chunk per column, side by side (text cells are then read from one
            // array).
            let mut part = df.slice(offset as i64, n);
            part.rechunk_mut_par();
            let cols: Vec<ColView<'_>> = part
                .columns()
                .iter()
                .map(|c| ColView::new(c.as_materialized_series()))
                .collect::<Result<_>>()?;
            on_batch(&ParquetBatch {
                cols,
                offset: start + offset,
                len: n,
                height,
            })?;
            offset += n;
        }
        start += len;
    }
    Ok(FileInfo {
        sha256,
        bytes: size,
    })
}

/// A typed view of one Parquet column slice.
enum ColView<'a> {
    /// A single-chunk text column (the slice is rechunked first).
    Str(&'a <StringType as PolarsDataType>::Array),
    Int(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
    Date(Vec<Option<i32>>),
    Naive(Vec<Option<i64>>, TimeUnit),
    Utc(Vec<Option<i64>>, TimeUnit),
    Bool(&'a BooleanChunked),
    Owned(StringChunked),
    Null,
}

fn to_micros(v: i64, tu: TimeUnit) -> i64 {
    match tu {
        TimeUnit::Nanoseconds => v.div_euclid(1000),
        TimeUnit::Microseconds => v,
        TimeUnit::Milliseconds => v.saturating_mul(1000),
    }
}

impl<'a> ColView<'a> {
    fn new(s: &'a Series) -> Result<Self> {
        Ok(match s.dtype() {
            DataType::String => {
                let ca = s.str()?;
                match ca.downcast_iter().collect::<Vec<_>>().as_slice() {
                    [one] => ColView::Str(one),
                    _ => ColView::Owned(ca.rechunk().into_owned()),
                }
            }
            DataType::Boolean => ColView::Bool(s.bool()?),
            DataType::Null => ColView::Null,
            DataType::Float32 | DataType::Float64 => {
                ColView::Float(s.cast(&DataType::Float64)?.f64()?.iter().collect())
            }
            DataType::Date => ColView::Date(s.date()?.physical().iter().collect()),
            DataType::Datetime(tu, tz) => {
                let vals: Vec<Option<i64>> = s.datetime()?.physical().iter().collect();
                if tz.is_some() {
                    ColView::Utc(vals, *tu)
                } else {
                    ColView::Naive(vals, *tu)
                }
            }
            dt if dt.is_integer() => {
                ColView::Int(s.cast(&DataType::Int64)?.i64()?.iter().collect())
            }
            // Categoricals, enums, decimals...: read as their text.
            _ => ColView::Owned(s.cast(&DataType::String)?.str()?.clone()),
        })
    }

    fn get(&self, i: usize) -> Cell<'_> {
        fn opt(o: Option<Cell<'_>>) -> Cell<'_> {
            o.unwrap_or(Cell::Null)
        }
        match self {
            ColView::Str(a) => opt(a.get(i).map(Cell::Str)),
            ColView::Bool(ca) => opt(ca.get(i).map(Cell::Bool)),
            ColView::Owned(ca) => opt(ca.get(i).map(Cell::Str)),
            ColView::Null => Cell::Null,
            ColView::Int(v) => opt(v[i].map(Cell::Int)),
            ColView::Float(v) => opt(v[i].map(Cell::Float)),
            ColView::Date(v) => opt(v[i].map(Cell::Date)),
            ColView::Utc(v, tu) => opt(v[i].map(|x| Cell::Utc(to_micros(x, *tu)))),
            ColView::Naive(v, tu) => opt(v[i].and_then(|x| {
                chrono::DateTime::from_timestamp_micros(to_micros(x, *tu))
                    .map(|d| Cell::Naive(d.naive_utc()))
            })),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_tokens_fit_the_blank_shortcut() {
        // `Cell::is_blank` compares only texts of up to 4 bytes with the tokens.
        assert!(NULL_TOKENS.iter().all(|t| t.len() <= 4));
        for t in NULL_TOKENS {
            assert!(Cell::Str(t).is_blank());
            assert!(Cell::Str(&format!("  {}  ", t.to_uppercase())).is_blank());
        }
        assert!(!Cell::Str("nulls").is_blank());
        assert!(!Cell::Str("0").is_blank());
    }
}

#[cfg(test)]
pub(crate) mod gzip_tests {
    use std::io::Write;

    use super::*;

    /// `text` gzip-compressed.
    pub(crate) fn gzip(text: &str) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(text.as_bytes()).unwrap();
        e.finish().unwrap()
    }

    fn settings() -> CsvSettings {
        CsvSettings {
            delimiter: b',',
            skip_rows: 0,
            encoding: TextEncoding::Utf8,
        }
    }

    /// Every record's line, read from `path`.
    fn lines_of(path: &Path) -> Result<(Vec<u64>, FileInfo)> {
        let mut lines = Vec::new();
        let info = read_csv(path, &settings(), &mut |_, _| Ok(()), &mut |b| {
            lines.extend((0..b.len()).map(|i| b.line(i)));
            Ok(())
        })?;
        Ok((lines, info))
    }

    #[test]
    fn a_compressed_file_is_named_by_its_text_and_hashed_as_delivered() {
        assert_eq!(Format::of(Path::new("billing.csv.gz")), Some(Format::Csv));
        assert_eq!(Format::of(Path::new("BILLING.TSV.GZ")), Some(Format::Csv));
        assert_eq!(Format::of(Path::new("billing.parquet.gz")), None);
        assert_eq!(Format::of(Path::new("billing.gz")), None);
        assert_eq!(
            uncompressed_name(Path::new("x/billing.csv.gz")),
            Path::new("billing.csv")
        );
        let dir = tempfile::tempdir().unwrap();
        // A quoted field over two lines, a blank line and CRLF: lines 2, 3 and 6.
        let text = "a,b\r\n1,x\r\n2,\"two\r\nlines\"\r\n\r\n3,y\r\n";
        let plain = dir.path().join("t.csv");
        std::fs::write(&plain, text).unwrap();
        let packed = dir.path().join("t.csv.gz");
        let bytes = gzip(text);
        std::fs::write(&packed, &bytes).unwrap();
        let (plain_lines, _) = lines_of(&plain).unwrap();
        let (lines, info) = lines_of(&packed).unwrap();
        assert_eq!(plain_lines, vec![2, 3, 6]);
        assert_eq!(lines, plain_lines);
        // The hash and size of the file delivered, as the store records files taken.
        assert_eq!(info.sha256, hex::encode(Sha256::digest(&bytes)));
        assert_eq!(info.bytes, bytes.len() as u64);
    }

    #[test]
    fn a_damaged_compressed_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let bytes = gzip(&"a,b\n1,2\n".repeat(2_000));
        let cut = dir.path().join("billing.csv.gz");
        std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
        let e = lines_of(&cut).err().expect("a file cut short is refused");
        let m = e.to_string();
        assert!(m.contains("billing.csv.gz"), "{m}");
        assert!(m.contains("could not decompress it"), "{m}");
    }
}
