//! The risk matrix: every number that changes a score, read from TOML (serde), with
//! unknown keys refused so a typo is an error, not a silent default. The default
//! matrix ships in `crates/apsp-core/matrices/default.toml` with the source of each
//! number; its SHA-256 goes in every manifest.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{ApspError, Result};
use crate::sign::Sign;

/// The default matrix's text.
pub const DEFAULT_TOML: &str = include_str!("../matrices/default.toml");

/// A risk matrix.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RiskMatrix {
    pub name: String,
    pub version: String,
    pub analysis: Analysis,
    pub signals: Signals,
    pub officer: OfficerAggregation,
    pub tiers: Tiers,
    pub style: Style,
    /// The nightly store's alerts (a matrix without the section takes the defaults).
    #[serde(default)]
    pub alerts: Alerts,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Analysis {
    pub window_days: u32,
    pub reply_hours: u32,
    pub intensity_cap: f64,
    pub no_record_factor: f64,
    /// The roster covers a time when a shift of the officer's starts within this many
    /// days of it.
    pub roster_cover_days: u32,
    /// A stop or deployment of the officer within this many minutes of a contact shows
    /// him working, whatever the roster says.
    pub working_margin_minutes: u32,
    /// Contact with this many other subjects of his cases within the margin shows him
    /// working too.
    pub working_case_subjects: u32,
    /// An involvement left open stops explaining events this many days after it opened.
    pub open_case_days: u32,
    /// The default reference time sets aside the latest events when they follow a gap
    /// of more than this many days and are few (see `score::reference`).
    pub reference_gap_days: u32,
    /// "Few": at most the larger of this many events and
    /// `reference_outlier_share` of all events (and fewer than the events before).
    pub reference_outlier_events: u32,
    pub reference_outlier_share: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Signals {
    pub contact_volume: ContactVolume,
    pub escalation: Escalation,
    pub off_duty_contact: MinEvents,
    pub night_contact: NightContact,
    pub after_closure: AfterClosure,
    pub unanswered_persistence: Unanswered,
    pub stop_near_home: StopNearHome,
    pub access_without_purpose: AccessWithoutPurpose,
    pub access_then_contact: AccessThenContact,
    pub vulnerable_subject: Vulnerable,
    pub multiple_subjects: MultipleSubjects,
    pub repeat_complaints: RepeatComplaints,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ContactVolume {
    pub weight: f64,
    pub window_days: u32,
    pub min_contacts: u32,
    pub peer_quantile: f64,
    pub min_peers: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Escalation {
    pub weight: f64,
    pub burst_days: u32,
    pub burst_min: u32,
    pub growth_min: f64,
    pub growth_min_week: u32,
    /// The period of "week-on-week" growth.
    pub week_days: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MinEvents {
    pub weight: f64,
    pub min_events: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NightContact {
    pub weight: f64,
    pub start_hour: u32,
    pub end_hour: u32,
    pub min_events: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AfterClosure {
    pub weight: f64,
    pub grace_days: u32,
    pub min_events: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Unanswered {
    pub weight: f64,
    pub short_seconds: i64,
    pub min_short_calls: u32,
    pub max_inbound_share: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StopNearHome {
    pub weight: f64,
    pub radius_m: f64,
    /// The place's background is counted within this radius of the home.
    pub around_m: f64,
    /// The place is also judged this near the home: a car parked at the address.
    pub door_m: f64,
    pub min_stops: u32,
    /// The largest binomial tail probability that counts as unusual for the place.
    pub max_p_value: f64,
    /// How many times what the place predicts his stops must be: "far more often".
    pub min_ratio: f64,
    /// Without a tie to the subject (no case, contact or look-up): at least this many
    /// stops, at least `untied_min_ratio` times what the place predicts.
    pub untied_min_stops: u32,
    pub untied_min_ratio: f64,
    /// Weight, in stops, of the area's share `(radius_m / around_m)²` in the place's
    /// share (a home nobody else passes has no background of its own).
    pub prior_stops: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AccessWithoutPurpose {
    pub weight: f64,
    pub min_events: u32,
    /// A purpose reference names a case of the officer's from this many days before it
    /// opened to this many days after his involvement ended.
    pub purpose_grace_days: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AccessThenContact {
    pub weight: f64,
    pub max_days: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Vulnerable {
    pub weight: f64,
    pub young_person_weight: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MultipleSubjects {
    pub weight: f64,
    pub min_subjects: u32,
    pub min_pair_score: f64,
}

/// `repeat_complaints`: complaints raise the officer's contact-based score, never
/// stand in for it. Fired at `min_complaints` in `window_days`, it adds `weight` ×
/// min(Σ category weights / `min_complaints`, `intensity_cap`) × max(the pairs' part of
/// his score, `min_base`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RepeatComplaints {
    pub weight: f64,
    pub window_days: u32,
    pub min_complaints: u32,
    /// The pairs' part the boost applies to is at least this (an officer with no pair
    /// scoring gets `weight` × intensity × `min_base` from complaints alone).
    pub min_base: f64,
    /// The weight of a complaint whose category contains none of `category_weights`'
    /// keys (or has none).
    pub other_weight: f64,
    /// Key → weight of a complaint whose category, lower-cased with every run of other
    /// characters than letters and digits made one `_`, contains the key (the largest
    /// weight when several do).
    pub category_weights: BTreeMap<String, f64>,
}

impl RepeatComplaints {
    /// The weight of a complaint of `category`.
    pub fn category_weight(&self, category: Option<&str>) -> f64 {
        let Some(c) = category.map(category_key) else {
            return self.other_weight;
        };
        self.category_weights
            .iter()
            .filter(|(k, _)| c.contains(k.as_str()))
            .map(|(_, w)| *w)
            .reduce(f64::max)
            .unwrap_or(self.other_weight)
    }
}

/// A complaint category as the keys of `category_weights` are written: lower case,
/// each run of other characters than letters and digits one `_`, none at either end
/// ("Sexual misconduct" → `sexual_misconduct`).
pub fn category_key(category: &str) -> String {
    let mut key = String::with_capacity(category.len());
    for ch in category.trim().chars() {
        if ch.is_alphanumeric() {
            key.extend(ch.to_lowercase());
        } else if !key.is_empty() && !key.ends_with('_') {
            key.push('_');
        }
    }
    key.trim_end_matches('_').to_string()
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OfficerAggregation {
    pub top_pairs: u32,
    pub decay: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Tiers {
    pub high: f64,
    pub medium: f64,
    pub low: f64,
}

/// When the nightly store raises and escalates an alert. Changes no score.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Alerts {
    /// The lowest tier that raises an alert: `low`, `medium` or `high`.
    pub tier: String,
    /// A reviewed alert escalates when its score rises this many points over its
    /// score at the review (or crosses a tier above it).
    pub escalation_margin: f64,
}

impl Default for Alerts {
    fn default() -> Self {
        Alerts {
            tier: "medium".to_string(),
            escalation_margin: 4.0,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Style {
    /// `wide-net`: the signs of pursuit by phone (without a plain reading alone) of
    /// which one must have fired on a subject in police records...
    pub wide_net_signs: Vec<String>,
    /// ... for at least this many subjects ...
    pub wide_net_min_subjects: u32,
    /// ... each giving at most this share of the contact.
    pub wide_net_max_inbound_share: f64,
    /// `focused`: the intense signs, of which at least `focused_min_intense` fired on a
    /// flagged pair with a vulnerable subject...
    pub focused_signs: Vec<String>,
    /// ... at least one of them one of these (a sign about her: the others have a plain
    /// reading alone), ...
    pub focused_anchor_signs: Vec<String>,
    pub focused_min_intense: u32,
    /// ... with at most this many flagged subjects.
    pub focused_max_subjects: u32,
}

/// A value to set in a matrix (see [`RiskMatrix::edit`]).
#[derive(Debug, Clone, PartialEq)]
pub enum MatrixValue {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<String>),
}

/// A matrix with where it came from and its hash.
#[derive(Debug, Clone)]
pub struct LoadedMatrix {
    pub matrix: RiskMatrix,
    /// `default` or the file path.
    pub source: String,
    /// SHA-256 of the TOML text.
    pub sha256: String,
}

/// A TOML reader's message with the Rust type names it quotes put in words: "invalid
/// type: string \"heavy\", expected f64" reads "..., expected a number".
fn in_plain_words(message: &str) -> String {
    [
        ("expected f64", "expected a number"),
        ("expected u32", "expected a whole number of at least 0"),
        ("expected u64", "expected a whole number of at least 0"),
        ("expected i64", "expected a whole number"),
        ("expected usize", "expected a whole number of at least 0"),
    ]
    .iter()
    .fold(message.to_string(), |m, (rust, words)| {
        m.replace(rust, words)
    })
}

impl RiskMatrix {
    /// The default matrix.
    pub fn default_matrix() -> LoadedMatrix {
        RiskMatrix::parse(DEFAULT_TOML, "default").expect("the shipped matrix is valid")
    }

    /// The matrix in `path`, or the default one.
    pub fn load_or_default(path: Option<&Path>) -> Result<LoadedMatrix> {
        path.map_or_else(|| Ok(RiskMatrix::default_matrix()), RiskMatrix::load)
    }

    /// Reads a matrix from a TOML file.
    pub fn load(path: &Path) -> Result<LoadedMatrix> {
        let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => ApspError::NotFound {
                what: "risk matrix",
                path: path.to_path_buf(),
            },
            _ => ApspError::io(path, e),
        })?;
        RiskMatrix::parse(&text, &path.display().to_string())
    }

    /// Parses and checks a matrix.
    pub fn parse(text: &str, source: &str) -> Result<LoadedMatrix> {
        let err = |message: String| ApspError::Matrix {
            source_name: source.to_string(),
            line: None,
            message,
        };
        let matrix: RiskMatrix =
            toml::from_str(text).map_err(|e: toml::de::Error| ApspError::Matrix {
                source_name: source.to_string(),
                line: crate::error::toml_line(text, e.span()),
                message: in_plain_words(&e.to_string()),
            })?;
        matrix.check().map_err(err)?;
        Ok(LoadedMatrix {
            matrix,
            source: source.to_string(),
            sha256: hex::encode(Sha256::digest(text.as_bytes())),
        })
    }

    /// Sets `key` (dotted: `signals.contact_volume.weight`) in a matrix's TOML text to
    /// `value`, keeping every comment (the sources of the numbers) and the layout, and
    /// checks the result. Only existing keys can be set: a misspelt key is an error,
    /// never a silently ignored setting.
    pub fn edit(text: &str, key: &str, value: MatrixValue, source: &str) -> Result<String> {
        let err = |message: String| ApspError::Matrix {
            source_name: source.to_string(),
            line: None,
            message,
        };
        let mut doc: toml_edit::DocumentMut =
            text.parse()
                .map_err(|e: toml_edit::TomlError| ApspError::Matrix {
                    source_name: source.to_string(),
                    line: crate::error::toml_line(text, e.span()),
                    message: e.to_string(),
                })?;
        let parts: Vec<&str> = key.split('.').collect();
        let (last, path) = parts.split_last().expect("split gives one part at least");
        let mut table: &mut dyn toml_edit::TableLike = doc.as_table_mut();
        for (i, p) in path.iter().enumerate() {
            table = table
                .get_mut(p)
                .and_then(|t| t.as_table_like_mut())
                .ok_or_else(|| err(format!("no table {} in the matrix", parts[..=i].join("."))))?;
        }
        let old = table
            .get_mut(last)
            .and_then(|v| v.as_value_mut())
            .ok_or_else(|| err(format!("no key {key} in the matrix")))?;
        let mut new: toml_edit::Value = match value {
            MatrixValue::Bool(b) => b.into(),
            MatrixValue::Int(i) => i.into(),
            MatrixValue::Float(f) => f.into(),
            MatrixValue::Str(s) => s.into(),
            MatrixValue::List(l) => l.iter().collect::<toml_edit::Array>().into(),
        };
        *new.decor_mut() = old.decor().clone();
        *old = new;
        let text = doc.to_string();
        RiskMatrix::parse(&text, source).map(|_| text)
    }

    /// The matrix as TOML (for saving an edited matrix).
    pub fn to_toml(&self) -> Result<String> {
        toml::to_string_pretty(self).map_err(|e| ApspError::Matrix {
            source_name: self.name.clone(),
            line: None,
            message: e.to_string(),
        })
    }

    /// The weight of `sign` (every sign has one: an unknown sign cannot be asked for).
    pub fn weight(&self, sign: Sign) -> f64 {
        let s = &self.signals;
        match sign {
            Sign::ContactVolume => s.contact_volume.weight,
            Sign::Escalation => s.escalation.weight,
            Sign::OffDutyContact => s.off_duty_contact.weight,
            Sign::NightContact => s.night_contact.weight,
            Sign::AfterClosure => s.after_closure.weight,
            Sign::UnansweredPersistence => s.unanswered_persistence.weight,
            Sign::StopNearHome => s.stop_near_home.weight,
            Sign::AccessWithoutPurpose => s.access_without_purpose.weight,
            Sign::AccessThenContact => s.access_then_contact.weight,
            Sign::VulnerableSubject => s.vulnerable_subject.weight,
            Sign::MultipleSubjects => s.multiple_subjects.weight,
            Sign::RepeatComplaints => s.repeat_complaints.weight,
        }
    }

    fn check(&self) -> std::result::Result<(), String> {
        let s = &self.signals;
        let young = (
            "vulnerable_subject.young_person_weight",
            s.vulnerable_subject.young_person_weight,
        );
        let weights = Sign::ALL
            .into_iter()
            .map(|sign| (sign.id(), self.weight(sign)))
            .chain([young]);
        for (name, w) in weights {
            if !w.is_finite() || w < 0.0 {
                return Err(format!(
                    "signals.{name}.weight = {w}: a weight is a number >= 0"
                ));
            }
        }
        let unit = |name: &str, x: f64| {
            if (0.0..=1.0).contains(&x) {
                Ok(())
            } else {
                Err(format!("{name} = {x}: expected a share between 0 and 1"))
            }
        };
        unit(
            "signals.contact_volume.peer_quantile",
            s.contact_volume.peer_quantile,
        )?;
        unit(
            "signals.unanswered_persistence.max_inbound_share",
            s.unanswered_persistence.max_inbound_share,
        )?;
        unit("officer.decay", self.officer.decay)?;
        unit("analysis.no_record_factor", self.analysis.no_record_factor)?;
        unit(
            "analysis.reference_outlier_share",
            self.analysis.reference_outlier_share,
        )?;
        unit(
            "style.wide_net_max_inbound_share",
            self.style.wide_net_max_inbound_share,
        )?;
        check_complaints(&s.repeat_complaints)?;
        if s.night_contact.start_hour > 23 || s.night_contact.end_hour > 23 {
            return Err("signals.night_contact hours are 0-23".into());
        }
        if !(s.stop_near_home.radius_m > 0.0 && s.stop_near_home.radius_m <= 5_000.0) {
            return Err(format!(
                "signals.stop_near_home.radius_m = {}: expected metres in (0, 5000]",
                s.stop_near_home.radius_m
            ));
        }
        let near = &s.stop_near_home;
        if !(near.around_m >= 2.0 * near.radius_m && near.around_m <= 50_000.0) {
            return Err(format!(
                "signals.stop_near_home.around_m = {}: expected metres in [2 x radius_m, 50000]",
                near.around_m
            ));
        }
        if !(near.door_m > 0.0 && near.door_m < near.radius_m) {
            return Err(format!(
                "signals.stop_near_home.door_m = {}: expected metres in (0, radius_m)",
                near.door_m
            ));
        }
        if !(near.max_p_value > 0.0 && near.max_p_value < 1.0) {
            return Err(format!(
                "signals.stop_near_home.max_p_value = {}: expected a probability in (0, 1)",
                near.max_p_value
            ));
        }
        if !(near.prior_stops >= 0.0 && near.prior_stops.is_finite()) {
            return Err(format!(
                "signals.stop_near_home.prior_stops = {}: expected a count of at least 0",
                near.prior_stops
            ));
        }
        if self.analysis.window_days == 0 || s.contact_volume.window_days == 0 {
            return Err("window_days must be at least 1".into());
        }
        if self.analysis.reference_gap_days == 0 {
            return Err("analysis.reference_gap_days must be at least 1".into());
        }
        if self.analysis.intensity_cap < 1.0 {
            return Err("analysis.intensity_cap must be at least 1".into());
        }
        self.check_counts()?;
        if !["low", "medium", "high"].contains(&self.alerts.tier.as_str()) {
            return Err(format!(
                "alerts.tier must be low, medium or high, not {:?}",
                self.alerts.tier
            ));
        }
        if !(self.alerts.escalation_margin.is_finite() && self.alerts.escalation_margin >= 0.0) {
            return Err("alerts.escalation_margin must be a number of points, 0 or more".into());
        }
        if !(self.tiers.high >= self.tiers.medium && self.tiers.medium >= self.tiers.low) {
            return Err("tiers must satisfy high >= medium >= low".into());
        }
        self.check_style()
    }

    /// Every count a sign must reach is at least 1, and the growth factor above 0: a
    /// threshold of 0 would fire on nothing and divide intensities by 0.
    fn check_counts(&self) -> std::result::Result<(), String> {
        let s = &self.signals;
        let counts = [
            (
                "signals.contact_volume.min_contacts",
                s.contact_volume.min_contacts,
            ),
            ("signals.escalation.burst_min", s.escalation.burst_min),
            (
                "signals.escalation.growth_min_week",
                s.escalation.growth_min_week,
            ),
            ("signals.escalation.week_days", s.escalation.week_days),
            (
                "analysis.working_case_subjects",
                self.analysis.working_case_subjects,
            ),
            (
                "signals.off_duty_contact.min_events",
                s.off_duty_contact.min_events,
            ),
            (
                "signals.night_contact.min_events",
                s.night_contact.min_events,
            ),
            (
                "signals.after_closure.min_events",
                s.after_closure.min_events,
            ),
            (
                "signals.unanswered_persistence.min_short_calls",
                s.unanswered_persistence.min_short_calls,
            ),
            (
                "signals.stop_near_home.min_stops",
                s.stop_near_home.min_stops,
            ),
            (
                "signals.access_without_purpose.min_events",
                s.access_without_purpose.min_events,
            ),
            (
                "signals.multiple_subjects.min_subjects",
                s.multiple_subjects.min_subjects,
            ),
            (
                "signals.repeat_complaints.min_complaints",
                s.repeat_complaints.min_complaints,
            ),
        ];
        if let Some((name, _)) = counts.iter().find(|(_, v)| *v == 0) {
            return Err(format!("{name} = 0: expected a count of at least 1"));
        }
        if !(s.escalation.growth_min > 0.0 && s.escalation.growth_min.is_finite()) {
            return Err(format!(
                "signals.escalation.growth_min = {}: expected a factor above 0",
                s.escalation.growth_min
            ));
        }
        Ok(())
    }

    fn check_style(&self) -> std::result::Result<(), String> {
        let st = &self.style;
        for (key, signs) in [
            ("wide_net_signs", &st.wide_net_signs),
            ("focused_signs", &st.focused_signs),
        ] {
            if let Some(sign) = signs
                .iter()
                .find(|s| !Sign::from_id(s).is_some_and(Sign::is_pair))
            {
                return Err(format!("style.{key}: {sign:?} is not a pair warning sign"));
            }
        }
        if st.focused_anchor_signs.is_empty() {
            return Err(
                "style.focused_anchor_signs: name at least one sign about the subject, \
                 or the style could rest on signs with a plain reading alone"
                    .into(),
            );
        }
        for sign in &st.focused_anchor_signs {
            if !st.focused_signs.contains(sign) {
                return Err(format!(
                    "style.focused_anchor_signs: {sign:?} is not one of style.focused_signs"
                ));
            }
        }
        Ok(())
    }

    /// The lowest score of a tier (`none`: 0).
    pub fn tier_floor(&self, tier: &str) -> f64 {
        match tier {
            "high" => self.tiers.high,
            "medium" => self.tiers.medium,
            "low" => self.tiers.low,
            _ => 0.0,
        }
    }

    /// The tier of a score.
    pub fn tier(&self, score: f64) -> &'static str {
        if score >= self.tiers.high {
            "high"
        } else if score >= self.tiers.medium {
            "medium"
        } else if score >= self.tiers.low {
            "low"
        } else {
            "none"
        }
    }
}

/// The complaint weights are shares of one complaint, the keys written as they match.
fn check_complaints(rc: &RepeatComplaints) -> std::result::Result<(), String> {
    let share = |name: String, x: f64| {
        if (0.0..=1.0).contains(&x) {
            Ok(())
        } else {
            Err(format!(
                "signals.repeat_complaints.{name} = {x}: a complaint weighs between 0 and 1"
            ))
        }
    };
    share("other_weight".into(), rc.other_weight)?;
    for (k, w) in &rc.category_weights {
        share(format!("category_weights.{k}"), *w)?;
        if k.is_empty() || *k != category_key(k) {
            return Err(format!(
                "signals.repeat_complaints.category_weights: key {k:?} can never match; write it as {:?} (lower case, words joined by _)",
                category_key(k)
            ));
        }
    }
    if !(rc.min_base >= 0.0 && rc.min_base.is_finite()) {
        return Err(format!(
            "signals.repeat_complaints.min_base = {}: expected a score of at least 0",
            rc.min_base
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A count of 0 fired on nothing but was raised to 1 in the code (`Finding::count`),
    /// and `burst_min = 0` or `growth_min = 0` divided intensities by 0: refused.
    #[test]
    fn counts_of_zero_are_refused() {
        for (key, value) in [
            ("signals.escalation.burst_min", MatrixValue::Int(0)),
            ("signals.escalation.growth_min", MatrixValue::Float(0.0)),
            ("signals.off_duty_contact.min_events", MatrixValue::Int(0)),
            ("signals.stop_near_home.min_stops", MatrixValue::Int(0)),
        ] {
            let err = RiskMatrix::edit(DEFAULT_TOML, key, value, "test").unwrap_err();
            assert!(err.to_string().contains(key), "{key}: {err}");
        }
    }

    #[test]
    fn edits_keep_comments_and_are_checked() {
        let text = DEFAULT_TOML;
        let edited = RiskMatrix::edit(
            text,
            "signals.contact_volume.weight",
            MatrixValue::Float(4.5),
            "test",
        )
        .unwrap();
        let m = RiskMatrix::parse(&edited, "test").unwrap().matrix;
        assert_eq!(m.signals.contact_volume.weight, 4.5);
        // Every comment line survives.
        let comments = |t: &str| {
            t.lines()
                .filter(|l| l.trim_start().starts_with('#'))
                .count()
        };
        assert_eq!(comments(&edited), comments(text));
        // Only the one line changed.
        let changed: Vec<_> = text
            .lines()
            .zip(edited.lines())
            .filter(|(a, b)| a != b)
            .collect();
        assert_eq!(changed.len(), 1, "{changed:?}");
        assert!(changed[0].1.contains("4.5"));
        // Unknown keys and bad values are errors.
        let e = RiskMatrix::edit(
            text,
            "signals.contact_volume.wieght",
            MatrixValue::Float(1.0),
            "t",
        );
        assert!(e
            .unwrap_err()
            .to_string()
            .contains("no key signals.contact_volume.wieght"));
        let e = RiskMatrix::edit(text, "signals.nope.weight", MatrixValue::Float(1.0), "t");
        assert!(e.unwrap_err().to_string().contains("no table signals.nope"));
        assert!(RiskMatrix::edit(
            text,
            "signals.contact_volume.weight",
            MatrixValue::Float(-1.0),
            "t"
        )
        .is_err());
        assert!(RiskMatrix::edit(
            text,
            "signals.contact_volume.weight",
            MatrixValue::Str("x".into()),
            "t"
        )
        .is_err());
    }

    #[test]
    fn default_matrix_loads_and_round_trips() {
        let m = RiskMatrix::default_matrix();
        assert_eq!(m.source, "default");
        assert_eq!(m.sha256.len(), 64);
        let again = RiskMatrix::parse(&m.matrix.to_toml().unwrap(), "x").unwrap();
        assert_eq!(again.matrix, m.matrix);
    }

    #[test]
    fn complaint_categories_weigh_by_the_keys_they_contain() {
        let rc = RiskMatrix::default_matrix()
            .matrix
            .signals
            .repeat_complaints;
        assert_eq!(
            category_key("  Sexual misconduct -- colleague "),
            "sexual_misconduct_colleague"
        );
        let w = |c: &str| rc.category_weight(Some(c));
        assert_eq!(w("Sexual misconduct"), 1.0);
        // The largest of the keys it contains: "misconduct" contains "conduct".
        assert_eq!(w("sexual_misconduct"), 1.0);
        assert_eq!(w("Abuse of position"), 0.75);
        assert_eq!(w("Improper relationship"), 0.75);
        assert_eq!(w("Discreditable conduct"), 0.2);
        assert_eq!(w("incivility"), 0.2);
        assert_eq!(w("parking"), rc.other_weight);
        assert_eq!(rc.category_weight(None), rc.other_weight);
        let bad = DEFAULT_TOML.replace("incivility = 0.2", "incivility = 1.5");
        let e = RiskMatrix::parse(&bad, "m.toml").unwrap_err().to_string();
        assert!(e.contains("category_weights.incivility = 1.5"), "{e}");
        let bad = DEFAULT_TOML.replace("incivility = 0.2", "Incivility = 0.2");
        let e = RiskMatrix::parse(&bad, "m.toml").unwrap_err().to_string();
        assert!(
            e.contains("can never match") && e.contains("\"incivility\""),
            "{e}"
        );
        let bad = DEFAULT_TOML.replace("min_base = 1.0", "min_base = -1.0");
        assert!(RiskMatrix::parse(&bad, "m.toml").is_err());
        // A category weight is edited by its dotted key, comments kept.
        let edited = RiskMatrix::edit(
            DEFAULT_TOML,
            "signals.repeat_complaints.category_weights.intelligence",
            MatrixValue::Float(0.6),
            "t",
        )
        .unwrap();
        let m = RiskMatrix::parse(&edited, "t").unwrap().matrix;
        assert_eq!(
            m.signals
                .repeat_complaints
                .category_weight(Some("Intelligence")),
            0.6
        );
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors() {
        let bad = DEFAULT_TOML.replace("radius_m = 150.0", "radius_metres = 150.0");
        let e = RiskMatrix::parse(&bad, "m.toml").unwrap_err().to_string();
        assert!(e.contains("m.toml") && e.contains("radius_metres"), "{e}");
        let bad = DEFAULT_TOML.replace("peer_quantile = 0.99", "peer_quantile = 99");
        let e = RiskMatrix::parse(&bad, "m.toml").unwrap_err().to_string();
        assert!(e.contains("peer_quantile"), "{e}");
        let bad = DEFAULT_TOML.replace("weight = 3.0", "weight = -1.0");
        assert!(RiskMatrix::parse(&bad, "m.toml").is_err());
    }

    #[test]
    fn a_focused_style_needs_a_sign_about_the_subject_among_its_signs() {
        let anchors = r#"focused_anchor_signs = ["stop_near_home", "access_then_contact"]"#;
        assert!(DEFAULT_TOML.contains(anchors));
        let e = |text: String| RiskMatrix::parse(&text, "m.toml").unwrap_err().to_string();
        let none = e(DEFAULT_TOML.replace(anchors, "focused_anchor_signs = []"));
        assert!(none.contains("style.focused_anchor_signs"), "{none}");
        let stray = e(DEFAULT_TOML.replace(
            anchors,
            r#"focused_anchor_signs = ["unanswered_persistence"]"#,
        ));
        assert!(
            stray.contains("is not one of style.focused_signs"),
            "{stray}"
        );
        // The old names are refused, not silently ignored.
        let old = e(DEFAULT_TOML.replace("focused_signs =", "predatory_signs ="));
        assert!(old.contains("predatory_signs"), "{old}");
    }
}
