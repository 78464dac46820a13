//! Style of an officer's warning signs (IOPC s.8, Sweeting & Cole's "sharks and
//! fishermen"), by the matrix's explicit rule, with its reason.

use super::PairResult;
use crate::link::Linked;
use crate::matrix::RiskMatrix;
use crate::sign::Sign;

/// The style of an officer's warning signs by the matrix's explicit rule.
pub(super) fn style(
    m: &RiskMatrix,
    l: &Linked,
    pairs: &[PairResult],
    idx: &[usize],
    n_flagged: usize,
) -> (Option<&'static str>, String) {
    let st = &m.style;
    let fired =
        |p: &PairResult, name: &str| p.findings.iter().any(|f| f.signal == name && f.fired());
    // Signs of pursuing someone by phone (after_closure alone is a court result).
    const CONTACT_SIGNS: [Sign; 5] = [
        Sign::ContactVolume,
        Sign::Escalation,
        Sign::OffDutyContact,
        Sign::NightContact,
        Sign::UnansweredPersistence,
    ];
    let wide: Vec<&PairResult> = idx
        .iter()
        .map(|i| &pairs[*i])
        .filter(|p| p.n_contacts > 0 && p.inbound_share <= st.exploratory_max_inbound_share)
        .filter(|p| {
            p.findings.iter().any(|f| {
                f.fired()
                    && CONTACT_SIGNS.contains(&f.signal)
                    && f.evidence.iter().any(|e| e.table == "billing")
            })
        })
        .collect();
    if wide.len() >= st.exploratory_min_subjects as usize {
        return (
            Some("exploratory"),
            format!(
                "{} subjects with a contact sign and at most {:.0}% of contact from them (at least {} needed)",
                wide.len(),
                st.exploratory_max_inbound_share * 100.0,
                st.exploratory_min_subjects
            ),
        );
    }
    if n_flagged >= 1 && n_flagged <= st.predatory_max_subjects as usize {
        for i in idx {
            let p = &pairs[*i];
            if p.score < m.signals.multiple_subjects.min_pair_score
                || !fired(p, Sign::VulnerableSubject.id())
            {
                continue;
            }
            let intense: Vec<&str> = st
                .predatory_signs
                .iter()
                .filter(|s| fired(p, s))
                .map(String::as_str)
                .collect();
            if intense.len() >= st.predatory_min_intense as usize {
                return (
                    Some("predatory"),
                    format!(
                        "vulnerable subject {} with {} ({} of the intense signs, at least {} needed); {} flagged subject(s), at most {}",
                        l.subjects[p.subject].id,
                        intense.join(", "),
                        intense.len(),
                        st.predatory_min_intense,
                        n_flagged,
                        st.predatory_max_subjects
                    ),
                );
            }
        }
    }
    (None, "neither style's rule holds".to_string())
}
