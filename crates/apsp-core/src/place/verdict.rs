//! Whether one officer's stops near one home are unusual for the place.
//!
//! Of the officer's `nearby` eligible stops around the home (within the around radius),
//! `stops` were within the radius of it. Any officer's stop around that home falls
//! within the radius with probability `q`, the share the place's background shows (the
//! other officers' stops near the home over their stops around it), drawn towards the
//! share of the area, `(radius / around)²`, by `prior_stops` stops' worth of weight: a
//! remote home that nobody else passes has no background of its own. The visits are
//! unusual when `P(Binomial(nearby, q) ≥ stops)` is at most the matrix's `max_p_value`
//! and they are at least `min_ratio` times what the place predicts ("far more often":
//! among thousands of officers and homes, a busy corner where one officer's share is
//! twice the others' is significant, and means nothing).
//!
//! Conditioning on the officer's own stops around the home judges him against his own
//! patch: a beat officer who patrols every street of an estate is not unusual for
//! stopping in each of them, a custody officer is not unusual at the custody suite where
//! everyone stops, and an officer who comes back to one house far more often than his
//! other stops nearby would is.

use statrs::distribution::{Binomial, DiscreteCDF};

use crate::matrix::StopNearHome;

/// The counts behind one (officer, home) verdict.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlaceCounts {
    /// The officer's eligible stops within the radius of the home.
    pub stops: u64,
    /// The officer's eligible stops within the around radius of the home (≥ `stops`).
    pub nearby: u64,
    /// Every other officer's eligible stops within the radius of the home.
    pub others_near: u64,
    /// Every other officer's eligible stops around the home.
    pub others_around: u64,
    /// The officer has dealt with the subject through his work (a case, a contact or a
    /// record look-up): see [`judge`].
    pub tied: bool,
}

/// The place's verdict on one officer's stops near one home.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlaceVerdict {
    pub stops: u64,
    pub nearby: u64,
    /// How many of his nearby stops the place predicts within the radius.
    pub expected: f64,
    /// `P(Binomial(nearby, q) ≥ stops)`.
    pub p_value: f64,
    pub tied: bool,
    /// At least `min_stops`, `p_value` at most `max_p_value`, at least `min_ratio` times
    /// `expected`; without a tie, at least `untied_min_stops` and `untied_min_ratio`.
    pub unusual: bool,
}

/// Judges the counts against the place (see the module's account).
pub fn judge(c: PlaceCounts, m: &StopNearHome) -> PlaceVerdict {
    let nearby = c.nearby.max(c.stops);
    let area_share = (m.radius_m / m.around_m).powi(2);
    let q = ((c.others_near as f64 + m.prior_stops * area_share)
        / (c.others_around.max(c.others_near) as f64 + m.prior_stops))
        .clamp(0.0, 1.0);
    let p_value = at_least(c.stops, nearby, q);
    let expected = nearby as f64 * q;
    let stops = c.stops as f64;
    let unusual = c.stops >= u64::from(m.min_stops.max(1))
        && p_value <= m.max_p_value
        && stops >= m.min_ratio * expected;
    // Dozens of homes lie within the radius of a town street: without a tie, the data
    // cannot say whose home the stops concern, and only a place he comes back to week
    // after week, far beyond what it predicts, counts ("always parked around the
    // corner from her house", IOPC s.23).
    let place_pattern =
        c.stops >= u64::from(m.untied_min_stops) && stops >= m.untied_min_ratio * expected;
    PlaceVerdict {
        stops: c.stops,
        nearby,
        expected,
        p_value,
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
            min_stops: 2,
            max_p_value: 0.001,
            min_ratio: 3.0,
            untied_min_stops: 12,
            untied_min_ratio: 10.0,
            prior_stops: 20.0,
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
        let v = judge(
            PlaceCounts {
                stops: 4,
                nearby: 14,
                others_near: 30,
                others_around: 3_000,
                tied: true,
            },
            &matrix(),
        );
        assert!(v.unusual, "{v:?}");
        assert!((v.expected - 0.14).abs() < 0.001, "{v:?}");
        assert!(v.p_value > 0.9e-5 && v.p_value < 1.0e-5, "{v:?}");
    }

    /// Beside the hospital: 40 of his 60 stops around the home were within 150 m of it
    /// (he takes people to the hospital), and so were 2,000 of the others' 3,000: the
    /// place predicts 40 (q = 2,000.2 / 3,020 ≈ 0.662, 60 q ≈ 39.7). Not unusual.
    #[test]
    fn stops_where_everyone_stops_are_not_unusual() {
        let v = judge(
            PlaceCounts {
                stops: 40,
                nearby: 60,
                others_near: 2_000,
                others_around: 3_000,
                tied: true,
            },
            &matrix(),
        );
        assert!(!v.unusual, "{v:?}");
        assert!((v.expected - 39.74).abs() < 0.01, "{v:?}");
        assert!(v.p_value > 0.4, "{v:?}");
    }

    /// A remote farm nobody else passes: the background is the area's share, 1 %. Two
    /// of his three stops in the area at the farm: P(B(3, 0.01) ≥ 2) = 3 × 1e-4 × 0.99
    /// + 1e-6 = 2.98e-4, unusual; one stop is never enough (min_stops = 2).
    #[test]
    fn a_remote_home_falls_back_on_the_area_share() {
        let v = judge(
            PlaceCounts {
                stops: 2,
                nearby: 3,
                others_near: 0,
                others_around: 0,
                tied: true,
            },
            &matrix(),
        );
        assert!((v.p_value - 2.98e-4).abs() < 1e-9, "{v:?}");
        assert!(v.unusual);
        let once = judge(
            PlaceCounts {
                stops: 1,
                nearby: 1,
                others_near: 0,
                others_around: 0,
                tied: true,
            },
            &matrix(),
        );
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
        let v = judge(
            PlaceCounts {
                stops: 21,
                nearby: 93,
                others_near: 1_070,
                others_around: 10_000,
                tied: true,
            },
            &matrix(),
        );
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
        let cs10 = PlaceCounts {
            stops: 4,
            nearby: 14,
            others_near: 30,
            others_around: 3_000,
            tied: false,
        };
        assert!(!judge(cs10, &matrix()).unusual);
        let parked = PlaceCounts {
            stops: 40,
            nearby: 140,
            others_near: 30,
            others_around: 3_000,
            tied: false,
        };
        let v = judge(parked, &matrix());
        assert!(v.unusual && (v.expected - 1.4).abs() < 1e-9, "{v:?}");
        // 12 stops but only 8.8 times the prediction (of 100 around, q = 41.2 / 3,020 =
        // 0.0136, expected 1.36): no.
        let busy = PlaceCounts {
            stops: 12,
            nearby: 100,
            others_near: 41,
            others_around: 3_000,
            tied: false,
        };
        let v = judge(busy, &matrix());
        assert!(!v.unusual && v.p_value < 1e-6, "{v:?}");
    }

    /// A beat officer whose stops cover his estate evenly: 3 of his 300 stops around the
    /// home were near it, the area's share (q = 1 %, expected 3): not unusual.
    #[test]
    fn an_even_beat_is_not_unusual() {
        let v = judge(
            PlaceCounts {
                stops: 3,
                nearby: 300,
                others_near: 20,
                others_around: 2_000,
                tied: true,
            },
            &matrix(),
        );
        assert!(!v.unusual && v.p_value > 0.3, "{v:?}");
    }
}
