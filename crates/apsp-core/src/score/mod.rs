//! Scoring: every officer × subject pair and every officer against the twelve warning
//! signs, under a versioned risk matrix.
//!
//! - A fired sign contributes `weight × min(intensity, intensity_cap)`, times
//!   `no_record_factor` when the subject is a number in no police record; the
//!   aggravator `vulnerable_subject` contributes its weight times the sum of the others
//!   (the young-person weight for a subject under 18). **Pair score = the sum of its
//!   contributions, exactly.**
//! - Officer score = Σ over the officer's pairs, highest first, of pair score ×
//!   `decay`^rank for the first `top_pairs`, plus the contributions of the officer-level
//!   signs (`multiple_subjects`, `repeat_complaints`). A pair resting only on stops a
//!   higher pair already counts (a neighbour of the subject: the same visits) is shown
//!   but not counted twice.
//! - Tiers by score; rank by score (ties by officer id); style (seed s.8) by the explicit
//!   rule of the matrix, with its reason.
//!
//! A score is a warning sign for review, never a verdict.

pub mod matrix;

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::time::Instant;

use rayon::prelude::*;

pub use matrix::{LoadedMatrix, RiskMatrix};

use crate::error::{ApspError, Result};
use crate::ingest::Dataset;
use crate::link::{geo, Linked, SubjectKind, Ts, DAY, HOUR};
use crate::signals::{
    self, contact_volume, multiple_subjects, repeat_complaints, vulnerable_subject, AccessFact,
    ContactFact, Finding, NearStop, PairView, OFFICER_SIGNALS, PAIR_SIGNALS,
};

/// One officer × subject pair: its events in the window as ranges of the linked
/// contacts and accesses and of the near stops (all sorted by officer, subject, time).
struct Span {
    officer: u32,
    subject: u32,
    contacts: Range<usize>,
    near: Range<usize>,
    accesses: Range<usize>,
}

/// Runs of equal (officer, subject) in a sorted sequence, narrowed to the events in
/// the window (a run is sorted by time, so its events in the window are contiguous).
fn runs(
    n: usize,
    key: impl Fn(usize) -> (u32, u32),
    at: impl Fn(usize) -> Ts,
    window: (Ts, Ts),
) -> Vec<((u32, u32), Range<usize>)> {
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
fn pair_spans(l: &Linked, near: &[geo::Near], window: (Ts, Ts)) -> Vec<Span> {
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
        let take = |v: &[((u32, u32), Range<usize>)], p: &mut usize| match v.get(*p) {
            Some((k2, r)) if *k2 == key => {
                *p += 1;
                r.clone()
            }
            _ => 0..0,
        };
        let contacts = take(&c, &mut i);
        let near = take(&n, &mut j);
        let accesses = take(&a, &mut k);
        out.push(Span {
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
struct ViewCtx<'a> {
    linked: &'a Linked,
    notes: &'a signals::Notes,
    near: &'a [geo::Near],
    m: &'a RiskMatrix,
    window: (Ts, Ts),
    reply: Ts,
}

impl<'a> ViewCtx<'a> {
    fn view(&self, sp: &Span) -> PairView<'a> {
        let (linked, o, s) = (self.linked, sp.officer, sp.subject);
        let involvements = linked.involvements(o, s);
        let involved = |t: Ts| involvements.iter().any(|i| i.covers(t));
        let rostered = linked.rostered(o, self.window);
        let mut last_in: Option<Ts> = None;
        let contacts = linked.contacts[sp.contacts.clone()]
            .iter()
            .map(|c| {
                let is_reply = c.out && last_in.is_some_and(|t| c.at - t <= self.reply);
                if !c.out {
                    last_in = Some(c.at);
                }
                ContactFact {
                    c,
                    on_duty: linked.on_duty(o, c.at),
                    rostered,
                    involved: involved(c.at),
                    reply: is_reply,
                }
            })
            .collect();
        let near = self.near[sp.near.clone()]
            .iter()
            .map(|n| {
                let st = &linked.stops[n.stop];
                NearStop {
                    s: st,
                    metres: n.metres,
                    involved: involved(st.at),
                    on_duty: linked.on_duty(o, st.at),
                    rostered,
                    place_officers: n.place_officers,
                }
            })
            .collect();
        let accesses = linked.accesses[sp.accesses.clone()]
            .iter()
            .map(|a| AccessFact {
                a,
                involved: involved(a.at),
                purpose_ok: a
                    .purpose
                    .as_deref()
                    .is_some_and(|p| linked.purpose_holds(o, p, a.at)),
            })
            .collect();
        PairView {
            linked,
            m: self.m,
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

/// Run settings besides the matrix.
#[derive(Debug, Clone, Default)]
pub struct ScoreOptions {
    /// End of the analysis window (UTC µs); default: the latest event in the data.
    pub reference_time: Option<Ts>,
    /// Length of the analysis window in days; default: the matrix's.
    pub window_days: Option<u32>,
    /// Keep every pair's findings, also of pairs scoring 0 (small datasets, tests,
    /// exploring one officer). By default only pairs with a score keep them: the others
    /// are most pairs of a force and are not written out.
    pub keep_all_findings: bool,
    /// Keep the linked events after scoring, to drill into a pair
    /// ([`crate::explain::pair_events`]); by default they are released (a large
    /// force's events are gigabytes, and the outputs do not need them).
    pub keep_events: bool,
}

/// One scored pair.
#[derive(Debug, Clone)]
pub struct PairResult {
    pub officer: u32,
    pub subject: u32,
    /// One per pair sign, in `PAIR_SIGNALS` order.
    pub findings: Vec<Finding>,
    /// One per pair sign, in `PAIR_SIGNALS` order.
    pub contributions: [f64; PAIR_SIGNALS.len()],
    pub score: f64,
    pub first_event: Ts,
    pub last_event: Ts,
    pub n_contacts: usize,
    pub n_stops_near: usize,
    pub n_accesses: usize,
    pub inbound_share: f64,
    /// Another subject of the same officer whose pair already counts every stop this
    /// pair's fired signs rest on (a neighbour of hers: the same visits, seen from next
    /// door). Such a pair is shown but not counted again in the officer's score or in
    /// `multiple_subjects`.
    pub same_stops_as: Option<u32>,
}

/// One scored officer.
#[derive(Debug, Clone)]
pub struct OfficerResult {
    pub officer: u32,
    /// Indices into `Scored::pairs`, highest score first.
    pub pairs: Vec<usize>,
    /// `multiple_subjects`, `repeat_complaints`.
    pub findings: Vec<Finding>,
    pub contributions: Vec<f64>,
    pub score: f64,
    pub tier: &'static str,
    pub rank: u32,
    pub style: Option<&'static str>,
    pub style_reason: String,
    pub n_subjects_flagged: usize,
    pub top_reasons: String,
}

/// A scored dataset.
pub struct Scored {
    /// The officers and subjects; the events too with [`ScoreOptions::keep_events`]
    /// (else released once scored: see [`Linked::release_events`]; the findings carry
    /// their evidence).
    pub linked: Linked,
    pub matrix: LoadedMatrix,
    pub reference: Ts,
    /// (start, end] of the analysis window.
    pub window: (Ts, Ts),
    pub pairs: Vec<PairResult>,
    /// In officer order (as in the officers table).
    pub officers: Vec<OfficerResult>,
    /// Seconds per stage (link, stops near homes, score pairs, score officers): for
    /// benchmarks and progress reports, never written to the outputs.
    pub timings: Vec<(&'static str, f64)>,
    /// Whether `linked` still holds the events (see [`ScoreOptions::keep_events`]).
    pub events_kept: bool,
}

/// Parses a reference time: RFC 3339 (`2026-11-21T23:59:59Z`), or a naive
/// `YYYY-MM-DD[THH:MM:SS]` taken as UTC.
pub fn parse_reference_time(s: &str) -> Result<Ts> {
    let bad = |m: String| ApspError::Setting {
        name: "reference_time",
        value: s.to_string(),
        message: m,
    };
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp_micros());
    }
    for f in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, f) {
            return Ok(t.and_utc().timestamp_micros());
        }
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(|d| {
            d.and_hms_opt(0, 0, 0)
                .expect("midnight")
                .and_utc()
                .timestamp_micros()
        })
        .map_err(|e| bad(format!("{e}; expected e.g. 2026-11-21T23:59:59Z")))
}

/// Scores a dataset.
pub fn score(ds: &Dataset, matrix: &LoadedMatrix, opts: &ScoreOptions) -> Result<Scored> {
    timed_link(|| Linked::build(ds), matrix, opts, &|_| {})
}

/// Seconds since `t`, restarting it.
fn lap(t: &mut Instant) -> f64 {
    let s = t.elapsed().as_secs_f64();
    *t = Instant::now();
    s
}

/// Scores a dataset, calling `on_stage` as each stage starts (for a progress display),
/// and freeing its tables as soon as they are linked (only its quarantine and manifest
/// remain, for writing the outputs): the peak memory of a large force is then the
/// linked data, not both.
pub fn score_releasing(
    ds: &mut Dataset,
    matrix: &LoadedMatrix,
    opts: &ScoreOptions,
    on_stage: &dyn Fn(&'static str),
) -> Result<Scored> {
    on_stage("linking");
    timed_link(|| Linked::build_releasing(ds), matrix, opts, on_stage)
}

/// Links with `link`, timing it, then scores.
fn timed_link(
    link: impl FnOnce() -> Result<Linked>,
    matrix: &LoadedMatrix,
    opts: &ScoreOptions,
    on_stage: &dyn Fn(&'static str),
) -> Result<Scored> {
    let t = Instant::now();
    let linked = link()?;
    let secs = t.elapsed().as_secs_f64();
    let mut s = score_linked(linked, matrix, opts, on_stage)?;
    s.timings.insert(0, ("link", secs));
    Ok(s)
}

/// Scores linked data (see [`Linked::build`]): the dataset's tables can be freed first.
pub fn score_linked(
    linked: Linked,
    matrix: &LoadedMatrix,
    opts: &ScoreOptions,
    on_stage: &dyn Fn(&'static str),
) -> Result<Scored> {
    let mut timings: Vec<(&'static str, f64)> = Vec::new();
    let mut t = Instant::now();
    let m = &matrix.matrix;
    let reference = match opts.reference_time.or_else(|| linked.latest_event()) {
        Some(t) => t,
        None => {
            return Err(ApspError::Dataset {
                dir: linked.dataset.clone().into(),
                message: "no billing, stop or access event to score (and no --reference-time)"
                    .into(),
            })
        }
    };
    let window_days = opts.window_days.unwrap_or(m.analysis.window_days);
    if window_days == 0 {
        return Err(ApspError::Setting {
            name: "window_days",
            value: "0".into(),
            message: "the analysis window needs at least one day".into(),
        });
    }
    let window = (reference - window_days as Ts * DAY, reference);
    let snh = &m.signals.stop_near_home;
    on_stage("stops near homes");
    let near = geo::stops_near_homes(
        &linked,
        snh.radius_m,
        snh.common_place_officers,
        window.0,
        window.1,
    );
    timings.push(("stops near homes", lap(&mut t)));

    // The pairs: runs of the (officer, subject, time)-sorted contacts, near stops and
    // accesses in the window, merged. Views are built from them when needed, pair by
    // pair, never all at once.
    on_stage("scoring pairs");
    let spans = pair_spans(&linked, &near, window);
    let reply = m.analysis.reply_hours as Ts * HOUR;
    let notes = signals::Notes::new(m);
    let ctx = ViewCtx {
        linked: &linked,
        notes: &notes,
        near: &near,
        m,
        window,
        reply,
    };

    // Peer thresholds for contact volume, per role. The peer baseline needs every
    // pair's count before any pair is scored; the counts are kept, the pairs' views are
    // not (built again in the scoring pass: a sliding window over a pair's contacts
    // costs less than holding a million views).
    let volumes: Vec<u32> = spans
        .par_iter()
        .map(|sp| contact_volume::value(&ctx.view(sp)).0 as u32)
        .collect();
    let cv = &m.signals.contact_volume;
    let mut role_officers: BTreeMap<&str, usize> = BTreeMap::new();
    for o in &linked.officers {
        *role_officers.entry(o.role.as_str()).or_default() += 1;
    }
    let mut by_role: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut all: Vec<usize> = Vec::new();
    let mut own: Vec<Vec<usize>> = vec![Vec::new(); linked.officers.len()];
    for (sp, val) in spans.iter().zip(&volumes) {
        let val = *val as usize;
        if val > 0 {
            by_role
                .entry(linked.officers[sp.officer as usize].role.as_str())
                .or_default()
                .push(val);
            all.push(val);
            own[sp.officer as usize].push(val);
        }
    }
    drop(volumes);
    all.sort_unstable();
    for v in by_role.values_mut() {
        v.sort_unstable();
    }
    for v in &mut own {
        v.sort_unstable();
    }
    let empty: Vec<usize> = Vec::new();
    let thresholds: Vec<contact_volume::Threshold> = linked
        .officers
        .iter()
        .enumerate()
        .map(|(o, officer)| {
            let role = officer.role.as_str();
            let n = role_officers[role];
            let mine = &own[o];
            if (n as u32) < cv.min_peers {
                let basis = format!(
                    "all {} officers (role {role} has fewer than {} officers)",
                    linked.officers.len(),
                    cv.min_peers
                );
                contact_volume::threshold(
                    &all,
                    mine,
                    cv.peer_quantile,
                    cv.min_contacts,
                    cv.window_days,
                    &basis,
                )
            } else {
                let basis = format!("{n} officers of role {role}");
                let peers = by_role.get(role).unwrap_or(&empty);
                contact_volume::threshold(
                    peers,
                    mine,
                    cv.peer_quantile,
                    cv.min_contacts,
                    cv.window_days,
                    &basis,
                )
            }
        })
        .collect();
    drop((all, by_role, own));

    // Pair signs, contributions and scores, in parallel; collected in pair order, so
    // the result does not depend on the thread count.
    let cap = m.analysis.intensity_cap;
    let weight = |name: &str| -> f64 {
        let s = &m.signals;
        match name {
            "contact_volume" => s.contact_volume.weight,
            "escalation" => s.escalation.weight,
            "off_duty_contact" => s.off_duty_contact.weight,
            "night_contact" => s.night_contact.weight,
            "after_closure" => s.after_closure.weight,
            "unanswered_persistence" => s.unanswered_persistence.weight,
            "stop_near_home" => s.stop_near_home.weight,
            "access_without_purpose" => s.access_without_purpose.weight,
            "access_then_contact" => s.access_then_contact.weight,
            "vulnerable_subject" => s.vulnerable_subject.weight,
            "multiple_subjects" => s.multiple_subjects.weight,
            "repeat_complaints" => s.repeat_complaints.weight,
            _ => 0.0,
        }
    };
    let contribution = |f: &Finding| -> f64 {
        if !f.fired() {
            return 0.0;
        }
        weight(f.signal) * f.intensity.min(cap)
    };
    // The aggravator adds a share of what else fired on the pair.
    let aggravation = |f: &Finding, others: f64| -> f64 {
        if !f.fired() {
            0.0
        } else if f.value >= 2.0 {
            m.signals.vulnerable_subject.young_person_weight * others
        } else {
            m.signals.vulnerable_subject.weight * others
        }
    };
    let mut pairs: Vec<PairResult> = spans
        .par_iter()
        .map(|sp| {
            let v = ctx.view(sp);
            let volume = contact_volume::value(&v);
            let mut findings = signals::evaluate_pair(&v, &thresholds[v.officer as usize], volume);
            let vuln = vulnerable_subject::evaluate(&v, &findings);
            findings.push(vuln);
            debug_assert!(findings.iter().map(|f| f.signal).eq(PAIR_SIGNALS));
            let factor = match linked.subjects[v.subject as usize].kind {
                SubjectKind::Number => m.analysis.no_record_factor,
                SubjectKind::Person => 1.0,
            };
            let mut contributions = [0.0; PAIR_SIGNALS.len()];
            let last = PAIR_SIGNALS.len() - 1;
            for (c, f) in contributions.iter_mut().zip(&findings[..last]) {
                *c = contribution(f) * factor;
            }
            let others: f64 = contributions[..last].iter().sum();
            contributions[last] = aggravation(&findings[last], others);
            let score: f64 = contributions.iter().sum();
            let findings = if score > 0.0 || opts.keep_all_findings {
                findings
            } else {
                Vec::new()
            };
            let times = v
                .contacts
                .iter()
                .map(|c| c.c.at)
                .chain(v.near.iter().map(|n| n.s.at))
                .chain(v.accesses.iter().map(|a| a.a.at));
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
        })
        .collect();
    drop(spans);
    timings.push(("score pairs", lap(&mut t)));

    // Officers.
    let mut per_officer: Vec<Vec<usize>> = vec![Vec::new(); linked.officers.len()];
    for (i, p) in pairs.iter().enumerate() {
        per_officer[p.officer as usize].push(i);
    }
    let agg = &m.officer;
    // Each officer on its own, side by side; the pairs found to echo a higher one are
    // marked after (an officer's pairs are his alone).
    let scored: Vec<(OfficerResult, Vec<(usize, u32)>)> = per_officer
        .into_par_iter()
        .enumerate()
        .map(|(o, mut idx)| {
            idx.sort_by(|a, b| {
                pairs[*b].score.total_cmp(&pairs[*a].score).then_with(|| {
                    linked.subjects[pairs[*a].subject as usize]
                        .id
                        .cmp(&linked.subjects[pairs[*b].subject as usize].id)
                })
            });
            // Pairs resting only on stops a higher pair already counts (her neighbours).
            let mut claimed: HashMap<&str, u32> = HashMap::new();
            let mut echoes: Vec<(usize, u32)> = Vec::new();
            for i in &idx {
                let p = &pairs[*i];
                if p.score <= 0.0 {
                    break;
                }
                let rows: Vec<(&str, &str)> = p
                    .findings
                    .iter()
                    .filter(|f| f.fired() && f.signal != "vulnerable_subject")
                    .flat_map(|f| f.evidence.iter().map(|e| (e.table, e.row_id.as_str())))
                    .collect();
                let echo = !rows.is_empty()
                    && rows
                        .iter()
                        .all(|(t, r)| *t == "stops" && claimed.contains_key(r));
                if echo {
                    echoes.push((*i, claimed[rows[0].1]));
                } else {
                    for (t, r) in rows {
                        if t == "stops" {
                            claimed.entry(r).or_insert(p.subject);
                        }
                    }
                }
            }
            let echoed: std::collections::HashSet<usize> = echoes.iter().map(|e| e.0).collect();
            let counted: Vec<usize> = idx
                .iter()
                .copied()
                .filter(|i| !echoed.contains(i))
                .collect();
            let flagged: Vec<(String, f64, Ts)> = counted
                .iter()
                .map(|i| &pairs[*i])
                .filter(|p| p.score >= m.signals.multiple_subjects.min_pair_score)
                .map(|p| {
                    (
                        linked.subjects[p.subject as usize].id.clone(),
                        p.score,
                        p.first_event,
                    )
                })
                .collect();
            let findings = vec![
                multiple_subjects::evaluate(m, window, &flagged),
                repeat_complaints::evaluate(
                    m,
                    window,
                    linked.present.complaints,
                    &linked.complaints[o],
                ),
            ];
            debug_assert!(findings.iter().map(|f| f.signal).eq(OFFICER_SIGNALS));
            let contributions: Vec<f64> = findings.iter().map(contribution).collect();
            let mut score = 0.0;
            let mut factor = 1.0;
            for i in counted.iter().take(agg.top_pairs as usize) {
                score += pairs[*i].score * factor;
                factor *= agg.decay;
            }
            score += contributions.iter().sum::<f64>();
            let (style, style_reason) = style(m, &linked, &pairs, &idx, flagged.len());
            let top_reasons = top_reasons(&linked, &pairs, &idx, &findings, &contributions);
            let result = OfficerResult {
                officer: o as u32,
                pairs: idx,
                findings,
                contributions,
                score,
                tier: m.tier(score),
                rank: 0,
                style,
                style_reason,
                n_subjects_flagged: flagged.len(),
                top_reasons,
            };
            (result, echoes)
        })
        .collect();
    let mut officers: Vec<OfficerResult> = Vec::with_capacity(scored.len());
    for (result, echoes) in scored {
        for (i, of) in echoes {
            pairs[i].same_stops_as = Some(of);
        }
        officers.push(result);
    }
    let mut order: Vec<usize> = (0..officers.len()).collect();
    order.sort_by(|a, b| {
        officers[*b]
            .score
            .total_cmp(&officers[*a].score)
            .then_with(|| linked.officers[*a].id.cmp(&linked.officers[*b].id))
    });
    for (r, i) in order.into_iter().enumerate() {
        officers[i].rank = r as u32 + 1;
    }
    timings.push(("score officers", lap(&mut t)));
    drop(near);
    let mut linked = linked;
    if !opts.keep_events {
        linked.release_events();
    }
    Ok(Scored {
        events_kept: opts.keep_events,
        timings,
        linked,
        matrix: matrix.clone(),
        reference,
        window,
        pairs,
        officers,
    })
}

/// The style of an officer's warning signs (seed s.8) by the matrix's explicit rule.
fn style(
    m: &RiskMatrix,
    l: &Linked,
    pairs: &[PairResult],
    idx: &[usize],
    n_flagged: usize,
) -> (Option<&'static str>, String) {
    let st = &m.style;
    let fired =
        |p: &PairResult, name: &str| p.findings.iter().any(|f| f.signal == name && f.fired());
    // Signs of pursuing someone by phone (after_closure alone is a court result).
    const CONTACT_SIGNS: [&str; 5] = [
        "contact_volume",
        "escalation",
        "off_duty_contact",
        "night_contact",
        "unanswered_persistence",
    ];
    let wide: Vec<&PairResult> = idx
        .iter()
        .map(|i| &pairs[*i])
        .filter(|p| p.n_contacts > 0 && p.inbound_share <= st.exploratory_max_inbound_share)
        .filter(|p| {
            p.findings.iter().any(|f| {
                f.fired()
                    && CONTACT_SIGNS.contains(&f.signal)
                    && f.evidence.iter().any(|e| e.table == "billing")
            })
        })
        .collect();
    if wide.len() >= st.exploratory_min_subjects as usize {
        return (
            Some("exploratory"),
            format!(
                "{} subjects with a contact sign and at most {:.0}% of contact from them (at least {} needed)",
                wide.len(),
                st.exploratory_max_inbound_share * 100.0,
                st.exploratory_min_subjects
            ),
        );
    }
    if n_flagged >= 1 && n_flagged <= st.predatory_max_subjects as usize {
        for i in idx {
            let p = &pairs[*i];
            if p.score < m.signals.multiple_subjects.min_pair_score
                || !fired(p, "vulnerable_subject")
            {
                continue;
            }
            let intense: Vec<&str> = st
                .predatory_signs
                .iter()
                .filter(|s| fired(p, s))
                .map(String::as_str)
                .collect();
            if intense.len() >= st.predatory_min_intense as usize {
                return (
                    Some("predatory"),
                    format!(
                        "vulnerable subject {} with {} ({} of the intense signs, at least {} needed); {} flagged subject(s), at most {}",
                        l.subjects[p.subject as usize].id,
                        intense.join(", "),
                        intense.len(),
                        st.predatory_min_intense,
                        n_flagged,
                        st.predatory_max_subjects
                    ),
                );
            }
        }
    }
    (None, "neither style's rule holds".to_string())
}

/// The three largest contributions, as readable text.
fn top_reasons(
    l: &Linked,
    pairs: &[PairResult],
    idx: &[usize],
    officer_findings: &[Finding],
    officer_contributions: &[f64],
) -> String {
    let mut items: Vec<(f64, String)> = Vec::new();
    for i in idx.iter().take(3) {
        let p = &pairs[*i];
        for (f, c) in p.findings.iter().zip(&p.contributions) {
            if *c > 0.0 {
                items.push((
                    *c,
                    format!(
                        "{} with {} ({})",
                        f.signal,
                        l.subjects[p.subject as usize].id,
                        fmt_value(f)
                    ),
                ));
            }
        }
    }
    for (f, c) in officer_findings.iter().zip(officer_contributions) {
        if *c > 0.0 {
            items.push((*c, format!("{} ({})", f.signal, fmt_value(f))));
        }
    }
    items.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    items
        .into_iter()
        .take(3)
        .map(|(_, s)| s)
        .collect::<Vec<_>>()
        .join("; ")
}

/// `value vs threshold` for a finding.
pub fn fmt_value(f: &Finding) -> String {
    let n = |x: f64| {
        if x.fract() == 0.0 {
            format!("{x:.0}")
        } else {
            format!("{x:.2}")
        }
    };
    match f.signal {
        "access_then_contact" => format!("{} days, within {}", n(f.value), n(f.threshold)),
        "vulnerable_subject" => match f.value as u32 {
            2 => "young person".to_string(),
            1 => f.note.split(';').next().unwrap_or_default().to_string(),
            _ => "no vulnerability recorded".to_string(),
        },
        _ => format!("{} vs {}", n(f.value), n(f.threshold)),
    }
}

impl Scored {
    /// The result of an officer by id.
    pub fn officer(&self, id: &str) -> Option<&OfficerResult> {
        let i = *self.linked.officer_index.get(id)?;
        self.officers.get(i as usize)
    }
}
