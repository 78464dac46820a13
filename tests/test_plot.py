"""Drilling into a pair (events, involvements, shifts) and the offline plots: each
figure renders to a file and draws exactly the events the engine counted."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

import apsp
from conftest import EXAMPLES

plot = pytest.importorskip("apsp.plot")


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    d = tmp_path_factory.mktemp("force")
    labels = apsp.synth.generate(d, officers=300, days=180, seed=1)
    return apsp.score(d), labels


def planted_pair(labels: pl.DataFrame, scenario: str, sign: str) -> tuple[str, str]:
    row = labels.filter(pl.col("scenario") == scenario).row(0, named=True)
    assert sign in row["expected_signals"].split(";")
    return row["officer_id"], row["subjects"].split(";")[0]


def points(fig, gid: str) -> int:
    return sum(
        len(c.get_offsets()) for ax in fig.axes for c in ax.collections if c.get_gid() == gid
    )


def test_events_match_the_pair_counts(scored):
    r, labels = scored
    o, s = planted_pair(labels, "shark", "contact_volume")
    ev = r.events(o, s)
    pair = r.pairs.filter(
        (pl.col("officer_id") == o) & (pl.col("subject_id") == s)
    ).row(0, named=True)
    inside = ev.filter(pl.col("in_window"))
    assert inside.filter(pl.col("kind").is_in(["call", "message"])).height == pair["n_contacts"]
    assert inside.filter(pl.col("kind") == "access").height == pair["n_accesses"]
    assert ev["at"].is_sorted()
    # Every billing row behind a fired sign is one of the pair's events.
    rows = set(r.evidence.filter((pl.col("officer_id") == o) & (pl.col("subject_id") == s)
                                 & (pl.col("table") == "billing"))["row_id"])
    assert rows and rows <= set(ev["row_id"])
    inv = r.involvements(o, s)
    assert inv.columns == ["case_id", "opened", "closed", "officer_until", "end"]
    assert r.shifts(o).height > 0
    with pytest.raises(apsp.SettingError, match="no such subject"):
        r.events(o, "NOBODY")


def test_timeline_draws_every_contact(scored, tmp_path):
    r, labels = scored
    o, s = planted_pair(labels, "shark", "contact_volume")
    ev = r.events(o, s)
    fig = plot.timeline(r, o, s)
    for kind, direction, gid in [
        ("call", "out", "calls_out"), ("call", "in", "calls_in"),
        ("message", "out", "messages_out"), ("message", "in", "messages_in"),
    ]:
        n = ev.filter((pl.col("kind") == kind) & (pl.col("direction") == direction)).height
        assert points(fig, gid) == n, gid
    assert points(fig, "calls_out") + points(fig, "messages_out") > 0
    out = tmp_path / "timeline.png"
    fig.savefig(out)
    assert out.stat().st_size > 10_000
    fig.savefig(tmp_path / "timeline.svg")
    assert "calls_out" in (tmp_path / "timeline.svg").read_text()


def test_stops_near_home_plot(scored, tmp_path):
    r, labels = scored
    o, _ = planted_pair(labels, "case_study_10", "stop_near_home")
    sign = r.evidence.filter((pl.col("officer_id") == o) & (pl.col("signal") == "stop_near_home"))
    s = sign["subject_id"][0]
    ev = r.events(o, s).filter(pl.col("kind") == "stop")
    assert ev.height >= 2 and (ev["metres"] <= r.radius_m).all()
    fired = set(sign.filter(pl.col("subject_id") == s)["row_id"])
    assert fired and fired <= set(ev["row_id"])
    fig = plot.stops_near_home(r, o, s)
    # The filled stops are the ones the sign counts (they once included stops while
    # he was involved: 6 shown, 4 counted); the others are drawn apart.
    assert points(fig, "stops") == len(fired)
    assert points(fig, "stops") + points(fig, "stops_not_counted") == ev.height
    assert points(fig, "home") == 1
    fig.savefig(tmp_path / "stops.png")
    assert (tmp_path / "stops.png").stat().st_size > 5_000


def test_heatmap_and_score_distribution(scored, tmp_path):
    r, labels = scored
    o, s = planted_pair(labels, "shark", "contact_volume")
    fig = plot.hour_heatmap(r, o, s)
    img = next(im for ax in fig.axes for im in ax.images if im.get_gid() == "heatmap")
    total = r.events(o, s).filter(pl.col("kind").is_in(["call", "message"])).height
    assert int(img.get_array().sum()) == total
    fig = plot.score_distribution(r, o)
    assert points(fig, "officer") == 1
    assert sum(points(fig, f"role_{x}") for x in r.officers["role"].unique()) == r.officers.height
    ax = fig.axes[0]
    assert ax.get_ylim()[0] == 0  # no mirrored negative log axis
    assert all(t.get_rotation() == 30 for t in ax.get_xticklabels())
    fig.savefig(tmp_path / "scores.png")
    with pytest.raises(ValueError, match="no officer"):
        plot.score_distribution(r, "NOBODY")


def test_events_need_kept_events(scored, tmp_path):
    r, labels = scored
    o, s = planted_pair(labels, "shark", "contact_volume")
    d = Path(r.manifest["dataset"])
    lean = apsp.score(d, keep_events=False)
    with pytest.raises(apsp.SettingError, match="keep_events"):
        lean.events(o, s)
    assert lean.officers.equals(r.officers)


def test_heatmap_hours_are_the_dataset_s_local_hours(tmp_path):
    """The heat map reads hours in the zone the data was read in (here Tokyo), not a
    fixed one: each contact sits at the hour its naive time was written with."""
    r = apsp.score(EXAMPLES / "demo", timezone="Asia/Tokyo")
    top = r.pairs.sort("n_contacts", descending=True).row(0, named=True)
    o, s = top["officer_id"], top["subject_id"]
    fig = plot.hour_heatmap(r, o, s)
    img = next(im for ax in fig.axes for im in ax.images if im.get_gid() == "heatmap")
    grid = img.get_array()
    local = r.events(o, s).filter(pl.col("kind").is_in(["call", "message"])).select(
        t=pl.col("at").dt.convert_time_zone("Asia/Tokyo")
    )
    assert local.height > 0
    for (t,) in local.iter_rows():
        assert grid[t.weekday()][t.hour] > 0, t
    assert int(grid.sum()) == local.height
