//! Readable text for an officer's result: the three largest contributions, and a
//! finding's value against its threshold.

use super::{PairResult, PairTerm};
use crate::link::Linked;
use crate::sign::Sign;
use crate::signals::{escalation, Finding};

/// The three largest contributions of the pairs counted in the officer's score
/// (`terms`: a pair resting only on a higher pair's stops is not among them) and of the
/// officer-level signs, as readable text.
pub(super) fn top_reasons(
    l: &Linked,
    pairs: &[PairResult],
    terms: &[PairTerm],
    officer_findings: &[Finding],
    officer_contributions: &[f64],
) -> String {
    let mut items: Vec<(f64, String)> = Vec::new();
    for t in terms {
        let p = &pairs[t.pair];
        for (f, c) in p.findings.iter().zip(&p.contributions) {
            if *c > 0.0 {
                items.push((
                    *c,
                    format!(
                        "{} with {} ({})",
                        f.signal,
                        l.subjects[p.subject].id,
                        fmt_value(f)
                    ),
                ));
            }
        }
    }
    for (f, c) in officer_findings.iter().zip(officer_contributions) {
        if *c > 0.0 {
            items.push((*c, format!("{} ({})", f.signal, fmt_value(f))));
        }
    }
    items.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    items
        .into_iter()
        .take(3)
        .map(|(_, s)| s)
        .collect::<Vec<_>>()
        .join("; ")
}
/// `value vs threshold` for a finding (an escalation fired by its growth: "growth 3.0x vs
/// 3x").
pub fn fmt_value(f: &Finding) -> String {
    let n = |x: f64| {
        if x.fract() == 0.0 {
            format!("{x:.0}")
        } else {
            format!("{x:.2}")
        }
    };
    match f.signal {
        Sign::Escalation if f.note.starts_with(escalation::GROWTH_NOTE) => {
            format!("growth {:.1}x vs {}x", f.value, n(f.threshold))
        }
        Sign::AccessThenContact => format!("{} days, within {}", n(f.value), n(f.threshold)),
        Sign::VulnerableSubject => match f.value as u32 {
            2 => "young person".to_string(),
            1 => f.note.split(';').next().unwrap_or_default().to_string(),
            _ => "no vulnerability recorded".to_string(),
        },
        _ => format!("{} vs {}", n(f.value), n(f.threshold)),
    }
}
