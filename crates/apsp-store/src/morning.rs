//! The morning report: one self-contained HTML file per run for the reviewers who
//! start the day with it. New and escalated alerts first, each with why it moved, its
//! score over past runs, and the case report's summary, contribution bars, timeline
//! and evidence rows; then the other alerts; then what the night's data was like
//! (files taken or not, late files, rows quarantined, days with no rows, officers
//! with no billing). Inline CSS and SVG only: no script, font, image or fetch.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use apsp_core::report::{esc, officer_section, CSS};
use apsp_core::score::Scored;
use apsp_core::{Dataset, Table};
use rusqlite::{params, OptionalExtension};

use crate::alerts::Alert;
use crate::{Result, Store};

/// The file name of a run's morning report.
pub const FILE_NAME: &str = "morning_report.html";

/// The most alerts shown in full (the others are listed): keeps the file small
/// enough to open and mail on a first night, when every alert is new.
const FULL_SECTIONS: usize = 40;

/// The days up to the run's reference time checked for days with no rows.
const COVERAGE_DAYS: i64 = 14;

/// A day in microseconds (the store's times are UTC microseconds).
const DAY: i64 = 86_400_000_000;

/// Days (UTC) between a run's day and the day of an event table's newest rows beyond
/// which the report says its exports look missing or late: a daily export's newest
/// rows are of the day before the night runs, or two days before after a day without
/// an export. (Not a number that changes a score.)
const STALE_AFTER_DAYS: i64 = 2;

const MORNING_CSS: &str = ".alert{border-top:3px solid #555;margin-top:2.5em}.state{font-weight:bold}\
.state-escalated{color:#a00}.state-new{color:#05a}.late{color:#a00}.trend polyline{fill:none;\
stroke:#05a;stroke-width:2}.trend line{stroke:#a00;stroke-dasharray:4 3}.toc td,.toc th{padding:.2em .6em}";

/// What the night's data was like, measured before scoring (scoring releases the
/// tables) and told against the run's reference time after.
#[derive(Debug, Clone, Default)]
pub(crate) struct Coverage {
    /// Days (UTC, days since 1970) with rows, by event table.
    days_with_rows: BTreeMap<Table, rustc_hash::FxHashSet<i64>>,
    /// Officers none of whose devices has a billing row in the data.
    pub officers_without_billing: Vec<String>,
}

/// The days with no rows among the [`COVERAGE_DAYS`] up to a run's reference time.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MissingDays {
    /// The last day checked: the reference time's (UTC).
    pub last_day: String,
    /// By event table, the days (UTC) with no rows, oldest first.
    pub by_table: BTreeMap<String, Vec<String>>,
}

impl Coverage {
    /// The days with no rows among the [`COVERAGE_DAYS`] to the day of `reference`
    /// (the run's reference time). Not the latest event's: a vehicle whose clock runs
    /// years ahead would make every recent day look empty.
    pub fn missing_days(&self, reference: apsp_core::link::Ts) -> MissingDays {
        let last = reference.div_euclid(DAY);
        let by_table = self
            .days_with_rows
            .iter()
            .map(|(t, seen)| {
                let missing = (last - COVERAGE_DAYS + 1..=last)
                    .filter(|d| !seen.contains(d))
                    .map(day_name)
                    .collect();
                (t.name().to_string(), missing)
            })
            .collect();
        MissingDays {
            last_day: day_name(last),
            by_table,
        }
    }

    /// By event table with rows, the day (UTC, days since 1970) of its newest rows up
    /// to the day of `reference` (rows dated after it, a clock years ahead, are not
    /// the newest export).
    pub fn newest_days(&self, reference: apsp_core::link::Ts) -> BTreeMap<String, i64> {
        let last = reference.div_euclid(DAY);
        self.days_with_rows
            .iter()
            .filter_map(|(t, seen)| {
                let newest = seen.iter().copied().filter(|d| *d <= last).max()?;
                Some((t.name().to_string(), newest))
            })
            .collect()
    }
}

/// A day (days since 1970, UTC) as `YYYY-MM-DD`.
fn day_name(day: i64) -> String {
    chrono::DateTime::from_timestamp_micros(day * DAY)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// Measures the coverage of the data a run scores.
pub(crate) fn coverage(ds: &Dataset) -> Result<Coverage> {
    // A year of events has a few hundred days: a hash set takes millions of rows fast.
    let mut out = Coverage::default();
    for t in [Table::Billing, Table::Stops, Table::AccessLog] {
        let (Some(df), Some(col)) = (ds.table(t), t.time_column()) else {
            continue;
        };
        let phys = df.column(col)?.as_materialized_series().to_physical_repr();
        let set = phys
            .i64()?
            .iter()
            .flatten()
            .map(|v| v.div_euclid(DAY))
            .collect();
        out.days_with_rows.insert(t, set);
    }
    if let (Some(devices), Some(billing), Some(officers)) = (
        ds.table(Table::Devices),
        ds.table(Table::Billing),
        ds.table(Table::Officers),
    ) {
        let billed_numbers = billing.column("device_number")?.unique()?;
        let billed: BTreeSet<&str> = billed_numbers.str()?.iter().flatten().collect();
        let owners = devices.column("officer_id")?.str()?;
        let numbers = devices.column("device_number")?.str()?;
        let with_billing: BTreeSet<&str> = owners
            .iter()
            .zip(numbers.iter())
            .filter_map(|(o, n)| (o.is_some() && billed.contains(n?)).then_some(o?))
            .collect();
        out.officers_without_billing = officers
            .column("officer_id")?
            .str()?
            .iter()
            .flatten()
            .filter(|o| !with_billing.contains(o))
            .map(str::to_string)
            .collect();
        out.officers_without_billing.sort();
    }
    Ok(out)
}

/// Events after the reference time that the run set aside as out of line with the
/// rest of the data (a device clock years ahead): not scored, and said so.
fn set_aside(h: &mut String, scored: &Scored) {
    if let Some(note) = scored.set_aside_note() {
        let _ = writeln!(h, "<p class=\"late\">{}.</p>", esc(&note));
    }
}

/// What tonight's delivery brought, and how old each event table's newest rows are:
/// the grounds of the report's opening notices.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Freshness {
    /// Files in the incoming folder, read or not.
    pub delivered: usize,
    /// Files taken tonight (new bytes of a table).
    pub taken: usize,
    /// Files that belong to no table: not read.
    pub not_read: usize,
    /// The day (UTC, days since 1970) the run started, if the store recorded it.
    pub run_day: Option<i64>,
    /// By event table with rows, the day of its newest rows (see
    /// [`Coverage::newest_days`]).
    pub newest: BTreeMap<String, i64>,
    /// The reference tables taken tonight that replace an earlier snapshot.
    pub snapshots: Vec<SnapshotChange>,
    /// The risk matrix, when it is not the one the last finished run scored with.
    pub matrix: Option<MatrixChange>,
}

/// A run's risk matrix against the one the last finished run scored with: a new
/// matrix (or apsp's new default) moves scores, tiers and alerts with no new data.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MatrixChange {
    /// The last run's matrix, named as [`matrix_label`] names it.
    pub before: String,
    pub now: String,
}

/// A matrix named for a reviewer: its name, version and the start of its SHA-256
/// (two files may share a name and version and differ in a number).
fn matrix_label(name: &str, version: &str, sha256: &str) -> String {
    format!("{name} {version}, {}", short_sha(sha256))
}

/// A SHA-256 named by its first twelve digits.
fn short_sha(sha256: &str) -> String {
    format!("SHA-256 {}…", sha256.get(..12).unwrap_or(sha256))
}

/// Run `run`'s matrix against the last finished run's, if they differ.
fn matrix_change(
    store: &Store,
    run: i64,
    now: &apsp_core::matrix::LoadedMatrix,
) -> Result<Option<MatrixChange>> {
    let last: Option<(Option<String>, String, String)> = store
        .conn
        .query_row(
            "SELECT matrix_sha256, matrix_toml, matrix_source FROM runs \
             WHERE id < ?1 AND status = 'done' ORDER BY id DESC LIMIT 1",
            [run],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()
        .map_err(|e| store.sql(e))?;
    let Some((Some(sha), toml, source)) = last else {
        return Ok(None);
    };
    if sha == now.sha256 {
        return Ok(None);
    }
    // A matrix an older apsp read may not parse today: then its hash names it.
    let before = match apsp_core::matrix::RiskMatrix::parse(&toml, &source) {
        Ok(m) => matrix_label(&m.matrix.name, &m.matrix.version, &sha),
        Err(_) => short_sha(&sha),
    };
    let now = matrix_label(&now.matrix.name, &now.matrix.version, &now.sha256);
    Ok(Some(MatrixChange { before, now }))
}

/// Share of a reference table's rows that tonight's snapshot may lack before the
/// report says so: a force's persons or case links grow night by night, and a partial
/// export (a query that timed out, one file of two) drops everyone missing from it.
/// Half or more is refused outright (`--replace-snapshot`). (Not a number that
/// changes a score.)
const SHRINK_NOTICE_SHARE: f64 = 0.05;

/// A reference table's snapshot taken tonight, against the one it replaces.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SnapshotChange {
    pub table: String,
    pub before: i64,
    pub now: i64,
}

impl SnapshotChange {
    /// The share of the rows before that tonight's snapshot lacks (0 when it grew).
    fn lost_share(&self) -> f64 {
        if self.before <= 0 || self.now >= self.before {
            0.0
        } else {
            (self.before - self.now) as f64 / self.before as f64
        }
    }
}

/// The snapshots run `run` took, each with the rows of the one it replaced.
fn snapshot_changes(store: &Store, run: i64) -> Result<Vec<SnapshotChange>> {
    let rows = store.rows(
        "SELECT p.tbl, p.rows, (SELECT q.rows FROM parts q WHERE q.kind = 'snapshot' \
         AND q.tbl = p.tbl AND q.run_id < p.run_id ORDER BY q.run_id DESC LIMIT 1) \
         FROM parts p WHERE p.kind = 'snapshot' AND p.run_id = ?1 ORDER BY p.tbl",
        [run],
        |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, Option<i64>>(2)?,
            ))
        },
    )?;
    Ok(rows
        .into_iter()
        .filter_map(|(table, now, before)| {
            Some(SnapshotChange {
                table,
                before: before?,
                now,
            })
        })
        .collect())
}

impl Freshness {
    /// The notices a reviewer must see before the alerts: a night that took nothing
    /// scores yesterday's data again, and "no new alerts" then says nothing of today;
    /// a new risk matrix moves alerts with no new evidence; a file not read leaves its rows out; an event table whose newest rows are days
    /// old means its exports stopped (billing can stop while telematics go on). Empty
    /// on an ordinary night.
    pub(crate) fn notices(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.delivered == 0 {
            out.push(
                "Nothing was delivered tonight: the incoming folder held no export file. \
                 These are the scores of the data the store already held"
                    .to_string(),
            );
        } else if self.taken == 0 {
            out.push(format!(
                "Nothing new was taken tonight: of the {} file(s) delivered, none was a \
                 table's new export. These are the scores of the data the store already held",
                self.delivered
            ));
        }
        if let Some(m) = &self.matrix {
            out.push(format!(
                "The risk matrix changed since the last run ({} → {}): tonight's scores, \
                 tiers and alerts follow the new matrix as well as the data, so an alert \
                 new, escalated or resolved tonight may owe its move to the matrix alone",
                m.before, m.now
            ));
        }
        if self.not_read > 0 {
            out.push(format!(
                "{} file(s) delivered tonight were not read: they belong to no table \
                 (see Data quality)",
                self.not_read
            ));
        }
        for c in &self.snapshots {
            let lost = c.lost_share();
            if lost >= SHRINK_NOTICE_SHARE {
                out.push(format!(
                    "Tonight's {} snapshot has {} row(s), {} ({:.0} %) fewer than the one it \
                     replaces: if its export was partial, the rows missing from it are missing \
                     from tonight's scores",
                    c.table,
                    c.now,
                    c.before - c.now,
                    100.0 * lost
                ));
            }
        }
        if let Some(run_day) = self.run_day {
            for (table, day) in &self.newest {
                let behind = run_day - day;
                if behind > STALE_AFTER_DAYS {
                    out.push(format!(
                        "The newest {table} rows are of {} (UTC), {behind} days before this \
                         run's day: if {table} is exported daily, its exports are missing or late",
                        day_name(*day)
                    ));
                }
            }
        }
        out
    }
}

/// What the report needs besides the store.
pub(crate) struct Night<'a> {
    pub run: i64,
    pub folder: &'a str,
    pub scored: &'a Scored,
    pub coverage: &'a Coverage,
    /// Tonight's quarantined rows by reason.
    pub quarantined: BTreeMap<String, u64>,
    /// When the run started (UTC microseconds), if the store recorded it.
    pub started: Option<i64>,
}

/// Writes the run's morning report (reading the alerts as the caller's transaction
/// left them).
pub(crate) fn report(store: &Store, night: &Night<'_>) -> Result<Report> {
    let alerts = store.alerts(None)?;
    let moved: BTreeMap<i64, (String, String)> = moves_tonight(store, night.run)?;
    let files = delivered_files(store, night.run)?;
    let mut h = String::with_capacity(256 * 1024);
    head(&mut h, night);
    let freshness = Freshness {
        delivered: files.len(),
        taken: files.iter().filter(|f| f.not_taken.is_none()).count(),
        not_read: files.iter().filter(|f| f.table.is_empty()).count(),
        run_day: night.started.map(|t| t.div_euclid(DAY)),
        newest: night.coverage.newest_days(night.scored.reference),
        snapshots: snapshot_changes(store, night.run)?,
        matrix: matrix_change(store, night.run, &night.scored.matrix)?,
    };
    let notices = freshness.notices();
    for notice in &notices {
        let _ = writeln!(h, "<p class=\"late notice\">{}.</p>", esc(notice));
    }
    let for_review = officers_for_review(&alerts);
    review_list(&mut h, &for_review, &alerts, &moved);
    for (i, a) in for_review.iter().enumerate() {
        if i == FULL_SECTIONS {
            let _ = writeln!(
                h,
                "<p>The {} further alerts above are listed only: see each officer's case report \
                 (<code>apsp score --report OFFICER_ID</code>) or the run's outputs.</p>",
                for_review.len() - FULL_SECTIONS
            );
            break;
        }
        alert_section(&mut h, store, night, a, &alerts, &moved)?;
    }
    watchlist_sections(&mut h, store, night)?;
    other_alerts(&mut h, &alerts, &moved);
    data_quality(&mut h, store, night, &files, &freshness)?;
    let _ = writeln!(
        h,
        "<footer>apsp {} — warning signs for review by a professional, never a verdict.</footer>\n</body>\n</html>",
        apsp_core::VERSION
    );
    Ok(Report { html: h, notices })
}

/// A run's morning report, and the notices it opens with (for the night's summary:
/// a batch job's monitoring reads `--json`, not the HTML).
pub(crate) struct Report {
    pub html: String,
    pub notices: Vec<String>,
}

/// The state changes made tonight: alert id -> (state, why).
fn moves_tonight(store: &Store, run: i64) -> Result<BTreeMap<i64, (String, String)>> {
    let mut stmt = store
        .conn
        .prepare("SELECT alert_id, to_state, note FROM alert_events WHERE run_id = ?1 AND kind = 'state' ORDER BY id")
        .map_err(|e| store.sql(e))?;
    let rows = stmt
        .query_map(params![run], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                (r.get::<_, String>(1)?, r.get::<_, String>(2)?),
            ))
        })
        .map_err(|e| store.sql(e))?;
    rows.collect::<std::result::Result<BTreeMap<_, _>, _>>()
        .map_err(|e| store.sql(e))
}

fn is_for_review(a: &Alert) -> bool {
    a.state == "new" || a.state == "escalated"
}

/// The officers' own alerts that are new or escalated, or whose pair's is; highest
/// score first.
fn officers_for_review(alerts: &[Alert]) -> Vec<Alert> {
    let officers: BTreeSet<&str> = alerts
        .iter()
        .filter(|a| is_for_review(a))
        .map(|a| a.officer_id.as_str())
        .collect();
    let mut out: Vec<Alert> = alerts
        .iter()
        .filter(|a| a.subject_id.is_empty() && officers.contains(a.officer_id.as_str()))
        .cloned()
        .collect();
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.officer_id.cmp(&b.officer_id))
    });
    out
}

fn head(h: &mut String, night: &Night<'_>) {
    let s = night.scored;
    let _ = writeln!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Morning report, run {} — warning signs for review</title>\n<style>{CSS}{MORNING_CSS}</style>\n\
         </head>\n<body>\n<h1>Morning report: run {} ({})</h1>\n<p class=\"verdict\">Warning signs \
         for review by a professional, never a verdict: each rests on the source rows listed \
         with it.</p>",
        night.run,
        night.run,
        esc(night.folder)
    );
    let facts = [
        ("window", apsp_core::report::window_text(s)),
        ("risk matrix", apsp_core::report::matrix_text(s)),
        ("officers scored", s.officers.len().to_string()),
    ];
    h.push_str("<table class=\"facts\">\n");
    for (k, v) in facts {
        let _ = writeln!(h, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(&v));
    }
    h.push_str("</table>\n<p><a href=\"#for-review\">New and escalated</a> · <a href=\"#watchlist\">Watchlist</a> · <a href=\"#other-alerts\">Other alerts</a> · <a href=\"#data-quality\">Data quality</a></p>\n");
}

fn anchor(a: &Alert) -> String {
    let safe: String = a
        .officer_id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("alert-{}-{safe}", a.id)
}

fn review_list(
    h: &mut String,
    for_review: &[Alert],
    alerts: &[Alert],
    moved: &BTreeMap<i64, (String, String)>,
) {
    let _ = writeln!(
        h,
        "<h2 id=\"for-review\">New and escalated alerts ({})</h2>",
        for_review.len()
    );
    if for_review.is_empty() {
        h.push_str("<p>None tonight.</p>\n");
        return;
    }
    h.push_str("<table class=\"toc\">\n<tr><th>officer</th><th>state</th><th>score</th><th>tier</th><th>why tonight</th></tr>\n");
    for a in for_review {
        let pairs: Vec<&str> = alerts
            .iter()
            .filter(|p| {
                p.officer_id == a.officer_id && !p.subject_id.is_empty() && is_for_review(p)
            })
            .map(|p| p.subject_id.as_str())
            .collect();
        let why = match moved.get(&a.id) {
            Some(m) if is_for_review(a) => m.1.clone(),
            _ => format!("new or escalated pair(s) with {}", pairs.join(", ")),
        };
        let _ = writeln!(
            h,
            "<tr><td><a href=\"#{}\">{}</a></td><td class=\"state state-{}\">{}</td><td>{:.2}</td><td>{}</td><td>{}</td></tr>",
            anchor(a),
            esc(&a.officer_id),
            esc(&a.state),
            esc(&a.state),
            a.score,
            esc(&a.tier),
            esc(&why)
        );
    }
    h.push_str("</table>\n");
}

fn alert_section(
    h: &mut String,
    store: &Store,
    night: &Night<'_>,
    a: &Alert,
    alerts: &[Alert],
    moved: &BTreeMap<i64, (String, String)>,
) -> Result<()> {
    let _ = writeln!(
        h,
        "<section class=\"alert\" id=\"{}\">\n<h2>{} — <span class=\"state state-{}\">{}</span></h2>",
        anchor(a),
        esc(&a.officer_id),
        esc(&a.state),
        esc(&a.state)
    );
    if let Some((_, why)) = moved.get(&a.id).filter(|_| is_for_review(a)) {
        let _ = writeln!(h, "<p>Why tonight: {}.</p>", esc(why));
    }
    trend(h, store, a)?;
    let pairs: Vec<&Alert> = alerts
        .iter()
        .filter(|p| p.officer_id == a.officer_id && !p.subject_id.is_empty())
        .collect();
    if !pairs.is_empty() {
        h.push_str("<table class=\"toc\">\n<tr><th>subject</th><th>state</th><th>score</th><th>signs</th></tr>\n");
        for p in pairs {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td class=\"state state-{}\">{}</td><td>{:.2}</td><td>{}</td></tr>",
                esc(&p.subject_id),
                esc(&p.state),
                esc(&p.state),
                p.score,
                esc(&p.reasons)
            );
        }
        h.push_str("</table>\n");
    }
    if night.scored.officer(&a.officer_id).is_some() {
        h.push_str(&officer_section(night.scored, &a.officer_id)?);
    }
    h.push_str("<p><a href=\"#for-review\">Back to the list</a></p>\n</section>\n");
    Ok(())
}

/// The alert's score over the runs it was scored in, as a line (the dashed line: its
/// score at the last review).
fn trend(h: &mut String, store: &Store, a: &Alert) -> Result<()> {
    let scores = store.scores(a.id)?;
    if scores.len() < 2 {
        return Ok(());
    }
    let (w, ht, pad) = (320.0, 60.0, 4.0);
    let max = scores
        .iter()
        .map(|s| s.score)
        .chain(a.review_score)
        .fold(1.0_f64, f64::max);
    let x = |i: usize| pad + (w - 2.0 * pad) * i as f64 / (scores.len() - 1) as f64;
    let y = |v: f64| ht - pad - (ht - 2.0 * pad) * v / max;
    let points: Vec<String> = scores
        .iter()
        .enumerate()
        .map(|(i, s)| format!("{:.1},{:.1}", x(i), y(s.score)))
        .collect();
    let _ = write!(
        h,
        "<p>Score over the last {} runs (from {:.2} to {:.2}):</p>\n<svg class=\"trend\" width=\"{w}\" height=\"{ht}\" \
         viewBox=\"0 0 {w} {ht}\" role=\"img\" aria-label=\"score by run\"><polyline points=\"{}\"/>",
        scores.len(),
        scores[0].score,
        scores[scores.len() - 1].score,
        points.join(" ")
    );
    if let Some(r) = a.review_score {
        let _ = write!(
            h,
            "<line x1=\"{pad}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/>",
            w - pad,
            y(r),
            y(r)
        );
    }
    h.push_str("</svg>\n");
    Ok(())
}

/// Every officer on the watchlist, whatever their score: all their pairs with a score,
/// then the case report's parts.
fn watchlist_sections(h: &mut String, store: &Store, night: &Night<'_>) -> Result<()> {
    let watched = store.watchlist()?;
    let _ = writeln!(
        h,
        "<h2 id=\"watchlist\">On the watchlist ({})</h2>\n<p>Officers under review: all their \
         pairs with a score are shown every night, whatever the score.</p>",
        watched.len()
    );
    let s = night.scored;
    for w in &watched {
        let _ = writeln!(
            h,
            "<section class=\"watch\" id=\"watch-{}\">\n<h3>{} — on the watchlist</h3>\n<p>Added by {} on {}: {}.</p>",
            esc(&w.officer_id),
            esc(&w.officer_id),
            esc(&w.added_by),
            esc(&w.added_at),
            esc(&w.reason)
        );
        let Some(o) = s.officer(&w.officer_id) else {
            h.push_str(
                "<p>Not among tonight's officers (not in the officers table).</p>\n</section>\n",
            );
            continue;
        };
        let scored: Vec<usize> = o
            .pairs
            .iter()
            .copied()
            .filter(|p| s.pairs[*p].score > 0.0)
            .collect();
        let _ = writeln!(
            h,
            "<p>Score {:.2} ({}), rank {} of {}; {} pair(s) with a score.</p>",
            o.score,
            o.tier,
            o.rank,
            s.officers.len(),
            scored.len()
        );
        if !scored.is_empty() {
            h.push_str("<table class=\"toc\">\n<tr><th>subject</th><th>score</th><th>tier</th><th>signs</th></tr>\n");
            for p in scored {
                let pair = &s.pairs[p];
                let signs: Vec<String> = apsp_core::sign::Sign::PAIR
                    .iter()
                    .zip(pair.contributions.iter())
                    .filter(|(_, c)| **c > 0.0)
                    .map(|(sign, c)| format!("{} {c:.2}", sign.id()))
                    .collect();
                let _ = writeln!(
                    h,
                    "<tr><td>{}</td><td>{:.2}</td><td>{}</td><td>{}</td></tr>",
                    esc(&s.linked.subjects[pair.subject].id),
                    pair.score,
                    s.matrix.matrix.tier(pair.score),
                    esc(&signs.join("; "))
                );
            }
            h.push_str("</table>\n");
            h.push_str(&officer_section(s, &w.officer_id)?);
        }
        h.push_str("</section>\n");
    }
    Ok(())
}

fn other_alerts(h: &mut String, alerts: &[Alert], moved: &BTreeMap<i64, (String, String)>) {
    let count = |state: &str| alerts.iter().filter(|a| a.state == state).count();
    let _ = writeln!(
        h,
        "<h2 id=\"other-alerts\">Other alerts</h2>\n<p>{} persisting (not yet reviewed), {} reviewed \
         (quiet until they escalate), {} resolved by the system.</p>",
        count("persisting"),
        count("reviewed"),
        count("resolved_by_system")
    );
    let resolved: Vec<&Alert> = alerts
        .iter()
        .filter(|a| {
            moved
                .get(&a.id)
                .is_some_and(|m| m.0 == "resolved_by_system")
        })
        .collect();
    if !resolved.is_empty() {
        h.push_str("<p>Resolved tonight:</p>\n<table class=\"toc\">\n<tr><th>officer</th><th>subject</th><th>why</th></tr>\n");
        for a in resolved {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&a.officer_id),
                esc(&a.subject_id),
                esc(&moved[&a.id].1)
            );
        }
        h.push_str("</table>\n");
    }
}

/// The reference tables taken tonight, rows before and now (a partial export shows
/// as a loss).
fn reference_tables(h: &mut String, changes: &[SnapshotChange]) {
    if changes.is_empty() {
        return;
    }
    h.push_str("<p>Reference tables replaced tonight (rows before → now):</p>\n<ul>\n");
    for c in changes {
        let shrunk = c.lost_share() >= SHRINK_NOTICE_SHARE;
        let _ = writeln!(
            h,
            "<li{}>{}: {} → {} ({:+})</li>",
            if shrunk { " class=\"late\"" } else { "" },
            esc(&c.table),
            c.before,
            c.now,
            c.now - c.before
        );
    }
    h.push_str("</ul>\n");
}

/// A file of a night's delivery as the store recorded it (table `""`: it belongs to
/// no table and was not read).
struct Delivered {
    table: String,
    name: String,
    not_taken: Option<String>,
    latest_event: Option<String>,
}

fn delivered_files(store: &Store, run: i64) -> Result<Vec<Delivered>> {
    store.rows(
        "SELECT tbl, name, not_taken, latest_event FROM deliveries WHERE run_id = ?1 \
         ORDER BY tbl = '', tbl, name",
        [run],
        |r| {
            Ok(Delivered {
                table: r.get(0)?,
                name: r.get(1)?,
                not_taken: r.get(2)?,
                latest_event: r.get(3)?,
            })
        },
    )
}

fn data_quality(
    h: &mut String,
    store: &Store,
    night: &Night<'_>,
    files: &[Delivered],
    freshness: &Freshness,
) -> Result<()> {
    h.push_str("<h2 id=\"data-quality\">Data quality</h2>\n");
    let previous_reference: Option<String> = store
        .conn
        .query_row(
            "SELECT reference_time FROM runs WHERE id < ?1 AND status = 'done' ORDER BY id DESC LIMIT 1",
            [night.run],
            |r| r.get(0),
        )
        .ok()
        .flatten();
    let Freshness {
        delivered,
        taken,
        not_read,
        ..
    } = *freshness;
    let _ = write!(
        h,
        "<h3>Files</h3>\n<p>{delivered} file(s) delivered: {taken} taken, {} not taken again",
        delivered - taken - not_read
    );
    if not_read > 0 {
        let _ = write!(
            h,
            ", <span class=\"late\">{not_read} not read (they belong to no table)</span>"
        );
    }
    h.push_str(".</p>\n");
    if !files.is_empty() {
        h.push_str("<table class=\"toc\">\n<tr><th>table</th><th>file</th><th>taken</th><th>latest event (UTC)</th></tr>\n");
        for f in files {
            let late = match (&f.latest_event, &previous_reference) {
                (Some(l), Some(p)) => l < p,
                _ => false,
            };
            let unread = f.table.is_empty();
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td{}>{}</td><td{}>{}{}</td></tr>",
                if unread {
                    "—".to_string()
                } else {
                    esc(&f.table)
                },
                esc(&f.name),
                if unread { " class=\"late\"" } else { "" },
                esc(f.not_taken.as_deref().unwrap_or("yes")),
                if late { " class=\"late\"" } else { "" },
                esc(f.latest_event.as_deref().unwrap_or("")),
                if late {
                    " — late: every event precedes the last run's reference time"
                } else {
                    ""
                }
            );
        }
        h.push_str("</table>\n");
    }
    reference_tables(h, &freshness.snapshots);
    h.push_str("<h3>Rows quarantined tonight</h3>\n");
    if night.quarantined.is_empty() {
        h.push_str("<p>None.</p>\n");
    } else {
        h.push_str("<table class=\"toc\">\n<tr><th>reason</th><th>rows</th></tr>\n");
        for (r, n) in &night.quarantined {
            let _ = writeln!(h, "<tr><td>{}</td><td>{n}</td></tr>", esc(r));
        }
        h.push_str("</table>\n<p>Each row, with its file, line and reason: <code>quarantine.parquet</code> in the run's folder.</p>\n");
    }
    let c = night.coverage;
    let missing = c.missing_days(night.scored.reference);
    let _ = writeln!(
        h,
        "<h3>Coverage</h3>\n<p>Days with no rows among the {COVERAGE_DAYS} days to {} \
         (the run's reference time's day, UTC):</p>\n<ul>",
        esc(&missing.last_day)
    );
    for (t, days) in &missing.by_table {
        let _ = writeln!(
            h,
            "<li>{}: {}</li>",
            esc(t),
            if days.is_empty() {
                "none".to_string()
            } else {
                esc(&days.join(", "))
            }
        );
    }
    h.push_str("</ul>\n");
    set_aside(h, night.scored);
    let n = c.officers_without_billing.len();
    let shown: Vec<&str> = c
        .officers_without_billing
        .iter()
        .take(50)
        .map(String::as_str)
        .collect();
    let _ = writeln!(
        h,
        "<p>{n} officer(s) with no billing row for any of their devices (their phone contact is not \
         looked at){}{}</p>",
        if n > 0 { ": " } else { "." },
        esc(&shown.join(", ")) + if n > 50 { ", …" } else { "" }
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-03-10 00:00 UTC, in days since 1970.
    const MARCH_10: i64 = 20_522;

    fn coverage(billing: &[i64]) -> Coverage {
        let mut c = Coverage::default();
        c.days_with_rows
            .insert(Table::Billing, billing.iter().copied().collect());
        c
    }

    /// The days checked end at the reference time's day, whatever the latest event:
    /// a row dated twelve years ahead (a device clock) does not empty the fortnight.
    #[test]
    fn missing_days_end_at_the_reference_time() {
        // Rows every day from 1 to 10 March but 4 March, and one in 2038.
        let mut days: Vec<i64> = (MARCH_10 - 9..=MARCH_10)
            .filter(|d| *d != MARCH_10 - 6)
            .collect();
        days.push(MARCH_10 + 12 * 365);
        let reference = MARCH_10 * DAY + 7 * 3_600_000_000;
        let m = coverage(&days).missing_days(reference);
        assert_eq!(m.last_day, "2026-03-10");
        let expected: Vec<&str> = vec![
            "2026-02-25",
            "2026-02-26",
            "2026-02-27",
            "2026-02-28",
            "2026-03-04",
        ];
        assert_eq!(m.by_table["billing"], expected);
    }

    /// An ordinary night on 10 March: files taken, billing and stops of 9 March.
    fn ordinary_night() -> Freshness {
        Freshness {
            delivered: 4,
            taken: 3,
            not_read: 0,
            run_day: Some(MARCH_10),
            newest: BTreeMap::from([
                ("billing".to_string(), MARCH_10 - 1),
                ("stops".to_string(), MARCH_10 - 1),
            ]),
            snapshots: vec![SnapshotChange {
                table: "persons".into(),
                before: 1_000,
                now: 1_004,
            }],
            matrix: None,
        }
    }

    /// A new matrix is said after what the delivery lacked and before the files not
    /// read; the label shortens the hash to twelve digits.
    #[test]
    fn a_new_matrix_is_said() {
        let mut night = Freshness {
            taken: 0,
            not_read: 1,
            matrix: Some(MatrixChange {
                before: matrix_label("apsp-default", "2026.12.2", &"ab".repeat(32)),
                now: matrix_label("force-x", "1", &"cd".repeat(32)),
            }),
            ..ordinary_night()
        };
        let n = night.notices();
        assert_eq!(n.len(), 3, "{n:?}");
        assert!(n[0].starts_with("Nothing new was taken tonight"));
        assert_eq!(
            n[1],
            "The risk matrix changed since the last run (apsp-default 2026.12.2, SHA-256 \
             abababababab… → force-x 1, SHA-256 cdcdcdcdcdcd…): tonight's scores, tiers and \
             alerts follow the new matrix as well as the data, so an alert new, escalated or \
             resolved tonight may owe its move to the matrix alone"
        );
        assert!(n[2].starts_with("1 file(s) delivered tonight were not read"));
        night.matrix = None;
        assert_eq!(night.notices().len(), 2);
    }

    /// A snapshot that lost 5 % of its rows or more is said; 4.9 % is not.
    #[test]
    fn a_shrunken_snapshot_is_said() {
        let lost = |now| Freshness {
            snapshots: vec![SnapshotChange {
                table: "persons".into(),
                before: 1_000,
                now,
            }],
            ..ordinary_night()
        };
        assert!(lost(951).notices().is_empty());
        assert_eq!(
            lost(950).notices(),
            vec![
                "Tonight's persons snapshot has 950 row(s), 50 (5 %) fewer than the one it \
                 replaces: if its export was partial, the rows missing from it are missing \
                 from tonight's scores"
                    .to_string()
            ]
        );
    }

    #[test]
    fn an_ordinary_night_has_no_notice() {
        assert!(ordinary_night().notices().is_empty());
        // Billing of 8 March, two days before: after a day without an export.
        let mut weekend = ordinary_night();
        weekend.newest.insert("billing".into(), MARCH_10 - 2);
        assert!(weekend.notices().is_empty());
    }

    /// Nothing delivered, nothing new, a file of no table, one table's exports
    /// stopped: each is said, in that order.
    #[test]
    fn a_night_that_took_nothing_says_so() {
        let empty = Freshness {
            delivered: 0,
            taken: 0,
            ..ordinary_night()
        };
        let n = empty.notices();
        assert_eq!(n.len(), 1);
        assert!(n[0].starts_with("Nothing was delivered tonight"), "{n:?}");
        let again = Freshness {
            taken: 0,
            ..ordinary_night()
        };
        let n = again.notices();
        assert_eq!(n.len(), 1);
        assert!(n[0].contains("of the 4 file(s) delivered, none"), "{n:?}");
        // Billing stopped on 7 March while the stops go on.
        let mut stopped = Freshness {
            taken: 0,
            not_read: 1,
            ..ordinary_night()
        };
        stopped.newest.insert("billing".into(), MARCH_10 - 3);
        let n = stopped.notices();
        assert_eq!(n.len(), 3, "{n:?}");
        assert!(n[1].starts_with("1 file(s) delivered tonight were not read"));
        assert_eq!(
            n[2],
            "The newest billing rows are of 2026-03-07 (UTC), 3 days before this run's day: \
             if billing is exported daily, its exports are missing or late"
        );
    }

    /// The newest rows are the newest up to the reference time: a row of 2038 (a
    /// device clock) is not billing's newest export.
    #[test]
    fn the_newest_rows_stop_at_the_reference_time() {
        let c = coverage(&[MARCH_10 - 5, MARCH_10 - 4, MARCH_10 + 12 * 365]);
        let newest = c.newest_days(MARCH_10 * DAY + 3_600_000_000);
        assert_eq!(newest["billing"], MARCH_10 - 4);
    }

    /// A reference time before 1970 still names its day (floor, not truncation).
    #[test]
    fn days_before_1970_floor() {
        let m = coverage(&[-1]).missing_days(-1);
        assert_eq!(m.last_day, "1969-12-31");
        assert_eq!(m.by_table["billing"].len(), COVERAGE_DAYS as usize - 1);
    }
}
