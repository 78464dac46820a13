//! Officers, in the officers table's order, and complaints about them.

use polars::prelude::DataFrame;
use rustc_hash::FxHashMap as HashMap;

use super::columns::{row_ref, texts, times, Sources};
use super::model::{Complaint, Misses, Officer, OfficerIx, PerOfficer};
use crate::error::Result;

/// The force's officers and how to find them by id.
pub(super) struct OfficerBook {
    pub officers: Vec<Officer>,
    pub index: HashMap<String, OfficerIx>,
}

impl OfficerBook {
    pub fn read(officers: &DataFrame) -> Result<OfficerBook> {
        let mut book = OfficerBook {
            officers: Vec::with_capacity(officers.height()),
            index: HashMap::default(),
        };
        let (ids, roles, units) = (
            texts(officers, "officer_id")?,
            texts(officers, "role")?,
            texts(officers, "unit")?,
        );
        for i in 0..officers.height() {
            let id = ids.get(i).unwrap_or_default().to_string();
            book.index
                .insert(id.clone(), OfficerIx(book.officers.len() as u32));
            book.officers.push(Officer {
                id,
                role: roles.get(i).unwrap_or_default().to_string(),
                unit: units.get(i).map(String::from),
            });
        }
        Ok(book)
    }

    pub fn len(&self) -> usize {
        self.officers.len()
    }

    /// The officer of id `id`, if any.
    pub fn find(&self, id: Option<&str>) -> Option<OfficerIx> {
        self.index.get(id?).copied()
    }
}

/// Complaints per officer, sorted by time (then source row).
pub(super) fn link_complaints(
    complaints: Option<&DataFrame>,
    officers: &OfficerBook,
    misses: &mut Misses,
    sources: &Sources,
) -> Result<PerOfficer<Vec<Complaint>>> {
    let mut out: PerOfficer<Vec<Complaint>> = PerOfficer::new(officers.len());
    if let Some(c) = complaints {
        let source = sources.rows(c)?;
        let (oid, category, at) = (
            texts(c, "officer_id")?,
            texts(c, "category")?,
            times(c, "received_at")?,
        );
        for (i, &source) in source.iter().enumerate() {
            match officers.find(oid.get(i)) {
                Some(o) => out[o].push(Complaint {
                    at: at.get(i).unwrap_or(0),
                    category: category.get(i).map(String::from),
                    row: row_ref(c, i)?,
                    source,
                }),
                None => misses.add("complaints: officer not in officers"),
            }
        }
    }
    for v in out.iter_mut() {
        v.sort_by(|a, b| (a.at, &a.row).cmp(&(b.at, &b.row)));
    }
    Ok(out)
}
