//! `vulnerable_subject` — aggravator: "the breach will be aggravated where the member
//! of the public is particularly vulnerable" (IOPC s.18 para 12).
//!
//! Fired when the subject carries a vulnerability flag in force records, or was under
//! 18 at the time of the pair's first event (a young person, weighted more), and
//! another sign of the pair fired: it adds weight, it never flags on its own. Value: 1
//! for a vulnerability flag, 2 for a young person. Not
//! evaluated for a number that matches no person (nothing is known of them).

use super::{Evidence, Finding, PairView, Status};
use crate::sign::Sign;

pub fn evaluate(p: &PairView<'_>, others: &[Finding]) -> Finding {
    let w = p.window;
    let s = &p.linked.subjects[p.subject];
    let Some(person) = &s.person else {
        return Finding::not_evaluated(
            Sign::VulnerableSubject,
            w,
            "a number in no record: vulnerability unknown",
        );
    };
    if !p.linked.present.persons {
        return Finding::not_evaluated(Sign::VulnerableSubject, w, "no persons table");
    }
    let first = p
        .contacts
        .iter()
        .map(|c| c.contact.at)
        .chain(p.near.iter().map(|n| n.stop.at))
        .chain(p.accesses.iter().map(|a| a.access.at))
        .min()
        .unwrap_or(w.1);
    let young = person.young_at(first);
    let flagged = !person.flags.is_empty() || young;
    let another = others.iter().any(|f| f.fired());
    let fired = flagged && another;
    let what = match (young, person.flags.is_empty()) {
        (true, true) => "young person (under 18)".to_string(),
        (true, false) => format!("young person (under 18); {}", person.flags.join(", ")),
        (false, false) => person.flags.join(", "),
        (false, true) => "no vulnerability recorded".to_string(),
    };
    Finding {
        signal: Sign::VulnerableSubject,
        // 1 = a vulnerability flag, 2 = a young person (weighted more in scoring).
        value: if young {
            2.0
        } else if flagged {
            1.0
        } else {
            0.0
        },
        threshold: 1.0,
        window: w,
        status: if fired {
            Status::Fired
        } else {
            Status::NotFired
        },
        intensity: 1.0,
        note: if !flagged {
            p.notes.no_vulnerability.clone()
        } else if !another {
            super::shared_note(&format!("{what}; no other sign fired, so no weight"))
        } else {
            super::shared_note(&what)
        },
        evidence: if fired {
            vec![Evidence {
                table: "persons",
                row_id: s.id.as_str().into(),
                at: first,
                detail: what,
                source: s.person.as_ref().and_then(|p| p.source),
            }]
        } else {
            Vec::new()
        },
    }
}
