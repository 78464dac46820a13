//! The reference time, the end of the analysis window: given (`--reference-time`, read
//! like the data's own times), or read from the data by the matrix's rule
//! (`analysis.reference_*`): the latest event, unless the latest events are out of line
//! with the rest — they follow a gap of more than `reference_gap_days`, there are at
//! most max(`reference_outlier_events`, `reference_outlier_share` × all events) of
//! them, and fewer than the events before the gap. Those are set aside: one stop of a
//! vehicle whose clock says 2038 would otherwise move the window past every real event
//! and nothing would fire. The events after the reference time are counted for the
//! manifest and the command line's warning.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::error::{ApspError, Result};
use crate::ingest::time::{parse_tz, TimeError, TimeRules};
use crate::ingest::IngestOptions;
use crate::link::{Linked, Ts, DAY};
use crate::matrix::Analysis;

/// How the reference time was chosen, and what lies after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReferenceBasis {
    /// Given by the caller, not read from the data.
    pub given: bool,
    /// Events (contacts, stops, record accesses) after the reference time: outside the
    /// window, not scored. Read from the data, these are the events set aside as out of
    /// line with the rest.
    pub events_after: u64,
    /// The earliest of them.
    pub first_after: Option<Ts>,
}

/// Parses a reference time as the dataset's times are read: with an offset or `Z`
/// (`2026-11-21T23:59:59Z`) it is that instant; naive (`2026-07-01T00:00:00`, or a date:
/// midnight) it is local time in the dataset's zone, by the same rules for the hour the
/// clocks repeat or skip.
pub fn parse_reference_time(s: &str, read: &IngestOptions) -> Result<Ts> {
    let mut rules = TimeRules::new(parse_tz(&read.timezone)?);
    rules.ambiguous = read.ambiguous;
    rules.nonexistent = read.nonexistent;
    rules.parse(s).map_err(|e| {
        let (TimeError::Unparseable(m) | TimeError::Nonexistent(m) | TimeError::Ambiguous(m)) = e;
        ApspError::Setting {
            name: "reference_time",
            value: s.to_string(),
            message: format!(
                "{m}; expected e.g. 2026-11-21T23:59:59Z, or a local time 2026-11-21T23:59:59 in {}",
                read.timezone
            ),
        }
    })
}

/// The reference time read from the data by the matrix's rule (none without events).
pub(super) fn from_data(linked: &Linked, a: &Analysis) -> Option<Ts> {
    let n = linked.contacts.len() + linked.stops.len() + linked.accesses.len();
    if n == 0 {
        return None;
    }
    let few = (a.reference_outlier_events as usize)
        .max((a.reference_outlier_share * n as f64).floor() as usize);
    // At most `few` set aside, and fewer than the events kept.
    let most = few.min((n - 1) / 2);
    let latest = latest_times(linked.event_times(), most + 1);
    let gap = a.reference_gap_days as Ts * DAY;
    // The earliest such gap among the latest events: all after it are set aside.
    let first_set_aside = (1..latest.len()).find(|&j| latest[j] - latest[j - 1] > gap);
    match first_set_aside {
        Some(j) => Some(latest[j - 1]),
        None => latest.last().copied(),
    }
}

/// The `k` latest of `times`, ascending.
fn latest_times(times: impl Iterator<Item = Ts>, k: usize) -> Vec<Ts> {
    let mut heap: BinaryHeap<Reverse<Ts>> = BinaryHeap::with_capacity(k + 1);
    for t in times {
        if heap.len() < k {
            heap.push(Reverse(t));
        } else if let Some(mut min) = heap.peek_mut() {
            if t > min.0 {
                *min = Reverse(t);
            }
        }
    }
    let mut v: Vec<Ts> = heap.into_iter().map(|r| r.0).collect();
    v.sort_unstable();
    v
}

/// What lies after `reference`.
pub(super) fn basis(linked: &Linked, reference: Ts, given: bool) -> ReferenceBasis {
    let (mut events_after, mut first_after) = (0u64, None::<Ts>);
    for t in linked.event_times().filter(|t| *t > reference) {
        events_after += 1;
        first_after = Some(first_after.map_or(t, |f| f.min(t)));
    }
    ReferenceBasis {
        given,
        events_after,
        first_after,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latest_times_keeps_the_k_latest_in_order() {
        let v = latest_times([5, 1, 9, 3, 9, 7].into_iter(), 3);
        assert_eq!(v, vec![7, 9, 9]);
        assert_eq!(latest_times([2, 1].into_iter(), 5), vec![1, 2]);
    }
}
