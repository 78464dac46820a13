//! Officer aggregation: an officer's score is the sum over his pairs, highest first, of
//! pair score × `decay`^rank for the first `top_pairs` (the pairs' part), plus the
//! contributions of the officer-level signs: `multiple_subjects`, and
//! `repeat_complaints`, which raises the pairs' part by a share (see
//! [`complaints_boost`]). A pair resting only
//! on stops a higher pair already counts (a neighbour of the subject: the same visits)
//! is shown but not counted twice. Ranks by score, ties by officer id.

use std::collections::{BTreeMap, HashMap, HashSet};

use rayon::prelude::*;

use super::pairs::contribution;
use super::reasons::top_reasons;
use super::style::style;
use super::{NotEvaluated, OfficerResult, PairResult, PairTerm, SignNote};
use crate::link::{Linked, OfficerIx, SubjectIx, Ts};
use crate::matrix::RiskMatrix;
use crate::sign::Sign;
use crate::signals::{multiple_subjects, repeat_complaints, Finding, Status};

/// A pair shown but not counted: it rests only on stops that the pair of `counted_with`
/// (a higher pair of the same officer) already counts.
struct Echo {
    pair: usize,
    counted_with: SubjectIx,
}

/// Scores every officer from his pairs (side by side; an officer's pairs are his
/// alone), marking the pairs that echo a higher one, then ranks them. `dropped` holds,
/// by officer, the signs not evaluated for his pairs whose findings were not kept.
pub(super) fn score_officers(
    m: &RiskMatrix,
    linked: &Linked,
    window: (Ts, Ts),
    pairs: &mut [PairResult],
    dropped: Vec<BTreeMap<SignNote, usize>>,
) -> Vec<OfficerResult> {
    let mut per_officer: Vec<Vec<usize>> = vec![Vec::new(); linked.officers.len()];
    for (i, p) in pairs.iter().enumerate() {
        per_officer[p.officer.index()].push(i);
    }
    let shared: &[PairResult] = pairs;
    let scored: Vec<(OfficerResult, Vec<Echo>)> = per_officer
        .into_par_iter()
        .zip(dropped)
        .enumerate()
        .map(|(o, (idx, dropped))| {
            let (mut result, echoes) =
                score_officer(m, linked, window, shared, OfficerIx(o as u32), idx);
            result.not_evaluated = not_evaluated(shared, &result, dropped);
            (result, echoes)
        })
        .collect();
    let mut officers: Vec<OfficerResult> = Vec::with_capacity(scored.len());
    for (result, echoes) in scored {
        for e in echoes {
            pairs[e.pair].same_stops_as = Some(e.counted_with);
        }
        officers.push(result);
    }
    rank(linked, &mut officers);
    officers
}

/// One officer's result; `idx` are his pairs' indices in `pairs`.
fn score_officer(
    m: &RiskMatrix,
    linked: &Linked,
    window: (Ts, Ts),
    pairs: &[PairResult],
    o: OfficerIx,
    mut idx: Vec<usize>,
) -> (OfficerResult, Vec<Echo>) {
    idx.sort_by(|a, b| {
        pairs[*b].score.total_cmp(&pairs[*a].score).then_with(|| {
            linked.subjects[pairs[*a].subject]
                .id
                .cmp(&linked.subjects[pairs[*b].subject].id)
        })
    });
    let echoes = echoed_pairs(pairs, &idx);
    let echoed: HashSet<usize> = echoes.iter().map(|e| e.pair).collect();
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
                linked.subjects[p.subject].id.clone(),
                p.score,
                p.first_event,
            )
        })
        .collect();
    let findings = vec![
        multiple_subjects::evaluate(m, window, &flagged),
        repeat_complaints::evaluate(m, window, linked.present.complaints, &linked.complaints[o]),
    ];
    debug_assert!(findings.iter().map(|f| f.signal).eq(Sign::OFFICER));
    let terms = pair_terms(m, pairs, &counted);
    let pairs_part: f64 = terms.iter().map(|t| pairs[t.pair].score * t.factor).sum();
    let contributions: Vec<f64> = findings
        .iter()
        .map(|f| match f.signal {
            Sign::RepeatComplaints => complaints_boost(m, f, pairs_part),
            _ => contribution(m, f),
        })
        .collect();
    let score = pairs_part + contributions.iter().sum::<f64>();
    let (style, style_reason) = style(m, linked, pairs, &idx, flagged.len());
    let top_reasons = top_reasons(linked, pairs, &terms, &findings, &contributions);
    let result = OfficerResult {
        officer: o,
        pairs: idx,
        terms,
        findings,
        contributions,
        score,
        tier: m.tier(score),
        rank: 0,
        style,
        style_reason,
        n_subjects_flagged: flagged.len(),
        top_reasons,
        not_evaluated: Vec::new(),
    };
    (result, echoes)
}

/// What complaints add: they raise the pairs' part of the officer's score, never stand
/// in for it — `weight` × min(intensity, cap) × max(`pairs_part`, `min_base`), the
/// intensity being the complaints' category weights over `min_complaints` (0 unless
/// fired).
fn complaints_boost(m: &RiskMatrix, f: &Finding, pairs_part: f64) -> f64 {
    if !f.fired() {
        return 0.0;
    }
    let rc = &m.signals.repeat_complaints;
    rc.weight * f.intensity.min(m.analysis.intensity_cap) * pairs_part.max(rc.min_base)
}

/// The terms of the officer's score: of his `counted` pairs (highest first, echoes
/// left out), the first `top_pairs` with a score, × 1, `decay`, `decay`², ...
fn pair_terms(m: &RiskMatrix, pairs: &[PairResult], counted: &[usize]) -> Vec<PairTerm> {
    let mut factor = 1.0;
    counted
        .iter()
        .filter(|i| pairs[**i].score > 0.0)
        .take(m.officer.top_pairs as usize)
        .map(|i| {
            let t = PairTerm { pair: *i, factor };
            factor *= m.officer.decay;
            t
        })
        .collect()
}

/// The signs not evaluated for the officer's subjects and for the officer, by sign and
/// reason, with how many subjects each covers: from the findings kept (of his pairs
/// and his own) and the counts of those not kept (`dropped`).
fn not_evaluated(
    pairs: &[PairResult],
    o: &OfficerResult,
    mut dropped: BTreeMap<SignNote, usize>,
) -> Vec<NotEvaluated> {
    let note = |f: &Finding| SignNote {
        sign: f.signal,
        note: f.note.clone(),
    };
    let unevaluated = |f: &&Finding| f.status == Status::NotEvaluated;
    for i in &o.pairs {
        for n in pairs[*i].findings.iter().filter(unevaluated).map(note) {
            *dropped.entry(n).or_default() += 1;
        }
    }
    for n in o.findings.iter().filter(unevaluated).map(note) {
        dropped.entry(n).or_default();
    }
    dropped
        .into_iter()
        .map(|(n, subjects)| NotEvaluated {
            sign: n.sign,
            note: n.note,
            subjects,
        })
        .collect()
}

/// The pairs (of `idx`, highest score first) whose fired signs rest only on stops a
/// higher pair already counts: her neighbours, the same visits seen from next door.
fn echoed_pairs(pairs: &[PairResult], idx: &[usize]) -> Vec<Echo> {
    let mut claimed: HashMap<&str, SubjectIx> = HashMap::new();
    let mut echoes: Vec<Echo> = Vec::new();
    for i in idx {
        let p = &pairs[*i];
        if p.score <= 0.0 {
            break;
        }
        let rows: Vec<(&str, &str)> = p
            .findings
            .iter()
            .filter(|f| f.fired() && f.signal != Sign::VulnerableSubject)
            .flat_map(|f| f.evidence.iter().map(|e| (e.table, e.row_id.as_str())))
            .collect();
        let echo = !rows.is_empty()
            && rows
                .iter()
                .all(|(t, r)| *t == "stops" && claimed.contains_key(r));
        if echo {
            echoes.push(Echo {
                pair: *i,
                counted_with: claimed[rows[0].1],
            });
        } else {
            for (t, r) in rows {
                if t == "stops" {
                    claimed.entry(r).or_insert(p.subject);
                }
            }
        }
    }
    echoes
}

/// Ranks officers by score (1 = highest), ties by officer id.
fn rank(linked: &Linked, officers: &mut [OfficerResult]) {
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
}
