//! Style of an officer's warning signs (the two patterns of IOPC s.8; the source's own
//! terms are in `docs/signals.md`), by the matrix's explicit rule, with its reason. A
//! style names what the signs describe — `wide-net` (many subjects pursued, who barely
//! reply) or `focused` (an intense pattern on a vulnerable subject, among few) — never
//! the person, and is never assigned from signs that each have a plain reading alone.

use super::PairResult;
use crate::link::{Linked, SubjectKind};
use crate::matrix::RiskMatrix;
use crate::sign::Sign;

/// Many subjects pursued by phone, who barely reply.
pub const WIDE_NET: &str = "wide-net";
/// An intense pattern, with a sign about her, on a vulnerable subject among few.
pub const FOCUSED: &str = "focused";

/// The style of an officer's warning signs by the matrix's explicit rule, and why.
pub(super) fn style(
    m: &RiskMatrix,
    l: &Linked,
    pairs: &[PairResult],
    idx: &[usize],
    n_flagged: usize,
) -> (Option<&'static str>, String) {
    if let Some(reason) = wide_net(m, l, pairs, idx) {
        return (Some(WIDE_NET), reason);
    }
    match focused(m, l, pairs, idx, n_flagged) {
        Focused::Holds(reason) => (Some(FOCUSED), reason),
        Focused::NoSignAboutHer(reason) => (None, reason),
        Focused::No => (None, "neither style's rule holds".to_string()),
    }
}

fn fired(p: &PairResult, name: &str) -> bool {
    p.findings.iter().any(|f| f.signal == name && f.fired())
}

/// `wide-net`: at least `wide_net_min_subjects` subjects in police records on each of
/// which one of `wide_net_signs` fired (backed by billing rows), each giving at most
/// `wide_net_max_inbound_share` of the contact. No sign makes it alone: many subjects
/// met through the job, each pursued, who barely reply.
fn wide_net(m: &RiskMatrix, l: &Linked, pairs: &[PairResult], idx: &[usize]) -> Option<String> {
    let st = &m.style;
    let pursued = |p: &PairResult| {
        p.findings.iter().any(|f| {
            f.fired()
                && st.wide_net_signs.iter().any(|s| f.signal == s.as_str())
                && f.evidence.iter().any(|e| e.table == "billing")
        })
    };
    let wide = idx
        .iter()
        .map(|i| &pairs[*i])
        .filter(|p| l.subjects[p.subject].kind == SubjectKind::Person)
        .filter(|p| p.n_contacts > 0 && p.inbound_share <= st.wide_net_max_inbound_share)
        .filter(|p| pursued(p))
        .count();
    (wide >= st.wide_net_min_subjects as usize).then(|| {
        format!(
            "{wide} subjects in police records with {} and at most {:.0}% of contact from them (at least {} needed)",
            st.wide_net_signs.join(" or "),
            st.wide_net_max_inbound_share * 100.0,
            st.wide_net_min_subjects
        )
    })
}

/// Whether the `focused` rule holds, and why.
enum Focused {
    Holds(String),
    /// Enough intense signs on a vulnerable subject, but none about her: each has a
    /// plain reading alone.
    NoSignAboutHer(String),
    No,
}

/// `focused`: a flagged pair with a vulnerable subject on which at least
/// `focused_min_intense` of `focused_signs` fired, one of them at least in
/// `focused_anchor_signs` (a sign about her, not about how much or when he made
/// contact), with at most `focused_max_subjects` flagged subjects.
fn focused(
    m: &RiskMatrix,
    l: &Linked,
    pairs: &[PairResult],
    idx: &[usize],
    n_flagged: usize,
) -> Focused {
    let st = &m.style;
    if n_flagged == 0 || n_flagged > st.focused_max_subjects as usize {
        return Focused::No;
    }
    let mut without_anchor = Focused::No;
    for p in idx.iter().map(|i| &pairs[*i]) {
        if p.score < m.signals.multiple_subjects.min_pair_score
            || !fired(p, Sign::VulnerableSubject.id())
        {
            continue;
        }
        let intense: Vec<&str> = st
            .focused_signs
            .iter()
            .filter(|s| fired(p, s))
            .map(String::as_str)
            .collect();
        if intense.len() < st.focused_min_intense as usize {
            continue;
        }
        let subject = &l.subjects[p.subject].id;
        let about_her: Vec<&str> = intense
            .iter()
            .copied()
            .filter(|s| st.focused_anchor_signs.iter().any(|a| a == s))
            .collect();
        if about_her.is_empty() {
            if matches!(without_anchor, Focused::No) {
                without_anchor = Focused::NoSignAboutHer(format!(
                    "not focused: on vulnerable subject {subject} {} fired, but none of {} (a sign about the subject: the others have a plain reading alone)",
                    intense.join(", "),
                    st.focused_anchor_signs.join(", ")
                ));
            }
            continue;
        }
        return Focused::Holds(format!(
            "vulnerable subject {subject} with {} ({} of the intense signs, at least {} needed; about the subject: {}); {} flagged subject(s), at most {}",
            intense.join(", "),
            intense.len(),
            st.focused_min_intense,
            about_her.join(", "),
            n_flagged,
            st.focused_max_subjects
        ));
    }
    without_anchor
}
