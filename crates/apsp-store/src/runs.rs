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
use std::path::Path;

use apsp_core::ingest::manifest::{OutputFile, Settings};
use apsp_core::matrix::RiskMatrix;
use apsp_core::output::resolved;
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
    // Checked before the lock, whose file would be made in a folder that is no store;
    // the lock taken before the database is opened (and migrated), as a night does.
    Store::refuse_no_store(path)?;
    let _lock = StoreLock::take(path)?;
    let store = Store::connect(path)?;
    prune_locked(&store, keep)
}

/// [`prune_outputs`] with the lock held (by a night that prunes after its run).
pub(crate) fn prune_locked(store: &Store, keep: usize) -> Result<PruneSummary> {
    if keep == 0 {
        return Err(StoreError::store(
            &store.path,
            "keep at least the newest run's outputs (keep 1 or more): they are what this \
             morning's review reads",
        ));
    }
    let runs = finished_runs(store)?;
    // A run pruned before by a smaller `keep` keeps nothing.
    let kept = runs
        .iter()
        .take(keep)
        .filter(|r| r.pruned_at.is_none())
        .map(|r| r.id)
        .collect();
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
    store.rows(
        "SELECT id, folder, outputs_pruned_at FROM runs WHERE status = 'done' ORDER BY id DESC",
        [],
        |r| {
            Ok(FinishedRun {
                id: r.get(0)?,
                folder: r.get(1)?,
                pruned_at: r.get(2)?,
            })
        },
    )
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
    /// The replay's hash (none for a file the run wrote and the replay did not).
    pub sha256: Option<String>,
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
    let outputs = compare_outputs(&recorded.outputs, &written.outputs);
    // Every file the run recorded is among the outputs compared.
    let identical = outputs
        .iter()
        .filter(|o| o.recorded.is_some())
        .all(|o| o.same);
    Ok(ReplaySummary {
        run,
        out: out.display().to_string(),
        recorded_version: recorded.apsp_version,
        version: apsp_core::VERSION.to_string(),
        outputs,
        identical,
    })
}

/// Every output the run recorded or the replay wrote, by name, with both hashes.
fn compare_outputs(
    recorded: &BTreeMap<String, OutputFile>,
    written: &BTreeMap<String, OutputFile>,
) -> Vec<ReplayedOutput> {
    let names: std::collections::BTreeSet<&String> =
        recorded.keys().chain(written.keys()).collect();
    names
        .into_iter()
        .map(|file| {
            let before = recorded.get(file).map(|o| o.sha256.clone());
            let now = written.get(file).map(|o| o.sha256.clone());
            ReplayedOutput {
                file: file.clone(),
                same: before.is_some() && before == now,
                sha256: now,
                recorded: before,
            }
        })
        .collect()
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

/// A replay written inside the store could be taken for the store's own files; a
/// path that cannot be resolved is refused rather than trusted.
fn refuse_out_inside_store(store: &Store, out: &Path) -> Result<()> {
    let refuse = |why: &str| {
        Err(StoreError::store(
            &store.path,
            format!(
                "a replay is written outside the store ({} {why}): choose another folder",
                out.display()
            ),
        ))
    };
    let (Some(store_dir), Some(out_dir)) = (resolved(&store.path), resolved(out)) else {
        return refuse("cannot be resolved to a folder");
    };
    if out_dir.starts_with(&store_dir) {
        return refuse("is inside it");
    }
    if store_dir.starts_with(&out_dir) {
        return refuse("holds it");
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

#[cfg(test)]
mod tests {
    use super::*;

    fn outputs(files: &[(&str, &str)]) -> BTreeMap<String, OutputFile> {
        files
            .iter()
            .map(|(f, h)| {
                (
                    f.to_string(),
                    OutputFile {
                        sha256: h.to_string(),
                        rows: 1,
                    },
                )
            })
            .collect()
    }

    /// Each file of either side is listed once: the same hash, another hash, a file
    /// the replay did not write, a file the run did not record.
    #[test]
    fn outputs_are_compared_by_name_on_both_sides() {
        let run = outputs(&[("a", "1"), ("b", "2"), ("c", "3")]);
        let replay = outputs(&[("a", "1"), ("b", "9"), ("d", "4")]);
        let got: Vec<(String, Option<String>, Option<String>, bool)> =
            compare_outputs(&run, &replay)
                .into_iter()
                .map(|o| (o.file, o.recorded, o.sha256, o.same))
                .collect();
        let s = |x: &str| Some(x.to_string());
        assert_eq!(
            got,
            vec![
                ("a".into(), s("1"), s("1"), true),
                ("b".into(), s("2"), s("9"), false),
                ("c".into(), s("3"), None, false),
                ("d".into(), None, s("4"), false),
            ]
        );
    }
}
