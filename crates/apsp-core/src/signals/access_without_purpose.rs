//! `access_without_purpose` — "access police-held information for a legitimate or
//! authorised policing purpose only"; "do not use police systems to assess someone's
//! background" (IOPC s.5, s.18).
//!
//! Value: accesses to the subject's record when the officer was not involved with the
//! subject, unless the purpose reference names a case the officer was involved in at
//! the time. Not evaluated without the audit log or case links (involvement unknown).

use super::{Finding, PairView};
use crate::sign::Sign;

pub fn evaluate(p: &PairView<'_>) -> Finding {
    let m = &p.matrix.signals.access_without_purpose;
    if !p.linked.present.access_log {
        return Finding::not_evaluated(Sign::AccessWithoutPurpose, p.window, "no access_log table");
    }
    if !p.linked.present.case_links {
        return Finding::not_evaluated(
            Sign::AccessWithoutPurpose,
            p.window,
            "no case_links table: involvement unknown",
        );
    }
    let ev: Vec<_> = p
        .accesses
        .iter()
        .filter(|a| a.unexplained())
        .map(|a| a.evidence(""))
        .collect();
    Finding::count(
        Sign::AccessWithoutPurpose,
        ev.len(),
        m.min_events,
        p.window,
        ev,
        p.notes.access_without_purpose.clone(),
    )
}
