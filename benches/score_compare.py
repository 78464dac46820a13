r"""Scoring benchmark: `apsp score` against the same warning signs in DuckDB SQL and polars.

Not a test: it prints figures. For each force size it generates a synthetic dataset once
(`apsp synth --officers N --days D --seed 1 --format parquet`, cached in
`target/bench-data/synth-{N}x{D}-parquet`) and scores it three ways, each in a fresh
process (so each peak RSS is that process's own, measured by `/usr/bin/time -f %M`),
`--repeat` times (default 3), interleaved: apsp, duckdb, polars, then again, so machine
noise hits every tool alike. The table reports each tool's median wall time (rows/s
from it), the fastest and slowest run, and the highest peak RSS of its runs; the
per-stage tables come from the median run. A run that fails (timeout, out of memory)
marks the tool as failed at that size and is not repeated. The tools are:

1. `apsp score DATASET --out OUT --timings` (the release binary; its per-stage seconds
   and its own peak-RSS line are parsed from stderr);
2. the same indicators as DuckDB SQL (`duckdb` package, see benches/requirements.txt);
3. the same indicators as idiomatic lazy polars.

Both re-implementations read the Parquet files directly, link the tables the way the
engine does, evaluate every warning sign for every officer x subject pair with the
default risk matrix's parameters and weights (read from
crates/apsp-core/matrices/default.toml), score pairs and officers, and write
`officers.parquet` (officer_id, score, rank) and `pairs.parquet` (officer_id,
subject_id, score, one contribution column per sign) to a temporary folder, so no work
is optimised away. As a sanity check the table shows how many of each tool's ten
highest-ranked officers apsp also ranks in its top ten (both from the last run). Scores
are warning signs for review, never verdicts, whichever tool computes them.

    .venv/bin/python benches/score_compare.py --officers 1000 5000 20000 --days 365
    .venv/bin/python benches/score_compare.py --officers 200 --days 90 \
        --only duckdb,polars --repeat 1

What the SQL and polars versions compute (docs/signals.md; times in UTC microseconds):

- linking: billing numbers normalised to E.164 with string functions (`07…`, `+44 …`,
  `0044…`, `+44 (0)…`; anything else — withheld, 999/101, short codes — is never a
  subject); device -> officer by an as-of join on the device's validity windows; the
  other party -> person via person_numbers (the first person listed), else the number
  itself; another officer's device number is a colleague and left out. Stops -> their
  officer_id, else the one officer the vehicle was assigned to at arrival (a range join
  bucketed by day; none or several officers = nobody's stop). Record accesses -> the
  person_id, else the person of subject_number, else the number.
- involvement windows from case_links (opened_at to the earlier of closed_at and
  officer_until, null = open); on duty = inside the officer's latest shift started at or
  before the event (an as-of join).
- the window: 365 days up to the latest linked event. Stops near homes, judged against
  the place's background (crates/apsp-core/src/place): eligible stops are those in the
  window that no deployment of the officer within 150 m overlaps (a day-bucketed range
  join) and that are not within 150 m of the home of anyone the officer was involved
  with at the time (explained, for every home around it); stops within 150 m haversine
  of a subject's home are found by a grid join (cells of 150 m, 3 x 3 neighbours), never
  a cross join. Per (officer, home) with at least min_stops eligible stops near it: k =
  those, n = his eligible stops within around_m (1,500 m), and the others' stops near
  the home and around it give the place's share q (drawn to the area's share
  (150 / 1,500)^2 by prior_stops); unusual when k >= min_ratio x n q, either the officer
  has a tie to the subject (a case at any time, a contact or a look-up in the window)
  or k >= untied_min_stops and k >= untied_min_ratio x n q, and P(Binomial(n, q) >= k)
  <= max_p_value (a sum of binomial terms in log space, for the pairs that pass the
  rest). stop_near_home fires for unusual pairs with intensity (k - n q) / min_stops;
  their near stops are the visits night_contact, after_closure and access_then_contact
  read.
- every pair sign and both officer-level signs, as in docs/signals.md, then pair score =
  sum of weight x min(value / threshold, 3) (x 0.1 for a number in no record, the
  vulnerable_subject aggravator on top) and officer score = best pair + 1/2 second +
  1/4 third (pairs resting only on stops a higher pair already counts left out) + the
  officer-level contributions.

Where they simplify relative to the engine (exactness is not the point; the top-10
overlap shows they compute the same thing):

- the contact_volume peer quantile is taken over all pairs of the role, the officer's
  own pairs included (the engine leaves the officer's own pairs out);
- the stops around a home, everyone's and the officer's own, are counted in cells of
  around_m / 16 (~94 m) whose centre is within around_m of the centre of the home's cell
  (the engine counts everyone's in cells whose centre is within around_m of the home,
  and his own by exact distance);
- on duty uses only the latest shift started before the event (the engine looks at
  every shift that may cover it, and knows duty only where the roster covers the time);
  a device number with overlapping validity windows goes to the latest-starting one;
- the place is judged at 150 m only, and the binomial tail is not multiplied by the
  looks taken for the officer (the engine also judges the door, 50 m, and multiplies
  by 2 distances x the homes of his family);
- not implemented: duplicate person records and shared numbers (aliases), the purpose
  grace around a case, working off the roster, the open-case lapse, escalation's
  relationship volume and direction factor, complaints by category, involvement
  explaining contact where duty is unknown. They change which pairs fire on realistic
  data, not how much work a score is, and the top-10 overlap shows how far apart the
  results are;
- the reference time is the latest contact, attributed stop or access (as the engine);
  tables must be single `TABLE.parquet` files with UTC timestamps (as `apsp synth`
  writes them): no import profiles, no validation, quarantine or duplicate detection,
  no evidence, signals long table, tiers or styles.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
APSP = Path(os.environ.get("APSP_BIN", REPO / "target" / "release" / "apsp"))
MATRIX = REPO / "crates" / "apsp-core" / "matrices" / "default.toml"
TOOLS = ("apsp", "duckdb", "polars")
TIMEZONE = "Europe/London"

DAY = 86_400_000_000  # times are UTC microseconds since 1970
HOUR = DAY // 24
T_MIN, T_MAX = -(2**62), 2**62  # open ends of validity windows
EARTH_M = 6_371_008.8  # mean Earth radius, as the engine's haversine
AROUND_CELLS = 16  # background cells per around_m, as the engine (place/mod.rs)

PAIR_SIGNS = (
    "contact_volume", "escalation", "off_duty_contact", "night_contact", "after_closure",
    "unanswered_persistence", "stop_near_home", "access_without_purpose",
    "access_then_contact", "vulnerable_subject",
)


# --------------------------------------------------------------------------------------
# Parameters shared by both re-implementations
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Params:
    """The default risk matrix's numbers (the engine's defaults, not copies of them)."""

    m: dict

    @classmethod
    def load(cls, path: Path = MATRIX) -> Params:
        return cls(tomllib.loads(path.read_text()))

    def s(self, sign: str) -> dict:
        return self.m["signals"][sign]

    @property
    def cap(self) -> float:
        return self.m["analysis"]["intensity_cap"]

    @property
    def window(self) -> int:
        return self.m["analysis"]["window_days"] * DAY

    @property
    def radius(self) -> float:
        return self.s("stop_near_home")["radius_m"]

    def weight(self, sign: str) -> float:
        return self.s(sign)["weight"]


@dataclass(frozen=True)
class Grid:
    """Grid cells, in degrees at the homes' mean latitude: cells of the radius for the
    stop/home join (3 x 3 neighbours, as the engine), and the place's background cells of
    around_m / 16 (as the engine), with the offsets of the cells whose centre is within
    around_m of a cell's centre."""

    cell_lat: float
    cell_lon: float
    bg_lat: float
    bg_lon: float
    bg_offsets: tuple[tuple[int, int], ...]
    near_offsets: tuple[tuple[int, int], ...] = tuple(
        (i, j) for i in (-1, 0, 1) for j in (-1, 0, 1)
    )

    @classmethod
    def at(cls, ref_lat: float, radius: float, around: float) -> Grid:
        cos = max(math.cos(math.radians(ref_lat)), 0.1)

        def deg(m: float) -> tuple[float, float]:
            return m / 111_000.0, m / (111_000.0 * cos)

        n = AROUND_CELLS
        offsets = tuple(
            (i, j) for i in range(-n, n + 1) for j in range(-n, n + 1) if i * i + j * j <= n * n
        )
        return cls(*deg(radius), *deg(around / n), offsets)


class Stages:
    """Wall seconds per stage, in order."""

    def __init__(self) -> None:
        self.t = time.perf_counter()
        self.laps: list[tuple[str, float]] = []

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps.append((name, now - self.t))
        self.t = now


def night_sql(p: Params, hour: str) -> str:
    a, b = p.s("night_contact")["start_hour"], p.s("night_contact")["end_hour"]
    return f"({hour} >= {a} OR {hour} < {b})" if a > b else f"({hour} >= {a} AND {hour} < {b})"


# --------------------------------------------------------------------------------------
# DuckDB SQL
# --------------------------------------------------------------------------------------


def run_duckdb(ds: Path, out: Path, p: Params) -> list[tuple[str, float]]:
    """The warning signs as DuckDB SQL: a table per step in an in-memory database (spilling
    to disk past its memory limit), then COPY to Parquet."""
    import duckdb

    st = Stages()
    con = duckdb.connect()
    con.execute(f"SET temp_directory = '{out / 'duckdb.tmp'}'")
    con.execute("SET preserve_insertion_order = false")

    def q(sql: str):
        return con.execute(sql)

    def src(t: str) -> str:
        return f"read_parquet('{ds / (t + '.parquet')}', file_row_number = true)"

    R, cap = p.radius, p.cap
    grace = p.s("after_closure")["grace_days"] * DAY
    q(r"""
      -- E.164 from the common UK and international writings; NULL = never a subject
      -- (withheld, service numbers, short codes).
      CREATE MACRO digits(x) AS regexp_replace(replace(x, '(0)', ''), '[^0-9]', '', 'g');
      CREATE MACRO e164(x) AS CASE
          WHEN starts_with(trim(x), '+') AND length(digits(x)) >= 7 THEN '+' || digits(x)
          WHEN starts_with(digits(x), '00') AND length(digits(x)) >= 9
              THEN '+' || substr(digits(x), 3)
          WHEN starts_with(digits(x), '0') AND length(digits(x)) >= 10
              THEN '+44' || substr(digits(x), 2)
      END;
      CREATE MACRO hav(la1, lo1, la2, lo2) AS 2 * 6371008.8 * asin(sqrt(
          pow(sin(radians(la2 - la1) / 2), 2)
          + cos(radians(la1)) * cos(radians(la2)) * pow(sin(radians(lo2 - lo1) / 2), 2)));
      CREATE MACRO us(ts) AS epoch_us(ts);
    """)
    q(f"CREATE MACRO local_hour(ts) AS hour(timezone('{TIMEZONE}', ts))")

    # ---- read and link ---------------------------------------------------------------
    q(f"CREATE TABLE officers AS SELECT officer_id, role FROM {src('officers')}")
    q(f"""CREATE TABLE device_numbers AS
          SELECT DISTINCT e164(device_number) AS number FROM {src('devices')}
          WHERE e164(device_number) IS NOT NULL""")
    q(f"""CREATE TABLE devices AS
          SELECT e164(device_number) AS number, officer_id,
                 coalesce(us(valid_from), {T_MIN}) AS t_from,
                 coalesce(us(valid_to), {T_MAX}) AS t_to
          FROM {src('devices')}
          WHERE e164(device_number) IS NOT NULL
            AND officer_id IN (SELECT officer_id FROM officers)""")
    q(f"""CREATE TABLE number_person AS
          SELECT e164(number) AS number, arg_min(person_id, file_row_number) AS person_id
          FROM {src('person_numbers')} WHERE e164(number) IS NOT NULL GROUP BY 1""")
    q(f"""CREATE TABLE persons AS
          SELECT person_id, date_of_birth - DATE '1970-01-01' AS dob_days,
                 coalesce(vulnerabilities, '') <> '' AS flagged,
                 address_lat AS lat, address_lon AS lon
          FROM {src('persons')}""")
    q(f"""CREATE TABLE inv AS
          SELECT officer_id, person_id AS subject_id, trim(case_id) AS case_id,
                 us(opened_at) AS t_open, us(least(closed_at, officer_until)) AS t_end
          FROM {src('case_links')} WHERE officer_id IN (SELECT officer_id FROM officers)""")
    q(f"""CREATE TABLE shifts AS
          SELECT officer_id, us("start") AS t_start, us("end") AS t_end FROM {src('shifts')}
          WHERE officer_id IN (SELECT officer_id FROM officers)""")
    q(f"""CREATE TABLE contacts AS
          WITH b AS (
              SELECT file_row_number AS row_id, e164(device_number) AS dev,
                     e164(other_number) AS other, direction = 'out' AS out,
                     kind = 'call' AS call, coalesce(duration_s, 0) AS dur,
                     us(started_at) AS t, local_hour(started_at) AS hour
              FROM {src('billing')})
          SELECT b.row_id, d.officer_id, coalesce(np.person_id, b.other) AS subject_id,
                 np.person_id IS NOT NULL AS is_person, b.t, b.hour, b.out, b.call, b.dur
          FROM b ASOF JOIN devices d ON b.dev = d.number AND b.t >= d.t_from
          LEFT JOIN number_person np ON np.number = b.other
          WHERE b.t <= d.t_to AND b.other IS NOT NULL
            AND b.other NOT IN (SELECT number FROM device_numbers)""")
    q(f"""CREATE TABLE accesses AS
          SELECT * FROM (
              SELECT a.file_row_number AS row_id, a.officer_id,
                     coalesce(a.person_id, np.person_id, e164(a.subject_number)) AS subject_id,
                     a.person_id IS NOT NULL OR np.person_id IS NOT NULL AS is_person,
                     us(a."at") AS t, nullif(trim(a.purpose_ref), '') AS purpose
              FROM {src('access_log')} a
              LEFT JOIN number_person np ON np.number = e164(a.subject_number)
              WHERE a.officer_id IN (SELECT officer_id FROM officers))
          WHERE subject_id IS NOT NULL""")
    q(f"""CREATE TABLE stops_raw AS
          SELECT file_row_number AS stop_key, vehicle_id, officer_id, lat, lon,
                 us(arrived_at) AS t, us(departed_at) AS t_until, local_hour(arrived_at) AS hour
          FROM {src('stops')}""")
    # Vehicle assignments by day, so the range join is an equi-join on (vehicle, day).
    q(f"""CREATE TABLE assign_days AS
          WITH a AS (
              SELECT vehicle_id, officer_id,
                     coalesce(us(valid_from), (SELECT min(t) FROM stops_raw)) AS t_from,
                     coalesce(us(valid_to), (SELECT max(t) FROM stops_raw)) AS t_to
              FROM {src('vehicle_assignments')}
              WHERE officer_id IN (SELECT officer_id FROM officers))
          SELECT *, unnest(range(t_from // {DAY}, t_to // {DAY} + 1)) AS day FROM a""")
    q(f"""CREATE TABLE stops AS
          SELECT stop_key, officer_id, lat, lon, t, t_until, hour FROM stops_raw
          WHERE officer_id IN (SELECT officer_id FROM officers)
          UNION ALL
          SELECT s.stop_key, min(a.officer_id), s.lat, s.lon, s.t, s.t_until, s.hour
          FROM stops_raw s JOIN assign_days a ON a.vehicle_id = s.vehicle_id
              AND a.day = s.t // {DAY}
          WHERE s.officer_id IS NULL AND s.t BETWEEN a.t_from AND a.t_to
          GROUP BY s.stop_key, s.lat, s.lon, s.t, s.t_until, s.hour
          HAVING count(DISTINCT a.officer_id) = 1""")
    ref = q("""SELECT max(t) FROM (SELECT t FROM contacts UNION ALL SELECT t FROM stops
                                   UNION ALL SELECT t FROM accesses)""").fetchone()[0]
    w0 = ref - p.window
    st.lap("read and link")

    # ---- stops near homes: eligible stops, the place's background, its verdicts --------
    snh = p.s("stop_near_home")
    around = snh["around_m"]
    ref_lat = q(
        "SELECT avg(lat) FROM persons WHERE lat IS NOT NULL AND lon IS NOT NULL"
    ).fetchone()[0]
    g = Grid.at(ref_lat or 0.0, R, around)
    values = lambda offs: ", ".join(f"({i}, {j})" for i, j in offs)  # noqa: E731
    q(f"""CREATE TABLE dep_days AS
          WITH d AS (
              SELECT officer_id, lat, lon, us("start") AS t_start, us("end") AS t_end
              FROM {src('deployments')} WHERE officer_id IN (SELECT officer_id FROM officers))
          SELECT *, unnest(range(t_start // {DAY}, t_end // {DAY} + 1)) AS day FROM d
          WHERE t_end > {w0}""")
    q(f"""CREATE TABLE undeployed AS
          WITH s AS (SELECT * FROM stops WHERE t > {w0} AND t <= {ref}),
          sd AS (SELECT stop_key, officer_id, lat, lon, t, t_until,
                        unnest(range(t // {DAY}, t_until // {DAY} + 1)) AS day FROM s),
          deployed AS (
              SELECT DISTINCT sd.stop_key FROM sd JOIN dep_days d USING (officer_id, day)
              WHERE d.t_start <= sd.t_until AND d.t_end >= sd.t
                AND hav(sd.lat, sd.lon, d.lat, d.lon) <= {R})
          SELECT s.* FROM s ANTI JOIN deployed USING (stop_key)""")
    q(f"""CREATE TABLE homes AS
          SELECT person_id AS subject_id, lat, lon,
                 floor(lat / {g.cell_lat})::BIGINT AS gi, floor(lon / {g.cell_lon})::BIGINT AS gj
          FROM persons WHERE lat IS NOT NULL AND lon IS NOT NULL""")
    q(f"""CREATE TABLE near_any AS
          WITH s AS (
              SELECT u.*, floor(u.lat / {g.cell_lat})::BIGINT + o.di AS gi,
                     floor(u.lon / {g.cell_lon})::BIGINT + o.dj AS gj
              FROM undeployed u CROSS JOIN (VALUES {values(g.near_offsets)}) o(di, dj))
          SELECT s.stop_key, s.officer_id, h.subject_id, s.t, s.hour
          FROM s JOIN homes h USING (gi, gj)
          WHERE hav(s.lat, s.lon, h.lat, h.lon) <= {R}""")
    # A stop within the radius of the home of anyone the officer was involved with at the
    # time is explained, for every home around it; the others are eligible.
    q(f"""CREATE TABLE explained AS
          SELECT DISTINCT n.stop_key FROM near_any n JOIN inv i USING (officer_id, subject_id)
          WHERE n.t BETWEEN i.t_open AND coalesce(i.t_end, {T_MAX})""")
    q(f"""CREATE TABLE eligible_cells AS
          SELECT officer_id, floor(lat / {g.bg_lat})::BIGINT AS bi,
                 floor(lon / {g.bg_lon})::BIGINT AS bj, count(*) AS n
          FROM undeployed ANTI JOIN explained USING (stop_key) GROUP BY ALL""")
    q("CREATE TABLE near AS SELECT * FROM near_any ANTI JOIN explained USING (stop_key)")
    # Per (officer, home) with at least min_stops eligible stops near it: his k stops near
    # the home among his n around it, against the share q of the others' stops near it
    # among theirs around it (drawn to the area's share by prior_stops). Far more stops
    # than the place predicts (and, without a tie, a place pattern), then the binomial
    # tail p = P(Bin(n, q) >= k): a sum of terms in log space (lgamma; q kept off 0 and 1).
    min_stops, prior = max(snh["min_stops"], 1), snh["prior_stops"]
    q(f"""CREATE TABLE verdicts AS
          WITH pk AS (SELECT officer_id, subject_id, count(*) AS k FROM near GROUP BY ALL),
          cand AS (
              SELECT pk.*, sum(k) OVER (PARTITION BY subject_id) - k AS others_near,
                     floor(h.lat / {g.bg_lat})::BIGINT AS bi,
                     floor(h.lon / {g.bg_lon})::BIGINT AS bj
              FROM pk JOIN homes h USING (subject_id) QUALIFY k >= {min_stops}),
          -- every officer's eligible stops around each judged home, by officer: the
          -- background cells whose centre is within around_m of the home's cell's centre
          around AS (
              SELECT *, sum(n) OVER (PARTITION BY subject_id)::BIGINT AS everyone FROM (
                  SELECT h.subject_id, e.officer_id, sum(e.n)::BIGINT AS n
                  FROM (SELECT DISTINCT subject_id, bi, bj FROM cand) h
                  CROSS JOIN (VALUES {values(g.bg_offsets)}) o(di, dj)
                  JOIN eligible_cells e ON e.bi = h.bi + o.di AND e.bj = h.bj + o.dj
                  GROUP BY ALL)),
          -- a tie: a case with her at any time, a contact or a look-up in the window
          tied AS (
              SELECT officer_id, subject_id FROM inv
              UNION SELECT officer_id, subject_id FROM contacts WHERE t > {w0} AND t <= {ref}
              UNION SELECT officer_id, subject_id FROM accesses WHERE t > {w0} AND t <= {ref}),
          counts AS (
              SELECT c.officer_id, c.subject_id, c.k, c.others_near,
                     greatest(coalesce(a.n, 0), c.k) AS n,
                     greatest(coalesce(a.everyone - a.n, 0), 0) AS others_around,
                     t.officer_id IS NOT NULL AS tied
              FROM cand c LEFT JOIN around a USING (officer_id, subject_id)
              LEFT JOIN tied t USING (officer_id, subject_id)),
          shares AS (
              SELECT *, n * q AS expected FROM (
                  SELECT *, least(greatest(
                      (others_near + {prior * (R / around) ** 2})
                      / (greatest(others_around, others_near) + {prior}), 1e-12), 1 - 1e-12) AS q
                  FROM counts))
          SELECT officer_id, subject_id, k, expected,
                 CASE WHEN k >= {snh['min_ratio']} * expected
                           AND (tied OR (k >= {snh['untied_min_stops']}
                                         AND k >= {snh['untied_min_ratio']} * expected))
                      THEN list_sum(list_transform(range(k, n + 1), lambda j: exp(
                               lgamma(n + 1) - lgamma(j + 1) - lgamma(n - j + 1)
                               + j * ln(q) + (n - j) * ln(1 - q)))) <= {snh['max_p_value']}
                      ELSE false END AS unusual
          FROM shares""")
    st.lap("stops near homes")

    # ---- facts per event, signs per pair ----------------------------------------------
    def inv_flags(events: str, key: str) -> str:
        """Per event: involved at t; inside an involvement or its grace; past the grace
        of an ended involvement (after_closure = the last and not the second)."""
        return f"""
            SELECT {key},
                   bool_or(e.t BETWEEN i.t_open AND coalesce(i.t_end, {T_MAX})) AS involved,
                   bool_or(e.t >= i.t_open
                           AND (i.t_end IS NULL OR e.t <= i.t_end + {grace})) AS in_grace,
                   bool_or(e.t > i.t_end + {grace}) AS past_end
            FROM {events} e JOIN inv i USING (officer_id, subject_id) GROUP BY {key}"""

    esc, cv, up = p.s("escalation"), p.s("contact_volume"), p.s("unanswered_persistence")
    q(f"""CREATE TABLE cf AS
          WITH c AS (SELECT * FROM contacts WHERE t > {w0} AND t <= {ref}),
          f AS ({inv_flags('c', 'row_id')}),
          facts AS (
              SELECT c.*, coalesce(c.t <= s.t_end, false) AS on_duty,
                     coalesce(f.involved, false) AS involved,
                     coalesce(f.past_end AND NOT f.in_grace, false) AS after
              FROM c ASOF LEFT JOIN shifts s ON c.officer_id = s.officer_id AND c.t >= s.t_start
              LEFT JOIN f USING (row_id))
          SELECT *, on_duty AND involved AS explained,
                 out AND NOT (on_duty AND involved) AS pursued,
                 out OR NOT call OR dur > 5 AS engaged,
                 {night_sql(p, 'hour')} AS night,
                 out AND coalesce(t - max(CASE WHEN NOT out THEN t END) OVER (
                     PARTITION BY officer_id, subject_id ORDER BY t, row_id
                     ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
                     <= {p.m['analysis']['reply_hours'] * HOUR},
                     false) AS reply
          FROM facts""")
    q(f"""CREATE TABLE volume AS
          SELECT officer_id, subject_id, max(n) AS volume FROM (
              SELECT officer_id, subject_id, count(*) OVER (
                  PARTITION BY officer_id, subject_id ORDER BY t
                  RANGE BETWEEN {cv['window_days'] * DAY - 1} PRECEDING AND CURRENT ROW) AS n
              FROM cf WHERE pursued)
          GROUP BY ALL""")
    q(f"""CREATE TABLE escalation AS
          WITH pc AS (
              SELECT officer_id, subject_id, t,
                     min(t) OVER (PARTITION BY officer_id, subject_id) AS t0
              FROM cf WHERE pursued),
          weeks AS (
              SELECT officer_id, subject_id, (t - t0) // {7 * DAY} AS week, count(*) AS n,
                     count(*) FILTER (t < t0 + {esc['burst_days'] * DAY}) AS burst
              FROM pc GROUP BY ALL),
          growth AS (
              SELECT *, CASE WHEN week >= 1 AND n >= {esc['growth_min_week']}
                        THEN n / greatest(
                            CASE WHEN lag(week) OVER w = week - 1 THEN lag(n) OVER w ELSE 0 END, 1)
                        ELSE 0 END AS g
              FROM weeks WINDOW w AS (PARTITION BY officer_id, subject_id ORDER BY week))
          SELECT officer_id, subject_id, sum(burst) AS burst, max(g) AS growth
          FROM growth GROUP BY ALL""")
    q(f"""CREATE TABLE pc AS
          SELECT officer_id, subject_id, bool_or(is_person) AS is_person,
                 count(*) AS n_contacts, count(*) FILTER (NOT out) AS n_in,
                 count(*) FILTER (engaged AND NOT on_duty) AS off_duty,
                 count(*) FILTER (engaged AND NOT explained AND night) AS night_c,
                 count(*) FILTER (out AND after) AS after_c,
                 count(*) FILTER (out AND call AND dur <= {up['short_seconds']}) AS short_calls,
                 min(t) FILTER (out AND NOT reply AND NOT explained) AS first_contact,
                 min(t) AS first_t
          FROM cf GROUP BY ALL""")
    # The near stops of the (officer, home) pairs the place judged; they are visits (read
    # by night_contact, after_closure and access_then_contact too) when it found them unusual.
    q(f"""CREATE TABLE nf AS
          WITH n AS (SELECT * FROM near JOIN verdicts USING (officer_id, subject_id)),
          f AS ({inv_flags('n', 'stop_key, subject_id')})
          SELECT n.*, coalesce(f.past_end AND NOT f.in_grace, false) AS after,
                 {night_sql(p, 'n.hour')} AS night
          FROM n LEFT JOIN f USING (stop_key, subject_id)""")
    q("""CREATE TABLE pn AS
         SELECT officer_id, subject_id, any_value(unusual) AS visits,
                greatest(any_value(k) - any_value(expected), 0) AS snh_excess,
                count(*) FILTER (unusual AND night) AS night_s,
                count(*) FILTER (unusual AND after) AS after_s,
                min(t) FILTER (unusual) AS first_stop, min(t) AS first_t
         FROM nf GROUP BY ALL""")
    q(f"""CREATE TABLE af AS
          WITH a AS (SELECT * FROM accesses WHERE t > {w0} AND t <= {ref}),
          f AS ({inv_flags('a', 'row_id')}),
          purpose AS (
              SELECT DISTINCT a.row_id FROM a
              JOIN inv i ON i.officer_id = a.officer_id AND i.case_id = a.purpose
              WHERE a.t BETWEEN i.t_open AND coalesce(i.t_end, {T_MAX}))
          SELECT a.*, coalesce(f.involved, false) AS involved,
                 coalesce(f.past_end AND NOT f.in_grace, false) AS after,
                 a.row_id IN (SELECT row_id FROM purpose) AS purpose_ok
          FROM a LEFT JOIN f USING (row_id)""")
    q("""CREATE TABLE pa AS
         SELECT officer_id, subject_id, bool_or(is_person) AS is_person,
                count(*) FILTER (NOT involved AND NOT purpose_ok) AS awp,
                count(*) FILTER (after) AS after_a, min(t) AS first_t
         FROM af GROUP BY ALL""")

    def fired(cond: str, value: str, threshold: str | float, sign: str) -> str:
        return (f"CASE WHEN {cond} THEN {p.weight(sign)} * least(({value}) / ({threshold}), {cap}) "
                f"ELSE 0 END * factor AS {sign}")

    od, nc, ac = p.s("off_duty_contact"), p.s("night_contact"), p.s("after_closure")
    snh, awp = p.s("stop_near_home"), p.s("access_without_purpose")
    vs, atc = p.s("vulnerable_subject"), p.s("access_then_contact")
    young_us = 18 * 365 * DAY + 4 * DAY + DAY // 2
    off_duty_sign = fired(f"rostered AND off_duty >= {od['min_events']}", "off_duty",
                         od["min_events"], "off_duty_contact")
    night_sign = fired(f"night >= {nc['min_events']}", "night", nc["min_events"], "night_contact")
    after_sign = fired(f"after >= {ac['min_events']}", "after", ac["min_events"], "after_closure")
    unanswered_sign = fired(
        f"short_calls >= {up['min_short_calls']} AND inbound_share <= {up['max_inbound_share']}",
        "short_calls", up["min_short_calls"], "unanswered_persistence",
    )
    awp_sign = fired(f"awp >= {awp['min_events']}", "awp", awp["min_events"],
                    "access_without_purpose")
    q(f"""CREATE TABLE pairs AS
          WITH k AS (SELECT officer_id, subject_id FROM pc
                     UNION SELECT officer_id, subject_id FROM pn
                     UNION SELECT officer_id, subject_id FROM pa),
          rostered AS (
              SELECT DISTINCT officer_id FROM shifts WHERE t_end > {w0} AND t_start <= {ref}),
          base AS (
              SELECT k.officer_id, k.subject_id, o.role,
                     coalesce(pc.is_person, false) OR pn.officer_id IS NOT NULL
                         OR coalesce(pa.is_person, false) AS is_person,
                     coalesce(v.volume, 0) AS volume,
                     coalesce(e.burst, 0) AS burst, coalesce(e.growth, 0) AS growth,
                     coalesce(pc.off_duty, 0) AS off_duty,
                     k.officer_id IN (SELECT * FROM rostered) AS rostered,
                     coalesce(pc.night_c, 0) + coalesce(pn.night_s, 0) AS night,
                     coalesce(pc.after_c, 0) + coalesce(pn.after_s, 0)
                         + coalesce(pa.after_a, 0) AS after,
                     coalesce(pc.short_calls, 0) AS short_calls,
                     coalesce(pc.n_in / pc.n_contacts, 0) AS inbound_share,
                     coalesce(pn.visits, false) AS visits,
                     coalesce(pn.snh_excess, 0) AS snh_excess, coalesce(pa.awp, 0) AS awp,
                     CASE WHEN pn.first_stop < coalesce(pc.first_contact, {T_MAX})
                          THEN pn.first_stop ELSE pc.first_contact END AS t_initiated,
                     least(pc.first_t, pn.first_t, pa.first_t) AS first_t,
                     coalesce(pc.night_c, 0) > 0 AS night_by_phone,
                     coalesce(pc.after_c, 0) + coalesce(pa.after_a, 0) > 0 AS after_not_stops
              FROM k JOIN officers o ON o.officer_id = k.officer_id
              LEFT JOIN pc ON pc.officer_id = k.officer_id AND pc.subject_id = k.subject_id
              LEFT JOIN pn ON pn.officer_id = k.officer_id AND pn.subject_id = k.subject_id
              LEFT JOIN pa ON pa.officer_id = k.officer_id AND pa.subject_id = k.subject_id
              LEFT JOIN volume v ON v.officer_id = k.officer_id AND v.subject_id = k.subject_id
              LEFT JOIN escalation e ON e.officer_id = k.officer_id
                  AND e.subject_id = k.subject_id),
          -- contact_volume: above the peers' p99 (nearest rank) and at least min_contacts;
          -- a role with fewer than min_peers officers is compared with all officers.
          quantiles AS (
              SELECT role,
                     list_sort(list(volume))[
                         greatest(ceil({cv['peer_quantile']} * count(*)), 1)::BIGINT] AS q
              FROM base WHERE volume > 0 GROUP BY GROUPING SETS ((role), ())),
          thresholds AS (
              SELECT o.role, greatest(coalesce(CASE WHEN count(*) < {cv['min_peers']}
                                                    THEN any_value(qa.q)
                                                    ELSE any_value(qr.q) END, 0) + 1,
                                      {cv['min_contacts']}) AS threshold
              FROM officers o LEFT JOIN quantiles qr ON qr.role = o.role
              CROSS JOIN (SELECT q FROM quantiles WHERE role IS NULL) qa
              GROUP BY o.role),
          atc AS (
              SELECT DISTINCT b.officer_id, b.subject_id FROM base b
              JOIN af a ON a.officer_id = b.officer_id AND a.subject_id = b.subject_id
              WHERE NOT a.involved AND NOT a.purpose_ok AND a.t <= b.t_initiated
                AND b.t_initiated - a.t <= {atc['max_days'] * DAY}),
          signs AS (
              SELECT b.*,
                     CASE WHEN b.is_person THEN 1.0
                          ELSE {p.m['analysis']['no_record_factor']} END AS factor,
                     atc.officer_id IS NOT NULL AS atc_fired, ps.flagged, ps.dob_days
              FROM base b LEFT JOIN persons ps ON b.is_person AND ps.person_id = b.subject_id
              LEFT JOIN atc ON atc.officer_id = b.officer_id AND atc.subject_id = b.subject_id),
          contributions AS (
              SELECT s.*,
                  {fired('volume >= t.threshold', 'volume', 't.threshold', 'contact_volume')},
                  CASE WHEN burst >= {esc['burst_min']} OR growth >= {esc['growth_min']}
                       THEN {p.weight('escalation')}
                            * least(greatest(burst / {esc['burst_min']},
                                             growth / {esc['growth_min']}), {cap})
                       ELSE 0 END * factor AS escalation,
                  {off_duty_sign},
                  {night_sign},
                  {after_sign},
                  {unanswered_sign},
                  {fired('visits', 'snh_excess', max(snh['min_stops'], 1), 'stop_near_home')},
                  {awp_sign},
                  CASE WHEN atc_fired THEN {p.weight('access_then_contact')} ELSE 0 END
                      * factor AS access_then_contact
              FROM signs s JOIN thresholds t USING (role)),
          aggravated AS (
              SELECT *, {' + '.join(PAIR_SIGNS[:-1])} AS others,
                     dob_days IS NOT NULL AND first_t < dob_days * {DAY} + {young_us} AS young
              FROM contributions)
          SELECT officer_id, subject_id, is_person, night_by_phone, after_not_stops,
                 {', '.join(PAIR_SIGNS[:-1])},
                 CASE WHEN NOT is_person OR others = 0 THEN 0
                      WHEN young THEN {vs['young_person_weight']} * others
                      WHEN flagged THEN {vs['weight']} * others ELSE 0 END AS vulnerable_subject,
                 others + vulnerable_subject AS score
          FROM aggravated""")
    st.lap("score pairs")

    # ---- officers -----------------------------------------------------------------------
    ms, rc, agg = p.s("multiple_subjects"), p.s("repeat_complaints"), p.m["officer"]
    q(f"""CREATE TABLE officer_scores AS
          WITH ranked AS (
              SELECT officer_id, subject_id, score,
                     row_number() OVER (
                         PARTITION BY officer_id ORDER BY score DESC, subject_id) AS r,
                     contact_volume + escalation + off_duty_contact + unanswered_persistence
                         + access_without_purpose + access_then_contact > 0
                         OR (night_contact > 0 AND night_by_phone)
                         OR (after_closure > 0 AND after_not_stops) AS non_stop,
                     stop_near_home > 0 AS snh_f
              FROM pairs WHERE score > 0),
          -- The stops behind each pair's fired signs (the stops of a pair fired by
          -- stop_near_home: the night and after-closure visits are among them); a pair
          -- resting only on stops that a higher pair of the officer already counts (her
          -- neighbours) is not counted twice.
          ev_stops AS (
              SELECT DISTINCT r.officer_id, r.subject_id, r.r, r.non_stop, n.stop_key
              FROM ranked r JOIN nf n ON n.officer_id = r.officer_id AND n.subject_id = r.subject_id
              WHERE r.snh_f),
          echoes AS (
              SELECT e.officer_id, e.subject_id FROM ev_stops e
              JOIN (SELECT officer_id, stop_key, min(r) AS r0 FROM ev_stops GROUP BY ALL) c
                ON c.officer_id = e.officer_id AND c.stop_key = e.stop_key
              WHERE NOT e.non_stop GROUP BY e.officer_id, e.subject_id, e.r
                  HAVING bool_and(c.r0 < e.r)),
          counted AS (
              SELECT officer_id, score,
                     row_number() OVER (
                         PARTITION BY officer_id ORDER BY score DESC, subject_id) - 1 AS k
              FROM ranked ANTI JOIN echoes USING (officer_id, subject_id)),
          best AS (
              SELECT officer_id,
                     sum(score * pow({agg['decay']}, k))
                         FILTER (k < {agg['top_pairs']}) AS top_score,
                     count(*) FILTER (score >= {ms['min_pair_score']}) AS n_flagged
              FROM counted GROUP BY ALL),
          complaints AS (
              SELECT officer_id, max(n) AS n FROM (
                  SELECT officer_id, count(*) OVER (PARTITION BY officer_id ORDER BY t
                      RANGE BETWEEN {rc['window_days'] * DAY - 1} PRECEDING AND CURRENT ROW) AS n
                  FROM (SELECT officer_id, us(received_at) AS t FROM {src('complaints')})
                  WHERE t <= {ref})
              GROUP BY ALL),
          scored AS (
              SELECT o.officer_id,
                     coalesce(top_score, 0)
                     + CASE WHEN n_flagged >= {ms['min_subjects']}
                            THEN {ms['weight']} * least(n_flagged / {ms['min_subjects']}, {cap})
                            ELSE 0 END
                     + CASE WHEN c.n >= {rc['min_complaints']}
                            THEN {rc['weight']} * least(c.n / {rc['min_complaints']}, {cap})
                            ELSE 0 END AS score
              FROM officers o LEFT JOIN best USING (officer_id) LEFT JOIN complaints c
                  USING (officer_id))
          SELECT officer_id, score, row_number() OVER (ORDER BY score DESC, officer_id) AS rank
          FROM scored""")
    st.lap("score officers")

    q(f"COPY (SELECT * FROM officer_scores ORDER BY rank) TO '{out / 'officers.parquet'}' "
      "(FORMAT parquet)")
    q(f"""COPY (SELECT officer_id, subject_id, score, {', '.join(PAIR_SIGNS)} FROM pairs)
          TO '{out / 'pairs.parquet'}' (FORMAT parquet)""")
    st.lap("write")
    con.close()
    return st.laps


# --------------------------------------------------------------------------------------
# polars
# --------------------------------------------------------------------------------------


def run_polars(ds: Path, out: Path, p: Params) -> list[tuple[str, float]]:
    """The warning signs as lazy polars, collected once per stage."""
    import polars as pl

    st = Stages()
    c = pl.col
    R, cap = p.radius, p.cap
    grace = p.s("after_closure")["grace_days"] * DAY
    pair = ["officer_id", "subject_id"]

    def scan(t: str) -> pl.LazyFrame:
        return pl.scan_parquet(ds / f"{t}.parquet")

    def us(name: str) -> pl.Expr:
        return c(name).dt.epoch("us")

    def local_hour(name: str) -> pl.Expr:
        return c(name).dt.convert_time_zone(TIMEZONE).dt.hour()

    def e164(x: pl.Expr) -> pl.Expr:
        """E.164 from the common writings; null = never a subject (withheld, service)."""
        d = x.str.replace("(0)", "", literal=True).str.replace_all(r"[^0-9]", "")
        n = d.str.len_chars()
        return (
            pl.when(x.str.strip_chars().str.starts_with("+") & (n >= 7)).then(pl.lit("+") + d)
            .when(d.str.starts_with("00") & (n >= 9)).then(pl.lit("+") + d.str.slice(2))
            .when(d.str.starts_with("0") & (n >= 10)).then(pl.lit("+44") + d.str.slice(1))
        )

    def hav(la1: pl.Expr, lo1: pl.Expr, la2: pl.Expr, lo2: pl.Expr) -> pl.Expr:
        a = ((la2 - la1).radians() / 2).sin().pow(2) + la1.radians().cos() * la2.radians().cos() * (
            (lo2 - lo1).radians() / 2
        ).sin().pow(2)
        return 2 * EARTH_M * a.sqrt().arcsin()

    def night(hour: pl.Expr) -> pl.Expr:
        a, b = p.s("night_contact")["start_hour"], p.s("night_contact")["end_hour"]
        return (hour >= a) | (hour < b) if a > b else (hour >= a) & (hour < b)

    def known(lf: pl.LazyFrame) -> pl.LazyFrame:
        return lf.join(officers.select("officer_id"), on="officer_id", how="semi")

    def days(a: pl.Expr, b: pl.Expr) -> pl.Expr:
        return pl.int_ranges(a // DAY, b // DAY + 1)

    # ---- read and link ---------------------------------------------------------------
    officers = scan("officers").select("officer_id", "role").collect().lazy()
    device_numbers = scan("devices").select(number=e164(c("device_number"))).drop_nulls().unique()
    devices = (
        known(scan("devices"))
        .select(
            number=e164(c("device_number")), officer_id="officer_id",
            t_from=us("valid_from").fill_null(T_MIN), t_to=us("valid_to").fill_null(T_MAX),
        )
        .drop_nulls("number")
        .sort("t_from")
    )
    number_person = (
        scan("person_numbers").with_row_index("rn")
        .select("rn", "person_id", number=e164(c("number")))
        .drop_nulls("number")
        .group_by("number").agg(c("person_id").sort_by("rn").first())
    )
    persons = scan("persons").select(
        "person_id",
        dob_days=c("date_of_birth").cast(pl.Int32),
        flagged=c("vulnerabilities").fill_null("") != "",
        lat="address_lat", lon="address_lon",
    )
    inv = known(scan("case_links")).select(
        "officer_id", subject_id="person_id", case_id=c("case_id").str.strip_chars(),
        t_open=us("opened_at"), t_end=pl.min_horizontal(us("closed_at"), us("officer_until")),
    ).collect().lazy()
    shifts = (
        known(scan("shifts"))
        .select("officer_id", t_start=us("start"), t_end=us("end"))
        .sort("t_start")
    )
    shifts = shifts.collect().lazy()
    contacts = (
        scan("billing").with_row_index("row_id")
        .select(
            "row_id", dev=e164(c("device_number")), other=e164(c("other_number")),
            out=c("direction") == "out", call=c("kind") == "call", dur=c("duration_s").fill_null(0),
            t=us("started_at"), hour=local_hour("started_at"),
        )
        .drop_nulls("other")
        .join(device_numbers, left_on="other", right_on="number", how="anti")
        .sort("t")
        .join_asof(devices, left_on="t", right_on="t_from", by_left="dev", by_right="number",
                   check_sortedness=False)
        .filter(c("t") <= c("t_to"))
        .join(number_person, left_on="other", right_on="number", how="left")
        .select(
            "row_id", "officer_id", subject_id=pl.coalesce("person_id", "other"),
            is_person=c("person_id").is_not_null(),
            t="t", hour="hour", out="out", call="call", dur="dur",
        )
    )
    accesses = (
        known(scan("access_log")).with_row_index("row_id")
        .with_columns(number=e164(c("subject_number")))
        .join(number_person.rename({"person_id": "number_person"}), on="number", how="left")
        .select(
            "row_id", "officer_id", subject_id=pl.coalesce("person_id", "number_person", "number"),
            is_person=c("person_id").is_not_null() | c("number_person").is_not_null(),
            t=us("at"),
            purpose=pl.when(c("purpose_ref").str.strip_chars() != "")
            .then(c("purpose_ref").str.strip_chars()),
        )
        .drop_nulls("subject_id")
    )
    stops_raw = scan("stops").with_row_index("stop_key").select(
        "stop_key", "vehicle_id", "officer_id", "lat", "lon",
        t=us("arrived_at"), t_until=us("departed_at"), hour=local_hour("arrived_at"),
    ).collect()
    t_lo, t_hi = stops_raw["t"].min(), stops_raw["t"].max()
    # Vehicle assignments by day, so the range join is an equi-join on (vehicle, day).
    assign_days = (
        known(scan("vehicle_assignments"))
        .select("vehicle_id", "officer_id", t_from=us("valid_from").fill_null(t_lo),
                t_to=us("valid_to").fill_null(t_hi))
        .with_columns(day=days(c("t_from"), c("t_to"))).explode("day")
    )
    by_assignment = (
        stops_raw.lazy().filter(c("officer_id").is_null()).drop("officer_id")
        .with_columns(day=c("t") // DAY)
        .join(assign_days, on=["vehicle_id", "day"])
        .filter(c("t").is_between(c("t_from"), c("t_to")))
        .group_by("stop_key")
        .agg(c("officer_id").min(), n=c("officer_id").n_unique())
        .filter(c("n") == 1)
    )
    stop_cols = ["stop_key", "officer_id", "lat", "lon", "t", "t_until", "hour"]
    stops = pl.concat([
        known(stops_raw.lazy().drop_nulls("officer_id")).select(stop_cols),
        stops_raw.lazy().drop("officer_id")
        .join(by_assignment.select("stop_key", "officer_id"), on="stop_key")
        .select(stop_cols),
    ])
    contacts, accesses, stops = pl.collect_all([contacts, accesses, stops])
    ref = max(contacts["t"].max(), stops["t"].max(), accesses["t"].max())
    w0 = ref - p.window
    in_window = c("t").is_between(w0, ref, closed="right")
    st.lap("read and link")

    # ---- stops near homes: eligible stops, the place's background, its verdicts --------
    snh = p.s("stop_near_home")
    around = snh["around_m"]
    homes = (
        persons.drop_nulls(["lat", "lon"])
        .select(subject_id="person_id", h_lat="lat", h_lon="lon")
        .collect()
    )
    g = Grid.at(homes["h_lat"].mean() or 0.0, R, around)
    offsets = lambda offs: pl.LazyFrame(offs, schema=["di", "dj"], orient="row")  # noqa: E731

    def cells(lat: str, lon: str, dlat: float, dlon: float, i: str, j: str) -> list[pl.Expr]:
        """Columns i, j: the grid cell of (lat, lon) for cells of dlat x dlon degrees."""
        return [(c(lat) / dlat).floor().cast(pl.Int64).alias(i),
                (c(lon) / dlon).floor().cast(pl.Int64).alias(j)]

    stops_w = stops.lazy().filter(in_window)
    dep_days = (
        known(scan("deployments"))
        .select("officer_id", d_lat="lat", d_lon="lon", t_start=us("start"), t_end=us("end"))
        .filter(c("t_end") > w0)
        .with_columns(day=days(c("t_start"), c("t_end"))).explode("day")
    )
    deployed = (
        stops_w.with_columns(day=days(c("t"), c("t_until"))).explode("day")
        .join(dep_days, on=["officer_id", "day"])
        .filter(
            (c("t_start") <= c("t_until")) & (c("t_end") >= c("t"))
            & (hav(c("lat"), c("lon"), c("d_lat"), c("d_lon")) <= R)
        )
        .select("stop_key").unique()
    )
    undeployed = stops_w.join(deployed, on="stop_key", how="anti").collect().lazy()
    grid_homes = homes.lazy().with_columns(
        cells("h_lat", "h_lon", g.cell_lat, g.cell_lon, "gi", "gj")
    )
    near_any = (
        undeployed.join(offsets(g.near_offsets), how="cross")
        .with_columns(cells("lat", "lon", g.cell_lat, g.cell_lon, "gi", "gj"))
        .with_columns(c("gi") + c("di"), c("gj") + c("dj"))
        .join(grid_homes, on=["gi", "gj"])
        .filter(hav(c("lat"), c("lon"), c("h_lat"), c("h_lon")) <= R)
        .select("stop_key", "officer_id", "subject_id", "t", "hour")
        .collect().lazy()
    )
    # A stop within the radius of the home of anyone the officer was involved with at the
    # time is explained, for every home around it; the others are eligible.
    explained = (
        near_any.join(inv, on=pair)
        .filter((c("t") >= c("t_open")) & (c("t_end").is_null() | (c("t") <= c("t_end"))))
        .select("stop_key").unique()
    )
    eligible_cells = (
        undeployed.join(explained, on="stop_key", how="anti")
        .group_by("officer_id", *cells("lat", "lon", g.bg_lat, g.bg_lon, "bi", "bj"))
        .agg(n=pl.len().cast(pl.Int64))
        .collect().lazy()
    )
    near = near_any.join(explained, on="stop_key", how="anti").collect()
    # Per (officer, home) with at least min_stops eligible stops near it: his k stops near
    # the home among his n around it, against the share q of the others' stops near it
    # among theirs around it (drawn to the area's share by prior_stops).
    min_stops, prior = max(snh["min_stops"], 1), snh["prior_stops"]
    cand = (
        near.lazy().group_by(pair).agg(k=pl.len().cast(pl.Int64))
        .with_columns(others_near=c("k").sum().over("subject_id") - c("k"))
        .filter(c("k") >= min_stops)
        .join(homes.lazy(), on="subject_id")
        .with_columns(cells("h_lat", "h_lon", g.bg_lat, g.bg_lon, "bi", "bj"))
        .collect().lazy()
    )
    # Every officer's eligible stops around each judged home, by officer: the background
    # cells whose centre is within around_m of the home's cell's centre (streamed: a row
    # per home, cell and officer stopping in it).
    around_by = (
        cand.select("subject_id", "bi", "bj").unique()
        .join(offsets(g.bg_offsets), how="cross")
        .select("subject_id", bi=c("bi") + c("di"), bj=c("bj") + c("dj"))
        .join(eligible_cells, on=["bi", "bj"])
        .group_by("subject_id", "officer_id").agg(c("n").sum())
        .with_columns(everyone=c("n").sum().over("subject_id"))
        .collect(engine="streaming").lazy()
    )
    tied = (  # a case with her at any time, a contact or a look-up in the window
        pl.concat([inv.select(pair), contacts.lazy().filter(in_window).select(pair),
                   accesses.lazy().filter(in_window).select(pair)])
        .unique().with_columns(tied=pl.lit(True))
    )
    counts = (
        cand.join(around_by, on=pair, how="left").join(tied, on=pair, how="left")
        .select(
            *pair, "k", "others_near",
            n=pl.max_horizontal(c("n").fill_null(0), "k"),
            others_around=(c("everyone") - c("n")).fill_null(0).clip(0),
            tied=c("tied").fill_null(False),
        )
        .with_columns(
            q=((c("others_near") + prior * (R / around) ** 2)
               / (pl.max_horizontal("others_around", "others_near") + prior))
            .clip(1e-12, 1 - 1e-12)
        )
        .with_columns(expected=c("n") * c("q"))
    )
    # Far more stops than the place predicts (and, without a tie, a place pattern), then
    # the binomial tail p = P(Bin(n, q) >= k): the terms of j = 0..n, log C(n, j) as a
    # running sum of log((n - j + 1) / j), summed from j = k (q kept off 0 and 1).
    j = c("j")
    tails = (
        counts.filter(
            (c("k") >= snh["min_ratio"] * c("expected"))
            & (c("tied") | ((c("k") >= snh["untied_min_stops"])
                            & (c("k") >= snh["untied_min_ratio"] * c("expected"))))
        )
        .select(*pair, "k", "n", "q", j=pl.int_ranges(0, c("n") + 1)).explode("j")
        .with_columns(
            log_c=pl.when(j > 0).then((c("n") - j + 1).log() - j.log()).otherwise(0.0)
            .cum_sum().over(pair)
        )
        .group_by(pair)
        .agg(p_value=(c("log_c") + j * c("q").log() + (c("n") - j) * (1 - c("q")).log())
             .exp().filter(j >= c("k")).sum())
    )
    verdicts = (
        counts.join(tails, on=pair, how="left")
        .select(*pair, "k", "expected",
                unusual=(c("p_value") <= snh["max_p_value"]).fill_null(False))
        .collect()
    )
    st.lap("stops near homes")

    # ---- facts per event, signs per pair ----------------------------------------------
    def with_inv_flags(events: pl.LazyFrame, key: list[str]) -> pl.LazyFrame:
        """Adds involved at t; after = past the grace of an ended involvement and inside
        no involvement or its grace."""
        flags = (
            events.select(*key, *[k for k in pair if k not in key], "t")
            .join(inv, on=pair)
            .group_by(key)
            .agg(
                involved=(
                    (c("t") >= c("t_open")) & (c("t_end").is_null() | (c("t") <= c("t_end")))
                ).any(),
                in_grace=(
                    (c("t") >= c("t_open"))
                    & (c("t_end").is_null() | (c("t") <= c("t_end") + grace))
                ).any(),
                past_end=(c("t") > c("t_end") + grace).any(),
            )
            .select(*key, "involved", after=c("past_end") & ~c("in_grace"))
        )
        return events.join(flags, on=key, how="left").with_columns(
            c("involved").fill_null(False), c("after").fill_null(False)
        )

    def with_on_duty(events: pl.LazyFrame) -> pl.LazyFrame:
        return (
            events.sort("t")
            .join_asof(shifts.rename({"t_end": "shift_end"}), left_on="t", right_on="t_start",
                       by="officer_id", check_sortedness=False)
            .with_columns(on_duty=(c("t") <= c("shift_end")).fill_null(False))
            .drop("t_start", "shift_end")
        )

    reply_us = p.m["analysis"]["reply_hours"] * HOUR
    cf = (
        with_inv_flags(with_on_duty(contacts.lazy().filter(in_window)), ["row_id"])
        .sort(*pair, "t", "row_id")
        .with_columns(
            explained=c("on_duty") & c("involved"),
            engaged=c("out") | ~c("call") | (c("dur") > 5),
            night=night(c("hour")),
            last_in=pl.when(~c("out")).then(c("t")).forward_fill().shift(1).over(pair),
        )
        .with_columns(
            pursued=c("out") & ~c("explained"),
            reply=c("out") & ((c("t") - c("last_in")) <= reply_us).fill_null(False),
        )
        .collect()
    )
    cv, esc, up = p.s("contact_volume"), p.s("escalation"), p.s("unanswered_persistence")
    pursued = cf.lazy().filter("pursued").select(*pair, "t")
    volume = (  # most pursued contacts in any (t - window, t]
        pursued.sort(*pair, "t")
        .rolling("t", period=f"{cv['window_days'] * DAY}i", closed="right", group_by=pair)
        .agg(n=pl.len())
        .group_by(pair).agg(volume=c("n").max())
    )
    escalation = (
        pursued.with_columns(t0=c("t").min().over(pair))
        .group_by(*pair, week=(c("t") - c("t0")) // (7 * DAY))
        .agg(n=pl.len(), burst=(c("t") < c("t0") + esc["burst_days"] * DAY).sum())
        .sort(*pair, "week")
        .with_columns(
            prev=pl.when(c("week").shift(1).over(pair) == c("week") - 1)
            .then(c("n").shift(1).over(pair)).otherwise(0)
        )
        .with_columns(
            g=pl.when((c("week") >= 1) & (c("n") >= esc["growth_min_week"]))
            .then(c("n") / pl.max_horizontal(c("prev"), 1)).otherwise(0.0)
        )
        .group_by(pair).agg(c("burst").sum(), growth=c("g").max())
    )
    pc = cf.lazy().group_by(pair).agg(
        is_person=c("is_person").any(),
        n_contacts=pl.len(), n_in=(~c("out")).sum(),
        off_duty=(c("engaged") & ~c("on_duty")).sum(),
        night_c=(c("engaged") & ~c("explained") & c("night")).sum(),
        after_c=(c("out") & c("after")).sum(),
        short_calls=(c("out") & c("call") & (c("dur") <= up["short_seconds"])).sum(),
        first_contact=c("t").filter(c("out") & ~c("reply") & ~c("explained")).min(),
        first_t=c("t").min(),
    )
    # The near stops of the (officer, home) pairs the place judged; they are visits (read
    # by night_contact, after_closure and access_then_contact too) when it found them unusual.
    nf = (
        with_inv_flags(near.lazy().join(verdicts.lazy(), on=pair), ["stop_key", "subject_id"])
        .with_columns(night=night(c("hour")))
        .collect()
    )
    visit = c("unusual")
    pn = nf.lazy().group_by(pair).agg(
        visits=visit.first(),
        snh_excess=(c("k") - c("expected")).first().clip(0.0),
        night_s=(visit & c("night")).sum(),
        after_s=(visit & c("after")).sum(),
        first_stop=c("t").filter(visit).min(),
        first_t_n=c("t").min(),
    )
    aw = accesses.lazy().filter(in_window)
    purpose_ok = (
        aw.join(inv.select("officer_id", purpose="case_id", t_open="t_open", t_end="t_end"),
                on=["officer_id", "purpose"])
        .filter((c("t") >= c("t_open")) & (c("t_end").is_null() | (c("t") <= c("t_end"))))
        .select("row_id").unique().with_columns(purpose_ok=pl.lit(True))
    )
    af = (
        with_inv_flags(aw, ["row_id"])
        .join(purpose_ok, on="row_id", how="left")
        .with_columns(c("purpose_ok").fill_null(False))
        .with_columns(unexplained=~c("involved") & ~c("purpose_ok"))
        .collect()
    )
    pa = af.lazy().group_by(pair).agg(
        is_person_a=c("is_person").any(), awp=c("unexplained").sum(),
        after_a=c("after").sum(), first_t_a=c("t").min(),
    )

    keys = pl.concat([x.select(pair) for x in (pc, pn, pa)]).unique()
    rostered = (
        shifts.filter((c("t_end") > w0) & (c("t_start") <= ref)).select("officer_id").unique()
    )
    z = lambda name: c(name).fill_null(0)  # noqa: E731
    base = (
        keys.join(officers, on="officer_id")
        .join(pc, on=pair, how="left").join(pn, on=pair, how="left").join(pa, on=pair, how="left")
        .join(volume, on=pair, how="left").join(escalation, on=pair, how="left")
        .join(rostered.with_columns(rostered=pl.lit(True)), on="officer_id", how="left")
        .select(
            *pair, "role",
            is_person=c("is_person").fill_null(False) | c("first_t_n").is_not_null()
            | c("is_person_a").fill_null(False),
            volume=z("volume"), burst=z("burst"), growth=z("growth").cast(pl.Float64),
            off_duty=z("off_duty"), rostered=c("rostered").fill_null(False),
            night=z("night_c") + z("night_s"),
            after=z("after_c") + z("after_s") + z("after_a"),
            short_calls=z("short_calls"),
            inbound_share=(c("n_in") / c("n_contacts")).fill_null(0.0),
            visits=c("visits").fill_null(False), snh_excess=z("snh_excess"), awp=z("awp"),
            t_initiated=pl.when(c("first_stop") < c("first_contact").fill_null(T_MAX))
            .then(c("first_stop")).otherwise(c("first_contact")),
            first_t=pl.min_horizontal("first_t", "first_t_n", "first_t_a"),
            night_by_phone=z("night_c") > 0,
            after_not_stops=(z("after_c") + z("after_a")) > 0,
        )
    )
    # contact_volume: above the peers' p99 (nearest rank) and at least min_contacts; a
    # role with fewer than min_peers officers is compared with all officers.
    q = cv["peer_quantile"]
    nearest_rank = c("volume").sort().get((pl.len() * q).ceil().cast(pl.Int64).clip(1) - 1)
    vols = base.filter(c("volume") > 0)
    by_role = vols.group_by("role").agg(q_role=nearest_rank)
    everyone = vols.select(q_all=nearest_rank)
    thresholds = (
        officers.group_by("role").agg(n_officers=pl.len())
        .join(by_role, on="role", how="left").join(everyone, how="cross")
        .select("role", threshold=pl.max_horizontal(
            pl.when(c("n_officers") < cv["min_peers"]).then(c("q_all"))
            .otherwise(c("q_role")).fill_null(0) + 1,
            cv["min_contacts"]).cast(pl.Float64))
    )
    atc = p.s("access_then_contact")
    atc_pairs = (
        base.select(*pair, "t_initiated").drop_nulls()
        .join(af.lazy().filter("unexplained").select(*pair, t_a="t"), on=pair)
        .filter(
            (c("t_a") <= c("t_initiated"))
            & (c("t_initiated") - c("t_a") <= atc["max_days"] * DAY)
        )
        .select(pair).unique().with_columns(atc_fired=pl.lit(True))
    )

    def fired(cond: pl.Expr, value: pl.Expr, threshold, sign: str) -> pl.Expr:
        return (pl.when(cond).then(p.weight(sign) * pl.min_horizontal(value / threshold, cap))
                .otherwise(0.0) * c("factor")).alias(sign)

    od, nc, ac = p.s("off_duty_contact"), p.s("night_contact"), p.s("after_closure")
    snh, awp, vs = p.s("stop_near_home"), p.s("access_without_purpose"), p.s("vulnerable_subject")
    young_us = 18 * 365 * DAY + 4 * DAY + DAY // 2
    others = pl.sum_horizontal(PAIR_SIGNS[:-1])
    pairs = (
        base.join(thresholds, on="role")
        .join(atc_pairs, on=pair, how="left")
        .join(persons.select(subject_id="person_id", flagged="flagged", dob_days="dob_days"),
              on="subject_id", how="left")
        .with_columns(factor=pl.when("is_person").then(1.0).otherwise(p.m["analysis"]["no_record_factor"]))
        .with_columns(
            fired(c("volume") >= c("threshold"), c("volume"), c("threshold"), "contact_volume"),
            (pl.when((c("burst") >= esc["burst_min"]) | (c("growth") >= esc["growth_min"]))
             .then(p.weight("escalation") * pl.min_horizontal(
                 pl.max_horizontal(
                     c("burst") / esc["burst_min"], c("growth") / esc["growth_min"]
                 ), cap))
             .otherwise(0.0) * c("factor")).alias("escalation"),
            fired(c("rostered") & (c("off_duty") >= od["min_events"]), c("off_duty"),
                  od["min_events"], "off_duty_contact"),
            fired(c("night") >= nc["min_events"], c("night"), nc["min_events"], "night_contact"),
            fired(c("after") >= ac["min_events"], c("after"), ac["min_events"], "after_closure"),
            fired((c("short_calls") >= up["min_short_calls"])
                  & (c("inbound_share") <= up["max_inbound_share"]),
                  c("short_calls"), up["min_short_calls"], "unanswered_persistence"),
            fired(c("visits"), c("snh_excess"), max(snh["min_stops"], 1), "stop_near_home"),
            fired(c("awp") >= awp["min_events"], c("awp"), awp["min_events"],
                  "access_without_purpose"),
            (pl.when(c("atc_fired").fill_null(False)).then(p.weight("access_then_contact")).otherwise(0.0)
             * c("factor")).alias("access_then_contact"),
        )
        .with_columns(
            others=others,
            young=(c("first_t") < c("dob_days") * DAY + young_us).fill_null(False),
        )
        .with_columns(
            vulnerable_subject=pl.when(~c("is_person") | (c("others") == 0)).then(0.0)
            .when("young").then(vs["young_person_weight"] * c("others"))
            .when(c("flagged").fill_null(False)).then(vs["weight"] * c("others"))
            .otherwise(0.0)
        )
        .with_columns(score=c("others") + c("vulnerable_subject"))
        .collect()
    )
    st.lap("score pairs")

    # ---- officers -----------------------------------------------------------------------
    ms, rc, agg = p.s("multiple_subjects"), p.s("repeat_complaints"), p.m["officer"]
    ranked = (
        pairs.lazy().filter(c("score") > 0)
        .sort("officer_id", c("score"), "subject_id", descending=[False, True, False])
        .with_columns(
            r=pl.int_range(pl.len()).over("officer_id"),
            non_stop=(pl.sum_horizontal("contact_volume", "escalation", "off_duty_contact",
                                        "unanswered_persistence", "access_without_purpose",
                                        "access_then_contact") > 0)
            | ((c("night_contact") > 0) & c("night_by_phone"))
            | ((c("after_closure") > 0) & c("after_not_stops")),
        )
    )
    # The stops behind each pair's fired signs (the stops of a pair fired by stop_near_home:
    # the night and after-closure visits are among them); a pair resting only on stops that
    # a higher pair of the officer already counts (her neighbours) is not counted twice.
    ev_stops = (
        ranked.filter(c("stop_near_home") > 0).select(*pair, "r", "non_stop")
        .join(nf.lazy(), on=pair)
        .select(*pair, "r", "non_stop", "stop_key").unique()
    )
    echoes = (
        ev_stops.with_columns(r0=c("r").min().over("officer_id", "stop_key"))
        .filter(~c("non_stop"))
        .group_by(pair).agg(echo=(c("r0") < c("r")).all())
        .filter("echo")
    )
    top = (
        ranked.join(echoes, on=pair, how="anti")
        .with_columns(k=pl.int_range(pl.len()).over("officer_id"))
        .group_by("officer_id").agg(
            top_score=(c("score") * pl.lit(agg["decay"]).pow(c("k")))
            .filter(c("k") < agg["top_pairs"]).sum(),
            n_flagged=(c("score") >= ms["min_pair_score"]).sum(),
        )
    )
    complaints = (
        scan("complaints").select("officer_id", t=us("received_at")).filter(c("t") <= ref)
        .sort("officer_id", "t")
        .rolling("t", period=f"{rc['window_days'] * DAY}i", closed="right", group_by="officer_id")
        .agg(n=pl.len())
        .group_by("officer_id").agg(c("n").max())
    )
    officer_scores = (
        officers.join(top, on="officer_id", how="left")
        .join(complaints, on="officer_id", how="left")
        .select(
            "officer_id",
            score=z("top_score")
            + pl.when(c("n_flagged") >= ms["min_subjects"])
            .then(ms["weight"] * pl.min_horizontal(c("n_flagged") / ms["min_subjects"], cap))
            .otherwise(0.0)
            + pl.when(c("n") >= rc["min_complaints"])
            .then(rc["weight"] * pl.min_horizontal(c("n") / rc["min_complaints"], cap))
            .otherwise(0.0),
        )
        .sort(c("score"), "officer_id", descending=[True, False])
        .with_columns(rank=pl.int_range(1, pl.len() + 1))
        .collect()
    )
    st.lap("score officers")

    officer_scores.write_parquet(out / "officers.parquet")
    pairs.select(*pair, "score", *PAIR_SIGNS).write_parquet(out / "pairs.parquet")
    st.lap("write")
    return st.laps


# --------------------------------------------------------------------------------------
# Running and reporting
# --------------------------------------------------------------------------------------


@dataclass
class Result:
    """One run of one tool at one size."""

    tool: str
    officers: int
    rows: int
    seconds: float | None = None
    peak_mib: float | None = None
    status: str = "ok"
    stages: list[tuple[str, float]] = field(default_factory=list)
    own_peak_mib: float | None = None  # apsp's own figure
    top10: set[str] = field(default_factory=set)


@dataclass
class Summary:
    """One tool at one size over its `--repeat` runs: the median wall time (and min, max),
    the highest peak RSS, the stages of the median run and the top ten of the last run.
    A failed run (timeout, out of memory, error) makes the whole entry a failure."""

    tool: str
    officers: int
    rows: int
    repeat: int
    runs: list[Result] = field(default_factory=list)

    @property
    def status(self) -> str:
        for i, r in enumerate(self.runs, 1):
            if r.status != "ok":
                return r.status if self.repeat == 1 else f"{r.status} in run {i} of {self.repeat}"
        return "ok"

    @property
    def ok(self) -> list[Result]:
        return [r for r in self.runs if r.status == "ok" and r.seconds is not None]

    @property
    def seconds(self) -> list[float]:
        return [r.seconds for r in self.ok if r.seconds is not None]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def peak_mib(self) -> float | None:
        return max((r.peak_mib for r in self.runs if r.peak_mib is not None), default=None)

    @property
    def own_peak_mib(self) -> float | None:
        return max((r.own_peak_mib for r in self.ok if r.own_peak_mib is not None), default=None)

    @property
    def median_run(self) -> Result | None:
        """The run whose wall time is the median (the faster middle one for an even count)."""
        ok = sorted(self.ok, key=lambda r: r.seconds or 0.0)
        return ok[(len(ok) - 1) // 2] if ok else None

    @property
    def stages(self) -> list[tuple[str, float]]:
        run = self.median_run
        return run.stages if run and self.status == "ok" else []

    @property
    def top10(self) -> set[str]:
        return self.ok[-1].top10 if self.ok else set()


def dataset(officers: int, days: int, root: Path) -> Path:
    """The cached synthetic dataset for this size (generated on first use)."""
    out = root / f"synth-{officers}x{days}-parquet"
    if not (out / "officers.parquet").exists():
        shutil.rmtree(out, ignore_errors=True)
        print(f"generating {out} ...", file=sys.stderr)
        subprocess.run(
            # The clean force, as the figures in benches/README.md (the re-implementations
            # do not have the rules realistic data needs, see above).
            [str(APSP), "synth", "--realism", "clean", "--officers", str(officers),
             "--days", str(days), "--seed", "1", "--format", "parquet", "--out", str(out)],
            check=True, stdout=subprocess.DEVNULL,
        )
    return out


def input_rows(ds: Path) -> int:
    """Rows of every input table (labels.parquet is ground truth, not input)."""
    import polars as pl

    return sum(
        pl.scan_parquet(f).select(pl.len()).collect().item()
        for f in sorted(ds.glob("*.parquet"))
        if f.name != "labels.parquet"
    )


def run_tool(tool: str, ds: Path, out: Path, timeout: float) -> Result:
    """Runs one implementation in a fresh process under /usr/bin/time; never raises."""
    out.mkdir(parents=True, exist_ok=True)
    if tool == "apsp":
        cmd = [str(APSP), "score", str(ds), "--out", str(out), "--timings"]
    else:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--impl", tool, "--dataset", str(ds),
               "--out", str(out)]
    rss_file = out / "time.txt"
    r = Result(tool, 0, 0)
    t0 = time.perf_counter()
    proc = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", str(rss_file), *cmd],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the session started for this run only
        proc.communicate()
        r.status = f"timeout (> {timeout:g} s)"
        return r
    r.seconds = time.perf_counter() - t0
    rss = rss_file.read_text() if rss_file.exists() else ""
    kb = [ln for ln in rss.splitlines() if ln.strip().isdigit()]
    r.peak_mib = int(kb[-1]) / 1024 if kb else None
    if proc.returncode != 0:
        # The kernel's OOM killer sends SIGKILL (reported by /usr/bin/time); DuckDB and
        # the allocators raise their own out-of-memory errors.
        killed = proc.returncode in (-9, 128 + 9) or "signal 9" in rss
        if killed:
            r.status = "out of memory (killed by SIGKILL)"
        elif re.search(r"out of memory|memoryerror|memory allocation|bad_alloc", err, re.I):
            r.status = "out of memory"
        else:
            last = [ln for ln in err.strip().splitlines() if ln.strip()][-1:] or [""]
            r.status = f"failed (exit {proc.returncode}): {last[0][:120]}"
        return r
    if tool == "apsp":
        m = re.search(r"stage seconds:\n((?:[ \t]+\S.*\n?)+)", err)
        for line in (m.group(1).splitlines() if m else []):
            if mm := re.match(r"\s+(.+?)\s+([\d.]+)\s*$", line):
                r.stages.append((mm.group(1), float(mm.group(2))))
        if mm := re.search(r"peak RSS (\d+) MiB", err):
            r.own_peak_mib = float(mm.group(1))
    else:
        r.stages = [tuple(x) for x in json.loads((out / "stages.json").read_text())]
    import polars as pl

    top = pl.read_parquet(out / "officers.parquet", columns=["officer_id", "rank"])
    r.top10 = set(top.filter(pl.col("rank") <= 10)["officer_id"].to_list())
    return r


def child(impl: str, ds: Path, out: Path) -> None:
    """Entry point of the fresh process that runs one re-implementation."""
    p = Params.load()
    laps = {"duckdb": run_duckdb, "polars": run_polars}[impl](ds, out, p)
    (out / "stages.json").write_text(json.dumps(laps))


def report(results: list[Summary], repeat: int, tools: list[str]) -> None:
    print("\n## Scoring: apsp vs DuckDB SQL vs polars (same Parquet data, fresh process each)\n")
    runs = f"{repeat} runs" if repeat != 1 else "1 run"
    order = ", ".join(tools)
    print(f"{runs} per tool and size, interleaved ({order}; then again) so machine noise hits "
          "every tool alike. Seconds are wall time: the median of the runs (rows/s from it) and "
          "the fastest–slowest; "
          "peak RSS is the highest of the runs; top-10 agreement is from the last run.\n")
    print("| officers | input rows | tool | seconds (median) | seconds (min–max) | rows/s "
          "| peak RSS MiB (max) | top 10 shared with apsp |")
    print("|---:|---:|---|---:|---:|---:|---:|---:|")
    for r in results:
        apsp = next(
            (x for x in results
             if x.officers == r.officers and x.tool == "apsp" and x.status == "ok"),
            None,
        )
        ok = r.status == "ok"
        shared = f"{len(r.top10 & apsp.top10)}/10" if apsp and ok else "n/a"
        peak = f"{r.peak_mib:,.0f}" if r.peak_mib else ""
        if ok:
            med, secs = r.median, r.seconds
            cells = [
                f"{med:.2f}", f"{min(secs):.2f}–{max(secs):.2f}", f"{r.rows / med:,.0f}",
                peak or "?",
            ]
        else:
            cells = [r.status, "", "", peak]
        print(f"| {r.officers:,} | {r.rows:,} | {r.tool} | {' | '.join(cells)} | {shared} |")

    which = "the median run by wall time"
    if repeat % 2 == 0:
        which += " (the faster middle one: even --repeat)"
    for tool in TOOLS:
        rs = [r for r in results if r.tool == tool and r.stages]
        if not rs:
            continue
        names = list(dict.fromkeys(n for r in rs for n, _ in r.stages))
        extra = ["peak RSS MiB (own, max)"] if tool == "apsp" else []
        print(f"\n### {tool}: seconds per stage, {which}\n")
        print("| officers | " + " | ".join(names + extra) + " |")
        print("|---:|" + "---:|" * (len(names) + len(extra)))
        for r in rs:
            d = dict(r.stages)
            cells = [f"{d[n]:.2f}" if n in d else "" for n in names]
            if extra:
                cells.append(f"{r.own_peak_mib:,.0f}" if r.own_peak_mib else "")
            print(f"| {r.officers:,} | " + " | ".join(cells) + " |")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--officers", type=int, nargs="+", default=[1000, 5000, 20000])
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--only", default=",".join(TOOLS),
                    help="comma-separated subset of apsp,duckdb,polars")
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs per tool and size, interleaved across the tools; "
                    "medians are reported (default 3)")
    ap.add_argument("--timeout", type=float, default=1800.0,
                    help="seconds per run of a tool at a size")
    ap.add_argument("--data", type=Path, default=REPO / "target" / "bench-data")
    ap.add_argument("--keep", action="store_true",
                    help="keep the outputs of each tool's last run (printed path) "
                    "instead of deleting them")
    # Internal: run one re-implementation in this (fresh) process.
    ap.add_argument("--impl", choices=("duckdb", "polars"), help=argparse.SUPPRESS)
    ap.add_argument("--dataset", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.impl:
        child(args.impl, args.dataset, args.out)
        return

    tools = [t.strip() for t in args.only.split(",") if t.strip()]
    if bad := [t for t in tools if t not in TOOLS]:
        ap.error(f"unknown tool(s) {bad}; choose from {', '.join(TOOLS)}")
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    if not APSP.exists():
        sys.exit(f"{APSP} not found: build the release binary first (cargo build --release)")
    work = Path(tempfile.mkdtemp(prefix="score_compare-"))
    results: list[Summary] = []
    try:
        for n in args.officers:
            ds = dataset(n, args.days, args.data)
            rows = input_rows(ds)
            summaries = {tool: Summary(tool, n, rows, args.repeat) for tool in tools}
            # Round by round (apsp, duckdb, polars; then again), so noise hits all tools alike.
            for i in range(1, args.repeat + 1):
                for tool, s in summaries.items():
                    if s.status != "ok":
                        continue  # a timeout or out-of-memory would only repeat itself
                    print(f"{tool}: {n} officers x {args.days} days, run {i}/{args.repeat} ...",
                          file=sys.stderr, flush=True)
                    out = work / f"{n}x{args.days}" / tool
                    # The previous run's outputs; the last run's stay.
                    shutil.rmtree(out, ignore_errors=True)
                    r = run_tool(tool, ds, out, args.timeout)
                    r.officers, r.rows = n, rows
                    s.runs.append(r)
                    took = f", {r.seconds:.2f} s" if r.seconds else ""
                    print(f"  {r.status}{took}", file=sys.stderr)
            results.extend(summaries.values())
        report(results, args.repeat, tools)
    finally:
        if args.keep:
            print(f"\noutputs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
