//! Writing frames: Parquet always, CSV on request, deterministically.

use std::fs::File;
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
