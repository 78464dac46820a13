//! Person records that may be one person or one household: a number listed for several
//! persons (a household phone, or a person recorded twice), and persons recorded twice
//! (the same date of birth at the same address). Records systems are full of both.
//!
//! A contact through a shared number goes to the first person listed for it, and a
//! case link may name the other record: an involvement with any person of such a group
//! therefore explains the officer's events with the group's first person too (it is
//! copied to the first person's pair), and the manifest counts the groups. Twins at one
//! address are one group too: what one twin's case explains, the data cannot tell
//! apart from the other's.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap as HashMap;
use serde::Serialize;

use super::involvement::Involvements;
use super::model::{OfficerIx, SubjectIx};
use super::subjects::SubjectBook;

/// Homes this close (degrees, about 11 m) are one address.
const SAME_ADDRESS_DEG: f64 = 1e-4;

/// How many groups of person records the linking joined, by why.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AliasCounts {
    /// Numbers listed for several persons.
    pub shared_numbers: u64,
    /// Pairs of persons with the same date of birth at the same address.
    pub same_birth_and_address: u64,
}

/// A union-find over subjects; the root of a group is its first listed subject.
struct Groups(Vec<u32>);

impl Groups {
    fn root(&mut self, s: u32) -> u32 {
        let mut r = s;
        while self.0[r as usize] != r {
            r = self.0[r as usize];
        }
        self.0[s as usize] = r;
        r
    }

    /// Joins the groups of `a` and `b`; true when they were apart.
    fn join(&mut self, a: SubjectIx, b: SubjectIx) -> bool {
        let (ra, rb) = (self.root(a.0), self.root(b.0));
        if ra == rb {
            return false;
        }
        let (keep, other) = (ra.min(rb), ra.max(rb));
        self.0[other as usize] = keep;
        true
    }
}

/// The groups of person records, each member → its group's first subject (only members
/// of groups of two or more), with the counts.
fn groups(book: &SubjectBook) -> (BTreeMap<SubjectIx, SubjectIx>, AliasCounts) {
    let mut g = Groups((0..book.subjects.len() as u32).collect());
    let mut counts = AliasCounts::default();
    for owners in book.number_owners.values() {
        for w in owners.windows(2) {
            g.join(w[0], w[1]);
        }
        counts.shared_numbers += 1;
    }
    let mut by_birth_and_address: HashMap<(i32, i64, i64), SubjectIx> = HashMap::default();
    for (i, s) in book.subjects.iter().enumerate() {
        let Some((dob, home)) = s.person.as_ref().and_then(|p| p.dob.zip(p.home)) else {
            continue;
        };
        let key = (
            dob,
            (home.0 / SAME_ADDRESS_DEG).round() as i64,
            (home.1 / SAME_ADDRESS_DEG).round() as i64,
        );
        let me = SubjectIx(i as u32);
        match by_birth_and_address.get(&key) {
            Some(first) => counts.same_birth_and_address += u64::from(g.join(*first, me)),
            None => {
                by_birth_and_address.insert(key, me);
            }
        }
    }
    let mut first = BTreeMap::new();
    for i in 0..book.subjects.len() as u32 {
        let r = g.root(i);
        if r != i {
            first.insert(SubjectIx(i), SubjectIx(r));
        }
    }
    (first, counts)
}

/// Copies each involvement with a member of a group to the group's first subject (see
/// the module's account), and returns the counts for the manifest.
pub(super) fn share_involvements(book: &SubjectBook, inv: &mut Involvements) -> AliasCounts {
    let (first, counts) = groups(book);
    if first.is_empty() {
        return counts;
    }
    let mut copies: Vec<((OfficerIx, SubjectIx), super::model::Involvement)> = Vec::new();
    for ((o, s), v) in &inv.by_pair {
        if let Some(root) = first.get(s) {
            copies.extend(v.iter().map(|i| ((*o, *root), i.clone())));
        }
    }
    // The map's order is not the files': sort, so the result does not depend on it.
    copies.sort_by(|a, b| (a.0, a.1.opened, &a.1.case_id).cmp(&(b.0, b.1.opened, &b.1.case_id)));
    for (pair, i) in copies {
        inv.by_pair.entry(pair).or_default().push(i);
    }
    for v in inv.by_pair.values_mut() {
        v.sort_by(|a, b| (a.opened, &a.case_id).cmp(&(b.opened, &b.case_id)));
        v.dedup_by(|a, b| a.case_id == b.case_id && a.opened == b.opened && a.end == b.end);
    }
    counts
}
