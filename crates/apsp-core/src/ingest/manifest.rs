//! The run manifest: what was read, with which settings, and what came of it.
//!
//! Written as `manifest.json` beside every output. Two runs on the same inputs with the
//! same settings produce the same manifest except `created_at`, so a manifest can be
//! disclosed to show exactly which data a warning sign came from.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{ApspError, Result};
use crate::ingest::source::{Format, TextEncoding};
use crate::ingest::{Ambiguous, Nonexistent, RowCounts};

/// The whole manifest. Field order is the JSON order.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    pub apsp_version: String,
    /// When the run happened (RFC 3339, UTC). The only field that differs between
    /// two runs on the same inputs.
    pub created_at: String,
    pub dataset: String,
    pub settings: Settings,
    pub inputs: Vec<InputFile>,
    pub tables: BTreeMap<String, TableSummary>,
    /// Files in the dataset folder that belong to no table (never read).
    pub ignored_files: Vec<String>,
    /// The ground truth a generated force carries beside its tables (`labels.parquet`,
    /// `injected_errors.parquet`): known, never read as a table, not an omission.
    pub ground_truth_files: Vec<String>,
    pub quarantined: u64,
    /// Output file name -> hash and rows, filled in when outputs are written.
    pub outputs: BTreeMap<String, OutputFile>,
    /// The scoring run's provenance (`apsp score` only): risk matrix name, version,
    /// source and SHA-256, reference time, window, unlinked event rows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scoring: Option<serde_json::Value>,
    /// The nightly store's state the run saw (`apsp nightly` only): the store, the
    /// run, its settings and every data part scored, with its rows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store: Option<serde_json::Value>,
}

/// Settings that change what is read.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Settings {
    pub timezone: String,
    pub ambiguous: Ambiguous,
    pub nonexistent: Nonexistent,
    pub pseudonymised: bool,
    pub ignore_extra_columns: bool,
    /// Character encoding of CSV files without a profile saying otherwise.
    pub encoding: TextEncoding,
    /// Public fingerprint of the pseudonymisation key (never the key).
    pub key_id: Option<String>,
    pub profiles: Vec<ProfileRef>,
}

/// An import profile used in the run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProfileRef {
    pub table: String,
    pub path: String,
    pub sha256: String,
}

/// One input file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InputFile {
    pub table: String,
    /// Path relative to the dataset folder, `/`-separated.
    pub file: String,
    pub format: Format,
    pub sha256: String,
    pub bytes: u64,
    pub rows: RowCounts,
    /// Columns present in the file but not read (only with `ignore_extra_columns`).
    pub ignored_columns: Vec<String>,
    /// Rows used although a free-text value (an officer's `unit`) was not UTF-8: read
    /// as Windows-1252. A sign the file has another encoding (set `encoding`).
    pub not_utf8_kept: u64,
    /// Line and source column of the first of them.
    pub first_not_utf8: Option<(u64, String)>,
}

/// One table, over all its files.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TableSummary {
    pub files: u64,
    /// Rows in the canonical frame (= counts.used).
    pub rows: u64,
    pub counts: RowCounts,
    pub quarantined_by_reason: BTreeMap<String, u64>,
    /// Rows used whose interval (start/end, valid_from/valid_to...) was backwards only
    /// because the clocks went back, read across the repeated hour instead of
    /// quarantined as `end_before_start`. Counted among `counts.used`.
    pub fall_back_resolved: u64,
    /// (earliest, latest) of the table's main time column, UTC.
    pub time_range: Option<(String, String)>,
}

/// One output file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutputFile {
    pub sha256: String,
    pub rows: u64,
}

impl Manifest {
    /// Stamps the run time (now, UTC, whole seconds).
    pub fn stamp_now(&mut self) {
        self.created_at = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    }

    /// Records an output file's hash.
    pub fn record_output(&mut self, name: &str, path: &Path, rows: u64) -> Result<()> {
        let bytes = std::fs::read(path).map_err(|e| ApspError::io(path, e))?;
        self.outputs.insert(
            name.to_string(),
            OutputFile {
                sha256: hex::encode(Sha256::digest(&bytes)),
                rows,
            },
        );
        Ok(())
    }

    /// Pretty JSON with a trailing newline.
    pub fn to_json(&self) -> Result<String> {
        let mut s = serde_json::to_string_pretty(self)?;
        s.push('\n');
        Ok(s)
    }

    /// Writes `manifest.json`.
    pub fn write(&self, path: &Path) -> Result<()> {
        std::fs::write(path, self.to_json()?).map_err(|e| ApspError::io(path, e))
    }
}
