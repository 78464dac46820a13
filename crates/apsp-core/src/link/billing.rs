//! Work-phone billing: device → officer over the devices' validity windows; the other
//! party → a person (through `person_numbers`), a colleague (another officer's device:
//! internal, never a subject) or an unmatched number (a subject in its own right);
//! service numbers and withheld callers are real traffic but never subjects. A
//! quarantined billing row may record a contact, which some signs must allow for.

use std::collections::BTreeSet;
use std::sync::Arc;

use polars::prelude::DataFrame;
use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;

use super::columns::{ints, texts, times, Sources};
use super::model::{Contact, Misses, OfficerIx, SubjectIx, Ts, UnknownContact};
use super::officers::OfficerBook;
use super::subjects::SubjectBook;
use crate::error::Result;
use crate::ingest::table::Hint;
use crate::ingest::QuarantineRow;

/// An officer's holding of a device number.
struct Holding {
    officer: OfficerIx,
    from: Ts,
    to: Ts,
}

/// Device numbers → the officers who held them, when.
#[derive(Default)]
pub(super) struct Devices(HashMap<String, Vec<Holding>>);

impl Devices {
    pub fn read(
        devices: &DataFrame,
        officers: &OfficerBook,
        misses: &mut Misses,
    ) -> Result<Devices> {
        let mut out = Devices::default();
        let (num, oid) = (
            texts(devices, "device_number")?,
            texts(devices, "officer_id")?,
        );
        let (from, to) = (times(devices, "valid_from")?, times(devices, "valid_to")?);
        for i in 0..devices.height() {
            let (Some(nr), Some(o)) = (num.get(i), oid.get(i)) else {
                continue;
            };
            match officers.index.get(o) {
                Some(&officer) => out.0.entry(nr.to_string()).or_default().push(Holding {
                    officer,
                    from: from.get(i).unwrap_or(i64::MIN),
                    to: to.get(i).unwrap_or(i64::MAX),
                }),
                None => misses.add("devices: officer not in officers"),
            }
        }
        Ok(out)
    }

    /// The officer holding device `nr` at `t`, or why nobody: a pooled device held by
    /// several officers at once is nobody's, like a double-crewed vehicle's stop, rather
    /// than possibly the wrong officer's.
    fn holder(&self, nr: &str, t: Ts) -> Result<OfficerIx, &'static str> {
        let mut held = self
            .0
            .get(nr)
            .into_iter()
            .flatten()
            .filter(|h| h.from <= t && t <= h.to)
            .map(|h| h.officer);
        let Some(first) = held.next() else {
            return Err("billing: device of no officer at that time");
        };
        if held.any(|o| o != first) {
            return Err("billing: pooled device, several officers held it at that time");
        }
        Ok(first)
    }

    /// The officers holding device `nr` at `t` (any time when `t` is unknown).
    fn holders(&self, nr: &str, t: Option<Ts>) -> impl Iterator<Item = OfficerIx> + '_ {
        self.0
            .get(nr)
            .into_iter()
            .flatten()
            .filter(move |h| t.is_none_or(|t| h.from <= t && t <= h.to))
            .map(|h| h.officer)
    }

    /// Whether `nr` is any officer's device, whatever its validity window.
    fn is_device(&self, nr: &str) -> bool {
        self.0.contains_key(nr)
    }
}

/// Whose device and which number a billing row is, found row by row in parallel
/// (lookups only).
enum Party<'a> {
    Person(OfficerIx, SubjectIx),
    Number(OfficerIx, &'a str),
    Unlinked(&'static str),
}

/// A billing row tied to a pair.
struct LinkedRow {
    row: usize,
    officer: OfficerIx,
    subject: SubjectIx,
}

/// Every billing row as a contact of a pair, sorted by (officer, subject, time, record
/// id). Numbers become subjects in file order (ids do not depend on threads).
pub(super) fn link_billing(
    billing: &DataFrame,
    devices: &Devices,
    book: &mut SubjectBook,
    misses: &mut Misses,
    sources: &Sources,
) -> Result<Vec<Contact>> {
    let source = sources.rows(billing)?;
    let (rid, dev, other, other_kind) = (
        texts(billing, "record_id")?,
        texts(billing, "device_number")?,
        texts(billing, "other_number")?,
        texts(billing, "other_number_kind")?,
    );
    let (direction, kind) = (texts(billing, "direction")?, texts(billing, "kind")?);
    let (at, duration) = (times(billing, "started_at")?, ints(billing, "duration_s")?);
    let number_person = &book.number_person;
    let parties: Vec<Party<'_>> = (0..billing.height())
        .into_par_iter()
        .map(|i| {
            let t = at.get(i).unwrap_or(0);
            let o = match dev.get(i).map(|d| devices.holder(d, t)) {
                Some(Ok(o)) => o,
                Some(Err(why)) => return Party::Unlinked(why),
                None => return Party::Unlinked("billing: device of no officer at that time"),
            };
            match (other_kind.get(i), other.get(i)) {
                (Some("e164"), Some(nr)) if devices.is_device(nr) => {
                    Party::Unlinked("billing: colleague's device (internal)")
                }
                (Some("e164"), Some(nr)) => match number_person.get(nr) {
                    Some(&s) => Party::Person(o, s),
                    None => Party::Number(o, nr),
                },
                (Some("service"), _) => Party::Unlinked("billing: service number (not a subject)"),
                _ => Party::Unlinked("billing: withheld number (not a subject)"),
            }
        })
        .collect();
    let mut linked: Vec<LinkedRow> = Vec::with_capacity(parties.len());
    for (row, party) in parties.iter().enumerate() {
        let (officer, subject) = match party {
            Party::Unlinked(why) => {
                misses.add(why);
                continue;
            }
            Party::Person(o, s) => (*o, *s),
            Party::Number(o, nr) => (*o, book.number(nr)),
        };
        linked.push(LinkedRow {
            row,
            officer,
            subject,
        });
    }
    drop(parties);
    let mut contacts: Vec<Contact> = linked
        .par_iter()
        .map(|r| Contact {
            officer: r.officer,
            subject: r.subject,
            at: at.get(r.row).unwrap_or(0),
            outgoing: direction.get(r.row) == Some("out"),
            call: kind.get(r.row) == Some("call"),
            duration: duration.get(r.row),
            record_id: rid.get(r.row).unwrap_or_default().into(),
            source: source[r.row],
        })
        .collect();
    sort_contacts(&mut contacts);
    Ok(contacts)
}

pub(super) fn sort_contacts(contacts: &mut [Contact]) {
    contacts.par_sort_by(|a, b| {
        (a.officer, a.subject, a.at, &a.record_id).cmp(&(b.officer, b.subject, b.at, &b.record_id))
    });
}

/// Quarantined billing rows that may record a contact.
#[derive(Default)]
pub(super) struct ContactsUnknown {
    /// (officer, subject) → rows that may record a contact between them.
    pub by_pair: HashMap<(OfficerIx, SubjectIx), Vec<UnknownContact>>,
    /// officer → rows of the officer's device whose other party is unreadable (time
    /// known).
    pub by_officer: HashMap<OfficerIx, Vec<UnknownContact>>,
}

/// Quarantined billing rows → the pairs whose contact they may record: the device's
/// holder at the row's time (any holder when the time is unknown) and the person or
/// number already a subject (a number met nowhere else makes no pair to speak of).
pub(super) fn contacts_unknown(
    quarantined: &[QuarantineRow],
    devices: &Devices,
    book: &SubjectBook,
) -> ContactsUnknown {
    let mut out = ContactsUnknown::default();
    for (row, hint) in quarantined.iter().filter_map(|r| match &r.hint {
        Some(Hint::Contact(c)) => Some((r, c)),
        _ => None,
    }) {
        let officers: BTreeSet<OfficerIx> = hint
            .devices
            .iter()
            .flat_map(|d| devices.holders(d, hint.at))
            .collect();
        let subjects: BTreeSet<SubjectIx> = hint
            .numbers
            .iter()
            .filter(|nr| !devices.is_device(nr))
            .filter_map(|nr| book.known_number(nr))
            .collect();
        let unknown = UnknownContact {
            at: hint.at,
            row: Arc::from(row.describe()),
        };
        if hint.numbers.is_empty() && hint.at.is_some() {
            // The other party unreadable: a contact of the officer's then.
            for &o in &officers {
                out.by_officer.entry(o).or_default().push(unknown.clone());
            }
        }
        for &o in &officers {
            for &s in &subjects {
                out.by_pair.entry((o, s)).or_default().push(unknown.clone());
            }
        }
    }
    out
}
