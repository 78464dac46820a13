//! Whether one officer's stops near one home are unusual for the place.
//!
//! Of the officer's `nearby` eligible stops around the home (within the around radius),
//! `stops` were within a distance of it. Any officer's stop around that home falls
//! within that distance with probability `q`, the share the place's background shows
//! (the other officers' stops that near the home over their stops around it), drawn
//! towards the share of the area, `(distance / around)²`, by `prior_stops` stops' worth
//! of weight: a remote home that nobody else passes has no background of its own.
//!
//! Two distances are judged: the radius (150 m: "in the vicinity", or parked "away from
//! the property to avoid suspicion", IOPC s.9) and the door (50 m: a car parked at the
//! address). Two visits at the door among a handful of stops in the area are as telling
//! as ten in the street among a hundred.
//!
//! The tail `P(Binomial(nearby, q) ≥ stops)` is multiplied by the number of looks taken
//! for this officer: the two distances times the homes in his family (the homes of
//! people he dealt with near which he made at least `min_stops` stops; the homes of
//! everyone else form a family of their own). A patrol officer who checked a hundred
//! people's records on the street has a hundred homes where chance alone could make
//! his stops look unusual; one in a thousand of them would be, at a one-in-a-thousand
//! threshold, every year. The visits are unusual when this adjusted tail is at most the
//! matrix's `max_p_value` and they are at least `min_ratio` times what the place
//! predicts ("far more often": a busy corner where one officer's share is twice the
//! others' is significant, and means nothing).
//!
//! Conditioning on the officer's own stops around the home judges him against his own
//! patch: a beat officer who patrols every street of an estate is not unusual for
//! stopping in each of them, a custody officer is not unusual at the custody suite where
//! everyone stops, and an officer who comes back to one house far more often than his
//! other stops nearby would is.

use statrs::distribution::{Binomial, DiscreteCDF};

use crate::matrix::StopNearHome;

/// The distances at which the place is judged.
const DISTANCES: u64 = 2;

/// The officer's and everyone else's eligible stops within one distance of a home.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Within {
    /// The officer's eligible stops within the distance of the home.
    pub stops: u64,
    /// Every other officer's eligible stops within the distance of the home.
    pub others: u64,
}

/// The counts behind one (officer, home) verdict.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlaceCounts {
    /// Within the radius (`radius_m`) of the home.
    pub near: Within,
    /// Within the door distance (`door_m`) of the home.
    pub door: Within,
    /// The officer's eligible stops within the around radius of the home.
    pub nearby: u64,
    /// Every other officer's eligible stops around the home.
    pub others_around: u64,
    /// The officer has dealt with the subject through his work (a case, a contact or a
    /// record look-up): see [`judge`].
    pub tied: bool,
    /// The homes of the officer's family: of people he dealt with if `tied`, else of
    /// everyone else, near which he made at least `min_stops` stops (at least 1).
    pub family: u64,
}

/// The place's verdict on one officer's stops near one home.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlaceVerdict {
    /// The distance judged: the radius when the stops within it are unusual, else the
    /// door when those within it are.
    pub within_m: f64,
    /// His stops within `within_m` of the home.
    pub stops: u64,
    pub nearby: u64,
    /// How many of his nearby stops the place predicts within `within_m`.
    pub expected: f64,
    /// `P(Binomial(nearby, q) ≥ stops)`.
    pub p_value: f64,
    /// `p_value` times the looks taken: the two distances times `family`, at most 1.
    pub adjusted_p: f64,
    pub family: u64,
    pub tied: bool,
    /// At least `min_stops`, `adjusted_p` at most `max_p_value`, at least `min_ratio`
    /// times `expected`; without a tie, at least `untied_min_stops` and
    /// `untied_min_ratio`.
    pub unusual: bool,
}

/// Judges the counts against the place (see the module's account).
pub fn judge(c: PlaceCounts, m: &StopNearHome) -> PlaceVerdict {
    let near = judge_within(c, c.near, m.radius_m, m);
    let door = judge_within(c, c.door, m.door_m, m);
    // The radius when it finds the stops unusual (every stop of the pattern, the one
    // parked down the street too); else the door when it does.
    if near.unusual || (!door.unusual && near.p_value <= door.p_value) {
        near
    } else {
        door
    }
}

/// The verdict at one distance.
fn judge_within(c: PlaceCounts, w: Within, distance: f64, m: &StopNearHome) -> PlaceVerdict {
    let nearby = c.nearby.max(w.stops);
    let area_share = (distance / m.around_m).powi(2);
    let q = ((w.others as f64 + m.prior_stops * area_share)
        / (c.others_around.max(w.others) as f64 + m.prior_stops))
        .clamp(0.0, 1.0);
    let p_value = at_least(w.stops, nearby, q);
    let family = c.family.max(1);
    let adjusted_p = (p_value * (DISTANCES * family) as f64).min(1.0);
    let expected = nearby as f64 * q;
    let stops = w.stops as f64;
    let unusual = w.stops >= u64::from(m.min_stops.max(1))
        && adjusted_p <= m.max_p_value
        && stops >= m.min_ratio * expected;
    // Dozens of homes lie within the radius of a town street: without a tie, the data
    // cannot say whose home the stops concern, and only a place he comes back to week
    // after week, far beyond what it predicts, counts ("always parked around the
    // corner from her house", IOPC s.23).
    let place_pattern =
        w.stops >= u64::from(m.untied_min_stops) && stops >= m.untied_min_ratio * expected;
    PlaceVerdict {
        within_m: distance,
        stops: w.stops,
        nearby,
        expected,
        p_value,
        adjusted_p,
        family,
        tied: c.tied,
        unusual: unusual && (c.tied || place_pattern),
    }
}

/// `P(X ≥ k)` for `X ~ Binomial(n, q)`.
fn at_least(k: u64, n: u64, q: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    match Binomial::new(q, n) {
        // sf(x) = P(X > x).
        Ok(b) => b.sf(k - 1),
        Err(_) => 1.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matrix() -> StopNearHome {
        StopNearHome {
            weight: 3.0,
            radius_m: 150.0,
            around_m: 1_500.0,
            door_m: 50.0,
            min_stops: 2,
            max_p_value: 0.001,
            min_ratio: 3.0,
            untied_min_stops: 12,
            untied_min_ratio: 10.0,
            prior_stops: 20.0,
        }
    }

    /// Counts within the radius only (none at the door), one home in the family.
    fn at_radius(
        stops: u64,
        nearby: u64,
        others_near: u64,
        others_around: u64,
        tied: bool,
    ) -> PlaceCounts {
        PlaceCounts {
            near: Within {
                stops,
                others: others_near,
            },
            door: Within::default(),
            nearby,
            others_around,
            tied,
            family: 1,
        }
    }

    /// Exact binomial tails worked out by hand.
    #[test]
    fn binomial_tails() {
        // P(X ≥ 1), X ~ B(2, 0.5) = 1 - 0.25.
        assert!((at_least(1, 2, 0.5) - 0.75).abs() < 1e-12);
        // P(X ≥ 2), X ~ B(3, 0.1) = 3·0.01·0.9 + 0.001 = 0.028.
        assert!((at_least(2, 3, 0.1) - 0.028).abs() < 1e-12);
        // P(X ≥ 4), X ~ B(4, 0.01) = 1e-8.
        assert!((at_least(4, 4, 0.01) - 1e-8).abs() < 1e-18);
        assert_eq!(at_least(0, 10, 0.3), 1.0);
    }

    /// Case study 10's shape on a town street: 4 of his 14 stops around the home were
    /// within 150 m of it, where others made 30 of their 3,000 (1 %). q = (30 + 20 ×
    /// 0.01) / (3,000 + 20) = 0.01, and P(B(14, 0.01) ≥ 4) ≈ C(14,4) × 1e-8 ≈ 1.0e-5:
    /// unusual. Expected 0.14 stops.
    #[test]
    fn four_visits_among_few_nearby_stops_are_unusual() {
        let v = judge(at_radius(4, 14, 30, 3_000, true), &matrix());
        assert!(v.unusual, "{v:?}");
        assert!((v.expected - 0.14).abs() < 0.001, "{v:?}");
        assert!(v.p_value > 0.9e-5 && v.p_value < 1.0e-5, "{v:?}");
    }

    /// Beside the hospital: 40 of his 60 stops around the home were within 150 m of it
    /// (he takes people to the hospital), and so were 2,000 of the others' 3,000: the
    /// place predicts 40 (q = 2,000.2 / 3,020 ≈ 0.662, 60 q ≈ 39.7). Not unusual.
    #[test]
    fn stops_where_everyone_stops_are_not_unusual() {
        let v = judge(at_radius(40, 60, 2_000, 3_000, true), &matrix());
        assert!(!v.unusual, "{v:?}");
        assert!((v.expected - 39.74).abs() < 0.01, "{v:?}");
        assert!(v.p_value > 0.4, "{v:?}");
    }

    /// A remote farm nobody else passes: the background is the area's share, 1 %. Two
    /// of his three stops in the area at the farm: P(B(3, 0.01) ≥ 2) = 3 × 1e-4 × 0.99
    /// + 1e-6 = 2.98e-4, unusual; one stop is never enough (min_stops = 2).
    #[test]
    fn a_remote_home_falls_back_on_the_area_share() {
        let v = judge(at_radius(2, 3, 0, 0, true), &matrix());
        assert!((v.p_value - 2.98e-4).abs() < 1e-9, "{v:?}");
        assert!(v.unusual);
        let once = judge(at_radius(1, 1, 0, 0, true), &matrix());
        assert!(
            !once.unusual && (once.p_value - 0.01).abs() < 1e-12,
            "{once:?}"
        );
    }

    /// At a busy corner: 21 of his 93 stops around the home were near it, where the
    /// others' share is q = (1,070 + 0.2) / (10,000 + 20) = 0.1068: expected 9.93,
    /// P(B(93, 0.1068) ≥ 21) ≈ 7.0e-4 ≤ 0.001, but 21 is 2.1 times the prediction, not
    /// 3: not unusual.
    #[test]
    fn a_small_excess_at_a_busy_place_is_not_unusual() {
        let v = judge(at_radius(21, 93, 1_070, 10_000, true), &matrix());
        assert!((v.expected - 9.933).abs() < 0.001, "{v:?}");
        assert!((v.p_value - 6.97e-4).abs() < 1e-6, "{v:?}");
        assert!(!v.unusual, "{v:?}");
    }

    /// Without a tie to the subject: case study 10's four visits (p ≈ 1.0e-5, 28 times
    /// the prediction) are not kept, as every neighbour's home shares them; a PCSO
    /// parked at the corner 40 times where the place predicts 1.4 (of his 140 stops
    /// around, others' share 1 %) is.
    #[test]
    fn without_a_tie_only_a_place_pattern_counts() {
        let cs10 = at_radius(4, 14, 30, 3_000, false);
        assert!(!judge(cs10, &matrix()).unusual);
        let parked = at_radius(40, 140, 30, 3_000, false);
        let v = judge(parked, &matrix());
        assert!(v.unusual && (v.expected - 1.4).abs() < 1e-9, "{v:?}");
        // 12 stops but only 8.8 times the prediction (of 100 around, q = 41.2 / 3,020 =
        // 0.0136, expected 1.36): no.
        let busy = at_radius(12, 100, 41, 3_000, false);
        let v = judge(busy, &matrix());
        assert!(!v.unusual && v.p_value < 1e-6, "{v:?}");
    }

    /// A beat officer whose stops cover his estate evenly: 3 of his 300 stops around the
    /// home were near it, the area's share (q = 1 %, expected 3): not unusual.
    #[test]
    fn an_even_beat_is_not_unusual() {
        let v = judge(at_radius(3, 300, 20, 2_000, true), &matrix());
        assert!(!v.unusual && v.p_value > 0.3, "{v:?}");
    }

    /// Case study 8's evening visits: 2 of his 4 stops around her home, both at the door
    /// (within 50 m), where the others made 39 of their 2,306 stops around within 150 m
    /// and 4 within 50 m. At the radius, q = (39 + 0.2) / 2,326 = 0.01685 and
    /// P(B(4, q) ≥ 2) = 1.67e-3, times 2 distances: not unusual. At the door, q = (4 +
    /// 20 × (50 / 1,500)²) / 2,326 = 0.001729, P(B(4, q) ≥ 2) = 1 − (1 − q)⁴ − 4q(1 − q)³
    /// = 1.79e-5, times 2 = 3.6e-5: unusual, 2 where the place predicts 0.0069.
    #[test]
    fn two_visits_at_the_door_are_unusual() {
        let c = PlaceCounts {
            near: Within {
                stops: 2,
                others: 39,
            },
            door: Within {
                stops: 2,
                others: 4,
            },
            nearby: 4,
            others_around: 2_306,
            tied: true,
            family: 1,
        };
        let v = judge(c, &matrix());
        assert!(v.unusual, "{v:?}");
        assert_eq!(v.within_m, 50.0);
        assert!((v.p_value - 1.790e-5).abs() < 1e-8, "{v:?}");
        assert!((v.adjusted_p - 3.580e-5).abs() < 2e-8, "{v:?}");
        assert!((v.expected - 0.006917).abs() < 1e-6, "{v:?}");
        // The same two stops at 120 m: only the radius sees them, and it is not enough.
        let street = PlaceCounts {
            door: Within {
                stops: 0,
                others: 4,
            },
            ..c
        };
        let v = judge(street, &matrix());
        assert!(!v.unusual && v.within_m == 150.0, "{v:?}");
        assert!((v.p_value - 1.666e-3).abs() < 1e-6, "{v:?}");
    }

    /// 10 of his 135 stops around a home were within 150 m of it, where the others' share
    /// is q = (50 + 0.2) / 3,090 = 0.016246 (expected 2.19): P(B(135, q) ≥ 10) = 7.98e-5.
    /// The only home of someone he dealt with near which he stopped twice: adjusted 2 ×
    /// 7.98e-5 = 1.6e-4, unusual. One of 40 such homes (he checks people's records on
    /// the street every week): 80 × 7.98e-5 = 6.4e-3, chance.
    #[test]
    fn the_more_homes_he_has_the_more_chance_explains() {
        let alone = judge(at_radius(10, 135, 50, 3_070, true), &matrix());
        assert!(alone.unusual, "{alone:?}");
        assert!((alone.p_value - 7.978e-5).abs() < 1e-8, "{alone:?}");
        assert!((alone.adjusted_p - 1.5955e-4).abs() < 1e-8, "{alone:?}");
        let many = PlaceCounts {
            family: 40,
            ..at_radius(10, 135, 50, 3_070, true)
        };
        let v = judge(many, &matrix());
        assert!(!v.unusual, "{v:?}");
        assert!((v.adjusted_p - 6.382e-3).abs() < 1e-6, "{v:?}");
    }
}
