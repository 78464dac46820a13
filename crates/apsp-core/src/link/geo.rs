//! Geometry: great-circle distance and a grid of points for finding the points within a
//! radius (cells of the radius, never a cross join; the final test is the exact
//! haversine distance).

use rustc_hash::FxHashMap;

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
pub const M_PER_DEG: f64 = 6_371_008.8 * std::f64::consts::PI / 180.0;

/// Distances from one point on a local plane (metres per degree of the haversine
/// sphere, the longitude scale of the point's own latitude): far within 1 % of the
/// haversine distance at these radii, so only points in the ±1 % band around the
/// radius need the exact (trigonometric) distance, and every decision is haversine's.
pub struct Planar {
    p: (f64, f64),
    m_lon: f64,
    radius: f64,
    /// Squared planar distances certainly inside / outside the radius.
    inner: f64,
    outer: f64,
}

impl Planar {
    pub fn new(p: (f64, f64), radius: f64) -> Planar {
        Planar {
            p,
            m_lon: M_PER_DEG * p.0.to_radians().cos(),
            radius,
            inner: (radius * 0.99).powi(2),
            outer: (radius * 1.01).powi(2),
        }
    }

    /// Squared planar distance to `q`, m².
    pub fn d2(&self, q: (f64, f64)) -> f64 {
        let dy = (self.p.0 - q.0) * M_PER_DEG;
        let dx = (self.p.1 - q.1) * self.m_lon;
        dx * dx + dy * dy
    }

    /// Whether `q` is within the radius (haversine only near the boundary).
    pub fn within(&self, q: (f64, f64)) -> bool {
        let d = self.d2(q);
        d < self.inner || (d <= self.outer && haversine_m(self.p, q) <= self.radius)
    }

    /// The exact distance to `q` if it is within the radius.
    pub fn distance(&self, q: (f64, f64)) -> Option<f64> {
        if self.d2(q) > self.outer {
            return None;
        }
        let d = haversine_m(self.p, q);
        (d <= self.radius).then_some(d)
    }
}

/// A grid of points with cells of about `radius` metres at the reference latitude.
///
/// North of the reference latitude a degree of longitude is shorter, so the radius spans
/// more cells east–west: the cells looked at around a point are worked out at the
/// point's own latitude (a force from the Channel to Shetland spans 10° of latitude).
pub struct Grid<T> {
    cell_lat: f64,
    cell_lon: f64,
    radius: f64,
    cells: Cells<T>,
}

impl<T: Copy> Grid<T> {
    pub fn new(radius: f64, ref_lat: f64) -> Grid<T> {
        let cell_lat = radius / 111_000.0;
        let cell_lon = radius / (111_000.0 * ref_lat.to_radians().cos().max(0.1));
        Grid {
            cell_lat,
            cell_lon,
            radius,
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

    /// The points in the cells that cover the radius around `p`: one cell up and down,
    /// and east–west as many as the radius spans at `p`'s latitude (one nearer the
    /// reference latitude).
    fn around(&self, p: (f64, f64)) -> impl Iterator<Item = &(f64, f64, T)> {
        let (a, b) = self.key(p);
        let m_lon = M_PER_DEG * p.0.to_radians().cos().max(0.01);
        let reach = ((self.radius * 1.01 / m_lon) / self.cell_lon)
            .ceil()
            .max(1.0) as i64;
        (-1..=1)
            .flat_map(move |da| (-reach..=reach).map(move |db| (a + da, b + db)))
            .filter_map(|k| self.cells.get(&k))
            .flatten()
    }

    /// Whether any point is within `radius` metres of `p`.
    pub fn any_within(&self, p: (f64, f64), radius: f64) -> bool {
        let near = Planar::new(p, radius);
        self.around(p).any(|(la, lo, _)| near.within((*la, *lo)))
    }

    /// The points within `radius` metres of `p`, each with whether it is within `door`
    /// metres too (`door` at most `radius`), in the order of [`Self::within`]: the same
    /// points and the same decisions as the haversines of [`Self::within`] compared
    /// with `radius` and `door`, but a haversine is worked out only for a point in the
    /// 1 % band around either distance (a town's stops have dozens of homes within
    /// the radius each: millions of haversines otherwise).
    pub fn within_and_door(&self, p: (f64, f64), radius: f64, door: f64, out: &mut Vec<(T, bool)>) {
        let near = Planar::new(p, radius);
        let at_door = Planar::new(p, door);
        out.clear();
        out.extend(self.around(p).filter_map(|(la, lo, x)| {
            let q = (*la, *lo);
            let d2 = near.d2(q);
            if d2 > near.outer {
                return None;
            }
            if d2 >= near.inner && haversine_m(p, q) > radius {
                return None;
            }
            let door = d2 < at_door.inner || (d2 <= at_door.outer && haversine_m(p, q) <= door);
            Some((*x, door))
        }));
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

#[cfg(test)]
mod tests {
    use super::*;

    /// From the equator to the north of Scotland.
    const LATITUDES: [f64; 4] = [0.0, 51.5, 53.04, 58.9];

    /// Every 5° of bearing, in radians.
    fn compass() -> impl Iterator<Item = f64> {
        (0..72u32).map(|k| (f64::from(k) * 5.0).to_radians())
    }

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
        for lat in LATITUDES {
            let p = (lat, -1.3);
            let mut homes: Grid<u32> = Grid::new(radius, lat);
            let mut expected = Vec::new();
            for bearing in compass() {
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

    /// Points just inside and outside both distances, at every bearing and several
    /// latitudes: `within_and_door` decides each as the haversine does.
    #[test]
    fn within_and_door_decides_as_the_haversine() {
        let (radius, door) = (150.0, 50.0);
        for lat in LATITUDES {
            let p = (lat, -1.3);
            let mut homes: Grid<u32> = Grid::new(radius, lat);
            let mut expected = Vec::new();
            for bearing in compass() {
                for metres in [
                    door * 0.5,
                    door * 0.9995,
                    door * 1.0005,
                    door * 1.02,
                    radius * 0.5,
                    radius * 0.98,
                    radius * 0.9995,
                    radius * 1.0005,
                    radius * 1.02,
                ] {
                    // Degrees along the bearing for `metres`, then the exact haversine.
                    let deg = metres / M_PER_DEG;
                    let q = (
                        lat + deg * bearing.cos(),
                        -1.3 + deg * bearing.sin() / lat.to_radians().cos(),
                    );
                    let d = haversine_m(p, q);
                    let id = expected.len() as u32;
                    homes.insert(q, id);
                    expected.push((id, d <= radius, d <= door));
                }
            }
            let mut out = Vec::new();
            homes.within_and_door(p, radius, door, &mut out);
            // The order of `within`, its points, and the door by its distances.
            let mut exact = Vec::new();
            homes.within(p, radius, &mut exact);
            let as_within: Vec<(u32, bool)> = exact.iter().map(|(i, d)| (*i, *d <= door)).collect();
            assert_eq!(out, as_within, "latitude {lat}");
            let mut got: Vec<(u32, bool)> = out.clone();
            got.sort_unstable();
            let want: Vec<(u32, bool)> = expected
                .iter()
                .filter(|e| e.1)
                .map(|e| (e.0, e.2))
                .collect();
            assert_eq!(got, want, "latitude {lat}");
            // Near the boundaries on both sides: the test is not vacuous.
            assert!(want.iter().any(|w| w.1) && want.iter().any(|w| !w.1));
            assert!(want.len() < expected.len());
        }
    }

    /// A point on the radius due east or west of a home far north of the grid's
    /// reference latitude (a force spanning 50°–59° N): east–west, 150 m is more
    /// degrees of longitude there than a cell sized at 50° holds.
    #[test]
    fn points_north_of_the_reference_latitude_are_found() {
        let radius = 150.0;
        let mut grid: Grid<u32> = Grid::new(radius, 50.0);
        let home: (f64, f64) = (58.9, -3.1);
        let m_lon = M_PER_DEG * home.0.to_radians().cos();
        let east = (home.0, home.1 + 145.0 / m_lon);
        let west = (home.0, home.1 - 145.0 / m_lon);
        let far = (home.0, home.1 + 160.0 / m_lon);
        grid.insert(east, 1);
        grid.insert(west, 2);
        grid.insert(far, 3);
        let mut out = Vec::new();
        grid.within(home, radius, &mut out);
        let mut got: Vec<u32> = out.iter().map(|(i, _)| *i).collect();
        got.sort_unstable();
        assert_eq!(got, vec![1, 2]);
        assert!(grid.any_within(home, radius));
    }
}
