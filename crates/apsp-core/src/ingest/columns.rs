//! The output columns of a table under construction.
//!
//! Owns turning kept rows' values into polars columns: a builder per canonical column
//! (a phone column also makes its `_kind` column), and text columns taken whole from a
//! typed batch's source arrays where the values are their source exactly.

use polars::prelude::*;

use super::phone::PhoneKind;
use super::schema::{ColType, ColumnSpec};
use super::source::TextArray;
use super::values::ValueRef;
use crate::error::Result;

/// One output column under construction.
pub(super) enum ColumnBuilder {
    /// Text: values appended one by one since the last array taken (`pending` rows),
    /// and the parts done so far (appended runs and source arrays taken as they are),
    /// in order.
    Str {
        appended: StringChunkedBuilder,
        pending: usize,
        parts: Vec<StringChunked>,
    },
    /// A phone number (null when withheld) and its kind, in the `<name>_kind` column.
    Phone {
        numbers: StringChunkedBuilder,
        kinds: StringChunkedBuilder,
    },
    Int(PrimitiveChunkedBuilder<Int64Type>),
    Float(PrimitiveChunkedBuilder<Float64Type>),
    Date(PrimitiveChunkedBuilder<Int32Type>),
    Time(PrimitiveChunkedBuilder<Int64Type>),
}

impl ColumnBuilder {
    /// An empty builder for column `c`, with room for `capacity` rows.
    pub(super) fn new(c: &ColumnSpec, capacity: usize) -> Self {
        let name = || c.name.into();
        match c.ty {
            ColType::Str | ColType::Enum(_) | ColType::Flags(_) => ColumnBuilder::Str {
                appended: StringChunkedBuilder::new(name(), capacity),
                pending: 0,
                parts: Vec::new(),
            },
            ColType::Phone => ColumnBuilder::Phone {
                numbers: StringChunkedBuilder::new(name(), capacity),
                kinds: StringChunkedBuilder::new(format!("{}_kind", c.name).into(), capacity),
            },
            ColType::Count => ColumnBuilder::Int(PrimitiveChunkedBuilder::new(name(), capacity)),
            ColType::Lat | ColType::Lon => {
                ColumnBuilder::Float(PrimitiveChunkedBuilder::new(name(), capacity))
            }
            ColType::Date => ColumnBuilder::Date(PrimitiveChunkedBuilder::new(name(), capacity)),
            ColType::Datetime => {
                ColumnBuilder::Time(PrimitiveChunkedBuilder::new(name(), capacity))
            }
        }
    }

    /// Appends one value (null when it is not of the column's type).
    #[inline]
    pub(super) fn push(&mut self, value: ValueRef<'_>) {
        match (self, value) {
            (
                ColumnBuilder::Str {
                    appended, pending, ..
                },
                ValueRef::Str(s),
            ) => {
                appended.append_value(s);
                *pending += 1;
            }
            (
                ColumnBuilder::Str {
                    appended, pending, ..
                },
                _,
            ) => {
                appended.append_null();
                *pending += 1;
            }
            (ColumnBuilder::Phone { numbers, kinds }, ValueRef::Phone(kind, s)) => {
                if kind == PhoneKind::Withheld {
                    numbers.append_null();
                } else {
                    numbers.append_value(s);
                }
                kinds.append_value(kind.label());
            }
            (ColumnBuilder::Phone { numbers, kinds }, _) => {
                numbers.append_null();
                kinds.append_null();
            }
            (ColumnBuilder::Int(b), ValueRef::Int(i)) => b.append_value(i),
            (ColumnBuilder::Int(b), _) => b.append_null(),
            (ColumnBuilder::Float(b), ValueRef::Float(f)) => b.append_value(f),
            (ColumnBuilder::Float(b), _) => b.append_null(),
            (ColumnBuilder::Date(b), ValueRef::Date(d)) => b.append_value(d),
            (ColumnBuilder::Date(b), _) => b.append_null(),
            (ColumnBuilder::Time(b), ValueRef::Time(t, _)) => b.append_value(t),
            (ColumnBuilder::Time(b), _) => b.append_null(),
        }
    }

    /// Appends a source text array as it is (no copy of its text).
    pub(super) fn append_text(&mut self, name: &str, array: TextArray) {
        let ColumnBuilder::Str {
            appended,
            pending,
            parts,
        } = self
        else {
            unreachable!("text appended to a {name} column that is not text")
        };
        if *pending > 0 {
            let run = std::mem::replace(appended, StringChunkedBuilder::new(name.into(), 0));
            parts.push(run.finish());
            *pending = 0;
        }
        parts.push(StringChunked::with_chunk(name.into(), array));
    }

    /// The finished column(s), appended to `out`.
    pub(super) fn finish(self, out: &mut Vec<Column>) -> Result<()> {
        match self {
            ColumnBuilder::Str {
                appended, parts, ..
            } if parts.is_empty() => out.push(appended.finish().into_column()),
            ColumnBuilder::Str {
                appended,
                pending,
                parts,
            } => {
                let mut parts = parts.into_iter();
                let mut all = parts.next().expect("a part");
                for p in parts {
                    all.append_owned(p)?;
                }
                if pending > 0 {
                    all.append_owned(appended.finish())?;
                }
                // One chunk, like a built column (views are copied, text is shared).
                out.push(all.rechunk().into_owned().into_column());
            }
            ColumnBuilder::Phone { numbers, kinds } => {
                out.push(numbers.finish().into_column());
                out.push(kinds.finish().into_column());
            }
            ColumnBuilder::Int(b) => out.push(b.finish().into_column()),
            ColumnBuilder::Float(b) => out.push(b.finish().into_column()),
            ColumnBuilder::Date(b) => out.push(b.finish().into_date().into_column()),
            ColumnBuilder::Time(b) => out.push(
                b.finish()
                    .into_datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
                    .into_column(),
            ),
        }
        Ok(())
    }
}
