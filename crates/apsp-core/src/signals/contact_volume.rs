//! `contact_volume` — "significant contact ... more than what would reasonably be
//! expected of someone in his role" (IOPC s.9).
//!
//! Value: the officer's most outgoing contacts with the subject in any `window_days`
//! (90) within the analysis window, counting only contact the job does not explain
//! (not on shift while involved with the subject: a domestic-abuse caseworker's on-duty
//! contact with the victim of an open case is the job). The subject's own calls and
//! messages are not the officer's contact (a repeat caller, a member of the public
//! pursuing an officer). Threshold: above the role's peer quantile (p99)
//! of the same value over the pairs of officers in that role with persons in police
//! records (not numbers in no record: partners, family, organisations), and at least
//! `min_contacts`. A role with fewer than `min_peers` officers with contact data is
//! compared with all officers, and the note says so, as it says when no peer pair
//! has contact (the minimum applies).

use super::{days, Finding, PairView, Status};
use crate::sign::Sign;

/// The threshold for one role: the count a pair must reach.
#[derive(Debug, Clone)]
pub struct Threshold {
    pub value: f64,
    /// The finding's note, with the basis of the threshold (shared by the officer's
    /// pairs).
    pub note: std::sync::Arc<str>,
}

/// The pair's value and the contacts of its busiest window.
pub fn value(p: &PairView<'_>) -> (usize, Vec<usize>) {
    let w = days(p.matrix.signals.contact_volume.window_days);
    let idx: Vec<usize> = (0..p.contacts.len())
        .filter(|i| p.contacts[*i].pursued())
        .collect();
    let (mut best, mut best_at, mut lo) = (0usize, 0usize, 0usize);
    for hi in 0..idx.len() {
        while p.contacts[idx[hi]].contact.at - p.contacts[idx[lo]].contact.at >= w {
            lo += 1;
        }
        if hi + 1 - lo > best {
            best = hi + 1 - lo;
            best_at = lo;
        }
    }
    (best, idx[best_at..best_at + best].to_vec())
}

/// The threshold for one officer: the peers' values (`values`, sorted) without the
/// officer's own (`own`, sorted, a subset of `values`) — an officer is not their own
/// peer — at quantile `q` (nearest rank); a pair must be above it and at least
/// `min_contacts`.
pub fn threshold(
    values: &[usize],
    own: &[usize],
    q: f64,
    min_contacts: u32,
    window_days: u32,
    basis: &str,
) -> Threshold {
    let n = values.len() - own.len();
    let quantile = if n == 0 {
        0
    } else {
        let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
        // The smallest index whose value has `rank` peer values at or below it.
        let peers_upto = |i: usize| i + 1 - own.partition_point(|x| *x <= values[i]);
        let (mut lo, mut hi) = (0usize, values.len() - 1);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if peers_upto(mid) >= rank {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        values[lo]
    };
    Threshold {
        value: ((quantile + 1) as f64).max(min_contacts as f64),
        note: if n == 0 {
            format!(
                "most unexplained outgoing contacts in {window_days} days; {basis}: no peer pair with contact (the officer's own pairs left out), so the minimum of {min_contacts} applies"
            )
        } else {
            format!(
                "most unexplained outgoing contacts in {window_days} days; {basis} (the officer's own pairs left out): p{:.0} = {quantile} contacts",
                q * 100.0
            )
        }
        .into(),
    }
}

/// `value` is this pair's [`value`], computed once for the peer baseline and reused.
pub fn evaluate(p: &PairView<'_>, t: &Threshold, value: (usize, Vec<usize>)) -> Finding {
    if !p.linked.present.billing {
        return Finding::not_evaluated(Sign::ContactVolume, p.window, "no billing table");
    }
    let (v, idx) = value;
    let evidence = idx.iter().map(|i| p.contacts[*i].evidence("")).collect();
    let fired = v as f64 >= t.value;
    Finding {
        signal: Sign::ContactVolume,
        value: v as f64,
        threshold: t.value,
        window: p.window,
        status: if fired {
            Status::Fired
        } else {
            Status::NotFired
        },
        intensity: v as f64 / t.value,
        note: t.note.clone(),
        evidence: if fired { evidence } else { Vec::new() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_quantile_leaves_the_officer_out() {
        // Peers 1..=100 and the officer's own 500, 600: p99 of the peers is 99.
        let mut v: Vec<usize> = (1..=100).collect();
        v.extend([500, 600]);
        let t = threshold(&v, &[500, 600], 0.99, 10, 90, "x");
        assert_eq!(t.value, 100.0);
        // With the officer counted it would have been 500.
        let t = threshold(&v, &[], 0.99, 10, 90, "x");
        assert_eq!(t.value, 501.0);
        // No peers: the minimum.
        assert_eq!(
            threshold(&[12, 12], &[12, 12], 0.99, 10, 90, "x").value,
            10.0
        );
        // Ties between the officer and peers.
        assert_eq!(
            threshold(&[3, 3, 3, 7], &[3, 7], 0.5, 1, 90, "x").value,
            4.0
        );
    }
}
