//! One night: take the new export files into the store, score the rolling window
//! from the store, write the run's outputs and move the alerts.
//!
//! A night commits in two steps, each one SQLite transaction: the data (its files and
//! parts, written and synced before), then the outputs and alerts (the run folder is
//! complete and renamed into place before). A night killed before the first leaves
//! the store as it was (its files are swept away when the store is next opened); one
//! killed between them is finished by the next night before its own work, so the
//! store always ends as if no night had been interrupted.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use apsp_core::ingest::manifest::Settings;
use apsp_core::ingest::{read_settings, IngestOptions};
use apsp_core::matrix::{LoadedMatrix, RiskMatrix};
use apsp_core::pseudo::Pseudonymiser;
use apsp_core::score::{score_releasing, ScoreOptions};
use rusqlite::params;
use serde::Serialize;

use crate::alerts::{self, AlertCounts, AlertRules};
use crate::lock::StoreLock;
use crate::runs::{prune_locked, PruneSummary};
use crate::take::{self, DeliveredFile};
use crate::{layout, morning, scope, Result, Store, StoreError};

/// The environment variable naming a point where a night aborts the process, as a
/// `kill -9` would there (tests of crash safety; see [`fault_point`]).
pub const FAULT_ENV: &str = "APSP_FAULT_AT";

/// The points a night passes, in order; [`FAULT_ENV`] names one (`part-renamed` is
/// passed once per data file, `part-renamed:N` aborts at the N-th).
pub const FAULT_POINTS: [&str; 6] = [
    "part-renamed",
    "parts-written",
    "data-committed",
    "outputs-written",
    "run-folder-renamed",
    "alerts-committed",
];

/// Aborts the process at `point` when [`FAULT_ENV`] names it: no destructor runs, no
/// buffer is flushed, as when the process is killed.
pub fn fault_point(point: &str) {
    use std::sync::atomic::{AtomicU64, Ordering};
    static PASSED: AtomicU64 = AtomicU64::new(0);
    let Ok(want) = std::env::var(FAULT_ENV) else {
        return;
    };
    let (name, nth) = match want.split_once(':') {
        Some((n, k)) => (n.to_string(), k.parse::<u64>().unwrap_or(1)),
        None => (want.clone(), 1),
    };
    if name == point && PASSED.fetch_add(1, Ordering::SeqCst) + 1 == nth {
        std::process::abort();
    }
}

/// How to run a night.
#[derive(Debug, Clone)]
pub struct NightlyOptions {
    pub store: PathBuf,
    /// The night's delivery: a folder laid out as a dataset (one file or folder per
    /// table); files the store took before are not read again.
    pub incoming: PathBuf,
    pub ingest: IngestOptions,
    pub matrix: Option<PathBuf>,
    /// Also write the outputs as CSV.
    pub csv: bool,
    /// Snapshot tables to replace tonight even if the delivery keeps fewer than half
    /// their rows (a force that really shrank).
    pub replace_snapshots: Vec<String>,
    /// After the night, prune the bulky outputs of all but this many newest runs
    /// (see [`crate::runs`]); `None` keeps every run's.
    pub keep_outputs: Option<usize>,
}

/// A time the store recorded (`2026-12-05T02:30:00Z`), in UTC microseconds; `None`
/// for a text that is not one (never written by the store).
fn micros_of(recorded: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(recorded)
        .ok()
        .map(|t| t.timestamp_micros())
}

/// What a night did, for logs and `--json`.
#[derive(Debug, Clone, Serialize)]
pub struct NightlySummary {
    pub store: String,
    pub run: i64,
    /// The run's output folder, relative to the store.
    pub folder: String,
    /// Earlier nights killed after their data committed, finished first.
    pub finished_earlier: Vec<i64>,
    /// Files a killed night left behind, removed.
    pub swept: Vec<String>,
    pub files: Vec<DeliveredFile>,
    /// Files in the incoming folder that belong to no table (not read).
    pub ignored_files: Vec<String>,
    /// Rows added to the store tonight, by table.
    pub rows_added: BTreeMap<String, u64>,
    pub quarantined: u64,
    pub quarantined_by_reason: BTreeMap<String, u64>,
    pub officers: u64,
    pub pairs: u64,
    pub alerts: AlertCounts,
    /// What the morning report opens with: nothing new taken, files not read, a
    /// snapshot that shrank, an event table whose exports stopped (empty on an
    /// ordinary night).
    pub notices: Vec<String>,
    /// What `keep_outputs` pruned after the night.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pruned: Option<PruneSummary>,
    /// 0: done; 1: done, with rows quarantined tonight.
    pub exit_code: i32,
    /// Seconds per stage.
    pub timings: Timings,
}

/// Seconds per stage of a night, for logs and benchmarks (never in the outputs).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timings {
    pub stages: Vec<(String, f64)>,
    #[serde(skip)]
    last: Option<std::time::Instant>,
}

impl Timings {
    /// Records the time since the last lap (or since the start) as `stage`.
    pub(crate) fn lap(&mut self, stage: &str) {
        let now = std::time::Instant::now();
        let since = self.last.unwrap_or(now);
        self.stages
            .push((stage.to_string(), (now - since).as_secs_f64()));
        self.last = Some(now);
    }

    /// Records `secs` as `stage` without a lap (a part of the last lap, for the log).
    pub(crate) fn note(&mut self, stage: &str, secs: f64) {
        self.stages.push((stage.to_string(), secs));
    }

    fn start() -> Self {
        Timings {
            stages: Vec::new(),
            last: Some(std::time::Instant::now()),
        }
    }
}

/// Runs one night (see the module docs).
pub fn nightly(opts: &NightlyOptions, progress: &dyn Fn(&str)) -> Result<NightlySummary> {
    let mut timings = Timings::start();
    if opts.keep_outputs == Some(0) {
        return Err(StoreError::store(
            &opts.store,
            "--keep-outputs must be at least 1: the newest run's outputs are what this \
             morning's review reads",
        ));
    }
    let matrix = RiskMatrix::load_or_default(opts.matrix.as_deref())?;
    let matrix_toml = match &opts.matrix {
        Some(p) => std::fs::read_to_string(p).map_err(|e| StoreError::io(p, e))?,
        None => apsp_core::matrix::DEFAULT_TOML.to_string(),
    };
    let pseudo = match &opts.ingest.pseudonymise {
        Some(src) => Some(Pseudonymiser::load(src)?),
        None => None,
    };
    let settings = read_settings(&opts.ingest, pseudo.as_ref());
    if !opts.incoming.is_dir() {
        return Err(StoreError::Apsp(apsp_core::ApspError::NotFound {
            what: "incoming folder",
            path: opts.incoming.clone(),
        }));
    }
    apsp_core::output::refuse_out_beside_input(&opts.incoming, &opts.store)?;
    Store::prepare_folder(&opts.store)?;
    let _lock = StoreLock::take(&opts.store)?;
    let store = Store::connect(&opts.store)?;
    let swept = store.sweep()?;
    let new_settings = check_settings(&store, &settings)?;
    let incoming = opts.incoming.display().to_string();
    let mut finished_earlier = Vec::new();
    for run in unfinished_runs(&store)? {
        progress(&format!("finishing run {run}, interrupted after its data"));
        finish(&store, run, &settings, None, &mut timings)?;
        finished_earlier.push(run);
    }
    let run = store.next_run()?;
    progress("taking the new files");
    timings.lap("open the store");
    let mut taken = take::take(
        &store,
        &opts.incoming,
        &opts.ingest,
        run,
        &opts.replace_snapshots,
        &mut timings,
    )?;
    refuse_a_store_without_officers_or_events(&store, &taken)?;
    fault_point("parts-written");
    let folder = layout::run_folder(run, &chrono::Local::now().format("%Y-%m-%d").to_string());
    let this_run = RunRecord {
        run,
        incoming: &incoming,
        folder: &folder,
        matrix_toml: &matrix_toml,
        matrix_source: &matrix.source,
        csv: opts.csv,
        new_settings: new_settings.as_deref(),
    };
    commit_data(&store, &taken, &this_run)?;
    fault_point("data-committed");
    let added = Added::of(taken.delivery.take());
    progress("scoring the window from the store");
    timings.lap("commit the data");
    let scored = finish(&store, run, &settings, Some(&matrix), &mut timings)?;
    let mut notices = scored.notices;
    // Tonight's run is complete whatever pruning meets: a failure is said, not fatal.
    let pruned = match opts.keep_outputs {
        Some(keep) => {
            let pruned = prune_locked(&store, keep);
            timings.lap("prune old runs' outputs");
            match pruned {
                Ok(p) => Some(p),
                Err(e) => {
                    notices.push(format!(
                        "Pruning older runs' outputs failed ({e}): tonight's run is complete; \
                         prune with `apsp runs prune` once the cause is fixed"
                    ));
                    None
                }
            }
        }
        None => None,
    };
    let Added {
        rows_added,
        quarantined_by_reason,
        quarantined,
    } = added;
    Ok(NightlySummary {
        store: opts.store.display().to_string(),
        run,
        folder,
        finished_earlier,
        swept,
        files: taken.files,
        ignored_files: taken.ignored.iter().map(|f| f.file.clone()).collect(),
        rows_added,
        quarantined,
        quarantined_by_reason,
        officers: scored.officers,
        pairs: scored.pairs,
        alerts: scored.alerts,
        notices,
        pruned,
        exit_code: i32::from(quarantined > 0),
        timings,
    })
}

/// What tonight's delivery added, counted before the window is scored: the delivery
/// itself is dropped then (a first night's is a year of rows, and the store's copy is
/// read back to score: holding both doubled the night's peak memory).
struct Added {
    rows_added: BTreeMap<String, u64>,
    quarantined_by_reason: BTreeMap<String, u64>,
    quarantined: u64,
}

impl Added {
    fn of(delivery: Option<apsp_core::ingest::Delivery>) -> Added {
        let mut added = Added {
            rows_added: BTreeMap::new(),
            quarantined_by_reason: BTreeMap::new(),
            quarantined: 0,
        };
        if let Some(d) = delivery {
            for (t, df) in &d.dataset.tables {
                added
                    .rows_added
                    .insert(t.name().to_string(), df.height() as u64);
            }
            for q in &d.quarantine_rows {
                *added
                    .quarantined_by_reason
                    .entry(q.reason.code().to_string())
                    .or_insert(0) += 1;
            }
            added.quarantined = d.quarantine_rows.len() as u64;
        }
        added
    }
}

/// The settings that decide what the stored rows mean: the first night to commit
/// records them (returned here as JSON, recorded with its data), and a night with
/// other settings is refused (its rows would not mix).
fn check_settings(store: &Store, s: &Settings) -> Result<Option<String>> {
    let mut profiles: BTreeMap<String, String> = BTreeMap::new();
    for p in &s.profiles {
        profiles.insert(p.table.clone(), p.sha256.clone());
    }
    let wanted: BTreeMap<&str, String> = BTreeMap::from([
        ("timezone", s.timezone.clone()),
        (
            "ambiguous",
            serde_json::to_string(&s.ambiguous).unwrap_or_default(),
        ),
        (
            "nonexistent",
            serde_json::to_string(&s.nonexistent).unwrap_or_default(),
        ),
        (
            "encoding",
            serde_json::to_string(&s.encoding).unwrap_or_default(),
        ),
        ("ignore_extra_columns", s.ignore_extra_columns.to_string()),
        (
            "pseudonymisation key",
            s.key_id
                .clone()
                .unwrap_or_else(|| "none (numbers in clear)".into()),
        ),
        (
            "import profiles (table: SHA-256)",
            serde_json::to_string(&profiles).unwrap_or_default(),
        ),
    ]);
    let Some(recorded) = store.meta("settings")? else {
        let json = serde_json::to_string_pretty(&wanted).map_err(apsp_core::ApspError::from)?;
        return Ok(Some(json));
    };
    let recorded: BTreeMap<String, String> = serde_json::from_str(&recorded).map_err(|e| {
        StoreError::store(
            &store.path,
            format!("its recorded settings are unreadable: {e}"),
        )
    })?;
    let differences: Vec<String> = wanted
        .iter()
        .filter(|(k, v)| recorded.get(**k) != Some(*v))
        .map(|(k, v)| {
            format!(
                "{k}: the store's is {}, this run's {v}",
                recorded.get(*k).map(String::as_str).unwrap_or("unset")
            )
        })
        .collect();
    if differences.is_empty() {
        return Ok(None);
    }
    Err(StoreError::store(
        &store.path,
        format!(
            "this run's settings differ from the store's, and rows read with both would not mix ({}); \
             run with the store's settings, or start a new store",
            differences.join("; ")
        ),
    ))
}

/// A night is refused before it commits when the store would still hold no officers
/// or no event table: nothing could be scored, and a committed night that cannot be
/// scored would stop every later one.
fn refuse_a_store_without_officers_or_events(store: &Store, taken: &take::Taken) -> Result<()> {
    use apsp_core::Table;
    let delivered = |t: Table| {
        taken
            .delivery
            .as_ref()
            .is_some_and(|d| d.dataset.tables.contains_key(&t))
    };
    let held = |t: Table| -> Result<bool> {
        Ok(delivered(t)
            || scope::snapshot_run(store, t, i64::MAX)?.is_some()
            || !scope::event_parts(store, t, i64::MAX)?.is_empty())
    };
    let missing = if !held(Table::Officers)? {
        Some("no officers table has been delivered (officers.csv, officers.parquet or officers/)")
    } else if !(held(Table::Billing)? || held(Table::Stops)? || held(Table::AccessLog)?) {
        Some("no event table has been delivered: at least one of billing, stops or access_log")
    } else {
        None
    };
    match missing {
        Some(m) => {
            for p in &taken.parts {
                let _ = std::fs::remove_file(store.path.join(&p.path));
            }
            Err(StoreError::store(
                &store.path,
                format!("{m}; nothing was taken"),
            ))
        }
        None => Ok(()),
    }
}

/// Nights whose data committed but whose outputs and alerts did not.
fn unfinished_runs(store: &Store) -> Result<Vec<i64>> {
    let mut stmt = store
        .conn
        .prepare("SELECT id FROM runs WHERE status = 'ingested' ORDER BY id")
        .map_err(|e| store.sql(e))?;
    let rows = stmt
        .query_map([], |r| r.get::<_, i64>(0))
        .map_err(|e| store.sql(e))?;
    rows.collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| store.sql(e))
}

/// A run as its data commits: what it is scored with, also when the next night
/// finishes it.
struct RunRecord<'a> {
    run: i64,
    incoming: &'a str,
    folder: &'a str,
    matrix_toml: &'a str,
    matrix_source: &'a str,
    csv: bool,
    /// The store's settings, on the first night to commit.
    new_settings: Option<&'a str>,
}

/// Records the night's data: its run, files and parts (and, on the first night, the
/// store's settings), in one transaction.
fn commit_data(store: &Store, taken: &take::Taken, r: &RunRecord<'_>) -> Result<()> {
    let tx = crate::db::write_transaction(&store.conn).map_err(|e| store.sql(e))?;
    tx.execute(
        "INSERT INTO runs(id, started_at, status, incoming, folder, matrix_toml, matrix_source, csv)
         VALUES (?1, ?2, 'ingested', ?3, ?4, ?5, ?6, ?7)",
        params![
            r.run,
            crate::db::now(),
            r.incoming,
            r.folder,
            r.matrix_toml,
            r.matrix_source,
            r.csv
        ],
    )
    .map_err(|e| store.sql(e))?;
    if let Some(settings) = r.new_settings {
        store.set_meta("settings", settings)?;
    }
    take::record(&tx, store, taken, r.run)?;
    tx.commit().map_err(|e| store.sql(e))
}

/// What scoring a run gave.
struct Finished {
    officers: u64,
    pairs: u64,
    alerts: AlertCounts,
    notices: Vec<String>,
}

/// What a run recorded when its data committed: how to finish it as it would have
/// been finished that night.
pub(crate) struct RecordedRun {
    pub folder: String,
    pub incoming: String,
    pub matrix_toml: String,
    pub matrix_source: String,
    pub csv: bool,
    pub started_at: String,
}

impl RecordedRun {
    pub(crate) fn of(store: &Store, run: i64) -> Result<RecordedRun> {
        store
            .conn
            .query_row(
                "SELECT folder, incoming, matrix_toml, matrix_source, csv, started_at FROM runs WHERE id = ?1",
                [run],
                |r| {
                    Ok(RecordedRun {
                        folder: r.get(0)?,
                        incoming: r.get(1)?,
                        matrix_toml: r.get(2)?,
                        matrix_source: r.get(3)?,
                        csv: r.get(4)?,
                        started_at: r.get(5)?,
                    })
                },
            )
            .map_err(|e| store.sql(e))
    }
}

/// Scores run `run`'s window from the store, writes its folder and moves the alerts.
/// `matrix`: tonight's, already read; a run finished late is scored with the matrix
/// recorded when its data committed.
fn finish(
    store: &Store,
    run: i64,
    settings: &Settings,
    matrix: Option<&LoadedMatrix>,
    timings: &mut Timings,
) -> Result<Finished> {
    let RecordedRun {
        folder,
        incoming,
        matrix_toml: toml,
        matrix_source: source,
        csv,
        started_at: started,
    } = RecordedRun::of(store, run)?;
    let recorded;
    let matrix = match matrix {
        Some(m) => m,
        None => {
            recorded = RiskMatrix::parse(&toml, &source)?;
            &recorded
        }
    };
    let mut ds = scope::dataset_as_of(store, run, &incoming, settings.clone())?;
    timings.lap("read the store");
    let coverage = morning::coverage(&ds)?;
    timings.lap("coverage for the report");
    let scored = score_releasing(&mut ds, matrix, &ScoreOptions::default(), &|_| {})?;
    timings.lap("score");
    for (stage, secs) in &scored.timings {
        timings.note(&format!("  of which {stage}"), *secs);
    }
    let done = store.path.join(&folder);
    let tmp = layout::tmp_path(&done);
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(|e| StoreError::io(&tmp, e))?;
    }
    apsp_core::output::write_outputs(
        &scored,
        &mut ds,
        &tmp,
        apsp_core::output::WriteOptions {
            csv,
            overwrite: false,
        },
    )?;
    timings.lap("write the outputs");
    layout::sync_tree(&tmp)?;
    fault_point("outputs-written");
    timings.lap("sync the outputs to disk");
    if done.exists() {
        std::fs::remove_dir_all(&done).map_err(|e| StoreError::io(&done, e))?;
    }
    std::fs::rename(&tmp, &done).map_err(|e| StoreError::io(&done, e))?;
    layout::sync_dir(done.parent().unwrap_or(Path::new(".")))?;
    layout::sync_dir(&store.path)?;
    fault_point("run-folder-renamed");
    let rules = AlertRules::of(&matrix.matrix);
    let tx = crate::db::write_transaction(&store.conn).map_err(|e| store.sql(e))?;
    let identify = |subject: &str| -> Option<String> {
        scored
            .linked
            .person_of_number(subject)
            .map(|p| p.id.clone())
    };
    let counts = alerts::update(&tx, store, run, &done, &rules, &identify)?;
    timings.lap("move the alerts");
    let mut quarantined: BTreeMap<String, u64> = BTreeMap::new();
    if let Ok(reasons) = ds
        .quarantine
        .column("reason")
        .and_then(|c| c.str().cloned())
    {
        for r in reasons.iter().flatten() {
            *quarantined.entry(r.to_string()).or_default() += 1;
        }
    }
    let report = morning::report(
        store,
        &morning::Night {
            run,
            folder: &folder,
            scored: &scored,
            coverage: &coverage,
            quarantined,
            started: micros_of(&started),
        },
    )?;
    layout::write_whole(&done.join(morning::FILE_NAME), |f| {
        use std::io::Write;
        f.write_all(report.html.as_bytes())
            .map_err(|e| StoreError::io(&done, e))
    })?;
    tx.execute(
        "UPDATE runs SET status = 'done', finished_at = ?1, reference_time = ?2, matrix_sha256 = ?3, summary = ?4 WHERE id = ?5",
        params![
            crate::db::now(),
            apsp_core::ingest::time::fmt_utc(scored.reference),
            matrix.sha256,
            serde_json::to_string(&counts).map_err(apsp_core::ApspError::from)?,
            run
        ],
    )
    .map_err(|e| store.sql(e))?;
    tx.commit().map_err(|e| store.sql(e))?;
    timings.lap("the morning report");
    fault_point("alerts-committed");
    Ok(Finished {
        officers: scored.officers.len() as u64,
        pairs: scored.pairs.len() as u64,
        alerts: counts,
        notices: report.notices,
    })
}
