//! `off_duty_contact` — "contacted or visited by an officer when off-duty", "sending
//! messages while off duty" (IOPC s.7).
//!
//! Value: engaged contacts with the subject (outgoing, or incoming and answered)
//! outside any rostered shift, at times the officer's roster covers (a shift of his
//! within `analysis.roster_cover_days`). Not evaluated when the roster covers none of
//! the pair's contacts: rosters that miss an officer, or a shifts export covering part
//! of the window, would make his work look off duty.

use super::{Finding, PairView};
use crate::sign::Sign;

pub fn evaluate(p: &PairView<'_>) -> Finding {
    let m = &p.matrix.signals.off_duty_contact;
    if !p.linked.present.billing {
        return Finding::not_evaluated(Sign::OffDutyContact, p.window, "no billing table");
    }
    if !p.rostered() {
        return Finding::not_evaluated(
            Sign::OffDutyContact,
            p.window,
            "no roster (shifts) of the officer covering these contacts",
        );
    }
    let ev: Vec<_> = p
        .contacts
        .iter()
        .filter(|c| c.engaged && c.rostered && !c.working)
        .map(|c| c.evidence("outside any rostered shift"))
        .collect();
    Finding::count(
        Sign::OffDutyContact,
        ev.len(),
        m.min_events,
        p.window,
        ev,
        p.notes.off_duty_contact.clone(),
    )
}
