//! Property test: for random mixtures of good rows, bad rows of every kind and exact
//! duplicates, split over one or two files, read = used + quarantined + duplicates,
//! every bad row is quarantined with its reason and line, and every good row comes
//! out exactly once with exactly the values it was written with.

use std::collections::BTreeMap;

use apsp_core::ingest::IngestOptions;
use apsp_core::read_dataset;
use proptest::prelude::*;

/// Phone writings and the E.164 they must normalise to.
const NUMBERS: &[(&str, &str)] = &[
    ("07911 100001", "+447911100001"),
    ("+44 (0)7911 100002", "+447911100002"),
    ("0044-7911-100003", "+447911100003"),
    ("07911100004", "+447911100004"),
    ("(020) 7946 0000", "+442079460000"),
];

#[derive(Debug, Clone)]
enum Row {
    Good {
        number: usize,
        out: bool,
        kind: usize,
        /// Seconds after 2026-01-01T00:00:00Z (January/February: London = UTC).
        at: u32,
        zulu: bool,
        duration: Option<u16>,
    },
    Bad(usize),
    /// An exact copy of the n-th good row written so far (if any).
    Dup(usize),
}

const BAD: &[(&str, &str)] = &[
    (
        "{id},07700900001,07911100001,out,call,2026-13-01T00:00:00,5",
        "bad_timestamp",
    ),
    (
        "{id},07700900001,07911 1OOOO1,out,call,2026-01-02T00:00:00,5",
        "bad_phone",
    ),
    (
        "{id},07700900001,07911100001,up,call,2026-01-02T00:00:00,5",
        "unknown_value",
    ),
    (
        "{id},07700900001,07911100001,out,call,2026-01-02T00:00:00,-5",
        "bad_number",
    ),
    (
        "{id},07700900001,07911100001,out,call,2026-01-02T00:00:00",
        "bad_field_count",
    ),
    (
        "{id},,07911100001,out,call,2026-01-02T00:00:00,5",
        "missing_value",
    ),
    (
        "{id},07700900001,07911100001,out,call,2026-03-29T01:15:00,5",
        "nonexistent_local_time",
    ),
];

fn row_strategy() -> impl Strategy<Value = Row> {
    prop_oneof![
        6 => (0..NUMBERS.len(), any::<bool>(), 0..3usize, 0u32..(50 * 86_400), any::<bool>(), proptest::option::of(0u16..3600))
            .prop_map(|(number, out, kind, at, zulu, duration)| Row::Good { number, out, kind, at, zulu, duration }),
        2 => (0..BAD.len()).prop_map(Row::Bad),
        1 => (0usize..50).prop_map(Row::Dup),
    ]
}

struct Expected {
    /// record_id -> (other E.164, direction, kind, UTC micros, duration)
    good: BTreeMap<String, (String, String, String, i64, Option<i64>)>,
    bad: Vec<(usize, u64, &'static str)>,
    duplicates: u64,
}

fn render(rows: &[Row], split: usize) -> (Vec<String>, Vec<String>, Expected) {
    let kinds = ["call", "sms", "mms"];
    let mut files = (Vec::new(), Vec::new());
    let mut written_good: Vec<String> = Vec::new();
    let mut exp = Expected {
        good: BTreeMap::new(),
        bad: Vec::new(),
        duplicates: 0,
    };
    for (i, r) in rows.iter().enumerate() {
        let target = if i < split {
            &mut files.0
        } else {
            &mut files.1
        };
        let file_no = if i < split { 0 } else { 1 };
        let line = target.len() as u64 + 2;
        let text = match r {
            Row::Good {
                number,
                out,
                kind,
                at,
                zulu,
                duration,
            } => {
                let id = format!("G{i}");
                let t = chrono::DateTime::from_timestamp(1_767_225_600 + *at as i64, 0).unwrap();
                let ts = if *zulu {
                    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
                } else {
                    t.format("%Y-%m-%d %H:%M:%S").to_string()
                };
                let dur = if kinds[*kind] == "call" {
                    *duration
                } else {
                    None
                };
                let line_text = format!(
                    "{id},07700900001,\"{}\",{},{},{ts},{}",
                    NUMBERS[*number].0,
                    if *out { "out" } else { "in" },
                    kinds[*kind],
                    dur.map(|d| d.to_string()).unwrap_or_default()
                );
                exp.good.insert(
                    id,
                    (
                        NUMBERS[*number].1.to_string(),
                        if *out { "out" } else { "in" }.to_string(),
                        kinds[*kind].to_string(),
                        t.timestamp_micros(),
                        dur.map(|d| d as i64),
                    ),
                );
                written_good.push(line_text.clone());
                line_text
            }
            Row::Bad(k) => {
                exp.bad.push((file_no, line, BAD[*k].1));
                BAD[*k].0.replace("{id}", &format!("B{i}"))
            }
            Row::Dup(n) => {
                if written_good.is_empty() {
                    continue;
                }
                exp.duplicates += 1;
                written_good[n % written_good.len()].clone()
            }
        };
        target.push(text);
    }
    (files.0, files.1, exp)
}

const HEADER: &str = "record_id,device_number,other_number,direction,kind,started_at,duration_s";

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    #[test]
    fn rows_are_accounted_for_and_good_rows_survive(rows in proptest::collection::vec(row_strategy(), 0..80), split_frac in 0.0f64..1.0) {
        let split = (rows.len() as f64 * split_frac) as usize;
        let (a, b, exp) = render(&rows, split);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("officers.csv"), "officer_id,role\nPC1,PC\n").unwrap();
        std::fs::create_dir(dir.path().join("billing")).unwrap();
        for (name, lines) in [("a.csv", &a), ("b.csv", &b)] {
            let mut text = String::from(HEADER);
            text.push('\n');
            for l in lines.iter() {
                text.push_str(l);
                text.push('\n');
            }
            std::fs::write(dir.path().join("billing").join(name), text).unwrap();
        }
        // A file of bad rows only could be (rightly) refused as mistyped; keep the
        // property about row accounting by allowing exactly that error.
        let ds = match read_dataset(dir.path(), &IngestOptions::default()) {
            Ok(ds) => ds,
            Err(e) => {
                let msg = e.to_string();
                prop_assert!(msg.contains("none of the"), "unexpected error: {msg}");
                return Ok(());
            }
        };
        let t = &ds.manifest.tables["billing"].counts;
        let read = (a.len() + b.len()) as u64;
        prop_assert_eq!(t.read, read);
        prop_assert_eq!(t.read, t.used + t.quarantined + t.duplicates);
        prop_assert_eq!(t.quarantined, exp.bad.len() as u64);
        prop_assert_eq!(t.duplicates, exp.duplicates);
        prop_assert_eq!(t.used, exp.good.len() as u64);
        // Quarantine: the exact lines and reasons.
        let q = &ds.quarantine;
        let mut got_bad: Vec<(usize, u64, String)> = Vec::new();
        for i in 0..q.height() {
            let file = q.column("file").unwrap().str().unwrap().get(i).unwrap().to_string();
            let line = q.column("line").unwrap().i64().unwrap().get(i).unwrap() as u64;
            let reason = q.column("reason").unwrap().str().unwrap().get(i).unwrap().to_string();
            got_bad.push((usize::from(file.ends_with("b.csv")), line, reason));
        }
        let want_bad: Vec<(usize, u64, String)> = exp.bad.iter().map(|(f, l, r)| (*f, *l, r.to_string())).collect();
        prop_assert_eq!(got_bad, want_bad);
        // Good rows: each exactly once, unaltered.
        let billing = ds.tables.get(&apsp_core::Table::Billing).unwrap();
        let ids = billing.column("record_id").unwrap().str().unwrap();
        let other = billing.column("other_number").unwrap().str().unwrap();
        let dir_c = billing.column("direction").unwrap().str().unwrap();
        let kind = billing.column("kind").unwrap().str().unwrap();
        let at = billing.column("started_at").unwrap().as_materialized_series().to_physical_repr();
        let at = at.i64().unwrap();
        let dur = billing.column("duration_s").unwrap().i64().unwrap();
        let mut seen = BTreeMap::new();
        for i in 0..billing.height() {
            let id = ids.get(i).unwrap().to_string();
            let v = (
                other.get(i).unwrap().to_string(),
                dir_c.get(i).unwrap().to_string(),
                kind.get(i).unwrap().to_string(),
                at.get(i).unwrap(),
                dur.get(i),
            );
            prop_assert!(seen.insert(id, v).is_none(), "a row came out twice");
        }
        prop_assert_eq!(seen, exp.good);
    }
}
