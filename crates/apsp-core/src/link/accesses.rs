//! Police-system record accesses → the subject looked up: the person, or the number
//! queried.

use polars::prelude::DataFrame;
use rayon::prelude::*;

use super::columns::{texts, times, Sources};
use super::model::{Access, Misses, RowId};
use super::officers::OfficerBook;
use super::subjects::SubjectBook;
use crate::error::Result;

/// Every `access_log` row as an access of a pair, sorted by (officer, subject, time,
/// event id).
pub(super) fn link_access_log(
    access_log: &DataFrame,
    officers: &OfficerBook,
    book: &mut SubjectBook,
    misses: &mut Misses,
    sources: &Sources,
) -> Result<Vec<Access>> {
    let source = sources.rows(access_log)?;
    let (eid, oid, system) = (
        texts(access_log, "event_id")?,
        texts(access_log, "officer_id")?,
        texts(access_log, "system")?,
    );
    let (pid, number, purpose) = (
        texts(access_log, "person_id")?,
        texts(access_log, "subject_number")?,
        texts(access_log, "purpose_ref")?,
    );
    let at = times(access_log, "at")?;
    let mut accesses = Vec::new();
    for (i, &source) in source.iter().enumerate() {
        let Some(&officer) = oid.get(i).and_then(|o| officers.index.get(o)) else {
            misses.add("access_log: officer not in officers");
            continue;
        };
        let subject = match (pid.get(i), number.get(i)) {
            (Some(p), _) => book.person(p),
            (None, Some(nr)) => book.number(nr),
            (None, None) => {
                misses.add("access_log: no subject (neither person_id nor subject_number)");
                continue;
            }
        };
        accesses.push(Access {
            officer,
            subject,
            at: at.get(i).unwrap_or(0),
            system: system.get(i).map(RowId::from),
            purpose: purpose.get(i).map(RowId::from),
            event_id: eid.get(i).unwrap_or_default().into(),
            source,
        });
    }
    sort_accesses(&mut accesses);
    Ok(accesses)
}

pub(super) fn sort_accesses(accesses: &mut [Access]) {
    accesses.par_sort_by(|x, y| {
        (x.officer, x.subject, x.at, &x.event_id).cmp(&(y.officer, y.subject, y.at, &y.event_id))
    });
}
