//! A store's run folders over the years: pruning the bulky outputs of old runs, and
//! replaying a run to get them back.
//!
//! Each night writes the window's officers, pairs, signals and evidence: about 50 MB
//! for 5,000 officers, some 19 GB a year of nights. A morning's review reads the
//! newest; an older run's alerts keep their score in every run in the database, and
//! its morning report, manifest and quarantine are small. Pruning removes the four
//! bulky outputs of all but the newest runs and records when. Nothing is lost: the
//! store keeps every row and every night's snapshots, so replaying a run scores the
//! store as it stood that night, with the matrix and settings recorded for it, and the
//! outputs come back byte for byte — checked against the hashes the run's manifest
//! recorded.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use apsp_core::ingest::manifest::{OutputFile, Settings};
use apsp_core::matrix::RiskMatrix;
use apsp_core::score::{score_releasing, ScoreOptions};
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::lock::StoreLock;
use crate::nightly::RecordedRun;
use crate::{layout, scope, Result, Store, StoreError};

/// The outputs pruning removes (as Parquet, and as CSV when the run wrote CSV too).
pub const PRUNED_OUTPUTS: [&str; 4] = ["officers", "pairs", "signals", "evidence"];

/// One run whose outputs were pruned.
#[derive(Debug, Clone, Serialize)]
pub struct PrunedRun {
    pub run: i64,
    /// Its folder, relative to the store.
    pub folder: String,
    /// The files removed.
    pub files: Vec<String>,
    pub bytes: u64,
}

/// What a prune did.
#[derive(Debug, Clone, Serialize)]
pub struct PruneSummary {
    /// The finished runs whose outputs are kept, newest first.
    pub kept: Vec<i64>,
    /// The runs pruned now (runs pruned before are not listed again).
    pub pruned: Vec<PrunedRun>,
    /// Bytes freed.
    pub bytes: u64,
}

/// Removes the bulky outputs of every finished run but the newest `keep`, taking the
/// store's lock (a night running is waited for by no one: it is refused).
pub fn prune_outputs(path: &Path, keep: usize) -> Result<PruneSummary> {
    let store = Store::open(path)?;
    let _lock = StoreLock::take(path)?;
    prune_locked(&store, keep)
}

/// [`prune_outputs`] with the lock held (by a night that prunes after its run).
pub(crate) fn prune_locked(store: &Store, keep: usize) -> Result<PruneSummary> {
    if keep == 0 {
        return Err(StoreError::store(
            &store.path,
            "keep at least the newest run's outputs (--keep 1 or more): they are what \
             this morning's review reads",
        ));
    }
    let runs = finished_runs(store)?;
    let kept = runs.iter().take(keep).map(|r| r.id).collect();
    let mut pruned = Vec::new();
    for run in runs.iter().skip(keep).filter(|r| r.pruned_at.is_none()) {
        pruned.push(prune_run(store, run)?);
    }
    let bytes = pruned.iter().map(|p| p.bytes).sum();
    Ok(PruneSummary {
        kept,
        pruned,
        bytes,
    })
}

/// A finished run as pruning sees it.
struct FinishedRun {
    id: i64,
    folder: String,
    pruned_at: Option<String>,
}

/// The finished runs, newest first.
fn finished_runs(store: &Store) -> Result<Vec<FinishedRun>> {
    let mut stmt = store
        .conn
        .prepare(
            "SELECT id, folder, outputs_pruned_at FROM runs WHERE status = 'done' ORDER BY id DESC",
        )
        .map_err(|e| store.sql(e))?;
    let runs = stmt
        .query_map([], |r| {
            Ok(FinishedRun {
                id: r.get(0)?,
                folder: r.get(1)?,
                pruned_at: r.get(2)?,
            })
        })
        .map_err(|e| store.sql(e))?
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| store.sql(e))?;
    Ok(runs)
}

/// Removes one run's bulky outputs, then records it. Killed between the two, the next
/// prune finds the files gone and records it then.
fn prune_run(store: &Store, run: &FinishedRun) -> Result<PrunedRun> {
    let dir = store.path.join(&run.folder);
    let mut files = Vec::new();
    let mut bytes = 0;
    for table in PRUNED_OUTPUTS {
        for ext in ["parquet", "csv"] {
            let name = format!("{table}.{ext}");
            let file = dir.join(&name);
            match std::fs::metadata(&file) {
                Ok(m) => {
                    std::fs::remove_file(&file).map_err(|e| StoreError::io(&file, e))?;
                    bytes += m.len();
                    files.push(name);
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(StoreError::io(&file, e)),
            }
        }
    }
    if dir.is_dir() {
        layout::sync_dir(&dir)?;
    }
    store
        .conn
        .execute(
            "UPDATE runs SET outputs_pruned_at = ?1 WHERE id = ?2",
            params![crate::db::now(), run.id],
        )
        .map_err(|e| store.sql(e))?;
    Ok(PrunedRun {
        run: run.id,
        folder: run.folder.clone(),
        files,
        bytes,
    })
}

/// One output of a replay against the hash the run recorded for it.
#[derive(Debug, Clone, Serialize)]
pub struct ReplayedOutput {
    pub file: String,
    pub sha256: String,
    /// The hash the run's manifest recorded (none for a file it did not write).
    pub recorded: Option<String>,
    pub same: bool,
}

/// What a replay wrote, and whether it is the run's outputs byte for byte.
#[derive(Debug, Clone, Serialize)]
pub struct ReplaySummary {
    pub run: i64,
    pub out: String,
    /// The apsp that scored the run, and this one.
    pub recorded_version: String,
    pub version: String,
    pub outputs: Vec<ReplayedOutput>,
    /// Every output the run recorded was written again with the same hash.
    pub identical: bool,
}

/// What a replay reads of the run's manifest (kept by pruning).
#[derive(Deserialize)]
struct RecordedManifest {
    apsp_version: String,
    settings: Settings,
    outputs: BTreeMap<String, OutputFile>,
}

/// Scores the store as it stood after run `run` (its data, snapshots and quarantine
/// then; the matrix, settings and CSV choice recorded for it) and writes the outputs
/// to `out`, outside the store; compares each with the hash the run recorded.
pub fn replay(path: &Path, run: i64, out: &Path, overwrite: bool) -> Result<ReplaySummary> {
    let store = Store::open(path)?;
    refuse_out_inside_store(&store, out)?;
    refuse_unfinished(&store, run)?;
    let rec = RecordedRun::of(&store, run)?;
    let recorded = recorded_manifest(&store.path.join(&rec.folder))?;
    let matrix = RiskMatrix::parse(&rec.matrix_toml, &rec.matrix_source)?;
    let mut ds = scope::dataset_as_of(&store, run, &rec.incoming, recorded.settings)?;
    let scored = score_releasing(&mut ds, &matrix, &ScoreOptions::default(), &|_| {})?;
    apsp_core::output::write_outputs(
        &scored,
        &mut ds,
        out,
        apsp_core::output::WriteOptions {
            csv: rec.csv,
            overwrite,
        },
    )?;
    let written = recorded_manifest(out)?;
    let outputs: Vec<ReplayedOutput> = written
        .outputs
        .iter()
        .map(|(file, o)| {
            let before = recorded.outputs.get(file).map(|r| r.sha256.clone());
            ReplayedOutput {
                file: file.clone(),
                sha256: o.sha256.clone(),
                same: before.as_deref() == Some(o.sha256.as_str()),
                recorded: before,
            }
        })
        .collect();
    let identical = recorded.outputs.iter().all(|(file, r)| {
        written
            .outputs
            .get(file)
            .is_some_and(|o| o.sha256 == r.sha256)
    });
    Ok(ReplaySummary {
        run,
        out: out.display().to_string(),
        recorded_version: recorded.apsp_version,
        version: apsp_core::VERSION.to_string(),
        outputs,
        identical,
    })
}

fn recorded_manifest(folder: &Path) -> Result<RecordedManifest> {
    let file = folder.join("manifest.json");
    let text = std::fs::read_to_string(&file).map_err(|e| StoreError::io(&file, e))?;
    serde_json::from_str(&text).map_err(|e| {
        StoreError::Apsp(apsp_core::ApspError::Output {
            dir: folder.to_path_buf(),
            message: format!("manifest.json cannot be read back: {e}"),
        })
    })
}

/// A replay written inside the store could be taken for the store's own files.
fn refuse_out_inside_store(store: &Store, out: &Path) -> Result<()> {
    let resolved = |p: &Path| -> Option<PathBuf> {
        // `out` may not exist yet: resolve its nearest existing ancestor.
        let mut base = p.to_path_buf();
        let mut rest = Vec::new();
        while !base.exists() {
            rest.push(base.file_name()?.to_owned());
            base = base.parent()?.to_path_buf();
            if base.as_os_str().is_empty() {
                base = PathBuf::from(".");
            }
        }
        let mut full = base.canonicalize().ok()?;
        full.extend(rest.iter().rev());
        Some(full)
    };
    if let (Some(store_dir), Some(out_dir)) = (resolved(&store.path), resolved(out)) {
        if out_dir.starts_with(&store_dir) || store_dir.starts_with(&out_dir) {
            return Err(StoreError::store(
                &store.path,
                format!(
                    "a replay is written outside the store ({} is {} it): choose another \
                     folder",
                    out.display(),
                    if out_dir.starts_with(&store_dir) {
                        "inside"
                    } else {
                        "a folder holding"
                    }
                ),
            ));
        }
    }
    Ok(())
}

/// A run must have finished: its outputs are what a replay gives back.
fn refuse_unfinished(store: &Store, run: i64) -> Result<()> {
    let status: Option<String> = store
        .conn
        .query_row("SELECT status FROM runs WHERE id = ?1", [run], |r| r.get(0))
        .optional()
        .map_err(|e| store.sql(e))?;
    match status.as_deref() {
        Some("done") => Ok(()),
        Some(_) => Err(StoreError::store(
            &store.path,
            format!("run {run} has not finished (the next night finishes it): nothing to replay"),
        )),
        None => {
            let last = store.next_run()? - 1;
            Err(StoreError::store(
                &store.path,
                format!("no run {run}: its runs are 1 to {last} (`apsp runs list`)"),
            ))
        }
    }
}
