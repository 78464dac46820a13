//! Writing frames: Parquet always, CSV on request, deterministically.

use std::fs::File;
use std::ops::Range;
use std::path::Path;

use polars::prelude::*;

use crate::error::{ApspError, Result};

/// Writes a frame as Parquet (zstd, statistics on). The same frame always gives the
/// same bytes: no timestamps are written and row groups are fixed-size.
pub fn write_parquet(df: &mut DataFrame, path: &Path) -> Result<()> {
    let f = File::create(path).map_err(|e| ApspError::io(path, e))?;
    ParquetWriter::new(f)
        .with_compression(ParquetCompression::Zstd(None))
        .with_statistics(StatisticsOptions::default())
        .with_row_group_size(Some(512 * 1024))
        .finish(df)?;
    Ok(())
}

/// Rows per Parquet row group.
pub const ROW_GROUP: usize = 512 * 1024;

/// Builds the frame of a range of an output's rows.
pub type PartFn<'a> = Box<dyn Fn(Range<usize>) -> Result<DataFrame> + Sync + 'a>;

/// Writes an output of `n` rows as Parquet (and as CSV when `csv` is given) a row group
/// at a time, building each group's frame with `part` — a large output is never whole
/// in memory. `part` may return any number of rows for a range (a frame built whole
/// takes `n = 1`). Returns the rows written. Deterministic like [`write_parquet`].
pub fn write_parts(n: usize, part: &PartFn<'_>, parquet: &Path, csv: Option<&Path>) -> Result<u64> {
    let mut start = 0;
    let mut df = part(0..n.min(ROW_GROUP))?;
    let f = File::create(parquet).map_err(|e| ApspError::io(parquet, e))?;
    let mut w = ParquetWriter::new(f)
        .with_compression(ParquetCompression::Zstd(None))
        .with_statistics(StatisticsOptions::default())
        .with_row_group_size(Some(ROW_GROUP))
        .batched(&df.schema().clone())?;
    let mut c = match csv {
        Some(p) => Some((
            std::io::BufWriter::new(File::create(p).map_err(|e| ApspError::io(p, e))?),
            p,
        )),
        None => None,
    };
    let mut rows = 0u64;
    loop {
        rows += df.height() as u64;
        // Aligned chunks of at most a row group (a frame built whole may hold several).
        w.write_batch(&*polars::frame::chunk_df_for_writing(&mut df, ROW_GROUP)?)?;
        if let Some((f, _)) = c.as_mut() {
            CsvWriter::new(f)
                .include_header(start == 0)
                .finish(&mut df)?;
        }
        start += ROW_GROUP;
        if start >= n {
            break;
        }
        df = part(start..n.min(start + ROW_GROUP))?;
    }
    w.finish()?;
    if let Some((f, p)) = c.as_mut() {
        std::io::Write::flush(f).map_err(|e| ApspError::io(*p, e))?;
    }
    Ok(rows)
}

/// Writes a frame as CSV (header, `,`, ISO datetimes).
pub fn write_csv(df: &mut DataFrame, path: &Path) -> Result<()> {
    let f = File::create(path).map_err(|e| ApspError::io(path, e))?;
    CsvWriter::new(f).include_header(true).finish(df)?;
    Ok(())
}

/// Reads back a Parquet file (used by tests and the CLI's checks).
pub fn read_parquet(path: &Path) -> Result<DataFrame> {
    let f = File::open(path).map_err(|e| ApspError::io(path, e))?;
    Ok(ParquetReader::new(f).finish()?)
}
