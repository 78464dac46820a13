//! The case report's timeline, as inline SVG: one row per subject shown (and one for
//! the officer's own signs), each evidence row a mark at its time on the force's clock,
//! its shape and colour by source table; months marked on the axis.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{Datelike, TimeZone};

use super::{esc, fraction, shown_span, Row};
use crate::link::Ts;
use crate::score::Scored;
use crate::sign::Sign;

const WIDTH: f64 = 960.0;
const LEFT: f64 = 150.0;
const ROW_H: f64 = 26.0;
const TOP: f64 = 10.0;

/// A colour per pair sign (the contribution bars and legend).
pub(super) fn colour(sign: Sign) -> &'static str {
    const PALETTE: [&str; 10] = [
        "#d62728", "#ff7f0e", "#8c564b", "#1f77b4", "#9467bd", "#17becf", "#bcbd22", "#2ca02c",
        "#e377c2", "#7f7f7f",
    ];
    let k = Sign::PAIR.iter().position(|s| *s == sign).unwrap_or(9);
    PALETTE[k % PALETTE.len()]
}

/// The mark of an evidence row's source table.
fn mark(table: &str, x: f64, y: f64) -> String {
    match table {
        "billing" => format!("<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"4\" fill=\"#d62728\"/>"),
        "stops" => format!(
            "<path d=\"M{:.1} {:.1}l5 8h-10z\" fill=\"#9467bd\"/>",
            x,
            y - 5.0
        ),
        "access_log" => format!(
            "<path d=\"M{:.1} {:.1}l5 5l-5 5l-5-5z\" fill=\"#8c564b\"/>",
            x,
            y - 5.0
        ),
        _ => format!(
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"8\" height=\"8\" fill=\"#555\"/>",
            x - 4.0,
            y - 4.0
        ),
    }
}

/// The timeline of the evidence rows of the shown pairs (and the officer's own).
pub(super) fn timeline(s: &Scored, shown: &[usize], rows: &[Row<'_>]) -> String {
    let mut lanes: Vec<Option<&str>> = shown
        .iter()
        .map(|p| Some(s.linked.subjects[s.pairs[*p].subject].id.as_str()))
        .collect();
    if rows.iter().any(|r| r.subject.is_none()) {
        lanes.push(None);
    }
    let height = TOP + ROW_H * lanes.len() as f64 + 30.0;
    let span = shown_span(rows, s.window);
    let x_of = |t: Ts| LEFT + (WIDTH - LEFT - 10.0) * fraction(t, span);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg class=\"timeline\" viewBox=\"0 0 {WIDTH} {height}\" \
         width=\"100%\" role=\"img\" aria-label=\"timeline of the evidence rows\">"
    );
    for (k, lane) in lanes.iter().enumerate() {
        let y = TOP + ROW_H * (k as f64 + 0.5);
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\
             <line x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/>",
            LEFT - 8.0,
            y + 4.0,
            esc(lane.unwrap_or("officer-level")),
            WIDTH - 10.0
        );
    }
    // One mark per source row and lane; its title lists the signs it supports.
    let mut marks: BTreeMap<(usize, Ts, &str, &str), Vec<&str>> = BTreeMap::new();
    for r in rows {
        let Some(lane) = lanes.iter().position(|l| *l == r.subject) else {
            continue;
        };
        let e = r.evidence;
        marks
            .entry((lane, e.at, e.table, e.row_id.as_str()))
            .or_default()
            .push(r.sign.id());
    }
    for ((lane, at, table, row_id), signs) in &marks {
        let y = TOP + ROW_H * (*lane as f64 + 0.5);
        let _ = writeln!(
            out,
            "<g class=\"mark\" data-table=\"{table}\"><title>{} — {table} {} — {}</title>{}</g>",
            esc(&s.linked.local_time(*at)),
            esc(row_id),
            signs.join(", "),
            mark(table, x_of(*at), y)
        );
    }
    axis(&mut out, s, span, TOP + ROW_H * lanes.len() as f64, &x_of);
    out.push_str(
        "</svg>\n<p class=\"legend\"><span>● call or message (billing)</span> \
        <span>▲ stop (telematics)</span> <span>◆ record access (audit log)</span> \
        <span>■ complaint or record</span></p>\n",
    );
    out
}

/// The time axis: a tick and label at each local month's start in `span`, or each
/// Monday when the span is under two months.
fn axis(out: &mut String, s: &Scored, span: (Ts, Ts), y: f64, x_of: &dyn Fn(Ts) -> f64) {
    let _ = writeln!(
        out,
        "<line x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#888\"/>",
        WIDTH - 10.0
    );
    for (t, label) in ticks(s.linked.timezone, span) {
        let x = x_of(t);
        let _ = writeln!(
            out,
            "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{y:.1}\" y2=\"{:.1}\" stroke=\"#888\"/>\
             <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{label}</text>",
            y + 5.0,
            y + 18.0
        );
    }
}

/// Local midnights in `span`: the first of each month, or each Monday for a span under
/// 60 days; with their labels.
fn ticks(tz: chrono_tz::Tz, span: (Ts, Ts)) -> Vec<(Ts, String)> {
    let Some(start) = chrono::DateTime::from_timestamp_micros(span.0) else {
        return Vec::new();
    };
    let weekly = span.1 - span.0 < 60 * crate::link::DAY;
    let mut day = start.with_timezone(&tz).date_naive();
    let mut out = Vec::new();
    for _ in 0..800 {
        day = day.succ_opt().unwrap_or(day);
        let tick = if weekly {
            day.weekday() == chrono::Weekday::Mon
        } else {
            day.day() == 1
        };
        if !tick {
            continue;
        }
        let Some(t) = tz
            .from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default())
            .earliest()
            .map(|d| d.timestamp_micros())
        else {
            continue;
        };
        if t > span.1 {
            break;
        }
        let label = if weekly {
            day.format("%d %b").to_string()
        } else {
            day.format("%Y-%m").to_string()
        };
        out.push((t, label));
    }
    out
}
