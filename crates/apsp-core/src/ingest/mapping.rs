//! Where each canonical column comes from in one file.
//!
//! Owns the header checks (blank, repeated, unknown columns, a file with the wrong
//! delimiter), the mapping of a file's header onto a table's canonical columns (by
//! name, or through an import profile: a renamed column, a constant, several columns
//! joined), and reading a canonical column's cell out of a raw row.

use std::collections::HashSet;
use std::path::Path;

use super::profile::{ColumnSource, Profile};
use super::schema::{ColumnSpec, Sensitivity, Table};
use super::source::Cell;
use crate::error::{ApspError, Result};

/// Where one canonical column's cells come from.
#[derive(Debug, Clone)]
pub(super) enum CellSource {
    /// Not in the file (an optional column): every cell is null.
    Absent,
    /// The source column of this index.
    Column(usize),
    /// The same text in every row.
    Constant(String),
    /// These source columns' non-blank texts, trimmed, joined by the separator.
    Joined(Vec<usize>, String),
}

/// How a file's columns map onto a table's canonical columns.
#[derive(Debug, Clone)]
pub(super) struct ColumnMapping {
    /// Per canonical column, in the table's column order.
    pub(super) sources: Vec<CellSource>,
    /// Per source column: it feeds a column of personal data (for redacting `raw`).
    pub(super) sensitive: Vec<bool>,
}

impl ColumnMapping {
    /// The canonical columns source column `j` feeds.
    pub(super) fn fed_by(&self, j: usize) -> impl Iterator<Item = usize> + '_ {
        self.sources
            .iter()
            .enumerate()
            .filter(move |(_, s)| match s {
                CellSource::Column(k) => *k == j,
                CellSource::Joined(ks, _) => ks.contains(&j),
                CellSource::Absent | CellSource::Constant(_) => false,
            })
            .map(|(ci, _)| ci)
    }

    /// Whether source column `j` feeds nothing but free text no warning sign reads
    /// (see [`Table::is_free_text`]), or nothing at all.
    pub(super) fn feeds_only_free_text(&self, j: usize, table: Table) -> bool {
        self.fed_by(j)
            .all(|ci| table.is_free_text(table.columns()[ci].name))
    }

    /// Whether some canonical column is joined from several source columns.
    pub(super) fn has_joined(&self) -> bool {
        self.sources
            .iter()
            .any(|m| matches!(m, CellSource::Joined(..)))
    }

    /// Canonical column `ci`'s source text in a raw row as read (joined columns
    /// joined as they are), for messages.
    pub(super) fn source_text(&self, ci: usize, cells: &[Cell<'_>]) -> String {
        let text = |i: &usize| cells.get(*i).map(|c| c.to_text()).unwrap_or_default();
        match &self.sources[ci] {
            CellSource::Column(i) => text(i),
            CellSource::Constant(v) => v.clone(),
            CellSource::Joined(idx, sep) => idx.iter().map(text).collect::<Vec<_>>().join(sep),
            CellSource::Absent => String::new(),
        }
    }
}

/// A raw row's cells read through a file's mapping.
pub(super) struct SourceCells<'m, 'c> {
    sources: &'m [CellSource],
    cells: &'m [Cell<'c>],
}

impl<'m, 'c> SourceCells<'m, 'c> {
    #[inline]
    pub(super) fn new(mapping: &'m ColumnMapping, cells: &'m [Cell<'c>]) -> Self {
        SourceCells {
            sources: &mapping.sources,
            cells,
        }
    }

    /// Canonical column `ci`'s cell (a joined one made in `joined`); `None` when the
    /// column is not in the file or not in this row. Joined columns whose parts are
    /// all blank are null.
    #[inline]
    pub(super) fn cell<'s>(&self, ci: usize, joined: &'s mut String) -> Option<Cell<'s>>
    where
        'm: 's,
        'c: 's,
    {
        match &self.sources[ci] {
            CellSource::Absent => None,
            CellSource::Column(i) => self.cells.get(*i).copied(),
            CellSource::Constant(v) => Some(Cell::Str(v)),
            CellSource::Joined(idx, sep) => Some(self.join(idx, sep, joined)),
        }
    }

    /// The non-blank texts of source columns `idx`, trimmed and joined by `sep` in
    /// `joined`; null when there are none.
    fn join<'s>(&self, idx: &[usize], sep: &str, joined: &'s mut String) -> Cell<'s> {
        joined.clear();
        for cell in idx.iter().filter_map(|i| self.cells.get(*i)) {
            let t = cell.to_text();
            if t.trim().is_empty() {
                continue;
            }
            if !joined.is_empty() {
                joined.push_str(sep);
            }
            joined.push_str(t.trim());
        }
        if joined.is_empty() {
            Cell::Null
        } else {
            Cell::Str(joined)
        }
    }
}

/// A file's header, for mapping onto canonical columns.
pub(super) struct Header<'h> {
    path: &'h Path,
    /// The header's line, when it has one (CSV).
    line: Option<u64>,
    names: &'h [String],
    lower: Vec<String>,
    table: Table,
    profile: Option<&'h Profile>,
}

impl<'h> Header<'h> {
    pub(super) fn new(
        path: &'h Path,
        names: &'h [String],
        header_line: u64,
        table: Table,
        profile: Option<&'h Profile>,
    ) -> Self {
        Header {
            path,
            line: (header_line > 0).then_some(header_line),
            names,
            lower: names.iter().map(|h| h.to_lowercase()).collect(),
            table,
            profile,
        }
    }

    fn error(&self, column: Option<&str>, message: impl Into<String>) -> ApspError {
        ApspError::schema(self.path, self.line, column, message)
    }

    /// Maps the header onto the table's columns; errors on blank, repeated, missing
    /// or unknown columns. Returns the mapping and the source columns read by none
    /// (allowed with `ignore_extra_columns`).
    pub(super) fn map(&self, ignore_extra_columns: bool) -> Result<(ColumnMapping, Vec<String>)> {
        self.check_names()?;
        let cols = self.table.columns();
        let sources = cols
            .iter()
            .map(|c| self.source_of(c))
            .collect::<Result<Vec<_>>>()?;
        let mut used = vec![false; self.names.len()];
        let mut sensitive = vec![false; self.names.len()];
        for (c, src) in cols.iter().zip(&sources) {
            let idx: &[usize] = match src {
                CellSource::Column(i) => std::slice::from_ref(i),
                CellSource::Joined(v, _) => v,
                _ => &[],
            };
            for &i in idx {
                used[i] = true;
                sensitive[i] |= c.sensitivity != Sensitivity::Clear;
            }
        }
        let ignored = self.unused_columns(&used, ignore_extra_columns)?;
        Ok((ColumnMapping { sources, sensitive }, ignored))
    }

    /// No blank or repeated column name, and not one column that holds another
    /// delimiter.
    fn check_names(&self) -> Result<()> {
        let mut seen = HashSet::new();
        for (i, h) in self.lower.iter().enumerate() {
            if h.is_empty() {
                return Err(self.error(None, format!("header field {} is blank", i + 1)));
            }
            if !seen.insert(h.clone()) {
                return Err(self.error(Some(&self.names[i]), "column appears twice in the header"));
            }
        }
        if self.names.len() == 1 {
            let first = &self.names[0];
            if let Some(d) = [';', '\t', '|'].into_iter().find(|d| first.contains(*d)) {
                return Err(self.error(
                    None,
                    format!(
                        "the header has one column {:?}: the file looks {:?}-delimited, not comma-delimited; \
                         use an import profile with delimiter = {:?}",
                        first,
                        d,
                        d.to_string()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The index of a source column, by name ignoring case.
    fn find(&self, name: &str) -> Option<usize> {
        let name = name.to_lowercase();
        self.lower.iter().position(|h| h == &name)
    }

    /// Where canonical column `c` comes from: the profile's mapping, else the column
    /// of its own name, else absent (an error when required).
    fn source_of(&self, c: &ColumnSpec) -> Result<CellSource> {
        let (table, profile) = (self.table, self.profile);
        let header = || self.names.join(", ");
        Ok(match profile.and_then(|p| p.columns.get(c.name)) {
            Some(ColumnSource::Name(n)) => match self.find(n) {
                Some(i) => CellSource::Column(i),
                None => {
                    return Err(self.error(
                        Some(n),
                        format!(
                            "profile {} maps {table}.{} to source column {n:?}, which this file does not have; \
                             its columns are {}",
                            profile.map(|p| p.path.display().to_string()).unwrap_or_default(),
                            c.name,
                            header()
                        ),
                    ))
                }
            },
            Some(ColumnSource::Constant { value }) => CellSource::Constant(value.clone()),
            Some(ColumnSource::Joined { columns, separator }) => {
                let mut idx = Vec::new();
                for n in columns {
                    idx.push(self.find(n).ok_or_else(|| {
                        self.error(
                            Some(n),
                            format!(
                                "profile maps {table}.{} to source columns {columns:?}; {n:?} is not in this file",
                                c.name
                            ),
                        )
                    })?);
                }
                CellSource::Joined(idx, separator.clone())
            }
            None => match self.find(c.name) {
                Some(i) => CellSource::Column(i),
                None if c.required => {
                    return Err(self.error(
                        Some(c.name),
                        format!(
                            "required column {:?} of table {table} is missing (expected {}); found columns: {}",
                            c.name,
                            c.ty.describe(),
                            header()
                        ),
                    ))
                }
                None => CellSource::Absent,
            },
        })
    }

    /// The source columns no canonical column reads and the profile does not ignore:
    /// listed with `ignore_extra_columns`, else the first is an error.
    fn unused_columns(&self, used: &[bool], ignore_extra_columns: bool) -> Result<Vec<String>> {
        let ignored: HashSet<String> = self
            .profile
            .map(|p| p.ignore_columns.iter().map(|s| s.to_lowercase()).collect())
            .unwrap_or_default();
        let mut unused = Vec::new();
        for (i, h) in self.names.iter().enumerate() {
            if used[i] || ignored.contains(&self.lower[i]) {
                continue;
            }
            if !ignore_extra_columns {
                return Err(self.error(
                    Some(h),
                    format!(
                        "unknown column {h:?} for table {}; expected columns: {}{}",
                        self.table,
                        self.table
                            .columns()
                            .iter()
                            .map(|c| c.name)
                            .collect::<Vec<_>>()
                            .join(", "),
                        if self.profile.is_some() {
                            " (or add it to the profile's ignore_columns)"
                        } else {
                            " (map other layouts with an import profile, or pass --ignore-extra-columns)"
                        }
                    ),
                ));
            }
            unused.push(h.clone());
        }
        Ok(unused)
    }
}
