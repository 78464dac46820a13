//! Planted scenarios modelled on the case studies of IOPC *Learning the Lessons* 40
//! (`docs/case-studies.md`, `s.N` = the seed's section), the two styles of
//! s.8 ("shark" and "fisherman"), and hard decoys: legitimate patterns a naive engine
//! would flag. One officer each, with the ground truth in `labels.parquet`.
//!
//! Parameters (days, times, counts, distances) vary with the seed; the defining facts of
//! each case study hold for every seed and are asserted by `tests/synth.rs`. Planted
//! rows are never broken by error injection, and planted subjects are kept out of other
//! officers' random background picks, so the facts are exact.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Timelike};
use polars::prelude::*;

use super::{
    mix, offset, person_id, person_number, Case, Life, Mix, Officer, Rng, Sinks, SynthConfig,
    World, DA_UNIT, DESK_UNIT,
};
use apsp_core::error::Result;

/// A planted scenario or decoy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    CaseStudy1,
    CaseStudy2,
    CaseStudy3,
    CaseStudy4,
    CaseStudy8,
    CaseStudy9,
    CaseStudy10,
    Fisherman,
    Shark,
    DecoyDaSpecialist,
    DecoyRepeatAddress,
    DecoyCourtResult,
    DecoyComplaintsOnly,
    DecoyPartner,
    DecoyBesideHospital,
}

/// What a scenario's subject must be like.
#[derive(Debug, Clone, Copy)]
pub struct SubjectSpec {
    pub flags: &'static [&'static str],
    /// Age range in years at the start of the period (a young person), if forced.
    pub age: Option<(i64, i64)>,
    /// Lives 40-110 m from the first hospital (realism: stops in every street).
    pub beside_special: bool,
}

const fn flags(f: &'static [&'static str]) -> SubjectSpec {
    SubjectSpec {
        flags: f,
        age: None,
        beside_special: false,
    }
}

impl Scenario {
    /// Case-study scenarios, in the order they are handed out.
    pub const PLANTED: [Scenario; 9] = [
        Scenario::CaseStudy2,
        Scenario::Shark,
        Scenario::Fisherman,
        Scenario::CaseStudy10,
        Scenario::CaseStudy3,
        Scenario::CaseStudy8,
        Scenario::CaseStudy9,
        Scenario::CaseStudy1,
        Scenario::CaseStudy4,
    ];
    /// Decoys, in the order they are handed out.
    pub const DECOYS: [Scenario; 5] = [
        Scenario::DecoyDaSpecialist,
        Scenario::DecoyRepeatAddress,
        Scenario::DecoyCourtResult,
        Scenario::DecoyComplaintsOnly,
        Scenario::DecoyPartner,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scenario::CaseStudy1 => "case_study_1",
            Scenario::CaseStudy2 => "case_study_2",
            Scenario::CaseStudy3 => "case_study_3",
            Scenario::CaseStudy4 => "case_study_4",
            Scenario::CaseStudy8 => "case_study_8",
            Scenario::CaseStudy9 => "case_study_9",
            Scenario::CaseStudy10 => "case_study_10",
            Scenario::Fisherman => "fisherman",
            Scenario::Shark => "shark",
            Scenario::DecoyDaSpecialist => "decoy_da_specialist",
            Scenario::DecoyRepeatAddress => "decoy_repeat_address",
            Scenario::DecoyCourtResult => "decoy_court_result",
            Scenario::DecoyComplaintsOnly => "decoy_complaints_only",
            Scenario::DecoyPartner => "decoy_partner_number",
            Scenario::DecoyBesideHospital => "decoy_beside_hospital",
        }
    }

    pub fn is_decoy(self) -> bool {
        Scenario::DECOYS.contains(&self) || self == Scenario::DecoyBesideHospital
    }

    /// The decoys of a configuration: with stops in every street, also the victim who
    /// lives beside the hospital where everyone stops.
    pub fn decoys(cfg: &SynthConfig) -> Vec<Scenario> {
        let mut v = Scenario::DECOYS.to_vec();
        if cfg.realism.stops_everywhere() {
            v.push(Scenario::DecoyBesideHospital);
        }
        v
    }

    /// One line on what was planted and where it comes from.
    pub fn description(self) -> &'static str {
        match self {
            Scenario::CaseStudy1 => "s.5: victims' enquiry desk looks up a caller's record, texts her three days later on duty; complaint 20 minutes after",
            Scenario::CaseStudy2 => "s.9: PCSO, 38 outgoing calls (30 under 5 s, none back) to a vulnerable burglary victim, four stops near her home after his involvement, texts to two other vulnerable women",
            Scenario::CaseStudy3 => "s.11: on-duty visits 2-3 a week to a vulnerable woman's home for months after a short case, no deployment; turns up at her missing-person incident",
            Scenario::CaseStudy4 => "s.13: dispatcher's calls to a vulnerable reporter on an open log, one text the evening it closed (blind spot: content and social media)",
            Scenario::CaseStudy8 => "s.21: PCSO's regular contact with a vulnerable victim, switches channel after closure, evening visits; looks up a second vulnerable woman and texts her",
            Scenario::CaseStudy9 => "s.23: PCSO parked near a 12-13-year-old girl's home week after week, away from the park patrols he shares",
            Scenario::CaseStudy10 => "s.27: officer hands a DA case to the safeguarding unit, then his vehicle is near the victim's home several times in two weeks, not deployed",
            Scenario::Fisherman => "s.8 exploratory style: tentative texts and short calls to many women, several past victims, little reply",
            Scenario::Shark => "s.8 predatory style: rapid escalation of contact with two highly vulnerable victims, at night and off duty, look-ups and stops near home after hand-over",
            Scenario::DecoyDaSpecialist => "decoy: domestic-abuse specialist with heavy on-duty two-way contact with victims of open cases",
            Scenario::DecoyRepeatAddress => "decoy: repeated deployments to one vulnerable repeat caller's address, her calls to the officer",
            Scenario::DecoyCourtResult => "decoy: one call on duty some days after closure to give a court result, and her thanks",
            Scenario::DecoyComplaintsOnly => "decoy: three or four complaints within a year and nothing else",
            Scenario::DecoyPartner => "decoy: a partner's number on the work phone, daily, two-way, evenings and nights",
            Scenario::DecoyBesideHospital => "decoy: a past victim of his closed case lives beside the hospital where every officer stops; his stops there are as many as anyone's",
        }
    }

    /// The warning signs (sign ids, `apsp_core::sign::Sign`) a correct engine finds on this pattern. For a
    /// decoy these fire legitimately by definition; the decoy must still not rank high.
    pub fn expected_signals(self) -> &'static [&'static str] {
        match self {
            Scenario::CaseStudy1 => &[
                "access_without_purpose",
                "access_then_contact",
                "vulnerable_subject",
            ],
            Scenario::CaseStudy2 => &[
                "unanswered_persistence",
                "contact_volume",
                "stop_near_home",
                "vulnerable_subject",
                "multiple_subjects",
            ],
            Scenario::CaseStudy3 => &[
                "stop_near_home",
                "after_closure",
                "night_contact",
                "vulnerable_subject",
            ],
            Scenario::CaseStudy4 => &[],
            Scenario::CaseStudy8 => &[
                "access_without_purpose",
                "access_then_contact",
                "stop_near_home",
                "after_closure",
                "vulnerable_subject",
                "multiple_subjects",
            ],
            Scenario::CaseStudy9 => &["stop_near_home", "vulnerable_subject"],
            Scenario::CaseStudy10 => &["stop_near_home", "after_closure", "vulnerable_subject"],
            Scenario::Fisherman => &[
                "unanswered_persistence",
                "off_duty_contact",
                "after_closure",
                "vulnerable_subject",
                "multiple_subjects",
            ],
            Scenario::Shark => &[
                "contact_volume",
                "escalation",
                "off_duty_contact",
                "night_contact",
                "after_closure",
                "stop_near_home",
                "access_without_purpose",
                "access_then_contact",
                "vulnerable_subject",
                "multiple_subjects",
            ],
            Scenario::DecoyDaSpecialist => &[],
            Scenario::DecoyRepeatAddress => &[],
            Scenario::DecoyCourtResult => &["after_closure", "vulnerable_subject"],
            Scenario::DecoyComplaintsOnly => &["repeat_complaints"],
            Scenario::DecoyPartner => &["contact_volume", "off_duty_contact", "night_contact"],
            Scenario::DecoyBesideHospital => &["stop_near_home", "vulnerable_subject"],
        }
    }

    /// Whether force data can show this pattern at all. Case study 4 happened in call
    /// content and on Facebook: its work-data footprint is ordinary, and a correct
    /// engine does not flag it (a documented blind spot, not a miss).
    pub fn detectable(self) -> bool {
        !self.is_decoy() && self != Scenario::CaseStudy4
    }

    /// Whether officer `o` can carry this scenario.
    fn eligible(self, o: &Officer) -> bool {
        match self {
            Scenario::CaseStudy1 => o.unit == DESK_UNIT,
            Scenario::CaseStudy2 | Scenario::CaseStudy8 | Scenario::CaseStudy9 => o.role == "PCSO",
            Scenario::CaseStudy3 | Scenario::CaseStudy10 | Scenario::Shark => o.role == "PC",
            Scenario::CaseStudy4 => o.role == "Call Handler",
            Scenario::Fisherman => matches!(o.role, "PC" | "PCSO"),
            Scenario::DecoyDaSpecialist => o.unit == DA_UNIT,
            Scenario::DecoyRepeatAddress => matches!(o.role, "PC" | "PCSO"),
            Scenario::DecoyCourtResult => matches!(o.role, "PC" | "DC"),
            Scenario::DecoyComplaintsOnly => o.role == "PC",
            Scenario::DecoyPartner => matches!(o.role, "PC" | "Sergeant"),
            Scenario::DecoyBesideHospital => matches!(o.role, "PC" | "PCSO"),
        }
    }

    /// The subjects the scenario needs from the person pool.
    fn subjects(self, rng: &mut Rng) -> Vec<SubjectSpec> {
        const VULN: [&[&str]; 5] = [
            &["mental_health"],
            &["domestic_abuse"],
            &["substance_dependency"],
            &["sexual_offence_victim"],
            &["homeless", "mental_health"],
        ];
        match self {
            Scenario::CaseStudy1 => vec![flags(&["domestic_abuse"])],
            Scenario::CaseStudy2 => vec![
                flags(&["learning_disability"]),
                flags(&["mental_health"]),
                flags(&["domestic_abuse"]),
            ],
            Scenario::CaseStudy3 => vec![flags(&["mental_health", "missing_or_suicidal"])],
            Scenario::CaseStudy4 => vec![flags(&["mental_health", "other"])],
            Scenario::CaseStudy8 => vec![
                flags(&["mental_health", "other"]),
                flags(&["mental_health", "other"]),
            ],
            Scenario::CaseStudy9 => vec![SubjectSpec {
                flags: &[],
                age: Some((12, 13)),
                beside_special: false,
            }],
            Scenario::CaseStudy10 => vec![flags(&["domestic_abuse"])],
            Scenario::Fisherman => (0..10 + rng.below(5))
                .map(|k| {
                    if k % 2 == 0 {
                        flags(VULN[rng.below(VULN.len() as u64) as usize])
                    } else {
                        flags(&[])
                    }
                })
                .collect(),
            Scenario::Shark => vec![
                flags(&["mental_health", "sexual_offence_victim"]),
                flags(&["domestic_abuse", "substance_dependency"]),
            ],
            Scenario::DecoyDaSpecialist => (0..5)
                .map(|k| {
                    flags(if k % 2 == 0 {
                        &["domestic_abuse"]
                    } else {
                        &["domestic_abuse", "mental_health"]
                    })
                })
                .collect(),
            Scenario::DecoyRepeatAddress => vec![flags(&["mental_health"])],
            Scenario::DecoyCourtResult => vec![flags(&["domestic_abuse"])],
            Scenario::DecoyComplaintsOnly | Scenario::DecoyPartner => vec![],
            Scenario::DecoyBesideHospital => vec![SubjectSpec {
                flags: &["domestic_abuse"],
                age: None,
                beside_special: true,
            }],
        }
    }
}

/// Which officer gets which scenario, and who the subjects are.
pub struct Plan {
    pub planted: Vec<Planted>,
    /// Person index -> (plan entry, subject number), for planted subjects.
    by_person: std::collections::HashMap<usize, (usize, usize)>,
}

/// One planted scenario or decoy.
pub struct Planted {
    pub scenario: Scenario,
    pub officer: usize,
    pub officer_id: String,
    pub role: &'static str,
    /// Person indices: the main subject first.
    pub subjects: Vec<usize>,
    pub specs: Vec<SubjectSpec>,
}

/// How many of each, for a force of `officers` over `days` at `rate` scenarios per
/// officer-year (decoys at ten times the rate: legitimate look-alikes are common).
fn counts(cfg: &SynthConfig) -> (usize, usize) {
    match cfg.plant_rate {
        None => (Scenario::PLANTED.len(), Scenario::decoys(cfg).len()),
        Some(r) => {
            let years = cfg.officers as f64 * cfg.days as f64 / 365.0;
            (
                (r * years).round() as usize,
                (10.0 * r * years).round() as usize,
            )
        }
    }
}

/// Decides the plan from the seed. Scenarios need a period of at least 60 days; each
/// goes to a distinct officer of a fitting role (a scenario with no such officer left
/// is skipped).
pub fn plan(cfg: &SynthConfig, force: &[Officer], n_persons: usize) -> Plan {
    let mut rng = Rng::stream(cfg.seed, 2);
    let mut planted: Vec<Planted> = Vec::new();
    let mut by_person = std::collections::HashMap::new();
    if cfg.days < 60 {
        return Plan { planted, by_person };
    }
    let (n_planted, n_decoys) = counts(cfg);
    let mut order: Vec<Scenario> = Vec::new();
    order.extend((0..n_planted).map(|k| Scenario::PLANTED[k % Scenario::PLANTED.len()]));
    let decoys = Scenario::decoys(cfg);
    order.extend((0..n_decoys).map(|k| decoys[k % decoys.len()]));
    let mut taken = vec![false; force.len()];
    for sc in order {
        let eligible: Vec<usize> = force
            .iter()
            .enumerate()
            .filter(|(i, o)| !taken[*i] && sc.eligible(o))
            .map(|(i, _)| i)
            .collect();
        if eligible.is_empty() {
            continue;
        }
        let officer = eligible[rng.below(eligible.len() as u64) as usize];
        let specs = sc.subjects(&mut rng);
        if by_person.len() + specs.len() > n_persons / 2 {
            continue;
        }
        let mut subjects = Vec::new();
        while subjects.len() < specs.len() {
            let p = rng.below(n_persons as u64) as usize;
            if !subjects.contains(&p) && !by_person.contains_key(&p) {
                subjects.push(p);
            }
        }
        taken[officer] = true;
        for (k, p) in subjects.iter().enumerate() {
            by_person.insert(*p, (planted.len(), k));
        }
        planted.push(Planted {
            scenario: sc,
            officer,
            officer_id: force[officer].id.clone(),
            role: force[officer].role,
            subjects,
            specs,
        });
    }
    Plan { planted, by_person }
}

impl Plan {
    /// What person `i` must be like, if a scenario uses them.
    pub fn subject(&self, i: usize) -> Option<SubjectSpec> {
        self.by_person
            .get(&i)
            .map(|(p, k)| self.planted[*p].specs[*k])
    }

    /// Whether person `i` is reserved for a scenario (kept out of random background
    /// picks so the scenario's facts are exact).
    pub fn reserved(&self, i: usize) -> bool {
        self.by_person.contains_key(&i)
    }

    /// The scenarios of officer `oi`.
    pub fn for_officer(&self, oi: usize) -> impl Iterator<Item = (usize, &Planted)> {
        self.planted
            .iter()
            .enumerate()
            .filter(move |(_, p)| p.officer == oi)
    }

    pub fn planted(&self) -> u64 {
        self.planted
            .iter()
            .filter(|p| !p.scenario.is_decoy())
            .count() as u64
    }

    pub fn decoys(&self) -> u64 {
        self.planted
            .iter()
            .filter(|p| p.scenario.is_decoy())
            .count() as u64
    }

    /// The ground truth: one row per planted scenario or decoy. `extra[i]` holds the
    /// numbers (E.164) of subjects that are in no record, found while planting.
    pub fn labels(&self, extra: &[Vec<String>]) -> Result<DataFrame> {
        let p = &self.planted;
        let officer: Vec<&str> = p.iter().map(|x| x.officer_id.as_str()).collect();
        let role: Vec<&str> = p.iter().map(|x| x.role).collect();
        let scenario: Vec<&str> = p.iter().map(|x| x.scenario.name()).collect();
        let kind: Vec<&str> = p
            .iter()
            .map(|x| {
                if x.scenario.is_decoy() {
                    "decoy"
                } else {
                    "planted"
                }
            })
            .collect();
        let detectable: Vec<bool> = p.iter().map(|x| x.scenario.detectable()).collect();
        let subjects: Vec<String> = p
            .iter()
            .enumerate()
            .map(|(i, x)| {
                x.subjects
                    .iter()
                    .map(|s| person_id(*s))
                    .chain(extra.get(i).into_iter().flatten().cloned())
                    .collect::<Vec<_>>()
                    .join(";")
            })
            .collect();
        let signals: Vec<String> = p
            .iter()
            .map(|x| x.scenario.expected_signals().join(";"))
            .collect();
        let description: Vec<&str> = p.iter().map(|x| x.scenario.description()).collect();
        Ok(DataFrame::new_infer_height(vec![
            Column::new("officer_id".into(), officer),
            Column::new("role".into(), role),
            Column::new("scenario".into(), scenario),
            Column::new("kind".into(), kind),
            Column::new("detectable".into(), detectable),
            Column::new("subjects".into(), subjects),
            Column::new("expected_signals".into(), signals),
            Column::new("description".into(), description),
        ])?)
    }
}

/// What a scenario writes with: the world, the writers, the officer's stream and life.
pub struct Ctx<'a, 'w> {
    pub world: &'a World<'w>,
    pub w: &'a mut Sinks,
    /// The officer's stream (interior mutability, so a draw can sit inside any call).
    pub rng: std::cell::RefCell<&'a mut Rng>,
    pub o: &'a Officer,
    pub oi: usize,
    pub life: &'a Life,
}

impl Ctx<'_, '_> {
    fn below(&self, n: u64) -> u64 {
        self.rng.borrow_mut().below(n)
    }

    fn unit(&self) -> f64 {
        self.rng.borrow_mut().unit()
    }

    fn chance(&self, p: f64) -> bool {
        self.rng.borrow_mut().chance(p)
    }

    fn offset(&self, p: (f64, f64), m: f64) -> (f64, f64) {
        offset(&mut self.rng.borrow_mut(), p, m)
    }

    fn span(&self) -> i64 {
        self.world.cfg.days as i64
    }

    /// Local time `h:m` on day `d` of the period.
    fn day(&self, d: i64, h: u32, m: u32) -> NaiveDateTime {
        self.world.start
            + Duration::days(d)
            + Duration::hours(h as i64)
            + Duration::minutes(m as i64)
    }

    fn last(&self) -> NaiveDateTime {
        self.world.end - Duration::hours(1)
    }

    /// A uniform time in [a, b).
    fn between(&self, a: NaiveDateTime, b: NaiveDateTime) -> NaiveDateTime {
        let m = (b - a).num_minutes().max(1) as u64;
        a + Duration::minutes(self.below(m) as i64)
    }

    /// The officer's first shift starting at or after `t`.
    fn shift_from(&self, t: NaiveDateTime) -> Option<(NaiveDateTime, NaiveDateTime)> {
        self.life.shifts.iter().copied().find(|(s, _)| *s >= t)
    }

    /// The first of two day shifts on consecutive days, at or after `t`.
    fn day_pair_from(&self, t: NaiveDateTime) -> Option<usize> {
        let s = &self.life.shifts;
        (0..s.len().saturating_sub(1)).find(|&i| {
            s[i].0 >= t
                && s[i].0.hour() < 12
                && s[i + 1].0.hour() < 12
                && s[i + 1].0.date() == s[i].0.date() + Duration::days(1)
        })
    }

    /// An evening time (18:00–21:45) on `day` when the officer is off duty, if any.
    fn off_duty_evening(&self, day: NaiveDate) -> Option<NaiveDateTime> {
        for _ in 0..6 {
            let t = day
                .and_hms_opt(18 + self.below(4) as u32, self.below(46) as u32, 0)
                .expect("time");
            if !self.life.on_duty(t) {
                return Some(t);
            }
        }
        None
    }

    fn vehicle(&self) -> String {
        self.life
            .vehicle
            .clone()
            .unwrap_or_else(|| format!("V{:04}", self.oi / 4))
    }

    /// A billing row on this officer's device.
    fn bill(
        &mut self,
        other: &str,
        dir: &str,
        kind: &str,
        at: NaiveDateTime,
        dur: Option<i64>,
    ) -> Result<()> {
        if at >= self.world.end || at < self.world.start {
            return Ok(());
        }
        let dev = self.o.number.clone();
        self.w.bill(&dev, other, dir, kind, at, dur)
    }

    /// A call or text with `other`, drawn from `m`.
    fn contact(&mut self, other: &str, at: NaiveDateTime, m: Mix) -> Result<()> {
        let (inbound, secs) = m.draw(&mut self.rng.borrow_mut());
        self.exchange(other, inbound, at, secs)
    }

    /// A call (`secs` given) or a text (`None`) with `other`, on this officer's device
    /// (nothing outside the period).
    fn exchange(
        &mut self,
        other: &str,
        inbound: bool,
        at: NaiveDateTime,
        secs: Option<i64>,
    ) -> Result<()> {
        if at >= self.world.end || at < self.world.start {
            return Ok(());
        }
        let dev = self.o.number.clone();
        self.w.exchange(&dev, other, inbound, at, secs)
    }

    /// A stop of this officer's vehicle `min..max` metres from `p`, MDT logged on, that
    /// no deployment of theirs explains: if one of their background deployments is
    /// nearby at that time, no stop is written (returns false).
    fn stop_near(
        &mut self,
        p: (f64, f64),
        min: f64,
        max: f64,
        at: NaiveDateTime,
        minutes: i64,
    ) -> Result<bool> {
        let m = min + self.unit() * (max - min);
        let q = self.offset(p, m);
        let b = at + Duration::minutes(minutes);
        let explained = self
            .life
            .deployments
            .iter()
            .any(|(d, x, y)| super::metres(*d, q) < 300.0 && *x <= b && at <= *y);
        if explained {
            return Ok(false);
        }
        let v = self.vehicle();
        let id = self.o.id.clone();
        self.w.stop(&v, Some(&id), q, at, b)?;
        Ok(true)
    }

    /// A deployment of this officer to `p`, with the stop it causes.
    fn deployed_visit(
        &mut self,
        incident: &str,
        p: (f64, f64),
        at: NaiveDateTime,
        minutes: i64,
    ) -> Result<()> {
        let id = self.o.id.clone();
        self.w.deploy(
            incident,
            &id,
            p,
            at - Duration::minutes(5),
            at + Duration::minutes(minutes + 10),
        )?;
        let v = self.vehicle();
        self.w
            .stop(&v, Some(&id), p, at, at + Duration::minutes(minutes))
    }

    fn link(&mut self, c: &Case) -> Result<()> {
        let id = self.o.id.clone();
        self.w.link(&id, c, self.world.end)
    }

    fn case(
        &self,
        k: u32,
        person: usize,
        role: &'static str,
        opened: NaiveDateTime,
        closed: NaiveDateTime,
        category: &'static str,
    ) -> Case {
        Case {
            id: format!("CR/9{:05}{k}/{:02}", self.oi, opened.year() % 100),
            person,
            role,
            opened,
            closed,
            until: None,
            category,
        }
    }

    fn complaint(&mut self, at: NaiveDateTime, category: &str) -> Result<()> {
        let id = self.o.id.clone();
        self.w.complaint(&id, at, category)
    }

    fn access(
        &mut self,
        at: NaiveDateTime,
        system: &str,
        person: usize,
        purpose: Option<&str>,
    ) -> Result<()> {
        let id = self.o.id.clone();
        self.w.access(&id, at, system, "view", person, purpose)
    }

    /// Another officer of role `role` (or anyone), for a case someone else holds.
    fn other_officer(&self, role: Option<&str>) -> &Officer {
        let f = self.world.force;
        let pool: Vec<usize> = (0..f.len())
            .filter(|i| *i != self.oi && role.is_none_or(|r| f[*i].role == r))
            .collect();
        if pool.is_empty() {
            return &f[(self.oi + 1) % f.len()];
        }
        &f[pool[self.below(pool.len() as u64) as usize]]
    }
}

/// Writes a planted scenario's rows; returns the numbers (E.164) of subjects that are
/// in no record.
pub fn plant(c: &mut Ctx<'_, '_>, p: &Planted) -> Result<Vec<String>> {
    let s = &p.subjects;
    match p.scenario {
        Scenario::CaseStudy1 => case_study_1(c, s[0]),
        Scenario::CaseStudy2 => case_study_2(c, s),
        Scenario::CaseStudy3 => case_study_3(c, s[0]),
        Scenario::CaseStudy4 => case_study_4(c, s[0]),
        Scenario::CaseStudy8 => case_study_8(c, s[0], s[1]),
        Scenario::CaseStudy9 => case_study_9(c, s[0]),
        Scenario::CaseStudy10 => case_study_10(c, s[0]),
        Scenario::Fisherman => return fisherman(c, s),
        Scenario::Shark => shark(c, s[0], s[1]),
        Scenario::DecoyDaSpecialist => decoy_da_specialist(c, s),
        Scenario::DecoyRepeatAddress => decoy_repeat_address(c, s[0]),
        Scenario::DecoyCourtResult => decoy_court_result(c, s[0]),
        Scenario::DecoyComplaintsOnly => decoy_complaints(c),
        Scenario::DecoyPartner => return decoy_partner(c),
        Scenario::DecoyBesideHospital => decoy_beside_hospital(c, s[0]),
    }?;
    Ok(Vec::new())
}

/// Case study 1 (s.5): the woman calls the victims' enquiry desk about an old domestic
/// incident; he views her record (no purpose given), then ~3 days later, on duty, texts
/// her from the work phone; she complains 20 minutes later. Her case is 8 years old and
/// was another officer's.
fn case_study_1(c: &mut Ctx<'_, '_>, w1: usize) -> Result<()> {
    let span = c.span();
    let from = c.day(span / 6 + c.below((span / 3) as u64) as i64, 0, 0);
    let Some((s, e)) = c.shift_from(from) else {
        return Ok(());
    };
    let t0 = c.between(s + Duration::hours(1), e - Duration::hours(2));
    let other = c.other_officer(Some("PC")).id.clone();
    let old = Case {
        id: format!("CR/9{:05}0/{:02}", c.oi, (t0.year() - 8) % 100),
        person: w1,
        role: "victim",
        opened: t0 - Duration::days(8 * 365 + c.below(60) as i64),
        closed: t0 - Duration::days(8 * 365 - 40),
        until: None,
        category: "domestic_abuse",
    };
    c.w.link(&other, &old, c.world.end)?;
    let n = person_number(w1);
    c.bill(&n, "in", "call", t0, Some(180 + c.below(540) as i64))?;
    c.access(t0 + Duration::minutes(2), "RMS", w1, None)?;
    // About three days later, on duty: one text, no reply.
    let after = t0 + Duration::days(2) + Duration::hours(12);
    let (s1, e1) = c.shift_from(after).unwrap_or((
        t0 + Duration::days(3),
        t0 + Duration::days(3) + Duration::hours(8),
    ));
    let t1 = c.between(s1 + Duration::minutes(30), e1 - Duration::hours(1));
    c.bill(&n, "out", "sms", t1, None)?;
    c.complaint(t1 + Duration::minutes(20), "conduct")
}

/// Case study 2 (s.9): 38 outgoing calls to W1 of which 30 under five seconds, no call
/// from her number, one text with a crime reference and one "have you got my
/// messages", four stops of his vehicle near her home after his involvement ended,
/// personal texts to two other vulnerable women, an anonymous referral at the end.
fn case_study_2(c: &mut Ctx<'_, '_>, s: &[usize]) -> Result<()> {
    let (w1, w2, w3) = (s[0], s[1], s[2]);
    let span = c.span();
    let d0 = 1 + c.below((span / 6).max(1) as u64) as i64;
    let home = c.world.people[w1].home;
    let opened = c.day(d0 + 3, 17, 10);
    let until = c.day(d0 + 14 + c.below(8) as i64, 18, 0);
    let mut case = c.case(
        1,
        w1,
        "victim",
        opened,
        c.world.end + Duration::days(30),
        "burglary",
    );
    case.until = Some(until);
    c.link(&case)?;
    // Two deployed, legitimate visits: the evening appointment and the kit install.
    for (k, (d, h)) in [(d0 + 3, 18u32), (d0 + 14, 15u32)].into_iter().enumerate() {
        let at = c.day(d, h, 5);
        c.deployed_visit(&format!("INC9{:05}{k}", c.oi), home, at, 45)?;
    }
    let n1 = person_number(w1);
    // The crime-reference text (legitimate content) and her reply.
    c.bill(&n1, "out", "sms", c.day(d0 + 5, 10, 12), None)?;
    c.bill(&n1, "in", "sms", c.day(d0 + 5, 10, 40), None)?;
    // 38 outgoing calls from day 14, dense in the first weeks, 30 of them under 5 s.
    let last = (span - 10).max(d0 + 30);
    let mut durations: Vec<i64> = (0..30).map(|_| c.below(5) as i64).collect();
    durations.extend((0..8).map(|_| 30 + c.below(570) as i64));
    for (k, dur) in durations.into_iter().enumerate() {
        // Every third call anywhere in the period, the rest in the first five weeks.
        let d = if k % 3 == 2 {
            d0 + 14 + c.below((last - d0 - 14).max(1) as u64) as i64
        } else {
            d0 + 14 + c.below(35) as i64
        };
        let at = c.day(d.min(span - 1), 12 + c.below(10) as u32, c.below(60) as u32);
        c.bill(&n1, "out", "call", at, Some(dur))?;
    }
    c.bill(&n1, "out", "sms", c.day(last - 5, 21, 3), None)?;
    // Four stops of his vehicle near her home after his involvement ended, parked
    // 60-150 m away, afternoon or evening, logged on to the MDT.
    let ud = (until - c.world.start).num_days();
    for k in 0..4 {
        let mut d = ud + 3 + k * ((last - ud) / 5).max(1);
        loop {
            let at = c.day(d.min(span - 1), 13 + c.below(8) as u32, c.below(60) as u32);
            let stay = 25 + c.below(60) as i64;
            if c.stop_near(home, 60.0, 145.0, at, stay)? || d >= span {
                break;
            }
            d += 1;
        }
    }
    // Personal texts to two other vulnerable women: 12 or more each within 90 days.
    for other in [w2, w3] {
        let first = d0 + c.below(30) as i64;
        let n = person_number(other);
        for _ in 0..(12 + c.below(6)) {
            let d = (first + c.below(90) as i64).min(span - 1);
            let at = c.day(d, 17 + c.below(5) as u32, c.below(60) as u32);
            c.bill(&n, "out", "sms", at, None)?;
        }
    }
    // The anonymous referral (intelligence) near the end of the period.
    let at = c.day(span - 2, 11, 0);
    c.complaint(at, "intelligence")
}

/// Case study 3 (s.11): he attends her egg-throwing report (a couple of hours) and
/// returns the next day for the statement; the case closes within weeks; then, on
/// duty, his vehicle is at her home two or three times a week for months (day and
/// night shifts), with a break of some weeks; no deployment covers any of it. Near
/// the end she is reported missing: other officers are deployed, he turns up without
/// being deployed. An earlier allegation (not proven) predates the period.
fn case_study_3(c: &mut Ctx<'_, '_>, w1: usize) -> Result<()> {
    let span = c.span();
    let home = c.world.people[w1].home;
    let Some(i) = c.day_pair_from(c.day(3, 0, 0)) else {
        return Ok(());
    };
    let (s0, _) = c.life.shifts[i];
    let (s1, _) = c.life.shifts[i + 1];
    let t0 = s0 + Duration::hours(2 + c.below(4) as i64);
    let closed = t0 + Duration::days(7 + c.below(14) as i64);
    let case = c.case(1, w1, "victim", t0, closed, "criminal_damage");
    c.link(&case)?;
    c.access(t0 + Duration::minutes(20), "RMS", w1, Some(&case.id))?;
    c.deployed_visit(&format!("INC9{:05}0", c.oi), home, t0, 120)?;
    c.deployed_visit(
        &format!("INC9{:05}1", c.oi),
        home,
        s1 + Duration::hours(3),
        60,
    )?;
    // The visits: from a few days after closure, on shift, with a break of 3-4 weeks
    // in the middle ("after a break in contact").
    let begin = closed + Duration::days(3);
    let break_at = begin + (c.world.end - begin) / 2;
    let break_end = break_at + Duration::days(21 + c.below(8) as i64);
    let shifts: Vec<(NaiveDateTime, NaiveDateTime)> = c.life.shifts.clone();
    for (s, e) in shifts {
        if s < begin || (s >= break_at && s < break_end) || !c.chance(0.6) {
            continue;
        }
        let at = if s.hour() < 12 {
            s + Duration::hours(3 + c.below(5) as i64)
        } else {
            s + Duration::minutes(30 + c.below(90) as i64)
        };
        let minutes = (30 + c.below(90) as i64).min((e - at).num_minutes() - 10);
        if minutes > 10 {
            c.stop_near(home, 5.0, 60.0, at, minutes)?;
        }
    }
    // The missing-person incident: another officer deployed, he turns up.
    if let Some((s, _)) = c.shift_from(c.day(span - 12, 0, 0)) {
        let t = s + Duration::hours(2);
        let other = c.other_officer(Some("PC")).clone();
        let mp = Case {
            id: format!("CR/9{:05}2/{:02}", c.oi, t.year() % 100),
            person: w1,
            role: "other",
            opened: t - Duration::minutes(30),
            closed: t + Duration::days(1),
            until: None,
            category: "missing_person",
        };
        c.w.link(&other.id, &mp, c.world.end)?;
        c.w.deploy(
            &format!("INC9{:05}2", c.oi),
            &other.id,
            home,
            t - Duration::minutes(20),
            t + Duration::hours(3),
        )?;
        c.stop_near(home, 5.0, 40.0, t + Duration::minutes(40), 50)?;
    }
    let earlier = c.world.start - Duration::days(400 + c.below(300) as i64) + Duration::hours(10);
    c.complaint(earlier, "conduct")?;
    Ok(())
}

/// Case study 4 (s.13): a dispatcher's calls to a vulnerable reporter on an open log,
/// two on day 0 (after unanswered tries), a long one and an update on day 1, the log
/// closed that afternoon, one text that evening; a complaint later. Its work-data
/// footprint is the job: a correct engine flags nothing (the misconduct was in the
/// calls' content and on Facebook).
fn case_study_4(c: &mut Ctx<'_, '_>, w1: usize) -> Result<()> {
    let span = c.span();
    let from = c.day(span / 6 + c.below((span / 2) as u64) as i64, 0, 0);
    let Some(i) = c
        .day_pair_from(from)
        .or_else(|| c.day_pair_from(c.day(1, 0, 0)))
    else {
        return Ok(());
    };
    let (s0, _) = c.life.shifts[i];
    let (s1, _) = c.life.shifts[i + 1];
    let t0 = s0 + Duration::hours(1 + c.below(3) as i64);
    let closed = s1
        .date()
        .and_hms_opt(15, c.below(50) as u32, 0)
        .expect("time");
    let log = Case {
        id: format!("CAD/9{:05}/{:02}", c.oi, t0.year() % 100),
        person: w1,
        role: "reporter",
        opened: t0,
        closed,
        until: None,
        category: "concern_for_welfare",
    };
    c.link(&log)?;
    c.access(t0 + Duration::minutes(3), "CAD", w1, Some(&log.id))?;
    let n = person_number(w1);
    let mut t = t0 + Duration::minutes(20);
    for _ in 0..c.below(3) {
        c.bill(&n, "out", "call", t, Some(c.below(4) as i64))?;
        t += Duration::minutes(25 + c.below(30) as i64);
    }
    c.bill(&n, "out", "call", t, Some(180 + c.below(300) as i64))?;
    c.bill(
        &n,
        "out",
        "call",
        t + Duration::hours(3),
        Some(120 + c.below(300) as i64),
    )?;
    let d1 = s1 + Duration::hours(1 + c.below(2) as i64);
    c.bill(&n, "out", "call", d1, Some(600 + c.below(900) as i64))?;
    c.bill(
        &n,
        "out",
        "call",
        d1 + Duration::hours(3),
        Some(120 + c.below(240) as i64),
    )?;
    // The evening the log closed: one text from the work phone (inside any grace).
    let evening = closed
        .date()
        .and_hms_opt(20, c.below(60) as u32, 0)
        .expect("time");
    c.bill(&n, "out", "sms", evening, None)?;
    let later = closed + Duration::days(5 + c.below(15) as i64);
    c.complaint(later.min(c.last()), "conduct")
}

/// Case study 8 (s.21): the assigned PCSO's regular two-way contact and visits with a
/// vulnerable victim of neighbour harassment; after the case closes the work-phone
/// contact stops (the switch to WhatsApp) but his vehicle is at her home on evenings,
/// undeployed. He looks up a second vulnerable woman (another officer's harassment
/// victim), texts her within days; at the end only she texts, he no longer replies.
fn case_study_8(c: &mut Ctx<'_, '_>, w1: usize, w2: usize) -> Result<()> {
    let span = c.span();
    let home = c.world.people[w1].home;
    let Some((s0, _)) = c.shift_from(c.day(2 + c.below((span / 8).max(1) as u64) as i64, 0, 0))
    else {
        return Ok(());
    };
    let t0 = s0 + Duration::hours(2);
    let length = (span / 2).clamp(30, 90);
    let closed = t0 + Duration::days(length);
    let case = c.case(1, w1, "victim", t0, closed, "harassment");
    c.link(&case)?;
    c.access(t0 + Duration::minutes(15), "RMS", w1, Some(&case.id))?;
    let n1 = person_number(w1);
    // Months 0-3: regular contact on shift, a visit every one to two weeks.
    let shifts: Vec<(NaiveDateTime, NaiveDateTime)> = c.life.shifts.clone();
    let mut next_visit = t0;
    for (s, e) in shifts.iter().copied() {
        if s < t0 || s > closed {
            continue;
        }
        let at = c.between(s + Duration::minutes(20), e - Duration::minutes(30));
        if c.chance(0.45) && at < closed {
            c.contact(&n1, at, mix(0.4, 0.5, 0.0, (60, 900)))?;
        }
        if s >= next_visit {
            let at = s + Duration::hours(2 + c.below(4) as i64);
            let k = (s - c.world.start).num_days();
            c.deployed_visit(&format!("INC9{:05}{k:04}", c.oi), home, at, 40)?;
            next_visit = s + Duration::days(7 + c.below(8) as i64);
        }
    }
    // After closure: no work-phone contact, 2-3 evening stops at her home on lates.
    let lates: Vec<(NaiveDateTime, NaiveDateTime)> = shifts
        .iter()
        .copied()
        .filter(|(s, _)| *s > closed + Duration::days(2) && s.hour() >= 12)
        .collect();
    let n_visits = (2 + c.below(2) as usize).min(lates.len());
    for k in 0..n_visits {
        let (s, _) = lates[k * lates.len() / n_visits.max(1)];
        let at = s
            .date()
            .and_hms_opt(19, c.below(50) as u32, 0)
            .expect("time");
        c.stop_near(home, 10.0, 80.0, at, 40 + c.below(50) as i64)?;
    }
    // W2: another officer's harassment victim, looked up by him, then texted.
    let other = c.other_officer(None).id.clone();
    let opened2 = t0 + Duration::days(10 + c.below(10) as i64);
    let theirs = Case {
        id: format!("CR/9{:05}2/{:02}", c.oi, opened2.year() % 100),
        person: w2,
        role: "victim",
        opened: opened2,
        closed: opened2 + Duration::days(40),
        until: None,
        category: "harassment",
    };
    c.w.link(&other, &theirs, c.world.end)?;
    let Some((s, e)) = c.shift_from(opened2 + Duration::days(5)) else {
        return Ok(());
    };
    let look = c.between(s + Duration::minutes(10), e - Duration::hours(1));
    c.access(look, "RMS", w2, None)?;
    c.access(look + Duration::days(2), "RMS", w2, None)?;
    let n2 = person_number(w2);
    let first = look + Duration::days(3 + c.below(5) as i64);
    let stop_at = c.world.end - Duration::days(16);
    let mut t = first;
    while t < stop_at {
        c.bill(&n2, "out", "sms", t, None)?;
        if c.chance(0.25) {
            c.bill(
                &n2,
                "in",
                "sms",
                t + Duration::minutes(5 + c.below(60) as i64),
                None,
            )?;
        }
        t += Duration::hours(40 + c.below(100) as i64);
    }
    // The end: she keeps texting, he does not reply.
    for k in 0..(5 + c.below(4) as i64) {
        let at = stop_at + Duration::days(1 + k * 2) + Duration::hours(c.below(12) as i64 + 9);
        c.bill(&n2, "in", "sms", at.min(c.last()), None)?;
    }
    c.complaint(c.last() - Duration::days(5), "conduct")?;
    c.complaint(c.last() - Duration::days(30), "internal allegation")
}

/// Case study 9 (s.23): the PCSOs on his vehicle watch a park near a 12-13-year-old
/// girl's route home, deployed, after school; he alone is parked near her home, week
/// after week, undeployed. No phone contact (social media only).
fn case_study_9(c: &mut Ctx<'_, '_>, girl: usize) -> Result<()> {
    let span = c.span();
    let home = c.world.people[girl].home;
    let park = c.offset(home, 190.0 + c.unit() * 90.0);
    let vehicle = c.vehicle();
    // Park patrols by every patrolling officer on this vehicle, deployed.
    let crew: Vec<usize> = (c.oi / 4 * 4..(c.oi / 4 * 4 + 4).min(c.world.force.len()))
        .filter(|i| c.world.force[*i].profile.patrols)
        .collect();
    for oi in crew {
        let o = c.world.force[oi].clone();
        for (s, e) in c.world.shifts_of(oi) {
            let at = s
                .date()
                .and_hms_opt(15, c.below(20) as u32, 0)
                .expect("time");
            if at < s
                || at + Duration::minutes(80) > e
                || s.weekday().number_from_monday() > 5
                || !c.chance(0.5)
            {
                continue;
            }
            let k = (s - c.world.start).num_days();
            c.w.deploy(
                &format!("PARK9{:05}{oi:05}{k:04}", c.oi),
                &o.id,
                park,
                at - Duration::minutes(5),
                at + Duration::minutes(80),
            )?;
            let q = c.offset(park, c.unit() * 25.0);
            c.w.stop(
                &vehicle,
                Some(&o.id),
                q,
                at,
                at + Duration::minutes(60 + c.below(15) as i64),
            )?;
        }
    }
    // His own stops near her home: about weekly or more for the rest of the period.
    let from = c.day(span / 8, 0, 0);
    let shifts: Vec<(NaiveDateTime, NaiveDateTime)> = c.life.shifts.clone();
    for (s, e) in shifts {
        if s < from || !c.chance(0.4) {
            continue;
        }
        let at = if s.hour() >= 12 {
            s.date()
                .and_hms_opt(16 + c.below(4) as u32, c.below(60) as u32, 0)
                .expect("time")
        } else {
            s.date()
                .and_hms_opt(12, c.below(60) as u32, 0)
                .expect("time")
        };
        let minutes = (15 + c.below(40) as i64).min((e - at).num_minutes() - 5);
        if minutes > 5 {
            c.stop_near(home, 30.0, 120.0, at, minutes)?;
        }
    }
    Ok(())
}

/// Case study 10 (s.27): he attends a domestic incident (deployed), hands the case to
/// the safeguarding unit two days later; the unit's officer then contacts her
/// (legitimately); his vehicle is near her home on several evenings over the next two
/// weeks, none deployed, some more than 7 days after the hand-over; an outreach
/// concern reaches the force as intelligence.
fn case_study_10(c: &mut Ctx<'_, '_>, w1: usize) -> Result<()> {
    let span = c.span();
    let home = c.world.people[w1].home;
    let from = c.day(span / 6 + c.below((span / 6).max(1) as u64) as i64, 0, 0);
    let Some(i) = c
        .day_pair_from(from)
        .or_else(|| c.day_pair_from(c.day(1, 0, 0)))
    else {
        return Ok(());
    };
    let (s0, _) = c.life.shifts[i];
    let t0 = s0 + Duration::hours(2 + c.below(4) as i64);
    let until = t0 + Duration::days(2);
    let closed = t0 + Duration::days(45 + c.below(30) as i64);
    let mut case = c.case(1, w1, "victim", t0, closed, "domestic_abuse");
    case.until = Some(until);
    c.link(&case)?;
    c.access(t0 + Duration::minutes(30), "RMS", w1, Some(&case.id))?;
    c.deployed_visit(&format!("INC9{:05}0", c.oi), home, t0, 70)?;
    // The safeguarding unit takes over and keeps in touch, on its office days.
    let unit: Vec<usize> = c.world.da_unit.clone();
    let dc = if unit.is_empty() {
        c.other_officer(Some("DC")).clone()
    } else {
        c.world.force[unit[c.below(unit.len() as u64) as usize]].clone()
    };
    let theirs = Case {
        opened: until,
        ..case.clone()
    };
    let theirs = Case {
        until: None,
        ..theirs
    };
    c.w.link(&dc.id, &theirs, c.world.end)?;
    let n = person_number(w1);
    let mut t = until + Duration::days(1);
    while t < closed.min(c.world.end) {
        if t.weekday().number_from_monday() <= 5 {
            let at = t
                .date()
                .and_hms_opt(10 + c.below(6) as u32, c.below(60) as u32, 0)
                .expect("time");
            let inbound = c.chance(0.4);
            let secs = Some(60 + c.below(900) as i64);
            c.w.exchange(&dc.number, &n, inbound, at, secs)?;
        }
        t += Duration::days(2 + c.below(3) as i64);
    }
    // "on several occasions in the next two weeks": the chess visit ~day 5, then three
    // more by day 19; at least two beyond the 7-day grace after the hand-over.
    for d in [
        5,
        8 + c.below(2) as i64,
        12 + c.below(3) as i64,
        16 + c.below(4) as i64,
    ] {
        let day = (t0 + Duration::days(d)).date();
        let at = day
            .and_hms_opt(17 + c.below(4) as u32, c.below(60) as u32, 0)
            .expect("time");
        let minutes = if d == 5 { 120 } else { 30 + c.below(60) as i64 };
        c.stop_near(home, 10.0, 90.0, at, minutes)?;
    }
    let at = t0 + Duration::days(12 + c.below(8) as i64);
    c.complaint(at.min(c.last()), "intelligence")
}

/// The exploratory style (s.8, "fisherman"): a wide net of tentative contact — texts
/// and short calls to many women, about half of them past victims of his own closed
/// cases, some in no record at all; each pursuit short-lived, evenings off duty, with
/// almost no reply. Two are pursued with ten or more unanswered calls.
fn fisherman(c: &mut Ctx<'_, '_>, subjects: &[usize]) -> Result<Vec<String>> {
    let span = c.span();
    let mut strangers = Vec::new();
    let mut targets: Vec<(String, NaiveDateTime)> = Vec::new();
    for (k, &p) in subjects.iter().enumerate() {
        let start = if k % 2 == 0 {
            // A past victim: his own case, attended and closed within days.
            let d = c.below((span / 2).max(1) as u64) as i64;
            let Some((s, _)) = c.shift_from(c.day(d, 0, 0)) else {
                continue;
            };
            let t0 = s + Duration::hours(1 + c.below(4) as i64);
            let closed = t0 + Duration::days(2 + c.below(8) as i64);
            let case = c.case(
                k as u32 % 10,
                p,
                "victim",
                t0,
                closed,
                ["theft", "burglary", "assault"][k % 3],
            );
            let case = Case {
                id: format!("CR/9{:05}{k:02}/{:02}", c.oi, t0.year() % 100),
                ..case
            };
            c.link(&case)?;
            c.access(t0 + Duration::minutes(10), "RMS", p, Some(&case.id))?;
            c.deployed_visit(
                &format!("INC9{:05}{k:02}", c.oi),
                c.world.people[p].home,
                t0 + Duration::minutes(30),
                40,
            )?;
            closed + Duration::days(3 + c.below(20) as i64)
        } else {
            c.day(c.below((span * 3 / 4).max(1) as u64) as i64, 0, 0)
        };
        targets.push((person_number(p), start));
    }
    for _ in 0..(3 + c.below(3)) {
        let n = format!("075{:08}", c.below(100_000_000));
        strangers.push(format!("+44{}", &n[1..]));
        let start = c.day(c.below((span * 3 / 4).max(1) as u64) as i64, 0, 0);
        targets.push((n, start));
    }
    for (k, (n, start)) in targets.into_iter().enumerate() {
        let persistent = k < 2;
        let attempts = if persistent {
            12 + c.below(5)
        } else {
            4 + c.below(6)
        };
        let days = if persistent {
            30
        } else {
            7 + c.below(14) as i64
        };
        let mut replied = false;
        let (mut a, mut tries) = (0, 0);
        while a < attempts && tries < 4 * attempts {
            tries += 1;
            let day = (start + Duration::days(c.below(days as u64) as i64)).date();
            let Some(at) = c.off_duty_evening(day) else {
                continue;
            };
            if at >= c.world.end {
                continue;
            }
            a += 1;
            let call = persistent || c.chance(0.4);
            if call {
                let dur = if persistent || c.chance(0.7) {
                    c.below(5) as i64
                } else {
                    20 + c.below(120) as i64
                };
                c.bill(&n, "out", "call", at, Some(dur))?;
            } else {
                c.bill(&n, "out", "sms", at, None)?;
            }
            if !replied && a == 2 && !persistent && c.chance(0.3) {
                replied = true;
                c.bill(
                    &n,
                    "in",
                    "sms",
                    at + Duration::minutes(30 + c.below(200) as i64),
                    None,
                )?;
            }
        }
    }
    Ok(strangers)
}

/// The predatory style (s.8, "shark"): a victim of his own case is contacted within a
/// day, the contact escalates week on week to daily, at night and off duty, with her
/// replies (grooming works); he hands the case over but looks her record up again and
/// parks near her home. Weeks later a second, highly vulnerable woman met through a
/// PNC check gets the same treatment, faster.
fn shark(c: &mut Ctx<'_, '_>, w1: usize, w2: usize) -> Result<()> {
    let span = c.span();
    let Some((s0, _)) = c.shift_from(c.day(2 + c.below((span / 8).max(1) as u64) as i64, 0, 0))
    else {
        return Ok(());
    };
    let t0 = s0 + Duration::hours(2);
    let until = t0 + Duration::days(5 + c.below(4) as i64);
    let mut case = c.case(
        1,
        w1,
        "victim",
        t0,
        t0 + Duration::days(40 + c.below(30) as i64),
        "sexual_offence",
    );
    case.until = Some(until);
    c.link(&case)?;
    c.access(t0 + Duration::minutes(15), "RMS", w1, Some(&case.id))?;
    c.deployed_visit(
        &format!("INC9{:05}0", c.oi),
        c.world.people[w1].home,
        t0 + Duration::minutes(40),
        60,
    )?;
    pursue(c, w1, t0 + Duration::days(1), until)?;
    // A second woman, met through a PNC check on a stop, weeks later.
    let d2 = t0 + Duration::days((span / 3).max(25));
    if let Some((s, e)) = c.shift_from(d2) {
        let look = c.between(s + Duration::minutes(20), e - Duration::hours(1));
        c.w.access(&c.o.id.clone(), look, "PNC", "search", w2, None)?;
        pursue(c, w2, look + Duration::days(1 + c.below(2) as i64), look)?;
    }
    Ok(())
}

/// The shark's pursuit of one woman from `first`: weekly counts rising more than
/// threefold week on week, then near-daily contact; about a third of the events are hers; a
/// third at night; look-ups and undeployed stops near her home after `involved_until`.
fn pursue(
    c: &mut Ctx<'_, '_>,
    p: usize,
    first: NaiveDateTime,
    involved_until: NaiveDateTime,
) -> Result<()> {
    let n = person_number(p);
    let home = c.world.people[p].home;
    // The opening message, the evening after they met.
    let opening = first
        .date()
        .and_hms_opt(20, c.below(60) as u32, 0)
        .expect("time");
    c.bill(&n, "out", "sms", opening, None)?;
    let per_week = [
        5u64, 16, 30, 24, 18, 14, 12, 10, 10, 9, 9, 8, 8, 8, 8, 8, 8, 8, 8, 8,
    ];
    for (week, k) in per_week.iter().enumerate() {
        for _ in 0..*k {
            let day = (first + Duration::days(week as i64 * 7 + c.below(7) as i64)).date();
            let night = c.chance(0.35);
            let at = if night {
                day.and_hms_opt(22 + c.below(2) as u32, c.below(60) as u32, 0)
                    .expect("time")
            } else {
                day.and_hms_opt(12 + c.below(10) as u32, c.below(60) as u32, 0)
                    .expect("time")
            };
            c.contact(&n, at, mix(0.3, 0.6, 0.0, (60, 1500)))?;
        }
    }
    // After his involvement: look-ups without purpose and stops near her home.
    for k in 0..3 {
        let Some((s, e)) = c.shift_from(involved_until + Duration::days(3 + 9 * k)) else {
            break;
        };
        let t = c.between(s + Duration::minutes(10), e - Duration::hours(1));
        c.access(t, "RMS", p, None)?;
    }
    for k in 0..4 {
        let day = (involved_until + Duration::days(4 + 8 * k + c.below(4) as i64)).date();
        let at = day
            .and_hms_opt(21 + c.below(2) as u32, c.below(60) as u32, 0)
            .expect("time");
        c.stop_near(home, 20.0, 120.0, at, 30 + c.below(60) as i64)?;
    }
    Ok(())
}

/// Decoy: a domestic-abuse specialist's case load: five victims, each with an open case
/// of his for weeks, contacted often, both ways, on duty, visited (deployed).
fn decoy_da_specialist(c: &mut Ctx<'_, '_>, subjects: &[usize]) -> Result<()> {
    let span = c.span();
    for (k, &p) in subjects.iter().enumerate() {
        let d = (k as i64 * span / 6) + c.below(10) as i64;
        let Some((s, _)) = c.shift_from(c.day(d.min(span - 20), 0, 0)) else {
            continue;
        };
        let t0 = s + Duration::hours(1);
        let closed = t0 + Duration::days(40 + c.below(50) as i64);
        let case = c.case(k as u32, p, "victim", t0, closed, "domestic_abuse");
        c.link(&case)?;
        c.access(t0 + Duration::minutes(10), "RMS", p, Some(&case.id))?;
        let n = person_number(p);
        let home = c.world.people[p].home;
        let shifts: Vec<(NaiveDateTime, NaiveDateTime)> = c.life.shifts.clone();
        let mut turn = 0u32;
        for (j, (s, e)) in shifts.into_iter().enumerate() {
            if s < t0 || s > closed {
                continue;
            }
            let early = (s - t0).num_days() < 14;
            for _ in 0..(if early { 2 } else { c.below(2) }) {
                let at = c.between(s + Duration::minutes(15), e - Duration::minutes(15));
                if at > closed {
                    continue;
                }
                // Both ways: calls returned, messages answered.
                turn += 1;
                let secs = (!c.chance(0.3)).then(|| 120 + c.below(1200) as i64);
                c.exchange(&n, turn.is_multiple_of(2), at, secs)?;
            }
            if j % 5 == k % 5 {
                c.deployed_visit(
                    &format!("INC9{:05}{k}{j:04}", c.oi),
                    home,
                    s + Duration::hours(3),
                    60,
                )?;
            }
        }
    }
    Ok(())
}

/// Decoy: a vulnerable repeat caller; the neighbourhood officer is deployed to her
/// address again and again (each a short welfare case), and she rings him.
fn decoy_repeat_address(c: &mut Ctx<'_, '_>, p: usize) -> Result<()> {
    let home = c.world.people[p].home;
    let n = person_number(p);
    let shifts: Vec<(NaiveDateTime, NaiveDateTime)> = c.life.shifts.clone();
    let mut k = 0u32;
    for (j, (s, e)) in shifts.into_iter().enumerate() {
        if j % 4 != 1 || !c.chance(0.7) {
            continue;
        }
        let at = c.between(s + Duration::hours(1), e - Duration::hours(2));
        let case = Case {
            id: format!("CR/9{:05}{k:03}/{:02}", c.oi, at.year() % 100),
            ..c.case(
                0,
                p,
                "reporter",
                at - Duration::minutes(20),
                at + Duration::hours(6),
                "concern_for_welfare",
            )
        };
        c.link(&case)?;
        c.deployed_visit(&format!("INC9{:05}{k:03}", c.oi), home, at, 45)?;
        if c.chance(0.6) {
            c.bill(
                &n,
                "in",
                "call",
                at - Duration::minutes(40),
                Some(60 + c.below(400) as i64),
            )?;
        }
        k += 1;
    }
    Ok(())
}

/// A short case of the officer's with victim `p`, opened two hours into his first shift
/// from `1/at_part` of the period and closed `min_days` to `min_days + 9` days later,
/// linked and looked up on opening: (opened, closed). `None` without such a shift.
fn short_victim_case(
    c: &mut Ctx<'_, '_>,
    p: usize,
    at_part: i64,
    min_days: i64,
    kind: &'static str,
) -> Result<Option<(NaiveDateTime, NaiveDateTime)>> {
    let span = c.span();
    let Some((s, _)) = c.shift_from(c.day(span / at_part, 0, 0)) else {
        return Ok(None);
    };
    let t0 = s + Duration::hours(2);
    let closed = t0 + Duration::days(min_days + c.below(10) as i64);
    let case = c.case(1, p, "victim", t0, closed, kind);
    c.link(&case)?;
    c.access(t0 + Duration::minutes(10), "RMS", p, Some(&case.id))?;
    Ok(Some((t0, closed)))
}

/// Decoy: a victim's case closes; some days later (beyond the 7-day grace) the officer
/// calls once on duty with the court result, and she texts her thanks.
fn decoy_court_result(c: &mut Ctx<'_, '_>, p: usize) -> Result<()> {
    let Some((t0, closed)) = short_victim_case(c, p, 5, 15, "assault")? else {
        return Ok(());
    };
    let n = person_number(p);
    let shifts: Vec<(NaiveDateTime, NaiveDateTime)> = c.life.shifts.clone();
    for (s, e) in shifts
        .iter()
        .copied()
        .filter(|(s, _)| *s >= t0 && *s < closed)
    {
        let at = c.between(s + Duration::minutes(15), e - Duration::minutes(15));
        if c.chance(0.4) && at < closed {
            c.contact(&n, at, mix(0.4, 0.0, 0.0, (60, 600)))?;
        }
    }
    if let Some((s, e)) = c.shift_from(closed + Duration::days(9 + c.below(20) as i64)) {
        let at = c.between(s + Duration::minutes(30), e - Duration::hours(1));
        c.bill(&n, "out", "call", at, Some(180 + c.below(300) as i64))?;
        c.bill(&n, "in", "sms", at + Duration::minutes(30), None)?;
    }
    Ok(())
}

/// Decoy: she was the victim of his short case (a deployed visit when it opened) and
/// lives beside the hospital where every officer stops. After closure his vehicle is
/// near her home again and again, as every officer's is: his background stops at the
/// hospital, no more than anyone's. Nothing else.
fn decoy_beside_hospital(c: &mut Ctx<'_, '_>, p: usize) -> Result<()> {
    let Some((t0, _)) = short_victim_case(c, p, 8, 10, "domestic_abuse")? else {
        return Ok(());
    };
    let home = c.world.people[p].home;
    c.deployed_visit(&format!("INC9{:05}0", c.oi), home, t0, 45)
}

/// Decoy: three or four complaints within a year (incivility, service), nothing else.
fn decoy_complaints(c: &mut Ctx<'_, '_>) -> Result<()> {
    let span = c.span().min(330);
    for k in 0..(3 + c.below(2) as i64) {
        let d = k * span / 4 + c.below((span / 5).max(1) as u64) as i64;
        let at = c.day(d, 10 + c.below(6) as u32, 0);
        let category = ["incivility", "service", "conduct", "incivility"][k as usize];
        c.complaint(at, category)?;
    }
    Ok(())
}

/// Decoy: a partner's number on the work phone: one to three calls or texts a day, both
/// ways, mostly evenings and late at night, off duty, for the whole period.
fn decoy_partner(c: &mut Ctx<'_, '_>) -> Result<Vec<String>> {
    let n = format!("075{:08}", c.below(100_000_000));
    for d in 0..c.span() {
        for _ in 0..(1 + c.below(3)) {
            let late = c.chance(0.25);
            let at = if late {
                c.day(d, 22, c.below(100) as u32)
            } else {
                c.day(d, 17 + c.below(5) as u32, c.below(60) as u32)
            };
            if c.life.on_duty(at) {
                continue;
            }
            c.contact(&n, at, mix(0.5, 0.4, 0.0, (120, 2400)))?;
        }
    }
    Ok(vec![format!("+44{}", &n[1..])])
}
