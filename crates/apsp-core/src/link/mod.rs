//! Who is who: the canonical tables joined into one picture the warning signs read.
//!
//! - device → officer over the devices' validity windows; the other party of a call →
//!   a person (via `person_numbers`), a colleague (another officer's device: internal,
//!   never a subject), or an unmatched number (a subject in its own right); service
//!   numbers and withheld callers are real traffic but never subjects;
//! - stops → officer (the MDT log-on, else the vehicle's assignment at that time);
//! - involvement windows from `case_links`: from `opened_at` to the earlier of
//!   `closed_at` and `officer_until` (each blank = open);
//! - on/off duty from `shifts`; the officer's deployments, for stops they explain;
//! - record accesses → subject (the person, or the number queried).
//!
//! Every linked event keeps the id of its source row, so a score can be explained down
//! to the billing lines, stops and audit events behind it.

pub mod geo;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;

use chrono::TimeZone as _;
use polars::prelude::*;
use polars_arrow::array::{Array as _, PrimitiveArray, Utf8ViewArray};

use crate::error::{ApspError, Result};
use crate::ingest::table::Hint;
use crate::ingest::{Dataset, QuarantineRow, Table};
use crate::manifest::Manifest;

/// A source row's id (record, stop, event, incident): held inline up to 24 bytes, so
/// millions of linked events cost no allocation each (nor a free when released).
pub type RowId = PlSmallStr;

/// UTC microseconds.
pub type Ts = i64;
pub const MINUTE: Ts = 60_000_000;
pub const HOUR: Ts = 60 * MINUTE;
pub const DAY: Ts = 24 * HOUR;

/// The officer of a quarantined vehicle assignment (whoever it names).
const QUARANTINED: u32 = u32::MAX;

/// The time a quarantined row from `start` to `end` may cover, either unreadable:
/// an unreadable side is bounded by `longest` (the longest such readable span); a
/// span longer than that, or ending before it starts, is taken as `longest` from each
/// readable side.
fn salvaged_span(start: Option<Ts>, end: Option<Ts>, longest: Ts) -> Vec<(Ts, Ts)> {
    match (start, end) {
        (Some(a), Some(b)) if a <= b && b - a <= longest => vec![(a, b)],
        (Some(a), Some(b)) => vec![(a, a + longest), (b - longest, b)],
        (Some(a), None) => vec![(a, a + longest)],
        (None, Some(b)) => vec![(b - longest, b)],
        (None, None) => Vec::new(),
    }
}

/// The longest of `spans` (positive ones; `default` without any), at most `cap`:
/// the bound of a quarantined row's unreadable side.
fn longest_span(spans: impl Iterator<Item = Ts>, default: Ts, cap: Ts) -> Ts {
    spans.filter(|d| *d > 0).max().unwrap_or(default).min(cap)
}

/// The pairs a quarantined `case_links` row names (officer and person both of the
/// force): the row may have recorded an involvement that would explain their
/// contact, so the signs that rest on involvement are not evaluated for the pair (a
/// broken row must not turn the job into a warning sign). The reason names the file,
/// line and fault, so the row can be corrected and the force scored again.
fn involvement_unknown(
    hinted: &[QuarantineRow],
    officer_index: &HashMap<String, u32>,
    subject_index: &HashMap<String, u32>,
    subjects: &[Subject],
) -> HashMap<(u32, u32), Arc<str>> {
    let mut by_pair: BTreeMap<(u32, u32), Vec<&QuarantineRow>> = BTreeMap::new();
    for (row, q) in hinted.iter().filter_map(|r| match &r.hint {
        Some(Hint::Link(l)) => Some((r, l)),
        _ => None,
    }) {
        let officers: BTreeSet<u32> = q
            .officers
            .iter()
            .filter_map(|o| officer_index.get(o).copied())
            .collect();
        let persons: BTreeSet<u32> = q
            .persons
            .iter()
            .filter_map(|p| subject_index.get(p).copied())
            .filter(|&s| subjects[s as usize].kind == SubjectKind::Person)
            .collect();
        for &o in &officers {
            for &s in &persons {
                by_pair.entry((o, s)).or_default().push(row);
            }
        }
    }
    by_pair
        .into_iter()
        .map(|(pair, rows)| {
            let more = match rows.len() {
                1 => String::new(),
                n => format!(" and {} more", n - 1),
            };
            let why = format!(
                "involvement unknown: a case_links row naming this officer and subject was \
                 quarantined ({}){more}; correct it and score again",
                rows[0].describe()
            );
            (pair, why.into())
        })
        .collect()
}

/// A quarantined billing row that may record a contact of a pair.
#[derive(Debug, Clone)]
pub struct UnknownContact {
    /// When, if its started_at could be read.
    pub at: Option<Ts>,
    /// "FILE line N: REASON in COLUMN".
    pub row: Arc<str>,
}

/// An officer.
#[derive(Debug, Clone)]
pub struct Officer {
    pub id: String,
    pub role: String,
    pub unit: Option<String>,
}

/// Whether a subject is a known person or a bare number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SubjectKind {
    Person,
    Number,
}

impl SubjectKind {
    pub fn label(self) -> &'static str {
        match self {
            SubjectKind::Person => "person",
            SubjectKind::Number => "number",
        }
    }
}

/// A member of the public: a person in force records, or a number that matches none.
#[derive(Debug, Clone)]
pub struct Subject {
    /// `person_id`, or the number in E.164.
    pub id: String,
    pub kind: SubjectKind,
    pub person: Option<Person>,
}

/// What force records hold about a person.
#[derive(Debug, Clone, Default)]
pub struct Person {
    /// Days since 1970-01-01.
    pub dob: Option<i32>,
    pub flags: Vec<String>,
    pub home: Option<(f64, f64)>,
}

impl Person {
    /// Whether the person was under 18 at `t`.
    pub fn young_at(&self, t: Ts) -> bool {
        self.dob.is_some_and(|d| {
            let birth = d as i64 * DAY;
            // 18 calendar years, leap days included (18 * 365.25 days).
            t < birth + 18 * 365 * DAY + 4 * DAY + DAY / 2
        })
    }
}

/// A call or message between an officer's device and a subject.
#[derive(Debug, Clone)]
pub struct Contact {
    pub officer: u32,
    pub subject: u32,
    pub at: Ts,
    pub out: bool,
    pub call: bool,
    pub duration: Option<i64>,
    pub record_id: RowId,
}

impl Contact {
    /// A call of at most `secs` seconds (unanswered or voicemail).
    pub fn short_call(&self, secs: i64) -> bool {
        self.call && self.duration.unwrap_or(0) <= secs
    }

    /// Contact the officer made, or took part in: every outgoing event, and incoming
    /// calls that were answered (an unanswered incoming call is the subject's attempt).
    pub fn engaged(&self) -> bool {
        self.out || !self.call || self.duration.unwrap_or(0) > 5
    }
}

/// A vehicle stop attributed to an officer.
#[derive(Debug, Clone)]
pub struct Stop {
    pub officer: u32,
    pub at: Ts,
    pub until: Ts,
    pub lat: f64,
    pub lon: f64,
    pub stop_id: RowId,
    /// Attributed through the vehicle's assignment (no MDT log-on).
    pub by_assignment: bool,
}

/// A police-system access to a subject's record.
#[derive(Debug, Clone)]
pub struct Access {
    pub officer: u32,
    pub subject: u32,
    pub at: Ts,
    pub system: Option<RowId>,
    pub purpose: Option<RowId>,
    pub event_id: RowId,
}

/// One officer's involvement with one person on one case.
#[derive(Debug, Clone)]
pub struct Involvement {
    pub case_id: String,
    pub opened: Ts,
    /// The earlier of closure and the end of this officer's involvement; `None` = open.
    pub end: Option<Ts>,
    pub closed: Option<Ts>,
    pub until: Option<Ts>,
}

impl Involvement {
    pub fn covers(&self, t: Ts) -> bool {
        self.opened <= t && self.end.is_none_or(|e| t <= e)
    }
}

/// A deployment of an officer.
#[derive(Debug, Clone)]
pub struct Deployment {
    pub start: Ts,
    pub end: Ts,
    pub lat: f64,
    pub lon: f64,
    pub incident_id: RowId,
}

/// A complaint or intelligence report.
#[derive(Debug, Clone)]
pub struct Complaint {
    pub at: Ts,
    pub category: Option<String>,
    /// `file:line` of the source row (complaints have no id).
    pub row: String,
}

/// Which inputs a run had (a signal whose inputs are absent is *not evaluated*).
#[derive(Debug, Clone, Copy, Default)]
pub struct Present {
    pub billing: bool,
    pub devices: bool,
    pub stops: bool,
    pub access_log: bool,
    pub case_links: bool,
    pub shifts: bool,
    pub persons: bool,
    pub addresses: bool,
    pub deployments: bool,
    pub complaints: bool,
}

/// (officer, case id) → the officer's involvement windows on that case.
pub type CaseWindows = HashMap<(u32, String), Vec<(Ts, Option<Ts>)>>;

/// Rows of event tables that could not be tied to an officer or subject, by reason
/// (reported in the manifest; never silently dropped).
pub type Unlinked = BTreeMap<String, u64>;

/// The linked dataset.
pub struct Linked {
    pub officers: Vec<Officer>,
    pub officer_index: HashMap<String, u32>,
    pub subjects: Vec<Subject>,
    pub subject_index: HashMap<String, u32>,
    /// Per officer, sorted by start.
    pub shifts: Vec<Vec<(Ts, Ts)>>,
    /// Per officer, sorted: the time quarantined shift rows may cover (possibly on
    /// duty; not a roster).
    pub shifts_unknown: Vec<Vec<(Ts, Ts)>>,
    /// Per officer, sorted by start.
    pub deployments: Vec<Vec<Deployment>>,
    /// Longest deployment per officer (for overlap searches).
    pub longest_deployment: Vec<Ts>,
    /// (officer, subject) → involvements, sorted by opened.
    pub involvement: HashMap<(u32, u32), Vec<Involvement>>,
    /// (officer, case id) → involvement windows (for purpose references).
    pub cases: CaseWindows,
    /// (officer, subject) → why their involvement is unknown: a quarantined
    /// `case_links` row names them both (see [`involvement_unknown`]).
    pub involvement_unknown: HashMap<(u32, u32), Arc<str>>,
    /// (officer, subject) → quarantined billing rows that may record a contact
    /// between them, by file and line.
    pub contact_unknown: HashMap<(u32, u32), Vec<UnknownContact>>,
    /// officer → quarantined billing rows of the officer's device whose other party
    /// is unreadable (time known), by file and line.
    pub officer_contact_unknown: HashMap<u32, Vec<UnknownContact>>,
    /// Sorted by (officer, subject, at, record id).
    pub contacts: Vec<Contact>,
    /// Sorted by (officer, at, stop id).
    pub stops: Vec<Stop>,
    /// Sorted by (officer, subject, at, event id).
    pub accesses: Vec<Access>,
    /// Per officer, sorted.
    pub complaints: Vec<Vec<Complaint>>,
    pub present: Present,
    pub unlinked: Unlinked,
    pub timezone: chrono_tz::Tz,
    /// The dataset's folder (for messages).
    pub dataset: String,
}

fn col<'a>(df: &'a DataFrame, name: &str) -> Result<&'a Series> {
    Ok(df.column(name)?.as_materialized_series())
}

/// A text column of a table being linked, read in place (no copy of its values).
struct Strs(Utf8ViewArray);

impl Strs {
    fn get(&self, i: usize) -> Option<&str> {
        self.0.is_valid(i).then(|| self.0.value(i))
    }
}

/// A numeric column of a table being linked, read in place.
struct Nums<T: polars_arrow::types::NativeType>(PrimitiveArray<T>);

impl<T: polars_arrow::types::NativeType> Nums<T> {
    fn get(&self, i: usize) -> Option<T> {
        self.0.get(i)
    }
}

/// A column as one array (a read frame has one chunk per column already).
fn one_chunk<T: PolarsDataType>(ca: &ChunkedArray<T>) -> T::Array
where
    T::Array: Clone,
{
    use polars_arrow::array::StaticArray as _;
    let ca = ca.rechunk();
    let one = ca.downcast_iter().next().cloned();
    one.unwrap_or_else(|| T::Array::full_null(0, ca.dtype().to_arrow(CompatLevel::newest())))
}

fn strs(df: &DataFrame, name: &str) -> Result<Strs> {
    Ok(Strs(one_chunk(col(df, name)?.str()?)))
}

fn times(df: &DataFrame, name: &str) -> Result<Nums<i64>> {
    let s = col(df, name)?;
    Ok(Nums(match s.dtype() {
        DataType::Datetime(TimeUnit::Microseconds, _) => one_chunk(s.datetime()?.physical()),
        _ => one_chunk(s.to_physical_repr().cast(&DataType::Int64)?.i64()?),
    }))
}

fn floats(df: &DataFrame, name: &str) -> Result<Nums<f64>> {
    Ok(Nums(one_chunk(col(df, name)?.f64()?)))
}

fn ints(df: &DataFrame, name: &str) -> Result<Nums<i64>> {
    Ok(Nums(one_chunk(
        col(df, name)?.cast(&DataType::Int64)?.i64()?,
    )))
}

fn row_ref(df: &DataFrame, i: usize) -> Result<String> {
    let f = col(df, "source_file")?.str()?.get(i).unwrap_or("");
    let l = col(df, "source_line")?.i64()?.get(i).unwrap_or(0);
    Ok(format!("{f}:{l}"))
}

impl Linked {
    /// Links a dataset. `timezone` is the dataset's zone (for local hours).
    pub fn build(ds: &Dataset) -> Result<Linked> {
        Linked::link(ds.tables.clone(), &ds.manifest, &ds.hinted)
    }

    /// Links a dataset like [`Linked::build`], freeing each table once it is linked (the
    /// dataset keeps its quarantine and manifest): the peak memory of a large force is
    /// then the larger of the two, not their sum.
    pub fn build_releasing(ds: &mut Dataset) -> Result<Linked> {
        Linked::link(std::mem::take(&mut ds.tables), &ds.manifest, &ds.hinted)
    }

    /// Links `tables`, each dropped once linked (a frame clone shares its buffers, so
    /// [`Linked::build`]'s copies free nothing).
    fn link(
        mut tables: BTreeMap<Table, DataFrame>,
        manifest: &Manifest,
        hinted: &[QuarantineRow],
    ) -> Result<Linked> {
        let timezone: chrono_tz::Tz =
            manifest
                .settings
                .timezone
                .parse()
                .map_err(|e: chrono_tz::ParseError| ApspError::Setting {
                    name: "timezone",
                    value: manifest.settings.timezone.clone(),
                    message: e.to_string(),
                })?;
        let off = tables
            .remove(&Table::Officers)
            .ok_or_else(|| ApspError::Dataset {
                dir: manifest.dataset.clone().into(),
                message: "no officers table".into(),
            })?;
        let mut officers = Vec::with_capacity(off.height());
        let mut officer_index = HashMap::default();
        let (ids, roles, units) = (
            strs(&off, "officer_id")?,
            strs(&off, "role")?,
            strs(&off, "unit")?,
        );
        for i in 0..off.height() {
            let id = ids.get(i).unwrap_or_default().to_string();
            officer_index.insert(id.clone(), officers.len() as u32);
            officers.push(Officer {
                id,
                role: roles.get(i).unwrap_or_default().to_string(),
                unit: units.get(i).map(String::from),
            });
        }
        let n = officers.len();
        // Rows that link to nothing, counted by reason (a reason is a literal: counting
        // one allocates nothing).
        let mut missed: BTreeMap<&'static str, u64> = BTreeMap::new();
        let mut miss = |k: &'static str| *missed.entry(k).or_insert(0) += 1;
        let present = Present {
            billing: tables.contains_key(&Table::Billing),
            devices: tables.contains_key(&Table::Devices),
            stops: tables.contains_key(&Table::Stops),
            access_log: tables.contains_key(&Table::AccessLog),
            case_links: tables.contains_key(&Table::CaseLinks),
            shifts: tables.contains_key(&Table::Shifts),
            persons: tables.contains_key(&Table::Persons),
            addresses: tables.get(&Table::Persons).is_some_and(|p| {
                p.column("address_lat")
                    .is_ok_and(|c| c.null_count() < p.height())
            }),
            deployments: tables.contains_key(&Table::Deployments),
            complaints: tables.contains_key(&Table::Complaints),
        };

        // Officer-only facts (shifts, deployments, vehicle assignments, complaints) are linked on one
        // side while subjects are interned in file order on the other: neither reads
        // what the other makes, so the result does not depend on the threads.
        let mut officer_tables: BTreeMap<Table, DataFrame> = [
            Table::Shifts,
            Table::Deployments,
            Table::VehicleAssignments,
            Table::Complaints,
        ]
        .into_iter()
        .filter_map(|t| tables.remove(&t).map(|d| (t, d)))
        .collect();
        let subject_side = || -> Result<_> {
            // Subjects: persons first (in file order), numbers interned as met.
            let mut subjects: Vec<Subject> = Vec::new();
            let mut subject_index: HashMap<String, u32> = HashMap::default();
            if let Some(p) = tables.remove(&Table::Persons).as_ref() {
                let (ids, flags) = (strs(p, "person_id")?, strs(p, "vulnerabilities")?);
                let dob = ints(p, "date_of_birth")?;
                let (la, lo) = (floats(p, "address_lat")?, floats(p, "address_lon")?);
                for i in 0..p.height() {
                    let id = ids.get(i).unwrap_or_default().to_string();
                    subject_index.insert(id.clone(), subjects.len() as u32);
                    subjects.push(Subject {
                        id,
                        kind: SubjectKind::Person,
                        person: Some(Person {
                            dob: dob.get(i).map(|d| d as i32),
                            flags: flags
                                .get(i)
                                .map(|f| f.split(';').map(String::from).collect())
                                .unwrap_or_default(),
                            home: la.get(i).zip(lo.get(i)),
                        }),
                    });
                }
            }
            // A person in case links or person_numbers but not in persons: known by id only.
            fn person_subject(
                id: &str,
                subjects: &mut Vec<Subject>,
                index: &mut HashMap<String, u32>,
            ) -> u32 {
                if let Some(i) = index.get(id) {
                    return *i;
                }
                let i = subjects.len() as u32;
                index.insert(id.to_string(), i);
                subjects.push(Subject {
                    id: id.to_string(),
                    kind: SubjectKind::Person,
                    person: Some(Person::default()),
                });
                i
            }
            // A number: the person it belongs to, else a subject of its own.
            fn number_subject(
                nr: &str,
                number_person: &HashMap<String, u32>,
                subjects: &mut Vec<Subject>,
                index: &mut HashMap<String, u32>,
            ) -> u32 {
                if let Some(s) = number_person.get(nr).or_else(|| index.get(nr)) {
                    return *s;
                }
                let s = subjects.len() as u32;
                index.insert(nr.to_string(), s);
                subjects.push(Subject {
                    id: nr.to_string(),
                    kind: SubjectKind::Number,
                    person: None,
                });
                s
            }
            let mut number_person: HashMap<String, u32> = HashMap::default();
            if let Some(pn) = tables.remove(&Table::PersonNumbers).as_ref() {
                let (pid, num) = (strs(pn, "person_id")?, strs(pn, "number")?);
                let kind = strs(pn, "number_kind")?;
                for i in 0..pn.height() {
                    if let (Some(p), Some(nr), Some("e164")) = (pid.get(i), num.get(i), kind.get(i))
                    {
                        let s = person_subject(p, &mut subjects, &mut subject_index);
                        // A number shared by several people belongs to the first one listed.
                        number_person.entry(nr.to_string()).or_insert(s);
                    }
                }
            }

            // Devices: number → [(officer, from, to)].
            let mut devices: HashMap<String, Vec<(u32, Ts, Ts)>> = HashMap::default();
            if let Some(d) = tables.remove(&Table::Devices).as_ref() {
                let (num, oid) = (strs(d, "device_number")?, strs(d, "officer_id")?);
                let (from, to) = (times(d, "valid_from")?, times(d, "valid_to")?);
                for i in 0..d.height() {
                    let (Some(nr), Some(o)) = (num.get(i), oid.get(i)) else {
                        continue;
                    };
                    match officer_index.get(o) {
                        Some(&oi) => devices.entry(nr.to_string()).or_default().push((
                            oi,
                            from.get(i).unwrap_or(i64::MIN),
                            to.get(i).unwrap_or(i64::MAX),
                        )),
                        None => miss("devices: officer not in officers"),
                    }
                }
            }
            let owner = |nr: &str, t: Ts| -> Option<u32> {
                devices
                    .get(nr)?
                    .iter()
                    .find(|(_, a, b)| *a <= t && t <= *b)
                    .map(|(o, _, _)| *o)
            };

            // Involvement.
            let mut involvement: HashMap<(u32, u32), Vec<Involvement>> = HashMap::default();
            let mut cases: CaseWindows = HashMap::default();
            if let Some(c) = tables.remove(&Table::CaseLinks).as_ref() {
                let (cid, pid, oid) = (
                    strs(c, "case_id")?,
                    strs(c, "person_id")?,
                    strs(c, "officer_id")?,
                );
                let (op, cl, un) = (
                    times(c, "opened_at")?,
                    times(c, "closed_at")?,
                    times(c, "officer_until")?,
                );
                for i in 0..c.height() {
                    let Some(&o) = oid.get(i).and_then(|o| officer_index.get(o)) else {
                        miss("case_links: officer not in officers");
                        continue;
                    };
                    let s = person_subject(
                        pid.get(i).unwrap_or_default(),
                        &mut subjects,
                        &mut subject_index,
                    );
                    let end = match (cl.get(i), un.get(i)) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                    let case_id = cid.get(i).unwrap_or_default().to_string();
                    let opened = op.get(i).unwrap_or(0);
                    cases
                        .entry((o, case_id.clone()))
                        .or_default()
                        .push((opened, end));
                    involvement.entry((o, s)).or_default().push(Involvement {
                        case_id,
                        opened,
                        end,
                        closed: cl.get(i),
                        until: un.get(i),
                    });
                }
            }
            for v in involvement.values_mut() {
                v.sort_by(|a, b| (a.opened, &a.case_id).cmp(&(b.opened, &b.case_id)));
            }

            // Contacts.
            let mut contacts = Vec::new();
            if let Some(b) = tables.remove(&Table::Billing).as_ref() {
                let (rid, dev, oth, okind) = (
                    strs(b, "record_id")?,
                    strs(b, "device_number")?,
                    strs(b, "other_number")?,
                    strs(b, "other_number_kind")?,
                );
                let (dir, kind) = (strs(b, "direction")?, strs(b, "kind")?);
                let (at, dur) = (times(b, "started_at")?, ints(b, "duration_s")?);
                // Whose device and which number, row by row in parallel (lookups only)...
                enum Row<'a> {
                    /// To a person's number: officer, subject.
                    Person(u32, u32),
                    /// To another number: officer, number.
                    Number(u32, &'a str),
                    Miss(&'static str),
                }
                let rows: Vec<Row<'_>> = (0..b.height())
                    .into_par_iter()
                    .map(|i| {
                        let t = at.get(i).unwrap_or(0);
                        let Some(o) = dev.get(i).and_then(|d| owner(d, t)) else {
                            return Row::Miss("billing: device of no officer at that time");
                        };
                        match (okind.get(i), oth.get(i)) {
                            // Any officer's device, whatever its validity window: internal.
                            (Some("e164"), Some(nr)) if devices.contains_key(nr) => {
                                Row::Miss("billing: colleague's device (internal)")
                            }
                            (Some("e164"), Some(nr)) => match number_person.get(nr) {
                                Some(&s) => Row::Person(o, s),
                                None => Row::Number(o, nr),
                            },
                            (Some("service"), _) => {
                                Row::Miss("billing: service number (not a subject)")
                            }
                            _ => Row::Miss("billing: withheld number (not a subject)"),
                        }
                    })
                    .collect();
                // ...then numbers become subjects in file order (ids do not depend on
                // threads), and the contacts are made in parallel.
                let mut linked: Vec<(usize, u32, u32)> = Vec::with_capacity(rows.len());
                for (i, r) in rows.iter().enumerate() {
                    match r {
                        Row::Miss(why) => miss(why),
                        Row::Person(o, s) => linked.push((i, *o, *s)),
                        Row::Number(o, nr) => {
                            let s = number_subject(
                                nr,
                                &number_person,
                                &mut subjects,
                                &mut subject_index,
                            );
                            linked.push((i, *o, s));
                        }
                    }
                }
                drop(rows);
                contacts = linked
                    .par_iter()
                    .map(|&(i, o, s)| Contact {
                        officer: o,
                        subject: s,
                        at: at.get(i).unwrap_or(0),
                        out: dir.get(i) == Some("out"),
                        call: kind.get(i) == Some("call"),
                        duration: dur.get(i),
                        record_id: rid.get(i).unwrap_or_default().into(),
                    })
                    .collect();
            }
            contacts.par_sort_by(|a, b| {
                (a.officer, a.subject, a.at, &a.record_id).cmp(&(
                    b.officer,
                    b.subject,
                    b.at,
                    &b.record_id,
                ))
            });

            // Quarantined billing rows → the pairs whose contact they may record: the
            // device's holder at the row's time (any holder when the time is unknown)
            // and the person or number already a subject (a number met nowhere else
            // makes no pair to speak of).
            let mut contact_unknown: HashMap<(u32, u32), Vec<UnknownContact>> = HashMap::default();
            let mut officer_contact_unknown: HashMap<u32, Vec<UnknownContact>> = HashMap::default();
            for (row, q) in hinted.iter().filter_map(|r| match &r.hint {
                Some(Hint::Contact(c)) => Some((r, c)),
                _ => None,
            }) {
                let mut officers: BTreeSet<u32> = BTreeSet::new();
                for d in &q.devices {
                    let Some(held) = devices.get(d) else { continue };
                    officers.extend(
                        held.iter()
                            .filter(|(_, a, b)| q.at.is_none_or(|t| *a <= t && t <= *b))
                            .map(|(o, _, _)| *o),
                    );
                }
                let subjects_named: BTreeSet<u32> = q
                    .numbers
                    .iter()
                    .filter(|nr| !devices.contains_key(nr.as_str()))
                    .filter_map(|nr| {
                        number_person
                            .get(nr.as_str())
                            .or_else(|| subject_index.get(nr.as_str()))
                            .copied()
                    })
                    .collect();
                let what: Arc<str> = row.describe().into();
                if q.numbers.is_empty() && q.at.is_some() {
                    // The other party unreadable: a contact of the officer's then.
                    for &o in &officers {
                        officer_contact_unknown
                            .entry(o)
                            .or_default()
                            .push(UnknownContact {
                                at: q.at,
                                row: what.clone(),
                            });
                    }
                }
                for &o in &officers {
                    for &sj in &subjects_named {
                        contact_unknown
                            .entry((o, sj))
                            .or_default()
                            .push(UnknownContact {
                                at: q.at,
                                row: what.clone(),
                            });
                    }
                }
            }

            // Accesses → subject.
            let mut accesses = Vec::new();
            if let Some(a) = tables.remove(&Table::AccessLog).as_ref() {
                let (eid, oid, sys) = (
                    strs(a, "event_id")?,
                    strs(a, "officer_id")?,
                    strs(a, "system")?,
                );
                let (pid, num, pur) = (
                    strs(a, "person_id")?,
                    strs(a, "subject_number")?,
                    strs(a, "purpose_ref")?,
                );
                let at = times(a, "at")?;
                for i in 0..a.height() {
                    let Some(&o) = oid.get(i).and_then(|o| officer_index.get(o)) else {
                        miss("access_log: officer not in officers");
                        continue;
                    };
                    let s = match (pid.get(i), num.get(i)) {
                        (Some(p), _) => person_subject(p, &mut subjects, &mut subject_index),
                        (None, Some(nr)) => {
                            number_subject(nr, &number_person, &mut subjects, &mut subject_index)
                        }
                        (None, None) => {
                            miss("access_log: no subject (neither person_id nor subject_number)");
                            continue;
                        }
                    };
                    accesses.push(Access {
                        officer: o,
                        subject: s,
                        at: at.get(i).unwrap_or(0),
                        system: sys.get(i).map(RowId::from),
                        purpose: pur.get(i).map(RowId::from),
                        event_id: eid.get(i).unwrap_or_default().into(),
                    });
                }
            }
            accesses.par_sort_by(|x, y| {
                (x.officer, x.subject, x.at, &x.event_id).cmp(&(
                    y.officer,
                    y.subject,
                    y.at,
                    &y.event_id,
                ))
            });

            Ok((
                subjects,
                subject_index,
                involvement,
                cases,
                contacts,
                accesses,
                contact_unknown,
                officer_contact_unknown,
            ))
        };
        let officer_side = || -> Result<_> {
            let tables = &mut officer_tables;
            let mut missed: BTreeMap<&'static str, u64> = BTreeMap::new();
            let mut miss = |k: &'static str| *missed.entry(k).or_insert(0) += 1;
            // Shifts.
            let mut shifts: Vec<Vec<(Ts, Ts)>> = vec![Vec::new(); n];
            if let Some(s) = tables.remove(&Table::Shifts).as_ref() {
                let (oid, a, b) = (strs(s, "officer_id")?, times(s, "start")?, times(s, "end")?);
                for i in 0..s.height() {
                    match oid.get(i).and_then(|o| officer_index.get(o)) {
                        Some(&o) => {
                            shifts[o as usize].push((a.get(i).unwrap_or(0), b.get(i).unwrap_or(0)))
                        }
                        None => miss("shifts: officer not in officers"),
                    }
                }
            }
            // Quarantined shift rows: the time they may cover counts as possibly on
            // duty (never as a roster: `rostered` reads `shifts` only). An unreadable
            // end is bounded by the force's longest readable shift (at most 24 h).
            let salvaged = |t: Table| {
                hinted.iter().filter_map(move |r| match &r.hint {
                    Some(Hint::Salvage(v)) if r.table == t => Some((r, v)),
                    _ => None,
                })
            };
            let salvaged_of = |t: Table| {
                salvaged(t).filter_map(|(r, v)| {
                    let o = officer_index.get(v.officer_id.as_deref()?)?;
                    Some((*o, r, v))
                })
            };
            let longest_shift =
                longest_span(shifts.iter().flatten().map(|(a, b)| b - a), 12 * HOUR, DAY);
            let mut shifts_unknown: Vec<Vec<(Ts, Ts)>> = vec![Vec::new(); n];
            for (o, _, v) in salvaged_of(Table::Shifts) {
                shifts_unknown[o as usize].extend(salvaged_span(v.start, v.end, longest_shift));
            }
            for v in &mut shifts {
                v.sort_unstable();
            }
            for v in &mut shifts_unknown {
                v.sort_unstable();
            }

            // Deployments.
            let mut deployments: Vec<Vec<Deployment>> = vec![Vec::new(); n];
            if let Some(d) = tables.remove(&Table::Deployments).as_ref() {
                let (inc, oid) = (strs(d, "incident_id")?, strs(d, "officer_id")?);
                let (la, lo) = (floats(d, "lat")?, floats(d, "lon")?);
                let (a, b) = (times(d, "start")?, times(d, "end")?);
                for i in 0..d.height() {
                    match oid.get(i).and_then(|o| officer_index.get(o)) {
                        Some(&o) => deployments[o as usize].push(Deployment {
                            start: a.get(i).unwrap_or(0),
                            end: b.get(i).unwrap_or(0),
                            lat: la.get(i).unwrap_or(0.0),
                            lon: lo.get(i).unwrap_or(0.0),
                            incident_id: inc.get(i).unwrap_or_default().into(),
                        }),
                        None => miss("deployments: officer not in officers"),
                    }
                }
            }
            // Quarantined deployment rows: a stop they may cover is possibly deployed
            // (anywhere, when the place is unreadable).
            let longest = longest_span(
                deployments.iter().flatten().map(|d| d.end - d.start),
                4 * HOUR,
                DAY,
            );
            for (o, r, v) in salvaged_of(Table::Deployments) {
                let (lat, lon) = v.at.unwrap_or((f64::NAN, f64::NAN));
                for (start, end) in salvaged_span(v.start, v.end, longest) {
                    deployments[o as usize].push(Deployment {
                        start,
                        end,
                        lat,
                        lon,
                        incident_id: format!("quarantined ({})", r.describe()).as_str().into(),
                    });
                }
            }
            for v in &mut deployments {
                v.sort_by(|x, y| (x.start, &x.incident_id).cmp(&(y.start, &y.incident_id)));
            }
            let longest_deployment = deployments
                .iter()
                .map(|v| v.iter().map(|d| d.end - d.start).max().unwrap_or(0))
                .collect();

            // Stops → officer.
            let mut assignments: HashMap<String, Vec<(Ts, Ts, u32)>> = HashMap::default();
            if let Some(v) = tables.remove(&Table::VehicleAssignments).as_ref() {
                let (vid, oid) = (strs(v, "vehicle_id")?, strs(v, "officer_id")?);
                let (a, b) = (times(v, "valid_from")?, times(v, "valid_to")?);
                for i in 0..v.height() {
                    if let (Some(vh), Some(&o)) =
                        (vid.get(i), oid.get(i).and_then(|o| officer_index.get(o)))
                    {
                        assignments.entry(vh.to_string()).or_default().push((
                            a.get(i).unwrap_or(i64::MIN),
                            b.get(i).unwrap_or(i64::MAX),
                            o,
                        ));
                    }
                }
            }
            // Quarantined assignment rows: whoever they name, the vehicle may have had
            // another officer then, so a stop without an officer_id in that time is
            // nobody's rather than possibly the wrong officer's.
            let longest = longest_span(
                assignments
                    .values()
                    .flatten()
                    .filter(|(a, b, _)| *a > i64::MIN && *b < i64::MAX)
                    .map(|(a, b, _)| b - a),
                12 * HOUR,
                7 * DAY,
            );
            for (_, v) in salvaged(Table::VehicleAssignments) {
                let Some(vh) = v.vehicle_id.as_deref() else {
                    continue;
                };
                let spans = match (v.start, v.end, v.end_blank) {
                    (Some(a), None, true) => vec![(a, i64::MAX)],
                    (a, b, _) => salvaged_span(a, b, longest),
                };
                for (a, b) in spans {
                    assignments
                        .entry(vh.to_string())
                        .or_default()
                        .push((a, b, QUARANTINED));
                }
            }
            for v in assignments.values_mut() {
                v.sort_unstable();
            }

            // Complaints.
            let mut complaints: Vec<Vec<Complaint>> = vec![Vec::new(); n];
            if let Some(c) = tables.remove(&Table::Complaints).as_ref() {
                let (oid, cat, at) = (
                    strs(c, "officer_id")?,
                    strs(c, "category")?,
                    times(c, "received_at")?,
                );
                for i in 0..c.height() {
                    match oid.get(i).and_then(|o| officer_index.get(o)) {
                        Some(&o) => complaints[o as usize].push(Complaint {
                            at: at.get(i).unwrap_or(0),
                            category: cat.get(i).map(String::from),
                            row: row_ref(c, i)?,
                        }),
                        None => miss("complaints: officer not in officers"),
                    }
                }
            }
            for v in &mut complaints {
                v.sort_by(|a, b| (a.at, &a.row).cmp(&(b.at, &b.row)));
            }

            Ok((
                shifts,
                shifts_unknown,
                deployments,
                longest_deployment,
                assignments,
                complaints,
                missed,
            ))
        };
        let (subject_side, officer_side) = rayon::join(subject_side, officer_side);
        let (
            subjects,
            subject_index,
            involvement,
            cases,
            contacts,
            accesses,
            contact_unknown,
            officer_contact_unknown,
        ) = subject_side?;
        let (
            shifts,
            shifts_unknown,
            deployments,
            longest_deployment,
            assignments,
            complaints,
            officer_missed,
        ) = officer_side?;
        for (k, v) in officer_missed {
            *missed.entry(k).or_insert(0) += v;
        }
        // Stops are linked in parallel themselves; after the two sides (their memory
        // peaks do not add up).
        let mut stops = Vec::new();
        if let Some(s) = tables.remove(&Table::Stops).as_ref() {
            let (sid, vid, oid) = (
                strs(s, "stop_id")?,
                strs(s, "vehicle_id")?,
                strs(s, "officer_id")?,
            );
            let (la, lo) = (floats(s, "lat")?, floats(s, "lon")?);
            let (a, b) = (times(s, "arrived_at")?, times(s, "departed_at")?);
            // Each stop is linked on its own: in parallel, reasons counted after.
            let linked: Vec<std::result::Result<Stop, &'static str>> = (0..s.height())
                .into_par_iter()
                .map(|i| {
                    let t = a.get(i).unwrap_or(0);
                    let (o, by_assignment) = match oid.get(i) {
                        Some(o) => match officer_index.get(o) {
                            Some(&o) => (o, false),
                            None => return Err("stops: officer not in officers"),
                        },
                        None => {
                            // The officers the vehicle was assigned to at arrival. One:
                            // the stop is theirs. Several (a double-crewed car,
                            // overlapping shifts): whose stop it was is unknown, so it is
                            // nobody's rather than the wrong officer's (counted in the
                            // manifest).
                            let mut found: Vec<u32> = vid.get(i)
                                .and_then(|v| assignments.get(v))
                                .map(|v| {
                                    let k = v.partition_point(|(from, _, _)| *from <= t);
                                    v[..k]
                                        .iter()
                                        .filter(|(_, to, _)| t <= *to)
                                        .map(|x| x.2)
                                        .collect()
                                })
                                .unwrap_or_default();
                            found.sort_unstable();
                            found.dedup();
                            if found.last() == Some(&QUARANTINED) {
                                return Err(
                                    "stops: no officer logged on, a vehicle assignment at that time was quarantined",
                                );
                            }
                            match found.as_slice() {
                                [o] => (*o, true),
                                [] => {
                                    return Err(
                                        "stops: no officer logged on and no vehicle assignment",
                                    )
                                }
                                _ => return Err(
                                    "stops: no officer logged on, vehicle assigned to several officers",
                                ),
                            }
                        }
                    };
                    Ok(Stop {
                        officer: o,
                        at: t,
                        until: b.get(i).unwrap_or(t),
                        lat: la.get(i).unwrap_or(0.0),
                        lon: lo.get(i).unwrap_or(0.0),
                        stop_id: sid.get(i).unwrap_or_default().into(),
                        by_assignment,
                    })
                })
                .collect();
            stops.reserve(linked.len());
            for r in linked {
                match r {
                    Ok(stop) => stops.push(stop),
                    Err(why) => *missed.entry(why).or_insert(0) += 1,
                }
            }
        }
        stops.par_sort_by(|x, y| (x.officer, x.at, &x.stop_id).cmp(&(y.officer, y.at, &y.stop_id)));
        let unlinked: Unlinked = missed
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        let involvement_unknown =
            involvement_unknown(hinted, &officer_index, &subject_index, &subjects);
        Ok(Linked {
            officers,
            officer_index,
            subjects,
            subject_index,
            shifts,
            shifts_unknown,
            deployments,
            longest_deployment,
            involvement,
            cases,
            involvement_unknown,
            contact_unknown,
            officer_contact_unknown,
            contacts,
            stops,
            accesses,
            complaints,
            present,
            unlinked,
            timezone,
            dataset: manifest.dataset.clone(),
        })
    }

    /// Frees the events and the facts about them (contacts, stops, accesses, shifts,
    /// deployments, involvements, cases, complaints), keeping the officers, subjects,
    /// presence flags and counts: all that the outputs and explanations of a scored run
    /// need (its findings carry their own evidence).
    pub fn release_events(&mut self) {
        self.contacts = Vec::new();
        self.stops = Vec::new();
        self.accesses = Vec::new();
        self.shifts = Vec::new();
        self.shifts_unknown = Vec::new();
        self.deployments = Vec::new();
        self.longest_deployment = Vec::new();
        self.involvement = HashMap::default();
        self.cases = CaseWindows::default();
        self.complaints = Vec::new();
    }

    /// Whether officer `o` was on a rostered shift at `t`.
    /// Officer `o` has a roster in `window` (a shift overlapping it): only then can an
    /// event be said to be off duty. One test for the signs, the evidence and the
    /// drill-downs.
    pub fn rostered(&self, o: u32, window: (Ts, Ts)) -> bool {
        self.present.shifts
            && self.shifts[o as usize]
                .iter()
                .any(|(a, b)| *b > window.0 && *a <= window.1)
    }

    /// Whether officer `o` was (or, by a quarantined shift row, may have been) on a
    /// rostered shift at `t`: a broken roster row must not make work look off duty.
    pub fn on_duty(&self, o: u32, t: Ts) -> bool {
        let s = &self.shifts[o as usize];
        let k = s.partition_point(|(a, _)| *a <= t);
        s[..k].iter().rev().take(4).any(|(_, b)| t <= *b)
            || self
                .shifts_unknown
                .get(o as usize)
                .is_some_and(|u| u.iter().any(|(a, b)| *a <= t && t <= *b))
    }

    /// The involvements of officer `o` with subject `s`.
    pub fn involvements(&self, o: u32, s: u32) -> &[Involvement] {
        self.involvement
            .get(&(o, s))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Whether officer `o` was involved with subject `s` at `t`.
    pub fn involved(&self, o: u32, s: u32, t: Ts) -> bool {
        self.involvements(o, s).iter().any(|i| i.covers(t))
    }

    /// Whether `purpose` names a case on which officer `o` was involved at `t`.
    pub fn purpose_holds(&self, o: u32, purpose: &str, t: Ts) -> bool {
        self.cases
            .get(&(o, purpose.trim().to_string()))
            .is_some_and(|w| w.iter().any(|(a, e)| *a <= t && e.is_none_or(|e| t <= e)))
    }

    /// A deployment of officer `o` within `radius` metres of `p` overlapping [a, b].
    pub fn deployment_near(
        &self,
        o: u32,
        p: (f64, f64),
        a: Ts,
        b: Ts,
        radius: f64,
    ) -> Option<&Deployment> {
        let v = &self.deployments[o as usize];
        let k = v.partition_point(|d| d.start <= b);
        let earliest = a - self.longest_deployment[o as usize];
        v[..k]
            .iter()
            .rev()
            .take_while(|d| d.start >= earliest)
            // A quarantined deployment whose place is unreadable (NaN) covers any place.
            .find(|d| d.end >= a && (d.lat.is_nan() || haversine_m(p, (d.lat, d.lon)) <= radius))
    }

    /// Local hour of `t` in the dataset's time zone.
    pub fn local_hour(&self, t: Ts) -> u32 {
        use chrono::Timelike;
        self.timezone
            .timestamp_micros(t)
            .single()
            .map(|d| d.hour())
            .unwrap_or(0)
    }

    /// The latest event time in the data (the default reference time).
    pub fn latest_event(&self) -> Option<Ts> {
        let c = self.contacts.iter().map(|c| c.at).max();
        let s = self.stops.iter().map(|s| s.at).max();
        let a = self.accesses.iter().map(|a| a.at).max();
        [c, s, a].into_iter().flatten().max()
    }
}

/// Great-circle distance in metres.
pub fn haversine_m((lat1, lon1): (f64, f64), (lat2, lon2): (f64, f64)) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let (dp, dl) = ((lat2 - lat1).to_radians(), (lon2 - lon1).to_radians());
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * a.sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn haversine_matches_known_distances() {
        // One degree of latitude is ~111.2 km; 0.001 degree ~ 111 m.
        let d = haversine_m((52.0, -1.0), (52.001, -1.0));
        assert!((d - 111.19).abs() < 0.1, "{d}");
        let d = haversine_m((51.5007, -0.1246), (48.8584, 2.2945)); // Big Ben - Eiffel
        assert!((d / 1000.0 - 340.6).abs() < 1.0, "{d}");
    }

    #[test]
    fn young_person_is_under_eighteen_at_the_time() {
        let p = Person {
            dob: Some(10_000),
            ..Default::default()
        };
        let birth = 10_000 * DAY;
        assert!(p.young_at(birth + 17 * 365 * DAY));
        assert!(!p.young_at(birth + 18 * 366 * DAY));
    }
}
