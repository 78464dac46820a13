//! `after_closure` — "continued contact after investigation is complete" (IOPC s.7);
//! the end of the officer's own involvement (a hand-over, s.27) counts as closure for
//! them.
//!
//! Value: the officer's outgoing contacts, undeployed stops near the subject's home and
//! record accesses more than `grace_days` after an involvement of the officer with the
//! subject ended, and inside none of their involvements (plus grace). The subject's own
//! calls and messages are not counted: a repeat caller ringing the officer she knows is
//! her contact, not his. A pair with no case link has nothing to close: not fired,
//! value 0.

use super::{days, Evidence, Finding, PairView};
use crate::link::Ts;
use crate::sign::Sign;

pub fn evaluate(p: &PairView<'_>) -> Finding {
    let m = &p.matrix.signals.after_closure;
    if !p.linked.present.case_links {
        return Finding::not_evaluated(Sign::AfterClosure, p.window, "no case_links table");
    }
    if p.involvements.is_empty() {
        return Finding::count(
            Sign::AfterClosure,
            0,
            m.min_events,
            p.window,
            Vec::new(),
            "no case link between officer and subject",
        );
    }
    let grace = days(m.grace_days);
    let after = |t: Ts| -> Option<&str> {
        let inside = p
            .involvements
            .iter()
            .any(|i| i.opened <= t && i.end.is_none_or(|e| t <= e + grace));
        if inside {
            return None;
        }
        p.involvements
            .iter()
            .filter(|i| i.end.is_some_and(|e| t > e + grace))
            .map(|i| i.case_id.as_str())
            .next_back()
    };
    let mut ev: Vec<Evidence> = Vec::new();
    for c in &p.contacts {
        if c.contact.outgoing {
            if let Some(case) = after(c.contact.at) {
                ev.push(c.evidence(&format!("after involvement in {case} ended")));
            }
        }
    }
    for s in p.near.iter().filter(|s| s.visit()) {
        if let Some(case) = after(s.stop.at) {
            ev.push(s.evidence(&format!("after involvement in {case} ended")));
        }
    }
    for a in &p.accesses {
        if let Some(case) = after(a.access.at) {
            ev.push(a.evidence(&format!("after involvement in {case} ended")));
        }
    }
    ev.sort_by(|a, b| (a.at, &a.row_id).cmp(&(b.at, &b.row_id)));
    Finding::count(
        Sign::AfterClosure,
        ev.len(),
        m.min_events,
        p.window,
        ev,
        p.notes.after_closure.clone(),
    )
}
