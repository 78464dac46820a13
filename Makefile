# apsp — run `make help` for the targets.
#
# One build serves everything: the Rust tests, the `apsp` CLI and the Python extension
# are all built by one `cargo build --workspace --all-targets` in the release profile:
# same polars features (pyo3-polars turns on polars-error/python for the whole
# workspace), same dev-dependency features as `cargo test`, same Python (PYO3_PYTHON),
# so polars is compiled once and `cargo test` afterwards compiles nothing. The extension
# is copied into python/apsp/ and the package is put on the virtualenv's path (an
# editable install, like `maturin develop`, without a second build). The wheel is built
# by maturin in its own target dir (target/wheel): maturin's build environment differs
# (PYO3_BUILD_EXTENSION_MODULE, one crate's features), so sharing target/release would
# rebuild polars there on every switch. `make test-wheel` installs that wheel into a
# clean virtualenv with only its declared dependencies and smoke-tests it.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
VENV_MIN ?= .venv-polars-min
VENV_WHEEL ?= .venv-wheel
WHEEL_TARGET ?= target/wheel
POLARS_MIN ?= 1.43.2
PY := $(VENV)/bin/python
PY_MIN := $(VENV_MIN)/bin/python
CARGO ?= cargo
CARGO_FLAGS ?= --release --workspace --locked
TARGET_DIR := target/release
EXT := python/apsp/_apsp.abi3.so
DEMO_OUT ?= demo-out
DEMO_DATA ?= demo-data

# Every cargo call sees the same interpreter, or pyo3 (and with it polars) rebuilds.
export PYO3_PYTHON := $(abspath $(PY))
# The Rust test binaries link libpython (pyo3 is in the workspace's build graph through
# pyo3-polars); let the loader find the one pyo3 was built against.
PY_LIBDIR = $(shell $(PY) -c 'import sysconfig; print(sysconfig.get_config_var("LIBDIR") or "")' 2>/dev/null)

.PHONY: help venv build demo test test-rust test-python chromium test-polars-min test-wheel lint lint-python fmt wheel bench bench-score clean

help: ## Show this help
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-16s %s\n", $$1, $$2}'

venv: $(VENV)/.ok ## Create .venv with the Python test dependencies

$(VENV)/.ok: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

$(VENV_MIN)/.ok: requirements-dev.txt
	$(PYTHON) -m venv $(VENV_MIN)
	$(PY_MIN) -m pip install --quiet --upgrade pip
	$(PY_MIN) -m pip install --quiet "polars==$(POLARS_MIN)" "pytest>=8,<10" "hypothesis>=6.100,<7"
	touch $@

build: venv ## Build the CLI, the Rust tests and the Python extension (one release build)
	$(CARGO) build $(CARGO_FLAGS) --all-targets
	cp $(TARGET_DIR)/lib_apsp.so $(EXT)
	$(PY) scripts/dev_install.py $(VENV)

demo: build ## Set up and run the main job on built-in demo data (a generated force)
	@echo "== apsp synth: a synthetic force of 300 officers over 180 days (seed 1), with the noise of a real town (--realism real-town), planted case-study patterns and decoys"
	rm -rf $(DEMO_DATA)
	$(TARGET_DIR)/apsp synth --officers 300 --days 180 --seed 1 --out $(DEMO_DATA)
	@echo "== apsp validate $(DEMO_DATA) --out $(DEMO_OUT)"
	@$(TARGET_DIR)/apsp validate $(DEMO_DATA) --out $(DEMO_OUT) --overwrite; rc=$$?; \
	  if [ $$rc -gt 1 ]; then exit $$rc; fi
	@echo "== apsp score $(DEMO_DATA) --out $(DEMO_OUT): warning signs for review, and the account of the officer ranked first"
	@$(TARGET_DIR)/apsp score $(DEMO_DATA) --out $(DEMO_OUT) --overwrite --explain top | cut -c1-200; rc=$${PIPESTATUS[0]}; \
	  if [ $$rc -gt 1 ]; then exit $$rc; fi
	@echo "== from Python: the ranking next to the ground truth the generator planted"
	$(PY) -c "import polars as pl; pl.Config.set_tbl_rows(20); pl.Config.set_fmt_str_lengths(40); o = pl.read_parquet('$(DEMO_OUT)/officers.parquet'); l = pl.read_parquet('$(DEMO_DATA)/labels.parquet'); print(o.head(12).select('rank', 'officer_id', 'role', pl.col('score').round(2), 'tier', 'style').join(l.select('officer_id', 'scenario', 'kind'), on='officer_id', how='left').sort('rank'))"

test: lint build test-rust test-python test-polars-min test-wheel ## Lint, then run every test (Rust, Python, both ends of the polars range, the built wheel)
	@echo "make test: lint clean and all test suites passed"

test-rust: build ## Rust unit and integration tests
	LD_LIBRARY_PATH="$(PY_LIBDIR)$${LD_LIBRARY_PATH:+:$$LD_LIBRARY_PATH}" $(CARGO) test $(CARGO_FLAGS)

chromium: ## Headless Chromium from Debian's packages, for the case-report test (installed if missing)
	@command -v chromium >/dev/null 2>&1 || { apt-get update -q && apt-get install -y -q --no-install-recommends chromium; }

test-python: build chromium ## pytest on the supported polars upper end
	bash scripts/pytest.sh $(PY) tests
	bash scripts/pytest.sh $(PY) --doctest-modules python/apsp
	$(PY) -m mypy.stubtest apsp._apsp

test-polars-min: build $(VENV_MIN)/.ok ## The interop tests on the lowest supported polars
	$(PY_MIN) scripts/dev_install.py $(VENV_MIN)
	bash scripts/pytest.sh $(PY_MIN) tests/test_interop.py

lint: venv lint-python ## cargo fmt --check, clippy -D warnings (all crates), then lint-python
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy $(CARGO_FLAGS) --all-targets -- -D warnings

# Ruff's rules are in ruff.toml, mypy's (strict) in python/pyproject.toml; both tools come
# from requirements-dev.txt into the venv. tests/data (the corpus generator) is excluded.
lint-python: venv ## ruff check (package, tests, scripts, benches) and mypy --strict on python/apsp (no build needed)
	$(PY) -m ruff check python/apsp tests scripts benches
	cd python && $(abspath $(PY)) -m mypy

fmt: ## Format the Rust code
	$(CARGO) fmt --all

wheel: venv ## Build the distributable abi3 wheel into dist/ (maturin, its own target dir)
	rm -f dist/apsp-*.whl
	cd python && CARGO_TARGET_DIR=$(abspath $(WHEEL_TARGET)) $(abspath $(PY)) -m maturin build --release --locked --interpreter $(abspath $(PY)) --out ../dist

test-wheel: wheel ## Install the built wheel into a clean virtualenv (declared dependencies only) and smoke-test it
	rm -rf $(VENV_WHEEL)
	$(PYTHON) -m venv $(VENV_WHEEL)
	$(VENV_WHEEL)/bin/python -m pip install --quiet dist/apsp-*.whl
	cd /tmp && $(abspath $(VENV_WHEEL))/bin/python $(abspath scripts/wheel_smoke.py)

bench: build ## Benchmarks: generation and ingestion rows/s and peak memory, criterion micro-benchmarks
	$(PY) benches/synth_bench.py
	$(PY) benches/ingest_bench.py
	$(CARGO) bench --workspace --bench normalise

bench-score: build ## Scoring benchmark against DuckDB SQL and polars (1,000 / 5,000 / 20,000 officers, 3 interleaved runs each; about 30 minutes, 15 GiB)
	$(PY) -m pip install --quiet -r benches/requirements.txt
	$(PY) benches/score_compare.py --officers 1000 5000 20000 --days 365

clean: ## Remove build outputs and virtualenvs
	rm -rf target $(VENV) $(VENV_MIN) $(VENV_WHEEL) $(EXT) $(DEMO_OUT) $(DEMO_DATA) dist
