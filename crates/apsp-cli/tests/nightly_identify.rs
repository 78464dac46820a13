//! A number's subject identified on a later night, end to end: the first night's
//! delivery lacks some people's records (their numbers are then subjects of their
//! own), the second delivers them. An alert raised under such a number follows the
//! person: same alert, first raised on night 1, with a history line saying why, and a
//! look-up by the old number says which alert it became. Where the officer's pair with
//! the person had an alert already (he had looked her up), the number's alert resolves
//! naming that alert, whose history names the number's.

mod nights;

use std::collections::BTreeSet;
use std::path::Path;

use apsp_core::ingest::IngestOptions;
use apsp_core::score::{score_releasing, RiskMatrix, ScoreOptions};
use apsp_store::alerts::{Alert, AlertEvent};
use apsp_store::{nightly, NightlyOptions, NightlySummary, Store};
use nights::{force, read};
use polars::prelude::*;

/// How many of the highest-scoring pairs with a person have their records held back.
const HELD_BACK: usize = 8;

/// How the store's history line of a subject identified begins (see `alerts.rs`).
const IDENTIFIED: &str = "subject identified: number ";

fn night(store: &Path, incoming: &Path, matrix: &Path) -> NightlySummary {
    nightly(
        &NightlyOptions {
            store: store.to_path_buf(),
            incoming: incoming.to_path_buf(),
            ingest: IngestOptions::default(),
            matrix: Some(matrix.to_path_buf()),
            csv: false,
            replace_snapshots: Vec::new(),
            keep_outputs: None,
        },
        &|_| {},
    )
    .unwrap()
}

/// The default matrix raising alerts from a low tier that starts at 2 points: a pair
/// scored under a number (without the person's home, vulnerability or cases) scores
/// far less than the person's pair, and still raises an alert.
fn low_tier_matrix(dir: &Path) -> std::path::PathBuf {
    let toml = apsp_core::matrix::DEFAULT_TOML
        .replacen("tier = \"medium\"", "tier = \"low\"", 1)
        .replacen("low = 4.0", "low = 2.0", 1);
    assert_eq!(toml.len(), apsp_core::matrix::DEFAULT_TOML.len() - 3);
    let path = dir.join("low.toml");
    std::fs::write(&path, toml).unwrap();
    path
}

/// The persons of the highest-scoring pairs, from one score of the whole force.
fn top_persons(generated: &Path, out: &Path) -> BTreeSet<String> {
    let mut ds = apsp_core::read_dataset(generated, &IngestOptions::default()).unwrap();
    let matrix = RiskMatrix::default_matrix();
    let scored = score_releasing(&mut ds, &matrix, &ScoreOptions::default(), &|_| {}).unwrap();
    apsp_core::output::write_outputs(&scored, &mut ds, out, Default::default()).unwrap();
    let pairs = read(&out.join("pairs.parquet"));
    let kinds = pairs.column("subject_kind").unwrap().str().unwrap();
    let subjects = pairs.column("subject_id").unwrap().str().unwrap();
    let scores = pairs.column("score").unwrap().f64().unwrap();
    let mut with_persons: Vec<(f64, &str)> = (0..pairs.height())
        .filter(|i| kinds.get(*i) == Some("person"))
        .filter_map(|i| Some((scores.get(i)?, subjects.get(i)?)))
        .collect();
    with_persons.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    let mut top = BTreeSet::new();
    for (_, subject) in with_persons {
        if top.len() == HELD_BACK {
            break;
        }
        top.insert(subject.to_string());
    }
    top
}

/// The generated force without the records of `held_back` people: their persons,
/// numbers and case links.
fn without_records(generated: &Path, held_back: &BTreeSet<String>, out: &Path) {
    std::fs::create_dir_all(out).unwrap();
    for entry in std::fs::read_dir(generated).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if ![
            "persons.parquet",
            "person_numbers.parquet",
            "case_links.parquet",
        ]
        .contains(&name.as_str())
        {
            std::fs::copy(&path, out.join(&name)).unwrap();
            continue;
        }
        let all = read(&path);
        let keep: BooleanChunked = all
            .column("person_id")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|p| Some(!p.is_some_and(|p| held_back.contains(p))))
            .collect();
        let mut df = all.filter(&keep).unwrap();
        let file = std::fs::File::create(out.join(&name)).unwrap();
        ParquetWriter::new(file).finish(&mut df).unwrap();
    }
}

#[test]
fn an_alert_raised_under_a_number_follows_the_person_recorded_later() {
    let f = force();
    let work = tempfile::tempdir().unwrap();
    let matrix = low_tier_matrix(work.path());
    let held_back = top_persons(&f.generated, &work.path().join("once"));
    assert_eq!(held_back.len(), HELD_BACK);
    let first = work.path().join("first");
    without_records(&f.generated, &held_back, &first);
    let store = work.path().join("store");
    let one = night(&store, &first, &matrix);
    assert_eq!(one.alerts.identified, 0);
    let two = night(&store, &f.generated, &matrix);
    assert!(two.alerts.identified > 0, "{:?}", two.alerts);

    let st = Store::open(&store).unwrap();
    let history = st.history(None).unwrap();
    let (mut followed, mut merged) = (0, 0);
    for event in &history {
        let Some(rest) = event.note.strip_prefix(IDENTIFIED) else {
            continue;
        };
        let number = rest.split(' ').next().unwrap();
        let alert = st.alert(event.alert_id).unwrap();
        assert_eq!(alert.first_run, 1, "{alert:?}");
        assert_eq!(event.run_id, Some(2));
        if rest.ends_with("the alert follows the person, with its history") {
            followed += 1;
            assert_followed(&st, &alert, number, rest, &held_back);
        } else {
            merged += 1;
            assert_merged(&st, &alert, number, rest, &held_back, &history);
        }
    }
    assert_eq!(followed, two.alerts.identified);
    assert_eq!(merged, two.alerts.merged);
    // On this force: one number's alert follows its person; two numbers' contacts go
    // to the officer's pairs with their persons, who had alerts of their own (he had
    // looked them up).
    assert!(followed > 0 && merged > 0, "{:?}", two.alerts);
}

/// The alert raised on night 1 under `number` is now the person's pair's, with its id;
/// a look-up by the number says which alert it became.
fn assert_followed(
    st: &Store,
    alert: &Alert,
    number: &str,
    rest: &str,
    held_back: &BTreeSet<String>,
) {
    assert!(held_back.contains(&alert.subject_id), "{alert:?}");
    assert!(
        rest.contains(&format!("recorded for person {}", alert.subject_id)),
        "{rest}"
    );
    let found = st
        .find_alert(&alert.officer_id, Some(&alert.subject_id))
        .unwrap();
    assert_eq!(found.id, alert.id);
    let gone = st
        .find_alert(&alert.officer_id, Some(number))
        .expect_err("no alert is keyed by the number any more")
        .to_string();
    assert!(
        gone.contains(&format!(
            "its alert follows person {}, whose record lists the number (alert {})",
            alert.subject_id, alert.id
        )),
        "{gone}"
    );
}

/// The alert raised on night 1 under `number` resolved, naming the alert of the
/// officer's pair with the person, whose history names the number's alert.
fn assert_merged(
    st: &Store,
    alert: &Alert,
    number: &str,
    rest: &str,
    held_back: &BTreeSet<String>,
    history: &[AlertEvent],
) {
    assert_eq!(alert.subject_id, number);
    assert_eq!(alert.state, "resolved_by_system");
    let into: i64 = rest
        .rsplit("(alert ")
        .next()
        .and_then(|t| t.trim_end_matches(')').parse().ok())
        .unwrap_or_else(|| panic!("no alert named in {rest}"));
    let person = st.alert(into).unwrap();
    assert!(held_back.contains(&person.subject_id), "{person:?}");
    assert_eq!(person.officer_id, alert.officer_id);
    let joined = format!(
        "number {number} is recorded for this person tonight; its contacts, alert {} until \
         now, are scored in this pair from tonight",
        alert.id
    );
    let told = history
        .iter()
        .filter(|e| e.alert_id == into && e.note == joined);
    assert_eq!(told.count(), 1, "{joined}");
}
