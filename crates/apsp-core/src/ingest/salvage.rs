//! What a quarantined row can still tell.
//!
//! Owns the hints kept with quarantined rows of the tables whose rows explain events
//! ([`Hint`]: who a broken `case_links` row names, which contact a broken `billing` row
//! records, what a broken `shifts`, `deployments` or `vehicle_assignments` row covers)
//! and the [`Salvager`], which reads a quarantined row one column at a time, each cell
//! parsed and pseudonymised as a used row's would be. Scoring uses hints only to
//! withhold a warning sign a row's absence would raise, never to raise one.

use super::mapping::SourceCells;
use super::phone::{PhoneCache, PhoneKind};
use super::rows::Shared;
use super::schema::{Sensitivity, Table};
use super::source::Cell;
use super::table::FileContext;
use super::values::{CellParser, Value, ValueRef};

/// What a quarantined row can still tell, by table.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Hint {
    /// `case_links`: an involvement of these officers and persons is unknown.
    Link(LinkHint),
    /// `billing`: a contact of this device is unknown.
    Contact(ContactHint),
    /// `shifts`, `deployments`, `vehicle_assignments`.
    Salvage(Salvage),
}

/// The officers and persons a quarantined `case_links` row may name. With a known
/// field layout, the row's officer_id and person_id; with an unknown one (wrong field
/// count, broken quoting), every field, to be matched against the force's officers and
/// persons when linking (a shifted or extra field must not hide who the row names).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LinkHint {
    pub officers: Vec<String>,
    /// Pseudonymised like a used row's person_id when pseudonymisation is on.
    pub persons: Vec<String>,
}

/// The contact a quarantined `billing` row may record. With a known field layout,
/// its device_number, other_number and started_at where each parses on its own; with
/// an unknown one, every field that reads as a phone number (as a device and as the
/// other party) and no time. No numbers: the other party is unreadable.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ContactHint {
    /// Normalised like a used row's device_number.
    pub devices: Vec<String>,
    /// Normalised (and pseudonymised) like a used row's other_number.
    pub numbers: Vec<String>,
    /// started_at, UTC microseconds, when it could be read.
    pub at: Option<i64>,
}

/// What a quarantined row of a table that explains events (`shifts`, `deployments`,
/// `vehicle_assignments`) can still tell, each field parsed on its own. Scoring uses
/// it only to withhold a warning sign (a time possibly on duty, a stop possibly
/// deployed, a vehicle possibly crewed by someone else), never to raise one.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Salvage {
    pub officer_id: Option<String>,
    pub vehicle_id: Option<String>,
    /// start / valid_from, UTC microseconds.
    pub start: Option<i64>,
    /// end / valid_to, UTC microseconds.
    pub end: Option<i64>,
    /// The end cell is blank (an open assignment), not unreadable.
    pub end_blank: bool,
    /// lat, lon (deployments) when both read.
    pub at: Option<(f64, f64)>,
}

/// A cell of a quarantined row, parsed on its own.
enum Field {
    /// The column is not in the file.
    Missing,
    Blank,
    /// The cell does not parse.
    Bad,
    Val(Value),
}

/// Reads a quarantined row one column at a time, each cell parsed as a used row's
/// would be, so that a fault in one leaves the others readable. What it finds only
/// ever withholds a warning sign (see [`Hint`]).
pub(super) struct Salvager<'r, 'c, 'p> {
    parser: CellParser<'p>,
    ctx: &'r FileContext,
    cells: &'r [Cell<'c>],
}

impl<'r, 'c, 'p> Salvager<'r, 'c, 'p> {
    pub(super) fn new(
        table: Table,
        phones: &'p mut PhoneCache,
        ctx: &'r FileContext,
        cells: &'r [Cell<'c>],
    ) -> Self {
        Salvager {
            parser: CellParser {
                table,
                phones,
                arena: String::new(),
            },
            ctx,
            cells,
        }
    }
}

impl Salvager<'_, '_, '_> {
    fn field(&mut self, name: &str) -> Field {
        let Some(ci) = self.parser.table.column_index(name) else {
            return Field::Missing;
        };
        let mut joined = String::new();
        match SourceCells::new(&self.ctx.mapping, self.cells).cell(ci, &mut joined) {
            Some(cell) => self.parse(ci, cell),
            None => Field::Missing,
        }
    }

    /// `cell` parsed as column `ci`.
    fn parse(&mut self, ci: usize, cell: Cell<'_>) -> Field {
        if cell.is_blank() {
            return Field::Blank;
        }
        let c = &self.parser.table.columns()[ci];
        match self.parser.parse(&self.ctx.formats, c, cell) {
            Ok(v) => Field::Val(v),
            Err(_) => Field::Bad,
        }
    }

    fn text(&mut self, name: &str) -> Option<String> {
        match self.field(name) {
            Field::Val(Value::Str(a, b)) => Some(self.parser.text(a, b).to_string()),
            _ => None,
        }
    }

    fn time(&mut self, name: &str) -> Option<i64> {
        match self.field(name) {
            Field::Val(Value::Time(t, _)) => Some(t),
            _ => None,
        }
    }

    fn float(&mut self, name: &str) -> Option<f64> {
        match self.field(name) {
            Field::Val(Value::Float(f)) => Some(f),
            _ => None,
        }
    }

    /// An E.164 number, normalised like a used row's.
    fn phone(&mut self, f: Field) -> Option<String> {
        match f {
            Field::Val(Value::Phone(PhoneKind::E164, a, b)) => {
                Some(self.parser.text(a, b).to_string())
            }
            _ => None,
        }
    }

    /// A `case_links` or `billing` row's hint. With an unknown field layout (wrong
    /// field count, broken quoting) every field is a candidate: a case link's officer
    /// and person are matched against the force's when linking, and a billing row's
    /// fields that read as phone numbers are its device and other party (time
    /// unknown).
    pub(super) fn hint(&mut self, layout_unknown: bool, shared: &Shared<'_>) -> Option<Hint> {
        match self.parser.table {
            Table::CaseLinks => self.link_hint(layout_unknown, shared),
            Table::Billing => self.contact_hint(layout_unknown, shared),
            _ => None,
        }
    }

    fn link_hint(&mut self, layout_unknown: bool, shared: &Shared<'_>) -> Option<Hint> {
        // Pseudonymised like a used row's person_id.
        let person = |p: &str| {
            shared
                .pseudonym(Sensitivity::PersonId, ValueRef::Str(p))
                .unwrap_or_else(|| p.to_string())
        };
        if layout_unknown {
            let mut texts: Vec<String> = self
                .cells
                .iter()
                .map(|c| c.to_text().trim().to_string())
                .filter(|t| !t.is_empty())
                .collect();
            texts.sort_unstable();
            texts.dedup();
            return (!texts.is_empty()).then(|| {
                Hint::Link(LinkHint {
                    persons: texts.iter().map(|t| person(t)).collect(),
                    officers: texts,
                })
            });
        }
        let (o, p) = (self.text("officer_id")?, self.text("person_id")?);
        Some(Hint::Link(LinkHint {
            officers: vec![o],
            persons: vec![person(&p)],
        }))
    }

    fn contact_hint(&mut self, layout_unknown: bool, shared: &Shared<'_>) -> Option<Hint> {
        // Pseudonymised like a used row's other_number.
        let public = |nr: String| {
            shared
                .pseudonym(
                    Sensitivity::PublicNumber,
                    ValueRef::Phone(PhoneKind::E164, &nr),
                )
                .unwrap_or(nr)
        };
        let (mut devices, mut numbers, mut at) = (Vec::new(), Vec::new(), None);
        if layout_unknown {
            let ci = Table::Billing.column_index("other_number")?;
            for &cell in self.cells {
                let f = self.parse(ci, cell);
                if let Some(nr) = self.phone(f) {
                    devices.push(nr.clone());
                    numbers.push(public(nr));
                }
            }
        } else {
            let f = self.field("device_number");
            devices.extend(self.phone(f));
            let f = self.field("other_number");
            numbers.extend(self.phone(f).map(public));
            at = self.time("started_at");
        }
        for v in [&mut devices, &mut numbers] {
            v.sort_unstable();
            v.dedup();
        }
        // The other party unreadable: the row still tells the officer had a
        // contact then (it may be the one an outgoing contact answers).
        (!devices.is_empty() && (!numbers.is_empty() || at.is_some())).then_some(Hint::Contact(
            ContactHint {
                devices,
                numbers,
                at,
            },
        ))
    }

    /// A `shifts`, `deployments` or `vehicle_assignments` row's salvage.
    pub(super) fn salvage(&mut self) -> Salvage {
        let (from, to) = match self.parser.table {
            Table::VehicleAssignments => ("valid_from", "valid_to"),
            _ => ("start", "end"),
        };
        let end = self.field(to);
        Salvage {
            officer_id: self.text("officer_id"),
            vehicle_id: self.text("vehicle_id"),
            start: self.time(from),
            end_blank: matches!(end, Field::Blank),
            end: match end {
                Field::Val(Value::Time(t, _)) => Some(t),
                _ => None,
            },
            at: match (self.float("lat"), self.float("lon")) {
                (Some(a), Some(o)) if (a, o) != (0.0, 0.0) => Some((a, o)),
                _ => None,
            },
        }
    }
}
