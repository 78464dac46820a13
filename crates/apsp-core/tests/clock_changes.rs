//! Intervals across the clock changes in typed (Parquet) files, read column-wise and
//! row by row (the CSV path is held to the same cases in the bad-input corpus:
//! `shifts_fall_back_hour`, `shifts_fall_back_hour_latest`, `shifts_spring_forward`).
//!
//! Worked by hand, Europe/London 2026. Autumn, 25 October: 01:00-01:59 happens twice,
//! first in BST (UTC+1), then in GMT. Spring, 29 March: 01:00-01:59 does not exist
//! (00:59 GMT is followed by 02:00 BST).
//!
//! | naive local            | read as                       | outcome              |
//! |------------------------|-------------------------------|----------------------|
//! | 10-25 01:14 -> 01:05   | 00:14Z -> 01:05Z (end: GMT)   | kept, resolved       |
//! | 10-25 01:40 -> 01:02   | 00:40Z -> 01:02Z (end: GMT)   | kept, resolved       |
//! | 10-25 03:00 -> 02:00   | 03:00Z -> 02:00Z              | end_before_start     |
//! | 10-25 02:30 -> 01:30   | 02:30Z -> 00:30Z or 01:30Z    | end_before_start     |
//! | 03-29 00:50 -> 02:10   | 00:50Z -> 01:10Z              | kept (not resolved)  |
//! | 03-29 01:30 -> 02:10   | 01:30 does not exist          | nonexistent_local_time |

use std::path::Path;

use apsp_core::ingest::time::fmt_utc;
use apsp_core::ingest::{Dataset, IngestOptions};
use apsp_core::{read_dataset, Table};
use polars::prelude::*;

/// Times (`YYYY-MM-DDTHH:MM`) as a Parquet datetime column in zone `tz` (`None`:
/// naive, wall-clock times).
fn datetime(name: &str, times: &[&str], tz: Option<TimeZone>) -> Column {
    let micros: Vec<i64> = times
        .iter()
        .map(|t| {
            chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M")
                .unwrap()
                .and_utc()
                .timestamp_micros()
        })
        .collect();
    Int64Chunked::from_vec(name.into(), micros)
        .into_datetime(TimeUnit::Microseconds, tz)
        .into_column()
}

fn naive(name: &str, times: &[&str]) -> Column {
    datetime(name, times, None)
}

fn utc(name: &str, times: &[&str]) -> Column {
    datetime(name, times, Some(TimeZone::UTC))
}

fn text(name: &str, v: &[Option<&str>]) -> Column {
    Column::new(name.into(), v)
}

fn write(dir: &Path, name: &str, columns: Vec<Column>) {
    let mut df = DataFrame::new_infer_height(columns).unwrap();
    let f = std::fs::File::create(dir.join(format!("{name}.parquet"))).unwrap();
    ParquetWriter::new(f).finish(&mut df).unwrap();
}

fn dataset(dir: &Path) {
    std::fs::write(dir.join("officers.csv"), "officer_id,role\nPC1,PC\n").unwrap();
    let arrived = [
        "2026-10-25T01:14",
        "2026-10-25T01:40",
        "2026-10-25T03:00",
        "2026-10-25T02:30",
        "2026-03-29T00:50",
        "2026-03-29T01:30",
    ];
    let departed = [
        "2026-10-25T01:05",
        "2026-10-25T01:02",
        "2026-10-25T02:00",
        "2026-10-25T01:30",
        "2026-03-29T02:10",
        "2026-03-29T02:10",
    ];
    let n = arrived.len();
    write(
        dir,
        "stops",
        vec![
            // The second stop has no id: it is derived from the row as read across.
            text(
                "stop_id",
                &[
                    Some("S1"),
                    None,
                    Some("S3"),
                    Some("S4"),
                    Some("S5"),
                    Some("S6"),
                ],
            ),
            text("vehicle_id", &vec![Some("V1"); n]),
            text("officer_id", &vec![Some("PC1"); n]),
            Column::new("lat".into(), vec![51.5; n]),
            Column::new("lon".into(), vec![-0.12; n]),
            naive("arrived_at", &arrived),
            naive("departed_at", &departed),
        ],
    );
    write(
        dir,
        "shifts",
        vec![
            text("officer_id", &[Some("PC1"), Some("PC1")]),
            naive("start", &["2026-10-25T01:14", "2026-10-25T03:00"]),
            naive("end", &["2026-10-25T01:05", "2026-10-25T02:00"]),
        ],
    );
    // Absolute times are never read across: 01:14Z -> 01:05Z is backwards.
    write(
        dir,
        "deployments",
        vec![
            text("incident_id", &[Some("I1")]),
            text("officer_id", &[Some("PC1")]),
            Column::new("lat".into(), vec![51.5]),
            Column::new("lon".into(), vec![-0.12]),
            utc("start", &["2026-10-25T01:14"]),
            utc("end", &["2026-10-25T01:05"]),
        ],
    );
}

fn read(dir: &Path, row_path_only: bool) -> Dataset {
    let opts = IngestOptions {
        row_path_only,
        ..IngestOptions::default()
    };
    read_dataset(dir, &opts).unwrap()
}

/// Column `col` of `df` as ISO UTC text (null as "null").
fn times(df: &DataFrame, col: &str) -> Vec<String> {
    let phys = df
        .column(col)
        .unwrap()
        .as_materialized_series()
        .to_physical_repr();
    phys.i64()
        .unwrap()
        .iter()
        .map(|t| t.map(fmt_utc).unwrap_or_else(|| "null".into()))
        .collect()
}

fn strings(df: &DataFrame, col: &str) -> Vec<String> {
    let ca = df.column(col).unwrap().str().unwrap().clone();
    ca.iter().map(|s| s.unwrap_or("null").to_string()).collect()
}

#[test]
fn intervals_across_the_clock_changes_in_parquet() {
    let tmp = tempfile::tempdir().unwrap();
    dataset(tmp.path());
    let rows = read(tmp.path(), true);
    let cols = read(tmp.path(), false);
    for t in [Table::Stops, Table::Shifts, Table::Deployments] {
        let (a, b) = (rows.table(t).unwrap(), cols.table(t).unwrap());
        assert!(a.equals_missing(b), "{t}: row path {a}\ncolumn-wise {b}");
    }
    assert!(rows.quarantine.equals_missing(&cols.quarantine));
    for ds in [&rows, &cols] {
        let stops = ds.table(Table::Stops).unwrap();
        assert_eq!(
            times(stops, "arrived_at"),
            [
                "2026-10-25T00:14:00Z",
                "2026-10-25T00:40:00Z",
                "2026-03-29T00:50:00Z"
            ]
        );
        assert_eq!(
            times(stops, "departed_at"),
            [
                "2026-10-25T01:05:00Z",
                "2026-10-25T01:02:00Z",
                "2026-03-29T01:10:00Z"
            ]
        );
        let ids = strings(stops, "stop_id");
        assert_eq!(ids[0], "S1");
        assert!(ids[1].starts_with("d_"), "{ids:?}");
        assert_eq!(ids[2], "S5");
        let shifts = ds.table(Table::Shifts).unwrap();
        assert_eq!(times(shifts, "start"), ["2026-10-25T00:14:00Z"]);
        assert_eq!(times(shifts, "end"), ["2026-10-25T01:05:00Z"]);
        assert_eq!(ds.table(Table::Deployments).unwrap().height(), 0);

        let q = &ds.quarantine;
        let got: Vec<(String, String, i64)> = (0..q.height())
            .map(|i| {
                let s = |c: &str| strings(q, c)[i].clone();
                (
                    s("table"),
                    s("reason"),
                    q.column("line").unwrap().i64().unwrap().get(i).unwrap(),
                )
            })
            .collect();
        let want = [
            ("shifts", "end_before_start", 2),
            ("stops", "end_before_start", 3),
            ("stops", "end_before_start", 4),
            ("stops", "nonexistent_local_time", 6),
            ("deployments", "end_before_start", 1),
        ];
        let want: Vec<(String, String, i64)> = want
            .iter()
            .map(|(t, r, l)| (t.to_string(), r.to_string(), *l))
            .collect();
        assert_eq!(got, want);

        let m = &ds.manifest.tables;
        assert_eq!(m["stops"].fall_back_resolved, 2);
        assert_eq!(m["shifts"].fall_back_resolved, 1);
        assert_eq!(m["deployments"].fall_back_resolved, 0);
        for s in m.values() {
            assert!(s.counts.balanced(), "{s:?}");
            assert!(s.fall_back_resolved <= s.counts.used);
        }
        let c = m["stops"].counts;
        assert_eq!((c.read, c.used, c.quarantined, c.duplicates), (6, 3, 3, 0));
        let json = ds.manifest.to_json().unwrap();
        assert!(json.contains("\"fall_back_resolved\": 2"), "{json}");
    }
}
