//! `repeat_complaints` — "identify individuals who receive three or more complaints
//! within a 12-month period" (IOPC s.15). Officer level.
//!
//! Value: the most complaints about the officer in any `window_days` up to the
//! reference time (complaints before the analysis window count: history matters).

use super::{days, Evidence, Finding};
use crate::link::{Complaint, Ts};
use crate::matrix::RiskMatrix;
use crate::sign::Sign;

pub fn evaluate(
    m: &RiskMatrix,
    window: (Ts, Ts),
    present: bool,
    complaints: &[Complaint],
) -> Finding {
    let rc = &m.signals.repeat_complaints;
    if !present {
        return Finding::not_evaluated(Sign::RepeatComplaints, window, "no complaints table");
    }
    let c: Vec<&Complaint> = complaints.iter().filter(|c| c.at <= window.1).collect();
    let w = days(rc.window_days);
    let (mut best, mut best_at, mut lo) = (0usize, 0usize, 0usize);
    for hi in 0..c.len() {
        while c[hi].at - c[lo].at >= w {
            lo += 1;
        }
        if hi + 1 - lo > best {
            best = hi + 1 - lo;
            best_at = lo;
        }
    }
    let ev: Vec<Evidence> = c[best_at..best_at + best]
        .iter()
        .map(|x| Evidence {
            table: "complaints",
            row_id: x.row.as_str().into(),
            at: x.at,
            detail: x.category.clone().unwrap_or_else(|| "complaint".into()),
        })
        .collect();
    let note = format!("most complaints in any {} days", rc.window_days);
    Finding::count(
        Sign::RepeatComplaints,
        best,
        rc.min_complaints,
        window,
        ev,
        note,
    )
}
