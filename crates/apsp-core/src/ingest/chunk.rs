//! One chunk of a batch, parsed by a worker thread.
//!
//! Owns what a worker does with its rows: a typed batch is decoded column-wise first
//! (`columnar`), and every row the fast path cannot finish goes the row path
//! (`rows`), which parses it or says why it is rejected. The result is each row's
//! outcome ([`RowOut`]) and the accepted rows' values, for the table to commit in
//! input order.

use std::ops::Range;

use super::columnar::DecodedColumns;
use super::rows::{Accepted, RowParser, RowRejection, RowRules, Shared};
use super::schema::Table;
use super::source::{RowBatch, RowProblem};
use super::table::FileContext;
use super::values::{with_phone_cache, Value, ValueRef};

/// Rows per parallel work item.
pub(super) const CHUNK_ROWS: usize = 4096;

/// What became of one row of a chunk.
pub(super) enum RowOut {
    /// Parsed by the row path: content hash, key hash, index of its first value in
    /// [`ChunkOut::values`], what the row rules did.
    Parsed {
        hash: u128,
        key: Option<u128>,
        start: usize,
        accepted: Accepted,
    },
    /// Decoded column-wise: content hash, key hash, row within the chunk, what the
    /// row rules did.
    Decoded {
        hash: u128,
        key: Option<u128>,
        r: u32,
        accepted: Accepted,
    },
    /// Tokenising problem (field count, quoting, encoding).
    Problem,
    /// A cell or row rule failed.
    Rejected(RowRejection),
}

impl RowOut {
    /// The content and key hashes of a parsed or decoded row.
    pub(super) fn hashes(&self) -> Option<(u128, Option<u128>)> {
        match self {
            RowOut::Parsed { hash, key, .. } | RowOut::Decoded { hash, key, .. } => {
                Some((*hash, *key))
            }
            RowOut::Problem | RowOut::Rejected(_) => None,
        }
    }

    /// Whether the row rules read an interval of this row across the repeated hour of
    /// the clocks going back.
    pub(super) fn fall_back_resolved(&self) -> bool {
        match self {
            RowOut::Parsed { accepted, .. } | RowOut::Decoded { accepted, .. } => {
                accepted.fall_back_resolved
            }
            RowOut::Problem | RowOut::Rejected(_) => false,
        }
    }
}

/// Where a kept row's values are, within its chunk.
#[derive(Debug, Clone, Copy)]
pub(super) enum Kept {
    /// Row path: index of the first value in [`ChunkOut::values`].
    Parsed(u32),
    /// Column-wise: the row within the chunk.
    Decoded(u32),
}

/// Rows a worker parsed: each row's outcome and the accepted rows' values. Rows of the
/// row path keep their values row after row in `values` (text in `arena`); rows
/// decoded column by column keep them in `decoded`.
#[derive(Default)]
pub(super) struct ChunkOut<'b> {
    pub(super) rows: Vec<RowOut>,
    values: Vec<Value>,
    arena: String,
    pub(super) decoded: DecodedColumns<'b>,
    /// Rows (batch index) parsed although some free-text field was not UTF-8 (read as
    /// Windows-1252), ascending: counted in the file's manifest entry when kept.
    pub(super) not_utf8: Vec<usize>,
}

impl ChunkOut<'_> {
    /// Empties the buffers for another batch, keeping their memory.
    pub(super) fn recycle<'y>(self) -> ChunkOut<'y> {
        let ChunkOut {
            mut rows,
            mut values,
            mut arena,
            decoded,
            mut not_utf8,
        } = self;
        rows.clear();
        values.clear();
        arena.clear();
        not_utf8.clear();
        ChunkOut {
            rows,
            values,
            arena,
            decoded: decoded.recycle(),
            not_utf8,
        }
    }

    /// The value of column `ci` of a kept row.
    #[inline(always)]
    pub(super) fn value(&self, kept: Kept, ci: usize) -> ValueRef<'_> {
        match kept {
            Kept::Parsed(start) => self.values[start as usize + ci].resolve(&self.arena),
            Kept::Decoded(r) => self.decoded.value(ci, r as usize),
        }
    }

    /// Keeps the row `parser` has just parsed (`accepted` by the row rules).
    fn push_parsed(&mut self, parser: &RowParser<'_>, rules: &RowRules, accepted: Accepted) {
        let (hash, key) = rules.hashes(parser);
        let base = self.arena.len() as u32;
        self.arena.push_str(parser.arena());
        let start = self.values.len();
        self.values
            .extend(parser.values().iter().map(|v| v.rebased(base)));
        self.rows.push(RowOut::Parsed {
            hash,
            key,
            start,
            accepted,
        });
    }
}

/// Parses rows `rows` of a batch into `out` (emptied buffers). Typed batches are
/// decoded column by column; a row a cell or row rule rejects (or that needs the row
/// path) goes the row path, which gives its exact reason.
pub(super) fn parse_chunk<'b>(
    mut out: ChunkOut<'b>,
    ctx: &FileContext,
    batch: &'b dyn RowBatch,
    rows: Range<usize>,
    table: Table,
    columnar: bool,
    shared: &Shared<'_>,
) -> ChunkOut<'b> {
    let rules = RowRules::new(table);
    with_phone_cache(|phones| {
        let mut slow = vec![!columnar; rows.len()];
        if columnar {
            out.decoded
                .decode(ctx, batch, rows.clone(), table, phones, &mut slow);
        }
        let mut parser = RowParser::new(table, &rules, phones);
        let mut cells = Vec::with_capacity(rules.width());
        for (r, i) in rows.enumerate() {
            if !slow[r] {
                if let Some(done) = out.decoded.finish_row(r, &rules, shared) {
                    out.rows.push(RowOut::Decoded {
                        hash: done.hash,
                        key: done.key,
                        r: r as u32,
                        accepted: done.accepted,
                    });
                    continue;
                }
            }
            cells.clear();
            let (_, problem) = batch.row(i, &mut cells);
            match problem {
                None => {}
                // Text that is not UTF-8 only in free-text columns (a `unit` of `É`
                // from a Windows export) does not remove the row.
                Some(RowProblem::Encoding { fields })
                    if fields
                        .iter()
                        .all(|j| ctx.mapping.feeds_only_free_text(*j, table)) =>
                {
                    out.not_utf8.push(i);
                }
                Some(_) => {
                    out.rows.push(RowOut::Problem);
                    continue;
                }
            }
            match parser.parse_row(ctx, &cells, shared) {
                Err(rejection) => out.rows.push(RowOut::Rejected(rejection)),
                Ok(accepted) => out.push_parsed(&parser, &rules, accepted),
            }
        }
        out
    })
}
