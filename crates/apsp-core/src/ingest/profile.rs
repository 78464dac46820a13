//! Import profiles: how one raw export format maps onto a canonical table.
//!
//! A profile is a small TOML file (see `docs/profiles.md`). It names the table, where
//! its files are, how they are delimited, which source column feeds each canonical
//! column (or a constant, or several columns joined, e.g. a separate date and time),
//! the timestamp and duration formats, and the vocabulary of coded columns (`MO`/`MT`).
//! Anything the profile does not say falls back to the canonical contract.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::schema::Table;
use super::time::{Ambiguous, Nonexistent};
use crate::error::{ApspError, Result};

/// How durations are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DurationFormat {
    /// Whole seconds: `123`.
    #[default]
    Seconds,
    /// `H:MM:SS` or `M:SS`: `00:02:03`.
    Hms,
    /// Either of the above.
    Auto,
}

/// Where a canonical column's value comes from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum ColumnSource {
    /// The name of one source column.
    Name(String),
    /// A constant for every row: `{ value = "call" }`.
    Constant { value: String },
    /// Several source columns joined: `{ columns = ["Date", "Time"], separator = " " }`.
    Joined {
        columns: Vec<String>,
        #[serde(default = "default_separator")]
        separator: String,
    },
}

fn default_separator() -> String {
    " ".to_string()
}

/// A parsed import profile.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// The canonical table this profile produces.
    pub table: String,
    /// File-name patterns (relative to the dataset folder) this profile reads, e.g.
    /// `["itemised_*.csv"]`. Default: the table's own files (`billing.csv`, `billing/`).
    #[serde(default)]
    pub files: Vec<String>,
    /// Field delimiter, one character. Default `,`.
    #[serde(default)]
    pub delimiter: Option<String>,
    /// Character encoding of the files: `utf-8` (default: the dataset's setting),
    /// `cp1252` or `latin-1`.
    #[serde(default)]
    pub encoding: Option<String>,
    /// Lines to skip before the header (report titles, account numbers).
    #[serde(default)]
    pub skip_rows: usize,
    /// Numbers use a decimal comma (`51,5074`).
    #[serde(default)]
    pub decimal_comma: bool,
    /// Time zone of naive timestamps; default: the dataset's.
    #[serde(default)]
    pub timezone: Option<String>,
    #[serde(default)]
    pub ambiguous: Option<Ambiguous>,
    #[serde(default)]
    pub nonexistent: Option<Nonexistent>,
    /// chrono formats for datetimes, tried in order; default ISO 8601.
    #[serde(default)]
    pub datetime_formats: Vec<String>,
    /// chrono formats for dates; default `%Y-%m-%d`.
    #[serde(default)]
    pub date_formats: Vec<String>,
    /// How `duration_s` is written.
    #[serde(default)]
    pub duration: DurationFormat,
    /// Canonical column -> source.
    #[serde(default)]
    pub columns: BTreeMap<String, ColumnSource>,
    /// Canonical column -> (raw value -> canonical value), e.g. `direction = { MO = "out" }`.
    #[serde(default)]
    pub values: BTreeMap<String, BTreeMap<String, String>>,
    /// Source columns that are present but not used.
    #[serde(default)]
    pub ignore_columns: Vec<String>,

    /// Where the profile was read from (not part of the TOML).
    #[serde(skip)]
    pub path: PathBuf,
    /// SHA-256 of the profile file (for the manifest).
    #[serde(skip)]
    pub sha256: String,
    #[serde(skip)]
    pub table_id: Option<Table>,
}

impl Profile {
    /// Reads and checks a profile file.
    pub fn load(path: &Path) -> Result<Profile> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                ApspError::NotFound {
                    what: "profile",
                    path: path.to_path_buf(),
                }
            } else {
                ApspError::io(path, e)
            }
        })?;
        let mut p = Profile::parse(&text, path)?;
        p.sha256 = hex::encode(Sha256::digest(text.as_bytes()));
        Ok(p)
    }

    /// A profile given as JSON (a Python dict): the same keys as the TOML file, checked
    /// the same way; `name` stands for its path in messages and the manifest, and its
    /// hash is that of the TOML it is written as.
    pub fn from_json(json: &str, name: &str) -> Result<Profile> {
        let path = Path::new(name);
        let value: toml::Value = serde_json::from_str(json)
            .map_err(|e| ApspError::profile(path, format!("not a profile: {e}")))?;
        let text = toml::to_string(&value)
            .map_err(|e| ApspError::profile(path, format!("not a profile: {e}")))?;
        let mut p = Profile::parse(&text, path)?;
        p.sha256 = hex::encode(Sha256::digest(text.as_bytes()));
        Ok(p)
    }

    /// Parses profile text; `path` is only used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Profile> {
        let mut p: Profile =
            toml::from_str(text).map_err(|e| ApspError::profile_toml(path, text, &e))?;
        p.path = path.to_path_buf();
        let table = Table::from_name(&p.table).ok_or_else(|| {
            ApspError::profile(
                path,
                format!(
                    "unknown table {:?}; expected one of {}",
                    p.table,
                    Table::ALL.map(|t| t.name()).join(", ")
                ),
            )
        })?;
        p.table_id = Some(table);
        for name in p.columns.keys().chain(p.values.keys()) {
            if table.column_index(name).is_none() {
                return Err(ApspError::profile(
                    path,
                    format!(
                        "{name:?} is not a column of table {table}; its columns are {}",
                        table
                            .columns()
                            .iter()
                            .map(|c| c.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        }
        if let Some(d) = &p.delimiter {
            if d.len() != 1 {
                return Err(ApspError::profile(
                    path,
                    format!("delimiter must be one ASCII character, got {d:?}"),
                ));
            }
        }
        if let Some(e) = &p.encoding {
            if super::source::TextEncoding::parse(e).is_none() {
                return Err(ApspError::profile(
                    path,
                    format!(
                        "encoding {e:?} is not known: use {}",
                        super::source::TextEncoding::NAMES
                    ),
                ));
            }
        }
        for pat in &p.files {
            glob::Pattern::new(pat)
                .map_err(|e| ApspError::profile(path, format!("bad file pattern {pat:?}: {e}")))?;
        }
        if let Some(tz) = &p.timezone {
            super::time::parse_tz(tz).map_err(|e| ApspError::profile(path, e.to_string()))?;
        }
        Ok(p)
    }

    /// The table this profile produces.
    pub fn table(&self) -> Table {
        self.table_id.expect("checked at load")
    }

    /// The files' encoding, if the profile says.
    pub fn text_encoding(&self) -> Option<super::source::TextEncoding> {
        self.encoding
            .as_deref()
            .and_then(super::source::TextEncoding::parse)
    }

    /// The delimiter byte.
    pub fn delimiter_byte(&self) -> u8 {
        self.delimiter
            .as_deref()
            .map(|d| d.as_bytes()[0])
            .unwrap_or(b',')
    }
}
