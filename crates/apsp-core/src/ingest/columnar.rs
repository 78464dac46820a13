//! The column-wise fast path for typed (Parquet) batches.
//!
//! Owns decoding a chunk of a typed batch column by column into [`BatchValue`]s
//! (text used as it is stays borrowed from the batch) and finishing each decoded row
//! with the shared row rules ([`RowRules`]). A row whose cell fails, whose
//! column is joined from several, or that a row rule rejects, is left to the row path,
//! which gives the exact reason. Per column it also tells whether every value is its
//! source cell exactly (`verbatim`), so a batch kept whole can take the source array.

use std::ops::Range;

use super::mapping::CellSource;
use super::phone::{PhoneCache, PhoneKind};
use super::rows::{Accepted, RowRules, RowValues, Shared};
use super::schema::{ColType, ColumnSpec, Table};
use super::source::{Cell, RowBatch};
use super::table::FileContext;
use super::time::Fold;
use super::values::{BatchValue, CellParser, ValueRef};

/// A chunk's rows decoded column-wise: values column after column of `len` rows, their
/// text in the batch or in `arena`.
#[derive(Default)]
pub(super) struct DecodedColumns<'b> {
    values: Vec<BatchValue<'b>>,
    arena: String,
    /// Rows in the chunk.
    len: usize,
    /// Per column: every value is its source cell exactly (text as it is, or null
    /// where the source is null), so the source array can be taken whole.
    verbatim: Vec<bool>,
}

impl DecodedColumns<'_> {
    /// Empties the buffers for another batch, keeping their memory.
    pub(super) fn recycle<'y>(self) -> DecodedColumns<'y> {
        let DecodedColumns {
            mut values,
            mut arena,
            mut verbatim,
            ..
        } = self;
        values.clear();
        arena.clear();
        verbatim.clear();
        DecodedColumns {
            // An empty vector of the same layout: collecting in place keeps the
            // allocation (only the borrowed lifetime changes).
            values: values.into_iter().map(|_| BatchValue::Null).collect(),
            arena,
            len: 0,
            verbatim,
        }
    }

    /// The value of column `ci` in row `r` of the chunk.
    #[inline(always)]
    pub(super) fn value(&self, ci: usize, r: usize) -> ValueRef<'_> {
        self.values[ci * self.len + r].resolve(&self.arena)
    }

    /// Whether column `ci` is its source exactly in every row of the chunk.
    pub(super) fn is_verbatim(&self, ci: usize) -> bool {
        self.verbatim.get(ci) == Some(&true)
    }
}

impl<'b> DecodedColumns<'b> {
    /// Decodes rows `rows` of a typed batch column by column, parsing each cell as the
    /// row path would. Text used as it is stays in the batch; other text goes to the
    /// chunk's arena. A row with a cell that fails, or whose columns are joined from
    /// several, is marked `slow` for the row path.
    pub(super) fn decode(
        &mut self,
        ctx: &FileContext,
        batch: &'b dyn RowBatch,
        rows: Range<usize>,
        table: Table,
        phones: &mut PhoneCache,
        slow: &mut [bool],
    ) {
        self.len = rows.len();
        let cols = table.columns();
        // A column joined from several source columns is made by the row path only.
        if ctx.mapping.has_joined() {
            slow.fill(true);
            self.verbatim.resize(cols.len(), false);
            return;
        }
        let mut parser = CellParser {
            table,
            phones,
            arena: std::mem::take(&mut self.arena),
        };
        let mut cells: Vec<Cell<'b>> = Vec::with_capacity(rows.len());
        for (ci, c) in cols.iter().enumerate() {
            let source = &ctx.mapping.sources[ci];
            cells.clear();
            if let CellSource::Column(j) = source {
                batch.column(*j, rows.clone(), &mut cells);
            }
            let verbatim = self.decode_column(&mut parser, ctx, c, source, &cells, slow);
            self.verbatim.push(verbatim);
        }
        self.arena = parser.arena;
    }

    /// Decodes one column's cells (`cells`, when it comes from a source column);
    /// returns whether every value is its source cell exactly.
    fn decode_column(
        &mut self,
        parser: &mut CellParser<'_>,
        ctx: &FileContext,
        c: &ColumnSpec,
        source: &CellSource,
        cells: &[Cell<'b>],
        slow: &mut [bool],
    ) -> bool {
        let mapped = ctx.formats.vocabulary.contains_key(c.name);
        let from_column = matches!(source, CellSource::Column(_));
        let mut verbatim =
            !mapped && from_column && matches!(c.ty, ColType::Str | ColType::Enum(_));
        for (r, row_path) in slow.iter_mut().enumerate().take(self.len) {
            let cell = if from_column { cells[r] } else { Cell::Null };
            let as_is = if from_column && !mapped {
                text_as_is(c.ty, cell)
            } else {
                None
            };
            // A null cell read as null is still the source as it is.
            verbatim &= match as_is {
                Some((_, exact)) => exact,
                None => matches!(cell, Cell::Null),
            };
            let parsed = match (as_is, source) {
                (Some((v, _)), _) => Ok(v),
                (None, CellSource::Constant(v)) => parser
                    .parse(&ctx.formats, c, Cell::Str(v))
                    .map(BatchValue::from_value),
                (None, _) => parser
                    .parse(&ctx.formats, c, cell)
                    .map(BatchValue::from_value),
            };
            let v = parsed.unwrap_or_else(|_| {
                *row_path = true;
                BatchValue::Null
            });
            verbatim &= matches!(v, BatchValue::Borrowed(_) | BatchValue::Null);
            self.values.push(v);
        }
        verbatim
    }

    /// Applies the row rules to row `r` of the chunk; returns its content and key
    /// hashes and what the rules did, or `None` when a rule fails and the row must
    /// take the row path (which gives the reason).
    #[inline]
    pub(super) fn finish_row(
        &mut self,
        r: usize,
        rules: &RowRules,
        shared: &Shared<'_>,
    ) -> Option<FinishedRow> {
        let mut row = DecodedRow { columns: self, r };
        let accepted = rules.apply(&mut row, shared).ok()?;
        let (hash, key) = rules.hashes(&row);
        Some(FinishedRow {
            hash,
            key,
            accepted,
        })
    }
}

/// A decoded row the row rules accepted.
pub(super) struct FinishedRow {
    /// The content hash.
    pub(super) hash: u128,
    /// The hash of the key value, if the row has one.
    pub(super) key: Option<u128>,
    pub(super) accepted: Accepted,
}

/// A text cell's value without parsing, where the row path would copy it out and
/// back: plain text (no blanks around it, not a null token) of a text column, or of a
/// vocabulary column when it matches an allowed value ignoring case (the value as
/// written in the vocabulary). The flag tells whether the value is the cell's text
/// exactly.
fn text_as_is(ty: ColType, cell: Cell<'_>) -> Option<(BatchValue<'_>, bool)> {
    let Cell::Str(s) = cell else { return None };
    if !matches!(ty, ColType::Str | ColType::Enum(_)) {
        return None;
    }
    let graphic = |b: Option<&u8>| b.is_some_and(u8::is_ascii_graphic);
    let plain = graphic(s.as_bytes().first()) && graphic(s.as_bytes().last()) && !cell.is_blank();
    if !plain {
        return None;
    }
    match ty {
        ColType::Str => Some((BatchValue::Borrowed(s), true)),
        ColType::Enum(allowed) => allowed
            .iter()
            .find(|v| v.eq_ignore_ascii_case(s))
            .map(|v| (BatchValue::Borrowed(v), *v == s)),
        _ => None,
    }
}

/// One row of a decoded chunk, as the row rules read and replace it.
struct DecodedRow<'d, 'b> {
    columns: &'d mut DecodedColumns<'b>,
    r: usize,
}

impl RowValues for DecodedRow<'_, '_> {
    #[inline(always)]
    fn value(&self, ci: usize) -> ValueRef<'_> {
        self.columns.value(ci, self.r)
    }

    fn replace(&mut self, ci: usize, text: &str, phone: Option<PhoneKind>) {
        let columns = &mut *self.columns;
        let a = columns.arena.len() as u32;
        columns.arena.push_str(text);
        let b = columns.arena.len() as u32;
        columns.values[ci * columns.len + self.r] = match phone {
            Some(k) => BatchValue::Phone(k, a, b),
            None => BatchValue::InArena(a, b),
        };
        // No longer the source as it is.
        columns.verbatim[ci] = false;
    }

    fn replace_time(&mut self, ci: usize, utc: i64, fold: Fold) {
        let columns = &mut *self.columns;
        columns.values[ci * columns.len + self.r] = BatchValue::Time(utc, fold);
        columns.verbatim[ci] = false;
    }
}
