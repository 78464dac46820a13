//! apsp-core: find the published warning signs of abuse of position for a sexual
//! purpose (APSP) in data police forces already hold.
//!
//! The data flows ingest -> link -> signals -> score -> explain -> outputs. This crate
//! has no Python in it; the `apsp` command and the Python package are thin layers
//! over it. A score is a warning sign for review, never a verdict.

pub mod error;
pub mod explain;
pub mod ingest;
pub mod link;
pub mod matrix;
pub mod output;
pub mod place;
pub mod pseudo;
pub mod report;
pub mod score;
pub mod sign;
pub mod signals;
pub mod validate;

pub use error::{ApspError, Result};
pub use ingest::{read_dataset, Dataset, IngestOptions, Reason, Table};

/// The library version, recorded in every manifest.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
