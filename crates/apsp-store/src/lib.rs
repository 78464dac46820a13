//! apsp-store: the nightly batch's memory.
//!
//! A store is a folder that grows night by night:
//!
//! ```text
//! STORE/
//!   store.sqlite                     runs, files taken, parts, alerts, reviews (WAL)
//!   lock                             held by the running night (names its holder)
//!   tables/<table>/month=YYYY-MM/run-NNNNNN.parquet   event rows, typed, appended
//!   snapshots/<table>/run-NNNNNN.parquet              reference tables, one per delivery
//!   quarantine/run-NNNNNN.jsonl                       the rows each night set aside
//!   runs/NNNNNN-YYYY-MM-DD/                           each night's outputs
//! ```
//!
//! Old runs' bulky outputs can be pruned, and any run replayed from the store to get
//! them back byte for byte ([`runs`]).
//!
//! Export files are taken by content hash (a file delivered twice, or under another
//! name, is taken once), validated once, and kept as typed Parquet with the
//! de-duplication hashes of their rows, so a later night's overlapping export
//! de-duplicates row by row exactly as one read of every file would. Scoring reads the
//! typed rows back without validating them again. A night either commits whole (one
//! SQLite transaction records its parts, written and synced before) or leaves the
//! store as it was: files no transaction recorded are removed when the store is next
//! opened. Alerts (an officer, and each of their flagged pairs, above the matrix's
//! alert tier) keep their state, score per run and an append-only history of state
//! changes and reviews.

pub mod alerts;
mod db;
mod layout;
mod lock;
pub mod morning;
pub mod nightly;
pub mod runs;
mod scope;
mod take;
pub mod watchlist;

use std::path::PathBuf;

pub use alerts::{AlertState, Outcome, Review};
pub use nightly::{nightly, NightlyOptions, NightlySummary};
pub use runs::{prune_outputs, replay, PruneSummary, ReplaySummary};

/// What can go wrong with a store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Apsp(#[from] apsp_core::ApspError),
    #[error("store {}: {message}", store.display())]
    Store { store: PathBuf, message: String },
    #[error("store {}: the store's database: {source}", store.display())]
    Sqlite {
        store: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl StoreError {
    pub(crate) fn store(store: &std::path::Path, message: impl Into<String>) -> Self {
        StoreError::Store {
            store: store.to_path_buf(),
            message: message.into(),
        }
    }

    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        StoreError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

impl From<polars::error::PolarsError> for StoreError {
    fn from(e: polars::error::PolarsError) -> Self {
        StoreError::Apsp(e.into())
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

pub use db::{RunInfo, Store};
