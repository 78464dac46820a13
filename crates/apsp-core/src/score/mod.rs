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
//! - Tiers by score; rank by score (ties by officer id); offender style by the explicit
//!   rule of the matrix, with its reason.
//!
//! A score is a warning sign for review, never a verdict.

pub mod matrix;

use std::collections::{BTreeMap, HashMap};

pub use matrix::{LoadedMatrix, RiskMatrix};

use crate::error::{ApspError, Result};
use crate::ingest::Dataset;
use crate::link::{geo, Linked, SubjectKind, Ts, DAY, HOUR};
use crate::signals::{
    self, contact_volume, multiple_subjects, repeat_complaints, vulnerable_subject, AccessFact,
    ContactFact, Finding, NearStop, PairView, OFFICER_SIGNALS, PAIR_SIGNALS,
};

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
}

/// One scored pair.
#[derive(Debug, Clone)]
pub struct PairResult {
    pub officer: u32,
    pub subject: u32,
    /// One per pair sign, in `PAIR_SIGNALS` order.
    pub findings: Vec<Finding>,
    pub contributions: Vec<f64>,
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
    pub linked: Linked,
    pub matrix: LoadedMatrix,
    pub reference: Ts,
    /// (start, end] of the analysis window.
    pub window: (Ts, Ts),
    pub pairs: Vec<PairResult>,
    /// In officer order (as in the officers table).
    pub officers: Vec<OfficerResult>,
}

/// Scores a dataset.
pub fn score(ds: &Dataset, matrix: &LoadedMatrix, opts: &ScoreOptions) -> Result<Scored> {
    let linked = Linked::build(ds)?;
    let m = &matrix.matrix;
    let reference = match opts.reference_time.or_else(|| linked.latest_event()) {
        Some(t) => t,
        None => {
            return Err(ApspError::Dataset {
                dir: ds.manifest.dataset.clone().into(),
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
    let inside = |t: Ts| t > window.0 && t <= window.1;
    let snh = &m.signals.stop_near_home;
    let near = geo::stops_near_homes(
        &linked,
        snh.radius_m,
        snh.common_place_officers,
        window.0,
        window.1,
    );

    // The pairs and their events in the window.
    #[derive(Default)]
    struct Idx {
        contacts: Vec<usize>,
        near: Vec<usize>,
        accesses: Vec<usize>,
    }
    let mut keys: BTreeMap<(u32, u32), Idx> = BTreeMap::new();
    for (i, c) in linked.contacts.iter().enumerate() {
        if inside(c.at) {
            keys.entry((c.officer, c.subject))
                .or_default()
                .contacts
                .push(i);
        }
    }
    for (i, n) in near.iter().enumerate() {
        keys.entry((linked.stops[n.stop].officer, n.subject))
            .or_default()
            .near
            .push(i);
    }
    for (i, a) in linked.accesses.iter().enumerate() {
        if inside(a.at) {
            keys.entry((a.officer, a.subject))
                .or_default()
                .accesses
                .push(i);
        }
    }
    let reply = m.analysis.reply_hours as Ts * HOUR;
    let views: Vec<PairView<'_>> = keys
        .iter()
        .map(|(&(o, s), idx)| {
            let mut last_in: Option<Ts> = None;
            let contacts = idx
                .contacts
                .iter()
                .map(|&i| {
                    let c = &linked.contacts[i];
                    let is_reply = c.out && last_in.is_some_and(|t| c.at - t <= reply);
                    if !c.out {
                        last_in = Some(c.at);
                    }
                    ContactFact {
                        c,
                        on_duty: linked.on_duty(o, c.at),
                        involved: linked.involved(o, s, c.at),
                        reply: is_reply,
                    }
                })
                .collect();
            let near = idx
                .near
                .iter()
                .map(|&i| {
                    let n = near[i];
                    let st = &linked.stops[n.stop];
                    NearStop {
                        s: st,
                        metres: n.metres,
                        involved: linked.involved(o, s, st.at),
                        on_duty: linked.on_duty(o, st.at),
                        place_officers: n.place_officers,
                    }
                })
                .collect();
            let accesses = idx
                .accesses
                .iter()
                .map(|&i| {
                    let a = &linked.accesses[i];
                    AccessFact {
                        a,
                        involved: linked.involved(o, s, a.at),
                        purpose_ok: a
                            .purpose
                            .as_deref()
                            .is_some_and(|p| linked.purpose_holds(o, p, a.at)),
                    }
                })
                .collect();
            PairView {
                linked: &linked,
                m,
                officer: o,
                subject: s,
                window,
                contacts,
                near,
                accesses,
                involvements: linked.involvements(o, s),
            }
        })
        .collect();

    // Peer thresholds for contact volume, per role.
    let cv = &m.signals.contact_volume;
    // Each pair's volume (and its busiest window), once: the peer baseline needs every
    // pair's count before any pair is scored.
    let mut volumes: Vec<(usize, Vec<usize>)> = views.iter().map(contact_volume::value).collect();
    let mut role_officers: BTreeMap<&str, usize> = BTreeMap::new();
    for o in &linked.officers {
        *role_officers.entry(o.role.as_str()).or_default() += 1;
    }
    let mut by_role: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut all: Vec<usize> = Vec::new();
    let mut own: Vec<Vec<usize>> = vec![Vec::new(); linked.officers.len()];
    for (v, (val, _)) in views.iter().zip(&volumes) {
        if *val > 0 {
            by_role
                .entry(linked.officers[v.officer as usize].role.as_str())
                .or_default()
                .push(*val);
            all.push(*val);
            own[v.officer as usize].push(*val);
        }
    }
    all.sort_unstable();
    for v in by_role.values_mut() {
        v.sort_unstable();
    }
    for v in &mut own {
        v.sort_unstable();
    }
    let empty: Vec<usize> = Vec::new();
    let mut thresholds: Vec<Option<contact_volume::Threshold>> = vec![None; linked.officers.len()];
    let mut volume_threshold = |o: u32| -> contact_volume::Threshold {
        thresholds[o as usize]
            .get_or_insert_with(|| {
                let role = linked.officers[o as usize].role.as_str();
                let n = role_officers[role];
                let mine = &own[o as usize];
                if (n as u32) < cv.min_peers {
                    let basis = format!(
                        "all {} officers (role {role} has fewer than {} officers)",
                        linked.officers.len(),
                        cv.min_peers
                    );
                    contact_volume::threshold(&all, mine, cv.peer_quantile, cv.min_contacts, &basis)
                } else {
                    let basis = format!("{n} officers of role {role}");
                    let peers = by_role.get(role).unwrap_or(&empty);
                    contact_volume::threshold(
                        peers,
                        mine,
                        cv.peer_quantile,
                        cv.min_contacts,
                        &basis,
                    )
                }
            })
            .clone()
    };

    // Pair signs, contributions and scores.
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
    let mut pairs: Vec<PairResult> = Vec::with_capacity(views.len());
    for (k, v) in views.iter().enumerate() {
        let volume = std::mem::take(&mut volumes[k]);
        let mut findings = signals::evaluate_pair(v, &volume_threshold(v.officer), volume);
        let vuln = vulnerable_subject::evaluate(v, &findings);
        findings.push(vuln);
        debug_assert!(findings.iter().map(|f| f.signal).eq(PAIR_SIGNALS));
        let factor = match linked.subjects[v.subject as usize].kind {
            SubjectKind::Number => m.analysis.no_record_factor,
            SubjectKind::Person => 1.0,
        };
        let mut contributions: Vec<f64> = findings[..findings.len() - 1]
            .iter()
            .map(|f| contribution(f) * factor)
            .collect();
        let others: f64 = contributions.iter().sum();
        contributions.push(aggravation(&findings[findings.len() - 1], others));
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
        pairs.push(PairResult {
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
        });
    }
    drop(views);

    // Officers.
    let mut per_officer: Vec<Vec<usize>> = vec![Vec::new(); linked.officers.len()];
    for (i, p) in pairs.iter().enumerate() {
        per_officer[p.officer as usize].push(i);
    }
    let agg = &m.officer;
    let mut officers: Vec<OfficerResult> = Vec::with_capacity(linked.officers.len());
    for (o, mut idx) in per_officer.into_iter().enumerate() {
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
        for (i, of) in echoes {
            pairs[i].same_stops_as = Some(of);
        }
        let counted: Vec<usize> = idx
            .iter()
            .copied()
            .filter(|i| pairs[*i].same_stops_as.is_none())
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
        officers.push(OfficerResult {
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
        });
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
    Ok(Scored {
        linked,
        matrix: matrix.clone(),
        reference,
        window,
        pairs,
        officers,
    })
}

/// The offending style of an officer (seed s.8) by the matrix's explicit rule.
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
