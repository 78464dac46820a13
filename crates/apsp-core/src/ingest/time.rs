//! Timestamps: parsing and local-time resolution.
//!
//! Inside the engine every instant is UTC microseconds since the epoch. A datetime with
//! an offset or `Z` is absolute. A naive one is local time in the dataset's zone
//! (default `Europe/London`) and is converted with the real DST rules of `chrono-tz`:
//! a local time inside the spring-forward gap does not exist, one inside the fall-back
//! hour exists twice. What happens then is a setting, never a guess.

use chrono::{DateTime, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeZone};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::error::{ApspError, Result};

/// What to do with a local time that occurs twice (clocks go back).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Ambiguous {
    /// The first of the two instants (BST, before the clocks go back).
    #[default]
    Earliest,
    /// The second of the two instants (GMT).
    Latest,
    /// Quarantine the row.
    Quarantine,
}

/// What to do with a local time that does not exist (clocks go forward).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Nonexistent {
    /// Quarantine the row (reason `nonexistent_local_time`).
    #[default]
    Quarantine,
    /// Move the time forward by the length of the gap (01:30 -> 02:30 BST).
    ShiftForward,
}

impl std::str::FromStr for Ambiguous {
    type Err = ApspError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "earliest" => Ok(Self::Earliest),
            "latest" => Ok(Self::Latest),
            "quarantine" => Ok(Self::Quarantine),
            _ => Err(ApspError::Setting {
                name: "ambiguous",
                value: s.into(),
                message: "expected earliest, latest or quarantine".into(),
            }),
        }
    }
}

impl std::str::FromStr for Nonexistent {
    type Err = ApspError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "quarantine" => Ok(Self::Quarantine),
            "shift_forward" => Ok(Self::ShiftForward),
            _ => Err(ApspError::Setting {
                name: "nonexistent",
                value: s.into(),
                message: "expected quarantine or shift_forward".into(),
            }),
        }
    }
}

/// Parses a time-zone name (`Europe/London`).
pub fn parse_tz(name: &str) -> Result<Tz> {
    name.parse::<Tz>().map_err(|_| ApspError::Setting {
        name: "timezone",
        value: name.into(),
        message: "not an IANA time-zone name (e.g. Europe/London)".into(),
    })
}

/// How a datetime cell failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeError {
    /// Not a datetime in any accepted format.
    Unparseable(String),
    /// Local time in the spring-forward gap.
    Nonexistent(String),
    /// Local time in the fall-back hour, with the policy `quarantine`.
    Ambiguous(String),
}

/// Where a wall time that occurs twice (clocks go back) has its other occurrence: the
/// seconds from the instant taken to the other one (positive: a later one, the first
/// pass was taken; negative: an earlier one). Zero for a time that occurs once or is
/// absolute. Kept with each time value, so the time-order rule can read an interval
/// across the repeated hour without the file's time rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Fold(i32);

impl Fold {
    /// A time that occurs once, or an absolute one.
    pub const NONE: Fold = Fold(0);

    /// The fold of `taken`, one of the two instants `a` and `b` (UTC microseconds) of
    /// the same wall time.
    fn between(taken: i64, a: i64, b: i64) -> Fold {
        let other = if taken == a { b } else { a };
        Fold(((other - taken) / 1_000_000) as i32)
    }

    /// The later occurrence of the wall time read as `utc`, if `utc` is its first.
    #[inline]
    pub fn later(self, utc: i64) -> Option<i64> {
        (self.0 > 0).then(|| utc + i64::from(self.0) * 1_000_000)
    }

    /// The earlier occurrence of the wall time read as `utc`, if `utc` is its second.
    #[inline]
    pub fn earlier(self, utc: i64) -> Option<i64> {
        (self.0 < 0).then(|| utc + i64::from(self.0) * 1_000_000)
    }

    /// The fold seen from the other occurrence.
    pub fn other_side(self) -> Fold {
        Fold(-self.0)
    }
}

/// A datetime cell read as an instant, with its [`Fold`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instant {
    /// UTC microseconds since the epoch.
    pub utc: i64,
    pub fold: Fold,
}

impl Instant {
    /// An instant that is the only reading of its cell.
    fn once(utc: i64) -> Instant {
        Instant {
            utc,
            fold: Fold::NONE,
        }
    }
}

/// The rules for turning cells into UTC instants.
#[derive(Debug, Clone)]
pub struct TimeRules {
    pub tz: Tz,
    pub ambiguous: Ambiguous,
    pub nonexistent: Nonexistent,
    /// chrono formats tried in order; empty = ISO 8601 only.
    pub formats: Vec<String>,
}

impl TimeRules {
    pub fn new(tz: Tz) -> Self {
        TimeRules {
            tz,
            ambiguous: Ambiguous::default(),
            nonexistent: Nonexistent::default(),
            formats: Vec::new(),
        }
    }

    /// Parses a datetime cell into UTC microseconds.
    pub fn parse(&self, s: &str) -> std::result::Result<i64, TimeError> {
        self.parse_instant(s).map(|i| i.utc)
    }

    /// Parses a datetime cell into an instant, with its [`Fold`] when it is a naive
    /// local time that occurs twice.
    pub fn parse_instant(&self, s: &str) -> std::result::Result<Instant, TimeError> {
        let s = s.trim();
        if self.formats.is_empty() {
            return match parse_iso(s) {
                Some(Parsed::Absolute(dt)) => Ok(Instant::once(dt.timestamp_micros())),
                Some(Parsed::Naive(n)) => self.localise_instant(n),
                // A bare date is midnight local time (complaints and rosters often
                // carry dates only).
                None => match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                    Ok(d) if s.len() == 10 => {
                        self.localise_instant(d.and_hms_opt(0, 0, 0).expect("midnight"))
                    }
                    _ => Err(TimeError::Unparseable(format!(
                        "{s:?} is not an ISO 8601 datetime (YYYY-MM-DDTHH:MM:SS, optional offset)"
                    ))),
                },
            };
        }
        for f in &self.formats {
            if f.contains("%z") || f.contains("%:z") || f.contains("%#z") {
                if let Ok(dt) = DateTime::parse_from_str(s, f) {
                    return Ok(Instant::once(dt.timestamp_micros()));
                }
            } else if let Ok(n) = NaiveDateTime::parse_from_str(s, f) {
                return self.localise_instant(n);
            }
        }
        Err(TimeError::Unparseable(format!(
            "{s:?} matches none of the formats {:?}",
            self.formats
        )))
    }

    /// Resolves a naive local datetime in the dataset's zone.
    pub fn localise(&self, n: NaiveDateTime) -> std::result::Result<i64, TimeError> {
        self.localise_instant(n).map(|i| i.utc)
    }

    /// Resolves a naive local datetime in the dataset's zone, with its [`Fold`] when it
    /// occurs twice.
    pub fn localise_instant(&self, n: NaiveDateTime) -> std::result::Result<Instant, TimeError> {
        match self.tz.from_local_datetime(&n) {
            LocalResult::Single(dt) => Ok(Instant::once(dt.timestamp_micros())),
            LocalResult::Ambiguous(a, b) => {
                let (a, b) = (a.timestamp_micros(), b.timestamp_micros());
                let taken = match self.ambiguous {
                    Ambiguous::Earliest => a.min(b),
                    Ambiguous::Latest => a.max(b),
                    Ambiguous::Quarantine => {
                        return Err(TimeError::Ambiguous(format!(
                            "local time {n} occurs twice in {} (clocks go back) and ambiguous = quarantine",
                            self.tz
                        )))
                    }
                };
                Ok(Instant {
                    utc: taken,
                    fold: Fold::between(taken, a, b),
                })
            }
            LocalResult::None => self.nonexistent(n).map(Instant::once),
        }
    }

    /// A naive local datetime in the spring-forward gap, as the setting says.
    fn nonexistent(&self, n: NaiveDateTime) -> std::result::Result<i64, TimeError> {
        match self.nonexistent {
            Nonexistent::Quarantine => Err(TimeError::Nonexistent(format!(
                "local time {n} does not exist in {} (clocks go forward)",
                self.tz
            ))),
            Nonexistent::ShiftForward => {
                // Read the wall time with the offset in force just before the gap:
                // 01:30 in London's spring gap is 01:30 GMT = 02:30 BST.
                let before = self
                    .tz
                    .from_local_datetime(&(n - chrono::Duration::hours(3)))
                    .earliest()
                    .map(|dt| dt.offset().fix());
                match before {
                    Some(off) => Ok(
                        (n - chrono::Duration::seconds(off.local_minus_utc() as i64))
                            .and_utc()
                            .timestamp_micros(),
                    ),
                    None => Err(TimeError::Nonexistent(format!(
                        "local time {n} does not exist in {}",
                        self.tz
                    ))),
                }
            }
        }
    }
}

enum Parsed {
    Absolute(DateTime<FixedOffset>),
    Naive(NaiveDateTime),
}

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0')))
}

/// ISO 8601 with `T` or a space between date and time, optional seconds and
/// fraction, optional `Z` or `±HH:MM` / `±HHMM` / `±HH` offset. Hand-rolled over bytes:
/// this runs for every timestamp of every billing row.
fn parse_iso(s: &str) -> Option<Parsed> {
    let b = s.as_bytes();
    if b.len() < 16
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
    {
        return None;
    }
    let (y, mo, d) = (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?);
    let (h, mi) = (digits(&b[11..13])?, digits(&b[14..16])?);
    let mut pos = 16;
    let (mut sec, mut micros) = (0u32, 0u32);
    if pos < b.len() && b[pos] == b':' {
        sec = digits(b.get(pos + 1..pos + 3)?)?;
        pos += 3;
        if pos < b.len() && (b[pos] == b'.' || b[pos] == b',') {
            let start = pos + 1;
            let mut end = start;
            while end < b.len() && b[end].is_ascii_digit() {
                end += 1;
            }
            if end == start || end - start > 9 {
                return None;
            }
            let frac = &b[start..end.min(start + 6)];
            micros = digits(frac)? * 10u32.pow(6 - frac.len() as u32);
            pos = end;
        }
    }
    let date = NaiveDate::from_ymd_opt(y as i32, mo, d)?;
    let naive = date.and_hms_micro_opt(h, mi, sec, micros)?;
    let rest = &b[pos..];
    let offset_secs: Option<i32> = match rest {
        [] => None,
        [b'Z'] | [b'z'] => Some(0),
        [sign @ (b'+' | b'-'), tail @ ..] => {
            let (hh, mm) = match tail {
                [h1, h2] => (digits(&[*h1, *h2])?, 0),
                [h1, h2, b':', m1, m2] | [h1, h2, m1, m2] => {
                    (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?)
                }
                _ => return None,
            };
            if hh > 23 || mm > 59 {
                return None;
            }
            let secs = (hh * 3600 + mm * 60) as i32;
            Some(if *sign == b'-' { -secs } else { secs })
        }
        _ => return None,
    };
    match offset_secs {
        None => Some(Parsed::Naive(naive)),
        Some(off) => {
            let fixed = FixedOffset::east_opt(off)?;
            Some(Parsed::Absolute(
                fixed.from_local_datetime(&naive).single()?,
            ))
        }
    }
}

/// Parses a date cell (`YYYY-MM-DD` or the given formats) into days since the epoch.
pub fn parse_date(s: &str, formats: &[String]) -> std::result::Result<i32, String> {
    let s = s.trim();
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    let found = if formats.is_empty() {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().or_else(|| {
            // A datetime where a date belongs ("1990-05-14 00:00:00", as spreadsheets
            // and pandas write dates): its calendar date.
            match parse_iso(s)? {
                Parsed::Naive(n) => Some(n.date()),
                Parsed::Absolute(dt) => Some(dt.date_naive()),
            }
        })
    } else {
        formats
            .iter()
            .find_map(|f| NaiveDate::parse_from_str(s, f).ok())
    };
    match found {
        Some(d) => Ok((d - epoch).num_days() as i32),
        None if formats.is_empty() => Err(format!("{s:?} is not a date (YYYY-MM-DD)")),
        None => Err(format!(
            "{s:?} matches none of the date formats {formats:?}"
        )),
    }
}

/// Formats UTC microseconds as ISO 8601 (`2026-03-29T01:30:00Z`) for messages.
pub fn fmt_utc(micros: i64) -> String {
    match DateTime::from_timestamp_micros(micros) {
        Some(dt) => dt.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        None => micros.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn london() -> TimeRules {
        TimeRules::new(chrono_tz::Europe::London)
    }

    #[test]
    fn iso_forms() {
        let r = london();
        // Winter: London = UTC.
        let winter = r.parse("2026-01-10T12:00:00").unwrap();
        assert_eq!(fmt_utc(winter), "2026-01-10T12:00:00Z");
        assert_eq!(r.parse("2026-01-10 12:00").unwrap(), winter);
        assert_eq!(r.parse("2026-01-10T12:00:00Z").unwrap(), winter);
        assert_eq!(r.parse("2026-01-10T13:00:00+01:00").unwrap(), winter);
        assert_eq!(r.parse("2026-01-10T13:00:00+0100").unwrap(), winter);
        assert_eq!(
            r.parse("2026-01-10T12:00:00.500Z").unwrap(),
            winter + 500_000
        );
        // Summer: London = UTC+1.
        assert_eq!(
            fmt_utc(r.parse("2026-07-01T12:00:00").unwrap()),
            "2026-07-01T11:00:00Z"
        );
        assert!(r.parse("2026-13-01T00:00:00").is_err());
        assert!(r.parse("yesterday").is_err());
        // A bare date is local midnight.
        assert_eq!(
            fmt_utc(r.parse("2026-07-10").unwrap()),
            "2026-07-09T23:00:00Z"
        );
        assert!(r.parse("2026-07-1").is_err());
        assert!(r.parse("2026-01-10T10:00:00+25:00").is_err());
        assert!(r.parse("2026-01-10T10:00:00 junk").is_err());
        assert!(r.parse("2026-02-30T10:00:00").is_err());
        assert!(r.parse("2026-01-10T24:00:00").is_err());
        assert_eq!(
            r.parse("2026-01-10T12:00:00.123456789Z").unwrap(),
            winter + 123_456
        );
        assert_eq!(
            r.parse("2026-01-10T12:00:00-05:30").unwrap(),
            winter + 19_800_000_000
        );
    }

    #[test]
    fn dst_gap_and_overlap() {
        let mut r = london();
        // 2026-03-29 01:30 London does not exist.
        assert!(matches!(
            r.parse("2026-03-29T01:30:00"),
            Err(TimeError::Nonexistent(_))
        ));
        r.nonexistent = Nonexistent::ShiftForward;
        assert_eq!(
            fmt_utc(r.parse("2026-03-29T01:30:00").unwrap()),
            "2026-03-29T01:30:00Z"
        );
        // 2026-10-25 01:30 London happens at 00:30Z (BST) and 01:30Z (GMT).
        assert_eq!(
            fmt_utc(r.parse("2026-10-25T01:30:00").unwrap()),
            "2026-10-25T00:30:00Z"
        );
        r.ambiguous = Ambiguous::Latest;
        assert_eq!(
            fmt_utc(r.parse("2026-10-25T01:30:00").unwrap()),
            "2026-10-25T01:30:00Z"
        );
        r.ambiguous = Ambiguous::Quarantine;
        assert!(matches!(
            r.parse("2026-10-25T01:30:00"),
            Err(TimeError::Ambiguous(_))
        ));
    }

    #[test]
    fn a_repeated_local_time_knows_its_other_occurrence() {
        let mut r = london();
        let hour = 3_600_000_000;
        // 01:05 on 25 October 2026 is 00:05Z (BST) and 01:05Z (GMT).
        let first = r.parse_instant("2026-10-25T01:05:00").unwrap();
        assert_eq!(fmt_utc(first.utc), "2026-10-25T00:05:00Z");
        assert_eq!(first.fold.later(first.utc), Some(first.utc + hour));
        assert_eq!(first.fold.earlier(first.utc), None);
        assert_eq!(
            first.fold.other_side().earlier(first.utc + hour),
            Some(first.utc)
        );
        r.ambiguous = Ambiguous::Latest;
        let second = r.parse_instant("2026-10-25 01:05").unwrap();
        assert_eq!(fmt_utc(second.utc), "2026-10-25T01:05:00Z");
        assert_eq!(second.fold.earlier(second.utc), Some(second.utc - hour));
        assert_eq!(second.fold.later(second.utc), None);
        // Times that occur once, absolute times and the spring gap have no fold.
        for s in [
            "2026-10-25T00:59:59",
            "2026-10-25T02:00:00",
            "2026-10-25T01:05:00Z",
            "2026-10-25T01:05:00+01:00",
            "2026-03-29T02:10:00",
        ] {
            assert_eq!(r.parse_instant(s).unwrap().fold, Fold::NONE, "{s}");
        }
        r.nonexistent = Nonexistent::ShiftForward;
        assert_eq!(
            r.parse_instant("2026-03-29T01:30:00").unwrap().fold,
            Fold::NONE
        );
    }

    #[test]
    fn profile_formats() {
        let mut r = london();
        r.formats = vec!["%d/%m/%Y %H:%M:%S".into()];
        assert_eq!(
            fmt_utc(r.parse("01/07/2026 12:00:00").unwrap()),
            "2026-07-01T11:00:00Z"
        );
        assert!(r.parse("2026-07-01T12:00:00").is_err());
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("1970-01-02", &[]), Ok(1));
        assert_eq!(parse_date("02/01/1970", &["%d/%m/%Y".into()]), Ok(1));
        assert!(parse_date("1970-02-30", &[]).is_err());
        assert_eq!(parse_date("1970-01-02 00:00:00", &[]), Ok(1));
        assert_eq!(parse_date("1970-01-02T10:30:00Z", &[]), Ok(1));
    }
}
