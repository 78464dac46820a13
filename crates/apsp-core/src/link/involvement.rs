//! Involvement from `case_links`: officer × person windows from `opened_at` to the
//! earlier of `closed_at` and `officer_until` (each blank = open), and the cases each
//! officer was on (for purpose references). A quarantined `case_links` row that names
//! an officer and a person leaves their involvement unknown.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use polars::prelude::DataFrame;
use rustc_hash::FxHashMap as HashMap;

use super::columns::{texts, times};
use super::model::{
    CaseWindow, CaseWindows, Involvement, Misses, OfficerIx, SubjectIx, SubjectKind,
};
use super::officers::OfficerBook;
use super::subjects::SubjectBook;
use crate::error::Result;
use crate::ingest::table::Hint;
use crate::ingest::QuarantineRow;

/// Who was involved with whom, and on which cases.
#[derive(Default)]
pub(super) struct Involvements {
    /// (officer, subject) → involvements, sorted by opened.
    pub by_pair: HashMap<(OfficerIx, SubjectIx), Vec<Involvement>>,
    pub cases: CaseWindows,
}

/// Links every `case_links` row (a person met here for the first time becomes a
/// subject known by id).
pub(super) fn link_case_links(
    case_links: &DataFrame,
    officers: &OfficerBook,
    book: &mut SubjectBook,
    misses: &mut Misses,
) -> Result<Involvements> {
    let mut out = Involvements::default();
    let (cid, pid, oid) = (
        texts(case_links, "case_id")?,
        texts(case_links, "person_id")?,
        texts(case_links, "officer_id")?,
    );
    let (opened_at, closed_at, until) = (
        times(case_links, "opened_at")?,
        times(case_links, "closed_at")?,
        times(case_links, "officer_until")?,
    );
    for i in 0..case_links.height() {
        let Some(&o) = oid.get(i).and_then(|o| officers.index.get(o)) else {
            misses.add("case_links: officer not in officers");
            continue;
        };
        let s = book.person(pid.get(i).unwrap_or_default());
        let end = match (closed_at.get(i), until.get(i)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let case_id = cid.get(i).unwrap_or_default().to_string();
        let opened = opened_at.get(i).unwrap_or(0);
        out.cases
            .entry((o, case_id.clone()))
            .or_default()
            .push(CaseWindow {
                opened,
                end,
                lapse: None,
            });
        out.by_pair.entry((o, s)).or_default().push(Involvement {
            case_id,
            opened,
            end,
            closed: closed_at.get(i),
            until: until.get(i),
            lapse: None,
        });
    }
    for v in out.by_pair.values_mut() {
        v.sort_by(|a, b| (a.opened, &a.case_id).cmp(&(b.opened, &b.case_id)));
    }
    Ok(out)
}

/// The pairs a quarantined `case_links` row names (officer and person both of the
/// force): the row may have recorded an involvement that would explain their
/// contact, so the signs that rest on involvement are not evaluated for the pair (a
/// broken row must not turn the job into a warning sign). The reason names the file,
/// line and fault, so the row can be corrected and the force scored again.
pub(super) fn involvement_unknown(
    quarantined: &[QuarantineRow],
    officers: &OfficerBook,
    book: &SubjectBook,
) -> HashMap<(OfficerIx, SubjectIx), Arc<str>> {
    let mut by_pair: BTreeMap<(OfficerIx, SubjectIx), Vec<&QuarantineRow>> = BTreeMap::new();
    for (row, hint) in quarantined.iter().filter_map(|r| match &r.hint {
        Some(Hint::Link(l)) => Some((r, l)),
        _ => None,
    }) {
        let officers: BTreeSet<OfficerIx> = hint
            .officers
            .iter()
            .filter_map(|o| officers.index.get(o).copied())
            .collect();
        let persons: BTreeSet<SubjectIx> = hint
            .persons
            .iter()
            .filter_map(|p| book.index.get(p).copied())
            .filter(|&s| book.subjects[s].kind == SubjectKind::Person)
            .collect();
        for &o in &officers {
            for &s in &persons {
                by_pair.entry((o, s)).or_default().push(row);
            }
        }
    }
    by_pair
        .into_iter()
        .map(|(pair, rows)| {
            let more = match rows.len() {
                1 => String::new(),
                n => format!(" and {} more", n - 1),
            };
            let why = format!(
                "involvement unknown: a case_links row naming this officer and subject was \
                 quarantined ({}){more}; correct it and score again",
                rows[0].describe()
            );
            (pair, why.into())
        })
        .collect()
}
