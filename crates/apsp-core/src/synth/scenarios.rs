//! Planted scenarios modelled on the case studies of IOPC *Learning the Lessons* 40
//! (docs/case-studies.md), one officer each, with their ground truth in
//! `labels.parquet`. Parameters (start day, times, durations, distances) vary with the
//! seed; the defining facts of each case study hold for every seed.
//!
//! Implemented so far: case study 2 (s.9), the PCSO who exploited a vulnerable woman's
//! fear of crime. The other case studies, the "fisherman" and "shark" patterns and the
//! hard decoys are next (issue 3).

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;

use chrono::{Duration, NaiveDateTime};
use polars::prelude::*;

use super::{local, local_pair, put, Officer, Rng, SynthConfig};
use crate::error::Result;

/// A planted scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// Case study 2: many short unanswered calls to a vulnerable victim, no calls back,
    /// the assigned vehicle stopped near her home, personal texts to two other women.
    CaseStudy2,
}

impl Scenario {
    pub fn name(self) -> &'static str {
        match self {
            Scenario::CaseStudy2 => "case_study_2",
        }
    }

    /// The warning signs (SIGNALS.md ids) a good engine should find.
    pub fn expected_signals(self) -> &'static [&'static str] {
        match self {
            Scenario::CaseStudy2 => &[
                "unanswered_persistence",
                "contact_volume",
                "stop_near_home",
                "vulnerable_subject",
                "multiple_subjects",
            ],
        }
    }
}

/// Which officer gets which scenario, and who the subjects are.
pub struct Plan {
    pub planted: Vec<Planted>,
}

/// One planted scenario.
pub struct Planted {
    pub scenario: Scenario,
    pub officer: usize,
    pub officer_id: String,
    /// Person indices: the main subject first.
    pub subjects: Vec<usize>,
    /// Vulnerability flag forced on each subject.
    pub flags: Vec<&'static str>,
}

/// Decides the plan from the seed. Scenarios need a long enough period (≥ 60 days) and
/// an officer of the right role.
pub fn plan(cfg: &SynthConfig, force: &[Officer], n_persons: usize) -> Plan {
    let mut rng = Rng::stream(cfg.seed, 2);
    let mut planted = Vec::new();
    if cfg.days >= 60 && n_persons >= 10 {
        let pcsos: Vec<usize> = force
            .iter()
            .enumerate()
            .filter(|(_, o)| o.role == "PCSO")
            .map(|(i, _)| i)
            .collect();
        if !pcsos.is_empty() {
            let officer = pcsos[rng.below(pcsos.len() as u64) as usize];
            let mut subjects = Vec::new();
            while subjects.len() < 3 {
                let p = rng.below(n_persons as u64) as usize;
                if !subjects.contains(&p) {
                    subjects.push(p);
                }
            }
            planted.push(Planted {
                scenario: Scenario::CaseStudy2,
                officer,
                officer_id: force[officer].id.clone(),
                subjects,
                flags: vec!["learning_disability", "mental_health", "domestic_abuse"],
            });
        }
    }
    Plan { planted }
}

impl Plan {
    /// The forced vulnerability flag of person `i`, if a scenario uses them.
    pub fn subject_flags(&self, i: usize) -> Option<&'static str> {
        self.planted
            .iter()
            .find_map(|p| p.subjects.iter().position(|s| *s == i).map(|k| p.flags[k]))
    }

    /// Whether person `i` is the main subject of a scenario.
    pub fn is_main_subject(&self, i: usize) -> bool {
        self.planted.iter().any(|p| p.subjects.first() == Some(&i))
    }

    pub fn for_officer(&self, oi: usize) -> Option<&Planted> {
        self.planted.iter().find(|p| p.officer == oi)
    }

    pub fn planted(&self) -> u64 {
        self.planted.len() as u64
    }

    /// The ground truth: officer, scenario, planted or decoy, subjects, expected signs.
    pub fn labels(&self) -> Result<DataFrame> {
        let officer: Vec<&str> = self.planted.iter().map(|p| p.officer_id.as_str()).collect();
        let scenario: Vec<&str> = self.planted.iter().map(|p| p.scenario.name()).collect();
        let kind: Vec<&str> = self.planted.iter().map(|_| "planted").collect();
        let subjects: Vec<String> = self
            .planted
            .iter()
            .map(|p| {
                p.subjects
                    .iter()
                    .map(|s| person_id(*s))
                    .collect::<Vec<_>>()
                    .join(";")
            })
            .collect();
        let signals: Vec<String> = self
            .planted
            .iter()
            .map(|p| p.scenario.expected_signals().join(";"))
            .collect();
        Ok(DataFrame::new_infer_height(vec![
            Column::new("officer_id".into(), officer),
            Column::new("scenario".into(), scenario),
            Column::new("kind".into(), kind),
            Column::new("subjects".into(), subjects),
            Column::new("expected_signals".into(), signals),
        ])?)
    }
}

/// The person id of pool index `i`.
pub fn person_id(i: usize) -> String {
    format!("P{:07}", i + 1)
}

type Sink<'a> = (&'a mut csv::Writer<BufWriter<File>>, &'a PathBuf);

/// The table writers a scenario adds rows to.
pub struct Writers<'a> {
    pub billing: Sink<'a>,
    pub stops: Sink<'a>,
    pub deployments: Sink<'a>,
    pub case_links: Sink<'a>,
    pub complaints: Sink<'a>,
}

/// Rows a scenario added (billing is counted through `record`).
#[derive(Default)]
pub struct Added {
    pub stops: u64,
    pub deployments: u64,
    pub case_links: u64,
    pub complaints: u64,
}

/// A point `metres` away from (lat, lon) in a random direction.
fn offset(rng: &mut Rng, (lat, lon): (f64, f64), metres: f64) -> (f64, f64) {
    let bearing = rng.unit() * std::f64::consts::TAU;
    let dlat = metres * bearing.cos() / 111_320.0;
    let dlon = metres * bearing.sin() / (111_320.0 * lat.to_radians().cos());
    (lat + dlat, lon + dlon)
}

#[allow(clippy::too_many_arguments)]
fn call(
    w: &mut Writers<'_>,
    rng: &mut Rng,
    record: &mut u64,
    device: &str,
    other: &str,
    direction: &str,
    kind: &str,
    at: NaiveDateTime,
    duration: Option<u64>,
) -> Result<()> {
    *record += 1;
    let number = super::write_number(rng, other);
    let dur = duration.map(|d| d.to_string()).unwrap_or_default();
    put(
        w.billing.0,
        w.billing.1,
        &[
            &format!("CDR{:09}", *record),
            device,
            &number,
            direction,
            kind,
            &local(rng, at),
            &dur,
        ],
    )
}

/// Writes a planted scenario's rows.
#[allow(clippy::too_many_arguments)]
pub fn plant(
    sc: &Planted,
    rng: &mut Rng,
    o: &Officer,
    oi: usize,
    vehicle: &str,
    cfg: &SynthConfig,
    numbers: &[String],
    addresses: &[(f64, f64)],
    w: &mut Writers<'_>,
    record: &mut u64,
) -> Result<Added> {
    match sc.scenario {
        Scenario::CaseStudy2 => {
            case_study_2(sc, rng, o, oi, vehicle, cfg, numbers, addresses, w, record)
        }
    }
}

/// Case study 2 (s.9): 38 outgoing calls to W1 of which 30 under five seconds, no call
/// from her number, one text with a crime reference and one "have you got my
/// messages", four stops of his vehicle near her home after his involvement ended,
/// personal texts to two other vulnerable women, an anonymous referral at the end.
#[allow(clippy::too_many_arguments)]
fn case_study_2(
    sc: &Planted,
    rng: &mut Rng,
    o: &Officer,
    oi: usize,
    vehicle: &str,
    cfg: &SynthConfig,
    numbers: &[String],
    addresses: &[(f64, f64)],
    w: &mut Writers<'_>,
    record: &mut u64,
) -> Result<Added> {
    let mut added = Added::default();
    let (w1, w2, w3) = (sc.subjects[0], sc.subjects[1], sc.subjects[2]);
    let start = cfg.start.and_hms_opt(0, 0, 0).expect("midnight");
    let span = cfg.days as i64;
    // Day 0: the attempted burglary, within the first sixth of the period.
    let d0 = 1 + rng.below((span / 6).max(1) as u64) as i64;
    let day = |d: i64, h: u32, m: u32| {
        start + Duration::days(d) + Duration::hours(h as i64) + Duration::minutes(m as i64)
    };
    let home = addresses[w1];
    let opened = day(d0 + 3, 17, 10);
    let until = day(d0 + 14 + rng.below(8) as i64, 18, 0);
    let case_id = format!("CR/9{:05}/{:02}", oi, 26);
    put(
        w.case_links.0,
        w.case_links.1,
        &[
            &case_id,
            &person_id(w1),
            "victim",
            &o.id,
            &local(rng, opened),
            "",
            &local(rng, until),
            "burglary",
        ],
    )?;
    added.case_links += 1;
    // Two deployed, legitimate visits: the evening appointment and the kit install.
    for (k, (d, h)) in [(d0 + 3, 18u32), (d0 + 14, 15u32)].into_iter().enumerate() {
        let (a, b) = local_pair(rng, day(d, h, 0), day(d, h + 1, 0));
        put(
            w.deployments.0,
            w.deployments.1,
            &[
                &format!("INC9{:05}{}", oi, k),
                &o.id,
                &format!("{:.6}", home.0),
                &format!("{:.6}", home.1),
                &a,
                &b,
            ],
        )?;
        let (sa, sb) = local_pair(rng, day(d, h, 5), day(d, h, 50));
        put(
            w.stops.0,
            w.stops.1,
            &[
                "",
                vehicle,
                &o.id,
                &format!("{:.6}", home.0),
                &format!("{:.6}", home.1),
                &sa,
                &sb,
            ],
        )?;
        added.deployments += 1;
        added.stops += 1;
    }
    let dev = o.number.as_str();
    // The crime-reference text (legitimate content) and her reply.
    call(
        w,
        rng,
        record,
        dev,
        &numbers[w1],
        "out",
        "sms",
        day(d0 + 5, 10, 12),
        None,
    )?;
    call(
        w,
        rng,
        record,
        dev,
        &numbers[w1],
        "in",
        "sms",
        day(d0 + 5, 10, 40),
        None,
    )?;
    // 38 outgoing calls from day 14, dense in the first weeks, 30 of them under 5 s.
    let last = (span - 10).max(d0 + 30);
    let mut durations: Vec<Option<u64>> = (0..30).map(|_| Some(rng.below(5))).collect();
    durations.extend((0..8).map(|_| Some(30 + rng.below(570))));
    for (k, dur) in durations.iter().enumerate() {
        // Every third call anywhere in the period, the rest in the first five weeks.
        let d = if k % 3 == 2 {
            d0 + 14 + rng.below((last - d0 - 14).max(1) as u64) as i64
        } else {
            d0 + 14 + rng.below(35) as i64
        };
        let at = day(
            d.min(span - 1),
            12 + rng.below(10) as u32,
            rng.below(60) as u32,
        );
        call(w, rng, record, dev, &numbers[w1], "out", "call", at, *dur)?;
    }
    call(
        w,
        rng,
        record,
        dev,
        &numbers[w1],
        "out",
        "sms",
        day(last - 5, 21, 3),
        None,
    )?;
    // Four stops of his vehicle near her home after his involvement ended, parked
    // 60-150 m away, afternoon or evening, logged on to the MDT.
    for k in 0..4 {
        let d =
            (until - start).num_days() + 3 + k * ((last - (until - start).num_days()) / 5).max(1);
        let metres = 60.0 + rng.unit() * 90.0;
        let (lat, lon) = offset(rng, home, metres);
        let t = day(
            d.min(span - 1),
            13 + rng.below(8) as u32,
            rng.below(60) as u32,
        );
        let stay = Duration::minutes(25 + rng.below(60) as i64);
        let (a, b) = local_pair(rng, t, t + stay);
        put(
            w.stops.0,
            w.stops.1,
            &[
                "",
                vehicle,
                &o.id,
                &format!("{lat:.6}"),
                &format!("{lon:.6}"),
                &a,
                &b,
            ],
        )?;
        added.stops += 1;
    }
    // Personal texts to two other vulnerable women: 12 or more each within 90 days.
    for &other in &[w2, w3] {
        let first = d0 + rng.below(30) as i64;
        for _ in 0..(12 + rng.below(6)) {
            let d = (first + rng.below(90) as i64).min(span - 1);
            let at = day(d, 17 + rng.below(5) as u32, rng.below(60) as u32);
            call(w, rng, record, dev, &numbers[other], "out", "sms", at, None)?;
        }
    }
    // The anonymous referral (intelligence) near the end of the period.
    put(
        w.complaints.0,
        w.complaints.1,
        &[&o.id, &local(rng, day(span - 2, 11, 0)), "intelligence"],
    )?;
    added.complaints += 1;
    Ok(added)
}
