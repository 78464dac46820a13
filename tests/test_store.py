"""The nightly store from Python (issue 18): `apsp.nightly` and `apsp.Store`."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import warnings
from html import unescape

import polars as pl
import pytest

import apsp


@pytest.fixture(scope="module")
def force(tmp_path_factory):
    d = tmp_path_factory.mktemp("store") / "force"
    apsp.synth.generate(d, officers=120, days=90, seed=11, format="parquet")
    return d


def test_a_night_again_takes_nothing_and_alerts_persist(force, tmp_path):
    store = tmp_path / "store"
    first = apsp.nightly(store, force)
    assert first["run"] == 1 and first["exit_code"] == 0
    assert all("not_taken" not in f for f in first["files"])
    second = apsp.nightly(store, force)
    # The same files again: none read twice, every alert still there, none new.
    assert second["run"] == 2
    assert all(f["not_taken"].startswith(("taken before as", "the current snapshot already"))
               for f in second["files"])
    assert second["rows_added"] == {}
    alerts = apsp.Store(store).alerts()
    assert alerts.height == sum(first["alerts"]["by_state"].values())
    assert set(alerts["state"]) == {"persisting"}
    assert (store / second["folder"] / "morning_report.html").exists()
    runs = apsp.Store(store).runs()
    assert runs["status"].to_list() == ["done", "done"]


def test_a_review_is_kept_with_who_and_why(force, tmp_path):
    store = tmp_path / "store"
    apsp.nightly(store, force)
    s = apsp.Store(store)
    top = s.alerts().row(0, named=True)
    after = s.review(top["id"], reviewer="DS Reviewer", outcome="explained",
                     note="a relative: checked with the officer's line manager")
    assert after["state"] == "reviewed" and after["review_score"] == top["score"]
    history = s.history(top["id"])
    assert history["kind"].to_list() == ["state", "review"]
    review = history.row(1, named=True)
    assert (review["actor"], review["outcome"], review["from_state"], review["to_state"]) == (
        "DS Reviewer", "explained", "new", "reviewed")
    detail = s.alert(officer=top["officer_id"], subject=top["subject_id"] or None)
    assert detail["alert"]["id"] == top["id"]
    assert isinstance(detail["scores"], pl.DataFrame) and detail["scores"].height == 1
    with pytest.raises(apsp.StoreError, match="a review needs a note"):
        s.review(top["id"], reviewer="DS Reviewer", outcome="explained", note=" ")
    with pytest.raises(apsp.StoreError, match="unknown outcome"):
        s.review(top["id"], reviewer="DS Reviewer", outcome="fine", note="x")  # type: ignore[arg-type]


def test_a_night_with_other_settings_is_refused(force, tmp_path):
    store = tmp_path / "store"
    apsp.nightly(store, force)
    refused = "timezone: the store's is Europe/London, this run's UTC"
    with pytest.raises(apsp.StoreError, match=refused):
        apsp.nightly(store, force, timezone="UTC")


def test_a_folder_that_is_not_a_store_is_refused(force, tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(apsp.StoreError, match="not a store"):
        apsp.Store(tmp_path)
    with pytest.raises(apsp.StoreError, match=r"holds files but no store\.sqlite"):
        apsp.nightly(tmp_path, force)
    with pytest.raises(apsp.DatasetError, match="it is the dataset folder"):
        apsp.nightly(force, force)


def test_a_first_night_without_officers_is_refused_and_takes_nothing(force, tmp_path):
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    (incoming / "billing.parquet").write_bytes((force / "billing.parquet").read_bytes())
    store = tmp_path / "store"
    with pytest.raises(apsp.StoreError, match="no officers table has been delivered"):
        apsp.nightly(store, incoming)
    assert apsp.Store(store).runs().height == 0
    # The next night, with the officers, takes the billing file it refused.
    for t in ("officers", "devices"):
        (incoming / f"{t}.parquet").write_bytes((force / f"{t}.parquet").read_bytes())
    night = apsp.nightly(store, incoming)
    assert night["run"] == 1 and night["rows_added"]["billing"] > 0


def test_the_watchlist_shows_an_officer_whatever_the_score(force, tmp_path):
    store = tmp_path / "store"
    apsp.nightly(store, force)
    s = apsp.Store(store)
    scored = pl.read_parquet(store / s.runs()["folder"][0] / "officers.parquet")
    # An officer with a score, but under the alert tier: no alert of theirs.
    quiet = scored.filter((pl.col("score") > 0) & (pl.col("tier") == "low"))["officer_id"][0]
    assert quiet not in set(s.alerts()["officer_id"])
    s.watch(quiet, by="DI Jones", reason="referred on 2026-12-01")
    assert s.watchlist()["officer_id"].to_list() == [quiet]
    night = apsp.nightly(store, force)
    text = (store / night["folder"] / "morning_report.html").read_text()
    assert f'id="watch-{quiet}"' in text and "referred on 2026-12-01" in text
    s.unwatch(quiet, by="DI Jones", reason="investigation closed")
    history = s.watchlist(history=True)
    assert history["kind"].to_list() == ["added", "removed"]
    with pytest.raises(apsp.StoreError, match="not on the watchlist"):
        s.unwatch(quiet, by="DI Jones", reason="again")


def test_a_snapshot_delivered_tonight_replaces_the_last_one(force, tmp_path):
    """A reference table arrives whole each night: tonight's case links (half the
    cases gone: closed and purged, say) are what tonight scores with, as one score of
    a folder holding them would."""
    store = tmp_path / "store"
    first = apsp.nightly(store, force)
    changed = tmp_path / "changed"
    changed.mkdir()
    for f in force.glob("*.parquet"):
        (changed / f.name).write_bytes(f.read_bytes())
    links = pl.read_parquet(force / "case_links.parquet")
    links.head(links.height // 2).write_parquet(changed / "case_links.parquet")
    second = apsp.nightly(store, changed)
    taken = {f["file"] for f in second["files"] if "not_taken" not in f}
    assert taken == {"case_links.parquet"}
    tonight = pl.read_parquet(store / second["folder"] / "officers.parquet")
    before = pl.read_parquet(store / first["folder"] / "officers.parquet")
    assert not tonight.equals(before)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", apsp.CoverageWarning)
        once = apsp.score(changed, progress=False)
    assert tonight.equals(once.officers.select(tonight.columns))
    # Half the case links gone is taken (not under half), and said first thing.
    half, whole = links.height // 2, links.height
    text = report_text(store / second["folder"])
    assert (f"Tonight's case_links snapshot has {half} row(s), {whole - half} (50 %) fewer "
            "than the one it replaces") in text
    assert f"case_links: {whole} → {half} ({half - whole})" in text


def test_rows_taken_on_an_earlier_night_are_duplicates_or_conflicts_tonight(force, tmp_path):
    """A row the store took on an earlier night, delivered again tonight in another
    file, is a duplicate (counted, not added); its record id with other values is a
    conflict, quarantined naming where the store first read it; a new row is added.
    The night loads only the stored rows that tonight's could meet: it must decide as
    one read of every file does."""
    store = tmp_path / "store"
    apsp.nightly(store, force)
    billing = pl.read_parquet(force / "billing.parquet")
    late = pl.concat([
        billing.slice(10, 1),
        billing.slice(11, 1).with_columns(pl.col("duration_s") + 7),
        billing.slice(12, 1).with_columns(pl.lit("CDR-LATE-1").alias("record_id")),
    ])
    # Shifts have no key: a row is a duplicate by its content alone.
    shifts = pl.read_parquet(force / "shifts.parquet")
    late_shifts = pl.concat([
        shifts.slice(5, 1),
        shifts.slice(6, 1).with_columns(pl.col("end") + pl.duration(minutes=30)),
    ])
    tonight = tmp_path / "tonight"
    (tonight / "billing").mkdir(parents=True)
    (tonight / "shifts").mkdir(parents=True)
    late.write_parquet(tonight / "billing" / "late.parquet")
    late_shifts.write_parquet(tonight / "shifts" / "late.parquet")
    night = apsp.nightly(store, tonight)
    # A day against months: only the stored rows sharing a key were loaded.
    assert "read tonight's appended files for their keys" in [
        stage for stage, _ in night["timings"]["stages"]]
    assert night["rows_added"] == {"billing": 1, "shifts": 1}
    assert night["quarantined_by_reason"] == {"duplicate_key": 1}
    assert night["exit_code"] == 1
    quarantine = pl.read_parquet(store / night["folder"] / "quarantine.parquet")
    conflict = quarantine.row(0, named=True)
    record = billing["record_id"][11]
    assert (conflict["file"], conflict["line"]) == ("billing/late.parquet", 2)
    assert conflict["message"] == (
        f'record_id "{record}" was already read with different values at '
        "billing.parquet:12; the first row is kept")
    # One read of a folder holding both files decides the same.
    both = tmp_path / "both"
    (both / "billing").mkdir(parents=True)
    (both / "shifts").mkdir(parents=True)
    for f in force.glob("*.parquet"):
        if f.stem not in ("billing", "shifts"):
            (both / f.name).write_bytes(f.read_bytes())
    for t in ("billing", "shifts"):
        (both / t / f"{t}.parquet").write_bytes((force / f"{t}.parquet").read_bytes())
        (both / t / "late.parquet").write_bytes((tonight / t / "late.parquet").read_bytes())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", apsp.CoverageWarning)
        once = apsp.score(both, progress=False)
    assert once.quarantine["message"].to_list() == [
        conflict["message"].replace("billing.parquet:12", "billing/billing.parquet:12")]
    run = apsp.Store(store).runs().row(-1, named=True)
    manifest = json.loads((store / run["folder"] / "manifest.json").read_text())
    for t in ("billing", "shifts"):
        assert once.manifest["tables"][t]["counts"]["duplicates"] == 1
        assert manifest["tables"][t]["counts"]["duplicates"] == 1


def test_a_snapshot_losing_most_of_its_rows_is_refused(force, tmp_path):
    store = tmp_path / "store"
    apsp.nightly(store, force)
    partial = tmp_path / "partial"
    partial.mkdir()
    for f in force.glob("*.parquet"):
        (partial / f.name).write_bytes(f.read_bytes())
    persons = pl.read_parquet(force / "persons.parquet")
    persons.head(10).write_parquet(partial / "persons.parquet")
    with pytest.raises(apsp.StoreError, match="tonight's persons keeps 10 row"):
        apsp.nightly(store, partial)
    assert apsp.Store(store).runs().height == 1  # nothing was taken
    night = apsp.nightly(store, partial, replace_snapshots=["persons"])
    assert {f["file"] for f in night["files"] if "not_taken" not in f} == {"persons.parquet"}


def test_a_pseudonymised_store_holds_no_number_in_clear(force, tmp_path, monkeypatch):
    """With pseudonymisation on, members of the public's numbers never reach the
    store's parts, its quarantine, its alerts or the morning report in clear."""
    monkeypatch.setenv("APSP_TEST_KEY", "a test key of at least sixteen bytes")
    store = tmp_path / "store"
    night = apsp.nightly(store, force, pseudonymise=True, key_env="APSP_TEST_KEY")
    def national(n: str) -> str:  # the last ten digits, whatever the writing
        return "".join(c for c in n if c.isdigit())[-10:]

    officers = {national(n) for n in pl.read_parquet(force / "devices.parquet")["device_number"]}
    public = {national(n) for n in pl.read_parquet(force / "person_numbers.parquet")["number"]}
    public -= officers
    clear_persons = set(pl.read_parquet(force / "persons.parquet")["person_id"])
    assert len(public) > 100
    stored = set()
    for part in (store / "tables" / "billing").rglob("*.parquet"):
        stored |= set(pl.read_parquet(part)["other_number"].to_list())
    # Every other party is a pseudonym, an officer's own number or a service number
    # such as 101 (neither is a member of the public's, and neither is pseudonymised).
    stored.discard(None)
    assert stored and all(
        n.startswith("n_") or national(n) in officers or len(national(n)) <= 5 for n in stored
    )
    texts = [p.read_text(errors="replace") for p in store.rglob("*.jsonl")]
    texts.append((store / night["folder"] / "morning_report.html").read_text())
    for text in texts:
        assert not any(n in text for n in public)
    subjects = set(apsp.Store(store).alerts()["subject_id"]) - {""}
    assert subjects and not subjects & clear_persons
    assert all(s.startswith(("n_", "p_")) for s in subjects), subjects
    # The store recorded the key's fingerprint: a night without the key is refused.
    with pytest.raises(apsp.StoreError, match="pseudonymisation key"):
        apsp.nightly(store, force)


def test_a_review_of_an_alert_that_moved_since_the_run_seen_is_refused(force, tmp_path):
    store = tmp_path / "store"
    apsp.nightly(store, force)
    s = apsp.Store(store)
    top = s.alerts().row(0, named=True)
    apsp.nightly(store, force)  # run 2: every alert moves new -> persisting
    refused = f"alert {top['id']} moved after run 1: persisting in run 2"
    with pytest.raises(apsp.StoreError, match=refused):
        s.review(top["id"], reviewer="DS Reviewer", outcome="no_concern", note="seen", seen_run=1)
    after = s.review(top["id"], reviewer="DS Reviewer", outcome="no_concern", note="seen",
                     seen_run=2)
    assert after["state"] == "reviewed"


def test_a_store_given_as_a_relative_path_works(force, tmp_path, monkeypatch):
    # Its top folders' parent is the working folder (the empty path once split).
    monkeypatch.chdir(tmp_path)
    night = apsp.nightly("store", force)
    assert (tmp_path / "store" / night["folder"] / "morning_report.html").exists()
    assert apsp.Store("store/").runs().height == 1


def report_text(folder) -> str:
    """The morning report's words, without its markup."""
    html = (folder / "morning_report.html").read_text()
    html = re.sub(r"<style.*?</style>", "", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def test_a_file_of_no_table_and_a_night_that_took_nothing_are_reported(force, tmp_path):
    """A delivered file that belongs to no table is named in the run's manifest and
    morning report, not only in a warning a cron job's log swallows; a night that took
    nothing new says its scores are of the data the store already held."""
    incoming = tmp_path / "incoming"
    shutil.copytree(force, incoming)
    (incoming / "README.md").write_text("exported 02:00 by the records team\n")
    store = tmp_path / "store"
    first = apsp.nightly(store, incoming)
    assert first["ignored_files"] == ["README.md"]
    folder = store / first["folder"]
    assert json.loads((folder / "manifest.json").read_text())["ignored_files"] == ["README.md"]
    text = report_text(folder)
    delivered = len(first["files"]) + 1
    assert f"{delivered} file(s) delivered: {delivered - 1} taken, 0 not taken again, " \
        "1 not read (they belong to no table)" in text
    assert "1 file(s) delivered tonight were not read" in text
    # The same notices in the night's summary, for a batch job's monitoring.
    assert "1 file(s) delivered tonight were not read: they belong to no table " \
        "(see Data quality)" in first["notices"]
    assert "— README.md not read: it belongs to no table" in text
    assert "Nothing new was taken tonight" not in text
    # The generated force's newest rows are months before today: each event table's.
    for table in ("access_log", "billing", "stops"):
        assert re.search(rf"The newest {table} rows are of [-0-9]+ \(UTC\), [0-9]+ days before "
                         rf"this run's day: if {table} is exported daily", text), table
    second = apsp.nightly(store, incoming)
    text = report_text(store / second["folder"])
    assert f"Nothing new was taken tonight: of the {delivered} file(s) delivered, none" in text
    assert second["notices"][0].startswith("Nothing new was taken tonight")


def test_a_new_risk_matrix_is_said_before_the_alerts_it_moved(force, tmp_path):
    """A night scored with another matrix than the last night's (a researcher's new
    weights, or apsp's new default) moves scores and alerts with no new data: the
    report and the summary say so, naming both matrices, on that night only."""
    store = tmp_path / "store"
    apsp.nightly(store, force)
    m = apsp.RiskMatrix.default()
    m["version"] = "force-2027.1"
    m["alerts.tier"] = "low"
    path = m.save(tmp_path / "force.toml")
    second = apsp.nightly(store, force, matrix=path)
    default = apsp.RiskMatrix.default()
    said = (f"The risk matrix changed since the last run (apsp-default {default.version}, "
            f"SHA-256 {default.sha256[:12]}… → apsp-default force-2027.1, SHA-256 "
            f"{m.sha256[:12]}…): tonight's scores, tiers and alerts follow the new matrix")
    assert second["notices"][1].startswith(said), second["notices"]
    assert said in report_text(store / second["folder"])
    # A lower alert tier raised alerts tonight with nothing new taken.
    assert second["notices"][0].startswith("Nothing new was taken tonight")
    assert second["alerts"]["by_state"].get("new", 0) > 0
    third = apsp.nightly(store, force, matrix=path)
    assert not any("risk matrix" in n for n in third["notices"])


def test_old_runs_outputs_are_pruned_and_a_replay_gives_them_back(force, tmp_path):
    """A year of nights' outputs fills a disk: a night can prune all but the newest
    runs' bulky outputs, keeping their manifest, quarantine and report; replaying a
    run scores the store as it stood that night and gives its outputs back byte for
    byte (compared here with a copy taken before the prune, not only with the hashes
    the run recorded)."""
    early = tmp_path / "early"
    early.mkdir()
    for f in force.iterdir():
        if f.name == "billing.parquet":
            billing = pl.read_parquet(f)
            first = billing["started_at"].min()
            billing.filter(pl.col("started_at") < first + pl.duration(days=45)).write_parquet(
                early / f.name)
        else:
            shutil.copy(f, early / f.name)
    store = tmp_path / "store"
    one = apsp.nightly(store, early)
    kept_copy = tmp_path / "run1-copy"
    shutil.copytree(store / one["folder"], kept_copy)
    two = apsp.nightly(store, force, keep_outputs=1)
    assert two["pruned"]["kept"] == [2]
    [pruned] = two["pruned"]["pruned"]
    assert pruned["run"] == 1 and pruned["files"] == [
        "officers.parquet", "pairs.parquet", "signals.parquet", "evidence.parquet"]
    assert pruned["bytes"] == sum((kept_copy / f).stat().st_size for f in pruned["files"])
    folder = store / one["folder"]
    assert sorted(p.name for p in folder.iterdir()) == [
        "manifest.json", "morning_report.html", "quarantine.parquet"]
    s = apsp.Store(store)
    runs = s.runs()
    assert runs["outputs_pruned_at"].is_null().to_list() == [False, True]
    # Run 1 scored less billing than run 2: its outputs are its own, not tonight's.
    assert (kept_copy / "pairs.parquet").read_bytes() != \
        (store / two["folder"] / "pairs.parquet").read_bytes()
    replayed = s.replay(1, tmp_path / "replay1")
    assert replayed["identical"], replayed
    for name in ("officers", "pairs", "signals", "evidence", "quarantine"):
        assert (tmp_path / "replay1" / f"{name}.parquet").read_bytes() == \
            (kept_copy / f"{name}.parquet").read_bytes(), name
    assert s.prune_outputs(1)["pruned"] == []
    with pytest.raises(apsp.StoreError, match="outside the store"):
        s.replay(1, store / "replay")
    with pytest.raises(apsp.StoreError, match="no run 9: its runs are 1 to 2"):
        s.replay(9, tmp_path / "nine")
    with pytest.raises(apsp.StoreError, match="keep at least the newest run's outputs"):
        s.prune_outputs(0)


def test_a_compressed_export_scores_as_the_plain_one_and_is_taken_once(tmp_path):
    """Carriers often deliver billing gzip-compressed: `billing.csv.gz` is the billing
    table, scored as the plain file is, and the same bytes delivered again on a later
    night (under another name) are not taken again."""
    plain = tmp_path / "plain"
    apsp.synth.generate(plain, officers=30, days=20, seed=3, format="csv")
    packed = tmp_path / "packed"
    shutil.copytree(plain, packed)
    source = packed / "billing.csv"
    with source.open("rb") as f, gzip.open(packed / "billing.csv.gz", "wb") as g:
        shutil.copyfileobj(f, g)
    source.unlink()
    one = apsp.nightly(tmp_path / "plain-store", plain)
    two = apsp.nightly(tmp_path / "packed-store", packed)
    assert two["rows_added"] == one["rows_added"]
    assert "billing.csv.gz" in {f["file"] for f in two["files"] if "not_taken" not in f}
    for frame in ("officers", "pairs", "signals"):
        a = (tmp_path / "plain-store" / one["folder"] / f"{frame}.parquet").read_bytes()
        b = (tmp_path / "packed-store" / two["folder"] / f"{frame}.parquet").read_bytes()
        assert a == b, frame
    again = tmp_path / "again"
    (again / "billing").mkdir(parents=True)
    shutil.copy(packed / "billing.csv.gz", again / "billing" / "2026-01-25.csv.gz")
    later = apsp.nightly(tmp_path / "packed-store", again)
    assert [(f["file"], f.get("not_taken")) for f in later["files"]] == [
        ("billing/2026-01-25.csv.gz", "taken before as billing.csv.gz in run 1")]
    assert later["rows_added"] == {}
