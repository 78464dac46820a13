//! Where generated rows go: one writer per canonical table, as CSV or Parquet.
//!
//! The column list and types come from the contract in code (`ingest::schema`), so the
//! generator cannot drift from what `apsp validate` reads. The generator hands over
//! *values* (a local time, a phone number's digits); the sink decides how they are
//! *written*, the way real exports vary: ISO times with a `T` or a space, six writings
//! of a phone number. Those choices come from the sink's own random stream, so the
//! records themselves are the same whatever the format.
//!
//! With `--inject-errors RATE`, each background row is, with probability RATE, written
//! broken in one known way (or twice) and the sink records the line and the reason the
//! validator must give. Planted-scenario rows are never broken: their defining facts
//! must hold.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone as _, Weekday};
use polars::prelude::*;

use super::Rng;
use apsp_core::error::{ApspError, Result};
use apsp_core::ingest::schema::{ColType, ColumnSpec};
use apsp_core::ingest::{Reason, Table};

/// Output format of a generated dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Canonical CSV with naive local times, as most exports are.
    #[default]
    Csv,
    /// Parquet with typed columns: UTC datetimes, dates, integers, floats.
    Parquet,
}

impl std::str::FromStr for Format {
    type Err = ApspError;
    fn from_str(s: &str) -> Result<Format> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Ok(Format::Csv),
            "parquet" => Ok(Format::Parquet),
            _ => Err(ApspError::Setting {
                name: "format",
                value: s.to_string(),
                message: "expected csv or parquet".to_string(),
            }),
        }
    }
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Parquet => "parquet",
        }
    }
}

/// One generated value, in canonical column order.
#[derive(Debug, Clone, Copy)]
pub enum V<'a> {
    Null,
    /// Text, written as is.
    S(&'a str),
    /// A phone number as national digits (`07700900123`, `01154960123`) or a service
    /// number (`101`); written in one of the writings exports use.
    Phone(&'a str),
    I(i64),
    /// A coordinate or other float (written with 6 decimals).
    F(f64),
    /// A local wall-clock time (Europe/London).
    T(NaiveDateTime),
    /// A local time written exactly as given, even one no clock shows (error injection).
    Unclocked(NaiveDateTime),
    D(NaiveDate),
}

/// A row the sink broke on purpose, and what the validator must say about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Injected {
    pub table: Table,
    /// File name inside the dataset folder (`billing.csv`).
    pub file: String,
    /// Line (CSV, header = 1) or 1-based row (Parquet) of the broken row.
    pub line: u64,
    /// The quarantine reason; `None` for an exact duplicate (kept once, counted).
    pub reason: Option<Reason>,
    /// The column the validator names, where it names one.
    pub column: Option<&'static str>,
}

/// Rows a sink wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Data rows in the file.
    pub rows: u64,
    /// Rows the validator uses (rows − broken − duplicates).
    pub used: u64,
    /// Rows written broken on purpose.
    pub broken: u64,
    /// Exact duplicates written on purpose.
    pub duplicates: u64,
}

/// Rows per Parquet row group (bounded memory for any force size).
const PARQUET_BATCH: usize = 256 * 1024;

enum ColBuf {
    Str(Vec<Option<String>>),
    Int(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
    Time(Vec<Option<i64>>),
    Date(Vec<Option<i32>>),
}

enum Inner {
    Csv(Box<csv::Writer<BufWriter<File>>>),
    Parquet {
        writer: Box<polars::io::parquet::write::BatchedWriter<File>>,
        bufs: Vec<ColBuf>,
    },
}

/// The writer of one table.
pub struct Sink {
    pub table: Table,
    path: PathBuf,
    file: String,
    cols: &'static [ColumnSpec],
    inner: Inner,
    /// How values are written (T or space, phone writings).
    rng: Rng,
    /// Error injection: rate and its own stream (so clean rows are the same with or
    /// without it).
    inject: Option<(f64, Rng)>,
    /// While set, rows are never broken (planted scenarios).
    pub protected: bool,
    pub counts: Counts,
    pub injected: Vec<Injected>,
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> ApspError + '_ {
    move |e| ApspError::io(path, e)
}

fn csv_err(path: &Path, e: csv::Error) -> ApspError {
    ApspError::io(path, std::io::Error::other(e))
}

fn dtype(c: &ColumnSpec) -> DataType {
    match c.ty {
        ColType::Count => DataType::Int64,
        ColType::Lat | ColType::Lon => DataType::Float64,
        ColType::Date => DataType::Date,
        ColType::Datetime => {
            DataType::Datetime(TimeUnit::Microseconds, Some(polars::prelude::TimeZone::UTC))
        }
        ColType::Str | ColType::Enum(_) | ColType::Flags(_) | ColType::Phone => DataType::String,
    }
}

impl Sink {
    /// Creates `<table>.<ext>` in `dir`.
    pub fn create(
        dir: &Path,
        table: Table,
        format: Format,
        seed: u64,
        inject_rate: f64,
    ) -> Result<Sink> {
        let file = format!("{}.{}", table.name(), format.extension());
        let path = dir.join(&file);
        let cols = table.columns();
        let f = File::create(&path).map_err(io_err(&path))?;
        let inner = match format {
            Format::Csv => {
                let mut w = csv::WriterBuilder::new()
                    .terminator(csv::Terminator::Any(b'\n'))
                    .flexible(true)
                    .from_writer(BufWriter::with_capacity(1 << 20, f));
                w.write_record(cols.iter().map(|c| c.name))
                    .map_err(|e| csv_err(&path, e))?;
                Inner::Csv(Box::new(w))
            }
            Format::Parquet => {
                let schema: Schema = cols
                    .iter()
                    .map(|c| Field::new(c.name.into(), dtype(c)))
                    .collect();
                let writer = ParquetWriter::new(f)
                    .with_compression(ParquetCompression::Zstd(None))
                    .with_statistics(StatisticsOptions::default())
                    .batched(&schema)?;
                let bufs = cols
                    .iter()
                    .map(|c| match dtype(c) {
                        DataType::Int64 => ColBuf::Int(Vec::new()),
                        DataType::Float64 => ColBuf::Float(Vec::new()),
                        DataType::Date => ColBuf::Date(Vec::new()),
                        DataType::Datetime(..) => ColBuf::Time(Vec::new()),
                        _ => ColBuf::Str(Vec::new()),
                    })
                    .collect();
                Inner::Parquet {
                    writer: Box::new(writer),
                    bufs,
                }
            }
        };
        let id = Table::ALL.iter().position(|t| *t == table).unwrap_or(0) as u64;
        Ok(Sink {
            table,
            path,
            file,
            cols,
            inner,
            rng: Rng::stream(seed, 0x5100 + id),
            inject: (inject_rate > 0.0).then(|| (inject_rate, Rng::stream(seed, 0x1400 + id))),
            protected: false,
            counts: Counts::default(),
            injected: Vec::new(),
        })
    }

    /// Writes one row (values in canonical column order). Unless the sink is
    /// protected, error injection may break it or write it twice.
    pub fn row(&mut self, row: &[V<'_>]) -> Result<()> {
        debug_assert_eq!(row.len(), self.cols.len(), "{}", self.table);
        let pick = match (&mut self.inject, self.protected) {
            (Some((rate, rng)), false) => {
                let hit = rng.chance(*rate);
                let pick = rng.below(1 << 16);
                hit.then_some(pick)
            }
            _ => None,
        };
        let fault = pick.and_then(|p| self.fault(row, p));
        match fault {
            None => {
                self.write(row, false)?;
                self.counts.used += 1;
            }
            Some(Fault::Duplicate) => {
                self.write(row, false)?;
                self.write(row, false)?;
                self.counts.used += 1;
                self.counts.duplicates += 1;
                self.note(None, None);
            }
            Some(Fault::DuplicateKey(row2, col)) => {
                self.write(row, false)?;
                self.counts.used += 1;
                self.write(&row2, false)?;
                self.counts.broken += 1;
                self.note(Some(Reason::DuplicateKey), col);
            }
            Some(Fault::Broken(row2, extra, reason, col)) => {
                self.write(&row2, extra)?;
                self.counts.broken += 1;
                self.note(Some(reason), col);
            }
        }
        Ok(())
    }

    fn note(&mut self, reason: Option<Reason>, column: Option<&'static str>) {
        self.injected.push(Injected {
            table: self.table,
            file: self.file.clone(),
            line: self.line_of_last(),
            reason,
            column,
        });
    }

    /// Line (CSV) or row number (Parquet) of the last row written.
    fn line_of_last(&self) -> u64 {
        match self.inner {
            Inner::Csv(_) => self.counts.rows + 1,
            Inner::Parquet { .. } => self.counts.rows,
        }
    }

    fn csv(&self) -> bool {
        matches!(self.inner, Inner::Csv(_))
    }

    /// Chooses a way to break `row` (from `pick`), if one applies to this table, format
    /// and row.
    fn fault<'a>(&self, row: &[V<'a>], pick: u64) -> Option<Fault<'a>> {
        let cols = self.cols;
        let mut options: Vec<Fault<'a>> = Vec::new();
        let with = |i: usize, v: V<'a>| {
            let mut r = row.to_vec();
            r[i] = v;
            r
        };
        options.push(Fault::Duplicate);
        // A required value left blank (a blank other_number is a withheld number).
        if let Some(i) = cols
            .iter()
            .position(|c| c.required && !(self.table == Table::Billing && c.name == "other_number"))
        {
            let i = if self.table.key() == Some(cols[i].name) {
                // Keep the key: a blank key is still a missing value, but pick a
                // column the analyst would recognise as content.
                cols.iter()
                    .enumerate()
                    .skip(i + 1)
                    .find(|(_, c)| c.required)
                    .map(|(k, _)| k)
                    .unwrap_or(i)
            } else {
                i
            };
            options.push(Fault::Broken(
                with(i, V::Null),
                false,
                Reason::MissingValue,
                Some(cols[i].name),
            ));
        }
        for (i, c) in cols.iter().enumerate() {
            let present = !matches!(row[i], V::Null);
            match c.ty {
                ColType::Phone if present => options.push(Fault::Broken(
                    with(
                        i,
                        V::S(["07700 9OO123", "0770O900I23", "+44 77OO 900123"][pick as usize % 3]),
                    ),
                    false,
                    Reason::BadPhone,
                    Some(c.name),
                )),
                ColType::Enum(_) => options.push(Fault::Broken(
                    with(
                        i,
                        V::S(["sideways", "fax", "unknown code 7"][pick as usize % 3]),
                    ),
                    false,
                    Reason::UnknownValue,
                    Some(c.name),
                )),
                ColType::Flags(_) => options.push(Fault::Broken(
                    with(i, V::S("depressed;unsure")),
                    false,
                    Reason::UnknownValue,
                    Some(c.name),
                )),
                ColType::Lat if present => options.push(Fault::Broken(
                    with(i, V::F(91.0 + (pick % 50) as f64)),
                    false,
                    Reason::BadCoordinates,
                    Some(c.name),
                )),
                ColType::Datetime if present && self.csv() => {
                    options.push(Fault::Broken(
                        with(
                            i,
                            V::S(
                                ["2026-13-45T10:00:00", "45/45/2026 10:00", "yesterday 10am"]
                                    [pick as usize % 3],
                            ),
                        ),
                        false,
                        Reason::BadTimestamp,
                        Some(c.name),
                    ));
                    if let V::T(t) = row[i] {
                        options.push(Fault::Broken(
                            with(i, V::Unclocked(spring_gap(t.year()))),
                            false,
                            Reason::NonexistentLocalTime,
                            Some(c.name),
                        ));
                    }
                }
                ColType::Date if present && self.csv() => options.push(Fault::Broken(
                    with(i, V::S(["1990-02-30", "31/31/1990"][pick as usize % 2])),
                    false,
                    Reason::BadDate,
                    Some(c.name),
                )),
                ColType::Count if present && self.csv() => options.push(Fault::Broken(
                    with(i, V::S(["twelve", "-7", "1O"][pick as usize % 3])),
                    false,
                    Reason::BadNumber,
                    Some(c.name),
                )),
                _ => {}
            }
        }
        for o in self.table.ordered() {
            let (i1, i2) = (
                self.table.column_index(o.first).expect("column"),
                self.table.column_index(o.second).expect("column"),
            );
            if let (V::T(a), V::T(b)) = (row[i1], row[i2]) {
                // Swapped times; both are moved off the spring gap first so the swap
                // really reverses the interval on the clock. Not when both lie in the
                // hour the autumn change repeats: 01:31 to 01:14 is then a valid
                // interval (from the first 01:31 to the second 01:14), and the reader
                // rightly takes it as one.
                let (a, b) = (on_clock(a), on_clock(b));
                if b > a && !(in_repeated_hour(a) && in_repeated_hour(b)) {
                    let mut r = row.to_vec();
                    r[i1] = V::T(b);
                    r[i2] = V::T(a);
                    options.push(Fault::Broken(
                        r,
                        false,
                        Reason::EndBeforeStart,
                        Some(o.second),
                    ));
                }
            }
        }
        if self.csv() {
            options.push(Fault::Broken(
                row.to_vec(),
                true,
                Reason::BadFieldCount,
                None,
            ));
        }
        if let Some(key) = self.table.key() {
            let k = self.table.column_index(key).expect("key");
            if let (V::S(id), Some(t)) =
                (row[k], cols.iter().position(|c| c.ty == ColType::Datetime))
            {
                if !id.is_empty() {
                    if let V::T(at) = row[t] {
                        options.push(Fault::DuplicateKey(
                            with(t, V::T(at + Duration::minutes(7))),
                            Some(key),
                        ));
                    }
                }
            }
        }
        let n = options.len();
        (n > 0).then(|| options.swap_remove(pick as usize % n))
    }

    fn write(&mut self, row: &[V<'_>], extra_field: bool) -> Result<()> {
        self.counts.rows += 1;
        let rng = &mut self.rng;
        match &mut self.inner {
            Inner::Csv(w) => {
                let mut fields: Vec<String> = row.iter().map(|v| csv_text(rng, *v)).collect();
                if extra_field {
                    fields.push("extra".to_string());
                }
                w.write_record(&fields)
                    .map_err(|e| csv_err(&self.path, e))?;
            }
            Inner::Parquet { bufs, .. } => {
                for (b, v) in bufs.iter_mut().zip(row) {
                    match b {
                        ColBuf::Str(x) => x.push(match v {
                            V::Null => None,
                            other => Some(csv_text(rng, *other)),
                        }),
                        ColBuf::Int(x) => x.push(match v {
                            V::I(i) => Some(*i),
                            _ => None,
                        }),
                        ColBuf::Float(x) => x.push(match v {
                            V::F(f) => Some((f * 1e6).round() / 1e6),
                            _ => None,
                        }),
                        ColBuf::Time(x) => x.push(match v {
                            V::T(t) => Some(utc_micros(*t)),
                            _ => None,
                        }),
                        ColBuf::Date(x) => x.push(match v {
                            V::D(d) => Some(
                                (*d - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch"))
                                    .num_days() as i32,
                            ),
                            _ => None,
                        }),
                    }
                }
                if bufs.first().map(ColBuf::len).unwrap_or(0) >= PARQUET_BATCH {
                    self.flush_batch()?;
                }
            }
        }
        Ok(())
    }

    fn flush_batch(&mut self) -> Result<()> {
        let cols = self.cols;
        if let Inner::Parquet { writer, bufs } = &mut self.inner {
            if bufs.first().map(ColBuf::len).unwrap_or(0) == 0 {
                return Ok(());
            }
            let columns: Vec<Column> = bufs
                .iter_mut()
                .zip(cols)
                .map(|(b, c)| b.take(c))
                .collect::<Result<_>>()?;
            let df = DataFrame::new_infer_height(columns)?;
            writer.write_batch(&df)?;
        }
        Ok(())
    }

    /// Flushes and closes the file.
    pub fn finish(&mut self) -> Result<()> {
        self.flush_batch()?;
        match &mut self.inner {
            Inner::Csv(w) => w.flush().map_err(io_err(&self.path))?,
            Inner::Parquet { writer, .. } => {
                writer.finish()?;
            }
        }
        Ok(())
    }
}

enum Fault<'a> {
    Duplicate,
    DuplicateKey(Vec<V<'a>>, Option<&'static str>),
    Broken(Vec<V<'a>>, bool, Reason, Option<&'static str>),
}

impl ColBuf {
    fn len(&self) -> usize {
        match self {
            ColBuf::Str(v) => v.len(),
            ColBuf::Int(v) => v.len(),
            ColBuf::Float(v) => v.len(),
            ColBuf::Time(v) => v.len(),
            ColBuf::Date(v) => v.len(),
        }
    }

    fn take(&mut self, c: &ColumnSpec) -> Result<Column> {
        let name: PlSmallStr = c.name.into();
        Ok(match self {
            ColBuf::Str(v) => Column::new(name, std::mem::take(v)),
            ColBuf::Int(v) => Column::new(name, std::mem::take(v)),
            ColBuf::Float(v) => Column::new(name, std::mem::take(v)),
            ColBuf::Time(v) => Int64Chunked::from_iter_options(name, std::mem::take(v).into_iter())
                .into_datetime(TimeUnit::Microseconds, Some(polars::prelude::TimeZone::UTC))
                .into_column(),
            ColBuf::Date(v) => Int32Chunked::from_iter_options(name, std::mem::take(v).into_iter())
                .into_date()
                .into_column(),
        })
    }
}

/// The text of a value in a CSV export.
fn csv_text(rng: &mut Rng, v: V<'_>) -> String {
    match v {
        V::Null => String::new(),
        V::S(s) => s.to_string(),
        V::Phone(d) => write_number(rng, d),
        V::I(i) => i.to_string(),
        V::F(f) => format!("{f:.6}"),
        V::T(t) => {
            let t = on_clock(t);
            if rng.chance(0.2) {
                t.format("%Y-%m-%d %H:%M:%S").to_string()
            } else {
                t.format("%Y-%m-%dT%H:%M:%S").to_string()
            }
        }
        V::Unclocked(t) => t.format("%Y-%m-%dT%H:%M:%S").to_string(),
        V::D(d) => d.to_string(),
    }
}

/// A local time as UTC microseconds (the fall-back hour resolves to its first
/// occurrence, as the validator's default does).
fn utc_micros(t: NaiveDateTime) -> i64 {
    chrono_tz::Europe::London
        .from_local_datetime(&on_clock(t))
        .earliest()
        .expect("an on-clock time exists")
        .timestamp_micros()
}

/// The wall-clock reading of a scheduled local time: a time inside the spring-forward
/// gap is shown an hour later, as clocks do.
pub fn on_clock(t: NaiveDateTime) -> NaiveDateTime {
    match chrono_tz::Europe::London.from_local_datetime(&t) {
        chrono::LocalResult::None => t + Duration::hours(1),
        _ => t,
    }
}

/// Whether London clocks show the local time `t` twice (the hour repeated when they go
/// back in autumn).
pub fn in_repeated_hour(t: NaiveDateTime) -> bool {
    matches!(
        chrono_tz::Europe::London.from_local_datetime(&t),
        chrono::LocalResult::Ambiguous(..)
    )
}

/// An interval as real clocks show it: the end is never before the start (moving a
/// time out of the spring gap must not reverse an interval that spans it).
pub fn clock_pair(a: NaiveDateTime, b: NaiveDateTime) -> (NaiveDateTime, NaiveDateTime) {
    let a = on_clock(a);
    (a, on_clock(b).max(a))
}

/// 01:30 local on the day clocks go forward in `year` (the last Sunday of March): a
/// time no London clock shows.
fn spring_gap(year: i32) -> NaiveDateTime {
    let mut d = NaiveDate::from_ymd_opt(year, 3, 31).expect("date");
    while d.weekday() != Weekday::Sun {
        d -= Duration::days(1);
    }
    d.and_hms_opt(1, 30, 0).expect("time")
}

/// Writes a UK number (national digits) in one of the writings billing and force
/// systems use. Service numbers and short codes are written as they are.
pub fn write_number(rng: &mut Rng, digits: &str) -> String {
    if digits.len() < 10 || !digits.starts_with('0') {
        return digits.to_string();
    }
    let national = &digits[1..];
    let mobile = digits.starts_with("07");
    let spaced = |s: &str| {
        if mobile {
            format!("{} {}", &s[..4], &s[4..])
        } else {
            format!("{} {} {}", &s[..3], &s[3..6], &s[6..])
        }
    };
    match rng.below(10) {
        0..=4 => digits.to_string(),
        5 => format!("0{}", spaced(national)),
        6 => format!("+44 {}", spaced(national)),
        7 => format!("+44{national}"),
        8 => format!("0044{national}"),
        _ => format!("+44 (0){}", spaced(national)),
    }
}
