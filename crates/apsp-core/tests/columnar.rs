//! Typed (Parquet) files are decoded column by column, with the row path (the one CSV
//! takes) for any row a cell or row rule rejects. Both paths must give the same
//! result: here a noisy dataset — blanks, null tokens, padded text, synonyms, bad
//! numbers, phones and coordinates, times out of order, exact duplicates, conflicting
//! keys, missing ids — is read both ways, with and without pseudonymisation, and every
//! canonical frame and the quarantine (reasons, lines, columns, messages, raw rows) must
//! be identical.

use std::path::Path;

use apsp_core::ingest::IngestOptions;
use apsp_core::pseudo::KeySource;
use apsp_core::{read_dataset, Table};
use oorandom::Rand64;
use polars::prelude::*;

/// Picks one of `pool`.
fn pick<T: Clone>(rng: &mut Rand64, pool: &[T]) -> T {
    pool[rng.rand_range(0..pool.len() as u64) as usize].clone()
}

fn chance(rng: &mut Rand64, p: f64) -> bool {
    rng.rand_float() < p
}

const T0: i64 = 1_700_000_000_000_000;

/// A datetime near T0 (UTC microseconds), sometimes missing.
fn time(rng: &mut Rand64, null: f64) -> Option<i64> {
    (!chance(rng, null)).then(|| T0 + rng.rand_range(0..30 * 86_400) as i64 * 1_000_000)
}

fn s(v: &[Option<&str>]) -> Vec<Option<String>> {
    v.iter().map(|x| x.map(str::to_string)).collect()
}

fn utc(name: &str, v: Vec<Option<i64>>) -> Column {
    Int64Chunked::new(name.into(), v)
        .into_datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
        .into_column()
}

fn text(name: &str, v: Vec<Option<String>>) -> Column {
    Column::new(name.into(), v)
}

/// Rows of `cols` with some rows repeated exactly later on (exact duplicates).
fn with_duplicates(rng: &mut Rand64, mut df: DataFrame, share: f64) -> DataFrame {
    let n = df.height() as u64;
    let picks: Vec<IdxSize> = (0..(n as f64 * share) as u64)
        .map(|_| rng.rand_range(0..n) as IdxSize)
        .collect();
    let extra = df.take(&IdxCa::new("i".into(), picks)).unwrap();
    df.vstack_mut(&extra).unwrap();
    df
}

fn write(dir: &Path, name: &str, mut df: DataFrame) {
    let f = std::fs::File::create(dir.join(format!("{name}.parquet"))).unwrap();
    // Several row groups, so rows cross decode slices, batches and chunks.
    ParquetWriter::new(f)
        .with_row_group_size(Some(7_000))
        .finish(&mut df)
        .unwrap();
}

fn noisy_dataset(dir: &Path, seed: u64) {
    let mut rng = Rand64::new(seed as u128);
    let r = &mut rng;
    let officer_ids: Vec<Option<String>> = (1..=40)
        .map(|i| Some(format!("O{i:03}")))
        .chain(s(&[
            None,
            Some("  O005 "),
            Some("NULL"),
            Some("O-very-long-officer-id-0001"),
        ]))
        .collect();
    let phones = s(&[
        Some("07700 900001"),
        Some("+447700900002"),
        Some("+44 7700 900003"),
        Some("07700900004"),
        Some("  07700900005  "),
        Some("101"),
        Some("withheld"),
        Some("private"),
        Some("12"),
        Some("abc"),
        Some(""),
        None,
    ]);

    let n = 300;
    let officers = DataFrame::new_infer_height(vec![
        text(
            "officer_id",
            (0..n).map(|_| pick(r, &officer_ids)).collect(),
        ),
        text(
            "role",
            (0..n)
                .map(|_| {
                    pick(
                        r,
                        &s(&[
                            Some("response"),
                            Some("cid"),
                            Some(" response"),
                            Some("N/A"),
                            None,
                        ]),
                    )
                })
                .collect(),
        ),
        text(
            "unit",
            (0..n)
                .map(|_| pick(r, &s(&[Some("north"), Some("n/a"), None])))
                .collect(),
        ),
    ])
    .unwrap();
    write(dir, "officers", with_duplicates(r, officers, 0.1));

    let n = 200;
    let devices = DataFrame::new_infer_height(vec![
        text("device_number", (0..n).map(|_| pick(r, &phones)).collect()),
        text(
            "officer_id",
            (0..n).map(|_| pick(r, &officer_ids)).collect(),
        ),
        text(
            "kind",
            (0..n)
                .map(|_| {
                    pick(
                        r,
                        &s(&[
                            Some("work"),
                            Some("WORK"),
                            Some("personal_declared"),
                            Some("Personal"),
                            Some("corporate"),
                            Some("bogus"),
                            Some(" work "),
                            None,
                        ]),
                    )
                })
                .collect(),
        ),
        utc("valid_from", (0..n).map(|_| time(r, 0.3)).collect()),
        utc("valid_to", (0..n).map(|_| time(r, 0.5)).collect()),
    ])
    .unwrap();
    write(dir, "devices", devices);

    // Billing: more rows than a batch (32,768) and a chunk (4,096).
    let n = 40_000;
    let record_ids: Vec<Option<String>> = (0..n)
        .map(|i| {
            if chance(r, 0.05) {
                pick(
                    r,
                    &s(&[
                        None,
                        Some("NULL"),
                        Some(" R5 "),
                        Some("R7"),
                        Some("R-00000000000000000001"),
                    ]),
                )
            } else {
                Some(format!("R{i}"))
            }
        })
        .collect();
    let billing = DataFrame::new_infer_height(vec![
        text("record_id", record_ids),
        text(
            "device_number",
            (0..n).map(|_| pick(r, &phones[..6])).collect(),
        ),
        text("other_number", (0..n).map(|_| pick(r, &phones)).collect()),
        text(
            "direction",
            (0..n)
                .map(|_| {
                    pick(
                        r,
                        &s(&[
                            Some("out"),
                            Some("in"),
                            Some("in"),
                            Some("OUT"),
                            Some("Incoming"),
                            Some("sideways"),
                            None,
                        ]),
                    )
                })
                .collect(),
        ),
        text(
            "kind",
            (0..n)
                .map(|_| {
                    pick(
                        r,
                        &s(&[
                            Some("call"),
                            Some("sms"),
                            Some("call"),
                            Some("SMS"),
                            Some("text"),
                            Some("voice call"),
                            Some("fax"),
                            None,
                        ]),
                    )
                })
                .collect(),
        ),
        utc("started_at", (0..n).map(|_| time(r, 0.01)).collect()),
        Column::new(
            "duration_s".into(),
            (0..n)
                .map(|_| pick(r, &[Some(0i64), Some(35), Some(600), Some(-5), None]))
                .collect::<Vec<_>>(),
        ),
    ])
    .unwrap();
    write(dir, "billing", with_duplicates(r, billing, 0.05));

    let n = 6_000;
    let coords = [
        (Some(51.5), Some(-0.12)),
        (Some(53.48), Some(-2.24)),
        (Some(0.0), Some(0.0)),
        (Some(51.5), None),
        (None, None),
        (Some(95.0), Some(1.0)),
        (Some(f64::NAN), Some(1.0)),
        (Some(51.0), Some(-190.0)),
    ];
    let ll: Vec<(Option<f64>, Option<f64>)> = (0..n).map(|_| pick(r, &coords)).collect();
    let arrived: Vec<Option<i64>> = (0..n).map(|_| time(r, 0.02)).collect();
    let departed: Vec<Option<i64>> = arrived
        .iter()
        .map(|a| a.map(|a| a + pick(r, &[600_000_000i64, 60_000_000, -60_000_000])))
        .collect();
    let stops = DataFrame::new_infer_height(vec![
        text(
            "stop_id",
            (0..n)
                .map(|i| {
                    if chance(r, 0.1) {
                        None
                    } else {
                        Some(format!("S{i}"))
                    }
                })
                .collect(),
        ),
        text(
            "vehicle_id",
            (0..n)
                .map(|_| pick(r, &s(&[Some("V1"), Some("V2"), Some(" V3"), Some("")])))
                .collect(),
        ),
        text(
            "officer_id",
            (0..n).map(|_| pick(r, &officer_ids)).collect(),
        ),
        Column::new("lat".into(), ll.iter().map(|x| x.0).collect::<Vec<_>>()),
        Column::new("lon".into(), ll.iter().map(|x| x.1).collect::<Vec<_>>()),
        utc("arrived_at", arrived),
        utc("departed_at", departed),
    ])
    .unwrap();
    write(dir, "stops", with_duplicates(r, stops, 0.05));

    let n = 3_000;
    let person_ids: Vec<Option<String>> = (0..n)
        .map(|i| {
            if chance(r, 0.05) {
                pick(r, &s(&[None, Some("-"), Some(" P12 "), Some("P7")]))
            } else {
                Some(format!("P{i}"))
            }
        })
        .collect();
    let pll: Vec<(Option<f64>, Option<f64>)> = (0..n).map(|_| pick(r, &coords)).collect();
    let persons = DataFrame::new_infer_height(vec![
        text("person_id", person_ids.clone()),
        Int32Chunked::new(
            "date_of_birth".into(),
            (0..n)
                .map(|_| (!chance(r, 0.2)).then(|| rng_days(r)))
                .collect::<Vec<_>>(),
        )
        .into_date()
        .into_column(),
        text(
            "vulnerabilities",
            (0..n)
                .map(|_| {
                    pick(
                        r,
                        &s(&[
                            Some("domestic_abuse;mental_health"),
                            Some("Mental Health"),
                            Some("bogus"),
                            Some(""),
                            None,
                        ]),
                    )
                })
                .collect(),
        ),
        Column::new(
            "address_lat".into(),
            pll.iter().map(|x| x.0).collect::<Vec<_>>(),
        ),
        Column::new(
            "address_lon".into(),
            pll.iter().map(|x| x.1).collect::<Vec<_>>(),
        ),
    ])
    .unwrap();
    write(dir, "persons", with_duplicates(r, persons, 0.05));

    let n = 2_000;
    let person_numbers = DataFrame::new_infer_height(vec![
        text("person_id", (0..n).map(|_| pick(r, &person_ids)).collect()),
        text("number", (0..n).map(|_| pick(r, &phones)).collect()),
    ])
    .unwrap();
    write(dir, "person_numbers", person_numbers);

    let n = 5_000;
    let access = DataFrame::new_infer_height(vec![
        text(
            "event_id",
            (0..n)
                .map(|i| {
                    if chance(r, 0.1) {
                        None
                    } else {
                        Some(format!("E{}", i % 4_700))
                    }
                })
                .collect(),
        ),
        text(
            "officer_id",
            (0..n).map(|_| pick(r, &officer_ids)).collect(),
        ),
        utc("at", (0..n).map(|_| time(r, 0.02)).collect()),
        text(
            "system",
            (0..n)
                .map(|_| pick(r, &s(&[Some("PNC"), Some("niche"), None])))
                .collect(),
        ),
        text(
            "action",
            (0..n)
                .map(|_| pick(r, &s(&[Some("view"), Some(" search "), None])))
                .collect(),
        ),
        text("person_id", (0..n).map(|_| pick(r, &person_ids)).collect()),
        text("subject_number", (0..n).map(|_| pick(r, &phones)).collect()),
        text(
            "purpose_ref",
            (0..n)
                .map(|_| pick(r, &s(&[Some("CASE-1"), Some("none"), None])))
                .collect(),
        ),
    ])
    .unwrap();
    write(dir, "access_log", access);
}

/// A clean dataset (whole batches pass): text columns are then taken from the file as
/// they are, except where an id is derived (missing stop and event ids) or a value
/// pseudonymised.
fn clean_dataset(dir: &Path, seed: u64) {
    let mut rng = Rand64::new(seed as u128);
    let r = &mut rng;
    let officers = DataFrame::new_infer_height(vec![
        text(
            "officer_id",
            (0..30).map(|i| Some(format!("O{i}"))).collect(),
        ),
        // A categorical column is read as its text.
        text(
            "role",
            (0..30)
                .map(|i| Some(["response", "cid"][i % 2].to_string()))
                .collect(),
        )
        .cast(&DataType::from_categories(Categories::global()))
        .unwrap(),
    ])
    .unwrap();
    write(dir, "officers", officers);
    let devices = DataFrame::new_infer_height(vec![
        text(
            "device_number",
            (0..50).map(|i| Some(format!("+4477009{i:05}"))).collect(),
        ),
        text(
            "officer_id",
            (0..50).map(|i| Some(format!("O{}", i % 30))).collect(),
        ),
    ])
    .unwrap();
    write(dir, "devices", devices);
    let n = 40_000;
    let billing = DataFrame::new_infer_height(vec![
        text("record_id", (0..n).map(|i| Some(format!("R{i}"))).collect()),
        text(
            "device_number",
            (0..n)
                .map(|i| Some(format!("+4477009{:05}", i % 50)))
                .collect(),
        ),
        text(
            "other_number",
            (0..n)
                .map(|i| Some(format!("+4479009{:05}", i % 900)))
                .collect(),
        ),
        text(
            "direction",
            (0..n)
                .map(|_| pick(r, &s(&[Some("out"), Some("in")])))
                .collect(),
        ),
        text(
            "kind",
            (0..n)
                .map(|_| pick(r, &s(&[Some("call"), Some("sms")])))
                .collect(),
        ),
        utc("started_at", (0..n).map(|_| time(r, 0.0)).collect()),
        // A 32-bit integer column.
        Column::new(
            "duration_s".into(),
            (0..n)
                .map(|_| pick(r, &[Some(0i32), Some(35), None]))
                .collect::<Vec<_>>(),
        ),
    ])
    .unwrap();
    // Two files of one table: the second repeats a row of the first (a duplicate
    // across files) and reuses an id of the first with other values (a conflict that
    // names the first file and line).
    let mut second = billing.slice(25_000, 15_000);
    second.vstack_mut(&billing.slice(10, 1)).unwrap();
    let mut changed = billing.slice(20, 1);
    changed
        .with_column(Column::new("kind".into(), ["mms"]))
        .unwrap();
    second.vstack_mut(&changed).unwrap();
    std::fs::create_dir(dir.join("billing")).unwrap();
    write(&dir.join("billing"), "part-1", billing.slice(0, 25_000));
    write(&dir.join("billing"), "part-2", second);
    let n = 9_000;
    let arrived: Vec<Option<i64>> = (0..n).map(|_| time(r, 0.0)).collect();
    let stops = DataFrame::new_infer_height(vec![
        // Mostly missing: derived from the row.
        text(
            "stop_id",
            (0..n)
                .map(|i| (i >= 8_500).then(|| format!("S{i}")))
                .collect(),
        ),
        text(
            "vehicle_id",
            (0..n).map(|i| Some(format!("V{}", i % 30))).collect(),
        ),
        text(
            "officer_id",
            (0..n)
                .map(|i| (i % 7 != 0).then(|| format!("O{}", i % 30)))
                .collect(),
        ),
        // 32-bit floats.
        Column::new(
            "lat".into(),
            (0..n).map(|_| Some(51.5f32)).collect::<Vec<_>>(),
        ),
        Column::new(
            "lon".into(),
            (0..n).map(|_| Some(-0.1f32)).collect::<Vec<_>>(),
        ),
        utc("arrived_at", arrived.clone()),
        utc(
            "departed_at",
            arrived.iter().map(|a| a.map(|a| a + 600_000_000)).collect(),
        ),
    ])
    .unwrap();
    write(dir, "stops", stops);
    // Batches of 32,768 rows: clean, one bad row, clean, one bad row. Whole batches take
    // their text as it is; the others are copied, in order, around them.
    let n = 110_000;
    let bad = |i: usize| i == 40_000 || i == 105_000;
    let access = DataFrame::new_infer_height(vec![
        text(
            "event_id",
            (0..n)
                .map(|i| (i % 3 != 0).then(|| format!("E{i}")))
                .collect(),
        ),
        text(
            "officer_id",
            (0..n)
                .map(|i| (!bad(i)).then(|| format!("O{}", i % 30)))
                .collect(),
        ),
        // Distinct times: no row repeats another (every batch but the bad ones is kept whole).
        utc(
            "at",
            (0..n).map(|i| Some(T0 + i as i64 * 1_000_000)).collect(),
        ),
        text(
            "system",
            (0..n).map(|_| pick(r, &s(&[Some("PNC"), None]))).collect(),
        ),
        text("action", (0..n).map(|_| Some("view".to_string())).collect()),
        text(
            "person_id",
            (0..n)
                .map(|i| (i % 5 != 0).then(|| format!("P{}", i % 700)))
                .collect(),
        ),
        text(
            "subject_number",
            (0..n)
                .map(|i| (i % 4 == 0).then(|| format!("+4479009{:05}", i % 900)))
                .collect(),
        ),
        text("purpose_ref", (0..n).map(|_| None).collect()),
    ])
    .unwrap();
    write(dir, "access_log", access);
}

/// A fleet export read through an import profile ([`fleet_profile`]): other column
/// names, a constant, a value map, text coordinates with decimal commas and text
/// local times.
fn fleet_dataset(dir: &Path) {
    let officers = DataFrame::new_infer_height(vec![
        text(
            "officer_id",
            (0..30).map(|i| Some(format!("O{i}"))).collect(),
        ),
        text(
            "role",
            (0..30).map(|_| Some("response".to_string())).collect(),
        ),
    ])
    .unwrap();
    write(dir, "officers", officers);
    let n = 5_000;
    let fleet = DataFrame::new_infer_height(vec![
        text(
            "VEHICLE",
            (0..n).map(|i| Some(format!("Van {}", i % 30))).collect(),
        ),
        text(
            "LAT",
            (0..n)
                .map(|i| Some(format!("51,{:04}", i % 9_000)))
                .collect(),
        ),
        text("LON", (0..n).map(|_| Some("-0,1".to_string())).collect()),
        text(
            "ARRIVED",
            (0..n)
                .map(|i| Some(format!("{:02}/03/2026 {:02}:00", 1 + i % 28, i % 24)))
                .collect(),
        ),
        text(
            "DEPARTED",
            (0..n)
                .map(|i| Some(format!("{:02}/03/2026 {:02}:30", 1 + i % 28, i % 24)))
                .collect(),
        ),
    ])
    .unwrap();
    std::fs::create_dir(dir.join("exports")).unwrap();
    write(&dir.join("exports"), "fleet-2026-03", fleet);
}

/// The import profile of the clean dataset's fleet export.
fn fleet_profile(dir: &Path) -> apsp_core::ingest::Profile {
    let text = r#"
table = "stops"
files = ["exports/fleet-*.parquet"]
decimal_comma = true
datetime_formats = ["%d/%m/%Y %H:%M"]

[columns]
vehicle_id = "VEHICLE"
officer_id = { value = "O3" }
lat = "LAT"
lon = "LON"
arrived_at = "ARRIVED"
departed_at = "DEPARTED"

[values.vehicle_id]
"Van 1" = "V1"
"Van 2" = "V2"
"#;
    let path = dir.join("fleet.toml");
    std::fs::write(&path, text).unwrap();
    apsp_core::ingest::Profile::load(&path).unwrap()
}

fn rng_days(r: &mut Rand64) -> i32 {
    -20_000 + r.rand_range(0..25_000) as i32
}

fn read(
    dir: &Path,
    key: Option<&Path>,
    profiles: &[apsp_core::ingest::Profile],
    row_path_only: bool,
) -> apsp_core::ingest::Dataset {
    read_dataset(
        dir,
        &IngestOptions {
            pseudonymise: key.map(|k| KeySource::File(k.to_path_buf())),
            profiles: profiles.to_vec(),
            row_path_only,
            ..IngestOptions::default()
        },
    )
    .unwrap()
}

#[test]
fn typed_files_read_column_wise_exactly_as_row_by_row() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    std::fs::create_dir(&dir).unwrap();
    noisy_dataset(&dir, 7);
    let clean = tmp.path().join("clean");
    std::fs::create_dir(&clean).unwrap();
    clean_dataset(&clean, 11);
    let fleet = tmp.path().join("fleet");
    std::fs::create_dir(&fleet).unwrap();
    fleet_dataset(&fleet);
    let key = tmp.path().join("key");
    std::fs::write(&key, "a test key of more than sixteen bytes\n").unwrap();
    for (data, key) in [
        (&fleet, None),
        (&clean, None),
        (&clean, Some(key.as_path())),
        (&dir, None),
        (&dir, Some(key.as_path())),
    ] {
        let profiles = if data == &fleet {
            vec![fleet_profile(tmp.path())]
        } else {
            Vec::new()
        };
        let rows = read(data, key, &profiles, true);
        let cols = read(data, key, &profiles, false);
        for t in Table::ALL {
            match (rows.table(t), cols.table(t)) {
                (Some(a), Some(b)) => assert!(
                    a.equals_missing(b),
                    "{t} differs (pseudonymised: {}):\nrow path {a}\ncolumn-wise {b}",
                    key.is_some()
                ),
                (None, None) => {}
                _ => panic!("{t} read by one path only"),
            }
        }
        assert!(
            rows.quarantine.equals_missing(&cols.quarantine),
            "quarantine differs:\n{}\n{}",
            rows.quarantine,
            cols.quarantine
        );
        if data == &fleet {
            assert_eq!(rows.quarantined(), 0, "{}", rows.quarantine);
            let stops = cols.table(Table::Stops).unwrap();
            assert_eq!(stops.height(), 5_000);
            let vehicles = stops.column("vehicle_id").unwrap().str().unwrap().clone();
            assert!(vehicles.iter().any(|v| v == Some("V1")));
            assert!(vehicles.iter().any(|v| v == Some("Van 3")));
            let officer = stops.column("officer_id").unwrap().str().unwrap().clone();
            assert!(officer.iter().all(|o| o == Some("O3")));
            continue;
        }
        if data == &clean {
            // The two access-log rows without an officer, and the billing row that
            // reuses an id of the first file with other values.
            assert_eq!(rows.quarantined(), 3, "{}", rows.quarantine);
            let msg = rows
                .quarantine
                .column("message")
                .unwrap()
                .str()
                .unwrap()
                .clone();
            assert!(
                msg.iter()
                    .flatten()
                    .any(|m| m.contains("at billing/part-1.parquet:21;")),
                "{}",
                rows.quarantine
            );
            let stops = cols.table(Table::Stops).unwrap();
            assert_eq!(stops.column("stop_id").unwrap().null_count(), 0);
            let access = cols.table(Table::AccessLog).unwrap();
            assert_eq!(access.height(), 110_000 - 2);
            continue;
        }
        // The data is noisy enough to exercise the row path from the column-wise one.
        let reasons: std::collections::BTreeSet<&str> = rows
            .quarantine
            .column("reason")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .flatten()
            .collect();
        for r in [
            "missing_value",
            "unknown_value",
            "bad_phone",
            "bad_number",
            "bad_coordinates",
            "duplicate_key",
            "end_before_start",
        ] {
            assert!(reasons.contains(r), "no {r} in {reasons:?}");
        }
        assert!(rows.quarantine.height() > 1_000);
        let billing = rows.table(Table::Billing).unwrap();
        assert!(billing.height() > 10_000, "{}", billing.height());
        let derived = billing
            .column("record_id")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .filter(|x| x.is_some_and(|x| x.starts_with("d_")))
            .count();
        assert!(derived > 100, "{derived} derived record ids");
    }
}
