//! Stops near subjects' homes, found through a grid (cells of the search radius), never
//! a cross join; the final test is the exact haversine distance.

use std::collections::HashMap;

use super::{haversine_m, Linked, Stop, Ts};

/// Points per grid cell: (lat, lon, value).
type Cells<T> = HashMap<(i64, i64), Vec<(f64, f64, T)>>;

/// A grid of points with cells of about `radius` metres.
pub struct Grid<T> {
    cell_lat: f64,
    cell_lon: f64,
    /// Metres per degree of longitude at the reference latitude (planar pre-filter).
    m_lon: f64,
    cells: Cells<T>,
}

impl<T: Copy> Grid<T> {
    pub fn new(radius: f64, ref_lat: f64) -> Grid<T> {
        let cell_lat = radius / 111_000.0;
        let cell_lon = radius / (111_000.0 * ref_lat.to_radians().cos().max(0.1));
        Grid {
            cell_lat,
            cell_lon,
            m_lon: 111_320.0 * ref_lat.to_radians().cos(),
            cells: HashMap::new(),
        }
    }

    /// Whether `q` is within `radius` of `p`, and how far: a cheap planar test first
    /// (with 2 % slack), the exact haversine distance for the final answer.
    fn close(&self, p: (f64, f64), q: (f64, f64), radius: f64) -> Option<f64> {
        let dy = (p.0 - q.0) * 111_320.0;
        let dx = (p.1 - q.1) * self.m_lon;
        let slack = radius * 1.02;
        if dx * dx + dy * dy > slack * slack {
            return None;
        }
        let d = haversine_m(p, q);
        (d <= radius).then_some(d)
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

    /// Every point within `radius` metres of `p`, with its distance.
    pub fn within(&self, p: (f64, f64), radius: f64, out: &mut Vec<(T, f64)>) {
        out.clear();
        let (a, b) = self.key(p);
        for da in -1..=1 {
            for db in -1..=1 {
                if let Some(v) = self.cells.get(&(a + da, b + db)) {
                    for (la, lo, x) in v {
                        if let Some(d) = self.close(p, (*la, *lo), radius) {
                            out.push((*x, d));
                        }
                    }
                }
            }
        }
    }
}

impl Grid<u32> {
    /// Distinct values within `radius` metres of `p`, counted up to `cap`.
    pub fn distinct_within(&self, p: (f64, f64), radius: f64, cap: u32) -> u32 {
        let mut seen: Vec<u32> = Vec::new();
        let (a, b) = self.key(p);
        for da in -1..=1 {
            for db in -1..=1 {
                let Some(v) = self.cells.get(&(a + da, b + db)) else {
                    continue;
                };
                for (la, lo, x) in v {
                    if !seen.contains(x) && self.close(p, (*la, *lo), radius).is_some() {
                        seen.push(*x);
                        if seen.len() as u32 >= cap {
                            return cap;
                        }
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
    pub subject: u32,
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
    let homes: Vec<(u32, (f64, f64))> = l
        .subjects
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            s.person
                .as_ref()
                .and_then(|p| p.home)
                .map(|h| (i as u32, h))
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
        .iter()
        .map(|s| {
            in_window(s)
                && l.deployment_near(s.officer, (s.lat, s.lon), s.at, s.until, radius)
                    .is_some()
        })
        .collect();
    let mut stop_grid: Grid<u32> = Grid::new(radius, ref_lat);
    for (i, s) in l.stops.iter().enumerate() {
        if in_window(s) && !deployed[i] {
            stop_grid.insert((s.lat, s.lon), s.officer);
        }
    }
    let mut near = Vec::new();
    let mut buf = Vec::new();
    for (i, s) in l.stops.iter().enumerate() {
        if !in_window(s) || deployed[i] {
            continue;
        }
        let p = (s.lat, s.lon);
        grid.within(p, radius, &mut buf);
        if buf.is_empty() {
            continue;
        }
        // Counting stops once `cap` distinct officers are found: a hotspot cell holds
        // thousands of stops, and all that matters is whether the place is common.
        let place_officers = stop_grid.distinct_within(p, radius, cap);
        if place_officers >= cap {
            continue;
        }
        for (subject, d) in &buf {
            near.push(Near {
                stop: i,
                subject: *subject,
                metres: *d,
                place_officers,
            });
        }
    }
    near.sort_by(|a, b| {
        let (sa, sb) = (&l.stops[a.stop], &l.stops[b.stop]);
        (sa.officer, a.subject, sa.at, a.stop).cmp(&(sb.officer, b.subject, sb.at, b.stop))
    });
    near
}
