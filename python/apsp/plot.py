"""Figures of a scored run, offline (matplotlib; PNG, SVG or inline in Jupyter).

Needs the ``plot`` extra (``pip install apsp[plot]``). Every function returns a
``matplotlib.figure.Figure``; save it with ``fig.savefig("x.png")``. No map tiles are
fetched: forces' machines are offline, so places are drawn on plain latitude /
longitude axes. A figure shows warning signs for review, never a verdict.

Each drawn layer carries a ``gid`` (``calls_out``, ``messages_in``, ``stops``, ...) so
that tests and readers can find it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import polars as pl

try:
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    from matplotlib.patches import Ellipse
except ImportError as e:  # pragma: no cover - exercised without the extra only
    raise ImportError(
        "apsp.plot needs matplotlib: pip install 'apsp[plot]'"
    ) from e

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .scoring import Result

__all__ = ["hour_heatmap", "score_distribution", "stops_near_home", "timeline"]

_DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def _done(fig: Figure) -> Figure:
    """Lays the figure out and closes it in pyplot: returned, it is shown once in a
    notebook (as the cell's value) and never twice."""
    fig.tight_layout()
    plt.close(fig)
    return fig


def _title(r: Result, officer_id: str, subject_id: str) -> str:
    row = r.pairs.filter(
        (pl.col("officer_id") == officer_id) & (pl.col("subject_id") == subject_id)
    )
    score = row["score"][0] if row.height else 0.0
    return f"{officer_id} × {subject_id} — pair score {score:.2f} (warning signs for review)"


def timeline(r: Result, officer_id: str, subject_id: str) -> Figure:
    """Contact timeline of one officer × subject.

    Calls (circles, area by duration) and messages (squares) above the axis when the
    officer made them, below when the subject did; stops near the subject's home and
    record accesses on their own rows; rostered shifts shaded; each case involvement's
    opening (green) and end — closure or hand-over — (red) marked.
    """
    ev = r.events(officer_id, subject_id)
    fig, ax = plt.subplots(figsize=(11, 4.2))
    if ev.height:
        lo, hi = ev["at"].min(), ev["at"].max()
        shifts = r.shifts(officer_id).filter((pl.col("end") >= lo) & (pl.col("start") <= hi))
        for i, (a, b) in enumerate(shifts.select("start", "end").iter_rows()):
            ax.axvspan(a, b, color="0.9", lw=0, gid="on_duty", label="on duty" if i == 0 else None)
    rows = {
        ("call", "out"): (1.0, "o", "tab:red", "calls_out", "call by the officer"),
        ("message", "out"): (0.6, "s", "tab:orange", "messages_out", "message by the officer"),
        ("call", "in"): (-1.0, "o", "tab:blue", "calls_in", "call by the subject"),
        ("message", "in"): (-0.6, "s", "tab:cyan", "messages_in", "message by the subject"),
        ("stop", None): (-1.6, "^", "tab:purple", "stops", "stop near the home"),
        ("access", None): (1.6, "D", "tab:brown", "accesses", "record access"),
    }
    for (kind, direction), (y, marker, colour, gid, label) in rows.items():
        cond = pl.col("kind") == kind
        cond = cond & (
            pl.col("direction").is_null() if direction is None else pl.col("direction") == direction
        )
        sel = ev.filter(cond)
        if sel.height == 0:
            continue
        size = (
            (sel["duration_s"].fill_null(0).cast(pl.Float64).clip(0, 3600) / 20 + 12).to_list()
            if kind == "call"
            else 30
        )
        ax.scatter(
            sel["at"].to_list(), [y] * sel.height, s=size, marker=marker, c=colour,
            alpha=0.7, gid=gid, label=f"{label} ({sel.height})",
        )
    inv = r.involvements(officer_id, subject_id)
    for i, (opened, end) in enumerate(inv.select("opened", "end").iter_rows()):
        ax.axvline(opened, color="tab:green", ls="--", lw=1, gid="case_opened",
                   label="case opened" if i == 0 else None)
        if end is not None:
            ax.axvline(end, color="tab:red", ls=":", lw=1.2, gid="case_ended",
                       label="involvement ended" if i == 0 else None)
    ax.axhline(0, color="0.6", lw=0.5)
    # Dates on the force's clock, not matplotlib's default UTC.
    zone = ZoneInfo(_zone(r))
    locator = mdates.AutoDateLocator(tz=zone)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    formatter = mdates.ConciseDateFormatter(locator, tz=zone)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_formatter(formatter)
    ax.set_xlabel(f"local time ({_zone(r)})")
    ax.set_yticks([1.6, 1.0, 0.6, -0.6, -1.0, -1.6],
                  ["access", "call out", "message out", "message in", "call in", "stop"])
    ax.set_ylim(-2.1, 2.1)
    ax.set_title(_title(r, officer_id, subject_id), fontsize=10)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, frameon=False)
    return _done(fig)


def _zone(r: Result) -> str:
    """The zone the result shows times in: the force's clock unless
    ``display_timezone`` said otherwise."""
    return r.display_timezone


def hour_heatmap(r: Result, officer_id: str, subject_id: str) -> Figure:
    """Calls and messages of one pair by local hour of day × weekday, on the result's
    clock (:attr:`apsp.Result.display_timezone`: the dataset's zone by default)."""
    ev = r.events(officer_id, subject_id).filter(pl.col("kind").is_in(["call", "message"]))
    local = ev.select(pl.col("at").dt.convert_time_zone(_zone(r)).alias("t")).select(
        hour=pl.col("t").dt.hour(), day=pl.col("t").dt.weekday() - 1
    )
    grid = [[0] * 24 for _ in range(7)]
    for hour, day in local.iter_rows():
        grid[day][hour] += 1
    fig, ax = plt.subplots(figsize=(9, 3.2))
    im = ax.imshow(grid, aspect="auto", cmap="Reds", gid="heatmap")
    ax.set_yticks(range(7), _DAYS)
    ax.set_xticks(range(0, 24, 2), [f"{h:02d}" for h in range(0, 24, 2)])
    ax.set_xlabel(f"local hour ({_zone(r)})")
    fig.colorbar(im, ax=ax, label="contacts")
    ax.set_title(_title(r, officer_id, subject_id), fontsize=10)
    return _done(fig)


def stops_near_home(r: Result, officer_id: str, subject_id: str) -> Figure:
    """The officer's stops within the radius of the subject's home, on plain lat/lon
    axes (no map tiles), with the radius drawn. The stops the ``stop_near_home`` sign
    counts (its evidence) are filled; the others — while he was involved with her,
    before the analysis window, or not eligible — hollow and grey, so the figure and
    the count agree."""
    home = r.home(subject_id)
    if home is None:
        raise ValueError(f"subject {subject_id} has no recorded home")
    stops = r.events(officer_id, subject_id).filter(pl.col("kind") == "stop")
    counted_ids = r.evidence.filter(
        (pl.col("officer_id") == officer_id)
        & (pl.col("subject_id") == subject_id)
        & (pl.col("signal") == "stop_near_home")
    )["row_id"]
    fig, ax = plt.subplots(figsize=(5.5, 5.5))
    lat0, lon0 = home
    radius = r.radius_m
    dlat = radius / 111_320.0
    dlon = radius / (111_320.0 * math.cos(math.radians(lat0)))
    ax.add_patch(Ellipse((lon0, lat0), 2 * dlon, 2 * dlat, fill=False, ls="--",
                         color="tab:red", gid="radius", label=f"{radius:.0f} m"))
    ax.scatter([lon0], [lat0], marker="*", s=220, c="tab:red", gid="home", label="home")
    counted = stops.filter(pl.col("row_id").is_in(counted_ids.implode()))
    other = stops.filter(~pl.col("row_id").is_in(counted_ids.implode()))
    ax.scatter(counted["lon"].to_list(), counted["lat"].to_list(), c="tab:purple", s=40,
               gid="stops", label=f"stops counted by the sign ({counted.height})")
    if other.height:
        ax.scatter(other["lon"].to_list(), other["lat"].to_list(), facecolors="none",
                   edgecolors="0.5", s=40, gid="stops_not_counted",
                   label=f"not counted: involved, earlier or ineligible ({other.height})")
    ax.set_xlim(lon0 - 1.6 * dlon, lon0 + 1.6 * dlon)
    ax.set_ylim(lat0 - 1.6 * dlat, lat0 + 1.6 * dlat)
    ax.set_aspect(1 / math.cos(math.radians(lat0)))
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title(f"{officer_id}: stops near {subject_id}'s home", fontsize=10)
    return _done(fig)


def score_distribution(r: Result, officer_id: str | None = None) -> Figure:
    """Officer scores by role (every officer a dot, jittered), the officer marked."""
    o = r.officers
    roles = sorted(o["role"].unique().to_list())
    fig, ax = plt.subplots(figsize=(8, 3.8))
    for i, role in enumerate(roles):
        sc = o.filter(pl.col("role") == role)["score"].to_list()
        xs = [i + ((k * 0.6180339) % 1 - 0.5) * 0.6 for k in range(len(sc))]
        ax.scatter(xs, sc, s=10, alpha=0.5, c="0.4", gid=f"role_{role}")
    if officer_id is not None:
        row = o.filter(pl.col("officer_id") == officer_id)
        if row.height == 0:
            raise ValueError(f"no officer {officer_id}")
        i = roles.index(row["role"][0])
        ax.scatter([i], [row["score"][0]], s=160, marker="*", c="tab:red", gid="officer",
                   label=f"{officer_id} (rank {row['rank'][0]})", zorder=3)
        ax.legend(fontsize=8)
    ax.set_xticks(range(len(roles)), roles, rotation=30, ha="right")
    ax.set_yscale("symlog", linthresh=1)
    ax.set_ylim(bottom=0)  # scores are never negative: no mirrored log axis
    ax.set_ylabel("officer score")
    ax.set_title("Officer scores by role (warning signs for review)", fontsize=10)
    return _done(fig)
