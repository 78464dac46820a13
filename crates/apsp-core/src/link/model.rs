//! What linking makes: officers and subjects with typed indices, the events tied to
//! them (contacts, stops, accesses) and the facts that explain events (involvements,
//! shifts, deployments, complaints).

use std::collections::BTreeMap;
use std::ops::{Index, IndexMut};
use std::sync::Arc;

use polars::prelude::PlSmallStr;
use rustc_hash::FxHashMap as HashMap;

/// A source row's id (record, stop, event, incident): held inline up to 24 bytes, so
/// millions of linked events cost no allocation each (nor a free when released).
pub type RowId = PlSmallStr;

/// UTC microseconds.
pub type Ts = i64;
pub const MINUTE: Ts = 60_000_000;
pub const HOUR: Ts = 60 * MINUTE;
pub const DAY: Ts = 24 * HOUR;

/// An officer's position in [`super::Linked::officers`] (the officers table's order).
/// A type of its own, so an officer can never be passed where a subject is meant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OfficerIx(pub u32);

/// A subject's position in [`super::Linked::subjects`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SubjectIx(pub u32);

impl OfficerIx {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl SubjectIx {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl Index<OfficerIx> for Vec<Officer> {
    type Output = Officer;
    fn index(&self, o: OfficerIx) -> &Officer {
        &self[o.index()]
    }
}

impl Index<SubjectIx> for Vec<Subject> {
    type Output = Subject;
    fn index(&self, s: SubjectIx) -> &Subject {
        &self[s.index()]
    }
}

/// One value per officer, indexed by [`OfficerIx`].
#[derive(Debug, Clone, PartialEq)]
pub struct PerOfficer<T>(pub Vec<T>);

impl<T> Default for PerOfficer<T> {
    fn default() -> Self {
        PerOfficer(Vec::new())
    }
}

impl<T: Clone + Default> PerOfficer<T> {
    /// `n` officers' default values.
    pub fn new(n: usize) -> Self {
        PerOfficer(vec![T::default(); n])
    }
}

impl<T> PerOfficer<T> {
    pub fn get(&self, o: OfficerIx) -> Option<&T> {
        self.0.get(o.index())
    }

    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.0.iter()
    }

    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, T> {
        self.0.iter_mut()
    }
}

impl<T> Index<OfficerIx> for PerOfficer<T> {
    type Output = T;
    fn index(&self, o: OfficerIx) -> &T {
        &self.0[o.index()]
    }
}

impl<T> IndexMut<OfficerIx> for PerOfficer<T> {
    fn index_mut(&mut self, o: OfficerIx) -> &mut T {
        &mut self.0[o.index()]
    }
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
    /// The person's row in `persons` (the evidence of `vulnerable_subject`).
    pub source: Option<SourceRow>,
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

/// Where an input row is: the index of its file in [`super::Linked::source_files`]
/// (the manifest's inputs, in order) and its line (CSV; header = 1) or 1-based row
/// number (Parquet): what a reader opens to check a warning sign against its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SourceRow {
    pub file: u32,
    pub line: u32,
}

/// A call or message between an officer's device and a subject.
#[derive(Debug, Clone)]
pub struct Contact {
    pub officer: OfficerIx,
    pub subject: SubjectIx,
    pub at: Ts,
    /// Made by the officer (`direction = out`).
    pub outgoing: bool,
    /// A call (else a message).
    pub call: bool,
    pub duration: Option<i64>,
    pub record_id: RowId,
    pub source: SourceRow,
}

impl Contact {
    /// A call known to have lasted at most `secs` seconds (unanswered or voicemail); a
    /// call without a duration (a carrier that sends none) is not known to be short.
    pub fn short_call(&self, secs: i64) -> bool {
        self.call && self.duration.is_some_and(|d| d <= secs)
    }

    /// Contact the officer made, or took part in: every outgoing event, and incoming
    /// calls that lasted more than `unanswered_s` seconds (a shorter or undurated
    /// incoming call is the subject's attempt). The cut-off is the matrix's
    /// `unanswered_persistence.short_seconds`: one definition of an unanswered call.
    pub fn engaged(&self, unanswered_s: i64) -> bool {
        self.outgoing || !self.call || self.duration.unwrap_or(0) > unanswered_s
    }
}

/// What shows an officer working off the roster (see `Linked::working`).
#[derive(Debug, Clone, Copy)]
pub struct WorkEvidence {
    /// How near a stop, deployment or case contact must be.
    pub margin: Ts,
    /// How many other subjects of his cases he must contact within it.
    pub case_subjects: usize,
}

/// A contact of an officer with a subject of his cases (involved then).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct CaseWork {
    pub at: Ts,
    pub subject: SubjectIx,
}

/// A vehicle stop attributed to an officer.
#[derive(Debug, Clone)]
pub struct Stop {
    pub officer: OfficerIx,
    pub at: Ts,
    pub until: Ts,
    pub lat: f64,
    pub lon: f64,
    pub stop_id: RowId,
    pub source: SourceRow,
    /// Attributed through the vehicle's assignment (no MDT log-on).
    pub by_assignment: bool,
}

/// A police-system access to a subject's record.
#[derive(Debug, Clone)]
pub struct Access {
    pub officer: OfficerIx,
    pub subject: SubjectIx,
    pub at: Ts,
    pub system: Option<RowId>,
    pub purpose: Option<RowId>,
    pub event_id: RowId,
    pub source: SourceRow,
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
    /// For an open involvement (no end): when it stops explaining events (see
    /// [`super::Linked::lapse_open_cases`]); `None` = never.
    pub lapse: Option<Ts>,
}

impl Involvement {
    /// Whether the involvement explains an event at `t`: from opened to its end, or, for
    /// one left open, to its lapse.
    pub fn covers(&self, t: Ts) -> bool {
        self.opened <= t
            && match self.end {
                Some(e) => t <= e,
                None => self.lapse.is_none_or(|l| t <= l),
            }
    }
}

/// A span of time [start, end] (a shift, or what a quarantined row may cover).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Span {
    pub start: Ts,
    pub end: Ts,
}

impl Span {
    pub fn covers(&self, t: Ts) -> bool {
        self.start <= t && t <= self.end
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
    pub source: SourceRow,
}

/// A quarantined billing row that may record a contact of a pair.
#[derive(Debug, Clone)]
pub struct UnknownContact {
    /// When, if its started_at could be read.
    pub at: Option<Ts>,
    /// "FILE line N: REASON in COLUMN".
    pub row: Arc<str>,
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

/// An involvement window of an officer on a case: from `opened` to `end` (open when
/// `None`).
#[derive(Debug, Clone, Copy)]
pub struct CaseWindow {
    pub opened: Ts,
    pub end: Option<Ts>,
    /// As [`Involvement::lapse`].
    pub lapse: Option<Ts>,
}

/// What a record access's purpose reference says about the officer's cases (see
/// [`crate::link::Linked::purpose_fit`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PurposeFit {
    /// A case he was involved in at the time of the access.
    During,
    /// A case of his, but the access falls `gap` before it opened (`after` false) or
    /// after his involvement in it ended (`after` true); within the `grace` it is still
    /// the job (a court result, a crime recorded after the first check).
    Near { gap: Ts, after: bool, grace: Ts },
    /// A case he was never involved in (or no such case).
    NotHis,
}

impl PurposeFit {
    /// The reference gives a policing purpose of his: during his case, or within the
    /// grace around it.
    pub fn holds(self) -> bool {
        match self {
            PurposeFit::During => true,
            PurposeFit::Near { gap, grace, .. } => gap <= grace,
            PurposeFit::NotHis => false,
        }
    }
}

/// (officer, case id) → the officer's involvement windows on that case.
pub type CaseWindows = HashMap<(OfficerIx, String), Vec<CaseWindow>>;

/// Rows of event tables that could not be tied to an officer or subject, by reason
/// (reported in the manifest; never silently dropped).
pub type Unlinked = BTreeMap<String, u64>;

/// Counts of rows that link to nothing, by reason while linking (a reason is a
/// literal: counting one allocates nothing).
#[derive(Debug, Default)]
pub struct Misses(BTreeMap<&'static str, u64>);

impl Misses {
    pub fn add(&mut self, why: &'static str) {
        *self.0.entry(why).or_insert(0) += 1;
    }

    pub fn merge(&mut self, other: Misses) {
        for (k, v) in other.0 {
            *self.0.entry(k).or_insert(0) += v;
        }
    }

    pub fn into_unlinked(self) -> Unlinked {
        self.0
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect()
    }
}
