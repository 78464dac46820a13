//! Who is who: the canonical tables joined into one picture the warning signs read.
//!
//! Linking runs in two sides that read nothing the other makes, side by side:
//! - the subject side ([`subjects`], [`involvement`], [`billing`], [`accesses`]):
//!   persons and their numbers; involvement windows from `case_links`; billing rows →
//!   (officer, subject) contacts; record accesses → (officer, subject);
//! - the officer side ([`roster`], [`stops`] assignments, [`officers`] complaints):
//!   shifts, deployments, vehicle assignments, complaints;
//!
//! then stops (they need the vehicle assignments). What quarantined rows leave unknown
//! is in [`quarantined`] (and in `involvement` and `billing` for their tables).
//!
//! Every linked event keeps the id of its source row, so a score can be explained down
//! to the billing lines, stops and audit events behind it. Rows that link to nothing
//! are counted by reason ([`Unlinked`]), never dropped silently.

mod accesses;
pub mod aliases;
mod billing;
mod columns;
pub mod geo;
mod involvement;
pub mod model;
mod officers;
mod quarantined;
mod roster;
mod stops;
mod subjects;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::TimeZone as _;
use polars::prelude::DataFrame;
use rustc_hash::FxHashMap as HashMap;

use columns::Sources;
pub use geo::haversine_m;
pub use model::*;

use crate::error::{ApspError, Result};
use crate::ingest::manifest::Manifest;
use crate::ingest::{Dataset, QuarantineRow, Table};
use billing::{ContactsUnknown, Devices};
use involvement::Involvements;
use officers::OfficerBook;
use roster::{Deployments, Roster};
use subjects::SubjectBook;

/// The linked dataset.
pub struct Linked {
    pub officers: Vec<Officer>,
    pub officer_index: HashMap<String, OfficerIx>,
    pub subjects: Vec<Subject>,
    pub subject_index: HashMap<String, SubjectIx>,
    /// A person's number (from `person_numbers`, E.164) → the person (the first
    /// listed): contact through it is contact with the person.
    pub number_person: HashMap<String, SubjectIx>,
    /// Per officer, sorted by start.
    pub shifts: PerOfficer<Vec<Span>>,
    /// Per officer, sorted: the time quarantined shift rows may cover (possibly on
    /// duty; not a roster).
    pub shifts_unknown: PerOfficer<Vec<Span>>,
    /// Per officer, sorted by start.
    pub deployments: PerOfficer<Vec<Deployment>>,
    /// Per officer, sorted: his contacts with subjects of his cases (see
    /// [`Self::index_case_work`]; empty until indexed).
    pub case_work: PerOfficer<Vec<CaseWork>>,
    /// Longest shift per officer (for the shifts covering a time).
    pub longest_shift: PerOfficer<Ts>,
    /// The first and last shift starts of the whole shifts export.
    pub roster_span: Option<Span>,
    /// Longest deployment per officer (for overlap searches).
    pub longest_deployment: PerOfficer<Ts>,
    /// (officer, subject) → involvements, sorted by opened.
    pub involvement: HashMap<(OfficerIx, SubjectIx), Vec<Involvement>>,
    /// (officer, case id) → involvement windows (for purpose references).
    pub cases: CaseWindows,
    /// (officer, subject) → why their involvement is unknown: a quarantined
    /// `case_links` row names them both.
    pub involvement_unknown: HashMap<(OfficerIx, SubjectIx), Arc<str>>,
    /// (officer, subject) → quarantined billing rows that may record a contact
    /// between them, by file and line.
    pub contact_unknown: HashMap<(OfficerIx, SubjectIx), Vec<UnknownContact>>,
    /// officer → quarantined billing rows of the officer's device whose other party
    /// is unreadable (time known), by file and line.
    pub officer_contact_unknown: HashMap<OfficerIx, Vec<UnknownContact>>,
    /// Sorted by (officer, subject, at, record id).
    pub contacts: Vec<Contact>,
    /// Sorted by (officer, at, stop id).
    pub stops: Vec<Stop>,
    /// Sorted by (officer, subject, at, event id).
    pub accesses: Vec<Access>,
    /// Per officer, sorted.
    pub complaints: PerOfficer<Vec<Complaint>>,
    pub present: Present,
    pub unlinked: Unlinked,
    /// Person records joined as one person or household (see [`aliases`]).
    pub aliases: aliases::AliasCounts,
    pub timezone: chrono_tz::Tz,
    /// The dataset's folder (for messages).
    pub dataset: String,
    /// The input files, in the manifest's order: what a [`SourceRow`]'s `file` indexes.
    pub source_files: Vec<String>,
}

/// What the subject side links.
struct SubjectSide {
    book: SubjectBook,
    involvements: Involvements,
    aliases: aliases::AliasCounts,
    contacts: Vec<Contact>,
    contacts_unknown: ContactsUnknown,
    accesses: Vec<Access>,
    misses: Misses,
}

/// What the officer side links.
struct OfficerSide {
    roster: Roster,
    deployments: Deployments,
    assignments: stops::Assignments,
    complaints: PerOfficer<Vec<Complaint>>,
    misses: Misses,
}

/// The linking inputs: the tables, each taken (and so freed) once linked.
struct Tables(BTreeMap<Table, DataFrame>);

impl Tables {
    fn take(&mut self, t: Table) -> Option<DataFrame> {
        self.0.remove(&t)
    }

    /// The tables the officer side reads, taken out of `self`.
    fn split_officer_side(&mut self) -> Tables {
        let officer_side = [
            Table::Shifts,
            Table::Deployments,
            Table::VehicleAssignments,
            Table::Complaints,
        ];
        Tables(
            officer_side
                .into_iter()
                .filter_map(|t| self.take(t).map(|d| (t, d)))
                .collect(),
        )
    }

    fn present(&self) -> Present {
        let has = |t: Table| self.0.contains_key(&t);
        Present {
            billing: has(Table::Billing),
            devices: has(Table::Devices),
            stops: has(Table::Stops),
            access_log: has(Table::AccessLog),
            case_links: has(Table::CaseLinks),
            shifts: has(Table::Shifts),
            persons: has(Table::Persons),
            addresses: self.0.get(&Table::Persons).is_some_and(|p| {
                p.column("address_lat")
                    .is_ok_and(|c| c.null_count() < p.height())
            }),
            deployments: has(Table::Deployments),
            complaints: has(Table::Complaints),
        }
    }
}

/// `t` as local time in `tz` with its offset, to the second
/// (`2026-07-01 22:30:00 +01:00`): how a time is shown to a reviewer — the force's
/// clock, as the data and the night hours are read — while the outputs' timestamp
/// columns stay UTC instants.
pub fn local_time(tz: chrono_tz::Tz, t: Ts) -> String {
    use chrono::{Datelike, Offset, Timelike};
    use std::fmt::Write as _;
    let Some(utc) = chrono::DateTime::from_timestamp_micros(t) else {
        return t.to_string();
    };
    // Written by hand: an evidence output holds a row per source row (strftime parses
    // its pattern for each).
    let offset = tz
        .offset_from_utc_datetime(&utc.naive_utc())
        .fix()
        .local_minus_utc();
    let l = utc.naive_utc() + chrono::Duration::seconds(i64::from(offset));
    let (sign, a) = if offset < 0 {
        ('-', -offset)
    } else {
        ('+', offset)
    };
    let mut s = String::with_capacity(26);
    let _ = write!(
        s,
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} {sign}{:02}:{:02}",
        l.year(),
        l.month(),
        l.day(),
        l.hour(),
        l.minute(),
        l.second(),
        a / 3600,
        a % 3600 / 60
    );
    s
}

/// The dataset's time zone: the one its naive times were read in.
fn dataset_timezone(manifest: &Manifest) -> Result<chrono_tz::Tz> {
    let zone = &manifest.settings.timezone;
    zone.parse()
        .map_err(|e: chrono_tz::ParseError| ApspError::Setting {
            name: "timezone",
            value: zone.clone(),
            message: e.to_string(),
        })
}

/// Persons, numbers, involvement, contacts and accesses, in this order (subjects are
/// interned in file order, so their indices do not depend on threads).
fn link_subject_side(
    tables: &mut Tables,
    officers: &OfficerBook,
    quarantined: &[QuarantineRow],
    sources: &Sources,
) -> Result<SubjectSide> {
    let mut misses = Misses::default();
    let mut book = SubjectBook::default();
    if let Some(p) = tables.take(Table::Persons) {
        book.add_persons(&p, sources)?;
    }
    if let Some(pn) = tables.take(Table::PersonNumbers) {
        book.add_person_numbers(&pn)?;
    }
    let devices = match tables.take(Table::Devices) {
        Some(d) => Devices::read(&d, officers, &mut misses)?,
        None => Devices::default(),
    };
    let mut involvements = match tables.take(Table::CaseLinks) {
        Some(c) => involvement::link_case_links(&c, officers, &mut book, &mut misses)?,
        None => Involvements::default(),
    };
    let aliases = aliases::share_involvements(&book, &mut involvements);
    let contacts = match tables.take(Table::Billing) {
        Some(b) => billing::link_billing(&b, &devices, &mut book, &mut misses, sources)?,
        None => Vec::new(),
    };
    let contacts_unknown = billing::contacts_unknown(quarantined, &devices, &book);
    let accesses = match tables.take(Table::AccessLog) {
        Some(a) => accesses::link_access_log(&a, officers, &mut book, &mut misses, sources)?,
        None => Vec::new(),
    };
    Ok(SubjectSide {
        book,
        involvements,
        aliases,
        contacts,
        contacts_unknown,
        accesses,
        misses,
    })
}

/// Shifts, deployments, vehicle assignments and complaints.
fn link_officer_side(
    mut tables: Tables,
    officers: &OfficerBook,
    quarantined: &[QuarantineRow],
    sources: &Sources,
) -> Result<OfficerSide> {
    let mut misses = Misses::default();
    let shifts = tables.take(Table::Shifts);
    let roster = roster::link_shifts(shifts.as_ref(), quarantined, officers, &mut misses)?;
    drop(shifts);
    let deployments = tables.take(Table::Deployments);
    let deployments =
        roster::link_deployments(deployments.as_ref(), quarantined, officers, &mut misses)?;
    let assignments = tables.take(Table::VehicleAssignments);
    let assignments = stops::Assignments::link(assignments.as_ref(), quarantined, officers)?;
    let complaints = tables.take(Table::Complaints);
    let complaints =
        officers::link_complaints(complaints.as_ref(), officers, &mut misses, sources)?;
    Ok(OfficerSide {
        roster,
        deployments,
        assignments,
        complaints,
        misses,
    })
}

impl Linked {
    /// Links a dataset.
    pub fn build(ds: &Dataset) -> Result<Linked> {
        Linked::link(Tables(ds.tables.clone()), &ds.manifest, &ds.hinted)
    }

    /// Links a dataset like [`Linked::build`], freeing each table once it is linked (the
    /// dataset keeps its quarantine and manifest): the peak memory of a large force is
    /// then the larger of the two, not their sum.
    pub fn build_releasing(ds: &mut Dataset) -> Result<Linked> {
        let tables = Tables(std::mem::take(&mut ds.tables));
        Linked::link(tables, &ds.manifest, &ds.hinted)
    }

    /// Links `tables`, each dropped once linked (a frame clone shares its buffers, so
    /// [`Linked::build`]'s copies free nothing). `quarantined` holds the quarantined
    /// rows that may explain events.
    fn link(
        mut tables: Tables,
        manifest: &Manifest,
        quarantined: &[QuarantineRow],
    ) -> Result<Linked> {
        let timezone = dataset_timezone(manifest)?;
        let source_files: Vec<String> = manifest.inputs.iter().map(|f| f.file.clone()).collect();
        let sources = Sources::new(&source_files);
        let officers_table = tables
            .take(Table::Officers)
            .ok_or_else(|| ApspError::Dataset {
                dir: manifest.dataset.clone().into(),
                message: "no officers table".into(),
            })?;
        let officers = OfficerBook::read(&officers_table)?;
        drop(officers_table);
        let present = tables.present();
        let officer_tables = tables.split_officer_side();
        let (subject_side, officer_side) = rayon::join(
            || link_subject_side(&mut tables, &officers, quarantined, &sources),
            || link_officer_side(officer_tables, &officers, quarantined, &sources),
        );
        let (subject_side, officer_side) = (subject_side?, officer_side?);
        let mut misses = subject_side.misses;
        misses.merge(officer_side.misses);
        // Stops after the two sides (their memory peaks do not add up).
        let stops = match tables.take(Table::Stops) {
            Some(s) => stops::link_stops(
                &s,
                &officers,
                &officer_side.assignments,
                &mut misses,
                &sources,
            )?,
            None => Vec::new(),
        };
        let book = subject_side.book;
        let involvement_unknown = involvement::involvement_unknown(quarantined, &officers, &book);
        Ok(Linked {
            officers: officers.officers,
            officer_index: officers.index,
            subjects: book.subjects,
            subject_index: book.index,
            number_person: book.number_person,
            roster_span: roster_span(&officer_side.roster.shifts),
            shifts: officer_side.roster.shifts,
            shifts_unknown: officer_side.roster.shifts_unknown,
            longest_shift: officer_side.roster.longest,
            case_work: PerOfficer::default(),
            deployments: officer_side.deployments.by_officer,
            longest_deployment: officer_side.deployments.longest,
            involvement: subject_side.involvements.by_pair,
            cases: subject_side.involvements.cases,
            involvement_unknown,
            contact_unknown: subject_side.contacts_unknown.by_pair,
            officer_contact_unknown: subject_side.contacts_unknown.by_officer,
            contacts: subject_side.contacts,
            stops,
            accesses: subject_side.accesses,
            complaints: officer_side.complaints,
            present,
            unlinked: misses.into_unlinked(),
            aliases: subject_side.aliases,
            timezone,
            dataset: manifest.dataset.clone(),
            source_files,
        })
    }

    /// An involvement left open (no `closed_at`, no `officer_until`) stops explaining
    /// events `days` after it opened: "a case is left open for years" (SIGNALS), and a
    /// link that never ends would explain every contact, stop and look-up for ever —
    /// an evasion route. It never counts as ended either (nothing after it is "after
    /// closure").
    pub fn lapse_open_cases(&mut self, days: u32) {
        let lapse = |opened: Ts| Some(opened.saturating_add(days as Ts * DAY));
        for v in self.involvement.values_mut() {
            for i in v.iter_mut().filter(|i| i.end.is_none()) {
                i.lapse = lapse(i.opened);
            }
        }
        for v in self.cases.values_mut() {
            for c in v.iter_mut().filter(|c| c.end.is_none()) {
                c.lapse = lapse(c.opened);
            }
        }
    }

    /// Frees the events and the facts about them (contacts, stops, accesses, shifts,
    /// deployments, involvements, cases, complaints), keeping the officers, subjects,
    /// presence flags and counts: all that the outputs and explanations of a scored run
    /// need (its findings carry their own evidence).
    pub fn release_events(&mut self) {
        self.contacts = Vec::new();
        self.stops = Vec::new();
        self.accesses = Vec::new();
        self.shifts = PerOfficer::default();
        self.shifts_unknown = PerOfficer::default();
        self.deployments = PerOfficer::default();
        self.longest_deployment = PerOfficer::default();
        self.longest_shift = PerOfficer::default();
        self.case_work = PerOfficer::default();
        self.involvement = HashMap::default();
        self.cases = CaseWindows::default();
        self.complaints = PerOfficer::default();
    }

    /// The roster covers officer `o` at `t`: a shift of his starts within `cover`
    /// before it (or `t` is within `cover` of the export's first shift), and one within
    /// `cover` after it (or `t` is within `cover` of the export's last). Only then can
    /// an event be said to be off duty: a shifts export covering part of the window says
    /// nothing of the rest (nor of long leave), and the days after an officer's last
    /// rostered shift, while the export goes on for others, are as unknown as those
    /// before his first. One test for the signs, the evidence and the drill-downs.
    pub fn rostered_at(&self, o: OfficerIx, t: Ts, cover: Ts) -> bool {
        let Some(span) = self.roster_span.filter(|_| self.present.shifts) else {
            return false;
        };
        let s = &self.shifts[o];
        let (from, to) = (t.saturating_sub(cover), t.saturating_add(cover));
        let i = s.partition_point(|s| s.start < from);
        let k = s.partition_point(|s| s.start <= t);
        let before = i < k;
        let after = s.get(k).is_some_and(|s| s.start <= to);
        // Before `t`: a shift of his, or the export had not begun; after: likewise.
        let seen_before = before || from < span.start;
        let seen_after = after || to > span.end;
        (before || after) && seen_before && seen_after
    }

    /// Whether officer `o` was (or, by a quarantined shift row, may have been) on a
    /// rostered shift at `t`: a broken roster row must not make work look off duty.
    /// Every shift that may cover `t` is looked at (those starting within his longest
    /// shift before it): a long shift followed by short overlapping rows (a briefing,
    /// court) still covers `t`.
    pub fn on_duty(&self, o: OfficerIx, t: Ts) -> bool {
        let s = &self.shifts[o];
        let k = s.partition_point(|s| s.start <= t);
        let earliest = t.saturating_sub(self.longest_shift[o]);
        s[..k]
            .iter()
            .rev()
            .take_while(|s| s.start >= earliest)
            .any(|s| t <= s.end)
            || self
                .shifts_unknown
                .get(o)
                .is_some_and(|u| u.iter().any(|s| s.covers(t)))
    }

    /// Indexes, per officer, the times of his contacts with subjects he was involved
    /// with then (work on his cases), for [`Self::working`].
    pub fn index_case_work(&mut self) {
        let mut work: PerOfficer<Vec<CaseWork>> = PerOfficer::new(self.officers.len());
        for c in &self.contacts {
            if self.involved(c.officer, c.subject, c.at) {
                work[c.officer].push(CaseWork {
                    at: c.at,
                    subject: c.subject,
                });
            }
        }
        for v in work.iter_mut() {
            v.sort_unstable();
        }
        self.case_work = work;
    }

    /// Whether officer `o` was working at `t` (an event with `subject`): on a rostered
    /// shift (see [`Self::on_duty`]), or, as rosters miss overtime, with his police
    /// vehicle stopped or deployed within `w.margin` of `t`, or in contact within it
    /// with at least `w.case_subjects` other subjects of his cases (telematics,
    /// dispatch and a run of calls to several of his cases show work the roster does
    /// not; one call to a victim of his is no proof of work).
    pub fn working(&self, o: OfficerIx, subject: SubjectIx, t: Ts, w: WorkEvidence) -> bool {
        if self.on_duty(o, t) {
            return true;
        }
        let margin = w.margin;
        let (from, to) = (t.saturating_sub(margin), t.saturating_add(margin));
        let work = &self.case_work[o];
        let i = work.partition_point(|c| c.at < from);
        let mut others: Vec<SubjectIx> = work[i..]
            .iter()
            .take_while(|c| c.at <= to)
            .filter(|c| c.subject != subject)
            .map(|c| c.subject)
            .collect();
        others.sort_unstable();
        others.dedup();
        if others.len() >= w.case_subjects {
            return true;
        }
        let first = self
            .stops
            .partition_point(|s| (s.officer, s.at) < (o, from));
        let stop = self
            .stops
            .get(first)
            .is_some_and(|s| s.officer == o && s.at <= to);
        stop || self
            .deployment_near(o, (0.0, 0.0), from, to, f64::INFINITY)
            .is_some()
    }

    /// The involvements of officer `o` with subject `s`.
    pub fn involvements(&self, o: OfficerIx, s: SubjectIx) -> &[Involvement] {
        self.involvement
            .get(&(o, s))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The subjects officer `o` dealt with through his work, sorted: `involved` (the
    /// subjects of his involvements at any time, from [`Self::involved_by_officer`]),
    /// and those he contacted or whose record he looked up in (from, to]. Abuse of
    /// position starts from someone met through the job.
    pub fn dealt_with(
        &self,
        o: OfficerIx,
        involved: &[SubjectIx],
        (from, to): (Ts, Ts),
    ) -> Vec<SubjectIx> {
        let in_window = |at: Ts| at > from && at <= to;
        let contacts = officer_run(&self.contacts, |c| c.officer, o)
            .iter()
            .filter(|c| in_window(c.at))
            .map(|c| c.subject);
        let accesses = officer_run(&self.accesses, |a| a.officer, o)
            .iter()
            .filter(|a| in_window(a.at))
            .map(|a| a.subject);
        let mut out: Vec<SubjectIx> = involved
            .iter()
            .copied()
            .chain(contacts)
            .chain(accesses)
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Per officer, the subjects of his involvements (at any time), for
    /// [`Self::dealt_with`]: one pass over the involvements for every officer.
    pub fn involved_by_officer(&self) -> Vec<Vec<SubjectIx>> {
        let mut out = vec![Vec::new(); self.officers.len()];
        for ((o, s), spans) in &self.involvement {
            if !spans.is_empty() {
                out[o.index()].push(*s);
            }
        }
        out
    }

    /// The contacts of officer `o` with subject `s` (all times), from the sorted list.
    pub fn pair_contacts(&self, o: OfficerIx, s: SubjectIx) -> &[Contact] {
        pair_run(&self.contacts, |c| (c.officer, c.subject), (o, s))
    }

    /// The record accesses of officer `o` to subject `s` (all times).
    pub fn pair_accesses(&self, o: OfficerIx, s: SubjectIx) -> &[Access] {
        pair_run(&self.accesses, |a| (a.officer, a.subject), (o, s))
    }

    /// Whether officer `o` and subject `s` had any contact before `t` (in the data).
    pub fn contact_before(&self, o: OfficerIx, s: SubjectIx, t: Ts) -> bool {
        self.pair_contacts(o, s).first().is_some_and(|c| c.at <= t)
    }

    /// Whether officer `o` was involved with subject `s` at `t`.
    pub fn involved(&self, o: OfficerIx, s: SubjectIx, t: Ts) -> bool {
        self.involvements(o, s).iter().any(|i| i.covers(t))
    }

    /// What `purpose` says of officer `o`'s cases at `t`: a case of his he was involved
    /// in then; one of his, and how long before it opened or after his involvement
    /// ended (the nearest of his windows on it), with `grace`; or none of his.
    pub fn purpose_fit(&self, o: OfficerIx, purpose: &str, t: Ts, grace: Ts) -> PurposeFit {
        let Some(windows) = self.cases.get(&(o, purpose.trim().to_string())) else {
            return PurposeFit::NotHis;
        };
        let gap = |c: &CaseWindow| -> (Ts, bool) {
            if t < c.opened {
                (c.opened - t, false)
            } else {
                (c.end.or(c.lapse).map_or(0, |e| (t - e).max(0)), true)
            }
        };
        match windows.iter().map(gap).min_by_key(|(g, _)| *g) {
            None => PurposeFit::NotHis,
            Some((0, _)) => PurposeFit::During,
            Some((gap, after)) => PurposeFit::Near { gap, after, grace },
        }
    }

    /// A deployment of officer `o` within `radius` metres of `p` overlapping [a, b].
    pub fn deployment_near(
        &self,
        o: OfficerIx,
        p: (f64, f64),
        a: Ts,
        b: Ts,
        radius: f64,
    ) -> Option<&Deployment> {
        let v = &self.deployments[o];
        let k = v.partition_point(|d| d.start <= b);
        let earliest = a - self.longest_deployment[o];
        v[..k]
            .iter()
            .rev()
            .take_while(|d| d.start >= earliest)
            // A quarantined deployment whose place is unreadable (NaN) covers any place.
            .find(|d| d.end >= a && (d.lat.is_nan() || haversine_m(p, (d.lat, d.lon)) <= radius))
    }

    /// The person number `nr` (E.164, or its pseudonym) is recorded for in
    /// `person_numbers` (the first listed), if any.
    pub fn person_of_number(&self, nr: &str) -> Option<&Subject> {
        self.number_person
            .get(nr)
            .map(|s| &self.subjects[s.index()])
    }

    /// `t` as local time in the dataset's zone, with the offset (see [`local_time`]).
    pub fn local_time(&self, t: Ts) -> String {
        local_time(self.timezone, t)
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

    /// The time of every event (contacts, stops, record accesses), in no order: what
    /// the default reference time is read from.
    pub fn event_times(&self) -> impl Iterator<Item = Ts> + '_ {
        let c = self.contacts.iter().map(|c| c.at);
        let s = self.stops.iter().map(|s| s.at);
        let a = self.accesses.iter().map(|a| a.at);
        c.chain(s).chain(a)
    }
}

/// The run of `v` (sorted by officer first) that is officer `o`'s.
pub(crate) fn officer_run<T>(v: &[T], officer: impl Fn(&T) -> OfficerIx, o: OfficerIx) -> &[T] {
    let from = v.partition_point(|x| officer(x) < o);
    let to = from + v[from..].partition_point(|x| officer(x) == o);
    &v[from..to]
}

/// The run of `v` (sorted by `key`) whose key is `pair`.
fn pair_run<T>(
    v: &[T],
    key: impl Fn(&T) -> (OfficerIx, SubjectIx),
    pair: (OfficerIx, SubjectIx),
) -> &[T] {
    let from = v.partition_point(|x| key(x) < pair);
    let to = from + v[from..].partition_point(|x| key(x) == pair);
    &v[from..to]
}

/// The first and last shift starts of a shifts export (a [`Span`] of starts).
fn roster_span(shifts: &PerOfficer<Vec<Span>>) -> Option<Span> {
    let starts = shifts.iter().flat_map(|v| v.iter().map(|s| s.start));
    let (lo, hi) = starts.fold((Ts::MAX, Ts::MIN), |(lo, hi), t| (lo.min(t), hi.max(t)));
    (lo <= hi).then_some(Span { start: lo, end: hi })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_time_is_the_zone_s_clock_with_its_offset() {
        let at = |s: &str| {
            chrono::DateTime::parse_from_rfc3339(s)
                .unwrap()
                .timestamp_micros()
        };
        let london = chrono_tz::Europe::London;
        let cases = [
            (london, "2026-07-01T21:30:00Z", "2026-07-01 22:30:00 +01:00"),
            (london, "2026-01-14T20:00:59Z", "2026-01-14 20:00:59 +00:00"),
            // The hour the clocks go back: the same wall time twice, told apart.
            (london, "2026-10-25T00:30:00Z", "2026-10-25 01:30:00 +01:00"),
            (london, "2026-10-25T01:30:00Z", "2026-10-25 01:30:00 +00:00"),
            (
                chrono_tz::America::St_Johns,
                "2026-01-01T02:00:00Z",
                "2025-12-31 22:30:00 -03:30",
            ),
            (
                chrono_tz::Asia::Kolkata,
                "2026-01-01T00:00:00Z",
                "2026-01-01 05:30:00 +05:30",
            ),
        ];
        for (tz, utc, local) in cases {
            assert_eq!(local_time(tz, at(utc)), local, "{utc} in {tz}");
            let by_chrono = chrono::DateTime::from_timestamp_micros(at(utc))
                .unwrap()
                .with_timezone(&tz)
                .format("%Y-%m-%d %H:%M:%S %:z")
                .to_string();
            assert_eq!(local, by_chrono);
        }
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
