//! `stop_near_home` — "vehicle ... stopped on four occasions in the vicinity of the
//! woman's home" (IOPC s.9); "MDT GPS ... in the vicinity of the woman's address on
//! several occasions ... not deployed to this area" (IOPC s.27).
//!
//! Value: the officer's stops within `radius_m` of the subject's home that no
//! deployment of his within the radius explains, made when he was not involved with
//! anyone living within the radius. Fired when there are at least `min_stops` and the
//! place's background makes that many unusual for him (`crate::place`: a binomial tail
//! at most `max_p_value`); intensity is the stops beyond what the place predicts, per
//! `min_stops`.

use super::{Finding, PairView, Status};
use crate::sign::Sign;

pub fn evaluate(p: &PairView<'_>) -> Finding {
    let m = &p.matrix.signals.stop_near_home;
    if !p.linked.present.stops {
        return Finding::not_evaluated(Sign::StopNearHome, p.window, "no stops table");
    }
    if p.home().is_none() {
        return Finding::not_evaluated(
            Sign::StopNearHome,
            p.window,
            "no home address for the subject",
        );
    }
    // Every stop of the pair carries the same verdict: on all of them together.
    let Some(verdict) = p.near.first().map(|s| s.verdict) else {
        return Finding::count(
            Sign::StopNearHome,
            0,
            m.min_stops,
            p.window,
            Vec::new(),
            p.notes.stop_near_home.clone(),
        );
    };
    let threshold = f64::from(m.min_stops.max(1));
    let fired = verdict.unusual;
    Finding {
        signal: Sign::StopNearHome,
        value: verdict.stops as f64,
        threshold,
        window: p.window,
        status: Status::of(fired),
        intensity: (verdict.stops as f64 - verdict.expected).max(0.0) / threshold,
        note: super::shared_note(p.notes.stop_near_home.as_ref()),
        evidence: if fired {
            p.near.iter().map(|s| s.evidence("")).collect()
        } else {
            Vec::new()
        },
    }
}
