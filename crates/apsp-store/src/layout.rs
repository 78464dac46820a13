//! Where a store keeps what, and writing a file so that it is either whole or absent.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use apsp_core::Table;

use crate::{Result, StoreError};

/// The folders a store's data lives in (relative to the store), swept for files no
/// committed night recorded.
pub(crate) const DATA_FOLDERS: [&str; 3] = ["tables", "snapshots", "quarantine"];

/// A run's number as written in file names.
pub(crate) fn run_tag(run: i64) -> String {
    format!("run-{run:06}")
}

/// The run that wrote a part (its file name: `run-NNNNNN.<ext>`).
pub(crate) fn run_of_part(path: &str) -> Option<i64> {
    let name = path.rsplit('/').next()?;
    let digits = name.strip_prefix("run-")?.split('.').next()?;
    digits.parse().ok()
}

/// An event table's part of one run and one month (`YYYY-MM`, UTC).
pub(crate) fn event_part(table: Table, month: &str, run: i64) -> String {
    format!(
        "tables/{}/month={month}/{}.parquet",
        table.name(),
        run_tag(run)
    )
}

/// A reference table's snapshot delivered by one run.
pub(crate) fn snapshot_part(table: Table, run: i64) -> String {
    format!("snapshots/{}/{}.parquet", table.name(), run_tag(run))
}

/// The rows one run set aside.
pub(crate) fn quarantine_part(run: i64) -> String {
    format!("quarantine/{}.jsonl", run_tag(run))
}

/// A run's output folder.
pub(crate) fn run_folder(run: i64, date: &str) -> String {
    format!("runs/{run:06}-{date}")
}

/// Writes `bytes` to `path` through a temporary file, synced and renamed into place:
/// a reader (or a crash) sees the old file or the new one, never half of one.
pub(crate) fn write_whole(path: &Path, write: impl FnOnce(&mut File) -> Result<()>) -> Result<()> {
    if let Some(dir) = path.parent() {
        if !dir.exists() {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::io(dir, e))?;
            // New folders (tables/<t>/month=YYYY-MM/) must survive a power cut with
            // the file: each is synced into its parent.
            for d in dir.ancestors().skip(1).take(3) {
                sync_dir(d)?;
            }
        }
    }
    let tmp = tmp_path(path);
    let mut f = File::create(&tmp).map_err(|e| StoreError::io(&tmp, e))?;
    write(&mut f)?;
    f.flush().map_err(|e| StoreError::io(&tmp, e))?;
    f.sync_all().map_err(|e| StoreError::io(&tmp, e))?;
    drop(f);
    crate::nightly::fault_point("part-renamed");
    std::fs::rename(&tmp, path).map_err(|e| StoreError::io(path, e))?;
    sync_dir(path.parent().unwrap_or(Path::new(".")))
}

/// The temporary name a file is written under.
pub(crate) fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

/// Syncs a folder, so that a rename in it survives a power cut.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    // The parent of a relative path's first component is the empty path: the
    // working folder.
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StoreError::io(dir, e))
}

/// Syncs every file of a folder, then the folder (a run's outputs before the folder is
/// renamed into place and recorded).
pub(crate) fn sync_tree(dir: &Path) -> Result<()> {
    for e in std::fs::read_dir(dir).map_err(|e| StoreError::io(dir, e))? {
        let p = e.map_err(|e| StoreError::io(dir, e))?.path();
        if p.is_file() {
            File::open(&p)
                .and_then(|f| f.sync_all())
                .map_err(|e| StoreError::io(&p, e))?;
        }
    }
    sync_dir(dir)
}

/// Every file under `dir` (recursively), relative to `root`, `/`-separated.
pub(crate) fn files_under(root: &Path, dir: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![root.join(dir)];
    while let Some(d) = stack.pop() {
        let entries = match std::fs::read_dir(&d) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(StoreError::io(&d, e)),
        };
        for e in entries {
            let p = e.map_err(|e| StoreError::io(&d, e))?.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(rel) = p.strip_prefix(root) {
                let parts: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                out.push(parts.join("/"));
            }
        }
    }
    out.sort();
    Ok(out)
}
