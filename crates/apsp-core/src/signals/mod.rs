//! The twelve warning signs (see `docs/signals.md`), one module each, named by its id
//! ([`crate::sign::Sign`]).
//!
//! A pair sign is a pure function of a [`PairView`] (one officer × one subject, their
//! linked events inside the analysis window, and the risk matrix) returning a
//! [`Finding`]: the measured value, the threshold, the window, a status — `fired`,
//! `not_fired`, or `not_evaluated` when its inputs are absent (never conflated) — and the
//! source rows behind it. Officer-level signs (`multiple_subjects`,
//! `repeat_complaints`) read the officer's scored pairs and complaints.

pub mod access_then_contact;
pub mod access_without_purpose;
pub mod after_closure;
pub mod contact_volume;
pub mod escalation;
pub mod multiple_subjects;
pub mod night_contact;
pub mod off_duty_contact;
pub mod repeat_complaints;
pub mod stop_near_home;
pub mod unanswered_persistence;
pub mod vulnerable_subject;

use std::sync::Arc;

use crate::link::{
    Access, Contact, Involvement, Linked, OfficerIx, PurposeFit, Stop, SubjectIx, Ts,
};
use crate::matrix::RiskMatrix;
use crate::place::verdict::PlaceVerdict;
use crate::sign::Sign;

/// Whether a sign was found, not found, or could not be looked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Fired,
    NotFired,
    /// Its inputs are absent: "not looked at", never "no evidence".
    NotEvaluated,
}

impl Status {
    /// `Fired` or `NotFired`.
    pub fn of(fired: bool) -> Status {
        if fired {
            Status::Fired
        } else {
            Status::NotFired
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Fired => "fired",
            Status::NotFired => "not_fired",
            Status::NotEvaluated => "not_evaluated",
        }
    }
}

/// One source row behind a sign.
#[derive(Debug, Clone)]
pub struct Evidence {
    /// `billing`, `stops`, `access_log`, `case_links`, `complaints`.
    pub table: &'static str,
    /// The row's id (`record_id`, `stop_id`, `event_id`, `case_id`, or `file:line`).
    pub row_id: crate::link::RowId,
    pub at: Ts,
    pub detail: String,
    /// Where the input row is (file and line), when the evidence is an input row.
    pub source: Option<crate::link::SourceRow>,
}

/// The result of one sign for one pair (or officer).
#[derive(Debug, Clone)]
pub struct Finding {
    pub signal: Sign,
    pub value: f64,
    pub threshold: f64,
    pub window: (Ts, Ts),
    pub status: Status,
    /// How far past its threshold the sign is (value / threshold for counts); the
    /// contribution is weight × min(intensity, cap) when fired.
    pub intensity: f64,
    /// The basis of the threshold, why it was not evaluated, or further facts.
    /// Shared: a run's findings repeat a handful of notes millions of times.
    pub note: Arc<str>,
    pub evidence: Vec<Evidence>,
}

impl Finding {
    /// A sign that could not be looked for.
    pub fn not_evaluated(signal: Sign, window: (Ts, Ts), why: impl AsRef<str>) -> Finding {
        Finding {
            signal,
            value: 0.0,
            threshold: 0.0,
            window,
            status: Status::NotEvaluated,
            intensity: 0.0,
            note: shared_note(why.as_ref()),
            evidence: Vec::new(),
        }
    }

    /// A count against a minimum: fired when `value >= threshold`.
    pub fn count(
        signal: Sign,
        value: usize,
        threshold: u32,
        window: (Ts, Ts),
        evidence: Vec<Evidence>,
        note: impl AsRef<str>,
    ) -> Finding {
        // The matrix check refuses counts of 0.
        debug_assert!(threshold >= 1, "{signal:?}: a count threshold of 0");
        let threshold = threshold as f64;
        let v = value as f64;
        let fired = v >= threshold;
        Finding {
            signal,
            value: v,
            threshold,
            window,
            status: if fired {
                Status::Fired
            } else {
                Status::NotFired
            },
            intensity: v / threshold,
            note: shared_note(note.as_ref()),
            evidence: if fired { evidence } else { Vec::new() },
        }
    }

    pub fn fired(&self) -> bool {
        self.status == Status::Fired
    }
}

/// One worker thread's notes: a force's millions of findings repeat a few thousand
/// texts, each kept once (shared) instead of allocated per finding.
#[derive(Default)]
struct NoteCache {
    texts: rustc_hash::FxHashSet<Arc<str>>,
    /// Notes made from a pair's numbers, by sign and numbers: made once.
    numbers: rustc_hash::FxHashMap<(&'static str, [u64; 6]), Arc<str>>,
}

/// Bound on each of a thread's two caches (a long-lived Python session scores many
/// datasets); a full cache starts again empty.
const NOTE_CACHE: usize = 1 << 14;

thread_local! {
    static NOTES: std::cell::RefCell<NoteCache> = std::cell::RefCell::new(NoteCache::default());
}

/// The shared copy of a note's text.
pub fn shared_note(text: &str) -> Arc<str> {
    NOTES.with(|c| {
        let mut c = c.borrow_mut();
        if let Some(t) = c.texts.get(text) {
            return t.clone();
        }
        if c.texts.len() >= NOTE_CACHE {
            c.texts.clear();
        }
        let t: Arc<str> = text.into();
        c.texts.insert(t.clone());
        t
    })
}

/// A note that depends only on `sign` and the numbers in `key`, made by `make` the
/// first time this thread meets them (formatting numbers is most of a pair's cost).
pub fn numbered_note(sign: &'static str, key: [u64; 6], make: impl FnOnce() -> String) -> Arc<str> {
    NOTES.with(|c| {
        let hit = c.borrow().numbers.get(&(sign, key)).cloned();
        if let Some(t) = hit {
            return t;
        }
        // No borrow is held while the note is made and shared.
        let t = shared_note(&make());
        let mut c = c.borrow_mut();
        if c.numbers.len() >= NOTE_CACHE {
            c.numbers.clear();
        }
        c.numbers.insert((sign, key), t.clone());
        t
    })
}

/// A contact with the facts the signs need.
#[derive(Debug, Clone, Copy)]
pub struct ContactFact<'a> {
    pub contact: &'a Contact,
    /// Contact he made or took part in (see `Contact::engaged`).
    pub engaged: bool,
    /// On a rostered shift.
    pub on_duty: bool,
    /// On duty, or shown working off the roster (see `Linked::working`).
    pub working: bool,
    /// The officer's roster covers the time (without it, `on_duty` is false but means
    /// unknown).
    pub rostered: bool,
    pub involved: bool,
    /// An outgoing contact within `reply_hours` of an incoming one from the subject.
    pub reply: bool,
}

impl ContactFact<'_> {
    /// Working while involved with the subject: the job, not a sign. Where no roster
    /// covers the time, duty is unknown and involvement alone explains the contact: a
    /// shifts export covering part of the window (or none) must not turn every
    /// caseworker's calls into warning signs; the off-duty reading is then
    /// `not_evaluated`, never assumed.
    pub fn explained(&self) -> bool {
        self.involved && (self.working || !self.rostered)
    }

    /// Engaged contact the job does not explain.
    pub fn unexplained(&self) -> bool {
        self.engaged && !self.explained()
    }

    /// The officer's own contact (outgoing) that the job does not explain. The
    /// subject's calls and messages are hers: "direction matters" (a member of the
    /// public pursuing an officer, or a repeat caller, is not the officer's pursuit).
    pub fn pursued(&self) -> bool {
        self.contact.outgoing && !self.explained()
    }

    pub fn evidence(&self, why: &str) -> Evidence {
        use std::fmt::Write as _;
        let c = self.contact;
        // One string written in place (a million evidence rows in a large force).
        let mut detail = String::with_capacity(64 + why.len());
        let _ = match (c.outgoing, c.call) {
            (true, true) => write!(detail, "outgoing call, {} s", c.duration.unwrap_or(0)),
            (false, true) => write!(detail, "incoming call, {} s", c.duration.unwrap_or(0)),
            (true, false) => write!(detail, "outgoing message"),
            (false, false) => write!(detail, "incoming message"),
        };
        detail.push_str("; ");
        detail.push_str(if self.working && !self.on_duty {
            "working off the roster (a stop, deployment or calls to his cases nearby)"
        } else {
            duty_label(self.on_duty, self.rostered)
        });
        detail.push_str(if self.involved {
            "; involved"
        } else {
            "; not involved"
        });
        if !why.is_empty() {
            detail.push_str("; ");
            detail.push_str(why);
        }
        Evidence {
            table: "billing",
            row_id: c.record_id.clone(),
            at: c.at,
            detail,
            source: Some(c.source),
        }
    }
}

/// How an event's duty status reads in evidence: "off duty" only when a roster says so.
/// The place's verdict in words: "4 of his 14 stops nearby were within 150 m; the place
/// predicts 0.14 (p = 1.0e-5; 6.0e-5 over 2 distances x 3 homes of people he dealt
/// with)".
fn place_label(v: &PlaceVerdict) -> String {
    let whose = if v.tied {
        "of people he dealt with"
    } else {
        "of people he did not deal with"
    };
    let homes = if v.family == 1 { "home" } else { "homes" };
    format!(
        "{} of his {} stops nearby were within {:.0} m; the place predicts {:.2} (p = {:.1e}; {:.1e} over 2 distances x {} {homes} {whose})",
        v.stops, v.nearby, v.within_m, v.expected, v.p_value, v.adjusted_p, v.family
    )
}

fn duty_label(on_duty: bool, rostered: bool) -> &'static str {
    match (on_duty, rostered) {
        (true, _) => "on duty",
        (false, true) => "off duty",
        (false, false) => "duty unknown (no roster)",
    }
}

/// A stop of the officer near the subject's home that nothing explains (no deployment
/// of his within the radius covers it, and he was not involved with anyone living
/// within the radius of it), with the place's verdict on all his such stops near this
/// home (see `crate::place`).
#[derive(Debug, Clone, Copy)]
pub struct NearStop<'a> {
    pub stop: &'a Stop,
    pub metres: f64,
    pub on_duty: bool,
    /// The officer has a roster in the window (without one, `on_duty` is false but
    /// means unknown).
    pub rostered: bool,
    pub verdict: PlaceVerdict,
}

impl NearStop<'_> {
    /// A visit: the officer stops near this home more often than the place predicts.
    /// Other stops near it are chance stops of a town's patrols.
    pub fn visit(&self) -> bool {
        self.verdict.unusual
    }

    pub fn evidence(&self, why: &str) -> Evidence {
        let mins = (self.stop.until - self.stop.at) / crate::link::MINUTE;
        Evidence {
            table: "stops",
            row_id: self.stop.stop_id.clone(),
            at: self.stop.at,
            source: Some(self.stop.source),
            detail: format!(
                "stop {:.0} m from the subject's home, {mins} min; not deployed; {}; not involved; {}{}{}",
                self.metres,
                duty_label(self.on_duty, self.rostered),
                place_label(&self.verdict),
                if self.stop.by_assignment {
                    "; officer from vehicle assignment"
                } else {
                    ""
                },
                if why.is_empty() {
                    String::new()
                } else {
                    format!("; {why}")
                }
            ),
        }
    }
}

/// A record access with the facts the signs need.
#[derive(Debug, Clone, Copy)]
pub struct AccessFact<'a> {
    pub access: &'a Access,
    pub involved: bool,
    /// What the purpose reference says of the officer's cases (`None`: blank).
    pub purpose_fit: Option<PurposeFit>,
}

impl AccessFact<'_> {
    /// The purpose reference names a case the officer was involved in at the time,
    /// give or take the grace.
    pub fn purpose_ok(&self) -> bool {
        self.purpose_fit.is_some_and(PurposeFit::holds)
    }

    /// Neither involved nor a valid purpose reference.
    pub fn unexplained(&self) -> bool {
        !self.involved && !self.purpose_ok()
    }

    pub fn evidence(&self, why: &str) -> Evidence {
        let a = self.access;
        Evidence {
            table: "access_log",
            row_id: a.event_id.clone(),
            at: a.at,
            source: Some(a.source),
            detail: format!(
                "{} access; purpose {}; {}{}",
                a.system.as_deref().unwrap_or("system"),
                match (&a.purpose, self.purpose_fit) {
                    (Some(p), Some(fit)) => format!("{p} ({})", purpose_label(fit)),
                    _ => "blank".to_string(),
                },
                if self.involved {
                    "involved"
                } else {
                    "not involved"
                },
                if why.is_empty() {
                    String::new()
                } else {
                    format!("; {why}")
                }
            ),
        }
    }
}

/// What a purpose reference is, in words: "his case"; "his case, his involvement ended
/// 3 days before: within the 7-day grace"; "his case, but it opened 7 days 23 h later:
/// beyond the 7-day grace"; "not a case of his".
fn purpose_label(fit: PurposeFit) -> String {
    match fit {
        PurposeFit::During => "his case".into(),
        PurposeFit::NotHis => "not a case of his".into(),
        PurposeFit::Near { gap, after, grace } => {
            let (but, within) = if gap <= grace {
                ("", "within")
            } else {
                ("but ", "beyond")
            };
            let when = if after {
                format!("his involvement ended {} before", days_hours(gap))
            } else {
                format!("it opened {} later", days_hours(gap))
            };
            format!(
                "his case, {but}{when}: {within} the {}-day grace",
                grace / crate::link::DAY
            )
        }
    }
}

/// A gap as "9 days 22 h", "2 days", "1 day", "5 h"; hours rounded up, so a gap just
/// past a whole number of days never reads as that number.
fn days_hours(gap: Ts) -> String {
    let hours = (gap + crate::link::HOUR - 1) / crate::link::HOUR;
    let (d, h) = (hours / 24, hours % 24);
    let days = match d {
        0 => String::new(),
        1 => "1 day".into(),
        d => format!("{d} days"),
    };
    match (days.is_empty(), h) {
        (true, h) => format!("{h} h"),
        (false, 0) => days,
        (false, h) => format!("{days} {h} h"),
    }
}

/// The notes that are the same for every pair of a run, built once and shared.
pub struct Notes {
    pub off_duty_contact: Arc<str>,
    pub night_contact: Arc<str>,
    pub after_closure: Arc<str>,
    pub stop_near_home: Arc<str>,
    pub access_without_purpose: Arc<str>,
    pub no_initiated_contact: Arc<str>,
    pub no_access_before: Arc<str>,
    pub no_vulnerability: Arc<str>,
}

impl Notes {
    pub fn new(m: &RiskMatrix) -> Notes {
        let s = &m.signals;
        Notes {
            off_duty_contact: "engaged contacts outside rostered shifts".into(),
            night_contact: format!(
                "contacts and visits {:02}:00-{:02}:00 local, not on shift while involved",
                s.night_contact.start_hour, s.night_contact.end_hour
            )
            .into(),
            after_closure: format!(
                "events more than {} days after the officer's involvement ended",
                s.after_closure.grace_days
            )
            .into(),
            stop_near_home: format!(
                "undeployed, unexplained stops within {:.0} m (or {:.0} m) of the home, against the place's background within {:.0} m (unusual at p <= {} for the officer's homes together)",
                s.stop_near_home.radius_m, s.stop_near_home.door_m, s.stop_near_home.around_m, s.stop_near_home.max_p_value
            )
            .into(),
            access_without_purpose: format!(
                "accesses while not involved and without a purpose reference to a case of the officer's at the time (give or take {} days)",
                s.access_without_purpose.purpose_grace_days
            )
            .into(),
            no_initiated_contact: "no contact initiated by the officer".into(),
            no_access_before: "no unexplained access in the days before the first initiated contact"
                .into(),
            no_vulnerability: "no vulnerability recorded".into(),
        }
    }
}

/// What a pair sign sees: one officer and one subject, their events in the window.
pub struct PairView<'a> {
    pub linked: &'a Linked,
    pub matrix: &'a RiskMatrix,
    pub notes: &'a Notes,
    pub officer: OfficerIx,
    pub subject: SubjectIx,
    /// (start, end] of the analysis window.
    pub window: (Ts, Ts),
    pub contacts: Vec<ContactFact<'a>>,
    pub near: Vec<NearStop<'a>>,
    pub accesses: Vec<AccessFact<'a>>,
    pub involvements: &'a [Involvement],
    /// Why the pair's involvement is unknown (a quarantined case link names them).
    pub involvement_unknown: Option<&'a Arc<str>>,
    /// Quarantined billing rows that may record a contact of the pair.
    pub contact_unknown: &'a [crate::link::UnknownContact],
    /// Quarantined billing rows of the officer's device whose other party is
    /// unreadable.
    pub officer_contact_unknown: &'a [crate::link::UnknownContact],
    /// How soon after her contact his counts as a reply.
    pub reply: Ts,
}

impl PairView<'_> {
    /// The pair's subject is a known person with a home address.
    pub fn home(&self) -> Option<(f64, f64)> {
        self.linked.subjects[self.subject]
            .person
            .as_ref()
            .and_then(|p| p.home)
    }

    /// Share of the pair's contacts that came from the subject.
    pub fn inbound_share(&self) -> f64 {
        if self.contacts.is_empty() {
            return 0.0;
        }
        self.contacts.iter().filter(|c| !c.contact.outgoing).count() as f64
            / self.contacts.len() as f64
    }

    /// The roster covers at least one of the pair's contacts (without it, on or off
    /// duty is unknown).
    pub fn rostered(&self) -> bool {
        self.contacts.iter().any(|c| c.rostered)
    }
}

/// The pair signs whose value rests on whether the officer was involved with the
/// subject (contact on shift while involved is the job; an access needs a case).
pub const INVOLVEMENT_SIGNALS: [Sign; 7] = [
    Sign::ContactVolume,
    Sign::Escalation,
    Sign::NightContact,
    Sign::AfterClosure,
    Sign::StopNearHome,
    Sign::AccessWithoutPurpose,
    Sign::AccessThenContact,
];

/// Evaluates every pair sign but `vulnerable_subject` (which needs the others). When
/// the pair's involvement is unknown, the signs of [`INVOLVEMENT_SIGNALS`] are
/// `not_evaluated` with the reason (unless already not evaluated for another).
pub fn evaluate_pair(
    p: &PairView<'_>,
    volume_threshold: &contact_volume::Threshold,
    volume: (usize, Vec<usize>),
) -> Vec<Finding> {
    let mut findings = evaluate_pair_signs(p, volume_threshold, volume);
    if let Some(why) = p.involvement_unknown {
        for f in &mut findings {
            if f.status != Status::NotEvaluated && INVOLVEMENT_SIGNALS.contains(&f.signal) {
                *f = Finding::not_evaluated(f.signal, p.window, why);
            }
        }
    }
    findings
}

fn evaluate_pair_signs(
    p: &PairView<'_>,
    volume_threshold: &contact_volume::Threshold,
    volume: (usize, Vec<usize>),
) -> Vec<Finding> {
    vec![
        contact_volume::evaluate(p, volume_threshold, volume),
        escalation::evaluate(p),
        off_duty_contact::evaluate(p),
        night_contact::evaluate(p),
        after_closure::evaluate(p),
        unanswered_persistence::evaluate(p),
        stop_near_home::evaluate(p),
        access_without_purpose::evaluate(p),
        access_then_contact::evaluate(p),
    ]
}

/// Days as microseconds.
pub(crate) fn days(d: u32) -> Ts {
    d as Ts * crate::link::DAY
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_are_made_once_per_numbers_and_shared() {
        let made = std::cell::Cell::new(0);
        let note = |share: f64| {
            numbered_note("test_sign", [3, share.to_bits(), 0, 0, 0, 0], || {
                made.set(made.get() + 1);
                format!("share {:.0}%", share * 100.0)
            })
        };
        let (a, b, c) = (note(0.25), note(0.25), note(0.5));
        assert_eq!((&*a, &*c), ("share 25%", "share 50%"));
        assert!(Arc::ptr_eq(&a, &b), "the same numbers give the shared note");
        assert_eq!(made.get(), 2, "formatted once per distinct numbers");
        // A note made from numbers shares its text with the same text met as text.
        assert!(Arc::ptr_eq(&shared_note("share 50%"), &c));
        // Different numbers that print alike still give the one shared text.
        let d = numbered_note("test_sign", [4, 0, 0, 0, 0, 0], || "share 50%".into());
        assert!(Arc::ptr_eq(&c, &d));
    }

    #[test]
    fn a_full_cache_starts_again() {
        for i in 0..NOTE_CACHE + 10 {
            let t = shared_note(&format!("note {i}"));
            assert_eq!(&*t, format!("note {i}"));
        }
        NOTES.with(|c| assert!(c.borrow().texts.len() <= NOTE_CACHE));
        assert_eq!(&*shared_note("note 1"), "note 1");
    }
}
