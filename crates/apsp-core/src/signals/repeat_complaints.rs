//! `repeat_complaints` — "identify individuals who receive three or more complaints
//! within a 12-month period" (IOPC s.15). Officer level.
//!
//! Value: the complaints about the officer received in the `window_days` (365) up to
//! the reference time — (reference − `window_days`, reference], whatever the analysis
//! window — and the finding reports that window, so its count and its window agree.
//! Fired at `min_complaints`.
//!
//! Complaints raise the officer's contact-based score, never stand in for it: the
//! intensity is the sum of the complaints' category weights (sexual misconduct weighs
//! most, incivility little) over `min_complaints`, and the score adds `weight` ×
//! min(intensity, cap) × max(the pairs' part of his score, `min_base`) (see
//! `score::officers`).

use super::{days, shared_note, Evidence, Finding};
use crate::link::{Complaint, Ts};
use crate::matrix::RiskMatrix;
use crate::sign::Sign;

/// `window`: the analysis window; its end is the reference time.
pub fn evaluate(
    m: &RiskMatrix,
    window: (Ts, Ts),
    present: bool,
    complaints: &[Complaint],
) -> Finding {
    let rc = &m.signals.repeat_complaints;
    let counted = (window.1 - days(rc.window_days), window.1);
    if !present {
        return Finding::not_evaluated(Sign::RepeatComplaints, counted, "no complaints table");
    }
    let mut weights = 0.0;
    let ev: Vec<Evidence> = complaints
        .iter()
        .filter(|c| c.at > counted.0 && c.at <= counted.1)
        .map(|x| {
            let w = rc.category_weight(x.category.as_deref());
            weights += w;
            Evidence {
                table: "complaints",
                row_id: x.row.as_str().into(),
                at: x.at,
                source: Some(x.source),
                detail: format!(
                    "{} (category weight {w:.1})",
                    x.category.as_deref().unwrap_or("no category")
                ),
            }
        })
        .collect();
    let n = ev.len();
    let mut f = Finding::count(
        Sign::RepeatComplaints,
        n,
        rc.min_complaints,
        counted,
        ev,
        "",
    );
    f.intensity = weights / f.threshold;
    let boost = rc.weight * f.intensity.min(m.analysis.intensity_cap);
    let mut note = format!(
        "complaints received in the {} days up to the reference time; category weights sum to {weights:.2} of {:.0} at full weight",
        rc.window_days, f.threshold
    );
    if f.fired() {
        note += &format!(
            ": raises the pairs' part of his score (counted as at least {:.2}) by {:.0} %",
            rc.min_base,
            boost * 100.0
        );
    }
    f.note = shared_note(&note);
    f
}
