//! `stop_near_home` — "vehicle ... stopped on four occasions in the vicinity of the
//! woman's home" (IOPC s.9); "MDT GPS ... in the vicinity of the woman's address on
//! several occasions ... not deployed to this area" (IOPC s.27).
//!
//! Value: the officer's stops within `radius_m` of the subject's home that no
//! deployment of theirs within the radius explains, made when they were not involved
//! with the subject, and not at a place where at least `common_place_officers`
//! distinct officers stop (a stop where every officer stops explains itself).

use super::{Finding, PairView};
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
    let ev: Vec<_> = p
        .near
        .iter()
        .filter(|s| !s.involved && s.place_officers < m.common_place_officers)
        .map(|s| s.evidence(""))
        .collect();
    Finding::count(
        Sign::StopNearHome,
        ev.len(),
        m.min_stops,
        p.window,
        ev,
        p.notes.stop_near_home.clone(),
    )
}
