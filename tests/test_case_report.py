"""The case report (issue 17, acceptance 3): one self-contained HTML file per officer
that opens in headless Chromium with no console error and no network request.

Chromium comes from Debian's packages (`make chromium`, a dependency of `make test`);
it is driven through the DevTools protocol, which reports every request the page
makes and every console message and exception.
"""

from __future__ import annotations

import base64
import contextlib
import html
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import polars as pl
import pytest

import apsp

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PAIR_SIGNS = [
    "contact_volume", "escalation", "off_duty_contact", "night_contact", "after_closure",
    "unanswered_persistence", "stop_near_home", "access_without_purpose",
    "access_then_contact", "vulnerable_subject",
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo force of `make demo`, scored; the planted officer ranked first."""
    d = tmp_path_factory.mktemp("report") / "force"
    apsp.synth.generate(d, officers=300, days=180, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", apsp.CoverageWarning)
        r = apsp.score(d)
    labels = pl.read_parquet(d / "labels.parquet")
    planted = labels.filter(pl.col("kind") == "planted")["officer_id"].to_list()
    top = r.officers["officer_id"][0]
    assert top in planted
    return d, r, top


def test_the_report_holds_the_score_its_parts_and_its_rows(demo, tmp_path):
    _, r, top = demo
    path = r.case_report(top, tmp_path)
    assert path.name == f"case_report_{top}.html"
    assert r.case_report(top, f"{tmp_path}/reports/") == tmp_path / "reports" / path.name
    text = path.read_text()
    assert "warning signs for review" in text.lower() and "verdict" in text
    row = r.officers.filter(pl.col("officer_id") == top).row(0, named=True)
    assert f"<th>score</th><td>{row['score']:.2f}</td>" in text
    # One bar per shown pair: its segments are the pair's sign columns, in %.
    best = r.pairs.filter(pl.col("officer_id") == top).sort("score", descending=True).row(
        0, named=True
    )
    segments = re.findall(r'data-sign="(\w+)" style="width:([\d.]+)%', text)
    first_bar = segments[: sum(1 for s in PAIR_SIGNS if best.get(s, 0) > 0)]
    assert {s for s, _ in first_bar} == {s for s in PAIR_SIGNS if best.get(s, 0) > 0}
    assert sum(float(w) for _, w in first_bar) == pytest.approx(100.0, abs=0.01)
    # Every evidence row of the best pair is listed with its file and line.
    ev = r.evidence.filter((pl.col("officer_id") == top)
                           & (pl.col("subject_id") == best["subject_id"])
                           & pl.col("source_line").is_not_null())
    for file, line in ev.select("source_file", "source_line").unique().iter_rows():
        assert f"<td>{html.escape(file)}:{line}</td>" in text
    # Nothing it could fetch.
    for needle in ("http://", "https://", "<script", "<link", "<img", "@import", "url("):
        assert needle not in text, needle


def test_the_cli_writes_the_same_report(apsp_bin, demo, tmp_path):
    d, r, top = demo
    out = tmp_path / "out"
    p = subprocess.run([str(apsp_bin), "score", str(d), "--out", str(out), "--report", "top"],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert f"wrote the case report of {top}" in p.stdout
    cli = (out / f"case_report_{top}.html").read_text()
    assert cli == r.case_report(top, tmp_path / "py.html").read_text()


def _devtools(user_data: Path, proc: subprocess.Popen[bytes]) -> str:
    port_file = user_data / "DevToolsActivePort"
    for _ in range(300):
        if port_file.exists() and len(port_file.read_text().splitlines()) >= 2:
            port, path = port_file.read_text().splitlines()[:2]
            return f"ws://127.0.0.1:{port}{path}"
        if proc.poll() is not None:
            raise RuntimeError("chromium exited before it listened")
        time.sleep(0.1)
    raise RuntimeError("chromium did not start")


def open_in_chromium(
    page: Path, screenshot: Path, *, offline: bool = False, script: str | None = None
) -> dict[str, list[str]]:
    """Loads `page` in headless Chromium; returns the requests it made (other than the
    page itself), its console errors and exceptions, and saves a screenshot. With
    `offline`, the browser's network is switched off first; `script` is evaluated in
    the loaded page and its JSON value returned as `seen["script"]`."""
    from websockets.sync.client import connect

    seen: dict[str, list[str]] = {"requests": [], "errors": []}
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:
        proc = subprocess.Popen(
            [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu",
             "--remote-debugging-port=0", f"--user-data-dir={tmp}", "--no-first-run",
             "--hide-scrollbars", "--window-size=1200,1500", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        try:
            with connect(_devtools(Path(tmp), proc), max_size=2**26) as ws:
                ids = iter(range(1, 10**6))

                def call(method: str, session: str | None = None, **params: object) -> dict:
                    n = next(ids)
                    msg: dict[str, object] = {"id": n, "method": method, "params": params}
                    if session:
                        msg["sessionId"] = session
                    ws.send(json.dumps(msg))
                    while True:
                        reply = json.loads(ws.recv(timeout=60))
                        if reply.get("id") == n:
                            assert "error" not in reply, reply
                            return reply.get("result", {})
                        note(reply)

                def note(event: dict) -> None:
                    method, params = event.get("method"), event.get("params", {})
                    if method == "Network.requestWillBeSent":
                        url = params["request"]["url"]
                        if url != page.as_uri():
                            seen["requests"].append(url)
                    elif method == "Runtime.exceptionThrown":
                        seen["errors"].append(json.dumps(params["exceptionDetails"]))
                    elif method == "Runtime.consoleAPICalled" and params["type"] in (
                        "error", "warning", "assert"
                    ):
                        seen["errors"].append(json.dumps(params["args"]))
                    elif method == "Log.entryAdded" and params["entry"]["level"] in (
                        "error", "warning"
                    ):
                        seen["errors"].append(params["entry"]["text"])
                    elif method == "Page.loadEventFired":
                        seen.setdefault("loaded", []).append("yes")

                target = call("Target.createTarget", url="about:blank")["targetId"]
                session = call("Target.attachToTarget", targetId=target, flatten=True)[
                    "sessionId"
                ]
                for domain in ("Page", "Network", "Runtime", "Log"):
                    call(f"{domain}.enable", session)
                if offline:
                    call("Network.emulateNetworkConditions", session, offline=True,
                         latency=0, downloadThroughput=-1, uploadThroughput=-1)
                call("Page.navigate", session, url=page.as_uri())
                deadline = time.time() + 60
                while "loaded" not in seen and time.time() < deadline:
                    note(json.loads(ws.recv(timeout=60)))
                time.sleep(0.5)  # late requests and messages, if any
                if script is not None:
                    value = call("Runtime.evaluate", session, expression=script,
                                 returnByValue=True)["result"]["value"]
                    seen["script"] = [json.dumps(value)]
                shot = call("Page.captureScreenshot", session, format="png",
                            captureBeyondViewport=False)
                screenshot.write_bytes(base64.b64decode(shot["data"]))
                call("Browser.close")
        finally:
            # Chromium's helper processes too: its whole process group.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return seen


def test_the_report_opens_offline_in_chromium(demo, tmp_path):
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: `make chromium` installs it")
        pytest.skip("chromium not installed (make chromium)")
    pytest.importorskip("websockets")
    _, r, top = demo
    page = r.case_report(top, tmp_path)
    seen = open_in_chromium(page, tmp_path / "report.png")
    assert seen.get("loaded"), "the page never finished loading"
    assert seen["requests"] == []
    assert seen["errors"] == []
    assert (tmp_path / "report.png").stat().st_size > 20_000  # drawn, not blank
