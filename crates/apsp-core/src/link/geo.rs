//! Geometry: great-circle distance and a grid of points for finding the points within a
//! radius (cells of half the radius, never a cross join; the final test is the exact
//! haversine distance).

/// Great-circle distance in metres.
pub fn haversine_m((lat1, lon1): (f64, f64), (lat2, lon2): (f64, f64)) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let (dp, dl) = ((lat2 - lat1).to_radians(), (lon2 - lon1).to_radians());
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * a.sqrt().asin()
}

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

/// Cells per radius of a [`Grid`], each way: the cells looked at around a point cover
/// its circle closely (a cell of the whole radius made a query look at fifteen cells, five
/// times the circle's area).
const CELLS_PER_RADIUS: f64 = 2.0;

/// The smallest cell of a [`Grid`], metres: the rows of cells span the points'
/// latitudes, and a tiny radius must not make millions of them.
const MIN_CELL_M: f64 = 5.0;

/// A point of a [`Grid`]: latitude, longitude and its value.
type Point<T> = (f64, f64, T);

/// A grid cell: row (of latitude) and column (of longitude).
type Cell = (i64, i64);

/// How far beyond the radius the cells looked at reach, as a share of it: past the
/// planar distances' 1 % band (see [`Planar`]), with room for rounding.
const REACH: f64 = 1.02;

/// A grid of points for finding those within a radius of any point: square cells of
/// half the radius at the reference latitude, the points stored row by row of cells and
/// by column within a row, so that a query reads a few contiguous runs of points: for
/// each row of cells the circle crosses, the columns it spans on that row.
///
/// North of the reference latitude a degree of longitude is shorter, so the radius spans
/// more cells east–west: the columns looked at are worked out at the point's own
/// latitude (a force from the Channel to Shetland spans 10° of latitude).
pub struct Grid<T> {
    cell_lat: f64,
    cell_lon: f64,
    /// The points (lat, lon, value), sorted by cell row, then column.
    points: Vec<Point<T>>,
    /// The column of each point of `points`.
    cols: Vec<i64>,
    /// The first row of cells, and where each row's points start in `points` (one more
    /// entry than rows: a row's points end where the next row's start).
    first_row: i64,
    row_starts: Vec<usize>,
}

impl<T: Copy> Grid<T> {
    /// A grid of `points` for queries within about `radius` metres, with cells sized at
    /// latitude `ref_lat`.
    pub fn from_points(
        radius: f64,
        ref_lat: f64,
        points: impl IntoIterator<Item = ((f64, f64), T)>,
    ) -> Grid<T> {
        let cell_lat = (radius / CELLS_PER_RADIUS).max(MIN_CELL_M) / M_PER_DEG;
        let cell_lon = cell_lat / ref_lat.to_radians().cos().max(0.1);
        let mut grid = Grid {
            cell_lat,
            cell_lon,
            points: Vec::new(),
            cols: Vec::new(),
            first_row: 0,
            row_starts: vec![0],
        };
        let mut keyed: Vec<(Cell, Point<T>)> = points
            .into_iter()
            .map(|(p, v)| ((grid.row(p.0), grid.col(p.1)), (p.0, p.1, v)))
            .collect();
        // Stable: points of one cell keep the order given.
        keyed.sort_by_key(|(k, _)| *k);
        let (Some(first), Some(last)) = (keyed.first(), keyed.last()) else {
            return grid;
        };
        let (first_row, last_row) = (first.0 .0, last.0 .0);
        let rows = usize::try_from(last_row - first_row + 1).expect("rows in order");
        let mut row_starts = Vec::with_capacity(rows + 1);
        for ((row, col), point) in keyed {
            while (row_starts.len() as i64) <= row - first_row {
                row_starts.push(grid.points.len());
            }
            grid.cols.push(col);
            grid.points.push(point);
        }
        row_starts.push(grid.points.len());
        grid.first_row = first_row;
        grid.row_starts = row_starts;
        grid
    }

    fn row(&self, lat: f64) -> i64 {
        (lat / self.cell_lat).floor() as i64
    }

    fn col(&self, lon: f64) -> i64 {
        (lon / self.cell_lon).floor() as i64
    }

    /// The points of row `row` whose column is in `cols`.
    fn row_span(&self, row: i64, cols: (i64, i64)) -> &[Point<T>] {
        let Ok(i) = usize::try_from(row - self.first_row) else {
            return &[];
        };
        let (Some(start), Some(end)) = (self.row_starts.get(i), self.row_starts.get(i + 1)) else {
            return &[];
        };
        let in_row = &self.cols[*start..*end];
        let from = in_row.partition_point(|c| *c < cols.0);
        let to = in_row.partition_point(|c| *c <= cols.1);
        &self.points[start + from..start + to]
    }

    /// The points in the cells that cover the circle of `radius` (and its planar band)
    /// around `p`: row by row of cells, the columns the circle spans on that row at
    /// `p`'s latitude.
    fn around(&self, p: (f64, f64), radius: f64) -> impl Iterator<Item = &Point<T>> {
        let reach = radius * REACH;
        let m_lon = M_PER_DEG * p.0.to_radians().cos().max(0.01);
        let rows = self.row(p.0 - reach / M_PER_DEG)..=self.row(p.0 + reach / M_PER_DEG);
        rows.flat_map(move |row| {
            // The row's nearest latitude to p, and the half-width of the circle there.
            let (south, north) = (row as f64 * self.cell_lat, (row + 1) as f64 * self.cell_lat);
            let dy = if p.0 < south {
                south - p.0
            } else if p.0 > north {
                p.0 - north
            } else {
                0.0
            } * M_PER_DEG;
            let half = (reach * reach - dy * dy).max(0.0).sqrt() / m_lon;
            self.row_span(row, (self.col(p.1 - half), self.col(p.1 + half)))
        })
    }

    /// Whether any point is within `radius` metres of `p`.
    pub fn any_within(&self, p: (f64, f64), radius: f64) -> bool {
        let near = Planar::new(p, radius);
        self.around(p, radius)
            .any(|(la, lo, _)| near.within((*la, *lo)))
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
        out.extend(self.around(p, radius).filter_map(|(la, lo, x)| {
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
            self.around(p, radius)
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
            let mut points = Vec::new();
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
                    points.push((q, id));
                    expected.push((id, haversine_m(p, q) <= radius));
                }
            }
            let homes = Grid::from_points(radius, lat, points);
            let mut out = Vec::new();
            homes.within(p, radius, &mut out);
            let mut got: Vec<u32> = out.iter().map(|(i, _)| *i).collect();
            got.sort_unstable();
            let want: Vec<u32> = expected.iter().filter(|e| e.1).map(|e| e.0).collect();
            assert_eq!(got, want, "latitude {lat}");
            assert_eq!(want.len(), 72);
            // Every point, inside and outside, is among those the grid looks at.
            assert_eq!(homes.around(p, radius).count(), expected.len());
            for (i, q) in homes
                .around(p, radius)
                .map(|(a, b, i)| (*i, (*a, *b)))
                .collect::<Vec<_>>()
            {
                let single = Grid::from_points(radius, lat, [(q, i)]);
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
            let mut points = Vec::new();
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
                    points.push((q, id));
                    expected.push((id, d <= radius, d <= door));
                }
            }
            let homes = Grid::from_points(radius, lat, points);
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
        let home: (f64, f64) = (58.9, -3.1);
        let m_lon = M_PER_DEG * home.0.to_radians().cos();
        let east = (home.0, home.1 + 145.0 / m_lon);
        let west = (home.0, home.1 - 145.0 / m_lon);
        let far = (home.0, home.1 + 160.0 / m_lon);
        let grid = Grid::from_points(radius, 50.0, [(east, 1), (west, 2), (far, 3)]);
        let mut out = Vec::new();
        grid.within(home, radius, &mut out);
        let mut got: Vec<u32> = out.iter().map(|(i, _)| *i).collect();
        got.sort_unstable();
        assert_eq!(got, vec![1, 2]);
        assert!(grid.any_within(home, radius));
    }

    /// Random points scattered over a few kilometres at latitudes from the equator to
    /// Shetland, a grid sized at another latitude, and queries at random points with
    /// radii up to twice the grid's: `within` finds exactly the points a brute-force
    /// haversine finds, and `within_and_door` the same with the door by haversine.
    #[test]
    fn queries_find_what_brute_force_finds() {
        let mut rng = oorandom::Rand64::new(7);
        for lat in LATITUDES {
            let centre = (lat, -1.3);
            let m_lon = M_PER_DEG * lat.to_radians().cos();
            let mut scatter = || {
                (
                    centre.0 + (rng.rand_float() - 0.5) * 3_000.0 / M_PER_DEG,
                    centre.1 + (rng.rand_float() - 0.5) * 3_000.0 / m_lon,
                )
            };
            let points: Vec<((f64, f64), u32)> = (0..4_000).map(|i| (scatter(), i)).collect();
            let queries: Vec<(f64, f64)> = (0..200).map(|_| scatter()).collect();
            let grid = Grid::from_points(150.0, 52.0, points.iter().copied());
            for (k, q) in queries.iter().enumerate() {
                let radius = [150.0, 60.0, 300.0][k % 3];
                let door = radius / 3.0;
                let brute = |r: f64| -> Vec<u32> {
                    points
                        .iter()
                        .filter(|(p, _)| haversine_m(*q, *p) <= r)
                        .map(|(_, i)| *i)
                        .collect()
                };
                let mut out = Vec::new();
                grid.within(*q, radius, &mut out);
                let mut got: Vec<u32> = out.iter().map(|(i, _)| *i).collect();
                got.sort_unstable();
                assert_eq!(got, brute(radius), "latitude {lat}, query {k}");
                let mut both = Vec::new();
                grid.within_and_door(*q, radius, door, &mut both);
                let mut at_door: Vec<u32> =
                    both.iter().filter(|(_, d)| *d).map(|(i, _)| *i).collect();
                at_door.sort_unstable();
                assert_eq!(at_door, brute(door), "latitude {lat}, query {k}");
                assert_eq!(both.len(), got.len());
            }
        }
    }
}
