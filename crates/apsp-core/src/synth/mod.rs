//! Synthetic force generator (work in progress, issue 3).
//!
//! Nobody may hand real billing records to a demo, a test or a benchmark, so the
//! library makes a force of its own: officers in roles with rotas, their work phones,
//! members of the public with addresses and vulnerabilities, cases linking them, and
//! the legitimate contact those cases cause. Everything is a pure function of the seed:
//! each officer draws from its own random stream, so the output is byte-identical for a
//! seed and officers can be written one after another (bounded memory).
//!
//! This first part writes the background force in the canonical contract, every table,
//! with the mixed phone writings and naive local timestamps real exports have:
//! officers, devices, rotas, members of the public, cases (with the look-up that opens
//! them), on-duty contact, patrol stops at hotspots, deployments, visits to victims of
//! open cases, record checks without a case reference, vehicle assignments and
//! complaints at a low base rate. Planted case-study scenarios, decoys, labels,
//! Parquet output and injected errors come next (issue 3).

mod rng;
pub mod scenarios;

use std::io::Write;
use std::path::Path;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Weekday};

use crate::error::{ApspError, Result};
pub use rng::Rng;

/// What to generate.
#[derive(Debug, Clone)]
pub struct SynthConfig {
    pub officers: usize,
    pub days: u32,
    pub seed: u64,
    /// First day of the period (local calendar date).
    pub start: NaiveDate,
}

/// Parses a start day (`YYYY-MM-DD`), as the CLI and Python take it.
pub fn parse_start(s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| ApspError::Setting {
        name: "start",
        value: s.to_string(),
        message: e.to_string(),
    })
}

impl Default for SynthConfig {
    fn default() -> Self {
        SynthConfig {
            officers: 200,
            days: 90,
            seed: 1,
            start: NaiveDate::from_ymd_opt(2026, 1, 5).expect("valid date"),
        }
    }
}

/// Roles, their share of a force, and whether they work a 24/7 response rota.
/// Shares are typical of a county force's workforce mix (Home Office workforce
/// statistics order of magnitude); they only shape the background.
pub const ROLES: &[(&str, f64, Rota)] = &[
    ("PC", 0.52, Rota::Response),
    ("Sergeant", 0.08, Rota::Response),
    ("PCSO", 0.10, Rota::Neighbourhood),
    ("Special Constable", 0.04, Rota::Neighbourhood),
    ("DC", 0.10, Rota::Office),
    ("Call Handler", 0.08, Rota::Response),
    ("Custody Staff", 0.03, Rota::Response),
    ("Police Staff", 0.05, Rota::Office),
];

/// Shift patterns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rota {
    /// 2 days (07:00–17:00), 2 nights (22:00–07:00), 4 off.
    Response,
    /// Earlies (08:00–16:00) and lates (14:00–22:00), weekdays and alternate weekends.
    Neighbourhood,
    /// Monday to Friday, 09:00–17:00.
    Office,
}

/// One generated officer.
#[derive(Debug, Clone)]
pub struct Officer {
    pub id: String,
    pub role: &'static str,
    pub rota: Rota,
    pub unit: String,
    /// Work number, digits only (`07…`).
    pub number: String,
}

/// The local shifts of an officer over the period, as naive local datetimes.
pub fn shifts(
    rota: Rota,
    offset: u32,
    start: NaiveDate,
    days: u32,
) -> Vec<(NaiveDateTime, NaiveDateTime)> {
    let mut out = Vec::new();
    for d in 0..days {
        let day = start + Duration::days(d as i64);
        let at = |h: u32| day.and_hms_opt(h, 0, 0).expect("valid time");
        match rota {
            Rota::Response => match (d + offset) % 8 {
                0 | 1 => out.push((at(7), at(17))),
                2 | 3 => out.push((at(22), at(7) + Duration::days(1))),
                _ => {}
            },
            Rota::Neighbourhood => {
                let week = (d + offset) / 7;
                let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
                if weekend && week % 2 == 0 || !weekend && (d + offset) % 7 == 3 {
                    continue;
                }
                if week % 2 == 0 {
                    out.push((at(8), at(16)));
                } else {
                    out.push((at(14), at(22)));
                }
            }
            Rota::Office => {
                if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
                    out.push((at(9), at(17)));
                }
            }
        }
    }
    out
}

/// Writes a naive local datetime the way exports do: mostly ISO with a `T`, some with a
/// space (two systems feeding one warehouse). A wall-clock time inside the
/// spring-forward gap never appears on a real clock: it is written an hour later.
pub(crate) fn local(rng: &mut Rng, t: NaiveDateTime) -> String {
    write_local(rng, on_clock(t))
}

/// A start and an end, each as a real clock shows it; the end is never before the start
/// (moving a time out of the spring gap must not reverse an interval that spans it).
pub(crate) fn local_pair(rng: &mut Rng, a: NaiveDateTime, b: NaiveDateTime) -> (String, String) {
    let a = on_clock(a);
    let b = on_clock(b).max(a);
    (write_local(rng, a), write_local(rng, b))
}

/// The wall-clock reading of a scheduled local time: a time inside the spring-forward
/// gap is shown an hour later, as clocks do.
fn on_clock(t: NaiveDateTime) -> NaiveDateTime {
    use chrono::TimeZone;
    match chrono_tz::Europe::London.from_local_datetime(&t) {
        chrono::LocalResult::None => t + Duration::hours(1),
        _ => t,
    }
}

fn write_local(rng: &mut Rng, t: NaiveDateTime) -> String {
    if rng.chance(0.2) {
        t.format("%Y-%m-%d %H:%M:%S").to_string()
    } else {
        t.format("%Y-%m-%dT%H:%M:%S").to_string()
    }
}

/// Writes a UK mobile number (`07` + 9 digits) in one of the writings billing and
/// force systems use.
pub fn write_number(rng: &mut Rng, digits: &str) -> String {
    let national = &digits[1..];
    match rng.below(10) {
        0..=4 => digits.to_string(),
        5 => format!("{} {}", &digits[..5], &digits[5..]),
        6 => format!("+44 {} {}", &national[..4], &national[4..]),
        7 => format!("+44{national}"),
        8 => format!("0044{national}"),
        _ => format!("+44 (0){} {}", &national[..4], &national[4..]),
    }
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> ApspError + '_ {
    move |e| ApspError::io(path, e)
}

fn csv_writer(
    path: &Path,
    header: &[&str],
) -> Result<csv::Writer<std::io::BufWriter<std::fs::File>>> {
    let f = std::fs::File::create(path).map_err(io(path))?;
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(std::io::BufWriter::with_capacity(1 << 20, f));
    w.write_record(header)
        .map_err(|e| ApspError::io(path, std::io::Error::other(e)))?;
    Ok(w)
}

pub(crate) fn put<W: Write>(w: &mut csv::Writer<W>, path: &Path, rec: &[&str]) -> Result<()> {
    w.write_record(rec)
        .map_err(|e| ApspError::io(path, std::io::Error::other(e)))
}

/// The officers of a force, in id order, from the seed.
pub fn officers(cfg: &SynthConfig) -> Vec<Officer> {
    let mut rng = Rng::stream(cfg.seed, 0);
    (0..cfg.officers)
        .map(|i| {
            let x = rng.unit();
            let mut acc = 0.0;
            let (role, _, rota) = ROLES
                .iter()
                .find(|(_, share, _)| {
                    acc += share;
                    x < acc
                })
                .copied()
                .unwrap_or(ROLES[0]);
            let unit = match rota {
                Rota::Response => format!("Response {}", ["A", "B", "C", "D"][i % 4]),
                Rota::Neighbourhood => format!(
                    "Neighbourhood {}",
                    ["North", "South", "East", "West"][i % 4]
                ),
                Rota::Office if role == "DC" && i % 3 == 0 => "Domestic Abuse Unit".to_string(),
                Rota::Office if role == "DC" => "CID".to_string(),
                Rota::Office => "Support".to_string(),
            };
            Officer {
                id: format!(
                    "{}{:05}",
                    if role == "PCSO" { "CS" } else { "PC" },
                    10_000 + i
                ),
                role,
                rota,
                unit,
                number: format!("077{:08}", 10_000_000 + i),
            }
        })
        .collect()
}

/// The places every patrol stops at: each town centre and two points near it (the
/// hospital, the custody suite).
fn hotspots(towns: &[(f64, f64)]) -> Vec<(f64, f64)> {
    towns
        .iter()
        .flat_map(|(la, lo)| {
            [
                (*la, *lo),
                (la + 0.004, lo - 0.006),
                (la - 0.003, lo + 0.005),
            ]
        })
        .collect()
}

/// Whether `p` is within `metres` of a hotspot (equirectangular distance: fine at
/// these scales).
fn near_hotspot(towns: &[(f64, f64)], p: (f64, f64), metres: f64) -> bool {
    hotspots(towns).iter().any(|h| {
        let dy = (p.0 - h.0) * 111_320.0;
        let dx = (p.1 - h.1) * 111_320.0 * p.0.to_radians().cos();
        (dx * dx + dy * dy).sqrt() < metres
    })
}

/// Counts of what was written.
#[derive(Debug, Clone, Default)]
pub struct SynthSummary {
    pub officers: u64,
    pub persons: u64,
    pub case_links: u64,
    pub shifts: u64,
    pub billing: u64,
    pub stops: u64,
    pub deployments: u64,
    pub vehicle_assignments: u64,
    pub access_log: u64,
    pub complaints: u64,
    /// Officers with a planted scenario.
    pub planted: u64,
}

/// Generates the background force into `out` as canonical CSV files.
pub fn generate(out: &Path, cfg: &SynthConfig) -> Result<SynthSummary> {
    std::fs::create_dir_all(out).map_err(io(out))?;
    let mut sum = SynthSummary::default();
    let force = officers(cfg);
    // Officers and their work phones.
    let p = out.join("officers.csv");
    let mut w = csv_writer(&p, &["officer_id", "role", "unit"])?;
    for o in &force {
        put(&mut w, &p, &[&o.id, o.role, &o.unit])?;
    }
    w.flush().map_err(io(&p))?;
    sum.officers = force.len() as u64;
    let p = out.join("devices.csv");
    let mut w = csv_writer(
        &p,
        &[
            "device_number",
            "officer_id",
            "kind",
            "valid_from",
            "valid_to",
        ],
    )?;
    let from = cfg.start.and_hms_opt(0, 0, 0).expect("midnight") - Duration::days(365);
    for o in &force {
        put(
            &mut w,
            &p,
            &[
                &o.number,
                &o.id,
                "work",
                &from.format("%Y-%m-%dT%H:%M:%S").to_string(),
                "",
            ],
        )?;
    }
    w.flush().map_err(io(&p))?;
    // Members of the public: about 25 per officer, clustered around four towns.
    let n_persons = (cfg.officers * 25).max(50);
    let plan = scenarios::plan(cfg, &force, n_persons);
    let towns = [
        (52.950, -1.150),
        (53.010, -1.300),
        (52.880, -1.050),
        (53.100, -1.200),
    ];
    let mut rng = Rng::stream(cfg.seed, 1);
    let p = out.join("persons.csv");
    let mut wp = csv_writer(
        &p,
        &[
            "person_id",
            "date_of_birth",
            "vulnerabilities",
            "address_lat",
            "address_lon",
        ],
    )?;
    let pn = out.join("person_numbers.csv");
    let mut wn = csv_writer(&pn, &["person_id", "number"])?;
    let mut person_numbers = Vec::with_capacity(n_persons);
    let mut addresses = Vec::with_capacity(n_persons);
    for i in 0..n_persons {
        let id = format!("P{:07}", i + 1);
        let age_years = if rng.chance(0.06) {
            13 + rng.below(5)
        } else {
            18 + rng.below(70)
        };
        let dob = cfg.start - Duration::days((age_years * 365 + rng.below(365)) as i64);
        let mut flags = Vec::new();
        if let Some(f) = plan.subject_flags(i) {
            flags.push(f);
        }
        for (flag, p) in [
            ("domestic_abuse", 0.06),
            ("mental_health", 0.07),
            ("substance_dependency", 0.04),
            ("learning_disability", 0.02),
            ("sexual_offence_victim", 0.015),
            ("homeless", 0.01),
        ] {
            if rng.chance(p) {
                flags.push(flag);
            }
        }
        let (tlat, tlon) = towns[rng.below(towns.len() as u64) as usize];
        let mut lat = tlat + rng.normal() * 0.02;
        let mut lon = tlon + rng.normal() * 0.03;
        // A planted scenario's main subject lives away from the patrol hotspots, so that
        // the planted stops near her home are the story, not the town centre.
        while plan.is_main_subject(i) && near_hotspot(&towns, (lat, lon), 800.0) {
            lat = tlat + rng.normal() * 0.02;
            lon = tlon + rng.normal() * 0.03;
        }
        put(
            &mut wp,
            &p,
            &[
                &id,
                &dob.to_string(),
                &flags.join(";"),
                &format!("{lat:.6}"),
                &format!("{lon:.6}"),
            ],
        )?;
        let digits = format!("079{:08}", 20_000_000 + i);
        put(&mut wn, &pn, &[&id, &write_number(&mut rng, &digits)])?;
        person_numbers.push(digits);
        addresses.push((lat, lon));
    }
    wp.flush().map_err(io(&p))?;
    wn.flush().map_err(io(&pn))?;
    sum.persons = n_persons as u64;
    // Per officer: shifts, cases and the contact they cause.
    let ps = out.join("shifts.csv");
    let mut ws = csv_writer(&ps, &["officer_id", "start", "end"])?;
    let pc = out.join("case_links.csv");
    let mut wc = csv_writer(
        &pc,
        &[
            "case_id",
            "person_id",
            "person_role",
            "officer_id",
            "opened_at",
            "closed_at",
            "officer_until",
            "category",
        ],
    )?;
    let pb = out.join("billing.csv");
    let mut wb = csv_writer(
        &pb,
        &[
            "record_id",
            "device_number",
            "other_number",
            "direction",
            "kind",
            "started_at",
            "duration_s",
        ],
    )?;
    let pst = out.join("stops.csv");
    let mut wst = csv_writer(
        &pst,
        &[
            "stop_id",
            "vehicle_id",
            "officer_id",
            "lat",
            "lon",
            "arrived_at",
            "departed_at",
        ],
    )?;
    let pd = out.join("deployments.csv");
    let mut wd = csv_writer(
        &pd,
        &["incident_id", "officer_id", "lat", "lon", "start", "end"],
    )?;
    let pv = out.join("vehicle_assignments.csv");
    let mut wv = csv_writer(&pv, &["vehicle_id", "officer_id", "valid_from", "valid_to"])?;
    let pa = out.join("access_log.csv");
    let mut wa = csv_writer(
        &pa,
        &[
            "event_id",
            "officer_id",
            "at",
            "system",
            "action",
            "person_id",
            "subject_number",
            "purpose_ref",
        ],
    )?;
    let pq = out.join("complaints.csv");
    let mut wq = csv_writer(&pq, &["officer_id", "received_at", "category"])?;
    // Places every patrol stops at: town centres, the hospital, the custody suite.
    let hotspots: Vec<(f64, f64)> = towns
        .iter()
        .flat_map(|(la, lo)| {
            [
                (*la, *lo),
                (la + 0.004, lo - 0.006),
                (la - 0.003, lo + 0.005),
            ]
        })
        .collect();
    let end_of_period = cfg.start + Duration::days(cfg.days as i64);
    let mut record = 0u64;
    for (oi, o) in force.iter().enumerate() {
        let mut rng = Rng::stream(cfg.seed, 1000 + oi as u64);
        let rota = shifts(o.rota, rng.below(8) as u32, cfg.start, cfg.days);
        for (s, e) in &rota {
            put(
                &mut ws,
                &ps,
                &[&o.id, &local(&mut rng, *s), &local(&mut rng, *e)],
            )?;
        }
        sum.shifts += rota.len() as u64;
        // Cases: response and neighbourhood officers pick up a case every few shifts,
        // detectives fewer but longer ones.
        let (per_shift, min_days, max_days) = match (o.role, o.rota) {
            ("Call Handler" | "Custody Staff" | "Police Staff", _) => (0.0, 0, 0),
            ("DC", _) => (0.25, 20, 90),
            (_, Rota::Neighbourhood) => (0.2, 5, 40),
            _ => (0.35, 2, 30),
        };
        let mut cases: Vec<(usize, NaiveDateTime, NaiveDateTime)> = Vec::new();
        for (ci, (s, _)) in rota.iter().enumerate() {
            if !rng.chance(per_shift) {
                continue;
            }
            let opened = *s + Duration::minutes(30 + rng.below(300) as i64);
            let closed = opened
                + Duration::days(min_days + rng.below((max_days - min_days + 1) as u64) as i64);
            let person = rng.below(n_persons as u64) as usize;
            let category = [
                "burglary",
                "theft",
                "assault",
                "harassment",
                "domestic_abuse",
                "criminal_damage",
            ][rng.below(6) as usize];
            let case_id = format!("CR/{:06}/{:02}", oi * 1000 + ci, opened.year() % 100);
            let closed_txt = if closed.date() < end_of_period {
                local(&mut rng, closed)
            } else {
                String::new()
            };
            put(
                &mut wc,
                &pc,
                &[
                    &case_id,
                    &format!("P{:07}", person + 1),
                    if rng.chance(0.8) { "victim" } else { "witness" },
                    &o.id,
                    &local(&mut rng, opened),
                    &closed_txt,
                    "",
                    category,
                ],
            )?;
            sum.case_links += 1;
            // Opening a case: the officer looks the victim up, citing the case.
            sum.access_log += 1;
            let looked_up = opened + Duration::minutes(5 + rng.below(60) as i64);
            put(
                &mut wa,
                &pa,
                &[
                    &format!("EV{:06}{:05}", oi, sum.access_log % 100_000),
                    &o.id,
                    &local(&mut rng, looked_up),
                    "RMS",
                    "view",
                    &format!("P{:07}", person + 1),
                    "",
                    if rng.chance(0.85) { &case_id } else { "" },
                ],
            )?;
            cases.push((person, opened, closed));
        }
        let patrols = matches!(o.rota, Rota::Response | Rota::Neighbourhood)
            && !matches!(o.role, "Call Handler" | "Custody Staff");
        let vehicle = format!("V{:04}", oi / 4);
        for (si, (s, e)) in rota.iter().enumerate() {
            if !patrols {
                break;
            }
            let (a, b) = local_pair(&mut rng, *s, *e);
            put(&mut wv, &pv, &[&vehicle, &o.id, &a, &b])?;
            sum.vehicle_assignments += 1;
            let mut t = *s + Duration::minutes(10 + rng.below(40) as i64);
            let mut k = 0;
            while t < *e - Duration::minutes(30) {
                // A deployment (with a stop there), a hotspot, or a visit to a victim of
                // an open case.
                let roll = rng.unit();
                let open: Vec<&(usize, NaiveDateTime, NaiveDateTime)> = cases
                    .iter()
                    .filter(|(_, a, b)| *a <= t && t <= *b)
                    .collect();
                let (lat, lon) = if roll < 0.3 {
                    let (la, lo) = hotspots[rng.below(hotspots.len() as u64) as usize];
                    let (la, lo) = (la + rng.normal() * 0.01, lo + rng.normal() * 0.015);
                    sum.deployments += 1;
                    let dur = 20 + rng.below(90) as i64;
                    let (a, b) = local_pair(
                        &mut rng,
                        t - Duration::minutes(5),
                        t + Duration::minutes(dur),
                    );
                    put(
                        &mut wd,
                        &pd,
                        &[
                            &format!("INC{:05}{:04}{:02}", oi, si, k),
                            &o.id,
                            &format!("{la:.6}"),
                            &format!("{lo:.6}"),
                            &a,
                            &b,
                        ],
                    )?;
                    (la, lo)
                } else if roll < 0.4 && !open.is_empty() {
                    let (person, _, _) = open[rng.below(open.len() as u64) as usize];
                    addresses[*person]
                } else {
                    let (la, lo) = hotspots[rng.below(hotspots.len() as u64) as usize];
                    (la + rng.normal() * 0.0015, lo + rng.normal() * 0.002)
                };
                let stay = 3 + rng.below(40) as i64;
                sum.stops += 1;
                let (a, b) = local_pair(&mut rng, t, t + Duration::minutes(stay));
                put(
                    &mut wst,
                    &pst,
                    &[
                        "",
                        &vehicle,
                        if rng.chance(0.8) { &o.id } else { "" },
                        &format!("{lat:.6}"),
                        &format!("{lon:.6}"),
                        &a,
                        &b,
                    ],
                )?;
                // Record checks during stops: a PNC search by name, no case reference.
                if rng.chance(0.15) {
                    sum.access_log += 1;
                    put(
                        &mut wa,
                        &pa,
                        &[
                            &format!("EV{:06}{:05}", oi, sum.access_log % 100_000),
                            &o.id,
                            &local(&mut rng, t + Duration::minutes(2)),
                            "PNC",
                            "search",
                            &format!("P{:07}", rng.below(n_persons as u64) + 1),
                            "",
                            "",
                        ],
                    )?;
                }
                t += Duration::minutes(stay + 20 + rng.below(120) as i64);
                k += 1;
            }
        }
        // A planted case-study pattern, on top of this officer's ordinary work.
        if let Some(sc) = plan.for_officer(oi) {
            let mut w = scenarios::Writers {
                billing: (&mut wb, &pb),
                stops: (&mut wst, &pst),
                deployments: (&mut wd, &pd),
                case_links: (&mut wc, &pc),
                complaints: (&mut wq, &pq),
            };
            let extra = scenarios::plant(
                sc,
                &mut rng,
                o,
                oi,
                &vehicle,
                cfg,
                &person_numbers,
                &addresses,
                &mut w,
                &mut record,
            )?;
            sum.stops += extra.stops;
            sum.deployments += extra.deployments;
            sum.case_links += extra.case_links;
            sum.complaints += extra.complaints;
        }
        // Complaints arrive at a low base rate, about one per ten officers a year.
        let expected = cfg.days as f64 / 365.0 * 0.1;
        let mut c = 0;
        while rng.chance(if c == 0 { expected } else { expected / 2.0 }) && c < 5 {
            let day = cfg.start + Duration::days(rng.below(cfg.days as u64) as i64);
            let received = day
                .and_hms_opt(9 + rng.below(8) as u32, 0, 0)
                .expect("time");
            put(
                &mut wq,
                &pq,
                &[
                    &o.id,
                    &local(&mut rng, received),
                    ["incivility", "conduct", "use of force", "service"][rng.below(4) as usize],
                ],
            )?;
            c += 1;
            sum.complaints += 1;
        }
        // Contact: on each shift, calls with colleagues and with the people of open
        // cases (on duty, while involved: the job, not a warning sign).
        for (s, e) in &rota {
            let minutes = (*e - *s).num_minutes().max(60);
            let colleagues = rng.below(4);
            for _ in 0..colleagues {
                let other = &force[rng.below(force.len() as u64) as usize];
                if other.id == o.id {
                    continue;
                }
                let at = *s + Duration::minutes(rng.below(minutes as u64) as i64);
                record += 1;
                let dur = (20 + rng.below(400)).to_string();
                put(
                    &mut wb,
                    &pb,
                    &[
                        &format!("CDR{record:09}"),
                        &o.number,
                        &other.number,
                        "out",
                        "call",
                        &local(&mut rng, at),
                        &dur,
                    ],
                )?;
            }
            for (person, opened, closed) in &cases {
                if *opened > *e || *closed < *s || !rng.chance(0.3) {
                    continue;
                }
                let at = (*s + Duration::minutes(rng.below(minutes as u64) as i64)).max(*opened);
                let inbound = rng.chance(0.35);
                let sms = rng.chance(0.25);
                record += 1;
                let number = write_number(&mut rng, &person_numbers[*person]);
                let dur = if sms {
                    String::new()
                } else {
                    (15 + rng.below(600)).to_string()
                };
                put(
                    &mut wb,
                    &pb,
                    &[
                        &format!("CDR{record:09}"),
                        &o.number,
                        &number,
                        if inbound { "in" } else { "out" },
                        if sms { "sms" } else { "call" },
                        &local(&mut rng, at),
                        &dur,
                    ],
                )?;
            }
        }
    }
    for (w, p) in [
        (&mut ws, &ps),
        (&mut wc, &pc),
        (&mut wb, &pb),
        (&mut wst, &pst),
        (&mut wd, &pd),
        (&mut wv, &pv),
        (&mut wa, &pa),
        (&mut wq, &pq),
    ] {
        w.flush().map_err(io(p))?;
    }
    sum.billing = record;
    let mut labels = plan.labels()?;
    crate::output::write_parquet(&mut labels, &out.join("labels.parquet"))?;
    sum.planted = plan.planted();
    Ok(sum)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_rota_is_two_days_two_nights_four_off() {
        let start = NaiveDate::from_ymd_opt(2026, 3, 23).unwrap();
        let s = shifts(Rota::Response, 0, start, 16);
        assert_eq!(s.len(), 8);
        assert_eq!(s[0].0.to_string(), "2026-03-23 07:00:00");
        assert_eq!(s[2].0.to_string(), "2026-03-25 22:00:00");
        assert_eq!(s[2].1.to_string(), "2026-03-26 07:00:00");
        assert_eq!(s[4].0.to_string(), "2026-03-31 07:00:00");
        // No shift starts or ends inside the spring-forward hour (01:00-02:00).
        assert!(
            s.iter()
                .all(|(a, b)| a.format("%H").to_string() != "01"
                    && b.format("%H").to_string() != "01")
        );
    }

    #[test]
    fn office_rota_skips_weekends() {
        let start = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(); // a Monday
        let s = shifts(Rota::Office, 0, start, 14);
        assert_eq!(s.len(), 10);
    }
}
