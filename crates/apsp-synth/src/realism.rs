//! Realism settings: the shapes of real force data that a clean synthetic force lacks
//! (the warning-sign specification's "what real data looks like"). Each setting is off
//! in [`Realism::default`], which keeps the generator's historical output byte for byte;
//! [`Realism::preset`] turns them on together (`real-town`, `rural`).
//!
//! Every draw a setting needs comes from streams of its own, so turning one setting on
//! changes only what that setting is about (e.g. `no_durations` blanks durations and
//! leaves every other row as it was).

use std::str::FromStr;

use apsp_core::error::{ApspError, Result};

/// Where undeployed background patrol stops happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StopGeography {
    /// Only around 12 hotspots (each town centre, its hospital and custody suite), and
    /// planted subjects' homes are kept 800 m away from them: the historical default.
    /// A place where many officers stop is then always a hotspot.
    #[default]
    Hotspots,
    /// As in a real town: patrol, refreshment and paperwork stops happen in every
    /// street as well as at the hotspots, so an ordinary home sees dozens of different
    /// officers stop within 150 m over a year; everyone stops at the hospitals and
    /// custody suites; planted homes are placed like anyone's. Adds the decoy
    /// `decoy_beside_hospital`.
    TownWide,
    /// A rural force: sixteen villages over about 110 × 100 km, few officers per area,
    /// patrols drive further between stops (about half as many stops), most stops
    /// anywhere along the roads of the area; one hospital and custody suite in the
    /// main town.
    SparseRural,
}

impl StopGeography {
    pub fn name(self) -> &'static str {
        match self {
            StopGeography::Hotspots => "hotspots",
            StopGeography::TownWide => "town-wide",
            StopGeography::SparseRural => "rural",
        }
    }
}

impl FromStr for StopGeography {
    type Err = ApspError;
    fn from_str(s: &str) -> Result<Self> {
        match s.replace('_', "-").as_str() {
            "hotspots" => Ok(StopGeography::Hotspots),
            "town-wide" | "town" => Ok(StopGeography::TownWide),
            "rural" | "sparse-rural" => Ok(StopGeography::SparseRural),
            _ => Err(ApspError::Setting {
                name: "stops",
                value: s.to_string(),
                message: "one of hotspots, town-wide, rural".to_string(),
            }),
        }
    }
}

/// The realism settings of a synthetic force. Shares are probabilities in [0, 1].
/// Planted scenarios keep their defining facts under every setting: planted and decoy
/// officers and their subjects are exempt from the settings that would blur a fact the
/// labels state (no-duration carriers, pooled phones, partial rosters, duplicate records,
/// shared numbers, clock skew), and background noise is kept off decoys' own subjects.
#[derive(Debug, Clone, PartialEq)]
pub struct Realism {
    /// Where undeployed background stops happen (see [`StopGeography`]).
    pub stops: StopGeography,
    /// Share of members of the public who live at another person's address (partners,
    /// families, lodgers). Every planted subject then also lives with someone who is a
    /// suspect on another officer's case, with that officer's deployed visits to the
    /// address: real victims often live with a suspect of someone else's case.
    pub households: f64,
    /// Share of persons with a second record (another person id, same date of birth,
    /// address and number): force systems hold duplicates. Background persons only.
    pub duplicate_persons: f64,
    /// Share of persons whose number is also recorded for a second person (a household
    /// or family phone). Background persons only.
    pub shared_numbers: f64,
    /// Share of officers whose team shares a pooled phone (one device number, several
    /// officers in `devices`); half of their public and case calls go through it.
    pub pooled_phones: f64,
    /// Share of devices whose carrier exports no call durations (`duration_s` blank on
    /// every call of that device).
    pub no_durations: f64,
    /// Share of officers whose roster export covers only a part (30–80 %) of the window.
    pub partial_rosters: f64,
    /// Share of case contacts that fall in overtime the roster does not show (20 min–3 h
    /// after the rostered end). 0.03 in every force (the historical value).
    pub overtime: f64,
    /// Share of background cases never closed in the system (closed_at blank), and
    /// the chance per officer of a case left open for years (opened 2–10 years before
    /// the period, never closed).
    pub stale_cases: f64,
    /// Share of vehicles whose clock is wrong by years (a stretch of their stops dated
    /// 12 years ahead, in 2038, or 20 years behind).
    pub clock_skew: f64,
    /// Latitude (degrees north) of the force's main town; `None`: the historical
    /// 52.95° N (East Midlands). Distances on the ground stay the same.
    pub latitude: Option<f64>,
}

impl Default for Realism {
    fn default() -> Self {
        Realism {
            stops: StopGeography::Hotspots,
            households: 0.0,
            duplicate_persons: 0.0,
            shared_numbers: 0.0,
            pooled_phones: 0.0,
            no_durations: 0.0,
            partial_rosters: 0.0,
            overtime: 0.03,
            stale_cases: 0.0,
            clock_skew: 0.0,
            latitude: None,
        }
    }
}

/// The names [`Realism::preset`] accepts.
pub const PRESETS: [&str; 3] = ["clean", "real-town", "rural"];

impl Realism {
    /// A preset: `clean` (the default: hotspots only, every other setting off),
    /// `real-town` (town-wide stops and every realistic setting on), `rural` (as
    /// `real-town` with sparse rural stops).
    pub fn preset(name: &str) -> Result<Realism> {
        let real = Realism {
            stops: StopGeography::TownWide,
            households: 0.3,
            duplicate_persons: 0.03,
            shared_numbers: 0.02,
            pooled_phones: 0.05,
            no_durations: 0.15,
            partial_rosters: 0.2,
            overtime: 0.1,
            stale_cases: 0.05,
            clock_skew: 0.01,
            latitude: None,
        };
        match name.replace('_', "-").as_str() {
            "clean" | "default" => Ok(Realism::default()),
            "real-town" => Ok(real),
            "rural" => Ok(Realism {
                stops: StopGeography::SparseRural,
                ..real
            }),
            _ => Err(ApspError::Setting {
                name: "realism",
                value: name.to_string(),
                message: format!("one of {}", PRESETS.join(", ")),
            }),
        }
    }

    /// Checks the shares and the latitude.
    pub fn check(&self) -> Result<()> {
        for (name, v) in [
            ("households", self.households),
            ("duplicate_persons", self.duplicate_persons),
            ("shared_numbers", self.shared_numbers),
            ("pooled_phones", self.pooled_phones),
            ("no_durations", self.no_durations),
            ("partial_rosters", self.partial_rosters),
            ("overtime", self.overtime),
            ("stale_cases", self.stale_cases),
            ("clock_skew", self.clock_skew),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(ApspError::Setting {
                    name,
                    value: v.to_string(),
                    message: "a share between 0 and 1".to_string(),
                });
            }
        }
        if let Some(l) = self.latitude {
            if !(49.0..=61.0).contains(&l) {
                return Err(ApspError::Setting {
                    name: "latitude",
                    value: l.to_string(),
                    message: "degrees north within the UK (49 to 61)".to_string(),
                });
            }
        }
        Ok(())
    }

    /// Whether stops happen away from the hotspots (town-wide or rural): planted homes
    /// are then placed like anyone's, and the special places decoy is planted.
    pub fn stops_everywhere(&self) -> bool {
        self.stops != StopGeography::Hotspots
    }
}
