//! `escalation` — "significant volume of contact in a short space of time", "a pattern
//! of escalating behaviour" (IOPC s.1, s.3).
//!
//! Over the relationship's contact the job does not explain — his and hers, engaged
//! (case study 4: calls, then two weeks of mutual texting): the burst (contacts within
//! `burst_days` of the relationship's first contact, fired at `burst_min`), and
//! week-on-week growth (a week of `week_days` with at least `growth_min_week` contacts
//! and `growth_min` times the week before, the week before counted as at least
//! `growth_min_week / growth_min`: nine contacts after a quiet week are growth, not the
//! full cap). The burst is judged only when the relationship starts in the window (no
//! contact of the pair before it): a steady pair older than the window has no "first
//! days" in it, and the result must not depend on `--window-days`. Direction is its own
//! factor: the intensity is scaled by twice the officer's share of the contacts, at
//! most 1 (he made at least half: in full; she pursues him: little). Value and
//! threshold: the measure that went furthest past its threshold — the burst against
//! `burst_min`, or, when the growth fired and went further, the growth against
//! `growth_min`, its note then starting with [`GROWTH_NOTE`] (so the account reads
//! "growth 3.0x vs 3x", never "8 vs 15" beside a fired sign). The note gives the other.

use super::{days, numbered_note, Finding, PairView, Status};
use crate::link::DAY;
use crate::sign::Sign;

/// How the note of a finding whose value is the growth starts.
pub const GROWTH_NOTE: &str = "week-on-week growth";

/// The weekly counts of `times` from the first, and the week of the largest growth.
struct Growth {
    weeks: Vec<usize>,
    factor: f64,
    week: Option<usize>,
}

fn growth(times: &[i64], week: i64, min_week: u32, min_factor: f64) -> Growth {
    let t0 = times.first().copied().unwrap_or(0);
    let mut weeks: Vec<usize> = Vec::new();
    for t in times {
        let w = ((t - t0) / week) as usize;
        if weeks.len() <= w {
            weeks.resize(w + 1, 0);
        }
        weeks[w] += 1;
    }
    let floor = f64::from(min_week) / min_factor;
    let (mut factor, mut best) = (0.0f64, None);
    for w in 1..weeks.len() {
        if weeks[w] as u32 >= min_week {
            let g = weeks[w] as f64 / (weeks[w - 1] as f64).max(floor);
            if g > factor {
                factor = g;
                best = Some(w);
            }
        }
    }
    Growth {
        weeks,
        factor,
        week: best,
    }
}

pub fn evaluate(p: &PairView<'_>) -> Finding {
    let m = &p.matrix.signals.escalation;
    if !p.linked.present.billing {
        return Finding::not_evaluated(Sign::Escalation, p.window, "no billing table");
    }
    let idx: Vec<usize> = (0..p.contacts.len())
        .filter(|i| p.contacts[*i].unexplained())
        .collect();
    if idx.is_empty() {
        return Finding::count(
            Sign::Escalation,
            0,
            m.burst_min,
            p.window,
            Vec::new(),
            "no unexplained contact",
        );
    }
    let times: Vec<i64> = idx.iter().map(|i| p.contacts[*i].contact.at).collect();
    let t0 = times[0];
    let starts_here = !p.linked.contact_before(p.officer, p.subject, p.window.0);
    let burst: Vec<usize> = if starts_here {
        idx.iter()
            .copied()
            .filter(|i| p.contacts[*i].contact.at < t0 + days(m.burst_days))
            .collect()
    } else {
        Vec::new()
    };
    let week = i64::from(m.week_days) * DAY;
    let g = growth(&times, week, m.growth_min_week, m.growth_min);
    let by_burst = burst.len() as u32 >= m.burst_min;
    let by_growth = g.factor >= m.growth_min;
    let fired = by_burst || by_growth;
    let his = idx
        .iter()
        .filter(|i| p.contacts[**i].contact.outgoing)
        .count();
    let direction = (2.0 * his as f64 / idx.len() as f64).min(1.0);
    let mut evidence = Vec::new();
    if by_burst {
        evidence.extend(
            burst
                .iter()
                .map(|i| p.contacts[*i].evidence("in the first days")),
        );
    }
    if let (true, Some(w)) = (by_growth, g.week) {
        let (a, b) = (t0 + (w as i64 - 1) * week, t0 + (w as i64 + 1) * week);
        evidence.extend(
            idx.iter()
                .filter(|i| (a..b).contains(&p.contacts[**i].contact.at))
                .map(|i| p.contacts[*i].evidence("growth weeks")),
        );
        evidence.sort_by(|x, y| (x.at, &x.row_id).cmp(&(y.at, &y.row_id)));
        evidence.dedup_by(|x, y| x.row_id == y.row_id);
    }
    let burst_ratio = burst.len() as f64 / m.burst_min as f64;
    let growth_ratio = g.factor / m.growth_min;
    // The measure shown is the one that sets the intensity.
    let shows_growth = by_growth && growth_ratio > burst_ratio;
    let (value, threshold) = if shows_growth {
        (g.factor, m.growth_min)
    } else {
        (burst.len() as f64, m.burst_min as f64)
    };
    Finding {
        signal: Sign::Escalation,
        value,
        threshold,
        window: p.window,
        status: Status::of(fired),
        intensity: direction * burst_ratio.max(growth_ratio),
        note: note(
            p,
            &burst,
            &g,
            Shown {
                starts_here,
                growth: shows_growth,
            },
            (his, idx.len()),
        ),
        evidence: if fired { evidence } else { Vec::new() },
    }
}

/// What the note says first.
struct Shown {
    /// The relationship starts in the window (its first days are in it).
    starts_here: bool,
    /// The finding's value is the growth.
    growth: bool,
}

fn note(
    p: &PairView<'_>,
    burst: &[usize],
    g: &Growth,
    shown: Shown,
    (his, all): (usize, usize),
) -> std::sync::Arc<str> {
    let m = &p.matrix.signals.escalation;
    let starts_here = shown.starts_here;
    numbered_note(
        "escalation",
        [
            burst.len() as u64 | (u64::from(starts_here) << 32),
            m.burst_days as u64,
            g.factor.to_bits(),
            g.week.map_or(0, |w| w as u64 + 1) | (u64::from(shown.growth) << 32),
            g.week
                .map_or(0, |w| (g.weeks[w] as u64) << 32 | g.weeks[w - 1] as u64),
            (his as u64) << 32 | all as u64,
        ],
        || {
            let first = if starts_here {
                format!(
                    "{} unexplained contacts (his and hers) in the first {} days",
                    burst.len(),
                    m.burst_days
                )
            } else {
                "the relationship predates the window (no first days in it)".to_string()
            };
            let weeks = g
                .week
                .map(|w| format!(" (week {w}: {} after {})", g.weeks[w], g.weeks[w - 1]))
                .unwrap_or_default();
            if shown.growth {
                format!(
                    "{GROWTH_NOTE} {:.1}x{weeks}; {first}; he made {his} of {all}",
                    g.factor
                )
            } else {
                format!(
                    "{first}; largest week-on-week growth {:.1}x{weeks}; he made {his} of {all}",
                    g.factor
                )
            }
        },
    )
}
