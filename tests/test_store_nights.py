"""Thirty nights as a force's systems export them (issue 18): CSV files with naive
local times across the clocks going forward, bad rows in every table, one file per
table a night under its own name, and reference tables that change night after night
(cases open, close and change hands; people appear). After the last night the frames
are those of one `apsp score` over every file delivered, byte for byte, and no
quarantined row is lost between nights.

The Rust test `crates/apsp-cli/tests/nightly.rs` covers the Parquet nights with a file
delivered twice, one late and one overlapping, and the alerts' states."""

from __future__ import annotations

import csv
import datetime
import io
import json
import subprocess
from pathlib import Path
from typing import NamedTuple

import polars as pl
import pytest

import apsp

NIGHTS = 30
MID_NIGHT = 12
REFERENCE = ("officers", "devices", "persons", "person_numbers", "case_links",
             "vehicle_assignments")
EVENT_TIMES = {"billing": "started_at", "stops": "arrived_at", "access_log": "at",
               "deployments": "start", "shifts": "start", "complaints": "received_at"}
FRAMES = ("officers", "pairs", "signals", "evidence")


def day_of(text: str | None) -> str | None:
    """The day (YYYY-MM-DD) a time written as text falls on; None when it is no
    date (the bad rows' times go to the first night)."""
    if text is None:
        return None
    try:
        return datetime.date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        return None


def lines_of(path: Path) -> list[str]:
    """A file's lines as written, each with its newline (split on newlines only: a bad
    row may hold other line breaks, such as a form feed)."""
    return [line + "\n" for line in path.read_text().split("\n")[:-1]]


def rows_of(path: Path) -> tuple[str, list[str], list[str]]:
    """A CSV file's header line, its fields and its lines as written (a ragged line
    too)."""
    lines = lines_of(path)
    return lines[0], next(csv.reader([lines[0]])), lines[1:]


def fields(line: str) -> list[str]:
    return next(csv.reader([line]), [])


def written(row: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(row)
    return out.getvalue()


def events_of(path: Path, column: str) -> tuple[str, list[tuple[str | None, str]]]:
    """An event file's header line and each line with its day."""
    first, header, lines = rows_of(path)
    k = header.index(column)
    dated = []
    for line in lines:
        f = fields(line)
        dated.append((day_of(f[k]) if k < len(f) else None, line))
    return first, dated


class AsOf(NamedTuple):
    """A table as the night before a cut knew it: its text, the well-formed rows kept
    and those left out (as fields)."""
    text: str
    header: list[str]
    kept: list[list[str]]
    later: list[list[str]]


def known_before(path: Path, cut: str, start: str, ends: tuple[str, ...] = ()) -> AsOf:
    """The rows of a table whose `start` falls before `cut` (or is no date), each of
    its `ends` on or after the cut left blank: not known yet. Lines that are not well
    formed are delivered as they are."""
    first, header, lines = rows_of(path)
    k, end_columns = header.index(start), [header.index(e) for e in ends]
    out = AsOf(first, header, [], [])
    text = [first]
    for line in lines:
        f = fields(line)
        if len(f) != len(header):
            text.append(line)
            continue
        day = day_of(f[k])
        if day is not None and day >= cut:
            out.later.append(f)
            continue
        unknown = [e for e in end_columns if (d := day_of(f[e])) is not None and d >= cut]
        for e in unknown:
            f[e] = ""
        out.kept.append(f)
        text.append(written(f) if unknown else line)
    return out._replace(text="".join(text))


def reference_as_of(force: Path, cut: str) -> dict[str, str]:
    """Each reference table's text as the force held it the night before `cut`: no
    case opened, phone issued or vehicle assigned from then, no closing, hand-over or
    phone's return known yet, no person who first comes into a case from then."""
    links = known_before(force / "case_links.csv", cut, "opened_at",
                         ("closed_at", "officer_until"))
    person = links.header.index("person_id")
    newcomers = {f[person] for f in links.later} - {f[person] for f in links.kept}
    out = {"case_links": links.text,
           "vehicle_assignments": known_before(force / "vehicle_assignments.csv", cut,
                                               "valid_from").text,
           "devices": known_before(force / "devices.csv", cut, "valid_from",
                                   ("valid_to",)).text,
           "officers": (force / "officers.csv").read_text()}
    for t in ("persons", "person_numbers"):
        first, h, lines = rows_of(force / f"{t}.csv")
        k = h.index("person_id")
        out[t] = first + "".join(
            line for line in lines
            if (f := fields(line)) and (len(f) <= k or f[k] not in newcomers))
    return out


@pytest.fixture(scope="module")
def force(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("csv-nights") / "force"
    apsp.synth.generate(d, officers=120, days=90, seed=11, format="csv",
                        realism="real-town", inject_errors=0.002)
    return d


def one_score(apsp_bin: Path, folder: Path, out: Path) -> None:
    p = subprocess.run([str(apsp_bin), "score", str(folder), "--out", str(out), "--overwrite"],
                       capture_output=True, text=True)
    assert p.returncode in (0, 1), p.stderr


def quarantined(run: Path) -> pl.DataFrame:
    return pl.read_parquet(run / "quarantine.parquet").select(
        "table", "file", "line", "reason", "column", "raw")


def test_thirty_csv_nights_equal_one_score_over_everything(force, apsp_bin, tmp_path):
    events = {t: events_of(force / f"{t}.csv", col) for t, col in EVENT_TIMES.items()}
    days = sorted({d for d, _ in events["billing"][1] if d is not None})
    # The history ends where the last thirty nights begin; each night brings a day.
    cuts = days[-NIGHTS:]
    store, everything, drop = tmp_path / "store", tmp_path / "all", tmp_path / "drop"
    summaries = []
    for n in range(NIGHTS + 1):
        if drop.exists():
            for f in sorted(drop.rglob("*"), reverse=True):
                f.unlink() if f.is_file() else f.rmdir()
        last = n == NIGHTS
        reference = ({t: (force / f"{t}.csv").read_text() for t in REFERENCE}
                     if last else reference_as_of(force, cuts[n]))
        for folder in (drop, everything):
            folder.mkdir(exist_ok=True)
            for t, text in reference.items():
                (folder / f"{t}.csv").write_text(text)
        for t, (header, dated) in events.items():
            def tonight(day: str | None, n: int = n, last: bool = last) -> bool:
                if n == 0:
                    return day is None or day < cuts[0]
                return day is not None and day >= cuts[n - 1] and (last or day < cuts[n])
            text = header + "".join(line for day, line in dated if tonight(day))
            for folder in (drop, everything):
                (folder / t).mkdir(exist_ok=True)
                (folder / t / f"night-{n:03d}.csv").write_text(text)
        p = subprocess.run([str(apsp_bin), "nightly", "--store", str(store), "--incoming",
                            str(drop), "--json"], capture_output=True, text=True)
        assert p.returncode in (0, 1), p.stderr
        summary = json.loads(p.stdout)
        assert summary["exit_code"] == (1 if summary["quarantined"] else 0)
        summaries.append(summary)
        if n == MID_NIGHT:
            so_far = tmp_path / "so-far"
            one_score(apsp_bin, everything, so_far)
            for name in FRAMES:
                assert (store / summary["folder"] / f"{name}.parquet").read_bytes() == \
                    (so_far / f"{name}.parquet").read_bytes(), f"night {n}: {name}"

    # The nights were a real force's: the clocks went forward (local times that never
    # happened quarantined), bad rows on most nights, case links taken again nightly.
    reasons = {r for s in summaries for r in s["quarantined_by_reason"]}
    assert "nonexistent_local_time" in reasons
    assert sum(1 for s in summaries if s["quarantined"]) > NIGHTS // 2
    taken = sum(1 for s in summaries
                for f in s["files"] if f["file"] == "case_links.csv" and "not_taken" not in f)
    assert taken > NIGHTS // 2

    once = tmp_path / "once"
    one_score(apsp_bin, everything, once)
    run = store / summaries[-1]["folder"]
    for name in FRAMES:
        assert (run / f"{name}.parquet").read_bytes() == (once / f"{name}.parquet").read_bytes(), \
            name
    assert pl.read_parquet(run / "pairs.parquet").height > 1000
    # Every bad row of the appended tables was quarantined on the night it came, once.
    nightly = pl.concat([quarantined(store / s["folder"]) for s in summaries])
    events_only = pl.col("table").is_in(list(EVENT_TIMES))
    key = ["table", "file", "line"]
    assert nightly.filter(events_only).sort(key).equals(
        quarantined(once).filter(events_only).sort(key))
    assert nightly.filter(events_only).height > 0

