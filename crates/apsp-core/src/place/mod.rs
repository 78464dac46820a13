//! The place background of vehicle stops near subjects' homes.
//!
//! In a town, patrol, refreshment and paperwork stops happen in every street: over months
//! dozens of officers stop within 150 m of an ordinary home, so "an officer stopped near
//! her home" means nothing by itself, and neither does "many officers stop here". What
//! stands out is one officer stopping near one home far more often than the place
//! predicts for any officer. Three steps:
//!
//! 1. **Eligible stops** ([`eligible_stops`]): in the analysis window, not covered by a
//!    deployment of the officer within the radius, and not explained by an involvement
//!    of his with anyone whose home is within the radius of the stop (a visit to a
//!    victim's household, where she lives with the suspect of his case, or to her
//!    neighbour, explains the stop for every home around it).
//! 2. **The background** ([`background::Background`]): every officer's eligible stops
//!    near each home and around it. One pass over the stops, mergeable by adding.
//! 3. **The verdict** ([`verdict::judge`]): per (officer, home) with at least
//!    `min_stops` eligible stops near it, a binomial tail of his stops near the home
//!    among his stops around it against the place's share.
//!
//! Only the stops of (officer, home) pairs with at least `min_stops` stops are kept, each
//! with its pair's verdict. The signs that read visits
//! (`stop_near_home`, `night_contact`, `after_closure`, `access_then_contact`) count a
//! stop as a visit only when the verdict says the officer's stops there are unusual.

pub mod background;
pub mod verdict;

use rayon::prelude::*;

use crate::link::geo::{Grid, Planar};
use crate::link::{Linked, OfficerIx, Stop, SubjectIx, Ts};
use crate::matrix::StopNearHome;
use background::Background;
use verdict::{judge, PlaceCounts, PlaceVerdict};

/// Cells of the background's around grid per around radius.
const AROUND_CELLS_PER_RADIUS: f64 = 16.0;

/// A stop within the radius of a subject's home, with the verdict on the officer's
/// stops near that home.
#[derive(Debug, Clone, Copy)]
pub struct Near {
    pub stop: usize,
    pub subject: SubjectIx,
    pub metres: f64,
    pub verdict: PlaceVerdict,
}

/// One eligible stop within the radius of one home.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Hit {
    officer: OfficerIx,
    subject: SubjectIx,
    stop: u32,
}

/// Subjects' homes and a grid of them with cells of the radius.
struct Homes {
    grid: Grid<SubjectIx>,
    ref_lat: f64,
}

impl Homes {
    fn of(l: &Linked, radius: f64) -> Option<Homes> {
        let homes: Vec<(SubjectIx, (f64, f64))> = l
            .subjects
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let home = s.person.as_ref().and_then(|p| p.home)?;
                Some((SubjectIx(i as u32), home))
            })
            .collect();
        if homes.is_empty() {
            return None;
        }
        let ref_lat = homes.iter().map(|(_, h)| h.0).sum::<f64>() / homes.len() as f64;
        let mut grid = Grid::new(radius, ref_lat);
        for (s, h) in &homes {
            grid.insert(*h, *s);
        }
        Some(Homes { grid, ref_lat })
    }
}

/// What one stop is to the place: not eligible, or eligible with the homes it is near.
enum StopPlace {
    Excluded,
    Eligible(Vec<(SubjectIx, f64)>),
}

/// Step 1 for one stop (see the module's account).
fn stop_place(l: &Linked, homes: &Homes, radius: f64, window: (Ts, Ts), s: &Stop) -> StopPlace {
    if s.at <= window.0 || s.at > window.1 {
        return StopPlace::Excluded;
    }
    let p = (s.lat, s.lon);
    if l.deployment_near(s.officer, p, s.at, s.until, radius)
        .is_some()
    {
        return StopPlace::Excluded;
    }
    let mut near = Vec::new();
    if homes.grid.any_within(p, radius) {
        homes.grid.within(p, radius, &mut near);
        if near.iter().any(|(h, _)| l.involved(s.officer, *h, s.at)) {
            return StopPlace::Excluded;
        }
    }
    StopPlace::Eligible(near)
}

/// Step 1 for every stop, in stop order.
fn eligible_stops(l: &Linked, homes: &Homes, radius: f64, window: (Ts, Ts)) -> Vec<StopPlace> {
    l.stops
        .par_iter()
        .map(|s| stop_place(l, homes, radius, window, s))
        .collect()
}

/// Step 2: the background of every eligible stop.
fn background(l: &Linked, places: &[StopPlace], cell_m: f64, ref_lat: f64) -> Background {
    let mut bg = Background::new(l.subjects.len(), cell_m, ref_lat);
    for (s, place) in l.stops.iter().zip(places) {
        if let StopPlace::Eligible(near) = place {
            bg.add_stop((s.lat, s.lon), near.iter().map(|(h, _)| *h));
        }
    }
    bg
}

/// The eligible stops near homes, sorted by (officer, subject, stop): stops are sorted
/// by (officer, time, id), so this is (officer, subject, time).
fn hits(l: &Linked, places: &[StopPlace]) -> Vec<Hit> {
    let mut hits: Vec<Hit> = Vec::new();
    for (i, (s, place)) in l.stops.iter().zip(places).enumerate() {
        if let StopPlace::Eligible(near) = place {
            hits.extend(near.iter().map(|(h, _)| Hit {
                officer: s.officer,
                subject: *h,
                stop: i as u32,
            }));
        }
    }
    hits.par_sort_unstable();
    hits
}

/// The officer's eligible stops within `radius` of `home`.
fn nearby_stops(
    l: &Linked,
    places: &[StopPlace],
    o: OfficerIx,
    home: (f64, f64),
    radius: f64,
) -> u64 {
    let from = l.stops.partition_point(|s| s.officer < o);
    let to = l.stops.partition_point(|s| s.officer <= o);
    let plane = Planar::new(home, radius);
    let r2 = radius * radius;
    (from..to)
        .filter(|&i| matches!(places[i], StopPlace::Eligible(_)))
        .filter(|&i| plane.d2((l.stops[i].lat, l.stops[i].lon)) <= r2)
        .count() as u64
}

/// The stops within `m.radius_m` of subjects' homes of the (officer, home) pairs with at
/// least `m.min_stops` eligible stops there, ordered by (officer, subject, time), each
/// with its pair's verdict (see the module's account).
pub fn stops_near_homes(l: &Linked, m: &StopNearHome, window: (Ts, Ts)) -> Vec<Near> {
    let Some(homes) = (!l.stops.is_empty())
        .then(|| Homes::of(l, m.radius_m))
        .flatten()
    else {
        return Vec::new();
    };
    let places = eligible_stops(l, &homes, m.radius_m, window);
    let bg = background(
        l,
        &places,
        m.around_m / AROUND_CELLS_PER_RADIUS,
        homes.ref_lat,
    );
    let hits = hits(l, &places);
    let runs: Vec<&[Hit]> = hits
        .chunk_by(|a, b| (a.officer, a.subject) == (b.officer, b.subject))
        .filter(|run| run.len() as u64 >= u64::from(m.min_stops.max(1)))
        .collect();
    runs.par_iter()
        .flat_map_iter(|run| {
            let (o, s) = (run[0].officer, run[0].subject);
            let home = l.subjects[s.index()]
                .person
                .as_ref()
                .and_then(|p| p.home)
                .expect("a hit is near a home");
            let stops = run.len() as u64;
            let nearby = nearby_stops(l, &places, o, home, m.around_m);
            let verdict = judge(
                PlaceCounts {
                    stops,
                    nearby,
                    others_near: bg.near[s.index()] - stops,
                    others_around: bg.around.around(home, m.around_m).saturating_sub(nearby),
                    tied: l.has_dealt_with(o, s, window),
                },
                m,
            );
            run.iter().map(move |h| {
                let stop = &l.stops[h.stop as usize];
                Near {
                    stop: h.stop as usize,
                    subject: s,
                    metres: crate::link::haversine_m(home, (stop.lat, stop.lon)),
                    verdict,
                }
            })
        })
        .collect()
}
