//! `escalation` — "significant volume of contact in a short space of time", "a pattern
//! of escalating behaviour" (IOPC s.1, s.3).
//!
//! Over the officer's outgoing contact the job does not explain (see
//! `contact_volume`), from the pair's
//! first such contact in the window: the burst (contacts within `burst_days`, fired at
//! `burst_min`), and week-on-week growth (fired when a week has at least
//! `growth_min_week` contacts and `growth_min` times the week before). Value: the
//! burst; the note gives the largest growth.

use super::{days, numbered_note, Finding, PairView, Status};
use crate::link::DAY;
use crate::sign::Sign;

pub fn evaluate(p: &PairView<'_>) -> Finding {
    let m = &p.matrix.signals.escalation;
    if !p.linked.present.billing {
        return Finding::not_evaluated(Sign::Escalation, p.window, "no billing table");
    }
    let idx: Vec<usize> = (0..p.contacts.len())
        .filter(|i| p.contacts[*i].pursued())
        .collect();
    let Some(&first) = idx.first() else {
        return Finding::count(
            Sign::Escalation,
            0,
            m.burst_min,
            p.window,
            Vec::new(),
            "no unexplained contact",
        );
    };
    let t0 = p.contacts[first].contact.at;
    let burst: Vec<usize> = idx
        .iter()
        .copied()
        .filter(|i| p.contacts[*i].contact.at < t0 + days(m.burst_days))
        .collect();
    // Weekly counts from the first contact.
    let mut weeks: Vec<usize> = Vec::new();
    for i in &idx {
        let w = ((p.contacts[*i].contact.at - t0) / (7 * DAY)) as usize;
        if weeks.len() <= w {
            weeks.resize(w + 1, 0);
        }
        weeks[w] += 1;
    }
    let (mut growth, mut grown_week) = (0.0f64, None);
    for w in 1..weeks.len() {
        if weeks[w] as u32 >= m.growth_min_week {
            let g = weeks[w] as f64 / weeks[w - 1].max(1) as f64;
            if g > growth {
                growth = g;
                grown_week = Some(w);
            }
        }
    }
    let by_burst = burst.len() as u32 >= m.burst_min;
    let by_growth = growth >= m.growth_min;
    let fired = by_burst || by_growth;
    let mut evidence = Vec::new();
    if by_burst {
        evidence.extend(
            burst
                .iter()
                .map(|i| p.contacts[*i].evidence("in the first days")),
        );
    }
    if let (true, Some(w)) = (by_growth, grown_week) {
        let (a, b) = (t0 + (w as i64 - 1) * 7 * DAY, t0 + (w as i64 + 1) * 7 * DAY);
        evidence.extend(
            idx.iter()
                .filter(|i| (a..b).contains(&p.contacts[**i].contact.at))
                .map(|i| p.contacts[*i].evidence("growth weeks")),
        );
        evidence.sort_by(|x, y| (x.at, &x.row_id).cmp(&(y.at, &y.row_id)));
        evidence.dedup_by(|x, y| x.row_id == y.row_id);
    }
    Finding {
        signal: Sign::Escalation,
        value: burst.len() as f64,
        threshold: m.burst_min as f64,
        window: p.window,
        status: if fired {
            Status::Fired
        } else {
            Status::NotFired
        },
        intensity: (burst.len() as f64 / m.burst_min as f64).max(growth / m.growth_min),
        note: numbered_note(
            "escalation",
            [
                burst.len() as u64,
                m.burst_days as u64,
                growth.to_bits(),
                grown_week.map_or(0, |w| w as u64 + 1),
                grown_week.map_or(0, |w| weeks[w] as u64),
                grown_week.map_or(0, |w| weeks[w - 1] as u64),
            ],
            || {
                format!(
                    "{} unexplained outgoing contacts in the first {} days; largest week-on-week growth {:.1}x{}",
                    burst.len(),
                    m.burst_days,
                    growth,
                    grown_week
                        .map(|w| format!(" (week {w}: {} after {})", weeks[w], weeks[w - 1]))
                        .unwrap_or_default()
                )
            },
        ),
        evidence: if fired { evidence } else { Vec::new() },
    }
}
