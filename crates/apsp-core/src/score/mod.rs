//! Scoring: every officer × subject pair and every officer against the twelve warning
//! signs, under a versioned risk matrix.
//!
//! - A fired sign contributes `weight × min(intensity, intensity_cap)`, times
//!   `no_record_factor` when the subject is a number in no police record; the
//!   aggravator `vulnerable_subject` contributes its weight times the sum of the others
//!   (the young-person weight for a subject under 18). **Pair score = the sum of its
//!   contributions, exactly.**
//! - Officer score = Σ over the officer's pairs, highest first, of pair score ×
//!   `decay`^rank for the first `top_pairs` (the pairs' part), plus the contributions
//!   of the officer-level signs: `multiple_subjects`, and `repeat_complaints`, which
//!   raises the pairs' part by a share that grows with the complaints' category
//!   weights (complaints alone add little: they are a booster, not a pattern). A pair resting only on stops a
//!   higher pair already counts (a neighbour of the subject: the same visits) is shown
//!   but not counted twice.
//! - Tiers by score; rank by score (ties by officer id); style (IOPC s.8) by the explicit
//!   rule of the matrix, with its reason.
//!
//! Layout: [`pairs`] (pair views, signs, contributions), [`peers`] (role baselines),
//! [`officers`] (aggregation, echoes, ranks), [`style`], [`reasons`].
//!
//! A score is a warning sign for review, never a verdict.

mod officers;
mod pairs;
mod peers;
mod reasons;
mod reference;
mod style;

use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;

pub use crate::matrix::{LoadedMatrix, RiskMatrix};
pub use reasons::fmt_value;
pub use reference::{parse_reference_time, ReferenceBasis};

use crate::error::{ApspError, Result};
use crate::ingest::Dataset;
use crate::link::{Linked, OfficerIx, SubjectIx, Ts, DAY, HOUR};
use crate::place;
use crate::sign::Sign;
use crate::signals::{self, Finding};
use pairs::PairViews;

/// Run settings besides the matrix.
#[derive(Debug, Clone, Default)]
pub struct ScoreOptions {
    /// End of the analysis window (UTC µs); default: the latest event in the data
    /// that is in line with the rest (the matrix's `analysis.reference_*` rule).
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
    pub officer: OfficerIx,
    pub subject: SubjectIx,
    /// One per pair sign, in [`Sign::PAIR`] order (none when the pair scores 0, unless
    /// [`ScoreOptions::keep_all_findings`]).
    pub findings: Vec<Finding>,
    /// One per pair sign, in [`Sign::PAIR`] order.
    pub contributions: [f64; Sign::PAIR.len()],
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
    pub same_stops_as: Option<SubjectIx>,
}

/// A pair's term in its officer's score: the pair's score × `factor`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairTerm {
    /// Index into `Scored::pairs`.
    pub pair: usize,
    /// 1 for the best pair counted, then `decay`, `decay`², ...
    pub factor: f64,
}

/// One scored officer.
#[derive(Debug, Clone)]
pub struct OfficerResult {
    pub officer: OfficerIx,
    /// Indices into `Scored::pairs`, highest score first.
    pub pairs: Vec<usize>,
    /// The pairs counted in the score, highest first, with their factors: the first
    /// `top_pairs` with a score above 0, leaving out those resting only on a higher
    /// pair's stops. Score = Σ pair score × factor + Σ `contributions`.
    pub terms: Vec<PairTerm>,
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
    /// The signs not evaluated for some of the officer's subjects or for the officer,
    /// and why, by sign: "not looked at", never "cleared" (also when the pairs scored 0
    /// and kept no findings).
    pub not_evaluated: Vec<NotEvaluated>,
}

/// A sign and a note about it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SignNote {
    pub sign: Sign,
    pub note: Arc<str>,
}

/// A warning sign not evaluated (its inputs absent) for some of an officer's subjects,
/// or for the officer, for one reason.
#[derive(Debug, Clone, PartialEq)]
pub struct NotEvaluated {
    pub sign: Sign,
    /// Why (the finding's note).
    pub note: Arc<str>,
    /// How many of the officer's subjects it was not evaluated for, for this reason (0
    /// for an officer-level sign).
    pub subjects: usize,
}

/// A warning sign not evaluated somewhere in a run: for how many officer × subject
/// pairs (pair signs) or officers (officer signs), whether that is the whole run (its
/// data is absent) and the reasons, most frequent first. The force-level account of
/// [`OfficerResult::not_evaluated`], said by the CLI, the Python warnings and the
/// manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct SignGap {
    pub sign: Sign,
    /// Officers it was not evaluated for (for some of their subjects, or themselves).
    pub officers: usize,
    /// Pairs it was not evaluated for (0 for an officer-level sign).
    pub pairs: usize,
    /// Not evaluated anywhere in the run: every pair (or every officer).
    pub whole: bool,
    pub reasons: Vec<Arc<str>>,
}

/// One sign's gaps while they are counted.
#[derive(Default)]
struct GapCount {
    officers: usize,
    pairs: usize,
    officer_level: bool,
    reasons: Vec<(Arc<str>, usize)>,
}

impl Scored {
    /// The signs not evaluated for at least one pair or officer, in sign order.
    pub fn signs_not_evaluated(&self) -> Vec<SignGap> {
        let mut by_sign: std::collections::BTreeMap<Sign, GapCount> =
            std::collections::BTreeMap::new();
        for o in &self.officers {
            let mut seen: Vec<Sign> = Vec::new();
            for n in &o.not_evaluated {
                let g = by_sign.entry(n.sign).or_default();
                if !seen.contains(&n.sign) {
                    seen.push(n.sign);
                    g.officers += 1;
                }
                g.pairs += n.subjects;
                g.officer_level |= n.subjects == 0;
                let weight = n.subjects.max(1);
                match g.reasons.iter_mut().find(|(r, _)| *r == n.note) {
                    Some((_, k)) => *k += weight,
                    None => g.reasons.push((n.note.clone(), weight)),
                }
            }
        }
        by_sign
            .into_iter()
            .map(|(sign, mut g)| {
                g.reasons
                    .sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                let whole = if g.officer_level {
                    g.officers == self.officers.len()
                } else {
                    g.pairs == self.pairs.len()
                };
                SignGap {
                    sign,
                    officers: g.officers,
                    pairs: g.pairs,
                    whole,
                    reasons: g.reasons.into_iter().map(|(r, _)| r).collect(),
                }
            })
            .collect()
    }
}

/// A scored dataset.
pub struct Scored {
    /// The officers and subjects; the events too with [`ScoreOptions::keep_events`]
    /// (else released once scored: see [`Linked::release_events`]; the findings carry
    /// their evidence).
    pub linked: Linked,
    pub matrix: LoadedMatrix,
    pub reference: Ts,
    /// Whether the reference time was given, and the events after it (not scored).
    pub reference_basis: ReferenceBasis,
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
    let mut linked = linked;
    linked.lapse_open_cases(m.analysis.open_case_days);
    linked.index_case_work();
    let AnalysisWindow {
        reference,
        basis: reference_basis,
        window,
    } = analysis_window(&linked, m, opts)?;
    let stop_near_home = &m.signals.stop_near_home;
    on_stage("stops near homes");
    let near = place::stops_near_homes(&linked, stop_near_home, window);
    timings.push(("stops near homes", lap(&mut t)));

    // The pairs: runs of the (officer, subject, time)-sorted contacts, near stops and
    // accesses in the window, merged. Views are built from them when needed, pair by
    // pair, never all at once.
    on_stage("scoring pairs");
    let spans = pairs::pair_spans(&linked, &near, window);
    let notes = signals::Notes::new(m);
    let views = PairViews {
        linked: &linked,
        notes: &notes,
        near: &near,
        matrix: m,
        window,
        reply: m.analysis.reply_hours as Ts * HOUR,
        purpose_grace: m.signals.access_without_purpose.purpose_grace_days as Ts * DAY,
        roster_cover: m.analysis.roster_cover_days as Ts * DAY,
        work_evidence: crate::link::WorkEvidence {
            margin: m.analysis.working_margin_minutes as Ts * crate::link::MINUTE,
            case_subjects: m.analysis.working_case_subjects as usize,
        },
    };
    let thresholds = peers::volume_thresholds(&views, &spans);
    // In parallel, collected in pair order: the result does not depend on the threads.
    let dropped = pairs::DroppedNotEvaluated::new(linked.officers.len());
    let mut pairs: Vec<PairResult> = spans
        .par_iter()
        .map(|sp| {
            let threshold = &thresholds[sp.officer];
            let keep = opts.keep_all_findings;
            pairs::score_pair(&views.view(sp), threshold, keep, &dropped)
        })
        .collect();
    drop(spans);
    timings.push(("score pairs", lap(&mut t)));

    let dropped = dropped.into_counts();
    let officers = officers::score_officers(m, &linked, window, &mut pairs, dropped);
    timings.push(("score officers", lap(&mut t)));
    drop(near);
    if !opts.keep_events {
        linked.release_events();
    }
    Ok(Scored {
        events_kept: opts.keep_events,
        timings,
        linked,
        matrix: matrix.clone(),
        reference,
        reference_basis,
        window,
        pairs,
        officers,
    })
}

/// The reference time, how it was chosen, and the (start, end] analysis window.
struct AnalysisWindow {
    reference: Ts,
    basis: ReferenceBasis,
    window: (Ts, Ts),
}

/// The reference time (given, or read from the data by the matrix's rule) and the
/// analysis window ending there.
fn analysis_window(linked: &Linked, m: &RiskMatrix, opts: &ScoreOptions) -> Result<AnalysisWindow> {
    let given = opts.reference_time.is_some();
    let Some(reference) = opts
        .reference_time
        .or_else(|| reference::from_data(linked, &m.analysis))
    else {
        return Err(ApspError::Dataset {
            dir: linked.dataset.clone().into(),
            message: "no billing, stop or access event to score (and no --reference-time)".into(),
        });
    };
    let window_days = opts.window_days.unwrap_or(m.analysis.window_days);
    if window_days == 0 {
        return Err(ApspError::Setting {
            name: "window_days",
            value: "0".into(),
            message: "the analysis window needs at least one day".into(),
        });
    }
    Ok(AnalysisWindow {
        reference,
        basis: reference::basis(linked, reference, given),
        window: (reference - window_days as Ts * DAY, reference),
    })
}

impl Scored {
    /// The events after a reference time read from the data, set aside as out of line
    /// with the rest (a device clock years ahead), said in one sentence; None when
    /// there are none or the reference time was given.
    pub fn set_aside_note(&self) -> Option<String> {
        let b = &self.reference_basis;
        if b.given || b.events_after == 0 {
            return None;
        }
        let at = |t| self.linked.local_time(t);
        Some(format!(
            "{} event(s) after {} (the first at {}) set aside as out of line with the rest of \
             the data (a device clock wrong?): not scored, counted in manifest.json",
            b.events_after,
            at(self.reference),
            b.first_after.map(at).unwrap_or_default()
        ))
    }

    /// The result of an officer by id.
    pub fn officer(&self, id: &str) -> Option<&OfficerResult> {
        let i = *self.linked.officer_index.get(id)?;
        self.officers.get(i.index())
    }
}
