//! The twelve warning signs by id: the one table the risk matrix, the signals, scoring
//! and the outputs all read. A sign named anywhere else (a matrix's
//! `style.focused_signs`, a test) is looked up here, and an unknown id is an error.

use std::fmt;

/// A warning sign (IOPC *Learning the Lessons* 40; see `docs/signals.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Sign {
    ContactVolume,
    Escalation,
    OffDutyContact,
    NightContact,
    AfterClosure,
    UnansweredPersistence,
    StopNearHome,
    AccessWithoutPurpose,
    AccessThenContact,
    /// The aggravator: adds to the other signs of its pair.
    VulnerableSubject,
    MultipleSubjects,
    RepeatComplaints,
}

impl Sign {
    /// Pair-level signs, in output order (the contribution columns of `pairs`); the
    /// aggravator last, since it reads the others.
    pub const PAIR: [Sign; 10] = [
        Sign::ContactVolume,
        Sign::Escalation,
        Sign::OffDutyContact,
        Sign::NightContact,
        Sign::AfterClosure,
        Sign::UnansweredPersistence,
        Sign::StopNearHome,
        Sign::AccessWithoutPurpose,
        Sign::AccessThenContact,
        Sign::VulnerableSubject,
    ];

    /// Officer-level signs.
    pub const OFFICER: [Sign; 2] = [Sign::MultipleSubjects, Sign::RepeatComplaints];

    /// Every sign: the pair signs, then the officer signs.
    pub const ALL: [Sign; 12] = {
        let mut all = [Sign::ContactVolume; 12];
        let mut i = 0;
        while i < Sign::PAIR.len() {
            all[i] = Sign::PAIR[i];
            i += 1;
        }
        while i < all.len() {
            all[i] = Sign::OFFICER[i - Sign::PAIR.len()];
            i += 1;
        }
        all
    };

    /// The sign's id, as in the matrix, the outputs and `docs/signals.md`.
    /// How the sign's value meets its threshold when it fires (the `fires_when` column
    /// of `signals`): `access_then_contact` measures days from a look-up to contact,
    /// and fires at or below its threshold; every other sign at or above it.
    pub const fn fires_when(self) -> &'static str {
        match self {
            Sign::AccessThenContact => "value <= threshold",
            _ => "value >= threshold",
        }
    }

    pub const fn id(self) -> &'static str {
        match self {
            Sign::ContactVolume => "contact_volume",
            Sign::Escalation => "escalation",
            Sign::OffDutyContact => "off_duty_contact",
            Sign::NightContact => "night_contact",
            Sign::AfterClosure => "after_closure",
            Sign::UnansweredPersistence => "unanswered_persistence",
            Sign::StopNearHome => "stop_near_home",
            Sign::AccessWithoutPurpose => "access_without_purpose",
            Sign::AccessThenContact => "access_then_contact",
            Sign::VulnerableSubject => "vulnerable_subject",
            Sign::MultipleSubjects => "multiple_subjects",
            Sign::RepeatComplaints => "repeat_complaints",
        }
    }

    /// The sign of id `id`, if there is one.
    pub fn from_id(id: &str) -> Option<Sign> {
        Sign::ALL.into_iter().find(|s| s.id() == id)
    }

    /// A sign of one officer × subject pair (else of the officer).
    pub fn is_pair(self) -> bool {
        Sign::PAIR.contains(&self)
    }

    /// Its position in [`Sign::PAIR`] (the pair's contribution column).
    pub fn pair_index(self) -> Option<usize> {
        Sign::PAIR.iter().position(|s| *s == self)
    }
}

impl fmt::Display for Sign {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl PartialEq<&str> for Sign {
    fn eq(&self, id: &&str) -> bool {
        self.id() == *id
    }
}

impl PartialEq<str> for Sign {
    fn eq(&self, id: &str) -> bool {
        self.id() == id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_found_again() {
        for s in Sign::ALL {
            assert_eq!(Sign::from_id(s.id()), Some(s));
        }
        assert_eq!(Sign::from_id("contact_volumes"), None);
        let distinct: std::collections::BTreeSet<&str> = Sign::ALL.iter().map(|s| s.id()).collect();
        assert_eq!(distinct.len(), 12, "every sign once");
        assert_eq!(
            Sign::ALL[9],
            Sign::VulnerableSubject,
            "the aggravator ends the pair signs"
        );
        assert!(Sign::StopNearHome.is_pair() && !Sign::RepeatComplaints.is_pair());
    }
}
