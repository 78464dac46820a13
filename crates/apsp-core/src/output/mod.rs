//! Writing a run: the output frames ([`frames`]) and the Parquet/CSV writer
//! ([`parquet`]), deterministic byte for byte, with the manifest recording every file.

pub mod frames;
pub mod parquet;

use std::path::Path;

use rayon::prelude::*;

pub use frames::{evidence_frame, frames, officers_frame, pairs_frame, signals_frame, Frames};
pub use parquet::{read_parquet, write_csv, write_parquet, write_parts, PartFn, ROW_GROUP};

use crate::error::{ApspError, Result};
use crate::ingest::Dataset;
use crate::link::Ts;
use crate::score::Scored;
use frames::{evidence_part, evidence_rows, findings, pair_order, pairs_part, signals_part};

/// A UTC instant as ISO 8601 (`2026-11-21T23:59:59Z`).
pub(crate) fn iso(t: Ts) -> String {
    chrono::DateTime::from_timestamp_micros(t)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// The scoring provenance recorded in the manifest.
pub fn provenance(s: &Scored) -> serde_json::Value {
    serde_json::json!({
        "matrix": {
            "name": s.matrix.matrix.name,
            "version": s.matrix.matrix.version,
            "source": s.matrix.source,
            "sha256": s.matrix.sha256,
        },
        "reference_time": iso(s.reference),
        "reference_time_from": if s.reference_basis.given { "given" } else { "data" },
        "events_after_reference": s.reference_basis.events_after,
        "first_event_after_reference": s.reference_basis.first_after.map(iso),
        "window_start": iso(s.window.0),
        "window_days": (s.window.1 - s.window.0) / crate::link::DAY,
        "officers": s.officers.len(),
        "pairs": s.pairs.len(),
        "unlinked_event_rows": s.linked.unlinked,
        "person_aliases": s.linked.aliases,
        "signs_not_evaluated": s
            .signs_not_evaluated()
            .iter()
            .map(|g| serde_json::json!({
                "sign": g.sign.id(),
                "officers": g.officers,
                "pairs": g.pairs,
                "whole": g.whole,
                "reasons": g.reasons.iter().map(|r| r.as_ref()).collect::<Vec<_>>(),
            }))
            .collect::<Vec<_>>(),
    })
}

/// An output folder must not be the input folder, inside it or around it: outputs
/// written into the dataset are read back as input the next run (`officers.parquet`
/// with a `score` column), and an input inside the output folder gets overwritten.
pub fn refuse_out_beside_input(input: &Path, out: &Path) -> Result<()> {
    let (Some(input), Some(out)) = (resolved(input), resolved(out)) else {
        return Ok(());
    };
    let clash = if out == input {
        Some("is the dataset folder")
    } else if out.starts_with(&input) {
        Some("is inside the dataset folder")
    } else if input.starts_with(&out) {
        Some("holds the dataset folder")
    } else {
        None
    };
    match clash {
        Some(why) => Err(ApspError::Output {
            dir: out,
            message: format!(
                "it {why} ({}): outputs written there would be read as input, or \
                 overwrite it; choose a folder outside it",
                input.display()
            ),
        }),
        None => Ok(()),
    }
}

/// The files apsp writes into an output folder (`score`, `validate`).
fn is_an_output_file(name: &str) -> bool {
    let stem_ext = name.rsplit_once('.');
    match stem_ext {
        Some((_, "json")) => name == "manifest.json",
        Some((stem, "parquet" | "csv")) => {
            OUTPUT_TABLES.contains(&stem)
                || crate::ingest::Table::ALL.iter().any(|t| t.name() == stem)
        }
        Some((stem, "html")) => stem.starts_with("case_report_"),
        _ => false,
    }
}

/// The outputs of `score`, as `<name>.parquet` (and `.csv`).
pub const OUTPUT_TABLES: [&str; 5] = ["officers", "pairs", "signals", "evidence", "quarantine"];

/// The visible entries of an output folder (none if it does not exist yet), refused
/// unless `overwrite`.
pub fn refuse_a_folder_with_files(out: &Path, overwrite: bool) -> Result<Vec<String>> {
    let entries: Vec<std::path::PathBuf> = match std::fs::read_dir(out) {
        Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(ApspError::io(out, e)),
    };
    let mut names: Vec<String> = entries
        .iter()
        .filter_map(|p| p.file_name().and_then(|n| n.to_str()).map(str::to_string))
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    if !names.is_empty() && !overwrite {
        let shown: Vec<&str> = names.iter().take(5).map(String::as_str).collect();
        let more = if names.len() > 5 { ", …" } else { "" };
        return Err(ApspError::Output {
            dir: out.to_path_buf(),
            message: format!(
                "it already holds files ({}{more}): pass --overwrite (in Python \
                 overwrite=True) to replace apsp's outputs there, or choose a new folder",
                shown.join(", ")
            ),
        });
    }
    Ok(names)
}

/// An output folder that already holds files is written into only when asked
/// (`--overwrite`, `overwrite=True`): a mistyped `--out` must not mix one run's files
/// with another's. When asked, the files a previous run left there are removed first
/// (a CSV not written this time must not stay behind as if it were); other files stay.
pub fn prepare_out_folder(out: &Path, overwrite: bool) -> Result<()> {
    let names = refuse_a_folder_with_files(out, overwrite)?;
    for name in names.iter().filter(|n| is_an_output_file(n)) {
        let p = out.join(name);
        if p.is_file() {
            std::fs::remove_file(&p).map_err(|e| ApspError::io(&p, e))?;
        }
    }
    std::fs::create_dir_all(out).map_err(|e| ApspError::io(out, e))
}

/// `p` made absolute with its symbolic links resolved, as far as it exists (an output
/// folder may not exist yet: its nearest existing ancestor is resolved and the rest
/// appended, `..` and `.` taken lexically there, where no link can be). `None` when
/// the working folder is unknown or nothing of the path exists.
pub fn resolved(p: &Path) -> Option<std::path::PathBuf> {
    use std::path::Component;
    let absolute = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().ok()?.join(p)
    };
    let parts: Vec<Component<'_>> = absolute.components().collect();
    let (mut out, existing) = (0..=parts.len()).rev().find_map(|i| {
        let prefix: std::path::PathBuf = parts[..i].iter().collect();
        prefix.canonicalize().ok().map(|c| (c, i))
    })?;
    for part in &parts[existing..] {
        match part {
            Component::Normal(name) => out.push(name),
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
        }
    }
    Some(out)
}

/// How [`write_outputs`] writes.
#[derive(Debug, Clone, Copy, Default)]
pub struct WriteOptions {
    /// Also write every output as CSV.
    pub csv: bool,
    /// Write into a folder that already holds files (see [`prepare_out_folder`]).
    pub overwrite: bool,
}

/// Writes `officers`, `pairs`, `signals`, `evidence`, `quarantine` (Parquet, and CSV
/// with `csv`) and `manifest.json` into `out`.
pub fn write_outputs(s: &Scored, ds: &mut Dataset, out: &Path, opts: WriteOptions) -> Result<()> {
    refuse_out_beside_input(Path::new(&ds.manifest.dataset), out)?;
    prepare_out_folder(out, opts.overwrite)?;
    let csv = opts.csv;
    ds.manifest.stamp_now();
    ds.manifest.scoring = Some(provenance(s));
    let order = pair_order(s);
    let found = findings(s);
    let evidence = evidence_rows(&found);
    let quarantine = &ds.quarantine;
    // Written a row group at a time: the signals of a large force are millions of rows,
    // never whole in memory.
    let parts: [(&str, usize, PartFn<'_>); 5] = [
        ("officers", 1, Box::new(|_| officers_frame(s))),
        ("pairs", order.len(), Box::new(|r| pairs_part(s, &order[r]))),
        (
            "signals",
            found.len(),
            Box::new(|r| signals_part(s, &found[r])),
        ),
        (
            "evidence",
            evidence.len(),
            Box::new(|r| evidence_part(s, &evidence[r])),
        ),
        ("quarantine", 1, Box::new(|_| Ok(quarantine.clone()))),
    ];
    // The files are written side by side (one alone leaves a core idle while it
    // compresses); the manifest records them in their fixed order.
    let written = parts
        .par_iter()
        .map(|(name, n, part)| {
            let p = out.join(format!("{name}.parquet"));
            let c = csv.then(|| out.join(format!("{name}.csv")));
            let local = c.as_deref().map(|path| parquet::Csv {
                path,
                timezone: s.linked.timezone,
            });
            let rows = write_parts(*n, part, &p, local.as_ref())?;
            Ok((name.to_string(), p, c, rows))
        })
        .collect::<Result<Vec<_>>>()?;
    drop(parts);
    for (name, p, c, rows) in written {
        ds.manifest
            .record_output(&format!("{name}.parquet"), &p, rows)?;
        if let Some(c) = c {
            ds.manifest
                .record_output(&format!("{name}.csv"), &c, rows)?;
        }
    }
    ds.manifest.write(&out.join("manifest.json"))
}

#[cfg(test)]
mod tests {
    use super::resolved;

    /// A folder that does not exist yet resolves under its nearest existing ancestor,
    /// `..` and `.` of the missing part taken lexically.
    #[test]
    fn a_path_not_made_yet_is_resolved_through_its_existing_ancestor() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        assert_eq!(resolved(dir.path()), Some(root.clone()));
        assert_eq!(
            resolved(&dir.path().join("new").join("sub")),
            Some(root.join("new").join("sub"))
        );
        assert_eq!(
            resolved(&dir.path().join("new").join("..")),
            Some(root.clone())
        );
        assert_eq!(
            resolved(
                &dir.path()
                    .join("new")
                    .join(".")
                    .join("x")
                    .join("..")
                    .join("y")
            ),
            Some(root.join("new").join("y"))
        );
    }
}
