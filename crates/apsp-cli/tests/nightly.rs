//! Thirty nights of a generated force through the store (see `nights/mod.rs`). After
//! the last night the outputs are those of one `apsp score` over every file
//! delivered, byte for byte; along the way a planted pattern goes new -> persisting ->
//! reviewed -> escalated when it grows past its score at the review, while a decoy
//! reviewed as explained stays quiet.

mod nights;

use std::collections::BTreeMap;
use std::path::Path;

use apsp_core::ingest::IngestOptions;
use apsp_core::score::{score_releasing, RiskMatrix, ScoreOptions};
use apsp_store::{nightly, NightlyOptions, NightlySummary, Outcome, Review, Store};
use nights::{bytes, deliver, force, read, HISTORY_DAYS, NIGHTS};

/// The officer of a scenario, from the generator's ground truth.
fn officer_of(generated: &Path, scenario: &str) -> String {
    let labels = read(&generated.join("labels.parquet"));
    let scenarios = labels.column("scenario").unwrap().str().unwrap();
    let ids = labels.column("officer_id").unwrap().str().unwrap();
    (0..labels.height())
        .find(|i| scenarios.get(*i) == Some(scenario))
        .and_then(|i| ids.get(i))
        .unwrap_or_else(|| panic!("no {scenario} in the labels"))
        .to_string()
}

fn night(store: &Path, incoming: &Path) -> NightlySummary {
    nightly(
        &NightlyOptions {
            store: store.to_path_buf(),
            incoming: incoming.to_path_buf(),
            ingest: IngestOptions::default(),
            matrix: None,
            csv: false,
            replace_snapshots: Vec::new(),
            keep_outputs: None,
        },
        &|_| {},
    )
    .unwrap()
}

/// Asserts that run folder `run_dir`'s frames are, byte for byte, those of one score
/// over every file in `all` (written to `out`).
fn assert_equals_one_score(all: &Path, run_dir: &Path, out: &Path, night: i64) {
    let mut ds = apsp_core::read_dataset(all, &IngestOptions::default()).unwrap();
    let matrix = RiskMatrix::default_matrix();
    let scored = score_releasing(&mut ds, &matrix, &ScoreOptions::default(), &|_| {}).unwrap();
    apsp_core::output::write_outputs(&scored, &mut ds, out, Default::default()).unwrap();
    for name in ["officers", "pairs", "signals", "evidence"] {
        let file = format!("{name}.parquet");
        assert!(
            bytes(&run_dir.join(&file)) == bytes(&out.join(&file)),
            "night {night}: {file} differs from one score over every file"
        );
    }
}

/// Asserts that replaying run `s.run` from the store (as it stood after that night)
/// gives the run folder's outputs again, byte for byte, quarantine included.
fn assert_replays(store: &Path, s: &NightlySummary, out: &Path) {
    let r = apsp_store::replay(store, s.run, out, false).unwrap();
    assert!(r.identical, "run {}: {:?}", s.run, r.outputs);
    for name in ["officers", "pairs", "signals", "evidence", "quarantine"] {
        let file = format!("{name}.parquet");
        assert!(
            bytes(&store.join(&s.folder).join(&file)) == bytes(&out.join(&file)),
            "run {}: the replay's {file} differs from the run's",
            s.run
        );
    }
}

/// The state of an officer's own alert after each night (None before it is raised),
/// and its score.
type Trail = Vec<Option<(String, f64)>>;

/// A night with nothing special delivered, checked against one score mid-way.
const MID_NIGHT: i64 = 12;

/// What thirty nights left: each night's summary, and the fisherman's and the decoy's
/// trails with the night and score of their review.
struct Nights {
    summaries: Vec<NightlySummary>,
    trails: BTreeMap<String, Trail>,
    reviewed_at: BTreeMap<String, (usize, f64)>,
}

/// Runs the history and thirty nights into `store`, every file also into `all`; the
/// fisherman is reviewed after night 5, the decoy the night after it is first raised.
/// Mid-way, the night is checked against one score over what was delivered so far.
fn run_nights(
    f: &nights::Force,
    work: &Path,
    store: &Path,
    all: &Path,
    who: [&String; 2],
) -> Nights {
    let [fisherman, decoy] = who;
    let drop = work.join("incoming");
    let mut out = Nights {
        summaries: Vec::new(),
        trails: BTreeMap::new(),
        reviewed_at: BTreeMap::new(),
    };
    for n in 0..=NIGHTS {
        deliver(f, n, &drop, all);
        let s = night(store, &drop);
        let st = Store::open(store).unwrap();
        for who in [fisherman, decoy] {
            let a = st.find_alert(who, None).ok();
            out.trails
                .entry(who.clone())
                .or_default()
                .push(a.as_ref().map(|a| (a.state.clone(), a.score)));
            // The fisherman is reviewed after night 5; the decoy the night after it is
            // first raised, as explained.
            let due = match a {
                Some(ref a) if who == fisherman && n == 5 => Some((a, Outcome::NoConcern)),
                Some(ref a) if who == decoy && a.state == "new" => Some((a, Outcome::Explained)),
                _ => None,
            };
            if let Some((a, outcome)) = due {
                let r = st
                    .review(
                        a.id,
                        &Review {
                            reviewer: "DS Reviewer".into(),
                            outcome,
                            note: "contact checked against the case file".into(),
                            seen_run: Some(n + 1),
                        },
                    )
                    .unwrap();
                assert_eq!(r.state, "reviewed");
                out.reviewed_at.insert(who.clone(), (n as usize, a.score));
            }
        }
        // Mid-way, on a night whose case links changed, the night's scores are
        // already those of one score over what was delivered so far.
        if n == MID_NIGHT {
            let changed = s
                .files
                .iter()
                .any(|f| f.file == "case_links.parquet" && f.not_taken.is_none());
            assert!(changed, "night {n}: the case links changed");
            let so_far = work.join("so-far");
            assert_equals_one_score(all, &store.join(&s.folder), &so_far, n);
        }
        out.summaries.push(s);
    }
    out
}

/// The reference tables changed night after night, as a real force's do.
fn assert_snapshots_changed(summaries: &[NightlySummary]) {
    let taken = |name: &str| {
        summaries
            .iter()
            .filter(|s| {
                s.files
                    .iter()
                    .any(|f| f.file == name && f.not_taken.is_none())
            })
            .count() as i64
    };
    assert!(taken("case_links.parquet") > NIGHTS / 2);
    assert!(taken("persons.parquet") > 1);
    assert_eq!(taken("officers.parquet"), 1);
}

/// The deliveries: the file sent twice is taken once, the bad rows quarantined (exit
/// code 1 that night), the overlap counted as duplicates, the late file taken; the
/// last run's manifest names the store's state it saw.
fn assert_deliveries(summaries: &[NightlySummary], store: &Path) {
    let resent = &summaries[10].files;
    let again = resent
        .iter()
        .find(|f| f.file.ends_with("~resent.parquet"))
        .unwrap();
    assert_eq!(
        again.not_taken.as_deref(),
        Some(
            format!(
                "taken before as billing/day-{:03}.parquet in run 10",
                HISTORY_DAYS + 9
            )
            .as_str()
        )
    );
    assert_eq!(summaries[25].quarantined, 2);
    assert_eq!(
        summaries[25].quarantined_by_reason.get("bad_phone"),
        Some(&2)
    );
    assert_eq!(summaries[25].exit_code, 1);
    assert_eq!(summaries[24].exit_code, 0);
    let last = summaries.last().unwrap();
    let manifest: serde_json::Value =
        serde_json::from_slice(&bytes(&store.join(&last.folder).join("manifest.json"))).unwrap();
    let overlap = manifest["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["file"] == format!("billing/day-{:03}.parquet", HISTORY_DAYS + 20))
        .unwrap();
    assert_eq!(overlap["rows"]["duplicates"], 30);
    // The store's state the run saw: every event part of every month, and each
    // reference table's latest snapshot: the officers' of the first night (delivered
    // unchanged since), the case links' of tonight (cases open and close every night).
    let state = &manifest["store"];
    assert_eq!(state["run"], NIGHTS + 1);
    assert_eq!(state["settings"]["timezone"], "Europe/London");
    let parts = state["parts"].as_array().unwrap();
    let stored: i64 = parts
        .iter()
        .filter(|p| p["table"] == "billing")
        .map(|p| p["rows"].as_i64().unwrap())
        .sum();
    assert_eq!(
        stored as u64,
        manifest["tables"]["billing"]["rows"].as_u64().unwrap()
    );
    let snapshot_of = |table: &str| {
        let of: Vec<&str> = parts
            .iter()
            .filter(|p| p["kind"] == "snapshot" && p["table"] == table)
            .map(|p| p["path"].as_str().unwrap())
            .collect();
        assert_eq!(of.len(), 1, "{table}: one snapshot in scope, not {of:?}");
        of[0].to_string()
    };
    assert!(snapshot_of("officers").ends_with("run-000001.parquet"));
    assert!(snapshot_of("case_links").ends_with(&format!("run-{:06}.parquet", NIGHTS + 1)));
    let late = format!("stops/day-{:03}.parquet", HISTORY_DAYS + 15);
    assert!(summaries[17]
        .files
        .iter()
        .any(|f| f.file == late && f.not_taken.is_none()));
}

/// The fisherman: new, persisting, reviewed after night 5, then escalated on the first
/// night his score passes his score at the review by the margin.
fn assert_fisherman_escalates(st: &Store, fisherman: &str, n: &Nights, margin: f64) {
    let trail = &n.trails[fisherman];
    assert_eq!(trail[0].as_ref().unwrap().0, "new");
    assert_eq!(trail[1].as_ref().unwrap().0, "persisting");
    let (at, score_then) = n.reviewed_at[fisherman];
    let grew = (at + 1..trail.len())
        .find(|i| trail[*i].as_ref().unwrap().1 >= score_then + margin)
        .expect("the planted pattern grows after its review");
    for (i, t) in trail.iter().enumerate().take(grew).skip(at + 1) {
        assert_eq!(t.as_ref().unwrap().0, "reviewed", "night {i}");
    }
    assert_eq!(trail[grew].as_ref().unwrap().0, "escalated");
    let alert = st.find_alert(fisherman, None).unwrap();
    let kinds: Vec<(String, String)> = st
        .history(Some(alert.id))
        .unwrap()
        .into_iter()
        .map(|e| (e.kind, e.to_state))
        .collect();
    let expect = |k: &str, s: &str| (k.to_string(), s.to_string());
    assert_eq!(
        kinds[..4],
        [
            expect("state", "new"),
            expect("state", "persisting"),
            expect("review", "reviewed"),
            expect("state", "escalated"),
        ]
    );
    assert_eq!(st.scores(alert.id).unwrap().len(), trail.len());
}

/// The decoy, reviewed as explained, stays quiet: its score never passes its score at
/// the review by the margin, and its history ends with the review.
fn assert_decoy_stays_quiet(st: &Store, decoy: &str, n: &Nights, margin: f64) {
    let trail = &n.trails[decoy];
    let (at, score_then) = n.reviewed_at[decoy];
    for (i, t) in trail.iter().enumerate().skip(at + 1) {
        let (state, score) = t.as_ref().unwrap();
        assert_eq!(state, "reviewed", "night {i}");
        assert!(*score < score_then + margin);
    }
    let alert = st.find_alert(decoy, None).unwrap();
    let history = st.history(Some(alert.id)).unwrap();
    assert_eq!(history.last().unwrap().kind, "review");
    assert_eq!(
        history.last().unwrap().outcome.as_deref(),
        Some("explained")
    );
}

#[test]
fn thirty_nights_equal_one_score_over_everything_and_alerts_move() {
    let f = force();
    let work = tempfile::tempdir().unwrap();
    let store = work.path().join("store");
    let all = work.path().join("all");
    std::fs::create_dir_all(&all).unwrap();
    let fisherman = officer_of(&f.generated, "fisherman");
    let decoy = officer_of(&f.generated, "decoy_beside_hospital");
    let margin = RiskMatrix::default_matrix().matrix.alerts.escalation_margin;
    let n = run_nights(&f, work.path(), &store, &all, [&fisherman, &decoy]);
    assert_snapshots_changed(&n.summaries);
    assert_deliveries(&n.summaries, &store);
    // One score over every file delivered gives the same bytes.
    let once = work.path().join("once");
    let last = n.summaries.last().unwrap();
    assert_equals_one_score(&all, &store.join(&last.folder), &once, NIGHTS);
    let st = Store::open(&store).unwrap();
    assert_fisherman_escalates(&st, &fisherman, &n, margin);
    assert_decoy_stays_quiet(&st, &decoy, &n, margin);
    // Any past night replays from the store: the one checked mid-way, and the one
    // whose bad rows went to the quarantine (the store holds more nights since).
    let mid = &n.summaries[MID_NIGHT as usize];
    let bad = n.summaries.iter().find(|s| s.quarantined > 0).unwrap();
    assert!(bad.run < last.run);
    assert_replays(&store, mid, &work.path().join("replay-mid"));
    assert_replays(&store, bad, &work.path().join("replay-bad"));
}
