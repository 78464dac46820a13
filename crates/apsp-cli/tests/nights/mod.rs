//! A generated force delivered night by night, shared by the nightly tests: a
//! year's first part as history, then one drop a night with a file delivered twice
//! (night 10), one late (night 15's stops, on night 17), one overlapping the night
//! before (night 20's billing) and one with bad rows (night 25's billing). The
//! reference tables come every night as the force held them that night: cases open,
//! close and change hands, people and phones appear, as in a real force's exports.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use apsp_synth::{generate, Format, Realism, SynthConfig};
use polars::prelude::*;

pub const DAY: i64 = 86_400_000_000;
pub const HISTORY_DAYS: i64 = 60;
pub const NIGHTS: i64 = 30;

/// Appended tables and their time columns.
const EVENT_TABLES: [(&str, &str); 6] = [
    ("billing", "started_at"),
    ("stops", "arrived_at"),
    ("access_log", "at"),
    ("deployments", "start"),
    ("shifts", "start"),
    ("complaints", "received_at"),
];

const SNAPSHOT_TABLES: [&str; 6] = [
    "officers",
    "devices",
    "persons",
    "person_numbers",
    "case_links",
    "vehicle_assignments",
];

pub fn read(path: &Path) -> DataFrame {
    ParquetReader::new(std::fs::File::open(path).unwrap())
        .finish()
        .unwrap()
}

fn write(path: &Path, df: &mut DataFrame) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    ParquetWriter::new(std::fs::File::create(path).unwrap())
        .finish(df)
        .unwrap();
}

/// The rows of `df` whose time falls in days [from, to) of the force.
fn days(df: &DataFrame, col: &str, start: i64, from: i64, to: i64) -> DataFrame {
    let mask: BooleanChunked = day_of_rows(df, col, start)
        .into_iter()
        .map(|d| {
            d.map(|d| {
                d >= from && d < to
                    || (from == 0 && d < 0)
                    || (to == HISTORY_DAYS + NIGHTS && d >= to)
            })
        })
        .collect();
    df.filter(&mask).unwrap()
}

/// Breaks two rows' other party: quarantined as bad_phone.
fn with_bad_numbers(df: &DataFrame) -> DataFrame {
    let other: StringChunked = df
        .column("other_number")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, v)| if i < 2 { Some("not a number") } else { v })
        .collect();
    let mut out = df.clone();
    out.with_column(other.with_name("other_number".into()).into_column())
        .unwrap();
    out
}

pub struct Force {
    _dir: tempfile::TempDir,
    pub generated: PathBuf,
    start: i64,
}

pub fn force() -> Force {
    let dir = tempfile::tempdir().unwrap();
    let generated = dir.path().join("force");
    let cfg = SynthConfig {
        officers: 120,
        days: (HISTORY_DAYS + NIGHTS) as u32,
        seed: 11,
        format: Format::Parquet,
        realism: Realism::preset("real-town").unwrap(),
        ..SynthConfig::default()
    };
    generate(&generated, &cfg).unwrap();
    let start = cfg
        .start
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp_micros();
    Force {
        _dir: dir,
        generated,
        start,
    }
}

/// Each row's day of the force in column `col` (None where the time is missing).
fn day_of_rows(df: &DataFrame, col: &str, start: i64) -> Vec<Option<i64>> {
    let t = df
        .column(col)
        .unwrap()
        .as_materialized_series()
        .to_physical_repr();
    t.i64()
        .unwrap()
        .iter()
        .map(|v| v.map(|v| (v - start).div_euclid(DAY)))
        .collect()
}

/// The rows whose `col` falls before day `to` (or is missing).
fn rows_before(df: &DataFrame, col: &str, start: i64, to: i64) -> DataFrame {
    let mask: BooleanChunked = day_of_rows(df, col, start)
        .into_iter()
        .map(|d| Some(d.is_none_or(|d| d < to)))
        .collect();
    df.filter(&mask).unwrap()
}

/// `col` left blank where it falls on day `to` or later: not known yet.
fn blank_from(df: &mut DataFrame, col: &str, start: i64, to: i64) {
    let dtype = df.column(col).unwrap().dtype().clone();
    let phys = df
        .column(col)
        .unwrap()
        .as_materialized_series()
        .to_physical_repr();
    let kept: Int64Chunked = phys
        .i64()
        .unwrap()
        .iter()
        .zip(day_of_rows(df, col, start))
        .map(|(v, d)| v.filter(|_| d.is_some_and(|d| d < to)))
        .collect();
    let column = kept
        .with_name(col.into())
        .into_series()
        .cast(&dtype)
        .unwrap();
    df.with_column(column.into_column()).unwrap();
}

/// The people named in `links`.
fn people(links: &DataFrame) -> std::collections::BTreeSet<String> {
    links
        .column("person_id")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .flatten()
        .map(str::to_string)
        .collect()
}

/// The reference tables as the force's systems held them at the end of day `to`,
/// by name: no case opened, phone issued or vehicle assigned later; no closing,
/// hand-over or phone's return recorded yet; no record of anyone who first comes into
/// a case later. A real night's snapshots differ from the night before's.
fn reference_as_of(f: &Force, to: i64) -> Vec<(&'static str, DataFrame)> {
    let load = |t: &str| read(&f.generated.join(format!("{t}.parquet")));
    let all_links = load("case_links");
    let mut links = rows_before(&all_links, "opened_at", f.start, to);
    for col in ["closed_at", "officer_until"] {
        blank_from(&mut links, col, f.start, to);
    }
    let known = people(&links);
    let later: Vec<String> = people(&all_links).difference(&known).cloned().collect();
    let not_later = |df: DataFrame| {
        let ids = df.column("person_id").unwrap().str().unwrap();
        let mask: BooleanChunked = ids
            .iter()
            .map(|p| Some(p.is_none_or(|p| later.binary_search(&p.to_string()).is_err())))
            .collect();
        df.filter(&mask).unwrap()
    };
    let mut devices = rows_before(&load("devices"), "valid_from", f.start, to);
    blank_from(&mut devices, "valid_to", f.start, to);
    SNAPSHOT_TABLES
        .iter()
        .map(|t| {
            let df = match *t {
                "case_links" => links.clone(),
                "persons" | "person_numbers" => not_later(load(t)),
                "devices" => devices.clone(),
                "vehicle_assignments" => rows_before(&load(t), "valid_from", f.start, to),
                _ => load(t),
            };
            (*t, df)
        })
        .collect()
}

/// Writes night `n`'s delivery (0: the history) into `drop`, and the same files into
/// `all` (the folder one score reads). The reference tables are as of the night (see
/// [`reference_as_of`]); the last night's are the whole of them.
pub fn deliver(f: &Force, n: i64, drop: &Path, all: &Path) {
    let _ = std::fs::remove_dir_all(drop);
    std::fs::create_dir_all(drop).unwrap();
    if n == NIGHTS {
        for t in SNAPSHOT_TABLES {
            let name = format!("{t}.parquet");
            std::fs::copy(f.generated.join(&name), drop.join(&name)).unwrap();
            std::fs::copy(f.generated.join(&name), all.join(&name)).unwrap();
        }
    } else {
        for (t, mut df) in reference_as_of(f, HISTORY_DAYS + n) {
            let name = format!("{t}.parquet");
            write(&drop.join(&name), &mut df);
            write(&all.join(&name), &mut df);
        }
    }
    for (t, col) in EVENT_TABLES {
        let df = read(&f.generated.join(format!("{t}.parquet")));
        let (from, to) = if n == 0 {
            (0, HISTORY_DAYS)
        } else {
            (HISTORY_DAYS + n - 1, HISTORY_DAYS + n)
        };
        // Night 15's stops arrive two nights late.
        if t == "stops" && n == 15 {
            continue;
        }
        let mut files: Vec<(String, DataFrame)> = vec![(
            format!("{t}/day-{to:03}.parquet"),
            days(&df, col, f.start, from, to),
        )];
        if t == "stops" && n == 17 {
            let late = days(&df, col, f.start, HISTORY_DAYS + 14, HISTORY_DAYS + 15);
            files.push((format!("{t}/day-{:03}.parquet", HISTORY_DAYS + 15), late));
        }
        if t == "billing" && n == 20 {
            // Overlaps the night before: its last rows again, then tonight's.
            let before = days(&df, col, f.start, from - 1, from);
            let tail = before.slice((before.height() as i64 - 30).max(0), 30);
            let mut both = tail.vstack(&files[0].1).unwrap();
            both.rechunk_mut();
            files[0].1 = both;
        }
        if t == "billing" && n == 25 {
            files[0].1 = with_bad_numbers(&files[0].1);
        }
        for (name, mut part) in files {
            write(&drop.join(&name), &mut part);
            write(&all.join(&name), &mut part);
        }
        if t == "billing" && n == 10 {
            // Last night's file again, under another name: taken once.
            let again = format!("{t}/day-{:03}~resent.parquet", HISTORY_DAYS + 9);
            std::fs::copy(
                all.join(format!("{t}/day-{:03}.parquet", HISTORY_DAYS + 9)),
                drop.join(&again),
            )
            .unwrap();
            std::fs::copy(drop.join(&again), all.join(&again)).unwrap();
        }
    }
}

pub fn bytes(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}
