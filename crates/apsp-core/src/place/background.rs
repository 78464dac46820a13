//! What a place predicts: how many stops any officer makes near each home, and around
//! it. One pass over every officer's eligible stops; the counts are sums, so the
//! background of a shard (or of a cluster's partition) merges into another's by adding.

use rustc_hash::FxHashMap;

use crate::link::geo::{Planar, M_PER_DEG};
use crate::link::SubjectIx;

/// Stops counted in square cells of a fixed size: the stops "around" a home are those of
/// the cells whose centre lies within the around radius (a deterministic estimate, to a
/// cell at the edge: enough for a background of hundreds or thousands of stops).
#[derive(Debug, Clone, Default)]
pub struct CountGrid {
    cell_lat: f64,
    cell_lon: f64,
    cells: FxHashMap<(i64, i64), u64>,
}

impl CountGrid {
    /// Cells of `cell_m` metres at latitude `ref_lat`.
    pub fn new(cell_m: f64, ref_lat: f64) -> CountGrid {
        CountGrid {
            cell_lat: cell_m / M_PER_DEG,
            cell_lon: cell_m / (M_PER_DEG * ref_lat.to_radians().cos().max(0.1)),
            cells: FxHashMap::default(),
        }
    }

    fn key(&self, p: (f64, f64)) -> (i64, i64) {
        (
            (p.0 / self.cell_lat).floor() as i64,
            (p.1 / self.cell_lon).floor() as i64,
        )
    }

    pub fn add(&mut self, p: (f64, f64)) {
        *self.cells.entry(self.key(p)).or_default() += 1;
    }

    /// Adds another grid of the same cells.
    pub fn merge(&mut self, other: &CountGrid) {
        debug_assert!(self.cell_lat == other.cell_lat && self.cell_lon == other.cell_lon);
        for (k, n) in &other.cells {
            *self.cells.entry(*k).or_default() += n;
        }
    }

    /// The stops in cells whose centre is within `radius` metres of `p`.
    pub fn around(&self, p: (f64, f64), radius: f64) -> u64 {
        let plane = Planar::new(p, radius);
        let (a, b) = self.key(p);
        let reach_lat = (radius / (self.cell_lat * M_PER_DEG)).ceil() as i64 + 1;
        let m_lon = M_PER_DEG * p.0.to_radians().cos().max(0.01);
        let reach_lon = (radius / (self.cell_lon * m_lon)).ceil() as i64 + 1;
        let r2 = radius * radius;
        let mut total = 0;
        for da in -reach_lat..=reach_lat {
            for db in -reach_lon..=reach_lon {
                let key = (a + da, b + db);
                let Some(n) = self.cells.get(&key) else {
                    continue;
                };
                let centre = (
                    (key.0 as f64 + 0.5) * self.cell_lat,
                    (key.1 as f64 + 0.5) * self.cell_lon,
                );
                if plane.d2(centre) <= r2 {
                    total += n;
                }
            }
        }
        total
    }
}

/// The place background of the analysis window: every officer's eligible stops (in the
/// window, not deployed, not explained by an involvement, see [`super`]) near each
/// subject's home and around it.
#[derive(Debug, Clone)]
pub struct Background {
    /// Eligible stops within the radius of each subject's home, by subject.
    pub near: Vec<u64>,
    /// Eligible stops within the door distance of each subject's home, by subject.
    pub door: Vec<u64>,
    /// Eligible stops, in cells, for counting those around a home.
    pub around: CountGrid,
}

impl Background {
    /// An empty background for `subjects` subjects, with cells of `cell_m` metres.
    pub fn new(subjects: usize, cell_m: f64, ref_lat: f64) -> Background {
        Background {
            near: vec![0; subjects],
            door: vec![0; subjects],
            around: CountGrid::new(cell_m, ref_lat),
        }
    }

    /// Counts one eligible stop at `p`, within the radius of the homes of `near` and
    /// within the door distance of those of `door`.
    pub fn add_stop(
        &mut self,
        p: (f64, f64),
        near: impl IntoIterator<Item = SubjectIx>,
        door: impl IntoIterator<Item = SubjectIx>,
    ) {
        self.around.add(p);
        for s in near {
            self.near[s.index()] += 1;
        }
        for s in door {
            self.door[s.index()] += 1;
        }
    }

    /// Adds the background of another part of the stops (another shard).
    pub fn merge(&mut self, other: &Background) {
        for (a, b) in self.near.iter_mut().zip(&other.near) {
            *a += b;
        }
        for (a, b) in self.door.iter_mut().zip(&other.door) {
            *a += b;
        }
        self.around.merge(&other.around);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ten stops on a line 100 m apart going north from the home: with cells of 50 m,
    /// those within 420 m are the five nearest (0, 100, …, 400 m).
    #[test]
    fn counts_the_cells_around_a_point() {
        let home = (52.0, -1.0);
        let mut grid = CountGrid::new(50.0, 52.0);
        for i in 0..10 {
            // Half a cell north of each 100 m mark, so each stop sits at a cell's centre
            // row and the count does not hang on rounding at a cell edge.
            grid.add((home.0 + (i as f64 * 100.0 + 1.0) / M_PER_DEG, home.1));
        }
        assert_eq!(grid.around(home, 420.0), 5);
        assert_eq!(grid.around(home, 10_000.0), 10);
    }

    /// Two shards' backgrounds merged are the background of all their stops.
    #[test]
    fn backgrounds_merge_by_adding() {
        let p = (52.0, -1.0);
        let q = (52.01, -1.0);
        let mut all = Background::new(2, 50.0, 52.0);
        let mut one = Background::new(2, 50.0, 52.0);
        let mut two = Background::new(2, 50.0, 52.0);
        all.add_stop(p, [SubjectIx(0)], [SubjectIx(0)]);
        all.add_stop(q, [SubjectIx(0), SubjectIx(1)], [SubjectIx(1)]);
        one.add_stop(p, [SubjectIx(0)], [SubjectIx(0)]);
        two.add_stop(q, [SubjectIx(0), SubjectIx(1)], [SubjectIx(1)]);
        one.merge(&two);
        assert_eq!(one.near, all.near);
        assert_eq!(one.near, vec![2, 1]);
        assert_eq!(one.door, all.door);
        assert_eq!(one.door, vec![1, 1]);
        assert_eq!(one.around.around(p, 5_000.0), 2);
        assert_eq!(one.around.around(p, 500.0), 1);
    }
}
