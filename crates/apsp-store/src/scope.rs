//! The data a run scores: every appended row the store holds up to that run, and each
//! snapshot table's latest delivery, read back typed without validating again.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::Path;

use apsp_core::ingest::manifest::{InputFile, Manifest, Settings, TableSummary};
use apsp_core::ingest::{quarantine_frame, time_range, QuarantineRow};
use apsp_core::{Dataset, Table};
use polars::prelude::*;
use rayon::prelude::*;
use rusqlite::{params, OptionalExtension};

use crate::take::{is_snapshot_table, HASH_COLUMNS};
use crate::{layout, Result, Store, StoreError};

/// The run whose delivery of a snapshot table is current as of run `run`.
pub(crate) fn snapshot_run(store: &Store, table: Table, run: i64) -> Result<Option<i64>> {
    store
        .conn
        .query_row(
            "SELECT MAX(run_id) FROM parts WHERE kind = 'snapshot' AND tbl = ?1 AND run_id <= ?2",
            params![table.name(), run],
            |r| r.get::<_, Option<i64>>(0),
        )
        .optional()
        .map(Option::flatten)
        .map_err(|e| store.sql(e))
}

/// The parts of an appended table up to run `run`, in run then path order.
pub(crate) fn event_parts(store: &Store, table: Table, run: i64) -> Result<Vec<String>> {
    let mut stmt = store
        .conn
        .prepare(
            "SELECT path FROM parts WHERE kind = 'event' AND tbl = ?1 AND run_id <= ?2
             ORDER BY run_id, path",
        )
        .map_err(|e| store.sql(e))?;
    let rows = stmt
        .query_map(params![table.name(), run], |r| r.get::<_, String>(0))
        .map_err(|e| store.sql(e))?;
    rows.collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| store.sql(e))
}

/// The runs whose files are in scope for run `run`, by table: every run up to it for
/// an appended table, the current snapshot's for a snapshot table.
fn runs_in_scope(store: &Store, run: i64) -> Result<BTreeMap<Table, Option<i64>>> {
    let mut out = BTreeMap::new();
    for t in Table::ALL {
        if is_snapshot_table(t) {
            if let Some(r) = snapshot_run(store, t, run)? {
                out.insert(t, Some(r));
            }
        } else if !event_parts(store, t, run)?.is_empty() {
            out.insert(t, None);
        }
    }
    Ok(out)
}

fn in_scope(scope: &BTreeMap<Table, Option<i64>>, table: Table, file_run: i64, run: i64) -> bool {
    match scope.get(&table) {
        Some(Some(snapshot)) => file_run == *snapshot,
        Some(None) => file_run <= run,
        None => false,
    }
}

/// The dataset run `run` scores. Its quarantine is the rows that run set aside; its
/// manifest lists every input file whose rows are in it.
pub(crate) fn dataset_as_of(
    store: &Store,
    run: i64,
    incoming: &str,
    settings: Settings,
) -> Result<Dataset> {
    let scope = runs_in_scope(store, run)?;
    let inputs = inputs_in_scope(store, &scope, run)?;
    let ranks = file_ranks(&inputs);
    let inputs: Vec<InputFile> = inputs.into_iter().map(|(_, f)| f).collect();
    // The parts to read, asked of the database first (a connection is not shared
    // between threads), then read side by side.
    let mut to_read: Vec<(Table, Option<String>, Vec<String>)> = Vec::new();
    for (t, snapshot) in &scope {
        match snapshot {
            Some(r) => to_read.push((*t, Some(layout::snapshot_part(*t, *r)), Vec::new())),
            None => to_read.push((*t, None, event_parts(store, *t, run)?)),
        }
    }
    let root = store.path.as_path();
    let tables: Vec<(Table, DataFrame)> = to_read
        .par_iter()
        .map(|(t, snapshot, parts)| {
            let df = match snapshot {
                Some(path) => read_part(root, path)?,
                None => read_event_table(root, *t, parts, &ranks)?,
            };
            Ok((*t, df))
        })
        .collect::<Result<Vec<_>>>()?;
    let tables: BTreeMap<Table, DataFrame> = tables.into_iter().collect();
    let (tonight, kept): (Vec<QuarantineRow>, Vec<QuarantineRow>) = {
        let all = quarantine_rows(store, run)?;
        let tonight = all
            .iter()
            .filter(|(r, _)| *r == run)
            .map(|(_, q)| q.clone())
            .collect();
        let kept = all
            .into_iter()
            .filter(|(r, q)| in_scope(&scope, q.table, *r, run))
            .map(|(_, q)| q)
            .collect();
        (tonight, kept)
    };
    let summaries = summaries(&tables, &inputs, &kept);
    let mut hinted: Vec<QuarantineRow> = kept.into_iter().filter(|q| q.hint.is_some()).collect();
    hinted.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    let manifest = Manifest {
        apsp_version: apsp_core::VERSION.to_string(),
        created_at: String::new(),
        dataset: incoming.to_string(),
        settings,
        inputs,
        tables: summaries,
        ignored_files: not_read_tonight(store, run)?,
        ground_truth_files: Vec::new(),
        quarantined: tonight.len() as u64,
        outputs: BTreeMap::new(),
        scoring: None,
        store: Some(store_state(store, &scope, run)?),
    };
    Ok(Dataset {
        tables,
        quarantine: quarantine_frame(&tonight)?,
        manifest,
        hinted,
    })
}

/// The files of run `run`'s delivery that belong to no table (not read).
fn not_read_tonight(store: &Store, run: i64) -> Result<Vec<String>> {
    store.rows(
        "SELECT name FROM deliveries WHERE run_id = ?1 AND tbl = '' ORDER BY name",
        [run],
        |r| r.get(0),
    )
}

/// What the run saw of the store, for its manifest: the run, the store's recorded
/// settings and every data part in scope with its rows.
fn store_state(
    store: &Store,
    scope: &BTreeMap<Table, Option<i64>>,
    run: i64,
) -> Result<serde_json::Value> {
    let mut stmt = store
        .conn
        .prepare("SELECT path, tbl, kind, run_id, rows FROM parts WHERE run_id <= ?1 AND kind != 'quarantine' ORDER BY path")
        .map_err(|e| store.sql(e))?;
    let rows = stmt
        .query_map([run], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })
        .map_err(|e| store.sql(e))?;
    let mut parts = Vec::new();
    for r in rows {
        let (path, tbl, kind, part_run, n) = r.map_err(|e| store.sql(e))?;
        let Some(table) = Table::from_name(&tbl) else {
            continue;
        };
        if in_scope(scope, table, part_run, run) {
            parts.push(serde_json::json!({"path": path, "table": tbl, "kind": kind, "rows": n}));
        }
    }
    let settings: serde_json::Value = store
        .meta("settings")?
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or(serde_json::Value::Null);
    Ok(serde_json::json!({
        "path": store.path.display().to_string(),
        "run": run,
        "settings": settings,
        "parts": parts,
    }))
}

/// The input files in scope, in table order then path order (the order one read of a
/// folder holding them all would list them).
fn inputs_in_scope(
    store: &Store,
    scope: &BTreeMap<Table, Option<i64>>,
    run: i64,
) -> Result<Vec<(i64, InputFile)>> {
    let mut stmt = store
        .conn
        .prepare("SELECT tbl, run_id, input FROM files WHERE run_id <= ?1")
        .map_err(|e| store.sql(e))?;
    let rows = stmt
        .query_map([run], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
            ))
        })
        .map_err(|e| store.sql(e))?;
    let mut out = Vec::new();
    for r in rows {
        let (tbl, file_run, input) = r.map_err(|e| store.sql(e))?;
        let Some(table) = Table::from_name(&tbl) else {
            continue;
        };
        if in_scope(scope, table, file_run, run) {
            let f: InputFile = serde_json::from_str(&input).map_err(apsp_core::ApspError::from)?;
            out.push((table, file_run, f));
        }
    }
    out.sort_by(|a, b| (a.0, &a.2.file, a.1).cmp(&(b.0, &b.2.file, b.1)));
    Ok(out.into_iter().map(|(_, r, f)| (r, f)).collect())
}

/// Each input file's place in read order, by (table, name, run): a file named as one
/// taken on an earlier night (`billing.csv` every night) keeps its own place.
type Ranks = BTreeMap<(String, String, i64), u64>;

fn file_ranks(inputs: &[(i64, InputFile)]) -> Ranks {
    inputs
        .iter()
        .enumerate()
        .map(|(i, (run, f))| ((f.table.clone(), f.file.clone(), *run), i as u64))
        .collect()
}

/// A part without its hash columns (not read: they are only for taking new rows).
fn read_part(root: &Path, path: &str) -> Result<DataFrame> {
    let path = root.join(path);
    let file = std::fs::File::open(&path).map_err(|e| StoreError::io(&path, e))?;
    let mut reader = ParquetReader::new(file);
    let columns: Vec<String> = reader
        .schema()?
        .iter_names()
        .filter(|n| !HASH_COLUMNS.contains(&n.as_str()))
        .map(|n| n.to_string())
        .collect();
    Ok(reader.with_columns(Some(columns)).finish()?)
}

/// An appended table's rows up to run `run`, in the order one read of every file
/// would keep them: by file (path order), then line.
fn read_event_table(
    root: &Path,
    table: Table,
    parts: &[String],
    ranks: &Ranks,
) -> Result<DataFrame> {
    let frames = parts
        .par_iter()
        .map(|path| read_part(root, path))
        .collect::<Result<Vec<DataFrame>>>()?;
    // Each row's place: its file's rank (the file's name and the run that took it,
    // the run named by the part's file), then its line.
    let mut order: Vec<(u64, i64, IdxSize)> =
        Vec::with_capacity(frames.iter().map(|f| f.height()).sum());
    for (path, f) in parts.iter().zip(&frames) {
        let run = layout::run_of_part(path).unwrap_or_default();
        let files = f.column("source_file")?.str()?;
        let lines = f.column("source_line")?.i64()?;
        // A part holds the rows of a few files: each file's rank is looked up once.
        let mut rank_of: rustc_hash::FxHashMap<&str, u64> = rustc_hash::FxHashMap::default();
        for (name, line) in files.iter().zip(lines.iter()) {
            let name = name.unwrap_or_default();
            let rank = *rank_of.entry(name).or_insert_with(|| {
                let key = (table.name().to_string(), name.to_string(), run);
                ranks.get(&key).copied().unwrap_or(u64::MAX)
            });
            order.push((rank, line.unwrap_or_default(), order.len() as IdxSize));
        }
    }
    let mut frames = frames.into_iter();
    let mut df = frames.next().expect("an event table in scope has a part");
    for f in frames {
        df.vstack_mut(&f)?;
    }
    // Parts of a file sorted by time hold runs of its lines in order: often nothing
    // to move.
    if !order.windows(2).all(|w| w[0] <= w[1]) {
        order.par_sort_unstable();
        let idx = IdxCa::from_vec("idx".into(), order.into_iter().map(|o| o.2).collect());
        df = df.take(&idx)?;
    }
    df.rechunk_mut();
    Ok(df)
}

/// Every quarantined row the store holds up to run `run`, with the run that read it.
fn quarantine_rows(store: &Store, run: i64) -> Result<Vec<(i64, QuarantineRow)>> {
    let mut stmt = store
        .conn
        .prepare("SELECT path, run_id FROM parts WHERE kind = 'quarantine' AND run_id <= ?1 ORDER BY run_id")
        .map_err(|e| store.sql(e))?;
    let parts = stmt
        .query_map([run], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
        .map_err(|e| store.sql(e))?
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| store.sql(e))?;
    let mut out = Vec::new();
    for (path, r) in parts {
        let p = store.path.join(&path);
        for (i, line) in read_lines(&p)?.into_iter().enumerate() {
            let q: QuarantineRow = serde_json::from_str(&line).map_err(|e| {
                StoreError::store(
                    &store.path,
                    format!("{path} line {}: not a quarantined row ({e})", i + 1),
                )
            })?;
            out.push((r, q));
        }
    }
    Ok(out)
}

fn read_lines(path: &Path) -> Result<Vec<String>> {
    let f = std::fs::File::open(path).map_err(|e| StoreError::io(path, e))?;
    std::io::BufReader::new(f)
        .lines()
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(|e| StoreError::io(path, e))
}

/// Per-table summaries of the scored data, as a read of every file would give.
fn summaries(
    tables: &BTreeMap<Table, DataFrame>,
    inputs: &[InputFile],
    quarantined: &[QuarantineRow],
) -> BTreeMap<String, TableSummary> {
    let mut out: BTreeMap<String, TableSummary> = BTreeMap::new();
    for f in inputs {
        let s = out.entry(f.table.clone()).or_default();
        s.files += 1;
        s.counts.add(&f.rows);
    }
    for q in quarantined {
        let s = out.entry(q.table.name().to_string()).or_default();
        *s.quarantined_by_reason
            .entry(q.reason.code().to_string())
            .or_default() += 1;
    }
    for (t, df) in tables {
        let s = out.entry(t.name().to_string()).or_default();
        s.rows = df.height() as u64;
        s.time_range = time_range(df, *t);
    }
    out
}
