//! `escalation` — "significant volume of contact in a short space of time", "a pattern
//! of escalating behaviour" (IOPC s.1, s.3).
//!
//! Over the officer's outgoing contact the job does not explain (see
//! `contact_volume`), from the pair's
//! first such contact in the window: the burst (contacts within `burst_days`, fired at
//! `burst_min`), and week-on-week growth (fired when a week has at least
//! `growth_min_week` contacts and `growth_min` times the week before). Value and
//! threshold: the measure that went furthest past its threshold (it sets the
//! intensity) — the burst against `burst_min`, or, when the growth fired and went
//! further, the growth against `growth_min`, its note then starting with
//! [`GROWTH_NOTE`] (so the account reads "growth 3.0x vs 3x", never "8 vs 15" beside
//! a fired sign). The note gives the other measure.

use super::{days, numbered_note, Finding, PairView, Status};
use crate::link::DAY;
use crate::sign::Sign;

/// How the note of a finding whose value is the growth starts.
pub const GROWTH_NOTE: &str = "week-on-week growth";

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
    let burst_ratio = burst.len() as f64 / m.burst_min as f64;
    let growth_ratio = growth / m.growth_min;
    // The measure shown is the one that sets the intensity: the growth when it fired
    // and went further past its threshold than the burst, else the burst.
    let shows_growth = by_growth && growth_ratio > burst_ratio;
    // The note's numbers: it is made once per distinct numbers (see `numbered_note`).
    let facts = [
        burst.len() as u64,
        m.burst_days as u64,
        growth.to_bits(),
        grown_week.map_or(0, |w| w as u64 + 1) | (u64::from(shows_growth) << 32),
        grown_week.map_or(0, |w| weeks[w] as u64),
        grown_week.map_or(0, |w| weeks[w - 1] as u64),
    ];
    let note = numbered_note("escalation", facts, || {
        let burst_text = format!(
            "{} unexplained outgoing contacts in the first {} days",
            burst.len(),
            m.burst_days
        );
        let weeks_text = grown_week
            .map(|w| format!(" (week {w}: {} after {})", weeks[w], weeks[w - 1]))
            .unwrap_or_default();
        if shows_growth {
            format!("{GROWTH_NOTE} {growth:.1}x{weeks_text}; {burst_text}")
        } else {
            format!("{burst_text}; largest week-on-week growth {growth:.1}x{weeks_text}")
        }
    });
    let (value, threshold) = if shows_growth {
        (growth, m.growth_min)
    } else {
        (burst.len() as f64, m.burst_min as f64)
    };
    Finding {
        signal: Sign::Escalation,
        value,
        threshold,
        window: p.window,
        status: if fired {
            Status::Fired
        } else {
            Status::NotFired
        },
        intensity: burst_ratio.max(growth_ratio),
        note,
        evidence: if fired { evidence } else { Vec::new() },
    }
}
