//! `multiple_subjects` — "Billing enquiries ... showed he had significant contact with
//! other women"; "examine the officer's contact with other members of the public"
//! (IOPC s.9, s.21). Officer level.
//!
//! Value: the officer's distinct subjects whose pair score reached `min_pair_score`.

use super::{Evidence, Finding};
use crate::link::Ts;
use crate::matrix::RiskMatrix;
use crate::sign::Sign;

/// `flagged`: (subject id, pair score, time of the pair's first event), for pairs at or
/// above the matrix's `min_pair_score`.
pub fn evaluate(m: &RiskMatrix, window: (Ts, Ts), flagged: &[(String, f64, Ts)]) -> Finding {
    let ms = &m.signals.multiple_subjects;
    let ev: Vec<Evidence> = flagged
        .iter()
        .map(|(s, score, at)| Evidence {
            table: "pairs",
            row_id: s.as_str().into(),
            at: *at,
            detail: format!("pair score {score:.2}"),
            // An output pair (see `pairs`), not an input row.
            source: None,
        })
        .collect();
    let note = format!(
        "subjects with a pair score of at least {}",
        ms.min_pair_score
    );
    Finding::count(
        Sign::MultipleSubjects,
        flagged.len(),
        ms.min_subjects,
        window,
        ev,
        note,
    )
}
