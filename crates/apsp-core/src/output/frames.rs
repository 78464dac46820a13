//! The scored run as the frames of the data contract: `officers` (one row per officer,
//! by rank), `pairs`, `signals` (one row per sign per pair and officer), `evidence`
//! (the source rows behind every fired sign). Built column by column, side by side.

use polars::prelude::*;

use crate::error::Result;
use crate::link::{OfficerIx, SubjectIx, Ts};
use crate::score::{OfficerResult, Scored};
use crate::sign::Sign;
use crate::signals::{Evidence, Finding};

pub(crate) fn utc(name: &str, v: Vec<Option<Ts>>) -> Column {
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
pub(crate) fn repeated_text<'a>(name: &str, rows: impl Iterator<Item = Option<&'a str>>) -> Column {
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
fn rounded(x: f64) -> f64 {
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
    let mut o: Vec<&OfficerResult> = s.officers.iter().collect();
    o.sort_by_key(|x| x.rank);
    let l = &s.linked;
    Ok(DataFrame::new_infer_height(vec![
        Column::new(
            "officer_id".into(),
            o.iter()
                .map(|x| l.officers[x.officer].id.as_str())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "role".into(),
            o.iter()
                .map(|x| l.officers[x.officer].role.as_str())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "score".into(),
            o.iter().map(|x| rounded(x.score)).collect::<Vec<_>>(),
        ),
        Column::new("tier".into(), o.iter().map(|x| x.tier).collect::<Vec<_>>()),
        Column::new(
            "rank".into(),
            o.iter().map(|x| i64::from(x.rank)).collect::<Vec<_>>(),
        ),
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
pub(super) fn pair_order(s: &Scored) -> Vec<usize> {
    let mut o: Vec<&OfficerResult> = s.officers.iter().collect();
    o.sort_by_key(|x| x.rank);
    o.iter().flat_map(|x| x.pairs.iter().copied()).collect()
}

/// One row per officer × subject: score, tier and one contribution column per sign
/// (contributions sum exactly to the score).
pub fn pairs_frame(s: &Scored) -> Result<DataFrame> {
    pairs_part(s, &pair_order(s))
}

/// The rows of `pairs` for the given pairs.
pub(super) fn pairs_part(s: &Scored, order: &[usize]) -> Result<DataFrame> {
    let l = &s.linked;
    let p = |i: &usize| &s.pairs[*i];
    let mut cols: Vec<ColumnFn<'_>> = vec![
        Box::new(|| {
            repeated_text(
                "officer_id",
                order
                    .iter()
                    .map(|i| Some(l.officers[p(i).officer].id.as_str())),
            )
        }),
        Box::new(|| {
            Column::new(
                "subject_id".into(),
                order
                    .iter()
                    .map(|i| l.subjects[p(i).subject].id.as_str())
                    .collect::<Vec<_>>(),
            )
        }),
        Box::new(|| {
            repeated_text(
                "subject_kind",
                order
                    .iter()
                    .map(|i| Some(l.subjects[p(i).subject].kind.label())),
            )
        }),
        Box::new(|| {
            Column::new(
                "score".into(),
                order
                    .iter()
                    .map(|i| rounded(p(i).score))
                    .collect::<Vec<_>>(),
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
                    .map(|i| p(i).same_stops_as.map(|s| l.subjects[s].id.as_str()))
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
    for (k, sign) in Sign::PAIR.iter().enumerate() {
        cols.push(Box::new(move || {
            Column::new(
                sign.id().into(),
                order
                    .iter()
                    .map(|i| rounded(p(i).contributions[k]))
                    .collect::<Vec<_>>(),
            )
        }));
    }
    Ok(DataFrame::new_infer_height(build(cols))?)
}

/// Every finding to output: all signs of pairs with a score above 0, and the
/// officer-level signs of every officer.
pub(super) fn findings(s: &Scored) -> Vec<FindingRow<'_>> {
    use rayon::prelude::*;
    let mut o: Vec<&OfficerResult> = s.officers.iter().collect();
    o.sort_by_key(|x| x.rank);
    // Officers side by side, collected in rank order.
    o.par_iter()
        .flat_map_iter(|x| {
            let own = x
                .findings
                .iter()
                .zip(&x.contributions)
                .map(|(f, c)| FindingRow {
                    officer: x.officer,
                    subject: None,
                    finding: f,
                    contribution: *c,
                });
            let pairs = x
                .pairs
                .iter()
                .map(|i| &s.pairs[*i])
                .filter(|p| p.score > 0.0)
                .flat_map(|p| {
                    p.findings
                        .iter()
                        .zip(&p.contributions)
                        .map(|(f, c)| FindingRow {
                            officer: p.officer,
                            subject: Some(p.subject),
                            finding: f,
                            contribution: *c,
                        })
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

/// A finding to output.
pub(super) struct FindingRow<'a> {
    officer: OfficerIx,
    /// None for an officer-level sign.
    subject: Option<SubjectIx>,
    finding: &'a Finding,
    contribution: f64,
}

/// The rows of `signals` for the given findings.
pub(super) fn signals_part(s: &Scored, f: &[FindingRow<'_>]) -> Result<DataFrame> {
    let l = &s.linked;
    Ok(DataFrame::new_infer_height(build(vec![
        Box::new(|| {
            repeated_text(
                "officer_id",
                f.iter().map(|x| Some(l.officers[x.officer].id.as_str())),
            )
        }),
        Box::new(|| {
            repeated_text(
                "subject_id",
                f.iter()
                    .map(|x| x.subject.map(|s| l.subjects[s].id.as_str())),
            )
        }),
        Box::new(|| repeated_text("signal", f.iter().map(|x| Some(x.finding.signal.id())))),
        Box::new(|| {
            Column::new(
                "value".into(),
                f.iter().map(|x| x.finding.value).collect::<Vec<_>>(),
            )
        }),
        Box::new(|| {
            Column::new(
                "threshold".into(),
                f.iter().map(|x| x.finding.threshold).collect::<Vec<_>>(),
            )
        }),
        // Which way the value is compared: most signs fire at or above their threshold,
        // `access_then_contact` (days from a look-up to contact) at or below it. A
        // static text per row: millions of rows cost no formatting.
        Box::new(|| {
            repeated_text(
                "fires_when",
                f.iter().map(|x| Some(x.finding.signal.fires_when())),
            )
        }),
        Box::new(|| {
            utc(
                "window_start",
                f.iter().map(|x| Some(x.finding.window.0)).collect(),
            )
        }),
        Box::new(|| {
            utc(
                "window_end",
                f.iter().map(|x| Some(x.finding.window.1)).collect(),
            )
        }),
        Box::new(|| repeated_text("status", f.iter().map(|x| Some(x.finding.status.label())))),
        Box::new(|| {
            Column::new(
                "contribution".into(),
                f.iter()
                    .map(|x| rounded(x.contribution))
                    .collect::<Vec<_>>(),
            )
        }),
        Box::new(|| repeated_text("note", f.iter().map(|x| Some(&*x.finding.note)))),
    ]))?)
}

/// The source rows behind every fired sign: officer, subject, sign, table, row id, time
/// (`at`, UTC; `local_time`, the force's clock with the offset, as a reviewer reads it),
/// detail.
pub fn evidence_frame(s: &Scored) -> Result<DataFrame> {
    evidence_part(s, &evidence_rows(&findings(s)))
}

/// A source row to output.
pub(super) struct EvidenceRow<'a> {
    officer: OfficerIx,
    subject: Option<SubjectIx>,
    sign: Sign,
    evidence: &'a Evidence,
}

/// The evidence of the fired findings, in order.
pub(super) fn evidence_rows<'a>(f: &[FindingRow<'a>]) -> Vec<EvidenceRow<'a>> {
    use rayon::prelude::*;
    f.par_iter()
        .filter(|x| x.finding.fired())
        .flat_map_iter(|x| {
            x.finding.evidence.iter().map(move |e| EvidenceRow {
                officer: x.officer,
                subject: x.subject,
                sign: x.finding.signal,
                evidence: e,
            })
        })
        .collect()
}

/// The rows of `evidence` for the given source rows.
pub(super) fn evidence_part(s: &Scored, rows: &[EvidenceRow<'_>]) -> Result<DataFrame> {
    let l = &s.linked;
    Ok(DataFrame::new_infer_height(build(vec![
        Box::new(|| {
            repeated_text(
                "officer_id",
                rows.iter().map(|x| Some(l.officers[x.officer].id.as_str())),
            )
        }),
        Box::new(|| {
            repeated_text(
                "subject_id",
                rows.iter()
                    .map(|x| x.subject.map(|s| l.subjects[s].id.as_str())),
            )
        }),
        Box::new(|| repeated_text("signal", rows.iter().map(|x| Some(x.sign.id())))),
        Box::new(|| repeated_text("table", rows.iter().map(|x| Some(x.evidence.table)))),
        Box::new(|| {
            Column::new(
                "row_id".into(),
                rows.iter()
                    .map(|x| x.evidence.row_id.as_str())
                    .collect::<Vec<_>>(),
            )
        }),
        Box::new(|| utc("at", rows.iter().map(|x| Some(x.evidence.at)).collect())),
        Box::new(|| {
            Column::new(
                "local_time".into(),
                rows.iter()
                    .map(|x| l.local_time(x.evidence.at))
                    .collect::<Vec<_>>(),
            )
        }),
        Box::new(|| {
            Column::new(
                "detail".into(),
                rows.iter()
                    .map(|x| x.evidence.detail.as_str())
                    .collect::<Vec<_>>(),
            )
        }),
        Box::new(|| {
            repeated_text(
                "source_file",
                rows.iter().map(|x| {
                    let src = x.evidence.source?;
                    l.source_files.get(src.file as usize).map(String::as_str)
                }),
            )
        }),
        Box::new(|| {
            Column::new(
                "source_line".into(),
                rows.iter()
                    .map(|x| x.evidence.source.map(|src| src.line as i64))
                    .collect::<Vec<_>>(),
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
