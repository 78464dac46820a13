//! Geometry: great-circle distance, grids of points, and the stops near subjects' homes
//! (found through a grid with cells of the search radius, never a cross join; the final
//! test is the exact haversine distance).

use rustc_hash::FxHashMap;
use std::ops::Range;

use rayon::prelude::*;

use super::{Linked, Stop, SubjectIx, Ts};

/// Great-circle distance in metres.
pub fn haversine_m((lat1, lon1): (f64, f64), (lat2, lon2): (f64, f64)) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let (dp, dl) = ((lat2 - lat1).to_radians(), (lon2 - lon1).to_radians());
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * a.sqrt().asin()
}

/// Points per grid cell: (lat, lon, value).
type Cells<T> = FxHashMap<(i64, i64), Vec<(f64, f64, T)>>;

/// Metres per degree of latitude on the sphere `haversine_m` uses.
const M_PER_DEG: f64 = 6_371_008.8 * std::f64::consts::PI / 180.0;

/// Distances from one point on a local plane (metres per degree of the haversine
/// sphere, the longitude scale of the point's own latitude): far within 1 % of the
/// haversine distance at these radii, so only points in the ±1 % band around the
/// radius need the exact (trigonometric) distance, and every decision is haversine's.
struct Planar {
    p: (f64, f64),
    m_lon: f64,
    radius: f64,
    /// Squared planar distances certainly inside / outside the radius.
    inner: f64,
    outer: f64,
}

impl Planar {
    fn new(p: (f64, f64), radius: f64) -> Planar {
        Planar {
            p,
            m_lon: M_PER_DEG * p.0.to_radians().cos(),
            radius,
            inner: (radius * 0.99).powi(2),
            outer: (radius * 1.01).powi(2),
        }
    }

    fn d2(&self, q: (f64, f64)) -> f64 {
        let dy = (self.p.0 - q.0) * M_PER_DEG;
        let dx = (self.p.1 - q.1) * self.m_lon;
        dx * dx + dy * dy
    }

    /// Whether `q` is within the radius (haversine only near the boundary).
    fn within(&self, q: (f64, f64)) -> bool {
        let d = self.d2(q);
        d < self.inner || (d <= self.outer && haversine_m(self.p, q) <= self.radius)
    }

    /// The exact distance to `q` if it is within the radius.
    fn distance(&self, q: (f64, f64)) -> Option<f64> {
        if self.d2(q) > self.outer {
            return None;
        }
        let d = haversine_m(self.p, q);
        (d <= self.radius).then_some(d)
    }
}

/// A grid of points with cells of about `radius` metres.
pub struct Grid<T> {
    cell_lat: f64,
    cell_lon: f64,
    cells: Cells<T>,
}

impl<T: Copy> Grid<T> {
    pub fn new(radius: f64, ref_lat: f64) -> Grid<T> {
        let cell_lat = radius / 111_000.0;
        let cell_lon = radius / (111_000.0 * ref_lat.to_radians().cos().max(0.1));
        Grid {
            cell_lat,
            cell_lon,
            cells: FxHashMap::default(),
        }
    }

    fn key(&self, p: (f64, f64)) -> (i64, i64) {
        (
            (p.0 / self.cell_lat).floor() as i64,
            (p.1 / self.cell_lon).floor() as i64,
        )
    }

    pub fn insert(&mut self, p: (f64, f64), v: T) {
        let k = self.key(p);
        self.cells.entry(k).or_default().push((p.0, p.1, v));
    }

    /// The points in the 3 × 3 cells around `p`.
    fn around(&self, p: (f64, f64)) -> impl Iterator<Item = &(f64, f64, T)> {
        let (a, b) = self.key(p);
        (-1..=1)
            .flat_map(move |da| (-1..=1).map(move |db| (a + da, b + db)))
            .filter_map(|k| self.cells.get(&k))
            .flatten()
    }

    /// Whether any point is within `radius` metres of `p`.
    pub fn any_within(&self, p: (f64, f64), radius: f64) -> bool {
        let near = Planar::new(p, radius);
        self.around(p).any(|(la, lo, _)| near.within((*la, *lo)))
    }

    /// Every point within `radius` metres of `p`, with its exact distance.
    pub fn within(&self, p: (f64, f64), radius: f64, out: &mut Vec<(T, f64)>) {
        let near = Planar::new(p, radius);
        out.clear();
        out.extend(
            self.around(p)
                .filter_map(|(la, lo, x)| near.distance((*la, *lo)).map(|d| (*x, d))),
        );
    }
}

/// Cells per radius in a [`PlaceGrid`].
const PLACE_SUB: i64 = 4;

/// Stop places by officer, for counting the distinct officers who stopped near a point.
/// Cells are a quarter of the radius; per cell, the officers who stopped in it, each
/// with their distinct stop points. A cell wholly inside the circle counts its officers
/// without a distance test, a cell wholly outside is skipped, and only cells on the
/// circle's edge test points — a busy beat holds thousands of stops of a few officers.
pub struct PlaceGrid {
    cell_lat: f64,
    cell_lon: f64,
    /// Cell → range of `groups`.
    cells: FxHashMap<(i64, i64), Range<usize>>,
    /// (officer, range of `points`), by cell then officer.
    groups: Vec<(u32, Range<usize>)>,
    points: Vec<(f64, f64)>,
    /// Cell offsets covering the radius, nearest first: at a busy place the officers
    /// of the cells around the point reach the cap before the far cells are looked at.
    offsets: Vec<(i64, i64)>,
    reach_lon: i64,
}

impl PlaceGrid {
    /// `places`: (officer, point).
    pub fn new(radius: f64, ref_lat: f64, places: Vec<(u32, (f64, f64))>) -> PlaceGrid {
        let shape: Grid<()> = Grid::new(radius / PLACE_SUB as f64, ref_lat);
        let mut keyed: Vec<((i64, i64), u32, u64, u64)> = places
            .into_par_iter()
            .map(|(o, p)| (shape.key(p), o, p.0.to_bits(), p.1.to_bits()))
            .collect();
        keyed.par_sort_unstable();
        keyed.dedup();
        // Two cells of margin for latitudes away from the reference one.
        let m_lon = M_PER_DEG * ref_lat.to_radians().cos();
        let reach_lon = (radius / (m_lon.max(1.0) * shape.cell_lon)).ceil() as i64 + 3;
        let mut offsets: Vec<(i64, i64)> = (-PLACE_SUB - 1..=PLACE_SUB + 1)
            .flat_map(|da| (-reach_lon..=reach_lon).map(move |db| (da, db)))
            .collect();
        offsets.sort_by_key(|(da, db)| (da * da + db * db, *da, *db));
        let mut g = PlaceGrid {
            cell_lat: shape.cell_lat,
            cell_lon: shape.cell_lon,
            cells: FxHashMap::default(),
            groups: Vec::new(),
            points: Vec::with_capacity(keyed.len()),
            offsets,
            reach_lon,
        };
        let mut i = 0;
        while i < keyed.len() {
            let cell = keyed[i].0;
            let first_group = g.groups.len();
            while i < keyed.len() && keyed[i].0 == cell {
                let o = keyed[i].1;
                let first = g.points.len();
                while i < keyed.len() && keyed[i].0 == cell && keyed[i].1 == o {
                    g.points
                        .push((f64::from_bits(keyed[i].2), f64::from_bits(keyed[i].3)));
                    i += 1;
                }
                g.groups.push((o, first..g.points.len()));
            }
            g.cells.insert(cell, first_group..g.groups.len());
        }
        g
    }

    /// Distinct officers who stopped within `radius` metres of `p`, counted up to `cap`.
    ///
    /// Only "within or not" matters here, so a point (or a cell) clearly inside or
    /// outside the radius is decided on the plane, without trigonometry (see `Planar`).
    pub fn distinct_within(&self, p: (f64, f64), radius: f64, cap: u32) -> u32 {
        let near = Planar::new(p, radius);
        let mut seen: Vec<u32> = Vec::new();
        let (a, b) = (
            (p.0 / self.cell_lat).floor() as i64,
            (p.1 / self.cell_lon).floor() as i64,
        );
        // Enough cells to cover the radius at p's latitude: the precomputed offsets,
        // nearest first, unless p is so far from the reference latitude that they fall
        // short (then every cell in reach, in row order).
        let reach_lon = (radius / (near.m_lon.max(1.0) * self.cell_lon)).ceil() as i64 + 1;
        let wide: Vec<(i64, i64)>;
        let offsets: &[(i64, i64)] = if reach_lon <= self.reach_lon {
            &self.offsets
        } else {
            wide = (-PLACE_SUB - 1..=PLACE_SUB + 1)
                .flat_map(|da| (-reach_lon..=reach_lon).map(move |db| (da, db)))
                .collect();
            &wide
        };
        for (da, db) in offsets {
            let (ka, kb) = (a + da, b + db);
            let Some(r) = self.cells.get(&(ka, kb)) else {
                continue;
            };
            // The cell's nearest and farthest points from p (planar).
            let (lat0, lon0) = (ka as f64 * self.cell_lat, kb as f64 * self.cell_lon);
            let (lat1, lon1) = (lat0 + self.cell_lat, lon0 + self.cell_lon);
            let nearest = (p.0.clamp(lat0, lat1), p.1.clamp(lon0, lon1));
            let far = (
                if p.0 - lat0 > lat1 - p.0 { lat0 } else { lat1 },
                if p.1 - lon0 > lon1 - p.1 { lon0 } else { lon1 },
            );
            if near.d2(nearest) > near.outer {
                continue;
            }
            let whole = near.d2(far) < near.inner;
            for (o, pts) in &self.groups[r.clone()] {
                if !seen.contains(o)
                    && (whole || self.points[pts.clone()].iter().any(|q| near.within(*q)))
                {
                    seen.push(*o);
                    if seen.len() as u32 >= cap {
                        return cap;
                    }
                }
            }
        }
        seen.len() as u32
    }
}

/// A stop within the radius of a subject's home.
#[derive(Debug, Clone, Copy)]
pub struct Near {
    pub stop: usize,
    pub subject: SubjectIx,
    pub metres: f64,
    /// Distinct officers who stopped within the radius (below the cap).
    pub place_officers: u32,
}

/// The stops in (from, to] within `radius` of a subject's home that nothing explains,
/// ordered by (officer, subject, time), with for each the number of distinct officers
/// who stopped within the radius of it in the period (below `cap`).
///
/// Explained stops are left out for every subject at once: a stop covered by a
/// deployment of the officer within the radius (a legitimate reason to be there), and
/// a stop at a place where `cap` or more distinct officers stop (a hotspot explains
/// itself: counted over undeployed stops). Both would otherwise pair every patrol with
/// every home around a town centre.
pub fn stops_near_homes(l: &Linked, radius: f64, cap: u32, from: Ts, to: Ts) -> Vec<Near> {
    let homes: Vec<(SubjectIx, (f64, f64))> = l
        .subjects
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            s.person
                .as_ref()
                .and_then(|p| p.home)
                .map(|h| (SubjectIx(i as u32), h))
        })
        .collect();
    if homes.is_empty() || l.stops.is_empty() {
        return Vec::new();
    }
    let ref_lat = homes.iter().map(|(_, h)| h.0).sum::<f64>() / homes.len() as f64;
    let mut grid = Grid::new(radius, ref_lat);
    for (s, h) in &homes {
        grid.insert(*h, *s);
    }
    let in_window = |s: &Stop| s.at > from && s.at <= to;
    // Undeployed stops only: a place is common when many officers stop there with no
    // dispatch (a town centre, a hospital car park), not because incidents were near.
    let deployed: Vec<bool> = l
        .stops
        .par_iter()
        .map(|s| {
            in_window(s)
                && l.deployment_near(s.officer, (s.lat, s.lon), s.at, s.until, radius)
                    .is_some()
        })
        .collect();
    let stop_grid = PlaceGrid::new(
        radius,
        ref_lat,
        l.stops
            .iter()
            .zip(&deployed)
            .filter(|(s, d)| in_window(s) && !**d)
            .map(|(s, _)| (s.officer.0, (s.lat, s.lon)))
            .collect(),
    );
    // In parallel, collected in stop order: the result does not depend on the threads.
    let mut near: Vec<Near> = l
        .stops
        .par_iter()
        .enumerate()
        .flat_map_iter(|(i, s)| {
            let p = (s.lat, s.lon);
            // Cheapest test first: in a town a stop has dozens of homes within the
            // radius, and most such stops are at common places.
            let mut buf = Vec::new();
            let mut place_officers = cap;
            if in_window(s) && !deployed[i] && grid.any_within(p, radius) {
                // Counting stops once `cap` distinct officers are found: a hotspot
                // holds thousands of stops, and all that matters is whether the place
                // is common.
                place_officers = stop_grid.distinct_within(p, radius, cap);
                if place_officers < cap {
                    grid.within(p, radius, &mut buf);
                }
            }
            buf.into_iter().map(move |(subject, d)| Near {
                stop: i,
                subject,
                metres: d,
                place_officers,
            })
        })
        .collect();
    // (officer, subject, time, stop) is unique: an unstable sort is deterministic.
    near.par_sort_unstable_by(|a, b| {
        let (sa, sb) = (&l.stops[a.stop], &l.stops[b.stop]);
        (sa.officer, a.subject, sa.at, a.stop).cmp(&(sb.officer, b.subject, sb.at, b.stop))
    });
    near
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn haversine_matches_known_distances() {
        // One degree of latitude is ~111.2 km; 0.001 degree ~ 111 m.
        let d = haversine_m((52.0, -1.0), (52.001, -1.0));
        assert!((d - 111.19).abs() < 0.1, "{d}");
        let d = haversine_m((51.5007, -0.1246), (48.8584, 2.2945)); // Big Ben - Eiffel
        assert!((d / 1000.0 - 340.6).abs() < 1.0, "{d}");
    }

    /// Points just inside and just outside the radius, in every direction and at
    /// latitudes from the equator to the north of Scotland: the grid decides exactly as
    /// the haversine distance does.
    #[test]
    fn decisions_at_the_boundary_are_haversines() {
        let radius = 150.0;
        for lat in [0.0, 51.5, 53.04, 58.9] {
            let p = (lat, -1.3);
            let mut homes: Grid<u32> = Grid::new(radius, lat);
            let mut places = Vec::new();
            let mut expected = Vec::new();
            for k in 0..72u32 {
                let bearing = (k as f64 * 5.0).to_radians();
                for f in [0.99995, 1.00005] {
                    // Walk out from p along the bearing to haversine distance f * radius.
                    let (mut lo, mut hi) = (0.0, 2.0 * radius / 100_000.0);
                    for _ in 0..100 {
                        let mid = (lo + hi) / 2.0;
                        let q = (
                            lat + mid * bearing.cos(),
                            -1.3 + mid * bearing.sin() / lat.to_radians().cos(),
                        );
                        if haversine_m(p, q) < f * radius {
                            lo = mid;
                        } else {
                            hi = mid;
                        }
                    }
                    let q = (
                        lat + lo * bearing.cos(),
                        -1.3 + lo * bearing.sin() / lat.to_radians().cos(),
                    );
                    let id = expected.len() as u32;
                    homes.insert(q, id);
                    places.push((id, q));
                    expected.push((id, haversine_m(p, q) <= radius));
                }
            }
            let mut out = Vec::new();
            homes.within(p, radius, &mut out);
            let mut got: Vec<u32> = out.iter().map(|(i, _)| *i).collect();
            got.sort_unstable();
            let want: Vec<u32> = expected.iter().filter(|e| e.1).map(|e| e.0).collect();
            assert_eq!(got, want, "latitude {lat}");
            assert_eq!(want.len(), 72);
            // One place per officer: the count of officers within is the count inside.
            let grid = PlaceGrid::new(radius, lat, places);
            assert_eq!(grid.distinct_within(p, radius, 1_000), 72, "latitude {lat}");
            for (i, q) in homes
                .around(p)
                .map(|(a, b, i)| (*i, (*a, *b)))
                .collect::<Vec<_>>()
            {
                let mut single: Grid<u32> = Grid::new(radius, lat);
                single.insert(q, i);
                assert_eq!(single.any_within(p, radius), expected[i as usize].1);
            }
        }
    }
}
