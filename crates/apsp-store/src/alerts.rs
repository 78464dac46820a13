//! Alerts: an officer (and each of their flagged pairs) at or above the matrix's alert
//! tier, keyed by (officer, subject) so that a night run again updates and never
//! duplicates. Each night moves an alert by [`transition`]; a review is appended with
//! who, when, the outcome and a note, and is never edited or deleted.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use apsp_core::matrix::RiskMatrix;
use polars::prelude::*;
use rusqlite::{params, OptionalExtension, Row};
use serde::Serialize;

use crate::{Result, Store, StoreError};

/// Where an alert stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    /// Raised tonight for the first time (or again after it was resolved).
    New,
    /// Still at or above the alert tier, not yet reviewed.
    Persisting,
    /// Crossed a tier upwards; or, reviewed, rose past its score at the review by the
    /// matrix's margin, or past its tier at the review.
    Escalated,
    /// Fell below the alert tier, or its evidence aged out of the window.
    ResolvedBySystem,
    /// Reviewed: quiet until it escalates past its score at the review.
    Reviewed,
}

impl AlertState {
    pub const ALL: [AlertState; 5] = [
        AlertState::New,
        AlertState::Persisting,
        AlertState::Escalated,
        AlertState::ResolvedBySystem,
        AlertState::Reviewed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            AlertState::New => "new",
            AlertState::Persisting => "persisting",
            AlertState::Escalated => "escalated",
            AlertState::ResolvedBySystem => "resolved_by_system",
            AlertState::Reviewed => "reviewed",
        }
    }

    pub fn parse(s: &str) -> Option<AlertState> {
        AlertState::ALL.into_iter().find(|a| a.code() == s)
    }

    /// Waiting for a reviewer (new, persisting, escalated).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            AlertState::New | AlertState::Persisting | AlertState::Escalated
        )
    }
}

/// What a reviewer concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Looked at: no concern.
    NoConcern,
    /// The contact has a legitimate explanation (a case, a duty, a relative).
    Explained,
    /// Referred for assessment or investigation.
    Referred,
    /// The same matter as another alert.
    Duplicate,
}

impl Outcome {
    pub const ALL: [Outcome; 4] = [
        Outcome::NoConcern,
        Outcome::Explained,
        Outcome::Referred,
        Outcome::Duplicate,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Outcome::NoConcern => "no_concern",
            Outcome::Explained => "explained",
            Outcome::Referred => "referred",
            Outcome::Duplicate => "duplicate",
        }
    }

    pub fn parse(s: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.code() == s)
    }
}

/// A review of an alert.
#[derive(Debug, Clone)]
pub struct Review {
    pub reviewer: String,
    pub outcome: Outcome,
    pub note: String,
    /// The last run the reviewer looked at (its morning report or outputs): a review
    /// of an alert that moved after it is refused, so an escalation is never
    /// reviewed away unseen. None: the alert as it stands now.
    pub seen_run: Option<i64>,
}

/// How the matrix says alerts are raised and escalated.
#[derive(Debug, Clone)]
pub(crate) struct AlertRules {
    /// The lowest tier raising an alert.
    pub tier: String,
    pub margin: f64,
    /// The lowest score of that tier.
    pub floor: f64,
}

impl AlertRules {
    pub(crate) fn of(m: &RiskMatrix) -> AlertRules {
        AlertRules {
            tier: m.alerts.tier.clone(),
            margin: m.alerts.escalation_margin,
            floor: m.tier_floor(&m.alerts.tier),
        }
    }
}

/// The rank of a tier: none < low < medium < high.
fn tier_rank(tier: &str) -> u8 {
    match tier {
        "high" => 3,
        "medium" => 2,
        "low" => 1,
        _ => 0,
    }
}

/// An alert's standing after its last night.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Standing {
    pub state: AlertState,
    pub score: f64,
    pub tier: String,
    /// Score and tier at the last review.
    pub review: Option<(f64, String)>,
}

/// An alert key's score tonight (0 and `none` when it has none).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Tonight {
    pub score: f64,
    pub tier: String,
    /// At or above the alert tier (a pair: its officer is, and the pair is flagged).
    pub raised: bool,
}

/// A change of state and why.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Transition {
    pub to: AlertState,
    pub why: String,
}

/// The state an alert moves to tonight, if it changes (None: it stays as it was).
pub(crate) fn transition(
    prev: Option<&Standing>,
    now: &Tonight,
    rules: &AlertRules,
) -> Option<Transition> {
    let go = |to, why: String| Some(Transition { to, why });
    let Some(prev) = prev else {
        return now.raised.then(|| Transition {
            to: AlertState::New,
            why: format!(
                "score {:.2} ({}) is at or above the alert tier ({}, {:.2})",
                now.score, now.tier, rules.tier, rules.floor
            ),
        });
    };
    if !now.raised {
        if prev.state == AlertState::ResolvedBySystem {
            return None;
        }
        let why = if now.score == 0.0 {
            "score 0: its evidence has aged out of the analysis window, or the officer or \
             pair is no longer in the data"
                .to_string()
        } else {
            format!(
                "score {:.2} fell below the alert tier ({}, {:.2})",
                now.score, rules.tier, rules.floor
            )
        };
        return go(AlertState::ResolvedBySystem, why);
    }
    match prev.state {
        // Back after a review: judged against the review, as if it had stayed
        // reviewed (a score hovering at the tier's floor must not be raised again and
        // again after its review).
        AlertState::ResolvedBySystem if prev.review.is_some() => past_review(prev, now, rules)
            .or_else(|| {
                go(
                    AlertState::Reviewed,
                    format!(
                        "back at or above the alert tier (score {:.2}), quiet since its review",
                        now.score
                    ),
                )
            }),
        AlertState::ResolvedBySystem => go(
            AlertState::New,
            format!(
                "back at or above the alert tier: score {:.2} ({})",
                now.score, now.tier
            ),
        ),
        AlertState::Reviewed => past_review(prev, now, rules),
        _ if tier_rank(&now.tier) > tier_rank(&prev.tier) => go(
            AlertState::Escalated,
            format!(
                "tier rose from {} to {} (score {:.2} -> {:.2})",
                prev.tier, now.tier, prev.score, now.score
            ),
        ),
        AlertState::Persisting => None,
        _ => go(
            AlertState::Persisting,
            format!(
                "still at or above the alert tier: score {:.2} ({})",
                now.score, now.tier
            ),
        ),
    }
}

/// A reviewed alert escalates when its tier rises above its tier at the review, or
/// its score passes its score at the review by the margin; else it stays quiet.
fn past_review(prev: &Standing, now: &Tonight, rules: &AlertRules) -> Option<Transition> {
    let (at_review, tier_at_review) = prev
        .review
        .clone()
        .unwrap_or((prev.score, prev.tier.clone()));
    let why = if tier_rank(&now.tier) > tier_rank(&tier_at_review) {
        format!(
            "tier rose from {tier_at_review} at the review to {} (score {at_review:.2} -> {:.2})",
            now.tier, now.score
        )
    } else if now.score >= at_review + rules.margin {
        format!(
            "score rose from {at_review:.2} at the review to {:.2} (the margin is {:.2})",
            now.score, rules.margin
        )
    } else {
        return None;
    };
    Some(Transition {
        to: AlertState::Escalated,
        why,
    })
}

/// Tonight's scores by alert key (officer, subject; subject "" for the officer), read
/// from the run's outputs: every officer, and the pairs that are raised tonight or
/// already alerts (`known`): the others (nearly all of a force's pairs) are never
/// looked up.
pub(crate) fn tonight_from_outputs(
    run_dir: &Path,
    rules: &AlertRules,
    known: &BTreeMap<(String, String), (i64, Standing)>,
) -> Result<BTreeMap<(String, String), (Tonight, String)>> {
    let read = |name: &str, columns: &[&str]| -> Result<DataFrame> {
        crate::take::read_parquet(&run_dir.join(format!("{name}.parquet")), Some(columns))
    };
    let officers = read("officers", &["officer_id", "score", "tier", "top_reasons"])?;
    let mut out = BTreeMap::new();
    let mut raised_officers = BTreeSet::new();
    let ids = officers.column("officer_id")?.str()?;
    let scores = officers.column("score")?.f64()?;
    let tiers = officers.column("tier")?.str()?;
    let reasons = officers.column("top_reasons")?.str()?;
    for i in 0..officers.height() {
        let (Some(id), Some(score), Some(tier)) = (ids.get(i), scores.get(i), tiers.get(i)) else {
            continue;
        };
        let raised = tier_rank(tier) >= tier_rank(&rules.tier) && score > 0.0;
        if raised {
            raised_officers.insert(id.to_string());
        }
        out.insert(
            (id.to_string(), String::new()),
            (
                Tonight {
                    score,
                    tier: tier.to_string(),
                    raised,
                },
                reasons.get(i).unwrap_or_default().to_string(),
            ),
        );
    }
    // The pairs of known alerts, by officer then subject, to be told without building
    // a key per pair.
    let mut known_pairs: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (officer, subject) in known.keys().filter(|(_, s)| !s.is_empty()) {
        known_pairs.entry(officer).or_default().insert(subject);
    }
    let sign_names: Vec<&str> = apsp_core::sign::Sign::PAIR.iter().map(|s| s.id()).collect();
    let pair_columns = pairs_columns(run_dir, &sign_names)?;
    let columns: Vec<&str> = pair_columns.iter().map(String::as_str).collect();
    let pairs = read("pairs", &columns)?;
    let ids = pairs.column("officer_id")?.str()?;
    let subjects = pairs.column("subject_id")?.str()?;
    let scores = pairs.column("score")?.f64()?;
    let tiers = pairs.column("tier")?.str()?;
    let signs: Vec<(&str, &Float64Chunked)> = sign_names
        .iter()
        .filter_map(|name| {
            pairs
                .column(name)
                .ok()
                .and_then(|c| c.f64().ok())
                .map(|c| (*name, c))
        })
        .collect();
    for i in 0..pairs.height() {
        let (Some(id), Some(subject), Some(score), Some(tier)) =
            (ids.get(i), subjects.get(i), scores.get(i), tiers.get(i))
        else {
            continue;
        };
        let raised = tier_rank(tier) >= 1 && raised_officers.contains(id);
        let wanted = raised || known_pairs.get(id).is_some_and(|s| s.contains(subject));
        if !wanted {
            continue;
        }
        let why: Vec<String> = signs
            .iter()
            .filter_map(|(name, c)| {
                c.get(i)
                    .filter(|v| *v > 0.0)
                    .map(|v| format!("{name} {v:.2}"))
            })
            .collect();
        out.insert(
            (id.to_string(), subject.to_string()),
            (
                Tonight {
                    score,
                    tier: tier.to_string(),
                    raised,
                },
                why.join("; "),
            ),
        );
    }
    Ok(out)
}

/// The columns of the run's pairs output that the alerts read: the keys, score, tier
/// and whichever of the pair signs it has.
fn pairs_columns(run_dir: &Path, signs: &[&str]) -> Result<Vec<String>> {
    let path = run_dir.join("pairs.parquet");
    let f = std::fs::File::open(&path).map_err(|e| StoreError::io(&path, e))?;
    let schema = ParquetReader::new(f).schema()?;
    let mut columns: Vec<String> = ["officer_id", "subject_id", "score", "tier"]
        .map(String::from)
        .to_vec();
    columns.extend(
        signs
            .iter()
            .filter(|s| schema.contains(s))
            .map(|s| s.to_string()),
    );
    Ok(columns)
}

/// What the night did to the alerts.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AlertCounts {
    /// Alerts by state after the night.
    pub by_state: BTreeMap<String, u64>,
    /// State changes made tonight, by the state moved to.
    pub changes: BTreeMap<String, u64>,
    /// Alerts raised under a number that followed the person it is now recorded for.
    pub identified: u64,
    /// Alerts raised under a number recorded tonight for a person whose pair with the
    /// officer has an alert already (or another of her numbers' alerts followed her):
    /// resolved, their contacts scored in that alert from tonight.
    pub merged: u64,
}

/// Tonight's person for a subject id an alert was raised under: the person whose
/// record now lists that number (None: the subject is as it was).
pub(crate) type Identify<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Moves every alert by tonight's scores (inside the caller's transaction). An alert
/// raised under a number that tonight's records give to a person follows the person
/// first (see [`follow_identified_subjects`]).
pub(crate) fn update(
    tx: &rusqlite::Transaction<'_>,
    store: &Store,
    run: i64,
    run_dir: &Path,
    rules: &AlertRules,
    identify: Identify<'_>,
) -> Result<AlertCounts> {
    let sql = |e| store.sql(e);
    let mut known = standings(tx, store)?;
    let followed = follow_identified_subjects(tx, store, run, &mut known, identify)?;
    let tonight = tonight_from_outputs(run_dir, rules, &known)?;
    let mut keys: BTreeSet<(String, String)> = known.keys().cloned().collect();
    keys.extend(
        tonight
            .iter()
            .filter(|(_, (t, _))| t.raised)
            .map(|(k, _)| k.clone()),
    );
    let absent = (
        Tonight {
            score: 0.0,
            tier: "none".to_string(),
            raised: false,
        },
        String::new(),
    );
    let at = crate::db::now();
    let mut counts = AlertCounts {
        identified: followed.moved,
        merged: followed.merged.len() as u64,
        ..AlertCounts::default()
    };
    for key in keys {
        let (now, reasons) = tonight.get(&key).unwrap_or(&absent);
        let prev = known.get(&key);
        let change = transition(prev.map(|(_, s)| s), now, rules);
        let state = change
            .as_ref()
            .map(|c| c.to)
            .or(prev.map(|(_, s)| s.state))
            .expect("a key is known or raised");
        let id: i64 = match prev {
            Some((id, _)) => {
                tx.execute(
                    "UPDATE alerts SET state = ?1, score = ?2, tier = ?3, reasons = ?4, last_run = ?5 WHERE id = ?6",
                    params![state.code(), now.score, now.tier, reasons, run, id],
                )
                .map_err(sql)?;
                *id
            }
            None => {
                tx.execute(
                    "INSERT INTO alerts(officer_id, subject_id, state, score, tier, reasons, first_run, last_run)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
                    params![key.0, key.1, state.code(), now.score, now.tier, reasons, run],
                )
                .map_err(sql)?;
                tx.last_insert_rowid()
            }
        };
        tx.execute(
            "INSERT INTO alert_scores(alert_id, run_id, score, tier, state) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id, run, now.score, now.tier, state.code()],
        )
        .map_err(sql)?;
        if let Some(c) = change {
            let why = match followed.merged.get(&key) {
                Some(m) if c.to == AlertState::ResolvedBySystem => m.resolved_note(&key.1),
                _ => c.why,
            };
            tx.execute(
                "INSERT INTO alert_events(alert_id, run_id, at, actor, kind, from_state, to_state, note, score)
                 VALUES (?1, ?2, ?3, 'apsp nightly', 'state', ?4, ?5, ?6, ?7)",
                params![id, run, at, prev.map(|(_, s)| s.state.code()), c.to.code(), why, now.score],
            )
            .map_err(sql)?;
            *counts.changes.entry(c.to.code().to_string()).or_default() += 1;
        }
        *counts.by_state.entry(state.code().to_string()).or_default() += 1;
    }
    Ok(counts)
}

/// A pair's alert raised under a number that tonight's `person_numbers` gives to a
/// person (her record was made after the contact: a victim's case opened later, a
/// number traced) becomes the alert of the officer's pair with that person, keeping
/// its state, scores and reviews: the number's contact is the person's from tonight.
/// Its history says so, as a state event that leaves the state as it was. Where the
/// officer's pair with the person has an alert already, none moves; where several of
/// his numbers' alerts are the same person's, the one [`follows_first`] puts first
/// moves. The others resolve, saying which alert scores their contacts now, and that
/// alert's history says which number's contacts it took.
fn follow_identified_subjects(
    tx: &rusqlite::Transaction<'_>,
    store: &Store,
    run: i64,
    known: &mut BTreeMap<(String, String), (i64, Standing)>,
    identify: Identify<'_>,
) -> Result<Followed> {
    // The number alerts each (officer, person) could take, best first.
    let mut candidates: BTreeMap<(String, String), Vec<(String, &Standing)>> = BTreeMap::new();
    for ((officer, subject), (_, standing)) in known.iter() {
        if subject.is_empty() {
            continue;
        }
        if let Some(person) = identify(subject).filter(|p| p != subject) {
            candidates
                .entry((officer.clone(), person))
                .or_default()
                .push((subject.clone(), standing));
        }
    }
    let mut moves: Vec<((String, String), String)> = Vec::new();
    let mut merges: Vec<((String, String), (String, String))> = Vec::new();
    for (to, mut numbers) in candidates {
        numbers.sort_by(|a, b| follows_first(a.1, b.1).then(a.0.cmp(&b.0)));
        let mut numbers = numbers.into_iter();
        if !known.contains_key(&to) {
            if let Some((first, _)) = numbers.next() {
                moves.push((to.clone(), first));
            }
        }
        // A number alert resolved before has no contacts to hand over (and would be
        // told again every night).
        merges.extend(
            numbers
                .filter(|(_, s)| s.state != AlertState::ResolvedBySystem)
                .map(|(n, _)| ((to.0.clone(), n), to.clone())),
        );
    }
    let at = crate::db::now();
    let mut followed = Followed::default();
    for ((officer, person), number) in moves {
        let Some((id, standing)) = known.remove(&(officer.clone(), number.clone())) else {
            continue;
        };
        tx.execute(
            "UPDATE alerts SET subject_id = ?1 WHERE id = ?2",
            params![person, id],
        )
        .map_err(|e| store.sql(e))?;
        tx.execute(
            "INSERT INTO alert_events(alert_id, run_id, at, actor, kind, from_state, to_state, note, score)
             VALUES (?1, ?2, ?3, 'apsp nightly', 'state', ?4, ?4, ?5, ?6)",
            params![id, run, at, standing.state.code(), identified_note(&number, &person), standing.score],
        )
        .map_err(|e| store.sql(e))?;
        known.insert((officer, person), (id, standing));
        followed.moved += 1;
    }
    for (number_key, person_key) in merges {
        let (Some((from, _)), Some((into, standing))) =
            (known.get(&number_key), known.get(&person_key))
        else {
            continue;
        };
        let m = Merged {
            person: person_key.1.clone(),
            into: *into,
            from: *from,
        };
        tx.execute(
            "INSERT INTO alert_events(alert_id, run_id, at, actor, kind, from_state, to_state, note, score)
             VALUES (?1, ?2, ?3, 'apsp nightly', 'state', ?4, ?4, ?5, ?6)",
            params![into, run, at, standing.state.code(), m.joined_note(&number_key.1), standing.score],
        )
        .map_err(|e| store.sql(e))?;
        followed.merged.insert(number_key, m);
    }
    Ok(followed)
}

/// What following identified subjects did: alerts moved to their person, and number
/// alerts whose contacts another alert of the person's pair takes from tonight.
#[derive(Default)]
struct Followed {
    moved: u64,
    merged: BTreeMap<(String, String), Merged>,
}

/// A number alert that cannot follow its person, because the officer's pair with her
/// has an alert (its own, or another of her numbers' that followed): it resolves,
/// and both histories say where the contacts went.
struct Merged {
    person: String,
    /// The alert of the officer's pair with the person.
    into: i64,
    /// The number's alert.
    from: i64,
}

impl Merged {
    /// The resolution line of the number's alert (instead of "no longer in the data").
    fn resolved_note(&self, number: &str) -> String {
        format!(
            "{IDENTIFIED} {number} is recorded for person {} tonight; its contacts are \
             scored in the officer's pair with the person from tonight (alert {})",
            self.person, self.into
        )
    }

    /// The line added to the person's alert.
    fn joined_note(&self, number: &str) -> String {
        format!(
            "number {number} is recorded for this person tonight; its contacts, alert {} \
             until now, are scored in this pair from tonight",
            self.from
        )
    }
}

/// The history line of an alert that followed its number's person.
fn identified_note(number: &str, person: &str) -> String {
    format!(
        "{IDENTIFIED} {number} is recorded for person {person} tonight; the alert follows \
         the person, with its history"
    )
}

/// How an identified subject's history line begins.
const IDENTIFIED: &str = "subject identified: number";

/// Which of one person's number alerts follows her: a reviewed one first (its review
/// must not be asked for again), then an escalated one, then the highest score.
fn follows_first(a: &Standing, b: &Standing) -> std::cmp::Ordering {
    let rank = |s: &Standing| match s.state {
        AlertState::Reviewed => 0,
        AlertState::Escalated => 1,
        AlertState::Persisting | AlertState::New => 2,
        AlertState::ResolvedBySystem => 3,
    };
    rank(a).cmp(&rank(b)).then(b.score.total_cmp(&a.score))
}

/// Every alert's id and standing, by key.
fn standings(
    tx: &rusqlite::Transaction<'_>,
    store: &Store,
) -> Result<BTreeMap<(String, String), (i64, Standing)>> {
    let mut stmt = tx
        .prepare("SELECT id, officer_id, subject_id, state, score, tier, review_score, review_tier FROM alerts")
        .map_err(|e| store.sql(e))?;
    let rows = stmt
        .query_map([], |r| {
            let state: String = r.get(3)?;
            let review_score: Option<f64> = r.get(6)?;
            let review_tier: Option<String> = r.get(7)?;
            Ok((
                (r.get::<_, String>(1)?, r.get::<_, String>(2)?),
                (
                    r.get::<_, i64>(0)?,
                    Standing {
                        state: AlertState::parse(&state).unwrap_or(AlertState::New),
                        score: r.get(4)?,
                        tier: r.get(5)?,
                        review: review_score.zip(review_tier),
                    },
                ),
            ))
        })
        .map_err(|e| store.sql(e))?;
    rows.collect::<std::result::Result<BTreeMap<_, _>, _>>()
        .map_err(|e| store.sql(e))
}

/// An alert as listed.
#[derive(Debug, Clone, Serialize)]
pub struct Alert {
    pub id: i64,
    pub officer_id: String,
    /// Empty for the officer's own alert.
    pub subject_id: String,
    pub state: String,
    pub score: f64,
    pub tier: String,
    pub reasons: String,
    pub first_run: i64,
    pub last_run: i64,
    pub review_score: Option<f64>,
    pub review_tier: Option<String>,
}

impl Alert {
    fn from_row(r: &Row<'_>) -> rusqlite::Result<Alert> {
        Ok(Alert {
            id: r.get(0)?,
            officer_id: r.get(1)?,
            subject_id: r.get(2)?,
            state: r.get(3)?,
            score: r.get(4)?,
            tier: r.get(5)?,
            reasons: r.get(6)?,
            first_run: r.get(7)?,
            last_run: r.get(8)?,
            review_score: r.get(9)?,
            review_tier: r.get(10)?,
        })
    }
}

const ALERT_COLUMNS: &str = "id, officer_id, subject_id, state, score, tier, reasons, first_run, last_run, review_score, review_tier";

/// A state change or a review.
#[derive(Debug, Clone, Serialize)]
pub struct AlertEvent {
    pub alert_id: i64,
    pub run_id: Option<i64>,
    pub at: String,
    pub actor: String,
    /// `state` or `review`.
    pub kind: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub outcome: Option<String>,
    pub note: String,
    pub score: f64,
}

/// One alert's score in one run.
#[derive(Debug, Clone, Serialize)]
pub struct AlertScore {
    pub alert_id: i64,
    pub run_id: i64,
    pub score: f64,
    pub tier: String,
    pub state: String,
}

impl Store {
    /// The alerts, open ones first (escalated, new, persisting), then by score.
    /// `state`: only alerts in that state.
    pub fn alerts(&self, state: Option<AlertState>) -> Result<Vec<Alert>> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {ALERT_COLUMNS} FROM alerts WHERE (?1 IS NULL OR state = ?1)
                 ORDER BY CASE state WHEN 'escalated' THEN 0 WHEN 'new' THEN 1 WHEN 'persisting' THEN 2
                 WHEN 'reviewed' THEN 3 ELSE 4 END, score DESC, officer_id, subject_id"
            ))
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map([state.map(AlertState::code)], Alert::from_row)
            .map_err(|e| self.sql(e))?;
        rows.collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| self.sql(e))
    }

    /// One alert.
    pub fn alert(&self, id: i64) -> Result<Alert> {
        self.conn
            .query_row(
                &format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE id = ?1"),
                [id],
                Alert::from_row,
            )
            .optional()
            .map_err(|e| self.sql(e))?
            .ok_or_else(|| StoreError::store(&self.path, format!("no alert {id}")))
    }

    /// The alert of an officer (`subject` "" or None) or of a pair.
    pub fn find_alert(&self, officer: &str, subject: Option<&str>) -> Result<Alert> {
        let subject = subject.unwrap_or("");
        self.conn
            .query_row(
                &format!(
                    "SELECT {ALERT_COLUMNS} FROM alerts WHERE officer_id = ?1 AND subject_id = ?2"
                ),
                params![officer, subject],
                Alert::from_row,
            )
            .optional()
            .map_err(|e| self.sql(e))?
            .map_or_else(|| Err(self.no_alert(officer, subject)), Ok)
    }

    /// Why there is no alert for (officer, subject): for a number whose alert followed
    /// the person it was later recorded for, which alert that is now.
    fn no_alert(&self, officer: &str, subject: &str) -> StoreError {
        if subject.is_empty() {
            return StoreError::store(&self.path, format!("no alert for officer {officer}"));
        }
        let followed: Option<(i64, String)> = self
            .conn
            .query_row(
                "SELECT a.id, a.subject_id FROM alert_events e JOIN alerts a ON a.id = e.alert_id
                 WHERE a.officer_id = ?1 AND instr(e.note, ?2) = 1 ORDER BY e.id DESC LIMIT 1",
                params![officer, format!("{IDENTIFIED} {subject} ")],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .ok()
            .flatten();
        let mut message = format!("no alert for officer {officer} and subject {subject}");
        if let Some((id, person)) = followed {
            message.push_str(&format!(
                ": its alert follows person {person}, whose record lists the number (alert {id})"
            ));
        }
        StoreError::store(&self.path, message)
    }

    /// State changes and reviews, oldest first (one alert's, or every alert's).
    pub fn history(&self, alert: Option<i64>) -> Result<Vec<AlertEvent>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT alert_id, run_id, at, actor, kind, from_state, to_state, outcome, note, score
                 FROM alert_events WHERE (?1 IS NULL OR alert_id = ?1) ORDER BY id",
            )
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map([alert], |r| {
                Ok(AlertEvent {
                    alert_id: r.get(0)?,
                    run_id: r.get(1)?,
                    at: r.get(2)?,
                    actor: r.get(3)?,
                    kind: r.get(4)?,
                    from_state: r.get(5)?,
                    to_state: r.get(6)?,
                    outcome: r.get(7)?,
                    note: r.get(8)?,
                    score: r.get(9)?,
                })
            })
            .map_err(|e| self.sql(e))?;
        rows.collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| self.sql(e))
    }

    /// An alert's score in every run, oldest first.
    pub fn scores(&self, alert: i64) -> Result<Vec<AlertScore>> {
        let mut stmt = self
            .conn
            .prepare("SELECT alert_id, run_id, score, tier, state FROM alert_scores WHERE alert_id = ?1 ORDER BY run_id")
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map([alert], |r| {
                Ok(AlertScore {
                    alert_id: r.get(0)?,
                    run_id: r.get(1)?,
                    score: r.get(2)?,
                    tier: r.get(3)?,
                    state: r.get(4)?,
                })
            })
            .map_err(|e| self.sql(e))?;
        rows.collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| self.sql(e))
    }

    /// Refuses a review based on run `seen` of an alert that moved in a later run.
    fn refuse_a_move_after(&self, alert: i64, seen: i64) -> Result<()> {
        let moved: Option<(i64, String, String)> = self
            .conn
            .query_row(
                "SELECT run_id, to_state, note FROM alert_events
                 WHERE alert_id = ?1 AND kind = 'state' AND run_id > ?2 ORDER BY id DESC LIMIT 1",
                params![alert, seen],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(|e| self.sql(e))?;
        match moved {
            Some((run, state, why)) => Err(StoreError::store(
                &self.path,
                format!(
                    "alert {alert} moved after run {seen}: {state} in run {run} ({why}); look at run {run} and review again"
                ),
            )),
            None => Ok(()),
        }
    }

    /// Records a review. An open alert becomes `reviewed` and stays quiet until it
    /// escalates past its score (or tier) now; a resolved alert keeps its state, with
    /// the review in its history.
    pub fn review(&self, alert: i64, review: &Review) -> Result<Alert> {
        let reviewer = review.reviewer.trim();
        let note = review.note.trim();
        if reviewer.is_empty() {
            return Err(StoreError::store(
                &self.path,
                "a review needs the reviewer's name",
            ));
        }
        if note.is_empty() {
            return Err(StoreError::store(
                &self.path,
                "a review needs a note saying what was looked at and why the outcome",
            ));
        }
        // The alert is read under the write lock: a night cannot move it in between.
        let tx = crate::db::write_transaction(&self.conn).map_err(|e| self.sql(e))?;
        let a = self.alert(alert)?;
        if let Some(seen) = review.seen_run {
            self.refuse_a_move_after(alert, seen)?;
        }
        let from = AlertState::parse(&a.state).unwrap_or(AlertState::New);
        let to = if from == AlertState::ResolvedBySystem {
            from
        } else {
            AlertState::Reviewed
        };
        if to == AlertState::Reviewed {
            tx.execute(
                "UPDATE alerts SET state = ?1, review_score = ?2, review_tier = ?3 WHERE id = ?4",
                params![to.code(), a.score, a.tier, alert],
            )
            .map_err(|e| self.sql(e))?;
        }
        tx.execute(
            "INSERT INTO alert_events(alert_id, run_id, at, actor, kind, from_state, to_state, outcome, note, score)
             VALUES (?1, NULL, ?2, ?3, 'review', ?4, ?5, ?6, ?7, ?8)",
            params![alert, crate::db::now(), reviewer, from.code(), to.code(), review.outcome.code(), note, a.score],
        )
        .map_err(|e| self.sql(e))?;
        tx.commit().map_err(|e| self.sql(e))?;
        self.alert(alert)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> AlertRules {
        AlertRules {
            tier: "medium".into(),
            margin: 4.0,
            floor: 8.0,
        }
    }

    fn now(score: f64, tier: &str) -> Tonight {
        Tonight {
            score,
            tier: tier.into(),
            raised: tier_rank(tier) >= 2,
        }
    }

    fn standing(
        state: AlertState,
        score: f64,
        tier: &str,
        review: Option<(f64, &str)>,
    ) -> Standing {
        Standing {
            state,
            score,
            tier: tier.into(),
            review: review.map(|(s, t)| (s, t.to_string())),
        }
    }

    fn to(prev: Option<&Standing>, n: &Tonight) -> Option<AlertState> {
        transition(prev, n, &rules()).map(|t| t.to)
    }

    #[test]
    fn an_alert_is_raised_once_then_persists() {
        assert_eq!(to(None, &now(9.0, "medium")), Some(AlertState::New));
        assert_eq!(to(None, &now(5.0, "low")), None);
        let new = standing(AlertState::New, 9.0, "medium", None);
        assert_eq!(
            to(Some(&new), &now(9.5, "medium")),
            Some(AlertState::Persisting)
        );
        let persisting = standing(AlertState::Persisting, 9.5, "medium", None);
        // No change of state: no event, only the score is recorded.
        assert_eq!(to(Some(&persisting), &now(10.0, "medium")), None);
    }

    #[test]
    fn crossing_a_tier_escalates() {
        let persisting = standing(AlertState::Persisting, 9.5, "medium", None);
        let t = transition(Some(&persisting), &now(14.0, "high"), &rules()).unwrap();
        assert_eq!(t.to, AlertState::Escalated);
        assert_eq!(t.why, "tier rose from medium to high (score 9.50 -> 14.00)");
        let escalated = standing(AlertState::Escalated, 14.0, "high", None);
        assert_eq!(
            to(Some(&escalated), &now(14.5, "high")),
            Some(AlertState::Persisting)
        );
    }

    #[test]
    fn a_reviewed_alert_stays_quiet_until_it_grows_by_the_margin() {
        let reviewed = standing(AlertState::Reviewed, 9.0, "medium", Some((9.0, "medium")));
        // 9 + 4 = 13: 12.99 stays quiet, 13 escalates.
        assert_eq!(to(Some(&reviewed), &now(12.99, "medium")), None);
        let t = transition(Some(&reviewed), &now(13.0, "medium"), &rules()).unwrap();
        assert_eq!(t.to, AlertState::Escalated);
        assert_eq!(
            t.why,
            "score rose from 9.00 at the review to 13.00 (the margin is 4.00)"
        );
        // A tier above the one at the review escalates whatever the margin.
        let reviewed_high_margin = AlertRules {
            margin: 100.0,
            ..rules()
        };
        let t = transition(Some(&reviewed), &now(14.0, "high"), &reviewed_high_margin).unwrap();
        assert_eq!(t.to, AlertState::Escalated);
    }

    #[test]
    fn falling_below_or_ageing_out_resolves_with_the_reason() {
        let persisting = standing(AlertState::Persisting, 9.5, "medium", None);
        let t = transition(Some(&persisting), &now(5.0, "low"), &rules()).unwrap();
        assert_eq!(t.to, AlertState::ResolvedBySystem);
        assert_eq!(t.why, "score 5.00 fell below the alert tier (medium, 8.00)");
        let t = transition(Some(&persisting), &now(0.0, "none"), &rules()).unwrap();
        assert!(
            t.why.starts_with("score 0: its evidence has aged out"),
            "{}",
            t.why
        );
        let resolved = standing(AlertState::ResolvedBySystem, 0.0, "none", None);
        assert_eq!(to(Some(&resolved), &now(0.0, "none")), None);
        assert_eq!(
            to(Some(&resolved), &now(8.0, "medium")),
            Some(AlertState::New)
        );
    }

    #[test]
    fn a_reviewed_alert_back_above_the_tier_is_judged_against_its_review() {
        // Reviewed at 8.1, dipped to 7.9 (resolved), back at 8.1: quiet (reviewed),
        // not new; back at 12.1 (8.1 + 4): escalated; at high: escalated.
        let dipped = standing(
            AlertState::ResolvedBySystem,
            7.9,
            "low",
            Some((8.1, "medium")),
        );
        assert_eq!(
            to(Some(&dipped), &now(8.1, "medium")),
            Some(AlertState::Reviewed)
        );
        assert_eq!(
            to(Some(&dipped), &now(12.1, "medium")),
            Some(AlertState::Escalated)
        );
        assert_eq!(
            to(Some(&dipped), &now(14.0, "high")),
            Some(AlertState::Escalated)
        );
    }

    /// Tonight's scores keep every officer, the pairs raised tonight and the known
    /// alerts' pairs (with their own score, tier and reasons, raised or not: a known pair
    /// that fell below is resolved by its real score, not by a missing one), and none of
    /// the other pairs.
    #[test]
    fn tonight_keeps_every_key_the_update_reads() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, mut df: DataFrame| {
            let f = std::fs::File::create(dir.path().join(format!("{name}.parquet"))).unwrap();
            ParquetWriter::new(f).finish(&mut df).unwrap();
        };
        write(
            "officers",
            df!(
                "officer_id" => ["A", "B"],
                "score" => [10.0, 1.0],
                "tier" => ["medium", "low"],
                "top_reasons" => ["night contact", "volume"],
            )
            .unwrap(),
        );
        write(
            "pairs",
            df!(
                "officer_id" => ["A", "A", "B", "B"],
                "subject_id" => ["s1", "s2", "s3", "s4"],
                "score" => [6.0, 0.5, 3.0, 2.0],
                "tier" => ["medium", "none", "low", "low"],
                "stop_near_home" => [1.5, 0.0, 2.0, 0.0],
                "night_contact" => [0.25, 0.0, 0.0, 1.0],
            )
            .unwrap(),
        );
        let key = |o: &str, s: &str| (o.to_string(), s.to_string());
        let mut known = BTreeMap::new();
        known.insert(
            key("B", "s3"),
            (7, standing(AlertState::Persisting, 9.0, "medium", None)),
        );
        let tonight = tonight_from_outputs(dir.path(), &rules(), &known).unwrap();
        let keys: Vec<&(String, String)> = tonight.keys().collect();
        assert_eq!(
            keys,
            [
                &key("A", ""),
                &key("A", "s1"),
                &key("B", ""),
                &key("B", "s3")
            ]
        );
        let (a, why) = &tonight[&key("A", "s1")];
        assert_eq!((a.score, a.tier.as_str(), a.raised), (6.0, "medium", true));
        assert_eq!(why, "night_contact 0.25; stop_near_home 1.50");
        let (b, why) = &tonight[&key("B", "s3")];
        assert_eq!((b.score, b.tier.as_str(), b.raised), (3.0, "low", false));
        assert_eq!(why, "stop_near_home 2.00");
        let (officer, why) = &tonight[&key("A", "")];
        assert_eq!((officer.score, officer.raised), (10.0, true));
        assert_eq!(why, "night contact");
        assert!(!tonight[&key("B", "")].0.raised);
    }

    /// Writes a night's officers (each raised: their pairs may be) and pairs frames.
    fn write_night(dir: &Path, pairs: &[(&str, &str, f64, &str)]) {
        std::fs::create_dir_all(dir).unwrap();
        let write = |name: &str, mut df: DataFrame| {
            let f = std::fs::File::create(dir.join(format!("{name}.parquet"))).unwrap();
            ParquetWriter::new(f).finish(&mut df).unwrap();
        };
        let officers: Vec<&str> = pairs
            .iter()
            .map(|p| p.0)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        write(
            "officers",
            df!(
                "officer_id" => &officers,
                "score" => vec![10.0; officers.len()],
                "tier" => vec!["medium"; officers.len()],
                "top_reasons" => vec!["volume"; officers.len()],
            )
            .unwrap(),
        );
        write(
            "pairs",
            df!(
                "officer_id" => pairs.iter().map(|p| p.0).collect::<Vec<_>>(),
                "subject_id" => pairs.iter().map(|p| p.1).collect::<Vec<_>>(),
                "score" => pairs.iter().map(|p| p.2).collect::<Vec<_>>(),
                "tier" => pairs.iter().map(|p| p.3).collect::<Vec<_>>(),
                "night_contact" => pairs.iter().map(|p| p.2).collect::<Vec<_>>(),
            )
            .unwrap(),
        );
    }

    /// Runs the alerts of night `run` over `pairs`, with `person_numbers` naming the
    /// person each number is recorded for tonight.
    fn night(
        store: &Store,
        dir: &Path,
        run: i64,
        pairs: &[(&str, &str, f64, &str)],
        person_numbers: &[(&str, &str)],
    ) -> AlertCounts {
        let night_dir = dir.join(format!("run-{run}"));
        write_night(&night_dir, pairs);
        store
            .conn
            .execute(
                "INSERT INTO runs(id, started_at, status, incoming, folder, matrix_toml, matrix_source, csv)
                 VALUES (?1, 'now', 'done', 'in', 'out', '', '', 0)",
                [run],
            )
            .unwrap();
        let identify = |s: &str| {
            person_numbers
                .iter()
                .find(|(nr, _)| *nr == s)
                .map(|(_, p)| p.to_string())
        };
        let tx = crate::db::write_transaction(&store.conn).unwrap();
        let counts = update(&tx, store, run, &night_dir, &rules(), &identify).unwrap();
        tx.commit().unwrap();
        counts
    }

    /// The note of an alert's latest history line.
    fn last_note(store: &Store, id: i64) -> String {
        store.history(Some(id)).unwrap().pop().unwrap().note
    }

    /// A pair's alert raised under a number, reviewed as explained, then the number is
    /// recorded for a person: the alert is the officer's pair with the person, with its
    /// id, state and review (quiet: 9.5 is under 9 + 4), and its history says why. Where
    /// the officer's pair with the person has an alert already, the number's resolves.
    #[test]
    fn an_alert_raised_under_a_number_follows_the_person() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_or_create(&dir.path().join("store")).unwrap();
        let number = "+447700900001";
        let other = "+447700900002";
        night(
            &store,
            dir.path(),
            1,
            &[
                ("A", number, 9.0, "medium"),
                ("B", other, 9.0, "medium"),
                ("B", "P2", 9.0, "medium"),
            ],
            &[],
        );
        let first = store.find_alert("A", Some(number)).unwrap();
        assert_eq!(first.state, "new");
        store
            .review(
                first.id,
                &Review {
                    reviewer: "DS Reviewer".into(),
                    outcome: Outcome::Explained,
                    note: "a witness of his case".into(),
                    seen_run: Some(1),
                },
            )
            .unwrap();
        let counts = night(
            &store,
            dir.path(),
            2,
            &[("A", "P1", 9.5, "medium"), ("B", "P2", 9.0, "medium")],
            &[(number, "P1"), (other, "P2")],
        );
        assert_eq!((counts.identified, counts.merged), (1, 1));
        let moved = store.find_alert("A", Some("P1")).unwrap();
        assert_eq!(moved.id, first.id);
        assert_eq!(moved.state, "reviewed");
        assert_eq!(moved.score, 9.5);
        let history = store.history(Some(first.id)).unwrap();
        let kinds: Vec<(&str, &str)> = history
            .iter()
            .map(|e| (e.kind.as_str(), e.to_state.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("state", "new"),
                ("review", "reviewed"),
                ("state", "reviewed")
            ]
        );
        assert_eq!(
            history[2].note,
            "subject identified: number +447700900001 is recorded for person P1 tonight; \
             the alert follows the person, with its history"
        );
        let err = store.find_alert("A", Some(number)).unwrap_err().to_string();
        assert!(
            err.ends_with(&format!(
                "no alert for officer A and subject {number}: its alert follows person P1, \
                 whose record lists the number (alert {})",
                first.id
            )),
            "{err}"
        );
        assert_eq!(history[2].run_id, Some(2));
        // B's pair with P2 had its own alert: the number's resolves, saying which alert
        // scores its contacts now, and that alert's history says whose contacts it took.
        let number_alert = store.find_alert("B", Some(other)).unwrap();
        let person_alert = store.find_alert("B", Some("P2")).unwrap();
        assert_eq!(number_alert.state, "resolved_by_system");
        assert_eq!(person_alert.state, "persisting");
        assert_eq!(
            last_note(&store, number_alert.id),
            format!(
                "subject identified: number +447700900002 is recorded for person P2 tonight; \
                 its contacts are scored in the officer's pair with the person from tonight \
                 (alert {})",
                person_alert.id
            )
        );
        let joined = format!(
            "number +447700900002 is recorded for this person tonight; its contacts, alert {} \
             until now, are scored in this pair from tonight",
            number_alert.id
        );
        let told = |store: &Store| {
            let history = store.history(Some(person_alert.id)).unwrap();
            history.iter().filter(|e| e.note == joined).count()
        };
        assert_eq!(told(&store), 1);
        // Said once: the number's alert, resolved, hands nothing over again.
        let again = night(
            &store,
            dir.path(),
            3,
            &[("A", "P1", 9.5, "medium"), ("B", "P2", 9.0, "medium")],
            &[(number, "P1"), (other, "P2")],
        );
        assert_eq!((again.identified, again.merged), (0, 0));
        assert_eq!(told(&store), 1);
    }

    /// Two numbers of one person, each with an alert of the officer: the reviewed one
    /// follows her (its review stands), whatever the other's score; the other resolves.
    #[test]
    fn of_two_numbers_of_one_person_the_reviewed_alert_follows_her() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_or_create(&dir.path().join("store")).unwrap();
        let (mobile, landline) = ("+447700900001", "+441632960001");
        night(
            &store,
            dir.path(),
            1,
            &[
                ("A", mobile, 12.0, "medium"),
                ("A", landline, 9.0, "medium"),
            ],
            &[],
        );
        let reviewed = store.find_alert("A", Some(landline)).unwrap();
        store
            .review(
                reviewed.id,
                &Review {
                    reviewer: "DS Reviewer".into(),
                    outcome: Outcome::Explained,
                    note: "her home phone; a witness".into(),
                    seen_run: Some(1),
                },
            )
            .unwrap();
        night(
            &store,
            dir.path(),
            2,
            &[("A", "P1", 10.0, "medium")],
            &[(mobile, "P1"), (landline, "P1")],
        );
        let followed = store.find_alert("A", Some("P1")).unwrap();
        assert_eq!(followed.id, reviewed.id);
        assert_eq!(followed.state, "reviewed");
        let other = store.find_alert("A", Some(mobile)).unwrap();
        assert_eq!(other.state, "resolved_by_system");
        assert!(
            last_note(&store, other.id).ends_with(&format!(
                "its contacts are scored in the officer's pair with the person from tonight \
                 (alert {})",
                reviewed.id
            )),
            "{}",
            last_note(&store, other.id)
        );
    }

    /// The order in which one person's number alerts are offered to follow her.
    #[test]
    fn follows_first_puts_reviews_then_escalations_then_scores_first() {
        let s = |state, score| standing(state, score, "medium", None);
        let mut v = [
            s(AlertState::New, 20.0),
            s(AlertState::Escalated, 9.0),
            s(AlertState::Persisting, 30.0),
            s(AlertState::Reviewed, 8.0),
            s(AlertState::ResolvedBySystem, 40.0),
        ];
        v.sort_by(follows_first);
        let order: Vec<(AlertState, f64)> = v.iter().map(|s| (s.state, s.score)).collect();
        assert_eq!(
            order,
            [
                (AlertState::Reviewed, 8.0),
                (AlertState::Escalated, 9.0),
                (AlertState::Persisting, 30.0),
                (AlertState::New, 20.0),
                (AlertState::ResolvedBySystem, 40.0),
            ]
        );
    }
}
