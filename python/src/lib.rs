//! `apsp._apsp`: the native module behind the `apsp` Python package.
//!
//! Thin functions only: argument conversion, releasing the GIL around the work, and
//! mapping each core error variant to its Python exception (with `file`, `line` and
//! `column` attributes where known). Frames cross as polars DataFrames via pyo3-polars,
//! without copying.

use std::collections::BTreeMap;
use std::path::PathBuf;

use apsp_core::ingest::{Ambiguous, IngestOptions, Nonexistent, Profile};
use apsp_core::pseudo::key_source;
use apsp_core::validate::{summary, validate as core_validate, ValidateOutput};
use apsp_core::ApspError as CoreError;
use polars::prelude::*;
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyFileNotFoundError, PyOSError};
use pyo3::prelude::*;
use pyo3_polars::PyDataFrame;

create_exception!(
    apsp,
    ApspError,
    PyException,
    "Base class of every apsp error."
);
create_exception!(
    apsp,
    SchemaError,
    ApspError,
    "A file does not match its table: missing, unknown or mistyped columns, empty file."
);
create_exception!(
    apsp,
    ParseError,
    ApspError,
    "A file could not be read as CSV or Parquet at all."
);
create_exception!(
    apsp,
    ProfileError,
    ApspError,
    "An import profile is malformed or does not fit its file."
);
create_exception!(
    apsp,
    MatrixError,
    ApspError,
    "A risk matrix is malformed: unknown or missing keys, values out of range."
);
create_exception!(
    apsp,
    PseudonymisationError,
    ApspError,
    "Pseudonymisation was asked for but no usable key was given."
);
create_exception!(
    apsp,
    DatasetError,
    ApspError,
    "A dataset as a whole is unusable (e.g. no officers table)."
);
create_exception!(
    apsp,
    SettingError,
    ApspError,
    "A setting has a value the library does not know."
);
create_exception!(
    apsp,
    StoreError,
    ApspError,
    "The nightly store refused or failed: another run holds its lock, settings that \
     differ from the store's, a folder that is not a store, an unknown alert or outcome."
);
create_exception!(
    apsp,
    InternalError,
    ApspError,
    "A bug in apsp (e.g. broken row accounting); please report it."
);

/// Maps a core error to its Python exception, variant by variant.
fn to_py(py: Python<'_>, e: CoreError) -> PyErr {
    let msg = e.to_string();
    let (err, file, line, column): (PyErr, Option<String>, Option<u64>, Option<String>) = match e {
        CoreError::NotFound { path, .. } => {
            let err = PyFileNotFoundError::new_err((2, msg, path.display().to_string()));
            return err;
        }
        CoreError::Io { path, .. } => (
            PyOSError::new_err(msg),
            Some(path.display().to_string()),
            None,
            None,
        ),
        CoreError::Schema {
            file, line, column, ..
        } => (
            SchemaError::new_err(msg),
            Some(file.display().to_string()),
            line,
            column,
        ),
        CoreError::Csv { file, line, .. } => (
            ParseError::new_err(msg),
            Some(file.display().to_string()),
            line,
            None,
        ),
        CoreError::Parquet { file, .. } => (
            ParseError::new_err(msg),
            Some(file.display().to_string()),
            None,
            None,
        ),
        CoreError::Profile { profile, line, .. } => (
            ProfileError::new_err(msg),
            Some(profile.display().to_string()),
            line,
            None,
        ),
        CoreError::Matrix {
            source_name, line, ..
        } => (MatrixError::new_err(msg), Some(source_name), line, None),
        CoreError::Pseudonymisation(_) => (PseudonymisationError::new_err(msg), None, None, None),
        CoreError::Dataset { dir, .. } | CoreError::Output { dir, .. } => (
            DatasetError::new_err(msg),
            Some(dir.display().to_string()),
            None,
            None,
        ),
        CoreError::Setting { .. } => (SettingError::new_err(msg), None, None, None),
        CoreError::Accounting { file, .. } => (
            InternalError::new_err(msg),
            Some(file.display().to_string()),
            None,
            None,
        ),
        CoreError::Polars(_) | CoreError::Json(_) => {
            (InternalError::new_err(msg), None, None, None)
        }
    };
    let value = err.value(py);
    let _ = value.setattr("file", file);
    let _ = value.setattr("line", line);
    let _ = value.setattr("column", column);
    err
}

#[allow(clippy::too_many_arguments)]
fn options(
    profiles: Vec<PathBuf>,
    profile_dicts: Vec<String>,
    timezone: &str,
    ambiguous: &str,
    nonexistent: &str,
    pseudonymise: bool,
    key_file: Option<PathBuf>,
    key_env: Option<String>,
    ignore_extra_columns: bool,
    encoding: &str,
) -> apsp_core::Result<IngestOptions> {
    Ok(IngestOptions {
        encoding: apsp_core::ingest::TextEncoding::parse(encoding).ok_or_else(|| {
            CoreError::Setting {
                name: "encoding",
                value: encoding.to_string(),
                message: format!("use {}", apsp_core::ingest::TextEncoding::NAMES),
            }
        })?,
        timezone: timezone.to_string(),
        ambiguous: ambiguous.parse::<Ambiguous>()?,
        nonexistent: nonexistent.parse::<Nonexistent>()?,
        profiles: profiles
            .iter()
            .map(|p| Profile::load(p))
            .chain(
                profile_dicts.iter().enumerate().map(|(i, json)| {
                    Profile::from_json(json, &format!("<profile dict {}>", i + 1))
                }),
            )
            .collect::<apsp_core::Result<Vec<_>>>()?,
        pseudonymise: pseudonymise.then(|| key_source(key_file.as_deref(), key_env.as_deref())),
        ignore_extra_columns,
        ..IngestOptions::default()
    })
}

type Tables = BTreeMap<String, PyDataFrame>;

/// Reads and validates a dataset; writes outputs into `out` when given.
///
/// Returns (tables, quarantine, manifest JSON, summary text, exit code).
#[pyfunction]
#[pyo3(signature = (path, *, profiles=Vec::new(), profile_dicts=Vec::new(), timezone="Europe/London", ambiguous="earliest",
                    nonexistent="quarantine", pseudonymise=false, key_file=None, key_env=None,
                    out=None, write_tables=false, ignore_extra_columns=false, encoding="utf-8", overwrite=false))]
#[allow(clippy::too_many_arguments)]
fn validate(
    py: Python<'_>,
    path: PathBuf,
    profiles: Vec<PathBuf>,
    profile_dicts: Vec<String>,
    timezone: &str,
    ambiguous: &str,
    nonexistent: &str,
    pseudonymise: bool,
    key_file: Option<PathBuf>,
    key_env: Option<String>,
    out: Option<PathBuf>,
    write_tables: bool,
    ignore_extra_columns: bool,
    encoding: &str,
    overwrite: bool,
) -> PyResult<(Tables, PyDataFrame, String, String, i32)> {
    let res = py.detach(|| {
        let opts = options(
            profiles,
            profile_dicts,
            timezone,
            ambiguous,
            nonexistent,
            pseudonymise,
            key_file,
            key_env,
            ignore_extra_columns,
            encoding,
        )?;
        let (ds, outcome) = core_validate(
            &path,
            &opts,
            &ValidateOutput {
                out_dir: out.as_deref(),
                write_tables,
                overwrite,
            },
        )?;
        let text = summary(&ds);
        let manifest = ds.manifest.to_json()?;
        Ok::<_, CoreError>((ds, manifest, text, outcome.exit_code()))
    });
    let (ds, manifest, text, code) = res.map_err(|e| to_py(py, e))?;
    let tables = ds
        .tables
        .into_iter()
        .map(|(t, df)| (t.name().to_string(), PyDataFrame(df)))
        .collect();
    Ok((tables, PyDataFrame(ds.quarantine), manifest, text, code))
}

/// A scored run held for explanations and writing: the linked data, the results, and
/// the dataset's quarantine and manifest.
#[pyclass(frozen, module = "apsp._apsp")]
struct Scoring {
    scored: apsp_core::score::Scored,
    dataset: std::sync::Mutex<apsp_core::ingest::Dataset>,
}

#[pymethods]
impl Scoring {
    /// A readable account of one officer (see `apsp score --explain`).
    #[pyo3(signature = (officer_id, max_pairs=3))]
    fn explain(&self, py: Python<'_>, officer_id: &str, max_pairs: usize) -> PyResult<String> {
        apsp_core::explain::explain(&self.scored, officer_id, max_pairs).map_err(|e| to_py(py, e))
    }

    /// The case report of one officer: a self-contained HTML document.
    fn case_report(&self, py: Python<'_>, officer_id: &str) -> PyResult<String> {
        py.detach(|| apsp_core::report::case_report(&self.scored, officer_id))
            .map_err(|e| to_py(py, e))
    }

    /// (officers, pairs, signals, evidence) frames.
    fn frames(
        &self,
        py: Python<'_>,
    ) -> PyResult<(PyDataFrame, PyDataFrame, PyDataFrame, PyDataFrame)> {
        let f = py
            .detach(|| apsp_core::output::frames(&self.scored))
            .map_err(|e| to_py(py, e))?;
        Ok((
            PyDataFrame(f.officers),
            PyDataFrame(f.pairs),
            PyDataFrame(f.signals),
            PyDataFrame(f.evidence),
        ))
    }

    /// The quarantined rows.
    fn quarantine(&self) -> PyDataFrame {
        PyDataFrame(
            self.dataset
                .lock()
                .expect("not poisoned")
                .quarantine
                .clone(),
        )
    }

    /// Writes every output and manifest.json into `out`; returns the manifest (JSON).
    #[pyo3(signature = (out, csv=false, overwrite=false))]
    fn write(&self, py: Python<'_>, out: PathBuf, csv: bool, overwrite: bool) -> PyResult<String> {
        py.detach(|| {
            let mut ds = self.dataset.lock().expect("not poisoned");
            let opts = apsp_core::output::WriteOptions { csv, overwrite };
            apsp_core::output::write_outputs(&self.scored, &mut ds, &out, opts)?;
            ds.manifest.to_json()
        })
        .map_err(|e| to_py(py, e))
    }

    /// The manifest (JSON) as it stands: provenance, inputs, counts and scoring.
    fn manifest(&self, py: Python<'_>) -> PyResult<String> {
        let mut ds = self.dataset.lock().expect("not poisoned");
        ds.manifest.scoring = Some(apsp_core::output::provenance(&self.scored));
        ds.manifest.to_json().map_err(|e| to_py(py, e))
    }

    /// Every event of one officer x subject pair (see `explain::pair_events`).
    fn pair_events(
        &self,
        py: Python<'_>,
        officer_id: &str,
        subject_id: &str,
    ) -> PyResult<PyDataFrame> {
        apsp_core::explain::pair_events(&self.scored, officer_id, subject_id)
            .map(PyDataFrame)
            .map_err(|e| to_py(py, e))
    }

    /// The officer's involvements with the subject.
    fn pair_involvements(
        &self,
        py: Python<'_>,
        officer_id: &str,
        subject_id: &str,
    ) -> PyResult<PyDataFrame> {
        apsp_core::explain::pair_involvements(&self.scored, officer_id, subject_id)
            .map(PyDataFrame)
            .map_err(|e| to_py(py, e))
    }

    /// The officer's shifts overlapping the analysis window.
    fn officer_shifts(&self, py: Python<'_>, officer_id: &str) -> PyResult<PyDataFrame> {
        let (a, b) = self.scored.window;
        apsp_core::explain::officer_shifts(&self.scored, officer_id, a, b)
            .map(PyDataFrame)
            .map_err(|e| to_py(py, e))
    }

    /// The subject's home (lat, lon), if recorded.
    fn subject_home(&self, subject_id: &str) -> Option<(f64, f64)> {
        let l = &self.scored.linked;
        let j = *l.subject_index.get(subject_id)?;
        l.subjects[j].person.as_ref()?.home
    }

    /// The stop-near-home radius of the matrix in metres.
    fn radius_m(&self) -> f64 {
        self.scored.matrix.matrix.signals.stop_near_home.radius_m
    }

    /// The matrix's officer aggregation: `[officer]` `top_pairs` and `decay` (the
    /// research features' officer-level contributions follow it).
    fn officer_aggregation(&self) -> (u32, f64) {
        let o = &self.scored.matrix.matrix.officer;
        (o.top_pairs, o.decay)
    }

    /// Seconds per stage.
    fn timings(&self) -> Vec<(&'static str, f64)> {
        self.scored.timings.clone()
    }
}

/// The shipped default risk matrix (TOML text).
/// Maps a store error to its Python exception.
fn store_to_py(py: Python<'_>, e: apsp_store::StoreError) -> PyErr {
    match e {
        apsp_store::StoreError::Apsp(e) => to_py(py, e),
        apsp_store::StoreError::Io { path, source } => {
            PyOSError::new_err(format!("{}: {source}", path.display()))
        }
        other => StoreError::new_err(other.to_string()),
    }
}

fn json<T: serde::Serialize>(v: &T) -> Result<String, apsp_store::StoreError> {
    serde_json::to_string(v).map_err(|e| apsp_store::StoreError::Apsp(e.into()))
}

/// One night of the store (`apsp nightly`); returns its summary as JSON.
#[pyfunction]
#[pyo3(signature = (store, incoming, *, matrix=None, csv=false, replace_snapshots=Vec::new(), keep_outputs=None, profiles=Vec::new(), profile_dicts=Vec::new(),
                    timezone="Europe/London", ambiguous="earliest", nonexistent="quarantine",
                    pseudonymise=false, key_file=None, key_env=None, ignore_extra_columns=false,
                    encoding="utf-8"))]
#[allow(clippy::too_many_arguments)]
fn nightly(
    py: Python<'_>,
    store: PathBuf,
    incoming: PathBuf,
    matrix: Option<PathBuf>,
    csv: bool,
    replace_snapshots: Vec<String>,
    keep_outputs: Option<usize>,
    profiles: Vec<PathBuf>,
    profile_dicts: Vec<String>,
    timezone: &str,
    ambiguous: &str,
    nonexistent: &str,
    pseudonymise: bool,
    key_file: Option<PathBuf>,
    key_env: Option<String>,
    ignore_extra_columns: bool,
    encoding: &str,
) -> PyResult<String> {
    let ingest = options(
        profiles,
        profile_dicts,
        timezone,
        ambiguous,
        nonexistent,
        pseudonymise,
        key_file,
        key_env,
        ignore_extra_columns,
        encoding,
    )
    .map_err(|e| to_py(py, e))?;
    let opts = apsp_store::NightlyOptions {
        store,
        incoming,
        ingest,
        matrix,
        csv,
        replace_snapshots,
        keep_outputs,
    };
    py.detach(|| apsp_store::nightly(&opts, &|_| {}).and_then(|s| json(&s)))
        .map_err(|e| store_to_py(py, e))
}

/// A store's alerts (all, or in one state) as JSON.
#[pyfunction]
#[pyo3(signature = (store, state=None))]
fn store_alerts(py: Python<'_>, store: PathBuf, state: Option<String>) -> PyResult<String> {
    let run = || {
        let st = apsp_store::Store::open(&store)?;
        let state = match state.as_deref() {
            None => None,
            Some(s) => Some(apsp_store::AlertState::parse(s).ok_or_else(|| {
                apsp_store::StoreError::Store {
                    store: store.clone(),
                    message: format!("unknown alert state {s:?}: use new, persisting, escalated, resolved_by_system or reviewed"),
                }
            })?),
        };
        json(&st.alerts(state)?)
    };
    run().map_err(|e| store_to_py(py, e))
}

/// One alert (by number, or by officer and subject) with its score per run and its
/// history, as JSON.
#[pyfunction]
#[pyo3(signature = (store, alert=None, officer=None, subject=None))]
fn store_alert(
    py: Python<'_>,
    store: PathBuf,
    alert: Option<i64>,
    officer: Option<String>,
    subject: Option<String>,
) -> PyResult<String> {
    let run = || {
        let st = apsp_store::Store::open(&store)?;
        let a = match (alert, officer) {
            (Some(id), _) => st.alert(id)?,
            (None, Some(o)) => st.find_alert(&o, subject.as_deref())?,
            (None, None) => {
                return Err(apsp_store::StoreError::Store {
                    store: store.clone(),
                    message: "give an alert number or an officer id".into(),
                })
            }
        };
        let scores = st.scores(a.id)?;
        let history = st.history(Some(a.id))?;
        json(&serde_json::json!({"alert": a, "scores": scores, "history": history}))
    };
    run().map_err(|e| store_to_py(py, e))
}

/// State changes and reviews (of one alert, or all), oldest first, as JSON.
#[pyfunction]
#[pyo3(signature = (store, alert=None))]
fn store_history(py: Python<'_>, store: PathBuf, alert: Option<i64>) -> PyResult<String> {
    let run = || json(&apsp_store::Store::open(&store)?.history(alert)?);
    run().map_err(|e| store_to_py(py, e))
}

/// The store's runs, oldest first, as JSON.
#[pyfunction]
fn store_runs(py: Python<'_>, store: PathBuf) -> PyResult<String> {
    let run = || json(&apsp_store::Store::open(&store)?.runs()?);
    run().map_err(|e| store_to_py(py, e))
}

/// Prunes the bulky outputs of all but the newest `keep` runs; returns what it did,
/// as JSON.
#[pyfunction]
fn store_prune(py: Python<'_>, store: PathBuf, keep: usize) -> PyResult<String> {
    py.detach(|| apsp_store::prune_outputs(&store, keep).and_then(|p| json(&p)))
        .map_err(|e| store_to_py(py, e))
}

/// Replays a run from the store into `out`; returns the comparison with the run's
/// recorded outputs, as JSON.
#[pyfunction]
#[pyo3(signature = (store, run, out, overwrite=false))]
fn store_replay(
    py: Python<'_>,
    store: PathBuf,
    run: i64,
    out: PathBuf,
    overwrite: bool,
) -> PyResult<String> {
    py.detach(|| apsp_store::replay(&store, run, &out, overwrite).and_then(|r| json(&r)))
        .map_err(|e| store_to_py(py, e))
}

/// Records a review; returns the alert after it, as JSON.
#[pyfunction]
#[pyo3(signature = (store, alert, reviewer, outcome, note, seen_run=None))]
fn store_review(
    py: Python<'_>,
    store: PathBuf,
    alert: i64,
    reviewer: String,
    outcome: &str,
    note: String,
    seen_run: Option<i64>,
) -> PyResult<String> {
    let run = || {
        let st = apsp_store::Store::open(&store)?;
        let outcome =
            apsp_store::Outcome::parse(outcome).ok_or_else(|| apsp_store::StoreError::Store {
                store: store.clone(),
                message: format!(
                    "unknown outcome {outcome:?}: use no_concern, explained, referred or duplicate"
                ),
            })?;
        json(&st.review(
            alert,
            &apsp_store::Review {
                reviewer,
                outcome,
                note,
                seen_run,
            },
        )?)
    };
    run().map_err(|e| store_to_py(py, e))
}

/// The watchlist (or, with `history`, every change to it) as JSON.
#[pyfunction]
#[pyo3(signature = (store, history=false))]
fn store_watchlist(py: Python<'_>, store: PathBuf, history: bool) -> PyResult<String> {
    let run = || {
        let st = apsp_store::Store::open(&store)?;
        if history {
            json(&st.watchlist_history()?)
        } else {
            json(&st.watchlist()?)
        }
    };
    run().map_err(|e| store_to_py(py, e))
}

/// Puts an officer on the watchlist (`add`) or takes them off.
#[pyfunction]
fn store_watch(
    py: Python<'_>,
    store: PathBuf,
    officer: &str,
    by: &str,
    reason: &str,
    add: bool,
) -> PyResult<()> {
    let run = || {
        let st = apsp_store::Store::open(&store)?;
        if add {
            st.watch(officer, by, reason)
        } else {
            st.unwatch(officer, by, reason)
        }
    };
    run().map_err(|e| store_to_py(py, e))
}

#[pyfunction]
fn matrix_default() -> &'static str {
    apsp_core::matrix::DEFAULT_TOML
}

/// Checks a matrix's TOML text; returns (name, version, sha256).
#[pyfunction]
#[pyo3(signature = (text, source="edited"))]
fn matrix_check(py: Python<'_>, text: &str, source: &str) -> PyResult<(String, String, String)> {
    let m = apsp_core::score::RiskMatrix::parse(text, source).map_err(|e| to_py(py, e))?;
    Ok((m.matrix.name, m.matrix.version, m.sha256))
}

/// Keyed pseudonyms (apsp-core's `pseudo`, HMAC-SHA256) of officer (`kind="officer"`)
/// or subject (`"subject"`) ids for research exports; `None` stays `None`.
#[pyfunction]
fn research_pseudonyms(
    py: Python<'_>,
    key: &[u8],
    kind: &str,
    values: Vec<Option<String>>,
) -> PyResult<Vec<Option<String>>> {
    use apsp_core::pseudo::{Domain, Pseudonymiser};
    let domain = match kind {
        "officer" => Domain::Officer,
        "subject" => Domain::Subject,
        other => {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "kind must be officer or subject, not {other}"
            )))
        }
    };
    let p = Pseudonymiser::from_key(key).map_err(|e| to_py(py, e))?;
    Ok(py.detach(|| {
        values
            .iter()
            .map(|v| v.as_deref().map(|v| p.pseudonym(domain, v)))
            .collect()
    }))
}

/// Sets a dotted key of a matrix's TOML text (comments kept); returns the new text.
#[pyfunction]
#[pyo3(signature = (text, key, value, source="edited"))]
fn matrix_set(
    py: Python<'_>,
    text: &str,
    key: &str,
    value: &Bound<'_, PyAny>,
    source: &str,
) -> PyResult<String> {
    use apsp_core::matrix::MatrixValue;
    let v = if let Ok(b) = value.cast::<pyo3::types::PyBool>() {
        MatrixValue::Bool(b.is_true())
    } else if let Ok(i) = value.extract::<i64>() {
        MatrixValue::Int(i)
    } else if let Ok(f) = value.extract::<f64>() {
        MatrixValue::Float(f)
    } else if let Ok(s) = value.extract::<String>() {
        MatrixValue::Str(s)
    } else if let Ok(l) = value.extract::<Vec<String>>() {
        MatrixValue::List(l)
    } else {
        return Err(to_py(
            py,
            CoreError::Matrix {
                source_name: source.to_string(),
                line: None,
                message: format!(
                    "{key}: a value must be a bool, number, string or list of strings"
                ),
            },
        ));
    };
    apsp_core::score::RiskMatrix::edit(text, key, v, source).map_err(|e| to_py(py, e))
}

/// Reads, links and scores a dataset.
#[pyfunction]
#[pyo3(signature = (path, *, matrix=None, matrix_text=None, reference_time=None, window_days=None,
                    keep_all_findings=false, keep_events=true, profiles=Vec::new(), profile_dicts=Vec::new(),
                    timezone="Europe/London",
                    ambiguous="earliest", nonexistent="quarantine", pseudonymise=false,
                    key_file=None, key_env=None, ignore_extra_columns=false, encoding="utf-8",
                    progress=false))]
#[allow(clippy::too_many_arguments)]
fn score(
    py: Python<'_>,
    path: PathBuf,
    matrix: Option<PathBuf>,
    matrix_text: Option<(String, String)>,
    reference_time: Option<String>,
    window_days: Option<u32>,
    keep_all_findings: bool,
    keep_events: bool,
    profiles: Vec<PathBuf>,
    profile_dicts: Vec<String>,
    timezone: &str,
    ambiguous: &str,
    nonexistent: &str,
    pseudonymise: bool,
    key_file: Option<PathBuf>,
    key_env: Option<String>,
    ignore_extra_columns: bool,
    encoding: &str,
    progress: bool,
) -> PyResult<Scoring> {
    py.detach(|| {
        let opts = options(
            profiles,
            profile_dicts,
            timezone,
            ambiguous,
            nonexistent,
            pseudonymise,
            key_file,
            key_env,
            ignore_extra_columns,
            encoding,
        )?;
        let matrix = match &matrix_text {
            Some((text, source)) => apsp_core::score::RiskMatrix::parse(text, source)?,
            None => apsp_core::score::RiskMatrix::load_or_default(matrix.as_deref())?,
        };
        let score_opts = apsp_core::score::ScoreOptions {
            reference_time: reference_time
                .as_deref()
                .map(|t| apsp_core::score::parse_reference_time(t, &opts))
                .transpose()?,
            window_days,
            keep_all_findings,
            keep_events,
        };
        let started = std::time::Instant::now();
        // A line per stage on stderr (a notebook shows it): a long run is not silent.
        let say = |stage: &str| {
            if progress {
                eprintln!("apsp: {stage} ({:.1} s)", started.elapsed().as_secs_f64());
            }
        };
        say("reading");
        let mut ds = apsp_core::read_dataset(&path, &opts)?;
        let scored = apsp_core::score::score_releasing(&mut ds, &matrix, &score_opts, &say)?;
        say("scored");
        Ok(Scoring {
            scored,
            dataset: std::sync::Mutex::new(ds),
        })
    })
    .map_err(|e: CoreError| to_py(py, e))
}

/// Generates a synthetic force into `out`; returns the labels frame.
#[pyfunction]
#[pyo3(signature = (out, *, officers=200, days=90, seed=1, start="2026-01-05", format="csv", inject_errors=0.0, plant_rate=None, realism="clean", stops=None, households=None, duplicate_persons=None, shared_numbers=None, pooled_phones=None, no_durations=None, partial_rosters=None, overtime=None, stale_cases=None, clock_skew=None, latitude=None))]
#[allow(clippy::too_many_arguments)]
fn synth(
    py: Python<'_>,
    out: PathBuf,
    officers: usize,
    days: u32,
    seed: u64,
    start: &str,
    format: &str,
    inject_errors: f64,
    plant_rate: Option<f64>,
    realism: &str,
    stops: Option<&str>,
    households: Option<f64>,
    duplicate_persons: Option<f64>,
    shared_numbers: Option<f64>,
    pooled_phones: Option<f64>,
    no_durations: Option<f64>,
    partial_rosters: Option<f64>,
    overtime: Option<f64>,
    stale_cases: Option<f64>,
    clock_skew: Option<f64>,
    latitude: Option<f64>,
) -> PyResult<PyDataFrame> {
    let cfg = (|| -> apsp_core::Result<apsp_synth::SynthConfig> {
        // A preset, then any single setting overridden.
        let mut r = apsp_synth::Realism::preset(realism)?;
        if let Some(s) = stops {
            r.stops = s.parse()?;
        }
        for (x, v) in [
            (&mut r.households, households),
            (&mut r.duplicate_persons, duplicate_persons),
            (&mut r.shared_numbers, shared_numbers),
            (&mut r.pooled_phones, pooled_phones),
            (&mut r.no_durations, no_durations),
            (&mut r.partial_rosters, partial_rosters),
            (&mut r.overtime, overtime),
            (&mut r.stale_cases, stale_cases),
            (&mut r.clock_skew, clock_skew),
        ] {
            if let Some(v) = v {
                *x = v;
            }
        }
        if latitude.is_some() {
            r.latitude = latitude;
        }
        Ok(apsp_synth::SynthConfig {
            officers,
            days,
            seed,
            start: apsp_synth::parse_start(start)?,
            format: format.parse()?,
            inject_errors,
            plant_rate,
            realism: r,
        })
    })()
    .map_err(|e| to_py(py, e))?;
    let res = py.detach(|| {
        apsp_synth::generate(&out, &cfg)?;
        apsp_core::output::read_parquet(&out.join("labels.parquet"))
    });
    res.map(PyDataFrame).map_err(|e| to_py(py, e))
}

/// A frame with every dtype the library exchanges, built in Rust.
fn selftest_df() -> PolarsResult<DataFrame> {
    let ts: Int64Chunked = [Some(1_774_744_200_000_000i64), None, Some(0)]
        .into_iter()
        .collect();
    let days: Int32Chunked = [Some(20_000), Some(-1), None].into_iter().collect();
    DataFrame::new_infer_height(vec![
        Column::new("s".into(), [Some("a"), None, Some("ünïcödé +447700900123")]),
        Column::new("i".into(), [Some(1i64), Some(-2), None]),
        Column::new("f".into(), [Some(51.5074f64), None, Some(-0.1278)]),
        Column::new("b".into(), [Some(true), Some(false), None]),
        ts.with_name("t".into())
            .into_datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
            .into_column(),
        days.with_name("d".into()).into_date().into_column(),
    ])
}

/// Returns the Rust-built self-test frame (Rust -> Python).
#[pyfunction]
fn _selftest_frame() -> PyResult<PyDataFrame> {
    selftest_df()
        .map(PyDataFrame)
        .map_err(|e| InternalError::new_err(e.to_string()))
}

/// True if `df` (Python -> Rust) equals the Rust-built self-test frame, dtypes included.
#[pyfunction]
fn _selftest_equals(df: PyDataFrame) -> PyResult<bool> {
    let expected = selftest_df().map_err(|e| InternalError::new_err(e.to_string()))?;
    Ok(df.0.equals_missing(&expected) && df.0.schema() == expected.schema())
}

/// Passes a frame through Rust unchanged (Python -> Rust -> Python).
#[pyfunction]
fn _echo_frame(df: PyDataFrame) -> PyDataFrame {
    df
}

/// The library version.
#[pyfunction]
fn version() -> &'static str {
    apsp_core::VERSION
}

#[pymodule]
fn _apsp(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_function(wrap_pyfunction!(validate, m)?)?;
    m.add_function(wrap_pyfunction!(version, m)?)?;
    m.add_function(wrap_pyfunction!(synth, m)?)?;
    m.add_function(wrap_pyfunction!(score, m)?)?;
    m.add_function(wrap_pyfunction!(matrix_default, m)?)?;
    m.add_function(wrap_pyfunction!(nightly, m)?)?;
    m.add_function(wrap_pyfunction!(store_alerts, m)?)?;
    m.add_function(wrap_pyfunction!(store_alert, m)?)?;
    m.add_function(wrap_pyfunction!(store_history, m)?)?;
    m.add_function(wrap_pyfunction!(store_runs, m)?)?;
    m.add_function(wrap_pyfunction!(store_prune, m)?)?;
    m.add_function(wrap_pyfunction!(store_replay, m)?)?;
    m.add_function(wrap_pyfunction!(store_review, m)?)?;
    m.add_function(wrap_pyfunction!(store_watchlist, m)?)?;
    m.add_function(wrap_pyfunction!(store_watch, m)?)?;
    m.add_function(wrap_pyfunction!(matrix_check, m)?)?;
    m.add_function(wrap_pyfunction!(research_pseudonyms, m)?)?;
    m.add_function(wrap_pyfunction!(matrix_set, m)?)?;
    m.add_class::<Scoring>()?;
    m.add_function(wrap_pyfunction!(_selftest_frame, m)?)?;
    m.add_function(wrap_pyfunction!(_selftest_equals, m)?)?;
    m.add_function(wrap_pyfunction!(_echo_frame, m)?)?;
    m.add("ApspError", py.get_type::<ApspError>())?;
    m.add("SchemaError", py.get_type::<SchemaError>())?;
    m.add("ParseError", py.get_type::<ParseError>())?;
    m.add("ProfileError", py.get_type::<ProfileError>())?;
    m.add("MatrixError", py.get_type::<MatrixError>())?;
    m.add(
        "PseudonymisationError",
        py.get_type::<PseudonymisationError>(),
    )?;
    m.add("DatasetError", py.get_type::<DatasetError>())?;
    m.add("SettingError", py.get_type::<SettingError>())?;
    m.add("InternalError", py.get_type::<InternalError>())?;
    m.add("StoreError", py.get_type::<StoreError>())?;
    Ok(())
}
