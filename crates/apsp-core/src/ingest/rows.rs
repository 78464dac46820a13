//! The row rules, written once for both ingestion paths, and the row path's parser.
//!
//! After its cells parse, every row goes through [`RowRules::apply`]: the coordinate
//! rule, the time-order rule, pseudonymisation of members of the public and the
//! derived id of a row without a key. The rules read and replace a row's values
//! through [`RowValues`], which the row path ([`RowParser`], values in a row arena)
//! and the column-wise path (`columnar::DecodedRow`, one row of a decoded chunk) both
//! implement. The row path quarantines a row with the [`RowRejection`] a rule gives;
//! the column-wise path only needs to know that a rule failed, and sends the row to
//! the row path, which gives the reason.

use std::collections::HashSet;

use xxhash_rust::xxh3::xxh3_128;

use super::mapping::SourceCells;
use super::phone::{PhoneCache, PhoneKind};
use super::schema::{ColumnSpec, Sensitivity, Table};
use super::source::Cell;
use super::table::FileContext;
use super::time::{fmt_utc, Fold};
use super::values::{hash_values, CellParser, Value, ValueRef};
use super::Reason;
use crate::pseudo::{Domain, Pseudonymiser};

/// Settings shared by all tables of a dataset.
pub struct Shared<'a> {
    pub pseudo: Option<&'a Pseudonymiser>,
    /// Officers' own device numbers (E.164): never pseudonymised.
    pub officer_numbers: &'a HashSet<String>,
}

impl Shared<'_> {
    /// The pseudonym that replaces `value` of a column of `sensitivity` when
    /// pseudonymising: a member of the public's person id, or an E.164 number that is
    /// not an officer's own. `None`: the value is kept as it is.
    pub(super) fn pseudonym(
        &self,
        sensitivity: Sensitivity,
        value: ValueRef<'_>,
    ) -> Option<String> {
        let p = self.pseudo?;
        match (sensitivity, value) {
            (Sensitivity::PersonId, ValueRef::Str(t)) => Some(p.pseudonym(Domain::Person, t)),
            (Sensitivity::PublicNumber, ValueRef::Phone(PhoneKind::E164, t))
                if !self.officer_numbers.contains(t) =>
            {
                Some(p.pseudonym(Domain::Number, t))
            }
            _ => None,
        }
    }
}

/// A parsed row's values, as the row rules read and replace them.
pub(super) trait RowValues {
    /// The value of column `ci`.
    fn value(&self, ci: usize) -> ValueRef<'_>;
    /// Replaces the value of column `ci` by `text`: a phone number of kind `phone`, or
    /// plain text.
    fn replace(&mut self, ci: usize, text: &str, phone: Option<PhoneKind>);
    /// Replaces the time of column `ci` by another reading of the same cell: `utc`,
    /// whose other occurrence is `fold` away.
    fn replace_time(&mut self, ci: usize, utc: i64, fold: Fold);
}

/// What the row rules did to a row they accepted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Accepted {
    /// An interval of the row was backwards only because the clocks went back, and is
    /// read across the repeated hour instead (see [`RowRules::check_time_order`]).
    pub(super) fall_back_resolved: bool,
}

/// Why a row is quarantined: a cell that does not parse, or a row rule it breaks.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct RowRejection {
    pub(super) reason: Reason,
    /// The canonical column at fault, if one.
    pub(super) column: Option<usize>,
    pub(super) message: String,
}

/// A table's row rules, with their columns found once (not for every row).
pub(super) struct RowRules {
    cols: &'static [ColumnSpec],
    /// (latitude, longitude) column pairs.
    coordinates: Vec<(usize, usize)>,
    /// (first, second) time column pairs that must be in order.
    ordered: Vec<(usize, usize)>,
    /// The key column made from the row's content when blank.
    derived_key: Option<usize>,
    /// The key column, for de-duplication.
    key: Option<usize>,
}

impl RowRules {
    pub(super) fn new(table: Table) -> Self {
        let index = |name: &str| table.column_index(name).expect("a column of the table");
        RowRules {
            cols: table.columns(),
            coordinates: table
                .coordinates()
                .iter()
                .map(|(lat, lon)| (index(lat), index(lon)))
                .collect(),
            ordered: table
                .ordered()
                .iter()
                .map(|o| (index(o.first), index(o.second)))
                .collect(),
            derived_key: table.derived_key().map(index),
            key: table.key().and_then(|k| table.column_index(k)),
        }
    }

    /// The number of canonical columns.
    pub(super) fn width(&self) -> usize {
        self.cols.len()
    }

    /// Applies the row rules, in order, to a row whose cells all parsed: coordinates
    /// and time order (which may reject it, and may read an interval across the
    /// repeated hour of the clocks going back), then pseudonymisation and the derived
    /// id (which replace values).
    pub(super) fn apply(
        &self,
        row: &mut impl RowValues,
        shared: &Shared<'_>,
    ) -> Result<Accepted, RowRejection> {
        self.check_coordinates(row)?;
        let fall_back_resolved = self.check_time_order(row)?;
        self.pseudonymise(row, shared);
        self.derive_missing_id(row);
        Ok(Accepted { fall_back_resolved })
    }

    /// Latitude and longitude are both given or both blank, and not 0,0 (no GPS fix).
    fn check_coordinates(&self, row: &impl RowValues) -> Result<(), RowRejection> {
        for &(ia, io) in &self.coordinates {
            let (la, lo) = (self.cols[ia].name, self.cols[io].name);
            let message = match (row.value(ia), row.value(io)) {
                (ValueRef::Float(a), ValueRef::Float(o)) if a == 0.0 && o == 0.0 => {
                    format!("{la},{lo} = 0,0 (no GPS fix)")
                }
                (ValueRef::Float(_), ValueRef::Float(_)) | (ValueRef::Null, ValueRef::Null) => {
                    continue
                }
                _ => format!("{la} and {lo} must both be given or both be blank"),
            };
            return Err(RowRejection {
                reason: Reason::BadCoordinates,
                column: Some(ia),
                message,
            });
        }
        Ok(())
    }

    /// The second time of an ordered pair (an end, a valid_to) is not before the
    /// first.
    ///
    /// Except where it is backwards only because the clocks went back: naive local
    /// times in the repeated hour read as one pass (01:14 -> 01:05 on the night of
    /// the change, both first pass by default) are read across it instead — the end
    /// in the second pass (01:05 GMT), or with `ambiguous = latest` the start in the
    /// first (01:14 BST) — when that puts them in order. It is then the only reading
    /// in order. Returns whether an interval was read so.
    fn check_time_order(&self, row: &mut impl RowValues) -> Result<bool, RowRejection> {
        let mut resolved = false;
        for &(i1, i2) in &self.ordered {
            let (ValueRef::Time(a, start_fold), ValueRef::Time(b, end_fold)) =
                (row.value(i1), row.value(i2))
            else {
                continue;
            };
            if b >= a {
                continue;
            }
            if let Some(end) = end_fold.later(b).filter(|&end| end >= a) {
                row.replace_time(i2, end, end_fold.other_side());
            } else if let Some(start) = start_fold.earlier(a).filter(|&start| start <= b) {
                row.replace_time(i1, start, start_fold.other_side());
            } else {
                return Err(self.end_before_start(i1, i2, a, b));
            }
            resolved = true;
        }
        Ok(resolved)
    }

    /// The rejection of a row whose time `b` of column `i2` is before `a` of `i1`.
    fn end_before_start(&self, i1: usize, i2: usize, a: i64, b: i64) -> RowRejection {
        RowRejection {
            reason: Reason::EndBeforeStart,
            column: Some(i2),
            message: format!(
                "{} {} is before {} {}",
                self.cols[i2].name,
                fmt_utc(b),
                self.cols[i1].name,
                fmt_utc(a)
            ),
        }
    }

    /// Replaces members of the public's ids and numbers by their pseudonyms (see
    /// [`Shared::pseudonym`]).
    fn pseudonymise(&self, row: &mut impl RowValues, shared: &Shared<'_>) {
        if shared.pseudo.is_none() {
            return;
        }
        for (ci, c) in self.cols.iter().enumerate() {
            let value = row.value(ci);
            let phone = match value {
                ValueRef::Phone(kind, _) => Some(kind),
                _ => None,
            };
            if let Some(text) = shared.pseudonym(c.sensitivity, value) {
                row.replace(ci, &text, phone);
            }
        }
    }

    /// A blank derived key (a record, stop or event id) becomes `d_` and the row's
    /// hash.
    fn derive_missing_id(&self, row: &mut impl RowValues) {
        if let Some(ki) = self.derived_key {
            if matches!(row.value(ki), ValueRef::Null) {
                let h = self.row_hash(row);
                row.replace(ki, &format!("d_{h:032x}"), None);
            }
        }
    }

    /// The row's content hash (see [`hash_values`]).
    fn row_hash(&self, row: &impl RowValues) -> u128 {
        hash_values((0..self.width()).map(|ci| row.value(ci)))
    }

    /// A row's content hash and the hash of its key value, if it has one: what
    /// de-duplication compares.
    pub(super) fn hashes(&self, row: &impl RowValues) -> (u128, Option<u128>) {
        let key = self.key.and_then(|k| match row.value(k) {
            ValueRef::Str(t) => Some(xxh3_128(t.as_bytes())),
            _ => None,
        });
        (self.row_hash(row), key)
    }
}

/// Parses rows of one table into typed values, one row at a time; one per worker
/// thread.
pub(super) struct RowParser<'p> {
    rules: &'p RowRules,
    parser: CellParser<'p>,
    /// The values of the row being parsed (text in the parser's arena).
    row: Vec<Value>,
    /// A cell joined from several source columns.
    joined: String,
}

impl<'p> RowParser<'p> {
    pub(super) fn new(table: Table, rules: &'p RowRules, phones: &'p mut PhoneCache) -> Self {
        RowParser {
            rules,
            parser: CellParser {
                table,
                phones,
                arena: String::new(),
            },
            row: Vec::with_capacity(rules.width()),
            joined: String::new(),
        }
    }

    /// Parses all columns of a row and applies the row rules (saying what they did), or
    /// says why the row is rejected.
    ///
    /// Typed (Parquet) batches are decoded column by column instead
    /// (`DecodedColumns::decode` in `columnar`), which must give the same values: a
    /// change to how cells become values made here must be made there too (and must
    /// clear the column's `verbatim` flag). Row rules belong in [`RowRules`],
    /// which both paths apply. `tests/columnar.rs` reads noisy and clean Parquet both
    /// ways and requires identical frames and quarantine.
    pub(super) fn parse_row(
        &mut self,
        ctx: &FileContext,
        cells: &[Cell<'_>],
        shared: &Shared<'_>,
    ) -> Result<Accepted, RowRejection> {
        self.row.clear();
        self.parser.arena.clear();
        let source = SourceCells::new(&ctx.mapping, cells);
        for (ci, c) in self.rules.cols.iter().enumerate() {
            let cell = source.cell(ci, &mut self.joined).unwrap_or(Cell::Null);
            let v = self
                .parser
                .parse(&ctx.formats, c, cell)
                .map_err(|e| RowRejection {
                    reason: e.reason,
                    column: Some(ci),
                    message: e.message,
                })?;
            self.row.push(v);
        }
        let rules = self.rules;
        rules.apply(self, shared)
    }

    /// The parsed row's values, their text in [`RowParser::arena`].
    pub(super) fn values(&self) -> &[Value] {
        &self.row
    }

    /// The text of the parsed row's values.
    pub(super) fn arena(&self) -> &str {
        &self.parser.arena
    }
}

impl RowValues for RowParser<'_> {
    #[inline(always)]
    fn value(&self, ci: usize) -> ValueRef<'_> {
        self.row[ci].resolve(&self.parser.arena)
    }

    fn replace(&mut self, ci: usize, text: &str, phone: Option<PhoneKind>) {
        let a = self.parser.arena.len() as u32;
        self.parser.arena.push_str(text);
        let b = self.parser.arena.len() as u32;
        self.row[ci] = match phone {
            Some(k) => Value::Phone(k, a, b),
            None => Value::Str(a, b),
        };
    }

    fn replace_time(&mut self, ci: usize, utc: i64, fold: Fold) {
        self.row[ci] = Value::Time(utc, fold);
    }
}
