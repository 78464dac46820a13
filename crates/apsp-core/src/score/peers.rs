//! Peer baselines: each officer's `contact_volume` threshold from the per-pair contact
//! volumes of officers of the same role (all officers when the role has fewer than
//! `min_peers` officers with contact data). Only pairs with a person in police records
//! make the baseline: a number in no record is a partner's, a family member's or an
//! organisation's line (a hospital switchboard), whose volumes say nothing of what the
//! role's contact with the public looks like.

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;

use super::pairs::{PairSpan, PairViews};
use crate::link::{Linked, OfficerIx, PerOfficer, SubjectKind};
use crate::signals::contact_volume;

/// Every officer's contact-volume threshold. The baseline needs every pair's volume
/// before any pair is scored; the volumes are kept, the pairs' views are not (built
/// again in the scoring pass: a sliding window over a pair's contacts costs less than
/// holding a million views).
pub(super) fn volume_thresholds(
    views: &PairViews<'_>,
    spans: &[PairSpan],
) -> PerOfficer<contact_volume::Threshold> {
    let linked = views.linked;
    let volumes: Vec<u32> = spans
        .par_iter()
        .map(|sp| contact_volume::value(&views.view(sp)).0 as u32)
        .collect();
    let peers = PeerVolumes::gather(linked, spans, &volumes);
    drop(volumes);
    let cv = &views.matrix.signals.contact_volume;
    let empty: Vec<usize> = Vec::new();
    PerOfficer(
        linked
            .officers
            .iter()
            .enumerate()
            .map(|(o, officer)| {
                let role = officer.role.as_str();
                let n = peers.role_officers.get(role).copied().unwrap_or(0);
                let mine = &peers.own[OfficerIx(o as u32)];
                let (peer_volumes, basis) = if (n as u32) < cv.min_peers {
                    let basis = format!(
                        "all officers with contact data ({}; role {role} has fewer than {} such officers)",
                        peers.officers_with_data,
                        cv.min_peers
                    );
                    (&peers.all, basis)
                } else {
                    let basis = format!("{n} officers of role {role} with contact data");
                    (peers.by_role.get(role).unwrap_or(&empty), basis)
                };
                contact_volume::threshold(
                    peer_volumes,
                    mine,
                    cv.peer_quantile,
                    cv.min_contacts,
                    cv.window_days,
                    &basis,
                )
            })
            .collect(),
    )
}

/// The non-zero pair volumes with persons in police records, sorted: by role, of all
/// officers, and of each officer.
struct PeerVolumes<'a> {
    /// Officers per role with contact data (a contact with anyone in the window).
    role_officers: BTreeMap<&'a str, usize>,
    officers_with_data: usize,
    by_role: HashMap<&'a str, Vec<usize>>,
    all: Vec<usize>,
    own: PerOfficer<Vec<usize>>,
}

impl<'a> PeerVolumes<'a> {
    fn gather(linked: &'a Linked, spans: &[PairSpan], volumes: &[u32]) -> PeerVolumes<'a> {
        let mut with_data = vec![false; linked.officers.len()];
        for sp in spans.iter().filter(|sp| sp.has_contacts()) {
            with_data[sp.officer.index()] = true;
        }
        let mut role_officers: BTreeMap<&str, usize> = BTreeMap::new();
        for (o, _) in linked.officers.iter().zip(&with_data).filter(|(_, d)| **d) {
            *role_officers.entry(o.role.as_str()).or_default() += 1;
        }
        let mut by_role: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut all: Vec<usize> = Vec::new();
        let mut own: PerOfficer<Vec<usize>> = PerOfficer::new(linked.officers.len());
        for (sp, volume) in spans.iter().zip(volumes) {
            let volume = *volume as usize;
            let person = linked.subjects[sp.subject].kind == SubjectKind::Person;
            if volume > 0 && person {
                by_role
                    .entry(linked.officers[sp.officer].role.as_str())
                    .or_default()
                    .push(volume);
                all.push(volume);
                own[sp.officer].push(volume);
            }
        }
        all.sort_unstable();
        for v in by_role.values_mut() {
            v.sort_unstable();
        }
        for v in own.iter_mut() {
            v.sort_unstable();
        }
        PeerVolumes {
            role_officers,
            officers_with_data: with_data.iter().filter(|d| **d).count(),
            by_role,
            all,
            own,
        }
    }
}
