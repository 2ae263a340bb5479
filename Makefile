# The two commands in README.md: `make lab` (the main job) and `make test` (every check).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: lab test lint bench setup clean chromium java azurite

PLUGIN := $(VENV)/.plugin-installed

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip uv
	# uv resolves and installs the same requirements as pip, in seconds instead of minutes.
	$(BIN)/uv pip install --python $(BIN)/python -q -e ".[dev]"
	touch $(STAMP)

# The test run installs a small third-party plugin (tests/plugin_pkg) to prove entry points work.
$(PLUGIN): $(STAMP) tests/plugin_pkg/pyproject.toml
	$(BIN)/uv pip install --python $(BIN)/python -q -e tests/plugin_pkg
	touch $(PLUGIN)

setup: $(STAMP)

# The browser tests (tests/browser) drive Debian's chromium through Playwright; `playwright
# install` is never used. Install chromium with apt-get only when it is missing.
chromium:
	@test -x /usr/lib/chromium/chromium || command -v chromium >/dev/null || \
	    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }

# tests/datasource/test_spark_jvm.py runs a real Spark (its own .venv-spark, built by the
# test); Spark 4 needs Java 17+. Install Debian's JRE with apt-get only when java is missing.
java:
	@command -v java >/dev/null || \
	    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q openjdk-17-jre-headless; }

# tests/azurite.py runs the behavior suite on Azure Blob against Azurite, Microsoft's storage
# emulator, an npm package installed into .tools/ (node and npm from apt-get when missing).
AZURITE := .tools/node_modules/.bin/azurite-blob
azurite: $(AZURITE)
$(AZURITE):
	@command -v npm >/dev/null || \
	    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm; }
	npm install --prefix .tools --no-audit --no-fund --loglevel=error azurite@3

## Open JupyterLab on the tour notebook (memory and fs services, nothing else needed).
lab: $(STAMP)
	@# Served from the repository root, so notebooks/ and the widget apps in widgets/ are both
	@# in the file browser; a browser opens on the tour.
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) --ServerApp.root_dir=. \
	    notebooks/01_tour.ipynb

## Lint, type-check and run every test: the notebooks under nbval (their stored outputs
## compared), the widget apps in a real browser (screenshots and the redraw timing go to
## artifacts/).
test: $(PLUGIN) chromium java azurite
	$(BIN)/ruff check opendal_lab tests bench
	$(BIN)/ruff format --check opendal_lab tests bench
	$(BIN)/mypy
	$(BIN)/pytest -n 2 --dist loadfile --durations=15 --nbval-current-env \
	    --nbval-sanitize-with notebooks/sanitize.cfg tests --nbval notebooks

## Re-execute every notebook (notebooks/ and the apps in widgets/) in place and store the
## widget state in each, so JupyterLab on reopen, nbviewer and GitHub draw the widgets
## without a kernel. Each runs in its own kernel with its folder as the working directory.
## No cell timing metadata: a re-run changes only what the cells print (nbval compares
## that; notebooks/sanitize.cfg masks ports, paths, timestamps; widget model ids are skipped).
.PHONY: notebooks
NOTEBOOKS = $(sort $(wildcard notebooks/*.ipynb)) $(sort $(wildcard widgets/*.ipynb))
notebooks: $(STAMP)
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.kernel_name=python3 \
	    --ExecutePreprocessor.store_widget_state=True \
	    --ExecutePreprocessor.record_timing=False \
	    --ExecutePreprocessor.timeout=600 \
	    $(NOTEBOOKS)

lint: $(STAMP)
	$(BIN)/ruff check opendal_lab tests bench
	$(BIN)/ruff format --check opendal_lab tests bench
	$(BIN)/mypy

## Print the benchmark tables: the core, s3 (and many small objects behind 20 ms), the fsspec face, each optional layer, TailCut
## on a long tail, the data
## source loader (files against Polars, SQL against ConnectorX, save against Polars' writer, stream through DuckDB against
## its read_parquet, Iceberg against PyIceberg); README.md says what each compares.
bench: $(STAMP)
	$(BIN)/python bench/bench_core.py
	$(BIN)/python bench/bench_s3.py
	$(BIN)/python bench/bench_concurrency.py
	$(BIN)/python bench/bench_fsspec.py
	$(BIN)/python bench/bench_layers.py
	$(BIN)/python bench/bench_tail_cut.py
	$(BIN)/python bench/bench_loader.py
	$(BIN)/python bench/bench_sql.py
	$(BIN)/python bench/bench_save.py
	$(BIN)/python bench/bench_arrow.py
	$(BIN)/python bench/bench_iceberg.py
	$(BIN)/python bench/bench_widget_matrix.py
	$(BIN)/python bench/bench_widget_browser.py

clean:
	rm -rf $(VENV) .venv-spark .tools
