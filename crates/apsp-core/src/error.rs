//! The one error type of the core crate.
//!
//! Every variant carries the context a user needs to fix the input without opening
//! the source: the file, and where known the line, the column, what was expected and
//! what was found. Row-level problems are *not* errors: they go to the quarantine
//! output (see [`crate::ingest::Reason`]). Errors are for problems that make a whole
//! file or run untrustworthy.

use std::path::PathBuf;

/// Result alias used throughout the crate.
pub type Result<T, E = ApspError> = std::result::Result<T, E>;

/// Everything that can stop a run.
#[derive(Debug, thiserror::Error)]
pub enum ApspError {
    /// A path given by the user does not exist.
    #[error("{what} not found: {}", path.display())]
    NotFound { what: &'static str, path: PathBuf },

    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A file's shape does not match its table: missing, unknown or mistyped columns,
    /// an empty file, a wrong delimiter.
    #[error("{}: {message}", location(file, *line, column.as_deref()))]
    Schema {
        file: PathBuf,
        /// 1-based line, where one applies (the header is line 1).
        line: Option<u64>,
        column: Option<String>,
        message: String,
    },

    /// A CSV file could not be tokenised at all (not a row-level problem).
    #[error("{}: {message}", location(file, *line, None))]
    Csv {
        file: PathBuf,
        line: Option<u64>,
        message: String,
    },

    /// A Parquet file could not be read.
    #[error("{}: cannot read Parquet: {message}", file.display())]
    Parquet { file: PathBuf, message: String },

    /// A risk matrix is malformed: unknown keys, missing keys, values out of range.
    #[error("risk matrix {source_name}: {message}")]
    Matrix {
        /// The file the matrix was read from, or `default`.
        source_name: String,
        /// 1-based line of a TOML syntax or type error, where known.
        line: Option<u64>,
        message: String,
    },

    /// An import profile is malformed or does not fit the file it is applied to.
    #[error("profile {}: {message}", profile.display())]
    Profile {
        profile: PathBuf,
        /// 1-based line of a TOML syntax or type error, where known.
        line: Option<u64>,
        message: String,
    },

    /// Pseudonymisation was asked for but cannot be done safely.
    #[error("pseudonymisation: {0}")]
    Pseudonymisation(String),

    /// A dataset as a whole is unusable (e.g. no officers table).
    #[error("dataset {}: {message}", dir.display())]
    Dataset { dir: PathBuf, message: String },

    /// An output folder apsp will not write into as asked.
    #[error("output folder {}: {message}", dir.display())]
    Output { dir: PathBuf, message: String },

    /// A setting has a value the library does not know.
    #[error("invalid setting {name} = {value:?}: {message}")]
    Setting {
        name: &'static str,
        value: String,
        message: String,
    },

    /// The row accounting invariant read = used + quarantined + duplicates broke.
    /// This is a bug in the library, never a data problem.
    #[error("row accounting broken for {}: read {read} != used {used} + quarantined {quarantined} + duplicates {duplicates}", file.display())]
    Accounting {
        file: PathBuf,
        read: u64,
        used: u64,
        quarantined: u64,
        duplicates: u64,
    },

    /// An error from polars while building or writing frames.
    #[error("polars: {0}")]
    Polars(#[from] polars::error::PolarsError),

    /// JSON (manifest) serialisation.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
}

fn location(file: &std::path::Path, line: Option<u64>, column: Option<&str>) -> String {
    let mut s = file.display().to_string();
    if let Some(l) = line {
        s.push_str(&format!(", line {l}"));
    }
    if let Some(c) = column {
        s.push_str(&format!(", column {c:?}"));
    }
    s
}

impl ApspError {
    /// An I/O error on `path` (reading an input, writing an output).
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ApspError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn schema(
        file: impl Into<PathBuf>,
        line: Option<u64>,
        column: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        ApspError::Schema {
            file: file.into(),
            line,
            column: column.map(str::to_owned),
            message: message.into(),
        }
    }

    pub(crate) fn profile(profile: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        ApspError::Profile {
            profile: profile.into(),
            line: None,
            message: message.into(),
        }
    }

    /// A profile's TOML error, with the line it points at.
    pub(crate) fn profile_toml(
        profile: impl Into<PathBuf>,
        text: &str,
        e: &toml::de::Error,
    ) -> Self {
        ApspError::Profile {
            profile: profile.into(),
            line: toml_line(text, e.span()),
            message: e.to_string(),
        }
    }

    /// A short stable name for the variant, used by the Python exception mapping
    /// and the CLI.
    pub fn kind(&self) -> &'static str {
        match self {
            ApspError::NotFound { .. } => "not_found",
            ApspError::Io { .. } => "io",
            ApspError::Schema { .. } => "schema",
            ApspError::Csv { .. } => "csv",
            ApspError::Parquet { .. } => "parquet",
            ApspError::Profile { .. } => "profile",
            ApspError::Matrix { .. } => "matrix",
            ApspError::Pseudonymisation(_) => "pseudonymisation",
            ApspError::Dataset { .. } => "dataset",
            ApspError::Output { .. } => "output",
            ApspError::Setting { .. } => "setting",
            ApspError::Accounting { .. } => "accounting",
            ApspError::Polars(_) => "polars",
            ApspError::Json(_) => "json",
        }
    }
}

/// The 1-based line of a byte range's start in a TOML text.
pub(crate) fn toml_line(text: &str, span: Option<std::ops::Range<usize>>) -> Option<u64> {
    let start = span?.start.min(text.len());
    Some(
        text.as_bytes()[..start]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64
            + 1,
    )
}
