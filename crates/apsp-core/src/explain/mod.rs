//! Explanations: a readable account of one officer — every sign, its value against its
//! threshold, the source rows behind it, and what was not evaluated — and the
//! drill-downs into one pair (its events, involvements, the officer's shifts).

use std::fmt::Write as _;

use polars::prelude::*;

use crate::error::{ApspError, Result};
use crate::link::{Linked, OfficerIx, Span, SubjectIx, Ts};
use crate::output::frames::utc;
use crate::score::{fmt_value, OfficerResult, Scored};
use crate::sign::Sign;
use crate::signals::{Finding, Status};

/// A readable account of one officer: score and tier, style and its reason, each
/// flagged pair with every sign (value against threshold, or why not evaluated) and
/// the source rows behind the fired ones, and the officer-level signs.
pub fn explain(s: &Scored, officer_id: &str, max_pairs: usize) -> Result<String> {
    let o = &s.officers[officer_ix(s, officer_id)?.index()];
    let l = &s.linked;
    let info = &l.officers[o.officer];
    let mut t = String::new();
    let _ = writeln!(
        t,
        "Officer {} ({}) — warning signs for review, not a verdict",
        info.id, info.role
    );
    let _ = writeln!(
        t,
        "score {:.2}, tier {}, rank {} of {}; window {} .. {}; matrix {} {} ({})",
        o.score,
        o.tier,
        o.rank,
        s.officers.len(),
        l.local_time(s.window.0),
        l.local_time(s.window.1),
        s.matrix.matrix.name,
        s.matrix.matrix.version,
        &s.matrix.sha256[..12]
    );
    let _ = writeln!(t, "{}", score_terms(s, o));
    let _ = writeln!(
        t,
        "style: {} — {}",
        o.style.unwrap_or("none"),
        o.style_reason
    );
    let _ = writeln!(t);
    let _ = writeln!(t, "Officer-level signs:");
    for (f, c) in o.findings.iter().zip(&o.contributions) {
        write_finding(&mut t, l, f, *c, "  ");
    }
    let flagged: Vec<usize> = o
        .pairs
        .iter()
        .copied()
        .filter(|i| s.pairs[*i].score > 0.0)
        .collect();
    let _ = writeln!(t);
    let _ = writeln!(
        t,
        "{} subject(s) with a score above 0 (of {} with any event); showing {}:",
        flagged.len(),
        o.pairs.len(),
        flagged.len().min(max_pairs)
    );
    for i in flagged.iter().take(max_pairs) {
        let p = &s.pairs[*i];
        let sub = &l.subjects[p.subject];
        let _ = writeln!(t);
        let _ = writeln!(
            t,
            "Subject {} ({}): pair score {:.2} = {}",
            sub.id,
            sub.kind.label(),
            p.score,
            p.findings
                .iter()
                .zip(&p.contributions)
                .filter(|(_, c)| **c > 0.0)
                .map(|(f, c)| format!("{} {:.2}", f.signal, c))
                .collect::<Vec<_>>()
                .join(" + ")
        );
        if let Some(of) = p.same_stops_as {
            let _ = writeln!(
                t,
                "  rests only on stops already counted for {} (a neighbour): not counted again",
                l.subjects[of].id
            );
        }
        let _ = writeln!(
            t,
            "  {} contacts, {} stops near home, {} record accesses, {:.0}% of contact from the subject",
            p.n_contacts,
            p.n_stops_near,
            p.n_accesses,
            p.inbound_share * 100.0
        );
        for (f, c) in p.findings.iter().zip(&p.contributions) {
            write_finding(&mut t, l, f, *c, "  ");
        }
    }
    let _ = writeln!(t);
    write_not_evaluated(&mut t, o);
    Ok(t)
}

/// The officer's score as the sum it is: "officer score 21.00 = 13.50 (P1) + ½ × 9.00
/// (P2) + 2.00 (multiple_subjects) + 1.00 (repeat_complaints: 6 % of 18.00); P5 not
/// counted (rests on P1's stops)", and how many further pairs with a score are beyond
/// the best `top_pairs`.
fn score_terms(s: &Scored, o: &OfficerResult) -> String {
    let l = &s.linked;
    let id = |i: usize| l.subjects[s.pairs[i].subject].id.as_str();
    let mut parts: Vec<String> = o
        .terms
        .iter()
        .map(|x| {
            format!(
                "{}{:.2} ({})",
                times(x.factor),
                s.pairs[x.pair].score,
                id(x.pair)
            )
        })
        .collect();
    let pairs_part: f64 = o
        .terms
        .iter()
        .map(|x| s.pairs[x.pair].score * x.factor)
        .sum();
    let min_base = s.matrix.matrix.signals.repeat_complaints.min_base;
    for (f, c) in o.findings.iter().zip(&o.contributions) {
        if *c <= 0.0 {
            continue;
        }
        parts.push(if f.signal == Sign::RepeatComplaints {
            // A share of the pairs' part (of at least `min_base`).
            let base = pairs_part.max(min_base);
            format!(
                "{c:.2} ({}: {:.0} % of {base:.2})",
                f.signal,
                c / base * 100.0
            )
        } else {
            format!("{c:.2} ({})", f.signal)
        });
    }
    if parts.is_empty() {
        return format!(
            "officer score {:.2}: no pair or officer-level sign scored",
            o.score
        );
    }
    let mut text = format!("officer score {:.2} = {}", o.score, parts.join(" + "));
    let scored: Vec<usize> = o
        .pairs
        .iter()
        .copied()
        .filter(|i| s.pairs[*i].score > 0.0)
        .collect();
    let mut echoes = 0;
    for i in &scored {
        if let Some(of) = s.pairs[*i].same_stops_as {
            echoes += 1;
            let _ = write!(
                text,
                "; {} not counted (rests on {}'s stops)",
                id(*i),
                l.subjects[of].id
            );
        }
    }
    let beyond = scored.len() - o.terms.len() - echoes;
    if beyond > 0 {
        let _ = write!(
            text,
            "; {beyond} more pair{} with a score not counted (only the best {} count)",
            if beyond == 1 { "" } else { "s" },
            s.matrix.matrix.officer.top_pairs
        );
    }
    text
}

/// A pair's factor in the officer's score, as a prefix: "" for 1, "½ × ", "¼ × ".
fn times(factor: f64) -> String {
    match factor {
        1.0 => String::new(),
        0.5 => "½ × ".into(),
        0.25 => "¼ × ".into(),
        0.125 => "⅛ × ".into(),
        f => format!("{f} × "),
    }
}

/// Reasons listed at most in the account (a quarantined row per subject can make many).
const MAX_NOT_EVALUATED: usize = 20;

/// What was not evaluated for the officer's subjects or the officer, and why — also for
/// pairs that scored 0 and kept no findings.
fn write_not_evaluated(t: &mut String, o: &OfficerResult) {
    if o.not_evaluated.is_empty() {
        let _ = writeln!(t, "Every sign was evaluated for this officer.");
        return;
    }
    let _ = writeln!(
        t,
        "Not evaluated (inputs absent — not looked at, not cleared):"
    );
    for x in o.not_evaluated.iter().take(MAX_NOT_EVALUATED) {
        let _ = if x.sign.is_pair() {
            writeln!(
                t,
                "  - {}, for {} of {} subjects: {}",
                x.sign,
                x.subjects,
                o.pairs.len(),
                x.note
            )
        } else {
            writeln!(t, "  - {}: {}", x.sign, x.note)
        };
    }
    if o.not_evaluated.len() > MAX_NOT_EVALUATED {
        let _ = writeln!(
            t,
            "  ... and {} more reasons",
            o.not_evaluated.len() - MAX_NOT_EVALUATED
        );
    }
}

/// One sign of the account; its evidence times in the force's local time.
fn write_finding(t: &mut String, l: &Linked, f: &Finding, contribution: f64, indent: &str) {
    // `value vs threshold; note` (the aggravator's value is already its note).
    let v = fmt_value(f);
    let said = if f.note.starts_with(&v) {
        f.note.to_string()
    } else {
        format!("{v}; {}", f.note)
    };
    match f.status {
        Status::NotEvaluated => {
            let _ = writeln!(t, "{indent}- {}: not evaluated ({})", f.signal, f.note);
        }
        Status::NotFired => {
            let _ = writeln!(t, "{indent}- {}: not fired ({said})", f.signal);
        }
        Status::Fired => {
            let _ = writeln!(
                t,
                "{indent}- {}: FIRED ({said}) contributes {:.2}",
                f.signal, contribution
            );
            for e in f.evidence.iter().take(12) {
                let _ = writeln!(
                    t,
                    "{indent}    {} {} {} — {}",
                    l.local_time(e.at),
                    e.table,
                    e.row_id,
                    e.detail
                );
            }
            if f.evidence.len() > 12 {
                let _ = writeln!(
                    t,
                    "{indent}    ... and {} more rows (see evidence)",
                    f.evidence.len() - 12
                );
            }
        }
    }
}

/// An officer's index by id.
pub(crate) fn officer_ix(s: &Scored, officer_id: &str) -> Result<OfficerIx> {
    s.linked
        .officer_index
        .get(officer_id)
        .copied()
        .ok_or_else(|| ApspError::Setting {
            name: "officer_id",
            value: officer_id.to_string(),
            message: "no such officer in the dataset".into(),
        })
}

/// Fails unless the run kept its events (see `ScoreOptions::keep_events`).
fn events_kept(s: &Scored) -> Result<()> {
    if s.events_kept {
        return Ok(());
    }
    Err(ApspError::Setting {
        name: "keep_events",
        value: "false".into(),
        message:
            "the events were released after scoring; score with keep_events to drill into a pair"
                .into(),
    })
}

/// The officer and subject indices of a pair, by id, in a run that kept its events.
fn pair_ids(s: &Scored, officer_id: &str, subject_id: &str) -> Result<(OfficerIx, SubjectIx)> {
    let o = officer_ix(s, officer_id)?;
    let j = s
        .linked
        .subject_index
        .get(subject_id)
        .copied()
        .ok_or_else(|| ApspError::Setting {
            name: "subject_id",
            value: subject_id.to_string(),
            message: "no such subject in the dataset".into(),
        })?;
    events_kept(s)?;
    Ok((o, j))
}

/// Every event of one officer × subject pair, in time order, with the facts the signs
/// use: `at`, `kind` (`call`, `message`, `stop`, `access`), `direction` (`in`, `out`;
/// null for stops and accesses), `duration_s`, `on_duty` (null without a roster for the
/// officer in the window), `involved`, `lat`, `lon` and
/// `metres` from the subject's home (stops within `radius` metres of it only), `table`
/// and `row_id` (the source row), `in_window` (inside the analysis window).
pub fn pair_events(s: &Scored, officer_id: &str, subject_id: &str) -> Result<DataFrame> {
    let (o, j) = pair_ids(s, officer_id, subject_id)?;
    let l = &s.linked;
    let cover = s.matrix.matrix.analysis.roster_cover_days as Ts * crate::link::DAY;
    let radius = s.matrix.matrix.signals.stop_near_home.radius_m;
    struct Ev<'a> {
        at: Ts,
        kind: &'static str,
        dir: Option<&'static str>,
        dur: Option<i64>,
        lat: Option<f64>,
        lon: Option<f64>,
        metres: Option<f64>,
        table: &'static str,
        row: &'a str,
    }
    let mut ev: Vec<Ev<'_>> = Vec::new();
    let by = |x: (OfficerIx, SubjectIx)| x.cmp(&(o, j));
    let a = l
        .contacts
        .partition_point(|c| by((c.officer, c.subject)).is_lt());
    for c in l.contacts[a..]
        .iter()
        .take_while(|c| (c.officer, c.subject) == (o, j))
    {
        ev.push(Ev {
            at: c.at,
            kind: if c.call { "call" } else { "message" },
            dir: Some(if c.outgoing { "out" } else { "in" }),
            dur: c.duration,
            lat: None,
            lon: None,
            metres: None,
            table: "billing",
            row: &c.record_id,
        });
    }
    if let Some(home) = l.subjects[j].person.as_ref().and_then(|p| p.home) {
        for st in crate::link::officer_run(&l.stops, |x| x.officer, o) {
            let d = crate::link::haversine_m(home, (st.lat, st.lon));
            if d <= radius {
                ev.push(Ev {
                    at: st.at,
                    kind: "stop",
                    dir: None,
                    dur: Some((st.until - st.at) / 1_000_000),
                    lat: Some(st.lat),
                    lon: Some(st.lon),
                    metres: Some(d),
                    table: "stops",
                    row: &st.stop_id,
                });
            }
        }
    }
    let a = l
        .accesses
        .partition_point(|x| by((x.officer, x.subject)).is_lt());
    for x in l.accesses[a..]
        .iter()
        .take_while(|x| (x.officer, x.subject) == (o, j))
    {
        ev.push(Ev {
            at: x.at,
            kind: "access",
            dir: None,
            dur: None,
            lat: None,
            lon: None,
            metres: None,
            table: "access_log",
            row: &x.event_id,
        });
    }
    ev.sort_by(|x, y| (x.at, x.table, x.row).cmp(&(y.at, y.table, y.row)));
    let inside = |t: Ts| t > s.window.0 && t <= s.window.1;
    Ok(DataFrame::new_infer_height(vec![
        utc("at", ev.iter().map(|e| Some(e.at)).collect()),
        Column::new("kind".into(), ev.iter().map(|e| e.kind).collect::<Vec<_>>()),
        Column::new(
            "direction".into(),
            ev.iter().map(|e| e.dir).collect::<Vec<_>>(),
        ),
        Column::new(
            "duration_s".into(),
            ev.iter().map(|e| e.dur).collect::<Vec<_>>(),
        ),
        Column::new(
            "on_duty".into(),
            // Null without a roster for the officer: unknown, not off duty.
            ev.iter()
                .map(|e| l.rostered_at(o, e.at, cover).then(|| l.on_duty(o, e.at)))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "involved".into(),
            ev.iter()
                .map(|e| l.involved(o, j, e.at))
                .collect::<Vec<_>>(),
        ),
        Column::new("lat".into(), ev.iter().map(|e| e.lat).collect::<Vec<_>>()),
        Column::new("lon".into(), ev.iter().map(|e| e.lon).collect::<Vec<_>>()),
        Column::new(
            "metres".into(),
            ev.iter().map(|e| e.metres).collect::<Vec<_>>(),
        ),
        Column::new(
            "table".into(),
            ev.iter().map(|e| e.table).collect::<Vec<_>>(),
        ),
        Column::new(
            "row_id".into(),
            ev.iter().map(|e| e.row).collect::<Vec<_>>(),
        ),
        Column::new(
            "in_window".into(),
            ev.iter().map(|e| inside(e.at)).collect::<Vec<_>>(),
        ),
    ])?)
}

/// The officer's involvements with the subject (case links): `case_id`, `opened`,
/// `closed`, `officer_until` and `end` (the earlier of the two; null = open).
pub fn pair_involvements(s: &Scored, officer_id: &str, subject_id: &str) -> Result<DataFrame> {
    let (o, j) = pair_ids(s, officer_id, subject_id)?;
    let v = s.linked.involvements(o, j);
    Ok(DataFrame::new_infer_height(vec![
        Column::new(
            "case_id".into(),
            v.iter().map(|i| i.case_id.as_str()).collect::<Vec<_>>(),
        ),
        utc("opened", v.iter().map(|i| Some(i.opened)).collect()),
        utc("closed", v.iter().map(|i| i.closed).collect()),
        utc("officer_until", v.iter().map(|i| i.until).collect()),
        utc("end", v.iter().map(|i| i.end).collect()),
    ])?)
}

/// The officer's rostered shifts overlapping [from, to]: `start`, `end`.
pub fn officer_shifts(s: &Scored, officer_id: &str, from: Ts, to: Ts) -> Result<DataFrame> {
    let o = officer_ix(s, officer_id)?;
    events_kept(s)?;
    let v: Vec<Span> = s
        .linked
        .shifts
        .get(o)
        .map(|v| {
            v.iter()
                .copied()
                .filter(|x| x.end >= from && x.start <= to)
                .collect()
        })
        .unwrap_or_default();
    Ok(DataFrame::new_infer_height(vec![
        utc("start", v.iter().map(|x| Some(x.start)).collect()),
        utc("end", v.iter().map(|x| Some(x.end)).collect()),
    ])?)
}
