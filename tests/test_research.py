"""The research toolkit: metrics equal scikit-learn's, bootstrap intervals are
reproducible and cover a known answer, the features add up to the engine's scores, and
nothing written names an officer, a person or a number."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sklearn import metrics as skm

import apsp
import apsp.research as research
from apsp.research import _metrics as m
from conftest import REPO

KEY = "a researcher's key, 32 bytes long"
# The demo force (`make demo`'s: 300 officers, 180 days, seed 1), generated for this
# module by the `_demo_force` fixture: a clean checkout has no demo-data/.
DEMO = REPO / "demo-data"


@pytest.fixture(scope="module", autouse=True)
def _demo_force(tmp_path_factory: pytest.TempPathFactory) -> Path:
    global DEMO
    DEMO = tmp_path_factory.mktemp("research") / "force"
    apsp.synth.generate(DEMO, officers=300, days=180, seed=1)
    return DEMO


def _ranked(y: np.ndarray, s: np.ndarray) -> m.Ranked:
    ids = [f"O{i:05d}" for i in range(len(y))]
    return m.ranked(y, s, m.order_by_score(s, ids))


def _sklearn_recall_at_fpr(y: np.ndarray, s: np.ndarray, fpr: float) -> float:
    f, t, _ = skm.roc_curve(y, s, drop_intermediate=False)
    return float(t[f <= fpr].max())


def _cases() -> list[tuple[str, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(7)
    cases = []
    for i in range(12):
        n = int(rng.integers(20, 400))
        y = rng.random(n) < rng.uniform(0.02, 0.5)
        y[0], y[1] = True, False  # both classes, whatever the draw
        s = rng.normal(size=n) + 1.2 * y
        if i % 2:
            s = np.round(s, 1)  # many ties, across the classes
        cases.append((f"random {i}", y.astype(int), s))
    # A class with one member, at the top, in a tie and at the bottom.
    y1 = np.zeros(50, dtype=int)
    y1[17] = 1
    s1 = np.round(np.linspace(0, 1, 50), 1)
    cases.append(("one positive in a tie", y1, s1))
    cases.append(("one positive", y1, np.linspace(0, 1, 50)))
    cases.append(("one negative", 1 - y1, s1))
    cases.append(("every score equal", np.array([1, 0, 0, 1, 0]), np.zeros(5)))
    return cases


@pytest.mark.parametrize(("name", "y", "s"), _cases(), ids=[c[0] for c in _cases()])
def test_metrics_equal_scikit_learn(name: str, y: np.ndarray, s: np.ndarray) -> None:
    r = _ranked(y, s)
    assert abs(m.roc_auc(r) - skm.roc_auc_score(y, s)) < 1e-9
    assert abs(m.average_precision(r) - skm.average_precision_score(y, s)) < 1e-9
    for fpr in (0.0, 0.01, 0.05, 0.1, 0.5, 1.0):
        assert abs(m.recall_at_fpr(r, fpr) - _sklearn_recall_at_fpr(y, s, fpr)) < 1e-9, fpr
    order = m.order_by_score(s, [f"O{i:05d}" for i in range(len(y))])
    for k in (1, 3, 10, len(y)):
        flagged = np.zeros(len(y), dtype=int)
        flagged[order[:k]] = 1
        assert abs(m.recall_at_k(r, k) - skm.recall_score(y, flagged)) < 1e-9
        assert abs(m.precision_at_k(r, k) - skm.precision_score(y, flagged)) < 1e-9


def test_top_k_breaks_ties_by_officer_id_as_the_engine_ranks() -> None:
    # Three officers tie at 5.0: O2 (positive) comes after O0 and O1 by id.
    s = np.array([5.0, 5.0, 5.0, 1.0])
    y = np.array([0, 0, 1, 0])
    r = m.ranked(y, s, m.order_by_score(s, ["O1", "O0", "O2", "O3"]))
    assert m.recall_at_k(r, 2) == 0.0
    assert m.recall_at_k(r, 3) == 1.0
    # ROC and precision-recall treat the tie as one threshold: against the two tied
    # negatives the positive counts one half each, against the last one whole.
    assert m.roc_auc(r) == pytest.approx((0.5 + 0.5 + 1) / 3, abs=1e-12)
    # One threshold at 5.0 finds the positive among three: precision 1/3.
    assert m.average_precision(r) == pytest.approx(1 / 3, abs=1e-12)


def _toy_scores(n: int = 400, seed: int = 3) -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    y = rng.random(n) < 0.1
    scores = pl.DataFrame(
        {
            "officer_id": [f"O{i:04d}" for i in range(n)],
            "score": np.round(rng.normal(size=n) + 1.5 * y, 2),
            "role": rng.choice(["PC", "PCSO", "DC", "Sgt"], size=n, p=[0.6, 0.2, 0.17, 0.03]),
        }
    )
    labels = pl.DataFrame(
        {
            "officer_id": scores["officer_id"],
            "outcome": y,
            "category": np.where(y, rng.choice(["shark", "fisherman"], size=n), ""),
        }
    )
    return scores, labels


def test_evaluate_gives_the_metrics_with_reproducible_intervals() -> None:
    scores, labels = _toy_scores()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", research.SmallGroupWarning)
        a = research.evaluate(scores, labels, n_boot=300, seed=11)
        b = research.evaluate(scores, labels, n_boot=300, seed=11)
        c = research.evaluate(scores, labels, n_boot=300, seed=12)
    assert a.metrics.equals(b.metrics) and a.by_role.equals(b.by_role)
    assert a.by_category.equals(b.by_category) and a.calibration.equals(b.calibration)
    assert not a.metrics["ci_low"].equals(c.metrics["ci_low"])
    assert a.metrics["value"].equals(c.metrics["value"])
    names = a.metrics["metric"].to_list()
    assert names[:4] == ["roc_auc", "average_precision", "recall_at_fpr_0.01",
                         "recall_at_fpr_0.05"]
    y, s = labels["outcome"].to_numpy(), scores["score"].to_numpy()
    auc = a.metrics.filter(pl.col("metric") == "roc_auc").row(0, named=True)
    assert auc["value"] == pytest.approx(skm.roc_auc_score(y, s), abs=1e-9)
    assert auc["ci_low"] < auc["value"] < auc["ci_high"]
    assert auc["n"] == 400 and auc["positives"] == int(y.sum())
    # recall in the first 5 % of the force: 20 officers.
    top = a.metrics.filter(pl.col("metric") == "recall_at_top_0.05")["value"].item()
    assert top == pytest.approx(_recall_first(y, s, 20), abs=1e-12)


def _recall_first(y: np.ndarray, s: np.ndarray, k: int) -> float:
    ids = [f"O{i:04d}" for i in range(len(y))]
    order = sorted(range(len(y)), key=lambda i: (-s[i], ids[i]))
    return float(sum(y[i] for i in order[:k]) / y.sum())


def test_a_small_role_is_warned_about() -> None:
    scores, labels = _toy_scores()
    with pytest.warns(research.SmallGroupWarning, match="role 'Sgt': too small"):
        ev = research.evaluate(scores, labels, n_boot=50, seed=1)
    shown = ev._repr_html_()
    assert "<table" in shown and "roc_auc" in shown and "role &#x27;Sgt&#x27;" in shown
    sgt = ev.by_role.filter(pl.col("role") == "Sgt")
    assert sgt["warning"].str.contains("too small").all()
    pc = ev.by_role.filter(pl.col("role") == "PC")
    assert pc["warning"].is_null().all()
    sub = scores.filter(pl.col("role") == "PC").join(labels, on="officer_id")
    auc = pc.filter(pl.col("metric") == "roc_auc")["value"].item()
    assert auc == pytest.approx(skm.roc_auc_score(sub["outcome"], sub["score"]), abs=1e-9)


def test_per_category_detection_and_calibration_by_decile() -> None:
    scores, labels = _toy_scores()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", research.SmallGroupWarning)
        ev = research.evaluate(scores, labels, n_boot=50, seed=1)
    y, s = labels["outcome"].to_numpy(), scores["score"].to_numpy()
    ids = scores["officer_id"].to_list()
    order = sorted(range(len(y)), key=lambda i: (-s[i], ids[i]))
    cats = labels["category"].to_list()
    for cat in ("shark", "fisherman"):
        mine = [i for i in range(len(y)) if cats[i] == cat]
        first = set(order[:20])
        want = sum(i in first for i in mine) / len(mine)
        got = ev.by_category.filter(
            (pl.col("category") == cat) & (pl.col("metric") == "recall_at_top_0.05")
        )["value"].item()
        assert got == pytest.approx(want, abs=1e-12)
    cal = ev.calibration
    assert cal.columns[0] == "decile" and cal["officers"].sum() == 400
    assert cal["officers"].to_list() == [40] * 10
    first_decile = [order[i] for i in range(40)]
    assert cal["substantiated"][0] == sum(int(y[i]) for i in first_decile)


def test_bootstrap_intervals_cover_a_known_auc() -> None:
    """Positives' scores N(d, 1), the others' N(0, 1): the true AUC is Φ(d/√2). Over
    150 samples the 90 % intervals should cover it about 90 % of the time."""
    d = 1.0
    true_auc = 0.5 * (1 + math.erf(d / math.sqrt(2) / math.sqrt(2)))
    rng = np.random.default_rng(2026)
    covered = 0
    runs = 150
    for i in range(runs):
        y = np.r_[np.ones(40, dtype=int), np.zeros(160, dtype=int)]
        s = rng.normal(size=200) + d * y
        r = _ranked(y, s)
        boots = np.array(
            [m.roc_auc(m.Ranked(r.y[idx], r.score[idx]))
             for idx in m.stratified_resamples(r.y, 300, seed=i)]
        )
        low, high = m.percentile_interval(boots, 0.90)
        covered += low <= true_auc <= high
    share = covered / runs
    # Binomial(150, 0.9): 0.82–0.96 holds with > 99 % probability.
    assert 0.82 <= share <= 0.96, share


@pytest.fixture(scope="module")
def demo_result() -> apsp.Result:
    return apsp.score(DEMO)


def test_officer_features_add_up_to_the_engines_scores(demo_result: apsp.Result) -> None:
    f = research.features(demo_result, key=KEY)
    assert f.height == demo_result.officers.height
    total = f.select(
        sum(pl.col(f"{s}_contribution") for s in research._features.SIGNS)
    ).to_series()
    assert np.allclose(total.to_numpy(), f["score"].to_numpy(), rtol=1e-12, atol=1e-9)
    statuses = set()
    for s in research._features.SIGNS:
        statuses |= set(f[f"{s}_status"].drop_nulls().unique().to_list())
    assert statuses == {"fired", "not_fired", "not_evaluated"}
    # The planted officer ranked first: his stop_near_home fired, and its contribution
    # is his top pair's plus half his second's (decay 0.5).
    top = demo_result.officers.row(0, named=True)["officer_id"]
    pairs = demo_result.pairs.filter(pl.col("officer_id") == top).sort(
        ["score", "subject_id"], descending=[True, False]
    )
    want = pairs["stop_near_home"][0] + 0.5 * pairs["stop_near_home"][1] + 0.25 * pairs[
        "stop_near_home"][2]
    assert f["stop_near_home_contribution"][0] == pytest.approx(want, abs=1e-9)
    assert f["officer_id"][0] == research.pseudonymise(
        pl.DataFrame({"officer_id": [top]}), KEY)["officer_id"][0]


def test_pair_features_add_up_and_hide_subjects(demo_result: apsp.Result) -> None:
    f = research.features(demo_result, level="pair", key=KEY)
    assert f.height == demo_result.pairs.filter(pl.col("score") > 0).height
    total = f.select(
        sum(pl.col(f"{s}_contribution") for s in research._features.PAIR_SIGNS)
    ).to_series()
    assert np.allclose(total.to_numpy(), f["score"].to_numpy(), rtol=1e-12, atol=1e-9)
    assert f["subject_id"].str.starts_with("s-").all()
    assert f["officer_id"].str.starts_with("o-").all()


def test_features_refuse_without_a_key(demo_result: apsp.Result,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(research.KEY_ENV, raising=False)
    with pytest.raises(research.ResearchError, match="always pseudonymised"):
        research.features(demo_result)
    with pytest.raises(research.ResearchError, match="at least 16"):
        research.features(demo_result, key="short")
    monkeypatch.setenv(research.KEY_ENV, KEY)
    assert research.features(demo_result)["officer_id"].equals(
        research.features(demo_result, key=KEY)["officer_id"])


def test_labels_that_cannot_be_used_are_refused_in_words(tmp_path: Path) -> None:
    scores, labels = _toy_scores(50)
    with pytest.raises(research.ResearchError, match="missing: outcome"):
        research.evaluate(scores, labels.drop("outcome"))
    with pytest.raises(research.ResearchError, match="true or false"):
        research.evaluate(scores, labels.with_columns(pl.col("outcome").cast(pl.Int64)))
    stranger = pl.DataFrame({"officer_id": ["PC99999"], "outcome": [True]})
    with pytest.raises(research.ResearchError, match="1 labelled officer") as e:
        research.evaluate(scores, pl.concat([labels, stranger], how="diagonal"))
    assert "PC99999" not in str(e.value)
    labels.write_csv(tmp_path / "labels.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", research.SmallGroupWarning)
        from_file = research.evaluate(scores, tmp_path / "labels.csv", n_boot=20)
        from_frame = research.evaluate(scores, labels, n_boot=20)
    assert from_file.metrics.equals(from_frame.metrics)


def _clear_ids() -> set[str]:
    """Every officer id, person id and number of the demo force, as written there."""
    found: set[str] = set()
    found |= set(pl.read_csv(DEMO / "officers.csv")["officer_id"].to_list())
    found |= set(pl.read_csv(DEMO / "persons.csv")["person_id"].to_list())
    numbers = pl.read_csv(DEMO / "person_numbers.csv", infer_schema=False)
    for col in numbers.columns:
        if "number" in col:
            found |= set(numbers[col].drop_nulls().to_list())
    billing = pl.read_csv(DEMO / "billing.csv", infer_schema=False)
    for col in billing.columns:
        if "number" in col:
            found |= set(billing[col].drop_nulls().to_list())
    # Numbers as the engine writes them (E.164), and their national digits.
    digits = {"".join(ch for ch in n if ch.isdigit()) for n in found if "7" in n}
    found |= {d for d in digits if len(d) >= 10}
    return {x for x in found if len(x) >= 5}


def test_nothing_written_names_an_officer_a_person_or_a_number(
    demo_result: apsp.Result, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    labels = research.synthetic_labels(pl.read_parquet(DEMO / "labels.parquet"))
    written: list[Path] = []
    messages: list[str] = []
    for level in ("officer", "pair"):
        f = research.features(demo_result, level=level, key=KEY)  # type: ignore[arg-type]
        for ext in ("parquet", "csv"):
            p = tmp_path / f"features_{level}.{ext}"
            f.write_parquet(p) if ext == "parquet" else f.write_csv(p)
            written.append(p)
    pseudo_labels = research.pseudonymise(labels, KEY)
    officer_features = research.features(demo_result, key=KEY)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ev = research.evaluate(officer_features, pseudo_labels, n_boot=50)
        messages += [str(w.message) for w in caught]
    written += ev.write(tmp_path / "evaluation")
    messages.append(repr(ev))
    fitted = research.fit(demo_result, labels, key=KEY, folds=3, passes=1)
    written.append(fitted.save(tmp_path / "fitted.toml"))
    messages += [repr(fitted), fitted.scores.write_csv()]
    compared = research.compare("default", fitted.matrix, DEMO, labels, key=KEY, n_boot=20)
    written += compared.write(tmp_path / "compare")
    messages.append(repr(compared))
    for bad in (
        pl.concat([labels, pl.DataFrame({"officer_id": ["PC10023"], "outcome": [True],
                                         "category": ["x"]})]),
        labels,  # clear ids against pseudonymised scores
    ):
        with pytest.raises(research.ResearchError) as e:
            research.evaluate(officer_features, bad, n_boot=5)
        messages.append(str(e.value))
    out = capsys.readouterr()
    messages += [out.out, out.err]
    texts = [p.read_bytes().decode("utf-8", "replace") for p in written]
    texts += [
        pl.read_parquet(p).select(pl.all().cast(pl.String)).write_csv()
        for p in written if p.suffix == ".parquet"
    ]
    texts += messages
    clear = _clear_ids()
    assert len(clear) > 1000
    leaks = _found_in(clear, texts)
    assert not leaks, sorted(leaks)[:10]
    # The scan finds an id where there is one.
    assert _found_in(clear, ["x,PC10023;y"]) == {"PC10023"}


def _found_in(ids: set[str], texts: list[str]) -> set[str]:
    """The ids that occur in the texts: every id is a run of letters, digits and '+',
    so each is a substring of one such run of a text (far faster than a search per id
    over megabytes)."""
    lengths = sorted({len(x) for x in ids})
    runs: set[str] = set()
    for t in texts:
        runs |= set(re.findall(r"[A-Za-z0-9+]+", t))
    found = set()
    for run in runs:
        for n in lengths:
            for i in range(len(run) - n + 1):
                if run[i : i + n] in ids:
                    found.add(run[i : i + n])
    return found


def test_a_fitted_matrix_reproduces_the_fitted_scores_in_apsp_score(
    demo_result: apsp.Result, tmp_path: Path, apsp_bin: Path
) -> None:
    labels = research.synthetic_labels(pl.read_parquet(DEMO / "labels.parquet"))
    fitted = research.fit(demo_result, labels, key=KEY, folds=3)
    weights = dict(zip(fitted.weights["sign"], fitted.weights["fitted_weight"], strict=True))
    assert all(w >= 0 for w in weights.values())
    # Scaled to the base weights' sum: the thresholds in score units keep their meaning.
    assert sum(weights.values()) == pytest.approx(fitted.weights["base_weight"].sum(), rel=1e-12)
    assert weights != dict(zip(fitted.weights["sign"], fitted.weights["base_weight"],
                               strict=True))
    path = fitted.save(tmp_path / "fitted.toml")
    text = path.read_text(encoding="utf-8")
    # Each fitted number says how it was fitted, and on which data.
    assert text.count("# fitted: non-negative logistic regression") == 10
    assert f"data sha256 {fitted.data_sha256[:16]}" in text
    out = tmp_path / "scored"
    subprocess.run(
        [str(apsp_bin), "score", str(DEMO), "--matrix", str(path), "--out", str(out)],
        check=True, capture_output=True,
    )
    engine = research.pseudonymise(pl.read_parquet(out / "officers.parquet"), KEY)
    both = fitted.scores.join(engine.select("officer_id", "score"), on="officer_id",
                              suffix="_engine")
    assert both.height == engine.height == fitted.scores.height
    assert (both["score"] == both["score_engine"]).all()
    # The fitted weights applied to the features of that scoring give the same scores:
    # the matrix is the model.
    again = apsp.score(DEMO, matrix=apsp.RiskMatrix.load(path))
    f = research.features(again, key=KEY)
    model = sum(
        f[f"{s}_contribution"] for s in research._features.SIGNS
    )
    assert np.allclose(model.to_numpy(), f["score"].to_numpy(), atol=1e-8)


def test_fitted_points_are_whole_numbers(demo_result: apsp.Result) -> None:
    labels = research.synthetic_labels(pl.read_parquet(DEMO / "labels.parquet"))
    fitted = research.fit(demo_result, labels, key=KEY, folds=3, points=True, passes=1)
    w = fitted.weights["fitted_weight"].to_numpy()
    assert np.array_equal(w, np.round(w)) and (w >= 0).all()


def test_compare_pairs_the_bootstrap(demo_result: apsp.Result, tmp_path: Path) -> None:
    labels = research.synthetic_labels(pl.read_parquet(DEMO / "labels.parquet"))
    edited = apsp.RiskMatrix.default()
    edited["signals.stop_near_home.weight"] = 0.0
    c = research.compare(apsp.RiskMatrix.default(), edited, DEMO, labels, key=KEY,
                         n_boot=100)
    a = research.evaluate(c.a, labels, n_boot=100)
    b = research.evaluate(c.b, labels, n_boot=100)
    for name in ("roc_auc", "average_precision", "recall_at_top_0.05"):
        row = c.metrics.filter(pl.col("metric") == name).row(0, named=True)
        va = a.metrics.filter(pl.col("metric") == name)["value"].item()
        vb = b.metrics.filter(pl.col("metric") == name)["value"].item()
        assert row["a"] == pytest.approx(va, abs=1e-12)
        assert row["b"] == pytest.approx(vb, abs=1e-12)
        assert row["difference"] == pytest.approx(vb - va, abs=1e-12)
        assert row["ci_low"] <= row["difference"] <= row["ci_high"]
    assert f"{c.tier_changes.height} officers change tier" in c._repr_html_()
    changed = c.tier_changes
    assert changed.height > 0 and changed["officer_id"].str.starts_with("o-").all()
    assert (changed["tier_a"] != changed["tier_b"]).all()


def test_the_command_line_runs_the_toolkit(tmp_path: Path, apsp_bin: Path) -> None:
    env = {**os.environ, "APSP_PYTHON": sys.executable, research.KEY_ENV: KEY}
    labels = research.synthetic_labels(pl.read_parquet(DEMO / "labels.parquet"))
    labels.write_csv(tmp_path / "labels.csv")
    scored = tmp_path / "scored"
    printed: list[str] = []
    subprocess.run([str(apsp_bin), "score", str(DEMO), "--out", str(scored)], check=True,
                   capture_output=True)
    run = subprocess.run(
        [str(apsp_bin), "evaluate", str(scored), "--labels", str(tmp_path / "labels.csv"),
         "--n-boot", "50", "--out", str(tmp_path / "ev")],
        env=env, capture_output=True, text=True,
    )
    printed.append(run.stdout + run.stderr)
    assert run.returncode == 0, run.stderr
    assert "roc_auc" in run.stdout
    metrics = pl.read_parquet(tmp_path / "ev" / "metrics.parquet")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = research.evaluate(pl.read_parquet(scored / "officers.parquet"), labels,
                                 n_boot=50)
    assert metrics.equals(want.metrics)
    run = subprocess.run(
        [str(apsp_bin), "fit", str(DEMO), "--labels", str(tmp_path / "labels.csv"),
         "--folds", "3", "--out", str(tmp_path / "fitted.toml"), "--tables",
         str(tmp_path / "fit")],
        env=env, capture_output=True, text=True,
    )
    printed.append(run.stdout + run.stderr)
    assert run.returncode == 0, run.stderr
    assert apsp.RiskMatrix.load(tmp_path / "fitted.toml").name == "apsp-default-fitted"
    fit_scores = pl.read_parquet(tmp_path / "fit" / "scores.parquet")
    assert fit_scores["officer_id"].str.starts_with("o-").all()
    run = subprocess.run(
        [str(apsp_bin), "compare", "default", str(tmp_path / "fitted.toml"), str(DEMO),
         "--labels", str(tmp_path / "labels.csv"), "--n-boot", "20"],
        env={**env, research.KEY_ENV: ""}, capture_output=True, text=True,
    )
    printed.append(run.stdout + run.stderr)
    assert run.returncode == 2 and "APSP_RESEARCH_KEY" in run.stderr
    bad = subprocess.run(
        [str(apsp_bin), "evaluate", str(scored), "--labels", str(tmp_path / "nope.csv")],
        env=env, capture_output=True, text=True,
    )
    printed.append(bad.stdout + bad.stderr)
    assert bad.returncode == 2 and "labels file not found" in bad.stderr
    if "APSP_BIN" not in os.environ:  # the checkout's binary finds the checkout's .venv
        plain = {k: v for k, v in os.environ.items() if k != "APSP_PYTHON"}
        usage = subprocess.run([str(apsp_bin), "evaluate", "--help"], env=plain,
                               capture_output=True, text=True)
        assert usage.returncode == 0 and "usage: apsp evaluate" in usage.stdout
    # Nothing printed or written by the commands names an officer, person or number.
    texts = list(printed)
    texts += [p.read_bytes().decode("utf-8", "replace")
              for d in ("ev", "fit") for p in (tmp_path / d).iterdir()]
    texts.append((tmp_path / "fitted.toml").read_text(encoding="utf-8"))
    assert not _found_in(_clear_ids(), texts)


def test_a_fit_from_the_features_export_alone(demo_result: apsp.Result) -> None:
    """A researcher holding only the pseudonymised export fits the same weights as one
    holding the data (the first pass), and is told the scores are the model's."""
    labels = research.synthetic_labels(pl.read_parquet(DEMO / "labels.parquet"))
    export = research.features(demo_result, key=KEY)
    units = [c for c in export.columns if c.endswith("_units")]
    assert len(units) == 10 and "fixed_part" in export.columns
    # The units times the weights the force was scored with give its scores.
    base = apsp.RiskMatrix.default()
    model = export["fixed_part"] + sum(
        export[u] * base[f"signals.{u.removesuffix('_units')}.weight"] for u in units
    )
    assert np.allclose(model.to_numpy(), export["score"].to_numpy(), atol=1e-8)
    # The folds follow the ids (pseudonyms here, clear ids there): the same penalty.
    from_export = research.fit(export, research.pseudonymise(labels, KEY), folds=3, l2=0.1)
    from_data = research.fit(demo_result, labels, key=KEY, folds=3, passes=1, l2=0.1)
    assert not from_export.exact and from_data.exact
    assert np.allclose(from_export.weights["fitted_weight"].to_numpy(),
                       from_data.weights["fitted_weight"].to_numpy(), rtol=1e-6, atol=1e-9)
    assert "not scored again" in from_export.matrix.to_toml()
    with pytest.raises(research.ResearchError, match="lack"):
        research.fit(export.drop("fixed_part"), research.pseudonymise(labels, KEY))
    with pytest.raises(research.ResearchError, match="labelled officer"):
        research.fit(export, labels)  # clear ids against pseudonyms


def test_review_findings_stay_fixed(demo_result: apsp.Result, tmp_path: Path) -> None:
    """Officers of two categories count in each; a headerless labels file is refused
    without echoing its first row; a missing id column is not silently left in clear;
    one labels file serves several forces; an all-zero fit is refused."""
    scores, labels = _toy_scores()
    positives = labels.filter(pl.col("outcome"))
    two = pl.concat([
        labels.filter(~pl.col("outcome")),
        positives.with_columns(pl.lit("fraud").alias("category")),
        positives.with_columns(pl.lit("stalking").alias("category")),
    ])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", research.SmallGroupWarning)
        ev = research.evaluate(scores, two, n_boot=20)
    cats = ev.by_category.filter(pl.col("metric") == "recall_at_top_0.05")
    assert set(cats["category"]) == {"fraud", "stalking"}
    assert cats["positives"].to_list() == [int(labels["outcome"].sum())] * 2
    headerless = tmp_path / "l.csv"
    headerless.write_text("PC10023,true,stalking\nPC10024,false,\n")
    with pytest.raises(research.ResearchError) as e:
        research.evaluate(scores, headerless)
    assert "PC10023" not in str(e.value)
    with pytest.raises(research.ResearchError, match="no column officer"):
        research.pseudonymise(labels.rename({"officer_id": "officer"}), KEY)
    with pytest.raises(research.ResearchError, match="ks must be"):
        research.evaluate(scores, labels, ks=(0,))
    demo_labels = research.synthetic_labels(pl.read_parquet(DEMO / "labels.parquet"))
    twice = research.fit([demo_result, demo_result], demo_labels, key=KEY, folds=3,
                         passes=1, l2=0.1)
    assert twice.scores.height == 2 * demo_result.officers.height
    nobody = demo_labels.with_columns(pl.lit(False).alias("outcome"))
    with pytest.raises(research.ResearchError):
        research.fit(demo_result, nobody, key=KEY, folds=3, passes=1)


def test_pseudonyms_are_the_engines_keyed_hmac() -> None:
    """Worked out independently with Python's hmac: HMAC-SHA256(key, kind NUL id),
    first 128 bits in hex, behind o- or s- (apsp_core::pseudo, domains Officer and
    Subject)."""
    import hashlib
    import hmac

    frame = pl.DataFrame({"officer_id": ["PC10023", None], "subject_id": ["P0003136", "x"]})
    out = research.pseudonymise(frame, KEY, subject_columns=("subject_id",))

    def want(kind: bytes, value: str, prefix: str) -> str:
        mac = hmac.new(KEY.encode(), kind + b"\0" + value.encode(), hashlib.sha256)
        return prefix + mac.hexdigest()[:32]

    assert out["officer_id"].to_list() == [want(b"officer", "PC10023", "o-"), None]
    assert out["subject_id"][0] == want(b"subject", "P0003136", "s-")
