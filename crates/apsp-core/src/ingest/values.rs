//! Parsed cell values and how a raw cell becomes one.
//!
//! Owns the three forms of a value: [`Value`] (the row path's, text in a row arena),
//! [`BatchValue`] (a typed batch decoded column-wise, text borrowed from the batch or
//! in the chunk's arena) and [`ValueRef`] (either with its text resolved: what is
//! stored and hashed, so both paths store and hash alike), the row hash, and
//! [`CellParser`], which parses one cell by its column's type (one function per type).

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::BTreeMap;

use xxhash_rust::xxh3::xxh3_128;

use super::phone::{PhoneCache, PhoneKind};
use super::profile::{DurationFormat, Profile};
use super::schema::{ColType, ColumnSpec, Sensitivity, Table};
use super::source::Cell;
use super::time::{parse_date, Fold, Instant, TimeError, TimeRules};
use super::Reason;
use crate::error::Result;

/// A parsed canonical value of the row path. Text lives in the parser's per-row arena
/// (`start..end`), so parsing a row allocates nothing. A time is UTC microseconds with
/// its [`Fold`] (where the other occurrence of a repeated local time is), which the
/// time-order rule reads and which is neither stored nor hashed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Value {
    Null,
    Str(u32, u32),
    Int(i64),
    Float(f64),
    Date(i32),
    Time(i64, Fold),
    Phone(PhoneKind, u32, u32),
}

// The fold rides in the padding: a value stays 16 bytes (and a decoded one 24).
const _: () = assert!(std::mem::size_of::<Value>() == 16);
const _: () = assert!(std::mem::size_of::<BatchValue<'static>>() == 24);

impl Value {
    /// The value as stored and hashed, its text resolved in `arena`.
    #[inline(always)]
    pub(super) fn resolve(self, arena: &str) -> ValueRef<'_> {
        let text = |a: u32, b: u32| &arena[a as usize..b as usize];
        match self {
            Value::Null => ValueRef::Null,
            Value::Str(a, b) => ValueRef::Str(text(a, b)),
            Value::Int(i) => ValueRef::Int(i),
            Value::Float(f) => ValueRef::Float(f),
            Value::Date(d) => ValueRef::Date(d),
            Value::Time(t, f) => ValueRef::Time(t, f),
            Value::Phone(k, a, b) => ValueRef::Phone(k, text(a, b)),
        }
    }

    /// The same value with its text moved `base` bytes on (its arena appended to
    /// another).
    pub(super) fn rebased(self, base: u32) -> Value {
        match self {
            Value::Str(a, b) => Value::Str(a + base, b + base),
            Value::Phone(k, a, b) => Value::Phone(k, a + base, b + base),
            v => v,
        }
    }
}

/// A value decoded column-wise from a typed (Parquet) batch: text is borrowed from the
/// batch where it is used as it is, else kept in the chunk's arena (`start..end`).
#[derive(Debug, Clone, Copy)]
pub(super) enum BatchValue<'b> {
    Null,
    /// Text used as it is: a source cell or an allowed vocabulary value.
    Borrowed(&'b str),
    /// Text in the chunk's arena.
    InArena(u32, u32),
    Int(i64),
    Float(f64),
    Date(i32),
    Time(i64, Fold),
    Phone(PhoneKind, u32, u32),
}

impl<'b> BatchValue<'b> {
    /// A row-path value parsed into the chunk's arena.
    pub(super) fn from_value(v: Value) -> Self {
        match v {
            Value::Null => BatchValue::Null,
            Value::Str(a, b) => BatchValue::InArena(a, b),
            Value::Int(i) => BatchValue::Int(i),
            Value::Float(f) => BatchValue::Float(f),
            Value::Date(d) => BatchValue::Date(d),
            Value::Time(t, f) => BatchValue::Time(t, f),
            Value::Phone(k, a, b) => BatchValue::Phone(k, a, b),
        }
    }

    /// The same as [`Value::resolve`]: a decoded row stores and hashes exactly like
    /// the row path's.
    #[inline(always)]
    pub(super) fn resolve<'x>(self, arena: &'x str) -> ValueRef<'x>
    where
        'b: 'x,
    {
        let text = |a: u32, b: u32| &arena[a as usize..b as usize];
        match self {
            BatchValue::Null => ValueRef::Null,
            BatchValue::Borrowed(s) => ValueRef::Str(s),
            BatchValue::InArena(a, b) => ValueRef::Str(text(a, b)),
            BatchValue::Int(i) => ValueRef::Int(i),
            BatchValue::Float(f) => ValueRef::Float(f),
            BatchValue::Date(d) => ValueRef::Date(d),
            BatchValue::Time(t, f) => ValueRef::Time(t, f),
            BatchValue::Phone(k, a, b) => ValueRef::Phone(k, text(a, b)),
        }
    }
}

/// A parsed value with its text resolved. A time's [`Fold`] is for the row rules only:
/// it is not stored or hashed.
#[derive(Debug, Clone, Copy)]
pub(super) enum ValueRef<'a> {
    Null,
    Str(&'a str),
    Int(i64),
    Float(f64),
    Date(i32),
    Time(i64, Fold),
    Phone(PhoneKind, &'a str),
}

/// The 128-bit hash of a row's values in column order: identical rows, and only they,
/// share it (the row path's and the column-wise path's rows hash alike).
pub(super) fn hash_values<'a>(values: impl Iterator<Item = ValueRef<'a>>) -> u128 {
    // The row's bytes laid out in one buffer and hashed at once: the same digest as
    // feeding them to a streaming hasher piece by piece (derived ids do not change),
    // at a fraction of the cost.
    thread_local! {
        static BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BUF.with(|buf| {
        let mut h = buf.borrow_mut();
        h.clear();
        for v in values {
            match v {
                ValueRef::Null => h.push(0),
                ValueRef::Str(s) => {
                    h.push(1);
                    h.extend_from_slice(&(s.len() as u32).to_le_bytes());
                    h.extend_from_slice(s.as_bytes());
                }
                ValueRef::Int(i) => {
                    h.push(2);
                    h.extend_from_slice(&i.to_le_bytes());
                }
                ValueRef::Float(f) => {
                    h.push(3);
                    h.extend_from_slice(&f.to_bits().to_le_bytes());
                }
                ValueRef::Date(d) => {
                    h.push(4);
                    h.extend_from_slice(&d.to_le_bytes());
                }
                ValueRef::Time(t, _) => {
                    h.push(5);
                    h.extend_from_slice(&t.to_le_bytes());
                }
                ValueRef::Phone(k, s) => {
                    h.extend_from_slice(&[6, k as u8]);
                    h.extend_from_slice(&(s.len() as u32).to_le_bytes());
                    h.extend_from_slice(s.as_bytes());
                }
            }
        }
        xxh3_128(&h)
    })
}

/// How one file writes its values (from its import profile, if any).
pub(super) struct CellFormats {
    pub(super) time: TimeRules,
    pub(super) date_formats: Vec<String>,
    pub(super) duration: DurationFormat,
    pub(super) decimal_comma: bool,
    /// Per canonical column: source text -> canonical text, applied before parsing.
    pub(super) vocabulary: BTreeMap<String, BTreeMap<String, String>>,
}

impl CellFormats {
    /// A file's formats: its profile's, else the dataset's time rules and defaults.
    pub(super) fn for_file(base_time: &TimeRules, profile: Option<&Profile>) -> Result<Self> {
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
        Ok(CellFormats {
            time,
            date_formats: profile.map(|p| p.date_formats.clone()).unwrap_or_default(),
            duration: profile.map(|p| p.duration).unwrap_or_default(),
            decimal_comma: profile.map(|p| p.decimal_comma).unwrap_or(false),
            vocabulary: profile.map(|p| p.values.clone()).unwrap_or_default(),
        })
    }
}

thread_local! {
    /// Phone normalisation is a pure function: each worker thread memoises its own.
    static PHONES: RefCell<PhoneCache> = RefCell::new(PhoneCache::default());
}

/// Runs `f` with this thread's phone cache.
pub(super) fn with_phone_cache<R>(f: impl FnOnce(&mut PhoneCache) -> R) -> R {
    PHONES.with(|cache| f(&mut cache.borrow_mut()))
}

/// Why a cell does not parse.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct CellError {
    pub(super) reason: Reason,
    pub(super) message: String,
}

type Parsed = std::result::Result<Value, CellError>;

fn fail(reason: Reason, message: String) -> Parsed {
    Err(CellError { reason, message })
}

/// A cell about to be parsed: the cell itself and its text (trimmed when it is text;
/// empty for a typed cell of a typed column, whose text is only made for messages).
#[derive(Clone, Copy)]
struct Input<'a> {
    cell: Cell<'a>,
    text: &'a str,
}

impl Input<'_> {
    /// The cell as read, for messages.
    fn as_read(&self) -> String {
        match self.cell {
            Cell::Str(_) => self.text.to_string(),
            other => other.to_text(),
        }
    }
}

/// `text` quoted for a message, or hidden when the column holds personal data.
fn shown(c: &ColumnSpec, text: &str) -> String {
    if c.sensitivity != Sensitivity::Clear {
        "(value hidden: personal data)".to_string()
    } else {
        format!("{text:?}")
    }
}

/// `other_number` of `billing`: the one phone column where a withheld number is a
/// value, not a blank.
fn withheld_is_a_value(table: Table, c: &ColumnSpec) -> bool {
    table == Table::Billing && c.name == "other_number"
}

/// Parses cells of one table by their column's type; text goes to `arena`.
pub(super) struct CellParser<'p> {
    pub(super) table: Table,
    pub(super) phones: &'p mut PhoneCache,
    pub(super) arena: String,
}

impl CellParser<'_> {
    /// Appends text to the arena; returns its range.
    fn put(&mut self, text: &str) -> (u32, u32) {
        let a = self.arena.len() as u32;
        self.arena.push_str(text);
        (a, self.arena.len() as u32)
    }

    fn put_str(&mut self, text: &str) -> Value {
        let (a, b) = self.put(text);
        Value::Str(a, b)
    }

    /// Text of the arena.
    pub(super) fn text(&self, a: u32, b: u32) -> &str {
        &self.arena[a as usize..b as usize]
    }

    /// Parses `cell` as column `c`: the profile's vocabulary first, then a blank is
    /// null (or missing when required), then the column's type.
    pub(super) fn parse(
        &mut self,
        formats: &CellFormats,
        c: &ColumnSpec,
        cell: Cell<'_>,
    ) -> Parsed {
        // Vocabulary mapping from the profile applies to the raw text first.
        let cell = match (formats.vocabulary.get(c.name), cell) {
            (Some(map), Cell::Str(s)) => match map.get(s.trim()) {
                Some(v) => Cell::Str(v),
                None => cell,
            },
            _ => cell,
        };
        if cell.is_blank() {
            if c.ty == ColType::Phone && withheld_is_a_value(self.table, c) {
                return Ok(Value::Phone(PhoneKind::Withheld, 0, 0));
            }
            return if c.required {
                fail(
                    Reason::MissingValue,
                    format!("required value {} is blank", c.name),
                )
            } else {
                Ok(Value::Null)
            };
        }
        // A typed Parquet cell (a datetime, a number) is used as it is: its text is
        // only made for text columns and for messages (formatting every typed cell
        // cost more than the rest of reading it).
        let text: Cow<'_, str> = match (cell, c.ty) {
            (Cell::Str(s), _) => Cow::Borrowed(s.trim()),
            (
                _,
                ColType::Datetime | ColType::Date | ColType::Count | ColType::Lat | ColType::Lon,
            ) => Cow::Borrowed(""),
            (other, _) => Cow::Owned(other.to_text()),
        };
        let input = Input { cell, text: &text };
        match c.ty {
            ColType::Str => Ok(self.put_str(input.text)),
            ColType::Enum(allowed) => self.parse_enum(c, allowed, input.text),
            ColType::Flags(allowed) => self.parse_flags(c, allowed, input.text),
            ColType::Count => parse_count(formats.duration, c, input),
            ColType::Lat | ColType::Lon => parse_coordinate(formats.decimal_comma, c, input),
            ColType::Date => parse_date_cell(&formats.date_formats, c, input),
            ColType::Datetime => parse_datetime(&formats.time, c, input),
            ColType::Phone => self.parse_phone(c, input.text),
        }
    }

    /// One of a vocabulary, matched ignoring case, or a known synonym of one.
    fn parse_enum(&mut self, c: &ColumnSpec, allowed: &[&'static str], text: &str) -> Parsed {
        let found = allowed
            .iter()
            .find(|v| v.eq_ignore_ascii_case(text))
            .copied()
            .or_else(|| super::schema::synonym(c.name, text).filter(|s| allowed.contains(s)));
        match found {
            Some(v) => Ok(self.put_str(v)),
            None => fail(
                Reason::UnknownValue,
                format!(
                    "{} = {} is not one of {}",
                    c.name,
                    shown(c, text),
                    allowed.join(", ")
                ),
            ),
        }
    }

    /// Flags separated by `;`, `,` or `|`, each of a vocabulary: written sorted and
    /// de-duplicated, `;`-separated; none is null.
    fn parse_flags(&mut self, c: &ColumnSpec, allowed: &[&'static str], text: &str) -> Parsed {
        let mut flags = Vec::new();
        for f in text.split([';', ',', '|']) {
            let f = f.trim().to_lowercase().replace([' ', '-'], "_");
            if f.is_empty() {
                continue;
            }
            if !allowed.contains(&f.as_str()) {
                return fail(
                    Reason::UnknownValue,
                    format!("{} flag {f:?} is not one of {}", c.name, allowed.join(", ")),
                );
            }
            flags.push(f);
        }
        flags.sort();
        flags.dedup();
        if flags.is_empty() {
            Ok(Value::Null)
        } else {
            Ok(self.put_str(&flags.join(";")))
        }
    }

    /// A phone number normalised to E.164 (or withheld, or a short code...). A withheld
    /// number is a blank except where it is a value (`billing.other_number`).
    fn parse_phone(&mut self, c: &ColumnSpec, text: &str) -> Parsed {
        let a = self.arena.len() as u32;
        let parsed = self
            .phones
            .normalise_into(text, &mut self.arena)
            .map(|kind| (kind, a, self.arena.len() as u32))
            .map_err(|e| e.0);
        match parsed {
            Ok((PhoneKind::Withheld, _, _)) if !withheld_is_a_value(self.table, c) => {
                if c.required {
                    fail(
                        Reason::MissingValue,
                        format!("{} is withheld/blank but a number is required", c.name),
                    )
                } else {
                    Ok(Value::Null)
                }
            }
            Ok((kind, a, b)) => Ok(Value::Phone(kind, a, b)),
            Err(e) => fail(
                Reason::BadPhone,
                format!("{} = {}: {e}", c.name, shown(c, text)),
            ),
        }
    }
}

/// A whole number >= 0: a typed number, or text (seconds or H:MM:SS as the profile
/// says, or a whole number written as a float).
fn parse_count(duration: DurationFormat, c: &ColumnSpec, input: Input<'_>) -> Parsed {
    let text = input.text;
    let n = match input.cell {
        Cell::Int(i) => Some(i),
        Cell::Float(f) if f.fract() == 0.0 => Some(f as i64),
        Cell::Str(_) => parse_duration(text, duration).or_else(|| {
            // "30.0": a whole number that went through a float column.
            text.parse::<f64>()
                .ok()
                .filter(|f| f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15)
                .map(|f| f as i64)
        }),
        _ => None,
    };
    match n {
        Some(n) if n >= 0 => Ok(Value::Int(n)),
        Some(n) => fail(Reason::BadNumber, format!("{} = {n} is negative", c.name)),
        None => fail(
            Reason::BadNumber,
            format!(
                "{} = {:?} is not {}",
                c.name,
                input.as_read(),
                match duration {
                    DurationFormat::Seconds => "a whole number of seconds",
                    DurationFormat::Hms => "a duration H:MM:SS",
                    DurationFormat::Auto => "a duration (seconds or H:MM:SS)",
                }
            ),
        ),
    }
}

/// A latitude or longitude in range (a decimal comma where the profile says so).
fn parse_coordinate(decimal_comma: bool, c: &ColumnSpec, input: Input<'_>) -> Parsed {
    let text = input.text;
    let f = match input.cell {
        Cell::Float(f) => Some(f),
        Cell::Int(i) => Some(i as f64),
        Cell::Str(_) if decimal_comma => text.replace(',', ".").parse::<f64>().ok(),
        Cell::Str(_) => text.parse::<f64>().ok(),
        _ => None,
    };
    let (lo, hi) = if c.ty == ColType::Lat {
        (-90.0, 90.0)
    } else {
        (-180.0, 180.0)
    };
    match f {
        Some(f) if f.is_finite() && (lo..=hi).contains(&f) => Ok(Value::Float(f)),
        Some(f) => fail(
            Reason::BadCoordinates,
            format!("{} = {f} is outside {lo}..{hi}", c.name),
        ),
        None => fail(
            Reason::BadCoordinates,
            format!("{} = {:?} is not a number", c.name, input.as_read()),
        ),
    }
}

/// A calendar date: typed, or text in an accepted format.
fn parse_date_cell(date_formats: &[String], c: &ColumnSpec, input: Input<'_>) -> Parsed {
    match input.cell {
        Cell::Date(d) => Ok(Value::Date(d)),
        Cell::Naive(n) => Ok(Value::Date(days_since_epoch(n.date()))),
        Cell::Utc(m) => match chrono::DateTime::from_timestamp_micros(m) {
            Some(dt) => Ok(Value::Date(days_since_epoch(dt.date_naive()))),
            None => fail(Reason::BadDate, format!("{} is out of range", c.name)),
        },
        Cell::Str(_) => parse_date(input.text, date_formats)
            .map(Value::Date)
            .map_err(|m| CellError {
                reason: Reason::BadDate,
                message: format!("{}: {m}", c.name),
            }),
        _ => fail(
            Reason::BadDate,
            format!("{} = {:?} is not a date", c.name, input.as_read()),
        ),
    }
}

/// An instant: a UTC datetime as it is; a naive one, a date (its midnight) or text in
/// the file's zone.
fn parse_datetime(time: &TimeRules, c: &ColumnSpec, input: Input<'_>) -> Parsed {
    let local = match input.cell {
        Cell::Utc(m) => return Ok(Value::Time(m, Fold::NONE)),
        Cell::Date(d) => time.localise_instant(
            (chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")
                + chrono::Duration::days(d as i64))
            .and_hms_opt(0, 0, 0)
            .expect("midnight"),
        ),
        Cell::Naive(n) => time.localise_instant(n),
        Cell::Str(_) => time.parse_instant(input.text),
        _ => {
            return fail(
                Reason::BadTimestamp,
                format!("{} = {:?} is not a datetime", c.name, input.as_read()),
            )
        }
    };
    local
        .map(|i: Instant| Value::Time(i.utc, i.fold))
        .map_err(|e| time_error(c, e))
}

fn days_since_epoch(d: chrono::NaiveDate) -> i32 {
    (d - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days() as i32
}

fn time_error(c: &ColumnSpec, e: TimeError) -> CellError {
    let (reason, m) = match e {
        TimeError::Unparseable(m) => (Reason::BadTimestamp, m),
        TimeError::Nonexistent(m) => (Reason::NonexistentLocalTime, m),
        TimeError::Ambiguous(m) => (Reason::AmbiguousLocalTime, m),
    };
    CellError {
        reason,
        message: format!("{}: {m}", c.name),
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
