//! `night_contact` — "unexpected visits or welfare checks at all times of the day"
//! (force guidance); visits "during afternoon or evening shifts" (IOPC s.9).
//!
//! Value: engaged contacts and visits (stops near the subject's home that the place
//! does not explain, see `crate::place`) between `start_hour` and `end_hour` local
//! time, except contacts made on shift while involved with the subject (night-shift
//! work on an open case is normal; a stop explained by an involvement is no visit).

use super::{Finding, PairView};
use crate::sign::Sign;

pub fn evaluate(p: &PairView<'_>) -> Finding {
    let m = &p.matrix.signals.night_contact;
    if !p.linked.present.billing && !p.linked.present.stops {
        return Finding::not_evaluated(Sign::NightContact, p.window, "no billing or stops table");
    }
    let night = |t| {
        let h = p.linked.local_hour(t);
        if m.start_hour > m.end_hour {
            h >= m.start_hour || h < m.end_hour
        } else {
            h >= m.start_hour && h < m.end_hour
        }
    };
    let mut ev: Vec<_> = p
        .contacts
        .iter()
        .filter(|c| c.engaged && !c.explained() && night(c.contact.at))
        .map(|c| c.evidence("at night"))
        .collect();
    ev.extend(
        p.near
            .iter()
            .filter(|s| s.visit() && night(s.stop.at))
            .map(|s| s.evidence("at night")),
    );
    ev.sort_by(|a, b| (a.at, &a.row_id).cmp(&(b.at, &b.row_id)));
    Finding::count(
        Sign::NightContact,
        ev.len(),
        m.min_events,
        p.window,
        ev,
        p.notes.night_contact.clone(),
    )
}
