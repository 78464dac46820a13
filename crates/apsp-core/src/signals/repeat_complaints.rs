//! `repeat_complaints` — "identify individuals who receive three or more complaints
//! within a 12-month period" (IOPC s.15). Officer level.
//!
//! Value: the complaints about the officer received in the `window_days` (365) up to
//! the reference time — (reference − `window_days`, reference], whatever the analysis
//! window — and the finding reports that window, so its count and its window agree.

use super::{days, Evidence, Finding};
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
    let ev: Vec<Evidence> = complaints
        .iter()
        .filter(|c| c.at > counted.0 && c.at <= counted.1)
        .map(|x| Evidence {
            table: "complaints",
            row_id: x.row.as_str().into(),
            at: x.at,
            detail: x.category.clone().unwrap_or_else(|| "complaint".into()),
        })
        .collect();
    let note = format!(
        "complaints received in the {} days up to the reference time",
        rc.window_days
    );
    Finding::count(
        Sign::RepeatComplaints,
        ev.len(),
        rc.min_complaints,
        counted,
        ev,
        note,
    )
}
