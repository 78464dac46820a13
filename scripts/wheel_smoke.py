"""Smoke test of an installed apsp wheel, run in a clean virtualenv by `make test-wheel`.

The virtualenv holds the wheel and what pip resolved from its declared dependencies,
nothing else: no source tree on the path, no test tooling, no plotting extra.
"""

from __future__ import annotations

import importlib.metadata as md
import pathlib
import sys
import tempfile
import time

t = time.perf_counter()
import apsp  # noqa: E402

import_s = time.perf_counter() - t

here = pathlib.Path(apsp.__file__).resolve()
assert "site-packages" in here.parts, f"apsp imported from {here}, not from the installed wheel"
assert apsp.__version__ == md.version("apsp"), (apsp.__version__, md.version("apsp"))
requires = md.requires("apsp") or []
core = sorted(r for r in requires if "extra ==" not in r)
assert [r.split(">")[0].split("<")[0].split("=")[0].strip() for r in core] == ["polars"], core
for name in ("py.typed", "_apsp.pyi"):
    assert (here.parent / name).is_file(), f"{name} is missing from the wheel"

with tempfile.TemporaryDirectory() as tmp:
    data = pathlib.Path(tmp) / "force"
    apsp.synth.generate(data, officers=60, days=60, seed=1)
    res = apsp.score(data)
    assert res.officers.height == 60, res.officers.height
    top = res.officers.sort("rank")["officer_id"][0]
    text = res.explain(top)
    assert "warning sign" in text.lower(), text[:200]
    res.to_parquet(pathlib.Path(tmp) / "out")
    assert (pathlib.Path(tmp) / "out" / "manifest.json").is_file()
    m = apsp.RiskMatrix.default()
    assert len(m.sha256) == 64

try:
    import matplotlib  # noqa: F401
except ImportError:
    try:
        import apsp.plot
    except ImportError as e:
        assert "plot" in str(e), e
    else:
        raise AssertionError("apsp.plot imported without matplotlib")

try:
    import numpy  # noqa: F401
    import scipy  # noqa: F401
except ImportError:
    try:
        import apsp.research
    except ImportError as e:
        assert "apsp[research]" in str(e), e
    else:
        raise AssertionError("apsp.research imported without numpy and scipy")

print(
    f"wheel smoke test passed: apsp {apsp.__version__} from {here.parent}, "
    f"requires {core}, import {import_s:.2f} s, python {sys.version.split()[0]}"
)
