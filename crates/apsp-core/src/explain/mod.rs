//! Outputs and explanations: the scored run as the frames of the data contract
//! (`officers`, `pairs`, `signals`, `evidence`), written deterministically with a
//! manifest, and a readable account of one officer — every sign, its value against its
//! threshold, the source rows behind it, and what was not evaluated.

use std::fmt::Write as _;
use std::path::Path;

use polars::prelude::*;
use rayon::prelude::*;

use crate::error::{ApspError, Result};
use crate::ingest::Dataset;
use crate::link::Ts;
use crate::output::{write_parts, PartFn};
use crate::score::{fmt_value, Scored};
use crate::signals::{Finding, Status, PAIR_SIGNALS};

fn utc(name: &str, v: Vec<Option<Ts>>) -> Column {
    let ca = if v.iter().all(Option::is_some) {
        Int64Chunked::from_vec(name.into(), v.into_iter().flatten().collect())
    } else {
        Int64Chunked::from_iter_options(name.into(), v.into_iter())
    };
    ca.into_datetime(TimeUnit::Microseconds, Some(polars::prelude::TimeZone::UTC))
        .into_column()
}

/// A text column whose rows repeat a few distinct values (ids, signs, statuses,
/// notes): each distinct value is stored once and the rows gathered from it, instead of
/// copying every row's text. Values are told apart by address, so the same text held
/// twice is stored twice; the column is the same either way.
fn repeated_text<'a>(name: &str, rows: impl Iterator<Item = Option<&'a str>>) -> Column {
    let mut seen: rustc_hash::FxHashMap<(usize, usize), IdxSize> = Default::default();
    let mut values: Vec<&str> = Vec::new();
    let mut idx: Vec<IdxSize> = Vec::with_capacity(rows.size_hint().0);
    // Rows without a value, by position (most columns have none).
    let mut nulls: Vec<usize> = Vec::new();
    for v in rows {
        match v {
            Some(v) => idx.push(
                *seen
                    .entry((v.as_ptr() as usize, v.len()))
                    .or_insert_with(|| {
                        values.push(v);
                        (values.len() - 1) as IdxSize
                    }),
            ),
            None => {
                nulls.push(idx.len());
                idx.push(0);
            }
        }
    }
    let idx: IdxCa = if nulls.is_empty() {
        IdxCa::from_vec("".into(), idx)
    } else {
        let mut valid = vec![true; idx.len()];
        nulls.iter().for_each(|i| valid[*i] = false);
        IdxCa::from_iter_options(
            "".into(),
            idx.into_iter().zip(valid).map(|(i, ok)| ok.then_some(i)),
        )
    };
    StringChunked::from_slice(name.into(), &values)
        .take(&idx)
        .expect("indices within the values")
        .into_column()
}

/// Rounds a score for output (sums stay exact in the engine; 1e-9 keeps them exact to
/// the display and identical across runs).
fn r(x: f64) -> f64 {
    (x * 1e9).round() / 1e9
}

/// Builds one output column.
type ColumnFn<'a> = Box<dyn Fn() -> Column + Send + Sync + 'a>;

/// Builds the columns side by side (a large force's signals are millions of rows).
fn build(cols: Vec<ColumnFn<'_>>) -> Vec<Column> {
    use rayon::prelude::*;
    cols.par_iter().map(|c| c()).collect()
}

/// One row per officer, by rank.
pub fn officers_frame(s: &Scored) -> Result<DataFrame> {
    let mut o: Vec<&crate::score::OfficerResult> = s.officers.iter().collect();
    o.sort_by_key(|x| x.rank);
    let l = &s.linked;
    Ok(DataFrame::new_infer_height(vec![
        Column::new(
            "officer_id".into(),
            o.iter()
                .map(|x| l.officers[x.officer as usize].id.as_str())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "role".into(),
            o.iter()
                .map(|x| l.officers[x.officer as usize].role.as_str())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "score".into(),
            o.iter().map(|x| r(x.score)).collect::<Vec<_>>(),
        ),
        Column::new("tier".into(), o.iter().map(|x| x.tier).collect::<Vec<_>>()),
        Column::new("rank".into(), o.iter().map(|x| x.rank).collect::<Vec<_>>()),
        Column::new(
            "style".into(),
            o.iter().map(|x| x.style).collect::<Vec<_>>(),
        ),
        Column::new(
            "style_reason".into(),
            o.iter()
                .map(|x| x.style_reason.as_str())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "n_subjects_flagged".into(),
            o.iter()
                .map(|x| x.n_subjects_flagged as u32)
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "top_reasons".into(),
            o.iter().map(|x| x.top_reasons.as_str()).collect::<Vec<_>>(),
        ),
    ])?)
}

/// The pairs in output order: officers by rank, then pairs by score.
fn pair_order(s: &Scored) -> Vec<usize> {
    let mut o: Vec<&crate::score::OfficerResult> = s.officers.iter().collect();
    o.sort_by_key(|x| x.rank);
    o.iter().flat_map(|x| x.pairs.iter().copied()).collect()
}

/// One row per officer × subject: score, tier and one contribution column per sign
/// (contributions sum exactly to the score).
pub fn pairs_frame(s: &Scored) -> Result<DataFrame> {
    pairs_part(s, &pair_order(s))
}

/// The rows of `pairs` for the given pairs.
fn pairs_part(s: &Scored, order: &[usize]) -> Result<DataFrame> {
    let l = &s.linked;
    let p = |i: &usize| &s.pairs[*i];
    let mut cols: Vec<ColumnFn<'_>> = vec![
        Box::new(|| {
            repeated_text(
                "officer_id",
                order
                    .iter()
                    .map(|i| Some(l.officers[p(i).officer as usize].id.as_str())),
            )
        }),
        Box::new(|| {
            Column::new(
                "subject_id".into(),
                order
                    .iter()
                    .map(|i| l.subjects[p(i).subject as usize].id.as_str())
                    .collect::<Vec<_>>(),
            )
        }),
        Box::new(|| {
            repeated_text(
                "subject_kind",
                order
                    .iter()
                    .map(|i| Some(l.subjects[p(i).subject as usize].kind.label())),
            )
        }),
        Box::new(|| {
            Column::new(
                "score".into(),
                order.iter().map(|i| r(p(i).score)).collect::<Vec<_>>(),
            )
        }),
        Box::new(|| {
            Column::new(
                "tier".into(),
                order
                    .iter()
                    .map(|i| s.matrix.matrix.tier(p(i).score))
                    .collect::<Vec<_>>(),
            )
        }),
        Box::new(|| {
            Column::new(
                "n_contacts".into(),
                order
                    .iter()
                    .map(|i| p(i).n_contacts as u32)
                    .collect::<Vec<_>>(),
            )
        }),
        Box::new(|| {
            Column::new(
                "n_stops_near_home".into(),
                order
                    .iter()
                    .map(|i| p(i).n_stops_near as u32)
                    .collect::<Vec<_>>(),
            )
        }),
        Box::new(|| {
            Column::new(
                "n_accesses".into(),
                order
                    .iter()
                    .map(|i| p(i).n_accesses as u32)
                    .collect::<Vec<_>>(),
            )
        }),
        Box::new(|| {
            Column::new(
                "same_stops_as".into(),
                order
                    .iter()
                    .map(|i| {
                        p(i).same_stops_as
                            .map(|s| l.subjects[s as usize].id.as_str())
                    })
                    .collect::<Vec<_>>(),
            )
        }),
        Box::new(|| {
            utc(
                "first_event",
                order.iter().map(|i| Some(p(i).first_event)).collect(),
            )
        }),
        Box::new(|| {
            utc(
                "last_event",
                order.iter().map(|i| Some(p(i).last_event)).collect(),
            )
        }),
    ];
    for (k, name) in PAIR_SIGNALS.iter().enumerate() {
        cols.push(Box::new(move || {
            Column::new(
                (*name).into(),
                order
                    .iter()
                    .map(|i| r(p(i).contributions[k]))
                    .collect::<Vec<_>>(),
            )
        }));
    }
    Ok(DataFrame::new_infer_height(build(cols))?)
}

/// Every finding to output: all signs of pairs with a score above 0, and the
/// officer-level signs of every officer. (officer, subject or None, finding, contribution)
fn findings(s: &Scored) -> Vec<FindingRow<'_>> {
    use rayon::prelude::*;
    let mut o: Vec<&crate::score::OfficerResult> = s.officers.iter().collect();
    o.sort_by_key(|x| x.rank);
    // Officers side by side, collected in rank order.
    o.par_iter()
        .flat_map_iter(|x| {
            let own = x
                .findings
                .iter()
                .zip(&x.contributions)
                .map(|(f, c)| (x.officer, None, f, *c));
            let pairs = x
                .pairs
                .iter()
                .map(|i| &s.pairs[*i])
                .filter(|p| p.score > 0.0)
                .flat_map(|p| {
                    p.findings
                        .iter()
                        .zip(&p.contributions)
                        .map(|(f, c)| (p.officer, Some(p.subject), f, *c))
                });
            own.chain(pairs)
        })
        .collect()
}

/// Long form: officer, subject (null for officer-level signs), sign, value, threshold,
/// window, status, contribution, note.
pub fn signals_frame(s: &Scored) -> Result<DataFrame> {
    signals_part(s, &findings(s))
}

/// A finding to output: (officer, subject or None, finding, contribution).
type FindingRow<'a> = (u32, Option<u32>, &'a Finding, f64);

/// The rows of `signals` for the given findings.
fn signals_part(s: &Scored, f: &[FindingRow<'_>]) -> Result<DataFrame> {
    let l = &s.linked;
    Ok(DataFrame::new_infer_height(build(vec![
        Box::new(|| {
            repeated_text(
                "officer_id",
                f.iter().map(|x| Some(l.officers[x.0 as usize].id.as_str())),
            )
        }),
        Box::new(|| {
            repeated_text(
                "subject_id",
                f.iter()
                    .map(|x| x.1.map(|s| l.subjects[s as usize].id.as_str())),
            )
        }),
        Box::new(|| repeated_text("signal", f.iter().map(|x| Some(x.2.signal)))),
        Box::new(|| {
            Column::new(
                "value".into(),
                f.iter().map(|x| x.2.value).collect::<Vec<_>>(),
            )
        }),
        Box::new(|| {
            Column::new(
                "threshold".into(),
                f.iter().map(|x| x.2.threshold).collect::<Vec<_>>(),
            )
        }),
        Box::new(|| {
            utc(
                "window_start",
                f.iter().map(|x| Some(x.2.window.0)).collect(),
            )
        }),
        Box::new(|| utc("window_end", f.iter().map(|x| Some(x.2.window.1)).collect())),
        Box::new(|| repeated_text("status", f.iter().map(|x| Some(x.2.status.label())))),
        Box::new(|| {
            Column::new(
                "contribution".into(),
                f.iter().map(|x| r(x.3)).collect::<Vec<_>>(),
            )
        }),
        Box::new(|| repeated_text("note", f.iter().map(|x| Some(&*x.2.note)))),
    ]))?)
}

/// The source rows behind every fired sign: officer, subject, sign, table, row id, time,
/// detail.
pub fn evidence_frame(s: &Scored) -> Result<DataFrame> {
    evidence_part(s, &evidence_rows(&findings(s)))
}

/// A source row to output: (officer, subject or None, sign, evidence).
type EvidenceRow<'a> = (u32, Option<u32>, &'static str, &'a crate::signals::Evidence);

/// The evidence of the fired findings, in order.
fn evidence_rows<'a>(f: &[FindingRow<'a>]) -> Vec<EvidenceRow<'a>> {
    use rayon::prelude::*;
    f.par_iter()
        .filter(|x| x.2.fired())
        .flat_map_iter(|x| x.2.evidence.iter().map(move |e| (x.0, x.1, x.2.signal, e)))
        .collect()
}

/// The rows of `evidence` for the given source rows.
fn evidence_part(s: &Scored, rows: &[EvidenceRow<'_>]) -> Result<DataFrame> {
    let l = &s.linked;
    Ok(DataFrame::new_infer_height(build(vec![
        Box::new(|| {
            repeated_text(
                "officer_id",
                rows.iter()
                    .map(|x| Some(l.officers[x.0 as usize].id.as_str())),
            )
        }),
        Box::new(|| {
            repeated_text(
                "subject_id",
                rows.iter()
                    .map(|x| x.1.map(|s| l.subjects[s as usize].id.as_str())),
            )
        }),
        Box::new(|| repeated_text("signal", rows.iter().map(|x| Some(x.2)))),
        Box::new(|| repeated_text("table", rows.iter().map(|x| Some(x.3.table)))),
        Box::new(|| {
            Column::new(
                "row_id".into(),
                rows.iter().map(|x| x.3.row_id.as_str()).collect::<Vec<_>>(),
            )
        }),
        Box::new(|| utc("at", rows.iter().map(|x| Some(x.3.at)).collect())),
        Box::new(|| {
            Column::new(
                "detail".into(),
                rows.iter().map(|x| x.3.detail.as_str()).collect::<Vec<_>>(),
            )
        }),
    ]))?)
}

/// The four result frames.
pub struct Frames {
    pub officers: DataFrame,
    pub pairs: DataFrame,
    pub signals: DataFrame,
    pub evidence: DataFrame,
}

pub fn frames(s: &Scored) -> Result<Frames> {
    let found = findings(s);
    Ok(Frames {
        officers: officers_frame(s)?,
        pairs: pairs_frame(s)?,
        signals: signals_part(s, &found)?,
        evidence: evidence_part(s, &evidence_rows(&found))?,
    })
}

fn iso(t: Ts) -> String {
    chrono::DateTime::from_timestamp_micros(t)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// The scoring provenance recorded in the manifest.
pub fn provenance(s: &Scored) -> serde_json::Value {
    serde_json::json!({
        "matrix": {
            "name": s.matrix.matrix.name,
            "version": s.matrix.matrix.version,
            "source": s.matrix.source,
            "sha256": s.matrix.sha256,
        },
        "reference_time": iso(s.reference),
        "window_start": iso(s.window.0),
        "window_days": (s.window.1 - s.window.0) / crate::link::DAY,
        "officers": s.officers.len(),
        "pairs": s.pairs.len(),
        "unlinked_event_rows": s.linked.unlinked,
    })
}

/// Writes `officers`, `pairs`, `signals`, `evidence`, `quarantine` (Parquet, and CSV
/// with `csv`) and `manifest.json` into `out`.
pub fn write_outputs(s: &Scored, ds: &mut Dataset, out: &Path, csv: bool) -> Result<()> {
    std::fs::create_dir_all(out).map_err(|e| ApspError::io(out, e))?;
    ds.manifest.stamp_now();
    ds.manifest.scoring = Some(provenance(s));
    let order = pair_order(s);
    let found = findings(s);
    let evidence = evidence_rows(&found);
    let quarantine = &ds.quarantine;
    // Written a row group at a time: the signals of a large force are millions of rows,
    // never whole in memory.
    let parts: [(&str, usize, PartFn<'_>); 5] = [
        ("officers", 1, Box::new(|_| officers_frame(s))),
        ("pairs", order.len(), Box::new(|r| pairs_part(s, &order[r]))),
        (
            "signals",
            found.len(),
            Box::new(|r| signals_part(s, &found[r])),
        ),
        (
            "evidence",
            evidence.len(),
            Box::new(|r| evidence_part(s, &evidence[r])),
        ),
        ("quarantine", 1, Box::new(|_| Ok(quarantine.clone()))),
    ];
    // The files are written side by side (one alone leaves a core idle while it
    // compresses); the manifest records them in their fixed order.
    let written = parts
        .par_iter()
        .map(|(name, n, part)| {
            let p = out.join(format!("{name}.parquet"));
            let c = csv.then(|| out.join(format!("{name}.csv")));
            let rows = write_parts(*n, part, &p, c.as_deref())?;
            Ok((name.to_string(), p, c, rows))
        })
        .collect::<Result<Vec<_>>>()?;
    drop(parts);
    for (name, p, c, rows) in written {
        ds.manifest
            .record_output(&format!("{name}.parquet"), &p, rows)?;
        if let Some(c) = c {
            ds.manifest
                .record_output(&format!("{name}.csv"), &c, rows)?;
        }
    }
    ds.manifest.write(&out.join("manifest.json"))
}

/// A readable account of one officer: score and tier, style and its reason, each
/// flagged pair with every sign (value against threshold, or why not evaluated) and
/// the source rows behind the fired ones, and the officer-level signs.
pub fn explain(s: &Scored, officer_id: &str, max_pairs: usize) -> Result<String> {
    let o = &s.officers[officer_ix(s, officer_id)? as usize];
    let l = &s.linked;
    let info = &l.officers[o.officer as usize];
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
        iso(s.window.0),
        iso(s.window.1),
        s.matrix.matrix.name,
        s.matrix.matrix.version,
        &s.matrix.sha256[..12]
    );
    let _ = writeln!(
        t,
        "style: {} — {}",
        o.style.unwrap_or("none"),
        o.style_reason
    );
    let _ = writeln!(t);
    let _ = writeln!(t, "Officer-level signs:");
    for (f, c) in o.findings.iter().zip(&o.contributions) {
        write_finding(&mut t, f, *c, "  ");
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
        let sub = &l.subjects[p.subject as usize];
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
                l.subjects[of as usize].id
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
            write_finding(&mut t, f, *c, "  ");
        }
    }
    let not_eval: Vec<&str> = s
        .pairs
        .iter()
        .filter(|p| p.officer == o.officer)
        .flat_map(|p| p.findings.iter())
        .chain(o.findings.iter())
        .filter(|f| f.status == Status::NotEvaluated)
        .map(|f| f.signal)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let _ = writeln!(t);
    if not_eval.is_empty() {
        let _ = writeln!(t, "Every sign was evaluated for this officer.");
    } else {
        let _ = writeln!(
            t,
            "Not evaluated for some or all subjects (inputs absent — not looked at, not cleared): {}",
            not_eval.join(", ")
        );
    }
    Ok(t)
}

fn write_finding(t: &mut String, f: &Finding, contribution: f64, indent: &str) {
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
                    iso(e.at),
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
fn officer_ix(s: &Scored, officer_id: &str) -> Result<u32> {
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
fn pair_ids(s: &Scored, officer_id: &str, subject_id: &str) -> Result<(u32, u32)> {
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
    let rostered = l.rostered(o, s.window);
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
    let by = |x: (u32, u32)| x.cmp(&(o, j));
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
            dir: Some(if c.out { "out" } else { "in" }),
            dur: c.duration,
            lat: None,
            lon: None,
            metres: None,
            table: "billing",
            row: &c.record_id,
        });
    }
    if let Some(home) = l.subjects[j as usize].person.as_ref().and_then(|p| p.home) {
        let a = l.stops.partition_point(|x| x.officer < o);
        for st in l.stops[a..].iter().take_while(|x| x.officer == o) {
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
                .map(|e| rostered.then(|| l.on_duty(o, e.at)))
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
    let v: Vec<(Ts, Ts)> = s
        .linked
        .shifts
        .get(o as usize)
        .map(|v| {
            v.iter()
                .copied()
                .filter(|(a, b)| *b >= from && *a <= to)
                .collect()
        })
        .unwrap_or_default();
    Ok(DataFrame::new_infer_height(vec![
        utc("start", v.iter().map(|x| Some(x.0)).collect()),
        utc("end", v.iter().map(|x| Some(x.1)).collect()),
    ])?)
}
