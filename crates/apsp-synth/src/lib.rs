//! Synthetic force generator.
//!
//! Nobody may hand real billing records to a demo, a test or a benchmark, so the
//! library makes a force of its own: officers in roles with rotas, their work phones,
//! members of the public with addresses and vulnerabilities, cases linking them, and the
//! legitimate contact those cases cause, with the noise real data has (see
//! `docs/synthetic-force.md` for every background parameter and its reason). On top of
//! it, [`scenarios`] plants patterns modelled on the case studies of IOPC *Learning the
//! Lessons* 40 and hard decoys, with their ground truth in `labels.parquet`.
//!
//! Everything is a pure function of the seed: each officer draws from its own random
//! stream and officers are written one after another, so the output is byte-identical
//! for a seed and memory stays bounded (it grows with the number of people, never with
//! the number of rows).

pub mod realism;
mod rng;
pub mod scenarios;
pub mod sink;

use std::path::Path;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Weekday};

use apsp_core::error::{ApspError, Result};
use apsp_core::ingest::Table;
pub use realism::{Realism, StopGeography};
pub use rng::Rng;
pub use sink::{clock_pair, Counts, Format, Injected, Sink, V};

/// What to generate.
#[derive(Debug, Clone)]
pub struct SynthConfig {
    pub officers: usize,
    pub days: u32,
    pub seed: u64,
    /// First day of the period (local calendar date).
    pub start: NaiveDate,
    pub format: Format,
    /// Probability that a background row is written broken (or twice); 0 = none.
    pub inject_errors: f64,
    /// Planted scenarios per officer-year (e.g. 0.001). `None`: one of each scenario
    /// and decoy, for demos and tests.
    pub plant_rate: Option<f64>,
    /// The shapes of real force data (stops in every street, households, partial
    /// exports, ...). The default is the historical clean force.
    pub realism: Realism,
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
            format: Format::Csv,
            inject_errors: 0.0,
            plant_rate: None,
            realism: Realism::default(),
        }
    }
}

impl SynthConfig {
    /// Checks the settings a caller can get wrong.
    pub fn check(&self) -> Result<()> {
        let bad = |name: &'static str, value: String, message: &str| {
            Err(ApspError::Setting {
                name,
                value,
                message: message.to_string(),
            })
        };
        if self.officers == 0 {
            return bad("officers", "0".into(), "a force needs at least one officer");
        }
        if self.days == 0 {
            return bad("days", "0".into(), "the period needs at least one day");
        }
        if !(0.0..=0.5).contains(&self.inject_errors) {
            return bad(
                "inject_errors",
                self.inject_errors.to_string(),
                "a rate between 0 and 0.5",
            );
        }
        self.realism.check()?;
        if let Some(r) = self.plant_rate {
            if !(0.0..=1.0).contains(&r) {
                return bad(
                    "plant_rate",
                    r.to_string(),
                    "scenarios per officer-year, between 0 and 1",
                );
            }
        }
        Ok(())
    }
}

/// Shift patterns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rota {
    /// 2 days (07:00–17:00), 2 nights (22:00–07:00), 4 off.
    Response,
    /// Earlies (08:00–16:00) and lates (14:00–22:00), weekdays and alternate weekends.
    Neighbourhood,
    /// Monday to Friday, 09:00–17:00.
    Office,
    /// Volunteers: one or two evening patrols a week (19:00–03:00).
    Special,
}

/// What an officer of a role does in a shift, on average. These shape the background
/// only; `docs/synthetic-force.md` gives the reasoning for each number.
#[derive(Debug, Clone, Copy)]
pub struct RoleProfile {
    pub role: &'static str,
    /// Share of the workforce (county-force order of magnitude).
    pub share: f64,
    pub rota: Rota,
    /// Chance of picking up a new case in a shift.
    pub cases_per_shift: f64,
    /// Case length in days (min, max).
    pub case_days: (i64, i64),
    /// Whether the officer drives a patrol vehicle (stops, deployments).
    pub patrols: bool,
    /// Calls with colleagues per shift (mean).
    pub colleague_calls: f64,
    /// Calls with organisations (CPS, hospital, social services) per shift (mean).
    pub org_calls: f64,
    /// Contact with members of the public who are in no record, per shift (mean).
    pub public_calls: f64,
    /// Chance per shift of contacting the person of each open case.
    pub case_contact: f64,
}

/// The roles of the synthetic force.
pub const ROLES: &[RoleProfile] = &[
    RoleProfile {
        role: "PC",
        share: 0.50,
        rota: Rota::Response,
        cases_per_shift: 0.35,
        case_days: (2, 30),
        patrols: true,
        colleague_calls: 1.5,
        org_calls: 0.4,
        public_calls: 0.8,
        case_contact: 0.3,
    },
    RoleProfile {
        role: "Sergeant",
        share: 0.08,
        rota: Rota::Response,
        cases_per_shift: 0.1,
        case_days: (2, 20),
        patrols: true,
        colleague_calls: 3.0,
        org_calls: 0.5,
        public_calls: 0.3,
        case_contact: 0.2,
    },
    RoleProfile {
        role: "PCSO",
        share: 0.10,
        rota: Rota::Neighbourhood,
        cases_per_shift: 0.2,
        case_days: (5, 40),
        patrols: true,
        colleague_calls: 1.2,
        org_calls: 0.5,
        public_calls: 1.0,
        case_contact: 0.3,
    },
    RoleProfile {
        role: "Special Constable",
        share: 0.04,
        rota: Rota::Special,
        cases_per_shift: 0.1,
        case_days: (2, 14),
        patrols: true,
        colleague_calls: 0.8,
        org_calls: 0.1,
        public_calls: 0.3,
        case_contact: 0.2,
    },
    RoleProfile {
        role: "DC",
        share: 0.10,
        rota: Rota::Office,
        cases_per_shift: 0.25,
        case_days: (20, 90),
        patrols: false,
        colleague_calls: 2.0,
        org_calls: 1.0,
        public_calls: 0.5,
        case_contact: 0.35,
    },
    RoleProfile {
        role: "Call Handler",
        share: 0.08,
        rota: Rota::Response,
        cases_per_shift: 0.5,
        case_days: (0, 2),
        patrols: false,
        colleague_calls: 0.8,
        org_calls: 0.2,
        public_calls: 0.2,
        case_contact: 0.9,
    },
    RoleProfile {
        role: "Custody Staff",
        share: 0.03,
        rota: Rota::Response,
        cases_per_shift: 0.6,
        case_days: (0, 1),
        patrols: false,
        colleague_calls: 1.0,
        org_calls: 0.6,
        public_calls: 0.1,
        case_contact: 0.0,
    },
    RoleProfile {
        role: "Police Staff",
        share: 0.07,
        rota: Rota::Office,
        cases_per_shift: 0.0,
        case_days: (0, 0),
        patrols: false,
        colleague_calls: 1.5,
        org_calls: 0.8,
        public_calls: 0.2,
        case_contact: 0.0,
    },
];

/// The unit of the domestic-abuse specialists (DCs): heavy, legitimate contact with
/// victims of open cases.
pub const DA_UNIT: &str = "Domestic Abuse Unit";
/// The unit that takes victims' calls about their own crime records (case study 1).
pub const DESK_UNIT: &str = "Victim Enquiry Desk";

/// One generated officer.
#[derive(Debug, Clone)]
pub struct Officer {
    pub id: String,
    pub role: &'static str,
    pub profile: &'static RoleProfile,
    pub unit: String,
    /// Work number, national digits (`07…`).
    pub number: String,
    /// Offset into the rota cycle.
    pub offset: u32,
}

impl Officer {
    pub fn rota(&self) -> Rota {
        self.profile.rota
    }
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
                if weekend && week.is_multiple_of(2) || !weekend && (d + offset) % 7 == 3 {
                    continue;
                }
                if week.is_multiple_of(2) {
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
            Rota::Special => {
                // Friday and Saturday evenings, one week in two for each half of the
                // specials (offset), plus every fourth Wednesday.
                let week = (d + offset) / 7;
                let evening = match day.weekday() {
                    Weekday::Fri | Weekday::Sat => week.is_multiple_of(2),
                    Weekday::Wed => week % 4 == 1,
                    _ => false,
                };
                if evening {
                    out.push((at(19), at(3) + Duration::days(1)));
                }
            }
        }
    }
    out
}

/// The officers of a force, in id order, from the seed.
pub fn officers(cfg: &SynthConfig) -> Vec<Officer> {
    let mut rng = Rng::stream(cfg.seed, 0);
    (0..cfg.officers)
        .map(|i| {
            let x = rng.unit();
            let mut acc = 0.0;
            let profile = ROLES
                .iter()
                .find(|r| {
                    acc += r.share;
                    x < acc
                })
                .unwrap_or(&ROLES[0]);
            let role = profile.role;
            let unit = match profile.rota {
                Rota::Response if role == "Call Handler" => "Control Room".to_string(),
                Rota::Response if role == "Custody Staff" => "Custody".to_string(),
                Rota::Response => format!("Response {}", ["A", "B", "C", "D"][i % 4]),
                Rota::Neighbourhood => format!(
                    "Neighbourhood {}",
                    ["North", "South", "East", "West"][i % 4]
                ),
                Rota::Special => "Special Constabulary".to_string(),
                Rota::Office if role == "DC" && i % 3 == 0 => DA_UNIT.to_string(),
                Rota::Office if role == "DC" => "CID".to_string(),
                Rota::Office if i % 3 == 0 => DESK_UNIT.to_string(),
                Rota::Office => "Support".to_string(),
            };
            Officer {
                id: format!(
                    "{}{:05}",
                    match role {
                        "PCSO" => "CS",
                        "Special Constable" => "SC",
                        "Call Handler" | "Custody Staff" | "Police Staff" => "ST",
                        _ => "PC",
                    },
                    10_000 + i
                ),
                role,
                profile,
                unit,
                number: format!("077{:08}", 10_000_000 + i),
                offset: rng.below(8) as u32,
            }
        })
        .collect()
}

/// A member of the public in force records.
#[derive(Debug, Clone)]
pub struct Person {
    pub home: (f64, f64),
    pub dob: NaiveDate,
    pub flags: Vec<&'static str>,
}

impl Person {
    pub fn vulnerable(&self) -> bool {
        !self.flags.is_empty()
    }
}

/// The person id of pool index `i`.
pub fn person_id(i: usize) -> String {
    format!("P{:07}", i + 1)
}

/// The phone number (national digits) of pool index `i`.
pub fn person_number(i: usize) -> String {
    format!("079{:08}", 20_000_000 + i)
}

/// A one-off member of the public in no record (a shopkeeper, a passer-by who
/// reported something): a mobile outside the person pool's range.
fn stranger_number(rng: &mut Rng) -> String {
    format!("078{:08}", rng.below(100_000_000))
}

/// Organisations officers call every day: CPS, hospitals, social services, schools,
/// custody suites, councils (Ofcom's drama range for Nottingham, 0115 496 0xxx).
fn org_number(rng: &mut Rng) -> String {
    format!("01154960{:03}", rng.below(40) * 7)
}

/// The four towns of the force area.
pub const TOWNS: [(f64, f64); 4] = [
    (52.950, -1.150),
    (53.010, -1.300),
    (52.880, -1.050),
    (53.100, -1.200),
];

/// The places every patrol stops at: each town centre and two points near it (the
/// hospital, the custody suite).
pub fn hotspots() -> Vec<(f64, f64)> {
    TOWNS
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

/// Distance in metres (equirectangular: fine at these scales).
pub fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
    let dy = (a.0 - b.0) * 111_320.0;
    let dx = (a.1 - b.1) * 111_320.0 * a.0.to_radians().cos();
    (dx * dx + dy * dy).sqrt()
}

/// A point `m` metres away from `p` in a random direction.
pub fn offset(rng: &mut Rng, p: (f64, f64), m: f64) -> (f64, f64) {
    let bearing = rng.unit() * std::f64::consts::TAU;
    let dlat = m * bearing.cos() / 111_320.0;
    let dlon = m * bearing.sin() / (111_320.0 * p.0.to_radians().cos());
    (p.0 + dlat, p.1 + dlon)
}

/// Whether `p` is within `m` metres of a patrol hotspot.
pub fn near_hotspot(p: (f64, f64), m: f64) -> bool {
    hotspots().iter().any(|h| metres(p, *h) < m)
}

/// The force area of a configuration: towns (or villages), how far homes spread around
/// them, the patrol hotspots and the special places everyone stops at (hospitals,
/// custody suites). Without realism settings: [`TOWNS`] and [`hotspots`].
#[derive(Debug, Clone)]
pub struct Geography {
    pub towns: Vec<(f64, f64)>,
    /// Standard deviation of homes around their town, degrees (lat, lon).
    pub spread: (f64, f64),
    pub hotspots: Vec<(f64, f64)>,
    /// Hospitals and custody suites (a subset of the hotspots).
    pub special: Vec<(f64, f64)>,
    /// Degrees of longitude per degree at 52.95° N for the same ground distance.
    pub lon_scale: f64,
    pub stops: StopGeography,
}

impl Geography {
    pub fn of(cfg: &SynthConfig) -> Geography {
        let (dlat, k) = match cfg.realism.latitude {
            None => (0.0, 1.0),
            Some(l) => (
                l - TOWNS[0].0,
                TOWNS[0].0.to_radians().cos() / l.to_radians().cos(),
            ),
        };
        let stops = cfg.realism.stops;
        if stops == StopGeography::SparseRural {
            // Sixteen villages over about 110 x 100 km; the main town (village 0) has
            // the hospital and the custody suite.
            let c = (TOWNS[0].0 + dlat, TOWNS[0].1);
            let towns: Vec<(f64, f64)> = (0..16)
                .map(|i| {
                    let jitter = ((i * 37) % 11) as f64 / 11.0 - 0.5;
                    (
                        c.0 + ((i % 4) as f64 - 1.5) * 0.25 + jitter * 0.08,
                        c.1 + (((i / 4) as f64 - 1.5) * 0.37 - jitter * 0.1) * k,
                    )
                })
                .collect();
            let t = towns[0];
            let special = vec![
                (t.0 + 0.004, t.1 - 0.006 * k),
                (t.0 - 0.003, t.1 + 0.005 * k),
            ];
            let mut hotspots = towns.clone();
            hotspots.extend(special.iter().copied());
            return Geography {
                towns,
                spread: (0.012, 0.018 * k),
                hotspots,
                special,
                lon_scale: k,
                stops,
            };
        }
        let towns: Vec<(f64, f64)> = TOWNS.iter().map(|(a, b)| (a + dlat, *b)).collect();
        let hotspots: Vec<(f64, f64)> = towns
            .iter()
            .flat_map(|(la, lo)| {
                [
                    (*la, *lo),
                    (la + 0.004, lo - 0.006 * k),
                    (la - 0.003, lo + 0.005 * k),
                ]
            })
            .collect();
        let special = hotspots
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 3 != 0)
            .map(|(_, h)| *h)
            .collect();
        Geography {
            towns,
            spread: (0.02, 0.03 * k),
            hotspots,
            special,
            lon_scale: k,
            stops,
        }
    }

    /// Whether `p` is within `m` metres of a patrol hotspot.
    pub fn near_hotspot(&self, p: (f64, f64), m: f64) -> bool {
        self.hotspots.iter().any(|h| metres(p, *h) < m)
    }

    /// A random point where people live (a home's distribution); in a rural force,
    /// half of the points lie anywhere in the area (the roads between villages).
    pub fn anywhere(&self, rng: &mut Rng) -> (f64, f64) {
        if self.stops == StopGeography::SparseRural && rng.chance(0.95) {
            let (mut lo, mut hi) = (self.towns[0], self.towns[0]);
            for t in &self.towns {
                lo = (lo.0.min(t.0), lo.1.min(t.1));
                hi = (hi.0.max(t.0), hi.1.max(t.1));
            }
            return (
                lo.0 + rng.unit() * (hi.0 - lo.0),
                lo.1 + rng.unit() * (hi.1 - lo.1),
            );
        }
        let t = self.towns[rng.below(self.towns.len() as u64) as usize];
        (
            t.0 + rng.normal() * self.spread.0,
            t.1 + rng.normal() * self.spread.1,
        )
    }
}

/// The members of the public, from the seed (the main subjects of planted scenarios
/// get the flags, ages and addresses the plan asks for).
pub fn persons(cfg: &SynthConfig, plan: &scenarios::Plan, n: usize) -> Vec<Person> {
    let mut rng = Rng::stream(cfg.seed, 1);
    let geo = Geography::of(cfg);
    let everywhere = cfg.realism.stops_everywhere();
    (0..n)
        .map(|i| {
            let age_years = if rng.chance(0.06) {
                13 + rng.below(5)
            } else {
                18 + rng.below(70)
            };
            let mut dob = cfg.start - Duration::days((age_years * 365 + rng.below(365)) as i64);
            let mut flags = Vec::new();
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
            let (tlat, tlon) = geo.towns[rng.below(geo.towns.len() as u64) as usize];
            let (sa, so) = geo.spread;
            let mut home = (tlat + rng.normal() * sa, tlon + rng.normal() * so);
            if let Some(s) = plan.subject(i) {
                // A planted subject's own story: her flags, her age, and a home away
                // from the patrol hotspots (so the stops near it are the story) when
                // stops happen only there; with stops in every street, a home like
                // anyone's (or beside the hospital, for that decoy).
                flags = s.flags.to_vec();
                if let Some((lo, hi)) = s.age {
                    let years = lo + rng.below((hi - lo + 1) as u64) as i64;
                    dob = cfg.start - Duration::days(years * 365 + 30 + rng.below(300) as i64);
                } else if dob > cfg.start - Duration::days(18 * 366) {
                    dob = cfg.start - Duration::days((20 + rng.below(40)) as i64 * 365);
                }
                if s.beside_special {
                    let m = 40.0 + rng.unit() * 70.0;
                    home = offset(&mut rng, geo.special[0], m);
                } else if !everywhere {
                    while geo.near_hotspot(home, 800.0) {
                        home = (tlat + rng.normal() * sa, tlon + rng.normal() * so);
                    }
                }
            }
            flags.sort();
            flags.dedup();
            Person { home, dob, flags }
        })
        .collect()
}

/// Stream numbers of the realism settings (far from the officers' `1000 + i`).
const REALISM_STREAM: u64 = 1 << 40;

/// Households: a share of background persons move in with another person; every
/// planted subject gets a housemate (a background person at the same address).
/// Returns subject -> housemate.
pub fn households(
    cfg: &SynthConfig,
    plan: &scenarios::Plan,
    people: &mut [Person],
) -> std::collections::BTreeMap<usize, usize> {
    let mut out = std::collections::BTreeMap::new();
    let share = cfg.realism.households;
    if share <= 0.0 || people.len() < 2 {
        return out;
    }
    let mut rng = Rng::stream(cfg.seed, REALISM_STREAM + 1);
    let n = people.len() as u64;
    let mut housed = vec![false; people.len()];
    for p in &plan.planted {
        let Some(&subject) = p.subjects.first() else {
            continue;
        };
        for _ in 0..1000 {
            let k = rng.below(n) as usize;
            if !plan.reserved(k) && !housed[k] {
                people[k].home = people[subject].home;
                housed[k] = true;
                out.insert(subject, k);
                break;
            }
        }
    }
    for i in 0..people.len() {
        if plan.reserved(i) || housed[i] || !rng.chance(share) {
            continue;
        }
        let j = rng.below(n) as usize;
        if j != i {
            people[i].home = people[j].home;
            housed[i] = true;
        }
    }
    out
}

/// Per-officer realism draws made before anything is written: who is exempt (carries
/// a scenario or decoy), pooled phones, roster coverage, devices without durations,
/// vehicles with a wrong clock.
pub struct Noise {
    pub exempt: Vec<bool>,
    /// The pooled team phone an officer also uses (national digits).
    pub pool: Vec<Option<String>>,
    /// The part of the window an officer's roster export covers, if partial.
    pub roster: Vec<Option<(NaiveDateTime, NaiveDateTime)>>,
    /// Devices whose carrier sends no durations.
    pub no_durations: std::collections::HashSet<String>,
    /// Vehicle -> (from, to, shift): stops arriving in [from, to) are dated `shift` off.
    pub skew: std::collections::HashMap<String, (NaiveDateTime, NaiveDateTime, Duration)>,
}

impl Noise {
    fn draw(cfg: &SynthConfig, force: &[Officer], plan: &scenarios::Plan) -> Noise {
        let r = &cfg.realism;
        let mut rng = Rng::stream(cfg.seed, REALISM_STREAM + 4);
        let mut exempt = vec![false; force.len()];
        for p in &plan.planted {
            exempt[p.officer] = true;
        }
        let start = cfg.start.and_hms_opt(0, 0, 0).expect("midnight");
        let days = cfg.days as i64;
        let mut units: Vec<&str> = Vec::new();
        let mut pool = vec![None; force.len()];
        let mut roster = vec![None; force.len()];
        let mut no_durations = std::collections::HashSet::new();
        for (i, o) in force.iter().enumerate() {
            if exempt[i] {
                continue;
            }
            if r.pooled_phones > 0.0 && rng.chance(r.pooled_phones) {
                let u = units.iter().position(|x| *x == o.unit).unwrap_or_else(|| {
                    units.push(&o.unit);
                    units.len() - 1
                });
                pool[i] = Some(format!("0773{:07}", 1000 + u));
            }
            if r.partial_rosters > 0.0 && rng.chance(r.partial_rosters) {
                let cover = 0.3 + 0.5 * rng.unit();
                let len = ((days as f64 * cover) as i64).max(1);
                let from = rng.below((days - len + 1).max(1) as u64) as i64;
                roster[i] = Some((
                    start + Duration::days(from),
                    start + Duration::days(from + len),
                ));
            }
            if r.no_durations > 0.0 && rng.chance(r.no_durations) {
                no_durations.insert(o.number.clone());
            }
        }
        if r.no_durations > 0.0 {
            let mut pools: Vec<&String> = pool.iter().flatten().collect();
            pools.sort();
            pools.dedup();
            for p in pools {
                if rng.chance(r.no_durations) {
                    no_durations.insert(p.clone());
                }
            }
        }
        let mut skew = std::collections::HashMap::new();
        if r.clock_skew > 0.0 {
            for v in 0..force.len().div_ceil(4) {
                let crew_exempt = (v * 4..(v * 4 + 4).min(force.len())).any(|i| exempt[i]);
                if crew_exempt || !rng.chance(r.clock_skew) {
                    continue;
                }
                let from = rng.below(days as u64) as i64;
                let len = 1 + rng.below(30) as i64;
                let shift = if rng.chance(0.7) {
                    Duration::days(12 * 365 + 3)
                } else {
                    -Duration::days(20 * 365 + 5)
                };
                skew.insert(
                    format!("V{v:04}"),
                    (
                        start + Duration::days(from),
                        start + Duration::days(from + len),
                        shift,
                    ),
                );
            }
        }
        Noise {
            exempt,
            pool,
            roster,
            no_durations,
            skew,
        }
    }
}

/// A case an officer is linked to.
#[derive(Debug, Clone)]
pub struct Case {
    pub id: String,
    pub person: usize,
    pub role: &'static str,
    pub opened: NaiveDateTime,
    pub closed: NaiveDateTime,
    /// When this officer's involvement ended (hand-over), if before closure.
    pub until: Option<NaiveDateTime>,
    pub category: &'static str,
}

impl Case {
    /// The end of this officer's involvement.
    pub fn involved_until(&self) -> NaiveDateTime {
        self.until.unwrap_or(self.closed)
    }
}

/// The dataset's writers, one per table.
pub struct Sinks {
    pub officers: Sink,
    pub devices: Sink,
    pub shifts: Sink,
    pub persons: Sink,
    pub person_numbers: Sink,
    pub case_links: Sink,
    pub billing: Sink,
    pub stops: Sink,
    pub vehicle_assignments: Sink,
    pub deployments: Sink,
    pub access_log: Sink,
    pub complaints: Sink,
    /// Next billing record number.
    record: u64,
    /// Next audit event number.
    event: u64,
    /// Devices whose billing carries no durations (realism `no_durations`).
    pub no_durations: std::collections::HashSet<String>,
    /// Vehicles whose clock is wrong for a stretch (realism `clock_skew`).
    pub skew: std::collections::HashMap<String, (NaiveDateTime, NaiveDateTime, Duration)>,
}

impl Sinks {
    fn create(dir: &Path, cfg: &SynthConfig) -> Result<Sinks> {
        let s = |t: Table, rate: f64| Sink::create(dir, t, cfg.format, cfg.seed, rate);
        let rate = cfg.inject_errors;
        Ok(Sinks {
            // Officers and devices are never broken: every other table refers to them.
            officers: s(Table::Officers, 0.0)?,
            devices: s(Table::Devices, 0.0)?,
            shifts: s(Table::Shifts, rate)?,
            persons: s(Table::Persons, rate)?,
            person_numbers: s(Table::PersonNumbers, rate)?,
            case_links: s(Table::CaseLinks, rate)?,
            billing: s(Table::Billing, rate)?,
            stops: s(Table::Stops, rate)?,
            vehicle_assignments: s(Table::VehicleAssignments, rate)?,
            deployments: s(Table::Deployments, rate)?,
            access_log: s(Table::AccessLog, rate)?,
            complaints: s(Table::Complaints, rate)?,
            record: 0,
            event: 0,
            no_durations: Default::default(),
            skew: Default::default(),
        })
    }

    fn all(&mut self) -> [&mut Sink; 12] {
        [
            &mut self.officers,
            &mut self.devices,
            &mut self.shifts,
            &mut self.persons,
            &mut self.person_numbers,
            &mut self.case_links,
            &mut self.billing,
            &mut self.stops,
            &mut self.vehicle_assignments,
            &mut self.deployments,
            &mut self.access_log,
            &mut self.complaints,
        ]
    }

    /// While on, no row is broken (planted scenarios must keep their facts).
    pub fn protect(&mut self, on: bool) {
        for s in self.all() {
            s.protected = on;
        }
    }

    /// A billing row: `device` and `other` are national digits (`other` empty =
    /// withheld).
    #[allow(clippy::too_many_arguments)]
    pub fn bill(
        &mut self,
        device: &str,
        other: &str,
        direction: &str,
        kind: &str,
        at: NaiveDateTime,
        duration: Option<i64>,
    ) -> Result<()> {
        self.record += 1;
        let id = format!("CDR{:010}", self.record);
        let duration = if self.no_durations.contains(device) {
            None
        } else {
            duration
        };
        self.billing.row(&[
            V::S(&id),
            V::Phone(device),
            if other.is_empty() {
                V::Null
            } else {
                V::Phone(other)
            },
            V::S(direction),
            V::S(kind),
            V::T(at),
            duration.map(V::I).unwrap_or(V::Null),
        ])
    }

    /// A call (`duration` given) or a text (`None`) between `device` and `other`.
    pub fn exchange(
        &mut self,
        device: &str,
        other: &str,
        inbound: bool,
        at: NaiveDateTime,
        duration: Option<i64>,
    ) -> Result<()> {
        let direction = if inbound { "in" } else { "out" };
        let kind = if duration.is_some() { "call" } else { "sms" };
        self.bill(device, other, direction, kind, at, duration)
    }

    /// A police-system audit event.
    pub fn access(
        &mut self,
        officer: &str,
        at: NaiveDateTime,
        system: &str,
        action: &str,
        person: usize,
        purpose: Option<&str>,
    ) -> Result<()> {
        self.event += 1;
        let id = format!("EV{:010}", self.event);
        let pid = person_id(person);
        self.access_log.row(&[
            V::S(&id),
            V::S(officer),
            V::T(at),
            V::S(system),
            V::S(action),
            V::S(&pid),
            V::Null,
            purpose.map(V::S).unwrap_or(V::Null),
        ])
    }

    /// A vehicle stop (the officer is blank when the MDT was not logged on).
    pub fn stop(
        &mut self,
        vehicle: &str,
        officer: Option<&str>,
        at: (f64, f64),
        from: NaiveDateTime,
        to: NaiveDateTime,
    ) -> Result<()> {
        let (mut from, mut to) = (from, to);
        if let Some((x, y, shift)) = self.skew.get(vehicle) {
            if *x <= from && from < *y {
                from += *shift;
                to += *shift;
            }
        }
        let (a, b) = clock_pair(from, to);
        self.stops.row(&[
            V::Null,
            V::S(vehicle),
            officer.map(V::S).unwrap_or(V::Null),
            V::F(at.0),
            V::F(at.1),
            V::T(a),
            V::T(b),
        ])
    }

    /// A deployment (a dispatch: a legitimate reason to be somewhere).
    pub fn deploy(
        &mut self,
        incident: &str,
        officer: &str,
        at: (f64, f64),
        from: NaiveDateTime,
        to: NaiveDateTime,
    ) -> Result<()> {
        let (a, b) = clock_pair(from, to);
        self.deployments.row(&[
            V::S(incident),
            V::S(officer),
            V::F(at.0),
            V::F(at.1),
            V::T(a),
            V::T(b),
        ])
    }

    /// A case link row.
    pub fn link(&mut self, officer: &str, c: &Case, end_of_period: NaiveDateTime) -> Result<()> {
        let pid = person_id(c.person);
        let (opened, closed) = clock_pair(c.opened, c.closed);
        let until = c.until.map(|u| clock_pair(c.opened, u).1);
        self.case_links.row(&[
            V::S(&c.id),
            V::S(&pid),
            V::S(c.role),
            V::S(officer),
            V::T(opened),
            if c.closed < end_of_period {
                V::T(closed)
            } else {
                V::Null
            },
            until.map(V::T).unwrap_or(V::Null),
            V::S(c.category),
        ])
    }

    /// A complaint or intelligence report about an officer.
    pub fn complaint(&mut self, officer: &str, at: NaiveDateTime, category: &str) -> Result<()> {
        self.complaints
            .row(&[V::S(officer), V::T(at), V::S(category)])
    }

    fn finish(&mut self) -> Result<()> {
        for s in self.all() {
            s.finish()?;
        }
        Ok(())
    }
}

/// How a random contact is drawn: the share that is inbound, the share that is texts,
/// and a call's length in seconds (at least `secs.0`, up to `secs.1` more).
/// A share `short` of calls are unanswered (0–4 s).
#[derive(Debug, Clone, Copy)]
pub struct Mix {
    pub inbound: f64,
    pub sms: f64,
    pub short: f64,
    pub secs: (i64, u64),
}

impl Mix {
    /// (inbound, call length or `None` for a text).
    pub fn draw(&self, rng: &mut Rng) -> (bool, Option<i64>) {
        let inbound = rng.chance(self.inbound);
        let sms = rng.chance(self.sms);
        let secs = if rng.chance(self.short) {
            rng.below(5) as i64
        } else {
            self.secs.0 + rng.below(self.secs.1) as i64
        };
        (inbound, (!sms).then_some(secs))
    }
}

pub(crate) const fn mix(inbound: f64, sms: f64, short: f64, secs: (i64, u64)) -> Mix {
    Mix {
        inbound,
        sms,
        short,
        secs,
    }
}

/// Colleagues: both ways, some texts.
const COLLEAGUE: Mix = mix(0.45, 0.2, 0.0, (10, 400));
/// Organisations' landlines: calls only.
const ORGANISATION: Mix = mix(0.3, 0.0, 0.0, (30, 900));
/// Members of the public in no record: some texts, a fifth of calls unanswered.
const PUBLIC: Mix = mix(0.4, 0.15, 0.2, (15, 300));
/// The people of open cases: updates, statements, welfare checks; some voicemail.
const CASE_CONTACT: Mix = mix(0.35, 0.25, 0.12, (15, 600));
/// The DA unit's calls with a victim after a hand-over.
const UNIT_CALL: Mix = mix(0.4, 0.0, 0.0, (30, 900));
/// A family number, off duty.
const PERSONAL: Mix = mix(0.5, 0.0, 0.0, (20, 600));

/// What was written, per table.
#[derive(Debug, Clone, Default)]
pub struct SynthSummary {
    /// Rows per table (canonical order).
    pub tables: Vec<(Table, Counts)>,
    /// Rows broken (or doubled) on purpose, with the reason the validator must give.
    pub injected: Vec<Injected>,
    /// Officers with a planted scenario.
    pub planted: u64,
    /// Officers with a decoy pattern.
    pub decoys: u64,
}

impl SynthSummary {
    /// The counts of one table.
    pub fn counts(&self, t: Table) -> Counts {
        self.tables
            .iter()
            .find(|(x, _)| *x == t)
            .map(|(_, c)| *c)
            .unwrap_or_default()
    }

    /// Rows written, all tables.
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|(_, c)| c.rows).sum()
    }
}

/// Generates a force into `out` (see [`generate_with_progress`]).
pub fn generate(out: &Path, cfg: &SynthConfig) -> Result<SynthSummary> {
    generate_with_progress(out, cfg, &mut |_, _| {})
}

/// The generator writes only into a new or empty folder: generated rows must never mix
/// with a real force's exports (a notebook pointed at a real folder once wrote 300
/// generated officers beside the real ones).
fn refuse_a_folder_with_files(out: &Path) -> Result<()> {
    let mut entries = match std::fs::read_dir(out) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(ApspError::io(out, e)),
    };
    if entries.next().is_none() {
        return Ok(());
    }
    Err(ApspError::Dataset {
        dir: out.to_path_buf(),
        message: "the folder is not empty: the generator writes only into a new or empty \
                  folder, so generated rows never mix with real ones; remove it or choose \
                  another"
            .to_string(),
    })
}

/// Generates a force into `out`: the twelve canonical tables, `labels.parquet` (the
/// ground truth of planted scenarios and decoys) and, when errors were injected,
/// `injected_errors.parquet`. `progress(done, total)` is called as officers are written.
pub fn generate_with_progress(
    out: &Path,
    cfg: &SynthConfig,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<SynthSummary> {
    cfg.check()?;
    refuse_a_folder_with_files(out)?;
    std::fs::create_dir_all(out).map_err(|e| ApspError::io(out, e))?;
    let mut w = Sinks::create(out, cfg)?;
    let force = officers(cfg);
    let n_persons = (cfg.officers * 25).max(60);
    let plan = scenarios::plan(cfg, &force, n_persons);
    let mut people = persons(cfg, &plan, n_persons);
    let housemates = households(cfg, &plan, &mut people);
    let noise = Noise::draw(cfg, &force, &plan);
    w.no_durations = noise.no_durations.clone();
    w.skew = noise.skew.clone();
    let geo = Geography::of(cfg);
    let start = cfg.start.and_hms_opt(0, 0, 0).expect("midnight");
    let end = start + Duration::days(cfg.days as i64);
    // Officers and their work phones.
    for o in &force {
        w.officers
            .row(&[V::S(&o.id), V::S(o.role), V::S(&o.unit)])?;
        w.devices.row(&[
            V::Phone(&o.number),
            V::S(&o.id),
            V::S("work"),
            V::T(start - Duration::days(365)),
            V::Null,
        ])?;
    }
    // Pooled team phones: one number, every officer of the pool.
    for (o, pool) in force.iter().zip(&noise.pool) {
        if let Some(n) = pool {
            w.devices.row(&[
                V::Phone(n),
                V::S(&o.id),
                V::S("work"),
                V::T(start - Duration::days(365)),
                V::Null,
            ])?;
        }
    }
    for (i, p) in people.iter().enumerate() {
        let pid = person_id(i);
        let flags = p.flags.join(";");
        w.protect(plan.subject(i).is_some());
        w.persons.row(&[
            V::S(&pid),
            V::D(p.dob),
            if flags.is_empty() {
                V::Null
            } else {
                V::S(&flags)
            },
            V::F(p.home.0),
            V::F(p.home.1),
        ])?;
        let number = person_number(i);
        w.person_numbers.row(&[V::S(&pid), V::Phone(&number)])?;
    }
    w.protect(false);
    duplicates_and_shared_numbers(cfg, &plan, &people, &mut w)?;
    let world = World {
        cfg,
        plan: &plan,
        force: &force,
        people: &people,
        hotspots: geo.hotspots.clone(),
        geo,
        noise,
        housemates,
        da_victims: people
            .iter()
            .enumerate()
            .filter(|(i, p)| p.flags.contains(&"domestic_abuse") && !plan.reserved(*i))
            .map(|(i, _)| i)
            .collect(),
        da_unit: force
            .iter()
            .enumerate()
            .filter(|(_, o)| o.unit == DA_UNIT)
            .map(|(i, _)| i)
            .collect(),
        start,
        end,
    };
    let total = force.len() as u64;
    let mut extra: Vec<Vec<String>> = vec![Vec::new(); plan.planted.len()];
    for (oi, o) in force.iter().enumerate() {
        let mut rng = Rng::stream(cfg.seed, 1000 + oi as u64);
        let life = background(&world, &mut w, &mut rng, oi, o)?;
        for (pi, p) in plan.for_officer(oi) {
            w.protect(true);
            let mut ctx = scenarios::Ctx {
                world: &world,
                w: &mut w,
                rng: std::cell::RefCell::new(&mut rng),
                o,
                oi,
                life: &life,
            };
            extra[pi] = scenarios::plant(&mut ctx, p)?;
            w.protect(false);
            if let Some(&k) = p.subjects.first().and_then(|s| world.housemates.get(s)) {
                housemate_case(&world, &mut w, pi, oi, k)?;
            }
        }
        progress(oi as u64 + 1, total);
    }
    w.finish()?;
    let mut labels = plan.labels(&extra)?;
    apsp_core::output::write_parquet(&mut labels, &out.join("labels.parquet"))?;
    let mut sum = SynthSummary {
        planted: plan.planted(),
        decoys: plan.decoys(),
        ..Default::default()
    };
    for s in w.all() {
        sum.tables.push((s.table, s.counts));
        sum.injected.append(&mut s.injected);
    }
    if cfg.inject_errors > 0.0 {
        let mut df = injected_frame(&sum.injected)?;
        apsp_core::output::write_parquet(&mut df, &out.join("injected_errors.parquet"))?;
    }
    Ok(sum)
}

/// The injected errors as a frame: table, file, line, reason (`duplicate` for an
/// exact duplicate), column.
pub fn injected_frame(rows: &[Injected]) -> Result<polars::prelude::DataFrame> {
    use polars::prelude::*;
    let table: Vec<&str> = rows.iter().map(|r| r.table.name()).collect();
    let file: Vec<&str> = rows.iter().map(|r| r.file.as_str()).collect();
    let line: Vec<i64> = rows.iter().map(|r| r.line as i64).collect();
    let reason: Vec<&str> = rows
        .iter()
        .map(|r| r.reason.map(|x| x.code()).unwrap_or("duplicate"))
        .collect();
    let column: Vec<Option<&str>> = rows.iter().map(|r| r.column).collect();
    Ok(DataFrame::new_infer_height(vec![
        Column::new("table".into(), table),
        Column::new("file".into(), file),
        Column::new("line".into(), line),
        Column::new("reason".into(), reason),
        Column::new("column".into(), column),
    ])?)
}

/// Duplicate person records (a second id, same address and number, the date of birth
/// kept or blank) and numbers recorded for two persons (a household phone).
/// Background persons only, so the labels name one record per subject.
fn duplicates_and_shared_numbers(
    cfg: &SynthConfig,
    plan: &scenarios::Plan,
    people: &[Person],
    w: &mut Sinks,
) -> Result<()> {
    let r = &cfg.realism;
    let n = people.len();
    if r.duplicate_persons > 0.0 {
        let mut rng = Rng::stream(cfg.seed, REALISM_STREAM + 2);
        let mut k = n;
        for (i, p) in people.iter().enumerate() {
            if plan.reserved(i) || !rng.chance(r.duplicate_persons) {
                continue;
            }
            let pid = person_id(k);
            k += 1;
            let flags = p.flags.join(";");
            w.persons.row(&[
                V::S(&pid),
                if rng.chance(0.5) {
                    V::D(p.dob)
                } else {
                    V::Null
                },
                if flags.is_empty() || rng.chance(0.3) {
                    V::Null
                } else {
                    V::S(&flags)
                },
                V::F(p.home.0),
                V::F(p.home.1),
            ])?;
            w.person_numbers
                .row(&[V::S(&pid), V::Phone(&person_number(i))])?;
        }
    }
    if r.shared_numbers > 0.0 && n > 1 {
        let mut rng = Rng::stream(cfg.seed, REALISM_STREAM + 3);
        // People at one address, to share a household phone where there is one.
        let mut at: std::collections::HashMap<(u64, u64), Vec<usize>> = Default::default();
        for (i, p) in people.iter().enumerate() {
            at.entry((p.home.0.to_bits(), p.home.1.to_bits()))
                .or_default()
                .push(i);
        }
        for (i, p) in people.iter().enumerate() {
            if plan.reserved(i) || !rng.chance(r.shared_numbers) {
                continue;
            }
            let house = &at[&(p.home.0.to_bits(), p.home.1.to_bits())];
            let j = house
                .iter()
                .copied()
                .find(|j| *j != i && !plan.reserved(*j))
                .unwrap_or_else(|| rng.below(n as u64) as usize);
            if j == i || plan.reserved(j) {
                continue;
            }
            w.person_numbers
                .row(&[V::S(&person_id(j)), V::Phone(&person_number(i))])?;
        }
    }
    Ok(())
}

/// The housemate of a planted subject is a suspect on another officer's case: that
/// officer looks them up and is deployed to the address (with the stop it causes).
fn housemate_case(
    world: &World<'_>,
    w: &mut Sinks,
    pi: usize,
    oi: usize,
    housemate: usize,
) -> Result<()> {
    let mut rng = Rng::stream(world.cfg.seed, REALISM_STREAM + 0x100 + pi as u64);
    let patrols: Vec<usize> = (0..world.force.len())
        .filter(|i| *i != oi && !world.noise.exempt[*i] && world.force[*i].profile.patrols)
        .collect();
    if patrols.is_empty() {
        return Ok(());
    }
    let other = patrols[rng.below(patrols.len() as u64) as usize];
    let o = &world.force[other];
    let rota = world.shifts_of(other);
    if rota.is_empty() {
        return Ok(());
    }
    let (s, e) = rota[rng.below(rota.len() as u64) as usize];
    let minutes = ((e - s).num_minutes() - 120).max(1) as u64;
    let at = s + Duration::minutes(30 + rng.below(minutes) as i64);
    let case = Case {
        id: format!("CR/8{:05}{:01}/{:02}", pi, 0, at.year() % 100),
        person: housemate,
        role: "suspect",
        opened: at,
        closed: at + Duration::days(5 + rng.below(40) as i64),
        until: None,
        category: ["domestic_abuse", "assault", "criminal_damage"][rng.below(3) as usize],
    };
    w.link(&o.id, &case, world.end)?;
    w.access(
        &o.id,
        at + Duration::minutes(10),
        "RMS",
        "view",
        housemate,
        Some(&case.id),
    )?;
    let home = world.people[housemate].home;
    let stay = 30 + rng.below(60) as i64;
    w.deploy(
        &format!("INC8{pi:05}"),
        &o.id,
        home,
        at - Duration::minutes(5),
        at + Duration::minutes(stay + 10),
    )?;
    w.stop(
        &format!("V{:04}", other / 4),
        Some(&o.id),
        home,
        at,
        at + Duration::minutes(stay),
    )
}

/// What the generator knows of the whole force while writing one officer.
pub struct World<'a> {
    pub cfg: &'a SynthConfig,
    pub plan: &'a scenarios::Plan,
    pub force: &'a [Officer],
    pub people: &'a [Person],
    pub hotspots: Vec<(f64, f64)>,
    /// The force area (towns, hotspots, hospitals and custody suites).
    pub geo: Geography,
    /// Realism draws per officer (pooled phones, partial rosters, ...).
    pub noise: Noise,
    /// Planted subject -> a housemate (realism `households`).
    pub housemates: std::collections::BTreeMap<usize, usize>,
    /// People with a domestic-abuse flag (the DA unit's case load).
    pub da_victims: Vec<usize>,
    /// Officers of the DA unit (cases are handed over to them).
    pub da_unit: Vec<usize>,
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
}

impl World<'_> {
    /// A random officer other than `oi`.
    fn colleague(&self, rng: &mut Rng, oi: usize) -> Option<&Officer> {
        if self.force.len() < 2 {
            return None;
        }
        let k = rng.below(self.force.len() as u64 - 1) as usize;
        Some(&self.force[if k >= oi { k + 1 } else { k }])
    }

    /// A random member of the public for background work, never one reserved for a
    /// planted scenario (so each scenario's facts are exact).
    fn pick_person(&self, rng: &mut Rng) -> usize {
        loop {
            let p = rng.below(self.people.len() as u64) as usize;
            if !self.plan.reserved(p) {
                return p;
            }
        }
    }

    /// The shifts of officer `oi` (a pure function of the officer, so a scenario can
    /// place another officer's work inside their own shifts).
    pub fn shifts_of(&self, oi: usize) -> Vec<(NaiveDateTime, NaiveDateTime)> {
        let o = &self.force[oi];
        shifts(o.rota(), o.offset, self.cfg.start, self.cfg.days)
    }
}

/// An officer's ordinary working life, as the scenarios build on it.
pub struct Life {
    pub shifts: Vec<(NaiveDateTime, NaiveDateTime)>,
    /// Where and when the officer was deployed in the background.
    pub deployments: Vec<((f64, f64), NaiveDateTime, NaiveDateTime)>,
    pub cases: Vec<Case>,
    pub vehicle: Option<String>,
}

impl Life {
    /// Whether `t` falls inside a rostered shift.
    pub fn on_duty(&self, t: NaiveDateTime) -> bool {
        self.shifts.iter().any(|(a, b)| *a <= t && t <= *b)
    }
}

/// A count with mean `m` (geometric-like, cheap and deterministic).
fn count(rng: &mut Rng, m: f64) -> u64 {
    let mut n = m.floor() as u64;
    if rng.chance(m.fract()) {
        n += 1;
    }
    // Spread: sometimes one more, sometimes one less.
    match rng.below(4) {
        0 if n > 0 => n - 1,
        1 => n + 1,
        _ => n,
    }
}

const CATEGORIES: [&str; 6] = [
    "burglary",
    "theft",
    "assault",
    "harassment",
    "domestic_abuse",
    "criminal_damage",
];

/// Writes one officer's ordinary working life: shifts, cases (with hand-overs and the
/// look-ups that open them), patrol stops, deployments, visits, record checks, calls
/// with colleagues, organisations, the people of open cases and people in no record,
/// updates after closure, a personal number now and then, and complaints at a low
/// base rate.
fn background(
    world: &World<'_>,
    w: &mut Sinks,
    rng: &mut Rng,
    oi: usize,
    o: &Officer,
) -> Result<Life> {
    let cfg = world.cfg;
    let real = &cfg.realism;
    // Realism draws come from a stream of their own, so the officer's own stream is
    // the historical one whatever the settings.
    let mut rr = Rng::stream(cfg.seed, REALISM_STREAM + (1 << 32) + oi as u64);
    let prof = o.profile;
    let rota = world.shifts_of(oi);
    let covered = world.noise.roster[oi];
    for (s, e) in &rota {
        if covered.is_some_and(|(a, b)| *s < a || *s >= b) {
            // Outside the part of the window this roster export covers.
            continue;
        }
        let (a, b) = clock_pair(*s, *e);
        w.shifts.row(&[V::S(&o.id), V::T(a), V::T(b)])?;
    }
    // A team's pooled phone carries half of the officer's public and case calls.
    let pool = world.noise.pool[oi].clone();
    let device = |rr: &mut Rng| -> String {
        match &pool {
            Some(p) if rr.chance(0.5) => p.clone(),
            _ => o.number.clone(),
        }
    };
    // Homes of the officer's own scenario subjects: with stops in every street, no
    // chance stop of theirs lands near one (the planted stops are the whole story),
    // except beside the hospital, where the decoy's stops are everyone's.
    let avoid: Vec<(f64, f64)> = if real.stops_everywhere() {
        world
            .plan
            .for_officer(oi)
            .filter(|(_, p)| p.scenario != scenarios::Scenario::DecoyBesideHospital)
            .flat_map(|(_, p)| p.subjects.iter().map(|s| world.people[*s].home))
            .collect()
    } else {
        Vec::new()
    };
    // The share of undeployed stops in any street, and at hospitals and custody
    // suites: a town's background whatever the force's size.
    let scatter = match real.stops {
        StopGeography::Hotspots => 0.0,
        StopGeography::TownWide => (0.18 * 2000.0 / cfg.officers as f64).clamp(0.18, 0.8),
        StopGeography::SparseRural => 0.75,
    };
    let special = if real.stops_everywhere() { 0.12 } else { 0.0 };
    // Cases picked up on shift.
    let mut cases: Vec<Case> = Vec::new();
    for (ci, (s, e)) in rota.iter().enumerate() {
        let n = if o.unit == DESK_UNIT || !rng.chance(prof.cases_per_shift) {
            0
        } else {
            1
        };
        for _ in 0..n {
            let opened = *s
                + Duration::minutes(
                    30 + rng.below(((*e - *s).num_minutes() - 60).max(1) as u64) as i64,
                );
            let (lo, hi) = prof.case_days;
            let closed = opened
                + Duration::days(lo + rng.below((hi - lo + 1) as u64) as i64)
                + Duration::hours(rng.below(8) as i64);
            let (person, category, role) = match o.role {
                "Custody Staff" => (world.pick_person(rng), "custody", "suspect"),
                "Call Handler" => (
                    world.pick_person(rng),
                    ["concern_for_welfare", "nuisance", "suspicious_activity"]
                        [rng.below(3) as usize],
                    "reporter",
                ),
                _ if o.unit == DA_UNIT && !world.da_victims.is_empty() => (
                    world.da_victims[rng.below(world.da_victims.len() as u64) as usize],
                    "domestic_abuse",
                    "victim",
                ),
                _ => (
                    world.pick_person(rng),
                    CATEGORIES[rng.below(6) as usize],
                    if rng.chance(0.8) { "victim" } else { "witness" },
                ),
            };
            let case = Case {
                id: format!("CR/{:06}/{:02}", oi * 1000 + ci, opened.year() % 100),
                person,
                role,
                opened,
                closed,
                until: None,
                category,
            };
            // About one DA case in three is handed to the DA unit after a few days:
            // from then on the unit's officer is the one in contact.
            let handover = case.category == "domestic_abuse"
                && o.unit != DA_UNIT
                && !world.da_unit.is_empty()
                && (closed - opened).num_days() > 4
                && rng.chance(0.35);
            let mut case = case;
            let until = opened + Duration::days(1 + rng.below(3) as i64);
            if handover && until < world.end {
                case.until = Some(until);
                let di = world.da_unit[rng.below(world.da_unit.len() as u64) as usize];
                let dc = &world.force[di];
                let theirs = Case {
                    until: None,
                    opened: until,
                    ..case.clone()
                };
                w.link(&dc.id, &theirs, world.end)?;
                // The unit's contact with the victim, on their office days.
                let mut t = until;
                while t < theirs.closed.min(world.end) {
                    t += Duration::days(2 + rng.below(5) as i64);
                    let day = t.date();
                    if matches!(day.weekday(), Weekday::Sat | Weekday::Sun) || t >= world.end {
                        continue;
                    }
                    let at = day
                        .and_hms_opt(9 + rng.below(7) as u32, rng.below(60) as u32, 0)
                        .expect("time");
                    let (inbound, secs) = UNIT_CALL.draw(rng);
                    w.exchange(&dc.number, &person_number(person), inbound, at, secs)?;
                }
            }
            if real.stale_cases > 0.0 && rr.chance(real.stale_cases) {
                // Never closed in the system: the link stays open.
                let open = Case {
                    closed: world.end + Duration::days(1),
                    ..case.clone()
                };
                w.link(&o.id, &open, world.end)?;
            } else {
                w.link(&o.id, &case, world.end)?;
            }
            // Opening a case: the officer looks the person up, mostly citing the case.
            let at = opened + Duration::minutes(5 + rng.below(60) as i64);
            let purpose = rng.chance(0.85).then_some(case.id.as_str());
            let system = if o.role == "Call Handler" {
                "CAD"
            } else {
                "RMS"
            };
            w.access(&o.id, at, system, "view", person, purpose)?;
            cases.push(case);
        }
    }
    // Patrols: a vehicle per four officers, stops at deployments, hotspots and the
    // homes of open cases' victims; record checks during stops.
    let vehicle = prof.patrols.then(|| format!("V{:04}", oi / 4));
    let mut deployments = Vec::new();
    if let Some(vehicle) = &vehicle {
        for (si, (s, e)) in rota.iter().enumerate() {
            let (a, b) = clock_pair(*s, *e);
            w.vehicle_assignments
                .row(&[V::S(vehicle), V::S(&o.id), V::T(a), V::T(b)])?;
            let mut t = *s + Duration::minutes(10 + rng.below(40) as i64);
            let mut k = 0;
            while t < *e - Duration::minutes(30) {
                let roll = rng.unit();
                let open: Vec<&Case> = cases
                    .iter()
                    .filter(|c| c.opened <= t && t <= c.involved_until())
                    .collect();
                let place = if roll < 0.3 {
                    let h = world.hotspots[rng.below(world.hotspots.len() as u64) as usize];
                    let p = (h.0 + rng.normal() * 0.01, h.1 + rng.normal() * 0.015);
                    let dur = 20 + rng.below(90) as i64;
                    let (a, b) = (t - Duration::minutes(5), t + Duration::minutes(dur));
                    w.deploy(&format!("INC{oi:05}{si:04}{k:02}"), &o.id, p, a, b)?;
                    deployments.push((p, a, b));
                    p
                } else if roll < 0.4 && !open.is_empty() {
                    // A visit to the victim of an open case, dispatched.
                    let c = open[rng.below(open.len() as u64) as usize];
                    let p = world.people[c.person].home;
                    let (a, b) = (t - Duration::minutes(2), t + Duration::minutes(60));
                    w.deploy(&format!("INC{oi:05}{si:04}{k:02}"), &o.id, p, a, b)?;
                    deployments.push((p, a, b));
                    p
                } else {
                    let mut p = None;
                    for _ in 0..20 {
                        let x = if special > 0.0 { rr.unit() } else { 1.0 };
                        let q = if x < special {
                            // Hospitals and custody suites: everyone stops there.
                            let g = &world.geo;
                            let h = g.special[rr.below(g.special.len() as u64) as usize];
                            (
                                h.0 + rr.normal() * 0.0003,
                                h.1 + rr.normal() * 0.0004 * g.lon_scale,
                            )
                        } else if x < special + scatter {
                            // Patrol, refreshment and paperwork stops in any street.
                            world.geo.anywhere(&mut rr)
                        } else {
                            let h = world.hotspots[rng.below(world.hotspots.len() as u64) as usize];
                            (h.0 + rng.normal() * 0.0015, h.1 + rng.normal() * 0.002)
                        };
                        p = Some(q);
                        if !avoid.iter().any(|a| metres(*a, q) < 250.0) {
                            break;
                        }
                        p = None;
                    }
                    let Some(p) = p else {
                        t += Duration::minutes(60);
                        continue;
                    };
                    p
                };
                let stay = 3 + rng.below(40) as i64;
                let logged_on = rng.chance(0.8).then_some(o.id.as_str());
                w.stop(vehicle, logged_on, place, t, t + Duration::minutes(stay))?;
                if rng.chance(0.15) {
                    // A PNC check of someone met on the street: no case reference.
                    let person = world.pick_person(rng);
                    w.access(
                        &o.id,
                        t + Duration::minutes(2),
                        "PNC",
                        "search",
                        person,
                        None,
                    )?;
                }
                t += Duration::minutes(stay + 20 + rng.below(120) as i64);
                if real.stops == StopGeography::SparseRural {
                    // Long drives between stops.
                    t += Duration::minutes(90);
                }
                k += 1;
            }
        }
    }
    // Calls and messages.
    let locals: Vec<String> = (0..8).map(|_| stranger_number(rng)).collect();
    let personal = rng
        .chance(0.08)
        .then(|| format!("074{:08}", rng.below(100_000_000)));
    for (s, e) in &rota {
        let minutes = (*e - *s).num_minutes().max(60) as u64;
        let at = |rng: &mut Rng| *s + Duration::minutes(rng.below(minutes) as i64);
        for _ in 0..count(rng, prof.colleague_calls) {
            if let Some(c) = world.colleague(rng, oi) {
                let t = at(rng);
                let (inbound, secs) = COLLEAGUE.draw(rng);
                w.exchange(&o.number, &c.number, inbound, t, secs)?;
            }
        }
        for _ in 0..count(rng, prof.org_calls) {
            let t = at(rng);
            let org = org_number(rng);
            let (inbound, secs) = ORGANISATION.draw(rng);
            w.exchange(&o.number, &org, inbound, t, secs)?;
        }
        for _ in 0..count(rng, prof.public_calls) {
            // Members of the public in no record: mostly one-off numbers, some regulars
            // of the beat (a shopkeeper, a school office).
            let t = at(rng);
            let n = if rng.chance(0.3) {
                locals[rng.below(locals.len() as u64) as usize].clone()
            } else {
                stranger_number(rng)
            };
            let (inbound, secs) = PUBLIC.draw(rng);
            let dev = device(&mut rr);
            w.exchange(&dev, &n, inbound, t, secs)?;
        }
        if rng.chance(0.05) {
            // Withheld callers and service numbers are real traffic, never subjects.
            let t = at(rng);
            w.bill(
                &o.number,
                "",
                "in",
                "call",
                t,
                Some(20 + rng.below(200) as i64),
            )?;
        }
        if rng.chance(0.03) {
            let t = at(rng);
            w.bill(
                &o.number,
                "101",
                "out",
                "call",
                t,
                Some(60 + rng.below(600) as i64),
            )?;
        }
        // The people of the officer's open cases: updates, statements, welfare checks.
        for c in &cases {
            if c.opened > *e || c.involved_until() < *s || !rng.chance(prof.case_contact) {
                continue;
            }
            let calls = if o.role == "Call Handler" {
                1 + rng.below(3)
            } else {
                1
            };
            for _ in 0..calls {
                let mut t = at(rng).max(c.opened);
                if rng.chance(real.overtime) {
                    // Overtime the roster does not show: contact after the shift's end.
                    t = *e + Duration::minutes(20 + rng.below(150) as i64);
                }
                if t > c.involved_until() || t >= world.end {
                    continue;
                }
                let (inbound, secs) = CASE_CONTACT.draw(rng);
                let dev = device(&mut rr);
                w.exchange(&dev, &person_number(c.person), inbound, t, secs)?;
            }
        }
    }
    // Victims' calls to the enquiry desk about their own records: the desk looks the
    // caller up (often with no case reference) and sometimes calls back.
    if o.unit == DESK_UNIT {
        for (s, e) in &rota {
            let minutes = (*e - *s).num_minutes().max(60) as u64;
            for _ in 0..count(rng, 3.0) {
                let person = world.pick_person(rng);
                let t = *s + Duration::minutes(rng.below(minutes) as i64);
                w.bill(
                    &o.number,
                    &person_number(person),
                    "in",
                    "call",
                    t,
                    Some(60 + rng.below(900) as i64),
                )?;
                let purpose = rng.chance(0.4).then(|| {
                    format!(
                        "CR/{:06}/{:02}",
                        rng.below(999_999),
                        t.year() % 100 - 1 - rng.below(5) as i32
                    )
                });
                w.access(
                    &o.id,
                    t + Duration::minutes(2),
                    "RMS",
                    "view",
                    person,
                    purpose.as_deref(),
                )?;
                if rng.chance(0.15) {
                    let back = (t + Duration::minutes(30 + rng.below(200) as i64)).min(*e);
                    w.bill(
                        &o.number,
                        &person_number(person),
                        "out",
                        "call",
                        back,
                        Some(30 + rng.below(400) as i64),
                    )?;
                }
            }
        }
    }
    // After closure: a court date or result, an update (one call, on a shift).
    for c in &cases {
        if c.role == "suspect" || c.role == "reporter" || !rng.chance(0.3) {
            continue;
        }
        let after = c.closed + Duration::days(1 + rng.below(45) as i64);
        if let Some((s, e)) = rota.iter().find(|(s, _)| *s >= after) {
            let t = *s
                + Duration::minutes(rng.below(((*e - *s).num_minutes() - 30).max(1) as u64) as i64);
            if t < world.end {
                w.bill(
                    &o.number,
                    &person_number(c.person),
                    "out",
                    "call",
                    t,
                    Some(60 + rng.below(540) as i64),
                )?;
                if rng.chance(0.3) {
                    w.bill(
                        &o.number,
                        &person_number(c.person),
                        "in",
                        "call",
                        t + Duration::minutes(10 + rng.below(120) as i64),
                        Some(30 + rng.below(300) as i64),
                    )?;
                }
            }
        }
    }
    // Some officers call a personal number (family) off duty on the work phone.
    if let Some(p) = &personal {
        let mut t = world.start + Duration::hours(18 + rng.below(48) as i64);
        while t < world.end {
            let at = t
                .date()
                .and_hms_opt(17 + rng.below(6) as u32, rng.below(60) as u32, 0)
                .expect("time");
            if !rota.iter().any(|(a, b)| *a <= at && at <= *b) {
                let (inbound, secs) = PERSONAL.draw(rng);
                w.exchange(&o.number, p, inbound, at, secs)?;
            }
            t += Duration::hours(48 + rng.below(120) as i64);
        }
    }
    // A case left open for years: opened long before the period, never closed.
    if real.stale_cases > 0.0
        && prof.cases_per_shift > 0.0
        && rr.chance((4.0 * real.stale_cases).min(1.0))
    {
        let opened = world.start - Duration::days(2 * 365 + rr.below(8 * 365) as i64)
            + Duration::hours(9 + rr.below(8) as i64);
        let case = Case {
            id: format!("CR/7{:05}0/{:02}", oi, opened.year() % 100),
            person: world.pick_person(&mut rr),
            role: if rr.chance(0.8) { "victim" } else { "witness" },
            opened,
            closed: world.end + Duration::days(1),
            until: None,
            category: CATEGORIES[rr.below(6) as usize],
        };
        w.link(&o.id, &case, world.end)?;
    }
    // Complaints arrive at a low base rate, about one per ten officers a year.
    let expected = cfg.days as f64 / 365.0 * 0.1;
    let mut c = 0;
    while rng.chance(if c == 0 { expected } else { expected / 2.0 }) && c < 5 {
        let day = cfg.start + Duration::days(rng.below(cfg.days as u64) as i64);
        let received = day
            .and_hms_opt(9 + rng.below(8) as u32, rng.below(60) as u32, 0)
            .expect("time");
        let category = ["incivility", "conduct", "use of force", "service"][rng.below(4) as usize];
        w.complaint(&o.id, received, category)?;
        c += 1;
    }
    Ok(Life {
        shifts: rota,
        deployments,
        cases,
        vehicle,
    })
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

    #[test]
    fn specials_work_evenings_into_the_night() {
        let start = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        let s = shifts(Rota::Special, 0, start, 28);
        assert!(!s.is_empty() && s.len() <= 8, "{}", s.len());
        for (a, b) in &s {
            assert_eq!(a.format("%H:%M").to_string(), "19:00");
            assert_eq!((*b - *a).num_hours(), 8);
        }
    }

    #[test]
    fn phone_writings_all_normalise_to_the_same_number() {
        let mut rng = Rng::stream(1, 1);
        let mut seen = std::collections::BTreeSet::new();
        for digits in ["07712345678", "01154960123"] {
            for _ in 0..200 {
                let w = sink::write_number(&mut rng, digits);
                seen.insert(w.clone());
                let e164 = apsp_core::ingest::phone::normalise(&w).unwrap();
                assert_eq!(
                    e164.value(),
                    Some(format!("+44{}", &digits[1..]).as_str()),
                    "{w}"
                );
            }
        }
        assert!(seen.len() >= 10, "{seen:?}");
    }
}
