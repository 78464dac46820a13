//! Writing frames: Parquet always, CSV on request, deterministically.

use std::fs::File;
use std::ops::Range;
use std::path::Path;

use polars::prelude::*;
use polars_arrow::array::{Array, DictionaryArray, PrimitiveArray, Utf8ViewArray};
use polars_arrow::datatypes::ArrowDataType;
use polars_parquet::write as pq;

use crate::error::{ApspError, Result};

/// Writes a frame as Parquet (zstd, statistics on). The same frame always gives the
/// same bytes: no timestamps are written and row groups are fixed-size.
pub fn write_parquet(df: &mut DataFrame, path: &Path) -> Result<()> {
    let f = File::create(path).map_err(|e| ApspError::io(path, e))?;
    writer(f).finish(df)?;
    Ok(())
}

/// The compression of every output.
const COMPRESSION: ParquetCompression = ParquetCompression::Zstd(None);

/// The one Parquet writer configuration of the outputs ([`write_parts`] encodes pages
/// with the same settings: see [`page_options`]; change them together).
fn writer(f: File) -> ParquetWriter<File> {
    ParquetWriter::new(f)
        .with_compression(COMPRESSION)
        .with_statistics(StatisticsOptions::default())
        .with_row_group_size(Some(ROW_GROUP))
}

/// What polars' writer derives from [`writer`]'s settings for encoding pages.
fn page_options() -> pq::WriteOptions {
    pq::WriteOptions {
        statistics: StatisticsOptions::default(),
        compression: COMPRESSION.into(),
        version: pq::Version::V1,
        data_page_size: None,
    }
}

/// Rows per Parquet row group.
pub const ROW_GROUP: usize = 512 * 1024;

/// Where a CSV copy of an output goes, and the zone its times are written in.
pub struct Csv<'a> {
    pub path: &'a Path,
    /// The dataset's zone: a CSV is read by people, in spreadsheets; each time carries
    /// its offset, so it stays one instant (`2026-07-01T22:30:00+01:00`).
    pub timezone: chrono_tz::Tz,
}

/// Times in CSV outputs: local, to the second, with the offset.
pub const CSV_DATETIME: &str = "%Y-%m-%dT%H:%M:%S%:z";

/// `df` with its datetime columns in `tz` (the same instants).
pub fn in_local_time(df: &DataFrame, tz: chrono_tz::Tz) -> Result<DataFrame> {
    let zone = TimeZone::from_chrono(&tz);
    let columns = df
        .columns()
        .iter()
        .map(|c| match c.dtype() {
            DataType::Datetime(tu, _) => c.cast(&DataType::Datetime(*tu, Some(zone.clone()))),
            _ => Ok(c.clone()),
        })
        .collect::<PolarsResult<Vec<Column>>>()?;
    Ok(DataFrame::new(df.height(), columns)?)
}

/// Builds the frame of a range of an output's rows.
pub type PartFn<'a> = Box<dyn Fn(Range<usize>) -> Result<DataFrame> + Sync + 'a>;

/// Writes an output of `n` rows as Parquet (and as CSV when `csv` is given) a row group
/// at a time, building each group's frame with `part` — a large output is never whole
/// in memory. `part` may return any number of rows for a range (a frame built whole
/// takes `n = 1`). Returns the rows written. Deterministic like [`write_parquet`], and
/// byte for byte the file polars' own writer makes: each row group is encoded by
/// [`encode_row_group`], columns side by side.
pub fn write_parts(
    n: usize,
    part: &PartFn<'_>,
    parquet: &Path,
    csv: Option<&Csv<'_>>,
) -> Result<u64> {
    let mut start = 0;
    let mut df = part(0..n.min(ROW_GROUP))?;
    let f = File::create(parquet).map_err(|e| ApspError::io(parquet, e))?;
    let schema = df.schema().clone();
    let mut w = writer(f).batched(&schema)?;
    // What `batched` derives from the schema, for encoding the pages here.
    let arrow_schema = schema.to_arrow(CompatLevel::newest());
    let types = pq::to_parquet_schema(&arrow_schema)?.fields().to_vec();
    let encodings = polars::io::parquet::write::get_encodings(&arrow_schema);
    let options = page_options();
    let mut c = match csv {
        Some(csv) => Some((
            std::io::BufWriter::new(
                File::create(csv.path).map_err(|e| ApspError::io(csv.path, e))?,
            ),
            csv.path,
        )),
        None => None,
    };
    let mut rows = 0u64;
    loop {
        rows += df.height() as u64;
        // Aligned chunks of at most a row group (a frame built whole may hold several).
        let chunked = polars::frame::chunk_df_for_writing(&mut df, ROW_GROUP)?;
        for batch in chunked.iter_chunks(CompatLevel::newest(), false) {
            if batch.is_empty() {
                continue;
            }
            let pages = encode_row_group(batch.columns(), &types, &encodings, options)?;
            w.write_row_group(batch.len() as u64, &pages)?;
        }
        drop(chunked);
        if let (Some((f, _)), Some(csv)) = (c.as_mut(), csv) {
            let mut local = in_local_time(&df, csv.timezone)?;
            CsvWriter::new(f)
                .include_header(start == 0)
                .with_datetime_format(Some(CSV_DATETIME.into()))
                .finish(&mut local)?;
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

/// Encodes and compresses one row group's columns side by side: the pages polars'
/// writer makes, in the same order. A text column whose rows repeat a few values
/// (ids, signs, statuses, notes) is handed to the page encoder already
/// dictionary-encoded ([`text_dictionary`]), which polars would otherwise do by
/// hashing every row's text.
fn encode_row_group(
    columns: &[ArrayRef],
    types: &[pq::ParquetType],
    encodings: &[Vec<pq::Encoding>],
    options: pq::WriteOptions,
) -> Result<Vec<Vec<pq::CompressedPage>>> {
    use rayon::prelude::*;
    let per_column = columns
        .par_iter()
        .zip(types)
        .zip(encodings)
        .map(
            |((array, ty), enc)| -> Result<Vec<Vec<pq::CompressedPage>>> {
                let dict = array
                    .as_any()
                    .downcast_ref::<Utf8ViewArray>()
                    .filter(|_| enc.first() == Some(&pq::Encoding::RleDictionary))
                    .and_then(text_dictionary);
                let array: &dyn Array = match &dict {
                    Some(d) => d,
                    None => array.as_ref(),
                };
                pq::array_to_columns(array, ty.clone(), options, enc)?
                    .into_iter()
                    .map(|pages| {
                        pages
                            .map(|page| {
                                Ok(pq::compress(page?, Vec::new(), options.compression)
                                    .map_err(PolarsError::from)?)
                            })
                            .collect::<Result<Vec<_>>>()
                    })
                    .collect()
            },
        )
        .collect::<Result<Vec<_>>>()?;
    Ok(per_column.into_iter().flatten().collect())
}

/// A text column as the dictionary polars' Parquet writer would make of it (its
/// `MutableDictionaryArray` under `encode_as_dictionary_optional`, polars-parquet
/// 0.55.2, pinned: an upgrade must pass this module's tests, which compare files with
/// polars' own writer byte for byte): the
/// distinct values in order of first appearance, a key per row, nulls kept. Rows are
/// matched by their 16-byte view first (rows gathered from one value share it), then
/// by text. `None` — written as polars decides — for a short column, or when polars'
/// cardinality estimate would have it written plain (more than three quarters of its
/// rows distinct; the estimate is taken only when over half of them are).
fn text_dictionary(a: &Utf8ViewArray) -> Option<DictionaryArray<u32>> {
    use rustc_hash::FxHashMap;
    let n = a.len();
    if n <= 128 {
        return None;
    }
    let valid = |i: usize| a.validity().is_none_or(|v| v.get_bit(i));
    // Polars' rule: a column with over three quarters of its rows distinct, by its
    // estimate, is written plain. Asked once, early when most rows so far are distinct;
    // not asked when at most half are (the estimate, within about 1 %, cannot then
    // reach three quarters).
    let plain =
        || polars::polars_compute::cardinality::estimate_cardinality(a) as f64 / n as f64 > 0.75;
    let mut asked = false;
    let mut by_view: FxHashMap<u128, u32> =
        FxHashMap::with_capacity_and_hasher(4096, Default::default());
    let mut by_text: FxHashMap<&str, u32> =
        FxHashMap::with_capacity_and_hasher(4096, Default::default());
    let mut values: Vec<&str> = Vec::new();
    let mut keys: Vec<u32> = Vec::with_capacity(n);
    for (i, view) in a.views().iter().enumerate() {
        if i == 1 << 14 && values.len() * 2 > i {
            if plain() {
                return None;
            }
            asked = true;
        }
        if !valid(i) {
            keys.push(0);
            continue;
        }
        let k = *by_view.entry(view.as_u128()).or_insert_with(|| {
            // SAFETY: `i` is within the array.
            let t = unsafe { a.value_unchecked(i) };
            *by_text.entry(t).or_insert_with(|| {
                values.push(t);
                (values.len() - 1) as u32
            })
        });
        keys.push(k);
    }
    if !asked && values.len() * 2 > n && plain() {
        return None;
    }
    let validity = a.validity().filter(|v| v.unset_bits() > 0).cloned();
    let keys = PrimitiveArray::<u32>::new(ArrowDataType::UInt32, keys.into(), validity);
    let values = Utf8ViewArray::from_slice_values(&values);
    DictionaryArray::try_from_keys(keys, values.boxed(), false).ok()
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The frame written both ways, a row group at a time: by polars' own batched
    /// writer, and with the pages encoded here. Returns the two files' bytes.
    fn both_ways(df: &DataFrame) -> (Vec<u8>, Vec<u8>) {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.parquet"), dir.path().join("b.parquet"));
        let mut w = ParquetWriter::new(File::create(&a).unwrap())
            .with_compression(ParquetCompression::Zstd(None))
            .with_statistics(StatisticsOptions::default())
            .with_row_group_size(Some(ROW_GROUP))
            .batched(df.schema())
            .unwrap();
        for start in (0..df.height()).step_by(ROW_GROUP) {
            w.write_batch(&df.slice(start as i64, ROW_GROUP)).unwrap();
        }
        w.finish().unwrap();
        let part: PartFn<'_> = Box::new(|r: Range<usize>| Ok(df.slice(r.start as i64, r.len())));
        write_parts(df.height(), &part, &b, None).unwrap();
        (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap())
    }

    #[test]
    fn text_dictionaries_give_polars_own_file() {
        let n = 3 * 1000 + 7;
        // The same text at different addresses must be one dictionary value.
        let owned: Vec<String> = (0..n).map(|i| format!("subject-{:04}", i % 37)).collect();
        let status: Vec<Option<&str>> = (0..n)
            .map(|i| match i % 5 {
                0 => None,
                1 | 2 => Some("fired"),
                _ => Some("not_fired"),
            })
            .collect();
        // Long values (kept out of the view) and all-distinct rows (written plain).
        let long: Vec<String> = (0..n)
            .map(|i| format!("a note long enough to live in a buffer, number {}", i % 3))
            .collect();
        let distinct: Vec<String> = (0..n).map(|i| format!("row-{i}")).collect();
        // Around the 12 bytes kept inside a view, non-ASCII, and "" beside nulls.
        let edges = [
            Some("twelve bytes"),
            Some("thirteen byte"),
            Some("Zoë Ødegård"),
            Some(""),
            None,
        ];
        let edge: Vec<Option<&str>> = (0..n).map(|i| edges[i % 5]).collect();
        let mut df = df!(
            "subject_id" => owned,
            "status" => status,
            "note" => long,
            "row_id" => distinct,
            "edge" => edge,
            "value" => (0..n).map(|i| (i % 11) as f64).collect::<Vec<_>>(),
        )
        .unwrap();
        // A column whose rows are views of one value, as the output builders make.
        let idx = IdxCa::from_vec("".into(), (0..n as IdxSize).map(|i| i % 3).collect());
        let gathered =
            StringChunked::from_slice("sign".into(), &["escalation", "night_contact", "x"])
                .take(&idx)
                .unwrap();
        df.with_column(gathered.into_column()).unwrap();
        let (a, b) = both_ways(&df);
        assert_eq!(a, b, "one row group");
        // Read back: the same frame.
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.parquet");
        std::fs::write(&p, &b).unwrap();
        assert!(read_parquet(&p).unwrap().equals_missing(&df));
    }

    #[test]
    fn short_and_null_columns_are_left_to_polars() {
        let df = df!(
            "a" => [Some("x"), None, Some("x")],
            "b" => [None::<&str>, None, None],
        )
        .unwrap();
        let (a, b) = both_ways(&df);
        assert_eq!(a, b);
        let n = 1000;
        let df = df!("all_null" => vec![None::<&str>; n], "one" => vec!["same"; n]).unwrap();
        let (a, b) = both_ways(&df);
        assert_eq!(a, b);
    }

    #[test]
    fn mostly_distinct_and_empty_columns() {
        // 60 % distinct: polars' estimate is asked early and still says dictionary.
        let n = 40_000;
        let df = df!(
            "subject_id" => (0..n).map(|i| format!("S{:06}", i % 24_000)).collect::<Vec<_>>(),
        )
        .unwrap();
        let (a, b) = both_ways(&df);
        assert_eq!(a, b);
        let empty = df.slice(0, 0);
        let (a, b) = both_ways(&empty);
        assert_eq!(a, b);
    }

    #[test]
    fn each_row_group_has_its_own_dictionary() {
        let n = ROW_GROUP + 1000;
        let df = df!(
            "officer_id" => (0..n).map(|i| format!("OFF{:05}", (i * 7) % 5003)).collect::<Vec<_>>(),
            // Distinct rows: found out early, left to polars (written plain).
            "row_id" => (0..n).map(|i| format!("R{i}")).collect::<Vec<_>>(),
            // Nulls only in the second row group.
            "late_nulls" => (0..n)
                .map(|i| (i < ROW_GROUP || i % 3 > 0).then_some(["a", "b"][i % 2]))
                .collect::<Vec<_>>(),
        )
        .unwrap();
        let (a, b) = both_ways(&df);
        assert_eq!(a, b);
    }
}
