//! Turning raw rows into one typed canonical table, with quarantine and de-duplication.
//!
//! For every row: map source cells onto canonical columns, parse each by its type,
//! apply the row rules (coordinates, time order), pseudonymise, derive a missing id,
//! then drop it as an exact duplicate, quarantine it as a conflicting duplicate key, or
//! keep it. Every row read ends in exactly one of used / quarantined / duplicates, and
//! that is checked per file.

use std::cell::RefCell;
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashSet};

use std::path::{Path, PathBuf};

use polars::prelude::*;
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;
use xxhash_rust::xxh3::xxh3_128;

use super::phone::{PhoneCache, PhoneKind};
use super::profile::{ColumnSource, DurationFormat, Profile};
use super::schema::{ColType, ColumnSpec, Sensitivity, Table};
use super::source::{Cell, RawRow, RowBatch, RowProblem};
use super::time::{parse_date, TimeError, TimeRules};
use super::Reason;
use crate::error::{ApspError, Result};
use crate::pseudo::{Domain, Pseudonymiser};

/// A parsed canonical value. Text lives in the builder's per-row arena (`start..end`),
/// so parsing a row allocates nothing.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Val {
    Null,
    Str(u32, u32),
    Int(i64),
    Float(f64),
    Date(i32),
    Time(i64),
    Phone(PhoneKind, u32, u32),
}

impl Val {
    /// The value as stored and hashed, its text resolved in `arena`.
    #[inline]
    fn item(self, arena: &str) -> Item<'_> {
        let text = |a: u32, b: u32| &arena[a as usize..b as usize];
        match self {
            Val::Null => Item::Null,
            Val::Str(a, b) => Item::Str(text(a, b)),
            Val::Int(i) => Item::Int(i),
            Val::Float(f) => Item::Float(f),
            Val::Date(d) => Item::Date(d),
            Val::Time(t) => Item::Time(t),
            Val::Phone(k, a, b) => Item::Phone(k, text(a, b)),
        }
    }
}

/// A value decoded column-wise from a typed (Parquet) batch: text is borrowed from the
/// batch where it is used as it is, else kept in the chunk's arena (`start..end`).
#[derive(Debug, Clone, Copy)]
enum FVal<'b> {
    Null,
    /// Text used as it is: a source cell or an allowed vocabulary value.
    Src(&'b str),
    Own(u32, u32),
    Int(i64),
    Float(f64),
    Date(i32),
    Time(i64),
    Phone(PhoneKind, u32, u32),
}

impl<'b> FVal<'b> {
    fn of(v: Val) -> Self {
        match v {
            Val::Null => FVal::Null,
            Val::Str(a, b) => FVal::Own(a, b),
            Val::Int(i) => FVal::Int(i),
            Val::Float(f) => FVal::Float(f),
            Val::Date(d) => FVal::Date(d),
            Val::Time(t) => FVal::Time(t),
            Val::Phone(k, a, b) => FVal::Phone(k, a, b),
        }
    }

    /// The same as [`Val::item`]: a fast row stores and hashes exactly like the row
    /// path's.
    #[inline]
    fn item<'x>(self, arena: &'x str) -> Item<'x>
    where
        'b: 'x,
    {
        let text = |a: u32, b: u32| &arena[a as usize..b as usize];
        match self {
            FVal::Null => Item::Null,
            FVal::Src(s) => Item::Str(s),
            FVal::Own(a, b) => Item::Str(text(a, b)),
            FVal::Int(i) => Item::Int(i),
            FVal::Float(f) => Item::Float(f),
            FVal::Date(d) => Item::Date(d),
            FVal::Time(t) => Item::Time(t),
            FVal::Phone(k, a, b) => Item::Phone(k, text(a, b)),
        }
    }
}

/// A parsed value with its text resolved.
#[derive(Debug, Clone, Copy)]
enum Item<'a> {
    Null,
    Str(&'a str),
    Int(i64),
    Float(f64),
    Date(i32),
    Time(i64),
    Phone(PhoneKind, &'a str),
}

/// One output column under construction.
enum ColBuilder {
    /// Text: values appended one by one (rows so far), and whole source arrays taken
    /// as they are, in order.
    Str(StringChunkedBuilder, usize, Vec<StringChunked>),
    Phone(StringChunkedBuilder, StringChunkedBuilder),
    Int(PrimitiveChunkedBuilder<Int64Type>),
    Float(PrimitiveChunkedBuilder<Float64Type>),
    Date(PrimitiveChunkedBuilder<Int32Type>),
    Time(PrimitiveChunkedBuilder<Int64Type>),
}

impl ColBuilder {
    fn new(c: &ColumnSpec, cap: usize) -> Self {
        let name = || c.name.into();
        match c.ty {
            ColType::Str | ColType::Enum(_) | ColType::Flags(_) => {
                ColBuilder::Str(StringChunkedBuilder::new(name(), cap), 0, Vec::new())
            }
            ColType::Phone => ColBuilder::Phone(
                StringChunkedBuilder::new(name(), cap),
                StringChunkedBuilder::new(format!("{}_kind", c.name).into(), cap),
            ),
            ColType::Count => ColBuilder::Int(PrimitiveChunkedBuilder::new(name(), cap)),
            ColType::Lat | ColType::Lon => {
                ColBuilder::Float(PrimitiveChunkedBuilder::new(name(), cap))
            }
            ColType::Date => ColBuilder::Date(PrimitiveChunkedBuilder::new(name(), cap)),
            ColType::Datetime => ColBuilder::Time(PrimitiveChunkedBuilder::new(name(), cap)),
        }
    }

    #[inline]
    fn push(&mut self, v: Item<'_>) {
        match (self, v) {
            (ColBuilder::Str(b, n, _), Item::Str(s)) => {
                b.append_value(s);
                *n += 1;
            }
            (ColBuilder::Str(b, n, _), _) => {
                b.append_null();
                *n += 1;
            }
            (ColBuilder::Phone(n, k), Item::Phone(kind, s)) => {
                if kind == PhoneKind::Withheld {
                    n.append_null();
                } else {
                    n.append_value(s);
                }
                k.append_value(kind.label());
            }
            (ColBuilder::Phone(n, k), _) => {
                n.append_null();
                k.append_null();
            }
            (ColBuilder::Int(b), Item::Int(i)) => b.append_value(i),
            (ColBuilder::Int(b), _) => b.append_null(),
            (ColBuilder::Float(b), Item::Float(f)) => b.append_value(f),
            (ColBuilder::Float(b), _) => b.append_null(),
            (ColBuilder::Date(b), Item::Date(d)) => b.append_value(d),
            (ColBuilder::Date(b), _) => b.append_null(),
            (ColBuilder::Time(b), Item::Time(t)) => b.append_value(t),
            (ColBuilder::Time(b), _) => b.append_null(),
        }
    }

    /// Appends a source text array as it is (no copy of its text).
    fn append_text(&mut self, name: &str, arr: super::source::TextArray) {
        let ColBuilder::Str(b, n, done) = self else {
            unreachable!("text appended to a {name} column that is not text")
        };
        if *n > 0 {
            let full = std::mem::replace(b, StringChunkedBuilder::new(name.into(), 0));
            done.push(full.finish());
            *n = 0;
        }
        done.push(StringChunked::with_chunk(name.into(), arr));
    }

    fn finish(self, out: &mut Vec<Column>) -> Result<()> {
        match self {
            ColBuilder::Str(b, _, done) if done.is_empty() => out.push(b.finish().into_column()),
            ColBuilder::Str(b, n, done) => {
                let mut parts = done.into_iter();
                let mut all = parts.next().expect("a part");
                for p in parts {
                    all.append_owned(p)?;
                }
                if n > 0 {
                    all.append_owned(b.finish())?;
                }
                // One chunk, like a built column (views are copied, text is shared).
                out.push(all.rechunk().into_owned().into_column());
            }
            ColBuilder::Phone(n, k) => {
                out.push(n.finish().into_column());
                out.push(k.finish().into_column());
            }
            ColBuilder::Int(b) => out.push(b.finish().into_column()),
            ColBuilder::Float(b) => out.push(b.finish().into_column()),
            ColBuilder::Date(b) => out.push(b.finish().into_date().into_column()),
            ColBuilder::Time(b) => out.push(
                b.finish()
                    .into_datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
                    .into_column(),
            ),
        }
        Ok(())
    }
}

/// Row counts for one file or table. Invariant: read = used + quarantined + duplicates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
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
#[derive(Debug, Clone, PartialEq)]
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

/// What a quarantined row can still tell, by table.
#[derive(Debug, Clone, PartialEq)]
pub enum Hint {
    /// `case_links`: an involvement of these officers and persons is unknown.
    Link(LinkHint),
    /// `billing`: a contact of this device is unknown.
    Contact(ContactHint),
    /// `shifts`, `deployments`, `vehicle_assignments`.
    Salvage(Salvage),
}

/// The officers and persons a quarantined `case_links` row may name. With a known
/// field layout, the row's officer_id and person_id; with an unknown one (wrong field
/// count, broken quoting), every field, to be matched against the force's officers and
/// persons when linking (a shifted or extra field must not hide who the row names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkHint {
    pub officers: Vec<String>,
    /// Pseudonymised like a used row's person_id when pseudonymisation is on.
    pub persons: Vec<String>,
}

/// The contact a quarantined `billing` row may record. With a known field layout,
/// its device_number, other_number and started_at where each parses on its own; with
/// an unknown one, every field that reads as a phone number (as a device and as the
/// other party) and no time. No numbers: the other party is unreadable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactHint {
    /// Normalised like a used row's device_number.
    pub devices: Vec<String>,
    /// Normalised (and pseudonymised) like a used row's other_number.
    pub numbers: Vec<String>,
    /// started_at, UTC microseconds, when it could be read.
    pub at: Option<i64>,
}

/// What a quarantined row of a table that explains events (`shifts`, `deployments`,
/// `vehicle_assignments`) can still tell, each field parsed on its own. Scoring uses
/// it only to withhold a warning sign (a time possibly on duty, a stop possibly
/// deployed, a vehicle possibly crewed by someone else), never to raise one.
#[derive(Debug, Clone, PartialEq)]
pub struct Salvage {
    pub officer_id: Option<String>,
    pub vehicle_id: Option<String>,
    /// start / valid_from, UTC microseconds.
    pub start: Option<i64>,
    /// end / valid_to, UTC microseconds.
    pub end: Option<i64>,
    /// The end cell is blank (an open assignment), not unreadable.
    pub end_blank: bool,
    /// lat, lon (deployments) when both read.
    pub at: Option<(f64, f64)>,
}

/// Where each canonical column comes from in the current file.
#[derive(Debug, Clone)]
enum Src {
    Absent,
    Col(usize),
    Const(String),
    Join(Vec<usize>, String),
}

/// Per-file parsing context (header mapping and formats).
pub struct FileContext {
    pub rel_path: String,
    mapping: Vec<Src>,
    /// Which source columns feed sensitive canonical columns (for redacting `raw`).
    sensitive_src: Vec<bool>,
    time: TimeRules,
    date_formats: Vec<String>,
    duration: DurationFormat,
    decimal_comma: bool,
    values: BTreeMap<String, BTreeMap<String, String>>,
    pub counts: RowCounts,
    /// Source columns present but not read (with `ignore_extra_columns`).
    pub ignored_columns: Vec<String>,
    pub reasons: BTreeMap<&'static str, u64>,
    /// Rows whose first failure was a parse failure of column i, to detect a wrong type.
    fail_by_col: Vec<u64>,
    first_bad: Vec<Option<(u64, String)>>,
    row_path_only: bool,
}

/// Parses rows of one table into typed values; one per worker thread.
struct RowParser<'p> {
    cols: &'static [ColumnSpec],
    table: Table,
    phones: &'p mut PhoneCache,
    /// Text of the row being parsed.
    arena: String,
    row: Vec<Val>,
}

impl RowParser<'_> {
    /// Appends text to the row arena; returns its range.
    fn put(&mut self, text: &str) -> (u32, u32) {
        let a = self.arena.len() as u32;
        self.arena.push_str(text);
        (a, self.arena.len() as u32)
    }

    fn text(&self, a: u32, b: u32) -> &str {
        &self.arena[a as usize..b as usize]
    }

    /// Parses all columns of a row into `self.row`, or says why the row is rejected.
    ///
    /// Typed (Parquet) batches are decoded column by column instead
    /// ([`RowParser::decode_columns`], [`finish_fast_row`]), which must give the same
    /// values: a row rule or value change added here must be added there too (and
    /// must clear the column's `verbatim` flag). `tests/columnar.rs` reads noisy and
    /// clean Parquet both ways and requires identical frames and quarantine.
    pub(crate) fn parse_row(
        &mut self,
        ctx: &FileContext,
        cells: &[Cell<'_>],
        shared: &Shared<'_>,
    ) -> std::result::Result<(), (Reason, Option<usize>, String)> {
        self.row.clear();
        self.arena.clear();
        let table = self.table;
        let mut joined = String::new();
        for (ci, c) in self.cols.iter().enumerate() {
            let cell = match &ctx.mapping[ci] {
                Src::Absent => Cell::Null,
                Src::Col(i) => cells[*i],
                Src::Const(v) => Cell::Str(v),
                Src::Join(idx, sep) => {
                    joined.clear();
                    for i in idx {
                        let t = cells[*i].to_text();
                        if t.trim().is_empty() {
                            continue;
                        }
                        if !joined.is_empty() {
                            joined.push_str(sep);
                        }
                        joined.push_str(t.trim());
                    }
                    if joined.is_empty() {
                        Cell::Null
                    } else {
                        Cell::Str(&joined)
                    }
                }
            };
            let v = self
                .parse_cell(ctx, c, cell, table)
                .map_err(|(r, m)| (r, Some(ci), m))?;
            self.row.push(v);
        }
        // Row rules.
        for (la, lo) in table.coordinates() {
            let (ia, io) = (
                table.column_index(la).expect("lat"),
                table.column_index(lo).expect("lon"),
            );
            match (self.row[ia], self.row[io]) {
                (Val::Float(a), Val::Float(o)) => {
                    if a == 0.0 && o == 0.0 {
                        return Err((
                            Reason::BadCoordinates,
                            Some(ia),
                            format!("{la},{lo} = 0,0 (no GPS fix)"),
                        ));
                    }
                }
                (Val::Null, Val::Null) => {}
                _ => {
                    return Err((
                        Reason::BadCoordinates,
                        Some(ia),
                        format!("{la} and {lo} must both be given or both be blank"),
                    ))
                }
            }
        }
        for o in table.ordered() {
            let (i1, i2) = (
                table.column_index(o.first).expect("first"),
                table.column_index(o.second).expect("second"),
            );
            if let (Val::Time(a), Val::Time(b)) = (self.row[i1], self.row[i2]) {
                if b < a {
                    return Err((
                        Reason::EndBeforeStart,
                        Some(i2),
                        format!(
                            "{} {} is before {} {}",
                            o.second,
                            super::time::fmt_utc(b),
                            o.first,
                            super::time::fmt_utc(a)
                        ),
                    ));
                }
            }
        }
        // Pseudonymise members of the public.
        if let Some(p) = shared.pseudo {
            for ci in 0..self.cols.len() {
                let replaced = match (self.cols[ci].sensitivity, self.row[ci]) {
                    (Sensitivity::PersonId, Val::Str(a, b)) => {
                        Some((p.pseudonym(Domain::Person, self.text(a, b)), None))
                    }
                    (Sensitivity::PublicNumber, Val::Phone(PhoneKind::E164, a, b))
                        if !shared.officer_numbers.contains(self.text(a, b)) =>
                    {
                        Some((
                            p.pseudonym(Domain::Number, self.text(a, b)),
                            Some(PhoneKind::E164),
                        ))
                    }
                    _ => None,
                };
                if let Some((text, phone)) = replaced {
                    let (a, b) = self.put(&text);
                    self.row[ci] = match phone {
                        Some(k) => Val::Phone(k, a, b),
                        None => Val::Str(a, b),
                    };
                }
            }
        }
        // Derive a missing id from the row's content.
        if let Some(k) = table.derived_key() {
            let ki = table.column_index(k).expect("derived key");
            if self.row[ki] == Val::Null {
                let h = row_hash(&self.row, &self.arena);
                let (a, b) = self.put(&format!("d_{h:032x}"));
                self.row[ki] = Val::Str(a, b);
            }
        }
        Ok(())
    }

    fn parse_cell(
        &mut self,
        ctx: &FileContext,
        c: &ColumnSpec,
        cell: Cell<'_>,
        table: Table,
    ) -> std::result::Result<Val, (Reason, String)> {
        // Vocabulary mapping from the profile applies to the raw text first.
        let cell = match (ctx.values.get(c.name), cell) {
            (Some(map), Cell::Str(s)) => match map.get(s.trim()) {
                Some(v) => Cell::Str(v),
                None => cell,
            },
            _ => cell,
        };
        if cell.is_blank() {
            if c.ty == ColType::Phone && table == Table::Billing && c.name == "other_number" {
                return Ok(Val::Phone(PhoneKind::Withheld, 0, 0));
            }
            return if c.required {
                Err((
                    Reason::MissingValue,
                    format!("required value {} is blank", c.name),
                ))
            } else {
                Ok(Val::Null)
            };
        }
        let sensitive = c.sensitivity != Sensitivity::Clear;
        let show = |s: &str| -> String {
            if sensitive {
                "(value hidden: personal data)".to_string()
            } else {
                format!("{s:?}")
            }
        };
        // A typed Parquet cell (a datetime, a number) is used as it is: its text is
        // only made for text columns and for messages (formatting every typed cell
        // cost more than the rest of reading it).
        let owned;
        let text: &str = match (cell, c.ty) {
            (Cell::Str(s), _) => s.trim(),
            (
                _,
                ColType::Datetime | ColType::Date | ColType::Count | ColType::Lat | ColType::Lon,
            ) => {
                owned = String::new();
                &owned
            }
            (other, _) => {
                owned = other.to_text();
                &owned
            }
        };
        let shown = |text: &str| -> String {
            match cell {
                Cell::Str(_) => text.to_string(),
                other => other.to_text(),
            }
        };
        match c.ty {
            ColType::Str => {
                let (a, b) = self.put(text);
                Ok(Val::Str(a, b))
            }
            ColType::Enum(allowed) => match allowed
                .iter()
                .find(|v| v.eq_ignore_ascii_case(text))
                .copied()
                .or_else(|| super::schema::synonym(c.name, text).filter(|s| allowed.contains(s)))
            {
                Some(v) => {
                    let (a, b) = self.put(v);
                    Ok(Val::Str(a, b))
                }
                None => Err((
                    Reason::UnknownValue,
                    format!(
                        "{} = {} is not one of {}",
                        c.name,
                        show(text),
                        allowed.join(", ")
                    ),
                )),
            },
            ColType::Flags(allowed) => {
                let mut flags = Vec::new();
                for f in text.split([';', ',', '|']) {
                    let f = f.trim().to_lowercase().replace([' ', '-'], "_");
                    if f.is_empty() {
                        continue;
                    }
                    if !allowed.contains(&f.as_str()) {
                        return Err((
                            Reason::UnknownValue,
                            format!("{} flag {f:?} is not one of {}", c.name, allowed.join(", ")),
                        ));
                    }
                    flags.push(f);
                }
                flags.sort();
                flags.dedup();
                if flags.is_empty() {
                    Ok(Val::Null)
                } else {
                    let (a, b) = self.put(&flags.join(";"));
                    Ok(Val::Str(a, b))
                }
            }
            ColType::Count => {
                let n = match cell {
                    Cell::Int(i) => Some(i),
                    Cell::Float(f) if f.fract() == 0.0 => Some(f as i64),
                    Cell::Str(_) => parse_duration(text, ctx.duration).or_else(|| {
                        // "30.0": a whole number that went through a float column.
                        text.parse::<f64>()
                            .ok()
                            .filter(|f| f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15)
                            .map(|f| f as i64)
                    }),
                    _ => None,
                };
                match n {
                    Some(n) if n >= 0 => Ok(Val::Int(n)),
                    Some(n) => Err((Reason::BadNumber, format!("{} = {n} is negative", c.name))),
                    None => Err((
                        Reason::BadNumber,
                        format!(
                            "{} = {:?} is not {}",
                            c.name,
                            shown(text),
                            match ctx.duration {
                                DurationFormat::Seconds => "a whole number of seconds",
                                DurationFormat::Hms => "a duration H:MM:SS",
                                DurationFormat::Auto => "a duration (seconds or H:MM:SS)",
                            }
                        ),
                    )),
                }
            }
            ColType::Lat | ColType::Lon => {
                let f = match cell {
                    Cell::Float(f) => Some(f),
                    Cell::Int(i) => Some(i as f64),
                    Cell::Str(_) if ctx.decimal_comma => text.replace(',', ".").parse::<f64>().ok(),
                    Cell::Str(_) => text.parse::<f64>().ok(),
                    _ => None,
                };
                let (lo, hi) = if c.ty == ColType::Lat {
                    (-90.0, 90.0)
                } else {
                    (-180.0, 180.0)
                };
                match f {
                    Some(f) if f.is_finite() && (lo..=hi).contains(&f) => Ok(Val::Float(f)),
                    Some(f) => Err((
                        Reason::BadCoordinates,
                        format!("{} = {f} is outside {lo}..{hi}", c.name),
                    )),
                    None => Err((
                        Reason::BadCoordinates,
                        format!("{} = {:?} is not a number", c.name, shown(text)),
                    )),
                }
            }
            ColType::Date => match cell {
                Cell::Date(d) => Ok(Val::Date(d)),
                Cell::Naive(n) => Ok(Val::Date(days_since_epoch(n.date()))),
                Cell::Utc(m) => match chrono::DateTime::from_timestamp_micros(m) {
                    Some(dt) => Ok(Val::Date(days_since_epoch(dt.date_naive()))),
                    None => Err((Reason::BadDate, format!("{} is out of range", c.name))),
                },
                Cell::Str(_) => parse_date(text, &ctx.date_formats)
                    .map(Val::Date)
                    .map_err(|m| (Reason::BadDate, format!("{}: {m}", c.name))),
                _ => Err((
                    Reason::BadDate,
                    format!("{} = {:?} is not a date", c.name, shown(text)),
                )),
            },
            ColType::Datetime => match cell {
                Cell::Utc(m) => Ok(Val::Time(m)),
                Cell::Date(d) => ctx
                    .time
                    .localise(
                        (chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")
                            + chrono::Duration::days(d as i64))
                        .and_hms_opt(0, 0, 0)
                        .expect("midnight"),
                    )
                    .map(Val::Time)
                    .map_err(|e| time_err(c, e)),
                Cell::Naive(n) => ctx
                    .time
                    .localise(n)
                    .map(Val::Time)
                    .map_err(|e| time_err(c, e)),
                Cell::Str(_) => ctx
                    .time
                    .parse(text)
                    .map(Val::Time)
                    .map_err(|e| time_err(c, e)),
                _ => Err((
                    Reason::BadTimestamp,
                    format!("{} = {:?} is not a datetime", c.name, shown(text)),
                )),
            },
            ColType::Phone => {
                let a = self.arena.len() as u32;
                let parsed = self
                    .phones
                    .normalise_into(text, &mut self.arena)
                    .map(|kind| (kind, a, self.arena.len() as u32))
                    .map_err(|e| e.0);
                match parsed {
                    Ok((PhoneKind::Withheld, _, _))
                        if !(table == Table::Billing && c.name == "other_number") =>
                    {
                        if c.required {
                            Err((
                                Reason::MissingValue,
                                format!("{} is withheld/blank but a number is required", c.name),
                            ))
                        } else {
                            Ok(Val::Null)
                        }
                    }
                    Ok((kind, a, b)) => Ok(Val::Phone(kind, a, b)),
                    Err(e) => Err((
                        Reason::BadPhone,
                        format!("{} = {}: {e}", c.name, show(text)),
                    )),
                }
            }
        }
    }
}

impl RowParser<'_> {
    /// Decodes rows `rows` of a typed batch column by column into `fvals` (column after
    /// column), parsing each cell as the row path would. Text used as it is stays in
    /// the batch; other text goes to the parser's arena. A row with a cell that fails,
    /// or whose columns are joined from several, is marked `slow` for the row path.
    fn decode_columns<'b>(
        &mut self,
        ctx: &FileContext,
        batch: &'b dyn RowBatch,
        rows: std::ops::Range<usize>,
        fvals: &mut Vec<FVal<'b>>,
        slow: &mut [bool],
        verbatim: &mut Vec<bool>,
    ) {
        let len = rows.len();
        // A column joined from several source columns is made by the row path only.
        if ctx.mapping.iter().any(|m| matches!(m, Src::Join(..))) {
            slow.fill(true);
            verbatim.resize(self.cols.len(), false);
            return;
        }
        let mut cells: Vec<Cell<'b>> = Vec::with_capacity(len);
        for (ci, c) in self.cols.iter().enumerate() {
            let mapped = ctx.values.contains_key(c.name);
            let mut same = !mapped
                && matches!(ctx.mapping[ci], Src::Col(_))
                && matches!(c.ty, ColType::Str | ColType::Enum(_));
            cells.clear();
            match &ctx.mapping[ci] {
                Src::Col(j) => batch.column(*j, rows.clone(), &mut cells),
                Src::Join(..) | Src::Absent | Src::Const(_) => {}
            }
            for r in 0..len {
                // Text used as it is: no blanks around it, not a null token. (What the
                // row path would copy out and back.)
                let plain = |s: &str| {
                    let b = s.as_bytes();
                    !mapped
                        && matches!((b.first(), b.last()), (Some(x), Some(y)) if x.is_ascii_graphic() && y.is_ascii_graphic())
                        && !Cell::Str(s).is_blank()
                };
                let (fast, cell) = match &ctx.mapping[ci] {
                    Src::Col(_) => {
                        let cell = cells[r];
                        let fast = match (c.ty, cell) {
                            (ColType::Str, Cell::Str(s)) if plain(s) => Some(FVal::Src(s)),
                            (ColType::Enum(allowed), Cell::Str(s)) if plain(s) => {
                                allowed.iter().find(|v| v.eq_ignore_ascii_case(s)).map(|v| {
                                    if *v == s {
                                        FVal::Src(s)
                                    } else {
                                        same = false;
                                        FVal::Src(v)
                                    }
                                })
                            }
                            _ => None,
                        };
                        (fast, cell)
                    }
                    _ => (None, Cell::Null),
                };
                // A null cell read as null is still the source as it is.
                same &= fast.is_some() || matches!(cell, Cell::Null);
                let parsed = match (fast, &ctx.mapping[ci]) {
                    (Some(v), _) => Ok(v),
                    (None, Src::Const(v)) => self
                        .parse_cell(ctx, c, Cell::Str(v), self.table)
                        .map(FVal::of),
                    (None, _) => self.parse_cell(ctx, c, cell, self.table).map(FVal::of),
                };
                let v = parsed.unwrap_or_else(|_| {
                    slow[r] = true;
                    FVal::Null
                });
                same &= matches!(v, FVal::Src(_) | FVal::Null);
                fvals.push(v);
            }
            verbatim.push(same);
        }
    }
}

/// Applies the row path's row rules, pseudonymisation and derived id to row `r` of a
/// chunk decoded column-wise; returns its content and key hashes, or `None` when the
/// row must take the row path (a rule fails, or it is otherwise unusual).
fn finish_fast_row(
    out: &mut ChunkOut<'_>,
    r: usize,
    row: &mut Vec<usize>,
    key_col: Option<usize>,
    cols: &'static [ColumnSpec],
    table: Table,
    shared: &Shared<'_>,
) -> Option<(u128, Option<u128>)> {
    let len = out.len;
    // Indexes of the row's values in `fvals`.
    row.clear();
    row.extend((0..cols.len()).map(|ci| ci * len + r));
    fn fv<'b>(out: &ChunkOut<'b>, i: usize) -> FVal<'b> {
        out.fvals[i]
    }
    for (la, lo) in table.coordinates() {
        let (ia, io) = (
            table.column_index(la).expect("lat"),
            table.column_index(lo).expect("lon"),
        );
        match (fv(out, ia * len + r), fv(out, io * len + r)) {
            (FVal::Float(a), FVal::Float(o)) if !(a == 0.0 && o == 0.0) => {}
            (FVal::Null, FVal::Null) => {}
            _ => return None,
        }
    }
    for o in table.ordered() {
        let (i1, i2) = (
            table.column_index(o.first).expect("first"),
            table.column_index(o.second).expect("second"),
        );
        if let (FVal::Time(a), FVal::Time(b)) = (fv(out, i1 * len + r), fv(out, i2 * len + r)) {
            if b < a {
                return None;
            }
        }
    }
    if let Some(p) = shared.pseudo {
        for (ci, c) in cols.iter().enumerate() {
            let v = fv(out, ci * len + r);
            let replaced = match (c.sensitivity, v) {
                (Sensitivity::PersonId, FVal::Src(_) | FVal::Own(..)) => {
                    let Item::Str(t) = v.item(&out.farena) else {
                        unreachable!("text")
                    };
                    Some((p.pseudonym(Domain::Person, t), false))
                }
                (Sensitivity::PublicNumber, FVal::Phone(PhoneKind::E164, a, b))
                    if !shared
                        .officer_numbers
                        .contains(&out.farena[a as usize..b as usize]) =>
                {
                    Some((
                        p.pseudonym(Domain::Number, &out.farena[a as usize..b as usize]),
                        true,
                    ))
                }
                _ => None,
            };
            if let Some((text, phone)) = replaced {
                // No longer the source as it is.
                out.verbatim[ci] = false;
                let a = out.farena.len() as u32;
                out.farena.push_str(&text);
                let b = out.farena.len() as u32;
                out.fvals[ci * len + r] = if phone {
                    FVal::Phone(PhoneKind::E164, a, b)
                } else {
                    FVal::Own(a, b)
                };
            }
        }
    }
    let hash = |out: &ChunkOut<'_>, row: &[usize]| {
        hash_items(row.iter().map(|&x| out.fvals[x].item(&out.farena)))
    };
    if let Some(k) = table.derived_key() {
        let ki = table.column_index(k).expect("derived key");
        if matches!(fv(out, ki * len + r), FVal::Null) {
            let h = hash(out, row);
            let a = out.farena.len() as u32;
            out.farena.push_str(&format!("d_{h:032x}"));
            out.fvals[ki * len + r] = FVal::Own(a, out.farena.len() as u32);
            out.verbatim[ki] = false;
        }
    }
    let key = key_col.and_then(|k| match fv(out, k * len + r).item(&out.farena) {
        Item::Str(t) => Some(xxh3_128(t.as_bytes())),
        _ => None,
    });
    Some((hash(out, row), key))
}

thread_local! {
    /// Phone normalisation is a pure function: each worker thread memoises its own.
    static PHONES: RefCell<PhoneCache> = RefCell::new(PhoneCache::default());
}

/// Rows a worker parsed: accepted rows' values and each row's fate. Rows of the row
/// path keep their values row by row in `vals` (text in `arena`); rows decoded column
/// by column keep them in `fvals`, column after column of `len` rows (text in `farena`
/// or the batch).
#[derive(Default)]
struct ChunkOut<'b> {
    vals: Vec<Val>,
    arena: String,
    rows: Vec<RowOut>,
    fvals: Vec<FVal<'b>>,
    farena: String,
    len: usize,
    /// Per column: every value is its source cell exactly (text as it is, or null
    /// where the source is null), so the source array can be taken whole.
    verbatim: Vec<bool>,
}

impl ChunkOut<'_> {
    /// Empties the buffers for another batch, keeping their memory.
    fn recycle<'y>(self) -> ChunkOut<'y> {
        let ChunkOut {
            mut vals,
            mut arena,
            mut rows,
            mut fvals,
            mut farena,
            mut verbatim,
            ..
        } = self;
        verbatim.clear();
        vals.clear();
        arena.clear();
        rows.clear();
        farena.clear();
        fvals.clear();
        ChunkOut {
            vals,
            arena,
            rows,
            // An empty vector of the same layout: collecting in place keeps the
            // allocation (only the borrowed lifetime changes).
            fvals: fvals.into_iter().map(|_| FVal::Null).collect(),
            farena,
            len: 0,
            verbatim,
        }
    }
}

/// Where a kept row's values are.
#[derive(Debug, Clone, Copy)]
enum Kept {
    /// Row path: index of the first value in `vals`.
    Row(u32),
    /// Column-wise: the row within its chunk.
    Col(u32),
}

enum RowOut {
    /// Parsed: content hash, key hash, index of the first value in `vals`.
    Ok {
        hash: u128,
        key: Option<u128>,
        start: usize,
    },
    /// Decoded column-wise: content hash, key hash, row within the chunk.
    Fast {
        hash: u128,
        key: Option<u128>,
        r: u32,
    },
    /// Tokenising problem (field count, quoting, encoding).
    Problem,
    /// A cell or row rule failed.
    Bad {
        reason: Reason,
        col: Option<usize>,
        message: String,
    },
}

/// Rows per parallel work item.
const CHUNK_ROWS: usize = 4096;

/// Shards of the de-duplication maps, decided in parallel.
const SHARDS: usize = 16;

/// The shard of a key or content hash (its top bits).
fn shard(h: u128) -> usize {
    (h >> 124) as usize
}

/// Lines take the low 40 bits of an origin, the file index the rest.
const LINE_BITS: u32 = 40;

/// A kept row's file index and line in one word, for conflict messages.
fn pack_origin(file: u64, line: u64) -> u64 {
    debug_assert!(line < 1 << LINE_BITS && file < 1 << (64 - LINE_BITS));
    (file << LINE_BITS) | (line & ((1 << LINE_BITS) - 1))
}

fn unpack_origin(o: u64) -> (usize, u64) {
    ((o >> LINE_BITS) as usize, o & ((1 << LINE_BITS) - 1))
}

/// What de-duplication decided for a parsed row.
#[derive(Debug, Clone, Copy)]
enum Fate {
    Keep,
    Duplicate,
    /// Same key as a kept row (its packed origin) with other content.
    Conflict(u64),
}

impl Val {
    fn rebased(self, base: u32) -> Val {
        match self {
            Val::Str(a, b) => Val::Str(a + base, b + base),
            Val::Phone(k, a, b) => Val::Phone(k, a + base, b + base),
            v => v,
        }
    }
}

/// Accumulates one table across its files.
pub struct TableBuilder {
    pub table: Table,
    cols: &'static [ColumnSpec],
    data: Vec<ColBuilder>,
    source_file: Vec<u32>,
    source_line: Vec<i64>,
    pub files: Vec<String>,
    /// Content hashes of kept rows (tables without a key, rows without a key value),
    /// in [`SHARDS`] shards by hash.
    seen_rows: Vec<FxHashSet<u128>>,
    /// Hash of a key value -> where it was first read and the hash of that row, in
    /// [`SHARDS`] shards by hash. (File index and line packed by [`pack_origin`], low 64
    /// bits of the content hash.) The hash is compared only between rows of the same
    /// key, so a changed row passes for an exact duplicate with a probability of 2^-64
    /// per repeated key.
    seen_keys: Vec<FxHashMap<u128, (u64, u64)>>,
    pub quarantine: Vec<QuarantineRow>,
    /// Parsed-chunk buffers kept for the next batch.
    pool: Vec<ChunkOut<'static>>,
}

/// How the files of one table are read.
pub struct FileSettings<'a> {
    pub profile: Option<&'a Profile>,
    pub time: &'a TimeRules,
    pub ignore_extra_columns: bool,
    /// Typed files row by row (see [`super::IngestOptions::row_path_only`]).
    pub row_path_only: bool,
}

/// Settings shared by all tables of a dataset.
pub struct Shared<'a> {
    pub pseudo: Option<&'a Pseudonymiser>,
    /// Officers' own device numbers (E.164): never pseudonymised.
    pub officer_numbers: &'a HashSet<String>,
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
            data: cols.iter().map(|c| ColBuilder::new(c, 0)).collect(),
            source_file: Vec::new(),
            source_line: Vec::new(),
            files: Vec::new(),
            seen_rows: (0..SHARDS).map(|_| FxHashSet::default()).collect(),
            seen_keys: (0..SHARDS).map(|_| FxHashMap::default()).collect(),
            quarantine: Vec::new(),
            pool: Vec::new(),
        }
    }

    /// Makes room for `rows` more rows.
    fn reserve(&mut self, rows: usize) {
        self.source_file.reserve(rows);
        self.source_line.reserve(rows);
        // Shards fill evenly (by hash); a little slack spares a rehash.
        let per_shard = rows / SHARDS + rows / (SHARDS * 16) + 16;
        if self.table.key().is_some() {
            self.seen_keys.iter_mut().for_each(|m| m.reserve(per_shard));
        } else {
            self.seen_rows.iter_mut().for_each(|m| m.reserve(per_shard));
        }
        // The column builders take a capacity only when made: made again while empty.
        if self.is_empty() {
            self.data = self.cols.iter().map(|c| ColBuilder::new(c, rows)).collect();
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
        let (profile, base_time, ignore_extra_columns) = (
            settings.profile,
            settings.time,
            settings.ignore_extra_columns,
        );
        let table = self.table;
        let line = (header_line > 0).then_some(header_line);
        let lower: Vec<String> = header.iter().map(|h| h.to_lowercase()).collect();
        let mut seen = HashSet::new();
        for (i, h) in lower.iter().enumerate() {
            if h.is_empty() {
                return Err(ApspError::schema(
                    path,
                    line,
                    None,
                    format!("header field {} is blank", i + 1),
                ));
            }
            if !seen.insert(h.clone()) {
                return Err(ApspError::schema(
                    path,
                    line,
                    Some(&header[i]),
                    "column appears twice in the header",
                ));
            }
        }
        if header.len() == 1 {
            if let Some(d) = [';', '\t', '|']
                .into_iter()
                .find(|d| header[0].contains(*d))
            {
                return Err(ApspError::schema(
                    path,
                    line,
                    None,
                    format!(
                        "the header has one column {:?}: the file looks {:?}-delimited, not comma-delimited; \
                         use an import profile with delimiter = {:?}",
                        header[0],
                        d,
                        d.to_string()
                    ),
                ));
            }
        }
        let find = |name: &str| lower.iter().position(|h| h == &name.to_lowercase());
        let mut used = vec![false; header.len()];
        let mut mapping = Vec::with_capacity(self.cols.len());
        for c in self.cols {
            let src = match profile.and_then(|p| p.columns.get(c.name)) {
                Some(ColumnSource::Name(n)) => match find(n) {
                    Some(i) => Src::Col(i),
                    None => {
                        return Err(ApspError::schema(
                            path,
                            line,
                            Some(n),
                            format!(
                                "profile {} maps {table}.{} to source column {n:?}, which this file does not have; \
                                 its columns are {}",
                                profile.map(|p| p.path.display().to_string()).unwrap_or_default(),
                                c.name,
                                header.join(", ")
                            ),
                        ))
                    }
                },
                Some(ColumnSource::Constant { value }) => Src::Const(value.clone()),
                Some(ColumnSource::Joined { columns, separator }) => {
                    let mut idx = Vec::new();
                    for n in columns {
                        idx.push(find(n).ok_or_else(|| {
                            ApspError::schema(
                                path,
                                line,
                                Some(n),
                                format!(
                                    "profile maps {table}.{} to source columns {columns:?}; {n:?} is not in this file",
                                    c.name
                                ),
                            )
                        })?);
                    }
                    Src::Join(idx, separator.clone())
                }
                None => match find(c.name) {
                    Some(i) => Src::Col(i),
                    None if c.required => {
                        return Err(ApspError::schema(
                            path,
                            line,
                            Some(c.name),
                            format!(
                                "required column {:?} of table {table} is missing (expected {}); found columns: {}",
                                c.name,
                                c.ty.describe(),
                                header.join(", ")
                            ),
                        ))
                    }
                    None => Src::Absent,
                },
            };
            match &src {
                Src::Col(i) => used[*i] = true,
                Src::Join(v, _) => v.iter().for_each(|i| used[*i] = true),
                _ => {}
            }
            mapping.push(src);
        }
        let ignored: HashSet<String> = profile
            .map(|p| p.ignore_columns.iter().map(|s| s.to_lowercase()).collect())
            .unwrap_or_default();
        let mut ignored_columns = Vec::new();
        for (i, h) in header.iter().enumerate() {
            if !used[i] && !ignored.contains(&lower[i]) && ignore_extra_columns {
                ignored_columns.push(h.clone());
            } else if !used[i] && !ignored.contains(&lower[i]) {
                return Err(ApspError::schema(
                    path,
                    line,
                    Some(h),
                    format!(
                        "unknown column {h:?} for table {table}; expected columns: {}{}",
                        self.cols
                            .iter()
                            .map(|c| c.name)
                            .collect::<Vec<_>>()
                            .join(", "),
                        if profile.is_some() {
                            " (or add it to the profile's ignore_columns)"
                        } else {
                            " (map other layouts with an import profile, or pass --ignore-extra-columns)"
                        }
                    ),
                ));
            }
        }
        let mut sensitive_src = vec![false; header.len()];
        for (c, src) in self.cols.iter().zip(&mapping) {
            if c.sensitivity != Sensitivity::Clear {
                match src {
                    Src::Col(i) => sensitive_src[*i] = true,
                    Src::Join(v, _) => v.iter().for_each(|i| sensitive_src[*i] = true),
                    _ => {}
                }
            }
        }
        let mut time = base_time.clone();
        if let Some(p) = profile {
            if let Some(tz) = &p.timezone {
                time.tz = super::time::parse_tz(tz)?;
            }
            if let Some(a) = p.ambiguous {
                time.ambiguous = a;
            }
            if let Some(n) = p.nonexistent {
                time.nonexistent = n;
            }
            time.formats = p.datetime_formats.clone();
        }
        let file_idx = self.files.len();
        self.files.push(rel_path.to_string());
        let _ = file_idx;
        Ok(FileContext {
            rel_path: rel_path.to_string(),
            mapping,
            sensitive_src,
            time,
            date_formats: profile.map(|p| p.date_formats.clone()).unwrap_or_default(),
            duration: profile.map(|p| p.duration).unwrap_or_default(),
            decimal_comma: profile.map(|p| p.decimal_comma).unwrap_or(false),
            values: profile.map(|p| p.values.clone()).unwrap_or_default(),
            counts: RowCounts::default(),
            ignored_columns,
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
        let (cols, table) = (self.cols, self.table);
        let key_col = table.key().and_then(|k| table.column_index(k));
        let spec: &FileContext = ctx;
        // Chunk buffers are reused from batch to batch (fresh ones cost page faults).
        let pool = std::sync::Mutex::new(std::mem::take(&mut self.pool));
        let columnar = batch.columnar() && !ctx.row_path_only;
        let outs: Vec<ChunkOut<'_>> = (0..n.div_ceil(CHUNK_ROWS))
            .into_par_iter()
            .map(|c| {
                PHONES.with(|cache| {
                    let mut cache = cache.borrow_mut();
                    let mut out: ChunkOut<'_> = pool
                        .lock()
                        .map(|mut p| p.pop().unwrap_or_default())
                        .unwrap_or_default()
                        .recycle();
                    let rows = c * CHUNK_ROWS..((c + 1) * CHUNK_ROWS).min(n);
                    out.len = rows.len();
                    // Typed batches are decoded column by column; a row a cell or row
                    // rule rejects (or that needs the row path) goes the row path, which
                    // gives its exact reason.
                    let mut slow = vec![!columnar; rows.len()];
                    if columnar {
                        let mut parser = RowParser {
                            cols,
                            table,
                            phones: &mut cache,
                            arena: std::mem::take(&mut out.farena),
                            row: Vec::new(),
                        };
                        parser.decode_columns(
                            spec,
                            batch,
                            rows.clone(),
                            &mut out.fvals,
                            &mut slow,
                            &mut out.verbatim,
                        );
                        out.farena = parser.arena;
                    }
                    let mut parser = RowParser {
                        cols,
                        table,
                        phones: &mut cache,
                        arena: String::new(),
                        row: Vec::with_capacity(cols.len()),
                    };
                    let mut cells = Vec::with_capacity(cols.len());
                    let mut fast_row = Vec::with_capacity(cols.len());
                    for (r, i) in rows.enumerate() {
                        if !slow[r] {
                            if let Some((hash, key)) = finish_fast_row(
                                &mut out,
                                r,
                                &mut fast_row,
                                key_col,
                                cols,
                                table,
                                shared,
                            ) {
                                out.rows.push(RowOut::Fast {
                                    hash,
                                    key,
                                    r: r as u32,
                                });
                                continue;
                            }
                        }
                        cells.clear();
                        let (_, problem) = batch.row(i, &mut cells);
                        if problem.is_some() {
                            out.rows.push(RowOut::Problem);
                            continue;
                        }
                        match parser.parse_row(spec, &cells, shared) {
                            Err((reason, col, message)) => out.rows.push(RowOut::Bad {
                                reason,
                                col,
                                message,
                            }),
                            Ok(()) => {
                                let hash = row_hash(&parser.row, &parser.arena);
                                let key = key_col.and_then(|k| match parser.row[k] {
                                    Val::Str(a, b) => Some(xxh3_128(parser.text(a, b).as_bytes())),
                                    _ => None,
                                });
                                let base = out.arena.len() as u32;
                                out.arena.push_str(&parser.arena);
                                let start = out.vals.len();
                                out.vals.extend(parser.row.iter().map(|v| v.rebased(base)));
                                out.rows.push(RowOut::Ok { hash, key, start });
                            }
                        }
                    }
                    out
                })
            })
            .collect();
        // Duplicates and conflicting keys are told in input order. Rows whose key (or
        // content) hashes fall in different shards never meet, so the shards are
        // decided side by side, each in input order: the same fates as one pass.
        let file_idx = (self.files.len() - 1) as u64;
        let mut work: Vec<Vec<(u32, Option<u128>, u128)>> = vec![Vec::new(); SHARDS];
        let mut i = 0u32;
        for out in &outs {
            for r in &out.rows {
                if let RowOut::Ok { hash, key, .. } | RowOut::Fast { hash, key, .. } = r {
                    work[shard(key.unwrap_or(*hash))].push((i, *key, *hash));
                }
                i += 1;
            }
        }
        let decided: Vec<Vec<(u32, Fate)>> = self
            .seen_keys
            .par_iter_mut()
            .zip(self.seen_rows.par_iter_mut())
            .zip(work.par_iter())
            .map(|((keys, rows), work)| {
                let mut fates = Vec::new();
                for &(i, key, hash) in work {
                    let fate = match key {
                        // Keyed rows: one map tells an exact duplicate (same key, same
                        // content) from a conflict (same key, other content).
                        Some(kh) => match keys.entry(kh) {
                            Entry::Occupied(e) if e.get().1 == hash as u64 => Fate::Duplicate,
                            Entry::Occupied(e) => Fate::Conflict(e.get().0),
                            Entry::Vacant(v) => {
                                let origin = pack_origin(file_idx, batch.line(i as usize));
                                v.insert((origin, hash as u64));
                                continue;
                            }
                        },
                        None if rows.insert(hash) => continue,
                        None => Fate::Duplicate,
                    };
                    fates.push((i, fate));
                }
                fates
            })
            .collect();
        let mut fates = vec![Fate::Keep; n];
        for (i, f) in decided.into_iter().flatten() {
            fates[i as usize] = f;
        }
        // Counts and quarantine in input order; the kept rows' values are then appended
        // column by column in parallel.
        let mut cells = Vec::with_capacity(cols.len());
        let mut kept: Vec<(u32, Kept)> = Vec::with_capacity(n);
        let mut i = 0usize;
        for (o, out) in outs.iter().enumerate() {
            for r in &out.rows {
                cells.clear();
                if let Some(k) = self.commit(ctx, batch, i, r, fates[i], out, &mut cells, shared) {
                    kept.push((o as u32, k));
                }
                i += 1;
            }
        }
        // A batch kept whole, decoded column-wise: a text column that is its source
        // exactly is taken as the source array (no copy of its text).
        let whole = kept.len() == n && kept.iter().all(|(_, k)| matches!(k, Kept::Col(_)));
        let mapping = &ctx.mapping;
        self.data.par_iter_mut().enumerate().for_each(|(ci, col)| {
            if whole && outs.iter().all(|o| o.verbatim.get(ci) == Some(&true)) {
                if let Src::Col(j) = mapping[ci] {
                    if let Some(arr) = batch.text_array(j) {
                        col.append_text(cols[ci].name, arr);
                        return;
                    }
                }
            }
            for &(o, k) in &kept {
                let out = &outs[o as usize];
                match k {
                    Kept::Row(start) => col.push(out.vals[start as usize + ci].item(&out.arena)),
                    Kept::Col(r) => {
                        col.push(out.fvals[ci * out.len + r as usize].item(&out.farena))
                    }
                }
            }
        });
        let mut pool = pool.into_inner().unwrap_or_default();
        pool.extend(outs.into_iter().map(ChunkOut::recycle));
        self.pool = pool;
    }

    /// Decides the fate of row `i` of a batch, in input order; returns where its
    /// values start in `out.vals` when it is kept.
    #[allow(clippy::too_many_arguments)]
    fn commit<'b>(
        &mut self,
        ctx: &mut FileContext,
        batch: &'b dyn RowBatch,
        i: usize,
        r: &RowOut,
        fate: Fate,
        out: &ChunkOut<'_>,
        cells: &mut Vec<Cell<'b>>,
        shared: &Shared<'_>,
    ) -> Option<Kept> {
        ctx.counts.read += 1;
        let file_idx = (self.files.len() - 1) as u32;
        match r {
            RowOut::Problem => {
                let (line, problem) = batch.row(i, cells);
                let raw = RawRow {
                    line,
                    cells,
                    problem: problem.clone(),
                };
                let (reason, message) = match problem.expect("a problem row") {
                    RowProblem::Encoding => (
                        Reason::BadEncoding,
                        "row is not valid UTF-8 (save the export as UTF-8)".to_string(),
                    ),
                    RowProblem::FieldCount { found, expected } => (
                        Reason::BadFieldCount,
                        format!("row has {found} fields, the header has {expected}"),
                    ),
                    RowProblem::Quoting { found, expected } => (
                        Reason::BadQuoting,
                        format!(
                            "unbalanced quote: a quoted field runs over line ends ({found} fields, header has {expected})"
                        ),
                    ),
                };
                self.reject(ctx, &raw, reason, None, message, shared);
                None
            }
            RowOut::Bad {
                reason,
                col,
                message,
            } => {
                let (line, problem) = batch.row(i, cells);
                let raw = RawRow {
                    line,
                    cells,
                    problem,
                };
                if let Some(ci) = *col {
                    if PARSE_REASONS.contains(reason) {
                        ctx.fail_by_col[ci] += 1;
                        if ctx.first_bad[ci].is_none() {
                            let shown = self.shown_value(ctx, &raw, ci, shared);
                            ctx.first_bad[ci] = Some((raw.line, shown));
                        }
                    }
                }
                let column = col.map(|c| self.cols[c].name.to_string());
                self.reject(ctx, &raw, *reason, column, message.clone(), shared);
                None
            }
            RowOut::Ok { .. } | RowOut::Fast { .. } => match fate {
                Fate::Keep => {
                    ctx.counts.used += 1;
                    self.source_file.push(file_idx);
                    self.source_line.push(batch.line(i) as i64);
                    Some(match r {
                        RowOut::Fast { r, .. } => Kept::Col(*r),
                        RowOut::Ok { start, .. } => Kept::Row(*start as u32),
                        _ => unreachable!("a parsed row"),
                    })
                }
                Fate::Duplicate => {
                    ctx.counts.duplicates += 1;
                    None
                }
                Fate::Conflict(origin) => {
                    let (f, l) = unpack_origin(origin);
                    let first = format!("{}:{l}", self.files[f]);
                    let k = self.table.key().expect("keyed table");
                    let ki = self.table.column_index(k).expect("key column");
                    let key = match r {
                        RowOut::Fast { r, .. } => {
                            out.fvals[ki * out.len + *r as usize].item(&out.farena)
                        }
                        RowOut::Ok { start, .. } => out.vals[start + ki].item(&out.arena),
                        _ => unreachable!("a parsed row"),
                    };
                    let shown = match key {
                        Item::Str(t) if self.cols[ki].sensitivity == Sensitivity::Clear => {
                            format!("{t:?}")
                        }
                        _ => "(pseudonymised)".to_string(),
                    };
                    let (line, problem) = batch.row(i, cells);
                    let raw = RawRow {
                        line,
                        cells,
                        problem,
                    };
                    self.reject(
                        ctx,
                        &raw,
                        Reason::DuplicateKey,
                        Some(k.to_string()),
                        format!("{k} {shown} was already read with different values at {first}; the first row is kept"),
                        shared,
                    );
                    None
                }
            },
        }
    }

    /// The value of canonical column `ci` in this row, as safe to show.
    fn shown_value(
        &self,
        ctx: &FileContext,
        raw: &RawRow<'_>,
        ci: usize,
        shared: &Shared<'_>,
    ) -> String {
        let text = match &ctx.mapping[ci] {
            Src::Col(i) => raw.cells.get(*i).map(|c| c.to_text()).unwrap_or_default(),
            Src::Const(v) => v.clone(),
            Src::Join(idx, sep) => idx
                .iter()
                .map(|i| raw.cells.get(*i).map(|c| c.to_text()).unwrap_or_default())
                .collect::<Vec<_>>()
                .join(sep),
            Src::Absent => String::new(),
        };
        if self.cols[ci].sensitivity != Sensitivity::Clear {
            match shared.pseudo {
                Some(p) => p.pseudonym(Domain::Raw, &text),
                None => text,
            }
        } else {
            text
        }
    }

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
        let mut w = csv::WriterBuilder::new()
            .has_headers(false)
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        let fields: Vec<String> = raw
            .cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let t = c.to_text();
                match shared.pseudo {
                    Some(p)
                        if ctx.sensitive_src.get(i).copied().unwrap_or(false)
                            && !t.trim().is_empty() =>
                    {
                        p.pseudonym(Domain::Raw, t.trim())
                    }
                    _ => t,
                }
            })
            .collect();
        // With an unknown field layout (wrong count) nothing can be told apart as
        // personal data: hide the whole row when pseudonymising.
        let layout_unknown = raw.problem.is_some();
        let raw_text = if layout_unknown && shared.pseudo.is_some() {
            format!(
                "(row hidden: {} fields, pseudonymisation is on)",
                fields.len()
            )
        } else {
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
        };
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
            raw: raw_text,
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
        PHONES.with(|cache| {
            let mut cache = cache.borrow_mut();
            f(&mut Salvager {
                parser: RowParser {
                    cols: self.cols,
                    table: self.table,
                    phones: &mut cache,
                    arena: String::new(),
                    row: Vec::new(),
                },
                ctx,
                cells: raw.cells,
            })
        })
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
        for b in self.data {
            b.finish(&mut columns)?;
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

/// A cell of a quarantined row, parsed on its own.
enum Field {
    /// The column is not in the file.
    Missing,
    Blank,
    /// The cell does not parse.
    Bad,
    Val(Val),
}

/// Reads a quarantined row one column at a time, each cell parsed as a used row's
/// would be, so that a fault in one leaves the others readable. What it finds only
/// ever withholds a warning sign (see [`Hint`]).
struct Salvager<'r, 'c, 'p> {
    parser: RowParser<'p>,
    ctx: &'r FileContext,
    cells: &'r [Cell<'c>],
}

impl Salvager<'_, '_, '_> {
    fn field(&mut self, name: &str) -> Field {
        let (ctx, cells) = (self.ctx, self.cells);
        let Some(ci) = self.parser.table.column_index(name) else {
            return Field::Missing;
        };
        let joined: String;
        let cell = match &ctx.mapping[ci] {
            Src::Absent => return Field::Missing,
            Src::Col(i) => match cells.get(*i) {
                Some(c) => *c,
                None => return Field::Missing,
            },
            Src::Const(v) => Cell::Str(v),
            Src::Join(idx, sep) => {
                joined = idx
                    .iter()
                    .filter_map(|i| cells.get(*i))
                    .map(|c| c.to_text().trim().to_string())
                    .filter(|t| !t.is_empty())
                    .collect::<Vec<_>>()
                    .join(sep);
                Cell::Str(&joined)
            }
        };
        self.parse(ci, cell)
    }

    /// `cell` parsed as column `ci`.
    fn parse(&mut self, ci: usize, cell: Cell<'_>) -> Field {
        if cell.is_blank() {
            return Field::Blank;
        }
        let (cols, table) = (self.parser.cols, self.parser.table);
        match self.parser.parse_cell(self.ctx, &cols[ci], cell, table) {
            Ok(v) => Field::Val(v),
            Err(_) => Field::Bad,
        }
    }

    fn text(&mut self, name: &str) -> Option<String> {
        match self.field(name) {
            Field::Val(Val::Str(a, b)) => Some(self.parser.text(a, b).to_string()),
            _ => None,
        }
    }

    fn time(&mut self, name: &str) -> Option<i64> {
        match self.field(name) {
            Field::Val(Val::Time(t)) => Some(t),
            _ => None,
        }
    }

    fn float(&mut self, name: &str) -> Option<f64> {
        match self.field(name) {
            Field::Val(Val::Float(f)) => Some(f),
            _ => None,
        }
    }

    /// An E.164 number, normalised like a used row's.
    fn phone(&mut self, f: Field) -> Option<String> {
        match f {
            Field::Val(Val::Phone(PhoneKind::E164, a, b)) => {
                Some(self.parser.text(a, b).to_string())
            }
            _ => None,
        }
    }

    /// A `case_links` or `billing` row's hint. With an unknown field layout (wrong
    /// field count, broken quoting) every field is a candidate: a case link's officer
    /// and person are matched against the force's when linking, and a billing row's
    /// fields that read as phone numbers are its device and other party (time
    /// unknown).
    fn hint(&mut self, layout_unknown: bool, shared: &Shared<'_>) -> Option<Hint> {
        let person = |p: &str| match shared.pseudo {
            Some(k) => k.pseudonym(Domain::Person, p),
            None => p.to_string(),
        };
        let public = |nr: String| match shared.pseudo {
            Some(p) if !shared.officer_numbers.contains(nr.as_str()) => {
                p.pseudonym(Domain::Number, &nr)
            }
            _ => nr,
        };
        let cells = self.cells;
        match self.parser.table {
            Table::CaseLinks if layout_unknown => {
                let mut texts: Vec<String> = cells
                    .iter()
                    .map(|c| c.to_text().trim().to_string())
                    .filter(|t| !t.is_empty())
                    .collect();
                texts.sort_unstable();
                texts.dedup();
                (!texts.is_empty()).then(|| {
                    Hint::Link(LinkHint {
                        persons: texts.iter().map(|t| person(t)).collect(),
                        officers: texts,
                    })
                })
            }
            Table::CaseLinks => {
                let (o, p) = (self.text("officer_id")?, self.text("person_id")?);
                Some(Hint::Link(LinkHint {
                    officers: vec![o],
                    persons: vec![person(&p)],
                }))
            }
            Table::Billing => {
                let (mut devices, mut numbers, mut at) = (Vec::new(), Vec::new(), None);
                if layout_unknown {
                    let ci = Table::Billing.column_index("other_number")?;
                    for &cell in cells {
                        let f = self.parse(ci, cell);
                        if let Some(nr) = self.phone(f) {
                            devices.push(nr.clone());
                            numbers.push(public(nr));
                        }
                    }
                } else {
                    let f = self.field("device_number");
                    devices.extend(self.phone(f));
                    let f = self.field("other_number");
                    numbers.extend(self.phone(f).map(public));
                    at = self.time("started_at");
                }
                for v in [&mut devices, &mut numbers] {
                    v.sort_unstable();
                    v.dedup();
                }
                // The other party unreadable: the row still tells the officer had a
                // contact then (it may be the one an outgoing contact answers).
                (!devices.is_empty() && (!numbers.is_empty() || at.is_some())).then_some(
                    Hint::Contact(ContactHint {
                        devices,
                        numbers,
                        at,
                    }),
                )
            }
            _ => None,
        }
    }

    /// A `shifts`, `deployments` or `vehicle_assignments` row's salvage.
    fn salvage(&mut self) -> Salvage {
        let (from, to) = match self.parser.table {
            Table::VehicleAssignments => ("valid_from", "valid_to"),
            _ => ("start", "end"),
        };
        let end = self.field(to);
        Salvage {
            officer_id: self.text("officer_id"),
            vehicle_id: self.text("vehicle_id"),
            start: self.time(from),
            end_blank: matches!(end, Field::Blank),
            end: match end {
                Field::Val(Val::Time(t)) => Some(t),
                _ => None,
            },
            at: match (self.float("lat"), self.float("lon")) {
                (Some(a), Some(o)) if (a, o) != (0.0, 0.0) => Some((a, o)),
                _ => None,
            },
        }
    }
}

fn days_since_epoch(d: chrono::NaiveDate) -> i32 {
    (d - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days() as i32
}

fn time_err(c: &ColumnSpec, e: TimeError) -> (Reason, String) {
    match e {
        TimeError::Unparseable(m) => (Reason::BadTimestamp, format!("{}: {m}", c.name)),
        TimeError::Nonexistent(m) => (Reason::NonexistentLocalTime, format!("{}: {m}", c.name)),
        TimeError::Ambiguous(m) => (Reason::AmbiguousLocalTime, format!("{}: {m}", c.name)),
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

/// `123`, or `H:MM:SS` / `M:SS` when the format allows.
fn parse_duration(s: &str, f: DurationFormat) -> Option<i64> {
    let secs = || s.parse::<i64>().ok();
    let hms = || {
        let parts: Vec<&str> = s.split(':').collect();
        if !(2..=3).contains(&parts.len()) {
            return None;
        }
        let mut total = 0i64;
        for (i, p) in parts.iter().enumerate() {
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let v: i64 = p.parse().ok()?;
            if i > 0 && v >= 60 {
                return None;
            }
            total = total * 60 + v;
        }
        Some(total)
    };
    match f {
        DurationFormat::Seconds => secs(),
        DurationFormat::Hms => hms(),
        DurationFormat::Auto => secs().or_else(hms),
    }
}

/// A 128-bit hash of a parsed row: identical rows, and only they, share it.
fn row_hash(row: &[Val], arena: &str) -> u128 {
    hash_items(row.iter().map(|v| v.item(arena)))
}

/// The row hash of a row's values in column order (the row path's and the
/// column-wise path's rows hash alike).
fn hash_items<'a>(items: impl Iterator<Item = Item<'a>>) -> u128 {
    // The row's bytes laid out in one buffer and hashed at once: the same digest as
    // feeding them to a streaming hasher piece by piece (derived ids do not change),
    // at a fraction of the cost.
    thread_local! {
        static BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BUF.with(|buf| {
        let mut h = buf.borrow_mut();
        h.clear();
        for v in items {
            match v {
                Item::Null => h.push(0),
                Item::Str(s) => {
                    h.push(1);
                    h.extend_from_slice(&(s.len() as u32).to_le_bytes());
                    h.extend_from_slice(s.as_bytes());
                }
                Item::Int(i) => {
                    h.push(2);
                    h.extend_from_slice(&i.to_le_bytes());
                }
                Item::Float(f) => {
                    h.push(3);
                    h.extend_from_slice(&f.to_bits().to_le_bytes());
                }
                Item::Date(d) => {
                    h.push(4);
                    h.extend_from_slice(&d.to_le_bytes());
                }
                Item::Time(t) => {
                    h.push(5);
                    h.extend_from_slice(&t.to_le_bytes());
                }
                Item::Phone(k, s) => {
                    h.extend_from_slice(&[6, k as u8]);
                    h.extend_from_slice(&(s.len() as u32).to_le_bytes());
                    h.extend_from_slice(s.as_bytes());
                }
            }
        }
        xxh3_128(&h)
    })
}

/// The relative path of a dataset file, with `/` separators, for messages and outputs.
pub fn rel_path(dir: &Path, path: &Path) -> String {
    let rel: PathBuf = path.strip_prefix(dir).unwrap_or(path).to_path_buf();
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("123", DurationFormat::Seconds), Some(123));
        assert_eq!(parse_duration("00:02:03", DurationFormat::Hms), Some(123));
        assert_eq!(parse_duration("2:03", DurationFormat::Hms), Some(123));
        assert_eq!(parse_duration("1:00:00", DurationFormat::Auto), Some(3600));
        assert_eq!(parse_duration("00:02:03", DurationFormat::Seconds), None);
        assert_eq!(parse_duration("00:61:03", DurationFormat::Hms), None);
        assert_eq!(parse_duration("abc", DurationFormat::Auto), None);
    }
}
