//! Vehicle stops → officer: the MDT log-on, else the vehicle's assignment at that time.
//! A stop whose vehicle several officers may have crewed then (a double-crewed car,
//! overlapping assignments, or a quarantined assignment row) is nobody's rather than
//! possibly the wrong officer's, counted in the manifest.

use polars::prelude::DataFrame;
use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;

use super::columns::{floats, texts, times, Sources};
use super::model::{Misses, OfficerIx, Stop, Ts, DAY, HOUR};
use super::officers::OfficerBook;
use super::quarantined::{longest_span, salvaged, salvaged_span};
use crate::error::Result;
use crate::ingest::{QuarantineRow, Table};

/// Who was assigned to a vehicle from `from` to `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Assignment {
    from: Ts,
    to: Ts,
    crew: Crew,
}

/// The officer of an assignment, or anyone (a quarantined row: whoever it names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Crew {
    Officer(OfficerIx),
    Quarantined,
}

/// Vehicle id → its assignments, sorted.
#[derive(Default)]
pub(super) struct Assignments(HashMap<String, Vec<Assignment>>);

impl Assignments {
    /// Links `vehicle_assignments` (when given) and its quarantined rows: whoever a
    /// quarantined row names, the vehicle may have had another officer in the time it
    /// may cover (an unreadable side bounded by the longest readable assignment, at
    /// most 7 days; a blank end is open).
    pub fn link(
        vehicle_assignments: Option<&DataFrame>,
        quarantined: &[QuarantineRow],
        officers: &OfficerBook,
    ) -> Result<Assignments> {
        let mut by_vehicle: HashMap<String, Vec<Assignment>> = HashMap::default();
        if let Some(v) = vehicle_assignments {
            let (vid, oid) = (texts(v, "vehicle_id")?, texts(v, "officer_id")?);
            let (from, to) = (times(v, "valid_from")?, times(v, "valid_to")?);
            for i in 0..v.height() {
                if let (Some(vehicle), Some(o)) = (vid.get(i), officers.find(oid.get(i))) {
                    by_vehicle
                        .entry(vehicle.to_string())
                        .or_default()
                        .push(Assignment {
                            from: from.get(i).unwrap_or(i64::MIN),
                            to: to.get(i).unwrap_or(i64::MAX),
                            crew: Crew::Officer(o),
                        });
                }
            }
        }
        let longest = longest_span(
            by_vehicle
                .values()
                .flatten()
                .filter(|a| a.from > i64::MIN && a.to < i64::MAX)
                .map(|a| a.to - a.from),
            12 * HOUR,
            7 * DAY,
        );
        for (_, v) in salvaged(quarantined, Table::VehicleAssignments) {
            let Some(vehicle) = v.vehicle_id.as_deref() else {
                continue;
            };
            let spans = match (v.start, v.end, v.end_blank) {
                (Some(a), None, true) => vec![(a, i64::MAX)],
                (a, b, _) => salvaged_span(a, b, longest)
                    .into_iter()
                    .map(|s| (s.start, s.end))
                    .collect(),
            };
            for (from, to) in spans {
                by_vehicle
                    .entry(vehicle.to_string())
                    .or_default()
                    .push(Assignment {
                        from,
                        to,
                        crew: Crew::Quarantined,
                    });
            }
        }
        for v in by_vehicle.values_mut() {
            v.sort_unstable();
        }
        Ok(Assignments(by_vehicle))
    }

    /// The officer a stop of `vehicle` at `t` without a log-on belongs to: the one
    /// officer assigned then, else why nobody.
    fn crew_at(
        &self,
        vehicle: Option<&str>,
        t: Ts,
    ) -> std::result::Result<OfficerIx, &'static str> {
        let mut found: Vec<Crew> = vehicle
            .and_then(|v| self.0.get(v))
            .map(|v| {
                let k = v.partition_point(|a| a.from <= t);
                v[..k]
                    .iter()
                    .filter(|a| t <= a.to)
                    .map(|a| a.crew)
                    .collect()
            })
            .unwrap_or_default();
        found.sort_unstable();
        found.dedup();
        if found.last() == Some(&Crew::Quarantined) {
            return Err(
                "stops: no officer logged on, a vehicle assignment at that time was quarantined",
            );
        }
        match found.as_slice() {
            [Crew::Officer(o)] => Ok(*o),
            [] => Err("stops: no officer logged on and no vehicle assignment"),
            _ => Err("stops: no officer logged on, vehicle assigned to several officers"),
        }
    }
}

/// Every stop tied to its officer (in parallel, reasons counted after), sorted by
/// (officer, time, stop id).
pub(super) fn link_stops(
    stops: &DataFrame,
    officers: &OfficerBook,
    assignments: &Assignments,
    misses: &mut Misses,
    sources: &Sources,
) -> Result<Vec<Stop>> {
    let source = sources.rows(stops)?;
    let (sid, vid, oid) = (
        texts(stops, "stop_id")?,
        texts(stops, "vehicle_id")?,
        texts(stops, "officer_id")?,
    );
    let (lat, lon) = (floats(stops, "lat")?, floats(stops, "lon")?);
    let (arrived, departed) = (times(stops, "arrived_at")?, times(stops, "departed_at")?);
    let linked: Vec<std::result::Result<Stop, &'static str>> = (0..stops.height())
        .into_par_iter()
        .map(|i| {
            let t = arrived.get(i).unwrap_or(0);
            let (officer, by_assignment) = match oid.get(i) {
                Some(o) => match officers.index.get(o) {
                    Some(&o) => (o, false),
                    None => return Err("stops: officer not in officers"),
                },
                None => (assignments.crew_at(vid.get(i), t)?, true),
            };
            Ok(Stop {
                officer,
                at: t,
                until: departed.get(i).unwrap_or(t),
                lat: lat.get(i).unwrap_or(0.0),
                lon: lon.get(i).unwrap_or(0.0),
                stop_id: sid.get(i).unwrap_or_default().into(),
                source: source[i],
                by_assignment,
            })
        })
        .collect();
    let mut out = Vec::with_capacity(linked.len());
    for r in linked {
        match r {
            Ok(stop) => out.push(stop),
            Err(why) => misses.add(why),
        }
    }
    out.par_sort_by(|x, y| (x.officer, x.at, &x.stop_id).cmp(&(y.officer, y.at, &y.stop_id)));
    Ok(out)
}
