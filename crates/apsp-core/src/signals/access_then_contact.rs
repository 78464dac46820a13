//! `access_then_contact` — the officer took the woman's number "from force systems"
//! and messaged her three days later (IOPC s.5).
//!
//! Fired when the officer's first initiated contact with the subject (an outgoing
//! contact that is not a reply to one of hers, or the first undeployed stop near her
//! home) follows an unexplained access to her record within `max_days`. Value: the
//! days between the access and that first contact.

use std::sync::Arc;

use super::{days, Finding, PairView, Status};
use crate::link::{Ts, DAY, HOUR};
use crate::sign::Sign;

pub fn evaluate(p: &PairView<'_>) -> Finding {
    let m = &p.matrix.signals.access_then_contact;
    if !p.linked.present.access_log || !p.linked.present.case_links {
        return Finding::not_evaluated(
            Sign::AccessThenContact,
            p.window,
            "no access_log or case_links table",
        );
    }
    let first_contact = p
        .contacts
        .iter()
        .find(|c| c.contact.outgoing && !c.reply && !c.explained());
    let first_stop = p.near.iter().find(|s| s.visit());
    let first: Option<(Ts, super::Evidence)> = match (first_contact, first_stop) {
        (Some(c), Some(s)) if s.stop.at < c.contact.at => {
            Some((s.stop.at, s.evidence("first visit")))
        }
        (Some(c), _) => Some((
            c.contact.at,
            c.evidence("first contact the officer initiated"),
        )),
        (None, Some(s)) => Some((s.stop.at, s.evidence("first visit"))),
        (None, None) => None,
    };
    let not = |note: &Arc<str>| Finding {
        signal: Sign::AccessThenContact,
        value: 0.0,
        threshold: m.max_days as f64,
        window: p.window,
        status: Status::NotFired,
        intensity: 0.0,
        note: note.clone(),
        evidence: Vec::new(),
    };
    // A quarantined billing row of the pair at or before the first initiated contact
    // (or at an unknown time) may be her earlier message, making that contact a reply,
    // or his earlier one: which contact came first, and whose, is unknown.
    // Likewise a quarantined row of his device whose other party is unreadable, in
    // the reply window before that contact: it may be hers.
    let unknown = |before: Option<Ts>| {
        let between = p
            .contact_unknown
            .iter()
            .find(|u| match (u.at, before) {
                (Some(at), Some(t)) => at <= t,
                _ => true,
            })
            .map(|u| {
                let more = match p.contact_unknown.len() - 1 {
                    0 => String::new(),
                    n => format!(" and {n} more"),
                };
                format!(
                    "a billing row between them was quarantined ({}){more}",
                    u.row
                )
            });
        let unread = || {
            let t = before?;
            p.officer_contact_unknown
                .iter()
                .find(|u| u.at.is_some_and(|at| at <= t && t - at <= p.reply))
                .map(|u| {
                    format!(
                        "a billing row of his device just before it, its other party \
                         unreadable, was quarantined ({})",
                        u.row
                    )
                })
        };
        between.or_else(unread).map(|why| {
            Finding::not_evaluated(
                Sign::AccessThenContact,
                p.window,
                format!("who made the first contact is unknown: {why}; correct it and score again"),
            )
        })
    };
    // Without an unexplained access the sign cannot fire, whatever the row was.
    if p.accesses.iter().any(|a| a.unexplained()) {
        if let Some(f) = unknown(first.as_ref().map(|(t, _)| *t)) {
            return f;
        }
    }
    let Some((t, contact_ev)) = first else {
        return not(&p.notes.no_initiated_contact);
    };
    let access = p
        .accesses
        .iter()
        .rfind(|a| a.unexplained() && a.access.at <= t && t - a.access.at <= days(m.max_days));
    match access {
        Some(a) => {
            let gap = (t - a.access.at) as f64 / DAY as f64;
            Finding {
                signal: Sign::AccessThenContact,
                value: (gap * 10.0).round() / 10.0,
                threshold: m.max_days as f64,
                window: p.window,
                status: Status::Fired,
                intensity: 1.0,
                note: format!(
                    "first initiated contact {:.1} days ({} h) after an unexplained access",
                    gap,
                    (t - a.access.at) / HOUR
                )
                .into(),
                evidence: vec![a.evidence("unexplained access"), contact_ev],
            }
        }
        None => not(&p.notes.no_access_before),
    }
}
