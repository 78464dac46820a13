//! The case report: one self-contained HTML file per officer, for a reviewer — the
//! score and what it rests on (contribution bars), when (a timeline of the evidence),
//! the source rows (table, id, file and line) and the full account. Inline CSS and SVG
//! only: no script, no font, no image, nothing fetched, so it opens offline on a
//! force's machines and prints as it shows. The same scored run gives the same bytes.

mod svg;

use std::fmt::Write as _;

use crate::error::Result;
use crate::link::{OfficerIx, Ts};
use crate::score::{OfficerResult, Scored};
use crate::sign::Sign;
use crate::signals::Evidence;

/// The most pairs shown in the bars and the timeline (the account lists them all).
const PAIRS_SHOWN: usize = 8;

/// One fired sign's evidence row, with whom it concerns.
struct Row<'a> {
    subject: Option<&'a str>,
    sign: Sign,
    evidence: &'a Evidence,
}

/// The report's file name: `case_report_<officer id>.html`, the id's characters that
/// are unsafe in a file name replaced by `_`.
pub fn file_name(officer_id: &str) -> String {
    let safe: String = officer_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("case_report_{safe}.html")
}

/// The case report of `officer_id` as one HTML document.
pub fn case_report(s: &Scored, officer_id: &str) -> Result<String> {
    let ix = crate::explain::officer_ix(s, officer_id)?;
    let mut h = String::with_capacity(64 * 1024);
    head(&mut h, s, ix);
    h.push_str(&officer_section(s, officer_id)?);
    let account = crate::explain::explain(s, officer_id, PAIRS_SHOWN)?;
    let _ = writeln!(
        h,
        "<h2>The account</h2>\n<pre class=\"account\">{}</pre>",
        esc(&account)
    );
    let _ = writeln!(
        h,
        "<footer>apsp {} — warning signs for review by a professional, never a verdict.</footer>\n</body>\n</html>",
        crate::VERSION
    );
    Ok(h)
}

/// What a case report shows of an officer, without its page head and account: the
/// summary, the contribution bars, the timeline and the evidence rows. A page about
/// many officers (the nightly store's morning report) shows this for each.
pub fn officer_section(s: &Scored, officer_id: &str) -> Result<String> {
    let ix = crate::explain::officer_ix(s, officer_id)?;
    let o = &s.officers[ix.index()];
    let shown: Vec<usize> = o
        .pairs
        .iter()
        .copied()
        .filter(|p| s.pairs[*p].score > 0.0)
        .take(PAIRS_SHOWN)
        .collect();
    let rows = evidence_rows(s, o, &shown);
    let mut h = String::with_capacity(64 * 1024);
    summary(&mut h, s, o);
    contributions(&mut h, s, o, &shown);
    let _ = writeln!(h, "<h2>Timeline of the evidence</h2>");
    h.push_str(&svg::timeline(s, &shown, &rows));
    evidence_table(&mut h, s, &rows);
    Ok(h)
}

/// Every fired sign's evidence for the shown pairs and the officer, in time order.
fn evidence_rows<'a>(s: &'a Scored, o: &'a OfficerResult, shown: &[usize]) -> Vec<Row<'a>> {
    let mut rows = Vec::new();
    for &p in shown {
        let subject = Some(s.linked.subjects[s.pairs[p].subject].id.as_str());
        for f in s.pairs[p].findings.iter().filter(|f| f.fired()) {
            rows.extend(f.evidence.iter().map(|evidence| Row {
                subject,
                sign: f.signal,
                evidence,
            }));
        }
    }
    for f in o.findings.iter().filter(|f| f.fired()) {
        rows.extend(f.evidence.iter().map(|evidence| Row {
            subject: None,
            sign: f.signal,
            evidence,
        }));
    }
    rows.sort_by(|a, b| {
        (a.evidence.at, a.subject, a.sign, &a.evidence.row_id).cmp(&(
            b.evidence.at,
            b.subject,
            b.sign,
            &b.evidence.row_id,
        ))
    });
    rows
}

fn head(h: &mut String, s: &Scored, ix: OfficerIx) {
    let info = &s.linked.officers[ix];
    let _ = writeln!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Case report {} — warning signs for review</title>\n<style>{}</style>\n\
         </head>\n<body>",
        esc(&info.id),
        CSS
    );
    let _ = writeln!(
        h,
        "<h1>Case report: {} ({})</h1>\n<p class=\"verdict\">Warning signs for review by \
         a professional, never a verdict: each rests on the source rows listed below.</p>",
        esc(&info.id),
        esc(&info.role)
    );
}

fn summary(h: &mut String, s: &Scored, o: &OfficerResult) {
    let facts: [(&str, String); 7] = [
        ("score", format!("{:.2}", o.score)),
        ("tier", o.tier.to_string()),
        ("rank", format!("{} of {}", o.rank, s.officers.len())),
        (
            "style",
            match o.style {
                Some(st) => format!("{st}: {}", o.style_reason),
                None => o.style_reason.clone(),
            },
        ),
        ("window", window_text(s)),
        ("risk matrix", matrix_text(s)),
        ("dataset", s.linked.dataset.clone()),
    ];
    h.push_str("<table class=\"facts\">\n");
    for (k, v) in facts {
        let _ = writeln!(h, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(&v));
    }
    h.push_str("</table>\n");
}

/// The analysis window, in local time: "START to END".
pub fn window_text(s: &Scored) -> String {
    format!(
        "{} to {}",
        s.linked.local_time(s.window.0),
        s.linked.local_time(s.window.1)
    )
}

/// The risk matrix: "NAME VERSION (sha256 PREFIX)".
pub fn matrix_text(s: &Scored) -> String {
    let m = &s.matrix;
    format!(
        "{} {} (sha256 {})",
        m.matrix.name,
        m.matrix.version,
        &m.sha256[..12.min(m.sha256.len())]
    )
}

/// One stacked bar per shown pair: each sign's contribution to the pair's score.
fn contributions(h: &mut String, s: &Scored, o: &OfficerResult, shown: &[usize]) {
    let _ = writeln!(
        h,
        "<h2>What the score rests on</h2>\n<p>Each bar is a subject's pair score, split by \
         warning sign (the parts add up to the score).</p>"
    );
    let top = shown
        .iter()
        .map(|p| s.pairs[*p].score)
        .fold(0.0_f64, f64::max);
    h.push_str("<table class=\"bars\">\n");
    for &p in shown {
        let pair = &s.pairs[p];
        let subject = &s.linked.subjects[pair.subject].id;
        let _ = write!(
            h,
            "<tr><th>{}</th><td class=\"num\">{:.2}</td><td><div class=\"bar\">",
            esc(subject),
            pair.score
        );
        for (k, sign) in Sign::PAIR.iter().enumerate() {
            let c = pair.contributions[k];
            if c <= 0.0 {
                continue;
            }
            let _ = write!(
                h,
                "<span class=\"seg\" data-sign=\"{id}\" style=\"width:{w:.3}%;background:{col}\" \
                 title=\"{id}: {c:.2}\"></span>",
                id = sign.id(),
                w = 100.0 * c / top,
                col = svg::colour(*sign),
            );
        }
        h.push_str("</div></td></tr>\n");
    }
    for (k, sign) in Sign::OFFICER.iter().enumerate() {
        if let Some(c) = o.contributions.get(k).filter(|c| **c > 0.0) {
            let _ = writeln!(
                h,
                "<tr><th>{}</th><td class=\"num\">{c:.2}</td><td>officer-level sign</td></tr>",
                sign.id()
            );
        }
    }
    h.push_str("</table>\n<p class=\"legend\">");
    for sign in Sign::PAIR {
        let _ = write!(
            h,
            "<span><i style=\"background:{}\"></i>{}</span> ",
            svg::colour(sign),
            sign.id()
        );
    }
    h.push_str("</p>\n");
}

/// The evidence rows, one line per source row with the signs it supports.
fn evidence_table(h: &mut String, s: &Scored, rows: &[Row<'_>]) {
    let mut by_row: Vec<(&Row<'_>, Vec<&str>)> = Vec::new();
    let mut seen: std::collections::HashMap<(Option<&str>, &str, &str), usize> =
        std::collections::HashMap::new();
    for r in rows {
        let key = (r.subject, r.evidence.table, r.evidence.row_id.as_str());
        match seen.get(&key) {
            Some(&k) => by_row[k].1.push(r.sign.id()),
            None => {
                seen.insert(key, by_row.len());
                by_row.push((r, vec![r.sign.id()]));
            }
        }
    }
    let _ = writeln!(
        h,
        "<h2>The evidence rows</h2>\n<p>{} source row(s) behind the fired signs: open the \
         file at the line to see the row as exported.</p>",
        by_row.len()
    );
    h.push_str(
        "<table class=\"evidence\">\n<tr><th>local time</th><th>subject</th><th>signs</th>\
         <th>table</th><th>row id</th><th>file:line</th><th>what the row shows</th></tr>\n",
    );
    for (r, signs) in &by_row {
        let e = r.evidence;
        let place = e
            .source
            .and_then(|src| {
                let file = s.linked.source_files.get(src.file as usize)?;
                Some(format!("{file}:{}", src.line))
            })
            .unwrap_or_default();
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&s.linked.local_time(e.at)),
            esc(r.subject.unwrap_or("")),
            signs.join(", "),
            e.table,
            esc(&e.row_id),
            esc(&place),
            esc(&e.detail)
        );
    }
    h.push_str("</table>\n");
}

/// Text made safe inside HTML elements and attributes.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The span the timeline shows: the evidence's, padded, within the analysis window (a
/// month of evidence in a year's window would otherwise be a single smudge).
fn shown_span(rows: &[Row<'_>], window: (Ts, Ts)) -> (Ts, Ts) {
    let (lo, hi) = rows.iter().fold((Ts::MAX, Ts::MIN), |(lo, hi), r| {
        (lo.min(r.evidence.at), hi.max(r.evidence.at))
    });
    if lo > hi {
        return window;
    }
    let pad = ((hi - lo) / 10).max(3 * crate::link::DAY);
    (
        lo.saturating_sub(pad).max(window.0),
        hi.saturating_add(pad).min(window.1),
    )
}

/// A time's position in a window, 0..=1.
fn fraction(t: Ts, window: (Ts, Ts)) -> f64 {
    let span = (window.1 - window.0).max(1) as f64;
    ((t - window.0) as f64 / span).clamp(0.0, 1.0)
}

/// The reports' style sheet (inline: nothing is fetched).
pub const CSS: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em auto;\
max-width:70em;padding:0 1em;color:#222}h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em;\
border-bottom:1px solid #ccc}.verdict{background:#fff6db;border-left:4px solid #e0b000;padding:.5em \
.8em}table{border-collapse:collapse;font-size:.9em}th,td{text-align:left;padding:.2em .6em;\
vertical-align:top}.facts th{color:#555;font-weight:normal}.bars{width:100%}.bars th{white-space:\
nowrap}.bars td.num{text-align:right;width:5em}.bar{display:flex;height:1.1em;width:100%}.seg{display:\
block;height:100%}.legend span{display:inline-block;margin-right:1em;font-size:.85em}.legend i{display:\
inline-block;width:.9em;height:.9em;margin-right:.3em;vertical-align:middle}.evidence{width:100%}\
.evidence tr:nth-child(even){background:#f5f5f5}.evidence td{font-size:.85em}.evidence td:first-child{white-space:nowrap}\
.bars td:last-child{width:75%}.account{white-space:\
pre-wrap;background:#f8f8f8;padding:1em;font-size:.85em}footer{margin-top:2em;color:#666;font-size:\
.85em}svg text{font-size:11px;fill:#333}@media print{.verdict{background:none}}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(
            esc("<b a=\"x\">O'Brien & co</b>"),
            "&lt;b a=&quot;x&quot;&gt;O&#39;Brien &amp; co&lt;/b&gt;"
        );
    }

    #[test]
    fn fractions_stay_inside_the_window() {
        assert_eq!(fraction(5, (0, 10)), 0.5);
        assert_eq!(fraction(-5, (0, 10)), 0.0);
        assert_eq!(fraction(50, (0, 10)), 1.0);
    }
}
