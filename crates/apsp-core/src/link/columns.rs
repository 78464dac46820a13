//! Columns of a read table, taken in place through their arrow arrays (no copy of
//! their values): the linker reads millions of rows this way.

use polars::prelude::*;
use polars_arrow::array::{Array as _, PrimitiveArray, Utf8ViewArray};

use crate::error::Result;

fn col<'a>(df: &'a DataFrame, name: &str) -> Result<&'a Series> {
    Ok(df.column(name)?.as_materialized_series())
}

/// A text column of a table being linked, read in place.
pub(super) struct Texts(Utf8ViewArray);

impl Texts {
    pub(super) fn get(&self, i: usize) -> Option<&str> {
        self.0.is_valid(i).then(|| self.0.value(i))
    }
}

/// A numeric column of a table being linked, read in place.
pub(super) struct Numbers<T: polars_arrow::types::NativeType>(PrimitiveArray<T>);

impl<T: polars_arrow::types::NativeType> Numbers<T> {
    pub(super) fn get(&self, i: usize) -> Option<T> {
        self.0.get(i)
    }
}

/// A column as one array (a read frame has one chunk per column already).
fn one_chunk<T: PolarsDataType>(ca: &ChunkedArray<T>) -> T::Array
where
    T::Array: Clone,
{
    use polars_arrow::array::StaticArray as _;
    let ca = ca.rechunk();
    let one = ca.downcast_iter().next().cloned();
    one.unwrap_or_else(|| T::Array::full_null(0, ca.dtype().to_arrow(CompatLevel::newest())))
}

pub(super) fn texts(df: &DataFrame, name: &str) -> Result<Texts> {
    Ok(Texts(one_chunk(col(df, name)?.str()?)))
}

/// A datetime column as UTC microseconds.
pub(super) fn times(df: &DataFrame, name: &str) -> Result<Numbers<i64>> {
    let s = col(df, name)?;
    Ok(Numbers(match s.dtype() {
        DataType::Datetime(TimeUnit::Microseconds, _) => one_chunk(s.datetime()?.physical()),
        _ => one_chunk(s.to_physical_repr().cast(&DataType::Int64)?.i64()?),
    }))
}

pub(super) fn floats(df: &DataFrame, name: &str) -> Result<Numbers<f64>> {
    Ok(Numbers(one_chunk(col(df, name)?.f64()?)))
}

pub(super) fn ints(df: &DataFrame, name: &str) -> Result<Numbers<i64>> {
    Ok(Numbers(one_chunk(
        col(df, name)?.cast(&DataType::Int64)?.i64()?,
    )))
}

/// The dataset's input files, by name: the index of each in the manifest's inputs.
pub(super) struct Sources {
    index: std::collections::HashMap<String, u32>,
}

impl Sources {
    pub(super) fn new(files: &[String]) -> Sources {
        Sources {
            index: files
                .iter()
                .enumerate()
                .map(|(i, f)| (f.clone(), i as u32))
                .collect(),
        }
    }

    /// Each row's [`SourceRow`] (file index and line), from the frame's `source_file`
    /// and `source_line` columns.
    pub(super) fn rows(&self, df: &DataFrame) -> Result<Vec<super::SourceRow>> {
        let files = col(df, "source_file")?.str()?;
        let lines = col(df, "source_line")?.i64()?;
        let mut last: Option<(&str, u32)> = None;
        let mut out = Vec::with_capacity(df.height());
        for (f, l) in files.iter().zip(lines.iter()) {
            let f = f.unwrap_or("");
            let file = match last {
                Some((name, i)) if name == f => i,
                _ => {
                    let i = self.index.get(f).copied().unwrap_or(u32::MAX);
                    last = Some((f, i));
                    i
                }
            };
            out.push(super::SourceRow {
                file,
                line: l.unwrap_or(0).clamp(0, u32::MAX as i64) as u32,
            });
        }
        Ok(out)
    }
}

/// `file:line` of row `i` (for tables whose rows have no id).
pub(super) fn row_ref(df: &DataFrame, i: usize) -> Result<String> {
    let f = col(df, "source_file")?.str()?.get(i).unwrap_or("");
    let l = col(df, "source_line")?.i64()?.get(i).unwrap_or(0);
    Ok(format!("{f}:{l}"))
}
