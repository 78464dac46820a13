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
//! Only the stops of (officer, home) pairs the verdict finds unusual are kept, each with
//! the verdict: at a busy town centre every officer has a few stops near hundreds of
//! homes, and keeping them all would not fit in memory. The signs that read visits
//! (`stop_near_home`, `night_contact`, `after_closure`, `access_then_contact`) count a
//! stop as a visit only when the verdict says the officer's stops there are unusual.

pub mod background;
pub mod verdict;

use std::cell::RefCell;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use rayon::prelude::*;
use thread_local::ThreadLocal;

use crate::link::geo::{Grid, Planar};
use crate::link::{Linked, Stop, SubjectIx, Ts};
use crate::matrix::StopNearHome;
use background::Background;
use verdict::{judge, PlaceCounts, PlaceVerdict, Within};

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

/// Subjects' homes and a grid of them (see [`Grid`]).
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
        let grid = Grid::from_points(radius, ref_lat, homes.into_iter().map(|(s, h)| (h, s)));
        Some(Homes { grid, ref_lat })
    }
}

/// Step 1 for one stop: in the window, not deployed, and not explained by an involvement
/// of his with anyone living within the radius; `near` receives the homes within the
/// radius of an eligible stop, each with whether the stop is within the door distance
/// of it. `involved`: the subjects of his involvements, sorted (most homes near a stop
/// are of people he never dealt with: told without looking up his involvements).
fn eligible(
    l: &Linked,
    homes: &Homes,
    m: &StopNearHome,
    window: (Ts, Ts),
    involved: &[SubjectIx],
    s: &Stop,
    near: &mut Vec<(SubjectIx, bool)>,
) -> bool {
    near.clear();
    if s.at <= window.0 || s.at > window.1 {
        return false;
    }
    let p = (s.lat, s.lon);
    if l.deployment_near(s.officer, p, s.at, s.until, m.radius_m)
        .is_some()
    {
        return false;
    }
    homes.grid.within_and_door(p, m.radius_m, m.door_m, near);
    let explained =
        |h: &SubjectIx| involved.binary_search(h).is_ok() && l.involved(s.officer, *h, s.at);
    if near.iter().map(|(h, _)| h).any(explained) {
        near.clear();
        return false;
    }
    true
}

/// A home near which an officer made at least `min_stops` eligible stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Candidate {
    subject: SubjectIx,
    /// His eligible stops within the radius of the home.
    near: u64,
    /// His eligible stops within the door distance of the home.
    door: u64,
}

/// One officer's part of steps 1 and 2: which of his stops are eligible, and the
/// homes near which he made at least `min_stops` of them.
struct OfficerPlaces {
    /// His stops' range in `Linked::stops`.
    stops: Range<usize>,
    eligible: Vec<bool>,
    candidates: Vec<Candidate>,
}

/// Per home, one officer's eligible stops within the radius and within the door
/// distance, counted in a dense table by subject (a stop has dozens of homes near it:
/// millions of counts a force), with the homes counted so far. One per thread for a
/// run of [`stops_near_homes`], kept between officers: the homes touched are set back
/// to zero after each.
struct HomeTally {
    counts: Vec<(u32, u32)>,
    touched: Vec<SubjectIx>,
}

impl HomeTally {
    fn new(subjects: usize) -> HomeTally {
        HomeTally {
            counts: vec![(0, 0); subjects],
            touched: Vec::new(),
        }
    }

    fn add(&mut self, h: SubjectIx, door: bool) {
        let c = &mut self.counts[h.index()];
        if *c == (0, 0) {
            self.touched.push(h);
        }
        c.0 += 1;
        c.1 += u32::from(door);
    }

    /// The homes counted (subject, near, door) in the order first met, each set back
    /// to zero.
    fn drain(&mut self) -> impl Iterator<Item = (SubjectIx, u32, u32)> + '_ {
        let counts = &mut self.counts;
        self.touched.drain(..).map(move |h| {
            let (near, door) = std::mem::take(&mut counts[h.index()]);
            (h, near, door)
        })
    }
}

/// Steps 1 and 2 for one officer's stops: every eligible stop near a home is added to
/// `near_counts` (the place's background near each home) as it is met, and only his
/// homes with at least `min_stops` are kept — a stop at a busy place is near dozens of
/// homes, and holding every (stop, home) of a force would not fit in memory.
#[allow(clippy::too_many_arguments)]
fn officer_places(
    l: &Linked,
    homes: &Homes,
    m: &StopNearHome,
    window: (Ts, Ts),
    involved: &[SubjectIx],
    stops: Range<usize>,
    counts: &HomeCounts,
    tally: &mut HomeTally,
) -> OfficerPlaces {
    let mut near = Vec::new();
    let eligible: Vec<bool> = l.stops[stops.clone()]
        .iter()
        .map(|s| {
            let ok = eligible(l, homes, m, window, involved, s, &mut near);
            for (h, door) in &near {
                tally.add(*h, *door);
            }
            ok
        })
        .collect();
    let min_stops = m.min_stops.max(1);
    let mut candidates = Vec::new();
    for (h, n, door) in tally.drain() {
        counts.stops[h.index()].fetch_add(u64::from(n), Ordering::Relaxed);
        counts.door[h.index()].fetch_add(u64::from(door), Ordering::Relaxed);
        counts.officers[h.index()].fetch_add(1, Ordering::Relaxed);
        if n >= min_stops {
            candidates.push(Candidate {
                subject: h,
                near: u64::from(n),
                door: u64::from(door),
            });
        }
    }
    candidates.sort_unstable();
    OfficerPlaces {
        stops,
        eligible,
        candidates,
    }
}

/// Per home, every officer's eligible stops near it (within the radius and within the
/// door distance) and how many officers made them, added to as the officers are gone
/// through in parallel (sums of integers: the same whatever the order).
struct HomeCounts {
    stops: Vec<AtomicU64>,
    door: Vec<AtomicU64>,
    officers: Vec<AtomicU64>,
}

/// Each officer's range of `Linked::stops` (sorted by officer).
fn officer_ranges(l: &Linked) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < l.stops.len() {
        let o = l.stops[i].officer;
        let j = i + l.stops[i..].partition_point(|s| s.officer == o);
        out.push(i..j);
        i = j;
    }
    out
}

/// Step 2's around counts: every eligible stop, in cells.
fn background(
    l: &Linked,
    officers: &[OfficerPlaces],
    (near, door): (Vec<u64>, Vec<u64>),
    cell_m: f64,
    ref_lat: f64,
) -> Background {
    let mut bg = Background::new(0, cell_m, ref_lat);
    bg.near = near;
    bg.door = door;
    for op in officers {
        for (s, ok) in l.stops[op.stops.clone()].iter().zip(&op.eligible) {
            if *ok {
                bg.around.add((s.lat, s.lon));
            }
        }
    }
    bg
}

/// The officer's eligible stops within `radius` of `home`.
fn stops_within(
    l: &Linked,
    op: &OfficerPlaces,
    home: (f64, f64),
    radius: f64,
) -> Vec<(usize, f64)> {
    let plane = Planar::new(home, radius);
    op.stops
        .clone()
        .zip(&op.eligible)
        .filter(|(_, ok)| **ok)
        .filter_map(|(i, _)| {
            let s = &l.stops[i];
            plane.distance((s.lat, s.lon)).map(|d| (i, d))
        })
        .collect()
}

/// The first test, cheap enough for every home of a busy town centre: his stops near
/// the home (within the radius or at the door) are at least `min_ratio` times the
/// average of the other officers who stopped near it (at a place where officers stop as
/// often as he does, the verdict could not find him unusual either).
fn stands_out(c: &Candidate, m: &StopNearHome, bg: &Background, officers_near: &[u64]) -> bool {
    let i = c.subject.index();
    let others = officers_near[i].saturating_sub(1);
    if others == 0 {
        return true;
    }
    let beyond =
        |his: u64, all: u64| his as f64 >= m.min_ratio * (all - his) as f64 / others as f64;
    beyond(c.near, bg.near[i])
        || (c.door >= u64::from(m.min_stops.max(1)) && beyond(c.door, bg.door[i]))
}

/// What step 3 reads of the place, shared by every officer's verdicts.
struct Place<'a> {
    background: &'a Background,
    /// Per home, how many officers made eligible stops near it.
    officers_near: &'a [u64],
    /// Per officer, the subjects of his involvements.
    involved: &'a [Vec<SubjectIx>],
    /// Per home, every officer's eligible stops around it, counted once when first
    /// needed (a town centre's homes are judged for hundreds of officers).
    around: &'a [OnceLock<u64>],
}

/// Step 3 for one officer's candidate homes: the verdict and the stops it covers, for
/// the homes where his stops are unusual. Each home is judged as one of its family (the
/// homes of people he dealt with, or of everyone else, near which he made at least
/// `min_stops` stops): see [`verdict`].
fn judge_officer(
    l: &Linked,
    m: &StopNearHome,
    window: (Ts, Ts),
    place: &Place<'_>,
    op: &OfficerPlaces,
) -> Vec<Near> {
    let Place {
        background: bg,
        officers_near,
        involved,
        around: around_counts,
    } = place;
    let o = l.stops[op.stops.start].officer;
    let dealt = l.dealt_with(o, &involved[o.index()], window);
    let is_candidate = |s: &SubjectIx| op.candidates.binary_search_by(|c| c.subject.cmp(s)).is_ok();
    let tied_family = dealt.iter().filter(|s| is_candidate(s)).count() as u64;
    let untied_family = op.candidates.len() as u64 - tied_family;
    let mut out = Vec::new();
    for c in &op.candidates {
        if !stands_out(c, m, bg, officers_near) {
            continue;
        }
        let tied = dealt.binary_search(&c.subject).is_ok();
        let i = c.subject.index();
        let home = l.subjects[i]
            .person
            .as_ref()
            .and_then(|p| p.home)
            .expect("a candidate is near a home");
        let everyone_around = *around_counts[i].get_or_init(|| bg.around.around(home, m.around_m));
        let counts = |nearby: u64, others_around: u64| PlaceCounts {
            near: Within {
                stops: c.near,
                others: bg.near[i] - c.near,
            },
            door: Within {
                stops: c.door,
                others: bg.door[i] - c.door,
            },
            nearby,
            others_around,
            tied,
            family: if tied { tied_family } else { untied_family },
        };
        // The most the verdict could say: his stops around no more than those near (the
        // fewest, the smallest tail) and all stops around the others' (the place's
        // smallest share). Hopeless there, hopeless anywhere: no need to find his stops
        // around the home.
        if !judge(counts(c.near, everyone_around), m).unusual {
            continue;
        }
        let around = stops_within(l, op, home, m.around_m);
        let nearby = around.len() as u64;
        let verdict = judge(counts(nearby, everyone_around.saturating_sub(nearby)), m);
        if !verdict.unusual {
            continue;
        }
        out.extend(
            around
                .into_iter()
                .filter(|(_, d)| *d <= verdict.within_m)
                .map(|(stop, metres)| Near {
                    stop,
                    subject: c.subject,
                    metres,
                    verdict,
                }),
        );
    }
    out
}

/// Per officer, the subjects of his involvements (at any time), sorted.
fn involved_sorted(l: &Linked) -> Vec<Vec<SubjectIx>> {
    let mut involved = l.involved_by_officer();
    involved.par_iter_mut().for_each(|v| v.sort_unstable());
    involved
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
    let zeros = || (0..l.subjects.len()).map(|_| AtomicU64::new(0)).collect();
    let counts = HomeCounts {
        stops: zeros(),
        door: zeros(),
        officers: zeros(),
    };
    let involved = involved_sorted(l);
    // Dropped with the stage: the Python package scores many datasets in one process.
    let tallies: ThreadLocal<RefCell<HomeTally>> = ThreadLocal::new();
    let officers: Vec<OfficerPlaces> = officer_ranges(l)
        .into_par_iter()
        .map(|r| {
            let o = l.stops[r.start].officer;
            let tally = tallies.get_or(|| RefCell::new(HomeTally::new(l.subjects.len())));
            let involved = &involved[o.index()];
            officer_places(
                l,
                &homes,
                m,
                window,
                involved,
                r,
                &counts,
                &mut tally.borrow_mut(),
            )
        })
        .collect();
    drop(tallies);
    let total =
        |v: Vec<AtomicU64>| -> Vec<u64> { v.into_iter().map(AtomicU64::into_inner).collect() };
    let officers_near = total(counts.officers);
    let bg = background(
        l,
        &officers,
        (total(counts.stops), total(counts.door)),
        m.around_m / AROUND_CELLS_PER_RADIUS,
        homes.ref_lat,
    );
    let around: Vec<OnceLock<u64>> = (0..l.subjects.len()).map(|_| OnceLock::new()).collect();
    let place = Place {
        background: &bg,
        officers_near: &officers_near,
        involved: &involved,
        around: &around,
    };
    officers
        .par_iter()
        .flat_map_iter(|op| judge_officer(l, m, window, &place, op))
        .collect()
}
