//! Pair scoring: every officer × subject pair with an event in the window, its view of
//! the linked events, its signs and their contributions.
//!
//! A fired sign contributes `weight × min(intensity, intensity_cap)`, times
//! `no_record_factor` when the subject is a number in no police record; the aggravator
//! `vulnerable_subject` contributes its weight times the sum of the others (the
//! young-person weight for a subject under 18). Pair score = the sum of its
//! contributions, exactly.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Mutex;

use super::{PairResult, SignNote};
use crate::link::{Linked, OfficerIx, SubjectIx, SubjectKind, Ts, WorkEvidence};
use crate::matrix::RiskMatrix;
use crate::place;
use crate::sign::Sign;
use crate::signals::{
    self, contact_volume, vulnerable_subject, AccessFact, ContactFact, Finding, NearStop, PairView,
};

/// One officer × subject pair: its events in the window as ranges of the linked
/// contacts and accesses and of the near stops (all sorted by officer, subject, time).
pub(super) struct PairSpan {
    pub officer: OfficerIx,
    pub subject: SubjectIx,
    contacts: Range<usize>,
    near: Range<usize>,
    accesses: Range<usize>,
}

impl PairSpan {
    /// The pair has contacts in the window.
    pub fn has_contacts(&self) -> bool {
        !self.contacts.is_empty()
    }
}

type Pair = (OfficerIx, SubjectIx);

/// Runs of equal (officer, subject) in a sorted sequence, narrowed to the events in
/// the window (a run is sorted by time, so its events in the window are contiguous).
fn runs(
    n: usize,
    key: impl Fn(usize) -> Pair,
    at: impl Fn(usize) -> Ts,
    window: (Ts, Ts),
) -> Vec<(Pair, Range<usize>)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        let k = key(i);
        let mut j = i + 1;
        while j < n && key(j) == k {
            j += 1;
        }
        // The first index in i..j whose time is after `t`.
        let after = |t: Ts| {
            let (mut lo, mut hi) = (i, j);
            while lo < hi {
                let mid = (lo + hi) / 2;
                if at(mid) <= t {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            lo
        };
        let (a, b) = (after(window.0), after(window.1));
        if a < b {
            out.push((k, a..b));
        }
        i = j;
    }
    out
}

/// Every pair with an event in the window, in (officer, subject) order.
pub(super) fn pair_spans(l: &Linked, near: &[place::Near], window: (Ts, Ts)) -> Vec<PairSpan> {
    let c = runs(
        l.contacts.len(),
        |i| (l.contacts[i].officer, l.contacts[i].subject),
        |i| l.contacts[i].at,
        window,
    );
    let n = runs(
        near.len(),
        |i| (l.stops[near[i].stop].officer, near[i].subject),
        |_| window.1,
        window,
    );
    let a = runs(
        l.accesses.len(),
        |i| (l.accesses[i].officer, l.accesses[i].subject),
        |i| l.accesses[i].at,
        window,
    );
    let (mut i, mut j, mut k) = (0, 0, 0);
    let mut out = Vec::with_capacity(c.len().max(a.len()));
    loop {
        let key = [c.get(i), n.get(j), a.get(k)]
            .into_iter()
            .flatten()
            .map(|x| x.0)
            .min();
        let Some(key) = key else { break };
        let take = |v: &[(Pair, Range<usize>)], p: &mut usize| match v.get(*p) {
            Some((k2, r)) if *k2 == key => {
                *p += 1;
                r.clone()
            }
            _ => 0..0,
        };
        let contacts = take(&c, &mut i);
        let near = take(&n, &mut j);
        let accesses = take(&a, &mut k);
        out.push(PairSpan {
            officer: key.0,
            subject: key.1,
            contacts,
            near,
            accesses,
        });
    }
    out
}

/// What building a pair's view needs.
pub(super) struct PairViews<'a> {
    pub linked: &'a Linked,
    pub notes: &'a signals::Notes,
    pub near: &'a [place::Near],
    pub matrix: &'a RiskMatrix,
    pub window: (Ts, Ts),
    /// How soon after her contact his counts as a reply.
    pub reply: Ts,
    /// How long before a case opened and after his involvement ended a purpose
    /// reference to it still holds.
    pub purpose_grace: Ts,
    /// How near a shift of the officer's must start for his roster to cover a time.
    pub roster_cover: Ts,
    /// What shows him working off the roster.
    pub work_evidence: WorkEvidence,
}

impl<'a> PairViews<'a> {
    pub fn view(&self, sp: &PairSpan) -> PairView<'a> {
        let (linked, o, s) = (self.linked, sp.officer, sp.subject);
        let involvements = linked.involvements(o, s);
        let involved = |t: Ts| involvements.iter().any(|i| i.covers(t));
        let rostered = |t: Ts| linked.rostered_at(o, t, self.roster_cover);
        let mut last_incoming: Option<Ts> = None;
        let contacts = linked.contacts[sp.contacts.clone()]
            .iter()
            .map(|c| {
                let reply = c.outgoing && last_incoming.is_some_and(|t| c.at - t <= self.reply);
                if !c.outgoing {
                    last_incoming = Some(c.at);
                }
                ContactFact {
                    contact: c,
                    engaged: c.engaged(self.matrix.signals.unanswered_persistence.short_seconds),
                    on_duty: linked.on_duty(o, c.at),
                    working: linked.working(o, s, c.at, self.work_evidence),
                    rostered: rostered(c.at),
                    involved: involved(c.at),
                    reply,
                }
            })
            .collect();
        let near = self.near[sp.near.clone()]
            .iter()
            .map(|n| {
                let stop = &linked.stops[n.stop];
                NearStop {
                    stop,
                    metres: n.metres,
                    on_duty: linked.on_duty(o, stop.at),
                    rostered: rostered(stop.at),
                    verdict: n.verdict,
                }
            })
            .collect();
        let accesses = linked.accesses[sp.accesses.clone()]
            .iter()
            .map(|a| AccessFact {
                access: a,
                involved: involved(a.at),
                purpose_fit: a
                    .purpose
                    .as_deref()
                    .map(|p| linked.purpose_fit(o, p, a.at, self.purpose_grace)),
            })
            .collect();
        PairView {
            linked,
            matrix: self.matrix,
            notes: self.notes,
            officer: o,
            subject: s,
            window: self.window,
            contacts,
            near,
            accesses,
            involvements,
            involvement_unknown: linked.involvement_unknown.get(&(o, s)),
            contact_unknown: linked
                .contact_unknown
                .get(&(o, s))
                .map_or(&[], |v| v.as_slice()),
            officer_contact_unknown: linked
                .officer_contact_unknown
                .get(&o)
                .map_or(&[], |v| v.as_slice()),
            reply: self.reply,
        }
    }
}

/// What a fired sign adds: `weight × min(intensity, cap)` (0 when not fired).
pub(super) fn contribution(m: &RiskMatrix, f: &Finding) -> f64 {
    if !f.fired() {
        return 0.0;
    }
    m.weight(f.signal) * f.intensity.min(m.analysis.intensity_cap)
}

/// What the aggravator adds: a share of what else fired on the pair.
fn aggravation(m: &RiskMatrix, f: &Finding, others: f64) -> f64 {
    if !f.fired() {
        0.0
    } else if f.value >= 2.0 {
        m.signals.vulnerable_subject.young_person_weight * others
    } else {
        m.signals.vulnerable_subject.weight * others
    }
}

/// The factor on a pair's contributions: `no_record_factor` for a number in no police
/// record (nothing ties the contact to the officer's role: a partner's or family
/// number), unless the officer looked that number up in a police system in the window
/// — the s.5 pattern done by number ("took her number from force systems").
fn no_record_factor(v: &PairView<'_>) -> f64 {
    match v.linked.subjects[v.subject].kind {
        SubjectKind::Number if v.accesses.is_empty() => v.matrix.analysis.no_record_factor,
        SubjectKind::Number | SubjectKind::Person => 1.0,
    }
}

/// By officer: the signs not evaluated for his pairs whose findings are not kept, by
/// reason, with how many pairs (the findings of the pairs kept say it themselves).
/// Counted as the pairs are scored side by side; sums, so the same for any order.
pub(super) struct DroppedNotEvaluated(Vec<Mutex<BTreeMap<SignNote, usize>>>);

impl DroppedNotEvaluated {
    pub fn new(officers: usize) -> Self {
        DroppedNotEvaluated((0..officers).map(|_| Mutex::default()).collect())
    }

    /// Counts the signs of `findings` not evaluated for a pair of officer `o`.
    fn count(&self, o: OfficerIx, findings: &[Finding]) {
        let mut unevaluated = findings
            .iter()
            .filter(|f| f.status == signals::Status::NotEvaluated)
            .peekable();
        if unevaluated.peek().is_none() {
            return;
        }
        let mut tally = self.0[o.index()].lock().expect("not poisoned");
        for f in unevaluated {
            let key = SignNote {
                sign: f.signal,
                note: f.note.clone(),
            };
            *tally.entry(key).or_default() += 1;
        }
    }

    /// The counts by officer.
    pub fn into_counts(self) -> Vec<BTreeMap<SignNote, usize>> {
        self.0
            .into_iter()
            .map(|m| m.into_inner().expect("not poisoned"))
            .collect()
    }
}

/// Scores one pair; its findings are kept when it scores (or with `keep_all_findings`),
/// else only which signs were not evaluated, and why, counted in `dropped`.
pub(super) fn score_pair(
    v: &PairView<'_>,
    threshold: &contact_volume::Threshold,
    keep_all_findings: bool,
    dropped: &DroppedNotEvaluated,
) -> PairResult {
    let m = v.matrix;
    let volume = contact_volume::value(v);
    let mut findings = signals::evaluate_pair(v, threshold, volume);
    let vulnerable = vulnerable_subject::evaluate(v, &findings);
    findings.push(vulnerable);
    debug_assert!(findings.iter().map(|f| f.signal).eq(Sign::PAIR));
    let factor = no_record_factor(v);
    let mut contributions = [0.0; Sign::PAIR.len()];
    let last = Sign::PAIR.len() - 1;
    for (c, f) in contributions.iter_mut().zip(&findings[..last]) {
        *c = contribution(m, f) * factor;
    }
    let others: f64 = contributions[..last].iter().sum();
    contributions[last] = aggravation(m, &findings[last], others);
    let score: f64 = contributions.iter().sum();
    let findings = if score > 0.0 || keep_all_findings {
        findings
    } else {
        dropped.count(v.officer, &findings);
        Vec::new()
    };
    let times = v
        .contacts
        .iter()
        .map(|c| c.contact.at)
        .chain(v.near.iter().map(|n| n.stop.at))
        .chain(v.accesses.iter().map(|a| a.access.at));
    let (first_event, last_event) =
        times.fold((Ts::MAX, Ts::MIN), |(a, b), t| (a.min(t), b.max(t)));
    PairResult {
        officer: v.officer,
        subject: v.subject,
        findings,
        contributions,
        score,
        first_event,
        last_event,
        n_contacts: v.contacts.len(),
        n_stops_near: v.near.len(),
        n_accesses: v.accesses.len(),
        inbound_share: v.inbound_share(),
        same_stops_as: None,
    }
}
