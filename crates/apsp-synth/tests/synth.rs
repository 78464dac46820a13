//! The synthetic force: deterministic per seed, valid against the contract (nothing
//! quarantined unless errors were asked for, and then exactly those), the same records
//! as CSV and as Parquet, and every planted scenario's defining facts hold in the data
//! as `apsp validate` reads it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use apsp_core::ingest::IngestOptions;
use apsp_core::{read_dataset, Dataset, Table};
use apsp_synth::{generate, Format, SynthConfig};
use chrono::{NaiveDate, Timelike};
use polars::prelude::*;

fn cfg(seed: u64, officers: usize, days: u32) -> SynthConfig {
    SynthConfig {
        officers,
        days,
        seed,
        // Covers the spring-forward change (29 March 2026).
        start: NaiveDate::from_ymd_opt(2026, 2, 1).unwrap(),
        ..SynthConfig::default()
    }
}

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().to_string(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect()
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    for format in [Format::Csv, Format::Parquet] {
        let (a, b, c) = (
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
        );
        let mut k = cfg(3, 60, 70);
        k.format = format;
        generate(a.path(), &k).unwrap();
        generate(b.path(), &k).unwrap();
        k.seed = 4;
        generate(c.path(), &k).unwrap();
        let (fa, fb, fc) = (files(a.path()), files(b.path()), files(c.path()));
        assert_eq!(fa.len(), 13, "{:?}", fa.keys());
        assert_eq!(fa, fb, "{format:?}: same seed, different bytes");
        for (name, bytes) in &fa {
            if !name.starts_with("officers") && !name.starts_with("devices") {
                assert_ne!(Some(bytes), fc.get(name), "{name} ignores the seed");
            }
        }
    }
}

fn without_provenance(df: &DataFrame) -> DataFrame {
    df.drop_many(["source_file", "source_line"])
}

/// CSV and Parquet carry the same records: only the writing differs (naive local
/// times and mixed phone writings vs typed UTC columns).
#[test]
fn csv_and_parquet_hold_the_same_records() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut k = cfg(8, 50, 70);
    generate(a.path(), &k).unwrap();
    k.format = Format::Parquet;
    generate(b.path(), &k).unwrap();
    let da = read_dataset(a.path(), &IngestOptions::default()).unwrap();
    let db = read_dataset(b.path(), &IngestOptions::default()).unwrap();
    assert_eq!(da.quarantined() + db.quarantined(), 0);
    for t in Table::ALL {
        let (x, y) = (da.table(t).unwrap(), db.table(t).unwrap());
        assert!(x.height() > 0, "{t} is empty");
        assert!(
            without_provenance(x).equals_missing(&without_provenance(y)),
            "{t} differs between CSV and Parquet"
        );
    }
}

#[test]
fn generated_force_validates_with_nothing_quarantined() {
    let dir = tempfile::tempdir().unwrap();
    let s = generate(dir.path(), &cfg(11, 80, 120)).unwrap();
    let ds = read_dataset(dir.path(), &IngestOptions::default()).unwrap();
    assert_eq!(ds.quarantined(), 0, "{}", ds.quarantine);
    for t in Table::ALL {
        let c = s.counts(t);
        assert_eq!(c.rows, c.used, "{t}");
        assert_eq!(ds.table(t).unwrap().height() as u64, c.used, "{t}");
    }
    let dup: u64 = ds.manifest.inputs.iter().map(|i| i.rows.duplicates).sum();
    assert_eq!(dup, 0);
    // Every table has content, and work phones are busy (several rows a shift).
    assert!(
        s.counts(Table::Billing).rows > 3 * s.counts(Table::Shifts).rows,
        "{s:?}"
    );
    for t in [
        Table::CaseLinks,
        Table::Stops,
        Table::Deployments,
        Table::AccessLog,
    ] {
        assert!(s.counts(t).rows > 300, "{t}: {s:?}");
    }
    // One of each scenario and decoy.
    assert_eq!((s.planted, s.decoys), (9, 5), "{s:?}");
    // The ground truth sits beside the tables and is (rightly) not read as one, nor
    // warned of as a file left out.
    assert!(ds.manifest.ignored_files.is_empty());
    assert_eq!(
        ds.manifest.ground_truth_files,
        vec!["labels.parquet".to_string()]
    );
}

/// `--inject-errors`: the validator quarantines exactly the rows the generator broke,
/// at their lines, with their reasons and columns, and counts the doubled rows as
/// duplicates; every other row is used.
#[test]
fn injected_errors_are_exactly_what_validation_quarantines() {
    for format in [Format::Csv, Format::Parquet] {
        let dir = tempfile::tempdir().unwrap();
        let mut k = cfg(5, 60, 90);
        k.format = format;
        k.inject_errors = 0.01;
        let s = generate(dir.path(), &k).unwrap();
        let ds = read_dataset(dir.path(), &IngestOptions::default()).unwrap();
        let q = &ds.quarantine;
        let col = |c: &str| -> Vec<Option<String>> {
            q.column(c)
                .unwrap()
                .str()
                .unwrap()
                .iter()
                .map(|v| v.map(String::from))
                .collect()
        };
        let (table, file, reason, column) =
            (col("table"), col("file"), col("reason"), col("column"));
        let line: Vec<i64> = q
            .column("line")
            .unwrap()
            .i64()
            .unwrap()
            .iter()
            .map(|v| v.unwrap())
            .collect();
        let got: BTreeSet<(String, String, i64, String, Option<String>)> = (0..q.height())
            .map(|i| {
                (
                    table[i].clone().unwrap(),
                    file[i].clone().unwrap(),
                    line[i],
                    reason[i].clone().unwrap(),
                    column[i].clone(),
                )
            })
            .collect();
        let want: BTreeSet<(String, String, i64, String, Option<String>)> = s
            .injected
            .iter()
            .filter_map(|i| {
                i.reason.map(|r| {
                    (
                        i.table.name().to_string(),
                        i.file.clone(),
                        i.line as i64,
                        r.code().to_string(),
                        i.column.map(String::from),
                    )
                })
            })
            .collect();
        assert!(
            want.len() > 100,
            "{format:?}: only {} broken rows",
            want.len()
        );
        let reasons: BTreeSet<&str> = want.iter().map(|w| w.3.as_str()).collect();
        let expected_kinds = if format == Format::Csv { 11 } else { 6 };
        assert!(reasons.len() >= expected_kinds, "{format:?}: {reasons:?}");
        let missing: Vec<_> = want.difference(&got).take(5).collect();
        let extra: Vec<_> = got.difference(&want).take(5).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{format:?}: not quarantined {missing:?}; unexpected {extra:?}"
        );
        for t in Table::ALL {
            let c = s.counts(t);
            assert_eq!(
                ds.table(t).unwrap().height() as u64,
                c.used,
                "{format:?} {t}"
            );
            let dups: u64 = ds
                .manifest
                .inputs
                .iter()
                .filter(|i| i.table == t.name())
                .map(|i| i.rows.duplicates)
                .sum();
            assert_eq!(dups, c.duplicates, "{format:?} {t}");
        }
        assert!(s.injected.iter().any(|i| i.reason.is_none()));
        let listed =
            apsp_core::output::read_parquet(&dir.path().join("injected_errors.parquet")).unwrap();
        assert_eq!(listed.height(), s.injected.len());
    }
}

// ---------------------------------------------------------------------------------
// Defining facts of each planted scenario, read back through the validator.

const HOUR: i64 = 3_600_000_000;
const DAY: i64 = 24 * HOUR;

#[derive(Debug, Clone)]
struct Bill {
    device: String,
    other: Option<String>,
    out: bool,
    call: bool,
    at: i64,
    dur: Option<i64>,
}

#[derive(Debug, Clone)]
struct Stop {
    vehicle: String,
    officer: Option<String>,
    p: (f64, f64),
    arr: i64,
    dep: i64,
}

#[derive(Debug, Clone)]
struct Link {
    case: String,
    person: String,
    officer: String,
    opened: i64,
    closed: Option<i64>,
    until: Option<i64>,
}

/// The dataset as plain rows, for readable checks.
struct Facts {
    role: HashMap<String, String>,
    device: HashMap<String, String>,
    number: HashMap<String, String>,
    home: HashMap<String, (f64, f64)>,
    flags: HashMap<String, String>,
    dob: HashMap<String, i32>,
    bills: Vec<Bill>,
    stops: Vec<Stop>,
    deploys: Vec<(String, (f64, f64), i64, i64)>,
    links: Vec<Link>,
    access: Vec<(String, i64, Option<String>, Option<String>)>,
    complaints: Vec<(String, i64)>,
    shifts: HashMap<String, Vec<(i64, i64)>>,
    labels: Vec<(String, String, Vec<String>)>,
}

fn strs(df: &DataFrame, c: &str) -> Vec<Option<String>> {
    df.column(c)
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|v| v.map(String::from))
        .collect()
}

fn ints(df: &DataFrame, c: &str) -> Vec<Option<i64>> {
    let s = df
        .column(c)
        .unwrap()
        .as_materialized_series()
        .to_physical_repr();
    let s = s.cast(&DataType::Int64).unwrap();
    s.i64().unwrap().iter().collect()
}

fn floats(df: &DataFrame, c: &str) -> Vec<Option<f64>> {
    df.column(c).unwrap().f64().unwrap().iter().collect()
}

impl Facts {
    fn load(dir: &Path, ds: &Dataset) -> Facts {
        let t = |x: Table| ds.table(x).unwrap();
        let zip2 = |df: &DataFrame, a: &str, b: &str| -> HashMap<String, String> {
            strs(df, a)
                .into_iter()
                .zip(strs(df, b))
                .filter_map(|(x, y)| Some((x?, y?)))
                .collect()
        };
        let o = t(Table::Officers);
        let role = zip2(o, "officer_id", "role");
        let device = zip2(t(Table::Devices), "officer_id", "device_number");
        let number = zip2(t(Table::PersonNumbers), "person_id", "number");
        let p = t(Table::Persons);
        let pid = strs(p, "person_id");
        let (la, lo) = (floats(p, "address_lat"), floats(p, "address_lon"));
        let home = (0..p.height())
            .map(|i| (pid[i].clone().unwrap(), (la[i].unwrap(), lo[i].unwrap())))
            .collect();
        let flags = zip2(p, "person_id", "vulnerabilities");
        let dobv = ints(p, "date_of_birth");
        // (A duplicate record may have no date of birth.)
        let dob = (0..p.height())
            .filter_map(|i| Some((pid[i].clone().unwrap(), dobv[i]? as i32)))
            .collect();
        let b = t(Table::Billing);
        let (dev, oth, dir_, kind, at, dur) = (
            strs(b, "device_number"),
            strs(b, "other_number"),
            strs(b, "direction"),
            strs(b, "kind"),
            ints(b, "started_at"),
            ints(b, "duration_s"),
        );
        let bills = (0..b.height())
            .map(|i| Bill {
                device: dev[i].clone().unwrap(),
                other: oth[i].clone(),
                out: dir_[i].as_deref() == Some("out"),
                call: kind[i].as_deref() == Some("call"),
                at: at[i].unwrap(),
                dur: dur[i],
            })
            .collect();
        let s = t(Table::Stops);
        let sv = strs(s, "vehicle_id");
        let (so, sla, slo, sa, sd) = (
            strs(s, "officer_id"),
            floats(s, "lat"),
            floats(s, "lon"),
            ints(s, "arrived_at"),
            ints(s, "departed_at"),
        );
        let stops = (0..s.height())
            .map(|i| Stop {
                vehicle: sv[i].clone().unwrap(),
                officer: so[i].clone(),
                p: (sla[i].unwrap(), slo[i].unwrap()),
                arr: sa[i].unwrap(),
                dep: sd[i].unwrap(),
            })
            .collect();
        let d = t(Table::Deployments);
        let (dof, dla, dlo, dsa, dse) = (
            strs(d, "officer_id"),
            floats(d, "lat"),
            floats(d, "lon"),
            ints(d, "start"),
            ints(d, "end"),
        );
        let deploys = (0..d.height())
            .map(|i| {
                (
                    dof[i].clone().unwrap(),
                    (dla[i].unwrap(), dlo[i].unwrap()),
                    dsa[i].unwrap(),
                    dse[i].unwrap(),
                )
            })
            .collect();
        let l = t(Table::CaseLinks);
        let (lc, lp, lof, lop, lcl, lun) = (
            strs(l, "case_id"),
            strs(l, "person_id"),
            strs(l, "officer_id"),
            ints(l, "opened_at"),
            ints(l, "closed_at"),
            ints(l, "officer_until"),
        );
        let links = (0..l.height())
            .map(|i| Link {
                case: lc[i].clone().unwrap(),
                person: lp[i].clone().unwrap(),
                officer: lof[i].clone().unwrap(),
                opened: lop[i].unwrap(),
                closed: lcl[i],
                until: lun[i],
            })
            .collect();
        let a = t(Table::AccessLog);
        let (ao, aat, ap, apr) = (
            strs(a, "officer_id"),
            ints(a, "at"),
            strs(a, "person_id"),
            strs(a, "purpose_ref"),
        );
        let access = (0..a.height())
            .map(|i| {
                (
                    ao[i].clone().unwrap(),
                    aat[i].unwrap(),
                    ap[i].clone(),
                    apr[i].clone(),
                )
            })
            .collect();
        let c = t(Table::Complaints);
        let (co, cat) = (strs(c, "officer_id"), ints(c, "received_at"));
        let complaints = (0..c.height())
            .map(|i| (co[i].clone().unwrap(), cat[i].unwrap()))
            .collect();
        let sh = t(Table::Shifts);
        let (sho, shs, she) = (strs(sh, "officer_id"), ints(sh, "start"), ints(sh, "end"));
        let mut shifts: HashMap<String, Vec<(i64, i64)>> = HashMap::new();
        for i in 0..sh.height() {
            shifts
                .entry(sho[i].clone().unwrap())
                .or_default()
                .push((shs[i].unwrap(), she[i].unwrap()));
        }
        let lab = apsp_core::output::read_parquet(&dir.join("labels.parquet")).unwrap();
        let (lo_, lsc, lsu) = (
            strs(&lab, "officer_id"),
            strs(&lab, "scenario"),
            strs(&lab, "subjects"),
        );
        let labels = (0..lab.height())
            .map(|i| {
                (
                    lo_[i].clone().unwrap(),
                    lsc[i].clone().unwrap(),
                    lsu[i]
                        .clone()
                        .unwrap()
                        .split(';')
                        .filter(|s| !s.is_empty())
                        .map(String::from)
                        .collect(),
                )
            })
            .collect();
        Facts {
            role,
            device,
            number,
            home,
            flags,
            dob,
            bills,
            stops,
            deploys,
            links,
            access,
            complaints,
            shifts,
            labels,
        }
    }

    /// (officer, subjects) of a scenario.
    fn scenario(&self, name: &str) -> (String, Vec<String>) {
        let l = self
            .labels
            .iter()
            .find(|l| l.1 == name)
            .unwrap_or_else(|| panic!("no {name} planted"));
        (l.0.clone(), l.2.clone())
    }

    /// Billing between officer `o` and subject `s` (a person id or an E.164 number).
    fn pair(&self, o: &str, s: &str) -> Vec<Bill> {
        let dev = &self.device[o];
        let num = self.number.get(s).map(String::as_str).unwrap_or(s);
        let mut v: Vec<Bill> = self
            .bills
            .iter()
            .filter(|b| &b.device == dev && b.other.as_deref() == Some(num))
            .cloned()
            .collect();
        v.sort_by_key(|b| b.at);
        v
    }

    /// Stops attributed to `o` within `m` metres of person `s`'s home.
    fn stops_near(&self, o: &str, s: &str, m: f64) -> Vec<Stop> {
        let home = self.home[s];
        self.stops
            .iter()
            .filter(|x| x.officer.as_deref() == Some(o) && haversine_m(home, x.p) <= m)
            .cloned()
            .collect()
    }

    /// Whether a deployment of `o` within 150 m overlaps the stop.
    fn deployed(&self, o: &str, st: &Stop) -> bool {
        self.deploys.iter().any(|(d, p, a, b)| {
            d == o && haversine_m(*p, st.p) <= 150.0 && *a <= st.dep && st.arr <= *b
        })
    }

    fn on_duty(&self, o: &str, t: i64) -> bool {
        self.shifts[o].iter().any(|(a, b)| *a <= t && t <= *b)
    }

    fn link(&self, o: &str, s: &str) -> Option<&Link> {
        self.links.iter().find(|l| l.officer == o && l.person == s)
    }
}

fn haversine_m((lat1, lon1): (f64, f64), (lat2, lon2): (f64, f64)) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let (dp, dl) = ((lat2 - lat1).to_radians(), (lon2 - lon1).to_radians());
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6_371_000.0 * a.sqrt().asin()
}

/// Local hour (Europe/London) of a UTC instant.
fn local_hour(t: i64) -> u32 {
    use chrono::TimeZone;
    chrono_tz::Europe::London
        .timestamp_micros(t)
        .single()
        .unwrap()
        .hour()
}

fn night(t: i64) -> bool {
    let h = local_hour(t);
    !(6..22).contains(&h)
}

/// Seeds to check: 1, 2, 3 by default; `APSP_SYNTH_SEEDS=4-40` (or `5,9`) for more.
fn seeds() -> Vec<u64> {
    let Ok(v) = std::env::var("APSP_SYNTH_SEEDS") else {
        return vec![1, 2, 3];
    };
    match v.split_once('-') {
        Some((a, b)) => (a.trim().parse().unwrap()..=b.trim().parse().unwrap()).collect(),
        None => v.split(',').map(|x| x.trim().parse().unwrap()).collect(),
    }
}

#[test]
fn every_scenario_s_defining_facts_hold() {
    for seed in seeds() {
        let dir = tempfile::tempdir().unwrap();
        let k = SynthConfig {
            officers: 300,
            days: 365,
            seed,
            start: NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(),
            ..SynthConfig::default()
        };
        let s = generate(dir.path(), &k).unwrap();
        assert_eq!((s.planted, s.decoys), (9, 5), "seed {seed}");
        let ds = read_dataset(dir.path(), &IngestOptions::default()).unwrap();
        assert_eq!(ds.quarantined(), 0, "seed {seed}: {}", ds.quarantine);
        let f = Facts::load(dir.path(), &ds);
        let ctx = |name: &str| format!("seed {seed}, {name}");
        case_study_1(&f, &ctx("cs1"));
        case_study_2(&f, &ctx("cs2"));
        case_study_3(&f, &ctx("cs3"));
        case_study_4(&f, &ctx("cs4"));
        case_study_8(&f, &ctx("cs8"));
        case_study_9(&f, &ctx("cs9"), k.start);
        case_study_10(&f, &ctx("cs10"));
        fisherman(&f, &ctx("fisherman"));
        shark(&f, &ctx("shark"));
        decoys(&f, &ctx("decoys"));
    }
}

fn case_study_1(f: &Facts, ctx: &str) {
    let (o, s) = f.scenario("case_study_1");
    let w = &s[0];
    assert!(f.flags[w].contains("domestic_abuse"), "{ctx}");
    let views: Vec<_> = f
        .access
        .iter()
        .filter(|a| a.0 == o && a.2.as_deref() == Some(w))
        .collect();
    assert_eq!(views.len(), 1, "{ctx}");
    assert!(views[0].3.is_none(), "{ctx}: the look-up cites no purpose");
    let pair = f.pair(&o, w);
    assert!(!pair[0].out, "{ctx}: she called the desk first");
    let texts: Vec<_> = pair.iter().filter(|b| b.out).collect();
    assert_eq!(texts.len(), 1, "{ctx}");
    assert!(!texts[0].call);
    let gap = texts[0].at - views[0].1;
    assert!((2 * DAY..=6 * DAY).contains(&gap), "{ctx}: {gap}");
    assert!(f.on_duty(&o, texts[0].at), "{ctx}: texted on duty");
    assert!(
        f.complaints
            .iter()
            .any(|(c, t)| *c == o && (0..=30 * 60_000_000).contains(&(t - texts[0].at))),
        "{ctx}"
    );
    assert!(f.link(&o, w).is_none(), "{ctx}: no case of his");
    let old = f
        .links
        .iter()
        .find(|l| &l.person == w && l.officer != o)
        .expect("old case");
    assert!(views[0].1 - old.closed.unwrap() > 7 * 365 * DAY, "{ctx}");
}

fn case_study_2(f: &Facts, ctx: &str) {
    let (o, s) = f.scenario("case_study_2");
    assert_eq!(f.role[&o], "PCSO", "{ctx}");
    let w1 = &s[0];
    assert!(f.flags[w1].contains("learning_disability"));
    let pair = f.pair(&o, w1);
    let out_calls: Vec<_> = pair.iter().filter(|b| b.out && b.call).collect();
    assert_eq!(out_calls.len(), 38, "{ctx}");
    assert_eq!(
        out_calls.iter().filter(|b| b.dur.unwrap() < 5).count(),
        30,
        "{ctx}"
    );
    assert_eq!(
        pair.iter().filter(|b| !b.out && b.call).count(),
        0,
        "{ctx}: no call back"
    );
    let until = f.link(&o, w1).unwrap().until.unwrap();
    // The four planted stops (a chance patrol stop near her home may add one).
    let near = f
        .stops_near(&o, w1, 150.0)
        .into_iter()
        .filter(|x| x.arr > until && !f.deployed(&o, x))
        .count();
    assert!((4..=5).contains(&near), "{ctx}: {near}");
    for w in &s[1..] {
        assert!(!f.flags[w].is_empty(), "{ctx}: other women are vulnerable");
        assert!(
            f.pair(&o, w).iter().filter(|b| b.out && !b.call).count() >= 12,
            "{ctx}"
        );
    }
}

fn case_study_3(f: &Facts, ctx: &str) {
    let (o, s) = f.scenario("case_study_3");
    let w = &s[0];
    assert!(f.flags[w].contains("missing_or_suicidal"));
    let l = f.link(&o, w).unwrap();
    let closed = l.closed.unwrap();
    assert!(closed - l.opened <= 30 * DAY, "{ctx}");
    let visits: Vec<_> = f
        .stops_near(&o, w, 150.0)
        .into_iter()
        .filter(|x| x.arr > closed && !f.deployed(&o, x))
        .collect();
    // Two or three a week on duty, for months (with a break of some weeks).
    let weeks = (visits.last().unwrap().arr - visits[0].arr) as f64 / (7 * DAY) as f64;
    assert!(
        visits.len() >= 40 && visits.len() as f64 / weeks >= 1.5,
        "{ctx}: {} in {weeks:.0} weeks",
        visits.len()
    );
    assert!(
        visits.iter().all(|x| f.on_duty(&o, x.arr)),
        "{ctx}: all on duty"
    );
    assert!(visits.iter().any(|x| night(x.arr)), "{ctx}");
    // The missing-person incident: another officer deployed there, he turns up.
    let other_deployed = f
        .deploys
        .iter()
        .filter(|(d, p, _, _)| *d != o && haversine_m(*p, f.home[w]) < 10.0)
        .any(|(_, _, a, b)| visits.iter().any(|x| x.arr >= *a && x.arr <= *b));
    assert!(other_deployed, "{ctx}");
}

fn case_study_4(f: &Facts, ctx: &str) {
    let (o, s) = f.scenario("case_study_4");
    assert_eq!(f.role[&o], "Call Handler");
    let w = &s[0];
    let l = f.link(&o, w).unwrap();
    let closed = l.closed.unwrap();
    assert!(closed - l.opened < 2 * DAY, "{ctx}");
    let pair = f.pair(&o, w);
    assert!((4..=7).contains(&pair.len()), "{ctx}: {}", pair.len());
    assert!(pair.iter().all(|b| b.out), "{ctx}");
    let calls: Vec<_> = pair.iter().filter(|b| b.call).collect();
    assert!(
        calls.iter().all(|b| f.on_duty(&o, b.at) && b.at < closed),
        "{ctx}: calls on the open log, on shift"
    );
    assert!(
        calls.iter().any(|b| b.dur.unwrap() >= 600),
        "{ctx}: the long call"
    );
    let texts: Vec<_> = pair.iter().filter(|b| !b.call).collect();
    assert_eq!(texts.len(), 1);
    assert!(
        texts[0].at > closed && texts[0].at - closed < DAY,
        "{ctx}: text the evening it closed"
    );
    assert!(f.complaints.iter().any(|(c, _)| *c == o));
}

fn case_study_8(f: &Facts, ctx: &str) {
    let (o, s) = f.scenario("case_study_8");
    let (w1, w2) = (&s[0], &s[1]);
    assert!(!f.flags[w1].is_empty() && !f.flags[w2].is_empty());
    let l = f.link(&o, w1).unwrap();
    let closed = l.closed.unwrap();
    let p1 = f.pair(&o, w1);
    let during: Vec<_> = p1.iter().filter(|b| b.at <= closed).collect();
    let inbound = during.iter().filter(|b| !b.out).count() as f64 / during.len() as f64;
    assert!(
        during.len() >= 10 && (0.2..=0.6).contains(&inbound),
        "{ctx}: {} {inbound}",
        during.len()
    );
    assert!(
        p1.iter().all(|b| b.at <= closed),
        "{ctx}: no work-phone contact after closure"
    );
    let late = f
        .stops_near(&o, w1, 150.0)
        .into_iter()
        .filter(|x| x.arr > closed && !f.deployed(&o, x))
        .count();
    assert!(late >= 2, "{ctx}: {late}");
    // W2: looked up without purpose, then texted within days; at the end only she texts.
    assert!(f.link(&o, w2).is_none(), "{ctx}");
    let first_view = f
        .access
        .iter()
        .filter(|a| a.0 == o && a.2.as_deref() == Some(w2.as_str()) && a.3.is_none())
        .map(|a| a.1)
        .min()
        .unwrap();
    let p2 = f.pair(&o, w2);
    let first_out = p2.iter().find(|b| b.out).unwrap().at;
    assert!(
        first_out > first_view && first_out - first_view <= 14 * DAY,
        "{ctx}"
    );
    let tail = &p2[p2.len() - 5..];
    assert!(
        tail.iter().all(|b| !b.out),
        "{ctx}: inbound only at the end"
    );
}

fn case_study_9(f: &Facts, ctx: &str, start: NaiveDate) {
    case_study_9_with(f, ctx, start, true)
}

/// `crew`: check that his crew stops near her home only when deployed (with stops in
/// every street, their chance stops happen there as in any street).
fn case_study_9_with(f: &Facts, ctx: &str, start: NaiveDate, crew: bool) {
    let (o, s) = f.scenario("case_study_9");
    let girl = &s[0];
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
    let age_days = (start - epoch).num_days() - f.dob[girl] as i64;
    assert!(
        (12 * 365..14 * 365).contains(&age_days),
        "{ctx}: {age_days}"
    );
    let near: Vec<_> = f
        .stops_near(&o, girl, 150.0)
        .into_iter()
        .filter(|x| !f.deployed(&o, x))
        .collect();
    assert!(near.len() >= 8, "{ctx}: {}", near.len());
    // His crew (same vehicle) stops near her home only when deployed: their park
    // patrols are beyond R. (Other officers' chance stops near her home happen, as in
    // any neighbourhood.)
    let vehicle = &near[0].vehicle;
    let crew_undeployed = f
        .stops
        .iter()
        .filter(|x| &x.vehicle == vehicle && x.officer.as_deref() != Some(o.as_str()))
        .filter(|x| haversine_m(f.home[girl], x.p) <= 150.0)
        .filter(|x| x.officer.as_deref().is_none_or(|c| !f.deployed(c, x)))
        .count();
    assert!(
        !crew || crew_undeployed <= 2,
        "{ctx}: {crew_undeployed} undeployed crew stops near her home"
    );
    // The park patrols are deployed and shared.
    let park: Vec<_> = f
        .stops
        .iter()
        .filter(|x| {
            let d = haversine_m(f.home[girl], x.p);
            (160.0..320.0).contains(&d) && x.officer.is_some()
        })
        .filter(|x| f.deployed(x.officer.as_deref().unwrap(), x))
        .collect();
    assert!(park.len() >= 10, "{ctx}: {} park stops", park.len());
}

fn case_study_10(f: &Facts, ctx: &str) {
    let (o, s) = f.scenario("case_study_10");
    let w = &s[0];
    let l = f.link(&o, w).unwrap();
    let until = l.until.unwrap();
    // Two days on the local calendar (47-49 h across a clock change).
    assert!(
        (2 * DAY - HOUR..=2 * DAY + HOUR).contains(&(until - l.opened)),
        "{ctx}"
    );
    // The unit took over the same case.
    assert!(
        f.links
            .iter()
            .any(|x| x.case == l.case && x.officer != o && x.opened >= until),
        "{ctx}"
    );
    let near: Vec<_> = f
        .stops_near(&o, w, 150.0)
        .into_iter()
        .filter(|x| x.arr > until && x.arr - until <= 19 * DAY && !f.deployed(&o, x))
        .collect();
    assert!(near.len() >= 3, "{ctx}: {}", near.len());
    assert!(
        near.iter().filter(|x| x.arr - until > 7 * DAY).count() >= 2,
        "{ctx}"
    );
    assert!(f.pair(&o, w).is_empty(), "{ctx}: no work-phone contact");
}

fn fisherman(f: &Facts, ctx: &str) {
    let (o, s) = f.scenario("fisherman");
    assert!(s.len() >= 13, "{ctx}");
    let (mut out, mut inbound, mut off, mut persistent, mut pursued) = (0, 0, 0, 0, 0);
    for w in &s {
        let p = f.pair(&o, w);
        let n_out = p.iter().filter(|b| b.out).count();
        if n_out >= 3 {
            pursued += 1;
        }
        out += n_out;
        inbound += p.len() - n_out;
        off += p.iter().filter(|b| !f.on_duty(&o, b.at)).count();
        if p.iter()
            .filter(|b| b.out && b.call && b.dur.unwrap() <= 5)
            .count()
            >= 10
        {
            persistent += 1;
        }
    }
    assert!(pursued >= 10, "{ctx}: {pursued}");
    assert!(
        inbound * 10 <= out + inbound,
        "{ctx}: little reply ({inbound}/{out})"
    );
    assert!(off * 10 >= (out + inbound) * 9, "{ctx}: off duty");
    assert!(persistent >= 2, "{ctx}");
    // About half are past victims of his own closed cases.
    let past = s
        .iter()
        .filter(|w| f.link(&o, w).is_some_and(|l| l.closed.is_some()))
        .count();
    assert!(past >= 5, "{ctx}: {past}");
}

fn shark(f: &Facts, ctx: &str) {
    let (o, s) = f.scenario("shark");
    let (w1, w2) = (&s[0], &s[1]);
    let l = f.link(&o, w1).unwrap();
    let p = f.pair(&o, w1);
    let t0 = p[0].at;
    assert!(t0 - l.opened < 3 * DAY, "{ctx}: contact within days");
    let week = |k: i64| {
        p.iter()
            .filter(|b| b.at >= t0 + k * 7 * DAY && b.at < t0 + (k + 1) * 7 * DAY)
            .count()
    };
    assert!(week(0) + week(1) >= 10, "{ctx}");
    assert!(
        week(2) >= 3 * week(0).max(1) || week(2) >= 12,
        "{ctx}: {} -> {}",
        week(0),
        week(2)
    );
    assert!(p.iter().filter(|b| night(b.at)).count() >= 10, "{ctx}");
    let inbound = p.iter().filter(|b| !b.out).count() as f64 / p.len() as f64;
    assert!((0.15..0.5).contains(&inbound), "{ctx}: {inbound}");
    let until = l.until.unwrap();
    assert!(
        f.access.iter().any(|a| a.0 == o
            && a.2.as_deref() == Some(w1.as_str())
            && a.1 > until
            && a.3.is_none()),
        "{ctx}"
    );
    let near = f
        .stops_near(&o, w1, 150.0)
        .into_iter()
        .filter(|x| x.arr > until && !f.deployed(&o, x))
        .count();
    assert!(near >= 2, "{ctx}: {near}");
    let look = f
        .access
        .iter()
        .filter(|a| a.0 == o && a.2.as_deref() == Some(w2.as_str()))
        .map(|a| a.1)
        .min()
        .unwrap();
    let first = f.pair(&o, w2)[0].at;
    assert!(first > look && first - look <= 3 * DAY, "{ctx}");
    assert!(f.link(&o, w2).is_none());
}

fn decoys(f: &Facts, ctx: &str) {
    // The DA specialist: all contact with victims is on shift while the case is open.
    let (o, s) = f.scenario("decoy_da_specialist");
    for w in &s {
        let l = f.link(&o, w).unwrap();
        let p = f.pair(&o, w);
        assert!(p.len() >= 15, "{ctx}: {}", p.len());
        assert!(
            p.iter().all(|b| f.on_duty(&o, b.at)
                && b.at >= l.opened
                && l.closed.is_none_or(|c| b.at <= c)),
            "{ctx}"
        );
        let inbound = p.iter().filter(|b| !b.out).count() as f64 / p.len() as f64;
        assert!(inbound > 0.25, "{ctx}: two-way");
    }
    // Repeat address: every stop near her home is deployed.
    let (o, s) = f.scenario("decoy_repeat_address");
    let near = f.stops_near(&o, &s[0], 150.0);
    assert!(
        near.len() >= 10 && near.iter().all(|x| f.deployed(&o, x)),
        "{ctx}: {}",
        near.len()
    );
    // Court result: one outgoing call after closure, beyond 7 days, on duty.
    let (o, s) = f.scenario("decoy_court_result");
    let closed = f.link(&o, &s[0]).unwrap().closed.unwrap();
    let after: Vec<_> = f
        .pair(&o, &s[0])
        .into_iter()
        .filter(|b| b.at > closed)
        .collect();
    assert_eq!(after.iter().filter(|b| b.out).count(), 1, "{ctx}");
    assert!(
        after[0].at - closed > 7 * DAY && f.on_duty(&o, after[0].at),
        "{ctx}"
    );
    // Complaints only: three or more within a year.
    let (o, _) = f.scenario("decoy_complaints_only");
    let mut c: Vec<i64> = f
        .complaints
        .iter()
        .filter(|x| x.0 == o)
        .map(|x| x.1)
        .collect();
    c.sort();
    assert!(c.len() >= 3 && c[2] - c[0] <= 365 * DAY, "{ctx}: {c:?}");
    // Partner: a number in no record, near-daily, both ways, off duty.
    let (o, s) = f.scenario("decoy_partner_number");
    assert!(s[0].starts_with("+44") && !f.number.values().any(|n| n == &s[0]));
    let p = f.pair(&o, &s[0]);
    assert!(p.len() >= 300, "{ctx}: {}", p.len());
    assert!(p.iter().all(|b| !f.on_duty(&o, b.at)), "{ctx}");
    let inbound = p.iter().filter(|b| !b.out).count() as f64 / p.len() as f64;
    assert!((0.35..0.65).contains(&inbound), "{ctx}: {inbound}");
    assert!(p.iter().filter(|b| night(b.at)).count() >= 30, "{ctx}");
}

// ---- Realism settings ---------------------------------------------------------------

use apsp_synth::{Realism, StopGeography};

fn real(seed: u64, officers: usize, days: u32, realism: Realism) -> SynthConfig {
    SynthConfig {
        officers,
        days,
        seed,
        start: NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(),
        realism,
        ..SynthConfig::default()
    }
}

/// Distinct officers with undeployed, logged-on stops within 150 m of each of `n`
/// homes (every k-th person), sorted.
fn officers_near_homes(f: &Facts, n: usize) -> Vec<usize> {
    type Spans = Vec<((f64, f64), i64, i64)>;
    let mut deploys: HashMap<&str, Spans> = HashMap::new();
    for (o, p, a, b) in &f.deploys {
        deploys.entry(o.as_str()).or_default().push((*p, *a, *b));
    }
    let mut homes: Vec<&(f64, f64)> = f.home.values().collect();
    homes.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let step = (homes.len() / n).max(1);
    // A coarse grid of stops (about 1.1 km cells) to keep this quick.
    let cell = |p: (f64, f64)| ((p.0 * 100.0).floor() as i64, (p.1 * 60.0).floor() as i64);
    let mut grid: HashMap<(i64, i64), Vec<&Stop>> = HashMap::new();
    for s in &f.stops {
        if s.officer.is_some() {
            grid.entry(cell(s.p)).or_default().push(s);
        }
    }
    let mut out: Vec<usize> = homes
        .iter()
        .step_by(step)
        .map(|h| {
            let (cy, cx) = cell(**h);
            let mut seen = BTreeSet::new();
            for dy in -1..=1 {
                for dx in -1..=1 {
                    for s in grid.get(&(cy + dy, cx + dx)).into_iter().flatten() {
                        let o = s.officer.as_deref().unwrap();
                        if haversine_m(**h, s.p) > 150.0 || seen.contains(o) {
                            continue;
                        }
                        let deployed = deploys.get(o).is_some_and(|v| {
                            v.iter().any(|(p, a, b)| {
                                haversine_m(*p, s.p) <= 150.0 && *a <= s.dep && s.arr <= *b
                            })
                        });
                        if !deployed {
                            seen.insert(o);
                        }
                    }
                }
            }
            seen.len()
        })
        .collect();
    out.sort();
    out
}

fn load(dir: &Path) -> Facts {
    let ds = read_dataset(dir, &IngestOptions::default()).unwrap();
    Facts::load(dir, &ds)
}

/// Town-wide stops: the median home sees at least 15 different officers stop within
/// 150 m over a year, undeployed (against next to none with hotspots only), and the
/// decoy beside the hospital stops near her home as often as anyone, no more.
#[test]
fn town_wide_stops_reach_every_street() {
    let dir = tempfile::tempdir().unwrap();
    let town = Realism {
        stops: StopGeography::TownWide,
        ..Realism::default()
    };
    let s = generate(dir.path(), &real(1, 400, 365, town)).unwrap();
    assert_eq!((s.planted, s.decoys), (9, 6), "{s:?}");
    let f = load(dir.path());
    let near = officers_near_homes(&f, 400);
    let median = near[near.len() / 2];
    assert!(median >= 15, "median home: {median} officers ({near:?})");
    // Beside the hospital: every officer stops there; the decoy too, no more.
    let (o, s) = f.scenario("decoy_beside_hospital");
    let home = f.home[&s[0]];
    let closed = f.link(&o, &s[0]).unwrap().closed.unwrap();
    let mut per_officer: HashMap<&str, usize> = HashMap::new();
    for x in &f.stops {
        if let Some(who) = x.officer.as_deref() {
            if haversine_m(home, x.p) <= 150.0 && x.arr > closed && !f.deployed(who, x) {
                *per_officer.entry(who).or_default() += 1;
            }
        }
    }
    let mine = per_officer.get(o.as_str()).copied().unwrap_or(0);
    let max_other = per_officer
        .iter()
        .filter(|(k, _)| **k != o)
        .map(|(_, v)| *v)
        .max()
        .unwrap();
    assert!(per_officer.len() >= 100, "{} officers", per_officer.len());
    assert!(
        mine >= 3 && mine <= max_other,
        "decoy {mine}, most of anyone else {max_other}"
    );
    // The same force with hotspots only: a home sees (next to) nobody.
    let dir2 = tempfile::tempdir().unwrap();
    generate(dir2.path(), &real(1, 400, 365, Realism::default())).unwrap();
    let near = officers_near_homes(&load(dir2.path()), 400);
    assert!(near[near.len() / 2] <= 3, "{near:?}");
}

/// Rural: few officers per area.
#[test]
fn rural_stops_are_sparse() {
    let dir = tempfile::tempdir().unwrap();
    let rural = Realism {
        stops: StopGeography::SparseRural,
        ..Realism::default()
    };
    generate(dir.path(), &real(2, 400, 365, rural)).unwrap();
    let near = officers_near_homes(&load(dir.path()), 400);
    let median = near[near.len() / 2];
    assert!(
        (1..=12).contains(&median),
        "median home: {median} ({near:?})"
    );
}

/// Every planted scenario keeps its defining facts with every realistic setting on.
#[test]
fn scenarios_hold_in_a_real_town_and_a_rural_force() {
    for (seed, preset, lat) in [(1, "real-town", None), (2, "rural", Some(58.0))] {
        let dir = tempfile::tempdir().unwrap();
        let mut r = Realism::preset(preset).unwrap();
        r.latitude = lat;
        r.clock_skew = 0.05;
        let k = real(seed, 300, 365, r);
        let s = generate(dir.path(), &k).unwrap();
        assert_eq!((s.planted, s.decoys), (9, 6), "{preset}");
        let f = load(dir.path());
        let ctx = |name: &str| format!("{preset} seed {seed}, {name}");
        case_study_1(&f, &ctx("cs1"));
        case_study_2(&f, &ctx("cs2"));
        case_study_3(&f, &ctx("cs3"));
        case_study_4(&f, &ctx("cs4"));
        case_study_8(&f, &ctx("cs8"));
        case_study_9_with(&f, &ctx("cs9"), k.start, false);
        case_study_10(&f, &ctx("cs10"));
        fisherman(&f, &ctx("fisherman"));
        shark(&f, &ctx("shark"));
        decoys(&f, &ctx("decoys"));
        if let Some(lat) = lat {
            let mut la: Vec<f64> = f.home.values().map(|h| h.0).collect();
            la.sort_by(|a, b| a.partial_cmp(b).unwrap());
            let m = la[la.len() / 2];
            assert!((m - lat).abs() < 0.3, "{preset}: median latitude {m}");
        }
        // Households: each scenario's main subject lives with a suspect of another
        // officer's case, who was deployed to the address.
        let labelled: BTreeSet<&str> = f.labels.iter().map(|l| l.0.as_str()).collect();
        for (o, sc, subjects) in &f.labels {
            let Some(w) = subjects.first().filter(|w| f.home.contains_key(*w)) else {
                continue;
            };
            let home = f.home[w];
            let housemate = f.links.iter().find(|l| {
                l.person != *w
                    && l.officer != *o
                    && f.home.get(&l.person) == Some(&home)
                    && f.deploys
                        .iter()
                        .any(|(d, p, _, _)| *d == l.officer && haversine_m(*p, home) < 1.0)
            });
            assert!(
                housemate.is_some(),
                "{preset}: {sc} has no housemate suspect"
            );
        }
        // Clock skew: some stops years off, never a labelled officer's.
        let skewed: Vec<_> = f
            .stops
            .iter()
            .filter(|x| x.arr > 2_100_000_000_000_000 || x.arr < 1_100_000_000_000_000)
            .collect();
        assert!(!skewed.is_empty(), "{preset}: no skewed clock");
        assert!(skewed
            .iter()
            .all(|x| x.officer.as_deref().is_none_or(|o| !labelled.contains(o))));
        // Stale cases: open links opened years before the period.
        let start_us = (k.start - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days() * DAY;
        assert!(
            f.links
                .iter()
                .any(|l| l.closed.is_none() && l.opened < start_us - 700 * DAY),
            "{preset}: no case open for years"
        );
        // Shared numbers and duplicate records: a number recorded for two persons.
        let mut holders: HashMap<&str, usize> = HashMap::new();
        for n in f.number.values() {
            *holders.entry(n.as_str()).or_default() += 1;
        }
        assert!(holders.values().any(|c| *c >= 2), "{preset}");
    }
}

/// No durations: the calls of the chosen share of devices carry none, every other
/// device's calls do; labelled officers' devices always do.
#[test]
fn no_durations_blank_the_chosen_share_of_devices() {
    let dir = tempfile::tempdir().unwrap();
    let r = Realism {
        no_durations: 0.3,
        ..Realism::default()
    };
    generate(dir.path(), &real(4, 300, 60, r)).unwrap();
    let f = load(dir.path());
    let mut per_device: HashMap<&str, (usize, usize)> = HashMap::new();
    for b in f.bills.iter().filter(|b| b.call) {
        let e = per_device.entry(b.device.as_str()).or_default();
        e.0 += 1;
        e.1 += b.dur.is_none() as usize;
    }
    let blank = per_device.values().filter(|(n, z)| z == n).count();
    assert!(
        per_device.values().all(|(n, z)| *z == 0 || z == n),
        "a device with some durations blank"
    );
    let share = blank as f64 / per_device.len() as f64;
    assert!((0.2..0.4).contains(&share), "{share}");
    for (o, _, _) in &f.labels {
        let dev = f.device[o].as_str();
        assert!(per_device.get(dev).is_none_or(|(_, z)| *z == 0), "{o}");
    }
}

/// Partial rosters: about the chosen share of officers have shifts for only part of
/// the window (never a labelled officer); the realistic force is deterministic.
#[test]
fn partial_rosters_and_determinism() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let r = Realism::preset("real-town").unwrap();
    let k = real(6, 200, 120, r.clone());
    generate(a.path(), &k).unwrap();
    generate(b.path(), &k).unwrap();
    generate(c.path(), &real(6, 200, 120, Realism::default())).unwrap();
    let (fa, fb, fc) = (files(a.path()), files(b.path()), files(c.path()));
    assert_eq!(fa, fb, "same seed, different bytes");
    assert_ne!(fa.get("stops.csv"), fc.get("stops.csv"));
    let f = load(a.path());
    let labelled: BTreeSet<&str> = f.labels.iter().map(|l| l.0.as_str()).collect();
    let mut partial = 0;
    for (o, s) in &f.shifts {
        let first = s.iter().map(|x| x.0).min().unwrap();
        let last = s.iter().map(|x| x.0).max().unwrap();
        if last - first < 100 * DAY {
            partial += 1;
            assert!(!labelled.contains(o.as_str()), "{o}");
        }
    }
    let share = partial as f64 / f.role.len() as f64;
    assert!((0.1..0.35).contains(&share), "{share}");
}

/// The hour London clocks repeat on 25 October 2026 (01:00-02:00 twice) is where a
/// swapped interval reads as a valid one (01:31 to 01:14: from the first 01:31 to the
/// second 01:14), so the injector never writes an "end before start" fault there: the
/// reader would rightly resolve it, and the quarantine would miss a row "broken on
/// purpose" (it did, 3 rows in 2 of 5 forces at 1 % errors).
#[test]
fn swapped_times_are_never_both_in_the_repeated_hour() {
    use apsp_synth::sink::in_repeated_hour;
    let at = |d: u32, h: u32, m: u32| {
        NaiveDate::from_ymd_opt(2026, 10, d)
            .unwrap()
            .and_hms_opt(h, m, 0)
            .unwrap()
    };
    assert!(in_repeated_hour(at(25, 1, 31)) && in_repeated_hour(at(25, 1, 0)));
    assert!(!in_repeated_hour(at(25, 0, 59)) && !in_repeated_hour(at(25, 2, 0)));
    assert!(!in_repeated_hour(at(24, 1, 30)));
    // Spring: 01:30 on 29 March is a time no clock shows, not a repeated one.
    let gap = NaiveDate::from_ymd_opt(2026, 3, 29)
        .unwrap()
        .and_hms_opt(1, 30, 0)
        .unwrap();
    assert!(!in_repeated_hour(gap));
}
