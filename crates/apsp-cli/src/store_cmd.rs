//! `apsp nightly` and `apsp alerts`: the nightly store and its alert history.

use std::path::PathBuf;

use apsp_store::alerts::{Alert, AlertEvent};
use apsp_store::{AlertState, NightlyOptions, Outcome, Review, Store, StoreError};
use clap::Subcommand;

use crate::IngestArgs;

/// `apsp alerts ...`.
#[derive(Subcommand)]
pub enum AlertsCommand {
    /// List the alerts: open ones first (escalated, new, persisting), then reviewed
    /// and resolved.
    List {
        /// Only alerts in this state (new, persisting, escalated, resolved_by_system,
        /// reviewed).
        #[arg(long)]
        state: Option<String>,
        /// Print JSON (one array) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show one alert: its standing, its score in every run and its history.
    Show {
        /// The alert's number (from `list`).
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Record a review: who, the outcome and a note. Appended, never edited.
    Review {
        /// The alert's number (from `list`).
        id: i64,
        /// Who reviewed it.
        #[arg(long)]
        reviewer: String,
        /// no_concern, explained, referred or duplicate.
        #[arg(long)]
        outcome: String,
        /// What was looked at and why the outcome.
        #[arg(long)]
        note: String,
        /// The run whose report or outputs were looked at: the review is refused if
        /// the alert moved after it (an escalation is never reviewed away unseen).
        #[arg(long, value_name = "RUN")]
        seen_run: Option<i64>,
    },
    /// Every state change and review, oldest first (of one alert with --id).
    History {
        #[arg(long)]
        id: Option<i64>,
        #[arg(long)]
        json: bool,
    },
}

/// `apsp runs ...`.
#[derive(Subcommand)]
pub enum RunsCommand {
    /// The runs, oldest first: status, folder, reference time, and when their outputs
    /// were pruned.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove the officers, pairs, signals and evidence of all but the newest runs
    /// (about 50 MB a night at 5,000 officers). Each run's manifest, quarantine and
    /// morning report stay, its alerts' scores stay in the database, and `replay`
    /// gives the outputs back.
    Prune {
        /// How many of the newest finished runs keep their outputs (at least 1).
        #[arg(long)]
        keep: usize,
        #[arg(long)]
        json: bool,
    },
    /// Score the store as it stood after a run (its data, snapshots, matrix and
    /// settings then) and write the run's outputs to --out, checked against the hashes
    /// its manifest recorded. Exit 0 when every output is the same byte for byte, 1
    /// when one differs (named).
    Replay {
        /// The run's number (from `list`).
        run: i64,
        /// Where to write the outputs (outside the store).
        #[arg(long)]
        out: PathBuf,
        /// Write into a folder that already holds files.
        #[arg(long)]
        overwrite: bool,
        #[arg(long)]
        json: bool,
    },
}

/// `apsp runs ...`.
pub fn runs(store: PathBuf, cmd: RunsCommand) -> apsp_store::Result<i32> {
    match cmd {
        RunsCommand::List { json } => {
            let runs = Store::open(&store)?.runs()?;
            if json {
                return print_json(&runs).map(|_| 0);
            }
            println!(
                "{:>5}  {:<9} {:<24} {:<22} outputs",
                "run", "status", "folder", "reference time"
            );
            for r in &runs {
                println!(
                    "{:>5}  {:<9} {:<24} {:<22} {}",
                    r.id,
                    r.status,
                    r.folder,
                    r.reference_time.as_deref().unwrap_or("-"),
                    match &r.outputs_pruned_at {
                        Some(at) => format!("pruned {at}"),
                        None => "kept".to_string(),
                    }
                );
            }
            Ok(0)
        }
        RunsCommand::Prune { keep, json } => {
            let p = apsp_store::prune_outputs(&store, keep)?;
            if json {
                return print_json(&p).map(|_| 0);
            }
            print_pruned(&p);
            Ok(0)
        }
        RunsCommand::Replay {
            run,
            out,
            overwrite,
            json,
        } => {
            let r = apsp_store::replay(&store, run, &out, overwrite)?;
            let code = i32::from(!r.identical);
            if json {
                return print_json(&r).map(|_| code);
            }
            println!("replayed run {} into {}", r.run, r.out);
            for o in &r.outputs {
                let verdict = match (&o.recorded, &o.sha256, o.same) {
                    (_, _, true) => "same as the run's",
                    (Some(_), None, false) => "NOT WRITTEN by the replay",
                    (Some(_), Some(_), false) => "DIFFERS from the run's",
                    (None, _, false) => "not recorded by the run",
                };
                println!("  {:<22} {verdict}", o.file);
            }
            if !r.identical {
                eprintln!(
                    "apsp: warning: the replay is not the run's outputs byte for byte (the \
                     run was scored by apsp {}, this is {})",
                    r.recorded_version, r.version
                );
            }
            Ok(code)
        }
    }
}

fn print_pruned(p: &apsp_store::PruneSummary) {
    if p.pruned.is_empty() {
        println!(
            "no outputs to prune: {} newest run(s) keep theirs, older ones were pruned before",
            p.kept.len()
        );
        return;
    }
    println!(
        "pruned the outputs of {} run(s), {:.1} MB freed; the newest {} run(s) keep theirs",
        p.pruned.len(),
        p.bytes as f64 / 1e6,
        p.kept.len()
    );
    for r in &p.pruned {
        println!("  run {} ({}): {}", r.run, r.folder, r.files.join(", "));
    }
}

/// `apsp watchlist ...`.
#[derive(Subcommand)]
pub enum WatchlistCommand {
    /// The officers on the watchlist, and (with --history) every change to it.
    List {
        #[arg(long)]
        history: bool,
        #[arg(long)]
        json: bool,
    },
    /// Put an officer on the watchlist: each morning report shows all their pairs with
    /// a score, whatever the score.
    Add {
        officer_id: String,
        /// Who makes the change.
        #[arg(long)]
        by: String,
        /// Why (a referral, an investigation).
        #[arg(long)]
        reason: String,
    },
    /// Take an officer off the watchlist.
    Remove {
        officer_id: String,
        #[arg(long)]
        by: String,
        #[arg(long)]
        reason: String,
    },
}

/// `apsp watchlist ...`.
pub fn watchlist(store: PathBuf, cmd: WatchlistCommand) -> apsp_store::Result<i32> {
    let store = Store::open(&store)?;
    match cmd {
        WatchlistCommand::List { history, json } => {
            if history {
                let h = store.watchlist_history()?;
                if json {
                    print_json(&h)?;
                } else {
                    for e in &h {
                        println!(
                            "  {}  {:<12} {:<8} {}: {}",
                            e.at, e.officer_id, e.kind, e.actor, e.reason
                        );
                    }
                }
            } else {
                let w = store.watchlist()?;
                if json {
                    print_json(&w)?;
                } else {
                    for e in &w {
                        println!(
                            "  {:<12} added {} by {}: {}",
                            e.officer_id, e.added_at, e.added_by, e.reason
                        );
                    }
                    if w.is_empty() {
                        println!("(nobody on the watchlist)");
                    }
                }
            }
        }
        WatchlistCommand::Add {
            officer_id,
            by,
            reason,
        } => {
            store.watch(&officer_id, &by, &reason)?;
            println!(
                "{officer_id} is on the watchlist: the next morning reports show all their pairs"
            );
        }
        WatchlistCommand::Remove {
            officer_id,
            by,
            reason,
        } => {
            store.unwatch(&officer_id, &by, &reason)?;
            println!("{officer_id} is off the watchlist");
        }
    }
    Ok(0)
}

/// The arguments of `apsp nightly` besides the read settings.
pub struct NightlyArgs {
    pub store: PathBuf,
    pub incoming: PathBuf,
    pub matrix: Option<PathBuf>,
    pub csv: bool,
    pub json: bool,
    pub timings: bool,
    pub replace_snapshots: Vec<String>,
    pub keep_outputs: Option<usize>,
}

/// `apsp nightly`.
pub fn nightly(args: NightlyArgs, ingest: &IngestArgs) -> apsp_store::Result<i32> {
    let NightlyArgs {
        store,
        incoming,
        matrix,
        csv,
        json,
        timings,
        replace_snapshots,
        keep_outputs,
    } = args;
    let opts = NightlyOptions {
        store,
        incoming,
        ingest: ingest.options()?,
        matrix,
        csv,
        replace_snapshots,
        keep_outputs,
    };
    let on_terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let progress = |stage: &str| {
        if on_terminal {
            eprintln!("apsp nightly: {stage}");
        }
    };
    let s = apsp_store::nightly(&opts, &progress)?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&s).map_err(apsp_core::ApspError::from)?
        );
        return Ok(s.exit_code);
    }
    let taken = s.files.iter().filter(|f| f.not_taken.is_none()).count();
    println!(
        "run {} into {}: {} file(s) taken, {} not taken again; {} row(s) added; {} quarantined",
        s.run,
        s.folder,
        taken,
        s.files.len() - taken,
        s.rows_added.values().sum::<u64>(),
        s.quarantined
    );
    for f in s.files.iter().filter(|f| f.not_taken.is_some()) {
        println!(
            "  not taken: {} ({})",
            f.file,
            f.not_taken.as_deref().unwrap_or_default()
        );
    }
    for f in &s.ignored_files {
        eprintln!("apsp: warning: {f} belongs to no table: not read");
    }
    for notice in &s.notices {
        eprintln!("apsp: warning: {notice}");
    }
    for r in &s.finished_earlier {
        println!("  finished run {r} first (it was interrupted after its data committed)");
    }
    println!(
        "scored {} officers and {} pairs; alerts for review: {}",
        s.officers,
        s.pairs,
        counts(&s.alerts.by_state)
    );
    if s.alerts.identified > 0 {
        println!(
            "  alerts that followed their number's person tonight: {}",
            s.alerts.identified
        );
    }
    if s.alerts.merged > 0 {
        println!(
            "  number alerts resolved into their person's pair alert tonight: {}",
            s.alerts.merged
        );
    }
    if !s.alerts.changes.is_empty() {
        println!("  changes tonight: {}", counts(&s.alerts.changes));
    }
    if let Some(p) = &s.pruned {
        print_pruned(p);
    }
    if timings {
        eprintln!("stage seconds:");
        for (stage, secs) in &s.timings.stages {
            eprintln!("  {stage:<32} {secs:>8.2}");
        }
    }
    Ok(s.exit_code)
}

fn counts(m: &std::collections::BTreeMap<String, u64>) -> String {
    if m.is_empty() {
        return "none".into();
    }
    m.iter()
        .map(|(k, v)| format!("{v} {k}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `apsp alerts ...`.
pub fn alerts(store: PathBuf, cmd: AlertsCommand) -> apsp_store::Result<i32> {
    let store = Store::open(&store)?;
    match cmd {
        AlertsCommand::List { state, json } => {
            let state = state.map(|s| parse_state(&store, &s)).transpose()?;
            let alerts = store.alerts(state)?;
            if json {
                print_json(&alerts)?;
            } else {
                print_alerts(&alerts);
            }
        }
        AlertsCommand::Show { id, json } => {
            let alert = store.alert(id)?;
            let scores = store.scores(id)?;
            let history = store.history(Some(id))?;
            if json {
                print_json(&serde_json::json!({
                    "alert": alert, "scores": scores, "history": history
                }))?;
            } else {
                print_alerts(std::slice::from_ref(&alert));
                println!("\nscore by run:");
                for s in &scores {
                    println!(
                        "  run {:>4}  {:>7.2}  {:<6}  {}",
                        s.run_id, s.score, s.tier, s.state
                    );
                }
                println!("\nhistory:");
                print_history(&history);
            }
        }
        AlertsCommand::Review {
            id,
            reviewer,
            outcome,
            note,
            seen_run,
        } => {
            let outcome = Outcome::parse(&outcome).ok_or_else(|| StoreError::Store {
                store: store.path().to_path_buf(),
                message: format!(
                    "unknown outcome {outcome:?}: use no_concern, explained, referred or duplicate"
                ),
            })?;
            let a = store.review(
                id,
                &Review {
                    reviewer,
                    outcome,
                    note,
                    seen_run,
                },
            )?;
            println!(
                "alert {} ({}{}) is {}: quiet until its score passes {:.2} or its tier rises above {}",
                a.id,
                a.officer_id,
                if a.subject_id.is_empty() {
                    String::new()
                } else {
                    format!(" x {}", a.subject_id)
                },
                a.state,
                a.review_score.unwrap_or(a.score),
                a.review_tier.as_deref().unwrap_or(&a.tier)
            );
        }
        AlertsCommand::History { id, json } => {
            let history = store.history(id)?;
            if json {
                print_json(&history)?;
            } else {
                print_history(&history);
            }
        }
    }
    Ok(0)
}

fn parse_state(store: &Store, s: &str) -> apsp_store::Result<AlertState> {
    AlertState::parse(s).ok_or_else(|| StoreError::Store {
        store: store.path().to_path_buf(),
        message: format!(
            "unknown state {s:?}: use new, persisting, escalated, resolved_by_system or reviewed"
        ),
    })
}

fn print_json(v: &impl serde::Serialize) -> apsp_store::Result<()> {
    println!(
        "{}",
        serde_json::to_string_pretty(v).map_err(apsp_core::ApspError::from)?
    );
    Ok(())
}

fn print_alerts(alerts: &[Alert]) {
    println!(
        "{:>5}  {:<18}  {:<12}  {:<18}  {:>7}  {:<6}  reasons",
        "id", "state", "officer", "subject", "score", "tier"
    );
    for a in alerts {
        println!(
            "{:>5}  {:<18}  {:<12}  {:<18}  {:>7.2}  {:<6}  {}",
            a.id,
            a.state,
            a.officer_id,
            if a.subject_id.is_empty() {
                "(officer)"
            } else {
                &a.subject_id
            },
            a.score,
            a.tier,
            a.reasons
        );
    }
    if alerts.is_empty() {
        println!("(no alerts)");
    }
}

fn print_history(events: &[AlertEvent]) {
    for e in events {
        println!(
            "  {}  alert {:>4}  {:<12}  {} -> {}{}  score {:.2}: {}",
            e.at,
            e.alert_id,
            e.actor,
            e.from_state.as_deref().unwrap_or("-"),
            e.to_state,
            e.outcome
                .as_deref()
                .map(|o| format!(" ({o})"))
                .unwrap_or_default(),
            e.score,
            e.note
        );
    }
    if events.is_empty() {
        println!("  (nothing yet)");
    }
}
