//! `apsp`: the command line for nightly batch jobs.
//!
//! Exit codes: 0 clean, 1 rows quarantined (the run finished; review the quarantine),
//! 2 fatal (nothing trustworthy was produced; the message names file, line and column).

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use apsp_core::ingest::{Ambiguous, IngestOptions, Nonexistent, Profile};
use apsp_core::pseudo::key_source;
use apsp_core::validate::{summary, validate, ValidateOutput};
use clap::{Args, Parser, Subcommand};

mod research_cmd;
mod store_cmd;

/// mimalloc: threads reuse memory other threads freed (glibc's per-thread arenas kept
/// the freed input tables out of reach of the scoring threads: 1.5 GiB more at peak).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "apsp",
    version,
    about = "Warning signs of abuse of position for a sexual purpose, for review"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Read a dataset, report rows and quarantined rows per table, write
    /// quarantine.parquet and manifest.json.
    Validate {
        /// Folder with one file (or folder of files) per table.
        dataset_dir: PathBuf,
        #[command(flatten)]
        ingest: IngestArgs,
        /// Where to write quarantine.parquet and manifest.json.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Also write each canonical table as <table>.parquet into --out.
        #[arg(long, requires = "out")]
        tables: bool,
        /// Write into an --out folder that already holds files (apsp's outputs from an
        /// earlier run there are replaced; other files stay).
        #[arg(long, requires = "out")]
        overwrite: bool,
    },
    /// Score every officer and officer x subject pair against the twelve warning signs
    /// (warning signs for review, never a verdict); write officers, pairs, signals,
    /// evidence, quarantine (Parquet; --csv also CSV) and manifest.json.
    Score {
        /// Folder with one file (or folder of files) per table.
        dataset_dir: PathBuf,
        #[command(flatten)]
        ingest: IngestArgs,
        /// Where to write the outputs.
        #[arg(long)]
        out: PathBuf,
        /// Risk matrix (TOML); default: the shipped matrix.
        #[arg(long, value_name = "FILE")]
        matrix: Option<PathBuf>,
        /// End of the analysis window (ISO 8601; without an offset, local time in
        /// --timezone, as the data's times are read); default: the latest event in the
        /// data, setting aside a few events out of line with the rest (a device clock
        /// years out: counted in the manifest and warned about).
        #[arg(long, value_name = "T")]
        reference_time: Option<String>,
        /// Length of the analysis window in days; default: the matrix's.
        #[arg(long, value_name = "N")]
        window_days: Option<u32>,
        /// Also write every output as CSV.
        #[arg(long)]
        csv: bool,
        /// Write into an --out folder that already holds files (apsp's outputs from an
        /// earlier run there are replaced; other files stay).
        #[arg(long)]
        overwrite: bool,
        /// Print the explanation of this officer after scoring (`top`: the officer
        /// ranked first).
        #[arg(long, value_name = "OFFICER_ID")]
        explain: Option<String>,
        /// Also write the case report of this officer (`top`: the officer ranked first)
        /// as case_report_<OFFICER_ID>.html into --out: one self-contained HTML file
        /// (opens offline) with the score, what it rests on, a timeline and the
        /// evidence rows with their file and line.
        #[arg(long, value_name = "OFFICER_ID")]
        report: Option<String>,
        /// Print seconds per stage (read, link, stops near homes, score pairs, score
        /// officers, write) to stderr.
        #[arg(long)]
        timings: bool,
    },
    /// One night of a batch job: take the new export files of --incoming into the
    /// store (each file once, by content), score the rolling window from the store,
    /// write the run's outputs under STORE/runs/ and move the alerts. Exit 0 ok, 1 ok
    /// with rows quarantined tonight, 2 failed.
    Nightly {
        /// The store (an empty or absent folder makes a new one).
        #[arg(long)]
        store: PathBuf,
        /// Tonight's delivery, laid out as a dataset folder.
        #[arg(long)]
        incoming: PathBuf,
        #[command(flatten)]
        ingest: IngestArgs,
        /// Risk matrix (TOML); default: the shipped matrix.
        #[arg(long, value_name = "FILE")]
        matrix: Option<PathBuf>,
        /// Also write the run's outputs as CSV.
        #[arg(long)]
        csv: bool,
        /// Print a machine-readable summary (JSON) on stdout.
        #[arg(long)]
        json: bool,
        /// Print seconds per stage to stderr.
        #[arg(long)]
        timings: bool,
        /// Replace this snapshot table tonight even if the delivery keeps fewer than
        /// half its rows (refused by default: a partial export would drop the rest).
        #[arg(long, value_name = "TABLE")]
        replace_snapshot: Vec<String>,
        /// After the night, prune the officers, pairs, signals and evidence of all but
        /// this many newest runs (`apsp runs prune`; `apsp runs replay` gives them back).
        #[arg(long, value_name = "N")]
        keep_outputs: Option<usize>,
    },
    /// The store's alerts: list, show, review, history.
    Alerts {
        /// The store.
        #[arg(long, global = true)]
        store: Option<PathBuf>,
        #[command(subcommand)]
        command: store_cmd::AlertsCommand,
    },
    /// Metrics of a scored run against labelled outcomes (ROC AUC, average precision,
    /// recall at fixed false-positive rates and at k, calibration), with bootstrap
    /// intervals: `apsp evaluate SCORED_DIR --labels FILE [--out DIR]`. Runs the Python
    /// research toolkit (`python -m apsp.research`; APSP_PYTHON picks the Python).
    #[command(disable_help_flag = true)]
    Evaluate {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<OsString>,
    },
    /// Fit the warning signs' weights on labelled outcomes and write a risk matrix:
    /// `apsp fit DATASET... --labels FILE... --out M.toml` (the Python research toolkit).
    #[command(disable_help_flag = true)]
    Fit {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<OsString>,
    },
    /// Two risk matrices side by side on one force, with paired intervals and the
    /// officers whose tier changes: `apsp compare A.toml B.toml DATASET --labels FILE`
    /// (the Python research toolkit).
    #[command(disable_help_flag = true)]
    Compare {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<OsString>,
    },
    /// The store's runs: list, prune old runs' outputs, replay a run from the store.
    Runs {
        /// The store.
        #[arg(long, global = true)]
        store: Option<PathBuf>,
        #[command(subcommand)]
        command: store_cmd::RunsCommand,
    },
    /// The store's watchlist of officers under review: list, add, remove.
    Watchlist {
        /// The store.
        #[arg(long, global = true)]
        store: Option<PathBuf>,
        #[command(subcommand)]
        command: store_cmd::WatchlistCommand,
    },
    /// Generate a synthetic force for demos, tests and benchmarks: every canonical
    /// table, planted case-study scenarios and decoys (ground truth in labels.parquet).
    Synth {
        /// Number of officers and staff.
        #[arg(long, default_value_t = 200)]
        officers: usize,
        /// Days covered.
        #[arg(long, default_value_t = 90)]
        days: u32,
        /// Random seed: the same seed gives byte-identical files.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// First day (YYYY-MM-DD, local).
        #[arg(long, default_value = "2026-01-05")]
        start: String,
        /// Output format: csv (naive local times, mixed writings) or parquet (typed).
        #[arg(long, default_value = "csv")]
        format: String,
        /// Write this share of background rows broken in known ways (or twice), with
        /// the expected quarantine in injected_errors.parquet (e.g. 0.001).
        #[arg(long, default_value_t = 0.0, value_name = "RATE")]
        inject_errors: f64,
        /// Plant scenarios at this rate per officer-year (e.g. 0.001 = 1 per 1,000
        /// officers a year; decoys at ten times the rate). Default: one of each.
        #[arg(long, value_name = "RATE")]
        plant_rate: Option<f64>,
        #[command(flatten)]
        realism: RealismArgs,
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
    },
}

/// The shapes of real force data in a synthetic force (docs/synthetic-force.md): a
/// preset, then any single setting overridden.
#[derive(Args)]
struct RealismArgs {
    /// Preset: real-town (the default: stops in every street and every setting below
    /// on), rural (real-town with sparse rural stops) or clean (the historical force:
    /// stops at hotspots only, every other setting off; it flatters an engine).
    #[arg(long, default_value = "real-town", value_name = "PRESET")]
    realism: String,
    /// Where undeployed patrol stops happen: hotspots, town-wide or rural.
    #[arg(long, value_name = "GEOGRAPHY")]
    stops: Option<String>,
    /// Share of persons living at another person's address (planted subjects then
    /// live with a suspect of another officer's case).
    #[arg(long, value_name = "SHARE")]
    households: Option<f64>,
    /// Share of persons with a duplicate record.
    #[arg(long, value_name = "SHARE")]
    duplicate_persons: Option<f64>,
    /// Share of persons whose number is recorded for a second person too.
    #[arg(long, value_name = "SHARE")]
    shared_numbers: Option<f64>,
    /// Share of officers who share a team's pooled phone.
    #[arg(long, value_name = "SHARE")]
    pooled_phones: Option<f64>,
    /// Share of devices whose carrier exports no call durations.
    #[arg(long, value_name = "SHARE")]
    no_durations: Option<f64>,
    /// Share of officers whose roster export covers only part of the window.
    #[arg(long, value_name = "SHARE")]
    partial_rosters: Option<f64>,
    /// Share of case contacts in overtime the roster does not show (real-town 0.1, clean 0.03).
    #[arg(long, value_name = "SHARE")]
    overtime: Option<f64>,
    /// Share of cases never closed in the system (and cases open for years).
    #[arg(long, value_name = "SHARE")]
    stale_cases: Option<f64>,
    /// Share of vehicles whose clock is wrong by years for a stretch.
    #[arg(long, value_name = "SHARE")]
    clock_skew: Option<f64>,
    /// Latitude of the force's main town, degrees north (default 52.95).
    #[arg(long, value_name = "DEGREES")]
    latitude: Option<f64>,
}

impl RealismArgs {
    fn resolve(&self) -> apsp_core::Result<apsp_synth::Realism> {
        let mut r = apsp_synth::Realism::preset(&self.realism)?;
        if let Some(s) = &self.stops {
            r.stops = s.parse()?;
        }
        let set = |x: &mut f64, v: Option<f64>| {
            if let Some(v) = v {
                *x = v;
            }
        };
        set(&mut r.households, self.households);
        set(&mut r.duplicate_persons, self.duplicate_persons);
        set(&mut r.shared_numbers, self.shared_numbers);
        set(&mut r.pooled_phones, self.pooled_phones);
        set(&mut r.no_durations, self.no_durations);
        set(&mut r.partial_rosters, self.partial_rosters);
        set(&mut r.overtime, self.overtime);
        set(&mut r.stale_cases, self.stale_cases);
        set(&mut r.clock_skew, self.clock_skew);
        if self.latitude.is_some() {
            r.latitude = self.latitude;
        }
        Ok(r)
    }
}

#[derive(Args)]
pub(crate) struct IngestArgs {
    /// Import profile (TOML) for a raw export; repeat for several tables.
    #[arg(long = "profile", value_name = "FILE")]
    profiles: Vec<PathBuf>,
    /// Time zone of timestamps without an offset.
    #[arg(long, default_value = "Europe/London")]
    timezone: String,
    /// Local times that occur twice (clocks go back): earliest, latest or quarantine.
    #[arg(long, default_value = "earliest")]
    ambiguous: String,
    /// Local times that do not exist (clocks go forward): quarantine or shift_forward.
    #[arg(long, default_value = "quarantine")]
    nonexistent: String,
    /// Replace members of the public's numbers and person ids by keyed pseudonyms.
    #[arg(long)]
    pseudonymise: bool,
    /// File holding the pseudonymisation key (at least 16 bytes).
    #[arg(long, value_name = "FILE", requires = "pseudonymise")]
    key_file: Option<PathBuf>,
    /// Environment variable holding the key (default APSP_PSEUDONYM_KEY).
    #[arg(long, value_name = "VAR", requires = "pseudonymise")]
    key_env: Option<String>,
    /// Read files with columns that belong to no table column, listing those columns
    /// in the summary and manifest (default: such a column is an error).
    #[arg(long)]
    ignore_extra_columns: bool,
    /// Character encoding of CSV files: utf-8, cp1252 (exports from Windows systems)
    /// or latin-1; an import profile's `encoding` wins for its table.
    #[arg(long, default_value = "utf-8", value_name = "NAME")]
    encoding: String,
}

impl IngestArgs {
    pub(crate) fn options(&self) -> apsp_core::Result<IngestOptions> {
        let profiles = self
            .profiles
            .iter()
            .map(|p| Profile::load(p))
            .collect::<apsp_core::Result<Vec<_>>>()?;
        Ok(IngestOptions {
            timezone: self.timezone.clone(),
            ambiguous: self.ambiguous.parse::<Ambiguous>()?,
            nonexistent: self.nonexistent.parse::<Nonexistent>()?,
            profiles,
            pseudonymise: self
                .pseudonymise
                .then(|| key_source(self.key_file.as_deref(), self.key_env.as_deref())),
            ignore_extra_columns: self.ignore_extra_columns,
            encoding: apsp_core::ingest::TextEncoding::parse(&self.encoding).ok_or_else(|| {
                apsp_core::ApspError::Setting {
                    name: "encoding",
                    value: self.encoding.clone(),
                    message: format!("use {}", apsp_core::ingest::TextEncoding::NAMES),
                }
            })?,
            ..IngestOptions::default()
        })
    }
}

fn run(cli: Cli) -> apsp_core::Result<i32> {
    match cli.command {
        Command::Score {
            dataset_dir,
            ingest,
            out,
            matrix,
            reference_time,
            window_days,
            csv,
            overwrite,
            explain,
            report,
            timings,
        } => {
            let opts = ingest.options()?;
            // Refused before the long part, not after it.
            apsp_core::output::refuse_out_beside_input(&dataset_dir, &out)?;
            apsp_core::output::refuse_a_folder_with_files(&out, overwrite)?;
            let matrix = apsp_core::score::RiskMatrix::load_or_default(matrix.as_deref())?;
            let score_opts = apsp_core::score::ScoreOptions {
                reference_time: reference_time
                    .as_deref()
                    .map(|t| apsp_core::score::parse_reference_time(t, &opts))
                    .transpose()?,
                window_days,
                ..Default::default()
            };
            // A spinner naming the stage, on a terminal only; batch logs stay clean.
            let bar = indicatif::ProgressBar::new_spinner().with_style(
                indicatif::ProgressStyle::with_template("{spinner} score: {msg} {elapsed_precise}")
                    .expect("valid template"),
            );
            if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
                bar.enable_steady_tick(std::time::Duration::from_millis(200));
            } else {
                bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
            }
            let t = std::time::Instant::now();
            bar.set_message("reading");
            let mut ds = apsp_core::read_dataset(&dataset_dir, &opts)?;
            let read = t.elapsed().as_secs_f64();
            let stage = |stage: &'static str| {
                if timings {
                    eprintln!(
                        "  starting {stage:<20} peak RSS so far {} MiB, CPU so far {:.1} s",
                        peak_rss_mib(),
                        cpu_secs()
                    );
                }
                bar.set_message(stage)
            };
            let scored = apsp_core::score::score_releasing(&mut ds, &matrix, &score_opts, &stage)?;
            let scoring = t.elapsed().as_secs_f64() - read;
            stage("writing");
            apsp_core::output::write_outputs(
                &scored,
                &mut ds,
                &out,
                apsp_core::output::WriteOptions { csv, overwrite },
            )?;
            bar.finish_and_clear();
            let write = t.elapsed().as_secs_f64() - read - scoring;
            if timings {
                eprintln!("stage seconds:");
                eprintln!("  {:<20} {read:>8.2}", "read");
                for (stage, secs) in &scored.timings {
                    eprintln!("  {stage:<20} {secs:>8.2}");
                }
                eprintln!("  {:<20} {write:>8.2}", "write");
                eprintln!(
                    "peak RSS {} MiB, CPU {:.1} s in {:.1} s",
                    peak_rss_mib(),
                    cpu_secs(),
                    t.elapsed().as_secs_f64()
                );
            }
            let mut tiers = std::collections::BTreeMap::new();
            for o in &scored.officers {
                *tiers.entry(o.tier).or_insert(0u32) += 1;
            }
            println!(
                "scored {} officers and {} officer x subject pairs in {:.1} s (read {:.1} s, score {:.1} s); matrix {} {}",
                scored.officers.len(),
                scored.pairs.len(),
                t.elapsed().as_secs_f64(),
                read,
                scoring,
                scored.matrix.matrix.name,
                scored.matrix.matrix.version
            );
            println!(
                "warning signs for review: {} high, {} medium, {} low tier officers; {} row(s) quarantined",
                tiers.get("high").unwrap_or(&0),
                tiers.get("medium").unwrap_or(&0),
                tiers.get("low").unwrap_or(&0),
                ds.quarantined()
            );
            println!(
                "wrote officers, pairs, signals, evidence, quarantine and manifest.json to {}",
                out.display()
            );
            warn_coverage(&ds.manifest);
            warn_signs_not_evaluated(&scored);
            warn_set_aside(&scored);
            if let Some(id) = report {
                let id = officer_or_top(&scored, id);
                let path = out.join(apsp_core::report::file_name(&id));
                let html = apsp_core::report::case_report(&scored, &id)?;
                std::fs::write(&path, html).map_err(|e| apsp_core::ApspError::io(&path, e))?;
                println!("wrote the case report of {id} to {}", path.display());
            }
            if let Some(id) = explain {
                let id = officer_or_top(&scored, id);
                println!();
                print!("{}", apsp_core::explain::explain(&scored, &id, 3)?);
            }
            let code = if ds.quarantined() > 0 { 1 } else { 0 };
            // The process ends here: millions of findings and the frames are left to
            // the operating system instead of being freed one by one (measured: about
            // half a second at 5,000 officers, after the `--timings` figures).
            std::mem::forget(scored);
            std::mem::forget(ds);
            Ok(code)
        }
        Command::Synth {
            officers,
            days,
            seed,
            start,
            format,
            inject_errors,
            plant_rate,
            realism,
            out,
        } => {
            let cfg = apsp_synth::SynthConfig {
                officers,
                days,
                seed,
                start: apsp_synth::parse_start(&start)?,
                format: format.parse()?,
                inject_errors,
                plant_rate,
                realism: realism.resolve()?,
            };
            let bar = indicatif::ProgressBar::new(officers as u64).with_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} synth [{bar:30}] {pos}/{len} officers {elapsed_precise} (eta {eta})",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            // Drawn on a terminal only; batch logs stay clean.
            if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
                bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
            }
            let t = std::time::Instant::now();
            let s = apsp_synth::generate_with_progress(&out, &cfg, &mut |done, _| {
                bar.set_position(done)
            })?;
            bar.finish_and_clear();
            println!(
                "wrote {} in {:.1} s: {} rows ({} planted scenarios, {} decoys; ground truth in labels.parquet)",
                out.display(),
                t.elapsed().as_secs_f64(),
                s.rows(),
                s.planted,
                s.decoys
            );
            for (table, c) in &s.tables {
                println!("  {:<20} {:>12} rows", table.name(), c.rows);
            }
            if cfg.inject_errors > 0.0 {
                let dup = s.injected.iter().filter(|i| i.reason.is_none()).count();
                println!(
                    "  injected: {} broken rows and {} exact duplicates (listed in injected_errors.parquet)",
                    s.injected.len() - dup,
                    dup
                );
            }
            Ok(0)
        }
        Command::Validate {
            dataset_dir,
            ingest,
            out,
            tables,
            overwrite,
        } => {
            let opts = ingest.options()?;
            let (ds, outcome) = validate(
                &dataset_dir,
                &opts,
                &ValidateOutput {
                    out_dir: out.as_deref(),
                    write_tables: tables,
                    overwrite,
                },
            )?;
            print!("{}", summary(&ds));
            if let Some(o) = &out {
                println!(
                    "wrote {} and {}",
                    o.join("quarantine.parquet").display(),
                    o.join("manifest.json").display()
                );
            }
            Ok(outcome.exit_code())
        }
        Command::Nightly { .. }
        | Command::Alerts { .. }
        | Command::Runs { .. }
        | Command::Watchlist { .. } => {
            unreachable!("the store's commands are run by store_cmd")
        }
        Command::Evaluate { .. } | Command::Fit { .. } | Command::Compare { .. } => {
            unreachable!("the research commands are run by research_cmd")
        }
    }
}

/// What the run left out, on stderr: files read as no table (a billing export named
/// `Billing_Export.csv`) and canonical tables absent. A run that quietly leaves data out
/// looks like one that found nothing.
fn warn_coverage(m: &apsp_core::ingest::manifest::Manifest) {
    for f in &m.ignored_files {
        eprintln!("{}", apsp_core::validate::ignored_file_warning(f));
    }
    for f in &m.inputs {
        if let Some(w) = apsp_core::validate::not_utf8_warning(f) {
            eprintln!("{w}");
        }
    }
    if let Some(w) = apsp_core::validate::absent_tables_warning(m) {
        eprintln!("{w}");
    }
}

/// An officer id as given, or `top`: the officer ranked first.
fn officer_or_top(scored: &apsp_core::score::Scored, id: String) -> String {
    match id.as_str() {
        "top" => scored
            .officers
            .iter()
            .find(|o| o.rank == 1)
            .map(|o| scored.linked.officers[o.officer].id.clone())
            .unwrap_or_default(),
        _ => id,
    }
}

/// Each warning sign not evaluated for some officers, and why: "not looked at" must
/// never read as "cleared".
fn warn_signs_not_evaluated(scored: &apsp_core::score::Scored) {
    for w in apsp_core::validate::sign_gap_warnings(&scored.signs_not_evaluated()) {
        eprintln!("{w}");
    }
}

/// Warns of events the default reference time set aside as out of line with the data.
fn warn_set_aside(scored: &apsp_core::score::Scored) {
    if let Some(note) = scored.set_aside_note() {
        eprintln!("apsp: warning: {note}; check them, or give --reference-time");
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Nightly {
            store,
            incoming,
            ingest,
            matrix,
            csv,
            json,
            timings,
            replace_snapshot,
            keep_outputs,
        } => store_cmd::nightly(
            store_cmd::NightlyArgs {
                store,
                incoming,
                matrix,
                csv,
                json,
                timings,
                replace_snapshots: replace_snapshot,
                keep_outputs,
            },
            &ingest,
        ),
        Command::Alerts { store, command } => {
            with_store(store, "alerts", |s| store_cmd::alerts(s, command))
        }
        Command::Runs { store, command } => {
            with_store(store, "runs", |s| store_cmd::runs(s, command))
        }
        Command::Watchlist { store, command } => {
            with_store(store, "watchlist", |s| store_cmd::watchlist(s, command))
        }
        Command::Evaluate { args } => Ok(research_cmd::run("evaluate", &args)),
        Command::Fit { args } => Ok(research_cmd::run("fit", &args)),
        Command::Compare { args } => Ok(research_cmd::run("compare", &args)),
        command => run(Cli { command }).map_err(apsp_store::StoreError::from),
    };
    match result {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            eprintln!("apsp: error: {e}");
            ExitCode::from(2)
        }
    }
}

/// Runs a store command, or says the store is missing.
fn with_store(
    store: Option<PathBuf>,
    command: &str,
    f: impl FnOnce(PathBuf) -> apsp_store::Result<i32>,
) -> apsp_store::Result<i32> {
    match store {
        Some(store) => f(store),
        None => {
            eprintln!("apsp: error: give the store: apsp {command} --store STORE ...");
            Ok(2)
        }
    }
}

/// CPU seconds (user + system, all threads) this process has used so far; 0 where
/// `/proc` is not available.
fn cpu_secs() -> f64 {
    // Fields 14 and 15 of /proc/self/stat, after the parenthesised command name.
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let rest = &s[s.rfind(')')? + 2..];
            let f: Vec<&str> = rest.split_whitespace().collect();
            let ticks = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
            Some(ticks / 100.0)
        })
        .unwrap_or(0.0)
}

/// The process's peak resident memory so far in MiB (Linux; 0 elsewhere).
fn peak_rss_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| kb / 1024)
        .unwrap_or(0)
}
