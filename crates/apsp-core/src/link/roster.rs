//! The officer's side of the day: rostered shifts (on or off duty) and deployments
//! (which explain being somewhere), each with what quarantined rows may cover.

use polars::prelude::DataFrame;

use super::columns::{floats, texts, times};
use super::model::{Deployment, Misses, PerOfficer, Span, DAY, HOUR};
use super::officers::OfficerBook;
use super::quarantined::{longest_span, salvaged_of_officer, salvaged_span};
use crate::error::Result;
use crate::ingest::{QuarantineRow, Table};

/// Shifts per officer.
#[derive(Default)]
pub(super) struct Roster {
    /// Per officer, sorted by start.
    pub shifts: PerOfficer<Vec<Span>>,
    /// Per officer, sorted: the time quarantined shift rows may cover (possibly on
    /// duty; never a roster).
    pub shifts_unknown: PerOfficer<Vec<Span>>,
    /// The longest shift of each officer (bounds the search for shifts covering a time).
    pub longest: PerOfficer<i64>,
}

/// Links `shifts` (when given) and its quarantined rows. An unreadable end of a
/// quarantined row is bounded by the force's longest readable shift (at most 24 h).
pub(super) fn link_shifts(
    shifts: Option<&DataFrame>,
    quarantined: &[QuarantineRow],
    officers: &OfficerBook,
    misses: &mut Misses,
) -> Result<Roster> {
    let n = officers.len();
    let mut roster = Roster {
        shifts: PerOfficer::new(n),
        shifts_unknown: PerOfficer::new(n),
        longest: PerOfficer::new(n),
    };
    if let Some(s) = shifts {
        let (oid, start, end) = (
            texts(s, "officer_id")?,
            times(s, "start")?,
            times(s, "end")?,
        );
        for i in 0..s.height() {
            match oid.get(i).and_then(|o| officers.index.get(o)) {
                Some(&o) => roster.shifts[o].push(Span {
                    start: start.get(i).unwrap_or(0),
                    end: end.get(i).unwrap_or(0),
                }),
                None => misses.add("shifts: officer not in officers"),
            }
        }
    }
    let longest = longest_span(
        roster.shifts.iter().flatten().map(|s| s.end - s.start),
        12 * HOUR,
        DAY,
    );
    for (o, _, v) in salvaged_of_officer(quarantined, Table::Shifts, officers) {
        roster.shifts_unknown[o].extend(salvaged_span(v.start, v.end, longest));
    }
    for v in roster.shifts.iter_mut() {
        v.sort_unstable();
    }
    roster.longest = PerOfficer(
        roster
            .shifts
            .iter()
            .map(|v| v.iter().map(|s| s.end - s.start).max().unwrap_or(0))
            .collect(),
    );
    for v in roster.shifts_unknown.iter_mut() {
        v.sort_unstable();
    }
    Ok(roster)
}

/// Deployments per officer.
#[derive(Default)]
pub(super) struct Deployments {
    /// Per officer, sorted by start (then incident id).
    pub by_officer: PerOfficer<Vec<Deployment>>,
    /// The longest deployment of each officer (bounds overlap searches).
    pub longest: PerOfficer<i64>,
}

/// Links `deployments` (when given) and its quarantined rows: a stop a quarantined row
/// may cover is possibly deployed (anywhere, when its place is unreadable: NaN).
pub(super) fn link_deployments(
    deployments: Option<&DataFrame>,
    quarantined: &[QuarantineRow],
    officers: &OfficerBook,
    misses: &mut Misses,
) -> Result<Deployments> {
    let mut by_officer: PerOfficer<Vec<Deployment>> = PerOfficer::new(officers.len());
    if let Some(d) = deployments {
        let (incident, oid) = (texts(d, "incident_id")?, texts(d, "officer_id")?);
        let (lat, lon) = (floats(d, "lat")?, floats(d, "lon")?);
        let (start, end) = (times(d, "start")?, times(d, "end")?);
        for i in 0..d.height() {
            match oid.get(i).and_then(|o| officers.index.get(o)) {
                Some(&o) => by_officer[o].push(Deployment {
                    start: start.get(i).unwrap_or(0),
                    end: end.get(i).unwrap_or(0),
                    lat: lat.get(i).unwrap_or(0.0),
                    lon: lon.get(i).unwrap_or(0.0),
                    incident_id: incident.get(i).unwrap_or_default().into(),
                }),
                None => misses.add("deployments: officer not in officers"),
            }
        }
    }
    let longest = longest_span(
        by_officer.iter().flatten().map(|d| d.end - d.start),
        4 * HOUR,
        DAY,
    );
    for (o, r, v) in salvaged_of_officer(quarantined, Table::Deployments, officers) {
        let (lat, lon) = v.at.unwrap_or((f64::NAN, f64::NAN));
        for span in salvaged_span(v.start, v.end, longest) {
            by_officer[o].push(Deployment {
                start: span.start,
                end: span.end,
                lat,
                lon,
                incident_id: format!("quarantined ({})", r.describe()).as_str().into(),
            });
        }
    }
    for v in by_officer.iter_mut() {
        v.sort_by(|x, y| (x.start, &x.incident_id).cmp(&(y.start, &y.incident_id)));
    }
    let longest = PerOfficer(
        by_officer
            .iter()
            .map(|v| v.iter().map(|d| d.end - d.start).max().unwrap_or(0))
            .collect(),
    );
    Ok(Deployments {
        by_officer,
        longest,
    })
}
