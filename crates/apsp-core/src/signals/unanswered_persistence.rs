//! `unanswered_persistence` — "38 calls ... 30 of these calls were less than five
//! seconds", "no calls registered from the woman's number" (IOPC s.9).
//!
//! Value: outgoing calls of at most `short_seconds` to the subject, except those made on
//! shift while involved with her (a caseworker whose victim does not pick up is doing
//! the job); fired at `min_short_calls` when the subject's share of the pair's contacts
//! is at most `max_inbound_share` (persistence, not an exchange). A call without a
//! duration is not known to be short: when none of the pair's outgoing calls has one
//! (a carrier export without durations), the sign is not evaluated.

use super::{numbered_note, Finding, PairView, Status};
use crate::sign::Sign;

pub fn evaluate(p: &PairView<'_>) -> Finding {
    let m = &p.matrix.signals.unanswered_persistence;
    if !p.linked.present.billing {
        return Finding::not_evaluated(Sign::UnansweredPersistence, p.window, "no billing table");
    }
    let calls = || {
        p.contacts
            .iter()
            .filter(|c| c.contact.outgoing && c.contact.call)
    };
    if calls().next().is_some() && calls().all(|c| c.contact.duration.is_none()) {
        return Finding::not_evaluated(
            Sign::UnansweredPersistence,
            p.window,
            "no call durations for this pair's outgoing calls",
        );
    }
    let short: Vec<_> = calls()
        .filter(|c| c.contact.short_call(m.short_seconds) && !c.explained())
        .collect();
    let share = p.inbound_share();
    let n = short.len();
    let fired = n as u32 >= m.min_short_calls && share <= m.max_inbound_share;
    Finding {
        signal: Sign::UnansweredPersistence,
        value: n as f64,
        threshold: m.min_short_calls as f64,
        window: p.window,
        status: if fired {
            Status::Fired
        } else {
            Status::NotFired
        },
        intensity: n as f64 / m.min_short_calls.max(1) as f64,
        note: numbered_note(
            "unanswered_persistence",
            [
                m.short_seconds as u64,
                share.to_bits(),
                m.max_inbound_share.to_bits(),
                0,
                0,
                0,
            ],
            || {
                format!(
                    "outgoing calls of <= {} s; the subject's share of contacts {:.0}% (at most {:.0}%)",
                    m.short_seconds,
                    share * 100.0,
                    m.max_inbound_share * 100.0
                )
            },
        ),
        evidence: if fired {
            short
                .iter()
                .map(|c| c.evidence("short outgoing call"))
                .collect()
        } else {
            Vec::new()
        },
    }
}
