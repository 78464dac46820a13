//! What quarantined rows leave unknown. A broken row may only *withhold* a warning sign,
//! never raise one: the time a broken shift, deployment or vehicle-assignment row may
//! cover is taken as possibly covered. When one side of its time is unreadable, it is
//! bounded by the longest readable span of the same table (capped).
//! (Broken `case_links` and `billing` rows: see `involvement` and `billing`.)

use super::model::{OfficerIx, Span, Ts};
use super::officers::OfficerBook;
use crate::ingest::table::{Hint, Salvage};
use crate::ingest::{QuarantineRow, Table};

/// The time a quarantined row from `start` to `end` may cover, either unreadable:
/// an unreadable side is bounded by `longest` (the longest such readable span); a
/// span longer than that, or ending before it starts, is taken as `longest` from each
/// readable side.
pub(super) fn salvaged_span(start: Option<Ts>, end: Option<Ts>, longest: Ts) -> Vec<Span> {
    let span = |start, end| Span { start, end };
    match (start, end) {
        (Some(a), Some(b)) if a <= b && b - a <= longest => vec![span(a, b)],
        (Some(a), Some(b)) => vec![span(a, a + longest), span(b - longest, b)],
        (Some(a), None) => vec![span(a, a + longest)],
        (None, Some(b)) => vec![span(b - longest, b)],
        (None, None) => Vec::new(),
    }
}

/// The longest of `spans` (positive ones; `default` without any), at most `cap`:
/// the bound of a quarantined row's unreadable side.
pub(super) fn longest_span(spans: impl Iterator<Item = Ts>, default: Ts, cap: Ts) -> Ts {
    spans.filter(|d| *d > 0).max().unwrap_or(default).min(cap)
}

/// A quarantined row of `table` and what could be read of it.
pub(super) fn salvaged(
    quarantined: &[QuarantineRow],
    table: Table,
) -> impl Iterator<Item = (&QuarantineRow, &Salvage)> {
    quarantined.iter().filter_map(move |r| match &r.hint {
        Some(Hint::Salvage(v)) if r.table == table => Some((r, v)),
        _ => None,
    })
}

/// The quarantined rows of `table` whose officer could be read and is of the force.
pub(super) fn salvaged_of_officer<'a>(
    quarantined: &'a [QuarantineRow],
    table: Table,
    officers: &'a OfficerBook,
) -> impl Iterator<Item = (OfficerIx, &'a QuarantineRow, &'a Salvage)> {
    salvaged(quarantined, table).filter_map(|(r, v)| {
        let o = officers.index.get(v.officer_id.as_deref()?)?;
        Some((*o, r, v))
    })
}
